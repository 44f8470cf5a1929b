"""Evidence gatherers: each returns an :class:`Outcome` whose verdict is computed.

* :func:`forall` -- a universally quantified mathematical claim.  Hypothesis
  searches for a counterexample (``hypothesis.find``, which returns the
  *shrunk*, minimal one); a counterexample is re-checked with exact or
  50-digit arithmetic before it is believed; with no counterexample, an
  optional SymPy proof upgrades "survived the search" to "proved".  When the
  literal statement fails, an optional *condition* (a strategy that only draws
  cases satisfying the missing hypothesis) is searched in turn: surviving it
  makes the claim ``conditional``, otherwise it is ``false``.
* :func:`exists` -- an existential claim (a witness is searched for).
* :func:`ill_posed` -- the literal statement has no precise meaning; each
  nearest sensible reading carries its own computed outcome.
* :func:`code_listing` -- a re-implemented listing is run on named inputs and
  compared with the correct value.
* :func:`facts` -- a historical/bibliographic claim compared with a reference table.
* :func:`vague` -- no checkable content (listed so the audit is complete).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlmath.audit._core import Outcome, Reading

__all__ = [
    "Budget",
    "Case",
    "Condition",
    "Proof",
    "by_setting",
    "code_listing",
    "established",
    "exists",
    "facts",
    "forall",
    "ill_posed",
    "vague",
]


@dataclass(frozen=True)
class Budget:
    """How hard to search: examples per Hypothesis search, and determinism.

    The default (``ci``) is derandomised so the report, and ``CLAIMS.md``, are
    reproducible byte for byte; ``thorough`` draws ten times more, randomly.
    """

    max_examples: int = 100
    derandomize: bool = True

    @classmethod
    def named(cls, name: str) -> Budget:
        if name == "ci":
            return cls()
        if name == "thorough":
            return cls(max_examples=2000, derandomize=False)
        raise ValueError(f"`budget`: expected 'ci' or 'thorough', got {name!r}")


@dataclass(frozen=True)
class Proof:
    """A SymPy (or other exact) argument: ``run()`` returns True when it goes through."""

    text: str
    run: Callable[[], bool]


@dataclass(frozen=True)
class Condition:
    """The hypothesis a claim omits: its text and a strategy drawing only cases satisfying it."""

    text: str
    strategy: Any


@dataclass(frozen=True)
class Case:
    """One input to a re-implemented code listing: what it returns vs the correct value."""

    input: str
    observed: str
    correct: str
    defective: bool


def _settings(budget: Budget) -> Any:
    from hypothesis import HealthCheck, Phase, settings

    return settings(max_examples=budget.max_examples, derandomize=budget.derandomize,
                    database=None, deadline=None, suppress_health_check=list(HealthCheck),
                    phases=[Phase.generate, Phase.shrink])


def _search(strategy: Any, bad: Callable[[Any], bool], budget: Budget) -> tuple[Any, int]:
    """Shrunk example satisfying ``bad`` (or None) and the number of examples tried."""
    from hypothesis import find
    from hypothesis.errors import NoSuchExample

    tried = 0

    def counted(example: Any) -> bool:
        nonlocal tried
        tried += 1
        return bad(example)

    try:
        return find(strategy, counted, settings=_settings(budget)), tried
    except NoSuchExample:
        return None, tried


class AuditError(AssertionError):
    """The evidence is inconsistent (e.g. a float counterexample the exact re-check rejects)."""


def forall(budget: Budget, *, strategy: Any, holds: Callable[[Any], bool],
           exact: Callable[[Any], bool], show: Callable[[Any], str],
           proof: Proof | None = None, condition: Condition | None = None,
           reason_holds: str = "", reason_fails: str = "") -> Outcome:
    """Verdict of "for every draw of ``strategy``, ``holds``" (see the module docstring).

    ``holds`` is the fast float predicate used by the search; ``exact`` is the
    same predicate evaluated exactly (Fractions/SymPy) or at 50 digits (mpmath)
    and must confirm any counterexample; ``show`` renders a counterexample with
    its numbers.
    """
    witness, tried = _search(strategy, lambda ex: not holds(ex), budget)
    if witness is None:
        evidence = [f"Hypothesis: no counterexample in {tried} examples"]
        if proof is not None:
            if not proof.run():
                return Outcome("false", f"the proof does not go through: {proof.text}",
                               evidence=tuple(evidence))
            evidence.append(f"proof: {proof.text}")
        return Outcome("holds", reason_holds or "no counterexample; " + evidence[-1],
                       evidence=tuple(evidence))
    if exact(witness):
        raise AuditError(f"float counterexample {witness!r} is not confirmed by exact arithmetic")
    shown = show(witness)
    evidence = [f"Hypothesis: shrunk counterexample after {tried} examples: {shown}",
                "re-checked exactly (Fractions/SymPy or mpmath at 50 digits)"]
    if condition is not None:
        witness2, tried2 = _search(condition.strategy, lambda ex: not holds(ex), budget)
        if witness2 is None:
            evidence.append(f"under the condition ({condition.text}): no counterexample "
                            f"in {tried2} examples")
            if proof is not None:
                if not proof.run():
                    raise AuditError(f"conditional proof fails: {proof.text}")
                evidence.append(f"proof under the condition: {proof.text}")
            return Outcome("conditional", reason_fails or f"holds only if {condition.text}",
                           counterexample=shown, evidence=tuple(evidence))
        evidence.append(f"the condition ({condition.text}) does not rescue it: "
                        f"{show(witness2)}")
    return Outcome("false", reason_fails or "counterexample found", counterexample=shown,
                   evidence=tuple(evidence))


def exists(budget: Budget, *, strategy: Any, witness: Callable[[Any], bool],
           exact: Callable[[Any], bool], show: Callable[[Any], str],
           reason_found: str, reason_none: str) -> Outcome:
    """Verdict of "some draw of ``strategy`` satisfies ``witness``" (holds, with the witness)."""
    found, tried = _search(strategy, witness, budget)
    if found is None:
        return Outcome("false", reason_none,
                       evidence=(f"Hypothesis: no witness in {tried} examples",))
    if not exact(found):
        raise AuditError(f"float witness {found!r} is not confirmed by exact arithmetic")
    return Outcome("holds", reason_found, counterexample=show(found),
                   evidence=(f"Hypothesis: shrunk witness after {tried} examples: {show(found)}",
                             "re-checked at high precision"))


def ill_posed(why: str, readings: Sequence[tuple[str, Outcome]]) -> Outcome:
    """The literal statement has no precise meaning (``why``); each reading has its own verdict."""
    if not readings:
        raise AuditError("an ill-posed claim needs at least one sensible reading")
    first_cx = next((out.counterexample for _, out in readings if out.counterexample), "")
    evidence = tuple(f"reading '{text}': {line}" for text, out in readings
                     for line in (out.evidence or (out.reason,)))
    return Outcome("ill-posed", why, counterexample=first_cx, evidence=evidence,
                   readings=tuple(Reading(text, out) for text, out in readings))


def code_listing(cases: Sequence[Case], *, summary: str) -> Outcome:
    """``code-defect`` when some case misbehaves (observed output differs from the correct one)."""
    bad = [c for c in cases if c.defective]
    evidence = tuple(f"input {c.input}: listing gives {c.observed}; correct {c.correct}"
                     + (" [DEFECT]" if c.defective else "") for c in cases)
    if not bad:
        return Outcome("holds", summary, evidence=evidence)
    first = bad[0]
    return Outcome("code-defect", summary,
                   counterexample=f"{first.input} -> {first.observed} (correct: {first.correct})",
                   evidence=evidence)


def facts(asserted: Mapping[str, Any], reference: Mapping[str, Any], *, source: str,
          reason_ok: str = "agrees with the reference") -> Outcome:
    """``factual-error`` when an asserted field differs from the reference table."""
    wrong = [k for k in asserted if asserted[k] != reference.get(k)]
    evidence = (*(f"{k}: article says {asserted[k]!r}; reference: {reference.get(k)!r}"
                  for k in asserted), f"reference: {source}")
    if not wrong:
        return Outcome("holds", reason_ok, evidence=evidence)
    detail = "; ".join(f"{k} is {reference.get(k)!r}, not {asserted[k]!r}" for k in wrong)
    return Outcome("factual-error", detail, counterexample=source, evidence=evidence)


def vague(why: str) -> Outcome:
    """No checkable content; ``why`` says what is missing."""
    return Outcome("vague", why)


def by_setting(*, true_in: Sequence[tuple[str, Outcome]],
               false_in: Sequence[tuple[str, Outcome]], reason: str) -> Outcome:
    """Verdict of a claim whose truth depends on the setting (variables, model, data).

    Each pair is (setting, outcome of a check that *establishes* the claim's truth,
    resp. falsity, in that setting); only established settings count.  Both kinds
    established: ``conditional``; only true ones: ``holds``; only false ones: ``false``.
    """
    established_true = [(s, o) for s, o in true_in if o.verdict == "holds"]
    established_false = [(s, o) for s, o in false_in if o.verdict == "holds"]
    evidence = tuple(f"true in: {s} [{'; '.join(o.evidence) or o.reason}]"
                     for s, o in established_true)
    evidence += tuple(f"false in: {s} [{'; '.join(o.evidence) or o.reason}]"
                      for s, o in established_false)
    failed = [s for s, o in (*true_in, *false_in) if o.verdict != "holds"]
    evidence += tuple(f"NOT established: {s}" for s in failed)
    cx = next((o.counterexample for _, o in (*established_false, *established_true)
               if o.counterexample), "")
    if not cx and established_false:  # a setting established by a reference: name it
        s, o = established_false[0]
        cx = f"{s}: {o.evidence[-1]}" if o.evidence else s
    if established_true and established_false:
        return Outcome("conditional", reason, counterexample=cx, evidence=evidence)
    if established_true:
        return Outcome("holds", reason, evidence=evidence)
    if established_false:
        return Outcome("false", reason, counterexample=cx, evidence=evidence)
    return Outcome("vague", "no setting could be established: " + reason, evidence=evidence)


def established(statement: bool, reason: str, *, evidence: Sequence[str] = (),
                counterexample: str = "") -> Outcome:
    """Outcome of a direct computation: ``holds`` if ``statement`` came out true, else ``false``."""
    return Outcome("holds" if statement else "false", reason, counterexample=counterexample,
                   evidence=tuple(evidence))

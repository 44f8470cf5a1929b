"""Evidence gatherers: each returns an :class:`~mlmath.audit._core.Outcome`.

* :func:`forall` -- a universally quantified statement.  Hypothesis searches for
  a counterexample (``hypothesis.find`` returns the *shrunk*, minimal one); a
  counterexample is re-checked with exact or 50-digit arithmetic before it is
  believed; with none, an optional SymPy proof upgrades "survived the search"
  to "proved".  When the literal statement fails, an optional *condition* (a
  strategy drawing only cases that satisfy the omitted hypothesis) is searched
  in turn: surviving it makes the claim ``conditional``, otherwise ``false``.
* :func:`exists` -- an existential statement (a witness is searched for);
  :func:`refuted_by` turns such a witness into the refutation of a claim.
* :func:`established` -- the result of a direct computation (a boolean that
  could have come out either way), with what was computed.
* :func:`code_listing` -- a re-implemented listing run on named inputs and
  compared with the correct value (``code-defect`` when they differ).
* :func:`with_readings` -- attach further readings (each with its own computed
  outcome) to the outcome of the literal statement, which keeps its verdict.
* :func:`editorial` -- the few judgements no computation can make (vague wording,
  a wrong historical reference): ``basis="editorial"``, with the quoted phrase
  and what is missing or what the reference says.

Recorded counterexamples.  A counterexample found by a search is stored in
:mod:`._recorded` (``mlmath audit --refresh`` rewrites it); a normal run re-checks
the recorded witness, in float *and* exactly, instead of searching, so the
report does not depend on the Hypothesis version.  ``holds`` verdicts are
always searched afresh, and the report prints their example counts as a bound.

Perturbations.  :func:`perturbed` runs a check on a deliberately changed
statement (the negated predicate, or the domain restricted to where the
predicate holds); the meta-tests expect the other verdict, which shows that
every computed check can come out otherwise.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

import mpmath

from mlmath.audit._core import Outcome, Reading
from mlmath.audit._num import DPS

__all__ = [
    "PERTURBATIONS",
    "AuditError",
    "Budget",
    "Case",
    "Condition",
    "Proof",
    "checking",
    "code_listing",
    "editorial",
    "established",
    "exists",
    "forall",
    "needs_condition",
    "perturbed",
    "refuted_by",
    "search_log",
    "shared",
    "with_readings",
]

#: Ways of perturbing a statement for the meta-tests.
PERTURBATIONS: tuple[str, ...] = ("negate", "restrict")


@dataclass(frozen=True)
class Budget:
    """How hard to search.

    Attributes
    ----------
    max_examples : int
        Examples per Hypothesis search.
    derandomize : bool
        Derandomised searches make the report reproducible byte for byte.
    min_examples : int
        A ``holds`` search must have run at least this many examples (fewer
        only when the strategy's space is exhausted, which the report says).
    refresh : bool
        Search for counterexamples afresh instead of re-checking recorded ones.
    """

    max_examples: int = 100
    derandomize: bool = True
    min_examples: int = 100
    refresh: bool = False

    @classmethod
    def named(cls, name: str, *, refresh: bool = False) -> Budget:
        """The ``ci`` (derandomised, 100 examples) or ``thorough`` (2000, random) budget."""
        if name == "ci":
            return cls(refresh=refresh)
        if name == "thorough":
            return cls(max_examples=2000, derandomize=False, refresh=True)
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
    """One input to a re-implemented code listing: what it returns vs the correct value.

    ``defective`` must be computed by comparing the two values, never typed in.
    """

    input: str
    observed: str
    correct: str
    defective: bool


class AuditError(AssertionError):
    """The evidence is inconsistent (e.g. a float counterexample the exact re-check rejects)."""


@dataclass
class _State:
    """Per-run state: the perturbation in force and the searches' findings."""

    mode: str | None = None
    claim: str = ""
    calls: dict[str, int] = field(default_factory=dict)
    found: dict[str, Any] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)


_STATE = _State()


@contextlib.contextmanager
def perturbed(mode: str) -> Iterator[None]:
    """Run checks on a perturbed statement (see :data:`PERTURBATIONS`).

    ``negate`` replaces every predicate by its negation; ``restrict`` limits each
    search's domain to the draws on which the float predicate holds.  Recorded
    counterexamples are not used while a perturbation is in force.
    """
    if mode not in PERTURBATIONS:
        raise ValueError(f"`mode`: expected one of {PERTURBATIONS}, got {mode!r}")
    old = _STATE.mode
    _STATE.mode = mode
    try:
        yield
    finally:
        _STATE.mode = old


@contextlib.contextmanager
def checking(claim_id: str) -> Iterator[None]:
    """Name the claim whose check runs: the keys of its recorded counterexamples start with it."""
    old, old_calls = _STATE.claim, _STATE.calls
    _STATE.claim, _STATE.calls = claim_id, {}
    try:
        yield
    finally:
        _STATE.claim, _STATE.calls = old, old_calls


_F = TypeVar("_F", bound=Callable[..., Outcome])


def shared(fn: _F) -> _F:
    """Cache a search used by several claims, per budget *and* perturbation mode.

    (``functools.cache`` would hand a perturbed check the unperturbed result.)
    """
    memo: dict[tuple[Any, ...], Outcome] = {}

    @functools.wraps(fn)
    def wrapper(*args: Any) -> Outcome:
        key = (_STATE.mode, *args)
        if key not in memo:
            memo[key] = fn(*args)
        return memo[key]

    return cast(_F, wrapper)


def search_log() -> tuple[dict[str, Any], set[str]]:
    """The witnesses found by searches of this process, and the recorded keys re-used."""
    return _STATE.found, _STATE.used


def _recorded() -> dict[str, Any]:
    from mlmath.audit._recorded import RECORDED

    return RECORDED


def _caller_key(depth: int) -> str:
    """A stable key for a search.

    The claim being checked, the function calling the search, and how many searches
    that function started before during this claim's check (a helper called twice
    with different domains gets two keys).  Line numbers are not part of it, so
    reformatting the code keeps the records valid.
    """
    frame = sys._getframe(depth)
    code = frame.f_code
    module = frame.f_globals.get("__name__", "?").rsplit(".", 1)[-1]
    site = f"{_STATE.claim}|{module}.{code.co_name}"
    n = _STATE.calls.get(site, 0)
    _STATE.calls[site] = n + 1
    return f"{site}#{n}"


def _settings(budget: Budget) -> Any:
    from hypothesis import HealthCheck, Phase, settings

    return settings(
        max_examples=budget.max_examples,
        derandomize=budget.derandomize,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
    )


def _search(strategy: Any, bad: Callable[[Any], bool], budget: Budget) -> tuple[Any, int]:
    """Shrunk example satisfying ``bad`` (or None) and the number of examples tried."""
    from hypothesis import find
    from hypothesis.errors import NoSuchExample, Unsatisfiable

    tried = 0

    def counted(example: Any) -> bool:
        nonlocal tried
        tried += 1
        return bad(example)

    try:
        return find(strategy, counted, settings=_settings(budget)), tried
    except (NoSuchExample, Unsatisfiable):
        return None, tried


def _precise(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``fn`` evaluated at :data:`DPS` digits (exact re-checks and renderings of witnesses)."""

    def at_dps(example: Any) -> Any:
        with mpmath.workdps(DPS):
            return fn(example)

    return at_dps


def _find_bad(
    key: str,
    strategy: Any,
    bad: Callable[[Any], bool],
    exact_bad: Callable[[Any], bool],
    budget: Budget,
) -> tuple[Any, int]:
    """A witness of ``bad`` (recorded and re-checked, or searched) and the examples tried."""
    mode = _STATE.mode
    if mode == "restrict":
        # draws where the statement holds are rare for some false statements: a small
        # search suffices to show that the check then reports no counterexample
        strategy = strategy.filter(lambda ex: not bad(ex))
        budget = replace(budget, max_examples=min(budget.max_examples, 10))
    elif mode is None and not budget.refresh:
        rec = _recorded().get(key)
        if rec is not None and bad(rec) and exact_bad(rec):
            _STATE.used.add(key)
            _STATE.found[key] = rec
            return rec, 0
    witness, tried = _search(strategy, bad, budget)
    if witness is not None and mode is None:
        _STATE.found[key] = witness
    return witness, tried


def _examples_text(tried: int, budget: Budget) -> str:
    if tried >= budget.min_examples:
        return f"≥ {budget.min_examples} examples"
    return f"{tried} examples (the strategy's whole space)"


def forall(
    budget: Budget,
    *,
    strategy: Any,
    holds: Callable[[Any], bool],
    exact: Callable[[Any], bool],
    show: Callable[[Any], str],
    proof: Proof | None = None,
    condition: Condition | None = None,
    reason_holds: str = "",
    reason_fails: str = "",
) -> Outcome:
    """Verdict of "for every draw of ``strategy``, ``holds``" (see the module docstring).

    Parameters
    ----------
    budget : Budget
        Search size and determinism.
    strategy : hypothesis strategy
        The statement's domain, drawing exact inputs.
    holds : callable
        The fast float predicate used by the search.
    exact : callable
        The same predicate evaluated exactly (Fractions/SymPy) or at 50 digits
        (mpmath); it must confirm any counterexample.
    show : callable
        Renders a counterexample with its numbers (runs at 50 digits).
    proof : Proof, optional
        A SymPy argument that upgrades a survived search to a proof.
    condition : Condition, optional
        The omitted hypothesis: ``conditional`` when the statement survives under it.
    reason_holds, reason_fails : str
        One-line reasons for the report.

    Returns
    -------
    Outcome
        ``holds`` (with the number of examples), ``conditional`` or ``false``
        (with the re-checked counterexample).
    """
    key = _caller_key(2)
    if _STATE.mode == "negate":
        holds_f, exact_f = holds, exact
        holds = lambda ex: not holds_f(ex)  # noqa: E731
        exact = lambda ex: not exact_f(ex)  # noqa: E731
        proof = None
    exact, show = _precise(exact), _precise(show)
    witness, tried = _find_bad(
        key, strategy, lambda ex: not holds(ex), lambda ex: not exact(ex), budget
    )
    if witness is None:
        evidence = [f"Hypothesis: no counterexample in {_examples_text(tried, budget)}"]
        if proof is not None:
            if not proof.run():
                return Outcome(
                    "false",
                    f"the proof does not go through: {proof.text}",
                    evidence=tuple(evidence),
                )
            evidence.append(f"proof: {proof.text}")
        return Outcome(
            "holds",
            reason_holds or "no counterexample; " + evidence[-1],
            evidence=tuple(evidence),
            examples=tried,
        )
    if exact(witness):
        raise AuditError(f"float counterexample {witness!r} is not confirmed by exact arithmetic")
    shown = show(witness)
    # the same evidence whether the witness was re-checked from the record or searched
    evidence = [
        f"Hypothesis counterexample (shrunk; recorded): {shown}",
        "re-checked exactly (Fractions/SymPy or mpmath at 50 digits)",
    ]
    if condition is not None:
        witness2, tried2 = _find_bad(
            key + ":condition",
            condition.strategy,
            lambda ex: not holds(ex),
            lambda ex: not exact(ex),
            budget,
        )
        if witness2 is None:
            evidence.append(
                f"under the condition ({condition.text}): no counterexample in "
                f"{_examples_text(tried2, budget)}"
            )
            if proof is not None:
                if not proof.run():
                    raise AuditError(f"conditional proof fails: {proof.text}")
                evidence.append(f"proof under the condition: {proof.text}")
            return Outcome(
                "conditional",
                reason_fails or f"holds only if {condition.text}",
                counterexample=shown,
                evidence=tuple(evidence),
                examples=tried2,
                witness=witness,
            )
        evidence.append(f"the condition ({condition.text}) does not rescue it: {show(witness2)}")
    return Outcome(
        "false",
        reason_fails or "counterexample found",
        counterexample=shown,
        evidence=tuple(evidence),
        witness=witness,
    )


def exists(
    budget: Budget,
    *,
    strategy: Any,
    witness: Callable[[Any], bool],
    exact: Callable[[Any], bool],
    show: Callable[[Any], str],
    reason_found: str,
    reason_none: str,
) -> Outcome:
    """Verdict of "some draw of ``strategy`` satisfies ``witness``" (holds, with the witness).

    As in :func:`forall`, ``exact`` and ``show`` run at :data:`DPS` digits.
    Under the ``negate`` perturbation the statement becomes "no draw satisfies
    ``witness``"; under ``restrict`` the witnesses are filtered out of the domain.
    """
    key = _caller_key(2)
    exact, show = _precise(exact), _precise(show)
    if _STATE.mode == "negate":  # "no draw is a witness", searched without re-negating
        _STATE.mode = None
        try:
            return forall(
                budget,
                strategy=strategy,
                holds=lambda ex: not witness(ex),
                exact=lambda ex: not exact(ex),
                show=show,
            )
        finally:
            _STATE.mode = "negate"
    found, tried = _find_bad(key, strategy, witness, exact, budget)
    if found is None:
        return Outcome(
            "false",
            reason_none,
            evidence=(f"Hypothesis: no witness in {_examples_text(tried, budget)}",),
            examples=tried,
        )
    if not exact(found):
        raise AuditError(f"float witness {found!r} is not confirmed by exact arithmetic")
    return Outcome(
        "holds",
        reason_found,
        counterexample=show(found),
        evidence=(
            f"Hypothesis witness (shrunk; recorded): {show(found)}",
            "re-checked at high precision",
        ),
        witness=found,
    )


def refuted_by(found: Outcome, reason: str) -> Outcome:
    """Verdict of a claim that the witness found by :func:`exists` refutes.

    ``false`` (with ``reason`` and the witness) when ``found`` holds; otherwise
    ``holds``, with the reason no witness was found.
    """
    refuted = found.verdict == "holds" and bool(found.counterexample)
    return Outcome(
        "false" if refuted else "holds",
        reason if refuted else found.reason,
        counterexample=found.counterexample if refuted else "",
        evidence=found.evidence,
        examples=found.examples,
        witness=found.witness if refuted else None,
    )


def established(
    statement: bool,
    reason: str,
    *,
    evidence: Sequence[str] = (),
    counterexample: str = "",
    witness: Any = None,
) -> Outcome:
    """Outcome of a direct computation: ``holds`` if ``statement`` came out true, else ``false``.

    Under the ``negate`` perturbation the computed statement is negated.
    """
    if _STATE.mode == "negate":
        statement = not statement
    return Outcome(
        "holds" if statement else "false",
        reason,
        counterexample="" if statement else counterexample,
        evidence=tuple(evidence),
        witness=None if statement else witness,
    )


def code_listing(cases: Sequence[Case], *, summary: str, fixed: str = "") -> Outcome:
    """``code-defect`` when some case misbehaves (observed output differs from the correct one).

    Under the ``negate`` perturbation the statement "the listing is correct on every
    case" is negated: the verdict is ``code-defect`` exactly when no case is defective.
    """
    bad = [c for c in cases if c.defective]
    if _STATE.mode == "negate":
        bad = [] if bad else list(cases)
    evidence = tuple(
        f"input {c.input}: listing gives {c.observed}; correct {c.correct}"
        + (" [DEFECT]" if c.defective else "")
        for c in cases
    )
    if not bad:
        return Outcome("holds", fixed or summary, evidence=evidence)
    first = bad[0]
    return Outcome(
        "code-defect",
        summary,
        counterexample=f"{first.input} -> {first.observed} (correct: {first.correct})",
        evidence=evidence,
    )


def needs_condition(
    literal: Outcome, restricted: Outcome, *, condition: str, reason: str
) -> Outcome:
    """Verdict of a statement that fails as written but holds under an omitted ``condition``.

    ``literal`` is the computed outcome of the statement as written, ``restricted``
    that of the statement under the condition (both computed, never editorial).
    ``conditional`` when the literal statement is false and the restricted one
    holds; otherwise the literal outcome decides.
    """
    if literal.basis != "computed" or restricted.basis != "computed":
        raise AuditError("needs_condition combines computed outcomes only")
    if literal.verdict == "false" and restricted.verdict == "holds":
        return Outcome(
            "conditional",
            reason,
            counterexample=literal.counterexample,
            evidence=(
                *literal.evidence,
                f"under the condition ({condition}):",
                *restricted.evidence,
            ),
            examples=restricted.examples,
            witness=literal.witness,
        )
    return replace(
        literal,
        evidence=(*literal.evidence, f"under the condition ({condition}): {restricted.verdict}"),
    )


def with_readings(literal: Outcome, readings: Sequence[tuple[str, Outcome]]) -> Outcome:
    """The literal statement's outcome, with further readings each carrying its own verdict."""
    return replace(literal, readings=tuple(Reading(text, out) for text, out in readings))


def editorial(verdict: str, *, quote: str, judgement: str, reason: str = "") -> Outcome:
    """A judgement no computation can make (``basis="editorial"``).

    Parameters
    ----------
    verdict : str
        Usually ``vague`` or ``factual-error``.
    quote : str
        The phrase judged, a few words in the article's language.
    judgement : str
        What is missing, or what the correct reference says.
    reason : str, optional
        One line for the table (defaults to ``judgement``).
    """
    if not quote.strip() or not judgement.strip():
        raise AuditError("an editorial verdict needs the quoted phrase and the judgement")
    return Outcome(
        verdict,
        reason or judgement,
        counterexample=f"「{quote}」"
        if verdict in ("false", "conditional", "factual-error")
        else "",
        evidence=(f"editorial: the article says 「{quote}」; {judgement}",),
        basis="editorial",
    )

"""The ledger's data model and the rules that turn evidence into a verdict.

A claim is a record (id, article, section, paraphrase, formal reading, expected
verdict, corrected statement) plus a *check*: a function that gathers evidence
(a Hypothesis counterexample search, a SymPy proof, an exact re-check, a run of
a re-implemented code listing, a comparison with a reference table).  The
verdict is computed from that evidence by the helpers in :mod:`._evidence`;
the ledger only records the verdict it *expects*, and the audit reports any
disagreement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ARTICLES",
    "VERDICTS",
    "Article",
    "Claim",
    "Outcome",
    "Reading",
    "add_article",
    "claim",
    "ledger",
]

#: The verdict vocabulary, in the order the report lists it.
VERDICTS: tuple[str, ...] = (
    "holds", "false", "conditional", "ill-posed", "code-defect", "factual-error", "vague",
)


@dataclass(frozen=True)
class Article:
    """A source article: a short key used in claim ids, and a descriptive title."""

    key: str
    title: str


#: The four source articles (Chinese, 2023-era tutorial posts).
ARTICLES: dict[str, Article] = {a.key: a for a in (
    Article("CE", "Cross-entropy loss (theory, properties, gradient, NumPy listing)"),
    Article("SA", "#20 Self-attention in deep learning"),
    Article("SSL", "#21 Self-supervised learning in deep learning"),
    Article("REG", "#22 Regularisation methods in deep learning (text cut off mid-list)"),
)}


def add_article(key: str, title: str) -> Article:
    """Register another source article (its ``key`` prefixes its claim ids)."""
    if key in ARTICLES:
        raise ValueError(f"`key`: article {key!r} is already registered")
    ARTICLES[key] = Article(key, title)
    return ARTICLES[key]


@dataclass(frozen=True)
class Reading:
    """One precise reading of an ill-posed claim, with its own computed verdict."""

    reading: str
    outcome: Outcome


@dataclass(frozen=True)
class Outcome:
    """What a check found.

    ``verdict`` is computed from the evidence; ``reason`` is one line;
    ``counterexample`` is the shrunk minimal witness (with numbers) when there is
    one; ``evidence`` lists what was run (search sizes, proofs, exact values).
    """

    verdict: str
    reason: str
    counterexample: str = ""
    evidence: tuple[str, ...] = ()
    readings: tuple[Reading, ...] = ()

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"`verdict`: expected one of {VERDICTS}, got {self.verdict!r}")


@dataclass(frozen=True)
class Claim:
    """One ledger entry.  ``check(budget)`` gathers the evidence and returns an Outcome."""

    id: str
    article: str
    section: str
    paraphrase: str
    formal: str
    expected: str
    corrected: str
    check: Callable[[Any], Outcome] = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.article not in ARTICLES:
            raise ValueError(f"`article`: expected one of {sorted(ARTICLES)}, got {self.article!r}")
        if self.expected not in VERDICTS:
            raise ValueError(f"`expected`: expected one of {VERDICTS}, got {self.expected!r}")


_LEDGER: dict[str, Claim] = {}


def claim(*, id: str, article: str, section: str, paraphrase: str, formal: str,
          expected: str, corrected: str) -> Callable[[Callable[[Any], Outcome]], Claim]:
    """Decorator registering a check function as a ledger entry (ids must be unique)."""

    def register(check: Callable[[Any], Outcome]) -> Claim:
        if id in _LEDGER:
            raise ValueError(f"`id`: duplicate claim id {id!r}")
        entry = Claim(id=id, article=article, section=section, paraphrase=paraphrase,
                      formal=formal, expected=expected, corrected=corrected, check=check)
        _LEDGER[id] = entry
        return entry

    return register


def ledger() -> list[Claim]:
    """Every registered claim, in article order then registration order."""
    from mlmath.audit import claims  # noqa: F401  (importing registers the claims)

    order = list(ARTICLES)
    return sorted(_LEDGER.values(), key=lambda c: order.index(c.article))

"""The ledger's data model: articles, claims, outcomes and the registry they fill.

A claim is a record (id, article, section, paraphrase, the literal formal
reading, expected verdict, corrected statement) plus a *check*: a function that
gathers evidence (a Hypothesis counterexample search, a SymPy proof, an exact
re-check, a run of a re-implemented listing) and returns an :class:`Outcome`.
The verdict is computed from that evidence by :mod:`._evidence`; the ledger only
records the verdict it *expects*, and the audit reports any disagreement.

This module imports nothing else of the audit: the claim modules depend on it,
and :mod:`._registry` imports them explicitly (no import cycle).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ARTICLES",
    "BASES",
    "VERDICTS",
    "Article",
    "Claim",
    "Outcome",
    "Reading",
    "add_article",
    "claim",
    "registered",
]

#: The verdict vocabulary, in the order the report lists it.  (There is no "ill-posed":
#: every statement gets a literal reading whose verdict is computed; what no reading
#: can make precise is an editorial ``vague``.)
VERDICTS: tuple[str, ...] = (
    "holds",
    "false",
    "conditional",
    "code-defect",
    "factual-error",
    "vague",
)

#: What a verdict rests on: a check that could have come out otherwise, or a judgement.
BASES: tuple[str, ...] = ("computed", "editorial")


@dataclass(frozen=True)
class Article:
    """A source article: a short key used in claim ids, and a descriptive title."""

    key: str
    title: str


#: The four source articles (Chinese, 2023-era tutorial posts).
ARTICLES: dict[str, Article] = {
    a.key: a
    for a in (
        Article("CE", "Cross-entropy loss (theory, properties, gradient, NumPy listing)"),
        Article("SA", "#20 Self-attention in deep learning"),
        Article("SSL", "#21 Self-supervised learning in deep learning"),
        Article("REG", "#22 Regularisation methods in deep learning (text cut off mid-list)"),
    )
}


def add_article(key: str, title: str) -> Article:
    """Register another source article (its ``key`` prefixes its claim ids).

    Parameters
    ----------
    key : str
        Short key, e.g. ``"SM"``; must not be registered yet.
    title : str
        Descriptive title printed in the report.

    Returns
    -------
    Article
        The registered article.
    """
    if key in ARTICLES:
        raise ValueError(f"`key`: article {key!r} is already registered")
    ARTICLES[key] = Article(key, title)
    return ARTICLES[key]


@dataclass(frozen=True)
class Reading:
    """An additional (e.g. charitable) reading of a claim, with its own computed outcome."""

    reading: str
    outcome: Outcome


@dataclass(frozen=True)
class Outcome:
    """What a check found.

    Attributes
    ----------
    verdict : str
        One of :data:`VERDICTS`, computed from the evidence (or, with
        ``basis="editorial"``, a judgement no computation can make).
    reason : str
        One line.
    counterexample : str
        The rendered witness (with numbers) when there is one.
    evidence : tuple of str
        What was run: search sizes, proofs, exact values, listing runs.
    readings : tuple of Reading
        Further readings of the claim, each with its own verdict; the claim's
        verdict is that of the literal statement, never of a reading.
    basis : str
        ``"computed"`` or ``"editorial"`` (see :data:`BASES`).
    examples : int
        Hypothesis examples run by the search(es) behind a ``holds``.
    witness : object
        The raw counterexample (exact numbers), re-checkable by the tests.
    """

    verdict: str
    reason: str
    counterexample: str = ""
    evidence: tuple[str, ...] = ()
    readings: tuple[Reading, ...] = ()
    basis: str = "computed"
    examples: int = 0
    witness: Any = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"`verdict`: expected one of {VERDICTS}, got {self.verdict!r}")
        if self.basis not in BASES:
            raise ValueError(f"`basis`: expected one of {BASES}, got {self.basis!r}")
        if self.verdict == "vague" and self.basis != "editorial":
            raise ValueError("`verdict`: 'vague' is a judgement; it needs basis='editorial'")


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


def claim(
    *,
    id: str,
    article: str,
    section: str,
    paraphrase: str,
    formal: str,
    expected: str,
    corrected: str,
) -> Callable[[Callable[[Any], Outcome]], Claim]:
    """Decorator registering a check function as a ledger entry (ids must be unique)."""

    def register(check: Callable[[Any], Outcome]) -> Claim:
        if id in _LEDGER:
            raise ValueError(f"`id`: duplicate claim id {id!r}")
        entry = Claim(
            id=id,
            article=article,
            section=section,
            paraphrase=paraphrase,
            formal=formal,
            expected=expected,
            corrected=corrected,
            check=check,
        )
        _LEDGER[id] = entry
        return entry

    return register


def registered() -> list[Claim]:
    """The claims registered so far, in article order, then by id (digits as numbers)."""
    order = list(ARTICLES)
    return sorted(_LEDGER.values(), key=lambda c: (order.index(c.article), _natural(c.id)))


def _natural(text: str) -> tuple[tuple[int, str], ...]:
    """Sort key reading digit runs as numbers ("CE-2.10" after "CE-2.9")."""
    import re

    return tuple((int(t), "") if t.isdigit() else (0, t) for t in re.split(r"(\d+)", text) if t)

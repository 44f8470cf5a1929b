"""Shared pieces of the claim modules: the loss formulas as the articles write them (float
and 50-digit), and the :class:`Editorial` record with its registration."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
from hypothesis import strategies as st

from mlmath.audit._core import Claim, claim
from mlmath.audit._evidence import editorial
from mlmath.audit._num import DPS, mp

__all__ = [
    "FORMS",
    "Editorial",
    "free_probs",
    "loss_f",
    "loss_mp",
    "one_hot",
    "register_editorial",
    "softplus_mp",
]

#: The two expressions section 3.1 of the cross-entropy article calls "the" loss.
FORMS = ("categorical", "one-vs-rest")


def _flog(x: float) -> float:
    return math.log(x) if x > 0 else -math.inf


def loss_f(form: str, y: Sequence[Any], yhat: Sequence[Any]) -> float:
    """-Σ y log ŷ (categorical) or -Σ [y log ŷ + (1-y) log(1-ŷ)] (one-vs-rest), in float."""
    total = 0.0
    for yc, pc in zip(y, yhat, strict=True):
        yc, pc = float(yc), float(pc)
        if yc:
            total -= yc * _flog(pc)
        if form == "one-vs-rest" and yc != 1:
            total -= (1 - yc) * _flog(1 - pc)
    return total


def loss_mp(form: str, y: Sequence[Any], yhat: Sequence[Any]) -> Any:
    """The same loss at the current mpmath precision (ŷ may hold mpf for differentiation)."""
    total = mpmath.mpf(0)
    for yc, pc in zip(y, yhat, strict=True):
        yc_m = mp(yc)
        pc_m = pc if isinstance(pc, mpmath.mpf) else mp(pc)
        if yc_m:
            total -= yc_m * mpmath.log(pc_m)
        if form == "one-vs-rest" and yc_m != 1:
            total -= (1 - yc_m) * mpmath.log(1 - pc_m)
    return total


def softplus_mp(x: Any) -> Any:
    with mpmath.workdps(DPS):
        return mpmath.log1p(mpmath.exp(mp(x)))


def one_hot(k: int, j: int) -> tuple[Fraction, ...]:
    return tuple(Fraction(int(i == j)) for i in range(k))


def free_probs(k: int) -> Any:
    """Strategy: k free coordinates in (0, 1) (tenths), as partial derivatives treat ŷ."""
    return st.lists(st.integers(1, 9), min_size=k, max_size=k).map(
        lambda ns: tuple(Fraction(n, 10) for n in ns)
    )


@dataclass(frozen=True)
class Editorial:
    """A ledger entry judged editorially: no computation can decide it.

    ``quote`` is the judged phrase (a few words, in the article's language) and
    ``judgement`` what is missing or what the correct reference says; ``verdict``
    is both the expected and the reported verdict, with ``basis="editorial"``.
    """

    id: str
    section: str
    paraphrase: str
    verdict: str
    quote: str
    judgement: str
    corrected: str
    formal: str = "(no computable content; judged editorially)"


def register_editorial(article: str, entries: Sequence[Editorial]) -> list[Claim]:
    """Register the editorial entries of ``article`` (data, one record per entry)."""

    def make(e: Editorial) -> Claim:
        return claim(
            id=e.id,
            article=article,
            section=e.section,
            paraphrase=e.paraphrase,
            formal=e.formal,
            expected=e.verdict,
            corrected=e.corrected,
        )(lambda budget: editorial(e.verdict, quote=e.quote, judgement=e.judgement))

    return [make(e) for e in entries]

"""Strategies of the claims audit: exact (rational) distributions.

Counterexample searches need inputs that can be re-checked exactly, so these
draw integer weights and normalise them to ``Fraction`` probabilities; shrinking
then yields the simplest distributions (``(1/2, 1/2)``, ``(0, 1)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

__all__ = ["point_masses", "rational_distributions"]


def _normalise(weights: Sequence[int]) -> tuple[Fraction, ...]:
    total = sum(weights)
    return tuple(Fraction(w, total) for w in weights)


def rational_distributions(min_k: int = 2, max_k: int = 4, *, full_support: bool = False,
                           max_weight: int = 9) -> Any:
    """Probability vectors of length ``min_k..max_k`` with exact rational entries.

    Entries are integer weights in ``[0, max_weight]`` (``[1, max_weight]`` with
    ``full_support``) divided by their sum, so they sum to exactly 1.
    """
    low = 1 if full_support else 0
    weights = st.lists(st.integers(low, max_weight), min_size=min_k, max_size=max_k)
    return weights.filter(lambda w: sum(w) > 0).map(_normalise)


def point_masses(min_k: int = 1, max_k: int = 5) -> Any:
    """One-hot distributions (a deterministic random variable) of length ``min_k..max_k``."""
    return st.integers(min_k, max_k).flatmap(
        lambda k: st.integers(0, k - 1).map(
            lambda i: tuple(Fraction(int(j == i)) for j in range(k))))

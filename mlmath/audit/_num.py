"""Numbers for the audit: strategies over exact rationals, and 50-digit re-checks.

Counterexample searches draw *exact* inputs (integer weights normalised to
``Fraction`` distributions, small integers, or binary floats, which are exact
rationals too), evaluate the claim in float64 for speed, and re-check any
counterexample with mpmath at :data:`DPS` digits (or SymPy, exactly), so a
verdict never rests on a rounding error.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np

__all__ = [
    "DPS",
    "bound_text",
    "close",
    "distributions",
    "fmt",
    "fmt_vec",
    "mp",
    "mp_close",
    "mp_cross_entropy",
    "mp_entropy",
    "mp_kl",
    "mp_logsumexp",
    "mp_softmax",
    "mp_xlogy",
    "point_masses",
]

#: Digits of every high-precision re-check.
DPS = 50


def mp(x: Any) -> Any:
    """Exact mpmath copy of an int, a Fraction or a binary float (at the current precision)."""
    if isinstance(x, Fraction):
        return mpmath.mpf(x.numerator) / x.denominator
    return mpmath.mpf(x)


def mp_xlogy(x: Any, y: Any) -> Any:
    """x log y with the information-theory convention 0 log y = 0 (also for y = 0)."""
    return mpmath.mpf(0) if x == 0 else mp(x) * mpmath.log(mp(y))


def mp_entropy(p: Sequence[Any]) -> Any:
    return -mpmath.fsum(mp_xlogy(pi, pi) for pi in p)


def mp_cross_entropy(p: Sequence[Any], q: Sequence[Any]) -> Any:
    return -mpmath.fsum(mp_xlogy(pi, qi) for pi, qi in zip(p, q, strict=True))


def mp_kl(p: Sequence[Any], q: Sequence[Any]) -> Any:
    return mpmath.fsum(mp_xlogy(pi, pi) - mp_xlogy(pi, qi) for pi, qi in zip(p, q, strict=True))


def mp_logsumexp(z: Sequence[Any]) -> Any:
    zz = [mp(v) for v in z]
    m = max(zz)
    return m + mpmath.log(mpmath.fsum(mpmath.exp(v - m) for v in zz))


def mp_softmax(z: Sequence[Any]) -> list[Any]:
    lse = mp_logsumexp(z)
    return [mpmath.exp(mp(v) - lse) for v in z]


def mp_close(a: Any, b: Any, digits: int = 40) -> bool:
    """Equal to ``digits`` significant digits (infinities equal only to themselves)."""
    a, b = mp(a), mp(b)
    if mpmath.isinf(a) or mpmath.isinf(b):
        return bool(a == b)
    if mpmath.isnan(a) or mpmath.isnan(b):
        return False
    return bool(abs(a - b) <= mpmath.mpf(10) ** (-digits) * (1 + abs(a) + abs(b)))


def close(a: float, b: float, rtol: float = 1e-9) -> bool:
    """Float agreement for the fast search predicate (relative to the magnitudes involved).

    1e-9 is far above float64 rounding of the small sums evaluated here (at most
    a few hundred eps) and far below any discrepancy a false claim produces;
    counterexamples are re-checked at 50 digits anyway.
    """
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= rtol * (1.0 + abs(a) + abs(b))


def fmt(x: Any) -> str:
    """Compact exact rendering: Fractions as p/q, floats by repr, mpf to 6 digits."""
    if isinstance(x, Fraction):
        return str(x)
    if isinstance(x, mpmath.mpf):
        return mpmath.nstr(x, 6)
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x) if not isinstance(x, np.generic) else repr(x.item())


def fmt_vec(v: Iterable[Any]) -> str:
    return "(" + ", ".join(fmt(x) for x in v) + ")"


def distributions(min_k: int = 2, max_k: int = 4, *, full_support: bool = False,
                  max_weight: int = 9) -> Any:
    """Strategy: probability vectors with rational entries (see mlmath.strategies)."""
    from mlmath.strategies import rational_distributions

    return rational_distributions(min_k, max_k, full_support=full_support,
                                  max_weight=max_weight)


def point_masses(min_k: int = 1, max_k: int = 5) -> Any:
    """Strategy: one-hot distributions (see mlmath.strategies)."""
    from mlmath.strategies import point_masses as masses

    return masses(min_k, max_k)


def as_floats(v: Iterable[Any]) -> np.ndarray:
    return np.array([float(x) for x in v], dtype=np.float64)


def bound_text(x: float, bound: float) -> str:
    """``"< bound"`` when ``|x|`` is below ``bound`` (rounding noise), else ``x`` to 3 digits.

    Noise figures change between machines and library versions; the report prints
    them as a bound so that it is byte-identical everywhere.

    >>> bound_text(5.7e-31, 1e-12), bound_text(0.25, 1e-12)
    ('< 1e-12', '0.250')
    """
    if abs(x) < bound:
        return f"< {bound:.0e}".replace("e-0", "e-")
    return f"{x:.3f}"

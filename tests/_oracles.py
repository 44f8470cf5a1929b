"""mpmath oracle machinery: references at 50 digits and errors in units of eps.

Test files stay declarative: they name a reference function written with mpmath
and a set of hard points; this module evaluates the reference at high precision,
compares, and reports "k of n bad" with the worst points (SciPy's
``_mptestutils`` style).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import mpmath
import numpy as np

__all__ = ["DPS", "assert_accurate", "mp_reference", "mpf_array"]

#: Working precision of every reference (decimal digits).
DPS = 50


def mpf_array(x: Any) -> np.ndarray:
    """Object array of exact ``mpmath.mpf`` copies of the (binary) floats in ``x``."""
    arr = np.asarray(x, dtype=np.float64)
    out = np.empty(arr.shape, dtype=object)
    for idx, value in np.ndenumerate(arr):
        out[idx] = mpmath.mpf(float(value))
    return out


def mp_reference(fn: Callable[..., Any], *args: Any) -> Any:
    """Evaluate ``fn`` at DPS digits on exact copies of the float inputs.

    ``fn`` receives object arrays of ``mpf`` (or plain scalars) and returns an
    ``mpf``, a number, or an object array; the result is rounded to float64.
    """
    with mpmath.workdps(DPS):
        res = fn(*[mpf_array(a) for a in args])
        return np.vectorize(lambda r: float(mpmath.mpf(r)), otypes=[np.float64])(res)


def assert_accurate(
    actual: Any, expected: Any, *, max_eps: float, dtype: Any, label: str,
    points: Sequence[Any] | None = None,
) -> float:
    """Assert the relative error of ``actual`` is at most ``max_eps`` ulps of ``dtype``.

    ``expected`` is the float64 rounding of a 50-digit reference; exact matches
    (zeros and infinities included) count as error 0.  Returns the worst error
    in eps; on failure reports "k of n bad" with the five worst points.
    """
    eps = float(np.finfo(dtype).eps)
    a = np.asarray(actual, dtype=np.float64).reshape(-1)
    e = np.asarray(expected, dtype=np.float64).reshape(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.where(a == e, 0.0, np.abs(a - e) / (np.abs(e) * eps))
    err = np.where(np.isnan(err), np.inf, err)
    bad = np.flatnonzero(err > max_eps)
    if bad.size:
        worst = bad[np.argsort(err[bad])[::-1][:5]]
        lines = [f"  [{i}] got {a[i]!r}, expected {e[i]!r}: {err[i]:.3g} eps"
                 + (f" at {points[i]!r}" if points is not None else "") for i in worst]
        raise AssertionError(
            f"[accuracy:{label}] {bad.size} of {a.size} bad (bound {max_eps} eps of "
            f"{np.dtype(dtype).name}); worst:\n" + "\n".join(lines)
        )
    return float(err.max(initial=0.0))


# ---------------------------------------------------------------- information measures
# References for mlmath.information, on object arrays of mpf (rows along the last
# axis).  They follow the documented definitions exactly: the KL divergence is the
# sum of the non-negative terms p log(p/q) - p + q (equal to sum p log(p/q) for
# normalised inputs), and cross-entropy is H(p) + KL(p||q).

def _rows(x: Any) -> Any:
    arr = np.asarray(x, dtype=object)
    return arr.reshape(-1, arr.shape[-1]), arr.shape[:-1]


def _rowwise(term: Callable[..., Any], *arrays: Any) -> Any:
    rows = [_rows(a) for a in arrays]
    shape = rows[0][1]
    out = np.empty(len(rows[0][0]), dtype=object)
    for i in range(len(out)):
        out[i] = mpmath.fsum(term(*vals) for vals in zip(*(r[0][i] for r in rows), strict=True))
    return out.reshape(shape) if shape else out[0]


def mp_entropy(p: Any) -> Any:
    """-sum p log p with 0 log 0 = 0."""
    return _rowwise(lambda a: -a * mpmath.log(a) if a > 0 else mpmath.mpf(0), p)


def mp_kl(p: Any, q: Any) -> Any:
    """sum (p log(p/q) - p + q); +inf where q = 0 < p."""
    def term(a: Any, b: Any) -> Any:
        if a == 0:
            return b
        if b == 0:
            return mpmath.inf
        return a * mpmath.log(a / b) - a + b
    return _rowwise(term, p, q)


def mp_cross_entropy(p: Any, q: Any) -> Any:
    """H(p) + KL(p||q) (= -sum p log q for normalised inputs)."""
    return mp_entropy(p) + mp_kl(p, q)


def mp_js(p: Any, q: Any) -> Any:
    """sum (p log(2p/(p+q)) + q log(2q/(p+q))) / 2."""
    def half(a: Any, s: Any) -> Any:
        return a * mpmath.log(2 * a / s) if a > 0 else mpmath.mpf(0)
    return _rowwise(lambda a, b: (half(a, a + b) + half(b, a + b)) / 2, p, q)


def mp_binary_entropy(p: Any) -> Any:
    """-p log p - (1 - p) log(1 - p), elementwise."""
    def h(a: Any) -> Any:
        return (-a * mpmath.log(a) if a > 0 else 0) - (1 - a) * mpmath.log1p(-a)
    return np.vectorize(h, otypes=[object])(p)


#: Joint-table references work at this precision: a marginal such as 0.5 + 5e-201
#: must keep its tiny part (it decides H(X|Y) of a near-deterministic column).
JOINT_DPS = 700


def _marginals(pxy: Any) -> tuple[Any, Any]:
    t = np.asarray(pxy, dtype=object)
    px = [mpmath.fsum(t[i, :]) for i in range(t.shape[0])]
    py = [mpmath.fsum(t[:, j]) for j in range(t.shape[1])]
    return px, py


def mp_conditional_entropy(pxy: Any) -> Any:
    """H(X|Y) = -sum p(x,y) log(p(x,y) / p(y)), Y = columns."""
    t = np.asarray(pxy, dtype=object)
    with mpmath.workdps(JOINT_DPS):
        _, py = _marginals(t)
        return +mpmath.fsum(-t[i, j] * mpmath.log(t[i, j] / py[j])
                           for i in range(t.shape[0]) for j in range(t.shape[1]) if t[i, j] > 0)


def mp_mutual_information(pxy: Any) -> Any:
    """sum (p log(p / (px py)) - p + px py), exact marginals."""
    t = np.asarray(pxy, dtype=object)
    with mpmath.workdps(JOINT_DPS):
        px, py = _marginals(t)
        total = []
        for i in range(t.shape[0]):
            for j in range(t.shape[1]):
                q = px[i] * py[j]
                a = t[i, j]
                total.append(q if a == 0 else a * mpmath.log(a / q) - a + q)
        return +mpmath.fsum(total)

"""mpmath oracle machinery: references at 50 digits and errors in units of eps.

Used by the tests and, at run time, by ``mlmath check`` (its accuracy corpus).

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

__all__ = [
    "DPS",
    "assert_accurate",
    "errors_in_eps",
    "mp_all_three",
    "mp_binary_cross_entropy",
    "mp_binary_entropy",
    "mp_conditional_entropy",
    "mp_cross_entropy",
    "mp_entropy",
    "mp_js",
    "mp_kl",
    "mp_log_sigmoid",
    "mp_log_softmax",
    "mp_logsumexp",
    "mp_mutual_information",
    "mp_neg_log_softmax",
    "mp_reference",
    "mp_sigmoid",
    "mp_sigmoid_binary_cross_entropy",
    "mp_softmax",
    "mp_softmax_cross_entropy",
    "mp_softmax_cross_entropy_grad",
    "mp_softplus",
    "mp_weighted_logsumexp",
    "mpf_array",
    "overflow_to_inf",
    "smoothed_mass",
]

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
    with mpmath.workdps(DPS), np.errstate(over="ignore"):  # beyond float64 -> +-inf
        res = fn(*[mpf_array(a) for a in args])
        return np.vectorize(lambda r: float(mpmath.mpf(r)), otypes=[np.float64])(res)


def overflow_to_inf(reference: Any, dtype: Any) -> np.ndarray:
    """References beyond the range of ``dtype`` become +-inf (the correctly rounded result)."""
    ref = np.asarray(reference, dtype=np.float64)
    fmax = float(np.finfo(dtype).max)
    return np.where(np.abs(ref) > fmax, np.copysign(np.inf, ref), ref)


def errors_in_eps(actual: Any, expected: Any, *, dtype: Any,
                  subnormal_floor: bool = False) -> np.ndarray:
    """Relative errors in eps of ``dtype`` (see :func:`assert_accurate`); NaN -> inf."""
    eps = float(np.finfo(dtype).eps)
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    scale = np.abs(e)
    if subnormal_floor:
        scale = np.maximum(scale, float(np.finfo(dtype).tiny))
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.where(a == e, 0.0, np.abs(a - e) / (scale * eps))
    return np.where(np.isnan(err), np.inf, err)


def assert_accurate(
    actual: Any, expected: Any, *, max_eps: float, dtype: Any, label: str,
    points: Sequence[Any] | None = None, subnormal_floor: bool = False,
) -> float:
    """Assert the relative error of ``actual`` is at most ``max_eps`` ulps of ``dtype``.

    ``expected`` is the float64 rounding of a 50-digit reference; exact matches
    (zeros and infinities included) count as error 0.  With
    ``subnormal_floor``, errors of results below the smallest normal number of
    ``dtype`` are measured against that number instead (i.e. in units of the
    subnormal spacing), since a subnormal result cannot carry a relative error
    of a few eps.  Returns the worst error in eps; on failure reports "k of n
    bad" with the five worst points.
    """
    a = np.asarray(actual, dtype=np.float64).reshape(-1)
    e = np.asarray(expected, dtype=np.float64).reshape(-1)
    err = errors_in_eps(a, e, dtype=dtype, subnormal_floor=subnormal_floor)
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


# --------------------------------------------------------------------------- #
# Loss references (mlmath.losses).  Each works on one example; the formulas  #
# are written so that no 50-digit subtraction cancels, even for 1e4 logits.  #
# --------------------------------------------------------------------------- #

def mp_neg_log_softmax(row: Sequence[Any], c: int) -> Any:
    """-log softmax(row)_c = log1p(sum_{j != c} exp(row_j - row_c)) (no cancellation)."""
    return mpmath.log1p(mpmath.fsum(mpmath.exp(row[j] - row[c])
                                    for j in range(len(row)) if j != c))


def mp_softmax_cross_entropy(row: Sequence[Any], mass: Sequence[Any]) -> Any:
    """sum_c mass_c · (-log softmax(row)_c): the loss for target mass a = w·t'."""
    return mpmath.fsum(a * mp_neg_log_softmax(row, c) for c, a in enumerate(mass) if a)


def mp_softmax_cross_entropy_grad(row: Sequence[Any], mass: Sequence[Any]) -> list[Any]:
    """d/dx_c = A p_c - a_c, written as (sum_{j != c} a_j - a_c r_c) / (1 + r_c)."""
    out = []
    for c in range(len(row)):
        r = mpmath.fsum(mpmath.exp(row[j] - row[c]) for j in range(len(row)) if j != c)
        others = mpmath.fsum(a for j, a in enumerate(mass) if j != c)
        out.append((others - mass[c] * r) / (1 + r))
    return out


def smoothed_mass(n_classes: int, target: Any, *, smoothing: float = 0.0,
                  weights: Sequence[float] | None = None) -> list[Any]:
    """Exact target mass a_c = w_c ((1 - eps) t_c + eps / C) as mpf (t: label or vector)."""
    with mpmath.workdps(DPS):
        if np.ndim(target) == 0:
            t = [mpmath.mpf(int(c == int(target))) for c in range(n_classes)]
        else:
            t = [mpmath.mpf(float(x)) for x in target]
        eps = mpmath.mpf(smoothing)
        w = [mpmath.mpf(1)] * n_classes if weights is None else [mpmath.mpf(float(x))
                                                                for x in weights]
        return [w[c] * ((1 - eps) * t[c] + eps / n_classes) for c in range(n_classes)]


def mp_sigmoid_binary_cross_entropy(z: Any, y: Any, pos_weight: Any = 1) -> Any:
    """pos_weight·y·softplus(-z) + (1 - y)·softplus(z)."""
    return pos_weight * y * mp_softplus(-z) + (1 - y) * mp_softplus(z)


def mp_binary_cross_entropy(p: Any, y: Any) -> Any:
    """-(y log p + (1 - y) log1p(-p)) with 0 log 0 = 0 and +inf where they disagree.

    ``log1p(-p)``, not ``log(1 - p)``: at 50 digits 1 - 1e-300 is 1.
    """
    pos = mpmath.mpf(0) if y == 0 else (y * mpmath.log(p) if p > 0 else -mpmath.inf)
    neg = mpmath.mpf(0) if y == 1 else ((1 - y) * mpmath.log1p(-p) if p < 1 else -mpmath.inf)
    return -(pos + neg)


# ----------------------------------------------------------------------------
# References for mlmath.special (evaluated at DPS digits by mp_reference).
# ----------------------------------------------------------------------------

def _mp_row(row: Any) -> tuple[Any, Any, list[Any]]:
    """``(m, log1p(rest), [e^(t - m)])`` at 50 digits.

    50 digits would round 1 + 1e-305 to 1, so the reference keeps the sum of
    all terms but one maximal one (``rest``) apart, exactly as the math says.
    """
    k = int(np.argmax(np.asarray(row, dtype=np.float64)))  # which max: any (exact floats)
    m = row[k]
    if m == -mpmath.inf:
        return m, mpmath.mpf(0), [mpmath.mpf(0)] * len(row)
    shifted = [mpmath.exp(t - m) for t in row]
    rest = mpmath.fsum(shifted[:k] + shifted[k + 1:])
    return m, mpmath.log1p(rest), shifted


def mp_logsumexp(row: Any) -> Any:
    m, log_total, _ = _mp_row(row)
    return m + log_total


def mp_weighted_logsumexp(row: Any, weights: Any) -> tuple[float, float, float]:
    """``(log|S|, sign S, kappa)`` of ``S = sum b e^x`` at DPS digits, as floats.

    ``kappa = sum |b e^x| / |S|`` is the condition number of the sum (inf when
    ``S = 0``, whose log is ``-inf``).
    """
    with mpmath.workdps(DPS):
        terms = [mpmath.mpf(float(b)) * mpmath.exp(mpmath.mpf(float(x)))
                 for x, b in zip(np.ravel(row), np.ravel(weights), strict=True)
                 if b != 0 and x > -np.inf]
        total = mpmath.fsum(terms)
        size = mpmath.fsum(abs(t) for t in terms)
        if total == 0:
            return -np.inf, 0.0, np.inf
        return (float(mpmath.log(abs(total))), float(mpmath.sign(total)),
                float(size / abs(total)))


def mp_softmax(row: Any) -> Any:
    _, log_total, shifted = _mp_row(row)
    return np.array([e / mpmath.exp(log_total) for e in shifted], dtype=object)


def mp_log_softmax(row: Any) -> Any:
    m, log_total, _ = _mp_row(row)
    return np.array([(t - m) - log_total for t in row], dtype=object)


def mp_all_three(row: Any) -> Any:
    """logsumexp, softmax and log_softmax of one row from one pass (long rows)."""
    m, log_total, shifted = _mp_row(row)
    total = mpmath.exp(log_total)
    return np.array([[m + log_total] * len(row), [e / total for e in shifted],
                     [(t - m) - log_total for t in row]], dtype=object)


def mp_sigmoid(x: Any) -> Any:
    return np.vectorize(lambda t: 1 / (1 + mpmath.exp(-t)), otypes=[object])(x)


def mp_softplus(x: Any) -> Any:
    return np.vectorize(lambda t: mpmath.log1p(mpmath.exp(t)), otypes=[object])(x)


def mp_log_sigmoid(x: Any) -> Any:
    return np.vectorize(lambda t: -mpmath.log1p(mpmath.exp(-t)), otypes=[object])(x)


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

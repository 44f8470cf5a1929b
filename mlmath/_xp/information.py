"""Portable ``mlmath.information`` (standard Array API operations only).

The NumPy path's term formulas, operation for operation: exact ``0 log 0 = 0``
through ``where``, the power series of KL and JS terms near ``p = q`` (Horner
with the same coefficients), ``log1p`` where the NumPy path uses it, float64
accumulation.  The Rényi divergence's terms are the NumPy
path's own function (:func:`mlmath.information._renyi_terms`, namespace-generic),
its small power sums the native ``logsumexp``.  The joint-table measures use
the NumPy path's double-double marginals (:func:`mlmath._compensated.dd_sum`
and ``two_prod``, namespace-generic) and, for the mutual information, its
exact power-of-2 scaling, with ``frexp``/``ldexp`` (not in the standard)
replaced by :func:`mlmath._xp._numerics.exponent` and ``ldexp``.
Validation checks the row sums and minima natively; only when
they fail does the call rerun on the host, so that the error message (the
first bad position, the offending sum) is the NumPy path's, word for word.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from mlmath import _validation as v
from mlmath import information as _np_info
from mlmath._compensated import dd_sum, two_prod
from mlmath._namespace import OnHost, device_of, first_array
from mlmath._xp import _numerics as nx
from mlmath._xp import special as _special

__all__ = ["binary_entropy", "conditional_entropy", "cross_entropy", "entropy", "joint_entropy",
           "js_distance", "js_divergence", "kl_divergence", "mutual_information",
           "renyi_divergence", "renyi_entropy", "tsallis_entropy"]

_B_TAYLOR = [float(c) for c in _np_info._B_TAYLOR]
_B_FIT = [float(c) for c in _np_info._B_FIT]
_G_TAYLOR = [float(c) for c in _np_info._G_TAYLOR]
_G_FIT = [float(c) for c in _np_info._G_FIT]
_G_LOG_SERIES = [float(c) for c in _np_info._G_LOG_SERIES]
_LN2 = math.log(2.0)
_INF = float("inf")


#: The native checks failed: the caller reruns on the host for the exact message.
Invalid = OnHost


# --------------------------------------------------------------------------- terms
def _horner(xp: ModuleType, coeffs: Sequence[float], x: Any) -> Any:
    acc = xp.full_like(x, coeffs[-1])
    for c in coeffs[-2::-1]:
        acc = acc * x + c
    return acc


def _series(xp: ModuleType, taylor: list[float], fit: list[float], x: Any) -> Any:
    xmax = float(xp.max(x)) if math.prod(x.shape) else 0.0
    n = 1 if xmax <= 0.0 else math.ceil(56.0 / -math.log2(xmax))
    return _horner(xp, taylor[:n] if n < len(fit) else fit, x)


def _series_argument(xp: ModuleType, d: Any, dmax: float) -> tuple[Any, Any]:
    x = d * d
    inside = x <= dmax * dmax
    return xp.where(inside, x, dmax * dmax), inside  # fmin: NaN (p = q = 0) -> dmax^2


def _log_ratio(xp: ModuleType, p: Any, q: Any, delta: Any = None) -> Any:
    out = xp.log(p / q) if delta is None else xp.log1p(delta / q)
    bad = ~(xp.abs(out) < 700.0) & (p > 0) & (q > 0)  # p / q over- or underflowed
    return xp.where(bad, xp.log(p) - xp.log(q), out)


def _neg_xlogx(xp: ModuleType, p: Any) -> Any:
    return -(xp.log(xp.where(p > 0, p, 1.0)) * p)  # log 1 = 0: the zero entries are exact 0


def _neg_xlogx_from_log(xp: ModuleType, lp: Any) -> Any:
    return xp.where(lp == -_INF, 0.0, -xp.exp(lp) * lp)


def _kl_terms(xp: ModuleType, p: Any, q: Any, delta: Any = None) -> Any:
    if delta is None:  # (the mutual information passes a more accurate p - q)
        delta = p - q  # exact where |d| <= 1/3 (Sterbenz)
    s = p + q
    out = p * _log_ratio(xp, p, q) - delta
    out = xp.where(p == 0, q, out)  # 0 log 0 = 0 and 0 log(0/q) = 0: the term is q
    d = delta / s
    x, inside = _series_argument(xp, d, _np_info._KL_SERIES_MAX_D)
    b = _series(xp, _B_TAYLOR, _B_FIT, x)
    b = (b * (d * (1.0 + d)) + 1.0) * (delta * delta / s)
    return xp.where(inside, b, out)


def _kl_terms_from_logs(xp: ModuleType, lp: Any, lq: Any) -> Any:
    r = lp - lq
    p, q = xp.exp(lp), xp.exp(lq)
    near = xp.abs(r) <= 1.0
    rs = xp.where(near, r, 0.0)
    series = _horner(xp, _G_LOG_SERIES, rs) * rs * rs * q
    direct = p * (r - 1.0) + q
    out = xp.where(near, series, direct)
    out = xp.where(lp == -_INF, q, out)
    return xp.where((lp == -_INF) & (lq == -_INF), 0.0, out)


def _kl_pair_terms(xp: ModuleType, pc: Any, qc: Any, logs: tuple[bool, bool]) -> Any:
    if not any(logs):
        return _kl_terms(xp, pc, qc)
    return _kl_terms_from_logs(xp, pc if logs[0] else xp.log(pc), qc if logs[1] else xp.log(qc))


def _js_terms(xp: ModuleType, p: Any, q: Any) -> Any:
    p, q = xp.maximum(p, q), xp.minimum(p, q)
    delta = p - q
    s = p + q
    out = (p * _log_ratio(xp, 2.0 * p, s, delta) - q * _log_ratio(xp, s, 2.0 * q, delta)) * 0.5
    out = xp.where(q == 0, (0.5 * _LN2) * s, out)
    d = delta / s
    x, inside = _series_argument(xp, d, _np_info._JS_SERIES_MAX_D)
    g = _series(xp, _G_TAYLOR, _G_FIT, x) * (delta * delta / (4.0 * s))
    return xp.where(inside, g, out)


def _power_sum_excess(xp: ModuleType, p: Any, order: float) -> Any:
    delta = order - 1.0
    scaled = delta * xp.log(p)
    near = xp.abs(scaled) <= 1.0
    terms = xp.where(near, p * xp.expm1(xp.where(near, scaled, 0.0)), p**order - p)
    return xp.sum(xp.where(p == 0, 0.0, terms), axis=-1)


# ------------------------------------------------------------------ row machinery
def _reduce(xp: ModuleType, arrays: Sequence[tuple[Any, str]], axis: Any, base: Any,
            validate: bool, term_sums: Callable[..., Any],
            logs: Sequence[bool] | None = None) -> Any:
    """Validate, lay out rows (axes merged last, float64), reduce, scale by the base.

    Raises :class:`Invalid` when the rows are not distributions (the caller
    reruns on the host, whose checks name the first bad entry).
    """
    b = v.check_base(base)
    logs = [False] * len(arrays) if logs is None else list(logs)
    device = device_of(first_array(*(a for a, _ in arrays)))
    converted = [v.xp_as_float_array(xp, v.xp_asarray(xp, a, name, device=device), name)
                 for a, name in arrays]
    names = [name for _, name in arrays]
    out_dtype = v.xp_result_dtype(xp, *(d for _, d in converted))
    shape = tuple(v.broadcast_shape([a for a, _ in converted], names))
    if not shape:
        raise ValueError(f"`{names[0]}`: expected at least 1 dimension (a distribution), "
                         "got a scalar")
    axes = v.check_axes(axis, len(shape))
    inputs = [xp.broadcast_to(a, shape) for a, _ in converted]
    for a in axes:
        v.check_nonempty_axis(inputs[0], a, names[0])
    rows = [xp.astype(nx.rows(xp, a, axes, scalar=False).x2, xp.float64, copy=False)
            for a in inputs]
    if validate:
        tol = v.normalisation_tolerance(_np_dtype(out_dtype), rows[0].shape[-1])
        for r, log in zip(rows, logs, strict=True):
            lin = xp.exp(r) if log else r
            if not bool(xp.all(xp.abs(xp.sum(lin, axis=-1) - 1.0) <= tol)
                        & xp.all(xp.min(lin, axis=-1) >= 0)):
                raise Invalid
    values = term_sums(*rows)
    if b is not None:
        values = values / math.log(b)
    return xp.astype(values, out_dtype)


def _np_dtype(dtype: Any) -> Any:
    """The NumPy dtype of the same name (for the normalisation tolerance)."""
    import numpy as np

    return np.dtype(str(dtype).rsplit(".", 1)[-1])


# ------------------------------------------------------------------ public
@nx.quiet
def entropy(xp: ModuleType, p: Any, *, axis: Any, base: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.entropy`."""
    return _reduce(xp, [(p, "p")], axis, base, validate,
                   lambda pc: xp.sum(_neg_xlogx(xp, pc), axis=-1))


@nx.quiet
def kl_divergence(xp: ModuleType, p: Any, q: Any, *, axis: Any, base: Any, validate: bool,
                  generalized: bool, log_input: bool, log_target: bool) -> Any:
    """Portable :func:`mlmath.kl_divergence`."""
    v.check_bool(generalized, "generalized")
    logs = (v.check_bool(log_target, "log_target"), v.check_bool(log_input, "log_input"))

    def terms(pc: Any, qc: Any) -> Any:
        total = xp.sum(_kl_pair_terms(xp, pc, qc, logs), axis=-1)
        if generalized:
            return total
        lin_p, lin_q = (xp.exp(a) if log else a for a, log in zip((pc, qc), logs, strict=True))
        return total + xp.sum(lin_p - lin_q, axis=-1)

    return _reduce(xp, [(p, "p"), (q, "q")], axis, base, validate, terms, logs=logs)


@nx.quiet
def cross_entropy(xp: ModuleType, p: Any, q: Any, *, axis: Any, base: Any, validate: bool,
                  log_input: bool, log_target: bool) -> Any:
    """Portable :func:`mlmath.cross_entropy` (entropy + KL: exact Gibbs)."""
    logs = (v.check_bool(log_target, "log_target"), v.check_bool(log_input, "log_input"))

    def terms(pc: Any, qc: Any) -> Any:
        h = _neg_xlogx(xp, pc) if not logs[0] else _neg_xlogx_from_log(xp, pc)
        return xp.sum(h, axis=-1) + xp.sum(_kl_pair_terms(xp, pc, qc, logs), axis=-1)

    return _reduce(xp, [(p, "p"), (q, "q")], axis, base, validate, terms, logs=logs)


@nx.quiet
def js_divergence(xp: ModuleType, p: Any, q: Any, *, axis: Any, base: Any,
                  validate: bool) -> Any:
    """Portable :func:`mlmath.js_divergence`."""
    return _reduce(xp, [(p, "p"), (q, "q")], axis, base, validate,
                   lambda pc, qc: xp.sum(_js_terms(xp, pc, qc), axis=-1))


@nx.quiet
def js_distance(xp: ModuleType, p: Any, q: Any, *, axis: Any, base: Any,
                validate: bool) -> Any:
    """Portable :func:`mlmath.js_distance`."""
    return xp.sqrt(js_divergence(xp, p, q, axis=axis, base=base, validate=validate))


@nx.quiet
def renyi_entropy(xp: ModuleType, p: Any, *, alpha: Any, axis: Any, base: Any,
                  validate: bool) -> Any:
    """Portable :func:`mlmath.renyi_entropy`."""
    alpha = v.check_order(alpha, "alpha", allow_inf=True)
    if alpha == 1.0:
        return entropy(xp, p, axis=axis, base=base, validate=validate)
    delta = alpha - 1.0

    def terms(pc: Any) -> Any:
        if alpha == _INF:
            return -xp.log(xp.max(pc, axis=-1))
        if alpha == 0.0:
            count = xp.astype(xp.count_nonzero(pc, axis=-1), xp.float64)
            return xp.log(count + 0.0 * xp.sum(pc, axis=-1))  # an unvalidated NaN propagates
        excess = _power_sum_excess(xp, pc, alpha)
        small = excess < -0.5  # sum p^alpha < 1/2: log1p would lose its digits
        out = -xp.log1p(xp.where(small, 0.0, excess)) / delta
        if bool(xp.any(small)):
            lse = _special.logsumexp(xp, alpha * xp.log(pc), axis=-1, b=None, keepdims=False,
                                     return_sign=False, where=None, validate=False)
            out = xp.where(small, -lse / delta, out)
        return out

    return _reduce(xp, [(p, "p")], axis, base, validate, terms)


@nx.quiet
def renyi_divergence(xp: ModuleType, p: Any, q: Any, *, alpha: Any, axis: Any, base: Any,
                     validate: bool) -> Any:
    """Portable :func:`mlmath.renyi_divergence`."""
    alpha = v.check_order(alpha, "alpha", allow_inf=True)
    if alpha == 1.0:
        return kl_divergence(xp, p, q, axis=axis, base=base, validate=validate,
                             generalized=True, log_input=False, log_target=False)
    delta = alpha - 1.0

    def terms(pc: Any, qc: Any) -> Any:
        if alpha == _INF:
            return xp.log(xp.max(xp.where(pc > 0, pc / qc, 0.0), axis=-1))
        if alpha == 0.0:  # -log q(supp p)
            return -xp.log(xp.sum(xp.where(pc > 0, qc, 0.0), axis=-1))
        scaled = delta * xp.sum(_np_info._renyi_terms(pc, qc, alpha, xp), axis=-1)
        # The power sum is below 1/2 (log1p would lose its digits), or a term
        # overflowed (t^alpha beyond the float range): take the log directly.
        small = (scaled < -0.5) | ~xp.isfinite(scaled)
        out = xp.log1p(xp.where(small, 0.0, scaled)) / delta
        if bool(xp.any(small)):
            logs = xp.where(pc > 0, alpha * xp.log(pc) + (1 - alpha) * xp.log(qc), -_INF)
            lse = _special.logsumexp(xp, logs, axis=-1, b=None, keepdims=False,
                                     return_sign=False, where=None, validate=False)
            out = xp.where(small, lse / delta, out)
        return out

    return _reduce(xp, [(p, "p"), (q, "q")], axis, base, validate, terms)


@nx.quiet
def tsallis_entropy(xp: ModuleType, p: Any, *, q: Any, axis: Any, base: Any,
                    validate: bool) -> Any:
    """Portable :func:`mlmath.tsallis_entropy`."""
    index = v.check_order(q, "q", allow_inf=False)
    if index == 1.0:
        return entropy(xp, p, axis=axis, base=base, validate=validate)
    delta = index - 1.0
    return _reduce(xp, [(p, "p")], axis, base, validate,
                   lambda pc: -_power_sum_excess(xp, pc, index) / delta)


@nx.quiet
def binary_entropy(xp: ModuleType, p: Any, *, base: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.binary_entropy`."""
    b = v.check_base(base)
    arr, out_dtype = v.xp_as_float_array(xp, p, "p")
    if validate:
        v.xp_check_unit_interval(xp, arr, "p")
    x = xp.astype(arr, xp.float64, copy=False)
    a = xp.minimum(x, 1.0 - x)
    h = _neg_xlogx(xp, a) - (1.0 - a) * xp.log1p(-a)
    if b is not None:
        h = h / math.log(b)
    return xp.astype(h, out_dtype)


def _joint_table(xp: ModuleType, pxy: Any, validate: bool) -> tuple[Any, Any]:
    """``(table in float64, output dtype)``: the NumPy path's checks of a joint table.

    Raises :class:`Invalid` when the entries are negative or do not sum to 1.
    """
    arr, out_dtype = v.xp_as_float_array(xp, pxy, "pxy")
    if arr.ndim != 2:
        raise ValueError(f"`pxy`: expected a 2-D joint table pxy[x, y], got shape "
                         f"{tuple(arr.shape)}")
    if math.prod(arr.shape) == 0:
        raise ValueError(f"`pxy`: expected a non-empty table, got shape {tuple(arr.shape)}")
    x = xp.astype(arr, xp.float64, copy=False)
    if validate:
        tol = v.normalisation_tolerance(_np_dtype(out_dtype), math.prod(x.shape))
        if not bool((xp.abs(xp.sum(xp.reshape(x, (-1,))) - 1.0) <= tol) & (xp.min(x) >= 0)):
            raise Invalid
    return x, out_dtype


def _table_result(xp: ModuleType, value: Any, base: float | None, out_dtype: Any) -> Any:
    """A table's scalar result: nats to ``base``, rounded to the output dtype."""
    if base is not None:
        value = value / math.log(base)
    return xp.astype(value, out_dtype)


@nx.quiet
def joint_entropy(xp: ModuleType, pxy: Any, *, base: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.joint_entropy`."""
    b = v.check_base(base)
    x, out_dtype = _joint_table(xp, pxy, validate)
    return _table_result(xp, xp.sum(_neg_xlogx(xp, xp.reshape(x, (-1,)))), b, out_dtype)


@nx.quiet
def conditional_entropy(xp: ModuleType, pxy: Any, *, base: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.conditional_entropy` (double-double column sums)."""
    b = v.check_base(base)
    x, out_dtype = _joint_table(xp, pxy, validate)
    hi, lo = dd_sum(x, 0, xp)
    rest = (hi[None, :] - x) + lo[None, :]  # exact difference when x >= p(y)/2
    terms = xp.where(x == 0, 0.0, x * _log_ratio(xp, hi[None, :], x, rest))
    return _table_result(xp, xp.sum(xp.reshape(terms, (-1,))), b, out_dtype)


@nx.quiet
def mutual_information(xp: ModuleType, pxy: Any, *, base: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.mutual_information` (exact scaling by powers of 2)."""
    b = v.check_base(base)
    x, out_dtype = _joint_table(xp, pxy, validate)
    px_hi, px_lo = dd_sum(x, 1, xp)
    py_hi, py_lo = dd_sum(x, 0, xp)
    # Exact scaling by powers of 2 puts both marginals in [1/2, 1): the product
    # and its Dekker error term cannot underflow, and each term is 1-homogeneous,
    # T(2^k p, 2^k q) = 2^k T(p, q).
    ex, ey = nx.exponent(xp, px_hi), nx.exponent(xp, py_hi)
    mx, my = nx.ldexp(xp, px_hi, -ex), nx.ldexp(xp, py_hi, -ey)
    mx_lo, my_lo = nx.ldexp(xp, px_lo, -ex), nx.ldexp(xp, py_lo, -ey)
    q_hi, q_err = two_prod(mx[:, None], my[None, :])
    q_lo = q_err + (mx[:, None] * my_lo[None, :] + mx_lo[:, None] * my[None, :])
    shift = ex[:, None] + ey[None, :]
    p_scaled = nx.ldexp(xp, x, -shift)
    delta = (p_scaled - q_hi) - q_lo  # p - q_hi is exact where p ~ q (Sterbenz)
    terms = nx.ldexp(xp, _kl_terms(xp, p_scaled, q_hi, delta), shift)
    return _table_result(xp, xp.sum(xp.reshape(terms, (-1,))), b, out_dtype)

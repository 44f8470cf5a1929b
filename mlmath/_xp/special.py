"""Portable ``mlmath.special``: the same algorithms with standard Array API operations.

Computed in float64 like the NumPy path (float32 input rounded once at the
end): shift by the row max, ``log1p`` of the rest with one maximal entry left
out, the rounding of ``x - m`` recovered with TwoSum (float64 input) and
applied as ``exp(d)(1 + d_lo)``; the elementwise functions through the
``max(x, 0) + log1p(e^-|x|)`` identities.  Two parts of ``logsumexp`` need
arithmetic the standard lacks (the double-double exponential, built on
``frexp`` and table look-ups): rows whose result cancels (``m < 0`` and
``|result| << |m|``) are refined on the host with the NumPy path's
compensated algorithm (only those rows are copied), and weights ``b`` with
negative entries run the whole call on the host.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from mlmath import _validation as v
from mlmath._namespace import device_of, first_array
from mlmath._xp import _numerics as nx

__all__ = ["log_sigmoid", "log_softmax", "logsumexp", "sigmoid", "softmax", "softplus"]


def _prepare(xp: ModuleType, x: Any, axis: Any, where: Any, *, allow_empty: bool
             ) -> tuple[nx.Rows, Any, Any, bool]:
    """Validate and lay out ``x``: ``(rows, rows array, out dtype, float64 input)``."""
    device = device_of(first_array(x, where))
    arr, out_dtype = v.xp_as_float_array(xp, v.xp_asarray(xp, x, "x", device=device), "x")
    wide = arr.dtype == xp.float64
    if where is not None:
        mask = v.xp_as_bool_mask(xp, where, tuple(arr.shape), "where", device=device)
        arr = xp.where(mask, arr, -float("inf"))
    scalar = arr.ndim == 0
    if scalar:
        arr = xp.reshape(arr, (1,))
    axes = v.check_axes(axis, arr.ndim)
    if not allow_empty:
        for a in axes:
            v.check_nonempty_axis(arr, a, "x")
    lay = nx.rows(xp, arr, axes, scalar=scalar)
    return lay, lay.x2, out_dtype, wide


def _batch_index(lay: nx.Rows, flat: int) -> str:
    """``[i, :, j]``: the batch row ``flat`` with ``:`` on the reduced axes (as the NumPy path)."""
    batch = [s for a, s in enumerate(lay.shape) if a not in lay.axes]
    where = [str(int(i)) for i in np.unravel_index(flat, batch)] if batch else []
    for a in lay.axes:
        where.insert(a, ":")
    return "[" + ", ".join(where) + "]"


def _check_rows(xp: ModuleType, lay: nx.Rows, m: Any, *, normalised: bool, masked: bool) -> None:
    """The NumPy path's row checks from the row maxima (NaN propagates through ``max``)."""
    if bool(xp.all(xp.isfinite(m))):  # the usual case: one pass
        return
    if bool(xp.any(xp.isnan(m))):
        v.xp_check_no_nan(xp, lay.restore(lay.x2), "x")
    if not normalised:
        return
    if bool(xp.any(m == float("inf"))):
        v.xp_check_no_posinf(xp, lay.restore(lay.x2), "x", why="the ratio inf/inf is undefined")
    empty = xp.reshape(m == -float("inf"), (-1,))
    if bool(xp.any(empty)):
        raise ValueError(
            f"`x`: expected at least one entry > -inf along axis "
            f"{lay.axes[0] if len(lay.axes) == 1 else lay.axes} (no mass to normalise), got "
            f"all -inf{' or excluded by `where`' if masked else ''} at index "
            f"{_batch_index(lay, int(xp.argmax(xp.astype(empty, xp.int8))))}")


def _exp_and_rest(xp: ModuleType, x2: Any, wide: bool) -> tuple[Any, Any, Any, Any, Any, Any]:
    """``(m, rest, d, lo, e, top)`` along the last axis (see the NumPy path's namesake).

    ``top`` marks one maximal entry per row, left out of ``rest`` and given
    ``e = 1``, ``d = lo = 0``.
    """
    x2 = xp.astype(x2, xp.float64, copy=False)  # float32: one rounding at the end
    m = xp.max(x2, axis=-1, keepdims=True)
    shift = xp.where(xp.isfinite(m), m, 0.0)  # rows without a finite max: checked later
    d, lo, e = nx.shifted_exp(xp, x2, shift, exact_shift=wide)
    top = nx.exclude_one_max(xp, x2)
    rest = xp.sum(xp.where(top, 0.0, e), axis=-1, keepdims=True)
    return m, rest, d, lo, xp.where(top, 1.0, e), top


def _normalised_rows(xp: ModuleType, x: Any, axis: Any, where: Any, validate: bool,
                     entries: Callable[[Any, Any, Any, Any, Any, Any], Any]) -> Any:
    """softmax and log_softmax: lay out, ``entries(m, rest, d, lo, e, top)`` per row
    block (see :func:`_exp_and_rest`), the row checks, the input's layout and dtype."""
    lay, x2, out_dtype, wide = _prepare(xp, x, axis, where, allow_empty=not validate)
    if x2.shape[-1] == 0:
        return xp.astype(lay.restore(x2), out_dtype)

    def body(xb: Any) -> tuple[Any, Any]:
        parts = _exp_and_rest(xp, xb, wide)
        return xp.astype(entries(*parts), xb.dtype), parts[0]  # the NumPy path's roundings

    out, m = nx.by_row_blocks(xp, x2, body)
    if validate:
        _check_rows(xp, lay, m, normalised=True, masked=where is not None)
    if not bool(xp.all(xp.isfinite(m))):  # validate=False: bad rows give NaN, as NumPy's
        out = xp.where(xp.isfinite(m), out, float("nan"))
    return xp.astype(lay.restore(out), out_dtype, copy=False)


@nx.quiet
def softmax(xp: ModuleType, x: Any, *, axis: Any, where: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.softmax`."""
    return _normalised_rows(xp, x, axis, where, validate,
                            lambda m, rest, d, lo, e, top: e / (1.0 + rest))


@nx.quiet
def log_softmax(xp: ModuleType, x: Any, *, axis: Any, where: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.log_softmax`."""
    def entries(m: Any, rest: Any, d: Any, lo: Any, e: Any, top: Any) -> Any:
        # At the max d = lo = 0 exactly: the entry is -log1p(R), accurate for tiny R.
        return (xp.where(top, 0.0, d) - xp.log1p(rest)) + xp.where(top, 0.0, lo)

    return _normalised_rows(xp, x, axis, where, validate, entries)


def _lse_rows(xp: ModuleType, lay: nx.Rows, x2: Any, wide: bool, validate: bool,
              host_rows: Any) -> Any:
    """Row log-sum-exp (batch shape), cancelling rows refined on the host.

    ``host_rows`` is ``x2`` in the dtype the NumPy path would see (float32 rows
    use its float32 criterion), called only when some row cancels.
    """
    if x2.shape[-1] == 0:
        return xp.full(x2.shape[:-1], -float("inf"), dtype=xp.float64, device=x2.device)
    def body(xb: Any) -> tuple[Any, Any]:
        m, rest, *_ = _exp_and_rest(xp, xb, wide)
        return xp.where(xp.isinf(m), m, m + xp.log1p(rest)), m

    result, m = nx.by_row_blocks(xp, x2, body)
    if validate:
        _check_rows(xp, lay, m, normalised=False, masked=False)
    result, m = result[..., 0], m[..., 0]
    # The NumPy path's criterion (special._refine_cancelling_rows): log1p(R)'s
    # 2 eps are amplified by (r - m) / |r|.
    limit = 2.0 if wide else 2.0**20
    cancels = (m < 0) & xp.isfinite(result) & ((result - m) > limit * xp.abs(result))
    if not bool(xp.any(cancels)):
        return result
    return _refine_on_host(xp, result, cancels, host_rows())


def _refine_on_host(xp: ModuleType, result: Any, cancels: Any, rows2: Any) -> Any:
    """Replace the cancelling rows of ``result`` by the NumPy path's compensated values.

    Only the flagged rows and two vectors of the batch size cross to the host.
    """
    from mlmath import special

    flags = np.asarray(v._host(cancels)).reshape(-1)
    flat = xp.reshape(rows2, (-1, rows2.shape[-1]))
    picked = xp.take(flat, xp.asarray(np.flatnonzero(flags), device=flat.device), axis=0)
    refined = np.zeros(flags.shape, np.float64)
    refined[flags] = special.logsumexp(v._host(picked), axis=-1, validate=False)
    fixed = xp.reshape(xp.asarray(refined, device=result.device), result.shape)
    return xp.where(cancels, fixed, result)


@nx.quiet
def logsumexp(xp: ModuleType, x: Any, *, axis: Any, b: Any, keepdims: bool, return_sign: bool,
              where: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.logsumexp` (negative weights ``b``: on the host)."""
    if b is None:
        lay, x2, out_dtype, wide = _prepare(xp, x, axis, where, allow_empty=not validate)
        raw = lay.x2
        result = _lse_rows(xp, lay, x2, wide, validate, lambda: raw)
    else:
        weighted = _fold_weights(xp, x, b, where, axis, validate)
        if weighted is None:
            return None  # negative weights: the caller runs the NumPy path on the host
        lay, x2, out_dtype = weighted
        result = _lse_rows(xp, lay, x2, True, validate, lambda: x2)
    value = xp.astype(lay.reduced(result, keepdims), out_dtype)
    if not return_sign:
        return value
    return value, xp.where(value == -float("inf"), 0.0, xp.ones_like(value))


def _fold_weights(xp: ModuleType, x: Any, b: Any, where: Any, axis: Any, validate: bool
                  ) -> tuple[nx.Rows, Any, Any] | None:
    """Non-negative weights folded into the logits, ``x + log b`` (``None`` if some b < 0)."""
    device = device_of(first_array(x, b, where))
    arr, out_x = v.xp_as_float_array(xp, v.xp_asarray(xp, x, "x", device=device), "x")
    weights, out_b = v.xp_as_float_array(xp, v.xp_asarray(xp, b, "b", device=device), "b")
    try:
        shape = tuple(np.broadcast_shapes(tuple(arr.shape), tuple(weights.shape)))
    except ValueError:
        raise ValueError(f"`b`: expected a shape that broadcasts with `x` {tuple(arr.shape)}, "
                         f"got {tuple(weights.shape)}") from None
    out_dtype = v.xp_result_dtype(xp, out_x, out_b)
    arr = xp.broadcast_to(xp.astype(arr, xp.float64), shape)
    weights = xp.broadcast_to(xp.astype(weights, xp.float64), shape)
    keep = weights != 0
    if where is not None:
        keep = keep & v.xp_as_bool_mask(xp, where, shape, "where", device=device)
    if validate:
        v.xp_check_no_nan(xp, xp.where(keep, arr, 0.0), "x")
        v.xp_check_finite(xp, xp.where(keep, weights, 0.0), "b")
    if bool(xp.any(keep & (weights < 0))):
        return None
    logits = xp.where(keep, arr + xp.log(xp.where(keep, weights, 1.0)), -float("inf"))
    scalar = logits.ndim == 0
    if scalar:
        logits = xp.reshape(logits, (1,))
    axes = v.check_axes(axis, logits.ndim)
    if validate:
        for a in axes:
            v.check_nonempty_axis(logits, a, "x")
    lay = nx.rows(xp, logits, axes, scalar=scalar)
    return lay, lay.x2, out_dtype


def _elementwise(xp: ModuleType, x: Any, validate: bool, formula: Any) -> Any:
    arr, out_dtype = v.xp_as_float_array(xp, x, "x")
    if validate:
        v.xp_check_no_nan(xp, arr, "x")
    return xp.astype(formula(xp, xp.astype(arr, xp.float64, copy=False)), out_dtype)


def _sigmoid(xp: ModuleType, x: Any) -> Any:
    z = xp.exp(-xp.abs(x))  # in (0, 1]: never overflows
    # x >= 0: 1 / (1 + e^-x);  x < 0: e^x / (1 + e^x), no cancellation in either tail
    return xp.where(x >= 0, 1.0, z) / (1.0 + z)


def _softplus(xp: ModuleType, x: Any) -> Any:
    # max(x, 0) + log1p(e^-|x|): exp never overflows, log1p keeps e^x's digits for x << 0
    return xp.maximum(x, 0.0) + xp.log1p(xp.exp(-xp.abs(x)))


def _log_sigmoid(xp: ModuleType, x: Any) -> Any:
    # log sigma(x) = -softplus(-x) = min(x, 0) - log1p(e^-|x|)
    return xp.minimum(x, 0.0) - xp.log1p(xp.exp(-xp.abs(x)))


@nx.quiet
def sigmoid(xp: ModuleType, x: Any, *, validate: bool) -> Any:
    """Portable :func:`mlmath.sigmoid`."""
    return _elementwise(xp, x, validate, _sigmoid)


@nx.quiet
def softplus(xp: ModuleType, x: Any, *, validate: bool) -> Any:
    """Portable :func:`mlmath.softplus`."""
    return _elementwise(xp, x, validate, _softplus)


@nx.quiet
def log_sigmoid(xp: ModuleType, x: Any, *, validate: bool) -> Any:
    """Portable :func:`mlmath.log_sigmoid`."""
    return _elementwise(xp, x, validate, _log_sigmoid)

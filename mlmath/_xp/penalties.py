"""Portable ``mlmath.penalties`` (standard Array API operations only).

The NumPy path's formulas line by line: sums accumulate in float64 (float32
input rounded once), thresholds are rounded to the input dtype first (so the
kinks of a penalty, its gradient and its prox agree), ``+ 0.0`` turns ``-0.0``
into ``+0.0``.  The simplex projection sorts and takes a cumulative sum, both
in the standard; the nuclear norm uses the ``linalg`` extension's SVD.  The
group penalties (``groups`` labels) need a scatter-add (``np.bincount``,
``np.maximum.at``), which the standard lacks: they run on the host.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from mlmath import _validation as v
from mlmath._namespace import device_of, first_array
from mlmath._xp import _numerics as nx

__all__ = ["elastic_net", "elastic_net_subgradient", "huber", "huber_grad", "l1",
           "l1_subgradient", "nuclear_norm", "project_box", "project_l1_ball",
           "project_simplex", "prox_elastic_net", "prox_huber", "prox_l1", "prox_linf",
           "prox_nuclear_norm", "prox_squared_l2", "squared_l2", "squared_l2_grad"]


def _prepare(xp: ModuleType, x: Any, name: str, validate: bool) -> tuple[Any, Any]:
    arr, out_dtype = v.xp_as_float_array(xp, x, name)
    if validate:
        v.xp_check_no_nan(xp, arr, name)
    return arr, out_dtype


def _prepare_finite(xp: ModuleType, x: Any, name: str, validate: bool) -> tuple[Any, Any]:
    arr, out_dtype = v.xp_as_float_array(xp, x, name)
    if validate and not bool(xp.all(xp.isfinite(arr))):
        v.xp_check_no_nan(xp, arr, name)
        v.xp_check_finite(xp, arr, name)
    return arr, out_dtype


def _wide(xp: ModuleType, x: Any) -> Any:
    """``x`` in the float64 accumulator (the NumPy path's ``_accumulator``)."""
    return xp.astype(x, xp.float64, copy=False)


def _total(xp: ModuleType, terms: Any) -> Any:
    return xp.sum(_wide(xp, terms))


def _in_dtype(xp: ModuleType, value: float, dtype: Any) -> float:
    """``value`` rounded to ``dtype`` (clamped to its largest finite value)."""
    return float(xp.asarray(min(value, float(xp.finfo(dtype).max)), dtype=dtype))


def _combine(c1: float, term1: Any, c2: float, term2: Any) -> Any:
    """``c1 term1() + c2 term2()``, skipping a term whose coefficient is 0 (0 * inf)."""
    total: Any = 0.0
    for c, term in ((c1, term1), (c2, term2)):
        if c != 0:
            total = total + c * term()
    return total


def _elastic_net_params(alpha: Any, l1_ratio: Any) -> tuple[float, float]:
    a = v.check_positive_scalar(alpha, "alpha", allow_zero=True)
    rho = v.check_fraction(l1_ratio, "l1_ratio")
    return a * rho, a * (1.0 - rho)


def _soft_threshold(xp: ModuleType, x: Any, tau: float) -> Any:
    return x - xp.clip(x, -tau, tau)


def _out(xp: ModuleType, x: Any, out_dtype: Any) -> Any:
    return xp.astype(x, out_dtype)


@nx.quiet
def l1(xp: ModuleType, w: Any, *, validate: bool) -> Any:
    """Portable :func:`mlmath.l1`."""
    arr, out_dtype = _prepare(xp, w, "w", validate)
    return _out(xp, _total(xp, xp.abs(arr)), out_dtype)


@nx.quiet
def squared_l2(xp: ModuleType, w: Any, *, validate: bool) -> Any:
    """Portable :func:`mlmath.squared_l2`."""
    arr, out_dtype = _prepare(xp, w, "w", validate)
    return _out(xp, xp.sum(xp.square(_wide(xp, arr))), out_dtype)


@nx.quiet
def elastic_net(xp: ModuleType, w: Any, *, alpha: Any, l1_ratio: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.elastic_net`."""
    arr, out_dtype = _prepare(xp, w, "w", validate)
    lam1, lam2 = _elastic_net_params(alpha, l1_ratio)
    value = _combine(lam1, lambda: _total(xp, xp.abs(arr)), 0.5 * lam2,
                     lambda: xp.sum(xp.square(_wide(xp, arr))))
    if isinstance(value, float):  # alpha = 0: both terms skipped
        value = xp.zeros((), dtype=xp.float64, device=arr.device)
    return _out(xp, value, out_dtype)


@nx.quiet
def huber(xp: ModuleType, x: Any, delta: Any, *, validate: bool) -> Any:
    """Portable :func:`mlmath.huber`."""
    arr, out_dtype = _prepare(xp, x, "x", validate)
    d = _in_dtype(xp, v.check_positive_scalar(delta, "delta", allow_zero=True), arr.dtype)
    if d == 0:  # the zero function (and m * (a - m/2) would be 0 * inf at |x| = inf)
        return _out(xp, xp.zeros((), dtype=xp.float64, device=arr.device), out_dtype)
    a = _wide(xp, xp.abs(arr))
    m = xp.minimum(a, d)
    return _out(xp, xp.sum(m * (a - m / 2)), out_dtype)


@nx.quiet
def l1_subgradient(xp: ModuleType, w: Any, *, validate: bool) -> Any:
    """Portable :func:`mlmath.l1_subgradient`."""
    arr, out_dtype = _prepare(xp, w, "w", validate)
    return _out(xp, xp.sign(arr) + 0.0, out_dtype)  # + 0.0 turns sign(-0.0) into +0.0


@nx.quiet
def squared_l2_grad(xp: ModuleType, w: Any, *, validate: bool) -> Any:
    """Portable :func:`mlmath.squared_l2_grad`."""
    arr, out_dtype = _prepare(xp, w, "w", validate)
    return _out(xp, 2 * arr, out_dtype)


@nx.quiet
def elastic_net_subgradient(xp: ModuleType, w: Any, *, alpha: Any, l1_ratio: Any,
                            validate: bool) -> Any:
    """Portable :func:`mlmath.elastic_net_subgradient`."""
    arr, out_dtype = _prepare(xp, w, "w", validate)
    lam1, lam2 = _elastic_net_params(alpha, l1_ratio)
    grad = _combine(lam1, lambda: xp.sign(arr), lam2, lambda: arr)
    if isinstance(grad, float):
        grad = xp.zeros_like(arr)
    return _out(xp, grad + 0.0, out_dtype)  # no -0.0


@nx.quiet
def huber_grad(xp: ModuleType, x: Any, delta: Any, *, validate: bool) -> Any:
    """Portable :func:`mlmath.huber_grad`."""
    arr, out_dtype = _prepare(xp, x, "x", validate)
    d = _in_dtype(xp, v.check_positive_scalar(delta, "delta", allow_zero=True), arr.dtype)
    return _out(xp, xp.clip(arr, -d, d), out_dtype)


@nx.quiet
def prox_l1(xp: ModuleType, x: Any, t: Any, *, validate: bool) -> Any:
    """Portable :func:`mlmath.prox_l1`."""
    arr, out_dtype = _prepare(xp, x, "x", validate)
    tau = _in_dtype(xp, v.check_positive_scalar(t, "t"), arr.dtype)
    return _out(xp, _soft_threshold(xp, arr, tau), out_dtype)


@nx.quiet
def prox_squared_l2(xp: ModuleType, x: Any, t: Any, *, validate: bool) -> Any:
    """Portable :func:`mlmath.prox_squared_l2`."""
    arr, out_dtype = _prepare(xp, x, "x", validate)
    denominator = _in_dtype(xp, 1.0 + 2.0 * v.check_positive_scalar(t, "t"), arr.dtype)
    return _out(xp, arr / denominator, out_dtype)


@nx.quiet
def prox_elastic_net(xp: ModuleType, x: Any, t: Any, *, alpha: Any, l1_ratio: Any,
                     validate: bool) -> Any:
    """Portable :func:`mlmath.prox_elastic_net`."""
    arr, out_dtype = _prepare(xp, x, "x", validate)
    step = v.check_positive_scalar(t, "t")
    lam1, lam2 = _elastic_net_params(alpha, l1_ratio)
    tau = _in_dtype(xp, step * lam1, arr.dtype)
    denominator = _in_dtype(xp, 1.0 + step * lam2, arr.dtype)
    return _out(xp, _soft_threshold(xp, arr, tau) / denominator, out_dtype)


def _simplex_rows(xp: ModuleType, rows: Any, radius: float) -> Any:
    """Euclidean projection of each row (float64) onto the simplex of ``radius``.

    Sort descending, find the support size ``rho`` (the last ``k`` with
    ``u_k k > cumsum_k - r``), shift by ``theta``: Duchi et al. (2008), as the
    NumPy path.
    """
    n = rows.shape[1]
    u = xp.sort(rows, axis=1, descending=True)
    k = xp.arange(1, n + 1, dtype=rows.dtype, device=rows.device)
    inside = u * k > xp.cumulative_sum(u, axis=1) - radius
    last = xp.argmax(xp.astype(xp.flip(inside, axis=1), xp.int8), axis=1)
    size = xp.astype(n - last, rows.dtype)                       # last True, 1-based
    support = k[None, :] <= size[:, None]
    theta = (xp.sum(xp.where(support, u, 0.0), axis=1) - radius) / size
    return xp.maximum(rows - theta[:, None], 0.0)


@nx.quiet
def project_simplex(xp: ModuleType, x: Any, *, radius: Any, axis: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.project_simplex`."""
    arr, out_dtype = _prepare_finite(xp, x, "x", validate)
    r = v.check_positive_scalar(radius, "radius")
    if arr.ndim == 0:
        arr = xp.reshape(arr, (1,))
    ax = v.check_axis(axis, arr.ndim)
    v.check_nonempty_axis(arr, ax, "x")
    moved = xp.moveaxis(arr, ax, -1)
    rows = _wide(xp, xp.reshape(moved, (-1, moved.shape[-1])))
    out = xp.reshape(_simplex_rows(xp, rows, r), moved.shape)
    return _out(xp, xp.moveaxis(out, -1, ax), out_dtype)


@nx.quiet
def project_l1_ball(xp: ModuleType, x: Any, *, radius: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.project_l1_ball`."""
    arr, out_dtype = _prepare_finite(xp, x, "x", validate)
    r = v.check_positive_scalar(radius, "radius")
    wide = _wide(xp, arr)
    a = xp.reshape(xp.abs(wide), (1, -1))
    if bool(xp.sum(a) <= r):
        return _out(xp, wide, out_dtype)
    return _out(xp, xp.copysign(xp.reshape(_simplex_rows(xp, a, r), wide.shape), wide),
                out_dtype)


@nx.quiet
def project_box(xp: ModuleType, x: Any, lower: Any, upper: Any, *, validate: bool) -> Any:
    """Portable :func:`mlmath.project_box`."""
    device = device_of(first_array(x, lower, upper))
    arr, out_dtype = _prepare(xp, v.xp_asarray(xp, x, "x", device=device), "x", validate)
    bounds = []
    for bound, name in ((lower, "lower"), (upper, "upper")):
        b, _ = v.xp_as_float_array(xp, v.xp_asarray(xp, bound, name, device=device), name)
        v.check_broadcastable(tuple(b.shape), tuple(arr.shape), name)
        v.xp_check_no_nan(xp, b, name)
        bounds.append(xp.astype(b, arr.dtype))
    lo, hi = bounds
    crossed = lo > hi
    if bool(xp.any(crossed)):
        shape = tuple(crossed.shape) or (1,)
        los = v._host(xp.reshape(xp.broadcast_to(lo, crossed.shape), shape))
        his = v._host(xp.reshape(xp.broadcast_to(hi, crossed.shape), shape))
        idx = v.first_index(v._host(xp.reshape(crossed, shape)))
        raise ValueError(f"`lower`: expected lower <= upper everywhere, got {los[idx]} > "
                         f"{his[idx]} at index {list(idx)}")
    return _out(xp, xp.minimum(xp.maximum(arr, lo), hi), out_dtype)


@nx.quiet
def prox_linf(xp: ModuleType, x: Any, tau: Any, *, validate: bool) -> Any:
    """Portable :func:`mlmath.prox_linf` (Moreau: x minus the l1-ball projection)."""
    arr, out_dtype = _prepare_finite(xp, x, "x", validate)
    t = v.check_positive_scalar(tau, "tau")
    a = xp.abs(_wide(xp, arr))
    if bool(xp.sum(a) <= t):
        return _out(xp, xp.zeros_like(arr), out_dtype)
    flat = xp.reshape(a, (1, -1))
    # the l1-ball projection is soft thresholding at theta: x - P(x) = clip(x, -theta, theta)
    theta = float(xp.max(flat - _simplex_rows(xp, flat, t)))
    level = _in_dtype(xp, theta, arr.dtype)
    return _out(xp, xp.clip(arr, -level, level), out_dtype)


@nx.quiet
def prox_huber(xp: ModuleType, x: Any, tau: Any, *, delta: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.prox_huber`."""
    arr, out_dtype = _prepare(xp, x, "x", validate)
    t = v.check_positive_scalar(tau, "tau")
    d = _in_dtype(xp, v.check_positive_scalar(delta, "delta", allow_zero=True), arr.dtype)
    acc = _wide(xp, arr)
    inner = xp.abs(acc) <= d * (1.0 + t)
    out = xp.where(inner, acc / (1.0 + t), acc - xp.copysign(xp.full_like(acc, t * d), acc))
    return _out(xp, out, out_dtype)


def _matrices(xp: ModuleType, X: Any, validate: bool) -> tuple[Any, Any]:
    arr, out_dtype = _prepare_finite(xp, X, "X", validate)
    if arr.ndim < 2:
        raise ValueError(f"`X`: expected at least 2 dimensions (a matrix), got shape "
                         f"{tuple(arr.shape)}")
    return arr, out_dtype


def _finite_matrices(xp: ModuleType, arr: Any) -> tuple[Any, Any]:
    """Matrices with a non-finite entry zeroed (their result is NaN: validate=False only)."""
    work = _wide(xp, arr)
    broken = ~xp.all(xp.isfinite(work), axis=(-2, -1))
    if bool(xp.any(broken)):
        work = xp.where(broken[..., None, None], 0.0, work)
    return work, broken


@nx.quiet
def nuclear_norm(xp: ModuleType, X: Any, *, validate: bool) -> Any:
    """Portable :func:`mlmath.nuclear_norm` (``linalg.svdvals``)."""
    arr, out_dtype = _matrices(xp, X, validate)
    work, broken = _finite_matrices(xp, arr)
    total = xp.sum(xp.linalg.svdvals(work), axis=-1)
    return _out(xp, xp.where(broken, float("nan"), total), out_dtype)


@nx.quiet
def prox_nuclear_norm(xp: ModuleType, X: Any, tau: Any, *, validate: bool) -> Any:
    """Portable :func:`mlmath.prox_nuclear_norm` (singular values soft-thresholded)."""
    arr, out_dtype = _matrices(xp, X, validate)
    t = v.check_positive_scalar(tau, "tau")
    work, broken = _finite_matrices(xp, arr)
    u, s, vh = xp.linalg.svd(work, full_matrices=False)
    out = (u * xp.maximum(s - t, 0.0)[..., None, :]) @ vh
    return _out(xp, xp.where(broken[..., None, None], float("nan"), out), out_dtype)

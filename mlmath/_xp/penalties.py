"""Portable ``mlmath.penalties`` (standard Array API operations only).

The NumPy path's formulas line by line: sums accumulate in float64 (float32
input rounded once), thresholds are rounded to the input dtype first (so the
kinks of a penalty, its gradient and its prox agree), ``+ 0.0`` turns ``-0.0``
into ``+0.0``.  The simplex projection sorts and takes a cumulative sum, both
in the standard; the nuclear norm uses the ``linalg`` extension's SVD.  The
group penalties replace the NumPy path's scatter-adds (``np.bincount``,
``np.maximum.at``, not in the standard) by a stable sort of the labels and
segmented scans over the sorted entries (:func:`_segment_totals`: log2 of the
largest group size doubling steps, each adding a neighbour of the same group):
every group total is a tree of additions of its own non-negative terms, never
a difference of cumulative sums, so its error stays within the NumPy path's
sequential sum's (measured: within a few eps of it).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any, NamedTuple

from mlmath import _validation as v
from mlmath._namespace import device_of, first_array
from mlmath._xp import _numerics as nx

__all__ = ["elastic_net", "elastic_net_subgradient", "group_lasso", "huber", "huber_grad", "l1",
           "l1_subgradient", "nuclear_norm", "project_box", "project_l1_ball",
           "project_simplex", "prox_elastic_net", "prox_group_lasso", "prox_huber", "prox_l1",
           "prox_linf", "prox_nuclear_norm", "prox_sparse_group_lasso", "prox_squared_l2",
           "sparse_group_lasso", "sparse_group_lasso_subgradient", "squared_l2",
           "squared_l2_grad"]

_INF = float("inf")


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


# --------------------------------------------------------------------------- groups
class _Groups(NamedTuple):
    """The entries sorted by group label (stable), and the groups' extents."""

    order: Any    # sorted position -> flat index of the entry
    gid: Any      # group (0..G-1, in label order) of each sorted entry
    pos: Any      # position of each sorted entry within its group
    ends: Any     # sorted position of each group's last entry
    weights: Any  # c_g per group (float64): 1, or sqrt(|g|)
    longest: int  # the largest group size


def _labels(xp: ModuleType, groups: Any, shape: tuple[int, ...], device: Any) -> Any:
    """The labels as int64, with the NumPy path's checks (its message on the host)."""
    g = v.xp_asarray(xp, groups, "groups", device=device)
    integral = xp.isdtype(g.dtype, "integral")
    labels = xp.astype(g, xp.int64) if integral else g
    # uint64 labels above 2**63 - 1 wrap to negative int64 (NumPy and torch cast
    # modulo 2**64; torch has no uint64 comparisons to test them before the cast)
    wraps = (integral and xp.isdtype(g.dtype, "unsigned integer")
             and xp.iinfo(g.dtype).bits >= 64 and bool(xp.any(labels < 0)))
    if not integral or tuple(g.shape) != shape or wraps:
        v.as_group_labels(v._host(g), shape, "groups")  # raises the NumPy path's error
    return labels


def _groups(xp: ModuleType, groups: Any, shape: tuple[int, ...], sqrt_size_weights: bool,
            device: Any) -> _Groups:
    """Sort the entries by label: the groups' extents (the NumPy path's ``_group_structure``).

    The groups are numbered in label order, as ``np.unique`` numbers them; the
    NumPy path's dense labels also count unused labels as empty groups, which
    add exact zeros to its sums.
    """
    flat = xp.reshape(_labels(xp, groups, shape, device), (-1,))
    n = flat.shape[0]
    if n == 0:
        empty = xp.zeros((0,), dtype=xp.int64, device=device)
        return _Groups(empty, empty, empty, empty,
                       xp.zeros((0,), dtype=xp.float64, device=device), 0)
    order = xp.argsort(flat, stable=True)
    ordered = xp.take(flat, order)
    new = xp.concat([xp.ones((1,), dtype=xp.bool, device=device), ordered[1:] != ordered[:-1]])
    gid = xp.cumulative_sum(xp.astype(new, xp.int64)) - 1
    starts = xp.nonzero(new)[0]
    ends = xp.concat([starts[1:] - 1, xp.asarray([n - 1], dtype=starts.dtype, device=device)])
    sizes = xp.astype(ends - starts + 1, xp.float64)
    weights = xp.sqrt(sizes) if sqrt_size_weights else xp.ones_like(sizes)
    pos = xp.arange(n, dtype=xp.int64, device=device) - xp.take(starts, gid)
    return _Groups(order, gid, pos, ends, weights, int(xp.max(sizes)))


def _segment_totals(xp: ModuleType, values: Any, grp: _Groups,
                    combine: Callable[[Any, Any], Any]) -> Any:
    """``combine`` over each group of the sorted ``values``: one result per group.

    A segmented inclusive scan by doubling (Hillis-Steele): after the step of
    width w every entry holds the combination of the last 2w entries of its
    group up to it, so a group's last entry ends with the total, a balanced
    tree of combinations of the group's own entries (depth log2 |g|).
    """
    acc = values
    step = 1
    while step < grp.longest:
        pad = xp.zeros((step,), dtype=acc.dtype, device=acc.device)  # masked below
        earlier = xp.concat([pad, acc[:-step]])
        acc = xp.where(grp.pos >= step, combine(acc, earlier), acc)
        step *= 2
    return xp.take(acc, grp.ends)


def _group_norms(xp: ModuleType, x: Any, grp: _Groups) -> Any:
    """Euclidean norm per group, each group scaled by its largest magnitude first
    (the NumPy path's ``_group_norms``: no overflow or underflow of the squares)."""
    a = xp.take(xp.abs(_wide(xp, xp.reshape(x, (-1,)))), grp.order)
    scale = _segment_totals(xp, a, grp, xp.maximum)  # NaN (validate=False) propagates
    usable = (scale > 0) & xp.isfinite(scale)
    safe = xp.where(usable, scale, 1.0)
    sum_sq = _segment_totals(xp, xp.square(a / xp.take(safe, grp.gid)), grp, xp.add)
    return xp.where(xp.isinf(scale), _INF, safe * xp.sqrt(sum_sq))


def _entry_groups(xp: ModuleType, grp: _Groups) -> Any:
    """The group of each entry in the flat order of the input (the NumPy path's ``index``;
    one more sort, which only the functions with a per-entry result pay)."""
    return xp.take(grp.gid, xp.argsort(grp.order))


def _shrink(xp: ModuleType, x: Any, norms: Any, thresholds: Any, grp: _Groups) -> Any:
    """``x`` with each group scaled by ``max(1 - threshold / norm, 0)`` (flat, float64)."""
    factor = xp.where(norms > thresholds, (norms - thresholds) / norms, 0.0)
    factor = xp.where(xp.isinf(norms), 1.0, factor)
    # + 0.0 turns the -0.0 of (negative entry) * 0 into +0.0.
    return xp.reshape(x, (-1,)) * xp.take(factor, _entry_groups(xp, grp)) + 0.0


def _group_input(xp: ModuleType, x: Any, groups: Any, name: str, validate: bool,
                 prepare: Callable[..., tuple[Any, Any]]) -> tuple[Any, Any, Any]:
    """``(x array, output dtype, device)``: ``x`` converted and checked by ``prepare``."""
    device = device_of(first_array(x, groups))
    arr, out_dtype = prepare(xp, v.xp_asarray(xp, x, name, device=device), name, validate)
    return arr, out_dtype, device


@nx.quiet
def group_lasso(xp: ModuleType, w: Any, groups: Any, *, sqrt_size_weights: bool,
                validate: bool) -> Any:
    """Portable :func:`mlmath.group_lasso`."""
    arr, out_dtype, device = _group_input(xp, w, groups, "w", validate, _prepare)
    grp = _groups(xp, groups, tuple(arr.shape), sqrt_size_weights, device)
    return _out(xp, xp.sum(grp.weights * _group_norms(xp, arr, grp)), out_dtype)


@nx.quiet
def prox_group_lasso(xp: ModuleType, x: Any, t: Any, groups: Any, *, sqrt_size_weights: bool,
                     validate: bool) -> Any:
    """Portable :func:`mlmath.prox_group_lasso` (block soft thresholding)."""
    arr, out_dtype, device = _group_input(xp, x, groups, "x", validate, _prepare)
    step = v.check_positive_scalar(t, "t")
    grp = _groups(xp, groups, tuple(arr.shape), sqrt_size_weights, device)
    shrunk = _shrink(xp, arr, _group_norms(xp, arr, grp), step * grp.weights, grp)
    return _out(xp, xp.reshape(shrunk, arr.shape), out_dtype)


@nx.quiet
def sparse_group_lasso(xp: ModuleType, x: Any, groups: Any, *, alpha: Any, l1_ratio: Any,
                       sqrt_size_weights: bool, validate: bool) -> Any:
    """Portable :func:`mlmath.sparse_group_lasso`."""
    arr, out_dtype, device = _group_input(xp, x, groups, "x", validate, _prepare)
    lam1, lam_g = _elastic_net_params(alpha, l1_ratio)
    grp = _groups(xp, groups, tuple(arr.shape), sqrt_size_weights, device)
    value = _combine(lam1, lambda: _total(xp, xp.abs(arr)), lam_g,
                     lambda: xp.sum(grp.weights * _group_norms(xp, arr, grp)))
    if isinstance(value, float):  # alpha = 0: both terms skipped
        value = xp.zeros((), dtype=xp.float64, device=device)
    return _out(xp, value, out_dtype)


@nx.quiet
def sparse_group_lasso_subgradient(xp: ModuleType, x: Any, groups: Any, *, alpha: Any,
                                   l1_ratio: Any, sqrt_size_weights: bool,
                                   validate: bool) -> Any:
    """Portable :func:`mlmath.sparse_group_lasso_subgradient`."""
    arr, out_dtype, device = _group_input(xp, x, groups, "x", validate, _prepare_finite)
    lam1, lam_g = _elastic_net_params(alpha, l1_ratio)
    grp = _groups(xp, groups, tuple(arr.shape), sqrt_size_weights, device)
    flat = _wide(xp, xp.reshape(arr, (-1,)))

    def group_part() -> Any:
        index = _entry_groups(xp, grp)
        norms = xp.take(_group_norms(xp, arr, grp), index)
        return xp.where(norms > 0, xp.take(grp.weights, index) * (flat / norms), 0.0)

    grad = _combine(lam1, lambda: xp.sign(flat), lam_g, group_part)
    grad = (xp.zeros_like(flat) + grad) + 0.0  # (a float when alpha = 0); no -0.0
    # the NumPy path's two roundings: to x's compute dtype, then to the output dtype
    return _out(xp, xp.astype(xp.reshape(grad, arr.shape), arr.dtype), out_dtype)


@nx.quiet
def prox_sparse_group_lasso(xp: ModuleType, x: Any, t: Any, groups: Any, *, alpha: Any,
                            l1_ratio: Any, sqrt_size_weights: bool, validate: bool) -> Any:
    """Portable :func:`mlmath.prox_sparse_group_lasso` (soft thresholding, then group
    shrinkage)."""
    arr, out_dtype, device = _group_input(xp, x, groups, "x", validate, _prepare)
    step = v.check_positive_scalar(t, "t")
    lam1, lam_g = _elastic_net_params(alpha, l1_ratio)
    grp = _groups(xp, groups, tuple(arr.shape), sqrt_size_weights, device)
    s = _soft_threshold(xp, arr, _in_dtype(xp, step * lam1, arr.dtype)) if lam1 else arr + 0.0
    if lam_g == 0:
        return _out(xp, s, out_dtype)
    shrunk = _shrink(xp, s, _group_norms(xp, s, grp), step * lam_g * grp.weights, grp)
    return _out(xp, xp.astype(xp.reshape(shrunk, arr.shape), arr.dtype), out_dtype)

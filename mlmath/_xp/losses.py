"""Portable ``mlmath.losses``: every loss and its gradient, standard operations only.

The NumPy path's formulas, operation for operation.  The binary losses (the
cross-entropies from logits and from probabilities, the focal and hinge
losses): ``softplus``/``sigmoid`` through the portable special functions
(float64 inside, float32 rounded once), ``xlogy``-style exact zeros through
``where``.  The softmax cross-entropy and poly-1 share one row kernel (the shift
by the row max, ``log1p`` of the other classes' mass with one maximal entry left
out, TwoSum-corrected ``x - m`` for float64; label smoothing, class weights,
``ignore_index``; the labels' entries gathered with ``take_along_axis``), so
that poly-1 at ``epsilon = 0`` is the cross-entropy bit for bit; InfoNCE is
that kernel on the similarity logits, NT-Xent the portable ``logsumexp`` and
``softplus``; the multiclass hinge sums its slacks in float64.  Reductions
accumulate in float64.

Validation runs natively; input it refuses (and labels out of range with
``validate=False``, whose meaning the NumPy path's indexing decides) raises
:class:`~mlmath._namespace.OnHost`, and the public function reruns on the host,
whose checks name the first bad entry in the NumPy path's words.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np

from mlmath import _validation as v
from mlmath import losses as _np_losses  # imports this module: read it at call time only
from mlmath._namespace import OnHost, device_of, first_array
from mlmath._xp import _numerics as nx
from mlmath._xp import special as _special

__all__ = ["binary_cross_entropy", "hinge_loss", "hinge_loss_grad", "info_nce", "info_nce_grad",
           "multiclass_hinge_loss", "multiclass_hinge_loss_grad", "nt_xent", "nt_xent_grad",
           "poly_loss_cross_entropy", "poly_loss_cross_entropy_grad",
           "sigmoid_binary_cross_entropy", "sigmoid_binary_cross_entropy_grad",
           "sigmoid_focal_loss", "sigmoid_focal_loss_grad", "softmax_cross_entropy",
           "softmax_cross_entropy_grad"]

_REDUCTIONS = ("mean", "sum", "none")


def _size(x: Any) -> int:
    return math.prod(x.shape)


def _in(xp: ModuleType, fn: Any, x: Any) -> Any:
    """A portable elementwise special function of ``x`` (float64 inside), in x's dtype."""
    return xp.astype(fn(xp, xp.astype(x, xp.float64)), x.dtype)


def _softplus(xp: ModuleType, x: Any) -> Any:
    return _in(xp, _special._softplus, x)


def _sigmoid(xp: ModuleType, x: Any) -> Any:
    return _in(xp, _special._sigmoid, x)


def _check_finite_fast(xp: ModuleType, x: Any, name: str) -> None:
    if not bool(xp.all(xp.isfinite(x))):
        v.xp_check_finite(xp, x, name)


def _check_nonempty_mean(x: Any, reduction: str, name: str) -> None:
    if reduction == "mean" and _size(x) == 0:
        raise ValueError(
            f"`{name}`: expected at least one element for reduction='mean' (the mean of "
            f"an empty array is undefined), got shape {tuple(x.shape)}")


def _compute_dtype(xp: ModuleType, dtype: Any) -> Any:
    return xp.float32 if dtype not in (xp.float32, xp.float64) else dtype


class _Binary(NamedTuple):
    z: Any
    y: Any
    pos_weight: Any
    reduction: str
    out_dtype: Any

    def denominator(self) -> float:
        return float(_size(self.z)) if self.reduction == "mean" else 1.0


def _binary(xp: ModuleType, values: Any, targets: Any, name: str, reduction: str,
            validate: bool, pos_weight: Any = None) -> _Binary:
    reduction = v.check_choice(reduction, _REDUCTIONS, "reduction")
    device = device_of(first_array(values, targets, pos_weight))
    z, out_dtype = v.xp_as_float_array(xp, v.xp_asarray(xp, values, name, device=device), name)
    t = v.xp_asarray(xp, targets, "targets", device=device)
    if xp.isdtype(t.dtype, ("bool", "integral")):
        y, compute = xp.astype(t, z.dtype), z.dtype
    else:
        y, t_out = v.xp_as_float_array(xp, t, "targets")
        out_dtype = v.xp_result_dtype(xp, out_dtype, t_out)
        compute = _compute_dtype(xp, out_dtype)
    v.check_same_shape(z, y, name, "targets")
    _check_nonempty_mean(z, reduction, name)
    z, y = xp.astype(z, compute, copy=False), xp.astype(y, compute, copy=False)
    if validate:
        if name == "probs":
            v.xp_check_unit_interval(xp, z, name)
        else:
            _check_finite_fast(xp, z, name)
        v.xp_check_unit_interval(xp, y, "targets")
    pw = None
    if pos_weight is not None:
        w, _ = v.xp_as_float_array(xp, v.xp_asarray(xp, pos_weight, "pos_weight",
                                                    device=device), "pos_weight")
        v.xp_check_finite(xp, w, "pos_weight")
        v.xp_check_nonnegative(xp, w, "pos_weight")
        pw = xp.astype(w, compute, copy=False)
        v.check_broadcastable(tuple(pw.shape), tuple(z.shape), "pos_weight")
    return _Binary(z, y, pw, reduction, out_dtype)


def _reduce(xp: ModuleType, per_example: Any, reduction: str, den: float, out_dtype: Any) -> Any:
    if reduction == "none":
        return xp.astype(per_example, out_dtype)
    total = xp.sum(xp.astype(per_example, xp.float64))
    if reduction == "mean":
        total = total / den if den > 0 else xp.zeros_like(total)
    return xp.astype(total, out_dtype)


@nx.quiet
def sigmoid_binary_cross_entropy(xp: ModuleType, logits: Any, targets: Any, *, pos_weight: Any,
                                 reduction: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.sigmoid_binary_cross_entropy`."""
    p = _binary(xp, logits, targets, "logits", reduction, validate, pos_weight)
    pos = _softplus(xp, -p.z)
    if p.pos_weight is not None:
        pos = pos * p.pos_weight
    loss = p.y * pos + (1 - p.y) * _softplus(xp, p.z)
    return _reduce(xp, loss, p.reduction, p.denominator(), p.out_dtype)


@nx.quiet
def sigmoid_binary_cross_entropy_grad(xp: ModuleType, logits: Any, targets: Any, *,
                                      pos_weight: Any, reduction: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.sigmoid_binary_cross_entropy_grad`."""
    p = _binary(xp, logits, targets, "logits", reduction, validate, pos_weight)
    neg = _sigmoid(xp, -p.z)
    if p.pos_weight is not None:
        neg = neg * p.pos_weight
    g = (1 - p.y) * _sigmoid(xp, p.z) - p.y * neg
    den = p.denominator()
    g = g / den if den else xp.zeros_like(p.z)
    return xp.astype(g, p.out_dtype)


@nx.quiet
def binary_cross_entropy(xp: ModuleType, probs: Any, targets: Any, *, reduction: Any,
                         validate: bool) -> Any:
    """Portable :func:`mlmath.binary_cross_entropy` (``xlogy`` zeros through ``where``)."""
    p = _binary(xp, probs, targets, "probs", reduction, validate)
    y, z = p.y, p.z
    xlogy = xp.where(y == 0, 0.0, y * xp.log(z))
    xlog1py = xp.where(1 - y == 0, 0.0, (1 - y) * xp.log1p(-z))
    loss = -(xlogy + xlog1py) + 0.0  # + 0.0 turns the -0.0 of agreeing targets into 0.0
    return _reduce(xp, loss, p.reduction, p.denominator(), p.out_dtype)


def _focal_parameters(alpha: Any, gamma: Any) -> tuple[float | None, float]:
    if alpha is not None:
        alpha = v.check_fraction(alpha, "alpha")
    return alpha, v.check_order(gamma, "gamma", allow_inf=False)


def _focal_terms(xp: ModuleType, p: _Binary, alpha: float | None
                 ) -> tuple[Any, Any, Any, Any, Any]:
    z, y = p.z, p.y
    s_pos, s_neg = _sigmoid(xp, z), _sigmoid(xp, -z)
    bce = y * _softplus(xp, -z) + (1 - y) * _softplus(xp, z)
    weight = 1.0 if alpha is None else alpha * y + (1 - alpha) * (1 - y)
    return weight, bce, y * s_neg + (1 - y) * s_pos, s_pos, s_neg


@nx.quiet
def sigmoid_focal_loss(xp: ModuleType, logits: Any, targets: Any, *, alpha: Any, gamma: Any,
                       reduction: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.sigmoid_focal_loss`."""
    alpha, gamma = _focal_parameters(alpha, gamma)
    p = _binary(xp, logits, targets, "logits", reduction, validate)
    weight, bce, base, _, _ = _focal_terms(xp, p, alpha)
    loss = weight * bce * base**gamma
    return _reduce(xp, loss, p.reduction, p.denominator(), p.out_dtype)


@nx.quiet
def sigmoid_focal_loss_grad(xp: ModuleType, logits: Any, targets: Any, *, alpha: Any,
                            gamma: Any, reduction: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.sigmoid_focal_loss_grad`."""
    alpha, gamma = _focal_parameters(alpha, gamma)
    p = _binary(xp, logits, targets, "logits", reduction, validate)
    weight, bce, base, s_pos, s_neg = _focal_terms(xp, p, alpha)
    y = p.y
    residual = (1 - y) * s_pos - y * s_neg
    chain = gamma * bce * base ** (gamma - 1) * (1 - 2 * y) * s_pos * s_neg
    chain = xp.where((base == 0) | (gamma == 0), 0.0, chain)
    g = weight * (residual * base**gamma + chain) / p.denominator()
    return xp.astype(xp.astype(g, p.z.dtype), p.out_dtype)


def _hinge(xp: ModuleType, scores: Any, targets: Any, margin: Any, reduction: Any,
           validate: bool) -> tuple[Any, Any, float, str, Any]:
    reduction = v.check_choice(reduction, _REDUCTIONS, "reduction")
    m = v.check_positive_scalar(margin, "margin", allow_zero=True)
    device = device_of(first_array(scores, targets))
    s, out_dtype = v.xp_as_float_array(xp, v.xp_asarray(xp, scores, "scores", device=device),
                                       "scores")
    _check_nonempty_mean(s, reduction, "scores")
    if validate:
        _check_finite_fast(xp, s, "scores")
    t = v.xp_asarray(xp, targets, "targets", device=device)
    if not xp.isdtype(t.dtype, ("bool", "integral", "real floating")):
        v.xp_as_float_array(xp, t, "targets")  # the named TypeError
    t = xp.astype(t, s.dtype)
    v.check_same_shape(s, t, "scores", "targets")
    if validate:
        bad = (t != 1) & (t != 0) & (t != -1)
        if bool(xp.any(bad)):
            shape = tuple(t.shape) or (1,)
            idx = v.first_index(v._host(xp.reshape(bad, shape)))
            raise ValueError(f"`targets`: expected labels in {{-1, +1}} or {{0, 1}}, got "
                             f"{v._host(xp.reshape(t, shape))[idx]} at index {list(idx)}")
        if bool(xp.any(t == 0)) and bool(xp.any(t == -1)):
            raise ValueError("`targets`: expected one encoding, {-1, +1} or {0, 1}, got both "
                             "0 and -1 as labels")
    return s, xp.where(t == 0, -1.0, t), m, reduction, out_dtype


@nx.quiet
def hinge_loss(xp: ModuleType, scores: Any, targets: Any, *, margin: Any, reduction: Any,
               validate: bool) -> Any:
    """Portable :func:`mlmath.hinge_loss`."""
    s, t, m, reduction, out_dtype = _hinge(xp, scores, targets, margin, reduction, validate)
    slack = _in_dtype(xp, m, s.dtype) - t * s
    loss = xp.where(xp.isnan(slack), float("nan"), xp.maximum(slack, 0.0))
    den = float(_size(s)) if reduction == "mean" else 1.0
    return _reduce(xp, loss, reduction, den, out_dtype)


@nx.quiet
def hinge_loss_grad(xp: ModuleType, scores: Any, targets: Any, *, margin: Any, reduction: Any,
                    validate: bool) -> Any:
    """Portable :func:`mlmath.hinge_loss_grad`."""
    s, t, m, reduction, out_dtype = _hinge(xp, scores, targets, margin, reduction, validate)
    slack = _in_dtype(xp, m, s.dtype) - t * s
    g = xp.where(slack > 0, -t, 0 * t)  # 0 * t keeps a NaN (validate=False) visible
    g = xp.where(xp.isnan(slack), float("nan"), g)
    den = float(_size(s)) if reduction == "mean" else 1.0
    g = g / den if _size(s) else xp.zeros_like(s)
    return xp.astype(g, out_dtype)


def _in_dtype(xp: ModuleType, value: float, dtype: Any) -> float:
    """``value`` rounded to ``dtype`` (the NumPy path's ``s.dtype.type(m)``)."""
    return float(xp.asarray(value, dtype=dtype))


# --------------------------------------------------------------------------- #
# Softmax cross-entropy and poly-1: one problem and one row kernel, so that   #
# poly-1 at epsilon = 0 is the cross-entropy bit for bit                      #
# --------------------------------------------------------------------------- #

_INF = float("inf")


def _pick(xp: ModuleType, rows: Any, index: Any) -> Any:
    """``rows[n, index[n]]`` for (B, C) ``rows`` and (B,) int64 ``index``."""
    if hasattr(xp, "take_along_axis"):  # in the standard since 2024.12
        return xp.take_along_axis(rows, index[:, None], axis=1)[:, 0]
    flat = xp.reshape(rows, (-1,))
    return xp.take(flat, xp.arange(rows.shape[0], device=device_of(rows)) * rows.shape[1] + index)


def _one_hot(xp: ModuleType, labels: Any, n_classes: int) -> Any:
    return xp.arange(n_classes, device=device_of(labels)) == labels[:, None]


def _as_int64(xp: ModuleType, t: Any) -> Any:
    """Integer labels as int64 (``as_label_array``); a non-integer dtype or a uint64
    label beyond int64 is left to the NumPy path, which names it."""
    if not xp.isdtype(t.dtype, "integral"):
        raise OnHost
    if t.dtype == xp.uint64 and bool(xp.any(t > 2**63 - 1)):
        raise OnHost
    return xp.astype(t, xp.int64)


def _labels(xp: ModuleType, t: Any, n_classes: int, ignore: int | None = None) -> Any:
    """Class labels as int64, each in [0, ``n_classes``) or equal to ``ignore``.

    A label out of range is left to the NumPy path (:class:`OnHost`), also with
    ``validate=False``, where its indexing wraps or raises.
    """
    y = _as_int64(xp, t)
    bad = (y < 0) | (y >= n_classes)
    if ignore is not None:
        bad = bad & (y != ignore)
    if bool(xp.any(bad)):
        raise OnHost
    return y


def _ignorable(ignore: int | None) -> int | None:
    """``ignore_index`` if an int64 label can equal it (else nothing is ignored)."""
    return ignore if ignore is not None and -2**63 <= ignore < 2**63 else None


class _Softmax(NamedTuple):
    """The NumPy path's ``_SoftmaxProblem``: ``x`` (N, C), class axis last, in the
    compute dtype; ``labels`` (N,) int64 with 0 in the ignored rows and ``counted``
    (N,) bool, or ``probs`` (N, C) float64; ``weights`` (C,) float64 or None."""

    x: Any
    labels: Any
    counted: Any
    probs: Any
    weights: Any
    smoothing: float
    reduction: str
    layout: nx.Rows
    out_dtype: Any
    validate: bool

    def denominator(self, xp: ModuleType) -> float:
        """1 unless ``"mean"``: PyTorch's summed weight of the counted targets (their
        number without weights), N for probability targets (0 = an empty mean)."""
        if self.reduction != "mean":
            return 1.0
        if self.labels is None:
            return float(self.x.shape[0])
        if self.weights is None:
            return float(xp.sum(xp.astype(self.counted, xp.int64)))
        w_y = xp.take(self.weights, self.labels)
        return float(xp.sum(xp.where(self.counted, w_y, 0.0)))


def _softmax_problem(xp: ModuleType, logits: Any, targets: Any, *, axis: Any,
                     label_smoothing: Any, class_weights: Any, ignore_index: Any,
                     reduction: Any, validate: bool) -> _Softmax:
    """The NumPy path's checks, in its order; what they refuse goes to the host."""
    reduction = v.check_choice(reduction, _REDUCTIONS, "reduction")
    device = device_of(first_array(logits, targets, class_weights))
    x, out_dtype, ax = _with_class_axis(xp, logits, "logits", axis, device)
    n_classes = x.shape[ax]
    smoothing = v.check_fraction(label_smoothing, "label_smoothing")
    ignore = v.check_optional_int(ignore_index, "ignore_index")
    batch_shape = tuple(x.shape[:ax] + x.shape[ax + 1:])
    t = v.xp_asarray(xp, targets, "targets", device=device)
    labels = counted = probs = None
    if tuple(t.shape) == batch_shape:
        skip = _ignorable(ignore)
        labels = _labels(xp, xp.reshape(t, (-1,)), n_classes, skip)
        counted = (labels != skip) if skip is not None else xp.ones(labels.shape, dtype=xp.bool,
                                                                    device=device)
        labels = xp.where(counted, labels, 0)
    elif tuple(t.shape) == tuple(x.shape) and ignore is None:
        if xp.isdtype(t.dtype, ("bool", "integral")):
            t, compute = xp.astype(t, x.dtype), x.dtype
        else:
            t, t_out = v.xp_as_float_array(xp, t, "targets")
            out_dtype = v.xp_result_dtype(xp, out_dtype, t_out)
            compute = _compute_dtype(xp, out_dtype)
        if validate:
            _check_probabilities(xp, t, ax)
        x = xp.astype(x, compute, copy=False)
        probs = _class_rows(xp, xp.astype(xp.astype(t, compute, copy=False), xp.float64), ax)
    else:
        raise OnHost  # the NumPy path names the shapes (or the misplaced ignore_index)
    weights = None
    if class_weights is not None:
        w, _ = v.xp_as_float_array(xp, v.xp_asarray(xp, class_weights, "class_weights",
                                                    device=device), "class_weights")
        v.xp_check_finite(xp, w, "class_weights")
        v.xp_check_nonnegative(xp, w, "class_weights")
        if tuple(w.shape) != (n_classes,):
            raise OnHost
        weights = xp.astype(w, xp.float64)
    lay, x2 = _class_layout(xp, x, ax)
    return _Softmax(x2, labels, counted, probs, weights, smoothing, reduction, lay, out_dtype,
                    validate)


def _with_class_axis(xp: ModuleType, values: Any, name: str, axis: Any, device: Any
                     ) -> tuple[Any, Any, int]:
    """``values`` as a float array with a non-empty class ``axis``: ``(array, output
    dtype, normalised axis)``; a scalar or an empty class axis is left to the host."""
    x, out_dtype = v.xp_as_float_array(xp, v.xp_asarray(xp, values, name, device=device), name)
    if x.ndim == 0:
        raise OnHost
    ax = v.check_axis(axis, x.ndim)
    if x.shape[ax] == 0:
        raise OnHost
    return x, out_dtype, ax


def _class_layout(xp: ModuleType, a: Any, ax: int) -> tuple[nx.Rows, Any]:
    """``a`` with the class axis ``ax`` moved last: the layout and the (N, C) rows."""
    lay = nx.rows(xp, a, (ax,), scalar=False)
    return lay, xp.reshape(lay.x2, (-1, a.shape[ax]))


def _class_rows(xp: ModuleType, a: Any, ax: int) -> Any:
    """``a`` with the class axis ``ax`` moved last, as (N, C) rows."""
    return _class_layout(xp, a, ax)[1]


def _check_probabilities(xp: ModuleType, t: Any, ax: int) -> None:
    """``check_probabilities(t, ax)``: finite, non-negative, rows summing to 1 within
    ``(8 + C)`` eps of ``t``'s dtype (the failing case is named by the host)."""
    dtype = np.dtype(np.float32 if t.dtype == xp.float32 else np.float64)
    tol = v.normalisation_tolerance(dtype, t.shape[ax])
    sums = xp.sum(xp.astype(t, xp.float64), axis=ax)
    ok = xp.all(xp.isfinite(t)) & xp.all(t >= 0) & xp.all(xp.abs(sums - 1.0) <= tol)
    if not bool(ok):
        raise OnHost


class _Block(NamedTuple):
    """One block of rows after the shift (see :func:`_shifted`)."""

    x: Any        # (B, C) logits, compute dtype
    m: Any        # (B, 1) float64: the row maximum, 0 in a row of only -inf
    e: Any        # (B, C) float64: exp(x - m) (TwoSum-corrected for float64), 1 at `top`
    rest: Any     # (B, 1) float64: the sum of e over every class but `top`
    top: Any      # (B, C) bool: one maximal entry per row
    labels: Any   # (B,) int64 or None
    counted: Any  # (B,) bool or None
    probs: Any    # (B, C) float64 or None


def _shifted(xp: ModuleType, p: _Softmax, xb: Any, labels: Any, counted: Any,
             probs: Any) -> _Block:
    """The NumPy path's ``_shifted_exp``: shift by the row max (0 for a row of only
    -inf, an ignored row), ``rest`` with one maximal entry left out; NaN and +inf
    rows raise :class:`OnHost` when validating, else give NaN (as the kernels)."""
    m, rest, _, _, e, top = _special._exp_and_rest(xp, xb, xb.dtype == xp.float64)
    finite = xp.isfinite(m)
    if not bool(xp.all(finite)):
        bad = ~finite
        if counted is not None:
            bad = bad & (counted[:, None] | (m != -_INF))
        if p.validate and bool(xp.any(bad)):
            raise OnHost  # the NumPy path names the entry (NaN, +inf or a row of -inf)
        nan_rows = xp.isnan(m) | (m == _INF)
        e = xp.where(nan_rows, float("nan"), e)
        rest = xp.where(nan_rows, float("nan"), rest)
        m = xp.where(m == -_INF, 0.0, m)
    return _Block(xb, m, e, rest, top, labels, counted, probs)


def _blocks(xp: ModuleType, p: _Softmax, body: Any) -> tuple[Any, ...]:
    """``body(block)`` over row blocks of ``p`` (see :func:`nx.by_row_blocks`)."""
    def run(xb: Any, labels: Any, counted: Any, probs: Any) -> tuple[Any, ...]:
        return body(_shifted(xp, p, xb, labels, counted, probs))

    return nx.by_row_blocks(xp, p.x, run, along=(p.labels, p.counted, p.probs))


def _coefficients(xp: ModuleType, p: _Softmax, b: _Block) -> tuple[Any, Any, Any]:
    """The NumPy path's ``_coefficients``: the target mass ``u[n]·[c = y_n] + dense[n, c]``
    as ``(u, dense, total)`` (float64; ``u`` None for probabilities, ``dense`` None
    without smoothing for labels)."""
    eps, w = p.smoothing, p.weights
    n_classes = p.x.shape[1]
    if b.labels is None:
        t = b.probs
        if eps:
            t = (1 - eps) * t + eps / n_classes
        a = t if w is None else t * w
        return None, a, xp.sum(a, axis=1)
    counted = xp.astype(b.counted, xp.float64)
    if w is None and not eps:  # the common case: a mass of 1 on each counted label
        return counted, None, counted
    w_y = xp.ones(counted.shape, dtype=xp.float64, device=device_of(counted)) if w is None \
        else xp.take(w, b.labels)
    u = (1 - eps) * w_y * counted
    if not eps:
        return u, None, u
    per_class = xp.ones((n_classes,), dtype=xp.float64, device=device_of(counted)) if w is None \
        else w
    dense = (counted * (eps / n_classes))[:, None] * per_class[None, :]
    return u, dense, u + xp.sum(dense, axis=1)


def _mass_times_distance(xp: ModuleType, a: Any, d: Any) -> Any:
    """``a·d`` with ``0·inf = 0``: no target mass on a masked class costs nothing."""
    return xp.where(a == 0, 0.0, a * d)


def _block_loss(xp: ModuleType, p: _Softmax, b: _Block) -> Any:
    """Per-row loss sum_c a[n, c]·(d[n, c] + L[n]), d = m - x >= 0, L = log1p(rest)."""
    u, dense, total = _coefficients(xp, p, b)
    loss = total * xp.log1p(b.rest[:, 0])
    x = xp.astype(b.x, xp.float64)  # float32 differences are exact in float64
    if u is not None:
        loss = loss + _mass_times_distance(xp, u, b.m[:, 0] - _pick(xp, x, b.labels))
    if dense is not None:
        loss = loss + xp.sum(_mass_times_distance(xp, dense, b.m - x), axis=1)
    return loss


def _block_grad(xp: ModuleType, p: _Softmax, b: _Block, den: float) -> Any:
    """The NumPy path's ``_block_grad``: rows (A·softmax(x) - a) / den in the compute
    dtype, rounded once; at the row max the cancellation-free
    ``(sum_{c != top} a_c - a_top·r) / (1 + r)``."""
    u, dense, total = _coefficients(xp, p, b)
    rest = b.rest[:, 0]
    coef = (total / den / (1 + rest))[:, None]
    g = b.e * coef
    a_top = others = None
    if dense is not None:
        dense = dense / den
        g = g - dense
        a_top = xp.sum(xp.where(b.top, dense, 0.0), axis=1)
        others = xp.sum(xp.where(b.top, 0.0, dense), axis=1)
    if u is not None:
        u = u / den
        at_label = _one_hot(xp, b.labels, p.x.shape[1])
        g = xp.where(at_label, g - u[:, None], g)
        label_on_top = xp.any(at_label & b.top, axis=1)
        u_top, u_others = xp.where(label_on_top, u, 0.0), xp.where(label_on_top, 0.0, u)
        a_top = u_top if a_top is None else a_top + u_top
        others = u_others if others is None else others + u_others
    g = xp.where(b.top, ((others - a_top * rest) / (1 + rest))[:, None], g)
    return xp.astype(g, b.x.dtype)


def _ce_rows(xp: ModuleType, p: _Softmax) -> Any:
    """Per-row losses (N,) in float64."""
    return _blocks(xp, p, lambda b: (_block_loss(xp, p, b),))[0]


def _ce_grad_rows(xp: ModuleType, p: _Softmax) -> Any:
    """Gradient (N, C) in the compute dtype, including the reduction's scale."""
    den = p.denominator(xp)
    if den == 0:  # an empty mean: gradient 0 (the logits are still checked)
        _blocks(xp, p, lambda b: ())
        return xp.zeros_like(p.x)
    return _blocks(xp, p, lambda b: (_block_grad(xp, p, b, den),))[0]


def _per_row(xp: ModuleType, p: _Softmax, rows: Any) -> Any:
    """Per-row values (N,) in the shape of the logits without the class axis."""
    return xp.reshape(rows, tuple(p.layout.x2.shape[:-1]))


def _per_entry(xp: ModuleType, p: _Softmax, g: Any) -> Any:
    """(N, C) values in the layout and output dtype of the logits."""
    return xp.astype(p.layout.restore(xp.reshape(g, tuple(p.layout.x2.shape))), p.out_dtype)


@nx.quiet
def softmax_cross_entropy(xp: ModuleType, logits: Any, targets: Any, *, axis: Any,
                          label_smoothing: Any, class_weights: Any, ignore_index: Any,
                          reduction: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.softmax_cross_entropy`."""
    p = _softmax_problem(xp, logits, targets, axis=axis, label_smoothing=label_smoothing,
                         class_weights=class_weights, ignore_index=ignore_index,
                         reduction=reduction, validate=validate)
    rows = _per_row(xp, p, _ce_rows(xp, p))
    return _reduce(xp, rows, p.reduction, p.denominator(xp), p.out_dtype)


@nx.quiet
def softmax_cross_entropy_grad(xp: ModuleType, logits: Any, targets: Any, *, axis: Any,
                               label_smoothing: Any, class_weights: Any, ignore_index: Any,
                               reduction: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.softmax_cross_entropy_grad`."""
    p = _softmax_problem(xp, logits, targets, axis=axis, label_smoothing=label_smoothing,
                         class_weights=class_weights, ignore_index=ignore_index,
                         reduction=reduction, validate=validate)
    return _per_entry(xp, p, _ce_grad_rows(xp, p))


def _poly_problem(xp: ModuleType, logits: Any, targets: Any, epsilon: Any, axis: Any,
                  ignore_index: Any, reduction: Any, validate: bool) -> tuple[_Softmax, float]:
    eps = v.check_finite_scalar(epsilon, "epsilon")
    return _softmax_problem(xp, logits, targets, axis=axis, label_smoothing=0.0,
                            class_weights=None, ignore_index=ignore_index,
                            reduction=reduction, validate=validate), eps


def _poly_terms(xp: ModuleType, b: _Block) -> tuple[Any, Any, Any]:
    """``(s, 1 - s, t)`` of a block: the softmax rows, the other classes' mass (summed
    from them at the row max, where ``1 - s`` would cancel; every other class has
    ``s <= 1/2``) and the target rows (one-hot for labels, 0 in an ignored row)."""
    s = b.e / (1.0 + b.rest)
    others = xp.where(b.top, xp.sum(xp.where(b.top, 0.0, s), axis=1, keepdims=True), 1.0 - s)
    if b.probs is not None:
        t = b.probs
    else:
        t = xp.astype(_one_hot(xp, b.labels, b.x.shape[1]) & b.counted[:, None], xp.float64)
    return s, others, t


@nx.quiet
def poly_loss_cross_entropy(xp: ModuleType, logits: Any, targets: Any, *, epsilon: Any,
                            axis: Any, ignore_index: Any, reduction: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.poly_loss_cross_entropy`: the CE rows of
    :func:`softmax_cross_entropy` plus ``epsilon·sum_c t_c (1 - s_c)``."""
    p, eps = _poly_problem(xp, logits, targets, epsilon, axis, ignore_index, reduction,
                           validate)

    def body(b: _Block) -> tuple[Any]:
        _, others, t = _poly_terms(xp, b)
        return (_block_loss(xp, p, b) + eps * xp.sum(t * others, axis=1),)

    rows = _per_row(xp, p, _blocks(xp, p, body)[0])
    return _reduce(xp, rows, p.reduction, p.denominator(xp), p.out_dtype)


@nx.quiet
def poly_loss_cross_entropy_grad(xp: ModuleType, logits: Any, targets: Any, *, epsilon: Any,
                                 axis: Any, ignore_index: Any, reduction: Any,
                                 validate: bool) -> Any:
    """Portable :func:`mlmath.poly_loss_cross_entropy_grad`: the CE gradient (rounded to
    the compute dtype, as the NumPy path) minus ``(epsilon/den) s (miss - (1 - t))``."""
    p, eps = _poly_problem(xp, logits, targets, epsilon, axis, ignore_index, reduction,
                           validate)
    den = p.denominator(xp)
    if den == 0:
        return _per_entry(xp, p, _ce_grad_rows(xp, p))

    def body(b: _Block) -> tuple[Any]:
        s, others, t = _poly_terms(xp, b)
        miss = xp.sum(t * others, axis=1, keepdims=True)  # 1 - sum_c t_c s_c
        has_mass = xp.astype(xp.sum(t, axis=1, keepdims=True) > 0, xp.float64)
        return (_block_grad(xp, p, b, den) - (eps / den) * s * (miss - (1.0 - t)) * has_mass,)

    return _per_entry(xp, p, _blocks(xp, p, body)[0])



# --------------------------------------------------------------------------- #
# Multiclass hinge (PyTorch's multi_margin_loss, p=1)                         #
# --------------------------------------------------------------------------- #

class _Margin(NamedTuple):
    x: Any            # (N, C) scores, class axis last, compute dtype
    labels: Any       # (N,) int64
    slack: Any        # (N, C): margin - x_y + x_c, -inf at the label
    reduction: str
    layout: nx.Rows
    out_dtype: Any


def _margin_problem(xp: ModuleType, scores: Any, labels: Any, margin: Any, reduction: Any,
                    axis: Any, validate: bool) -> _Margin:
    """The NumPy path's ``_margin_problem`` and ``_margin_slacks``."""
    reduction = v.check_choice(reduction, _REDUCTIONS, "reduction")
    mu = v.check_positive_scalar(margin, "margin", allow_zero=True)
    device = device_of(first_array(scores, labels))
    x, out_dtype, ax = _with_class_axis(xp, scores, "scores", axis, device)
    n_classes = x.shape[ax]
    if validate:
        _check_finite_fast(xp, x, "scores")
    batch_shape = tuple(x.shape[:ax] + x.shape[ax + 1:])
    t = v.xp_asarray(xp, labels, "labels", device=device)
    if tuple(t.shape) != batch_shape:
        raise OnHost
    y = _labels(xp, xp.reshape(t, (-1,)), n_classes)
    if reduction == "mean" and _size(y) == 0:
        raise OnHost
    lay, x2 = _class_layout(xp, x, ax)
    at_label = _one_hot(xp, y, n_classes)
    slack = (_in_dtype(xp, mu, x2.dtype) - _pick(xp, x2, y)[:, None]) + x2
    return _Margin(x2, y, xp.where(at_label, -_INF, slack), reduction, lay, out_dtype)


@nx.quiet
def multiclass_hinge_loss(xp: ModuleType, scores: Any, labels: Any, *, margin: Any,
                          reduction: Any, axis: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.multiclass_hinge_loss` (rows summed in float64)."""
    p = _margin_problem(xp, scores, labels, margin, reduction, axis, validate)
    n, c = p.x.shape
    rows = xp.sum(xp.astype(xp.maximum(p.slack, 0.0), xp.float64), axis=1) / c
    rows = xp.reshape(xp.astype(rows, p.x.dtype), tuple(p.layout.x2.shape[:-1]))
    den = float(n) if p.reduction == "mean" else 1.0
    return _reduce(xp, rows, p.reduction, den, p.out_dtype)


@nx.quiet
def multiclass_hinge_loss_grad(xp: ModuleType, scores: Any, labels: Any, *, margin: Any,
                               reduction: Any, axis: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.multiclass_hinge_loss_grad`."""
    p = _margin_problem(xp, scores, labels, margin, reduction, axis, validate)
    n, c = p.x.shape
    den = float(n) if p.reduction == "mean" else 1.0
    scale = _in_dtype(xp, 1.0 / (c * den), p.x.dtype) if n else 0.0
    g = xp.where(p.slack > 0, xp.full_like(p.slack, scale), xp.zeros_like(p.slack))
    g = xp.where(xp.isnan(p.slack), float("nan"), g)
    g = xp.where(_one_hot(xp, p.labels, c), -xp.sum(g, axis=1, keepdims=True), g)
    return xp.astype(p.layout.restore(xp.reshape(g, tuple(p.layout.x2.shape))), p.out_dtype)


# --------------------------------------------------------------------------- #
# Contrastive losses: InfoNCE and NT-Xent                                     #
# --------------------------------------------------------------------------- #

def _embedding_matrix(xp: ModuleType, x: Any, name: str, validate: bool, device: Any
                      ) -> tuple[Any, Any]:
    a, out_dtype = v.xp_as_float_array(xp, v.xp_asarray(xp, x, name, device=device), name)
    if a.ndim != 2:
        raise OnHost
    if validate:
        _check_finite_fast(xp, a, name)
    return xp.astype(a, xp.float64), out_dtype


def _normalised(xp: ModuleType, x: Any, similarity: str) -> tuple[Any, Any]:
    """Rows scaled to unit norm (cosine) with the norms used; identity for ``"dot"``."""
    if similarity == "dot":
        return x, None
    # the NumPy path's eps (torch.nn.functional.normalize's): a zero row gets similarity 0
    norms = xp.maximum(xp.sqrt(xp.sum(x * x, axis=1, keepdims=True)), _np_losses._NORM_EPS)
    return x / norms, norms


def _normalised_backward(xp: ModuleType, x_hat: Any, norms: Any, d_hat: Any) -> Any:
    """Chain rule through ``x / max(||x||, eps)`` (the NumPy path's namesake)."""
    if norms is None:
        return d_hat
    clamped = xp.astype(norms > _np_losses._NORM_EPS, xp.float64)
    radial = xp.sum(x_hat * d_hat, axis=1, keepdims=True) * clamped
    return (d_hat - x_hat * radial) / norms


def _index_targets(xp: ModuleType, logits: Any, labels: Any, reduction: str,
                   validate: bool) -> _Softmax:
    """The softmax problem of (N, M) float64 ``logits`` with checked labels (N,)."""
    counted = xp.ones(labels.shape, dtype=xp.bool, device=device_of(labels))
    return _Softmax(logits, labels, counted, None, None, 0.0, reduction,
                    nx.rows(xp, logits, (1,), scalar=False), xp.float64, validate)


class _InfoNCE(NamedTuple):
    q_hat: Any
    q_norms: Any
    k_hat: Any
    k_norms: Any
    ce: _Softmax      # the logits S / tau against the positives
    tau: float
    out_dtype: Any


def _info_nce_problem(xp: ModuleType, query: Any, keys: Any, temperature: Any,
                      similarity: Any, positive: Any, reduction: Any, validate: bool
                      ) -> _InfoNCE:
    tau, similarity, reduction = _np_losses._contrastive_parameters(temperature, similarity,
                                                                    reduction)
    device = device_of(first_array(query, keys, positive))
    q, q_out = _embedding_matrix(xp, query, "query", validate, device)
    k, k_out = _embedding_matrix(xp, keys, "keys", validate, device)
    n, m = q.shape[0], k.shape[0]
    if k.shape[1] != q.shape[1] or m == 0 or (positive is None and m < n):
        raise OnHost
    if positive is None:
        pos = xp.arange(n, dtype=xp.int64, device=device)
    else:
        pos = v.xp_asarray(xp, positive, "positive", device=device)
        if tuple(pos.shape) != (n,):
            raise OnHost
        pos = _labels(xp, pos, m)
    if reduction == "mean" and n == 0:
        raise OnHost
    out_dtype = v.xp_result_dtype(xp, q_out, k_out)
    q_hat, q_norms = _normalised(xp, q, similarity)
    k_hat, k_norms = _normalised(xp, k, similarity)
    logits = q_hat @ k_hat.mT / tau
    return _InfoNCE(q_hat, q_norms, k_hat, k_norms,
                    _index_targets(xp, logits, pos, reduction, validate), tau, out_dtype)


@nx.quiet
def info_nce(xp: ModuleType, query: Any, keys: Any, *, temperature: Any, similarity: Any,
             positive: Any, reduction: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.info_nce`: the cross-entropy of the logits S / tau."""
    p = _info_nce_problem(xp, query, keys, temperature, similarity, positive, reduction,
                          validate)
    ce = p.ce
    return _reduce(xp, _ce_rows(xp, ce), ce.reduction, ce.denominator(xp), p.out_dtype)


@nx.quiet
def info_nce_grad(xp: ModuleType, query: Any, keys: Any, *, temperature: Any,
                  similarity: Any, positive: Any, reduction: Any, validate: bool
                  ) -> tuple[Any, Any]:
    """Portable :func:`mlmath.info_nce_grad`."""
    p = _info_nce_problem(xp, query, keys, temperature, similarity, positive, reduction,
                          validate)
    g = _ce_grad_rows(xp, p.ce) / p.tau
    gq = _normalised_backward(xp, p.q_hat, p.q_norms, g @ p.k_hat)
    gk = _normalised_backward(xp, p.k_hat, p.k_norms, g.mT @ p.q_hat)
    return xp.astype(gq, p.out_dtype), xp.astype(gk, p.out_dtype)


class _NTXent(NamedTuple):
    e_hat: Any
    norms: Any
    positives: Any    # (M, M) bool: same label, not the diagonal
    negatives: Any    # (M, M) bool: different label
    tau: float
    reduction: str
    out_dtype: Any

    def denominator(self, xp: ModuleType) -> float:
        """``"mean"`` averages over the ordered positive pairs (optax); 1 otherwise."""
        if self.reduction != "mean":
            return 1.0
        return float(xp.sum(xp.astype(self.positives, xp.int64)))


def _nt_xent_problem(xp: ModuleType, embeddings: Any, labels: Any, temperature: Any,
                     similarity: Any, reduction: Any, validate: bool) -> _NTXent:
    tau, similarity, reduction = _np_losses._contrastive_parameters(temperature, similarity,
                                                                    reduction)
    device = device_of(first_array(embeddings, labels))
    e, out_dtype = _embedding_matrix(xp, embeddings, "embeddings", validate, device)
    y = v.xp_asarray(xp, labels, "labels", device=device)
    y = _as_int64(xp, y)
    if tuple(y.shape) != (e.shape[0],):
        raise OnHost
    same = y[:, None] == y[None, :]
    index = xp.arange(e.shape[0], device=device)
    positives = same & (index[:, None] != index[None, :])
    if reduction == "mean" and not bool(xp.any(positives)):
        raise OnHost
    e_hat, norms = _normalised(xp, e, similarity)
    return _NTXent(e_hat, norms, positives, ~same, tau, reduction, out_dtype)


def _nt_xent_terms(xp: ModuleType, p: _NTXent) -> tuple[Any, Any, Any]:
    """Logits S, each anchor's log-sum-exp over its negatives a_i (-inf without any),
    and the pair margins u_ij = a_i - S_ij (pair loss softplus(u_ij))."""
    s = p.e_hat @ p.e_hat.mT / p.tau
    neg = xp.where(p.negatives, s, -_INF)
    a = _special.logsumexp(xp, neg, axis=1, b=None, keepdims=True, return_sign=False,
                           where=None, validate=False)
    u = xp.where(p.positives, a - s, -_INF)
    return s, a, u


@nx.quiet
def nt_xent(xp: ModuleType, embeddings: Any, labels: Any, *, temperature: Any,
            similarity: Any, reduction: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.nt_xent`."""
    p = _nt_xent_problem(xp, embeddings, labels, temperature, similarity, reduction, validate)
    _, _, u = _nt_xent_terms(xp, p)
    pair = xp.where(p.positives, _special._softplus(xp, u), 0.0)
    return _reduce(xp, xp.sum(pair, axis=1), p.reduction, p.denominator(xp), p.out_dtype)


@nx.quiet
def nt_xent_grad(xp: ModuleType, embeddings: Any, labels: Any, *, temperature: Any,
                 similarity: Any, reduction: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.nt_xent_grad`."""
    p = _nt_xent_problem(xp, embeddings, labels, temperature, similarity, reduction, validate)
    s, a, u = _nt_xent_terms(xp, p)
    den = p.denominator(xp)
    sig = xp.where(p.positives, _special._sigmoid(xp, u), 0.0)
    w = xp.where(p.negatives, xp.exp(s - a), 0.0)
    g = (w * xp.sum(sig, axis=1, keepdims=True) - sig) / (den if den else 1.0)
    d_hat = (g + g.mT) @ p.e_hat / p.tau
    return xp.astype(_normalised_backward(xp, p.e_hat, p.norms, d_hat), p.out_dtype)

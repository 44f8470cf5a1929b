"""Portable ``mlmath.losses``: the elementwise losses and their gradients.

The binary cross-entropies (from logits, with ``pos_weight``; from
probabilities), the sigmoid focal loss and the binary hinge loss, with the
NumPy path's formulas: ``softplus``/``sigmoid`` through the portable special
functions (float64 inside, float32 rounded once), ``xlogy``-style exact zeros
through ``where``, reductions accumulated in float64.  The softmax losses
(label gathering, smoothing, class weights, ``ignore_index``), the multiclass
hinge and the contrastive losses run on the host.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any, NamedTuple

from mlmath import _validation as v
from mlmath._namespace import device_of, first_array
from mlmath._xp import _numerics as nx
from mlmath._xp import special as _special

__all__ = ["binary_cross_entropy", "hinge_loss", "hinge_loss_grad", "sigmoid_binary_cross_entropy",
           "sigmoid_binary_cross_entropy_grad", "sigmoid_focal_loss", "sigmoid_focal_loss_grad"]

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

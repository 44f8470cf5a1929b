"""PyTorch under mlmath's names: ``mlmath check torch``.

Inputs are converted with ``torch.from_numpy`` (the dtype is kept: float32
stays float32; integer class indices become int64) and results converted
back, so mlmath's properties run unchanged.  Each wrapper calls the function a
PyTorch user would call with its default keywords:

=====================================  ===================================================
mlmath                                 PyTorch
=====================================  ===================================================
``softmax``, ``log_softmax``           ``torch.softmax`` / ``torch.log_softmax(x, dim=)``
``logsumexp``                          ``torch.logsumexp(x, dim=, keepdim=)``
``sigmoid``, ``log_sigmoid``           ``torch.sigmoid`` / ``F.logsigmoid``
``softplus``                           ``F.softplus(x)`` (beta=1, threshold=20)
``entropy``                            ``torch.special.entr(p).sum(dim)``
``kl_divergence``                      ``F.kl_div(log q, p, reduction="none").sum(dim)``
``softmax_cross_entropy``              ``F.cross_entropy`` (class axis moved to dim 1)
``sigmoid_binary_cross_entropy``       ``F.binary_cross_entropy_with_logits``
``binary_cross_entropy``               ``F.binary_cross_entropy`` (clamps log at -100)
``scaled_dot_product_attention``       ``F.scaled_dot_product_attention``
``huber``                              ``F.huber_loss(x, 0, reduction="sum", delta=)``
``*_grad`` of the four losses above    ``torch.autograd`` of those functions
=====================================  ===================================================

PyTorch's ``kl_div(input, target)`` takes the log-probabilities of q as
``input`` and p as ``target``: mlmath's ``log_input`` marks q and
``log_target`` marks p, so both keywords map directly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from mlmath.adapters import NotProvided, reject_keywords

__all__ = ["binary_cross_entropy", "entropy", "huber", "huber_grad", "kl_divergence",
           "log_sigmoid", "log_softmax", "logsumexp", "scaled_dot_product_attention",
           "scaled_dot_product_attention_grad", "sigmoid", "sigmoid_binary_cross_entropy",
           "sigmoid_binary_cross_entropy_grad", "softmax", "softmax_cross_entropy",
           "softmax_cross_entropy_grad", "softplus"]

#: Names whose ``*_grad`` this adapter computes with ``torch.autograd``.
AUTOGRAD: frozenset[str] = frozenset({"softmax_cross_entropy", "sigmoid_binary_cross_entropy",
                                      "scaled_dot_product_attention", "huber"})


def _t(x: Any, *, grad: bool = False) -> torch.Tensor:
    """A tensor of ``x`` keeping a float dtype (other numbers become float64)."""
    a = np.asarray(x)
    if a.dtype.kind not in "f":
        a = a.astype(np.float64)
    t = torch.from_numpy(np.ascontiguousarray(a))
    return t.requires_grad_(True) if grad else t


def _n(t: torch.Tensor) -> Any:
    out = t.detach().numpy()
    return out[()] if out.ndim == 0 else out


def _dim(axis: Any, ndim: int) -> Any:
    """mlmath's ``axis`` as a torch ``dim``: ``None`` is every dimension."""
    if axis is None:
        return tuple(range(ndim))
    return tuple(axis) if isinstance(axis, (tuple, list)) else int(axis)


def _per_base(t: torch.Tensor, base: float | None) -> torch.Tensor:
    return t if base is None else t / float(np.log(base))


def softmax(x: Any, *, axis: Any = -1, validate: bool = True) -> Any:
    """``torch.softmax(x, dim=axis)``."""
    if isinstance(axis, (tuple, list)):
        raise NotProvided("softmax: torch.softmax takes one dim")
    return _n(torch.softmax(_t(x), dim=int(axis)))


def log_softmax(x: Any, *, axis: Any = -1, validate: bool = True) -> Any:
    """``torch.log_softmax(x, dim=axis)``."""
    if isinstance(axis, (tuple, list)):
        raise NotProvided("log_softmax: torch.log_softmax takes one dim")
    return _n(torch.log_softmax(_t(x), dim=int(axis)))


def logsumexp(x: Any, *, axis: Any = -1, b: Any = None, keepdims: bool = False,
              return_sign: bool = False, where: Any = None, validate: bool = True) -> Any:
    """``torch.logsumexp(x, dim=axis, keepdim=keepdims)``."""
    reject_keywords("logsumexp", b=(b, None), return_sign=(return_sign, False),
                    where=(where, None))
    xt = _t(x)
    return _n(torch.logsumexp(xt, dim=_dim(axis, xt.ndim), keepdim=keepdims))


def sigmoid(x: Any, *, validate: bool = True) -> Any:
    """``torch.sigmoid(x)``."""
    return _n(torch.sigmoid(_t(x)))


def log_sigmoid(x: Any, *, validate: bool = True) -> Any:
    """``torch.nn.functional.logsigmoid(x)``."""
    return _n(F.logsigmoid(_t(x)))


def softplus(x: Any, *, validate: bool = True) -> Any:
    """``torch.nn.functional.softplus(x)``: beta=1 and PyTorch's default threshold=20."""
    return _n(F.softplus(_t(x)))


def entropy(p: Any, *, axis: Any = -1, base: float | None = None,
            validate: bool = True) -> Any:
    """``torch.special.entr(p).sum(dim=axis)``."""
    pt = _t(p)
    return _n(_per_base(torch.special.entr(pt).sum(dim=_dim(axis, pt.ndim)), base))


def kl_divergence(p: Any, q: Any, *, axis: Any = -1, base: float | None = None,
                  validate: bool = True, generalized: bool = True, log_input: bool = False,
                  log_target: bool = False) -> Any:
    """``F.kl_div(log q, p, reduction="none", log_target=log_target).sum(dim=axis)``.

    PyTorch's sum is the plain KL; mlmath's default (``generalized=True``) adds
    sum q - sum p, which is 0 for distributions: unnormalised inputs with the
    default are "not provided".
    """
    if generalized and not (log_input or log_target) and not (_normalised(p, axis)
                                                             and _normalised(q, axis)):
        raise NotProvided("kl_divergence: PyTorch has no generalized KL (unnormalised input)")
    qt = _t(q)
    inp = qt if log_input else torch.log(qt)
    kl = F.kl_div(inp, _t(p), reduction="none", log_target=log_target)
    return _n(_per_base(kl.sum(dim=_dim(axis, kl.ndim)), base))


def _normalised(p: Any, axis: Any) -> bool:
    """Whether the rows of ``p`` sum to 1 within a few eps of its dtype."""
    a = np.asarray(p)
    eps = float(np.finfo(a.dtype if a.dtype.kind == "f" else np.float64).eps)
    ax = tuple(axis) if isinstance(axis, (tuple, list)) else axis
    sums = np.sum(a, axis=ax, dtype=np.float64)
    return bool(np.all(np.abs(sums - 1) <= 8 * max(a.size, 1) * eps))


def _class_dim_first(logits: torch.Tensor, targets: torch.Tensor, axis: int
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """Move the class axis to dim 1 (dim 0 for one example), as F.cross_entropy wants."""
    if logits.ndim <= 1:
        return logits, targets
    axis = axis % logits.ndim
    moved = torch.movedim(logits, axis, 1)
    if targets.is_floating_point() and targets.shape == logits.shape:
        targets = torch.movedim(targets, axis, 1)
    return moved, targets


def _targets(targets: Any, logits: torch.Tensor) -> torch.Tensor:
    a = np.asarray(targets)
    if a.dtype.kind in "iub" and a.shape != tuple(logits.shape):
        return torch.from_numpy(a.astype(np.int64))
    return torch.from_numpy(np.ascontiguousarray(a.astype(logits.numpy(force=True).dtype)))


def _cross_entropy(lg: torch.Tensor, targets: Any, *, axis: int, label_smoothing: float,
                   class_weights: Any, ignore_index: int | None, reduction: str
                   ) -> torch.Tensor:
    lg_moved, tg = _class_dim_first(lg, _targets(targets, lg.detach()), axis)
    weight = None if class_weights is None else _t(class_weights).to(lg.dtype)
    return F.cross_entropy(lg_moved, tg, weight=weight,
                           ignore_index=-100 if ignore_index is None else int(ignore_index),
                           reduction=reduction, label_smoothing=float(label_smoothing))


def softmax_cross_entropy(logits: Any, targets: Any, *, axis: int = -1,
                          label_smoothing: float = 0.0, class_weights: Any = None,
                          ignore_index: int | None = None, reduction: str = "mean",
                          validate: bool = True) -> Any:
    """``F.cross_entropy`` with the class axis moved to dim 1."""
    return _n(_cross_entropy(_t(logits), targets, axis=axis, label_smoothing=label_smoothing,
                             class_weights=class_weights, ignore_index=ignore_index,
                             reduction=reduction))


def _grad_of(loss: torch.Tensor, *inputs: torch.Tensor) -> tuple[Any, ...]:
    if not loss.requires_grad:  # e.g. every target ignored: the loss is a constant
        return tuple(np.zeros(tuple(t.shape), t.numpy(force=True).dtype) for t in inputs)
    grads = torch.autograd.grad(loss.sum(), inputs, allow_unused=True)
    return tuple(np.zeros(tuple(t.shape), t.numpy(force=True).dtype) if g is None
                 else g.numpy() for g, t in zip(grads, inputs, strict=True))


def softmax_cross_entropy_grad(logits: Any, targets: Any, *, axis: int = -1,
                               label_smoothing: float = 0.0, class_weights: Any = None,
                               ignore_index: int | None = None, reduction: str = "mean",
                               validate: bool = True) -> Any:
    """d ``F.cross_entropy`` / d logits by ``torch.autograd`` (summed over ``"none"``)."""
    lg = _t(logits, grad=True)
    loss = _cross_entropy(lg, targets, axis=axis, label_smoothing=label_smoothing,
                          class_weights=class_weights, ignore_index=ignore_index,
                          reduction=reduction)
    return _grad_of(loss, lg)[0]


def _bce_logits(lg: torch.Tensor, targets: Any, pos_weight: Any, reduction: str
                ) -> torch.Tensor:
    pw = None if pos_weight is None else _t(pos_weight).to(lg.dtype)
    return F.binary_cross_entropy_with_logits(lg, _t(targets).to(lg.dtype), pos_weight=pw,
                                              reduction=reduction)


def sigmoid_binary_cross_entropy(logits: Any, targets: Any, *, pos_weight: Any = None,
                                 reduction: str = "mean", validate: bool = True) -> Any:
    """``F.binary_cross_entropy_with_logits(logits, targets, pos_weight=, reduction=)``."""
    return _n(_bce_logits(_t(logits), targets, pos_weight, reduction))


def sigmoid_binary_cross_entropy_grad(logits: Any, targets: Any, *, pos_weight: Any = None,
                                      reduction: str = "mean", validate: bool = True) -> Any:
    """d ``F.binary_cross_entropy_with_logits`` / d logits by ``torch.autograd``."""
    lg = _t(logits, grad=True)
    return _grad_of(_bce_logits(lg, targets, pos_weight, reduction), lg)[0]


def binary_cross_entropy(probs: Any, targets: Any, *, reduction: str = "mean",
                         validate: bool = True) -> Any:
    """``F.binary_cross_entropy(probs, targets, reduction=)`` (log clamped at -100)."""
    pt = _t(probs)
    return _n(F.binary_cross_entropy(pt, _t(targets).to(pt.dtype), reduction=reduction))


def _sdpa(qt: torch.Tensor, kt: torch.Tensor, vt: torch.Tensor, *, mask: Any, attn_bias: Any,
          causal: bool | str, scale: float | None, enable_gqa: bool) -> torch.Tensor:
    if causal not in (False, True, "upper_left"):
        raise NotProvided(f"scaled_dot_product_attention: causal={causal!r}")
    # mlmath broadcasts the leading dimensions of q, k, v and the mask together;
    # PyTorch takes the batch shape from q: expand everything to the common one.
    extra = [np.shape(m)[:-2] for m in (mask, attn_bias) if m is not None]
    batch = torch.broadcast_shapes(qt.shape[:-2], kt.shape[:-2], vt.shape[:-2], *extra)
    qt, kt, vt = (t.expand(*batch, *t.shape[-2:]) for t in (qt, kt, vt))
    attn_mask: torch.Tensor | None = None
    if attn_bias is not None:
        attn_mask = _t(attn_bias).to(qt.dtype)
    if mask is not None:
        m = torch.from_numpy(np.asarray(mask, dtype=bool))
        attn_mask = m if attn_mask is None else attn_mask.masked_fill(~m, float("-inf"))
    if causal and attn_mask is not None:
        # PyTorch refuses is_causal with a mask: fold the causal mask into it.
        lq, lk = qt.shape[-2], kt.shape[-2]
        tri = torch.ones(lq, lk, dtype=torch.bool).tril()
        attn_mask = (attn_mask & tri if attn_mask.dtype == torch.bool
                     else attn_mask.masked_fill(~tri, float("-inf")))
        causal = False
    return F.scaled_dot_product_attention(qt, kt, vt, attn_mask=attn_mask,
                                          is_causal=bool(causal), scale=scale,
                                          enable_gqa=enable_gqa)


def scaled_dot_product_attention(q: Any, k: Any, v: Any, *, mask: Any = None,
                                 attn_bias: Any = None, causal: bool | str = False,
                                 scale: float | None = None, enable_gqa: bool = False,
                                 dropout_p: float = 0.0, rng: Any = None,
                                 return_lse: bool = False, block_size: int | None = None,
                                 precision: str = "default", validate: bool = True) -> Any:
    """``F.scaled_dot_product_attention`` (mask: boolean, True = may attend)."""
    reject_keywords("scaled_dot_product_attention", dropout_p=(dropout_p, 0.0),
                    return_lse=(return_lse, False))
    return _n(_sdpa(_t(q), _t(k), _t(v), mask=mask, attn_bias=attn_bias, causal=causal,
                    scale=scale, enable_gqa=enable_gqa))


def scaled_dot_product_attention_grad(q: Any, k: Any, v: Any, grad_out: Any, *,
                                      mask: Any = None, attn_bias: Any = None,
                                      causal: bool | str = False, scale: float | None = None,
                                      enable_gqa: bool = False, block_size: int | None = None,
                                      validate: bool = True) -> Any:
    """(dq, dk, dv) of ``F.scaled_dot_product_attention`` by ``torch.autograd``."""
    qt, kt, vt = _t(q, grad=True), _t(k, grad=True), _t(v, grad=True)
    out = _sdpa(qt, kt, vt, mask=mask, attn_bias=attn_bias, causal=causal, scale=scale,
                enable_gqa=enable_gqa)
    return _grad_of(out * _t(grad_out).to(out.dtype), qt, kt, vt)


def huber(x: Any, delta: float = 1.0, *, validate: bool = True) -> Any:
    """``F.huber_loss(x, zeros, reduction="sum", delta=delta)``."""
    xt = _t(x)
    return _n(F.huber_loss(xt, torch.zeros_like(xt), reduction="sum", delta=float(delta)))


def huber_grad(x: Any, delta: float = 1.0, *, validate: bool = True) -> Any:
    """d ``F.huber_loss(x, 0, reduction="sum")`` / dx by ``torch.autograd``."""
    xt = _t(x, grad=True)
    loss = F.huber_loss(xt, torch.zeros_like(xt), reduction="sum", delta=float(delta))
    return _grad_of(loss, xt)[0]

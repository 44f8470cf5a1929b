"""Portable ``mlmath.attention``: ``attention_weights`` and the plain SDPA forward pass.

The NumPy path's plain algorithm: ``q`` pre-scaled, scores ``q kᵀ`` (+ the
bias), forbidden entries set to ``-inf`` (``mask``, the causal triangle with
either alignment), rows shifted by their max (0 for a row with no allowed
key), ``exp``, the row sums, ``(p v) / total`` with zeros for rows without an
allowed key, and ``lse = m + log(total)``.  GQA repeats the key/value heads.
The blocked algorithm (``block_size``), ``precision="high"`` (double-double
scores), dropout, empty key axes, ``multi_head_attention`` and the gradient run on the
host; the public functions choose.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any, NamedTuple

from mlmath import _validation as val
from mlmath import attention as _np_att
from mlmath._namespace import device_of, first_array
from mlmath._xp import _numerics as nx

__all__ = ["attention_weights", "scaled_dot_product_attention"]

_INF = float("inf")


class _Inputs(NamedTuple):
    q: Any               # pre-scaled, compute dtype, broadcast to batch + (Lq, d)
    k: Any
    v: Any | None
    mask: Any | None
    causal: bool
    diag: int
    bias: Any | None
    check_scores: bool
    out_dtype: Any


def _tail_check(shape: tuple[int, ...], lq: int, lk: int, name: str, given: Any) -> None:
    if any(s not in (1, want) for s, want in zip(shape[-2:], (lq, lk), strict=True)):
        raise ValueError(f"`{name}`: expected a shape broadcastable to (..., Lq, Lk) = "
                         f"(..., {lq}, {lk}), got {given}")


def _as_matrices(xp: ModuleType, x: Any) -> Any:
    return x if x.ndim >= 2 else xp.reshape(x, (1,) * (2 - x.ndim) + tuple(x.shape))


def _prepare(xp: ModuleType, q: Any, k: Any, v: Any, mask: Any, causal: Any, scale: Any,
             validate: bool, *, bias: Any, gqa: bool) -> _Inputs:
    is_causal, alignment = _np_att._check_causal(causal)
    device = device_of(first_array(q, k, v, mask, bias))
    qa, q_out = val.xp_as_float_array(xp, val.xp_asarray(xp, q, "q", device=device), "q")
    ka, k_out = val.xp_as_float_array(xp, val.xp_asarray(xp, k, "k", device=device), "k")
    if gqa:
        ka = _np_att._repeat_kv_heads(qa, ka, "k", xp)
    arrays = {"q": qa, "k": ka}
    out_dtypes = [q_out, k_out]
    va = None
    if v is not None:
        va, v_out = val.xp_as_float_array(xp, val.xp_asarray(xp, v, "v", device=device), "v")
        if gqa:
            va = _np_att._repeat_kv_heads(qa, va, "v", xp)
        arrays["v"] = va
        out_dtypes.append(v_out)
    for name, what in (("q", "(..., Lq, d)"), ("k", "(..., Lk, d)"), ("v", "(..., Lk, dv)")):
        if name in arrays and arrays[name].ndim < 2:
            raise ValueError(f"`{name}`: expected an array of shape {what}, got shape "
                             f"{tuple(arrays[name].shape)}")
    if qa.shape[-1] != ka.shape[-1]:
        raise ValueError(f"`k`: expected the feature size d = {qa.shape[-1]} of `q` in the last "
                         f"axis, got shape {tuple(ka.shape)}")
    if va is not None and va.shape[-2] != ka.shape[-2]:
        raise ValueError(f"`v`: expected Lk = {ka.shape[-2]} rows (the keys of `k`) in axis -2, "
                         f"got shape {tuple(va.shape)}")
    lq, lk = qa.shape[-2], ka.shape[-2]
    batch_shapes = {name: tuple(a.shape[:-2]) for name, a in arrays.items()}
    m = None
    if mask is not None:
        m0 = val.xp_asarray(xp, mask, "mask", device=device)
        if not xp.isdtype(m0.dtype, "bool"):
            raise TypeError(f"`mask`: expected a boolean array (True = may attend), got dtype "
                            f"{m0.dtype}")
        m = _as_matrices(xp, m0)
        _tail_check(tuple(m.shape), lq, lk, "mask", tuple(m0.shape))
        batch_shapes["mask"] = tuple(m.shape[:-2])
    out_dtype = val.xp_result_dtype(xp, *out_dtypes)
    compute = out_dtype if out_dtype in (xp.float32, xp.float64) else xp.float32
    b = None
    if bias is not None:
        b0 = val.xp_asarray(xp, bias, "attn_bias", device=device)
        if xp.isdtype(b0.dtype, "bool"):
            raise TypeError("`attn_bias`: expected a float array, got a boolean one (pass a "
                            "boolean mask as `mask`: True = may attend)")
        b1, _ = val.xp_as_float_array(xp, b0, "attn_bias")
        b = _as_matrices(xp, b1)
        _tail_check(tuple(b.shape), lq, lk, "attn_bias", tuple(b0.shape))
        if validate:
            val.xp_check_no_nan(xp, b1, "attn_bias")
            val.xp_check_no_posinf(xp, b1, "attn_bias", why="it would take all the weight")
        b = xp.astype(b, compute, copy=False)
        batch_shapes["attn_bias"] = tuple(b.shape[:-2])
    batch = _np_att._broadcast_batch(batch_shapes)
    if scale is None:
        if qa.shape[-1] == 0:
            raise ValueError(
                "`q`: expected d >= 1 to define the default scale 1/sqrt(d), got d = 0")
        s = 1.0 / math.sqrt(qa.shape[-1])
    else:
        s = val.check_positive_scalar(scale, "scale")
    if validate:
        for name, a in arrays.items():
            val.xp_check_finite(xp, a, name)
    qs = xp.astype(qa, compute, copy=False) * s  # s is rounded to the compute dtype first
    ka = xp.astype(ka, compute, copy=False)
    check = False
    if validate and math.prod(qs.shape) and math.prod(ka.shape):
        bound = qs.shape[-1] * float(xp.max(xp.abs(qs))) * float(xp.max(xp.abs(ka)))
        check = not bound < float(xp.finfo(compute).max) / 2
    qs = xp.broadcast_to(qs, (*batch, *qs.shape[-2:]))
    ka = xp.broadcast_to(ka, (*batch, *ka.shape[-2:]))
    if va is not None:
        va = xp.broadcast_to(xp.astype(va, compute, copy=False), (*batch, *va.shape[-2:]))
    diag = lk - lq if alignment == "lower_right" else 0
    return _Inputs(qs, ka, va, m, is_causal, diag, b, check, out_dtype)


def _weights(xp: ModuleType, inp: _Inputs) -> tuple[Any, Any, Any]:
    """``(p, m, total)``: unnormalised weights, row shifts and row sums."""
    s = inp.q @ xp.matrix_transpose(inp.k)
    if inp.check_scores and not bool(xp.all(xp.isfinite(s))):
        bad = val.first_index(val._host(~xp.isfinite(s)))
        raise ValueError(
            f"`q`, `k`: the scores scale * q kᵀ overflow {s.dtype} (at query {bad[-2]}, key "
            f"{bad[-1]}); rescale the inputs or pass a smaller `scale`")
    if inp.bias is not None:
        s = s + inp.bias
    if inp.mask is not None:
        s = xp.where(inp.mask, s, -_INF)
    lq, lk = s.shape[-2], s.shape[-1]
    if inp.causal:
        dev = s.device
        allowed = (xp.arange(lk, device=dev)[None, :]
                   <= xp.arange(lq, device=dev)[:, None] + inp.diag)
        s = xp.where(allowed, s, -_INF)
    m = xp.max(s, axis=-1, keepdims=True)
    m = xp.where(m == -_INF, 0.0, m)  # a row with no allowed key: exp(-inf) = 0 everywhere
    p = xp.exp(s - m)
    return p, m, xp.sum(p, axis=-1, keepdims=True)


def _normalise(xp: ModuleType, acc: Any, total: Any) -> Any:
    return xp.where(total != 0, acc / xp.where(total != 0, total, 1.0), 0.0)


def supported(q: Any, k: Any, *, block_size: Any = None, precision: Any = "default",
              dropout_p: Any = 0.0) -> bool:
    """Whether the call takes the portable path (else the public function runs on the host)."""
    return (block_size is None and precision == "default"
            and type(dropout_p) in (int, float) and dropout_p == 0
            and getattr(k, "ndim", 0) >= 2 and k.shape[-2] > 0)


@nx.quiet
def attention_weights(xp: ModuleType, q: Any, k: Any, *, mask: Any, attn_bias: Any,
                      causal: Any, scale: Any, enable_gqa: bool, validate: bool) -> Any:
    """Portable :func:`mlmath.attention_weights` (``precision="default"``)."""
    inp = _prepare(xp, q, k, None, mask, causal, scale, validate, bias=attn_bias,
                   gqa=enable_gqa)
    p, _, total = _weights(xp, inp)
    return xp.astype(_normalise(xp, p, total), inp.out_dtype)


@nx.quiet
def scaled_dot_product_attention(xp: ModuleType, q: Any, k: Any, v: Any, *, mask: Any,
                                 attn_bias: Any, causal: Any, scale: Any, enable_gqa: bool,
                                 return_lse: bool, validate: bool) -> Any:
    """Portable :func:`mlmath.scaled_dot_product_attention` (plain algorithm)."""
    inp = _prepare(xp, q, k, val.require(v, "v"), mask, causal, scale, validate,
                   bias=attn_bias, gqa=enable_gqa)
    assert inp.v is not None
    p, m, total = _weights(xp, inp)
    out = xp.astype(_normalise(xp, p @ inp.v, total), inp.out_dtype)
    if not return_lse:
        return out
    return out, xp.astype((m + xp.log(total))[..., 0], inp.out_dtype)

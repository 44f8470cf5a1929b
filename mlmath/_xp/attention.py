"""Portable ``mlmath.attention``: weights, SDPA (plain and blocked), its gradient, MHA.

The NumPy path's algorithms: ``q`` pre-scaled, scores ``q kᵀ`` (+ the
bias), forbidden entries set to ``-inf`` (``mask``, the causal triangle with
either alignment), rows shifted by their max (0 for a row with no allowed
key), ``exp``, the row sums, ``(p v) / total`` with zeros for rows without an
allowed key, and ``lse = m + log(total)``.  GQA repeats the key/value heads.
``block_size``: the exact online softmax, a loop over query blocks and key
blocks in the NumPy path's order (its thread pool is not needed: the
namespace's matrix products have their own).  Dropout masks are drawn by
the NumPy ``rng`` with the NumPy path's calls in its order (so a seed gives
the same mask on every namespace); only the mask crosses to the device.
The gradient is the analytic backward pass (blocked: FlashAttention-2's
recomputation from the saved log-sum-exp); ``multi_head_attention`` projects,
splits the heads and calls the portable SDPA.  ``precision="high"``: the NumPy
path's double-double scores (:func:`mlmath._compensated.matmul_dd`, Ozaki's
splitting, with ``frexp``/``ldexp`` from :mod:`mlmath._xp._numerics`) and
TwoSum-corrected exponentials, namespace-generic and shared.  Empty key axes
run on the host; the public functions choose.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any, NamedTuple

from mlmath import _compensated
from mlmath import _validation as val
from mlmath import attention as _np_att
from mlmath._namespace import device_of, first_array
from mlmath._xp import _numerics as nx

__all__ = ["attention_weights", "multi_head_attention", "scaled_dot_product_attention",
           "scaled_dot_product_attention_grad"]

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
    batch: tuple[int, ...]  # the broadcast batch shape
    scale: float
    #: precision="high" on float64: ``q`` is *not* pre-scaled, the scores are formed
    #: in double-double (:func:`_scores_dd`) and scaled there
    exact: bool


def _tail_check(shape: tuple[int, ...], lq: int, lk: int, name: str, given: Any) -> None:
    if any(s not in (1, want) for s, want in zip(shape[-2:], (lq, lk), strict=True)):
        raise ValueError(f"`{name}`: expected a shape broadcastable to (..., Lq, Lk) = "
                         f"(..., {lq}, {lk}), got {given}")


def _as_matrices(xp: ModuleType, x: Any) -> Any:
    return x if x.ndim >= 2 else xp.reshape(x, (1,) * (2 - x.ndim) + tuple(x.shape))


def _mask(xp: ModuleType, mask: Any, lq: int, lk: int, device: Any) -> Any:
    """A boolean mask broadcastable to (..., Lq, Lk), at least 2-D (the NumPy path's checks)."""
    m0 = val.xp_asarray(xp, mask, "mask", device=device)
    if not xp.isdtype(m0.dtype, "bool"):
        raise TypeError(f"`mask`: expected a boolean array (True = may attend), got dtype "
                        f"{m0.dtype}")
    m = _as_matrices(xp, m0)
    _tail_check(tuple(m.shape), lq, lk, "mask", tuple(m0.shape))
    return m


def _prepare(xp: ModuleType, q: Any, k: Any, v: Any, mask: Any, causal: Any, scale: Any,
             validate: bool, *, bias: Any, gqa: bool, high: bool = False) -> _Inputs:
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
        m = _mask(xp, mask, lq, lk, device)
        batch_shapes["mask"] = tuple(m.shape[:-2])
    out_dtype = val.xp_result_dtype(xp, *out_dtypes)
    compute = out_dtype if out_dtype in (xp.float32, xp.float64) else xp.float32
    # precision="high": float32 (and float16) are computed in float64, whose
    # plain scores carry 29 spare bits; float64 scores are formed in double-double.
    exact = high and compute == xp.float64
    if high:
        compute = xp.float64
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
    s = _np_att._scale_of(qa.shape[-1], scale)
    if validate:
        for name, a in arrays.items():
            val.xp_check_finite(xp, a, name)
    # s is rounded to the compute dtype first; the exact path scales the scores instead
    qs = xp.astype(qa, compute, copy=False) * (1.0 if exact else s)
    ka = xp.astype(ka, compute, copy=False)
    check = False
    if validate and math.prod(qs.shape) and math.prod(ka.shape):
        q_max = float(xp.max(xp.abs(qs * s if exact else qs)))
        bound = qs.shape[-1] * q_max * float(xp.max(xp.abs(ka)))
        check = not bound < float(xp.finfo(compute).max) / 2
    qs = xp.broadcast_to(qs, (*batch, *qs.shape[-2:]))
    ka = xp.broadcast_to(ka, (*batch, *ka.shape[-2:]))
    if va is not None:
        va = xp.broadcast_to(xp.astype(va, compute, copy=False), (*batch, *va.shape[-2:]))
    diag = lk - lq if alignment == "lower_right" else 0
    return _Inputs(qs, ka, va, m, is_causal, diag, b, check, out_dtype, batch, s, exact)


def _check_scores(xp: ModuleType, inp: _Inputs, s: Any, i0: int, j0: int) -> None:
    if inp.check_scores and not bool(xp.all(xp.isfinite(s))):
        bad = val.first_index(val._host(~xp.isfinite(s)))
        raise ValueError(
            f"`q`, `k`: the scores scale * q kᵀ overflow {s.dtype} (at query {i0 + bad[-2]}, "
            f"key {j0 + bad[-1]}); rescale the inputs or pass a smaller `scale`")


def _bias_block(inp: _Inputs, i0: int, i1: int, j0: int, j1: int) -> Any:
    assert inp.bias is not None
    return _np_att._mask_block(inp.bias, i0, i1 - i0, j0, j1 - j0)


def _forbid(xp: ModuleType, inp: _Inputs, s: Any, i0: int, i1: int, j0: int, j1: int) -> Any:
    """``s`` with -inf where query i0 + r may not attend key j0 + c (mask or causality)."""
    if inp.mask is not None:
        s = xp.where(_np_att._mask_block(inp.mask, i0, i1 - i0, j0, j1 - j0), s, -_INF)
    if inp.causal and j1 - 1 > i0 + inp.diag:  # some key after some query of the block
        dev = s.device
        allowed = (xp.arange(j0, j1, device=dev)[None, :]
                   <= xp.arange(i0, i1, device=dev)[:, None] + inp.diag)
        s = xp.where(allowed, s, -_INF)
    return s


def _scores(xp: ModuleType, inp: _Inputs, i0: int, i1: int, j0: int, j1: int) -> Any:
    """scale * q kᵀ (+ bias) for queries i0:i1 and keys j0:j1, -inf where forbidden."""
    s = inp.q[..., i0:i1, :] @ xp.matrix_transpose(inp.k[..., j0:j1, :])
    _check_scores(xp, inp, s, i0, j0)
    if inp.bias is not None:
        s = s + _bias_block(inp, i0, i1, j0, j1)
    return _forbid(xp, inp, s, i0, i1, j0, j1)


def _scores_dd(xp: ModuleType, inp: _Inputs, i0: int, i1: int, j0: int,
               j1: int) -> tuple[Any, Any]:
    """:func:`mlmath.attention._scores_dd`: the block's scores as a double-double
    ``(hi, lo)`` (Ozaki products, TwoProduct with the scale, TwoSum with the bias)."""
    hi, lo = _compensated.matmul_dd(inp.q[..., i0:i1, :], inp.k[..., j0:j1, :], xp)
    p, p_err = _compensated.two_prod(hi, xp.full_like(hi, inp.scale))
    hi, lo = _compensated.fast_two_sum(p, p_err + lo * inp.scale)
    _check_scores(xp, inp, hi, i0, j0)
    if inp.bias is not None:  # one more error-free addition
        hi, err = _compensated.two_sum(hi, xp.broadcast_to(_bias_block(inp, i0, i1, j0, j1),
                                                           hi.shape))
        lo = lo + xp.where(xp.isfinite(err), err, 0.0)
    hi = _forbid(xp, inp, hi, i0, i1, j0, j1)
    return hi, xp.where(hi == -_INF, 0.0, lo)


def _shift(xp: ModuleType, m: Any) -> Any:
    """A row maximum with -inf (a row with no allowed key) replaced by 0: exp(-inf) = 0."""
    return xp.where(m == -_INF, 0.0, m)


def _weights(xp: ModuleType, inp: _Inputs) -> tuple[Any, Any, Any]:
    """``(p, m, total)``: unnormalised weights, row shifts and row sums."""
    lq, lk = inp.q.shape[-2], inp.k.shape[-2]
    if inp.exact:
        hi, lo = _scores_dd(xp, inp, 0, lq, 0, lk)
        m = _shift(xp, xp.max(hi, axis=-1, keepdims=True))
        p = _np_att._exp_shifted_dd(hi, lo, m, xp)
        # a double-double row sum: the weights' last error term
        total_hi, total_lo = _compensated.dd_sum(p, -1, xp)
        return p, m, (total_hi + total_lo)[..., None]
    s = _scores(xp, inp, 0, lq, 0, lk)
    m = _shift(xp, xp.max(s, axis=-1, keepdims=True))
    p = xp.exp(s - m)
    return p, m, xp.sum(p, axis=-1, keepdims=True)


def _normalise(xp: ModuleType, acc: Any, total: Any) -> Any:
    return xp.where(total != 0, acc / xp.where(total != 0, total, 1.0), 0.0)


_Dropout = tuple[float, Any] | None


def _drop(xp: ModuleType, p: Any, dropout: _Dropout) -> Any:
    """The NumPy path's dropout (:func:`mlmath.attention._drop`): the same draw of the
    NumPy ``rng`` (shape of ``p``), the mask alone copied to ``p``'s device."""
    if dropout is None:
        return p
    rate, rng = dropout
    keep = xp.asarray(rng.random(tuple(p.shape)) >= rate, device=p.device)
    return xp.where(keep, p * (1.0 / (1.0 - rate)), 0.0)  # the factor in p's dtype, as there


def _lse(xp: ModuleType, m: Any, total: Any) -> Any:
    return m + xp.log(total)  # -inf for a row with no allowed key (m = 0, total = 0)


def _masked_out(inp: _Inputs, i1: int, j0: int) -> bool:
    """Causality forbids every pair of the block (the NumPy path's ``_block_is_masked_out``)."""
    return inp.causal and j0 > i1 - 1 + inp.diag


def _blocked(xp: ModuleType, inp: _Inputs, block: int, dropout: _Dropout) -> tuple[Any, Any]:
    """``(out, lse)`` (lse with a kept last axis) by the online softmax over key blocks.

    :func:`mlmath.attention._blocked_forward` step for step: per query block a
    running maximum ``m``, sum ``total`` and output ``acc``, rescaled by
    ``exp(m_old - m_new)`` when the maximum grows; the query blocks are
    concatenated (the standard has no in-place slice assignment on every
    library).
    """
    assert inp.v is not None
    lq, lk, dv = inp.q.shape[-2], inp.k.shape[-2], inp.v.shape[-1]
    dt, dev = inp.q.dtype, inp.q.device
    outs, lses = [], []
    for i0, i1 in _np_att._blocks(lq, block):
        m = xp.full((*inp.batch, i1 - i0, 1), -_INF, dtype=dt, device=dev)
        total = xp.zeros_like(m)
        acc = xp.zeros((*inp.batch, i1 - i0, dv), dtype=dt, device=dev)
        for j0, j1 in _np_att._blocks(lk, block):
            if _masked_out(inp, i1, j0):
                break  # causal: every later key block is masked out too
            if inp.exact:
                s, s_lo = _scores_dd(xp, inp, i0, i1, j0, j1)
            else:
                s = _scores(xp, inp, i0, i1, j0, j1)
            m_new = xp.maximum(m, xp.max(s, axis=-1, keepdims=True))
            shift = _shift(xp, m_new)
            # exp(m_old - m_new) <= 1 rescales the partial sums (0 while m_old = -inf)
            if inp.exact:
                alpha = _np_att._exp_shifted_dd(m, xp.zeros_like(m), shift, xp)
                p = _np_att._exp_shifted_dd(s, s_lo, shift, xp)
            else:
                alpha = xp.exp(m - shift)
                p = xp.exp(s - shift)
            total = total * alpha + xp.sum(p, axis=-1, keepdims=True)
            acc = acc * alpha + _drop(xp, p, dropout) @ inp.v[..., j0:j1, :]
            m = m_new
        outs.append(_normalise(xp, acc, total))
        lses.append(_lse(xp, _shift(xp, m), total))
    return xp.concat(outs, axis=-2), xp.concat(lses, axis=-2)


def _forward(xp: ModuleType, inp: _Inputs, block: int | None,
             dropout: _Dropout) -> tuple[Any, Any]:
    """``(out, lse)`` in the compute dtype, lse with a kept last axis."""
    assert inp.v is not None
    if block is not None:
        return _blocked(xp, inp, block, dropout)
    p, m, total = _weights(xp, inp)
    return _normalise(xp, _drop(xp, p, dropout) @ inp.v, total), _lse(xp, m, total)


def supported(q: Any, k: Any) -> bool:
    """Whether the call takes the portable path (else the public function runs on the
    host): not for an empty key axis, whose rows the NumPy path defines."""
    return getattr(k, "ndim", 0) >= 2 and k.shape[-2] > 0


@nx.quiet
def attention_weights(xp: ModuleType, q: Any, k: Any, *, mask: Any, attn_bias: Any,
                      causal: Any, scale: Any, enable_gqa: bool, precision: Any,
                      validate: bool) -> Any:
    """Portable :func:`mlmath.attention_weights`."""
    high = _np_att._check_precision(precision)
    inp = _prepare(xp, q, k, None, mask, causal, scale, validate, bias=attn_bias,
                   gqa=enable_gqa, high=high)
    p, _, total = _weights(xp, inp)
    return xp.astype(_normalise(xp, p, total), inp.out_dtype)


@nx.quiet
def scaled_dot_product_attention(xp: ModuleType, q: Any, k: Any, v: Any, *, mask: Any,
                                 attn_bias: Any, causal: Any, scale: Any, enable_gqa: bool,
                                 dropout_p: Any, rng: Any, return_lse: bool, block_size: Any,
                                 precision: Any, validate: bool) -> Any:
    """Portable :func:`mlmath.scaled_dot_product_attention`."""
    block = _np_att._check_block_size(block_size)
    high = _np_att._check_precision(precision)
    dropout = _np_att._check_dropout(dropout_p, rng)
    inp = _prepare(xp, q, k, val.require(v, "v"), mask, causal, scale, validate,
                   bias=attn_bias, gqa=enable_gqa, high=high)
    out, lse = _forward(xp, inp, block, dropout)
    out = xp.astype(out, inp.out_dtype)
    return (out, xp.astype(lse[..., 0], inp.out_dtype)) if return_lse else out


def _grads(xp: ModuleType, inp: _Inputs, g: Any, block: int | None) -> tuple[Any, Any, Any]:
    """(dq / scale, dk, dv) in the broadcast batch shape: :func:`mlmath.attention._grad_kernel`.

    Plain: the normalised weights once.  Blocked: the blocked forward pass, then
    each block's weights recomputed from the saved log-sum-exp, the blocks'
    contributions added in the NumPy path's order and concatenated.
    """
    assert inp.v is not None
    if block is None:
        p, _, total = _weights(xp, inp)
        p = _normalise(xp, p, total)
        delta = _np_att._rank_one_term(g, p @ inp.v, xp)
        return _np_att._block_grads(p, g, delta, inp.q, inp.k, inp.v, xp)
    out, lse = _blocked(xp, inp, block, None)
    delta = _np_att._rank_one_term(g, out, xp)
    lq, lk = inp.q.shape[-2], inp.k.shape[-2]
    key_blocks = _np_att._blocks(lk, block)
    dk = [xp.zeros_like(inp.k[..., j0:j1, :]) for j0, j1 in key_blocks]
    dv = [xp.zeros_like(inp.v[..., j0:j1, :]) for j0, j1 in key_blocks]
    dq = []
    for i0, i1 in _np_att._blocks(lq, block):
        dq_i = xp.zeros_like(inp.q[..., i0:i1, :])
        for b, (j0, j1) in enumerate(key_blocks):
            if _masked_out(inp, i1, j0):
                break
            p = xp.exp(_scores(xp, inp, i0, i1, j0, j1) - _shift(xp, lse[..., i0:i1, :]))
            c_dq, c_dk, c_dv = _np_att._block_grads(
                p, g[..., i0:i1, :], delta[..., i0:i1, :], inp.q[..., i0:i1, :],
                inp.k[..., j0:j1, :], inp.v[..., j0:j1, :], xp)
            dq_i, dk[b], dv[b] = dq_i + c_dq, dk[b] + c_dk, dv[b] + c_dv
        dq.append(dq_i)
    return xp.concat(dq, axis=-2), xp.concat(dk, axis=-2), xp.concat(dv, axis=-2)


@nx.quiet
def scaled_dot_product_attention_grad(xp: ModuleType, q: Any, k: Any, v: Any, grad_out: Any, *,
                                      mask: Any, attn_bias: Any, causal: Any, scale: Any,
                                      enable_gqa: bool, block_size: Any,
                                      validate: bool) -> tuple[Any, Any, Any]:
    """Portable :func:`mlmath.scaled_dot_product_attention_grad`."""
    block = _np_att._check_block_size(block_size)
    inp = _prepare(xp, q, k, val.require(v, "v"), mask, causal, scale, validate,
                   bias=attn_bias, gqa=enable_gqa)
    assert inp.v is not None
    device = device_of(first_array(q, k, v, grad_out, mask, attn_bias))
    g, _ = val.xp_as_float_array(xp, val.xp_asarray(xp, grad_out, "grad_out", device=device),
                                 "grad_out")
    want = (*inp.batch, inp.q.shape[-2], inp.v.shape[-1])
    if tuple(g.shape) != want:
        raise ValueError(f"`grad_out`: expected the output shape (..., Lq, dv) = {want}, got "
                         f"{tuple(g.shape)}")
    if validate:
        val.xp_check_finite(xp, g, "grad_out")
    # Gradients take the dtype of q, k, v (as the values do); grad_out is cast to it.
    dq, dk, dv = _grads(xp, inp, xp.astype(g, inp.q.dtype, copy=False), block)
    shapes = [tuple(val.xp_asarray(xp, a, name, device=device).shape)
              for a, name in ((q, "q"), (k, "k"), (v, "v"))]
    if enable_gqa:
        dk, dv = (_np_att._fold_heads(gr, shape, xp) for gr, shape in zip((dk, dv), shapes[1:],
                                                                           strict=True))
    # dk already carries scale through the pre-scaled q; dq gets it here (in its dtype).
    grads = (dq * inp.scale, dk, dv)
    dq, dk, dv = (xp.astype(_np_att._sum_to_shape(gr, shp, xp), inp.out_dtype)
                  for gr, shp in zip(grads, shapes, strict=True))
    return dq, dk, dv


@nx.quiet
def multi_head_attention(xp: ModuleType, x: Any, w_q: Any, w_k: Any, w_v: Any, w_o: Any, *,
                         num_heads: Any, mask: Any, causal: bool, validate: bool) -> Any:
    """Portable :func:`mlmath.multi_head_attention`: projections, the portable SDPA per head."""
    device = device_of(first_array(x, w_q, w_k, w_v, w_o, mask))
    xa, x_out = val.xp_as_float_array(xp, val.xp_asarray(xp, x, "x", device=device), "x")
    if xa.ndim < 2:
        raise ValueError(f"`x`: expected an array of shape (..., L, d_model), got shape "
                         f"{tuple(xa.shape)}")
    d_model = xa.shape[-1]
    ws = []
    for w, name in zip((w_q, w_k, w_v, w_o), _np_att._PROJECTIONS, strict=True):
        arr, out = val.xp_as_float_array(xp, val.xp_asarray(xp, w, name, device=device), name)
        if tuple(arr.shape) != (d_model, d_model):
            raise ValueError(f"`{name}`: expected shape (d_model, d_model) = ({d_model}, "
                             f"{d_model}), got {tuple(arr.shape)}")
        ws.append((arr, out))
    h = _np_att._check_num_heads(num_heads, d_model)
    if validate:
        val.xp_check_finite(xp, xa, "x")
        for (w, _), name in zip(ws, _np_att._PROJECTIONS, strict=True):
            val.xp_check_finite(xp, w, name)
    out_dtype = val.xp_result_dtype(xp, x_out, *(o for _, o in ws))
    compute = out_dtype if out_dtype in (xp.float32, xp.float64) else xp.float32
    xa = xp.astype(xa, compute, copy=False)
    wq, wk, wv, wo = (xp.astype(w, compute, copy=False) for w, _ in ws)
    length = xa.shape[-2]
    heads_mask = None if mask is None else _mask(xp, mask, length, length, device)[..., None, :, :]
    heads = scaled_dot_product_attention(
        xp, *(_np_att._split_heads(xa @ w, h, xp) for w in (wq, wk, wv)), mask=heads_mask,
        attn_bias=None, causal=causal, scale=None, enable_gqa=False, dropout_p=0.0, rng=None,
        return_lse=False, block_size=None, precision="default", validate=validate)
    return xp.astype(_np_att._merge_heads(heads, xp) @ wo, out_dtype)

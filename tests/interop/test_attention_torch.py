"""mlmath.attention against PyTorch (CPU): values, autograd and nn.MultiheadAttention.

Skipped cleanly when torch is not installed (CI has no torch).  Conventions mapped:
PyTorch's boolean ``attn_mask`` for SDPA is True = may attend (as ours), but
``nn.MultiheadAttention``'s boolean ``attn_mask`` is True = *not* allowed, and its
weights act on the left (``x @ W.T``), so ``in_proj_weight = cat(w_q.T, w_k.T, w_v.T)``
and ``out_proj.weight = w_o.T``.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlmath as mm

torch = pytest.importorskip("torch")
F = torch.nn.functional

pytestmark = pytest.mark.interop

CASES = [  # (Lq, Lk, causal, masked, scale)
    (5, 5, False, False, None),
    (5, 5, True, False, None),
    (3, 7, True, True, None),
    (7, 3, True, False, 0.3),
    (6, 4, False, True, 2.0),
]


def _inputs(lq, lk, masked, dtype=np.float64):
    rng = np.random.default_rng(lq * 100 + lk)
    q = rng.standard_normal((2, 3, lq, 4)).astype(dtype)
    k = rng.standard_normal((2, 3, lk, 4)).astype(dtype)
    v = rng.standard_normal((2, 3, lk, 5)).astype(dtype)
    mask = None
    if masked:
        mask = rng.random((lq, lk)) < 0.6
        mask[0] = False  # a fully masked query row
    return q, k, v, mask


def _torch_sdpa(q, k, v, mask, causal, scale):
    """PyTorch SDPA; it rejects attn_mask together with is_causal, so combine them."""
    attn_mask = None if mask is None else torch.from_numpy(mask)
    if causal and attn_mask is not None:
        attn_mask = attn_mask & torch.ones(mask.shape, dtype=torch.bool).tril()
        causal = False
    return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=causal,
                                          scale=scale)


@pytest.mark.parametrize(("lq", "lk", "causal", "masked", "scale"), CASES)
@pytest.mark.parametrize("block_size", [None, 2])
def test_values_match_torch_sdpa(lq, lk, causal, masked, scale, block_size):
    """Values agree with torch SDPA (float64) to 1e-14, fully masked rows included
    (PyTorch >= 2.5 also returns zeros there); causal is top-left in both."""
    q, k, v, mask = _inputs(lq, lk, masked)
    ours = mm.scaled_dot_product_attention(q, k, v, mask=mask, causal=causal, scale=scale,
                                           block_size=block_size)
    theirs = _torch_sdpa(*map(torch.from_numpy, (q, k, v)), mask, causal, scale).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-14)


def test_float32_values_match_torch_sdpa():
    """float32 in, float32 out, within 16 eps(float32) of torch."""
    q, k, v, _ = _inputs(6, 6, False, np.float32)
    ours = mm.scaled_dot_product_attention(q, k, v, causal=True)
    theirs = F.scaled_dot_product_attention(*map(torch.from_numpy, (q, k, v)),
                                            is_causal=True).numpy()
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=16 * np.finfo(np.float32).eps)


@pytest.mark.parametrize(("lq", "lk", "causal", "masked", "scale"), CASES)
@pytest.mark.parametrize("block_size", [None, 3])
def test_gradients_match_torch_autograd(lq, lk, causal, masked, scale, block_size):
    """(dq, dk, dv) agree with torch autograd of sum(grad_out * SDPA) to 1e-13."""
    q, k, v, mask = _inputs(lq, lk, masked)
    g = np.random.default_rng(7).standard_normal((2, 3, lq, 5))
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    _torch_sdpa(tq, tk, tv, mask, causal, scale).backward(torch.from_numpy(g))
    ours = mm.scaled_dot_product_attention_grad(q, k, v, g, mask=mask, causal=causal,
                                                scale=scale, block_size=block_size)
    for name, mine, t in zip("qkv", ours, (tq, tk, tv), strict=True):
        np.testing.assert_allclose(mine, t.grad.numpy(), rtol=0, atol=1e-13, err_msg=f"d{name}")


@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_matches_torch_multihead_attention(causal):
    """multi_head_attention equals nn.MultiheadAttention(bias=False) with mapped weights."""
    rng = np.random.default_rng(3)
    d_model, heads, length = 6, 3, 5
    x = rng.standard_normal((2, length, d_model))
    w_q, w_k, w_v, w_o = rng.standard_normal((4, d_model, d_model)) / np.sqrt(d_model)
    mask = rng.random((length, length)) < 0.7
    np.fill_diagonal(mask, True)
    ours = mm.multi_head_attention(x, w_q, w_k, w_v, w_o, num_heads=heads, mask=mask,
                                   causal=causal)
    layer = torch.nn.MultiheadAttention(d_model, heads, bias=False, batch_first=True,
                                        dtype=torch.float64)
    with torch.no_grad():
        layer.in_proj_weight.copy_(torch.from_numpy(np.concatenate([w_q.T, w_k.T, w_v.T])))
        layer.out_proj.weight.copy_(torch.from_numpy(w_o.T))
    forbidden = ~mask
    if causal:
        forbidden |= np.triu(np.ones((length, length), dtype=bool), k=1)
    xt = torch.from_numpy(x)
    theirs, _ = layer(xt, xt, xt, attn_mask=torch.from_numpy(forbidden), need_weights=False)
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=0, atol=1e-13)


# ------------------------------------------------ second-wave keywords (issue 16)
@pytest.mark.parametrize("block_size", [None, 2])
@pytest.mark.parametrize(("lq", "lk"), [(3, 7), (5, 5), (6, 4)])
def test_bias_lower_right_gqa_and_lse_match_torch(lq, lk, block_size):
    """attn_bias = PyTorch's float attn_mask; causal='lower_right' = its bottom-right
    causal mask; enable_gqa = its head repetition; lse = logsumexp of the scores."""
    rng = np.random.default_rng(lq * 10 + lk)
    q = rng.standard_normal((2, 4, lq, 3))
    k = rng.standard_normal((2, 2, lk, 3))
    v = rng.standard_normal((2, 2, lk, 5))
    bias = rng.standard_normal((lq, lk))
    bias[0, -1] = -np.inf
    allowed = np.tril(np.ones((lq, lk), bool), k=lk - lq)
    torch_bias = torch.from_numpy(np.where(allowed, bias, -np.inf))
    tq, tk, tv = (torch.from_numpy(a) for a in (q, k, v))
    ref = F.scaled_dot_product_attention(tq, tk, tv, attn_mask=torch_bias, enable_gqa=True)
    out, lse = mm.scaled_dot_product_attention(q, k, v, attn_bias=bias, causal="lower_right",
                                               enable_gqa=True, return_lse=True,
                                               block_size=block_size)
    ref = np.nan_to_num(ref.numpy())   # PyTorch: NaN for a query with nothing allowed
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-13)
    scores = (np.repeat(q, 1, axis=1) @ np.swapaxes(np.repeat(k, 2, axis=1), -1, -2)
              / np.sqrt(3) + np.where(allowed, bias, -np.inf))
    want = torch.logsumexp(torch.from_numpy(scores), dim=-1).numpy()
    np.testing.assert_allclose(lse, want, rtol=1e-12, atol=1e-13)


def test_gradients_with_bias_lower_right_and_gqa_match_autograd():
    rng = np.random.default_rng(21)
    q = rng.standard_normal((1, 4, 3, 2))
    k = rng.standard_normal((1, 2, 5, 2))
    v = rng.standard_normal((1, 2, 5, 3))
    g = rng.standard_normal((1, 4, 3, 3))
    bias = rng.standard_normal((3, 5))
    allowed = np.tril(np.ones((3, 5), bool), k=2)
    leaves = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    out = F.scaled_dot_product_attention(*leaves, attn_mask=torch.from_numpy(
        np.where(allowed, bias, -np.inf)), enable_gqa=True)
    out.backward(torch.from_numpy(g))
    for block_size in (None, 2):
        got = mm.scaled_dot_product_attention_grad(q, k, v, g, attn_bias=bias,
                                                   causal="lower_right", enable_gqa=True,
                                                   block_size=block_size)
        for mine, leaf in zip(got, leaves, strict=True):
            np.testing.assert_allclose(mine, leaf.grad.numpy(), rtol=1e-11, atol=1e-12)

"""Properties of scaled dot-product and multi-head attention (mlmath.attention).

Each test states one theorem; ``mm`` is the implementation under test.  The
meta-tests at the bottom feed each property a deliberately broken
implementation (a table of realistic bugs) and require the property to fail.

Tolerances.  Attention maps a score error delta to an output error of at most
2 * delta * max|v| (the softmax Jacobian has row sums of |.| <= 2), and the
scores scale * q kᵀ carry an error of about (d + 2) eps * S where
S = max scale * |q| |k|ᵀ; the final normalised sums add about (Lk + 4) eps *
max|v|.  ``_attention_atol_eps`` turns this into an absolute bound in units of
eps (times a safety factor of 4); it is an a-priori bound, not a fitted one.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, example, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample
from hypothesis.extra import numpy as hnp

import mlmath
from mlmath import strategies as mst
from mlmath.testing import assert_all, assert_close_eps, expect_property_failure, mutant

# --------------------------------------------------------------------------
# Oracles and tolerances (independent of the implementation under test)
# --------------------------------------------------------------------------


def _default_scale(q, scale):
    return 1.0 / math.sqrt(np.shape(q)[-1]) if scale is None else scale


def _allowed(mask, causal, lq, lk):
    """The "may attend" set by definition: mask and (top-left) j <= i."""
    allowed = np.ones((lq, lk), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if causal:
        allowed = allowed & (np.arange(lk)[None, :] <= np.arange(lq)[:, None])
    return allowed


def _attention_atol_eps(q, k, v, scale=None):
    """A-priori bound (units of eps) on |attention error| for these inputs; see module doc."""
    q64, k64 = np.abs(np.asarray(q, np.float64)), np.abs(np.asarray(k, np.float64))
    s_max = _default_scale(q, scale) * float(np.max(q64 @ np.swapaxes(k64, -1, -2), initial=0))
    d, lk = np.shape(q)[-1], np.shape(k)[-2]
    v_max = float(np.max(np.abs(v), initial=0))
    return 4 * (2 * (d + 2) * s_max + lk + 4) * v_max


def _call(fn, inp, **kwargs):
    return fn(inp["q"], inp["k"], inp["v"], mask=inp["mask"], **kwargs)


causal_flags = st.booleans()
block_sizes = st.one_of(st.none(), st.integers(1, 8))


# --------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------


@given(inp=mst.attention_inputs(dtype=np.float32) | mst.attention_inputs(), causal=causal_flags)
@example(inp={"q": np.ones((2, 1)), "k": np.ones((3, 1)), "v": np.ones((3, 1)),
              "mask": np.array([[False] * 3, [True, False, True]])}, causal=False)
def test_attention_weights_rows_are_distributions(mm, inp, causal):
    """Weights are >= 0 and each row sums to 1, or is exactly 0 when no key is allowed."""
    w = mm.attention_weights(inp["q"], inp["k"], mask=inp["mask"], causal=causal)
    assert_all(np.isfinite(w) & (w >= 0), "weights-simplex", "finite weights >= 0", **inp)
    lq, lk = w.shape[-2:]
    has_key = np.broadcast_to(_allowed(inp["mask"], causal, lq, lk), w.shape).any(axis=-1)
    sums = np.sum(w, axis=-1)
    assert_all(np.where(has_key, True, sums == 0), "weights-simplex",
               "all-zero rows where no key is allowed", **inp)
    # Lk roundings in the normalisation plus Lk in this sum.
    assert_close_eps(sums[has_key], 1.0, prop="weights-simplex", rtol_eps=2 * lk + 4, **inp)


@given(inp=mst.attention_inputs(), causal=causal_flags)
def test_attention_weights_zero_where_masked(mm, inp, causal):
    """Pairs that mask or causality (top-left: key j > query i) forbid get weight exactly 0."""
    w = mm.attention_weights(inp["q"], inp["k"], mask=inp["mask"], causal=causal)
    allowed = np.broadcast_to(_allowed(inp["mask"], causal, *w.shape[-2:]), w.shape)
    assert_all(np.where(allowed, True, w == 0), "masked-zero", "w == 0 where forbidden", **inp)


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------


@given(inp=mst.attention_inputs(dtype=np.float32) | mst.attention_inputs(),
       causal=causal_flags, block_size=block_sizes)
def test_attention_output_is_convex_combination(mm, inp, causal, block_size):
    """Each output coordinate lies between the min and max of v over the allowed keys
    (o_i = sum_j w_ij v_j with w_i on the simplex); rows with no allowed key are 0."""
    o = _call(mm.scaled_dot_product_attention, inp, causal=causal, block_size=block_size)
    lq, lk = o.shape[-2], inp["k"].shape[-2]
    allowed = np.broadcast_to(_allowed(inp["mask"], causal, lq, lk)[..., None],
                              (*o.shape[:-1], lk, 1))
    v = np.expand_dims(np.asarray(inp["v"], np.float64), -3)  # (..., 1, Lk, dv)
    lo = np.min(np.where(allowed, v, np.inf), axis=-2)
    hi = np.max(np.where(allowed, v, -np.inf), axis=-2)
    empty = ~allowed.any(axis=-2)
    # Lk + 4 roundings of the normalised sum, each at most eps * max|v|.
    slack = (lk + 4) * np.finfo(o.dtype).eps * float(np.max(np.abs(inp["v"]), initial=0))
    inside = (o >= lo - slack) & (o <= hi + slack)
    assert_all(np.where(empty, o == 0, inside), "convex", "min_j v_j <= o <= max_j v_j",
               o=o, **inp)


@given(inp=mst.attention_inputs(), u=hnp.arrays(np.float64, 4, elements=st.floats(-3, 3)),
       causal=causal_flags)
def test_attention_invariant_to_translating_keys(mm, inp, u, causal):
    """Translating every key by one vector u adds scale*(q_i . u) to row i of the scores,
    a per-row shift, which softmax ignores: attn(q, k + u, v) = attn(q, k, v)."""
    k2 = inp["k"] + u[: inp["k"].shape[-1]]
    base = _call(mm.scaled_dot_product_attention, inp, causal=causal)
    moved = _call(mm.scaled_dot_product_attention, {**inp, "k": k2}, causal=causal)
    tol = max(_attention_atol_eps(inp["q"], inp["k"], inp["v"]),
              _attention_atol_eps(inp["q"], k2, inp["v"]))
    assert_close_eps(moved, base, prop="shift-invariance", rtol_eps=0, atol_eps=tol, u=u, **inp)


@given(inp=mst.attention_inputs(), data=st.data())
def test_attention_invariant_to_joint_key_value_permutation(mm, inp, data):
    """Permuting the keys, the values and the mask's key axis together leaves the output
    unchanged: attention is a function of the set of (key, value) pairs."""
    lk = inp["k"].shape[-2]
    perm = np.array(data.draw(st.permutations(range(lk)), label="perm"))
    shuffled = {**inp, "k": inp["k"][..., perm, :], "v": inp["v"][..., perm, :]}
    if inp["mask"] is not None and inp["mask"].shape[-1] == lk:
        shuffled["mask"] = inp["mask"][..., perm]
    base = _call(mm.scaled_dot_product_attention, inp)
    assert_close_eps(_call(mm.scaled_dot_product_attention, shuffled), base,
                     prop="kv-permutation", rtol_eps=0,
                     atol_eps=_attention_atol_eps(inp["q"], inp["k"], inp["v"]), perm=perm, **inp)


def _broadcast_batch(*arrays):
    """Copies of q, k, v with their leading (batch) dimensions broadcast together."""
    batch = np.broadcast_shapes(*(np.shape(a)[:-2] for a in arrays))
    return [np.array(np.broadcast_to(a, batch + np.shape(a)[-2:])) for a in arrays]


@given(inp=mst.attention_inputs(self_attention=True), block_size=block_sizes, data=st.data())
def test_causal_attention_ignores_future_tokens(mm, inp, block_size, data):
    """With causal=True, outputs at positions <= i do not change when the queries, keys
    and values after i change (their weights are exact zeros).  Equality is up to the
    rounding of the prefix computation only: BLAS may round differently for buffers at
    different addresses, so the bound depends on the prefix q, k, v alone."""
    q, k, v = _broadcast_batch(inp["q"], inp["k"], inp["v"])
    i = data.draw(st.integers(0, q.shape[-2] - 1), label="i")
    changed = []
    for a in (q, k, v):
        b = a.copy()
        b[..., i + 1:, :] = data.draw(hnp.arrays(a.dtype, b[..., i + 1:, :].shape,
                                                 elements=st.floats(-3, 3)), label="future")
        changed.append(b)
    kw = {"mask": inp["mask"], "causal": True, "block_size": block_size}
    before = mm.scaled_dot_product_attention(q, k, v, **kw)[..., : i + 1, :]
    after = mm.scaled_dot_product_attention(*changed, **kw)[..., : i + 1, :]
    prefix = [a[..., : i + 1, :] for a in (q, k, v)]
    assert_close_eps(after, before, prop="causal-prefix", rtol_eps=0,
                     atol_eps=_attention_atol_eps(*prefix), i=i, **inp)


@given(inp=mst.attention_inputs(dtype=np.float32) | mst.attention_inputs(),
       causal=causal_flags, block_size=st.integers(1, 9))
@example(inp={"q": np.eye(3), "k": np.eye(3) * 40.0, "v": np.arange(9.0).reshape(3, 3),
              "mask": None}, causal=False, block_size=1)
def test_blocked_attention_equals_plain(mm, inp, causal, block_size):
    """The blocked online-softmax algorithm equals the plain one for every block size
    (dividing the lengths or not, 1 included), up to rounding."""
    plain = _call(mm.scaled_dot_product_attention, inp, causal=causal)
    blocked = _call(mm.scaled_dot_product_attention, inp, causal=causal, block_size=block_size)
    assert_close_eps(blocked, plain, prop="blocked==plain", rtol_eps=0,
                     atol_eps=_attention_atol_eps(inp["q"], inp["k"], inp["v"]),
                     block_size=block_size, **inp)


@given(inp=mst.attention_inputs(), causal=causal_flags, block_size=st.integers(1, 9),
       data=st.data())
def test_blocked_attention_grad_equals_plain(mm, inp, causal, block_size, data):
    """The blocked (recomputing) backward pass gives the plain gradients, up to rounding."""
    out = _call(mm.scaled_dot_product_attention, inp, causal=causal)
    g = data.draw(hnp.arrays(np.float64, out.shape, elements=st.floats(-2, 2)), label="grad_out")
    plain = mm.scaled_dot_product_attention_grad(inp["q"], inp["k"], inp["v"], g,
                                                 mask=inp["mask"], causal=causal)
    blocked = mm.scaled_dot_product_attention_grad(inp["q"], inp["k"], inp["v"], g,
                                                   mask=inp["mask"], causal=causal,
                                                   block_size=block_size)
    eps = float(np.finfo(plain[0].dtype).eps)
    terms, cond = _grad_term_sizes(inp, g, causal)
    for name, b, p, t in zip("qkv", blocked, plain, terms, strict=True):
        # Both paths round each entry to a few eps of the sum of |terms|, times the
        # conditioning of the scores (the blocked P = exp(s - lse) is recomputed).
        bound = 8 * eps * cond * t
        assert_all(np.abs(b - p) <= bound, f"blocked-grad==plain d{name}",
                   "|blocked - plain| <= 8 eps cond * sum|terms|", blocked=b, plain=p,
                   g=g, block_size=block_size, **inp)


def _sum_to(t, shape):
    """Sum an array over the dimensions that were broadcast from ``shape``."""
    lead = t.ndim - len(shape)
    t = t.sum(axis=tuple(range(lead)))
    return t.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)


def _grad_term_sizes(inp, g, causal):
    """Sum of |terms| of every entry of (dq, dk, dv), and the score conditioning factor.

    With P the weights (float64 oracle), G = grad_out: dv_j = sum_i P_ij G_i,
    |dS_ij| <= 2 P_ij |G_i|_1 max|v|, dq_i = scale sum_j dS_ij k_j and
    dk_j = scale sum_i dS_ij q_i; broadcast dimensions add their terms up.
    """
    q, k, v = _broadcast_batch(*(np.asarray(inp[n], np.float64) for n in "qkv"))
    scale = _default_scale(q, None)
    kt = np.swapaxes(k, -1, -2)
    allowed = _allowed(inp["mask"], causal, q.shape[-2], k.shape[-2])
    s = np.where(allowed, scale * (q @ kt), -np.inf)  # mask dims join the batch here
    m = np.max(s, axis=-1, keepdims=True, initial=-np.inf)
    e = np.where(allowed, np.exp(s - np.where(np.isinf(m), 0, m)), 0)
    total = e.sum(axis=-1, keepdims=True)
    w = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
    ds = 2 * w * np.sum(np.abs(g), axis=-1, keepdims=True) * float(np.max(np.abs(v), initial=0))
    terms = (scale * ds @ np.abs(k), scale * np.swapaxes(ds, -1, -2) @ np.abs(q),
             np.swapaxes(w, -1, -2) @ np.abs(g))
    s_max = scale * float(np.max(np.abs(q) @ np.abs(kt), initial=0))
    cond = 1 + 2 * (q.shape[-1] + 2) * s_max + k.shape[-2] + 4
    return [_sum_to(t, np.shape(inp[n])) for t, n in zip(terms, "qkv", strict=True)], cond


# --------------------------------------------------------------------------
# Temperature limits and stability
# --------------------------------------------------------------------------


@given(inp=mst.attention_inputs(dtype=np.float32) | mst.attention_inputs(), causal=causal_flags)
def test_attention_zero_temperature_is_mean_of_allowed_values(mm, inp, causal):
    """As scale -> 0 every allowed key gets the same weight: o_i = mean of v_j over j in A_i.
    At scale = eps**2 every exp(s - m) rounds to exactly 1, so the limit is reached."""
    eps = float(np.finfo(np.result_type(inp["q"], inp["k"], inp["v"])).eps)
    o = _call(mm.scaled_dot_product_attention, inp, causal=causal, scale=eps**2)
    lk = inp["k"].shape[-2]
    allowed = np.broadcast_to(_allowed(inp["mask"], causal, o.shape[-2], lk)[..., None],
                              (*o.shape[:-1], lk, 1)).astype(np.float64)
    v = np.expand_dims(np.asarray(inp["v"], np.float64), -3)
    count = allowed.sum(axis=-2)
    mean = np.divide((allowed * v).sum(axis=-2), count, out=np.zeros(o.shape), where=count > 0)
    # Lk roundings in the sum plus one in the division, relative to max|v|.
    atol = (lk + 4) * float(np.max(np.abs(inp["v"]), initial=0))
    assert_close_eps(o, mean, prop="scale->0 mean", rtol_eps=0, atol_eps=atol, **inp)


@given(inp=mst.attention_inputs(masks=False))
def test_attention_infinite_temperature_is_hard_max(mm, inp):
    """As scale -> inf with distinct top scores, o_i -> v at argmax_j q_i . k_j; with
    scale * gap >= 800, every other weight exp(-scale * gap) underflows to exactly 0."""
    q, k, v = _broadcast_batch(inp["q"], inp["k"], inp["v"])
    scores = q @ np.swapaxes(k, -1, -2)  # float64 oracle, error ~ d eps |q||k|
    assume(scores.shape[-1] >= 1)
    top2 = -np.sort(-scores, axis=-1)[..., :2]
    gap = float(np.min(top2[..., 0] - top2[..., 1])) if scores.shape[-1] > 1 else 1.0
    assume(gap > 1e-3)
    o = mm.scaled_dot_product_attention(q, k, v, scale=800.0 / gap)
    expected = np.take_along_axis(v, np.argmax(scores, axis=-1)[..., None], axis=-2)
    assert_all(o == expected, "scale->inf hardmax", "o_i == v[argmax_j s_ij]", gap=gap, **inp)


@st.composite
def _large_score_inputs(draw):
    """Inputs whose scores reach +-1e4 (exp overflows float32 beyond 88.7)."""
    dtype = draw(mst.float_dtypes(), label="dtype")
    inp = draw(mst.attention_inputs(dtype=dtype, bound=1.0), label="inputs")
    d = inp["q"].shape[-1]
    scale = draw(st.floats(1.0, 1e4 / d), label="scale")
    return inp, scale


@given(case=_large_score_inputs(), causal=causal_flags, block_size=block_sizes)
def test_attention_large_scores_do_not_overflow(mm, case, causal, block_size):
    """Scores up to +-1e4 give finite outputs (and weights on the simplex): the row max
    is subtracted before exp, so no exponent is positive."""
    inp, scale = case
    o = _call(mm.scaled_dot_product_attention, inp, causal=causal, scale=scale,
              block_size=block_size)
    w = mm.attention_weights(inp["q"], inp["k"], mask=inp["mask"], causal=causal, scale=scale)
    assert_all(np.isfinite(o), "no-overflow", "finite outputs", scale=scale, **inp)
    assert_all(np.isfinite(w) & (w >= 0) & (w <= 1), "no-overflow", "weights in [0, 1]",
               scale=scale, **inp)


@st.composite
def _linearity_pairs(draw):
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=4), label="shape")
    x = draw(hnp.arrays(np.float64, shape, elements=st.floats(-3, 3)), label="x")
    y = draw(hnp.arrays(np.float64, shape, elements=st.floats(-3, 3)), label="y")
    return x, y


def test_attention_is_not_linear(mm):
    """Self-attention x -> attn(x, x, x) is not additive: Hypothesis finds x, y with
    attn(x + y) != attn(x) + attn(y) (attention is a data-dependent, nonlinear mixing)."""

    def attn(x):
        return mm.scaled_dot_product_attention(x, x, x)

    def violates_additivity(xy):
        x, y = xy
        return not np.allclose(attn(x + y), attn(x) + attn(y), rtol=1e-6, atol=1e-6)

    try:
        x, y = find(_linearity_pairs(), violates_additivity,
                    settings=settings(max_examples=200, database=None, derandomize=True))
    except NoSuchExample:
        raise AssertionError("[nonlinear] expected a counterexample to additivity of "
                             "self-attention; none found in 200 examples") from None
    assert not np.allclose(attn(x + y), attn(x) + attn(y))


# --------------------------------------------------------------------------
# Gradients
# --------------------------------------------------------------------------


@given(inp=mst.attention_inputs(bound=2.0, max_len=4, max_batch_dims=1),
       causal=causal_flags, block_size=block_sizes, data=st.data())
def test_attention_grad_matches_finite_differences(mm, inp, causal, block_size, data):
    """<(dq, dk, dv), u> equals the central difference (L(x + h u) - L(x - h u)) / 2h of
    L = sum(grad_out * attn(q, k, v)) along a random direction u (float64, h = 1e-5:
    truncation ~ h**2 * L''' ~ 1e-9 relative, rounding ~ eps / h ~ 2e-11)."""
    kw = {"mask": inp["mask"], "causal": causal}
    out = _call(mm.scaled_dot_product_attention, inp, causal=causal)
    draw_like = lambda a, label: data.draw(  # noqa: E731
        hnp.arrays(np.float64, np.shape(a), elements=st.floats(-1, 1)), label=label)
    g = draw_like(out, "grad_out")
    u = [draw_like(inp[n], f"direction d{n}") for n in "qkv"]
    grads = mm.scaled_dot_product_attention_grad(inp["q"], inp["k"], inp["v"], g,
                                                 block_size=block_size, **kw)
    analytic = sum(float(np.sum(gr * du)) for gr, du in zip(grads, u, strict=True))

    def loss(t):
        q, k, v = (inp[n] + t * du for n, du in zip("qkv", u, strict=True))
        return float(np.sum(g * mm.scaled_dot_product_attention(q, k, v, **kw)))

    h = 1e-5
    numeric = (loss(h) - loss(-h)) / (2 * h)
    magnitude = 1.0 + float(np.sum(np.abs(g))) * float(np.max(np.abs(inp["v"]), initial=0))
    assert_all(abs(analytic - numeric) <= 1e-6 * magnitude, "grad-fd",
               f"<grad, u> = {analytic!r} close to finite difference {numeric!r}", g=g, **inp)


# --------------------------------------------------------------------------
# Multi-head attention
# --------------------------------------------------------------------------


def _mha_atol_eps(inp):
    """Bound for MHA outputs: the attention bound on the projected q, k, v, carried through
    w_o (d_model terms), plus the roundings of the projections themselves."""
    x, h = inp["x"], inp["num_heads"]
    d_model = x.shape[-1]
    proj = [np.abs(x) @ np.abs(inp[n]) for n in ("w_q", "w_k", "w_v")]
    inner = _attention_atol_eps(proj[0], proj[1], proj[2], 1.0 / math.sqrt(d_model // h))
    w_o = float(np.max(np.abs(inp["w_o"]), initial=0))
    return d_model * w_o * (inner + 4 * d_model * float(np.max(proj[2], initial=0)))


def _mha(mm, inp, x=None, **kw):
    return mm.multi_head_attention(inp["x"] if x is None else x, inp["w_q"], inp["w_k"],
                                   inp["w_v"], inp["w_o"], num_heads=inp["num_heads"], **kw)


@given(inp=mst.multi_head_inputs(), data=st.data())
def test_self_attention_is_permutation_equivariant(mm, inp, data):
    """Permuting the tokens of x permutes the output rows the same way:
    MHA(P x) = P MHA(x), so attention alone cannot see order."""
    length = inp["x"].shape[-2]
    perm = np.array(data.draw(st.permutations(range(length)), label="perm"))
    assert_close_eps(_mha(mm, inp, x=inp["x"][..., perm, :]), _mha(mm, inp)[..., perm, :],
                     prop="permutation-equivariance", rtol_eps=0, atol_eps=_mha_atol_eps(inp),
                     perm=perm, **inp)


@given(inp=mst.attention_inputs(masks=False, self_attention=True, max_batch_dims=1),
       causal=causal_flags)
def test_multi_head_one_head_identity_projections_is_attention(mm, inp, causal):
    """With one head and identity projections, MHA(x) = attn(x, x, x) at scale 1/sqrt(d)."""
    x = inp["q"]
    eye = np.eye(x.shape[-1])
    got = mm.multi_head_attention(x, eye, eye, eye, eye, num_heads=1, causal=causal)
    want = mm.scaled_dot_product_attention(x, x, x, causal=causal)
    assert_close_eps(got, want, prop="one-head==attention", rtol_eps=0,
                     atol_eps=_attention_atol_eps(x, x, x), x=x)


@given(inp=mst.multi_head_inputs(), causal=causal_flags)
def test_multi_head_is_concatenated_heads_times_w_o(mm, inp, causal):
    """MHA(x) = concat_j attn(x W^Q_j, x W^K_j, x W^V_j) W^O, head j owning columns
    j*dh:(j+1)*dh of the projections (Vaswani et al. 2017, sec. 3.2.2)."""
    x, h = inp["x"], inp["num_heads"]
    dh = x.shape[-1] // h
    cols = [slice(j * dh, (j + 1) * dh) for j in range(h)]
    heads = [mm.scaled_dot_product_attention(x @ inp["w_q"][:, c], x @ inp["w_k"][:, c],
                                             x @ inp["w_v"][:, c], causal=causal)
             for c in cols]
    want = np.concatenate(heads, axis=-1) @ inp["w_o"]
    assert_close_eps(_mha(mm, inp, causal=causal), want, prop="mha==concat(heads) W_o",
                     rtol_eps=0, atol_eps=_mha_atol_eps(inp), **inp)


# --------------------------------------------------------------------------
# Strategies are tested too
# --------------------------------------------------------------------------


@given(inp=mst.attention_inputs())
def test_attention_inputs_strategy_shapes_are_consistent(inp):
    """q, k, v, mask from the strategy broadcast to (..., Lq, d), (..., Lk, d), (..., Lk, dv)."""
    q, k, v, mask = inp["q"], inp["k"], inp["v"], inp["mask"]
    assert q.shape[-1] == k.shape[-1] and k.shape[-2] == v.shape[-2]
    shapes = [q.shape[:-2], k.shape[:-2], v.shape[:-2]]
    if mask is not None:
        assert mask.dtype == np.bool_
        assert mask.shape[-2] in (1, q.shape[-2]) and mask.shape[-1] in (1, k.shape[-2])
        shapes.append(mask.shape[:-2])
    np.broadcast_shapes(*shapes)


@given(inp=mst.multi_head_inputs())
def test_multi_head_inputs_strategy_is_consistent(inp):
    """x is (..., L, d_model), every projection (d_model, d_model), num_heads | d_model."""
    d_model = inp["x"].shape[-1]
    assert d_model % inp["num_heads"] == 0
    assert all(inp[n].shape == (d_model, d_model) for n in ("w_q", "w_k", "w_v", "w_o"))


# --------------------------------------------------------------------------
# Meta-tests: every property catches a realistic broken implementation
# --------------------------------------------------------------------------


def _real(name):
    import mlmath

    return getattr(mlmath, name)


def _naive_weights_nan_rows(q, k, *, mask=None, causal=False, scale=None):
    """Masked scores set to -inf then softmax: fully masked rows become 0/0 = NaN."""
    q, k = np.asarray(q), np.asarray(k)
    s = _default_scale(q, scale) * (q @ np.swapaxes(k, -1, -2))
    s = np.where(_allowed(mask, causal, *s.shape[-2:]), s, -np.inf)
    with np.errstate(invalid="ignore"):
        e = np.exp(s - np.max(s, axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)


def _lower_right_causal_weights(q, k, *, mask=None, causal=False, scale=None):
    """Causal aligned to the bottom-right corner (j <= i + Lk - Lq): the other convention."""
    lq, lk = np.shape(q)[-2], np.shape(k)[-2]
    if causal:
        lower_right = np.arange(lk)[None, :] <= np.arange(lq)[:, None] + (lk - lq)
        mask = lower_right if mask is None else np.asarray(mask) & lower_right
    return _real("attention_weights")(q, k, mask=mask, scale=scale)


def _softmax_over_queries(q, k, v, *, mask=None, causal=False, scale=None, block_size=None):
    """Normalises over the query axis (-2) instead of the key axis: the wrong-axis bug."""
    s = _default_scale(q, scale) * (np.asarray(q) @ np.swapaxes(np.asarray(k), -1, -2))
    allowed = _allowed(mask, causal, *s.shape[-2:])
    e = np.where(allowed, np.exp(s - s.max(axis=-2, keepdims=True)), 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.nan_to_num(e / e.sum(axis=-2, keepdims=True))
    return w @ np.asarray(v)


def _sigmoid_attention(q, k, v, *, mask=None, causal=False, scale=None, block_size=None):
    """Sigmoid instead of softmax: no normalisation, so a per-row score shift matters."""
    s = _default_scale(q, scale) * (np.asarray(q) @ np.swapaxes(np.asarray(k), -1, -2))
    w = np.where(_allowed(mask, causal, *s.shape[-2:]), 1 / (1 + np.exp(-s)), 0)
    return w @ np.asarray(v)


def _values_off_by_one(q, k, v, **kw):
    """Key j paired with value j - 1 (an off-by-one between the k and v sequences)."""
    return _real("scaled_dot_product_attention")(q, k, np.roll(v, 1, axis=-2), **kw)


def _causal_off_by_one(q, k, v, *, mask=None, causal=False, **kw):
    """tril(diagonal=1): query i also sees key i + 1 (a classic causal-mask slip)."""
    if causal:
        lq, lk = np.shape(q)[-2], np.shape(k)[-2]
        near = np.arange(lk)[None, :] <= np.arange(lq)[:, None] + 1
        mask = near if mask is None else np.asarray(mask) & near
    return _real("scaled_dot_product_attention")(q, k, v, mask=mask, **kw)


def _blocked_without_rescale(q, k, v, *, mask=None, causal=False, scale=None, block_size=None):
    """Online softmax that rescales the running sum but forgets the running output."""
    sdpa = _real("scaled_dot_product_attention")
    if block_size is None:
        return sdpa(q, k, v, mask=mask, causal=causal, scale=scale)
    q, k, v = _broadcast_batch(*(np.asarray(a, np.float64) for a in (q, k, v)))
    s = _default_scale(q, scale) * (q @ np.swapaxes(k, -1, -2))
    s = np.where(_allowed(mask, causal, *s.shape[-2:]), s, -np.inf)
    m = np.full((*s.shape[:-1], 1), -np.inf)
    total, acc = np.zeros_like(m), np.zeros(s.shape[:-1] + v.shape[-1:])
    for j in range(0, s.shape[-1], block_size):
        blk = s[..., j:j + block_size]
        m_new = np.maximum(m, blk.max(axis=-1, keepdims=True))
        shift = np.where(np.isinf(m_new), 0, m_new)
        p = np.exp(blk - shift)
        total = total * np.exp(m - shift) + p.sum(axis=-1, keepdims=True)
        acc = acc + p @ v[..., j:j + block_size, :]  # BUG: acc * exp(m - m_new) missing
        m = m_new
    return np.divide(acc, total, out=np.zeros_like(acc), where=total > 0)


def _blocked_grad_ignores_causal(q, k, v, g, *, causal=False, block_size=None, **kw):
    """A blocked backward pass whose causal block logic is lost."""
    return _real("scaled_dot_product_attention_grad")(
        q, k, v, g, causal=causal and block_size is None, block_size=block_size, **kw)


def _scale_ignored(q, k, v, *, scale=None, **kw):
    """The `scale` argument silently ignored (always 1/sqrt(d))."""
    return _real("scaled_dot_product_attention")(q, k, v, **kw)


def _negated_scores(q, k, v, **kw):
    """A sign error in the scores: softmax(-q kᵀ) attends the *least* similar key."""
    return _real("scaled_dot_product_attention")(-np.asarray(q), k, v, **kw)


def _naive_softmax_attention(q, k, v, *, mask=None, causal=False, scale=None, block_size=None):
    """exp(s) / sum exp(s) without subtracting the max: overflows for scores > 88 (float32)."""
    s = _default_scale(q, scale) * (np.asarray(q) @ np.swapaxes(np.asarray(k), -1, -2))
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.where(_allowed(mask, causal, *s.shape[-2:]), np.exp(s), 0)
        return (e / e.sum(axis=-1, keepdims=True)) @ np.asarray(v)


def _mean_pooling(q, k, v, **kw):
    """Uniform weights (the scores unused): a linear map of v, e.g. scale forced to 0."""
    v = np.asarray(v)
    return np.broadcast_to(v.mean(axis=-2, keepdims=True),
                           np.shape(q)[:-1] + v.shape[-1:]).copy()


def _grad_without_rank_one_term(q, k, v, g, *, mask=None, causal=False, scale=None,
                                block_size=None):
    """dS = P * dP, forgetting the - rowsum(G * O) term of the softmax Jacobian."""
    q, k, v, g = (np.asarray(a, np.float64) for a in (q, k, v, g))
    sc = _default_scale(q, scale)
    p = _real("attention_weights")(q, k, mask=mask, causal=causal, scale=scale)
    ds = p * (g @ np.swapaxes(v, -1, -2))
    return sc * ds @ k, sc * np.swapaxes(ds, -1, -2) @ q, np.swapaxes(p, -1, -2) @ g


def _mha_always_causal(x, *w, **kw):
    """A causal flag that defaults on (decoder code reused for an encoder)."""
    kw["causal"] = True
    return _real("multi_head_attention")(x, *w, **kw)


def _mha_scale_one_over_d(x, w_q, w_k, w_v, w_o, *, num_heads, **kw):
    """Scores divided by d_head instead of sqrt(d_head)."""
    d_head = np.shape(x)[-1] // num_heads
    return _real("multi_head_attention")(x, np.asarray(w_q) / math.sqrt(d_head), w_k, w_v, w_o,
                                         num_heads=num_heads, **kw)


def _mha_strided_head_split(x, w_q, w_k, w_v, w_o, *, num_heads, **kw):
    """Heads split as reshape(L, dh, h) (strided columns) but merged back contiguously."""
    d_model = np.shape(x)[-1]
    perm = np.arange(d_model).reshape(d_model // num_heads, num_heads).T.reshape(-1)
    w_q, w_k, w_v = (np.asarray(w)[:, perm] for w in (w_q, w_k, w_v))
    return _real("multi_head_attention")(x, w_q, w_k, w_v, w_o, num_heads=num_heads, **kw)


# --------------------------------------------------------------------------
# attn_bias, causal alignments, GQA, the saved log-sum-exp (issue 16)
# --------------------------------------------------------------------------


@st.composite
def _gqa_problems(draw):
    """q (B, Hq, Lq, d), k, v (B, Hkv, Lk, ·) with Hkv | Hq, and a bias (Lq, Lk)."""
    hkv = draw(st.integers(1, 2), label="H_kv")
    hq = hkv * draw(st.integers(1, 3), label="group")
    lq, lk = draw(st.integers(1, 5), label="Lq"), draw(st.integers(1, 5), label="Lk")
    d, dv = draw(st.integers(1, 3), label="d"), draw(st.integers(1, 3), label="dv")
    el = st.floats(-3, 3)
    q = draw(hnp.arrays(np.float64, (1, hq, lq, d), elements=el), label="q")
    k = draw(hnp.arrays(np.float64, (1, hkv, lk, d), elements=el), label="k")
    v = draw(hnp.arrays(np.float64, (1, hkv, lk, dv), elements=el), label="v")
    bias = draw(hnp.arrays(np.float64, (lq, lk), elements=st.floats(-5, 5)
                           | st.just(-np.inf)), label="bias")
    return q, k, v, bias


@given(problem=_gqa_problems(), block_size=block_sizes)
def test_bias_alignment_and_gqa_are_their_definitions(mm, problem, block_size):
    """attention with attn_bias, causal="lower_right" and enable_gqa equals
    softmax(scale q kᵀ + b) v over the repeated kv heads with the bottom-right triangle
    forbidden, computed from mm.softmax; the saved lse is logsumexp of those scores."""
    q, k, v, bias = problem
    lq, lk = q.shape[-2], k.shape[-2]
    group = q.shape[1] // k.shape[1]
    kr, vr = np.repeat(k, group, axis=1), np.repeat(v, group, axis=1)
    allowed = np.tril(np.ones((lq, lk), bool), k=lk - lq)
    scores = np.where(allowed, q @ np.swapaxes(kr, -1, -2) / np.sqrt(q.shape[-1]) + bias,
                      -np.inf)
    empty = np.all(scores == -np.inf, axis=-1)
    safe = np.where(empty[..., None], 0.0, scores)
    want = np.where(empty[..., None], 0.0, mm.softmax(safe, axis=-1, validate=False)) @ vr
    out, lse = mm.scaled_dot_product_attention(q, k, v, attn_bias=bias, causal="lower_right",
                                               enable_gqa=True, return_lse=True,
                                               block_size=block_size)
    scale = float(np.max(np.abs(v), initial=0.0)) + 1e-300
    assert_close_eps(out, want, prop="bias-gqa", rtol_eps=0, atol_eps=64 * scale,
                     q=q, k=k, v=v, bias=bias)
    want_lse = np.where(empty, -np.inf, mm.logsumexp(safe, axis=-1, validate=False))
    with np.errstate(invalid="ignore"):  # -inf - -inf where both are -inf (equal)
        near = np.abs(lse - want_lse) <= 64 * np.finfo(float).eps * (1 + np.abs(want_lse))
    assert_all((lse == want_lse) | near, "lse", "lse = logsumexp(s)", q=q, k=k, bias=bias)


def _bias_scaled_like_the_scores(q, k, v, *, attn_bias=None, scale=None, **kw):
    """A common slip: the bias added before the scaling (so it is scaled too)."""
    s = 1 / np.sqrt(np.shape(q)[-1]) if scale is None else scale
    return mlmath.scaled_dot_product_attention(
        q, k, v, attn_bias=None if attn_bias is None else np.asarray(attn_bias) * s,
        scale=scale, **kw)


def _tiled_kv_heads(q, k, v, *, enable_gqa=False, **kw):
    """GQA with tile instead of repeat: query head h served by kv head h mod H_kv."""
    if enable_gqa:
        group = np.shape(q)[-3] // np.shape(k)[-3]
        k, v = np.tile(k, (1, group, 1, 1)), np.tile(v, (1, group, 1, 1))
    return mlmath.scaled_dot_product_attention(q, k, v, **kw)


MUTANTS = [
    (test_bias_alignment_and_gqa_are_their_definitions,
     {"scaled_dot_product_attention": _bias_scaled_like_the_scores}),
    (test_bias_alignment_and_gqa_are_their_definitions,
     {"scaled_dot_product_attention": _tiled_kv_heads}),
    (test_attention_weights_rows_are_distributions, {"attention_weights": _naive_weights_nan_rows}),
    (test_attention_weights_zero_where_masked, {"attention_weights": _lower_right_causal_weights}),
    (test_attention_output_is_convex_combination,
     {"scaled_dot_product_attention": _softmax_over_queries}),
    (test_attention_invariant_to_translating_keys,
     {"scaled_dot_product_attention": _sigmoid_attention}),
    (test_attention_invariant_to_joint_key_value_permutation,
     {"scaled_dot_product_attention": _values_off_by_one}),
    (test_causal_attention_ignores_future_tokens,
     {"scaled_dot_product_attention": _causal_off_by_one}),
    (test_blocked_attention_equals_plain,
     {"scaled_dot_product_attention": _blocked_without_rescale}),
    (test_blocked_attention_grad_equals_plain,
     {"scaled_dot_product_attention_grad": _blocked_grad_ignores_causal}),
    (test_attention_zero_temperature_is_mean_of_allowed_values,
     {"scaled_dot_product_attention": _scale_ignored}),
    (test_attention_infinite_temperature_is_hard_max,
     {"scaled_dot_product_attention": _negated_scores}),
    (test_attention_large_scores_do_not_overflow,
     {"scaled_dot_product_attention": _naive_softmax_attention}),
    (test_attention_is_not_linear, {"scaled_dot_product_attention": _mean_pooling}),
    (test_attention_grad_matches_finite_differences,
     {"scaled_dot_product_attention_grad": _grad_without_rank_one_term}),
    (test_self_attention_is_permutation_equivariant, {"multi_head_attention": _mha_always_causal}),
    (test_multi_head_one_head_identity_projections_is_attention,
     {"multi_head_attention": _mha_scale_one_over_d}),
    (test_multi_head_is_concatenated_heads_times_w_o,
     {"multi_head_attention": _mha_strided_head_split}),
]


@pytest.mark.parametrize(("prop", "overrides"), MUTANTS,
                         ids=[p.__name__.removeprefix("test_") for p, _ in MUTANTS])
def test_property_catches_mutant(prop, overrides):
    """Each property fails on an implementation with the named, realistic bug."""
    expect_property_failure(prop, mm=mutant(**overrides))

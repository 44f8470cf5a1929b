"""Unit, edge-case, bad-input and mpmath-accuracy tests of mlmath.attention."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import mlmath as mm
from mlmath import attention
from tests._oracles import assert_accurate, mp_reference

RNG_SEED = 20261125


def _rng():
    return np.random.default_rng(RNG_SEED)


def _mp_attention(q, k, v, scale):
    """50-digit reference of softmax(scale q kᵀ) v for one head (object arrays of mpf)."""
    out = np.empty((q.shape[0], v.shape[1]), dtype=object)
    for i in range(q.shape[0]):
        s = [scale * mpmath.fsum(q[i, t] * k[j, t] for t in range(q.shape[1]))
             for j in range(k.shape[0])]
        m = max(s)
        e = [mpmath.exp(x - m) for x in s]
        total = mpmath.fsum(e)
        for c in range(v.shape[1]):
            out[i, c] = mpmath.fsum(e[j] * v[j, c] for j in range(k.shape[0])) / total
    return out


class TestAttentionWeights:
    def test_causal_is_top_left_when_queries_are_fewer_than_keys(self):
        """causal: query i sees keys 0..i (PyTorch's tril(ones(Lq, Lk))), even if Lq < Lk;
        with q = 0 the weights are uniform over the allowed keys."""
        w = mm.attention_weights(np.zeros((3, 2)), np.ones((5, 2)), causal=True)
        expected = np.tril(np.ones((3, 5))) / np.arange(1, 4)[:, None]
        np.testing.assert_array_equal(w, expected)

    def test_causal_is_top_left_when_queries_are_more_than_keys(self):
        """With Lq > Lk, the queries past the last key see every key."""
        w = mm.attention_weights(np.zeros((4, 2)), np.ones((2, 2)), causal=True)
        np.testing.assert_array_equal(w, [[1, 0], [0.5, 0.5], [0.5, 0.5], [0.5, 0.5]])

    def test_fully_masked_row_is_zero_not_nan(self):
        """A query with no allowed key gets an all-zero row."""
        mask = np.array([[False, False], [True, False]])
        w = mm.attention_weights(np.ones((2, 3)), np.ones((2, 3)), mask=mask)
        np.testing.assert_array_equal(w, [[0, 0], [1, 0]])

    def test_default_scale_is_inverse_sqrt_d(self):
        """scale=None means 1/sqrt(d)."""
        q, k = _rng().standard_normal((2, 4, 9))
        np.testing.assert_array_equal(mm.attention_weights(q, k),
                                      mm.attention_weights(q, k, scale=1 / 3))

    def test_scores_of_1e4_are_exact(self):
        """Scores 1e4 and 1e4 - log 3 give weights 3/4, 1/4 (exp(1e4) overflows)."""
        w = mm.attention_weights([[1.0]], [[1e4], [1e4 - math.log(3)]], scale=1.0)
        np.testing.assert_allclose(w, [[0.75, 0.25]], rtol=4e-16 * 1e4)

    def test_mask_with_batch_dimensions_broadcasts(self):
        """A (B, 1, Lk) padding mask broadcasts over queries and with q's batch."""
        q, k = _rng().standard_normal((2, 2, 3, 4))
        mask = np.array([[[True, True, False]], [[True, False, False]]])
        w = mm.attention_weights(q, k, mask=mask)
        assert w.shape == (2, 3, 3)
        assert np.all(w[1, :, 1:] == 0) and np.all(w[0, :, 2] == 0)
        np.testing.assert_allclose(w.sum(-1), 1.0, rtol=4e-16)


class TestScaledDotProductAttention:
    def test_matches_mpmath_reference(self):
        """float64 output within 8 eps (relative) of a 50-digit reference, v > 0."""
        rng = _rng()
        q, k = rng.uniform(-1, 1, (2, 7, 5))
        v = rng.uniform(0.5, 2, (7, 3))
        got = mm.scaled_dot_product_attention(q, k, v, scale=0.5)
        want = mp_reference(lambda a, b, c: _mp_attention(a, b, c, mpmath.mpf(0.5)), q, k, v)
        err = assert_accurate(got, want, max_eps=8, dtype=np.float64, label="sdpa float64")
        blocked = mm.scaled_dot_product_attention(q, k, v, scale=0.5, block_size=3)
        err_b = assert_accurate(blocked, want, max_eps=8, dtype=np.float64, label="sdpa blocked")
        assert max(err, err_b) <= 8

    def test_float32_matches_mpmath_reference(self):
        """float32 output within 16 eps(float32) of the reference computed on the same floats."""
        rng = _rng()
        q, k = rng.uniform(-1, 1, (2, 6, 4)).astype(np.float32)
        v = rng.uniform(0.5, 2, (6, 2)).astype(np.float32)
        got = mm.scaled_dot_product_attention(q, k, v, scale=0.5, block_size=4)
        assert got.dtype == np.float32
        want = mp_reference(lambda a, b, c: _mp_attention(a, b, c, mpmath.mpf(0.5)), q, k, v)
        assert_accurate(got, want, max_eps=16, dtype=np.float32, label="sdpa float32")

    @pytest.mark.parametrize("block_size", [1, 2, 3, 5, 7, 100])
    @pytest.mark.parametrize("causal", [False, True])
    def test_blocked_equals_plain(self, block_size, causal):
        """Blocked == plain within a few ulps of max|v| for block sizes dividing or not."""
        rng = _rng()
        q, k, v = rng.standard_normal((3, 2, 7, 4))
        mask = rng.random((7, 7)) < 0.7
        plain = mm.scaled_dot_product_attention(q, k, v, mask=mask, causal=causal)
        blocked = mm.scaled_dot_product_attention(q, k, v, mask=mask, causal=causal,
                                                  block_size=block_size)
        np.testing.assert_allclose(blocked, plain, rtol=0, atol=32 * np.finfo(float).eps)

    @pytest.mark.parametrize(("lq", "lk"), [(300, 520), (520, 300)])
    def test_long_causal_rows_match_explicit_reference(self, lq, lk):
        """Rows of >= 256 keys take the row-by-row causal masking; compare with an explicit
        tril mask and a direct softmax (plain and blocked)."""
        rng = _rng()
        q, k = rng.standard_normal((lq, 4)), rng.standard_normal((lk, 4))
        v = rng.standard_normal((lk, 2))
        s = np.where(np.tril(np.ones((lq, lk), dtype=bool)), q @ k.T / 2, -np.inf)
        e = np.exp(s - s.max(axis=-1, keepdims=True))
        want = (e / e.sum(axis=-1, keepdims=True)) @ v
        for block in (None, 260):
            got = mm.scaled_dot_product_attention(q, k, v, causal=True, block_size=block)
            np.testing.assert_allclose(got, want, rtol=0, atol=64 * np.finfo(float).eps)

    def test_fully_masked_rows_are_zero_in_both_paths(self):
        """No allowed key -> zero output row (plain and blocked), never NaN."""
        q, k, v = _rng().standard_normal((3, 4, 2))
        mask = np.ones((4, 4), dtype=bool)
        mask[2] = False
        for block in (None, 1, 3):
            o = mm.scaled_dot_product_attention(q, k, v, mask=mask, block_size=block)
            np.testing.assert_array_equal(o[2], 0.0)
            assert np.isfinite(o).all()

    def test_leading_dimensions_broadcast(self):
        """(2, 1, L, d) queries with (3, L, d) keys give a (2, 3, L, dv) output equal to
        the explicit loop over the broadcast batch."""
        rng = _rng()
        q = rng.standard_normal((2, 1, 4, 3))
        k = rng.standard_normal((3, 5, 3))
        v = rng.standard_normal((5, 2))
        o = mm.scaled_dot_product_attention(q, k, v)
        assert o.shape == (2, 3, 4, 2)
        for a in range(2):
            for b in range(3):
                np.testing.assert_allclose(o[a, b], mm.scaled_dot_product_attention(
                    q[a, 0], k[b], v), rtol=1e-14)

    def test_empty_keys_give_zeros_and_empty_queries_give_empty(self):
        """Lk = 0: every query has no allowed key (zeros); Lq = 0: an empty output."""
        o = mm.scaled_dot_product_attention(np.ones((2, 3)), np.ones((0, 3)), np.ones((0, 4)))
        np.testing.assert_array_equal(o, np.zeros((2, 4)))
        o = mm.scaled_dot_product_attention(np.ones((0, 3)), np.ones((2, 3)), np.ones((2, 4)),
                                            block_size=2)
        assert o.shape == (0, 4)

    @pytest.mark.parametrize(("dtype", "out"), [(np.float16, np.float16), (np.int64, np.float64),
                                                (np.bool_, np.float64)])
    def test_dtype_rules(self, dtype, out):
        """float16 is computed in float32 and returned as float16; ints/bools -> float64."""
        x = np.ones((2, 2), dtype=dtype)
        assert mm.scaled_dot_product_attention(x, x, x).dtype == out

    def test_validate_false_gives_the_same_result(self):
        """validate=False skips checks only."""
        q, k, v = _rng().standard_normal((3, 4, 2))
        np.testing.assert_array_equal(mm.scaled_dot_product_attention(q, k, v, validate=False),
                                      mm.scaled_dot_product_attention(q, k, v))


class TestGradient:
    def test_single_key_has_zero_query_and_key_gradients(self):
        """With one key the output is v whatever q, k: dq = dk = 0, dv = sum of grad_out."""
        dq, dk, dv = mm.scaled_dot_product_attention_grad(
            np.ones((3, 2)), np.ones((1, 2)), np.ones((1, 4)), np.ones((3, 4)))
        np.testing.assert_array_equal(dq, 0)
        np.testing.assert_array_equal(dk, 0)
        np.testing.assert_array_equal(dv, 3)

    def test_gradients_summed_over_broadcast_dimensions(self):
        """dk for a key shared by a batch equals the sum of the per-batch gradients."""
        rng = _rng()
        q = rng.standard_normal((2, 3, 4))
        k, v = rng.standard_normal((2, 5, 4))
        g = rng.standard_normal((2, 3, 4))
        dq, dk, dv = mm.scaled_dot_product_attention_grad(q, k, v, g)
        assert dq.shape == q.shape and dk.shape == k.shape and dv.shape == v.shape
        parts = [mm.scaled_dot_product_attention_grad(q[b], k, v, g[b]) for b in range(2)]
        np.testing.assert_allclose(dk, parts[0][1] + parts[1][1], rtol=1e-13, atol=1e-15)

    @pytest.mark.parametrize("block_size", [1, 2, 5])
    def test_blocked_gradients_equal_plain(self, block_size):
        """The recomputing blocked backward pass equals the plain gradients."""
        rng = _rng()
        q, k, v, g = rng.standard_normal((4, 2, 6, 3))
        mask = rng.random((6, 6)) < 0.6
        plain = mm.scaled_dot_product_attention_grad(q, k, v, g, mask=mask, causal=True)
        blocked = mm.scaled_dot_product_attention_grad(q, k, v, g, mask=mask, causal=True,
                                                       block_size=block_size)
        for b, p in zip(blocked, plain, strict=True):
            np.testing.assert_allclose(b, p, rtol=0, atol=64 * np.finfo(float).eps)

    def test_gradient_dtype_follows_q_k_v(self):
        """float32 q, k, v give float32 gradients even with a float64 grad_out."""
        x = np.ones((3, 4), dtype=np.float32)
        grads = mm.scaled_dot_product_attention_grad(x, x, x, np.ones((3, 4)), block_size=2)
        assert [g.dtype for g in grads] == [np.float32] * 3

    def test_fully_masked_rows_have_zero_gradient(self):
        """Rows with no allowed key contribute nothing and receive zero dq."""
        q, k, v, g = _rng().standard_normal((4, 3, 2))
        mask = np.array([[False] * 3, [True] * 3, [True, False, True]])
        dq, _, _ = mm.scaled_dot_product_attention_grad(q, k, v, g, mask=mask)
        np.testing.assert_array_equal(dq[0], 0)
        assert np.isfinite(dq).all()


class TestMultiHeadAttention:
    def test_shapes_and_batch(self):
        """(B, L, d_model) in, (B, L, d_model) out; each batch item independent."""
        rng = _rng()
        x = rng.standard_normal((2, 5, 6))
        w = rng.standard_normal((4, 6, 6))
        y = mm.multi_head_attention(x, *w, num_heads=3)
        assert y.shape == x.shape
        np.testing.assert_allclose(y[1], mm.multi_head_attention(x[1], *w, num_heads=3),
                                   rtol=1e-13)

    def test_mask_is_shared_by_heads(self):
        """A (L, L) mask applies to every head; masking all but key 0 makes every token
        output (x_0 W^V) W^O."""
        rng = _rng()
        x = rng.standard_normal((4, 4))
        w = rng.standard_normal((4, 4, 4))
        mask = np.zeros((4, 4), dtype=bool)
        mask[:, 0] = True
        y = mm.multi_head_attention(x, *w, num_heads=2, mask=mask)
        np.testing.assert_allclose(y, np.broadcast_to(x[0] @ w[2] @ w[3], (4, 4)), rtol=1e-13)


class TestBadInput:
    q = np.ones((3, 4))
    k = np.ones((5, 4))
    v = np.ones((5, 2))

    def call(self, **kw):
        args = {"q": self.q, "k": self.k, "v": self.v, **kw}
        return mm.scaled_dot_product_attention(args.pop("q"), args.pop("k"), args.pop("v"),
                                               **args)

    @pytest.mark.parametrize(("kwargs", "error", "match"), [
        ({"k": np.ones((5, 3))}, ValueError, "`k`: expected the feature size d = 4"),
        ({"v": np.ones((4, 2))}, ValueError, "`v`: expected Lk = 5"),
        ({"q": np.ones(4)}, ValueError, "`q`: expected an array of shape"),
        ({"q": np.ones((2, 3, 4)), "k": np.ones((3, 5, 4))}, ValueError, "broadcast"),
        ({"mask": np.ones((3, 5))}, TypeError, "`mask`: expected a boolean array"),
        ({"mask": np.ones((3, 4), dtype=bool)}, ValueError, "`mask`: expected a shape"),
        ({"mask": np.ones((2, 1, 5), dtype=bool), "q": np.ones((3, 3, 4))}, ValueError,
         "`mask`"),
        ({"scale": 0.0}, ValueError, "`scale`"),
        ({"scale": -1.0}, ValueError, "`scale`"),
        ({"scale": np.inf}, ValueError, "`scale`"),
        ({"scale": np.nan}, ValueError, "`scale`"),
        ({"scale": "1"}, TypeError, "`scale`"),
        ({"block_size": 0}, ValueError, "`block_size`"),
        ({"block_size": 2.0}, TypeError, "`block_size`"),
        ({"block_size": True}, TypeError, "`block_size`"),
        ({"causal": 1}, TypeError, "`causal`"),
        ({"q": np.full((3, 4), np.nan)}, ValueError, "`q`: expected finite values"),
        ({"k": np.full((5, 4), np.inf)}, ValueError, "`k`: expected finite values"),
        ({"v": np.array([[np.nan, 0.0]] * 5)}, ValueError, "`v`: expected finite values"),
        ({"q": np.ones((3, 4), dtype=complex)}, TypeError, "`q`"),
        ({"q": np.full((3, 4), 1e200), "k": np.full((5, 4), 1e200)}, ValueError, "overflow"),
    ])
    def test_bad_input_names_the_argument(self, kwargs, error, match):
        """Each bad input raises a clear error naming the argument."""
        with pytest.raises(error, match=match):
            self.call(**kwargs)

    def test_grad_out_shape_and_nan(self):
        """grad_out must have the output shape and be finite."""
        with pytest.raises(ValueError, match="`grad_out`: expected the output shape"):
            mm.scaled_dot_product_attention_grad(self.q, self.k, self.v, np.ones((3, 3)))
        with pytest.raises(ValueError, match="`grad_out`: expected finite"):
            mm.scaled_dot_product_attention_grad(self.q, self.k, self.v,
                                                 np.full((3, 2), np.nan))

    def test_default_scale_needs_features(self):
        """d = 0 leaves 1/sqrt(d) undefined."""
        with pytest.raises(ValueError, match="`q`: expected d >= 1"):
            mm.attention_weights(np.ones((2, 0)), np.ones((2, 0)))

    @pytest.mark.parametrize(("num_heads", "error"), [(3, ValueError), (0, ValueError),
                                                      (2.0, TypeError), (True, TypeError)])
    def test_num_heads_must_divide_d_model(self, num_heads, error):
        """num_heads must be a positive integer dividing d_model."""
        w = np.eye(4)
        with pytest.raises(error, match="`num_heads`"):
            mm.multi_head_attention(np.ones((2, 4)), w, w, w, w, num_heads=num_heads)

    def test_projection_shapes_are_checked(self):
        """Each projection must be (d_model, d_model); the message names it."""
        w = np.eye(4)
        with pytest.raises(ValueError, match="`w_k`: expected shape"):
            mm.multi_head_attention(np.ones((2, 4)), w, np.eye(3), w, w, num_heads=2)
        with pytest.raises(ValueError, match="`x`: expected finite"):
            mm.multi_head_attention(np.full((2, 4), np.nan), w, w, w, w, num_heads=2)


def _mp_weights(q, k, scale):
    """50-digit reference of softmax(scale q kᵀ) for one head (object array of mpf)."""
    out = np.empty((q.shape[0], k.shape[0]), dtype=object)
    for i in range(q.shape[0]):
        s = [scale * mpmath.fsum(q[i, t] * k[j, t] for t in range(q.shape[1]))
             for j in range(k.shape[0])]
        m = max(s)
        e = [mpmath.exp(x - m) for x in s]
        total = mpmath.fsum(e)
        out[i] = [x / total for x in e]
    return out


class TestHighPrecision:
    """precision="high": compensated scores (double-double for float64, float64 for float32)."""

    @staticmethod
    def _inputs(dtype, lq=9, lk=33, d=16):
        rng = _rng()
        return (rng.standard_normal((lq, d)).astype(dtype),
                rng.standard_normal((lk, d)).astype(dtype))

    @pytest.mark.parametrize("factor", [1.0, 30.0])
    @pytest.mark.parametrize("dtype", [np.float32, np.float64])
    def test_weights_within_4_eps_of_mpmath(self, dtype, factor):
        """Weights within 4 eps (subnormal ones in spacings) of the 50-digit reference on
        the same floats, for ordinary scores and for scores scaled by 30."""
        q, k = self._inputs(dtype)
        scale = factor / math.sqrt(q.shape[-1])
        scale = float(np.asarray(scale, dtype))  # the reference uses the same scale
        want = mp_reference(lambda a, b: _mp_weights(a, b, mpmath.mpf(scale)), q, k)
        got = mm.attention_weights(q, k, scale=scale, precision="high")
        assert got.dtype == dtype
        assert_accurate(got, want, max_eps=4, dtype=dtype, subnormal_floor=True,
                        label=f"weights high {np.dtype(dtype).name} x{factor}")

    def test_default_precision_loses_digits_where_high_does_not(self):
        """The motivating case: scores scaled by 30 cost the default path > 100 eps."""
        q, k = self._inputs(np.float64)
        scale = 30.0 / math.sqrt(q.shape[-1])
        want = mp_reference(lambda a, b: _mp_weights(a, b, mpmath.mpf(scale)), q, k)
        with pytest.raises(AssertionError, match="bad"):
            assert_accurate(mm.attention_weights(q, k, scale=scale), want, max_eps=100,
                            dtype=np.float64, subnormal_floor=True, label="default x30")

    @pytest.mark.parametrize("block_size", [None, 4, 64])
    def test_sdpa_high_matches_mpmath_with_mask_and_causal(self, block_size):
        """Outputs (v > 0) within 8 eps of the reference, plain and blocked, masked and
        causal; forbidden weights exactly 0 and a fully masked row all zeros."""
        q, k = self._inputs(np.float64, lq=8, lk=8)
        v = _rng().uniform(0.5, 2.0, (8, 3))
        mask = np.ones((8, 8), dtype=bool)
        mask[2, :] = False
        mask[5, ::2] = False
        scale = 30.0 / 4.0
        allowed = mask & np.tri(8, dtype=bool)
        got = mm.scaled_dot_product_attention(q, k, v, mask=mask, causal=True, scale=scale,
                                              block_size=block_size, precision="high")
        np.testing.assert_array_equal(got[2], 0.0)
        rows = [i for i in range(8) if i != 2]
        for i in rows:
            keys = np.flatnonzero(allowed[i])
            want = mp_reference(lambda a, b, c: _mp_attention(a, b, c, mpmath.mpf(scale)),
                                q[i:i + 1], k[keys], v[keys])
            assert_accurate(got[i:i + 1], want, max_eps=8, dtype=np.float64,
                            label=f"sdpa high row {i} block {block_size}")
        w = mm.attention_weights(q, k, mask=mask, causal=True, scale=scale, precision="high")
        assert (w[~allowed] == 0).all()

    @pytest.mark.parametrize("bad", ["highest", "HIGH", None, 1, True])
    def test_precision_must_be_default_or_high(self, bad):
        """Any other value: ValueError naming `precision`."""
        q, k = self._inputs(np.float64)
        with pytest.raises(ValueError, match="`precision`: expected 'default' or 'high'"):
            mm.attention_weights(q, k, precision=bad)
        with pytest.raises(ValueError, match="`precision`"):
            mm.scaled_dot_product_attention(q, k, k, precision=bad)

    def test_high_precision_of_huge_and_tiny_inputs_stays_finite(self):
        """Rows normalised by powers of 2 inside: 1e150 / 1e-150 entries neither overflow
        nor underflow in the splitting; the result agrees with the default path (where
        the default is exact enough: scores ~1)."""
        q, k = self._inputs(np.float64, lq=4, lk=6, d=8)
        got = mm.attention_weights(q * 1e150, k * 1e-150, precision="high")
        np.testing.assert_allclose(got, mm.attention_weights(q, k), rtol=1e-14)


class TestSecondWaveKeywords:
    """dropout, causal alignments, attn_bias, GQA and return_lse (issue 16)."""

    @staticmethod
    def _inputs(seed=0, lq=4, lk=6):
        rng = np.random.default_rng(seed)
        return (rng.standard_normal((2, lq, 3)), rng.standard_normal((2, lk, 3)),
                rng.standard_normal((2, lk, 2)))

    @pytest.mark.parametrize("block_size", [None, 2])
    def test_dropout_is_unbiased_and_reproducible(self, block_size):
        q, k, v = self._inputs()
        plain = mm.scaled_dot_product_attention(q, k, v)
        draws = [mm.scaled_dot_product_attention(q, k, v, dropout_p=0.3, block_size=block_size,
                                                 rng=np.random.default_rng(s))
                 for s in range(4000)]
        mean = np.mean(draws, axis=0)
        spread = np.std(draws, axis=0) / np.sqrt(len(draws))
        assert np.all(np.abs(mean - plain) <= 5 * spread + 1e-12)
        again = mm.scaled_dot_product_attention(q, k, v, dropout_p=0.3, block_size=block_size,
                                                rng=np.random.default_rng(0))
        assert np.array_equal(again, draws[0])
        assert np.array_equal(mm.scaled_dot_product_attention(q, k, v, dropout_p=0.0), plain)

    @pytest.mark.parametrize(("kwargs", "exc", "text"), [
        ({"dropout_p": 0.5}, TypeError, "`rng`: expected a numpy.random.Generator"),
        ({"dropout_p": 1.0, "rng": np.random.default_rng(0)}, ValueError, "`dropout_p`"),
        ({"dropout_p": -0.1}, ValueError, "`dropout_p`"),
        ({"causal": "upper"}, ValueError, "`causal`: expected a bool, 'upper_left'"),
        ({"causal": 1}, TypeError, "`causal`"),
        ({"return_lse": "yes"}, TypeError, "`return_lse`"),
        ({"enable_gqa": 1}, TypeError, "`enable_gqa`"),
        ({"attn_bias": np.full((4, 6), np.nan)}, ValueError, "`attn_bias`: expected no NaN"),
        ({"attn_bias": np.full((4, 6), np.inf)}, ValueError, "`attn_bias`: expected no \\+inf"),
        ({"attn_bias": np.zeros((4, 5))}, ValueError, "`attn_bias`: expected a shape"),
        ({"attn_bias": np.zeros((4, 6), dtype=bool)}, TypeError, "pass a boolean mask as")])
    def test_bad_keywords_are_named(self, kwargs, exc, text):
        q, k, v = self._inputs()
        with pytest.raises(exc, match=text):
            mm.scaled_dot_product_attention(q, k, v, **kwargs)

    def test_lower_right_equals_upper_left_for_square_inputs_and_the_shifted_mask(self):
        q, k, v = self._inputs(lq=6, lk=6)
        assert np.array_equal(mm.scaled_dot_product_attention(q, k, v, causal="lower_right"),
                              mm.scaled_dot_product_attention(q, k, v, causal=True))
        q, k, v = self._inputs(lq=3, lk=6)
        shifted = np.tril(np.ones((3, 6), bool), k=3)
        assert np.array_equal(mm.scaled_dot_product_attention(q, k, v, causal="lower_right"),
                              mm.scaled_dot_product_attention(q, k, v, mask=shifted))

    def test_a_minus_inf_bias_is_a_mask_and_lse_is_returned(self):
        q, k, v = self._inputs()
        mask = np.random.default_rng(4).random((4, 6)) < 0.7
        bias = np.where(mask, 0.0, -np.inf)
        out, lse = mm.scaled_dot_product_attention(q, k, v, attn_bias=bias, return_lse=True)
        assert np.array_equal(out, mm.scaled_dot_product_attention(q, k, v, mask=mask))
        assert lse.shape == (2, 4)
        w = mm.attention_weights(q, k, attn_bias=bias)
        assert np.allclose(w.sum(-1), 1.0)


class TestCausalQueryBlocks:
    """The causal plain path forms only the score blocks that hold allowed keys
    (``attention._CAUSAL_QUERY_BLOCKS`` query blocks); it must equal the
    definition, softmax(scores with -inf above the diagonal) @ v."""

    @staticmethod
    def _reference(q, k, v, diag, mask=None, bias=None):
        s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
        if bias is not None:
            s = s + bias
        allowed = np.arange(k.shape[-2])[None, :] <= np.arange(q.shape[-2])[:, None] + diag
        if mask is not None:
            allowed = allowed & mask
        s = np.where(allowed, s, -np.inf)
        m = np.max(s, axis=-1, keepdims=True, initial=-np.inf)
        e = np.exp(s - np.where(np.isfinite(m), m, 0.0))
        total = e.sum(axis=-1, keepdims=True)
        out = np.divide(e @ v, total, out=np.zeros(e.shape[:-1] + v.shape[-1:]),
                        where=total > 0)
        with np.errstate(divide="ignore"):
            lse = (np.where(np.isfinite(m), m, 0.0) + np.log(total))[..., 0]
        return out, lse

    @pytest.mark.parametrize(("lq", "lk", "causal"), [
        (600, 600, True), (700, 300, "upper_left"), (700, 300, "lower_right"),
        (300, 900, "lower_right"), (256, 256, True)])
    def test_equals_the_definition(self, lq, lk, causal):
        """Every alignment, Lq != Lk (query blocks that see no key), with a mask and a bias."""
        rng = _rng()
        q = rng.standard_normal((2, lq, 16))
        k, v = rng.standard_normal((2, lk, 16)), rng.standard_normal((2, lk, 8))
        mask = rng.random((lq, lk)) < 0.9
        bias = rng.standard_normal((lq, lk))
        diag = lk - lq if causal == "lower_right" else 0
        assert lq >= 2 * attention._CAUSAL_MIN_ROWS  # the query-block path is taken
        out, lse = mm.scaled_dot_product_attention(q, k, v, causal=causal, mask=mask,
                                                   attn_bias=bias, return_lse=True)
        want, want_lse = self._reference(q, k, v, diag, mask, bias)
        np.testing.assert_allclose(out, want, rtol=0, atol=64 * np.finfo(float).eps)
        assert np.array_equal(np.isneginf(lse), np.isneginf(want_lse))
        finite = np.isfinite(want_lse)
        np.testing.assert_allclose(lse[finite], want_lse[finite], rtol=16 * np.finfo(float).eps)
        blocked = mm.scaled_dot_product_attention(q, k, v, causal=causal, mask=mask,
                                                  attn_bias=bias, block_size=128)
        np.testing.assert_allclose(out, blocked, rtol=0, atol=64 * np.finfo(float).eps)

    def test_high_precision_and_float32(self):
        """precision="high" and float32 go through the same blocks."""
        rng = _rng()
        q, k, v = (rng.standard_normal((300, 8)) for _ in range(3))
        want, _ = self._reference(q, k, v, 0)
        high = mm.scaled_dot_product_attention(q, k, v, causal=True, precision="high")
        np.testing.assert_allclose(high, want, rtol=0, atol=64 * np.finfo(float).eps)
        low = mm.scaled_dot_product_attention(*(a.astype(np.float32) for a in (q, k, v)),
                                              causal=True)
        assert low.dtype == np.float32
        np.testing.assert_allclose(low, want, rtol=0, atol=64 * np.finfo(np.float32).eps)


# ----------------------------------------------------------------------------
# Error messages the mutation run found unpinned (tests/MUTANTS.md, attention.py).
# ----------------------------------------------------------------------------

class TestMessagesPinnedByMutation:
    """The ValueErrors name their arguments exactly (each kills mutants of attention.py)."""

    def test_batch_dimensions_that_do_not_broadcast_list_every_argument(self):
        """Batch shapes that do not broadcast: the message lists `q`, `k`, `v` and shapes."""
        with pytest.raises(ValueError, match=r"^`q`, `k`, `v`: expected leading \(batch\) "
                                             r"dimensions that broadcast together, got `q` "
                                             r"\(2,\), `k` \(3,\), `v` \(3,\)$"):
            mm.scaled_dot_product_attention(np.zeros((2, 3, 4)), np.zeros((3, 5, 4)),
                                            np.zeros((3, 5, 4)))

    def test_a_value_that_is_not_a_matrix_stack_is_named(self):
        """A 1-d `v` is a ValueError naming `v` and the expected (..., Lk, dv)."""
        with pytest.raises(ValueError, match=r"^`v`: expected an array of shape \(\.\.\., Lk, "
                                             r"dv\), got shape \(5,\)$"):
            mm.scaled_dot_product_attention(np.zeros((3, 4)), np.zeros((5, 4)), np.zeros(5))

    def test_plus_inf_bias_says_why(self):
        """A +inf bias is a ValueError naming `attn_bias` and saying it takes all the weight."""
        with pytest.raises(ValueError, match=r"^`attn_bias`: expected no \+inf \(it would take "
                                             r"all the weight\), got \+inf at index \[0, 0\]$"):
            mm.scaled_dot_product_attention(np.zeros((3, 4)), np.zeros((5, 4)),
                                            np.zeros((5, 2)), attn_bias=np.full((3, 5), np.inf))

    def test_overflowing_scores_with_precision_high_are_named(self):
        """precision="high": scores that overflow are a ValueError naming `q`, `k`."""
        with pytest.raises(ValueError, match=r"^`q`, `k`: the scores scale \* q kᵀ overflow "
                                             r"float64 \(at query 0, key 0\)"):
            mm.scaled_dot_product_attention(np.full((3, 4), 1e200), np.full((5, 4), 1e200),
                                            np.zeros((5, 2)), precision="high")


class TestPinnedByMutation:
    """Behaviour no other test reached (each kills mutants of attention.py)."""

    def test_gqa_gradient_sums_each_group_onto_its_kv_head(self):
        """The gradient with enable_gqa is that of the kv heads repeated per group, with
        dk and dv summed over each group of query heads (the adjoint of the repetition)."""
        rng = np.random.default_rng(0)
        q, g = rng.normal(size=(3, 4, 3, 5)), rng.normal(size=(3, 4, 3, 3))
        k, v = rng.normal(size=(3, 2, 6, 5)), rng.normal(size=(3, 2, 6, 3))
        dq, dk, dv = mm.scaled_dot_product_attention_grad(q, k, v, g, enable_gqa=True)
        dq_r, dk_r, dv_r = mm.scaled_dot_product_attention_grad(
            q, np.repeat(k, 2, axis=1), np.repeat(v, 2, axis=1), g)
        assert dk.shape == k.shape and dv.shape == v.shape
        np.testing.assert_allclose(dq, dq_r, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(dk, dk_r.reshape(3, 2, 2, 6, 5).sum(axis=2), rtol=1e-13,
                                   atol=1e-15)
        np.testing.assert_allclose(dv, dv_r.reshape(3, 2, 2, 6, 3).sum(axis=2), rtol=1e-13,
                                   atol=1e-15)

    def test_precision_high_with_a_bias_agrees_with_the_default(self):
        """precision="high" with attn_bias gives the default precision's output to 1e-15."""
        rng = np.random.default_rng(1)
        q, k, v = rng.normal(size=(3, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 2))
        bias = rng.normal(size=(3, 5))
        np.testing.assert_allclose(
            mm.scaled_dot_product_attention(q, k, v, attn_bias=bias, precision="high"),
            mm.scaled_dot_product_attention(q, k, v, attn_bias=bias), rtol=0, atol=1e-15)

"""Unit, edge-case, bad-input and mpmath-accuracy tests of mlmath.penalties.

Accuracy is measured against 50-digit mpmath references (``tests/_oracles``)
on deterministic point sets spanning many magnitudes; bounds are in eps of the
tested dtype and are the ones stated in the docstrings and the README.
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mlmath as mm
from mlmath import penalties
from mlmath import strategies as mst
from tests._oracles import assert_accurate, mp_reference

PROX_CALLS = {
    "prox_l1": lambda x, t, **kw: mm.prox_l1(x, t, **kw),
    "prox_squared_l2": lambda x, t, **kw: mm.prox_squared_l2(x, t, **kw),
    "prox_elastic_net": lambda x, t, **kw: mm.prox_elastic_net(x, t, **kw),
    "prox_group_lasso": lambda x, t, **kw: mm.prox_group_lasso(x, t, np.zeros(np.shape(x), int),
                                                               **kw),
}
PENALTY_CALLS = {
    "l1": lambda w, **kw: mm.l1(w, **kw),
    "squared_l2": lambda w, **kw: mm.squared_l2(w, **kw),
    "elastic_net": lambda w, **kw: mm.elastic_net(w, **kw),
    "group_lasso": lambda w, **kw: mm.group_lasso(w, np.arange(np.size(w)).reshape(np.shape(w)),
                                                  **kw),
    "huber": lambda w, **kw: mm.huber(w, **kw),
    "l1_subgradient": lambda w, **kw: mm.l1_subgradient(w, **kw),
    "squared_l2_grad": lambda w, **kw: mm.squared_l2_grad(w, **kw),
    "elastic_net_subgradient": lambda w, **kw: mm.elastic_net_subgradient(w, **kw),
    "huber_grad": lambda w, **kw: penalties.huber_grad(w, **kw),
}


def _with_step(prox: Any) -> Any:
    return lambda w, **kw: prox(w, 0.5, **kw)


ALL_CALLS = {**PENALTY_CALLS, **{k: _with_step(f) for k, f in PROX_CALLS.items()}}


# ---------------------------------------------------------------------------
# closed forms and conventions
# ---------------------------------------------------------------------------

class TestPenaltyValues:
    def test_small_closed_forms(self):
        """Each penalty on w = [3, -4, 0] against a hand computation."""
        w = [3.0, -4.0, 0.0]
        assert mm.l1(w) == 7.0
        assert mm.squared_l2(w) == 25.0  # no factor 1/2
        assert mm.elastic_net(w, alpha=2.0, l1_ratio=0.25) == 2.0 * (0.25 * 7 + 0.5 * 0.75 * 25)
        assert mm.group_lasso(w, [0, 0, 1]) == 5.0
        assert mm.huber(w, 1.0) == (3 - 0.5) + (4 - 0.5)
        assert mm.huber([0.5], 1.0) == 0.125

    def test_elastic_net_endpoints(self):
        """l1_ratio=1 is alpha*l1 (the lasso), l1_ratio=0 is alpha/2*squared_l2 (ridge)."""
        w = np.array([1.5, -2.0, 0.25])
        assert mm.elastic_net(w, alpha=3.0, l1_ratio=1.0) == 3.0 * mm.l1(w)
        assert mm.elastic_net(w, alpha=3.0, l1_ratio=0.0) == 1.5 * mm.squared_l2(w)
        assert mm.elastic_net(w, alpha=0.0) == 0.0

    def test_group_lasso_special_cases(self):
        """Singleton groups give l1; one group gives the Euclidean norm; labels are arbitrary."""
        rng = np.random.default_rng(0)
        w = rng.normal(size=(3, 4))
        np.testing.assert_allclose(mm.group_lasso(w, np.arange(12).reshape(3, 4)), mm.l1(w),
                                   rtol=4e-16)
        np.testing.assert_allclose(mm.group_lasso(w, np.full((3, 4), -7)), np.linalg.norm(w),
                                   rtol=4e-16)
        labels = np.array([[0, 0, 1, 1]] * 3)
        assert mm.group_lasso(w, labels) == mm.group_lasso(w, 1000 - 37 * labels)

    def test_group_lasso_sqrt_size_weights(self):
        """sqrt_size_weights multiplies each group norm by sqrt(group size)."""
        w = np.array([3.0, 4.0, 1.0])
        assert mm.group_lasso(w, [5, 5, 9], sqrt_size_weights=True) == np.sqrt(2) * 5 + 1

    def test_group_lasso_has_no_overflow_or_underflow(self):
        """Group norms scale by the largest entry: 1e200 and 1e-200 entries are fine."""
        big, small = np.ldexp([3.0, 4.0], 600), np.ldexp([3.0, 4.0], -600)
        assert mm.group_lasso(big, [0, 0]) == np.ldexp(5.0, 600)  # squares would be inf
        assert mm.group_lasso(small, [0, 0]) == np.ldexp(5.0, -600)  # squares would be 0
        assert mm.group_lasso(np.float32([3e30, 4e30]), [0, 0]) == np.float32(5e30)

    def test_huber_has_no_spurious_overflow(self):
        """The linear branch never forms x**2: huber(1e300) = 1e300 - 1/2 rounds to 1e300."""
        assert mm.huber([1e300, -1e300], 1.0) == 2e300
        assert mm.huber(np.float32([1e30]), 2.0) == np.float32(2e30)

    def test_infinite_entries(self):
        """Infinities propagate as the limits, never as NaN (0 * inf is avoided)."""
        inf = np.inf
        assert mm.l1([inf, 1.0]) == inf
        assert mm.squared_l2([-inf]) == inf
        assert mm.elastic_net([inf], l1_ratio=1.0) == inf
        assert mm.elastic_net([inf], alpha=0.0) == 0.0
        assert mm.group_lasso([inf, 1.0], [0, 0]) == inf
        assert mm.huber([inf], 0.0) == 0.0
        assert mm.huber([-inf], 2.0) == inf
        np.testing.assert_array_equal(mm.prox_l1([inf, -inf], 3.0), [inf, -inf])
        np.testing.assert_array_equal(mm.prox_group_lasso([inf, 1.0, 2.0], 1.0, [0, 0, 1]),
                                      [inf, 1.0, 1.0])
        np.testing.assert_array_equal(mm.elastic_net_subgradient([inf], l1_ratio=1.0), [1.0])
        np.testing.assert_array_equal(penalties.huber_grad([inf, -inf], 2.0), [2.0, -2.0])

    def test_empty_input(self):
        """Empty arrays: penalties are 0, maps return empty arrays."""
        assert mm.l1([]) == 0.0
        assert mm.group_lasso(np.zeros((0, 2)), np.zeros((0, 2), int)) == 0.0
        assert mm.prox_group_lasso(np.zeros((0, 2)), 1.0, np.zeros((0, 2), int)).shape == (0, 2)


class TestGradients:
    def test_minimum_norm_subgradients(self):
        """sign(w) with 0 at w = 0 (also -0.0), and the elastic-net combination."""
        w = np.array([2.0, -0.0, 0.0, -3.0])
        out = mm.l1_subgradient(w)
        np.testing.assert_array_equal(out, [1.0, 0.0, 0.0, -1.0])
        assert not np.signbit(out[1])
        np.testing.assert_array_equal(mm.elastic_net_subgradient(w, alpha=2.0, l1_ratio=0.25),
                                      [2 * (0.25 + 0.75 * 2), 0, 0, 2 * (-0.25 - 0.75 * 3)])

    def test_squared_l2_grad_is_twice_w(self):
        """The gradient of sum w**2 (no 1/2) is 2w, exactly."""
        w = np.float32([1.5, -2.25, 0.0])
        out = mm.squared_l2_grad(w)
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out, 2 * w)

    def test_huber_grad_is_clip_and_x_minus_prox(self):
        """grad huber = clip(x, -delta, delta) = x - prox_l1(x, delta) (not top-level API)."""
        x = np.linspace(-4, 4, 33)
        np.testing.assert_array_equal(penalties.huber_grad(x, 1.5), x - mm.prox_l1(x, 1.5))
        np.testing.assert_array_equal(penalties.huber_grad([-5.0, -0.5, 0.0, 2.0], 1.5),
                                      [-1.5, -0.5, 0.0, 1.5])


class TestProx:
    def test_prox_l1_exact_positive_zeros(self):
        """Soft thresholding: exact +0.0 where |x| <= t, x - sign(x) t elsewhere."""
        out = mm.prox_l1(np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0]), 1.0)
        np.testing.assert_array_equal(out, [-2.0, 0, 0, 0, 0, 0, 2.0])
        assert not np.any(np.signbit(out[1:6]))

    def test_prox_l1_threshold_is_rounded_to_the_dtype(self):
        """For float32 x the threshold 0.1 means float32(0.1): |x| == t gives 0."""
        x = np.float32([0.1, -0.1])
        np.testing.assert_array_equal(mm.prox_l1(x, 0.1), [0, 0])
        nxt = np.nextafter(np.float32(0.1), np.float32(1))
        assert mm.prox_l1(np.float32([nxt]), 0.1)[0] == nxt - np.float32(0.1) > 0

    def test_prox_squared_l2_uses_the_no_half_convention(self):
        """argmin_u sum u^2 + ||u - x||^2 / (2t) = x / (1 + 2t)."""
        np.testing.assert_array_equal(mm.prox_squared_l2([3.0, -6.0], 1.0), [1.0, -2.0])

    def test_prox_elastic_net_closed_form(self):
        """soft(x, t alpha rho) / (1 + t alpha (1 - rho)), exact for these constants."""
        out = mm.prox_elastic_net([4.0, -1.0, 0.25], 0.5, alpha=3.0, l1_ratio=0.25)
        np.testing.assert_array_equal(out, [(4 - 0.375) / 2.125, (-1 + 0.375) / 2.125, 0.0])

    def test_prox_elastic_net_endpoints_match_l1_and_ridge(self):
        """l1_ratio=1 is prox_l1(x, t alpha); l1_ratio=0 is x / (1 + t alpha)."""
        x = np.array([2.5, -0.3, 1.0])
        np.testing.assert_array_equal(mm.prox_elastic_net(x, 0.5, alpha=2.0, l1_ratio=1.0),
                                      mm.prox_l1(x, 1.0))
        np.testing.assert_array_equal(mm.prox_elastic_net(x, 0.5, alpha=2.0, l1_ratio=0.0), x / 2)

    def test_prox_group_lasso_block_soft_thresholding(self):
        """Groups with norm <= t c_g vanish exactly; others shrink by (1 - t c_g/||x_g||)."""
        x = np.array([[3.0, 4.0], [0.3, -0.4]])
        groups = np.array([[1, 1], [2, 2]])
        np.testing.assert_allclose(mm.prox_group_lasso(x, 1.0, groups),
                                   [[2.4, 3.2], [0.0, 0.0]], rtol=1e-15)
        weighted = mm.prox_group_lasso(x, 1.0, groups, sqrt_size_weights=True)
        np.testing.assert_allclose(weighted[0], x[0] * (1 - np.sqrt(2) / 5), rtol=1e-15)
        assert not np.any(np.signbit(weighted[1]))

    def test_prox_group_lasso_singletons_equal_prox_l1(self):
        """One element per group: block soft thresholding is soft thresholding."""
        x = np.linspace(-3, 3, 13)
        np.testing.assert_allclose(mm.prox_group_lasso(x, 0.7, np.arange(13)),
                                   mm.prox_l1(x, 0.7), rtol=2e-16, atol=0)

    def test_huge_step_keeps_infinite_entries(self):
        """t beyond float32's range saturates instead of making inf - inf = NaN."""
        out = mm.prox_l1(np.float32([np.inf, 1.0]), 1e39)
        np.testing.assert_array_equal(out, [np.inf, 0.0])


class TestShapesAndDtypes:
    @pytest.mark.parametrize("name", sorted(ALL_CALLS))
    @pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int64, np.bool_])
    def test_dtype_rules(self, name, dtype):
        """float32/64 kept, float16 returned as float16, integers and bools become float64."""
        x = np.array([[1, 0], [1, 1]], dtype=dtype)
        out = np.asarray(ALL_CALLS[name](x))
        expected = np.float64 if np.dtype(dtype).kind in "biu" else dtype
        assert out.dtype == expected
        assert out.shape in ((), x.shape)

    @pytest.mark.parametrize("name", sorted(ALL_CALLS))
    def test_zero_dimensional_input(self, name):
        """A scalar is a 0-d array: maps return 0-d results, penalties scalars."""
        assert np.ndim(ALL_CALLS[name](2.0)) == 0

    @pytest.mark.parametrize("name", sorted(ALL_CALLS))
    def test_validate_false_gives_the_same_result(self, name):
        """validate=False only skips checks."""
        x = np.random.default_rng(1).normal(size=(2, 3))
        np.testing.assert_array_equal(ALL_CALLS[name](x, validate=False), ALL_CALLS[name](x))


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------

BAD_STEPS = [(0.0, ValueError), (-1.0, ValueError), (np.nan, ValueError), (np.inf, ValueError),
             ([1.0, 2.0], TypeError), (True, TypeError), ("1", TypeError), (1j, TypeError)]


@pytest.mark.parametrize("name", sorted(PROX_CALLS))
@pytest.mark.parametrize(("t", "error"), BAD_STEPS)
def test_bad_step_is_rejected_naming_t(name, t, error):
    """t must be a finite real scalar > 0."""
    with pytest.raises(error, match="`t`"):
        PROX_CALLS[name]([1.0, 2.0], t)


@pytest.mark.parametrize("call", [
    lambda r: mm.elastic_net([1.0], l1_ratio=r),
    lambda r: mm.elastic_net_subgradient([1.0], l1_ratio=r),
    lambda r: mm.prox_elastic_net([1.0], 1.0, l1_ratio=r),
])
@pytest.mark.parametrize("ratio", [-0.1, 1.5, np.nan, np.inf])
def test_l1_ratio_outside_unit_interval_is_rejected(call, ratio):
    """l1_ratio must lie in [0, 1]."""
    with pytest.raises(ValueError, match=r"`l1_ratio`: expected a value in \[0, 1\]"):
        call(ratio)


@pytest.mark.parametrize(("call", "arg"), [
    (lambda v: mm.elastic_net([1.0], alpha=v), "alpha"),
    (lambda v: mm.elastic_net_subgradient([1.0], alpha=v), "alpha"),
    (lambda v: mm.prox_elastic_net([1.0], 1.0, alpha=v), "alpha"),
    (lambda v: mm.huber([1.0], v), "delta"),
    (lambda v: penalties.huber_grad([1.0], delta=v), "delta"),
])
@pytest.mark.parametrize("value", [-1.0, -1e-300, np.nan, np.inf])
def test_negative_or_nonfinite_strength_is_rejected(call, arg, value):
    """alpha and delta must be finite and >= 0."""
    with pytest.raises(ValueError, match=f"`{arg}`"):
        call(value)


@pytest.mark.parametrize("call", [
    lambda g: mm.group_lasso(np.ones((2, 3)), g),
    lambda g: mm.prox_group_lasso(np.ones((2, 3)), 1.0, g),
])
@pytest.mark.parametrize(("groups", "error", "message"), [
    (np.zeros((3, 2), int), ValueError, r"shape \(2, 3\), got shape \(3, 2\)"),
    (np.zeros(6, int), ValueError, "one label per element"),
    (np.zeros((2, 3)), TypeError, "integer dtype"),
    (np.zeros((2, 3), bool), TypeError, "integer dtype"),
])
def test_bad_groups_are_rejected(call, groups, error, message):
    """groups: one integer label per element of the array."""
    with pytest.raises(error, match=f"`groups`: .*{message}"):
        call(groups)


@pytest.mark.parametrize("name", sorted(ALL_CALLS))
def test_nan_is_rejected_with_its_position(name):
    """A NaN input raises ValueError naming the argument and the index."""
    x = np.ones((2, 2))
    x[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"`(w|x)`: expected no NaN, got NaN at index \[1, 0\]"):
        ALL_CALLS[name](x)


@pytest.mark.parametrize("name", sorted(ALL_CALLS))
@pytest.mark.parametrize("bad", [np.array([1 + 1j]), np.array(["a"]), "abc"])
def test_non_real_input_is_rejected(name, bad):
    """Complex, string and object input raise TypeError naming the argument."""
    with pytest.raises(TypeError, match=r"`(w|x)`"):
        ALL_CALLS[name](bad)


# ---------------------------------------------------------------------------
# accuracy against 50-digit mpmath references
# ---------------------------------------------------------------------------

def _magnitudes(dtype: Any, n: int = 400, *, top: float | None = None) -> np.ndarray:
    """Deterministic signed points from ``1/top`` to ``top`` on a log grid.

    The default range keeps the squares (and sums of 400 of them) normal numbers
    of the dtype: 1e-15..1e15 for float32, 1e-150..1e150 for float64."""
    top = top if top is not None else (1e15 if np.dtype(dtype) == np.float32 else 1e150)
    mags = np.geomspace(1 / top, top, n)
    signs = np.where(np.arange(n) % 3 == 0, -1.0, 1.0)
    return (signs * mags).astype(dtype)


def _mp_abs_sum(w):
    return mpmath.fsum(abs(v) for v in w.flat)


def _mp_square_sum(w):
    return mpmath.fsum(v * v for v in w.flat)


def _mp_huber(delta):
    d = mpmath.mpf(delta)
    return lambda x: mpmath.fsum(v * v / 2 if abs(v) <= d else d * (abs(v) - d / 2)
                                 for v in x.flat)


# Accuracy bounds (eps of the dtype).  float32 penalties are accumulated in
# float64 and rounded once: <= 0.5 eps + a float64 residue, hence 0.51.
PENALTY_ACCURACY = [
    ("l1", lambda w: mm.l1(w), _mp_abs_sum, {np.float32: 0.51, np.float64: 2.0}),
    ("squared_l2", lambda w: mm.squared_l2(w), _mp_square_sum, {np.float32: 0.51, np.float64: 2.0}),
    ("huber", lambda w: mm.huber(w, 3.0), _mp_huber(3.0), {np.float32: 0.51, np.float64: 2.0}),
    ("elastic_net", lambda w: mm.elastic_net(w, alpha=0.5, l1_ratio=0.25),
     lambda w: mpmath.mpf(0.5) * (mpmath.mpf(0.25) * _mp_abs_sum(w)
                                  + mpmath.mpf(0.375) * _mp_square_sum(w)),
     {np.float32: 0.51, np.float64: 3.0}),
]


@pytest.mark.parametrize(("label", "fn", "reference", "bounds"), PENALTY_ACCURACY,
                         ids=[row[0] for row in PENALTY_ACCURACY])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_penalty_accuracy(label, fn, reference, bounds, dtype):
    """Penalty sums of 400 magnitudes over 30 (f32) / 300 (f64) decades, vs mpmath."""
    rng = np.random.default_rng(2)
    w = _magnitudes(dtype) * rng.uniform(0.5, 2, 400).astype(dtype)
    # Sums are dominated by the largest terms, so also test each order of magnitude alone.
    chunks = [w] + [w[i:i + 40] for i in range(0, 400, 40)]
    got = [fn(c) for c in chunks]
    expected = [mp_reference(reference, c) for c in chunks]
    assert_accurate(got, expected, max_eps=bounds[dtype], dtype=dtype, label=label)


def test_group_lasso_accuracy():
    """Group norms of groups up to 16 elements across magnitudes: <= (2 + n/4) eps, here 6."""
    rng = np.random.default_rng(3)
    w = _magnitudes(np.float64, 480, top=1e300) * rng.uniform(0.5, 2, 480)
    groups = np.repeat(np.arange(40), 12)
    got = [mm.group_lasso(w[groups == g], groups[groups == g]) for g in range(40)]
    expected = [mp_reference(lambda v: mpmath.sqrt(_mp_square_sum(v)), w[groups == g])
                for g in range(40)]
    assert_accurate(got, expected, max_eps=6.0, dtype=np.float64, label="group_lasso")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_prox_accuracy(dtype):
    """prox_l1 is correctly rounded (0.5 eps); squared_l2 <= 1 eps; elastic net <= 1.5 eps.

    The steps are chosen so that t, t alpha rho and 1 + t alpha (1 - rho) are
    exact in binary: then the references are the exact closed forms.
    """
    x = _magnitudes(dtype, top=1e20) * 7  # 1e-20 .. 1e20: prox values stay normal
    t, alpha, ratio = 0.5, 3.0, 0.25  # tau = 0.375, shrink = 2.125: exact

    def mp_soft(v, tau):
        return mpmath.sign(v) * max(abs(v) - tau, 0)

    soft = mp_reference(np.vectorize(lambda v: mp_soft(v, mpmath.mpf(t)), otypes=[object]), x)
    assert_accurate(mm.prox_l1(x, t), soft, max_eps=0.5, dtype=dtype, label="prox_l1")
    ridge = mp_reference(np.vectorize(lambda v: v / (1 + 2 * mpmath.mpf(0.3)), otypes=[object]),
                         x)
    assert_accurate(mm.prox_squared_l2(x, 0.3), ridge, max_eps=1.0, dtype=dtype,
                    label="prox_squared_l2")
    net = mp_reference(np.vectorize(lambda v: mp_soft(v, mpmath.mpf(0.375)) / mpmath.mpf(2.125),
                                    otypes=[object]), x)
    assert_accurate(mm.prox_elastic_net(x, t, alpha=alpha, l1_ratio=ratio), net, max_eps=1.5,
                    dtype=dtype, label="prox_elastic_net")


def test_prox_group_lasso_accuracy():
    """Block soft thresholding across magnitudes, groups of 1..12: <= 4 eps (float64)."""
    rng = np.random.default_rng(4)
    sizes = rng.integers(1, 13, 60)
    groups = np.repeat(np.arange(60), sizes)
    x = rng.normal(size=groups.size) * 10.0 ** rng.integers(-100, 100, 60)[groups]
    t = 0.3 * np.array([np.linalg.norm(x[groups == g]) for g in range(60)])[groups]
    got = np.concatenate([mm.prox_group_lasso(x[groups == g], t[groups == g][0],
                                              groups[groups == g]) for g in range(60)])

    def reference(v):
        out = np.empty(v.shape, dtype=object)
        for g in range(60):
            members = np.flatnonzero(groups == g)
            norm = mpmath.sqrt(mpmath.fsum(v[i] ** 2 for i in members))
            factor = max(1 - mpmath.mpf(t[members[0]]) / norm, 0)
            for i in members:
                out[i] = v[i] * factor
        return out

    assert_accurate(got, mp_reference(reference, x), max_eps=4.0, dtype=np.float64,
                    label="prox_group_lasso")


# ---------------------------------------------------------------------------
# the strategies keep their promises
# ---------------------------------------------------------------------------

@given(data=st.data())
def test_penalty_array_strategies_respect_their_bounds(data):
    """penalty_arrays: entries 0 or in +-[min, max]; labels and steps as documented."""
    dtype = data.draw(mst.float_dtypes())
    w = data.draw(mst.penalty_arrays(dtype=dtype, min_magnitude=0.1, max_magnitude=10.0))
    a = np.abs(w)
    assert w.dtype == dtype and np.all((a == 0) | ((a >= 0.1) & (a <= 10.0)))
    groups = data.draw(mst.group_labels(w.shape))
    assert groups.shape == w.shape and groups.dtype.kind == "i"
    t = data.draw(mst.prox_steps(dtype=dtype))
    assert 1e-2 <= t <= 1e2 and float(np.dtype(dtype).type(t)) == t
    alpha, ratio = data.draw(mst.elastic_net_params(allow_zero_alpha=False))
    assert alpha > 0 and 0 <= ratio <= 1
    x, t = data.draw(mst.soft_threshold_cases(dtype=dtype))
    assert x.dtype == dtype and float(np.dtype(dtype).type(t)) == t


# ---------------------------------------------------------------------------
# a working use: proximal gradient for the lasso / elastic net (examples/)
# ---------------------------------------------------------------------------

def _kkt_residual(X, y, w, alpha, l1_ratio):
    """Max violation of 0 in grad f(w) + d g(w), written here from the definition."""
    n = X.shape[0]
    c = X.T @ (y - X @ w) / n - alpha * (1 - l1_ratio) * w
    lam = alpha * l1_ratio
    return float(np.max(np.where(w != 0, np.abs(c - lam * np.sign(w)),
                                 np.maximum(np.abs(c) - lam, 0))))


PROBLEMS = [  # (n_samples, n_features, n_informative, seed): over- and under-determined
    (60, 12, 4, 0),
    (30, 50, 5, 1),
]
SETTINGS = [(0.1, 1.0), (0.1, 0.5), (0.5, 0.3), (0.02, 0.9)]


@pytest.mark.parametrize("problem", PROBLEMS)
@pytest.mark.parametrize(("alpha", "l1_ratio"), SETTINGS)
def test_proximal_gradient_satisfies_kkt(problem, alpha, l1_ratio):
    """ISTA and FISTA stop at a KKT point (violation <= 1e-10) and agree with each other."""
    from examples import proximal_gradient as pg

    X, y, _ = pg.make_regression(*problem[:3], seed=problem[3])
    results = [solver(X, y, alpha=alpha, l1_ratio=l1_ratio) for solver in (pg.ista, pg.fista)]
    for res in results:
        assert res.converged
        assert _kkt_residual(X, y, res.coef, alpha, l1_ratio) <= 1e-10
        assert res.kkt == pytest.approx(_kkt_residual(X, y, res.coef, alpha, l1_ratio),
                                        abs=1e-15)
    np.testing.assert_allclose(results[0].coef, results[1].coef, rtol=0, atol=1e-9)
    assert results[1].n_iter <= results[0].n_iter  # acceleration pays off here


def test_proximal_gradient_solution_is_sparse_and_recovers_support():
    """The lasso with a moderate alpha finds the true support with exact zeros elsewhere."""
    from examples import proximal_gradient as pg

    X, y, w_true = pg.make_regression()
    res = pg.fista(X, y, alpha=0.1, l1_ratio=1.0)
    np.testing.assert_array_equal(res.coef != 0, w_true != 0)


def test_proximal_gradient_objective_is_minimal_among_perturbations():
    """F at the solution is <= F at 200 random nearby points (brute force)."""
    from examples import proximal_gradient as pg

    X, y, _ = pg.make_regression(30, 50, 5, seed=1)
    res = pg.fista(X, y, alpha=0.1, l1_ratio=0.5)
    best = pg.objective(X, y, res.coef, alpha=0.1, l1_ratio=0.5)
    rng = np.random.default_rng(5)
    for scale in (1e-2, 1e-4):
        for _ in range(100):
            other = res.coef + scale * rng.normal(size=res.coef.shape)
            assert best <= pg.objective(X, y, other, alpha=0.1, l1_ratio=0.5) + 1e-14


class TestProjectionsAndNewProxes:
    """Projections, prox_linf, prox_huber and the nuclear norm (issue 16)."""

    @staticmethod
    def _simplex_by_bisection(x, radius):
        """An independent oracle: bisect theta in sum max(x - theta, 0) = r (exact
        fractions would be slower and no more decisive at these sizes)."""
        lo, hi = float(np.min(x)) - radius, float(np.max(x))
        for _ in range(200):
            mid = (lo + hi) / 2
            if np.sum(np.maximum(x - mid, 0.0)) > radius:
                lo = mid
            else:
                hi = mid
        return np.maximum(x - (lo + hi) / 2, 0.0)

    @pytest.mark.parametrize("seed", range(5))
    def test_simplex_projection_matches_bisection(self, seed):
        x = np.random.default_rng(seed).standard_normal((4, 7)) * 3
        got = mm.project_simplex(x, radius=2.0)
        want = np.array([self._simplex_by_bisection(row, 2.0) for row in x])
        np.testing.assert_allclose(got, want, rtol=0, atol=64 * np.finfo(float).eps * 9)
        assert np.array_equal(mm.project_simplex(x.T, radius=2.0, axis=0), got.T)

    def test_l1_ball_and_linf_prox_are_moreau_complements(self):
        x = np.array([3.0, -1.0, 0.25, -2.5])
        ball = mm.project_l1_ball(x, radius=1.5)
        assert np.sum(np.abs(ball)) == pytest.approx(1.5, rel=4 * np.finfo(float).eps)
        np.testing.assert_allclose(mm.prox_linf(x, 1.5) + ball, x, rtol=0, atol=1e-15)
        assert np.array_equal(mm.prox_linf([0.1, -0.2], 1.0), [0.0, 0.0])

    def test_prox_huber_pieces(self):
        x = np.array([-10.0, -2.0, 0.0, 1.5, 2.0, 10.0])
        got = mm.prox_huber(x, 1.0, delta=1.0)   # kink at |x| = delta (1 + tau) = 2
        np.testing.assert_array_equal(got, [-9.0, -1.0, 0.0, 0.75, 1.0, 9.0])
        assert np.array_equal(mm.prox_huber(x, 2.0, delta=0.0), x)

    def test_nuclear_norm_matches_numpy_and_batches(self):
        m = np.random.default_rng(2).standard_normal((3, 4, 2))
        want = [np.linalg.norm(a, "nuc") for a in m]
        np.testing.assert_allclose(mm.nuclear_norm(m), want, rtol=8 * np.finfo(float).eps)
        low = mm.prox_nuclear_norm(m, 10.0)
        assert np.array_equal(low, np.zeros_like(m))
        assert np.isnan(mm.nuclear_norm(np.array([[np.nan, 0.0], [0.0, 1.0]]), validate=False))

    @pytest.mark.parametrize(("call", "exc", "text"), [
        (lambda: mm.project_simplex([1.0, 2.0], radius=0.0), ValueError, "`radius`"),
        (lambda: mm.project_simplex([1.0, np.inf]), ValueError, "`x`"),
        (lambda: mm.project_l1_ball([1.0], radius=-1.0), ValueError, "`radius`"),
        (lambda: mm.project_box([1.0, 2.0], [0.0, 3.0], [1.0, 2.0]), ValueError,
         r"`lower`: expected lower <= upper everywhere, got 3.0 > 2.0 at index \[1\]"),
        (lambda: mm.project_box([1.0, 2.0], [0.0, 0.0, 0.0], 1.0), ValueError, "`lower`"),
        (lambda: mm.prox_linf([1.0], 0.0), ValueError, "`tau`"),
        (lambda: mm.nuclear_norm([1.0, 2.0]), ValueError, "`X`: expected at least 2"),
        (lambda: mm.prox_nuclear_norm([[1.0]], "1"), TypeError, "`tau`")])
    def test_bad_arguments_are_named(self, call, exc, text):
        with pytest.raises(exc, match=text):
            call()


# ----------------------------------------------------------------------------
# Found by mutation testing (tests/MUTANTS.md): defaults, signed zeros and the
# float64 accumulation of float32 input, each of which a mutant got wrong.
# ----------------------------------------------------------------------------

class TestDefaultsSignsAndAccumulation:
    X = np.array([-2.5, -1.5, -0.25, 0.0, 0.75, 1.25, 3.0])

    @pytest.mark.parametrize(("call", "explicit"), [
        (lambda x: mm.elastic_net(x), lambda x: mm.elastic_net(x, alpha=1.0, l1_ratio=0.5)),
        (lambda x: mm.elastic_net_subgradient(x),
         lambda x: mm.elastic_net_subgradient(x, alpha=1.0, l1_ratio=0.5)),
        (lambda x: mm.prox_elastic_net(x, 0.7),
         lambda x: mm.prox_elastic_net(x, 0.7, alpha=1.0, l1_ratio=0.5)),
        (lambda x: mm.huber(x), lambda x: mm.huber(x, 1.0)),
        (lambda x: penalties.huber_grad(x), lambda x: penalties.huber_grad(x, 1.0)),
    ], ids=["elastic_net", "elastic_net_subgradient", "prox_elastic_net", "huber",
            "huber_grad"])
    def test_documented_defaults(self, call, explicit):
        """alpha = 1, l1_ratio = 1/2, delta = 1 by default (entries between 1 and 2
        tell delta = 1 from delta = 2)."""
        np.testing.assert_array_equal(call(self.X), explicit(self.X), strict=True)
        assert mm.huber(1.5) == 1.0  # delta (|x| - delta/2) = 1.5 - 0.5

    @pytest.mark.parametrize("call", [
        mm.l1_subgradient,
        lambda x: mm.elastic_net_subgradient(x, alpha=1.0, l1_ratio=1.0),
    ], ids=["l1_subgradient", "elastic_net_subgradient"])
    def test_minimum_norm_subgradient_at_minus_zero_is_plus_zero(self, call):
        """The subgradient at -0.0 is +0.0 (sign(-0.0) + 0.0), not -0.0."""
        g = call(np.array([-0.0, 0.0, -1.0]))
        assert g[0] == 0.0 and not np.signbit(g[0]) and not np.signbit(g[1])

    def test_huber_grad_accepts_delta_zero(self):
        """delta = 0 is allowed (the Huber function degenerates to 0, its gradient to 0)."""
        np.testing.assert_array_equal(penalties.huber_grad(self.X, 0.0), 0.0)

    @pytest.mark.parametrize(("name", "call", "small"), [
        ("l1", mm.l1, 4e-8),
        ("squared_l2", mm.squared_l2, 2e-4),
        ("elastic_net", lambda x: mm.elastic_net(x, alpha=1.0, l1_ratio=1.0), 4e-8),
        ("huber", lambda x: mm.huber(x, 10.0), 2e-4),
    ])
    def test_float32_input_is_accumulated_in_float64(self, name, call, small):
        """[1, s x 127] repeated: in float32, each block's s (or s²) below eps/2 is lost
        next to the 1 (5 eps); accumulated in float64 and rounded once: <= 1 eps."""
        x = np.tile(np.r_[1.0, [small] * 127], 512).astype(np.float32)
        x64 = x.astype(np.float64)
        exact = {"l1": np.sum(np.abs(x64)), "squared_l2": np.sum(x64 * x64),
                 "elastic_net": np.sum(np.abs(x64)), "huber": np.sum(x64 * x64) / 2}[name]
        got = call(x)
        assert got.dtype == np.float32
        assert abs(float(got) - exact) <= np.finfo(np.float32).eps * exact, name

    def test_prox_group_lasso_of_zero_and_infinite_groups_warns_nothing(self):
        """A zero group (x/0) and an infinite one (inf/inf) inside the masked shrink
        factor raise no RuntimeWarning; the infinite group is kept as it is."""
        import warnings
        x = np.array([0.0, 0.0, 3.0, 4.0, np.inf, 1.0])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = mm.prox_group_lasso(x, 1.0, [0, 0, 1, 1, 2, 2])
        np.testing.assert_allclose(got, [0.0, 0.0, 2.4, 3.2, np.inf, 1.0], rtol=1e-15)

    def test_group_prox_of_a_subnormal_group_with_a_large_step_warns_nothing(self):
        """A group of norm 5e-324 under a step of 1e10: the masked factor's
        (norm - threshold) / norm overflows, unseen; the group is set to 0."""
        import warnings
        x = np.array([5e-324, 0.0, 3.0, 4.0])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            a = mm.prox_group_lasso(x, 1e10, [0, 0, 1, 1])
            b = mm.prox_sparse_group_lasso(x, 1e10, [0, 0, 1, 1], alpha=1.0, l1_ratio=0.0)
        assert a.tolist() == b.tolist() == [0.0, 0.0, 0.0, 0.0]

    @pytest.mark.parametrize("x", [np.array([], np.float32), np.array([1.5, -3.0], np.float32)],
                             ids=["empty", "delta-0"])
    def test_float32_huber_keeps_the_dtype(self, x):
        """huber of float32 input is float32, also on the delta = 0 and empty shortcuts."""
        for delta in (0.0, 1.0):
            got = mm.huber(x, delta)
            assert np.asarray(got).dtype == np.float32, (x, delta)

    @pytest.mark.parametrize("call", [mm.squared_l2, lambda x: mm.huber(x, 1.0)],
                             ids=["squared_l2", "huber"])
    def test_float32_squares_are_formed_in_float64(self, call):
        """Squares of 1e-20 (1e-40: subnormal in float32, ~9 bits) are formed in float64:
        1e5 of them sum to a normal float32 within 1 eps."""
        x = np.full(100_000, 1e-20, dtype=np.float32)
        exact = float(np.sum(x.astype(np.float64) ** 2))
        scale = 0.5 if call is not mm.squared_l2 else 1.0
        got = float(call(x))
        assert abs(got - scale * exact) <= np.finfo(np.float32).eps * scale * exact


class TestSparseGroupLasso:
    """sparse_group_lasso, its subgradient and prox (Simon et al. 2013; issue 16)."""

    X = np.array([3.5, 4.5, 0.2, -0.4, 0.0, -2.0])
    GROUPS = np.array([0, 0, 1, 1, 2, 2])

    def test_value_is_the_weighted_sum_of_its_parts(self):
        got = mm.sparse_group_lasso(self.X, self.GROUPS, alpha=2.0, l1_ratio=0.25)
        want = 2.0 * (0.25 * mm.l1(self.X) + 0.75 * mm.group_lasso(self.X, self.GROUPS))
        assert got == pytest.approx(want, rel=4 * np.finfo(float).eps)

    def test_prox_matches_a_brute_force_minimiser(self):
        """The closed form minimises f(u) + ||u - x||^2 / (2t) (scipy.optimize, Powell)."""
        from scipy.optimize import minimize

        kw = {"alpha": 0.8, "l1_ratio": 0.4, "sqrt_size_weights": True}
        t = 0.7

        def objective(u):
            return t * float(mm.sparse_group_lasso(u, self.GROUPS, **kw)) + \
                0.5 * float(np.sum((u - self.X) ** 2))

        got = mm.prox_sparse_group_lasso(self.X, t, self.GROUPS, **kw)
        best = minimize(objective, got + 0.05, method="Powell",
                        options={"xtol": 1e-12, "ftol": 1e-14, "maxiter": 20000})
        assert objective(got) <= best.fun + 1e-12
        np.testing.assert_allclose(got, best.x, atol=1e-5)

    def test_prox_zeros_whole_groups_and_small_entries_exactly(self):
        u = mm.prox_sparse_group_lasso(self.X, 1.0, self.GROUPS, alpha=1.0, l1_ratio=0.5)
        assert np.array_equal(u[2:4], [0.0, 0.0]) and not np.signbit(u[2:4]).any()
        assert u[4] == 0.0 and u[5] < 0

    def test_subgradient_is_zero_on_zero_groups_and_at_zero_entries(self):
        x = np.array([0.0, 0.0, 3.0, 0.0])
        g = mm.sparse_group_lasso_subgradient(x, [0, 0, 1, 1], alpha=1.0, l1_ratio=0.5)
        np.testing.assert_array_equal(g, [0.0, 0.0, 1.0, 0.0])

    def test_subgradient_refuses_infinities(self):
        with pytest.raises(ValueError, match=r"`x`: expected finite values, got inf"):
            mm.sparse_group_lasso_subgradient([np.inf, 1.0], [0, 0], alpha=1.0, l1_ratio=0.5)

    def test_infinite_entries_and_pure_mixes_never_give_nan(self):
        x = np.array([np.inf, 1.0, -2.0])
        groups = [0, 0, 1]
        assert mm.sparse_group_lasso(x, groups, alpha=1.0, l1_ratio=1.0) == np.inf
        assert mm.sparse_group_lasso(x, groups, alpha=1.0, l1_ratio=0.0) == np.inf
        u = mm.prox_sparse_group_lasso(x, 0.5, groups, alpha=1.0, l1_ratio=0.5)
        assert not np.isnan(u).any() and u[0] == np.inf

    @pytest.mark.parametrize("dtype", [np.float32, np.float64])
    def test_dtype_and_shape_kept(self, dtype):
        x = self.X.reshape(2, 3).astype(dtype)
        groups = self.GROUPS.reshape(2, 3)
        for out in (mm.prox_sparse_group_lasso(x, 0.5, groups, alpha=1.0, l1_ratio=0.5),
                    mm.sparse_group_lasso_subgradient(x, groups, alpha=1.0, l1_ratio=0.5)):
            assert out.dtype == dtype and out.shape == (2, 3)
        assert mm.sparse_group_lasso(x, groups, alpha=1.0, l1_ratio=0.5).dtype == dtype

    @pytest.mark.parametrize("kwargs, name", [
        ({"alpha": -1.0, "l1_ratio": 0.5}, "alpha"),
        ({"alpha": 1.0, "l1_ratio": 1.5}, "l1_ratio"),
        ({"alpha": 1.0, "l1_ratio": 0.5, "sqrt_size_weights": 1}, "sqrt_size_weights"),
    ])
    def test_bad_hyperparameters_are_named(self, kwargs, name):
        for fn in (lambda **kw: mm.sparse_group_lasso(self.X, self.GROUPS, **kw),
                   lambda **kw: mm.sparse_group_lasso_subgradient(self.X, self.GROUPS, **kw),
                   lambda **kw: mm.prox_sparse_group_lasso(self.X, 1.0, self.GROUPS, **kw)):
            with pytest.raises((ValueError, TypeError), match=f"`{name}`"):
                fn(**kwargs)

    def test_alpha_and_l1_ratio_are_required(self):
        with pytest.raises(TypeError):
            mm.sparse_group_lasso(self.X, self.GROUPS)  # type: ignore[call-arg]

"""Properties of the stable primitives (mlmath.special).

Each test states one theorem; ``mm`` is the implementation under test, so the
same suite checks SciPy, PyTorch or a user's module (``$MLMATH_IMPL``).  Every
property is shown to catch a realistic broken implementation (the mutant table
at the bottom).  Tolerances are in eps of the dtype: mlmath.special promises
4 eps per result (tests/test_special.py checks it against mpmath), so two
results agree within 8 eps plus the rounding of the comparison itself.
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlmath import strategies as mst
from mlmath.testing import (
    assert_all,
    assert_close_eps,
    eps_of,
    expect_property_failure,
    mutant,
)

# Every test here runs once per installed backend (NumPy, numba): mlmath._backend.
pytestmark = pytest.mark.usefixtures("mlmath_backend")

#: float32 and float64, a shape of up to 3 dims and an axis into it.
CASES = st.tuples(mst.float_dtypes(), mst.shapes_with_axis())


def _draw_logits(data: st.DataObject, strategy: Any = mst.logits) -> tuple[np.ndarray, int]:
    dtype, (shape, axis) = data.draw(CASES, label="dtype, (shape, axis)")
    return data.draw(strategy(shape=shape, dtype=dtype), label="x"), axis


@given(data=st.data())
def test_softmax_rows_are_distributions(mm, data):
    """softmax(x) >= 0 and sums to 1 along ``axis``, for every finite x (no overflow)."""
    x, axis = _draw_logits(data, mst.extreme_logits)
    s = mm.softmax(x, axis=axis)
    assert_all(np.isfinite(s) & (s >= 0), "softmax-simplex", "finite entries >= 0", x=x)
    # each entry within 4 eps, plus n roundings of the sum: (4 + 8) eps, n <= 8.
    assert_close_eps(np.sum(s, axis=axis, dtype=np.float64), 1.0, prop="softmax-simplex",
                     rtol_eps=12, eps=eps_of(x), x=x, axis=axis)


@given(x=mst.masked_logits(shape=(3, 5), axis=-1))
def test_softmax_gives_masked_logits_exactly_zero_weight(mm, x):
    """-inf logits have weight exactly 0 and the rest still sums to 1."""
    s = mm.softmax(x)
    assert_all(s[np.isneginf(x)] == 0, "softmax-mask", "softmax = 0 at -inf logits", x=x)
    assert_close_eps(np.sum(s, axis=-1), 1.0, prop="softmax-mask", rtol_eps=12, x=x)


@given(data=st.data())
def test_softmax_shift_invariance(mm, data):
    """softmax(x + c) = softmax(x) for every constant c (x + c exact by construction)."""
    dtype, (shape, axis) = data.draw(CASES, label="dtype, (shape, axis)")
    x, c = data.draw(mst.logits_and_exact_shift(shape=shape, dtype=dtype), label="x, c")
    shifted = mm.softmax(x + np.asarray(c, dtype), axis=axis)
    # both within 4 eps of the same exact value; below the normal range, in spacings.
    tiny = float(np.finfo(dtype).tiny)
    assert_close_eps(shifted, mm.softmax(x, axis=axis), prop="softmax-shift", rtol_eps=8,
                     atol_eps=8 * tiny / eps_of(x), x=x, c=c, axis=axis)


@given(data=st.data())
def test_log_softmax_shift_invariance(mm, data):
    """log_softmax(x + c) = log_softmax(x) for every constant c (x + c exact)."""
    dtype, (shape, axis) = data.draw(CASES, label="dtype, (shape, axis)")
    x, c = data.draw(mst.logits_and_exact_shift(shape=shape, dtype=dtype), label="x, c")
    assert_close_eps(mm.log_softmax(x + np.asarray(c, dtype), axis=axis),
                     mm.log_softmax(x, axis=axis), prop="log-softmax-shift", rtol_eps=8,
                     x=x, c=c, axis=axis)


@given(data=st.data())
def test_log_softmax_is_log_of_softmax(mm, data):
    """log_softmax(x) = log(softmax(x)) wherever softmax does not underflow."""
    x, axis = _draw_logits(data)
    s = mm.softmax(x, axis=axis)
    assume(np.all(s >= np.finfo(x.dtype).tiny))
    # log(s) turns s's 4 eps relative error into 4 eps absolute; log rounds (0.5 ulp).
    assert_close_eps(mm.log_softmax(x, axis=axis), np.log(s), prop="log-softmax-log",
                     rtol_eps=5, atol_eps=5, x=x, axis=axis)


@given(data=st.data())
def test_logsumexp_between_max_and_max_plus_log_n(mm, data):
    """max(x) <= LSE(x) <= max(x) + log n along ``axis``, for every finite x."""
    x, axis = _draw_logits(data, mst.extreme_logits)
    lse = np.asarray(mm.logsumexp(x, axis=axis), dtype=np.float64)
    m = np.max(x, axis=axis).astype(np.float64)
    upper = m + np.log(x.shape[axis])
    eps = eps_of(x)
    # lower bound exact (log1p(rest) >= 0 and rounding is monotone); upper: 4 eps + rounding.
    assert_all(lse >= m, "lse-bounds", "LSE >= max", x=x, axis=axis)
    with np.errstate(over="ignore"):
        assert_all(lse <= upper + 5 * eps * np.abs(upper), "lse-bounds", "LSE <= max + log n",
                   x=x, axis=axis)


@given(data=st.data())
def test_logsumexp_translation_equivariance(mm, data):
    """LSE(x + c) = LSE(x) + c for every constant c (x + c exact by construction)."""
    dtype, (shape, axis) = data.draw(CASES, label="dtype, (shape, axis)")
    x, c = data.draw(mst.logits_and_exact_shift(shape=shape, dtype=dtype), label="x, c")
    left = np.asarray(mm.logsumexp(x + np.asarray(c, dtype), axis=axis), np.float64)
    right = np.asarray(mm.logsumexp(x, axis=axis), np.float64) + c
    # each LSE within 4 eps of its magnitude; the sum LSE(x) + c may cancel, so the
    # tolerance is on the scale of the terms, not of the (possibly tiny) result.
    scale = np.abs(left) + np.abs(right - c) + abs(c)
    assert_all(np.isfinite(left) & np.isfinite(right), "lse-translation",
               "finite LSE of finite logits", x=x, c=c, axis=axis)
    assert_all(np.abs(left - right) <= 9 * eps_of(x) * scale, "lse-translation",
               "LSE(x + c) = LSE(x) + c within 9 eps of the terms", x=x, c=c, axis=axis)


@given(data=st.data())
def test_logsumexp_is_monotone(mm, data):
    """x <= y entrywise implies LSE(x) <= LSE(y)."""
    x, axis = _draw_logits(data)
    bump = data.draw(mst.logits(shape=x.shape, dtype=x.dtype, bound=30.0), label="bump")
    y = x + np.abs(bump)  # rounding is monotone: y >= x exactly
    lx = np.asarray(mm.logsumexp(x, axis=axis), np.float64)
    ly = np.asarray(mm.logsumexp(y, axis=axis), np.float64)
    # both within 4 eps of exact values that are ordered.
    assert_all(lx <= ly + 8 * eps_of(x) * np.maximum(np.abs(lx), np.abs(ly)), "lse-monotone",
               "LSE(x) <= LSE(y)", x=x, y=y, axis=axis)


def _mp_logsumexp(row: np.ndarray) -> float:
    """LSE of a float row at 50 digits (exact inputs), rounded once to float64."""
    with mpmath.workdps(50):
        terms = [mpmath.exp(mpmath.mpf(float(t))) for t in row if t > -np.inf]
        return float(mpmath.log(mpmath.fsum(terms)))


@given(p=mst.probability_vectors(shape=st.integers(2, 8).map(lambda k: (k,)),
                                 dtype=None))
@example(p=np.array([1.0 - 1e-12, 1e-12]))  # a max entry of -1e-12: LSE ~ 1e-29
@example(p=np.array([0.5, 0.5, 0.0]))        # -ln 2 twice, and a -inf entry
def test_logsumexp_of_log_probabilities_within_4_eps(mm, p):
    """LSE(log p) is the rounding error of log p (about 1e-17, from terms of size 1):
    still within 4 eps of the exact value of the rounded inputs (Blanchard, Higham and
    Higham 2021 bound the naive form by eps * |max| / |result| instead)."""
    with np.errstate(divide="ignore"):
        x = np.log(p)
    expected = _mp_logsumexp(x)
    assume(expected != 0.0)
    # 4 eps of the result, plus the reference's own rounding to float64 (1/2 eps of
    # float64, i.e. nothing for float32).
    assert_close_eps(mm.logsumexp(x), expected, prop="lse-cancellation", rtol_eps=4.5,
                     eps=eps_of(x), x=x)


@given(x=mst.extreme_logits(shape=mst.shapes_with_axis().map(lambda sa: sa[0]),
                            dtype=np.float64) | mst.extreme_logits(dtype=np.float32))
@example(x=np.array([0.0, 20.5, -745.0, 1e308]))
def test_sigmoid_reflection(mm, x):
    """sigma(-x) = 1 - sigma(x), i.e. sigma(x) + sigma(-x) = 1."""
    total = mm.sigmoid(x).astype(np.float64) + mm.sigmoid(-x)
    # each term within 4 eps of its value, both <= 1: 8 eps absolute, plus the sum's rounding.
    assert_close_eps(total, 1.0, prop="sigmoid-reflection", rtol_eps=9, eps=eps_of(x), x=x)


@given(x=mst.extreme_logits(shape=(6,), dtype=np.float64)
       | mst.extreme_logits(shape=(6,), dtype=np.float32) | mst.logits(shape=(6,), bound=60.0))
@example(x=np.array([20.5, 25.0, 36.0, 40.0, -700.0, 1.0]))
def test_softplus_difference_is_identity(mm, x):
    """softplus(x) - softplus(-x) = x."""
    plus = np.asarray(mm.softplus(x), np.float64)
    minus = np.asarray(mm.softplus(-x), np.float64)
    # 4 eps on each term; the difference is exact in float64 for float32 terms and
    # otherwise rounds by 0.5 ulp of the result.
    slack = 9 * eps_of(x) * (plus + minus)
    with np.errstate(invalid="ignore"):  # inf - inf where softplus(+-1e308) overflows
        ok = (np.abs((plus - minus) - x) <= slack) | (np.isinf(x) | np.isinf(plus))
    assert_all(ok, "softplus-difference", "softplus(x) - softplus(-x) = x", x=x)


@given(x=mst.extreme_logits(shape=(6,), dtype=np.float64)
       | mst.extreme_logits(shape=(6,), dtype=np.float32) | mst.logits(shape=(6,), bound=60.0))
@example(x=np.array([40.0, 20.5, -20.5, 700.0, -700.0, 0.0]))
def test_log_sigmoid_is_minus_softplus_of_minus_x(mm, x):
    """log sigma(x) = -softplus(-x)."""
    tiny = float(np.finfo(x.dtype).tiny)
    with np.errstate(over="ignore"):  # 8 * |1e308| in the tolerance is +inf, harmlessly
        assert_close_eps(mm.log_sigmoid(x), -mm.softplus(-x), prop="log-sigmoid-softplus",
                         rtol_eps=8, atol_eps=8 * tiny / eps_of(x), x=x)


# ----------------------------------------------------------------------------
# Mutants: realistic bugs, each caught by the property it is paired with.
# ----------------------------------------------------------------------------

def _shifted(x: Any, axis: int) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x - np.max(x, axis=axis, keepdims=True)


def softmax_unnormalised(x: Any, *, axis: int = -1, **_: Any) -> Any:
    """Forgets to divide by the sum."""
    return np.exp(_shifted(x, axis))


def softmax_naive(x: Any, *, axis: int = -1, **_: Any) -> Any:
    """No max shift: overflows to inf/inf = NaN for large logits."""
    with np.errstate(all="ignore"):
        e = np.exp(np.asarray(x, dtype=np.float64))
        return e / np.sum(e, axis=axis, keepdims=True)


def softmax_wrong_axis(x: Any, *, axis: int = -1, **_: Any) -> Any:
    """Normalises along the last axis whatever ``axis`` says."""
    e = np.exp(_shifted(x, -1))
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_masked_as_tiny(x: Any, *, axis: int = -1, **_: Any) -> Any:
    """Replaces -inf by a large negative number (weight e^-1e4 is 0 but e^(-30+30)...)."""
    x = np.where(np.isneginf(x), -30.0, x)
    e = np.exp(_shifted(x, axis))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax_naive(x: Any, *, axis: int = -1, **_: Any) -> Any:
    """x - log(sum(exp(x))) without the shift: overflows."""
    with np.errstate(all="ignore"):
        x = np.asarray(x, dtype=np.float64)
        return x - np.log(np.sum(np.exp(x), axis=axis, keepdims=True))


def log_softmax_unnormalised(x: Any, *, axis: int = -1, **_: Any) -> Any:
    """Returns x - max, forgetting the log-normaliser."""
    return _shifted(x, axis)


def logsumexp_log_not_log1p(x: Any, *, axis: int = -1, **_: Any) -> Any:
    """Off by one: m + log(rest) instead of m + log1p(rest)."""
    d = _shifted(x, axis)
    with np.errstate(divide="ignore"):
        rest = np.sum(np.exp(d), axis=axis) - 1.0
        return np.max(x, axis=axis) + np.log(rest)


def logsumexp_naive(x: Any, *, axis: int = -1, **_: Any) -> Any:
    """log(sum(exp(x))): overflows for large x."""
    with np.errstate(all="ignore"):
        return np.log(np.sum(np.exp(np.asarray(x, dtype=np.float64)), axis=axis))


def logsumexp_sign_error(x: Any, *, axis: int = -1, **_: Any) -> Any:
    """m - log1p(rest): decreases when a non-max entry grows."""
    d = _shifted(x, axis)
    rest = np.sum(np.exp(d), axis=axis) - 1.0
    return np.max(x, axis=axis) - np.log1p(rest)


def logsumexp_uncompensated(x: Any, *, axis: int = -1, **_: Any) -> Any:
    """m + log1p(rest) in float64 with no refinement: eps * |m| off where it cancels."""
    x = np.asarray(x, dtype=np.float64)
    d = _shifted(x, axis)
    rest = np.sum(np.exp(d), axis=axis) - 1.0
    return np.max(x, axis=axis) + np.log1p(rest)


def sigmoid_naive_ratio(x: Any, **_: Any) -> Any:
    """e^x / (1 + e^x): inf/inf = NaN for x > 709."""
    with np.errstate(all="ignore"):
        e = np.exp(np.asarray(x, dtype=np.float64))
        return e / (1.0 + e)


def softplus_torch_threshold(x: Any, **_: Any) -> Any:
    """PyTorch's threshold: x above 20 (drops log1p(e^-x) ~ 2e-9 at 20)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore"):
        return np.where(x > 20, x, np.log1p(np.exp(np.minimum(x, 20))))


def log_sigmoid_naive(x: Any, **_: Any) -> Any:
    """log(sigmoid(x)): 0 for x > 37, where the true value is -e^-x."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        return np.log(1.0 / (1.0 + np.exp(-x)))


@st.composite
def _multi_axis_logits(draw: Any) -> tuple[np.ndarray, Any, tuple[int, ...]]:
    """(logits of 2-3 dims, an axis tuple in any order / with negatives, or None,
    and the sorted axes)."""
    x = draw(mst.logits(shape=hnp.array_shapes(min_dims=2, max_dims=3, max_side=3),
                        dtype=np.float64), label="x")
    nd = x.ndim
    if draw(st.booleans(), label="axis=None"):
        return x, None, tuple(range(nd))
    axes = tuple(sorted(draw(st.sets(st.integers(0, nd - 1), min_size=2), label="axes")))
    order = draw(st.permutations(axes), label="order")
    return x, tuple(a - nd if draw(st.booleans()) else a for a in order), axes


@given(case=_multi_axis_logits())
def test_softmax_over_several_axes_is_softmax_of_the_merged_axis(mm, case):
    """softmax(x, axis=(i, j)) treats the entries of axes i and j as one distribution:
    equal to softmax over those axes moved last and merged."""
    x, axis, axes = case
    moved = np.moveaxis(x, axes, range(-len(axes), 0))
    merged = moved.reshape(*moved.shape[:moved.ndim - len(axes)], -1)
    want = mm.softmax(merged, axis=-1).reshape(moved.shape)
    want = np.moveaxis(want, range(-len(axes), 0), axes)
    assert_close_eps(mm.softmax(x, axis=axis), want, prop="softmax-axes", rtol_eps=4,
                     atol_eps=1, x=x, axis=axis)


def softmax_axis_by_axis(x: Any, axis: Any = -1, **kw: Any) -> Any:
    """A softmax over several axes taken one axis after the other."""
    import mlmath

    axes = range(np.ndim(x)) if axis is None else np.atleast_1d(axis)
    out = np.asarray(x, dtype=np.float64)
    for a in axes:
        out = mlmath.softmax(out, axis=int(a), **kw)
    return out


# ----------------------------------------------------------------------------
# logsumexp weights (SciPy's ``b``, ``return_sign``) and ``where`` (issue 16).
# ----------------------------------------------------------------------------

@st.composite
def _masked_rows(draw: Any) -> tuple[np.ndarray, np.ndarray]:
    """(x, where): finite logits of shape (3, 5) holding NaN and +inf where excluded,
    and a boolean mask keeping at least one entry per row."""
    x = draw(mst.logits(shape=(3, 5), dtype=np.float64), label="x")
    where = draw(hnp.arrays(np.bool_, (3, 5)), label="where")
    where[:, draw(st.integers(0, 4), label="kept column")] = True
    x = np.where(where, x, np.where(np.arange(5) % 2 == 0, np.nan, np.inf))
    return x, where


@given(case=_masked_rows())
@example(case=(np.array([[0.0, np.nan, 1.0, 2.0, 3.0]] * 3),
               np.array([[True, False, True, True, True]] * 3)))
def test_where_false_is_a_minus_inf_logit(mm, case):
    """An entry excluded by ``where`` is exactly a -inf logit, whatever it holds:
    softmax 0, log_softmax -inf and no weight in logsumexp (NumPy's reduction where)."""
    x, where = case
    as_logits = np.where(where, x, -np.inf)
    for name in ("softmax", "log_softmax", "logsumexp"):
        fn = getattr(mm, name)
        got, want = fn(x, where=where), fn(as_logits)
        assert_all(np.asarray(got) == np.asarray(want), f"{name}-where",
                   f"{name}(x, where) = {name}(where(where, x, -inf)) exactly",
                   x=x, where=where)


def _mp_weighted(x: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """(log|S|, sign S, kappa) of S = sum b e^x at 50 digits."""
    with mpmath.workdps(50):
        terms = [mpmath.mpf(float(w)) * mpmath.exp(mpmath.mpf(float(t)))
                 for t, w in zip(x, b, strict=True) if w != 0]
        total = mpmath.fsum(terms)
        if total == 0:
            return -np.inf, 0.0, np.inf
        size = mpmath.fsum(abs(t) for t in terms)
        return (float(mpmath.log(abs(total))), float(mpmath.sign(total)),
                float(size / abs(total)))


@st.composite
def _signed_weights(draw: Any) -> tuple[np.ndarray, np.ndarray]:
    """(x, b): 2-6 logits in [-30, 30] and weights of both signs, sometimes with a
    nearly cancelling pair (x_1 = x_0 + tiny, b_1 = -b_0: condition numbers to 1e12)."""
    n = draw(st.integers(2, 6), label="n")
    x = draw(mst.logits(shape=(n,), dtype=np.float64), label="x")
    b = draw(hnp.arrays(np.float64, (n,), elements=st.floats(-4.0, 4.0)), label="b")
    b[0] = -1.0 if (b >= 0).all() else b[0]  # at least one negative weight
    if draw(st.booleans(), label="cancelling pair"):
        x[1] = x[0] + draw(st.sampled_from([1e-4, 1e-8, -1e-12]), label="gap")
        b[1] = -b[0]
    return x, b


@given(case=_signed_weights())
@example(case=(np.array([1.0, 1.0 + 1e-12]), np.array([1.0, -1.0])))  # kappa 2e12
@example(case=(np.array([0.0, 5.0]), np.array([2.0, -1.0])))           # 2 - e^5 < 0
def test_logsumexp_signed_weights_within_bound(mm, case):
    """log|sum b e^x| with weights of both signs is within eps (|m| + |log max|b|| +
    |value| + 1) + kappa 2**-100 of the exact value (kappa = sum |b e^x| / |sum b e^x|,
    the sum's condition number) and the sign is exact: the double-double sum of the
    docstring; plain summation is kappa eps off."""
    x, b = case
    value, sign, kappa = _mp_weighted(x, b)
    assume(kappa < 2.0**90)
    got, got_sign = mm.logsumexp(x, b=b, return_sign=True)
    assert_all(np.asarray(got_sign == sign), "lse-signed", f"sign {sign}", x=x, b=b,
               got=got_sign)
    if value == -np.inf:
        assert_all(np.asarray(got == value), "lse-signed", "-inf for an empty sum", x=x, b=b)
        return
    live = b != 0
    eps = eps_of(x)
    bound = eps * (abs(float(np.max(x[live]))) + abs(float(np.log(np.max(np.abs(b)))))
                   + abs(value) + 1.0) + kappa * 2.0**-100
    assert_all(np.asarray(abs(float(got) - value) <= bound), "lse-signed",
               f"within {bound:.3g} of mpmath's {value!r} (kappa {kappa:.3g})", x=x, b=b,
               got=got)


@given(x=mst.logits(shape=(5,), dtype=np.float64),
       b=hnp.arrays(np.float64, (5,), elements=st.floats(0.0, 1e6)))
@example(x=np.array([0.0, 1.0, 2.0, 3.0, 4.0]), b=np.array([0.5, 0.0, 2.0, 1e-3, 3.0]))
def test_logsumexp_nonnegative_weights_within_bound(mm, x, b):
    """For b >= 0, log(sum b e^x) is within eps (4 |value| + max(|x_i| + 2 |log b_i|))
    of the exact value (log b_i folded into the logits; b_i = 0 drops the entry)."""
    assume((b > 0).any())
    value, _, _ = _mp_weighted(x, b)
    got = mm.logsumexp(x, b=b)
    live = b > 0
    eps = eps_of(x)
    bound = eps * (4 * abs(value) + float(np.max(np.abs(x[live]) + 2 * np.abs(np.log(b[live])))))
    assert_all(np.asarray(abs(float(got) - value) <= bound), "lse-weights",
               f"within {bound:.3g} of mpmath's {value!r}", x=x, b=b, got=got)


def _excluded_as_zero(x: Any) -> np.ndarray:
    """The strategy's excluded entries (NaN, +inf) as logit 0; -inf logits kept."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(np.isnan(x) | (x == np.inf), 0.0, x)


def softmax_ignores_where(x: Any, *, where: Any = None, **kw: Any) -> Any:
    """``where`` dropped: the excluded entries (NaN, +inf) take part."""
    import mlmath

    return mlmath.softmax(_excluded_as_zero(x), **kw)


def log_softmax_where_after(x: Any, *, where: Any = None, **kw: Any) -> Any:
    """Excluded entries set to -inf after normalising over every finite entry."""
    import mlmath

    out = mlmath.log_softmax(_excluded_as_zero(x), **kw)
    return out if where is None else np.where(where, out, -np.inf)


def logsumexp_where_as_zero(x: Any, *, where: Any = None, **kw: Any) -> Any:
    """Excluded entries as logit 0 (weight 1) instead of -inf (weight 0)."""
    import mlmath

    return mlmath.logsumexp(x if where is None else np.where(where, x, 0.0), **kw)


def logsumexp_weighted_plain_sum(x: Any, *, b: Any = None, return_sign: bool = False,
                                 **_: Any) -> Any:
    """SciPy's form: m + log|sum b e^(x - m)| in plain float64 (kappa eps lost)."""
    x = np.asarray(x, dtype=np.float64)
    s = np.sum(np.asarray(b) * np.exp(x - np.max(x)))
    with np.errstate(divide="ignore"):
        value = np.max(x) + np.log(np.abs(s))
    return (value, np.sign(s)) if return_sign else value


def logsumexp_sign_of_weights(x: Any, *, b: Any = None, return_sign: bool = False,
                              **kw: Any) -> Any:
    """The sign taken from sum(b) instead of sum(b e^x)."""
    import mlmath

    value, _ = mlmath.logsumexp(x, b=b, return_sign=True, **kw)
    return (value, np.sign(np.sum(b))) if return_sign else value


def logsumexp_weights_as_shifts(x: Any, *, b: Any = None, **kw: Any) -> Any:
    """b added to the logits (x + b) instead of log b."""
    import mlmath

    return mlmath.logsumexp(np.asarray(x) + np.asarray(b), **kw)


MUTANTS = [
    (test_softmax_rows_are_distributions, {"softmax": softmax_unnormalised}),
    (test_softmax_rows_are_distributions, {"softmax": softmax_wrong_axis}),
    (test_softmax_gives_masked_logits_exactly_zero_weight, {"softmax": softmax_masked_as_tiny}),
    (test_softmax_shift_invariance, {"softmax": softmax_naive}),
    (test_log_softmax_shift_invariance, {"log_softmax": log_softmax_naive}),
    (test_log_softmax_is_log_of_softmax, {"log_softmax": log_softmax_unnormalised}),
    (test_logsumexp_between_max_and_max_plus_log_n, {"logsumexp": logsumexp_log_not_log1p}),
    (test_logsumexp_translation_equivariance, {"logsumexp": logsumexp_naive}),
    (test_logsumexp_is_monotone, {"logsumexp": logsumexp_sign_error}),
    (test_logsumexp_of_log_probabilities_within_4_eps,
     {"logsumexp": logsumexp_uncompensated}),
    (test_sigmoid_reflection, {"sigmoid": sigmoid_naive_ratio}),
    (test_softplus_difference_is_identity, {"softplus": softplus_torch_threshold}),
    (test_log_sigmoid_is_minus_softplus_of_minus_x, {"log_sigmoid": log_sigmoid_naive}),
    (test_softmax_over_several_axes_is_softmax_of_the_merged_axis,
     {"softmax": softmax_axis_by_axis}),
    (test_where_false_is_a_minus_inf_logit, {"softmax": softmax_ignores_where}),
    (test_where_false_is_a_minus_inf_logit, {"log_softmax": log_softmax_where_after}),
    (test_where_false_is_a_minus_inf_logit, {"logsumexp": logsumexp_where_as_zero}),
    (test_logsumexp_signed_weights_within_bound, {"logsumexp": logsumexp_weighted_plain_sum}),
    (test_logsumexp_signed_weights_within_bound, {"logsumexp": logsumexp_sign_of_weights}),
    (test_logsumexp_nonnegative_weights_within_bound,
     {"logsumexp": logsumexp_weights_as_shifts}),
]


@pytest.mark.parametrize(
    "prop, overrides", MUTANTS,
    ids=[f"{p.__name__}-{next(iter(o.values())).__name__}" for p, o in MUTANTS])
def test_property_catches_mutant(prop, overrides):
    """Each property fails on its paired realistic bug."""
    expect_property_failure(prop, mm=mutant(**overrides))

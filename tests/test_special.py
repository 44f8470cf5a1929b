"""Unit, edge-case, bad-input and mpmath accuracy tests of mlmath.special.

Accuracy tests are declarative: a 50-digit mpmath reference (written here,
evaluated by ``tests/_oracles.py``) and a hard point set built to break the
naive formulas: huge and tiny logits, dominant logits, entries far below the
row max, cancellation, 1e5-entry rows, float32 and float64.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pytest
import scipy.special as sc

import mlmath as mm
from mlmath import special
from tests._oracles import (
    assert_accurate,
    mp_all_three,
    mp_log_sigmoid,
    mp_log_softmax,
    mp_logsumexp,
    mp_reference,
    mp_sigmoid,
    mp_softmax,
    mp_softplus,
    mp_weighted_logsumexp,
    overflow_to_inf,
)

# Every test here runs once per installed backend (NumPy, numba): mlmath._backend.
pytestmark = pytest.mark.usefixtures("mlmath_backend")

#: The accuracy target of mlmath.special (module docstring): 4 eps of the dtype.
BOUND_EPS = 4.0
DTYPES = [np.float32, np.float64]
REDUCTIONS = [mm.logsumexp, mm.softmax, mm.log_softmax]
ELEMENTWISE = [mm.sigmoid, mm.log_sigmoid, mm.softplus]
ALL_FUNCTIONS = REDUCTIONS + ELEMENTWISE


ROW_REFERENCES = {"logsumexp": mp_logsumexp, "softmax": mp_softmax,
                  "log_softmax": mp_log_softmax}
ELEMENTWISE_REFERENCES = {"sigmoid": mp_sigmoid, "softplus": mp_softplus,
                          "log_sigmoid": mp_log_sigmoid}


# ----------------------------------------------------------------------------
# Hard point sets.
# ----------------------------------------------------------------------------

def hard_rows(dtype: Any) -> list[np.ndarray]:
    """Rows on which naive logsumexp / softmax / log_softmax lose digits."""
    rng = np.random.default_rng(20261125)
    fmax = float(np.finfo(dtype).max)
    big = 700.0 if dtype == np.float64 else 85.0  # exp(-big) is still a normal number
    rows: list[list[float] | np.ndarray] = [
        [0.0, -50.0],                                   # LSE = log1p(e^-50) ~ 2e-22
        [50.0, 0.0, 0.0],                               # log_softmax -3.9e-22 at the max
        [40.0, 1.5, -3.25, 0.125],                      # dominant logit, messy rest
        [0.0, -big - 0.123456789],                      # softmax far below the max
        [1.0 / 3.0, 1.0 / 3.0 - big * 0.999],           # x - m rounds: exp amplifies it
        [fmax, fmax],                                   # no overflow: m + log 2
        [fmax, fmax * 0.5, -fmax],                      # x - m overflows to -inf
        [-fmax, -fmax * 0.75],                          # huge negative logits
        [1e-300 if dtype == np.float64 else 1e-40, 0.0, -1e-300],
        [3.0, 3.0, 3.0, 3.0],                           # ties at the max
        [-745.0 if dtype == np.float64 else -104.0, 0.0],  # exp near the subnormals
        list(np.log([0.2, 0.3, 0.5])),                  # log-probabilities: LSE ~ 0
        [-np.log(2.0), -np.log(2.0)],                   # LSE = rounding error of ln 2
        [-0.5, -1.7, -2.2],                             # m < 0, LSE ~ 0.17 (mild cancellation)
    ]
    for scale in (1.0, 30.0, 300.0):
        rows += list(rng.standard_normal((3, 9)) * scale)
    probs = rng.dirichlet(np.ones(12), size=3)
    rows += list(np.log(probs))                          # LSE cancels to ~1e-16
    rows += [rng.uniform(-big, 0.0, 7) + rng.uniform(-5, 5)]
    return [np.asarray(r, dtype=dtype) for r in rows]


def long_row(dtype: Any) -> np.ndarray:
    """A 1e5-entry row (long reductions must stay within the bound): a leading
    logit 40 that nearly dominates, then N(0, 8^2) logits spanning ~70 nats.
    One row per dtype: the 50-digit reference costs ~5 s."""
    rng = np.random.default_rng(7)
    return np.concatenate([[40.0], rng.standard_normal(99_999) * 8]).astype(dtype)


def hard_scalars(dtype: Any) -> np.ndarray:
    """Both tails, the PyTorch threshold at 20, tiny arguments, the subnormal edge."""
    top = 745.0 if dtype == np.float64 else 104.0
    mags = np.concatenate([np.logspace(-30, np.log10(top), 61), [0.5, 1.0, 19.5, 20.0,
                                                                  20.001, 20.5, 36.0, 40.0]])
    return np.concatenate([-mags, [0.0], mags]).astype(dtype)


def _row_id(row: np.ndarray) -> str:
    return f"n={row.size}:{row[:3].tolist()}"


# ----------------------------------------------------------------------------
# Accuracy against mpmath.
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(ROW_REFERENCES))
def test_reductions_within_bound_on_hard_rows(name, dtype):
    """Every hard row: relative error <= 4 eps of the dtype (subnormal results: in spacings)."""
    fn, ref = getattr(mm, name), ROW_REFERENCES[name]
    for row in hard_rows(dtype):
        expected = overflow_to_inf(mp_reference(ref, row), dtype)
        assert_accurate(fn(row), expected, max_eps=BOUND_EPS, dtype=dtype,
                        label=f"{name} {np.dtype(dtype).name} {_row_id(row)}",
                        subnormal_floor=True)


@pytest.mark.parametrize("dtype", DTYPES)
def test_reductions_within_bound_on_long_rows(dtype):
    """1e5 entries: the pairwise sum along a contiguous row keeps the bound."""
    row = long_row(dtype)
    ref = mp_reference(mp_all_three, row)
    for fn, expected in zip(REDUCTIONS, ref, strict=True):
        got = np.broadcast_to(fn(row), row.shape)
        assert_accurate(got, expected, max_eps=BOUND_EPS, dtype=dtype,
                        label=f"{fn.__name__} long {_row_id(row)}", subnormal_floor=True)


def test_long_rows_reduced_along_a_strided_axis_match_contiguous():
    """Reducing axis 0 of a (1e5, 2) array gives the same answer as the contiguous row."""
    row = long_row(np.float64)
    stacked = np.stack([row, row[::-1]], axis=1)
    np.testing.assert_array_equal(mm.logsumexp(stacked, axis=0),
                                  [mm.logsumexp(row), mm.logsumexp(row[::-1])])
    np.testing.assert_array_equal(mm.softmax(stacked, axis=0)[:, 0], mm.softmax(row))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(ELEMENTWISE_REFERENCES))
def test_elementwise_within_bound_in_both_tails(name, dtype):
    """sigmoid, softplus, log_sigmoid: <= 4 eps from 1e-30 to the underflow edge, both signs."""
    x = hard_scalars(dtype)
    assert_accurate(getattr(mm, name)(x), mp_reference(ELEMENTWISE_REFERENCES[name], x),
                    max_eps=BOUND_EPS, dtype=dtype, label=f"{name} {np.dtype(dtype).name}",
                    points=list(x), subnormal_floor=True)


# ----------------------------------------------------------------------------
# logsumexp under cancellation (m < 0, result ~ 0): the compensated path.
# ----------------------------------------------------------------------------

def cancelling_rows(dtype: Any) -> list[np.ndarray]:
    """Rows whose LSE cancels to ~0 (1e-16 ... 1e-21): log-softmax'd logits with few
    and many entries, flat and peaked (a max entry of -1e-3 ... -1e-13), with
    -inf entries, and the logs of Dirichlet probabilities."""
    rng = np.random.default_rng(20261207)
    rows: list[np.ndarray] = []
    for n in (2, 3, 5, 12, 100, 2000):
        for scale in (0.3, 3.0, 30.0):
            z = rng.standard_normal((4, n)) * scale
            rows += list(np.asarray(mm.log_softmax(z.astype(dtype))))
    peaked = rng.standard_normal((4, 50))
    peaked[:, 0] = [4.0, 8.0, 15.0, 30.0]
    rows += list(np.asarray(mm.log_softmax(peaked.astype(dtype))))
    masked = rng.standard_normal((2, 40))
    masked[:, 3:30] = -np.inf
    rows += list(np.asarray(mm.log_softmax(masked.astype(dtype))))
    rows += [np.log(rng.dirichlet(np.ones(n))).astype(dtype) for n in (2, 7, 300)]
    rows.append(np.full(4, -np.log(4.0), dtype))
    return rows


class TestCancellingLogsumexp:
    @pytest.mark.parametrize("dtype", DTYPES)
    def test_within_bound_where_the_result_cancels(self, dtype):
        """LSE of log-probabilities (~1e-18, from terms of size 1): <= 4 eps of the result."""
        for row in cancelling_rows(dtype):
            assert_accurate(mm.logsumexp(row), mp_reference(mp_logsumexp, row),
                            max_eps=BOUND_EPS, dtype=dtype,
                            label=f"logsumexp cancelling {np.dtype(dtype).name} {_row_id(row)}")

    @pytest.mark.parametrize("dtype", DTYPES)
    def test_within_bound_on_a_long_cancelling_row(self, dtype):
        """A log-softmax'd 32000-entry row (a vocabulary): within 4 eps."""
        z = np.random.default_rng(3).standard_normal(32_000) * 2.0
        row = np.asarray(mm.log_softmax(z.astype(dtype)))
        assert_accurate(mm.logsumexp(row), mp_reference(mp_logsumexp, row),
                        max_eps=BOUND_EPS, dtype=dtype, label=f"long {_row_id(row)}")

    def test_the_rows_take_the_compensated_path(self, monkeypatch):
        """The hard rows above really are the cancelling ones (else the test proves nothing)."""
        rows = cancelling_rows(np.float64)
        short = np.stack([r for r in rows if r.size == 5])
        seen: list[int] = []
        original = special._log_sum_exp_compensated

        def spy(xb: np.ndarray, maxima: np.ndarray) -> np.ndarray:
            seen.append(xb.shape[0])
            return original(xb, maxima)

        monkeypatch.setattr(special, "_log_sum_exp_compensated", spy)
        mm.logsumexp(short)
        assert sum(seen) >= short.shape[0] - 2, f"only {sum(seen)} of {short.shape[0]} rows"

    def test_a_cancelling_batch_is_vectorised_and_never_calls_mpmath(self, monkeypatch):
        """(256, 32000) log-probabilities (every row cancels) and (4096, 12) ones: no
        mpmath (the former 1 s-per-row path), the flagged rows computed in row chunks
        (hundreds of short rows per call), and the results still within 4 eps."""
        rng = np.random.default_rng(17)
        wide = np.asarray(mm.log_softmax(rng.standard_normal((256, 32_000))))
        short = np.asarray(mm.log_softmax(rng.standard_normal((4096, 12)) * 3))

        def forbidden(*_args: Any, **_kwargs: Any) -> Any:
            raise AssertionError("mpmath was called by mlmath.logsumexp")

        for name in ("mpf", "exp", "log", "fsum", "workprec"):
            monkeypatch.setattr(mpmath, name, forbidden)
        calls: list[int] = []
        original = special._log_sum_exp_compensated

        def spy(xb: np.ndarray, maxima: np.ndarray) -> np.ndarray:
            calls.append(xb.shape[0])
            return original(xb, maxima)

        monkeypatch.setattr(special, "_log_sum_exp_compensated", spy)
        got_wide = mm.logsumexp(wide)
        assert sum(calls) == 256
        calls.clear()
        got_short = mm.logsumexp(short)
        per_call = special._COMPENSATED_CHUNK_ELEMS // 12  # rows of one row chunk
        assert sum(calls) == 4096 and per_call > 100
        full = sorted(calls)[1:]  # every chunk but the remainder is a full row chunk
        assert full == [per_call] * len(full), f"not vectorised: {calls}"
        monkeypatch.undo()
        for got, x, i in ((got_wide, wide, 5), (got_short, short, 123)):
            assert_accurate(got[i], mp_reference(mp_logsumexp, x[i]), max_eps=BOUND_EPS,
                            dtype=np.float64, label=f"row {i} of {x.shape}")

    @pytest.mark.parametrize("dtype", DTYPES)
    def test_within_bound_with_large_terms_in_several_blocks(self, dtype):
        """Two 20000-entry cancelling rows, the first with three large terms (log p > -4)
        in different column blocks of the compensated sum, the second with one in the
        first block only: each within 4 eps (the large terms are counted per row and
        block)."""
        z = np.random.default_rng(8).standard_normal((2, 20_000))
        z[0, [0, 9_000, 18_000]] = 12.0
        z[1, 0] = 12.0
        rows = np.asarray(mm.log_softmax(z.astype(dtype)))
        assert (rows[0] > -4.0).sum() == 3 and (rows[1] > -4.0).sum() == 1
        got = mm.logsumexp(rows)
        for i, row in enumerate(rows):
            assert_accurate(got[i], mp_reference(mp_logsumexp, row), max_eps=BOUND_EPS,
                            dtype=dtype, label=f"blocks, row {i} {_row_id(row)}")

    def test_within_bound_when_the_last_cancelling_row_has_no_large_term(self):
        """Cancelling rows refined together, the last one (100 entries of log(1/100), all
        below -4) without large terms: each within 4 eps."""
        rng = np.random.default_rng(9)
        rows = np.stack([*np.asarray(mm.log_softmax(rng.standard_normal((2, 100)) * 3.0)),
                         np.full(100, -np.log(100.0))])
        assert (rows[:2].max(axis=1) > -4.0).all() and rows[2].max() < -4.0
        got = mm.logsumexp(rows)
        for i, row in enumerate(rows):
            assert_accurate(got[i], mp_reference(mp_logsumexp, row), max_eps=BOUND_EPS,
                            dtype=np.float64, label=f"row {i} {_row_id(row)}")

    def test_library_modules_do_not_import_mpmath(self):
        """mpmath is the tests' oracle only: no computational module imports it."""
        root = Path(mm.__file__).parent
        names = ["special", "information", "losses", "attention", "penalties",
                 "_compensated", "_rows", "_validation"]
        for name in names:
            source = (root / f"{name}.py").read_text()
            assert "import mpmath" not in source, f"mlmath/{name}.py imports mpmath"


# ----------------------------------------------------------------------------
# Closed forms and named edge values.
# ----------------------------------------------------------------------------

class TestClosedForms:
    def test_logsumexp_of_equal_entries_is_max_plus_log_n(self):
        """LSE of n equal entries a is a + log n, even for a = 1e308 (no overflow)."""
        assert mm.logsumexp([1e308, 1e308]) == 1e308
        np.testing.assert_allclose(mm.logsumexp([3.0] * 4), 3.0 + np.log(4.0), rtol=1e-15)

    def test_logsumexp_near_zero_keeps_its_digits(self):
        """LSE([0, -50]) = log1p(e^-50) = 1.9287498479639178e-22, not 0."""
        assert mm.logsumexp([0.0, -50.0]) == 1.9287498479639178e-22

    def test_log_softmax_at_a_dominant_logit(self):
        """log_softmax([50, 0, 0])[0] = -log1p(2 e^-50) = -3.8574996959278356e-22."""
        assert mm.log_softmax([50.0, 0.0, 0.0])[0] == -3.8574996959278356e-22

    def test_log_sigmoid_at_40(self):
        """log sigma(40) = -log1p(e^-40) ~ -4.248e-18, where log(sigmoid(40)) = 0."""
        assert mm.log_sigmoid(40.0) == -4.248354255291589e-18

    def test_softplus_far_left_and_its_underflow(self):
        """softplus(-700) = 9.86e-305; softplus(-800) = 3.7e-348 rounds to +0.0 in float64."""
        assert mm.softplus(-700.0) == 9.85967654375977e-305
        assert mm.softplus(-800.0) == 0.0 and not np.signbit(mm.softplus(-800.0))

    def test_sigmoid_symmetric_values(self):
        """sigma(0) = 1/2 and sigma(log 3) = 3/4."""
        assert mm.sigmoid(0.0) == 0.5
        np.testing.assert_allclose(mm.sigmoid(np.log(3.0)), 0.75, rtol=2e-16)

    def test_softmax_of_two_logits_is_a_sigmoid(self):
        """softmax([a, 0])[0] = sigma(a)."""
        a = np.linspace(-30, 30, 13)
        got = mm.softmax(np.stack([a, np.zeros_like(a)], axis=-1))[:, 0]
        np.testing.assert_allclose(got, mm.sigmoid(a), rtol=4e-16)


class TestInfinities:
    """Documented semantics: -inf has weight 0; +inf is +inf for LSE, refused by softmax."""

    def test_neg_inf_entries_have_weight_zero(self):
        x = [0.0, -np.inf, np.log(3.0)]
        np.testing.assert_array_equal(mm.softmax(x)[1], 0.0)
        assert mm.log_softmax(x)[1] == -np.inf
        np.testing.assert_allclose(mm.softmax(x), [0.25, 0.0, 0.75], rtol=4e-16)
        np.testing.assert_allclose(mm.logsumexp(x), np.log(4.0), rtol=4e-16)

    def test_logsumexp_of_all_neg_inf_is_neg_inf(self):
        np.testing.assert_array_equal(mm.logsumexp([[-np.inf, -np.inf], [0.0, -np.inf]]),
                                      [-np.inf, 0.0])

    def test_logsumexp_with_pos_inf_is_pos_inf(self):
        np.testing.assert_array_equal(mm.logsumexp([[1.0, np.inf], [np.inf, -np.inf]]),
                                      [np.inf, np.inf])

    @pytest.mark.parametrize("fn", [mm.softmax, mm.log_softmax])
    def test_all_neg_inf_row_is_refused(self, fn):
        with pytest.raises(ValueError, match=r"`x`.*all -inf at index \[1, :\]"):
            fn([[0.0, 1.0], [-np.inf, -np.inf]])

    @pytest.mark.parametrize("fn", [mm.softmax, mm.log_softmax])
    def test_pos_inf_is_refused(self, fn):
        with pytest.raises(ValueError, match=r"`x`.*\+inf.*index \[0, 1\]"):
            fn([[0.0, np.inf], [1.0, 2.0]])

    def test_elementwise_limits(self):
        x = np.array([-np.inf, np.inf])
        np.testing.assert_array_equal(mm.sigmoid(x), [0.0, 1.0])
        np.testing.assert_array_equal(mm.softplus(x), [0.0, np.inf])
        np.testing.assert_array_equal(mm.log_sigmoid(x), [-np.inf, 0.0])

    def test_overflowing_difference_gives_exact_zero(self):
        """x - m = -inf (x = -1e308, m = 1e308): weight exactly 0, no NaN."""
        np.testing.assert_array_equal(mm.softmax([1e308, -1e308]), [1.0, 0.0])
        np.testing.assert_array_equal(mm.log_softmax([1e308, -1e308]), [0.0, -np.inf])


class TestAxisKeepdimsAndDtypes:
    @pytest.mark.parametrize("fn", REDUCTIONS)
    @pytest.mark.parametrize("axis", [0, 1, 2, -1, -2, -3])
    def test_axis_equals_moveaxis(self, fn, axis):
        """fn(x, axis=a) equals fn on x with a moved last, moved back (bitwise)."""
        x = np.random.default_rng(3).standard_normal((3, 4, 5)) * 20
        moved = fn(np.moveaxis(x, axis, -1), axis=-1)
        expected = moved if fn is mm.logsumexp else np.moveaxis(moved, -1, axis)
        np.testing.assert_array_equal(fn(x, axis=axis), expected)

    def test_logsumexp_keepdims_shape(self):
        x = np.zeros((2, 3, 4))
        assert mm.logsumexp(x, axis=1, keepdims=True).shape == (2, 1, 4)
        assert mm.logsumexp(x, axis=-1).shape == (2, 3)

    @pytest.mark.parametrize("fn", ALL_FUNCTIONS)
    def test_zero_d_input_gives_zero_d_output(self, fn):
        out = fn(np.float64(2.5))
        assert np.ndim(out) == 0
        expected = {mm.logsumexp: 2.5, mm.softmax: 1.0, mm.log_softmax: 0.0}
        if fn in expected:
            assert out == expected[fn]

    @pytest.mark.parametrize("fn", ALL_FUNCTIONS)
    @pytest.mark.parametrize("dtype, out", [(np.float16, np.float16), (np.float32, np.float32),
                                            (np.float64, np.float64), (np.int64, np.float64),
                                            (np.bool_, np.float64)])
    def test_dtype_rules(self, fn, dtype, out):
        """float kept (float16 computed in float32), int and bool -> float64."""
        x = np.array([[1, 0, 1], [0, 0, 1]], dtype=dtype)
        got = fn(x)
        assert got.dtype == out
        if dtype == np.float16:
            np.testing.assert_array_equal(got, fn(x.astype(np.float32)).astype(np.float16))

    @pytest.mark.parametrize("fn", ALL_FUNCTIONS)
    def test_validate_false_matches_on_valid_input(self, fn):
        x = np.random.default_rng(5).standard_normal((4, 6)) * 50
        np.testing.assert_array_equal(fn(x, validate=False), fn(x))

    @pytest.mark.parametrize("fn", ALL_FUNCTIONS)
    def test_validate_false_skips_the_nan_check(self, fn):
        """The documented escape hatch: no check, NaN propagates (no exception)."""
        assert np.isnan(fn(np.array([1.0, np.nan]), validate=False)).any()

    def test_large_input_threaded_path_matches_serial(self):
        """Row chunks run on a thread pool for large inputs: same bits as small calls."""
        x = np.random.default_rng(9).standard_normal((64, 20_000)) * 10
        whole = mm.log_softmax(x)
        np.testing.assert_array_equal(whole[5], mm.log_softmax(x[5]))
        np.testing.assert_array_equal(mm.logsumexp(x)[7], mm.logsumexp(x[7]))

    def test_large_input_special_rows_are_handled_per_row(self):
        """On the threaded path too: -inf entries are repaired in their row only,
        and a NaN is reported with its index in the original array."""
        x = np.random.default_rng(11).standard_normal((64, 20_000))
        x[3, ::7] = -np.inf
        np.testing.assert_array_equal(mm.softmax(x)[3], mm.softmax(x[3]))
        np.testing.assert_array_equal(mm.softmax(x)[4], mm.softmax(x[4]))
        x[40, 12_345] = np.nan
        with pytest.raises(ValueError, match=r"`x`.*NaN at index \[40, 12345\]"):
            mm.log_softmax(x)


# ----------------------------------------------------------------------------
# The bad-input matrix: exact exception type, message names the argument.
# ----------------------------------------------------------------------------

BAD_X = [
    pytest.param(np.array([0.5, np.nan, 1.0]), ValueError, r"`x`.*NaN at index \[1\]", id="nan"),
    pytest.param(np.array([1 + 2j, 0j]), TypeError, r"`x`.*complex", id="complex"),
    pytest.param(np.array([1.0, None], dtype=object), TypeError, r"`x`.*object", id="object"),
    pytest.param(np.array(["a", "b"]), TypeError, r"`x`", id="string-array"),
    pytest.param("1.0", TypeError, r"`x`.*str", id="string"),
    pytest.param([[1.0, 2.0], [3.0]], ValueError, r"`x`", id="ragged"),
]


@pytest.mark.parametrize("fn", ALL_FUNCTIONS)
@pytest.mark.parametrize("x, exc, pattern", BAD_X)
def test_bad_x_is_refused(fn, x, exc, pattern):
    with pytest.raises(exc, match=pattern):
        fn(x)


BAD_AXIS = [
    pytest.param(1.5, TypeError, id="float"),
    pytest.param("0", TypeError, id="string"),
    pytest.param([0, 1], TypeError, id="list"),
    pytest.param((1, 1), ValueError, id="repeated"),
    pytest.param((), ValueError, id="empty-tuple"),
    pytest.param(True, TypeError, id="bool"),
    pytest.param(2, ValueError, id="too-large"),
    pytest.param(-3, ValueError, id="too-small"),
]


@pytest.mark.parametrize("fn", REDUCTIONS)
@pytest.mark.parametrize("axis, exc", BAD_AXIS)
def test_bad_axis_is_refused(fn, axis, exc):
    with pytest.raises(exc, match=r"`axis`"):
        fn(np.zeros((2, 3)), axis=axis)


@pytest.mark.parametrize("fn", REDUCTIONS)
def test_empty_axis_is_refused(fn):
    with pytest.raises(ValueError, match=r"`x`.*non-empty axis 1.*\(2, 0\)"):
        fn(np.zeros((2, 0)))


@pytest.mark.parametrize("fn", REDUCTIONS)
def test_empty_batch_with_nonempty_axis_is_fine(fn):
    assert fn(np.zeros((0, 3))).shape[0] == 0


@pytest.mark.parametrize("fn", ELEMENTWISE)
def test_elementwise_keeps_shape_of_empty_input(fn):
    assert fn(np.zeros((2, 0))).shape == (2, 0)


# ============================ axis tuples, axis=None, SciPy's unvalidated results (#18)
@pytest.mark.parametrize("axis", [None, (0, 2), (2, 0), (-1, -3), (1,), (0, 1, 2)])
@pytest.mark.parametrize("name", ["logsumexp", "softmax", "log_softmax"])
def test_axis_tuples_and_none_match_scipy(name, axis):
    x = np.random.default_rng(3).standard_normal((2, 3, 4)) * 5
    got, want = getattr(mm, name)(x, axis=axis), getattr(sc, name)(x, axis=axis)
    assert np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=8 * np.finfo(float).eps, atol=1e-15)
    if name == "logsumexp":
        assert mm.logsumexp(x, axis=axis, keepdims=True).shape == sc.logsumexp(
            x, axis=axis, keepdims=True).shape


def test_a_row_without_mass_over_several_axes_is_named_with_its_axes():
    x = np.zeros((2, 3, 2))
    x[:, 1, :] = -np.inf
    with pytest.raises(ValueError, match=r"along axis \(0, 2\) .* at index \[:, 1, :\]"):
        mm.softmax(x, axis=(0, 2))


@pytest.mark.parametrize("name", ["logsumexp", "softmax", "log_softmax"])
def test_validate_false_gives_scipys_results_for_nan_and_empty_input(name):
    """Validated, NaN and an empty axis are errors; with validate=False mlmath returns
    what SciPy returns: NaN propagates, an empty logsumexp is -inf.  (SciPy's softmax of
    an empty axis raises; mlmath's unvalidated one returns the empty array.)"""
    fn, ref = getattr(mm, name), getattr(sc, name)
    nan = np.array([[1.0, np.nan, 0.0], [0.0, 1.0, 2.0]])
    got, want = fn(nan, validate=False), ref(nan, axis=-1)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[1], want[1], rtol=4 * np.finfo(float).eps)
    empty = np.zeros((2, 0))
    want = sc.logsumexp(empty, axis=-1) if name == "logsumexp" else empty
    got = fn(empty, validate=False)
    assert np.shape(got) == np.shape(want)
    np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="non-empty axis"):
        fn(empty)


def test_complex_input_is_a_deliberate_type_error():
    """SciPy's logsumexp takes complex input (principal branch); mlmath refuses it, as
    every other function does, naming `x` (docs/differences.md)."""
    with pytest.raises(TypeError, match="`x`"):
        mm.logsumexp(np.array([1.0 + 1j, 2.0]))


# ----------------------------------------------------------------------------
# logsumexp weights ``b``, ``return_sign`` and ``where`` (issue 16).
# ----------------------------------------------------------------------------

def weighted_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """(x, b) pairs: mixed signs with condition numbers from 1 to 1e12, huge and tiny
    weights, huge logits, exact cancellation of one pair, positive weights."""
    rng = np.random.default_rng(16)
    cases: list[tuple[np.ndarray, np.ndarray]] = [
        (np.array([1.0, 1.0 + 1e-12]), np.array([1.0, -1.0])),     # kappa ~ 2e12
        (np.array([0.0, 5.0]), np.array([2.0, -1.0])),              # negative: 2 - e^5
        (np.array([700.0, 700.0 - 1e-9, -3.0]), np.array([1e300, -1e300, 1.0])),
        (np.array([-745.0, -740.0]), np.array([1e-300, -3e-301])),
        (np.array([1e3, 1e3 + 1e-10, 2.0, -1e3]), np.array([-1.0, 1.0, 0.5, 7.0])),
        (np.array([0.5, 0.25, 0.125]), np.array([3.0, 1e-8, 0.0])),  # positive, a zero
        (np.array([-50.0, 0.0]), np.array([0.5, 0.25])),
    ]
    for scale, cancel in [(1.0, 1e-3), (10.0, 1e-8), (300.0, 1e-12), (30.0, 0.0)]:
        for _ in range(6):
            n = int(rng.integers(2, 12))
            x = rng.normal(0.0, scale, n)
            b = rng.normal(0.0, 1.0, n) * np.exp(rng.normal(0.0, 3.0))
            if cancel:
                x[1], b[1] = x[0] + cancel * rng.normal(), -b[0]
            cases.append((x, b))
    return cases


class TestWeightsAndSign:
    """SciPy's ``b`` and ``return_sign``, with the sum kept in double-double."""

    @pytest.mark.parametrize("dtype", DTYPES)
    def test_within_the_stated_bound_against_mpmath(self, dtype):
        """|value - exact| <= eps (|m| + |log max|b|| + |value| + 1) + kappa 2**-100 for
        mixed signs, <= eps (4 |value| + max(|x| + 2 |log b|)) for b >= 0, and the sign is
        exact for kappa < 2**90 (docstring Notes); float32 results add their final
        rounding.  (The float32 copy of x[4] cancels the two terms at 1e3 exactly,
        leaving a sum e^-998 times smaller: kappa overflows, nothing is promised.)"""
        worst = 0.0
        for x, b in weighted_cases():
            with np.errstate(over="ignore", under="ignore"):
                if not (b.astype(dtype) != 0).sum() == (b != 0).sum() or \
                        not np.isfinite(b.astype(dtype)).all():
                    continue  # weights beyond float32's range
            xd = x.astype(dtype)
            value, sign, kappa = mp_weighted_logsumexp(xd, b.astype(dtype))
            got, got_sign = mm.logsumexp(xd, b=b.astype(dtype), return_sign=True)
            assert got.dtype == dtype and got_sign.dtype == dtype
            if kappa < 2.0**90:  # beyond, the sum is lost below the double-double's digits
                assert got_sign == sign, f"sign {got_sign} != {sign} for x={x!r}, b={b!r}"
            if not np.isfinite(kappa * 2.0**-100):
                continue
            live = b != 0
            eps = float(np.finfo(dtype).eps)
            if (b >= 0).all():
                bound = 4 * eps * abs(value) + eps * float(
                    np.max(np.abs(x[live]) + 2 * np.abs(np.log(b[live]))))
            else:
                bound = eps * (np.max(x[live]).__abs__() + abs(np.log(np.max(np.abs(b))))
                               + abs(value) + 1) + kappa * 2.0**-100
            if dtype == np.float32:
                bound += eps * abs(value)  # the final rounding to float32
            if value == -np.inf:  # an exactly cancelling sum
                assert got == -np.inf
                continue
            worst = max(worst, abs(float(got) - value) / bound)
            assert abs(float(got) - value) <= bound, (
                f"logsumexp(x={x!r}, b={b!r}) = {got!r}, mpmath {value!r} "
                f"(kappa {kappa:.3g}, bound {bound:.3g})")
        assert worst > 0.0  # the set is not trivially exact

    def test_plain_summation_fails_the_bound(self):
        """The point set is hard: SciPy's plain sum is some 80 eps off at kappa ~ 2e12."""
        x, b = weighted_cases()[0]
        value, _, _ = mp_weighted_logsumexp(x, b)
        scipy_value, _ = sc.logsumexp(x, b=b, return_sign=True)
        assert abs(scipy_value - value) > 20 * np.finfo(float).eps * abs(value)
        assert abs(mm.logsumexp(x, b=b, return_sign=True)[0] - value) <= 4e-16 * abs(value)

    def test_negative_sum_without_return_sign_names_b(self):
        """SciPy returns NaN; mlmath raises, naming `b` and pointing to return_sign."""
        with pytest.raises(ValueError, match=r"`b`: .*negative sum at index \[1, :\].*"
                                             r"return_sign=True"):
            mm.logsumexp([[0.0, 0.5], [0.0, 5.0]], b=[2.0, -1.0])

    def test_exact_cancellation_is_minus_inf_with_sign_zero(self):
        value, sign = mm.logsumexp([[3.0, 3.0], [1.0, 2.0]], b=[1.0, -1.0], return_sign=True)
        assert value[0] == -np.inf
        np.testing.assert_allclose(value[1], np.log(np.e**2 - np.e), rtol=4e-16)
        np.testing.assert_array_equal(sign[0], 0.0)
        assert sign[1] == -1.0
        assert mm.logsumexp([3.0, 3.0], b=[1.0, -1.0]) == -np.inf

    def test_all_zero_weights_and_all_excluded_give_minus_inf_sign_zero(self):
        """log of an empty sum, as SciPy's b=0: (-inf, 0)."""
        for kwargs in [{"b": [0.0, 0.0]}, {"where": [False, False]},
                       {"b": [1.0, -1.0], "where": [False, False]}]:
            value, sign = mm.logsumexp([1.0, 2.0], return_sign=True, **kwargs)
            assert (value, sign) == (-np.inf, 0.0), kwargs

    def test_return_sign_without_weights_is_one_or_zero(self):
        value, sign = mm.logsumexp([[0.0, 1.0], [-np.inf, -np.inf]], return_sign=True)
        np.testing.assert_array_equal(sign, [1.0, 0.0])
        np.testing.assert_array_equal(value, mm.logsumexp([[0.0, 1.0], [-np.inf, -np.inf]]))

    def test_weights_broadcast_and_shape_the_result(self):
        """b broadcasts with x (SciPy): the result has the broadcast shape without axis."""
        x = np.array([0.0, 1.0, 2.0])
        b = np.array([[1.0], [2.0]])
        got = mm.logsumexp(x, b=b)
        assert got.shape == (2,)
        np.testing.assert_allclose(got, sc.logsumexp(x, b=b, axis=-1), rtol=1e-15)
        kept = mm.logsumexp(x, b=b, keepdims=True, return_sign=True)
        assert kept[0].shape == kept[1].shape == (2, 1)

    def test_zero_weight_excludes_even_pos_inf(self):
        assert mm.logsumexp([np.inf, 0.0], b=[0.0, 1.0]) == 0.0

    def test_pos_inf_entries_take_the_sign_of_their_weight(self):
        assert mm.logsumexp([np.inf, 0.0], b=[-1.0, 5.0], return_sign=True) == (np.inf, -1.0)
        assert mm.logsumexp([np.inf, 0.0], b=[2.0, -5.0]) == np.inf
        with pytest.raises(ValueError, match=r"`x`: .*both signs.*inf - inf"):
            mm.logsumexp([np.inf, np.inf], b=[1.0, -1.0], return_sign=True)

    @pytest.mark.parametrize(("b", "exc", "pattern"), [
        ([1.0, np.nan], ValueError, r"`b`: expected no NaN|`b`: expected finite"),
        ([1.0, np.inf], ValueError, r"`b`: expected finite values, got inf at index \[1\]"),
        ([1.0, 2.0, 3.0], ValueError, r"`b`: expected a shape that broadcasts"),
        ([1 + 1j, 2.0], TypeError, "`b`"),
    ])
    def test_bad_weights_are_named(self, b, exc, pattern):
        with pytest.raises(exc, match=pattern):
            mm.logsumexp([0.0, 1.0], b=b)

    def test_validate_false_gives_nan_like_scipy(self):
        assert np.isnan(mm.logsumexp([0.0, 5.0], b=[2.0, -1.0], validate=False))
        assert np.isnan(sc.logsumexp([0.0, 5.0], b=[2.0, -1.0]))

    @pytest.mark.parametrize("axis", [0, 1, (0, 1), None])
    def test_axes_match_scipy(self, axis):
        rng = np.random.default_rng(3)
        x = rng.normal(size=(3, 4))
        b = rng.uniform(0.1, 2.0, size=(3, 4)) * np.array([1, -1, 1, 1])
        got = mm.logsumexp(x, b=b, axis=axis, return_sign=True)
        want = sc.logsumexp(x, b=b, axis=axis, return_sign=True)
        np.testing.assert_allclose(got[0], want[0], rtol=1e-13)
        np.testing.assert_array_equal(got[1], want[1])


class TestWhere:
    """``where=False`` entries are -inf logits, whatever they hold (NumPy's ``where``)."""

    @pytest.mark.parametrize("fn", REDUCTIONS)
    def test_where_equals_minus_inf_logits_exactly(self, fn):
        x = np.array([[0.5, np.nan, 2.0, np.inf], [1.0, -3.0, 0.0, 4.0]])
        where = np.array([[True, False, True, False], [True, True, False, True]])
        np.testing.assert_array_equal(fn(x, where=where), fn(np.where(where, x, -np.inf)))

    def test_where_broadcasts_along_rows(self):
        x = np.arange(6.0).reshape(2, 3)
        got = mm.softmax(x, where=np.array([True, False, True]))
        np.testing.assert_array_equal(got[:, 1], 0.0)
        np.testing.assert_allclose(got.sum(axis=-1), 1.0, rtol=4e-16)

    @pytest.mark.parametrize("fn", [mm.softmax, mm.log_softmax])
    def test_all_excluded_row_follows_the_all_minus_inf_rule(self, fn):
        with pytest.raises(ValueError, match=r"`x`: .*all -inf or excluded by `where` at "
                                             r"index \[1, :\]"):
            fn([[0.0, 1.0], [2.0, 3.0]], where=[[True, False], [False, False]])

    def test_all_excluded_logsumexp_is_minus_inf(self):
        np.testing.assert_array_equal(
            mm.logsumexp([[0.0, 1.0], [2.0, 3.0]], where=[[True, False], [False, False]]),
            [0.0, -np.inf])

    @pytest.mark.parametrize("fn", REDUCTIONS)
    def test_non_boolean_where_is_a_type_error(self, fn):
        with pytest.raises(TypeError, match="`where`: expected a boolean array"):
            fn([0.0, 1.0], where=[1, 0])

    @pytest.mark.parametrize("fn", REDUCTIONS)
    def test_where_that_does_not_broadcast_is_named(self, fn):
        with pytest.raises(ValueError, match="`where`: expected a shape broadcastable"):
            fn([0.0, 1.0], where=[True, False, True])

    def test_float32_dtype_kept(self):
        x = np.array([1.0, 2.0, 3.0], np.float32)
        assert mm.softmax(x, where=[True, True, False]).dtype == np.float32
        assert mm.logsumexp(x, b=np.float32(2.0), where=[True, True, False]).dtype == np.float32


# ----------------------------------------------------------------------------
# Properties the mutation run found unpinned (tests/MUTANTS.md, special.py).
# ----------------------------------------------------------------------------

class TestPinnedByMutation:
    """Behaviour that no other test pinned: each kills mutants of ``mlmath/special.py``."""

    def test_three_dimensional_error_index_names_the_batch_position(self):
        """A row error of a 3-d input names its batch position [i, j, :], not a flat row."""
        x = np.zeros((2, 3, 4))
        x[1, 2, :] = -np.inf
        with pytest.raises(ValueError, match=r"at index \[1, 2, :\]"):
            mm.softmax(x)

    def test_minus_inf_entries_change_no_bit(self):
        """Appending a -inf logit (weight 0) leaves logsumexp and softmax bit for bit
        unchanged (the rows holding -inf are recomputed by the same TwoSum formulas)."""
        rng = np.random.default_rng(14)
        x = rng.normal(scale=30.0, size=(300, 5))
        with_inf = np.concatenate([x, np.full((300, 1), -np.inf)], axis=1)
        np.testing.assert_array_equal(mm.logsumexp(with_inf), mm.logsumexp(x))
        np.testing.assert_array_equal(mm.softmax(with_inf)[:, :5], mm.softmax(x))
        np.testing.assert_array_equal(mm.log_softmax(with_inf)[:, :5], mm.log_softmax(x))

    def test_weights_that_do_not_broadcast_name_both_arguments(self):
        """The broadcast error names ``b`` and the ``x`` it must broadcast with."""
        with pytest.raises(ValueError, match=r"`b`: .*broadcasts with `x` \(3,\)"):
            mm.logsumexp(np.zeros(3), b=np.ones(4))

    @pytest.mark.parametrize(("x_dtype", "b_dtype"), [(np.float32, np.float64),
                                                       (np.float64, np.float32)])
    def test_weighted_result_dtype_promotes_x_and_b(self, x_dtype, b_dtype):
        """The weighted result has the promoted dtype of ``x`` and ``b`` (float64 here)."""
        x, b = np.zeros(3, x_dtype), np.array([1.0, 2.0, -0.5], b_dtype)
        assert mm.logsumexp(x, b=b).dtype == np.float64
        assert mm.logsumexp(x, b=np.abs(b)).dtype == np.float64

    def test_nan_logit_with_weights_is_an_error(self):
        """With ``b``, a NaN logit of nonzero weight is a ValueError naming ``x``."""
        with pytest.raises(ValueError, match=r"`x`: expected no NaN"):
            mm.logsumexp([np.nan, 1.0], b=[1.0, 1.0])
        with pytest.raises(ValueError, match=r"`x`: expected no NaN"):
            mm.logsumexp([np.nan, 1.0], b=[1.0, -0.5], return_sign=True)

    def test_weighted_empty_reduction(self):
        """An empty weighted reduction is an error, and log 0 = -inf with validate=False."""
        with pytest.raises(ValueError, match=r"`x`: expected a non-empty axis"):
            mm.logsumexp(np.empty((2, 0)), b=np.empty((2, 0)))
        np.testing.assert_array_equal(
            mm.logsumexp(np.empty((2, 0)), b=np.empty((2, 0)), validate=False), [-np.inf] * 2)

    def test_scalar_with_a_negative_weight(self):
        """logsumexp(0, b=-1) is log|-1| = 0 with sign -1 (a 0-d signed reduction)."""
        value, sign = mm.logsumexp(0.0, b=-1.0, return_sign=True)
        assert (float(value), float(sign)) == (0.0, -1.0)
        assert np.shape(value) == () and np.shape(sign) == ()

    def test_signed_reduction_over_non_adjacent_axes(self):
        """Signed weights reduced over axes (0, 2) of a 3-d array: as the flattened rows."""
        rng = np.random.default_rng(3)
        x, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
        got, got_sign = mm.logsumexp(x, b=b, axis=(0, 2), return_sign=True)
        rows_x = np.moveaxis(x, 1, 0).reshape(3, 8)
        rows_b = np.moveaxis(b, 1, 0).reshape(3, 8)
        want, want_sign = sc.logsumexp(rows_x, b=rows_b, axis=1, return_sign=True)
        np.testing.assert_allclose(got, want, rtol=1e-13)
        np.testing.assert_array_equal(got_sign, want_sign)

    def test_excluded_weights_do_not_scale_the_kept_ones(self):
        """Weights at -inf logits (weight 0) do not enter the power-of-two scaling: a
        subnormal kept weight 3 * 2**-1074 gives log(3) - 1074 log 2 with sign -1."""
        value, sign = mm.logsumexp([0.0, -np.inf], b=[-3 * 2.0**-1074, 1.0], return_sign=True)
        assert float(sign) == -1.0
        assert float(value) == pytest.approx(math.log(3) - 1074 * math.log(2), rel=1e-15)

    def test_signed_rows_are_scaled_independently(self):
        """Rows of very different scales (logits ±1000, weights 1e±300) are each exact:
        the shift and the weight scaling are per row."""
        x = np.array([[1000.0, 999.0], [-1000.0, -1001.0]])
        b = np.array([[1e300, -1e300], [1e-300, -1e-300]])
        value, sign = mm.logsumexp(x, b=b, return_sign=True)
        tail = math.log1p(-math.exp(-1.0))
        np.testing.assert_allclose(value, [1000.0 + math.log(1e300) + tail,
                                           -1000.0 + math.log(1e-300) + tail], rtol=1e-15)
        np.testing.assert_array_equal(sign, [1.0, 1.0])

    def test_plus_inf_rows_take_the_sign_of_their_weights(self):
        """A +inf logit decides its row: value +inf and the sign of its weight, per row,
        whatever the weight's size; rows without +inf are computed as usual."""
        value, sign = mm.logsumexp([np.inf, 0.0], b=[0.5, -1.0], return_sign=True)
        assert (float(value), float(sign)) == (np.inf, 1.0)
        value, sign = mm.logsumexp([[np.inf, 0.0], [np.inf, 0.0], [0.0, 0.0]],
                                   b=[[1.0, -1.0], [-1.0, 1.0], [2.0, -1.0]], return_sign=True)
        np.testing.assert_array_equal(value, [np.inf, np.inf, 0.0])
        np.testing.assert_array_equal(sign, [1.0, -1.0, 1.0])

    def test_plus_inf_of_both_signs(self):
        """+inf entries with weights of both signs: the error names the row; with
        validate=False the value and the sign are NaN."""
        with pytest.raises(ValueError, match=r"both signs at \+inf entries at index \[1, :\]"):
            mm.logsumexp([[0.0, 1.0], [np.inf, np.inf]], b=[[1.0, -1.0], [1.0, -1.0]],
                         return_sign=True)
        value, sign = mm.logsumexp([np.inf, np.inf], b=[1.0, -1.0], return_sign=True,
                                   validate=False)
        assert np.isnan(value) and np.isnan(sign)

    @pytest.mark.parametrize("negate", [False, True])
    def test_signed_sum_just_above_one_keeps_its_low_part(self, negate):
        """log|S| for S = ±(1 + (e^-39 - e^-100) 3/4) = ±(1 + 8.7e-18), below float64's
        resolution of 1 + eps, is 8.7e-18 to full relative accuracy: the double-double's
        low part enters as s_lo / s_hi (the weights' scale 3/4 needs no power of two)."""
        x, b = np.array([0.0, 0.0, -39.0, -100.0]), np.array([0.75, 0.25, 0.75, -0.75])
        if negate:
            b = -b
        exact, _, _ = mp_weighted_logsumexp(x, b)
        value, sign = mm.logsumexp(x, b=b, return_sign=True)
        assert float(sign) == (-1.0 if negate else 1.0)
        assert abs(value) > 5e-18
        assert float(value) == pytest.approx(float(exact), rel=1e-12, abs=0.0)


    def test_no_floating_point_warning_under_a_raising_errstate(self):
        """-inf entries, weights, underflow, cancelling rows, all -inf and +inf rows and
        float32 raise nothing even under the caller's np.errstate(all="raise")."""
        x = np.array([[0.0, -np.inf, 1.0], [2.0, 3.0, -np.inf], [-1000.0, 0.0, -745.0]])
        calls = [lambda: mm.logsumexp(x), lambda: mm.softmax(x), lambda: mm.log_softmax(x),
                 lambda: mm.logsumexp(x, b=[1.0, -0.5, 2.0], return_sign=True),
                 lambda: mm.logsumexp(np.log([0.1, 0.2, 0.7])),
                 lambda: mm.logsumexp([[-np.inf, -np.inf], [np.inf, 0.0]]),
                 lambda: mm.softmax(x.astype(np.float32))]
        wants = [call() for call in calls]
        with np.errstate(all="raise"):
            for call, want in zip(calls, wants, strict=True):
                np.testing.assert_array_equal(call(), want)


    @pytest.mark.parametrize("fn", [mm.softmax, mm.log_softmax])
    def test_plus_inf_error_says_why(self, fn):
        """softmax of a +inf logit: the ValueError names ``x`` and says inf/inf is undefined."""
        with pytest.raises(ValueError, match=r"`x`: expected no \+inf \(the ratio inf/inf is "
                                             r"undefined\), got \+inf at index \[0\]"):
            fn([np.inf, 0.0])

    def test_negative_sum_without_validation_is_nan_in_its_row_only(self):
        """validate=False: a negative weighted sum gives NaN (SciPy's log) in its row; the
        other rows keep their float64 values."""
        got = mm.logsumexp([[0.0, 0.0], [0.0, 0.0]], b=[[1.0, -0.5], [-1.0, 0.5]],
                           validate=False)
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, [math.log(0.5), np.nan])

    def test_negative_sum_error_names_the_first_negative_row(self):
        """The negative-sum error names the first negative row, not a zero-sum one before it."""
        with pytest.raises(ValueError, match=r"`b`: .*negative sum at index \[1, :\]"):
            mm.logsumexp([[0.0, 0.0], [0.0, 0.0]], b=[[1.0, -1.0], [1.0, -2.0]])


    def test_rows_without_a_finite_max_when_unvalidated(self):
        """validate=False: a +inf, an all -inf and a NaN row give logsumexp +inf, -inf and
        NaN, and softmax / log_softmax NaN rows; the finite row is unaffected (on every
        backend: the numba dispatch fills these rows as the NumPy path does)."""
        x = np.array([[np.inf, 0.0], [-np.inf, -np.inf], [np.nan, 0.0], [0.0, 1.0]])
        np.testing.assert_array_equal(mm.logsumexp(x, validate=False)[:3],
                                      [np.inf, -np.inf, np.nan])
        for fn in (mm.softmax, mm.log_softmax):
            got = fn(x, validate=False)
            assert np.isnan(got[:3]).all()
            np.testing.assert_allclose(got[3], fn(x[3]), rtol=1e-15)


class TestElementwiseScalarPath:
    """The float64-scalar fast path (``math`` instead of NumPy) of the sigmoid family."""

    @pytest.mark.parametrize("fn", ELEMENTWISE)
    def test_scalar_agrees_with_the_array_path(self, fn):
        """fn(float) equals fn(array) to 1 ulp on both signs and across [-40, 40]."""
        xs = np.concatenate([np.linspace(-40.0, 40.0, 161), [-0.5, -0.0, 0.0, 0.25, 0.5]])
        array = fn(xs)
        for x, want in zip(xs, array, strict=True):
            got = fn(float(x))
            assert type(got) is np.float64
            assert got == pytest.approx(want, rel=2.5e-16, abs=1e-300), x

    @pytest.mark.parametrize("fn", ELEMENTWISE)
    def test_scalar_nan(self, fn):
        """A NaN scalar is a ValueError naming ``x``; with validate=False it gives NaN."""
        for nan in (float("nan"), np.float64("nan")):
            with pytest.raises(ValueError, match=r"`x`: expected no NaN"):
                fn(nan)
            assert np.isnan(fn(nan, validate=False))
        assert fn(0.5, validate=False) == fn(0.5)

    @pytest.mark.parametrize("fn", ELEMENTWISE)
    def test_float32_is_computed_in_float64_and_rounded_once(self, fn):
        """float32 input gives exactly the float64 result rounded to float32."""
        x = np.random.default_rng(5).normal(scale=20.0, size=2000).astype(np.float32)
        got = fn(x)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, fn(x.astype(np.float64)).astype(np.float32))

    @pytest.mark.parametrize("fn", ELEMENTWISE)
    def test_no_floating_point_warning_under_a_raising_errstate(self, fn):
        """Underflowing exponentials (x = ±1000, ±745) and ±inf raise nothing even under
        the caller's np.errstate(all="raise")."""
        x = np.array([-1000.0, -745.0, 745.0, 1000.0, -np.inf, np.inf])
        want = fn(x)
        with np.errstate(all="raise"):
            np.testing.assert_array_equal(fn(x), want)

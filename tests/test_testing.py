"""The verification machinery itself: shared strategies, assertion helpers, profiles.

A property suite is only as good as its helpers: strategies must reach the
domain they promise and stay inside it, failure messages must name the
property and the inputs, and a meta-test must fail loudly when a mutant slips
through.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

import mlmath
from mlmath import strategies as mst
from mlmath.strategies import _common
from mlmath.testing import (
    assert_all,
    assert_close_eps,
    eps_of,
    expect_property_failure,
    format_inputs,
    implementation,
    mutant,
    relative_error_eps,
)

# --------------------------------------------------------------------------- strategies
# What each shared strategy draws (bounds, dtypes, shapes) is tested next to the
# strategies' own additions in tests/test_strategies_common.py; here: the
# promises about reach and re-export that the whole suite relies on.


@given(dtype=mst.float_dtypes())
def test_float_dtypes_are_float32_or_float64(dtype):
    assert dtype in (np.dtype(np.float32), np.dtype(np.float64))


@given(x=mst.logits(shape=st.sampled_from([(2,), (2, 3)])))
def test_logits_accept_a_shape_strategy(x):
    assert x.shape in ((2,), (2, 3)) and x.dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_reach_the_top_of_the_range(dtype):
    """The stability strategy actually produces values near the dtype's maximum."""
    big = float(np.finfo(dtype).max) / 4
    x = find(mst.extreme_logits(dtype=dtype), lambda a: bool(np.any(np.abs(a) > big)),
             settings=settings(database=None, max_examples=2000))
    assert np.max(np.abs(x)) > big


def test_strategies_package_reexports_common():
    for name in _common.__all__:
        assert getattr(mst, name) is getattr(_common, name)


# --------------------------------------------------------------------------- assertion helpers


def test_eps_of_follows_the_dtype():
    assert eps_of(np.float32(1)) == 2.0**-23
    assert eps_of(np.zeros(2)) == 2.0**-52
    assert eps_of([1, 2]) == 2.0**-52  # integers are computed in float64


def test_format_inputs_names_inputs_with_round_trip_digits():
    """Every printed float reads back as the same double (1 + eps is not shown as 1.)."""
    text = format_inputs(p=np.array([0.1, 1 + 2.0**-52]), base=2)
    assert text.replace(" ", "") == "p=array([0.1,1.0000000000000002]),base=array(2)"


def test_assert_all_passes_silently():
    assert_all(np.array([True, True]), "prop", "anything", x=1)


def test_assert_all_names_property_expectation_index_and_inputs():
    with pytest.raises(AssertionError) as exc:
        assert_all(np.array([[True, True], [True, False]]), "entropy-nonneg", "H(p) >= 0",
                   p=np.array([0.5, 0.5]))
    message = str(exc.value)
    assert message.startswith("[entropy-nonneg] expected H(p) >= 0; fails at [1, 1]")
    assert "inputs: p=array([0.5, 0.5])" in message


def test_relative_error_eps_conventions():
    """Exact matches (inf and nan pairs included) are 0; a NaN against a number is inf."""
    eps = 2.0**-52
    err = relative_error_eps([1.0, np.inf, np.nan, np.nan, 1.0 + eps], [1.0, np.inf, np.nan, 2.0,
                                                                        1.0], eps)
    assert err.tolist() == [0.0, 0.0, 0.0, np.inf, 1.0]


def test_assert_close_eps_accepts_within_tolerance():
    one = np.float64(1.0)
    assert_close_eps(one + 2 * eps_of(one), one, prop="p", rtol_eps=2)
    assert_close_eps(np.float32(1e-30), 0.0, prop="p", rtol_eps=0, atol_eps=1)  # absolute part
    assert_close_eps(np.array([np.inf, 0.0]), [np.inf, 0.0], prop="p", rtol_eps=0)


def test_assert_close_eps_reports_worst_element_count_and_inputs():
    actual = np.array([1.0, 1.0 + 1e-15, 1.0 + 1e-12])
    with pytest.raises(AssertionError) as exc:
        assert_close_eps(actual, 1.0, prop="softmax-simplex", rtol_eps=16, x=np.zeros(3))
    message = str(exc.value)
    assert message.startswith("[softmax-simplex] expected agreement within 16 eps")
    assert "worst at [2]" in message and "2 of 3 bad" not in message
    assert "1 of 3 bad" in message and "inputs: x=array([0., 0., 0.])" in message


def test_assert_close_eps_uses_the_dtype_of_actual():
    """float32 results get float32's eps: 1e-7 relative passes at 1 eps."""
    assert_close_eps(np.float32(1.0000001), 1.0, prop="p", rtol_eps=1)
    with pytest.raises(AssertionError):
        assert_close_eps(np.float64(1.0000001), 1.0, prop="p", rtol_eps=1)


# --------------------------------------------------------------------------- meta-test helpers


@settings(database=None, suppress_health_check=[HealthCheck.too_slow])
@given(x=st.floats(-50, 50))
def check_sigmoid_in_unit_interval(mm, x):
    """0 <= sigmoid(x) <= 1 (a property used to test the meta-test helper)."""
    s = mm.sigmoid(x)
    assert_all((s >= 0) & (s <= 1), "sigmoid-range", "0 <= sigmoid(x) <= 1", x=x)


def test_expect_property_failure_returns_the_failure_text():
    text = expect_property_failure(check_sigmoid_in_unit_interval,
                                   mm=mutant(sigmoid=lambda x: 1 + np.exp(-x)))
    assert "[sigmoid-range] expected 0 <= sigmoid(x) <= 1" in text


def test_expect_property_failure_raises_when_the_defect_goes_unseen():
    """A mutant the property cannot see makes the meta-test fail, naming both."""
    with pytest.raises(AssertionError, match="check_sigmoid_in_unit_interval did not catch "
                                             "the mutant mm="):
        expect_property_failure(check_sigmoid_in_unit_interval,
                                mm=mutant(sigmoid=lambda x: 0.5 + 0 * np.asarray(x)))


def test_expect_property_failure_does_not_count_a_crash_as_caught():
    """A mutant that crashes (not an assertion) propagates: it shows nothing about the property."""
    def crash(x):
        raise KeyError("boom")

    with pytest.raises(KeyError):
        expect_property_failure(check_sigmoid_in_unit_interval, mm=mutant(sigmoid=crash))


def test_overrides_replace_only_the_given_names():
    fake = mutant(softmax=len)
    assert fake.softmax is len
    assert fake.logsumexp is mlmath.logsumexp
    other = mutant(math, sqrt=abs)
    assert other.sqrt is abs and other.pi == math.pi


def test_implementation_defaults_to_mlmath_and_honours_the_environment(monkeypatch):
    monkeypatch.delenv("MLMATH_IMPL", raising=False)
    assert implementation() is mlmath
    monkeypatch.setenv("MLMATH_IMPL", "math")
    assert implementation() is math


# --------------------------------------------------------------------------- profiles


def test_profiles_are_registered_with_the_documented_settings():
    """dev is quick; ci is derandomised with no database and no deadline; thorough is long."""
    dev, ci, thorough = (settings.get_profile(n) for n in ("dev", "ci", "thorough"))
    assert ci.derandomize and ci.database is None and ci.deadline is None and ci.print_blob
    # Ours, not Hypothesis's built-in `ci` profile (which does not suppress this check).
    assert HealthCheck.data_too_large in ci.suppress_health_check
    assert dev.max_examples <= 50 and dev.deadline is None
    assert thorough.max_examples >= 1000 and thorough.deadline is None
    assert dev.max_examples < ci.max_examples < thorough.max_examples

"""Tests of the shared strategies (mlmath.strategies._common): they draw what they promise."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from mlmath import strategies as mst


@given(sa=mst.shapes_with_axis())
def test_shapes_with_axis_gives_a_valid_axis(sa):
    shape, axis = sa
    assert 1 <= len(shape) <= 3 and -len(shape) <= axis < len(shape)
    assert all(1 <= side <= mst._common.MAX_SIDE for side in shape)


@given(dtype=mst.float_dtypes(), data=st.data())
def test_logits_are_bounded_and_typed(dtype, data):
    x = data.draw(mst.logits(shape=(2, 3), dtype=dtype, bound=5.0))
    assert x.dtype == dtype and x.shape == (2, 3)
    assert np.all(np.abs(x) <= 5.0)


@given(dtype=mst.float_dtypes(), data=st.data())
def test_extreme_logits_are_finite_and_typed(dtype, data):
    x = data.draw(mst.extreme_logits(shape=(5,), dtype=dtype))
    assert x.dtype == dtype and np.all(np.isfinite(x))


@given(dtype=mst.float_dtypes(), data=st.data())
def test_logits_and_exact_shift_shift_exactly(dtype, data):
    """x + c is exact in the dtype: the property it exists for."""
    x, c = data.draw(mst.logits_and_exact_shift(shape=(4,), dtype=dtype))
    assert x.dtype == dtype and float(c).is_integer() and abs(c) <= 2 ** 11
    shifted = (x + np.asarray(c, dtype)).astype(np.float64)
    np.testing.assert_array_equal(shifted, x.astype(np.float64) + c)


@given(dtype=mst.float_dtypes(), axis=st.sampled_from([0, 1, -1]), data=st.data())
def test_masked_logits_keep_one_finite_entry_per_row(dtype, axis, data):
    x = data.draw(mst.masked_logits(shape=(3, 4), dtype=dtype, axis=axis))
    assert x.dtype == dtype and x.shape == (3, 4)
    assert not np.isnan(x).any() and not np.isposinf(x).any()
    assert np.all(np.any(np.isfinite(x), axis=axis))

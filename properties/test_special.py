"""Properties of the stable primitives (mlmath.special).

Each test states one theorem; ``mm`` is the implementation under test.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given

from mlmath import strategies as mst
from mlmath.testing import assert_all, assert_close_eps, expect_property_failure, mutant


@given(x=mst.extreme_logits(shape=mst.shapes_with_axis().map(lambda sa: sa[0])))
def test_softmax_rows_are_distributions(mm, x):
    """softmax(x) >= 0 and each row sums to 1, for every finite x (no overflow)."""
    s = mm.softmax(x)
    assert_all(np.isfinite(s) & (s >= 0), "softmax-simplex", "finite entries >= 0", x=x)
    # n roundings in the division plus n in the sum: 2n eps, n <= 8 here.
    assert_close_eps(np.sum(s, axis=-1), 1.0, prop="softmax-simplex", rtol_eps=16, x=x)


def test_softmax_rows_are_distributions_catches_mutant():
    """A softmax that forgets to normalise is caught."""
    expect_property_failure(test_softmax_rows_are_distributions,
                            mm=mutant(softmax=lambda x: np.exp(x - np.max(x, -1, keepdims=True))))

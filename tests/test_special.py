"""Unit tests of mlmath.special against closed forms."""

from __future__ import annotations

import numpy as np

import mlmath as mm


def test_logsumexp_of_equal_entries_is_max_plus_log_n():
    """LSE of n equal entries a is a + log n, even for huge a."""
    assert mm.logsumexp([1e308, 1e308]) == 1e308
    np.testing.assert_allclose(mm.logsumexp([3.0, 3.0, 3.0, 3.0]), 3.0 + np.log(4.0), rtol=1e-15)

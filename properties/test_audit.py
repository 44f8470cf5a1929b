"""Properties behind two audit findings, each with a meta-test that breaks it.

The functions under test are the audit's own (the sigmoid-decoder loss floor
and ridge regression), injected as the ``aud`` fixture so a mutant can replace
them; a property that cannot catch its mutant fails its meta-test.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlmath.audit.claims import regularisation, self_supervised
from mlmath.testing import assert_all, expect_property_failure, mutant


@pytest.fixture(scope="module")
def aud() -> Any:
    """The audit functions under test."""
    return types.SimpleNamespace(sigmoid_mse_floor=self_supervised.sigmoid_mse_floor,
                                 ridge=regularisation.ridge)


targets = st.lists(st.floats(-8, 8, allow_nan=False), min_size=1, max_size=8)


@given(t=targets, data=st.data())
def test_sigmoid_floor_bounds_every_sigmoid_output(aud, t, data):
    """SSL-5: mean (o - t)² >= floor(t) for every o in (0, 1)^n (no sigmoid decoder beats it),
    and o = clip(t, 0, 1) attains it up to rounding (so it is the infimum)."""
    o = data.draw(st.lists(st.floats(0, 1, exclude_min=True, exclude_max=True),
                           min_size=len(t), max_size=len(t)), label="o")
    tt, oo = np.array(t), np.array(o)
    floor = aud.sigmoid_mse_floor(tt)
    mse = float(np.mean((oo - tt) ** 2))
    # 8 eps relative: the floor and the MSE are means of <= 8 rounded squares
    assert_all(mse >= floor * (1 - 8 * 2.2e-16), "sigmoid-floor", "MSE >= floor", t=tt, o=oo)
    best = float(np.mean((np.clip(tt, 0, 1) - tt) ** 2))
    assert_all(abs(best - floor) <= 8 * 2.2e-16 * (1 + floor), "sigmoid-floor",
               "clip(t, 0, 1) attains the floor", t=tt)


rows = st.integers(1, 5)


@given(n=rows, data=st.data())
def test_ridge_norm_nonincreasing_in_lambda(aud, n, data):
    """REG-2: 0 < λ1 < λ2 implies ‖w_λ2‖ <= ‖w_λ1‖ for ridge regression (Hoerl & Kennard)."""
    p = data.draw(st.integers(1, 3), label="p")
    vals = st.floats(-5, 5, allow_nan=False)
    x = np.array(data.draw(st.lists(st.lists(vals, min_size=p, max_size=p), min_size=n,
                                    max_size=n), label="x"))
    y = np.array(data.draw(st.lists(vals, min_size=n, max_size=n), label="y"))
    lam1 = data.draw(st.floats(0.1, 10), label="lam1")
    lam2 = lam1 + data.draw(st.floats(0.1, 10), label="dlam")
    w1, w2 = aud.ridge(x, y, lam1), aud.ridge(x, y, lam2)
    # 64 eps relative: two small linear solves with condition number <= (25 n + 10)/0.1
    assert_all(np.linalg.norm(w2) <= np.linalg.norm(w1) * (1 + 1e-10) + 1e-12,
               "ridge-shrinks", "‖w_λ2‖ <= ‖w_λ1‖", x=x, y=y, lam1=lam1, lam2=lam2)


# --------------------------------------------------------------------------- mutants

def _floor_without_upper_tail(t: Any) -> float:
    return float(np.mean(np.minimum(np.asarray(t), 0.0) ** 2))


def _ridge_weights_swapped(x: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    # λ put on the data term instead of the penalty: (λ XᵀX + I)⁻¹ λ Xᵀy
    return np.linalg.solve(lam * x.T @ x + np.eye(x.shape[1]), lam * x.T @ y)


@pytest.mark.parametrize(("prop", "overrides"), [
    (test_sigmoid_floor_bounds_every_sigmoid_output,
     {"sigmoid_mse_floor": _floor_without_upper_tail}),
    (test_ridge_norm_nonincreasing_in_lambda, {"ridge": _ridge_weights_swapped}),
], ids=["floor-forgets-values-above-1", "ridge-grows-with-lambda"])
def test_audit_properties_catch_mutants(aud, prop, overrides):
    """Each property fails on a realistic broken implementation."""
    expect_property_failure(prop, aud=mutant(aud, **overrides))

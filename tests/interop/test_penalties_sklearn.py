"""Interop: proximal gradient with mlmath's prox operators reaches scikit-learn's
``Lasso`` / ``ElasticNet`` solutions (skipped when scikit-learn is absent).

scikit-learn minimises ``||y - Xw||^2 / (2 n) + alpha * (l1_ratio ||w||_1 +
(1 - l1_ratio)/2 ||w||^2)``: the data term carries the 1/(2n) and the penalty
is exactly ``mlmath.elastic_net``, so the same alpha means the same problem.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlmath as mm
from examples import proximal_gradient as pg

sklearn_linear = pytest.importorskip("sklearn.linear_model")

pytestmark = pytest.mark.interop

PROBLEMS = [(60, 12, 4, 0), (30, 50, 5, 1)]  # over- and under-determined
SETTINGS = [(0.1, 1.0), (0.01, 1.0), (0.1, 0.5), (0.5, 0.3), (0.02, 0.9)]


def _sklearn_fit(X, y, alpha, l1_ratio):
    common = {"alpha": alpha, "fit_intercept": False, "tol": 1e-14, "max_iter": 1_000_000}
    model = (sklearn_linear.Lasso(**common) if l1_ratio == 1.0
             else sklearn_linear.ElasticNet(l1_ratio=l1_ratio, **common))
    return model.fit(X, y).coef_


@pytest.mark.parametrize("problem", PROBLEMS)
@pytest.mark.parametrize(("alpha", "l1_ratio"), SETTINGS)
@pytest.mark.parametrize("solver", [pg.ista, pg.fista], ids=["ista", "fista"])
def test_proximal_gradient_matches_sklearn(problem, alpha, l1_ratio, solver):
    """Coefficients agree with scikit-learn to 1e-6 and share its exact zeros."""
    X, y, _ = pg.make_regression(*problem[:3], seed=problem[3])
    ours = solver(X, y, alpha=alpha, l1_ratio=l1_ratio).coef
    theirs = _sklearn_fit(X, y, alpha, l1_ratio)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(ours != 0, theirs != 0)
    # Same objective: our F (with mlmath.elastic_net) is no worse than at sklearn's point.
    f = [pg.objective(X, y, w, alpha=alpha, l1_ratio=l1_ratio) for w in (ours, theirs)]
    assert f[0] <= f[1] + 1e-12


def test_elastic_net_penalty_is_sklearns():
    """sklearn's objective minus its data term is mlmath.elastic_net (same alpha, l1_ratio)."""
    w = np.array([1.5, -2.0, 0.0, 0.25])
    alpha, ratio = 0.7, 0.3
    sklearn_penalty = alpha * ratio * np.sum(np.abs(w)) + 0.5 * alpha * (1 - ratio) * w @ w
    assert mm.elastic_net(w, alpha=alpha, l1_ratio=ratio) == pytest.approx(sklearn_penalty,
                                                                           rel=1e-15)

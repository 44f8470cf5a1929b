r"""Proximal gradient descent (ISTA and FISTA) for the lasso and the elastic net.

Minimises, in scikit-learn's scaling (``sklearn.linear_model.ElasticNet``
with ``fit_intercept=False``),

.. math:: F(w) = \frac{1}{2n}\lVert y - Xw\rVert_2^2
          + \alpha\Big(\rho\lVert w\rVert_1 + \frac{1-\rho}{2}\lVert w\rVert_2^2\Big),

which is ``data term + mlmath.elastic_net(w, alpha=alpha, l1_ratio=rho)``;
``l1_ratio=1`` is the lasso.  Each step is a gradient step on the smooth data
term (step 1/L, L = ||X||_2^2 / n its Lipschitz constant) followed by
``mlmath.prox_elastic_net`` -- the forward-backward splitting of [PB14]_ 4.2 and
[BT09]_.  Optimality is certified directly by the KKT conditions
(:func:`kkt_violation`), never by trusting the iteration.

Run ``python -m examples.proximal_gradient`` for a demonstration.

References
----------
.. [PB14] N. Parikh and S. Boyd, "Proximal Algorithms", 2014, section 4.2-4.3.
.. [BT09] A. Beck and M. Teboulle, "A fast iterative shrinkage-thresholding
   algorithm for linear inverse problems", SIAM J. Imaging Sci. 2(1), 2009.
.. [OC15] B. O'Donoghue and E. Candes, "Adaptive restart for accelerated
   gradient schemes", Found. Comput. Math. 15, 2015.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

import mlmath as mm

__all__ = [
    "ProxGradResult",
    "fista",
    "ista",
    "kkt_violation",
    "lipschitz_constant",
    "make_regression",
    "objective",
]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class ProxGradResult:
    """Solution of a proximal-gradient run."""

    coef: Array
    n_iter: int
    converged: bool
    kkt: float  # max KKT violation at coef (see kkt_violation)


def make_regression(n_samples: int = 60, n_features: int = 12, n_informative: int = 4,
                    noise: float = 0.1, seed: int = 0) -> tuple[Array, Array, Array]:
    """A small synthetic sparse regression ``y = X w_true + noise``; returns (X, y, w_true)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    w_true = np.zeros(n_features)
    w_true[:n_informative] = rng.uniform(1, 3, n_informative) * rng.choice([-1, 1], n_informative)
    y = X @ w_true + noise * rng.normal(size=n_samples)
    return X, y, w_true


def _smooth_gradient(X: Array, y: Array, w: Array) -> Array:
    """Gradient of ||y - Xw||^2 / (2n)."""
    return -(X.T @ (y - X @ w)) / X.shape[0]


def lipschitz_constant(X: Array) -> float:
    """L = sigma_max(X)^2 / n, the Lipschitz constant of the data term's gradient."""
    return float(np.linalg.norm(X, 2) ** 2 / X.shape[0])


def objective(X: Array, y: Array, w: Array, *, alpha: float, l1_ratio: float = 1.0) -> float:
    """F(w) in scikit-learn's scaling."""
    r = y - X @ w
    return float(r @ r / (2 * X.shape[0]) + mm.elastic_net(w, alpha=alpha, l1_ratio=l1_ratio))


def kkt_violation(X: Array, y: Array, w: Array, *, alpha: float, l1_ratio: float = 1.0) -> float:
    r"""Largest violation of :math:`0 \in \nabla f(w) + \partial g(w)`, coordinate-wise.

    With :math:`c = X^\top(y - Xw)/n - \alpha(1-\rho)w` the conditions are
    :math:`c_j = \alpha\rho\,\operatorname{sign}(w_j)` where :math:`w_j \ne 0`
    and :math:`|c_j| \le \alpha\rho` where :math:`w_j = 0`.
    """
    lam1, lam2 = alpha * l1_ratio, alpha * (1 - l1_ratio)
    c = X.T @ (y - X @ w) / X.shape[0] - lam2 * w
    off_support = np.maximum(np.abs(c) - lam1, 0.0)
    on_support = np.abs(c - lam1 * np.sign(w))
    return float(np.max(np.where(w != 0, on_support, off_support), initial=0.0))


def _prox_step(X: Array, y: Array, point: Array, step: float, alpha: float,
               l1_ratio: float) -> Array:
    """Forward (gradient) step on the data term, backward (prox) step on the penalty."""
    forward = point - step * _smooth_gradient(X, y, point)
    return np.asarray(mm.prox_elastic_net(forward, step, alpha=alpha, l1_ratio=l1_ratio))


def ista(X: Array, y: Array, *, alpha: float, l1_ratio: float = 1.0, tol: float = 1e-12,
         max_iter: int = 100_000) -> ProxGradResult:
    """ISTA: w <- prox_{g/L}(w - grad f(w) / L), from w = 0.

    Stops when the gradient mapping L ||w_new - w||_inf <= tol (a KKT
    residual bound); O(1/k) in general, linear when F is strongly convex.
    """
    step = 1 / lipschitz_constant(X)
    w = np.zeros(X.shape[1])
    for k in range(1, max_iter + 1):
        w_new = _prox_step(X, y, w, step, alpha, l1_ratio)
        done = np.max(np.abs(w_new - w), initial=0.0) / step <= tol
        w = w_new
        if done:
            return ProxGradResult(w, k, True, kkt_violation(X, y, w, alpha=alpha,
                                                            l1_ratio=l1_ratio))
    return ProxGradResult(w, max_iter, False, kkt_violation(X, y, w, alpha=alpha,
                                                            l1_ratio=l1_ratio))


def fista(X: Array, y: Array, *, alpha: float, l1_ratio: float = 1.0, tol: float = 1e-12,
          max_iter: int = 100_000, restart: bool = True) -> ProxGradResult:
    """FISTA [BT09]_: the prox step at an extrapolated point, O(1/k^2).

    ``restart=True`` resets the momentum whenever it points uphill
    (gradient-based adaptive restart of [OC15]_), which restores linear
    convergence on strongly convex problems.  Same stopping rule as :func:`ista`
    (the gradient mapping at the extrapolated point).
    """
    step = 1 / lipschitz_constant(X)
    w = z = np.zeros(X.shape[1])
    momentum = 1.0
    for k in range(1, max_iter + 1):
        w_new = _prox_step(X, y, z, step, alpha, l1_ratio)
        if np.max(np.abs(w_new - z), initial=0.0) / step <= tol:
            return ProxGradResult(w_new, k, True, kkt_violation(X, y, w_new, alpha=alpha,
                                                                l1_ratio=l1_ratio))
        if restart and float((z - w_new) @ (w_new - w)) > 0:
            momentum = 1.0
        next_momentum = (1 + np.sqrt(1 + 4 * momentum**2)) / 2
        z = w_new + ((momentum - 1) / next_momentum) * (w_new - w)
        w, momentum = w_new, next_momentum
    return ProxGradResult(w, max_iter, False, kkt_violation(X, y, w, alpha=alpha,
                                                            l1_ratio=l1_ratio))


def main() -> None:
    """Solve a small lasso and elastic net with both methods and print a summary."""
    X, y, w_true = make_regression()
    for l1_ratio in (1.0, 0.5):
        for solver in (ista, fista):
            res = solver(X, y, alpha=0.1, l1_ratio=l1_ratio)
            print(f"{solver.__name__:5s} l1_ratio={l1_ratio}: {res.n_iter:5d} iterations, "
                  f"KKT violation {res.kkt:.1e}, F = "
                  f"{objective(X, y, res.coef, alpha=0.1, l1_ratio=l1_ratio):.12f}, "
                  f"support {np.flatnonzero(res.coef).tolist()}")
    print(f"true support {np.flatnonzero(w_true).tolist()}")


if __name__ == "__main__":
    main()

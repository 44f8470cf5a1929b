"""Derivations for ``mlmath.penalties``: gradients, subgradients, proximal operators.

Conventions follow the API: ``squared_l2(w) = sum w^2`` (no 1/2), so its
gradient is ``2 w``; ``elastic_net = alpha (l1_ratio |w|_1 + (1 - l1_ratio)|w|^2 / 2)``
(scikit-learn); ``prox_f(x, t) = argmin_u f(u) + (u - x)^2 / (2 t)``.
Everything is separable, so one coordinate is derived (vectors apply it
elementwise).  The proximal operators are *solved* from the optimality
condition ``0 in df(u) + (u - x)/t`` on each smooth piece (``u > 0``,
``u < 0``) plus the kink ``u = 0``, keeping a piece only where its solution is
consistent with the piece's sign.  A piecewise identity is checked on every
region of ``x`` around its threshold ``c`` by substituting a point of the region
written with positive symbols (``x = c + r``, ``x = -c - r``, ``x = +-a`` with
``c = a + r``, ``x = 0``, ``x = +-c``), so SymPy decides every branch condition.
"""

from __future__ import annotations

import sympy as sp

from ._core import Derivation, DerivationError, require_equal, vector_symbols

__all__ = [
    "derivations",
    "elastic_net_subgradient",
    "huber_derivative",
    "huber_moreau_envelope",
    "l1_subgradient",
    "prox_elastic_net",
    "prox_group_lasso",
    "prox_huber",
    "prox_l1",
    "prox_sparse_group_lasso",
    "prox_squared_l2",
    "squared_l2_grad",
]

N = 3
X = sp.Symbol("x", real=True)
U = sp.Symbol("u", real=True)
T = sp.Symbol("t", positive=True)
DELTA = sp.Symbol("delta", positive=True)
ALPHA = sp.Symbol("alpha", positive=True)
RHO = sp.Symbol("rho", nonnegative=True)  # l1_ratio in [0, 1]
_R = sp.Symbol("r", positive=True)
_A = sp.Symbol("a", positive=True)


def _soft_threshold(x: sp.Expr, threshold: sp.Expr) -> sp.Expr:
    """``sign(x) max(|x| - threshold, 0)``: the closed form the library implements."""
    return sp.sign(x) * sp.Max(sp.Abs(x) - threshold, 0)


def _require_on_regions(lhs: sp.Expr, rhs: sp.Expr, threshold: sp.Symbol,
                        statement: str) -> str:
    """Check ``lhs == rhs`` on every region of ``x`` around the threshold ``c > 0``.

    Regions: ``x > c``, ``x < -c``, ``0 < x < c``, ``-c < x < 0`` (written as
    ``x = +-a``, ``c = a + r``), ``x = 0`` and the boundaries ``x = +-c``; with
    ``a, r > 0`` SymPy decides every branch condition of the Piecewise.
    """
    regions = [{X: threshold + _R}, {X: -threshold - _R}, {X: _A, threshold: _A + _R},
               {X: -_A, threshold: _A + _R}, {X: 0}, {X: threshold}, {X: -threshold}]
    for subs in regions:
        a, b = lhs.subs(subs), rhs.subs(subs)
        if sp.simplify(a - b) != 0:
            raise DerivationError(f"{statement}: at {subs}: {a} != {b}")
    return statement


def squared_l2_grad() -> Derivation:
    """d/dw sum w^2 = 2 w."""
    w = vector_symbols("w", N)
    f = sp.Add(*[wi**2 for wi in w])
    grad = sp.Matrix([sp.diff(f, wi) for wi in w])
    check = require_equal(grad, 2 * sp.Matrix(w), "d sum(w^2)/dw = 2 w")
    return Derivation("squared_l2_grad", "gradient of squared_l2(w) = sum w^2", f, grad,
                      (("w", w),), (check,))


def l1_subgradient() -> Derivation:
    """d|w|/dw = sign(w) for w != 0; the minimum-norm subgradient at 0 is 0 = sign(0)."""
    w = vector_symbols("w", N)
    f = sp.Add(*[sp.Abs(wi) for wi in w])
    grad = sp.Matrix([sp.diff(f, wi) for wi in w])
    check = require_equal(grad, sp.Matrix([sp.sign(wi) for wi in w]),
                          "d|w_i|/dw_i = sign(w_i) (w_i != 0)")
    # At 0 the subdifferential is [-1, 1]; its minimum-norm element 0 equals sign(0).
    at_zero = "min-norm element of [-1, 1] (the subdifferential at 0) is 0 = sign(0)"
    if sp.sign(0) != 0:
        raise DerivationError(at_zero)
    return Derivation("l1_subgradient", "subgradient of l1(w) = sum |w| away from 0", f, grad,
                      (("w", w),), (check, at_zero))


def elastic_net_subgradient() -> Derivation:
    """alpha (rho sign(w) + (1 - rho) w) for w != 0 (0 term of sign at w = 0, min-norm)."""
    w = sp.Symbol("w", real=True)
    f = ALPHA * (RHO * sp.Abs(w) + (1 - RHO) * w**2 / 2)
    grad = sp.diff(f, w)
    closed = ALPHA * (RHO * sp.sign(w) + (1 - RHO) * w)
    check = require_equal(grad, closed, "d/dw = alpha (l1_ratio sign(w) + (1 - l1_ratio) w)")
    return Derivation("elastic_net_subgradient",
                      "subgradient of elastic_net for one coordinate w != 0",
                      f, grad, (("w", w), ("alpha", ALPHA), ("l1_ratio", RHO)), (check,),
                      (("closed form", closed),))


def huber_function(x: sp.Expr, delta: sp.Expr) -> sp.Expr:
    """The definition: ``x^2/2`` for ``|x| <= delta``, ``delta (|x| - delta/2)`` elsewhere."""
    return sp.Piecewise((x**2 / 2, sp.Abs(x) <= delta), (delta * (sp.Abs(x) - delta / 2), True))


def huber_derivative() -> Derivation:
    """huber'(x) = clip(x, -delta, delta); value and slope are continuous at |x| = delta."""
    f = huber_function(X, DELTA)
    derivative = sp.diff(f, X)
    closed = sp.Min(sp.Max(X, -DELTA), DELTA)
    checks = [_require_on_regions(derivative, closed, DELTA,
                                  "huber'(x) = clip(x, -delta, delta) on each piece")]
    for side in (DELTA, -DELTA):
        inner, outer = f.args[0][0], f.args[1][0]
        d_inner, d_outer = sp.diff(inner, X), sp.diff(outer, X)
        if sp.simplify((inner - outer).subs(X, side)) != 0 or \
                sp.simplify((d_inner - d_outer).subs(X, side)) != 0:
            raise DerivationError(f"huber is not C^1 at x = {side}")
        checks.append(f"pieces agree in value and slope at x = {side} (huber is C^1)")
    return Derivation("huber_derivative", "derivative of the Huber function (one coordinate)",
                      f, derivative, (("x", X), ("delta", DELTA)), tuple(checks),
                      (("closed form", closed),))


def _solve_prox(penalty_pieces: list[tuple[sp.Expr, str]], t: sp.Expr
                ) -> tuple[sp.Piecewise, tuple[str, ...]]:
    """Solve ``0 = f'(u) + (u - x)/t`` on each smooth piece; ``u = 0`` elsewhere.

    ``penalty_pieces`` are ``(f on the piece, "u > 0" or "u < 0")``.  A piece's
    stationary point ``u*`` is kept where it satisfies the piece's sign; where
    no piece is consistent the minimiser is the kink ``u = 0`` (the objective
    is convex, so the stationary point of a consistent piece is the minimiser).
    Returns the Piecewise minimiser and one statement per step.
    """
    branches, steps = [], []
    for piece, sign in penalty_pieces:
        stationary = sp.Eq(sp.diff(piece, U) + (U - X) / t, 0)
        (u_star,) = sp.solve(stationary, U)
        consistent = u_star > 0 if sign == "u > 0" else u_star < 0
        branches.append((u_star, consistent))
        steps.append(f"{sign}: {stationary.lhs} = 0 gives u = {u_star}, kept where {consistent}")
    branches.append((sp.Integer(0), True))
    steps.append("u = 0 where neither piece is consistent")
    return sp.Piecewise(*branches), tuple(steps)


def prox_l1() -> Derivation:
    """prox of |u| with step t: soft thresholding ``sign(x) max(|x| - t, 0)``."""
    objective = sp.Abs(U) + (U - X) ** 2 / (2 * T)
    prox, steps = _solve_prox([(U, "u > 0"), (-U, "u < 0")], T)
    closed = _soft_threshold(X, T)
    check = _require_on_regions(prox, closed, T,
                                "prox = sign(x) max(|x| - t, 0) on every region")
    return Derivation("prox_l1", "prox_l1(x, t) = argmin_u |u| + (u - x)^2/(2t)",
                      objective, prox, (("x", X), ("t", T)),
                      (*steps, check),
                      (("closed form", closed),))


def prox_squared_l2() -> Derivation:
    """prox of u^2 (no 1/2) with step t: ``x / (1 + 2 t)``."""
    objective = U**2 + (U - X) ** 2 / (2 * T)
    (prox,) = sp.solve(sp.Eq(sp.diff(objective, U), 0), U)
    convex = sp.diff(objective, U, 2)
    if not sp.simplify(convex).is_positive:
        raise DerivationError("objective of prox_squared_l2 is not strictly convex")
    check = require_equal(prox, X / (1 + 2 * T), "prox = x / (1 + 2t)")
    return Derivation("prox_squared_l2", "prox_squared_l2(x, t) = argmin_u u^2 + (u - x)^2/(2t)",
                      objective, prox, (("x", X), ("t", T)),
                      (f"second derivative {convex} > 0: the stationary point is the minimiser",
                       check))


def prox_elastic_net() -> Derivation:
    """prox of the elastic net: ``soft(x, t alpha rho) / (1 + t alpha (1 - rho))``."""
    ridge = ALPHA * (1 - RHO) * U**2 / 2
    objective = ALPHA * RHO * sp.Abs(U) + ridge + (U - X) ** 2 / (2 * T)
    prox, steps = _solve_prox([(ALPHA * RHO * U + ridge, "u > 0"),
                               (-ALPHA * RHO * U + ridge, "u < 0")], T)
    closed = _soft_threshold(X, T * ALPHA * RHO) / (1 + T * ALPHA * (1 - RHO))
    # Check with the threshold c = t alpha rho as a symbol and 0 < rho < 1 made decidable.
    c, r2 = sp.Symbol("c", positive=True), sp.Symbol("r_2", positive=True)
    in_c = {RHO: 1 / (1 + r2)}
    in_c[T] = c / (ALPHA * in_c[RHO])
    check = _require_on_regions(prox.subs(in_c), closed.subs(in_c), c,
                                "prox = soft(x, t alpha l1_ratio) / (1 + t alpha (1 - l1_ratio))"
                                " (0 < l1_ratio < 1)")
    return Derivation("prox_elastic_net", "prox_elastic_net(x, t, alpha, l1_ratio)",
                      objective, prox, (("x", X), ("t", T), ("alpha", ALPHA), ("l1_ratio", RHO)),
                      (*steps, check), (("closed form", closed),))


def prox_group_lasso() -> Derivation:
    """prox of c ||u||_2 (one group of 2) with step t: ``max(1 - t c / ||x||, 0) x``."""
    x = vector_symbols("x", 2)
    u = vector_symbols("u", 2)
    c = sp.Symbol("c", positive=True)  # group weight: 1, or sqrt(group size)
    lam = sp.Symbol("lambda", positive=True)
    norm = sp.sqrt(sp.Add(*[xi**2 for xi in x]))
    objective = c * sp.sqrt(sp.Add(*[ui**2 for ui in u])) + sp.Add(
        *[(ui - xi) ** 2 for ui, xi in zip(u, x, strict=True)]) / (2 * T)
    # Away from u = 0 the stationarity condition c u/||u|| + (u - x)/t = 0 makes u a
    # positive multiple of x; substitute u = lambda x and solve for lambda.
    on_ray = {ui: lam * xi for ui, xi in zip(u, x, strict=True)}
    gradient = [sp.factor(sp.powsimp(sp.diff(objective, ui).subs(on_ray), force=True))
                for ui in u]
    (lam_star,) = sp.solve(sp.Eq(sp.cancel(gradient[0] / x[0]), 0), lam)
    residual = [sp.simplify(g.subs(lam, lam_star)) for g in gradient]
    if any(r != 0 for r in residual):
        raise DerivationError(f"prox_group_lasso: gradient at u = lambda* x is {residual}")
    prox = sp.Matrix([sp.Piecewise((lam_star * xi, norm > T * c), (0, True)) for xi in x])
    checks = (f"u = lambda x: c u/||u|| + (u - x)/t = 0 gives lambda = {lam_star}, "
              "and the gradient vanishes in both coordinates there",
              require_equal(lam_star * norm, norm - T * c,
                            "lambda ||x|| = ||x|| - t c, so lambda > 0 iff ||x|| > t c"),
              "otherwise u = 0: the subdifferential of c||u|| at 0 is the ball c B(0, 1), "
              "which contains x/t iff ||x|| <= t c")
    return Derivation("prox_group_lasso",
                      "prox of t c ||u||_2, one group of two: argmin_u c||u|| + ||u - x||^2/(2t)",
                      objective, prox, (("x", x), ("t", T), ("c", c)), checks)


def prox_sparse_group_lasso() -> Derivation:
    """prox of the sparse group lasso (one group of 2): soft thresholding, then shrinkage.

    Objective ``alpha (rho ||u||_1 + (1 - rho) c ||u||_2) + ||u - x||^2 / (2t)``.  The
    closed form ``u = max(1 - t alpha (1 - rho) c / ||s||, 0) s`` with ``s = soft(x, t
    alpha rho)`` is checked against the stationarity condition on each region: both
    entries beyond the l1 threshold, one inside it, the whole group shrunk to 0.
    """
    x = vector_symbols("x", 2)
    u = vector_symbols("u", 2)
    c = sp.Symbol("c", positive=True)  # group weight: 1, or sqrt(group size)
    lam1, lam_g = ALPHA * RHO, ALPHA * (1 - RHO)
    objective = (lam1 * sp.Add(*[sp.Abs(ui) for ui in u])
                 + lam_g * c * sp.sqrt(sp.Add(*[ui**2 for ui in u]))
                 + sp.Add(*[(ui - xi) ** 2 for ui, xi in zip(u, x, strict=True)]) / (2 * T))
    s = [_soft_threshold(xi, T * lam1) for xi in x]
    s_norm = sp.sqrt(s[0] ** 2 + s[1] ** 2)
    prox = sp.Matrix([sp.Piecewise(((1 - T * lam_g * c / s_norm) * si, s_norm > T * lam_g * c),
                                   (0, True)) for si in s])
    # Region A: x_i = t alpha rho + r_i with r_i > 0, and ||r|| > t alpha (1 - rho) c
    # (u = lambda r, lambda > 0, so u / ||u|| = r / ||r|| and |u_i| = u_i).
    r = vector_symbols("r", 2, positive=True)
    r_norm = sp.sqrt(r[0] ** 2 + r[1] ** 2)
    lam = 1 - T * lam_g * c / r_norm
    stationary_a = [lam1 + lam_g * c * ri / r_norm + (lam * ri - (T * lam1 + ri)) / T
                    for ri in r]
    check_a = require_equal(sp.Matrix(stationary_a), sp.zeros(2, 1),
                            "both entries beyond t alpha rho (x_i = t alpha rho + r_i): "
                            "u = (1 - t alpha (1 - rho) c / ||r||) r makes alpha rho + "
                            "alpha (1 - rho) c u_i/||u|| + (u_i - x_i)/t vanish")
    # Region B: x_0 = t alpha rho + r_0, |x_1| <= t alpha rho: s = (r_0, 0), u = (r_0 -
    # t alpha (1 - rho) c, 0) when r_0 > t alpha (1 - rho) c.
    u0 = r[0] - T * lam_g * c
    check_b = require_equal(lam1 + lam_g * c + (u0 - (T * lam1 + r[0])) / T, 0,
                            "one entry inside the l1 threshold: u = (r_0 - t alpha (1 - rho) "
                            "c, 0); coordinate 0 is stationary (u_0/||u|| = 1), and at "
                            "u_1 = 0 the group part vanishes, so x_1/t must lie in alpha rho "
                            "[-1, 1]: exactly |x_1| <= t alpha rho")
    check_c = ("||s|| <= t alpha (1 - rho) c: u = 0, since x/t = (x - s)/t + s/t with "
               "(x - s)/t = alpha rho clip(x / (t alpha rho), -1, 1) in alpha rho [-1, 1]^2 "
               "and ||s/t|| <= alpha (1 - rho) c: x/t is in the subdifferential at 0")
    return Derivation("prox_sparse_group_lasso",
                      "prox of t alpha (rho ||u||_1 + (1 - rho) c ||u||_2), one group of two",
                      objective, prox,
                      (("x", x), ("t", T), ("alpha", ALPHA), ("l1_ratio", RHO), ("c", c)),
                      (check_a, check_b, check_c),
                      (("soft-thresholded s", sp.Matrix(s)),))


def huber_moreau_envelope() -> Derivation:
    """min_u delta |u| + (u - x)^2 / 2 equals huber(x, delta) (Moreau envelope, parameter 1)."""
    # prox of delta |.| with step 1 is prox_l1(x, t = delta): reuse the derived minimiser.
    minimiser = prox_l1().result.subs(T, DELTA)
    objective = DELTA * sp.Abs(U) + (U - X) ** 2 / 2
    # Evaluate the objective at the minimiser branch by branch; ``refine`` resolves
    # |u*| with the branch condition (e.g. |x - delta| = x - delta where x > delta).
    envelope = sp.Piecewise(*[
        (sp.factor(sp.refine(objective.subs(U, u_star), cond)), cond)
        for u_star, cond in minimiser.args])
    check = _require_on_regions(envelope, huber_function(X, DELTA), DELTA,
                                "envelope(x) = huber(x, delta) on every region")
    return Derivation("huber_moreau_envelope",
                      "Moreau envelope of delta |u| (parameter 1) is the Huber function",
                      objective, envelope, (("x", X), ("delta", DELTA)),
                      ("minimiser u* = prox_l1(x, delta) (derived in prox_l1 with t = delta)",
                       check), (("Huber function", huber_function(X, DELTA)),))


def prox_huber() -> Derivation:
    """prox of tau huber_delta: ``x / (1 + tau)`` inside ``|x| <= delta (1 + tau)``, else
    ``x - tau delta sign(x)``; the stationary point of each piece, kept where consistent."""
    objective = huber_function(U, DELTA) + (U - X) ** 2 / (2 * T)
    (inner,) = sp.solve(sp.Eq(U + (U - X) / T, 0), U)
    (right,) = sp.solve(sp.Eq(DELTA + (U - X) / T, 0), U)
    (left,) = sp.solve(sp.Eq(-DELTA + (U - X) / T, 0), U)
    prox = sp.Piecewise((inner, sp.Abs(inner) <= DELTA), (right, right > DELTA), (left, True))
    closed = sp.Piecewise((X / (1 + T), sp.Abs(X) <= DELTA * (1 + T)),
                          (X - T * DELTA * sp.sign(X), True))
    # the kink of the prox is at c = delta (1 + t): check with c as the symbol
    c = sp.Symbol("c", positive=True)
    in_c = {DELTA: c / (1 + T)}
    check = _require_on_regions(prox.subs(in_c), closed.subs(in_c), c,
                                "prox = x/(1+t) for |x| <= delta(1+t), x - t delta sign(x) else")
    steps = (f"|u| <= delta: u + (u - x)/t = 0 gives u = {inner}, kept where |u| <= delta",
             f"u > delta: delta + (u - x)/t = 0 gives u = {right}, kept where u > delta",
             f"u < -delta: -delta + (u - x)/t = 0 gives u = {left}")
    return Derivation("prox_huber", "prox_huber(x, tau, delta) = argmin_u huber_delta(u) + "
                      "(u - x)^2/(2 tau)", objective, prox,
                      (("x", X), ("tau", T), ("delta", DELTA)), (*steps, check),
                      (("closed form", closed),))


def derivations() -> list[Derivation]:
    """All derivations of this topic, in the order they are written out."""
    return [
        squared_l2_grad(),
        l1_subgradient(),
        elastic_net_subgradient(),
        huber_derivative(),
        prox_l1(),
        prox_squared_l2(),
        prox_elastic_net(),
        prox_group_lasso(),
        prox_sparse_group_lasso(),
        huber_moreau_envelope(),
        prox_huber(),
    ]

"""Derivations for ``mlmath.special``: gradients, Jacobians and the Hessian of logsumexp.

Every function starts from the definition (``log sum exp``, ``exp(z_i) / sum
exp``, ``1 / (1 + exp(-x))``), differentiates with SymPy, and verifies the
closed form the library relies on.  The positive semi-definiteness of the
logsumexp Hessian is proved for n = 2 and 3 twice: every principal minor is a
polynomial with non-negative coefficients in s (on the simplex), and an
explicit Gram factor ``B^T B`` reproduces the Hessian.
"""

from __future__ import annotations

import itertools

import sympy as sp

from ._core import (
    Derivation,
    require_equal,
    require_nonnegative_polynomial,
    vector_symbols,
)

__all__ = [
    "derivations",
    "hessian_psd_certificate",
    "log_sigmoid_derivative",
    "log_softmax_jacobian",
    "logsumexp",
    "logsumexp_grad",
    "logsumexp_hessian",
    "sigmoid_derivative",
    "softmax",
    "softmax_jacobian",
    "softplus_derivative",
]

#: Number of classes of the concrete gradients and Jacobians.
N_CLASSES = 3


def logsumexp(z: list[sp.Symbol]) -> sp.Expr:
    """The definition ``log sum_j exp(z_j)``."""
    return sp.log(sp.Add(*[sp.exp(zj) for zj in z]))


def softmax(z: list[sp.Symbol]) -> sp.Matrix:
    """The definition ``s_i = exp(z_i) / sum_j exp(z_j)`` as a column."""
    total = sp.Add(*[sp.exp(zj) for zj in z])
    return sp.Matrix([sp.exp(zi) / total for zi in z])


def softmax_jacobian_formula(s: sp.Matrix) -> sp.Matrix:
    """The closed form ``diag(s) - s s^T``."""
    return sp.diag(*s) - s * s.T


def logsumexp_grad(n: int = N_CLASSES) -> Derivation:
    """d logsumexp(z) / dz_i = softmax(z)_i."""
    z = vector_symbols("z", n)
    lse = logsumexp(z)
    grad = sp.Matrix([sp.diff(lse, zi) for zi in z])
    check = require_equal(grad, softmax(z), "d logsumexp(z)/dz = softmax(z)")
    return Derivation("logsumexp_grad", "gradient of logsumexp: d lse(z)/dz_i", lse, grad,
                      (("x", z),), (check,))


def softmax_jacobian(n: int = N_CLASSES) -> Derivation:
    """J_ij = d s_i / d z_j = diag(s) - s s^T."""
    z = vector_symbols("z", n)
    s = softmax(z)
    jac = s.jacobian(z)
    check = require_equal(jac, softmax_jacobian_formula(s), "J = diag(s) - s s^T")
    return Derivation("softmax_jacobian", "Jacobian of softmax: J_ij = d s_i / d z_j", s, jac,
                      (("x", z),), (check,))


def log_softmax_jacobian(n: int = N_CLASSES) -> Derivation:
    """d log s_i / d z_j = delta_ij - s_j, i.e. I - 1 s^T."""
    z = vector_symbols("z", n)
    log_s = sp.Matrix([zi - logsumexp(z) for zi in z])
    jac = log_s.jacobian(z)
    s = softmax(z)
    formula = sp.eye(n) - sp.ones(n, 1) * s.T
    checks = (
        require_equal(log_s, s.applyfunc(sp.log), "log_softmax(z) = log(softmax(z))"),
        require_equal(jac, formula, "d log s_i / d z_j = delta_ij - s_j"),
    )
    return Derivation("log_softmax_jacobian", "Jacobian of log_softmax: d log s_i / d z_j",
                      log_s, jac, (("x", z),), checks)


def hessian_psd_certificate(
    hessian_in_s: sp.Matrix, s: list[sp.Symbol], scale: sp.Expr | None = None
) -> tuple[tuple[str, ...], tuple[tuple[str, sp.Expr], ...]]:
    """Prove ``hessian_in_s`` (a function of s on the simplex) is positive semi-definite.

    Two independent certificates, both checked symbolically:

    * every principal minor, after substituting ``1 = sum s``, expands to a
      polynomial with non-negative coefficients in ``s`` (and ``scale``), hence
      is >= 0 for s >= 0 (Sylvester's criterion for semi-definiteness needs
      *all* principal minors, not only the leading ones);
    * the Gram factor ``B`` with one row ``sqrt(scale s_i s_j) (e_i - e_j)`` per
      pair i < j satisfies ``B^T B = H``, so ``x^T H x = |B x|^2 >= 0``.
    """
    n = len(s)
    scale = sp.Integer(1) if scale is None else scale
    variables = [*s, *sorted(scale.free_symbols, key=sp.default_sort_key)]
    checks: list[str] = []
    extras: list[tuple[str, sp.Expr]] = []
    for size in range(1, n + 1):
        for rows in itertools.combinations(range(n), size):
            minor = hessian_in_s.extract(list(rows), list(rows)).det()
            homogeneous = sp.expand(_homogenise(sp.expand(minor), s))
            label = f"principal minor {tuple(i for i in rows)}"
            checks.append(require_nonnegative_polynomial(
                homogeneous, variables, f"{label} = {homogeneous} >= 0 on the simplex"))
            extras.append((label, sp.factor(homogeneous)))
    gram_rows = []
    for i, j in itertools.combinations(range(n), 2):
        e = [0] * n
        e[i], e[j] = 1, -1
        gram_rows.append([sp.sqrt(scale * s[i] * s[j]) * c for c in e])
    gram = sp.Matrix(gram_rows)
    gram_identity = sp.expand(_homogenise_matrix(sp.expand(hessian_in_s), s) - gram.T * gram)
    factor = "s_i s_j" if scale == 1 else f"{scale} s_i s_j"
    checks.append(require_equal(gram_identity, sp.zeros(n, n),
                                f"H = B^T B, B has rows sqrt({factor}) (e_i - e_j), i < j"))
    extras.append(("Gram factor B", gram))
    return tuple(checks), tuple(extras)


def _homogenise(poly_expr: sp.Expr, s: list[sp.Symbol]) -> sp.Expr:
    """Multiply each monomial by ``(sum s)^k`` so all have the same degree in s.

    On the simplex ``sum s = 1``, so this does not change the value; it turns
    e.g. ``s0 - s0**2`` into ``s0 (s0 + s1 + s2) - s0**2 = s0 s1 + s0 s2``,
    whose coefficients are visibly non-negative.
    """
    poly = sp.Poly(poly_expr, *s)
    if poly.is_zero:
        return sp.Integer(0)
    degree = poly.total_degree()
    total = sp.Add(*s)
    return sp.Add(*[coeff * sp.Mul(*[si**k for si, k in zip(s, monom, strict=True)])
                    * total ** (degree - sum(monom))
                    for monom, coeff in poly.terms()])


def _homogenise_matrix(m: sp.Matrix, s: list[sp.Symbol]) -> sp.Matrix:
    return m.applyfunc(lambda e: sp.expand(_homogenise(e, s)) if e != 0 else e)


def logsumexp_hessian(n: int) -> Derivation:
    """Hessian of logsumexp = diag(s) - s s^T, positive semi-definite (proved for this n)."""
    z = vector_symbols("z", n)
    lse = logsumexp(z)
    hess = sp.hessian(lse, z)
    s_of_z = softmax(z)
    check = require_equal(hess, softmax_jacobian_formula(s_of_z), "H = diag(s) - s s^T")
    s = vector_symbols("s", n, nonnegative=True)
    psd_checks, extras = hessian_psd_certificate(softmax_jacobian_formula(sp.Matrix(s)), s)
    return Derivation(f"logsumexp_hessian_n{n}", f"Hessian of logsumexp, n = {n}", lse, hess,
                      (("x", z),), (check, *psd_checks),
                      (("H in terms of s = softmax(z)", softmax_jacobian_formula(sp.Matrix(s))),
                       *extras))


def _scalar_derivative(name: str, title: str, definition: sp.Expr, x: sp.Symbol,
                       closed_form: sp.Expr, statement: str) -> Derivation:
    derivative = sp.diff(definition, x)
    check = require_equal(derivative, closed_form, statement)
    return Derivation(name, title, definition, derivative, (("x", x),), (check,),
                      (("closed form", closed_form),))


def sigmoid_derivative() -> Derivation:
    """sigma'(x) = sigma(x) (1 - sigma(x))."""
    x = sp.Symbol("x", real=True)
    sigma = 1 / (1 + sp.exp(-x))
    return _scalar_derivative("sigmoid_derivative", "d sigmoid(x)/dx", sigma, x,
                              sigma * (1 - sigma), "sigma' = sigma (1 - sigma)")


def log_sigmoid_derivative() -> Derivation:
    """d log sigma(x)/dx = 1 - sigma(x) = sigma(-x)."""
    x = sp.Symbol("x", real=True)
    return _scalar_derivative("log_sigmoid_derivative", "d log_sigmoid(x)/dx",
                              -sp.log(1 + sp.exp(-x)), x, 1 / (1 + sp.exp(x)),
                              "(log sigma)' = sigma(-x)")


def softplus_derivative() -> Derivation:
    """d log(1 + e^x)/dx = sigma(x)."""
    x = sp.Symbol("x", real=True)
    return _scalar_derivative("softplus_derivative", "d softplus(x)/dx",
                              sp.log(1 + sp.exp(x)), x, 1 / (1 + sp.exp(-x)),
                              "softplus' = sigma")


def derivations() -> list[Derivation]:
    """All derivations of this topic, in the order they are written out."""
    return [
        logsumexp_grad(),
        softmax_jacobian(),
        log_softmax_jacobian(),
        logsumexp_hessian(2),
        logsumexp_hessian(3),
        sigmoid_derivative(),
        log_sigmoid_derivative(),
        softplus_derivative(),
    ]

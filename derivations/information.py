"""Derivations for ``mlmath.information``: gradients of entropy, cross-entropy, KL and JS.

The measures are differentiated as functions of independent components
(``p_i, q_i > 0``, nats).  On the probability simplex only directional
derivatives along tangent directions ``d`` (``sum d = 0``) are meaningful;
they equal ``grad . d``, so a constant added to every component (the ``+ 1``
of ``dH/dp``) does not matter there.  In base ``b`` divide by ``log b``.
"""

from __future__ import annotations

import sympy as sp

from ._core import Derivation, require_equal, vector_symbols

__all__ = [
    "binary_entropy_derivative",
    "cross_entropy_grad_p",
    "cross_entropy_grad_q",
    "derivations",
    "entropy_grad_p",
    "js_divergence_grad_p",
    "kl_divergence_grad_p",
    "kl_divergence_grad_q",
]

#: Number of outcomes of the concrete distributions.
N_OUTCOMES = 3


def _pq() -> tuple[list[sp.Symbol], list[sp.Symbol]]:
    return (vector_symbols("p", N_OUTCOMES, positive=True),
            vector_symbols("q", N_OUTCOMES, positive=True))


def _pairs(p: list[sp.Expr], q: list[sp.Expr]) -> list[tuple[sp.Expr, sp.Expr]]:
    return list(zip(p, q, strict=True))


def entropy(p: list[sp.Symbol]) -> sp.Expr:
    """``H(p) = -sum p_i log p_i``."""
    return -sp.Add(*[pi * sp.log(pi) for pi in p])


def cross_entropy(p: list[sp.Symbol], q: list[sp.Symbol]) -> sp.Expr:
    """``H(p, q) = -sum p_i log q_i``."""
    return -sp.Add(*[pi * sp.log(qi) for pi, qi in _pairs(p, q)])


def kl_divergence(p: list[sp.Symbol], q: list[sp.Symbol]) -> sp.Expr:
    """``KL(p || q) = sum p_i log(p_i / q_i)``."""
    return sp.Add(*[pi * sp.log(pi / qi) for pi, qi in _pairs(p, q)])


def js_divergence(p: list[sp.Symbol], q: list[sp.Symbol]) -> sp.Expr:
    """``JS(p, q) = KL(p || m)/2 + KL(q || m)/2`` with ``m = (p + q)/2``."""
    m = [(pi + qi) / 2 for pi, qi in _pairs(p, q)]
    return (kl_divergence(p, m) + kl_divergence(q, m)) / 2


def _gradient(name: str, title: str, definition: sp.Expr, wrt: list[sp.Symbol],
              args: tuple[tuple[str, list[sp.Symbol]], ...], closed_form: sp.Matrix,
              statement: str) -> Derivation:
    grad = sp.Matrix([sp.diff(definition, x) for x in wrt])
    check = require_equal(grad, closed_form, statement)
    return Derivation(name, title, definition, grad, args, (check,),
                      (("closed form", closed_form),))


def entropy_grad_p() -> Derivation:
    """dH(p)/dp_i = -log p_i - 1."""
    p, _ = _pq()
    return _gradient("entropy_grad_p", "dH(p)/dp_i", entropy(p), p, (("p", p),),
                     sp.Matrix([-sp.log(pi) - 1 for pi in p]), "dH/dp_i = -log p_i - 1")


def cross_entropy_grad_p() -> Derivation:
    """dH(p, q)/dp_i = -log q_i."""
    p, q = _pq()
    return _gradient("cross_entropy_grad_p", "dH(p, q)/dp_i", cross_entropy(p, q), p,
                     (("p", p), ("q", q)), sp.Matrix([-sp.log(qi) for qi in q]),
                     "dH(p, q)/dp_i = -log q_i")


def cross_entropy_grad_q() -> Derivation:
    """dH(p, q)/dq_i = -p_i / q_i."""
    p, q = _pq()
    return _gradient("cross_entropy_grad_q", "dH(p, q)/dq_i", cross_entropy(p, q), q,
                     (("p", p), ("q", q)), sp.Matrix([-pi / qi for pi, qi in _pairs(p, q)]),
                     "dH(p, q)/dq_i = -p_i / q_i")


def kl_divergence_grad_p() -> Derivation:
    """dKL(p || q)/dp_i = log(p_i / q_i) + 1."""
    p, q = _pq()
    return _gradient("kl_divergence_grad_p", "dKL(p || q)/dp_i", kl_divergence(p, q), p,
                     (("p", p), ("q", q)),
                     sp.Matrix([sp.log(pi / qi) + 1 for pi, qi in _pairs(p, q)]),
                     "dKL/dp_i = log(p_i / q_i) + 1")


def kl_divergence_grad_q() -> Derivation:
    """dKL(p || q)/dq_i = -p_i / q_i (the same as for the cross-entropy)."""
    p, q = _pq()
    return _gradient("kl_divergence_grad_q", "dKL(p || q)/dq_i", kl_divergence(p, q), q,
                     (("p", p), ("q", q)), sp.Matrix([-pi / qi for pi, qi in _pairs(p, q)]),
                     "dKL/dq_i = -p_i / q_i")


def js_divergence_grad_p() -> Derivation:
    """dJS(p, q)/dp_i = log(2 p_i / (p_i + q_i)) / 2 (the ``+1`` terms cancel)."""
    p, q = _pq()
    return _gradient("js_divergence_grad_p", "dJS(p, q)/dp_i", js_divergence(p, q), p,
                     (("p", p), ("q", q)),
                     sp.Matrix([sp.log(2 * pi / (pi + qi)) / 2 for pi, qi in _pairs(p, q)]),
                     "dJS/dp_i = log(p_i / m_i) / 2")


def binary_entropy_derivative() -> Derivation:
    """d/dp [-p log p - (1 - p) log(1 - p)] = log((1 - p) / p)."""
    p = sp.Symbol("p", positive=True)
    h = -p * sp.log(p) - (1 - p) * sp.log(1 - p)
    derivative = sp.diff(h, p)
    closed = sp.log(1 - p) - sp.log(p)
    check = require_equal(derivative, closed, "H_b'(p) = log((1 - p)/p)")
    return Derivation("binary_entropy_derivative", "d H_b(p)/dp", h, derivative, (("p", p),),
                      (check,), (("closed form", closed),))


def derivations() -> list[Derivation]:
    """All derivations of this topic, in the order they are written out."""
    return [
        entropy_grad_p(),
        cross_entropy_grad_p(),
        cross_entropy_grad_q(),
        kl_divergence_grad_p(),
        kl_divergence_grad_q(),
        js_divergence_grad_p(),
        binary_entropy_derivative(),
    ]

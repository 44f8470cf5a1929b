"""Derivations for ``mlmath.attention``: gradients of scaled dot-product attention.

Concrete sizes ``Lq = 2``, ``Lk = 3``, ``d = dv = 2`` with a symbolic ``scale``:
``out = P v`` with ``P = softmax(scale * q k^T)`` (row-wise).  For an upstream
gradient ``G = dL/d out`` the scalar ``L = sum(G * out)`` is differentiated
element by element with respect to every entry of ``q``, ``k`` and ``v``; the
result is the vector-Jacobian product the library's
``scaled_dot_product_attention_grad`` returns (it is linear in ``G``, so it
holds the whole Jacobian ``d out / d q`` etc.).  The general matrix formulas

    dV = P^T G,   dP = G v^T,   dS = P * (dP - rowsum(P * dP)),
    dq = scale * dS k,   dk = scale * dS^T q

are checked entry by entry against the element-wise derivatives.
"""

from __future__ import annotations

import sympy as sp

from derivations._core import Derivation, matrix_symbols, require_equal
from derivations.special import softmax

__all__ = ["attention_grads", "derivations", "general_formulas"]

L_Q, L_K, D, D_V = 2, 3, 2, 2


def _symbols() -> tuple[sp.Matrix, sp.Matrix, sp.Matrix, sp.Matrix, sp.Symbol]:
    return (sp.Matrix(matrix_symbols("q", L_Q, D)), sp.Matrix(matrix_symbols("k", L_K, D)),
            sp.Matrix(matrix_symbols("v", L_K, D_V)), sp.Matrix(matrix_symbols("g", L_Q, D_V)),
            sp.Symbol("tau", positive=True))


def attention_weights(q: sp.Matrix, k: sp.Matrix, scale: sp.Symbol) -> sp.Matrix:
    """The definition ``P = softmax(scale * q k^T)``, softmax along each row."""
    scores = scale * q * k.T
    return sp.Matrix([list(softmax(list(scores.row(i)))) for i in range(scores.rows)])


def general_formulas(p: sp.Matrix, q: sp.Matrix, k: sp.Matrix, v: sp.Matrix, g: sp.Matrix,
                     scale: sp.Symbol) -> dict[str, sp.Matrix]:
    """The matrix formulas of the backward pass, given the weights ``p``."""
    dp = g * v.T
    row_dot = sp.Matrix([sum(p[i, j] * dp[i, j] for j in range(p.cols))
                         for i in range(p.rows)])
    ds = sp.Matrix(p.rows, p.cols, lambda i, j: p[i, j] * (dp[i, j] - row_dot[i]))
    return {"q": scale * ds * k, "k": scale * ds.T * q, "v": p.T * g}


def attention_grads() -> list[Derivation]:
    """dL/dq, dL/dk, dL/dv of ``L = sum(G * softmax(scale q k^T) v)``, element-wise."""
    q, k, v, g, scale = _symbols()
    out = attention_weights(q, k, scale) * v
    objective = sp.Add(*[g[i, j] * out[i, j] for i in range(L_Q) for j in range(D_V)])
    formulas = general_formulas(attention_weights(q, k, scale), q, k, v, g, scale)
    weights = sp.Matrix(matrix_symbols("P", L_Q, L_K, positive=True))
    readable = general_formulas(weights, q, k, v, g, scale)
    statements = {
        "q": "dq = scale * dS k, dS = P * (G v^T - rowsum(P * G v^T))",
        "k": "dk = scale * dS^T q",
        "v": "dv = P^T G",
    }
    args = (("q", q.tolist()), ("k", k.tolist()), ("v", v.tolist()),
            ("grad_out", g.tolist()), ("scale", scale))
    result = []
    for name, wrt in (("q", q), ("k", k), ("v", v)):
        grad = wrt.applyfunc(lambda x: sp.diff(objective, x))
        check = require_equal(grad, formulas[name], statements[name])
        result.append(Derivation(
            f"attention_grad_{name}",
            f"dL/d{name} for L = sum(G * out), out = softmax(scale q k^T) v "
            f"(Lq={L_Q}, Lk={L_K}, d={D}, dv={D_V})",
            out, grad, args, (check,),
            (("general matrix formula, with P = softmax(scale q k^T)", readable[name]),)))
    return result


def derivations() -> list[Derivation]:
    """All derivations of this topic, in the order they are written out."""
    return attention_grads()

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

are checked entry by entry against the element-wise derivatives.  The same is
done for two mask patterns (``MASKS``): masked pairs get weight 0 (so
``dS = 0`` there) and a query row with no allowed key outputs 0.
"""

from __future__ import annotations

import sympy as sp

from ._core import Derivation, matrix_symbols, require_equal
from .special import softmax

__all__ = [
    "MASKS",
    "attention_grads",
    "attention_jacobians",
    "attention_weights",
    "derivations",
    "general_formulas",
]

L_Q, L_K, D, D_V = 2, 3, 2, 2


def _symbols() -> tuple[sp.Matrix, sp.Matrix, sp.Matrix, sp.Matrix, sp.Symbol]:
    return (sp.Matrix(matrix_symbols("q", L_Q, D)), sp.Matrix(matrix_symbols("k", L_K, D)),
            sp.Matrix(matrix_symbols("v", L_K, D_V)), sp.Matrix(matrix_symbols("g", L_Q, D_V)),
            sp.Symbol("tau", positive=True))


#: Mask patterns (True = may attend) of the masked derivations: PyTorch's top-left
#: causal pattern, and a mask with a fully masked query row (whose output is 0).
MASKS: dict[str, tuple[tuple[bool, ...], ...]] = {
    "causal": ((True, False, False), (True, True, False)),
    "mask": ((False, False, False), (True, False, True)),
}


def attention_weights(q: sp.Matrix, k: sp.Matrix, scale: sp.Symbol,
                      allowed: tuple[tuple[bool, ...], ...] | None = None) -> sp.Matrix:
    """The definition ``P = softmax(scale * q k^T)`` along each row, over the allowed keys.

    A masked pair gets weight 0; a row with no allowed key is all zeros (the
    empty sum: the library's documented output 0 for such a query).
    """
    scores = scale * q * k.T
    rows = []
    for i in range(scores.rows):
        keys = [j for j in range(scores.cols) if allowed is None or allowed[i][j]]
        s = softmax([scores[i, j] for j in keys]) if keys else []
        rows.append([s[keys.index(j)] if j in keys else sp.Integer(0)
                     for j in range(scores.cols)])
    return sp.Matrix(rows)


def general_formulas(p: sp.Matrix, q: sp.Matrix, k: sp.Matrix, v: sp.Matrix, g: sp.Matrix,
                     scale: sp.Symbol) -> dict[str, sp.Matrix]:
    """The matrix formulas of the backward pass, given the weights ``p``."""
    dp = g * v.T
    row_dot = sp.Matrix([sum(p[i, j] * dp[i, j] for j in range(p.cols))
                         for i in range(p.rows)])
    ds = sp.Matrix(p.rows, p.cols, lambda i, j: p[i, j] * (dp[i, j] - row_dot[i]))
    return {"q": scale * ds * k, "k": scale * ds.T * q, "v": p.T * g}


def attention_grads(mask: str | None = None) -> list[Derivation]:
    """dL/dq, dL/dk, dL/dv of ``L = sum(G * softmax(scale q k^T) v)``, element-wise.

    ``mask`` names a pattern of :data:`MASKS` (None: every key allowed).
    """
    q, k, v, g, scale = _symbols()
    allowed = MASKS[mask] if mask is not None else None
    out = attention_weights(q, k, scale, allowed) * v
    objective = sp.Add(*[g[i, j] * out[i, j] for i in range(L_Q) for j in range(D_V)])
    formulas = general_formulas(attention_weights(q, k, scale, allowed), q, k, v, g, scale)
    symbols = matrix_symbols("P", L_Q, L_K, positive=True)
    weights = sp.Matrix(L_Q, L_K, lambda i, j: symbols[i][j]
                        if allowed is None or allowed[i][j] else 0)
    readable = general_formulas(weights, q, k, v, g, scale)
    statements = {
        "q": "dq = scale * dS k, dS = P * (G v^T - rowsum(P * G v^T))",
        "k": "dk = scale * dS^T q",
        "v": "dv = P^T G",
    }
    args = (("q", q.tolist()), ("k", k.tolist()), ("v", v.tolist()),
            ("grad_out", g.tolist()), ("scale", scale))
    suffix = f"_{mask}" if mask else ""
    where = f", {mask} = {[[int(a) for a in row] for row in allowed]}" if allowed else ""
    result = []
    for name, wrt in (("q", q), ("k", k), ("v", v)):
        grad = wrt.applyfunc(lambda x: sp.diff(objective, x))
        check = require_equal(grad, formulas[name], statements[name])
        result.append(Derivation(
            f"attention_grad_{name}{suffix}",
            f"dL/d{name} for L = sum(G * out), out = softmax(scale q k^T) v "
            f"(Lq={L_Q}, Lk={L_K}, d={D}, dv={D_V}{where})",
            out, grad, args, (check,),
            (("general matrix formula, with P = softmax(scale q k^T)", readable[name]),)))
    return result


def attention_jacobians() -> list[Derivation]:
    """The Jacobians d vec(out) / d vec(q), d vec(k), d vec(v) (row-major vec), element-wise.

    Each is checked against the general backward formulas:
    ``vec(dq) = J_q^T vec(G)`` with ``dq = scale dS k`` etc., for a symbolic ``G``.
    """
    q, k, v, g, scale = _symbols()
    out = attention_weights(q, k, scale) * v
    flat_out = sp.Matrix(list(out))
    flat_g = sp.Matrix(list(g))
    backward = general_formulas(attention_weights(q, k, scale), q, k, v, g, scale)
    args = (("q", q.tolist()), ("k", k.tolist()), ("v", v.tolist()), ("scale", scale))
    result = []
    for name, wrt in (("q", q), ("k", k), ("v", v)):
        jac = flat_out.jacobian(list(wrt))
        check = require_equal(jac.T * flat_g, sp.Matrix(list(backward[name])),
                              f"J_{name}^T vec(G) = vec(d{name}) of the general backward "
                              "formula, for every G")
        result.append(Derivation(
            f"attention_jacobian_{name}",
            f"d vec(out) / d vec({name}), out = softmax(scale q k^T) v "
            f"(Lq={L_Q}, Lk={L_K}, d={D}, dv={D_V}; row-major vec)",
            out, jac, args, (check,)))
    return result


def derivations() -> list[Derivation]:
    """All derivations of this topic, in the order they are written out."""
    return [*attention_grads(), *attention_grads("causal"), *attention_grads("mask"),
            *attention_jacobians()]

"""The record every derivation returns, symbol factories and identity checks.

A derivation is a *pure function* returning a :class:`Derivation`: the
definition it starts from, the result SymPy derived from it (by ``diff``,
``solve`` ...), the ordered arguments (so the result can be lambdified with a
fixed signature), and the identities that were verified while deriving it.  A
failed identity raises :class:`DerivationError`, so ``mlmath derive`` can never
write a result whose stated checks did not hold.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import sympy as sp

__all__ = [
    "Args",
    "Derivation",
    "DerivationError",
    "Nested",
    "flat_symbols",
    "matrix_symbols",
    "require_equal",
    "require_nonnegative_polynomial",
    "vector_symbols",
]

#: A symbol, or a (nested) list of symbols: the shape of one argument.
Nested: TypeAlias = "sp.Symbol | list[Any]"
#: Ordered ``(argument name, symbols)`` pairs: the signature of the lambdified result.
Args: TypeAlias = "tuple[tuple[str, Nested], ...]"
Expression: TypeAlias = "sp.Expr | sp.MatrixBase"


class DerivationError(AssertionError):
    """An identity that a derivation states did not hold symbolically."""


@dataclass(frozen=True)
class Derivation:
    """One derived result.

    Attributes
    ----------
    name : str
        Stable identifier (a key of the generated files), e.g. ``"entropy_grad_p"``.
    title : str
        What is derived, in words and notation, e.g. ``"dH(p)/dp_i"``.
    definition : sympy expression or Matrix
        The definition the derivation starts from (what is differentiated or
        minimised).
    result : sympy expression or Matrix
        The derived quantity, a function of the symbols in ``args`` only.
    args : tuple of (name, symbols)
        The argument order of ``result`` (``sympy.lambdify(flat args, result)``).
    checks : tuple of str
        Identities verified while deriving (each one raised if it failed).
    extras : tuple of (label, expression)
        Supporting expressions shown with the derivation (general formulas,
        principal minors, a Gram factor ...).
    """

    name: str
    title: str
    definition: Expression
    result: Expression
    args: Args
    checks: tuple[str, ...] = ()
    extras: tuple[tuple[str, Expression], ...] = field(default=())

    def __post_init__(self) -> None:
        # Records are cached and shared (derivations.load): store immutable matrices.
        for name in ("definition", "result"):
            object.__setattr__(self, name, _immutable(getattr(self, name)))
        object.__setattr__(self, "extras",
                           tuple((label, _immutable(e)) for label, e in self.extras))

    def arg_symbols(self) -> list[Nested]:
        """The nested symbol lists in argument order (the lambdify signature)."""
        return [symbols for _, symbols in self.args]


def _immutable(expr: Expression) -> Expression:
    return sp.ImmutableMatrix(expr) if isinstance(expr, sp.MatrixBase) else expr


def vector_symbols(name: str, n: int, **assumptions: bool) -> list[sp.Symbol]:
    """``[name_0, ..., name_{n-1}]`` as real symbols (plus ``assumptions``)."""
    assumptions.setdefault("real", True)
    return [sp.Symbol(f"{name}_{i}", **assumptions) for i in range(n)]


def matrix_symbols(name: str, rows: int, cols: int, **assumptions: bool) -> list[list[sp.Symbol]]:
    """``name_{i,j}`` as a nested list of real symbols (row-major)."""
    assumptions.setdefault("real", True)
    return [[sp.Symbol(f"{name}_{{{i},{j}}}", **assumptions) for j in range(cols)]
            for i in range(rows)]


def flat_symbols(nested: Nested) -> list[sp.Symbol]:
    """The symbols of a nested list, in row-major order."""
    if isinstance(nested, sp.Symbol):
        return [nested]
    return [s for item in nested for s in flat_symbols(item)]


def _exp_free(expr: sp.Expr) -> sp.Expr:
    """Replace every ``exp(c * b)`` atom (``c`` rational) by ``E_b ** c``, ``E_b`` positive.

    Derivatives of softmax-type definitions are rational functions of the
    exponentials of the scores; after this substitution ``cancel`` decides
    zero-equivalence exactly and fast (``simplify`` would be slow and heuristic).
    SymPy merges ``exp(z) * exp(z)`` into ``exp(2 z)``, hence the rational power.
    """
    bases: dict[sp.Expr, sp.Dummy] = {}
    replacements = {}
    for atom in sorted(expr.atoms(sp.exp), key=sp.default_sort_key):
        coeff, base = sp.factor_terms(sp.expand(atom.args[0])).as_coeff_Mul()
        if base not in bases:
            bases[base] = sp.Dummy(positive=True)
        replacements[atom] = bases[base] ** coeff
    return expr.xreplace(replacements)


def _is_zero(expr: sp.Expr) -> bool:
    expr = sp.expand_log(expr, force=True)
    if sp.cancel(sp.together(_exp_free(expr))) == 0:
        return True
    return bool(sp.simplify(expr) == 0)


def require_equal(lhs: Expression, rhs: Expression, statement: str) -> str:
    """Verify ``lhs == rhs`` identically (element-wise for matrices); return ``statement``.

    Raises :class:`DerivationError` naming the statement and the first
    non-zero difference.
    """
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        lhs, rhs = sp.Matrix(lhs), sp.Matrix(rhs)
        if lhs.shape != rhs.shape:
            raise DerivationError(f"{statement}: shapes {lhs.shape} != {rhs.shape}")
        pairs: list[tuple[Any, Any]] = list(zip(lhs, rhs, strict=True))
    else:
        pairs = [(lhs, rhs)]
    for a, b in pairs:
        if not _is_zero(a - b):
            raise DerivationError(f"{statement}: difference {sp.simplify(a - b)} is not 0")
    return statement


def require_nonnegative_polynomial(
    expr: sp.Expr, variables: Sequence[sp.Symbol], statement: str
) -> str:
    """Verify that ``expr`` expands to a polynomial in ``variables`` with coefficients >= 0.

    Such a polynomial is >= 0 wherever every variable is >= 0: the certificate
    used for principal minors on the probability simplex.
    """
    poly = sp.Poly(sp.expand(expr), *variables)
    negative = [c for c in poly.coeffs() if not (c.is_nonnegative or c == 0)]
    if negative:
        raise DerivationError(f"{statement}: {poly.as_expr()} has coefficients {negative}")
    return statement


def elementwise(f: Callable[[sp.Expr], sp.Expr], m: sp.MatrixBase) -> sp.MatrixBase:
    """``m.applyfunc(f)`` with a precise type for mypy."""
    return sp.Matrix(m).applyfunc(f)

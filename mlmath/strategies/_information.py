"""Strategies for information measures: distributions, pairs, joint tables.

Every strategy returns arrays that pass mlmath's validation (non-negative, finite,
normalised within ``normalisation_tolerance``), in float32 or float64.  Bounded
draws are the default; ``extreme_probability_vectors`` adds masses down to 1e-300
and near-degenerate (one dominant entry) distributions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlmath.strategies._common import MAX_SIDE, float_dtypes

__all__ = [
    "distribution_pairs",
    "extreme_probability_vectors",
    "independent_joint_tables",
    "joint_tables",
    "near_equal_pairs",
    "probability_vectors",
]

ShapeArg = tuple[int, ...] | st.SearchStrategy[tuple[int, ...]] | None
DtypeArg = Any


def _shapes(shape: ShapeArg) -> st.SearchStrategy[tuple[int, ...]]:
    if isinstance(shape, st.SearchStrategy):
        return shape
    if shape is None:
        return st.integers(1, MAX_SIDE).map(lambda k: (k,))
    return st.just(tuple(shape))


def _dtypes(dtype: DtypeArg) -> st.SearchStrategy[np.dtype[Any]]:
    return float_dtypes() if dtype is None else st.just(np.dtype(dtype))


def _normalise(w: np.ndarray, axis: int, dtype: np.dtype[Any]) -> np.ndarray:
    """Rows of ``w`` (float64, >= 0) scaled to sum 1 along ``axis``, rounded to ``dtype``.

    A row that is all zero (or underflows in ``dtype``) becomes a point mass at its
    first entry, so every row is a distribution.
    """
    w = np.moveaxis(np.array(w, dtype=np.float64), axis, -1)
    p = (w / np.where(w.sum(-1, keepdims=True) > 0, w.sum(-1, keepdims=True), 1.0))
    p = p.astype(dtype)
    dead = p.sum(-1, dtype=np.float64) == 0
    p[dead, 0] = 1
    return np.moveaxis(p, -1, axis)


_MODERATE_WEIGHTS = st.one_of(st.just(0.0), st.floats(1e-3, 1.0))
_EXTREME_WEIGHTS = st.one_of(
    st.just(0.0),
    st.floats(1e-3, 1.0),
    st.floats(-300.0, 0.0).map(lambda e: 10.0**e),  # log-uniform down to 1e-300
)


@st.composite
def _distributions(
    draw: st.DrawFn, weights: st.SearchStrategy[float], shape: ShapeArg, axis: int,
    dtype: DtypeArg,
) -> np.ndarray:
    s = draw(_shapes(shape), label="shape")
    dt = draw(_dtypes(dtype), label="dtype")
    w = draw(hnp.arrays(np.float64, s, elements=weights), label="weights")
    if draw(st.booleans(), label="near_degenerate"):
        # One dominant entry per row: the others carry (possibly tiny) leftover mass.
        w = np.moveaxis(w, axis, -1).copy()
        w *= 1e-12
        w[..., draw(st.integers(0, w.shape[-1] - 1), label="dominant")] = 1.0
        w = np.moveaxis(w, -1, axis)
    return _normalise(w, axis, dt)


def probability_vectors(
    *, shape: ShapeArg = None, axis: int = -1, dtype: DtypeArg = None,
) -> st.SearchStrategy[np.ndarray]:
    """Distributions along ``axis`` with exact zeros and near-degenerate rows.

    Masses are 0 or in [1e-3, 1] before normalisation (half the rows get one
    dominant entry, the rest ~1e-12).  ``dtype=None`` draws float32 or float64.
    """
    return _distributions(_MODERATE_WEIGHTS, shape, axis, dtype)


def extreme_probability_vectors(
    *, shape: ShapeArg = None, axis: int = -1, dtype: DtypeArg = None,
) -> st.SearchStrategy[np.ndarray]:
    """Like :func:`probability_vectors`, with masses log-uniform down to 1e-300."""
    return _distributions(_EXTREME_WEIGHTS, shape, axis, dtype)


@st.composite
def near_equal_pairs(
    draw: st.DrawFn, *, shape: ShapeArg = None, axis: int = -1, dtype: DtypeArg = None,
    max_log10_deviation: float = -1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """(p, q) with q = p (1 + e u) renormalised, 1/4 <= |u| <= 1, e in [64 eps, 10**max].

    The hard case for divergences: KL(p||q) ~ e^2 can be far below eps.  ``u``
    changes sign along the axis (at the first two non-zero entries of p) and
    ``e`` stays above the dtype's rounding, so q differs from p whenever p has two
    or more non-zero entries (a constant ``u`` would renormalise back to p); a
    point mass p gets a second entry of half its mass first.
    ``max_log10_deviation`` caps e (e.g. -7 for an asymptotic expansion in e).
    """
    dt = draw(_dtypes(dtype), label="dtype")
    p = draw(probability_vectors(shape=shape, axis=axis, dtype=dt), label="p")
    if p.shape[axis] >= 2:
        # A point mass has no near-equal neighbour but itself (equal pairs are drawn
        # by `distribution_pairs`): give such rows a second entry of half its mass.
        rows = np.moveaxis(p.astype(np.float64), axis, -1)
        single = (rows != 0).sum(-1) < 2
        rows[single, (np.argmax(rows[single] != 0, axis=-1) + 1) % rows.shape[-1]] = 0.5
        p = _normalise(np.moveaxis(rows, -1, axis), axis, dt)
    low = float(np.log10(64 * np.finfo(dt).eps))
    if max_log10_deviation <= low:
        raise ValueError(f"`max_log10_deviation`: expected > {low:.2f} for {dt}, "
                         f"got {max_log10_deviation}")
    e = 10.0 ** draw(st.floats(low, max_log10_deviation), label="log10_e")
    magnitude = draw(hnp.arrays(np.float64, p.shape, elements=st.floats(0.25, 1.0)),
                     label="|u|")
    sign = draw(hnp.arrays(np.bool_, p.shape), label="u < 0")
    u = np.moveaxis(np.where(sign, -magnitude, magnitude), axis, -1)
    support = np.moveaxis(p != 0, axis, -1)
    rank = np.cumsum(support, axis=-1)
    u = np.where(support & (rank == 1), np.abs(u), np.where(support & (rank == 2), -np.abs(u), u))
    q = _normalise(p.astype(np.float64) * (1.0 + e * np.moveaxis(u, -1, axis)), axis, dt)
    return p, q


@st.composite
def distribution_pairs(
    draw: st.DrawFn, *, shape: ShapeArg = None, axis: int = -1, dtype: DtypeArg = None,
    extreme: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """(p, q) of one shape and dtype: independent, q covering p's support, near-equal,
    or equal.

    "covering" means q > 0 wherever p > 0 (finite KL); "independent" pairs may have
    disjoint supports (KL = +inf, JS = log 2).
    """
    s = draw(_shapes(shape), label="shape")
    dt = draw(_dtypes(dtype), label="dtype")
    kind = draw(st.sampled_from(["independent", "covering", "near", "equal"]), label="kind")
    vectors = extreme_probability_vectors if extreme else probability_vectors
    p = draw(vectors(shape=s, axis=axis, dtype=dt), label="p")
    if kind == "independent":
        q = draw(vectors(shape=s, axis=axis, dtype=dt), label="q")
    elif kind == "covering":
        w = draw(hnp.arrays(np.float64, s, elements=st.floats(1e-3, 1.0)), label="q_weights")
        q = _normalise(w, axis, dt)
    elif kind == "near":
        p, q = draw(near_equal_pairs(shape=s, axis=axis, dtype=dt), label="pair")
    else:
        q = p.copy()
    return p, q


@st.composite
def joint_tables(
    draw: st.DrawFn, *, max_side: int = 6, dtype: DtypeArg = None, extreme: bool = False,
) -> np.ndarray:
    """2-D joint tables pxy[x, y] (non-negative, summing to 1) with exact zeros.

    The sides are drawn first and the weights as one fixed-shape array, so no draw is
    rejected (a flat-mapped shape strategy made Hypothesis discard about 40% of them).
    """
    dt = draw(_dtypes(dtype), label="dtype")
    shape = (draw(st.integers(1, max_side), label="nx"), draw(st.integers(1, max_side), label="ny"))
    weights = _EXTREME_WEIGHTS if extreme else _MODERATE_WEIGHTS
    w = draw(hnp.arrays(np.float64, shape, elements=weights), label="weights")
    return _normalise(w.reshape(1, -1), -1, dt).reshape(shape)


@st.composite
def independent_joint_tables(
    draw: st.DrawFn, *, max_side: int = 6, dtype: DtypeArg = None,
    near: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(px, py, pxy) with pxy = outer(px, py) (rounded once, in the dtype).

    ``near=True`` multiplies pxy by (1 + e u), e in [1e-15, 1e-2], and renormalises:
    nearly independent tables whose mutual information can be far below eps.
    """
    dt = draw(_dtypes(dtype), label="dtype")
    nx = draw(st.integers(1, max_side), label="nx")
    ny = draw(st.integers(1, max_side), label="ny")
    px = draw(probability_vectors(shape=(nx,), dtype=dt), label="px")
    py = draw(probability_vectors(shape=(ny,), dtype=dt), label="py")
    pxy = np.multiply.outer(px.astype(np.float64), py.astype(np.float64))
    if near:
        e = 10.0 ** draw(st.floats(-15.0, -2.0), label="log10_e")
        u = draw(hnp.arrays(np.float64, pxy.shape, elements=st.floats(-1.0, 1.0)), label="u")
        pxy = pxy * (1.0 + e * u)
    return px, py, _normalise(pxy.reshape(1, -1), -1, dt).reshape(nx, ny)

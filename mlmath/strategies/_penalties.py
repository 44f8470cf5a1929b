"""Strategies for penalties and proximal operators (mlmath.penalties).

Default draws are arrays of any small shape (0-d included) whose entries are
exact zeros (the kinks every l1-type property must handle) or magnitudes in
``[min_magnitude, max_magnitude]`` of either sign: squares neither underflow
nor overflow, so "zero only at 0" and homogeneity are exact statements.
``extreme_penalty_arrays`` reaches the edges of the float range.
"""

from __future__ import annotations

from typing import Any, Literal, cast

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlmath.strategies._common import float_dtypes

__all__ = [
    "elastic_net_params",
    "extreme_penalty_arrays",
    "group_labels",
    "huber_deltas",
    "penalty_array_pairs",
    "penalty_arrays",
    "penalty_shapes",
    "prox_steps",
    "soft_threshold_cases",
]

#: Largest side of a drawn array; 3 dims of 4 keep brute-force checks cheap.
MAX_PENALTY_SIDE = 4


def _width(dtype: Any) -> Literal[16, 32, 64]:
    return cast("Literal[16, 32, 64]", np.dtype(dtype).itemsize * 8)


def _scalars_in(lo: float, hi: float, dtype: Any) -> st.SearchStrategy[float]:
    """Floats in [lo, hi] that are exactly representable in ``dtype`` (so a
    step ``t`` means the same number to the test and to the implementation).

    The bounds are first rounded inwards to ``dtype`` (Hypothesis requires
    representable bounds for narrow widths)."""
    kind = np.dtype(dtype).type
    low, high = kind(lo), kind(hi)
    if float(low) < lo:  # compare in float64: NumPy would round lo to the dtype
        low = np.nextafter(low, kind(np.inf))
    if float(high) > hi:
        high = np.nextafter(high, kind(-np.inf))
    return st.floats(float(low), float(high), width=_width(dtype))


def penalty_shapes(*, max_dims: int = 3) -> st.SearchStrategy[tuple[int, ...]]:
    """Shapes with 0 to ``max_dims`` dimensions and sides 1..4 (never empty)."""
    return hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=1,
                            max_side=MAX_PENALTY_SIDE)


def penalty_arrays(
    *, shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]] | None = None,
    dtype: Any = np.float64, min_magnitude: float = 1e-3, max_magnitude: float = 1e3,
    zeros: bool = True,
) -> st.SearchStrategy[np.ndarray]:
    """Arrays whose entries are 0 (when ``zeros``) or ``±[min_magnitude, max_magnitude]``."""
    magnitudes = _scalars_in(min_magnitude, max_magnitude, dtype)
    elements = st.one_of(magnitudes, magnitudes.map(lambda a: -a))
    if zeros:
        elements = st.one_of(st.just(0.0), elements)
    shapes = shape if isinstance(shape, st.SearchStrategy) else st.just(
        shape) if shape is not None else penalty_shapes()
    return shapes.flatmap(lambda s: hnp.arrays(dtype, s, elements=elements))


@st.composite
def penalty_array_pairs(draw: st.DrawFn, *, dtype: Any = np.float64,
                        **kwargs: Any) -> tuple[np.ndarray, np.ndarray]:
    """Two arrays of one drawn shape (Jensen, triangle, non-expansiveness)."""
    shape = draw(penalty_shapes(), label="shape")
    x = draw(penalty_arrays(shape=shape, dtype=dtype, **kwargs), label="x")
    y = draw(penalty_arrays(shape=shape, dtype=dtype, **kwargs), label="y")
    return x, y


def extreme_penalty_arrays(
    *, shape: tuple[int, ...] | None = None, dtype: Any = np.float64,
) -> st.SearchStrategy[np.ndarray]:
    """Any finite entries, up to the dtype's largest value and down to subnormals."""
    fmax = float(np.finfo(dtype).max)
    elements = st.floats(-fmax, fmax, allow_nan=False, allow_infinity=False,
                         width=_width(dtype))
    shapes = st.just(shape) if shape is not None else penalty_shapes()
    return shapes.flatmap(lambda s: hnp.arrays(dtype, s, elements=elements))


def prox_steps(*, dtype: Any = np.float64, lo: float = 1e-2,
               hi: float = 1e2) -> st.SearchStrategy[float]:
    """Steps ``t`` in [lo, hi], exactly representable in ``dtype``."""
    return _scalars_in(lo, hi, dtype)


def huber_deltas(*, dtype: Any = np.float64) -> st.SearchStrategy[float]:
    """Huber transition points in [1e-2, 1e2], exactly representable in ``dtype``."""
    return _scalars_in(1e-2, 1e2, dtype)


def elastic_net_params(*, allow_zero_alpha: bool = True) -> st.SearchStrategy[tuple[float, float]]:
    """``(alpha, l1_ratio)``: the endpoints 0 and 1 of l1_ratio (pure ridge and
    pure lasso) are drawn often; alpha is 0 only when ``allow_zero_alpha``."""
    alphas = st.floats(1e-2, 1e2)
    if allow_zero_alpha:
        alphas = st.one_of(st.just(0.0), alphas)
    ratios = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))
    return st.tuples(alphas, ratios)


def group_labels(shape: tuple[int, ...], *,
                 max_groups: int = 4) -> st.SearchStrategy[np.ndarray]:
    """One integer label per element; labels are arbitrary (negative, gaps)."""
    labels = st.lists(st.integers(-1000, 1000), min_size=1, max_size=max_groups, unique=True)
    return labels.flatmap(lambda ls: hnp.arrays(np.int64, shape, elements=st.sampled_from(ls)))


@st.composite
def soft_threshold_cases(draw: st.DrawFn, *, dtype: Any = None) -> tuple[np.ndarray, float]:
    """``(x, t)`` with entries of ``x`` at ``±t``, one ulp either side, or in
    ``[-10t, 10t]``: the places where an exact-zero claim can fail."""
    dt: np.dtype[Any] = np.dtype(dtype) if dtype is not None else draw(
        float_dtypes(), label="dtype")
    t = draw(prox_steps(dtype=dt), label="t")
    kind = dt.type
    near = [kind(t), np.nextafter(kind(t), kind(0)), np.nextafter(kind(t), kind(np.inf))]
    edges = st.sampled_from([float(e) * s for e in near for s in (1.0, -1.0)])
    bound = float(kind(10 * t))  # representable in the dtype, as Hypothesis requires
    values = st.one_of(edges, st.floats(-bound, bound, width=_width(dt)))
    return draw(hnp.arrays(dt, penalty_shapes(), elements=values), label="x"), t

"""Strategies shared by every topic: dtypes, shapes with an axis, logits."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = ["extreme_logits", "float_dtypes", "logits", "shapes_with_axis"]

#: Largest number of elements any strategy draws by default (keeps runs fast).
MAX_SIDE = 8


def float_dtypes() -> st.SearchStrategy[np.dtype[Any]]:
    """float32 or float64 (the dtypes whose accuracy targets are stated)."""
    return st.sampled_from([np.dtype(np.float32), np.dtype(np.float64)])


@st.composite
def shapes_with_axis(
    draw: st.DrawFn, *, min_dims: int = 1, max_dims: int = 3, min_side: int = 1,
    max_side: int = MAX_SIDE,
) -> tuple[tuple[int, ...], int]:
    """A shape and a valid (possibly negative) axis into it."""
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims,
                                  min_side=min_side, max_side=max_side))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    return shape, axis


def logits(
    *, shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]] | None = None,
    dtype: Any = np.float64, bound: float = 30.0,
) -> st.SearchStrategy[np.ndarray]:
    """Finite logits in [-bound, bound] (moderate: no underflow of softmax)."""
    shapes = shape if isinstance(shape, st.SearchStrategy) else st.just(
        shape if shape is not None else (4,))
    return shapes.flatmap(lambda s: hnp.arrays(
        dtype, s, elements=st.floats(-bound, bound, width=np.dtype(dtype).itemsize * 8)))


def extreme_logits(
    *, shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]] | None = None,
    dtype: Any = np.float64,
) -> st.SearchStrategy[np.ndarray]:
    """Any finite logits, up to the dtype's largest value (stability properties)."""
    fmax = float(np.finfo(dtype).max)
    shapes = shape if isinstance(shape, st.SearchStrategy) else st.just(
        shape if shape is not None else (4,))
    return shapes.flatmap(lambda s: hnp.arrays(
        dtype, s, elements=st.floats(-fmax, fmax, allow_nan=False, allow_infinity=False,
                                     width=np.dtype(dtype).itemsize * 8)))

"""Strategies shared by every topic: dtypes, shapes with an axis, logits."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = [
    "extreme_logits",
    "float_dtypes",
    "logits",
    "logits_and_exact_shift",
    "masked_logits",
    "shapes_with_axis",
]

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


@st.composite
def logits_and_exact_shift(
    draw: st.DrawFn, *, shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]] | None = None,
    dtype: Any = np.float64, bound: float = 30.0, max_shift: int | None = None,
) -> tuple[np.ndarray, float]:
    """Logits ``x`` on a grid of 2**-10 in [-bound, bound] and an integer shift ``c``
    such that ``x + c`` is exact in ``dtype`` (so shift properties need no slack
    for the rounding of the shifted input).

    ``max_shift`` defaults to 2**11 (exact in float32 with the grid's 10
    fractional bits and |x| <= 30 < 2**5: 11 + 10 + 1 <= 24 bits), far enough to
    overflow a softmax that does not subtract the max.
    """
    shapes = shape if isinstance(shape, st.SearchStrategy) else st.just(
        shape if shape is not None else (4,))
    s = draw(shapes, label="shape")
    steps = int(bound * 1024)
    ticks = draw(hnp.arrays(np.int64, s, elements=st.integers(-steps, steps)), label="ticks")
    x = (ticks / 1024.0).astype(dtype)
    limit = max_shift if max_shift is not None else 2 ** 11
    return x, float(draw(st.integers(-limit, limit), label="shift"))


@st.composite
def masked_logits(
    draw: st.DrawFn, *, shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]] | None = None,
    dtype: Any = np.float64, axis: int = -1, bound: float = 30.0,
) -> np.ndarray:
    """Logits in [-bound, bound] with some entries ``-inf`` (weight 0), keeping at
    least one finite entry along ``axis`` (so softmax has mass to normalise)."""
    shapes = shape if isinstance(shape, st.SearchStrategy) else st.just(
        shape if shape is not None else (4,))
    s = draw(shapes, label="shape")
    x = draw(logits(shape=s, dtype=dtype, bound=bound), label="finite logits")
    mask = draw(hnp.arrays(np.bool_, s), label="masked")
    keep = draw(hnp.arrays(np.int64, s[:axis % len(s)] + s[axis % len(s) + 1:],
                           elements=st.integers(0, s[axis] - 1)), label="kept index")
    np.put_along_axis(mask, np.expand_dims(keep, axis), False, axis=axis)
    return np.where(mask, -np.inf, x).astype(dtype)

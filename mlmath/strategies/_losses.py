"""Strategies for the classification losses: logits with class labels or
probability targets, keyword sets, and binary (sigmoid) problems.

Array sizes are capped (``MAX_SIDE``); the default logits are moderate
(``|x| <= 30``) so that finite-difference and identity checks stay well
conditioned; ``extreme=True`` reaches +-1e4 for stability properties.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlmath.strategies._common import MAX_SIDE, float_dtypes

__all__ = [
    "BinaryProblem",
    "SoftmaxProblem",
    "binary_problems",
    "probability_targets",
    "softmax_problems",
]

#: The value used for ignored labels when a strategy draws ``ignore_index``.
IGNORE = -100


@dataclass
class SoftmaxProblem:
    """Inputs of ``softmax_cross_entropy``: ``loss(logits, targets, **kwargs)``.

    ``labels`` is the integer class of each example (also for probability
    targets, where ``targets`` is then its one-hot vector unless ``soft``).
    """

    logits: np.ndarray
    targets: np.ndarray
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def axis(self) -> int:
        return int(self.kwargs.get("axis", -1)) % self.logits.ndim

    @property
    def n_classes(self) -> int:
        return int(self.logits.shape[self.axis])

    @property
    def index_targets(self) -> bool:
        return self.targets.dtype.kind in "iu"

    def one_hot(self) -> np.ndarray:
        """Index targets as one-hot probability vectors along ``axis`` (ignored: 0)."""
        eye = np.eye(self.n_classes, dtype=self.logits.dtype)
        hot = eye[np.clip(self.targets, 0, self.n_classes - 1)]
        hot = hot * (self.targets != IGNORE)[..., None]
        return np.moveaxis(hot, -1, self.axis)


@dataclass
class BinaryProblem:
    """Inputs of ``sigmoid_binary_cross_entropy(logits, targets, **kwargs)``."""

    logits: np.ndarray
    targets: np.ndarray
    kwargs: dict[str, Any] = field(default_factory=dict)


def _elements(dtype: Any, bound: float) -> st.SearchStrategy[float]:
    return st.floats(-bound, bound, width=np.dtype(dtype).itemsize * 8)


@st.composite
def probability_targets(draw: st.DrawFn, shape: tuple[int, ...], axis: int,
                        dtype: Any = np.float64) -> np.ndarray:
    """Probability vectors along ``axis``, with exact zeros and one-hot rows.

    Drawn as non-negative weights (zeros likely) normalised in float64, then
    cast: the sums are 1 within the validation tolerance of ``dtype``.
    """
    raw = draw(hnp.arrays(np.float64, shape, elements=st.one_of(
        st.just(0.0), st.floats(1e-3, 1.0))), label="raw target weights")
    raw = np.moveaxis(raw, axis, -1).copy()
    raw[..., 0] += raw.sum(axis=-1) == 0  # no all-zero row
    t = raw / raw.sum(axis=-1, keepdims=True)
    return np.moveaxis(t, -1, axis).astype(dtype)


@st.composite
def softmax_problems(
    draw: st.DrawFn, *, targets: str = "either", dtype: Any = None, extreme: bool = False,
    keywords: bool = True, max_dims: int = 3, ignore: bool = True,
) -> SoftmaxProblem:
    """Logits of any shape and class axis with matching targets and keywords.

    ``targets`` is ``"index"``, ``"probs"`` or ``"either"``.  With ``keywords``,
    ``label_smoothing``, ``class_weights``, ``ignore_index`` (index targets,
    when ``ignore``) and ``reduction`` are each sometimes drawn and sometimes
    left out, so the defaults are exercised too.
    """
    dt = np.dtype(draw(float_dtypes(), label="dtype") if dtype is None else dtype)
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=max_dims, max_side=MAX_SIDE),
                 label="logits shape")
    axis = draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    bound = 1e4 if extreme else 30.0
    x = draw(hnp.arrays(dt, shape, elements=_elements(dt, bound)), label="logits")
    n_classes = shape[axis]
    batch = shape[:axis % len(shape)] + shape[axis % len(shape) + 1:]
    kind = draw(st.sampled_from(["index", "probs"]), label="target kind") \
        if targets == "either" else targets
    kwargs: dict[str, Any] = {}
    if axis != -1 or draw(st.booleans(), label="pass axis"):
        kwargs["axis"] = axis
    use_ignore = keywords and ignore and kind == "index" and draw(st.booleans(),
                                                                  label="ignore_index")
    if kind == "index":
        hi = n_classes - 1
        label = st.integers(0, hi) if not use_ignore else st.one_of(
            st.integers(0, hi), st.just(IGNORE))
        t = draw(hnp.arrays(np.int64, batch, elements=label), label="labels")
        if use_ignore:
            kwargs["ignore_index"] = IGNORE
    else:
        t = draw(probability_targets(shape, axis, dt), label="probability targets")
    if keywords:
        if draw(st.booleans(), label="smoothing?"):
            kwargs["label_smoothing"] = draw(st.sampled_from([0.0, 0.1, 0.5, 1.0]) |
                                             st.floats(0, 1), label="label_smoothing")
        if draw(st.booleans(), label="weights?"):
            kwargs["class_weights"] = draw(hnp.arrays(np.float64, (n_classes,), elements=(
                st.just(0.0) | st.floats(0.1, 5.0))), label="class_weights")
        if draw(st.booleans(), label="reduction?"):
            kwargs["reduction"] = draw(st.sampled_from(["mean", "sum", "none"]),
                                       label="reduction")
    return SoftmaxProblem(x, t, kwargs)


@st.composite
def binary_problems(draw: st.DrawFn, *, dtype: Any = None, extreme: bool = False,
                    keywords: bool = True, max_dims: int = 3) -> BinaryProblem:
    """Logits, targets in [0, 1] (exact 0 and 1 likely) and optional pos_weight/reduction."""
    dt = np.dtype(draw(float_dtypes(), label="dtype") if dtype is None else dtype)
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=max_dims, max_side=MAX_SIDE),
                 label="shape")
    bound = 1e4 if extreme else 30.0
    z = draw(hnp.arrays(dt, shape, elements=_elements(dt, bound)), label="logits")
    y = draw(hnp.arrays(dt, shape, elements=st.sampled_from([0.0, 1.0]) | st.floats(0, 1)),
             label="targets")  # hnp rounds the float64 draws into dt (still in [0, 1])
    kwargs: dict[str, Any] = {}
    if keywords:
        if draw(st.booleans(), label="pos_weight?"):
            kwargs["pos_weight"] = draw(hnp.arrays(np.float64, (shape[-1],), elements=st.floats(
                0.0, 5.0)), label="pos_weight")
        if draw(st.booleans(), label="reduction?"):
            kwargs["reduction"] = draw(st.sampled_from(["mean", "sum", "none"]),
                                       label="reduction")
    return BinaryProblem(z, y, kwargs)

"""Strategies for attention: consistent q/k/v/mask shapes and multi-head inputs.

Shapes come from a gufunc signature, so the leading (batch) dimensions of
q, k, v and mask are *mutually broadcastable* (some sides 1, some dimensions
missing) while the core dimensions agree: q (..., Lq, d), k (..., Lk, d),
v (..., Lk, dv), mask (..., Lq, Lk) with each core side possibly 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = ["attention_inputs", "attention_masks", "multi_head_inputs"]

_SIGNATURE = "(m,d),(n,d),(n,e),(m,n)->(m,e)"


def _floats(dtype: Any, bound: float) -> st.SearchStrategy[float]:
    return st.floats(-bound, bound, width=np.dtype(dtype).itemsize * 8)


@st.composite
def attention_masks(draw: st.DrawFn, shape: tuple[int, ...]) -> np.ndarray:
    """A boolean mask of a shape broadcastable to ``shape`` (..., Lq, Lk).

    Sometimes all True, sometimes with fully masked rows (the zero-row case),
    sometimes with a core side of 1 (a per-key padding mask or a per-query mask).
    """
    mshape = list(shape)
    if len(mshape) >= 2 and draw(st.booleans(), label="broadcast a core side"):
        mshape[draw(st.sampled_from([-2, -1]), label="broadcast side")] = 1
    kind = draw(st.sampled_from(["random", "all", "empty-row"]), label="mask kind")
    if kind == "all":
        return np.ones(mshape, dtype=bool)
    mask = draw(hnp.arrays(np.bool_, tuple(mshape)), label="mask")
    if kind == "empty-row" and mask.size:
        mask[..., 0, :] = False
    return mask


@st.composite
def attention_inputs(
    draw: st.DrawFn, *, dtype: Any = np.float64, bound: float = 3.0, max_len: int = 6,
    max_d: int = 4, max_batch_dims: int = 2, masks: bool = True, self_attention: bool = False,
) -> dict[str, Any]:
    """``{"q", "k", "v", "mask"}`` with consistent, broadcastable shapes.

    ``bound`` caps |entries| (the scores are then at most d * bound**2 times the
    scale); ``self_attention`` forces Lq == Lk (needed by causal-prefix
    properties); ``mask`` is None about a third of the time when ``masks``.
    """
    shapes = draw(hnp.mutually_broadcastable_shapes(
        signature=_SIGNATURE, max_dims=max_batch_dims, min_side=1, max_side=max_len),
        label="shapes")
    sq, sk, sv, sm = shapes.input_shapes
    lq, d = sq[-2], sq[-1]
    lk = lq if self_attention else sk[-2]
    d = min(d, max_d)
    dv = min(sv[-1], max_d)
    sq = (*sq[:-2], lq, d)
    sk = (*sk[:-2], lk, d)
    sv = (*sv[:-2], lk, dv)
    sm = (*sm[:-2], lq, lk)
    elements = _floats(dtype, bound)
    q = draw(hnp.arrays(dtype, sq, elements=elements), label="q")
    k = draw(hnp.arrays(dtype, sk, elements=elements), label="k")
    v = draw(hnp.arrays(dtype, sv, elements=elements), label="v")
    mask = None
    if masks and draw(st.integers(0, 2), label="with mask") > 0:
        mask = draw(attention_masks(sm), label="mask")
    return {"q": q, "k": k, "v": v, "mask": mask}


@st.composite
def multi_head_inputs(
    draw: st.DrawFn, *, dtype: Any = np.float64, bound: float = 2.0, max_len: int = 5,
    max_heads: int = 3, max_head_dim: int = 3, max_batch_dims: int = 1,
) -> dict[str, Any]:
    """``{"x", "w_q", "w_k", "w_v", "w_o", "num_heads"}`` for self-attention."""
    h = draw(st.integers(1, max_heads), label="num_heads")
    d_model = h * draw(st.integers(1, max_head_dim), label="head dim")
    batch = draw(hnp.array_shapes(min_dims=0, max_dims=max_batch_dims, max_side=2),
                 label="batch")
    length = draw(st.integers(1, max_len), label="L")
    elements = _floats(dtype, bound)
    x = draw(hnp.arrays(dtype, (*batch, length, d_model), elements=elements), label="x")
    weights = {name: draw(hnp.arrays(dtype, (d_model, d_model), elements=elements), label=name)
               for name in ("w_q", "w_k", "w_v", "w_o")}
    return {"x": x, **weights, "num_heads": h}

"""Hypothesis strategies for mlmath's property suite (public and importable).

Bounded, well-conditioned draws are the default; strategies whose name starts
with ``extreme_`` reach the edges (huge/tiny magnitudes) for stability
properties.  One submodule per topic; everything is re-exported here.
"""

from mlmath.strategies._common import (
    extreme_logits,
    float_dtypes,
    logits,
    logits_and_exact_shift,
    masked_logits,
    shapes_with_axis,
)

__all__ = [
    "extreme_logits",
    "float_dtypes",
    "logits",
    "logits_and_exact_shift",
    "masked_logits",
    "shapes_with_axis",
]

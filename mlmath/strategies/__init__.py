"""Hypothesis strategies for mlmath's property suite (public and importable).

Bounded, well-conditioned draws are the default; strategies whose name starts
with ``extreme_`` reach the edges (huge/tiny magnitudes) for stability
properties.  One submodule per topic; everything is re-exported here.
"""

from mlmath.strategies._audit import point_masses, rational_distributions
from mlmath.strategies._common import (
    extreme_logits,
    float_dtypes,
    logits,
    shapes_with_axis,
)

__all__ = [
    "extreme_logits",
    "float_dtypes",
    "logits",
    "point_masses",
    "rational_distributions",
    "shapes_with_axis",
]

"""Hypothesis strategies for mlmath's property suite (public and importable).

Bounded, well-conditioned draws are the default; strategies whose name starts
with ``extreme_`` reach the edges (huge/tiny magnitudes) for stability
properties.  One submodule per topic; everything is re-exported here.
"""

from mlmath.strategies._common import (
    extreme_logits,
    float_dtypes,
    logits,
    shapes_with_axis,
)
from mlmath.strategies._penalties import (
    elastic_net_params,
    extreme_penalty_arrays,
    group_labels,
    huber_deltas,
    penalty_array_pairs,
    penalty_arrays,
    penalty_shapes,
    prox_steps,
    soft_threshold_cases,
)

__all__ = [  # noqa: RUF022 (grouped by topic, sorted within each group)
    "extreme_logits",
    "float_dtypes",
    "logits",
    "shapes_with_axis",
    # penalties
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

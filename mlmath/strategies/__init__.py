"""Hypothesis strategies for mlmath's property suite (public and importable).

Bounded, well-conditioned draws are the default; strategies whose name starts
with ``extreme_`` reach the edges (huge/tiny magnitudes) for stability
properties.  One submodule per topic; everything is re-exported here.
"""

from mlmath._validation import require_optional

require_optional("hypothesis", "test", "mlmath.strategies")

from mlmath.strategies._attention import (
    attention_inputs,
    attention_masks,
    multi_head_inputs,
)
from mlmath.strategies._audit import point_masses, rational_distributions
from mlmath.strategies._common import (
    extreme_logits,
    float_dtypes,
    logits,
    logits_and_exact_shift,
    masked_logits,
    shapes_with_axis,
)
from mlmath.strategies._information import (
    distribution_pairs,
    extreme_probability_vectors,
    independent_joint_tables,
    joint_tables,
    near_equal_pairs,
    probability_vectors,
)
from mlmath.strategies._losses import (
    BinaryProblem,
    SoftmaxProblem,
    binary_problems,
    probability_targets,
    softmax_problems,
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

__all__ = [  # noqa: RUF022 - grouped by topic, sorted within each group
    # attention
    "attention_inputs",
    "attention_masks",
    "multi_head_inputs",
    # audit
    "point_masses",
    "rational_distributions",
    # common
    "extreme_logits",
    "float_dtypes",
    "logits",
    "logits_and_exact_shift",
    "masked_logits",
    "shapes_with_axis",
    # information
    "distribution_pairs",
    "extreme_probability_vectors",
    "independent_joint_tables",
    "joint_tables",
    "near_equal_pairs",
    "probability_vectors",
    # losses
    "BinaryProblem",
    "SoftmaxProblem",
    "binary_problems",
    "probability_targets",
    "softmax_problems",
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

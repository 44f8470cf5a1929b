"""mlmath: verified NumPy implementations of the mathematics of machine learning.

The public API is exactly ``__all__`` below (the contract is documented in the
README); every name is also importable from its topic module.
"""

from __future__ import annotations

from mlmath.attention import (
    attention_weights,
    multi_head_attention,
    scaled_dot_product_attention,
    scaled_dot_product_attention_grad,
)
from mlmath.special import (
    log_sigmoid,
    log_softmax,
    logsumexp,
    sigmoid,
    softmax,
    softplus,
)

__version__ = "0.1.0"

# Grouped by topic (one block per topic module), sorted within each group.
__all__ = [  # noqa: RUF022
    # attention
    "attention_weights",
    "multi_head_attention",
    "scaled_dot_product_attention",
    "scaled_dot_product_attention_grad",
    # special
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "sigmoid",
    "softmax",
    "softplus",
]

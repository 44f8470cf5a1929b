"""mlmath: verified NumPy implementations of the mathematics of machine learning.

The public API is exactly ``__all__`` below (the contract is documented in the
README); every name is also importable from its topic module.
"""

from __future__ import annotations

from mlmath.penalties import (
    elastic_net,
    elastic_net_subgradient,
    group_lasso,
    huber,
    huber_grad,
    l1,
    l1_subgradient,
    prox_elastic_net,
    prox_group_lasso,
    prox_l1,
    prox_squared_l2,
    squared_l2,
    squared_l2_grad,
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

__all__ = [  # noqa: RUF022 (grouped by topic, sorted within each group)
    # special
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "sigmoid",
    "softmax",
    "softplus",
    # penalties
    "elastic_net",
    "elastic_net_subgradient",
    "group_lasso",
    "huber",
    "huber_grad",
    "l1",
    "l1_subgradient",
    "prox_elastic_net",
    "prox_group_lasso",
    "prox_l1",
    "prox_squared_l2",
    "squared_l2",
    "squared_l2_grad",
]

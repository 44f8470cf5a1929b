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
from mlmath.information import (
    binary_entropy,
    conditional_entropy,
    cross_entropy,
    entropy,
    joint_entropy,
    js_distance,
    js_divergence,
    kl_divergence,
    mutual_information,
    renyi_entropy,
    tsallis_entropy,
)
from mlmath.losses import (
    binary_cross_entropy,
    hinge_loss,
    hinge_loss_grad,
    info_nce,
    info_nce_grad,
    multiclass_hinge_loss,
    multiclass_hinge_loss_grad,
    nt_xent,
    nt_xent_grad,
    poly_loss_cross_entropy,
    poly_loss_cross_entropy_grad,
    sigmoid_binary_cross_entropy,
    sigmoid_binary_cross_entropy_grad,
    sigmoid_focal_loss,
    sigmoid_focal_loss_grad,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)
from mlmath.penalties import (
    elastic_net,
    elastic_net_subgradient,
    group_lasso,
    huber,
    huber_grad,
    l1,
    l1_subgradient,
    nuclear_norm,
    project_box,
    project_l1_ball,
    project_simplex,
    prox_elastic_net,
    prox_group_lasso,
    prox_huber,
    prox_l1,
    prox_linf,
    prox_nuclear_norm,
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

__version__ = "0.2.0.dev0"

__all__ = [  # noqa: RUF022 - grouped by topic, sorted within each group
    # special
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "sigmoid",
    "softmax",
    "softplus",
    # information
    "binary_entropy",
    "conditional_entropy",
    "cross_entropy",
    "entropy",
    "joint_entropy",
    "js_distance",
    "js_divergence",
    "kl_divergence",
    "mutual_information",
    "renyi_entropy",
    "tsallis_entropy",
    # losses
    "binary_cross_entropy",
    "hinge_loss",
    "hinge_loss_grad",
    "info_nce",
    "info_nce_grad",
    "multiclass_hinge_loss",
    "multiclass_hinge_loss_grad",
    "nt_xent",
    "nt_xent_grad",
    "poly_loss_cross_entropy",
    "poly_loss_cross_entropy_grad",
    "sigmoid_binary_cross_entropy",
    "sigmoid_binary_cross_entropy_grad",
    "sigmoid_focal_loss",
    "sigmoid_focal_loss_grad",
    "softmax_cross_entropy",
    "softmax_cross_entropy_grad",
    # attention
    "attention_weights",
    "multi_head_attention",
    "scaled_dot_product_attention",
    "scaled_dot_product_attention_grad",
    # penalties
    "elastic_net",
    "elastic_net_subgradient",
    "group_lasso",
    "huber",
    "huber_grad",
    "l1",
    "l1_subgradient",
    "nuclear_norm",
    "project_box",
    "project_l1_ball",
    "project_simplex",
    "prox_elastic_net",
    "prox_group_lasso",
    "prox_huber",
    "prox_l1",
    "prox_linf",
    "prox_nuclear_norm",
    "prox_squared_l2",
    "squared_l2",
    "squared_l2_grad",
]

"""The float64 computations the audit's searches evaluate, taken from mlmath.

The fast search predicates call the library (so the audit also exercises it);
the re-checks of counterexamples use the independent 50-digit formulas of
:mod:`._num`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mlmath.attention import scaled_dot_product_attention
from mlmath.information import cross_entropy as _cross_entropy
from mlmath.information import entropy as _entropy
from mlmath.information import kl_divergence as _kl_divergence
from mlmath.losses import softmax_cross_entropy
from mlmath.special import logsumexp, softmax

__all__ = ["attention", "cross_entropy", "entropy", "kl_divergence", "logit_cross_entropy",
           "logsumexp", "softmax"]


def _arr(v: Sequence[Any]) -> np.ndarray:
    return np.array([float(x) for x in v], dtype=np.float64)


def entropy(p: Sequence[Any]) -> float:
    return float(_entropy(_arr(p)))


def cross_entropy(p: Sequence[Any], q: Sequence[Any]) -> float:
    return float(_cross_entropy(_arr(p), _arr(q)))


def kl_divergence(p: Sequence[Any], q: Sequence[Any]) -> float:
    return float(_kl_divergence(_arr(p), _arr(q)))


def logit_cross_entropy(y: Sequence[Any], z: Sequence[Any]) -> float:
    """-Σ y log softmax(z) for a probability-vector target y (mlmath.losses)."""
    return float(softmax_cross_entropy(_arr(z), _arr(y)))


def attention(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """softmax(q kᵀ / sqrt(d)) v over the last two axes (mlmath.attention)."""
    return np.asarray(scaled_dot_product_attention(q, k, v))

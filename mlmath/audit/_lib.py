"""The float64 computations the audit's searches evaluate, taken from mlmath.

The fast search predicates call the library (so the audit also exercises it);
the re-checks of counterexamples use the independent 50-digit formulas of
:mod:`._num`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mlmath.special import logsumexp, softmax

__all__ = ["attention", "cross_entropy", "entropy", "kl_divergence", "logsumexp", "softmax"]


def _arr(v: Sequence[Any]) -> np.ndarray:
    return np.array([float(x) for x in v], dtype=np.float64)


# --- information measures (private minimal versions until mlmath.information lands) ---------

def _xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, 0.0, x * np.log(y))


def entropy(p: Sequence[Any]) -> float:
    a = _arr(p)
    return float(-np.sum(_xlogy(a, a)))


def cross_entropy(p: Sequence[Any], q: Sequence[Any]) -> float:
    return float(-np.sum(_xlogy(_arr(p), _arr(q))))


def kl_divergence(p: Sequence[Any], q: Sequence[Any]) -> float:
    a, b = _arr(p), _arr(q)
    return float(np.sum(_xlogy(a, a) - _xlogy(a, b)))


# --- attention (private minimal version until mlmath.attention lands) ----------------------

def attention(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """softmax(q kᵀ / sqrt(d)) v over the last two axes."""
    d = q.shape[-1]
    w = softmax(q @ np.swapaxes(k, -1, -2) / np.sqrt(d), axis=-1)
    return np.asarray(w @ v)

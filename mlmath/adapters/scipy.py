"""SciPy under mlmath's names: ``mlmath check scipy``.

Each wrapper calls the SciPy function a SciPy user would call, translating
only the keyword conventions (``axis``, ``base``); it adds no validation and
no numerical care of its own, so the check measures SciPy.

============================  =========================================================
mlmath                        SciPy
============================  =========================================================
``softmax``, ``log_softmax``  ``scipy.special.softmax`` / ``log_softmax``
``logsumexp``                 ``scipy.special.logsumexp`` (``b``, ``return_sign``)
``sigmoid``, ``log_sigmoid``  ``scipy.special.expit`` / ``log_expit``
``entropy``                   ``scipy.stats.entropy(p, base=, axis=)``
``kl_divergence``             ``sum(scipy.special.kl_div(p, q))`` (``rel_entr``)
``cross_entropy``             ``-sum(scipy.special.xlogy(p, q))`` / ``log(base)``
``binary_entropy``            ``entr(p) + entr(1 - p)`` / ``log(base)``
``js_distance``               ``scipy.spatial.distance.jensenshannon(p, q, base=, axis=)``
``js_divergence``             its square (jensenshannon returns the square root)
``huber``                     ``sum(scipy.special.huber(delta, x))``
============================  =========================================================

Not provided (SciPy has no equivalent): the losses, attention, the proximal
operators, ``softplus`` and every ``*_grad``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.special as sc
import scipy.stats
from scipy.spatial.distance import jensenshannon

from mlmath.adapters import NotProvided, reject_keywords

__all__ = ["binary_entropy", "cross_entropy", "entropy", "huber", "js_distance",
           "js_divergence", "kl_divergence", "log_sigmoid", "log_softmax", "logsumexp",
           "sigmoid", "softmax"]

#: Names whose ``*_grad`` this adapter computes by automatic differentiation (none).
AUTOGRAD: frozenset[str] = frozenset()


def _axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def _per_base(value: Any, base: float | None) -> Any:
    return value if base is None else value / np.log(base)


def softmax(x: Any, *, axis: Any = -1, validate: bool = True) -> Any:
    """``scipy.special.softmax(x, axis=axis)``."""
    return sc.softmax(x, axis=_axis(axis))


def log_softmax(x: Any, *, axis: Any = -1, validate: bool = True) -> Any:
    """``scipy.special.log_softmax(x, axis=axis)``."""
    return sc.log_softmax(x, axis=_axis(axis))


def logsumexp(x: Any, *, axis: Any = -1, b: Any = None, keepdims: bool = False,
              return_sign: bool = False, where: Any = None, validate: bool = True) -> Any:
    """``scipy.special.logsumexp(x, axis=, b=, keepdims=, return_sign=)`` (no ``where``)."""
    reject_keywords("logsumexp", where=(where, None))
    return sc.logsumexp(x, axis=_axis(axis), b=b, keepdims=keepdims, return_sign=return_sign)


def sigmoid(x: Any, *, validate: bool = True) -> Any:
    """``scipy.special.expit(x)``."""
    return sc.expit(x)


def log_sigmoid(x: Any, *, validate: bool = True) -> Any:
    """``scipy.special.log_expit(x)``."""
    return sc.log_expit(x)


def entropy(p: Any, *, axis: Any = -1, base: float | None = None,
            validate: bool = True) -> Any:
    """``scipy.stats.entropy(p, base=base, axis=axis)`` (which normalises ``p``)."""
    if isinstance(axis, (tuple, list)):
        raise NotProvided("entropy: scipy.stats.entropy takes one axis")
    return scipy.stats.entropy(p, base=base, axis=axis)


def kl_divergence(p: Any, q: Any, *, axis: Any = -1, base: float | None = None,
                  validate: bool = True, generalized: bool = True, log_input: bool = False,
                  log_target: bool = False) -> Any:
    """``sum(kl_div(p, q), axis) / log(base)``, or ``rel_entr`` with ``generalized=False``.

    ``scipy.special.kl_div`` is p log(p/q) - p + q (mlmath's default, the same
    as ``rel_entr`` for distributions); SciPy has no log inputs.
    """
    reject_keywords("kl_divergence", log_input=(log_input, False),
                    log_target=(log_target, False))
    terms = sc.kl_div(p, q) if generalized else sc.rel_entr(p, q)
    return _per_base(np.sum(terms, axis=_axis(axis)), base)


def cross_entropy(p: Any, q: Any, *, axis: Any = -1, base: float | None = None,
                  validate: bool = True, log_input: bool = False,
                  log_target: bool = False) -> Any:
    """``-sum(xlogy(p, q), axis) / log(base)``."""
    reject_keywords("cross_entropy", log_input=(log_input, False),
                    log_target=(log_target, False))
    return _per_base(-np.sum(sc.xlogy(p, q), axis=_axis(axis)), base)


def binary_entropy(p: Any, *, base: float | None = None, validate: bool = True) -> Any:
    """``(entr(p) + entr(1 - p)) / log(base)``."""
    p = np.asarray(p)
    return _per_base(sc.entr(p) + sc.entr(1 - p), base)


def js_distance(p: Any, q: Any, *, axis: Any = -1, base: float | None = None,
                validate: bool = True) -> Any:
    """``scipy.spatial.distance.jensenshannon(p, q, base=base, axis=axis)``."""
    if isinstance(axis, (tuple, list)):
        raise NotProvided("js_distance: jensenshannon takes one axis")
    return jensenshannon(p, q, base=base, axis=axis)


def js_divergence(p: Any, q: Any, *, axis: Any = -1, base: float | None = None,
                  validate: bool = True) -> Any:
    """``jensenshannon(p, q, base=base, axis=axis) ** 2`` (SciPy returns the distance)."""
    return np.square(js_distance(p, q, axis=axis, base=base))


def huber(x: Any, delta: float = 1.0, *, validate: bool = True) -> Any:
    """``sum(scipy.special.huber(delta, x))`` (SciPy's Huber is elementwise)."""
    return np.sum(sc.huber(delta, x))

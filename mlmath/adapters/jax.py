"""JAX under mlmath's names: ``mlmath check jax``.

Float64 is switched on (``jax_enable_x64``) when this adapter is imported, so
float64 inputs stay float64 as in NumPy; results come back as NumPy arrays.

===========================  ===================================================
mlmath                       JAX
===========================  ===================================================
``softmax``, ``log_softmax``  ``jax.nn.softmax`` / ``jax.nn.log_softmax(x, axis=)``
``logsumexp``                ``jax.scipy.special.logsumexp(x, axis=, b=, keepdims=,
                             return_sign=, where=)``
``sigmoid``, ``log_sigmoid``  ``jax.nn.sigmoid`` / ``jax.nn.log_sigmoid``
``softplus``                 ``jax.nn.softplus``
``entropy``                  ``jax.scipy.special.entr(p).sum(axis)``
``kl_divergence``            ``jax.scipy.special.kl_div(p, q).sum(axis)`` (``rel_entr``
                             with ``generalized=False``)
===========================  ===================================================

The losses (optax) are not mapped yet: they are "not provided".
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402 (after float64 is enabled)
import jax.scipy.special as jss  # noqa: E402

from mlmath.adapters import reject_keywords  # noqa: E402

__all__ = ["entropy", "kl_divergence", "log_sigmoid", "log_softmax", "logsumexp", "sigmoid",
           "softmax", "softplus"]

#: Names whose ``*_grad`` this adapter computes by automatic differentiation (none yet).
AUTOGRAD: frozenset[str] = frozenset()


def _j(x: Any) -> Any:
    a = np.asarray(x)
    return jnp.asarray(a if a.dtype.kind == "f" else a.astype(np.float64))


def _n(x: Any) -> Any:
    out = np.asarray(x)
    return out[()] if out.ndim == 0 else out


def _axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def _per_base(value: Any, base: float | None) -> Any:
    return value if base is None else value / np.log(base)


def softmax(x: Any, *, axis: Any = -1, validate: bool = True) -> Any:
    """``jax.nn.softmax(x, axis=axis)``."""
    return _n(jax.nn.softmax(_j(x), axis=_axis(axis)))


def log_softmax(x: Any, *, axis: Any = -1, validate: bool = True) -> Any:
    """``jax.nn.log_softmax(x, axis=axis)``."""
    return _n(jax.nn.log_softmax(_j(x), axis=_axis(axis)))


def logsumexp(x: Any, *, axis: Any = -1, b: Any = None, keepdims: bool = False,
              return_sign: bool = False, where: Any = None, validate: bool = True) -> Any:
    """``jax.scipy.special.logsumexp`` with the same keywords."""
    out = jss.logsumexp(_j(x), axis=_axis(axis), b=None if b is None else _j(b),
                        keepdims=keepdims, return_sign=return_sign,
                        where=None if where is None else jnp.asarray(where))
    return (_n(out[0]), _n(out[1])) if return_sign else _n(out)


def sigmoid(x: Any, *, validate: bool = True) -> Any:
    """``jax.nn.sigmoid(x)``."""
    return _n(jax.nn.sigmoid(_j(x)))


def log_sigmoid(x: Any, *, validate: bool = True) -> Any:
    """``jax.nn.log_sigmoid(x)``."""
    return _n(jax.nn.log_sigmoid(_j(x)))


def softplus(x: Any, *, validate: bool = True) -> Any:
    """``jax.nn.softplus(x)``."""
    return _n(jax.nn.softplus(_j(x)))


def entropy(p: Any, *, axis: Any = -1, base: float | None = None,
            validate: bool = True) -> Any:
    """``jax.scipy.special.entr(p).sum(axis)``."""
    return _n(_per_base(jss.entr(_j(p)).sum(axis=_axis(axis)), base))


def kl_divergence(p: Any, q: Any, *, axis: Any = -1, base: float | None = None,
                  validate: bool = True, generalized: bool = True, log_input: bool = False,
                  log_target: bool = False) -> Any:
    """``kl_div(p, q).sum(axis)`` (``rel_entr`` with ``generalized=False``)."""
    reject_keywords("kl_divergence", log_input=(log_input, False),
                    log_target=(log_target, False))
    terms = (jss.kl_div if generalized else jss.rel_entr)(_j(p), _j(q))
    return _n(_per_base(terms.sum(axis=_axis(axis)), base))

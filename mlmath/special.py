"""Stable primitives: logsumexp, softmax, log_softmax and the sigmoid family.

First version: stable (no overflow for finite input) and correct; the
accuracy-hardening pass (results near 0, two-sum differences) refines it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from mlmath import _validation as v

__all__ = ["log_sigmoid", "log_softmax", "logsumexp", "sigmoid", "softmax", "softplus"]


def _prepare(x: ArrayLike, axis: int | None, validate: bool) -> tuple[Any, np.dtype[Any], int]:
    arr, out_dtype = v.as_float_array(x, "x")
    ax = -1
    if axis is not None:
        if arr.ndim == 0:
            arr = arr.reshape(1)
        ax = v.check_axis(axis, arr.ndim)
        if validate:
            v.check_nonempty_axis(arr, ax, "x")
    if validate:
        v.check_no_nan(arr, "x")
    return arr, out_dtype, ax


def _max_and_rest(x: Any, axis: int) -> tuple[Any, Any]:
    """Row max (kept dims) and the sum of exp(x - max) over all entries but one max."""
    m = np.max(x, axis=axis, keepdims=True)
    finite_m = np.where(np.isfinite(m), m, 0)
    with np.errstate(invalid="ignore"):
        e = np.exp(x - finite_m)
    idx = np.argmax(x, axis=axis, keepdims=True)
    np.put_along_axis(e, idx, 0, axis=axis)
    rest = np.sum(e, axis=axis, keepdims=True)
    return m, rest


def logsumexp(x: ArrayLike, *, axis: int = -1, keepdims: bool = False,
              validate: bool = True) -> Any:
    r"""Log of the sum of exponentials along ``axis``, without overflow.

    Notes
    -----
    .. math:: \mathrm{LSE}(x) = m + \mathrm{log1p}\Big(\sum_{i \ne i^*} e^{x_i - m}\Big),
              \quad m = x_{i^*} = \max_i x_i

    Examples
    --------
    >>> float(logsumexp([1000.0, 1000.0]))
    1000.6931471805599
    """
    arr, out_dtype, ax = _prepare(x, axis, validate)
    m, rest = _max_and_rest(arr, ax)
    with np.errstate(invalid="ignore"):
        out = np.where(np.isfinite(m), m + np.log1p(rest), m)
    if not keepdims:
        out = np.squeeze(out, axis=ax)
    return v.restore_dtype(out, out_dtype)


def log_softmax(x: ArrayLike, *, axis: int = -1, validate: bool = True) -> Any:
    r"""Log of softmax along ``axis``: :math:`x_i - \operatorname{LSE}(x)`.

    Examples
    --------
    >>> float(log_softmax([50.0, 0.0, 0.0])[0])
    -3.8574996959278356e-22
    """
    arr, out_dtype, ax = _prepare(x, axis, validate)
    m, rest = _max_and_rest(arr, ax)
    out = (arr - m) - np.log1p(rest)
    return v.restore_dtype(out, out_dtype)


def softmax(x: ArrayLike, *, axis: int = -1, validate: bool = True) -> Any:
    r"""Softmax along ``axis``: :math:`e^{x_i - m} / \sum_j e^{x_j - m}`.

    Examples
    --------
    >>> softmax([1000.0, 1000.0]).tolist()
    [0.5, 0.5]
    """
    arr, out_dtype, ax = _prepare(x, axis, validate)
    m, rest = _max_and_rest(arr, ax)
    out = np.exp(arr - m) / (1 + rest)
    return v.restore_dtype(out, out_dtype)


def sigmoid(x: ArrayLike, *, validate: bool = True) -> Any:
    r"""Logistic sigmoid :math:`1 / (1 + e^{-x})`, evaluated without overflow.

    Examples
    --------
    >>> float(sigmoid(-800.0)) > 0 or float(sigmoid(-800.0)) == 0.0
    True
    """
    arr, out_dtype, _ = _prepare(x, None, validate)
    z = np.exp(-np.abs(arr))
    out = np.where(arr >= 0, 1 / (1 + z), z / (1 + z))
    return v.restore_dtype(out, out_dtype)


def softplus(x: ArrayLike, *, validate: bool = True) -> Any:
    r"""Softplus :math:`\log(1 + e^{x}) = \max(x, 0) + \operatorname{log1p}(e^{-|x|})`.

    Examples
    --------
    >>> float(softplus(-700.0))
    9.85967654375977e-305
    """
    arr, out_dtype, _ = _prepare(x, None, validate)
    out = np.maximum(arr, 0) + np.log1p(np.exp(-np.abs(arr)))
    return v.restore_dtype(out, out_dtype)


def log_sigmoid(x: ArrayLike, *, validate: bool = True) -> Any:
    r"""Log of the sigmoid: :math:`\log \sigma(x) = -\operatorname{softplus}(-x)`.

    Examples
    --------
    >>> float(log_sigmoid(40.0))
    -4.248354255291589e-18
    """
    arr, out_dtype, _ = _prepare(x, None, validate)
    out = np.minimum(arr, 0) - np.log1p(np.exp(-np.abs(arr)))
    return v.restore_dtype(out, out_dtype)

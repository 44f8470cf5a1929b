r"""Regularisation penalties, their (sub)gradients and proximal operators.

Penalties are *sums over all elements* of an array of any shape and return a
scalar; subgradients and proximal operators return an array of the input's
shape and dtype.  The proximal operator of a function :math:`f` with step
:math:`t > 0` is

.. math:: \operatorname{prox}_{t f}(x) = \operatorname*{argmin}_u\;
          f(u) + \frac{1}{2t}\lVert u - x\rVert_2^2 .

Conventions (every choice the API leaves open):

* ``squared_l2(w)`` is :math:`\sum_i w_i^2` **without** a factor 1/2, so its
  gradient is :math:`2w` and its prox is :math:`x / (1 + 2t)`;
* ``elastic_net`` follows scikit-learn:
  :math:`\alpha\,(\rho\lVert w\rVert_1 + \tfrac12(1-\rho)\lVert w\rVert_2^2)`;
* subgradients are the minimum-norm element of the subdifferential, so
  ``l1_subgradient(0) == 0``;
* thresholds (``t * alpha * l1_ratio``, ...) are formed in float64 and
  rounded once to the working dtype, then every comparison and subtraction
  happens in that dtype: ``prox_l1(x, t)`` is exactly zero exactly where
  ``abs(x) <= t`` (``t`` rounded to ``x``'s dtype), and zeros are ``+0.0``;
* ``validate=False`` skips the O(n) array checks (the NaN scan and the group
  label checks); scalar hyperparameters are always checked (O(1)).

References
----------
- [PB14] N. Parikh and S. Boyd, "Proximal Algorithms", Foundations and Trends
   in Optimization 1(3), 2014: section 2.2 (the regularisation rule), 2.5
   (Moreau decomposition), 3.1 (Moreau envelope, Huber), 6.1.1 (quadratics),
   6.5.2-6.5.4 (soft thresholding, elastic net, group lasso).
- [Beck17] A. Beck, "First-Order Methods in Optimization", MOS-SIAM Series on
   Optimization, 2017, chapter 6 "The Proximal Operator" (first examples,
   prox calculus rules, the Moreau decomposition, the Moreau envelope).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from mlmath import _namespace as _ns
from mlmath import _validation as v
from mlmath._typing import FloatArray, FloatResult
from mlmath._xp import penalties as _xpp

__all__ = [
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
    "prox_sparse_group_lasso",
    "prox_squared_l2",
    "sparse_group_lasso",
    "sparse_group_lasso_subgradient",
    "squared_l2",
    "squared_l2_grad",
]

#: Types that take the NumPy path (one set lookup; see :mod:`mlmath._namespace`).
_HOST = _ns.HOST_TYPES


def _flag(validate: object) -> bool:
    return v.check_bool(validate, "validate")


def _sqrt_flag(sqrt_size_weights: object) -> bool:
    return v.check_bool(sqrt_size_weights, "sqrt_size_weights")


# ---------------------------------------------------------------------------
# small private helpers
# ---------------------------------------------------------------------------

def _prepare(x: ArrayLike, name: str, validate: bool) -> tuple[Any, np.dtype[Any]]:
    arr, out_dtype = v.as_float_array(x, name)
    if validate:
        v.check_no_nan(arr, name)
    return arr, out_dtype


def _prepare_finite(x: ArrayLike, name: str, validate: bool) -> tuple[Any, np.dtype[Any]]:
    """As :func:`_prepare`, and no infinity either (one scan when the input is finite)."""
    arr, out_dtype = v.as_float_array(x, name)
    if validate and not np.isfinite(arr).all():
        v.check_no_nan(arr, name)
        v.check_finite(arr, name)
    return arr, out_dtype


def _accumulator(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """float32 terms are formed and summed in float64: the float32 result is
    then one rounding of a nearly exact value (and squares of float32 never
    overflow or underflow in float64)."""
    return np.promote_types(dtype, np.float64)


def _total(terms: Any) -> Any:
    return np.sum(terms, dtype=_accumulator(terms.dtype))


def _squares(x: Any) -> Any:
    return np.square(x, dtype=_accumulator(x.dtype))


def _combine(c1: float, term1: Callable[[], Any], c2: float, term2: Callable[[], Any]) -> Any:
    """``c1 * term1() + c2 * term2()``, skipping (not evaluating) a term whose
    coefficient is 0.

    Why: the elastic net with ``l1_ratio=1`` is the lasso even where the
    squares overflow or ``w`` is infinite, and ``0 * inf`` would be a silent NaN.
    """
    total: Any = 0.0
    for c, term in ((c1, term1), (c2, term2)):
        if c != 0:
            total = total + c * term()
    return total


def _step(t: Any) -> float:
    return v.check_positive_scalar(t, "t")


def _in_dtype(value: float, dtype: np.dtype[Any]) -> Any:
    """A validated finite scalar rounded to ``dtype``, saturating at its largest
    value: a step of 1e39 for float32 data must stay finite, else
    ``inf - inf`` would turn an infinite entry into NaN."""
    return dtype.type(min(value, float(np.finfo(dtype).max)))


def _elastic_net_params(alpha: Any, l1_ratio: Any) -> tuple[float, float]:
    """Validated ``(alpha * l1_ratio, alpha * (1 - l1_ratio))``: the l1 weight
    and the weight of :math:`\\tfrac12\\lVert w\\rVert^2`."""
    a = v.check_positive_scalar(alpha, "alpha", allow_zero=True)
    rho = v.check_fraction(l1_ratio, "l1_ratio")
    return a * rho, a * (1.0 - rho)


def _soft_threshold(x: Any, tau: Any) -> Any:
    """:math:`\\operatorname{sign}(x)\\max(|x| - \\tau, 0)` written as
    ``x - clip(x, -tau, tau)``: exact zeros (``x - x = +0``) where
    ``|x| <= tau``, one correctly rounded subtraction elsewhere, and
    ``inf - tau = inf``."""
    return x - np.clip(x, -tau, tau)


# ---------------------------------------------------------------------------
# penalties
# ---------------------------------------------------------------------------

def l1(w: ArrayLike, *, validate: bool = True) -> FloatResult:
    r"""The l1 norm :math:`\lVert w\rVert_1 = \sum_i |w_i|` over all elements.

    Parameters
    ----------
    w : array_like, any shape
        Real values; NaN raises ``ValueError`` (``validate=True``).
    validate : bool, keyword-only
        ``False`` skips the NaN scan.

    Returns
    -------
    scalar of ``w``'s float dtype

    See Also
    --------
    l1_subgradient : its minimum-norm subgradient
    prox_l1 : its proximal operator
    elastic_net : l1 plus squared l2

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    float32 terms are formed and summed in float64 and rounded once, so the
    float32 result is within 0.5 ulp plus a float64 residue (measured: 0.5
    eps); float64 uses NumPy's pairwise sum (relative error at most about
    :math:`\log_2(n)\,\epsilon`, no cancellation since every term is
    non-negative; measured <= 1 eps on 400 terms).

    References
    ----------
    .. [1] Beck, "First-Order Methods in Optimization", SIAM 2017, chapter 3.

    Examples
    --------
    >>> float(l1([3.0, -4.0, 0.0]))
    7.0
    """
    if type(w) not in _HOST and (xp := _ns.foreign_namespace(w)) is not None:
        return _xpp.l1(xp, w, validate=_flag(validate))
    v.check_bool(validate, "validate")
    arr, out_dtype = _prepare(w, "w", validate)
    return v.restore_dtype(_total(np.abs(arr)), out_dtype)


def squared_l2(w: ArrayLike, *, validate: bool = True) -> FloatResult:
    r"""The squared Euclidean norm :math:`\lVert w\rVert_2^2 = \sum_i w_i^2`.

    There is **no** factor 1/2 (``../API.md``): the gradient is :math:`2w`
    (:func:`squared_l2_grad`) and the prox is :math:`x/(1+2t)`
    (:func:`prox_squared_l2`).

    Parameters
    ----------
    w : array_like, any shape
    validate : bool, keyword-only

    Returns
    -------
    scalar of ``w``'s float dtype

    See Also
    --------
    squared_l2_grad : its gradient
    prox_squared_l2 : its proximal operator

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \lVert w\rVert_2^2 = \sum_i w_i^2

    Accumulation as in :func:`l1`.  The squares overflow only when the true
    result does (an infinite result is then the correctly rounded value).

    References
    ----------
    .. [1] Beck, "First-Order Methods in Optimization", SIAM 2017, chapter 6.

    Examples
    --------
    >>> float(squared_l2([3.0, -4.0]))
    25.0
    """
    if type(w) not in _HOST and (xp := _ns.foreign_namespace(w)) is not None:
        return _xpp.squared_l2(xp, w, validate=_flag(validate))
    v.check_bool(validate, "validate")
    arr, out_dtype = _prepare(w, "w", validate)
    return v.restore_dtype(_total(_squares(arr)), out_dtype)


def elastic_net(w: ArrayLike, *, alpha: float = 1.0, l1_ratio: float = 0.5,
                validate: bool = True) -> FloatResult:
    r"""The elastic-net penalty in scikit-learn's convention.

    This is exactly the penalty of ``sklearn.linear_model.ElasticNet`` (whose
    data term is :math:`\lVert y - Xw\rVert^2 / (2 n)`); ``l1_ratio=1`` is the
    lasso penalty :math:`\alpha\lVert w\rVert_1`.  Note the 1/2 on the squared
    norm here, unlike :func:`squared_l2`.

    Parameters
    ----------
    w : array_like, any shape
    alpha : float >= 0, keyword-only
        Overall strength.
    l1_ratio : float in [0, 1], keyword-only
        Mix between l1 (1) and squared l2 (0).
    validate : bool, keyword-only

    Returns
    -------
    scalar of ``w``'s float dtype

    See Also
    --------
    elastic_net_subgradient : its subgradient
    prox_elastic_net : its proximal operator

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \alpha\Big(\rho\,\lVert w\rVert_1
              + \frac{1-\rho}{2}\lVert w\rVert_2^2\Big), \qquad \rho = \mathtt{l1\_ratio}

    A term whose coefficient is 0 is dropped rather than multiplied by 0, so
    ``alpha=0`` gives 0 and ``l1_ratio=1`` gives the lasso even for infinite
    ``w`` (never ``0 * inf = NaN``).

    References
    ----------
    H. Zou and T. Hastie, "Regularization and variable selection via the
    elastic net", J. R. Stat. Soc. B 67(2), 2005; scikit-learn,
    ``sklearn.linear_model.ElasticNet`` (the alpha / l1_ratio convention).

    Examples
    --------
    >>> float(elastic_net([1.0, -2.0], alpha=0.5, l1_ratio=0.5))  # 0.5 * (1.5 + 1.25)
    1.375
    """
    if type(w) not in _HOST and (xp := _ns.foreign_namespace(w)) is not None:
        return _xpp.elastic_net(xp, w, alpha=alpha, l1_ratio=l1_ratio, validate=_flag(validate))
    v.check_bool(validate, "validate")
    arr, out_dtype = _prepare(w, "w", validate)
    lam1, lam2 = _elastic_net_params(alpha, l1_ratio)
    acc = _accumulator(arr.dtype)
    value = _combine(lam1, lambda: _total(np.abs(arr)), 0.5 * lam2,
                     lambda: _total(_squares(arr)))
    return v.restore_dtype(np.asarray(value, dtype=acc), out_dtype)


def _group_structure(groups: ArrayLike, shape: tuple[int, ...],
                     sqrt_size_weights: bool) -> tuple[Any, Any]:
    """Per element, the index of its group (0..G-1, flat); per group, its weight."""
    labels = v.as_group_labels(groups, shape, "groups")  # types are checked even unvalidated
    flat = labels.reshape(-1)
    if flat.size and flat.min() >= 0 and flat.max() < 2 * flat.size + 1024:
        # Dense non-negative labels (the usual 0..G-1): use them as indices, O(n)
        # instead of a sort; unused labels are empty groups and contribute 0.
        index = flat.astype(np.intp, copy=False)
        sizes = np.bincount(index)
    else:
        _, index, sizes = np.unique(flat, return_inverse=True, return_counts=True)
    weights = np.sqrt(sizes) if sqrt_size_weights else np.ones(sizes.shape)
    return index.reshape(-1), weights


def _group_norms(x: Any, index: Any, n_groups: int) -> Any:
    r"""Euclidean norm of each group, without overflow or underflow.

    Each group is scaled by its largest magnitude before squaring (the hypot
    technique): :math:`\lVert x_g\rVert = m_g\sqrt{\sum (x_i/m_g)^2}`, so
    ``[1e200, 1e200]`` has norm ``1.41e200`` rather than ``inf`` and
    ``[1e-200]`` has norm ``1e-200`` rather than 0.  Work is done in at least
    float64 (float32 input: about 1 float32 ulp overall).
    """
    a = np.abs(x.reshape(-1)).astype(_accumulator(x.dtype), copy=False)
    scale = np.zeros(n_groups, dtype=a.dtype)
    with np.errstate(invalid="ignore"):  # NaN (validate=False only) propagates to its group
        np.maximum.at(scale, index, a)
    usable = (scale > 0) & np.isfinite(scale)
    safe = np.where(usable, scale, 1)
    sum_sq = np.bincount(index, weights=np.square(a / np.take(safe, index)), minlength=n_groups)
    norms = safe * np.sqrt(sum_sq.astype(a.dtype, copy=False))
    return np.where(np.isinf(scale), np.inf, norms)


def group_lasso(w: ArrayLike, groups: ArrayLike, *, sqrt_size_weights: bool = False,
                validate: bool = True) -> FloatResult:
    r"""The group-lasso penalty :math:`\sum_g c_g\,\lVert w_g\rVert_2`.

    Parameters
    ----------
    w : array_like, any shape
    groups : array_like of int, same shape as ``w``
        One group label per element (any integers; they need not be
        contiguous or sorted).  Elements with equal labels form a group.
    sqrt_size_weights : bool, keyword-only
        ``False`` (default): :math:`c_g = 1`.  ``True``: the usual weighting
        :math:`c_g = \sqrt{|g|}` of Yuan & Lin (2006), which makes groups of
        different sizes comparable.  Pass the same value to
        :func:`prox_group_lasso`.
    validate : bool, keyword-only
        ``False`` skips the NaN scan and the label dtype/shape checks.

    Returns
    -------
    scalar of ``w``'s float dtype

    See Also
    --------
    prox_group_lasso : its proximal operator
    l1 : groups of size one

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    With one element per group this is :func:`l1`; with a single group it is
    the Euclidean norm.  Group norms are computed by scaling each group by its
    largest magnitude (no overflow/underflow of the squares, see the example);
    the relative error is about :math:`(1 + n_g/2)\,\epsilon` of float64.

    References
    ----------
    M. Yuan and Y. Lin, "Model selection and estimation in regression with
    grouped variables", J. R. Stat. Soc. B 68(1), 2006.

    Examples
    --------
    >>> float(group_lasso([3.0, 4.0, -2.0], [0, 0, 1]))
    7.0
    >>> float(group_lasso([3e200, 4e200], [7, 7]))  # no overflow of the squares
    5e+200
    """
    if (xp := _ns.foreign_namespace(w, groups, names=("w", "groups"))) is not None:
        return _xpp.group_lasso(xp, w, groups, sqrt_size_weights=_sqrt_flag(sqrt_size_weights),
                                validate=_flag(validate))
    v.check_bool(sqrt_size_weights, "sqrt_size_weights")
    v.check_bool(validate, "validate")
    arr, out_dtype = _prepare(w, "w", validate)
    index, weights = _group_structure(groups, arr.shape, sqrt_size_weights)
    norms = _group_norms(arr, index, weights.size)
    return v.restore_dtype(np.sum(weights * norms), out_dtype)


def huber(x: ArrayLike, delta: float = 1.0, *, validate: bool = True) -> FloatResult:
    r"""Sum of the Huber function: the Moreau envelope of :math:`\delta|\cdot|`.

    .. math:: h_\delta(x) = \begin{cases} x^2/2, & |x| \le \delta \\
              \delta\,(|x| - \delta/2), & |x| > \delta \end{cases}
              \;=\; \min_u\; \delta|u| + \tfrac12 (u - x)^2 ,

    the minimum being attained at :math:`u = \operatorname{prox}_{\delta|\cdot|}(x)`
    (``prox_l1(x, delta)``).  Returns :math:`\sum_i h_\delta(x_i)`.

    Parameters
    ----------
    x : array_like, any shape
    delta : float >= 0
        Transition point; ``delta=0`` gives the zero function.
    validate : bool, keyword-only

    Returns
    -------
    scalar of ``x``'s float dtype

    See Also
    --------
    huber_grad : its gradient
    prox_l1 : huber is the Moreau envelope of delta times the absolute value

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    Evaluated as :math:`m\,(|x| - m/2)` with :math:`m = \min(|x|, \delta)`,
    which is both branches in one expression: no squares of large ``|x|`` are
    formed (no spurious overflow), and each term costs at most two roundings.
    float32 input is evaluated in float64 and rounded once (as :func:`l1`).

    References
    ----------
    P. J. Huber, "Robust estimation of a location parameter", Ann. Math.
    Statist. 35(1), 1964; [PB14] section 3.1; [Beck17] chapter 6 (the
    Moreau envelope).

    Examples
    --------
    >>> float(huber([0.5, -3.0], delta=1.0))  # 0.125 + (3 - 0.5)
    2.625
    >>> float(huber([1e300], delta=1.0))  # linear branch: no overflow
    1e+300
    """
    if type(x) not in _HOST and (xp := _ns.foreign_namespace(x)) is not None:
        return _xpp.huber(xp, x, delta, validate=_flag(validate))
    v.check_bool(validate, "validate")
    arr, out_dtype = _prepare(x, "x", validate)
    # delta is rounded to the dtype, as in huber_grad and prox_l1 (consistent kinks).
    d = float(_in_dtype(v.check_positive_scalar(delta, "delta", allow_zero=True), arr.dtype))
    if d == 0:  # the zero function (and m * (a - m/2) would be 0 * inf at |x| = inf)
        return v.restore_dtype(np.zeros((), dtype=_accumulator(arr.dtype)), out_dtype)
    a = np.abs(arr).astype(_accumulator(arr.dtype), copy=False)
    m = np.minimum(a, d)
    return v.restore_dtype(_total(m * (a - m / 2)), out_dtype)


# ---------------------------------------------------------------------------
# (sub)gradients
# ---------------------------------------------------------------------------

def l1_subgradient(w: ArrayLike, *, validate: bool = True) -> FloatResult:
    r"""Minimum-norm subgradient of :math:`\lVert w\rVert_1`: :math:`\operatorname{sign}(w)`.

    Parameters
    ----------
    w : array_like, any shape
    validate : bool, keyword-only

    Returns
    -------
    ndarray, same shape and dtype as ``w``, entries in {-1, 0, 1}

    See Also
    --------
    l1 : the penalty
    prox_l1 : its proximal operator

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \partial\lVert w\rVert_1 = \prod_i \begin{cases}
              \{\operatorname{sign}(w_i)\}, & w_i \ne 0 \\ [-1, 1], & w_i = 0 \end{cases}

    whose minimum-norm element is :math:`\operatorname{sign}(w)` with
    :math:`\operatorname{sign}(0) = 0` (``-0.0`` gives ``+0.0``).

    References
    ----------
    .. [1] Beck, "First-Order Methods in Optimization", SIAM 2017, section 3.3
       (the l1 subdifferential).

    Examples
    --------
    >>> l1_subgradient([2.0, 0.0, -0.0, -1e-300]).tolist()
    [1.0, 0.0, 0.0, -1.0]
    """
    if type(w) not in _HOST and (xp := _ns.foreign_namespace(w)) is not None:
        return _xpp.l1_subgradient(xp, w, validate=_flag(validate))
    v.check_bool(validate, "validate")
    arr, out_dtype = _prepare(w, "w", validate)
    return v.restore_dtype(np.sign(arr) + 0.0, out_dtype)  # + 0.0 turns sign(-0.0) into +0.0


def squared_l2_grad(w: ArrayLike, *, validate: bool = True) -> FloatResult:
    r"""Gradient of :func:`squared_l2`: :math:`2w`.

    Parameters
    ----------
    w : array_like, any shape
    validate : bool, keyword-only

    Returns
    -------
    ndarray, same shape and dtype as ``w`` (exact: doubling is exact)

    See Also
    --------
    squared_l2 : the penalty

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \nabla_w \sum_i w_i^2 = 2w

    (no factor 1/2 in :func:`squared_l2`, hence the 2).

    References
    ----------
    .. [1] Beck, "First-Order Methods in Optimization", SIAM 2017, chapter 6.

    Examples
    --------
    >>> squared_l2_grad([1.5, -2.0]).tolist()
    [3.0, -4.0]
    """
    if type(w) not in _HOST and (xp := _ns.foreign_namespace(w)) is not None:
        return _xpp.squared_l2_grad(xp, w, validate=_flag(validate))
    v.check_bool(validate, "validate")
    arr, out_dtype = _prepare(w, "w", validate)
    return v.restore_dtype(2 * arr, out_dtype)


def elastic_net_subgradient(w: ArrayLike, *, alpha: float = 1.0, l1_ratio: float = 0.5,
                            validate: bool = True) -> FloatResult:
    r"""Minimum-norm subgradient of :func:`elastic_net`.

    Parameters
    ----------
    w : array_like, any shape
    alpha : float >= 0, keyword-only
    l1_ratio : float in [0, 1], keyword-only
    validate : bool, keyword-only

    Returns
    -------
    ndarray, same shape and dtype as ``w``

    See Also
    --------
    elastic_net : the penalty
    l1_subgradient : the l1 part

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \alpha\big(\rho\,\operatorname{sign}(w) + (1-\rho)\,w\big),

    which is 0 where :math:`w_i = 0` (the minimum-norm element of
    :math:`\alpha\rho[-1, 1]`).  A zero coefficient drops its term (no
    ``0 * inf``).

    References
    ----------
    [Beck17] chapter 3 (subgradients; the l1 subdifferential).

    Examples
    --------
    >>> elastic_net_subgradient([2.0, 0.0, -1.0], alpha=2.0, l1_ratio=0.5).tolist()
    [3.0, 0.0, -2.0]
    """
    if type(w) not in _HOST and (xp := _ns.foreign_namespace(w)) is not None:
        return _xpp.elastic_net_subgradient(xp, w, alpha=alpha, l1_ratio=l1_ratio,
            validate=_flag(validate))
    v.check_bool(validate, "validate")
    arr, out_dtype = _prepare(w, "w", validate)
    lam1, lam2 = _elastic_net_params(alpha, l1_ratio)
    grad = _combine(lam1, lambda: np.sign(arr), lam2, lambda: arr)
    grad = np.broadcast_to(np.asarray(grad, dtype=arr.dtype), arr.shape) + 0.0  # no -0.0
    return v.restore_dtype(grad, out_dtype)


def huber_grad(x: ArrayLike, delta: float = 1.0, *, validate: bool = True) -> FloatResult:
    r"""Gradient of :func:`huber`: :math:`\operatorname{clip}(x, -\delta, \delta)`.

    An extension beyond the API contract (exported at the top level like every
    public function; see the README).

    Parameters
    ----------
    x : array_like, any shape
    delta : float >= 0
    validate : bool, keyword-only

    Returns
    -------
    ndarray, same shape and dtype as ``x`` (exact: no rounding)

    See Also
    --------
    huber : the penalty

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \nabla h_\delta(x) = \operatorname{clip}(x, -\delta, \delta)
              = x - \operatorname{prox}_{\delta|\cdot|}(x)

    the gradient of a Moreau envelope.

    References
    ----------
    [PB14] section 3.1; [Beck17] chapter 6.

    Examples
    --------
    >>> huber_grad([0.5, -3.0], delta=1.0).tolist()
    [0.5, -1.0]
    """
    if type(x) not in _HOST and (xp := _ns.foreign_namespace(x)) is not None:
        return _xpp.huber_grad(xp, x, delta, validate=_flag(validate))
    v.check_bool(validate, "validate")
    arr, out_dtype = _prepare(x, "x", validate)
    d = _in_dtype(v.check_positive_scalar(delta, "delta", allow_zero=True), arr.dtype)
    return v.restore_dtype(np.clip(arr, -d, d), out_dtype)


# ---------------------------------------------------------------------------
# proximal operators
# ---------------------------------------------------------------------------

def prox_l1(x: ArrayLike, t: float, *, validate: bool = True) -> FloatResult:
    r"""Proximal operator of :math:`t\lVert\cdot\rVert_1`: soft thresholding.

    Parameters
    ----------
    x : array_like, any shape
    t : float > 0
        Step (threshold); rounded once to ``x``'s dtype.
    validate : bool, keyword-only

    Returns
    -------
    ndarray, same shape and dtype as ``x``

    See Also
    --------
    l1 : the penalty
    prox_elastic_net : with an added squared l2 term
    prox_group_lasso : the block version

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \operatorname{prox}_{t\lVert\cdot\rVert_1}(x)_i
              = \operatorname{sign}(x_i)\max(|x_i| - t, 0)

    Computed as ``x - clip(x, -t, t)``: the output is exactly ``+0.0``
    exactly where ``|x| <= t`` (a sparse solution stays sparse; no ``1e-17``
    residue), and elsewhere it is the correctly rounded ``|x| - t`` with the
    sign of ``x`` (error at most 0.5 ulp).

    References
    ----------
    [PB14] section 6.5.2; [Beck17] chapter 6.

    Examples
    --------
    >>> prox_l1([3.0, -0.5, 1.0, -2.0], 1.0).tolist()  # exact zeros
    [2.0, 0.0, 0.0, -1.0]
    """
    if type(x) not in _HOST and (xp := _ns.foreign_namespace(x)) is not None:
        return _xpp.prox_l1(xp, x, t, validate=_flag(validate))
    v.check_bool(validate, "validate")
    arr, out_dtype = _prepare(x, "x", validate)
    tau = _in_dtype(_step(t), arr.dtype)
    return v.restore_dtype(_soft_threshold(arr, tau), out_dtype)


def prox_squared_l2(x: ArrayLike, t: float, *, validate: bool = True) -> FloatResult:
    r"""Proximal operator of :math:`t\sum_i u_i^2` (no 1/2, as :func:`squared_l2`).

    Parameters
    ----------
    x : array_like, any shape
    t : float > 0
    validate : bool, keyword-only

    Returns
    -------
    ndarray, same shape and dtype as ``x`` (relative error at most 1 ulp:
    the rounding of :math:`1 + 2t` and of the division)

    See Also
    --------
    squared_l2 : the penalty
    prox_l1 : the l1 case

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \operatorname*{argmin}_u \lVert u\rVert_2^2 + \frac{1}{2t}\lVert u - x\rVert_2^2
              = \frac{x}{1 + 2t}

    (setting the gradient :math:`2u + (u - x)/t` to zero).  With the more
    common :math:`\tfrac12\lVert u\rVert^2` the factor would be :math:`1/(1+t)`.

    References
    ----------
    [PB14] section 6.1.1; [Beck17] chapter 6.

    Examples
    --------
    >>> prox_squared_l2([3.0, -6.0], 1.0).tolist()
    [1.0, -2.0]
    """
    if type(x) not in _HOST and (xp := _ns.foreign_namespace(x)) is not None:
        return _xpp.prox_squared_l2(xp, x, t, validate=_flag(validate))
    v.check_bool(validate, "validate")
    arr, out_dtype = _prepare(x, "x", validate)
    denominator = _in_dtype(1.0 + 2.0 * _step(t), arr.dtype)
    return v.restore_dtype(arr / denominator, out_dtype)


def prox_elastic_net(x: ArrayLike, t: float, *, alpha: float = 1.0, l1_ratio: float = 0.5,
                     validate: bool = True) -> FloatResult:
    r"""Proximal operator of :math:`t` times :func:`elastic_net`.

    Parameters
    ----------
    x : array_like, any shape
    t : float > 0
    alpha : float >= 0, keyword-only
    l1_ratio : float in [0, 1], keyword-only
    validate : bool, keyword-only

    Returns
    -------
    ndarray, same shape and dtype as ``x``; exact zeros exactly where
    :math:`|x| \le t\alpha\rho` (threshold rounded to the dtype), relative
    error elsewhere at most about 1.5 ulp for that threshold.

    See Also
    --------
    elastic_net : the penalty
    prox_l1 : soft thresholding

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \operatorname{prox}(x) = \frac{\operatorname{sign}(x)\max(|x| - t\alpha\rho, 0)}
              {1 + t\alpha(1-\rho)}

    i.e. soft thresholding followed by shrinkage: for
    :math:`f = g + \tfrac{\mu}{2}\lVert\cdot\rVert^2`,
    :math:`\operatorname{prox}_{tf} = \operatorname{prox}_{\frac{t}{1+t\mu} g}
    (\,\cdot\,/(1+t\mu))`, and for the positively homogeneous
    :math:`g = \lambda\lVert\cdot\rVert_1` this equals
    :math:`\operatorname{prox}_{tg}(x)/(1+t\mu)`.

    References
    ----------
    [PB14] sections 2.2 (regularisation rule) and 6.5.3 (elastic net);
    [Beck17] chapter 6 (prox calculus).

    Examples
    --------
    >>> prox_elastic_net([3.0, -0.5], 1.0, alpha=2.0, l1_ratio=0.5).tolist()
    [1.0, 0.0]
    """
    if type(x) not in _HOST and (xp := _ns.foreign_namespace(x)) is not None:
        return _xpp.prox_elastic_net(xp, x, t, alpha=alpha, l1_ratio=l1_ratio,
            validate=_flag(validate))
    v.check_bool(validate, "validate")
    arr, out_dtype = _prepare(x, "x", validate)
    step = _step(t)
    lam1, lam2 = _elastic_net_params(alpha, l1_ratio)
    tau = _in_dtype(step * lam1, arr.dtype)
    denominator = _in_dtype(1.0 + step * lam2, arr.dtype)
    return v.restore_dtype(_soft_threshold(arr, tau) / denominator, out_dtype)


def prox_group_lasso(x: ArrayLike, t: float, groups: ArrayLike, *,
                     sqrt_size_weights: bool = False, validate: bool = True) -> FloatResult:
    r"""Proximal operator of :math:`t` times :func:`group_lasso`: block soft thresholding.

    .. math:: \operatorname{prox}(x)_g = \max\Big(1 - \frac{t c_g}{\lVert x_g\rVert_2}, 0\Big)\,x_g

    with :math:`c_g = 1`, or :math:`\sqrt{|g|}` when ``sqrt_size_weights``.

    Parameters
    ----------
    x : array_like, any shape
    t : float > 0
    groups : array_like of int, same shape as ``x``
        One group label per element (see :func:`group_lasso`).
    sqrt_size_weights : bool, keyword-only
        Same meaning as in :func:`group_lasso`.
    validate : bool, keyword-only

    Returns
    -------
    ndarray, same shape and dtype as ``x``; a whole group is exactly ``+0.0``
    where :math:`\lVert x_g\rVert \le t c_g`.

    See Also
    --------
    group_lasso : the penalty
    prox_l1 : groups of size one

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    Group norms are computed without overflow (see :func:`group_lasso`); the
    shrink factor is formed as :math:`(\lVert x_g\rVert - tc_g)/\lVert x_g\rVert`
    in at least float64 (the subtraction is exact near the threshold, by
    Sterbenz's lemma) and applied with one rounding to ``x``'s dtype.

    References
    ----------
    [PB14] section 6.5.4; [Beck17] chapter 6.

    Examples
    --------
    >>> prox_group_lasso([3.0, 4.0, 0.3, -0.4], 1.0, [0, 0, 1, 1]).tolist()
    [2.4, 3.2, 0.0, 0.0]
    """
    if (xp := _ns.foreign_namespace(x, groups, names=("x", "groups"))) is not None:
        return _xpp.prox_group_lasso(xp, x, t, groups,
                                     sqrt_size_weights=_sqrt_flag(sqrt_size_weights),
                                     validate=_flag(validate))
    v.check_bool(sqrt_size_weights, "sqrt_size_weights")
    v.check_bool(validate, "validate")
    arr, out_dtype = _prepare(x, "x", validate)
    step = _step(t)
    index, weights = _group_structure(groups, arr.shape, sqrt_size_weights)
    norms = _group_norms(arr, index, weights.size)
    thresholds = step * weights
    with np.errstate(all="ignore"):  # masked: norm <= threshold (may overflow: tiny norm) or inf
        factor = np.where(norms > thresholds, (norms - thresholds) / norms, 0.0)
    factor = np.where(np.isinf(norms), 1.0, factor)
    # + 0.0 turns the -0.0 of (negative entry) * 0 into +0.0.
    shrunk = arr.reshape(-1) * np.take(factor, index) + 0.0
    return v.restore_dtype(shrunk.reshape(arr.shape), out_dtype)


def _sparse_group_params(alpha: Any, l1_ratio: Any) -> tuple[float, float]:
    """Validated ``(alpha * l1_ratio, alpha * (1 - l1_ratio))``: the weights of
    the l1 norm and of the group norms."""
    return _elastic_net_params(alpha, l1_ratio)


def sparse_group_lasso(x: ArrayLike, groups: ArrayLike, *, alpha: float, l1_ratio: float,
                       sqrt_size_weights: bool = False, validate: bool = True) -> FloatResult:
    r"""The sparse-group-lasso penalty: lasso plus group lasso.

    Parameters
    ----------
    x : array_like, any shape
    groups : array_like of int, same shape as ``x``
        One group label per element (see :func:`group_lasso`).
    alpha : float >= 0, keyword-only
        Overall strength.
    l1_ratio : float in [0, 1], keyword-only
        Mix between the lasso (1) and the group lasso (0), as in
        :func:`elastic_net`.
    sqrt_size_weights : bool, keyword-only
        Group weights :math:`c_g = \sqrt{|g|}` (Simon et al.'s choice) instead
        of 1; same meaning as in :func:`group_lasso`.
    validate : bool, keyword-only
        ``False`` skips the NaN scan and the label checks.

    Returns
    -------
    scalar of ``x``'s float dtype

    See Also
    --------
    sparse_group_lasso_subgradient : its minimum-norm subgradient
    prox_sparse_group_lasso : its proximal operator
    group_lasso : ``l1_ratio=0`` (times ``alpha``)
    l1 : ``l1_ratio=1`` (times ``alpha``)

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \alpha\Big(\rho\,\lVert x\rVert_1 + (1-\rho)\sum_g c_g\lVert x_g\rVert_2\Big),
              \qquad \rho = \mathtt{l1\_ratio}

    Group norms without overflow (see :func:`group_lasso`); a term whose
    coefficient is 0 is dropped, so ``l1_ratio=1`` is exactly ``alpha * l1(x)``
    and ``l1_ratio=0`` exactly ``alpha * group_lasso(x, groups)``, also for
    infinite ``x`` (never ``0 * inf``).  Relative error about
    :math:`(2 + n_g/2)\,\epsilon` (float32 input summed in float64).

    References
    ----------
    N. Simon, J. Friedman, T. Hastie and R. Tibshirani, "A sparse-group
    lasso", J. Comput. Graph. Stat. 22(2), 2013.

    Examples
    --------
    >>> float(sparse_group_lasso([3.0, 4.0, -2.0], [0, 0, 1], alpha=2.0, l1_ratio=0.5))
    16.0
    """
    if (xp := _ns.foreign_namespace(x, groups, names=("x", "groups"))) is not None:
        return _xpp.sparse_group_lasso(xp, x, groups, alpha=alpha, l1_ratio=l1_ratio,
                                       sqrt_size_weights=_sqrt_flag(sqrt_size_weights),
                                       validate=_flag(validate))
    v.check_bool(sqrt_size_weights, "sqrt_size_weights")
    v.check_bool(validate, "validate")
    arr, out_dtype = _prepare(x, "x", validate)
    lam1, lam_g = _sparse_group_params(alpha, l1_ratio)
    index, weights = _group_structure(groups, arr.shape, sqrt_size_weights)
    acc = _accumulator(arr.dtype)
    value = _combine(lam1, lambda: _total(np.abs(arr)), lam_g,
                     lambda: np.sum(weights * _group_norms(arr, index, weights.size)))
    return v.restore_dtype(np.asarray(value, dtype=acc), out_dtype)


def sparse_group_lasso_subgradient(x: ArrayLike, groups: ArrayLike, *, alpha: float,
                                   l1_ratio: float, sqrt_size_weights: bool = False,
                                   validate: bool = True) -> FloatArray:
    r"""Minimum-norm subgradient of :func:`sparse_group_lasso`.

    Parameters
    ----------
    x : array_like, any shape
        Finite entries (the direction of an infinite group has no value).
    groups : array_like of int, same shape as ``x``
    alpha : float >= 0, keyword-only
    l1_ratio : float in [0, 1], keyword-only
    sqrt_size_weights : bool, keyword-only
    validate : bool, keyword-only

    Returns
    -------
    ndarray, same shape and dtype as ``x``

    Raises
    ------
    ValueError
        NaN or an infinity in ``x``; ``groups`` of another shape.

    See Also
    --------
    sparse_group_lasso : the penalty
    elastic_net_subgradient : the same convention for the elastic net

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: g_i = \alpha\Big(\rho\,\operatorname{sign}(x_i)
              + (1-\rho)\,c_g\frac{x_i}{\lVert x_g\rVert_2}\Big)
              \ \text{if } x_g \ne 0, \qquad g_g = 0 \ \text{if } x_g = 0 .

    In a non-zero group the group part is the gradient of the norm, and the
    minimum-norm choice in :math:`\alpha\rho[-1, 1]` at an ``x_i = 0`` is 0
    (the formula gives 0 there); at ``x_g = 0`` the subdifferential
    :math:`\alpha(\rho[-1,1]^{|g|} + (1-\rho)c_g B_2)` contains 0.
    ``x_g / ||x_g||`` uses the overflow-free group norms; a few eps of error.

    References
    ----------
    Simon, Friedman, Hastie, Tibshirani (2013), section 3 (the subgradient
    equations); [Beck17] chapter 3.

    Examples
    --------
    >>> sparse_group_lasso_subgradient([3.0, 4.0, 0.0, 0.0], [0, 0, 1, 1], alpha=1.0,
    ...                                l1_ratio=0.5).tolist()
    [0.8, 0.9, 0.0, 0.0]
    """
    if (xp := _ns.foreign_namespace(x, groups, names=("x", "groups"))) is not None:
        return _xpp.sparse_group_lasso_subgradient(
            xp, x, groups, alpha=alpha, l1_ratio=l1_ratio,
            sqrt_size_weights=_sqrt_flag(sqrt_size_weights), validate=_flag(validate))
    v.check_bool(sqrt_size_weights, "sqrt_size_weights")
    v.check_bool(validate, "validate")
    arr, out_dtype = _prepare_finite(x, "x", validate)
    lam1, lam_g = _sparse_group_params(alpha, l1_ratio)
    index, weights = _group_structure(groups, arr.shape, sqrt_size_weights)
    acc = _accumulator(arr.dtype)
    flat = arr.reshape(-1).astype(acc, copy=False)

    def group_part() -> Any:
        norms = np.take(_group_norms(arr, index, weights.size), index)
        with np.errstate(invalid="ignore", divide="ignore"):  # masked: zero groups
            return np.where(norms > 0, np.take(weights, index) * (flat / norms), 0.0)

    grad = _combine(lam1, lambda: np.sign(flat), lam_g, group_part)
    grad = np.broadcast_to(np.asarray(grad, dtype=acc), flat.shape) + 0.0  # no -0.0
    return v.restore_dtype(grad.reshape(arr.shape).astype(arr.dtype, copy=False), out_dtype)


def prox_sparse_group_lasso(x: ArrayLike, t: float, groups: ArrayLike, *, alpha: float,
                            l1_ratio: float, sqrt_size_weights: bool = False,
                            validate: bool = True) -> FloatArray:
    r"""Proximal operator of :math:`t` times :func:`sparse_group_lasso`.

    Soft thresholding followed by group shrinkage, which is exact:

    .. math:: s = \operatorname{sign}(x)\max(|x| - t\alpha\rho, 0), \qquad
              \operatorname{prox}(x)_g = \max\Big(1 - \frac{t\alpha(1-\rho)c_g}
              {\lVert s_g\rVert_2}, 0\Big)\,s_g .

    Parameters
    ----------
    x : array_like, any shape
    t : float > 0
    groups : array_like of int, same shape as ``x``
    alpha : float >= 0, keyword-only
    l1_ratio : float in [0, 1], keyword-only
    sqrt_size_weights : bool, keyword-only
    validate : bool, keyword-only

    Returns
    -------
    ndarray, same shape and dtype as ``x``: exact zeros where
    :math:`|x_i| \le t\alpha\rho` (threshold rounded to the dtype) and on every
    group with :math:`\lVert s_g\rVert \le t\alpha(1-\rho)c_g`.

    See Also
    --------
    sparse_group_lasso : the penalty
    prox_l1 : the first step
    prox_group_lasso : the second step

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    The composition is exact because the l1 part is separable and the group
    shrinkage keeps the zeros and signs of ``s``: with ``u`` the result,
    ``(x - s)/t`` is a subgradient of :math:`\alpha\rho\lVert\cdot\rVert_1` at
    ``s`` and also at ``u``, and ``(s - u)/t`` one of the group term at ``u``;
    their sum ``(x - u)/t`` is the optimality condition (Simon et al. 2013,
    section 3).  Each step rounds once: about 2 ulp of relative error.
    Checked symbolically in ``derivations/penalties.py`` and by the
    optimality and firm non-expansiveness properties.

    References
    ----------
    N. Simon, J. Friedman, T. Hastie and R. Tibshirani, "A sparse-group
    lasso", J. Comput. Graph. Stat. 22(2), 2013; [PB14] section 6.5.

    Examples
    --------
    >>> prox_sparse_group_lasso([3.5, 4.5, 0.2, -0.4], 1.0, [0, 0, 1, 1], alpha=1.0,
    ...                         l1_ratio=0.5).tolist()
    [2.7, 3.6, 0.0, 0.0]
    """
    if (xp := _ns.foreign_namespace(x, groups, names=("x", "groups"))) is not None:
        return _xpp.prox_sparse_group_lasso(
            xp, x, t, groups, alpha=alpha, l1_ratio=l1_ratio,
            sqrt_size_weights=_sqrt_flag(sqrt_size_weights), validate=_flag(validate))
    v.check_bool(sqrt_size_weights, "sqrt_size_weights")
    v.check_bool(validate, "validate")
    arr, out_dtype = _prepare(x, "x", validate)
    step = _step(t)
    lam1, lam_g = _sparse_group_params(alpha, l1_ratio)
    index, weights = _group_structure(groups, arr.shape, sqrt_size_weights)
    s = _soft_threshold(arr, _in_dtype(step * lam1, arr.dtype)) if lam1 else arr + 0.0
    if lam_g == 0:
        return v.restore_dtype(s, out_dtype)
    norms = _group_norms(s, index, weights.size)
    thresholds = step * lam_g * weights
    with np.errstate(all="ignore"):  # masked: norm <= threshold (may overflow: tiny norm) or inf
        factor = np.where(norms > thresholds, (norms - thresholds) / norms, 0.0)
    factor = np.where(np.isinf(norms), 1.0, factor)
    shrunk = s.reshape(-1) * np.take(factor, index) + 0.0  # + 0.0: no -0.0
    return v.restore_dtype(shrunk.reshape(arr.shape).astype(arr.dtype, copy=False), out_dtype)


# ---------------------------------------------------------------------------
# projections and further proximal operators
# ---------------------------------------------------------------------------

def _radius(radius: Any) -> float:
    return v.check_positive_scalar(radius, "radius")


def _simplex_rows(rows: Any, radius: float) -> Any:
    """Project each row of ``rows`` (float64, 2-D) onto ``{y >= 0, sum y = radius}``.

    Sort-based (Held, Wolfe & Crowder; Duchi et al. 2008), vectorised over rows:
    with ``u`` sorted decreasingly, the support is the first ``k`` entries for the
    largest ``k`` with ``u_k > (sum_{j<=k} u_j - radius) / k``; the threshold is then
    recomputed from the support with a pairwise sum (not the running cumsum).
    """
    u = -np.sort(-rows, axis=1)
    k = np.arange(1, rows.shape[1] + 1)
    inside = u * k > np.cumsum(u, axis=1) - radius
    size = rows.shape[1] - np.argmax(inside[:, ::-1], axis=1)      # last True, 1-based
    support = k[None, :] <= size[:, None]
    theta = (np.sum(np.where(support, u, 0.0), axis=1) - radius) / size
    return np.maximum(rows - theta[:, None], 0.0)


def project_simplex(x: ArrayLike, *, radius: float = 1.0, axis: int = -1,
                    validate: bool = True) -> FloatArray:
    r"""Euclidean projection onto the simplex :math:`\{y \ge 0,\ \sum_i y_i = r\}` along ``axis``.

    Parameters
    ----------
    x : array_like, shape (..., n, ...)
        Finite values; each slice along ``axis`` is projected.
    radius : float > 0, default 1.0
        The sum :math:`r` of every projected slice.
    axis : int, default -1
    validate : bool, default True

    Returns
    -------
    ndarray, shape and dtype of ``x``
        Non-negative, each slice summing to ``radius`` within
        :math:`(n + 2)\,\epsilon\,(r + \max_i |x_i|)`.

    See Also
    --------
    project_l1_ball : the l1 ball (the simplex up to signs)
    project_box : a box instead
    softmax : a smooth map onto the open simplex

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: P(x) = \max(x - \theta, 0), \qquad \sum_i \max(x_i - \theta, 0) = r,

    :math:`\theta` found by sorting (O(n log n) per slice, vectorised over slices) and
    recomputed from the support with a pairwise sum; computed in float64 and
    rounded once.  Entries below the threshold are exactly ``+0.0``.

    References
    ----------
    J. Duchi, S. Shalev-Shwartz, Y. Singer, T. Chandra (2008). Efficient projections
    onto the l1-ball for learning in high dimensions. ICML.  L. Condat (2016). Fast
    projection onto the simplex and the l1 ball. Math. Program. 158.

    Examples
    --------
    >>> project_simplex([0.5, 0.5, 2.0]).tolist()
    [0.0, 0.0, 1.0]
    >>> project_simplex([0.75, 0.25, 0.5, 0.5]).tolist()   # theta = (1.75 - 1) / 3
    [0.5, 0.0, 0.25, 0.25]
    """
    if type(x) not in _HOST and (xp := _ns.foreign_namespace(x)) is not None:
        return _xpp.project_simplex(xp, x, radius=radius, axis=axis, validate=_flag(validate))
    v.check_bool(validate, "validate")
    arr, out_dtype = _prepare_finite(x, "x", validate)
    r = _radius(radius)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    ax = v.check_axis(axis, arr.ndim)
    v.check_nonempty_axis(arr, ax, "x")
    moved = np.moveaxis(arr, ax, -1)
    rows = moved.reshape(-1, moved.shape[-1]).astype(_accumulator(arr.dtype))
    out = _simplex_rows(rows, r).reshape(moved.shape)
    return v.restore_dtype(np.moveaxis(out, -1, ax), out_dtype)


def _l1_ball(arr: Any, r: float) -> Any:
    """Projection of the whole array onto ``{||y||_1 <= r}`` (float64 in, float64 out)."""
    a = np.abs(arr).reshape(1, -1)
    if np.sum(a) <= r:
        return arr.copy()
    return np.copysign(_simplex_rows(a, r).reshape(arr.shape), arr)


def project_l1_ball(x: ArrayLike, *, radius: float = 1.0, validate: bool = True) -> FloatArray:
    r"""Euclidean projection of the whole array onto :math:`\{y : \lVert y\rVert_1 \le r\}`.

    Parameters
    ----------
    x : array_like, any shape
        Finite values.
    radius : float > 0, default 1.0
    validate : bool, default True

    Returns
    -------
    ndarray, shape and dtype of ``x``
        ``x`` itself (a copy) when :math:`\lVert x\rVert_1 \le r`.

    See Also
    --------
    project_simplex : the projection used on :math:`|x|`
    prox_linf : its Moreau complement

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: P(x) = \operatorname{sign}(x)\,P_{\Delta_r}(|x|)
              \quad\text{when } \lVert x\rVert_1 > r,

    the simplex projection of the magnitudes with the signs restored (soft
    thresholding at the :math:`\theta` that lands on the sphere).

    References
    ----------
    Duchi et al. (2008), ICML; Condat (2016), Math. Program. 158.

    Examples
    --------
    >>> project_l1_ball([3.0, -1.0], radius=1.0).tolist()
    [1.0, -0.0]
    >>> project_l1_ball([0.25, -0.5]).tolist()   # inside: unchanged
    [0.25, -0.5]
    """
    if type(x) not in _HOST and (xp := _ns.foreign_namespace(x)) is not None:
        return _xpp.project_l1_ball(xp, x, radius=radius, validate=_flag(validate))
    v.check_bool(validate, "validate")
    arr, out_dtype = _prepare_finite(x, "x", validate)
    r = _radius(radius)
    out = _l1_ball(np.asarray(arr, _accumulator(arr.dtype)), r)
    return v.restore_dtype(out, out_dtype)


def project_box(x: ArrayLike, lower: ArrayLike, upper: ArrayLike, *,
                validate: bool = True) -> FloatArray:
    r"""Euclidean projection onto the box :math:`\{\ell \le y \le u\}` (elementwise clip).

    Parameters
    ----------
    x : array_like, any shape
    lower, upper : array_like, broadcastable to ``x``
        Bounds with :math:`\ell \le u` everywhere; ``-inf`` / ``inf`` for no bound.
    validate : bool, default True

    Returns
    -------
    ndarray, shape and dtype of ``x``

    See Also
    --------
    project_simplex : the simplex
    project_l1_ball : the l1 ball

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: P(x)_i = \min(\max(x_i, \ell_i), u_i),

    exact (no rounding: every output is one of the inputs).  The bounds are
    rounded to ``x``'s dtype first; ``lower > upper`` anywhere is a ``ValueError``.

    References
    ----------
    [Beck17] example 6.32 (projection onto a box).

    Examples
    --------
    >>> project_box([-2.0, 0.5, 3.0], 0.0, 1.0).tolist()
    [0.0, 0.5, 1.0]
    """
    if (xp := _ns.foreign_namespace(x, lower, upper, names=("x", "lower", "upper"))) is not None:
        return _xpp.project_box(xp, x, lower, upper, validate=_flag(validate))
    v.check_bool(validate, "validate")
    arr, out_dtype = _prepare(x, "x", validate)
    lo, _ = v.as_float_array(lower, "lower")
    hi, _ = v.as_float_array(upper, "upper")
    for bound, name in ((lo, "lower"), (hi, "upper")):
        v.check_broadcastable(bound.shape, arr.shape, name)
        v.check_no_nan(bound, name)
    lo, hi = lo.astype(arr.dtype), hi.astype(arr.dtype)
    crossed = np.broadcast_to(lo > hi, np.broadcast_shapes(lo.shape, hi.shape))
    if crossed.any():
        idx = v.first_index(np.atleast_1d(crossed))
        raise ValueError(f"`lower`: expected lower <= upper everywhere, got "
                         f"{np.atleast_1d(np.broadcast_to(lo, crossed.shape))[idx]} > "
                         f"{np.atleast_1d(np.broadcast_to(hi, crossed.shape))[idx]} at "
                         f"index {list(idx)}")
    return v.restore_dtype(np.minimum(np.maximum(arr, lo), hi), out_dtype)


def prox_linf(x: ArrayLike, tau: float, *, validate: bool = True) -> FloatArray:
    r"""Proximal operator of :math:`\tau\lVert\cdot\rVert_\infty` (over the whole array).

    Parameters
    ----------
    x : array_like, any shape
        Finite values.
    tau : float > 0
    validate : bool, default True

    Returns
    -------
    ndarray, shape and dtype of ``x``

    See Also
    --------
    project_l1_ball : the projection it is built from
    prox_l1 : the dual norm's prox

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    By the Moreau decomposition (the conjugate of :math:`\tau\lVert\cdot\rVert_\infty`
    is the indicator of the l1 ball of radius :math:`\tau`),

    .. math:: \operatorname{prox}_{\tau\lVert\cdot\rVert_\infty}(x)
              = x - P_{\{\lVert y\rVert_1\le\tau\}}(x)
              = \operatorname{clip}(x, -\theta, \theta),

    the largest magnitudes clipped to a common level :math:`\theta` (0 when
    :math:`\lVert x\rVert_1 \le \tau`); evaluated as that clip, so every
    unclipped entry is returned exactly.

    References
    ----------
    [PB14] section 2.5 (Moreau decomposition) and 6.5.2; [Beck17] example 6.48.

    Examples
    --------
    >>> prox_linf([3.0, -1.0, 0.5], 1.0).tolist()   # the largest entry comes down by 1
    [2.0, -1.0, 0.5]
    """
    if type(x) not in _HOST and (xp := _ns.foreign_namespace(x)) is not None:
        return _xpp.prox_linf(xp, x, tau, validate=_flag(validate))
    v.check_bool(validate, "validate")
    arr, out_dtype = _prepare_finite(x, "x", validate)
    t = v.check_positive_scalar(tau, "tau")
    a = np.abs(np.asarray(arr, _accumulator(arr.dtype)))
    if np.sum(a) <= t:
        return v.restore_dtype(np.zeros_like(arr), out_dtype)
    flat = a.reshape(1, -1)
    # the l1-ball projection is soft thresholding at theta: x - P(x) = clip(x, -theta, theta)
    theta = float(np.max(flat - _simplex_rows(flat, t)))
    level = _in_dtype(theta, arr.dtype)
    return v.restore_dtype(np.clip(arr, -level, level), out_dtype)


def prox_huber(x: ArrayLike, tau: float, *, delta: float = 1.0,
               validate: bool = True) -> FloatArray:
    r"""Proximal operator of :math:`\tau\,\mathrm{huber}_\delta` (elementwise).

    Parameters
    ----------
    x : array_like, any shape
    tau : float > 0
    delta : float >= 0, default 1.0
        The Huber threshold, as in :func:`huber`.
    validate : bool, default True

    Returns
    -------
    ndarray, shape and dtype of ``x``

    See Also
    --------
    huber : the penalty
    prox_l1 : the delta -> 0 limit, scaled

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    Solving :math:`u - x + \tau\,\mathrm{huber}_\delta'(u) = 0` on each piece
    (derived with SymPy in ``derivations/penalties.py``):

    .. math:: \operatorname{prox}(x) = \begin{cases} x / (1 + \tau) &
              |x| \le \delta(1 + \tau) \\ x - \tau\delta\,\operatorname{sign}(x) &
              \text{otherwise,} \end{cases}

    continuous at the boundary; ``delta = 0`` is the identity (huber_0 = 0).

    References
    ----------
    [PB14] section 6.5.1 (Huber), 3.1 (Moreau envelope); [Beck17] example 6.54.

    Examples
    --------
    >>> prox_huber([1.0, 10.0], 1.0, delta=1.0).tolist()   # 1/2 and 10 - 1
    [0.5, 9.0]
    """
    if type(x) not in _HOST and (xp := _ns.foreign_namespace(x)) is not None:
        return _xpp.prox_huber(xp, x, tau, delta=delta, validate=_flag(validate))
    v.check_bool(validate, "validate")
    arr, out_dtype = _prepare(x, "x", validate)
    t = v.check_positive_scalar(tau, "tau")
    d = float(_in_dtype(v.check_positive_scalar(delta, "delta", allow_zero=True), arr.dtype))
    acc = np.asarray(arr, _accumulator(arr.dtype))
    inner = np.abs(acc) <= d * (1.0 + t)
    out = np.where(inner, acc / (1.0 + t), acc - np.copysign(t * d, acc))
    return v.restore_dtype(out, out_dtype)


def nuclear_norm(X: ArrayLike, *, validate: bool = True) -> FloatResult:
    r"""Nuclear (trace) norm :math:`\lVert X\rVert_* = \sum_i \sigma_i(X)` of the last two axes.

    Parameters
    ----------
    X : array_like, shape (..., m, n)
        Finite matrices; leading axes are a batch.
    validate : bool, default True

    Returns
    -------
    float or ndarray, shape ``X.shape[:-2]``

    See Also
    --------
    prox_nuclear_norm : its proximal operator
    l1 : the same norm of the singular values

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \lVert X\rVert_* = \sum_i \sigma_i(X),

    the singular values from LAPACK's SVD (``numpy.linalg.svd``, backward stable:
    each within a few eps of :math:`\lVert X\rVert_2`), summed in float64.

    References
    ----------
    [Beck17] example 7.31; G. H. Golub, C. F. Van Loan, *Matrix Computations* (2013),
    section 8.6.

    Examples
    --------
    >>> float(nuclear_norm([[3.0, 0.0], [0.0, -4.0]]))
    7.0
    """
    if type(X) not in _HOST and (xp := _ns.foreign_namespace(X)) is not None:
        return _xpp.nuclear_norm(xp, X, validate=_flag(validate))
    v.check_bool(validate, "validate")
    arr, out_dtype = _matrices(X, validate)
    work, broken = _finite_matrices(arr)
    total = np.sum(np.linalg.svd(work, compute_uv=False), axis=-1)
    return v.restore_dtype(np.where(broken, np.nan, total), out_dtype)


def prox_nuclear_norm(X: ArrayLike, tau: float, *, validate: bool = True) -> FloatArray:
    r"""Proximal operator of :math:`\tau\lVert\cdot\rVert_*`: singular value soft thresholding.

    Parameters
    ----------
    X : array_like, shape (..., m, n)
        Finite matrices; leading axes are a batch.
    tau : float > 0
    validate : bool, default True

    Returns
    -------
    ndarray, shape and dtype of ``X``

    See Also
    --------
    nuclear_norm : the penalty
    prox_l1 : the same thresholding of a vector

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \operatorname{prox}(X) = U\,\operatorname{diag}(\max(\sigma - \tau, 0))\,V^\top,
              \qquad X = U\operatorname{diag}(\sigma)V^\top,

    with the thin SVD in float64; singular values at or below ``tau`` are dropped
    exactly (the result has rank :math:`\#\{\sigma_i > \tau\}`).

    References
    ----------
    J.-F. Cai, E. J. Candès, Z. Shen (2010). A singular value thresholding algorithm
    for matrix completion. SIAM J. Optim. 20(4).

    Examples
    --------
    >>> prox_nuclear_norm([[3.0, 0.0], [0.0, -0.5]], 1.0).round(12).tolist()
    [[2.0, 0.0], [0.0, 0.0]]
    """
    if type(X) not in _HOST and (xp := _ns.foreign_namespace(X)) is not None:
        return _xpp.prox_nuclear_norm(xp, X, tau, validate=_flag(validate))
    v.check_bool(validate, "validate")
    arr, out_dtype = _matrices(X, validate)
    t = v.check_positive_scalar(tau, "tau")
    work, broken = _finite_matrices(arr)
    u, s, vh = np.linalg.svd(work, full_matrices=False)
    out = (u * np.maximum(s - t, 0.0)[..., None, :]) @ vh
    return v.restore_dtype(np.where(broken[..., None, None], np.nan, out), out_dtype)


def _finite_matrices(arr: Any) -> tuple[Any, Any]:
    """float64 matrices for LAPACK, non-finite ones (unvalidated input) replaced by 0,
    and the mask of those: their results become NaN instead of a LinAlgError."""
    work = np.asarray(arr, _accumulator(arr.dtype))
    broken = ~np.all(np.isfinite(work), axis=(-2, -1))
    if broken.any():
        work = np.where(broken[..., None, None], 0.0, work)
    return work, broken


def _matrices(X: ArrayLike, validate: bool) -> tuple[Any, np.dtype[Any]]:
    arr, out_dtype = _prepare_finite(X, "X", validate)
    if arr.ndim < 2:
        raise ValueError(f"`X`: expected at least 2 dimensions (a matrix), got shape "
                         f"{arr.shape}")
    return arr, out_dtype

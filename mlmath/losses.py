r"""Classification losses and their gradients with respect to the logits.

Softmax cross-entropy (integer class targets or probability targets, with the
class weights, label smoothing, ``ignore_index`` and reductions of
``torch.nn.functional.cross_entropy``), sigmoid binary cross-entropy
(``binary_cross_entropy_with_logits``, with ``pos_weight``) and binary
cross-entropy from probabilities.

Accuracy rests on one identity.  With :math:`m = \max_c x_c`,
:math:`d_c = m - x_c \ge 0` and :math:`r = \sum_{c \ne c^*} e^{x_c - m}` (the
mass of every class but one maximal one),

.. math:: -\log \operatorname{softmax}(x)_c = d_c + \operatorname{log1p}(r),

a sum of two non-negative terms, so it never cancels: a confidently correct
row keeps all its digits (``log1p(r)`` with :math:`r \approx 10^{-17}`) where
``logsumexp(x) - x[y]`` rounds to 0.  Row sums are accumulated in float64;
for float32 logits ``x - m`` and ``exp`` are evaluated in float64 too (the
differences are then exact), so 32,000 classes cost no accuracy; for float64
logits, rows with a small ``r`` get the rounding error of ``x - m`` added
back (TwoSum), which is what keeps tiny losses accurate to a few eps.

Reductions (``"mean"``, ``"sum"``, ``"none"``) follow PyTorch.  For
``reduction="none"`` a ``*_grad`` function returns the gradient of the *sum*
of the per-example losses (each example's own gradient, stacked).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special as sps

from mlmath import _backend, _rows
from mlmath import _namespace as _ns
from mlmath import _validation as v
from mlmath._typing import FloatArray, FloatResult
from mlmath._xp import losses as _xpl
from mlmath.special import logsumexp, sigmoid, softmax, softplus

__all__ = [
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
]

#: Types that take the NumPy path (one set lookup; see :mod:`mlmath._namespace`).
_HOST = _ns.HOST_TYPES


def _flag(validate: object) -> bool:
    return v.check_bool(validate, "validate")

_REDUCTIONS = ("mean", "sum", "none")

#: Rows are processed in blocks of about this many elements (1 MiB of float32):
#: the exp buffer of a block stays in cache, and memory use stays O(block)
#: on top of the input (and the gradient), whatever the batch size.
_BLOCK_ELEMENTS = 1 << 18


# --------------------------------------------------------------------------- #
# Input handling                                                              #
# --------------------------------------------------------------------------- #

def _as_targets(targets: ArrayLike, logits_dtype: np.dtype[Any],
                out_dtype: np.dtype[Any]) -> tuple[Any, np.dtype[Any], np.dtype[Any]]:
    """Targets as a float array, with the (compute, output) dtypes of the result.

    Float targets promote with the logits as NumPy does; bool/int targets
    (0/1 indicators) take the logits' dtype instead of forcing float64.  The
    array keeps its own dtype, so that it is validated with its own eps.
    """
    t = v.as_array(targets, "targets")
    if t.dtype.kind in "biu":
        return t.astype(logits_dtype), logits_dtype, out_dtype
    arr, t_out = v.as_float_array(targets, "targets")
    compute, out = v.result_dtype(out_dtype, t_out)
    return arr, compute, out


def _as_weights(weights: ArrayLike, name: str, dtype: np.dtype[Any]) -> Any:
    """Finite, non-negative weights cast to ``dtype`` (weights never promote)."""
    w, _ = v.as_float_array(weights, name)
    v.check_finite(w, name)
    v.check_nonnegative(w, name)
    return w.astype(dtype, copy=False)


@functools.cache
def _accumulator(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """Row sums are accumulated in float64 (or wider) whatever the input dtype."""
    return np.dtype(np.result_type(dtype, np.float64))


def _check_labels(labels: NDArray[np.intp], n_classes: int, ignore: int | None) -> None:
    """Every label in [0, C) or equal to ``ignore_index``; name the first bad one."""
    bad = (labels < 0) | (labels >= n_classes)
    if ignore is not None:
        bad &= labels != ignore
    if bad.any():
        idx = v.first_index(np.atleast_1d(bad))
        allowed = f" or ignore_index={ignore}" if ignore is not None else ""
        raise ValueError(
            f"`targets`: expected class indices in [0, {n_classes}){allowed}, got "
            f"{np.atleast_1d(labels)[idx]} at index {list(idx)}")


@dataclass(frozen=True)
class _SoftmaxProblem:
    """Validated softmax cross-entropy inputs, with the class axis moved last.

    ``x`` is (N, C); exactly one of ``labels`` (N,) and ``probs`` (N, C) is set.
    ``counted`` marks the rows that are not ignored (index targets only).
    ``unchecked`` is the caller's logits when their finiteness is still to be
    checked (block by block, see :func:`_check_block_finite`), else None.
    """

    x: Any
    labels: Any
    counted: Any
    probs: Any
    weights: Any
    smoothing: float
    reduction: str
    batch_shape: tuple[int, ...]
    axis: int
    out_dtype: np.dtype[Any]
    unchecked: Any = None

    @property
    def acc(self) -> np.dtype[Any]:
        return _accumulator(self.x.dtype)

    def mean_denominator(self) -> float:
        """PyTorch's denominator of ``"mean"``: the summed weight of the counted
        targets for index targets, the number of rows for probability targets."""
        if self.labels is None:
            return float(self.x.shape[0])
        if self.weights is None:
            return float(np.count_nonzero(self.counted))
        y = self.labels[self.counted]
        return float(np.sum(self.weights[y], dtype=self.acc))

    def denominator(self) -> float:
        """What the reduction divides by: 1 unless ``"mean"`` (0 = an empty mean)."""
        return self.mean_denominator() if self.reduction == "mean" else 1.0


def _softmax_problem(logits: ArrayLike, targets: ArrayLike, *, axis: int,
                     label_smoothing: float, class_weights: ArrayLike | None,
                     ignore_index: int | None, reduction: str,
                     validate: bool) -> _SoftmaxProblem:
    """Check every argument (type and shape always, values when ``validate``)."""
    reduction = v.check_choice(reduction, _REDUCTIONS, "reduction")
    x, out_dtype = v.as_float_array(logits, "logits")
    if x.ndim == 0:
        raise ValueError("`logits`: expected at least one dimension (the class axis), got a scalar")
    ax = v.check_axis(axis, x.ndim)
    n_classes = x.shape[ax]
    v.check_nonempty_axis(x, ax, "logits")
    # finiteness is checked block by block in the kernels (on data in cache)
    unchecked = x if validate else None
    smoothing = v.check_fraction(label_smoothing, "label_smoothing")
    ignore = v.check_optional_int(ignore_index, "ignore_index")
    batch_shape = x.shape[:ax] + x.shape[ax + 1:]
    targets = v.as_array(targets, "targets")
    t_shape = targets.shape

    labels = counted = probs = None
    if t_shape == batch_shape:
        labels = v.as_label_array(targets, "targets").reshape(-1)
        if validate:
            _check_labels(labels, n_classes, ignore)
        counted = labels != ignore if ignore is not None else np.ones(labels.shape, bool)
    elif t_shape == x.shape:
        if ignore is not None:
            raise ValueError("`ignore_index`: applies only to integer class targets, got "
                             "probability targets (leave ignore_index=None)")
        t, compute, out_dtype = _as_targets(targets, x.dtype, out_dtype)
        if validate:
            v.check_probabilities(t, ax, "targets")
        x = x.astype(compute, copy=False)
        probs = np.moveaxis(t.astype(compute, copy=False), ax, -1).reshape(-1, n_classes)
    else:
        raise ValueError(
            f"`targets`: expected class indices of shape {batch_shape} or probabilities of "
            f"shape {x.shape} (logits shape {x.shape}, class axis {ax}), got shape {t_shape}")

    weights = None
    if class_weights is not None:
        weights = _as_weights(class_weights, "class_weights", _accumulator(x.dtype))
        if weights.shape != (n_classes,):
            raise ValueError(f"`class_weights`: expected shape ({n_classes},), one weight per "
                             f"class, got {weights.shape}")
    moved = x if ax == x.ndim - 1 else np.moveaxis(x, ax, -1)  # (moveaxis costs microseconds)
    x2 = np.ascontiguousarray(moved).reshape(-1, n_classes)
    return _SoftmaxProblem(x2, labels, counted, probs, weights, smoothing, reduction,
                           batch_shape, ax, out_dtype, unchecked)


# --------------------------------------------------------------------------- #
# Softmax cross-entropy kernels (row blocks)                                  #
# --------------------------------------------------------------------------- #

def _block_buffers(p: _SoftmaxProblem) -> Callable[[int], Any]:
    """``make_buffers`` for :func:`mlmath._rows.for_each_chunk`.

    ``buf[0]`` receives exp(x - m); float64 logits get two more scratch
    buffers for :func:`_difference_correction` (no temporaries in the loop).
    """
    n_buffers = 3 if p.x.dtype == p.acc else 1
    return lambda rows: np.empty((n_buffers, rows, p.x.shape[1]), p.acc)


def _check_block_maxima(m: Any, p: _SoftmaxProblem, sl: slice) -> None:
    """Raise the ``logits`` error when the row maximum ``m`` of a counted row is not finite.

    ``m`` holds the rows' entries at ``argmax``: NaN when the row has a NaN
    (argmax stops at the first one), +inf when it has a +inf, -inf when every
    entry is -inf (a row with no mass, allowed only in an ignored row).  Any
    other -inf is a masked class.  The error names the position in the
    caller's logits (``p.unchecked``).
    """
    bad = ~np.isfinite(m)
    if p.counted is not None:
        bad &= p.counted[sl] | (m != -np.inf)
    if not bad.any():
        return
    v.check_no_nan(p.unchecked, "logits")
    v.check_no_posinf(p.unchecked, "logits", why="it would take all the mass: inf/inf is undefined")
    empty = np.all(p.unchecked == -np.inf, axis=p.axis)
    if p.counted is not None:
        empty &= p.counted.reshape(p.batch_shape)
    raise ValueError(f"`logits`: expected at least one entry > -inf along axis {p.axis} "
                     f"(-inf masks a class; a row needs one unmasked class), got all -inf "
                     f"at batch index {list(v.first_index(np.atleast_1d(empty)))}")


def _shifted_exp(p: _SoftmaxProblem, sl: slice, buf: Any) -> tuple[Any, Any, Any, Any]:
    """Row argmax ``top``, max ``m``, ``e = exp(x - m)`` and ``r = sum of e over c != top``.

    ``e`` is computed in the accumulator dtype ``buf.dtype`` (float64): for
    float32 logits ``x - m`` is then exact and each ``e`` has float64 error,
    far below float32's eps.  The maximal entry's ``e`` is exactly 1; leaving
    it out of the sum keeps the digits of ``r`` when ``r`` is far below eps (a
    confident row), so ``log1p(r)`` is accurate where ``log(1 + r)`` would
    round to 0.  For float64 logits, rows with a small ``r`` are corrected by
    :func:`_difference_correction` (there ``x - m`` is rounded).  A masked
    class (``x = -inf``) gets ``e = 0``; a row with every class masked (an
    ignored row, or unvalidated input) is shifted by 0 instead of ``-inf``.
    """
    xb = p.x[sl]
    rows = np.arange(xb.shape[0])
    top = np.argmax(xb, axis=1)
    m = xb[rows, top]
    if p.unchecked is not None:
        _check_block_maxima(m, p, sl)
    if (m == -np.inf).any():
        m = np.where(m == -np.inf, 0, m)
    e = buf[0, :xb.shape[0]]
    widened = xb.dtype != e.dtype
    if widened:
        # convert, then subtract in float64: faster than a casting subtract
        np.copyto(e, xb)
        np.subtract(e, m[:, None], out=e)
    else:
        np.subtract(xb, m[:, None], out=e)
    np.exp(e, out=e)
    e[rows, top] = 0
    # float32 input: the plain float64 row sum (einsum, faster than pairwise)
    # errs by at most C·eps64 relative, still ~1e-4 eps32 at C = 10^6;
    # float64 input keeps pairwise summation (log2(C)·eps64)
    rest = np.einsum("ij->i", e) if widened else np.sum(e, axis=1)
    if xb.dtype == e.dtype and np.any(rest < _REFINE_BELOW):
        rest += _difference_correction(xb, m, e, *buf[1:, :xb.shape[0]])
    e[rows, top] = 1
    return top, m, e, rest


#: float64 blocks with a row whose other-class mass r is below this get
#: _difference_correction (applied to the whole block: harmless, no gathers).
#: The rounding of x - m perturbs each exp(x - m) by |x - m|·eps/2 relative;
#: log1p(r) damps that by r / ((1 + r) log1p(r)), which is ~1 for small r (a
#: 30-eps error at r ~ 1e-17) but keeps it under 1.5 eps once r >= 16 (even
#: with 10^6 classes).  Typical rows are far above it and pay nothing.
_REFINE_BELOW = 16.0


def _difference_correction(xs: Any, m: Any, e: Any, s1: Any, s2: Any) -> Any:
    """``sum_c e_c·lo_c``: what the rounding of ``x - m`` took from ``sum_c e_c``.

    TwoSum (Knuth) gives ``lo`` with ``hi + lo = x - m`` exactly, where
    ``hi = fl(x - m)`` and ``e = exp(hi)``; then ``exp(x - m) = e·(1 + lo)``
    up to ``lo**2``.  ``s1``, ``s2`` are scratch buffers shaped like ``xs``.
    """
    neg_m = -m[:, None]
    np.add(xs, neg_m, out=s1)       # hi
    np.subtract(s1, xs, out=s2)     # bb = hi - x
    np.subtract(s1, s2, out=s1)     # hi - bb
    np.subtract(xs, s1, out=s1)     # x - (hi - bb)
    np.subtract(neg_m, s2, out=s2)  # -m - bb
    np.add(s1, s2, out=s1)          # lo
    correction = np.einsum("ij,ij->i", e, s1)
    masked = np.isnan(correction)   # x = -inf: lo is NaN where e = 0
    if masked.any():
        lo = s1[masked]
        lo[e[masked] == 0] = 0.0
        correction[masked] = np.einsum("ij,ij->i", e[masked], lo)
    return correction


def _coefficients(p: _SoftmaxProblem, sl: slice) -> tuple[Any, Any, Any]:
    """Target mass of a block as ``a[n, c] = u[n]·[c = y_n] + a_dense[n, c]``.

    Returns ``(u, a_dense, total)`` with ``total[n] = sum_c a[n, c]`` (A in the
    Notes), in the accumulator dtype; ``u`` is None for probability targets
    and ``a_dense`` is None without smoothing (index targets).
    """
    acc, eps = p.acc, p.smoothing
    n_classes = p.x.shape[1]
    w = p.weights
    if p.labels is None:
        t = p.probs[sl].astype(acc)
        if eps:
            t = (1 - eps) * t + eps / n_classes
        a = t if w is None else t * w
        return None, a, np.sum(a, axis=1)
    counted = p.counted[sl]
    if w is None and not eps:  # the common case: a mass of 1 on each counted label
        u = counted.astype(acc)
        return u, None, u
    y = np.where(counted, p.labels[sl], 0)
    w_y = np.ones(y.shape, acc) if w is None else w[y]
    u = (1 - eps) * w_y * counted
    if not eps:
        return u, None, u
    per_class = np.full(n_classes, 1.0, acc) if w is None else w
    dense = np.outer(counted * (eps / n_classes), per_class)
    return u, dense, u + np.sum(dense, axis=1)


def _labels_of(p: _SoftmaxProblem, sl: slice) -> Any:
    return np.where(p.counted[sl], p.labels[sl], 0)


def _block_loss(p: _SoftmaxProblem, sl: slice, m: Any, log_partition: Any) -> Any:
    """Per-row loss sum_c a[n, c]·(d[n, c] + L[n]) with d = m - x >= 0, L = log1p(r)."""
    acc = p.acc
    xb = p.x[sl]
    u, dense, total = _coefficients(p, sl)
    loss = total * log_partition
    m_acc = m.astype(acc)
    if u is not None:
        rows = np.arange(xb.shape[0])
        # float32 differences are exact in float64 (no rounding of m - x_y)
        d_y = m_acc - xb[rows, _labels_of(p, sl)].astype(acc)
        loss += _mass_times_distance(u, d_y)
    if dense is not None:
        d = m_acc[:, None] - xb.astype(acc)
        loss += np.sum(_mass_times_distance(dense, d), axis=1)
    return loss


def _mass_times_distance(a: Any, d: Any) -> Any:
    """``a·d`` with ``0·inf = 0``: no target mass on a masked class costs nothing."""
    product = a * d
    if np.isinf(d).any():
        product = np.where(a == 0, 0.0, product)
    return product


def _scale_into(e: Any, coef: Any, out: Any) -> None:
    """``out[...] = e·coef``, rounded once to ``out``'s dtype (``e`` is scratch).

    A narrowing ``out`` gets the product in place then one conversion, which
    is faster than NumPy's buffered casting multiply (same result).
    """
    if out.dtype == e.dtype:
        np.multiply(e, coef, out=out)
    else:
        np.multiply(e, coef, out=e)
        np.copyto(out, e, casting="same_kind")


def _shifted_exp_compiled(kernels: Any) -> Callable[[_SoftmaxProblem, slice, Any],
                                                   tuple[Any, Any, Any, Any]]:
    """:func:`_shifted_exp` by the numba kernel (one pass; float64 terms always
    TwoSum-corrected, so no refinement step), with the same checks and shift."""
    def shifted(p: _SoftmaxProblem, sl: slice, buf: Any) -> tuple[Any, Any, Any, Any]:
        xb = p.x[sl]
        top = np.argmax(xb, axis=1)
        m = xb[np.arange(xb.shape[0]), top].astype(np.float64)
        if p.unchecked is not None:
            _check_block_maxima(m, p, sl)
        m[m == -np.inf] = 0.0  # every class masked (an ignored row): shift by 0
        e = buf[0, :xb.shape[0]]
        rest = np.empty(xb.shape[0])
        kernels.shifted_exp_rows(xb, m, e, rest, xb.dtype == np.float64)
        bad = ~np.isfinite(m)  # validate=False: NaN or +inf logits give NaN
        if bad.any():
            e[bad] = np.nan
            rest[bad] = np.nan
        return top, m, e, rest
    return shifted


def _block_grad(p: _SoftmaxProblem, sl: slice, top: Any, e: Any, rest: Any, den: float,
                out: Any) -> None:
    """Write the gradient rows (A[n]·softmax(x_n) - a[n]) / den into ``out``.

    ``e = exp(x - m)`` (accumulator dtype) is scaled and rounded once into
    ``out``; the entries that subtract a target mass are formed in the
    accumulator first.  The target mass is divided by ``den`` (not multiplied
    by 1/den, which overflows for subnormal summed weights).

    At the row maximum, ``A p - a`` would cancel (``p`` ≈ 1 for a confident
    row, e.g. ``p - 1`` rounds to 0 where the truth is -1e-17); there it is
    rewritten exactly as ``(sum_{c != top} a_c - a_top·r) / (1 + r)``.
    """
    u, dense, total = _coefficients(p, sl)
    rows = np.arange(e.shape[0])
    coef = (total / den / (1 + rest))[:, None]
    if dense is None:
        # index targets without smoothing (the hot path): one rounding into
        # ``out``; only the label entries subtract a mass
        u = u / den
        y = _labels_of(p, sl)
        at_label = e[rows, y] * coef[:, 0] - u
        _scale_into(e, coef, out)
        out[rows, y] = at_label
        a_top, others = np.where(y == top, u, 0), np.where(y == top, 0, u)
    else:
        dense = dense / den
        np.multiply(e, coef, out=e)
        e -= dense
        a_top = dense[rows, top]
        dense[rows, top] = 0
        others = np.sum(dense, axis=1)
        if u is not None:
            u = u / den
            y = _labels_of(p, sl)
            e[rows, y] -= u
            a_top = a_top + np.where(y == top, u, 0)
            others = others + np.where(y == top, 0, u)
        out[...] = e
    out[rows, top] = (others - a_top * rest) / (1 + rest)


def _softmax_ce_rows(p: _SoftmaxProblem) -> Any:
    """Per-row losses (N,) in the accumulator dtype."""
    out = np.empty(p.x.shape[0], p.acc)
    kernels = _backend.compiled_kernels()
    if kernels is not None and p.acc == np.float64:
        return _softmax_ce_rows_compiled(p, kernels, out)

    def kernel(sl: slice, buf: Any) -> None:
        _, m, _, rest = _shifted_exp(p, sl, buf)
        out[sl] = _block_loss(p, sl, m, np.log1p(rest))

    _rows.for_each_chunk(p.x.shape[0], p.x.shape[1], kernel, _block_buffers(p),
                         chunk_elements=_BLOCK_ELEMENTS)
    return out


def _softmax_ce_rows_compiled(p: _SoftmaxProblem, kernels: Any, out: Any) -> Any:
    """:func:`_softmax_ce_rows` with ``log1p(r)`` from the numba kernel
    (:mod:`mlmath._backend`): the same shift, TwoSum-corrected terms for
    float64 logits in every row, the same checks of the row maxima."""
    wide = p.x.dtype == np.float64

    def kernel(sl: slice, _bufs: None) -> None:
        xb = p.x[sl]
        m = np.maximum.reduce(xb, axis=1).astype(np.float64)  # SIMD; NaN propagates
        if p.unchecked is not None:
            _check_block_maxima(m, p, sl)
        m[m == -np.inf] = 0.0  # every class masked (an ignored row): shift by 0
        log_partition = np.empty((xb.shape[0], 1))
        kernels.run_rows(_backend.LOG1P_REST, xb, m, log_partition, wide)
        log_partition[~np.isfinite(m)] = np.nan  # validate=False: NaN or +inf logits
        out[sl] = _block_loss(p, sl, m, log_partition[:, 0])

    with np.errstate(all="ignore"):  # as for_each_chunk's kernels (0·inf is masked)
        _rows.for_each_chunk_unbuffered(p.x.shape[0], p.x.shape[1], kernel,
                                        chunk_elements=_BLOCK_ELEMENTS)
    return out


_COMMON_LOGITS = (np.dtype(np.float32), np.dtype(np.float64))
_COMMON_LABELS = (np.dtype(np.int32), np.dtype(np.int64))


def _softmax_ce_common_compiled(logits: Any, targets: Any, axis: Any, ignore_index: Any,
                                reduction: Any) -> Any:
    """The loss of the common case in one compiled pass per row block, or None.

    The common case: the numba backend, C-contiguous float32/float64 logits of
    shape (N, C) with the classes last, int32/int64 index targets of shape
    (N,), no class weights, no smoothing.  ``_numba_kernels.ce_index_rows``
    computes the per-row losses of :func:`_block_loss` with the same
    operations (the same values as the general path on this backend) and
    reports any input the general path would refuse or treat specially (a
    label out of range, NaN, ``+inf``, a counted row of only ``-inf``); then
    None is returned and the general path runs (and raises, naming the entry).
    """
    if (type(logits) is not np.ndarray or type(targets) is not np.ndarray
            or logits.ndim != 2 or logits.dtype not in _COMMON_LOGITS
            or not logits.flags.c_contiguous or 0 in logits.shape
            or targets.dtype not in _COMMON_LABELS or targets.shape != logits.shape[:1]
            or type(axis) is not int or axis not in (-1, 1) or reduction not in _REDUCTIONS
            or not (ignore_index is None
                    or (type(ignore_index) is int and -2**63 <= ignore_index < 2**63))):
        return None
    kernels = _backend.compiled_kernels()
    if kernels is None:
        return None
    n_rows, n = logits.shape
    out = np.empty(n_rows)
    labels = targets.astype(np.int64, copy=False)
    ignore = 0 if ignore_index is None else ignore_index
    wide = logits.dtype == np.float64
    results: list[tuple[int, int]] = []

    def kernel(sl: slice, _bufs: None) -> None:
        results.append(kernels.ce_index_rows(logits[sl], labels[sl], ignore,
                                             ignore_index is not None, out[sl], wide))

    _rows.for_each_chunk_unbuffered(n_rows, n, kernel, chunk_elements=_BLOCK_ELEMENTS)
    if any(status for status, _ in results):
        return None
    return _reduce(out, reduction, float(sum(c for _, c in results)), logits.dtype)


def _softmax_ce_grad_rows(p: _SoftmaxProblem) -> Any:
    """Gradient (N, C) in the compute dtype, including the reduction's scale."""
    den = p.denominator()
    if den == 0:  # an empty mean (see softmax_cross_entropy's Notes): gradient 0
        if p.unchecked is not None and p.x.size:  # no block runs: check the logits here
            _check_block_maxima(np.max(p.x, axis=1), p, slice(None))
        return np.zeros(p.x.shape, p.x.dtype)
    out = np.empty(p.x.shape, p.x.dtype)
    kernels = _backend.compiled_kernels() if p.acc == np.float64 else None

    def kernel(sl: slice, buf: Any) -> None:
        shifted = _shifted_exp if kernels is None else _shifted_exp_compiled(kernels)
        top, _, e, rest = shifted(p, sl, buf)
        _block_grad(p, sl, top, e, rest, den, out[sl])

    _rows.for_each_chunk(p.x.shape[0], p.x.shape[1], kernel, _block_buffers(p),
                         chunk_elements=_BLOCK_ELEMENTS)
    return out


def _reduce(per_example: Any, reduction: str, den: float, out_dtype: np.dtype[Any]) -> Any:
    """Apply the reduction; an empty mean (``den == 0``) is 0, never NaN."""
    if reduction == "none":
        return v.restore_dtype(per_example, out_dtype)
    total = np.sum(per_example, dtype=_accumulator(per_example.dtype))
    if reduction == "mean":
        total = total / den if den > 0 else np.zeros_like(total)
    return v.restore_dtype(total, out_dtype)


# --------------------------------------------------------------------------- #
# Public functions                                                            #
# --------------------------------------------------------------------------- #

#: Docstring sections shared by a loss and its gradient (written once).
_DOC_BLOCKS = {
    "softmax_parameters": r"""    Parameters
    ----------
    logits : array_like, shape (..., C, ...)
        Unnormalised log-probabilities; the C classes lie along ``axis``.
        Finite, or ``-inf`` to mask a class (weight 0); every row needs one
        entry above ``-inf`` (except rows ignored by ``ignore_index``).  NaN
        and ``+inf`` raise ``ValueError``.
    targets : array_like
        Either integer class indices with the shape of ``logits`` without
        ``axis`` (each in [0, C) or equal to ``ignore_index``), or probability
        vectors with the shape of ``logits`` (non-negative, summing to 1 along
        ``axis``).  Float targets with the index shape raise ``TypeError``.
    axis : int, default -1
        The class axis (negative allowed).
    label_smoothing : float in [0, 1], default 0
        Mixes the target with the uniform distribution:
        :math:`t' = (1 - \varepsilon)\,t + \varepsilon / C`.
    class_weights : array_like, shape (C,), optional
        Non-negative weight of each class.
    ignore_index : int, optional
        Index targets equal to it contribute 0 to the loss and to the gradient
        and are left out of the mean.  Only valid with index targets.
    reduction : {"mean", "sum", "none"}, default "mean"
    validate : bool, default True
        Check values (finite logits, labels in range, normalised targets);
        ``False`` skips these checks for speed on trusted data.

""",
    "softmax_references": r"""    References
    ----------
    PyTorch, ``torch.nn.CrossEntropyLoss`` documentation.
    C. Szegedy et al., "Rethinking the Inception Architecture", CVPR 2016
    (label smoothing).

""",
    "binary_parameters": r"""    Parameters
    ----------
    logits : array_like
        Finite logits :math:`z`, any shape.
    targets : array_like, same shape as ``logits``
        Soft or hard targets :math:`y \in [0, 1]`.
    pos_weight : array_like, optional
        Non-negative weight of the positive term, broadcastable to the shape
        of ``logits`` (typically one weight per class on the last axis), as in
        PyTorch.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` averages over every element.
    validate : bool, default True

""",
    "binary_references": r"""    References
    ----------
    PyTorch, ``torch.nn.BCEWithLogitsLoss`` documentation.

""",
}

_F = TypeVar("_F", bound=Callable[..., Any])


def _shared_doc(fn: _F) -> _F:
    """Fill the ``{block}`` markers of ``fn``'s docstring from _DOC_BLOCKS."""
    doc = fn.__doc__ or ""
    for key, text in _DOC_BLOCKS.items():
        doc = doc.replace("{" + key + "}", text)
    fn.__doc__ = doc
    return fn


@_shared_doc
def softmax_cross_entropy(
    logits: ArrayLike, targets: ArrayLike, *, axis: int = -1, label_smoothing: float = 0.0,
    class_weights: ArrayLike | None = None, ignore_index: int | None = None,
    reduction: str = "mean", validate: bool = True,
) -> FloatResult:
    r"""Cross-entropy between ``softmax(logits)`` and class or probability targets.

{softmax_parameters}    Returns
    -------
    loss : float or ndarray
        A scalar for ``"mean"`` and ``"sum"``; shape of ``logits`` without
        ``axis`` for ``"none"``.  The dtype of ``logits`` (promoted with float
        probability targets as NumPy does).

    See Also
    --------
    softmax_cross_entropy_grad : its gradient
    log_softmax : the stable log-probabilities
    cross_entropy : between two distributions

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    With :math:`p = \operatorname{softmax}(x)` and the target mass
    :math:`a_{nc} = w_c\,t'_{nc}` (:math:`t_n` the one-hot vector of
    :math:`y_n` for index targets), the loss of example :math:`n` is

    .. math:: \ell_n = -\sum_c a_{nc} \log p_{nc}
              = \sum_c a_{nc}\,(m_n - x_{nc}) + A_n\,\operatorname{log1p}(r_n),
              \qquad A_n = \sum_c a_{nc},

    every term non-negative (see the module docstring), so there is no
    cancellation even when :math:`\ell_n \approx 10^{-17}`.  This is exactly
    PyTorch's ``cross_entropy``: for index targets,
    :math:`\ell_n = (1-\varepsilon)\,w_{y_n}(-\log p_{n y_n})
    + \tfrac{\varepsilon}{C}\sum_c w_c(-\log p_{nc})`.

    ``"mean"`` divides the sum by :math:`\sum_n w_{y_n}` over the non-ignored
    index targets (the number of non-ignored rows without weights), and by
    the number of rows N for probability targets -- PyTorch's convention in
    both cases, smoothing included.  So with weights, smoothing and index
    targets the mean is

    .. math:: \frac{\sum_{n \notin I} \big[(1-\varepsilon)\,w_{y_n}(-\log p_{n y_n})
              + \tfrac{\varepsilon}{C}\sum_c w_c(-\log p_{nc})\big]}
              {\sum_{n \notin I} w_{y_n}}

    (:math:`I` the ignored rows; an ``ignore_index`` inside [0, C) ignores
    that class's rows): the smoothing term is weighted by every class's
    weight but normalised by the target classes' weights only, so class
    weights change the effective smoothing (PyTorch issue #104776); mlmath
    keeps PyTorch's definition, checked against torch 2.13 on a matrix of
    smoothing x weights x ignore_index x reduction x target kind x dtype
    (``tests/interop/test_losses_torch.py``).

    **Deviation from PyTorch:** when that denominator is 0 (every target
    ignored, or every counted target has weight 0), PyTorch returns NaN; here
    the mean is 0 and its gradient is 0 (an empty average contributes
    nothing), never NaN.

    **Masked classes.** A ``-inf`` logit gives its class probability 0: it
    costs nothing when its target mass :math:`a_{nc}` is 0 (``0·log 0 = 0``;
    PyTorch returns NaN for such probability targets) and makes the loss
    ``+inf`` when it is positive -- the target class itself, a positive
    target probability, or any class under ``label_smoothing > 0``, whose
    uniform part gives every class mass (PyTorch returns ``+inf`` there
    too).  The result equals the loss with the masked columns removed.

{softmax_references}    Examples
    --------
    A confidently correct prediction keeps its (tiny) loss; ``logsumexp(x) -
    x[y]`` rounds it to 0:

    >>> float(softmax_cross_entropy([[40.0, 0.0]], [0]))
    4.248354255291589e-18

    Logits of any magnitude:

    >>> softmax_cross_entropy([[1e4, -1e4]], [1], reduction="none").tolist()
    [20000.0]

    A ``-inf`` logit masks its class (the same loss as without that column):

    >>> float(softmax_cross_entropy([[2.0, -np.inf, 0.0]], [0]))
    0.1269280110429725
    """
    xp = _ns.foreign_namespace(logits, targets, class_weights,
                               names=("logits", "targets", "class_weights"))
    if xp is not None:
        return _ns.native(xp, _xpl.softmax_cross_entropy, softmax_cross_entropy,
            logits, targets, axis=axis,
            label_smoothing=label_smoothing, class_weights=class_weights,
            ignore_index=ignore_index, reduction=reduction, validate=_flag(validate))
    v.check_bool(validate, "validate")
    if class_weights is None and type(label_smoothing) is float and label_smoothing == 0.0:
        common = _softmax_ce_common_compiled(logits, targets, axis, ignore_index, reduction)
        if common is not None:
            return common
    p = _softmax_problem(logits, targets, axis=axis, label_smoothing=label_smoothing,
                         class_weights=class_weights, ignore_index=ignore_index,
                         reduction=reduction, validate=validate)
    rows = _softmax_ce_rows(p).reshape(p.batch_shape)
    return _reduce(rows, p.reduction, p.denominator(), p.out_dtype)


@_shared_doc
def softmax_cross_entropy_grad(
    logits: ArrayLike, targets: ArrayLike, *, axis: int = -1, label_smoothing: float = 0.0,
    class_weights: ArrayLike | None = None, ignore_index: int | None = None,
    reduction: str = "mean", validate: bool = True,
) -> FloatArray:
    r"""Gradient of :func:`softmax_cross_entropy` with respect to ``logits``.

{softmax_parameters}    Returns
    -------
    grad : ndarray, shape of ``logits``
        :math:`s\,(A_n\,p_n - a_n)` along ``axis`` for every example, with
        ``s`` = 1 / (the mean's denominator) for ``"mean"`` and 1 otherwise
        (for ``"none"``: the gradient of the sum of the per-example losses).

    See Also
    --------
    softmax_cross_entropy : the loss
    softmax : the gradient's main term

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    With the notation of :func:`softmax_cross_entropy`,
    :math:`\partial \ell_n / \partial x_{nc} = A_n p_{nc} - a_{nc}`, which is
    :math:`p - \text{onehot}(y)` in the plain case.  Each row sums to
    :math:`A_n - A_n = 0` and has L1 norm at most :math:`2 A_n`.
    :math:`p` is computed as ``exp(x - m) / (1 + r)`` (no overflow); ignored
    rows have :math:`a = 0` and get an exact 0 gradient.  A masked class
    (``-inf`` logit) has :math:`p = 0`, so its gradient is exactly
    :math:`-a_{nc}`: 0 when it carries no target mass; where the loss is
    ``+inf`` this is the limit of the gradient as the logit tends to ``-inf``.

{softmax_references}    Examples
    --------
    >>> softmax_cross_entropy_grad([[0.0, 0.0]], [1], reduction="sum").tolist()
    [[0.5, -0.5]]
    """
    xp = _ns.foreign_namespace(logits, targets, class_weights,
                               names=("logits", "targets", "class_weights"))
    if xp is not None:
        return _ns.native(xp, _xpl.softmax_cross_entropy_grad, softmax_cross_entropy_grad,
            logits, targets, axis=axis,
            label_smoothing=label_smoothing, class_weights=class_weights,
            ignore_index=ignore_index, reduction=reduction, validate=_flag(validate))
    v.check_bool(validate, "validate")
    p = _softmax_problem(logits, targets, axis=axis, label_smoothing=label_smoothing,
                         class_weights=class_weights, ignore_index=ignore_index,
                         reduction=reduction, validate=validate)
    moved_shape = (*p.batch_shape, p.x.shape[1])
    g = np.moveaxis(_softmax_ce_grad_rows(p).reshape(moved_shape), -1, p.axis)
    return v.restore_dtype(g, p.out_dtype)


@dataclass(frozen=True)
class _BinaryProblem:
    z: Any
    y: Any
    pos_weight: Any
    reduction: str
    out_dtype: np.dtype[Any]

    def denominator(self) -> float:
        """``"mean"`` averages over every element (PyTorch); an empty mean is refused."""
        return float(self.z.size) if self.reduction == "mean" else 1.0


def _binary_problem(values: ArrayLike, targets: ArrayLike, name: str, reduction: str,
                    validate: bool, pos_weight: ArrayLike | None = None) -> _BinaryProblem:
    reduction = v.check_choice(reduction, _REDUCTIONS, "reduction")
    z, out_dtype = v.as_float_array(values, name)
    y, compute, out_dtype = _as_targets(targets, z.dtype, out_dtype)
    v.check_same_shape(z, y, name, "targets")
    v.check_nonempty_mean(z, reduction, name)
    z, y = z.astype(compute, copy=False), y.astype(compute, copy=False)
    if validate:
        (v.check_unit_interval if name == "probs" else v.check_finite_fast)(z, name)
        v.check_unit_interval(y, "targets")
    pw = None
    if pos_weight is not None:
        pw = _as_weights(pos_weight, "pos_weight", compute)
        v.check_broadcastable(pw.shape, z.shape, "pos_weight")
    return _BinaryProblem(z, y, pw, reduction, out_dtype)


@_shared_doc
def sigmoid_binary_cross_entropy(
    logits: ArrayLike, targets: ArrayLike, *, pos_weight: ArrayLike | None = None,
    reduction: str = "mean", validate: bool = True,
) -> FloatResult:
    r"""Binary cross-entropy between ``sigmoid(logits)`` and targets in [0, 1].

{binary_parameters}    Returns
    -------
    loss : float or ndarray (shape of ``logits`` for ``"none"``)

    See Also
    --------
    sigmoid_binary_cross_entropy_grad : its gradient
    binary_cross_entropy : from probabilities
    log_sigmoid : the stable log-probability

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \ell = -\big[\,p_w\,y \log\sigma(z) + (1 - y)\log(1 - \sigma(z))\big]
              = p_w\,y\,\operatorname{softplus}(-z) + (1 - y)\operatorname{softplus}(z),

    using :math:`-\log\sigma(z) = \operatorname{softplus}(-z)` and
    :math:`-\log(1 - \sigma(z)) = \operatorname{softplus}(z)`.  Both terms are
    non-negative and each softplus is evaluated as
    :math:`\max(z, 0) + \operatorname{log1p}(e^{-|z|})`, so the loss neither
    overflows (``|z|`` of 1e4 and beyond) nor cancels: for :math:`p_w = 1` it
    equals :math:`\operatorname{softplus}(z) - yz` without that form's
    cancellation near its minimum.

    An empty input (no element, e.g. an empty last axis) with
    ``reduction="mean"`` raises ``ValueError``: the mean of nothing is 0/0 and
    mlmath returns neither a silent NaN (as PyTorch does) nor an invented 0.
    ``"sum"`` gives 0.0 and ``"none"`` an empty array, both well defined.

{binary_references}    Examples
    --------
    >>> float(sigmoid_binary_cross_entropy(-40.0, 0.0))
    4.248354255291589e-18
    >>> float(sigmoid_binary_cross_entropy(-1e4, 1.0))
    10000.0
    """
    xp = _ns.foreign_namespace(logits, targets, pos_weight,
                               names=("logits", "targets", "pos_weight"))
    if xp is not None:
        return _xpl.sigmoid_binary_cross_entropy(xp, logits, targets,
            pos_weight=pos_weight, reduction=reduction, validate=_flag(validate))
    v.check_bool(validate, "validate")
    p = _binary_problem(logits, targets, "logits", reduction, validate, pos_weight)
    pos = softplus(-p.z, validate=False)
    if p.pos_weight is not None:
        pos = pos * p.pos_weight
    loss = p.y * pos + (1 - p.y) * softplus(p.z, validate=False)
    return _reduce(np.asarray(loss, p.z.dtype), p.reduction, p.denominator(), p.out_dtype)


@_shared_doc
def sigmoid_binary_cross_entropy_grad(
    logits: ArrayLike, targets: ArrayLike, *, pos_weight: ArrayLike | None = None,
    reduction: str = "mean", validate: bool = True,
) -> FloatArray:
    r"""Gradient of :func:`sigmoid_binary_cross_entropy` with respect to ``logits``.

{binary_parameters}    Returns
    -------
    grad : ndarray, shape of ``logits``

    See Also
    --------
    sigmoid_binary_cross_entropy : the loss
    sigmoid : the gradient's main term

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \partial\ell / \partial z = (1 - y)\,\sigma(z) - p_w\,y\,\sigma(-z),

    which is :math:`\sigma(z) - y` for :math:`p_w = 1`; written with
    :math:`\sigma(\pm z)` so that hard targets get a result accurate to the
    last digit in both tails.  Scaled by 1 / (number of elements) for
    ``"mean"``; for ``"none"`` it is the gradient of the sum.  An empty input
    with ``"mean"`` raises ``ValueError`` (see
    :func:`sigmoid_binary_cross_entropy`); ``"sum"`` and ``"none"`` give an
    empty gradient.

{binary_references}    Examples
    --------
    >>> float(sigmoid_binary_cross_entropy_grad(0.0, 1.0))
    -0.5
    """
    xp = _ns.foreign_namespace(logits, targets, pos_weight,
                               names=("logits", "targets", "pos_weight"))
    if xp is not None:
        return _xpl.sigmoid_binary_cross_entropy_grad(xp, logits, targets,
            pos_weight=pos_weight, reduction=reduction, validate=_flag(validate))
    v.check_bool(validate, "validate")
    p = _binary_problem(logits, targets, "logits", reduction, validate, pos_weight)
    neg = sigmoid(-p.z, validate=False)
    if p.pos_weight is not None:
        neg = neg * p.pos_weight
    g = (1 - p.y) * sigmoid(p.z, validate=False) - p.y * neg
    den = p.denominator()
    g = np.asarray(g, p.z.dtype) / p.z.dtype.type(den) if den else np.zeros_like(p.z)
    return v.restore_dtype(g, p.out_dtype)


def binary_cross_entropy(probs: ArrayLike, targets: ArrayLike, *, reduction: str = "mean",
                         validate: bool = True) -> FloatResult:
    r"""Binary cross-entropy from probabilities: :math:`-[y\log p + (1-y)\log(1-p)]`.

    Parameters
    ----------
    probs : array_like
        Probabilities :math:`p \in [0, 1]`; exactly 0 and 1 are allowed.
    targets : array_like, same shape as ``probs``
        Targets :math:`y \in [0, 1]`.
    reduction : {"mean", "sum", "none"}, default "mean"
    validate : bool, default True

    Returns
    -------
    loss : float or ndarray (shape of ``probs`` for ``"none"``)

    See Also
    --------
    sigmoid_binary_cross_entropy : from logits (more accurate)
    binary_entropy : its minimum over probs

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    Evaluated as ``-(xlogy(y, p) + xlog1py(1 - y, -p))``: ``log1p(-p)`` keeps
    the digits of :math:`\log(1 - p)` for small :math:`p`, and the convention
    :math:`0 \log 0 = 0` makes a probability of exactly 0 or 1 give 0 where
    the target agrees and :math:`+\infty` where it disagrees -- never NaN.
    Nothing is clipped: PyTorch clamps each log at -100, so its loss at
    :math:`p = 10^{-300}, y = 1` is 100 instead of 690.8.  Prefer
    :func:`sigmoid_binary_cross_entropy` on logits when you have them.

    An empty input (no element, e.g. an empty last axis) with
    ``reduction="mean"`` raises ``ValueError``: the mean of nothing is 0/0 and
    mlmath returns neither a silent NaN (as PyTorch does) nor an invented 0.
    ``"sum"`` gives 0.0 and ``"none"`` an empty array, both well defined.

    References
    ----------
    PyTorch, ``torch.nn.BCELoss`` documentation (for the clamp).

    Examples
    --------
    >>> float(binary_cross_entropy(1e-300, 1.0))
    690.7755278982137
    >>> binary_cross_entropy([0.0, 1.0, 0.0], [0.0, 1.0, 1.0], reduction="none").tolist()
    [0.0, 0.0, inf]
    """
    if (xp := _ns.foreign_namespace(probs, targets, names=("probs", "targets"))) is not None:
        return _xpl.binary_cross_entropy(xp, probs, targets, reduction=reduction,
            validate=_flag(validate))
    v.check_bool(validate, "validate")
    p = _binary_problem(probs, targets, "probs", reduction, validate)
    with np.errstate(divide="ignore"):
        # + 0.0 turns the -0.0 of agreeing targets into 0.0
        loss = -(sps.xlogy(p.y, p.z) + sps.xlog1py(1 - p.y, -p.z)) + 0.0
    return _reduce(np.asarray(loss, p.z.dtype), p.reduction, p.denominator(), p.out_dtype)


# --------------------------------------------------------------------------- #
# Sigmoid focal loss (torchvision) and poly-1 cross-entropy (optax)           #
# --------------------------------------------------------------------------- #

@dataclass(frozen=True)
class _FocalTerms:
    """Elementwise pieces of the focal loss: weight, BCE, modulating base and sigmoids."""

    weight: Any       # alpha_t (1 where alpha is None)
    bce: Any          # y softplus(-z) + (1 - y) softplus(z)
    base: Any         # 1 - p_t = y sigma(-z) + (1 - y) sigma(z), never cancelling
    s_pos: Any        # sigma(z)
    s_neg: Any        # sigma(-z)


def _focal_terms(p: _BinaryProblem, alpha: float | None) -> _FocalTerms:
    z, y = p.z, p.y
    s_pos, s_neg = sigmoid(z, validate=False), sigmoid(-z, validate=False)
    bce = y * softplus(-z, validate=False) + (1 - y) * softplus(z, validate=False)
    weight = 1.0 if alpha is None else alpha * y + (1 - alpha) * (1 - y)
    return _FocalTerms(weight, bce, y * s_neg + (1 - y) * s_pos, s_pos, s_neg)


def _focal_parameters(alpha: float | None, gamma: float) -> tuple[float | None, float]:
    if alpha is not None:
        alpha = v.check_fraction(alpha, "alpha")
    return alpha, v.check_order(gamma, "gamma", allow_inf=False)


_DOC_BLOCKS["focal_parameters"] = r"""    Parameters
    ----------
    logits : array_like
        Finite logits :math:`z`, any shape (one binary decision per element).
    targets : array_like, same shape as ``logits``
        Targets :math:`y \in [0, 1]` (0/1 labels, or soft targets).
    alpha : float in [0, 1] or None, default 0.25
        Weight of the positive term, :math:`\alpha_t = \alpha y + (1-\alpha)(1-y)`;
        ``None`` for no weighting (torchvision's ``alpha=-1``).
    gamma : float >= 0, default 2
        Exponent of the modulating factor :math:`(1 - p_t)^\gamma`; 0 gives the
        (alpha-weighted) binary cross-entropy.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` averages over every element.  (torchvision's default is
        ``"none"``; mlmath's losses all default to ``"mean"``.)
    validate : bool, default True

"""


@_shared_doc
def sigmoid_focal_loss(
    logits: ArrayLike, targets: ArrayLike, *, alpha: float | None = 0.25, gamma: float = 2.0,
    reduction: str = "mean", validate: bool = True,
) -> FloatResult:
    r"""Focal loss of ``sigmoid(logits)`` (RetinaNet; ``torchvision.ops.sigmoid_focal_loss``).

{focal_parameters}    Returns
    -------
    loss : float or ndarray (shape of ``logits`` for ``"none"``)

    See Also
    --------
    sigmoid_focal_loss_grad : its gradient
    sigmoid_binary_cross_entropy : the gamma = 0, alpha = None case

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    With :math:`p = \sigma(z)` and :math:`p_t = p y + (1 - p)(1 - y)`,

    .. math:: \ell = \alpha_t\,(1 - p_t)^\gamma\,\mathrm{BCE}(z, y),\qquad
              1 - p_t = y\,\sigma(-z) + (1 - y)\,\sigma(z),

    the second form a sum of non-negative terms: ``1 - p_t`` never cancels, so a
    confident correct prediction keeps a tiny, accurate factor (torchvision
    forms ``1 - p_t`` by subtraction and gets 0 below about 1e-16).  The BCE is
    the softplus form of :func:`sigmoid_binary_cross_entropy` (no overflow).

    References
    ----------
    T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollár (2017). Focal loss for dense
    object detection. ICCV.

    Examples
    --------
    >>> float(sigmoid_focal_loss([0.0], [1.0], alpha=None, gamma=0.0))   # BCE = log 2
    0.6931471805599453
    >>> float(sigmoid_focal_loss([0.0], [1.0]))   # 0.25 * (1/2)^2 * log 2
    0.04332169878499658
    """
    if (xp := _ns.foreign_namespace(logits, targets, names=("logits", "targets"))) is not None:
        return _xpl.sigmoid_focal_loss(xp, logits, targets, alpha=alpha, gamma=gamma,
            reduction=reduction, validate=_flag(validate))
    v.check_bool(validate, "validate")
    alpha, gamma = _focal_parameters(alpha, gamma)
    p = _binary_problem(logits, targets, "logits", reduction, validate)
    t = _focal_terms(p, alpha)
    loss = t.weight * t.bce * np.power(t.base, gamma)
    return _reduce(np.asarray(loss, p.z.dtype), p.reduction, p.denominator(), p.out_dtype)


@_shared_doc
def sigmoid_focal_loss_grad(
    logits: ArrayLike, targets: ArrayLike, *, alpha: float | None = 0.25, gamma: float = 2.0,
    reduction: str = "mean", validate: bool = True,
) -> FloatArray:
    r"""Gradient of :func:`sigmoid_focal_loss` with respect to ``logits``.

{focal_parameters}    Returns
    -------
    grad : ndarray, shape of ``logits``

    See Also
    --------
    sigmoid_focal_loss : the loss
    sigmoid_binary_cross_entropy_grad : the gamma = 0 case

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    With :math:`m = 1 - p_t` and :math:`\partial m/\partial z = (1 - 2y)\,\sigma(z)
    \sigma(-z)`,

    .. math:: \frac{\partial\ell}{\partial z} = \alpha_t\Big[(\sigma(z) - y)\,m^\gamma
              + \gamma\,\mathrm{BCE}\;m^{\gamma-1}(1 - 2y)\,\sigma(z)\sigma(-z)\Big]

    (derived with SymPy in ``derivations/losses.py``).  Where :math:`m` is 0 the
    second term is 0, its limit (BCE vanishes like :math:`m`); ``"mean"`` divides by
    the number of elements.  :math:`\sigma(z) - y` is formed as
    :math:`(1 - y)\sigma(z) - y\sigma(-z)`, which does not cancel for 0/1 targets.

    References
    ----------
    T.-Y. Lin et al. (2017), Focal loss for dense object detection, ICCV.

    Examples
    --------
    >>> sigmoid_focal_loss_grad([0.0], [1.0], alpha=None, gamma=0.0).tolist()   # sigma(0) - 1
    [-0.5]
    """
    if (xp := _ns.foreign_namespace(logits, targets, names=("logits", "targets"))) is not None:
        return _xpl.sigmoid_focal_loss_grad(xp, logits, targets, alpha=alpha, gamma=gamma,
            reduction=reduction, validate=_flag(validate))
    v.check_bool(validate, "validate")
    alpha, gamma = _focal_parameters(alpha, gamma)
    p = _binary_problem(logits, targets, "logits", reduction, validate)
    t = _focal_terms(p, alpha)
    y = p.y
    residual = (1 - y) * t.s_pos - y * t.s_neg
    with np.errstate(divide="ignore", invalid="ignore"):
        chain = gamma * t.bce * np.power(t.base, gamma - 1) * (1 - 2 * y) * t.s_pos * t.s_neg
    chain = np.where((t.base == 0) | (gamma == 0), 0.0, chain)
    g = t.weight * (residual * np.power(t.base, gamma) + chain) / p.denominator()
    return v.restore_dtype(np.asarray(g, p.z.dtype), p.out_dtype)


def _poly_problem(logits: ArrayLike, targets: ArrayLike, axis: int, ignore_index: int | None,
                  reduction: str, validate: bool) -> _SoftmaxProblem:
    return _softmax_problem(logits, targets, axis=axis, label_smoothing=0.0,
                            class_weights=None, ignore_index=ignore_index,
                            reduction=reduction, validate=validate)


def _target_rows(p: _SoftmaxProblem) -> Any:
    """The targets as (N, C) probability rows (one-hot for labels; 0 for ignored rows)."""
    if p.probs is not None:
        return p.probs.astype(p.acc)
    t = np.zeros(p.x.shape, p.acc)
    rows = np.flatnonzero(p.counted)
    t[rows, p.labels[rows]] = 1.0
    return t


def _one_minus_probabilities(p: _SoftmaxProblem) -> tuple[Any, Any]:
    """softmax rows ``s`` and ``1 - s`` without cancellation (accumulator dtype).

    ``1 - s_c`` is the mass of the other classes: for the row maximum it is summed
    from them; every other class has :math:`s_c \\le 1/2`, so ``1 - s_c`` is exact
    to rounding.
    """
    s = softmax(p.x.astype(p.acc), axis=-1, validate=False)
    rows = np.arange(s.shape[0])
    top = np.argmax(p.x, axis=1)
    others = 1.0 - s
    at_top = s.copy()
    at_top[rows, top] = 0.0
    others[rows, top] = np.sum(at_top, axis=1)
    if p.counted is not None and not p.counted.all():
        # An ignored row contributes 0, even one whose logits are all -inf (softmax NaN).
        s[~p.counted] = 0.0
        others[~p.counted] = 0.0
    return s, others


_DOC_BLOCKS["poly_parameters"] = r"""    Parameters
    ----------
    logits : array_like, shape (..., C, ...)
        As in :func:`softmax_cross_entropy` (``-inf`` masks a class).
    targets : array_like
        Class indices or probability vectors, as in :func:`softmax_cross_entropy`.
    epsilon : float, default 2.0
        Coefficient of the first polynomial term (optax's default); any real
        number, 0 gives the cross-entropy.
    axis : int, default -1
        The class axis.
    ignore_index : int, optional
        Index targets equal to it contribute 0 and are left out of the mean.
    reduction : {"mean", "sum", "none"}, default "mean"
        (optax returns the per-example values, i.e. ``"none"``.)
    validate : bool, default True

"""


@_shared_doc
def poly_loss_cross_entropy(
    logits: ArrayLike, targets: ArrayLike, *, epsilon: float = 2.0, axis: int = -1,
    ignore_index: int | None = None, reduction: str = "mean", validate: bool = True,
) -> FloatResult:
    r"""Poly-1 cross-entropy, CE + :math:`\epsilon\,(1 - p_t)` (optax, PolyLoss).

{poly_parameters}    Returns
    -------
    loss : float or ndarray (shape of ``logits`` without ``axis`` for ``"none"``)

    See Also
    --------
    poly_loss_cross_entropy_grad : its gradient
    softmax_cross_entropy : the epsilon = 0 case

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    With :math:`s = \operatorname{softmax}(x)` and target distribution :math:`t`,

    .. math:: \ell = -\sum_c t_c\log s_c + \epsilon\Big(1 - \sum_c t_c s_c\Big)
              = \mathrm{CE} + \epsilon\sum_c t_c\,(1 - s_c),

    the first polynomial term of the expansion of CE in :math:`1 - p_t`.  The CE
    is :func:`softmax_cross_entropy`'s (accurate for confident rows), and
    :math:`1 - s_c` is the summed mass of the other classes where :math:`s_c` is the
    largest, so the bonus term keeps its digits when :math:`p_t \to 1`.

    References
    ----------
    Z. Leng et al. (2022). PolyLoss: a polynomial expansion perspective of
    classification loss functions. ICLR.

    Examples
    --------
    >>> float(poly_loss_cross_entropy([[0.0, 0.0]], [0], epsilon=1.0))   # log 2 + 1/2
    1.1931471805599454
    """
    if (xp := _ns.foreign_namespace(logits, targets, names=("logits", "targets"))) is not None:
        return _ns.native(xp, _xpl.poly_loss_cross_entropy, poly_loss_cross_entropy,
            logits, targets, epsilon=epsilon,
            axis=axis, ignore_index=ignore_index, reduction=reduction, validate=_flag(validate))
    v.check_bool(validate, "validate")
    eps = v.check_finite_scalar(epsilon, "epsilon")
    p = _poly_problem(logits, targets, axis, ignore_index, reduction, validate)
    ce = _softmax_ce_rows(p)
    _, others = _one_minus_probabilities(p)
    rows = ce + eps * np.sum(_target_rows(p) * others, axis=1)
    return _reduce(rows.reshape(p.batch_shape), p.reduction, p.denominator(), p.out_dtype)


@_shared_doc
def poly_loss_cross_entropy_grad(
    logits: ArrayLike, targets: ArrayLike, *, epsilon: float = 2.0, axis: int = -1,
    ignore_index: int | None = None, reduction: str = "mean", validate: bool = True,
) -> FloatArray:
    r"""Gradient of :func:`poly_loss_cross_entropy` with respect to ``logits``.

{poly_parameters}    Returns
    -------
    grad : ndarray, shape of ``logits``

    See Also
    --------
    poly_loss_cross_entropy : the loss
    softmax_cross_entropy_grad : its first part

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \frac{\partial\ell}{\partial x_k} = s_k - t_k
              - \epsilon\,s_k\Big(t_k - \sum_c t_c s_c\Big)

    (derived with SymPy in ``derivations/losses.py``), with :math:`t_k - \sum_c t_c
    s_c = \sum_c t_c(1 - s_c) - (1 - t_k)` formed from the cancellation-free
    :math:`1 - s_c`; divided by the number of counted rows for ``"mean"``.

    References
    ----------
    Z. Leng et al. (2022), PolyLoss, ICLR.

    Examples
    --------
    >>> poly_loss_cross_entropy_grad([[0.0, 0.0]], [0], epsilon=1.0).tolist()
    [[-0.75, 0.75]]
    """
    if (xp := _ns.foreign_namespace(logits, targets, names=("logits", "targets"))) is not None:
        return _ns.native(xp, _xpl.poly_loss_cross_entropy_grad, poly_loss_cross_entropy_grad,
            logits, targets, epsilon=epsilon,
            axis=axis, ignore_index=ignore_index, reduction=reduction, validate=_flag(validate))
    v.check_bool(validate, "validate")
    eps = v.check_finite_scalar(epsilon, "epsilon")
    p = _poly_problem(logits, targets, axis, ignore_index, reduction, validate)
    ce_grad = _softmax_ce_grad_rows(p)
    den = p.denominator()
    if den == 0:
        g = ce_grad
    else:
        s, others = _one_minus_probabilities(p)
        t = _target_rows(p)
        miss = np.sum(t * others, axis=1, keepdims=True)   # 1 - sum_c t_c s_c
        g = ce_grad - (eps / den) * s * (miss - (1.0 - t)) * (np.sum(t, axis=1,
                                                                      keepdims=True) > 0)
    moved_shape = (*p.batch_shape, p.x.shape[1])
    g = np.moveaxis(np.asarray(g).reshape(moved_shape), -1, p.axis)
    return v.restore_dtype(g, p.out_dtype)


# --------------------------------------------------------------------------- #
# Hinge losses (scikit-learn's binary hinge, PyTorch's multi_margin_loss)     #
# --------------------------------------------------------------------------- #

def _check_margin(margin: float) -> float:
    return v.check_positive_scalar(margin, "margin", allow_zero=True)


def _signed_targets(targets: ArrayLike, scores: Any, validate: bool) -> Any:
    """Targets as signs +-1 in the scores' dtype: 1 is positive, 0 or -1 negative.

    One array uses one encoding: {-1, +1} (scikit-learn's) or {0, 1}; mixing 0
    and -1 is refused.  With ``validate=False`` other values pass through (a NaN
    stays NaN, so it is never hidden).
    """
    t = v.as_array(targets, "targets")
    if t.dtype.kind not in "biuf":
        v.as_float_array(targets, "targets")  # the named TypeError
    t = t.astype(scores.dtype)
    v.check_same_shape(scores, t, "scores", "targets")
    if validate:
        bad = (t != 1) & (t != 0) & (t != -1)
        if bad.any():
            idx = v.first_index(np.atleast_1d(bad))
            raise ValueError(f"`targets`: expected labels in {{-1, +1}} or {{0, 1}}, got "
                             f"{np.atleast_1d(t)[idx]} at index {list(idx)}")
        if (t == 0).any() and (t == -1).any():
            raise ValueError("`targets`: expected one encoding, {-1, +1} or {0, 1}, got both "
                             "0 and -1 as labels")
    return np.where(t == 0, scores.dtype.type(-1), t)


def _hinge_problem(scores: ArrayLike, targets: ArrayLike, margin: float, reduction: str,
                   validate: bool) -> tuple[Any, Any, float, str, np.dtype[Any]]:
    reduction = v.check_choice(reduction, _REDUCTIONS, "reduction")
    m = _check_margin(margin)
    s, out_dtype = v.as_float_array(scores, "scores")
    v.check_nonempty_mean(s, reduction, "scores")
    if validate:
        v.check_finite_fast(s, "scores")
    t = _signed_targets(targets, s, validate)
    return s, t, m, reduction, out_dtype


_DOC_BLOCKS["hinge_parameters"] = r"""    Parameters
    ----------
    scores : array_like
        Finite real-valued decision scores :math:`f` (any shape, one binary
        decision per element), e.g. a linear SVM's :math:`w^\top x + b`.
    targets : array_like, same shape as ``scores``
        Labels :math:`y \in \{-1, +1\}` (scikit-learn's encoding) or
        :math:`\{0, 1\}` (0 is the negative class); bool, int or float.  One
        array uses one encoding (both 0 and -1 raise ``ValueError``).
    margin : float >= 0, default 1
        The margin :math:`\mu` (1 in scikit-learn's ``hinge_loss``).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` averages over every element; an empty mean raises ``ValueError``.
    validate : bool, default True

"""
_DOC_BLOCKS["hinge_references"] = r"""    References
    ----------
    scikit-learn, ``sklearn.metrics.hinge_loss`` documentation (binary case).
    C. Cortes, V. Vapnik (1995). Support-vector networks. Machine Learning 20.

"""


@_shared_doc
def hinge_loss(
    scores: ArrayLike, targets: ArrayLike, *, margin: float = 1.0, reduction: str = "mean",
    validate: bool = True,
) -> FloatResult:
    r"""Binary hinge loss :math:`\max(0, \mu - y f)` (the SVM loss; scikit-learn).

{hinge_parameters}    Returns
    -------
    loss : float or ndarray (shape of ``scores`` for ``"none"``)

    See Also
    --------
    hinge_loss_grad : its (sub)gradient
    multiclass_hinge_loss : the multiclass version (PyTorch's ``multi_margin_loss``)
    sigmoid_binary_cross_entropy : the smooth (logistic) alternative

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \ell = \max(0,\ \mu - y\,f), \qquad y \in \{-1, +1\},

    with 0/1 labels mapped to -1/+1 first.  This is ``sklearn.metrics.hinge_loss``
    (which maps any two labels to -1/+1 and uses :math:`\mu = 1`) and the ``p=1``
    ``multi_margin_loss`` of PyTorch on the two scores :math:`(0, f)` times 2.  It is
    *not* PyTorch's ``HingeEmbeddingLoss``, which takes distances (:math:`x` for
    :math:`y = 1`, :math:`\max(0, \mu - x)` for :math:`y = -1`).  Exact: one
    multiplication and one subtraction per element, no cancellation beyond theirs.

{hinge_references}    Examples
    --------
    >>> hinge_loss([2.0, 0.5, -1.0], [1, 1, 1], reduction="none").tolist()
    [0.0, 0.5, 2.0]
    >>> float(hinge_loss([2.0, 0.5, -1.0], [0, 1, 0]))   # 0/1 labels: (3 + 0.5 + 0) / 3
    1.1666666666666667
    """
    if (xp := _ns.foreign_namespace(scores, targets, names=("scores", "targets"))) is not None:
        return _xpl.hinge_loss(xp, scores, targets, margin=margin, reduction=reduction,
            validate=_flag(validate))
    v.check_bool(validate, "validate")
    s, t, m, reduction, out_dtype = _hinge_problem(scores, targets, margin, reduction,
                                                   validate)
    loss = np.maximum(s.dtype.type(m) - t * s, 0)
    loss = np.where(np.isnan(loss), np.nan, loss)  # maximum keeps NaN; keep it explicit
    den = float(s.size) if reduction == "mean" else 1.0
    return _reduce(np.asarray(loss, s.dtype), reduction, den, out_dtype)


@_shared_doc
def hinge_loss_grad(
    scores: ArrayLike, targets: ArrayLike, *, margin: float = 1.0, reduction: str = "mean",
    validate: bool = True,
) -> FloatArray:
    r"""Subgradient of :func:`hinge_loss` with respect to ``scores``.

{hinge_parameters}    Returns
    -------
    grad : ndarray, shape of ``scores``
        :math:`-y` where :math:`y f < \mu`, 0 where :math:`y f \ge \mu`; divided by
        the number of elements for ``"mean"`` (the gradient of the sum for ``"none"``).

    See Also
    --------
    hinge_loss : the loss
    multiclass_hinge_loss_grad : the multiclass version

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \frac{\partial\ell}{\partial f} = -y\,[\,\mu - y f > 0\,].

    At the kink :math:`y f = \mu` the subdifferential is the segment between
    :math:`-y` and 0; the value returned there is 0, which is both PyTorch's
    choice (its ReLU and ``multi_margin_loss`` backward count a term only when it is
    strictly positive) and the minimum-norm subgradient.

{hinge_references}    Examples
    --------
    >>> hinge_loss_grad([2.0, 1.0, 0.5], [1, 1, -1], reduction="sum").tolist()
    [0.0, 0.0, 1.0]
    """
    if (xp := _ns.foreign_namespace(scores, targets, names=("scores", "targets"))) is not None:
        return _xpl.hinge_loss_grad(xp, scores, targets, margin=margin,
            reduction=reduction, validate=_flag(validate))
    v.check_bool(validate, "validate")
    s, t, m, reduction, out_dtype = _hinge_problem(scores, targets, margin, reduction,
                                                   validate)
    slack = s.dtype.type(m) - t * s
    g = np.where(slack > 0, -t, 0 * t)   # 0 * t keeps a NaN (validate=False) visible
    g = np.where(np.isnan(slack), np.nan, g)
    den = float(s.size) if reduction == "mean" else 1.0
    g = np.asarray(g, s.dtype) / s.dtype.type(den) if s.size else np.zeros_like(s)
    return v.restore_dtype(g, out_dtype)


@dataclass(frozen=True)
class _MarginProblem:
    """Validated multiclass hinge inputs: scores (N, C) with the class axis last."""

    x: Any
    labels: Any
    margin: float
    reduction: str
    batch_shape: tuple[int, ...]
    axis: int
    out_dtype: np.dtype[Any]


def _margin_problem(scores: ArrayLike, labels: ArrayLike, margin: float, reduction: str,
                    axis: int, validate: bool) -> _MarginProblem:
    reduction = v.check_choice(reduction, _REDUCTIONS, "reduction")
    m = _check_margin(margin)
    x, out_dtype = v.as_float_array(scores, "scores")
    if x.ndim == 0:
        raise ValueError("`scores`: expected at least one dimension (the class axis), got a "
                         "scalar")
    ax = v.check_axis(axis, x.ndim)
    v.check_nonempty_axis(x, ax, "scores")
    if validate:
        v.check_finite_fast(x, "scores")
    n_classes = x.shape[ax]
    batch_shape = x.shape[:ax] + x.shape[ax + 1:]
    y = v.as_label_array(labels, "labels")
    if y.shape != batch_shape:
        raise ValueError(f"`labels`: expected class indices of shape {batch_shape} (scores "
                         f"shape {x.shape}, class axis {ax}), got shape {y.shape}")
    y = y.reshape(-1)
    bad = (y < 0) | (y >= n_classes)
    if bad.any():
        idx = v.first_index(np.atleast_1d(bad))
        raise ValueError(f"`labels`: expected class indices in [0, {n_classes}), got "
                         f"{y[idx]} at index {list(idx)}")
    if reduction == "mean" and y.size == 0:
        raise ValueError(f"`scores`: expected at least one example for reduction='mean' "
                         f"(the mean of nothing is undefined), got shape {x.shape}")
    x2 = np.ascontiguousarray(np.moveaxis(x, ax, -1)).reshape(-1, n_classes)
    return _MarginProblem(x2, y, m, reduction, batch_shape, ax, out_dtype)


def _margin_slacks(p: _MarginProblem) -> Any:
    """``mu - x_y + x_c`` for every class, with the label's own column set to -inf."""
    rows = np.arange(p.x.shape[0])
    slack = p.x.dtype.type(p.margin) - p.x[rows, p.labels][:, None] + p.x
    slack[rows, p.labels] = -np.inf
    return slack


_DOC_BLOCKS["margin_parameters"] = r"""    Parameters
    ----------
    scores : array_like, shape (..., C, ...)
        Finite class scores :math:`x`; the C classes lie along ``axis``.
    labels : array_like of int
        Class indices in [0, C), the shape of ``scores`` without ``axis``.
    margin : float >= 0, default 1
        The margin :math:`\mu` (PyTorch's ``margin``).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` averages over the examples (PyTorch); an empty mean raises.
    axis : int, default -1
        The class axis.
    validate : bool, default True

"""
_DOC_BLOCKS["margin_references"] = r"""    References
    ----------
    PyTorch, ``torch.nn.MultiMarginLoss`` documentation (``p=1``, no ``weight``).
    J. Weston, C. Watkins (1999). Support vector machines for multi-class pattern
    recognition. ESANN.

"""


@_shared_doc
def multiclass_hinge_loss(
    scores: ArrayLike, labels: ArrayLike, *, margin: float = 1.0, reduction: str = "mean",
    axis: int = -1, validate: bool = True,
) -> FloatResult:
    r"""Multiclass hinge loss of PyTorch's ``multi_margin_loss`` (Weston–Watkins, ``p=1``).

{margin_parameters}    Returns
    -------
    loss : float or ndarray (shape of ``scores`` without ``axis`` for ``"none"``)

    See Also
    --------
    multiclass_hinge_loss_grad : its subgradient
    hinge_loss : the binary hinge loss
    softmax_cross_entropy : the smooth alternative

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \ell_n = \frac{1}{C}\sum_{c \ne y_n} \max(0,\ \mu - x_{n y_n} + x_{nc}),

    a sum over every wrong class (Weston–Watkins), divided by the number of classes C
    as ``torch.nn.functional.multi_margin_loss(x, y, p=1, margin=mu)`` does.  This is
    *not* the Crammer–Singer loss :math:`\max_{c \ne y}(\ldots)` that
    ``sklearn.metrics.hinge_loss`` uses for more than two classes; with C = 2 both
    equal half of :func:`hinge_loss` on the score difference.

{margin_references}    Examples
    --------
    >>> float(multiclass_hinge_loss([[2.0, 1.5, -1.0]], [0]))   # (0.5 + 0) / 3
    0.16666666666666666
    >>> multiclass_hinge_loss([[0.0, 0.0], [3.0, 0.0]], [1, 1], reduction="none").tolist()
    [0.5, 2.0]
    """
    if (xp := _ns.foreign_namespace(scores, labels, names=("scores", "labels"))) is not None:
        return _ns.native(xp, _xpl.multiclass_hinge_loss, multiclass_hinge_loss,
            scores, labels, margin=margin,
            reduction=reduction, axis=axis, validate=_flag(validate))
    v.check_bool(validate, "validate")
    p = _margin_problem(scores, labels, margin, reduction, axis, validate)
    slack = _margin_slacks(p)
    rows = np.sum(np.maximum(slack, 0), axis=1, dtype=_accumulator(p.x.dtype)) / p.x.shape[1]
    den = float(p.labels.size) if p.reduction == "mean" else 1.0
    return _reduce(rows.astype(p.x.dtype).reshape(p.batch_shape), p.reduction, den,
                   p.out_dtype)


@_shared_doc
def multiclass_hinge_loss_grad(
    scores: ArrayLike, labels: ArrayLike, *, margin: float = 1.0, reduction: str = "mean",
    axis: int = -1, validate: bool = True,
) -> FloatArray:
    r"""Subgradient of :func:`multiclass_hinge_loss` with respect to ``scores``.

{margin_parameters}    Returns
    -------
    grad : ndarray, shape of ``scores``

    See Also
    --------
    multiclass_hinge_loss : the loss
    hinge_loss_grad : the binary version

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    With the active set :math:`a_{nc} = [\,\mu - x_{n y_n} + x_{nc} > 0\,]` for
    :math:`c \ne y_n`,

    .. math:: \frac{\partial\ell_n}{\partial x_{nc}} = \frac{a_{nc}}{C}\ (c \ne y_n),
              \qquad \frac{\partial\ell_n}{\partial x_{n y_n}} = -\frac{1}{C}\sum_{c \ne y_n}
              a_{nc},

    divided by N for ``"mean"``.  A term exactly at its kink counts as inactive
    (contributes 0): PyTorch's ``multi_margin_loss`` backward, which tests ``z > 0``.
    That is a valid subgradient; it is the minimum-norm one when no term of the row is
    active (it is then 0), not in general.  Each row sums to 0.

{margin_references}    Examples
    --------
    >>> multiclass_hinge_loss_grad([[2.0, 1.5, -1.0]], [0]).tolist()
    [[-0.3333333333333333, 0.3333333333333333, 0.0]]
    """
    if (xp := _ns.foreign_namespace(scores, labels, names=("scores", "labels"))) is not None:
        return _ns.native(xp, _xpl.multiclass_hinge_loss_grad, multiclass_hinge_loss_grad,
            scores, labels, margin=margin,
            reduction=reduction, axis=axis, validate=_flag(validate))
    v.check_bool(validate, "validate")
    p = _margin_problem(scores, labels, margin, reduction, axis, validate)
    slack = _margin_slacks(p)
    n, c = p.x.shape
    den = float(n) if p.reduction == "mean" else 1.0
    scale = p.x.dtype.type(1.0 / (c * den)) if n else p.x.dtype.type(0)
    g = np.where(slack > 0, scale, p.x.dtype.type(0))
    g = np.where(np.isnan(slack), np.nan, g)
    rows = np.arange(n)
    g[rows, p.labels] = -np.sum(g, axis=1)
    moved_shape = (*p.batch_shape, c)
    g = np.moveaxis(g.reshape(moved_shape), -1, p.axis)
    return v.restore_dtype(g, p.out_dtype)


# --------------------------------------------------------------------------- #
# Contrastive losses: InfoNCE (CPC, MoCo) and NT-Xent (SimCLR, optax.ntxent)   #
# --------------------------------------------------------------------------- #

_SIMILARITIES = ("cosine", "dot")

#: Norms below this are clamped to it before dividing (``torch.nn.functional.normalize``'s
#: ``eps``): a zero embedding has cosine similarity 0 with everything, never NaN.
_NORM_EPS = 1e-12


def _embedding_matrix(x: ArrayLike, name: str, validate: bool) -> tuple[Any, np.dtype[Any]]:
    a, out_dtype = v.as_float_array(x, name)
    if a.ndim != 2:
        raise ValueError(f"`{name}`: expected a 2-d array (n, d) of embeddings, got shape "
                         f"{a.shape}")
    if validate:
        v.check_finite_fast(a, name)
    return a.astype(_accumulator(a.dtype), copy=False), out_dtype


def _normalised(x: Any, similarity: str) -> tuple[Any, Any]:
    """Rows scaled to unit norm (cosine) with the norms used; identity for ``"dot"``."""
    if similarity == "dot":
        return x, None
    norms = np.sqrt(np.sum(x * x, axis=1, keepdims=True))
    norms = np.maximum(norms, _NORM_EPS)
    return x / norms, norms


def _normalised_backward(x_hat: Any, norms: Any, d_hat: Any) -> Any:
    """Chain rule through ``x / max(||x||, eps)``: the tangent projection over the norm
    where the norm exceeds eps, ``d_hat / eps`` where it was clamped."""
    if norms is None:
        return d_hat
    radial = np.sum(x_hat * d_hat, axis=1, keepdims=True) * (norms > _NORM_EPS)
    return (d_hat - x_hat * radial) / norms


def _contrastive_parameters(temperature: float, similarity: str, reduction: str
                            ) -> tuple[float, str, str]:
    tau = v.check_positive_scalar(temperature, "temperature")
    return (tau, v.check_choice(similarity, _SIMILARITIES, "similarity"),
            v.check_choice(reduction, _REDUCTIONS, "reduction"))


@dataclass(frozen=True)
class _InfoNCEProblem:
    q_hat: Any
    q_norms: Any
    k_hat: Any
    k_norms: Any
    positive: Any
    tau: float
    reduction: str
    out_dtype: np.dtype[Any]

    def logits(self) -> Any:
        return self.q_hat @ self.k_hat.T / self.tau


def _info_nce_problem(query: ArrayLike, keys: ArrayLike, temperature: float, similarity: str,
                      positive: ArrayLike | None, reduction: str,
                      validate: bool) -> _InfoNCEProblem:
    tau, similarity, reduction = _contrastive_parameters(temperature, similarity, reduction)
    q, q_out = _embedding_matrix(query, "query", validate)
    k, k_out = _embedding_matrix(keys, "keys", validate)
    if k.shape[1] != q.shape[1]:
        raise ValueError(f"`keys`: expected embeddings of dimension {q.shape[1]} (as "
                         f"`query`), got shape {k.shape}")
    if k.shape[0] == 0:
        raise ValueError(f"`keys`: expected at least one candidate key, got shape {k.shape}")
    if positive is None:
        if k.shape[0] < q.shape[0]:
            raise ValueError(f"`keys`: with positive=None row i of `keys` is the positive "
                             f"of query i, so at least {q.shape[0]} keys are needed, got "
                             f"{k.shape[0]}")
        pos = np.arange(q.shape[0])
    else:
        pos = v.as_label_array(positive, "positive")
        if pos.shape != (q.shape[0],):
            raise ValueError(f"`positive`: expected one key index per query, shape "
                             f"({q.shape[0]},), got shape {pos.shape}")
        bad = (pos < 0) | (pos >= k.shape[0])
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"`positive`: expected key indices in [0, {k.shape[0]}), got "
                             f"{pos[i]} at index [{i}]")
    if reduction == "mean" and q.shape[0] == 0:
        raise ValueError("`query`: expected at least one query for reduction='mean' (the "
                         "mean of nothing is undefined), got shape (0, d)")
    _, out_dtype = v.result_dtype(q_out, k_out)
    q_hat, q_norms = _normalised(q, similarity)
    k_hat, k_norms = _normalised(k, similarity)
    return _InfoNCEProblem(q_hat, q_norms, k_hat, k_norms, pos, tau, reduction, out_dtype)


_DOC_BLOCKS["info_nce_parameters"] = r"""    Parameters
    ----------
    query : array_like, shape (N, D)
        Finite query (anchor) embeddings :math:`q_i`.
    keys : array_like, shape (M, D)
        Finite candidate embeddings :math:`k_j`: the positive of each query and its
        negatives (every other key).
    temperature : float > 0, default 0.1
        :math:`\tau`; the logits are :math:`\mathrm{sim}(q_i, k_j) / \tau`.
    similarity : {"cosine", "dot"}, default "cosine"
        ``"cosine"`` uses :math:`\hat q^\top \hat k` with :math:`\hat x = x /
        \max(\lVert x\rVert, 10^{-12})` (a zero vector has similarity 0, not NaN);
        ``"dot"`` uses :math:`q^\top k`.
    positive : array_like of int, shape (N,), optional
        Index in [0, M) of the positive key of each query; default ``arange(N)`` (row
        i of ``keys`` is the positive of query i, which needs M >= N).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` averages over the N queries; ``"none"`` gives the N losses.
    validate : bool, default True

"""
_DOC_BLOCKS["contrastive_references"] = r"""    References
    ----------
    A. van den Oord, Y. Li, O. Vinyals (2018). Representation learning with
    contrastive predictive coding. arXiv:1807.03748 (InfoNCE, the log N bound).
    T. Chen, S. Kornblith, M. Norouzi, G. Hinton (2020). A simple framework for
    contrastive learning of visual representations. ICML (SimCLR, NT-Xent).
    optax, ``optax.losses.ntxent`` documentation.

"""


@_shared_doc
def info_nce(
    query: ArrayLike, keys: ArrayLike, *, temperature: float = 0.1,
    similarity: str = "cosine", positive: ArrayLike | None = None, reduction: str = "mean",
    validate: bool = True,
) -> FloatResult:
    r"""InfoNCE loss: cross-entropy of picking each query's positive among the keys.

{info_nce_parameters}    Returns
    -------
    loss : float or ndarray (shape (N,) for ``"none"``)

    See Also
    --------
    info_nce_grad : its gradients with respect to ``query`` and ``keys``
    nt_xent : the SimCLR loss on one batch of paired views
    softmax_cross_entropy : the cross-entropy it evaluates
    mutual_information : what :math:`\log M - \mathcal{L}` bounds from below

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \ell_i = -\log\frac{\exp(s_{i p_i}/\tau)}{\sum_{j=1}^{M}\exp(s_{ij}/\tau)},
              \qquad s_{ij} = \mathrm{sim}(q_i, k_j),

    evaluated as :func:`softmax_cross_entropy` of the logit matrix :math:`S/\tau` with
    class targets :math:`p_i` (its log1p form: no overflow at small :math:`\tau`, no
    cancellation for a confident query).  Every key that is not the positive is a
    negative (the standard InfoNCE / MoCo / CLIP-direction form; the positive is in the
    denominator).  Hence :math:`0 \le \ell_i`, the loss is invariant to permuting the
    negatives, and with M candidates :math:`\log M - \mathcal{L}` is the InfoNCE lower
    bound on :math:`I(X; Y)`, never above :math:`\log M`.  Computed in float64 (or
    wider) and returned in the inputs' dtype.

{contrastive_references}    Examples
    --------
    Orthogonal unit keys, each query equal to its key (cosine 1 vs 0):

    >>> float(info_nce(np.eye(2), np.eye(2), temperature=1.0))   # log(1 + e^-1)
    0.31326168751822286
    >>> info_nce([[1.0, 0.0]], [[0.0, 1.0], [1.0, 0.0]], positive=[1],
    ...          temperature=0.5, reduction="none").tolist()
    [0.1269280110429725]
    """
    xp = _ns.foreign_namespace(query, keys, positive, names=("query", "keys", "positive"))
    if xp is not None:
        return _ns.native(xp, _xpl.info_nce, info_nce,
            query, keys, temperature=temperature,
            similarity=similarity, positive=positive, reduction=reduction, validate=_flag(validate))
    v.check_bool(validate, "validate")
    p = _info_nce_problem(query, keys, temperature, similarity, positive, reduction, validate)
    loss = softmax_cross_entropy(p.logits(), p.positive, reduction=p.reduction,
                                 validate=validate)
    return v.restore_dtype(np.asarray(loss) if p.reduction == "none" else loss, p.out_dtype)


@_shared_doc
def info_nce_grad(
    query: ArrayLike, keys: ArrayLike, *, temperature: float = 0.1,
    similarity: str = "cosine", positive: ArrayLike | None = None, reduction: str = "mean",
    validate: bool = True,
) -> tuple[FloatArray, FloatArray]:
    r"""Gradients of :func:`info_nce` with respect to ``query`` and ``keys``.

{info_nce_parameters}    Returns
    -------
    (grad_query, grad_keys) : tuple of ndarray, shapes (N, D) and (M, D)
        For ``"none"``: the gradients of the sum of the N losses.

    See Also
    --------
    info_nce : the loss
    softmax_cross_entropy_grad : the gradient with respect to the logits

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    With :math:`G = \partial\mathcal{L}/\partial(S/\tau) = P - Y` (the softmax of each
    row minus the one-hot positive, scaled by 1/N for ``"mean"``),

    .. math:: \frac{\partial\mathcal{L}}{\partial\hat Q} = \frac{G\hat K}{\tau},\qquad
              \frac{\partial\mathcal{L}}{\partial\hat K} = \frac{G^\top\hat Q}{\tau},

    and for ``"cosine"`` each row goes back through :math:`\hat x = x/\lVert x\rVert` by
    :math:`\partial x = (I - \hat x\hat x^\top)\,\partial\hat x / \lVert x\rVert` (the
    radial part removed: the loss is invariant to rescaling an embedding); a norm
    clamped at :math:`10^{-12}` gives :math:`\partial\hat x / 10^{-12}`.  Derived with
    SymPy in ``derivations/losses.py`` (both similarities).

{contrastive_references}    Examples
    --------
    >>> gq, gk = info_nce_grad(np.eye(2), np.eye(2), similarity="dot", temperature=1.0)
    >>> gq.round(6).tolist()
    [[-0.134471, 0.134471], [0.134471, -0.134471]]
    """
    xp = _ns.foreign_namespace(query, keys, positive, names=("query", "keys", "positive"))
    if xp is not None:
        return _ns.native(xp, _xpl.info_nce_grad, info_nce_grad,
            query, keys, temperature=temperature,
            similarity=similarity, positive=positive, reduction=reduction, validate=_flag(validate))
    v.check_bool(validate, "validate")
    p = _info_nce_problem(query, keys, temperature, similarity, positive, reduction, validate)
    g = softmax_cross_entropy_grad(p.logits(), p.positive, reduction=p.reduction,
                                   validate=validate) / p.tau
    gq = _normalised_backward(p.q_hat, p.q_norms, g @ p.k_hat)
    gk = _normalised_backward(p.k_hat, p.k_norms, g.T @ p.q_hat)
    return v.restore_dtype(gq, p.out_dtype), v.restore_dtype(gk, p.out_dtype)


@dataclass(frozen=True)
class _NTXentProblem:
    e_hat: Any
    norms: Any
    positives: Any    # (M, M) bool: same label, not the diagonal
    negatives: Any    # (M, M) bool: different label
    tau: float
    reduction: str
    out_dtype: np.dtype[Any]

    def logits(self) -> Any:
        return self.e_hat @ self.e_hat.T / self.tau

    def denominator(self) -> float:
        """``"mean"`` averages over the ordered positive pairs (optax); 1 otherwise."""
        return float(np.count_nonzero(self.positives)) if self.reduction == "mean" else 1.0


def _nt_xent_problem(embeddings: ArrayLike, labels: ArrayLike, temperature: float,
                     similarity: str, reduction: str, validate: bool) -> _NTXentProblem:
    tau, similarity, reduction = _contrastive_parameters(temperature, similarity, reduction)
    e, out_dtype = _embedding_matrix(embeddings, "embeddings", validate)
    y = v.as_label_array(labels, "labels")
    if y.shape != (e.shape[0],):
        raise ValueError(f"`labels`: expected one label per embedding, shape ({e.shape[0]},), "
                         f"got shape {y.shape}")
    same = y[:, None] == y[None, :]
    positives = same & ~np.eye(e.shape[0], dtype=bool)
    if reduction == "mean" and not positives.any():
        raise ValueError("`labels`: expected at least one positive pair (two embeddings "
                         "with the same label) for reduction='mean', got none")
    e_hat, norms = _normalised(e, similarity)
    return _NTXentProblem(e_hat, norms, positives, ~same, tau, reduction, out_dtype)


def _nt_xent_terms(p: _NTXentProblem) -> tuple[Any, Any, Any]:
    """Logits S, each anchor's log-sum-exp over its negatives a_i (-inf without any),
    and the pair margins u_ij = a_i - S_ij (pair loss softplus(u_ij))."""
    s = p.logits()
    neg = np.where(p.negatives, s, -np.inf)
    a = logsumexp(neg, axis=1, keepdims=True, validate=False)
    with np.errstate(invalid="ignore"):
        u = np.where(p.positives, a - s, -np.inf)
    return s, a, u


_DOC_BLOCKS["nt_xent_parameters"] = r"""    Parameters
    ----------
    embeddings : array_like, shape (M, D)
        Finite embeddings of every view in the batch (SimCLR: M = 2N, two views of each
        of N images).
    labels : array_like of int, shape (M,)
        Embeddings with the same label are positives of each other (the two views of
        one image share a label); different labels are negatives.
    temperature : float > 0, default 0.1
    similarity : {"cosine", "dot"}, default "cosine"
        As in :func:`info_nce` (a safe norm for ``"cosine"``).
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` averages over the ordered positive pairs (i, j), i != j (optax);
        ``"none"`` gives each anchor's summed pair losses, shape (M,).
    validate : bool, default True

"""


@_shared_doc
def nt_xent(
    embeddings: ArrayLike, labels: ArrayLike, *, temperature: float = 0.1,
    similarity: str = "cosine", reduction: str = "mean", validate: bool = True,
) -> FloatResult:
    r"""NT-Xent, the normalised temperature-scaled cross-entropy of SimCLR (optax ``ntxent``).

{nt_xent_parameters}    Returns
    -------
    loss : float or ndarray (shape (M,) for ``"none"``)

    See Also
    --------
    nt_xent_grad : its gradient with respect to ``embeddings``
    info_nce : queries against a separate set of keys

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    With :math:`S_{ij} = \mathrm{sim}(e_i, e_j)/\tau`, the positive pairs
    :math:`\mathcal{P} = \{(i, j): i \ne j,\ y_i = y_j\}` and the negatives
    :math:`\mathcal{N}(i) = \{k: y_k \ne y_i\}`,

    .. math:: \ell_{ij} = -\log\frac{e^{S_{ij}}}{e^{S_{ij}} + \sum_{k\in\mathcal{N}(i)}
              e^{S_{ik}}} = \operatorname{softplus}(a_i - S_{ij}),\qquad
              a_i = \log\sum_{k\in\mathcal{N}(i)} e^{S_{ik}},

    and ``"mean"`` is :math:`\frac{1}{|\mathcal{P}|}\sum_{(i,j)\in\mathcal{P}}\ell_{ij}`.
    For SimCLR's batch (every label exactly twice) the denominator is the sum over every
    :math:`k \ne i`, the paper's definition, and the mean is its
    :math:`\frac{1}{2N}\sum_k[\ell(2k-1, 2k) + \ell(2k, 2k-1)]`.  With more than two
    embeddings per label the anchor's other positives are left out of each pair's
    denominator (optax and pytorch-metric-learning's ``NTXentLoss``).  The softplus form
    (stable log-sum-exp :math:`a_i`, then :math:`\max(u, 0) + \operatorname{log1p}(e^{-|u|})`)
    never overflows and keeps tiny losses; an anchor without negatives has
    :math:`a_i = -\infty` and loss 0.

{contrastive_references}    Examples
    --------
    Two views of two images, each view equal to its partner, orthogonal to the other:

    >>> e = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> float(nt_xent(e, [0, 0, 1, 1], temperature=1.0))   # log(1 + 2 e^-1)
    0.5514447139320511
    """
    xp = _ns.foreign_namespace(embeddings, labels, names=("embeddings", "labels"))
    if xp is not None:
        return _ns.native(xp, _xpl.nt_xent, nt_xent,
            embeddings, labels, temperature=temperature,
            similarity=similarity, reduction=reduction, validate=_flag(validate))
    v.check_bool(validate, "validate")
    p = _nt_xent_problem(embeddings, labels, temperature, similarity, reduction, validate)
    _, _, u = _nt_xent_terms(p)
    pair = np.where(p.positives, softplus(u, validate=False), 0.0)
    rows = np.sum(pair, axis=1)
    return _reduce(rows, p.reduction, p.denominator(), p.out_dtype)


@_shared_doc
def nt_xent_grad(
    embeddings: ArrayLike, labels: ArrayLike, *, temperature: float = 0.1,
    similarity: str = "cosine", reduction: str = "mean", validate: bool = True,
) -> FloatArray:
    r"""Gradient of :func:`nt_xent` with respect to ``embeddings``.

{nt_xent_parameters}    Returns
    -------
    grad : ndarray, shape (M, D)
        For ``"none"``: the gradient of the sum of the anchors' losses.

    See Also
    --------
    nt_xent : the loss
    info_nce_grad : the two-set version

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    With :math:`\sigma_{ij} = \sigma(a_i - S_{ij})` for the positive pairs,

    .. math:: \frac{\partial\mathcal{L}}{\partial S_{ij}} = -\sigma_{ij}\ ((i,j)\in
              \mathcal{P}),\qquad
              \frac{\partial\mathcal{L}}{\partial S_{ik}} = e^{S_{ik} - a_i}
              \sum_{j:(i,j)\in\mathcal{P}}\sigma_{ij}\ (k\in\mathcal{N}(i)),

    (divided by :math:`|\mathcal{P}|` for ``"mean"``); :math:`G` is symmetrised through
    :math:`S = \hat E\hat E^\top/\tau`, :math:`\partial\hat E = (G + G^\top)\hat E/\tau`,
    then taken back through the safe normalisation as in :func:`info_nce_grad`.  Each
    row of :math:`G` sums to 0.

{contrastive_references}    Examples
    --------
    >>> e = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> nt_xent_grad(e, [0, 0, 1, 1], similarity="dot", temperature=1.0).round(6).tolist()
    [[-0.211942, 0.211942], [-0.211942, 0.211942], [0.211942, -0.211942], [0.211942, -0.211942]]
    """
    xp = _ns.foreign_namespace(embeddings, labels, names=("embeddings", "labels"))
    if xp is not None:
        return _ns.native(xp, _xpl.nt_xent_grad, nt_xent_grad,
            embeddings, labels, temperature=temperature,
            similarity=similarity, reduction=reduction, validate=_flag(validate))
    v.check_bool(validate, "validate")
    p = _nt_xent_problem(embeddings, labels, temperature, similarity, reduction, validate)
    s, a, u = _nt_xent_terms(p)
    den = p.denominator()
    sig = np.where(p.positives, sigmoid(u, validate=False), 0.0)
    with np.errstate(invalid="ignore"):
        w = np.where(p.negatives, np.exp(s - a), 0.0)
    g = (w * np.sum(sig, axis=1, keepdims=True) - sig) / (den if den else 1.0)
    d_hat = (g + g.T) @ p.e_hat / p.tau
    grad = _normalised_backward(p.e_hat, p.norms, d_hat)
    return v.restore_dtype(grad, p.out_dtype)

r"""Information measures of discrete distributions, accurate to a few ulps.

Distributions lie along ``axis`` (default ``-1``); leading dimensions are
batches.  Every function takes keyword-only ``base`` (``None`` = nats) and
``validate`` (``False`` skips the input checks on trusted data).

Accuracy target (tested against mpmath at 50 digits, see ``tests/test_information.py``):
the worst relative error is at most 4 eps of the input dtype for every function,
*including results near 0* -- ``kl_divergence`` / ``js_divergence`` of p ~ q (down to
1e-30), ``binary_entropy`` of p < eps, ``mutual_information`` of nearly independent
tables -- for probabilities down to 1e-300 and vectors of 1e5 entries.

How (the three ideas the module rests on):

1. **Sums of non-negative terms.**  Every quantity is written as a sum of terms
   that are >= 0, so no cancellation happens in the sum and the sum's relative error
   is at most the worst term's plus the summation error.  The KL divergence uses
   :math:`p\log(p/q) - p + q = q\,\varphi(p/q) \ge 0` with
   :math:`\varphi(t) = t\log t - t + 1`; the added :math:`\sum(q - p)` is 0 for
   normalised inputs.  Hence ``kl_divergence >= 0`` and
   ``cross_entropy = entropy + kl_divergence >= entropy`` hold *exactly* in floating
   point (rounding is monotone).
2. **No cancellation inside a term.**  With :math:`\delta = p - q` (exact by
   Sterbenz's lemma when p and q are within a factor 2), :math:`s = p + q` and
   :math:`d = \delta/s`, the KL term is :math:`(\delta^2/s)\,(1 + d(1+d)B(d^2))` and
   the Jensen-Shannon term is :math:`(\delta^2/4s)\,G(d^2)` with power series ``B``,
   ``G`` (near-minimax polynomial fits), used for :math:`|d| \le 0.6` (KL) and
   :math:`|d| \le 1/2` (JS); outside, the direct forms
   :math:`p\log(p/q) - \delta` and
   :math:`\tfrac12(p\,\mathrm{log1p}(d) + q\,\mathrm{log1p}(-d))` lose < 2.5 eps.
3. **Pairwise summation along contiguous rows** (NumPy's ``add.reduce`` on the last,
   contiguous axis), cache-sized row chunks scheduled by :mod:`mlmath._rows`;
   float32 / float16 input is computed in float64 and rounded once at the end.

Joint tables use double-double marginals (error-free TwoSum) and an exact
(Dekker) product ``px * py`` so that the divergence from independence is resolved
even when it is far below eps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from mlmath import _backend, _rows
from mlmath import _namespace as _ns
from mlmath import _validation as v
from mlmath._compensated import dd_sum, two_prod
from mlmath._typing import Axes, FloatResult
from mlmath.special import logsumexp

__all__ = [
    "binary_entropy",
    "conditional_entropy",
    "cross_entropy",
    "entropy",
    "joint_entropy",
    "js_distance",
    "js_divergence",
    "kl_divergence",
    "mutual_information",
    "renyi_divergence",
    "renyi_entropy",
    "tsallis_entropy",
]

#: Types that take the NumPy path (one set lookup; see :mod:`mlmath._namespace`).
_HOST = _ns.HOST_TYPES


def _native(xp: Any, fn: Callable[..., Any], name: str, *args: Any, **kwargs: Any) -> Any:
    """The portable implementation ``mlmath._xp.information.<name>`` on namespace ``xp``.

    Input that fails its (aggregate) checks reruns on the host, whose checks name
    the first bad entry with the NumPy path's message.
    """
    from mlmath._xp import information as portable  # imports this module: not at the top

    checked = {**kwargs, "validate": v.check_bool(kwargs["validate"], "validate")}
    return _ns.native(xp, getattr(portable, name), fn, *args, **checked)

F64 = np.float64
Array = np.ndarray

#: |d| = |p - q| / (p + q) up to which the power series are used.  Beyond it the
#: direct forms lose < 2.5 eps (measured against mpmath); inside it they would
#: cancel (the terms have a double root at p = q).  KL's direct form uses the fast
#: (SIMD) log of p / q, which needs |d| > 0.6; JS's uses log1p, fine from 0.5.
_KL_SERIES_MAX_D = 0.6
_JS_SERIES_MAX_D = 0.5
#: Elements per chunk: a chunk and its temporaries stay in the L2 cache, so the
#: several elementwise passes cost little more than one pass over memory; and each
#: temporary (96 KiB) stays below glibc's mmap threshold (128 KiB), above which every
#: temporary costs an mmap, page faults and an munmap.
_CHUNK_ELEMENTS = 12288
#: Taylor terms kept (the fits take over when more than 15 would be needed).
_SERIES_TERMS = 30
#: B(x) = sum_j x^j / (2j + 3):  (1 + d) atanh(d) - d = d^2 (1 + d (1 + d) B(d^2)).
_B_TAYLOR = np.array([1.0 / (2 * j + 3) for j in range(_SERIES_TERMS)])
#: G(x) = sum_k x^(k-1) / (k (2k - 1)):  (1+d)log(1+d) + (1-d)log(1-d) = d^2 G(d^2).
_G_TAYLOR = np.array([1.0 / (k * (2 * k - 1)) for k in range(1, _SERIES_TERMS + 1)])
#: Near-minimax polynomial fits, lowest degree first: B on x in [0, 0.36] (degree 17)
#: and G on [0, 1/4] (degree 14), relative error < 2e-18 with about half the Taylor
#: terms.  Generated by ``mpmath.chebyfit(f, [0, X], n)`` at 60 digits from the closed
#: forms B(x) = (atanh(sqrt x)/sqrt x - 1)/x and
#: G(x) = ((1+d)log1p(d) + (1-d)log1p(-d))/x with d = sqrt x;
#: ``tests/test_information.py`` re-checks them against mpmath.
_B_FIT = np.array([
    0.3333333333333333, 0.2000000000000005, 0.14285714285699233, 0.1111111111288648,
    0.09090908980749011, 0.07692311840199657, 0.0666656359022909, 0.05884136360342769,
    0.05240904144504063, 0.04966803509985331, 0.02936825370294281, 0.11306823927445603,
    -0.24675427514580386, 0.8511623141064334, -1.665090135609292, 2.45787952627556,
    -2.140840203583657, 0.976014800287444])
_G_FIT = np.array([
    1.0, 0.16666666666666663, 0.06666666666667835, 0.03571428571291508,
    0.02222222230622833, 0.015151512059845086, 0.010989084993757512, 0.008332123981980835,
    0.006549832157971736, 0.00514958919247138, 0.004991298277693718, 0.0009087425424427388,
    0.010617807682119155, -0.010488404205699709, 0.014120657576542229])
_LN2 = math.log(2.0)


# --------------------------------------------------------------------------- terms
def _series(taylor: Array, fit: Array, x: Array) -> Array:
    """Power series at x in [0, X]: the few Taylor terms small x needs, else the fit."""
    xmax = float(x.max(initial=0.0))
    # Taylor truncation x^n < 2**-56 (relative to a sum >= 1/3): n > 56 / -log2(xmax).
    n = 1 if xmax == 0.0 else math.ceil(56.0 / -math.log2(xmax))
    coeffs = taylor[:n] if n < len(fit) else fit
    acc = np.full_like(x, coeffs[-1])
    for c in coeffs[-2::-1]:  # Horner, in place
        acc *= x
        acc += c
    return acc


def _series_argument(d: Array, dmax: float) -> tuple[Array, Array]:
    """(x, inside): x = d^2 clipped to dmax^2 (NaN too), inside = |d| <= dmax.

    The series is evaluated on every entry and selected with ``where``: a boolean
    gather/scatter of the entries inside costs more than the series itself (the
    random mask defeats branch prediction).
    """
    x = d * d
    inside = x <= dmax * dmax
    np.fmin(x, dmax * dmax, out=x)
    return x, inside


def _log_ratio(p: Array, q: Array, delta: Array | None = None) -> Array:
    """log(p / q); as log1p(delta / q) when ``delta`` (= p - q) is given (p ~ q).

    Where the ratio overflows (q subnormal), underflows (p << q) or rounds to -1, the
    result is not finite or not accurate although p, q > 0; there log p - log q is
    used (|log(p/q)| > 36, so the subtraction loses at most a few bits).
    """
    out = np.log(p / q) if delta is None else np.log1p(delta / q)
    bad = ~(np.abs(out) < 700.0) & (p > 0) & (q > 0)
    if bad.any():
        p, q = np.broadcast_arrays(p, q)  # a marginal broadcast against a joint table
        out[bad] = np.log(p[bad]) - np.log(q[bad])
    return out


def _neg_xlogx(p: Array) -> Array:
    """-p log p with 0 log 0 = 0; every term is >= 0 for p in [0, 1]."""
    out = np.log(np.where(p > 0, p, 1.0))  # log 1 = 0 makes the zero entries exact 0
    out *= p
    np.negative(out, out=out)
    return out


def _neg_xlogx_from_log(lp: Array) -> Array:
    """-p log p from log p (0 where log p = -inf)."""
    return np.where(lp == -np.inf, 0.0, -np.exp(lp) * lp)


def _kl_terms(p: Array, q: Array, delta: Array | None = None) -> Array:
    r"""Elementwise :math:`p\log(p/q) - p + q \ge 0` (0 if p = 0 = q, +inf if q = 0 < p).

    ``delta`` is p - q when the caller knows it more accurately than ``p - q``.
    """
    if delta is None:
        delta = p - q  # exact where |d| <= 1/3 (Sterbenz: q/2 <= p <= 2q)
    s = p + q
    # Direct form, used for |d| > 0.6 (p/q outside [1/4, 4]): p log(p/q) - delta.
    out = p * _log_ratio(p, q)
    out -= delta
    # p = 0 gives 0 * log(0) = nan: the term is q (0 log 0 = 0, and 0 log(0/q) = 0).
    np.copyto(out, q, where=p == 0)
    # Series form: (delta^2 / s) (1 + d (1 + d) B(d^2)); the factor is in [0.85, 1.6].
    d = delta / s  # nan where p = q = 0 (never inside)
    x, inside = _series_argument(d, _KL_SERIES_MAX_D)
    b = _series(_B_TAYLOR, _B_FIT, x)
    b *= d * (1.0 + d)
    b += 1.0
    b *= delta * delta / s
    return np.where(inside, b, out)


#: Coefficients (j + 1) / (j + 2)! of g(r) = r e^r - e^r + 1 = r^2 sum_j c_j r^j:
#: 21 terms leave a remainder below 1e-19 relative for |r| <= 1.
_G_LOG_SERIES = np.array([(j + 1) / math.factorial(j + 2) for j in range(21)])


def _kl_terms_from_logs(lp: Array, lq: Array) -> Array:
    r"""Elementwise :math:`p\log(p/q) - p + q` from :math:`\log p` and :math:`\log q`.

    With :math:`r = \log p - \log q` the term is :math:`q\,g(r)`,
    :math:`g(r) = r e^r - e^r + 1 \ge 0`, summed as a series for :math:`|r| \le 1`
    (no cancellation near p = q, where ``exp`` of the logs would round the
    difference away) and as :math:`p(r - 1) + q` beyond (one sign, no overflow).
    """
    with np.errstate(invalid="ignore", over="ignore"):
        r = lp - lq          # -inf where p = 0, +inf where q = 0 < p, NaN where both
        p, q = np.exp(lp), np.exp(lq)
        near = np.abs(r) <= 1.0
        rs = np.where(near, r, 0.0)
        series = np.polynomial.polynomial.polyval(rs, _G_LOG_SERIES) * rs * rs * q
        direct = p * (r - 1.0) + q
    out = np.where(near, series, direct)
    out = np.where(lp == -np.inf, q, out)            # p = 0: the term is q
    return np.where((lp == -np.inf) & (lq == -np.inf), 0.0, out)


def _kl_pair_terms(pc: Array, qc: Array, logs: tuple[bool, bool]) -> Array:
    """The KL terms of a chunk whose p and/or q are log-probabilities (``logs``)."""
    if not any(logs):
        return _kl_terms(pc, qc)
    with np.errstate(divide="ignore"):
        lp = pc if logs[0] else np.log(pc)
        lq = qc if logs[1] else np.log(qc)
    return _kl_terms_from_logs(lp, lq)


def _js_terms(p: Array, q: Array) -> Array:
    r"""Elementwise :math:`\tfrac12(p\log(2p/s) + q\log(2q/s)) \ge 0` with s = p + q.

    Evaluated on (max, min) of the pair, so JS(p, q) == JS(q, p) bit for bit.
    """
    p, q = np.maximum(p, q), np.minimum(p, q)
    delta = p - q
    s = p + q
    # Direct form for |d| > 1/2: log(2p/s) = log1p(d), log(2q/s) = -log1p(delta/(2q)).
    out = p * _log_ratio(2.0 * p, s, delta)
    out -= q * _log_ratio(s, 2.0 * q, delta)
    out *= 0.5
    # q = 0 (then d = 1): the term is p log(2) / 2 (0 log 0 = 0); both zero: 0.
    np.copyto(out, (0.5 * _LN2) * s, where=q == 0)
    # Series form: (delta^2 / 4s) G(d^2).
    d = delta / s
    x, inside = _series_argument(d, _JS_SERIES_MAX_D)
    g = _series(_G_TAYLOR, _G_FIT, x)
    g *= delta * delta / (4.0 * s)
    return np.where(inside, g, out)


# ------------------------------------------------------------------ row machinery
def _row_reduce(
    term_sums: Callable[..., list[Array]], rows: Sequence[Array], n_out: int,
    logs: Sequence[bool],
) -> tuple[list[Array], list[Array], list[Array]]:
    """Apply ``term_sums`` to row chunks; also collect each input's row sums and minima.

    ``term_sums(*chunks)`` returns a list of ``n_out`` arrays of per-row results.
    The row sums and minima (for validation) are taken while the chunk is in cache,
    of ``exp(chunk)`` for the inputs that ``logs`` marks as log-probabilities.
    """
    n_rows, n = rows[0].shape
    outs = [np.empty(n_rows, dtype=F64) for _ in range(n_out)]
    sums = [np.empty(n_rows, dtype=F64) for _ in rows]
    mins = [np.empty(n_rows, dtype=F64) for _ in rows]

    def kernel(chunk: slice, _bufs: None) -> None:
        chunks = [np.asarray(r[chunk], dtype=F64) for r in rows]
        for k, c in enumerate(chunks):
            if logs[k]:
                c = np.exp(c)
            np.add.reduce(c, axis=-1, out=sums[k][chunk])
            np.minimum.reduce(c, axis=-1, out=mins[k][chunk])  # NaN propagates
        # invalid input is reported by the validation after the reduction
        for k, res in enumerate(term_sums(*chunks)):
            outs[k][chunk] = res

    _rows.for_each_chunk(n_rows, n, kernel, _rows.no_buffers,
                         chunk_elements=_CHUNK_ELEMENTS)
    return outs, sums, mins


#: Elements per row chunk of the compiled kernels (they keep no temporaries).
_COMPILED_CHUNK_ELEMENTS = 1 << 18
_COMPILED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
#: ``_B_FIT`` as the kernels take it (a tuple: their Horner steps are unrolled).
_B_FIT_TUPLE = tuple(float(c) for c in _B_FIT)


def _row_reduce_compiled(kernels: Any, kinds: Sequence[int], rows: Sequence[Array],
                         plain: bool) -> tuple[list[Array], list[Array], list[Array]]:
    """:func:`_row_reduce` by the numba kernels ``kinds`` (``_backend.ENTROPY`` of
    the first input, ``_backend.KL`` of the pair): one result per kind, with the
    inputs' sums and minima of the last kernel.

    ``plain`` (KL only): the plain KL, the terms' sum plus ``sum(p - q)``.
    """
    p = rows[0]
    q = rows[1] if len(rows) > 1 else p
    n_rows, n = p.shape
    out = np.empty((len(kinds), n_rows, 2), dtype=F64)
    sums = np.empty((2, n_rows), dtype=F64)
    mins = np.empty((2, n_rows), dtype=F64)

    def kernel(chunk: slice, _bufs: None) -> None:
        for k, kind in enumerate(kinds):
            kernels.information_rows(kind, p[chunk], q[chunk], _B_FIT_TUPLE, out[k, chunk],
                                     sums[:, chunk], mins[:, chunk])

    _rows.for_each_chunk_unbuffered(n_rows, n, kernel,
                                    chunk_elements=_COMPILED_CHUNK_ELEMENTS)
    outs = [out[k, :, 0] + out[k, :, 1] if plain and kind == _backend.KL else out[k, :, 0]
            for k, kind in enumerate(kinds)]
    return outs, list(sums[:len(rows)]), list(mins[:len(rows)])


@dataclass(frozen=True)
class _Layout:
    """Broadcast inputs, the reduction axes, and the arrays laid out for one axis."""

    inputs: list[Array]          # broadcast to one shape (validation reports indices here)
    axes: tuple[int, ...]        # the reduction axes of ``inputs``, sorted
    arrays: list[Array]          # ``inputs`` with ``axes`` merged into the last axis
    axis: int                    # the one reduction axis of ``arrays``
    dtype: np.dtype[Any]

    @property
    def axis_label(self) -> int | tuple[int, ...]:
        return self.axes if len(self.axes) > 1 else self.axes[0]


def _prepare(arrays: Sequence[tuple[ArrayLike, str]], axis: Any) -> _Layout:
    """Convert, check dtypes, broadcast and check the axis.

    The arrays broadcast against each other (NumPy's rules, as SciPy's ``rel_entr``);
    several axes, or ``axis=None``, are merged into one last axis.
    """
    converted = [v.as_float_array(a, name) for a, name in arrays]
    names = [name for _, name in arrays]
    out_dtype = np.result_type(*[d for _, d in converted])
    shape = v.broadcast_shape([a for a, _ in converted], names)
    if not shape:
        raise ValueError(f"`{names[0]}`: expected at least 1 dimension (a distribution), "
                         "got a scalar")
    axes = v.check_axes(axis, len(shape))
    inputs = [a if a.shape == shape else np.broadcast_to(a, shape) for a, _ in converted]
    for a in axes:
        v.check_nonempty_axis(inputs[0], a, names[0])
    if len(axes) == 1:
        return _Layout(inputs, axes, inputs, axes[0], np.dtype(out_dtype))
    merged = [_rows.merge_axes(a, axes) for a in inputs]
    return _Layout(inputs, axes, merged, merged[0].ndim - 1, np.dtype(out_dtype))


def _validate_rows(lay: _Layout, names: Sequence[str], sums: Sequence[Array],
                   mins: Sequence[Array], logs: Sequence[bool]) -> None:
    """Raise the detailed error when any row is not a distribution.

    The fast test (row sums within tolerance of 1, row minima >= 0) also catches NaN
    and +-inf, which make a sum or a minimum fail; only then is the slower
    first-offending-index diagnosis run.
    """
    tol = v.normalisation_tolerance(lay.dtype, lay.arrays[0].shape[lay.axis])
    for arr, name, s, m, log in zip(lay.inputs, names, sums, mins, logs, strict=True):
        if not (np.all(np.abs(s - 1.0) <= tol) and np.all(m >= 0)):
            if not log:
                v.check_probabilities(arr, lay.axis_label, name)
            v.check_no_nan(arr, name)
            try:
                v.check_probabilities(np.exp(arr), lay.axis_label, name)
            except ValueError as exc:
                raise ValueError(f"{exc} (`{name}` holds log-probabilities: checked as "
                                 f"exp(`{name}`))") from None
            raise ValueError(f"`{name}`: expected a probability distribution along axis "
                             f"{lay.axis_label}")  # pragma: no cover - check_probabilities raises


def _finish(values: Array, batch_shape: tuple[int, ...], base: float | None,
            out_dtype: np.dtype[Any]) -> Any:
    """Convert nats to ``base``, reshape to the batch shape, round to the output dtype."""
    if base is not None:
        values = values / math.log(base)
    return v.restore_dtype(values.reshape(batch_shape), out_dtype)


def _reduce_distributions(
    arrays: Sequence[tuple[ArrayLike, str]], axis: Any, base: Any, validate: bool,
    term_sums: Callable[..., list[Array]], combine: Callable[..., Array] = lambda r: r,
    n_out: int = 1, logs: Sequence[bool] | None = None, compiled: Sequence[int] = (),
    plain: bool = False,
) -> Any:
    """Shared driver: prepare, reduce rows in chunks, validate, combine, finish.

    ``logs[k]`` marks input k as log-probabilities (validated through ``exp``).
    ``compiled``: the numba kernels computing the same results as ``term_sums``,
    one per result (``_backend.ENTROPY``, ``_backend.KL``, with ``plain`` for the
    plain KL), used when that backend is active, for float32/float64
    probabilities.
    """
    b = v.check_base(base)
    logs = [False] * len(arrays) if logs is None else list(logs)
    lay = _prepare(arrays, axis)
    first, ax = lay.arrays[0], lay.axis
    batch_shape = first.shape[:ax] + first.shape[ax + 1:]
    rows = [_rows.to_rows(a, ax)[0] for a in lay.arrays]
    kernels = _backend.compiled_kernels() if compiled and not any(logs) else None
    if kernels is not None and all(r.dtype in _COMPILED_DTYPES for r in rows):
        outs, sums, mins = _row_reduce_compiled(kernels, compiled, rows, plain)
    else:
        outs, sums, mins = _row_reduce(term_sums, rows, n_out, logs)
    if validate:
        _validate_rows(lay, [name for _, name in arrays], sums, mins, logs)
    return _finish(combine(*outs), batch_shape, b, lay.dtype)


def _row_sum(terms: Array) -> Array:
    return np.add.reduce(terms, axis=-1)


# ------------------------------------------------------------------ public: vectors
def entropy(p: ArrayLike, *, axis: Axes = -1, base: float | None = None,
            validate: bool = True) -> FloatResult:
    r"""Shannon entropy :math:`H(p) = -\sum_i p_i \log p_i` along ``axis``.

    Parameters
    ----------
    p : array_like, shape (..., k, ...)
        Probabilities (non-negative, summing to 1 along ``axis``).
    axis : int, tuple of ints or None, default -1
        Axis holding each distribution; the others are batch dimensions.  A tuple
        (or ``None``: every axis) makes the entries of those axes one distribution.
    base : float, optional
        Logarithm base (``None``: nats, ``2``: bits); any base > 0 and != 1.
    validate : bool, default True
        ``False`` skips the input checks (trusted data only).

    Returns
    -------
    float or ndarray, shape of ``p`` without ``axis``
        In the dtype of ``p`` (float16 computed in float32; ints -> float64).

    See Also
    --------
    cross_entropy : H(p, q) = H(p) + KL(p||q)
    binary_entropy : the two-outcome case
    joint_entropy : of a joint table

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: H(p) = -\sum_i p_i \log p_i, \qquad 0 \log 0 = 0.

    Every term :math:`-p_i\log p_i` is >= 0 and accurate to about 1 ulp, and the
    terms are summed pairwise along a contiguous axis, so the relative error is at
    most 4 eps (target, tested against mpmath) even for 1e5 entries or entries of
    1e-300.

    References
    ----------
    Cover & Thomas, *Elements of Information Theory*, 2nd ed., eq. (2.1).

    Examples
    --------
    >>> float(entropy([0.5, 0.5], base=2))
    1.0
    >>> float(entropy([1.0, 1e-300]))   # no 0 * log 0 = nan, tiny mass counted
    6.907755278982137e-298
    """
    if type(p) not in _HOST and (xp := _ns.foreign_namespace(p)) is not None:
        return _native(xp, entropy, "entropy", p, axis=axis, base=base, validate=validate)
    v.check_bool(validate, "validate")
    return _reduce_distributions(
        [(p, "p")], axis, base, validate,
        lambda pc: [_row_sum(_neg_xlogx(pc))], compiled=(_backend.ENTROPY,))


def kl_divergence(p: ArrayLike, q: ArrayLike, *, axis: Axes = -1, base: float | None = None,
                  validate: bool = True, generalized: bool = True, log_input: bool = False,
                  log_target: bool = False) -> FloatResult:
    r"""Kullback-Leibler divergence :math:`\mathrm{KL}(p\,\|\,q) = \sum_i p_i\log(p_i/q_i)`.

    Parameters
    ----------
    p, q : array_like, shapes that broadcast together (..., k, ...)
        Distributions along ``axis``.
    axis, base, validate
        As in :func:`entropy`.
    generalized : bool, default True
        ``True``: :math:`\sum_i (p_i\log(p_i/q_i) - p_i + q_i)`, never negative.
        ``False``: the plain :math:`\sum_i p_i\log(p_i/q_i)` of optax and of
        ``scipy.special.rel_entr(p, q).sum()``.  The two agree on distributions and
        differ only on unnormalised input (``validate=False``), by
        :math:`\sum_i q_i - \sum_i p_i`.
    log_input, log_target : bool, default False
        ``q`` (the model: PyTorch's *input*) and ``p`` (the *target*) are given
        as log-probabilities, as in ``torch.nn.functional.kl_div(log q, p,
        log_target=...)``; ``-inf`` is probability 0.  They are validated as
        ``exp`` of the values, and the divergence is evaluated from their
        difference, which keeps digits that ``exp`` would round away.

    Returns
    -------
    float or ndarray, the broadcast shape without ``axis``
        >= 0 always (also in floating point) when ``generalized``; +inf where some
        :math:`q_i = 0 < p_i`.

    See Also
    --------
    js_divergence : its symmetrised, bounded relative
    cross_entropy : H(p) + KL(p||q)
    mutual_information : a KL divergence of a joint table

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    Evaluated as a sum of non-negative terms,

    .. math:: \mathrm{KL}(p\|q) = \sum_i \big(p_i\log\tfrac{p_i}{q_i} - p_i + q_i\big)
              = \sum_i q_i\,\varphi(p_i/q_i),\quad \varphi(t) = t\log t - t + 1 \ge 0,

    which equals the textbook sum for normalised inputs (the added
    :math:`\sum q - \sum p` is 0).  For inputs normalised only up to rounding it is
    the generalised (Csiszar) divergence of the given numbers, which differs from
    :math:`\sum p\log(p/q)` by at most the normalisation tolerance and, unlike it,
    can never be negative.  Conventions: :math:`0\log(0/q) = 0`,
    :math:`p\log(p/0) = +\infty` for p > 0.

    Near p = q each term has a double root; with :math:`\delta = p - q` (exact there)
    and :math:`d = \delta/(p+q)`, the term is
    :math:`\tfrac{\delta^2}{p+q}\,(1 + d(1+d)B(d^2))`, :math:`B(x)=\sum_j x^j/(2j+3)`,
    with no cancellation, used for :math:`|d| \le 0.6`.  Target: relative error
    <= 4 eps, including results as
    small as 1e-30 where ``scipy.special.rel_entr(p, q).sum()`` returns noise
    (or a negative number).

    References
    ----------
    Cover & Thomas (2006), eq. (2.26); Csiszar (1975), I-divergence.

    Examples
    --------
    >>> p = [0.5 + 1e-15, 0.5 - 1e-15]
    >>> kl = float(kl_divergence(p, [0.5, 0.5]))
    >>> abs(kl / 1.99680416634068613e-30 - 1) < 2 * 2.0**-52   # mpmath's value, within 2 eps
    True
    >>> float(kl_divergence([1.0, 0.0], [0.0, 1.0]))
    inf
    >>> kl_divergence([0.5, 0.5], [[0.5, 0.5], [0.9, 0.1]])   # broadcasts p over a batch
    array([0.        , 0.51082562])
    >>> float(kl_divergence([2.0, 1.0], [1.0, 1.0], validate=False, generalized=False))
    1.3862943611198906
    """
    if (xp := _ns.foreign_namespace(p, q, names=("p", "q"))) is not None:
        return _native(xp, kl_divergence, "kl_divergence",
                       p, q, axis=axis, base=base, validate=validate,
                       generalized=generalized, log_input=log_input, log_target=log_target)
    v.check_bool(validate, "validate")
    v.check_bool(generalized, "generalized")
    logs = (v.check_bool(log_target, "log_target"), v.check_bool(log_input, "log_input"))

    def terms(pc: Array, qc: Array) -> list[Array]:
        total = _row_sum(_kl_pair_terms(pc, qc, logs))
        if generalized:
            return [total]
        # sum(p log(p/q)) = sum(p log(p/q) - p + q) + sum(p - q)
        lin_p, lin_q = (np.exp(a) if log else a for a, log in zip((pc, qc), logs, strict=True))
        return [total + _row_sum(lin_p - lin_q)]

    return _reduce_distributions([(p, "p"), (q, "q")], axis, base, validate, terms, logs=logs,
                                 compiled=(_backend.KL,), plain=not generalized)


def cross_entropy(p: ArrayLike, q: ArrayLike, *, axis: Axes = -1, base: float | None = None,
                  validate: bool = True, log_input: bool = False,
                  log_target: bool = False) -> FloatResult:
    r"""Cross-entropy :math:`H(p, q) = -\sum_i p_i \log q_i` along ``axis``.

    Parameters
    ----------
    p, q : array_like, shapes that broadcast together (..., k, ...)
        Distributions along ``axis`` (``p`` the true one, ``q`` the model).
    axis, base, validate
        As in :func:`entropy`.
    log_input, log_target : bool, default False
        ``q`` and/or ``p`` are log-probabilities, as in :func:`kl_divergence`.

    Returns
    -------
    float or ndarray, shape of ``p`` without ``axis``
        +inf where some :math:`q_i = 0 < p_i`.

    See Also
    --------
    entropy : H(p)
    kl_divergence : H(p, q) - H(p)
    softmax_cross_entropy : the loss from logits

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    Evaluated as :math:`H(p) + \mathrm{KL}(p\|q)` (both computed accurately, see
    :func:`kl_divergence`).  Because the computed KL is >= 0 and rounding is
    monotone, Gibbs' inequality ``cross_entropy(p, q) >= entropy(p)`` holds exactly
    in floating point, with equality for q = p.  For normalised inputs this is
    :math:`-\sum p\log q`; for inputs normalised only up to rounding it differs from
    it by :math:`\sum q - \sum p` (within the normalisation tolerance).
    Target: relative error <= 4 eps.

    References
    ----------
    Cover & Thomas (2006), eq. (2.26) and Theorem 2.6.3 (information inequality).

    Examples
    --------
    >>> float(cross_entropy([0.5, 0.5], [0.25, 0.75], base=2))   # 1 + KL in bits
    1.207518749639422
    """
    if (xp := _ns.foreign_namespace(p, q, names=("p", "q"))) is not None:
        return _native(xp, cross_entropy, "cross_entropy",
                       p, q, axis=axis, base=base, validate=validate,
            log_input=log_input, log_target=log_target)
    v.check_bool(validate, "validate")
    logs = (v.check_bool(log_target, "log_target"), v.check_bool(log_input, "log_input"))

    def terms(pc: Array, qc: Array) -> list[Array]:
        h = _neg_xlogx(pc) if not logs[0] else _neg_xlogx_from_log(pc)
        return [_row_sum(h), _row_sum(_kl_pair_terms(pc, qc, logs))]

    return _reduce_distributions([(p, "p"), (q, "q")], axis, base, validate, terms,
                                 lambda h, kl: h + kl, n_out=2, logs=logs,
                                 compiled=(_backend.ENTROPY, _backend.KL))


def js_divergence(p: ArrayLike, q: ArrayLike, *, axis: Axes = -1, base: float | None = None,
                  validate: bool = True) -> FloatResult:
    r"""Jensen-Shannon divergence (the divergence, not its square root).

    Parameters
    ----------
    p, q : array_like, shapes that broadcast together (..., k, ...)
        Distributions along ``axis``.
    axis, base, validate
        As in :func:`entropy`.

    Returns
    -------
    float or ndarray, shape of ``p`` without ``axis``
        Always finite, symmetric in p and q, in :math:`[0, \log 2]` (up to the
        normalisation tolerance of the inputs).

    See Also
    --------
    kl_divergence : JS is built from two KL terms
    entropy : JS = H(m) - (H(p) + H(q)) / 2

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \mathrm{JS}(p, q) = \tfrac12\mathrm{KL}(p\|m) + \tfrac12\mathrm{KL}(q\|m),
              \quad m = \tfrac12(p + q),

    evaluated per entry as :math:`\tfrac12(p\log\tfrac{2p}{p+q} + q\log\tfrac{2q}{p+q})
    \ge 0` (the linear terms of the two KL's cancel exactly).  With
    :math:`d = (p-q)/(p+q)` this is :math:`\tfrac{p+q}{4}\,d^2 G(d^2)`,
    :math:`G(x) = \sum_{k\ge1} x^{k-1}/(k(2k-1))`, used for :math:`|d|\le 1/2` (no
    cancellation near p = q); :math:`m` is never formed, so nothing overflows or
    underflows (a subnormal p/2 would round to 0).  Target: relative error <= 4 eps,
    also for p ~ q.

    References
    ----------
    Lin, J. (1991). Divergence measures based on the Shannon entropy. IEEE Trans. IT.

    Examples
    --------
    >>> float(js_divergence([1.0, 0.0], [0.0, 1.0], base=2))   # disjoint: 1 bit
    1.0
    >>> p = [0.5 + 1e-15, 0.5 - 1e-15]
    >>> float(js_divergence(p, [0.5, 0.5]))  # mpmath: 4.99201041585171533e-31
    4.992010415851715e-31
    """
    if (xp := _ns.foreign_namespace(p, q, names=("p", "q"))) is not None:
        return _native(xp, js_divergence, "js_divergence",
                       p, q, axis=axis, base=base, validate=validate)
    v.check_bool(validate, "validate")
    return _reduce_distributions(
        [(p, "p"), (q, "q")], axis, base, validate,
        lambda pc, qc: [_row_sum(_js_terms(pc, qc))])


def js_distance(p: ArrayLike, q: ArrayLike, *, axis: Axes = -1, base: float | None = None,
                validate: bool = True) -> FloatResult:
    r"""Jensen-Shannon distance :math:`\sqrt{\mathrm{JS}(p, q)}` (SciPy's ``jensenshannon``).

    Parameters
    ----------
    p, q : array_like, shapes that broadcast together (..., k, ...)
        Distributions along ``axis`` (validated, not normalised: SciPy divides
        each by its sum first).
    axis, base, validate
        As in :func:`entropy`; the divergence is taken in ``base`` and then
        square-rooted, as SciPy does.

    Returns
    -------
    float or ndarray, the broadcast shape without ``axis``
        A metric on distributions: symmetric, 0 only for p = q, with the
        triangle inequality; at most :math:`\sqrt{\log 2}` (1 in bits).

    See Also
    --------
    js_divergence : its square

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: d_{\mathrm{JS}}(p, q) = \sqrt{\tfrac12\mathrm{KL}(p\|m)
              + \tfrac12\mathrm{KL}(q\|m)}, \qquad m = \tfrac12(p + q).

    The square root of :func:`js_divergence` (accurate to 4 eps, also for p ~ q),
    so about 2.5 eps.

    References
    ----------
    Endres & Schindelin (2003). A new metric for probability distributions. IEEE
    Trans. IT 49(7).

    Examples
    --------
    >>> float(js_distance([1.0, 0.0], [0.0, 1.0], base=2))
    1.0
    >>> float(js_distance([0.5, 0.5], [0.5, 0.5]))
    0.0
    """
    if (xp := _ns.foreign_namespace(p, q, names=("p", "q"))) is not None:
        return _native(xp, js_distance, "js_distance",
                       p, q, axis=axis, base=base, validate=validate)
    return np.sqrt(js_divergence(p, q, axis=axis, base=base, validate=validate))


def _power_sum_excess(p: Array, order: float) -> Array:
    r"""Rows of :math:`\sum_i (p_i^{1+\delta} - p_i)`, each term one-signed and accurate.

    A term is :math:`p\,\mathrm{expm1}(\delta\log p)` while :math:`|\delta\log p|
    \le 1` (no cancellation near :math:`\delta = 0`) and ``power(p, 1 + delta) - p``
    otherwise (the two differ by a factor of at least e there; ``power`` rather than
    ``exp(alpha log p)``, whose rounded argument would cost |alpha log p| eps);
    zero entries give 0.
    """
    delta = order - 1.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        scaled = delta * np.log(p)
        near = np.abs(scaled) <= 1.0
        terms = np.where(near, p * np.expm1(np.where(near, scaled, 0.0)),
                         np.power(p, order) - p)
    return _row_sum(np.where(p == 0, 0.0, terms))  # a NaN entry stays NaN


def renyi_entropy(p: ArrayLike, *, alpha: float, axis: Axes = -1, base: float | None = None,
                  validate: bool = True) -> FloatResult:
    r"""Rényi entropy of order :math:`\alpha`, :math:`\frac{1}{1-\alpha}\log\sum_i p_i^\alpha`.

    Parameters
    ----------
    p : array_like, shape (..., k, ...)
        Probabilities along ``axis``.
    alpha : float >= 0
        The order; 1 is Shannon's entropy (the limit), ``inf`` the min-entropy.
    axis, base, validate
        As in :func:`entropy`.

    Returns
    -------
    float or ndarray, shape of ``p`` without ``axis``
        Non-increasing in ``alpha``: from :math:`\log|\mathrm{supp}\,p|` at
        :math:`\alpha = 0` to :math:`-\log\max_i p_i` at :math:`\alpha = \infty`.

    See Also
    --------
    entropy : the order-1 case
    tsallis_entropy : the non-logarithmic generalisation

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    With :math:`\delta = \alpha - 1` and the excess
    :math:`T = \sum_i (p_i^\alpha - p_i)` (each term of one sign, see below),

    .. math:: H_\alpha(p) = -\frac{\operatorname{log1p}(T)}{\delta}
              \xrightarrow{\ \delta\to 0\ } -\sum_i p_i\log p_i,

    so the limit :math:`\alpha \to 1` is continuous to rounding (within 4 eps of
    :func:`entropy` next to 1).  Terms are :math:`p\,\mathrm{expm1}(\delta\log p)`,
    which keeps their digits for small :math:`\delta`.  When :math:`\sum p^\alpha
    < 1/2` the logarithm is taken directly, as :func:`~mlmath.logsumexp` of
    :math:`\alpha\log p` (no underflow for large orders).  Conventions:
    :math:`0^\alpha = 0` for every order (so :math:`H_0` counts the support).
    For input normalised only up to rounding, :math:`T` takes :math:`\sum p` as
    exactly 1 (the literal formula would divide :math:`\log\sum p \approx \epsilon`
    by :math:`\alpha - 1`); the two agree for exactly normalised input.

    References
    ----------
    A. Rényi (1961). On measures of entropy and information. Proc. 4th Berkeley
    Symposium on Mathematical Statistics and Probability, vol. 1, pp. 547-561.

    Examples
    --------
    >>> float(renyi_entropy([0.5, 0.25, 0.25, 0.0], alpha=0))   # log of the support size
    1.0986122886681098
    >>> float(renyi_entropy([0.5, 0.5], alpha=2, base=2))
    1.0
    >>> float(renyi_entropy([0.7, 0.3], alpha=1.0)) == float(entropy([0.7, 0.3]))
    True
    """
    if type(p) not in _HOST and (xp := _ns.foreign_namespace(p)) is not None:
        return _native(xp, renyi_entropy, "renyi_entropy", p, alpha=alpha, axis=axis, base=base,
            validate=validate)
    v.check_bool(validate, "validate")
    alpha = v.check_order(alpha, "alpha", allow_inf=True)
    if alpha == 1.0:
        return entropy(p, axis=axis, base=base, validate=validate)
    delta = alpha - 1.0

    def terms(pc: Array) -> list[Array]:
        if alpha == np.inf:
            return [-np.log(np.max(pc, axis=-1))]
        if alpha == 0.0:
            # (+ 0 * sum: an unvalidated NaN propagates)
            return [np.log(np.count_nonzero(pc, axis=-1) + 0.0 * _row_sum(pc))]
        excess = _power_sum_excess(pc, alpha)
        small = excess < -0.5  # sum p^alpha < 1/2: log1p would lose its digits
        out = -np.log1p(np.where(small, 0.0, excess)) / delta
        if small.any():
            with np.errstate(divide="ignore"):
                lse = logsumexp(alpha * np.log(pc[small]), axis=-1, validate=False)
            out[small] = -lse / delta
        return [out]

    return _reduce_distributions([(p, "p")], axis, base, validate, terms)


#: Terms of g_alpha(u) = sum_{k>=2} c_k(alpha) u^k / k!, c_k = alpha (1 + ... + alpha^(k-2)):
#: 24 terms leave a remainder below 1e-20 relative for |u| max(1, alpha) <= 1.
_RENYI_SERIES_TERMS = 24


def _renyi_terms(p: Any, q: Any, alpha: float, xp: Any = np) -> Any:
    r"""Elementwise :math:`q\,g(p/q)` with :math:`g(t) = (t^\alpha - 1 - \alpha(t - 1))/
    (\alpha - 1) \ge 0`, :math:`\alpha = 1 + \delta`: the summands of the excess
    :math:`(\sum p^\alpha q^{1-\alpha} - 1)/(\alpha - 1)` for distributions.

    Near :math:`t = 1` a series in :math:`u = \log t` with positive coefficients
    (no cancellation, also as :math:`\alpha \to 1`, where g tends to KL's
    :math:`t\log t - t + 1`); elsewhere :math:`t\,\mathrm{expm1}(\delta u)/\delta -
    (t - 1)`.  p = 0 gives q; q = 0 < p gives +inf for alpha >= 1 and
    :math:`\alpha p/(1-\alpha)` below (where :math:`p^\alpha q^{1-\alpha} = 0`).
    ``xp``: the arrays' namespace (the portable path passes its own).
    """
    delta = alpha - 1.0  # (alpha itself, not 1 + delta, enters the powers)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # t - 1 = (p - q)/q: p - q is exact near p = q (Sterbenz), so u = log1p(d) and d
        # keep the digits that t = p/q would round away (g is second order in t - 1)
        d = (p - q) / q
        # Far from t = 1 (t < 1/2 or > 2) take t = p/q and u = log t directly: 1 + d
        # would carry d's rounding (eps |d|) as an error relative to t itself, amplified
        # 1/t times as t -> 0 (70 eps at alpha = 0.1, t = 2e-4), and log1p(d) with it.
        far = (d < -0.5) | (d > 1.0)
        t = xp.where(far, p / q, 1.0 + d)
        u = xp.where(far, xp.log(t), xp.log1p(d))
        near = xp.abs(u) * max(1.0, alpha) <= 1.0
        us = xp.where(near, u, 0.0)
        # sum_k c_k u^k / k!, c_2 = alpha, c_{k+1} = alpha c_k + alpha (Horner from the top)
        coeffs = [alpha]
        for _ in range(_RENYI_SERIES_TERMS - 1):
            coeffs.append(alpha * coeffs[-1] + alpha)
        series = xp.zeros_like(us)
        for k in range(_RENYI_SERIES_TERMS + 1, 1, -1):
            series = (series + coeffs[k - 2] / math.factorial(k)) * us
        series = series * us
        if alpha >= 0.5:
            direct = (t * _power_minus_one(t, u, delta, xp) / delta - d if delta
                      else t * u - d)
        else:  # small orders: t^alpha - 1 and alpha (t - 1) are both small, no cancellation
            direct = (_power_minus_one(t, u, alpha, xp) - alpha * d) / delta
        out = q * xp.where(near, series, direct)
    out = xp.where(p == 0, q, out)
    zero_q = (q == 0) & (p > 0)
    if bool(xp.any(zero_q)):
        out = xp.where(zero_q, math.inf if alpha >= 1 else alpha * p / (1 - alpha), out)
    return xp.where((p == 0) & (q == 0), 0.0, out)


def _power_minus_one(t: Any, u: Any, e: float, xp: Any = np) -> Any:
    """``t**e - 1`` for ``u = log t``: ``expm1(e u)`` where ``|e u| <= 1/2`` (the
    difference is small and expm1 keeps it), else ``t**e - 1`` from ``pow``, whose
    error stays 1 ulp where ``exp(e log t)`` would carry the rounding of ``log t``
    times ``|e u|`` (11 eps at t = 2e15, alpha = 2)."""
    eu = e * u
    # np.power, not t**e: NumPy turns ** 0.5 into sqrt, which may differ from pow by an ulp
    power = np.power if xp is np else xp.pow
    return xp.where(xp.abs(eu) <= 0.5, xp.expm1(eu), power(t, e) - 1.0)


def renyi_divergence(p: ArrayLike, q: ArrayLike, *, alpha: float, axis: Axes = -1,
                     base: float | None = None, validate: bool = True) -> FloatResult:
    r"""Rényi divergence of order :math:`\alpha`, :math:`\frac{1}{\alpha-1}\log\sum_i
    p_i^\alpha q_i^{1-\alpha}`.

    Parameters
    ----------
    p, q : array_like, shapes that broadcast together (..., k, ...)
        Distributions along ``axis``.
    alpha : float >= 0
        The order; 1 is the KL divergence (the limit), 1/2 gives
        :math:`-2\log\sum\sqrt{pq}` (twice the Bhattacharyya distance), 2 is
        :math:`\log(1 + \chi^2)`, ``inf`` is :math:`\log\max_i p_i/q_i`.
    axis, base, validate
        As in :func:`entropy`.

    Returns
    -------
    float or ndarray, the broadcast shape without ``axis``
        >= 0, non-decreasing in ``alpha``; +inf where q misses part of p's
        support and alpha >= 1.

    See Also
    --------
    kl_divergence : the order-1 case
    renyi_entropy : the entropy of the same order

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    With :math:`t = p/q`, :math:`\delta = \alpha - 1` and the excess
    :math:`G = \sum_i q_i\,g(t_i)`, :math:`g(t) = (t^\alpha - 1 - \alpha(t-1))/\delta
    \ge 0` (its linear part sums to 0 for distributions),

    .. math:: D_\alpha(p\|q) = \frac{\operatorname{log1p}(\delta G)}{\delta}
              \xrightarrow{\ \delta\to0\ } \sum_i (p_i\log\tfrac{p_i}{q_i} - p_i + q_i),

    a sum of non-negative terms: no cancellation near p = q (each term is a series
    in :math:`\log t`) nor near :math:`\alpha = 1`; when the power sum is below 1/2
    the logarithm is taken directly, as :func:`~mlmath.logsumexp` of
    :math:`\alpha\log p + (1-\alpha)\log q`, where the literal formula divides
    a rounded logarithm by :math:`\alpha - 1`.  Like :func:`kl_divergence`, sums of
    p and q are taken as exactly 1.  Where :math:`t` is far from 1 (below 1/2 or
    above 2) it is formed as ``p / q`` and :math:`\log t` directly: ``1 + (p - q)/q``
    would turn the rounding of ``(p - q)/q`` into an error relative to a small
    :math:`t` (70 eps at alpha = 0.1, :math:`t = 2 \cdot 10^{-4}`); there
    :math:`t^e - 1` comes from ``pow`` (``exp(e log t)`` would carry the rounding
    of :math:`\log t` times :math:`|e \log t|`), and a row whose terms overflow
    (:math:`t^\alpha` beyond the float range) takes the logsumexp form instead of
    returning +inf.  Accuracy (tested against 50-digit mpmath): within 4 eps for
    every order on Dirichlet(1) pairs and nearly equal pairs, including next to 1;
    within 5 eps on extreme pairs (entries down to 1e-300, ratios to 1e300; worst
    measured 4.29 eps at alpha = 30, 4.25 at alpha = 0.8).

    References
    ----------
    A. Rényi (1961), On measures of entropy and information; T. van Erven and
    P. Harremoës (2014), Rényi divergence and Kullback-Leibler divergence, IEEE
    Trans. IT 60(7).

    Examples
    --------
    >>> float(renyi_divergence([0.5, 0.5], [0.25, 0.75], alpha=2))   # log(1 + chi^2) = log(4/3)
    0.2876820724517809
    >>> float(renyi_divergence([0.5, 0.5], [0.5, 0.5], alpha=0.5))
    0.0
    """
    if (xp := _ns.foreign_namespace(p, q, names=("p", "q"))) is not None:
        return _native(xp, renyi_divergence, "renyi_divergence", p, q, alpha=alpha, axis=axis,
                       base=base, validate=validate)
    v.check_bool(validate, "validate")
    alpha = v.check_order(alpha, "alpha", allow_inf=True)
    if alpha == 1.0:
        return kl_divergence(p, q, axis=axis, base=base, validate=validate)
    delta = alpha - 1.0

    def terms(pc: Array, qc: Array) -> list[Array]:
        if alpha == np.inf:
            with np.errstate(divide="ignore", invalid="ignore"):
                # (pc == 0, not pc <= 0: a NaN of unvalidated input stays NaN)
                ratio = np.where(pc == 0, 0.0, pc / qc)
            return [np.log(np.max(ratio, axis=-1))]
        if alpha == 0.0:   # -log q(supp p); 0 * pc keeps a NaN of p
            return [-np.log(_row_sum(np.where(pc > 0, qc, 0.0 * pc)))]
        scaled = delta * _row_sum(_renyi_terms(pc, qc, alpha))  # sum p^a q^(1-a) - 1
        # The power sum is below 1/2 (log1p would lose its digits), or a term
        # overflowed (t^alpha beyond the float range, q tiny): take the log directly.
        small = (scaled < -0.5) | ~np.isfinite(scaled)
        out = np.log1p(np.where(small, 0.0, scaled)) / delta
        if small.any():
            with np.errstate(divide="ignore", invalid="ignore"):
                logs = np.where(pc[small] == 0, -np.inf, alpha * np.log(pc[small])
                                + (1 - alpha) * np.log(qc[small]))
            out[small] = logsumexp(logs, axis=-1, validate=False) / delta
        return [out]

    return _reduce_distributions([(p, "p"), (q, "q")], axis, base, validate, terms)


def tsallis_entropy(p: ArrayLike, *, q: float, axis: Axes = -1, base: float | None = None,
                    validate: bool = True) -> FloatResult:
    r"""Tsallis entropy of index :math:`q`, :math:`\frac{1 - \sum_i p_i^q}{q - 1}`.

    Parameters
    ----------
    p : array_like, shape (..., k, ...)
        Probabilities along ``axis``.
    q : float >= 0
        The entropic index; 1 is Shannon's entropy (the limit).  (The name is
        the convention of the literature and of the API; it is not a
        distribution.)
    axis, validate
        As in :func:`entropy`.
    base : float, optional
        Divides the result by :math:`\log(\mathrm{base})`, so that ``q = 1``
        matches :func:`entropy` in that base (the Tsallis entropy itself has no
        logarithm).

    Returns
    -------
    float or ndarray, shape of ``p`` without ``axis``
        >= 0; :math:`|\mathrm{supp}\,p| - 1` at :math:`q = 0`, 0 for a point mass.

    See Also
    --------
    entropy : the q = 1 case
    renyi_entropy : the logarithmic generalisation

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: S_q(p) = -\frac{T}{q - 1}, \qquad T = \sum_i (p_i^q - p_i),

    each term of :math:`T` evaluated as :math:`p\,\mathrm{expm1}((q-1)\log p)` near
    :math:`q = 1` (see :func:`renyi_entropy`), so the limit is continuous to
    rounding.  :math:`0^q = 0` for every index.

    References
    ----------
    C. Tsallis (1988). Possible generalization of Boltzmann-Gibbs statistics.
    J. Stat. Phys. 52, 479-487.

    Examples
    --------
    >>> float(tsallis_entropy([0.5, 0.5], q=2))   # 1 - (1/4 + 1/4)
    0.5
    >>> float(tsallis_entropy([0.25, 0.25, 0.5, 0.0], q=0))
    2.0
    """
    if type(p) not in _HOST and (xp := _ns.foreign_namespace(p)) is not None:
        return _native(xp, tsallis_entropy, "tsallis_entropy",
                       p, q=q, axis=axis, base=base, validate=validate)
    v.check_bool(validate, "validate")
    index = v.check_order(q, "q", allow_inf=False)
    if index == 1.0:
        return entropy(p, axis=axis, base=base, validate=validate)
    delta = index - 1.0
    return _reduce_distributions(
        [(p, "p")], axis, base, validate,
        lambda pc: [-_power_sum_excess(pc, index) / delta])


def binary_entropy(
    p: ArrayLike, *, base: float | None = None, validate: bool = True,
) -> FloatResult:
    r"""Entropy of Bernoulli(p), elementwise: :math:`-p\log p - (1-p)\log(1-p)`.

    Parameters
    ----------
    p : array_like, any shape
        Success probabilities in [0, 1].
    base, validate
        As in :func:`entropy`.

    Returns
    -------
    float or ndarray, shape of ``p``

    See Also
    --------
    entropy : the general case
    binary_cross_entropy : the loss

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    Evaluated on :math:`a = \min(p, 1-p)` (exact: 1 - p is exact for p >= 1/2) as
    :math:`-a\log a - (1-a)\,\mathrm{log1p}(-a)`: both terms are >= 0, so there is no
    cancellation, and ``log1p`` keeps :math:`(1-a)\log(1-a) \approx -a` accurate for
    a < eps, where ``log(1 - a)`` is 0.  Symmetric: ``binary_entropy(p) ==
    binary_entropy(1 - p)`` exactly whenever 1 - p is exact.  Target: relative
    error <= 4 eps, including p < eps.

    References
    ----------
    Cover & Thomas (2006), *Elements of Information Theory*, 2nd ed., eq. (2.5).

    Examples
    --------
    >>> float(binary_entropy(1e-20))   # mpmath: 4.70517018598809112e-19
    4.705170185988091e-19
    >>> float(binary_entropy(0.5, base=2))
    1.0
    """
    if type(p) not in _HOST and (xp := _ns.foreign_namespace(p)) is not None:
        return _native(xp, binary_entropy, "binary_entropy", p, base=base, validate=validate)
    v.check_bool(validate, "validate")
    b = v.check_base(base)
    arr, out_dtype = v.as_float_array(p, "p")
    if validate:
        v.check_unit_interval(arr, "p")
    x = np.atleast_1d(np.asarray(arr, dtype=F64))
    a = np.minimum(x, 1.0 - x)
    with np.errstate(all="ignore"):
        h = _neg_xlogx(a)
        h -= (1.0 - a) * np.log1p(-a)
    return _finish(h, np.shape(arr), b, out_dtype)


# ---------------------------------------------------------------- public: joint tables
def _prepare_joint(pxy: ArrayLike, validate: bool) -> tuple[Array, np.dtype[Any]]:
    arr, out_dtype = v.as_float_array(pxy, "pxy")
    if arr.ndim != 2:
        raise ValueError(f"`pxy`: expected a 2-D joint table pxy[x, y], got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"`pxy`: expected a non-empty table, got shape {arr.shape}")
    x = np.asarray(arr, dtype=F64)
    if validate:
        total = float(np.add.reduce(x.reshape(-1)))  # NaN and +-inf fail the test below
        tol = v.normalisation_tolerance(out_dtype, x.size)
        if not (abs(total - 1.0) <= tol and x.min() >= 0):
            v.check_finite(arr, "pxy")
            v.check_nonnegative(arr, "pxy")
            raise ValueError(f"`pxy`: expected entries summing to 1 (tolerance {tol:.2g}), "
                             f"got sum {total!r}")
    return x, out_dtype


def _finish_scalar(value: Array, base: float | None, out_dtype: np.dtype[Any]) -> Any:
    """A table's scalar result: nats to ``base``, rounded to the output dtype."""
    return _finish(np.asarray(value, dtype=F64), (), base, out_dtype)


def joint_entropy(
    pxy: ArrayLike, *, base: float | None = None, validate: bool = True,
) -> FloatResult:
    r"""Joint entropy :math:`H(X, Y) = -\sum_{x,y} p(x,y)\log p(x,y)`.

    Parameters
    ----------
    pxy : array_like, shape (nx, ny)
        Joint table ``pxy[x, y]``: non-negative, summing to 1.
    base, validate
        As in :func:`entropy`.

    Returns
    -------
    float
        The entropy of the flattened table (same accuracy as :func:`entropy`).

    See Also
    --------
    conditional_entropy : H(X | Y) = H(X, Y) - H(Y)
    mutual_information : I(X; Y)
    entropy : of one distribution

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: H(X, Y) = -\sum_{x,y} p(x,y) \log p(x,y), \qquad 0 \log 0 = 0,

    evaluated like :func:`entropy` (non-negative terms, pairwise summation).
    Target: relative error <= 4 eps.

    References
    ----------
    Cover & Thomas (2006), eq. (2.8).

    Examples
    --------
    >>> float(joint_entropy([[0.25, 0.25], [0.25, 0.25]], base=2))
    2.0
    """
    if type(pxy) not in _HOST and (xp := _ns.foreign_namespace(pxy)) is not None:
        return _native(xp, joint_entropy, "joint_entropy", pxy, base=base, validate=validate)
    v.check_bool(validate, "validate")
    b = v.check_base(base)
    x, out_dtype = _prepare_joint(pxy, validate)
    with np.errstate(all="ignore"):
        h = _row_sum(_neg_xlogx(x.reshape(-1)))
    return _finish_scalar(h, b, out_dtype)


def conditional_entropy(pxy: ArrayLike, *, base: float | None = None,
                        validate: bool = True) -> FloatResult:
    r"""Conditional entropy :math:`H(X \mid Y) = -\sum_{x,y} p(x,y)\log\frac{p(x,y)}{p(y)}`.

    Parameters
    ----------
    pxy : array_like, shape (nx, ny)
        Joint table ``pxy[x, y]``; Y indexes the columns, :math:`p(y) = \sum_x p(x,y)`.
    base, validate
        As in :func:`entropy`.

    Returns
    -------
    float
        >= 0; equals ``joint_entropy(pxy) - entropy(pxy.sum(0))`` (chain rule).

    See Also
    --------
    joint_entropy : H(X, Y)
    mutual_information : H(X) - H(X | Y)

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    Each term is written :math:`p\,\mathrm{log1p}(r/p)` with
    :math:`r = p(y) - p(x,y)` (the rest of the column), computed from a
    double-double column sum.  This avoids the cancellation of
    :math:`H(X,Y) - H(Y)` when X is nearly determined by Y, and of
    :math:`\log(p/p(y))` when one entry dominates its column.
    Target: relative error <= 4 eps.

    References
    ----------
    Cover & Thomas (2006), eq. (2.10)-(2.12) and Theorem 2.2.1 (chain rule).

    Examples
    --------
    >>> float(conditional_entropy([[0.5, 0.0], [1e-18, 0.5]]))  # mpmath: 4.17533844933328799e-17
    4.175338449333287e-17
    """
    if type(pxy) not in _HOST and (xp := _ns.foreign_namespace(pxy)) is not None:
        return _native(xp, conditional_entropy, "conditional_entropy", pxy, base=base,
                       validate=validate)
    v.check_bool(validate, "validate")
    b = v.check_base(base)
    x, out_dtype = _prepare_joint(pxy, validate)
    with np.errstate(all="ignore"):
        hi, lo = dd_sum(x, axis=0)
        rest = (hi[None, :] - x) + lo[None, :]  # exact difference when x >= p(y)/2
        terms = x * _log_ratio(hi[None, :], x, rest)
        terms[x == 0] = 0.0
        h = _row_sum(terms.reshape(-1))
    return _finish_scalar(h, b, out_dtype)


def mutual_information(pxy: ArrayLike, *, base: float | None = None,
                       validate: bool = True) -> FloatResult:
    r"""Mutual information :math:`I(X;Y) = \mathrm{KL}(p_{XY} \,\|\, p_X \otimes p_Y)`.

    Parameters
    ----------
    pxy : array_like, shape (nx, ny)
        Joint table ``pxy[x, y]``.
    base, validate
        As in :func:`entropy`.

    Returns
    -------
    float
        >= 0 always; 0 for an exactly independent table up to the rounding of
        its outer product.

    See Also
    --------
    conditional_entropy : H(X | Y)
    joint_entropy : H(X, Y)
    kl_divergence : I = KL(p_xy || p_x p_y)

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: I(X;Y) = \sum_{x,y} \Big(p(x,y)\log\frac{p(x,y)}{p(x)p(y)} - p(x,y)
              + p(x)p(y)\Big)

    with the same non-negative terms as :func:`kl_divergence`.  For a nearly
    independent table, :math:`p(x,y) - p(x)p(y)` is far below eps of either, so the
    marginals are double-double sums, the product :math:`p(x)p(y)` is formed exactly
    (Dekker's TwoProduct, after exact power-of-2 scaling so that nothing underflows)
    and the difference is taken before rounding.  This is far more accurate than
    :math:`H(X) + H(Y) - H(X,Y)`, which loses every digit once I < eps * H.
    Target: relative error <= 4 eps.

    References
    ----------
    Cover & Thomas (2006), eq. (2.28) and (2.45).

    Examples
    --------
    >>> e = 1e-12
    >>> pxy = [[0.25 + e, 0.25 - e], [0.25 - e, 0.25 + e]]
    >>> float(mutual_information(pxy))   # mpmath: 7.99986809916742473e-24
    7.999868099167423e-24
    """
    if type(pxy) not in _HOST and (xp := _ns.foreign_namespace(pxy)) is not None:
        return _native(xp, mutual_information, "mutual_information", pxy, base=base,
                       validate=validate)
    v.check_bool(validate, "validate")
    b = v.check_base(base)
    x, out_dtype = _prepare_joint(pxy, validate)
    with np.errstate(all="ignore"):
        px_hi, px_lo = dd_sum(x, axis=1)
        py_hi, py_lo = dd_sum(x, axis=0)
        # Exact scaling by powers of 2 puts both marginals in [1/2, 1): the product
        # and its Dekker error term cannot underflow.  Each term is 1-homogeneous:
        # T(2^k p, 2^k q) = 2^k T(p, q).
        mx, ex = np.frexp(px_hi)
        my, ey = np.frexp(py_hi)
        mx_lo, my_lo = np.ldexp(px_lo, -ex), np.ldexp(py_lo, -ey)
        q_hi, q_err = two_prod(mx[:, None], my[None, :])
        q_lo = q_err + (mx[:, None] * my_lo[None, :] + mx_lo[:, None] * my[None, :])
        shift = ex[:, None] + ey[None, :]
        p_scaled = np.ldexp(x, -shift)
        delta = (p_scaled - q_hi) - q_lo  # p - q_hi is exact where p ~ q (Sterbenz)
        terms = np.ldexp(_kl_terms(p_scaled, q_hi, delta), shift)
        i = _row_sum(terms.reshape(-1))
    return _finish_scalar(i, b, out_dtype)

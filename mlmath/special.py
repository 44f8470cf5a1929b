r"""Stable primitives: logsumexp, softmax, log_softmax and the sigmoid family.

Accuracy target (tested against mpmath at 50 digits, ``tests/test_special.py``):
relative error at most 4 eps of the dtype for every finite input whose result
is a normal number, *including results near 0* (``log_softmax`` at a dominant
logit, ``log_sigmoid(40)``, ``softplus(-700)``, softmax entries far below the
row max).  Results in the subnormal range are within a few units of the
subnormal spacing; results below the smallest subnormal round to 0 (e.g.
``softplus(-800)``, whose exact value 3.7e-348 has no float64 neighbour but 0).

How
---
* Shift by the row max ``m`` (no overflow), and never form ``1 + R`` where
  ``R = sum_{i != argmax} exp(x_i - m)`` can be tiny: use ``log1p(R)``.
* float64: the rounding error of ``d = x - m`` is amplified by ``exp`` (a
  difference of -700 carries up to 350 eps).  It is recovered exactly with
  Knuth's TwoSum and applied as ``exp(d) * (1 + d_lo)``.
* float32 (and float16) inputs are computed in float64 and rounded once at the
  end; the 29 extra bits absorb every intermediate rounding.
* ``logsumexp`` rows whose result comes from cancellation (``m < 0`` and
  ``log1p(R)`` close to ``-m``, e.g. the LSE of log-probabilities, which is
  about 1e-17) are recomputed together, vectorised, in extended precision:
  ``r = log1p(sum_i e^{x_i} - 1)`` with every ``e^{x_i}`` as a double-double
  (Tang's table method with error-free transformations; the few large terms
  as ``1 + expm1(x)`` in triple-double) and the excess summed by error-free
  extraction (:mod:`mlmath._compensated`).  No mpmath, no per-row loop.  On
  the numba backend the same algorithm runs compiled
  (``mlmath._numba_kernels.lse_cancelling_rows``).
* Reductions always run along a contiguous last axis, in row chunks of 256K
  elements (NumPy's pairwise summation applies there), scheduled by
  :mod:`mlmath._rows` (threads for large arrays, work buffers allocated once
  per thread, results independent of the thread count).

Infinities and NaN (the API leaves them open; these are the choices)
--------------------------------------------------------------------
* NaN anywhere: ``ValueError`` naming ``x`` and the index of the first NaN.
* ``-inf`` logits mean "weight 0": they get softmax 0 and log_softmax ``-inf``
  exactly, and ``logsumexp`` of an all ``-inf`` row is ``-inf`` (log 0).
* ``softmax`` / ``log_softmax`` of an all ``-inf`` row: ``ValueError`` (there is
  no mass to normalise).
* ``+inf`` logits: ``logsumexp`` is ``+inf``; ``softmax`` / ``log_softmax``
  raise ``ValueError`` (the ratio inf/inf has no value: the limit depends on how
  the entries grow).
* ``where=False`` entries are treated exactly as ``-inf`` logits (whatever
  they hold, NaN included): an all-excluded row follows the all ``-inf`` rule.
* Weights ``b`` of ``logsumexp``: 0 excludes an entry (even at ``+inf``); a
  negative weighted sum raises ``ValueError`` unless ``return_sign=True``
  (SciPy returns NaN); ``+inf`` entries with weights of both signs raise.
* ``sigmoid``, ``log_sigmoid``, ``softplus`` take their limits at +-inf.
* ``validate=False`` skips these checks: NaN rows, all ``-inf`` rows and
  ``+inf`` entries then give NaN in their rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from mlmath import _backend, _compensated, _rows
from mlmath import _namespace as _ns
from mlmath import _validation as v
from mlmath._typing import Axes, FloatArray, FloatResult
from mlmath._xp import special as _xps

__all__ = ["log_sigmoid", "log_softmax", "logsumexp", "sigmoid", "softmax", "softplus"]

#: Types that take the NumPy path (one set lookup; see :mod:`mlmath._namespace`).
_HOST = _ns.HOST_TYPES

#: Elements per row chunk (float64 work buffers of 2 MiB, allocated once per
#: worker thread): few, large ufunc calls, since threads contend for the GIL
#: between calls (chunk sizes are measured in ``benchmarks/special.py``).
_CHUNK_ELEMS = 1 << 18
_F64 = np.dtype(np.float64)
#: Elements per row chunk of the compensated path for cancelling ``logsumexp``
#: rows: every float64 temporary (64 KiB) stays below glibc's mmap threshold
#: (128 KiB), above which each of the ~100 temporaries costs fresh pages (4x slower).
_COMPENSATED_CHUNK_ELEMS = 1 << 13
_LN2 = float(np.log(2.0))
#: The large terms of a cancelling row are formed as ``1 + expm1(x)`` in
#: triple-double (:func:`mlmath._compensated.expm1_td`), whose error is relative
#: to ``expm1(x)``: every entry above -4 (at most e**8 per cancelling row), and
#: the entries above -12 when a row has at most 64 of them.  (Where a row has
#: many terms above -12, the double-double errors of its terms, 2**-104 each,
#: average out.)
_LARGE_TERM = -4.0
_LARGE_TERM_ANY = -12.0
_FEW_LARGE_TERMS = 64

# ----------------------------------------------------------------------------
# Layout: every reduction runs on a C-contiguous (rows, n) array, axis last.
# ----------------------------------------------------------------------------

class _Rows(NamedTuple):
    """An input laid out for row kernels, and how to lay results back out."""

    arr: np.ndarray            # the validated input (compute dtype; 0-d made 1-d)
    rows2d: np.ndarray         # C-contiguous (rows, n), the reduction axes merged last
    out_dtype: np.dtype[Any]   # dtype to return
    moved_shape: tuple[int, ...]  # batch shape + (n,): arr with the axes moved last, merged
    axes: tuple[int, ...]      # normalised, sorted reduction axes of arr
    scalar: bool               # the input was 0-d

    @property
    def axis(self) -> int | tuple[int, ...]:
        """The reduction axis as the caller named it (for messages)."""
        return self.axes[0] if len(self.axes) == 1 else self.axes

    def restore(self, out2: np.ndarray) -> Any:
        """(rows, n) results back to the input's layout and dtype."""
        out = out2.reshape(self.moved_shape)
        batch = len(self.moved_shape) - 1
        if len(self.axes) > 1:
            out = out.reshape(*self.moved_shape[:-1], *(self.arr.shape[a] for a in self.axes))
            out = np.moveaxis(out, range(batch, self.arr.ndim), self.axes)
        elif self.axes[0] != out.ndim - 1:
            out = np.moveaxis(out, -1, self.axes[0])
        return v.restore_dtype(out.reshape(()) if self.scalar else out, self.out_dtype)

    def batch_index(self, flat: int) -> str:
        """``[i, :, j]``: the position of batch row ``flat``, ``:`` on the reduced axes."""
        where = [str(int(i)) for i in np.unravel_index(flat, self.moved_shape[:-1])]
        for a in self.axes:
            where.insert(a, ":")
        return "[" + ", ".join(where) + "]"


def _prepare_rows(x: ArrayLike, axis: Any, *, allow_empty: bool = False,
                  where: ArrayLike | None = None) -> _Rows:
    """Convert, check ``axis`` (and that it is not empty) and lay ``x`` out in rows.

    ``axis`` is an int, a tuple of axes or ``None`` (every axis); several axes are
    merged into one.  ``rows2d`` is a view when the axis is already the contiguous
    last axis (the usual case); otherwise one copy is made, so that every
    reduction runs along a contiguous axis where NumPy's pairwise summation
    applies.  A 0-d input is treated as a vector of one entry.  An empty
    reduction is a ``ValueError`` unless ``allow_empty`` (``validate=False``).
    Entries where the boolean ``where`` (broadcast to ``x``) is False become
    ``-inf`` (weight 0) before anything else looks at them.
    """
    arr, out_dtype = v.as_float_array(x, "x")
    if where is not None:
        arr = _exclude(arr, v.as_bool_mask(where, arr.shape, "where"))
    return _layout(arr, out_dtype, axis, allow_empty=allow_empty)


def _exclude(arr: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``arr`` with the entries where ``mask`` is False replaced by ``-inf`` (dtype kept)."""
    return np.where(mask, arr, np.array(-np.inf, dtype=arr.dtype))


def _layout(arr: np.ndarray, out_dtype: np.dtype[Any], axis: Any, *,
            allow_empty: bool) -> _Rows:
    """Lay an already converted float array out in rows (see :func:`_prepare_rows`)."""
    scalar = arr.ndim == 0
    if scalar:
        arr = arr.reshape(1)
    axes = v.check_axes(axis, arr.ndim)
    if not allow_empty:
        for a in axes:
            v.check_nonempty_axis(arr, a, "x")
    merged = arr if len(axes) == 1 else _rows.merge_axes(arr, axes)
    rows2d, moved_shape = _rows.to_rows(merged, axes[0] if len(axes) == 1 else merged.ndim - 1)
    return _Rows(arr, rows2d, out_dtype, moved_shape, axes, scalar)


# ----------------------------------------------------------------------------
# Row kernels (run inside worker threads: errstate is thread-local).
# ----------------------------------------------------------------------------

def _row_max(xb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row argmax and max (as float64 column).  NaN wins argmax, so NaN rows show."""
    idx = np.argmax(xb, axis=1)
    m = xb[np.arange(xb.shape[0]), idx].astype(np.float64)[:, None]
    return idx, m


def _shifted_exp(xb: np.ndarray, m: np.ndarray, d: np.ndarray, lo: np.ndarray | None,
                 e: np.ndarray, t: np.ndarray | None) -> None:
    """``e = exp(x - m)`` accurate to about 1 ulp; ``d`` gets ``fl(x - m)``.

    float64 input: ``lo`` gets the exact rounding error of ``d`` (Knuth's
    TwoSum of ``x + (-m)``) and ``e = exp(d) * (1 + lo)``, since the error of
    ``d`` is multiplied by ``|d|`` in ``exp`` (``t`` is scratch).  float32 input: ``d`` is
    formed in float64, where it is exact enough (``lo`` is ``None``).
    Entries with ``x = -inf`` (or ``x - m`` overflowing) make ``lo`` NaN;
    :func:`_sanitise_rows` repairs those rows.
    """
    if lo is None or t is None:
        np.copyto(d, xb)  # widen first: a float32 - float64 ufunc loop is 25% slower
        np.subtract(d, m, out=d)
        np.exp(d, out=e)
        return
    np.subtract(xb, m, out=d)
    np.subtract(d, xb, out=t)      # b' = d - x       (the part of d that is -m)
    np.subtract(d, t, out=lo)      # a' = d - b'      (the part of d that is x)
    np.subtract(xb, lo, out=lo)    # x - a'
    np.add(t, m, out=t)            # -((-m) - b')
    np.subtract(lo, t, out=lo)     # lo = (x - a') + ((-m) - b') = (x - m) - d exactly
    np.exp(d, out=e)
    np.multiply(e, lo, out=t)      # exp(d + lo) = exp(d) (1 + lo) up to lo^2 ~ 1e-26
    np.add(e, t, out=e)


def _sanitise_rows(xb: np.ndarray, m: np.ndarray, d: np.ndarray, lo: np.ndarray | None,
                   e: np.ndarray, rows: np.ndarray) -> None:
    """Recompute rows holding ``-inf`` entries, whose TwoSum error is NaN."""
    sub = np.ix_(rows, np.arange(xb.shape[1]))
    xr, mr = xb[sub], m[rows]
    dr = xr - mr
    er = np.exp(dr)
    if lo is not None:
        with np.errstate(invalid="ignore"):
            t = dr - xr
            lor = ((xr - (dr - t)) - (t + mr))
        lor[~np.isfinite(lor)] = 0.0  # exp(d) is 0 there: the correction is moot
        er += er * lor
        lo[sub] = lor
    d[sub], e[sub] = dr, er


def _exp_and_rest(xb: np.ndarray, bufs: dict[str, np.ndarray]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """Shared first half of the row kernels.

    Returns ``(m, rest, d, lo, e)``: row max, ``R = sum_{i != argmax} exp(x_i - m)``
    (one maximal entry left out, so that ``log1p(R)`` keeps R's digits when R
    is tiny), the differences and the exponentials.
    """
    r = xb.shape[0]
    d, e = bufs["d"][:r], bufs["e"][:r]
    lo = bufs["lo"][:r] if "lo" in bufs else None
    t = bufs["t"][:r] if "t" in bufs else None
    idx, m = _row_max(xb)
    _shifted_exp(xb, m, d, lo, e, t)
    arange = np.arange(r)
    e[arange, idx] = 0.0
    rest = np.sum(e, axis=1, keepdims=True)
    broken = ~np.isfinite(rest[:, 0]) & np.isfinite(m[:, 0])
    if broken.any():
        rows = np.flatnonzero(broken)
        _sanitise_rows(xb, m, d, lo, e, rows)
        e[rows, idx[rows]] = 0.0
        rest[rows] = np.sum(e[rows], axis=1, keepdims=True)
    e[arange, idx] = 1.0
    return m, rest, d, lo, e


def _work_buffers(xb_dtype: np.dtype[Any], rows: int, n: int) -> dict[str, np.ndarray]:
    shape = (rows, n)
    bufs = {"d": np.empty(shape, _F64), "e": np.empty(shape, _F64)}
    if xb_dtype == _F64:
        bufs["lo"] = np.empty(shape, _F64)
        bufs["t"] = np.empty(shape, _F64)
    return bufs


_RowBody = Callable[[slice, np.ndarray, dict[str, np.ndarray]], np.ndarray]


def _run_rows(rows2d: np.ndarray, body: _RowBody,
              compiled: tuple[int, np.ndarray] | None = None) -> np.ndarray:
    """Run ``body(chunk, xb, bufs)`` over row chunks; return the row maxima (rows, 1).

    ``compiled = (kind, out)``: the same computation as ``body``'s, which the
    numba backend (:mod:`mlmath._backend`) runs instead when it is active.
    """
    kernels = None if compiled is None else _backend.compiled_kernels()
    if kernels is not None and compiled is not None:
        return _run_compiled(kernels, rows2d, *compiled)
    rows, n = rows2d.shape
    maxima = np.empty((rows, 1), _F64)

    def kernel(chunk: slice, bufs: dict[str, np.ndarray]) -> None:
        maxima[chunk] = body(chunk, rows2d[chunk], bufs)

    _rows.for_each_chunk(rows, n, kernel, lambda r: _work_buffers(rows2d.dtype, r, n),
                         chunk_elements=_CHUNK_ELEMS)
    return maxima


def _run_compiled(kernels: Any, rows2d: np.ndarray, kind: int, out: np.ndarray) -> np.ndarray:
    """The numba kernel ``kind`` over row chunks (scheduled like the NumPy path's).

    Rows without a finite max get what the NumPy path gives them: ``m`` itself
    for logsumexp (``+inf``, ``-inf`` for an all ``-inf`` row, NaN), NaN for
    softmax and log_softmax (``validate=False``; otherwise they raise later).
    """
    rows, n = rows2d.shape
    maxima = np.empty((rows, 1), _F64)
    wide = rows2d.dtype == _F64

    def kernel(chunk: slice, _bufs: None) -> None:
        m = maxima[chunk, 0]
        np.maximum.reduce(rows2d[chunk], axis=1, out=m)  # SIMD, and NaN propagates
        kernels.run_rows(kind, rows2d[chunk], m, out[chunk], wide)

    _rows.for_each_chunk_unbuffered(rows, n, kernel, chunk_elements=_CHUNK_ELEMS)
    if not np.isfinite(maxima).all():
        bad = ~np.isfinite(maxima[:, 0])
        out[bad] = maxima[bad] if kind == _backend.LOGSUMEXP else np.nan
    return maxima


# ----------------------------------------------------------------------------
# Checks on the row maxima (NaN wins argmax, so they see every bad row).
# ----------------------------------------------------------------------------

def _check_rows(lay: _Rows, maxima: np.ndarray, *, normalised: bool,
                masked: bool = False) -> None:
    """NaN -> ValueError; for softmax-like results, +inf or all -inf rows too.

    ``masked``: a ``where=`` mask was applied (the message then says so).
    """
    m = maxima[:, 0]
    if np.isfinite(m).all():  # the usual case: one pass
        return
    if np.isnan(m).any():
        v.check_no_nan(lay.arr, "x")
    if not normalised:
        return
    if (m == np.inf).any():
        v.check_no_posinf(lay.arr, "x", why="the ratio inf/inf is undefined")
    empty = m == -np.inf
    if empty.any():
        raise ValueError(
            f"`x`: expected at least one entry > -inf along axis {lay.axis} (no mass to "
            f"normalise), got all -inf{' or excluded by `where`' if masked else ''} at index "
            f"{lay.batch_index(int(np.argmax(empty)))}")


# ----------------------------------------------------------------------------
# Public reductions.
# ----------------------------------------------------------------------------

def logsumexp(x: ArrayLike, *, axis: Axes = -1, b: ArrayLike | None = None,
              keepdims: bool = False, return_sign: bool = False,
              where: ArrayLike | None = None, validate: bool = True) -> Any:
    r"""Log of the (weighted) sum of exponentials along ``axis``, without overflow.

    Parameters
    ----------
    x : array_like, shape (..., n, ...)
        Logits; ``-inf`` entries have weight 0.
    axis : int, tuple of ints or None, default -1
        Axis to reduce (negative counts from the end); a tuple reduces several
        axes, ``None`` every axis (SciPy's default; mlmath's stays -1).
    b : array_like, optional
        Weights broadcastable with ``x`` (SciPy's ``b``): the result is
        ``log(sum(b * exp(x)))``.  Weights may be zero (the entry is excluded,
        even where ``x`` is ``+inf``) or negative (then see ``return_sign``);
        they must be finite.  The result has the broadcast shape of ``x`` and ``b``.
    keepdims : bool, default False
        Keep the reduced axis with length 1.
    return_sign : bool, default False
        Return ``(value, sign)`` with ``value = log|sum b e^x|`` and ``sign`` the
        sign of the sum (+1, -1, or 0 for a zero sum, whose ``value`` is ``-inf``).
        Without it a negative sum raises ``ValueError`` naming ``b`` (SciPy
        returns NaN there, see ``docs/differences.md``).
    where : array_like of bool, optional
        Broadcastable to ``x`` (and ``b``); entries where it is False are left
        out (NumPy's reduction ``where``).  An all-excluded slice gives ``-inf``
        (log of an empty sum) and sign 0; NaN in an excluded entry is ignored.
    validate : bool, default True
        Check for NaN in ``x`` and ``b``, infinite weights, negative sums
        without ``return_sign`` and ``+inf`` entries with weights of both signs
        (``False`` skips the checks; such rows then give NaN).

    Returns
    -------
    value : ndarray or scalar
        Shape of ``x`` (broadcast with ``b``) without ``axis`` (or with length 1
        there if ``keepdims``); dtype of ``x`` promoted with ``b`` (float16
        computed in float32, integers as float64).
    sign : ndarray or scalar
        Only with ``return_sign=True``: same shape and dtype as ``value``.

    Raises
    ------
    TypeError
        ``x`` or ``b`` is complex, object or string; ``where`` is not boolean;
        ``axis`` is not an integer; a flag is not a bool.
    ValueError
        ``x`` or ``b`` holds NaN; ``b`` is infinite; ``b`` or ``where`` does not
        broadcast; the weighted sum is negative and ``return_sign`` is False;
        ``+inf`` entries carry weights of both signs (inf - inf); ``axis`` is
        out of range or has length 0.

    See Also
    --------
    softmax : normalised exponentials, exp(x - logsumexp(x))
    log_softmax : x - logsumexp(x)
    scipy.special.logsumexp : SciPy's version (same ``b`` and ``return_sign``)

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \operatorname{LSE}(x) = m + \operatorname{log1p}\Big(\sum_{i \ne i^*}
              e^{x_i - m}\Big), \qquad m = x_{i^*} = \max_i x_i .

    Shifting by the max keeps every exponential in (0, 1] (no overflow, even
    for entries of 1e308), ``log1p`` keeps the digits of a tiny sum (``[0, -50]``
    gives 1.9e-22, not 0), and each ``x_i - m`` is corrected for its rounding
    error (see the module notes).  When ``m < 0`` and the result is much
    smaller than ``|m|`` (cancellation, e.g. the LSE of log-probabilities, about
    1e-17 from terms of size 1), the row is recomputed as
    ``log1p(sum_i e^{x_i} - 1)`` in extended precision: each term a
    double-double (relative error below 2**-104; the large terms ``x > -4``, or
    ``x > -12`` in rows with at most 64 of them, as ``1 + expm1(x)`` in
    triple-double), the excess summed by error-free extraction.  The relative
    error then stays within 4 eps down to results of about 1e-21 relative to
    the terms (tested against 50-digit mpmath on log-softmax'd rows: flat,
    peaked, masked, 2 to 32000 entries); beyond that the absolute error stays
    below about 2**-104 times the largest term.  Such rows cost some 10-20
    times an ordinary row (about a hundred NumPy passes per entry against
    ten; all cancelling rows of a call are processed together, in row
    chunks).  An all ``-inf`` row gives ``-inf`` (log 0); any ``+inf`` entry
    gives ``+inf``.  A 0-d input is a vector of one entry.

    *Weights.*  Non-negative ``b`` is folded into the logits,
    ``x_i + log b_i`` (``b_i = 0`` gives ``-inf``), and takes the path above:
    weights of 0 and 1 (masks) keep its accuracy exactly; other weights add
    the rounding of ``log b_i`` and of the sum, an absolute error of at most
    ``eps (|x_i| + 2 |log b_i|)`` (tested against mpmath).  Weights of mixed
    sign are summed as
    ``S = sum_i b_i e^{x_i - m}`` (``m`` the largest logit with a non-zero weight)
    in double-double: each ``e^{x_i - m}`` from :func:`mlmath._compensated.exp_dd`
    with the rounding of ``x_i - m`` recovered by TwoSum, the product with
    ``b_i`` exact (Dekker's TwoProduct, ``b`` first scaled by a power of two),
    the sum pairwise with TwoSum.  The relative error of ``S`` is then about
    ``kappa 2**-100`` with the condition number
    ``kappa = sum_i |b_i e^{x_i}| / |sum_i b_i e^{x_i}|``, and the result
    ``m + log|S|`` has an absolute error below ``eps (|m| + |log max|b|| +
    |value| + 1) + kappa 2**-100`` (measured: at most 0.6 of it; tested against mpmath
    up to ``kappa = 1e12``); plain summation (SciPy's) loses ``kappa eps``.
    The sign is exact for ``kappa < 2**90``.  An exactly cancelling sum gives
    ``(-inf, 0)``.

    References
    ----------
    Blanchard, Higham, Higham, "Accurately computing the log-sum-exp and
    softmax functions", IMA J. Numer. Anal. 41 (2021).
    Knuth, *The Art of Computer Programming*, vol. 2, 3rd ed., sec. 4.2.2
    (TwoSum: the exact rounding error of a floating-point sum).
    Tang, "Table-driven implementation of the exponential function in IEEE
    floating-point arithmetic", ACM TOMS 15 (1989).
    Rump, Ogita, Oishi, "Accurate floating-point summation part I: faithful
    rounding", SIAM J. Sci. Comput. 31 (2008).

    Examples
    --------
    >>> float(logsumexp([1000.0, 1000.0]))
    1000.6931471805599
    >>> float(logsumexp([0.0, -50.0]))  # log1p(e^-50): not rounded away to 0
    1.9287498479639178e-22
    >>> float(logsumexp(np.log([0.1, 0.2, 0.7])))  # cancels; mpmath: -6.52529351121432e-18
    -6.525293511214321e-18
    >>> value, sign = logsumexp([1.0, 1.0 + 1e-12], b=[1.0, -1.0], return_sign=True)
    >>> float(value), float(sign)  # log|e - e^(1 + 1e-12)|; mpmath: -26.630932219297130
    (-26.63093221929713, -1.0)
    >>> float(logsumexp([1.0, 2.0, 3.0], where=[True, False, True]))
    3.1269280110429727
    """
    if (xp := _ns.foreign_namespace(x, b, where, names=("x", "b", "where"))) is not None:
        out = _xps.logsumexp(xp, x, axis=axis, b=b, keepdims=v.check_bool(keepdims, "keepdims"),
                             return_sign=v.check_bool(return_sign, "return_sign"), where=where,
                             validate=v.check_bool(validate, "validate"))
        if out is None:  # weights of both signs: the double-double sum runs on the host
            return _ns.on_host(xp, logsumexp, x, axis=axis, b=b, keepdims=keepdims,
                               return_sign=return_sign, where=where, validate=validate)
        return out
    v.check_bool(keepdims, "keepdims")
    v.check_bool(return_sign, "return_sign")
    v.check_bool(validate, "validate")
    if b is None:
        lay = _prepare_rows(x, axis, allow_empty=not validate, where=where)
        result = _logsumexp_or_empty(lay, validate)
        sign = np.where(result == -np.inf, 0.0, 1.0)
    else:
        lay, weights, signed = _prepare_weighted(x, b, where, axis, validate)
        if signed:
            result, sign = _logsumexp_signed(lay, weights, validate)
            negative = sign < 0
            if not return_sign and not validate:
                result = np.where(negative, np.nan, result)  # SciPy's log of a negative sum
            elif not return_sign and negative.any():
                raise ValueError(
                    f"`b`: expected weights whose sum sum(b * exp(x)) is >= 0 (its log is "
                    f"not real), got a negative sum at index "
                    f"{lay.batch_index(int(np.argmax(sign[:, 0] < 0)))}; pass "
                    f"return_sign=True for (log|sum|, sign)")
        else:
            result = _logsumexp_or_empty(lay, validate)
            sign = np.where(result == -np.inf, 0.0, 1.0)
    value = _reduced_out(lay, result, keepdims)
    if not return_sign:
        return value
    return value, _reduced_out(lay, sign, keepdims)


def _logsumexp_or_empty(lay: _Rows, validate: bool) -> np.ndarray:
    """(rows, 1) log-sum-exp; an empty reduction (``validate=False``) is log 0 = -inf."""
    if lay.rows2d.shape[1] == 0:  # validate=False only: SciPy's log(0) = -inf
        return np.full((lay.rows2d.shape[0], 1), -np.inf)
    return _logsumexp_rows(lay, validate)


def _reduced_out(lay: _Rows, result: np.ndarray, keepdims: bool) -> Any:
    """(rows, 1) row results in the shape of the reduction, in the output dtype."""
    out = result.reshape(lay.moved_shape[:-1])
    if lay.scalar:
        out = out.reshape(())
    elif keepdims:
        out = np.expand_dims(out, lay.axes)
    return v.restore_dtype(out, lay.out_dtype)


def _prepare_weighted(x: ArrayLike, b: ArrayLike, where: ArrayLike | None, axis: Any,
                      validate: bool) -> tuple[_Rows, np.ndarray, bool]:
    """Broadcast ``x``, ``b`` (and ``where``); lay them out in rows.

    Returns ``(lay, weights, signed)``.  Entries with weight 0 or excluded by
    ``where`` become ``-inf``.  When every remaining weight is positive
    (``signed`` False) the weights are folded into the logits, ``x + log b``,
    and ``weights`` is unused; otherwise ``weights`` holds ``b`` in the layout
    of ``lay.rows2d`` (float64).
    """
    arr, out_x = v.as_float_array(x, "x")
    weights, out_b = v.as_float_array(b, "b")
    shape = v.broadcast_shape([arr, weights], ["x", "b"])
    _, out_dtype = v.result_dtype(out_x, out_b)
    arr = np.broadcast_to(arr.astype(_F64, copy=False), shape)
    weights = np.broadcast_to(weights.astype(_F64, copy=False), shape)
    keep = weights != 0
    if where is not None:
        keep = keep & v.as_bool_mask(where, shape, "where")
    if validate:
        v.check_no_nan(np.where(keep, arr, 0.0), "x")
        v.check_finite(np.where(keep, weights, 0.0), "b")
    signed = bool((keep & (weights < 0)).any())
    with np.errstate(divide="ignore", invalid="ignore"):
        logits = (np.where(keep, arr, -np.inf) if signed
                  else np.where(keep, arr + np.log(np.where(keep, weights, 1.0)), -np.inf))
    lay = _layout(logits, out_dtype, axis, allow_empty=not validate)
    if not signed:
        return lay, weights, False
    wb = weights if weights.ndim else weights.reshape(1)
    wb = wb if len(lay.axes) == 1 else _rows.merge_axes(wb, lay.axes)
    w2d, _ = _rows.to_rows(wb, lay.axes[0] if len(lay.axes) == 1 else wb.ndim - 1)
    return lay, np.where(lay.rows2d == -np.inf, 0.0, w2d), True


def _logsumexp_signed(lay: _Rows, weights: np.ndarray, validate: bool
                      ) -> tuple[np.ndarray, np.ndarray]:
    """(rows, 1) ``log|sum b e^x|`` and its sign, the sum in double-double.

    ``lay.rows2d`` holds ``-inf`` wherever the weight is 0 or excluded.  See
    the Notes of :func:`logsumexp` for the error analysis.
    """
    xs = lay.rows2d
    rows, n = xs.shape
    value = np.empty((rows, 1), _F64)
    sign = np.empty((rows, 1), _F64)

    def kernel(chunk: slice, _bufs: None) -> None:
        value[chunk], sign[chunk] = _signed_rows(xs[chunk], weights[chunk])

    if n:
        _rows.for_each_chunk(rows, n, kernel, _rows.no_buffers,
                             chunk_elements=_COMPENSATED_CHUNK_ELEMS)
    else:
        value[:], sign[:] = -np.inf, 0.0
    # +inf logits decide their rows: the sign of their weights, unless both occur.
    posinf = xs == np.inf
    rows_inf = posinf.any(axis=1)
    if rows_inf.any():
        pos = (posinf & (weights > 0)).any(axis=1)
        neg = (posinf & (weights < 0)).any(axis=1)
        both = pos & neg
        if validate and both.any():
            raise ValueError(
                f"`x`: expected +inf entries whose weights `b` share one sign, got weights of "
                f"both signs at +inf entries at index {lay.batch_index(int(np.argmax(both)))} "
                f"(inf - inf has no value)")
        value[rows_inf, 0] = np.where(both, np.nan, np.inf)[rows_inf]
        sign[rows_inf, 0] = np.where(both, np.nan, np.where(pos, 1.0, -1.0))[rows_inf]
    return value, sign


def _signed_rows(xb: np.ndarray, wb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log|S|`` and ``sign(S)`` of ``S = sum b e^x`` per row (finite rows; float64)."""
    m = np.max(xb, axis=1, keepdims=True)
    shift = np.where(np.isfinite(m), m, 0.0)
    d, lo = _compensated.two_sum(xb, -shift)  # x - m exactly: d + lo
    lo = np.where(np.isfinite(lo), lo, 0.0)   # -inf (and +inf) entries: moot
    h, low = _compensated.exp_dd(np.minimum(d, 0.0))
    low += h * lo                               # e^(d + lo) = (h + low)(1 + lo)
    # Scale the weights by a power of two (exact) so that products stay normal.
    _, k = np.frexp(np.max(np.abs(wb), axis=1, keepdims=True))
    ws = np.ldexp(wb, -k)
    p, p_err = _compensated.two_prod(ws, h)
    tail = np.sum(p_err + ws * low, axis=1)
    s_hi, s_lo = _compensated.dd_sum(p, axis=1)
    s_hi, s_lo = _compensated.two_sum(s_hi, s_lo + tail)
    sign = np.sign(s_hi)
    mag = np.abs(s_hi)
    out = (m[:, 0] + k[:, 0] * _LN2) + (np.log(mag) + s_lo * sign / mag)
    out = np.where(mag > 0, out, -np.inf)
    return out[:, None], sign[:, None]


def _logsumexp_rows(lay: _Rows, validate: bool) -> np.ndarray:
    """(rows, 1) log-sum-exp of ``lay.rows2d`` (float64), cancelling rows refined."""
    result = np.empty((lay.rows2d.shape[0], 1), _F64)

    def body(chunk: slice, xb: np.ndarray, bufs: dict[str, np.ndarray]) -> np.ndarray:
        m, rest, *_ = _exp_and_rest(xb, bufs)
        result[chunk] = m + np.log1p(rest)
        return m

    maxima = _run_rows(lay.rows2d, body, (_backend.LOGSUMEXP, result))
    if validate:
        _check_rows(lay, maxima, normalised=False)
    infinite = np.isinf(maxima)
    result[infinite] = maxima[infinite]  # +inf entries -> +inf; all -inf -> -inf
    _refine_cancelling_rows(lay.rows2d, maxima, result)
    return result


def _refine_cancelling_rows(rows2d: np.ndarray, maxima: np.ndarray, result: np.ndarray) -> None:
    """Recompute, in extended precision, rows where ``m + log1p(R)`` cancels.

    ``log1p(R)`` carries about 2 eps of relative error; when ``m < 0`` and the
    result ``r`` is smaller than ``log1p(R) = r - m``, that error is amplified by
    ``(r - m) / |r|``.  float64 rows amplifying it by more than 2 are
    recomputed.  float32 rows are computed in float64 without the TwoSum
    correction (a relative error up to ``2**-53 |x - m|`` per term, |x - m| <=
    745 where exp does not underflow), so up to an amplification of 2**20 the
    float64 result is still within 0.75 eps of float32 before its rounding.
    The flagged rows are gathered and recomputed together by
    :func:`_log_sum_exp_compensated`, in row chunks like the ordinary path.
    """
    m, r = maxima[:, 0], result[:, 0]
    amplification_limit = 2.0 if rows2d.dtype == _F64 else 2.0 ** 20
    with np.errstate(all="ignore"):
        cancels = (m < 0) & np.isfinite(r) & ((r - m) > amplification_limit * np.abs(r))
    rows = np.flatnonzero(cancels)
    if rows.size == 0:
        return
    sub, sub_max = rows2d[rows], m[rows]
    refined = np.empty(rows.size, _F64)

    def kernel(chunk: slice, _bufs: None) -> None:
        refined[chunk] = _log_sum_exp_compensated(sub[chunk], sub_max[chunk])

    _rows.for_each_chunk(rows.size, sub.shape[1], kernel, _rows.no_buffers,
                         chunk_elements=_COMPENSATED_CHUNK_ELEMS)
    result[rows, 0] = refined


def _log_sum_exp_compensated(xb: np.ndarray, maxima: np.ndarray) -> np.ndarray:
    r"""Row-wise ``log(sum(exp(x)))`` for rows with all ``x <= m < 0``, in extended precision.

    The result ``r`` is ``log1p(E)`` with the excess ``E = sum_i e^{x_i} - 1``
    (every term is at most 1, nothing overflows).  For cancelling rows ``E`` is
    tiny next to its terms, so each ``e^{x_i}`` is formed as an unevaluated sum
    ``H + L`` (:func:`mlmath._compensated.exp_dd`: relative error below 2**-104
    for float64 input, below 2**-69 for float32, whose result is needed to
    2**-24 only); the large terms (see ``_LARGE_TERM``) as ``1 + expm1(x)`` in
    triple-double, with an error below 2**-108 of ``expm1(x)``.  ``E``
    is summed by error-free extraction (:class:`mlmath._compensated.RowExtractor`),
    far below ``eps |r|``.  Where ``E < -1/2`` (a result below -0.69: no
    cancellation is left) ``r = log(hi) + lo / hi`` from the sum itself.
    """
    kernels = _backend.compiled_kernels()
    if kernels is not None:
        out = np.empty(xb.shape[0])
        kernels.lse_cancelling_rows(xb, np.ascontiguousarray(maxima, dtype=_F64),
                                    *_compensated.exp_dd_constants(),
                                    (_LARGE_TERM, _LARGE_TERM_ANY, _FEW_LARGE_TERMS), out,
                                    xb.dtype == _F64)
        return out
    rows, n = xb.shape
    wide = xb.dtype == _F64
    accuracy: _compensated.ExpAccuracy = "double-double" if wide else "extended"
    # Rows with large terms: every row whose max is above -4, and the rows with
    # at most _FEW_LARGE_TERMS entries above -12.
    few = np.zeros(rows, dtype=bool)
    candidates = np.flatnonzero(maxima > _LARGE_TERM_ANY)
    if candidates.size:
        counts = np.count_nonzero(xb[candidates] > _LARGE_TERM_ANY, axis=1)
        few[candidates] = counts <= _FEW_LARGE_TERMS
    has_large = few | (maxima > _LARGE_TERM)
    threshold = np.where(few, _LARGE_TERM_ANY, _LARGE_TERM)[:, None]
    # A bound on every component: e^m, or for rows with large terms (formed as
    # expm1(x), |expm1(x)| <= |x|) the larger of e^(largest other x) and |x|.
    bound = np.exp(maxima)
    if has_large.any():
        xl = np.asarray(xb[has_large], dtype=_F64)
        large = xl > threshold[has_large]
        other_max = np.where(large, -np.inf, xl).max(axis=1)
        bound[has_large] = np.maximum(np.exp(other_max), -np.where(large, xl, 0.0).min(axis=1))
    # 2n components per row (H and L); the error bound of the sum stays below
    # the exponentials' own (2**-104 and 2**-69 relative).
    sums = _compensated.RowExtractor(rows, 2 * n, error_bits=110 if wide else 72,
                                     bound=bound)
    near_zero = np.zeros(rows)
    block = max(1, _COMPENSATED_CHUNK_ELEMS // rows)
    for start in range(0, n, block):
        x = np.asarray(xb[:, start:start + block], dtype=_F64)
        h, low = _compensated.exp_dd(x, accuracy)
        if has_large.any():
            ri, ci = np.nonzero(x > threshold)
            if ri.size:
                h[ri, ci], low[ri, ci], smallest = _compensated.expm1_td(x[ri, ci])
                near_zero += np.bincount(ri, minlength=rows)
                sums.add_small(ri, smallest)
        sums.add(h, [low])
    hi, lo = sums.result(1.0 - near_zero)
    excess = hi + lo
    out = np.log1p(excess)
    far = excess < -0.5
    if far.any():
        thi, tlo = sums.result(-near_zero)
        out[far] = np.log(thi[far]) + tlo[far] / thi[far]
    return out


def softmax(x: ArrayLike, *, axis: Axes = -1, where: ArrayLike | None = None,
            validate: bool = True) -> FloatArray:
    r"""Softmax along ``axis``: :math:`e^{x_i - m} / \sum_j e^{x_j - m}`.

    Parameters
    ----------
    x : array_like, shape (..., n, ...)
        Logits; ``-inf`` entries have weight 0.
    axis : int, tuple of ints or None, default -1
        Axis (or axes: their entries together) along which the result sums to 1.
    where : array_like of bool, optional
        Broadcastable to ``x``; entries where it is False are excluded: they
        get exactly 0, as ``-inf`` logits do, and the others sum to 1 (NaN or
        ``+inf`` in an excluded entry is ignored).  A row with every entry
        excluded raises ``ValueError`` like an all ``-inf`` row.
    validate : bool, default True
        Check for NaN, ``+inf`` and all ``-inf`` rows.

    Returns
    -------
    ndarray or scalar
        Same shape and dtype as ``x``: entries >= 0 summing to 1 along ``axis``.

    Raises
    ------
    TypeError
        ``x`` is complex, object or string; ``where`` is not boolean; ``axis``
        is not an integer.
    ValueError
        NaN or ``+inf`` in ``x`` (inf/inf has no value), a row of only ``-inf``
        or excluded entries (nothing to normalise), ``axis`` out of range or
        of length 0; ``where`` does not broadcast.

    See Also
    --------
    log_softmax : its logarithm, accurate where softmax underflows
    logsumexp : the normaliser
    sigmoid : the two-class case

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \operatorname{softmax}(x)_i = \frac{e^{x_i - m}}{1 + \sum_{j \ne i^*}
              e^{x_j - m}}, \qquad m = \max_j x_j .

    The rounding of ``x_i - m`` is multiplied by ``|x_i - m|`` in the
    exponential (a relative error of up to 350 eps at ``x_i - m = -700``); the
    exact rounding error is recovered with TwoSum and applied as
    ``exp(d)(1 + d_lo)``, so entries far below the max keep a relative error of
    a few eps until they underflow.  ``-inf`` entries give exactly 0.

    References
    ----------
    Blanchard, Higham, Higham, "Accurately computing the log-sum-exp and
    softmax functions", IMA J. Numer. Anal. 41 (2021).
    Knuth, *The Art of Computer Programming*, vol. 2, 3rd ed., sec. 4.2.2
    (TwoSum: the exact rounding error of a floating-point sum).

    Examples
    --------
    >>> softmax([1000.0, 1000.0]).tolist()
    [0.5, 0.5]
    >>> float(softmax([0.0, -700.123456789])[1])  # far below the max, still accurate
    8.714572062279225e-305
    >>> softmax([1.0, np.nan, 1.0], where=[True, False, True]).tolist()
    [0.5, 0.0, 0.5]
    """
    if (xp := _ns.foreign_namespace(x, where, names=("x", "where"))) is not None:
        return _xps.softmax(xp, x, axis=axis, where=where,
                               validate=v.check_bool(validate, "validate"))
    v.check_bool(validate, "validate")
    lay = _prepare_rows(x, axis, allow_empty=not validate, where=where)
    out2 = np.empty(lay.rows2d.shape, lay.rows2d.dtype)
    if out2.shape[1] == 0:  # validate=False only: an empty result, as SciPy's
        return lay.restore(out2)

    def body(chunk: slice, xb: np.ndarray, bufs: dict[str, np.ndarray]) -> np.ndarray:
        m, rest, _, _, e = _exp_and_rest(xb, bufs)
        if xb.dtype == _F64:
            np.divide(e, 1.0 + rest, out=out2[chunk])
        else:  # the reciprocal's 1e-16 vanishes in the rounding to float32 (and is faster)
            np.multiply(e, 1.0 / (1.0 + rest), out=out2[chunk], casting="same_kind")
        return m

    maxima = _run_rows(lay.rows2d, body, (_backend.SOFTMAX, out2))
    if validate:
        _check_rows(lay, maxima, normalised=True, masked=where is not None)
    return lay.restore(out2)


def log_softmax(x: ArrayLike, *, axis: Axes = -1, where: ArrayLike | None = None,
                validate: bool = True) -> FloatArray:
    r"""Log of softmax along ``axis``: :math:`x_i - \operatorname{LSE}(x)`.

    Parameters
    ----------
    x : array_like, shape (..., n, ...)
        Logits; ``-inf`` entries give ``-inf``.
    axis : int, tuple of ints or None, default -1
        Axis (or axes) along which ``exp`` of the result sums to 1.
    where : array_like of bool, optional
        Broadcastable to ``x``; entries where it is False are excluded and get
        exactly ``-inf``, as ``-inf`` logits do (NaN or ``+inf`` there is
        ignored).  A row with every entry excluded raises ``ValueError`` like
        an all ``-inf`` row.
    validate : bool, default True
        Check for NaN, ``+inf`` and all ``-inf`` rows.

    Returns
    -------
    ndarray or scalar
        Same shape and dtype as ``x``, entries <= 0.

    Raises
    ------
    TypeError
        ``x`` is complex, object or string; ``where`` is not boolean; ``axis``
        is not an integer.
    ValueError
        NaN or ``+inf`` in ``x``, a row of only ``-inf`` or excluded entries,
        ``axis`` out of range or of length 0; ``where`` does not broadcast.

    See Also
    --------
    softmax : its exponential
    logsumexp : the normaliser
    softmax_cross_entropy : the loss built on it

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \log\operatorname{softmax}(x)_i = (x_i - m) - \operatorname{log1p}
              \Big(\sum_{j \ne i^*} e^{x_j - m}\Big) .

    At a dominant logit the result is ``-log1p(R)`` with ``R`` tiny, accurate
    to a few eps ([50, 0, 0] gives -3.86e-22 at the max, where ``x - LSE(x)``
    gives 0); elsewhere it is a sum of two non-positive terms (no
    cancellation), with the rounding error of ``x_i - m`` added back.  Accurate
    where softmax underflows.

    References
    ----------
    Blanchard, Higham, Higham, "Accurately computing the log-sum-exp and
    softmax functions", IMA J. Numer. Anal. 41 (2021).
    Knuth, *The Art of Computer Programming*, vol. 2, 3rd ed., sec. 4.2.2
    (TwoSum: the exact rounding error of a floating-point sum).

    Examples
    --------
    >>> float(log_softmax([50.0, 0.0, 0.0])[0])
    -3.8574996959278356e-22
    >>> float(log_softmax([0.0, -1e4])[1])  # softmax underflows to 0; its log does not
    -10000.0
    >>> log_softmax([0.0, 5.0, 0.0], where=[True, False, True]).tolist()
    [-0.6931471805599453, -inf, -0.6931471805599453]
    """
    if (xp := _ns.foreign_namespace(x, where, names=("x", "where"))) is not None:
        return _xps.log_softmax(xp, x, axis=axis, where=where,
                                   validate=v.check_bool(validate, "validate"))
    v.check_bool(validate, "validate")
    lay = _prepare_rows(x, axis, allow_empty=not validate, where=where)
    out2 = np.empty(lay.rows2d.shape, lay.rows2d.dtype)
    if out2.shape[1] == 0:  # validate=False only: an empty result, as SciPy's
        return lay.restore(out2)

    def body(chunk: slice, xb: np.ndarray, bufs: dict[str, np.ndarray]) -> np.ndarray:
        m, rest, d, lo, _ = _exp_and_rest(xb, bufs)
        log_norm = np.log1p(rest)
        if lo is None:
            np.subtract(d, log_norm, out=out2[chunk], casting="same_kind")
        else:
            np.subtract(d, log_norm, out=d)
            np.add(d, lo, out=out2[chunk])  # add back the rounding of x - m
        return m

    maxima = _run_rows(lay.rows2d, body, (_backend.LOG_SOFTMAX, out2))
    if validate:
        _check_rows(lay, maxima, normalised=True, masked=where is not None)
    return lay.restore(out2)


# ----------------------------------------------------------------------------
# Elementwise functions: computed in float64 (float32 input rounded once).
# ----------------------------------------------------------------------------

def _elementwise(x: ArrayLike, validate: bool, formula: Callable[[np.ndarray], np.ndarray],
                 scalar_formula: Callable[[float], float]) -> Any:
    if type(x) is float or type(x) is np.float64:
        # A float64 scalar: the same formula with the math module, about ten
        # times cheaper per call than NumPy's scalar ufuncs and errstate.
        if validate and x != x:
            v.check_no_nan(np.asarray(x), "x")
        return np.float64(scalar_formula(float(x)))
    arr, out_dtype = v.as_float_array(x, "x")
    if validate:
        v.check_no_nan(arr, "x")
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        out = formula(np.asarray(arr, dtype=np.promote_types(arr.dtype, _F64)))
    return v.restore_dtype(out.astype(arr.dtype, copy=False), out_dtype)


def _sigmoid_formula(x: np.ndarray) -> np.ndarray:
    z = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    # x >= 0: 1 / (1 + e^-x);  x < 0: e^x / (1 + e^x), no cancellation in either tail
    return np.where(x >= 0, 1.0, z) / (1.0 + z)


def _sigmoid_scalar(x: float) -> float:
    z = math.exp(-abs(x))
    return (1.0 if x >= 0 else z) / (1.0 + z)


def _softplus_formula(x: np.ndarray) -> np.ndarray:
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): exp never overflows, and for
    # x << 0 log1p(e^x) ~ e^x keeps full relative accuracy.
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _softplus_scalar(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _log_sigmoid_formula(x: np.ndarray) -> np.ndarray:
    # log sigma(x) = -softplus(-x) = min(x, 0) - log1p(e^-|x|)
    return np.minimum(x, 0.0) - np.log1p(np.exp(-np.abs(x)))


def _log_sigmoid_scalar(x: float) -> float:
    return min(x, 0.0) - math.log1p(math.exp(-abs(x)))


def sigmoid(x: ArrayLike, *, validate: bool = True) -> FloatResult:
    r"""Logistic sigmoid :math:`\sigma(x) = 1 / (1 + e^{-x})`, elementwise.

    Parameters
    ----------
    x : array_like
        Any shape; ``+-inf`` give the limits 1 and 0.
    validate : bool, default True
        Check for NaN.

    Returns
    -------
    ndarray or scalar
        Same shape and dtype as ``x``, values in [0, 1].

    Raises
    ------
    TypeError
        ``x`` is complex, object or string.
    ValueError
        ``x`` holds NaN.

    See Also
    --------
    log_sigmoid : its logarithm
    softplus : its antiderivative
    softmax : the multi-class case

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \sigma(x) = \begin{cases} 1/(1 + e^{-x}) & x \ge 0 \\
              e^{x}/(1 + e^{x}) & x < 0 \end{cases}

    Both branches exponentiate ``-|x|`` (no overflow) and neither subtracts
    nearly equal numbers, so both tails keep a relative error of a few eps;
    the lower tail follows ``e^x`` into the subnormals and rounds to 0 below
    them.

    References
    ----------
    Mächler, "Accurately computing ``log(1 - exp(-|a|))``", Rmpfr package
    vignette (2012): the log1p/exp forms and where each is exact enough.

    Examples
    --------
    >>> float(sigmoid(-700.0))  # e^-700, not 0
    9.85967654375977e-305
    >>> float(sigmoid(0.0))
    0.5
    """
    if type(x) not in _HOST and (xp := _ns.foreign_namespace(x)) is not None:
        return _xps.sigmoid(xp, x, validate=v.check_bool(validate, "validate"))
    v.check_bool(validate, "validate")
    return _elementwise(x, validate, _sigmoid_formula, _sigmoid_scalar)


def softplus(x: ArrayLike, *, validate: bool = True) -> FloatResult:
    r"""Softplus :math:`\log(1 + e^{x})`, elementwise.

    Parameters
    ----------
    x : array_like
        Any shape; ``softplus(+inf) = +inf``, ``softplus(-inf) = 0``.
    validate : bool, default True
        Check for NaN.

    Returns
    -------
    ndarray or scalar
        Same shape and dtype as ``x``, values >= 0.

    Raises
    ------
    TypeError
        ``x`` is complex, object or string.
    ValueError
        ``x`` holds NaN.

    See Also
    --------
    log_sigmoid : softplus(x) = -log_sigmoid(-x)
    sigmoid : its derivative

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \operatorname{softplus}(x) = \max(x, 0) + \operatorname{log1p}(e^{-|x|})

    No threshold switch (PyTorch returns ``x`` above 20 and loses up to 4e5
    eps just above it); ``log1p`` keeps full relative accuracy for very
    negative ``x``, where softplus(x) ~ e^x.  Below about -745 (float64) the
    exact value is under half the smallest subnormal and the correctly rounded
    result is 0: ``softplus(-800)`` = 3.7e-348 returns 0.0.

    References
    ----------
    Mächler, "Accurately computing ``log(1 - exp(-|a|))``", Rmpfr package
    vignette (2012): the log1p/exp forms and where each is exact enough.

    Examples
    --------
    >>> float(softplus(-700.0))
    9.85967654375977e-305
    >>> float(softplus(30.0))  # 30 + 9.4e-14, not 30
    30.000000000000092
    """
    if type(x) not in _HOST and (xp := _ns.foreign_namespace(x)) is not None:
        return _xps.softplus(xp, x, validate=v.check_bool(validate, "validate"))
    v.check_bool(validate, "validate")
    return _elementwise(x, validate, _softplus_formula, _softplus_scalar)


def log_sigmoid(x: ArrayLike, *, validate: bool = True) -> FloatResult:
    r"""Log of the sigmoid, :math:`\log \sigma(x) = -\operatorname{softplus}(-x)`.

    Parameters
    ----------
    x : array_like
        Any shape; ``log_sigmoid(+inf) = 0``, ``log_sigmoid(-inf) = -inf``.
    validate : bool, default True
        Check for NaN.

    Returns
    -------
    ndarray or scalar
        Same shape and dtype as ``x``, values <= 0.

    Raises
    ------
    TypeError
        ``x`` is complex, object or string.
    ValueError
        ``x`` holds NaN.

    See Also
    --------
    sigmoid : its exponential
    softplus : log_sigmoid(x) = -softplus(-x)
    sigmoid_binary_cross_entropy : the loss built on it

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: \log\sigma(x) = \min(x, 0) - \operatorname{log1p}(e^{-|x|})

    For large positive ``x`` the result is ``-log1p(e^{-x})``, about
    ``-e^{-x}``, with full relative accuracy (``log(sigmoid(40))`` is 0).

    References
    ----------
    Mächler, "Accurately computing ``log(1 - exp(-|a|))``", Rmpfr package
    vignette (2012): the log1p/exp forms and where each is exact enough.

    Examples
    --------
    >>> float(log_sigmoid(40.0))
    -4.248354255291589e-18
    >>> float(log_sigmoid(-1000.0))
    -1000.0
    """
    if type(x) not in _HOST and (xp := _ns.foreign_namespace(x)) is not None:
        return _xps.log_sigmoid(xp, x, validate=v.check_bool(validate, "validate"))
    v.check_bool(validate, "validate")
    return _elementwise(x, validate, _log_sigmoid_formula, _log_sigmoid_scalar)

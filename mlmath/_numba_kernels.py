"""Compiled (numba) row kernels for logsumexp, softmax, log_softmax and the cross-entropy.

Imported only by :mod:`mlmath._backend` when numba is installed and the numba
backend is selected; the NumPy code in :mod:`mlmath.special` stays the
reference, and the property suite and accuracy tests run on both.

The algorithm is the reference path's, row by row (Blanchard, Higham and
Higham's shifted, ``log1p`` form): the row max ``m`` and one index ``i*``
holding it; ``e_i = exp(x_i - m)``, for float64 input corrected by the exact
rounding error of ``x_i - m`` (Knuth's TwoSum); ``R = sum_{i != i*} e_i`` by
compensated summation; then ``m + log1p(R)``, ``e_i / (1 + R)`` or
``(x_i - m) - log1p(R) + lo_i``.  float32 input is widened to float64 in
registers (never in a float64 copy of the input).

Why a private ``exp``: NumPy's ``exp`` is vectorised (SIMD) but a numba loop
calling ``math.exp`` is not, and would be several times slower than the
passes around it.  :func:`_exp_parts` reduces ``d <= 0`` as ``d = k ln 2 + r``
(Cody and Waite, with the two-part ``ln 2`` of fdlibm), ``|r| <= ln 2 / 2``,
evaluates ``expm1(r)`` by its Taylor polynomial to degree 13 (truncation below
2**-60) and forms ``(1 + expm1(r)) 2**k`` with the power of two built from its
bits, in two halves so that neither leaves the normal range.  Every loop is
plain arithmetic that LLVM vectorises; the result is within about 1 ulp of
``exp`` (the tests compare the kernels with mpmath at 50 digits, like the
reference path).  Contraction to fused multiply-adds is allowed (it only
removes roundings); reassociation is not (it would undo TwoSum).

The kernels are serial and release the GIL: :mod:`mlmath._rows` schedules
row chunks over threads exactly as for the NumPy path, and every row is
computed by the same compiled code whichever thread runs it, so results do
not depend on the thread count.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

# What run_rows computes (defined where NumPy-only callers can import them).
from mlmath._backend import LOG1P_REST, LOGSUMEXP, SOFTMAX

__all__ = ["run_rows"]

_LOG2E = 1.4426950408889634
# fdlibm's ln 2 in two parts: _LN2_HI has 21 trailing zero bits, so k * _LN2_HI
# is exact for every |k| <= 1075 met here.
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
# 1/k! for k = 2..13: the Taylor tail of expm1 on |r| <= ln2/2 is below 2**-60.
(_C2, _C3, _C4, _C5, _C6, _C7, _C8, _C9, _C10, _C11, _C12, _C13) = (
    1.0 / math.factorial(k) for k in range(2, 14))
#: exp(-746) rounds to 0 in float64; clamping there also maps -inf (weight 0).
_EXP_FLOOR = -746.0
#: Entries per block of the sums.  A block is summed with reassociation (so
#: that it is vectorised): its error is at most that of a sequential sum of 512
#: non-negative terms, and the vectoriser's partial sums make it much smaller
#: in practice; the block sums are then accumulated with TwoSum, so the row
#: length does not add to the error.  (NumPy's pairwise sum, the reference
#: path's, has the same structure with blocks of 128.)
_BLOCK = 512

#: Compiled without reassociation (it would undo TwoSum and the exp reduction);
#: contraction to fused multiply-adds only removes roundings.
_exact = nb.njit(boundscheck=False, error_model="numpy", fastmath={"contract"}, nogil=True,
                 cache=True)
_exact_inlined = nb.njit(boundscheck=False, error_model="numpy", fastmath={"contract"},
                         nogil=True, cache=True, inline="always")
#: Reassociation only where a plain sum of non-negative terms is formed (so that
#: it is vectorised).
_reassociating = nb.njit(boundscheck=False, error_model="numpy",
                         fastmath={"contract", "reassoc"}, nogil=True, cache=True)


@intrinsic
def _float_from_bits(typingctx: object, bits: types.Type) -> tuple[object, object]:
    """The float64 whose IEEE bit pattern is the int64 ``bits`` (a register move)."""
    def codegen(context: object, builder: ir.IRBuilder, signature: object,
                args: list[ir.Value]) -> ir.Value:
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@_exact_inlined
def _reduce(d: float) -> tuple[float, int]:
    """``d = k ln 2 + r`` with ``|r| <= ln(2)/2`` (Cody and Waite), for ``d <= 0``."""
    d = d if d > _EXP_FLOOR else _EXP_FLOOR
    kf = np.floor(d * _LOG2E + 0.5)
    return (d - kf * _LN2_HI) - kf * _LN2_LO, np.int64(kf)


@_exact_inlined
def _times_power_of_two(p: float, k: int) -> float:
    """``p * 2**k`` from the exponent bits, in two factors that are normal numbers
    even for ``k = -1075`` (so only a subnormal result is rounded)."""
    half = k >> 1
    # (numba's intrinsic protocol takes the typing context first: mypy sees 2 arguments)
    low: float = _float_from_bits((half + 1023) << 52)  # type: ignore[call-arg]
    high: float = _float_from_bits((k - half + 1023) << 52)
    return (p * low) * high


@_exact_inlined
def _exp_from_degree_8(q: float, r: float, k: int) -> float:
    """``exp(k ln 2 + r)`` from ``q``, the Horner value of the expm1 polynomial down
    to its degree-8 coefficient: the remaining steps, shared by both degrees."""
    q = q * r + _C7
    q = q * r + _C6
    q = q * r + _C5
    q = q * r + _C4
    q = q * r + _C3
    q = q * r + _C2
    # 1 + expm1(r): the final addition rounds once, expm1(r) carries its own error
    return _times_power_of_two(1.0 + (r + r * r * q), k)


@_exact_inlined
def _exp_nonpositive(d: float) -> float:
    """``exp(d)`` for ``d <= 0`` (``-inf`` included), within about 1 ulp of float64:
    the Taylor polynomial to degree 13."""
    r, k = _reduce(d)
    q = _C13
    q = q * r + _C12
    q = q * r + _C11
    q = q * r + _C10
    q = q * r + _C9
    q = q * r + _C8
    return _exp_from_degree_8(q, r, k)


@_exact_inlined
def _exp_nonpositive_for_float32(d: float) -> float:
    """``exp(d)`` for ``d <= 0`` to a relative 2**-31 (float32 results): the Taylor
    polynomial to degree 8 (tail below 2**-32 on ``|r| <= ln(2)/2``)."""
    r, k = _reduce(d)
    return _exp_from_degree_8(_C8, r, k)


@_exact_inlined
def _difference(x: float, m: float) -> tuple[float, float]:
    """``(d, lo)`` with ``d = fl(x - m)`` and ``lo = (x - m) - d`` exactly (TwoSum).

    ``lo`` is 0 where ``d`` is -inf (x = -inf, or a difference that overflows),
    where TwoSum gives NaN and exp is 0 anyway.
    """
    d = x - m
    t = d - x
    lo = (x - (d - t)) - (t + m)
    return d, (lo if d > -np.inf else 0.0)


@_exact
def _exp_narrow(row: np.ndarray, m: float, e: np.ndarray, full: bool) -> None:
    """``e = exp(row - m)`` for float32 rows: the difference is formed in float64.

    ``full``: to float64 accuracy, as logsumexp needs (its cancellation test
    assumes float64-accurate terms, see ``special._refine_cancelling_rows``);
    otherwise to 2**-31, ample for softmax and log_softmax in float32.
    """
    if full:
        for j in range(row.shape[0]):
            e[j] = _exp_nonpositive(np.float64(row[j]) - m)
    else:
        for j in range(row.shape[0]):
            e[j] = _exp_nonpositive_for_float32(np.float64(row[j]) - m)


@_exact
def _exp_wide(row: np.ndarray, m: float, e: np.ndarray) -> None:
    """``e = exp(row - m)`` for float64 rows, times ``1 + lo`` (the rounding of ``row - m``)."""
    for j in range(row.shape[0]):
        d, lo = _difference(row[j], m)
        p = _exp_nonpositive(d)
        e[j] = p + p * lo


@_reassociating
def _block_sum_below(row: np.ndarray, e: np.ndarray, m: float) -> tuple[float, int]:
    """``sum of e_j where row_j < m`` and the number of ``row_j == m``."""
    total = 0.0
    ties = 0
    for j in range(row.shape[0]):
        x = np.float64(row[j])
        total += e[j] if x < m else 0.0
        ties += x == m
    return total, ties


@_exact
def _rest(row: np.ndarray, e: np.ndarray, m: float) -> float:
    """``R = sum_{j != i*} e_j`` (one entry equal to the max left out): block sums
    accumulated by TwoSum, plus the other ties with the max (``e = 1`` each)."""
    total = 0.0
    low = 0.0
    ties = 0
    for start in range(0, row.shape[0], _BLOCK):
        value, count = _block_sum_below(row[start:start + _BLOCK], e[start:start + _BLOCK], m)
        ties += count
        s = total + value
        b = s - total
        low += (total - (s - b)) + (value - b)
        total = s
    # the other ties count 1 each; a row without its max (shifted by 0 because
    # every entry is -inf, see losses._shifted_exp) has nothing to leave out
    return (total + low) + max(ties - 1, 0)


@_exact
def _softmax_out(e: np.ndarray, rest: float, out: np.ndarray, wide: bool) -> None:
    if wide:
        denominator = 1.0 + rest
        for j in range(e.shape[0]):
            out[j] = e[j] / denominator
    else:  # the reciprocal's 1e-16 vanishes in the rounding to float32
        inverse = 1.0 / (1.0 + rest)
        for j in range(e.shape[0]):
            out[j] = e[j] * inverse


@_exact
def _log_softmax_out(row: np.ndarray, m: float, log_norm: float, out: np.ndarray,
                     wide: bool) -> None:
    if wide:
        for j in range(row.shape[0]):
            d, lo = _difference(row[j], m)
            out[j] = (d - log_norm) + lo  # the rounding of x - m added back
    else:
        for j in range(row.shape[0]):
            out[j] = (np.float64(row[j]) - m) - log_norm


@_exact
def run_rows(kind: int, x: np.ndarray, maxima: np.ndarray, out: np.ndarray,
             wide: bool) -> None:
    """Fill ``out`` for the rows of ``x`` whose max ``maxima[i]`` is finite.

    ``kind`` (:mod:`mlmath._backend`) is ``LOGSUMEXP`` or ``LOG1P_REST``
    (``log1p(R)`` alone, the log-partition of the cross-entropy, in
    ``out[i, 0]``), ``SOFTMAX`` or ``LOG_SOFTMAX`` (``out[i]``, the dtype of
    ``x``).  Rows without a finite max (NaN, +inf, all -inf) are left to the
    caller.  Releases the GIL: the caller's row scheduler runs chunks of rows in
    threads.  ``wide``: ``x`` is float64 (else float32).
    """
    e = np.empty(x.shape[1])
    for i in range(x.shape[0]):
        m = maxima[i]
        if not np.isfinite(m):
            continue
        row = x[i]
        if wide:
            _exp_wide(row, m, e)
        else:
            _exp_narrow(row, m, e, kind == LOGSUMEXP or kind == LOG1P_REST)
        rest = _rest(row, e, m)
        if kind == LOGSUMEXP:
            out[i, 0] = m + np.log1p(rest)
        elif kind == LOG1P_REST:
            out[i, 0] = np.log1p(rest)
        elif kind == SOFTMAX:
            _softmax_out(e, rest, out[i], wide)
        else:
            _log_softmax_out(row, m, np.log1p(rest), out[i], wide)

"""Compiled (numba) row kernels: logsumexp, softmax, log_softmax, the cross-entropy, entropy, KL.

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

The entropy and KL kernels (:func:`information_rows`) evaluate the
reference path's terms (:mod:`mlmath.information`: ``-p log p`` and the KL
term's series and direct forms) with a private ``log`` for the same reason:
the argument is split into exponent and mantissa from its bits, the mantissa
reduced to ``[sqrt(1/2), sqrt(2))`` and ``log(1 + f) = 2 atanh(f / (2 + f))``
evaluated by its Taylor series (fdlibm's scheme, with exact coefficients
instead of a fit), within about 1 ulp.  ``log(p / q)`` is formed from the
mantissa ratio and the exponent difference, so it neither overflows nor
underflows for subnormal ``q`` or ``p``.

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
from mlmath._backend import ENTROPY, LOG1P_REST, LOGSUMEXP, SOFTMAX
from mlmath._compensated import _TABLE_BITS

__all__ = ["ce_index_rows", "information_rows", "lse_cancelling_rows", "run_rows",
           "shifted_exp_rows"]

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


@intrinsic
def _bits_from_float(typingctx: object, value: types.Type) -> tuple[object, object]:
    """The int64 IEEE bit pattern of the float64 ``value`` (a register move)."""
    def codegen(context: object, builder: ir.IRBuilder, signature: object,
                args: list[ir.Value]) -> ir.Value:
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


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
def _two_sum(a: float, b: float) -> tuple[float, float]:
    """``(s, e)`` with ``s = fl(a + b)`` and ``a + b = s + e`` exactly (Knuth's TwoSum;
    no products, so contraction cannot change it)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


@_exact_inlined
def _difference(x: float, m: float) -> tuple[float, float]:
    """``(d, lo)`` with ``d = fl(x - m)`` and ``lo = (x - m) - d`` exactly (TwoSum).

    ``lo`` is 0 where ``d`` is -inf (x = -inf, or a difference that overflows),
    where TwoSum gives NaN and exp is 0 anyway.
    """
    d, lo = _two_sum(x, -m)
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
        total, error = _two_sum(total, value)
        low += error
    # the other ties count 1 each; a row without its max (shifted by 0 because
    # every entry is -inf, see losses._shifted_exp) has nothing to leave out
    return (total + low) + max(ties - 1, 0)


@_exact
def _shifted_exp_rest(row: np.ndarray, m: float, e: np.ndarray, wide: bool, full: bool
                      ) -> float:
    """``e = exp(row - m)`` (:func:`_exp_wide` for float64 rows, :func:`_exp_narrow`
    with ``full`` for float32) and ``R``, the sum without one maximal entry (:func:`_rest`)."""
    if wide:
        _exp_wide(row, m, e)
    else:
        _exp_narrow(row, m, e, full)
    return _rest(row, e, m)


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
        rest = _shifted_exp_rest(row, m, e, wide, kind == LOGSUMEXP or kind == LOG1P_REST)
        if kind == LOGSUMEXP:
            out[i, 0] = m + np.log1p(rest)
        elif kind == LOG1P_REST:
            out[i, 0] = np.log1p(rest)
        elif kind == SOFTMAX:
            _softmax_out(e, rest, out[i], wide)
        else:
            _log_softmax_out(row, m, np.log1p(rest), out[i], wide)


@_exact
def shifted_exp_rows(x: np.ndarray, maxima: np.ndarray, e: np.ndarray, rest: np.ndarray,
                     wide: bool) -> None:
    """``e[i] = exp(x[i] - m_i)`` (float64; TwoSum-corrected for float64 ``x``, to float64
    accuracy for float32) and ``rest[i] = R``, the sum without one entry equal to the
    max: what the cross-entropy gradient needs (``losses._shifted_exp``).  Rows
    without a finite max are left to the caller.  Releases the GIL."""
    for i in range(x.shape[0]):
        m = maxima[i]
        if not np.isfinite(m):
            continue
        rest[i] = _shifted_exp_rest(x[i], m, e[i], wide, True)

@_exact
def ce_index_rows(x: np.ndarray, labels: np.ndarray, ignore: int, has_ignore: bool,
                  out: np.ndarray, wide: bool) -> tuple[int, int]:
    """Per-row softmax cross-entropy with class-index targets, no weights, no smoothing:
    ``out[i] = (m - x[i, y]) + log1p(R)`` (0 for an ignored row), the terms of
    ``losses._block_loss`` in its order.  Returns ``(status, counted)``: status 0
    when every label is in range (or ignored) and every row's max is finite (an
    ignored row may be all ``-inf``); otherwise 1 and the caller's general path
    (which names the offending entry) is taken.  Releases the GIL."""
    rows, n = x.shape
    e = np.empty(n)
    counted = 0
    for i in range(rows):
        y = labels[i]
        row = x[i]
        m = -np.inf
        for j in range(n):  # NaN never wins a comparison: tested below
            v = np.float64(row[j])
            m = v if v > m else m
        if has_ignore and y == ignore:
            if m == -np.inf or np.isfinite(m):
                has_nan = False
                for j in range(n):
                    has_nan |= row[j] != row[j]
                if not has_nan:
                    out[i] = 0.0
                    continue
            return 1, counted
        if y < 0 or y >= n or not np.isfinite(m):
            return 1, counted
        has_nan = False
        for j in range(n):
            has_nan |= row[j] != row[j]
        if has_nan:
            return 1, counted
        out[i] = (m - np.float64(row[y])) + np.log1p(_shifted_exp_rest(row, m, e, wide, True))
        counted += 1
    return 0, counted

# --------------------------------------------------------------------------- log
_SMALLEST_NORMAL = 2.0 ** -1022
_TWO_54 = 2.0 ** 54
_SQRT2 = math.sqrt(2.0)
#: 2 / (2j + 1), j = 1..10: log(1 + f) = 2s + s R(s^2) with s = f / (2 + f) and
#: R(z) = sum_j 2 z^j / (2j + 1); for |s| <= 3 - 2 sqrt(2) the omitted terms are
#: below 2**-60 of the result.
(_L1, _L2, _L3, _L4, _L5, _L6, _L7, _L8, _L9, _L10) = (
    2.0 / (2 * j + 1) for j in range(1, 11))


@_exact_inlined
def _mantissa_exponent(x: float) -> tuple[float, int]:
    """``(m, k)`` with ``x = m 2**k`` and ``m`` in [1, 2), for finite ``x > 0``
    (subnormals are scaled by 2**54 first)."""
    tiny = x < _SMALLEST_NORMAL
    # (numba's intrinsic protocol takes the typing context first: mypy sees 2 arguments)
    bits: int = _bits_from_float(x * _TWO_54 if tiny else x)  # type: ignore[call-arg]
    k = ((bits >> 52) & 0x7FF) - (1023 + 54 if tiny else 1023)
    m: float = _float_from_bits((bits & 0xFFFFFFFFFFFFF) | (1023 << 52))
    return m, k


@_exact_inlined
def _log_scaled(t: float, k: int) -> float:
    """``log(t 2**k)`` for finite ``t > 0``, within about 1 ulp (fdlibm's reduction)."""
    m, j = _mantissa_exponent(t)
    k = k + j
    if m > _SQRT2:  # m / 2 is exact; f = m - 1 below is then exact (Sterbenz)
        m = 0.5 * m
        k = k + 1
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    r = _L10
    r = r * z + _L9
    r = r * z + _L8
    r = r * z + _L7
    r = r * z + _L6
    r = r * z + _L5
    r = r * z + _L4
    r = r * z + _L3
    r = r * z + _L2
    r = r * z + _L1
    r = r * z
    hfsq = 0.5 * f * f
    kf = np.float64(k)
    # log(1 + f) = f - hfsq + s (hfsq + R): the large part f is added last
    return kf * _LN2_HI - ((hfsq - (s * (hfsq + r) + kf * _LN2_LO)) - f)


# ----------------------------------------------------- entropy and KL (information)
_INF = np.inf
#: The KL series form (``information._kl_terms``): |d| <= 0.6, B fitted on [0, 0.36].
_KL_SERIES_MAX_X = 0.6 * 0.6


@_exact_inlined
def _neg_xlogx(p: float) -> float:
    """``-p log p`` with the reference's values off the domain too (``validate=False``):
    0 at p = 0 and for p < 0 (``log`` of 1 is taken there), NaN at NaN, -inf at +inf."""
    term = -p * _log_scaled(p if p > 0.0 and p < _INF else 1.0, 0)
    if p == _INF:
        term = -_INF
    return term if p >= 0.0 else -p * 0.0  # NaN stays NaN


@_exact_inlined
def _kl_term(p: float, q: float, b: tuple[float, ...]) -> float:
    """``p log(p/q) - p + q``: the series form for |d| <= 0.6, else the direct one
    (``information._kl_terms``; ``b`` is its 18-coefficient fit of B, lowest
    degree first, passed as a tuple so that the Horner steps are unrolled)."""
    delta = p - q
    d = delta / (p + q)
    x = d * d
    xs = x if x <= _KL_SERIES_MAX_X else _KL_SERIES_MAX_X   # also for NaN
    # Horner on the 18 coefficients, written out (constant indices: vectorised)
    acc = b[17] * xs + b[16]
    acc = acc * xs + b[15]
    acc = acc * xs + b[14]
    acc = acc * xs + b[13]
    acc = acc * xs + b[12]
    acc = acc * xs + b[11]
    acc = acc * xs + b[10]
    acc = acc * xs + b[9]
    acc = acc * xs + b[8]
    acc = acc * xs + b[7]
    acc = acc * xs + b[6]
    acc = acc * xs + b[5]
    acc = acc * xs + b[4]
    acc = acc * xs + b[3]
    acc = acc * xs + b[2]
    acc = acc * xs + b[1]
    acc = acc * xs + b[0]
    series = (delta * d) * (1.0 + d * (1.0 + d) * acc)
    mp, ep = _mantissa_exponent(p if p > 0.0 and p < _INF else 1.0)
    mq, eq = _mantissa_exponent(q if q > 0.0 and q < _INF else 1.0)
    direct = p * _log_scaled(mp / mq, ep - eq) - delta
    term = series if x <= _KL_SERIES_MAX_X else direct
    if q == 0.0:
        term = _INF  # p > 0: p log(p / 0)
    if p == 0.0:
        term = q     # 0 log 0 = 0 and 0 log(0 / q) = 0
    # negative, NaN or infinite input (validate=False only): NaN, as the reference
    return term if (p >= 0.0 and q >= 0.0 and p < _INF and q < _INF) else np.nan


@_exact
def _information_terms(kind: int, p: np.ndarray, q: np.ndarray, b: tuple[float, ...],
                       out: np.ndarray) -> None:
    if kind == ENTROPY:
        for j in range(p.shape[0]):
            out[j] = _neg_xlogx(np.float64(p[j]))
    else:
        for j in range(p.shape[0]):
            out[j] = _kl_term(np.float64(p[j]), np.float64(q[j]), b)


@_reassociating
def _block_sum(values: np.ndarray) -> float:
    """A plain (vectorised) sum of one block."""
    total = 0.0
    for j in range(values.shape[0]):
        total += values[j]
    return total


@_reassociating
def _block_sums(p: np.ndarray, q: np.ndarray) -> tuple[float, float, float, int, int]:
    """Sums of p, of q and of p - q, and the numbers of negative entries of p and
    of q (NaN makes a sum NaN, which the validation reports)."""
    sp = sq = dpq = 0.0
    negative_p = negative_q = 0
    for j in range(p.shape[0]):
        a = np.float64(p[j])
        c = np.float64(q[j])
        sp += a
        sq += c
        dpq += a - c
        negative_p += a < 0.0
        negative_q += c < 0.0
    return sp, sq, dpq, negative_p, negative_q


@_exact
def information_rows(kind: int, p: np.ndarray, q: np.ndarray, b: tuple[float, ...],
                     out: np.ndarray,
                     sums: np.ndarray, mins: np.ndarray) -> None:
    """Per row of ``p`` (and ``q``): ``out[i, 0]`` the sum of the terms (``-p log p``
    for ``ENTROPY``, the KL terms for ``KL``), ``out[i, 1]`` the sum of ``p - q``;
    ``sums[k, i]`` the sums of ``p`` (k = 0) and ``q`` (k = 1), ``mins[k, i]``
    -1 where that row has a negative entry, else 0 (the
    validation tests only the sign of the minima).

    The terms are summed in blocks accumulated by TwoSum, like :func:`run_rows`.
    Releases the GIL (rows are scheduled over threads by the caller).
    """
    n = p.shape[1]
    terms = np.empty(min(n, _BLOCK))
    for i in range(p.shape[0]):
        total = low = sp = sq = dpq = 0.0
        negative_p = negative_q = 0
        for start in range(0, n, _BLOCK):
            stop = min(start + _BLOCK, n)
            pb, qb = p[i, start:stop], q[i, start:stop]
            tb = terms[:stop - start]
            _information_terms(kind, pb, qb, b, tb)
            total, error = _two_sum(total, _block_sum(tb))
            low += error
            bp, bq, bd, np_, nq = _block_sums(pb, qb)
            sp += bp
            sq += bq
            dpq += bd
            negative_p += np_
            negative_q += nq
        # an infinite term (q = 0 < p; +inf in p) leaves TwoSum's correction NaN
        out[i, 0] = total + low if abs(total) < _INF else total
        out[i, 1] = dpq
        sums[0, i], sums[1, i] = sp, sq
        # the validation needs only the sign of the minima
        mins[0, i] = -1.0 if negative_p else 0.0
        mins[1, i] = -1.0 if negative_q else 0.0


# ------------------------------------------- logsumexp rows that cancel (extended precision)
# The compiled twin of ``special._log_sum_exp_compensated`` and of the parts of
# ``mlmath._compensated`` it uses (``exp_dd``, ``expm1_td``, ``RowExtractor``),
# operation for operation, with exact products by fused multiply-add instead of
# Dekker's splitting.  Compiled without contraction or reassociation: the
# error-free transformations need every operation rounded as written.
_strict = nb.njit(boundscheck=False, error_model="numpy", nogil=True, cache=True)
_strict_inlined = nb.njit(boundscheck=False, error_model="numpy", nogil=True, cache=True,
                          inline="always")


@intrinsic
def _fma(typingctx: object, a: types.Type, b: types.Type, c: types.Type
         ) -> tuple[object, object]:
    """``a * b + c`` rounded once (LLVM's ``llvm.fma``: the instruction where the CPU
    has it, a correct software routine where not)."""
    def codegen(context: object, builder: ir.IRBuilder, signature: object,
                args: list[ir.Value]) -> ir.Value:
        double = ir.DoubleType()
        fn = builder.module.declare_intrinsic(
            "llvm.fma", [double], ir.FunctionType(double, [double, double, double]))
        return builder.call(fn, args)
    return types.float64(types.float64, types.float64, types.float64), codegen


@_strict_inlined
def _fast_two_sum(a: float, b: float) -> tuple[float, float]:
    s = a + b
    return s, b - (s - a)


@_strict_inlined
def _two_prod(a: float, b: float) -> tuple[float, float]:
    p = a * b
    # (numba's intrinsic protocol takes the typing context first: mypy sees 4 arguments)
    return p, _fma(a, b, -p)  # type: ignore[call-arg, arg-type]


#: Entries per block of a cancelling row: the block's reduced arguments (24 KB) stay
#: in the first-level cache between the two halves of the exponential.
_CANCEL_BLOCK = 1024


@_strict
def _exp_dd_reduce(row: np.ndarray, start: int, wide: bool,
                   c: tuple[float, float, float, float, float], qq: np.ndarray,
                   tail: np.ndarray, k: np.ndarray) -> None:
    """The first half of ``_compensated.exp_dd`` for ``row[start:start + len(qq)]``:
    ``x = k ln2 / N + s`` and ``expm1(s) = qq + tail`` (``wide``: "double-double",
    else "extended", ``tail = 0``); ``c`` = (C1, C2, C3, 1/C, X_MIN).

    No table lookup, so the loop is vectorised; the lookups, which the compiled
    loop can only do one at a time, are left to :func:`_exp_dd_finish`.
    """
    c1, c2, c3, inv_c, x_min = c
    for j in range(qq.shape[0]):
        x = np.float64(row[start + j])
        xc = x if x > x_min else x_min
        kf = np.rint(xc * inv_c)
        if wide:
            a = xc - kf * c1
            s, rest = _two_sum(a, kf * -c2)
            rest -= kf * c3
            sq, sq_err = _two_prod(s, s)
            q, t = _fast_two_sum(s, 0.5 * sq)
            poly = s * (1.0 / 720.0)
            poly += 1.0 / 120.0
            poly *= s
            poly += 1.0 / 24.0
            poly *= sq * sq
            poly += (1.0 / 6.0) * (sq * s)
            t += rest
            t += 0.5 * sq_err
            t += q * rest
            t += poly
        else:
            s = xc - kf * c1
            s -= kf * (c2 + c3)
            q = s * (1.0 / 6.0)
            q += 0.5
            q *= s * s
            q += s
            t = 0.0
        qq[j] = q
        tail[j] = t
        k[j] = np.int64(kf)


@_strict_inlined
def _exp_dd_finish(x: float, qq: float, tail: float, ki: int, wide: bool, table: np.ndarray,
                   x_min: float) -> tuple[float, float]:
    """The second half of ``_compensated.exp_dd``: ``exp(x) = h + low`` from
    :func:`_exp_dd_reduce`'s ``qq + tail`` and ``k`` and the table ``2**(j/N)``
    (rows ``T1, T2, T3, 0``: ``_compensated.exp_dd_constants``)."""
    j = ki & (table.shape[0] - 1)
    # (numba's intrinsic protocol takes the typing context first: mypy sees 2 arguments)
    scale: float = _float_from_bits(((ki >> _TABLE_BITS) + 1023) << 52)  # type: ignore[call-arg]
    big = table[j, 0]
    if wide:
        p, p_err = _two_prod(big, qq)
        h, low = _fast_two_sum(big, p)
        low += p_err
        low += big * tail
        t2j = table[j, 1]
        low += t2j
        low += t2j * qq
        low += table[j, 2]
    else:
        p = qq * big
        h = big + p
        low = p - (h - big)
        low += table[j, 1]
    if x < x_min:  # below 2**-158: the plain exponential
        return _exp_nonpositive(x), 0.0
    return h * scale, low * scale


@_strict
def _divide(hi: float, lo: float, d: float) -> tuple[float, float]:
    q = hi * (1.0 / d)
    p, p_err = _two_prod(q, d)
    return q, (((hi - p) - p_err) + lo) * (1.0 / d)


@_strict
def _expm1_td(x: float, table: np.ndarray, c: tuple[float, float, float, float, float],
              parts: np.ndarray) -> tuple[float, float, float]:
    """``expm1(x) = hi + mid + lo`` for ``x`` in [-4, 0]: ``_compensated.expm1_td``
    (``parts``: a buffer of 20)."""
    c1, c2, c3, inv_c, _ = c
    kf = np.rint(x * inv_c)
    a = x - kf * c1
    s, e1 = _two_sum(a, kf * -c2)
    c3k, c3_err = _two_prod(kf, -c3)
    sq, sq_err = _two_prod(s, s)
    cube, cube_err = _two_prod(s, sq)
    cube_err += s * sq_err
    sixth, sixth_lo = _divide(cube, cube_err, 6.0)
    quart, quart_err = _two_prod(sq, sq)
    quart_err += 2.0 * sq * sq_err
    fourth, fourth_lo = _divide(quart, quart_err, 24.0)
    poly = s * (1.0 / 5040.0) + 1.0 / 720.0
    poly = poly * s + 1.0 / 120.0
    poly *= quart * s
    rest = (e1 + c3k) + c3_err
    ki = np.int64(kf)
    j = ki & (table.shape[0] - 1)
    scale: float = _float_from_bits(((ki >> _TABLE_BITS) + 1023) << 52)  # type: ignore[call-arg]
    big, mid, small = table[j, 0] * scale, table[j, 1] * scale, table[j, 2] * scale
    d, d_err = _two_sum(big, -1.0)
    # the parts in _compensated.expm1_td's order: small, d_err, (the last two), mid, d, ...
    parts[0], parts[1], parts[4], parts[5] = small, d_err, mid, d
    k = 6
    for term in (s, 0.5 * sq, sixth, fourth, e1, c3k):
        hi, lo = _two_prod(big, term)
        parts[k], parts[k + 1] = lo, hi
        k += 2
    hi, lo = _two_prod(mid, s)
    parts[18], parts[19] = lo, hi
    second = 0.5 * sq_err + sixth_lo + fourth_lo + poly + c3_err
    second += rest * (s + 0.5 * sq)
    parts[2] = mid * (0.5 * sq + sixth + rest) + small * s
    parts[3] = big * second
    # renormalise: VecSum five times, then the leading three terms
    n = parts.shape[0]
    for _ in range(5):
        for i in range(n - 1):
            parts[i + 1], parts[i] = _two_sum(parts[i], parts[i + 1])
    tail = parts[0]
    for i in range(1, n - 3):
        tail += parts[i]
    return parts[n - 1], parts[n - 2], parts[n - 3] + tail


@_strict
def _sums_minus(sums: np.ndarray, offset: float) -> tuple[float, float]:
    """``RowExtractor.result``: the level sums (the last one plain) minus ``offset``,
    as a double-double."""
    hi, lo = -offset, 0.0
    levels = sums.shape[0] - 1
    for level in range(levels):
        hi, e = _two_sum(hi, sums[level])
        lo += e
    lo += sums[levels]
    return _two_sum(hi, lo)


@_strict
def lse_cancelling_rows(x: np.ndarray, maxima: np.ndarray, table: np.ndarray,
                        c: tuple[float, float, float, float, float],
                        thresholds: tuple[float, float, int], out: np.ndarray,
                        wide: bool) -> None:
    """``out[i] = log(sum(exp(x[i])))`` for rows with every ``x <= m < 0``, in extended
    precision: ``special._log_sum_exp_compensated`` row by row.

    ``thresholds`` = (large term, large term when few, how few) of the reference
    path; ``table`` and ``c`` the table and reduction constants of
    ``_compensated.exp_dd`` (``exp_dd_constants``); ``wide``: ``x`` is float64 (else
    float32).  Releases the GIL.
    """
    rows, n = x.shape
    error_bits = 110 if wide else 72
    m_bits = max(1, math.ceil(math.log2(2 * n + 2)))
    levels = max(1, math.ceil((error_bits - 53 + math.log2(2 * n)) / (53 - m_bits)))
    large_term, large_term_any, few_large = thresholds
    x_min = c[4]
    block = min(n, _CANCEL_BLOCK)
    qq, tail, k = np.empty(block), np.empty(block), np.empty(block, dtype=np.int64)
    parts = np.empty(20)
    sums = np.empty(levels + 1)
    sigmas = np.empty(levels)
    for i in range(rows):
        row = x[i]
        m = maxima[i]
        few = False
        if m > large_term_any:
            count = 0
            for j in range(n):
                count += np.float64(row[j]) > large_term_any
            few = count <= few_large
        has_large = few or m > large_term
        threshold = large_term_any if few else large_term
        bound = math.exp(m)
        if has_large:
            other_max = -np.inf
            large_min = 0.0
            for j in range(n):
                v = np.float64(row[j])
                if v > threshold:
                    large_min = min(large_min, v)
                else:
                    other_max = max(other_max, v)
            bound = max(math.exp(other_max), -large_min)
        sigmas[0] = 2.0 ** (m_bits + math.frexp(bound)[1])
        for level in range(1, levels):
            sigmas[level] = sigmas[level - 1] * 2.0 ** (m_bits - 53)
        sums[:] = 0.0
        sigma0 = sigmas[0]
        lead = 0.0  # level 0 (RowExtractor.add: the h's highs)
        rest_h = 0.0  # the last level, summed plainly
        rest_low = 0.0
        smallest = 0.0
        near_zero = 0.0
        for start in range(0, n, block):
            size = min(block, n - start)
            _exp_dd_reduce(row, start, wide, c, qq[:size], tail[:size], k[:size])
            for j in range(size):
                v = np.float64(row[start + j])
                if has_large and v > threshold:
                    h, low, lo = _expm1_td(v, table, c, parts)
                    near_zero += 1.0
                    smallest += lo
                else:
                    h, low = _exp_dd_finish(v, qq[j], tail[j], k[j], wide, table, x_min)
                # The extraction, entry by entry: every level's highs add up exactly
                # in any order, so only the plain last level depends on it.
                high = (h + sigma0) - sigma0
                lead += high
                h -= high
                for level in range(1, levels):  # the later levels: h's and low's remainders
                    sigma = sigmas[level]
                    high = (h + sigma) - sigma
                    h -= high
                    low_high = (low + sigma) - sigma
                    low -= low_high
                    sums[level] += high + low_high
                rest_h += h
                rest_low += low
        sums[0] = lead
        sums[levels] = (rest_h + rest_low) + smallest
        hi, lo = _sums_minus(sums, 1.0 - near_zero)
        excess = hi + lo
        if excess < -0.5:  # no cancellation is left: log of the sum itself
            hi, lo = _sums_minus(sums, -near_zero)
            out[i] = math.log(hi) + lo / hi
        else:
            out[i] = math.log1p(excess)

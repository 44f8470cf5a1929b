r"""Error-free transformations and compensated kernels, vectorised over arrays.

The one home of mlmath's extended-precision arithmetic (``special``,
``information`` and ``attention`` import from here; nothing is copied):

* :func:`two_sum`, :func:`fast_two_sum` -- ``s + e = a + b`` exactly (Knuth;
  Dekker when ``|a| >= |b|``);
* :func:`split`, :func:`two_prod` -- Veltkamp's splitting and Dekker's
  fma-free ``p + e = a * b`` exactly (for products far from under/overflow);
* :func:`dd_sum` -- a double-double sum along the last axis (pairwise TwoSum);
* :func:`exp_dd` -- ``exp(x) = H + L`` for ``x <= 0`` to about 2**-104 relative
  (``"double-double"``) or 2**-70 (``"extended"``), from a 65536-entry table
  of ``2**(j/65536)`` in triple-double and a short polynomial;
* :func:`expm1_td` -- ``expm1`` on [-4, 0] in triple-double, relative to the result;
* :func:`matmul_dd` -- ``a @ b.T`` in double-double through BLAS (Ozaki's
  error-free splitting), for attention scores;
* :class:`RowExtractor` -- row sums of ``[-1, 1]`` components accurate far
  beyond a double (Rump-Ogita-Oishi extraction: the high parts add up exactly).

Every function works elementwise on NumPy arrays of float64 and performs no
Python loop over elements or rows.

References
----------
Knuth, *The Art of Computer Programming*, vol. 2, 3rd ed., sec. 4.2.2.
Dekker, "A floating-point technique for extending the available precision",
Numer. Math. 18 (1971).
Tang, "Table-driven implementation of the exponential function in IEEE
floating-point arithmetic", ACM TOMS 15 (1989).
Rump, Ogita, Oishi, "Accurate floating-point summation part I: faithful
rounding", SIAM J. Sci. Comput. 31 (2008).
Ozaki, Ogita, Oishi, Rump, "Error-free transformations of matrix
multiplication by using fast routines of matrix multiplication and its
applications", Numer. Algorithms 59 (2012).
"""

from __future__ import annotations

import decimal
import functools
import math
from typing import Any, Literal

import numpy as np

__all__ = [
    "RowExtractor",
    "dd_sum",
    "exp_dd",
    "exp_dd_constants",
    "expm1_td",
    "fast_two_sum",
    "matmul_dd",
    "renormalise",
    "split",
    "two_prod",
    "two_sum",
]

Array = np.ndarray
ExpAccuracy = Literal["double-double", "extended"]

#: Veltkamp's splitter 2**27 + 1: ``hi`` keeps the upper 26 bits of a double.
_SPLITTER = 134217729.0


def two_sum(a: Array, b: Array) -> tuple[Array, Array]:
    """``s + e = a + b`` exactly, ``s = fl(a + b)`` (Knuth's TwoSum, any order)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def fast_two_sum(a: Array, b: Array) -> tuple[Array, Array]:
    """``s + e = a + b`` exactly, provided ``|a| >= |b|`` (or a = 0) (Dekker)."""
    s = a + b
    return s, b - (s - a)


def split(a: Array) -> tuple[Array, Array]:
    """``hi + lo = a`` exactly, each with at most 26 significant bits (Veltkamp)."""
    c = _SPLITTER * a
    hi = c - (c - a)
    return hi, a - hi


def two_prod(a: Array, b: Array) -> tuple[Array, Array]:
    """``p + e = a * b`` exactly (Dekker, no fma), for products far from under/overflow."""
    p = a * b
    ah, al = split(a)
    bh, bl = split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def dd_sum(x: Any, axis: int, xp: Any = np) -> tuple[Any, Any]:
    """Double-double sum along ``axis``: ``(hi, lo)`` with hi + lo accurate to ~u**2.

    Pairwise folding with TwoSum at every level; the rounding errors are collected
    separately (their own rounding is second order).  ``xp``: the array's
    namespace (the portable information measures pass their own; the same
    operations, so the same ``hi``).
    """
    x = xp.moveaxis(x, axis, -1)
    concat = np.concatenate if xp is np else xp.concat  # (np.concat: NumPy >= 2 only)
    err = xp.zeros_like(x[..., 0])
    while x.shape[-1] > 1:
        half = x.shape[-1] // 2
        s, e = two_sum(x[..., :half], x[..., half: 2 * half])
        err = _add_into(err, xp.sum(e, axis=-1), xp)
        if x.shape[-1] % 2:
            s = concat([s, x[..., -1:]], axis=-1)
        x = s
    return two_sum(x[..., 0], err)


# ----------------------------------------------------------------------------
# exp(x) = H + L for x <= 0 (Tang's table method, in extended precision).
# ----------------------------------------------------------------------------

#: Table size: 2**16 entries make the reduced argument |s| <= ln2 / 2**17 so small
#: that s**3 / 6 needs no extra precision (its rounding is below 2**-107).
_TABLE_BITS = 16
_N = 1 << _TABLE_BITS
#: Below this argument a term exp(x) < 2**-158 is kept as plain exp(x): its
#: rounding cannot matter, and ``k = rint(x * N / ln2)`` stays below 2**24.
_X_MIN = -110.0
_FIXED_BITS = 150  # fixed-point bits for generating the table exactly


def _fixed(value: decimal.Decimal) -> int:
    return int((value * (decimal.Decimal(2) ** _FIXED_BITS)).to_integral_value())


def _chop(value: decimal.Decimal, bits: int) -> float:
    """``value`` rounded to a double with at most ``bits`` significant bits."""
    mant, exp = math.frexp(float(value))
    return math.ldexp(round(mant * 2.0**bits), exp - bits)


def _reduction_constants() -> tuple[float, float, float, float]:
    """``ln2 / N = C1 + C2 + C3`` (Cody-Waite; C1, C2 of 29 bits: k * C exact) and N / ln2."""
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        c = decimal.Decimal(2).ln() / _N
        c1 = _chop(c, 29)
        c2 = _chop(c - decimal.Decimal(c1), 29)
        c3 = float(c - decimal.Decimal(c1) - decimal.Decimal(c2))
        return c1, c2, c3, float(_N / decimal.Decimal(2).ln())


_C1, _C2, _C3, _INV_C = _reduction_constants()
_C23 = _C2 + _C3


@functools.cache
def _exp2_table() -> tuple[Array, Array, Array]:
    """``2**(j / N) = T1 + T2 + T3`` for j in [0, N), T1 correctly rounded.

    Generated exactly once per process (about 0.1 s): ``2**(j/N) =
    2**(a/256) * 2**(b/N)`` with ``j = 256 a + b``, both factors to 180 bits
    (decimal, 60 digits), multiplied as integers.
    """
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        two = decimal.Decimal(2)
        coarse = [_fixed(two ** (decimal.Decimal(a) / 256)) for a in range(256)]
        fine = [_fixed(two ** (decimal.Decimal(b) / _N)) for b in range(256)]
    t1, t2, t3 = np.empty(_N), np.empty(_N), np.empty(_N)
    scale = -_FIXED_BITS
    for j in range(_N):
        v = (coarse[j >> 8] * fine[j & 255]) >> _FIXED_BITS
        h = float(v)  # correctly rounded (an integer-valued double)
        v -= int(h)
        m = float(v)
        v -= int(m)
        t1[j], t2[j] = math.ldexp(h, scale), math.ldexp(m, scale)
        t3[j] = math.ldexp(float(v), scale)
    return t1, t2, t3


@functools.cache
def exp_dd_constants() -> tuple[Array, tuple[float, float, float, float, float]]:
    """What a compiled :func:`exp_dd` needs: the table ``2**(j/N) = T1 + T2 + T3`` as
    rows ``(T1, T2, T3, 0)`` and ``(C1, C2, C3, N / ln2, X_MIN)``
    (``mlmath._numba_kernels.lse_cancelling_rows``).

    One 32-byte row per entry, so a lookup touches one cache line, not three: the
    compiled loop does its lookups one at a time, and the 1.5 MB table does not fit
    in the cache.
    """
    table = np.zeros((_N, 4))
    for column, part in enumerate(_exp2_table()):
        table[:, column] = part
    return table, (_C1, _C2, _C3, _INV_C, _X_MIN)


def _pow2(q: Array) -> Array:
    """``2.0**q`` for integer arrays ``q`` in the normal range, by building the bits."""
    return ((q + 1023) << 52).view(np.float64)


def _reduce(x: Array) -> tuple[Array, Array, Array, Array, Array]:
    """``x = k ln2 / N + s + rest`` with ``k`` integral and ``|s| <= ln2 / 2N``.

    Returns ``(k, s, rest, sq, sq_err)`` with ``s**2 = sq + sq_err`` exactly;
    ``s + rest`` errs by less than 2**-115 |x| + 2**-104 for ``x >= -110``.
    """
    kf = np.rint(x * _INV_C)
    a = x - kf * _C1  # exact: k * C1 has <= 53 bits and is within a factor 2 of x
    s, rest = two_sum(a, kf * -_C2)  # k * C2 exact; the sum is not
    rest -= kf * _C3
    sq = s * s
    sh, sl = split(s)
    sq_err = sh * sh
    sq_err -= sq
    sq_err += 2.0 * sh * sl
    sq_err += sl * sl
    return kf, s, rest, sq, sq_err


def _expm1_reduced(s: Array, rest: Array, sq: Array, sq_err: Array, *, relative: bool
                   ) -> tuple[Array, Array]:
    """``qq + tail = expm1(s + rest)`` for ``|s| <= ln2 / 2N``.

    Taylor terms to ``s**6``.  The cubic ``s**3 / 6`` is about 2**-37.6 |s|:
    rounded once it errs by 2**-108 absolutely (``relative=False``, enough
    next to a table entry of about 1), but by 2**-91 relative to ``s``; with
    ``relative=True`` it is formed in double-double (two TwoProducts), so the
    error stays below 2**-104 |s|.
    """
    qq, tail = fast_two_sum(s, 0.5 * sq)  # s**2 / 2 is exact
    poly = s * (1.0 / 720.0)
    poly += 1.0 / 120.0
    poly *= s
    poly += 1.0 / 24.0
    poly *= sq * sq  # s**4/24 + s**5/120 + s**6/720
    if relative:
        cube, cube_err = two_prod(s, sq)
        cube_err += s * sq_err  # s**3 = cube + cube_err to 2**-106
        sixth = cube * (1.0 / 6.0)
        six_hi, six_lo = two_prod(sixth, np.full_like(sixth, 6.0))
        cube -= six_hi  # exact (Sterbenz)
        cube -= six_lo
        cube += cube_err
        poly += cube * (1.0 / 6.0)  # the remainder of the division by 6
        qq, carry = fast_two_sum(qq, sixth)  # tail would round s**3/6 to 2**-91 |s|
        tail += carry
    else:
        poly += (1.0 / 6.0) * (sq * s)
    tail += rest
    tail += 0.5 * sq_err
    tail += qq * rest  # rest (s + s**2/2): rest reaches 2**-51 when k is large
    tail += poly
    return qq, tail


def exp_dd(x: Array, accuracy: ExpAccuracy = "double-double") -> tuple[Array, Array]:
    r"""``exp(x) = H + L`` for float64 ``x <= 0`` (``-inf`` allowed), ``|L| <~ 2**-52 H``.

    Tang's method: ``x = (q N + j) ln2 / N + s`` with ``|s| <= ln2 / 2N`` (s
    formed exactly in double-double with a three-piece ``ln2 / N``), so that

    .. math:: e^x = 2^q \, 2^{j/N} \, (1 + \operatorname{expm1}(s)),

    with ``2**(j/N)`` from a triple-double table and ``expm1(s) = s + s^2/2 +
    s^3/6 + s^4/24 + s^5/120`` (``s^2`` exact by Veltkamp's splitting).  The
    product with the table entry is exact (TwoProduct) and the remaining
    terms are collected in ``L``.

    ``accuracy="double-double"``: relative error below 2**-104; ``"extended"``:
    below 2**-69, at a third of the cost (no TwoSum in the reduction, no exact
    square or product).  Arguments below -110 give ``H = exp(x)``, ``L = 0``
    (the term is below 2**-158).
    """
    t1, t2, t3 = _exp2_table()
    xc = np.maximum(x, _X_MIN)  # -inf and far-left arguments: fixed up at the end
    if accuracy == "extended":
        kf = np.rint(xc * _INV_C)
        s = xc - kf * _C1  # exact
        s -= kf * _C23  # error <= 2**-70: enough for a float32 result
        p = s * (1.0 / 6.0)
        p += 0.5
        p *= s * s
        p += s  # expm1(s) to 2**-70 (s**4 / 24 < 2**-74)
    else:
        kf, s, rest, sq, sq_err = _reduce(xc)
        qq, tail = _expm1_reduced(s, rest, sq, sq_err, relative=False)
    ki = kf.astype(np.int64)
    j = ki & (_N - 1)
    scale = _pow2(ki >> _TABLE_BITS)
    big = t1[j]
    if accuracy == "extended":
        p *= big
        h = big + p
        low = h - big
        np.subtract(p, low, out=low)  # exact rounding error of h (|big| >= |p|)
        low += t2[j]
    else:
        p, p_err = two_prod(big, qq)
        h, low = fast_two_sum(big, p)
        low += p_err
        low += big * tail
        t2j = t2[j]
        low += t2j
        low += t2j * qq
        low += t3[j]
    h *= scale
    low *= scale
    far = x < _X_MIN
    if far.any():
        h[far] = np.exp(x[far])
        low[far] = 0.0
    return h, low


def renormalise(parts: list[Array], passes: int = 5) -> tuple[Array, Array, Array]:
    """``(hi, mid, lo)`` with ``hi + mid + lo = sum(parts)`` to about 2**-150 relative.

    Ogita-Rump-Oishi's VecSum (a cascade of TwoSum, which keeps the sum
    exact) applied ``passes`` times; the leading three terms of the result
    carry the sum (each pass about doubles the precision, the last terms
    are then negligible).  ``parts`` should be ordered roughly by increasing
    magnitude.
    """
    p = list(parts)
    for _ in range(passes):
        for i in range(len(p) - 1):
            p[i + 1], p[i] = two_sum(p[i], p[i + 1])
    rest = p[0].copy()
    for extra in p[1:-3]:
        rest += extra
    return p[-1], p[-2], p[-3] + rest


def _divide(hi: Array, lo: Array, d: float) -> tuple[Array, Array]:
    """``(hi + lo) / d`` as ``q + q_lo`` to 2**-106 (d a small integer)."""
    q = hi * (1.0 / d)
    p, p_err = two_prod(q, np.full_like(q, d))  # d q exactly
    return q, (((hi - p) - p_err) + lo) * (1.0 / d)  # hi - p is exact (Sterbenz)


def expm1_td(x: Array) -> tuple[Array, Array, Array]:
    """``expm1(x) = hi + mid + lo`` for float64 ``x`` in [-4, 0], relative error ~2**-115.

    The reduction of :func:`exp_dd` with every product that matters formed
    exactly (TwoProduct) and the ~20 resulting terms summed error-free
    (:func:`renormalise`); ``2**(k/N) - 1`` comes from the table with one
    TwoSum, so every error is relative to the result.  For the few large
    terms of a cancelling ``logsumexp`` row (at most a few per row), whose
    error must stay below ``eps |r|`` with ``|r|`` down to ~1e-19.
    """
    t1, t2, t3 = _exp2_table()
    kf = np.rint(x * _INV_C)
    a = x - kf * _C1  # exact
    s, e1 = two_sum(a, kf * -_C2)  # k * C2 exact
    c3, c3_err = two_prod(kf, np.full_like(kf, -_C3))  # x - kC = s + e1 + c3 + c3_err
    sq, sq_err = two_prod(s, s)
    cube, cube_err = two_prod(s, sq)
    cube_err += s * sq_err  # s**3 = cube + cube_err to 2**-106
    sixth, sixth_lo = _divide(cube, cube_err, 6.0)
    quart, quart_err = two_prod(sq, sq)
    quart_err += 2.0 * sq * sq_err  # s**4 to 2**-106
    fourth, fourth_lo = _divide(quart, quart_err, 24.0)
    poly = s * (1.0 / 5040.0) + 1.0 / 720.0
    poly = poly * s + 1.0 / 120.0
    poly *= quart * s  # s**5/120 + s**6/720 + s**7/5040
    rest = (e1 + c3) + c3_err
    # P = expm1(s + rest) = s + sq/2 + sq_err/2 + sixth + sixth_lo + poly + rest (1 + s + s^2/2)
    ki = kf.astype(np.int64)
    j = ki & (_N - 1)
    scale = _pow2(ki >> _TABLE_BITS)
    big, mid, small = t1[j] * scale, t2[j] * scale, t3[j] * scale
    d, d_err = two_sum(big, np.full_like(big, -1.0))  # 2**(k/N) - 1 = d + d_err + mid + small
    parts = [small, d_err, mid, d]
    for term in (s, 0.5 * sq, sixth, fourth, e1, c3):  # big * term exactly
        hi, lo = two_prod(big, term)
        parts += [lo, hi]
    hi, lo = two_prod(mid, s)
    parts += [lo, hi]
    second = 0.5 * sq_err + sixth_lo + fourth_lo + poly + c3_err
    second += rest * (s + 0.5 * sq)
    parts.append(big * second)
    parts.append(mid * (0.5 * sq + sixth + rest) + small * s)  # T2 s**2/2 < 2**-88
    order = [0, 1, len(parts) - 1, len(parts) - 2, *range(2, len(parts) - 2)]
    return renormalise([parts[i] for i in order])


class RowExtractor:
    """Row sums of many (rows, b) blocks of components, far beyond a double.

    Rump-Ogita-Oishi extraction: with ``sigma = 2**M``, ``2**M >= n + 2`` (n
    components per row in all), ``q = (sigma + p) - sigma`` keeps the high
    bits of each entry, and the sum of the ``q`` over a row is exact (they
    are multiples of ``ulp(sigma) / 2`` below ``sigma``); the remainders ``p -
    q`` (exact, below ``2**(M - 53)``) are extracted again with ``sigma
    2**(M - 53)``, the small components joining from the second level.  After
    ``k`` levels the remainders are summed in plain floating point, an error
    of about ``n 2**(k (M - 53) - 53)``: ``k`` is the least number of levels
    that brings it below ``2**-error_bits``.  Blocks of columns may be added
    one at a time (each level's sums stay exact when added up).  ``bound``
    (per row) bounds the magnitude of every component: the extraction is
    scaled to it, so the error bound is relative to it (rows of tiny terms
    that cancel keep their digits).
    """

    def __init__(self, rows: int, n: int, *, error_bits: int, bound: Array) -> None:
        self.m_bits = max(1, math.ceil(math.log2(n + 2)))
        self.levels = max(1, math.ceil((error_bits - 53 + math.log2(n)) / (53 - self.m_bits)))
        self.sums = np.zeros((self.levels + 1, rows))
        # sigma = 2**M times a power of 2 >= bound, per row (frexp: bound < 2**e)
        self.sigma = np.ldexp(2.0**self.m_bits, np.frexp(bound)[1])[:, None]

    def add(self, lead: Array, small: list[Array]) -> None:
        """Add a block: ``lead`` entries up to ``bound``, ``small`` ones below 2**-50 of it."""
        sigma = self.sigma
        current = [lead]
        for level in range(self.levels):
            remainders = []
            for p in current:
                high = p + sigma
                high -= sigma
                self.sums[level] += high.sum(axis=-1)  # exact
                np.subtract(p, high, out=high)  # exact remainder
                remainders.append(high)
            current = remainders + small if level == 0 else remainders
            sigma = sigma * 2.0 ** (self.m_bits - 53)
        for p in current:
            self.sums[-1] += p.sum(axis=-1)

    def add_small(self, rows: Array, values: Array) -> None:
        """Add ``values`` (each far below 2**(M - 53)) to the rows ``rows``."""
        self.sums[-1] += np.bincount(rows, weights=values, minlength=self.sums.shape[1])

    def result(self, offset: Array) -> tuple[Array, Array]:
        """``(hi, lo)``: the row sums minus ``offset``, as a double-double."""
        hi = -np.asarray(offset, dtype=np.float64)
        lo = np.zeros_like(hi)
        for level_sum in self.sums[:-1]:
            hi, e = two_sum(hi, level_sum)
            lo += e
        lo += self.sums[-1]
        return two_sum(hi, lo)


# ----------------------------------------------------------------------------
# Matrix products in double-double (Ozaki's error-free splitting, via BLAS).
# ----------------------------------------------------------------------------

#: Slices per operand: each holds 53 - beta (~22) bits of every row, so five of
#: them carry 110 bits; products of slices i, j with i + j >= 5 are below 2**-108.
_OZAKI_SLICES = 5


def _add_into(a: Any, b: Any, xp: Any) -> Any:
    """``a + b``, written into ``a`` on NumPy (``a`` a scratch array of the caller).

    In place only there: PyTorch's autograd refuses an in-place update of an
    array its backward pass needs, and JAX has none.
    """
    if xp is np:
        a += b
        return a
    return a + b


def _frexp_exponent(x: Any, xp: Any) -> Any:
    """``frexp(x)[1]`` (NumPy), or its standard-operations equivalent for namespace ``xp``."""
    if xp is np:
        return np.frexp(x)[1].astype(np.int32)
    from mlmath._xp._numerics import exponent  # (the portable numerics import numpy only)

    return exponent(xp, x)


def _ldexp(x: Any, n: Any, xp: Any) -> Any:
    """``ldexp(x, n)`` (NumPy), or its standard-operations equivalent for namespace ``xp``."""
    if xp is np:
        return np.ldexp(x, n)
    from mlmath._xp._numerics import ldexp

    return ldexp(xp, x, n)


def _row_slices(a: Any, beta: int, xp: Any = np) -> list[Any]:
    """``a = sum(slices) + O(2**-110)`` row-wise, slices exactly multipliable by BLAS.

    ``sigma = 2**beta * 2**ceil(log2 max|row|)`` and ``slice = (a + sigma) -
    sigma`` keeps the top ``53 - beta`` bits of each entry relative to its row's
    largest (Ozaki et al.); the rest is split again.  ``a`` is row-normalised
    by a power of 2 first (the caller undoes it), so sigma cannot overflow.
    """
    slices = []
    rest = a
    for _ in range(_OZAKI_SLICES):
        mu = xp.max(xp.abs(rest), axis=-1, keepdims=True)
        sigma = _ldexp(xp.ones_like(mu), _frexp_exponent(mu, xp) + beta, xp)
        high = (rest + sigma) - sigma
        slices.append(high)
        rest = rest - high  # exact
    return slices


def matmul_dd(a: Any, b: Any, xp: Any = np) -> tuple[Any, Any]:
    """``a @ b.T`` (last two axes; ``b`` is (..., M, d)) as a double-double ``hi + lo``.

    Ozaki's scheme: each row of ``a`` and of ``b`` is split into slices whose
    products are computed *exactly* by an ordinary (BLAS) matrix product, the
    slices of equal significance are multiplied together in one product of
    inner size ``(level + 1) d`` (concatenated), and the levels are added up
    with TwoSum.  Error below about ``2**-106 |a| |b|`` entrywise (|.| the
    row norms), i.e. every score as if computed exactly and rounded to
    double-double; costs about 15 products of the original size.  Finite
    float64 input; rows are normalised by powers of 2 (exact), so no slice
    overflows or underflows.  ``xp``: the arrays' namespace (``frexp`` and
    ``ldexp`` from :mod:`mlmath._xp._numerics` outside NumPy; the same values).
    """
    d = a.shape[-1]
    # beta for an exact product of inner size 5d: 2 (53 - beta) + log2(5d) <= 53.
    beta = math.ceil((53 + math.log2(max(_OZAKI_SLICES * d, 1))) / 2)
    ea = _frexp_exponent(xp.max(xp.abs(a), axis=-1, keepdims=True), xp)
    eb = _frexp_exponent(xp.max(xp.abs(b), axis=-1, keepdims=True), xp)
    sa = _row_slices(_ldexp(a, -ea, xp), beta, xp)
    sb = _row_slices(_ldexp(b, -eb, xp), beta, xp)
    concat = np.concatenate if xp is np else xp.concat  # (np.concat: NumPy >= 2 only)
    hi = lo = None
    for level in range(_OZAKI_SLICES):
        left = concat(sa[: level + 1], axis=-1)
        right = concat(sb[level::-1], axis=-1)
        term = left @ xp.moveaxis(right, -1, -2)  # exact (Ozaki)
        if hi is None:
            hi, lo = term, xp.zeros_like(term)
        else:
            hi, err = two_sum(hi, term)
            # in place on NumPy (its allocations); elsewhere a new array, which autograd needs
            lo = _add_into(lo, err, xp)
    assert hi is not None and lo is not None
    hi, lo = fast_two_sum(hi, lo)
    scale = ea + xp.moveaxis(eb, -1, -2)  # 2**(ea_i + eb_j), exact unless out of range
    return _ldexp(hi, scale, xp), _ldexp(lo, scale, xp)

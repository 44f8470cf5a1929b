r"""Scaled dot-product attention: weights, values, gradients, multi-head.

Shapes follow PyTorch's ``scaled_dot_product_attention``: ``q`` is
``(..., Lq, d)``, ``k`` is ``(..., Lk, d)``, ``v`` is ``(..., Lk, dv)``; the
leading (batch, head) dimensions of ``q``, ``k``, ``v`` and ``mask`` broadcast
together as in NumPy.

Conventions (shared by every function here)
-------------------------------------------
* ``mask`` is boolean, ``True`` = *may attend*, broadcastable (NumPy rules) to
  ``(..., Lq, Lk)``; its leading dimensions take part in the batch broadcast.
  Any other dtype raises ``TypeError`` (an additive float mask and a boolean
  mask mean opposite things in different libraries, so we never guess).
* ``causal=True`` lets query ``i`` attend key ``j`` iff ``j <= i``: PyTorch's
  *top-left* convention (``torch.tril(torch.ones(Lq, Lk, dtype=bool))``,
  ``torch.nn.attention.bias.causal_upper_left``), also when ``Lq != Lk``.  It
  is combined with ``mask`` by logical and.
* A query row with no allowed key has all-zero weights and a zero output (and
  zero gradients), never NaN.  The softmax over an empty set is undefined; zero
  is the value PyTorch 2.5+ also returns, and it keeps padded rows inert.
* ``scale`` defaults to :math:`1/\sqrt{d}`; it must be finite and > 0.
* Inputs must be finite (NaN and infinities raise ``ValueError``); float32 and
  float64 keep their dtype, float16 is computed in float32.

Stability: every softmax subtracts the row maximum of the allowed scores
before exponentiating, so scores of any finite size (e.g. +-1e4, where
``exp`` overflows float32 at 88.7) give exact-looking weights.  The blocked
path keeps a *running* maximum and rescales its partial sums when the maximum
grows (the "online softmax" of Milakov & Gimelshein 2018, used by
FlashAttention), which is exact in exact arithmetic and agrees with the plain
path to a few ulps of the values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mlmath import _compensated
from mlmath import _namespace as _ns
from mlmath import _validation as val
from mlmath._typing import FloatArray

__all__ = [
    "attention_weights",
    "multi_head_attention",
    "scaled_dot_product_attention",
    "scaled_dot_product_attention_grad",
]

#: Types that take the NumPy path (one set lookup; see :mod:`mlmath._namespace`).
_HOST = _ns.HOST_TYPES

Array = NDArray[Any]


# --------------------------------------------------------------------------
# Input preparation (validation happens here and only here)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Inputs:
    """Validated, dtype-converted attention inputs.

    ``q`` is already multiplied by ``scale`` (one rounding per entry of q
    instead of one per score; both paths use it, so they see the same scores).
    ``q``, ``k`` and ``v`` are read-only views broadcast to the common batch
    shape (no copies), so every score block has the full batch shape.  ``mask``
    keeps its own (broadcastable, at least 2-D) shape: negating a broadcast view
    would materialise the full (batch, Lq, Lk) array.
    """

    q: Array
    k: Array
    v: Array | None
    mask: Array | None
    causal: bool
    scale: float
    batch: tuple[int, ...]
    out_dtype: np.dtype[Any]
    check_scores: bool
    #: precision="high" on float64: ``q`` is *not* pre-scaled, the scores are
    #: formed in double-double (``_scores_dd``) and scaled there.
    exact_scores: bool = False
    #: causal diagonal: query i may attend key j iff j <= i + diag (0: PyTorch's
    #: top-left ``is_causal``; Lk - Lq: bottom-right, the last query sees every key)
    diag: int = 0
    #: additive score bias (attn_bias), broadcastable to (..., Lq, Lk), or None
    bias: Array | None = None


_PRECISIONS = ("default", "high")


def _check_precision(precision: Any) -> bool:
    """``"default"`` or ``"high"`` (True for high); anything else is a ValueError."""
    if not isinstance(precision, str) or precision not in _PRECISIONS:
        raise ValueError(f"`precision`: expected 'default' or 'high', got {precision!r}")
    return precision == "high"


_CAUSAL_ALIGNMENTS = ("upper_left", "lower_right")


def _check_causal(causal: Any) -> tuple[bool, str]:
    """``causal``: a bool (True is ``"upper_left"``) or one of the two alignments."""
    if isinstance(causal, str):
        if causal not in _CAUSAL_ALIGNMENTS:
            raise ValueError(f"`causal`: expected a bool, 'upper_left' or 'lower_right', "
                             f"got {causal!r}")
        return True, causal
    return val.check_bool(causal, "causal"), "upper_left"


def _prepare_bias(bias: ArrayLike, lq: int, lk: int, dtype: np.dtype[Any],
                  validate: bool) -> Array:
    """A float bias broadcastable to (..., Lq, Lk); -inf allowed (a mask), NaN/+inf not.

    A boolean array is refused: PyTorch's boolean ``attn_mask`` means "may attend",
    which is mlmath's ``mask``; read as 0/1 floats it would silently change meaning.
    """
    if val.as_array(bias, "attn_bias").dtype == np.bool_:
        raise TypeError("`attn_bias`: expected a float array, got a boolean one (pass a "
                        "boolean mask as `mask`: True = may attend)")
    b, _ = val.as_float_array(bias, "attn_bias")
    if b.ndim < 2:
        b = b.reshape((1,) * (2 - b.ndim) + b.shape)
    if any(n not in (1, want) for n, want in zip(b.shape[-2:], (lq, lk), strict=True)):
        raise ValueError(f"`attn_bias`: expected a shape broadcastable to (..., Lq, Lk) = "
                         f"(..., {lq}, {lk}), got {np.shape(bias)}")
    if validate:
        val.check_no_nan(b, "attn_bias")
        val.check_no_posinf(b, "attn_bias", why="it would take all the weight")
    return b.astype(dtype, copy=False)


def _repeat_kv_heads(q: Any, kv: Any, name: str, xp: Any = np) -> Any:
    """GQA: each of the H_kv heads of ``kv`` (axis -3) serves H_q / H_kv query heads
    (``xp``: the arrays' namespace; the portable path passes its own)."""
    if q.ndim < 3 or kv.ndim < 3:
        raise ValueError(f"`{name}`: enable_gqa needs heads at axis -3 of `q` and `{name}`, "
                         f"got shapes {tuple(q.shape)} and {tuple(kv.shape)}")
    hq, hkv = q.shape[-3], kv.shape[-3]
    if hq == hkv:
        return kv
    if hkv == 0 or hq % hkv:
        raise ValueError(f"`{name}`: expected a number of heads (axis -3) dividing the "
                         f"{hq} heads of `q`, got {hkv}")
    return xp.repeat(kv, hq // hkv, axis=-3)


def _check_matrix_stack(x: Array, name: str, what: str) -> None:
    if x.ndim < 2:
        raise ValueError(f"`{name}`: expected an array of shape {what}, got shape {x.shape}")


def _scale_of(d: int, scale: float | None) -> float:
    """The scores' scale: ``scale`` checked positive, or ``1/sqrt(d)`` (``d >= 1``)."""
    if scale is not None:
        return val.check_positive_scalar(scale, "scale")
    if d == 0:
        raise ValueError("`q`: expected d >= 1 to define the default scale 1/sqrt(d), got d = 0")
    return 1.0 / math.sqrt(d)


def _broadcast_batch(shapes: dict[str, tuple[int, ...]]) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*shapes.values()))
    except ValueError:
        listing = ", ".join(f"`{n}` {s}" for n, s in shapes.items())
        names = ", ".join(f"`{n}`" for n in shapes)
        raise ValueError(
            f"{names}: expected leading (batch) dimensions that broadcast together, "
            f"got {listing}"
        ) from None


def _prepare_mask(mask: ArrayLike, lq: int, lk: int) -> Array:
    m = val.as_array(mask, "mask")
    if m.dtype != np.bool_:
        raise TypeError(
            f"`mask`: expected a boolean array (True = may attend), got dtype {m.dtype}"
        )
    if m.ndim < 2:
        m = m.reshape((1,) * (2 - m.ndim) + m.shape)
    tail = m.shape[-2:]
    if any(s not in (1, want) for s, want in zip(tail, (lq, lk), strict=True)):
        raise ValueError(
            f"`mask`: expected a shape broadcastable to (..., Lq, Lk) = (..., {lq}, {lk}), "
            f"got {np.shape(mask)}"
        )
    return m


def _check_block_size(block_size: Any) -> int | None:
    """``None`` (plain path) or an integer >= 1."""
    return None if block_size is None else val.check_positive_int(block_size, "block_size")


def _scores_may_overflow(q: Array, k: Array) -> bool:
    """Whether some |q_i . k_j| could exceed the dtype's range (q already scaled).

    |q_i . k_j| <= d * max|q| * max|k|; when that bound is representable no
    partial sum of any dot product overflows either, and the (costly) check of
    every score is skipped.  The bound is evaluated in Python floats (inf on
    overflow, which just means "check").
    """
    if q.size == 0 or k.size == 0:
        return False
    bound = q.shape[-1] * float(np.max(np.abs(q))) * float(np.max(np.abs(k)))
    return not bound < float(np.finfo(q.dtype).max) / 2


def _prepare(
    q: ArrayLike, k: ArrayLike, v: ArrayLike | None, mask: ArrayLike | None, causal: Any,
    scale: Any, validate: bool, high: bool = False, *, bias: ArrayLike | None = None,
    gqa: bool = False,
) -> _Inputs:
    is_causal, alignment = _check_causal(causal)
    qa, q_out = val.as_float_array(q, "q")
    ka, k_out = val.as_float_array(k, "k")
    if gqa:
        ka = _repeat_kv_heads(qa, ka, "k")
    arrays = {"q": qa, "k": ka}
    out_dtypes = [q_out, k_out]
    va = None
    if v is not None:
        va, v_out = val.as_float_array(v, "v")
        if gqa:
            va = _repeat_kv_heads(qa, va, "v")
        arrays["v"] = va
        out_dtypes.append(v_out)
    _check_matrix_stack(qa, "q", "(..., Lq, d)")
    _check_matrix_stack(ka, "k", "(..., Lk, d)")
    if qa.shape[-1] != ka.shape[-1]:
        raise ValueError(
            f"`k`: expected the feature size d = {qa.shape[-1]} of `q` in the last axis, "
            f"got shape {ka.shape}"
        )
    if va is not None:
        _check_matrix_stack(va, "v", "(..., Lk, dv)")
        if va.shape[-2] != ka.shape[-2]:
            raise ValueError(
                f"`v`: expected Lk = {ka.shape[-2]} rows (the keys of `k`) in axis -2, "
                f"got shape {va.shape}"
            )
    lq, lk = qa.shape[-2], ka.shape[-2]
    batch_shapes = {name: a.shape[:-2] for name, a in arrays.items()}
    m = None
    if mask is not None:
        m = _prepare_mask(mask, lq, lk)
        batch_shapes["mask"] = m.shape[:-2]
    compute, out_dtype = val.result_dtype(*out_dtypes)
    # precision="high": float32 (and float16) are computed in float64, whose
    # plain scores carry 29 spare bits; float64 scores are formed in double-double.
    exact = high and compute == np.float64
    if high:
        compute = np.dtype(np.float64)
    b = None
    if bias is not None:
        b = _prepare_bias(bias, lq, lk, compute, validate)
        batch_shapes["attn_bias"] = b.shape[:-2]
    batch = _broadcast_batch(batch_shapes)
    s = _scale_of(qa.shape[-1], scale)
    if validate:
        for name, a in arrays.items():
            val.check_finite(a, name)
    # Scaling q (Lq*d products) is cheaper than scaling the Lq*Lk scores; the
    # exact path scales the double-double scores instead (no rounding of q).
    qs = qa.astype(compute, copy=False) * compute.type(1.0 if exact else s)
    ka = ka.astype(compute, copy=False)
    check = validate and _scores_may_overflow(qs * compute.type(s) if exact else qs, ka)
    qs = np.broadcast_to(qs, batch + qs.shape[-2:])
    ka = np.broadcast_to(ka, batch + ka.shape[-2:])
    if va is not None:
        va = np.broadcast_to(va.astype(compute, copy=False), batch + va.shape[-2:])
    diag = lk - lq if alignment == "lower_right" else 0
    return _Inputs(qs, ka, va, m, is_causal, s, batch, out_dtype, check, exact, diag, b)


# --------------------------------------------------------------------------
# Kernels (pure NumPy; every array here is already validated)
# --------------------------------------------------------------------------


def _forbid(inp: _Inputs, s: Array, i0: int, j0: int) -> None:
    """Set s to -inf where query i0 + r may not attend key j0 + c (mask or causality)."""
    rows, cols = s.shape[-2:]
    if inp.mask is not None:
        np.copyto(s, -np.inf, where=~_mask_block(inp.mask, i0, rows, j0, cols))
    d = inp.diag
    if not inp.causal or j0 + cols - 1 <= i0 + d:  # no key after any query of the block
        return
    if cols >= _ROW_LOOP_MIN_COLS:
        # One slice per row: cheaper than building and negating a rows x cols
        # boolean triangle when rows are long (see benchmarks/attention.py).
        for r in range(rows):
            s[..., r, max(i0 + r + d - j0 + 1, 0):] = -np.inf
    else:
        np.copyto(s, -np.inf, where=np.arange(j0, j0 + cols)[None, :] >
                  np.arange(i0, i0 + rows)[:, None] + d)


#: Row length from which the causal mask is applied row by row.
_ROW_LOOP_MIN_COLS = 256


def _mask_block(mask: Array, i0: int, rows: int, j0: int, cols: int) -> Array:
    """The block of a broadcastable mask; a side of length 1 applies to every row/column."""
    r = slice(None) if mask.shape[-2] == 1 else slice(i0, i0 + rows)
    c = slice(None) if mask.shape[-1] == 1 else slice(j0, j0 + cols)
    return mask[..., r, c]


def _block_is_masked_out(inp: _Inputs, i1: int, j0: int) -> bool:
    """True when causality forbids every pair of the block (all keys after all queries)."""
    return inp.causal and j0 > i1 - 1 + inp.diag


def _scores(inp: _Inputs, i0: int, i1: int, j0: int, j1: int) -> Array:
    """scale * q kᵀ for the block, with -inf where attending is not allowed."""
    q_blk, k_blk = inp.q[..., i0:i1, :], np.swapaxes(inp.k[..., j0:j1, :], -1, -2)
    if not inp.check_scores:
        s = q_blk @ k_blk
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            s = q_blk @ k_blk
        _check_scores_finite(s, i0, j0)
    if inp.bias is not None:
        s += _mask_block(inp.bias, i0, i1 - i0, j0, j1 - j0)
    _forbid(inp, s, i0, j0)
    return s


def _scores_dd(inp: _Inputs, i0: int, i1: int, j0: int, j1: int) -> tuple[Array, Array]:
    """scale * q kᵀ for the block as a double-double ``(hi, lo)`` (precision="high").

    The products come from :func:`mlmath._compensated.matmul_dd` (Ozaki's
    error-free splitting through BLAS, error ~2**-106 of sum |q_l k_l|), the
    scale is applied with TwoProduct; forbidden pairs get ``hi = -inf, lo = 0``.
    """
    q_blk, k_blk = inp.q[..., i0:i1, :], inp.k[..., j0:j1, :]
    with np.errstate(over="ignore", invalid="ignore"):
        hi, lo = _compensated.matmul_dd(q_blk, k_blk)
        p, p_err = _compensated.two_prod(hi, np.full_like(hi, inp.scale))
        p_err += lo * inp.scale
        hi, lo = _compensated.fast_two_sum(p, p_err)
    if inp.check_scores:
        _check_scores_finite(hi, i0, j0)
    if inp.bias is not None:  # one more error-free addition
        with np.errstate(invalid="ignore"):
            hi, err = _compensated.two_sum(hi, np.broadcast_to(
                _mask_block(inp.bias, i0, i1 - i0, j0, j1 - j0), hi.shape))
        lo = lo + np.where(np.isfinite(err), err, 0.0)
    _forbid(inp, hi, i0, j0)
    np.copyto(lo, 0.0, where=hi == -np.inf)
    return hi, lo


def _exp_shifted_dd(hi: Any, lo: Any, m: Any, xp: Any = np) -> Any:
    """exp(hi + lo - m), with the rounding of hi - m recovered by TwoSum.

    ``exp(d + c) = exp(d) (1 + c)`` up to c**2 ~ 1e-32, c = (hi - m - d) + lo
    (without it the rounding of ``d`` is multiplied by ``|d|`` in exp).  ``xp``:
    the arrays' namespace (the portable path passes its own).
    """
    with np.errstate(invalid="ignore"):  # -inf entries: NaN error terms, zeroed below
        d, d_err = _compensated.two_sum(hi, -xp.broadcast_to(m, hi.shape))
        d_err = xp.where(xp.isfinite(d), d_err + lo, 0.0)  # exp(-inf) = 0: no correction
    e = xp.exp(d)
    d_err *= e  # d_err: a fresh array of where (PyTorch's autograd accepts this update)
    return _compensated._add_into(e, d_err, xp)


def _check_scores_finite(s: Array, i0: int, j0: int) -> None:
    if not np.isfinite(s).all():
        bad = val.first_index(~np.isfinite(s))
        raise ValueError(
            f"`q`, `k`: the scores scale * q kᵀ overflow {s.dtype} (at query "
            f"{i0 + bad[-2]}, key {j0 + bad[-1]}); rescale the inputs or pass a smaller `scale`"
        )


def _row_max(s: Array) -> Array:
    """Row maximum (kept dims); -inf for a row with no allowed key (or no keys)."""
    return np.max(s, axis=-1, keepdims=True, initial=-np.inf)


def _shift(m: Array) -> Array:
    """A row maximum with -inf (row with no allowed key) replaced by 0.

    Subtracting 0 from a row of -inf keeps exp(-inf) = 0 instead of the NaN of
    -inf - (-inf); every other row is shifted by its true maximum.
    """
    return np.where(m == -np.inf, 0, m).astype(m.dtype, copy=False)


def _exp_shifted(s: Array, m: Array) -> Array:
    """exp(s - m) in place (s is a scratch buffer owned by the caller)."""
    np.subtract(s, m, out=s)
    return np.exp(s, out=s)


def _normalise(acc: Array, total: Array) -> Array:
    """acc / total row-wise, 0 where total == 0 (rows with no allowed key).

    ``total != 0`` rather than ``> 0``: a NaN total (NaN input, validate=False)
    propagates instead of being turned into a row of zeros.
    """
    return np.divide(acc, total, out=np.zeros_like(acc), where=total != 0)


def _plain_weights(inp: _Inputs, rows: tuple[int, int] | None = None,
                   keys: int | None = None) -> tuple[Array, Array, Array]:
    """Unnormalised weights exp(s - m), the shift m and the row sums l.

    ``rows = (i0, i1)`` and ``keys = j1``: those queries against keys ``0:j1``
    only (the causal path leaves out keys that no query of the block sees).
    """
    i0, lq = (0, inp.q.shape[-2]) if rows is None else rows
    lk = inp.k.shape[-2] if keys is None else keys
    if inp.exact_scores:
        hi, lo = _scores_dd(inp, i0, lq, 0, lk)
        m = _shift(_row_max(hi))
        p = _exp_shifted_dd(hi, lo, m)
        # a double-double row sum: the weights' last error term
        total_hi, total_lo = _compensated.dd_sum(p, axis=-1)
        return p, m, (total_hi + total_lo)[..., None]
    s = _scores(inp, i0, lq, 0, lk)
    m = _shift(_row_max(s))
    p = _exp_shifted(s, m)
    return p, m, np.sum(p, axis=-1, keepdims=True)


_Dropout = tuple[float, np.random.Generator] | None


def _check_dropout(dropout_p: Any, rng: Any) -> _Dropout:
    """``None`` for no dropout, else ``(p, rng)``; p in [0, 1), rng a Generator."""
    p = val.check_positive_scalar(dropout_p, "dropout_p", allow_zero=True)
    if p >= 1:
        raise ValueError(f"`dropout_p`: expected a value in [0, 1), got {dropout_p!r}")
    if p == 0:
        return None
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"`rng`: expected a numpy.random.Generator when dropout_p > 0 "
                        f"(e.g. np.random.default_rng(seed)), got {type(rng).__name__}")
    return p, rng


def _drop(p: Array, dropout: _Dropout) -> Array:
    """Weights with dropout applied (survivors scaled by 1/(1 - p)); unchanged if None."""
    if dropout is None:
        return p
    rate, rng = dropout
    keep = rng.random(p.shape) >= rate
    return np.where(keep, p * p.dtype.type(1.0 / (1.0 - rate)), 0.0).astype(p.dtype, copy=False)


#: The causal plain path forms the scores in this many query blocks (of at least
#: _CAUSAL_MIN_ROWS queries): a block needs only the keys up to its last query's,
#: so about (B + 1) / (2 B) of the score matrix is computed instead of all of it.
_CAUSAL_QUERY_BLOCKS = 8
_CAUSAL_MIN_ROWS = 128


def _plain_forward(inp: _Inputs, dropout: _Dropout = None) -> tuple[Array, Array]:
    """Attention output and row log-sum-exp, materialising the (..., Lq, Lk) weights
    (under ``causal``, only the blocks of them that hold allowed keys)."""
    assert inp.v is not None
    lq = inp.q.shape[-2]
    if not inp.causal or dropout is not None or lq < 2 * _CAUSAL_MIN_ROWS:
        p, m, total = _plain_weights(inp)
        return _normalise(_drop(p, dropout) @ inp.v, total), _row_lse(m, total)
    lk, dv = inp.k.shape[-2], inp.v.shape[-1]
    out = np.empty((*inp.batch, lq, dv), dtype=inp.q.dtype)
    lse = np.empty((*inp.batch, lq, 1), dtype=inp.q.dtype)
    for i0, i1 in _blocks(lq, max(_CAUSAL_MIN_ROWS, -(-lq // _CAUSAL_QUERY_BLOCKS))):
        keys = min(lk, i1 + inp.diag)  # query i sees keys j <= i + diag
        if keys <= 0:  # no query of the block sees any key: as the plain path gives
            out[..., i0:i1, :], lse[..., i0:i1, :] = 0.0, -np.inf
            continue
        p, m, total = _plain_weights(inp, (i0, i1), keys)
        out[..., i0:i1, :] = _normalise(p @ inp.v[..., :keys, :], total)
        lse[..., i0:i1, :] = _row_lse(m, total)
    return out, lse


def _row_lse(m: Array, total: Array) -> Array:
    """log sum_j exp(s_ij) = m + log l, and -inf for rows with no allowed key."""
    with np.errstate(divide="ignore"):
        return m + np.log(total)


def _blocks(n: int, size: int) -> list[tuple[int, int]]:
    return [(i, min(i + size, n)) for i in range(0, n, size)]


def _blocked_forward(inp: _Inputs, block: int,
                     dropout: _Dropout = None) -> tuple[Array, Array]:
    """Exact attention by query blocks x key blocks with an online softmax.

    For each query block the running row maximum ``m``, running sum ``l`` and
    running unnormalised output ``acc`` are updated key block by key block:
    when the maximum grows from m to m', the old partial sums are multiplied by
    exp(m - m') so that every term ends up as exp(s - max) exactly as in the
    plain algorithm.  Peak extra memory: O(batch * block * (block + d + dv)).
    """
    assert inp.v is not None
    lq, lk, dv = inp.q.shape[-2], inp.k.shape[-2], inp.v.shape[-1]
    dt = inp.q.dtype
    out = np.empty((*inp.batch, lq, dv), dtype=dt)
    lse = np.empty((*inp.batch, lq, 1), dtype=dt)
    for i0, i1 in _blocks(lq, block):
        m = np.full((*inp.batch, i1 - i0, 1), -np.inf, dtype=dt)
        total = np.zeros_like(m)
        acc = np.zeros((*inp.batch, i1 - i0, dv), dtype=dt)
        for j0, j1 in _blocks(lk, block):
            if _block_is_masked_out(inp, i1, j0):
                break  # causal: every later key block is masked out too
            if inp.exact_scores:
                s, s_lo = _scores_dd(inp, i0, i1, j0, j1)
            else:
                s = _scores(inp, i0, i1, j0, j1)
            m_new = np.maximum(m, _row_max(s))
            shift = _shift(m_new)
            # exp(m_old - m_new) <= 1 rescales the partial sums; it is 0 while
            # the row has seen no allowed key (m_old = -inf), where they are 0.
            if inp.exact_scores:
                alpha = _exp_shifted_dd(m, np.zeros_like(m), shift)
                p = _exp_shifted_dd(s, s_lo, shift)
            else:
                alpha = np.exp(m - shift)
                p = _exp_shifted(s, shift)
            total = total * alpha + np.sum(p, axis=-1, keepdims=True)
            acc = acc * alpha + _drop(p, dropout) @ inp.v[..., j0:j1, :]
            m = m_new
        out[..., i0:i1, :] = _normalise(acc, total)
        lse[..., i0:i1, :] = _row_lse(_shift(m), total)
    return out, lse


def _sum_to_shape(g: Any, shape: tuple[int, ...], xp: Any = np) -> Any:
    """Sum a broadcast gradient back to an input's shape (adjoint of broadcasting);
    ``xp``: the array's namespace (the portable path passes its own)."""
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    return xp.reshape(xp.sum(g, axis=axes), shape) if axes else g


def _probabilities(inp: _Inputs, lse: Array, i0: int, i1: int, j0: int, j1: int) -> Array:
    """P = exp(s - lse) for a block, from the saved row log-sum-exp (0 where masked)."""
    s = _scores(inp, i0, i1, j0, j1)
    lse_blk = lse[..., i0:i1, :]
    # Rows with no allowed key have lse = -inf and s = -inf: use shift 0 -> P = 0.
    return _exp_shifted(s, _shift(lse_blk))


def _grad_kernel(
    inp: _Inputs, grad_out: Array, block: int | None,
) -> tuple[Array, Array, Array]:
    """(dq / scale, dk, dv) in the broadcast batch shape; q in ``inp`` is pre-scaled.

    With S = scale q kᵀ, P = softmax(S), O = P v and upstream G = dL/dO:
    dv = Pᵀ G, dP = G vᵀ, dS = P * (dP - rowsum(G * O)), dq = scale dS k,
    dk = scale dSᵀ q.  The plain path materialises P once; the blocked path
    recomputes P block by block from the saved log-sum-exp (FlashAttention-2's
    backward pass), so it never holds more than a block of it.
    """
    assert inp.v is not None
    lq, lk = inp.q.shape[-2], inp.k.shape[-2]
    dq, dk, dv = (np.zeros((*inp.batch, *a.shape[-2:]), dtype=inp.q.dtype)
                  for a in (inp.q, inp.k, inp.v))
    grads = (dq, dk, dv)
    if block is None:
        p, _, total = _plain_weights(inp)
        p = _normalise(p, total)
        delta = _rank_one_term(grad_out, p @ inp.v)
        _accumulate_grads(inp, p, grad_out, delta, 0, 0, grads)
        return grads
    out, lse = _blocked_forward(inp, block)
    delta = _rank_one_term(grad_out, out)
    for i0, i1 in _blocks(lq, block):
        for j0, j1 in _blocks(lk, block):
            if _block_is_masked_out(inp, i1, j0):
                break
            p = _probabilities(inp, lse, i0, i1, j0, j1)
            _accumulate_grads(inp, p, grad_out[..., i0:i1, :], delta[..., i0:i1, :], i0, j0,
                              grads)
    return grads


def _fold_heads(g: Any, shape: tuple[int, ...], xp: Any = np) -> Any:
    """Adjoint of GQA's head repetition: sum each group of query heads onto its kv head."""
    hkv = shape[-3]
    if g.shape[-3] == hkv:
        return g
    group = g.shape[-3] // hkv
    return xp.sum(xp.reshape(g, (*g.shape[:-3], hkv, group, *g.shape[-2:])), axis=-3)


def _rank_one_term(grad_out: Any, out: Any, xp: Any = np) -> Any:
    """D_i = sum_j P_ij dP_ij = G_i . O_i: the softmax Jacobian's rank-one part."""
    return xp.sum(grad_out * out, axis=-1, keepdims=True)


def _block_grads(p: Any, g: Any, delta: Any, q_blk: Any, k_blk: Any, v_blk: Any,
                 xp: Any = np) -> tuple[Any, Any, Any]:
    """One (query block, key block)'s contributions to (dq / scale, dk, dv).

    ``p``: the block's normalised weights, ``g`` and ``delta`` the query block's
    upstream gradient and rank-one term; the pre-scaled ``q_blk`` already carries
    the factor scale of dk = scale dSᵀ q.
    """
    ds = p * (g @ xp.moveaxis(v_blk, -1, -2) - delta)
    return ds @ k_blk, xp.moveaxis(ds, -1, -2) @ q_blk, xp.moveaxis(p, -1, -2) @ g


def _accumulate_grads(
    inp: _Inputs, p: Array, g: Array, delta: Array, i0: int, j0: int,
    grads: tuple[Array, ...],
) -> None:
    """Add one (query block, key block)'s contribution to (dq / scale, dk, dv) in place."""
    assert inp.v is not None
    dq, dk, dv = grads
    i1, j1 = i0 + p.shape[-2], j0 + p.shape[-1]
    c_dq, c_dk, c_dv = _block_grads(p, g, delta, inp.q[..., i0:i1, :], inp.k[..., j0:j1, :],
                                    inp.v[..., j0:j1, :])
    dv[..., j0:j1, :] += c_dv
    dq[..., i0:i1, :] += c_dq
    dk[..., j0:j1, :] += c_dk


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def attention_weights(
    q: ArrayLike, k: ArrayLike, *, mask: ArrayLike | None = None,
    attn_bias: ArrayLike | None = None, causal: bool | str = False,
    scale: float | None = None, enable_gqa: bool = False, precision: str = "default",
    validate: bool = True,
) -> FloatArray:
    r"""Attention weights :math:`\operatorname{softmax}(\text{scale}\, q k^\top)` over keys.

    Parameters
    ----------
    q : array_like, shape (..., Lq, d)
        Queries.
    k : array_like, shape (..., Lk, d)
        Keys; leading dimensions broadcast with those of ``q``.
    mask : array_like of bool, optional
        True where query i may attend key j; broadcastable to (..., Lq, Lk).
    attn_bias : array_like of float, optional
        Added to the scaled scores; ``-inf`` forbids a pair (see
        :func:`scaled_dot_product_attention`).
    causal : bool or {"upper_left", "lower_right"}, default False
        Also forbid keys j > i (``True``/``"upper_left"``, PyTorch's ``is_causal``)
        or j > i + Lk - Lq (``"lower_right"``).
    scale : float, optional
        Positive finite multiplier of the scores; default ``1/sqrt(d)``.
    enable_gqa : bool, default False
        Grouped-query attention over heads at axis -3 (see
        :func:`scaled_dot_product_attention`).
    precision : {"default", "high"}, default "default"
        ``"high"`` forms the scores with compensated dot products: float32
        (and float16) input is computed in float64 throughout; float64 scores
        are formed in double-double (Ozaki's error-free splitting through BLAS,
        then TwoProduct with ``scale``) and exponentiated with the rounding of
        ``s - m`` recovered (TwoSum), so the weights are within a few eps even
        when the scores are large (the default path loses about
        ``eps * |s|`` per weight: 2.8e3 eps at scores scaled by 30).  Costs
        about 15 matrix products instead of one for float64.
    validate : bool, default True
        Check inputs (finiteness, shapes, score overflow); False skips the
        value checks for speed on trusted data.

    Returns
    -------
    ndarray, shape (..., Lq, Lk)
        Non-negative weights; each row sums to 1, except rows with no allowed
        key, which are all zero.  Forbidden positions are exactly 0.

    See Also
    --------
    scaled_dot_product_attention : weights applied to values
    softmax : the normalisation

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math::
        w_{ij} = \frac{[j \in A_i]\, e^{s_{ij} - m_i}}{\sum_{l \in A_i} e^{s_{il} - m_i}},
        \qquad s_{ij} = \text{scale}\; q_i \cdot k_j,\quad m_i = \max_{l \in A_i} s_{il}

    where :math:`A_i` is the set of keys query i may attend.  Subtracting the
    row maximum makes every exponent <= 0, so nothing overflows however large
    the scores; the largest term is exactly 1, so the denominator is >= 1.

    References
    ----------
    Vaswani et al., "Attention is all you need", NeurIPS 2017, eq. (1).

    Examples
    --------
    Scores of +-1e4 (``exp`` would overflow) still give exact weights:

    >>> attention_weights([[100.0]], [[100.0], [-100.0]], scale=1.0).tolist()
    [[1.0, 0.0]]
    >>> attention_weights([[1.0], [1.0]], [[1.0], [2.0]], causal=True).tolist()
    [[1.0, 0.0], [0.2689414213699951, 0.7310585786300049]]

    Large scores: the default rounding of ``q k`` (~1e-14 here) is multiplied
    by ``exp``; ``precision="high"`` keeps the weight to the last bits:

    >>> q, k = [[30.1, -29.7, 30.3]], [[1.1, 0.9, -1.3], [1.0, -1.0, 1.0]]
    >>> float(attention_weights(q, k, scale=1.0, precision="high")[0, 0])
    3.419844293010171e-54
    """
    xp = _ns.foreign_namespace(q, k, mask, attn_bias, names=("q", "k", "mask", "attn_bias"))
    if xp is not None:
        from mlmath._xp import attention as portable  # imports this module: not at the top

        if portable.supported(q, k):
            validate = val.check_bool(validate, "validate")  # the NumPy path's order of checks
            return portable.attention_weights(
                xp, q, k, mask=mask, attn_bias=attn_bias, causal=causal, scale=scale,
                enable_gqa=val.check_bool(enable_gqa, "enable_gqa"), precision=precision,
                validate=validate)
        return _ns.on_host(xp, attention_weights, q, k, mask=mask, attn_bias=attn_bias,
                           causal=causal, scale=scale, enable_gqa=enable_gqa,
                           precision=precision, validate=validate)
    val.check_bool(validate, "validate")
    high = _check_precision(precision)
    inp = _prepare(q, k, None, mask, causal, scale, validate, high, bias=attn_bias,
                   gqa=val.check_bool(enable_gqa, "enable_gqa"))
    p, _, total = _plain_weights(inp)
    return val.restore_dtype(_normalise(p, total), inp.out_dtype)


@overload
def scaled_dot_product_attention(
    q: ArrayLike, k: ArrayLike, v: ArrayLike, *, mask: ArrayLike | None = ...,
    attn_bias: ArrayLike | None = ..., causal: bool | str = ..., scale: float | None = ...,
    enable_gqa: bool = ..., dropout_p: float = ..., rng: np.random.Generator | None = ...,
    return_lse: Literal[False] = ..., block_size: int | None = ..., precision: str = ...,
    validate: bool = ...,
) -> FloatArray: ...


@overload
def scaled_dot_product_attention(
    q: ArrayLike, k: ArrayLike, v: ArrayLike, *, mask: ArrayLike | None = ...,
    attn_bias: ArrayLike | None = ..., causal: bool | str = ..., scale: float | None = ...,
    enable_gqa: bool = ..., dropout_p: float = ..., rng: np.random.Generator | None = ...,
    return_lse: Literal[True], block_size: int | None = ..., precision: str = ...,
    validate: bool = ...,
) -> tuple[FloatArray, FloatArray]: ...


def scaled_dot_product_attention(
    q: ArrayLike, k: ArrayLike, v: ArrayLike, *, mask: ArrayLike | None = None,
    attn_bias: ArrayLike | None = None, causal: bool | str = False,
    scale: float | None = None, enable_gqa: bool = False, dropout_p: float = 0.0,
    rng: np.random.Generator | None = None, return_lse: bool = False,
    block_size: int | None = None, precision: str = "default", validate: bool = True,
) -> FloatArray | tuple[FloatArray, FloatArray]:
    r"""Scaled dot-product attention :math:`\operatorname{softmax}(\text{scale}\, q k^\top) v`.

    Parameters
    ----------
    q : array_like, shape (..., Lq, d)
    k : array_like, shape (..., Lk, d)
    v : array_like, shape (..., Lk, dv)
        Leading dimensions of q, k, v and mask broadcast together.
    mask : array_like of bool, optional
        True where query i may attend key j; broadcastable to (..., Lq, Lk).
    attn_bias : array_like of float, optional
        Added to the scaled scores (PyTorch's float ``attn_mask``; ALiBi or
        relative-position biases); broadcastable to (..., Lq, Lk); ``-inf``
        forbids a pair, NaN and ``+inf`` raise.
    causal : bool or {"upper_left", "lower_right"}, default False
        ``True`` / ``"upper_left"``: query i may attend key j only if j <= i
        (PyTorch's ``is_causal``, also when Lq != Lk).  ``"lower_right"``:
        j <= i + Lk - Lq, so the last query sees every key (decoding with a
        cache; PyTorch's ``causal_lower_right``).
    scale : float, optional
        Positive finite multiplier of the scores; default ``1/sqrt(d)``.
    enable_gqa : bool, default False
        Grouped-query attention: heads at axis -3; ``k`` and ``v`` have
        H_kv heads dividing the H_q heads of ``q``, key/value head h serving
        query heads h·H_q/H_kv to (h+1)·H_q/H_kv - 1 (PyTorch's repetition).
    dropout_p : float in [0, 1), default 0
        Dropout on the attention weights, survivors scaled by 1/(1 - p), as
        PyTorch in training mode; needs ``rng``.  The blocked path draws the
        mask block by block, so the same seed gives different masks on the two
        paths (each is an exact dropout of the same weights).
    rng : numpy.random.Generator, optional
        Source of the dropout mask (required when ``dropout_p > 0``).
    return_lse : bool, default False
        Also return the row log-sum-exp of the scaled, biased, masked scores,
        shape (..., Lq) (-inf for a query with no allowed key): the
        statistic FlashAttention saves for its backward pass.
    block_size : int, optional
        If given, use the exact blocked algorithm (query blocks x key blocks,
        online softmax), whose extra memory is O(batch * block_size * (block_size
        + d + dv)) instead of the O(batch * Lq * Lk) score matrix.  It runs a
        Python loop of about (Lq / block_size) * (Lk / block_size) steps, so
        sizes of 128-1024 are the practical ones (512 is as fast as the plain
        path at L = 4096 here); 1 is exact but slow.
    precision : {"default", "high"}, default "default"
        ``"high"`` forms the scores with compensated dot products: float32
        (and float16) input is computed in float64 throughout; float64 scores
        are formed in double-double (Ozaki's error-free splitting through BLAS,
        then TwoProduct with ``scale``) and exponentiated with the rounding of
        ``s - m`` recovered (TwoSum), so the weights (plain and blocked
        paths) are within a few eps even when the scores are large (the
        default path loses about ``eps * |s|`` per weight: 2.8e3 eps at scores
        scaled by 30).  Costs about 15 matrix products instead of one for
        float64.
    validate : bool, default True
        Check inputs; False skips the value checks on trusted data.

    Returns
    -------
    ndarray, shape (..., Lq, dv), or ``(out, lse)`` with ``return_lse=True``
        Each row is a convex combination of the rows of v that query may
        attend (before dropout); a query with no allowed key gets a row of zeros.

    See Also
    --------
    attention_weights : the weights alone
    scaled_dot_product_attention_grad : the gradients
    multi_head_attention : several heads with projections

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math:: o_i = \sum_j w_{ij} v_j, \qquad w = \texttt{attention\_weights}(q, k)

    The blocked path keeps, per query row, a running maximum m, running sum l
    and running output a.  A key block with scores s updates

    .. math::
        m' = \max(m, \max_j s_j),\quad \alpha = e^{m - m'},\quad
        l' = \alpha l + \sum_j e^{s_j - m'},\quad
        a' = \alpha a + \sum_j e^{s_j - m'} v_j

    and finally :math:`o = a / l`: every term ends up scaled by the true row
    maximum, so the result is the plain one up to rounding (a few ulps of
    max|v| times the conditioning of the scores).  Under ``causal``, key blocks
    entirely after the query block are skipped (about half the work).

    References
    ----------
    Milakov & Gimelshein, "Online normalizer calculation for softmax", 2018.
    Dao et al., "FlashAttention", NeurIPS 2022; Dao, "FlashAttention-2", 2023.

    Examples
    --------
    >>> q = [[0.0, 1.0], [1.0, 0.0]]
    >>> v = [[1.0, 0.0], [0.0, 1.0]]
    >>> scaled_dot_product_attention(q, q, v, scale=1e4).tolist()  # exp(1e4) = inf
    [[1.0, 0.0], [0.0, 1.0]]

    A query with nothing to attend gives zeros, not NaN; the blocked path agrees:

    >>> mask = [[False, False], [True, True]]
    >>> scaled_dot_product_attention(q, q, v, mask=mask, block_size=1).tolist()
    [[0.0, 0.0], [0.3302384506733431, 0.6697615493266569]]
    """
    xp = _ns.foreign_namespace(q, k, v, mask, attn_bias, names=("q", "k", "v", "mask", "attn_bias"))
    if xp is not None:
        from mlmath._xp import attention as portable  # imports this module: not at the top

        if portable.supported(q, k):
            validate = val.check_bool(validate, "validate")  # the NumPy path's order of checks
            return portable.scaled_dot_product_attention(
                xp, q, k, v, mask=mask, attn_bias=attn_bias, causal=causal, scale=scale,
                enable_gqa=val.check_bool(enable_gqa, "enable_gqa"), dropout_p=dropout_p,
                rng=rng, return_lse=val.check_bool(return_lse, "return_lse"),
                block_size=block_size, precision=precision, validate=validate)
        return _ns.on_host(xp, scaled_dot_product_attention, q, k, v, mask=mask,
                           attn_bias=attn_bias, causal=causal, scale=scale,
                           enable_gqa=enable_gqa, dropout_p=dropout_p, rng=rng,
                           return_lse=return_lse, block_size=block_size, precision=precision,
                           validate=validate)
    val.check_bool(validate, "validate")
    block = _check_block_size(block_size)
    high = _check_precision(precision)
    want_lse = val.check_bool(return_lse, "return_lse")
    dropout = _check_dropout(dropout_p, rng)
    inp = _prepare(q, k, val.require(v, "v"), mask, causal, scale, validate, high,
                   bias=attn_bias, gqa=val.check_bool(enable_gqa, "enable_gqa"))
    if block is None:
        out, lse = _plain_forward(inp, dropout)
    else:
        out, lse = _blocked_forward(inp, block, dropout)
    out = val.restore_dtype(out, inp.out_dtype)
    return (out, val.restore_dtype(lse[..., 0], inp.out_dtype)) if want_lse else out


def scaled_dot_product_attention_grad(
    q: ArrayLike, k: ArrayLike, v: ArrayLike, grad_out: ArrayLike, *,
    mask: ArrayLike | None = None, attn_bias: ArrayLike | None = None,
    causal: bool | str = False, scale: float | None = None, enable_gqa: bool = False,
    block_size: int | None = None, validate: bool = True,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    r"""Gradients (dq, dk, dv) of :math:`L = \sum \text{grad\_out} \odot o` through attention.

    Parameters
    ----------
    q, k, v, mask, attn_bias, causal, scale, enable_gqa
        As in :func:`scaled_dot_product_attention` (no dropout: the gradient is
        that of the deterministic attention; the bias is a constant).
    grad_out : array_like, shape (..., Lq, dv)
        Upstream gradient dL/do, in the broadcast output shape.
    block_size : int, optional
        Recompute the weights block by block (FlashAttention-2's backward) with
        extra memory O(batch * block_size * (block_size + d + dv)).
    validate : bool, default True
        Check inputs; False skips the value checks on trusted data.

    Returns
    -------
    dq, dk, dv : ndarray
        Same shapes as q, k and v (gradients summed over broadcast dimensions,
        and over each group of query heads under ``enable_gqa``), in the dtype of
        the attention output (``grad_out`` is cast to it).

    See Also
    --------
    scaled_dot_product_attention : the forward pass
    softmax_cross_entropy_grad : the softmax Jacobian in a loss

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    With :math:`S = \text{scale}\, q k^\top`, :math:`P = \operatorname{softmax}(S)`,
    :math:`o = P v` and :math:`G = \partial L / \partial o`:

    .. math::
        dv = P^\top G,\quad dP = G v^\top,\quad
        dS = P \odot (dP - \operatorname{rowsum}(G \odot o)),\quad
        dq = \text{scale}\; dS\, k,\quad dk = \text{scale}\; dS^\top q.

    The rank-one term uses :math:`\sum_j P_{ij} dP_{ij} = G_i \cdot o_i`, which
    avoids a second pass over the Lq x Lk matrix.  Masked pairs have P = 0 and
    contribute nothing; fully masked rows give zero gradients.

    References
    ----------
    Dao, "FlashAttention-2: faster attention with better parallelism and work
    partitioning", 2023 (Algorithm 2, the blocked backward pass).

    Examples
    --------
    With one key, the output is that key's value whatever q and k are:

    >>> dq, dk, dv = scaled_dot_product_attention_grad([[1.0]], [[2.0]], [[3.0]], [[1.0]])
    >>> dq.tolist(), dk.tolist(), dv.tolist()
    ([[0.0]], [[0.0]], [[1.0]])
    """
    xp = _ns.foreign_namespace(q, k, v, grad_out, mask, attn_bias,
                               names=("q", "k", "v", "grad_out", "mask", "attn_bias"))
    if xp is not None:
        from mlmath._xp import attention as portable  # imports this module: not at the top

        if portable.supported(q, k):
            validate = val.check_bool(validate, "validate")  # the NumPy path's order of checks
            return portable.scaled_dot_product_attention_grad(
                xp, q, k, v, grad_out, mask=mask, attn_bias=attn_bias, causal=causal,
                scale=scale, enable_gqa=val.check_bool(enable_gqa, "enable_gqa"),
                block_size=block_size, validate=validate)
        return _ns.on_host(xp, scaled_dot_product_attention_grad, q, k, v, grad_out, mask=mask,
            attn_bias=attn_bias, causal=causal, scale=scale, enable_gqa=enable_gqa,
            block_size=block_size, validate=validate)
    val.check_bool(validate, "validate")
    block = _check_block_size(block_size)
    gqa = val.check_bool(enable_gqa, "enable_gqa")
    inp = _prepare(q, k, val.require(v, "v"), mask, causal, scale, validate, bias=attn_bias,
                   gqa=gqa)
    assert inp.v is not None
    g, _ = val.as_float_array(grad_out, "grad_out")
    want = (*inp.batch, inp.q.shape[-2], inp.v.shape[-1])
    if g.shape != want:
        raise ValueError(
            f"`grad_out`: expected the output shape (..., Lq, dv) = {want}, got {g.shape}"
        )
    if validate:
        val.check_finite(g, "grad_out")
    # Gradients take the dtype of q, k, v (as the values do); grad_out is cast to it.
    g = g.astype(inp.q.dtype, copy=False)
    dq, dk, dv = _grad_kernel(inp, g, block)
    shapes = [np.shape(np.asarray(a)) for a in (q, k, v)]
    if gqa:
        dk, dv = (_fold_heads(gr, shape) for gr, shape in zip((dk, dv), shapes[1:],
                                                                strict=True))
    # dk already carries scale through the pre-scaled q; dq gets it here.
    grads = (dq * inp.q.dtype.type(inp.scale), dk, dv)
    dq, dk, dv = (val.restore_dtype(_sum_to_shape(gr, shp), inp.out_dtype)
                  for gr, shp in zip(grads, shapes, strict=True))
    return dq, dk, dv


_PROJECTIONS = ("w_q", "w_k", "w_v", "w_o")


def _check_projection(w: ArrayLike, name: str, d_model: int) -> tuple[Array, np.dtype[Any]]:
    arr, out = val.as_float_array(w, name)
    if arr.shape != (d_model, d_model):
        raise ValueError(
            f"`{name}`: expected shape (d_model, d_model) = ({d_model}, {d_model}), "
            f"got {arr.shape}"
        )
    return arr, out


def _check_num_heads(num_heads: Any, d_model: int) -> int:
    h = val.check_positive_int(num_heads, "num_heads")
    if d_model % h:
        raise ValueError(f"`num_heads`: expected a divisor of d_model = {d_model}, got {h}")
    return h


def _split_heads(y: Any, h: int, xp: Any = np) -> Any:
    """(..., L, h * dh) -> (..., h, L, dh): head j owns columns j*dh:(j+1)*dh."""
    return xp.moveaxis(xp.reshape(y, (*y.shape[:-1], h, y.shape[-1] // h)), -2, -3)


def _merge_heads(heads: Any, xp: Any = np) -> Any:
    """(..., h, L, dh) -> (..., L, h * dh): the inverse of :func:`_split_heads`."""
    length, width = heads.shape[-2], heads.shape[-3] * heads.shape[-1]
    return xp.reshape(xp.moveaxis(heads, -3, -2), (*heads.shape[:-3], length, width))


def multi_head_attention(
    x: ArrayLike, w_q: ArrayLike, w_k: ArrayLike, w_v: ArrayLike, w_o: ArrayLike, *,
    num_heads: int, mask: ArrayLike | None = None, causal: bool = False,
    validate: bool = True,
) -> FloatArray:
    r"""Multi-head self-attention of ``x`` (no biases, no dropout).

    Parameters
    ----------
    x : array_like, shape (..., L, d_model)
        Tokens.
    w_q, w_k, w_v, w_o : array_like, shape (d_model, d_model)
        Projections applied on the right (``x @ w_q``, the paper's
        :math:`X W^Q`).  Head j uses columns ``j*dh:(j+1)*dh`` of w_q, w_k,
        w_v and rows ``j*dh:(j+1)*dh`` of w_o, with ``dh = d_model/num_heads``.
        PyTorch's ``nn.MultiheadAttention(bias=False)`` stores the transposes:
        ``in_proj_weight = concat(w_q.T, w_k.T, w_v.T)``, ``out_proj.weight = w_o.T``.
    num_heads : int
        Number of heads; must divide d_model.
    mask : array_like of bool, optional
        True = may attend, broadcastable to (..., L, L); shared by all heads.
    causal : bool, default False
        Token i attends tokens j <= i only.
    validate : bool, default True
        Check inputs; False skips the value checks on trusted data.

    Returns
    -------
    ndarray, shape (..., L, d_model)

    See Also
    --------
    scaled_dot_product_attention : one head

    Notes
    -----
    *Array API input*: PyTorch, JAX or ``array_api_strict`` arrays (those tested) are
    accepted and the result has the input's library, dtype and device (natively or
    computed on the host: see ``docs/array_api.md``).

    .. math::
        \operatorname{MHA}(X) = \operatorname{concat}_j\Big(\operatorname{attn}
        (X W^Q_j, X W^K_j, X W^V_j)\Big) W^O, \qquad \text{scale} = 1/\sqrt{d_h}.

    References
    ----------
    Vaswani et al., "Attention is all you need", NeurIPS 2017, sec. 3.2.2.

    Examples
    --------
    Without positions, self-attention cannot see order: swapping two tokens
    swaps the output rows.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((3, 4))
    >>> w = [rng.standard_normal((4, 4)) for _ in range(4)]
    >>> y = multi_head_attention(x, *w, num_heads=2)
    >>> bool(np.allclose(multi_head_attention(x[[1, 0, 2]], *w, num_heads=2), y[[1, 0, 2]]))
    True
    """
    xp = _ns.foreign_namespace(x, w_q, w_k, w_v, w_o, mask,
                               names=("x", "w_q", "w_k", "w_v", "w_o", "mask"))
    if xp is not None:
        from mlmath._xp import attention as portable  # imports this module: not at the top

        if portable.supported(x, x):  # x is (..., L, d_model): the keys are its L tokens
            causal = val.check_bool(causal, "causal")  # the NumPy path's order of checks
            return portable.multi_head_attention(
                xp, x, w_q, w_k, w_v, w_o, num_heads=num_heads, mask=mask, causal=causal,
                validate=val.check_bool(validate, "validate"))
        return _ns.on_host(xp, multi_head_attention, x, w_q, w_k, w_v, w_o, num_heads=num_heads,
            mask=mask, causal=causal, validate=validate)
    val.check_bool(causal, "causal")
    val.check_bool(validate, "validate")
    xa, x_out = val.as_float_array(x, "x")
    _check_matrix_stack(xa, "x", "(..., L, d_model)")
    d_model = xa.shape[-1]
    ws = [_check_projection(w, n, d_model) for w, n in
          zip((w_q, w_k, w_v, w_o), _PROJECTIONS, strict=True)]
    h = _check_num_heads(num_heads, d_model)
    if validate:
        val.check_finite(xa, "x")
        for (w, _), n in zip(ws, _PROJECTIONS, strict=True):
            val.check_finite(w, n)
    compute, out_dtype = val.result_dtype(x_out, *(o for _, o in ws))
    xa = xa.astype(compute, copy=False)
    wq, wk, wv, wo = (w.astype(compute, copy=False) for w, _ in ws)
    heads_mask = None if mask is None else _head_mask(mask, xa.shape[-2])
    heads = scaled_dot_product_attention(
        _split_heads(xa @ wq, h), _split_heads(xa @ wk, h), _split_heads(xa @ wv, h),
        mask=heads_mask, causal=causal, validate=validate)
    return val.restore_dtype(_merge_heads(heads) @ wo, out_dtype)


def _head_mask(mask: ArrayLike, length: int) -> Array:
    """A (..., L, L) mask with a head axis inserted before its last two axes."""
    m = _prepare_mask(mask, length, length)
    return m[..., None, :, :]

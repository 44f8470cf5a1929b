"""Portable numerics shared by the portable topic modules (standard operations only).

* :func:`two_sum`: Knuth's TwoSum, the exact rounding error of a sum;
* :func:`shifted_exp`: ``exp(x - m)`` with the rounding of ``x - m`` added back;
* :func:`exclude_one_max`: the mask of one maximal entry per row;
* :func:`rows`: a float array laid out with the reduction axes merged last,
  and the inverse layout;
* :func:`exponent`, :func:`ldexp`: ``frexp``'s exponent and ``ldexp`` (the
  standard has neither) from ``log2`` and exact products of powers of 2.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import ModuleType
from typing import Any, NamedTuple, TypeVar, cast

import numpy as np

from mlmath._namespace import device_of

__all__ = ["Rows", "by_row_blocks", "exclude_one_max", "exponent", "ldexp", "quiet", "rows",
           "shifted_exp", "two_sum"]

#: Elements per row block of :func:`by_row_blocks` (float64: 2 MiB per temporary).
BLOCK_ELEMENTS = 1 << 18

_F = TypeVar("_F", bound=Callable[..., Any])


def quiet(fn: _F) -> _F:
    """Run ``fn`` with NumPy's floating-point warnings off, as the NumPy path does.

    Namespaces built on NumPy (``array_api_strict``, Dask) would otherwise warn
    on the intended ``-inf`` arithmetic (``-inf - -inf`` in TwoSum, whose NaN is
    then discarded); the others ignore ``np.errstate``.
    """
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)

    return cast(_F, run)


def two_sum(xp: ModuleType, a: Any, b: Any) -> tuple[Any, Any]:
    """``(s, e)`` with ``s = fl(a + b)`` and ``a + b = s + e`` exactly (Knuth).

    Non-finite inputs make ``e`` NaN; callers zero it where ``s`` decides alone.
    """
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, e


def shifted_exp(xp: ModuleType, x: Any, m: Any, *, exact_shift: bool) -> tuple[Any, Any, Any]:
    """``(d, lo, e)``: ``d = fl(x - m)``, its rounding error ``lo`` and ``e = exp(d + lo)``.

    The rounding error of ``d`` is multiplied by ``|d|`` in ``exp`` (350 eps at
    ``d = -700``); with ``exact_shift`` (float64 input) it is recovered with
    TwoSum and applied as ``exp(d) * (1 + lo)``.  Otherwise (float32 input
    computed in float64) ``lo`` is 0: the extra 29 bits absorb it.  Entries
    where ``x - m`` is not finite (``-inf`` logits) get ``lo = 0``.
    """
    d = x - m
    e = xp.exp(d)
    if not exact_shift:
        return d, xp.zeros_like(d), e
    _, lo = two_sum(xp, x, -m)
    lo = xp.where(xp.isfinite(lo), lo, 0.0)  # exp(d) is 0 (or the row is bad): moot
    return d, lo, e + e * lo


def exclude_one_max(xp: ModuleType, x: Any) -> Any:
    """Boolean mask of one maximal entry per row (the first), shape of ``x``.

    Leaving it out of ``R = sum exp(x - m)`` lets ``log1p(R)`` keep the digits
    of a tiny ``R`` (``1 + R`` would round them away).
    """
    n = x.shape[-1]
    idx = xp.argmax(x, axis=-1, keepdims=True)
    # device_of, not x.device: JAX's autodiff tracers have no .device
    return xp.arange(n, device=device_of(x)) == idx


def by_row_blocks(xp: ModuleType, x2: Any, body: Callable[..., tuple[Any, ...]], *,
                  elements: int = BLOCK_ELEMENTS, along: tuple[Any, ...] = ()
                  ) -> tuple[Any, ...]:
    """``body`` over blocks of rows of ``x2`` (batch + (n,)), its outputs concatenated.

    The standard has no ``out=`` arguments, so a long computation on a large
    array allocates every temporary at full size (tens of passes over memory,
    and fresh pages for each); blocks of about ``elements`` entries keep the
    temporaries in cache (measured 3-5x faster on (256, 32000)).  Each output
    of ``body`` has the block's leading (row) dimension; the loop runs over
    blocks, not rows.  ``along`` holds arrays whose leading dimension is the
    rows of ``x2`` flattened (``None`` entries stay ``None``): ``body(block,
    *their blocks)``.
    """
    batch, n = tuple(x2.shape[:-1]), x2.shape[-1]
    flat = xp.reshape(x2, (-1, n))
    count = flat.shape[0]
    step = max(1, elements // max(n, 1))
    if count <= step:
        outs = body(flat, *along)
    else:
        def cut(a: Any, i: int) -> Any:
            return None if a is None else a[i:i + step, ...]

        parts = [body(cut(flat, i), *(cut(a, i) for a in along)) for i in range(0, count, step)]
        outs = tuple(xp.concat([p[k] for p in parts], axis=0) for k in range(len(parts[0])))
    return tuple(xp.reshape(o, (*batch, *o.shape[1:])) for o in outs)


#: |n| up to which 2**n is a normal float64 (2**-1022 is the smallest normal).
_NORMAL_EXPONENT = 1022


#: 2**k for k = -1022..1022, exact (Python's float powers of 2 are).
_POWERS_OF_TWO = np.array([2.0**k for k in range(-_NORMAL_EXPONENT, _NORMAL_EXPONENT + 1)])


def _pow2(xp: ModuleType, n: Any) -> Any:
    """``2.0**n`` exactly, for an integer array ``n`` with ``|n| <= 1022``.

    A look-up in a table of the exact powers (``pow`` is not required to be
    exact; one ``take`` is also cheaper than building them from n's bits).
    """
    table = xp.asarray(_POWERS_OF_TWO, device=n.device)
    flat = xp.reshape(n, (-1,)) + _NORMAL_EXPONENT
    return xp.reshape(xp.take(table, flat), n.shape)


def exponent(xp: ModuleType, x: Any) -> Any:
    """``frexp``'s exponent (int64): ``e`` with ``|x| 2**-e`` in [1/2, 1); 0 for zeros
    and non-finite entries, as ``frexp``.

    Estimated as ``floor(log2|x|) + 1`` (``log2`` rounds, so it may be one off
    next to a power of 2), then corrected by the exact mantissa ``|x| 2**-e``.
    """
    regular = xp.isfinite(x) & (x != 0)
    a = xp.abs(xp.where(regular, x, 1.0))
    e = xp.astype(xp.clip(xp.floor(xp.log2(a)) + 1.0, -1073, 1024), xp.int64)
    m = ldexp(xp, a, -e)
    e = e + xp.astype(m >= 1.0, xp.int64) - xp.astype(m < 0.5, xp.int64)
    return xp.where(regular, e, 0)


def ldexp(xp: ModuleType, x: Any, n: Any) -> Any:
    """``x * 2**n`` for float64 ``x`` and an integer array ``n`` (``ldexp``).

    One multiplication by an exact power of 2 where ``|n| <= 1022`` (rounded
    once, as ``ldexp``), else several, all exact but the last, which rounds
    a subnormal result (then possibly off by the double rounding, at most
    2**-1074; a result ``ldexp`` overflows may be NaN).
    """
    first = xp.clip(n, -_NORMAL_EXPONENT, _NORMAL_EXPONENT)
    out = x * _pow2(xp, first)
    rest = n - first
    while bool(xp.any(rest != 0)):
        step = xp.clip(rest, -_NORMAL_EXPONENT, _NORMAL_EXPONENT)
        out, rest = out * _pow2(xp, step), rest - step
    return out


class Rows(NamedTuple):
    """``x`` with its reduction axes merged into one last axis, and the way back."""

    x2: Any                      # shape batch + (n,)
    axes: tuple[int, ...]        # normalised, sorted reduction axes of the original
    shape: tuple[int, ...]       # shape of the original (0-d counted as (1,))
    scalar: bool                 # the original was 0-d
    restore: Callable[[Any], Any]  # batch + (n,) result -> the original layout
    reduced: Callable[[Any, bool], Any]  # batch result (no last axis) -> keepdims or not


def rows(xp: ModuleType, x: Any, axes: tuple[int, ...], *, scalar: bool) -> Rows:
    """Lay ``x`` (at least 1-d) out with the reduction ``axes`` moved last and merged."""
    ndim = x.ndim
    others = [a for a in range(ndim) if a not in axes]
    perm = (*others, *axes)
    moved = x if perm == tuple(range(ndim)) else xp.permute_dims(x, perm)
    batch = tuple(x.shape[a] for a in others)
    n = 1
    for a in axes:
        n *= x.shape[a]
    x2 = xp.reshape(moved, (*batch, n)) if len(axes) > 1 else moved
    inverse = [0] * ndim
    for i, a in enumerate(perm):
        inverse[a] = i

    def restore(out2: Any) -> Any:
        out = xp.reshape(out2, (*batch, *(x.shape[a] for a in axes)))
        if perm != tuple(range(ndim)):
            out = xp.permute_dims(out, tuple(inverse))
        return xp.reshape(out, ()) if scalar else out

    def reduced(out: Any, keepdims: bool) -> Any:
        if scalar:
            return xp.reshape(out, ())
        if keepdims:
            shape = tuple(1 if a in axes else x.shape[a] for a in range(ndim))
            return xp.reshape(out, shape)
        return out

    return Rows(x2, axes, tuple(x.shape), scalar, restore, reduced)

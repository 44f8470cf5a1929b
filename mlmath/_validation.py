"""Input validation shared by every public function (the one place for it).

Each check is a small named function called in the first lines of a public
function.  Messages read "`<arg>`: expected ..., got ..." and name the first
offending position, so a user can find the bad entry in a large array.

Dtype rules (``../API.md``, "General rules"):

* float32, float64 (and longdouble) keep their dtype;
* float16 is computed in float32 and returned as float16;
* integers and bools become float64;
* complex, object, string, bytes, datetime ... raise ``TypeError``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "FloatArray",
    "as_array",
    "as_bool_mask",
    "as_float_array",
    "as_label_array",
    "check_axis",
    "check_base",
    "check_bool",
    "check_choice",
    "check_finite",
    "check_no_nan",
    "check_no_posinf",
    "check_nonempty_axis",
    "check_nonempty_mean",
    "check_nonnegative",
    "check_normalised",
    "check_positive_int",
    "check_positive_scalar",
    "check_probabilities",
    "check_same_shape",
    "check_unit_interval",
    "first_index",
    "normalisation_tolerance",
    "require",
    "restore_dtype",
    "result_dtype",
]

FloatArray = NDArray[np.floating[Any]]


def first_index(bad: NDArray[np.bool_]) -> tuple[int, ...]:
    """Index (as a tuple) of the first True entry of ``bad`` in C order."""
    flat = int(np.argmax(bad.reshape(-1)))
    return tuple(int(i) for i in np.unravel_index(flat, bad.shape))


def _show(value: Any) -> str:
    """``repr`` of a value as the user wrote it: NumPy scalars print as Python numbers
    (``-0.5``, not ``np.float64(-0.5)`` as NumPy 2 would show them); an integer too
    large for a float prints as its number of digits, not hundreds of them."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 1024:
        return f"an integer too large for a float ({len(str(abs(value)))} digits)"
    return repr(value.item() if isinstance(value, np.generic) else value)


def _format_index(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]"


def result_dtype(*dtypes: np.dtype[Any]) -> tuple[np.dtype[Any], np.dtype[Any]]:
    """Return ``(compute_dtype, output_dtype)`` for already-float input dtypes.

    float16 is computed in float32 and returned as float16 (float16's 10-bit
    mantissa and 65504 range make every stable formula here overflow or lose
    all digits); several inputs promote as NumPy does.
    """
    out = np.result_type(*dtypes)
    compute = np.dtype(np.float32) if out == np.float16 else out
    return np.dtype(compute), np.dtype(out)


def check_bool(value: object, name: str) -> bool:
    """A ``bool`` or ``np.bool_`` flag (``validate``, ``keepdims``, ``causal`` ...).

    Any other object raises ``TypeError``: ``validate='no'`` is truthy and would
    otherwise silently *enable* what the caller meant to disable (or the reverse).
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"`{name}`: expected a bool, got {_show(value)} ({type(value).__name__})"
        )
    return bool(value)


def require(value: ArrayLike | None, name: str) -> ArrayLike:
    """``value`` itself; ``None`` for a required array argument raises ``TypeError``."""
    if value is None:
        raise TypeError(f"`{name}`: expected a real array-like, got None")
    return value


def as_array(x: ArrayLike, name: str) -> NDArray[Any]:
    """``np.asarray(x)`` with the two silent surprises of NumPy turned into errors.

    * a masked array (``np.ma.MaskedArray``) raises ``TypeError``: ``np.asarray``
      would drop the mask and compute on the hidden values;
    * a ragged nested sequence raises ``ValueError`` naming ``name`` instead of
      NumPy's "inhomogeneous shape" message.
    """
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(
            f"`{name}`: expected a plain array, got a masked array (masked arrays are not "
            f"supported; pass arr.filled(...) or use validate=False on a filled copy)"
        )
    try:
        return np.asarray(x)
    except ValueError as exc:  # ragged nested sequences
        raise ValueError(
            f"`{name}`: expected a rectangular array-like, got a ragged sequence ({exc})"
        ) from None
    except TypeError as exc:
        raise TypeError(f"`{name}`: expected an array-like, got {exc}") from None


def as_float_array(x: ArrayLike, name: str) -> tuple[FloatArray, np.dtype[Any]]:
    """Convert ``x`` to a floating array following the dtype rules.

    Returns ``(array_in_compute_dtype, output_dtype)``.  Raises ``TypeError``
    naming ``name`` for complex, object, string and other non-real dtypes.
    """
    if isinstance(x, (str, bytes)):
        raise TypeError(f"`{name}`: expected a real array-like, got {type(x).__name__}")
    arr = as_array(x, name)
    kind = arr.dtype.kind
    if kind in "biu":
        return arr.astype(np.float64), np.dtype(np.float64)
    if kind != "f":
        raise TypeError(
            f"`{name}`: expected a real (bool, integer or float) dtype, got dtype {arr.dtype}"
        )
    compute, out = result_dtype(arr.dtype)
    return arr.astype(compute, copy=False), out


def as_label_array(x: ArrayLike, name: str) -> NDArray[np.intp]:
    """Integer class labels; floats (even integral ones) raise ``TypeError``.

    Unsigned labels are compared by value: one above the ``intp`` range (e.g.
    ``2**64 - 1`` in uint64, which a cast would wrap to ``-1``) raises
    ``ValueError`` instead of being reinterpreted.
    """
    arr = as_array(x, name)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"`{name}`: expected an integer dtype for class labels, got {arr.dtype}")
    _check_fits_intp(arr, name)
    return arr.astype(np.intp, copy=False)


def _check_fits_intp(arr: NDArray[Any], name: str) -> None:
    """Raise ``ValueError`` at the first unsigned entry a cast to ``intp`` would wrap."""
    if arr.dtype.kind == "u" and arr.size and arr.dtype.itemsize >= np.dtype(np.intp).itemsize:
        bad = arr > np.iinfo(np.intp).max
        if bad.any():
            idx = first_index(bad)
            raise ValueError(
                f"`{name}`: expected labels at most {np.iinfo(np.intp).max}, got "
                f"{_show(arr[idx])} at index {_format_index(idx)}"
            )


def restore_dtype(result: Any, out_dtype: np.dtype[Any]) -> Any:
    """Cast a computed result back to the output dtype (0-d arrays become scalars)."""
    arr = np.asarray(result)
    if arr.dtype != out_dtype:
        arr = arr.astype(out_dtype)
    return arr[()] if arr.ndim == 0 else arr


def check_no_nan(x: NDArray[Any], name: str) -> None:
    """Raise ``ValueError`` at the first NaN (infinities are allowed)."""
    bad = np.isnan(x)
    if bad.any():
        idx = first_index(bad)
        raise ValueError(f"`{name}`: expected no NaN, got NaN at index {_format_index(idx)}")


def check_finite(x: NDArray[Any], name: str) -> None:
    """Raise ``ValueError`` at the first NaN or infinity."""
    bad = ~np.isfinite(x)
    if bad.any():
        idx = first_index(bad)
        raise ValueError(
            f"`{name}`: expected finite values, got {x[idx]} at index {_format_index(idx)}"
        )


def check_nonnegative(x: NDArray[Any], name: str) -> None:
    """Raise ``ValueError`` at the first negative entry."""
    bad = x < 0
    if bad.any():
        idx = first_index(bad)
        raise ValueError(
            f"`{name}`: expected non-negative values, got {_show(x[idx])} at index "
            f"{_format_index(idx)}"
        )


def check_unit_interval(x: NDArray[Any], name: str) -> None:
    """Raise ``ValueError`` at the first entry outside [0, 1] (NaN included)."""
    bad = ~((x >= 0) & (x <= 1))
    if bad.any():
        idx = first_index(bad)
        raise ValueError(
            f"`{name}`: expected values in [0, 1], got {_show(x[idx])} at index "
            f"{_format_index(idx)}"
        )


def check_axis(axis: Any, ndim: int, name: str = "axis") -> int:
    """Validate a NumPy-style axis (negative allowed) and return it normalised."""
    if isinstance(axis, (bool, np.bool_)):
        raise TypeError(f"`{name}`: expected an integer, got {_show(axis)}")
    try:
        ax = operator.index(axis)
    except TypeError:
        raise TypeError(f"`{name}`: expected an integer, got {_show(axis)}") from None
    if not -ndim <= ax < ndim:
        raise ValueError(
            f"`{name}`: expected an axis in [{-ndim}, {ndim - 1}] for an array of "
            f"{ndim} dimension(s), got {ax}"
        )
    return ax % ndim


def check_axes(axis: Any, ndim: int, name: str = "axis") -> tuple[int, ...]:
    """An axis, a tuple of distinct axes or ``None`` (every axis), normalised and sorted.

    The order of a tuple does not matter to a reduction over those axes; sorting
    keeps the merged axis in the array's memory order.
    """
    if axis is None:
        return tuple(range(ndim))
    if not isinstance(axis, tuple):
        return (check_axis(axis, ndim, name),)
    if not axis:
        raise ValueError(f"`{name}`: expected at least one axis, got ()")
    axes = [check_axis(a, ndim, name) for a in axis]
    if len(set(axes)) != len(axes):
        raise ValueError(f"`{name}`: expected distinct axes, got {axis} for an array of "
                         f"{ndim} dimension(s)")
    return tuple(sorted(axes))


def broadcast_shape(arrays: Sequence[NDArray[Any]], names: Sequence[str]) -> tuple[int, ...]:
    """The shape the arrays broadcast to (NumPy's rules); ``ValueError`` naming the culprit."""
    shape = arrays[0].shape
    for arr, name in zip(arrays[1:], names[1:], strict=True):
        try:
            shape = np.broadcast_shapes(shape, arr.shape)
        except ValueError:
            raise ValueError(f"`{name}`: expected a shape that broadcasts with `{names[0]}` "
                             f"{arrays[0].shape}, got {arr.shape}") from None
    return shape


def check_nonempty_axis(x: NDArray[Any], axis: int, name: str) -> None:
    """Raise ``ValueError`` when the reduction axis has length 0."""
    if x.shape[axis] == 0:
        raise ValueError(
            f"`{name}`: expected a non-empty axis {axis}, got shape {x.shape}"
        )


def check_nonempty_mean(x: NDArray[Any], reduction: str, name: str) -> None:
    """Raise ``ValueError`` for ``reduction="mean"`` over an empty array.

    The mean of nothing is 0/0: mlmath never returns a silent NaN (PyTorch does)
    nor an invented 0.0, so it is an error; ``"sum"`` (0.0) and ``"none"`` (an
    empty array) stay well defined.
    """
    if reduction == "mean" and x.size == 0:
        raise ValueError(
            f"`{name}`: expected at least one element for reduction='mean' (the mean of "
            f"an empty array is undefined), got shape {x.shape}"
        )


def normalisation_tolerance(dtype: np.dtype[Any], n: int) -> float:
    """Tolerance on |sum - 1| for a distribution of ``n`` entries.

    A distribution normalised by ``p / p.sum()`` in the same dtype is off by at
    most about ``n`` ulps (naive summation), so the bound is ``(8 + n) * eps``:
    this accepts every honestly normalised input and rejects real mistakes.
    """
    return float((8 + n) * np.finfo(dtype).eps)


def check_normalised(p: NDArray[Any], axis: int | tuple[int, ...], name: str) -> None:
    """Raise ``ValueError`` where the sums along ``axis`` (one or several) differ from 1."""
    n = int(np.prod([p.shape[a] for a in np.atleast_1d(axis)]))
    tol = normalisation_tolerance(p.dtype, n)
    sums = np.sum(p, axis=axis, dtype=np.float64)
    bad = ~(np.abs(sums - 1.0) <= tol)
    if bad.any():
        idx = first_index(np.atleast_1d(bad))
        total = np.atleast_1d(sums)[idx]
        where = f" at batch index {_format_index(idx)}" if np.ndim(sums) else ""
        raise ValueError(
            f"`{name}`: expected entries summing to 1 along axis {axis} "
            f"(tolerance {tol:.2g}), got sum {_show(total)}{where}"
        )


def check_probabilities(p: NDArray[Any], axis: int | tuple[int, ...], name: str) -> None:
    """Finite, non-negative, normalised along ``axis`` (one or several), non-empty axis."""
    for a in np.atleast_1d(axis):
        check_nonempty_axis(p, int(a), name)
    check_finite(p, name)
    check_nonnegative(p, name)
    check_normalised(p, axis, name)


def check_same_shape(a: NDArray[Any], b: NDArray[Any], name_a: str, name_b: str) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(
            f"`{name_b}`: expected the shape of `{name_a}` {a.shape}, got {b.shape}"
        )


def check_finite_scalar(value: Any, name: str) -> float:
    """A finite real scalar of any sign; returns it as float."""
    if type(value) is float and math.isfinite(value):  # the common case, checked first
        return value
    if isinstance(value, (bool, np.bool_)) or (not np.isscalar(value) and np.ndim(value) != 0):
        raise TypeError(f"`{name}`: expected a real scalar, got {_show(value)}")
    if value is None or np.iscomplexobj(value) or isinstance(value, (str, bytes)):
        raise TypeError(f"`{name}`: expected a real scalar, got {_show(value)}")
    try:
        v = float(value)
    except OverflowError:  # a Python int beyond the float range, e.g. 10**400
        raise ValueError(f"`{name}`: expected a finite value, got {_show(value)}") from None
    except (TypeError, ValueError):
        raise TypeError(f"`{name}`: expected a real scalar, got {_show(value)}") from None
    if not np.isfinite(v):
        raise ValueError(f"`{name}`: expected a finite value, got {_show(value)}")
    return v


def check_positive_scalar(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """A finite real scalar > 0 (or >= 0 when ``allow_zero``); returns it as float."""
    bound = ">= 0" if allow_zero else "> 0"
    try:
        v = check_finite_scalar(value, name)
    except ValueError:
        raise ValueError(f"`{name}`: expected a finite value {bound}, got {_show(value)}") from None
    if not (v >= 0 if allow_zero else v > 0):
        raise ValueError(f"`{name}`: expected a finite value {bound}, got {_show(value)}")
    return v


def check_order(value: Any, name: str, *, allow_inf: bool) -> float:
    """An order or index parameter (Rényi's alpha, Tsallis' q): a real number >= 0."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                      np.floating)):
        raise TypeError(f"`{name}`: expected a real number >= 0, got {_show(value)}")
    if isinstance(value, int) and abs(value) > 10**300:
        raise ValueError(f"`{name}`: expected a real number >= 0, got an integer of "
                         f"{len(str(abs(value)))} digits")
    order = float(value)
    if not (order >= 0 and (allow_inf or order < np.inf)):
        bound = "" if allow_inf else ", finite"
        raise ValueError(f"`{name}`: expected a real number >= 0{bound}, got {order!r}")
    return order


def check_base(base: Any) -> float | None:
    """``None`` (nats) or a finite base > 0 and != 1; returns it as float."""
    if base is None:
        return None
    b = check_positive_scalar(base, "base")
    if b == 1.0:
        raise ValueError("`base`: expected a base > 0 and != 1, got 1")
    return b


def check_choice(value: Any, choices: Sequence[str], name: str) -> str:
    """One of a fixed set of strings (e.g. ``reduction``)."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"`{name}`: expected one of {list(choices)}, got {_show(value)}")
    return value


def check_no_posinf(x: NDArray[Any], name: str, *, why: str) -> None:
    """Raise ``ValueError`` at the first ``+inf`` (``why`` says why it is refused)."""
    bad = x == np.inf
    if bad.any():
        idx = first_index(bad)
        raise ValueError(
            f"`{name}`: expected no +inf ({why}), got +inf at index {_format_index(idx)}"
        )


def check_fraction(value: Any, name: str) -> float:
    """A real scalar in [0, 1] (e.g. ``label_smoothing``, ``l1_ratio``); returns it as float."""
    if value is None:
        raise TypeError(f"`{name}`: expected a real scalar in [0, 1], got None")
    try:
        v = check_positive_scalar(value, name, allow_zero=True)
    except ValueError:
        v = float("nan")  # negative or non-finite: reported below with the [0, 1] range
    if not 0 <= v <= 1:
        raise ValueError(f"`{name}`: expected a value in [0, 1], got {_show(value)}")
    return v


def check_optional_int(value: Any, name: str) -> int | None:
    """``None`` or a Python/NumPy integer (bools rejected); returns it as int."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}`: expected an integer or None, got {_show(value)}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"`{name}`: expected an integer or None, got {_show(value)}") from None


def check_broadcastable(shape: tuple[int, ...], target: tuple[int, ...], name: str) -> None:
    """Raise ``ValueError`` unless an array of ``shape`` broadcasts to ``target``."""
    try:
        ok = np.broadcast_shapes(shape, target) == target
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"`{name}`: expected a shape broadcastable to {target}, got {shape}")


def as_bool_mask(x: ArrayLike, target: tuple[int, ...], name: str) -> NDArray[np.bool_]:
    """A boolean array broadcast to ``target`` (a ``where=`` mask: True = included).

    Any other dtype raises ``TypeError`` (a 0/1 integer mask would be ambiguous
    with weights); a shape that does not broadcast to ``target`` raises ``ValueError``.
    """
    arr = as_array(x, name)
    if arr.dtype != np.bool_:
        raise TypeError(f"`{name}`: expected a boolean array (True = included), "
                        f"got dtype {arr.dtype}")
    check_broadcastable(arr.shape, target, name)
    return np.broadcast_to(arr, target)


def as_group_labels(groups: ArrayLike, shape: tuple[int, ...], name: str) -> NDArray[np.intp]:
    """Integer group labels, one per element of an array of ``shape``.

    Booleans and floats (even integral ones) raise ``TypeError``: a label is an
    identity, not a quantity, so ``1.0`` is more likely a mix-up with weights.
    """
    arr = as_array(groups, name)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"`{name}`: expected an integer dtype (one group label per "
                        f"element), got dtype {arr.dtype}")
    if arr.shape != shape:
        raise ValueError(f"`{name}`: expected one label per element, i.e. shape {shape}, "
                         f"got shape {arr.shape}")
    _check_fits_intp(arr, name)
    return arr.astype(np.intp, copy=False)


def check_positive_int(value: Any, name: str) -> int:
    """An integer >= 1 (bools, floats and other non-integers raise ``TypeError``)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}`: expected an integer >= 1, got {_show(value)}")
    try:
        n = operator.index(value)
    except TypeError:
        raise TypeError(f"`{name}`: expected an integer >= 1, got {_show(value)}") from None
    if n < 1:
        raise ValueError(f"`{name}`: expected an integer >= 1, got {n}")
    return n


def check_finite_fast(x: NDArray[Any], name: str) -> None:
    """:func:`check_finite` behind a one-pass shortcut for large arrays.

    A finite sum proves every entry finite (NaN and +-inf propagate through a
    sum), so the common case costs one summation without temporaries; only a
    non-finite sum (a bad entry, or finite values overflowing) pays the
    elementwise scan that names the position.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.sum(x)
    if not np.isfinite(total):
        check_finite(x, name)


def require_optional(module: str, extra: str, what: str) -> None:
    """Raise a one-line ``ModuleNotFoundError`` saying which extra installs ``module``.

    Used by the parts of mlmath that need an optional dependency (Hypothesis for
    :mod:`mlmath.strategies`, :mod:`mlmath.testing` and the audit), so a missing
    one reads ``mlmath.testing needs hypothesis: pip install "mlmath[test]"``
    instead of a bare import error deep in a traceback.
    """
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ModuleNotFoundError(f'{what} needs {module}: pip install "mlmath[{extra}]"',
                                  name=module)


# ----------------------------------------------------------------------------
# The same checks on arrays of any Array API namespace ``xp`` (the portable
# implementations, :mod:`mlmath._xp`).  The messages and exception types are
# those of the NumPy checks above; only the error case copies anything (the
# mask of bad entries) to the host, to name the first position.
# ----------------------------------------------------------------------------

def _host(x: Any) -> NDArray[Any]:
    from mlmath._namespace import to_host

    return np.asarray(to_host(x))


def xp_asarray(xp: Any, x: Any, name: str, *, device: Any) -> Any:
    """``x`` as an array of ``xp`` on ``device`` (arrays of ``xp`` unchanged).

    Python numbers, lists and NumPy scalars (the host types) are converted;
    strings, complex numbers and ``None`` raise ``TypeError`` naming ``name``.
    """
    if x is None or isinstance(x, (str, bytes, complex)):
        raise TypeError(f"`{name}`: expected a real array-like, got {type(x).__name__}")
    if isinstance(x, (list, tuple, int, float, bool, np.generic, np.ndarray)):
        # Through NumPy: the NumPy path's dtypes (a Python float is float64, where
        # torch's default would be float32), then onto the device.
        return xp.asarray(as_array(x, name), device=device)
    return x


def xp_as_float_array(xp: Any, x: Any, name: str) -> tuple[Any, Any]:
    """:func:`as_float_array` for an array of ``xp``: ``(compute array, output dtype)``.

    bool and integer arrays become float64; float16 is computed in float32 and
    returned as float16; complex raises ``TypeError`` naming ``name``.
    """
    dtype = x.dtype
    if xp.isdtype(dtype, ("bool", "integral")):
        return xp.astype(x, xp.float64), xp.float64
    if not xp.isdtype(dtype, "real floating"):
        raise TypeError(
            f"`{name}`: expected a real (bool, integer or float) dtype, got dtype {dtype}")
    if dtype != xp.float32 and dtype != xp.float64:  # float16 (bfloat16): computed in float32
        return xp.astype(x, xp.float32), dtype
    return x, dtype


def xp_result_dtype(xp: Any, *dtypes: Any) -> Any:
    """The output dtype of several float dtypes: promoted as NumPy does (``result_type``)."""
    return xp.result_type(*dtypes)


def _xp_first_bad(xp: Any, bad: Any) -> tuple[int, ...] | None:
    """The first True position of ``bad`` (C order), or ``None`` when there is none."""
    if not bool(xp.any(bad)):
        return None
    return first_index(_host(bad))


def xp_check_no_nan(xp: Any, x: Any, name: str) -> None:
    """:func:`check_no_nan` for an array of ``xp``."""
    idx = _xp_first_bad(xp, xp.isnan(x))
    if idx is not None:
        raise ValueError(f"`{name}`: expected no NaN, got NaN at index {_format_index(idx)}")


def xp_check_finite(xp: Any, x: Any, name: str) -> None:
    """:func:`check_finite` for an array of ``xp``."""
    idx = _xp_first_bad(xp, ~xp.isfinite(x))
    if idx is not None:
        raise ValueError(f"`{name}`: expected finite values, got {_host(x)[idx]} at index "
                         f"{_format_index(idx)}")


def xp_check_nonnegative(xp: Any, x: Any, name: str) -> None:
    """:func:`check_nonnegative` for an array of ``xp``."""
    idx = _xp_first_bad(xp, x < 0)
    if idx is not None:
        raise ValueError(f"`{name}`: expected non-negative values, got {_show(_host(x)[idx])} "
                         f"at index {_format_index(idx)}")


def xp_check_unit_interval(xp: Any, x: Any, name: str) -> None:
    """:func:`check_unit_interval` for an array of ``xp``."""
    idx = _xp_first_bad(xp, ~((x >= 0) & (x <= 1)))
    if idx is not None:
        raise ValueError(f"`{name}`: expected values in [0, 1], got {_show(_host(x)[idx])} at "
                         f"index {_format_index(idx)}")


def xp_check_no_posinf(xp: Any, x: Any, name: str, *, why: str) -> None:
    """:func:`check_no_posinf` for an array of ``xp``."""
    idx = _xp_first_bad(xp, x == float("inf"))
    if idx is not None:
        raise ValueError(f"`{name}`: expected no +inf ({why}), got +inf at index "
                         f"{_format_index(idx)}")


def xp_as_bool_mask(xp: Any, x: Any, target: tuple[int, ...], name: str, *,
                    device: Any) -> Any:
    """:func:`as_bool_mask` for ``xp``: a boolean array broadcast to ``target``."""
    if isinstance(x, np.ndarray) and x.dtype != np.bool_:
        raise TypeError(f"`{name}`: expected a boolean array (True = included), "
                        f"got dtype {x.dtype}")
    arr = xp_asarray(xp, x, name, device=device)
    if not xp.isdtype(arr.dtype, "bool"):
        raise TypeError(f"`{name}`: expected a boolean array (True = included), "
                        f"got dtype {arr.dtype}")
    check_broadcastable(tuple(arr.shape), target, name)
    return xp.broadcast_to(arr, target)

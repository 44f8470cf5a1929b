"""Array API dispatch: which namespace an input belongs to, and the host fallback.

Every public function starts with ``xp = foreign_namespace(<array arguments>)``.
``None`` (NumPy arrays and scalars, Python numbers, lists, tuples, ``None``)
means today's NumPy path, unchanged; any other Array API array (PyTorch, JAX,
``array_api_strict``, tested; CuPy, Dask and others, untested) gets its
``array-api-compat`` namespace, and
the function returns

* the portable implementation (``mlmath._xp.<topic>``), written with standard
  Array API operations only, when the function is in :data:`NATIVE`;
* otherwise :func:`on_host`: the arrays are copied to NumPy (DLPack), the
  verified NumPy path runs, and the results are copied back with
  ``xp.asarray(result, device=device)``.

Either way the result has the input's library, dtype and device.  The NumPy
path pays one ``type(x)`` set lookup per array argument (21 ns, docs/array_api.md).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["CAVEATS", "HOST_TYPES", "NATIVE", "OnHost", "device_of", "first_array",
           "foreign_namespace", "native", "on_host", "support_table", "to_host"]

#: Types that always take the NumPy path.  The check is ``type(x) in HOST_TYPES``
#: first (a set lookup, the cost every NumPy call pays); anything else is
#: classified once more by :func:`_classify`.
HOST_TYPES: frozenset[type] = frozenset({
    np.ndarray, float, int, bool, complex, list, tuple, type(None), str, bytes,
    *(np.dtype(c).type for c in "?bhilqBHILQefdgFDG"), np.str_, np.bytes_,
})

#: Public functions computed natively (with the input's namespace); every other
#: public function runs on the host through :func:`on_host`.  ``docs/array_api.md``
#: lists both and ``tests/test_array_api.py`` checks that the list tells the truth.
NATIVE: frozenset[str] = frozenset({
    # special (logsumexp: cancelling rows refined, negative weights computed, on the host)
    "log_sigmoid", "log_softmax", "logsumexp", "sigmoid", "softmax", "softplus",
    # penalties (all of them; the group sums by sorting and segmented scans)
    "elastic_net", "elastic_net_subgradient", "group_lasso", "huber", "huber_grad", "l1",
    "l1_subgradient", "nuclear_norm", "project_box", "project_l1_ball", "project_simplex",
    "prox_elastic_net", "prox_group_lasso", "prox_huber", "prox_l1", "prox_linf",
    "prox_nuclear_norm", "prox_sparse_group_lasso", "prox_squared_l2", "sparse_group_lasso",
    "sparse_group_lasso_subgradient", "squared_l2", "squared_l2_grad",
    # information (all of it)
    "binary_entropy", "conditional_entropy", "cross_entropy", "entropy", "joint_entropy",
    "js_distance", "js_divergence", "kl_divergence", "mutual_information", "renyi_divergence",
    "renyi_entropy", "tsallis_entropy",
    # losses (all of them)
    "binary_cross_entropy", "hinge_loss", "hinge_loss_grad", "info_nce", "info_nce_grad",
    "multiclass_hinge_loss", "multiclass_hinge_loss_grad", "nt_xent", "nt_xent_grad",
    "poly_loss_cross_entropy", "poly_loss_cross_entropy_grad", "sigmoid_binary_cross_entropy",
    "sigmoid_binary_cross_entropy_grad", "sigmoid_focal_loss", "sigmoid_focal_loss_grad",
    "softmax_cross_entropy", "softmax_cross_entropy_grad",
    # attention (empty key axes: host)
    "attention_weights", "multi_head_attention", "scaled_dot_product_attention",
    "scaled_dot_product_attention_grad",
})


def _is_foreign(x: object) -> bool:
    """An array of another library than NumPy (NumPy subclasses are NumPy's)."""
    if isinstance(x, (np.ndarray, np.generic)):
        return False
    from array_api_compat import is_array_api_obj

    return bool(is_array_api_obj(x))


def foreign_namespace(*values: object, names: tuple[str, ...] = ()) -> ModuleType | None:
    """The Array API namespace of the non-NumPy arrays among ``values``, or ``None``.

    ``None`` when every value is a NumPy array or scalar, a Python number,
    list, tuple or ``None`` (the NumPy path).  Arrays of two different
    libraries raise ``TypeError`` naming the two arguments (``names`` gives
    the arguments' names in the order of ``values``).
    """
    for x in values:
        if type(x) not in HOST_TYPES:
            return _classify(values, names)
    return None


def _classify(values: tuple[object, ...], names: tuple[str, ...]) -> ModuleType | None:
    from array_api_compat import array_namespace

    found: list[tuple[str, object, ModuleType]] = []
    numpy_arg: str | None = None
    for i, x in enumerate(values):
        name = names[i] if i < len(names) else f"argument {i}"
        if isinstance(x, np.ndarray):  # NumPy scalars mix like Python numbers
            numpy_arg = numpy_arg or name
        elif _is_foreign(x):
            found.append((name, x, array_namespace(x)))
    if not found:
        return None
    first_name, _, xp = found[0]
    for name, _, other in found[1:]:
        if other is not xp:
            raise TypeError(f"`{name}`: expected an array of the same library as "
                            f"`{first_name}` ({_library(xp)}), got {_library(other)}")
    if numpy_arg is not None:
        raise TypeError(f"`{numpy_arg}`: expected an array of the same library as "
                        f"`{first_name}` ({_library(xp)}), got a NumPy array")
    return xp


def _library(xp: ModuleType) -> str:
    """``torch`` for ``array_api_compat.torch``, ``array_api_strict`` for itself."""
    name = xp.__name__
    return name.removeprefix("array_api_compat.")


def first_array(*values: object) -> Any:
    """The first foreign array among ``values`` (its device is the result's)."""
    for x in values:
        if type(x) not in HOST_TYPES and _is_foreign(x):
            return x
    raise ValueError("no foreign array among the arguments")


def device_of(x: Any) -> Any:
    """The device of an Array API array (``array_api_compat.device``)."""
    from array_api_compat import device

    return device(x)


def to_host(x: Any) -> Any:
    """A NumPy copy (or view) of a foreign array; anything else unchanged."""
    if type(x) in HOST_TYPES or not _is_foreign(x):
        return x
    from array_api_compat import is_torch_array, to_device

    if is_torch_array(x):
        # .detach(): the host path never differentiates; .cpu() is a no-op on the CPU.
        return x.detach().cpu().numpy()
    try:
        return np.from_dlpack(x)
    except (BufferError, RuntimeError, TypeError, ValueError):  # another device
        return np.asarray(to_device(x, "cpu"))


def _to_namespace(result: Any, xp: ModuleType, device: Any) -> Any:
    if isinstance(result, tuple):
        return tuple(_to_namespace(r, xp, device) for r in result)
    if isinstance(result, (np.ndarray, np.generic, float, int)):
        return xp.asarray(np.asarray(result), device=device)
    return result


def on_host(xp: ModuleType, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run the NumPy function ``fn`` on host copies of the arguments, return ``xp`` arrays.

    The results (arrays, scalars, tuples of them) come back as arrays of ``xp``
    on the device of the first foreign argument, with the NumPy path's dtype
    (which is the input's: the dtype rules are the same).
    """
    device = device_of(first_array(*args, *kwargs.values()))
    host_args = [to_host(a) for a in args]
    host_kwargs = {k: to_host(a) for k, a in kwargs.items()}
    return _to_namespace(fn(*host_args, **host_kwargs), xp, device)


class OnHost(Exception):
    """Raised by a portable implementation that leaves the call to the NumPy path.

    Its aggregate checks failed (the NumPy path raises, naming the first bad
    entry in its own words), or the input needs something it does not compute.
    """


def native(xp: ModuleType, portable: Callable[..., Any], host: Callable[..., Any], *args: Any,
           **kwargs: Any) -> Any:
    """``portable(xp, *args, **kwargs)``; :func:`on_host` of ``host`` if that raises
    :class:`OnHost`."""
    try:
        return portable(xp, *args, **kwargs)
    except OnHost:
        return on_host(xp, host, *args, **kwargs)


#: The softmax losses' labels are gathered natively only when in range.
_LABELS_CAVEAT = ("labels out of range with ``validate=False`` run on the host (the NumPy "
                  "path's indexing decides what they mean)")
_NT_XENT_CAVEAT = ("each anchor's log-sum-exp over its negatives is the native ``logsumexp`` "
                   "(above)")

#: What differs on a foreign namespace, per function (shown in ``docs/array_api.md``).
CAVEATS: dict[str, str] = {
    "logsumexp": "rows whose result cancels (``m < 0``, ``|result| << |m|``) are refined on "
                 "the host (only those rows are copied); weights ``b`` with a negative entry "
                 "run the call on the host",
    "renyi_entropy": "rows with ``sum p**alpha < 1/2`` use the native ``logsumexp`` (above)",
    "attention_weights": "an empty key axis runs on the host",
    "scaled_dot_product_attention": "an empty key axis runs on the host; with "
                                    "``dropout_p > 0`` the mask is drawn by the NumPy ``rng`` "
                                    "(the NumPy path's draws, so a seed gives the same mask "
                                    "on every namespace) and only the mask is copied to the "
                                    "device",
    "scaled_dot_product_attention_grad": "an empty key axis runs on the host",
    "multi_head_attention": "an empty token axis (``L = 0``) runs on the host",
    "softmax_cross_entropy": _LABELS_CAVEAT,
    "softmax_cross_entropy_grad": _LABELS_CAVEAT,
    "poly_loss_cross_entropy": _LABELS_CAVEAT,
    "poly_loss_cross_entropy_grad": _LABELS_CAVEAT,
    "multiclass_hinge_loss": _LABELS_CAVEAT,
    "multiclass_hinge_loss_grad": _LABELS_CAVEAT,
    "info_nce": _LABELS_CAVEAT.replace("labels", "``positive`` indices", 1),
    "info_nce_grad": _LABELS_CAVEAT.replace("labels", "``positive`` indices", 1),
    "nt_xent": _NT_XENT_CAVEAT,
    "nt_xent_grad": _NT_XENT_CAVEAT,
}


def support_table() -> str:
    """The Markdown lists of native and host-computed functions (``docs/array_api.md``).

    Generated from :data:`NATIVE` and :data:`CAVEATS`; ``tests/test_array_api.py``
    checks that the page holds exactly this text.
    """
    import mlmath

    def line(name: str) -> str:
        caveat = CAVEATS.get(name)
        return f"- `{name}`" + (f": {caveat}" if caveat else "")

    native = [line(n) for n in mlmath.__all__ if n in NATIVE]
    host = [line(n) for n in mlmath.__all__ if n not in NATIVE]
    lines = [f"Computed natively with the input's namespace ({len(native)} functions):", "",
             *native]
    if host:
        lines += ["", f"Computed on the host (NumPy) and returned in the input's namespace "
                  f"({len(host)} functions):", "", *host]
    return "\n".join(lines)

"""mlmath (or any target) called with the arrays of another Array API namespace.

The target ``mlmath@array_api_strict`` (also ``@torch``, ``@jax``; any target
before the ``@``) is the implementation whose functions

1. convert the NumPy arrays the property suite draws to that namespace
   (float64 stays float64: JAX runs with ``jax_enable_x64``);
2. call the target's function;
3. **assert** that every array of the result belongs to that library, has the
   dtype the NumPy path gives (the inputs' float dtype, float64 for integer
   input) and sits on the input's device (``AssertionError`` otherwise);
4. convert the result back to NumPy (0-d results to NumPy scalars, as the
   NumPy path returns them), so the properties run unchanged.

A call whose arrays the namespace cannot hold (float16 in ``array_api_strict``,
complex, strings) is passed through unconverted: it exercises the NumPy path.

>>> impl = load_on_namespace("mlmath", "array_api_strict")
>>> impl.softmax(np.array([0.0, 0.0])).tolist()
[0.5, 0.5]
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["DEFAULT_NAMESPACES", "NAMESPACES", "OnNamespace", "available_namespaces",
           "load_on_namespace", "namespace_module"]

#: Namespaces the suite knows, in the order the ``mm`` fixture runs them.
NAMESPACES = ("numpy", "array_api_strict", "torch", "jax")

#: NumPy dtypes each namespace holds (others pass through unconverted).
_COMMON = ("bool", "int8", "int16", "int32", "int64", "uint8", "float32", "float64")
_DTYPES: dict[str, frozenset[str]] = {
    "array_api_strict": frozenset((*_COMMON, "uint16", "uint32", "uint64")),
    "torch": frozenset((*_COMMON, "float16")),
    "jax": frozenset((*_COMMON, "uint16", "uint32", "uint64", "float16")),
}


#: Namespaces the property suite runs on by default when installed.  JAX is opt-in
#: (``MLMATH_NAMESPACES=numpy,jax``): XLA's CPU backend flushes subnormals to zero, so
#: the properties about subnormal inputs fail there (two of them: the squared-l2
#: gradient at 1e-308 and the hard-max limit of attention), and every operation
#: compiles once per shape (31 properties took 10 minutes).
DEFAULT_NAMESPACES = ("numpy", "array_api_strict", "torch")


def available_namespaces(*, default_only: bool = False) -> list[str]:
    """The namespaces of :data:`NAMESPACES` whose library is importable (numpy first);
    with ``default_only``, those of :data:`DEFAULT_NAMESPACES`."""
    names = DEFAULT_NAMESPACES if default_only else NAMESPACES
    return [n for n in names if n == "numpy" or importlib.util.find_spec(n) is not None]


@functools.cache
def namespace_module(name: str) -> ModuleType:
    """The Array API namespace of library ``name`` (``array_api_compat``'s wrapper)."""
    if name not in NAMESPACES:
        raise ValueError(f"`namespace`: expected one of {list(NAMESPACES)}, got {name!r}")
    if name == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)  # float64 draws stay float64
        return importlib.import_module("jax.numpy")
    if name == "array_api_strict":
        return importlib.import_module("array_api_strict")
    return importlib.import_module(f"array_api_compat.{name}")


def _library_of(x: Any) -> str | None:
    """``numpy``, ``array_api_strict``, ``torch`` or ``jax``: the library of array ``x``."""
    import array_api_compat as compat

    if isinstance(x, (np.ndarray, np.generic)):
        return "numpy"
    if not compat.is_array_api_obj(x):
        return None
    xp = compat.array_namespace(x)
    for name in ("array_api_strict", "torch", "jax", "numpy"):
        if getattr(compat, f"is_{name}_namespace")(xp):
            return name
    return xp.__name__


def _array_parameters(fn: Callable[..., Any]) -> frozenset[str]:
    """The parameters of ``fn`` annotated as arrays (``ArrayLike``): the ones converted."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return frozenset()
    return frozenset(p.name for p in params if "ArrayLike" in str(p.annotation))


def _result_dtype(result: Any) -> np.dtype[Any]:
    first = result[0] if isinstance(result, tuple) else result
    return np.asarray(first).dtype


class OnNamespace:
    """The functions of ``base`` called with arrays of namespace ``namespace``."""

    def __init__(self, base: Any, namespace: str, *, label: str | None = None) -> None:
        self._base = base
        self._namespace = namespace
        self._xp = namespace_module(namespace)
        self.__name__ = label or f"{getattr(base, '__name__', 'target')}@{namespace}"
        from mlmath._namespace import device_of

        self._device = device_of(self._xp.asarray(np.zeros(1)))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        fn = getattr(self._base, name)
        return self._wrap(name, fn) if callable(fn) else fn

    def __repr__(self) -> str:
        return f"OnNamespace({self.__name__})"

    def _wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        array_params = _array_parameters(fn)
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError:
                return fn(*args, **kwargs)  # let the function report the bad call
            arrays = {k: a for k, a in bound.arguments.items()
                      if k in array_params and isinstance(a, (np.ndarray, np.generic))}
            if not arrays or any(np.asarray(a).dtype.name not in _DTYPES[self._namespace]
                                 for a in arrays.values()):
                return fn(*args, **kwargs)  # nothing this namespace can hold
            floats = {d for d in (np.asarray(a).dtype for a in arrays.values()) if d.kind == "f"}
            if len(floats) > 1:  # mixed float dtypes: the NumPy path decides which one wins
                expected = _result_dtype(fn(*args, **kwargs))
            else:
                expected = floats.pop() if floats else np.dtype(np.float64)
            for k, a in arrays.items():
                bound.arguments[k] = self._xp.asarray(np.array(a))  # a copy: the draw stays
            return self._back(fn(*bound.args, **bound.kwargs), name, expected)

        return call

    def _back(self, result: Any, name: str, expected: np.dtype[Any]) -> Any:
        if isinstance(result, tuple):
            return tuple(self._back(r, name, expected) for r in result)
        library = _library_of(result)
        if library != self._namespace:
            raise AssertionError(
                f"[namespace] {self.__name__}.{name} returned {type(result).__name__} "
                f"({library or 'not an array'}), expected an array of {self._namespace}")
        from mlmath._namespace import device_of, to_host

        host = np.asarray(to_host(result))
        if host.dtype != expected:
            raise AssertionError(f"[namespace] {self.__name__}.{name} returned dtype "
                                 f"{result.dtype}, expected {expected} (the NumPy path's)")
        if device_of(result) != self._device:
            raise AssertionError(f"[namespace] {self.__name__}.{name} returned an array on "
                                 f"{device_of(result)}, expected {self._device}")
        return host[()] if host.ndim == 0 else host


def load_on_namespace(target: str, namespace: str) -> Any:
    """``target`` (see :func:`mlmath.adapters.load`) called with ``namespace`` arrays."""
    from mlmath.adapters import load

    base = load(target)
    if namespace == "numpy":
        return base
    return OnNamespace(base, namespace, label=f"{target}@{namespace}")

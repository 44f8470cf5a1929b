"""Adapters: other libraries' functions under mlmath's names and signatures.

``mlmath check TARGET`` and ``pytest --pyargs mlmath.properties
--mlmath-impl=TARGET`` run mlmath's property suite, accuracy corpus and
bad-input matrix against an *implementation*: any object whose attributes are
some of mlmath's public names, called with mlmath's signatures.  A target is

* ``mlmath`` itself;
* ``scipy``, ``torch`` or ``jax``: the adapter modules of this package
  (:mod:`mlmath.adapters.scipy`, ...), each imported only when asked for, which
  map that library's functions and keyword conventions onto mlmath's;
* a module path (``mypkg.ops``) whose functions carry mlmath's names;
* a TOML file (``mapping.toml``) of ``name = "package.module:function"`` lines
  naming a user's functions (parsed with :mod:`tomllib`; nothing is evaluated);
* any of these followed by ``@namespace`` (``mlmath@torch``, ``mlmath@array_api_strict``,
  ``mlmath@jax``): the same functions called with that Array API namespace's arrays,
  their results checked for library, dtype and device
  (:mod:`mlmath.adapters.namespace`).

A function a target lacks is *not provided* (its properties are skipped, never
failed).  A wrapper raises :class:`NotProvided` for a keyword or a mode the
library has no equivalent of, with the same effect for that call.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["ADAPTERS", "NotProvided", "from_mapping", "load", "provided_names",
           "reject_keywords", "target_label"]

#: Target name -> adapter module (imported lazily by :func:`load`).
ADAPTERS: dict[str, str] = {
    "scipy": "mlmath.adapters.scipy",
    "torch": "mlmath.adapters.torch",
    "jax": "mlmath.adapters.jax",
}


class NotProvided(Exception):
    """The target has no equivalent of this function, keyword or mode."""


def reject_keywords(function: str, **given: Any) -> None:
    """Raise :class:`NotProvided` for the first keyword that is not ``None``/``False``/default.

    ``given`` maps keyword -> (value, the value the library supports).

    >>> reject_keywords("logsumexp", where=(None, None))
    >>> reject_keywords("logsumexp", where=([True], None))
    Traceback (most recent call last):
    ...
    mlmath.adapters.NotProvided: logsumexp: keyword `where`=[True] has no equivalent
    """
    for name, (value, supported) in given.items():
        if value is supported or (not _is_array(value) and value == supported):
            continue
        raise NotProvided(f"{function}: keyword `{name}`={value!r} has no equivalent")


def _is_array(value: Any) -> bool:
    return hasattr(value, "shape") or isinstance(value, (list, tuple))


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _resolve(reference: str, *, key: str) -> Callable[..., Any]:
    """``"package.module:function"`` (attribute path after the colon) -> the object."""
    if not isinstance(reference, str) or reference.count(":") != 1:
        raise ValueError(f"`{key}`: expected \"package.module:function\", got {reference!r}")
    module_name, attr = reference.split(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        if not part.isidentifier():
            raise ValueError(f"`{key}`: {attr!r} is not an attribute path")
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"`{key}`: {reference} is not callable")
    return obj


def from_mapping(mapping: Mapping[str, Any], *, name: str = "mapping") -> types.ModuleType:
    """A module-like implementation from ``{mlmath name: "pkg.mod:func" or callable}``.

    Names that are not mlmath's public names are rejected (a typo would
    otherwise be silently "not provided").

    >>> ns = from_mapping({"softmax": "scipy.special:softmax"})
    >>> float(ns.softmax([0.0, 0.0])[0])
    0.5
    >>> from_mapping({"softmx": "scipy.special:softmax"})
    Traceback (most recent call last):
    ...
    ValueError: `softmx`: not one of mlmath's public names
    """
    import mlmath

    module = types.ModuleType(name)
    for key, value in mapping.items():
        if key not in mlmath.__all__:
            raise ValueError(f"`{key}`: not one of mlmath's public names")
        setattr(module, key, value if callable(value) else _resolve(value, key=key))
    return module


def load(target: str) -> Any:
    """The implementation a target names (see the module docstring).

    Raises ``ModuleNotFoundError`` when the target's library is not installed.

    >>> load("mlmath").__name__
    'mlmath'
    >>> load("scipy").__name__
    'mlmath.adapters.scipy'
    """
    if not isinstance(target, str) or not target:
        raise TypeError(f"`target`: expected a non-empty string, got {target!r}")
    if "@" in target:
        from mlmath.adapters.namespace import load_on_namespace

        base, namespace = target.rsplit("@", 1)
        return load_on_namespace(base, namespace)
    if target.endswith(".toml"):
        path = Path(target)
        if not path.is_file():
            raise FileNotFoundError(f"`target`: no mapping file {target}")
        return from_mapping(_load_toml(path), name=path.stem)
    return importlib.import_module(ADAPTERS.get(target, target))


def target_label(target: str) -> str:
    """Short name of a target for reports (``scipy``, ``mypkg.ops``, ``map.toml``)."""
    return Path(target).name if target.endswith(".toml") else target


def provided_names(implementation: Any) -> list[str]:
    """mlmath's public names that ``implementation`` provides, in ``mlmath.__all__`` order."""
    import mlmath

    return [n for n in mlmath.__all__ if callable(getattr(implementation, n, None))]

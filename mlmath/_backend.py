"""Which implementation of the row reductions runs: NumPy (the reference) or numba.

``MLMATH_BACKEND`` (read at every call) chooses:

* ``auto`` (the default, also when unset or empty): the numba kernels when
  numba is importable (``pip install "mlmath[fast]"``), else NumPy;
* ``numpy``: always the NumPy reference path;
* ``numba``: always the numba kernels (an ``ImportError`` saying how to
  install numba if it is missing).

Both backends compute the same algorithm and meet the same accuracy targets;
the property suite and the accuracy tests run on both.  The first call that
uses numba in a new environment compiles the kernels (a few seconds; numba
caches the result on disk, so later processes only load it).

:func:`use` forces a backend for a block of code, process-wide like
:func:`mlmath._rows.limit_threads` (the tests use it); it wins over the
environment variable.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import os
import threading
from collections.abc import Iterator
from types import ModuleType

__all__ = ["BACKENDS", "ENTROPY", "KL", "LOG1P_REST", "LOGSUMEXP", "LOG_SOFTMAX", "SOFTMAX",
           "active",
           "compiled_kernels", "numba_available", "use"]

BACKENDS = ("numpy", "numba")
#: What the compiled row kernel (``mlmath._numba_kernels.run_rows``) computes.
LOGSUMEXP, SOFTMAX, LOG_SOFTMAX, LOG1P_REST = 0, 1, 2, 3
#: What ``mlmath._numba_kernels.information_rows`` sums: ``-p log p`` or the KL terms.
ENTROPY, KL = 4, 5
_CHOICES = ("auto", *BACKENDS)

_forced: str | None = None
_kernels: ModuleType | None = None
_lock = threading.Lock()


@functools.cache
def numba_available() -> bool:
    """Whether numba can be imported (without importing it; looked up once)."""
    return importlib.util.find_spec("numba") is not None


def _requested() -> str:
    if _forced is not None:
        return _forced
    name = os.environ.get("MLMATH_BACKEND", "").strip().lower() or "auto"
    if name not in _CHOICES:
        raise ValueError(f"`MLMATH_BACKEND`: expected one of {', '.join(_CHOICES)}, "
                         f"got {os.environ['MLMATH_BACKEND']!r}")
    return name


def active() -> str:
    """The backend the next call uses: ``"numpy"`` or ``"numba"``."""
    name = _requested()
    if name == "auto":
        return "numba" if numba_available() else "numpy"
    return name


@contextlib.contextmanager
def use(name: str) -> Iterator[None]:
    """Force backend ``name`` (``"numpy"``, ``"numba"`` or ``"auto"``) inside the block."""
    global _forced
    if name not in _CHOICES:
        raise ValueError(f"`name`: expected one of {', '.join(_CHOICES)}, got {name!r}")
    previous, _forced = _forced, name
    try:
        yield
    finally:
        _forced = previous


def compiled_kernels() -> ModuleType | None:
    """The numba kernels module when the numba backend is active, else ``None``."""
    if active() != "numba":
        return None
    global _kernels
    if _kernels is None:
        with _lock:
            if _kernels is None:
                if not numba_available():
                    raise ImportError("MLMATH_BACKEND=numba, but numba is not installed: "
                                      'pip install "mlmath[fast]"')
                _kernels = importlib.import_module("mlmath._numba_kernels")
    return _kernels

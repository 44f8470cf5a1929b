"""SymPy derivations of the gradients, Hessians and proximal operators of mlmath.

One module per topic (``special``, ``information``, ``losses``, ``attention``,
``penalties``), each a set of pure functions returning
:class:`~derivations._core.Derivation` records; ``mlmath derive`` writes them
to ``derivations/generated/`` (see the README's derivations section).

The public names are imported lazily, so ``mlmath --help`` (which imports
``derivations.cli`` to build its parser) does not pay for importing SymPy.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["TOPICS", "Derivation", "DerivationError", "load", "numeric", "read_generated"]

_HOME = {
    "TOPICS": "mlmath.derivations._writer",
    "Derivation": "mlmath.derivations._core",
    "DerivationError": "mlmath.derivations._core",
    "load": "mlmath.derivations._load",
    "numeric": "mlmath.derivations._load",
    "read_generated": "mlmath.derivations._load",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'derivations' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME[name]), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])

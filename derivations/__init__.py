"""SymPy derivations of the gradients, Hessians and proximal operators of mlmath.

One module per topic (``special``, ``information``, ``losses``, ``attention``,
``penalties``), each a set of pure functions returning
:class:`~derivations._core.Derivation` records; ``mlmath derive`` writes them
to ``derivations/generated/`` (see ``docs/readme/derivations.md``).
"""

from derivations._core import Derivation, DerivationError
from derivations._load import load, numeric, read_generated
from derivations._writer import TOPICS

__all__ = ["TOPICS", "Derivation", "DerivationError", "load", "numeric", "read_generated"]

"""The mpmath oracles of the tests: :mod:`mlmath._oracles` (installed, since ``mlmath check``
uses them at run time), re-exported so test files keep importing ``tests._oracles``."""

from mlmath._oracles import *  # noqa: F403
from mlmath._oracles import (  # noqa: F401
    __all__,
    _marginals,
    _mp_row,
    _rows,
    _rowwise,
)

"""Return types of the public functions (one place, so the annotations agree).

A reduction returns a NumPy scalar for a single distribution and an array for a
batch; an elementwise function returns a NumPy scalar for scalar input; so both
are :data:`FloatResult`.  Functions whose result always has an axis (softmax,
attention outputs, gradients with respect to a matrix) return :data:`FloatArray`.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

__all__ = ["Axes", "FloatArray", "FloatResult"]

#: A floating-point array (the input's float dtype, or float64).
FloatArray: TypeAlias = NDArray[np.floating[Any]]
#: A floating-point array, or a NumPy floating scalar where the result has no axes.
FloatResult: TypeAlias = "NDArray[np.floating[Any]] | np.floating[Any]"
#: The reduction axes of an information measure: one axis, several, or ``None`` (all).
Axes: TypeAlias = "int | tuple[int, ...] | None"

"""A deliberately sloppy softmax, and the report ``mlmath.testing.check`` gives it.

``sloppy_softmax`` is the textbook formula without the max shift: exp(x) /
sum exp(x).  It agrees with mlmath for small logits, so a few spot checks pass;
the property suite and the accuracy corpus find what it gets wrong -- exp
overflows for logits above ~88.7 (float32) or ~709.8 (float64) and the rows
become NaN, and it is not shift invariant.

Run ``python -m examples.check_my_softmax`` to print the report (about 15 s);
``tests/test_check.py`` runs it and checks the violations it lists.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mlmath.testing import check

__all__ = ["report", "sloppy_softmax"]


def sloppy_softmax(x: ArrayLike, *, axis: int = -1) -> NDArray[Any]:
    """exp(x) / sum exp(x) along ``axis`` -- no shift by the maximum (the defect).

    >>> sloppy_softmax(np.array([0.0, np.log(3.0)]))
    array([0.25, 0.75])
    """
    e = np.exp(np.asarray(x))
    return e / np.sum(e, axis=axis, keepdims=True)


def report(profile: str = "ci") -> Any:
    """The check's report of :func:`sloppy_softmax` as mlmath's ``softmax``.

    Only ``properties/test_special.py`` is run: the softmax properties live
    there (``mlmath.testing.check`` without ``modules`` runs them all).
    """
    return check(sloppy_softmax, as_="softmax", profile=profile, modules=["test_special"])


if __name__ == "__main__":
    with np.errstate(over="ignore", invalid="ignore"):
        print(report().to_text())

"""Assertion helpers for property tests (public, so other suites can reuse them).

Every failure message names the property in brackets, states what was
expected, what came instead, the first offending element, and the inputs::

    [gibbs] KL(p||q) = -3e-17 < 0 at [1]; inputs: p=array([...]), q=array([...])

Tolerances are given in units of the dtype's machine epsilon (``eps``), never
as bare absolute numbers, so one bound serves float32 and float64.
"""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from mlmath._validation import require_optional

require_optional("hypothesis", "test", "mlmath.testing")

import numpy as np
from hypothesis import Phase, settings
from numpy.typing import ArrayLike

from mlmath._validation import first_index

if sys.version_info >= (3, 11):
    _GROUP: type[BaseException] = BaseExceptionGroup  # noqa: F821 (3.11 builtin)
else:  # pragma: no cover - Python 3.10 (hypothesis depends on the backport)
    from exceptiongroup import BaseExceptionGroup as _GROUP

__all__ = [
    "assert_all",
    "assert_close_eps",
    "check",
    "eps_of",
    "expect_property_failure",
    "format_inputs",
    "implementation",
    "mutant",
    "relative_error_eps",
]


def eps_of(x: ArrayLike) -> float:
    """Machine epsilon of the dtype of ``x`` (float64 for non-float input)."""
    dtype = np.asarray(x).dtype
    return float(np.finfo(dtype if dtype.kind == "f" else np.float64).eps)


def format_inputs(**inputs: Any) -> str:
    """Readable ``name=value`` list, with full precision, for failure messages."""
    with np.printoptions(precision=17, threshold=60, edgeitems=4):
        return ", ".join(f"{k}={np.asarray(v)!r}" for k, v in inputs.items())


def assert_all(condition: ArrayLike, prop: str, what: str, **inputs: Any) -> None:
    """Assert every entry of ``condition``; name the first failing index.

    ``what`` describes the expectation (e.g. ``"H(p) >= 0"``).
    """
    cond = np.asarray(condition, dtype=bool)
    if cond.all():
        return
    idx = first_index(~cond) if cond.ndim else ()
    raise AssertionError(
        f"[{prop}] expected {what}; fails at {list(idx)}; inputs: {format_inputs(**inputs)}"
    )


def relative_error_eps(actual: ArrayLike, expected: ArrayLike, eps: float) -> np.ndarray:
    """``|actual - expected| / (|expected| * eps)``; exact matches (inf included) give 0."""
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    same = (a == e) | (np.isnan(a) & np.isnan(e))
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.abs(a - e) / (np.abs(e) * eps)
    err = np.where(same, 0.0, err)
    return np.where(np.isnan(err), np.inf, err)


def assert_close_eps(
    actual: ArrayLike,
    expected: ArrayLike,
    *,
    prop: str,
    rtol_eps: float,
    atol_eps: float = 0.0,
    eps: float | None = None,
    **inputs: Any,
) -> None:
    """Assert ``|actual - expected| <= (rtol_eps * |expected| + atol_eps) * eps``.

    ``eps`` defaults to the machine epsilon of ``actual``'s dtype.  The message
    reports the worst element and its error in units of eps.
    """
    a = np.asarray(actual)
    e = np.asarray(expected)
    eps = eps_of(a) if eps is None else eps
    a64, e64 = np.broadcast_arrays(a.astype(np.float64), e.astype(np.float64))
    same = (a64 == e64) | (np.isnan(a64) & np.isnan(e64))
    with np.errstate(invalid="ignore"):
        ok = same | (np.abs(a64 - e64) <= (rtol_eps * np.abs(e64) + atol_eps) * eps)
    if ok.all():
        return
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(ok, 0.0, np.abs(a64 - e64) / (np.abs(e64) * eps))
    worst = np.unravel_index(int(np.argmax(np.nan_to_num(scale, nan=np.inf))), scale.shape)
    raise AssertionError(
        f"[{prop}] expected agreement within {rtol_eps} eps (relative) + {atol_eps} eps; "
        f"worst at {[int(i) for i in worst]}: got {a64[worst]!r}, expected {e64[worst]!r} "
        f"({scale[worst]:.3g} eps relative); {int((~ok).sum())} of {ok.size} bad; "
        f"inputs: {format_inputs(**inputs)}"
    )


#: Fewest examples a meta-test draws, whatever the profile (the ``ci`` profile's count).
META_MIN_EXAMPLES = 100


@contextmanager
def _as_meta_test(prop_test: Callable[..., Any], shrink: bool) -> Iterator[None]:
    """Run a ``@given`` test deterministically, restoring its settings after.

    A meta-test must catch its mutant under every profile, so it is
    derandomised (the draws depend only on the test) with at least
    :data:`META_MIN_EXAMPLES` examples and no example database: ``mlmath
    verify --profile dev`` once missed a mutant in 25 random examples.  It
    needs *a* failure, not a minimal one, so the shrink phase is skipped unless
    ``shrink``.  Hypothesis reads a test's settings from this attribute at call
    time; a test without it (not ``@given``) runs unchanged.
    """
    attr = "_hypothesis_internal_use_settings"
    saved = getattr(prop_test, attr, None)
    if saved is None:
        yield
        return
    phases = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if shrink else [])
    setattr(prop_test, attr, settings(saved, phases=phases, derandomize=True, database=None,
                                      max_examples=max(saved.max_examples, META_MIN_EXAMPLES),
                                      report_multiple_bugs=False))
    try:
        yield
    finally:
        setattr(prop_test, attr, saved)


def expect_property_failure(prop_test: Callable[..., Any], *, shrink: bool = False,
                            **implementation: Any) -> str:
    """Run a property test with a deliberately broken implementation injected.

    Returns the failure text; raises ``AssertionError`` if the property *passed*,
    which would mean the property cannot catch that defect.  The run is
    deterministic under every Hypothesis profile (derandomised, at least
    :data:`META_MIN_EXAMPLES` examples); ``shrink=False`` (the default) skips
    the shrink phase: any failure proves the point.
    """
    try:
        with _as_meta_test(prop_test, shrink):
            prop_test(**implementation)
    except (AssertionError, _GROUP) as exc:
        return str(exc)
    names = ", ".join(f"{k}={getattr(v, '__name__', v)}" for k, v in implementation.items())
    raise AssertionError(f"property {prop_test.__name__} did not catch the mutant {names}")


def implementation() -> Any:
    """The implementation under test: ``mlmath`` or the target named by ``$MLMATH_IMPL``.

    The target is a module path, ``scipy``/``torch``/``jax`` (mlmath's
    adapters) or a TOML mapping file (see :func:`mlmath.adapters.load`).
    Property tests receive it as the ``mm`` fixture, so the same suite checks a
    third-party module that provides the same names (see the README).
    """
    from mlmath._pytest_support import OVERRIDE
    from mlmath.adapters import load

    if "implementation" in OVERRIDE:
        return OVERRIDE["implementation"]
    return load(os.environ.get("MLMATH_IMPL", "mlmath"))


class _Mutant(types.SimpleNamespace):
    """Namespace whose missing attributes fall back to a base implementation."""

    def __init__(self, base: Any, **overrides: Any) -> None:
        super().__init__(**overrides)
        object.__setattr__(self, "_base", base)

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "_base"), name)


def mutant(base: Any = None, /, **overrides: Callable[..., Any]) -> Any:
    """An implementation equal to ``base`` (default: mlmath) but for ``overrides``.

    Used by meta-tests: ``expect_property_failure(test_x, mm=mutant(entropy=bad))``.
    """
    return _Mutant(implementation() if base is None else base, **overrides)


def check(fn: Callable[..., Any], as_: str, *, profile: str = "ci",
          modules: list[str] | None = None) -> Any:
    """Check one function against mlmath's property suite, accuracy corpus and bad inputs.

    ``fn`` is called as mlmath's function ``as_`` (same signature); the suite
    runs in this process (so ``fn`` may be a local function or a lambda), the
    properties about other functions are skipped as "not provided".  Returns a
    :class:`mlmath._check.Report` (``.violations``, ``.function(name)``,
    ``.to_json()``, ``.to_markdown()``, ``.to_html()``); ``mlmath check`` is the
    command-line form for whole libraries.

    Parameters
    ----------
    fn : callable
        The implementation under test.
    as_ : str
        The mlmath name it implements (e.g. ``"softmax"``).
    profile : {"dev", "ci", "thorough"}
        Hypothesis profile of the property suite.
    modules : list of str, optional
        Property modules to run (e.g. ``["test_special"]``); default: all.

    Examples
    --------
    >>> import numpy as np
    >>> def naive_softmax(x, *, axis=-1):
    ...     e = np.exp(x)
    ...     return e / e.sum(axis=axis, keepdims=True)
    >>> report = check(naive_softmax, as_="softmax", profile="dev")  # doctest: +SKIP
    >>> [p.test for _, p in report.violations][:1]  # doctest: +SKIP
    ['test_special.py::test_softmax_rows_are_distributions']
    """
    from mlmath._check import check_function

    return check_function(fn, as_, profile=profile, modules=modules)

"""mlmath's pytest plugin: Hypothesis profiles, ``--mlmath-impl`` and two fixtures.

Installed as the ``pytest11`` entry point ``mlmath``, so it is loaded before
pytest reads its options in every session of an environment that has mlmath;
``pytest --pyargs mlmath.properties --hypothesis-profile=mlmath-ci`` then works
from any directory.  It stays out of other projects' way: it registers only the
namespaced profiles ``mlmath-dev``, ``mlmath-ci`` and ``mlmath-thorough`` (and
nothing at all when Hypothesis is not installed), adds one option, the ``mm``
fixture (a project's own ``mm`` fixture overrides it) and ``mlmath_backend``
(modules that request it run once per installed mlmath backend; property
modules also once per Array API namespace, see :func:`pytest_generate_tests`).
``pytest -p no:mlmath`` turns it off.

Inside mlmath's own suite (the repository's ``conftest.py`` and
``properties/conftest.py``) the same profiles are also registered under the
short names ``dev``, ``ci`` and ``thorough``:

* ``dev``      -- few examples, for the edit-test loop;
* ``ci``       -- the CI default: derandomised (a red run is reproducible), no
  example database, no deadline, prints the reproduction blob (it replaces
  Hypothesis's built-in ``ci`` profile in mlmath's runs only);
* ``thorough`` -- many examples, for release checks and the claims audit.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

import pytest

__all__ = ["PROFILES", "CheckedImplementation", "load_profile", "mlmath_backend", "mm",
           "register_profiles", "take_used_names"]

#: Profile name -> settings beyond the common ones (deadline, blob, health checks).
PROFILES: dict[str, dict[str, Any]] = {
    "dev": {"max_examples": 25},
    "ci": {"max_examples": 100, "derandomize": True, "database": None},
    "thorough": {"max_examples": 2000},
}


def register_profiles(*, short_names: bool = False) -> None:
    """Register ``mlmath-<name>`` for each profile (and ``<name>`` with ``short_names``)."""
    from hypothesis import HealthCheck, settings

    common: dict[str, Any] = {
        "deadline": None,
        "print_blob": True,
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    }
    for name, options in PROFILES.items():
        for registered in (f"mlmath-{name}", name) if short_names else (f"mlmath-{name}",):
            settings.register_profile(registered, **options, **common)


def load_profile() -> str:
    """Load ``$HYPOTHESIS_PROFILE`` (default ``ci`` under CI, else ``dev``); return its name.

    Called by mlmath's conftest files; ``--hypothesis-profile=NAME`` on the
    command line is applied by Hypothesis's own plugin afterwards and wins.
    """
    from hypothesis import settings

    register_profiles(short_names=True)
    name = os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
    settings.load_profile(name)
    return name


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mlmath")
    group.addoption("--mlmath-impl", default=None, metavar="MODULE",
                    help="module whose functions the mlmath property suite checks "
                         "(default: $MLMATH_IMPL, else mlmath)")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # tryfirst: before Hypothesis's plugin loads --hypothesis-profile.
    if importlib.util.find_spec("hypothesis") is not None:
        register_profiles()
    impl = config.getoption("--mlmath-impl", default=None)
    if impl:
        os.environ["MLMATH_IMPL"] = impl


#: An implementation object set in-process by :func:`mlmath.testing.check` (a
#: user's function cannot be named in ``$MLMATH_IMPL``); wins over the variable.
OVERRIDE: dict[str, Any] = {}


def _checks_another_implementation() -> bool:
    """Another implementation than mlmath, or a run of ``mlmath check`` (even of mlmath)."""
    return ("implementation" in OVERRIDE or bool(os.environ.get("MLMATH_CHECK"))
            or os.environ.get("MLMATH_IMPL", "mlmath") != "mlmath")


def _is_meta_test(item: pytest.Item) -> bool:
    from mlmath._verify_plugin import META_TEST_NAME

    return META_TEST_NAME.search(getattr(item, "originalname", item.name)) is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Against another implementation, deselect what does not test it.

    Only the tests of ``mlmath.properties`` (or ``properties/``) that take the
    ``mm`` fixture check the implementation under test; the others check
    mlmath itself, and the meta-tests check that the suite catches mutants of
    mlmath.  Nothing changes when no implementation is named.
    """
    if not _checks_another_implementation():
        return
    keep, drop = [], []
    for item in items:
        module = getattr(getattr(item, "module", None), "__name__", "")
        ours = module.startswith(("mlmath.properties.", "properties."))
        if not ours or ("mm" in getattr(item, "fixturenames", ()) and not _is_meta_test(item)):
            keep.append(item)
        else:
            drop.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


#: mlmath names the current test looked up on the implementation, in order.
_USED: dict[str, None] = {}


def take_used_names() -> list[str]:
    """The names looked up on ``mm`` since the last call (first use first); resets."""
    names = list(_USED)
    _USED.clear()
    return names


class CheckedImplementation:
    """The implementation under test, as the property suite sees it.

    A name the implementation lacks skips the test ("not provided: name"), and
    so does a call that raises :class:`mlmath.adapters.NotProvided` (a keyword
    the target has no equivalent of).  Each name looked up is recorded (see
    :func:`take_used_names`), so a report can list a function's properties.
    """

    def __init__(self, implementation: Any) -> None:
        only = os.environ.get("MLMATH_CHECK_ONLY")
        object.__setattr__(self, "_impl", implementation)
        object.__setattr__(self, "_only", None if only is None else set(only.split(",")))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        impl = object.__getattribute__(self, "_impl")
        only = object.__getattribute__(self, "_only")
        try:
            if only is not None and name not in only:
                raise AttributeError(name)
            value = getattr(impl, name)
        except AttributeError:
            import mlmath

            if name not in mlmath.__all__:
                raise  # not a function of the suite (e.g. a probe by Hypothesis)
            _USED.setdefault(name, None)
            pytest.skip(f"not provided: {name}")
        _USED.setdefault(name, None)
        return _skipping_not_provided(name, value) if callable(value) else value

    def __repr__(self) -> str:
        impl = object.__getattribute__(self, "_impl")
        return f"CheckedImplementation({getattr(impl, '__name__', type(impl).__name__)})"


def _accepted_keywords(fn: Any) -> frozenset[str] | None:
    """The keyword names ``fn`` accepts, or ``None`` for any (``**kwargs``, no signature)."""
    import inspect

    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return frozenset(p.name for p in params if p.kind is not p.POSITIONAL_ONLY)


def _skipping_not_provided(name: str, fn: Any) -> Any:
    """``fn`` with "not provided" skips for keywords it lacks (``validate`` is dropped).

    ``validate=False`` only skips mlmath's input checks, so a function without
    the keyword is called without it; any other keyword it does not accept, or
    a :class:`mlmath.adapters.NotProvided` it raises, skips the test.
    """
    import functools

    from mlmath.adapters import NotProvided

    accepted = _accepted_keywords(fn)

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        if accepted is not None:
            kwargs.pop("validate", None) if "validate" not in accepted else None
            unknown = sorted(set(kwargs) - accepted)
            if unknown:
                pytest.skip(f"not provided: {name}: keyword `{unknown[0]}`")
        try:
            return fn(*args, **kwargs)
        except NotProvided as exc:
            pytest.skip(f"not provided: {exc}")

    return call


@pytest.fixture(scope="module")
def mm(request: pytest.FixtureRequest) -> Any:
    """The implementation under test (mlmath, or the one named by ``--mlmath-impl``).

    Another implementation comes wrapped in :class:`CheckedImplementation`.  When
    mlmath itself is under test, the property modules run once per available
    Array API namespace (see :func:`pytest_generate_tests`): mlmath called with
    that namespace's arrays through :class:`mlmath.adapters.namespace.OnNamespace`.
    """
    from mlmath.testing import implementation

    impl = implementation()
    if _checks_another_implementation():
        return CheckedImplementation(impl)
    namespace = getattr(request, "param", "numpy")
    if namespace == "numpy":
        return impl
    from mlmath.adapters.namespace import OnNamespace

    return OnNamespace(impl, namespace, label=f"mlmath@{namespace}")


def _installed_backends() -> list[str]:
    from mlmath import _backend

    return [name for name in _backend.BACKENDS if name != "numba" or _backend.numba_available()]


def _namespaces() -> list[str]:
    """The namespaces the property modules run on: ``$MLMATH_NAMESPACES`` (comma
    separated) or the available default ones (numpy, array_api_strict, torch; jax
    only when named, see :data:`mlmath.adapters.namespace.DEFAULT_NAMESPACES`)."""
    from mlmath.adapters.namespace import available_namespaces

    available = available_namespaces()
    chosen = os.environ.get("MLMATH_NAMESPACES", "").strip()
    if not chosen:
        return available_namespaces(default_only=True)
    names = [n.strip() for n in chosen.split(",") if n.strip()]
    unknown = [n for n in names if n not in available]
    if unknown:
        raise pytest.UsageError(f"MLMATH_NAMESPACES: {unknown[0]!r} is not one of the "
                                f"available namespaces {available}")
    return names


def _is_property_module(metafunc: pytest.Metafunc) -> bool:
    module = getattr(metafunc.module, "__name__", "")
    return module.startswith(("mlmath.properties.", "properties."))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """When mlmath is under test, parametrise ``mlmath_backend`` over every installed
    backend and, in the property modules, ``mm`` over every Array API namespace;
    against another implementation the tests run once, unparametrised (their
    ids, which reports cite, stay plain).

    The namespaces other than NumPy run with the NumPy backend only (a foreign
    namespace does not use the numba kernels), so a module that takes both runs
    numpy, numba, then each other namespace.
    """
    if _checks_another_implementation():
        return
    backend = "mlmath_backend" in metafunc.fixturenames
    namespaces = (_namespaces() if "mm" in metafunc.fixturenames and _is_property_module(metafunc)
                  else ["numpy"])
    foreign = [n for n in namespaces if n != "numpy"]
    if backend and foreign:
        combos = ([(b, "numpy") for b in _installed_backends()] if "numpy" in namespaces
                  else []) + [("numpy", n) for n in foreign]
        metafunc.parametrize(("mlmath_backend", "mm"), combos, indirect=True, scope="module",
                             ids=[b if n == "numpy" else n for b, n in combos])
    elif backend:
        metafunc.parametrize("mlmath_backend", _installed_backends(), indirect=True,
                             scope="module")
    elif foreign:
        metafunc.parametrize("mm", namespaces, indirect=True, scope="module")


@pytest.fixture(scope="module")
def mlmath_backend(request: pytest.FixtureRequest) -> Any:
    """Run the requesting module once per installed mlmath backend (NumPy, numba).

    Modules opt in with ``pytestmark = pytest.mark.usefixtures("mlmath_backend")``;
    the backend is forced for the module's tests (it wins over ``MLMATH_BACKEND``).
    Against another implementation the tests run once, with nothing forced.
    """
    from mlmath import _backend

    name = getattr(request, "param", "default")
    if name == "default":
        yield name
        return
    with _backend.use(name):
        yield name

"""mlmath's pytest plugin: Hypothesis profiles, ``--mlmath-impl`` and two fixtures.

Installed as the ``pytest11`` entry point ``mlmath``, so it is loaded before
pytest reads its options in every session of an environment that has mlmath;
``pytest --pyargs mlmath.properties --hypothesis-profile=mlmath-ci`` then works
from any directory.  It stays out of other projects' way: it registers only the
namespaced profiles ``mlmath-dev``, ``mlmath-ci`` and ``mlmath-thorough`` (and
nothing at all when Hypothesis is not installed), adds one option, the ``mm``
fixture (a project's own ``mm`` fixture overrides it) and ``mlmath_backend``
(modules that request it run once per installed mlmath backend).  ``pytest -p no:mlmath``
turns it off.

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
import types
from typing import Any

import pytest

__all__ = ["PROFILES", "load_profile", "mlmath_backend", "mm", "register_profiles"]

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


@pytest.fixture(scope="session")
def mm() -> types.ModuleType:
    """The implementation under test (mlmath, or the module named by ``--mlmath-impl``)."""
    from mlmath.testing import implementation

    return implementation()


def _installed_backends() -> list[str]:
    from mlmath import _backend

    return [name for name in _backend.BACKENDS if name != "numba" or _backend.numba_available()]


@pytest.fixture(scope="module", params=_installed_backends())
def mlmath_backend(request: pytest.FixtureRequest) -> Any:
    """Run the requesting module once per installed mlmath backend (NumPy, numba).

    Modules opt in with ``pytestmark = pytest.mark.usefixtures("mlmath_backend")``;
    the backend is forced for the module's tests (it wins over ``MLMATH_BACKEND``).
    It only matters when the implementation under test is mlmath itself.
    """
    from mlmath import _backend

    with _backend.use(request.param):
        yield request.param

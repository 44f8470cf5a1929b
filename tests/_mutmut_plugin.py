"""The pytest plugin of mutation runs (``-p tests._mutmut_plugin`` in ``[tool.mutmut]``).

mutmut mutates the NumPy reference path; the numba kernels (``mlmath._numba_kernels``)
are a separate module that is not mutated.  So in a mutation run

* ``MLMATH_BACKEND=numpy`` is forced, so that the tests that do not choose a backend
  exercise the mutated NumPy path rather than a numba kernel;
* the ``numba`` parametrisations of the ``mlmath_backend`` fixture are deselected:
  they would run the unmutated kernels again and double the time per mutant;
* the Hypothesis profile ``mutmut`` is registered: the ``dev`` profile's 25 examples,
  derandomised and without the example database, so that a mutant's verdict does not
  depend on the run (or on examples an earlier mutant left in the database).

It acts only through hooks, so importing the module (``--doctest-modules`` does)
changes nothing.
"""

from __future__ import annotations

import os

import pytest

from mlmath._pytest_support import PROFILES

#: The Hypothesis profile of mutation runs.
PROFILE = "mutmut"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # tryfirst: registered before Hypothesis's plugin loads --hypothesis-profile.
    from hypothesis import HealthCheck, settings

    os.environ["MLMATH_BACKEND"] = "numpy"
    settings.register_profile(
        PROFILE, max_examples=PROFILES["dev"]["max_examples"], derandomize=True, database=None,
        deadline=None, print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("mlmath_backend") if callspec is not None else None
        (drop if backend == "numba" else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep

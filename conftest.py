"""Root pytest configuration: Hypothesis profiles and the implementation fixture.

Profiles (select with ``--hypothesis-profile=NAME`` or ``$HYPOTHESIS_PROFILE``):

* ``dev``      -- few examples, for the edit-test loop;
* ``ci``       -- the CI default: derandomised (a red run is reproducible), no
  example database, no deadline, prints the reproduction blob;
* ``thorough`` -- many examples, for release checks and the claims audit.

Our ``ci`` profile replaces Hypothesis's built-in profile of the same name.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

_COMMON: dict[str, Any] = {
    "deadline": None,
    "print_blob": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("dev", max_examples=25, **_COMMON)
settings.register_profile("ci", max_examples=100, derandomize=True, database=None, **_COMMON)
settings.register_profile("thorough", max_examples=2000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(scope="session")
def mm() -> Any:
    """The implementation under test (mlmath, or the module named by $MLMATH_IMPL)."""
    from mlmath.testing import implementation

    return implementation()

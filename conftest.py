"""Root pytest configuration: the Hypothesis profiles ``dev``/``ci``/``thorough``.

The profiles, the ``--mlmath-impl`` option and the ``mm`` fixture come from
mlmath's pytest plugin (:mod:`mlmath._pytest_support`, loaded through its entry
point); this file registers the profiles' short names for the repository's runs.
"""

import importlib.util

from mlmath._pytest_support import load_profile

load_profile()

# The adapters of `mlmath check` import their library at the top (they are imported
# lazily, only for that target); their doctests are collected only where it is installed.
collect_ignore = [f"mlmath/adapters/{name}.py" for name in ("torch", "jax")
                  if importlib.util.find_spec(name) is None]

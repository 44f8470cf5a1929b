"""Root pytest configuration: the Hypothesis profiles ``dev``/``ci``/``thorough``.

The profiles, the ``--mlmath-impl`` option and the ``mm`` fixture come from
mlmath's pytest plugin (:mod:`mlmath._pytest_support`, loaded through its entry
point); this file registers the profiles' short names for the repository's runs.
"""

from mlmath._pytest_support import load_profile

load_profile()

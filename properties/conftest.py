"""Configuration of the property suite, also when it runs installed.

``pytest --pyargs mlmath.properties`` (from any directory, after
``pip install "mlmath[test]"``) loads this file beside the properties: it
loads the profile named by ``$HYPOTHESIS_PROFILE`` (``dev``, ``ci`` or
``thorough``).  On the command line use the plugin's names, which exist before
this file is read: ``--hypothesis-profile=mlmath-ci``.
"""

from mlmath._pytest_support import load_profile

load_profile()

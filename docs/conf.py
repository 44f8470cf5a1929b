"""Sphinx configuration of mlmath's documentation (MyST Markdown pages + numpydoc API).

Build: ``sphinx-build -W -b html docs build/docs`` (``pip install -e ".[docs]"``).
"""

from __future__ import annotations

import mlmath

project = "mlmath"
author = "The mlmath developers"
copyright = "2026, The mlmath developers"  # Sphinx reads this name
release = mlmath.__version__
version = release

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
exclude_patterns = ["_build"]
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
autosummary_generate = False
autodoc_typehints = "none"  # numpydoc's Parameters sections state the types
# Pages link to files of the repository outside docs/ (benchmarks/README.md,
# CLAIMS.md ...), which are not documents of this site; those links are checked
# by tests/test_docs.py instead.
suppress_warnings = ["myst.xref_missing"]
html_theme = "alabaster"

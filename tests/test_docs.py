"""The README and the documentation pages: their examples run, their commands exist.

Every ``>>>`` example in ``README.md`` and ``docs/*.md`` is a doctest (with the
same option flags as the docstrings), so a printed value that is no longer what
mlmath returns fails here.  The README stays short (under 300 lines), and every
relative link in it points at a file of the checkout.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_examples_in_the_page_run(page):
    """Each page's `>>>` examples give the printed results."""
    # A code fence ends an example's expected output (Markdown needs no blank line).
    text = re.sub(r"^\s*```.*$", "", page.read_text(encoding="utf-8"), flags=re.MULTILINE)
    test = doctest.DocTestParser().get_doctest(text, {}, page.name, str(page), 0)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {page}"


def test_readme_has_examples_and_fits_on_a_few_screens():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) < 300
    assert text.count(">>> ") >= 5


def test_readme_links_point_at_files():
    """Relative Markdown links of the README name files that exist."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    targets = [t.split("#", 1)[0] for t in re.findall(r"\]\(([^)]+)\)", text)
               if "://" not in t and not t.startswith("#")]
    assert targets
    missing = [t for t in targets if not (REPO / t).exists()]
    assert not missing, missing

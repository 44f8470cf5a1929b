"""The articles' listings run as printed (sandboxed) and agree with the ledger's twins.

Uses ``../shared/seed/`` (a copy of the articles beside the repository) when it
exists; the project itself holds no article text or code.
"""

from __future__ import annotations

import importlib.util
import re
from collections import defaultdict
from pathlib import Path

import pytest

from mlmath.audit import ledger
from mlmath.audit._listings import extract, run_listings, run_sandboxed

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed"
needs_seed = pytest.mark.skipif(not SEED.is_dir(),
                                reason="no copy of the articles at ../shared/seed")
HAVE_TORCH = importlib.util.find_spec("torch") is not None


def test_sandbox_blocks_the_network_and_uses_a_temporary_directory():
    """A listing cannot open a connection; its working directory is a fresh temp dir."""
    run = run_sandboxed("import os, socket\nprint(os.getcwd())\n"
                        "socket.create_connection(('example.com', 80))\n")
    assert run.record["ran"] is False and "network" in run.record["error"]
    assert "mlmath-listing-" in run.stdout


def test_sandbox_times_out():
    """A listing that never ends is stopped at the timeout."""
    assert run_sandboxed("while True: pass\n", timeout=2).timed_out


@needs_seed
def test_every_listing_is_identified():
    """Each fenced code block of the articles is attributed to its article."""
    kinds = sorted(listing.kind or "?" for listing in extract(SEED))
    assert kinds == ["CE", "SA", "SSL"]


@needs_seed
def test_printed_listings_behave_like_the_twins():
    """Differential: printed listing and re-implementation agree on the same inputs."""
    report = run_listings(SEED)
    assert report.agree and all(report.agree.values()), report.evidence
    ssl = " ".join(report.evidence["SSL-5-listing-runs"])
    if HAVE_TORCH:
        loss, floor = map(float, re.search(
            r"-> ([0-9.]+); lowest loss any sigmoid decoder can reach on that x: ([0-9.]+)",
            ssl).groups())
        assert loss > floor > 0.5
    else:
        assert "not run: torch not installed" in ssl


def test_without_torch_the_evidence_says_so(monkeypatch, tmp_path):
    """No torch: the PyTorch listings are not run and the evidence says why."""
    import mlmath.audit._listings as listings

    real = importlib.util.find_spec
    monkeypatch.setattr(listings.importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else real(name, *a))
    (tmp_path / "a.md").write_text("```python\nclass AutoEncoder:\n    pass\n```\n",
                                   encoding="utf-8")
    report = run_listings(tmp_path)
    assert "printed listing not run: torch not installed" in report.evidence["SSL-5-listing-runs"]


# --------------------------------------------------------------------------- coverage


def _articles(text: str) -> dict[str, str]:
    """The seed file's four articles: CE first, then #20 SA, #21 SSL, #22 REG."""
    parts = re.split(r"^# (2[012])\. ", text, flags=re.M)
    out = {"CE": parts[0]}
    for num, body in zip(parts[1::2], parts[2::2], strict=True):
        out[{"20": "SA", "21": "SSL", "22": "REG"}[num]] = body
    return out


def _sections(article: str, body: str) -> list[str]:
    """Numbered leaf sections: '## x.y' headings for CE, '# x.' headings otherwise."""
    if article == "CE":
        return sorted(set(re.findall(r"^## (\d+\.\d+)", body, flags=re.M)))
    return sorted(set(re.findall(r"^# (\d+)\. ", body, flags=re.M)))


def _covered(section_field: str) -> set[str]:
    return set(re.findall(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])", section_field))


@needs_seed
def test_every_article_section_has_entries():
    """Entries per article section, against the section list extracted from the articles."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SEED.iterdir()))
    per: dict[tuple[str, str], int] = defaultdict(int)
    for c in ledger():
        for s in _covered(c.section.split("(")[0]):
            per[(c.article, s)] += 1
    uncovered = [(a, s) for a, body in _articles(text).items() for s in _sections(a, body)
                 if per[(a, s)] == 0]
    assert not uncovered, f"sections without an entry: {uncovered}"


def test_a_listing_unlike_the_twin_is_a_disagreement(tmp_path):
    """Differential: a listing that behaves otherwise (here: a correct loss) fails the match."""
    (tmp_path / "other.md").write_text(
        "```python\nimport numpy as np\n\ndef cross_entropy_loss(y_true, y_pred):\n"
        "    y, p = np.asarray(y_true, float), np.asarray(y_pred, float)\n"
        "    return float(-np.sum(np.where(y > 0, y * np.log(np.where(y > 0, p, 1)), 0)))\n"
        "```\n", encoding="utf-8")
    report = run_listings(tmp_path)
    assert report.agree["CE-4.1-zero-probability"] is False
    assert any("differs on inputs" in e for e in report.evidence["CE-4.1-zero-probability"])
    assert report.agree["SA-5-listing-runs"] is False  # no self-attention listing in the dir


def test_cli_exits_1_when_a_printed_listing_disagrees_with_its_twin(tmp_path):
    """`mlmath audit --articles DIR` exits 1 when a listing does not behave like its twin."""
    import subprocess
    import sys

    (tmp_path / "a.md").write_text("```python\ndef cross_entropy_loss(y_true, y_pred):\n"
                                   "    return 0.0\n```\n", encoding="utf-8")
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-m", "mlmath", "audit", "--id", "CE-4.1",
                           "--articles", str(tmp_path), "--format", "json", "--quiet"],
                          cwd=root, capture_output=True, text=True, check=False)
    assert proc.returncode == 1, proc.stderr
    import json

    records = {r["id"]: r for r in json.loads(proc.stdout)}
    assert records["CE-4.1-batch-sum"]["differential"] is False
    assert records["CE-4.1-batch-sum"]["verdict"] == records["CE-4.1-batch-sum"]["expected"]


def test_the_differential_covers_every_input_the_listing_checks_use(monkeypatch):
    """Every input the CE-4.1-* checks feed the twin is among those the printed listing runs on."""
    from mlmath.audit._evidence import Budget
    from mlmath.audit.claims import cross_entropy as ce

    seen = []
    real = ce._listing_ce

    def recording(y, p):
        seen.append((y, p))
        return real(y, p)

    monkeypatch.setattr(ce, "_listing_ce", recording)
    for c in ledger():
        if c.id.startswith("CE-4.1"):
            c.check(Budget())
    assert seen
    import json

    known = {json.dumps(list(x)) for x in ce.LISTING_INPUTS}
    missing = [inp for inp in seen if json.dumps(list(inp)) not in known]
    assert not missing, missing

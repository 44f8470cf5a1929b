"""The benchmark runner (``python -m benchmarks``); benchmarks themselves are never timed here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_benchmarks(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "benchmarks", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)


def test_list_names_the_topic_modules():
    """`--list` prints one line per benchmarks/<topic>.py (private modules excluded)."""
    result = run_benchmarks("--list")
    assert result.returncode == 0, result.stderr
    expected = sorted(p.stem for p in (REPO / "benchmarks").glob("[!_]*.py"))
    assert result.stdout.split() == expected


def test_unknown_topic_is_a_usage_error():
    result = run_benchmarks("no_such_topic")
    assert result.returncode == 2
    assert "unknown topic(s) no_such_topic" in result.stderr

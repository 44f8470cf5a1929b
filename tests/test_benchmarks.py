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


def test_a_failing_topic_is_reported_and_the_others_still_run(monkeypatch, capsys):
    """A topic that raises (or whose parser rejects the arguments) fails the run, alone."""
    import types

    from benchmarks import __main__ as runner

    def fake(name: str, main) -> None:
        module = types.ModuleType(f"benchmarks.{name}")
        module.main = main  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, f"benchmarks.{name}", module)

    def reject(argv):
        raise SystemExit(2)

    def broken(argv):
        raise RuntimeError("no BLAS")

    fake("good", lambda argv: print(f"| table | {argv} |"))
    fake("bad_args", reject)
    fake("broken", broken)
    assert runner.run_topic("good", ["--quick"]) is True
    assert runner.run_topic("bad_args", []) is False
    assert runner.run_topic("broken", []) is False
    out = capsys.readouterr().out
    assert "| table | ['--quick'] |" in out
    assert "bad_args: FAILED (exit 2)" in out and "broken: FAILED" in out

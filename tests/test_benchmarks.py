"""The benchmark runner (``python -m benchmarks``); benchmarks themselves are never timed here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import _matrix, _tables

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


# ------------------------------------------------------------ the recorded speed matrix


def test_speed_page_and_readme_block_match_the_recorded_run():
    """docs/speed.md and the README's speed block are what results.json gives."""
    for path, text in _tables.render().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} is not generated from benchmarks/results.json: run "
            "`python -m benchmarks --tables benchmarks/results.json`")


def test_recorded_run_covers_the_matrix():
    """The committed run is a full (not --quick) run of every case of the matrix."""
    data = json.loads(_tables.RESULTS.read_text(encoding="utf-8"))
    assert data["quick"] is False
    assert [c["key"] for c in data["cases"]] == [c.key for c in _matrix.cases()]
    assert data["environment"]["versions"]["torch"], "recorded without PyTorch"


def _record(function: str, ratios: dict[str, float], seconds: float = 1e-3) -> dict:
    return {"key": function, "function": function, "shape": [2, 3], "dtype": "float64",
            "variant": "", "rounds": 3, "median_seconds": {"mlmath": seconds},
            "ratio": ratios}


def _data(cases: list[dict]) -> dict:
    env = {"machine": "x86_64, 2 cores", "python": "3.11.7", "load_average": [0.5, 0.4, 0.3],
           "versions": {"mlmath": "0", "numpy": "2", "scipy": "1", "torch": None},
           "threads": {"torch": None}}
    return {"date": "2026-01-01 00:00 UTC", "duration_seconds": 3.0, "environment": env,
            "quick": False, "cases": cases}


def test_tables_count_cases_and_keep_the_slowest_case_per_function():
    data = _data([_record("softmax", {"scipy": 0.5, "torch": 0.9}),
                  _record("softmax", {"scipy": 2.5, "torch": 0.7}),
                  _record("entropy", {"scipy": 1.5})])
    page = _tables.speed_page(data)
    assert "1 of 3 cases are at or below 1.0× every reference." in page
    assert "| `entropy` | (2, 3) | float64 |  | 1 | 1.50 | — |" in page
    block = _tables.readme_block(data)
    assert "| 2.50 | 0.70 |" in block and "| 0.50 |" not in block
    assert "no PyTorch" in block


def test_tables_need_the_readme_markers(tmp_path):
    results = tmp_path / "r.json"
    results.write_text(json.dumps(_data([_record("softmax", {"scipy": 1.0})])))
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n")
    with pytest.raises(ValueError, match="no block between"):
        _tables.render(results, readme)


def test_json_run_writes_every_quick_case(tmp_path):
    """`--json --quick` runs each case once per round and records the environment."""
    out = tmp_path / "speed.json"
    result = run_benchmarks("--json", str(out), "--quick", "--rounds", "1")
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [c["key"] for c in data["cases"]] == [c.key for c in _matrix.cases(quick=True)]
    for case in data["cases"]:
        assert case["median_seconds"]["mlmath"] > 0
        assert set(case["ratio"]) <= {"scipy", "torch"}
        assert all(r > 0 for r in case["ratio"].values())
    assert data["environment"]["versions"]["numpy"] == np.__version__


def test_cancellation_block_matches_the_recorded_run():
    """docs/special.md's cancellation-cost block is what benchmarks/cancellation.json gives."""
    from benchmarks import cancellation

    record = json.loads(cancellation.RESULTS.read_text(encoding="utf-8"))
    page = cancellation.PAGE.read_text(encoding="utf-8")
    assert cancellation.block(record) in page, (
        "docs/special.md's cancellation block is not generated from "
        "benchmarks/cancellation.json: run "
        "`python -m benchmarks.cancellation --tables benchmarks/cancellation.json`")
    assert {c["dtype"] for c in record["cases"]} == set(cancellation.DTYPES)
    assert [tuple(c["shape"]) for c in record["cases"][::2]] == list(cancellation.SHAPES)


def test_namespace_timings_block_matches_the_recorded_run():
    """docs/array_api.md's timing block is what benchmarks/array_api.json gives, and the
    run covers every installed-by-default namespace's softmax and SDPA."""
    from benchmarks import array_api

    record = json.loads(array_api.RESULTS.read_text(encoding="utf-8"))
    assert array_api.block(record) in array_api.PAGE.read_text(encoding="utf-8"), (
        "docs/array_api.md's timing block is not generated from benchmarks/array_api.json: "
        "run `python -m benchmarks.array_api --tables benchmarks/array_api.json`")
    cases = record["median_seconds"]
    assert set(cases) == set(array_api._cases(np.random.default_rng(0)))
    assert all({"numpy", "array_api_strict", "torch"} <= set(per) for per in cases.values())

"""The ``mlmath`` command and ``mlmath verify`` (its summary and exit codes).

``verify`` is exercised on a tiny synthetic checkout (a passing and a failing
property, a meta-test, plain tests) so the runs stay fast and their output is
known exactly; the derivations and audit hooks are exercised with stand-in
modules placed in ``sys.modules``.
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from mlmath import _verify, _verify_plugin, cli

if sys.version_info < (3, 11):  # pragma: no cover - the backport Hypothesis depends on
    from exceptiongroup import ExceptionGroup
from mlmath._verify_plugin import META_TEST_NAME, failure_details, is_counterexample_note

REPO = Path(__file__).resolve().parents[1]

TOY_PROPERTIES = '''
from hypothesis import given, strategies as st


@given(x=st.integers(0, 1000))
def test_square_is_nonnegative(mm, x):
    """x * x >= 0."""
    assert x * x >= 0


@given(x=st.integers(0, 1000))
def test_value_is_small(x):
    """x < 100 -- false; the shrunk counterexample is x=100."""
    assert x < 100, f"[small] expected x < 100, got {x}"


def test_value_is_small_catches_mutant():
    """A meta-test (counted in the mutants column)."""
'''

TOY_TESTS = '''
import pytest


def test_passes():
    assert 1 + 1 == 2


def test_fails():
    assert 1 == 2, "one is not two"


@pytest.mark.skip(reason="shows in the skipped column")
def test_skipped():
    pass
'''


TOY_MODULE_SKIP = '''
import pytest

pytest.importorskip("a_module_nobody_installs")


def test_never_collected():
    pass
'''


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkout with the project's conftest, one property module and one test module."""
    root = tmp_path_factory.mktemp("checkout")
    (root / "conftest.py").write_text((REPO / "conftest.py").read_text())
    for folder, name, text in [("properties", "test_toy.py", TOY_PROPERTIES),
                               ("tests", "test_plain.py", TOY_TESTS),
                               ("tests", "test_optional.py", TOY_MODULE_SKIP)]:
        (root / folder).mkdir(exist_ok=True)
        (root / folder / name).write_text(text)
    return root


@pytest.fixture(autouse=True)
def isolated_pytest_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nested pytest runs must not inherit this run's options (e.g. CI's --junitxml)."""
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)


def run_mlmath(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m mlmath ARGS`` with this checkout's mlmath first on the path."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(REPO), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]))
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run([sys.executable, "-m", "mlmath", *args], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=300, check=False)


def summary_row(output: str, topic: str) -> list[str]:
    """The cells of the summary line of ``topic``."""
    for line in output.splitlines():
        cells = line.split()
        if cells[:1] == [topic] and len(cells) == len(_verify._COLUMNS):
            return cells
    raise AssertionError(f"no summary row for {topic!r} in:\n{output}")


@pytest.fixture
def no_extras(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither the derivations nor the audit are installed."""
    monkeypatch.setitem(sys.modules, "mlmath.derivations.cli", None)
    monkeypatch.setitem(sys.modules, "mlmath.audit", None)


def fake_derivations(monkeypatch: pytest.MonkeyPatch, drifted: list[str]) -> None:
    module = types.ModuleType("mlmath.derivations.cli")
    module.check = lambda: drifted  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mlmath.derivations.cli", module)


def fake_audit(monkeypatch: pytest.MonkeyPatch, exit_code: int) -> list[Any]:
    """A stand-in audit CLI; returns the list that receives its parsed arguments."""
    seen: list[Any] = []
    module = types.ModuleType("mlmath.audit.cli")

    def add_arguments(parser: Any) -> None:
        parser.add_argument("--format", default="markdown")
        parser.add_argument("--seed", type=int, default=0)

    def run(args: Any) -> int:
        seen.append(args)
        print("A1  holds\nA2  false (recorded: holds)" if exit_code else "A1  holds")
        print(f"{1 + bool(exit_code)} claims, {int(bool(exit_code))} disagreements")
        return exit_code

    module.add_arguments = add_arguments  # type: ignore[attr-defined]
    module.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mlmath.audit", types.ModuleType("mlmath.audit"))
    monkeypatch.setitem(sys.modules, "mlmath.audit.cli", module)
    return seen


class TestCommand:
    def test_help_lists_every_subcommand(self):
        """`python -m mlmath --help` exits 0 and names verify, derive and audit."""
        result = run_mlmath("--help")
        assert result.returncode == 0, result.stderr
        for name in ("verify", "derive", "audit"):
            assert name in result.stdout

    def test_verify_help_documents_profile_workers_and_passthrough(self, capsys):
        """`mlmath verify --help` shows --profile, -n and the `--` pass-through."""
        with pytest.raises(SystemExit) as exc:
            cli.main(["verify", "--help"])
        assert exc.value.code == 0
        out = capsys.readouterr().out
        for text in ("--profile", "{dev,ci,thorough}", "-n N", "PYTEST_ARGS"):
            assert text in out

    def test_unknown_profile_is_a_usage_error(self, capsys):
        with pytest.raises(SystemExit) as exc:
            cli.main(["verify", "--profile", "fast"])
        assert exc.value.code == 2
        assert "invalid choice" in capsys.readouterr().err


class TestVerifyRun:
    def test_failing_suite_exits_1_with_summary_and_shrunk_example(self, checkout):
        """A failing property fails verify and its shrunk counterexample is shown."""
        result = run_mlmath("verify", "--profile", "ci", "--root", str(checkout),
                            "--skip", "derivations", "--skip", "audit")
        out = result.stdout
        assert result.returncode == 1, out + result.stderr
        # topic, properties, examples, mutants, tests, doctests, failed, skipped, time
        toy = summary_row(out, "toy")
        assert toy[1] == "2" and int(toy[2]) > 100 and toy[3] == "1" and toy[6] == "1"
        assert summary_row(out, "plain")[4:8] == ["3", "0", "1", "1"]
        assert summary_row(out, "optional")[4:8] == ["1", "0", "0", "1"]  # a module-level skip
        assert "[toy] FAILED properties/test_toy.py::test_value_is_small" in out
        assert "[small] expected x < 100, got 100" in out
        # "Falsifying example:" up to Hypothesis 6.15x, "Failing test case:" later.
        assert re.search(r"^    (Falsifying example|Failing test case): test_value_is_small\(\n"
                         r"        x=100,\n    \)$", out, re.MULTILINE), out
        assert "one is not two" in out
        assert "derivations:" not in out and "audit:" not in out
        assert "verify: FAIL (2 tests failed) in " in out

    def test_passing_selection_with_workers_exits_0(self, checkout, no_extras, capsys):
        """Through an xdist worker (-n 1: the same controller/worker path as -n 8, one
        process to start) and a -k selection that passes, the summary still counts."""
        pytest.importorskip("xdist", reason="pytest-xdist is not installed")
        code = cli.main(["verify", "--profile", "dev", "-n", "1", "--root", str(checkout),
                         "--", "-k", "square or passes"])
        out = capsys.readouterr().out
        assert code == 0, out
        toy = summary_row(out, "toy")
        assert toy[1:4] == ["1", toy[2], "0"] and 0 < int(toy[2]) <= 25  # dev: 25 examples
        assert summary_row(out, "total")[6] == "0"
        assert "derivations: not installed" in out and "audit: not installed" in out
        assert "1 worker," in out and "verify: PASS in " in out

    def test_no_tests_ran_is_a_failure(self, checkout, no_extras, capsys):
        """Deselecting everything (pytest exit 5) must not pass."""
        code = cli.main(["verify", "--profile", "dev", "--root", str(checkout),
                         "--", "-k", "no_test_has_this_name"])
        out = capsys.readouterr().out
        assert code != 0
        assert "no tests collected" in out and "no test passed" in out

    def test_missing_test_extra_is_reported_not_crashed(self, monkeypatch, capsys):
        """Without pytest-xdist, -n says what to install (exit 3) instead of a pytest error."""
        real = importlib.util.find_spec
        monkeypatch.setattr(importlib.util, "find_spec",
                            lambda name, *a: None if name == "xdist" else real(name, *a))
        assert _verify.missing_requirements("0") == []
        assert cli.main(["verify", "-n", "2"]) == 3
        err = capsys.readouterr().err
        assert "needs pytest-xdist (for -n)" in err and 'pip install "mlmath[test]"' in err

    def test_paths_after_the_separator_replace_the_default_directories(self, checkout):
        def command(*extra: str) -> list[str]:
            args = cli.build_parser().parse_args(["verify", "--", *extra])
            return _verify.pytest_command(args, checkout, Path("r.json"))

        assert command("-k", "x")[-4:] == ["properties", "tests", "-k", "x"]
        assert command("properties/test_toy.py::test_square_is_nonnegative")[-2:] == [
            "--hypothesis-profile=mlmath-ci",
            "properties/test_toy.py::test_square_is_nonnegative"]

    def test_installed_run_collects_the_installed_package(self):
        """Without a checkout, pytest runs the installed package (properties + doctests)."""
        args = cli.build_parser().parse_args(["verify", "--profile", "dev", "--", "-k", "x"])
        command = _verify.pytest_command(args, None, Path("r.json"))
        assert command[-4:] == ["--pyargs", "mlmath", "-k", "x"]
        assert "--doctest-modules" in command and "--hypothesis-profile=mlmath-dev" in command
        rootdir = Path(command[command.index("--rootdir") + 1])
        assert (rootdir / "mlmath" / "__init__.py").is_file()

    def test_no_checkout_means_installed(self, tmp_path, monkeypatch):
        """From a directory that is not a checkout, with a non-checkout mlmath, root is None."""
        monkeypatch.chdir(tmp_path)
        monkeypatch.setattr(_verify, "__file__", str(tmp_path / "site" / "mlmath" / "_verify.py"))
        assert _verify.source_root() is None

    def test_root_without_suite_is_refused(self, tmp_path):
        with pytest.raises(SystemExit, match="no properties/ and tests/"):
            _verify.source_root(tmp_path)


class TestSummary:
    @pytest.mark.parametrize(("nodeid", "topic"), [
        ("properties/test_information.py::test_kl_nonnegative", "information"),
        ("mlmath/properties/test_losses.py::test_ce_nonnegative", "losses"),
        ("mlmath/derivations/_core.py::mlmath.derivations._core", "derivations"),
        ("tests/test_information.py::TestEntropy::test_zero[float32]", "information"),
        ("mlmath/special.py::mlmath.special.softmax", "special"),
        ("mlmath/strategies/_losses.py::mlmath.strategies._losses.targets", "losses"),
        ("mlmath/audit/__init__.py::mlmath.audit", "audit"),
        ("mlmath/audit/claims/self_supervised.py::mlmath.audit.claims.x", "audit"),
        ("tests/test_cli.py", "cli"),
    ])
    def test_topic_is_the_module_name(self, nodeid, topic):
        assert _verify.topic_of(nodeid) == topic

    def test_totals_add_up_and_unknown_examples_stay_unknown(self):
        """An unknown example count (None) is shown as '?', never as a guessed number."""
        rows = _verify.summarise({
            "properties/test_a.py::test_p": {"kind": "property", "examples": 7},
            "properties/test_a.py::test_q": {"kind": "property", "outcome": "failed",
                                             "examples": 3},
            "tests/test_a.py::test_u": {"kind": "test", "outcome": "skipped"},
            "properties/test_b.py::test_r": {"kind": "property"},
            "properties/test_a.py::test_skipped": {"kind": "property", "outcome": "skipped"},
        })
        a, b = rows
        assert (a.topic, a.properties, a.examples, a.failed, a.skipped) == ("a", 3, 10, 1, 2)
        assert b.examples is None
        table = _verify.format_summary(rows)
        assert table.splitlines()[-1].split()[:3] == ["total", "4", "?"]

    @pytest.mark.parametrize(("name", "meta"), [
        ("test_softmax_rows_are_distributions_catches_mutant", True),
        ("test_audit_properties_catch_mutants", True),
        ("test_agreement_catches_a_wrong_gradient", True),
        ("test_kl_divergence_nonnegative", False),
        ("test_catchy_name", False),
    ])
    def test_meta_tests_are_recognised_by_name(self, name, meta):
        assert bool(META_TEST_NAME.search(name)) is meta

    def test_failures_beyond_the_cap_are_counted_not_shown(self):
        tests = {f"tests/test_a.py::t{i}": {"outcome": "failed", "message": f"m{i}"}
                 for i in range(4)}
        text = _verify.format_failures(tests, [], max_per_topic=2)
        assert "m1" in text and "m2" not in text
        assert "[a] ... and 2 more failures" in text
        assert "m3" in _verify.format_failures(tests, [], max_per_topic=0)

    def test_failure_reasons(self):
        ok = _verify.CheckResult("audit", "not installed")
        bad = _verify.CheckResult("derivations", "failed", "drifted: x.json")
        rows = _verify.summarise({"tests/test_a.py::t": {"kind": "test"}})
        assert _verify.failure_reasons(0, rows, [ok]) == []
        assert _verify.failure_reasons(0, rows, [bad]) == ["derivations failed"]
        assert _verify.failure_reasons(5, [], []) == [
            "pytest exit code 5: no tests collected", "no test passed"]
        assert _verify.failure_reasons(1, rows, [], 1) == ["1 module failed to import"]
        assert _verify.failure_reasons(1, rows, []) == ["pytest exit code 1: tests failed"]

    def test_failure_details_collect_every_falsifying_example(self):
        """Distinct failures (an ExceptionGroup) each contribute their example."""
        first, second = AssertionError("[p] first"), ZeroDivisionError("second")
        first.__notes__ = ["Falsifying example: test_p(\n    x=0,\n)"]
        second.__notes__ = ["unrelated note", "Falsifying example: test_p(\n    x=1,\n)"]
        message, examples = failure_details(ExceptionGroup("two failures", [first, second]))
        assert message.startswith("ExceptionGroup: two failures")
        assert examples == ["Falsifying example: test_p(\n    x=0,\n)",
                            "Falsifying example: test_p(\n    x=1,\n)"]

    def test_counting_wrapper_keeps_hypothesis_seed_and_database_key(self):
        """The derandomised seed and the database key hash the test's source and
        signature; the counting wrapper must not change them (else `verify` would
        draw other examples than plain pytest)."""
        reflection = pytest.importorskip("hypothesis.internal.reflection")  # private: guarded
        from hypothesis import given
        from hypothesis import strategies as st

        @given(x=st.integers())
        def prop(mm, x):
            assert x == x

        inner = prop.hypothesis.inner_test
        wrapped = _verify_plugin.counting_wrapper(inner, [0])
        assert reflection.function_digest(wrapped) == reflection.function_digest(inner)

    def test_interactive_draws_are_part_of_the_counterexample(self):
        exc = AssertionError("[p] x + y < 5")
        exc.__notes__ = ["Falsifying example: test_d(\n    data=data(...),\n)",
                         "Draw 1 (x): 0", "Draw 2: 5", "You can reproduce this example ..."]
        _, examples = failure_details(exc, "test_d")
        assert examples == ["Falsifying example: test_d(\n    data=data(...),\n)\n"
                            "Draw 1 (x): 0\nDraw 2: 5"]

    def test_long_messages_are_cut_to_a_few_readable_lines(self):
        exc = AssertionError("[p] first line\n" + "x" * 1000 + "\n" + "\n".join("abcdefghij"))
        message, _ = failure_details(exc)
        lines = message.splitlines()
        assert lines[0] == "AssertionError: [p] first line"
        assert lines[1] == "x" * 300 + " ..."
        assert len(lines) == 9 and lines[-1] == "... (4 more lines)"

    @pytest.mark.parametrize(("note", "caught"), [
        ("Failing test case: test_p(\n    x=0,\n)", True),  # Hypothesis >= 6.16x wording
        ("Some Future Label: test_p(x=0)", True),  # unknown wording, but names the test
        ("Some Future Label: other_test(x=0)", False),
        ("You can reproduce this example by ...", False),
    ])
    def test_counterexample_notes_are_recognised(self, note, caught):
        assert is_counterexample_note(note, "test_p") is caught


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class TestCheckProgress:
    """The checks after pytest's output are announced on a terminal, plain otherwise."""

    @pytest.fixture
    def slow_ok(self, monkeypatch):
        result = _verify.CheckResult("audit", "ok", "3 claims")
        monkeypatch.setitem(_verify.CHECKS, "audit", lambda profile: result)
        return result

    def test_terminal_shows_the_running_check_then_overwrites_it(self, slow_ok):
        out = _Terminal()
        assert _verify.run_check("audit", "ci", out) is slow_ok
        running, finished = out.getvalue().split("\r")
        assert running == "audit: running ..."
        assert re.fullmatch(r"audit: ok in \d+ s \(3 claims\) +\n", finished)

    def test_off_a_terminal_one_plain_line(self, slow_ok):
        out = io.StringIO()
        _verify.run_check("audit", "ci", out)
        assert re.fullmatch(r"audit: ok in \d+ s \(3 claims\)\n", out.getvalue())


class TestChecks:
    def test_derivations_not_installed(self, monkeypatch):
        monkeypatch.setitem(sys.modules, "mlmath.derivations.cli", None)
        result = _verify.derivations_check()
        assert (result.status, result.ok) == ("not installed", True)
        assert result.describe() == "derivations: not installed"

    def test_derivations_drift_fails_and_names_files(self, monkeypatch):
        fake_derivations(monkeypatch, ["information.json", "special.md"])
        result = _verify.derivations_check()
        assert not result.ok
        assert "information.json, special.md" in result.describe()

    def test_derivations_up_to_date(self, monkeypatch):
        fake_derivations(monkeypatch, [])
        assert _verify.derivations_check().status == "ok"

    def test_audit_not_installed(self, monkeypatch):
        monkeypatch.setitem(sys.modules, "mlmath.audit", None)
        assert _verify.audit_check().describe() == "audit: not installed"

    def test_audit_without_structured_api_runs_the_cli_in_text_format(self, monkeypatch):
        seen = fake_audit(monkeypatch, exit_code=0)
        result = _verify.audit_check()
        assert result.ok and "1 claims, 0 disagreements" in result.describe()
        assert seen[0].format == "text" and seen[0].seed == 0  # its own defaults kept

    def test_audit_disagreement_fails_verify_and_shows_output(self, monkeypatch):
        fake_audit(monkeypatch, exit_code=1)
        result = _verify.audit_check()
        assert not result.ok
        assert "exit code 1" in result.describe()
        assert "A2  false (recorded: holds)" in result.describe()

    @staticmethod
    def structured_audit(monkeypatch, verdicts):
        """A stand-in ``mlmath.audit`` with ``run_audit``: (id, computed, recorded) triples."""
        budgets: list[str] = []

        def run_audit(*, budget: str = "ci") -> list[Any]:
            budgets.append(budget)
            return [types.SimpleNamespace(
                agrees=computed == recorded,
                claim=types.SimpleNamespace(id=cid, expected=recorded),
                outcome=types.SimpleNamespace(verdict=computed, reason="because"))
                for cid, computed, recorded in verdicts]

        module = types.ModuleType("mlmath.audit")
        module.run_audit = run_audit  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "mlmath.audit", module)
        return budgets

    def test_structured_audit_tallies_verdicts(self, monkeypatch):
        budgets = self.structured_audit(monkeypatch, [("CE-1", "holds", "holds"),
                                                      ("CE-2", "false", "false"),
                                                      ("SA-1", "false", "false")])
        result = _verify.audit_check()
        assert result.describe() == ("audit: ok (3 claims, every computed verdict matches the "
                                     "ledger: 2 false, 1 holds)")
        assert budgets == ["ci"]
        _verify.audit_check("thorough")
        assert budgets == ["ci", "thorough"]

    def test_structured_audit_names_each_disagreement(self, monkeypatch):
        self.structured_audit(monkeypatch, [("CE-1", "holds", "holds"),
                                            ("CE-7", "false", "holds")])
        result = _verify.audit_check()
        assert not result.ok
        assert "1 of 2 computed verdicts disagree" in result.describe()
        assert "CE-7: computed false, recorded holds -- because" in result.describe()

    def test_empty_audit_is_a_failure(self, monkeypatch):
        self.structured_audit(monkeypatch, [])
        assert _verify.audit_check().status == "failed"

    def test_a_crashing_check_is_an_error_not_a_crash(self, monkeypatch):
        module = types.ModuleType("mlmath.derivations.cli")

        def check() -> list[str]:
            raise RuntimeError("sympy exploded")

        module.check = check
        monkeypatch.setitem(sys.modules, "mlmath.derivations.cli", module)
        result = _verify.derivations_check()
        assert (result.status, result.ok) == ("error", False)
        assert "RuntimeError: sympy exploded" in result.describe()


def test_version_flag_prints_the_package_version():
    """`mlmath --version` prints `mlmath <__version__>` and exits 0 (real entry point)."""
    import mlmath

    out = run_mlmath("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"mlmath {mlmath.__version__}"


def test_top_level_help_has_no_markup():
    """`mlmath --help` shows plain text, no reStructuredText double backquotes."""
    out = run_mlmath("--help")
    assert out.returncode == 0 and "``" not in out.stdout


@pytest.mark.parametrize("module", ["mlmath.testing", "mlmath.strategies"])
def test_modules_needing_hypothesis_say_what_to_install(module):
    """Without Hypothesis, importing these names the extra in one line (not a bare error)."""
    code = ("import sys; sys.modules['hypothesis'] = None\n"
            "import importlib.util as u; real = u.find_spec\n"
            "u.find_spec = lambda name, *a: None if name == 'hypothesis' else real(name, *a)\n"
            f"import {module}")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, check=False)
    assert out.returncode == 1
    assert f'{module} needs hypothesis: pip install "mlmath[test]"' in out.stderr

"""``mlmath verify``: the property suite, the tests, the derivations and the audit.

Runs pytest (in a child process, so ``-n`` can use pytest-xdist workers) on
``properties/``, ``tests/`` and the doctests of ``mlmath/`` of a source
checkout, or -- for an installed mlmath without a checkout -- on the installed
package (``--pyargs mlmath``: the property suite ``mlmath.properties`` and every
doctest), from a temporary directory; then prints a per-topic summary, the
failures with Hypothesis's shrunk counterexample, the derivation drift check
and the claims audit.  The exit code is 0 only when every part passes and at least one test passed.

Usage::

    mlmath verify [--profile dev|ci|thorough] [-n N] [--skip derivations|audit]
                  [--root PATH] [-- PYTEST_ARGS...]

The topic of a test is its module name: ``properties/test_<topic>.py``,
``tests/test_<topic>.py`` and the doctests of ``mlmath/<topic>.py`` all count
for ``<topic>``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TextIO

__all__ = [
    "CheckResult",
    "TopicSummary",
    "add_arguments",
    "audit_check",
    "audit_from_results",
    "derivations_check",
    "failure_reasons",
    "format_failures",
    "format_summary",
    "missing_requirements",
    "pytest_command",
    "run",
    "source_root",
    "summarise",
    "topic_of",
]

#: Directories of a checkout that hold tests, in the order they are run.
TEST_DIRS = ("properties", "tests", "mlmath")
#: Parts ``--skip`` can leave out (the suite itself always runs).
OPTIONAL_CHECKS = ("derivations", "audit")
#: pytest exit codes that mean something other than "tests failed".
PYTEST_EXIT_MEANINGS = {2: "interrupted", 3: "internal error", 4: "usage error",
                        5: "no tests collected"}
#: Lines of a collection error shown in the summary (the end of the traceback).
COLLECT_ERROR_LINES = 15
#: Failures shown in full per topic unless ``--max-failures`` says otherwise.
DEFAULT_MAX_FAILURES = 10


# --------------------------------------------------------------------------- checkout

def _has_suite(path: Path) -> bool:
    return (path / "properties").is_dir() and (path / "tests").is_dir()


def source_root(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The checkout holding ``properties/`` and ``tests/``, or ``None`` for an installed run.

    ``explicit`` (``--root``) wins; otherwise the checkout of the imported
    ``mlmath`` package (an editable install or ``PYTHONPATH``), else the
    current directory (a non-editable install run from its checkout), else
    ``None``: the installed package is verified.
    """
    if explicit is not None:
        root = Path(explicit).resolve()
        if not _has_suite(root):
            raise SystemExit(f"mlmath verify: --root {root} has no properties/ and tests/")
        return root
    for candidate in (Path(__file__).resolve().parent.parent, Path.cwd()):
        if _has_suite(candidate) and (candidate / "mlmath").is_dir():
            return candidate
    return None


def installed_root() -> Path:
    """The directory holding the installed ``mlmath`` package (pytest's rootdir there)."""
    return Path(__file__).resolve().parent.parent


def versions_line() -> str:
    """``mlmath 0.2.0, Python 3.11.7, NumPy ..., SciPy ..., SymPy ..., Hypothesis ...``."""
    import platform
    from importlib import metadata

    parts = [f"Python {platform.python_version()}"]
    for dist in ("mlmath", "numpy", "scipy", "sympy", "hypothesis", "pytest"):
        try:
            parts.append(f"{metadata.distribution(dist).metadata['Name']} "
                         f"{metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{dist} not installed")
    return ", ".join(parts)


# --------------------------------------------------------------------------- CLI

EPILOG = """\
summary columns (one line per topic, from the test module's name):
  properties  Hypothesis tests run        examples  calls of their bodies
  mutants     meta-tests (broken implementations that must be caught)
  tests       other tests                 doctests  docstring examples
  failed, skipped, time (summed test durations; worker time with -n)

exit code: 0 only when at least one test passed, none failed, every test module
imported, and neither the derivation drift check nor the claims audit failed
("not installed" is not a failure); 1 otherwise; 2 for a usage error; 3 when
pytest, hypothesis (or pytest-xdist, for -n) is not installed.

run from a source checkout, verify runs properties/, tests/ and the doctests of
mlmath/; run with an installed mlmath (no checkout), it runs the installed
property suite (mlmath.properties) and every doctest of the package.

examples:
  mlmath verify -n auto                      # everything, on every core
  mlmath verify --profile dev -- -k special  # one topic, quickly
  mlmath verify -- properties/test_special.py  # one file
  mlmath verify --profile thorough           # release check: many more examples
"""


def _parallel(workers: object) -> bool:
    """Whether ``-n`` asks for pytest-xdist workers (0 or empty: run serially)."""
    return str(workers) not in ("0", "")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``mlmath verify`` (the parser is built by ``mlmath.cli``)."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("--profile", choices=["dev", "ci", "thorough"], default="ci",
                        help="Hypothesis profile (default: ci, derandomised)")
    parser.add_argument("-n", "--workers", default="0", metavar="N",
                        help="pytest-xdist workers: a number or 'auto' (default 0: serial)")
    parser.add_argument("--skip", action="append", choices=OPTIONAL_CHECKS, default=[],
                        help="leave out the derivation drift check or the audit (repeatable)")
    parser.add_argument("--max-failures", type=int, default=DEFAULT_MAX_FAILURES, metavar="K",
                        help="failures shown in full per topic (default: %(default)s; 0: all)")
    parser.add_argument("--root", default=None, metavar="PATH",
                        help="source checkout to verify (default: the one of this mlmath)")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER, metavar="-- PYTEST_ARGS",
                        help="extra arguments for pytest after `--` (e.g. -- -k softmax); "
                             "test paths given there replace the default directories")


def pytest_command(args: argparse.Namespace, root: Path | None, report: Path) -> list[str]:
    """The pytest command line: in the checkout ``root``, or of the installed package."""
    extra = list(args.pytest_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    # --tb=no and -rsxX: the failures (with their counterexamples) are in our
    # summary; pytest still lists skip and xfail reasons.  Later options win, so
    # `-- --tb=short` brings tracebacks back.
    cmd = [sys.executable, "-m", "pytest", "-q", "--tb=no", "-rsxX", "-p", "no:cacheprovider",
           "-p", "mlmath._verify_plugin", f"--mlmath-verify-report={report}",
           # the plugin's namespaced name: it exists before any conftest is read
           f"--hypothesis-profile=mlmath-{args.profile}"]
    if _parallel(args.workers):
        cmd += ["-n", str(args.workers)]
    if root is None:
        # Installed: nodeids relative to site-packages (mlmath/properties/test_x.py),
        # no ini file of whatever directory the user is in.
        return [*cmd, "--rootdir", str(installed_root()), "-c", os.devnull, "--doctest-modules",
                "-o", "doctest_optionflags=NORMALIZE_WHITESPACE NUMBER",
                "--pyargs", "mlmath", *extra]
    # Paths among the extra arguments (`-- properties/test_special.py`) replace
    # the default directories instead of adding to them.
    if not any(not a.startswith("-") and (root / a.split("::", 1)[0]).exists() for a in extra):
        cmd += [d for d in TEST_DIRS if (root / d).is_dir()]
    return cmd + extra


def _child_environment(root: Path | None) -> dict[str, str]:
    """Environment of the pytest process: this mlmath importable after the checkout."""
    here = str(Path(__file__).resolve().parent.parent)
    first = [str(root)] if root is not None else []
    paths = [*first, here, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def missing_requirements(workers: str) -> list[str]:
    """Distributions ``mlmath verify`` needs that are not installed."""
    needed = {"pytest": "pytest", "hypothesis": "hypothesis"}
    if _parallel(workers):
        needed["xdist"] = "pytest-xdist (for -n)"
    return [dist for module, dist in needed.items() if importlib.util.find_spec(module) is None]


def run(args: argparse.Namespace) -> int:
    """Run everything, print the summary; 0 only when every part passes."""
    missing = missing_requirements(args.workers)
    if missing:
        print(f"mlmath verify: needs {', '.join(missing)}: "
              "python -m pip install \"mlmath[test]\"", file=sys.stderr)
        return 3
    root = source_root(args.root)
    start = time.perf_counter()
    workers = ("serial" if not _parallel(args.workers) else
               "1 worker" if str(args.workers) == "1" else f"{args.workers} workers")
    where = f"checkout {root}" if root is not None else f"installed package {installed_root()}"
    print(f"mlmath verify: profile {args.profile}, {workers}, {where}", flush=True)
    print(f"  {versions_line()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="mlmath-verify-") as tmp:
        report_path = Path(tmp) / "report.json"
        status = subprocess.call(pytest_command(args, root, report_path),
                                 cwd=root if root is not None else tmp,
                                 env=_child_environment(root))
        report = (json.loads(report_path.read_text(encoding="utf-8"))
                  if report_path.exists() else {"tests": {}, "collect_errors": []})
    tests: dict[str, dict[str, Any]] = report["tests"]
    rows = summarise(tests)
    print()
    print(format_summary(rows))
    failures = format_failures(tests, report["collect_errors"], args.max_failures)
    if failures:
        print()
        print(failures)
    print(flush=True)
    checks = [run_check(name, args.profile) for name in OPTIONAL_CHECKS if name not in args.skip]
    problems = failure_reasons(status, rows, checks, len(report["collect_errors"]))
    print()
    verdict = "PASS" if not problems else "FAIL (" + "; ".join(problems) + ")"
    print(f"verify: {verdict} in {time.perf_counter() - start:.0f} s")
    return 0 if not problems else 1


def run_check(name: str, profile: str, stream: TextIO | None = None) -> CheckResult:
    """Run one of :data:`CHECKS`, printing its result and duration as it finishes.

    The checks take tens of seconds after pytest's own output has ended, so on a
    terminal a "running" line shows which one is under way (overwritten by the
    result); off a terminal the output stays one line per check.
    """
    out = sys.stdout if stream is None else stream
    live = out.isatty()
    if live:
        print(f"{name}: running ...", end="\r", file=out, flush=True)
    start = time.perf_counter()
    result = CHECKS[name](profile)
    head = f"{result.name}: {result.status}"
    line = result.describe().replace(head, f"{head} in {time.perf_counter() - start:.0f} s", 1)
    print(line + (" " * 12 if live else ""), file=out, flush=True)
    return result


def failure_reasons(status: int, rows: Sequence[TopicSummary], checks: Iterable[CheckResult],
              collect_errors: int = 0) -> list[str]:
    """Why the run failed (empty when it passed)."""
    problems = []
    total = sum(rows, TopicSummary("total"))
    explained = status == 1 and (total.failed or collect_errors)  # counted below
    if status != 0 and not explained:
        meaning = PYTEST_EXIT_MEANINGS.get(status, "tests failed")
        problems.append(f"pytest exit code {status}: {meaning}")
    if collect_errors:
        problems.append(f"{collect_errors} module{'s' * (collect_errors != 1)} failed to import")
    if total.failed:
        problems.append(f"{total.failed} test{'s' * (total.failed != 1)} failed")
    if total.passed == 0:
        problems.append("no test passed")
    problems += [f"{c.name} {c.status}" for c in checks if not c.ok]
    return problems


# --------------------------------------------------------------------------- summary

def topic_of(nodeid: str) -> str:
    """Topic of a test from its module: ``properties/test_x.py::t`` -> ``x``.

    ``tests/test_x.py``, ``mlmath/x.py`` (doctests) and ``mlmath/strategies/_x.py``
    also give ``x``; a package's ``__init__.py`` gives the package name, and
    every module inside the package ``mlmath/<pkg>/`` (e.g. the audit's claim
    modules) belongs to the topic ``<pkg>``.
    """
    path = PurePosixPath(nodeid.split("::", 1)[0].replace("\\", "/"))
    parts = path.parts
    if parts[:2] == ("mlmath", "properties") and len(parts) > 2:
        # the installed layout: mlmath/properties/test_x.py is properties/test_x.py
        path = PurePosixPath(*parts[1:])
        parts = path.parts
    if len(parts) > 2 and parts[0] == "mlmath" and parts[1] != "strategies":
        return parts[1]
    stem = path.parent.name if path.stem == "__init__" else path.stem
    return stem.removeprefix("test_").lstrip("_") or stem


@dataclass
class TopicSummary:
    """Counts for one topic (or the total, by adding topics)."""

    topic: str
    properties: int = 0
    examples: int | None = 0
    mutants: int = 0
    tests: int = 0
    doctests: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    def add(self, nodeid: str, record: Mapping[str, Any]) -> None:
        kind = record.get("kind", "test")
        outcome = record.get("outcome", "passed")
        if kind == "property":
            self.properties += 1
            # A property skipped or broken before its body ran drew nothing; one that
            # ran without a count (None) makes the total unknown, never a guess.
            examples = record.get("examples", 0 if outcome in ("skipped", "error") else None)
            self.examples = None if examples is None or self.examples is None else (
                self.examples + int(examples))
        elif kind == "mutant":
            self.mutants += 1
        elif kind == "doctest":
            self.doctests += 1
        else:
            self.tests += 1
        if outcome in ("failed", "error"):
            self.failed += 1
            self.failures.append(nodeid)
        elif outcome == "skipped":
            self.skipped += 1
        else:
            self.passed += 1
        self.seconds += float(record.get("duration", 0.0))

    def __add__(self, other: TopicSummary) -> TopicSummary:
        examples = (None if self.examples is None or other.examples is None
                    else self.examples + other.examples)
        return TopicSummary(
            self.topic, self.properties + other.properties, examples,
            self.mutants + other.mutants, self.tests + other.tests,
            self.doctests + other.doctests, self.passed + other.passed,
            self.failed + other.failed, self.skipped + other.skipped,
            self.seconds + other.seconds, self.failures + other.failures)


def summarise(tests: Mapping[str, Mapping[str, Any]]) -> list[TopicSummary]:
    """Per-topic counts from the plugin's records, sorted by topic."""
    topics: dict[str, TopicSummary] = {}
    for nodeid, record in tests.items():
        topic = topic_of(nodeid)
        topics.setdefault(topic, TopicSummary(topic)).add(nodeid, record)
    return [topics[t] for t in sorted(topics)]


_COLUMNS = ("topic", "properties", "examples", "mutants", "tests", "doctests", "failed",
            "skipped", "time")


def _cells(row: TopicSummary) -> list[str]:
    examples = "?" if row.examples is None else str(row.examples)
    return [row.topic, str(row.properties), examples, str(row.mutants), str(row.tests),
            str(row.doctests), str(row.failed), str(row.skipped), f"{row.seconds:.1f}s"]


def format_summary(rows: Sequence[TopicSummary]) -> str:
    """A fixed-width table: one line per topic and a total line.

    ``properties`` counts Hypothesis tests, ``examples`` the calls of their
    bodies, ``mutants`` the meta-tests that feed a broken implementation,
    ``tests`` the other tests, ``doctests`` the docstring examples; ``time``
    is the sum of test durations (worker time with ``-n``).
    """
    if not rows:
        return "no tests ran"
    table = [list(_COLUMNS)] + [_cells(r) for r in rows]
    table.append(_cells(sum(rows, TopicSummary("total"))))
    widths = [max(len(line[i]) for line in table) for i in range(len(_COLUMNS))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    rule = "-" * len(line(table[0]))
    return "\n".join([line(table[0]), rule, *map(line, table[1:-1]), rule, line(table[-1])])


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + ln if ln else ln for ln in text.splitlines())


def format_failures(tests: Mapping[str, Mapping[str, Any]],
                    collect_errors: Sequence[Mapping[str, str]],
                    max_per_topic: int = DEFAULT_MAX_FAILURES) -> str:
    """Each failure: test id, location, message and the shrunk counterexample(s).

    At most ``max_per_topic`` failures of a topic are shown in full (0: all);
    the others are counted, so a topic that fails wholesale stays readable.
    """
    blocks = []
    for err in collect_errors:
        tail = "\n".join(err["text"].splitlines()[-COLLECT_ERROR_LINES:])
        blocks.append(f"[{topic_of(err['nodeid'])}] ERROR collecting {err['nodeid']}\n"
                      + _indent(tail))
    shown: dict[str, int] = {}
    hidden: dict[str, int] = {}
    for nodeid, record in tests.items():
        if record.get("outcome") not in ("failed", "error"):
            continue
        topic = topic_of(nodeid)
        if max_per_topic and shown.get(topic, 0) >= max_per_topic:
            hidden[topic] = hidden.get(topic, 0) + 1
            continue
        shown[topic] = shown.get(topic, 0) + 1
        head = f"[{topic}] {record['outcome'].upper()} {nodeid}"
        if "location" in record:
            head += f"  ({record['location']})"
        parts = [head, _indent(record.get("message", "(no message)"))]
        parts += [_indent(example) for example in record.get("falsifying", [])]
        blocks.append("\n".join(parts))
    blocks += [f"[{topic}] ... and {n} more failure{'s' * (n != 1)} (see pytest's output above, "
               "or rerun with --max-failures 0)" for topic, n in hidden.items()]
    if not blocks:
        return ""
    return "Failures\n--------\n" + "\n\n".join(blocks)


# --------------------------------------------------------------------------- other checks

@dataclass
class CheckResult:
    """Outcome of one of the checks that run after the suite."""

    name: str
    status: str  # "ok", "failed", "error" or "not installed"
    detail: str = ""

    @property
    def ok(self) -> bool:
        """Only a failure or an error fails verify ("not installed" does not)."""
        return self.status in ("ok", "not installed")

    def describe(self) -> str:
        text = f"{self.name}: {self.status}"
        if self.detail:
            text += ("\n" + _indent(self.detail)) if "\n" in self.detail else f" ({self.detail})"
        return text


def _import_optional(module: str) -> Any:
    """The module, or ``None`` when it (or its package) is not installed.

    An import error *inside* an installed module is a real error and propagates.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (module == exc.name or module.startswith(exc.name + ".")):
            return None
        raise


def _guarded(name: str, check: Callable[[], CheckResult]) -> CheckResult:
    """Run a check; an unexpected exception is an ``error`` result, never a crash."""
    try:
        return check()
    except Exception as exc:  # a broken check must not hide the suite's summary
        return CheckResult(name, "error", f"{type(exc).__name__}: {exc}")


def derivations_check(profile: str = "ci") -> CheckResult:
    """Drift of the committed derivations: ``derivations.cli.check()`` -> drifted files.

    (``profile`` is unused: the derivations are deterministic.)
    """
    def check() -> CheckResult:
        cli = _import_optional("mlmath.derivations.cli")
        if cli is None or not hasattr(cli, "check"):
            return CheckResult("derivations", "not installed")
        drifted = list(cli.check())
        if drifted:
            return CheckResult("derivations", "failed",
                               "drifted (regenerate with `mlmath derive`): "
                               + ", ".join(map(str, drifted)))
        return CheckResult("derivations", "ok", "generated files match a fresh derivation")
    return _guarded("derivations", check)


def audit_check(profile: str = "ci") -> CheckResult:
    """The claims audit; fails when a computed verdict disagrees with the recorded one.

    Uses the audit's structured API when it has one (``mlmath.audit.run_audit``,
    returning results with ``agrees``, ``claim.id``, ``claim.expected`` and
    ``outcome.verdict``), with the ``thorough`` search budget under the thorough
    profile and the reproducible ``ci`` budget otherwise.  Otherwise it runs
    ``mlmath audit --format text`` through the audit's own argument parser (so
    new options keep their defaults) and fails on a non-zero exit code; the
    output is shown only on failure.
    """
    def check() -> CheckResult:
        audit = _import_optional("mlmath.audit")
        if audit is None:
            return CheckResult("audit", "not installed")
        run_audit = getattr(audit, "run_audit", None)
        if callable(run_audit):
            budget = "thorough" if profile == "thorough" else "ci"
            return audit_from_results(list(run_audit(budget=budget)))
        return _audit_through_cli()
    return _guarded("audit", check)


def audit_from_results(results: Sequence[Any]) -> CheckResult:
    """Verdict tally, or the claims whose computed verdict differs from the ledger."""
    if not results:
        return CheckResult("audit", "failed", "no claims were audited")
    disagree = [r for r in results if not r.agrees]
    if disagree:
        lines = [f"{r.claim.id}: computed {r.outcome.verdict}, recorded {r.claim.expected}"
                 + (f" -- {r.outcome.reason}" if getattr(r.outcome, "reason", "") else "")
                 for r in disagree]
        return CheckResult("audit", "failed",
                           f"{len(disagree)} of {len(results)} computed verdicts disagree "
                           "with the ledger (see `mlmath audit`):\n" + "\n".join(lines))
    tally = Counter(str(r.outcome.verdict) for r in results)
    return CheckResult("audit", "ok", f"{len(results)} claims, every computed verdict "
                       "matches the ledger: " + ", ".join(f"{n} {v}" for v, n in
                                                          sorted(tally.items())))


def _audit_through_cli() -> CheckResult:
    cli = _import_optional("mlmath.audit.cli")
    if cli is None:
        return CheckResult("audit", "not installed", "mlmath.audit has no cli module")
    parser = argparse.ArgumentParser(prog="mlmath audit")
    cli.add_arguments(parser)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = int(cli.run(parser.parse_args(["--format", "text"])))
    text = out.getvalue().rstrip()
    if code != 0:
        return CheckResult("audit", "failed", f"exit code {code}\n{text}")
    last = text.splitlines()[-1].strip() if text else ""
    return CheckResult("audit", "ok", last or "computed verdicts match the recorded ones")


#: The checks that run after the suite, by ``--skip`` name.
CHECKS: dict[str, Callable[[str], CheckResult]] = {
    "derivations": derivations_check,
    "audit": audit_check,
}

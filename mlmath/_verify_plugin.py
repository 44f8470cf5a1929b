"""pytest plugin behind ``mlmath verify``: one JSON record per test for the summary.

Loaded with ``-p mlmath._verify_plugin`` in the pytest process that ``mlmath
verify`` starts; it does nothing unless ``--mlmath-verify-report=PATH`` is given.

Where a record is built (the process that runs the test, an xdist worker or
not), it is attached to the test report as a ``user_properties`` entry, which
pytest-xdist serialises back to the controller.  Only the controller writes the
report file, so the summary is the same with and without ``-n``.

Examples are counted through Hypothesis's documented hook for wrapping a test
body: ``test.hypothesis.inner_test`` may be replaced before the test runs (it
is looked up at call time).  The wrapper counts calls of the body -- generated
examples, ``@example`` cases, shrinking and the final replay -- and is removed
after the test.  The wrapper is made with ``functools.wraps``, so its source and
signature (through ``__wrapped__``) are the test's: the derandomised seed and
the example-database key that Hypothesis derives from them do not change, and
``mlmath verify`` draws exactly the examples that plain pytest draws.  No
private Hypothesis state is read; if the handle is missing (a future
Hypothesis), the count is reported as unknown rather than guessed.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from mlmath._pytest_support import take_used_names

#: Key of the ``user_properties`` entry that carries a record.
RECORD_KEY = "mlmath-verify"
#: Labels of the note Hypothesis attaches to the error of a falsified property
#: ("Falsifying example: test_x(" up to 6.15x, "Failing test case: test_x(" later).
#: Any note of the form ``<Label>: <test name>(`` is also accepted, so a new
#: wording does not lose the counterexample.
FALSIFYING_LABELS = ("Falsifying example", "Falsifying explicit example", "Failing test case",
                     "Failing explicit example")
#: How much of a failure message a record keeps (the full text is in pytest's
#: output with ``-- --tb=short``): a few lines, each cut to a readable width.
MAX_MESSAGE_LINES = 8
MAX_LINE_CHARS = 300

#: Notes that give the values drawn with ``st.data()`` ("Draw 1 (x): 0").
DRAW_NOTE = re.compile(r"Draw \d+\b")
#: Names of meta-tests (tests that feed a broken implementation to a property).
META_TEST_NAME = re.compile(r"mutant|catch(es)?_")

_EXAMPLES = pytest.StashKey[int]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--mlmath-verify-report", default=None, metavar="PATH",
                     help="write per-test records for `mlmath verify` to PATH (JSON)")


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--mlmath-verify-report")
    if path and not hasattr(config, "workerinput"):  # controller (or no xdist) only
        config.pluginmanager.register(_Recorder(Path(path)), "mlmath-verify-recorder")


def _hypothesis_handle(item: pytest.Item) -> Any:
    """The ``.hypothesis`` handle of a ``@given`` test, or ``None``."""
    return getattr(getattr(item, "obj", None), "hypothesis", None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, None]:
    handle = _hypothesis_handle(item)
    inner = getattr(handle, "inner_test", None)
    if inner is None:
        yield
        return
    calls = [0]
    handle.inner_test = counting_wrapper(inner, calls)
    try:
        yield
    finally:
        handle.inner_test = inner
        item.stash[_EXAMPLES] = calls[0]


def statement_of(doc: str) -> str:
    """The first paragraph of a test's docstring on one line: the property it states."""
    return " ".join(doc.strip().split("\n\n", 1)[0].split())


def counting_wrapper(inner: Callable[..., Any], calls: list[int]) -> Callable[..., Any]:
    """``inner`` with ``calls[0]`` incremented on each call (same name, source, signature)."""
    @functools.wraps(inner)
    def counting(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return inner(*args, **kwargs)

    return counting


def kind_of(item: pytest.Item) -> str:
    """``property`` (a Hypothesis test), ``mutant`` (a meta-test), ``doctest`` or ``test``."""
    if type(item).__name__ == "DoctestItem":  # `pytest.DoctestItem` is not public in pytest 7
        return "doctest"
    if _hypothesis_handle(item) is not None:
        return "property"
    # Meta-tests are named ``test_<property>_catches_mutant``, ``..._catch_mutants``,
    # ``..._catches_a_wrong_gradient``: a name that mentions mutants or catching.
    name = getattr(item, "originalname", item.name)
    return "mutant" if META_TEST_NAME.search(name) else "test"


def _exception_tree(exc: BaseException) -> Iterator[BaseException]:
    yield exc
    for sub in getattr(exc, "exceptions", ()):  # ExceptionGroup of distinct failures
        yield from _exception_tree(sub)


def is_counterexample_note(note: object, test_name: str | None = None) -> bool:
    """Whether an exception note is Hypothesis's report of a (shrunk) failing input."""
    if not isinstance(note, str):
        return False
    if note.startswith(FALSIFYING_LABELS):
        return True
    return test_name is not None and re.match(
        rf"[A-Z][\w ]*: {re.escape(test_name)}\(", note) is not None


def failure_details(exc: BaseException, test_name: str | None = None
                    ) -> tuple[str, list[str]]:
    """The (truncated) error message and the counterexamples Hypothesis noted."""
    lines = f"{type(exc).__name__}: {exc}".splitlines()
    kept = [ln if len(ln) <= MAX_LINE_CHARS else ln[:MAX_LINE_CHARS] + " ..."
            for ln in lines[:MAX_MESSAGE_LINES]]
    if len(lines) > MAX_MESSAGE_LINES:
        kept.append(f"... ({len(lines) - MAX_MESSAGE_LINES} more lines)")
    message = "\n".join(kept)
    examples = []
    for e in _exception_tree(exc):
        notes = [n for n in getattr(e, "__notes__", ()) if isinstance(n, str)]
        for i, note in enumerate(notes):
            if is_counterexample_note(note, test_name):
                # Values drawn interactively (``st.data()``) follow as "Draw k: ..." notes.
                draws = itertools.takewhile(DRAW_NOTE.match, notes[i + 1:])
                examples.append("\n".join([note, *draws]))
    return message, examples


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    if not item.config.getoption("--mlmath-verify-report"):
        return
    report = outcome.get_result()
    record: dict[str, Any] = {"kind": kind_of(item)}
    if call.when == "setup":
        take_used_names()  # a fresh list for this test
        doc = getattr(getattr(item, "obj", None), "__doc__", None)
        if doc:
            record["statement"] = statement_of(doc)
    if call.when == "call":
        record["examples"] = item.stash.get(_EXAMPLES, None)
        record["uses"] = take_used_names()
    if report.skipped and isinstance(report.longrepr, tuple):
        record["skip_reason"] = str(report.longrepr[2]).removeprefix("Skipped: ")
    if report.failed and call.excinfo is not None:
        record["message"], record["falsifying"] = failure_details(
            call.excinfo.value, getattr(item, "originalname", None))
        crash = getattr(report.longrepr, "reprcrash", None)
        if crash is not None:
            record["location"] = f"{crash.path}:{crash.lineno}"
    # A new list: pytest shares ``item.user_properties`` between the phases' reports.
    report.user_properties = [*report.user_properties, (RECORD_KEY, json.dumps(record))]


class _Recorder:
    """Collects the records in the controller and writes them at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tests: dict[str, dict[str, Any]] = {}
        self.collect_errors: list[dict[str, str]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        entry = self.tests.setdefault(report.nodeid, {"outcome": "passed", "duration": 0.0})
        entry["duration"] += report.duration
        for key, value in report.user_properties:
            if key == RECORD_KEY and isinstance(value, str):
                entry.update({k: v for k, v in json.loads(value).items() if v is not None})
        if report.failed:
            entry["outcome"] = "failed" if report.when == "call" else "error"
        elif report.skipped and entry["outcome"] == "passed":
            entry["outcome"] = "skipped"

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collect_errors.append({"nodeid": report.nodeid, "text": report.longreprtext})
        elif report.skipped and report.nodeid:
            # A module-level skip (pytest.importorskip, pytestmark) skips the whole module;
            # pytest counts it as one skip, and so does the summary.
            self.tests.setdefault(report.nodeid, {"outcome": "skipped", "duration": 0.0,
                                                  "kind": "test"})

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        data = {"exitstatus": int(exitstatus), "tests": self.tests,
                "collect_errors": self.collect_errors}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        tmp.replace(self.path)


"""``mlmath check TARGET``: mlmath's property suite, accuracy corpus and bad-input matrix
run against SciPy, PyTorch, JAX or a user's own functions.

Usage::

    mlmath check TARGET [--format text|markdown|json] [--html FILE] [--profile P]
                        [-n N] [--only NAMES]

TARGET is ``scipy``, ``torch``, ``jax`` (mlmath's adapters), ``mlmath``, a
module path providing some of mlmath's names (``mypkg.ops``) or a TOML file of
``name = "package.module:function"`` lines (see :mod:`mlmath.adapters`).

For each function the target provides the report gives every applicable
property of the suite (its statement, outcome and Hypothesis's shrunk
counterexample), the worst error in eps per magnitude tier against 50-digit
mpmath references, the bad-input matrix, and -- where the target
differentiates automatically -- its gradient against mlmath's analytic
``*_grad``.  Functions the target lacks are "not provided", never failed.
The property suite runs in a pytest child process (the ``mlmath verify``
machinery: :mod:`mlmath._verify_plugin` records each test); the rest runs in
this process.  The exit code is 1 when a property is violated, else 0 (2 for a
usage error or a target that cannot be imported).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mlmath import _check_corpus as corpus
from mlmath._check_corpus import AccuracyResult, BadInputCell, GradientResult

__all__ = ["FunctionReport", "PropertyResult", "Report", "add_arguments", "build_report",
           "check_function", "run", "run_properties"]

#: Accuracy worse than this (eps, float64) is listed as a finding.
ACCURACY_FINDING_EPS = 16.0
#: Gradients further than this (eps, normwise) from mlmath's are listed as a finding.
GRADIENT_FINDING_EPS = 64.0
#: Bad-input outcomes that are findings (the others are errors).
SILENT = ("silent NaN", "silent accept")


@dataclass
class PropertyResult:
    """One property of the suite run against one function."""

    test: str  #: ``test_<module>.py::test_name`` (parametrisation included)
    statement: str  #: the property, from the test's docstring
    outcome: str  #: ``passed``, ``failed`` or ``skipped``
    detail: str = ""  #: failure message or skip reason
    counterexample: str = ""  #: Hypothesis's shrunk falsifying example
    examples: int | None = None
    uses: list[str] = field(default_factory=list)  #: the functions the test called


@dataclass
class FunctionReport:
    """Everything the check found for one of mlmath's names."""

    name: str
    provided: bool
    properties: list[PropertyResult] = field(default_factory=list)
    accuracy: AccuracyResult | None = None
    bad_input: list[BadInputCell] | None = None
    gradient: GradientResult | None = None

    @property
    def violations(self) -> list[PropertyResult]:
        return [p for p in self.properties if p.outcome == "failed"]

    def findings(self) -> list[str]:
        """Accuracy, bad-input and gradient observations worth a reader's attention."""
        out = []
        if self.accuracy is not None:
            for tier in self.accuracy.tiers:
                if tier.worst_eps > ACCURACY_FINDING_EPS:
                    out.append(f"accuracy: {_eps(tier.worst_eps)} eps at "
                               f"{self.accuracy.magnitude} = {tier.worst_at:.3g}")
        for cell in self.bad_input or []:
            if cell.outcome in SILENT:
                out.append(f"bad input: {cell.case} in `{cell.argument}` -> {cell.outcome}")
        if self.gradient is not None and self.gradient.worst_eps > GRADIENT_FINDING_EPS:
            out.append(f"gradient: {_eps(self.gradient.worst_eps)} eps from mlmath's")
        return out

    @property
    def verdict(self) -> str:
        if not self.provided:
            return "not provided"
        return "VIOLATION" if self.violations else "ok"


@dataclass
class Report:
    """The result of ``mlmath check`` (or :func:`mlmath.testing.check`)."""

    target: str
    profile: str
    versions: dict[str, str]
    functions: list[FunctionReport]
    unattributed: list[PropertyResult] = field(default_factory=list)

    @property
    def provided(self) -> list[FunctionReport]:
        return [f for f in self.functions if f.provided]

    @property
    def violations(self) -> list[tuple[str, PropertyResult]]:
        return [(f.name, p) for f in self.functions for p in f.violations]

    def function(self, name: str) -> FunctionReport:
        """The report of one function by its mlmath name."""
        for f in self.functions:
            if f.name == name:
                return f
        raise KeyError(f"`name`: {name!r} is not in this report")

    def to_dict(self) -> dict[str, Any]:
        return _finite(asdict(self))

    def to_json(self) -> str:
        """The report as JSON (infinite errors as the string ``"inf"``)."""
        return json.dumps(self.to_dict(), indent=1)

    def to_text(self) -> str:
        return _render(self, markdown=False)

    def to_markdown(self) -> str:
        return _render(self, markdown=True)

    def to_html(self) -> str:
        from mlmath._check_html import render_html

        return render_html(self)


def _finite(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def _eps(value: float) -> str:
    if math.isinf(value):
        return "inf"
    return f"{value:.2g}" if value < 100 else f"{value:.1e}"


# --------------------------------------------------------------------------- rendering

def _summary_rows(report: Report) -> list[list[str]]:
    rows = []
    for f in report.functions:
        if not f.provided:
            continue
        passed = sum(p.outcome == "passed" for p in f.properties)
        skipped = sum(p.outcome == "skipped" for p in f.properties)
        acc = "-" if f.accuracy is None else _eps(f.accuracy.worst_eps)
        if f.bad_input:
            counts = {o: sum(c.outcome == o for c in f.bad_input)
                      for o in ("clear error", "error", *SILENT)}
            bad = "/".join(str(counts[o]) for o in ("clear error", "error", *SILENT))
        else:
            bad = "-"
        grad = "-" if f.gradient is None else _eps(f.gradient.worst_eps)
        rows.append([f.name, str(passed), str(len(f.violations)), str(skipped), acc, bad, grad,
                     f.verdict])
    return rows


_HEAD = ["function", "passed", "failed", "skipped", "worst eps", "bad input", "grad eps",
         "verdict"]
_LEGEND = ("properties passed/failed/skipped; worst eps: worst relative error of the "
           "accuracy corpus (float64, vs 50-digit mpmath); bad input: clear error / "
           "error not naming the argument / silent NaN / silent accept; grad eps: autograd "
           "vs mlmath's analytic gradient")


def _table(rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(_HEAD) + " |", "|" + "---|" * len(_HEAD)]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    table = [_HEAD, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(_HEAD))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i in (0, 7) else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([line(_HEAD), "-" * len(line(_HEAD)), *map(line, rows)])


def _render(report: Report, *, markdown: bool) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in report.versions.items())
    title = f"mlmath check {report.target} (profile {report.profile}; {versions})"
    missing = [f.name for f in report.functions if not f.provided]
    out = [f"## {title}" if markdown else title, ""]
    out += [_table(_summary_rows(report), markdown), "", _LEGEND, ""]
    out.append(f"not provided ({len(missing)}): {', '.join(missing) or 'none'}")
    violations = report.violations
    out += ["", ("### " if markdown else "") + f"Violations ({len(violations)})"]
    for name, p in violations:
        out += ["", f"- [{name}] {p.test}: {p.statement}" if markdown
                else f"[{name}] {p.test}: {p.statement}"]
        message = p.detail.splitlines()[0] if p.detail else ""
        body = [message, *p.counterexample.splitlines()]
        if markdown:
            out += ["", "  ```", *("  " + b for b in body), "  ```"]
        else:
            out += ["    " + b for b in body]
    findings = [(f.name, x) for f in report.functions for x in f.findings()]
    out += ["", ("### " if markdown else "") + f"Findings ({len(findings)})", ""]
    out += [f"- [{name}] {x}" for name, x in findings]
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------- the engine

def _suite(modules: Sequence[str] | None, select: str | None) -> list[str]:
    """pytest arguments naming the property modules (default: all) and a ``-k`` filter."""
    paths = (["mlmath.properties"] if not modules else
             [f"mlmath.properties.{m.removesuffix('.py')}" for m in modules])
    return ["--pyargs", *paths, *(["-k", select] if select else [])]


def _property_command(target: str, report_path: Path, profile: str, workers: str,
                      modules: Sequence[str] | None = None, select: str | None = None
                      ) -> list[str]:
    from mlmath._verify import installed_root

    cmd = [sys.executable, "-m", "pytest", "-q", "--tb=no", "-p", "no:cacheprovider",
           "-p", "mlmath._verify_plugin", f"--mlmath-verify-report={report_path}",
           f"--hypothesis-profile=mlmath-{profile}", f"--mlmath-impl={target}",
           "--rootdir", str(installed_root()), "-c", os.devnull,
           "-W", "ignore::RuntimeWarning", *_suite(modules, select)]
    if str(workers) not in ("0", ""):
        cmd += ["-n", str(workers)]
    return cmd


def run_properties(target: str, *, profile: str = "ci", workers: str = "0",
                   only: Sequence[str] | None = None, modules: Sequence[str] | None = None,
                   select: str | None = None, quiet: bool = True
                   ) -> dict[str, dict[str, Any]]:
    """Run the property suite against ``target`` in a pytest child process.

    Returns the per-test records of :mod:`mlmath._verify_plugin` (outcome,
    message, counterexample, statement, names used).  ``only`` restricts the
    target to some names (the others are "not provided"), ``modules`` the
    suite to some of its modules (``test_information``, ...), ``select`` to
    the tests a pytest ``-k`` expression matches.
    """
    with tempfile.TemporaryDirectory(prefix="mlmath-check-") as tmp:
        path = Path(tmp) / "report.json"
        env = dict(os.environ)
        env["MLMATH_IMPL"] = target
        env["MLMATH_CHECK"] = "1"  # wrap and deselect even when the target is mlmath
        if only is not None:
            env["MLMATH_CHECK_ONLY"] = ",".join(only)
        with open(os.devnull, "w") as devnull:
            subprocess.call(_property_command(target, path, profile, workers, modules,
                                              select), cwd=tmp,
                            env=env, stdout=devnull if quiet else None,
                            stderr=devnull if quiet else None)
        if not path.exists():
            raise RuntimeError(f"mlmath check: the property suite did not run for {target!r}")
        return dict(json.loads(path.read_text(encoding="utf-8"))["tests"])


def run_properties_in_process(implementation: Any, *, profile: str = "ci",
                              modules: Sequence[str] | None = None, select: str | None = None
                              ) -> dict[str, dict[str, Any]]:
    """Run the property suite against an object in this process (for a function object)."""
    import pytest

    from mlmath._pytest_support import OVERRIDE
    from mlmath._verify import installed_root

    with tempfile.TemporaryDirectory(prefix="mlmath-check-") as tmp:
        path = Path(tmp) / "report.json"
        OVERRIDE["implementation"] = implementation
        args = ["-q", "--tb=no", "-p", "no:cacheprovider", "-p", "mlmath._verify_plugin",
                f"--mlmath-verify-report={path}", f"--hypothesis-profile=mlmath-{profile}",
                "--rootdir", str(installed_root()), "-c", os.devnull,
                "-W", "ignore::RuntimeWarning", "-p", "no:randomly", *_suite(modules, select)]
        try:
            with contextlib.redirect_stdout(open(os.devnull, "w")) as sink:
                try:
                    pytest.main(args)
                finally:
                    sink.close()
        finally:
            OVERRIDE.pop("implementation", None)
        return dict(json.loads(path.read_text(encoding="utf-8"))["tests"])


def _short(nodeid: str) -> str:
    return nodeid.split("properties/", 1)[-1]


def subject_of(test: str, uses: Sequence[str]) -> str | None:
    """The function a test is about: the mlmath name its name (or parameter) spells first.

    ``test_log_sigmoid_is_minus_softplus_of_minus_x`` is about ``log_sigmoid``
    (the earliest, then longest, name in it), ``test_base_change[js_divergence]``
    about ``js_divergence``; a name spelling none (``test_kl_nonnegative``) is
    about the first function it called.

    >>> subject_of("test_log_sigmoid_is_minus_softplus_of_minus_x", ["log_sigmoid"])
    'log_sigmoid'
    >>> subject_of("test_kl_nonnegative", ["kl_divergence", "entropy"])
    'kl_divergence'
    """
    import mlmath

    name = test.rsplit("::", 1)[-1].removeprefix("test_")
    hits = [(name.find(n), -len(n), n) for n in mlmath.__all__
            if n in name and _at_word(name, n)]
    if hits:
        return min(hits)[2]
    return uses[0] if uses else None


def _at_word(text: str, name: str) -> bool:
    """Whether ``name`` occurs in ``text`` between word boundaries (``_``, ``[``, ends)."""
    start = text.find(name)
    while start >= 0:
        end = start + len(name)
        before = start == 0 or not text[start - 1].isalnum()
        after = end == len(text) or text[end] in "_[]-"
        if before and after:
            return True
        start = text.find(name, start + 1)
    return False


def _attribute(records: dict[str, dict[str, Any]], provided: set[str]
               ) -> tuple[dict[str, list[PropertyResult]], list[PropertyResult]]:
    """Each test goes to the function it is about (see :func:`subject_of`).

    A test about a function the target does not provide is left out (it may
    still have called, and failed on, a function that is provided).
    """
    by_function: dict[str, list[PropertyResult]] = {}
    unattributed = []
    for nodeid, rec in records.items():
        uses = list(rec.get("uses", []))
        result = PropertyResult(
            test=_short(nodeid), statement=rec.get("statement", ""),
            outcome="failed" if rec.get("outcome") in ("failed", "error") else rec["outcome"],
            detail=rec.get("message", rec.get("skip_reason", "")),
            counterexample="\n".join(rec.get("falsifying", [])),
            examples=rec.get("examples"), uses=uses)
        primary = subject_of(nodeid, uses)
        if primary is None:
            unattributed.append(result)
        elif primary in provided:
            by_function.setdefault(primary, []).append(result)
    return by_function, unattributed


def _versions(target: str) -> dict[str, str]:
    from importlib import metadata

    dists = {"scipy": ["scipy"], "torch": ["torch"], "jax": ["jax", "optax"],
             "mlmath": ["mlmath"]}.get(target, [])
    out = {}
    # Hypothesis too: the counterexamples a report shows depend on its version
    for dist in ["numpy", "hypothesis", *dists]:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[dist] = metadata.version(dist)
    return out


def build_report(target: str, implementation: Any, records: dict[str, dict[str, Any]], *,
                 profile: str, only: Iterable[str] | None = None) -> Report:
    """Assemble the report: the property records plus the in-process checks."""
    import mlmath
    from mlmath.adapters import provided_names, target_label

    names = set(provided_names(implementation))
    if only is not None:
        names &= set(only)
    by_function, unattributed = _attribute(records, names)
    functions = []
    for name in mlmath.__all__:
        if name not in names:
            functions.append(FunctionReport(name, provided=False))
            continue
        fn = getattr(implementation, name)
        functions.append(FunctionReport(
            name, provided=True, properties=by_function.get(name, []),
            accuracy=corpus.accuracy(name, fn), bad_input=corpus.bad_input(name, fn),
            gradient=corpus.gradients(name, implementation)))
    return Report(target_label(target), profile, _versions(target), functions, unattributed)


def check_function(fn: Callable[..., Any], as_: str, *, profile: str = "ci",
                   modules: Sequence[str] | None = None, select: str | None = None) -> Report:
    """The report of one function under the mlmath name ``as_`` (in this process).

    ``modules`` and ``select`` restrict the suite as in :func:`run_properties`.
    """
    import types

    import mlmath

    if as_ not in mlmath.__all__:
        raise ValueError(f"`as_`: expected one of mlmath's public names, got {as_!r}")
    if not callable(fn):
        raise TypeError(f"`fn`: expected a callable, got {type(fn).__name__}")
    label = getattr(fn, "__qualname__", type(fn).__name__)
    implementation = types.ModuleType(label)
    setattr(implementation, as_, fn)
    records = run_properties_in_process(implementation, profile=profile, modules=modules,
                                        select=select)
    return build_report(f"{label} as {as_}", implementation, records, profile=profile)


# --------------------------------------------------------------------------- CLI

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``mlmath check`` (the parser is built by ``mlmath.cli``)."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = ("TARGET: scipy, torch, jax, mlmath, a module path (mypkg.ops) or a TOML "
                     "file of name = \"pkg.mod:func\" lines.\nexit code: 1 when a property "
                     "is violated, 0 otherwise, 2 when the target cannot be loaded.")
    parser.add_argument("target", metavar="TARGET", help="what to check (see below)")
    parser.add_argument("--format", choices=["text", "markdown", "json"], default="text",
                        help="report format on standard output (default: text)")
    parser.add_argument("--html", default=None, metavar="FILE",
                        help="also write a self-contained HTML page (plots need matplotlib)")
    parser.add_argument("--profile", choices=["dev", "ci", "thorough"], default="ci",
                        help="Hypothesis profile of the property suite (default: ci)")
    parser.add_argument("-n", "--workers", default="0", metavar="N",
                        help="pytest-xdist workers for the property suite (default: 0)")
    parser.add_argument("--only", default=None, metavar="NAMES",
                        help="comma-separated mlmath names to check (default: all provided)")
    parser.add_argument("--modules", default=None, metavar="MODULES",
                        help="comma-separated property modules to run, e.g. test_special "
                             "(default: the whole suite)")


def _names(text: str | None) -> list[str] | None:
    return None if text is None else [n.strip() for n in text.split(",") if n.strip()]


def run(args: argparse.Namespace) -> int:
    """Run the check and print the report; see the module docstring for the exit code."""
    from mlmath.adapters import load

    try:
        implementation = load(args.target)
    except (ModuleNotFoundError, FileNotFoundError, ValueError, TypeError) as exc:
        print(f"mlmath check: cannot load {args.target!r}: {exc}", file=sys.stderr)
        return 2
    only = _names(args.only)
    records = run_properties(args.target, profile=args.profile, workers=args.workers,
                             only=only, modules=_names(getattr(args, "modules", None)))
    report = build_report(args.target, implementation, records, profile=args.profile,
                          only=only)
    text = {"text": report.to_text, "markdown": report.to_markdown,
            "json": report.to_json}[args.format]()
    print(text, end="" if text.endswith("\n") else "\n")
    if args.html:
        Path(args.html).write_text(report.to_html(), encoding="utf-8")
        print(f"mlmath check: wrote {args.html}", file=sys.stderr)
    return 1 if report.violations else 0

"""``mlmath audit``: print the claims audit; exit 1 when a verdict disagrees with the ledger.

Hypothesis is imported only when the audit runs, so ``mlmath --help`` works
without the test extra.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=["text", "markdown", "json"], default="text",
                        help="output format (default: text); markdown is CLAIMS.md")
    parser.add_argument("--thorough", action="store_true",
                        help="search with 2000 random examples per claim instead of the "
                             "derandomised CI budget (slower; output not reproducible)")
    parser.add_argument("--id", action="append", dest="ids", metavar="PREFIX",
                        help="only claims whose id starts with PREFIX (repeatable)")
    parser.add_argument("--write", metavar="PATH", help="write the report to PATH (atomically)")
    parser.add_argument("--check", metavar="PATH",
                        help="exit 1 if PATH differs from the report (drift check)")


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    os.replace(tmp, path)


def run(args: argparse.Namespace) -> int:
    try:
        from mlmath.audit import run_audit
        from mlmath.audit.report import render
    except ModuleNotFoundError as exc:  # pragma: no cover - without the test extra
        print(f"mlmath audit: needs {exc.name} (pip install 'mlmath[test]')", file=sys.stderr)
        return 2
    budget = "thorough" if args.thorough else "ci"
    results = run_audit(budget=budget, ids=args.ids)
    text = render(results, args.format, budget=budget)
    status = 0 if all(r.agrees for r in results) else 1
    if args.check:
        old = Path(args.check).read_text(encoding="utf-8") if Path(args.check).exists() else ""
        if old != text:
            sys.stdout.writelines(difflib.unified_diff(
                old.splitlines(True), text.splitlines(True), args.check, "regenerated"))
            return 1
        return status
    if args.write:
        _write_atomic(Path(args.write), text)
    else:
        sys.stdout.write(text)
    return status

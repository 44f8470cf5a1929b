"""``mlmath audit``: print the claims audit of the source articles.

Exit codes: 0 every computed verdict agrees with the ledger (and, with
``--check``, the file is up to date); 1 a disagreement, a drifted file or a
failed listing differential; 2 a usage error (e.g. an unknown ``--id``);
3 a missing optional dependency (Hypothesis: ``pip install "mlmath[audit]"``).

Hypothesis is imported only when the audit runs, so ``mlmath --help`` works
without the extra.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["EXIT_DISAGREE", "EXIT_MISSING", "EXIT_OK", "EXIT_USAGE", "add_arguments", "run"]

EXIT_OK, EXIT_DISAGREE, EXIT_USAGE, EXIT_MISSING = 0, 1, 2, 3

_SUFFIX_FORMAT = {".md": "markdown", ".json": "json", ".txt": "text"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The audit's options (see ``mlmath audit --help``)."""
    parser.add_argument(
        "--format",
        choices=["text", "markdown", "json"],
        default=None,
        help="output format (default: text, or the --write/--check file's "
        "suffix: .md markdown, .json json, .txt text)",
    )
    parser.add_argument(
        "--thorough",
        action="store_true",
        help="search afresh with 2000 random examples per search instead of "
        "the derandomised budget (slower; output not reproducible)",
    )
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="search for counterexamples again and rewrite the recorded ones "
        "(mlmath/audit/_recorded.py)",
    )
    parser.add_argument(
        "--id",
        action="append",
        dest="ids",
        metavar="PREFIX",
        help="only claims whose id starts with PREFIX (repeatable)",
    )
    parser.add_argument(
        "--articles",
        metavar="DIR",
        type=Path,
        help="a copy of the articles: run their code listings as printed, in "
        "a sandbox, against the ledger's re-implementations",
    )
    parser.add_argument("--write", metavar="PATH", help="write the report to PATH (atomically)")
    parser.add_argument(
        "--check",
        metavar="PATH",
        help="exit 1 if PATH differs from the report, compared in PATH's own "
        "format (by suffix), with a short diff summary",
    )
    parser.add_argument("--docs", action="append", metavar="FILE", default=[],
                        help="rewrite the generated figures block of FILE (docs/audit.md, "
                             "README.md) from this run (repeatable)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _progress(quiet: bool) -> Callable[[int, int, str], None] | None:
    """Per-claim progress on stderr when it is a terminal (count, elapsed seconds, id)."""
    if quiet or not sys.stderr.isatty():
        return None
    start = time.monotonic()

    def show(done: int, total: int, label: str) -> None:
        elapsed = time.monotonic() - start
        if done >= total:  # a phase after the claims (the listing runs)
            sys.stderr.write(f"{elapsed:5.1f}s running the articles' {label}\n")
        else:
            sys.stderr.write(f"\r\x1b[K[{done + 1}/{total}] {elapsed:5.1f}s {label}")
            if done + 1 == total:
                sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def _diff_summary(old: str, new: str, name: str) -> str:
    """A few lines: how many lines differ and the first changed hunks."""
    diff = list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), name, "regenerated", lineterm="", n=0
        )
    )
    changed = [d for d in diff if d[:1] in "+-" and not d.startswith(("+++", "---"))]
    head = [d[:160] for d in changed[:10]]
    more = f"\n... and {len(changed) - 10} more changed lines" if len(changed) > 10 else ""
    return (
        f"{name}: {sum(d.startswith('-') for d in changed)} line(s) removed, "
        f"{sum(d.startswith('+') for d in changed)} added; regenerate with "
        f"`mlmath audit --write {name}`\n" + "\n".join(head) + more + "\n"
    )


def run(args: argparse.Namespace) -> int:
    """Run the audit with parsed ``args``; returns the exit code."""
    if importlib.util.find_spec("hypothesis") is None:
        print('mlmath audit needs hypothesis: pip install "mlmath[audit]"', file=sys.stderr)
        return EXIT_MISSING
    from mlmath.audit._run import UnknownClaimError, run_audit
    from mlmath.audit.report import render

    target = args.check or args.write
    fmt = args.format or (
        _SUFFIX_FORMAT.get(Path(target).suffix.lower(), "text") if target else "text"
    )
    if args.articles is not None and not Path(args.articles).is_dir():
        print(f"mlmath audit: --articles {args.articles}: not a directory", file=sys.stderr)
        return EXIT_USAGE
    budget = "thorough" if args.thorough else "ci"
    try:
        results = run_audit(
            budget=budget,
            ids=args.ids,
            refresh=args.refresh,
            articles=args.articles,
            progress=_progress(args.quiet),
        )
    except UnknownClaimError as exc:
        print(
            f"mlmath audit: --id {exc.prefix}: no such claim"
            + (f"; did you mean {', '.join(exc.suggestions)}?" if exc.suggestions else ""),
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.refresh:
        from mlmath.audit._recorded_io import write_recorded

        path = write_recorded(None if args.ids is None else [r.claim.id for r in results])
        if not args.quiet:
            print(f"mlmath audit: rewrote {path}", file=sys.stderr)
    if args.docs:
        from mlmath.audit.report import figures, replace_block

        for name in args.docs:
            doc = Path(name)
            try:
                new = replace_block(doc.read_text(encoding="utf-8"), figures(results))
            except (OSError, ValueError) as exc:
                print(f"mlmath audit: --docs {name}: {exc}", file=sys.stderr)
                return EXIT_USAGE
            _write_atomic(doc, new)
    text = render(results, fmt)
    status = EXIT_OK if all(r.agrees for r in results) else EXIT_DISAGREE
    if args.check:
        path = Path(args.check)
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if old != text:
            sys.stdout.write(_diff_summary(old, text, args.check))
            return EXIT_DISAGREE
        return status
    if args.write:
        _write_atomic(Path(args.write), text)
    else:
        sys.stdout.write(text)
    return status

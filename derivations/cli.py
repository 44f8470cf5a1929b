"""``mlmath derive`` (and ``python -m mlmath.derivations``): regenerate or check the derivations.

``mlmath derive`` rewrites the generated files from the derivation code: into
``derivations/generated/`` of a source checkout, or into ``--out DIR`` (required
when mlmath is installed from a wheel: nothing is written into site-packages).
``mlmath derive --check`` writes a fresh copy into a temporary directory through
the same writer and compares it byte for byte with the committed files.  When
the committed files were written by another SymPy release, a textual difference
is then checked semantically (:func:`~mlmath.derivations._writer.compare_semantically`:
names, arguments, checks and 30-digit values at fixed points); if only the
printing differs, the check passes and says so.  Exit status 1 names every file
whose content differs (with a short diff).  :func:`check` is the hook
``mlmath verify`` calls.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ._paths import GENERATED_DIR, TOPICS

# The writer (and SymPy) are imported on first use: `mlmath --help` imports this module.

__all__ = ["add_arguments", "check", "in_checkout", "run"]


def in_checkout(directory: Path = GENERATED_DIR) -> bool:
    """Whether ``directory`` is ``derivations/generated/`` of a source checkout."""
    return (directory.parent.parent / "pyproject.toml").is_file()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``mlmath derive``."""
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 and name the files whose content differs "
                             "from a fresh derivation")
    parser.add_argument("--out", "--output", dest="output", type=Path, default=None,
                        metavar="DIR",
                        help="directory of the generated files (default: derivations/generated "
                             "of the source checkout; required for an installed mlmath, except "
                             "with --check, which then checks the installed files)")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress lines (they are shown only on a terminal anyway)")
    parser.add_argument("--topic", action="append", choices=TOPICS, default=None,
                        help="only these topics (repeatable; default: all; --check always "
                             "checks all)")


def render_all(topics: tuple[str, ...] = TOPICS) -> dict[str, str]:
    """Fresh text of every generated file (see :func:`derivations._writer.render_all`).

    On a terminal (standard error a TTY, no ``--quiet``), each topic is announced
    as it is derived, with the elapsed time, on one rewritten line.
    """
    from ._writer import render_all as render

    return render(topics, progress=_PROGRESS[0])


def _terminal_progress(start: float) -> Callable[[str, int, int], None]:
    def show(topic: str, i: int, n: int) -> None:
        end = "\n" if i == n - 1 else ""
        print(f"\rderiving {topic:<12} ({i + 1}/{n}, {time.perf_counter() - start:.0f} s)",
              end=end, file=sys.stderr, flush=True)
    return show


#: The progress reporter of the running command (None: silent, e.g. not a terminal).
_PROGRESS: list[Callable[[str, int, int], None] | None] = [None]


def _drift(directory: Path, files: dict[str, str]) -> tuple[list[str], str]:
    """(files whose content differs, a note on how they were compared)."""
    import sympy as sp

    from ._writer import committed_sympy_versions, compare_directory, compare_semantically

    drifted = compare_directory(directory, files)
    versions = committed_sympy_versions(directory)
    if not drifted or versions == {sp.__version__}:
        return drifted, ""
    semantic = set(compare_semantically(directory, files))
    differing = [name for name in drifted if name in semantic or not (directory / name).is_file()]
    note = (f"the committed files were written by SymPy {', '.join(sorted(versions))} and "
            f"SymPy {sp.__version__} is installed: {len(drifted)} file(s) differ in text, "
            "so they were compared by content (names, arguments, checks, 30-digit values "
            "at fixed points)")
    return differing, note


def check(directory: Path = GENERATED_DIR) -> list[str]:
    """Names of the generated files whose content drifted from a fresh derivation.

    Empty when clean, including when the files differ only in how another SymPy
    release prints the same expressions.
    """
    return _drift(directory, render_all())[0]


def run(args: argparse.Namespace) -> int:
    """Regenerate (or check); returns the exit status."""
    from ._writer import diff_file, write_all

    start = time.perf_counter()
    interactive = sys.stderr.isatty() and not getattr(args, "quiet", False)
    _PROGRESS[0] = _terminal_progress(start) if interactive else None
    if args.check:
        directory = args.output or GENERATED_DIR
        files = render_all()
        drifted, note = _drift(directory, files)
        elapsed = time.perf_counter() - start
        if note:
            print(f"mlmath derive --check: {note}")
        if not drifted:
            same = " in content (the text differs only by SymPy version)" if note else ""
            print(f"mlmath derive --check: {len(files)} files up to date{same} ({elapsed:.1f} s)")
            return 0
        print(f"mlmath derive --check: {len(drifted)} file(s) differ from a fresh derivation: "
              f"{', '.join(drifted)}")
        for name in drifted:
            print(diff_file(directory, files, name))
        print("run `mlmath derive` to regenerate")
        return 1
    if args.output is None:
        if not in_checkout():
            print("mlmath derive: this mlmath is installed, not a source checkout; "
                  "pass --out DIR to say where to write the generated files", file=sys.stderr)
            return 2
        args.output = GENERATED_DIR
    topics = tuple(args.topic) if args.topic else TOPICS
    files = render_all(topics)
    if topics != TOPICS:  # a partial run must not delete the other topics' files
        existing = {p.name: p.read_text(encoding="utf-8") for p in Path(args.output).glob("*")
                    if p.suffix in {".json", ".md"} and p.name not in files}
        files = {**existing, **files}
    changed = write_all(args.output, files)
    elapsed = time.perf_counter() - start
    print(f"mlmath derive: {len(files)} files in {args.output}, {len(changed)} changed "
          f"({elapsed:.1f} s, SymPy {_sympy_version()})")
    return 0


def _sympy_version() -> str:
    import sympy as sp

    return str(sp.__version__)

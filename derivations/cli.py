"""``mlmath derive`` (and ``python -m derivations``): regenerate or check the derivations.

``mlmath derive`` rewrites ``derivations/generated/`` from the derivation code;
``mlmath derive --check`` writes a fresh copy into a temporary directory through
the same writer, compares it byte for byte with the committed files, and exits
with status 1 naming every differing file (with a short diff).
:func:`check` is the hook ``mlmath verify`` calls.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from derivations._paths import GENERATED_DIR, TOPICS

# The writer (and SymPy) are imported on first use: `mlmath --help` imports this module.

__all__ = ["PINNED_SYMPY", "add_arguments", "check", "run"]

#: The SymPy release the committed files were generated with (pinned in pyproject.toml).
PINNED_SYMPY = "1.14.0"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``mlmath derive``."""
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 and name the files that differ from a "
                             "fresh derivation")
    parser.add_argument("--output", type=Path, default=GENERATED_DIR,
                        help="directory of the generated files (default: %(default)s)")
    parser.add_argument("--topic", action="append", choices=TOPICS, default=None,
                        help="only these topics (repeatable; default: all; --check always "
                             "checks all)")


def render_all(topics: tuple[str, ...] = TOPICS) -> dict[str, str]:
    """Fresh text of every generated file (see :func:`derivations._writer.render_all`)."""
    from derivations._writer import render_all as render

    return render(topics)


def check(directory: Path = GENERATED_DIR) -> list[str]:
    """Names of the generated files that drifted from a fresh derivation (empty when clean)."""
    from derivations._writer import compare_directory

    return compare_directory(directory, render_all())


def _version_note() -> str:
    import sympy as sp

    if sp.__version__ == PINNED_SYMPY:
        return ""
    return (f" (note: SymPy {sp.__version__} is installed but the files are generated with "
            f"the pinned {PINNED_SYMPY}; printing may differ between releases)")


def run(args: argparse.Namespace) -> int:
    """Regenerate (or check); returns the exit status."""
    from derivations._writer import compare_directory, diff_file, write_all

    start = time.perf_counter()
    if args.check:
        files = render_all()
        drifted = compare_directory(args.output, files)
        elapsed = time.perf_counter() - start
        if not drifted:
            print(f"mlmath derive --check: {len(files)} files up to date ({elapsed:.1f} s)")
            return 0
        print(f"mlmath derive --check: {len(drifted)} file(s) differ from a fresh derivation"
              f"{_version_note()}: {', '.join(drifted)}")
        for name in drifted:
            print(diff_file(args.output, files, name))
        print("run `mlmath derive` to regenerate")
        return 1
    topics = tuple(args.topic) if args.topic else TOPICS
    files = render_all(topics)
    if topics != TOPICS:  # a partial run must not delete the other topics' files
        existing = {p.name: p.read_text(encoding="utf-8") for p in Path(args.output).glob("*")
                    if p.suffix in {".json", ".md"} and p.name not in files}
        files = {**existing, **files}
    changed = write_all(args.output, files)
    elapsed = time.perf_counter() - start
    print(f"mlmath derive: {len(files)} files in {args.output}, {len(changed)} changed "
          f"({elapsed:.1f} s){_version_note()}")
    return 0

"""``mlmath verify``: run the property suite and the tests from a source checkout.

First version: runs pytest on ``properties/`` and ``tests/`` with the chosen
Hypothesis profile; exit code 0 only when everything passes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

__all__ = ["add_arguments", "run", "source_root"]


def source_root() -> Path:
    """The checkout that holds ``properties/`` and ``tests/`` next to ``mlmath/``."""
    root = Path(__file__).resolve().parent.parent
    if not (root / "properties").is_dir():
        raise SystemExit(
            "mlmath verify: the property suite ships with the source checkout; "
            f"no properties/ next to {root / 'mlmath'} (install with `pip install -e .`)"
        )
    return root


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", choices=["dev", "ci", "thorough"], default="ci",
                        help="Hypothesis profile (default: ci)")
    parser.add_argument("-n", "--workers", default="0",
                        help="parallel pytest-xdist workers (a number or 'auto'; default 0)")


def run(args: argparse.Namespace) -> int:
    root = source_root()
    cmd = [sys.executable, "-m", "pytest", "-q", f"--hypothesis-profile={args.profile}",
           "-p", "no:cacheprovider", str(root / "properties"), str(root / "tests")]
    if str(args.workers) != "0":
        cmd += ["-n", str(args.workers)]
    return subprocess.call(cmd, cwd=root)

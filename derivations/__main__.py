"""``python -m mlmath.derivations``: the same as ``mlmath derive``."""

from __future__ import annotations

import argparse
import sys

from .cli import add_arguments, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlmath.derivations",
                                     description="regenerate (or --check) the SymPy derivations")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

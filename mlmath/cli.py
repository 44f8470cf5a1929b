"""The mlmath command: verify, derive, audit and check.

Each subcommand lives in its own module and is imported only when used, so
``mlmath --help`` stays fast and a missing optional part fails only its own
subcommand.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

__all__ = ["main"]

#: subcommand -> (module providing ``add_arguments(parser)`` and ``run(args)``, help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "verify": ("mlmath._verify", "run the property suite, the tests, the derivation drift "
                                 "check and the claims audit, with a per-topic summary"),
    "derive": ("mlmath.derivations.cli", "regenerate (or --check) the SymPy derivations"),
    "audit": ("mlmath.audit.cli", "print the claims audit of the source articles"),
    "check": ("mlmath._check", "run the property suite, accuracy corpus and bad-input matrix "
                               "against scipy, torch, jax or your own functions"),
}


def build_parser() -> argparse.ArgumentParser:
    from mlmath import __version__

    parser = argparse.ArgumentParser(prog="mlmath", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"mlmath {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        try:
            importlib.import_module(module).add_arguments(p)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module.startswith(exc.name):
                raise
            p.set_defaults(_missing=exc.name)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mlmath`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    missing = getattr(args, "_missing", None)
    if missing is not None:
        print(f"mlmath {args.command}: not available in this installation ({missing} missing)")
        return 2
    module = importlib.import_module(SUBCOMMANDS[args.command][0])
    return int(module.run(args))

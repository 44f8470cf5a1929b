"""``python -m benchmarks [topic ...] [-- ARGS]``: run the topic benchmarks in one process.

Each topic is a module ``benchmarks/<topic>.py`` with
``main(argv: list[str] | None = None) -> None`` that prints Markdown tables of
ratios (mlmath / reference) measured in this run.  With no topic, every topic
runs, in alphabetical order, after one line describing the machine (so the
printed figures can be recorded with it).  ``ARGS`` after ``--`` go to each
topic's ``main``.  ``--list`` names the topics and exits.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from benchmarks._harness import machine_description


def topics() -> list[str]:
    """Names of the benchmark modules next to this file (private ones excluded)."""
    here = [str(Path(__file__).resolve().parent)]
    return sorted(m.name for m in pkgutil.iter_modules(here)
                  if not m.name.startswith("_") and not m.ispkg)


def build_parser(available: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0],
        epilog="topics: " + (", ".join(available) or "(none yet)"))
    parser.add_argument("topic", nargs="*", help="topics to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the topics and exit")
    parser.add_argument("--json", metavar="FILE", type=Path,
                        help="run the speed matrix and write its figures to FILE")
    parser.add_argument("--quick", action="store_true",
                        help="with --json: the smallest size of each kind only")
    parser.add_argument("--rounds", type=int, default=7, metavar="N",
                        help="with --json: interleaved rounds per case (default 7)")
    parser.add_argument("--tables", metavar="FILE", type=Path,
                        help="regenerate docs/speed.md and the README's speed block from FILE")
    return parser


def write_matrix(path: Path, *, quick: bool, rounds: int) -> None:
    from benchmarks import _matrix

    def progress(key: str) -> None:
        print(f"  {key}", file=sys.stderr, flush=True)

    data = _matrix.run(quick=quick, rounds=rounds, progress=progress)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {len(data['cases'])} cases to {path} ({data['duration_seconds']:.0f} s)")


def run_topic(topic: str, argv: list[str]) -> bool:
    """Import and run one topic's ``main``; False (with the traceback) if it raised."""
    print(f"\n## {topic}\n", flush=True)
    start = time.perf_counter()
    try:
        importlib.import_module(f"benchmarks.{topic}").main(argv)
    except SystemExit as exc:  # a topic's argparse rejecting the arguments after `--`
        if exc.code not in (0, None):
            print(f"\n{topic}: FAILED (exit {exc.code})", flush=True)
            return False
    except Exception:  # one broken topic must not hide the others' tables
        traceback.print_exc()
        print(f"\n{topic}: FAILED", flush=True)
        return False
    print(f"\n({topic}: {time.perf_counter() - start:.1f} s)", flush=True)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    passthrough: list[str] = []
    if "--" in args_in:
        cut = args_in.index("--")
        args_in, passthrough = args_in[:cut], args_in[cut + 1:]
    available = topics()
    parser = build_parser(available)
    args = parser.parse_args(args_in)
    if args.list:
        print("\n".join(available))
        return 0
    if args.json is not None:
        write_matrix(args.json, quick=args.quick, rounds=args.rounds)
        return 0
    if args.tables is not None:
        from benchmarks import _tables
        changed = _tables.write(args.tables)
        print("rewrote " + (", ".join(str(p) for p in changed) if changed else "nothing"))
        return 0
    unknown = [t for t in args.topic if t not in available]
    if unknown:
        parser.error(f"unknown topic(s) {', '.join(unknown)}; "
                     f"available: {', '.join(available) or '(none)'}")
    chosen = args.topic or available
    print(f"# mlmath benchmarks\n\nMachine: {machine_description()}", flush=True)
    if not chosen:
        print("\nno benchmark topics yet (add benchmarks/<topic>.py with a main(argv))")
    ok = [run_topic(topic, passthrough) for topic in chosen]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    raise SystemExit(main())

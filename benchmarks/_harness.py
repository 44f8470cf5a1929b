"""Shared benchmark machinery: best-of-N timing, optional PyTorch, ratio tables.

Benchmarks report *ratios* measured in one run (mlmath time / reference time),
which survive a slower or busier machine far better than absolute seconds.
Nothing here is used by the test suite: speed is never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["best_time", "describe_run", "machine_description", "markdown_table",
           "package_versions", "recorded_main", "replace_block", "rewrite_block",
           "run_conditions", "torch_or_none"]


def best_time(fn: Callable[[], Any], *, repeat: int = 5, min_seconds: float = 0.05) -> float:
    """Best wall time of one call of ``fn`` over ``repeat`` rounds (seconds).

    Each round calls ``fn`` enough times to last ``min_seconds`` so that timer
    resolution does not matter; the minimum over rounds is the least noisy
    estimate of the cost on an otherwise idle machine.
    """
    fn()  # warm-up: page faults, lazy imports, caches
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds or calls >= 1 << 20:
            break
        calls *= 2
    best = elapsed / calls
    for _ in range(repeat - 1):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def torch_or_none() -> Any:
    """The ``torch`` module if installed (CPU comparisons), else ``None``."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def machine_description() -> str:
    """One line naming the machine, NumPy and its BLAS, for recorded figures."""
    cores = os.cpu_count()
    return (f"{platform.machine()} {platform.processor() or ''} {cores} cores, "
            f"Python {platform.python_version()}, NumPy {np.__version__}").replace("  ", " ")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table; floats are printed with 3 significant digits."""
    def cell(x: Any) -> str:
        return f"{x:.3g}" if isinstance(x, float) else str(x)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)


def replace_block(text: str, begin: str, end: str, block: str, where: str) -> str:
    """``text`` with its generated block (from the ``begin`` marker to the ``end`` one,
    both included) replaced by ``block``, which holds both markers; ``where`` names
    ``text`` in the error when the markers are missing."""
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise ValueError(f"{where} has no block between {begin!r} and {end!r}")
    return pattern.sub(lambda _: block, text, count=1)


def rewrite_block(page: Path, begin: str, end: str, block: str) -> None:
    """:func:`replace_block` on the file ``page``."""
    text = page.read_text(encoding="utf-8")
    page.write_text(replace_block(text, begin, end, block, page.name), encoding="utf-8")


def run_conditions() -> dict[str, Any]:
    """When and where a recorded run starts: date (UTC), machine, Python, load average."""
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "python": platform.python_version(),
            "load_average": [round(v, 2) for v in os.getloadavg()]}


def package_versions(*optional: str) -> dict[str, str]:
    """mlmath's and NumPy's versions, then those of the ``optional`` packages installed."""
    import importlib.metadata as md

    import mlmath

    versions = {"mlmath": mlmath.__version__, "numpy": np.__version__}
    for name in optional:
        try:
            versions[name] = md.version(name.replace("_", "-"))
        except md.PackageNotFoundError:
            pass
    return versions


def describe_run(record: Mapping[str, Any]) -> str:
    """"Run of DATE: MACHINE, Python X, VERSIONS; load average ...; median of N
    interleaved rounds" for a record holding :func:`run_conditions`, ``versions`` and
    ``rounds``."""
    versions = ", ".join(f"{k} {v}" for k, v in record["versions"].items())
    load = ", ".join(map(str, record["load_average"]))
    return (f"Run of {record['date']}: {record['machine']}, Python {record['python']}, "
            f"{versions}; load average at the start {load}; median of {record['rounds']} "
            "interleaved rounds")


def recorded_main(argv: list[str] | None, *, prog: str, description: str, rounds: int,
                  record: Callable[[int], Mapping[str, Any]],
                  block: Callable[[Mapping[str, Any]], str], page: Path, begin: str,
                  end: str) -> None:
    """The command line of a recorded benchmark: ``--rounds N`` times it and prints its
    block, ``--json FILE`` also records the run, ``--tables FILE`` rewrites ``page``'s
    block from a recorded run without timing anything."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--rounds", type=int, default=rounds,
                        help="interleaved rounds (median)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="record the run in FILE")
    parser.add_argument("--tables", type=Path, metavar="FILE",
                        help=f"rewrite {page.parent.name}/{page.name}'s block from a "
                             "recorded run (no timing)")
    args = parser.parse_args(argv)
    if args.tables is not None:
        rewrite_block(page, begin, end, block(json.loads(args.tables.read_text("utf-8"))))
        return
    result = record(args.rounds)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(block(result))

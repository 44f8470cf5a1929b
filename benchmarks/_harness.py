"""Shared benchmark machinery: best-of-N timing, optional PyTorch, ratio tables.

Benchmarks report *ratios* measured in one run (mlmath time / reference time),
which survive a slower or busier machine far better than absolute seconds.
Nothing here is used by the test suite: speed is never asserted in tests.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["best_time", "machine_description", "markdown_table", "rewrite_block",
           "torch_or_none"]


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


def rewrite_block(page: Path, begin: str, end: str, text: str) -> None:
    """Replace the generated block of ``page`` (from the ``begin`` marker line to the
    ``end`` one, both included) by ``text``, which holds both markers."""
    old = page.read_text(encoding="utf-8")
    if begin not in old or end not in old:
        raise SystemExit(f"{page}: no generated block between {begin!r} and {end!r}")
    head, rest = old.split(begin, 1)
    page.write_text(head + text + rest.split(end, 1)[1], encoding="utf-8")

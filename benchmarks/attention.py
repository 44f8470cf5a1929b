"""Attention benchmark: speed ratios against the two matrix products and PyTorch, and
peak memory of the plain and blocked paths.

Run ``python -m benchmarks.attention`` (add ``--memory`` for the L = 16384 memory
table, ``--huge`` for the one-off L = 65536 blocked run).  Ratios are measured in
one run, so they survive a slower machine better than seconds; on a shared, busy
machine they still move by 10-20 %.

* floor = ``(q @ kᵀ) @ v``: the two matrix products any exact attention must do
  (no scaling, softmax or masking), on the same arrays.
* torch = ``torch.nn.functional.scaled_dot_product_attention`` on CPU (same threads).
* threads: one by default (``--threads``) for NumPy's BLAS (via ``threadpoolctl`` when
  installed, and ``OPENBLAS_NUM_THREADS`` etc. for subprocesses) and for torch: on a
  shared, oversubscribed machine a multithreaded BLAS measures lock contention
  (we saw 30x slowdowns of 512x64x512 products), not arithmetic.
* memory = peak resident set size (``VmHWM``, reset through ``/proc/self/clear_refs``
  just before the call; Linux only) of a fresh subprocess minus its resident size
  just before the call, and the peak traced by ``tracemalloc`` (NumPy reports its
  buffers to it), both in MiB.  Not ``ru_maxrss``: it survives ``fork``/``exec``
  and so starts at the *parent's* size (we saw 170-490 MiB of phantom peak).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from typing import Any

import numpy as np

from benchmarks._harness import machine_description, markdown_table, torch_or_none

__all__ = ["main", "measure_memory", "speed_rows"]

SPEED_SHAPES = [(8, 1024, 64), (1, 4096, 64)]
BLOCK = 512


def _inputs(shape: tuple[int, int, int], seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape, dtype=np.float32) for _ in range(3)]


def _interleaved_best(fns: dict[str, Any], rounds: int) -> dict[str, float]:
    """Best time of each function, timing them in turn within every round.

    On a shared machine the load changes from second to second; interleaving puts
    every candidate under the same load pattern, so the *ratios* stay meaningful
    where separate best-of-N loops (``_harness.best_time``) drifted by 3x.
    """
    for fn in fns.values():
        fn()  # warm-up
    best = dict.fromkeys(fns, float("inf"))
    names = list(fns)
    for r in range(rounds):
        for name in names[r % len(names):] + names[: r % len(names)]:
            start = time.perf_counter()
            fns[name]()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def _case_times(q: np.ndarray, k: np.ndarray, v: np.ndarray, causal: bool, torch: Any,
                repeat: int) -> dict[str, float]:
    """Best times (seconds) of the floor, both mlmath paths and torch on one case."""
    import mlmath as mm

    kt = np.ascontiguousarray(np.swapaxes(k, -1, -2))
    fns = {
        "floor": lambda: (q @ kt) @ v,
        "plain": lambda: mm.scaled_dot_product_attention(q, k, v, causal=causal),
        "blocked": lambda: mm.scaled_dot_product_attention(q, k, v, causal=causal,
                                                           block_size=BLOCK),
    }
    if torch is not None:
        tq, tk, tv = (torch.from_numpy(a) for a in (q, k, v))
        fns["torch"] = lambda: torch.nn.functional.scaled_dot_product_attention(
            tq, tk, tv, is_causal=causal)
    return _interleaved_best(fns, repeat)


def speed_rows(shapes: list[tuple[int, int, int]], repeat: int = 5) -> list[list[Any]]:
    """One row per (shape, causal): times relative to the floor, and to torch."""
    torch = torch_or_none()
    rows = []
    for shape in shapes:
        q, k, v = _inputs(shape)
        for causal in (False, True):
            t = _case_times(q, k, v, causal, torch, repeat)
            row: list[Any] = [str(shape), causal, f"{t['floor'] * 1e3:.1f}",
                              t["plain"] / t["floor"], t["blocked"] / t["floor"]]
            if "torch" in t:
                row += [t["torch"] / t["floor"], t["plain"] / t["torch"],
                        t["blocked"] / t["torch"]]
            else:
                row += ["-", "-", "-"]
            rows.append(row)
    return rows


_MEMORY_SNIPPET = """
import json, sys, time, tracemalloc
import numpy as np
import mlmath as mm
length, d, block, trace = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
grad = sys.argv[5] == "grad"
block = None if block == "none" else int(block)
def status_mib(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":")) / 1024
rng = np.random.default_rng(0)
q, k, v, g = (rng.standard_normal((length, d), dtype=np.float32) for _ in range(4))
def call(n):
    if grad:
        return mm.scaled_dot_product_attention_grad(q[:n], k[:n], v[:n], g[:n],
                                                    block_size=block)[0]
    return mm.scaled_dot_product_attention(q[:n], k[:n], v[:n], block_size=block)
call(64)  # warm-up
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current resident size
before = status_mib("VmRSS")
if trace:
    tracemalloc.start()
start = time.perf_counter()
out = call(length)
seconds = time.perf_counter() - start
traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
print(json.dumps({"extra_rss_mib": status_mib("VmHWM") - before, "traced_mib": traced,
                  "seconds": seconds, "finite": bool(np.isfinite(out).all())}))
"""


_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def measure_memory(length: int, d: int = 64, block: int | None = BLOCK,
                   threads: int = 1, trace: bool = False, grad: bool = False) -> dict[str, Any]:
    """Peak extra memory of one float32 head of length ``length`` in a fresh process
    (of the forward pass, or of the gradient when ``grad``).

    ``trace`` also reports tracemalloc's peak; it runs separately because tracing
    costs memory and time of its own, which would pollute the RSS figure.
    """
    env = {**os.environ, **dict.fromkeys(_THREAD_VARIABLES, str(threads))}
    result = subprocess.run(
        [sys.executable, "-c", _MEMORY_SNIPPET, str(length), str(d),
         "none" if block is None else str(block), "1" if trace else "0",
         "grad" if grad else "forward"],
        capture_output=True, text=True, check=True, env=env)
    return dict(json.loads(result.stdout))


def _memory_table(lengths: list[int], threads: int) -> str:
    rows = []
    for length in lengths:
        for grad in (False, True):
            for block in (None, BLOCK):
                if length > 16384 and (block is None or grad):
                    continue  # plain: the 16 GiB score matrix; grad: too slow to be useful
                m = measure_memory(length, block=block, threads=threads, grad=grad)
                traced = measure_memory(length, block=block, threads=threads, trace=True,
                                        grad=grad)
                path = "plain" if block is None else f"blocked {block}"
                rows.append([length, ("gradient, " if grad else "") + path,
                             f"{m['extra_rss_mib']:.0f}", f"{traced['traced_mib']:.0f}",
                             f"{length * length * 4 / 2**20:.0f}", f"{m['seconds']:.1f}",
                             m["finite"]])
    return markdown_table(["L", "path", "peak extra RSS MiB", "peak traced MiB",
                           "L×L float32 MiB", "seconds", "finite"], rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory", action="store_true",
                        help="also measure peak memory at L = 16384 (plain and blocked)")
    parser.add_argument("--huge", action="store_true",
                        help="also run the blocked path once at L = 65536 (minutes)")
    parser.add_argument("--repeat", type=int, default=9, help="timing rounds per case")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS and torch threads (default 1, see the module docstring)")
    args = parser.parse_args(argv)
    print(f"# attention benchmark ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})")
    print(f"{machine_description()}; {args.threads} BLAS/torch thread(s)")
    print()
    with _limited_threads(args.threads):
        rows = speed_rows(SPEED_SHAPES, repeat=args.repeat)
    print(markdown_table(
        ["shape (B, L, d) float32", "causal", "floor ms", "plain/floor", "blocked/floor",
         "torch/floor", "plain/torch", "blocked/torch"], rows))
    lengths = ([16384] if args.memory else []) + ([65536] if args.huge else [])
    if lengths:
        print()
        print(_memory_table(lengths, args.threads))


@contextlib.contextmanager
def _limited_threads(threads: int) -> Any:
    """Limit NumPy's BLAS (threadpoolctl, if installed) and torch to ``threads``."""
    torch = torch_or_none()
    if torch is not None:
        torch.set_num_threads(threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print(f"(threadpoolctl not installed: set OPENBLAS_NUM_THREADS={threads} yourself)")
        yield
        return
    with threadpool_limits(limits=threads):
        yield


if __name__ == "__main__":
    main()

"""Benchmark: softmax cross-entropy value and gradient, (8192, 32000) float32, labels.

Ratios mlmath / reference measured in one run (< 1 means mlmath is faster):
the references are a SciPy composition (``scipy.special.log_softmax`` /
``softmax`` with a gather) and PyTorch CPU (``F.cross_entropy``, and
forward + ``autograd.grad`` for the gradient) when installed.  "value +
gradient" is the sum of the two calls for mlmath and SciPy, and PyTorch's
gradient call (which runs the forward pass anyway).

    python -m benchmarks.losses [--rows 8192] [--classes 32000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import special as sps

import mlmath as mm
from benchmarks._harness import machine_description, markdown_table, torch_or_none

__all__ = ["main"]


def _scipy_value(x: np.ndarray, y: np.ndarray) -> Any:
    logp = sps.log_softmax(x, axis=-1)
    return -np.mean(np.take_along_axis(logp, y[:, None], axis=-1))


def _scipy_grad(x: np.ndarray, y: np.ndarray) -> Any:
    g = sps.softmax(x, axis=-1)
    g[np.arange(len(y)), y] -= 1
    g /= len(y)
    return g


def _torch_functions(torch: Any, x: np.ndarray, y: np.ndarray) -> dict[str, Callable[[], Any]]:
    f = torch.nn.functional
    tx = torch.from_numpy(x)
    ty = torch.from_numpy(y)
    leaf = tx.clone().requires_grad_(True)

    def value() -> Any:
        with torch.no_grad():
            return f.cross_entropy(tx, ty)

    def grad() -> Any:  # autograd needs the forward pass: this is value + gradient
        return torch.autograd.grad(f.cross_entropy(leaf, ty), leaf)[0]

    return {"value": value, "gradient": grad}


def _interleaved_best(candidates: dict[str, dict[str, Callable[[], Any]]],
                      repeat: int) -> dict[str, dict[str, float]]:
    """Best wall time of each call, measured round-robin.

    On a shared machine the load drifts over minutes; timing every candidate
    once per round (instead of all rounds of one candidate, then the next)
    exposes them all to the same load, so the ratios are far less biased.
    """
    for fns in candidates.values():  # warm-up: page faults, lazy imports
        for fn in fns.values():
            fn()
    best = {name: dict.fromkeys(fns, float("inf")) for name, fns in candidates.items()}
    for _ in range(repeat):
        for name, fns in candidates.items():
            for task, fn in fns.items():
                start = time.perf_counter()
                fn()
                best[name][task] = min(best[name][task], time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=8192)
    parser.add_argument("--classes", type=int, default=32000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.rows, args.classes), dtype=np.float32) * 3
    y = rng.integers(0, args.classes, size=args.rows)

    ours: dict[str, dict[str, Callable[[], Any]]] = {
        "mlmath": {"value": lambda: mm.softmax_cross_entropy(x, y),
                   "gradient": lambda: mm.softmax_cross_entropy_grad(x, y)},
        "mlmath (validate=False)": {
            "value": lambda: mm.softmax_cross_entropy(x, y, validate=False),
            "gradient": lambda: mm.softmax_cross_entropy_grad(x, y, validate=False)},
    }
    refs: dict[str, dict[str, Callable[[], Any]]] = {
        "SciPy": {"value": lambda: _scipy_value(x, y), "gradient": lambda: _scipy_grad(x, y)},
    }
    torch = torch_or_none()
    if torch is not None:
        refs[f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads)"] = \
            _torch_functions(torch, x, y)

    times = _interleaved_best({**ours, **refs}, args.repeat)
    for name, t in times.items():
        # PyTorch's gradient call already includes the forward pass
        t["value + gradient"] = t["gradient"] if name.startswith("PyTorch") \
            else t["value"] + t["gradient"]
    tasks = ["value", "gradient", "value + gradient"]
    header = ["task", *(f"{o} s" for o in ours), *(f"{r} s" for r in refs),
              *(f"{o} / {r}" for o in ours for r in refs)]
    rows = []
    for task in tasks:
        row: list[Any] = [task]
        row += [times[o][task] for o in ours]
        row += [times[r][task] for r in refs]
        row += [times[o][task] / times[r][task] for o in ours for r in refs]
        rows.append(row)
    print(f"softmax_cross_entropy, ({args.rows}, {args.classes}) float32, integer labels, "
          f"mean; best of {args.repeat} interleaved rounds")
    print(machine_description())
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()

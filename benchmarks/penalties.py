"""Benchmark: mlmath's proximal operators and penalties vs plain NumPy expressions.

The reference ("floor") is the shortest NumPy expression of the same closed
form, without validation, dtype rules or edge-case handling; the ratio
mlmath / floor is the price of those.  For the group lasso the floor knows the
groups are contiguous blocks of equal size (a reshape), while mlmath accepts
arbitrary integer labels (scattered with ``bincount`` / ``maximum.at``), so
that ratio measures the generality too.

Run ``python -m benchmarks.penalties [--sizes 1e6 1e7] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np

import mlmath as mm
from benchmarks._harness import best_time, machine_description, markdown_table

__all__ = ["cases", "main"]

T = 0.3
ALPHA, L1_RATIO = 0.5, 0.7
GROUP_SIZE = 10


def _soft(x: Any, tau: float) -> Any:
    return np.sign(x) * np.maximum(np.abs(x) - tau, 0)


def _block_soft(x: Any, t: float) -> Any:
    blocks = x.reshape(-1, GROUP_SIZE)
    norms = np.linalg.norm(blocks, axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.maximum(1 - t / norms, 0)
    return (blocks * factor).reshape(x.shape)


def cases(x: Any) -> list[tuple[str, Callable[[], Any], Callable[[], Any]]]:
    """(name, mlmath call, NumPy floor) for an input array ``x``."""
    groups = np.arange(x.size) // GROUP_SIZE
    lam1, lam2 = ALPHA * L1_RATIO, ALPHA * (1 - L1_RATIO)
    return [
        ("prox_l1", lambda: mm.prox_l1(x, T), lambda: _soft(x, T)),
        ("prox_l1 (validate=False)", lambda: mm.prox_l1(x, T, validate=False),
         lambda: _soft(x, T)),
        ("prox_squared_l2", lambda: mm.prox_squared_l2(x, T), lambda: x / (1 + 2 * T)),
        ("prox_elastic_net", lambda: mm.prox_elastic_net(x, T, alpha=ALPHA, l1_ratio=L1_RATIO),
         lambda: _soft(x, T * lam1) / (1 + T * lam2)),
        (f"prox_group_lasso (groups of {GROUP_SIZE})", lambda: mm.prox_group_lasso(x, T, groups),
         lambda: _block_soft(x, T)),
        ("l1", lambda: mm.l1(x), lambda: np.abs(x).sum()),
        ("squared_l2", lambda: mm.squared_l2(x), lambda: np.sum(x * x)),
        ("huber", lambda: mm.huber(x, 1.0),
         lambda: np.where(np.abs(x) <= 1, x * x / 2, np.abs(x) - 0.5).sum()),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1e6, 1e7])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    rows = []
    for size in args.sizes:
        x = rng.normal(size=int(size)).astype(args.dtype)
        for name, ours, floor in cases(x):
            t_ours = best_time(ours, repeat=args.repeat)
            t_floor = best_time(floor, repeat=args.repeat)
            rows.append([name, f"{int(size):.0e}", t_ours * 1e3, t_floor * 1e3,
                         t_ours / t_floor])
    print(f"Penalties, {args.dtype} ({machine_description()})\n")
    print(markdown_table(["operation", "n", "mlmath ms", "NumPy floor ms", "ratio"], rows))


if __name__ == "__main__":
    main()

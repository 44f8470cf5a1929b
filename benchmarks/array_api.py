"""Per-namespace timings: the same mlmath call on NumPy, array_api_strict, torch and jax arrays.

``python -m benchmarks array_api`` (or ``python -m benchmarks.array_api``)
times ``softmax`` of a (256, 32000) batch in float64 and float32 and
``scaled_dot_product_attention`` of (8, 512, 64) float32 q, k, v, on every
installed namespace.  Rounds are interleaved (one call per namespace per
round, in turn) so that a busy machine slows every namespace alike; the
figure is the median over rounds, in milliseconds, with the ratio to NumPy.
Functions computed on the host (see ``docs/array_api.md``) include the two
copies.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import mlmath
from benchmarks._harness import machine_description, markdown_table
from mlmath.adapters.namespace import available_namespaces, namespace_module

__all__ = ["main"]


def _cases(rng: np.random.Generator) -> dict[str, tuple[Callable[..., Any], list[np.ndarray]]]:
    logits = rng.normal(size=(256, 32000)) * 4.0
    q, k, v = (rng.normal(size=(8, 512, 64)).astype(np.float32) for _ in range(3))
    return {
        "softmax (256, 32000) float64": (mlmath.softmax, [logits]),
        "softmax (256, 32000) float32": (mlmath.softmax, [logits.astype(np.float32)]),
        "SDPA (8, 512, 64) float32": (mlmath.scaled_dot_product_attention, [q, k, v]),
    }


def _on(namespace: str, arrays: list[np.ndarray]) -> list[Any]:
    if namespace == "numpy":
        return arrays
    xp = namespace_module(namespace)
    return [xp.asarray(a.copy()) for a in arrays]


def _sync(result: Any) -> None:
    """Wait for asynchronous namespaces (jax dispatches lazily)."""
    block = getattr(result, "block_until_ready", None)
    if block is not None:
        block()


def measure(rounds: int) -> dict[str, dict[str, float]]:
    """Median seconds per call: ``{case: {namespace: seconds}}``."""
    rng = np.random.default_rng(0)
    namespaces = available_namespaces()
    figures: dict[str, dict[str, float]] = {}
    for case, (fn, arrays) in _cases(rng).items():
        inputs = {ns: _on(ns, arrays) for ns in namespaces}
        times: dict[str, list[float]] = {ns: [] for ns in namespaces}
        for ns in namespaces:  # warm-up: lazy imports, compilation, page faults
            _sync(fn(*inputs[ns]))
        for _ in range(rounds):
            for ns in namespaces:
                start = time.perf_counter()
                _sync(fn(*inputs[ns]))
                times[ns].append(time.perf_counter() - start)
        figures[case] = {ns: statistics.median(t) for ns, t in times.items()}
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks array_api",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (median)")
    args = parser.parse_args(argv)
    figures = measure(args.rounds)
    print(f"\n### mlmath per namespace (median of {args.rounds} interleaved rounds)\n")
    print(machine_description() + "\n")
    namespaces = list(next(iter(figures.values())))
    rows = []
    for case, per in figures.items():
        rows.append([case, *(f"{per[ns] * 1e3:.1f} ms ({per[ns] / per['numpy']:.2f}x)"
                             for ns in namespaces)])
    print(markdown_table(["case", *namespaces], rows))


if __name__ == "__main__":
    main()

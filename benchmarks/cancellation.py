"""The cost of ``logsumexp`` rows that cancel: ``python -m benchmarks.cancellation``.

The log-sum-exp of log-probabilities is about 0 and is recomputed in extended
precision (``special._log_sum_exp_compensated``; compiled on the numba backend).
This times, interleaved in one run, ``logsumexp(x, axis=-1)`` of ordinary rows
(standard normal ``x``) and of cancelling rows (``log_softmax`` of the same
``x``) on both backends, and prints the ratios the issue asks about: the
cancelling path against the ordinary path of the same backend and of the NumPy
reference backend.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from benchmarks._harness import best_time, markdown_table

SHAPES = ((256, 32000), (2048, 1000))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cancellation",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    import mlmath as mm
    from mlmath import _backend

    backends = ["numpy", *(["numba"] if _backend.numba_available() else [])]
    rng = np.random.default_rng(0)
    rows: list[list[Any]] = []
    for shape in SHAPES:
        x = rng.standard_normal(shape)
        cancelling = np.asarray(mm.log_softmax(x))
        best: dict[tuple[str, str], float] = {}
        for _ in range(args.rounds):  # interleaved: every candidate once per round
            for name in backends:
                with _backend.use(name):
                    for kind, arr in (("ordinary", x), ("cancelling", cancelling)):
                        t = best_time(lambda a=arr: mm.logsumexp(a, axis=-1), repeat=1)
                        best[name, kind] = min(best.get((name, kind), np.inf), t)
        reference = best["numpy", "ordinary"]
        for name in backends:
            own = best[name, "ordinary"]
            rows.append([str(shape), name, own * 1e3, best[name, "cancelling"] * 1e3,
                         best[name, "cancelling"] / own, best[name, "cancelling"] / reference])
    print(markdown_table(["shape", "backend", "ordinary ms", "cancelling ms",
                          "cancelling / ordinary", "cancelling / NumPy ordinary"], rows))


if __name__ == "__main__":
    main()

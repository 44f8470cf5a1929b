"""Benchmark of mlmath.special: speed ratios and an accuracy table.

Run from a source checkout: ``python -m benchmarks.special [--rows 2048 --cols 32000]``.

Speed: logsumexp / softmax / log_softmax along the last axis of a (rows, cols)
float32 and float64 array of N(0, 3^2) logits, timed best-of-N in one run, as
ratios mlmath / SciPy, mlmath / PyTorch CPU (when importable) and mlmath /
floor, where the floor is one ``np.add.reduce`` pass over the same array (the
memory-bound cost of reading it once).  "validation" is the share of the call
spent on checks: the median over rounds of t(validate=True) - t(validate=False)
(timed back to back) over the median of t(validate=True); it can come out
negative, which says the checks are lost in the noise.

Accuracy: worst relative error, in eps of the dtype, of mlmath, SciPy and
PyTorch against 50-digit mpmath references on the hard cases of
``tests/test_special.py`` (results in the subnormal range measured in units of
the subnormal spacing; NaN counts as inf).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.special as sc

import mlmath as mm
from benchmarks._harness import best_time, machine_description, markdown_table, torch_or_none

REDUCTIONS = ("logsumexp", "softmax", "log_softmax")


def _scipy_fn(name: str) -> Callable[[np.ndarray], Any]:
    return lambda x: getattr(sc, name)(x, axis=-1)


def _torch_fn(torch: Any, name: str) -> Callable[[np.ndarray], Any]:
    op = {"logsumexp": torch.logsumexp, "softmax": torch.softmax,
          "log_softmax": torch.log_softmax}[name]
    return lambda t: op(t, -1)


def _interleaved_times(fns: dict[str, Callable[[], Any]], repeat: int
                       ) -> dict[str, np.ndarray]:
    """Times of each function in ``repeat`` interleaved rounds (seconds).

    On a shared machine the load changes from second to second; timing every
    candidate once per round (rather than one candidate's rounds back to
    back) exposes all of them to the same conditions, so their ratios are
    meaningful even when absolute times are not.
    """
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            times[name].append(best_time(fn, repeat=1, min_seconds=0.0))
    return {name: np.array(t) for name, t in times.items()}


def speed_rows(rows: int, cols: int, repeat: int) -> list[list[Any]]:
    """One table row per (dtype, function): ms of mlmath and its ratios."""
    torch = torch_or_none()
    rng = np.random.default_rng(0)
    out = []
    for dtype in (np.float32, np.float64):
        x = (rng.standard_normal((rows, cols)) * 3).astype(dtype)
        tx = torch.from_numpy(x) if torch is not None else None
        for name in REDUCTIONS:
            fn, scipy_fn = getattr(mm, name), _scipy_fn(name)
            candidates: dict[str, Callable[[], Any]] = {
                "mlmath": lambda fn=fn, x=x: fn(x),
                "raw": lambda fn=fn, x=x: fn(x, validate=False),
                "scipy": lambda f=scipy_fn, x=x: f(x),
                "floor": lambda x=x: np.add.reduce(x, axis=-1),
            }
            if torch is not None:
                torch_fn = _torch_fn(torch, name)
                candidates["torch"] = lambda f=torch_fn, t=tx: f(t)
            times = _interleaved_times(candidates, repeat)
            t = {name: float(v.min()) for name, v in times.items()}
            row = [np.dtype(dtype).name, name, 1e3 * t["mlmath"], t["mlmath"] / t["scipy"]]
            if torch is not None:
                row.append(t["mlmath"] / t["torch"])
            # paired per round, median: the load cancels better than in two minima
            share = float(np.median(times["mlmath"] - times["raw"]) / np.median(times["mlmath"]))
            row += [t["mlmath"] / t["floor"], f"{share:+.0%}"]
            out.append(row)
    return out


# ----------------------------------------------------------------------------
# Accuracy on the hard cases.
# ----------------------------------------------------------------------------

def _libraries() -> dict[str, dict[str, Callable[[np.ndarray], Any]]]:
    """name -> {function name -> callable on a NumPy array, returning NumPy}."""
    libs: dict[str, dict[str, Callable[[np.ndarray], Any]]] = {
        "mlmath": {name: getattr(mm, name) for name in
                   (*REDUCTIONS, "sigmoid", "softplus", "log_sigmoid")},
        "scipy": {**{name: _scipy_fn(name) for name in REDUCTIONS},
                  "sigmoid": sc.expit, "log_sigmoid": sc.log_expit,
                  "softplus": lambda x: np.logaddexp(0, x)},  # SciPy has no softplus
    }
    torch = torch_or_none()
    if torch is not None:
        fnn = torch.nn.functional

        def wrap(op: Callable[[Any], Any]) -> Callable[[np.ndarray], Any]:
            return lambda x: op(torch.from_numpy(np.array(x))).numpy()

        libs["torch"] = {**{name: wrap(_torch_fn(torch, name)) for name in REDUCTIONS},
                         "sigmoid": wrap(torch.sigmoid), "log_sigmoid": wrap(fnn.logsigmoid),
                         "softplus": wrap(fnn.softplus)}
    return libs


def accuracy_rows(long: bool) -> tuple[list[str], list[list[Any]]]:
    """Worst error (eps) per (dtype, function) for each library on the hard cases."""
    from tests import _oracles as orc
    from tests.test_special import hard_rows, hard_scalars, long_row

    libs = _libraries()
    refs = {"logsumexp": orc.mp_logsumexp, "softmax": orc.mp_softmax,
            "log_softmax": orc.mp_log_softmax, "sigmoid": orc.mp_sigmoid,
            "softplus": orc.mp_softplus, "log_sigmoid": orc.mp_log_sigmoid}
    table = []
    for dtype in (np.float32, np.float64):
        cases: dict[str, list[np.ndarray]] = {name: hard_rows(dtype) for name in REDUCTIONS}
        if long:
            for name in REDUCTIONS:
                cases[name].append(long_row(dtype))
        for name in ("sigmoid", "softplus", "log_sigmoid"):
            cases[name] = [hard_scalars(dtype)]
        for name, inputs in cases.items():
            worst = dict.fromkeys(libs, 0.0)
            for x in inputs:
                expected = orc.overflow_to_inf(orc.mp_reference(refs[name], x), dtype)
                for lib, fns in libs.items():
                    with np.errstate(all="ignore"):
                        got = fns[name](x)
                    err = orc.errors_in_eps(np.broadcast_to(got, np.shape(expected)), expected,
                                            dtype=dtype, subnormal_floor=True)
                    worst[lib] = max(worst[lib], float(err.max(initial=0.0)))
            table.append([np.dtype(dtype).name, name, *worst.values()])
    return ["dtype", "function", *libs], table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.special", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2048)
    parser.add_argument("--cols", type=int, default=32000)
    parser.add_argument("--repeat", type=int, default=5, help="timing rounds (best is kept)")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--long", action="store_true",
                        help="add the 1e5-entry rows to the accuracy table (slow reference)")
    args = parser.parse_args(argv)
    if not args.skip_speed:
        header = ["dtype", "function", "mlmath ms", "/ SciPy"]
        if torch_or_none() is not None:
            header.append("/ PyTorch")
        header += ["/ floor", "validation"]
        print(f"Speed on ({args.rows}, {args.cols}), ratios < 1 mean mlmath is faster:\n")
        print(markdown_table(header, speed_rows(args.rows, args.cols, args.repeat)))
        print()
    if not args.skip_accuracy:
        header, rows = accuracy_rows(args.long)
        print("Worst relative error (eps of the dtype) on the hard cases:\n")
        print(markdown_table(header, rows))


if __name__ == "__main__":
    print(f"Machine: {machine_description()}\n")
    main()

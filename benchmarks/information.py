"""Benchmark of mlmath.information: speed on (4096, 4096) float64 and accuracy in eps.

Run: ``python -m benchmarks.information`` (``--quick`` for a smaller array).

Speed: ``entropy`` and ``kl_divergence`` over the rows of a (4096, 4096) float64
array, as ratios (mlmath time / reference time, < 1 means mlmath is faster) against
SciPy (``scipy.stats.entropy``; ``scipy.special.rel_entr`` / ``kl_div`` summed),
PyTorch CPU (when importable) and the floor (one ``np.add.reduce`` pass over the same
array).  mlmath is timed *with* validation; the validation share is the CPU time
1 - t(validate=False) / t(validate=True).

Accuracy: worst relative error in eps (vs mpmath at 50 digits) of mlmath, SciPy and
PyTorch on the hard cases of ``tests/test_information.py``.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import scipy.special as sc
import scipy.stats as st

import mlmath as mm
from benchmarks._harness import best_time, machine_description, markdown_table, torch_or_none

SHAPE = (4096, 4096)


def _inputs(shape: tuple[int, int], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.random(shape)
    p /= p.sum(-1, keepdims=True)
    q = rng.random(shape)
    q /= q.sum(-1, keepdims=True)
    return p, q


def _cpu_time(fn: Callable[[], Any] | None) -> float:
    """CPU seconds (all threads of this process) of one call of ``fn``."""
    assert fn is not None
    start = time.process_time()
    fn()
    return time.process_time() - start


def _speed_rows(p: np.ndarray, q: np.ndarray, repeat: int) -> list[list[Any]]:
    torch = torch_or_none()
    tp: Any = None
    tq: Any = None
    if torch is not None:
        tp, tq = torch.from_numpy(p), torch.from_numpy(q)
    cases: dict[str, dict[str, Callable[[], Any] | None]] = {
        "entropy": {
            "mlmath": lambda: mm.entropy(p),
            "mlmath (validate=False)": lambda: mm.entropy(p, validate=False),
            "scipy.stats.entropy": lambda: st.entropy(p, axis=-1),
            "torch": (lambda: -torch.special.xlogy(tp, tp).sum(-1)) if torch else None,
        },
        "kl_divergence": {
            "mlmath": lambda: mm.kl_divergence(p, q),
            "mlmath (validate=False)": lambda: mm.kl_divergence(p, q, validate=False),
            "scipy rel_entr().sum": lambda: sc.rel_entr(p, q).sum(-1),
            "scipy kl_div().sum": lambda: sc.kl_div(p, q).sum(-1),
            "torch": (lambda: torch.nn.functional.kl_div(
                tq.log(), tp, reduction="none").sum(-1)) if torch else None,
        },
    }
    floor = best_time(lambda: np.add.reduce(p, axis=-1), repeat=repeat)
    rows = []
    for name, fns in cases.items():
        times = {k: best_time(f, repeat=repeat) for k, f in fns.items() if f is not None}
        t = times["mlmath"]
        # Validation share from CPU time (time.process_time, all threads), which a busy
        # shared machine disturbs far less than wall time; best of alternating rounds.
        cpu = {True: math.inf, False: math.inf}
        for _ in range(repeat):
            for flag in (True, False):
                cpu[flag] = min(cpu[flag], _cpu_time(fns["mlmath" if flag else
                                                         "mlmath (validate=False)"]))
        share = max(0.0, 1 - cpu[False] / cpu[True])
        for ref, tr in times.items():
            if ref == "mlmath":
                continue
            rows.append([name, ref, 1e3 * t, 1e3 * tr, t / tr])
        rows.append([name, "floor: np.add.reduce", 1e3 * t, 1e3 * floor, t / floor])
        rows.append([name, f"validation share: {100 * share:.0f} % of CPU time", "", "", ""])
    return rows


# ------------------------------------------------------------------------ accuracy
def _hard_cases() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(2)
    p = rng.dirichlet(np.ones(6), size=15)
    logs = np.linspace(-15, -1, 15)
    q = p * (1 + 10.0 ** logs[:, None] * rng.uniform(-1, 1, p.shape))
    q /= q.sum(-1, keepdims=True)
    tiny_p = np.array([[1.0, 1e-300, 1e-200, 0.0, 1e-20, 0.0]])
    tiny_q = np.array([[1.0, 1e-299, 1e-250, 1e-300, 1e-20, 0.0]])
    long_p = rng.dirichlet(np.ones(10_000))[None]
    long_q = long_p * (1 + 1e-6 * rng.uniform(-1, 1, long_p.shape))
    return {"p ~ q (KL 1e-30 .. 1e-2)": (p, q / q.sum(-1, keepdims=True)),
            "masses 1e-300, zeros": (tiny_p, tiny_q),
            "1e4 entries, p ~ q": (long_p, long_q / long_q.sum())}


def _mp(fn: Callable[..., Any], *arrays: np.ndarray) -> np.ndarray:
    with mpmath.workdps(50):
        out = []
        for rows in zip(*arrays, strict=True):
            vals = [[mpmath.mpf(float(x)) for x in r] for r in rows]
            out.append(float(fn(*vals)))
    return np.array(out)


def _mp_entropy(p: list[Any]) -> Any:
    return mpmath.fsum(-a * mpmath.log(a) for a in p if a > 0)


def _mp_kl(p: list[Any], q: list[Any]) -> Any:
    return mpmath.fsum((a * mpmath.log(a / b) if a > 0 else 0) - a + b
                       for a, b in zip(p, q, strict=True))


def _worst_eps(got: Any, ref: np.ndarray) -> float:
    got = np.asarray(got, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.where(got == ref, 0.0, np.abs(got - ref) / np.abs(ref))
    return float(np.nan_to_num(err, nan=np.inf).max()) / np.finfo(np.float64).eps


def _accuracy_rows() -> list[list[Any]]:
    torch = torch_or_none()
    rows = []
    for label, (p, q) in _hard_cases().items():
        h_ref, kl_ref = _mp(_mp_entropy, p), _mp(_mp_kl, p, q)
        rows.append(["entropy", label, _worst_eps(mm.entropy(p), h_ref),
                     _worst_eps(st.entropy(p, axis=-1), h_ref),
                     _worst_eps(-torch.special.xlogy(*[torch.from_numpy(p)] * 2).sum(-1).numpy(),
                                h_ref) if torch else "n/a"])
        tkl: Any = "n/a"
        if torch:
            tp, tq = torch.from_numpy(p), torch.from_numpy(q)
            tkl = _worst_eps(torch.nn.functional.kl_div(tq.log(), tp, reduction="none")
                             .sum(-1).numpy(), kl_ref)
        rows.append(["kl_divergence", label, _worst_eps(mm.kl_divergence(p, q), kl_ref),
                     _worst_eps(sc.rel_entr(p, q).sum(-1), kl_ref), tkl])
    rows += _binary_and_mi_rows(torch)
    return rows


def _binary_and_mi_rows(torch: Any) -> list[list[Any]]:
    """binary_entropy for p in [1e-300, 1e-8]; I(X;Y) of near-independent tables."""
    x = np.logspace(-300, -8, 60)
    with mpmath.workdps(50):
        ref = np.array([float(-mpmath.mpf(a) * mpmath.log(a) - (1 - mpmath.mpf(a))
                              * mpmath.log1p(-mpmath.mpf(a))) for a in x])
    pairs = np.stack([x, 1 - x], axis=-1)
    tb: Any = "n/a"
    if torch:
        tx = torch.from_numpy(x)
        tb = _worst_eps((-torch.special.xlogy(tx, tx) - torch.special.xlogy(1 - tx, 1 - tx))
                        .numpy(), ref)
    rows = [["binary_entropy", "p in [1e-300, 1e-8]", _worst_eps(mm.binary_entropy(x), ref),
             _worst_eps(st.entropy(pairs, axis=-1), ref), tb]]
    rng = np.random.default_rng(6)
    got, sci, ref_mi = [], [], []
    for e in 10.0 ** np.arange(-15, -1):
        t = np.outer(rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(5)))
        t = t * (1 + e * rng.uniform(-1, 1, t.shape))
        t /= t.sum()
        got.append(mm.mutual_information(t))
        # The usual route: H(X) + H(Y) - H(X, Y).
        sci.append(st.entropy(t.sum(1)) + st.entropy(t.sum(0)) - st.entropy(t.ravel()))
        with mpmath.workdps(700):
            tm = [[mpmath.mpf(float(v)) for v in r] for r in t]
            px = [mpmath.fsum(r) for r in tm]
            py = [mpmath.fsum(c) for c in zip(*tm, strict=True)]
            ref_mi.append(float(mpmath.fsum(
                tm[i][j] * mpmath.log(tm[i][j] / (px[i] * py[j])) - tm[i][j] + px[i] * py[j]
                for i in range(4) for j in range(5))))
    rows.append(["mutual_information", "near-independent, I 1e-30 .. 1e-4",
                 _worst_eps(np.array(got), np.array(ref_mi)),
                 _worst_eps(np.array(sci), np.array(ref_mi)), "(no MI)"])
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="(1024, 1024), fewer repeats")
    args = parser.parse_args(argv)
    shape = (1024, 1024) if args.quick else SHAPE
    p, q = _inputs(shape)
    print(f"## information: speed on {shape} float64 ({machine_description()})\n")
    print("ratio = mlmath / reference (< 1: mlmath faster); mlmath includes validation\n")
    print(markdown_table(["function", "reference", "mlmath ms", "reference ms", "ratio"],
                         _speed_rows(p, q, repeat=3 if args.quick else 5)))
    print("\n## information: worst relative error in eps (float64) vs mpmath, 50 digits\n")
    print(markdown_table(["function", "hard case", "mlmath", "SciPy", "PyTorch"],
                         _accuracy_rows()))
    print("\n(SciPy's MI column is H(X) + H(Y) - H(X,Y) with scipy.stats.entropy; a KL of "
          "1e-30 returned as 1e-17 is ~5e28 eps.)")


if __name__ == "__main__":
    main()

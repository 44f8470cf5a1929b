"""What bounds the row reductions where mlmath is slower than PyTorch (one thread).

``python -m benchmarks.bounds``.

For softmax, log_softmax, logsumexp (float32 and float64) and the
cross-entropy's index-target loss, at one size, with **one thread** everywhere
(``mlmath._rows.limit_threads(1)``, ``torch.set_num_threads(1)``), in
nanoseconds per element, interleaved in one run:

* ``call``: the public mlmath call (numba backend);
* ``kernel``: the compiled row kernel alone (``_numba_kernels.run_rows``), so
  ``call - kernel`` is the Python, validation and layout overhead;
* ``exp pass``: the kernel's float64 exponential over the row alone (the
  ``exp(x - m)`` of every entry, before any sum);
* ``copy floor``: ``np.copyto`` of the input into an output of its dtype (every
  byte read and written once: what any implementation pays in memory traffic);
* ``torch``: PyTorch's call.

The kernels compute every term in float64 (float32 input is widened in
registers), so for float32 the exp pass runs at half PyTorch's SIMD width;
``exp pass / torch`` says how much of PyTorch's whole call that one pass costs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks._harness import best_time, markdown_table, torch_or_none

SHAPE = (256, 32000)


def _cases(torch: Any, dtype: type) -> list[tuple[str, dict[str, Callable[[], Any]]]]:
    import mlmath as mm
    from mlmath import _backend
    from mlmath import _numba_kernels as kernels

    rng = np.random.default_rng(0)
    x = (rng.standard_normal(SHAPE) * 3).astype(dtype)
    labels = rng.integers(0, SHAPE[1], SHAPE[0])
    m = x.max(axis=1).astype(np.float64)
    wide = dtype is np.float64
    out = np.empty_like(x)
    lse = np.empty((SHAPE[0], 1))
    e = np.empty(SHAPE[1])
    copy_out = np.empty_like(x)

    def exp_pass() -> None:
        for i in range(SHAPE[0]):
            if wide:
                kernels._exp_wide(x[i], m[i], e)
            else:
                kernels._exp_narrow(x[i], m[i], e, False)

    t = torch.from_numpy(x) if torch is not None else None
    y = torch.from_numpy(labels) if torch is not None else None
    common = {"exp pass": exp_pass, "copy floor": lambda: np.copyto(copy_out, x)}
    cases = [
        ("softmax", {"call": lambda: mm.softmax(x),
                     "kernel": lambda: kernels.run_rows(_backend.SOFTMAX, x, m, out, wide),
                     "torch": (lambda: torch.softmax(t, 1)) if t is not None else None}),
        ("log_softmax", {"call": lambda: mm.log_softmax(x),
                         "kernel": lambda: kernels.run_rows(_backend.LOG_SOFTMAX, x, m, out,
                                                            wide),
                         "torch": (lambda: torch.log_softmax(t, 1)) if t is not None else None}),
        ("logsumexp", {"call": lambda: mm.logsumexp(x, axis=-1),
                       "kernel": lambda: kernels.run_rows(_backend.LOGSUMEXP, x, m, lse, wide),
                       "torch": (lambda: torch.logsumexp(t, 1)) if t is not None else None}),
        ("softmax_cross_entropy", {
            "call": lambda: mm.softmax_cross_entropy(x, labels),
            "kernel": lambda: kernels.run_rows(_backend.LOG1P_REST, x, m, lse, wide),
            "torch": ((lambda: torch.nn.functional.cross_entropy(t, y)) if t is not None
                      else None)}),
    ]
    return [(name, {**calls, **common}) for name, calls in cases]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bounds",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    from mlmath import _backend, _rows

    if not _backend.numba_available():
        print("numba is not installed: nothing to measure (pip install \"mlmath[fast]\")")
        return
    torch = torch_or_none()
    if torch is not None:
        torch.set_num_threads(1)
    columns = ["call", "kernel", "exp pass", "copy floor", "torch"]
    rows = []
    elements = SHAPE[0] * SHAPE[1]
    with _backend.use("numba"), _rows.limit_threads(1):
        for dtype in (np.float32, np.float64):
            for name, calls in _cases(torch, dtype):
                ns = {c: (best_time(fn, repeat=args.repeat) / elements * 1e9 if fn else None)
                      for c, fn in calls.items()}
                row: list[Any] = [name, np.dtype(dtype).name]
                row += [f"{ns[c]:.2f}" if ns[c] is not None else "—" for c in columns]
                torch_ns = ns["torch"]
                row.append(f"{ns['call'] / torch_ns:.2f}" if torch_ns else "—")
                rows.append(row)
    print(f"One thread, {SHAPE} per call, ns per element; "
          f"torch {getattr(torch, '__version__', 'not installed')}")
    print(markdown_table(["function", "dtype", *columns, "call / torch"], rows))


if __name__ == "__main__":
    main()

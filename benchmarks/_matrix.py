"""The speed matrix: every benchmark of the speed issue, interleaved in one run, as JSON.

``python -m benchmarks --json FILE`` runs :func:`run` and writes its result;
``python -m benchmarks.tables FILE`` turns that file into the Markdown tables of
``docs/speed.md`` (generated; drift-checked by ``tests/test_benchmarks.py``).

Each case is one function on one input, timed against SciPy and PyTorch CPU (when
installed) in **interleaved rounds**: every round times each candidate once, in
turn, so that a change of load on a shared machine hits all of them alike; a case's
figure is the median over rounds, and the ratio mlmath / reference is formed from
those medians.  mlmath is timed with its default validation and its default backend (numba
when installed); when that is numba, the NumPy reference backend is timed in the
same rounds as the candidate ``mlmath-numpy``.  Candidates compute
the same quantity on the same array (PyTorch on a tensor sharing its memory); a
reference that does not offer the quantity is left out of that case.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy
import scipy.special as sc

import mlmath as mm
from benchmarks._harness import torch_or_none
from mlmath import _backend

__all__ = ["Case", "cases", "run"]

ROWS = (64, 256, 2048)
COLS = (1000, 32000)
DTYPES = ("float32", "float64")
SDPA_SHAPES = ((1, 2048, 64), (8, 512, 64), (1, 4096, 64))
SDPA_DTYPE = "float32"
TINY = "tiny"


@dataclass(frozen=True)
class Case:
    """One benchmark: a function on an input of ``shape`` and ``dtype``."""

    function: str
    shape: tuple[int, ...]
    dtype: str
    variant: str = ""  # "causal" for attention, "tiny" for the per-call overhead cases

    @property
    def key(self) -> str:
        dims = "x".join(map(str, self.shape))
        return f"{self.function}[{dims},{self.dtype}{',' + self.variant if self.variant else ''}]"


def cases(quick: bool = False) -> list[Case]:
    """The matrix of the speed issue (``quick``: the smallest size of each kind only)."""
    rows, cols = ((ROWS[0],), (COLS[0],)) if quick else (ROWS, COLS)
    out = [Case(f, (r, c), dt) for f in ("softmax", "log_softmax", "logsumexp")
           for dt in DTYPES for r in rows for c in cols]
    out += [Case(f, (r, c), "float64") for f in ("entropy", "kl_divergence")
            for r in rows for c in cols]
    out += [Case("softmax_cross_entropy", (r, c), dt) for dt in DTYPES
            for r in rows for c in cols]
    out += [Case("scaled_dot_product_attention", s, SDPA_DTYPE, v)
            for s in (SDPA_SHAPES[:1] if quick else SDPA_SHAPES) for v in ("", "causal")]
    out += [Case("softmax", (8, 10), "float64", TINY), Case("softplus", (), "float64", TINY),
            Case("softmax_cross_entropy", (1, 3), "float64", TINY)]
    return out


def _inputs(case: Case) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    dt = np.dtype(case.dtype)
    if case.function == "scaled_dot_product_attention":
        q, k, v = (rng.standard_normal(case.shape).astype(dt) for _ in range(3))
        return {"q": q, "k": k, "v": v}
    if case.function == "softplus":
        return {"x": np.float64(0.3)}
    x = (rng.standard_normal(case.shape) * 3).astype(dt)
    if case.function in ("entropy", "kl_divergence"):
        p = mm.softmax(x)
        return {"p": p, "q": mm.softmax(x[::-1].copy())}
    if case.function == "softmax_cross_entropy":
        return {"x": x, "y": rng.integers(0, case.shape[-1], case.shape[0])}
    return {"x": x}


def _mlmath(case: Case, a: dict[str, Any]) -> Callable[[], Any]:
    f = case.function
    if f == "scaled_dot_product_attention":
        causal = case.variant == "causal"
        return lambda: mm.scaled_dot_product_attention(a["q"], a["k"], a["v"], causal=causal)
    if f == "entropy":
        return lambda: mm.entropy(a["p"])
    if f == "kl_divergence":
        return lambda: mm.kl_divergence(a["p"], a["q"])
    if f == "softmax_cross_entropy":
        return lambda: mm.softmax_cross_entropy(a["x"], a["y"])
    fn = getattr(mm, f)
    return lambda: fn(a["x"])


def _scipy(case: Case, a: dict[str, Any]) -> Callable[[], Any] | None:
    f = case.function
    if f in ("softmax", "log_softmax", "logsumexp"):
        fn = getattr(sc, f)
        return lambda: fn(a["x"], axis=-1)
    if f == "softplus":  # SciPy's softplus (1.15 and later), else its stable form
        softplus = getattr(sc, "softplus", None)
        if softplus is not None:
            return lambda: softplus(a["x"])
        return lambda: np.logaddexp(0.0, a["x"])
    if f == "entropy":
        return lambda: sc.entr(a["p"]).sum(axis=-1)
    if f == "kl_divergence":
        return lambda: sc.rel_entr(a["p"], a["q"]).sum(axis=-1)
    if f == "softmax_cross_entropy":
        x, y = a["x"], a["y"]

        def ce() -> Any:
            logp = sc.log_softmax(x, axis=-1)
            return -np.take_along_axis(logp, y[:, None], axis=-1).mean()
        return ce
    return None


def _torch(torch: Any, case: Case, a: dict[str, Any]) -> Callable[[], Any] | None:
    f, nn = case.function, torch.nn.functional
    t = {k: torch.from_numpy(np.asarray(v)) for k, v in a.items()}
    if f == "scaled_dot_product_attention":
        causal = case.variant == "causal"
        return lambda: nn.scaled_dot_product_attention(t["q"], t["k"], t["v"], is_causal=causal)
    ops: dict[str, Callable[[], Any]] = {
        "softmax": lambda: torch.softmax(t["x"], -1),
        "log_softmax": lambda: torch.log_softmax(t["x"], -1),
        "logsumexp": lambda: torch.logsumexp(t["x"], -1),
        "softplus": lambda: nn.softplus(t["x"]),
        "entropy": lambda: torch.special.entr(t["p"]).sum(-1),
        "kl_divergence": lambda: nn.kl_div(t["q"].log(), t["p"], reduction="none").sum(-1),
        "softmax_cross_entropy": lambda: nn.cross_entropy(t["x"], t["y"]),
    }
    return ops.get(f)


#: The NumPy reference backend, timed beside the default one when that is numba
#: (``mlmath._backend``); a candidate, not a reference: no ratio is formed to it.
NUMPY_BACKEND = "mlmath-numpy"
_REFERENCES = ("scipy", "torch")


def _on_numpy_backend(fn: Callable[[], Any]) -> Callable[[], Any]:
    def call() -> Any:
        with _backend.use("numpy"):
            return fn()
    return call


def _candidates(case: Case, torch: Any) -> dict[str, Callable[[], Any]]:
    a = _inputs(case)
    found = {"mlmath": _mlmath(case, a), "scipy": _scipy(case, a),
             "torch": _torch(torch, case, a) if torch is not None else None}
    if _backend.active() != "numpy":
        found[NUMPY_BACKEND] = _on_numpy_backend(_mlmath(case, a))
    return {name: fn for name, fn in found.items() if fn is not None}


def _calls_per_timing(fn: Callable[[], Any], min_seconds: float) -> int:
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        if time.perf_counter() - start >= min_seconds or calls >= 1 << 16:
            return calls
        calls *= 2


def time_interleaved(fns: dict[str, Callable[[], Any]], rounds: int,
                     min_seconds: float = 0.02) -> dict[str, list[float]]:
    """Seconds per call of each candidate in each of ``rounds`` interleaved rounds."""
    calls = {name: _calls_per_timing(fn, min_seconds) for name, fn in fns.items()}
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            n = calls[name]
            start = time.perf_counter()
            for _ in range(n):
                fn()
            times[name].append((time.perf_counter() - start) / n)
    return times


def _numba_version() -> str | None:
    if not _backend.numba_available():
        return None
    import numba

    return str(numba.__version__)


def environment(torch: Any) -> dict[str, Any]:
    """The machine, the library versions and the thread counts of a run."""
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "versions": {"mlmath": mm.__version__, "numpy": np.__version__,
                     "scipy": scipy.__version__,
                     "torch": torch.__version__ if torch is not None else None,
                     "numba": _numba_version()},
        "backend": _backend.active(),
        "softplus_reference": ("scipy.special.softplus" if hasattr(sc, "softplus")
                               else "numpy.logaddexp(0, x)"),
        "threads": {"torch": torch.get_num_threads() if torch is not None else None,
                    "MLMATH_NUM_THREADS": os.environ.get("MLMATH_NUM_THREADS"),
                    "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS")},
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def measure(case_list: list[Case], rounds: int, torch: Any) -> Iterator[dict[str, Any]]:
    """One record per case: median seconds per candidate and the ratios to mlmath."""
    for case in case_list:
        times = time_interleaved(_candidates(case, torch), rounds)
        median = {name: statistics.median(t) for name, t in times.items()}
        yield {"key": case.key, "function": case.function, "shape": list(case.shape),
               "dtype": case.dtype, "variant": case.variant, "rounds": rounds,
               "median_seconds": median,
               "ratio": {ref: median["mlmath"] / median[ref] for ref in _REFERENCES
                         if ref in median},
               "numpy_backend_ratio": {ref: median[NUMPY_BACKEND] / median[ref]
                                       for ref in _REFERENCES
                                       if ref in median and NUMPY_BACKEND in median}}


def run(*, quick: bool = False, rounds: int = 7,
        progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the matrix; the JSON-ready result (environment, then one record per case)."""
    torch = torch_or_none()
    start = time.time()
    records = []
    for record in measure(cases(quick), rounds, torch):
        records.append(record)
        if progress is not None:
            progress(record["key"])
    return {"generated_by": "python -m benchmarks --json FILE",
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(start)),
            "duration_seconds": round(time.time() - start, 1),
            "environment": environment(torch), "quick": quick, "cases": records}

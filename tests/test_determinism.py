"""Determinism of the row scheduler (``mlmath._rows``): results are bit-identical
with mlmath's thread pool on and off, when called from 8 threads at once on shared
inputs, and inputs are never modified in place."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

import mlmath as mm
from mlmath import _rows

#: Large enough (> PARALLEL_MIN_ELEMENTS, several chunks) for the pool to be used.
SHAPE = (64, 20_000)


#: Below the NumPy path's threshold, above the compiled kernels' one (threaded there).
MEDIUM_SHAPE = (150, 1000)


def _inputs(dtype: type, shape: tuple[int, int] = SHAPE) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20261205)
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    p = rng.dirichlet(np.ones(shape[1]), size=shape[0]).astype(dtype)
    q = rng.dirichlet(np.ones(shape[1]), size=shape[0]).astype(dtype)
    labels = rng.integers(0, shape[1], shape[0])
    return {"x": x, "p": p, "q": q, "labels": labels}


CALLS = {
    "softmax": lambda d: mm.softmax(d["x"]),
    "log_softmax": lambda d: mm.log_softmax(d["x"]),
    "logsumexp": lambda d: mm.logsumexp(d["x"]),
    "entropy": lambda d: mm.entropy(d["p"]),
    "kl_divergence": lambda d: mm.kl_divergence(d["p"], d["q"]),
    "softmax_cross_entropy": lambda d: mm.softmax_cross_entropy(d["x"], d["labels"],
                                                                reduction="none"),
    "softmax_cross_entropy_grad": lambda d: mm.softmax_cross_entropy_grad(d["x"], d["labels"]),
}


def test_shapes_are_large_enough_for_the_pool() -> None:
    assert SHAPE[0] * SHAPE[1] >= _rows.PARALLEL_MIN_ELEMENTS
    medium = MEDIUM_SHAPE[0] * MEDIUM_SHAPE[1]
    assert _rows.COMPILED_PARALLEL_MIN_ELEMENTS <= medium < _rows.PARALLEL_MIN_ELEMENTS


@pytest.mark.usefixtures("mlmath_backend")  # once per installed backend (NumPy, numba)
@pytest.mark.parametrize("shape", [SHAPE, MEDIUM_SHAPE], ids=["large", "medium"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(CALLS))
def test_pool_on_and_off_and_8_threads_are_bit_identical(name: str, dtype: type,
                                                         shape: tuple[int, int]) -> None:
    data = _inputs(dtype, shape)
    copies = {k: a.copy() for k, a in data.items()}
    call = CALLS[name]
    with _rows.limit_threads(1):
        serial = call(data)
    threaded = call(data)
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(lambda _: call(data), range(8)))
    np.testing.assert_array_equal(threaded, serial, strict=True)
    for got in concurrent:
        np.testing.assert_array_equal(got, serial, strict=True)
    for k, a in data.items():  # inputs never modified in place
        np.testing.assert_array_equal(a, copies[k], strict=True)


def test_a_kernel_error_propagates_from_a_helper_thread() -> None:
    """The scheduler re-raises a kernel's exception whichever thread ran it."""
    def kernel(chunk: slice, _bufs: None) -> None:
        if chunk.start >= 32:
            raise RuntimeError(f"chunk {chunk.start}")

    with pytest.raises(RuntimeError, match="chunk"):
        _rows.for_each_chunk(64, 1 << 16, kernel, _rows.no_buffers, chunk_elements=1 << 16)


def test_chunks_cover_every_row_once() -> None:
    seen = np.zeros(1000, int)

    def kernel(chunk: slice, _bufs: None) -> None:
        seen[chunk] += 1

    _rows.for_each_chunk(1000, 5000, kernel, _rows.no_buffers, chunk_elements=1 << 14)
    np.testing.assert_array_equal(seen, 1)


def test_compiled_kernels_are_chunked_from_their_own_threshold() -> None:
    """A buffer-free (compiled) kernel: one call below the compiled threshold; above it,
    several chunks per thread (so a slowed thread's chunks go to the others), every
    row once; with one thread, one call."""
    def run(rows: int, n: int) -> tuple[list[slice], np.ndarray]:
        chunks: list[slice] = []
        seen = np.zeros(rows, int)

        def kernel(chunk: slice, _bufs: None) -> None:
            chunks.append(chunk)
            seen[chunk] += 1

        _rows.for_each_chunk_unbuffered(rows, n, kernel, chunk_elements=1 << 18)
        return chunks, seen

    small = _rows.COMPILED_PARALLEL_MIN_ELEMENTS // 100 - 1
    chunks, seen = run(small, 100)
    assert chunks == [slice(0, small)]
    with _rows.limit_threads(2):
        chunks, seen = run(150, 1000)
    assert len(chunks) >= 2 * 4 and np.all(seen == 1)
    with _rows.limit_threads(1):
        chunks, seen = run(150, 1000)
    assert chunks == [slice(0, 150)]


# ----------------------------------------------------------------------------
# Across thread counts: a fresh process with every thread pool at 1 thread
# (OpenMP, OpenBLAS, mlmath's) against one with the defaults.
# ----------------------------------------------------------------------------

#: Run in a subprocess: prints {name: sha256 of the result bytes} as JSON.
_HASH_SCRIPT = r"""
import hashlib, json
import numpy as np
import mlmath as mm
from mlmath import _rows

rng = np.random.default_rng(20261207)
out = {"threads": _rows.max_workers()}
for dt in (np.float32, np.float64):
    x = (rng.standard_normal((64, 20_000)) * 4).astype(dt)
    p = rng.dirichlet(np.ones(20_000), size=64).astype(dt)
    q = rng.dirichlet(np.ones(20_000), size=64).astype(dt)
    lp = np.asarray(mm.log_softmax(x))  # cancelling rows: the compensated logsumexp path
    labels = rng.integers(0, 20_000, 64)
    qa, ka, va = (rng.standard_normal((8, 512, 64)).astype(dt) for _ in range(3))
    results = {
        "softmax": mm.softmax(x), "log_softmax": lp, "logsumexp": mm.logsumexp(x),
        "logsumexp_cancelling": mm.logsumexp(lp),
        "entropy": mm.entropy(p), "kl_divergence": mm.kl_divergence(p, q),
        "softmax_cross_entropy": mm.softmax_cross_entropy(x, labels, reduction="none"),
        "softmax_cross_entropy_grad": mm.softmax_cross_entropy_grad(x, labels),
        "sdpa": mm.scaled_dot_product_attention(qa, ka, va),
        "sdpa_causal": mm.scaled_dot_product_attention(qa, ka, va, causal=True),
        "sdpa_blocked": mm.scaled_dot_product_attention(qa, ka, va, block_size=128),
        "attention_weights": mm.attention_weights(qa, ka),
    }
    for name, r in results.items():
        a = np.ascontiguousarray(r)
        out[f"{name}[{np.dtype(dt).name}]"] = hashlib.sha256(a.tobytes()).hexdigest()
print(json.dumps(out))
"""

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                     "MLMATH_NUM_THREADS")


def _hashes(single_thread: bool) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in _THREAD_VARIABLES}
    if single_thread:
        env.update(dict.fromkeys(_THREAD_VARIABLES, "1"))
    done = subprocess.run([sys.executable, "-c", _HASH_SCRIPT], env=env, check=True,
                          capture_output=True, text=True, timeout=600)
    return dict(json.loads(done.stdout))


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2 if hasattr(os, "sched_getaffinity")
                    else (os.cpu_count() or 1) < 2, reason="needs 2 cores to differ")
def test_results_are_bit_identical_across_thread_counts() -> None:
    """One thread everywhere (OMP/OpenBLAS/mlmath = 1) and the defaults give the same
    bits for the reductions, the losses and attention (plain, causal, blocked; the
    scores and weighted sums go through BLAS matmul)."""
    single, default = _hashes(True), _hashes(False)
    assert single.pop("threads") == 1
    assert default.pop("threads") >= 2, "the default run did not use the pool"
    differ = sorted(k for k in single if single[k] != default[k])
    assert not differ, f"results differ between 1 thread and the defaults: {differ}"

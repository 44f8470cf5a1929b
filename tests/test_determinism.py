"""Determinism of the row scheduler (``mlmath._rows``): results are bit-identical
with mlmath's thread pool on and off, when called from 8 threads at once on shared
inputs, and inputs are never modified in place."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import mlmath as mm
from mlmath import _rows

#: Large enough (> PARALLEL_MIN_ELEMENTS, several chunks) for the pool to be used.
SHAPE = (64, 20_000)


def _inputs(dtype: type) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20261205)
    x = (rng.standard_normal(SHAPE) * 4).astype(dtype)
    p = rng.dirichlet(np.ones(SHAPE[1]), size=SHAPE[0]).astype(dtype)
    q = rng.dirichlet(np.ones(SHAPE[1]), size=SHAPE[0]).astype(dtype)
    labels = rng.integers(0, SHAPE[1], SHAPE[0])
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


def test_shape_is_large_enough_for_the_pool() -> None:
    assert SHAPE[0] * SHAPE[1] >= _rows.PARALLEL_MIN_ELEMENTS


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(CALLS))
def test_pool_on_and_off_and_8_threads_are_bit_identical(name: str, dtype: type) -> None:
    data = _inputs(dtype)
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

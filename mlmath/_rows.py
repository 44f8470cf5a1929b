"""Row scheduling shared by the reductions of ``special``, ``information`` and ``losses``.

The one contract
----------------
A reduction lays its input out as a C-contiguous ``(rows, n)`` array (the
reduced axis last, where NumPy's pairwise summation applies: :func:`to_rows`)
and hands :func:`for_each_chunk` a *kernel* over a slice of rows::

    bufs = make_buffers(max_rows)     # once per worker thread
    kernel(chunk, bufs)               # for each chunk = slice(start, stop) of rows

The kernel reads rows ``chunk`` of its inputs and writes rows ``chunk`` of
outputs the caller preallocated; ``bufs`` are work buffers of ``max_rows``
rows that the kernel slices to ``chunk``'s length.  Kernels of different
chunks may run at the same time in different threads (NumPy ufuncs release
the GIL), so a kernel writes only its own rows and its own buffers.  Kernels
run with floating-point warnings ignored (``np.errstate(all="ignore")``):
the callers validate inputs and results themselves.

Determinism
-----------
Chunk boundaries depend only on ``(rows, n)`` and the caller's chunk size,
never on the number of threads, and each row is reduced by exactly one kernel
call; so results are bit-identical whether the chunks run in one thread or
in many, in whatever order.

Scheduling
----------
* Below ``PARALLEL_MIN_ELEMENTS`` elements (or with one chunk, or one usable
  core) every chunk runs in the calling thread: small and medium inputs pay
  no thread-pool overhead.
* Otherwise the calling thread and up to ``workers - 1`` helpers of a shared
  pool take chunks one at a time from a common counter (dynamic scheduling):
  a helper on a busy core simply takes fewer chunks.  The calling thread
  never waits for a helper that has not started (its task is cancelled), so
  a saturated pool -- another call in flight, or a nested call from inside a
  kernel -- cannot stall or deadlock a call; at worst the call runs serially.
* ``MLMATH_NUM_THREADS`` (read at each call) caps the number of threads;
  ``MLMATH_NUM_THREADS=1`` turns the pool off.  :func:`limit_threads` does
  the same for a block of code (used by the determinism tests).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import numpy as np

__all__ = [
    "PARALLEL_MIN_ELEMENTS",
    "for_each_chunk",
    "for_each_chunk_unbuffered",
    "limit_threads",
    "max_workers",
    "merge_axes",
    "no_buffers",
    "to_rows",
]

#: Below this many elements a call runs in the calling thread only: the pool's
#: hand-off costs tens of microseconds, more than it saves on inputs this small.
PARALLEL_MIN_ELEMENTS = 1 << 20
#: The same for the compiled kernels (:func:`for_each_chunk_unbuffered`): they run
#: several times faster per element than the NumPy path, but the hand-off
#: (about 12 us on the development machine) is repaid from a smaller size.
COMPILED_PARALLEL_MIN_ELEMENTS = 1 << 16
#: Chunks per thread for the compiled kernels below a full chunk per thread: a
#: thread that is slowed down (a busy core) leaves its remaining chunks to the others.
_COMPILED_CHUNKS_PER_THREAD = 4
#: Never more threads than this, whatever the machine (memory bandwidth is shared).
_MAX_THREADS = 8

B = TypeVar("B")

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_limit: int | None = None


def _usable_cores() -> int:
    """Cores this process may run on (the affinity mask, where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover - macOS, Windows


def max_workers() -> int:
    """Threads a large call may use: usable cores, capped by ``MLMATH_NUM_THREADS``
    and :func:`limit_threads` (at least 1, at most 8)."""
    n = min(_MAX_THREADS, _usable_cores())
    env = os.environ.get("MLMATH_NUM_THREADS", "")
    if env.strip().isdigit() and int(env) >= 1:
        n = min(n, int(env))
    if _limit is not None:
        n = min(n, _limit)
    return max(1, n)


@contextlib.contextmanager
def limit_threads(n: int) -> Iterator[None]:
    """Cap the threads of every call made inside the block (process-wide)."""
    global _limit
    previous, _limit = _limit, max(1, int(n))
    try:
        yield
    finally:
        _limit = previous


def _thread_pool() -> ThreadPoolExecutor:
    """The shared helper pool, created on first use."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_MAX_THREADS - 1,
                                       thread_name_prefix="mlmath-rows")
        return _pool


def to_rows(arr: np.ndarray, axis: int) -> tuple[np.ndarray, tuple[int, ...]]:
    """``arr`` as C-contiguous ``(rows, n)`` rows along ``axis``, and its moved shape.

    A view when ``axis`` is already the contiguous last axis (the usual case);
    otherwise one copy, so that every reduction runs along a contiguous axis
    (a strided reduction sums naively: 40 eps lost on 1e5 entries).
    ``moved_shape`` is ``arr.shape`` with ``axis`` moved last, to lay results
    back out.
    """
    moved = arr if axis == arr.ndim - 1 else np.moveaxis(arr, axis, -1)
    # explicit row count: reshape(-1, 0) is ambiguous for an empty last axis
    rows2d = np.ascontiguousarray(moved).reshape(math.prod(moved.shape[:-1]), moved.shape[-1])
    return rows2d, moved.shape


def merge_axes(arr: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """``arr`` with the (sorted, distinct) ``axes`` moved last and merged into one.

    A reduction over several axes (or ``axis=None``) is then a reduction over the
    last axis; the other axes keep their order as batch dimensions.
    """
    moved = np.moveaxis(arr, axes, range(-len(axes), 0))
    return moved.reshape(*moved.shape[:moved.ndim - len(axes)], -1)


def for_each_chunk(rows: int, n: int, kernel: Callable[[slice, B], None],
                   make_buffers: Callable[[int], B], *, chunk_elements: int) -> None:
    """Run ``kernel(chunk, bufs)`` over consecutive row chunks of ``rows`` rows of ``n``.

    Parameters
    ----------
    rows, n : int
        Shape of the ``(rows, n)`` problem.
    kernel : callable ``(chunk: slice, bufs) -> None``
        Processes rows ``chunk`` (see the module notes for what it may touch).
    make_buffers : callable ``(max_rows: int) -> bufs``
        Allocates one worker's work buffers, called once per participating
        thread: fresh 0.5-2 MiB buffers per chunk (above glibc's mmap
        threshold) would make every chunk pay for new pages.
    chunk_elements : int
        About how many elements a chunk holds (at least one row): small
        enough for a chunk's buffers to stay in cache.

    Raises
    ------
    Exception
        The first exception raised by a kernel (in chunk order among those
        that ran), after every running kernel has finished.
    """
    _schedule(rows, n, kernel, make_buffers, chunk_elements=chunk_elements,
              parallel_min=PARALLEL_MIN_ELEMENTS)


def _schedule(rows: int, n: int, kernel: Callable[[slice, B], None],
              make_buffers: Callable[[int], B], *, chunk_elements: int,
              parallel_min: int) -> None:
    """:func:`for_each_chunk`, threaded from ``parallel_min`` elements."""
    if rows == 0:
        return
    per_chunk = max(1, chunk_elements // max(n, 1))
    n_chunks = -(-rows // per_chunk)
    # (the size test first: max_workers() costs a system call)
    if rows * n < parallel_min or n_chunks < 2 or (workers := min(max_workers(),
                                                                   n_chunks)) < 2:
        bufs = make_buffers(min(per_chunk, rows))
        with np.errstate(all="ignore"):
            for start in range(0, rows, per_chunk):
                kernel(slice(start, min(start + per_chunk, rows)), bufs)
        return

    counter = itertools.count()
    counter_lock = threading.Lock()
    errors: dict[int, BaseException] = {}
    stop = threading.Event()

    def worker() -> None:
        bufs = make_buffers(per_chunk)
        with np.errstate(all="ignore"):
            while not stop.is_set():
                with counter_lock:
                    i = next(counter)
                if i >= n_chunks:
                    return
                start = i * per_chunk
                try:
                    kernel(slice(start, min(start + per_chunk, rows)), bufs)
                except BaseException as exc:  # re-raised by the calling thread
                    errors[i] = exc
                    stop.set()

    pool = _thread_pool()
    helpers: list[Future[None]] = [pool.submit(worker) for _ in range(workers - 1)]
    worker()
    for future in helpers:
        # A helper still queued (the pool busy elsewhere) finds nothing left to do:
        # cancel it rather than wait for it.
        if not future.cancel():
            future.result()
    if errors:
        raise errors[min(errors)]


def for_each_chunk_unbuffered(rows: int, n: int, kernel: Callable[[slice, None], None], *,
                              chunk_elements: int) -> None:
    """:func:`for_each_chunk` for kernels without work buffers (the compiled ones).

    Below ``COMPILED_PARALLEL_MIN_ELEMENTS`` (or with one thread) the kernel is
    called once on every row, in the calling thread and without
    ``np.errstate`` (such a kernel keeps no buffers in cache, and the per-call
    cost of the scheduler matters there); the caller sets the errstate its
    kernel needs.  Larger inputs are chunked, at least
    ``_COMPILED_CHUNKS_PER_THREAD`` chunks per thread (``chunk_elements`` is an
    upper bound), and scheduled as by :func:`for_each_chunk`.
    """
    total = rows * n
    if total < COMPILED_PARALLEL_MIN_ELEMENTS or rows < 2 or (workers := max_workers()) < 2:
        if rows:
            kernel(slice(0, rows), None)
        return
    balanced = max(n, total // (workers * _COMPILED_CHUNKS_PER_THREAD))
    _schedule(rows, n, kernel, no_buffers, chunk_elements=min(chunk_elements, balanced),
              parallel_min=COMPILED_PARALLEL_MIN_ELEMENTS)


def no_buffers(_max_rows: int) -> None:
    """``make_buffers`` for kernels that need no work buffers."""
    return None

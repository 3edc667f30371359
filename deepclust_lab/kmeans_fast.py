"""The fast path of :class:`deepclust_lab.kmeans.KMeans`, for data too large for the readable steps.

:mod:`deepclust_lab.kmeans` is the code notebook 02 teaches: one distance matrix for all
samples, then a one-hot matrix for the cluster sums, each a full pass over ``X``. The fast
path does one Lloyd iteration in a single pass, as scikit-learn's Cython loop does: a
compiled kernel (numba) takes ``X`` 256 rows at a time and, while they are in cache,
computes their scores ``||c||² - 2 x·c`` (small matrix products), each row's nearest centre,
and the clusters' sums and counts.

The labels are scikit-learn's to the last bit, so the centres and iteration counts are too.
Where a sample's two best scores are further apart than any rounding error (nearly always)
the fastest matrix product decides; where they are not (samples half-way between two
centres, common in data on a grid such as pixel values), the block is scored again with the
very BLAS call scikit-learn makes on the very same block.

The rows are cut into segments, each with its own partial sums, added up in segment order:
the result is the same on any number of threads. Threads take segments as they come, and
:func:`lloyd_steps` keeps them only if they beat one thread. Timings:
``benchmarks/kmeans_speed.py``, ``benchmarks/results/kmeans_speed.md``.

These functions trust their inputs; the estimator checks them first.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import scipy.sparse
from threadpoolctl import ThreadpoolController

__all__ = ["assign_labels_chunked", "block_threads", "cluster_sums_sparse", "count_distinct_rows",
           "inertia", "lloyd_pass", "lloyd_steps", "max_row_norm", "one_blas_thread"]

_BLOCK_ROWS = 256  # scikit-learn's CHUNK_SIZE: the same blocks give the same matrix products
# OpenBLAS multiplies matrices of up to 10**6 multiply-adds with faster kernels: the fast
# scores take blocks of up to 256 rows below this (measured best on 8, 50 and 784 features)
_SMALL_PRODUCT = 2**19
_MAX_SEGMENTS = 16  # per-segment partial sums: enough segments to share among threads
_SEGMENT_BYTES = 2**24  # ... but at most this much memory for them
_THREADS_MIN_WORK = 2**20  # multiply-adds: a smaller pass takes < 0.2 ms, a thread costs more


@functools.cache
def _threadpools() -> ThreadpoolController:
    return ThreadpoolController()


@functools.cache
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="kmeans")


def block_threads() -> int:
    """Threads the fast path may use: the BLAS thread count in force here (so
    ``threadpool_limits(1)`` means one), at most the number of CPUs."""
    blas = [pool["num_threads"] for pool in _threadpools().info() if pool["user_api"] == "blas"]
    return max(1, min([*blas, os.cpu_count() or 1]))


def one_blas_thread():
    """Context manager: matrix products use one BLAS thread inside it.

    Examples
    --------
    >>> import numpy as np
    >>> with one_blas_thread():
    ...     product = np.ones((3, 2)) @ np.ones((2, 4))
    >>> product.shape
    (3, 4)
    """
    return _threadpools().limit(limits=1, user_api="blas")


def _lloyd_segment(X, centers, minus_two_centers_t, centers_sq, margin, kind, block_rows,
                   fast_rows, start, stop, labels, sums, counts):  # fmt: skip
    """Compiled by :func:`_kernel`. Rows ``start:stop`` of ``X``, a block at a time: the nearest
    centre by the score ``||c||² - 2 x·c`` (ties to the lowest index), added to ``sums`` and
    ``counts``. The scores come from fast matrix products of ``fast_rows`` rows; if a row has
    two within ``margin`` of each other, more than the rounding errors of any summation order,
    the block's scores are made again as scikit-learn makes them, and its labels decided anew."""
    n_clusters, n_features = centers.shape
    scores = np.empty((block_rows, n_clusters), dtype=X.dtype)  # a row per sample
    by_center = np.empty((n_clusters, block_rows), dtype=X.dtype)  # a row per centre
    best, best_scores = np.empty(block_rows, dtype=np.intp), np.empty(block_rows, dtype=X.dtype)
    no_offset = np.zeros(n_clusters, dtype=X.dtype)
    minus_two, one, zero = np.full(1, -2.0, dtype=X.dtype), np.ones(1, dtype=X.dtype), no_offset[:1]
    for begin in range(start, stop, block_rows):
        block = X[begin : min(begin + block_rows, stop)]
        rows = block.shape[0]
        for sub in range(0, rows, fast_rows):  # scores = block · (-2 centersᵀ), as np.dot
            _xgemm(kind, ord("n"), ord("n"), n_clusters, min(fast_rows, rows - sub), n_features,
                   one.ctypes, minus_two_centers_t.ctypes, n_clusters, block[sub:].ctypes,
                   n_features, zero.ctypes, scores[sub:].ctypes, n_clusters)  # fmt: skip
        offset = centers_sq
        for exact in (False, True):
            if exact:  # rounding could decide a label: the scores as scikit-learn makes them,
                for i in range(rows):  # _gemm(RowMajor, NoTrans, Trans, -2, block, centers, 1)
                    for j in range(n_clusters):
                        scores[i, j] = centers_sq[j]
                _xgemm(kind, ord("t"), ord("n"), n_clusters, rows, n_features, minus_two.ctypes,
                       centers.ctypes, n_features, block.ctypes, n_features, one.ctypes,
                       scores.ctypes, n_clusters)  # fmt: skip
                offset = no_offset
            for j in range(n_clusters):  # transposed, so that the loops below run along samples
                for i in range(rows):
                    by_center[j, i] = scores[i, j] + offset[j]
            for i in range(rows):
                best[i], best_scores[i] = 0, by_center[0, i]
            in_doubt = False
            for j in range(1, n_clusters):
                for i in range(rows):
                    score = by_center[j, i]
                    # a score this close to the best so far: rounding could decide
                    in_doubt |= abs(score - best_scores[i]) <= margin
                    closer = score < best_scores[i]
                    best[i] = j if closer else best[i]
                    best_scores[i] = score if closer else best_scores[i]
            if not in_doubt:
                break
        for i in range(rows):
            nearest = best[i]  # a local: the compiler cannot tell that sums is not best
            labels[begin + i] = nearest
            counts[nearest] += 1
            for f in range(n_features):
                sums[nearest, f] += X[begin + i, f]


def _inertia_rows(X, centers, labels):
    """Compiled by :func:`_kernel`. ``sum ||x - c_label||²``, from the differences."""
    total = 0.0
    for i in range(X.shape[0]):
        row = 0.0
        for f in range(X.shape[1]):
            difference = X[i, f] - centers[labels[i], f]
            row += difference * difference
        total += row
    return total


def _cache_writable() -> bool:
    """Whether numba has a cache folder of the user's or the kit's that can be written
    (without one, numba would write next to the package's source)."""
    from numba.core.config import CACHE_DIR

    from deepclust_lab._cache import cannot_write

    return bool(CACHE_DIR) and cannot_write(Path(CACHE_DIR)) is None


_xgemm = None  # numba's bridge to SciPy's BLAS ?gemm (what its np.dot calls), set by _kernel


@functools.cache
def _kernel() -> tuple[Callable, Callable]:
    """:func:`_lloyd_segment` and :func:`_inertia_rows`, compiled on first use (numba keeps
    them in the kit's cache folder)."""
    global _xgemm
    import numba
    from numba import types
    from numba.np.linalg import ensure_blas

    ensure_blas()  # SciPy's BLAS is there
    pointer, size = types.voidptr, types.intp
    _xgemm = types.ExternalFunction("numba_xxgemm", types.intc(
        types.char, types.char, types.char, size, size, size, pointer, pointer, size, pointer,
        size, pointer, pointer, size))  # fmt: skip
    cache = _cache_writable()
    # the inertia's sums may be reordered (vectorised); the labels' arithmetic may not
    return (numba.njit(nogil=True, cache=cache)(_lloyd_segment),
            numba.njit(nogil=True, cache=cache, fastmath={"reassoc", "contract"})(_inertia_rows))


def _segments(n_samples: int, n_clusters: int, n_features: int, block_rows: int) -> np.ndarray:
    """Row boundaries of the segments, whole blocks each: a function of the shape only."""
    blocks = -(-n_samples // block_rows)
    by_memory = _SEGMENT_BYTES // (8 * n_clusters * n_features)
    count = max(1, min(_MAX_SEGMENTS, by_memory, blocks // 4))
    return np.minimum(np.linspace(0, blocks, count + 1).astype(np.intp) * block_rows, n_samples)


def _margin(X: np.ndarray, centers: np.ndarray, row_norm: float) -> float:
    """A bound on the difference between two roundings of one score: ``||c||² - 2 x·c`` is a
    sum of ``n_features + 1`` terms, which any order of summation gets right to
    ``γ = (n + 1)u / (1 - (n + 1)u)`` times the sum of their sizes (Higham, *Accuracy and
    Stability of Numerical Algorithms*, 2002, §3.1); twice that for two roundings, and twice
    again to spare."""
    unit, terms = np.finfo(X.dtype).eps / 2, X.shape[1] + 1
    center_norm = float(np.sqrt(np.einsum("ij,ij->i", centers, centers).max()))
    gamma = terms * unit / (1 - terms * unit)
    return 4 * gamma * center_norm * (center_norm + 2 * row_norm)


def max_row_norm(X: np.ndarray) -> float:
    """The largest ``||x||`` of the rows of ``X``, for :func:`lloyd_pass`."""
    return float(np.sqrt(np.einsum("ij,ij->i", X, X).max()))


def lloyd_pass(X: np.ndarray, centers: np.ndarray, threads: int = 1,
               row_norm: float | None = None) -> tuple[np.ndarray, ...]:
    """One pass over ``X``: each sample's nearest centre, and the clusters' sums and sizes.

    Parameters
    ----------
    X : C-contiguous ndarray of shape (n_samples, n_features)
    centers : ndarray of shape (n_clusters, n_features), same dtype as ``X``
    threads : int, default=1
        Threads to share the segments; the result does not depend on it.
    row_norm : float, optional
        :func:`max_row_norm` of ``X``, if known; it bounds the rounding errors.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Index of the nearest centre (ties go to the lowest index).
    sums : ndarray of shape (n_clusters, n_features)
        Sum of the samples of each cluster.
    counts : ndarray of shape (n_clusters,)

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [9.0, 0.0]])
    >>> labels, sums, counts = lloyd_pass(X, np.array([[0.0, 0.0], [10.0, 0.0]]))
    >>> labels, sums, counts
    (array([0, 0, 1]), array([[1., 0.],
           [9., 0.]]), array([2, 1]))
    """
    (n_samples, n_features), n_clusters = X.shape, centers.shape[0]
    rows = fast_rows = _BLOCK_ROWS
    while fast_rows > 8 and fast_rows * n_clusters * n_features > _SMALL_PRODUCT:
        fast_rows //= 2
    bounds = _segments(n_samples, n_clusters, n_features, rows)
    labels = np.empty(n_samples, dtype=np.intp)
    sums = np.zeros((len(bounds) - 1, n_clusters, n_features), dtype=X.dtype)
    counts = np.zeros((len(bounds) - 1, n_clusters), dtype=np.intp)
    centers = np.ascontiguousarray(centers)
    margin = _margin(X, centers, max_row_norm(X) if row_norm is None else row_norm)
    centers_sq = np.einsum("ij,ij->i", centers, centers)
    args = (centers, np.ascontiguousarray(-2.0 * centers.T), centers_sq, margin,
            ord("d" if X.itemsize == 8 else "s"), rows, fast_rows)  # fmt: skip
    kernel = _kernel()[0]

    def run(segments) -> None:
        for s in segments:  # a shared iterator: each thread takes the next segment
            kernel(X, *args, bounds[s], bounds[s + 1], labels, sums[s], counts[s])

    segments = iter(range(len(bounds) - 1))
    if n_samples * n_clusters * n_features < _THREADS_MIN_WORK:
        threads = 1
    helpers = [_executor().submit(run, segments) for _ in range(min(threads, len(bounds) - 1) - 1)]
    run(segments)
    for helper in helpers:
        helper.result()
    return labels, sums.sum(axis=0), counts.sum(axis=0)


def lloyd_steps(threads: int = 1) -> tuple[Callable, Callable]:
    """The ``(assign, cluster_sums)`` steps of :func:`deepclust_lab.kmeans._lloyd`, fused:
    ``assign`` runs :func:`lloyd_pass`, and ``cluster_sums`` hands over the sums it made on
    the way for those same labels (and adds them up afresh for any other labels).

    Whether threads pay depends on the machine and on what else runs on it, so the first two
    passes over an ``X`` take ``threads`` threads and one thread, and the rest the faster."""
    last: dict = {}

    def assign(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
        if last.get("X") is not X:  # the same X at every iteration: its norms once
            last.update(X=X, row_norm=max_row_norm(X), seconds={})
        seconds = last["seconds"]  # of one pass, by thread count
        untried = [count for count in dict.fromkeys([threads, 1]) if count not in seconds]
        count = untried[0] if untried else min(seconds, key=seconds.get)
        start = time.perf_counter()
        last["labels"], last["sums"], _ = lloyd_pass(np.ascontiguousarray(X), centers, count,
                                                     last["row_norm"])  # fmt: skip
        seconds.setdefault(count, time.perf_counter() - start)
        return last["labels"]

    def cluster_sums(X: np.ndarray, labels: np.ndarray, n_clusters: int) -> np.ndarray:
        if labels is last.get("labels"):
            return last["sums"]
        return cluster_sums_sparse(X, labels, n_clusters)

    return assign, cluster_sums


def assign_labels_chunked(X: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centre and squared distance to it, a block of rows at a time.

    The labels of :func:`deepclust_lab.kmeans.assign_labels`, from :func:`lloyd_pass`; the
    distances from the differences ``x - c`` (which the readable version gets from its scores).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [9.0, 0.0]])
    >>> labels, d2 = assign_labels_chunked(X, np.array([[0.0, 0.0], [10.0, 0.0]]))
    >>> labels, d2.round(6)
    (array([0, 0, 1]), array([0., 1., 1.]))
    """
    labels = lloyd_pass(np.ascontiguousarray(X), centers)[0]
    distances = np.empty(X.shape[0], dtype=X.dtype)
    step = max(1, 2**16 // X.shape[1])  # blocks of a few hundred kB
    for start in range(0, X.shape[0], step):
        rows = slice(start, start + step)
        differences = X[rows] - centers[labels[rows]]
        distances[rows] = np.einsum("ij,ij->i", differences, differences)
    return labels, distances


def inertia(X: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> float:
    """``sum ||x - c_label||²`` from the differences, as :func:`deepclust_lab.kmeans.inertia`,
    in one compiled pass over ``X`` (no temporary arrays).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 0.0]])
    >>> inertia(X, np.array([[1.0, 0.0], [10.0, 0.0]]), np.array([0, 0, 1]))
    2.0
    """
    return float(_kernel()[1](X, centers, labels))


def cluster_sums_sparse(X: np.ndarray, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """Sum of the samples of each cluster, shape (n_clusters, n_features), in one pass over
    ``X``: a *sparse* one-hot (n_samples, n_clusters) matrix, transposed, times ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 5.0]])
    >>> cluster_sums_sparse(X, np.array([0, 0, 2]), n_clusters=3)
    array([[4., 0.],
           [0., 0.],
           [0., 5.]])
    """
    n_samples = X.shape[0]
    one_hot = scipy.sparse.csr_array(
        (np.ones(n_samples, dtype=X.dtype), labels, np.arange(n_samples + 1)),
        shape=(n_samples, n_clusters),
    )
    return np.asarray(one_hot.T @ X)


def count_distinct_rows(X: np.ndarray, stop_at: int) -> int:
    """Number of distinct rows of ``X``, or any number ``>= stop_at`` once that many are seen.

    Rows are read in blocks, so with many distinct rows it stops within the first block; each
    row is compared as one string of bytes.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 1.0], [-0.0, 1.0], [2.0, 2.0]])  # -0.0 and 0.0 are equal
    >>> count_distinct_rows(X, stop_at=5)
    2
    """
    row_bytes = np.dtype((np.void, X.shape[1] * X.itemsize))
    seen, block = X[:0], max(256, 2 * stop_at)
    for start in range(0, X.shape[0], block):
        # "+ 0.0" turns -0.0 into 0.0, so that equal numbers are equal bytes
        seen = np.ascontiguousarray(np.concatenate([seen, X[start : start + block] + 0.0]))
        seen = seen[np.unique(seen.view(row_bytes).ravel(), return_index=True)[1]]
        if seen.shape[0] >= stop_at:
            break
    return seen.shape[0]

"""The fast path of :class:`deepclust_lab.kmeans.KMeans`, for data too large for the readable steps.

:mod:`deepclust_lab.kmeans` is the code notebook 02 teaches: one distance matrix for all
samples and a dense one-hot matrix for the cluster sums. On large data the estimator swaps
in the functions below. They compute the same things in the order of scikit-learn's Lloyd
loop, so the labels, centres and iteration counts stay those of ``sklearn.cluster.KMeans``:

* :func:`assign_labels_chunked` makes the distance matrix a block of samples at a time, so
  its memory stays bounded however many samples there are; :func:`nearest_centers` does
  the same for the labels alone (Lloyd's loop needs no distances), which saves a third;
* :func:`cluster_sums_sparse` adds up the samples of each cluster through a *sparse* one-hot
  matrix: one pass over ``X`` instead of a dense ``(n_clusters, n_samples)`` product;
* :func:`count_distinct_rows` stops counting once it has seen enough, instead of sorting
  all of ``X``, for the estimator's "enough distinct points?" check;
* :func:`one_blas_thread` runs the many small, thin matrix products on one BLAS thread, as
  scikit-learn does inside its K-means: extra BLAS threads cost more than they gain there.
  The blocks themselves pay off on several threads (NumPy releases the GIL), so
  :func:`nearest_centers` spreads them over :func:`block_threads` threads: as many as BLAS
  may use outside (one under ``threadpool_limits(1)``). Measured in
  ``benchmarks/kmeans_speed.py``.

These functions trust their inputs; the estimator checks them first.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse
from threadpoolctl import ThreadpoolController

__all__ = ["assign_labels_chunked", "block_threads", "cluster_sums_sparse", "count_distinct_rows",
           "nearest_centers", "one_blas_thread"]

# The (samples x clusters) distance matrix of one block never holds more than this many numbers.
_CHUNK_ELEMENTS = 2**16


@functools.cache
def _threadpools() -> ThreadpoolController:
    return ThreadpoolController()


@functools.cache
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="kmeans")


def block_threads() -> int:
    """Threads :func:`nearest_centers` may use: the BLAS thread count in force here (so
    ``threadpool_limits(1)`` means one), at most the number of CPUs."""
    blas = [pool["num_threads"] for pool in _threadpools().info() if pool["user_api"] == "blas"]
    return max(1, min([*blas, os.cpu_count() or 1]))


def one_blas_thread():
    """Context manager: NumPy's matrix products use one BLAS thread inside it.

    Examples
    --------
    >>> import numpy as np
    >>> with one_blas_thread():
    ...     product = np.ones((3, 2)) @ np.ones((2, 4))
    >>> product.shape
    (3, 4)
    """
    return _threadpools().limit(limits=1, user_api="blas")


def _chunks(n_samples: int, row_width: int) -> Iterator[slice]:
    """Slices that cut ``range(n_samples)`` into blocks of at most ~_CHUNK_ELEMENTS numbers."""
    step = max(1, _CHUNK_ELEMENTS // row_width)
    for start in range(0, n_samples, step):
        yield slice(start, min(start + step, n_samples))


def _scorer(centers: np.ndarray):
    """``block -> ||c||² - 2 x·c`` for every sample of a block and every centre: the squared
    distance less ``||x||²``, which is the same for every centre and so cannot change the
    nearest one."""
    centers_squared_norms = np.einsum("ij,ij->i", centers, centers)
    minus_two_centers_t = -2.0 * centers.T  # (n_features, n_clusters)

    def scores(block: np.ndarray) -> np.ndarray:
        out = block @ minus_two_centers_t  # (block, n_clusters): -2 x·c
        out += centers_squared_norms
        return out

    return scores


def assign_labels_chunked(X: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centre and squared distance to it, block by block (scikit-learn's order).

    Same result as :func:`deepclust_lab.kmeans.assign_labels`. For each block, the scores
    ``||c||² - 2 x·c`` are one matrix product; ``||x||²`` is the same for every centre, so
    it cannot change which one is nearest and is added to the winning score only.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    centers : ndarray of shape (n_clusters, n_features), same dtype as ``X``

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Index of the nearest centre (ties go to the lowest index).
    squared_distances : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [9.0, 0.0]])
    >>> labels, d2 = assign_labels_chunked(X, np.array([[0.0, 0.0], [10.0, 0.0]]))
    >>> labels, d2.round(6)
    (array([0, 0, 1]), array([0., 1., 1.]))
    """
    n_samples = X.shape[0]
    labels = np.empty(n_samples, dtype=np.intp)
    closest = np.empty(n_samples, dtype=X.dtype)
    score = _scorer(centers)
    for rows in _chunks(n_samples, centers.shape[0]):
        scores = score(X[rows])
        best = scores.argmin(axis=1)
        labels[rows] = best
        closest[rows] = scores[np.arange(best.size), best]
    closest += np.einsum("ij,ij->i", X, X)
    return labels, np.maximum(closest, 0.0, out=closest)  # rounding can dip below 0


def nearest_centers(X: np.ndarray, centers: np.ndarray, threads: int = 1) -> np.ndarray:
    """Index of the nearest centre of each sample, block by block: the labels of
    :func:`assign_labels_chunked` without computing the distances themselves. With
    ``threads > 1`` the blocks run on that many threads; each block's result is the same.

    Examples
    --------
    >>> import numpy as np
    >>> nearest_centers(np.array([[0.0], [4.0], [9.0]]), np.array([[1.0], [8.0]]))
    array([0, 0, 1])
    """
    labels = np.empty(X.shape[0], dtype=np.intp)
    score = _scorer(centers)

    def label(rows: slice) -> None:
        labels[rows] = score(X[rows]).argmin(axis=1)

    blocks = list(_chunks(X.shape[0], centers.shape[0]))
    if threads > 1 and len(blocks) > 1:
        list(_executor().map(label, blocks))
    else:
        for rows in blocks:
            label(rows)
    return labels


def cluster_sums_sparse(X: np.ndarray, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """Sum of the samples of each cluster, shape (n_clusters, n_features).

    ``one_hot`` is a sparse (n_samples, n_clusters) matrix with a single 1 per row, in the
    column of that sample's label; ``one_hot.T @ X`` adds up the rows of each cluster in
    sample order, in one pass over ``X``.

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

    Rows are read in blocks, so with many distinct rows it stops within the first block.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 1.0], [-0.0, 1.0], [2.0, 2.0]])  # -0.0 and 0.0 are equal
    >>> count_distinct_rows(X, stop_at=5)
    2
    """
    seen, block = X[:0], max(1024, 2 * stop_at)
    for start in range(0, X.shape[0], block):
        # "+ 0.0" turns -0.0 into 0.0, so that equal numbers are equal bytes
        seen = np.unique(np.concatenate([seen, X[start : start + block] + 0.0]), axis=0)
        if seen.shape[0] >= stop_at:
            break
    return seen.shape[0]

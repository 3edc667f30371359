"""K-means clustering from scratch, in NumPy.

K-means looks for ``k`` centres that make the *inertia* small: the sum, over all samples,
of the squared Euclidean distance from each sample to its nearest centre.

Lloyd's algorithm alternates two steps until nothing changes any more:

1. **assign** (E-step): give every sample the label of its nearest centre
   (:func:`assign_labels`);
2. **update** (M-step): move every centre to the mean of the samples that carry its label
   (:func:`update_centers`).

Neither step can increase the inertia, so the algorithm always stops, but only at a *local*
minimum that depends on where the centres started. That is why the start matters
(:func:`kmeans_plusplus` spreads the first centres out) and why :class:`KMeans` can restart
``n_init`` times and keep the best run.

The module is written to be read. It is still fast: every step works on whole arrays (no
Python loop over samples), distances come from one matrix product per chunk of samples,
and the estimator follows scikit-learn's Lloyd implementation step by step, so that from the
same initial centres it returns the same labels, centres and number of iterations.
"""

from __future__ import annotations

import functools
import warnings
from numbers import Integral
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import ThreadpoolController

from deepclust_lab._checks import (
    as_float_matrix,
    check_choice,
    check_float,
    check_int,
    check_n_clusters,
)

__all__ = [
    "KMeans",
    "KMeansStep",
    "assign_labels",
    "inertia",
    "kmeans_plusplus",
    "update_centers",
]

# Distances are computed for a block of samples at a time, so that the
# (samples x clusters) distance matrix never holds more than this many numbers.
_CHUNK_ELEMENTS = 2**16

Seed = int | np.random.Generator | np.random.RandomState | None


class KMeansStep(NamedTuple):
    """One snapshot of a K-means run, kept in :attr:`KMeans.history_`.

    Attributes
    ----------
    centers : ndarray of shape (n_clusters, n_features)
        The centres at this step.
    labels : ndarray of shape (n_samples,)
        The index of the nearest of these centres, for every training sample.
    inertia : float
        Sum of squared distances from the samples to the centres given by ``labels``.
    """

    centers: np.ndarray
    labels: np.ndarray
    inertia: float


@functools.cache
def _threadpools() -> ThreadpoolController:
    return ThreadpoolController()


def _one_blas_thread():
    """Context manager: NumPy's matrix products use one thread inside it.

    The estimator makes many small, thin matrix products (samples x features times
    features x clusters). Spreading each one over several BLAS threads gains little, and
    on a busy machine the threads' waiting can make K-means several times slower.
    scikit-learn runs its K-means loop with one BLAS thread for the same reason.
    """
    return _threadpools().limit(limits=1, user_api="blas")


# ---------------------------------------------------------------------------------------------
# Small private steps. They trust their inputs: the public functions below check them first.
# ---------------------------------------------------------------------------------------------


def _squared_norms(X: np.ndarray) -> np.ndarray:
    """``||x||²`` for every row of ``X``."""
    return np.einsum("ij,ij->i", X, X)


def _chunks(n_samples: int, row_width: int):
    """Slices that cut ``range(n_samples)`` into blocks of at most ~_CHUNK_ELEMENTS numbers."""
    step = max(1, _CHUNK_ELEMENTS // row_width)
    for start in range(0, n_samples, step):
        yield slice(start, min(start + step, n_samples))


def _assign_labels(
    X: np.ndarray, centers: np.ndarray, x_squared_norms: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """E-step: the nearest centre of every sample and the squared distance to it.

    Uses ``||x - c||² = ||x||² - 2 x·c + ||c||²``: the middle term for a whole block of
    samples is one matrix product. ``||x||²`` is the same for every centre, so it cannot
    change which centre is nearest; it is added only to the winning distance.
    """
    n_samples = X.shape[0]
    labels = np.empty(n_samples, dtype=np.intp)
    closest = np.empty(n_samples, dtype=X.dtype)
    centers_squared_norms = _squared_norms(centers)
    minus_two_centers_t = -2.0 * centers.T  # (n_features, n_clusters)
    for rows in _chunks(n_samples, centers.shape[0]):
        scores = X[rows] @ minus_two_centers_t  # (block, n_clusters): -2 x·c
        scores += centers_squared_norms  # now ||c||² - 2 x·c
        best = scores.argmin(axis=1)  # ties go to the lowest centre index
        labels[rows] = best
        closest[rows] = scores[np.arange(best.size), best]
    closest += x_squared_norms
    np.maximum(closest, 0.0, out=closest)  # rounding can push a zero distance below 0
    return labels, closest


def _distances_to_assigned(X: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Exact ``||x - c_label||²`` for every sample (block by block to bound memory)."""
    out = np.empty(X.shape[0], dtype=X.dtype)
    for rows in _chunks(X.shape[0], X.shape[1]):
        diff = X[rows] - centers[labels[rows]]
        out[rows] = _squared_norms(diff)
    return out


def _cluster_sums(X: np.ndarray, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """Sum of the samples of each cluster, shape (n_clusters, n_features).

    ``one_hot`` is a sparse (n_samples, n_clusters) matrix with a single 1 per row, in
    the column of that sample's label; ``one_hot.T @ X`` then adds up the rows of each
    cluster in one pass over ``X``.
    """
    n_samples = X.shape[0]
    one_hot = scipy.sparse.csr_array(
        (np.ones(n_samples, dtype=X.dtype), labels, np.arange(n_samples + 1)),
        shape=(n_samples, n_clusters),
    )
    return np.asarray(one_hot.T @ X)


def _update_centers(
    X: np.ndarray,
    labels: np.ndarray,
    n_clusters: int,
    previous_centers: np.ndarray | None = None,
) -> np.ndarray:
    """M-step: each centre moves to the mean of its samples; empty clusters are re-seeded.

    Empty-cluster rule (as scikit-learn): the empty clusters, in increasing index order,
    each take one of the samples that lie farthest from the centre they were assigned to
    (``previous_centers`` if given, else the new mean of their cluster), farthest first.
    The sample is taken out of its old cluster and becomes the new centre on its own.
    """
    sums = _cluster_sums(X, labels, n_clusters)
    counts = np.bincount(labels, minlength=n_clusters).astype(X.dtype)
    empty = np.flatnonzero(counts == 0)
    if previous_centers is None:  # the new means; an empty cluster starts at the data mean
        previous_centers = np.where(
            counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], X.mean(axis=0)
        )
    if empty.size > 0:
        distances = _distances_to_assigned(X, previous_centers, labels)
        if distances.max() > 0:  # else every sample already sits on its centre
            farthest = np.argsort(-distances, kind="stable")[: empty.size]
            for cluster, sample in zip(empty, farthest, strict=True):
                donor = labels[sample]
                sums[donor] -= X[sample]
                counts[donor] -= 1
                sums[cluster] = X[sample]
                counts[cluster] = 1
    centers = previous_centers.astype(X.dtype, copy=True)
    filled = counts > 0  # a cluster left empty (only in degenerate data) stays where it was
    centers[filled] = sums[filled] / counts[filled, None]
    return centers


def _kmeans_plusplus_indices(
    X: np.ndarray,
    n_clusters: int,
    x_squared_norms: np.ndarray,
    rng: np.random.Generator | np.random.RandomState,
    n_local_trials: int | None = None,
) -> np.ndarray:
    """Row indices of ``X`` chosen by greedy k-means++ (Arthur & Vassilvitskii, 2007).

    The first centre is a sample drawn uniformly. Each next centre is drawn with
    probability proportional to ``D(x)²``, the squared distance from ``x`` to its nearest
    centre so far; the greedy variant draws ``2 + log(k)`` candidates this way and keeps
    the one that lowers the total ``D²`` (the "potential") the most.
    """
    n_samples = X.shape[0]
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))

    def squared_distances_to(rows: np.ndarray) -> np.ndarray:
        # (len(rows), n_samples), via ||x||² - 2 x·c + ||c||²
        d2 = x_squared_norms[rows, None] - 2.0 * (X[rows] @ X.T) + x_squared_norms
        return np.maximum(d2, 0.0)

    indices = np.empty(n_clusters, dtype=np.intp)
    indices[0] = rng.choice(n_samples)
    closest = squared_distances_to(indices[:1])[0]  # D(x)² for every sample
    for c in range(1, n_clusters):
        cumulative = np.cumsum(closest)
        # side="right" never picks a sample with D(x)² = 0 (one that is already a centre)
        targets = rng.random(n_local_trials) * cumulative[-1]
        candidates = np.searchsorted(cumulative, targets, side="right")
        # D(x)² if each candidate were added; keep the candidate with the smallest total
        trial = np.minimum(closest, squared_distances_to(candidates))
        best = int(np.argmin(trial.sum(axis=1)))
        indices[c] = candidates[best]
        closest = trial[best]
    return indices


def _check_random_state(random_state: Any) -> np.random.Generator | np.random.RandomState:
    """Accept None, an int, a ``numpy.random.Generator`` or a ``RandomState``."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    try:
        return check_random_state(random_state)
    except ValueError:
        raise TypeError(
            "random_state must be None, an int, a numpy.random.Generator or a "
            f"numpy.random.RandomState, got {random_state!r}"
        ) from None


def _check_enough_distinct_points(X: np.ndarray, n_clusters: int) -> None:
    """Raise if ``X`` has fewer distinct rows than ``n_clusters``.

    Counting all distinct rows would sort the whole data set; instead rows are read in
    blocks and the count stops as soon as ``n_clusters`` distinct rows have been seen
    (usually within the first block).
    """
    n_samples = X.shape[0]
    block = max(1024, 2 * n_clusters)
    seen = X[:0]
    for start in range(0, n_samples, block):
        # "+ 0.0" turns -0.0 into 0.0, so that equal numbers are equal bytes
        seen = np.unique(np.concatenate([seen, X[start : start + block] + 0.0]), axis=0)
        if seen.shape[0] >= n_clusters:
            return
    raise ValueError(
        f"X has only {seen.shape[0]} distinct points but n_clusters={n_clusters}; "
        "use fewer clusters or remove the duplicates"
    )


def _as_dense_matrix(X: Any, name: str = "X") -> np.ndarray:
    """``as_float_matrix``, with a clear message for scipy sparse input."""
    if scipy.sparse.issparse(X):
        raise TypeError(
            f"{name} is a scipy sparse matrix, which this K-means does not support; "
            f"pass a dense array ({name}.toarray())"
        )
    return as_float_matrix(X, name)


def _check_labels_for(labels: Any, n_samples: int, n_clusters: int) -> np.ndarray:
    """``labels`` must be integer cluster ids in ``[0, n_clusters)``, one per sample."""
    arr = np.asarray(labels)
    if arr.dtype.kind not in "iu" and not (
        arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))
    ):
        raise TypeError(f"labels must be integer cluster ids, got dtype {arr.dtype}")
    if arr.ndim != 1 or arr.shape[0] != n_samples:
        raise ValueError(f"labels must have shape ({n_samples},), one per sample, got {arr.shape}")
    arr = arr.astype(np.intp)
    if arr.min() < 0 or arr.max() >= n_clusters:
        raise ValueError(
            f"labels must lie in [0, {n_clusters - 1}] for n_clusters={n_clusters}, "
            f"got values from {arr.min()} to {arr.max()}"
        )
    return arr


def _check_centers(centers: Any, n_features: int, name: str = "centers") -> np.ndarray:
    centers = as_float_matrix(centers, name)
    if centers.shape[1] != n_features:
        raise ValueError(
            f"{name} has {centers.shape[1]} features but X has {n_features}; "
            f"{name} must have shape (n_clusters, {n_features})"
        )
    return centers


# ---------------------------------------------------------------------------------------------
# Public teaching functions
# ---------------------------------------------------------------------------------------------


def kmeans_plusplus(X: Any, n_clusters: int, random_state: Seed = None) -> np.ndarray:
    """Choose ``n_clusters`` initial centres among the samples with k-means++.

    The first centre is a sample picked uniformly at random. Every next centre is picked
    with probability proportional to ``D(x)²``, the squared distance from ``x`` to the
    nearest centre chosen so far, so the centres spread out over the data. This is the
    greedy variant used by scikit-learn: ``2 + int(log(n_clusters))`` candidates are drawn
    each time and the one that lowers ``sum D(x)²`` the most is kept.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data.
    n_clusters : int
        Number of centres to choose, ``1 <= n_clusters <= n_samples``.
    random_state : int, numpy.random.Generator, numpy.random.RandomState or None
        Seed of the random draws; the same seed gives the same centres.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        Rows of ``X``, all distinct.

    Raises
    ------
    ValueError
        If ``X`` has fewer distinct rows than ``n_clusters``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 10.0], [10.0, 10.1]])
    >>> centers = kmeans_plusplus(X, n_clusters=2, random_state=0)
    >>> centers.shape
    (2, 2)
    >>> # one centre lands in each of the two far-apart groups
    >>> sorted(float(c[0]) > 5 for c in centers)
    [False, True]
    """
    X = _as_dense_matrix(X)
    n_clusters = check_n_clusters(n_clusters, X.shape[0])
    _check_enough_distinct_points(X, n_clusters)
    rng = _check_random_state(random_state)
    X_centered = X - X.mean(axis=0)  # distances are the same, with less rounding error
    indices = _kmeans_plusplus_indices(X_centered, n_clusters, _squared_norms(X_centered), rng)
    return X[indices].copy()


def assign_labels(X: Any, centers: Any) -> tuple[np.ndarray, np.ndarray]:
    """Give every sample the index of its nearest centre (the E-step of K-means).

    Distances come from ``||x - c||² = ||x||² - 2 x·c + ||c||²``, so the work is one
    matrix product per block of samples (no Python loop over samples, and the memory for
    the distance matrix stays bounded however many samples there are). Ties go to the centre
    with the lowest index.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The samples.
    centers : array-like of shape (n_clusters, n_features)
        The centres.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Index of the nearest centre of each sample.
    squared_distances : ndarray of shape (n_samples,)
        Squared Euclidean distance from each sample to that centre.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [9.0, 0.0]])
    >>> labels, d2 = assign_labels(X, centers=np.array([[0.0, 0.0], [10.0, 0.0]]))
    >>> labels
    array([0, 0, 1])
    >>> d2.round(6)
    array([0., 1., 1.])
    """
    X = _as_dense_matrix(X)
    centers = _check_centers(centers, X.shape[1]).astype(X.dtype, copy=False)
    return _assign_labels(X, centers, _squared_norms(X))


def update_centers(
    X: Any,
    labels: Any,
    n_clusters: int,
    previous_centers: Any = None,
) -> np.ndarray:
    """Move every centre to the mean of its samples (the M-step of K-means).

    Empty clusters. A cluster that received no sample has no mean. It is re-seeded with
    the sample that lies farthest from the centre it is currently assigned to (the
    sample the current centres explain worst): with several empty clusters, the one with
    the lowest index gets the farthest sample, the next one the second farthest, and so on.
    That sample leaves its old cluster, whose mean is computed without it. "Its centre"
    means ``previous_centers[label]`` when ``previous_centers`` is given (this is what
    :class:`KMeans` does, like scikit-learn), else the new mean of its cluster. If every
    sample already sits exactly on its centre, nothing can be re-seeded and an empty
    cluster keeps its previous centre (without ``previous_centers``: the mean of ``X``).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The samples.
    labels : array-like of shape (n_samples,)
        Cluster index of each sample, integers in ``[0, n_clusters)``.
    n_clusters : int
        Number of clusters (some may be empty).
    previous_centers : array-like of shape (n_clusters, n_features), optional
        The centres the labels were computed from.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        The new centres.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 0.0], [10.0, 1.0], [10.0, 5.0]])
    >>> update_centers(X, labels=[0, 0, 1, 1, 1], n_clusters=2)
    array([[ 1.,  0.],
           [10.,  2.]])

    With ``n_clusters=3``, cluster 2 is empty: it takes the sample farthest from its
    centre, ``[10, 5]``, and cluster 1 keeps the other two.

    >>> update_centers(X, labels=[0, 0, 1, 1, 1], n_clusters=3)
    array([[ 1. ,  0. ],
           [10. ,  0.5],
           [10. ,  5. ]])
    """
    X = _as_dense_matrix(X)
    n_clusters = check_int(n_clusters, "n_clusters", low=1)
    labels = _check_labels_for(labels, X.shape[0], n_clusters)
    if previous_centers is not None:
        previous_centers = _check_centers(previous_centers, X.shape[1], "previous_centers")
        if previous_centers.shape[0] != n_clusters:
            raise ValueError(
                f"previous_centers has {previous_centers.shape[0]} rows but n_clusters={n_clusters}"
            )
        previous_centers = previous_centers.astype(X.dtype, copy=False)
    return _update_centers(X, labels, n_clusters, previous_centers)


def inertia(X: Any, centers: Any, labels: Any) -> float:
    """Sum of squared distances from each sample to the centre given by its label.

    This is the quantity K-means makes small (also called the within-cluster sum of
    squares). It is computed from the differences ``x - c`` themselves, not from the
    expansion used by :func:`assign_labels`, so it is exact to rounding.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The samples.
    centers : array-like of shape (n_clusters, n_features)
        The centres.
    labels : array-like of shape (n_samples,)
        Cluster index of each sample.

    Returns
    -------
    inertia : float

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 0.0]])
    >>> inertia(X, centers=np.array([[1.0, 0.0], [10.0, 0.0]]), labels=[0, 0, 1])
    2.0
    """
    X = _as_dense_matrix(X)
    centers = _check_centers(centers, X.shape[1]).astype(X.dtype, copy=False)
    labels = _check_labels_for(labels, X.shape[0], centers.shape[0])
    return float(_distances_to_assigned(X, centers, labels).sum())


# ---------------------------------------------------------------------------------------------
# The two training loops
# ---------------------------------------------------------------------------------------------


class _Run(NamedTuple):
    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int
    history: list[KMeansStep]


def _lloyd(
    X: np.ndarray,
    centers: np.ndarray,
    x_squared_norms: np.ndarray,
    max_iter: int,
    tol: float,
    keep_history: bool,
) -> _Run:
    """Lloyd's algorithm from ``centers``, with scikit-learn's stopping rules.

    Each iteration assigns the samples to the current centres, then moves the centres.
    It stops, after that iteration, when either

    * the labels are the same as in the previous iteration ("strict convergence": the
      centres cannot move any more), or
    * the centres moved little: ``sum ||c_new - c_old||² <= tol`` (``tol`` is already
      scaled to the data), or
    * ``max_iter`` iterations were done.

    In the last two cases the samples are assigned once more, so that the labels
    returned belong to the centres returned. The history holds the centres before
    every iteration and the fitted state after the last one (``n_iter + 1`` entries).
    """
    n_clusters = centers.shape[0]
    history: list[KMeansStep] = []
    previous_labels = None
    converged = False
    for n_iter in range(1, max_iter + 1):  # noqa: B007 - n_iter is returned
        labels, _ = _assign_labels(X, centers, x_squared_norms)
        if keep_history:
            history.append(_snapshot(X, centers, labels))
        new_centers = _update_centers(X, labels, n_clusters, previous_centers=centers)
        shift = float(((new_centers - centers) ** 2).sum())
        centers = new_centers
        if previous_labels is not None and np.array_equal(labels, previous_labels):
            converged = True
            break
        if shift <= tol:
            break
        previous_labels = labels
    if not converged:
        labels, _ = _assign_labels(X, centers, x_squared_norms)
    final = _snapshot(X, centers, labels)
    if keep_history:
        history.append(final)
    return _Run(centers, labels, final.inertia, n_iter, history)


def _minibatch(
    X: np.ndarray,
    centers: np.ndarray,
    x_squared_norms: np.ndarray,
    max_iter: int,
    tol: float,
    keep_history: bool,
    batch_size: int,
    rng: np.random.Generator | np.random.RandomState,
) -> _Run:
    """Mini-batch K-means (Sculley, 2010): each iteration looks at ``batch_size`` samples.

    A batch is drawn at random (with replacement) and assigned to the current centres.
    Each centre ``c`` keeps a count ``v`` of the samples it has absorbed so far, and
    moves towards each of its new samples ``x`` with its own learning rate ``1 / v``:
    ``c <- (1 - 1/v) c + (1/v) x``. Applied to a whole batch at once this is
    ``c <- (v_old c + sum of its batch samples) / (v_old + batch count)``, a running
    mean, so the steps get smaller as a centre sees more data. It stops when the
    centres moved little in one step (``sum ||c_new - c_old||² <= tol``, only if
    ``tol > 0``) or after ``max_iter`` batches; the labels and inertia are then computed
    on all of ``X``.
    """
    n_samples = X.shape[0]
    n_clusters = centers.shape[0]
    counts = np.zeros(n_clusters, dtype=X.dtype)
    history: list[KMeansStep] = []
    if keep_history:
        history.append(_snapshot(X, centers, _assign_labels(X, centers, x_squared_norms)[0]))
    for n_iter in range(1, max_iter + 1):  # noqa: B007 - n_iter is returned
        batch = rng.choice(n_samples, size=batch_size)
        batch_labels, _ = _assign_labels(X[batch], centers, x_squared_norms[batch])
        batch_counts = np.bincount(batch_labels, minlength=n_clusters).astype(X.dtype)
        batch_sums = _cluster_sums(X[batch], batch_labels, n_clusters)
        new_counts = counts + batch_counts
        hit = batch_counts > 0
        new_centers = centers.copy()
        new_centers[hit] = (centers[hit] * counts[hit, None] + batch_sums[hit]) / new_counts[
            hit, None
        ]
        shift = float(((new_centers - centers) ** 2).sum())
        centers, counts = new_centers, new_counts
        if keep_history:
            labels, _ = _assign_labels(X, centers, x_squared_norms)
            history.append(_snapshot(X, centers, labels))
        if tol > 0 and shift <= tol:  # one batch can by chance leave a centre in place
            break
    labels, _ = _assign_labels(X, centers, x_squared_norms)
    final = _snapshot(X, centers, labels)
    return _Run(centers, labels, final.inertia, n_iter, history)


def _snapshot(X: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> KMeansStep:
    return KMeansStep(
        centers.copy(), labels, float(_distances_to_assigned(X, centers, labels).sum())
    )


# ---------------------------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------------------------


class KMeans(ClusterMixin, TransformerMixin, BaseEstimator):
    """K-means clustering (Lloyd's algorithm, or mini-batch K-means), from scratch.

    From the same initial centres (``init`` as an array, ``n_init=1``) and with the same
    ``tol`` and ``max_iter``, it returns the same labels, centres (to rounding) and
    ``n_iter_`` as ``sklearn.cluster.KMeans(algorithm="lloyd")``, because it follows the
    same rules:

    * the data are shifted to have mean zero before fitting (distances do not change,
      but ``||x||² - 2 x·c + ||c||²`` loses less precision); the centres are shifted back;
    * ``tol`` is relative: the run stops when ``sum ||c_new - c_old||²`` is at most
      ``tol`` times the mean variance of the features of ``X``;
    * it also stops as soon as an iteration leaves every label unchanged, and after
      ``max_iter`` iterations; ``n_iter_`` counts the iterations done;
    * unless the labels stopped changing, the samples are assigned once more at the end,
      so ``labels_`` are the nearest centres of ``cluster_centers_``;
    * an empty cluster is re-seeded with the sample farthest from its centre
      (see :func:`update_centers`).

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    init : {"k-means++", "random"} or array of shape (n_clusters, n_features), \
default="k-means++"
        How to choose the first centres: k-means++ (:func:`kmeans_plusplus`), ``n_clusters``
        distinct samples picked at random, or the given centres.
    n_init : "auto" or int, default="auto"
        Number of runs from different starts; the run with the lowest inertia is kept.
        "auto" means 1 for "k-means++" and for an array, 10 for "random" (as scikit-learn).
        With an array ``init`` there is only one start, so ``n_init`` is set to 1 (with a
        ``RuntimeWarning`` if a larger number was asked for).
    max_iter : int, default=300
        Maximum number of iterations of one run (with ``batch_size``: of mini-batches).
    tol : float, default=1e-4
        Relative tolerance on the movement of the centres, see above. ``tol=0`` stops only
        when the labels stop changing (or at ``max_iter``).
    random_state : int, numpy.random.Generator, numpy.random.RandomState or None
        Seed for the initialisation (and for drawing mini-batches). The same seed gives the
        same result.
    keep_history : bool, default=False
        Keep a snapshot of every iteration in ``history_`` (for teaching plots; it stores
        one label array per iteration, so leave it off for large data).
    batch_size : int or None, default=None
        ``None`` runs Lloyd's algorithm on all samples. An int runs mini-batch K-means
        (Sculley, 2010): each iteration draws ``batch_size`` samples at random (with
        replacement), assigns them, and moves each centre towards its new samples with a
        learning rate of 1 / (number of samples that centre has absorbed so far). It stops
        when the centres moved less than the tolerance in one step, or after ``max_iter``
        batches (always ``max_iter`` batches with ``tol=0``). Much cheaper per iteration on large data; the result is close to, not
        equal to, full K-means.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        The centres.
    labels_ : ndarray of shape (n_samples,)
        Index of the nearest centre of each training sample.
    inertia_ : float
        Sum of squared distances of the training samples to their nearest centre.
    n_iter_ : int
        Number of iterations (mini-batches) of the kept run.
    n_features_in_ : int
        Number of features seen in ``fit``.
    history_ : list of KMeansStep
        Only with ``keep_history=True``: the kept run, one ``KMeansStep(centers, labels,
        inertia)`` per iteration, starting with the initial centres (step 0) and ending with
        the fitted state, so ``len(history_) == n_iter_ + 1`` (when a run stops because the
        labels no longer change, its last two entries are equal). For Lloyd's algorithm the
        inertia never increases from one step to the next (a mini-batch step can).

    Raises
    ------
    ValueError
        In ``fit``, if ``X`` has fewer distinct rows than ``n_clusters`` (K-means would
        have to create identical centres), among the other input checks.

    Notes
    -----
    ``fit``, ``predict``, ``transform`` and ``score`` run NumPy's matrix products on one
    BLAS thread (as scikit-learn does inside its K-means): the products are small and
    many, and extra threads cost more than they gain, especially on a busy machine.
    The teaching functions (:func:`assign_labels` and the others) leave threads alone.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 10.0], [10.0, 11.0]])
    >>> km = KMeans(n_clusters=2, init=np.array([[1.0, 1.0], [9.0, 9.0]])).fit(X)
    >>> km.labels_
    array([0, 0, 1, 1])
    >>> km.cluster_centers_
    array([[ 0. ,  0.5],
           [10. , 10.5]])
    >>> round(km.inertia_, 6), km.n_iter_
    (1.0, 2)
    >>> km.predict([[1.0, 2.0], [8.0, 8.0]])
    array([0, 1])

    With ``keep_history=True`` every iteration is kept, starting from the initial centres:

    >>> km = KMeans(n_clusters=2, random_state=0, keep_history=True).fit(X)
    >>> len(km.history_) == km.n_iter_ + 1
    True
    >>> [round(step.inertia, 2) for step in km.history_]
    [2.0, 1.0, 1.0]
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: str | np.ndarray = "k-means++",
        n_init: str | int = "auto",
        max_iter: int = 300,
        tol: float = 1e-4,
        random_state: Seed = None,
        keep_history: bool = False,
        batch_size: int | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.keep_history = keep_history
        self.batch_size = batch_size

    # -- checks ---------------------------------------------------------------------------

    def _check_params(self, X: np.ndarray) -> None:
        """Check the parameters against ``X``; store what is derived in private attributes."""
        n_samples, n_features = X.shape
        self._n_clusters = check_n_clusters(self.n_clusters, n_samples)
        self._max_iter = check_int(self.max_iter, "max_iter", low=1)
        self._tol = check_float(self.tol, "tol", low=0.0)
        if self.batch_size is None:
            self._batch_size = None
        else:
            self._batch_size = check_int(self.batch_size, "batch_size", low=1)
        if not isinstance(self.keep_history, bool | np.bool_):
            raise TypeError(f"keep_history must be True or False, got {self.keep_history!r}")

        if isinstance(self.init, str):
            self._init = check_choice(self.init, "init", ["k-means++", "random"])
        else:
            init = as_float_matrix(self.init, "init")
            expected = (self._n_clusters, n_features)
            if init.shape != expected:
                raise ValueError(
                    f"init must have shape (n_clusters, n_features) = {expected}, got {init.shape}"
                )
            self._init = init.astype(X.dtype)

        if isinstance(self.n_init, str):
            check_choice(self.n_init, "n_init", ["auto"])
            n_init = 10 if isinstance(self._init, str) and self._init == "random" else 1
        elif isinstance(self.n_init, Integral) and not isinstance(self.n_init, bool):
            n_init = check_int(self.n_init, "n_init", low=1)
        else:
            raise TypeError(f"n_init must be 'auto' or an integer >= 1, got {self.n_init!r}")
        if not isinstance(self._init, str) and n_init != 1:
            warnings.warn(
                f"init is an array of centres, so there is only one start: running with "
                f"n_init=1 instead of n_init={n_init}",
                RuntimeWarning,
                stacklevel=3,
            )
            n_init = 1
        self._n_init = n_init

    def _check_test_data(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "cluster_centers_")
        X = _as_dense_matrix(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but KMeans is expecting "
                f"{self.n_features_in_} features as input (n_features_in_ from fit)"
            )
        return X

    # -- fitting --------------------------------------------------------------------------

    def _initial_centers(
        self,
        X: np.ndarray,
        x_squared_norms: np.ndarray,
        x_mean: np.ndarray,
        rng: np.random.Generator | np.random.RandomState,
    ) -> np.ndarray:
        """First centres, in the coordinates of the centred data ``X``."""
        if isinstance(self._init, str) and self._init == "k-means++":
            rows = _kmeans_plusplus_indices(X, self._n_clusters, x_squared_norms, rng)
            return X[rows].copy()
        if isinstance(self._init, str):  # "random": distinct samples
            return X[rng.choice(X.shape[0], size=self._n_clusters, replace=False)].copy()
        return self._init - x_mean

    def _single_run(
        self,
        X: np.ndarray,
        x_squared_norms: np.ndarray,
        x_mean: np.ndarray,
        tol: float,
        rng: np.random.Generator | np.random.RandomState,
    ) -> _Run:
        """One start and one run of Lloyd's algorithm (or of mini-batch K-means)."""
        centers = self._initial_centers(X, x_squared_norms, x_mean, rng)
        if self._batch_size is None:
            return _lloyd(X, centers, x_squared_norms, self._max_iter, tol, self.keep_history)
        return _minibatch(
            X, centers, x_squared_norms, self._max_iter, tol, self.keep_history,
            self._batch_size, rng,
        )  # fmt: skip

    def fit(self, X: Any, y: Any = None) -> KMeans:
        """Compute the clustering.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (float32 stays float32, anything else becomes float64).
        y : ignored
            Present for scikit-learn compatibility.

        Returns
        -------
        self : KMeans
            The fitted estimator.
        """
        X = _as_dense_matrix(X)
        self._check_params(X)
        _check_enough_distinct_points(X, self._n_clusters)
        rng = _check_random_state(self.random_state)

        # scikit-learn's conventions: tol is relative to the mean feature variance, and
        # the data are centred (this changes no distance, only the rounding error).
        tol = float(np.mean(np.var(X, axis=0)) * self._tol) if self._tol > 0 else 0.0
        x_mean = X.mean(axis=0)
        X_centered = X - x_mean
        x_squared_norms = _squared_norms(X_centered)

        best: _Run | None = None
        with _one_blas_thread():
            for _ in range(self._n_init):
                run = self._single_run(X_centered, x_squared_norms, x_mean, tol, rng)
                if best is None or run.inertia < best.inertia:  # keep the best run
                    best = run

        self.cluster_centers_ = best.centers + x_mean
        self.labels_ = best.labels
        self.inertia_ = best.inertia
        self.n_iter_ = best.n_iter
        self.n_features_in_ = X.shape[1]
        if self.keep_history:
            self.history_ = [
                KMeansStep(step.centers + x_mean, step.labels, step.inertia)
                for step in best.history
            ]
        return self

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """Fit, then return ``labels_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : ignored
            Present for scikit-learn compatibility.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        return self.fit(X).labels_

    # -- using a fitted model -------------------------------------------------------------

    def predict(self, X: Any) -> np.ndarray:
        """Index of the nearest centre of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        X = self._check_test_data(X)
        centers = self.cluster_centers_.astype(X.dtype, copy=False)
        with _one_blas_thread():
            return _assign_labels(X, centers, _squared_norms(X))[0]

    def transform(self, X: Any) -> np.ndarray:
        """Euclidean distance from every sample to every centre.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        distances : ndarray of shape (n_samples, n_clusters)
        """
        X = self._check_test_data(X)
        centers = self.cluster_centers_.astype(X.dtype, copy=False)
        with _one_blas_thread():
            products = X @ centers.T
        d2 = _squared_norms(X)[:, None] - 2.0 * products + _squared_norms(centers)
        return np.sqrt(np.maximum(d2, 0.0))

    def score(self, X: Any, y: Any = None) -> float:
        """Minus the inertia of ``X`` on the fitted centres (higher is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored
            Present for scikit-learn compatibility.

        Returns
        -------
        score : float
        """
        X = self._check_test_data(X)
        centers = self.cluster_centers_.astype(X.dtype, copy=False)
        with _one_blas_thread():
            labels = _assign_labels(X, centers, _squared_norms(X))[0]
        return -float(_distances_to_assigned(X, centers, labels).sum())

"""K-means clustering from scratch, in NumPy: the code notebook 02 teaches.

Lloyd's algorithm alternates :func:`assign_labels` and :func:`update_centers`; neither can
raise the :func:`inertia`, but where it ends depends on the start (:func:`kmeans_plusplus`).
On large data :class:`KMeans` takes the same steps fused in one compiled pass: :mod:`.kmeans_fast`.
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral
from typing import Any, NamedTuple

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.utils.validation import check_is_fitted

from deepclust_lab import _checks, kmeans_fast

__all__ = ["KMeans", "KMeansStep", "assign_labels", "inertia", "kmeans_plusplus", "update_centers"]

# From this n_samples * n_clusters * n_features on, KMeans takes kmeans_fast's compiled steps.
_FAST_PATH_MIN_SIZE = 2**24
RandomStateLike = int | np.random.Generator | np.random.RandomState | None


class KMeansStep(NamedTuple):
    """One step of :attr:`KMeans.history_`: centres, each sample's nearest one, inertia."""

    centers: np.ndarray
    labels: np.ndarray
    inertia: float


# ---- The steps. They trust their inputs: the public functions below check them first. -------
def _squared_norms(X: np.ndarray) -> np.ndarray:
    """``||x||²`` for every row of ``X``."""
    return np.einsum("ij,ij->i", X, X)


def _squared_distances(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """``||x - c||²`` for every pair, (n_samples, n_clusters), as ``||x||² - 2 x·c + ||c||²``."""
    return _squared_norms(X)[:, None] - 2.0 * (X @ centers.T) + _squared_norms(centers)


def _assign_labels(X: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # ||x - c||² = ||x||² - 2 x·c + ||c||². The ||x||² term is the same for every centre, so
    # the nearest centre is the argmin of the rest; adding it first would only cost precision.
    scores = _squared_norms(centers) - 2.0 * (X @ centers.T)  # (n_samples, n_clusters)
    labels = scores.argmin(axis=1)  # ties go to the lowest centre index
    closest = scores[np.arange(X.shape[0]), labels] + _squared_norms(X)
    return labels, np.maximum(closest, 0.0)  # rounding can push a zero distance below 0


def _cluster_sums(X: np.ndarray, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """Sum of the samples of each cluster: a one-hot (n_samples, n_clusters) matrix times X."""
    one_hot = (labels[:, None] == np.arange(n_clusters)).astype(X.dtype)
    return one_hot.T @ X


def _inertia(X: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> float:
    """Exact ``sum ||x - c_label||²``, from the differences themselves."""
    return float(_squared_norms(X - centers[labels]).sum())


def _update_centers(X, labels, n_clusters, previous_centers=None, cluster_sums=_cluster_sums):
    """Cluster means; empty clusters take the samples farthest from their centres."""
    sums = cluster_sums(X, labels, n_clusters)
    counts = np.bincount(labels, minlength=n_clusters).astype(X.dtype)
    if previous_centers is None:  # the new means; an empty cluster starts at the data mean
        means = sums / np.maximum(counts, 1)[:, None]
        previous_centers = np.where(counts[:, None] > 0, means, X.mean(axis=0))
    empty = np.flatnonzero(counts == 0)
    if empty.size > 0:
        distances = _squared_norms(X - previous_centers[labels])
        if distances.max() > 0:  # else every sample already sits on its centre
            farthest = np.argsort(-distances, kind="stable")[: empty.size]
            for cluster, sample in zip(empty, farthest, strict=True):
                sums[labels[sample]] -= X[sample]  # the sample leaves its old cluster ...
                counts[labels[sample]] -= 1
                sums[cluster], counts[cluster] = X[sample], 1  # ... to be a cluster alone
    centers = previous_centers.astype(X.dtype, copy=True)
    filled = counts > 0  # a cluster left empty (only in degenerate data) stays where it was
    centers[filled] = sums[filled] / counts[filled, None]
    return centers


def _kmeans_plusplus_indices(X: np.ndarray, n_clusters: int, rng) -> np.ndarray:
    """Row indices of ``X`` chosen by greedy k-means++ (as scikit-learn)."""
    n_local_trials = 2 + int(np.log(n_clusters))
    indices = np.empty(n_clusters, dtype=np.intp)
    indices[0] = rng.choice(X.shape[0])
    closest = np.maximum(_squared_distances(X[indices[:1]], X)[0], 0.0)  # D(x)² of every x
    for c in range(1, n_clusters):
        cumulative = np.cumsum(closest)
        # side="right" never picks a sample with D(x)² = 0 (one that is already a centre)
        targets = rng.random(n_local_trials) * cumulative[-1]
        candidates = np.searchsorted(cumulative, targets, side="right")
        # D(x)² if each candidate were added; keep the candidate with the smallest total
        trial = np.minimum(closest, np.maximum(_squared_distances(X[candidates], X), 0.0))
        best = int(np.argmin(trial.sum(axis=1)))
        indices[c] = candidates[best]
        closest = trial[best]
    return indices


# ---- Input checks, for the public functions and the estimator only --------------------------
def _check_centers(centers: Any, n_features: int, dtype, n_clusters: int | None = None):
    """``centers``, or ``previous_centers`` when ``n_clusters`` is given, against ``X``."""
    name = "centers" if n_clusters is None else "previous_centers"
    centers = _checks.as_float_matrix(centers, name)
    if centers.shape[1] != n_features:
        raise ValueError(f"{name} has {centers.shape[1]} features but X has {n_features}; "
                         f"{name} must have shape (n_clusters, {n_features})")  # fmt: skip
    if n_clusters is not None and centers.shape[0] != n_clusters:
        raise ValueError(f"{name} has {centers.shape[0]} rows but n_clusters={n_clusters}")
    return centers.astype(dtype, copy=False)


def _check_labels_for(labels: Any, n_samples: int, n_clusters: int) -> np.ndarray:
    arr = _checks.check_labels(labels, "labels", n_samples=n_samples)  # 1-D, whole numbers
    if arr.dtype.kind not in "iu":
        raise TypeError(f"labels must be integer cluster ids, got dtype {arr.dtype}")
    if arr.min() < 0 or arr.max() >= n_clusters:
        raise ValueError(f"labels must lie in [0, {n_clusters - 1}] for n_clusters={n_clusters}"
                         f", got values from {arr.min()} to {arr.max()}")  # fmt: skip
    return arr.astype(np.intp)


def _unscaled_inertia(inertia: float, exponent: int) -> float:
    """The inertia of ``X`` from that of ``X / 2**exponent``; a clear error if it overflows."""
    with np.errstate(over="ignore"):
        value = float(np.ldexp(inertia, 2 * exponent))
    if not math.isfinite(value):
        raise ValueError("X's inertia (a sum of squared distances) exceeds float64's range "
                         "(1.8e+308); divide X by a constant first: the labels do not change")
    return value


# ---- The public teaching functions -----------------------------------------------------------
def assign_labels(X: Any, centers: Any) -> tuple[np.ndarray, np.ndarray]:
    """Give every sample the index of its nearest centre (the assignment step).

    Notebook 02's broadcast ``((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)``
    makes an (n_samples, n_clusters, n_features) array; ``||x||² - 2 x·c + ||c||²`` gives
    the same distances from one matrix product. Ties go to the lowest index.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    centers : array-like of shape (n_clusters, n_features)

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Index of the nearest centre of each sample.
    squared_distances : ndarray of shape (n_samples,)
        Squared distance from each sample to that centre.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [9.0, 0.0]])
    >>> assign_labels(X, centers=np.array([[0.0, 0.0], [10.0, 0.0]]))
    (array([0, 0, 1]), array([0., 1., 1.]))
    """
    X = _checks.as_float_matrix(X)
    return _assign_labels(X, _check_centers(centers, X.shape[1], X.dtype))


def update_centers(X: Any, labels: Any, n_clusters: int, previous_centers: Any = None):
    """Move every centre to the mean of its samples (the update step).

    An empty cluster has no mean: it takes the sample farthest from its centre
    (``previous_centers[label]`` if given, as in :class:`KMeans` and scikit-learn, else the
    new mean), which leaves its old cluster; several empty clusters take the farthest
    samples in turn, lowest index first. If no sample is off its centre, nothing moves.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    labels : array-like of shape (n_samples,)
        Cluster index of each sample, integers in ``[0, n_clusters)``.
    n_clusters : int
    previous_centers : array-like of shape (n_clusters, n_features), optional
        The centres the labels came from.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 0.0], [10.0, 1.0], [10.0, 5.0]])
    >>> update_centers(X, labels=[0, 0, 1, 1, 1], n_clusters=2)
    array([[ 1.,  0.],
           [10.,  2.]])
    >>> update_centers(X, labels=[0, 0, 1, 1, 1], n_clusters=3)  # cluster 2 takes [10, 5]
    array([[ 1. ,  0. ],
           [10. ,  0.5],
           [10. ,  5. ]])
    """
    X = _checks.as_float_matrix(X)
    n_clusters = _checks.check_int(n_clusters, "n_clusters", low=1)
    labels = _check_labels_for(labels, X.shape[0], n_clusters)
    if previous_centers is not None:
        previous_centers = _check_centers(previous_centers, X.shape[1], X.dtype, n_clusters)
    return _update_centers(X, labels, n_clusters, previous_centers)


def inertia(X: Any, centers: Any, labels: Any) -> float:
    """Sum of squared distances from each sample to its centre, from the differences ``x - c``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    centers : array-like of shape (n_clusters, n_features)
    labels : array-like of shape (n_samples,)

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
    X = _checks.as_float_matrix(X)
    centers = _check_centers(centers, X.shape[1], X.dtype)
    return _inertia(X, centers, _check_labels_for(labels, X.shape[0], centers.shape[0]))


def kmeans_plusplus(X: Any, n_clusters: int, random_state: RandomStateLike = None) -> np.ndarray:
    """Choose ``n_clusters`` distinct rows of ``X`` as first centres, with k-means++.

    The first is picked uniformly; each next one with probability proportional to ``D(x)²``,
    the squared distance to the nearest centre so far. As in scikit-learn it is greedy: of
    ``2 + int(log(n_clusters))`` such draws it keeps the one that lowers ``sum D(x)²`` most.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_clusters : int
    random_state : int, numpy.random.Generator, numpy.random.RandomState or None

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 10.0], [10.0, 10.1]])
    >>> centers = kmeans_plusplus(X, n_clusters=2, random_state=0)
    >>> sorted(float(c[0]) > 5 for c in centers)  # one centre in each far-apart group
    [False, True]
    """
    X = _checks.as_float_matrix(X)
    n_clusters = _checks.check_n_clusters(n_clusters, X.shape[0])
    scaled = np.ldexp(X, -_checks.unit_exponent(X))  # as in KMeans.fit: no square overflows
    _checks.check_distinct_rows(scaled, n_clusters)
    rng = _checks.check_random_state(random_state)
    return X[_kmeans_plusplus_indices(scaled, n_clusters, rng)].copy()


def _steps(X: np.ndarray, n_clusters: int) -> tuple:
    """The label, cluster-sum and inertia steps: the readable ones, or the fast ones on large data."""
    if X.shape[0] * X.shape[1] * n_clusters >= _FAST_PATH_MIN_SIZE:
        return *kmeans_fast.lloyd_steps(kmeans_fast.block_threads()), kmeans_fast.inertia
    return (lambda X, centers: _assign_labels(X, centers)[0]), _cluster_sums, _inertia


def _nearest(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    assign = _steps(X, centers.shape[0])[0]
    with kmeans_fast.one_blas_thread():
        return assign(X, centers)


def _snapshot(X, centers, labels, inertia_of=_inertia) -> KMeansStep:
    return KMeansStep(centers.copy(), labels, inertia_of(X, centers, labels))


def _lloyd(X, centers, max_iter, tol, keep_history, steps) -> tuple[KMeansStep, int, list]:
    """Lloyd's algorithm from ``centers``; returns the final step, ``n_iter`` and the history.

    Stops when the labels repeat, when the centres moved ``sum ||c_new - c_old||² <= tol``
    or after ``max_iter`` iterations (in these two cases the samples are assigned again).
    """
    assign, cluster_sums, inertia_of = steps
    history, previous_labels = [], None
    for n_iter in range(1, max_iter + 1):
        labels = assign(X, centers)
        if keep_history:
            history.append(_snapshot(X, centers, labels, inertia_of))
        new_centers = _update_centers(X, labels, centers.shape[0], centers, cluster_sums)
        shift = float(((new_centers - centers) ** 2).sum())
        centers = new_centers
        if np.array_equal(labels, previous_labels):  # they are the labels of these centres too
            break
        if shift <= tol or n_iter == max_iter:
            labels = assign(X, centers)  # the labels of the final centres
            break
        previous_labels = labels
    final = _snapshot(X, centers, labels, inertia_of)
    return final, n_iter, [*history, final] if keep_history else []


def _minibatch(X, centers, max_iter, tol, keep_history, steps, batch_size, rng):
    """Mini-batch K-means (Sculley, 2010): each centre is the running mean of the samples
    it absorbed from the batches (drawn with replacement); stops at ``tol`` if > 0."""
    (assign, cluster_sums, inertia_of), n_clusters = steps, centers.shape[0]
    counts = np.zeros(n_clusters, dtype=X.dtype)
    history = [_snapshot(X, centers, assign(X, centers), inertia_of)] if keep_history else []
    for n_iter in range(1, max_iter + 1):  # noqa: B007 - n_iter is returned
        batch = X[rng.choice(X.shape[0], size=batch_size)]
        batch_labels = assign(batch, centers)
        new_counts = counts + np.bincount(batch_labels, minlength=n_clusters).astype(X.dtype)
        sums = counts[:, None] * centers + cluster_sums(batch, batch_labels, n_clusters)
        hit = (new_counts > counts)[:, None]  # a centre that got no sample stays where it is
        new_centers = np.where(hit, sums / np.maximum(new_counts, 1)[:, None], centers)
        shift = float(((new_centers - centers) ** 2).sum())
        centers, counts = new_centers, new_counts
        if keep_history:
            history.append(_snapshot(X, centers, assign(X, centers), inertia_of))
        if tol > 0 and shift <= tol:  # one batch can by chance leave a centre in place
            break
    return _snapshot(X, centers, assign(X, centers), inertia_of), n_iter, history


# ---- The estimator ---------------------------------------------------------------------------
class KMeans(ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin, BaseEstimator):
    """K-means clustering (Lloyd's algorithm, or mini-batch K-means), from scratch.

    From the same initial centres it gives the labels, centres (to rounding) and ``n_iter_``
    of ``sklearn.cluster.KMeans(algorithm="lloyd")``: like it, it centres the data, scales
    ``tol`` by the mean feature variance, stops when the labels stop changing or when
    ``sum ||c_new - c_old||² <= tol``, and re-seeds empty clusters as :func:`update_centers`.
    From ``n_samples * n_clusters * n_features >= 2**24`` on it takes the fused steps of
    :mod:`deepclust_lab.kmeans_fast`; its matrix products use one BLAS thread, as scikit-learn.

    Parameters
    ----------
    n_clusters : int, default=8
    init : {"k-means++", "random"} or array of shape (n_clusters, n_features), \
default="k-means++"
        :func:`kmeans_plusplus`, distinct random samples, or the first centres themselves.
    n_init : "auto" or int, default="auto"
        Runs from different starts, the lowest inertia wins; "auto": 10 for "random", else
        1. An array ``init`` runs once (with a ``RuntimeWarning`` if more were asked for).
    max_iter : int, default=300
        Iterations (mini-batches) of one run.
    tol : float, default=1e-4
        Relative tolerance on the movement of the centres; 0 waits for stable labels.
    random_state : int, numpy.random.Generator, numpy.random.RandomState or None
    keep_history : bool, default=False
        Keep every iteration in ``history_`` (for teaching plots).
    batch_size : int or None, default=None
        An int runs mini-batch K-means (Sculley, 2010): cheaper iterations, a result close
        to, not equal to, Lloyd's.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : ndarray of shape (n_samples,)
    inertia_ : float
    n_iter_ : int
    n_features_in_ : int
    history_ : list of KMeansStep
        With ``keep_history``: the kept run, from the initial centres (step 0) to the fitted
        state, ``n_iter_ + 1`` steps. In Lloyd's algorithm the inertia never goes up.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 10.0], [10.0, 11.0]])
    >>> km = KMeans(n_clusters=2, init=np.array([[1.0, 1.0], [9.0, 9.0]])).fit(X)
    >>> km.labels_, km.n_iter_, round(km.inertia_, 6), km.predict([[8.0, 8.0]])
    (array([0, 0, 1, 1]), 2, 1.0, array([1]))
    >>> km.cluster_centers_
    array([[ 0. ,  0.5],
           [10. , 10.5]])
    >>> km = KMeans(n_clusters=2, random_state=0, keep_history=True).fit(X)
    >>> [round(step.inertia, 2) for step in km.history_]
    [2.0, 1.0, 1.0]
    """

    def __init__(self, n_clusters: int = 8, *, init: str | np.ndarray = "k-means++",
                 n_init: str | int = "auto", max_iter: int = 300, tol: float = 1e-4,
                 random_state: RandomStateLike = None, keep_history: bool = False,
                 batch_size: int | None = None) -> None:  # fmt: skip
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.keep_history = keep_history
        self.batch_size = batch_size

    def _check_params(self, X: np.ndarray) -> None:
        """Check the parameters against ``X``; store what is derived in private attributes."""
        self._n_clusters = _checks.check_n_clusters(self.n_clusters, X.shape[0])
        self._max_iter = _checks.check_int(self.max_iter, "max_iter", low=1)
        self._tol = _checks.check_float(self.tol, "tol", low=0.0)
        if self.batch_size is not None:
            _checks.check_int(self.batch_size, "batch_size", low=1)
        if not isinstance(self.keep_history, bool | np.bool_):
            raise TypeError(f"keep_history must be True or False, got {self.keep_history!r}")
        if isinstance(self.init, str):
            self._init = _checks.check_choice(self.init, "init", ["k-means++", "random"])
        else:
            self._init = _checks.as_float_matrix(self.init, "init").astype(X.dtype)
            if (expected := (self._n_clusters, X.shape[1])) != self._init.shape:
                raise ValueError(f"init must have shape (n_clusters, n_features) = {expected}, "
                                 f"got {self._init.shape}")  # fmt: skip
        if isinstance(self.n_init, str):
            _checks.check_choice(self.n_init, "n_init", ["auto"])
            self._n_init = 10 if isinstance(self._init, str) and self._init == "random" else 1
        elif isinstance(self.n_init, Integral) and not isinstance(self.n_init, bool):
            self._n_init = _checks.check_int(self.n_init, "n_init", low=1)
        else:
            raise TypeError(f"n_init must be 'auto' or an integer >= 1, got {self.n_init!r}")
        if not isinstance(self._init, str) and self._n_init != 1:
            warnings.warn("init is an array of centres, so there is only one start: running with "
                          f"n_init=1 instead of n_init={self._n_init}", RuntimeWarning, stacklevel=3)  # fmt: skip
            self._n_init = 1

    def _initial_centers(self, X: np.ndarray, shift: np.ndarray, exponent: int, rng) -> np.ndarray:
        if isinstance(self._init, np.ndarray):
            return np.ldexp(self._init, -exponent) - shift
        if self._init == "k-means++":
            return X[_kmeans_plusplus_indices(X, self._n_clusters, rng)]
        return X[rng.choice(X.shape[0], size=self._n_clusters, replace=False)]

    def fit(self, X: Any, y: Any = None) -> KMeans:
        """Cluster ``X``, array-like (n_samples, n_features); float32 stays float32."""
        X = _checks.validate_X(self, X, reset=True)
        self._check_params(X)
        rng = _checks.check_random_state(self.random_state)
        # Work on X / 2**e, centred: exactly the same labels, but no square overflows or vanishes
        self._exponent = e = _checks.unit_exponent(X)
        X_centered = np.ldexp(X, -e, order="C")  # rows contiguous, for the fast path
        _checks.check_distinct_rows(X_centered, self._n_clusters)
        tol = float(np.mean(np.var(X_centered, axis=0))) * self._tol if self._tol else 0.0
        shift = X_centered.mean(axis=0)
        X_centered -= shift  # changes no distance, only the rounding error
        steps = _steps(X, self._n_clusters)
        best = None
        with kmeans_fast.one_blas_thread():
            for _ in range(self._n_init):
                centers = self._initial_centers(X_centered, shift, e, rng)
                args = (X_centered, centers, self._max_iter, tol, self.keep_history, steps)
                run = (_lloyd(*args) if self.batch_size is None
                       else _minibatch(*args, self.batch_size, rng))  # fmt: skip
                if best is None or run[0].inertia < best[0].inertia:  # keep the best run
                    best = run
        (centers, self.labels_, inertia), self.n_iter_, history = best
        self.inertia_ = _unscaled_inertia(inertia, e)
        self.cluster_centers_ = np.ldexp(centers + shift, e)
        if self.keep_history:
            self.history_ = [step._replace(centers=np.ldexp(step.centers + shift, e),
                                           inertia=_unscaled_inertia(step.inertia, e))
                             for step in history]
        return self

    @property
    def _n_features_out(self) -> int:  # transform's columns, for get_feature_names_out
        return self.cluster_centers_.shape[0]

    def _centers_for(self, X: Any) -> tuple[np.ndarray, np.ndarray, int]:
        """``X`` and the centres, both divided by ``2**e`` as in ``fit``; and ``e``."""
        check_is_fitted(self, "cluster_centers_")
        X = _checks.validate_X(self, X, reset=False)
        e = getattr(self, "_exponent", 0)
        return np.ldexp(X, -e), np.ldexp(self.cluster_centers_.astype(X.dtype, copy=False), -e), e

    def predict(self, X: Any) -> np.ndarray:
        """Index of the nearest centre of each sample, shape (n_samples,)."""
        return _nearest(*self._centers_for(X)[:2])

    def transform(self, X: Any) -> np.ndarray:
        """Euclidean distance from every sample to every centre, (n_samples, n_clusters)."""
        X, centers, e = self._centers_for(X)
        with kmeans_fast.one_blas_thread():
            return np.ldexp(np.sqrt(np.maximum(_squared_distances(X, centers), 0.0)), e)

    def score(self, X: Any, y: Any = None) -> float:
        """Minus the inertia of ``X`` on the fitted centres (higher is better)."""
        X, centers, e = self._centers_for(X)
        inertia_of = _steps(X, centers.shape[0])[2]
        return -_unscaled_inertia(inertia_of(X, centers, _nearest(X, centers)), e)

"""Choosing the number of clusters, and checking that a clustering is stable.

Four ways to pick k, each a column of :func:`sweep_k`'s table:

* **elbow** — K-means inertia (within-cluster sum of squares) always falls as k grows; look
  for the k after which it stops falling fast (:func:`find_elbow` makes that a rule);
* **silhouette** — the k with the highest mean silhouette;
* **gap statistic** — compare log-inertia with what uniformly scattered data of the same
  extent would give (:func:`gap_statistic`; Tibshirani, Walther & Hastie, 2001);
* **BIC** — fit a Gaussian mixture per k and take the lowest Bayesian information criterion.

They often disagree, which is itself worth showing. Whether a method gives the same answer
with another seed is :mod:`deepclust_lab.stability`'s question (re-exported here).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

from deepclust_lab._checks import (
    as_float_matrix,
    check_choice,
    check_distinct_rows,
    check_int,
    check_random_state,
)
from deepclust_lab.metrics import SILHOUETTE_MAX_SAMPLES
from deepclust_lab.stability import StabilityResult, stability

__all__ = ["SWEEP_COLUMNS", "StabilityResult", "choose_gap_k", "find_elbow", "gap_statistic",
           "stability", "sweep_k"]

SWEEP_COLUMNS = ("k", "inertia", "silhouette", "gap", "gap_se", "bic")

_KMEANS_N_INIT = 3  # restarts per K-means fit: cheap insurance against a poor local optimum
# Below this many matrix entries one thread is faster: these loops run many small fits, and
# waking a thread pool for each costs more than the fit (5-10x slower on a busy 2-core laptop).
_SINGLE_THREAD_MAX_SIZE = 2_000_000


def _check_k_values(k_values: Any, X: np.ndarray) -> np.ndarray:
    if not isinstance(k_values, Iterable):
        raise TypeError(
            f"k_values must be a sequence of ints such as range(2, 11), got {k_values!r}")
    values = list(k_values)
    if not values:
        raise ValueError("k_values is empty; give at least one number of clusters")
    ks = sorted({check_int(k, "each k in k_values", low=1) for k in values})
    if ks[-1] > X.shape[0]:
        raise ValueError(
            f"k={ks[-1]} in k_values is larger than the number of samples ({X.shape[0]})"
        )
    check_distinct_rows(X, ks[-1], "the largest k in k_values")
    return np.asarray(ks, dtype=int)


def _threads_for(X: np.ndarray) -> AbstractContextManager:
    return threadpool_limits(1) if X.size <= _SINGLE_THREAD_MAX_SIZE else nullcontext()


def _seed(rng: np.random.RandomState) -> int:
    return int(rng.randint(np.iinfo(np.int32).max))


def _kmeans_inertia(X: np.ndarray, k: int, seed: int) -> tuple[float, np.ndarray]:
    model = KMeans(n_clusters=k, n_init=_KMEANS_N_INIT, random_state=seed).fit(X)
    return float(model.inertia_), model.labels_


def _log(w: float) -> float:
    return float(np.log(max(w, np.finfo(float).tiny)))  # W_k is 0 only when k >= distinct points


def _reference_sampler(X: np.ndarray, reference: str) -> Callable:
    """Draws data sets uniformly in the bounding box of X (or of X in its principal axes)."""
    if reference == "box":
        low, high = X.min(axis=0), X.max(axis=0)
        return lambda rng: rng.uniform(low, high, size=X.shape)
    mean = X.mean(axis=0)
    _, _, vt = np.linalg.svd(X - mean, full_matrices=False)
    rotated = (X - mean) @ vt.T
    low, high = rotated.min(axis=0), rotated.max(axis=0)
    return lambda rng: rng.uniform(low, high, size=rotated.shape) @ vt + mean


def _gap_table(X: np.ndarray, ks: np.ndarray, log_w: np.ndarray, n_refs: int,
               rng: np.random.RandomState, reference: str) -> pd.DataFrame:
    draw = _reference_sampler(X, reference)
    ref_log_w = np.empty((n_refs, len(ks)))
    for b in range(n_refs):
        Z = draw(rng)
        for i, k in enumerate(ks):
            ref_log_w[b, i] = _log(_kmeans_inertia(Z, int(k), _seed(rng))[0])
    gap = ref_log_w.mean(axis=0) - log_w
    gap_se = ref_log_w.std(axis=0) * np.sqrt(1.0 + 1.0 / n_refs)
    table = pd.DataFrame(
        {"k": ks, "gap": gap, "gap_se": gap_se, "log_w": log_w, "ref_log_w": ref_log_w.mean(axis=0)}
    )
    table.attrs["best_k"] = choose_gap_k(ks, gap, gap_se)
    return table


def choose_gap_k(ks: Any, gap: Any, gap_se: Any) -> int:
    """Tibshirani's rule: the smallest k with ``Gap(k) >= Gap(k+1) - s(k+1)`` (``k+1`` is the
    next k of ``ks``); when no k passes, the k with the largest gap.

    Examples
    --------
    >>> choose_gap_k([1, 2, 3, 4], [0.1, 0.5, 0.52, 0.53], [0.05, 0.05, 0.05, 0.05])
    2
    """
    ks, gap, gap_se = np.asarray(ks), np.asarray(gap, float), np.asarray(gap_se, float)
    for i in range(len(ks) - 1):
        if gap[i] >= gap[i + 1] - gap_se[i + 1]:
            return int(ks[i])
    return int(ks[int(np.argmax(gap))])


def find_elbow(k_values: Iterable[int], values: Iterable[float]) -> int:
    """The "elbow" of a falling curve (at least three increasing ``k_values``): the point
    farthest below the straight line joining its first and last points, after both axes are
    rescaled to [0, 1] (the "kneedle" idea of Satopää et al., 2011, without its smoothing).
    The first k when no point lies below that line.

    Examples
    --------
    >>> from deepclust_lab.selection import find_elbow
    >>> find_elbow([1, 2, 3, 4, 5, 6], [100, 40, 12, 10, 9, 8])
    3
    """
    ks = np.asarray(list(k_values), dtype=float)
    y = np.asarray(list(values), dtype=float)
    if ks.ndim != 1 or ks.shape != y.shape:
        raise ValueError(
            f"k_values and values must be 1-D and the same length, got {ks.shape} and {y.shape}"
        )
    if len(ks) < 3:
        raise ValueError(f"an elbow needs at least 3 points, got {len(ks)}")
    if not np.isfinite(y).all():
        raise ValueError("values contains NaN or infinite entries")
    if np.any(np.diff(ks) <= 0):
        raise ValueError("k_values must be strictly increasing")
    x = (ks - ks[0]) / (ks[-1] - ks[0])
    span = y.max() - y.min()
    if span == 0:
        return int(ks[0])
    yn = (y - y.min()) / span
    chord = yn[0] + (yn[-1] - yn[0]) * x
    below = chord - yn
    if below.max() <= 1e-9:  # on or above the chord, up to rounding: no elbow
        return int(ks[0])
    return int(ks[int(np.argmax(below))])


def gap_statistic(
    X: Any,
    k_values: Iterable[int] = range(1, 11),
    n_refs: int = 10,
    random_state: int | np.random.RandomState | np.random.Generator | None = 0,
    *,
    reference: str = "box",
) -> pd.DataFrame:
    """The gap statistic of Tibshirani, Walther & Hastie (2001) for each k.

    ``W_k`` is the K-means within-cluster sum of squares (3 restarts). The same is computed on
    ``n_refs`` reference data sets drawn uniformly in the bounding box of X (``reference="pca"``:
    the box along X's principal axes, better for elongated data), which have no clusters. Then

    * ``Gap(k) = mean over references of log W*_k  -  log W_k``
    * ``s_k = sd(log W*_k) * sqrt(1 + 1/n_refs)`` (the simulation error)

    and k is chosen by :func:`choose_gap_k`. Unlike the silhouette, the gap can choose k = 1.

    Returns
    -------
    pandas.DataFrame
        Columns ``k``, ``gap``, ``gap_se``, ``log_w`` and ``ref_log_w`` (its mean over the
        references); ``table.attrs["best_k"]`` holds the chosen k.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from deepclust_lab.selection import gap_statistic
    >>> X, _ = make_blobs(300, centers=3, cluster_std=0.5, random_state=1)
    >>> gap_statistic(X, range(1, 7), n_refs=5).attrs["best_k"]
    3
    """
    X = as_float_matrix(X)
    ks = _check_k_values(k_values, X)
    n_refs = check_int(n_refs, "n_refs", low=1)
    check_choice(reference, "reference", ["box", "pca"])
    rng = check_random_state(random_state)
    with _threads_for(X):
        log_w = np.array([_log(_kmeans_inertia(X, int(k), _seed(rng))[0]) for k in ks])
        return _gap_table(X, ks, log_w, n_refs, rng, reference)


def sweep_k(
    X: Any,
    k_values: Iterable[int] = range(2, 11),
    *,
    random_state: int | np.random.RandomState | np.random.Generator | None = 0,
    n_refs: int = 10,
    gap: bool = True,
    bic: bool = True,
) -> pd.DataFrame:
    """Fit K-means (and a Gaussian mixture) for each k and tabulate the criteria for choosing k.

    Returns
    -------
    pandas.DataFrame
        One row per k with the columns :data:`SWEEP_COLUMNS`: K-means ``inertia``; the mean
        ``silhouette`` of its labels (NaN for k = 1; on at most 5000 points); ``gap`` and
        ``gap_se`` (:func:`gap_statistic`, NaN unless ``gap``); the ``bic`` of a
        full-covariance Gaussian mixture (NaN unless ``bic``). ``table.attrs["best"]`` holds
        the k each criterion picks: ``"elbow"`` (:func:`find_elbow`, None with fewer than 3 k),
        ``"silhouette"``, ``"gap"`` and ``"bic"`` (None when switched off).

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from deepclust_lab.selection import sweep_k
    >>> X, _ = make_blobs(300, centers=4, cluster_std=0.6, random_state=0)
    >>> table = sweep_k(X, range(2, 8), n_refs=5)
    >>> list(table.columns)
    ['k', 'inertia', 'silhouette', 'gap', 'gap_se', 'bic']
    >>> table.attrs["best"]
    {'elbow': 4, 'silhouette': 4, 'gap': 4, 'bic': 4}
    """
    X = as_float_matrix(X)
    ks = _check_k_values(k_values, X)
    n_refs = check_int(n_refs, "n_refs", low=1)
    rng = check_random_state(random_state)
    n = X.shape[0]

    with _threads_for(X):
        inertia = np.empty(len(ks))
        silhouette = np.full(len(ks), np.nan)
        sample = min(n, SILHOUETTE_MAX_SAMPLES)
        for i, k in enumerate(ks):
            inertia[i], labels = _kmeans_inertia(X, int(k), _seed(rng))
            if 2 <= len(np.unique(labels)) <= n - 1:
                silhouette[i] = silhouette_score(
                    X, labels, sample_size=sample if sample < n else None, random_state=_seed(rng)
                )

        gap_values = np.full(len(ks), np.nan)
        gap_se = np.full(len(ks), np.nan)
        best_gap = None
        if gap:
            log_w = np.array([_log(w) for w in inertia])
            gap_table = _gap_table(X, ks, log_w, n_refs, rng, "box")
            gap_values, gap_se = gap_table["gap"].to_numpy(), gap_table["gap_se"].to_numpy()
            best_gap = gap_table.attrs["best_k"]

        bic_values = np.full(len(ks), np.nan)
        if bic:
            from sklearn.mixture import GaussianMixture

            for i, k in enumerate(ks):
                mixture = GaussianMixture(n_components=int(k), random_state=_seed(rng)).fit(X)
                bic_values[i] = mixture.bic(X)

    table = pd.DataFrame({"k": ks, "inertia": inertia, "silhouette": silhouette,
                          "gap": gap_values, "gap_se": gap_se, "bic": bic_values})
    table.attrs["best"] = {
        "elbow": find_elbow(ks, inertia) if len(ks) >= 3 else None,
        "silhouette": None if np.isnan(silhouette).all() else int(ks[np.nanargmax(silhouette)]),
        "gap": best_gap,
        "bic": int(ks[np.argmin(bic_values)]) if bic else None,
    }
    return table

"""Clustering with side information, and on the globe (notebook 07, "open problems"):
:func:`seeded_kmeans` (a few labelled points start, or pin, the centres),
:func:`constrained_kmeans` (COP-K-means: must-link / cannot-link pairs),
:func:`weighted_kmeans` (``sample_weight``) and :func:`haversine_dbscan` (latitude and
longitude, ``eps`` in km). The three K-means share one Lloyd loop; only the assignment differs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from deepclust_lab import _checks

__all__ = ["EARTH_RADIUS_KM", "constrained_kmeans", "haversine_dbscan", "seeded_kmeans",
           "weighted_kmeans"]

#: The mean radius of the Earth, in km: an angle of ``d / EARTH_RADIUS_KM`` radians is ``d`` km.
EARTH_RADIUS_KM = 6371.0088
RandomStateLike = int | np.random.Generator | np.random.RandomState | None
Result = tuple[np.ndarray, np.ndarray]
_MAX_ITER = 300  # Lloyd iterations; the labels stop changing long before on these data


# ---- Private steps: they trust their inputs, checked by the public functions below. ------------
def _squared_distances(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """``||x - c||²`` for every sample and centre, shape (n_samples, n_clusters)."""
    return ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)


def _complete_centers(X, centers, missing, weights, rng) -> np.ndarray:
    """Fill the rows ``missing`` of ``centers`` by k-means++: a sample is drawn with a
    probability proportional to its weight times its squared distance to the nearest centre."""
    centers, chosen = centers.copy(), ~missing
    for j in np.flatnonzero(missing):
        d2 = weights * (_squared_distances(X, centers[chosen]).min(axis=1) if chosen.any() else 1)
        total = d2.sum()
        centers[j] = X[rng.choice(len(X), p=d2 / total if total > 0 else None)]
        chosen[j] = True
    return centers


def _lloyd(X, centers, weights, assign: Callable) -> tuple[np.ndarray, np.ndarray, float]:
    """Alternate ``assign(squared distances) -> labels`` and weighted means until the labels
    repeat; return labels, centres and the weighted inertia. An empty cluster keeps its centre."""
    labels = None
    for _ in range(_MAX_ITER):
        new_labels = assign(_squared_distances(X, centers))
        if labels is not None and np.array_equal(new_labels, labels):
            break
        labels = new_labels
        member = (labels[:, None] == np.arange(len(centers))) * weights[:, None]  # (n, k)
        mass = member.sum(axis=0)
        means = (member.T @ X) / np.maximum(mass, 1e-300)[:, None]
        centers = np.where(mass[:, None] > 0, means, centers)
    inertia = float((weights * ((X - centers[labels]) ** 2).sum(axis=1)).sum())
    return labels, centers, inertia


def _check_X(X: Any, n_clusters: Any) -> tuple[np.ndarray, int]:
    X = _checks.as_float_matrix(X).astype(np.float64)
    k = _checks.check_n_clusters(n_clusters, X.shape[0])
    _checks.check_distinct_rows(X, k)  # the kit's methods all refuse fewer points than clusters
    return X, k


def _check_sample_weight(sample_weight: Any, n_samples: int) -> np.ndarray:
    arr = np.asarray(sample_weight)
    if arr.ndim != 1 or len(arr) != n_samples:
        raise ValueError(f"sample_weight must have one weight per sample ({n_samples}), got "
                         f"shape {arr.shape}")
    w = _checks.as_float_matrix(arr[:, None], "sample_weight")[:, 0]
    if (w < 0).any():
        raise ValueError(f"sample_weight must be >= 0, got {int((w < 0).sum())} negative "
                         f"weight(s) such as {w[w < 0][0]:g}")
    if not (w > 0).any():
        raise ValueError("sample_weight must have at least one positive weight, got all zeros")
    return w.astype(np.float64)


def _check_pairs(pairs: Any, name: str, n_samples: int) -> np.ndarray:
    arr = np.asarray(pairs if len(pairs) else np.zeros((0, 2), int))
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be pairs of sample indices (integers), got dtype {arr.dtype}")
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{name} must be a list of (i, j) pairs, got shape {arr.shape}")
    if (bad := arr[(arr < 0) | (arr >= n_samples)]).size:
        raise ValueError(f"{name} names sample {bad[0]}, but X has samples 0 to {n_samples - 1}")
    return arr.astype(np.intp)


# ---- Public functions -------------------------------------------------------------------------
def weighted_kmeans(X: Any, n_clusters: int, sample_weight: Any, *, n_init: int = 10,
                    random_state: RandomStateLike = 0) -> Result:
    """K-means in which sample ``i`` counts ``sample_weight[i]`` times (best of ``n_init`` starts).

    A weight of 0 leaves a sample out of the centres (it still gets a label). Returns
    ``labels`` (n_samples,) and ``centers`` (n_clusters, n_features), as the others here do.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> labels, centers = weighted_kmeans(X, 2, [1, 3, 1, 1])
    >>> labels.tolist(), centers.ravel().tolist()
    ([0, 0, 1, 1], [0.75, 10.5])
    """
    X, k = _check_X(X, n_clusters)
    w = _check_sample_weight(sample_weight, X.shape[0])
    n_init = _checks.check_int(n_init, "n_init", low=1)
    rng = _checks.check_random_state(random_state)
    runs = [_lloyd(X, _complete_centers(X, np.zeros((k, X.shape[1])), np.ones(k, bool), w, rng),
                   w, lambda d2: d2.argmin(axis=1)) for _ in range(n_init)]
    labels, centers, _ = min(runs, key=lambda run: run[2])
    return labels, centers


def seeded_kmeans(X: Any, n_clusters: int, seed_labels: Any, *, pin: bool = False,
                  random_state: RandomStateLike = 0) -> Result:
    """Seeded K-means: the centre of cluster ``j`` starts at the mean of the samples labelled ``j``.

    ``seed_labels`` holds a cluster in ``0 .. n_clusters - 1`` for the labelled samples and -1
    for the others; a cluster with no labelled sample starts by k-means++. ``pin`` keeps the
    labelled samples in their clusters instead of only starting from them.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0], [9.0], [10.0]])
    >>> seeded_kmeans(X, 2, [0, -1, -1, -1, 1])[0].tolist()
    [0, 0, 0, 1, 1]
    >>> seeded_kmeans(X, 2, [0, -1, 1, -1, -1], pin=True)[0].tolist()
    [0, 0, 1, 1, 1]
    """
    X, k = _check_X(X, n_clusters)
    seeds = _checks.check_labels(seed_labels, "seed_labels", n_samples=X.shape[0])
    if seeds.dtype.kind not in "iu":
        raise TypeError(f"seed_labels must be integers (-1 for unlabelled), got {seeds.dtype}")
    if (bad := seeds[(seeds < -1) | (seeds >= k)]).size:
        raise ValueError(f"seed_labels must be -1 (unlabelled) or a cluster 0 to {k - 1}, got "
                         f"{bad[0]}")
    if not isinstance(pin, bool | np.bool_):
        raise TypeError(f"pin must be True or False, got {pin!r}")
    rng = _checks.check_random_state(random_state)
    seeded = (seeds[:, None] == np.arange(k)).astype(float)  # one-hot, no row for -1
    counts = seeded.sum(axis=0)
    centers = _complete_centers(X, (seeded.T @ X) / np.maximum(counts, 1)[:, None], counts == 0,
                                np.ones(X.shape[0]), rng)
    fixed = seeds if pin else np.full(X.shape[0], -1)
    labels, centers, _ = _lloyd(X, centers, np.ones(X.shape[0]),
                                lambda d2: np.where(fixed >= 0, fixed, d2.argmin(axis=1)))
    return labels, centers


def _cop_assigner(groups: np.ndarray, n_groups: int, cannot: np.ndarray) -> Callable:
    """COP-K-means' assignment: each must-link group goes to its nearest cluster (summed over
    its members) that holds no group it cannot link with. The groups with cannot-links are
    placed one by one, always the one with the fewest clusters left first (as in DSatur)."""
    neighbours: dict[int, list[int]] = {}
    for a, b in np.vstack([cannot, cannot[:, ::-1]]).tolist():
        neighbours.setdefault(a, []).append(b)

    def assign(d2: np.ndarray) -> np.ndarray:
        cost = np.zeros((n_groups, d2.shape[1]))
        np.add.at(cost, groups, d2)
        group_labels, todo = cost.argmin(axis=1), set(neighbours)
        banned: dict[int, set] = {g: set() for g in neighbours}  # clusters a group cannot join
        while todo:
            g = max(todo, key=lambda h: (len(banned[h]), len(neighbours[h]), -h))
            allowed = [c for c in np.argsort(cost[g], kind="stable") if c not in banned[g]]
            if not allowed:
                raise ValueError(f"cannot_link: sample {int(np.flatnonzero(groups == g)[0])} "
                                 f"cannot join any of the {d2.shape[1]} clusters without breaking "
                                 "a pair; use more clusters or fewer cannot-link pairs")
            group_labels[g] = allowed[0]
            todo.remove(g)
            for h in neighbours[g]:
                banned[h].add(allowed[0])
        return group_labels[groups]

    return assign


def constrained_kmeans(X: Any, n_clusters: int, *, must_link: Any = (), cannot_link: Any = (),
                       random_state: RandomStateLike = 0) -> Result:
    """COP-K-means (Wagstaff et al., 2001): K-means that keeps every must-link pair (of sample
    indices) together and every cannot-link pair apart.

    Must-link pairs are first joined into groups (if a-b and b-c must link, so must a-c), each
    assigned as one unit. Centres start by k-means++.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [5.0], [6.0]])
    >>> constrained_kmeans(X, 2, must_link=[(1, 2)], cannot_link=[(0, 1)])[0].tolist()
    [1, 0, 0, 0]
    """
    X, k = _check_X(X, n_clusters)
    n = X.shape[0]
    must = _check_pairs(must_link, "must_link", n)
    cannot = _check_pairs(cannot_link, "cannot_link", n)
    links = coo_matrix((np.ones(len(must)), (must[:, 0], must[:, 1])), shape=(n, n))
    n_groups, groups = connected_components(links, directed=False)
    cannot_groups = groups[cannot]  # the pairs, as pairs of must-link groups
    if (clash := cannot[cannot_groups[:, 0] == cannot_groups[:, 1]]).size:
        raise ValueError(f"cannot_link pair {tuple(clash[0].tolist())} must also link (through "
                         "must_link, or i == j): no clustering can satisfy both")
    rng = _checks.check_random_state(random_state)
    centers = _complete_centers(X, np.zeros((k, X.shape[1])), np.ones(k, bool), np.ones(n), rng)
    assign = _cop_assigner(groups, n_groups, cannot_groups)
    labels, centers, _ = _lloyd(X, centers, np.ones(n), assign)
    return labels, centers


def haversine_dbscan(latlon_degrees: Any, eps_km: float, min_samples: int = 5) -> np.ndarray:
    """DBSCAN on the sphere: points within ``eps_km`` kilometres (great-circle) are neighbours.

    ``latlon_degrees`` holds latitude (-90 to 90) and longitude (-180 to 180) in degrees, in
    that order; DBSCAN gets ``eps_km / EARTH_RADIUS_KM`` radians. Returns each point's cluster,
    -1 for noise.

    Examples
    --------
    >>> points = [[48.85, 2.35], [48.86, 2.34], [48.84, 2.36], [51.51, -0.13]]
    >>> haversine_dbscan(points, eps_km=5, min_samples=2).tolist()
    [0, 0, 0, -1]
    """
    from sklearn.cluster import DBSCAN

    latlon = _checks.as_float_matrix(latlon_degrees, "latlon_degrees").astype(np.float64)
    if latlon.shape[1] != 2:
        raise ValueError("latlon_degrees must have 2 columns (latitude, longitude), got "
                         f"{latlon.shape[1]}")
    for column, name, limit in ((0, "latitude", 90), (1, "longitude", 180)):
        if (bad := np.abs(latlon[:, column]) > limit).any():
            raise ValueError(f"latlon_degrees: {name} must lie in [-{limit}, {limit}] degrees, got "
                             f"{latlon[bad, column][0]:g} (row {int(np.flatnonzero(bad)[0])}); "
                             "is the order (latitude, longitude)?")
    eps = _checks.check_float(eps_km, "eps_km", low=0.0, low_inclusive=False) / EARTH_RADIUS_KM
    min_samples = _checks.check_int(min_samples, "min_samples", low=1)
    model = DBSCAN(eps=eps, min_samples=min_samples, metric="haversine", algorithm="ball_tree")
    return model.fit_predict(np.radians(latlon))

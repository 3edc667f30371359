"""The manifold step: neighbour graphs, UMAP, a Gaussian mixture, and the kit's recipe.

**N2D** (McConville et al. 2020) embeds autoencoder codes with UMAP (``min_dist=0`` packs each
cluster tightly) and fits a Gaussian mixture with one component per cluster
(:func:`n2d_cluster`).

**The kit's recipe** (``DeepClusterer(method="manifold")``, the default) keeps that idea and
changes what the neighbours are:

1. *Neighbours that ignore small moves.* For images, the distance from image ``i`` to image
   ``j`` is the smallest distance between ``i`` and ``j`` or a slightly shifted or rotated
   copy of ``j`` (:func:`invariant_neighbours`): a 4 drawn a pixel further left is still a
   close neighbour of the other 4s. UMAP turns the nearest neighbours into a fuzzy graph
   (:func:`neighbour_graph`).
2. *Two views, the edges they agree on.* One graph from the pixels, one from the autoencoder's
   codes, and only the links both hold (:func:`fuse_graphs`, a fuzzy intersection). Each view
   makes its own mistakes; a wrong neighbour rarely looks right to both. For data that are not
   images, the front-end whose clusters reproduce best is kept instead (:func:`stability`).
3. *Over-segment, then merge.* UMAP lays the graph out in 10-D (:func:`umap_layout`); a mixture
   with ``2k`` components is merged greedily down to ``k`` by modularity on the same graph
   (:func:`merge_by_modularity`; Clauset, Newman & Moore 2004), so a cluster the mixture split
   in two is joined again. Of a few mixture starts, the one that agrees most with the others
   wins (:func:`consensus_index`).

Nothing here is ``n x n``: a graph has about ``n * n_neighbors`` edges, the merge works on
``(2k) x (2k)`` cluster sums, and the moved copies are made one at a time. Measurements:
``benchmarks/results/``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "consensus_index",
    "fuse_graphs",
    "invariant_neighbours",
    "merge_by_modularity",
    "modularity",
    "n2d_cluster",
    "neighbour_graph",
    "overcluster_candidates",
    "stability",
    "umap_embed",
    "umap_layout",
]


def umap_embed(
    Z: np.ndarray, *, n_neighbors: int = 30, n_components: int = 10, random_state: int = 0
) -> tuple[np.ndarray, Any]:
    """UMAP coordinates of ``Z`` (``min_dist=0``) and UMAP's symmetric fuzzy kNN graph (CSR)."""
    import umap  # lazily: its first use in a process compiles, unless _cache has kept it

    from deepclust_lab._cache import cache_umap

    cache_umap()

    reducer = umap.UMAP(
        n_components=min(n_components, Z.shape[0] - 2), n_neighbors=min(n_neighbors, Z.shape[0] - 1),
        min_dist=0.0, random_state=random_state, n_jobs=1,
    )
    E = np.asarray(reducer.fit_transform(Z), dtype=np.float32)
    return E, reducer.graph_.tocsr()


def _merge_neighbours(dist: np.ndarray, idx: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` closest distinct neighbours of each row among candidate lists side by side."""
    order = np.argsort(dist, axis=1, kind="stable")
    dist, idx = np.take_along_axis(dist, order, 1), np.take_along_axis(idx, order, 1)
    by_index = np.argsort(idx, axis=1, kind="stable")  # the closest of each index comes first
    sorted_idx = np.take_along_axis(idx, by_index, 1)
    repeat = np.zeros(idx.shape, dtype=bool)
    repeat[:, 1:] = sorted_idx[:, 1:] == sorted_idx[:, :-1]
    np.put_along_axis(dist, by_index, np.where(repeat, np.inf, np.take_along_axis(dist, by_index, 1)), 1)
    keep = np.argsort(dist, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(idx, keep, 1), np.take_along_axis(dist, keep, 1)


def invariant_neighbours(
    Z: np.ndarray, moved: Iterable[np.ndarray], n_neighbors: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest neighbours of each row of ``Z`` when a small move does not count as a difference.

    ``moved`` yields copies of ``Z`` (row ``j`` of a copy is sample ``j`` moved a little: the
    pixels or the codes of a shifted and rotated image). The distance from sample ``i`` to
    sample ``j`` is the smallest distance between ``Z[i]`` and ``Z[j]`` or a copy of ``Z[j]``:
    a 4 drawn a pixel further left is still next to the other 4s. One copy is searched at a
    time, so memory stays that of ``Z``.

    Returns ``(indices, distances)`` of shape ``(n_samples, n_neighbors)``, each sample first
    (at distance 0), nearest first, as :func:`neighbour_graph` takes them.

    Examples
    --------
    >>> Z = np.array([[0.0], [1.0], [5.0]])
    >>> moved = [Z + 4.0]  # sample 1 moved lands on sample 2
    >>> invariant_neighbours(Z, moved, n_neighbors=2)[0]
    array([[0, 1],
           [1, 0],
           [2, 1]])
    """
    from sklearn.neighbors import NearestNeighbors

    k = min(n_neighbors, len(Z))
    dist, idx = NearestNeighbors(n_neighbors=k).fit(Z).kneighbors(Z)
    for copy in moved:  # how close each sample comes to the moved samples
        d, i = NearestNeighbors(n_neighbors=k).fit(copy).kneighbors(Z)
        idx, dist = _merge_neighbours(np.hstack([dist, d]), np.hstack([idx, i]), k)
    return idx, dist.astype(np.float32)


def neighbour_graph(
    Z: np.ndarray, n_neighbors: int = 30, *, moved: Iterable[np.ndarray] | None = None,
    random_state: int = 0,
) -> Any:
    """UMAP's fuzzy graph (symmetric, CSR) of each sample's ``n_neighbors`` nearest samples;
    with ``moved`` copies, of its :func:`invariant_neighbours`."""
    import umap.umap_ as U

    from deepclust_lab._cache import cache_umap

    cache_umap()
    idx, dist = invariant_neighbours(Z, moved or (), n_neighbors)
    graph = U.fuzzy_simplicial_set(Z, idx.shape[1], random_state, "euclidean",
                                   knn_indices=idx, knn_dists=dist)[0]
    return graph.tocsr()


def fuse_graphs(first: Any, second: Any) -> Any:
    """The links two fuzzy graphs agree on: UMAP's fuzzy intersection. An edge gets the product
    of its two memberships, so one that only one graph holds gets very little; then each
    sample's strongest link is scaled back to 1, so none is left without neighbours."""
    import umap.umap_ as U

    both = U.general_simplicial_set_intersection(first, second, 0.5)
    return U.reset_local_connectivity(both, True).tocsr()


def umap_layout(graph: Any, n_components: int = 10, *, data: np.ndarray | None = None,
                random_state: int = 0) -> np.ndarray:
    """UMAP's coordinates of a fuzzy graph (``min_dist=0``, 200 epochs), started from the
    graph's spectral layout. A graph in several pieces needs ``data`` (rows of the graph's
    samples) to place the pieces; without it the start is random."""
    import umap.umap_ as U
    from scipy.sparse.csgraph import connected_components

    from deepclust_lab._cache import cache_umap

    cache_umap()
    n = graph.shape[0]
    n_components = min(n_components, n - 2)
    a, b = U.find_ab_params(1.0, 0.0)
    spectral = n > n_components + 1 and (data is not None or connected_components(graph)[0] == 1)
    E, _ = U.simplicial_set_embedding(
        data, graph, n_components, 1.0, a, b, 1.0, 5, 200, "spectral" if spectral else "random",
        np.random.RandomState(random_state), "euclidean", {}, False, {}, False,
    )
    return np.asarray(E, dtype=np.float32)


def _membership(labels: np.ndarray, k: int) -> Any:
    import scipy.sparse as sp

    n = len(labels)
    return sp.csr_matrix((np.ones(n), (np.arange(n), labels)), shape=(n, k))


def modularity(graph: Any, labels: np.ndarray) -> float:
    """Newman's modularity ``Q = sum_c (e_cc - a_c^2)`` of ``labels`` on a weighted graph.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> two_pairs = sp.csr_matrix(np.array([[0, 1, 0, 0], [1, 0, 0, 0],
    ...                                     [0, 0, 0, 1], [0, 0, 1, 0]], dtype=float))
    >>> modularity(two_pairs, np.array([0, 0, 1, 1]))
    0.5
    """
    member = _membership(labels, int(labels.max()) + 1)
    total = graph.sum()
    within = (member.T @ graph @ member).diagonal().sum() / total
    degree = member.T @ np.asarray(graph.sum(axis=1)).ravel() / total
    return float(within - np.sum(degree**2))


def merge_by_modularity(graph: Any, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """Merge clusters, always the pair whose union raises modularity most, until ``n_clusters``
    remain. Works on cluster-level sums: ``O(edges + K^3)`` for ``K`` starting clusters."""
    _, labels = np.unique(labels, return_inverse=True)
    kk = int(labels.max()) + 1
    member = _membership(labels, kk)
    total = graph.sum()
    between = np.asarray((member.T @ graph @ member).todense()) / total  # e_ij
    degree = member.T @ np.asarray(graph.sum(axis=1)).ravel() / total  # a_i
    owner = np.arange(kk)  # the cluster each starting cluster has been merged into
    alive = list(range(kk))
    while len(alive) > n_clusters:
        gain = between[np.ix_(alive, alive)] - np.outer(degree[alive], degree[alive])
        np.fill_diagonal(gain, -np.inf)
        a, b = np.unravel_index(np.argmax(gain), gain.shape)
        i, j = alive[a], alive[b]
        between[i, :] += between[j, :]
        between[:, i] += between[:, j]
        degree[i] += degree[j]
        owner[owner == j] = i
        alive.remove(j)
    _, final = np.unique(owner, return_inverse=True)
    return final[labels]


def overcluster_candidates(
    E: np.ndarray, graph: Any, n_clusters: int, *, n_inits: int = 3, random_state: int = 0
) -> list[np.ndarray]:
    """``n_inits`` labelings of ``E``: a ``2k``-component Gaussian mixture, each merged down to
    ``n_clusters`` by :func:`merge_by_modularity` on ``graph``."""
    from sklearn.mixture import GaussianMixture

    n_components = min(2 * n_clusters, len(E))
    out = []
    for init in range(n_inits):
        gmm = GaussianMixture(n_components, covariance_type="full", reg_covar=1e-5,
                              random_state=random_state + init)
        out.append(merge_by_modularity(graph, gmm.fit(E).predict(E), n_clusters).astype(np.int64))
    return out


def _agreement(candidates: Sequence[np.ndarray]) -> np.ndarray:
    """Matrix of pairwise ARIs (1 on the diagonal)."""
    from sklearn.metrics import adjusted_rand_score

    m = len(candidates)
    A = np.ones((m, m))
    for i in range(m):
        for j in range(i + 1, m):
            A[i, j] = A[j, i] = adjusted_rand_score(candidates[i], candidates[j])
    return A


def stability(candidates: Sequence[np.ndarray]) -> float:
    """Mean pairwise ARI of several labelings of the same data (1.0: all identical).

    Examples
    --------
    >>> stability([np.array([0, 0, 1, 1]), np.array([1, 1, 0, 0])])
    1.0
    """
    A = _agreement(candidates)
    m = len(candidates)
    return float((A.sum() - m) / (m * (m - 1))) if m > 1 else 1.0


def consensus_index(candidates: Sequence[np.ndarray]) -> int:
    """Index of the labeling with the highest mean ARI to the others (the medoid)."""
    return int(np.argmax(_agreement(candidates).sum(axis=1)))


def n2d_cluster(
    Z: np.ndarray, n_clusters: int, *, n_neighbors: int = 20, random_state: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """N2D's manifold step: UMAP to ``n_clusters`` dimensions, then a Gaussian mixture with
    ``n_clusters`` full-covariance components. Returns ``(labels, umap_coordinates)``.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> X, y = make_blobs(300, n_features=5, centers=3, random_state=0)
    >>> labels, E = n2d_cluster(X, 3)  # doctest: +SKIP
    """
    from sklearn.mixture import GaussianMixture

    E, _ = umap_embed(Z, n_neighbors=n_neighbors, n_components=n_clusters,
                      random_state=random_state)
    gmm = GaussianMixture(n_clusters, covariance_type="full", random_state=random_state).fit(E)
    return gmm.predict(E).astype(np.int64), E

"""The manifold step: UMAP, a Gaussian mixture, and the kit's recipe built on them.

**N2D** (McConville et al. 2020) embeds autoencoder codes with UMAP (``min_dist=0`` packs each
cluster tightly) and fits a Gaussian mixture with one component per cluster.

**The kit's recipe** (``DeepClusterer(method="manifold")``, the default) keeps that idea and
makes three choices from the data itself, never from labels:

1. *Over-segment, then merge.* A mixture with ``2k`` components on the UMAP coordinates, merged
   greedily down to ``k`` by modularity on UMAP's fuzzy neighbour graph
   (:func:`merge_by_modularity`; Clauset, Newman & Moore 2004). A cluster that the mixture split
   in two is joined again, because the two halves share many graph edges.
2. *Trust what reproduces.* Each front-end (raw features, autoencoder codes) gets a few mixture
   initialisations; its :func:`stability` is their mean pairwise ARI. The more stable front-end
   wins — the autoencoder only by a margin (``recipes.RAW_MARGIN``), since a network must earn
   its place — and of its candidates the one that agrees most with the others
   (:func:`consensus_index`), so one lucky or unlucky initialisation never decides alone.
3. *Self-train on images.* On images wide enough to augment (14 px and up), a small CNN learns
   the chosen labels from randomly shifted and rotated copies (:func:`self_train`); its
   predictions are the final labels. On 8x8 digits one pixel is too large a move, and both the
   augmentation and the self-training stay off.

Nothing here is ``n x n``: the graph has about ``n * n_neighbors`` edges and the merge works on
``(2k) x (2k)`` cluster sums. Measurements: ``benchmarks/results/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "consensus_index",
    "merge_by_modularity",
    "modularity",
    "n2d_cluster",
    "overcluster_candidates",
    "self_train",
    "stability",
    "umap_embed",
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


def self_train(
    X: np.ndarray,
    labels: np.ndarray,
    image_shape: tuple[int, int],
    *,
    epochs: int = 8,
    batch_size: int = 128,
    random_state: int = 0,
) -> np.ndarray:
    """Labels predicted by a small CNN trained on ``labels`` from augmented copies of ``X``.

    Each epoch sees every image randomly shifted and rotated
    (:func:`~deepclust_lab.autoencoder.augment_images` with the kit's default strength for the
    image size), so the network learns what stays the same under small moves; where the
    clustering made scattered mistakes, the network's prediction on the clean image
    disagrees with them.
    """
    import keras

    from deepclust_lab.images import augmentation_for
    from deepclust_lab.training import predict_batched

    h, w = image_shape
    k = int(labels.max()) + 1
    keras.utils.set_random_seed(random_state)
    net = keras.Sequential([
        keras.Input((h * w,)),
        keras.layers.Reshape((h, w, 1)),
        keras.layers.Conv2D(32, 3, strides=2 if h > 16 else 1, padding="same", activation="relu"),
        keras.layers.MaxPooling2D() if h > 8 else keras.layers.Identity(),
        keras.layers.Conv2D(64, 3, strides=2, padding="same", activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(k, activation="softmax"),
    ], name="self_training_cnn")
    net.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    augment = augmentation_for(image_shape)
    rng = np.random.default_rng(random_state)
    for _ in range(epochs):  # fresh random moves every epoch
        net.fit(augment(X, rng), labels, epochs=1, batch_size=batch_size, verbose=0, shuffle=True)
    return predict_batched(net, X).argmax(axis=1).astype(np.int64)


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

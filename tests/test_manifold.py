"""Tests for deepclust_lab.manifold (the recipe's pieces) and the image helpers it relies on."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from deepclust_lab.autoencoder import (
    augment_images,
    augmentation_for,
    infer_image_shape,
    pixel_correlation,
)
from deepclust_lab.manifold import (
    consensus_index,
    fuse_graphs,
    invariant_neighbours,
    merge_by_modularity,
    modularity,
    neighbour_graph,
    overcluster_candidates,
    stability,
    umap_layout,
)


@pytest.mark.parametrize(
    "name",
    ["autoencoder", "dec", "images", "manifold", "training", "pipeline", "recipes", "saving",
     "stability"],
)
def test_docstring_examples(name):
    module = importlib.import_module(f"deepclust_lab.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_stability_and_consensus_pick_the_labeling_the_others_agree_with():
    truth = np.repeat([0, 1, 2], 20)
    renamed = (truth + 1) % 3  # the same partition under other names
    noisy = truth.copy()
    noisy[:8] = 2
    odd = np.tile([0, 1, 2], 20)  # unrelated to the rest
    assert stability([truth, renamed]) == pytest.approx(1.0)
    assert stability([truth, odd]) < 0.1
    assert consensus_index([odd, noisy, truth, renamed]) in (2, 3)


def test_modularity_merge_joins_the_halves_of_a_split_cluster():
    X, y = make_blobs(300, centers=3, cluster_std=0.5, random_state=0)
    from sklearn.neighbors import kneighbors_graph

    graph = kneighbors_graph(X, 10, include_self=False)
    graph = ((graph + graph.T) > 0).astype(float).tocsr()
    halves = y * 2 + (X[:, 0] > np.median(X[:, 0])).astype(int)  # each blob cut in two
    merged = merge_by_modularity(graph, halves, 3)
    assert adjusted_rand_score(y, merged) == pytest.approx(1.0)
    assert modularity(graph, merged) > 0.6  # few edges cross the blobs
    E = X.astype(np.float32)
    found = overcluster_candidates(E, graph, 3, n_inits=2, random_state=0)
    assert len(found) == 2 and all(adjusted_rand_score(y, f) > 0.95 for f in found)


def test_merge_handles_a_graph_without_edges_between_clusters():
    blocks = sp.block_diag([np.ones((4, 4))] * 2).tocsr()
    np.testing.assert_array_equal(merge_by_modularity(blocks, np.arange(8) // 2, 2),
                                  np.repeat([0, 1], 4))


def test_images_are_told_from_tables_by_their_pixels():
    from sklearn.datasets import load_digits

    digits = load_digits().data
    assert infer_image_shape(64) == (8, 8) and infer_image_shape(49) is None  # 7 px: too small
    assert infer_image_shape(60) is None
    assert pixel_correlation(digits, (8, 8)) > 0.3
    shuffled = digits[:, np.random.default_rng(1).permutation(64)]
    assert abs(pixel_correlation(shuffled, (8, 8))) < 0.05
    assert pixel_correlation(np.zeros((20, 64)), (8, 8)) == 0.0  # constant data: no evidence


def test_default_augmentation_scales_with_the_image():
    rng = np.random.default_rng(0)
    X = rng.random((50, 64)).astype(np.float32)
    small = augmentation_for((8, 8))(X, np.random.default_rng(0))
    assert small.shape == X.shape and small.dtype == np.float32
    img = np.zeros((400, 28, 28), np.float32)
    img[:, 14, 14] = 1.0
    moved = augment_images(img.reshape(400, -1), (28, 28), max_shift=2, random_state=0)
    rows, cols = np.nonzero(moved.reshape(400, 28, 28))[1:]
    assert set(rows) == set(range(12, 17)) and set(cols) == set(range(12, 17))
    turned = augment_images(img.reshape(400, -1), (28, 28), max_shift=0, max_rotation=10,
                            random_state=0)
    peak = np.unravel_index(turned.argmax(axis=1), (28, 28))
    assert np.abs(np.stack(peak) - 14).max() <= 1  # a pixel by the centre stays by the centre
    np.testing.assert_allclose(turned.sum(axis=1), 1.0, atol=0.01)


def test_invariant_neighbours_find_a_moved_twin_and_match_brute_force():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(200, 6))
    moved = [Z + rng.normal(scale=0.5, size=Z.shape) for _ in range(3)]
    idx, dist = invariant_neighbours(Z, iter(moved), n_neighbors=5)
    assert idx.shape == dist.shape == (200, 5) and dist.dtype == np.float32
    np.testing.assert_array_equal(idx[:, 0], np.arange(200))  # each sample first
    assert (np.diff(dist, axis=1) >= 0).all()
    assert all(len(set(row)) == 5 for row in idx)  # distinct neighbours
    # brute force: d(i, j) = min over Z[j] and its copies of the distance to Z[i]
    copies = np.stack([Z, *moved])
    full = np.sqrt(((Z[None, :, None, :] - copies[:, None, :, :]) ** 2).sum(-1)).min(axis=0)
    full[np.arange(200), np.arange(200)] = 0.0
    np.testing.assert_allclose(dist, np.sort(full, axis=1)[:, :5], rtol=1e-5, atol=1e-6)
    # a sample that a moved copy of another lands on has that one as its nearest neighbour
    far = Z + 1e3
    far[150] = Z[0]
    idx2, dist2 = invariant_neighbours(Z, [far], n_neighbors=3)
    assert idx2[0, 1] == 150 and dist2[0, 1] == pytest.approx(0.0, abs=1e-6)


def test_fused_graph_keeps_the_links_both_views_share():
    X, y = make_blobs(300, centers=3, cluster_std=0.6, random_state=0)
    noise = np.random.default_rng(0).normal(size=(300, 2))  # a second view with no structure
    clean, other = neighbour_graph(X, 15), neighbour_graph(np.hstack([X, noise * 3]), 15)
    fused = fuse_graphs(clean, other)
    assert fused.shape == (300, 300) and abs(fused - fused.T).max() < 1e-6  # symmetric

    def within(graph):  # the share of the graph's weight on links inside a blob
        rows, cols = graph.nonzero()
        weights = np.asarray(graph[rows, cols]).ravel()
        return weights[y[rows] == y[cols]].sum() / weights.sum()

    assert within(other) < 0.99 and within(fused) > within(other)
    shared = np.asarray((clean.multiply(other) > 0)[fused.nonzero()]).ravel()
    weights = np.asarray(fused[fused.nonzero()]).ravel()
    assert weights[shared].mean() > 4 * weights[~shared].mean()  # a link both hold counts most
    E = umap_layout(fused, 4, random_state=0)
    assert E.shape == (300, 4) and E.dtype == np.float32
    labels = overcluster_candidates(E, fused, 3, n_inits=1, random_state=0)[0]
    assert adjusted_rand_score(y, labels) > 0.95

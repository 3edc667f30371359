"""Tests for deepclust_lab.constraints: seeded, constrained (COP) and weighted K-means, and
haversine DBSCAN; real behaviour first, then the bad inputs each entry point refuses."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from deepclust_lab import KMeans, constraints
from deepclust_lab.constraints import (
    EARTH_RADIUS_KM,
    constrained_kmeans,
    haversine_dbscan,
    seeded_kmeans,
    weighted_kmeans,
)


def _grid_of_blobs():
    """Ten round blobs on a 5 x 2 grid: one k-means++ start sometimes merges two of them."""
    grid = np.array([[x, y] for x in range(0, 25, 5) for y in (0, 5)], dtype=float)
    return make_blobs(n_samples=1000, centers=grid, cluster_std=0.8, random_state=3)


def _anisotropic():
    X, y = make_blobs(n_samples=600, centers=3, random_state=170)
    return X @ np.array([[0.6, -0.64], [-0.41, 0.85]]), y


def _seeds(y, per_cluster, random_state=0):
    rng = np.random.default_rng(random_state)
    seeds = np.full(len(y), -1)
    for c in np.unique(y):
        seeds[rng.choice(np.flatnonzero(y == c), per_cluster, replace=False)] = c
    return seeds


def _city(lat, lon, n, spread_km, rng):
    north, east = rng.normal(0.0, spread_km, size=(2, n))
    km_per_degree = np.pi * EARTH_RADIUS_KM / 180
    return np.column_stack([lat + north / km_per_degree,
                            lon + east / (km_per_degree * np.cos(np.radians(lat)))])


def _great_circle_km(a, b):
    (lat1, lon1), (lat2, lon2) = np.radians(a), np.radians(b)
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h))


# --------------------------------------------------------------------------- seeded K-means
def test_seeds_recover_blobs_a_bad_start_merges():
    X, y = _grid_of_blobs()
    plain = KMeans(n_clusters=10, random_state=1).fit(X).labels_  # one k-means++ start
    assert adjusted_rand_score(y, plain) < 0.9
    for random_state in range(3):  # one labelled point per blob
        labels, centers = seeded_kmeans(X, 10, _seeds(y, 1, random_state))
        assert adjusted_rand_score(y, labels) > 0.99
        np.testing.assert_allclose(centers, [X[labels == j].mean(axis=0) for j in range(10)])


def test_pinned_seeds_stay_in_their_clusters_and_help_where_kmeans_errs():
    X, y = _anisotropic()  # sheared blobs: plain K-means cuts them across
    plain = KMeans(n_clusters=3, n_init=10, random_state=0).fit(X).labels_
    seeds = _seeds(y, 50)
    labels, _ = seeded_kmeans(X, 3, seeds, pin=True)
    np.testing.assert_array_equal(labels[seeds >= 0], seeds[seeds >= 0])
    assert adjusted_rand_score(y, labels) > adjusted_rand_score(y, plain) + 0.05


def test_unseeded_clusters_are_started_by_kmeans_plusplus():
    X, y = make_blobs(n_samples=300, centers=3, cluster_std=0.5, random_state=1)
    seeds = np.where(np.arange(300) == np.flatnonzero(y == 0)[0], 0, -1)  # one label only
    labels, _ = seeded_kmeans(X, 3, seeds)
    assert adjusted_rand_score(y, labels) > 0.99


def test_no_seeds_at_all_is_plain_kmeans_plus_plus():
    X, y = make_blobs(n_samples=300, centers=3, cluster_std=0.5, random_state=1)
    labels, centers = seeded_kmeans(X, 3, np.full(300, -1))
    assert adjusted_rand_score(y, labels) > 0.99
    assert centers.shape == (3, 2)


@pytest.mark.parametrize("pin", [False, True])
def test_same_seed_same_labels_and_different_seed_may_differ(pin):
    X, y = _anisotropic()
    seeds = _seeds(y, 2)
    first, _ = seeded_kmeans(X, 3, seeds, pin=pin, random_state=5)
    again, _ = seeded_kmeans(X, 3, seeds, pin=pin, random_state=5)
    np.testing.assert_array_equal(first, again)
    gen, _ = seeded_kmeans(X, 3, seeds, pin=pin, random_state=np.random.default_rng(0))
    assert gen.shape == (600,)


# --------------------------------------------------------------------------- COP-K-means
def test_must_link_pairs_end_together_and_cannot_link_pairs_apart():
    X, y = _anisotropic()
    plain = KMeans(n_clusters=3, n_init=10, random_state=0).fit(X).labels_
    pairs = np.random.default_rng(1).choice(len(X), size=(400, 2))
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    same = y[pairs[:, 0]] == y[pairs[:, 1]]
    labels, centers = constrained_kmeans(X, 3, must_link=pairs[same], cannot_link=pairs[~same])
    assert (labels[pairs[same, 0]] == labels[pairs[same, 1]]).all()
    assert (labels[pairs[~same, 0]] != labels[pairs[~same, 1]]).all()
    assert adjusted_rand_score(y, labels) > adjusted_rand_score(y, plain) + 0.05
    assert centers.shape == (3, 2)


def test_must_link_is_transitive():
    X = np.array([[0.0], [0.1], [5.0], [5.1], [10.0], [10.1]])
    labels, _ = constrained_kmeans(X, 3, must_link=[(0, 2), (2, 4)])
    assert labels[0] == labels[2] == labels[4]


def test_without_constraints_it_is_kmeans():
    X, _ = make_blobs(n_samples=300, centers=3, cluster_std=0.5, random_state=1)
    labels, _ = constrained_kmeans(X, 3)
    reference = SklearnKMeans(3, n_init=10, random_state=0).fit(X).labels_
    assert adjusted_rand_score(reference, labels) == pytest.approx(1.0)


def test_constrained_same_seed_same_labels():
    X, _ = _anisotropic()
    pairs = np.array([[0, 1], [2, 3], [4, 5], [6, 7]])
    runs = [constrained_kmeans(X, 3, cannot_link=pairs, random_state=4)[0] for _ in range(2)]
    np.testing.assert_array_equal(*runs)


def test_unsatisfiable_cannot_links_are_a_clear_error():
    X = np.array([[0.0], [1.0], [2.0]])
    with pytest.raises(ValueError, match="cannot join any of the 2 clusters"):
        constrained_kmeans(X, 2, cannot_link=[(0, 1), (1, 2), (0, 2)])


# --------------------------------------------------------------------------- weighted K-means
def test_weights_match_repeating_the_samples():
    X, _ = make_blobs(n_samples=60, centers=3, random_state=2)
    weights = np.random.default_rng(0).integers(1, 4, size=60)
    labels, centers = weighted_kmeans(X, 3, weights)
    repeated = SklearnKMeans(3, n_init=10, random_state=0).fit(np.repeat(X, weights, axis=0))
    order = np.argsort(centers[:, 0])
    np.testing.assert_allclose(centers[order],
                               repeated.cluster_centers_[np.argsort(repeated.cluster_centers_[:, 0])])
    assert adjusted_rand_score(labels, repeated.predict(X)) == pytest.approx(1.0)


def test_weights_give_small_clusters_a_centre():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1.0, size=(1000, 2)),
                   rng.normal(0, 0.3, size=(50, 2)) + np.array([4.0, 0.0]),
                   rng.normal(0, 0.3, size=(50, 2)) + np.array([0.0, 4.0])])
    y = np.repeat([0, 1, 2], [1000, 50, 50])
    _, plain = weighted_kmeans(X, 3, np.ones(len(X)))
    _, balanced = weighted_kmeans(X, 3, 1.0 / np.bincount(y)[y])
    for centre in ([4.0, 0.0], [0.0, 4.0]):
        assert np.linalg.norm(balanced - centre, axis=1).min() < 0.5
    assert max(np.linalg.norm(plain - c, axis=1).min() for c in ([4, 0], [0, 4])) > 0.5


def test_zero_weight_samples_do_not_move_the_centres():
    X = np.array([[0.0], [1.0], [10.0], [11.0], [100.0]])
    labels, centers = weighted_kmeans(X, 2, [1, 1, 1, 1, 0])
    np.testing.assert_allclose(np.sort(centers.ravel()), [0.5, 10.5])
    assert labels.shape == (5,)


# --------------------------------------------------------------------------- haversine DBSCAN
def test_haversine_dbscan_groups_points_within_eps_km_and_not_beyond():
    rng = np.random.default_rng(0)
    paris, lyon = _city(48.86, 2.35, 60, 2.0, rng), _city(45.76, 4.84, 60, 2.0, rng)
    labels = haversine_dbscan(np.vstack([paris, lyon]), eps_km=3.0, min_samples=5)
    assert len(set(labels[:60]) - {-1}) == 1 and len(set(labels[60:]) - {-1}) == 1
    assert set(labels[:60]).isdisjoint(set(labels[60:]) - {-1})
    assert (labels >= 0).mean() > 0.8


@pytest.mark.parametrize(("distance_km", "together"), [(9.0, True), (11.0, False)])
def test_two_points_are_neighbours_exactly_within_eps(distance_km, together):
    start = np.array([60.0, 10.0])  # at 60 degrees north, a degree of longitude is ~55.6 km
    km_per_degree_east = np.pi * EARTH_RADIUS_KM / 180 * np.cos(np.radians(60))
    east = start + np.array([0.0, distance_km / km_per_degree_east])
    assert _great_circle_km(start, east) == pytest.approx(distance_km, rel=1e-4)
    labels = haversine_dbscan([start, east], eps_km=10.0, min_samples=2)
    assert (labels.tolist() == [0, 0]) is together
    assert together or labels.tolist() == [-1, -1]


def test_longitude_wraps_around_the_date_line():
    labels = haversine_dbscan([[0.0, 179.99], [0.0, -179.99]], eps_km=5.0, min_samples=2)
    assert labels.tolist() == [0, 0]  # 2.2 km apart across the date line


# --------------------------------------------------------------------------- bad inputs
_X = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0], [6.0, 5.0]])

BAD_INPUTS = [
    (lambda: weighted_kmeans(_X, 2, [1.0, 1.0, 1.0]), ValueError,
     r"sample_weight must have one weight per sample \(4\), got shape \(3,\)"),
    (lambda: weighted_kmeans(_X, 2, [1.0, -2.0, 1.0, 1.0]), ValueError,
     "sample_weight must be >= 0, got 1 negative weight"),
    (lambda: weighted_kmeans(_X, 2, np.zeros(4)), ValueError, "at least one positive weight"),
    (lambda: weighted_kmeans(_X, 2, [1.0, np.nan, 1.0, 1.0]), ValueError,
     "sample_weight contains 1 NaN"),
    (lambda: weighted_kmeans(_X, 2, ["a", "b", "c", "d"]), TypeError,
     "sample_weight must contain numbers only"),
    (lambda: weighted_kmeans(_X, 2, None), ValueError, "one weight per sample"),
    (lambda: weighted_kmeans(_X, 2, np.ones(4), n_init=0), ValueError, "n_init must be >= 1"),
    (lambda: weighted_kmeans(_X, 5, np.ones(4)), ValueError,
     "n_clusters=5 is larger than the number of samples"),
    (lambda: weighted_kmeans(_X, 2, np.ones(4), random_state="x"), TypeError, "random_state"),
    (lambda: weighted_kmeans(np.zeros((4, 2)), 2, np.ones(4)), ValueError,
     "X has only 1 distinct points but n_clusters=2"),
    (lambda: constrained_kmeans(np.ones((3, 1)), 2), ValueError, "only 1 distinct points"),
    (lambda: seeded_kmeans(_X, 2, [0, 0, 1]), ValueError, "seed_labels has 3 entries"),
    (lambda: seeded_kmeans(_X, 2, [0, 0, 2, -1]), ValueError,
     r"seed_labels must be -1 \(unlabelled\) or a cluster 0 to 1, got 2"),
    (lambda: seeded_kmeans(_X, 2, [0, -2, 1, -1]), ValueError, "got -2"),
    (lambda: seeded_kmeans(_X, 2, ["a", "b", "a", "b"]), TypeError, "seed_labels must be integers"),
    (lambda: seeded_kmeans(_X, 2, [0, 0, 1, 1], pin="yes"), TypeError, "pin must be True or False"),
    (lambda: seeded_kmeans(_X[:, 0], 2, [0, 0, 1, 1]), ValueError, "X must be 2-D"),
    (lambda: constrained_kmeans(_X, 2, must_link=[(0, 4)]), ValueError,
     "must_link names sample 4, but X has samples 0 to 3"),
    (lambda: constrained_kmeans(_X, 2, cannot_link=[(-1, 2)]), ValueError,
     "cannot_link names sample -1"),
    (lambda: constrained_kmeans(_X, 2, must_link=[(0, 1, 2)]), ValueError,
     r"must_link must be a list of \(i, j\) pairs"),
    (lambda: constrained_kmeans(_X, 2, must_link=[(0.5, 1.0)]), TypeError,
     "must_link must be pairs of sample indices"),
    (lambda: constrained_kmeans(_X, 2, must_link=[(0, 1)], cannot_link=[(1, 0)]), ValueError,
     r"cannot_link pair \(1, 0\) must also link"),
    (lambda: constrained_kmeans(_X, 2, must_link=[(0, 1), (1, 2)], cannot_link=[(2, 0)]),
     ValueError, r"cannot_link pair \(2, 0\) must also link \(through must_link"),
    (lambda: constrained_kmeans(_X, 2, cannot_link=[(3, 3)]), ValueError, "i == j"),
    (lambda: haversine_dbscan([[91.0, 0.0], [0.0, 0.0]], 5.0), ValueError,
     r"latitude must lie in \[-90, 90\] degrees, got 91 \(row 0\)"),
    (lambda: haversine_dbscan([[0.0, 0.0], [10.0, -180.5]], 5.0), ValueError,
     r"longitude must lie in \[-180, 180\] degrees, got -180.5 \(row 1\)"),
    (lambda: haversine_dbscan([[0.0, 0.0, 1.0]], 5.0), ValueError, "must have 2 columns"),
    (lambda: haversine_dbscan([[0.0, 0.0]], 0.0), ValueError, "eps_km must be > 0.0"),
    (lambda: haversine_dbscan([[0.0, 0.0]], "5"), TypeError, "eps_km must be a number"),
    (lambda: haversine_dbscan([[0.0, 0.0]], 5.0, min_samples=0), ValueError,
     "min_samples must be >= 1"),
    (lambda: haversine_dbscan([[np.nan, 0.0]], 5.0), ValueError, "latlon_degrees contains 1 NaN"),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD_INPUTS,
                         ids=[m[:40] for _, _, m in BAD_INPUTS])
def test_bad_inputs_are_refused_with_a_message_naming_the_parameter(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_docstring_examples_run():
    result = doctest.testmod(constraints, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 5 and result.failed == 0

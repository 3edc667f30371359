"""Tests for deepclust_lab.kmeans, checked against scikit-learn and brute-force NumPy."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.cluster import kmeans_plusplus as sklearn_kmeans_plusplus
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score
from sklearn.metrics.pairwise import euclidean_distances

from deepclust_lab import kmeans as kmeans_module
from deepclust_lab.kmeans import (
    KMeans,
    KMeansStep,
    assign_labels,
    inertia,
    kmeans_plusplus,
    update_centers,
)


def _brute_force_sq_distances(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    return ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)


def _random_rows(X: np.ndarray, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return X[rng.choice(len(X), size=k, replace=False)].copy()


def _fit_both(X: np.ndarray, init: np.ndarray, **kwargs):
    ours = KMeans(init.shape[0], init=init, n_init=1, **kwargs).fit(X)
    theirs = SklearnKMeans(init.shape[0], init=init, n_init=1, algorithm="lloyd", **kwargs).fit(X)
    return ours, theirs


def _assert_same_as_sklearn(ours: KMeans, theirs: SklearnKMeans) -> None:
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=0, atol=1e-12)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-9)


@pytest.fixture(params=["readable", "fast"])
def path(request, monkeypatch):
    """Run the estimator on the readable steps of kmeans.py, then on those of kmeans_fast.py."""
    threshold = 0 if request.param == "fast" else np.inf
    monkeypatch.setattr(kmeans_module, "_FAST_PATH_MIN_SIZE", threshold)
    return request.param


# ------------------------------------------------------------------------------------------
# The estimator equals scikit-learn's Lloyd K-means from the same start, on both paths
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [3, 4, 6])
@pytest.mark.parametrize("tol", [1e-4, 0.0, 1e-2])
def test_matches_sklearn_on_blobs(path, blobs, seed, k, tol):
    X, _ = blobs
    ours, theirs = _fit_both(X, _random_rows(X, k, seed), tol=tol)
    _assert_same_as_sklearn(ours, theirs)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("tol", [1e-4, 0.0])
def test_matches_sklearn_on_digits(path, digits, seed, tol):
    X, _ = digits
    ours, theirs = _fit_both(X, _random_rows(X, 10, seed), tol=tol)
    _assert_same_as_sklearn(ours, theirs)


def test_matches_sklearn_from_kmeans_plusplus_start_and_with_max_iter(path, digits):
    X, _ = digits
    init = kmeans_plusplus(X, 10, random_state=3)
    for max_iter in (1, 2, 5):
        ours, theirs = _fit_both(X, init, max_iter=max_iter)
        assert ours.n_iter_ == max_iter
        _assert_same_as_sklearn(ours, theirs)


def test_matches_sklearn_with_an_empty_cluster(path, blobs):
    # one starting centre far away from every sample: no sample picks it in the first
    # iteration, so it is re-seeded with the sample farthest from its centre
    X, _ = blobs
    init = _random_rows(X, 4, 0)
    init[2] = [100.0, 100.0]
    ours, theirs = _fit_both(X, init)
    _assert_same_as_sklearn(ours, theirs)

    ours = KMeans(4, init=init, keep_history=True).fit(X)
    first = ours.history_[0]
    assert np.all(first.labels != 2)  # cluster 2 was empty at the start
    distances = ((X - first.centers[first.labels]) ** 2).sum(axis=1)
    farthest = X[np.argmax(distances)]
    np.testing.assert_allclose(ours.history_[1].centers[2], farthest)
    assert len(np.unique(ours.labels_)) == 4


def test_two_empty_clusters_match_sklearn(path, blobs):
    X, _ = blobs
    init = _random_rows(X, 5, 1)
    init[1] = [100.0, 100.0]
    init[3] = [-100.0, 100.0]
    ours, theirs = _fit_both(X, init)
    _assert_same_as_sklearn(ours, theirs)


def test_float32_input_stays_float32_and_agrees(path, blobs):
    X, _ = blobs
    init = _random_rows(X, 4, 0)
    km32 = KMeans(4, init=init.astype(np.float32)).fit(X.astype(np.float32))
    km64 = KMeans(4, init=init).fit(X)
    assert km32.cluster_centers_.dtype == np.float32
    np.testing.assert_array_equal(km32.labels_, km64.labels_)
    np.testing.assert_allclose(km32.cluster_centers_, km64.cluster_centers_, atol=1e-4)


# ------------------------------------------------------------------------------------------
# Teaching functions against brute force
# ------------------------------------------------------------------------------------------


def test_assign_labels_matches_brute_force(digits):
    X, _ = digits
    centers = _random_rows(X, 10, 0)
    labels, d2 = assign_labels(X, centers)
    full = _brute_force_sq_distances(X, centers)
    np.testing.assert_array_equal(labels, full.argmin(axis=1))
    np.testing.assert_allclose(d2, full.min(axis=1), atol=1e-9)


def test_assign_labels_breaks_ties_towards_lowest_index():
    X = np.array([[0.0, 0.0], [1.0, 0.0]])
    labels, d2 = assign_labels(X, np.array([[-1.0, 0.0], [1.0, 0.0], [-1.0, 0.0]]))
    np.testing.assert_array_equal(labels, [0, 1])
    np.testing.assert_allclose(d2, [1.0, 0.0])


def test_update_centers_are_cluster_means(digits):
    X, _ = digits
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 6, size=len(X))
    centers = update_centers(X, labels, 6)
    for j in range(6):
        np.testing.assert_allclose(centers[j], X[labels == j].mean(axis=0), atol=1e-12)


def test_update_centers_reseeds_empty_clusters_with_farthest_samples():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [10.0, 0.0], [10.0, 1.0], [10.0, 9.0], [0.0, 7.0]])
    labels = np.array([0, 0, 1, 1, 1, 0])
    previous = np.array([[0.0, 0.0], [10.0, 0.0], [50.0, 50.0], [-50.0, 50.0]])
    centers = update_centers(X, labels, 4, previous_centers=previous)
    # distances to the previous centres: [10, 9] is 9 away (farthest), [0, 7] is 7 away
    np.testing.assert_allclose(centers[2], [10.0, 9.0])
    np.testing.assert_allclose(centers[3], [0.0, 7.0])
    np.testing.assert_allclose(centers[0], [0.5, 0.0])  # [0, 7] left cluster 0
    np.testing.assert_allclose(centers[1], [10.0, 0.5])  # [10, 9] left cluster 1


def test_inertia_matches_brute_force(digits):
    X, _ = digits
    centers = _random_rows(X, 5, 2)
    labels, d2 = assign_labels(X, centers)
    expected = _brute_force_sq_distances(X, centers).min(axis=1).sum()
    assert inertia(X, centers, labels) == pytest.approx(expected, rel=1e-12)
    assert d2.sum() == pytest.approx(expected, rel=1e-9)


# ------------------------------------------------------------------------------------------
# k-means++ and random starts
# ------------------------------------------------------------------------------------------


def _potential(X, centers):
    return _brute_force_sq_distances(X, centers).min(axis=1).sum()


def test_kmeans_plusplus_picks_distinct_samples_one_per_blob(blobs):
    X, y = blobs
    for seed in range(10):
        centers = kmeans_plusplus(X, 4, random_state=seed)
        assert centers.shape == (4, 2)
        # every centre is a sample, and they are all different
        rows = [int(np.flatnonzero((X == c).all(axis=1))[0]) for c in centers]
        assert len(set(rows)) == 4
        # the four blobs are far apart: k-means++ puts one centre in each
        assert sorted(y[rows]) == [0, 1, 2, 3]


def test_kmeans_plusplus_beats_random_and_is_like_sklearn(digits):
    X, _ = digits
    seeds = range(12)
    ours = np.mean([_potential(X, kmeans_plusplus(X, 10, random_state=s)) for s in seeds])
    random_ = np.mean([_potential(X, _random_rows(X, 10, s)) for s in seeds])
    theirs = np.mean(
        [_potential(X, sklearn_kmeans_plusplus(X, 10, random_state=s)[0]) for s in seeds]
    )
    assert ours < 0.85 * random_
    assert ours == pytest.approx(theirs, rel=0.05)


def test_kmeans_plusplus_is_reproducible_and_takes_generators(digits):
    X, _ = digits
    a = kmeans_plusplus(X, 8, random_state=7)
    np.testing.assert_array_equal(a, kmeans_plusplus(X, 8, random_state=7))
    b = kmeans_plusplus(X, 8, random_state=np.random.default_rng(7))
    np.testing.assert_array_equal(b, kmeans_plusplus(X, 8, random_state=np.random.default_rng(7)))
    c = kmeans_plusplus(X, 8, random_state=np.random.RandomState(7))
    np.testing.assert_array_equal(a, c)  # an int seed means RandomState(seed)


def test_kmeans_plusplus_avoids_duplicates_of_chosen_centres():
    # 3 distinct points, heavily duplicated: 3 centres must be the 3 distinct points
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 5.0]]), 50, axis=0)
    for seed in range(20):
        centers = kmeans_plusplus(X, 3, random_state=seed)
        assert len(np.unique(centers, axis=0)) == 3


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_same_seed_same_labels(digits, init):
    X, _ = digits
    a = KMeans(10, init=init, random_state=0).fit(X)
    b = KMeans(10, init=init, random_state=0).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    g1 = KMeans(10, init=init, random_state=np.random.default_rng(5)).fit(X)
    g2 = KMeans(10, init=init, random_state=np.random.default_rng(5)).fit(X)
    np.testing.assert_array_equal(g1.labels_, g2.labels_)


def test_n_init_auto_and_best_of_several_runs(digits):
    X, _ = digits
    auto = KMeans(10, init="random", random_state=0).fit(X)
    ten = KMeans(10, init="random", n_init=10, random_state=0).fit(X)
    one = KMeans(10, init="random", n_init=1, random_state=0).fit(X)
    np.testing.assert_array_equal(auto.labels_, ten.labels_)  # "auto" = 10 for "random"
    # the first of the ten runs is the single run (same random stream), so best <= it
    assert ten.inertia_ <= one.inertia_
    pp_auto = KMeans(10, random_state=0).fit(X)
    pp_one = KMeans(10, n_init=1, random_state=0).fit(X)
    np.testing.assert_array_equal(pp_auto.labels_, pp_one.labels_)  # "auto" = 1 for k-means++


def test_quality_close_to_sklearn_on_digits(digits):
    X, y = digits
    ours = KMeans(10, n_init=4, random_state=0).fit(X)
    theirs = SklearnKMeans(10, n_init=4, random_state=0).fit(X)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=0.02)
    assert adjusted_rand_score(y, ours.labels_) > 0.6


def test_array_init_with_n_init_warns_and_runs_once(blobs):
    X, _ = blobs
    init = _random_rows(X, 4, 3)
    with pytest.warns(RuntimeWarning, match="n_init=1"):
        many = KMeans(4, init=init, n_init=5).fit(X)
    once = KMeans(4, init=init).fit(X)
    np.testing.assert_array_equal(many.labels_, once.labels_)


# ------------------------------------------------------------------------------------------
# History
# ------------------------------------------------------------------------------------------


def test_history_shapes_and_monotone_inertia(digits):
    X, _ = digits
    init = _random_rows(X, 10, 0)
    km = KMeans(10, init=init, keep_history=True).fit(X)
    history = km.history_
    assert len(history) == km.n_iter_ + 1
    assert all(isinstance(step, KMeansStep) for step in history)
    np.testing.assert_allclose(history[0].centers, init)  # step 0 = initial centres
    for step in history:
        assert step.centers.shape == (10, 64)
        assert step.labels.shape == (len(X),)
        assert step.inertia == pytest.approx(inertia(X, step.centers, step.labels), rel=1e-9)
    inertias = np.array([step.inertia for step in history])
    assert np.all(np.diff(inertias) <= 1e-9 * inertias[0])
    assert inertias[-1] < inertias[0]
    # the last step is the fitted state
    np.testing.assert_allclose(history[-1].centers, km.cluster_centers_)
    np.testing.assert_array_equal(history[-1].labels, km.labels_)
    assert history[-1].inertia == pytest.approx(km.inertia_)
    # the same fit with history off gives the same result and no history_
    plain = KMeans(10, init=init).fit(X)
    np.testing.assert_array_equal(plain.labels_, km.labels_)
    assert not hasattr(plain, "history_")


def test_history_steps_follow_lloyd(blobs):
    X, _ = blobs
    km = KMeans(4, init=_random_rows(X, 4, 1), keep_history=True).fit(X)
    for before, after in zip(km.history_[:-1], km.history_[1:], strict=True):
        expected = update_centers(X, before.labels, 4, previous_centers=before.centers)
        np.testing.assert_allclose(after.centers, expected, atol=1e-12)
        np.testing.assert_array_equal(before.labels, assign_labels(X, before.centers)[0])


# ------------------------------------------------------------------------------------------
# Mini-batch
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "k", "batch_size"), [("blobs", 4, 32), ("digits", 10, 128)])
def test_minibatch_close_to_full_kmeans(request, data, k, batch_size):
    X, _ = request.getfixturevalue(data)
    for seed in range(3):
        full = KMeans(k, random_state=seed).fit(X)
        mini = KMeans(k, random_state=seed, batch_size=batch_size).fit(X)
        assert mini.inertia_ <= 1.03 * full.inertia_
        assert mini.inertia_ == pytest.approx(inertia(X, mini.cluster_centers_, mini.labels_))
        np.testing.assert_array_equal(mini.labels_, mini.predict(X))
        assert 1 <= mini.n_iter_ <= 300


def test_minibatch_is_seeded_and_keeps_history(digits):
    X, _ = digits
    a = KMeans(10, random_state=1, batch_size=100, max_iter=40, keep_history=True).fit(X)
    b = KMeans(10, random_state=1, batch_size=100, max_iter=40, keep_history=True).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    assert len(a.history_) == a.n_iter_ + 1
    np.testing.assert_allclose(a.history_[-1].centers, a.cluster_centers_)
    c = KMeans(10, random_state=2, batch_size=100, max_iter=40).fit(X)
    assert not np.array_equal(a.cluster_centers_, c.cluster_centers_)


def test_minibatch_running_mean_update():
    # one centre: Sculley's per-centre learning rate 1/v makes it the running mean of every
    # sample drawn so far; the start at 100 is forgotten after the first batch
    X = np.array([[0.0], [2.0], [4.0], [6.0]])
    km = KMeans(1, init=np.array([[100.0]]), batch_size=3, max_iter=5, tol=0.0, random_state=0)
    km.fit(X)
    assert km.n_iter_ == 5  # tol=0: every batch is used
    rng = np.random.RandomState(0)  # the same draws as random_state=0
    drawn = np.concatenate([X[rng.choice(4, size=3)] for _ in range(5)])
    np.testing.assert_allclose(km.cluster_centers_[0], drawn.mean(axis=0))


# ------------------------------------------------------------------------------------------
# predict / transform / score and the scikit-learn contract
# ------------------------------------------------------------------------------------------


def test_predict_transform_score_consistent(digits):
    X, _ = digits
    km = KMeans(10, random_state=0).fit(X)
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    dist = km.transform(X)
    assert dist.shape == (len(X), 10)
    np.testing.assert_allclose(dist, euclidean_distances(X, km.cluster_centers_), atol=1e-6)
    np.testing.assert_array_equal(dist.argmin(axis=1), km.labels_)
    assert km.score(X) == pytest.approx(-km.inertia_, rel=1e-9)
    assert km.score(X) == pytest.approx(-(dist.min(axis=1) ** 2).sum(), rel=1e-6)
    np.testing.assert_array_equal(KMeans(10, random_state=0).fit_predict(X), km.labels_)
    np.testing.assert_allclose(KMeans(10, random_state=0).fit_transform(X), dist)
    new = X[:5] + 0.01
    np.testing.assert_array_equal(km.predict(new), km.transform(new).argmin(axis=1))


def test_estimator_contract(blobs):
    X, _ = blobs
    init = _random_rows(X, 4, 0)
    km = KMeans(4, init=init, random_state=3)
    params = km.get_params()
    assert params["n_clusters"] == 4 and params["random_state"] == 3
    assert km.fit(X) is km
    assert km.init is init  # parameters are stored untouched
    assert km.n_features_in_ == 2
    cloned = clone(km)
    assert not hasattr(cloned, "labels_")
    assert "n_clusters=4" in repr(KMeans(4))


def test_single_cluster_is_the_mean(blobs):
    X, _ = blobs
    km = KMeans(1, random_state=0).fit(X)
    np.testing.assert_allclose(km.cluster_centers_[0], X.mean(axis=0))
    assert np.all(km.labels_ == 0)


# ------------------------------------------------------------------------------------------
# Bad input: clear errors that name the parameter
# ------------------------------------------------------------------------------------------

_X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [5.0, 5.0], [6.0, 5.0]])


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"n_clusters": 0}, ValueError, "n_clusters must be >= 1"),
        ({"n_clusters": 6}, ValueError, "n_clusters=6 is larger than the number of samples"),
        ({"n_clusters": 2.5}, TypeError, "n_clusters must be an integer"),
        ({"init": "kmeans"}, ValueError, "init must be one of"),
        ({"init": np.zeros((3, 2))}, ValueError, r"init must have shape .* = \(2, 2\)"),
        ({"init": np.zeros((2, 3))}, ValueError, r"init must have shape"),
        ({"init": np.zeros(4)}, ValueError, "init must be 2-D"),
        ({"init": [[0.0, np.nan], [1.0, 1.0]]}, ValueError, "init contains 1 NaN"),
        ({"n_init": 0}, ValueError, "n_init must be >= 1"),
        ({"n_init": "many"}, ValueError, "n_init must be one of"),
        ({"n_init": 2.0}, TypeError, "n_init must be 'auto' or an integer"),
        ({"max_iter": 0}, ValueError, "max_iter must be >= 1"),
        ({"max_iter": 1.5}, TypeError, "max_iter must be an integer"),
        ({"tol": -1e-3}, ValueError, "tol must be >= 0"),
        ({"tol": "small"}, TypeError, "tol must be a number"),
        ({"tol": float("nan")}, ValueError, "tol must be finite"),
        ({"batch_size": 0}, ValueError, "batch_size must be >= 1"),
        ({"batch_size": 10.0}, TypeError, "batch_size must be an integer"),
        ({"keep_history": "yes"}, TypeError, "keep_history must be True or False"),
        ({"random_state": "seed"}, TypeError, "random_state must be"),
    ],
)
def test_bad_parameters_raise_clear_errors(params, error, match):
    params = {"n_clusters": 2, **params}
    with pytest.raises(error, match=match):
        KMeans(**params).fit(_X)


@pytest.mark.parametrize(
    ("X", "error", "match"),
    [
        ([[0.0, np.nan], [1.0, 1.0], [2.0, 2.0]], ValueError, "X contains 1 NaN"),
        ([[0.0, np.inf], [1.0, 1.0], [2.0, 2.0]], ValueError, "X contains 1 infinite"),
        ([0.0, 1.0, 2.0], ValueError, "X must be 2-D"),
        (np.zeros((3, 2, 2)), ValueError, "X must be 2-D"),
        (np.zeros((0, 2)), ValueError, "X is empty"),
        ([["a", "b"], ["c", "d"]], TypeError, "X must contain numbers"),
        (None, TypeError, "X must be a 2-D array"),
    ],
)
def test_bad_X_raises_clear_errors(X, error, match):
    with pytest.raises(error, match=match):
        KMeans(2).fit(X)


def test_sparse_input_is_refused_clearly(blobs):
    import scipy.sparse

    X, _ = blobs
    with pytest.raises(TypeError, match="X is a scipy sparse matrix"):
        KMeans(3).fit(scipy.sparse.csr_matrix(X))
    km = KMeans(3, random_state=0).fit(X)
    with pytest.raises(TypeError, match="sparse"):
        km.predict(scipy.sparse.csr_array(X))


def test_too_few_distinct_points():
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]]), 4, axis=0)
    with pytest.raises(ValueError, match="X has only 3 distinct points but n_clusters=5"):
        KMeans(5).fit(X)
    with pytest.raises(ValueError, match="only 3 distinct points"):
        kmeans_plusplus(X, 4)
    # -0.0 and 0.0 are the same point
    signed = np.array([[0.0, 1.0], [-0.0, 1.0], [2.0, 2.0]])
    with pytest.raises(ValueError, match="only 2 distinct points"):
        KMeans(3).fit(signed)
    # exactly as many distinct points as clusters is fine: each becomes a centre
    km = KMeans(3, random_state=0).fit(X)
    assert km.inertia_ == pytest.approx(0.0, abs=1e-12)


def test_predict_before_fit_and_wrong_features(blobs):
    X, _ = blobs
    km = KMeans(3)
    for method in (km.predict, km.transform, km.score):
        with pytest.raises(NotFittedError):
            method(X)
    km.fit(X)
    for method in (km.predict, km.transform, km.score):
        with pytest.raises(
            ValueError, match="X has 3 features, but KMeans is expecting 2 features"
        ):
            method(np.zeros((4, 3)))


def test_teaching_functions_check_their_inputs():
    centers = np.array([[0.0, 0.0], [5.0, 5.0]])
    with pytest.raises(ValueError, match="centers has 3 features but X has 2"):
        assign_labels(_X, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="labels must lie in \\[0, 1\\]"):
        update_centers(_X, [0, 1, 2, 0, 1], 2)
    with pytest.raises(ValueError, match="labels has 2 entries but there are 5 samples"):
        update_centers(_X, [0, 1], 2)
    with pytest.raises(ValueError, match=r"labels must be class or cluster ids .*, got non-integer"):
        inertia(_X, centers, [0.5, 1, 0, 0, 1])
    with pytest.raises(TypeError, match="labels must be integer cluster ids"):
        inertia(_X, centers, ["a", "b", "a", "a", "b"])
    with pytest.raises(ValueError, match="previous_centers has 3 rows but n_clusters=2"):
        update_centers(_X, [0, 1, 0, 0, 1], 2, previous_centers=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="n_clusters=9 is larger"):
        kmeans_plusplus(_X, 9)
    with pytest.raises(ValueError, match="X contains 1 NaN"):
        assign_labels([[np.nan, 0.0]], centers)


# ------------------------------------------------------------------------------------------
# Docstring examples
# ------------------------------------------------------------------------------------------


def test_docstring_examples_run():
    result = doctest.testmod(kmeans_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 20
    assert result.failed == 0

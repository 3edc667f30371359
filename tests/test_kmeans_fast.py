"""Tests for deepclust_lab.kmeans_fast, the fast path of KMeans: against the readable steps of
deepclust_lab.kmeans and against scikit-learn, on several shapes, thread counts and ties."""

from __future__ import annotations

import doctest
import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from test_kmeans import _assert_same_as_sklearn, _brute_force_sq_distances, _fit_both, _random_rows
from threadpoolctl import threadpool_limits

from deepclust_lab import kmeans as kmeans_module
from deepclust_lab import kmeans_fast
from deepclust_lab.kmeans import KMeans, assign_labels, inertia, kmeans_plusplus
from deepclust_lab.kmeans_fast import assign_labels_chunked, cluster_sums_sparse


def test_fast_assign_is_chunked_and_equals_the_readable_one(digits, monkeypatch):
    # blocks of 7 rows force many block and segment boundaries, and an uneven last block
    X, _ = digits
    centers = _random_rows(X, 7, 1)
    expected = assign_labels(X, centers)
    monkeypatch.setattr(kmeans_fast, "_BLOCK_ROWS", 7)
    labels, d2 = assign_labels_chunked(X, centers)
    np.testing.assert_array_equal(labels, expected[0])
    np.testing.assert_allclose(d2, expected[1], rtol=0, atol=1e-12)


def test_lloyd_pass_sums_and_counts_are_those_of_each_cluster(digits, monkeypatch):
    X, _ = digits
    centers = _random_rows(X, 6, 2)
    centers[3] = 100.0  # a centre no sample is near: an empty cluster
    monkeypatch.setattr(kmeans_fast, "_BLOCK_ROWS", 13)
    labels, sums, counts = kmeans_fast.lloyd_pass(X, centers)
    np.testing.assert_array_equal(labels, assign_labels(X, centers)[0])
    np.testing.assert_array_equal(counts, np.bincount(labels, minlength=6))
    assert counts[3] == 0
    for j in range(6):
        np.testing.assert_allclose(sums[j], X[labels == j].sum(axis=0), rtol=0, atol=1e-12)


def test_fast_cluster_sums_are_sums_of_each_cluster(digits):
    X, _ = digits
    labels = np.random.default_rng(0).integers(0, 6, size=len(X))
    labels[labels == 3] = 2  # cluster 3 is empty
    sums = cluster_sums_sparse(X, labels, 6)
    for j in range(6):
        np.testing.assert_allclose(sums[j], X[labels == j].sum(axis=0), rtol=0, atol=1e-12)
    # the fused steps hand over the sums of their own labels, and add up any others afresh
    assign, cluster_sums = kmeans_fast.lloyd_steps()
    own = assign(X, _random_rows(X, 6, 0))
    np.testing.assert_allclose(cluster_sums(X, own, 6), cluster_sums_sparse(X, own, 6), atol=1e-12)
    np.testing.assert_allclose(cluster_sums(X, labels, 6), sums, rtol=0, atol=0)


def test_fast_inertia_is_the_readable_one(digits):
    X, _ = digits
    centers = _random_rows(X, 5, 2)
    labels = assign_labels(X, centers)[0]
    expected = inertia(X, centers, labels)
    assert kmeans_fast.inertia(X, centers, labels) == pytest.approx(expected, rel=1e-12)
    X32, centers32 = X.astype(np.float32), centers.astype(np.float32)
    assert kmeans_fast.inertia(X32, centers32, labels) == pytest.approx(expected, rel=1e-6)


def test_estimator_takes_the_fast_path_on_large_data(monkeypatch):
    calls = []
    real = kmeans_fast.lloyd_pass

    def spy(X, centers, *args):
        calls.append(X.shape[0])
        return real(X, centers, *args)

    monkeypatch.setattr(kmeans_fast, "lloyd_pass", spy)
    X = np.random.default_rng(0).normal(size=(70_000, 24))
    KMeans(4, n_init=1, random_state=0, max_iter=3).fit(X[:, :2])  # 70000 x 2 x 4 < 2**24
    assert calls == []
    km = KMeans(10, n_init=1, random_state=0, max_iter=3).fit(X)  # 70000 x 24 x 10 >= 2**24
    assert calls and set(calls) == {70_000}
    km.predict(X)
    assert len(calls) == km.n_iter_ + 2  # the iterations, the final labels, predict


def test_lloyd_pass_gives_the_same_bits_on_any_thread_count(monkeypatch):
    monkeypatch.setattr(kmeans_fast, "_THREADS_MIN_WORK", 0)
    rng = np.random.default_rng(3)
    X, centers = rng.normal(size=(20_000, 6)), rng.normal(size=(9, 6))
    assert len(kmeans_fast._segments(20_000, 9, 6, 64)) - 1 > 3  # several segments to share
    expected = kmeans_fast.lloyd_pass(X, centers, threads=1)
    for threads in (2, 3, 8):
        for got, want in zip(kmeans_fast.lloyd_pass(X, centers, threads), expected, strict=True):
            np.testing.assert_array_equal(got, want)


def test_fused_steps_try_threads_and_one_thread_then_keep_one(monkeypatch):
    counts = []
    real = kmeans_fast.lloyd_pass

    def spy(X, centers, threads, row_norm):
        counts.append(threads)
        return real(X, centers, threads, row_norm)

    monkeypatch.setattr(kmeans_fast, "lloyd_pass", spy)
    X = np.random.default_rng(0).normal(size=(3000, 4))
    assign, _ = kmeans_fast.lloyd_steps(threads=2)
    labels = [assign(X, X[:5]) for _ in range(6)]
    assert counts[:2] == [2, 1] and len(set(counts[2:])) == 1  # then the faster, always
    for other in labels[1:]:
        np.testing.assert_array_equal(other, labels[0])
    assign(X.copy(), X[:5])  # another X: both are tried again
    assert counts[-1] == 2


@pytest.mark.parametrize(("n", "d", "k"), [(6000, 3, 7), (700, 90, 12), (20_000, 2, 20)])
@pytest.mark.parametrize("limit", [1, 2, None])
def test_fast_path_matches_sklearn_on_shapes_and_thread_counts(monkeypatch, n, d, k, limit):
    monkeypatch.setattr(kmeans_module, "_FAST_PATH_MIN_SIZE", 0)
    monkeypatch.setattr(kmeans_fast, "_THREADS_MIN_WORK", 0)
    X, _ = make_blobs(n_samples=n, n_features=d, centers=k, cluster_std=3.0, random_state=k)
    init = kmeans_plusplus(X, k, random_state=0)
    with threadpool_limits(limit):
        for tol in (0.0, 1e-4):
            _assert_same_as_sklearn(*_fit_both(X, init, tol=tol, max_iter=50))


@pytest.mark.parametrize("margin", ["bound", "always exact"])
def test_fast_path_matches_sklearn_where_rounding_decides(monkeypatch, digits, margin):
    # digits are multiples of 1/16: from k-means++ starts, some samples lie half-way between
    # two centres, so the label hangs on the rounding of the scores. Scores within the
    # margin are made again as scikit-learn makes them; an infinite margin always does so.
    monkeypatch.setattr(kmeans_module, "_FAST_PATH_MIN_SIZE", 0)
    if margin == "always exact":
        monkeypatch.setattr(kmeans_fast, "_margin", lambda *args: np.inf)
    X, _ = digits
    for seed in range(4):
        init = kmeans_plusplus(X, 10, random_state=seed)
        for max_iter in (1, 300):
            _assert_same_as_sklearn(*_fit_both(X, init, max_iter=max_iter))


@pytest.mark.parametrize("n_features", [2, 3])
def test_fast_path_breaks_ties_like_sklearn(monkeypatch, n_features):
    # whole numbers on a grid: many samples lie exactly half-way between the starting centres
    monkeypatch.setattr(kmeans_module, "_FAST_PATH_MIN_SIZE", 0)
    X = np.random.default_rng(n_features).integers(-4, 5, size=(3000, n_features)).astype(float)
    init = np.concatenate([-np.eye(n_features), np.eye(n_features)])
    d2 = np.sort(_brute_force_sq_distances(X, init), axis=1)
    assert (d2[:, 0] == d2[:, 1]).mean() > 0.2  # a tie for the nearest centre
    d2 = _brute_force_sq_distances(X, init)
    np.testing.assert_array_equal(kmeans_fast.lloyd_pass(X, init)[0], d2.argmin(axis=1))
    for max_iter in (1, 300):
        _assert_same_as_sklearn(*_fit_both(X, init, max_iter=max_iter))
    # a centre given twice: the first always wins, so the second starts empty
    labels, _, counts = kmeans_fast.lloyd_pass(X, np.concatenate([init, init[:1]]))
    assert counts[-1] == 0 and not np.any(labels == len(init))


def test_fast_minibatch_equals_the_readable_one(monkeypatch, digits):
    X, _ = digits
    runs = []
    for threshold in (np.inf, 0):
        monkeypatch.setattr(kmeans_module, "_FAST_PATH_MIN_SIZE", threshold)
        runs.append(KMeans(10, random_state=1, batch_size=100, max_iter=30).fit(X))
    np.testing.assert_array_equal(runs[0].labels_, runs[1].labels_)
    np.testing.assert_allclose(runs[0].cluster_centers_, runs[1].cluster_centers_, atol=1e-12)
    assert runs[0].inertia_ == pytest.approx(runs[1].inertia_, rel=1e-12)


def test_block_threads_follow_the_callers_blas_limit():
    with threadpool_limits(1):
        assert kmeans_fast.block_threads() == 1
    assert 1 <= kmeans_fast.block_threads() <= (os.cpu_count() or 1)


def test_fast_path_works_when_the_cache_folder_cannot_be_written(tmp_path):
    # a cache folder below a plain file cannot be made: the kernel compiles without a cache,
    # and nothing is written next to the package's source either
    (tmp_path / "file").write_text("")
    code = ("import numpy as np; from deepclust_lab import kmeans_fast as f; "
            "X = np.arange(12.0).reshape(6, 2); print(f._cache_writable(), "
            "f.lloyd_pass(X, X[:2].copy())[0].tolist())")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env["DEEPCLUST_LAB_CACHE"] = str(tmp_path / "file" / "cache")
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=300,
                         capture_output=True, text=True)
    assert out.stdout.split() == ["False", "[0,", "1,", "1,", "1,", "1,", "1]"]
    package = os.path.dirname(kmeans_fast.__file__)
    assert not [name for _, _, names in os.walk(package) for name in names
                if name.startswith("kmeans_fast") and name.endswith((".nbi", ".nbc"))]


def test_docstring_examples_run():
    result = doctest.testmod(kmeans_fast, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 8
    assert result.failed == 0

"""Tests for deepclust_lab.selection: choosing k and measuring stability."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score, silhouette_score

from deepclust_lab.selection import (
    SWEEP_COLUMNS,
    StabilityResult,
    choose_gap_k,
    find_elbow,
    gap_statistic,
    stability,
    sweep_k,
)


def separated_blobs(seed: int, n: int = 240, k: int = 4):
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0], [5.0, 20.0]])[:k]
    return make_blobs(n, centers=centers, cluster_std=0.7, random_state=seed)


# ---- elbow ---------------------------------------------------------------------------
def test_find_elbow_by_hand():
    # rescaled: x = 0, .2, .4, ...; y = 1, .326, .043, .022, .011, 0
    # chord from (0, 1) to (1, 0): y = 1 - x; distance below it is largest at k = 3 (0.557)
    assert find_elbow([1, 2, 3, 4, 5, 6], [100, 40, 12, 10, 9, 8]) == 3
    assert find_elbow([2, 4, 6], [10.0, 2.0, 1.0]) == 4


def test_find_elbow_without_a_bend():
    assert find_elbow([1, 2, 3, 4], [4.0, 3.0, 2.0, 1.0]) == 1  # a straight line
    assert find_elbow([1, 2, 3], [5.0, 5.0, 5.0]) == 1
    with pytest.raises(ValueError, match="at least 3 points"):
        find_elbow([1, 2], [3.0, 1.0])
    with pytest.raises(ValueError, match="same length"):
        find_elbow([1, 2, 3], [3.0, 1.0])


# ---- gap statistic -------------------------------------------------------------------
def test_gap_rule_by_hand():
    ks = np.array([1, 2, 3, 4])
    # Gap(1)=0.1 < Gap(2)-s2 = 0.5-0.1; Gap(2)=0.5 < 0.9-0.1; Gap(3)=0.9 >= 0.95-0.1 -> k=3
    assert choose_gap_k(ks, np.array([0.1, 0.5, 0.9, 0.95]), np.full(4, 0.1)) == 3
    # still rising at the end: no k passes, so the largest gap wins
    assert choose_gap_k(ks, np.array([0.1, 0.5, 0.9, 1.5]), np.full(4, 0.1)) == 4
    # a flat gap picks the smallest k
    assert choose_gap_k(ks, np.array([0.3, 0.3, 0.3, 0.3]), np.zeros(4)) == 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gap_statistic_finds_four_blobs(seed):
    X, _ = separated_blobs(seed)
    table = gap_statistic(X, range(1, 8), n_refs=5, random_state=seed)
    assert table.attrs["best_k"] == 4
    assert list(table.columns) == ["k", "gap", "gap_se", "log_w", "ref_log_w"]
    np.testing.assert_allclose(table["gap"], table["ref_log_w"] - table["log_w"])
    assert (table["gap_se"] > 0).all()
    # log W_4 is the within-cluster sum of squares of the true blobs
    X, y = separated_blobs(seed)
    wss = sum(((X[y == c] - X[y == c].mean(axis=0)) ** 2).sum() for c in range(4))
    assert table.loc[table["k"] == 4, "log_w"].item() == pytest.approx(np.log(wss))


def test_gap_statistic_pca_reference_and_reproducibility():
    X, _ = separated_blobs(5)
    table = gap_statistic(X, [1, 2, 3, 4, 5, 6], n_refs=4, random_state=7, reference="pca")
    assert table.attrs["best_k"] == 4
    again = gap_statistic(X, [6, 5, 4, 3, 2, 1, 1], n_refs=4, random_state=7, reference="pca")
    pd.testing.assert_frame_equal(table, again)  # k values are sorted and de-duplicated


def test_gap_statistic_says_one_cluster_for_uniform_noise():
    X = np.random.default_rng(0).uniform(size=(200, 2))
    assert gap_statistic(X, range(1, 6), n_refs=10, random_state=0).attrs["best_k"] == 1


def test_gap_statistic_bad_inputs():
    X, _ = separated_blobs(0, n=20)
    with pytest.raises(ValueError, match="empty"):
        gap_statistic(X, [])
    with pytest.raises(ValueError, match="larger than the number of samples"):
        gap_statistic(X, [2, 30])
    with pytest.raises(TypeError, match="sequence of ints"):
        gap_statistic(X, 5)
    with pytest.raises(ValueError, match="n_refs"):
        gap_statistic(X, [1, 2], n_refs=0)
    with pytest.raises(ValueError, match="reference"):
        gap_statistic(X, [1, 2], reference="sphere")
    with pytest.raises(ValueError, match="NaN"):
        gap_statistic(np.array([[0.0, np.nan], [1.0, 2.0]]), [1])


# ---- sweep_k -------------------------------------------------------------------------
def test_sweep_k_table_on_blobs():
    X, y = separated_blobs(0)
    table = sweep_k(X, range(2, 8), n_refs=5)
    assert tuple(table.columns) == SWEEP_COLUMNS
    assert table["k"].tolist() == [2, 3, 4, 5, 6, 7]
    assert table.attrs["best"] == {"elbow": 4, "silhouette": 4, "gap": 4, "bic": 4}
    row = table.set_index("k").loc[4]
    wss = sum(((X[y == c] - X[y == c].mean(axis=0)) ** 2).sum() for c in range(4))
    assert row["inertia"] == pytest.approx(wss)
    assert row["silhouette"] == pytest.approx(silhouette_score(X, y))
    assert np.all(np.diff(table["inertia"]) < 0)  # more clusters, less inertia
    pd.testing.assert_frame_equal(table, sweep_k(X, range(2, 8), n_refs=5))  # seeded


def test_sweep_k_optional_columns():
    X, _ = separated_blobs(1)
    table = sweep_k(X, [1, 2, 3, 4, 5], gap=False, bic=False)
    assert tuple(table.columns) == SWEEP_COLUMNS
    assert table[["gap", "gap_se", "bic"]].isna().all().all()
    assert np.isnan(table.loc[0, "silhouette"])  # k = 1 has no silhouette
    best = table.attrs["best"]
    assert (best["silhouette"], best["gap"], best["bic"]) == (4, None, None)
    # four blobs on a square: inertia falls about linearly from k=1 to 4, so the elbow is
    # ambiguous here (a known weakness of the elbow rule); it still lies in 2..4
    assert best["elbow"] in (2, 3, 4)
    two = sweep_k(X, [3, 4], gap=False, bic=False)
    assert two.attrs["best"]["elbow"] is None


def test_sweep_k_bad_inputs():
    with pytest.raises(ValueError, match="k_values"):
        sweep_k(np.zeros((10, 2)), [0, 2])
    with pytest.raises(ValueError, match="2-D"):
        sweep_k(np.zeros(10), [2, 3])


# ---- stability -----------------------------------------------------------------------
def kmeans_runner(k):
    def fit_predict(X, seed):
        return KMeans(k, n_init=1, random_state=seed).fit_predict(X)

    return fit_predict


def test_identical_runs_have_ari_one():
    X, _ = separated_blobs(0)
    result = stability(lambda X, seed: (X[:, 0] > 5).astype(int) * 7 + seed, X, seeds=range(4))
    assert isinstance(result, StabilityResult)
    np.testing.assert_array_equal(result.pairwise_ari, np.ones((4, 4)))
    assert result.mean_ari == 1.0 and result.std_ari == 0.0
    assert result.scores is None
    assert len(result.labels) == 4 and all(len(lab) == len(X) for lab in result.labels)


def test_stability_against_true_labels():
    X, y = separated_blobs(2)
    result = stability(kmeans_runner(4), X, seeds=[0, 1, 2], y_true=y)
    assert list(result.scores.columns) == ["ACC", "NMI", "ARI"]
    assert list(result.scores.index) == [0, 1, 2]
    for i in range(3):
        for j in range(3):
            expected = adjusted_rand_score(result.labels[i], result.labels[j])
            assert result.pairwise_ari[i, j] == pytest.approx(expected)
    summary = result.summary()
    assert list(summary.index) == ["pairwise ARI", "ACC", "NMI", "ARI"]
    assert list(summary.columns) == ["mean", "std"]
    assert summary.loc["ACC", "mean"] == pytest.approx(result.scores["ACC"].mean())
    assert "±" in repr(result) and "3 runs" in repr(result)


def test_random_labels_are_unstable():
    X, _ = separated_blobs(0)

    def noise(X, seed):
        return np.random.default_rng(seed).integers(0, 4, len(X))

    result = stability(noise, X, seeds=range(5))
    assert abs(result.mean_ari) < 0.05
    assert result.summary().loc["pairwise ARI", "mean"] == pytest.approx(result.mean_ari)


def test_bootstrap_compares_shared_points():
    X, y = separated_blobs(3)
    seen = []

    def by_region(X_run, seed):
        seen.append(len(np.unique(X_run, axis=0)))
        # the same partition every time, under different names each run
        return (np.round(X_run[:, 0] / 10) * 2 + np.round(X_run[:, 1] / 10) + seed * 10).astype(int)

    result = stability(by_region, X, seeds=range(3), y_true=y, bootstrap=True, random_state=0)
    assert all(s < len(X) for s in seen)  # each run saw a resample with repeats
    assert not np.array_equal(result.indices[0], result.indices[1])
    assert all(len(idx) == len(X) for idx in result.indices)
    np.testing.assert_allclose(result.pairwise_ari, 1.0)
    np.testing.assert_allclose(result.scores["ACC"], 1.0)
    again = stability(by_region, X, seeds=range(3), bootstrap=True, random_state=0)
    np.testing.assert_array_equal(again.indices[2], result.indices[2])


def test_stability_bad_inputs():
    X, _ = separated_blobs(0, n=30)
    with pytest.raises(ValueError, match="at least 2 seeds"):
        stability(kmeans_runner(2), X, seeds=[0])
    with pytest.raises(TypeError, match="fit_predict must be a function"):
        stability("kmeans", X)
    with pytest.raises(ValueError, match="one label per row"):
        stability(lambda X, seed: np.zeros(3), X, seeds=[0, 1])
    with pytest.raises(ValueError, match="y_true has 5 entries"):
        stability(kmeans_runner(2), X, seeds=[0, 1], y_true=[0, 1, 0, 1, 0])
    with pytest.raises(TypeError, match="seeds"):
        stability(kmeans_runner(2), X, seeds=3)


def test_docstring_examples_run():
    import doctest

    import deepclust_lab.selection as module

    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0

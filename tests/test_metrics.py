"""Tests for deepclust_lab.metrics: hand-worked cases, brute force and scikit-learn as references."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from deepclust_lab.metrics import (
    EXTERNAL_SCORES,
    INTERNAL_SCORES,
    aligned_confusion_matrix,
    cluster_accuracy,
    clustering_report,
    external_scores,
    internal_scores,
    purity,
)

# Six points, two classes, three clusters:
#   y_true  0 0 0 0 1 1
#   y_pred  0 0 1 1 2 2
# Counts (class x cluster): class 0 -> clusters 0:2, 1:2, 2:0; class 1 -> 0:0, 1:0, 2:2.
# Purity: every cluster votes for its majority class: 2 + 2 + 2 = 6 -> 6/6 = 1.0.
# ACC: one-to-one matching; class 0 gets cluster 0 (or 1): 2 points, class 1 gets
#      cluster 2: 2 points -> 4/6. The unmatched cluster's 2 points count as errors.
HAND_TRUE = np.array([0, 0, 0, 0, 1, 1])
HAND_PRED = np.array([0, 0, 1, 1, 2, 2])


def brute_force_accuracy(y_true, y_pred) -> float:
    """Try every one-to-one mapping from clusters to classes (tiny cases only)."""
    classes, clusters = np.unique(y_true), np.unique(y_pred)
    best = 0
    # pad the classes with None so clusters may stay unmatched
    targets = list(classes) + [None] * len(clusters)
    for mapping in itertools.permutations(targets, len(clusters)):
        lookup = dict(zip(clusters, mapping, strict=True))
        hits = sum(
            lookup[p] is not None and lookup[p] == t for t, p in zip(y_true, y_pred, strict=True)
        )
        best = max(best, hits)
    return best / len(y_true)


# ---- cluster_accuracy ---------------------------------------------------------------
def test_accuracy_hand_example():
    assert cluster_accuracy(HAND_TRUE, HAND_PRED) == pytest.approx(4 / 6)


def test_purity_hand_example_differs_from_accuracy():
    assert purity(HAND_TRUE, HAND_PRED) == pytest.approx(1.0)
    # and the docstring case: clusters {5: 0,0}, {3: 1,1,2}, {9: 2} -> 2 + 2 + 1 = 5 of 6
    assert purity([0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 3, 9]) == pytest.approx(5 / 6)


def test_accuracy_perfect_up_to_renaming():
    y = np.array([0, 0, 1, 1, 2, 2, 2])
    assert cluster_accuracy(y, np.array([7, 7, 3, 3, 1, 1, 1])) == 1.0


def test_accuracy_with_string_labels():
    y_true = np.array(["cat", "cat", "dog", "dog", "dog", "bird"])
    y_pred = np.array(["b", "b", "a", "a", "b", "c"])
    # cat<->b (2), dog<->a (2), bird<->c (1) = 5/6
    assert cluster_accuracy(y_true, y_pred) == pytest.approx(5 / 6)
    assert cluster_accuracy(y_true, y_pred) == pytest.approx(brute_force_accuracy(y_true, y_pred))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("n_classes", "n_clusters"), [(3, 3), (2, 4), (4, 2), (3, 1)])
def test_accuracy_matches_brute_force(seed, n_classes, n_clusters):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, n_classes, 25)
    y_pred = rng.integers(0, n_clusters, 25)
    assert cluster_accuracy(y_true, y_pred) == pytest.approx(brute_force_accuracy(y_true, y_pred))


@pytest.mark.parametrize("seed", range(5))
def test_accuracy_invariant_to_renaming_clusters(seed):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 5, 200)
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.integers(0, 6, 200))
    renamed = rng.permutation(6)[y_pred] + 100
    assert cluster_accuracy(y_true, renamed) == pytest.approx(cluster_accuracy(y_true, y_pred))
    assert purity(y_true, renamed) == pytest.approx(purity(y_true, y_pred))


def test_accuracy_is_not_plain_accuracy():
    y_true = np.array([0, 0, 1, 1])
    y_pred = np.array([1, 1, 0, 0])
    assert skm.accuracy_score(y_true, y_pred) == 0.0
    assert cluster_accuracy(y_true, y_pred) == 1.0


# ---- aligned confusion matrix ---------------------------------------------------------
def test_aligned_confusion_matrix_hand_example():
    matrix, classes, clusters = aligned_confusion_matrix([0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 3, 9])
    np.testing.assert_array_equal(matrix, [[2, 0, 0], [0, 2, 0], [0, 1, 1]])
    np.testing.assert_array_equal(classes, [0, 1, 2])
    np.testing.assert_array_equal(clusters, [5, 3, 9])


@pytest.mark.parametrize(("n_classes", "n_clusters"), [(4, 4), (3, 5), (5, 3)])
@pytest.mark.parametrize("seed", range(3))
def test_aligned_confusion_matrix_diagonal_is_the_matching(seed, n_classes, n_clusters):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, n_classes, 300)
    y_pred = np.where(rng.random(300) < 0.6, y_true % n_clusters, rng.integers(0, n_clusters, 300))
    matrix, classes, clusters = aligned_confusion_matrix(y_true, y_pred)
    assert matrix.shape == (n_classes, n_clusters)
    assert matrix.sum() == 300
    assert np.trace(matrix) == round(cluster_accuracy(y_true, y_pred) * 300)
    # every cell is a true count for its (class, cluster) pair
    for i, c in enumerate(classes):
        for j, k in enumerate(clusters):
            assert matrix[i, j] == np.sum((y_true == c) & (y_pred == k))
    assert sorted(classes) == list(range(n_classes))
    assert sorted(clusters) == sorted(np.unique(y_pred))
    if n_clusters >= n_classes:  # every class is matched: rows stay in class order
        np.testing.assert_array_equal(classes, np.arange(n_classes))


def test_aligned_confusion_matrix_recovers_a_permutation():
    y_true = np.repeat([0, 1, 2], 10)
    y_pred = np.array([2, 0, 1])[y_true]
    matrix, _, clusters = aligned_confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(matrix, np.diag([10, 10, 10]))
    np.testing.assert_array_equal(clusters, [2, 0, 1])


# ---- external / internal scores against scikit-learn --------------------------------
def test_external_scores_match_sklearn():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, 150)
    y_pred = np.where(rng.random(150) < 0.7, y_true, rng.integers(0, 5, 150))
    scores = external_scores(y_true, y_pred)
    assert tuple(scores) == EXTERNAL_SCORES
    assert all(isinstance(v, float) for v in scores.values())
    assert scores["NMI"] == pytest.approx(skm.normalized_mutual_info_score(y_true, y_pred))
    assert scores["ARI"] == pytest.approx(skm.adjusted_rand_score(y_true, y_pred))
    assert scores["AMI"] == pytest.approx(skm.adjusted_mutual_info_score(y_true, y_pred))
    assert scores["homogeneity"] == pytest.approx(skm.homogeneity_score(y_true, y_pred))
    assert scores["completeness"] == pytest.approx(skm.completeness_score(y_true, y_pred))
    assert scores["ACC"] == pytest.approx(cluster_accuracy(y_true, y_pred))
    assert scores["purity"] == pytest.approx(purity(y_true, y_pred))


def test_internal_scores_match_sklearn(blobs):
    X, y = blobs
    scores = internal_scores(X, y)
    assert tuple(scores) == INTERNAL_SCORES
    assert scores["silhouette"] == pytest.approx(skm.silhouette_score(X, y))
    assert scores["Davies-Bouldin"] == pytest.approx(skm.davies_bouldin_score(X, y))
    assert scores["Calinski-Harabasz"] == pytest.approx(skm.calinski_harabasz_score(X, y))


def test_internal_scores_hand_example():
    # two tight pairs 5 apart: a(i) = 0.1, b(i) = 5 or 4.9/5.1 -> silhouette close to 0.98
    X = np.array([[0.0], [0.1], [5.0], [5.1]])
    s = internal_scores(X, [0, 0, 1, 1])["silhouette"]
    expected = np.mean([1 - 0.1 / 5.05, 1 - 0.1 / 4.95, 1 - 0.1 / 4.95, 1 - 0.1 / 5.05])
    assert s == pytest.approx(expected)


def test_silhouette_is_sampled_on_large_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1200, 3))
    y = (X[:, 0] > 0).astype(int)
    got = internal_scores(X, y, sample_size=500, random_state=0)["silhouette"]
    assert got == pytest.approx(skm.silhouette_score(X, y, sample_size=500, random_state=0))
    full = internal_scores(X, y, sample_size=None)["silhouette"]
    assert full == pytest.approx(skm.silhouette_score(X, y))


# ---- report ------------------------------------------------------------------------
def test_clustering_report_table(blobs):
    X, y = blobs
    y_pred = np.where(np.arange(len(y)) % 10 == 0, 0, y)
    report = clustering_report(X, y, y_pred)
    assert isinstance(report, pd.DataFrame)
    assert list(report.index) == [*EXTERNAL_SCORES, *INTERNAL_SCORES]
    assert list(report.columns) == ["kind", "value", "better", "range"]
    assert (report["kind"] == "external").sum() == len(EXTERNAL_SCORES)
    assert report.loc["Davies-Bouldin", "better"] == "lower"
    exact = external_scores(y, y_pred) | internal_scores(X, y_pred)
    for name, value in exact.items():
        assert report.loc[name, "value"] == round(value, 3)
    assert "0.9" in repr(report)  # prints as a table of rounded numbers


def test_clustering_report_parts():
    X = np.array([[0.0], [0.1], [5.0], [5.1]])
    assert list(clustering_report(None, [0, 0, 1, 1], [1, 1, 0, 0]).index) == list(EXTERNAL_SCORES)
    only_internal = clustering_report(X, None, [1, 1, 0, 0])
    assert list(only_internal.index) == list(INTERNAL_SCORES)
    assert set(only_internal["kind"]) == {"internal"}
    with pytest.raises(ValueError, match="both are None"):
        clustering_report(None, None, [0, 1])


# ---- bad inputs ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "func", [cluster_accuracy, purity, external_scores, aligned_confusion_matrix]
)
def test_length_mismatch(func):
    with pytest.raises(ValueError, match="same length, got 3 and 2"):
        func([0, 1, 1], [0, 1])


@pytest.mark.parametrize("func", [cluster_accuracy, purity, external_scores])
def test_nan_and_empty_labels(func):
    with pytest.raises(ValueError, match="NaN"):
        func([0.0, 1.0, np.nan], [0, 1, 1])
    with pytest.raises(ValueError, match="missing"):
        func(np.array(["a", None, "b"], dtype=object), [0, 1, 1])
    with pytest.raises(ValueError, match="empty"):
        func([], [])
    with pytest.raises(ValueError, match="1-D"):
        func([[0, 1]], [[0, 1]])


def test_single_cluster_has_no_internal_score():
    X = np.arange(10.0).reshape(5, 2)
    with pytest.raises(ValueError, match="at least 2 clusters"):
        internal_scores(X, [3, 3, 3, 3, 3])
    with pytest.raises(ValueError, match="fewer clusters than points"):
        internal_scores(X, [0, 1, 2, 3, 4])
    with pytest.raises(ValueError, match="at least 2 clusters"):
        clustering_report(X, [0, 0, 1, 1, 1], [3, 3, 3, 3, 3])


def test_internal_scores_bad_X():
    with pytest.raises(ValueError, match="5 samples but y_pred has 4"):
        internal_scores(np.zeros((5, 2)), [0, 0, 1, 1])
    with pytest.raises(ValueError, match="NaN"):
        internal_scores([[0.0, np.nan], [1.0, 1.0], [2.0, 2.0]], [0, 1, 1])


def test_docstring_examples_run():
    import doctest

    import deepclust_lab.metrics as module

    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0

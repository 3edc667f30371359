"""Scores for a clustering: external (against true labels) and internal (from the data alone).

Cluster ids are arbitrary names: a clustering that calls every "3" cluster 7 is perfect.
So plain accuracy is the wrong score; :func:`cluster_accuracy` first matches clusters to
classes one-to-one (the Hungarian algorithm, :func:`scipy.optimize.linear_sum_assignment`)
so that the matched pairs cover as many points as possible, then counts those points.
Everything else scikit-learn already computes is taken from it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn import metrics as skm
from sklearn.metrics.cluster import contingency_matrix

from deepclust_lab._checks import as_float_matrix, check_int, check_labels

__all__ = ["EXTERNAL_SCORES", "INTERNAL_SCORES", "aligned_confusion_matrix", "cluster_accuracy",
           "clustering_report", "external_scores", "internal_scores", "purity"]

EXTERNAL_SCORES = ("ACC", "NMI", "ARI", "AMI", "purity", "homogeneity", "completeness")
INTERNAL_SCORES = ("silhouette", "Davies-Bouldin", "Calinski-Harabasz")
# which way is better, and the range: shown in the report so a reader need not remember them
_ABOUT = {name: ("higher", "0 to 1") for name in EXTERNAL_SCORES} | {
    "ARI": ("higher", "chance 0, best 1"), "AMI": ("higher", "chance 0, best 1"),
    "silhouette": ("higher", "-1 to 1"), "Davies-Bouldin": ("lower", "0 to inf"),
    "Calinski-Harabasz": ("higher", "0 to inf")}
SILHOUETTE_MAX_SAMPLES = 5000


def _check_one_labeling(y: Any, name: str) -> np.ndarray:
    arr = check_labels(y, name)
    if arr.dtype == object:
        missing = [i for i, v in enumerate(arr) if v is None or (isinstance(v, float) and v != v)]
        if missing:
            raise ValueError(
                f"{name} contains {len(missing)} missing value(s) (None or NaN), "
                f"first at position {missing[0]}; every sample needs a label"
            )
    return arr


def _check_pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = _check_one_labeling(y_true, "y_true"), _check_one_labeling(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true and y_pred must have the same length, got {len(y_true)} and {len(y_pred)}"
        )
    return y_true, y_pred


def _contingency(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The counts table (classes × clusters), its classes and its clusters."""
    y_true, y_pred = _check_pair(y_true, y_pred)
    classes, true_idx = np.unique(y_true, return_inverse=True)
    clusters, pred_idx = np.unique(y_pred, return_inverse=True)
    return contingency_matrix(true_idx, pred_idx), classes, clusters


def cluster_accuracy(y_true: Any, y_pred: Any) -> float:
    """Unsupervised clustering accuracy: the best one-to-one match of clusters to classes.

    Each cluster is paired with at most one class and each class with at most one cluster,
    choosing the pairs that agree on the most points (Hungarian algorithm); the accuracy is
    the fraction of points whose cluster is paired with their class. Unpaired clusters (or
    classes) count as errors. Labels may be ints or strings.

    Examples
    --------
    >>> from deepclust_lab.metrics import cluster_accuracy
    >>> cluster_accuracy([0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 3, 9])
    0.8333333333333334
    """
    table, _, _ = _contingency(y_true, y_pred)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return float(table[rows, cols].sum() / table.sum())


def purity(y_true: Any, y_pred: Any) -> float:
    """Purity: each cluster votes for its most common class; the fraction of points that agree.

    Unlike :func:`cluster_accuracy`, several clusters may vote for the same class, so splitting
    a cluster never lowers purity (one point per cluster gives purity 1).

    >>> purity([0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 3, 9]), purity([0, 0, 1, 1], [0, 1, 2, 3])
    (0.8333333333333334, 1.0)
    """
    table, _, _ = _contingency(y_true, y_pred)
    return float(table.max(axis=0).sum() / table.sum())


def aligned_confusion_matrix(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Confusion matrix (classes × clusters) with the matched pairs on the diagonal.

    Clusters are matched to classes as in :func:`cluster_accuracy`; unmatched clusters come
    last (by the class they hold most of), and with fewer clusters than classes the unmatched
    classes move to the bottom. The diagonal sums to ``cluster_accuracy * n_samples``.

    Returns
    -------
    matrix : ndarray of int, shape (n_classes, n_clusters)
        Points of class ``class_labels[i]`` in cluster ``cluster_labels[j]``.
    class_labels, cluster_labels : ndarray
        The class of each row, the cluster of each column.

    Examples
    --------
    >>> from deepclust_lab.metrics import aligned_confusion_matrix
    >>> m, classes, clusters = aligned_confusion_matrix([0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 3, 9])
    >>> m
    array([[2, 0, 0],
           [0, 2, 0],
           [0, 1, 1]])
    >>> clusters
    array([5, 3, 9])
    """
    table, classes, clusters = _contingency(y_true, y_pred)
    rows, cols = linear_sum_assignment(table, maximize=True)  # rows come back sorted
    extra_rows = np.setdiff1d(np.arange(len(classes)), rows)
    # unmatched clusters: by their majority class, then by size (largest first)
    extra_cols = sorted(np.setdiff1d(np.arange(len(clusters)), cols),
                        key=lambda j: (int(table[:, j].argmax()), -table[:, j].sum()))
    row_order = np.concatenate([rows, extra_rows]).astype(int)
    col_order = np.concatenate([cols, np.asarray(extra_cols, dtype=int)]).astype(int)
    return np.asarray(table[np.ix_(row_order, col_order)]), classes[row_order], clusters[col_order]


def external_scores(y_true: Any, y_pred: Any) -> dict[str, float]:
    """Every score of :data:`EXTERNAL_SCORES`: how well the clusters recover the true classes.

    Homogeneity: each cluster holds one class; completeness: each class sits in one cluster.

    Examples
    --------
    >>> from deepclust_lab.metrics import external_scores
    >>> scores = external_scores([0, 0, 1, 1], [1, 1, 0, 0])
    >>> scores["ACC"], scores["ARI"]
    (1.0, 1.0)
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    homogeneity, completeness, _ = skm.homogeneity_completeness_v_measure(y_true, y_pred)
    return {
        "ACC": cluster_accuracy(y_true, y_pred),
        "NMI": float(skm.normalized_mutual_info_score(y_true, y_pred)),
        "ARI": float(skm.adjusted_rand_score(y_true, y_pred)),
        "AMI": float(skm.adjusted_mutual_info_score(y_true, y_pred)),
        "purity": purity(y_true, y_pred),
        "homogeneity": float(homogeneity),
        "completeness": float(completeness),
    }


def internal_scores(X: Any, y_pred: Any, *, sample_size: int | None = SILHOUETTE_MAX_SAMPLES,
                    random_state: int | None = 0) -> dict[str, float]:
    """The scores of :data:`INTERNAL_SCORES`, from the data and the clusters alone.

    The silhouette (points closer to their own cluster than to the next) costs time in
    n_samples², so above ``sample_size`` samples it is computed on a random subset of that
    size, seeded by ``random_state`` (``None``: every sample). Davies-Bouldin (compact,
    separated clusters) and Calinski-Harabasz (between- vs within-cluster spread) use all.

    Examples
    --------
    >>> import numpy as np
    >>> from deepclust_lab.metrics import internal_scores
    >>> X = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> round(internal_scores(X, [0, 0, 1, 1])["silhouette"], 2)
    0.98
    """
    X = as_float_matrix(X)
    y_pred = _check_one_labeling(y_pred, "y_pred")
    n = X.shape[0]
    if len(y_pred) != n:
        raise ValueError(f"X has {n} samples but y_pred has {len(y_pred)} labels; "
                         "they must describe the same points")
    if sample_size is not None:
        sample_size = check_int(sample_size, "sample_size", low=2)
    n_clusters = len(np.unique(y_pred))
    if n_clusters < 2:
        raise ValueError(
            f"Internal scores compare clusters with each other, so they need at least 2 "
            f"clusters; every point here is in cluster {y_pred[0]!r}"
        )
    if n_clusters >= n:
        raise ValueError(
            f"Internal scores need fewer clusters than points; got {n_clusters} clusters "
            f"for {n} points (every point alone in its cluster)"
        )
    subset = sample_size if sample_size is not None and n > sample_size else None
    try:
        silhouette = skm.silhouette_score(X, y_pred, sample_size=subset, random_state=random_state)
    except ValueError:  # the random subset happened to contain a single cluster
        silhouette = skm.silhouette_score(X, y_pred)
    return {
        "silhouette": float(silhouette),
        "Davies-Bouldin": float(skm.davies_bouldin_score(X, y_pred)),
        "Calinski-Harabasz": float(skm.calinski_harabasz_score(X, y_pred)),
    }


def clustering_report(X: Any | None, y_true: Any | None, y_pred: Any, *,
                      decimals: int = 3) -> pd.DataFrame:
    """All scores in one table, indexed by score, with columns ``kind`` ("external" /
    "internal"), ``value`` (rounded to ``decimals``), ``better`` ("higher" / "lower") and
    ``range``. ``X=None`` skips the internal scores, ``y_true=None`` the external ones.

    Examples
    --------
    >>> from deepclust_lab.metrics import clustering_report
    >>> report = clustering_report(None, [0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 3, 9])
    >>> float(report.loc["ACC", "value"]), float(report.loc["purity", "value"])
    (0.833, 0.833)
    """
    decimals = check_int(decimals, "decimals", low=0)
    if X is None and y_true is None:
        raise ValueError(
            "clustering_report needs X (for internal scores), y_true (for external scores), "
            "or both; both are None"
        )
    y_pred = _check_one_labeling(y_pred, "y_pred")
    rows = []
    if y_true is not None:
        rows += [(name, "external", round(value, decimals), *_ABOUT[name])
                 for name, value in external_scores(y_true, y_pred).items()]
    if X is not None:
        rows += [(name, "internal", round(value, decimals), *_ABOUT[name])
                 for name, value in internal_scores(X, y_pred).items()]
    return pd.DataFrame(rows, columns=["score", "kind", "value", "better", "range"]).set_index("score")

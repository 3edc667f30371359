"""Scores for a clustering: external (against true labels) and internal (from the data alone).

Cluster ids are arbitrary names: a clustering that calls every "3" cluster 7 is perfect.
So plain accuracy is the wrong score; :func:`cluster_accuracy` first matches clusters to
classes one-to-one (the Hungarian algorithm, :func:`scipy.optimize.linear_sum_assignment`)
so that the matched pairs cover as many points as possible, then counts those points.

Everything scikit-learn already computes (NMI, ARI, AMI, homogeneity, completeness,
silhouette, Davies-Bouldin, Calinski-Harabasz) is taken from it; this module adds accuracy,
purity, the matched confusion matrix, and one table with all of them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn import metrics as skm
from sklearn.metrics.cluster import contingency_matrix

from deepclust_lab._checks import as_float_matrix, check_int, check_labels

__all__ = [
    "EXTERNAL_SCORES",
    "INTERNAL_SCORES",
    "aligned_confusion_matrix",
    "cluster_accuracy",
    "clustering_report",
    "external_scores",
    "internal_scores",
    "purity",
]

EXTERNAL_SCORES = ("ACC", "NMI", "ARI", "AMI", "purity", "homogeneity", "completeness")
"""Keys of :func:`external_scores`, in order (higher is better for all of them)."""
INTERNAL_SCORES = ("silhouette", "Davies-Bouldin", "Calinski-Harabasz")
"""Keys of :func:`internal_scores`, in order."""

# which direction is better, shown in the report so a reader need not remember it
_BETTER = {name: "higher" for name in (*EXTERNAL_SCORES, "silhouette", "Calinski-Harabasz")}
_BETTER["Davies-Bouldin"] = "lower"
_RANGE = {name: "0 to 1" for name in EXTERNAL_SCORES}
_RANGE.update(
    {"ARI": "chance 0, best 1", "AMI": "chance 0, best 1", "silhouette": "-1 to 1",
     "Davies-Bouldin": "0 to inf", "Calinski-Harabasz": "0 to inf"}
)  # fmt: skip

SILHOUETTE_MAX_SAMPLES = 5000


# --------------------------------------------------------------------------------------
# input checks for a pair of labelings
# --------------------------------------------------------------------------------------
def _check_one_labeling(y: Any, name: str, n_samples: int | None = None) -> np.ndarray:
    arr = check_labels(y, name, n_samples=n_samples)
    if arr.dtype == object:
        missing = [i for i, v in enumerate(arr) if v is None or (isinstance(v, float) and v != v)]
        if missing:
            raise ValueError(
                f"{name} contains {len(missing)} missing value(s) (None or NaN), "
                f"first at position {missing[0]}; every sample needs a label"
            )
    return arr


def _check_pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    y_true = _check_one_labeling(y_true, "y_true")
    y_pred = _check_one_labeling(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true and y_pred must have the same length, got {len(y_true)} and {len(y_pred)}"
        )
    return y_true, y_pred


def _contingency(y_true: np.ndarray, y_pred: np.ndarray):
    """Counts table (classes × clusters) with the sorted class and cluster labels."""
    classes, true_idx = np.unique(y_true, return_inverse=True)
    clusters, pred_idx = np.unique(y_pred, return_inverse=True)
    table = contingency_matrix(true_idx, pred_idx)
    return table, classes, clusters


# --------------------------------------------------------------------------------------
# external scores
# --------------------------------------------------------------------------------------
def cluster_accuracy(y_true: Any, y_pred: Any) -> float:
    """Unsupervised clustering accuracy: the best one-to-one match of clusters to classes.

    Each cluster is paired with at most one class and each class with at most one cluster,
    choosing the pairs that agree on the most points (Hungarian algorithm); the accuracy is
    the fraction of points whose cluster is paired with their class. With more clusters
    than classes the unpaired clusters count as errors; with fewer, so do the unpaired
    classes. It is invariant to renaming the clusters.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True classes (ints or strings).
    y_pred : array-like of shape (n_samples,)
        Cluster ids (ints or strings); their values need not match the classes'.

    Returns
    -------
    float
        Between 0 and 1.

    Examples
    --------
    >>> from deepclust_lab.metrics import cluster_accuracy
    >>> cluster_accuracy([0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 3, 9])
    0.8333333333333334
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    table, _, _ = _contingency(y_true, y_pred)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return float(table[rows, cols].sum() / len(y_true))


def purity(y_true: Any, y_pred: Any) -> float:
    """Purity: each cluster votes for its most common class; the fraction of points that agree.

    Unlike :func:`cluster_accuracy`, several clusters may vote for the same class, so splitting
    a cluster never lowers purity (one point per cluster gives purity 1); two unrelated
    clusterings with more clusters need not have a higher purity, though. Arguments and result
    as for :func:`cluster_accuracy`.

    >>> purity([0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 3, 9]), purity([0, 0, 1, 1], [0, 1, 2, 3])
    (0.8333333333333334, 1.0)
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    table, _, _ = _contingency(y_true, y_pred)
    return float(table.max(axis=0).sum() / len(y_true))


def aligned_confusion_matrix(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Confusion matrix (classes × clusters) with matched pairs on the diagonal.

    Clusters are matched to classes as in :func:`cluster_accuracy`, and the columns are
    reordered so that the cluster matched to the class of row ``i`` is column ``i``.
    Clusters that match no class come last (ordered by the class they hold most of).
    Rows are in sorted class order, except when there are fewer clusters than classes:
    then the unmatched classes move to the bottom, so the diagonal still holds the matches.
    The diagonal therefore sums to ``cluster_accuracy(y_true, y_pred) * n_samples``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True classes and cluster ids.

    Returns
    -------
    matrix : ndarray of int, shape (n_classes, n_clusters)
        ``matrix[i, j]`` = number of points of class ``class_labels[i]`` in cluster
        ``cluster_labels[j]``.
    class_labels : ndarray of shape (n_classes,)
        The class of each row.
    cluster_labels : ndarray of shape (n_clusters,)
        The cluster id of each column, in matched order.

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
    y_true, y_pred = _check_pair(y_true, y_pred)
    table, classes, clusters = _contingency(y_true, y_pred)
    rows, cols = linear_sum_assignment(table, maximize=True)  # rows come back sorted
    unmatched_rows = np.setdiff1d(np.arange(len(classes)), rows)
    unmatched_cols = np.setdiff1d(np.arange(len(clusters)), cols)
    # unmatched clusters: by their majority class, then by size (largest first)
    extra = sorted(unmatched_cols, key=lambda j: (int(table[:, j].argmax()), -table[:, j].sum()))
    row_order = np.concatenate([rows, unmatched_rows]).astype(int)
    col_order = np.concatenate([cols, np.asarray(extra, dtype=int)]).astype(int)
    matrix = table[np.ix_(row_order, col_order)]
    return np.asarray(matrix), classes[row_order], clusters[col_order]


def external_scores(y_true: Any, y_pred: Any) -> dict[str, float]:
    """Every external score at once: how well the clusters recover the true classes
    (``y_true``, ``y_pred`` as for :func:`cluster_accuracy`).

    Returns
    -------
    dict
        Keys :data:`EXTERNAL_SCORES`: ``"ACC"`` (:func:`cluster_accuracy`), ``"NMI"``
        (normalized mutual information), ``"ARI"`` (adjusted Rand index), ``"AMI"``
        (adjusted mutual information), ``"purity"``, ``"homogeneity"`` (each cluster holds
        one class), ``"completeness"`` (each class sits in one cluster). Higher is better
        for all; NMI, ARI, AMI, homogeneity and completeness come from scikit-learn.

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


# --------------------------------------------------------------------------------------
# internal scores
# --------------------------------------------------------------------------------------
def internal_scores(
    X: Any,
    y_pred: Any,
    *,
    sample_size: int | None = SILHOUETTE_MAX_SAMPLES,
    random_state: int | None = 0,
) -> dict[str, float]:
    """Scores computed from the data and the clusters alone, no true labels needed.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data that was clustered (or its embedding).
    y_pred : array-like of shape (n_samples,)
        Cluster ids; at least two different clusters, and fewer clusters than samples.
    sample_size : int or None, default 5000
        The silhouette costs time proportional to n_samples²; above this many samples it is
        computed on a random subset of this size (seeded by ``random_state``). ``None``
        uses every sample.
    random_state : int, default 0
        Seed of that subset.

    Returns
    -------
    dict
        ``"silhouette"`` (-1 to 1, higher is better: points sit closer to their own cluster
        than to the next), ``"Davies-Bouldin"`` (0 and up, lower is better: clusters are
        compact and apart), ``"Calinski-Harabasz"`` (0 and up, higher is better: between- vs
        within-cluster spread). All from scikit-learn.

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
    if len(y_pred) != X.shape[0]:
        raise ValueError(
            f"X has {X.shape[0]} samples but y_pred has {len(y_pred)} labels; "
            "they must describe the same points"
        )
    if sample_size is not None:
        sample_size = check_int(sample_size, "sample_size", low=2)
    n_clusters = len(np.unique(y_pred))
    n = X.shape[0]
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


# --------------------------------------------------------------------------------------
# the report table
# --------------------------------------------------------------------------------------
def clustering_report(
    X: Any | None, y_true: Any | None, y_pred: Any, *, decimals: int = 3
) -> pd.DataFrame:
    """All scores in one table, one row per score.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or None
        The clustered data, for the internal scores; ``None`` skips them.
    y_true : array-like of shape (n_samples,) or None
        True classes, for the external scores; ``None`` skips them.
    y_pred : array-like of shape (n_samples,)
        Cluster ids.
    decimals : int, default 3
        Values are rounded to this many decimals (use :func:`external_scores` /
        :func:`internal_scores` for full precision).

    Returns
    -------
    pandas.DataFrame
        Indexed by score name, with columns ``kind`` ("external" / "internal"), ``value``,
        ``better`` ("higher" / "lower") and ``range``.

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
    rows: list[tuple[str, str, float]] = []
    if y_true is not None:
        scores = external_scores(y_true, y_pred)
        rows += [(name, "external", value) for name, value in scores.items()]
    if X is not None:
        scores = internal_scores(X, y_pred)
        rows += [(name, "internal", value) for name, value in scores.items()]
    table = pd.DataFrame(
        {
            "kind": [kind for _, kind, _ in rows],
            "value": [round(value, decimals) for _, _, value in rows],
            "better": [_BETTER[name] for name, _, _ in rows],
            "range": [_RANGE[name] for name, _, _ in rows],
        },
        index=pd.Index([name for name, _, _ in rows], name="score"),
    )
    return table

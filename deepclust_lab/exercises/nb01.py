"""Exercises of notebook 01 (clustering theory): ``notebook01.objective``, ``.choose_k``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from deepclust_lab.exercises import core

__all__ = ["choose_k", "kmeans_objective", "notebook01"]


def kmeans_objective(X: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> float:
    """Sum of squared distances from each point to the centre of its cluster."""
    # centers[labels] puts each point's own centre on the same row as the point
    differences = X - centers[labels]
    return float((differences**2).sum())


def choose_k(ks: Sequence[int], silhouettes: Sequence[float]) -> int:
    """The k with the highest silhouette (the smallest such k if several tie)."""
    ks = np.asarray(ks)
    silhouettes = np.asarray(silhouettes)
    best = silhouettes.max()
    return int(ks[silhouettes == best].min())


def _objective_cases() -> list[tuple[str, tuple]]:
    X = np.array([[0.0, 0.0], [2.0, 0.0], [5.0, 5.0]])
    X2, y2 = core.seeded_groups(6, 40, 3, 2, scale=4.0)
    C2 = np.array([X2[y2 == j].mean(axis=0) for j in range(3)])
    X3, y3 = core.seeded_groups(7, 25, 2, 4, scale=4.0)
    return [
        ("3 points, 2 centres", (X, np.array([[1.0, 0.0], [5.0, 5.0]]), np.array([0, 0, 1]))),
        ("40 points, centres at the cluster means", (X2, C2, y2)),
        ("25 points in 4-D, centres not at the means", (X3, np.zeros((2, 4)), y3)),
    ]


def _choose_k_cases() -> list[tuple[str, tuple]]:
    return [
        ("k = 2..6", ([2, 3, 4, 5, 6], [0.41, 0.62, 0.55, 0.48, 0.40])),
        ("a sweep that peaks at the last k", ([2, 3, 4], [0.2, 0.3, 0.5])),
        ("two k tied for the best silhouette", ([2, 3, 4, 5], [0.5, 0.7, 0.7, 0.1])),
        ("ks not in increasing order", ([6, 2, 4, 3], [0.3, 0.45, 0.52, 0.5])),
    ]


notebook01 = core.exercise_set(
    core.Exercise(
        "01.objective", "the K-means objective",
        """Write `kmeans_objective(X, centers, labels)` that returns the K-means objective (the
        inertia): the sum over all points of the squared distance to the centre of their
        cluster. `X` has shape (n_samples, n_features), `centers` (n_clusters, n_features),
        `labels` (n_samples,) holds each point's cluster index. Return one float.""",
        kmeans_objective,
        """`centers[labels]` gives an (n_samples, n_features) array whose row i is the centre of
        point i's cluster. Subtract it from X, square, and sum everything.""",
        core.function_checker(_objective_cases, core.compare_number,
                              "This number is what K-means makes as small as it can."),
    ),
    core.Exercise(
        "01.choose_k", "choose k by the silhouette",
        """Write `choose_k(ks, silhouettes)` that returns the k whose mean silhouette is highest.
        `ks` and `silhouettes` are equally long sequences (ks in any order). If several k
        share the best score, return the smallest of them (the simpler model).""",
        choose_k,
        """Turn both into NumPy arrays; `silhouettes.max()` is the best score, and
        `ks[silhouettes == best]` the ks that reach it.""",
        core.function_checker(_choose_k_cases, core.compare_whole_number,
                              "The silhouette is one way to choose k; the elbow of the inertia "
                              "curve is another.", show_args=True),
    ),
)

"""Exercises of notebook 05 (evaluation): ``notebook05.accuracy``, ``.gap_rule``,
``.pairwise_ari``."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score

from deepclust_lab.exercises import core
from deepclust_lab.selection import choose_gap_k  # the gap rule's one home

__all__ = ["matched_accuracy", "mean_pairwise_ari", "notebook05"]


def matched_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of points whose cluster is matched to their class (best one-to-one matching)."""
    classes, true_idx = np.unique(y_true, return_inverse=True)
    clusters, pred_idx = np.unique(y_pred, return_inverse=True)
    # counts[i, j] = number of points of class i that landed in cluster j
    counts = np.zeros((len(classes), len(clusters)), dtype=int)
    np.add.at(counts, (true_idx, pred_idx), 1)
    # the Hungarian algorithm: pairs (class, cluster), each used at most once, covering most points
    rows, cols = linear_sum_assignment(counts, maximize=True)
    return float(counts[rows, cols].sum() / len(y_true))


def mean_pairwise_ari(labelings: Sequence[np.ndarray]) -> float:
    """Mean adjusted Rand index over every pair of different runs."""
    scores = [adjusted_rand_score(a, b) for a, b in combinations(labelings, 2)]
    return float(np.mean(scores))


def _accuracy_cases() -> list[tuple[str, tuple]]:
    rng = np.random.default_rng(5)
    y = np.repeat(np.arange(4), 25)
    noisy = np.where(rng.random(100) < 0.3, rng.integers(0, 4, 100), y)
    renamed = np.array([7, 2, 9, 4])[noisy]  # a noisy clustering with arbitrary cluster ids
    return [
        ("a perfect clustering with renamed clusters",
         (np.array([0, 0, 1, 1, 2, 2]), np.array([2, 2, 0, 0, 1, 1]))),
        ("two clusters that both hold mostly class 0",
         (np.array([0, 0, 0, 0, 1, 1]), np.array([5, 5, 3, 3, 3, 9]))),
        ("100 points, 4 classes, 30% noise, cluster ids 2, 4, 7, 9", (y, renamed)),
        ("more clusters (5) than classes (2)",
         (np.array([0, 0, 0, 0, 1, 1, 1, 1]), np.array([0, 1, 2, 2, 3, 3, 4, 4]))),
        ("fewer clusters (2) than classes (3)",
         (np.array([0, 0, 1, 1, 2, 2]), np.array([1, 1, 1, 0, 0, 0]))),
    ]


def _gap_cases() -> list[tuple[str, tuple]]:
    return [
        ("a clear peak at k = 3",
         ([1, 2, 3, 4, 5], [0.2, 0.5, 1.1, 1.0, 0.9], [0.05, 0.05, 0.05, 0.05, 0.05])),
        ("a rising curve that flattens within one standard error",
         ([1, 2, 3, 4, 5], [0.1, 0.4, 0.60, 0.62, 0.63], [0.02, 0.02, 0.02, 0.03, 0.03])),
        ("a curve that never stops rising", ([2, 3, 4], [0.1, 0.3, 0.6], [0.01, 0.01, 0.01])),
        ("standard errors that differ from k to k",
         ([1, 2, 3, 4], [0.3, 0.5, 0.55, 0.7], [0.01, 0.3, 0.01, 0.01])),
    ]


def _pairwise_cases() -> list[tuple[str, tuple]]:
    rng = np.random.default_rng(7)
    base = np.repeat(np.arange(3), 10)
    runs = [np.where(rng.random(30) < 0.2, rng.integers(0, 3, 30), base) for _ in range(4)]
    return [
        ("three identical runs", ([base, base, base],)),
        ("two runs, the same clusters renamed", ([base, (base + 1) % 3],)),
        ("four noisy runs of 30 points", (runs,)),
        ("three runs, one of them different", ([base, base, np.tile(np.arange(3), 10)],)),
    ]


notebook05 = core.exercise_set(
    core.Exercise(
        "05.accuracy", "accuracy with Hungarian matching",
        """Write `matched_accuracy(y_true, y_pred)` that returns the clustering accuracy: match
        clusters to classes one-to-one so that the matched pairs share as many points as
        possible, then return the fraction of points whose cluster is matched to their class.
        Build the counts table (classes x clusters) and use
        `scipy.optimize.linear_sum_assignment(counts, maximize=True)`. Cluster ids and class
        ids are arbitrary integers; there may be more or fewer clusters than classes.""",
        matched_accuracy,
        """`np.unique(y, return_inverse=True)` turns arbitrary ids into 0, 1, 2, ...; then
        `np.add.at(counts, (true_idx, pred_idx), 1)` fills the table.
        `rows, cols = linear_sum_assignment(counts, maximize=True)` gives the matched pairs,
        and `counts[rows, cols].sum()` the points they cover.""",
        core.function_checker(_accuracy_cases, core.compare_number,
                              "Renaming the clusters cannot change this score, unlike "
                              "accuracy_score."),
    ),
    core.Exercise(
        "05.gap_rule", "Tibshirani's rule for the gap statistic",
        """Write `gap_choice(ks, gap, gap_se)` that returns the k chosen by the gap statistic:
        the smallest k (ks are given in increasing order) such that
        `Gap(k) >= Gap(next k) - gap_se(next k)`. If no k passes, return the k with the
        largest gap.""",
        choose_gap_k,
        """Loop over the positions i = 0 .. len(ks) - 2 and compare `gap[i]` with
        `gap[i + 1] - gap_se[i + 1]`: the standard error of the *next* k, not of this one.""",
        core.function_checker(_gap_cases, core.compare_whole_number,
                              "The rule prefers the simplest k whose gap the next k does not "
                              "clearly beat. The kit's gap_statistic uses this very function.",
                              show_args=True),
    ),
    core.Exercise(
        "05.pairwise_ari", "mean pairwise ARI between runs",
        """Write `mean_pairwise_ari(labelings)` that takes a list of label arrays (one per run of
        a clustering method, all on the same points) and returns the mean adjusted Rand index
        (`sklearn.metrics.adjusted_rand_score`) over every pair of *different* runs.""",
        mean_pairwise_ari,
        """`itertools.combinations(labelings, 2)` yields every pair once, without pairing a run
        with itself. Score each pair and average.""",
        core.function_checker(_pairwise_cases, core.compare_number,
                              "1.0 means every run found the same clusters, whatever their names."),
    ),
)

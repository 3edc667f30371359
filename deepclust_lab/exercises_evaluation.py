"""Exercises for notebooks 05 (evaluation) and 06 (practical issues).

They work exactly like those of :mod:`deepclust_lab.exercises` (and reuse its
:class:`~deepclust_lab.exercises.Exercise` class): write the function, then call
``ex.check(your_function)``; ``ex.hint()`` nudges, ``ex.solution()`` shows the reference::

    from deepclust_lab import exercises_evaluation as exercises
    ex = exercises.notebook05.accuracy         # or: exercises.get_exercise("05.accuracy")

    def matched_accuracy(y_true, y_pred):
        ...                                    # your code here

    ex.check(matched_accuracy)                 # not attempted / correct / what is wrong

``check`` never raises for a wrong or unfinished answer, so a notebook with unsolved
exercises still runs top to bottom. Test cases are small, seeded, and made when ``check``
runs; nothing is loaded at import.

Exercises
---------
========================  ===============================================================
key                       write
========================  ===============================================================
``"05.accuracy"``         ``matched_accuracy(y_true, y_pred)``: accuracy after Hungarian
                          matching of clusters to classes
``"05.gap_rule"``         ``gap_choice(ks, gap, gap_se)``: Tibshirani's rule for the gap
``"05.pairwise_ari"``     ``mean_pairwise_ari(labelings)``: the mean ARI over all pairs of runs
``"06.impute"``           ``mean_impute(X)``: fill NaN with the mean of its column
``"06.contrast"``         ``distance_contrast(X)``: largest / smallest pairwise distance
``"06.spectrum"``         ``spectrum_features(windows, n_bins)``: FFT magnitudes per window
========================  ===============================================================

Examples
--------
>>> get_exercise("05.gap_rule").title
"Tibshirani's rule for the gap statistic"
>>> get_exercise("05.gap_rule") is notebook05.gap_rule
True
>>> bool(get_exercise("06.impute").check(...))  # doctest: +ELLIPSIS
Not attempted yet. ...
False
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from types import SimpleNamespace
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import pdist
from sklearn.metrics import adjusted_rand_score

# The checking machinery is shared with the exercises of notebooks 01-02 (one copy only).
from deepclust_lab.exercises import (
    Exercise,
    _as_array,
    _fmt,
    _function_checker,
    _Wrong,
    get_exercise,
)

__all__ = [
    "EXERCISES",
    "get_exercise",
    "notebook05",
    "notebook06",
]


# --------------------------------------------------------------------------- reference solutions
# Written for the reader: these are what ``solution()`` shows.


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


def gap_choice(ks: Sequence[int], gap: Sequence[float], gap_se: Sequence[float]) -> int:
    """Smallest k with Gap(k) >= Gap(k+1) - s(k+1); the k of the largest gap if none passes."""
    ks, gap, gap_se = np.asarray(ks), np.asarray(gap), np.asarray(gap_se)
    for i in range(len(ks) - 1):
        if gap[i] >= gap[i + 1] - gap_se[i + 1]:
            return int(ks[i])
    return int(ks[np.argmax(gap)])


def mean_pairwise_ari(labelings: Sequence[np.ndarray]) -> float:
    """Mean adjusted Rand index over every pair of different runs."""
    scores = [adjusted_rand_score(a, b) for a, b in combinations(labelings, 2)]
    return float(np.mean(scores))


def mean_impute(X: np.ndarray) -> np.ndarray:
    """A copy of X with every NaN replaced by the mean of the known values in its column."""
    column_means = np.nanmean(X, axis=0)
    missing = np.isnan(X)
    filled = X.copy()
    # np.nonzero gives the (row, column) of every gap; take each gap's column mean
    rows, cols = np.nonzero(missing)
    filled[rows, cols] = column_means[cols]
    return filled


def distance_contrast(X: np.ndarray) -> float:
    """Largest pairwise Euclidean distance divided by the smallest (between different rows)."""
    distances = pdist(X)  # every pair i < j once
    return float(distances.max() / distances.min())


def spectrum_features(windows: np.ndarray, n_bins: int) -> np.ndarray:
    """FFT magnitudes 1..n_bins of each standardised window (row): shape (n_windows, n_bins)."""
    # standardise each window, so neither its level nor its loudness matters
    mean = windows.mean(axis=1, keepdims=True)
    std = windows.std(axis=1, keepdims=True)
    standardised = (windows - mean) / std
    # the magnitude of the Fourier transform ignores where in its cycle the window starts
    magnitudes = np.abs(np.fft.rfft(standardised, axis=1))
    return magnitudes[:, 1 : n_bins + 1]  # drop bin 0 (the mean, always 0 here)


# --------------------------------------------------------------------------- comparisons


def _compare_float(expected: float, given: Any, args: tuple, case: str) -> None:
    try:
        got = float(given)
    except (TypeError, ValueError):
        raise _Wrong(f"On {case}: expected one number, given {_fmt(given)}.") from None
    if not np.isclose(got, expected, rtol=1e-7, atol=1e-9):
        raise _Wrong(f"On {case}:\nexpected: {_fmt(expected)}\ngiven:    {_fmt(got)}")


def _compare_gap_k(expected: int, given: Any, args: tuple, case: str) -> None:
    whole = isinstance(given, (int, np.integer)) and not isinstance(given, (bool, np.bool_))
    if isinstance(given, (float, np.floating)) and float(given).is_integer():
        whole = True
    if not whole:
        raise _Wrong(f"On {case}: expected one whole number k, given {_fmt(given)}.")
    if int(given) != expected:
        ks, gap, se = args
        raise _Wrong(f"On {case} (ks = {list(ks)}, gap = {list(gap)}, gap_se = {list(se)}):\n"
                     f"expected: {expected}\ngiven:    {int(given)}")


def _compare_array(expected: np.ndarray, given: Any, args: tuple, case: str) -> None:
    got = _as_array(given, case, f"an array of shape {expected.shape}")
    if got.shape != expected.shape:
        hint = " (rows and columns swapped?)" if got.shape == expected.shape[::-1] else ""
        raise _Wrong(f"On {case}: expected shape {expected.shape}, given shape {got.shape}{hint}.")
    if np.isnan(got).any():
        raise _Wrong(f"On {case}: your result still contains {int(np.isnan(got).sum())} NaN.\n"
                     f"expected:\n{_fmt(expected)}\ngiven:\n{_fmt(got)}")
    if not np.allclose(got, expected, rtol=1e-6, atol=1e-9):
        row = int(np.abs(got - expected).max(axis=1).argmax())
        raise _Wrong(f"On {case}: row {row} is wrong.\nexpected: {_fmt(expected[row])}\n"
                     f"given:    {_fmt(got[row])}")


# --------------------------------------------------------------------------- test cases


def _accuracy_cases() -> list[tuple[str, tuple]]:
    rng = np.random.default_rng(5)
    y = np.repeat(np.arange(4), 25)
    noisy = np.where(rng.random(100) < 0.3, rng.integers(0, 4, 100), y)
    renamed = np.array([7, 2, 9, 4])[noisy]  # a noisy clustering with arbitrary cluster ids
    return [
        ("a perfect clustering with renamed clusters", (np.array([0, 0, 1, 1, 2, 2]),
                                                        np.array([2, 2, 0, 0, 1, 1]))),
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
        ("a clear peak at k = 3", ([1, 2, 3, 4, 5], [0.2, 0.5, 1.1, 1.0, 0.9],
                                   [0.05, 0.05, 0.05, 0.05, 0.05])),
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


def _impute_cases() -> list[tuple[str, tuple]]:
    rng = np.random.default_rng(11)
    X = rng.normal(size=(20, 4))
    X[rng.random(X.shape) < 0.25] = np.nan
    X[0, 0] = 0.5  # keep at least one value per column
    return [
        ("3 rows, 2 columns, 2 gaps", (np.array([[1.0, 2.0], [np.nan, 4.0], [3.0, np.nan]]),)),
        ("no gaps at all", (np.array([[1.0, 2.0], [3.0, 4.0]]),)),
        ("20 rows, 4 columns, about 25% gaps", (X,)),
    ]


def _contrast_cases() -> list[tuple[str, tuple]]:
    rng = np.random.default_rng(13)
    return [
        ("3 points on a line at 0, 1 and 3", (np.array([[0.0], [1.0], [3.0]]),)),
        ("4 corners of a 1 x 2 rectangle", (np.array([[0.0, 0.0], [1, 0], [0, 2], [1, 2]]),)),
        ("50 random points in 10-D", (rng.uniform(size=(50, 10)),)),
    ]


def _spectrum_cases() -> list[tuple[str, tuple]]:
    t = np.arange(32) / 32
    rng = np.random.default_rng(17)
    two = np.stack([np.sin(2 * np.pi * 3 * t), 2 + 5 * np.cos(2 * np.pi * 3 * t + 1.0)])
    return [
        ("a sine and a shifted, louder, offset copy, n_bins=5", (two, 5)),
        ("10 noisy windows of length 64, n_bins=8", (rng.normal(size=(10, 64)), 8)),
        ("the same windows, n_bins=32 (every non-zero frequency)",
         (rng.normal(size=(3, 64)), 32)),
    ]


# --------------------------------------------------------------------------- the exercises

_ACCURACY = Exercise(
    "05.accuracy", "accuracy with Hungarian matching",
    """
    Write `matched_accuracy(y_true, y_pred)` that returns the clustering accuracy: match
    clusters to classes one-to-one so that the matched pairs share as many points as
    possible, then return the fraction of points whose cluster is matched to their class.
    Build the counts table (classes x clusters) and use
    `scipy.optimize.linear_sum_assignment(counts, maximize=True)`. Cluster ids and class ids
    are arbitrary integers; there may be more or fewer clusters than classes.
    """,
    matched_accuracy,
    """
    `np.unique(y, return_inverse=True)` turns arbitrary ids into 0, 1, 2, ...; then
    `np.add.at(counts, (true_idx, pred_idx), 1)` fills the table.
    `rows, cols = linear_sum_assignment(counts, maximize=True)` gives the matched pairs, and
    `counts[rows, cols].sum()` the points they cover.
    """,
    _function_checker(_accuracy_cases, _compare_float,
                      "Renaming the clusters cannot change this score, unlike accuracy_score."),
)

_GAP_RULE = Exercise(
    "05.gap_rule", "Tibshirani's rule for the gap statistic",
    """
    Write `gap_choice(ks, gap, gap_se)` that returns the k chosen by the gap statistic:
    the smallest k (ks are given in increasing order) such that
    `Gap(k) >= Gap(next k) - gap_se(next k)`. If no k passes, return the k with the largest gap.
    """,
    gap_choice,
    """
    Loop over the positions i = 0 .. len(ks) - 2 and compare `gap[i]` with
    `gap[i + 1] - gap_se[i + 1]`: the standard error of the *next* k, not of this one.
    """,
    _function_checker(_gap_cases, _compare_gap_k,
                      "The rule prefers the simplest k whose gap the next k does not clearly beat."),
)

_PAIRWISE = Exercise(
    "05.pairwise_ari", "mean pairwise ARI between runs",
    """
    Write `mean_pairwise_ari(labelings)` that takes a list of label arrays (one per run of a
    clustering method, all on the same points) and returns the mean adjusted Rand index
    (`sklearn.metrics.adjusted_rand_score`) over every pair of *different* runs.
    """,
    mean_pairwise_ari,
    """
    `itertools.combinations(labelings, 2)` yields every pair once, without pairing a run
    with itself. Score each pair and average.
    """,
    _function_checker(_pairwise_cases, _compare_float,
                      "1.0 means every run found the same clusters, whatever their names."),
)

_IMPUTE = Exercise(
    "06.impute", "mean imputation",
    """
    Write `mean_impute(X)` that returns a copy of `X` (n_samples, n_features) in which every
    NaN is replaced by the mean of the values that are known in its column. Do not change `X`.
    """,
    mean_impute,
    """
    `np.nanmean(X, axis=0)` gives the column means, ignoring NaN. `np.isnan(X)` marks the
    gaps; `np.where(np.isnan(X), column_means, X)` (broadcasting the means across rows) fills
    them in one line.
    """,
    _function_checker(_impute_cases, _compare_array,
                      "scikit-learn's SimpleImputer(strategy='mean') does the same."),
)

_CONTRAST = Exercise(
    "06.contrast", "distance contrast",
    """
    Write `distance_contrast(X)` that returns the largest Euclidean distance between two
    different rows of `X` divided by the smallest one. (Assume no two rows are equal.)
    """,
    distance_contrast,
    """
    `scipy.spatial.distance.pdist(X)` returns the distance of every pair of different rows
    once. If you build the full n x n matrix instead, leave out its zero diagonal before
    taking the minimum.
    """,
    _function_checker(_contrast_cases, _compare_float,
                      "In high dimensions this ratio falls towards 1: every point is about as "
                      "far from every other."),
)

_SPECTRUM = Exercise(
    "06.spectrum", "spectrum features of time-series windows",
    """
    Write `spectrum_features(windows, n_bins)`. `windows` has one window per row. Standardise
    each row (subtract its mean, divide by its standard deviation), take the magnitude of its
    real FFT (`np.abs(np.fft.rfft(..., axis=1))`), and return the magnitudes of frequency bins
    1 to n_bins (leave out bin 0), shape (n_windows, n_bins).
    """,
    spectrum_features,
    """
    `windows.mean(axis=1, keepdims=True)` and `windows.std(axis=1, keepdims=True)` keep the
    shape (n_windows, 1), so they broadcast across each row. Bins 1 to n_bins are
    `magnitudes[:, 1 : n_bins + 1]`.
    """,
    _function_checker(_spectrum_cases, _compare_array,
                      "A window shifted in time has the same FFT magnitudes."),
)

#: Every exercise of notebooks 05 and 06 by key.
EXERCISES: dict[str, Exercise] = {
    ex.key: ex for ex in (_ACCURACY, _GAP_RULE, _PAIRWISE, _IMPUTE, _CONTRAST, _SPECTRUM)
}

#: The exercises of notebook 05: ``notebook05.accuracy``, ``.gap_rule``, ``.pairwise_ari``.
notebook05 = SimpleNamespace(accuracy=_ACCURACY, gap_rule=_GAP_RULE, pairwise_ari=_PAIRWISE)
#: The exercises of notebook 06: ``notebook06.impute``, ``.contrast``, ``.spectrum``.
notebook06 = SimpleNamespace(impute=_IMPUTE, contrast=_CONTRAST, spectrum=_SPECTRUM)

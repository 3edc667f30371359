"""Exercises of notebook 06 (practical issues): ``notebook06.impute``, ``.contrast``,
``.spectrum``."""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import pdist

from deepclust_lab.exercises import core

__all__ = ["distance_contrast", "mean_impute", "notebook06", "spectrum_features"]


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
    return [
        ("3 points on a line at 0, 1 and 3", (np.array([[0.0], [1.0], [3.0]]),)),
        ("4 corners of a 1 x 2 rectangle", (np.array([[0.0, 0.0], [1, 0], [0, 2], [1, 2]]),)),
        ("50 random points in 10-D", (np.random.default_rng(13).uniform(size=(50, 10)),)),
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


notebook06 = core.exercise_set(
    core.Exercise(
        "06.impute", "mean imputation",
        """Write `mean_impute(X)` that returns a copy of `X` (n_samples, n_features) in which
        every NaN is replaced by the mean of the values that are known in its column. Do not
        change `X`.""",
        mean_impute,
        """`np.nanmean(X, axis=0)` gives the column means, ignoring NaN. `np.isnan(X)` marks the
        gaps; `np.where(np.isnan(X), column_means, X)` (broadcasting the means across rows)
        fills them in one line.""",
        core.function_checker(_impute_cases, core.compare_array,
                              "scikit-learn's SimpleImputer(strategy='mean') does the same."),
    ),
    core.Exercise(
        "06.contrast", "distance contrast",
        """Write `distance_contrast(X)` that returns the largest Euclidean distance between two
        different rows of `X` divided by the smallest one. (Assume no two rows are equal.)""",
        distance_contrast,
        """`scipy.spatial.distance.pdist(X)` returns the distance of every pair of different rows
        once. If you build the full n x n matrix instead, leave out its zero diagonal before
        taking the minimum.""",
        core.function_checker(_contrast_cases, core.compare_number,
                              "In high dimensions this ratio falls towards 1: every point is about "
                              "as far from every other."),
    ),
    core.Exercise(
        "06.spectrum", "spectrum features of time-series windows",
        """Write `spectrum_features(windows, n_bins)`. `windows` has one window per row.
        Standardise each row (subtract its mean, divide by its standard deviation), take the
        magnitude of its real FFT (`np.abs(np.fft.rfft(..., axis=1))`), and return the
        magnitudes of frequency bins 1 to n_bins (leave out bin 0), shape
        (n_windows, n_bins).""",
        spectrum_features,
        """`windows.mean(axis=1, keepdims=True)` and `windows.std(axis=1, keepdims=True)` keep the
        shape (n_windows, 1), so they broadcast across each row. Bins 1 to n_bins are
        `magnitudes[:, 1 : n_bins + 1]`.""",
        core.function_checker(_spectrum_cases, core.compare_array,
                              "A window shifted in time has the same FFT magnitudes."),
    ),
)

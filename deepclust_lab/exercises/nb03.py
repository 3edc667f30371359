"""Exercises of notebook 03 (autoencoder embeddings): ``notebook03.neighbours``,
``.reconstruction``. The answers are NumPy; nothing here needs Keras."""

from __future__ import annotations

import numpy as np

from deepclust_lab.exercises import core

__all__ = ["neighbour_agreement", "notebook03", "reconstruction_error"]


def neighbour_agreement(Z: np.ndarray, y: np.ndarray) -> float:
    """Share of points whose nearest other point (Euclidean) carries the same label."""
    # squared distances between all pairs, as |a|^2 - 2 a.b + |b|^2: one (n, n) array
    sq_norms = (Z**2).sum(axis=1)
    sq_dist = sq_norms[:, None] - 2.0 * Z @ Z.T + sq_norms[None, :]
    np.fill_diagonal(sq_dist, np.inf)  # a point is not its own neighbour
    nearest = sq_dist.argmin(axis=1)
    return float(np.mean(y[nearest] == y))


def reconstruction_error(X: np.ndarray, X_rec: np.ndarray) -> np.ndarray:
    """Mean squared error of every sample (row): how badly the autoencoder rebuilt it."""
    return ((X - X_rec) ** 2).mean(axis=1)


def _neighbour_cases() -> list[tuple[str, tuple]]:
    return [
        ("5 points on a line at 0, 1, 3, 10 and 12, labels a a b b a",
         (np.array([[0.0], [1.0], [3.0], [10.0], [12.0]]), np.array(list("aabba")))),
        # overlapping groups (some neighbours disagree), then tight ones (all agree)
        ("60 points in 3 overlapping groups", core.seeded_groups(21, 60, 3, 2, spread=2.0)),
        ("40 points in 4 tight groups in 6-D", core.seeded_groups(22, 40, 4, 6, spread=0.3)),
    ]


def _reconstruction_cases() -> list[tuple[str, tuple]]:
    X = np.random.default_rng(31).random((20, 64))
    return [
        ("2 samples with 3 features", (np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]]),
                                       np.array([[0.0, 1.0, 1.0], [0.0, 2.0, 1.0]]))),
        ("20 images of 8 x 8 pixels, slightly blurred copies",
         (X, 0.8 * X + 0.2 * X.mean(axis=1, keepdims=True))),
        ("a perfect reconstruction", (X[:5], X[:5].copy())),
    ]


notebook03 = core.exercise_set(
    core.Exercise(
        "03.neighbours", "nearest-neighbour agreement",
        """Write `neighbour_agreement(Z, y)` that returns the share of points whose nearest
        *other* point (Euclidean distance in `Z`, shape (n_samples, n_features)) has the same
        label in `y`: one float between 0 and 1. A point is not its own neighbour. Avoid an
        (n_samples, n_samples, n_features) array: on the digits it would need about 1.6 GB.""",
        neighbour_agreement,
        """Squared distances of all pairs in one (n, n) array: `sq = (Z**2).sum(axis=1)`, then
        `sq[:, None] - 2 * Z @ Z.T + sq[None, :]`. Put `np.inf` on the diagonal
        (`np.fill_diagonal`) so that no point picks itself, take `argmin(axis=1)`, and compare
        `y[nearest]` with `y`.""",
        core.function_checker(_neighbour_cases, core.compare_number,
                              "A high agreement means the space keeps similar samples close: local "
                              "distances can be trusted, even where a cluster is not round."),
    ),
    core.Exercise(
        "03.reconstruction", "reconstruction error per sample",
        """Write `reconstruction_error(X, X_rec)` that returns, for every row (sample), the mean
        of the squared differences between `X` and its reconstruction `X_rec`: an array of
        shape (n_samples,). Its mean over the samples is the loss the autoencoder was trained
        on.""",
        reconstruction_error,
        """`(X - X_rec) ** 2` has the shape of `X`; average it over the features only, i.e.
        `.mean(axis=1)`, so that one number per sample remains.""",
        core.function_checker(_reconstruction_cases, core.compare_array,
                              "Sort the samples by this error to see what the autoencoder finds "
                              "hard."),
    ),
)

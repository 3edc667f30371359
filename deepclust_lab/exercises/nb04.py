"""Exercises of notebook 04 (the deep clustering pipeline): ``notebook04.soft_assignment``,
``.target``. The answers are NumPy; nothing here needs Keras."""

from __future__ import annotations

from typing import Any

import numpy as np

from deepclust_lab.exercises import core

__all__ = ["notebook04", "soft_assignment", "target_distribution"]


def soft_assignment(Z: np.ndarray, centers: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """DEC's soft assignment: a Student-t kernel on the distances, normalised per row."""
    # squared distance from every code to every centre, shape (n_samples, n_clusters)
    sq_dist = ((Z[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    kernel = (1.0 + sq_dist / alpha) ** (-(alpha + 1.0) / 2.0)
    return kernel / kernel.sum(axis=1, keepdims=True)  # each row sums to 1


def target_distribution(q: np.ndarray) -> np.ndarray:
    """DEC's target: square q, divide by each cluster's soft size, normalise per row."""
    weight = q**2 / q.sum(axis=0)  # q.sum(axis=0) is f_j, the soft size of cluster j
    return weight / weight.sum(axis=1, keepdims=True)


def compare_distributions(expected: np.ndarray, given: Any, args: tuple, case: str) -> None:
    """Like :func:`compare_array`, and a wrong answer whose rows do not sum to 1 is told so."""
    try:
        core.compare_array(expected, given, args, case)
    except core.Wrong:
        got = core.as_array(given, case, f"an array of shape {expected.shape}")
        sums = got.sum(axis=-1)
        if (got.shape == expected.shape and np.all(np.isfinite(got))
                and not np.allclose(sums, 1.0, atol=1e-6)):
            raise core.Wrong(f"On {case}: each row should sum to 1 (a distribution over the "
                             f"clusters); your row sums are {core.format_value(sums)}.\n"
                             f"expected:\n{core.format_value(expected)}\n"
                             f"given:\n{core.format_value(got)}") from None
        raise


def _soft_assignment_cases() -> list[tuple[str, tuple]]:
    Z, _ = core.seeded_groups(41, 30, 3, 4)
    rng = np.random.default_rng(42)
    return [
        ("one code at the origin, centres (0, 0) and (1, 0), alpha=1",
         (np.zeros((1, 2)), np.array([[0.0, 0.0], [1.0, 0.0]]), 1.0)),
        ("30 codes in 4-D and 3 centres, alpha=1", (Z, Z[[0, 1, 2]].copy(), 1.0)),
        ("the same codes with alpha=2", (Z, Z[[0, 1, 2]].copy(), 2.0)),
        ("10 codes in 2-D and 5 random centres, alpha=0.5",
         (rng.normal(size=(10, 2)), rng.normal(size=(5, 2)), 0.5)),
    ]


def _target_cases() -> list[tuple[str, tuple]]:
    rng = np.random.default_rng(51)
    return [
        ("three points, two clusters", (np.array([[0.6, 0.4], [0.5, 0.5], [0.2, 0.8]]),)),
        ("20 points, 4 clusters", (rng.dirichlet(np.ones(4), size=20),)),
        ("15 points, one cluster far larger than the others",
         (rng.dirichlet([6.0, 1.0, 1.0], size=15),)),
    ]


notebook04 = core.exercise_set(
    core.Exercise(
        "04.soft_assignment", "DEC's soft assignment",
        """Write `soft_assignment(Z, centers, alpha=1.0)` that returns the (n_samples, n_clusters)
        array `q` with `q[i, j]` proportional to
        `(1 + |z_i - mu_j|^2 / alpha) ** (-(alpha + 1) / 2)` (`mu_j` is row j of `centers`,
        `|.|^2` the squared Euclidean distance), normalised so that every row sums to 1.""",
        soft_assignment,
        """Broadcast as in the K-means assignment step: `Z[:, None, :] - centers[None, :, :]` has
        shape (n_samples, n_clusters, n_features); square and sum over the last axis. Apply the
        kernel, then divide by `kernel.sum(axis=1, keepdims=True)`.""",
        core.function_checker(_soft_assignment_cases, compare_distributions,
                              "With alpha = 1 this is the Student-t kernel of t-SNE: heavy tails, "
                              "so far centres still get a little weight."),
    ),
    core.Exercise(
        "04.target", "DEC's target distribution",
        """Write `target_distribution(q)` that returns DEC's target `p` for soft assignments `q`
        (n_samples, n_clusters): `p[i, j]` is proportional to `q[i, j] ** 2 / f[j]`, where
        `f[j] = q[:, j].sum()` is the soft size of cluster j, and every row of `p` sums to 1.""",
        target_distribution,
        """`q.sum(axis=0)` gives all the `f[j]` at once, shape (n_clusters,); `q ** 2 / f` divides
        every column by its own `f[j]` (broadcasting). Then normalise each row:
        divide by `.sum(axis=1, keepdims=True)`.""",
        core.function_checker(_target_cases, compare_distributions,
                              "Squaring sharpens each row, and dividing by f[j] keeps big clusters "
                              "from swallowing small ones."),
    ),
)

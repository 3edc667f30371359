"""Exercises for notebooks 03 (autoencoder embeddings) and 04 (the deep clustering pipeline).

They work exactly like those of :mod:`deepclust_lab.exercises` (and reuse its
:class:`~deepclust_lab.exercises.Exercise` class): write the function, then call
``ex.check(your_function)``; ``ex.hint()`` nudges, ``ex.solution()`` shows the reference::

    from deepclust_lab import exercises_deep as exercises
    ex = exercises.notebook04.target       # or: exercises.get_exercise("04.target")

    def target_distribution(q):
        ...                                # your code here

    ex.check(target_distribution)          # not attempted / correct / what is wrong

``check`` never raises for a wrong or unfinished answer, so a notebook with unsolved
exercises still runs top to bottom. Test cases are small, seeded, and made when ``check``
runs; nothing is loaded at import, and nothing here needs Keras: the answers are NumPy.

Exercises
---------
=========================  ==============================================================
key                        write
=========================  ==============================================================
``"03.neighbours"``        ``neighbour_agreement(Z, y)``: the share of points whose
                           nearest other point has the same label
``"03.reconstruction"``    ``reconstruction_error(X, X_rec)``: the mean squared error of
                           every sample
``"04.soft_assignment"``   ``soft_assignment(Z, centers, alpha)``: DEC's Student-t soft
                           assignment ``q``
``"04.target"``            ``target_distribution(q)``: DEC's sharpened target ``p``
=========================  ==============================================================

Examples
--------
>>> get_exercise("04.target").title
"DEC's target distribution"
>>> get_exercise("04.target") is notebook04.target
True
>>> bool(get_exercise("03.reconstruction").check(...))  # doctest: +ELLIPSIS
Not attempted yet. ...
False
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

# The checking machinery is shared with the exercises of notebooks 01-02 (one copy only).
from deepclust_lab.exercises import (
    Exercise,
    _as_array,
    _compare_number,
    _fmt,
    _function_checker,
    _Wrong,
    get_exercise,
)

__all__ = [
    "EXERCISES",
    "get_exercise",
    "notebook03",
    "notebook04",
]


# --------------------------------------------------------------------------- reference solutions
# Written for the reader: these are what ``solution()`` shows.


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


# --------------------------------------------------------------------------- comparisons


def _compare_matrix(expected: np.ndarray, given: Any, args: tuple, case: str) -> None:
    got = _as_array(given, case, f"an array of shape {expected.shape}")
    if got.shape != expected.shape:
        hint = " (rows and columns swapped?)" if got.shape == expected.shape[::-1] else ""
        raise _Wrong(f"On {case}: expected shape {expected.shape}, given shape {got.shape}{hint}.")
    if not np.all(np.isfinite(got)):
        raise _Wrong(f"On {case}: your result contains {int((~np.isfinite(got)).sum())} NaN or "
                     f"infinite value(s).\ngiven:\n{_fmt(got)}")
    if np.allclose(got, expected, rtol=1e-6, atol=1e-9):
        return
    if got.ndim == 2 and not np.allclose(got.sum(axis=1), 1.0, atol=1e-6):
        raise _Wrong(f"On {case}: each row should sum to 1 (a distribution over the clusters); "
                     f"your row sums are {_fmt(got.sum(axis=1))}.\n"
                     f"expected:\n{_fmt(expected)}\ngiven:\n{_fmt(got)}")
    if got.ndim == 2:
        row = int(np.abs(got - expected).max(axis=1).argmax())
        raise _Wrong(f"On {case}: row {row} is wrong.\nexpected: {_fmt(expected[row])}\n"
                     f"given:    {_fmt(got[row])}")
    raise _Wrong(f"On {case}:\nexpected: {_fmt(expected)}\ngiven:    {_fmt(got)}")


# --------------------------------------------------------------------------- test cases


def _groups(seed: int, n: int, k: int, d: int, spread: float) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points around ``k`` random centres in ``d`` dimensions, and their group."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(k, d))
    labels = np.arange(n) % k
    rng.shuffle(labels)
    return centers[labels] + rng.normal(scale=spread, size=(n, d)), labels


def _neighbour_cases() -> list[tuple[str, tuple]]:
    X2, y2 = _groups(21, 60, 3, 2, spread=2.0)  # overlapping groups: some neighbours disagree
    X3, y3 = _groups(22, 40, 4, 6, spread=0.3)  # tight groups: every neighbour agrees
    return [
        ("5 points on a line at 0, 1, 3, 10 and 12, labels a a b b a",
         (np.array([[0.0], [1.0], [3.0], [10.0], [12.0]]), np.array(list("aabba")))),
        ("60 points in 3 overlapping groups", (X2, y2)),
        ("40 points in 4 tight groups in 6-D", (X3, y3)),
    ]


def _reconstruction_cases() -> list[tuple[str, tuple]]:
    rng = np.random.default_rng(31)
    X = rng.random((20, 64))
    return [
        ("2 samples with 3 features",
         (np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]]), np.array([[0.0, 1.0, 1.0], [0.0, 2.0, 1.0]]))),
        ("20 images of 8 x 8 pixels, slightly blurred copies",
         (X, 0.8 * X + 0.2 * X.mean(axis=1, keepdims=True))),
        ("a perfect reconstruction", (X[:5], X[:5].copy())),
    ]


def _soft_assignment_cases() -> list[tuple[str, tuple]]:
    Z, _ = _groups(41, 30, 3, 4, spread=1.0)
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
    q = rng.dirichlet(np.ones(4), size=20)
    big = rng.dirichlet([6.0, 1.0, 1.0], size=15)  # cluster 0 is much larger than the others
    return [
        ("three points, two clusters", (np.array([[0.6, 0.4], [0.5, 0.5], [0.2, 0.8]]),)),
        ("20 points, 4 clusters", (q,)),
        ("15 points, one cluster far larger than the others", (big,)),
    ]


# --------------------------------------------------------------------------- the exercises

_NEIGHBOURS = Exercise(
    "03.neighbours", "nearest-neighbour agreement",
    """
    Write `neighbour_agreement(Z, y)` that returns the share of points whose nearest *other*
    point (Euclidean distance in `Z`, shape (n_samples, n_features)) has the same label in `y`:
    one float between 0 and 1. A point is not its own neighbour. Avoid an
    (n_samples, n_samples, n_features) array: on the digits it would need about 1.6 GB.
    """,
    neighbour_agreement,
    """
    Squared distances of all pairs in one (n, n) array: `sq = (Z**2).sum(axis=1)`, then
    `sq[:, None] - 2 * Z @ Z.T + sq[None, :]`. Put `np.inf` on the diagonal
    (`np.fill_diagonal`) so that no point picks itself, take `argmin(axis=1)`, and compare
    `y[nearest]` with `y`.
    """,
    _function_checker(_neighbour_cases, _compare_number,
                      "A high agreement means the space keeps similar samples close: local "
                      "distances can be trusted, even where a cluster is not round."),
)

_RECONSTRUCTION = Exercise(
    "03.reconstruction", "reconstruction error per sample",
    """
    Write `reconstruction_error(X, X_rec)` that returns, for every row (sample), the mean of
    the squared differences between `X` and its reconstruction `X_rec`: an array of shape
    (n_samples,). Its mean over the samples is the loss the autoencoder was trained on.
    """,
    reconstruction_error,
    """
    `(X - X_rec) ** 2` has the shape of `X`; average it over the features only, i.e.
    `.mean(axis=1)`, so that one number per sample remains.
    """,
    _function_checker(_reconstruction_cases, _compare_matrix,
                      "Sort the samples by this error to see what the autoencoder finds hard."),
)

_SOFT_ASSIGNMENT = Exercise(
    "04.soft_assignment", "DEC's soft assignment",
    """
    Write `soft_assignment(Z, centers, alpha=1.0)` that returns the (n_samples, n_clusters)
    array `q` with `q[i, j]` proportional to `(1 + |z_i - mu_j|^2 / alpha) ** (-(alpha + 1) / 2)`
    (`mu_j` is row j of `centers`, `|.|^2` the squared Euclidean distance), normalised so that
    every row sums to 1.
    """,
    soft_assignment,
    """
    Broadcast as in the K-means assignment step: `Z[:, None, :] - centers[None, :, :]` has
    shape (n_samples, n_clusters, n_features); square and sum over the last axis. Apply the
    kernel, then divide by `kernel.sum(axis=1, keepdims=True)`.
    """,
    _function_checker(_soft_assignment_cases, _compare_matrix,
                      "With alpha = 1 this is the Student-t kernel of t-SNE: heavy tails, so "
                      "far centres still get a little weight."),
)

_TARGET = Exercise(
    "04.target", "DEC's target distribution",
    """
    Write `target_distribution(q)` that returns DEC's target `p` for soft assignments `q`
    (n_samples, n_clusters): `p[i, j]` is proportional to `q[i, j] ** 2 / f[j]`, where
    `f[j] = q[:, j].sum()` is the soft size of cluster j, and every row of `p` sums to 1.
    """,
    target_distribution,
    """
    `q.sum(axis=0)` gives all the `f[j]` at once, shape (n_clusters,); `q ** 2 / f` divides
    every column by its own `f[j]` (broadcasting). Then normalise each row:
    divide by `.sum(axis=1, keepdims=True)`.
    """,
    _function_checker(_target_cases, _compare_matrix,
                      "Squaring sharpens each row, and dividing by f[j] keeps big clusters "
                      "from swallowing small ones."),
)

#: Every exercise of notebooks 03 and 04 by key.
EXERCISES: dict[str, Exercise] = {
    ex.key: ex for ex in (_NEIGHBOURS, _RECONSTRUCTION, _SOFT_ASSIGNMENT, _TARGET)
}

#: The exercises of notebook 03: ``notebook03.neighbours``, ``.reconstruction``.
notebook03 = SimpleNamespace(neighbours=_NEIGHBOURS, reconstruction=_RECONSTRUCTION)
#: The exercises of notebook 04: ``notebook04.soft_assignment``, ``.target``.
notebook04 = SimpleNamespace(soft_assignment=_SOFT_ASSIGNMENT, target=_TARGET)

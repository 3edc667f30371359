"""Exercises of notebook 07 (open problems): ``notebook07.eps``, ``.seeds``."""

from __future__ import annotations

from typing import Any

import numpy as np

from deepclust_lab.exercises import core

__all__ = ["km_to_radians", "notebook07", "seed_centers"]

_EARTH_RADIUS_KM = 6371.0088  # the mean radius; 6371 or 6378 pass as well


def km_to_radians(distance_km: float) -> float:
    """The angle, in radians, that an arc of ``distance_km`` km spans at the Earth's centre."""
    earth_radius_km = 6371.0088
    # on a circle of radius R, an arc of length d spans the angle d / R (in radians)
    return distance_km / earth_radius_km


def seed_centers(X: np.ndarray, seed_labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """Row j: the mean of the rows of X labelled j (label -1 means unlabelled)."""
    centers = np.empty((n_clusters, X.shape[1]))
    for j in range(n_clusters):
        centers[j] = X[seed_labels == j].mean(axis=0)  # -1 is never a cluster id
    return centers


def _eps_cases() -> list[tuple[str, tuple]]:
    return [("distance_km = 5", (5.0,)), ("distance_km = 0.5", (0.5,)),
            ("distance_km = 100", (100.0,))]


# (factor by which a mistaken answer differs from the right one, what that mistake is)
_EPS_MISTAKES = [
    (_EARTH_RADIUS_KM, "you returned the distance in km unchanged; divide it by the Earth's "
                       "radius (about 6371 km)"),
    (_EARTH_RADIUS_KM**2, "you multiplied by the Earth's radius; divide by it instead"),
    (180 / np.pi, "that is the angle in degrees; the haversine metric wants radians "
                  "(an arc of d km spans d / R radians)"),
    (1 / (2 * np.pi), "you divided by the circumference 2πR; an arc of d km spans d / R "
                      "radians, not d / (2πR) turns"),
]


def _compare_eps(expected: float, given: Any, args: tuple, case: str) -> None:
    try:
        got = float(given)
    except (TypeError, ValueError):
        raise core.Wrong(f"On {case}: expected one number, given {core.format_value(given)}."
                         ) from None
    if np.isclose(got, expected, rtol=2e-3):  # any Earth radius from 6357 to 6378 km
        return
    for factor, mistake in _EPS_MISTAKES:
        if np.isclose(got, expected * factor, rtol=2e-3):
            raise core.Wrong(f"On {case}: {mistake}.\nexpected: {expected:.6g}\n"
                             f"given:    {got:.6g}")
    raise core.Wrong(f"On {case}:\nexpected: {expected:.6g}\ngiven:    {got:.6g}")


def _seeds_cases() -> list[tuple[str, tuple]]:
    X, groups = core.seeded_groups(7, 60, 3, 2)
    labels = np.full(60, -1)
    labels[:12] = groups[:12]  # 12 labelled points, in the order the groups come
    return [
        ("4 points, 2 clusters, 1 unlabelled",
         (np.array([[0.0, 0.0], [2.0, 0.0], [5.0, 5.0], [9.0, 9.0]]), np.array([0, 0, 1, -1]), 2)),
        ("5 points whose labels first appear as 2, 0, 1",
         (np.array([[9.0, 1.0], [0.0, 0.0], [1.0, 5.0], [0.0, 2.0], [3.0, 5.0]]),
          np.array([2, 0, 1, 0, 1]), 3)),
        ("60 points in 3 groups, 12 of them labelled", (X, labels, 3)),
    ]


def _first_appearance(seed_labels: np.ndarray) -> list[int]:
    return list(dict.fromkeys(int(j) for j in seed_labels if j >= 0))


# (what a mistaken answer computes instead, what the mistake is)
_SEED_MISTAKES = [
    (lambda X, s, k: seed_centers(X, s, k).T,
     "rows and columns are swapped: row j must be cluster j, with one column per feature"),
    (lambda X, s, k: np.array([np.median(X[s == j], axis=0) for j in range(k)]),
     "that is the median of each cluster's labelled rows; take their mean"),
    (lambda X, s, k: np.array([X[np.flatnonzero(s == j)[0]] for j in range(k)]),
     "that is the first labelled row of each cluster; take the mean of all of them"),
    (lambda X, s, k: np.array([X[s == j].mean(axis=0) for j in _first_appearance(s)]),
     "the rows come in the order the labels first appear; row j must be cluster j"),
]


def _compare_centers(expected: np.ndarray, given: Any, args: tuple, case: str) -> None:
    got = core.as_array(given, case, f"an array of shape {expected.shape}")
    if got.ndim == 2 and got.shape[0] == expected.shape[0] + 1:
        raise core.Wrong(f"On {case}: {got.shape[0]} rows for {expected.shape[0]} clusters. The "
                         "label -1 marks the unlabelled points; it is not a cluster.")
    if got.shape == expected.shape and not np.allclose(got, expected):
        for mistaken, mistake in _SEED_MISTAKES:
            if (wrong := mistaken(*args)).shape == got.shape and np.allclose(got, wrong):
                raise core.Wrong(f"On {case}: {mistake}.\nexpected:\n"
                                 f"{core.format_value(expected)}\ngiven:\n{core.format_value(got)}")
    core.compare_array(expected, given, args, case)


notebook07 = core.exercise_set(
    core.Exercise(
        "07.eps", "kilometres to the haversine eps",
        """Write `km_to_radians(distance_km)`: the angle, in radians, that an arc of
        `distance_km` kilometres along the Earth's surface spans at its centre. This is the
        `eps` that DBSCAN needs with `metric="haversine"`. (The Earth's mean radius is
        6371.0088 km.)""",
        km_to_radians,
        """On a circle of radius R, an arc of length d spans the angle d / R in radians (a whole
        turn, 2π, is the circumference 2πR). Divide, and do not convert to degrees.""",
        core.function_checker(_eps_cases, _compare_eps,
                              "5 km is about 0.000785 rad: small, because the Earth is big."),
    ),
    core.Exercise(
        "07.seeds", "seeded centres from labelled points",
        """Write `seed_centers(X, seed_labels, n_clusters)`. `seed_labels[i]` is the cluster
        (0 to n_clusters - 1) of row i of `X` when it is labelled, and -1 when it is not.
        Return an array of shape (n_clusters, n_features) whose row j is the mean of the rows
        of `X` labelled j. (Every cluster has at least one labelled row.) Do not change `X`.""",
        seed_centers,
        """`X[seed_labels == j]` selects the rows labelled j; `.mean(axis=0)` averages them. Loop
        over j in `range(n_clusters)`, so that row j is cluster j whatever order the labels
        come in, and the -1 rows are never used.""",
        core.function_checker(_seeds_cases, _compare_centers,
                              "Seeded K-means starts from exactly these centres."),
    ),
)

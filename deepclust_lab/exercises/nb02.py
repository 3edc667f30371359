"""Exercises of notebook 02 (K-means from scratch): ``notebook02.assign``, ``.update``,
``.kmeans_pp``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from deepclust_lab.exercises import core

__all__ = ["assign_step", "compare_labels", "notebook02", "plusplus_seeding", "update_step"]


def assign_step(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Index of the nearest centre for every point (the K-means assignment step)."""
    # squared distance from every point to every centre, shape (n_samples, n_clusters):
    # X[:, None, :] is (n, 1, d) and centers[None, :, :] is (1, k, d); they broadcast to (n, k, d)
    sq_dist = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    return sq_dist.argmin(axis=1)


def update_step(X: np.ndarray, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """Mean of the points in each cluster (the K-means update step)."""
    return np.array([X[labels == j].mean(axis=0) for j in range(n_clusters)])


def plusplus_seeding(X: np.ndarray, n_clusters: int, rng: np.random.Generator) -> np.ndarray:
    """Choose ``n_clusters`` rows of X as starting centres, k-means++ style."""
    n_samples = X.shape[0]
    # the first centre: a point chosen uniformly at random
    centers = [X[rng.integers(n_samples)]]
    for _ in range(1, n_clusters):
        # squared distance from every point to its nearest centre chosen so far
        sq_dist = ((X[:, None, :] - np.array(centers)[None, :, :]) ** 2).sum(axis=2).min(axis=1)
        # the next centre: a point drawn with probability proportional to that squared distance
        index = rng.choice(n_samples, p=sq_dist / sq_dist.sum())
        centers.append(X[index])
    return np.array(centers)


def compare_labels(expected: np.ndarray, given: Any, args: tuple, case: str) -> None:
    """Labels of nearest centres; a tie may go to either of the equally near centres."""
    X, centers = args
    got = core.as_array(given, case, "an array of labels, one per point")
    if got.shape != expected.shape:
        raise core.Wrong(f"On {case}: expected labels of shape {expected.shape}, "
                         f"given shape {got.shape}.")
    shown = f"\nexpected: {core.format_value(expected)}\ngiven:    {core.format_value(got)}"
    if not np.array_equal(got, np.round(got)) or got.min() < 0 or got.max() >= len(centers):
        raise core.Wrong(f"On {case}: labels must be whole numbers from 0 to "
                         f"{len(centers) - 1}.{shown}")
    got = got.astype(int)
    sq_dist = ((X[:, None, :] - centers[None]) ** 2).sum(axis=2)
    best = sq_dist.min(axis=1)
    wrong = sq_dist[np.arange(len(X)), got] > best + 1e-9 * (1.0 + best)
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise core.Wrong(f"On {case}: {int(wrong.sum())} of {len(X)} points got a centre that "
                         f"is not their nearest (first: point {i}, given centre {got[i]}, "
                         f"nearest is {expected[i]}).{shown}")


def _assign_cases() -> list[tuple[str, tuple]]:
    X = np.array([[0.0, 0.0], [0.5, 0.2], [4.0, 4.0], [4.5, 3.5], [0.2, 4.0], [3.9, 0.1]])
    X2, _ = core.seeded_groups(1, 50, 3, 2, scale=4.0)
    X3, _ = core.seeded_groups(2, 40, 4, 5, scale=4.0)
    rng = np.random.default_rng(3)
    return [
        ("6 points and 2 centres", (X, np.array([[0.0, 0.0], [4.0, 4.0]]))),
        ("50 points and 3 random centres", (X2, rng.normal(scale=3.0, size=(3, 2)))),
        ("40 points in 5-D and 4 centres", (X3, X3[[0, 10, 20, 30]].copy())),
        ("one centre", (X2, np.array([[1.0, -1.0]]))),
    ]


def _update_cases() -> list[tuple[str, tuple]]:
    X = np.array([[0.0, 0.0], [2.0, 0.0], [4.0, 4.0], [6.0, 4.0], [0.0, 2.0], [9.0, 0.0]])
    return [
        ("6 points in 3 clusters", (X, np.array([0, 0, 1, 1, 0, 2]), 3)),
        ("60 points in 3-D, 3 clusters", (*core.seeded_groups(4, 60, 3, 3, scale=4.0), 3)),
        ("30 points, 5 clusters, labels in mixed order",
         (*core.seeded_groups(5, 30, 5, 2, scale=4.0), 5)),
    ]


def _seeding_runs(answer: Any, X: np.ndarray, n_clusters: int, seeds: Any) -> list[np.ndarray]:
    """The answer's centres for every seed."""
    runs = []
    for seed in seeds:
        case = f"{len(X)} points, n_clusters={n_clusters}, rng=np.random.default_rng({seed})"
        given = core.call_answer(answer, (X, n_clusters, np.random.default_rng(seed)), case,
                                 ("X", "n_clusters", "rng"))
        centres = core.as_array(given, case, "an array of centres, one row per cluster")
        if centres.shape != (n_clusters, X.shape[1]):
            raise core.Wrong(f"On {case}: expected centres of shape {(n_clusters, X.shape[1])}, "
                             f"given shape {centres.shape}.")
        runs.append(centres)
    return runs


def _check_seeding_basics(answer: Any, reference: Callable) -> None:
    """Shape, rows of X, no row twice, the rng as the only randomness, a random first centre."""
    X = np.random.default_rng(0).normal(size=(80, 2)) + np.repeat([[0.0, 0], [6.0, 0]], 40, 0)
    case = "80 points in 2 groups, n_clusters=3, rng=np.random.default_rng(0)"
    got, again = _seeding_runs(answer, X, 3, [0, 0])
    expected = reference(X, 3, np.random.default_rng(0))
    shown = (f"\nexpected (the reference with the same rng):\n{core.format_value(expected)}"
             f"\ngiven:\n{core.format_value(got)}")
    rows = [np.flatnonzero(np.all(np.isclose(X, c), axis=1)) for c in got]
    if any(len(r) == 0 for r in rows):
        raise core.Wrong(f"On {case}: every centre must be one of the rows of X (k-means++ "
                         f"picks data points, it does not average them).{shown}")
    if len({int(r[0]) for r in rows}) < 3:
        raise core.Wrong(f"On {case}: the same point was chosen twice; a chosen point has "
                         f"distance 0 to its centre, so its probability must be 0.{shown}")
    if not np.array_equal(again, got):
        raise core.Wrong("Two calls with np.random.default_rng(0) gave different centres: draw "
                         "every random number from the `rng` argument (not np.random.* or "
                         "random.*).")
    firsts = {tuple(c[0]) for c in _seeding_runs(answer, X, 1, range(12))}
    if len(firsts) < 3:
        raise core.Wrong(f"With n_clusters=1 and 12 different seeds you returned only "
                         f"{len(firsts)} different centre(s): the first centre should be a point "
                         "drawn at random with rng (e.g. X[rng.integers(len(X))]).")


#: The ways of picking the next centre that the check tells apart: D², D, uniform, farthest
_PICK_RULES = {"D² (k-means++)": 2.0, "D (not squared)": 1.0, "uniform": 0.0,
               "always the farthest": np.inf}
_PICK_ADVICE = {
    "D (not squared)": "Your picks match weights D, the distance itself. Weight each point by "
                       "its *squared* distance to the nearest centre chosen so far.",
    "uniform": "Your picks match uniform sampling, which ignores the distances. Weight each "
               "point by its *squared* distance to the nearest centre chosen so far.",
    "always the farthest": "Your picks match always taking the farthest point: that is "
                           "'farthest-first', not k-means++. Sample with "
                           "rng.choice(len(X), p=...), so that a far point is likely, not certain.",
}


def _pick_probabilities(X: np.ndarray, first: int, power: float) -> np.ndarray:
    """Chance of each row of X to be the second centre when row ``first`` is the first one and
    rows are weighted by D**power (power=inf: always the farthest row)."""
    dist = np.sqrt(((X - X[first]) ** 2).sum(axis=1))
    if np.isinf(power):
        weight = (dist == dist.max()).astype(float)
    else:
        weight = dist**power
        weight[dist == 0] = 0.0  # the first centre itself, also for uniform (0 ** 0 is 1)
    return weight / weight.sum()


def _check_d_squared(answer: Any) -> str:
    """A chi-square test: are the second centres drawn with D² weights? Names the rule they
    follow instead (D, uniform, farthest-first), judged by likelihood."""
    noise = np.random.default_rng(1).normal(scale=0.01, size=(40, 2))
    # 30 points near (0, 0), 10 near (1, 0), and two far points at x = 9 and x = 10
    Y = np.concatenate([noise[:30], noise[30:] + np.array([1.0, 0.0]), [[9.0, 0], [10.0, 0]]])
    group = np.repeat([0, 1, 2, 3], [30, 10, 1, 1])
    n_runs = 300
    observed = np.zeros(4)
    expected = {rule: np.zeros(4) for rule in _PICK_RULES}
    log_likelihood = dict.fromkeys(_PICK_RULES, 0.0)
    for centres in _seeding_runs(answer, Y, 2, range(n_runs)):
        first, second = (int(np.abs(Y - c).sum(axis=1).argmin()) for c in centres)
        observed[group[second]] += 1
        for rule, power in _PICK_RULES.items():
            chance = _pick_probabilities(Y, first, power)
            expected[rule] += np.bincount(group, chance, minlength=4)
            log_likelihood[rule] += np.log(max(chance[second], 1e-300))
    d2 = "D² (k-means++)"
    chi2 = float(((observed - expected[d2]) ** 2 / expected[d2]).sum())
    likeliest = max(log_likelihood, key=log_likelihood.get)
    # 3 degrees of freedom: a right answer goes above 25 with a chance below 2e-5
    if likeliest == d2 and chi2 <= 25.0:
        return f"{n_runs} draws follow D² weights (chi-square {chi2:.1f}, 3 degrees of freedom)"
    rows = [f"{'your centres':<22}" + "".join(f"{v:>13.0f}" for v in observed)]
    rows += [f"{rule:<22}" + "".join(f"{v:>13.1f}" for v in counts)
             for rule, counts in expected.items()]
    header = f"{'':<22}" + "".join(f"{g:>13}" for g in
                                   ("near (0, 0)", "near (1, 0)", "x = 9", "x = 10"))
    advice = _PICK_ADVICE.get(likeliest, (
        f"Your picks are closest to D², but too far from it for chance (a chi-square of "
        f"{chi2:.0f}, where k-means++ stays below 25). Weight each point by its *squared* "
        "distance and draw with rng.choice(len(X), p=weights / weights.sum())."))
    raise core.Wrong("On 30 points near (0, 0), 10 near (1, 0), one at x = 9 and one at x = 10, "
                     f"n_clusters=2, rng seeds 0 to {n_runs - 1}: where your second centre "
                     "landed, and where each way of picking it would land it on average:\n"
                     + "\n".join([header, *rows]) + "\n" + advice)


def _check_nearest_centre(answer: Any) -> str:
    """k = 3 on three far groups: only the distance to the *nearest* chosen centre (not to the
    first or the last) puts the three centres in three groups every time."""
    corners = np.array([[0.0, 0.0], [100.0, 0.0], [50.0, 87.0]])
    T = np.repeat(corners, 10, axis=0) + np.random.default_rng(2).normal(scale=0.01, size=(30, 2))
    groups = [{int(np.abs(c - corners).sum(axis=1).argmin()) for c in centres}
              for centres in _seeding_runs(answer, T, 3, range(100))]
    spread = np.mean([len(g) == 3 for g in groups])
    if spread < 0.95:
        raise core.Wrong("On 3 tight groups of 10 points at the corners of a large triangle, "
                         "n_clusters=3, rng seeds 0 to 99: your 3 centres were in 3 different "
                         f"groups in {spread:.0%} of the seeds.\nexpected: 100% (k-means++)\n"
                         f"given:    {spread:.0%}\nWeighting by the distance to the first (or "
                         "the last) centre only does it about half of the time. Weight each point by its "
                         "distance to its *nearest* centre chosen so far (the minimum over all "
                         "of them), not to the first or the last one.")
    return "with k = 3, each new centre keeps away from all the centres chosen so far"


def _plusplus_checker(answer: Any, reference: Callable) -> str:
    """Check k-means++ seeding by its properties, as its output is random."""
    _check_seeding_basics(answer, reference)
    weights = _check_d_squared(answer)
    nearest = _check_nearest_centre(answer)
    return (f"Your centres are rows of X, reproducible from the rng; {weights}; and {nearest}.")


notebook02 = core.exercise_set(
    core.Exercise(
        "02.assign", "the assignment step",
        """Write `assign_step(X, centers)` that returns, for every row of `X`
        (n_samples, n_features), the index of the nearest row of `centers`
        (n_clusters, n_features) in Euclidean distance: an integer array of shape
        (n_samples,). No Python loop over the samples.""",
        assign_step,
        """Make an (n_samples, n_clusters) table of squared distances with broadcasting:
        `X[:, None, :] - centers[None, :, :]` has shape (n_samples, n_clusters, n_features).
        Square, sum over the last axis, then take `argmin` along the clusters.""",
        core.function_checker(_assign_cases, compare_labels,
                              "Every point now knows its nearest centre, whatever the dimension."),
    ),
    core.Exercise(
        "02.update", "the update step",
        """Write `update_step(X, labels, n_clusters)` that returns the new centres: row j is the
        mean of the points whose label is j, shape (n_clusters, n_features). You may assume
        every cluster has at least one point (the kit's `update_centers` also handles empty
        clusters).""",
        update_step,
        """`X[labels == j]` selects the points of cluster j; `.mean(axis=0)` averages them
        feature by feature. Do it for j = 0 .. n_clusters - 1 and stack the rows with
        `np.array`.""",
        core.function_checker(_update_cases, core.compare_array,
                              "The mean is the point that minimises the squared distances to a "
                              "cluster's points, so this step can only lower the objective."),
    ),
    core.Exercise(
        "02.kmeans_pp", "k-means++ seeding",
        """Write `plusplus_seeding(X, n_clusters, rng)` that picks `n_clusters` rows of X as
        starting centres: the first uniformly at random, each next one with probability
        proportional to its squared distance to the nearest centre chosen so far. Draw all
        random numbers from `rng` (a `np.random.Generator`). Return an array of shape
        (n_clusters, n_features).""",
        plusplus_seeding,
        """First centre: `X[rng.integers(len(X))]`. Then repeat: compute every point's squared
        distance to its nearest chosen centre (as in the assignment step, but take
        `.min(axis=1)`), divide by the sum to get probabilities `p`, and pick
        `X[rng.choice(len(X), p=p)]`.""",
        _plusplus_checker,
    ),
)

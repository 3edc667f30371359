"""Tests for deepclust_lab.exercises.nb02: plausible wrong answers (each must fail check(); the
contract is tested for every notebook in test_exercises.py), their messages, and the
references against the kit's K-means."""

from __future__ import annotations

import time

import numpy as np
import pytest

from deepclust_lab.exercises import core, get_exercise, nb01, nb02


def _assign_farthest(X, centers):
    return ((X[:, None] - centers[None]) ** 2).sum(2).argmax(1)


def _assign_both(X, centers):
    d = ((X[:, None] - centers[None]) ** 2).sum(2)
    return d.argmin(1), d  # returns a tuple, like the kit's assign_labels


def _assign_manhattan(X, centers):
    return np.abs(X[:, None] - centers[None]).sum(2).argmin(1)


def _update_median(X, labels, n_clusters):
    return np.array([np.median(X[labels == j], axis=0) for j in range(n_clusters)])


def _update_transposed(X, labels, n_clusters):
    return np.array([X[labels == j].mean(axis=0) for j in range(n_clusters)]).T


def _pp_uniform(X, n_clusters, rng):
    return X[rng.choice(len(X), n_clusters, replace=False)]


def _seeding(name, *, weight=2, distance="nearest", farthest=False, own_rng=False, first=None):
    """k-means++ and its mistakes: D**weight, the distance to the nearest / first / last centre,
    farthest-first, an rng of its own, a fixed first centre."""
    def seeding(X, n_clusters, rng):
        rng = np.random.default_rng() if own_rng else rng
        chosen = [rng.integers(len(X)) if first is None else first]
        for _ in range(1, n_clusters):
            sq = ((X[:, None] - X[chosen][None]) ** 2).sum(2)
            d2 = {"nearest": sq.min(1), "first": sq[:, 0], "last": sq[:, -1]}[distance]
            w = d2 ** (weight / 2)
            w[chosen] = 0.0
            chosen.append(w.argmax() if farthest else rng.choice(len(X), p=w / w.sum()))
        return X[chosen]

    seeding.__name__ = name
    return seeding


_pp_farthest_first = _seeding("_pp_farthest_first", farthest=True)
# ignores the rng it was given: not reproducible
_pp_global_random = _seeding("_pp_global_random", own_rng=True)
_pp_fixed_first = _seeding("_pp_fixed_first", first=0)
_pp_d_weights = _seeding("_pp_d_weights", weight=1)  # D, not D²
_pp_first_centre_only = _seeding("_pp_first_centre_only", distance="first")
_pp_last_centre_only = _seeding("_pp_last_centre_only", distance="last")


def _pp_means(X, n_clusters, rng):
    return np.array([X[rng.choice(len(X), 5)].mean(0) for _ in range(n_clusters)])


def _raises(*args):
    raise IndexError("index 7 is out of bounds")


WRONG = {
    "02.assign": [_assign_farthest, _assign_both, _assign_manhattan, _raises],
    "02.update": [_update_median, _update_transposed, _raises],
    "02.kmeans_pp": [_pp_uniform, _pp_farthest_first, _pp_global_random, _pp_fixed_first,
                     _pp_means, _pp_d_weights, _pp_first_centre_only, _pp_last_centre_only,
                     _raises],
}


def test_failure_message_shows_expected_and_given(capsys):
    result = get_exercise("02.update").check(_update_median)
    assert "expected:" in result.message and "given:" in result.message
    result = get_exercise("02.assign").check(_assign_both)
    assert "tuple" in result.message
    result = get_exercise("02.update").check(_update_transposed)
    assert "swapped" in result.message
    result = get_exercise("02.assign").check(_raises)
    assert "IndexError" in result.message
    result = get_exercise("02.kmeans_pp").check(_pp_global_random)
    assert "rng" in result.message
    result = get_exercise("02.kmeans_pp").check(_pp_farthest_first)
    assert "farthest-first" in result.message


def test_seeding_mistakes_are_named(capsys):
    ex = get_exercise("02.kmeans_pp")
    result = ex.check(_pp_d_weights)
    assert "Your picks match weights D, the distance itself" in result.message
    assert "*squared* distance" in result.message
    # the table shows where the answer's second centres landed beside each rule's expectation
    for row in ("your centres", "D² (k-means++)", "D (not squared)", "uniform",
                "always the farthest"):
        assert row in result.message
    assert "Your picks match uniform sampling" in ex.check(_pp_uniform).message
    assert "farthest-first" in ex.check(_pp_farthest_first).message
    for wrong in (_pp_first_centre_only, _pp_last_centre_only):
        result = ex.check(wrong)
        assert "3 tight groups" in result.message and "expected: 100%" in result.message
        assert "*nearest* centre chosen so far" in result.message


def test_a_power_other_than_two_fails_the_chi_square_test(capsys):
    result = get_exercise("02.kmeans_pp").check(_seeding("_pp_d4_weights", weight=4))
    assert result.status == "failed"
    assert "too far from it for chance" in result.message


def _pp_inverse_cdf(X, n_clusters, rng):
    """k-means++ drawn another way (cumulative sums and rng.random), so other random numbers."""
    chosen = [int(rng.integers(len(X)))]
    for _ in range(1, n_clusters):
        sq = ((X[:, None] - X[chosen][None]) ** 2).sum(2).min(1)
        cumulative = np.cumsum(sq)
        chosen.append(int(np.searchsorted(cumulative, rng.random() * cumulative[-1], "right")))
    return X[chosen]


@pytest.mark.parametrize("answer", [_seeding("d2"), _pp_inverse_cdf],
                         ids=["rng-choice", "inverse-cdf"])
def test_the_correct_seeding_written_another_way_passes(answer, capsys):
    assert get_exercise("02.kmeans_pp").check(answer).passed


def test_the_seeding_check_is_fast_and_deterministic(capsys):
    ex = get_exercise("02.kmeans_pp")
    for answer in (ex.reference, _pp_d_weights):
        start = time.perf_counter()
        first = ex.check(answer)
        assert time.perf_counter() - start < 1.0
        assert ex.check(answer) == first  # same seeds, same verdict, same message
    assert "chi-square" in ex.check(ex.reference).message


def test_assign_accepts_equally_near_centres():
    # two identical centres: either index is a right answer, a farther one is not
    X = np.array([[0.0, 0.0], [5.0, 5.0]])
    centers = np.array([[0.0, 0.0], [0.0, 0.0], [5.0, 5.0]])
    expected = nb02.assign_step(X, centers)
    nb02.compare_labels(expected, np.array([1, 2]), (X, centers), "ties")
    with pytest.raises(core.Wrong, match="not their nearest"):
        nb02.compare_labels(expected, np.array([2, 2]), (X, centers), "ties")


def test_references_agree_with_the_kit():
    kmeans = pytest.importorskip("deepclust_lab.kmeans")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    centers = X[[0, 20, 40]]
    labels_kit, _ = kmeans.assign_labels(X, centers)
    labels_ref = nb02.assign_step(X, centers)
    np.testing.assert_array_equal(labels_ref, labels_kit)
    np.testing.assert_allclose(nb02.update_step(X, labels_ref, 3),
                               kmeans.update_centers(X, labels_ref, 3))
    new_centers = nb02.update_step(X, labels_ref, 3)
    assert nb01.kmeans_objective(X, new_centers, labels_ref) == pytest.approx(
        kmeans.inertia(X, new_centers, labels_ref))


def test_kit_kmeans_plusplus_passes_the_seeding_check(capsys):
    kmeans = pytest.importorskip("deepclust_lab.kmeans")

    def kit(X, n_clusters, rng):
        return kmeans.kmeans_plusplus(X, n_clusters, random_state=rng)

    assert get_exercise("02.kmeans_pp").check(kit).status == "passed"


def test_accessors():
    assert nb02.notebook02.assign is get_exercise("02.assign")
    assert nb02.notebook02.update is get_exercise("02.update")
    assert nb02.notebook02.kmeans_pp is get_exercise("02.kmeans_pp")

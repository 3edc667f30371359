"""Tests for deepclust_lab.exercises.nb07: plausible wrong answers (each must fail check() with a
message that names the mistake; the contract is tested for every notebook in
test_exercises.py), and the references against the kit's own functions."""

from __future__ import annotations

import numpy as np
import pytest

from deepclust_lab.constraints import EARTH_RADIUS_KM, seeded_kmeans
from deepclust_lab.exercises import get_exercise, nb07


def _eps_unchanged(distance_km):
    return distance_km


def _eps_times_radius(distance_km):
    return distance_km * 6371.0


def _eps_in_degrees(distance_km):
    return np.degrees(distance_km / 6371.0)


def _eps_km_per_degree(distance_km):
    return distance_km / 111.2  # one degree of latitude is about 111 km: degrees again


def _eps_over_circumference(distance_km):
    return distance_km / (2 * np.pi * 6371.0)


def _eps_metres(distance_km):
    return distance_km / 6371.0 / 1000


def _seeds_median(X, seed_labels, n_clusters):
    return np.array([np.median(X[seed_labels == j], axis=0) for j in range(n_clusters)])


def _seeds_first_row(X, seed_labels, n_clusters):
    return np.array([X[seed_labels == j][0] for j in range(n_clusters)])


def _seeds_with_unlabelled(X, seed_labels, n_clusters):
    return np.array([X[seed_labels == j].mean(axis=0) for j in np.unique(seed_labels)])


def _seeds_in_order_of_appearance(X, seed_labels, n_clusters):
    order = dict.fromkeys(int(j) for j in seed_labels if j >= 0)
    return np.array([X[seed_labels == j].mean(axis=0) for j in order])


def _seeds_transposed(X, seed_labels, n_clusters):
    return nb07.seed_centers(X, seed_labels, n_clusters).T


def _seeds_mean_of_all(X, seed_labels, n_clusters):
    return np.tile(X.mean(axis=0), (n_clusters, 1))


def _seeds_marks_unlabelled_in_place(X, seed_labels, n_clusters):
    seed_labels[seed_labels < 0] = 0
    return nb07.seed_centers(X, seed_labels, n_clusters)


def _raises(*args):
    raise IndexError("index 7 is out of bounds")


WRONG = {
    "07.eps": [_eps_unchanged, _eps_times_radius, _eps_in_degrees, _eps_km_per_degree,
               _eps_over_circumference, _eps_metres, _raises],
    "07.seeds": [_seeds_median, _seeds_first_row, _seeds_with_unlabelled,
                 _seeds_in_order_of_appearance, _seeds_transposed, _seeds_mean_of_all,
                 _seeds_marks_unlabelled_in_place, _raises],
}

MESSAGES = [
    ("07.eps", _eps_unchanged, "in km unchanged"),
    ("07.eps", _eps_times_radius, "you multiplied by the Earth's radius"),
    ("07.eps", _eps_in_degrees, "the angle in degrees"),
    ("07.eps", _eps_km_per_degree, "the angle in degrees"),
    ("07.eps", _eps_over_circumference, "circumference"),
    ("07.eps", _eps_metres, "expected: 0.000784805\ngiven:    7.84806e-07"),
    ("07.seeds", _seeds_median, "median"),
    ("07.seeds", _seeds_first_row, "first labelled row"),
    ("07.seeds", _seeds_with_unlabelled, "it is not a cluster"),
    ("07.seeds", _seeds_in_order_of_appearance, "row j must be cluster j"),
    ("07.seeds", _seeds_transposed, "rows and columns are swapped"),
    ("07.seeds", _seeds_mean_of_all, "row 0 is wrong"),
    ("07.seeds", _seeds_marks_unlabelled_in_place, "changed its input `seed_labels` in place"),
    ("07.seeds", _raises, "raised IndexError"),
]


@pytest.mark.parametrize(("key", "wrong", "words"), MESSAGES,
                         ids=[wrong.__name__ for _, wrong, _ in MESSAGES])
def test_each_wrong_answer_fails_with_a_message_naming_the_mistake(key, wrong, words, capsys):
    result = get_exercise(key).check(wrong)
    assert result.status == "failed"
    assert words in result.message


@pytest.mark.parametrize("key", sorted(WRONG))
def test_every_wrong_answer_fails_and_the_reference_passes(key, capsys):
    assert get_exercise(key).check(get_exercise(key).reference).passed
    for wrong in WRONG[key]:
        assert get_exercise(key).check(wrong).status == "failed", wrong.__name__
    assert get_exercise(key).check(...).status == "not attempted"


def test_any_usual_earth_radius_passes(capsys):
    for radius in (6371.0, 6371.0088, 6378.137):
        assert get_exercise("07.eps").check(lambda d, r=radius: d / r).passed


def test_eps_reference_is_the_one_haversine_dbscan_uses():
    assert nb07.km_to_radians(5.0) == pytest.approx(5.0 / EARTH_RADIUS_KM)


def test_seed_centers_reference_is_where_seeded_kmeans_starts():
    X = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 10.0], [12.0, 10.0], [11.0, 11.0]])
    seeds = np.array([0, 0, -1, 1, -1])
    np.testing.assert_allclose(nb07.seed_centers(X, seeds, 2), [[1.0, 0.0], [12.0, 10.0]])
    # the labels are stable from that start, so the fitted centres are the cluster means
    _, centers = seeded_kmeans(X, 2, seeds)
    np.testing.assert_allclose(centers, [[1.0, 0.0], [11.0, 31 / 3]])


def test_accessors():
    assert nb07.notebook07.eps is get_exercise("07.eps")
    assert nb07.notebook07.seeds is get_exercise("07.seeds")

"""Tests for deepclust_lab.exercises: every exercise's solution passes, wrong answers fail,
unfilled answers are reported as not attempted, and check() never raises for any of them."""

from __future__ import annotations

import doctest
import importlib
import sys

import numpy as np
import pytest

from deepclust_lab import exercises
from deepclust_lab.exercises import EXERCISES, CheckResult, all_exercises, get_exercise

# --------------------------------------------------------------------------- wrong answers
# Plausible mistakes a student makes, per exercise: each must fail check().


def _objective_not_squared(X, centers, labels):
    return float(np.linalg.norm(X - centers[labels], axis=1).sum())


def _objective_mean(X, centers, labels):
    return float(((X - centers[labels]) ** 2).sum(axis=1).mean())


def _choose_k_index(ks, silhouettes):
    return int(np.argmax(silhouettes))  # the position, not the k


def _choose_k_lowest(ks, silhouettes):
    return int(np.asarray(ks)[np.argmin(silhouettes)])


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


def _pp_farthest_first(X, n_clusters, rng):
    centers = [X[rng.integers(len(X))]]
    for _ in range(1, n_clusters):
        d2 = ((X[:, None] - np.array(centers)[None]) ** 2).sum(2).min(1)
        centers.append(X[d2.argmax()])
    return np.array(centers)


def _pp_global_random(X, n_clusters, rng):
    own = np.random.default_rng()  # ignores the rng it was given: not reproducible
    centers = [X[own.integers(len(X))]]
    for _ in range(1, n_clusters):
        d2 = ((X[:, None] - np.array(centers)[None]) ** 2).sum(2).min(1)
        centers.append(X[own.choice(len(X), p=d2 / d2.sum())])
    return np.array(centers)


def _pp_fixed_first(X, n_clusters, rng):
    centers = [X[0]]
    for _ in range(1, n_clusters):
        d2 = ((X[:, None] - np.array(centers)[None]) ** 2).sum(2).min(1)
        centers.append(X[rng.choice(len(X), p=d2 / d2.sum())])
    return np.array(centers)


def _pp_means(X, n_clusters, rng):
    return np.array([X[rng.choice(len(X), 5)].mean(0) for _ in range(n_clusters)])


def _raises(*args):
    raise IndexError("index 7 is out of bounds")


WRONG = {
    "01.objective": [_objective_not_squared, _objective_mean, _raises],
    "01.choose_k": [_choose_k_index, _choose_k_lowest],
    "02.assign": [_assign_farthest, _assign_both, _assign_manhattan, _raises],
    "02.update": [_update_median, _update_transposed, _raises],
    "02.kmeans_pp": [_pp_uniform, _pp_farthest_first, _pp_global_random, _pp_fixed_first,
                     _pp_means, _raises],
}


def _stub_ellipsis(*args):
    ...


def _stub_not_implemented(*args):
    raise NotImplementedError


# --------------------------------------------------------------------------- tests


def test_every_exercise_has_wrong_answers():
    assert sorted(WRONG) == sorted(EXERCISES)


# The contract every exercise of the course keeps (notebooks 01-06): checked here, once.
@pytest.mark.parametrize("key", sorted(all_exercises()))
def test_reference_solution_passes(key, capsys):
    result = get_exercise(key).check(get_exercise(key).reference)
    assert isinstance(result, CheckResult)
    assert result.status == "passed" and result.passed and bool(result)
    assert "Correct!" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("key", "wrong"), [(key, fn) for key, fns in WRONG.items() for fn in fns],
    ids=lambda v: v if isinstance(v, str) else v.__name__,
)
def test_wrong_answer_fails_without_raising(key, wrong, capsys):
    result = get_exercise(key).check(wrong)
    out = capsys.readouterr().out
    assert result.status == "failed" and not result
    assert out.startswith("Incorrect.")
    assert out.strip() == result.message.strip()


@pytest.mark.parametrize("key", sorted(all_exercises()))
@pytest.mark.parametrize("answer", [..., None, _stub_ellipsis, _stub_not_implemented],
                         ids=["ellipsis", "none", "stub-body", "not-implemented"])
def test_unfilled_answer_is_not_attempted(key, answer, capsys):
    result = get_exercise(key).check(answer)
    assert result.status == "not attempted" and not result
    assert "Not attempted yet" in capsys.readouterr().out


def test_check_without_argument_is_not_attempted(capsys):
    assert get_exercise("02.assign").check().status == "not attempted"


def test_failure_message_shows_expected_and_given(capsys):
    result = get_exercise("01.objective").check(_objective_mean)
    assert "expected:" in result.message and "given:" in result.message
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


def test_a_non_function_answer_fails_clearly(capsys):
    result = get_exercise("02.assign").check(np.zeros(3))
    assert result.status == "failed"
    assert "your function itself" in result.message


def test_a_function_returning_none_later_fails(capsys):
    calls = []

    def sometimes(X, centers):
        calls.append(1)
        if len(calls) == 1:
            return exercises.assign_step(X, centers)
        return None

    result = get_exercise("02.assign").check(sometimes)
    assert result.status == "failed" and "return" in result.message


def test_check_does_not_modify_the_cases_the_reference_sees(capsys):
    def vandal(X, centers):
        labels = exercises.assign_step(X, centers)
        X[:] = 0.0  # mutating its input must not change what the reference computes
        return labels

    assert get_exercise("02.assign").check(vandal).status == "passed"


def test_assign_accepts_equally_near_centres():
    # two identical centres: either index is a right answer, a farther one is not
    X = np.array([[0.0, 0.0], [5.0, 5.0]])
    centers = np.array([[0.0, 0.0], [0.0, 0.0], [5.0, 5.0]])
    expected = exercises.assign_step(X, centers)
    exercises._compare_labels(expected, np.array([1, 2]), (X, centers), "ties")
    with pytest.raises(exercises._Wrong, match="not their nearest"):
        exercises._compare_labels(expected, np.array([2, 2]), (X, centers), "ties")


def test_references_agree_with_the_kit():
    kmeans = pytest.importorskip("deepclust_lab.kmeans")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    centers = X[[0, 20, 40]]
    labels_kit, _ = kmeans.assign_labels(X, centers)
    labels_ref = exercises.assign_step(X, centers)
    np.testing.assert_array_equal(labels_ref, labels_kit)
    np.testing.assert_allclose(exercises.update_step(X, labels_ref, 3),
                               kmeans.update_centers(X, labels_ref, 3))
    new_centers = exercises.update_step(X, labels_ref, 3)
    assert exercises.kmeans_objective(X, new_centers, labels_ref) == pytest.approx(
        kmeans.inertia(X, new_centers, labels_ref))


def test_kit_kmeans_plusplus_passes_the_seeding_check(capsys):
    kmeans = pytest.importorskip("deepclust_lab.kmeans")

    def kit(X, n_clusters, rng):
        return kmeans.kmeans_plusplus(X, n_clusters, random_state=rng)

    assert get_exercise("02.kmeans_pp").check(kit).status == "passed"


def test_hint_and_solution_show_text(capsys):
    ex = exercises.notebook02.assign
    assert ex.hint() is None
    assert "argmin" in capsys.readouterr().out
    assert ex.solution() is None
    out = capsys.readouterr().out
    assert "def assign_step(X" in out and "return" in out
    assert ex.solution_source() in out
    assert "assign_step" in repr(ex) and "02.assign" in repr(ex)
    assert "**Exercise 02.assign" in ex._repr_markdown_()


def test_solution_shows_the_function_check_compares_against():
    for ex in EXERCISES.values():
        namespace = {"np": np}
        exec(ex.solution_source(), namespace)
        assert ex.reference.__name__ in namespace
        assert get_exercise(ex.key).check(namespace[ex.reference.__name__]).passed


def test_accessors():
    assert exercises.notebook01.objective is get_exercise("01.objective")
    assert exercises.notebook01.choose_k is get_exercise("01.choose_k")
    assert exercises.notebook02.assign is get_exercise("02.assign")
    assert exercises.notebook02.update is get_exercise("02.update")
    assert exercises.notebook02.kmeans_pp is get_exercise("02.kmeans_pp")
    with pytest.raises(ValueError, match="key must be one of"):
        get_exercise("02.nope")


def test_check_result_does_not_display_twice():
    result = CheckResult("passed", "Correct!")
    assert result._ipython_display_() is None
    assert "Correct" not in repr(result)


def test_import_loads_no_data(monkeypatch):
    """Nothing is loaded at import: importing must not touch the dataset loaders."""
    import deepclust_lab.data as data

    def forbidden(*args, **kwargs):
        raise AssertionError("exercises loaded data at import")

    monkeypatch.setattr(data, "load_dataset", forbidden)
    monkeypatch.delitem(sys.modules, "deepclust_lab.exercises")
    importlib.import_module("deepclust_lab.exercises")


def test_docstring_examples_run(capsys):
    result = doctest.testmod(exercises)
    assert result.attempted >= 3 and result.failed == 0

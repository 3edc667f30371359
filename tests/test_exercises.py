"""Tests for deepclust_lab.exercises.core and the contract every exercise keeps: the reference
passes, plausible wrong answers (listed per notebook in tests/test_exercises_nbNN.py) fail,
unfilled answers are "not attempted", and check() never raises for any of them."""

from __future__ import annotations

import doctest
import importlib
import inspect
import sys
import warnings

import numpy as np
import pytest
import test_exercises_nb01
import test_exercises_nb02
import test_exercises_nb03
import test_exercises_nb04
import test_exercises_nb05
import test_exercises_nb06
import test_exercises_nb07

from deepclust_lab import exercises
from deepclust_lab.exercises import CheckResult, all_exercises, core, get_exercise, nb01, nb05
from deepclust_lab.exercises.nb02 import assign_step

WRONG = {key: fns for module in (test_exercises_nb01, test_exercises_nb02, test_exercises_nb03,
                                 test_exercises_nb04, test_exercises_nb05, test_exercises_nb06,
                                 test_exercises_nb07)
         for key, fns in module.WRONG.items()}


def _stub_ellipsis(*args):
    ...


def _stub_not_implemented(*args):
    raise NotImplementedError


def _stub_docstring(X, centers):
    """A docstring and a comment only."""
    # your code here
    pass


def test_every_exercise_has_wrong_answers():
    assert sorted(WRONG) == sorted(all_exercises())


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
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nor does a warning escape
        result = get_exercise(key).check(wrong)
    out = capsys.readouterr().out
    assert result.status == "failed" and not result
    assert out.startswith("Incorrect.")
    assert out.strip() == result.message.strip()


@pytest.mark.parametrize("key", sorted(all_exercises()))
@pytest.mark.parametrize("answer", [..., None, _stub_ellipsis, _stub_not_implemented,
                                    _stub_docstring],
                         ids=["ellipsis", "none", "stub-body", "not-implemented", "docstring"])
def test_unfilled_answer_is_not_attempted(key, answer, capsys):
    result = get_exercise(key).check(answer)
    assert result.status == "not attempted" and not result
    assert "Not attempted yet" in capsys.readouterr().out


def test_check_without_argument_is_not_attempted(capsys):
    assert get_exercise("02.assign").check().status == "not attempted"


@pytest.mark.parametrize("key", ["02.assign", "04.target", "05.accuracy"])
def test_a_non_function_answer_fails_clearly(key, capsys):
    result = get_exercise(key).check(np.zeros(3))
    assert result.status == "failed"
    assert "your function itself" in result.message


def test_a_function_that_forgets_return_is_told_so(capsys):
    def forgot(X, centers):
        labels = assign_step(X, centers)  # computed, never returned  # noqa: F841

    def forgot_with_placeholder_left(X, centers):
        labels = assign_step(X, centers)  # noqa: F841
        ...

    for answer in (forgot, forgot_with_placeholder_left):
        result = get_exercise("02.assign").check(answer)
        assert result.status == "failed" and "Not attempted" not in result.message
        assert ("On 6 points and 2 centres, your function returned None: did you forget "
                "`return`?") in result.message


def test_a_function_returning_none_later_fails(capsys):
    calls = []

    def sometimes(X, centers):
        calls.append(1)
        if len(calls) == 1:
            return assign_step(X, centers)
        return None

    result = get_exercise("02.assign").check(sometimes)
    assert result.status == "failed" and "return" in result.message


def test_an_answer_sees_copies_of_the_case_data():
    X = np.arange(6.0).reshape(3, 2)

    def vandal(X):
        X[:] = 0.0
        return X.sum()

    with pytest.raises(core.Wrong, match="changed its input `X` in place"):
        core.call_answer(vandal, (X,), "three points", ("X",))
    np.testing.assert_array_equal(X, np.arange(6.0).reshape(3, 2))  # the case is intact


def test_changing_an_input_the_task_says_not_to_change_fails(capsys):
    def in_place(X):  # the right values, but written into X itself
        X[np.isnan(X)] = np.take(np.nanmean(X, axis=0), np.nonzero(np.isnan(X))[1])
        return X

    result = get_exercise("06.impute").check(in_place)
    assert result.status == "failed"
    assert "changed its input `X` in place: 2 of its 6 values changed" in result.message
    assert "before:" in result.message and "after:" in result.message
    assert "Work on a copy (`X.copy()`)" in result.message


def _spoil(value) -> bool:
    """Change ``value`` in place, as a careless answer would; False if it cannot be changed."""
    if isinstance(value, list):
        value.append(value[-1])
        return True
    if not isinstance(value, np.ndarray) or value.size == 0:
        return False  # a number, a string or a random generator
    if value.dtype.kind in "fiu":
        value += 1
    else:
        value.flat[0] = "z" if value.flat[0] != "z" else "y"
    return True


#: parameter types that a function cannot change in place (the rng changes, as it should)
_SCALARS = {"int", "float", "str", "bool", "np.random.Generator"}


def _forgets_return(reference):
    def forgot(*args):
        result = reference(*args)  # computed, never returned  # noqa: F841

    return forgot


def _changes_argument(reference, position):
    def changes(*args):
        result = reference(*args)
        changes.spoiled |= _spoil(args[position])
        return result

    changes.spoiled = False
    return changes


@pytest.mark.parametrize("key", sorted(all_exercises()))
def test_every_exercise_tells_a_forgotten_return(key, capsys):
    result = get_exercise(key).check(_forgets_return(get_exercise(key).reference))
    assert result.status == "failed" and "Not attempted" not in result.message
    assert "your function returned None: did you forget `return`?" in result.message


@pytest.mark.parametrize("key", sorted(all_exercises()))
def test_every_exercise_names_an_input_changed_in_place(key, capsys):
    ex = get_exercise(key)
    parameters = inspect.signature(ex.reference).parameters
    names = list(parameters)
    spoiled = []
    for position, name in enumerate(names):
        answer = _changes_argument(ex.reference, position)
        result = ex.check(answer)
        if answer.spoiled:  # the case held an array or a list there: the change must be named
            spoiled.append(name)
            assert result.status == "failed"
            assert f"your function changed its input `{name}` in place" in result.message
        else:  # a number or the rng: nothing to change in place, the answer is right
            assert result.passed
    only_numbers = all(str(p.annotation) in _SCALARS for p in parameters.values())
    assert spoiled or only_numbers, f"{key}: no input could be changed"


def test_an_array_changed_inside_a_list_is_named(capsys):
    def spoils_a_run(labelings):
        score = nb05.mean_pairwise_ari(labelings)
        labelings[0][:3] = 99
        return score

    result = get_exercise("05.pairwise_ari").check(spoils_a_run)
    assert result.status == "failed"
    assert "changed its input `labelings` in place: item 0: 3 of its 30 values" in result.message


def test_a_list_sorted_in_place_is_named(capsys):
    def sorts_ks(ks, silhouettes):
        k = nb01.choose_k(ks, silhouettes)
        ks.sort()
        return k

    result = get_exercise("01.choose_k").check(sorts_ks)
    assert result.status == "failed"
    assert "changed its input `ks` in place: item 0: 6 became 2" in result.message
    assert "(`list(ks)`)" in result.message


def test_not_implemented_deeper_down_is_an_error_not_a_stub(capsys):
    def helper(X):
        raise NotImplementedError("helper is unfinished")

    def answer(X, centers):
        return helper(X)

    result = get_exercise("02.assign").check(answer)
    assert result.status == "failed"
    assert "raised NotImplementedError: helper is unfinished" in result.message


def _contrast_full_matrix(X):  # the zero diagonal of the full distance matrix
    d = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
    return d.max() / d.min()


def _spectrum_cast_to_real(windows, n_bins):
    out = np.empty((len(windows), n_bins))
    out[:] = np.fft.rfft(windows, axis=1)[:, 1 : n_bins + 1]  # drops the imaginary part
    return out


def _update_shifted(X, labels, n_clusters):
    return np.array([X[labels == j + 1].mean(axis=0) for j in range(n_clusters)])  # one empty


def _soft_without_one(Z, centers, alpha=1.0):
    d = ((Z[:, None] - centers[None]) ** 2).sum(-1)
    kernel = (d / alpha) ** (-(alpha + 1) / 2)  # forgot the 1 +: infinite at distance 0
    return kernel / kernel.sum(1, keepdims=True)


def _contrast_inverse(X):  # right, by a detour through 1 / d that divides by zero
    d = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
    inverse = 1.0 / d
    return float(d.max() * inverse[np.isfinite(inverse)].max())


@pytest.mark.parametrize(("key", "answer", "status", "words"), [
    ("06.contrast", _contrast_full_matrix, "failed", "your function divided by zero"),
    ("06.spectrum", _spectrum_cast_to_real, "failed",
     "stored complex numbers as real ones, which throws away their imaginary part"),
    ("02.update", _update_shifted, "failed", "took the mean of an empty array"),
    ("04.soft_assignment", _soft_without_one, "failed",
     "computed something with no value, such as 0 / 0, inf / inf"),
    ("06.contrast", _contrast_inverse, "passed", "your function divided by zero"),
], ids=["divide-by-zero", "complex-to-real", "empty-mean", "invalid-value", "passes-anyway"])
def test_numpy_warnings_are_told_in_words_not_leaked(key, answer, status, words, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning that escaped check() would raise here
        result = get_exercise(key).check(answer)
    assert result.status == status
    assert words in result.message
    assert ("A clue:" if status == "failed" else "Still worth a look:") in result.message
    captured = capsys.readouterr()
    for raw in ("Warning", "warnings.py", "encountered in"):
        assert raw not in result.message and raw not in captured.out + captured.err


def test_a_warning_is_told_once_for_its_first_case(capsys):
    result = get_exercise("06.contrast").check(_contrast_full_matrix)
    assert result.message.count("divided by zero") == 1
    assert "On 3 points on a line at 0, 1 and 3, your function divided by zero" in result.message


def test_complex_output_is_named(capsys):
    result = get_exercise("06.spectrum").check(
        lambda windows, n_bins: np.fft.rfft(windows, axis=1)[:, 1 : n_bins + 1])
    assert result.status == "failed" and "complex numbers" in result.message


def test_describe_warning_has_words_for_an_unknown_warning():
    note = core.describe_warning(UserWarning("something odd"), "a case")
    assert note == "On a case, your function caused a warning: something odd"


def test_is_stub():
    assert core.is_stub(_stub_ellipsis) and core.is_stub(_stub_docstring)
    assert core.is_stub(lambda x: None)
    assert not core.is_stub(assign_step) and not core.is_stub(np.mean)
    assert not core.is_stub(_stub_not_implemented)


@pytest.mark.parametrize("key", ["02.nope", "04.nope", "05.nope", 3])
def test_unknown_key(key):
    with pytest.raises(ValueError, match="key must be one of"):
        get_exercise(key)


# what a student's notebook has imported before pasting a solution
_SOLUTION_IMPORTS = """
import numpy as np
from collections.abc import Sequence
from itertools import combinations
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import pdist
from sklearn.metrics import adjusted_rand_score
"""


def test_solution_shows_the_function_check_compares_against(capsys):
    for ex in all_exercises().values():
        namespace: dict = {}
        exec(_SOLUTION_IMPORTS + ex.solution_source(), namespace)
        assert ex.reference.__name__ in namespace
        assert get_exercise(ex.key).check(namespace[ex.reference.__name__]).passed


@pytest.mark.parametrize(("key", "in_hint", "in_solution"), [
    ("02.assign", "argmin", "def assign_step(X"),
    ("04.target", "keepdims", "def target_distribution("),
    ("05.accuracy", "linear_sum_assignment", "def matched_accuracy("),
])
def test_hint_and_solution_show_text(key, in_hint, in_solution, capsys):
    ex = get_exercise(key)
    assert ex.hint() is None
    assert in_hint in capsys.readouterr().out
    assert ex.solution() is None
    out = capsys.readouterr().out
    assert in_solution in out and "return" in out
    assert ex.solution_source() in out
    assert ex.reference.__name__ in repr(ex) and key in repr(ex)
    assert f"**Exercise {key}" in ex._repr_markdown_()


def test_check_result_does_not_display_twice():
    result = CheckResult("passed", "Correct!")
    assert result._ipython_display_() is None
    assert "Correct" not in repr(result)


def test_import_loads_no_data_and_no_keras(monkeypatch):
    """Nothing is loaded at import: importing must not touch the dataset loaders (or Keras)."""
    import deepclust_lab.data as data

    def forbidden(*args, **kwargs):
        raise AssertionError("exercises loaded data at import")

    monkeypatch.setattr(data, "load_dataset", forbidden)
    n_exercises = len(all_exercises())
    for name in [m for m in sys.modules if m.startswith("deepclust_lab.exercises")]:
        monkeypatch.delitem(sys.modules, name)
    package = importlib.import_module("deepclust_lab.exercises")
    assert len(package.all_exercises()) == n_exercises >= 15
    for module in ("core", "nb01", "nb02", "nb03", "nb04", "nb05", "nb06"):
        assert "keras" not in vars(importlib.import_module(f"deepclust_lab.exercises.{module}"))


@pytest.mark.parametrize("module", [exercises, core], ids=["package", "core"])
def test_docstring_examples_run(module, capsys):
    result = doctest.testmod(module)
    assert result.attempted >= 3 and result.failed == 0

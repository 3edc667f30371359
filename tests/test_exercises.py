"""Tests for deepclust_lab.exercises.core and the contract every exercise keeps: the reference
passes, plausible wrong answers (listed per notebook in tests/test_exercises_nbNN.py) fail,
unfilled answers are "not attempted", and check() never raises for any of them."""

from __future__ import annotations

import doctest
import importlib
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

from deepclust_lab import exercises
from deepclust_lab.exercises import CheckResult, all_exercises, core, get_exercise
from deepclust_lab.exercises.nb02 import assign_step

WRONG = {key: fns for module in (test_exercises_nb01, test_exercises_nb02, test_exercises_nb03,
                                 test_exercises_nb04, test_exercises_nb05, test_exercises_nb06)
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

    result = get_exercise("02.assign").check(forgot)
    assert result.status == "failed" and "Not attempted" not in result.message
    assert "returned None" in result.message and "forget `return`" in result.message


def test_a_function_returning_none_later_fails(capsys):
    calls = []

    def sometimes(X, centers):
        calls.append(1)
        if len(calls) == 1:
            return assign_step(X, centers)
        return None

    result = get_exercise("02.assign").check(sometimes)
    assert result.status == "failed" and "return" in result.message


def test_check_does_not_modify_the_cases_the_reference_sees(capsys):
    def vandal(X, centers):
        labels = assign_step(X, centers)
        X[:] = 0.0  # mutating its input must not change what the reference computes
        return labels

    assert get_exercise("02.assign").check(vandal).status == "passed"


def test_changing_an_input_the_task_says_not_to_change_fails(capsys):
    def in_place(X):  # the right values, but written into X itself
        X[np.isnan(X)] = np.take(np.nanmean(X, axis=0), np.nonzero(np.isnan(X))[1])
        return X

    result = get_exercise("06.impute").check(in_place)
    assert result.status == "failed"
    assert "changed its input `X` in place" in result.message


def test_numpy_warnings_are_reported_not_leaked(capsys):
    def divide_by_zero(X):  # the zero diagonal of the full distance matrix
        d = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
        return d.max() / d.min()

    def cast_complex(windows, n_bins):
        out = np.empty((len(windows), n_bins))
        out[:] = np.fft.rfft(windows, axis=1)[:, 1 : n_bins + 1]  # drops the imaginary part
        return out

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning that escaped check() would raise here
        contrast = get_exercise("06.contrast").check(divide_by_zero)
        spectrum = get_exercise("06.spectrum").check(cast_complex)
        complex_out = get_exercise("06.spectrum").check(
            lambda windows, n_bins: np.fft.rfft(windows, axis=1)[:, 1 : n_bins + 1])
    assert contrast.status == "failed"
    assert "RuntimeWarning: divide by zero" in contrast.message
    assert spectrum.status == "failed" and "ComplexWarning" in spectrum.message
    assert complex_out.status == "failed" and "complex numbers" in complex_out.message
    assert "warnings.py" not in contrast.message + spectrum.message + capsys.readouterr().err


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
    for name in [m for m in sys.modules if m.startswith("deepclust_lab.exercises")]:
        monkeypatch.delitem(sys.modules, name)
    package = importlib.import_module("deepclust_lab.exercises")
    assert len(package.all_exercises()) == 15
    for module in ("core", "nb01", "nb02", "nb03", "nb04", "nb05", "nb06"):
        assert "keras" not in vars(importlib.import_module(f"deepclust_lab.exercises.{module}"))


@pytest.mark.parametrize("module", [exercises, core], ids=["package", "core"])
def test_docstring_examples_run(module, capsys):
    result = doctest.testmod(module)
    assert result.attempted >= 3 and result.failed == 0

"""Tests for deepclust_lab.exercises.nb01: plausible wrong answers (each must fail check(); the
contract is tested for every notebook in test_exercises.py) and what their messages say."""

from __future__ import annotations

import numpy as np

from deepclust_lab.exercises import get_exercise, nb01


def _objective_not_squared(X, centers, labels):
    return float(np.linalg.norm(X - centers[labels], axis=1).sum())


def _objective_mean(X, centers, labels):
    return float(((X - centers[labels]) ** 2).sum(axis=1).mean())


def _choose_k_index(ks, silhouettes):
    return int(np.argmax(silhouettes))  # the position, not the k


def _choose_k_lowest(ks, silhouettes):
    return int(np.asarray(ks)[np.argmin(silhouettes)])


def _raises(*args):
    raise IndexError("index 7 is out of bounds")


WRONG = {
    "01.objective": [_objective_not_squared, _objective_mean, _raises],
    "01.choose_k": [_choose_k_index, _choose_k_lowest],
}


def test_failure_message_shows_expected_and_given(capsys):
    result = get_exercise("01.objective").check(_objective_mean)
    assert "expected:" in result.message and "given:" in result.message
    result = get_exercise("01.choose_k").check(_choose_k_index)
    assert "silhouettes = [" in result.message and "expected: 3" in result.message


def test_accessors():
    assert nb01.notebook01.objective is get_exercise("01.objective")
    assert nb01.notebook01.choose_k is get_exercise("01.choose_k")

"""Tests for deepclust_lab.exercises.nb03: plausible wrong answers (each must fail check(); the
contract is tested for every notebook in test_exercises.py), their messages, and the
references against scikit-learn / the training loss."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from deepclust_lab.exercises import get_exercise, nb03


def _neighbours_with_self(Z, y):
    d = ((Z[:, None] - Z[None]) ** 2).sum(-1)  # the diagonal is 0: every point finds itself
    return float(np.mean(y[d.argmin(1)] == y))


def _neighbours_farthest(Z, y):
    d = ((Z[:, None] - Z[None]) ** 2).sum(-1)
    return float(np.mean(y[d.argmax(1)] == y))


def _neighbours_count(Z, y):
    d = ((Z[:, None] - Z[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    return int(np.sum(y[d.argmin(1)] == y))  # a count, not a share


def _reconstruction_scalar(X, X_rec):
    return float(((X - X_rec) ** 2).mean())  # one number for the whole data set


def _reconstruction_sum(X, X_rec):
    return ((X - X_rec) ** 2).sum(axis=1)


def _reconstruction_rmse(X, X_rec):
    return np.sqrt(((X - X_rec) ** 2).mean(axis=1))


def _reconstruction_features(X, X_rec):
    return ((X - X_rec) ** 2).mean(axis=0)  # per feature, not per sample


def _raises(*args):
    raise IndexError("index 7 is out of bounds")


WRONG = {
    "03.neighbours": [_neighbours_with_self, _neighbours_farthest, _neighbours_count, _raises],
    "03.reconstruction": [_reconstruction_scalar, _reconstruction_sum, _reconstruction_rmse,
                          _reconstruction_features, _raises],
}


def test_failure_messages_show_expected_and_given(capsys):
    result = get_exercise("03.reconstruction").check(_reconstruction_scalar)
    assert "shape" in result.message
    result = get_exercise("03.neighbours").check(_neighbours_with_self)
    assert "expected:" in result.message and "given:" in result.message
    result = get_exercise("03.neighbours").check(_raises)
    assert "IndexError" in result.message


def test_neighbour_reference_agrees_with_scikit_learn():
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(200, 5))
    y = rng.integers(0, 3, 200)
    _, idx = NearestNeighbors(n_neighbors=1).fit(Z).kneighbors()  # excludes each point itself
    assert nb03.neighbour_agreement(Z, y) == pytest.approx(np.mean(y[idx[:, 0]] == y))


def test_reconstruction_reference_matches_the_training_loss():
    rng = np.random.default_rng(4)
    X, X_rec = rng.random((30, 8)), rng.random((30, 8))
    errors = nb03.reconstruction_error(X, X_rec)
    assert errors.shape == (30,)
    # the mean over samples is Keras' "mse" loss on the whole batch
    assert errors.mean() == pytest.approx(np.mean((X - X_rec) ** 2))


def test_accessors():
    assert nb03.notebook03.neighbours is get_exercise("03.neighbours")
    assert nb03.notebook03.reconstruction is get_exercise("03.reconstruction")

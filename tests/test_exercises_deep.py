"""Tests for deepclust_lab.exercises_deep (the exercises of notebooks 03 and 04): every
reference solution passes, plausible wrong answers fail, unfilled answers are reported as not
attempted, check() never raises, and the references agree with the kit / scikit-learn."""

from __future__ import annotations

import doctest
import importlib
import sys

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from deepclust_lab import exercises_deep as ed
from deepclust_lab.exercises_deep import EXERCISES, get_exercise

# --------------------------------------------------------------------------- wrong answers


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


def _soft_unnormalised(Z, centers, alpha=1.0):
    d = ((Z[:, None] - centers[None]) ** 2).sum(-1)
    return (1 + d / alpha) ** (-(alpha + 1) / 2)


def _soft_gaussian(Z, centers, alpha=1.0):
    d = ((Z[:, None] - centers[None]) ** 2).sum(-1)
    k = np.exp(-d)
    return k / k.sum(1, keepdims=True)


def _soft_not_squared(Z, centers, alpha=1.0):
    d = np.sqrt(((Z[:, None] - centers[None]) ** 2).sum(-1))
    k = (1 + d / alpha) ** (-(alpha + 1) / 2)
    return k / k.sum(1, keepdims=True)


def _soft_exponent(Z, centers, alpha=1.0):
    d = ((Z[:, None] - centers[None]) ** 2).sum(-1)
    k = (1 + d / alpha) ** (-(alpha + 1))  # forgot the / 2
    return k / k.sum(1, keepdims=True)


def _soft_columns(Z, centers, alpha=1.0):
    d = ((Z[:, None] - centers[None]) ** 2).sum(-1)
    k = (1 + d / alpha) ** (-(alpha + 1) / 2)
    return k / k.sum(0, keepdims=True)  # normalised over the samples


def _target_no_frequency(q):
    w = q**2
    return w / w.sum(1, keepdims=True)


def _target_not_squared(q):
    w = q / q.sum(0)
    return w / w.sum(1, keepdims=True)


def _target_unnormalised(q):
    return q**2 / q.sum(0)


def _target_row_frequency(q):
    w = q**2 / q.sum(1, keepdims=True)  # each row's sum (always 1), not each cluster's size
    return w / w.sum(1, keepdims=True)


def _target_transposed(q):
    return ed.target_distribution(q).T


def _raises(*args):
    raise IndexError("index 7 is out of bounds")


WRONG = {
    "03.neighbours": [_neighbours_with_self, _neighbours_farthest, _neighbours_count, _raises],
    "03.reconstruction": [_reconstruction_scalar, _reconstruction_sum, _reconstruction_rmse,
                          _reconstruction_features, _raises],
    "04.soft_assignment": [_soft_unnormalised, _soft_gaussian, _soft_not_squared,
                           _soft_exponent, _soft_columns, _raises],
    "04.target": [_target_no_frequency, _target_not_squared, _target_unnormalised,
                  _target_row_frequency, _target_transposed, _raises],
}


# --------------------------------------------------------------------------- tests


def test_every_exercise_has_wrong_answers():
    assert sorted(WRONG) == sorted(EXERCISES)


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


def test_failure_messages_show_expected_and_given(capsys):
    result = get_exercise("04.soft_assignment").check(_soft_unnormalised)
    assert "sum to 1" in result.message and "expected:" in result.message
    result = get_exercise("04.target").check(_target_transposed)
    assert "swapped" in result.message
    result = get_exercise("04.target").check(_target_no_frequency)
    assert "row" in result.message and "given:" in result.message
    result = get_exercise("03.reconstruction").check(_reconstruction_scalar)
    assert "shape" in result.message
    result = get_exercise("03.neighbours").check(_neighbours_with_self)
    assert "expected:" in result.message and "given:" in result.message
    result = get_exercise("03.neighbours").check(_raises)
    assert "IndexError" in result.message
    result = get_exercise("04.target").check(np.zeros(3))
    assert "your function itself" in result.message


def test_nan_answer_is_reported(capsys):
    result = get_exercise("04.target").check(lambda q: np.full(q.shape, np.nan))
    assert result.status == "failed" and "NaN" in result.message


def test_soft_assignment_reference_agrees_with_the_kit():
    from keras import ops

    from deepclust_lab.deep import soft_assignment

    rng = np.random.default_rng(0)
    Z, centers = rng.normal(size=(50, 6)), rng.normal(size=(4, 6))
    for alpha in (1.0, 2.0, 0.5):
        kit = ops.convert_to_numpy(soft_assignment(Z, centers, alpha))
        np.testing.assert_allclose(ed.soft_assignment(Z, centers, alpha), kit, rtol=1e-5,
                                   atol=1e-7)


def test_target_reference_agrees_with_the_kit():
    from keras import ops

    from deepclust_lab.deep import target_distribution

    q = np.random.default_rng(1).dirichlet(np.ones(5), size=40)
    kit = ops.convert_to_numpy(target_distribution(q))
    np.testing.assert_allclose(ed.target_distribution(q), kit, rtol=1e-5, atol=1e-7)


def test_target_is_sharper_than_q():
    q = np.random.default_rng(2).dirichlet(np.ones(3), size=30)
    p = ed.target_distribution(q)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert p.max(axis=1).mean() > q.max(axis=1).mean()


def test_neighbour_reference_agrees_with_scikit_learn():
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(200, 5))
    y = rng.integers(0, 3, 200)
    _, idx = NearestNeighbors(n_neighbors=1).fit(Z).kneighbors()  # excludes each point itself
    assert ed.neighbour_agreement(Z, y) == pytest.approx(np.mean(y[idx[:, 0]] == y))


def test_reconstruction_reference_matches_the_training_loss():
    rng = np.random.default_rng(4)
    X, X_rec = rng.random((30, 8)), rng.random((30, 8))
    errors = ed.reconstruction_error(X, X_rec)
    assert errors.shape == (30,)
    # the mean over samples is Keras' "mse" loss on the whole batch
    assert errors.mean() == pytest.approx(np.mean((X - X_rec) ** 2))


def test_accessors():
    assert ed.notebook03.neighbours is get_exercise("03.neighbours")
    assert ed.notebook03.reconstruction is get_exercise("03.reconstruction")
    assert ed.notebook04.soft_assignment is get_exercise("04.soft_assignment")
    assert ed.notebook04.target is get_exercise("04.target")
    with pytest.raises(ValueError, match="key must be one of"):
        get_exercise("04.nope")


def test_solution_shows_the_function_check_compares_against(capsys):
    for ex in EXERCISES.values():
        namespace: dict = {}
        exec("import numpy as np\n" + ex.solution_source(), namespace)
        assert get_exercise(ex.key).check(namespace[ex.reference.__name__]).passed


def test_hint_and_solution_show_text(capsys):
    ex = ed.notebook04.target
    assert ex.hint() is None
    assert "keepdims" in capsys.readouterr().out
    assert ex.solution() is None
    assert "def target_distribution(" in capsys.readouterr().out


def test_import_loads_no_data_and_no_keras(monkeypatch):
    import deepclust_lab.data as data

    def forbidden(*args, **kwargs):
        raise AssertionError("exercises loaded data at import")

    monkeypatch.setattr(data, "load_dataset", forbidden)
    monkeypatch.delitem(sys.modules, "deepclust_lab.exercises_deep")
    module = importlib.import_module("deepclust_lab.exercises_deep")
    assert "keras" not in vars(module)


def test_docstring_examples_run(capsys):
    result = doctest.testmod(ed)
    assert result.attempted >= 3 and result.failed == 0

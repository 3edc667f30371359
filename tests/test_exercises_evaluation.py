"""Tests for deepclust_lab.exercises_evaluation (the exercises of notebooks 05 and 06):
every reference solution passes, plausible wrong answers fail, unfilled answers are reported
as not attempted, check() never raises, and the references agree with the kit / scikit-learn."""

from __future__ import annotations

import doctest
import importlib
import sys
from itertools import pairwise, product

import numpy as np
import pytest
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, adjusted_rand_score

from deepclust_lab import exercises_evaluation as ev
from deepclust_lab.exercises_evaluation import EXERCISES, get_exercise

# --------------------------------------------------------------------------- wrong answers


def _accuracy_plain(y_true, y_pred):
    return accuracy_score(y_true, y_pred)  # compares raw ids: the mistake notebook 05 shows


def _accuracy_purity(y_true, y_pred):
    # every cluster votes for its majority class: several clusters may claim the same class
    return sum(np.bincount(y_true[y_pred == c]).max() for c in np.unique(y_pred)) / len(y_true)


def _accuracy_minimise(y_true, y_pred):
    from scipy.optimize import linear_sum_assignment

    _, t = np.unique(y_true, return_inverse=True)
    _, p = np.unique(y_pred, return_inverse=True)
    counts = np.zeros((t.max() + 1, p.max() + 1))
    np.add.at(counts, (t, p), 1)
    rows, cols = linear_sum_assignment(counts)  # forgot maximize=True
    return counts[rows, cols].sum() / len(y_true)


def _gap_argmax(ks, gap, gap_se):
    return int(np.asarray(ks)[np.argmax(gap)])


def _gap_own_se(ks, gap, gap_se):
    for i in range(len(ks) - 1):
        if gap[i] >= gap[i + 1] - gap_se[i]:  # the standard error of this k, not the next
            return int(ks[i])
    return int(np.asarray(ks)[np.argmax(gap)])


def _gap_no_se(ks, gap, gap_se):
    for i in range(len(ks) - 1):
        if gap[i] >= gap[i + 1]:
            return int(ks[i])
    return int(np.asarray(ks)[np.argmax(gap)])


def _pairwise_with_self(labelings):
    return float(np.mean([adjusted_rand_score(a, b) for a, b in product(labelings, repeat=2)]))


def _pairwise_consecutive(labelings):
    return float(np.mean([adjusted_rand_score(a, b) for a, b in pairwise(labelings)]))


def _pairwise_accuracy(labelings):
    return float(np.mean([np.mean(a == b) for i, a in enumerate(labelings)
                          for b in labelings[i + 1:]]))


def _impute_zero(X):
    return np.nan_to_num(X, nan=0.0)


def _impute_plain_mean(X):
    return np.where(np.isnan(X), X.mean(axis=0), X)  # the mean of a column with NaN is NaN


def _impute_row_mean(X):
    return np.where(np.isnan(X), np.nanmean(X, axis=1, keepdims=True), X)


def _contrast_with_diagonal(X):
    d = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
    with np.errstate(divide="ignore"):
        return d.max() / d.min()  # the zero diagonal: infinite


def _contrast_squared(X):
    d = ((X[:, None] - X[None]) ** 2).sum(-1)
    d = d[~np.eye(len(X), dtype=bool)]
    return d.max() / d.min()


def _spectrum_raw(windows, n_bins):
    return np.abs(np.fft.rfft(windows, axis=1))[:, 1:n_bins + 1]  # not standardised


def _spectrum_with_dc(windows, n_bins):
    z = (windows - windows.mean(1, keepdims=True)) / windows.std(1, keepdims=True)
    return np.abs(np.fft.rfft(z, axis=1))[:, :n_bins]


def _spectrum_complex_real_part(windows, n_bins):
    z = (windows - windows.mean(1, keepdims=True)) / windows.std(1, keepdims=True)
    return np.fft.rfft(z, axis=1).real[:, 1:n_bins + 1]  # depends on the phase


def _spectrum_transposed(windows, n_bins):
    return ev.spectrum_features(windows, n_bins).T


def _raises(*args):
    raise IndexError("index 7 is out of bounds")


WRONG = {
    "05.accuracy": [_accuracy_plain, _accuracy_purity, _accuracy_minimise, _raises],
    "05.gap_rule": [_gap_argmax, _gap_own_se, _gap_no_se, _raises],
    "05.pairwise_ari": [_pairwise_with_self, _pairwise_consecutive, _pairwise_accuracy],
    "06.impute": [_impute_zero, _impute_plain_mean, _impute_row_mean, _raises],
    "06.contrast": [_contrast_with_diagonal, _contrast_squared],
    "06.spectrum": [_spectrum_raw, _spectrum_with_dc, _spectrum_complex_real_part,
                    _spectrum_transposed],
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
    result = get_exercise("05.accuracy").check(_accuracy_plain)
    assert "expected:" in result.message and "given:" in result.message
    result = get_exercise("05.gap_rule").check(_gap_own_se)
    assert "gap_se = " in result.message and "expected:" in result.message
    result = get_exercise("06.impute").check(_impute_plain_mean)
    assert "NaN" in result.message
    result = get_exercise("06.spectrum").check(_spectrum_transposed)
    assert "swapped" in result.message
    result = get_exercise("05.accuracy").check(_raises)
    assert "IndexError" in result.message
    result = get_exercise("05.accuracy").check(np.zeros(3))
    assert "your function itself" in result.message


def test_accuracy_reference_agrees_with_the_kit():
    from deepclust_lab.metrics import cluster_accuracy

    rng = np.random.default_rng(0)
    for n_classes, n_clusters in [(3, 3), (4, 6), (5, 2)]:
        y_true = rng.integers(0, n_classes, 200)
        y_pred = rng.integers(0, n_clusters, 200) * 3 + 1  # arbitrary ids
        assert ev.matched_accuracy(y_true, y_pred) == pytest.approx(
            cluster_accuracy(y_true, y_pred))


def test_gap_reference_agrees_with_the_kit():
    from deepclust_lab.selection import _choose_gap_k

    rng = np.random.default_rng(1)
    for _ in range(50):
        ks = np.arange(1, 8)
        gap, se = rng.normal(size=7).cumsum(), rng.uniform(0, 0.5, size=7)
        assert ev.gap_choice(ks, gap, se) == _choose_gap_k(ks, gap, se)


def test_pairwise_reference_agrees_with_stability():
    from deepclust_lab.selection import stability

    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 2))
    runs = {seed: np.random.default_rng(seed).integers(0, 3, 60) for seed in range(4)}
    result = stability(lambda X, seed: runs[seed], X, seeds=range(4))
    assert ev.mean_pairwise_ari(list(runs.values())) == pytest.approx(result.mean_ari)


def test_impute_reference_agrees_with_scikit_learn_and_keeps_its_input():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 5))
    X[rng.random(X.shape) < 0.3] = np.nan
    before = X.copy()
    filled = ev.mean_impute(X)
    np.testing.assert_allclose(filled, SimpleImputer(strategy="mean").fit_transform(X))
    np.testing.assert_array_equal(np.isnan(X), np.isnan(before))  # X unchanged


def test_spectrum_reference_ignores_shift_level_and_loudness():
    t = np.arange(64) / 64
    a = np.sin(2 * np.pi * 4 * t)
    shifted = 3.0 + 10.0 * np.roll(a, 5)  # a whole number of samples: exact circular shift
    features = ev.spectrum_features(np.stack([a, shifted]), 8)
    assert features.shape == (2, 8)
    np.testing.assert_allclose(features[0], features[1], atol=1e-9)
    assert features[0].argmax() == 3  # bin 4, the 4 cycles per window


def test_contrast_reference_by_hand():
    assert ev.distance_contrast(np.array([[0.0], [1.0], [3.0]])) == pytest.approx(3.0)


def test_accessors():
    assert ev.notebook05.accuracy is get_exercise("05.accuracy")
    assert ev.notebook05.gap_rule is get_exercise("05.gap_rule")
    assert ev.notebook05.pairwise_ari is get_exercise("05.pairwise_ari")
    assert ev.notebook06.impute is get_exercise("06.impute")
    assert ev.notebook06.contrast is get_exercise("06.contrast")
    assert ev.notebook06.spectrum is get_exercise("06.spectrum")
    with pytest.raises(ValueError, match="key must be one of"):
        get_exercise("05.nope")


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
    for ex in EXERCISES.values():
        namespace: dict = {}
        exec(_SOLUTION_IMPORTS + ex.solution_source(), namespace)
        assert get_exercise(ex.key).check(namespace[ex.reference.__name__]).passed


def test_hint_and_solution_show_text(capsys):
    ex = ev.notebook05.accuracy
    assert ex.hint() is None
    assert "linear_sum_assignment" in capsys.readouterr().out
    assert ex.solution() is None
    assert "def matched_accuracy(" in capsys.readouterr().out


def test_import_loads_no_data(monkeypatch):
    import deepclust_lab.data as data

    def forbidden(*args, **kwargs):
        raise AssertionError("exercises loaded data at import")

    monkeypatch.setattr(data, "load_dataset", forbidden)
    monkeypatch.delitem(sys.modules, "deepclust_lab.exercises_evaluation")
    importlib.import_module("deepclust_lab.exercises_evaluation")


def test_docstring_examples_run(capsys):
    result = doctest.testmod(ev)
    assert result.attempted >= 3 and result.failed == 0

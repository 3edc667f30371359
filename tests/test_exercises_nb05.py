"""Tests for deepclust_lab.exercises.nb05: plausible wrong answers (each must fail check(); the
contract is tested for every notebook in test_exercises.py), their messages, and the
references against the kit / scikit-learn."""

from __future__ import annotations

from itertools import pairwise, product

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, adjusted_rand_score

from deepclust_lab import selection
from deepclust_lab.exercises import get_exercise, nb05


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


def _gap_rule(ks, gap, gap_se, *, own_se=False, no_se=False):
    """The gap rule written out by hand, and two ways to get it wrong."""
    for i in range(len(ks) - 1):
        se = 0.0 if no_se else gap_se[i] if own_se else gap_se[i + 1]
        if gap[i] >= gap[i + 1] - se:
            return int(ks[i])
    return int(np.asarray(ks)[np.argmax(gap)])


def _gap_argmax(ks, gap, gap_se):
    return int(np.asarray(ks)[np.argmax(gap)])


def _gap_own_se(ks, gap, gap_se):
    return _gap_rule(ks, gap, gap_se, own_se=True)  # the standard error of this k, not the next


def _gap_no_se(ks, gap, gap_se):
    return _gap_rule(ks, gap, gap_se, no_se=True)


def _pairwise_with_self(labelings):
    return float(np.mean([adjusted_rand_score(a, b) for a, b in product(labelings, repeat=2)]))


def _pairwise_consecutive(labelings):
    return float(np.mean([adjusted_rand_score(a, b) for a, b in pairwise(labelings)]))


def _pairwise_accuracy(labelings):
    return float(np.mean([np.mean(a == b) for i, a in enumerate(labelings)
                          for b in labelings[i + 1:]]))


def _raises(*args):
    raise IndexError("index 7 is out of bounds")


WRONG = {
    "05.accuracy": [_accuracy_plain, _accuracy_purity, _accuracy_minimise, _raises],
    "05.gap_rule": [_gap_argmax, _gap_own_se, _gap_no_se, _raises],
    "05.pairwise_ari": [_pairwise_with_self, _pairwise_consecutive, _pairwise_accuracy],
}


def test_failure_messages_show_expected_and_given(capsys):
    result = get_exercise("05.accuracy").check(_accuracy_plain)
    assert "expected:" in result.message and "given:" in result.message
    result = get_exercise("05.gap_rule").check(_gap_own_se)
    assert "gap_se = " in result.message and "expected:" in result.message
    result = get_exercise("05.accuracy").check(_raises)
    assert "IndexError" in result.message


def test_accuracy_reference_agrees_with_the_kit():
    from deepclust_lab.metrics import cluster_accuracy

    rng = np.random.default_rng(0)
    for n_classes, n_clusters in [(3, 3), (4, 6), (5, 2)]:
        y_true = rng.integers(0, n_classes, 200)
        y_pred = rng.integers(0, n_clusters, 200) * 3 + 1  # arbitrary ids
        assert nb05.matched_accuracy(y_true, y_pred) == pytest.approx(
            cluster_accuracy(y_true, y_pred))


def test_gap_reference_is_the_kit_rule():
    reference = nb05.notebook05.gap_rule.reference
    assert reference.__module__ == selection.__name__  # one rule, one place
    assert reference is getattr(selection, reference.__name__)
    rng = np.random.default_rng(1)
    for _ in range(50):
        ks = np.arange(1, 8)
        gap, se = rng.normal(size=7).cumsum(), rng.uniform(0, 0.5, size=7)
        assert reference(ks, gap, se) == _gap_rule(ks, gap, se)


def test_pairwise_reference_agrees_with_stability():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 2))
    runs = {seed: np.random.default_rng(seed).integers(0, 3, 60) for seed in range(4)}
    result = selection.stability(lambda X, seed: runs[seed], X, seeds=range(4))
    assert nb05.mean_pairwise_ari(list(runs.values())) == pytest.approx(result.mean_ari)


def test_accessors():
    assert nb05.notebook05.accuracy is get_exercise("05.accuracy")
    assert nb05.notebook05.gap_rule is get_exercise("05.gap_rule")
    assert nb05.notebook05.pairwise_ari is get_exercise("05.pairwise_ari")

"""Tests for deepclust_lab.exercises.nb04: plausible wrong answers (each must fail check(); the
contract is tested for every notebook in test_exercises.py), their messages, and the
references against the kit's DEC layer."""

from __future__ import annotations

import numpy as np

from deepclust_lab.exercises import get_exercise, nb04


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
    return nb04.target_distribution(q).T


def _raises(*args):
    raise IndexError("index 7 is out of bounds")


WRONG = {
    "04.soft_assignment": [_soft_unnormalised, _soft_gaussian, _soft_not_squared,
                           _soft_exponent, _soft_columns, _raises],
    "04.target": [_target_no_frequency, _target_not_squared, _target_unnormalised,
                  _target_row_frequency, _target_transposed, _raises],
}


def test_failure_messages_show_expected_and_given(capsys):
    result = get_exercise("04.soft_assignment").check(_soft_unnormalised)
    assert "sum to 1" in result.message and "expected:" in result.message
    result = get_exercise("04.target").check(_target_transposed)
    assert "swapped" in result.message
    result = get_exercise("04.target").check(_target_no_frequency)
    assert "row" in result.message and "given:" in result.message


def test_nan_answer_is_reported(capsys):
    result = get_exercise("04.target").check(lambda q: np.full(q.shape, np.nan))
    assert result.status == "failed" and "NaN" in result.message


def test_soft_assignment_reference_agrees_with_the_kit():
    from keras import ops

    from deepclust_lab.dec import soft_assignment

    rng = np.random.default_rng(0)
    Z, centers = rng.normal(size=(50, 6)), rng.normal(size=(4, 6))
    for alpha in (1.0, 2.0, 0.5):
        kit = ops.convert_to_numpy(soft_assignment(Z, centers, alpha))
        np.testing.assert_allclose(nb04.soft_assignment(Z, centers, alpha), kit, rtol=1e-5,
                                   atol=1e-7)


def test_target_reference_agrees_with_the_kit():
    from keras import ops

    from deepclust_lab.dec import target_distribution

    q = np.random.default_rng(1).dirichlet(np.ones(5), size=40)
    kit = ops.convert_to_numpy(target_distribution(q))
    np.testing.assert_allclose(nb04.target_distribution(q), kit, rtol=1e-5, atol=1e-7)


def test_target_is_sharper_than_q():
    q = np.random.default_rng(2).dirichlet(np.ones(3), size=30)
    p = nb04.target_distribution(q)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert p.max(axis=1).mean() > q.max(axis=1).mean()


def test_accessors():
    assert nb04.notebook04.soft_assignment is get_exercise("04.soft_assignment")
    assert nb04.notebook04.target is get_exercise("04.target")

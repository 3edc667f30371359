"""Tests for deepclust_lab.exercises.nb06: plausible wrong answers (each must fail check(); the
contract is tested for every notebook in test_exercises.py), their messages, and the
references against scikit-learn / by hand."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.impute import SimpleImputer

from deepclust_lab.exercises import get_exercise, nb06


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
    return nb06.spectrum_features(windows, n_bins).T


def _raises(*args):
    raise IndexError("index 7 is out of bounds")


WRONG = {
    "06.impute": [_impute_zero, _impute_plain_mean, _impute_row_mean, _raises],
    "06.contrast": [_contrast_with_diagonal, _contrast_squared],
    "06.spectrum": [_spectrum_raw, _spectrum_with_dc, _spectrum_complex_real_part,
                    _spectrum_transposed],
}


def test_failure_messages_show_expected_and_given(capsys):
    result = get_exercise("06.impute").check(_impute_plain_mean)
    assert "NaN" in result.message
    result = get_exercise("06.spectrum").check(_spectrum_transposed)
    assert "swapped" in result.message


def test_impute_reference_agrees_with_scikit_learn_and_keeps_its_input():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 5))
    X[rng.random(X.shape) < 0.3] = np.nan
    before = X.copy()
    filled = nb06.mean_impute(X)
    np.testing.assert_allclose(filled, SimpleImputer(strategy="mean").fit_transform(X))
    np.testing.assert_array_equal(np.isnan(X), np.isnan(before))  # X unchanged


def test_spectrum_reference_ignores_shift_level_and_loudness():
    t = np.arange(64) / 64
    a = np.sin(2 * np.pi * 4 * t)
    shifted = 3.0 + 10.0 * np.roll(a, 5)  # a whole number of samples: exact circular shift
    features = nb06.spectrum_features(np.stack([a, shifted]), 8)
    assert features.shape == (2, 8)
    np.testing.assert_allclose(features[0], features[1], atol=1e-9)
    assert features[0].argmax() == 3  # bin 4, the 4 cycles per window


def test_contrast_reference_by_hand():
    assert nb06.distance_contrast(np.array([[0.0], [1.0], [3.0]])) == pytest.approx(3.0)


def test_accessors():
    assert nb06.notebook06.impute is get_exercise("06.impute")
    assert nb06.notebook06.contrast is get_exercise("06.contrast")
    assert nb06.notebook06.spectrum is get_exercise("06.spectrum")

"""Shared fixtures. Tests never download anything: they use scikit-learn's bundled data."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import matplotlib

# Agg for the tests in this process only; an MPLBACKEND variable would leak into the
# notebook kernels nbval starts and stop their inline figures from showing.
matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.datasets import load_digits, make_blobs


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="session")
def digits() -> tuple[np.ndarray, np.ndarray]:
    data = load_digits()
    return data.data / 16.0, data.target


@pytest.fixture(scope="session")
def blobs() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_blobs(n_samples=300, centers=4, cluster_std=0.6, random_state=0)
    return X, y

"""Tests for DeepClusterer(distribution="data_parallel"): Keras' DataParallel over all devices.

Two devices are simulated on the CPU with ``XLA_FLAGS=--xla_force_host_platform_device_count=2``.
JAX reads that flag once, when it starts, so the two-device runs happen in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from deepclust_lab.autoencoder import _AugmentedImages
from deepclust_lab.pipeline import DeepClusterer
from deepclust_lab.training import data_replicas

SMALL = {"preset": "fast", "hidden": (32,), "epochs": 3, "random_state": 0}

TWO_DEVICES = textwrap.dedent(
    """
    import json
    import jax
    import keras
    import numpy as np
    from sklearn.datasets import load_digits
    from deepclust_lab.pipeline import DeepClusterer

    X = load_digits().data[:300] / 16.0
    small = {"preset": "fast", "hidden": (32,), "epochs": 3, "random_state": 0}
    one = DeepClusterer(10, method="ae-kmeans", **small).fit(X)
    two = DeepClusterer(10, method="ae-kmeans", distribution="data_parallel", **small).fit(X)
    weight = two.autoencoder_.trainable_weights[0].value
    # 301 samples: the last batch (45) and the predictions do not split evenly over 2 devices
    dec = DeepClusterer(
        10, method="idec", distribution="data_parallel", max_iter=20, update_interval=10,
        batch_size=101, **small,
    ).fit(load_digits().data[:301] / 16.0)
    print(json.dumps({
        "device_count": jax.device_count(),
        "keras_devices": len(keras.distribution.list_devices()),
        "weight_devices": len(weight.sharding.device_set),
        "distribution_after_fit": keras.distribution.distribution() is not None,
        "one": one.labels_.tolist(), "two": two.labels_.tolist(),
        "loss_one": one.history_["loss"], "loss_two": two.history_["loss"],
        "predict_two": two.predict(X[:51]).tolist(),
        "dec_labels": len(dec.labels_), "dec_predict": len(dec.predict(X[:7])),
        "dec_updates": len(dec.history_["delta_label"]),
    }))
    """
)


@pytest.fixture(scope="module")
def two_devices() -> dict:
    env = {
        **os.environ,
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        "JAX_PLATFORMS": "cpu",  # the simulated devices are CPU ones, even on a GPU machine
        "KERAS_BACKEND": "jax",
        "PYTHONWARNINGS": "ignore",
    }
    done = subprocess.run(
        [sys.executable, "-c", TWO_DEVICES], env=env, capture_output=True, text=True, timeout=500
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_simulated_devices_are_used(two_devices):
    assert two_devices["device_count"] == 2
    assert two_devices["keras_devices"] == 2
    assert two_devices["weight_devices"] == 2  # the weights are replicated on both devices
    assert not two_devices["distribution_after_fit"]  # the scope does not leak out of fit


def test_data_parallel_gives_the_same_labels_as_one_device(two_devices):
    one, two = np.array(two_devices["one"]), np.array(two_devices["two"])
    assert adjusted_rand_score(one, two) >= 0.95
    # same batches, only the order of the sums differs: the losses agree closely
    np.testing.assert_allclose(two_devices["loss_two"], two_devices["loss_one"], rtol=1e-3)
    assert len(two_devices["predict_two"]) == 51


def test_data_parallel_dec_handles_batches_that_do_not_split_evenly(two_devices):
    assert two_devices["dec_labels"] == 301
    assert two_devices["dec_predict"] == 7
    assert two_devices["dec_updates"] >= 1


def test_on_one_device_data_parallel_is_the_same_as_none(digits):
    if len(keras.distribution.list_devices()) != 1:
        pytest.skip("this process sees several devices")
    X = digits[0][:200]
    ref = DeepClusterer(10, method="ae-kmeans", **SMALL).fit(X)
    par = DeepClusterer(10, method="ae-kmeans", distribution="data_parallel", **SMALL).fit(X)
    np.testing.assert_array_equal(par.labels_, ref.labels_)
    assert par.history_["loss"] == ref.history_["loss"]


@pytest.mark.parametrize("bad, error", [("mirrored", ValueError), (True, TypeError)])
def test_bad_distribution_names_the_parameter(digits, bad, error):
    with pytest.raises(error, match="distribution"):
        DeepClusterer(10, method="ae-kmeans", distribution=bad).fit(digits[0][:50])


def test_batches_for_several_devices_split_evenly():
    X = np.arange(45, dtype="float32").reshape(45, 1)
    data = _AugmentedImages(X, 16, None, seed=0, multiple=4)
    sizes = [len(data[i][0]) for i in range(len(data))]
    assert sizes == [16, 16, 12]  # the last 13 rows are cut to 12
    seen = np.concatenate([data[i][0].ravel() for i in range(len(data))])
    assert len(np.unique(seen)) == 44  # no row twice
    assert data_replicas() == 1  # no distribution set in this process

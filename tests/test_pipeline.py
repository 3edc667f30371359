"""Tests for deepclust_lab.pipeline.DeepClusterer."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score

from deepclust_lab.autoencoder import EpochCallback, StopTraining
from deepclust_lab.pipeline import (
    DEFAULT_METHOD,
    METHODS,
    DeepClusterer,
    _merge_by_modularity,
    _modularity,
)

FAST = {"preset": "fast", "hidden": (32,), "epochs": 3, "maxiter": 20, "update_interval": 10}


@pytest.fixture(scope="module")
def small(digits):
    X, y = digits
    return X[:300], y[:300]


def test_default_method_is_the_best_recipe():
    assert DeepClusterer().method == DEFAULT_METHOD == "manifold"
    assert set(METHODS) == {"kmeans", "ae-kmeans", "dec", "idec", "n2d", "manifold"}


def test_kmeans_method_matches_scikit_learn(blobs):
    X, y = blobs
    labels = DeepClusterer(4, method="kmeans", random_state=0).fit_predict(X)
    ref = KMeans(4, n_init=10, random_state=0).fit_predict(X)
    assert adjusted_rand_score(ref, labels) == pytest.approx(1.0)
    assert adjusted_rand_score(y, labels) == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["ae-kmeans", "dec", "idec"])
def test_same_seed_same_labels_and_save_load_round_trip(small, tmp_path, method):
    X, _ = small
    model = DeepClusterer(10, method=method, random_state=1, **FAST).fit(X)
    again = DeepClusterer(10, method=method, random_state=1, **FAST).fit(X)
    np.testing.assert_array_equal(model.labels_, again.labels_)
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    assert model.embedding_.shape == (300, 10)
    np.testing.assert_allclose(model.transform(X), model.embedding_, rtol=1e-5, atol=1e-6)
    assert len(model.history_["loss"]) == 3

    model.save(tmp_path / "m")
    loaded = DeepClusterer.load(tmp_path / "m")
    new = X[::7] + 0.05
    np.testing.assert_array_equal(loaded.predict(X), model.labels_)
    np.testing.assert_array_equal(loaded.predict(new), model.predict(new))
    np.testing.assert_array_equal(loaded.labels_, model.labels_)
    assert loaded.get_params() == {**model.get_params(), "callbacks": None}
    assert not any(p.suffix in {".pkl", ".pickle"} for p in (tmp_path / "m").iterdir())


def test_callbacks_are_forwarded_and_stop_works(small):
    X, _ = small
    epochs = []
    stop = StopTraining()
    model = DeepClusterer(
        10, method="ae-kmeans", callbacks=[EpochCallback(lambda e, logs: epochs.append(e))], **FAST
    ).fit(X)
    assert epochs == [0, 1, 2]
    stop.request_stop()
    model = DeepClusterer(10, method="ae-kmeans", callbacks=[stop], **{**FAST, "epochs": 50}).fit(X)
    assert len(model.history_["loss"]) == 1 and model.labels_.shape == (300,)


@pytest.mark.slow
def test_manifold_default_recipe_on_digits_subset(digits, tmp_path):
    X, y = digits
    X, y = X[:600], y[:600]
    runs = []
    model = DeepClusterer(
        10, preset="fast", random_state=0, callbacks=[EpochCallback(lambda e, logs: runs.append(logs))]
    ).fit(X)
    assert adjusted_rand_score(y, model.labels_) > 0.7
    assert len(runs) == 1 and runs[0]["modularity"] == pytest.approx(max(model.history_["modularity"]))
    again = DeepClusterer(10, preset="fast", random_state=0).fit(X)
    np.testing.assert_array_equal(model.labels_, again.labels_)
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    np.testing.assert_allclose(model.transform(X), model.embedding_)
    model.save(tmp_path / "m")
    loaded = DeepClusterer.load(tmp_path / "m")
    new = np.clip(X[:40] + 0.05, 0, 1)
    np.testing.assert_array_equal(loaded.predict(X), model.labels_)
    np.testing.assert_array_equal(loaded.predict(new), model.predict(new))
    np.testing.assert_allclose(loaded.transform(new), model.transform(new))


@pytest.mark.slow
def test_n2d_round_trip(small, tmp_path):
    X, _ = small
    model = DeepClusterer(10, method="n2d", random_state=0, **FAST).fit(X)
    assert model.manifold_.shape == (300, 10)
    model.save(tmp_path / "m")
    loaded = DeepClusterer.load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(X), model.labels_)
    np.testing.assert_array_equal(loaded.predict(X[:30] + 0.05), model.predict(X[:30] + 0.05))


def test_merge_by_modularity_recovers_components():
    import scipy.sparse as sp

    # three cliques of 5 nodes, over-segmented into 6 parts: merging must give the cliques back
    blocks = sp.block_diag([np.ones((5, 5)) - np.eye(5)] * 3).tocsr()
    over = np.repeat(np.arange(6), [2, 3, 3, 2, 4, 1])
    merged = _merge_by_modularity(blocks, over, 3)
    assert adjusted_rand_score(np.repeat([0, 1, 2], 5), merged) == pytest.approx(1.0)
    assert _modularity(blocks, merged) == pytest.approx(2 / 3, abs=1e-6)


@pytest.mark.parametrize(
    "X, kwargs, error, match",
    [
        (np.full((20, 3), np.nan), {}, ValueError, "NaN"),
        (np.ones(20), {}, ValueError, "2-D"),
        ("data.csv", {}, TypeError, "X"),
        (np.ones((20, 3)), {"n_clusters": 0}, ValueError, "n_clusters"),
        (np.ones((20, 3)), {"n_clusters": 21}, ValueError, "n_clusters"),
        (np.ones((20, 3)), {"n_clusters": 2.5}, TypeError, "n_clusters"),
        (np.ones((20, 3)), {"method": "dbscan"}, ValueError, "method"),
        (np.ones((20, 3)), {"preset": "huge"}, ValueError, "preset"),
        (np.ones((20, 3)), {"method": "ae-kmeans", "epochs": 0}, ValueError, "epochs"),
        (np.ones((20, 3)), {"method": "ae-kmeans", "kind": "conv"}, ValueError, "image_shape"),
        (np.ones((20, 3)), {"random_state": -1}, ValueError, "random_state"),
        (np.ones((20, 3)), {"hidden": 5}, TypeError, "hidden"),
    ],
)
def test_bad_inputs_raise_clear_errors(X, kwargs, error, match):
    with pytest.raises(error, match=match):
        DeepClusterer(**{"n_clusters": 2, **kwargs}).fit(X)


def test_predict_checks(blobs, tmp_path):
    X, _ = blobs
    with pytest.raises(NotFittedError):
        DeepClusterer(4, method="kmeans").predict(X)
    model = DeepClusterer(4, method="kmeans").fit(X)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :1])
    assert clone(model).get_params() == model.get_params()


def test_load_rejects_foreign_directories(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"config\.json"):
        DeepClusterer.load(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ValueError, match="not written by DeepClusterer"):
        DeepClusterer.load(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match="JSON"):
        DeepClusterer.load(tmp_path)

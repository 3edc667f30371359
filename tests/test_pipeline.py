"""Tests for deepclust_lab.pipeline.DeepClusterer."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.validation import check_is_fitted

from deepclust_lab.autoencoder import EpochCallback, StopTraining
from deepclust_lab.manifold import merge_by_modularity, modularity
from deepclust_lab.pipeline import DEFAULT_METHOD, METHODS, PRESETS, DeepClusterer

FAST = {"preset": "fast", "hidden": (32,), "epochs": 3, "max_iter": 20, "update_interval": 10}


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
    # one neighbour graph per front-end (raw pixels and autoencoder codes)
    assert [r["graphs"] for r in runs if "graphs" in r] == [1, 2]
    assert sum("loss" in r for r in runs) == PRESETS["fast"].embed_epochs  # autoencoder epochs
    assert model.recipe_["front_end"] == "raw"  # digits: the raw pixels' clusters reproduce best
    assert set(model.recipe_["stability"]) == {"raw", "autoencoder"}
    assert model.recipe_["stability"]["raw"] >= model.recipe_["stability"]["autoencoder"]
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
    merged = merge_by_modularity(blocks, over, 3)
    assert adjusted_rand_score(np.repeat([0, 1, 2], 5), merged) == pytest.approx(1.0)
    assert modularity(blocks, merged) == pytest.approx(2 / 3, abs=1e-6)


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
        (np.ones((20, 3)), {"embed": "pca"}, ValueError, "embed"),
        (np.ones((20, 3)), {"distribution": "mirrored"}, ValueError, "distribution"),
        (np.ones((20, 3)), {"distribution": 2}, TypeError, "distribution"),
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
    with pytest.raises(FileNotFoundError, match=r"manifest\.json"):
        DeepClusterer.load(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ValueError, match="not written by DeepClusterer"):
        DeepClusterer.load(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ValueError, match="JSON"):
        DeepClusterer.load(tmp_path)


class _CtrlC(keras.callbacks.Callback):
    """Simulates Ctrl-C: raises KeyboardInterrupt at the first epoch end whose logs have ``key``."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key, self.raised = key, False

    def on_epoch_end(self, epoch, logs=None):
        if self.key in (logs or {}):
            self.raised = True
            raise KeyboardInterrupt


@pytest.mark.parametrize(
    "method, key",
    [
        ("ae-kmeans", "loss"),  # during autoencoder training
        ("dec", "delta_label"),  # during DEC refinement, after the autoencoder was trained
        pytest.param("manifold", "graphs", marks=pytest.mark.slow),  # after the first graph
    ],
)
def test_ctrl_c_leaves_the_estimator_unfitted(small, method, key):
    X, _ = small
    model = DeepClusterer(10, method="kmeans", random_state=0, **FAST).fit(X)
    check_is_fitted(model)  # a previous, complete fit ...
    ctrl_c = _CtrlC(key)
    model.set_params(method=method, callbacks=[ctrl_c])
    with pytest.raises(KeyboardInterrupt, match=r"interrupted.*left unfitted"):
        model.fit(X)
    assert ctrl_c.raised
    # ... is gone too: nothing half-fitted or stale is left
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    with pytest.raises(NotFittedError):
        model.predict(X)
    assert not [name for name in vars(model) if name.endswith("_") or name in ("_space", "_nn")]
    # the same object fits normally afterwards
    model.set_params(method="kmeans", callbacks=None)
    np.testing.assert_array_equal(
        model.fit(X).labels_, DeepClusterer(10, method="kmeans", **FAST).fit(X).labels_
    )


def test_a_failed_fit_also_leaves_the_estimator_unfitted(small):
    X, _ = small

    def boom(epoch, logs):
        raise RuntimeError("disk full")

    model = DeepClusterer(10, method="kmeans", **FAST).fit(X)
    model.set_params(method="ae-kmeans", callbacks=[EpochCallback(boom)])
    with pytest.raises(RuntimeError, match="disk full"):
        model.fit(X)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


def test_invalid_parameters_keep_a_previous_fit(small):
    X, _ = small
    model = DeepClusterer(10, method="kmeans", **FAST).fit(X)
    labels = model.labels_.copy()
    model.set_params(embed="pca")
    with pytest.raises(ValueError, match="embed"):
        model.fit(X)  # rejected at the door, before anything was touched
    np.testing.assert_array_equal(model.labels_, labels)


@pytest.mark.parametrize(
    "method, extra",
    [
        ("kmeans", {}),
        ("ae-kmeans", {}),
        ("dec", {}),
        ("idec", {}),
        pytest.param("n2d", {}, marks=pytest.mark.slow),
        pytest.param("manifold", {}, marks=pytest.mark.slow),
        pytest.param("manifold", {"embed": "autoencoder"}, marks=pytest.mark.slow),
    ],
)
def test_same_seed_same_labels_three_runs_in_a_row(digits, method, extra):
    X = digits[0][300:500]
    runs = [
        DeepClusterer(10, method=method, random_state=7, **FAST, **extra).fit(X).labels_
        for _ in range(3)
    ]
    for labels in runs[1:]:
        np.testing.assert_array_equal(labels, runs[0])
    assert len(np.unique(runs[0])) >= 5  # a real clustering, not one constant label


def _upsampled(digits, n):
    """Digits blown up from 8x8 to 24x24 pixels: 576 features, images wide enough to augment."""
    X, y = digits
    images = X[:n].reshape(n, 8, 8)
    return np.kron(images, np.ones((3, 3))).reshape(n, 576).astype("float32"), y[:n]


def test_images_are_recognised_without_labels(digits):
    X = digits[0].astype("float32")
    s, why = DeepClusterer(10, **FAST)._settings(X)
    assert s.image_shape == (8, 8) and not s.augment  # 8 px: one pixel is too big a move
    assert "8x8 images" in why and s.embed == "auto" and s.epochs == FAST["epochs"]
    big, _ = _upsampled(digits, 300)
    s, _ = DeepClusterer(10, **FAST)._settings(big)
    assert s.image_shape == (24, 24) and s.augment
    assert not DeepClusterer(10, augment=False, **FAST)._settings(big)[0].augment
    # a table with 64 columns is not an image, though 64 is a square
    table = np.random.default_rng(0).normal(size=(300, 64)).astype("float32")
    s, why = DeepClusterer(10, **FAST)._settings(table)
    assert s.image_shape is None and not s.augment and "do not correlate" in why
    assert DeepClusterer(10, preset="full")._settings(big)[0].epochs == PRESETS["full"].embed_epochs
    assert DeepClusterer(10, method="kmeans")._settings(big)[0].embed == "raw"


def test_image_shape_and_augment_errors_name_both_numbers(digits):
    X = digits[0].astype("float32")
    with pytest.raises(ValueError, match=r"image_shape \(7, 7\) has 49 pixels, but X has 64"):
        DeepClusterer(10, image_shape=(7, 7)).fit(X)
    odd = np.random.default_rng(0).random((50, 50)).astype("float32")
    with pytest.raises(ValueError, match="50 features is not a square"):
        DeepClusterer(5, augment=True).fit(odd)
    with pytest.raises(ValueError, match="augment must be"):
        DeepClusterer(5, augment="yes").fit(odd)
    s, why = DeepClusterer(5, image_shape=(5, 10), augment=True)._settings(odd)
    assert s.image_shape == (5, 10) and s.augment and "given" in why


@pytest.mark.slow
def test_manifold_on_large_images_fuses_pixels_and_codes(digits, tmp_path):
    X, y = _upsampled(digits, 400)
    model = DeepClusterer(10, random_state=0, **FAST).fit(X)
    assert model.autoencoder_ is not None and model.encoder_.output_shape == (None, 10)
    assert len(model.history_["loss"]) == FAST["epochs"]
    recipe = model.recipe_
    assert recipe["front_end"] == "raw ∩ autoencoder" and recipe["augment"]
    assert list(recipe["stability"]) == ["raw ∩ autoencoder"]
    assert recipe["image_shape"] == [24, 24] and "augmentation on" in recipe["summary"]
    assert "8 moved copies" in recipe["summary"]
    assert adjusted_rand_score(y, model.labels_) > 0.6
    # the embedding is exactly the trained encoder's codes
    codes = model.encoder_.predict(X, batch_size=1024, verbose=0)
    np.testing.assert_allclose(model.embedding_, codes, rtol=1e-5, atol=1e-6)
    assert model.manifold_.shape == (400, 10)
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    np.testing.assert_allclose(model.transform(X), model.embedding_, rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "m")
    loaded = DeepClusterer.load(tmp_path / "m")
    assert loaded.recipe_ == model.recipe_
    new = X[:50] + 0.05
    np.testing.assert_array_equal(loaded.predict(X), model.labels_)
    np.testing.assert_array_equal(loaded.predict(new), model.predict(new))
    np.testing.assert_allclose(loaded.transform(new), model.transform(new), rtol=1e-5, atol=1e-6)


def test_plain_kmeans_never_imports_keras():
    import subprocess
    import sys

    code = ("import sys; from sklearn.datasets import load_digits; "
            "from deepclust_lab.pipeline import DeepClusterer; "
            "DeepClusterer(10, method='kmeans').fit(load_digits().data[:300]); "
            "print('keras' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"

"""Tests for deepclust_lab.saving: no pickle, no mixed old/new files, plain errors on damage."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from deepclust_lab.pipeline import DeepClusterer

FAST = {"preset": "fast", "hidden": (16,), "epochs": 2}


@pytest.fixture(scope="module")
def fitted(digits):
    X = digits[0][:200]
    return X, DeepClusterer(5, method="ae-kmeans", random_state=0, **FAST).fit(X)


def test_saving_over_a_model_replaces_it_whole(fitted, tmp_path, monkeypatch):
    X, model = fitted
    other = DeepClusterer(3, method="kmeans").fit(X)
    target = tmp_path / "m"
    other.save(target)
    import deepclust_lab.saving as saving

    def crash(*args, **kwargs):
        raise OSError("disk full")

    # interrupted while writing the new network: the old model must still load, unchanged
    monkeypatch.setattr(type(model.autoencoder_), "save", crash)
    with pytest.raises(OSError, match="disk full"):
        model.save(target)
    monkeypatch.undo()
    back = DeepClusterer.load(target)
    np.testing.assert_array_equal(back.labels_, other.labels_)
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # no temporary folder left behind
    model.save(target)
    np.testing.assert_array_equal(DeepClusterer.load(target).predict(X), model.labels_)
    assert saving.VERSION == json.loads((target / "config.json").read_text())["version"]


def test_save_refuses_files_links_and_foreign_folders(fitted, tmp_path):
    _, model = fitted
    (tmp_path / "file").write_text("mine")
    with pytest.raises(ValueError, match="is a file"):
        model.save(tmp_path / "file")
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_text("meow")
    with pytest.raises(ValueError, match="holds no saved model"):
        model.save(tmp_path / "photos")
    assert (tmp_path / "photos" / "cat.jpg").read_text() == "meow"
    os.symlink(tmp_path / "photos", tmp_path / "link")
    with pytest.raises(ValueError, match="symbolic link"):
        model.save(tmp_path / "link")


def test_load_refuses_edited_or_damaged_folders(fitted, tmp_path):
    _, model = fitted
    model.save(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    (tmp_path / "m" / "config.json").write_text(json.dumps({**config, "method": "magic"}))
    with pytest.raises(ValueError, match="unknown method 'magic'"):
        DeepClusterer.load(tmp_path / "m")
    (tmp_path / "m" / "config.json").write_text(json.dumps({**config, "n_features_in": 10}))
    with pytest.raises(ValueError, match="expects 64 features"):
        DeepClusterer.load(tmp_path / "m")
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    (tmp_path / "m" / "autoencoder.keras").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="damaged or incomplete"):
        DeepClusterer.load(tmp_path / "m")
    with pytest.raises(FileNotFoundError, match="not a folder"):
        DeepClusterer.load(tmp_path / "m" / "config.json")
    del config["recipe"]
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="lacks"):
        DeepClusterer.load(tmp_path / "m")

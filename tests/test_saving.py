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


def _rewrite(folder, name, content):
    """Replace one file of a saved model and stamp its new checksum into the manifest, as a
    deliberate edit would: the checks behind the checksums must catch it on their own."""
    from deepclust_lab.saving import _sha256

    file = folder / name
    file.write_bytes(content if isinstance(content, bytes) else content.encode())
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["sha256"][name] = _sha256(file)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_load_refuses_edited_or_damaged_folders(fitted, tmp_path):
    _, model = fitted
    m = tmp_path / "m"
    model.save(m)
    config = json.loads((m / "config.json").read_text())
    (m / "config.json").write_text(json.dumps({**config, "method": "kmeans"}))
    with pytest.raises(ValueError, match=r"config\.json does not match its checksum"):
        DeepClusterer.load(m)
    _rewrite(m, "config.json", json.dumps({**config, "method": "magic"}))
    with pytest.raises(ValueError, match="unknown method 'magic'"):
        DeepClusterer.load(m)
    _rewrite(m, "config.json", json.dumps({**config, "n_features_in": 10}))
    with pytest.raises(ValueError, match="expects 64 features"):
        DeepClusterer.load(m)
    _rewrite(m, "config.json", json.dumps({**config, "n_features_in": "64"}))
    with pytest.raises(ValueError, match=r"config\.json: 'n_features_in' must be int, got '64'"):
        DeepClusterer.load(m)
    _rewrite(m, "config.json", json.dumps({**config, "has_autoencoder": 1}))
    with pytest.raises(ValueError, match="'has_autoencoder' must be bool"):
        DeepClusterer.load(m)
    _rewrite(m, "config.json", json.dumps({k: v for k, v in config.items() if k != "recipe"}))
    with pytest.raises(ValueError, match="lacks the key 'recipe'"):
        DeepClusterer.load(m)
    _rewrite(m, "config.json", json.dumps(config))
    _rewrite(m, "autoencoder.keras", b"not a zip file")
    with pytest.raises(ValueError, match="damaged or incomplete"):
        DeepClusterer.load(m)
    with pytest.raises(FileNotFoundError, match="not a folder"):
        DeepClusterer.load(m / "config.json")
    (m / "manifest.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"no manifest\.json"):
        DeepClusterer.load(m)


def test_a_swapped_network_of_the_same_shape_is_caught(fitted, tmp_path):
    X, model = fitted
    twin = DeepClusterer(5, method="ae-kmeans", random_state=1, **FAST).fit(X)
    model.save(tmp_path / "a")
    twin.save(tmp_path / "b")
    os.replace(tmp_path / "b" / "autoencoder.keras", tmp_path / "a" / "autoencoder.keras")
    with pytest.raises(ValueError, match=r"autoencoder\.keras does not match its checksum"):
        DeepClusterer.load(tmp_path / "a")
    with open(tmp_path / "b" / "arrays.npz", "r+b") as f:
        f.truncate(100)
    with pytest.raises(ValueError, match=r"arrays\.npz does not match its checksum"):
        DeepClusterer.load(tmp_path / "b")


STEPS = ["np.savez", "keras save", "config write", "manifest write", "move old away",
         "move new in"]


@pytest.mark.parametrize("step", STEPS)
def test_an_interrupted_save_never_leaves_a_mixed_model(fitted, tmp_path, monkeypatch, step):
    """Interrupt save() at each of its steps: load() then gives the previous model whole, or
    (between the two renames) a clear error that names where the previous model is."""
    import pathlib

    import deepclust_lab.saving as saving

    X, model = fitted
    old = DeepClusterer(3, method="kmeans").fit(X)
    target = tmp_path / "m"
    old.save(target)
    calls = {"replace": 0}
    real_replace, real_write_text = os.replace, pathlib.Path.write_text

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt(step)

    def replace(src, dst):
        calls["replace"] += 1
        if (step, calls["replace"]) in (("move old away", 1), ("move new in", 2)):
            interrupt()
        return real_replace(src, dst)

    def write_text(self, *args, **kwargs):
        if self.name == {"config write": "config.json", "manifest write": "manifest.json"}.get(step):
            interrupt()
        return real_write_text(self, *args, **kwargs)

    monkeypatch.setattr(saving.os, "replace", replace)
    monkeypatch.setattr(pathlib.Path, "write_text", write_text)
    if step == "np.savez":
        monkeypatch.setattr(saving.np, "savez", interrupt)
    if step == "keras save":
        monkeypatch.setattr(type(model.autoencoder_), "save", interrupt)
    with pytest.raises(KeyboardInterrupt):
        model.save(target)
    monkeypatch.undo()
    if step == "move new in":
        with pytest.raises(FileNotFoundError, match="interrupted save left the previous model"):
            DeepClusterer.load(target)
        return
    back = DeepClusterer.load(target)
    assert back.method == "kmeans"
    np.testing.assert_array_equal(back.labels_, old.labels_)


def test_a_saved_model_gets_the_mode_the_umask_gives(fitted, tmp_path):
    _, model = fitted
    previous = os.umask(0o022)
    try:
        model.save(tmp_path / "m")
    finally:
        os.umask(previous)
    assert (tmp_path / "m").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "m" / "manifest.json").stat().st_mode & 0o777 == 0o644


def test_the_input_scale_travels_with_the_model(tmp_path):
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(120, 4, centers=3, random_state=0)
    model = DeepClusterer(3, method="kmeans", random_state=0).fit(X * 1e-6)
    assert model.input_scale_ == 2.0**-16  # max |X| is about 12e-6
    back = DeepClusterer.load(model.save(tmp_path / "m"))
    assert back.input_scale_ == model.input_scale_
    np.testing.assert_array_equal(back.predict(X * 1e-6), model.labels_)

"""Tests for deepclust_lab.data. Nothing here touches the network: the Keras datasets are
read from tiny fixture files written into a temporary Keras cache, and the "offline" tests
block every socket so a download attempt fails at once, the way it does without a network.
"""

from __future__ import annotations

import gzip
import socket
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits
from sklearn.impute import KNNImputer
from sklearn.preprocessing import StandardScaler

from deepclust_lab import _downloads
from deepclust_lab.data import (
    DATASETS,
    Dataset,
    impute_missing,
    load_dataset,
    local_dataset_folder,
    read_idx,
    scale_features,
)

TOY = ("blobs", "moons", "circles", "anisotropic", "varied_density")
TOY_CLASSES = {"blobs": 4, "moons": 2, "circles": 2, "anisotropic": 3, "varied_density": 3}


# ---- toy sets and digits -----------------------------------------------------------
@pytest.mark.parametrize("name", TOY)
def test_toy_sets(name):
    data = load_dataset(name)
    assert isinstance(data, Dataset)
    assert data.name == name and data.image_shape is None
    assert data.X.shape == (500, 2) and data.X.dtype == np.float64
    counts = np.bincount(data.y)
    assert len(counts) == TOY_CLASSES[name] and counts.min() >= 500 // len(counts) - 1
    small = load_dataset(name, n_samples=120, random_state=3)
    assert small.X.shape == (120, 2) and small.y.shape == (120,)
    again = load_dataset(name, n_samples=120, random_state=3)
    np.testing.assert_array_equal(small.X, again.X)
    other = load_dataset(name, n_samples=120, random_state=4)
    assert not np.array_equal(small.X, other.X)


def test_datasets_tuple():
    assert set(TOY) | {"digits", "mnist", "fashion_mnist", "fashion_mnist_small", "mnist_test"} == set(DATASETS)


def test_digits_matches_sklearn():
    data = load_dataset("digits")
    reference = load_digits()
    assert data.X.shape == (1797, 64) and data.image_shape == (8, 8)
    assert data.X.min() == 0.0 and data.X.max() == 1.0
    np.testing.assert_allclose(data.X, reference.data / 16.0)
    np.testing.assert_array_equal(data.y, reference.target)
    assert load_dataset("digits", scale=False).X.max() == 16.0
    standard = load_dataset("DIGITS", scale="standard").X  # names ignore case
    np.testing.assert_allclose(standard, StandardScaler().fit_transform(reference.data), atol=1e-9)


def test_subsample_is_stratified_reproducible_and_ordered():
    full = load_dataset("digits")
    sub = load_dataset("digits", n_samples=200, random_state=1)
    assert sub.X.shape == (200, 64)
    counts = np.bincount(sub.y)  # digits has 174-183 of each class: 20 ± 1 each
    assert counts.sum() == 200 and counts.min() >= 19 and counts.max() <= 21
    np.testing.assert_array_equal(sub.X, load_dataset("digits", n_samples=200, random_state=1).X)
    # a subset of the rows, in their original order
    positions = [np.flatnonzero((full.X == row).all(axis=1))[0] for row in sub.X[:20]]
    assert positions == sorted(positions)
    with pytest.raises(ValueError, match="larger than the dataset"):
        load_dataset("digits", n_samples=5000)


def test_bad_names_and_arguments():
    with pytest.raises(ValueError, match=r"Unknown dataset 'mnistt'.*'digits'"):
        load_dataset("mnistt")
    with pytest.raises(ValueError, match="not supported"):
        load_dataset("data.xlsx")
    with pytest.raises(ValueError, match=r"'\.txt' is not supported"):
        load_dataset(Path("notes.txt"))
    with pytest.raises(TypeError, match="dataset name or a file path"):
        load_dataset(42)
    with pytest.raises(ValueError, match="scale"):
        load_dataset("blobs", scale="log")
    with pytest.raises(ValueError, match="n_samples"):
        load_dataset("blobs", n_samples=0)
    with pytest.raises(ValueError, match="CSV files only"):
        load_dataset("digits", label_column="target")


# ---- CSV ---------------------------------------------------------------------------
def test_csv_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"])
    frame["species"] = rng.choice(["x", "y", "z"], 30)
    path = tmp_path / "flowers.csv"
    frame.to_csv(path, index=False)
    data = load_dataset(path, label_column="species")
    assert data.name == "flowers" and data.image_shape is None
    np.testing.assert_allclose(data.X, frame[["a", "b", "c"]].to_numpy())  # floats: unscaled
    np.testing.assert_array_equal(data.y, frame["species"].to_numpy())
    standard = load_dataset(str(path), label_column="species", scale="standard").X
    np.testing.assert_allclose(standard.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(standard.std(axis=0), 1)


def test_csv_pixels_are_scaled_and_nan_is_kept(tmp_path):
    path = tmp_path / "pixels.csv"
    pd.DataFrame({"label": [0, 1, 1], "p0": [0, 255, 51], "p1": [10, 20, 30]}).to_csv(
        path, index=False
    )
    data = load_dataset(path, label_column="label")
    np.testing.assert_allclose(data.X, np.array([[0, 10], [255, 20], [51, 30]]) / 255)
    np.testing.assert_array_equal(data.y, [0, 1, 1])
    np.testing.assert_allclose(
        load_dataset(path, label_column="label", scale=False).X[1], [255, 20]
    )

    gaps = tmp_path / "gaps.csv"
    gaps.write_text("a,b\n1.5,2\n,3\n4.5,\n")
    X = load_dataset(gaps).X
    assert X.shape == (3, 2) and np.isnan(X).sum() == 2 and X[0, 0] == 1.5


def test_csv_errors(tmp_path):
    text = tmp_path / "text.csv"
    text.write_text("height,colour,label\n1.0,red,0\n2.0,blue,1\n")
    with pytest.raises(TypeError, match=r"Column 'colour'.*not numeric"):
        load_dataset(text, label_column="label")
    with pytest.raises(TypeError, match="'colour'"):
        load_dataset(text)
    with pytest.raises(ValueError, match="label_column='kind' is not a column"):
        load_dataset(text, label_column="kind")

    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty"):
        load_dataset(empty)
    header = tmp_path / "header.csv"
    header.write_text("a,b,c\n")
    with pytest.raises(ValueError, match="no data rows"):
        load_dataset(header)
    missing_label = tmp_path / "missing_label.csv"
    missing_label.write_text("a,label\n1,x\n2,\n")
    with pytest.raises(ValueError, match="missing value"):
        load_dataset(missing_label, label_column="label")


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nowhere" / "data.csv"
    with pytest.raises(FileNotFoundError, match=r"data\.csv"):
        load_dataset(path)
    with pytest.raises(FileNotFoundError, match=r"nowhere"):
        load_dataset(str(path))


# ---- NPY / NPZ ---------------------------------------------------------------------
def test_npy_round_trip(tmp_path):
    X = np.random.default_rng(0).normal(size=(20, 4))
    np.save(tmp_path / "features.npy", X)
    data = load_dataset(tmp_path / "features.npy")
    np.testing.assert_array_equal(data.X, X)
    assert data.y is None and data.name == "features" and data.image_shape is None


def test_npy_images_are_flattened_and_scaled(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, size=(12, 5, 7), dtype=np.uint8)
    images[0, 0, 0] = 255
    np.save(tmp_path / "faces.npy", images)
    data = load_dataset(tmp_path / "faces.npy")
    assert data.X.shape == (12, 35) and data.image_shape == (5, 7)
    assert data.X.dtype == np.float32 and data.X.max() == 1.0
    np.testing.assert_allclose(data.X, images.reshape(12, -1) / 255.0, rtol=1e-6)


def test_npz_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(40, 3)), rng.integers(0, 3, 40)
    np.savez(tmp_path / "upper.npz", X=X, y=y)
    np.savez(tmp_path / "lower.npz", x=X)
    data = load_dataset(tmp_path / "upper.npz", n_samples=30, random_state=0)
    assert data.X.shape == (30, 3)
    full = load_dataset(tmp_path / "upper.npz")
    np.testing.assert_array_equal(full.X, X)
    np.testing.assert_array_equal(full.y, y)
    assert load_dataset(tmp_path / "lower.npz").y is None


def test_numpy_file_errors(tmp_path):
    np.savez(tmp_path / "nokey.npz", features=np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"no array named 'X'.*features"):
        load_dataset(tmp_path / "nokey.npz")
    np.savez(tmp_path / "short_y.npz", X=np.zeros((3, 2)), y=[0, 1])
    with pytest.raises(ValueError, match="2 entries but there are 3 samples"):
        load_dataset(tmp_path / "short_y.npz")
    np.save(tmp_path / "flat.npy", np.arange(5.0))
    with pytest.raises(ValueError, match="expected 2-D"):
        load_dataset(tmp_path / "flat.npy")
    with pytest.raises(ValueError, match="CSV files only"):
        load_dataset(tmp_path / "flat.npy", label_column="y")


@pytest.mark.parametrize("suffix", [".npy", ".npz"])
def test_corrupt_and_truncated_files(tmp_path, suffix):
    garbage = tmp_path / f"garbage{suffix}"
    garbage.write_bytes(b"this is not numpy data" * 10)
    with pytest.raises(ValueError, match="could not be read"):
        load_dataset(garbage)
    good = tmp_path / f"good{suffix}"
    if suffix == ".npy":
        np.save(good, np.arange(1000.0).reshape(100, 10))
    else:
        np.savez(good, X=np.arange(1000.0).reshape(100, 10))
    truncated = tmp_path / f"truncated{suffix}"
    truncated.write_bytes(good.read_bytes()[:-300])
    with pytest.raises(ValueError, match="could not be read"):
        load_dataset(truncated)


# ---- preprocessing -------------------------------------------------------------------
def test_impute_missing():
    X = np.array([[1.0, 2.0], [np.nan, 4.0], [3.0, np.nan], [5.0, 10.0]])
    original = X.copy()
    # column means of the observed values: (1+3+5)/3 = 3, (2+4+10)/3 = 16/3
    np.testing.assert_allclose(impute_missing(X)[1:3], [[3.0, 4.0], [3.0, 16 / 3]])
    # medians: 3 and 4
    np.testing.assert_allclose(impute_missing(X, "median")[1:3], [[3.0, 4.0], [3.0, 4.0]])
    knn = impute_missing(X, "knn", n_neighbors=2)
    np.testing.assert_allclose(knn, KNNImputer(n_neighbors=2).fit_transform(X))
    np.testing.assert_array_equal(X[~np.isnan(original)], original[~np.isnan(original)])
    assert np.isnan(X).sum() == 2  # input untouched
    with pytest.raises(ValueError, match=r"column\(s\) \[1\].*no values"):
        impute_missing(np.array([[1.0, np.nan], [2.0, np.nan]]))
    with pytest.raises(ValueError, match="strategy"):
        impute_missing(X, "mode")


def test_scale_features():
    X = np.array([[0.0, 10.0, 1.0], [2.0, 30.0, 1.0], [4.0, np.nan, 1.0]])
    minmax = scale_features(X, "minmax")
    np.testing.assert_allclose(minmax[:, 0], [0.0, 0.5, 1.0])
    assert np.isnan(minmax[2, 1]) and np.all(minmax[:, 2] == 0)
    standard = scale_features(X[:, :1])
    np.testing.assert_allclose(standard[:, 0], [-np.sqrt(1.5), 0.0, np.sqrt(1.5)])
    with pytest.raises(ValueError, match="method"):
        scale_features(X, "robust")


# ---- MNIST / Fashion-MNIST through the Keras cache ------------------------------------
def _refuse_network(*args, **kwargs):
    raise socket.gaierror(socket.EAI_NONAME, "network disabled in the tests")


@pytest.fixture
def no_network(monkeypatch):
    """Every DNS lookup and connection fails at once, as on a machine without a network."""
    monkeypatch.setattr(socket, "getaddrinfo", _refuse_network)
    monkeypatch.setattr(socket.socket, "connect", _refuse_network)
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty Keras cache; the user's real ~/.keras is never looked at."""
    home = tmp_path / "keras_home"
    home.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.setattr(_downloads, "KERAS_FALLBACK_DIR", tmp_path / "fallback")
    monkeypatch.setattr(_downloads, "DEBIAN_FASHION_MNIST_DIR", tmp_path / "debian")
    if "keras" in sys.modules:  # Keras read KERAS_HOME when imported; point it here too
        from keras.src.backend import config

        monkeypatch.setattr(config, "_KERAS_DIR", str(home))
    return home


@pytest.fixture
def keras_imported():
    """Import Keras before ``keras_home`` so that its cache setting is patched and restored
    (Keras reads KERAS_HOME once, at import; importing it under a temporary KERAS_HOME would
    leave it pointing at a deleted folder for the rest of the test session)."""
    return pytest.importorskip("keras")


def _fake_images(rng, n):
    return rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


def _write_mnist(home, rng):
    arrays = {
        "x_train": _fake_images(rng, 20),
        "y_train": rng.integers(0, 10, 20).astype(np.uint8),
        "x_test": _fake_images(rng, 10),
        "y_test": rng.integers(0, 10, 10).astype(np.uint8),
    }
    (home / "datasets").mkdir(exist_ok=True)
    np.savez(home / "datasets" / "mnist.npz", **arrays)
    return arrays


def _write_idx(path, array):
    header = (0x0800 + array.ndim).to_bytes(4, "big")
    header += b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def _write_fashion(home, rng, folder=None):
    arrays = {
        "x_train": _fake_images(rng, 20),
        "y_train": rng.integers(0, 10, 20).astype(np.uint8),
        "x_test": _fake_images(rng, 10),
        "y_test": rng.integers(0, 10, 10).astype(np.uint8),
    }
    folder = home / "datasets" / "fashion-mnist" if folder is None else folder
    folder.mkdir(parents=True)
    _write_idx(folder / "train-labels-idx1-ubyte.gz", arrays["y_train"])
    _write_idx(folder / "train-images-idx3-ubyte.gz", arrays["x_train"])
    _write_idx(folder / "t10k-labels-idx1-ubyte.gz", arrays["y_test"])
    _write_idx(folder / "t10k-images-idx3-ubyte.gz", arrays["x_test"])
    return arrays


@pytest.mark.timeout(30)
def test_mnist_from_the_keras_cache(keras_home, no_network):
    arrays = _write_mnist(keras_home, np.random.default_rng(0))
    data = load_dataset("mnist")
    assert data.name == "mnist" and data.image_shape == (28, 28)
    assert data.X.shape == (30, 784) and data.X.dtype == np.float32
    assert 0.0 <= data.X.min() and data.X.max() <= 1.0
    expected = np.concatenate([arrays["x_train"], arrays["x_test"]]).reshape(30, -1) / 255.0
    np.testing.assert_allclose(data.X, expected, rtol=1e-6)
    np.testing.assert_array_equal(data.y, np.concatenate([arrays["y_train"], arrays["y_test"]]))

    test_only = load_dataset("mnist_test")
    assert test_only.X.shape == (10, 784)
    np.testing.assert_array_equal(test_only.y, arrays["y_test"])
    assert load_dataset("mnist", scale=False).X.max() == expected.max() * 255
    assert load_dataset("mnist", n_samples=12, random_state=0).X.shape == (12, 784)


@pytest.mark.timeout(30)
def test_fashion_mnist_from_the_keras_cache(keras_home, no_network):
    arrays = _write_fashion(keras_home, np.random.default_rng(1))
    data = load_dataset("Fashion-MNIST")  # case and "-" do not matter
    assert data.name == "fashion_mnist" and data.image_shape == (28, 28)
    assert data.X.shape == (30, 784)
    expected = np.concatenate([arrays["x_train"], arrays["x_test"]]).reshape(30, -1) / 255.0
    np.testing.assert_allclose(data.X, expected, rtol=1e-6)
    np.testing.assert_array_equal(data.y, np.concatenate([arrays["y_train"], arrays["y_test"]]))


@pytest.mark.timeout(30)
def test_fashion_mnist_from_debians_package_folder(keras_home, no_network, tmp_path):
    """Debian's dataset-fashion-mnist puts the same gzip IDX files in /usr/share/datasets."""
    assert local_dataset_folder("fashion_mnist") is None
    debian = tmp_path / "debian"
    arrays = _write_fashion(keras_home, np.random.default_rng(4), folder=debian)
    assert local_dataset_folder("fashion_mnist") == debian
    assert local_dataset_folder("mnist") is None, "MNIST is not in Debian's folder"
    data = load_dataset("fashion_mnist", scale=False)
    np.testing.assert_array_equal(
        data.X, np.concatenate([arrays["x_train"], arrays["x_test"]]).reshape(30, -1))
    np.testing.assert_array_equal(data.y, np.concatenate([arrays["y_train"], arrays["y_test"]]))

    cached = _write_fashion(keras_home, np.random.default_rng(5))  # Keras' cache comes first
    assert local_dataset_folder("fashion_mnist") == keras_home / "datasets" / "fashion-mnist"
    np.testing.assert_array_equal(load_dataset("fashion_mnist").y[:20], cached["y_train"])


def test_local_dataset_folder_checks_the_name():
    with pytest.raises(ValueError, match="name"):
        local_dataset_folder("digits")


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("gzipped", [True, False])
def test_read_idx_round_trip(tmp_path, dtype, gzipped):
    codes = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D,
             np.float64: 0x0E}
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype is np.uint8:
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    header = bytes([0, 0, codes[dtype], 3]) + b"".join(s.to_bytes(4, "big") for s in array.shape)
    raw = header + array.astype(np.dtype(dtype).newbyteorder(">")).tobytes()
    path = tmp_path / ("a-idx3.gz" if gzipped else "a-idx3")
    path.write_bytes(gzip.compress(raw) if gzipped else raw)
    result = read_idx(path)
    assert result.dtype == np.dtype(dtype) and result.dtype.isnative
    np.testing.assert_array_equal(result, array)


def test_read_idx_refuses_what_is_not_idx(tmp_path):
    (tmp_path / "text.gz").write_bytes(gzip.compress(b"hello world"))
    with pytest.raises(ValueError, match=r"text\.gz is not an IDX file"):
        read_idx(tmp_path / "text.gz")
    _write_idx(tmp_path / "ok.gz", np.zeros((4, 3), np.uint8))
    cut = gzip.decompress((tmp_path / "ok.gz").read_bytes())[:-2]
    (tmp_path / "cut").write_bytes(cut)
    with pytest.raises(ValueError, match=r"cut is truncated.*\(4, 3\)"):
        read_idx(tmp_path / "cut")


@pytest.mark.timeout(30)
def test_damaged_idx_file_in_the_cache(keras_home, no_network):
    _write_fashion(keras_home, np.random.default_rng(6))
    folder = keras_home / "datasets" / "fashion-mnist"
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b half a download")
    with pytest.raises(ValueError, match=r"could not be read.*Delete"):
        load_dataset("fashion_mnist")


@pytest.mark.timeout(60)
def test_fashion_fixture_is_what_keras_reads(keras_imported, keras_home, no_network):
    """Keras' own loader reads the fixture the same way (so the format really is Keras')."""
    keras = keras_imported
    _write_fashion(keras_home, np.random.default_rng(2))
    (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    data = load_dataset("fashion_mnist", scale=False)
    np.testing.assert_array_equal(data.X, np.concatenate([x_train, x_test]).reshape(30, -1))
    np.testing.assert_array_equal(data.y, np.concatenate([y_train, y_test]))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "mnist_test"])
def test_offline_without_cache_is_a_clear_error(keras_imported, keras_home, no_network, name):
    with pytest.raises(RuntimeError, match=r"not cached.*could not be downloaded") as info:
        load_dataset(name)
    message = str(info.value)
    assert str(keras_home / "datasets") in message  # says where to put the file
    assert "no network" in message
    assert socket.getdefaulttimeout() is None  # the download timeout was put back
    assert not list((keras_home / "datasets").rglob("*.npz"))  # nothing half-written left


@pytest.mark.timeout(30)
def test_read_only_home_uses_the_fallback_cache(keras_home, no_network, monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_HOME")  # and HOME is a folder that does not exist
    fallback = tmp_path / "fallback"
    fallback.mkdir()
    arrays = _write_mnist(fallback, np.random.default_rng(3))
    data = load_dataset("mnist_test")
    np.testing.assert_array_equal(data.y, arrays["y_test"])


@pytest.mark.timeout(30)
def test_damaged_cache_file(keras_home, no_network):
    (keras_home / "datasets").mkdir()
    (keras_home / "datasets" / "mnist.npz").write_bytes(b"half a download")
    with pytest.raises(ValueError, match=r"could not be read.*Delete"):
        load_dataset("mnist")


def test_docstring_examples_run():
    import doctest

    import deepclust_lab.data as module

    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0

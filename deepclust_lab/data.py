"""Datasets by name or by path, plus the two preprocessing steps the notebooks teach.

Every loader returns a :class:`Dataset` ``(X, y, name, image_shape)``. Names are the toy sets
made by scikit-learn's generators, ``"digits"`` (ships with scikit-learn),
``"fashion_mnist_small"`` (3 000 Fashion-MNIST test images, 300 per class, shipped with the kit
under the MIT licence of Zalando SE: ``deepclust_lab/datasets/``), and MNIST / Fashion-MNIST,
read from the Keras cache (or Debian's ``dataset-fashion-mnist`` folder) and otherwise
downloaded once by Keras; a path loads a ``.csv``, ``.npy`` or ``.npz`` file of your own.
"""

from __future__ import annotations

import gzip
import math
import os
import zipfile
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from deepclust_lab import _downloads, _files
from deepclust_lab._checks import as_float_matrix, check_choice, check_int, check_random_state

__all__ = ["DATASETS", "FASHION_CLASSES", "Dataset", "impute_missing", "load_dataset", "local_dataset_folder",
           "read_idx", "scale_features"]

TOY_DATASETS = ("blobs", "moons", "circles", "anisotropic", "varied_density")
KERAS_DATASETS = ("mnist", "fashion_mnist", "mnist_test")
DATASETS: tuple[str, ...] = (*TOY_DATASETS, "digits", "fashion_mnist_small", *KERAS_DATASETS)
"""Names that :func:`load_dataset` understands."""
#: The bundled Fashion-MNIST subset (uint8 images and labels; ``test_index``: rows of t10k).
FASHION_SMALL = Path(__file__).parent / "datasets" / "fashion_mnist_3000.npz"
#: Fashion-MNIST's class names, by label.
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")

FILE_SUFFIXES = (".csv", ".npy", ".npz")
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class Dataset(NamedTuple):
    """A dataset ready for clustering.

    ``X`` (n_samples, n_features) is float64 (float32 for MNIST-sized images) and may hold
    NaN where a CSV file has gaps; ``y`` holds the true labels, or None; ``image_shape`` is the
    shape of one image (e.g. ``(28, 28)``) when each row is a flattened image.
    """

    X: np.ndarray
    y: np.ndarray | None
    name: str
    image_shape: tuple[int, ...] | None


def load_dataset(
    name_or_path: str | os.PathLike,
    *,
    n_samples: int | None = None,
    random_state: int | np.random.Generator | np.random.RandomState | None = 0,
    label_column: str | None = None,
    scale: bool | str = True,
) -> Dataset:
    """Load a dataset by name (see :data:`DATASETS`) or from a ``.csv`` / ``.npy`` / ``.npz`` file.

    Parameters
    ----------
    name_or_path : str or path-like
        One of :data:`DATASETS` (case and ``-``/``_`` do not matter), or a file: a ``.csv``
        with a header row (empty cells become NaN); a ``.npy`` of 2-D data or of 3-D / 4-D
        images (flattened, their shape kept in ``image_shape``); a ``.npz`` with an array
        ``"X"`` (or ``"x"``) and optional labels ``"y"``.
    n_samples : int, optional
        For the toy sets, how many points to generate (default 500); for every other
        dataset, a random subset of this size, stratified by ``y`` when possible, rows kept
        in their original order.
    random_state : int, numpy Generator or RandomState, default 0
        Seeds the toy generators and the subsampling.
    label_column : str, optional
        CSV files only: the column that holds the labels.
    scale : bool or {"standard", "minmax"}, default True
        ``True`` maps pixels to [0, 1]: the named image sets are divided by their maximum
        (255, or 16 for ``digits``), and a file whose values are all whole numbers in 0..255
        (maximum above 1) by 255. Dividing every feature by one number changes no clustering,
        so the rule is safe even when it fires on a table of counts. ``False`` keeps the
        stored values; ``"standard"`` / ``"minmax"`` scale each feature (:func:`scale_features`).

    Returns
    -------
    Dataset
        ``(X, y, name, image_shape)``. A MNIST name that is neither on this computer nor
        downloadable raises ``RuntimeError`` naming the folder to put the files in.

    Examples
    --------
    >>> from deepclust_lab.data import load_dataset
    >>> X, y, name, image_shape = load_dataset("digits")
    >>> X.shape, image_shape, float(X.max())
    ((1797, 64), (8, 8), 1.0)
    >>> load_dataset("moons", n_samples=200).X.shape
    (200, 2)
    """
    if n_samples is not None:
        n_samples = check_int(n_samples, "n_samples", low=1)
    if not isinstance(scale, bool):
        check_choice(scale, "scale", ["standard", "minmax"])
    if label_column is not None and not isinstance(label_column, str):
        raise TypeError(f"label_column must be a column name (str) or None, got {label_column!r}")

    name = _normalise_name(name_or_path)
    if name is not None:
        if label_column is not None:
            raise ValueError(
                f"label_column applies to CSV files only; the {name!r} dataset has its labels"
            )
        if name in TOY_DATASETS:
            X, y = _make_toy(name, 500 if n_samples is None else n_samples, random_state)
            return _finish(X, y, name, None, scale, None)
        if name == "digits":
            from sklearn.datasets import load_digits

            X, y = _subsample(*load_digits(return_X_y=True), n_samples, random_state)
            return _finish(X, y, name, (8, 8), scale, 16.0)
        if name == "fashion_mnist_small":
            with np.load(FASHION_SMALL, allow_pickle=False) as f:
                images, y = f["X"], f["y"].astype(np.int64)
        else:
            images, y = _load_keras_images(name)
        images, y = _subsample(images, y, n_samples, random_state)
        X = images.reshape(len(images), -1).astype(np.float32)
        return _finish(X, y, name, (28, 28), scale, 255.0)

    path = Path(name_or_path)
    suffix = path.suffix.lower()
    if not path.is_file():
        if path.exists():
            raise ValueError(f"{str(path)!r} is a folder, not a data file")
        raise FileNotFoundError(f"No such data file: {str(path)!r}")
    if label_column is not None and suffix != ".csv":
        raise ValueError(
            f"label_column applies to CSV files only, got a {suffix} file; "
            "a .npz file keeps its labels in an array named 'y'"
        )
    if suffix == ".csv":
        (X, y), image_shape = _files.read_csv(path, label_column), None
    else:
        X, y, image_shape = _files.read_numpy(path)
    pixel_max = 255.0 if _looks_like_pixels(X) else None  # decided on the whole file
    X, y = _subsample(X, y, n_samples, random_state)
    X = np.asarray(X, dtype=np.float32 if X.dtype in (np.uint8, np.float32) else np.float64)
    return _finish(X, y, path.stem, image_shape, scale, pixel_max)


def impute_missing(X: Any, strategy: str = "mean", n_neighbors: int = 5) -> np.ndarray:
    """A copy of ``X`` with its NaN entries filled, column by column.

    ``strategy`` "mean" / "median" fills a gap with its column's mean / median; "knn" with the
    mean of the ``n_neighbors`` most similar rows (scikit-learn's ``KNNImputer``, which
    measures similarity on the features both rows have).

    Examples
    --------
    >>> import numpy as np
    >>> from deepclust_lab.data import impute_missing
    >>> impute_missing(np.array([[1.0, 2.0], [np.nan, 4.0], [3.0, np.nan]]))
    array([[1., 2.],
           [2., 4.],
           [3., 3.]])
    """
    from sklearn.impute import KNNImputer, SimpleImputer

    X = as_float_matrix(X, allow_nan=True)
    check_choice(strategy, "strategy", ["mean", "median", "knn"])
    n_neighbors = check_int(n_neighbors, "n_neighbors", low=1)
    empty = np.flatnonzero(np.isnan(X).all(axis=0))
    if empty.size:
        raise ValueError(
            f"column(s) {empty.tolist()} of X have no values at all; there is nothing to "
            "fill them from, so drop them first"
        )
    imputer = (KNNImputer(n_neighbors=n_neighbors) if strategy == "knn"
               else SimpleImputer(strategy=strategy))
    return imputer.fit_transform(X).astype(X.dtype, copy=False)


def scale_features(X: Any, method: str = "standard") -> np.ndarray:
    """Scale each column of ``X``: "standard" (zero mean, unit variance, ``StandardScaler``) or
    "minmax" (to [0, 1], ``MinMaxScaler``). NaN entries are ignored and stay NaN; a constant
    column becomes all zeros.

    Examples
    --------
    >>> import numpy as np
    >>> from deepclust_lab.data import scale_features
    >>> scale_features(np.array([[0.0, 10.0], [2.0, 30.0]]), method="minmax")
    array([[0., 0.],
           [1., 1.]])
    """
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    X = as_float_matrix(X, allow_nan=True)
    check_choice(method, "method", ["standard", "minmax"])
    scaler = StandardScaler() if method == "standard" else MinMaxScaler()
    return scaler.fit_transform(X).astype(X.dtype, copy=False)


def _normalise_name(name_or_path: Any) -> str | None:
    """The dataset name, or ``None`` for a file path; raise for anything else."""
    if not isinstance(name_or_path, str | os.PathLike):
        raise TypeError(
            f"name_or_path must be a dataset name or a file path, got {type(name_or_path).__name__}"
        )
    text = os.fspath(name_or_path)
    if isinstance(name_or_path, str):
        if (key := text.strip().lower().replace("-", "_")) in DATASETS:
            return key
        if not ("/" in text or os.sep in text or Path(text).suffix or os.path.exists(text)):
            raise ValueError(
                f"Unknown dataset {text!r}. Choose one of {list(DATASETS)}, "
                f"or give the path of a {'/'.join(FILE_SUFFIXES)} file."
            )
    suffix = Path(text).suffix.lower()
    if suffix not in FILE_SUFFIXES and not os.path.isdir(text):
        raise ValueError(
            f"Cannot read {text!r}: the file type {suffix or '(none)'!r} is not "
            f"supported. Use a {', '.join(FILE_SUFFIXES)} file, or one of {list(DATASETS)}."
        )
    return None


def _make_toy(name: str, n: int, random_state: Any) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_blobs, make_circles, make_moons

    rng = check_random_state(random_state)
    if name == "blobs":
        centers = [[-6.0, -2.0], [0.0, 5.0], [6.0, 0.0], [0.5, -6.0]]
        X, y = make_blobs(n, centers=centers, cluster_std=1.0, random_state=rng)
    elif name == "moons":
        X, y = make_moons(n, noise=0.07, random_state=rng)
    elif name == "circles":
        X, y = make_circles(n, noise=0.05, factor=0.45, random_state=rng)
    elif name == "anisotropic":
        centers = [[-4.0, 2.0], [0.0, -3.0], [4.0, 4.0]]
        X, y = make_blobs(n, centers=centers, cluster_std=0.9, random_state=rng)
        X = X @ np.array([[0.6, -0.64], [-0.41, 0.85]])
    else:  # varied_density
        centers = [[-5.0, -1.0], [1.0, 3.0], [5.5, -3.0]]
        X, y = make_blobs(n, centers=centers, cluster_std=[0.5, 2.2, 1.0], random_state=rng)
    return X.astype(np.float64), y.astype(np.int64)


def _subsample(X: np.ndarray, y: np.ndarray | None, n_samples: int | None,
               random_state: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """A reproducible subset of ``n_samples`` rows, stratified when ``y`` allows it."""
    n = len(X)
    if n_samples is None or n_samples == n:
        return X, y
    if n_samples > n:
        raise ValueError(f"n_samples={n_samples} is larger than the dataset ({n} samples)")
    from sklearn.model_selection import train_test_split

    rng = check_random_state(random_state)
    idx = None
    if y is not None:
        try:
            idx, _ = train_test_split(np.arange(n), train_size=n_samples, stratify=y,
                                      random_state=rng)
        except ValueError:  # a class too small to split, or fewer samples than classes
            pass
    if idx is None:
        idx = rng.choice(n, size=n_samples, replace=False)
    idx = np.sort(idx)
    return X[idx], (None if y is None else y[idx])


def _looks_like_pixels(X: np.ndarray) -> bool:
    """Whole numbers in 0..255 with a maximum above 1: 8-bit pixels."""
    values = X[~np.isnan(X)] if X.dtype.kind == "f" else X
    if values.size == 0:
        return False
    lo, hi = values.min(), values.max()
    return bool(lo >= 0 and 1 < hi <= 255 and np.all(values == np.round(values)))


def _finish(X: np.ndarray, y: np.ndarray | None, name: str, image_shape: tuple | None,
            scale: bool | str, pixel_max: float | None) -> Dataset:
    if X.dtype != np.float32:
        X = X.astype(np.float64)
    if scale is True and pixel_max is not None:
        X = X / np.asarray(pixel_max, dtype=X.dtype)
    elif isinstance(scale, str):
        X = scale_features(X, method=scale)
    return Dataset(X, y, name, image_shape)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (gzipped or not), the format MNIST and Fashion-MNIST come in.

    An IDX file starts with two zero bytes, a byte naming the value type (0x08: unsigned
    bytes) and a byte with the number of dimensions; then each dimension's size as a 4-byte
    big-endian integer, then the values in C order. Anything else raises ``ValueError``.

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny-idx2-ubyte.gz")
    >>> header = bytes([0, 0, 0x08, 2]) + (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
    >>> with gzip.open(path, "wb") as f:
    ...     _ = f.write(header + bytes(range(6)))
    >>> read_idx(path)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    """
    name = Path(path).name
    data = Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] not in _IDX_TYPES:
        raise ValueError(f"{name} is not an IDX file: it does not start with an IDX magic number")
    ndim, dtype = data[3], np.dtype(_IDX_TYPES[data[2]])
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if len(data) - header != math.prod(shape) * dtype.itemsize:
        raise ValueError(f"{name} is truncated or damaged: its header says shape {shape}")
    body = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return body.astype(dtype.newbyteorder("="), copy=False)


def local_dataset_folder(name: str) -> Path | None:
    """The folder on this computer that holds the files of ``name`` (``"mnist"``,
    ``"mnist_test"`` or ``"fashion_mnist"``), or None: :func:`load_dataset` would download them."""
    check_choice(name, "name", KERAS_DATASETS)
    return _downloads.find_local("fashion_mnist" if name == "fashion_mnist" else "mnist")


def _load_keras_images(name: str) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images (n, 28, 28) and labels: from files already here, else via Keras' loader."""
    source = "fashion_mnist" if name == "fashion_mnist" else "mnist"
    folder = local_dataset_folder(name)
    if folder is not None:
        (x_train, y_train), (x_test, y_test) = _read_local(source, folder)
    else:
        (x_train, y_train), (x_test, y_test) = _downloads.download(source)
    if name == "mnist_test":
        return np.asarray(x_test), np.asarray(y_test).astype(np.int64)
    return np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test]).astype(np.int64)


def _read_local(source: str, folder: Path) -> tuple[tuple, tuple]:
    """Read the files directly (the formats Keras' loaders read)."""
    try:
        if source == "mnist":
            with np.load(folder / _downloads.FILES["mnist"][0], allow_pickle=False) as f:
                return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
        y_train, x_train, y_test, x_test = (read_idx(folder / f) for f in _downloads.FILES[source])
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as err:
        raise ValueError(
            f"The {source} file(s) in {str(folder)!r} could not be read ({err}). Delete "
            "them (or reinstall the package that put them there) and load again."
        ) from None
    if (x_train.ndim, y_train.ndim, len(x_train), len(x_test)) != (3, 1, len(y_train), len(y_test)):
        raise ValueError(f"The {source} files in {str(folder)!r} do not match")
    return (x_train, y_train), (x_test, y_test)

"""Save and load a fitted :class:`~deepclust_lab.pipeline.DeepClusterer` without pickle.

A saved model is a folder: ``config.json`` (parameters, what the fit chose, history),
``arrays.npz`` (no pickle), ``autoencoder.keras`` when a network was trained (loaded with
``safe_mode=True``), and ``manifest.json`` with a SHA-256 checksum of each. A save is written
to a fresh folder that then takes the target's place, so it never leaves a mixture; loading
checks the checksums, every key of ``config.json`` and that the pieces fit together.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["load_model", "save_model"]

FORMAT = "deepclust-lab/DeepClusterer"
VERSION = 3
_ARRAYS = ("labels_", "embedding_", "cluster_centers_", "manifold_")
# config.json's keys and the JSON types each may hold (None: may be null)
_CONFIG = {
    "format": (str,), "version": (int,), "params": (dict,), "method": (str,),
    "n_features_in": (int,), "recipe": (dict,), "history": (dict,), "has_autoencoder": (bool,),
    "input_scale": (float, int), "n_iter": (int, None), "feature_names_in": (list, None),
}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _params(model: Any) -> dict[str, Any]:
    params = model.get_params()
    params["callbacks"] = None
    if not (params["random_state"] is None or isinstance(params["random_state"], int)):
        params["random_state"] = None
    for key in ("hidden", "image_shape"):
        if params[key] is not None:
            params[key] = [int(v) for v in params[key]]
    if isinstance(params["augment"], np.bool_):
        params["augment"] = bool(params["augment"])
    return params


def _write(model: Any, folder: Path) -> None:
    config = {
        "format": FORMAT, "version": VERSION, "params": _params(model),
        "method": model._method, "n_features_in": int(model.n_features_in_),
        "recipe": model.recipe_, "history": model.history_,
        "has_autoencoder": model.autoencoder_ is not None,
        "input_scale": float(model.input_scale_),
        "n_iter": getattr(model, "n_iter_", None),
        "feature_names_in": (None if not hasattr(model, "feature_names_in_")
                             else [str(n) for n in model.feature_names_in_]),
    }
    arrays = {name.strip("_"): getattr(model, name) for name in _ARRAYS
              if getattr(model, name) is not None}
    np.savez(folder / "arrays.npz", **arrays)
    if model.autoencoder_ is not None:
        model.autoencoder_.save(folder / "autoencoder.keras")
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    from deepclust_lab import __version__

    manifest = {"format": FORMAT, "version": VERSION, "kit_version": __version__,
                "sha256": {f.name: _sha256(f) for f in sorted(folder.iterdir())}}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))


def save_model(model: Any, path: str | os.PathLike) -> Path:
    """Write ``model`` to folder ``path``, replacing a model saved there before (a file or a
    symlink there is refused)."""
    path = Path(path)
    if path.is_symlink():
        raise ValueError(f"{path} is a symbolic link; save to a real folder")
    if path.exists() and not path.is_dir():
        raise ValueError(f"{path} is a file; save() needs a folder path")
    if path.is_dir() and any(path.iterdir()) and not (path / "config.json").is_file():
        raise ValueError(f"{path} is a folder that holds no saved model; refusing to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{path.name}.saving-", dir=path.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        fresh.chmod(0o777 & ~umask)  # mkdtemp's folder is private; a saved model is not
        _write(model, fresh)
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
            os.replace(path, old / "model")  # the target is gone for an instant, never mixed
            os.replace(fresh, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(fresh, path)
    finally:
        if fresh.exists():
            shutil.rmtree(fresh, ignore_errors=True)
    return path


def _missing_folder(path: Path) -> FileNotFoundError:
    """The error for a ``path`` without a saved model, naming one an interrupted save left."""
    left = sorted(path.parent.glob(f".{path.name}.old-*/model"))
    hint = f"; an interrupted save left the previous model in {left[-1]}" if left else ""
    return FileNotFoundError(f"{path} is not a folder written by DeepClusterer.save{hint}")


def _read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{file} is not valid JSON: {err}") from None


def _verify(path: Path) -> None:
    """Check ``manifest.json``: our format and version, and every file's checksum."""
    manifest_file = path / "manifest.json"
    if not manifest_file.is_file():
        raise FileNotFoundError(f"{path} is not a saved DeepClusterer (no manifest.json)")
    manifest = _read_json(manifest_file)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"{path} was not written by DeepClusterer.save")
    if manifest.get("version") != VERSION:
        raise ValueError(f"{manifest_file}: unsupported format version "
                         f"{manifest.get('version')!r} (this kit reads version {VERSION})")
    sums = manifest.get("sha256")
    if not isinstance(sums, dict) or "config.json" not in sums:
        raise ValueError(f"{manifest_file} lacks the checksums; the folder is damaged")
    for name, expected in sums.items():
        file = path / str(name)
        if "/" in str(name) or not file.is_file():
            raise ValueError(f"{path}: {name}, listed in manifest.json, is missing")
        if _sha256(file) != expected:
            raise ValueError(f"{file} does not match its checksum in manifest.json: it was "
                             "changed or damaged after saving")


def _read_config(path: Path) -> dict[str, Any]:
    from deepclust_lab.recipes import METHODS

    if not path.is_dir():
        raise _missing_folder(path)
    _verify(path)
    cfg_file = path / "config.json"
    config = _read_json(cfg_file)
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ValueError(f"{path} was not written by DeepClusterer.save")
    for key, types in _CONFIG.items():
        if key not in config:
            raise ValueError(f"{cfg_file} lacks the key {key!r}; the folder is damaged")
        value = config[key]
        if not (value is None and None in types) and (
                isinstance(value, bool) != (bool in types)
                or not isinstance(value, tuple(t for t in types if t is not None))):
            names = " or ".join("null" if t is None else t.__name__ for t in types)
            raise ValueError(f"{cfg_file}: {key!r} must be {names}, got {value!r}")
    if config["method"] not in METHODS:
        raise ValueError(f"{cfg_file} names an unknown method {config['method']!r}")
    return config


def _check_shapes(model: Any, path: Path) -> None:
    n, d = len(model.labels_), model.n_features_in_
    for name in ("embedding_", "manifold_"):
        value = getattr(model, name)
        if value is not None and (value.ndim != 2 or len(value) != n):
            raise ValueError(f"{path}: {name.strip('_')} does not match the {n} labels")
    if model.autoencoder_ is not None:
        if model.autoencoder_.input_shape[-1] != d:
            raise ValueError(f"{path}: the network expects {model.autoencoder_.input_shape[-1]} "
                             f"features, the model was fitted on {d}")
        code = model.encoder_.output_shape[-1]
        if model.recipe_["front_end"] != "raw" and model.embedding_.shape[1] != code:
            raise ValueError(f"{path}: the network's code has {code} values, the saved "
                             f"embedding {model.embedding_.shape[1]}")


def load_model(cls: type, path: str | os.PathLike) -> Any:
    """A ``cls`` instance from the folder :func:`save_model` wrote."""
    import zipfile

    import keras

    import deepclust_lab.dec  # noqa: F401  (registers ClusteringLayer for Keras)

    path = Path(path)
    config = _read_config(path)
    params = config["params"]
    for key in ("hidden", "image_shape"):
        if params.get(key) is not None:
            params[key] = tuple(params[key])
    try:
        model = cls(**params)
        with np.load(path / "arrays.npz", allow_pickle=False) as data:
            for name in _ARRAYS:
                key = name.strip("_")
                setattr(model, name, data[key] if key in data else None)
        model.autoencoder_ = model.encoder_ = None
        if config["has_autoencoder"]:
            ae = keras.saving.load_model(path / "autoencoder.keras", safe_mode=True)
            model.autoencoder_ = ae
            model.encoder_ = keras.Model(ae.input, ae.get_layer("code").output)
    except (OSError, KeyError, TypeError, ValueError, zipfile.BadZipFile) as err:
        raise ValueError(f"{path} holds a damaged or incomplete saved model: {err}") from None
    if model.labels_ is None or model.embedding_ is None:
        raise ValueError(f"{path}: arrays.npz lacks the labels or the embedding")
    model.n_features_in_ = int(config["n_features_in"])
    model.input_scale_ = float(config["input_scale"])
    model.history_, model.recipe_ = config["history"], config["recipe"]
    if config.get("n_iter") is not None:
        model.n_iter_ = int(config["n_iter"])
    if config.get("feature_names_in") is not None:
        model.feature_names_in_ = np.asarray(config["feature_names_in"], dtype=object)
    model._method = config["method"]
    model._n_neighbors = model.n_neighbors or (20 if model._method == "n2d" else 30)
    _check_shapes(model, path)
    return model

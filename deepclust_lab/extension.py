"""The IPython extension ``%load_ext deepclust_lab``: ``%deepclust_env`` prints the versions, the
Keras backend and its devices; ``%deepclust_seed N`` seeds Python, NumPy and Keras."""

from __future__ import annotations

import os
import platform
import random
from importlib import metadata

import numpy as np

__all__ = ["environment_report", "load_ipython_extension", "seed_everything"]

_PACKAGES = ("deepclust-lab", "numpy", "scipy", "scikit-learn", "keras", "jax", "umap-learn",
             "matplotlib", "ipywidgets", "anywidget")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment_report() -> dict[str, str]:
    """Versions, the Keras backend and the compute devices.

    Examples
    --------
    >>> report = environment_report()
    >>> report["keras backend"] in {"jax", "tensorflow", "torch", "numpy"}
    True
    """
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    report = {"python": platform.python_version()}
    report.update({name: _version(name) for name in _PACKAGES})
    backend = keras.backend.backend()
    report["keras backend"] = backend
    report["devices"] = _devices(backend)
    return report


def _devices(backend: str) -> str:
    """E.g. ``'cpu x1'`` or ``'gpu x1 (NVIDIA H100)'``."""
    if backend == "jax":
        import jax

        devices = jax.devices()
        kinds = sorted({d.platform for d in devices})
        names = sorted({getattr(d, "device_kind", d.platform) for d in devices})
        text = ", ".join(f"{k} x{sum(d.platform == k for d in devices)}" for k in kinds)
        return text if kinds == ["cpu"] else f"{text} ({', '.join(names)})"
    return "see the backend's own device list"


def seed_everything(seed: int) -> int:
    """Seed Python, NumPy's global generator and Keras (hence its backend) with ``seed``.

    Examples
    --------
    >>> import numpy as np
    >>> _ = seed_everything(3); a = np.random.rand()
    >>> _ = seed_everything(3); b = np.random.rand()
    >>> a == b
    True
    """
    from deepclust_lab._checks import check_int

    seed = check_int(seed, "seed", low=0, high=2**32 - 1)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - seeding the legacy global state is the point
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    keras.utils.set_random_seed(seed)
    return seed


def _env_magic(line: str = "") -> None:
    report = environment_report()
    width = max(len(key) for key in report)
    for key, value in report.items():
        print(f"{key:<{width}}  {value}")


def _seed_magic(line: str) -> None:
    text = line.strip()
    try:
        seed = int(text)
    except ValueError:
        print(f"Usage: %deepclust_seed N  (N a whole number >= 0), got {text!r}")
        return
    try:
        seed_everything(seed)
    except (TypeError, ValueError) as err:
        print(f"Usage: %deepclust_seed N: {err}")
        return
    print(f"Seeded Python, NumPy and Keras with {seed}.")


def load_ipython_extension(ipython) -> None:
    ipython.register_magic_function(_env_magic, magic_kind="line", magic_name="deepclust_env")
    ipython.register_magic_function(_seed_magic, magic_kind="line", magic_name="deepclust_seed")

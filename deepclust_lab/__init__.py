"""deepclust-lab: a teaching kit for clustering combined with deep learning.

Importing the package is cheap: the modules that need Keras (autoencoders, deep
clustering, widgets) are loaded only when one of their names is first used.
"""

from __future__ import annotations

import importlib
import os

# Keras reads KERAS_BACKEND once, on first import. Respect a user's choice; default to JAX.
os.environ.setdefault("KERAS_BACKEND", "jax")

from deepclust_lab import _cache

_cache.configure()  # compiled code is kept on disk: a second process starts warm

__version__ = "0.1.0"

# public name -> module that defines it (loaded lazily, see __getattr__)
_EXPORTS = {
    "load_dataset": "data",
    "Dataset": "data",
    "KMeans": "kmeans",
    "cluster_accuracy": "metrics",
    "clustering_report": "metrics",
    "DeepClusterer": "pipeline",
}

__all__ = [*sorted(_EXPORTS), "__version__", "load_ipython_extension"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'deepclust_lab' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"deepclust_lab.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def load_ipython_extension(ipython) -> None:
    """Entry point for ``%load_ext deepclust_lab``."""
    from deepclust_lab.extension import load_ipython_extension as _load

    _load(ipython)

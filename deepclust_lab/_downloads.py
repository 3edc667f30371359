"""Where MNIST and Fashion-MNIST are on this computer, and Keras' downloader when they are not.

Private to :mod:`deepclust_lab.data`; ``source`` is ``"mnist"`` or ``"fashion_mnist"``.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

# The files of each downloadable set, as Keras' loaders store them in its cache.
FILES = {
    "mnist": ("mnist.npz",),
    "fashion_mnist": (
        "train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
    ),
}  # fmt: skip
KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
KERAS_FALLBACK_DIR = Path("/tmp/.keras")  # where Keras caches when its home is read-only
# Debian's package dataset-fashion-mnist (apt-get install dataset-fashion-mnist) puts them here.
DEBIAN_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
DOWNLOAD_SOCKET_TIMEOUT = 30.0  # seconds per network operation, so an offline fetch fails fast


def candidate_folders(source: str) -> list[Path]:
    """Where the files of ``source`` may be, in the order they are looked for: Keras' cache
    (``$KERAS_HOME``, else ``~/.keras``, and ``/tmp/.keras``, where Keras falls back when that
    is not writable), then, for Fashion-MNIST, Debian's package folder."""
    if "KERAS_HOME" in os.environ:
        primary = Path(os.path.expanduser(os.environ["KERAS_HOME"]))
    else:
        home = os.path.expanduser("~")
        primary = Path(home, ".keras") if os.access(home, os.W_OK) else KERAS_FALLBACK_DIR
    caches = [primary] if primary == KERAS_FALLBACK_DIR else [primary, KERAS_FALLBACK_DIR]
    if source == "mnist":
        return [cache / "datasets" for cache in caches]
    return [*(cache / "datasets" / "fashion-mnist" for cache in caches), DEBIAN_FASHION_MNIST_DIR]


def find_local(source: str) -> Path | None:
    """The first candidate folder that holds every file of ``source``, or None."""
    for folder in candidate_folders(source):
        if all((folder / file).is_file() for file in FILES[source]):
            return folder
    return None


def download(source: str) -> tuple:
    """Fetch with ``keras.datasets.<source>.load_data`` (downloads once, then cached)."""
    import keras

    loader = keras.datasets.mnist if source == "mnist" else keras.datasets.fashion_mnist
    previous = socket.getdefaulttimeout()
    if previous is None:  # without a timeout an unreachable server can hang for minutes
        socket.setdefaulttimeout(DOWNLOAD_SOCKET_TIMEOUT)
    try:
        return loader.load_data()
    except Exception as err:  # Keras wraps network failures in a bare Exception
        urls = ", ".join(KERAS_ORIGIN + f for f in FILES[source])
        debian = " (or install Debian's dataset-fashion-mnist package)"
        raise RuntimeError(
            f"The {source} dataset is not cached on this computer and could not be "
            f"downloaded (is there no network?). Cause: {err}\n"
            f"Either connect to the internet and try again, or download {urls} elsewhere "
            f"and copy the file(s) into {str(candidate_folders(source)[0])!r}"
            f"{debian if source == 'fashion_mnist' else ''}. "
            "The 'digits' dataset needs no download."
        ) from err
    finally:
        socket.setdefaulttimeout(previous)

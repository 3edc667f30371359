"""Training utilities shared by every network of the kit: callbacks and batched prediction.

* :class:`ProgressBar` — a tqdm bar over epochs;
* :class:`StopTraining` — a Stop button's request, honoured after the current batch;
* :class:`EpochCallback` — calls a function after every epoch (live plots, widgets);
* :func:`predict_batched` — ``model.predict`` in batches, also under data-parallel training.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

__all__ = ["EpochCallback", "ProgressBar", "StopTraining", "callback_list", "data_replicas",
           "predict_batched"]


def data_replicas() -> int:
    """Into how many parts the current Keras distribution splits each batch (1 without one)."""
    dist = keras.distribution.distribution()
    if dist is None:
        return 1
    mesh = dist.device_mesh
    return int(mesh.shape[list(mesh.axis_names).index(dist.batch_dim_name)])


def predict_batched(model: keras.Model, X: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """``model.predict`` in batches; under a data-parallel distribution over ``r`` devices the
    input is padded with zero rows to a multiple of ``r`` (rows are independent) and the
    padding is cut from the output."""
    r = data_replicas()
    pad = -len(X) % r
    if pad:
        X = np.concatenate([X, np.zeros((pad, *X.shape[1:]), dtype=X.dtype)])
    out = np.asarray(model.predict(X, batch_size=batch_size + (-batch_size % r), verbose=0))
    return out[: len(out) - pad]


# --------------------------------------------------------------------------------------------
# callbacks
# --------------------------------------------------------------------------------------------
class ProgressBar(keras.callbacks.Callback):
    """A ``tqdm.auto`` progress bar over epochs (or other steps) showing the loss.

    In a notebook it is a widget bar; in a terminal, text on stderr.

    Parameters
    ----------
    desc : str, default "training"
    leave : bool, default True
        Keep the finished bar on screen.
    unit : str, default "epoch"
        What one step of the bar is, as the rate shows it ("epoch/s"); "run" for the UMAP runs
        of the "manifold" method, which Keras-style callbacks see as epochs.
    **tqdm_kwargs
        Passed on to ``tqdm.auto.tqdm`` (e.g. ``file=``, ``disable=``).

    Examples
    --------
    >>> bar = ProgressBar(desc="UMAP runs", unit="run", disable=True)
    >>> bar.unit
    'run'
    """

    def __init__(self, desc: str = "training", leave: bool = True, unit: str = "epoch",
                 **tqdm_kwargs: Any) -> None:
        super().__init__()
        self.desc, self.leave, self.unit, self.tqdm_kwargs = desc, leave, unit, tqdm_kwargs
        self.bar = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        from tqdm.auto import tqdm

        total = (self.params or {}).get("epochs")
        self.bar = tqdm(total=total, desc=self.desc, unit=self.unit, leave=self.leave,
                        **self.tqdm_kwargs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.bar is not None:
            if logs and "loss" in logs:
                self.bar.set_postfix(loss=f"{float(logs['loss']):.4f}", refresh=False)
            self.bar.update(1)

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class StopTraining(keras.callbacks.Callback):
    """Ends training cleanly after the current batch once :meth:`request_stop` is called.

    :meth:`request_stop` only sets a ``threading.Event``, so it is safe (and instant) to call
    from another thread — e.g. a widget's Stop button while training runs in a worker thread.
    The request stays set until :meth:`reset`, so a stop asked for just before training begins
    still stops it at the first batch. After training, :attr:`stopped` says whether it acted.

    Examples
    --------
    >>> stop = StopTraining()
    >>> stop.request_stop()
    >>> stop.requested
    True
    >>> stop.reset(); stop.requested
    False
    """

    def __init__(self) -> None:
        super().__init__()
        self._event = threading.Event()
        self.stopped = False

    def request_stop(self) -> None:
        """Ask training to stop after the batch that is running now (thread-safe)."""
        self._event.set()

    def reset(self) -> None:
        """Clear a previous request so the callback can be used for another run."""
        self._event.clear()
        self.stopped = False

    @property
    def requested(self) -> bool:
        """Whether a stop has been requested (and not reset)."""
        return self._event.is_set()

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.stopped = False

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self._event.is_set():
            self.model.stop_training = True
            self.stopped = True


class EpochCallback(keras.callbacks.Callback):
    """Call ``fn(epoch, logs)`` at the end of every epoch.

    ``logs`` is a plain ``dict`` of Python floats (e.g. ``{"loss": 0.02}``), copied, so ``fn``
    may keep it or hand it to another thread. ``fn`` runs in the training thread: keep it cheap
    (update a widget value, append to a list).

    Examples
    --------
    >>> seen = []
    >>> cb = EpochCallback(lambda epoch, logs: seen.append(epoch))
    """

    def __init__(self, fn: Callable[[int, dict], Any]) -> None:
        super().__init__()
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {fn!r}")
        self.fn = fn

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.fn(int(epoch), {k: float(v) for k, v in (logs or {}).items()})


# --------------------------------------------------------------------------------------------
# training
# --------------------------------------------------------------------------------------------
def callback_list(callbacks: Any, progress: bool, desc: str, unit: str = "epoch") -> list:
    """``callbacks`` as a checked list, with a :class:`ProgressBar` (``desc``, ``unit``) added
    when ``progress`` is true and there is none yet."""
    if callbacks is None:
        callbacks = []
    elif isinstance(callbacks, keras.callbacks.Callback):
        callbacks = [callbacks]
    else:
        callbacks = list(callbacks)
    for cb in callbacks:
        if not isinstance(cb, keras.callbacks.Callback):
            raise TypeError(f"callbacks must be keras.callbacks.Callback objects, got {cb!r}")
    if progress and not any(isinstance(cb, ProgressBar) for cb in callbacks):
        callbacks.append(ProgressBar(desc=desc, unit=unit))
    return callbacks

"""A model whose jobs (a training, say) run in a background thread, through a state machine::

    idle ──start──▶ running ──▶ done | stopped | failed ──▶ running ...
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import traitlets
from traitlets import Float, HasTraits, Int, Unicode, validate

from deepclust_lab._checks import check_choice

#: States of a run: it ends in one of the last three
RUN_STATES = ("idle", "running", "done", "stopped", "failed")
_BATCH_UPDATE_SECONDS = 0.1  # at most ~10 progress-bar updates a second within an epoch


class Stopped(Exception):
    """Raised by a job when Stop was pressed before its real work began."""


class BackgroundRun(HasTraits):
    """``state``, ``message`` and ``error`` of one job at a time, run in a daemon thread.

    A job returns one line for the status (``"in 1.2 s."``); an exception it raises ends the
    run ``"failed"``, its traceback in ``error``. A training job reports ``epoch``,
    ``n_epochs``, ``progress`` (epochs, counting batches) and ``loss`` through
    :func:`training_progress`; ``timings`` holds the seconds to each event noted with :meth:`mark`.

    Examples
    --------
    >>> run = BackgroundRun()
    >>> run.state
    'idle'
    >>> run.state = "done"
    Traceback (most recent call last):
    ...
    traitlets.traitlets.TraitError: state cannot go from 'idle' to 'done'; ...
    >>> run._start("count", lambda: "counted.", reset=lambda: None) and run.wait()
    'done'
    >>> run.message
    'Done counted.'
    """

    state = Unicode("idle", help="One of RUN_STATES, changed only along the state machine.")
    action = Unicode("", help="What the current (or last) run does, e.g. 'retrain'.")
    message = Unicode("", help="One line for the status label.")
    error = Unicode("", help="Traceback of the last failure; '' when the last run did not fail.")
    epoch = Int(0)
    n_epochs = Int(0)
    progress = Float(0.0)
    loss = Float(None, allow_none=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self.timings: dict[str, float] = {}
        self._t0 = 0.0

    @validate("state")
    def _check_state(self, proposal):
        new, old = check_choice(proposal["value"], "state", RUN_STATES), self.state
        allowed = RUN_STATES[2:] if old == "running" else ("running",)
        if new != old and new not in allowed:
            raise traitlets.TraitError(
                f"state cannot go from {old!r} to {new!r}; allowed: {sorted(allowed)}"
            )
        return new

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def stop_requested(self) -> bool:
        return self._stop_event.is_set()

    def stop(self) -> bool:
        """Ask the running job to stop (see ``stop_requested``); ``False`` if none runs."""
        if not self.running:
            return False
        self._stop_event.set()
        self.message = "Stopping after the current batch…"
        return True

    def wait(self, timeout: float | None = 60.0) -> str:
        """Block until the current run ends (``TimeoutError`` after ``timeout`` s); its state."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                raise TimeoutError(f"the {self.action} run did not finish in {timeout} s")
        return self.state

    def elapsed(self) -> float:
        """Seconds since the current (or last) run started."""
        return time.perf_counter() - self._t0

    def mark(self, event: str) -> None:
        """Note the first time ``event`` happens, in seconds since the start (``timings``)."""
        self.timings.setdefault(event, self.elapsed())

    def _start(self, action: str, job: Callable[[], str], reset: Callable[[], None]) -> bool:
        """Run ``job`` in a new thread after ``reset()``; ``False`` if a run is going."""
        with self._lock:  # the check and the change of state are one step: no double starts
            if self.running:
                return False
            self._t0, self.timings = time.perf_counter(), {}
            self._stop_event.clear()
            self.error, self.action = "", action
            self.epoch, self.progress, self.loss = 0, 0.0, None
            reset()
            self.message = "Starting…"
            self.state = "running"
            self._thread = threading.Thread(
                target=self._run, args=(job,), name=f"deepclust-lab-{action}", daemon=True
            )
            self._thread.start()
        return True

    def _run(self, job: Callable[[], str]) -> None:
        final, message = "failed", "Failed."
        try:
            summary = job()
        except Stopped:
            final, message = "stopped", "Stopped before training started."
        except Exception as err:
            self.error = traceback.format_exc()
            message = f"Failed: {type(err).__name__}: {err}"
        else:
            final = "stopped" if self.stop_requested else "done"
            message = f"{final.capitalize()} {summary}"
        self.mark("done")
        self.message = message
        self.state = final


def training_progress(run: BackgroundRun, *, refining: str = "Refining", step: str = "update"):
    """A Keras callback that reports to ``run``: every epoch, and within epochs by batch.

    The first ``fit`` (phase 1: the autoencoder) moves ``epoch``, ``progress`` and ``loss``; a
    later one (a DEC / IDEC refinement, or the UMAP runs of "manifold") only shows its steps in
    ``message``: ``"<refining>: <step> 3"``. ``phase`` counts the fits begun.
    """
    from deepclust_lab.training import EpochCallback

    class TrainingProgress(EpochCallback):
        phase, current_epoch, last_update = 0, 0, 0.0

        def on_train_begin(self, logs=None) -> None:
            self.phase += 1
            if self.phase == 1:
                run.mark("training_started")
                run.message = f"Training: epoch 0/{run.n_epochs} (compiling the model…)"
            else:
                run.message = f"{refining}…"

        def on_epoch_begin(self, epoch, logs=None) -> None:
            self.current_epoch = int(epoch)

        def on_train_batch_end(self, batch, logs=None) -> None:
            steps = int((getattr(self, "params", None) or {}).get("steps") or 0)
            now = time.perf_counter()
            if self.phase != 1 or steps <= 0 or (
                    "first_progress" in run.timings
                    and now - self.last_update < _BATCH_UPDATE_SECONDS):
                return
            self.last_update = now
            run.mark("first_progress")
            run.progress = min(self.current_epoch + (int(batch) + 1) / steps,
                               float(max(run.n_epochs, 1)))

    def epoch_done(epoch: int, logs: dict) -> None:  # epoch is 0-based, as in Keras
        loss = logs.get("loss")
        loss_text = "" if loss is None else f" · loss {float(loss):.4f}"
        if callback.phase > 1:
            delta = logs.get("delta_label")
            changed = "" if delta is None else f" · {100 * float(delta):.1f}% labels changed"
            run.message = f"{refining}: {step} {epoch + 1}{loss_text}{changed}"
            return
        run.mark("first_progress")
        run.mark("first_epoch")
        run.epoch = epoch + 1
        run.n_epochs = max(run.n_epochs, run.epoch)
        run.progress = float(run.epoch)
        run.loss = None if loss is None else float(loss)
        run.message = f"Training: epoch {run.epoch}/{run.n_epochs}{loss_text}"

    callback = TrainingProgress(epoch_done)
    return callback

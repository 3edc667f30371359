"""Interactive apps for the notebooks: ``KMeansStepper``, ``ClusterLab`` and ``EmbeddingExplorer``.

Each app keeps its state and rules in a small ``traitlets.HasTraits`` model (validated with
``@validate``, reacting with ``@observe``), apart from a thin view made of ipywidgets controls
(or, for the explorer, an anywidget ES module in ``deepclust_lab/frontend/``). The models are
tested without a browser; the views only forward clicks and draw what the model holds.

``ClusterLab`` trains in a background thread so the notebook stays responsive while it runs. Its
state machine is::

    idle ──Retrain/Re-cluster──▶ running ──▶ done | stopped | failed ──▶ running ...

A second click while a run is going does nothing, Stop ends training after the current batch, and
every exception is shown in the app's output area (and kept in ``model.error``).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import io
import pathlib
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import anywidget
import ipywidgets as widgets
import numpy as np
import traitlets
from traitlets import (
    Bool,
    Bytes,
    Float,
    HasTraits,
    Instance,
    Int,
    List,
    Unicode,
    Union,
    observe,
    validate,
)

from deepclust_lab._checks import as_float_matrix, check_choice, check_int, check_labels

__all__ = [
    "RUN_STATES",
    "ClusterLab",
    "ClusterLabModel",
    "EmbeddingExplorer",
    "KMeansStepper",
    "KMeansStepperModel",
    "LabResult",
]

#: States of a ``ClusterLabModel`` run.
RUN_STATES = ("idle", "running", "done", "stopped", "failed")

# state -> states it may move to. A run can only start when no run is going.
_TRANSITIONS = {
    "idle": {"running"},
    "running": {"done", "stopped", "failed"},
    "done": {"running"},
    "stopped": {"running"},
    "failed": {"running"},
}

_FRONTEND = pathlib.Path(__file__).parent / "frontend"

# Extra colours after the kit's 8-colour palette, so that up to 12 clusters get distinct colours
# in the widgets (which, unlike the static plots, do not vary the marker).
_EXTRA_COLOURS = ("#999999", "#882255", "#44AA99", "#117733")

STEPPER_DATASETS = ("blobs", "moons", "circles", "anisotropic", "varied_density", "digits")
LAB_DATASETS = ("digits", "mnist_test", "fashion_mnist", "blobs", "moons")
PRESETS = {"fast demo": "fast", "full": "full"}
# Methods that train an autoencoder (the others have no epochs to show).
_TRAINED_METHODS = ("ae-kmeans", "dec", "idec", "n2d")
_BATCH_UPDATE_SECONDS = 0.1  # at most ~10 progress-bar updates a second within an epoch


def _preset_epochs(preset: str) -> int:
    """Autoencoder epochs of a ``DeepClusterer`` preset (the epochs box starts there)."""
    from deepclust_lab.pipeline import PRESETS as PIPELINE_PRESETS

    return int(PIPELINE_PRESETS[preset]["epochs"])


def _palette() -> list[str]:
    """Cluster colours: ``deepclust_lab.plotting.PALETTE`` (colour-blind safe), then extras."""
    from deepclust_lab.plotting import PALETTE

    return [*PALETTE, *(c for c in _EXTRA_COLOURS if c not in PALETTE)]


@functools.lru_cache(maxsize=8)
def _load(name: str, n_samples: int | None = None):
    """``data.load_dataset`` once per (name, size) per process: switching datasets is instant."""
    from deepclust_lab.data import load_dataset

    if n_samples is None:
        return load_dataset(name)
    return load_dataset(name, n_samples=n_samples)


def _project_2d(Z: np.ndarray, random_state: int = 0) -> tuple[np.ndarray, Callable | None]:
    """A 2-D view of ``Z`` (PCA when it has more than two columns) and the projection used."""
    if Z.shape[1] == 2:
        return np.asarray(Z, dtype=float), None
    if Z.shape[1] == 1:
        return np.column_stack([Z[:, 0], np.zeros(len(Z))]), None
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2, random_state=random_state).fit(Z)
    return pca.transform(Z), pca.transform


def _figure_png(fig) -> bytes:
    """PNG bytes of a matplotlib ``Figure`` (made without pyplot, so it is safe in threads)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi)
    return buffer.getvalue()


def _new_figure(width: float, height: float, ncols: int = 1):
    from matplotlib.figure import Figure

    # "tight" rather than "constrained": half the drawing time, which Re-cluster waits for
    fig = Figure(figsize=(width, height), dpi=80, layout="tight")
    axes = fig.subplots(1, ncols)
    return fig, axes


# --------------------------------------------------------------------------------------------
# KMeansStepper
# --------------------------------------------------------------------------------------------


class KMeansStepperModel(HasTraits):
    """State of the K-means stepper: the settings, the precomputed iterations and the current step.

    Changing any setting (``dataset``, ``n_clusters``, ``init``, ``seed``, ``n_samples``) reruns the
    kit's :class:`~deepclust_lab.kmeans.KMeans` with ``keep_history=True`` and goes back to step 0.

    Parameters
    ----------
    dataset : str, default="blobs"
        One of ``STEPPER_DATASETS``; data with more than two features is shown through PCA.
    n_clusters : int, default=4
    init : {"k-means++", "random"}, default="k-means++"
    seed : int, default=0
        ``random_state`` of the K-means run (one initialisation, ``n_init=1``).
    n_samples : int, default=300
        Points drawn for the toy datasets (``digits`` always uses its 1797 images).

    Attributes
    ----------
    history : list
        The ``KMeans.history_`` steps (``centers``, ``labels``, ``inertia``).
    points_2d : ndarray of shape (n_samples, 2)
        What the plot shows.
    step : int
        The step on display, ``0 <= step < n_steps``.

    Examples
    --------
    >>> model = KMeansStepperModel(dataset="blobs", n_clusters=3, seed=1)
    >>> model.n_steps == len(model.history) > 1
    True
    >>> model.step = model.n_steps - 1
    >>> bool(model.inertia[-1] <= model.inertia[0])
    True
    """

    dataset = Unicode("blobs")
    n_clusters = Int(4)
    init = Unicode("k-means++")
    seed = Int(0)
    n_samples = Int(300)
    step = Int(0)
    n_steps = Int(0)
    version = Int(0, help="Increases each time the iterations are recomputed.")

    def __init__(self, **kwargs: Any) -> None:
        self._ready = False
        self.history: list = []
        self.X = np.empty((0, 2))
        self.points_2d = np.empty((0, 2))
        self.centers_2d: list[np.ndarray] = []
        super().__init__(**kwargs)
        self._ready = True
        self.compute()

    @validate("dataset")
    def _check_dataset(self, proposal):
        return check_choice(proposal["value"], "dataset", STEPPER_DATASETS)

    @validate("n_clusters")
    def _check_n_clusters(self, proposal):
        return check_int(proposal["value"], "n_clusters", low=1, high=50)

    @validate("init")
    def _check_init(self, proposal):
        return check_choice(proposal["value"], "init", ("k-means++", "random"))

    @validate("seed")
    def _check_seed(self, proposal):
        return check_int(proposal["value"], "seed", low=0)

    @validate("n_samples")
    def _check_n_samples(self, proposal):
        return check_int(proposal["value"], "n_samples", low=10)

    @validate("step")
    def _check_step(self, proposal):
        step = check_int(proposal["value"], "step", low=0)
        if self.n_steps and step >= self.n_steps:
            raise ValueError(f"step must be < n_steps={self.n_steps}, got {step}")
        return step

    @observe("dataset", "n_clusters", "init", "seed", "n_samples")
    def _settings_changed(self, change) -> None:
        if self._ready:
            self.compute()

    @property
    def inertia(self) -> np.ndarray:
        """Inertia at each step."""
        return np.array([float(s.inertia) for s in self.history])

    def compute(self) -> None:
        """Run K-means on the current settings and keep every iteration."""
        from deepclust_lab.kmeans import KMeans

        n = None if self.dataset == "digits" else self.n_samples
        data = _load(self.dataset, n)
        X = np.asarray(data.X, dtype=float)
        check_int(self.n_clusters, "n_clusters", high=len(X))
        model = KMeans(
            n_clusters=self.n_clusters, init=self.init, n_init=1,
            random_state=self.seed, keep_history=True,
        ).fit(X)
        self.X = X
        self.history = list(model.history_)
        self.points_2d, project = _project_2d(X, random_state=0)
        centers = [np.asarray(s.centers, dtype=float) for s in self.history]
        self.centers_2d = [project(c) if project is not None else c[:, :2] for c in centers]
        self.step = 0
        self.n_steps = len(self.history)
        self.version += 1


def render_kmeans_step(model: KMeansStepperModel, step: int | None = None) -> bytes:
    """PNG of one K-means step: points, centroids and their paths, and the inertia curve.

    Parameters
    ----------
    model : KMeansStepperModel
    step : int, optional
        Defaults to ``model.step``.

    Returns
    -------
    bytes
        A PNG image.
    """
    step = model.step if step is None else step
    palette = _palette()
    current = model.history[step]
    labels = np.asarray(current.labels)
    fig, (ax, ax_curve) = _new_figure(9.5, 4.0, ncols=2)
    colours = [palette[int(c) % len(palette)] for c in labels]
    ax.scatter(model.points_2d[:, 0], model.points_2d[:, 1], c=colours, s=12, alpha=0.6,
               linewidths=0)
    path = np.stack(model.centers_2d[: step + 1])  # (steps, k, 2)
    for j in range(path.shape[1]):
        colour = palette[j % len(palette)]
        ax.plot(path[:, j, 0], path[:, j, 1], "-", color="black", lw=2.4, alpha=0.6)
        ax.plot(path[:, j, 0], path[:, j, 1], "-", color=colour, lw=1.4)
        ax.scatter(path[-1, j, 0], path[-1, j, 1], marker="X", s=200, color=colour,
                   edgecolors="black", linewidths=1.2, zorder=3)
    view = " (PCA view)" if model.X.shape[1] > 2 else ""
    ax.set_title(f"{model.dataset}{view}: step {step} of {model.n_steps - 1}")
    ax.set_xticks([])
    ax.set_yticks([])
    inertia = model.inertia
    ax_curve.plot(np.arange(len(inertia)), inertia, "-o", color="#0072B2", ms=4)
    ax_curve.axvline(step, color="#D55E00", lw=1, ls="--")
    ax_curve.plot([step], [inertia[step]], "o", color="#D55E00", ms=9)
    ax_curve.set_xlabel("step")
    ax_curve.set_ylabel("inertia")
    ax_curve.set_title(f"inertia {inertia[step]:.4g}")
    if len(inertia) <= 15:
        ax_curve.set_xticks(np.arange(len(inertia)))
    return _figure_png(fig)


class KMeansStepper(widgets.VBox):
    """Play through the iterations of the kit's K-means (notebook 02).

    Controls for the dataset, k, the initialisation and the seed; a Play button and a slider move
    through the precomputed steps; the picture shows the points coloured by their current cluster,
    the centroids with the path they have travelled, and the inertia curve with the current step.

    Parameters
    ----------
    dataset, n_clusters, init, seed, n_samples
        Starting settings, see :class:`KMeansStepperModel`.
    interval : int, default=700
        Milliseconds between steps while playing.

    Attributes
    ----------
    model : KMeansStepperModel
    play, slider, image : ipywidgets widgets

    Examples
    --------
    >>> stepper = KMeansStepper("blobs", n_clusters=3)
    >>> stepper.slider.value = stepper.slider.max
    >>> stepper.model.step == stepper.model.n_steps - 1
    True
    """

    def __init__(
        self,
        dataset: str = "blobs",
        n_clusters: int = 4,
        *,
        init: str = "k-means++",
        seed: int = 0,
        n_samples: int = 300,
        interval: int = 700,
    ) -> None:
        self.model = KMeansStepperModel(
            dataset=dataset, n_clusters=n_clusters, init=init, seed=seed, n_samples=n_samples
        )
        style = {"description_width": "initial"}
        self.dataset = widgets.Dropdown(options=STEPPER_DATASETS, description="dataset",
                                        style=style)
        self.k = widgets.IntSlider(min=1, max=12, description="k", continuous_update=False)
        self.init = widgets.ToggleButtons(options=("k-means++", "random"), description="init",
                                          style={"button_width": "90px"})
        self.seed = widgets.BoundedIntText(min=0, max=10**6, description="seed",
                                           layout=widgets.Layout(width="150px"))
        self.play = widgets.Play(min=0, interval=interval, description="play")
        self.slider = widgets.IntSlider(min=0, description="step", continuous_update=True)
        self.image = widgets.Image(format="png")
        self.output = widgets.Output()
        for control, name in ((self.dataset, "dataset"), (self.k, "n_clusters"),
                              (self.init, "init"), (self.seed, "seed")):
            widgets.link((self.model, name), (control, "value"))
        widgets.dlink((self.model, "n_steps"), (self.slider, "max"),
                      transform=lambda n: max(n - 1, 0))
        widgets.dlink((self.model, "n_steps"), (self.play, "max"),
                      transform=lambda n: max(n - 1, 0))
        widgets.link((self.play, "value"), (self.slider, "value"))
        widgets.link((self.slider, "value"), (self.model, "step"))
        self._cache: dict[tuple[int, int], bytes] = {}
        self.model.observe(self._redraw, names=["step", "version"])
        self._redraw()
        super().__init__([
            widgets.HBox([self.dataset, self.k]),
            widgets.HBox([self.init, self.seed]),
            widgets.HBox([self.play, self.slider]),
            self.image,
            self.output,
        ])
        self.add_class("dcl-kmeans-stepper")

    def _redraw(self, change=None) -> None:
        key = (self.model.version, self.model.step)
        if key not in self._cache:
            if len(self._cache) > 200:
                self._cache.clear()
            try:
                self._cache[key] = render_kmeans_step(self.model)
            except Exception:
                self.output.append_stderr(traceback.format_exc())
                return
        self.image.value = self._cache[key]


# --------------------------------------------------------------------------------------------
# ClusterLab
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class LabResult:
    """What one ClusterLab run produced.

    Attributes
    ----------
    embedding : ndarray of shape (n_samples, d)
        The codes of the training data (reused by Re-cluster).
    view_2d : ndarray of shape (n_samples, 2)
        The 2-D view that the plots and the explorer show (PCA of ``embedding``).
    labels : ndarray of shape (n_samples,)
    y : ndarray or None
        True labels, when the dataset has them.
    scores : dict
        The metrics table.
    dataset : str
    action : {"retrain", "recluster"}
    seconds : float
        Wall time of the run, from the click to the result.
    epochs_run : int
    """

    embedding: np.ndarray
    view_2d: np.ndarray
    labels: np.ndarray
    y: np.ndarray | None
    scores: dict
    dataset: str
    action: str
    seconds: float
    epochs_run: int = 0


class _Stopped(Exception):
    """Raised inside a run when Stop was pressed before training began."""


class ClusterLabModel(HasTraits):
    """State machine behind :class:`ClusterLab`: settings, the running job and its result.

    ``retrain()`` fits a :class:`~deepclust_lab.pipeline.DeepClusterer` in a background thread;
    ``recluster()`` reuses the last embedding and only redoes the clustering (the kit's K-means);
    ``stop()`` asks training to end after the current batch; ``wait()`` blocks until the run ends.

    Parameters
    ----------
    dataset : str, default="digits"
    method : str, default="ae-kmeans"
        One of ``deepclust_lab.pipeline.METHODS``.
    preset : {"fast", "full"}, default="fast"
        Passed to ``DeepClusterer``; changing it resets ``epochs`` to the preset's default.
    embedding_dim : int, default=10
    epochs : int, optional
        Autoencoder epochs; the preset's (``pipeline.PRESETS``) when not given.
    n_clusters : int, default=10
    seed : int, default=0

    Attributes
    ----------
    state : str
        One of ``RUN_STATES``; only the transitions of the state machine are accepted.
    epoch, n_epochs, loss
        Training progress (``epoch`` counts finished epochs; ``progress`` also counts batches).
    message : str
        One line for the status label.
    error : str
        Traceback of the last failure ("" when the last run did not fail).
    result : LabResult or None
    clusterer_ : the last fitted DeepClusterer
    timings : dict
        Seconds from the click to ``training_started`` (model built, Keras compiles next),
        ``first_progress`` (the bar first moves), ``first_epoch``,
        ``fitted`` and ``done`` (result drawn), for the benchmarks.

    Examples
    --------
    >>> model = ClusterLabModel(dataset="digits", preset="fast")
    >>> model.state
    'idle'
    >>> model.state = "done"
    Traceback (most recent call last):
    ...
    traitlets.traitlets.TraitError: state cannot go from 'idle' to 'done'; ...
    """

    dataset = Unicode("digits")
    method = Unicode("ae-kmeans")
    preset = Unicode("fast")
    embedding_dim = Int(10)
    epochs = Int(30)
    n_clusters = Int(10)
    seed = Int(0)

    state = Unicode("idle")
    action = Unicode("")
    epoch = Int(0)
    n_epochs = Int(0)
    progress = Float(0.0)
    loss = Float(None, allow_none=True)
    message = Unicode("Press Retrain to train the embedding and cluster.")
    error = Unicode("")
    has_embedding = Bool(False)
    result = Instance(LabResult, allow_none=True)

    def __init__(self, **kwargs: Any) -> None:
        self._ready = False
        kwargs.setdefault("preset", "fast")
        if "epochs" not in kwargs:
            kwargs["epochs"] = _preset_epochs(kwargs["preset"])
        super().__init__(**kwargs)
        self._ready = True
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self._stopper = None
        self.clusterer_ = None
        self.timings: dict[str, float] = {}
        self._t0 = 0.0

    # -- validation --------------------------------------------------------------------------
    @validate("state")
    def _check_state(self, proposal):
        new = check_choice(proposal["value"], "state", RUN_STATES)
        old = self.state
        if new != old and new not in _TRANSITIONS[old]:
            raise traitlets.TraitError(
                f"state cannot go from {old!r} to {new!r}; allowed: {sorted(_TRANSITIONS[old])}"
            )
        return new

    @validate("dataset")
    def _check_dataset(self, proposal):
        value = proposal["value"]
        if not isinstance(value, str) or not value:
            raise traitlets.TraitError(f"dataset must be a dataset name, got {value!r}")
        return value

    @validate("method")
    def _check_method(self, proposal):
        return check_choice(proposal["value"], "method", _methods())

    @validate("preset")
    def _check_preset(self, proposal):
        return check_choice(proposal["value"], "preset", tuple(PRESETS.values()))

    @validate("embedding_dim")
    def _check_embedding_dim(self, proposal):
        return check_int(proposal["value"], "embedding_dim", low=2, high=512)

    @validate("epochs")
    def _check_epochs(self, proposal):
        return check_int(proposal["value"], "epochs", low=1, high=10_000)

    @validate("n_clusters")
    def _check_n_clusters(self, proposal):
        return check_int(proposal["value"], "n_clusters", low=2, high=200)

    @validate("seed")
    def _check_seed(self, proposal):
        return check_int(proposal["value"], "seed", low=0)

    @observe("preset")
    def _preset_changed(self, change) -> None:
        if self._ready:  # a preset given with explicit epochs at construction keeps them
            self.epochs = _preset_epochs(change["new"])

    @observe("dataset")
    def _dataset_changed(self, change) -> None:
        # The stored embedding belongs to the old dataset: Re-cluster needs a Retrain first.
        self.has_embedding = self.result is not None and self.result.dataset == change["new"]

    # -- public actions ----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.state == "running"

    def retrain(self) -> bool:
        """Start training the embedding and clustering; ``False`` if a run is already going."""
        return self._start("retrain", self._retrain_job)

    def recluster(self) -> bool:
        """Redo only the clustering on the last embedding; ``False`` if a run is going.

        Raises
        ------
        RuntimeError
            When there is no embedding of the current dataset yet (press Retrain first).
        """
        if not self.has_embedding and not self.running:
            raise RuntimeError(
                "Re-cluster reuses the last embedding, and there is none for "
                f"dataset {self.dataset!r} yet: press Retrain first"
            )
        return self._start("recluster", self._recluster_job)

    def stop(self) -> bool:
        """Ask the running training to stop after its current batch; ``False`` if none runs."""
        if not self.running:
            return False
        self._stop_event.set()
        stopper = self._stopper
        if stopper is not None:
            stopper.request_stop()
        self.message = "Stopping after the current batch…"
        return True

    def wait(self, timeout: float | None = 60.0) -> str:
        """Block until the current run ends and return the final state.

        Raises
        ------
        TimeoutError
            If the run is still going after ``timeout`` seconds.
        """
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                raise TimeoutError(f"the {self.action} run did not finish in {timeout} s")
        return self.state

    # -- the run machinery -------------------------------------------------------------------
    def _start(self, action: str, job: Callable[[], LabResult]) -> bool:
        with self._lock:  # the check and the change of state are one step: no double starts
            if self.state == "running":
                return False
            self._t0 = time.perf_counter()
            self.timings = {}
            self._stop_event.clear()
            self._stopper = None
            self.error = ""
            self.action = action
            self.epoch = 0
            self.progress = 0.0
            self.loss = None
            trains = action == "retrain" and self.method in _TRAINED_METHODS
            self.n_epochs = self.epochs if trains else 0
            self._phase = 0
            self._last_batch_update = 0.0
            self.message = "Starting…"
            self.state = "running"
            self._thread = threading.Thread(
                target=self._run, args=(job,), name=f"deepclust-lab-{action}", daemon=True
            )
            self._thread.start()
        return True

    def _run(self, job: Callable[[], LabResult]) -> None:
        final, message = "failed", "Failed."
        try:
            result = job()
        except _Stopped:
            final, message = "stopped", "Stopped before training started."
        except Exception as err:
            self.error = traceback.format_exc()
            message = f"Failed: {type(err).__name__}: {err}"
        else:
            self.timings["fitted"] = time.perf_counter() - self._t0
            try:
                self.result = result
                self.has_embedding = True
            except Exception as err:  # a view could not draw the result
                self.error = traceback.format_exc()
                message = f"Failed: {type(err).__name__}: {err}"
            else:
                stopped = self._stop_event.is_set()
                final = "stopped" if stopped else "done"
                verb = "Stopped" if stopped else "Done"
                what = (f"after {result.epochs_run} of {self.n_epochs} epochs"
                        if result.action == "retrain" else "re-clustered")
                message = f"{verb} {what} in {result.seconds:.1f} s."
        self.timings["done"] = time.perf_counter() - self._t0
        self.message = message
        self.state = final

    # Progress, called from the training thread by _LabProgress (a Keras callback). Phase 1 is
    # the autoencoder (epochs: the progress bar), phase 2 a DEC/IDEC refinement (target updates).
    def _phase_started(self, phase: int) -> None:
        self._phase = phase
        if phase == 1:
            self.timings.setdefault("training_started", time.perf_counter() - self._t0)
            self.message = f"Training: epoch 0/{self.n_epochs} (compiling the model…)"
        else:
            self.message = f"Refining the clusters ({self.method.upper()})…"

    def _note_first_progress(self) -> None:
        if "first_progress" not in self.timings:
            self.timings["first_progress"] = time.perf_counter() - self._t0

    def _batch_done(self, epoch: int, batch: int, steps: int) -> None:
        if self._phase != 1 or steps <= 0:
            return
        now = time.perf_counter()
        if "first_progress" in self.timings and now - self._last_batch_update < _BATCH_UPDATE_SECONDS:
            return
        self._last_batch_update = now
        self._note_first_progress()
        self.progress = min(epoch + (batch + 1) / steps, float(max(self.n_epochs, 1)))

    def _epoch_done(self, epoch: int, logs: dict) -> None:
        """``epoch`` is 0-based, as in Keras; ``logs`` holds the loss."""
        loss = logs.get("loss")
        loss_text = "" if loss is None else f" · loss {float(loss):.4f}"
        if self._phase > 1:
            delta = logs.get("delta_label")
            changed = "" if delta is None else f" · {100 * float(delta):.1f}% labels changed"
            self.message = (f"Refining the clusters ({self.method.upper()}): update {epoch + 1}"
                            f"{loss_text}{changed}")
            return
        self._note_first_progress()
        self.timings.setdefault("first_epoch", time.perf_counter() - self._t0)
        self.epoch = epoch + 1
        self.n_epochs = max(self.n_epochs, self.epoch)
        self.progress = float(self.epoch)
        self.loss = None if loss is None else float(loss)
        self.message = f"Training: epoch {self.epoch}/{self.n_epochs}{loss_text}"

    def _build_clusterer(self, callbacks: list):
        """The estimator a Retrain fits (tests replace this to inject failures)."""
        from deepclust_lab.pipeline import DeepClusterer

        return DeepClusterer(
            n_clusters=self.n_clusters, method=self.method, embedding_dim=self.embedding_dim,
            epochs=self.epochs, random_state=self.seed, preset=self.preset, callbacks=callbacks,
        )

    def _make_callbacks(self) -> list:
        from deepclust_lab.autoencoder import StopTraining

        self._stopper = StopTraining()
        if self._stop_event.is_set():  # Stop was pressed while we were getting ready
            self._stopper.request_stop()
        return [_lab_progress_callback(self), self._stopper]

    def _retrain_job(self) -> LabResult:
        self.message = f"Loading {self.dataset}…"
        data = _load(self.dataset)
        X = np.asarray(data.X)
        callbacks = self._make_callbacks()
        if self._stop_event.is_set():
            raise _Stopped
        if self.n_epochs:
            self.message = "Building the autoencoder…"
        else:
            self.message = f"Clustering with {self.method!r} (no training epochs)…"
        clusterer = self._build_clusterer(callbacks)
        clusterer.fit(X)
        self.clusterer_ = clusterer
        embedding = np.asarray(clusterer.embedding_, dtype=float)
        labels = np.asarray(clusterer.labels_)
        return self._make_result(embedding, labels, data.y, "retrain")

    def _recluster_job(self) -> LabResult:
        from deepclust_lab.kmeans import KMeans

        previous = self.result
        self.message = f"Re-clustering into k={self.n_clusters}…"
        labels = KMeans(n_clusters=self.n_clusters, n_init=4, random_state=self.seed).fit_predict(
            previous.embedding
        )
        return self._make_result(previous.embedding, labels, previous.y, "recluster",
                                 view_2d=previous.view_2d, epochs_run=previous.epochs_run)

    def _make_result(self, embedding, labels, y, action, *, view_2d=None, epochs_run=None):
        if view_2d is None:
            view_2d, _ = _project_2d(embedding, random_state=0)
        scores = _scores(embedding, y, labels)
        return LabResult(
            embedding=embedding, view_2d=view_2d, labels=np.asarray(labels), y=y,
            scores=scores, dataset=self.dataset, action=action,
            seconds=time.perf_counter() - self._t0,
            epochs_run=self.epoch if epochs_run is None else epochs_run,
        )


def _lab_progress_callback(model: ClusterLabModel):
    """A Keras callback that reports to ``model``: every epoch, and within epochs by batch."""
    from deepclust_lab.autoencoder import EpochCallback

    class _LabProgress(EpochCallback):
        def __init__(self) -> None:
            super().__init__(self._epoch_end)
            self.phase = 0
            self.current_epoch = 0

        def on_train_begin(self, logs=None) -> None:
            self.phase += 1
            model._phase_started(self.phase)

        def on_epoch_begin(self, epoch, logs=None) -> None:
            self.current_epoch = int(epoch)

        def on_train_batch_end(self, batch, logs=None) -> None:
            steps = (getattr(self, "params", None) or {}).get("steps") or 0
            model._batch_done(self.current_epoch, int(batch), int(steps))

        def _epoch_end(self, epoch: int, logs: dict) -> None:
            model._epoch_done(epoch, logs)

    return _LabProgress()


def _methods() -> tuple[str, ...]:
    from deepclust_lab.pipeline import METHODS

    return tuple(METHODS)


def _scores(embedding: np.ndarray, y: np.ndarray | None, labels: np.ndarray) -> dict:
    """The metrics table: external scores when true labels exist, and the silhouette of the
    embedding (estimated on at most 1000 samples)."""
    scores: dict[str, float] = {}
    if y is not None:
        from deepclust_lab.metrics import external_scores

        scores.update({k: float(v) for k, v in external_scores(y, labels).items()})
    n_clusters = len(np.unique(labels))
    if 1 < n_clusters < len(labels):
        from sklearn.metrics import silhouette_score

        sample = min(len(labels), 1000)  # an estimate, seeded: the full one is O(n²)
        scores["silhouette (embedding)"] = float(
            silhouette_score(embedding, labels, sample_size=sample, random_state=0)
        )
    scores["clusters found"] = float(n_clusters)
    return scores


_TABLE_ROWS = ("ACC", "NMI", "ARI", "AMI", "purity", "silhouette (embedding)", "clusters found")


def _scores_html(scores: dict | None) -> str:
    """The metrics table (the main scores; ``LabResult.scores`` holds them all)."""
    if scores is None:
        rows = {name: None for name in _TABLE_ROWS if name != "clusters found"}
    else:
        rows = {name: scores[name] for name in _TABLE_ROWS if name in scores}
    cells = []
    for name, value in rows.items():
        if value is None:
            text = "—"
        elif name == "clusters found":
            text = str(int(value))
        else:
            text = f"{value:.3f}"
        cells.append(f"<tr><th style='text-align:left;padding-right:1em'>{name}</th>"
                     f"<td style='text-align:right'>{text}</td></tr>")
    return ("<table class='dcl-metrics-table'><thead><tr><th style='text-align:left'>metric"
            "</th><th>value</th></tr></thead><tbody>" + "".join(cells) + "</tbody></table>")


def render_lab_result(result: LabResult) -> tuple[bytes, bytes | None]:
    """PNGs of a ClusterLab result: the 2-D embedding coloured by cluster, and the confusion matrix.

    Returns
    -------
    embedding_png : bytes
    confusion_png : bytes or None
        ``None`` when the dataset has no true labels.
    """
    from deepclust_lab.plotting import plot_confusion_matrix, plot_embedding

    fig, ax = _new_figure(5.2, 4.4)
    plot_embedding(result.view_2d, result.labels, ax=ax,
                   title=f"{result.dataset}: embedding (PCA view), {len(np.unique(result.labels))}"
                         " clusters")
    embedding_png = _figure_png(fig)
    if result.y is None:
        return embedding_png, None
    fig, ax = _new_figure(5.2, 4.4)
    plot_confusion_matrix(result.y, result.labels, ax=ax, title="confusion matrix")
    return embedding_png, _figure_png(fig)


class ClusterLab(widgets.VBox):
    """Retrain, re-cluster and stop a deep clustering pipeline from buttons (notebook 04).

    Controls for the dataset, method, embedding size, epochs, k, seed and preset; buttons
    **Retrain** (fit the embedding and cluster), **Re-cluster** (reuse the embedding, redo only
    the clustering: instant) and **Stop**; a progress bar per epoch with the loss; a metrics
    table; the embedding coloured by cluster and the confusion matrix. Training runs in a
    background thread; buttons are disabled while it runs; errors appear in the output area.

    Parameters
    ----------
    dataset : str, default="digits"
    method : str, optional
        Defaults to ``"ae-kmeans"``.
    preset : {"fast", "full"}, default="fast"
    n_clusters, embedding_dim, seed : int
    epochs : int, optional
        Defaults to the preset's number of epochs.
    title : str, optional
        A heading above the controls.
    datasets : sequence of str
        The choices offered in the dataset menu.

    Attributes
    ----------
    model : ClusterLabModel
    retrain_button, recluster_button, stop_button : ipywidgets.Button
    progress : ipywidgets.FloatProgress
    status : ipywidgets.HTML
    metrics : ipywidgets.HTML
    output : ipywidgets.Output
        Tracebacks of failed runs land here.

    Examples
    --------
    >>> lab = ClusterLab("digits", preset="fast")       # doctest: +SKIP
    >>> lab.retrain_button.click(); lab.wait()           # doctest: +SKIP
    'done'
    >>> lab.n_clusters.value = 8; lab.recluster_button.click(); lab.wait()  # doctest: +SKIP
    'done'
    """

    def __init__(
        self,
        dataset: str = "digits",
        method: str | None = None,
        *,
        preset: str = "fast",
        n_clusters: int = 10,
        embedding_dim: int = 10,
        epochs: int | None = None,
        seed: int = 0,
        title: str | None = None,
        datasets: Sequence[str] = LAB_DATASETS,
    ) -> None:
        settings = dict(dataset=dataset, preset=preset, n_clusters=n_clusters,
                        embedding_dim=embedding_dim, seed=seed)
        if method is not None:
            settings["method"] = method
        if epochs is not None:
            settings["epochs"] = epochs
        self.model = ClusterLabModel(**settings)
        # Import Keras now (≈ 2-3 s), not on the first click.
        importlib.import_module("deepclust_lab.autoencoder")

        style = {"description_width": "initial"}
        narrow = widgets.Layout(width="170px")
        options = list(datasets) if dataset in datasets else [dataset, *datasets]
        self.dataset = widgets.Dropdown(options=options, description="dataset", style=style,
                                        layout=widgets.Layout(width="220px"))
        self.method = widgets.Dropdown(options=_methods(), description="method", style=style,
                                       layout=widgets.Layout(width="200px"))
        self.preset = widgets.Dropdown(options=list(PRESETS.items()), description="preset",
                                       style=style, layout=widgets.Layout(width="200px"))
        self.embedding_dim = widgets.BoundedIntText(min=2, max=512, description="embedding size",
                                                    style=style, layout=narrow)
        self.epochs = widgets.BoundedIntText(min=1, max=10_000, description="epochs",
                                             style=style, layout=narrow)
        self.n_clusters = widgets.BoundedIntText(min=2, max=200, description="k", style=style,
                                                 layout=narrow)
        self.seed = widgets.BoundedIntText(min=0, max=10**6, description="seed", style=style,
                                           layout=narrow)
        self._controls = [self.dataset, self.method, self.preset, self.embedding_dim,
                          self.epochs, self.n_clusters, self.seed]
        for control in self._controls:
            name = "n_clusters" if control is self.n_clusters else control.description
            name = {"embedding size": "embedding_dim"}.get(name, name)
            widgets.link((self.model, name), (control, "value"))

        self.retrain_button = widgets.Button(description="Retrain", icon="play",
                                             button_style="primary",
                                             tooltip="Train the embedding, then cluster")
        self.recluster_button = widgets.Button(description="Re-cluster", icon="refresh",
                                               tooltip="Reuse the embedding; redo the clustering")
        self.stop_button = widgets.Button(description="Stop", icon="stop", button_style="danger",
                                          tooltip="Stop training after the current batch")
        self.progress = widgets.FloatProgress(min=0, max=1, value=0, description="epochs",
                                              layout=widgets.Layout(width="320px"))
        self.status = widgets.HTML()
        self.metrics = widgets.HTML(_scores_html(None))
        self.embedding_image = widgets.Image(format="png", layout=widgets.Layout(width="416px"))
        self.confusion_image = widgets.Image(format="png", layout=widgets.Layout(width="416px"))
        self.output = widgets.Output(layout=widgets.Layout(max_height="240px", overflow="auto"))
        self.progress.add_class("dcl-progress")
        self.status.add_class("dcl-status")
        self.metrics.add_class("dcl-metrics")
        self.output.add_class("dcl-output")

        self.retrain_button.on_click(self._clicked(self.model.retrain))
        self.recluster_button.on_click(self._clicked(self.model.recluster))
        self.stop_button.on_click(self._clicked(self.model.stop))
        self.model.observe(self._state_changed, names=["state", "has_embedding"])
        self.model.observe(self._progress_changed, names=["progress", "n_epochs", "message", "state"])
        self.model.observe(self._error_changed, names=["error"])
        self.model.observe(self._result_changed, names=["result"])
        self._state_changed()
        self._progress_changed()

        children = []
        if title:
            children.append(widgets.HTML(f"<h3 style='margin:0'>{title}</h3>"))
        children += [
            widgets.HBox([self.dataset, self.method, self.preset]),
            widgets.HBox([self.embedding_dim, self.epochs, self.n_clusters, self.seed]),
            widgets.HBox([self.retrain_button, self.recluster_button, self.stop_button]),
            widgets.HBox([self.progress, self.status]),
            widgets.HBox([self.metrics, self.embedding_image, self.confusion_image]),
            self.output,
        ]
        super().__init__(children)
        self.add_class("dcl-cluster-lab")

    # -- forwarding to the model -------------------------------------------------------------
    @property
    def state(self) -> str:
        return self.model.state

    @property
    def result(self) -> LabResult | None:
        return self.model.result

    def retrain(self) -> bool:
        """Same as pressing Retrain."""
        return self.model.retrain()

    def recluster(self) -> bool:
        """Same as pressing Re-cluster."""
        return self.model.recluster()

    def stop(self) -> bool:
        """Same as pressing Stop."""
        return self.model.stop()

    def wait(self, timeout: float | None = 60.0) -> str:
        """Block until the current run ends; returns the final state."""
        return self.model.wait(timeout)

    def explorer(self, *, max_points: int = 2000) -> EmbeddingExplorer:
        """An :class:`EmbeddingExplorer` of the last result (images when the dataset has them)."""
        result = self.model.result
        if result is None:
            raise RuntimeError("nothing to explore yet: press Retrain first")
        data = _load(result.dataset)
        return EmbeddingExplorer(
            result.view_2d, result.labels, images=data.X if data.image_shape else None,
            image_shape=data.image_shape, true_labels=result.y, max_points=max_points,
            title=f"{result.dataset}: embedding coloured by cluster",
        )

    # -- view updates ------------------------------------------------------------------------
    def _clicked(self, action: Callable[[], bool]) -> Callable:
        def handler(_button) -> None:
            try:
                action()
            except Exception as err:
                self.output.append_stderr(f"{type(err).__name__}: {err}\n")

        return handler

    def _state_changed(self, change=None) -> None:
        running = self.model.state == "running"
        self.retrain_button.disabled = running
        self.recluster_button.disabled = running or not self.model.has_embedding
        self.stop_button.disabled = not running
        for control in self._controls:
            control.disabled = running

    def _progress_changed(self, change=None) -> None:
        model = self.model
        self.progress.max = max(model.n_epochs, 1)
        self.progress.value = min(model.progress, self.progress.max)
        colour = {"failed": "#D55E00", "stopped": "#E69F00", "done": "#009E73"}.get(
            model.state, "inherit")
        self.status.value = (f"<span class='dcl-state' data-state='{model.state}' "
                             f"style='color:{colour}'>{_escape(model.message)}</span>")

    def _error_changed(self, change) -> None:
        if change["new"]:
            self.output.append_stderr(change["new"])

    def _result_changed(self, change) -> None:
        result = change["new"]
        if result is None:
            return
        embedding_png, confusion_png = render_lab_result(result)
        self.embedding_image.value = embedding_png
        self.confusion_image.value = confusion_png or b""
        self.confusion_image.layout.display = None if confusion_png else "none"
        self.metrics.value = _scores_html(result.scores)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --------------------------------------------------------------------------------------------
# EmbeddingExplorer
# --------------------------------------------------------------------------------------------


def _images_to_bytes(images: Any, n: int, image_shape: Sequence[int] | None) -> tuple[bytes, list]:
    """Greyscale images as one uint8 byte string (row-major), scaled to 0..255 over the array."""
    if images is None:
        return b"", []
    arr = np.asarray(images, dtype=float)
    if arr.ndim == 3:
        image_shape = image_shape or arr.shape[1:]
        arr = arr.reshape(len(arr), -1)
    if image_shape is None:
        raise ValueError("image_shape is needed when images are given as rows, e.g. (8, 8)")
    shape = [check_int(s, "image_shape", low=1) for s in image_shape][:2]
    if len(shape) != 2 or arr.ndim != 2 or arr.shape[1] != shape[0] * shape[1]:
        raise ValueError(
            f"images must be (n_samples, {'x'.join(map(str, shape))} pixels) for image_shape "
            f"{tuple(shape)}, got an array of shape {arr.shape}"
        )
    if len(arr) != n:
        raise ValueError(f"images has {len(arr)} rows but the embedding has {n}")
    low, high = float(np.min(arr)), float(np.max(arr))
    scaled = (arr - low) / (high - low) if high > low else np.zeros_like(arr)
    return np.round(scaled * 255).astype(np.uint8).tobytes(), shape


class EmbeddingExplorer(anywidget.AnyWidget):
    """A scatter of a 2-D embedding coloured by cluster, with images on hover (anywidget).

    Hovering a point shows that sample's image and true label; clicking a point or a legend
    entry selects its cluster and shows a grid of its members. The selection is synced back:
    ``selected_cluster`` (settable from Python too) and ``selected_indices`` (rows of the
    original data). The front-end is ``deepclust_lab/frontend/explorer.js`` (plain SVG, no
    external libraries, no network), so it runs in JupyterLab, Notebook 7 and VS Code.

    Parameters
    ----------
    embedding : array-like of shape (n_samples, d)
        Shown as is when ``d == 2``, through PCA otherwise.
    labels : array-like of shape (n_samples,)
        Cluster id of each sample (integers).
    images : array-like of shape (n_samples, h * w) or (n_samples, h, w), optional
        Greyscale images, e.g. ``Dataset.X`` of digits (8x8) or MNIST (28x28).
    image_shape : tuple of int, optional
        ``(h, w)``; needed when images are rows.
    true_labels : array-like of shape (n_samples,), optional
    max_points : int, default=2000
        Larger inputs are subsampled (seeded) to keep the page light.
    random_state : int, default=0
    title : str, default=""

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> digits = load_digits()
    >>> explorer = EmbeddingExplorer(digits.data, digits.target % 3, images=digits.data,
    ...                              image_shape=(8, 8), true_labels=digits.target,
    ...                              max_points=500)
    >>> explorer.selected_cluster = 2
    >>> all(digits.target[i] % 3 == 2 for i in explorer.selected_indices)
    True
    """

    _esm = _FRONTEND / "explorer.js"
    _css = _FRONTEND / "explorer.css"

    x = List(Float()).tag(sync=True)
    y = List(Float()).tag(sync=True)
    labels = List(Int()).tag(sync=True)
    true_labels = List(Union([Int(), Unicode()])).tag(sync=True)
    images = Bytes(b"").tag(sync=True)
    image_shape = List(Int()).tag(sync=True)
    palette = List(Unicode()).tag(sync=True)
    title = Unicode("").tag(sync=True)
    max_grid = Int(120).tag(sync=True)
    selected_cluster = Int(None, allow_none=True).tag(sync=True)
    selected_indices = List(Int()).tag(sync=True)
    sample_indices = List(Int(), help="Row of the original data behind each point shown.")

    def __init__(
        self,
        embedding: Any,
        labels: Any,
        *,
        images: Any = None,
        image_shape: Sequence[int] | None = None,
        true_labels: Any = None,
        max_points: int = 2000,
        random_state: int = 0,
        title: str = "",
        **kwargs: Any,
    ) -> None:
        Z = as_float_matrix(embedding, "embedding")
        n = len(Z)
        cluster_ids = check_labels(labels, "labels", n_samples=n)
        if cluster_ids.dtype.kind not in "iu":
            raise TypeError(f"labels must be integer cluster ids, got dtype {cluster_ids.dtype}")
        truth = None
        if true_labels is not None:
            truth = check_labels(true_labels, "true_labels", n_samples=n)
        max_points = check_int(max_points, "max_points", low=1)
        pixels, shape = _images_to_bytes(images, n, image_shape)
        keep = np.arange(n)
        if n > max_points:
            rng = np.random.default_rng(random_state)
            keep = np.sort(rng.choice(n, size=max_points, replace=False))
        view, _ = _project_2d(Z, random_state=random_state)
        if pixels:
            size = shape[0] * shape[1]
            rows = np.frombuffer(pixels, dtype=np.uint8).reshape(n, size)
            pixels = rows[keep].tobytes()
        super().__init__(
            x=view[keep, 0].tolist(),
            y=view[keep, 1].tolist(),
            labels=cluster_ids[keep].astype(int).tolist(),
            true_labels=[] if truth is None else truth[keep].tolist(),
            images=pixels,
            image_shape=list(shape),
            palette=_palette(),
            title=title,
            sample_indices=keep.tolist(),
            **kwargs,
        )

    @classmethod
    def from_dataset(cls, dataset: Any, labels: Any, embedding: Any = None,
                     **kwargs: Any) -> EmbeddingExplorer:
        """Build from a :class:`~deepclust_lab.data.Dataset` (images and true labels included).

        ``embedding`` defaults to the dataset's own features (shown through PCA).
        """
        X = dataset.X if embedding is None else embedding
        images = dataset.X if dataset.image_shape else None
        kwargs.setdefault("title", f"{dataset.name}: coloured by cluster")
        return cls(X, labels, images=images, image_shape=dataset.image_shape,
                   true_labels=dataset.y, **kwargs)

    @validate("selected_cluster")
    def _check_selected_cluster(self, proposal):
        value = proposal["value"]
        if value is not None and value not in set(self.labels):
            raise traitlets.TraitError(
                f"selected_cluster must be one of the clusters {sorted(set(self.labels))} "
                f"or None, got {value!r}"
            )
        return value

    @validate("image_shape")
    def _check_image_shape(self, proposal):
        shape = list(proposal["value"])
        if shape and (len(shape) != 2 or min(shape) < 1):
            raise traitlets.TraitError(f"image_shape must be [rows, cols] or [], got {shape}")
        return shape

    @validate("max_grid")
    def _check_max_grid(self, proposal):
        return check_int(proposal["value"], "max_grid", low=1)

    @observe("selected_cluster", "labels")
    def _selection_changed(self, change) -> None:
        cluster = self.selected_cluster
        if cluster is not None and cluster not in set(self.labels):
            self.selected_cluster = None
            return
        if cluster is None:
            self.selected_indices = []
        else:
            self.selected_indices = [s for s, c in zip(self.sample_indices, self.labels,
                                                       strict=True) if c == cluster]

    def image_of(self, position: int) -> np.ndarray:
        """The uint8 image of the ``position``-th point shown (what the tooltip draws)."""
        h, w = self.image_shape
        start = position * h * w
        return np.frombuffer(self.images[start:start + h * w], dtype=np.uint8).reshape(h, w)

"""``ClusterLab``: retrain, re-cluster and stop a deep clustering pipeline from buttons (notebook 04).

``ClusterLabModel`` holds the settings and runs Retrain and Re-cluster in a background thread
(``_background.BackgroundRun``); ``ClusterLab`` is its view.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import importlib
import threading
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import ipywidgets as widgets
import numpy as np
import traitlets
from traitlets import Bool, Instance, Int, Unicode, observe, validate

from deepclust_lab._checks import check_choice
from deepclust_lab.kmeans import KMeans
from deepclust_lab.metrics import external_scores, internal_scores
from deepclust_lab.pipeline import METHODS, PRESETS, DeepClusterer
from deepclust_lab.widgets import _common
from deepclust_lab.widgets._background import BackgroundRun, Stopped, training_progress

__all__ = ["LAB_DATASETS", "ClusterLab", "ClusterLabModel", "LabResult", "render_lab_result"]

LAB_DATASETS = ("digits", "mnist_test", "fashion_mnist", "blobs", "moons")
PRESET_LABELS = {"fast": "fast demo", "full": "full"}  # how the preset menu names them
# "manifold" trains an autoencoder too (DeepClusterer's embed="auto"); "kmeans" has no network
_TRAINED_METHODS = ("ae-kmeans", "dec", "idec", "n2d", "manifold")
# what follows the autoencoder's epochs, as the status names it: (the stage, one of its steps)
_STAGES = {"dec": ("DEC refinement", "update"), "idec": ("IDEC refinement", "update"),
           "manifold": ("UMAP runs", "run")}
_IMAGE = (640, 520)  # pixels of each result image, shown 1:1, so a 12 pt label reads as 12 pt
_TABLE_ROWS = ("ACC", "NMI", "ARI", "AMI", "purity", "silhouette (embedding)", "clusters found")


@dataclasses.dataclass
class LabResult:
    """What one ClusterLab run produced."""

    embedding: np.ndarray  # (n_samples, d): codes of the training data, reused by Re-cluster
    view_2d: np.ndarray  # (n_samples, 2): what the plots and the explorer show (PCA)
    labels: np.ndarray  # (n_samples,)
    y: np.ndarray | None  # true labels, when the dataset has them
    scores: dict  # the metrics table, see _scores
    dataset: str
    action: str  # "retrain" or "recluster"
    seconds: float  # wall time from the click to the result
    epochs_run: int = 0


class ClusterLabModel(BackgroundRun):
    """The settings, the running job and the result behind :class:`ClusterLab`.

    ``retrain()`` fits a :class:`~deepclust_lab.pipeline.DeepClusterer` in a background thread;
    ``recluster()`` reuses the last embedding and redoes only the clustering (the kit's K-means);
    ``stop()`` ends training after the current batch. The settings (``dataset``, ``method``,
    ``preset``, ``embedding_dim``, ``epochs``, ``n_clusters``, ``seed``, ``augment``) are those of
    ``DeepClusterer``; changing ``preset`` resets ``epochs`` to the preset's. ``timings`` (see
    ``BackgroundRun``) also notes ``training_started``, ``first_epoch`` and ``fitted``.

    Examples
    --------
    >>> model = ClusterLabModel(dataset="digits", preset="fast", n_clusters=8)
    >>> model.state, model.epochs == PRESETS["fast"].epochs
    ('idle', True)
    """

    #: (low, high) of each int setting and the options of each text setting, written only here
    RANGES: ClassVar[dict] = {"embedding_dim": (2, 512), "epochs": (1, 10_000),
                              "n_clusters": (2, 200), "seed": _common.SEED_RANGE}
    CHOICES: ClassVar[dict] = {"method": METHODS, "preset": tuple(PRESETS)}

    dataset = Unicode("digits")
    method = Unicode("ae-kmeans")
    preset = Unicode("fast")
    embedding_dim = Int(10)
    epochs = Int(30)
    n_clusters = Int(10)
    seed = Int(0)
    augment = Bool(False)

    message = Unicode("Press Retrain to train the embedding and cluster.")
    has_embedding = Bool(False)
    result = Instance(LabResult, allow_none=True)

    def __init__(self, **kwargs: Any) -> None:
        self._ready = False  # a preset given with explicit epochs at construction keeps them
        preset = check_choice(kwargs.setdefault("preset", "fast"), "preset", self.CHOICES["preset"])
        kwargs.setdefault("epochs", PRESETS[preset].epochs)
        super().__init__(**kwargs)
        self._ready = True
        self._stopper = self._progress = None
        self._warming: threading.Thread | None = None
        self.clusterer_ = None

    def warm_up(self) -> None:
        """Fit one epoch in a daemon thread, so that JAX has compiled the training step before
        the first Retrain (which waits for it)."""
        if self.method not in _TRAINED_METHODS or self._warming is not None:
            return

        def fit_once() -> None:
            try:
                X = np.asarray(_common.load_cached(self.dataset).X)
                DeepClusterer(**{**self._clusterer_params(), "epochs": 1, "max_iter": 1}).fit(X)
            except Exception:  # a failed warm-up only costs time: Retrain reports the error
                pass

        self._warming = threading.Thread(target=fit_once, name="ClusterLab warm-up", daemon=True)
        self._warming.start()

    @validate("dataset")
    def _check_dataset(self, proposal):
        value = proposal["value"]
        if not isinstance(value, str) or not value:
            raise traitlets.TraitError(f"dataset must be a dataset name, got {value!r}")
        _common.load_cached(value)  # an unknown name or a bad file is refused here, in plain words
        return value

    @validate(*RANGES, *CHOICES)
    def _check_setting(self, proposal):
        return _common.check_setting(self, proposal)

    @observe("preset")
    def _preset_changed(self, change) -> None:
        if self._ready:
            self.epochs = PRESETS[change["new"]].epochs

    @observe("dataset")
    def _dataset_changed(self, change) -> None:
        # The stored embedding belongs to the old dataset: Re-cluster needs a Retrain first.
        self.has_embedding = self.result is not None and self.result.dataset == change["new"]

    def retrain(self) -> bool:
        """Start training the embedding and clustering; ``False`` if a run is already going."""
        return self._start("retrain", self._retrain_job, self._reset_progress)

    def recluster(self) -> bool:
        """Redo only the clustering on the last embedding; ``False`` if a run is going."""
        if not self.has_embedding and not self.running:
            raise RuntimeError(
                "Re-cluster reuses the last embedding, and there is none for "
                f"dataset {self.dataset!r} yet: press Retrain first"
            )
        return self._start("recluster", self._recluster_job, self._reset_progress)

    def stop(self) -> bool:
        """Ask the running training to stop after its current batch; ``False`` if none runs."""
        stopping = super().stop()
        if stopping and self._stopper is not None:
            self._stopper.request_stop()
        return stopping

    # -- the jobs, in the background thread
    def _reset_progress(self) -> None:
        self._stopper = None
        trains = self.action == "retrain" and self.method in _TRAINED_METHODS
        self.n_epochs = self.epochs if trains else 0

    def _clusterer_params(self) -> dict[str, Any]:
        return {"n_clusters": self.n_clusters, "method": self.method,
                "embedding_dim": self.embedding_dim, "epochs": self.epochs,
                "random_state": self.seed, "preset": self.preset, "augment": self.augment,
                "image_shape": self.image_shape}

    def _build_clusterer(self, callbacks: list):  # tests replace it to inject failures
        return DeepClusterer(**self._clusterer_params(), callbacks=callbacks)

    @property
    def image_shape(self) -> tuple[int, ...] | None:
        """The dataset's own, or inferred from a square pixel count (64 -> 8 x 8)."""
        from deepclust_lab.images import infer_image_shape

        data = _common.load_cached(self.dataset)
        return tuple(data.image_shape) if data.image_shape else infer_image_shape(data.X.shape[1])

    def _retrain_job(self) -> str:
        from deepclust_lab.training import StopTraining

        if self._warming is not None and self._warming.is_alive():
            self.message = "Finishing the warm-up (compiling the model)…"
            self._warming.join()
        self.message = f"Loading {self.dataset}…"
        data = _common.load_cached(self.dataset)
        self._stopper = StopTraining()
        if self.stop_requested:  # Stop was pressed while we were getting ready
            raise Stopped
        self.message = ("Building the autoencoder…" if self.n_epochs
                        else f"Clustering with {self.method!r} (no training epochs)…")
        stage, step = _STAGES.get(self.method, ("clustering of the embedding", "step"))
        self._progress = training_progress(self, refining=stage, step=step)
        clusterer = self._build_clusterer([self._progress, self._stopper])
        clusterer.fit(np.asarray(data.X))
        self.clusterer_ = clusterer
        embedding = np.asarray(clusterer.embedding_, dtype=float)
        result = self._publish(embedding, np.asarray(clusterer.labels_), data.y)
        return self._retrain_summary(result.seconds, stage)

    def _retrain_summary(self, seconds: float, stage: str) -> str:
        """Status end: no epochs without a network; the epoch reached; where a late Stop came."""
        took = f"in {seconds:.1f} s"
        if not self.n_epochs:
            return f"{took}: {self.method} has no network to train, so no epochs."
        if self.stop_requested and self.epoch >= self.n_epochs:  # Stop came after the training
            where = stage if self._progress.phase > 1 else "clustering of the embedding"
            return f"during the {where}, after all {self.n_epochs} epochs, {took}."
        return f"after {self.epoch} of {self.n_epochs} epochs {took}."

    def _recluster_job(self) -> str:
        previous = self.result
        self.message = f"Re-clustering into k={self.n_clusters}…"
        labels = KMeans(n_clusters=self.n_clusters, n_init=4, random_state=self.seed).fit_predict(
            previous.embedding
        )
        result = self._publish(previous.embedding, labels, previous.y, view_2d=previous.view_2d,
                               epochs_run=previous.epochs_run)
        return f"re-clustered in {result.seconds:.1f} s."

    def _publish(self, embedding, labels, y, *, view_2d=None, epochs_run=None) -> LabResult:
        """Score the clustering and set ``result`` (the view draws it: errors fail the run)."""
        if view_2d is None:
            view_2d, _ = _common.project_2d(embedding, random_state=0)
        result = LabResult(
            embedding=embedding, view_2d=view_2d, labels=np.asarray(labels), y=y,
            scores=_scores(embedding, y, labels), dataset=self.dataset, action=self.action,
            seconds=self.elapsed(),
            epochs_run=self.epoch if epochs_run is None else epochs_run,
        )
        self.mark("fitted")
        self.result = result
        self.has_embedding = True
        return result


def _scores(embedding: np.ndarray, y: np.ndarray | None, labels: np.ndarray) -> dict:
    """External scores when true labels exist, and internal ones of the embedding."""
    scores: dict[str, float] = {} if y is None else dict(external_scores(y, labels))
    n_clusters = len(np.unique(labels))
    if 1 < n_clusters < len(labels):
        internal = internal_scores(embedding, labels, sample_size=1000, random_state=0)
        scores.update({f"{name} (embedding)": value for name, value in internal.items()})
    scores["clusters found"] = float(n_clusters)
    return scores


def _scores_html(scores: dict | None) -> str:
    """The main scores as an HTML table (``LabResult.scores`` holds them all); dashes at first."""
    if scores is None:
        rows = dict.fromkeys(_TABLE_ROWS[:-1], "—")
    else:
        rows = {name: f"{scores[name]:.3f}" for name in _TABLE_ROWS[:-1] if name in scores}
        rows["clusters found"] = str(int(scores["clusters found"]))
    cells = [f"<tr><th style='text-align:left;padding-right:1em'>{name}</th>"
             f"<td style='text-align:right'>{text}</td></tr>" for name, text in rows.items()]
    return ("<table class='dcl-metrics-table' style='font-size:16px'><thead><tr>"
            "<th style='text-align:left'>metric</th><th>value</th></tr></thead><tbody>"
            + "".join(cells) + "</tbody></table>")


def render_lab_result(result: LabResult) -> tuple[bytes, bytes | None]:
    """PNGs of the 2-D embedding coloured by cluster (in its matched class's colour) and of
    the confusion matrix (``None`` without true labels)."""
    from deepclust_lab.plotting import plot_confusion_matrix, plot_embedding

    fig, ax = _common.new_figure(*_IMAGE)
    k = len(np.unique(result.labels))
    plot_embedding(result.view_2d, result.labels, true_labels=result.y, ax=ax,
                   title=f"{result.dataset}: {k} clusters (PCA view)")
    if result.y is None:
        return _common.figure_png(fig), None
    fig_confusion, ax = _common.new_figure(*_IMAGE)
    plot_confusion_matrix(result.y, result.labels, ax=ax, title="classes × clusters")
    return _common.figure_png(fig), _common.figure_png(fig_confusion)


class ClusterLab(_common.Snapshot, widgets.VBox):
    """Retrain, re-cluster and stop a deep clustering pipeline from buttons (notebook 04).

    One control per setting of :class:`ClusterLabModel` (``k`` is ``n_clusters``); **Retrain**,
    **Re-cluster** (reuse the embedding: instant) and **Stop**; a progress bar per epoch, the
    metrics table, the embedding coloured by cluster and the confusion matrix. Controls are
    disabled while a run goes; errors appear in ``output``. ``datasets`` fills the dataset
    menu; ``title`` is a heading above the controls.

    Examples
    --------
    >>> lab = ClusterLab("digits", preset="fast")       # doctest: +SKIP
    >>> lab.retrain_button.click(); lab.wait()           # doctest: +SKIP
    'done'
    >>> lab.n_clusters.value = 8; lab.recluster_button.click(); lab.wait()  # doctest: +SKIP
    'done'
    """

    def __init__(self, dataset: str = "digits", method: str | None = None, *,
                 preset: str = "fast", n_clusters: int = 10, embedding_dim: int = 10,
                 epochs: int | None = None, seed: int = 0, augment: bool = False,
                 title: str | None = None, datasets: Sequence[str] = LAB_DATASETS) -> None:
        optional = {"method": method, "epochs": epochs}
        self.model = ClusterLabModel(
            dataset=dataset, preset=preset, n_clusters=n_clusters, embedding_dim=embedding_dim,
            seed=seed, augment=augment, **{k: v for k, v in optional.items() if v is not None},
        )
        importlib.import_module("deepclust_lab.autoencoder")  # Keras now (≈ 2-3 s), not on click
        self.model.warm_up()  # and the first training step compiles while the user reads
        self._make_controls(datasets)
        self._make_displays()
        self.model.observe(self._state_changed, names=["state", "has_embedding"])
        self.model.observe(self._progress_changed, names=["progress", "n_epochs", "message", "state"])
        self.model.observe(self._error_changed, names=["error"])
        self.model.observe(self._result_changed, names=["result"])
        self._state_changed()
        self._progress_changed()
        self._title = title or "ClusterLab"
        heading = [widgets.HTML(f"<h3 style='margin:0'>{title}</h3>")] if title else []
        super().__init__([
            *heading,
            widgets.HBox([self.dataset, self.method, self.preset, self.augment]),
            widgets.HBox([self.embedding_dim, self.epochs, self.n_clusters, self.seed]),
            widgets.HBox([self.retrain_button, self.recluster_button, self.stop_button]),
            widgets.HBox([self.progress, self.status]),
            widgets.HBox([self.metrics, self.embedding_image, self.confusion_image],
                         layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start")),
            self.output,
        ])
        self.add_class("dcl-cluster-lab")

    def _make_controls(self, datasets: Sequence[str]) -> None:
        """One control per model setting, linked to it (``_common.bound``)."""
        style = {"description_width": "initial"}
        bound = functools.partial(_common.bound, self.model)
        menu = functools.partial(bound, control_class=widgets.Dropdown, style=style)
        number = functools.partial(bound, control_class=widgets.BoundedIntText, style=style,
                                   layout=widgets.Layout(width="170px"))
        dataset = self.model.dataset
        choices = list(datasets) if dataset in datasets else [dataset, *datasets]
        self.dataset = menu("dataset", description="dataset", options=choices,
                            layout=widgets.Layout(width="220px"))
        self.method = menu("method", description="method", layout=widgets.Layout(width="200px"))
        self.preset = menu("preset", description="preset", layout=widgets.Layout(width="200px"),
                           options=[(PRESET_LABELS.get(p, p), p) for p in PRESETS])
        self.augment = bound("augment", widgets.Checkbox, indent=False,
                             description="augment (shifts/rotations)")
        self.embedding_dim = number("embedding_dim", description="embedding size")
        self.epochs = number("epochs", description="epochs")
        self.n_clusters = number("n_clusters", description="k")
        self.seed = number("seed", description="seed")
        self._controls = [self.dataset, self.method, self.preset, self.augment,
                          self.embedding_dim, self.epochs, self.n_clusters, self.seed]

    def _make_displays(self) -> None:
        button = widgets.Button
        self.retrain_button = button(description="Retrain", icon="play", button_style="primary",
                                     tooltip="Train the embedding, then cluster")
        self.recluster_button = button(description="Re-cluster", icon="refresh",
                                       tooltip="Reuse the embedding; redo the clustering")
        self.stop_button = button(description="Stop", icon="stop", button_style="danger",
                                  tooltip="Stop training after the current batch")
        for clicked, action in ((self.retrain_button, self.model.retrain),
                                (self.recluster_button, self.model.recluster),
                                (self.stop_button, self.model.stop)):
            clicked.on_click(self._clicked(action))
        self.progress = widgets.FloatProgress(min=0, max=1, value=0, description="epochs",
                                              layout=widgets.Layout(width="320px"))
        self.status = widgets.HTML()
        self.metrics = widgets.HTML(_scores_html(None))
        self.embedding_image = _common.image("The embedding appears here:\npress Retrain", *_IMAGE)
        self.confusion_image = _common.image("The confusion matrix appears here:\npress Retrain",
                                             *_IMAGE)
        self.output = widgets.Output(layout=widgets.Layout(max_height="240px", overflow="auto"))
        for shown, css_class in ((self.progress, "dcl-progress"), (self.status, "dcl-status"),
                                 (self.metrics, "dcl-metrics"), (self.output, "dcl-output")):
            shown.add_class(css_class)

    # -- the model's state and actions, as on the buttons
    state = property(lambda self: self.model.state, doc="The model's run state.")
    result = property(lambda self: self.model.result, doc="The last LabResult, or None.")
    retrain = property(lambda self: self.model.retrain, doc="Same as pressing Retrain.")
    recluster = property(lambda self: self.model.recluster, doc="Same as pressing Re-cluster.")
    stop = property(lambda self: self.model.stop, doc="Same as pressing Stop.")
    wait = property(lambda self: self.model.wait, doc="Block until the run ends (model.wait).")

    # -- view updates
    def _clicked(self, action: Callable[[], bool]) -> Callable:
        def handler(_button) -> None:
            try:
                action()
            except Exception as err:
                self.output.append_stderr(f"{type(err).__name__}: {err}\n")

        return handler

    def _state_changed(self, change=None) -> None:
        running = self.model.running
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
        text = html.escape(model.message, quote=False)
        self.status.value = (f"<span class='dcl-state' data-state='{model.state}' "
                             f"style='color:{colour};font-size:16px'>{text}</span>")

    def _error_changed(self, change) -> None:
        if change["new"]:
            self.output.append_stderr(change["new"])

    def _snapshot(self) -> str:
        confusion = self.confusion_image.layout.display != "none"
        return _common.snapshot_html(self._title, [self.embedding_image.value, confusion and
                                     self.confusion_image.value], self.status.value + self.metrics.value)

    def _result_changed(self, change) -> None:
        result = change["new"]
        if result is None:
            return
        embedding_png, confusion_png = render_lab_result(result)
        self.embedding_image.value = embedding_png
        self.confusion_image.value = confusion_png or b""
        self.confusion_image.layout.display = None if confusion_png else "none"
        self.metrics.value = _scores_html(result.scores)

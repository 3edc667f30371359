"""``KMeansStepper``: play through the iterations of the kit's K-means (notebook 02)."""

from __future__ import annotations

import functools
import traceback
from typing import Any, ClassVar

import ipywidgets as widgets
import numpy as np
from traitlets import HasTraits, Int, Unicode, observe, validate

from deepclust_lab._checks import check_choice, check_int
from deepclust_lab.widgets import _common

__all__ = ["STEPPER_DATASETS", "KMeansStepper", "KMeansStepperModel", "render_kmeans_step"]

STEPPER_DATASETS = ("blobs", "moons", "circles", "anisotropic", "varied_density", "digits")


class KMeansStepperModel(HasTraits):
    """The settings, the precomputed iterations and the current ``step`` of the K-means stepper.

    Changing a setting (``dataset``, ``n_clusters``, ``init``, ``seed``, ``n_samples`` of the toy
    sets) reruns the kit's :class:`~deepclust_lab.kmeans.KMeans` (one start, with its
    ``history_``) and goes back to step 0. ``points_2d`` and ``centers_2d`` are what the plot
    shows (PCA for wider data).

    Examples
    --------
    >>> model = KMeansStepperModel(dataset="blobs", n_clusters=3, seed=1)
    >>> model.n_steps == len(model.history) > 1
    True
    >>> model.step = model.n_steps - 1
    >>> bool(model.inertia[-1] <= model.inertia[0])
    True
    """

    #: (low, high) of each int setting and the options of each text setting, written only here.
    #: 12 clusters: 12 distinct colours.
    RANGES: ClassVar[dict] = {"n_clusters": (1, 12), "seed": _common.SEED_RANGE,
                              "n_samples": (10, None)}
    CHOICES: ClassVar[dict] = {"dataset": STEPPER_DATASETS, "init": ("k-means++", "random")}

    dataset = Unicode("blobs")
    n_clusters = Int(4)
    init = Unicode("k-means++")
    seed = Int(0)
    n_samples = Int(300)
    step = Int(0)
    n_steps = Int(0)
    version = Int(0, help="Increases each time the iterations are recomputed.")

    def __init__(self, **kwargs: Any) -> None:
        self._ready = False  # compute once, after every setting is in
        self.history: list = []
        self.X = self.points_2d = np.empty((0, 2))
        self.centers_2d: list[np.ndarray] = []
        super().__init__(**kwargs)
        self._ready = True
        self.compute()

    @validate(*RANGES, *CHOICES)
    def _check_setting(self, proposal):
        return _common.check_setting(self, proposal)

    @validate("step")
    def _check_step(self, proposal):
        step = check_int(proposal["value"], "step", low=0)
        if self.n_steps and step >= self.n_steps:
            raise ValueError(f"step must be < n_steps={self.n_steps}, got {step}")
        return step

    @observe(*RANGES, *CHOICES)
    def _settings_changed(self, change) -> None:
        if self._ready:
            self.compute()

    @property
    def inertia(self) -> np.ndarray:
        return np.array([float(s.inertia) for s in self.history])

    def compute(self) -> None:
        """Run K-means on the current settings and keep every iteration."""
        from deepclust_lab.kmeans import KMeans

        n = None if self.dataset == "digits" else self.n_samples
        X = np.asarray(_common.load_cached(self.dataset, n).X, dtype=float)
        check_int(self.n_clusters, "n_clusters", high=len(X))
        model = KMeans(n_clusters=self.n_clusters, init=self.init, n_init=1,
                       random_state=self.seed, keep_history=True).fit(X)
        self.X = X
        self.history = list(model.history_)
        self.points_2d, project = _common.project_2d(X, random_state=0)
        centers = [np.asarray(s.centers, dtype=float) for s in self.history]
        self.centers_2d = [c[:, :2] if project is None else project(c) for c in centers]
        self.step = 0
        self.n_steps = len(self.history)
        self.version += 1


def render_kmeans_step(model: KMeansStepperModel, step: int | None = None) -> bytes:
    """PNG of one K-means step (``model.step`` by default): points, centroids and their paths,
    and the inertia curve."""
    from deepclust_lab.plotting import cluster_style, plot_clusters, plot_inertia_curve

    step = model.step if step is None else step
    fig, (ax, ax_curve) = _common.new_figure(820, 390, ncols=2)
    path = np.stack(model.centers_2d[: step + 1])  # (steps, k, 2)
    for j in range(path.shape[1]):
        ax.plot(path[:, j, 0], path[:, j, 1], "-", color="black", lw=2.4, alpha=0.6)
        ax.plot(path[:, j, 0], path[:, j, 1], "-", color=cluster_style(j)[0], lw=1.4)
    pca = model.X.shape[1] > 2
    plot_clusters(model.points_2d, np.asarray(model.history[step].labels), centers=path[-1],
                  ax=ax, title=f"{model.dataset}: step {step} of {model.n_steps - 1}")
    ax.set(xticks=[], yticks=[], xlabel="PC 1 (PCA view)" if pca else "feature 1",
           ylabel="PC 2" if pca else "feature 2")
    inertia = model.inertia
    plot_inertia_curve(model.history, ax=ax_curve, title=f"inertia {inertia[step]:.4g}")
    ax_curve.axvline(step, color="black", lw=1, ls="--")
    ax_curve.plot([step], [inertia[step]], "o", color="black", ms=10, mfc="none", mew=2)
    if len(inertia) <= 15:
        ax_curve.set_xticks(np.arange(len(inertia)))
    return _common.figure_png(fig)


class KMeansStepper(_common.Snapshot, widgets.VBox):
    """Play through the iterations of the kit's K-means (notebook 02).

    Controls ``dataset``, ``k``, ``init`` and ``seed`` (linked to the settings of ``model``); a
    Play button (``interval`` ms a step) and a slider move through the steps; the picture
    shows the points by cluster, the centroids with their paths, and the inertia curve.

    Examples
    --------
    >>> stepper = KMeansStepper("blobs", n_clusters=3)
    >>> stepper.slider.value = stepper.slider.max
    >>> stepper.model.step == stepper.model.n_steps - 1
    True
    """

    def __init__(self, dataset: str = "blobs", n_clusters: int = 4, *, init: str = "k-means++",
                 seed: int = 0, n_samples: int = 300, interval: int = 700) -> None:
        interval = check_int(interval, "interval", low=1)
        check_choice(dataset, "dataset", KMeansStepperModel.CHOICES["dataset"])
        model = self.model = KMeansStepperModel(
            dataset=dataset, n_clusters=n_clusters, init=init, seed=seed, n_samples=n_samples
        )
        bound = functools.partial(_common.bound, model)
        self.dataset = bound("dataset", widgets.Dropdown, description="dataset",
                             style={"description_width": "initial"})
        self.k = bound("n_clusters", widgets.IntSlider, description="k", continuous_update=False)
        # wide enough for "k-means++" whole, at the largest widget font
        self.init = bound("init", widgets.ToggleButtons, description="init",
                          style={"button_width": "130px"})
        self.seed = bound("seed", widgets.BoundedIntText, description="seed",
                          layout=widgets.Layout(width="150px"))
        self.play = widgets.Play(min=0, interval=interval, description="play")
        self.slider = widgets.IntSlider(min=0, description="step", continuous_update=True)
        self.image = widgets.Image(format="png")
        self.output = widgets.Output()
        for player in (self.slider, self.play):
            widgets.dlink((model, "n_steps"), (player, "max"), transform=lambda n: max(n - 1, 0))
        widgets.link((self.play, "value"), (self.slider, "value"))
        widgets.link((self.slider, "value"), (model, "step"))
        # each (version, step) is drawn once; moving back and forth replays the cached PNGs
        self._png = functools.lru_cache(maxsize=256)(lambda version, step: render_kmeans_step(model))
        model.observe(self._redraw, names=["step", "version"])
        self._redraw()
        super().__init__([widgets.HBox([self.dataset, self.k]), widgets.HBox([self.init, self.seed]),
                          widgets.HBox([self.play, self.slider]), self.image, self.output])
        self.add_class("dcl-kmeans-stepper")

    def _snapshot(self) -> str:
        model = self.model
        return _common.snapshot_html(f"KMeansStepper: {model.dataset}, k = {model.n_clusters}, "
                                     f"step {model.step}", [self.image.value])

    def _redraw(self, change=None) -> None:
        try:
            self.image.value = self._png(self.model.version, self.model.step)
        except Exception:
            self.output.append_stderr(traceback.format_exc())

"""Figures for the notebooks: one line in a notebook, one idea per figure.

Every helper is called ``plot_<topic>(data, ..., ax=None)``. Helpers that draw into a single
panel accept an existing Matplotlib ``Axes`` through ``ax`` (a new figure is made when it is
``None``) and return that ``Axes``. Helpers that draw a grid of panels return the ``Figure``:

=========================  ==========  =====================================================
helper                     returns     draws
=========================  ==========  =====================================================
``plot_clusters``          Axes        2-D points coloured by cluster, optional centres
``plot_kmeans_steps``      Figure      a row of K-means iterations: labels, centres, moves
``plot_inertia_curve``     Axes        inertia per iteration (one run or several)
``plot_decision_regions``  Axes        the region of the plane each cluster claims
``plot_embedding``         Axes        an embedding coloured by label (PCA/UMAP/t-SNE to 2-D)
``plot_images``            Figure      a grid of images, optionally titled with labels
``plot_reconstructions``   Figure      originals above their reconstructions
``plot_training_curve``    Axes        loss (and other logged values) per epoch
``plot_confusion_matrix``  Axes        classes x clusters, clusters matched to classes
``plot_k_selection``       Figure      inertia / silhouette / gap / BIC against k
``plot_dataset_gallery``   Figure      the toy data sets side by side, true labels
``plot_method_comparison`` Figure      rows data sets x columns methods, ARI per panel
=========================  ==========  =====================================================

The helpers never print and never change Matplotlib's global settings. Colours come from
the Okabe-Ito palette, which stays distinguishable for the common forms of colour blindness;
with more clusters than colours the marker shape changes too, so clusters 0 and 8 differ.
Fonts are set large enough to read on a projector.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from deepclust_lab._checks import as_float_matrix, check_choice, check_int, check_labels

__all__ = [
    "PALETTE",
    "cluster_style",
    "plot_clusters",
    "plot_confusion_matrix",
    "plot_dataset_gallery",
    "plot_decision_regions",
    "plot_embedding",
    "plot_images",
    "plot_inertia_curve",
    "plot_k_selection",
    "plot_kmeans_steps",
    "plot_method_comparison",
    "plot_reconstructions",
    "plot_training_curve",
]

#: Okabe & Ito's colour-blind-safe palette, ordered so that the first four differ most
#: (hue and lightness), the weakest on white (yellow) comes late and black comes last.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_NOISE_COLOR = "#B0B0B0"  # label -1 (DBSCAN / HDBSCAN noise)

# Font sizes for a projector; set per artist so the global rcParams stay untouched.
_TITLE = 15
_LABEL = 13
_TICKS = 11
_SMALL = 10


# --------------------------------------------------------------------------- helpers


def cluster_style(label: int) -> tuple[str, str]:
    """Return the ``(colour, marker)`` used for cluster ``label``.

    Colours cycle through :data:`PALETTE`; each time they wrap around, the marker changes,
    so up to ``len(PALETTE) * 8`` clusters stay distinct. Label ``-1`` (noise) is grey.

    Parameters
    ----------
    label : int
        Cluster id, ``-1`` for noise.

    Returns
    -------
    color : str
        Hex colour.
    marker : str
        Matplotlib marker.

    Examples
    --------
    >>> cluster_style(0)
    ('#0072B2', 'o')
    >>> cluster_style(8)
    ('#0072B2', 's')
    >>> cluster_style(-1)
    ('#B0B0B0', 'x')
    """
    label = int(label)
    if label < 0:
        return _NOISE_COLOR, "x"
    n = len(PALETTE)
    return PALETTE[label % n], _MARKERS[(label // n) % len(_MARKERS)]


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _decorate(
    ax: Axes,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    *,
    title_size: int = _TITLE,
) -> Axes:
    if title is not None:
        ax.set_title(title, fontsize=title_size)
    if xlabel is not None:
        ax.set_xlabel(xlabel, fontsize=_LABEL)
    if ylabel is not None:
        ax.set_ylabel(ylabel, fontsize=_LABEL)
    ax.tick_params(labelsize=_TICKS)
    return ax


def _points_2d(X: Any, name: str = "X") -> np.ndarray:
    arr = as_float_matrix(X, name)
    if arr.shape[1] != 2:
        raise ValueError(
            f"{name} must have exactly 2 columns to be drawn in the plane, got {arr.shape[1]}; "
            "project it first (e.g. plot_embedding(..., method='pca'))"
        )
    return arr


def _marker_size(n_points: int) -> float:
    return float(np.clip(8000.0 / max(n_points, 1), 8.0, 50.0))


def _label_order(labels: np.ndarray) -> list:
    values = list(np.unique(labels))
    # noise last so it is drawn under nothing important and listed last in legends
    if -1 in values:
        values.remove(-1)
        values.append(-1)
    return values


def _scatter_labels(
    ax: Axes,
    X: np.ndarray,
    labels: np.ndarray | None,
    *,
    s: float | None = None,
    alpha: float = 0.8,
) -> None:
    s = _marker_size(len(X)) if s is None else s
    if labels is None:
        ax.scatter(X[:, 0], X[:, 1], s=s, color=PALETTE[0], alpha=alpha, linewidths=0)
        return
    for index, value in enumerate(_label_order(labels)):
        mask = labels == value
        integer = np.issubdtype(np.asarray(value).dtype, np.integer)
        # integer labels keep their colour whatever other labels exist; others go by position
        color, marker = cluster_style(int(value) if integer else index)
        noise = integer and value == -1
        ax.scatter(
            X[mask, 0], X[mask, 1], s=s * (0.6 if noise else 1.0), color=color, marker=marker,
            alpha=alpha, linewidths=1.0 if noise else 0, label="noise" if noise else str(value),
        )


def _draw_centers(ax: Axes, centers: np.ndarray, *, size: float = 220) -> None:
    for j, center in enumerate(centers):
        color, _ = cluster_style(j)
        ax.scatter(
            center[0], center[1], s=size, marker="X", color=color, edgecolors="black",
            linewidths=1.8, zorder=5,
        )


def _get(step: Any, name: str, index: int) -> Any:
    """Read field ``name`` from a history step (NamedTuple, object, dict or tuple)."""
    if isinstance(step, Mapping):
        return step[name]
    if hasattr(step, name):
        return getattr(step, name)
    return step[index]


def _history_steps(history: Any) -> list:
    steps = getattr(history, "history_", history)
    if steps is None:
        raise ValueError(
            "the model has no history: fit it with keep_history=True to record the iterations"
        )
    steps = list(steps)
    if not steps:
        raise ValueError("history is empty: there are no iterations to draw")
    return steps


def _inertias(history: Any) -> np.ndarray:
    steps = _history_steps(history)
    if all(isinstance(s, (int, float, np.number)) for s in steps):
        return np.asarray(steps, dtype=float)
    return np.asarray([float(_get(s, "inertia", 2)) for s in steps])


def _grid(
    n_panels: int, ncols: int, panel: tuple[float, float], *, squeeze: bool = False
) -> tuple[Figure, np.ndarray]:
    ncols = max(1, min(ncols, n_panels))
    nrows = int(np.ceil(n_panels / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(panel[0] * ncols, panel[1] * nrows), layout="constrained",
        squeeze=False,
    )
    flat = axes.ravel()
    for extra in flat[n_panels:]:
        extra.remove()
    return fig, flat[:n_panels]


def _as_xy(data: Any, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Accept a ``Dataset``-like object (``.X``, ``.y``), a ``(X, y)`` pair or a bare ``X``."""
    if hasattr(data, "X"):
        return as_float_matrix(data.X, name), getattr(data, "y", None)
    if isinstance(data, tuple) and len(data) == 2:
        X, y = data
        return as_float_matrix(X, name), None if y is None else np.asarray(y)
    return as_float_matrix(data, name), None


# --------------------------------------------------------------------------- 2-D points


def plot_clusters(
    X2d: Any,
    labels: Any = None,
    centers: Any = None,
    ax: Axes | None = None,
    title: str | None = None,
    *,
    legend: bool = False,
    xlabel: str = "feature 1",
    ylabel: str = "feature 2",
    s: float | None = None,
) -> Axes:
    """Scatter 2-D points coloured by cluster, with optional cluster centres.

    Parameters
    ----------
    X2d : array-like of shape (n_samples, 2)
        The points.
    labels : array-like of shape (n_samples,), optional
        Cluster ids (``-1`` is drawn grey as noise). ``None`` draws every point alike.
    centers : array-like of shape (n_clusters, 2), optional
        Centres, drawn as large crosses in their cluster's colour.
    ax : matplotlib Axes, optional
        Where to draw; a new 6 x 5 inch figure when ``None``.
    title : str, optional
        Panel title.
    legend : bool, default False
        Add a legend with one entry per cluster.
    xlabel, ylabel : str
        Axis labels.
    s : float, optional
        Marker size; chosen from the number of points when ``None``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [0.1, 0.2], [3.0, 3.0], [3.1, 2.9]])
    >>> ax = plot_clusters(X, [0, 0, 1, 1], centers=[[0.05, 0.1], [3.05, 2.95]], title="two")
    >>> ax.get_title()
    'two'
    """
    X = _points_2d(X2d, "X2d")
    y = None if labels is None else check_labels(labels, "labels", n_samples=len(X))
    ax = _new_axes(ax, (6, 5))
    _scatter_labels(ax, X, y, s=s)
    if centers is not None:
        C = _points_2d(centers, "centers")
        _draw_centers(ax, C)
    if legend and y is not None:
        ax.legend(fontsize=_SMALL, markerscale=1.5, frameon=False, loc="best")
    return _decorate(ax, title, xlabel, ylabel)


def plot_decision_regions(
    model: Any,
    X: Any,
    ax: Axes | None = None,
    *,
    labels: Any = None,
    title: str | None = None,
    resolution: int = 200,
    show_centers: bool = True,
) -> Axes:
    """Shade the region of the plane that a fitted model assigns to each cluster.

    Parameters
    ----------
    model : fitted estimator with ``predict``
        Predicts cluster ids for 2-D points (e.g. ``KMeans``, ``GaussianMixture``).
    X : array-like of shape (n_samples, 2)
        Points drawn on top, also used to size the plotted area.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when ``None``.
    labels : array-like of shape (n_samples,), optional
        Colours for the points; ``model.predict(X)`` when ``None``.
    title : str, optional
        Panel title (default ``"Decision regions"``).
    resolution : int, default 200
        Grid points per axis.
    show_centers : bool, default True
        Draw ``model.cluster_centers_`` (or ``means_``) when the model has them.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.cluster import KMeans
    >>> X = np.array([[0.0, 0.0], [0.2, 0.1], [3.0, 3.0], [3.2, 2.9]])
    >>> model = KMeans(2, n_init=1, random_state=0).fit(X)
    >>> ax = plot_decision_regions(model, X)
    >>> ax.get_title()
    'Decision regions'
    """
    X = _points_2d(X, "X")
    resolution = check_int(resolution, "resolution", low=10, high=2000)
    if not hasattr(model, "predict"):
        raise TypeError(f"model must be a fitted estimator with a predict method, got {model!r}")
    ax = _new_axes(ax, (6, 5))
    span = X.max(axis=0) - X.min(axis=0)
    pad = 0.08 * np.where(span > 0, span, 1.0)
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx, gy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    regions = np.asarray(model.predict(grid)).reshape(gx.shape)
    n_regions = int(max(regions.max(), 0)) + 1
    cmap = ListedColormap([cluster_style(j)[0] for j in range(n_regions)])
    ax.imshow(
        regions, origin="lower", extent=(lo[0], hi[0], lo[1], hi[1]), cmap=cmap,
        vmin=-0.5, vmax=n_regions - 0.5, alpha=0.25, aspect="auto", interpolation="nearest",
    )
    ax.contour(gx, gy, regions, levels=np.arange(n_regions) + 0.5, colors="0.3", linewidths=0.8)
    y = np.asarray(model.predict(X)) if labels is None else check_labels(labels, n_samples=len(X))
    _scatter_labels(ax, X, y)
    centers = getattr(model, "cluster_centers_", getattr(model, "means_", None))
    if show_centers and centers is not None and np.shape(centers)[-1] == 2:
        _draw_centers(ax, np.asarray(centers))
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    return _decorate(ax, "Decision regions" if title is None else title, "feature 1", "feature 2")


def plot_embedding(
    Z: Any,
    labels: Any = None,
    ax: Axes | None = None,
    title: str | None = None,
    *,
    method: str | None = "auto",
    legend: bool | None = None,
    random_state: int = 0,
) -> Axes:
    """Scatter an embedding in 2-D, coloured by (true or cluster) labels.

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_dims)
        Codes from an encoder, or any features.
    labels : array-like of shape (n_samples,), optional
        Colours for the points.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when ``None``.
    title : str, optional
        Panel title (default names the projection).
    method : {"auto", "pca", "umap", "tsne"} or None, default "auto"
        How to bring ``Z`` to 2-D. ``"auto"`` keeps 2-D input and uses PCA otherwise;
        ``None`` requires 2 columns. UMAP is slow on its first call (numba compiles).
    legend : bool, optional
        Show a legend; by default when there are at most 12 labels.
    random_state : int, default 0
        Seed for UMAP / t-SNE.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.random.default_rng(0).normal(size=(50, 5))
    >>> ax = plot_embedding(Z, np.arange(50) % 3)
    >>> ax.get_xlabel()
    'PC 1'
    """
    Z = as_float_matrix(Z, "Z")
    if method is not None:
        method = check_choice(method, "method", ["auto", "pca", "umap", "tsne"])
    if method == "auto":
        method = None if Z.shape[1] == 2 else "pca"
    if method is None:
        Z2 = _points_2d(Z, "Z")
        axis_names, default_title = ("dimension 1", "dimension 2"), "Embedding"
    elif method == "pca":
        from sklearn.decomposition import PCA

        Z2 = PCA(n_components=2, random_state=random_state).fit_transform(Z)
        axis_names, default_title = ("PC 1", "PC 2"), "Embedding (PCA to 2-D)"
    elif method == "umap":
        import umap

        Z2 = umap.UMAP(n_components=2, random_state=random_state).fit_transform(Z)
        axis_names, default_title = ("UMAP 1", "UMAP 2"), "Embedding (UMAP to 2-D)"
    else:
        from sklearn.manifold import TSNE

        perplexity = float(min(30.0, max(2.0, (len(Z) - 1) / 3)))
        Z2 = TSNE(n_components=2, random_state=random_state, perplexity=perplexity).fit_transform(Z)
        axis_names, default_title = ("t-SNE 1", "t-SNE 2"), "Embedding (t-SNE to 2-D)"
    y = None if labels is None else check_labels(labels, n_samples=len(Z2))
    ax = _new_axes(ax, (7, 5.5))
    _scatter_labels(ax, Z2, y, alpha=0.7)
    if legend is None:
        legend = y is not None and len(np.unique(y)) <= 12
    if legend and y is not None:
        ax.legend(
            fontsize=_SMALL, markerscale=2.5, frameon=False, loc="center left",
            bbox_to_anchor=(1.0, 0.5),
        )
    return _decorate(ax, default_title if title is None else title, *axis_names)


# --------------------------------------------------------------------------- K-means


def plot_kmeans_steps(
    history: Any,
    X: Any,
    steps: int | Sequence[int] | None = None,
    *,
    ncols: int = 3,
    arrows: bool = True,
    panel_size: tuple[float, float] = (4.2, 3.8),
) -> Figure:
    """Draw K-means iterations side by side: labels, centres and how the centres moved.

    Parameters
    ----------
    history : list of steps, or a fitted KMeans with ``history_``
        Each step has ``centers`` (k, 2), ``labels`` (n,) and ``inertia`` — the
        ``KMeansStep`` records kept by ``KMeans(keep_history=True)``.
    X : array-like of shape (n_samples, 2)
        The data the model was fitted on.
    steps : int or sequence of int, optional
        Which steps to draw: a count (evenly spaced, first and last included) or the
        indices themselves. Default: up to 6 steps.
    ncols : int, default 3
        Panels per row.
    arrows : bool, default True
        Draw an arrow from each centre's previous position.
    panel_size : (float, float)
        Size of one panel in inches.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per step, titled ``"step i: inertia …"``.

    Examples
    --------
    >>> import numpy as np
    >>> from collections import namedtuple
    >>> Step = namedtuple("Step", "centers labels inertia")
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [4.0, 4.0], [4.0, 5.0]])
    >>> history = [Step(X[[0, 1]], np.array([0, 1, 1, 1]), 30.0),
    ...            Step(np.array([[0, 0], [2.7, 3.3]]), np.array([0, 0, 1, 1]), 1.0)]
    >>> fig = plot_kmeans_steps(history, X)
    >>> len(fig.axes)
    2
    """
    all_steps = _history_steps(history)
    X = _points_2d(X, "X")
    n = len(all_steps)
    if steps is None:
        steps = min(n, 6)
    if isinstance(steps, (int, np.integer)):
        count = check_int(steps, "steps", low=1)
        chosen = sorted(set(np.linspace(0, n - 1, min(count, n)).round().astype(int).tolist()))
    else:
        chosen = [check_int(i, "steps[i]") for i in steps]
        chosen = [i + n if i < 0 else i for i in chosen]
        bad = [i for i in chosen if not 0 <= i < n]
        if bad or not chosen:
            raise ValueError(
                f"steps must be indices in [0, {n - 1}] (the history has {n} steps), "
                f"got {list(steps)}"
            )
    fig, axes = _grid(len(chosen), ncols, panel_size)
    s = _marker_size(len(X)) * 0.7
    for ax, i in zip(axes, chosen, strict=True):
        step = all_steps[i]
        centers = np.asarray(_get(step, "centers", 0), dtype=float)
        labels = np.asarray(_get(step, "labels", 1))
        _scatter_labels(ax, X, labels, s=s, alpha=0.6)
        if arrows and i > 0:
            before = np.asarray(_get(all_steps[i - 1], "centers", 0), dtype=float)
            for a, b in zip(before, centers, strict=True):
                if np.linalg.norm(b - a) > 1e-12:
                    ax.annotate(
                        "", xy=b, xytext=a, zorder=4,
                        arrowprops={"arrowstyle": "->", "color": "black", "lw": 1.5},
                    )
        _draw_centers(ax, centers, size=160)
        inertia = float(_get(step, "inertia", 2))
        _decorate(ax, f"step {i}: inertia {inertia:.4g}", title_size=_LABEL)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("K-means, step by step (X = centre, arrow = its move)", fontsize=_TITLE)
    return fig


def plot_inertia_curve(
    history: Any,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    logy: bool = False,
) -> Axes:
    """Plot inertia per iteration, for one run or several.

    Parameters
    ----------
    history : steps, a fitted KMeans with ``history_``, a sequence of numbers, or a mapping
        A mapping ``{name: history}`` draws one line per run with a legend (e.g. several
        seeds, to show different local minima).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when ``None``.
    title : str, optional
        Panel title (default ``"Inertia per iteration"``).
    logy : bool, default False
        Logarithmic inertia axis.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = plot_inertia_curve([120.0, 60.5, 48.2, 48.0])
    >>> len(ax.lines)
    1
    """
    runs = history if isinstance(history, Mapping) else {None: history}
    ax = _new_axes(ax, (6, 4))
    for j, (name, run) in enumerate(runs.items()):
        values = _inertias(run)
        color, marker = cluster_style(j)
        ax.plot(
            np.arange(len(values)), values, marker=marker, color=color, lw=2, ms=6,
            label=None if name is None else str(name),
        )
    if len(runs) > 1 or next(iter(runs)) is not None:
        ax.legend(fontsize=_SMALL, frameon=False)
    if logy:
        ax.set_yscale("log")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    title = "Inertia per iteration" if title is None else title
    return _decorate(ax, title, "iteration", "inertia")


# --------------------------------------------------------------------------- images


def _image_rows(images: Any, image_shape: Sequence[int], name: str) -> np.ndarray:
    arr = np.asarray(images, dtype=float)
    shape = tuple(int(v) for v in image_shape)
    if len(shape) not in (2, 3):
        raise ValueError(
            f"image_shape must be (height, width) or (height, width, channels), got {shape}"
        )
    size = int(np.prod(shape))
    per_row = int(np.prod(arr.shape[1:])) if arr.ndim >= 2 else size
    if arr.ndim < 1 or arr.size % size != 0 or per_row != size:
        raise ValueError(f"{name} of shape {arr.shape} cannot be read as images of shape {shape}")
    arr = arr.reshape((-1, *shape))
    if shape[-1] == 1 and len(shape) == 3:
        arr = arr[..., 0]
    return arr


def plot_images(
    images: Any,
    image_shape: Sequence[int],
    labels: Any = None,
    ncols: int = 10,
    *,
    n: int | None = 30,
    title: str | None = None,
    cmap: str = "gray_r",
) -> Figure:
    """Show images in a grid, optionally with a label above each.

    Parameters
    ----------
    images : array-like of shape (n_images, height * width) or (n_images, *image_shape)
        Flattened or shaped images (e.g. ``Dataset.X`` with ``Dataset.image_shape``).
    image_shape : tuple
        ``(height, width)`` or ``(height, width, channels)``.
    labels : array-like, optional
        One label per image, written above it.
    ncols : int, default 10
        Images per row.
    n : int or None, default 30
        Show the first ``n`` images (``None``: all).
    title : str, optional
        Figure title.
    cmap : str, default "gray_r"
        Colour map for grey images (dark strokes on white read well on a projector).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> fig = plot_images(np.zeros((4, 64)), (8, 8), labels=[0, 1, 2, 3], ncols=2)
    >>> len(fig.axes)
    4
    """
    imgs = _image_rows(images, image_shape, "images")
    if n is not None:
        imgs = imgs[: check_int(n, "n", low=1)]
    ncols = check_int(ncols, "ncols", low=1)
    lab = None if labels is None else np.asarray(labels)
    if lab is not None and len(lab) < len(imgs):
        raise ValueError(f"labels has {len(lab)} entries but {len(imgs)} images are shown")
    fig, axes = _grid(len(imgs), ncols, (1.6, 1.8 if lab is not None else 1.6))
    for k, (ax, img) in enumerate(zip(axes, imgs, strict=True)):
        ax.imshow(img, cmap=cmap if img.ndim == 2 else None, interpolation="nearest")
        ax.set_axis_off()
        if lab is not None:
            ax.set_title(str(lab[k]), fontsize=_LABEL)
    if title is not None:
        fig.suptitle(title, fontsize=_TITLE)
    return fig


def plot_reconstructions(
    X: Any,
    X_rec: Any,
    image_shape: Sequence[int],
    n: int = 10,
    *,
    title: str | None = "Originals (top) and reconstructions (bottom)",
    cmap: str = "gray_r",
) -> Figure:
    """Show the first ``n`` images above their reconstructions.

    Parameters
    ----------
    X, X_rec : array-like of shape (n_images, height * width)
        Inputs and the autoencoder's outputs, in the same order.
    image_shape : tuple
        ``(height, width)`` or ``(height, width, channels)``.
    n : int, default 10
        How many pairs to show.
    title : str, optional
        Figure title.
    cmap : str, default "gray_r"
        Colour map for grey images.

    Returns
    -------
    matplotlib.figure.Figure
        Two rows of ``n`` panels; the first panel of each row names it.

    Examples
    --------
    >>> import numpy as np
    >>> fig = plot_reconstructions(np.zeros((3, 64)), np.ones((3, 64)), (8, 8), n=3)
    >>> len(fig.axes)
    6
    """
    originals = _image_rows(X, image_shape, "X")
    rebuilt = _image_rows(X_rec, image_shape, "X_rec")
    if len(originals) != len(rebuilt):
        raise ValueError(f"X has {len(originals)} images but X_rec has {len(rebuilt)}")
    n = min(check_int(n, "n", low=1), len(originals))
    fig, axes = plt.subplots(
        2, n, figsize=(1.3 * n + 0.6, 3.0), layout="constrained", squeeze=False
    )
    for row, (imgs, name) in enumerate(((originals, "input"), (rebuilt, "output"))):
        for col in range(n):
            ax = axes[row, col]
            ax.imshow(imgs[col], cmap=cmap if imgs[col].ndim == 2 else None, vmin=0,
                      vmax=max(1.0, float(originals[:n].max())), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
        axes[row, 0].set_ylabel(name, fontsize=_LABEL)
    if title is not None:
        fig.suptitle(title, fontsize=_TITLE)
    return fig


# --------------------------------------------------------------------------- training / evaluation


def plot_training_curve(
    history_dict: Any,
    ax: Axes | None = None,
    *,
    keys: Sequence[str] | None = None,
    logy: bool = False,
    title: str | None = None,
) -> Axes:
    """Plot logged values (loss, …) per epoch.

    Parameters
    ----------
    history_dict : mapping of str to sequence of float, or a Keras ``History``
        What training returned, e.g. ``{"loss": [...], "val_loss": [...]}``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when ``None``.
    keys : sequence of str, optional
        Which entries to draw (default: every entry with at least one number).
    logy : bool, default False
        Logarithmic y axis (useful for reconstruction losses).
    title : str, optional
        Panel title (default ``"Training curve"``).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = plot_training_curve({"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6]})
    >>> [line.get_label() for line in ax.lines]
    ['loss', 'val_loss']
    """
    logs = getattr(history_dict, "history", history_dict)
    if not isinstance(logs, Mapping):
        raise TypeError(
            "history_dict must be a mapping like {'loss': [...]} or a Keras History, "
            f"got {type(logs).__name__}"
        )
    if keys is None:
        keys = [k for k, v in logs.items() if np.size(v) > 0 and np.asarray(v).dtype.kind in "iuf"]
    missing = [k for k in keys if k not in logs]
    if missing:
        raise ValueError(f"keys {missing} are not in the history; it has {sorted(logs)}")
    if not keys:
        raise ValueError("history_dict has nothing to plot (no entry with numbers)")
    ax = _new_axes(ax, (6, 4))
    for j, key in enumerate(keys):
        values = np.asarray(logs[key], dtype=float).ravel()
        color, marker = cluster_style(j)
        ax.plot(np.arange(1, len(values) + 1), values, color=color, lw=2, label=key,
                marker=marker if len(values) <= 30 else None, ms=5)
    if logy:
        ax.set_yscale("log")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=_SMALL, frameon=False)
    return _decorate(ax, "Training curve" if title is None else title, "epoch", "value")


def plot_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    ax: Axes | None = None,
    *,
    normalize: bool = False,
    title: str | None = None,
    annotate: bool | None = None,
) -> Axes:
    """Draw classes against clusters, the clusters reordered to match the classes.

    Uses :func:`deepclust_lab.metrics.aligned_confusion_matrix`, so a perfect clustering
    shows a diagonal whatever numbers the clusters happened to get.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True classes.
    y_pred : array-like of shape (n_samples,)
        Cluster ids.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when ``None``.
    normalize : bool, default False
        Show the fraction of each class (rows sum to 1) instead of counts.
    title : str, optional
        Panel title (default ``"Confusion matrix (clusters matched to classes)"``).
    annotate : bool, optional
        Write the value in each cell; by default when the matrix has at most 15 columns.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = plot_confusion_matrix([0, 0, 1, 1, 2, 2], [2, 2, 0, 0, 1, 1])
    >>> ax.get_xlabel()
    'cluster'
    """
    from deepclust_lab.metrics import aligned_confusion_matrix

    matrix, class_labels, cluster_order = aligned_confusion_matrix(y_true, y_pred)
    matrix = np.asarray(matrix, dtype=float)
    if normalize:
        totals = matrix.sum(axis=1, keepdims=True)
        matrix = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    n_rows, n_cols = matrix.shape
    ax = _new_axes(ax, (max(4.5, 0.55 * n_cols + 2.5), max(4.0, 0.5 * n_rows + 2.0)))
    image = ax.imshow(matrix, cmap="Blues", aspect="auto", vmin=0)
    if annotate is None:
        annotate = n_cols <= 15
    if annotate:
        threshold = matrix.max() / 2 if matrix.size else 0
        for i in range(n_rows):
            for j in range(n_cols):
                value = matrix[i, j]
                text = f"{value:.2f}" if normalize else f"{value:.0f}"
                ax.text(j, i, text, ha="center", va="center", fontsize=_SMALL,
                        color="white" if value > threshold else "black")
    ax.set_xticks(range(n_cols), [str(c) for c in cluster_order], fontsize=_TICKS)
    ax.set_yticks(range(n_rows), [str(c) for c in class_labels], fontsize=_TICKS)
    label = "fraction of class" if normalize else "count"
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label=label)
    default = "Confusion matrix (clusters matched to classes)"
    return _decorate(ax, default if title is None else title, "cluster", "true class")


# --------------------------------------------------------------------------- choosing k

# column -> (panel title, which value is best, axis label)
_K_METRICS: dict[str, tuple[str, str | None, str]] = {
    "inertia": ("Inertia (look for the elbow)", "elbow", "inertia"),
    "silhouette": ("Silhouette (higher is better)", "max", "mean silhouette"),
    "gap": ("Gap statistic", "gap", "gap"),
    "bic": ("BIC, Gaussian mixture (lower is better)", "min", "BIC"),
    "davies_bouldin": ("Davies-Bouldin (lower is better)", "min", "Davies-Bouldin"),
    "calinski_harabasz": ("Calinski-Harabasz (higher is better)", "max", "Calinski-Harabasz"),
}


def _columns(table: Any) -> dict[str, np.ndarray]:
    """Read a DataFrame, a dict of sequences or a list of row dicts into ``{column: array}``."""
    if hasattr(table, "to_dict") and hasattr(table, "columns"):
        cols = {str(c): np.asarray(table[c]) for c in table.columns}
        if "k" not in {c.lower() for c in cols} and getattr(table.index, "name", None) == "k":
            cols["k"] = np.asarray(table.index)
        return cols
    if isinstance(table, Mapping):
        return {str(c): np.asarray(v) for c, v in table.items()}
    if isinstance(table, Sequence) and table and isinstance(table[0], Mapping):
        keys = list(table[0])
        return {str(c): np.asarray([row.get(c, np.nan) for row in table]) for c in keys}
    raise TypeError(
        "table must be a DataFrame, a dict of columns or a list of row dicts with a 'k' column, "
        f"got {type(table).__name__}"
    )


_MISSING = object()


def _best_k(metric: str, rule: str | None, k: np.ndarray, values: np.ndarray,
            se: np.ndarray | None) -> int | None:
    ok = np.isfinite(values)
    if rule is None or not ok.any():
        return None
    if rule == "max":
        return int(k[ok][np.argmax(values[ok])])
    if rule == "min":
        return int(k[ok][np.argmin(values[ok])])
    if rule == "elbow":
        if ok.sum() < 3 or np.any(np.diff(k[ok]) <= 0):
            return None
        from deepclust_lab.selection import find_elbow

        return find_elbow(k[ok], values[ok])
    # Tibshirani et al.: the smallest k with gap(k) >= gap(k+1) - se(k+1)
    se = np.zeros_like(values) if se is None else se
    for i in range(len(k) - 1):
        if ok[i] and ok[i + 1] and values[i] >= values[i + 1] - se[i + 1]:
            return int(k[i])
    return int(k[ok][np.argmax(values[ok])])


def plot_k_selection(
    table: Any,
    ax: Axes | Sequence[Axes] | None = None,
    *,
    metrics: Sequence[str] | None = None,
    title: str | None = "Choosing k",
) -> Figure:
    """Plot the criteria for choosing the number of clusters against k, one panel each.

    Parameters
    ----------
    table : DataFrame, dict of columns or list of row dicts
        A ``k`` column and any of ``inertia``, ``silhouette``, ``gap`` (with ``gap_se`` for
        error bars), ``bic``, ``davies_bouldin``, ``calinski_harabasz`` — e.g. the table from
        :func:`deepclust_lab.selection.sweep_k`. Column names are matched case-insensitively.
    ax : Axes or sequence of Axes, optional
        Where to draw: one Axes per criterion (a single Axes when only one is drawn).
        A new figure with a row of panels when ``None``.
    metrics : sequence of str, optional
        Which criteria to draw (default: every known column with a finite value).
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Each panel marks the k the criterion prefers (dashed line): the elbow of the inertia
        (:func:`deepclust_lab.selection.find_elbow`), maximum silhouette / Calinski-Harabasz,
        minimum BIC / Davies-Bouldin, Tibshirani's rule for the gap. When the table carries
        ``table.attrs["best"]`` (as :func:`~deepclust_lab.selection.sweep_k` returns it),
        those picks are marked instead.

    Examples
    --------
    >>> table = {"k": [2, 3, 4], "inertia": [90.0, 40.0, 35.0], "silhouette": [0.5, 0.7, 0.6]}
    >>> fig = plot_k_selection(table)
    >>> [a.get_title() for a in fig.axes]
    ['Inertia (look for the elbow)', 'Silhouette (higher is better)']
    """
    raw = _columns(table)
    picks = dict(getattr(table, "attrs", {}).get("best", None) or {})
    cols = {name.lower(): values for name, values in raw.items()}
    if "k" not in cols:
        raise ValueError(f"table needs a 'k' column; it has {sorted(raw)}")
    k = np.asarray(cols["k"], dtype=float).astype(int)
    if metrics is None:
        metrics = [
            m for m in _K_METRICS if m in cols and np.isfinite(np.asarray(cols[m], float)).any()
        ]
    else:
        metrics = [m.lower() for m in metrics]
        unknown = [m for m in metrics if m not in cols]
        if unknown:
            raise ValueError(
                f"metrics {unknown} are not columns of the table; it has {sorted(raw)}"
            )
    if not metrics:
        raise ValueError(f"table has no criterion to plot; expected one of {sorted(_K_METRICS)}")
    if ax is None:
        fig, axes = _grid(len(metrics), len(metrics), (4.3, 3.6))
    else:
        axes = np.atleast_1d(np.asarray(ax, dtype=object)).ravel()
        if len(axes) != len(metrics):
            raise ValueError(
                f"ax must hold one Axes per criterion ({len(metrics)}), got {len(axes)}"
            )
        fig = axes[0].figure
    for j, (panel, metric) in enumerate(zip(axes, metrics, strict=True)):
        values = np.asarray(cols[metric], dtype=float)
        name, rule, ylabel = _K_METRICS.get(metric, (metric, None, metric))
        se = None
        if metric == "gap" and "gap_se" in cols:
            se = np.asarray(cols["gap_se"], dtype=float)
        color, marker = cluster_style(j)
        if se is not None:
            panel.errorbar(k, values, yerr=se, color=color, marker=marker, lw=2, ms=6, capsize=3)
        else:
            panel.plot(k, values, color=color, marker=marker, lw=2, ms=6)
        best = picks.get("elbow" if metric == "inertia" else metric, _MISSING)
        if best is _MISSING:
            best = _best_k(metric, rule, k, values, se)
        if best is not None:
            panel.axvline(best, color="0.35", ls="--", lw=1.2)
            panel.annotate(f"k = {best}", xy=(best, 1.0), xycoords=("data", "axes fraction"),
                           xytext=(4, -14), textcoords="offset points", fontsize=_SMALL)
        panel.set_xticks(k)
        panel.grid(alpha=0.3)
        _decorate(panel, name, "k (number of clusters)", ylabel, title_size=_LABEL)
    if title is not None and ax is None:
        fig.suptitle(title, fontsize=_TITLE)
    return fig


# --------------------------------------------------------------------------- galleries


def plot_dataset_gallery(
    datasets: Sequence[Any] | Mapping[str, Any] | None = None,
    *,
    n_samples: int = 500,
    random_state: int = 0,
    ncols: int | None = None,
    title: str | None = "The toy data sets (colours: true groups)",
) -> Figure:
    """Show 2-D data sets side by side, coloured by their true labels.

    Parameters
    ----------
    datasets : sequence of names / Datasets, or mapping of title to data, optional
        Names are loaded with :func:`deepclust_lab.data.load_dataset` (``n_samples``,
        ``random_state``); values may be ``Dataset`` objects, ``(X, y)`` pairs or bare
        ``X``. Default: the five toy sets (blobs, moons, circles, anisotropic, varied density).
    n_samples : int, default 500
        Points per loaded data set.
    random_state : int, default 0
        Seed for loaded data sets.
    ncols : int, optional
        Panels per row (default: all in one row).
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(20, 2))
    >>> fig = plot_dataset_gallery({"noise": (X, None), "halves": (X, X[:, 0] > 0)})
    >>> [a.get_title() for a in fig.axes]
    ['noise', 'halves']
    """
    if datasets is None:
        datasets = ("blobs", "moons", "circles", "anisotropic", "varied_density")
    items = _named_datasets(datasets, n_samples=n_samples, random_state=random_state)
    fig, axes = _grid(len(items), ncols or len(items), (3.4, 3.3))
    for ax, (name, (X, y)) in zip(axes, items.items(), strict=True):
        _scatter_labels(ax, _points_2d(X, name), None if y is None else np.asarray(y).astype(int))
        _decorate(ax, name, title_size=_LABEL)
        ax.set_xticks([])
        ax.set_yticks([])
    if title is not None:
        fig.suptitle(title, fontsize=_TITLE)
    return fig


def _named_datasets(datasets: Any, *, n_samples: int, random_state: int) -> dict[str, tuple]:
    if isinstance(datasets, (str, bytes)):
        datasets = [datasets]
    pairs = datasets.items() if isinstance(datasets, Mapping) else [(None, d) for d in datasets]
    out: dict[str, tuple] = {}
    for name, data in pairs:
        if isinstance(data, str):
            from deepclust_lab.data import load_dataset

            data = load_dataset(data, n_samples=n_samples, random_state=random_state)
        if name is None:
            name = getattr(data, "name", f"data set {len(out) + 1}")
        title = str(name).replace("_", " ")
        out[title] = _as_xy(data, title)
    if not out:
        raise ValueError("datasets is empty: give at least one data set")
    return out


def plot_method_comparison(
    datasets: Mapping[str, Any],
    predictions: Mapping[str, Mapping[str, Any]],
    *,
    scores: str | Mapping[str, Mapping[str, float]] | None = "ari",
    panel_size: tuple[float, float] = (2.6, 2.5),
    title: str | None = None,
) -> Figure:
    """Grid of cluster assignments: one row per data set, one column per method.

    Parameters
    ----------
    datasets : mapping of name to data
        Each value a ``Dataset``, an ``(X, y)`` pair or a bare 2-D ``X``.
    predictions : mapping of data set name to mapping of method name to labels
        ``predictions[dataset][method]`` is the label array that method produced.
        Columns follow the method order of the first data set.
    scores : "ari", mapping or None, default "ari"
        Number written in each panel's corner: ``"ari"`` computes the adjusted Rand index
        against the true labels (when the data set has them); a mapping
        ``scores[dataset][method]`` gives them directly; ``None`` writes nothing.
    panel_size : (float, float)
        Size of one panel in inches.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Column titles name the methods; row labels name the data sets.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(30, 2)); y = (X[:, 0] > 0).astype(int)
    >>> fig = plot_method_comparison({"data": (X, y)}, {"data": {"truth": y, "one": 0 * y}})
    >>> [a.get_title() for a in fig.axes]
    ['truth', 'one']
    """
    if not isinstance(datasets, Mapping) or not datasets:
        raise TypeError("datasets must be a non-empty mapping of name -> (X, y), Dataset or X")
    missing = [name for name in datasets if name not in predictions]
    if missing:
        raise ValueError(f"predictions has no entry for data sets {missing}")
    methods = list(predictions[next(iter(datasets))])
    if not methods:
        raise ValueError("predictions holds no method")
    if isinstance(scores, str):
        check_choice(scores, "scores", ["ari"])
    nrows, ncols = len(datasets), len(methods)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(panel_size[0] * ncols + 0.6, panel_size[1] * nrows),
        layout="constrained", squeeze=False,
    )
    for r, (data_name, data) in enumerate(datasets.items()):
        X, y = _as_xy(data, str(data_name))
        X = _points_2d(X, str(data_name))
        for c, method in enumerate(methods):
            ax = axes[r, c]
            if method not in predictions[data_name]:
                raise ValueError(f"predictions[{data_name!r}] has no entry for method {method!r}")
            labels = check_labels(
                predictions[data_name][method], f"predictions[{data_name!r}][{method!r}]",
                n_samples=len(X),
            )
            _scatter_labels(ax, X, labels, s=_marker_size(len(X)) * 0.5, alpha=0.8)
            ax.set_xticks([])
            ax.set_yticks([])
            text = None
            if scores == "ari" and y is not None:
                from sklearn.metrics import adjusted_rand_score

                # "+ 0.0" so that a score that rounds to zero does not print as -0.00
                text = f"ARI {round(adjusted_rand_score(y, labels), 2) + 0.0:.2f}"
            elif isinstance(scores, Mapping):
                value = scores.get(data_name, {}).get(method)
                text = None if value is None else f"{round(float(value), 2) + 0.0:.2f}"
            if text is not None:
                ax.text(0.98, 0.03, text, transform=ax.transAxes, ha="right", va="bottom",
                        fontsize=_SMALL,
                        bbox={"facecolor": "white", "alpha": 0.8, "lw": 0, "pad": 2})
            if r == 0:
                ax.set_title(str(method), fontsize=_LABEL)
            if c == 0:
                ax.set_ylabel(str(data_name).replace("_", " "), fontsize=_LABEL)
    if title is not None:
        fig.suptitle(title, fontsize=_TITLE)
    return fig

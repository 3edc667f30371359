"""The look every figure shares: one palette, one marker per cluster, projector-sized fonts.
The figure modules draw through these helpers, so a colour or a font size is changed here once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from deepclust_lab._checks import as_float_matrix, check_labels

#: Cluster colours, the one palette of the kit (plots, ClusterLab, the embedding explorer).
#: Petroff's 10-colour accessible sequence (arXiv:2107.02270, Matplotlib's "petroff10" style),
#: then a violet and a navy chosen so that every pair of the 12 stays at least 17 CIELAB units
#: apart for normal vision and under simulated protanopia, deuteranopia and tritanopia (the
#: kit's tests check this). Style id ``i`` is drawn in ``PALETTE[i % 12]`` everywhere.
PALETTE: tuple[str, ...] = (
    "#3f90da",  # blue
    "#ffa90e",  # orange
    "#bd1f01",  # red
    "#94a4a2",  # grey
    "#832db6",  # purple
    "#a96b59",  # brown
    "#e76300",  # dark orange
    "#b9ac70",  # khaki
    "#717581",  # slate
    "#92dadd",  # light cyan
    "#6600ff",  # violet
    "#335588",  # navy
)
#: One marker shape per style id too. Eleven shapes against twelve colours (coprime): a
#: (colour, marker) pair repeats only after 132 clusters, and clusters stay apart in grey print.
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "*", "p", "<", ">", "h")
NOISE_COLOR = "#b0b0b0"  # label -1 (DBSCAN / HDBSCAN noise), drawn as a cross

# Font sizes in points, set per artist so Matplotlib's global rcParams stay untouched: at
# least 12 pt, for a projector.
TITLE, LABEL, TEXT = 16, 14, 12


def cluster_style(label: int) -> tuple[str, str]:
    """``(PALETTE[label % 12], MARKERS[label % 11])``: the look of style id ``label`` (a cluster
    or a class); ``-1`` is noise, a light-grey cross.

    Examples
    --------
    >>> cluster_style(0), cluster_style(12), cluster_style(-1)
    (('#3f90da', 'o'), ('#3f90da', 's'), ('#b0b0b0', 'x'))
    """
    label = int(label)
    if label < 0:
        return NOISE_COLOR, "x"
    return PALETTE[label % len(PALETTE)], MARKERS[label % len(MARKERS)]


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _own_ids(values: list) -> dict[Any, int]:
    """Integer labels are their own style id; other labels (text, booleans) go by position."""
    return {v: int(v) if _is_int(v) else i for i, v in enumerate(values)}


def style_ids(labels: Any, true_labels: Any = None) -> dict[Any, int]:
    """The style id (see :func:`cluster_style`) of each distinct label.

    A cluster id is its own style id; with ``true_labels``, each cluster is matched to a class
    (as in :func:`deepclust_lab.metrics.aligned_confusion_matrix`) and takes that class's id,
    so it is drawn in the colour of the class it found. Unmatched clusters take the lowest ids
    no class uses; noise (``-1``) stays noise.

    Examples
    --------
    >>> style_ids([5, 5, 3, 3, 9], [0, 0, 1, 1, 1])
    {3: 1, 5: 0, 9: 2}
    >>> style_ids(["a", "b", "a"])
    {'a': 0, 'b': 1}
    """
    labels = np.asarray(labels)
    own = _own_ids(np.unique(labels).tolist())
    if true_labels is None:
        return own
    truth = np.asarray(true_labels)
    kept = labels != -1 if labels.dtype.kind in "iu" else np.ones(len(labels), dtype=bool)
    if not kept.any():
        return own
    from deepclust_lab.metrics import aligned_confusion_matrix

    _, classes, clusters = aligned_confusion_matrix(truth[kept], labels[kept])
    class_ids = _own_ids(np.unique(truth).tolist())
    n_matched = min(len(classes), len(clusters))
    ids = {c: class_ids[k] for c, k in zip(clusters[:n_matched].tolist(),
                                           classes[:n_matched].tolist(), strict=True)}
    used = set(class_ids.values())
    free = (i for i in range(len(used) + len(clusters)) if i not in used)
    ids.update({c: next(free) for c in clusters[n_matched:].tolist()})
    if -1 in own:
        ids[-1] = -1
    return dict(sorted(ids.items(), key=lambda item: (item[0] == -1, item[0])))


def cluster_colors(labels: Any, true_labels: Any = None) -> dict[Any, str]:
    """The colour of each distinct label, as every figure and widget of the kit draws it (with
    ``true_labels``, the colour of the class it is matched to: :func:`style_ids`).

    Examples
    --------
    >>> cluster_colors([0, 1, 1])
    {0: '#3f90da', 1: '#ffa90e'}
    >>> cluster_colors([0, 0, 1, 1], true_labels=[1, 1, 0, 0])  # cluster 0 found class 1
    {0: '#ffa90e', 1: '#3f90da'}
    """
    return {label: cluster_style(i)[0] for label, i in style_ids(labels, true_labels).items()}


def checked_labels(labels: Any, true_labels: Any, n: int) -> tuple[np.ndarray | None, dict | None]:
    """``labels`` checked against ``n`` points, and their style ids (None, None without them)."""
    if labels is None:
        return None, None
    y = check_labels(labels, "labels", n_samples=n)
    truth = None if true_labels is None else check_labels(true_labels, "true_labels", n_samples=n)
    return y, style_ids(y, truth)


def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def decorate(ax: Axes, title: str | None = None, xlabel: str | None = None,
             ylabel: str | None = None, *, size: int = TITLE) -> Axes:
    """Title and axis labels in projector sizes."""
    if title is not None:
        ax.set_title(title, fontsize=size)
    if xlabel is not None:
        ax.set_xlabel(xlabel, fontsize=LABEL)
    if ylabel is not None:
        ax.set_ylabel(ylabel, fontsize=LABEL)
    ax.tick_params(labelsize=TEXT)
    return ax


def bare(ax: Axes) -> None:
    """No ticks: for small panels whose coordinates mean nothing to the reader."""
    ax.set_xticks([])
    ax.set_yticks([])


def legend(ax: Axes, **kwargs: Any) -> None:
    ax.legend(fontsize=TEXT, frameon=False, **kwargs)


def suptitle(fig: Figure, title: str | None) -> Figure:
    if title is not None:
        fig.suptitle(title, fontsize=TITLE)
    return fig


def grid(n_panels: int, ncols: int, panel: tuple[float, float]) -> tuple[Figure, np.ndarray]:
    """A figure of ``n_panels`` panels, ``ncols`` a row, and its flat array of Axes."""
    ncols = max(1, min(ncols, n_panels))
    nrows = -(-n_panels // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel[0] * ncols, panel[1] * nrows),
                             layout="constrained", squeeze=False)
    for extra in axes.ravel()[n_panels:]:
        extra.remove()
    return fig, axes.ravel()[:n_panels]


def points_2d(X: Any, name: str = "X") -> np.ndarray:
    arr = as_float_matrix(X, name)
    if arr.shape[1] != 2:
        raise ValueError(
            f"{name} must have exactly 2 columns to be drawn in the plane, got {arr.shape[1]}; "
            "project it first (e.g. with plot_embedding)"
        )
    return arr


def marker_size(n_points: int) -> float:
    return float(np.clip(8000.0 / max(n_points, 1), 8.0, 50.0))


def scatter_labels(ax: Axes, X: np.ndarray, labels: np.ndarray | None, *,
                   ids: Mapping[Any, int] | None = None, s: float | None = None,
                   alpha: float = 0.8) -> None:
    """One scatter per label in the look of its style id (``ids``, default: :func:`style_ids`);
    noise (-1) last."""
    s = marker_size(len(X)) if s is None else s
    if labels is None:
        ax.scatter(X[:, 0], X[:, 1], s=s, color=PALETTE[0], alpha=alpha, linewidths=0)
        return
    ids = style_ids(labels) if ids is None else ids
    for value in sorted(np.unique(labels).tolist(), key=lambda v: v == -1):
        noise = _is_int(value) and value == -1
        color, marker = cluster_style(ids[value])
        mask = labels == value
        ax.scatter(X[mask, 0], X[mask, 1], s=s * (0.6 if noise else 1.0), color=color,
                   marker=marker, alpha=alpha, linewidths=1.0 if noise else 0,
                   label="noise" if noise else str(value))


def draw_centers(ax: Axes, centers: np.ndarray, *, ids: Mapping[Any, int] | None = None,
                 size: float = 220) -> None:
    """Centre ``j`` as a large black-edged cross in the colour of cluster ``j``."""
    for j, center in enumerate(centers):
        color = cluster_style(j if ids is None else ids.get(j, j))[0]
        ax.scatter(center[0], center[1], s=size, marker="X", color=color,
                   edgecolors="black", linewidths=1.8, zorder=5)


def draw_lines(ax: Axes, series: Mapping[Any, Any], *, start: int, xlabel: str, ylabel: str,
               title: str, logy: bool = False) -> Axes:
    """One line per entry of ``series``, x counted from ``start``; a legend when named."""
    for j, (name, values) in enumerate(series.items()):
        color, marker = cluster_style(j)
        ax.plot(np.arange(start, start + len(values)), values, color=color, lw=2, ms=6,
                marker=marker if len(values) <= 30 else None,
                label=None if name is None else str(name))
    if any(name is not None for name in series):
        legend(ax)
    if logy:
        ax.set_yscale("log")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    return decorate(ax, title, xlabel, ylabel)


def as_xy(data: Any, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Read a ``Dataset``-like object (``.X``, ``.y``), an ``(X, y)`` pair or a bare ``X``."""
    if hasattr(data, "X"):
        return as_float_matrix(data.X, name), getattr(data, "y", None)
    if isinstance(data, tuple) and len(data) == 2:
        return as_float_matrix(data[0], name), None if data[1] is None else np.asarray(data[1])
    return as_float_matrix(data, name), None

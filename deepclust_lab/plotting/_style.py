"""The look every figure shares: one palette, one marker per cluster, projector-sized fonts.

Private to :mod:`deepclust_lab.plotting`: the figure modules draw through these helpers, so a
colour or a font size is changed here once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from deepclust_lab._checks import as_float_matrix

#: Cluster colours: Petroff's 10-colour accessible sequence (arXiv:2107.02270, Matplotlib's
#: "petroff10" style), chosen by a survey and checked for the common colour-vision deficiencies.
#: Cluster ``i`` is drawn in ``PALETTE[i % 10]`` in every figure and in the embedding explorer.
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
)
#: One marker shape per cluster id too. Nine shapes against ten colours: a (colour, marker) pair
#: repeats only after 90 clusters, and clusters stay apart in grey print.
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "*", "p", "<")
NOISE_COLOR = "#b0b0b0"  # label -1 (DBSCAN / HDBSCAN noise), drawn as a cross

# Font sizes in points, set per artist so Matplotlib's global rcParams stay untouched.
TITLE, LABEL, TEXT = 15, 13, 11


def cluster_style(label: int) -> tuple[str, str]:
    """Return the colour and the marker of cluster ``label``.

    Parameters
    ----------
    label : int
        Cluster id; ``-1`` is noise (a light-grey cross).

    Returns
    -------
    color : str
        ``PALETTE[label % 10]``.
    marker : str
        ``MARKERS[label % 9]``.

    Examples
    --------
    >>> cluster_style(0), cluster_style(10), cluster_style(-1)
    (('#3f90da', 'o'), ('#3f90da', 's'), ('#b0b0b0', 'x'))
    """
    label = int(label)
    if label < 0:
        return NOISE_COLOR, "x"
    return PALETTE[label % len(PALETTE)], MARKERS[label % len(MARKERS)]


def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def decorate(ax: Axes, title: str | None = None, xlabel: str | None = None,
             ylabel: str | None = None, *, size: int = TITLE) -> Axes:
    """Title and axis labels in projector sizes; returns ``ax``."""
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
    """A figure of ``n_panels`` panels, ``ncols`` a row; returns it and the flat Axes array."""
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
                   s: float | None = None, alpha: float = 0.8) -> None:
    """One scatter per label, styled by :func:`cluster_style`; noise (-1) comes last."""
    s = marker_size(len(X)) if s is None else s
    if labels is None:
        ax.scatter(X[:, 0], X[:, 1], s=s, color=PALETTE[0], alpha=alpha, linewidths=0)
        return
    values = sorted(np.unique(labels).tolist(), key=lambda v: v == -1)
    for index, value in enumerate(values):
        # integer ids keep their colour whatever other ids exist; other labels go by position
        integer = isinstance(value, int) and not isinstance(value, bool)
        noise = integer and value == -1
        color, marker = cluster_style(value if integer else index)
        mask = labels == value
        ax.scatter(X[mask, 0], X[mask, 1], s=s * (0.6 if noise else 1.0), color=color,
                   marker=marker, alpha=alpha, linewidths=1.0 if noise else 0,
                   label="noise" if noise else str(value))


def draw_centers(ax: Axes, centers: np.ndarray, *, size: float = 220) -> None:
    """Centre ``j`` as a large black-edged cross in the colour of cluster ``j``."""
    for j, center in enumerate(centers):
        ax.scatter(center[0], center[1], s=size, marker="X", color=cluster_style(j)[0],
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

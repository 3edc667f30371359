"""Figures of learned representations: images and their reconstructions, the training curve,
an embedding seen in 2-D, and classes against clusters (notebooks 02 to 05)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from deepclust_lab._checks import as_float_matrix, check_int
from deepclust_lab.plotting import _style as st

__all__ = [
    "plot_confusion_matrix", "plot_embedding", "plot_images", "plot_reconstructions",
    "plot_training_curve",
]


def plot_embedding(Z: Any, labels: Any = None, *, true_labels: Any = None,
                   ax: Axes | None = None, title: str | None = None,
                   legend: bool | None = None) -> Axes:
    """Scatter an embedding ``Z`` coloured by labels, through PCA when it has more than two
    columns. With ``true_labels``, each cluster takes the colour of the class it is matched to,
    as in the embedding explorer. ``legend`` defaults to one when there are at most 12 labels.

    Examples
    --------
    >>> Z = np.random.default_rng(0).normal(size=(50, 5))
    >>> plot_embedding(Z, np.arange(50) % 3).get_xlabel()
    'PC 1'
    """
    Z = as_float_matrix(Z, "Z")
    pca = Z.shape[1] != 2
    if pca:
        from sklearn.decomposition import PCA

        Z = PCA(n_components=2, random_state=0).fit_transform(Z)
    y, ids = st.checked_labels(labels, true_labels, len(Z))
    ax = st.new_axes(ax, (7, 5.5))
    st.scatter_labels(ax, Z, y, ids=ids, alpha=0.7)
    if legend is None:
        legend = y is not None and len(np.unique(y)) <= 12
    if legend and y is not None:
        st.legend(ax, markerscale=2.5, loc="center left", bbox_to_anchor=(1.0, 0.5))
    if title is None:
        title = "Embedding (PCA to 2-D)" if pca else "Embedding"
    axis = "PC " if pca else "dimension "
    return st.decorate(ax, title, f"{axis}1", f"{axis}2")


def _image_rows(images: Any, image_shape: Sequence[int] | None, name: str) -> np.ndarray:
    """Images as an array (n, height, width[, channels]); square grey images when no shape."""
    arr = np.asarray(images, dtype=float)
    if image_shape is None:
        side = math.isqrt(arr.shape[-1]) if arr.ndim == 2 else 0
        image_shape = arr.shape[1:] if arr.ndim in (3, 4) else (side, side)
    shape = tuple(int(v) for v in image_shape)
    if len(shape) not in (2, 3):
        raise ValueError(
            f"image_shape must be (height, width) or (height, width, channels), got {shape}"
        )
    if arr.ndim < 2 or math.prod(arr.shape[1:]) != math.prod(shape) or 0 in shape:
        raise ValueError(f"{name} of shape {arr.shape} cannot be read as images of shape "
                         f"{shape}; give image_shape=(height, width)")
    arr = arr.reshape((-1, *shape))
    return arr[..., 0] if shape[-1] == 1 and len(shape) == 3 else arr


def _show(ax: Axes, image: np.ndarray, **kwargs: Any) -> None:
    # grey images as dark strokes on white, which read well on a projector
    ax.imshow(image, cmap="gray_r" if image.ndim == 2 else None, interpolation="nearest",
              **kwargs)
    st.bare(ax)
    for spine in ax.spines.values():
        spine.set_visible(False)


def plot_images(images: Any, labels: Any = None, *, image_shape: Sequence[int] | None = None,
                ncols: int = 10, n: int | None = 30, title: str | None = None) -> Figure:
    """Show the first ``n`` images (None: all), ``ncols`` a row, with ``labels`` above them.

    ``images`` are flat rows (e.g. ``Dataset.X``) or shaped; ``image_shape`` is
    ``(height, width[, channels])``, by default the images' own shape, or square and grey.

    Examples
    --------
    >>> len(plot_images(np.zeros((4, 64)), [0, 1, 2, 3], ncols=2).axes)
    4
    """
    imgs = _image_rows(images, image_shape, "images")
    if n is not None:
        imgs = imgs[: check_int(n, "n", low=1)]
    lab = None if labels is None else np.asarray(labels)
    if lab is not None and len(lab) < len(imgs):
        raise ValueError(f"labels has {len(lab)} entries but {len(imgs)} images are shown")
    panel = (1.6, 1.6 if lab is None else 1.8)
    fig, axes = st.grid(len(imgs), check_int(ncols, "ncols", low=1), panel)
    for k, (ax, img) in enumerate(zip(axes, imgs, strict=True)):
        _show(ax, img)
        if lab is not None:
            ax.set_title(str(lab[k]), fontsize=st.LABEL)
    return st.suptitle(fig, title)


def plot_reconstructions(X: Any, X_rec: Any, *, image_shape: Sequence[int] | None = None,
                         n: int = 10,
                         title: str | None = "Originals (top) and reconstructions (bottom)"
                         ) -> Figure:
    """Show the first ``n`` images ``X`` (row "input") above their reconstructions ``X_rec``
    (row "output"); ``image_shape`` as in :func:`plot_images`.

    Examples
    --------
    >>> len(plot_reconstructions(np.zeros((3, 64)), np.ones((3, 64)), n=3).axes)
    6
    """
    originals = _image_rows(X, image_shape, "X")
    rebuilt = _image_rows(X_rec, image_shape, "X_rec")
    if len(originals) != len(rebuilt):
        raise ValueError(f"X has {len(originals)} images but X_rec has {len(rebuilt)}")
    n = min(check_int(n, "n", low=1), len(originals))
    fig, axes = st.grid(2 * n, n, (1.3, 1.5))
    vmax = max(1.0, float(originals[:n].max()))
    for ax, img in zip(axes, [*originals[:n], *rebuilt[:n]], strict=True):
        _show(ax, img, vmin=0, vmax=vmax)
    axes[0].set_ylabel("input", fontsize=st.LABEL)
    axes[n].set_ylabel("output", fontsize=st.LABEL)
    return st.suptitle(fig, title)


def plot_training_curve(history: Any, *, keys: Sequence[str] | None = None,
                        ax: Axes | None = None, logy: bool = False,
                        title: str = "Training curve") -> Axes:
    """Plot logged values per epoch: the ``keys`` (default: all) of a Keras ``History`` or of a
    mapping such as ``{"loss": [...], "val_loss": [...]}``; ``logy`` for a log scale.

    Examples
    --------
    >>> ax = plot_training_curve({"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6]})
    >>> [line.get_label() for line in ax.lines]
    ['loss', 'val_loss']
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, Mapping):
        raise TypeError("history must be a mapping like {'loss': [...]} or a Keras History, "
                        f"got {type(logs).__name__}")
    if keys is None:
        keys = [k for k, v in logs.items() if np.size(v) and np.asarray(v).dtype.kind in "iuf"]
    if missing := [k for k in keys if k not in logs]:
        raise ValueError(f"keys {missing} are not in the history; it has {sorted(logs)}")
    if not keys:
        raise ValueError("history has nothing to plot (no entry with numbers)")
    series = {key: np.asarray(logs[key], dtype=float).ravel() for key in keys}
    return st.draw_lines(st.new_axes(ax, (6, 4)), series, start=1, xlabel="epoch",
                         ylabel="value", title=title, logy=logy)


def plot_confusion_matrix(y_true: Any, y_pred: Any, *, ax: Axes | None = None,
                          normalize: bool = False,
                          title: str = "Confusion matrix (clusters matched to classes)") -> Axes:
    """Draw classes (rows) against clusters (columns), each cluster under the class it matches
    (:func:`deepclust_lab.metrics.aligned_confusion_matrix`), so a perfect clustering shows a
    diagonal. A column is labelled with its cluster and, in brackets, its class (``–``: none);
    with up to 15 clusters each cell shows its count (its fraction of the class: ``normalize``).

    Examples
    --------
    >>> ax = plot_confusion_matrix([0, 0, 1, 1, 2, 2], [2, 2, 0, 0, 1, 1])
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('cluster (matched class)', 'true class')
    >>> [" ".join(tick.get_text().split()) for tick in ax.get_xticklabels()]
    ['2 (0)', '0 (1)', '1 (2)']
    """
    from deepclust_lab.metrics import aligned_confusion_matrix

    matrix, classes, clusters = aligned_confusion_matrix(y_true, y_pred)
    matrix = np.asarray(matrix, dtype=float)
    if normalize:
        totals = matrix.sum(axis=1, keepdims=True)
        matrix = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    n_rows, n_cols = matrix.shape
    ax = st.new_axes(ax, (max(4.5, 0.55 * n_cols + 2.5), max(4.0, 0.5 * n_rows + 2.0)))
    image = ax.imshow(matrix, cmap="Blues", aspect="auto", vmin=0)
    if n_cols <= 15:  # write the value in each cell while they stay legible
        for (i, j), value in np.ndenumerate(matrix):
            ax.text(j, i, f"{value:.2f}" if normalize else f"{value:.0f}", ha="center",
                    va="center", fontsize=st.TEXT,
                    color="white" if value > matrix.max() / 2 else "black")
    matched = [str(classes[j]) if j < min(n_rows, n_cols) else "–" for j in range(n_cols)]
    ax.set_xticks(range(n_cols), [f"{c}\n({m})" for c, m in zip(clusters, matched, strict=True)])
    ax.set_yticks(range(n_rows), [str(c) for c in classes])
    bar = ax.figure.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label("fraction of class" if normalize else "count", fontsize=st.TEXT)
    bar.ax.tick_params(labelsize=st.TEXT)
    return st.decorate(ax, title, "cluster (matched class)", "true class")

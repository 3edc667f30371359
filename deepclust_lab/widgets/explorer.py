"""``EmbeddingExplorer``: a 2-D embedding coloured by cluster, with images on hover (anywidget).

The front-end is plain SVG: ``widgets/frontend/explorer.js`` and ``explorer.css``.
"""

from __future__ import annotations

import pathlib
from collections.abc import Sequence
from typing import Any

import anywidget
import numpy as np
import traitlets
from traitlets import Bytes, Dict, Float, Int, List, Unicode, Union, observe, validate

from deepclust_lab._checks import as_float_matrix, check_int, check_labels
from deepclust_lab.widgets import _common

__all__ = ["EmbeddingExplorer"]

FRONTEND = pathlib.Path(__file__).parent / "frontend"


def _images_to_uint8(images: Any, n: int, image_shape: Sequence[int] | None):
    """Greyscale images as uint8 rows, scaled to 0..255 over the array, and their shape."""
    if images is None:
        return None, []
    try:
        arr = np.asarray(images, dtype=float)
    except (TypeError, ValueError):
        raise TypeError("images must be an array of numbers, (n_samples, height, width) or "
                        f"(n_samples, pixels), got {type(images).__name__}") from None
    if not np.isfinite(arr).all():
        raise ValueError(f"images contains {int((~np.isfinite(arr)).sum())} NaN or infinite "
                         "pixel(s); replace them first, e.g. with np.nan_to_num(images)")
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
    return np.round(scaled * 255).astype(np.uint8), shape


class EmbeddingExplorer(_common.Snapshot, anywidget.AnyWidget):
    """A scatter of a 2-D embedding coloured by cluster, with images on hover (anywidget).

    Hovering a point shows its image and true label; clicking a point or a legend entry
    selects its cluster and shows a grid of its members. ``selected_cluster`` (settable from
    Python too) and ``selected_indices`` (rows of the original data) are synced back.

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
        Each cluster is then coloured like the class it is matched to, as
        :func:`~deepclust_lab.plotting.plot_embedding` colours it.
    max_points : int, default=2000
        Larger inputs are subsampled (seeded by ``random_state``) to keep the page light.

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

    _esm = FRONTEND / "explorer.js"
    _css = FRONTEND / "explorer.css"

    x = List(Float()).tag(sync=True)
    y = List(Float()).tag(sync=True)
    labels = List(Int()).tag(sync=True)
    true_labels = List(Union([Int(), Unicode()])).tag(sync=True)
    images = Bytes(b"").tag(sync=True)
    image_shape = List(Int()).tag(sync=True)
    palette = List(Unicode(), help="deepclust_lab.plotting.PALETTE, the kit's one palette.").tag(
        sync=True)
    cluster_colors = Dict(value_trait=Unicode(), key_trait=Unicode(),
                          help="Colour of each cluster, keyed by str(cluster id).").tag(sync=True)
    title = Unicode("").tag(sync=True)
    max_grid = Int(120).tag(sync=True)
    selected_cluster = Int(None, allow_none=True).tag(sync=True)
    selected_indices = List(Int()).tag(sync=True)
    sample_indices = List(Int(), help="Row of the original data behind each point shown.")

    def __init__(self, embedding: Any, labels: Any, *, images: Any = None,
                 image_shape: Sequence[int] | None = None, true_labels: Any = None,
                 max_points: int = 2000, random_state: int = 0, title: str = "",
                 **kwargs: Any) -> None:
        Z = as_float_matrix(embedding, "embedding")
        n = len(Z)
        cluster_ids = check_labels(labels, "labels", n_samples=n)
        if cluster_ids.dtype.kind not in "iu":
            raise TypeError(f"labels must be integer cluster ids, got dtype {cluster_ids.dtype}")
        truth = None if true_labels is None else check_labels(true_labels, "true_labels",
                                                              n_samples=n)
        max_points = check_int(max_points, "max_points", low=1)
        from deepclust_lab.plotting import PALETTE, cluster_colors  # pyplot only when used

        pixels, shape = _images_to_uint8(images, n, image_shape)
        colors = cluster_colors(cluster_ids, truth)  # on every sample, as plot_embedding does
        keep = np.arange(n)
        if n > max_points:
            rng = np.random.default_rng(random_state)
            keep = np.sort(rng.choice(n, size=max_points, replace=False))
        view, _ = _common.project_2d(Z, random_state=random_state)
        super().__init__(
            x=view[keep, 0].tolist(), y=view[keep, 1].tolist(),
            labels=cluster_ids[keep].astype(int).tolist(),
            true_labels=[] if truth is None else truth[keep].tolist(),
            images=b"" if pixels is None else pixels[keep].tobytes(), image_shape=list(shape), palette=list(PALETTE),
            cluster_colors={str(c): colour for c, colour in colors.items()}, title=title,
            sample_indices=keep.tolist(), **kwargs,
        )

    @classmethod
    def from_dataset(cls, dataset: Any, labels: Any, embedding: Any = None,
                     **kwargs: Any) -> EmbeddingExplorer:
        """From a :class:`~deepclust_lab.data.Dataset`, with its images and true labels;
        ``embedding`` defaults to its features."""
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
        self.selected_indices = [] if cluster is None else [
            row for row, c in zip(self.sample_indices, self.labels, strict=True) if c == cluster
        ]

    def _snapshot(self) -> str:
        """The scatter as the front-end draws it (same colours), as a PNG in HTML."""
        fig, ax = _common.new_figure(640, 480)
        ax.scatter(self.x, self.y, s=10, c=[self.cluster_colors.get(str(c), "#b0b0b0")
                                            for c in self.labels])
        ax.set(xticks=[], yticks=[], title=self.title or "clusters")
        return _common.snapshot_html(self.title or "EmbeddingExplorer", [_common.figure_png(fig)])

    def image_of(self, position: int) -> np.ndarray:
        """The uint8 image of the ``position``-th point shown (what the tooltip draws)."""
        h, w = self.image_shape
        start = position * h * w
        return np.frombuffer(self.images[start:start + h * w], dtype=np.uint8).reshape(h, w)

"""Figures for the notebooks: one line in a notebook, one idea per figure.

Every helper reads ``plot_<topic>(data, labels=None, *, ax=None, ...)``: the data first, then
(where it applies) the labels, then keyword-only options. A single-panel helper draws into
``ax`` (a new figure when ``None``) and returns that ``Axes``; a multi-panel one returns the
``Figure``. Helpers never print and never change Matplotlib's global settings.

==========================  =======  =========================================================
helper                      returns  draws
==========================  =======  =========================================================
``plot_clusters``           Axes     2-D points coloured by cluster, optional centres
``plot_kmeans_steps``       Figure   K-means iterations side by side: labels, centres, moves
``plot_inertia_curve``      Axes     inertia per iteration (one run or several)
``plot_k_selection``        Figure   inertia / silhouette / gap / BIC against k
``plot_dataset_gallery``    Figure   the toy data sets side by side, true labels
``plot_method_comparison``  Figure   rows data sets x columns methods, ARI per panel
``plot_embedding``          Axes     an embedding coloured by label (PCA to 2-D)
``plot_images``             Figure   a grid of images, optionally titled with labels
``plot_reconstructions``    Figure   originals above their reconstructions
``plot_training_curve``     Axes     loss (and other logged values) per epoch
``plot_confusion_matrix``   Axes     classes x clusters, clusters matched to classes
==========================  =======  =========================================================

Cluster ``i`` is drawn in ``PALETTE[i % 12]`` (12 colour-blind-safe colours, shared with the
widgets) with marker ``i % 11``; noise (``-1``) is a grey cross. With true labels, clusters take
the colour of the class they are matched to (``cluster_colors``). Text is 12 pt or larger.
"""

from deepclust_lab.plotting._style import PALETTE, cluster_colors, cluster_style
from deepclust_lab.plotting.clusters import (
    plot_clusters,
    plot_dataset_gallery,
    plot_inertia_curve,
    plot_k_selection,
    plot_kmeans_steps,
    plot_method_comparison,
)
from deepclust_lab.plotting.embeddings import (
    plot_confusion_matrix,
    plot_embedding,
    plot_images,
    plot_reconstructions,
    plot_training_curve,
)

__all__ = [
    "PALETTE", "cluster_colors", "cluster_style", "plot_clusters", "plot_confusion_matrix",
    "plot_dataset_gallery", "plot_embedding", "plot_images", "plot_inertia_curve",
    "plot_k_selection", "plot_kmeans_steps", "plot_method_comparison", "plot_reconstructions",
    "plot_training_curve",
]

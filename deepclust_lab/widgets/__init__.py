"""Interactive apps for the notebooks: ``KMeansStepper`` (notebook 02), ``ClusterLab``
(notebook 04) and ``EmbeddingExplorer``.

Each keeps its state and rules in a ``traitlets.HasTraits`` model (``@validate``, ``@observe``),
tested without a browser, apart from a thin view that forwards clicks and draws what the
model holds: ipywidgets controls, or for the explorer an anywidget ES module.
"""

from deepclust_lab.widgets._background import RUN_STATES
from deepclust_lab.widgets.explorer import EmbeddingExplorer
from deepclust_lab.widgets.lab import ClusterLab, ClusterLabModel, LabResult
from deepclust_lab.widgets.stepper import KMeansStepper, KMeansStepperModel

__all__ = [
    "RUN_STATES",
    "ClusterLab",
    "ClusterLabModel",
    "EmbeddingExplorer",
    "KMeansStepper",
    "KMeansStepperModel",
    "LabResult",
]

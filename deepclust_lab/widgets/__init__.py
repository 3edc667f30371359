"""Interactive apps for the notebooks: ``KMeansStepper``, ``ClusterLab`` and ``EmbeddingExplorer``.

Each app keeps its state and rules in a small ``traitlets.HasTraits`` model (validated with
``@validate``, reacting with ``@observe``), apart from a thin view: ipywidgets controls, each
linked to one model setting, or, for the explorer, an anywidget ES module whose sources are
``widgets/`` at the top of the repository. The models are tested without a browser; the views
only forward clicks and draw what the model holds.

- :mod:`~deepclust_lab.widgets.stepper`: K-means one iteration at a time (notebook 02);
- :mod:`~deepclust_lab.widgets.lab`: retrain / re-cluster / stop a deep pipeline (notebook 04);
- :mod:`~deepclust_lab.widgets.explorer`: hover and click through an embedding.
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

"""What the three widgets share: cached datasets, 2-D views, figures, colours, bound controls."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import numpy as np
from traitlets import HasTraits

from deepclust_lab._checks import check_choice, check_int

#: Seeds a widget accepts (and its seed box offers).
SEED_RANGE = (0, 10**6)
# Extra colours after the kit's palette, so that more clusters get distinct colours in the
# widgets (which, unlike the static plots, do not vary the marker).
_EXTRA_COLOURS = ("#999999", "#882255", "#44AA99", "#117733")


def palette() -> list[str]:
    """Cluster colours: ``deepclust_lab.plotting.PALETTE`` (colour-blind safe), then extras."""
    from deepclust_lab.plotting import PALETTE

    return [*PALETTE, *(c for c in _EXTRA_COLOURS if c not in PALETTE)]


@functools.lru_cache(maxsize=8)
def load_cached(name: str, n_samples: int | None = None):
    """``data.load_dataset`` once per (name, size) per process: switching datasets is instant."""
    from deepclust_lab.data import load_dataset

    return load_dataset(name) if n_samples is None else load_dataset(name, n_samples=n_samples)


def project_2d(Z: np.ndarray, random_state: int = 0) -> tuple[np.ndarray, Callable | None]:
    """A 2-D view of ``Z`` (PCA when it has more than two columns) and the projection used."""
    if Z.shape[1] == 2:
        return np.asarray(Z, dtype=float), None
    if Z.shape[1] == 1:
        return np.column_stack([Z[:, 0], np.zeros(len(Z))]), None
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2, random_state=random_state).fit(Z)
    return pca.transform(Z), pca.transform


def new_figure(width: float, height: float, ncols: int = 1):
    """A matplotlib ``Figure`` and its axes, made without pyplot (so it is safe in threads)."""
    from matplotlib.figure import Figure

    # "tight" rather than "constrained": half the drawing time, which Re-cluster waits for
    fig = Figure(figsize=(width, height), dpi=80, layout="tight")
    return fig, fig.subplots(1, ncols)


def figure_png(fig) -> bytes:
    """PNG bytes of a ``Figure`` from :func:`new_figure`."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi)
    return buffer.getvalue()


def check_setting(model: HasTraits, proposal: dict) -> Any:
    """The one rule for a model's settings: ints within ``model.RANGES[name]``, strings among
    ``model.CHOICES[name]`` (a ``@validate`` handler of the model calls this)."""
    name, value = proposal["trait"].name, proposal["value"]
    if name in model.CHOICES:
        return check_choice(value, name, model.CHOICES[name])
    low, high = model.RANGES[name]
    return check_int(value, name, low=low, high=high)


def bound(model: HasTraits, name: str, control_class: type, **kwargs: Any) -> widgets.Widget:
    """A ``control_class`` control whose ``value`` is linked both ways to ``model.<name>``.

    An int setting's control gets ``min`` / ``max`` from ``model.RANGES``, a string setting's its
    ``options`` from ``model.CHOICES`` (unless given), so each range is written once: in the model.
    """
    if name in getattr(model, "RANGES", {}):
        kwargs["min"], kwargs["max"] = model.RANGES[name]
    if name in getattr(model, "CHOICES", {}):
        kwargs.setdefault("options", model.CHOICES[name])
    control = control_class(**kwargs)
    widgets.link((model, name), (control, "value"))
    return control

"""What the three widgets share: cached datasets, 2-D views, figures, colours, bound controls."""

from __future__ import annotations

import base64
import functools
import io
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

import ipywidgets as widgets
import numpy as np
from traitlets import HasTraits

from deepclust_lab._checks import check_choice, check_int

#: Seeds a widget accepts (and its seed box offers).
SEED_RANGE = (0, 10**6)
#: The widgets' PNGs are shown one pixel to one CSS pixel (96 a CSS inch), so 12 pt reads as 12 pt
DPI = 96


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


def new_figure(width: int, height: int, ncols: int = 1):
    """A ``Figure`` of ``width`` x ``height`` pixels and its axes, without pyplot (thread-safe)."""
    from matplotlib.figure import Figure

    # "tight" rather than "constrained": half the drawing time, which Re-cluster waits for
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, layout="tight")
    return fig, fig.subplots(1, ncols)


@functools.lru_cache(maxsize=8)
def placeholder_png(text: str, width: int, height: int) -> bytes:
    """PNG of an empty frame with ``text`` in the middle, shown before there is anything to draw."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    fig.patch.set_edgecolor("#bbbbbb")
    fig.patch.set_linewidth(2)
    fig.text(0.5, 0.5, text, ha="center", va="center", fontsize=16, color="#555555", wrap=True)
    return figure_png(fig)


def image(placeholder: str, width: int, height: int) -> widgets.Image:
    """An image shown 1:1 (narrower only when the page is), with ``placeholder`` text at first."""
    return widgets.Image(value=placeholder_png(placeholder, width, height), format="png",
                         layout=widgets.Layout(width=f"{width}px", max_width="100%"))


def figure_png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi)
    return buffer.getvalue()


def snapshot_html(title: str, pngs: Sequence[bytes], html: str = "") -> str:
    """A self-contained HTML picture of a widget (PNGs inline, no script), for pages without
    a kernel."""
    images = "".join(f'<img alt="{escape(title)}" style="max-width:100%" src="data:image/png;'
                     f'base64,{base64.b64encode(png).decode()}">' for png in pngs if png)
    return (f'<div class="dcl-snapshot"><p><b>{escape(title)}</b> <i>(a picture of the widget '
            f"as it was; run the notebook to use it)</i></p>{html}{images}</div>")


class Snapshot:
    """Mixin: the display bundle also carries ``self._snapshot()`` as ``text/html``. Jupyter
    draws the live widget; GitHub, nbviewer and nbconvert show the picture."""

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)  # data, or (data, metadata) for anywidget
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data["text/html"] = self._snapshot()
        return bundle


def check_setting(model: HasTraits, proposal: dict) -> Any:
    """A model's ``@validate`` rule: ints within ``model.RANGES``, strings in ``model.CHOICES``."""
    name, value = proposal["trait"].name, proposal["value"]
    if name in model.CHOICES:
        return check_choice(value, name, model.CHOICES[name])
    low, high = model.RANGES[name]
    return check_int(value, name, low=low, high=high)


def bound(model: HasTraits, name: str, control_class: type, **kwargs: Any) -> widgets.Widget:
    """A ``control_class`` control whose ``value`` is linked both ways to ``model.<name>``, with
    its ``min`` / ``max`` or ``options`` from ``model.RANGES`` / ``model.CHOICES``."""
    if name in getattr(model, "RANGES", {}):
        kwargs["min"], kwargs["max"] = model.RANGES[name]
    if name in getattr(model, "CHOICES", {}):
        kwargs.setdefault("options", model.CHOICES[name])
    control = control_class(**kwargs)
    widgets.link((model, name), (control, "value"))
    return control

"""Figures of clusters in the plane: points and centres, K-means step by step, choosing k, and
galleries of data sets and methods (notebooks 00, 01, 02, 05 and 06)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from deepclust_lab._checks import check_choice, check_int, check_labels
from deepclust_lab.plotting import _style as st

__all__ = [
    "plot_clusters", "plot_dataset_gallery", "plot_inertia_curve", "plot_k_selection",
    "plot_kmeans_steps", "plot_method_comparison",
]


def plot_clusters(X: Any, labels: Any = None, *, true_labels: Any = None, centers: Any = None,
                  ax: Axes | None = None, title: str | None = None, legend: bool = False) -> Axes:
    """Scatter 2-D points coloured by cluster (``-1``: noise), with ``centers`` (centre ``j`` is
    cluster ``j``) as large crosses. With ``true_labels``, each cluster takes the colour of the
    class it is matched to (:func:`~deepclust_lab.plotting.cluster_colors`).

    Examples
    --------
    >>> X = [[0.0, 0.0], [0.1, 0.2], [3.0, 3.0], [3.1, 2.9]]
    >>> plot_clusters(X, [0, 0, 1, 1], centers=[[0, 0], [3, 3]], title="two").get_title()
    'two'
    """
    X = st.points_2d(X, "X")
    y, ids = st.checked_labels(labels, true_labels, len(X))
    ax = st.new_axes(ax, (6, 5))
    st.scatter_labels(ax, X, y, ids=ids)
    if centers is not None:
        st.draw_centers(ax, st.points_2d(centers, "centers"), ids=ids)
    if legend and y is not None:
        st.legend(ax, markerscale=1.5)
    return st.decorate(ax, title, "feature 1", "feature 2")


def _history_steps(history: Any) -> list:
    steps = getattr(history, "history_", history)
    steps = None if steps is None else list(steps)
    if steps is None:
        raise ValueError("the model has no history: fit it with keep_history=True to record "
                         "the iterations")
    if not steps:
        raise ValueError("history is empty: there are no iterations to draw")
    return steps


def _chosen_steps(steps: int | Sequence[int], n: int) -> list[int]:
    if isinstance(steps, (int, np.integer)):
        count = min(check_int(steps, "steps", low=1), n)
        return sorted(set(np.linspace(0, n - 1, count).round().astype(int).tolist()))
    chosen = [i + n if i < 0 else i for i in (check_int(i, "steps[i]") for i in steps)]
    if not chosen or any(not 0 <= i < n for i in chosen):
        raise ValueError(f"steps must be indices in [0, {n - 1}] (the history has {n} steps), "
                         f"got {list(steps)}")
    return chosen


def plot_kmeans_steps(history: Any, X: Any, *, steps: int | Sequence[int] = 6) -> Figure:
    """Draw K-means iterations side by side, three a row: labels, centres, and arrows for how
    the centres moved.

    ``history`` is a fitted KMeans' ``history_`` (or the model): steps with ``centers``,
    ``labels`` and ``inertia``; ``X`` the 2-D data it was fitted on. ``steps`` is how many
    steps to draw (evenly spaced, first and last included), or their indices.

    Examples
    --------
    >>> from collections import namedtuple
    >>> Step = namedtuple("Step", "centers labels inertia")
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [4.0, 4.0], [4.0, 5.0]])
    >>> history = [Step(X[[0, 1]], [0, 1, 1, 1], 30.0), Step(X[[0, 2]], [0, 0, 1, 1], 1.0)]
    >>> len(plot_kmeans_steps(history, X).axes)
    2
    """
    all_steps = _history_steps(history)
    X = st.points_2d(X, "X")
    chosen = _chosen_steps(steps, len(all_steps))
    fig, axes = st.grid(len(chosen), 3, (4.2, 3.8))
    for ax, i in zip(axes, chosen, strict=True):
        centers = np.asarray(all_steps[i].centers, dtype=float)
        st.scatter_labels(ax, X, np.asarray(all_steps[i].labels), s=st.marker_size(len(X)) * 0.7,
                          alpha=0.6)
        before = np.asarray(all_steps[max(i - 1, 0)].centers, dtype=float)
        for a, b in zip(before, centers, strict=True):
            if np.linalg.norm(b - a) > 1e-12:  # no arrow on step 0 or for a centre that stayed
                ax.annotate("", xy=b, xytext=a, zorder=4,
                            arrowprops={"arrowstyle": "->", "color": "black", "lw": 1.5})
        st.draw_centers(ax, centers, size=160)
        st.decorate(ax, f"step {i}: inertia {all_steps[i].inertia:.4g}", size=st.LABEL)
        st.bare(ax)
    return st.suptitle(fig, "K-means, step by step (X = centre, arrow = its move)")


def plot_inertia_curve(history: Any, *, ax: Axes | None = None,
                       title: str = "Inertia per iteration") -> Axes:
    """Plot inertia per iteration of a ``history`` (as in :func:`plot_kmeans_steps`, or plain
    numbers), or of a mapping ``{name: history}``: one line per run, with a legend.

    Examples
    --------
    >>> len(plot_inertia_curve([120.0, 60.5, 48.2, 48.0]).lines)
    1
    """
    runs = history if isinstance(history, Mapping) else {None: history}
    series = {}
    for name, run in runs.items():
        steps = _history_steps(run)
        numbers = all(isinstance(s, (int, float, np.number)) for s in steps)
        series[name] = [float(s if numbers else s.inertia) for s in steps]
    return st.draw_lines(st.new_axes(ax, (6, 4)), series, start=0, xlabel="iteration",
                         ylabel="inertia", title=title)


# column -> (panel title, how the best k is read, axis label). The gap statistic's pick is the
# one deepclust_lab.selection stores with its table (see _picks); it is not re-derived here.
_K_METRICS: dict[str, tuple[str, str | None, str]] = {
    "inertia": ("Inertia (look for the elbow)", "elbow", "inertia"),
    "silhouette": ("Silhouette (higher is better)", "max", "mean silhouette"),
    "gap": ("Gap statistic", None, "gap"),
    "bic": ("BIC, Gaussian mixture (lower is better)", "min", "BIC"),
    "davies_bouldin": ("Davies-Bouldin (lower is better)", "min", "Davies-Bouldin"),
    "calinski_harabasz": ("Calinski-Harabasz (higher is better)", "max", "Calinski-Harabasz"),
}


def _columns(table: Any) -> dict[str, np.ndarray]:
    """A DataFrame, a dict of columns or a list of row dicts as ``{lower-case name: floats}``."""
    if not isinstance(table, (pd.DataFrame, Mapping, list, tuple)):
        raise TypeError("table must be a DataFrame, a dict of columns or a list of row dicts "
                        f"with a 'k' column, got {type(table).__name__}")
    frame = pd.DataFrame(table)
    if frame.index.name == "k":
        frame = frame.reset_index()
    cols = {str(c).lower(): pd.to_numeric(frame[c], errors="coerce").to_numpy(float)
            for c in frame.columns}
    if "k" not in cols:
        raise ValueError(f"table needs a 'k' column; it has {sorted(cols)}")
    return cols


def _picks(table: Any) -> dict[str, Any]:
    """The best k per criterion that :mod:`deepclust_lab.selection` stored on its table."""
    attrs = getattr(table, "attrs", {})
    picks = dict(attrs.get("best") or {})  # sweep_k: elbow, silhouette, gap, bic
    if "best_k" in attrs:  # gap_statistic
        picks.setdefault("gap", attrs["best_k"])
    if "elbow" in picks:
        picks["inertia"] = picks.pop("elbow")
    return picks


def _best_k(rule: str | None, k: np.ndarray, values: np.ndarray) -> int | None:
    ok = np.isfinite(values)
    if rule is None or not ok.any():
        return None
    if rule == "elbow":
        if ok.sum() < 3 or np.any(np.diff(k[ok]) <= 0):
            return None
        from deepclust_lab.selection import find_elbow

        return find_elbow(k[ok], values[ok])
    return int(k[ok][(np.argmax if rule == "max" else np.argmin)(values[ok])])


def _draw_criterion(panel: Axes, j: int, metric: str, cols: dict, picks: dict) -> None:
    k, values = cols["k"].astype(int), cols[metric]
    name, rule, ylabel = _K_METRICS.get(metric, (metric, None, metric))
    color, marker = st.cluster_style(j)
    panel.errorbar(k, values, yerr=cols.get("gap_se") if metric == "gap" else None,
                   color=color, marker=marker, lw=2, ms=6, capsize=3)
    # a stored pick wins, even None ("switched off"); otherwise the rule of _K_METRICS
    best = picks[metric] if metric in picks else _best_k(rule, k, values)
    if best is not None:
        panel.axvline(best, color="0.35", ls="--", lw=1.2)
        panel.annotate(f"k = {best}", xy=(best, 1.0), xycoords=("data", "axes fraction"),
                       xytext=(4, -14), textcoords="offset points", fontsize=st.TEXT)
    panel.set_xticks(k)
    panel.grid(alpha=0.3)
    st.decorate(panel, name, "k (number of clusters)", ylabel, size=st.LABEL)


def plot_k_selection(table: Any, *, metrics: Sequence[str] | None = None,
                     title: str | None = "Choosing k") -> Figure:
    """Plot the criteria for choosing k against k, one panel each.

    ``table`` (a DataFrame such as :func:`deepclust_lab.selection.sweep_k`'s, a dict of columns
    or a list of row dicts) has a ``k`` column and any of ``inertia``, ``silhouette``, ``gap``
    (``gap_se``: error bars), ``bic``, ``davies_bouldin``, ``calinski_harabasz``; ``metrics``
    picks the panels (default: every such column). A dashed line marks the k each criterion
    prefers: the pick stored in ``table.attrs``, else the elbow of the inertia, the largest
    silhouette or Calinski-Harabasz, the smallest BIC or Davies-Bouldin.

    Examples
    --------
    >>> table = {"k": [2, 3, 4], "inertia": [90.0, 40.0, 35.0], "silhouette": [0.5, 0.7, 0.6]}
    >>> [a.get_title() for a in plot_k_selection(table).axes]
    ['Inertia (look for the elbow)', 'Silhouette (higher is better)']
    """
    cols = _columns(table)
    if metrics is None:
        metrics = [m for m in _K_METRICS if m in cols and np.isfinite(cols[m]).any()]
    metrics = [m.lower() for m in metrics]
    if unknown := [m for m in metrics if m not in cols]:
        raise ValueError(f"metrics {unknown} are not columns of the table; it has {sorted(cols)}")
    if not metrics:
        raise ValueError(f"table has no criterion to plot; expected one of {sorted(_K_METRICS)}")
    fig, axes = st.grid(len(metrics), len(metrics), (4.3, 3.6))
    for j, (panel, metric) in enumerate(zip(axes, metrics, strict=True)):
        _draw_criterion(panel, j, metric, cols, _picks(table))
    return st.suptitle(fig, title)


def _named_datasets(datasets: Any, *, n_samples: int, random_state: int) -> dict[str, tuple]:
    if isinstance(datasets, str):
        datasets = [datasets]
    pairs = datasets.items() if isinstance(datasets, Mapping) else [(None, d) for d in datasets]
    out: dict[str, tuple] = {}
    for name, data in pairs:
        if isinstance(data, str):
            from deepclust_lab.data import load_dataset

            data = load_dataset(data, n_samples=n_samples, random_state=random_state)
        title = str(getattr(data, "name", f"data set {len(out) + 1}") if name is None else name)
        out[title.replace("_", " ")] = st.as_xy(data, title)
    if not out:
        raise ValueError("datasets is empty: give at least one data set")
    return out


def plot_dataset_gallery(datasets: Sequence[Any] | Mapping[str, Any] | None = None, *,
                         n_samples: int = 500, random_state: int = 0,
                         title: str | None = "The toy data sets (colours: true groups)") -> Figure:
    """Show 2-D data sets side by side, coloured by their true labels.

    ``datasets`` are names (loaded with ``n_samples`` and ``random_state``), ``Dataset`` objects,
    ``(X, y)`` pairs or bare ``X``, in a sequence or a mapping of title to data; by default the
    five toy sets.

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(20, 2))
    >>> [a.get_title() for a in plot_dataset_gallery({"noise": X, "halves": (X, X[:, 0] > 0)}).axes]
    ['noise', 'halves']
    """
    if datasets is None:
        datasets = ("blobs", "moons", "circles", "anisotropic", "varied_density")
    items = _named_datasets(datasets, n_samples=n_samples, random_state=random_state)
    fig, axes = st.grid(len(items), len(items), (3.4, 3.3))
    for ax, (name, (X, y)) in zip(axes, items.items(), strict=True):
        st.scatter_labels(ax, st.points_2d(X, name), None if y is None else np.asarray(y, int))
        st.decorate(ax, name, size=st.LABEL)
        st.bare(ax)
    return st.suptitle(fig, title)


def _score_text(scores: Any, y: np.ndarray | None, labels: np.ndarray, row: Any,
                column: Any) -> str | None:
    if scores == "ari" and y is not None:
        from sklearn.metrics import adjusted_rand_score

        # "+ 0.0" so that a score that rounds to zero does not print as -0.00
        return f"ARI {round(adjusted_rand_score(y, labels), 2) + 0.0:.2f}"
    value = scores.get(row, {}).get(column) if isinstance(scores, Mapping) else None
    return None if value is None else f"{round(float(value), 2) + 0.0:.2f}"


def plot_method_comparison(
    datasets: Mapping[str, Any], predictions: Mapping[str, Mapping[str, Any]], *,
    scores: str | Mapping[str, Mapping[str, float]] | None = "ari", title: str | None = None,
) -> Figure:
    """Grid of cluster assignments: one row per data set, one column per method.

    ``datasets`` maps names to data (a ``Dataset``, an ``(X, y)`` pair or a 2-D ``X``);
    ``predictions[dataset][method]`` holds the labels, the columns following the first data
    set's methods. With true labels, clusters take the colour of the class they are matched
    to, so a group keeps its colour from method to method. ``scores`` writes in each corner the
    ARI against the true labels ("ari"), ``scores[dataset][method]``, or nothing (None).

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(30, 2)); y = (X[:, 0] > 0).astype(int)
    >>> fig = plot_method_comparison({"data": (X, y)}, {"data": {"truth": y, "one": 0 * y}})
    >>> [a.get_title() for a in fig.axes]
    ['truth', 'one']
    """
    if not isinstance(datasets, Mapping) or not datasets:
        raise TypeError("datasets must be a non-empty mapping of name -> (X, y), Dataset or X")
    if missing := [name for name in datasets if name not in predictions]:
        raise ValueError(f"predictions has no entry for data sets {missing}")
    methods = list(predictions[next(iter(datasets))])
    if not methods:
        raise ValueError("predictions holds no method")
    if isinstance(scores, str):
        check_choice(scores, "scores", ["ari"])
    fig, axes = st.grid(len(datasets) * len(methods), len(methods), (2.6, 2.5))
    rows = axes.reshape(len(datasets), len(methods))
    for row, (data_name, data) in zip(rows, datasets.items(), strict=True):
        X, y = st.as_xy(data, str(data_name))
        X = st.points_2d(X, str(data_name))
        for ax, method in zip(row, methods, strict=True):
            if method not in predictions[data_name]:
                raise ValueError(f"predictions[{data_name!r}] has no entry for method {method!r}")
            labels = check_labels(predictions[data_name][method],
                                  f"predictions[{data_name!r}][{method!r}]", n_samples=len(X))
            st.scatter_labels(ax, X, labels, ids=st.style_ids(labels, y),
                              s=st.marker_size(len(X)) * 0.5)
            st.bare(ax)
            if text := _score_text(scores, y, labels, data_name, method):
                ax.text(0.98, 0.03, text, transform=ax.transAxes, ha="right", va="bottom",
                        fontsize=st.TEXT, bbox={"facecolor": "white", "alpha": 0.8, "lw": 0})
        row[0].set_ylabel(str(data_name).replace("_", " "), fontsize=st.LABEL)
    for ax, method in zip(axes, methods, strict=False):  # the first row names the methods
        ax.set_title(str(method), fontsize=st.LABEL)
    return st.suptitle(fig, title)

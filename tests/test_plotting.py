"""Smoke tests for deepclust_lab.plotting, driven by ``__all__`` (as mglearn tests its plots).

Every public name gets a small call that exercises it; each call asserts what was drawn
(titles, number of artists). Every helper must never print, must keep the one signature style
and must write no text smaller than 12 pt (projector). The palette is checked to stay
distinct under simulated colour-vision deficiencies, and clusters aligned to classes to take
their classes' colours.
"""

from __future__ import annotations

import doctest
import inspect
import itertools
from collections import namedtuple

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.text import Text

from deepclust_lab import plotting
from deepclust_lab.plotting import _style

Step = namedtuple("Step", "centers labels inertia")


@pytest.fixture(scope="module")
def points():
    rng = np.random.default_rng(0)
    centers = np.array([[0.0, 0.0], [5.0, 5.0], [0.0, 5.0]])
    X = np.concatenate([c + rng.normal(scale=0.5, size=(20, 2)) for c in centers])
    y = np.repeat([0, 1, 2], 20)
    return X, y, centers


@pytest.fixture(scope="module")
def history(points):
    X, _, _ = points
    steps, centers = [], X[[0, 1, 2]]
    for _ in range(4):
        d = ((X[:, None, :] - centers[None]) ** 2).sum(-1)
        labels = d.argmin(1)
        steps.append(Step(centers.copy(), labels, float(d.min(1).sum())))
        centers = np.array([X[labels == j].mean(0) for j in range(3)])
    return steps


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _titles(fig: Figure) -> list[str]:
    return [ax.get_title() for ax in fig.axes]


def _scatter_colours(ax: Axes) -> dict[str, str]:
    """Legend text (the label) -> the colour its points are drawn in."""
    return {c.get_label(): to_hex(c.get_facecolor()[0]) for c in ax.collections
            if not c.get_label().startswith("_")}


def _marks(fig: Figure) -> dict[str, list[str]]:
    """First word of each panel title -> the 'k = ...' marks written in that panel."""
    return {ax.get_title().split()[0].rstrip(","): [t.get_text() for t in ax.texts]
            for ax in fig.axes}


# one case per public name: a function taking the fixtures, calling the helper and asserting
def case_PALETTE(points, history):
    palette = plotting.PALETTE
    assert len(palette) >= 10  # the ten digits get ten colours
    assert len(palette) == 12  # and k = 11 or 12 still has a colour per cluster
    assert len({c.lower() for c in palette}) == len(palette)
    assert all(len(c) == 7 and c.startswith("#") and int(c[1:], 16) >= 0 for c in palette)
    # the widget explorer draws cluster i in palette[i] too: PALETTE is its single source
    assert _style.NOISE_COLOR not in palette


def case_cluster_style(points, history):
    # cluster id i -> colour i, and a distinct marker for each of the first eleven ids
    assert [plotting.cluster_style(j)[0] for j in range(12)] == list(plotting.PALETTE)
    assert len({plotting.cluster_style(j)[1] for j in range(11)}) == 11
    styles = {plotting.cluster_style(j) for j in range(132)}
    assert len(styles) == 132  # many clusters stay distinguishable (colour x marker)
    assert plotting.cluster_style(-1) == (_style.NOISE_COLOR, "x")


def case_cluster_colors(points, history):
    palette = plotting.PALETTE
    # without classes, cluster i is palette[i]; noise is grey
    assert plotting.cluster_colors([3, 0, -1]) == {0: palette[0], 3: palette[3],
                                                   -1: _style.NOISE_COLOR}
    # with classes, each cluster takes the colour of the class it is matched to (Hungarian)
    y = np.repeat(np.arange(10), 5)
    clusters = (y * 7 + 3) % 10  # the same groups, renumbered: class c is cluster 7c+3 mod 10
    colours = plotting.cluster_colors(clusters, y)
    assert all(colours[(c * 7 + 3) % 10] == palette[c] for c in range(10))
    # a cluster left unmatched gets a colour no class has; noise stays noise
    labels = np.where(np.arange(50) % 5 == 0, 10, clusters)
    labels[:2] = -1
    colours = plotting.cluster_colors(labels, y)
    assert colours[10] not in {colours[c] for c in range(10)} | {_style.NOISE_COLOR}
    assert colours[-1] == _style.NOISE_COLOR and len(set(colours.values())) == 12


def case_plot_clusters(points, history):
    X, y, centers = points
    ax = plotting.plot_clusters(X, y, centers=centers, title="three groups", legend=True)
    assert isinstance(ax, Axes)
    assert ax.get_title() == "three groups"
    assert ax.get_xlabel() and ax.get_ylabel()
    assert len(ax.collections) == 3 + 3  # one scatter per cluster + one per centre
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "1", "2"]
    # drawing into a given Axes returns that Axes
    _, given = plt.subplots()
    assert plotting.plot_clusters(X, ax=given) is given
    assert len(given.collections) == 1


def case_plot_kmeans_steps(points, history):
    X, _, _ = points
    fig = plotting.plot_kmeans_steps(history, X)
    assert isinstance(fig, Figure)
    titles = _titles(fig)
    assert len(titles) == 4 and titles[0].startswith("step 0: inertia")
    assert len(fig.axes[0].texts) == 0  # no move before the first step
    assert len(fig.axes[1].texts) == 3  # one arrow per centre that moved
    fig = plotting.plot_kmeans_steps(history, X, steps=[0, -1])
    assert _titles(fig) == [f"step 0: inertia {history[0].inertia:.4g}",
                            f"step 3: inertia {history[3].inertia:.4g}"]
    fig = plotting.plot_kmeans_steps(history, X, steps=2)
    assert len(fig.axes) == 2


def case_plot_inertia_curve(points, history):
    ax = plotting.plot_inertia_curve(history)
    assert isinstance(ax, Axes)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [s.inertia for s in history])
    ax = plotting.plot_inertia_curve({"seed 0": history, "seed 1": [9.0, 8.0]})
    assert len(ax.lines) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["seed 0", "seed 1"]


def case_plot_embedding(points, history):
    X, y, _ = points
    Z = np.column_stack([X, X[:, :1] * 2])
    ax = plotting.plot_embedding(Z, y)
    assert ax.get_xlabel() == "PC 1"
    assert ax.get_legend() is not None
    ax = plotting.plot_embedding(X, y, title="given 2-D", legend=False)
    assert ax.get_title() == "given 2-D" and ax.get_legend() is None


def case_plot_images(points, history):
    images = np.random.default_rng(0).random((12, 64))
    fig = plotting.plot_images(images, np.arange(12), image_shape=(8, 8), ncols=5, title="digits")
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 12
    assert shown[3].get_title() == "3"
    assert fig.get_suptitle() == "digits"
    # flat square images need no shape; shaped ones keep theirs
    assert plotting.plot_images(images, n=4).axes[0].images[0].get_array().shape == (8, 8)
    wide = np.zeros((2, 4, 6))
    assert plotting.plot_images(wide).axes[1].images[0].get_array().shape == (4, 6)


def case_plot_reconstructions(points, history):
    X = np.random.default_rng(0).random((5, 64))
    fig = plotting.plot_reconstructions(X, X * 0.5, image_shape=(8, 8), n=4)
    assert len(fig.axes) == 8
    assert fig.axes[0].get_ylabel() == "input"
    assert fig.axes[4].get_ylabel() == "output"


def case_plot_training_curve(points, history):
    ax = plotting.plot_training_curve({"loss": [3.0, 2.0, 1.5], "val_loss": [3.5, 2.5, 2.4]})
    assert [line.get_label() for line in ax.lines] == ["loss", "val_loss"]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3])
    assert ax.get_xlabel() == "epoch"


def case_plot_confusion_matrix(points, history):
    y_true = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    y_pred = np.array([2, 2, 2, 0, 0, 1, 1, 0])
    ax = plotting.plot_confusion_matrix(y_true, y_pred)
    assert ax.get_xlabel() == "cluster (matched class)" and ax.get_ylabel() == "true class"
    # each column names its cluster and, below, the class it is matched to
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2\n(0)", "0\n(1)", "1\n(2)"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "1", "2"]
    matrix = ax.images[0].get_array()
    assert matrix.shape == (3, 3)
    assert matrix.sum() == len(y_true)
    # clusters are matched to classes, so the diagonal holds the agreements
    assert np.trace(matrix) == 7
    assert len(ax.texts) == 9
    ax = plotting.plot_confusion_matrix(y_true, y_pred, normalize=True)
    np.testing.assert_allclose(ax.images[0].get_array().sum(axis=1), 1.0)


def case_plot_k_selection(points, history):
    table = {
        "k": [2, 3, 4, 5],
        "inertia": [300.0, 60.0, 50.0, 45.0],
        "silhouette": [0.55, 0.72, 0.6, 0.5],
        "gap": [0.4, 1.0, 0.95, 0.9],
        "gap_se": [0.05, 0.05, 0.05, 0.05],
        "bic": [900.0, 700.0, 720.0, 750.0],
    }
    fig = plotting.plot_k_selection(table)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 4
    assert _titles(fig)[0].startswith("Inertia")
    marks = _marks(fig)
    assert marks["Silhouette"] == ["k = 3"]
    assert marks["BIC"] == ["k = 3"]
    assert marks["Inertia"] == ["k = 3"]  # the elbow
    # the gap's pick is the one deepclust_lab.selection stores with its table: none here
    assert marks["Gap"] == []
    # a pandas DataFrame (or a list of rows) works too, and criteria can be chosen
    pd = pytest.importorskip("pandas")
    fig = plotting.plot_k_selection(pd.DataFrame(table), metrics=["silhouette"])
    assert _titles(fig) == ["Silhouette (higher is better)"]
    rows = pd.DataFrame(table).to_dict("records")
    assert _marks(plotting.plot_k_selection(rows, metrics=["BIC"])) == {"BIC": ["k = 3"]}
    # picks carried by the table (as selection.sweep_k returns them) win over our own rules
    frame = pd.DataFrame(table)
    frame.attrs["best"] = {"elbow": 4, "silhouette": 5, "gap": None, "bic": 2}
    marks = _marks(plotting.plot_k_selection(frame))
    assert marks == {"Inertia": ["k = 4"], "Silhouette": ["k = 5"], "Gap": [], "BIC": ["k = 2"]}


def case_plot_dataset_gallery(points, history):
    X, y, _ = points
    fig = plotting.plot_dataset_gallery({"blobs_here": (X, y), "no_labels": X})
    assert _titles(fig) == ["blobs here", "no labels"]
    assert len(fig.axes[0].collections) == 3


def case_plot_method_comparison(points, history):
    X, y, _ = points
    datasets = {"three": (X, y), "again": (X, y)}
    predictions = {name: {"truth": y, "one cluster": np.zeros_like(y)} for name in datasets}
    fig = plotting.plot_method_comparison(datasets, predictions, title="methods")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 4
    assert _titles(fig)[:2] == ["truth", "one cluster"]
    assert fig.axes[0].get_ylabel() == "three"
    assert [t.get_text() for t in fig.axes[0].texts] == ["ARI 1.00"]
    assert [t.get_text() for t in fig.axes[1].texts] == ["ARI 0.00"]
    fig = plotting.plot_method_comparison(
        {"three": (X, y)}, {"three": {"a": y}}, scores={"three": {"a": 0.123}}
    )
    assert [t.get_text() for t in fig.axes[0].texts] == ["0.12"]


CASES = {name[len("case_"):]: fn for name, fn in globals().items() if name.startswith("case_")}


def test_every_public_name_has_a_case():
    assert sorted(CASES) == sorted(plotting.__all__)


@pytest.mark.parametrize("name", plotting.__all__)
def test_public_name(name, points, history, capsys):
    CASES[name](points, history)
    out = capsys.readouterr()
    assert out.out == "" and out.err == "", "plot helpers must not print"
    for number in plt.get_fignums():  # readable on a projector: no text under 12 pt
        texts = plt.figure(number).findobj(Text)
        small = {t.get_text(): t.get_fontsize() for t in texts
                 if t.get_text() and t.get_visible() and t.get_fontsize() < 12}
        assert not small, f"{name}: text smaller than 12 pt: {small}"


HELPERS = [name for name in plotting.__all__ if name.startswith("plot_")]


@pytest.mark.parametrize("name", HELPERS)
def test_one_signature_style(name):
    """plot_x(data, labels=None, *, ax=None, ...): at most two positional arguments."""
    signature = inspect.signature(getattr(plotting, name))
    params = list(signature.parameters.values())
    positional = [p for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert len(positional) <= 2 and all(p.kind is not p.VAR_POSITIONAL for p in params)
    assert all(p.kind is p.KEYWORD_ONLY for p in params[len(positional):])
    returns = signature.return_annotation
    assert returns in ("Axes", "Figure")
    if "ax" in signature.parameters:  # single-panel helpers return the Axes they drew into
        assert returns == "Axes" and signature.parameters["ax"].default is None


def test_gallery_loads_toy_sets_by_name():
    fig = plotting.plot_dataset_gallery(["moons", "circles"], n_samples=100)
    assert _titles(fig) == ["moons", "circles"]
    assert sum(len(c.get_offsets()) for c in fig.axes[0].collections) == 100


def test_kmeans_steps_accepts_a_fitted_model(points):
    from deepclust_lab import KMeans

    X, _, _ = points
    model = KMeans(3, n_init=1, random_state=0, keep_history=True).fit(X)
    fig = plotting.plot_kmeans_steps(model, X)
    assert 1 <= len(fig.axes) <= 6
    ax = plotting.plot_inertia_curve(model)
    assert len(ax.lines[0].get_ydata()) == len(model.history_)


def test_bad_inputs_give_clear_errors(points, history):
    X, y, _ = points
    with pytest.raises(ValueError, match="2 columns"):
        plotting.plot_clusters(np.ones((5, 3)), [0] * 5)
    with pytest.raises(ValueError, match="labels has 3 entries"):
        plotting.plot_clusters(X, [0, 1, 2])
    with pytest.raises(ValueError, match="steps must be indices"):
        plotting.plot_kmeans_steps(history, X, steps=[10])
    with pytest.raises(ValueError, match="keep_history=True"):
        plotting.plot_kmeans_steps(type("M", (), {"history_": None})(), X)
    with pytest.raises(ValueError, match="cannot be read as images"):
        plotting.plot_images(np.ones((3, 10)), image_shape=(8, 8))
    with pytest.raises(ValueError, match="give image_shape"):
        plotting.plot_images(np.ones((3, 10)))
    with pytest.raises(ValueError, match="labels has 2 entries but 3 images"):
        plotting.plot_images(np.ones((3, 64)), [0, 1])
    with pytest.raises(ValueError, match="'k' column"):
        plotting.plot_k_selection({"inertia": [1.0, 2.0]})
    with pytest.raises(TypeError, match="table must be a DataFrame"):
        plotting.plot_k_selection("k")
    with pytest.raises(ValueError, match="not in the history"):
        plotting.plot_training_curve({"loss": [1.0]}, keys=["acc"])
    with pytest.raises(ValueError, match="no entry for data sets"):
        plotting.plot_method_comparison({"a": (X, y)}, {"b": {"m": y}})


def test_docstring_examples_run():
    from deepclust_lab.plotting import clusters, embeddings

    results = [doctest.testmod(module, optionflags=doctest.ELLIPSIS)
               for module in (_style, clusters, embeddings)]
    assert sum(r.attempted for r in results) > 10
    assert sum(r.failed for r in results) == 0


def test_k_selection_draws_the_table_of_sweep_k(points):
    from deepclust_lab.selection import sweep_k

    X, _, _ = points
    table = sweep_k(X, range(2, 6), n_refs=2, random_state=0)
    fig = plotting.plot_k_selection(table)
    marks = _marks(fig)
    assert sorted(marks) == ["BIC", "Gap", "Inertia", "Silhouette"]
    best = table.attrs["best"]
    assert marks["Silhouette"] == [f"k = {best['silhouette']}"]
    assert marks["Inertia"] == [f"k = {best['elbow']}"]
    assert marks["Gap"] == ([] if best["gap"] is None else [f"k = {best['gap']}"])


def test_k_selection_marks_the_pick_of_gap_statistic(points):
    from deepclust_lab.selection import gap_statistic

    X, _, _ = points
    table = gap_statistic(X, range(1, 6), n_refs=2, random_state=0)
    marks = _marks(plotting.plot_k_selection(table))
    assert marks == {"Gap": [f"k = {table.attrs['best_k']}"]}


def test_axes_helpers_draw_into_a_given_axes(points, history):
    X, y, _ = points
    calls = {
        "plot_clusters": lambda ax: plotting.plot_clusters(X, y, ax=ax),
        "plot_embedding": lambda ax: plotting.plot_embedding(X, y, ax=ax),
        "plot_inertia_curve": lambda ax: plotting.plot_inertia_curve(history, ax=ax),
        "plot_training_curve": lambda ax: plotting.plot_training_curve({"l": [1, 2]}, ax=ax),
        "plot_confusion_matrix": lambda ax: plotting.plot_confusion_matrix(y, y, ax=ax),
    }
    assert sorted(calls) == sorted(n for n in HELPERS if "ax" in
                                   inspect.signature(getattr(plotting, n)).parameters)
    for name, call in calls.items():
        _, ax = plt.subplots()
        assert call(ax) is ax, name


# --------------------------------------------------------------------------- colours

# Machado, Oliveira & Fernandes (2009), severity 1: linear-RGB matrices simulating each
# dichromacy. The palette must stay distinct for these viewers too.
_DICHROMACY = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}


def _lab(colour: str, seen_as: list | None = None) -> np.ndarray:
    """CIELAB (D65) of a hex colour, as a viewer with matrix ``seen_as`` would see it."""
    rgb = np.asarray(to_rgb(colour))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    if seen_as is not None:
        linear = np.clip(np.asarray(seen_as) @ linear, 0.0, 1.0)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ linear / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


@pytest.mark.parametrize("viewer", [None, *_DICHROMACY])
def test_palette_stays_distinct_for_colour_blind_viewers(viewer):
    seen_as = None if viewer is None else _DICHROMACY[viewer]
    # (noise is told apart by its shape, a cross, so its grey is not held to this)
    closest = min(np.linalg.norm(_lab(a, seen_as) - _lab(b, seen_as))
                  for a, b in itertools.combinations(plotting.PALETTE, 2))
    assert closest >= 15, f"two palette colours are only {closest:.1f} CIELAB units apart"


def test_the_ten_digits_get_ten_colours():
    y = np.arange(10).repeat(3)
    X = np.random.default_rng(0).normal(size=(30, 2))
    colours = _scatter_colours(plotting.plot_embedding(X, y))
    assert len(set(colours.values())) == 10
    assert colours["0"] != colours["8"] and colours["1"] != colours["9"]


def test_clusters_aligned_to_classes_get_the_class_colours(points):
    X, y, centers = points
    renumbered = (y + 1) % 3  # the same three groups under other numbers
    by_class = _scatter_colours(plotting.plot_clusters(X, y))
    expected = {str((c + 1) % 3): by_class[str(c)] for c in range(3)}
    for ax in (plotting.plot_clusters(X, renumbered, true_labels=y, centers=centers[[2, 0, 1]]),
               plotting.plot_embedding(X, renumbered, true_labels=y)):
        assert _scatter_colours(ax) == expected
    # the centre of cluster j is drawn in cluster j's colour (here: class j - 1's)
    ax = plotting.plot_clusters(X, renumbered, true_labels=y, centers=centers[[2, 0, 1]])
    centre_colours = [to_hex(c.get_facecolor()[0]) for c in ax.collections[3:]]
    assert centre_colours == [expected[str(j)] for j in range(3)]
    # the same blob keeps its colour from method to method in a comparison grid
    fig = plotting.plot_method_comparison({"three": (X, y)},
                                          {"three": {"truth": y, "renumbered": renumbered}})
    truth, other = (_scatter_colours(ax) for ax in fig.axes)
    assert {other[str((c + 1) % 3)] for c in range(3)} == set(truth.values())
    assert all(other[str((c + 1) % 3)] == truth[str(c)] for c in range(3))
    # without true labels, colours follow the cluster ids
    assert _scatter_colours(plotting.plot_clusters(X, renumbered)) == by_class

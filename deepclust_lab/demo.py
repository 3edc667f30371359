"""The headless main job behind ``deepclust-lab demo`` (and ``make demo``).

1. K-means from scratch against scikit-learn's Lloyd K-means, from the same k-means++ start,
   on the toy sets and digits: same labels, same inertia, time.
2. Every ``DeepClusterer`` method side by side on digits: ACC / NMI / ARI and seconds.
3. Figures of the best run (embedding, confusion matrix, reconstructions, K-means steps).

``notebook_figures`` re-runs every notebook and saves each figure it shows, at a size that
reads on a projector: the instructor's way to regenerate the course's figures.
"""

from __future__ import annotations

import base64
import tempfile
import time
from pathlib import Path

import numpy as np

from deepclust_lab._checks import check_choice
from deepclust_lab.workspace import pristine_notebooks

__all__ = ["kmeans_comparison", "method_comparison", "notebook_figures", "run_demo"]

QUICK_METHODS = ("kmeans", "ae-kmeans")


def _markdown(rows: list[dict], columns: list[str]) -> str:
    def cell(value: object) -> str:
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row[c]) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def _timed(fit, X):
    start = time.perf_counter()
    return fit(X), time.perf_counter() - start


def kmeans_comparison(seed: int = 0) -> list[dict]:
    """The kit's K-means against scikit-learn's, from the same k-means++ centres."""
    from sklearn.cluster import KMeans as SKKMeans
    from sklearn.metrics import adjusted_rand_score

    from deepclust_lab.data import load_dataset
    from deepclust_lab.kmeans import KMeans, kmeans_plusplus
    from deepclust_lab.metrics import cluster_accuracy

    rows = []
    for name in ("blobs", "anisotropic", "varied_density", "moons", "digits"):
        data = load_dataset(name, random_state=seed)
        X = np.asarray(data.X, dtype=np.float64)
        k = len(np.unique(data.y))
        init = kmeans_plusplus(X, k, random_state=seed)
        ours, t_ours = _timed(KMeans(k, init=init, n_init=1).fit, X)
        ref, t_ref = _timed(SKKMeans(k, init=init, n_init=1, algorithm="lloyd").fit, X)
        rows.append({
            "dataset": name, "n": len(X), "k": k,
            "ACC": cluster_accuracy(data.y, ours.labels_),
            "ARI": adjusted_rand_score(data.y, ours.labels_),
            "same labels": bool(np.array_equal(ours.labels_, ref.labels_)),
            "max centre diff": f"{np.abs(ours.cluster_centers_ - ref.cluster_centers_).max():.1e}",
            "iterations (ours/sklearn)": f"{ours.n_iter_}/{ref.n_iter_}",
            "ms (ours/sklearn)": f"{1000 * t_ours:.0f}/{1000 * t_ref:.0f}",
        })
    return rows


def method_comparison(methods: tuple[str, ...], seed: int = 0, preset: str | None = None):
    """Fit every method on digits; return ``(rows, fitted_models, dataset)``."""
    from deepclust_lab.data import load_dataset
    from deepclust_lab.metrics import external_scores
    from deepclust_lab.pipeline import DeepClusterer

    data = load_dataset("digits")
    options = {} if preset is None else {"preset": preset}
    rows, models = [], {}
    for method in methods:
        model = DeepClusterer(10, method=method, random_state=seed, **options)
        labels, seconds = _timed(model.fit_predict, data.X)
        scores = external_scores(data.y, labels)
        rows.append({"method": method, **{key: scores[key] for key in ("ACC", "NMI", "ARI")},
                     "seconds": f"{seconds:.1f}"})
        models[method] = model
    return rows, models, data


def _figures(out: Path, models: dict, data, seed: int) -> None:
    """Draw with whatever backend is active: ``deepclust-lab demo`` selects Agg."""
    import matplotlib.pyplot as plt

    from deepclust_lab import plotting
    from deepclust_lab.data import load_dataset
    from deepclust_lab.kmeans import KMeans
    from deepclust_lab.metrics import cluster_accuracy

    def save(figure, name: str) -> None:
        figure.savefig(out / name, dpi=120, bbox_inches="tight")
        plt.close(figure)

    blobs = load_dataset("blobs", random_state=seed)
    km = KMeans(4, init="random", n_init=1, random_state=seed, keep_history=True).fit(blobs.X)
    save(plotting.plot_kmeans_steps(km.history_, blobs.X), "kmeans_steps.png")
    best = max(models, key=lambda m: cluster_accuracy(data.y, models[m].labels_))
    model = models[best]
    ax = plotting.plot_embedding(model.embedding_, model.labels_,
                                 title=f"digits, {best}: embedding by cluster")
    save(ax.figure, "embedding.png")
    ax = plotting.plot_confusion_matrix(data.y, model.labels_,
                                        title=f"digits, {best}: classes vs matched clusters")
    save(ax.figure, "confusion_matrix.png")
    with_ae = [m for m in models.values() if getattr(m, "autoencoder_", None) is not None]
    if with_ae:
        X_rec = with_ae[0].autoencoder_.predict(data.X[:10], verbose=0)
        save(plotting.plot_reconstructions(data.X[:10], X_rec, image_shape=data.image_shape),
             "reconstructions.png")


def run_demo(out: Path, *, quick: bool = False, full: bool = False, seed: int = 0) -> str:
    """Run the demo, write ``results.md`` and the figures into ``out``; return the tables.

    ``quick`` runs only ``kmeans`` and ``ae-kmeans``; otherwise every method runs, with the
    "fast" training preset (about a minute on 2 cores) or, with ``full``, the "full" one.
    """
    from deepclust_lab.pipeline import METHODS

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    km_rows = kmeans_comparison(seed)
    methods = QUICK_METHODS if quick else METHODS
    preset = "full" if full and not quick else "fast"
    rows, models, data = method_comparison(methods, seed, preset=preset)
    _figures(out, models, data, seed)
    text = "\n\n".join([
        "## K-means from scratch vs scikit-learn (same k-means++ start)",
        _markdown(km_rows, list(km_rows[0])),
        f"## Clustering digits (1797 x 64, 10 classes), preset {preset!r}, seed {seed}",
        _markdown(rows, ["method", "ACC", "NMI", "ARI", "seconds"]),
    ])
    (out / "results.md").write_text(text + "\n")
    return text


_SETUP = """\
%matplotlib inline
%config InlineBackend.figure_formats = ['{fmt}']
import matplotlib as _mpl
_mpl.rcParams.update({{'figure.dpi': 150, 'font.size': 13,
                     'axes.titlesize': 15, 'axes.labelsize': 13}})
"""


def notebook_figures(directory: Path, *, fmt: str = "png", timeout: int = 900) -> list[Path]:
    """Re-run every shipped notebook and save each figure it shows into ``directory``, as
    ``<notebook>-fig<N>.<fmt>`` (``"png"`` or ``"svg"``), at 150 dpi with larger fonts."""
    import nbformat
    from nbclient import NotebookClient

    fmt = check_choice(fmt, "fmt", ("png", "svg"))
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for source in pristine_notebooks():
        nb = nbformat.read(source, as_version=4)
        nb.cells.insert(0, nbformat.v4.new_code_cell(_SETUP.format(fmt=fmt)))
        with tempfile.TemporaryDirectory() as tmp:
            NotebookClient(nb, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": tmp}}).execute()
        written += _save_images(nb, directory / source.stem, fmt)
    return written


def _save_images(nb, prefix: Path, fmt: str) -> list[Path]:
    """Write each image of ``fmt`` that the executed ``nb`` shows to ``<prefix>-figNN.<fmt>``."""
    mime = "image/png" if fmt == "png" else "image/svg+xml"
    payloads = [output["data"][mime] for cell in nb.cells for output in cell.get("outputs", [])
                if mime in output.get("data", {})]
    written = []
    for count, payload in enumerate(payloads, start=1):
        path = prefix.with_name(f"{prefix.name}-fig{count:02d}.{fmt}")
        if fmt == "png":
            path.write_bytes(base64.b64decode(payload))
        else:
            path.write_text(payload if isinstance(payload, str) else "".join(payload))
        written.append(path)
    return written

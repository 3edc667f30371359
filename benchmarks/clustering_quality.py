"""Clustering quality of every DeepClusterer method and the classic baselines, side by side.

    python benchmarks/clustering_quality.py --data digits,PATH/usps.npz,fashion_mnist_test \
        --seeds 0,1,2 [--methods a,b,c] [--preset full|fast] [--out DIR]
    python benchmarks/clustering_quality.py --data digits --seeds 0 --methods kmeans-raw,kmeans \
        --preset fast --out /tmp/bench_smoke                         # a quick smoke test

``--data`` takes comma-separated names or paths, and nothing is ever downloaded:
``digits`` (scikit-learn's); ``fashion_mnist_small`` (the kit's 3 000 images); ``fashion_mnist_test`` (10 000 test images) and ``fashion_mnist``
(all 70 000), read from Keras' cache or Debian's ``dataset-fashion-mnist`` package;
``mnist_test`` from Keras' cache; any ``.npz`` file with arrays ``X`` (or ``x`` / ``x_test``)
and ``y`` (or ``y_test``), named by its file stem (``usps``). A data set that cannot be found
is an error. ``--methods`` defaults to every ``DeepClusterer`` method plus the baselines;
the variants (``manifold-raw``, ...) are selectable too. Every method runs on every data set
with every seed; ACC (Hungarian), NMI, ARI, wall and CPU seconds of each fit go to
``<out>/clustering_quality_<dataset>.md`` and, with the published anchors, the recipe
summaries and the run's command, date, machine and device, to ``<out>/clustering_quality.md``,
which is also printed.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import shlex
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from deepclust_lab.data import load_dataset, local_dataset_folder, read_idx
from deepclust_lab.metrics import cluster_accuracy
from deepclust_lab.pipeline import DEFAULT_METHOD, METHODS, DeepClusterer

RESULTS = Path(__file__).resolve().parent / "results"
BASELINES = ("kmeans-raw", "pca-kmeans", "spectral", "umap-gmm")
#: The default recipe with one front-end forced (on images it fuses both).
VARIANTS = {"manifold-raw": {"method": "manifold", "embed": "raw"},
            "manifold-ae": {"method": "manifold", "embed": "autoencoder"},
            "manifold-plain": {"method": "manifold", "augment": False}}
SPECTRAL_MAX = 20_000  # larger sets skip "spectral" (shown as such in the table)
PAPERS = {"DEC": "Xie et al. 2016", "IDEC": "Guo et al. 2017", "N2D": "McConville et al. 2020",
          "DEC-DA": "Guo et al. 2018"}
#: Published clustering accuracy (ACC), keyed by data set name; not run here. K-means figures
#: are those reported in the papers above.
PUBLISHED = {
    "usps": {"K-means": 0.668, "DEC": 0.762, "IDEC": 0.761, "N2D": 0.958, "DEC-DA": 0.987},
    "fashion_mnist": {"K-means": 0.474, "DEC": 0.518, "IDEC": 0.529, "N2D": 0.672,
                      "DEC-DA": 0.586},
    "mnist_test": {"N2D": 0.948, "DEC-DA": 0.98},
}
PUBLISHED["fashion_mnist_test"] = PUBLISHED["fashion_mnist"]  # published on all 70 000
NOTES = (
    "Mean ± sd over seeds. Seconds: wall time of one fit (the first UMAP fit includes its "
    "one-off compilation); CPU seconds: the process's CPU time over all its threads. "
    "Baselines: kmeans-raw (scikit-learn K-means, 10 inits), pca-kmeans (PCA to 10, K-means), "
    f"spectral (kNN affinity, 10 neighbours; skipped above {SPECTRAL_MAX:,} samples), umap-gmm "
    "(UMAP to 10 dims, 30 neighbours, min_dist 0, a Gaussian mixture). The rest are "
    "`DeepClusterer(method=...)`; manifold-raw / manifold-ae give the default recipe one "
    "front-end only (`embed=\"raw\"` / `\"autoencoder\"`), manifold-plain turns off the "
    "augmentation and with it the moved copies (`augment=False`).")


def baseline(name: str, X: np.ndarray, k: int, seed: int) -> np.ndarray:
    """The classic recipes the deep ones must beat."""
    from sklearn.cluster import KMeans, SpectralClustering
    from sklearn.decomposition import PCA

    if name == "kmeans-raw":
        return KMeans(k, n_init=10, random_state=seed).fit_predict(X)
    if name == "pca-kmeans":
        Z = PCA(10, random_state=seed).fit_transform(X)
        return KMeans(k, n_init=10, random_state=seed).fit_predict(Z)
    if name == "spectral":
        model = SpectralClustering(
            k, affinity="nearest_neighbors", n_neighbors=10, random_state=seed,
            assign_labels="cluster_qr",
        )
        return model.fit_predict(X)
    if name == "umap-gmm":  # UMAP on the raw features + a Gaussian mixture
        import umap
        from sklearn.mixture import GaussianMixture

        E = umap.UMAP(
            n_components=10, n_neighbors=30, min_dist=0.0, random_state=seed, n_jobs=1
        ).fit_transform(X)
        return GaussianMixture(k, covariance_type="full", random_state=seed).fit(E).predict(E)
    raise ValueError(name)


# ---- data sets: a loader per name, checked before anything runs --------------------------
def _fashion_mnist(folder: Path, parts: tuple[str, ...]) -> tuple:
    """Images (scaled to [0, 1], flattened), labels and image shape of idx splits."""
    images = np.concatenate([read_idx(folder / f"{p}-images-idx3-ubyte.gz") for p in parts])
    labels = np.concatenate([read_idx(folder / f"{p}-labels-idx1-ubyte.gz") for p in parts])
    X = images.reshape(len(images), -1).astype(np.float32) / 255.0
    return X, labels.astype(np.int64), images.shape[1:]


def _npz(path: Path) -> tuple:
    with np.load(path, allow_pickle=False) as f:
        X = next((f[k] for k in ("X", "x", "x_test") if k in f), None)
        y = next((f[k] for k in ("y", "y_test") if k in f), None)
    if X is None or y is None:
        raise SystemExit(f"{path}: needs arrays X (or x / x_test) and y (or y_test)")
    shape = X.shape[1:] if X.ndim == 3 else None
    X = X.reshape(len(X), -1).astype(np.float32)
    return (X / 255.0 if X.max() > 1.5 else X), y.ravel(), shape


def _bundled(name: str) -> tuple:
    d = load_dataset(name)
    return d.X, d.y, d.image_shape


def find_data(spec: str) -> tuple[str, Callable[[], tuple]]:
    """The name and loader of one ``--data`` entry; SystemExit naming it when it is not here."""
    if spec.endswith(".npz") or os.sep in spec:
        path = Path(spec).expanduser()
        if not path.is_file():
            raise SystemExit(f"--data {spec}: no such file")
        return path.stem.lower(), lambda: _npz(path)
    name = spec.lower().replace("-", "_")
    if name in ("digits", "fashion_mnist_small"):
        return name, lambda: _bundled(name)
    if name == "mnist_test" and local_dataset_folder("mnist_test") is not None:
        return name, lambda: _bundled(name)
    if name in ("fashion_mnist", "fashion_mnist_test"):
        folder = local_dataset_folder("fashion_mnist")
        parts = ("t10k",) if name == "fashion_mnist_test" else ("train", "t10k")
        if folder is not None:
            return name, lambda: _fashion_mnist(folder, parts)
    raise SystemExit(f"--data {spec}: not found here (known: digits, mnist_test, "
                     "fashion_mnist, fashion_mnist_test when their files are local, or a "
                     ".npz path); nothing is downloaded")


# ---- running and reporting ---------------------------------------------------------------
def fit(method: str, X: np.ndarray, k: int, seed: int, preset: str, shape) -> tuple:
    """Labels of one fit, and the recipe summary for DeepClusterer methods (else None)."""
    if method in BASELINES:
        return baseline(method, X, k, seed), None
    options = VARIANTS.get(method, {"method": method})
    model = DeepClusterer(k, preset=preset, random_state=seed, image_shape=shape, **options)
    model.fit(X)
    return model.labels_, model.recipe_["summary"]


def evaluate(name: str, loader: Callable[[], tuple], methods: list[str], seeds: list[int],
             preset: str) -> str:
    """Run every method with every seed on one data set; its markdown section."""
    X, y, shape = loader()
    k = len(np.unique(y))
    rows, summaries = [], []
    for method in methods:
        label = f"**{method}** (default)" if method == DEFAULT_METHOD else method
        if method == "spectral" and len(X) > SPECTRAL_MAX:
            rows.append(f"| {label} | skipped: n > {SPECTRAL_MAX:,} | | | | |")
            continue
        scores = []
        for seed in seeds:
            start, cpu = time.perf_counter(), time.process_time()
            labels, summary = fit(method, X, k, seed, preset, shape)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            scores.append((cluster_accuracy(y, labels), normalized_mutual_info_score(y, labels),
                           adjusted_rand_score(y, labels), seconds, cpu))
            if summary is not None and seed == seeds[0]:
                summaries.append(f"- {method} (seed {seed}): {summary}")
            print(f"{name} {method} seed {seed}: ACC {scores[-1][0]:.3f} "
                  f"({seconds:.1f} s, {cpu:.1f} CPU s)", file=sys.stderr, flush=True)
        s = np.array(scores, dtype=float)
        cells = [f"{s[:, i].mean():.3f} ± {s[:, i].std():.3f}" for i in range(3)]
        cells += [f"{s[:, i].mean():.1f} ± {s[:, i].std():.1f}" for i in (3, 4)]
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    reported = "as reported in the IDEC / N2D / DEC-DA papers"
    published = [f"| {m} | {PAPERS.get(m, reported)} | {acc:.3f} |"
                 for m, acc in PUBLISHED.get(name, {}).items()]
    lines = [f"## {name} ({X.shape[0]} × {X.shape[1]}, k = {k})", "",
             "| method | ACC | NMI | ARI | seconds | CPU seconds |",
             "|---|---|---|---|---|---|", *rows, ""]
    if published:
        note = " (published on all 70 000 images)" if name == "fashion_mnist_test" else ""
        lines += [f"Published ACC, not run here{note}:", "",
                  "| published method | paper | ACC |", "|---|---|---|", *published, ""]
    if summaries:
        lines += ["Recipe summaries (`model.recipe_[\"summary\"]`):", "", *summaries, ""]
    return "\n".join(lines)


def _device() -> str:
    import keras

    backend = keras.backend.backend()
    if backend != "jax":
        return f"Keras backend {backend}"
    import jax

    devices = jax.devices()
    return (f"Keras backend jax, device {devices[0].platform} "
            f"({len(devices)} × {devices[0].device_kind})")


def header(seeds: list[int], preset: str) -> str:
    command = shlex.join(["python", "benchmarks/clustering_quality.py", *sys.argv[1:]])
    date = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return (f"`{command}`, {date}; {os.cpu_count()} CPU cores, {platform.platform()}; "
            f"{_device()}. Seeds {seeds}; DeepClusterer preset {preset!r}.")


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def main() -> None:
    every = [*BASELINES, *METHODS, *VARIANTS]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=_split, required=True,
                        help="comma-separated data set names or .npz paths")
    parser.add_argument("--seeds", default=[0, 1, 2],
                        type=lambda t: [int(s) for s in _split(t)],
                        help="comma-separated seeds (default 0,1,2)")
    parser.add_argument("--methods", type=_split, default=[*BASELINES, *METHODS],
                        help=f"comma-separated, from {','.join(every)} (default: all but "
                             "the manifold-* variants)")
    parser.add_argument("--preset", choices=("full", "fast"), default="full",
                        help="DeepClusterer preset (default full)")
    parser.add_argument("--out", type=Path, default=RESULTS,
                        help="results folder (default benchmarks/results)")
    args = parser.parse_args()
    unknown = [m for m in args.methods if m not in every]
    if unknown or not args.seeds:
        parser.error(f"unknown methods {unknown}; choose from {every}" if unknown
                     else "--seeds: give at least one seed")
    found = dict(find_data(spec) for spec in args.data)  # every data set checked up front
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    args.out.mkdir(parents=True, exist_ok=True)
    top = header(args.seeds, args.preset)
    sections = []
    for name, loader in found.items():
        section = evaluate(name, loader, args.methods, args.seeds, args.preset)
        path = args.out / f"clustering_quality_{name}.md"
        path.write_text(f"# Clustering quality on {name}\n\n{top}\n\n{section}\n{NOTES}\n")
        print(f"written to {path}", file=sys.stderr)
        sections.append(section)
    # the combined page gathers every data set's latest run, each under its own command line
    parts = [re.sub(r"^#", "##", path.read_text(), flags=re.M)
             for path in sorted(args.out.glob("clustering_quality_*.md"))]
    combined = "\n".join(["# Clustering quality", "", "Each section names the run it comes from.",
                          "", *parts])
    (args.out / "clustering_quality.md").write_text(combined)
    print("\n".join(["# Clustering quality", "", top, "", *sections, NOTES, ""]))
    print(f"written to {args.out / 'clustering_quality.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()

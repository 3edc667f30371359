"""Clustering quality of every DeepClusterer method and the classic baselines, side by side.

Runs on digits (bundled with scikit-learn) always, and on MNIST-test / Fashion-MNIST only when
their files are already here (nothing is downloaded): MNIST from Keras' cache; Fashion-MNIST
from Keras' cache or Debian's package ``dataset-fashion-mnist`` (``/usr/share/datasets/
fashion-mnist``), as ``fashion_mnist_test`` (10 000 test images) and ``fashion_mnist`` (70 000). ``--data FILE.npz`` adds any
local ``.npz`` with arrays ``X``/``x`` (or ``x_test``) and ``y`` (or ``y_test``).
For each data set, method and seed it records ACC (Hungarian), NMI, ARI and wall seconds,
then writes ``benchmarks/results/clustering_quality_<dataset>.md`` and prints the table.

    python benchmarks/clustering_quality.py                 # digits, 5 seeds, preset "full"
    python benchmarks/clustering_quality.py --quick         # 2 seeds, preset "fast"
    python benchmarks/clustering_quality.py --methods manifold umap-gmm --seeds 0 1 2 3 4
    python benchmarks/clustering_quality.py --datasets fashion_mnist_test --seeds 0 \
        --methods umap-gmm manifold manifold-raw
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

os.environ.setdefault("KERAS_BACKEND", "jax")

RESULTS = Path(__file__).resolve().parent / "results"
BASELINES = ("kmeans-raw", "pca-kmeans", "spectral", "umap-gmm")
DEEP = ("kmeans", "ae-kmeans", "dec", "idec", "n2d", "manifold")
#: The default recipe with its front-end forced (``embed="auto"`` picks one by n_features).
VARIANTS = {"manifold-raw": {"method": "manifold", "embed": "raw"},
            "manifold-ae": {"method": "manifold", "embed": "autoencoder"},
            "manifold-ae-shift": {"method": "manifold", "embed": "autoencoder", "augment": True}}


def _accuracy(y: np.ndarray, labels: np.ndarray) -> float:
    from deepclust_lab.metrics import cluster_accuracy

    return float(cluster_accuracy(y, labels))


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
    if name == "umap-gmm":  # UMAP on the raw features + a Gaussian mixture (FACTS.md: ≈ 0.95)
        import umap
        from sklearn.mixture import GaussianMixture

        E = umap.UMAP(
            n_components=10, n_neighbors=30, min_dist=0.0, random_state=seed, n_jobs=1
        ).fit_transform(X)
        return GaussianMixture(k, covariance_type="full", random_state=seed).fit(E).predict(E)
    raise ValueError(name)


def _fashion_mnist_split(folder: Path, part: str) -> tuple:
    """Images (scaled to [0, 1], flattened) and labels of one idx split ("train" / "t10k")."""
    from deepclust_lab.data import read_idx

    images = read_idx(folder / f"{part}-images-idx3-ubyte.gz")
    labels = read_idx(folder / f"{part}-labels-idx1-ubyte.gz").astype(np.int64)
    return images.reshape(len(images), -1).astype(np.float32) / 255.0, labels, images.shape[1:]


def _named(name: str) -> Callable[[], tuple]:
    def load() -> tuple:
        from deepclust_lab.data import load_dataset

        d = load_dataset(name)
        return d.X, d.y, d.image_shape

    return load


def datasets(extra: list[str]) -> dict[str, Callable[[], tuple]]:
    """Loaders for the data sets available here, without downloading anything."""
    from deepclust_lab.data import local_dataset_folder

    found: dict[str, Callable[[], tuple]] = {"digits": _named("digits")}
    if local_dataset_folder("mnist_test") is not None:
        found["mnist_test"] = _named("mnist_test")
    folder = local_dataset_folder("fashion_mnist")  # Keras' cache or Debian's package
    if folder is not None:
        found["fashion_mnist_test"] = lambda: _fashion_mnist_split(folder, "t10k")
        found["fashion_mnist"] = _named("fashion_mnist")
    for path in extra:
        def load_npz(path: str = path) -> tuple:
            with np.load(path, allow_pickle=False) as f:
                X = next(f[k] for k in ("X", "x", "x_test") if k in f)
                y = next(f[k] for k in ("y", "y_test") if k in f)
            shape = X.shape[1:] if X.ndim == 3 else None
            X = X.reshape(len(X), -1).astype(np.float32)
            return (X / 255.0 if X.max() > 1.5 else X), y, shape

        found[Path(path).stem] = load_npz
    return found


def run(methods: list[str], seeds: list[int], preset: str, names: list[str] | None,
        extra: list[str]) -> None:
    from deepclust_lab.pipeline import DEFAULT_METHOD, DeepClusterer

    RESULTS.mkdir(parents=True, exist_ok=True)
    for name, loader in datasets(extra).items():
        if names and name not in names:
            continue
        X, y, shape = loader()
        k = len(np.unique(y))
        rows = []
        for method in methods:
            if method == "spectral" and len(X) > 20_000:
                continue  # a dense eigenproblem this size is not worth it on a laptop
            scores = []
            for seed in seeds:
                start, cpu = time.perf_counter(), time.process_time()
                if method in BASELINES:
                    labels = baseline(method, X, k, seed)
                else:
                    options = VARIANTS.get(method, {"method": method})
                    model = DeepClusterer(k, preset=preset, random_state=seed,
                                          image_shape=shape, **options)
                    labels = model.fit(X).labels_
                seconds = time.perf_counter() - start
                cpu = time.process_time() - cpu
                scores.append((_accuracy(y, labels), normalized_mutual_info_score(y, labels),
                               adjusted_rand_score(y, labels), seconds, cpu))
                print(f"{name} {method} seed {seed}: ACC {scores[-1][0]:.3f} "
                      f"({seconds:.1f} s, {cpu:.1f} CPU s)", flush=True)
            s = np.array(scores)
            label = f"**{method}** (default)" if method == DEFAULT_METHOD else method
            rows.append("| " + " | ".join(
                [label] + [f"{s[:, i].mean():.3f} ± {s[:, i].std():.3f}" for i in range(3)]
                + [f"{s[:, i].mean():.1f} ± {s[:, i].std():.1f}" for i in (3, 4)]) + " |")
        table = "\n".join([
            f"# Clustering quality on {name} ({X.shape[0]} × {X.shape[1]}, k = {k})",
            "",
            f"Seeds {seeds}; DeepClusterer preset {preset!r}; "
            f"{os.cpu_count()} CPU cores, {platform.machine()}, Keras backend "
            f"{os.environ.get('KERAS_BACKEND')}. Mean ± std over seeds; seconds are wall time "
            "of one fit, including UMAP's one-off compilation in the first UMAP fit; CPU "
            "seconds are the process's CPU time over all its threads (a fairer measure on a "
            "shared machine).",
            "",
            "| method | ACC | NMI | ARI | seconds | CPU seconds |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            "Baselines: kmeans-raw (scikit-learn K-means, 10 inits), pca-kmeans (PCA to 10, "
            "K-means), spectral (kNN affinity, 10 neighbours), umap-gmm (UMAP to 10 dims, 30 "
            "neighbours, min_dist 0, one Gaussian mixture). The rest are "
            "`DeepClusterer(method=...)`; manifold-raw / manifold-ae force the default "
            "recipe's front-end (`embed=\"raw\"` / `\"autoencoder\"`, `-shift`: ±2 px "
            "shifts), which `embed=\"auto\"` otherwise picks by the number of features.",
            "",
        ])
        out = RESULTS / f"clustering_quality_{name}.md"
        out.write_text(table)
        print(table)
        print(f"written to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=None,
                        help="seeds to run (default 0 1 2 3 4; --quick: 0 1)")
    parser.add_argument("--quick", action="store_true",
                        help="2 seeds and DeepClusterer's 'fast' preset")
    parser.add_argument("--methods", nargs="+", default=[*BASELINES, *DEEP],
                        choices=[*BASELINES, *DEEP, *VARIANTS])
    parser.add_argument("--datasets", nargs="+", default=None,
                        help="restrict to these data set names")
    parser.add_argument("--data", nargs="+", default=[],
                        help="extra local .npz files (X or x or x_test, y or y_test)")
    args = parser.parse_args()
    seeds = args.seeds or ([0, 1] if args.quick else [0, 1, 2, 3, 4])
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    run(args.methods, seeds, "fast" if args.quick else "full", args.datasets, args.data)


if __name__ == "__main__":
    main()

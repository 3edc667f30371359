"""How the cost of one DeepClusterer fit grows with the number of samples (time and peak memory).

Synthetic MNIST-sized data: ``n`` images of 28 × 28 = 784 pixels in ten classes, each class a
smooth random prototype (a sum of Gaussian strokes), each sample its prototype shifted by up to
±2 px, scaled in brightness and with pixel noise added (seeded, float32, values in [0, 1]).
Every size runs in its own child process, so the peak resident memory (``ru_maxrss`` of the
child, which includes Python, JAX and Keras themselves) is that of one fit plus predicting the
labels of all samples again, and nothing else.

    python benchmarks/scale.py                                  # 10 000, 30 000, 70 000; fast
    python benchmarks/scale.py --sizes 10000 30000 --preset fast --method manifold

Writes ``benchmarks/results/scale.md`` and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def synthetic_images(n: int, *, n_classes: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` flat 28 × 28 images in ``n_classes`` classes (float32 in [0, 1]) and their labels."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:28, 0:28].astype(np.float32)
    protos = np.zeros((n_classes, 28, 28), np.float32)
    for c in range(n_classes):
        for _ in range(6):  # six soft strokes per class
            cy, cx = rng.uniform(7, 21, size=2)
            sy, sx = rng.uniform(1.5, 4.0, size=2)
            protos[c] += np.exp(-((yy - cy) ** 2 / (2 * sy**2) + (xx - cx) ** 2 / (2 * sx**2)))
        protos[c] /= protos[c].max()
    y = rng.integers(0, n_classes, size=n)
    X = np.empty((n, 784), np.float32)
    for s in range(0, n, 10_000):  # in chunks, so the noise never needs n × 784 float64
        m = min(n, s + 10_000) - s
        dy, dx = rng.integers(-2, 3, size=(2, m))
        imgs = protos[y[s : s + m]]
        imgs = np.stack([np.roll(img, (a, b), axis=(0, 1)) for img, a, b in zip(imgs, dy, dx, strict=True)])
        imgs *= rng.uniform(0.6, 1.0, size=(m, 1, 1)).astype(np.float32)
        imgs += rng.normal(0, 0.1, size=imgs.shape).astype(np.float32)
        X[s : s + m] = np.clip(imgs, 0, 1).reshape(m, 784)
    return X, y


def child(n: int, method: str, preset: str) -> dict:
    """One fit in this process; returns its measurements."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    from deepclust_lab.metrics import cluster_accuracy
    from deepclust_lab.pipeline import DeepClusterer

    X, y = synthetic_images(n)
    start, cpu = time.perf_counter(), time.process_time()
    model = DeepClusterer(10, method=method, preset=preset, random_state=0).fit(X)
    fit_s, fit_cpu = time.perf_counter() - start, time.process_time() - cpu
    start = time.perf_counter()
    again = model.predict(X)
    predict_s = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "n": n, "method": method, "preset": preset, "embed": model._embed,
        "fit_s": fit_s, "fit_cpu_s": fit_cpu, "predict_s": predict_s,
        "peak_mib": peak / 1024, "data_mib": X.nbytes / 2**20,
        "acc": float(cluster_accuracy(y, model.labels_)),
        "predict_agrees": float(np.mean(again == model.labels_)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 70_000])
    parser.add_argument("--method", default="manifold")
    parser.add_argument("--preset", default="fast", choices=["fast", "full"])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.method, args.preset)))
        return
    rows = []
    for n in args.sizes:
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(n), "--method", args.method,
             "--preset", args.preset],
            capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        if done.returncode != 0:
            print(done.stderr[-2000:], file=sys.stderr)
            raise SystemExit(f"the fit on {n} samples failed")
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(r, flush=True)
        rows.append(
            f"| {r['n']:,} | {r['method']} ({r['embed']}) | {r['preset']} | {r['fit_s']:.0f} | "
            f"{r['fit_cpu_s']:.0f} | {r['predict_s']:.1f} | {r['peak_mib']:,.0f} | "
            f"{r['data_mib']:.0f} | {r['acc']:.3f} |"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    table = "\n".join([
        "# Cost of one DeepClusterer fit on synthetic MNIST-sized data (784 features, k = 10)",
        "",
        f"{os.cpu_count()} CPU cores ({platform.machine()}), shared with other jobs, so wall "
        "seconds are inflated; CPU seconds are the fitting process's CPU time over all "
        "threads. Peak memory is the child process's maximum resident set (Python, JAX and "
        "Keras included), over the fit and a `predict` of all samples.",
        "",
        "| samples | method (front-end) | preset | fit wall s | fit CPU s | predict s "
        "| peak MiB | data MiB | ACC |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "`python benchmarks/scale.py --sizes " + " ".join(map(str, args.sizes))
        + f" --method {args.method} --preset {args.preset}`",
        "",
    ])
    out = RESULTS / "scale.md"
    if out.exists():  # keep the tables of earlier runs (other presets / methods) below
        table += "\n" + out.read_text()
    out.write_text(table)
    print(table)


if __name__ == "__main__":
    main()

"""Speed of deepclust_lab's K-means (its fast path) against scikit-learn's Lloyd K-means.

Both estimators start from the same initial centres (k-means++ seeded once, passed as an
array), run with ``tol=0`` and the same ``max_iter`` on the same data, so both do the same
Lloyd iterations; the labels, centres and iteration counts are compared. Each fit is timed
whole (checks, centring, the iterations, the final assignment and the inertia) and divided
by its number of iterations. The repeats alternate between the two estimators.

It is measured under two thread settings, reported in the table:

* ``1 thread``: ``threadpoolctl.threadpool_limits(1)``: one BLAS thread for NumPy and SciPy,
  one OpenMP thread for scikit-learn, and one thread for deepclust_lab (it takes the BLAS
  limit in force as its own): the same hardware for both;
* ``library defaults``: no limits from the benchmark. scikit-learn runs its OpenMP loop on
  every core; deepclust_lab may use as many threads as BLAS may (see
  ``deepclust_lab.kmeans_fast.lloyd_steps``: it keeps them only if they pay).

Then the start-up cost: the same fit in new processes, with an empty cache folder (numba
compiles the fast path), with the cache it left (numba loads it) and with caches off.

Run:  python benchmarks/kmeans_speed.py            (writes benchmarks/results/kmeans_speed.md)
      python benchmarks/kmeans_speed.py --quick    (one small shape, for a smoke test)
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import sklearn
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.datasets import make_blobs
from threadpoolctl import threadpool_info, threadpool_limits

from deepclust_lab.kmeans import KMeans, kmeans_plusplus

RESULTS = Path(__file__).resolve().parent / "results" / "kmeans_speed.md"
SHAPES = [(100_000, 50, 10), (10_000, 784, 10), (1_000_000, 8, 16)]  # (n, d, k)


def _pools() -> str:
    """The thread pools currently loaded, e.g. 'openblas (blas) x2, libgomp (openmp) x2'."""
    seen = []
    for pool in threadpool_info():
        text = f"{pool['internal_api']} ({pool['user_api']}) x{pool['num_threads']}"
        if text not in seen:
            seen.append(text)
    return ", ".join(seen)


def _time_fit(make_estimator, X: np.ndarray):
    """Wall-clock and CPU seconds (all threads of this process) of one fit."""
    start, start_cpu = time.perf_counter(), time.process_time()
    est = make_estimator().fit(X)
    return time.perf_counter() - start, time.process_time() - start_cpu, est


def measure(X: np.ndarray, init: np.ndarray, n_iter: int, repeats: int) -> dict:
    k = init.shape[0]
    makers = {
        "ours": lambda: KMeans(k, init=init, n_init=1, max_iter=n_iter, tol=0.0),
        "sklearn": lambda: SklearnKMeans(k, init=init, n_init=1, max_iter=n_iter, tol=0.0,
                                         algorithm="lloyd"),
    }  # fmt: skip
    fitted = {name: _time_fit(make, X)[2] for name, make in makers.items()}  # warm-up, untimed
    wall: dict[str, list[float]] = {"ours": [], "sklearn": []}
    cpu: dict[str, list[float]] = {"ours": [], "sklearn": []}
    for _ in range(repeats):
        for name, make in makers.items():
            seconds, cpu_seconds, fitted[name] = _time_fit(make, X)
            wall[name].append(seconds / fitted[name].n_iter_)
            cpu[name].append(cpu_seconds / fitted[name].n_iter_)
    a, b = fitted["ours"], fitted["sklearn"]
    if a.n_iter_ != b.n_iter_:
        raise RuntimeError(f"different iteration counts: ours {a.n_iter_}, sklearn {b.n_iter_}")
    median = {name: float(np.median(wall[name])) for name in wall}
    median_cpu = {name: float(np.median(cpu[name])) for name in cpu}
    return {
        "ours": median["ours"],
        "sklearn": median["sklearn"],
        "ratio": median["ours"] / median["sklearn"],
        "cpu_ratio": median_cpu["ours"] / median_cpu["sklearn"],
        "agreement": float(np.mean(a.labels_ == b.labels_)),
        "center_diff": float(np.abs(a.cluster_centers_ - b.cluster_centers_).max()),
        "n_iter": int(a.n_iter_),
        "pools": _pools(),
        "spread": {name: (min(v), max(v)) for name, v in wall.items()},
    }


def _data(n: int, d: int, k: int) -> np.ndarray:
    # cluster_std=4 makes the clusters overlap, so Lloyd needs many iterations and a fit
    # with max_iter=20 and tol=0 runs most of them.
    X, _ = make_blobs(n_samples=n, n_features=d, centers=k, cluster_std=4.0, random_state=0)
    return X


_FRESH_FIT = """
import time
start = time.perf_counter()
from sklearn.datasets import make_blobs
from deepclust_lab.kmeans import KMeans
X, _ = make_blobs(n_samples={n}, n_features={d}, centers={k}, cluster_std=4.0, random_state=0)
ready = time.perf_counter()
KMeans({k}, random_state=0, max_iter=20).fit(X)
first = time.perf_counter()
KMeans({k}, random_state=0, max_iter=20).fit(X)
print(ready - start, first - ready, time.perf_counter() - first)
"""


def startup(n: int, d: int, k: int) -> list[tuple[str, list[float]]]:
    """The same fit in new processes: cache folder empty, then kept, then caches off. Each
    returns (seconds to import and make the data, first fit, second fit in that process)."""
    env = {key: v for key, v in os.environ.items() if not key.startswith("NUMBA_")}
    code = _FRESH_FIT.format(n=n, d=d, k=k)
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        for label, folder in [("cache folder empty (compiles)", cache),
                              ("cache folder kept (loads)", cache), ("caches off", "0")]:
            env["DEEPCLUST_LAB_CACHE"] = folder
            done = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                  capture_output=True, text=True)  # fmt: skip
            rows.append((label, [float(v) for v in done.stdout.split()]))
    return rows


def report(rows: list, fresh: list, startup_shape: tuple, args, loads: tuple) -> str:
    """The Markdown of ``benchmarks/results/kmeans_speed.md``."""
    (n, d, k), (load_before, load_after) = startup_shape, loads
    lines = [
        "# K-means speed: deepclust_lab's fast path vs scikit-learn (Lloyd)",
        "",
        "Data: `make_blobs` (cluster_std 4), float64. Same k-means++ initial centres for both, "
        f"`tol=0`, `max_iter={args.n_iter}`; both ran the same number of iterations (the column "
        "iters; they stop early when the labels repeat). Seconds per iteration = whole `fit` "
        "time / `n_iter_`, median of "
        f"{args.repeats} alternating repeats; ratio = ours / scikit-learn, measured side by side "
        "in one run; CPU ratio = the same with CPU seconds of the process (less moved by other "
        "work on the machine).",
        "",
        "| data | threads | iters | ours (ms/iter) | scikit-learn (ms/iter) | ratio | CPU ratio "
        "| labels identical | max centre diff | thread pools in use |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for shape, setting, r in rows:
        lines.append(
            f"| {shape} | {setting} | {r['n_iter']} | {r['ours'] * 1e3:.2f} | {r['sklearn'] * 1e3:.2f} "
            f"| **{r['ratio']:.2f}** | {r['cpu_ratio']:.2f} | {r['agreement']:.4f} "
            f"| {r['center_diff']:.1e} | {r['pools']} |"
        )
    lines += [
        "",
        "Spread (min - max ms/iter over the repeats): "
        + "; ".join(
            f"{shape}, {setting}: ours {r['spread']['ours'][0] * 1e3:.2f}-"
            f"{r['spread']['ours'][1] * 1e3:.2f}, sklearn {r['spread']['sklearn'][0] * 1e3:.2f}-"
            f"{r['spread']['sklearn'][1] * 1e3:.2f}"
            for shape, setting, r in rows
        ),
        "",
        f"Start-up: `KMeans({k}, random_state=0, max_iter=20).fit(X)` on {n} x {d} in a new "
        "process, twice (seconds):",
        "",
        "| new process | imports and data | first fit | second fit |",
        "|---|---|---|---|",
        *[f"| {label} | {ready:.2f} | {first:.2f} | {second:.2f} |"
          for label, (ready, first, second) in fresh],
        "",
        "The first fit less the second is what a new process pays for the fast path: importing "
        "numba and compiling its kernel (cache folder empty or caches off) or loading it.",
        "",
        f"Machine: {os.cpu_count()} CPUs (1-minute load average {load_before:.1f} before, "
        f"{load_after:.1f} after the table: a shared machine, so wall times are noisy; a load "
        "above the CPU count means other work competed for the cores, and the `library "
        "defaults` rows then show how each library copes with busy cores, not what it does "
        "on an idle machine), "
        f"Python {platform.python_version()}, "
        f"NumPy {np.__version__}, scikit-learn {sklearn.__version__}. "
        "`1 thread` = `threadpoolctl.threadpool_limits(1)` (BLAS and OpenMP); "
        "`library defaults` = no limit set by the benchmark (the pools column shows the "
        "thread counts outside `fit`): scikit-learn runs OpenMP on all cores with BLAS at "
        "1 thread inside; ours shares fixed segments of the rows among as many threads as "
        "BLAS may use, each with one BLAS thread, and keeps them only if they beat one thread "
        "(see `deepclust_lab.kmeans_fast`).",
        "",
        "Reproduce: `python benchmarks/kmeans_speed.py` (or `make bench`).\n",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-iter", type=int, default=20, help="Lloyd iterations per fit")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS, help="Markdown table to write")
    parser.add_argument("--quick", action="store_true", help="one small shape, 2 repeats")
    args = parser.parse_args(argv)
    shapes = SHAPES
    if args.quick:  # still above the size from which KMeans takes its fast path
        shapes, args.n_iter, args.repeats = [(40_000, 50, 10)], 5, 2

    load_before = os.getloadavg()[0]
    rows = []
    for n, d, k in shapes:
        X = _data(n, d, k)
        init = kmeans_plusplus(X, k, random_state=0)
        for setting, limit in [("1 thread", 1), ("library defaults", None)]:
            with threadpool_limits(limits=limit):
                r = measure(X, init, args.n_iter, args.repeats)
            rows.append((f"{n} x {d}, k = {k}", setting, r))
            print(f"{n:>8} x {d:<4} k={k:<3} {setting:>17}: ours {r['ours'] * 1e3:7.2f} ms/iter, "
                  f"sklearn {r['sklearn'] * 1e3:7.2f} ms/iter, ratio {r['ratio']:.2f}, labels "
                  f"identical {r['agreement']:.4f}, max centre diff {r['center_diff']:.1e}, "
                  f"{r['n_iter']} iterations  [{r['pools']}]", flush=True)
    load_after = os.getloadavg()[0]
    fresh = startup(*shapes[0])
    for label, (ready, first, second) in fresh:
        print(f"new process, {label}: imports and data {ready:.2f} s, first fit {first:.2f} s, "
              f"second fit {second:.2f} s", flush=True)

    text = report(rows, fresh, shapes[0], args, (load_before, load_after))
    if not args.quick or args.out != RESULTS:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

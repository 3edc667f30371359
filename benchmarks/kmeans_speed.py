"""Speed of deepclust_lab's from-scratch K-means against scikit-learn's Lloyd K-means.

Both estimators start from the same initial centres (k-means++ seeded once, passed as an
array), run with ``tol=0`` and the same ``max_iter`` on data that does not converge within
that many iterations, so both do exactly the same number of Lloyd iterations. Each fit is
timed whole (checks, centring, the iterations, the final assignment and the inertia) and
divided by the number of iterations. Repeats alternate between the two estimators.

It is measured under two thread settings, reported in the table:

* ``1 thread``: ``threadpoolctl.threadpool_limits(1)``, i.e. one BLAS thread for
  NumPy and one OpenMP thread for scikit-learn: the same hardware for both;
* ``library defaults``: no limits from the benchmark. scikit-learn then runs its OpenMP
  loop on every core (with BLAS limited to 1 thread inside it); ours has no other
  parallelism than BLAS, and its ``fit`` also limits BLAS to 1 thread (as scikit-learn
  does, see ``deepclust_lab.kmeans_fast.one_blas_thread``), so it runs on one core.

Run:  python benchmarks/kmeans_speed.py            (writes benchmarks/results/kmeans_speed.md)
      python benchmarks/kmeans_speed.py --quick    (small sizes, for a smoke test)
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import sklearn
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.datasets import make_blobs
from threadpoolctl import threadpool_info, threadpool_limits

from deepclust_lab.kmeans import KMeans, kmeans_plusplus

RESULTS = Path(__file__).resolve().parent / "results" / "kmeans_speed.md"


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

    def ours():
        return KMeans(k, init=init, n_init=1, max_iter=n_iter, tol=0.0)

    def theirs():
        return SklearnKMeans(k, init=init, n_init=1, max_iter=n_iter, tol=0.0, algorithm="lloyd")

    # one untimed fit each: imports, thread pools and caches warm up
    _time_fit(ours, X)
    _time_fit(theirs, X)
    pools = _pools()
    times: dict[str, list[float]] = {"ours": [], "sklearn": []}
    cpu: dict[str, list[float]] = {"ours": [], "sklearn": []}
    for _ in range(repeats):
        for name, make in (("ours", ours), ("sklearn", theirs)):
            t, t_cpu, est = _time_fit(make, X)
            times[name].append(t / est.n_iter_)
            cpu[name].append(t_cpu / est.n_iter_)
            if name == "ours":
                a = est
            else:
                b = est
    if a.n_iter_ != b.n_iter_:
        raise RuntimeError(f"different iteration counts: ours {a.n_iter_}, sklearn {b.n_iter_}")
    ours_s = float(np.median(times["ours"]))
    theirs_s = float(np.median(times["sklearn"]))
    ours_cpu, theirs_cpu = float(np.median(cpu["ours"])), float(np.median(cpu["sklearn"]))
    return {
        "ours": ours_s,
        "sklearn": theirs_s,
        "ratio": ours_s / theirs_s,
        "ours_cpu": ours_cpu,
        "sklearn_cpu": theirs_cpu,
        "cpu_ratio": ours_cpu / theirs_cpu,
        "agreement": float(np.mean(a.labels_ == b.labels_)),
        "center_diff": float(np.abs(a.cluster_centers_ - b.cluster_centers_).max()),
        "n_iter": int(a.n_iter_),
        "pools": pools,
        "spread": {name: (min(v), max(v)) for name, v in times.items()},
    }


SHAPES = [(100_000, 50, 10), (10_000, 784, 10), (1_000_000, 8, 16)]  # (n, d, k)


def _data(n: int, d: int, k: int) -> np.ndarray:
    # cluster_std=4 makes the clusters overlap, so Lloyd needs many iterations and a fit
    # with max_iter=20 and tol=0 really runs 20 of them.
    X, _ = make_blobs(n_samples=n, n_features=d, centers=k, cluster_std=4.0, random_state=0)
    return X


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-iter", type=int, default=20, help="Lloyd iterations per fit")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS, help="Markdown table to write")
    parser.add_argument("--quick", action="store_true", help="small sizes, 2 repeats")
    args = parser.parse_args(argv)
    shapes = SHAPES
    if args.quick:
        shapes, args.n_iter, args.repeats = [(5_000, 20, 10)], 5, 2

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

    lines = [
        "# K-means speed: deepclust_lab (NumPy) vs scikit-learn (Lloyd)",
        "",
        "Data: `make_blobs` (cluster_std 4), float64. Same k-means++ initial centres for both, "
        f"`tol=0`, `max_iter={args.n_iter}`; both ran the same number of iterations (the column "
        "iters; they stop early only when the labels repeat). Seconds "
        "per iteration = whole `fit` time / `n_iter_`, median of "
        f"{args.repeats} alternating repeats; ratio = ours / scikit-learn, measured side by side.",
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
        f"Machine: {os.cpu_count()} CPUs (1-minute load average {load_before:.1f} before, "
        f"{load_after:.1f} after: a shared machine, so wall times are noisy; CPU time is "
        "less affected by other processes), "
        f"Python {platform.python_version()}, "
        f"NumPy {np.__version__}, scikit-learn {sklearn.__version__}. "
        "`1 thread` = `threadpoolctl.threadpool_limits(1)` (BLAS and OpenMP); "
        "`library defaults` = no limit set by the benchmark (the pools column shows the "
        "thread counts outside `fit`): scikit-learn runs OpenMP on all cores with BLAS at "
        "1 thread inside; ours runs its blocks on as many threads as BLAS may use, each "
        "with one BLAS thread (see `deepclust_lab.kmeans_fast`).",
        "",
        "Reproduce: `python benchmarks/kmeans_speed.py` (or `make bench`).",
        "",
    ]
    if not args.quick or args.out != RESULTS:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(lines))
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

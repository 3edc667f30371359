"""Fresh-process times of the CLI: the first run, and a second one that finds the caches warm.

    python benchmarks/startup.py --data PATH/usps.npz [--runs 2] [--out DIR]
    python benchmarks/startup.py                       # digits, written to a temporary .npz

Each run is a new ``deepclust-lab cluster DATA -k 10 --seed 0`` process, timed from its start
to its exit. The runs share a new, empty cache folder (``DEEPCLUST_LAB_CACHE``), so the first
compiles umap-learn's numba functions and JAX's programs and keeps them on disk, and the later
ones load them. A last run with ``DEEPCLUST_LAB_CACHE=0`` (caches off) is the control. The
labels of every run are compared: the caches must not change them.

Each process also counts the seconds it spends compiling: numba's ``numba:compile`` events
(outermost only; loading a function from numba's cache is not one), and JAX's tracing,
lowering and backend-compile events, less the time spent reading programs back from JAX's
persistent cache, which is reported on its own. Writes
``<out>/startup_<data>.md`` (default ``benchmarks/results``) and prints it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


# The CLI, run with compile-time listeners: ``python -c METER LOG cluster ...``. The kit is
# imported first, because it points numba and JAX at the cache folder before they load.
METER = """
import json, sys
import deepclust_lab
from jax import monitoring
from numba.core import event
from deepclust_lab.cli import main
seconds = {}
def on_jax(name, secs, **_):
    seconds[name] = seconds.get(name, 0.0) + secs
numba = event.TimingListener()
event.register("numba:compile", numba)
monitoring.register_event_duration_secs_listener(on_jax)
try:
    rc = main(sys.argv[2:])
finally:
    seconds["numba"] = numba.duration if numba.done else 0.0
    with open(sys.argv[1], "w") as log:
        json.dump(seconds, log)
sys.exit(rc)
"""
JAX_COMPILE = ("/jax/core/compile/jaxpr_trace_duration",
               "/jax/core/compile/jaxpr_to_mlir_module_duration",
               "/jax/core/compile/backend_compile_duration")
JAX_CACHE_READ = "/jax/compilation_cache/cache_retrieval_time_sec"


def one_run(data: Path, out: Path, cache: str) -> tuple[float, np.ndarray, str, dict]:
    """Wall seconds, labels, the CLI's "chose" line, and the compile seconds of one process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_CACHE", "JAX_"))}
    env["DEEPCLUST_LAB_CACHE"] = cache
    log = out.with_suffix(".json")
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", METER, str(log), "cluster", str(data), "-k",
                           "10", "--seed", "0", "--out", str(out)],
                          env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"the CLI failed:\n{done.stderr[-3000:]}")
    chose = " ".join(line for line in done.stderr.splitlines() if line.startswith("chose"))
    labels = np.loadtxt(out, delimiter=",", skiprows=1, usecols=-1, dtype=np.int64)
    events = json.loads(log.read_text())
    cache_read = events.get(JAX_CACHE_READ, 0.0)
    compile_s = {"numba": events["numba"], "cache read": cache_read,
                 "jax": sum(events.get(name, 0.0) for name in JAX_COMPILE) - cache_read}
    return seconds, labels, chose, compile_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help=".npz / .npy / .csv file (default: digits)")
    parser.add_argument("--runs", type=int, default=2, help="runs sharing one cache (2)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = args.data
        if data is None:
            from sklearn.datasets import load_digits

            digits = load_digits()
            data = tmp / "digits.npz"
            np.savez(data, X=digits.data / 16.0, y=digits.target)
        rows = []
        for i in range(args.runs):
            rows.append((f"run {i + 1}, cache {'empty' if i == 0 else 'kept'}",
                         *one_run(data, tmp / f"labels{i}.csv", str(tmp / "cache"))))
        rows.append(("control: caches off", *one_run(data, tmp / "labels_off.csv", "0")))
    same = all(np.array_equal(rows[0][2], r[2]) for r in rows)
    lines = [
        f"# CLI start-up: fresh processes on {data.stem}", "",
        f"Command: `python benchmarks/startup.py{f' --data {args.data}' if args.data else ''}`  ",
        f"Date: {datetime.date.today()}; machine: {os.cpu_count()} CPU cores, "
        f"{platform.machine()}, Python {platform.python_version()}; 1-minute load "
        f"{os.getloadavg()[0]:.1f} at the end.", "",
        "| process | wall seconds | compiling: numba | compiling: JAX | compiling: total "
        "| JAX cache reads |", "|---|---|---|---|---|---|",
        *[f"| {name} | {sec:.1f} | {c['numba']:.1f} | {c['jax']:.1f} | "
          f"{c['numba'] + c['jax']:.1f} | {c['cache read']:.1f} |"
          for name, sec, _, _, c in rows], "",
        f"Second run / first run: {rows[1][1] / rows[0][1]:.2f}. " if args.runs > 1 else "",
        f"Labels identical in every run: {'yes' if same else '**no**'}.  ",
        f"The CLI said: {rows[0][3]}", "",
    ]
    text = "\n".join(lines)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"startup_{data.stem}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()

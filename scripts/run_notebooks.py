"""Execute notebooks top to bottom and save them with fresh outputs.

    python scripts/run_notebooks.py notebooks/*.ipynb

Runs each notebook in its own folder with the current Python (the same kernel nbval uses),
so the committed outputs are exactly what a clean run produces.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def run(path: Path, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,  # no timestamps in cell metadata: re-runs change only outputs
        # no saved widget state: pages without a kernel (GitHub, nbviewer, nbconvert) then show
        # each widget's picture (its text/html snapshot) instead of an empty live view
        store_widget_state=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    seconds = time.perf_counter() - start
    nb.metadata.pop("widgets", None)  # an earlier run's saved state, if any
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        seconds = run(path, args.timeout)
        print(f"{path}: {seconds:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

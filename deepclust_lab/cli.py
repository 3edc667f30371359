"""The ``deepclust-lab`` command.

::

    deepclust-lab demo     [--out DIR] [--quick | --full] [--figures DIR [--format png|svg]]
    deepclust-lab cluster  PATH --n-clusters K [--method M] [--labels COLUMN_OR_FILE]
                           [--label-column COLUMN] [--out labels.csv] [--preset fast|full]
                           [--seed S]
    deepclust-lab init     [DIR]
    deepclust-lab reset    NOTEBOOK [--dir DIR]
    deepclust-lab lab      [DIR]

Exit codes: 0 success, 1 failure (bad file, bad data, a failed fit), 2 usage error,
130 interrupted with Ctrl-C. Human-readable messages and progress go to stderr; the labels
go to ``--out`` (written atomically) or, without ``--out``, to stdout.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = ["init_notebooks", "main", "notebook_dir", "reset_notebook", "write_atomic"]

DEFAULT_WORKDIR = "deepclust-lab-notebooks"


class CLIError(Exception):
    """A failure to report in one line and exit with status 1."""


class UsageError(Exception):
    """A bad combination of arguments: reported like argparse's own errors, exit status 2."""


# --------------------------------------------------------------------------- files
def notebook_dir() -> Path:
    """The folder of pristine notebooks shipped inside the package."""
    return Path(str(resources.files("deepclust_lab") / "notebooks"))


def _pristine_notebooks() -> list[Path]:
    return sorted(notebook_dir().glob("[0-9][0-9]_*.ipynb"))


def write_atomic(path: str | os.PathLike, data: str | bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one.

    The data goes to a temporary file in the same folder, which then replaces ``path``
    in one ``os.replace``; on any failure the temporary file is removed and an existing
    ``path`` is left untouched.
    """
    path = Path(path)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def init_notebooks(directory: str | os.PathLike) -> tuple[list[Path], list[Path]]:
    """Copy the pristine notebooks into ``directory``; never overwrite one already there.

    Returns ``(copied, skipped)``.
    """
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise CLIError(f"{target} exists and is not a folder")
    target.mkdir(parents=True, exist_ok=True)
    copied, skipped = [], []
    for source in _pristine_notebooks():
        dest = target / source.name
        if dest.exists() or dest.is_symlink():
            skipped.append(dest)
            continue
        write_atomic(dest, source.read_bytes())
        copied.append(dest)
    return copied, skipped


def _find_pristine(name: str) -> Path:
    stem = Path(name).name
    candidates = _pristine_notebooks()
    for source in candidates:
        if stem in (source.name, source.stem) or source.name.startswith(f"{stem}_"):
            return source
    names = ", ".join(s.name for s in candidates)
    raise CLIError(f"no notebook called {name!r}; the kit's notebooks are: {names}")


def reset_notebook(name: str, directory: str | os.PathLike = ".") -> tuple[Path, Path | None]:
    """Restore the pristine copy of notebook ``name`` in ``directory``.

    ``name`` may be the file name, its stem, or just its number (``"02"``). The student's
    version, if any, is first saved as ``<stem>.backup-<timestamp>.ipynb`` beside it.
    Returns ``(restored_path, backup_path_or_None)``.
    """
    source = _find_pristine(name)
    folder = Path(directory)
    if not folder.is_dir():
        raise CLIError(f"{folder} is not a folder; run 'deepclust-lab init {folder}' first")
    dest = folder / source.name
    backup = None
    if dest.exists():
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        backup = folder / f"{source.stem}.backup-{stamp}.ipynb"
        n = 1
        while backup.exists():
            backup = folder / f"{source.stem}.backup-{stamp}-{n}.ipynb"
            n += 1
        shutil.copy2(dest, backup)
    write_atomic(dest, source.read_bytes())
    return dest, backup


# --------------------------------------------------------------------------- commands
def _cmd_init(args: argparse.Namespace) -> int:
    copied, skipped = init_notebooks(args.dir)
    for path in copied:
        print(f"copied   {path}", file=sys.stderr)
    for path in skipped:
        print(f"skipped  {path} (already there; 'deepclust-lab reset' restores it)", file=sys.stderr)
    print(f"{len(copied)} copied, {len(skipped)} kept as they were, in {args.dir}", file=sys.stderr)
    return 0


def _cmd_reset(args: argparse.Namespace) -> int:
    dest, backup = reset_notebook(args.notebook, args.dir)
    if backup is not None:
        print(f"saved your version as {backup}", file=sys.stderr)
    print(f"restored {dest}", file=sys.stderr)
    return 0


def _cmd_lab(args: argparse.Namespace) -> int:
    directory = Path(args.dir)
    if not any(directory.glob("[0-9][0-9]_*.ipynb")):
        _cmd_init(argparse.Namespace(dir=directory))
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={directory.resolve()}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # JupyterLab refuses to run as root without it
    command += args.jupyter_args
    print("starting JupyterLab (token authentication on): " + " ".join(command[2:]), file=sys.stderr)
    return subprocess.call(command)


def _read_labels_file(path: Path, n: int) -> np.ndarray:
    from deepclust_lab._checks import check_labels

    try:
        if path.suffix == ".npy":
            values = np.load(path, allow_pickle=False)
        else:
            values = np.loadtxt(path, dtype=str, delimiter=",", ndmin=1)
    except (OSError, ValueError) as err:
        raise CLIError(f"--labels: could not read {path}: {err}") from None
    return check_labels(np.ravel(values), "--labels", n_samples=n)


def _cmd_cluster(args: argparse.Namespace) -> int:
    from deepclust_lab.data import load_dataset
    from deepclust_lab.metrics import external_scores
    from deepclust_lab.pipeline import METHODS, DeepClusterer

    if args.method is not None and args.method not in METHODS:
        raise UsageError(f"--method must be one of {', '.join(METHODS)}, got {args.method!r}")
    path = Path(args.path)
    label_column = args.label_column
    labels_file = None
    if args.labels is not None:
        if Path(args.labels).is_file():
            labels_file = Path(args.labels)
        elif path.suffix.lower() == ".csv" and label_column is None:
            label_column = args.labels
        elif label_column is None:
            raise UsageError(f"--labels: {args.labels!r} is neither a file nor a CSV column")
    if args.out is not None:
        out = Path(args.out)
        if out.is_dir():
            raise CLIError(f"--out: {out} is a folder; give a file name such as labels.csv")
        if not out.parent.exists():
            raise CLIError(f"--out: the folder {out.parent} does not exist")

    data = load_dataset(str(path), label_column=label_column)
    y = data.y
    if labels_file is not None:
        y = _read_labels_file(labels_file, len(data.X))
    print(f"{data.name}: {data.X.shape[0]} samples x {data.X.shape[1]} features", file=sys.stderr)

    options = {} if args.method is None else {"method": args.method}
    if args.preset is not None:
        options["preset"] = args.preset
    model = DeepClusterer(args.n_clusters, random_state=args.seed, verbose=True, **options)
    start = time.perf_counter()
    labels = model.fit_predict(data.X)
    seconds = time.perf_counter() - start

    text = "\n".join(str(int(label)) for label in labels) + "\n"
    if args.out is not None:
        write_atomic(args.out, text)
        print(f"wrote {len(labels)} labels to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    report = sys.stdout if args.out is not None else sys.stderr
    sizes = np.bincount(labels, minlength=args.n_clusters)
    print(f"fitted in {seconds:.1f} s", file=sys.stderr)  # timings only on stderr: stdout stays stable
    print(f"method {model.method}: {args.n_clusters} clusters, sizes {sizes.tolist()}", file=report)
    if y is not None:
        scores = external_scores(y, labels)
        print("  ".join(f"{k} {scores[k]:.3f}" for k in ("ACC", "NMI", "ARI")), file=report)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from deepclust_lab import demo

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table = demo.run_demo(out, quick=args.quick, full=args.full, seed=args.seed)
    print(table)
    print(f"\nfigures and results.md written to {out}/", file=sys.stderr)
    if args.figures is not None:
        written = demo.notebook_figures(Path(args.figures), fmt=args.format)
        print(f"{len(written)} notebook figures written to {args.figures}/", file=sys.stderr)
    return 0


# --------------------------------------------------------------------------- parser
def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"expected a seed between 0 and 2**32 - 1, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deepclust-lab",
        description="Clustering combined with deep learning: notebooks, demo and your own data.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("demo", help="headless run on digits: results table and figures")
    p.add_argument("--out", default="outputs", help="folder for figures and results (default: outputs)")
    p.add_argument("--quick", action="store_true", help="only kmeans and ae-kmeans (a smoke run)")
    p.add_argument("--full", action="store_true",
                   help="train with the 'full' preset (the DEC paper's network; several minutes)")
    p.add_argument("--seed", type=_seed, default=0)
    p.add_argument("--figures", metavar="DIR",
                   help="also re-run every notebook and save each figure it shows into DIR")
    p.add_argument("--format", choices=("png", "svg"), default="png", help="figure format for --figures")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("cluster", help="cluster your own .csv / .npy / .npz file")
    p.add_argument("path", help="data file: CSV with a header row, .npy, or .npz (array X or x, optional y)")
    p.add_argument("--n-clusters", "-k", type=_positive_int, required=True)
    p.add_argument("--method", help="clustering recipe (default: the kit's best; "
                   "see 'Methods' in the README)")
    p.add_argument("--labels", metavar="COLUMN_OR_FILE",
                   help="true labels to score against: a CSV column name or a file with one label per row")
    p.add_argument("--label-column", metavar="COLUMN", help="CSV column holding labels (not a feature)")
    p.add_argument("--out", metavar="FILE", help="write one cluster label per row here (default: stdout)")
    p.add_argument("--preset", choices=("fast", "full"),
                   help="training budget for the deep methods (default: full)")
    p.add_argument("--seed", type=_seed, default=0)
    p.set_defaults(func=_cmd_cluster)

    p = sub.add_parser("init", help="copy the notebooks into your own folder (never overwrites)")
    p.add_argument("dir", nargs="?", default=DEFAULT_WORKDIR)
    p.set_defaults(func=_cmd_init)

    p = sub.add_parser("reset", help="restore a pristine notebook, keeping yours as a backup")
    p.add_argument("notebook", help="notebook name or number, e.g. 02 or 02_kmeans_from_scratch.ipynb")
    p.add_argument("--dir", default=".", help="folder holding your notebooks (default: .)")
    p.set_defaults(func=_cmd_reset)

    p = sub.add_parser("lab", help="open JupyterLab on your notebook folder (initialised if needed)")
    p.add_argument("dir", nargs="?", default=DEFAULT_WORKDIR)
    p.add_argument("jupyter_args", nargs=argparse.REMAINDER, help="passed on to JupyterLab")
    p.set_defaults(func=_cmd_lab)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as err:
        parser.error(str(err))  # exits with status 2
    except KeyboardInterrupt:
        print("deepclust-lab: interrupted; nothing was written", file=sys.stderr)
        return 130
    except (CLIError, ValueError, TypeError, FileNotFoundError, IsADirectoryError,
            PermissionError) as err:
        print(f"deepclust-lab {args.command}: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

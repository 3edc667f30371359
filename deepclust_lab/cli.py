"""The ``deepclust-lab`` command (also ``python -m deepclust_lab``): ``demo``, ``cluster``,
``init``, ``reset``, ``lab`` and ``assign``; ``deepclust-lab COMMAND --help`` says more.

This module only parses the arguments, calls the library and turns errors into exit codes:
0 success, 1 failure (bad file, bad data, a failed fit), 2 usage error, 130 Ctrl-C. Messages
and progress go to stderr; the labels go to ``--out`` (written atomically) or to stdout.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from deepclust_lab import __version__
from deepclust_lab.workspace import init_notebooks, reset_notebook, write_atomic

__all__ = ["main"]

DEFAULT_WORKDIR = "deepclust-lab-notebooks"


class CLIError(Exception):
    """A failure to report in one line and exit with status 1."""


class UsageError(Exception):
    """A bad combination of arguments: reported like argparse's own errors, exit status 2."""


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


def _cmd_cache(args: argparse.Namespace) -> int:
    from deepclust_lab import _cache

    folder = _cache.cache_folder()
    if folder is None:
        print("the caches are off (DEEPCLUST_LAB_CACHE=0): nothing to do", file=sys.stderr)
        return 0
    if args.action == "path":
        print(folder)
        return 0
    removed = _cache.clear()
    for path in removed:
        print(f"removed  {path}", file=sys.stderr)
    print(f"cleared the compiled-code cache in {folder}" if removed
          else f"nothing to clear in {folder}", file=sys.stderr)
    return 0


def _cmd_lab(args: argparse.Namespace) -> int:
    import jupyterlab  # noqa: F401  (here, so that a missing one gets main's one-line hint)

    directory = Path(args.dir)
    if not any(directory.glob("[0-9][0-9]_*.ipynb")):
        _cmd_init(argparse.Namespace(dir=directory))
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={directory.resolve()}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # JupyterLab refuses to run as root without it
    command += args.jupyter_args
    print("starting JupyterLab (token authentication on): " + " ".join(command[2:]), file=sys.stderr)
    return subprocess.call(command)


def _cmd_assign(args: argparse.Namespace) -> int:
    from deepclust_lab import grading

    def say(line: str) -> None:
        print(line, file=sys.stderr)

    try:
        written, skipped = grading.write_assignment(
            args.dir, args.notebooks, run_tests=not args.no_run_tests, progress=say)
    except grading.AssignmentError as err:
        raise CLIError(f"{err}\nnothing was written to {args.dir}") from None
    for path in skipped:
        say(f"skipped  {path.name} (no exercises)")
    for path in written:
        say(f"wrote    {path}")
    graded = sorted(path.parent.name for path in written if path.name == "autograder.zip")
    example = graded[0] if len(graded) == 1 else "<notebook>"
    say(f"{len(graded)} notebook(s) in {args.dir}: hand out the notebooks in student/; grade a "
        f"submission with: otter run -a {Path(args.dir) / 'autograder' / example}"
        "/autograder.zip SUBMISSION.ipynb")
    return 0


def _read_labels_file(path: Path, n: int) -> np.ndarray:
    from deepclust_lab._checks import check_labels

    try:
        if path.suffix == ".npy":
            values = np.load(path, allow_pickle=False)
        else:
            values = np.loadtxt(path, dtype=str, delimiter=",", ndmin=1)
            try:  # numbers are class ids, which check_labels wants whole; others are names
                values = values.astype(np.float64)
            except ValueError:
                pass
    except (OSError, ValueError) as err:
        raise CLIError(f"--labels: could not read {path}: {err}") from None
    return check_labels(np.ravel(values), "--labels", n_samples=n)


def _labels_source(args: argparse.Namespace, path: Path) -> tuple[str | None, Path | None]:
    """``(label_column, labels_file)`` from ``--labels`` / ``--label-column``."""
    if args.labels is None:
        return args.label_column, None
    if Path(args.labels).is_file():
        return args.label_column, Path(args.labels)
    if args.label_column is None and path.suffix.lower() == ".csv":
        return args.labels, None
    if args.label_column is None:
        raise UsageError(f"--labels: {args.labels!r} is neither a file nor a CSV column")
    return args.label_column, None


def _same_file(a: Path, b: Path) -> bool:
    """Also through symlinks and hard links."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return a.resolve() == b.resolve()


def _check_out(out: Path, inputs: dict[str, Path | None]) -> None:
    if out.is_dir():
        raise CLIError(f"--out: {out} is a folder; give a file name such as labels.csv")
    if not out.parent.exists():
        raise CLIError(f"--out: the folder {out.parent} does not exist")
    if not out.parent.is_dir():
        raise CLIError(f"--out: {out.parent} is a file, not a folder")
    for what, path in inputs.items():
        if path is not None and _same_file(out, path):
            raise UsageError(f"--out: {out} is the same file as {what} ({path}); writing the "
                             "labels there would destroy it, so give another file name")


def _cmd_cluster(args: argparse.Namespace) -> int:
    from deepclust_lab.data import load_dataset
    from deepclust_lab.metrics import external_scores
    from deepclust_lab.pipeline import METHODS, DeepClusterer

    if args.method is not None and args.method not in METHODS:
        raise UsageError(f"--method must be one of {', '.join(METHODS)}, got {args.method!r}")
    path = Path(args.path)
    label_column, labels_file = _labels_source(args, path)
    if args.out is not None:
        _check_out(Path(args.out), {"the input data": path, "the --labels file": labels_file})

    data = load_dataset(str(path), label_column=label_column)
    y = data.y if labels_file is None else _read_labels_file(labels_file, len(data.X))
    n, n_features = data.X.shape
    print(f"{data.name}: {n} samples x {n_features} features", file=sys.stderr)
    options = {"method": args.method, "preset": args.preset, "image_shape": args.image_shape,
               "augment": {"auto": None, "on": True, "off": False}[args.augment],
               "kind": None if args.kind == "dense" else args.kind}
    if args.image_shape is not None and math.prod(args.image_shape) != n_features:
        shape = "x".join(map(str, args.image_shape))
        raise CLIError(f"--image-shape {shape} holds {math.prod(args.image_shape)} values, "
                       f"but each row of {path.name} has {n_features} features")
    options = {key: value for key, value in options.items() if value is not None}
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
    recipe = model.recipe_
    print(f"chose: {recipe['summary']}\nimages: {recipe['image_shape_reason']}", file=sys.stderr)
    print(f"method {model.method}: {args.n_clusters} clusters, sizes {sizes.tolist()}", file=report)
    if y is not None:
        scores = external_scores(y, labels)
        print("  ".join(f"{k} {scores[k]:.3f}" for k in ("ACC", "NMI", "ARI")), file=report)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")  # the demo only writes files; chosen here, before pyplot is imported
    from deepclust_lab import demo

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out: {out} is a file; the demo writes into a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CLIError(f"--out: cannot create the folder {out} ({err.strerror})") from None
    table = demo.run_demo(out, quick=args.quick, full=args.full, seed=args.seed)
    print(table)
    print(f"\nfigures and results.md written to {out}/", file=sys.stderr)
    if args.figures is not None:
        written = demo.notebook_figures(Path(args.figures), fmt=args.format)
        print(f"{len(written)} notebook figures written to {args.figures}/", file=sys.stderr)
    return 0


def _whole_number(what: str, low: int, high: int | None = None):
    """An argparse ``type``: a whole number in ``[low, high]``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low or (high is not None and value > high):
            bounds = f">= {low}" if high is None else f"between {low} and {high}"
            raise argparse.ArgumentTypeError(f"expected {what} {bounds}, got {value}")
        return value

    return parse


_positive_int = _whole_number("a number", 1)
_seed = _whole_number("a seed", 0, 2**32 - 1)


def _image_shape(text: str) -> tuple[int, ...]:
    """``"28x28"`` -> ``(28, 28)``; ``"28x28x1"`` -> ``(28, 28, 1)``."""
    try:
        shape = tuple(int(part) for part in text.lower().split("x"))
    except ValueError:
        shape = ()
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise argparse.ArgumentTypeError(
            f"expected HxW or HxWxC in whole numbers >= 1, such as 28x28 or 28x28x1, got {text!r}")
    return shape


def _add_cluster_parser(sub: argparse._SubParsersAction) -> None:
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
    p.add_argument("--image-shape", metavar="HxW", type=_image_shape,
                   help="shape of one image when each row is a flattened image, e.g. 28x28 or 28x28x1")
    p.add_argument("--augment", choices=("auto", "on", "off"), default="auto",
                   help="train on shifted / rotated images (default: auto, for images of 14 px and up)")
    p.add_argument("--kind", choices=("dense", "conv"), default="dense",
                   help="autoencoder kind; conv needs images (default: dense)")
    p.add_argument("--seed", type=_seed, default=0)
    p.set_defaults(func=_cmd_cluster)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deepclust-lab",
        description="Clustering combined with deep learning: notebooks, demo and your own data.",
    )
    parser.add_argument("--version", action="version", version=f"deepclust-lab {__version__}")
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

    _add_cluster_parser(sub)

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

    p = sub.add_parser("assign", help="instructors: an otter-grader assignment in a new folder "
                       "(student notebooks without solutions, and an autograder)")
    p.add_argument("dir", help="a new or empty folder; nothing already there is overwritten")
    p.add_argument("--notebooks", nargs="+", metavar="NN",
                   help="only these notebooks, by number or name (default: every notebook "
                   "with exercises)")
    p.add_argument("--no-run-tests", action="store_true",
                   help="skip otter's check that the solutions pass their tests, which runs "
                   "each whole notebook")
    p.set_defaults(func=_cmd_assign)

    p = sub.add_parser("cache", help="the compiled code kept between processes: where it is, "
                       "or clear it")
    p.add_argument("action", choices=("path", "clear"),
                   help="path: print the folder; clear: delete what the kit keeps there")
    p.set_defaults(func=_cmd_cache)
    return parser


# What to install when an import fails (module name -> command)
_INSTALL = {
    "jupyterlab": "pip install 'deepclust-lab[lab]'",
    "otter": "pip install 'deepclust-lab[grade]'",
    "jax": "pip install 'jax[cpu]' (or 'deepclust-lab[gpu]' for an NVIDIA GPU)",
    "jaxlib": "pip install 'jax[cpu]'",
    "umap": "pip install umap-learn",
    "sklearn": "pip install scikit-learn",
}


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
    except ModuleNotFoundError as err:  # an install without the kit's dependencies
        name = (err.name or "").partition(".")[0]
        hint = _INSTALL.get(name, f"pip install {name}")
        print(f"deepclust-lab {args.command}: error: the package {name!r} is not installed; "
              f"install it with: {hint}", file=sys.stderr)
        return 1
    except (CLIError, ValueError, TypeError, OSError) as err:
        print(f"deepclust-lab {args.command}: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

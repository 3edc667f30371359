"""The bad-input matrix: whatever a user can type gets a clear error naming what was wrong.

One table of cases across load_dataset, KMeans, DeepClusterer, the metrics and the CLI. Each
case states the exception type and a pattern that the message must contain (the parameter or
file it is about, and what was expected). Nothing here trains a model: every case must be
rejected at the door.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from deepclust_lab import metrics, selection
from deepclust_lab.data import impute_missing, load_dataset, scale_features
from deepclust_lab.kmeans import KMeans, assign_labels, kmeans_plusplus, update_centers
from deepclust_lab.pipeline import DeepClusterer
from deepclust_lab.widgets import ClusterLab, EmbeddingExplorer, KMeansStepper

GOOD = np.random.default_rng(0).normal(size=(20, 3))


def with_nan() -> np.ndarray:
    X = GOOD.copy()
    X[3, 1] = np.nan
    return X


def with_inf() -> np.ndarray:
    X = GOOD.copy()
    X[0, 0] = np.inf
    return X


def _sparse():
    import scipy.sparse

    return scipy.sparse.csr_matrix(GOOD)


# Files are made inside each test's tmp_path by these writers: name -> (file name, writer)
def _write(tmp: Path, name: str, content: bytes | str) -> Path:
    path = tmp / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def _truncated_npy(tmp: Path) -> Path:
    path = tmp / "trunc.npy"
    np.save(path, np.ones((50, 4)))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _npz_without_x(tmp: Path) -> Path:
    path = tmp / "nox.npz"
    np.savez(path, features=np.ones((5, 2)))
    return path


def _pickled_npy(tmp: Path) -> Path:
    path = tmp / "objects.npy"
    np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    return path


def _npz(tmp: Path, **arrays) -> Path:
    path = tmp / "d.npz"
    np.savez(path, **{"X": np.arange(10.0).reshape(5, 2), **arrays})
    return path


def _npy(tmp: Path, array: np.ndarray) -> Path:
    path = tmp / "d.npy"
    np.save(path, array)
    return path


def _one_nan(images: np.ndarray) -> np.ndarray:
    images[3, 1] = np.nan
    return images


def _folder(tmp: Path, name: str, text: str = "{}") -> Path:
    (tmp / "model").mkdir()
    (tmp / "model" / name).write_text(text)
    return tmp / "model"


# (id, callable taking tmp_path, exception type, pattern in the message)
Case = tuple[str, Callable[[Path], object], type[BaseException], str]

CASES: list[Case] = [
    # ---- load_dataset: names and files
    ("load unknown name", lambda t: load_dataset("mnistt"), ValueError, "mnistt.*digits"),
    ("load wrong type", lambda t: load_dataset(42), TypeError, "name_or_path"),
    ("load missing file", lambda t: load_dataset(t / "nope.csv"), FileNotFoundError, "nope.csv"),
    ("load unsupported suffix", lambda t: load_dataset(_write(t, "a.xlsx", "x")), ValueError, r"\.xlsx"),
    ("load empty csv", lambda t: load_dataset(_write(t, "e.csv", "")), ValueError, "e.csv.*empty"),
    ("load header-only csv", lambda t: load_dataset(_write(t, "h.csv", "a,b\n")), ValueError, "h.csv"),
    ("load non-numeric csv column", lambda t: load_dataset(_write(t, "s.csv", "a,b\n1,x\n2,y\n")),
     TypeError, "'b'"),
    ("load missing label column", lambda t: load_dataset(_write(t, "l.csv", "a,b\n1,2\n"), label_column="y"),
     ValueError, "'y'"),
    ("load corrupt npz", lambda t: load_dataset(_write(t, "c.npz", b"PK\x03\x04garbage")), ValueError,
     "could not be read"),
    ("load truncated npy", lambda t: load_dataset(_truncated_npy(t)), ValueError, "could not be read"),
    ("load npz without X", lambda t: load_dataset(_npz_without_x(t)), ValueError, "features"),
    ("load pickled npy is refused", lambda t: load_dataset(_pickled_npy(t)), ValueError, "objects.npy"),
    ("load n_samples zero", lambda t: load_dataset("blobs", n_samples=0), ValueError, "n_samples"),
    ("load n_samples string", lambda t: load_dataset("blobs", n_samples="10"), TypeError, "n_samples"),
    ("load bad scale", lambda t: load_dataset("blobs", scale="log"), ValueError, "scale"),
    # ---- KMeans
    ("kmeans NaN", lambda t: KMeans(2).fit(with_nan()), ValueError, "NaN"),
    ("kmeans inf", lambda t: KMeans(2).fit(with_inf()), ValueError, "infinite"),
    ("kmeans strings", lambda t: KMeans(2).fit([["a", "b"], ["c", "d"]]), TypeError, "numbers"),
    ("kmeans 1-D", lambda t: KMeans(2).fit(np.arange(10.0)), ValueError, "2-D.*reshape"),
    ("kmeans 3-D", lambda t: KMeans(2).fit(np.ones((4, 2, 2))), ValueError, "2-D"),
    ("kmeans empty", lambda t: KMeans(2).fit(np.empty((0, 3))), ValueError, "empty"),
    ("kmeans k zero", lambda t: KMeans(0).fit(GOOD), ValueError, "n_clusters"),
    ("kmeans k too big", lambda t: KMeans(50).fit(GOOD), ValueError, "n_clusters"),
    ("kmeans k float", lambda t: KMeans(2.5).fit(GOOD), TypeError, "n_clusters"),
    ("kmeans too few distinct points", lambda t: KMeans(3).fit(np.ones((10, 2))), ValueError, "distinct"),
    ("kmeans unknown init", lambda t: KMeans(2, init="kmeans").fit(GOOD), ValueError, "init"),
    ("kmeans init wrong shape", lambda t: KMeans(2, init=np.zeros((3, 3))).fit(GOOD), ValueError, "init"),
    ("kmeans negative tol", lambda t: KMeans(2, tol=-1).fit(GOOD), ValueError, "tol"),
    ("kmeans max_iter string", lambda t: KMeans(2, max_iter="9").fit(GOOD), TypeError, "max_iter"),
    ("kmeans predict wrong width", lambda t: KMeans(2, random_state=0).fit(GOOD).predict(np.ones((2, 5))),
     ValueError, "features"),
    # ---- DeepClusterer (rejected before any training)
    ("deep unknown method", lambda t: DeepClusterer(3, method="dbscan").fit(GOOD), ValueError, "method"),
    ("deep NaN", lambda t: DeepClusterer(3, method="kmeans").fit(with_nan()), ValueError, "NaN"),
    ("deep wrong ndim", lambda t: DeepClusterer(3).fit(np.ones(10)), ValueError, "2-D"),
    ("deep sparse", lambda t: DeepClusterer(3, method="kmeans").fit(_sparse()), TypeError,
     r"X is a scipy sparse matrix.*toarray"),
    ("deep complex", lambda t: DeepClusterer(3, method="kmeans").fit(GOOD + 1j), ValueError,
     "X must contain real numbers"),
    ("deep k too big", lambda t: DeepClusterer(30, method="kmeans").fit(GOOD), ValueError, "n_clusters"),
    ("deep k string", lambda t: DeepClusterer("3").fit(GOOD), TypeError, "n_clusters"),
    ("deep bad preset", lambda t: DeepClusterer(3, preset="huge").fit(GOOD), ValueError, "preset"),
    ("deep epochs zero", lambda t: DeepClusterer(3, method="ae-kmeans", epochs=0).fit(GOOD), ValueError,
     "epochs"),
    ("deep conv without image_shape", lambda t: DeepClusterer(3, method="ae-kmeans", kind="conv").fit(GOOD),
     ValueError, "image_shape"),
    ("deep load missing", lambda t: DeepClusterer.load(t / "none"), FileNotFoundError, "none"),
    ("deep load foreign json", lambda t: DeepClusterer.load(_write(t, "manifest.json", '{"a": 1}').parent),
     ValueError, "not written by DeepClusterer"),
    # ---- metrics
    ("acc length mismatch", lambda t: metrics.cluster_accuracy([0, 1, 1], [0, 1]), ValueError, "3.*2"),
    ("acc NaN", lambda t: metrics.cluster_accuracy([0, np.nan], [0, 1]), ValueError, "NaN"),
    ("acc empty", lambda t: metrics.cluster_accuracy([], []), ValueError, "empty"),
    ("purity 2-D labels", lambda t: metrics.purity([[0, 1]], [[0, 1]]), ValueError, "1-D"),
    ("silhouette one cluster", lambda t: metrics.internal_scores(GOOD, np.zeros(20, int)), ValueError,
     "cluster"),
    ("internal X length mismatch", lambda t: metrics.internal_scores(GOOD, np.arange(10) % 2), ValueError,
     "20.*10|10.*20"),
    ("report y None and X None", lambda t: metrics.clustering_report(None, None, [0, 1]), ValueError,
     "X|y_true"),
    *[  # ---- more of each kind, from the reliability review
        # files that do not say what they are
        ("csv row with an extra field", lambda t: load_dataset(_write(t, "x.csv", "a,b\n1,2,3\n4,5\n")),
         ValueError, r"line 2 of .*x\.csv.* 3 fields but the header has 2"),
        ("csv row with a field missing", lambda t: load_dataset(_write(t, "m.csv", "a,b,c\n1,2,3\n4,5\n")),
         ValueError, "line 3 .* 2 fields but the header has 3"),
        ("semicolon csv with a short row", lambda t: load_dataset(_write(t, "s.csv", "a;b\n1,5;2\n3\n4;5\n")),
         ValueError, "line 3 .*semicolon-separated"),
        ("bad cell is named with its own value", lambda t: load_dataset(
            _write(t, "b.csv", "a,b\n1,2\n3,4\n5,oops\n6,7\n")), TypeError, "'b'.*data row 3 holds 'oops'"),
        ("bad cell after numbers", lambda t: load_dataset(_write(t, "c.csv", "a\n1\n2\nn/a?\n")),
         TypeError, "data row 3 holds 'n/a\\?'"),
        ("csv label column with a gap", lambda t: load_dataset(
            _write(t, "g.csv", "a,y\n1,0\n2,\n3,1\n"), label_column="y"), ValueError, "'y' has 1 missing"),
        ("csv label column of fractions", lambda t: load_dataset(
            _write(t, "f.csv", "a,y\n1,0.5\n2,1.5\n"), label_column="y"), ValueError,
         "non-integer floats such as 0.5"),
        ("npz y of fractions", lambda t: load_dataset(_npz(t, y=np.linspace(0, 1, 5))), ValueError,
         "non-integer floats"),
        ("npz y of the wrong length", lambda t: load_dataset(_npz(t, y=np.arange(3))), ValueError,
         "3 entries but there are 5"),
        ("npz of strings", lambda t: load_dataset(_npz(t, X=np.array([["a", "b"]] * 5))), TypeError,
         "must hold numbers"),
        ("npy 1-D", lambda t: load_dataset(_npy(t, np.arange(5.0))), ValueError, "expected 2-D"),
        ("npy empty", lambda t: load_dataset(_npy(t, np.empty((0, 3)))), ValueError, "empty array"),
        ("csv binary garbage", lambda t: load_dataset(_write(t, "z.csv", bytes(range(256)) * 4)),
         (ValueError, TypeError), "z.csv"),
        # degenerate data: every method refuses fewer distinct points than clusters alike
        *[(f"{m} on constant data", lambda t, m=m: DeepClusterer(3, method=m).fit(np.ones((20, 3))),
           ValueError, "only 1 distinct points but n_clusters=3") for m in
          ("kmeans", "ae-kmeans", "dec", "idec", "n2d", "manifold")],
        *[(f"{m} on two distinct rows", lambda t, m=m: DeepClusterer(3, method=m).fit(
            np.repeat(GOOD[:2], 10, axis=0)), ValueError, "only 2 distinct points") for m in
          ("kmeans", "ae-kmeans", "dec", "idec", "n2d", "manifold")],
        ("KMeans on constant data", lambda t: KMeans(2).fit(np.zeros((9, 2))), ValueError,
         "only 1 distinct"),
        ("kmeans_plusplus on constant data", lambda t: kmeans_plusplus(np.ones((9, 2)), 2), ValueError,
         "only 1 distinct"),
        ("sweep_k on constant data", lambda t: selection.sweep_k(np.ones((30, 2)), range(2, 5)),
         ValueError, "only 1 distinct points but the largest k in k_values=4"),
        ("gap statistic on constant data", lambda t: selection.gap_statistic(np.ones((30, 2)), range(1, 4)),
         ValueError, "only 1 distinct"),
        ("manifold on three samples", lambda t: DeepClusterer(2, method="manifold").fit(GOOD[:3]), ValueError,
         "needs at least 4 samples"),
        ("n2d on three samples", lambda t: DeepClusterer(2, method="n2d").fit(GOOD[:3]), ValueError,
         "needs at least 4 samples"),
        # huge and tiny values
        ("KMeans inertia beyond float64", lambda t: KMeans(3, random_state=0).fit(GOOD * 1e200), ValueError,
         "exceeds float64's range"),
        ("KMeans random init inertia beyond float64", lambda t: KMeans(3, init="random", random_state=0)
         .fit(GOOD * 1e200), ValueError, "divide X by a constant"),
        ("predict far beyond the training scale", lambda t: DeepClusterer(3, method="kmeans").fit(GOOD)
         .predict(GOOD * 1e300), ValueError, "beyond the range the networks compute in"),
        ("kmeans float32 overflow", lambda t: KMeans(2).fit(np.full((4, 2), 1e39)), ValueError,
         "infinite|distinct"),
        # sparse input, at every door
        ("KMeans sparse", lambda t: KMeans(2).fit(_sparse()), TypeError, "sparse.*toarray"),
        ("kmeans_plusplus sparse", lambda t: kmeans_plusplus(_sparse(), 2), TypeError, "sparse"),
        ("assign_labels sparse", lambda t: assign_labels(_sparse(), GOOD[:2]), TypeError, "sparse"),
        ("sweep_k sparse", lambda t: selection.sweep_k(_sparse()), TypeError, "sparse"),
        ("internal scores sparse", lambda t: metrics.internal_scores(_sparse(), np.arange(20) % 2),
         TypeError, "sparse"),
        ("impute sparse", lambda t: impute_missing(_sparse()), TypeError, "sparse"),
        ("scale sparse", lambda t: scale_features(_sparse()), TypeError, "sparse"),
        # random_state: one rule everywhere
        ("KMeans seed 2**40", lambda t: KMeans(2, random_state=2**40).fit(GOOD), ValueError,
         r"random_state must be an int seed between 0 and 2\*\*32 - 1"),
        ("KMeans seed -1", lambda t: KMeans(2, random_state=-1).fit(GOOD), ValueError, "got -1"),
        ("KMeans seed float", lambda t: KMeans(2, random_state=1.5).fit(GOOD), TypeError, "random_state"),
        ("KMeans seed string", lambda t: KMeans(2, random_state="0").fit(GOOD), TypeError, "random_state"),
        ("KMeans seed True", lambda t: KMeans(2, random_state=True).fit(GOOD), TypeError, "random_state"),
        ("DeepClusterer seed 2**40", lambda t: DeepClusterer(2, method="kmeans", random_state=2**40)
         .fit(GOOD), ValueError, "2\\*\\*32 - 1"),
        ("DeepClusterer seed float", lambda t: DeepClusterer(2, method="kmeans", random_state=0.5)
         .fit(GOOD), TypeError, "random_state"),
        ("load_dataset seed 2**40", lambda t: load_dataset("blobs", random_state=2**40), ValueError,
         "random_state"),
        ("sweep_k seed -5", lambda t: selection.sweep_k(GOOD, range(2, 4), random_state=-5), ValueError,
         "random_state"),
        ("kmeans_plusplus seed 2**33", lambda t: kmeans_plusplus(GOOD, 2, random_state=2**33), ValueError,
         "random_state"),
        # every public parameter at the door
        ("callbacks a string", lambda t: DeepClusterer(3, method="kmeans", callbacks="x").fit(GOOD),
         TypeError, "callbacks must be a keras.callbacks.Callback"),
        ("callbacks of numbers", lambda t: DeepClusterer(3, method="kmeans", callbacks=[3]).fit(GOOD),
         TypeError, "callbacks"),
        ("image_shape a string", lambda t: DeepClusterer(3, method="ae-kmeans", image_shape="8x8").fit(GOOD),
         TypeError, r"image_shape must be \(height, width\)"),
        ("image_shape of the wrong size", lambda t: DeepClusterer(3, method="ae-kmeans", image_shape=(2, 2))
         .fit(GOOD), ValueError, "4 pixels, but X has 3 features"),
        ("hidden a string", lambda t: DeepClusterer(3, method="ae-kmeans", hidden="64").fit(GOOD), TypeError,
         "hidden"),
        ("hidden zero width", lambda t: DeepClusterer(3, method="ae-kmeans", hidden=(0,)).fit(GOOD),
         ValueError, "hidden"),
        ("n_neighbors 1", lambda t: DeepClusterer(3, n_neighbors=1).fit(GOOD), ValueError, "n_neighbors"),
        ("gamma negative", lambda t: DeepClusterer(3, method="idec", gamma=-1).fit(GOOD), ValueError, "gamma"),
        ("tol above 1", lambda t: DeepClusterer(3, method="dec", tol=2).fit(GOOD), ValueError, "tol"),
        ("augment a word", lambda t: DeepClusterer(3, augment="yes").fit(GOOD), ValueError, "augment"),
        ("kind unknown", lambda t: DeepClusterer(3, kind="rnn").fit(GOOD), ValueError, "kind"),
        ("embed unknown", lambda t: DeepClusterer(3, embed="pca").fit(GOOD), ValueError, "embed"),
        ("distribution unknown", lambda t: DeepClusterer(3, distribution="tpu").fit(GOOD), ValueError,
         "distribution"),
        ("batch_size zero", lambda t: DeepClusterer(3, method="ae-kmeans", batch_size=0).fit(GOOD),
         ValueError, "batch_size"),
        ("KMeans batch_size zero", lambda t: KMeans(2, batch_size=0).fit(GOOD), ValueError, "batch_size"),
        ("KMeans keep_history 1", lambda t: KMeans(2, keep_history=1).fit(GOOD), TypeError, "keep_history"),
        ("KMeans n_init zero", lambda t: KMeans(2, n_init=0).fit(GOOD), ValueError, "n_init"),
        ("KMeans init with NaN", lambda t: KMeans(2, init=np.full((2, 3), np.nan)).fit(GOOD), ValueError,
         "init contains 6 NaN"),
        ("update_centers labels out of range", lambda t: update_centers(GOOD, np.arange(20), 2), ValueError,
         r"labels must lie in \[0, 1\]"),
        ("metrics fractional labels", lambda t: metrics.external_scores([0.5, 1, 0], [0, 1, 0]), ValueError,
         "non-integer floats such as 0.5"),
        ("impute unknown strategy", lambda t: impute_missing(GOOD, "mode"), ValueError, "strategy"),
        ("impute an empty column", lambda t: impute_missing(np.full((5, 2), np.nan)), ValueError,
         "no values at all"),
        ("sweep_k k_values a number", lambda t: selection.sweep_k(GOOD, 5), TypeError, "k_values"),
        ("sweep_k k_values empty", lambda t: selection.sweep_k(GOOD, []), ValueError, "k_values is empty"),
        # widgets: settings and images
        ("stepper interval negative", lambda t: KMeansStepper(interval=-5), ValueError, "interval must be >= 1"),
        ("stepper interval a word", lambda t: KMeansStepper(interval="fast"), TypeError, "interval"),
        ("stepper given an array", lambda t: KMeansStepper(GOOD), TypeError, "dataset must be one of"),
        ("stepper k too large", lambda t: KMeansStepper(n_clusters=99), ValueError, "n_clusters"),
        ("ClusterLab unknown preset", lambda t: ClusterLab(preset="bogus"), ValueError,
         "preset must be one of"),
        ("ClusterLab unknown method", lambda t: ClusterLab(method="bogus"), ValueError, "method must be one of"),
        ("ClusterLab unknown dataset", lambda t: ClusterLab("no_such_set"), ValueError,
         "Unknown dataset 'no_such_set'"),
        ("explorer image with NaN", lambda t: EmbeddingExplorer(GOOD[:, :2], np.zeros(20, int),
         images=_one_nan(np.ones((20, 4))), image_shape=(2, 2)), ValueError, "images contains 1 NaN"),
        ("explorer images of text", lambda t: EmbeddingExplorer(GOOD[:, :2], np.zeros(20, int),
         images=[["a"] * 4] * 20, image_shape=(2, 2)), TypeError, "images must be an array of numbers"),
        ("explorer images of the wrong shape", lambda t: EmbeddingExplorer(GOOD[:, :2], np.zeros(20, int),
         images=np.ones((20, 5)), image_shape=(2, 2)), ValueError, "images must be"),
        ("explorer images of another length", lambda t: EmbeddingExplorer(GOOD[:, :2], np.zeros(20, int),
         images=np.ones((10, 4)), image_shape=(2, 2)), ValueError, "10 rows but the embedding has 20"),
        ("explorer embedding with NaN", lambda t: EmbeddingExplorer(np.full((20, 2), np.nan),
         np.zeros(20, int)), ValueError, "embedding contains 40 NaN"),
        # saved models
        ("save onto a file", lambda t: DeepClusterer(2, method="kmeans").fit(GOOD).save(
            _write(t, "f.txt", "mine")), ValueError, "is a file"),
        ("load a folder without a manifest", lambda t: DeepClusterer.load(_folder(t, "config.json")),
         FileNotFoundError, "no manifest"),
        ("load a damaged manifest", lambda t: DeepClusterer.load(_folder(t, "manifest.json", "{")),
         ValueError, "manifest.json is not valid JSON"),
    ],
]


@pytest.mark.parametrize(("case_id", "call", "exc", "pattern"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_a_clear_error(tmp_path, case_id, call, exc, pattern):
    with pytest.raises(exc) as info:
        call(tmp_path)
    message = str(info.value)
    assert message, f"{case_id}: the error has no message"
    assert __import__("re").search(pattern, message, flags=__import__("re").S), (
        f"{case_id}: message {message!r} does not mention {pattern!r}"
    )
    assert "Traceback" not in message


# ---- the CLI: exit code 2 for usage, 1 for failures, and never a Python traceback
CLI_CASES = [
    ("no arguments", [], 2, "COMMAND"),
    ("missing k", ["cluster", "{tmp}/d.csv"], 2, "--n-clusters"),
    ("k not a number", ["cluster", "{tmp}/d.csv", "-k", "three"], 2, "whole number"),
    ("unknown method", ["cluster", "{tmp}/d.csv", "-k", "2", "--method", "magic"], 2, "--method"),
    ("bad seed", ["cluster", "{tmp}/d.csv", "-k", "2", "--seed", "-4"], 2, "seed"),
    ("missing file", ["cluster", "{tmp}/missing.csv", "-k", "2"], 1, "missing.csv"),
    ("non-numeric csv", ["cluster", "{tmp}/text.csv", "-k", "2"], 1, "'b'"),
    ("k larger than rows", ["cluster", "{tmp}/d.csv", "-k", "99", "--method", "kmeans"], 1, "n_clusters"),
    ("out is a folder", ["cluster", "{tmp}/d.csv", "-k", "2", "--out", "{tmp}"], 1, "--out"),
    ("out is the data", ["cluster", "{tmp}/d.csv", "-k", "2", "--out", "{tmp}/d.csv"], 2,
     "same file as the input data"),
    ("out under a file", ["cluster", "{tmp}/d.csv", "-k", "2", "--out", "{tmp}/d.csv/x.txt"], 1,
     "is a file, not a folder"),
    ("out in a missing folder", ["cluster", "{tmp}/d.csv", "-k", "2", "--out", "{tmp}/no/x.txt"], 1,
     "does not exist"),
    ("demo out is a file", ["demo", "--out", "{tmp}/d.csv"], 1, "is a file; the demo writes into a folder"),
    ("labels of fractions", ["cluster", "{tmp}/d.csv", "-k", "2", "--method", "kmeans", "--labels",
                             "{tmp}/fractions.txt"], 1, "non-integer floats such as 0.5"),
    ("labels of the wrong length", ["cluster", "{tmp}/d.csv", "-k", "2", "--method", "kmeans", "--labels",
                                    "{tmp}/short.txt"], 1, "3 entries but there are 12"),
    ("csv with an extra field", ["cluster", "{tmp}/wide.csv", "-k", "2"], 1, "line 3"),
    ("image shape of the wrong size", ["cluster", "{tmp}/d.csv", "-k", "2", "--image-shape", "3x3"], 1,
     "holds 9 values"),
    ("seed too large", ["cluster", "{tmp}/d.csv", "-k", "2", "--seed", str(2**40)], 2, "seed"),
    ("reset unknown", ["reset", "77", "--dir", "{tmp}"], 1, "no notebook called"),
]


@pytest.mark.parametrize(("case_id", "args", "code", "pattern"), CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_bad_input(tmp_path, case_id, args, code, pattern):
    (tmp_path / "d.csv").write_text("a,b\n" + "".join(f"{i},{i % 3}\n" for i in range(12)))
    (tmp_path / "text.csv").write_text("a,b\n1,x\n2,y\n")
    (tmp_path / "wide.csv").write_text("a,b\n1,2\n3,4,5\n")
    (tmp_path / "fractions.txt").write_text("0.5\n" * 12)
    (tmp_path / "short.txt").write_text("0\n1\n0\n")
    argv = [a.format(tmp=tmp_path) for a in args]
    result = subprocess.run([sys.executable, "-m", "deepclust_lab.cli", *argv], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == code, result.stderr
    assert pattern in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_dependencies_get_one_line_on_what_to_install(tmp_path):
    (tmp_path / "d.csv").write_text("a,b\n" + "".join(f"{i},{i % 3}\n" for i in range(12)))
    for module, command, hint in [("jax", "cluster", "pip install 'jax[cpu]'"),
                                  ("jupyterlab", "lab", "deepclust-lab[lab]")]:
        args = [command, str(tmp_path / "d.csv"), "-k", "2"] if command == "cluster" else [command,
                                                                                         str(tmp_path)]
        code = (f"import sys; sys.modules[{module!r}] = None\n"
                "from deepclust_lab.cli import main\n"
                f"sys.exit(main({args!r}))")
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 1
        assert f"the package {module!r} is not installed" in result.stderr and hint in result.stderr
        assert "Traceback" not in result.stderr


def test_odd_csv_dialects_are_read_right(tmp_path):
    expected = np.array([[0.5, 2.0], [1.25, -3.0], [2.0, 4.5]])
    for name, text in [("semicolon.csv", "a;b\n0,5;2\n1,25;-3\n2;4,5\n"),
                       ("tab.csv", "a\tb\n0,5\t2\n1,25\t-3\n2\t4,5\n"),
                       ("comma.csv", "a,b\n0.5,2\n1.25,-3\n2,4.5\n"),
                       ("quoted.csv", 'a,b\n"0.5",2\n1.25,"-3"\n2,4.5\n')]:
        data = load_dataset(_write(tmp_path, name, text), scale=False)
        np.testing.assert_allclose(data.X, expected, err_msg=name)


def test_matrix_is_big_enough():
    assert len(CASES) + len(CLI_CASES) >= 120


@pytest.mark.parametrize("method", ["kmeans", "ae-kmeans", "dec", "idec", "n2d", "manifold"])
def test_scaling_the_data_changes_no_label(method):
    """Every method divides X by a power of two first, so units (metres or microns) do not
    matter: labels on X, X * 1e-6 and X * 1e6 agree (exactly so for a power of two, which
    the K-means tests below check on 2**-900)."""
    from sklearn.datasets import make_blobs
    from sklearn.metrics import adjusted_rand_score

    X, _ = make_blobs(200, 10, centers=3, random_state=0)
    options = {"method": method, "preset": "fast", "random_state": 0, "epochs": 3}

    def labels(factor: float) -> np.ndarray:
        return DeepClusterer(3, **options).fit_predict(X * factor)

    base = labels(1.0)
    for factor in (1e-6, 1e6):
        assert adjusted_rand_score(base, labels(factor)) >= 0.99, factor


def test_the_input_scale_is_a_power_of_two_and_exact():
    X = np.random.default_rng(0).normal(size=(60, 3)) * 12
    base = DeepClusterer(3, method="kmeans", random_state=0).fit(X)
    tiny = DeepClusterer(3, method="kmeans", random_state=0).fit(np.ldexp(X, -900))
    assert tiny.input_scale_ == base.input_scale_ * 2.0**-900
    np.testing.assert_array_equal(tiny.labels_, base.labels_)


def test_kmeans_on_tiny_or_huge_values_is_kmeans_on_the_originals():
    X = np.random.default_rng(1).normal(size=(200, 4))
    base = KMeans(4, random_state=0).fit(X)
    for factor in (1e-300, 1e150):
        scaled = KMeans(4, random_state=0).fit(X * factor)
        np.testing.assert_array_equal(scaled.labels_, base.labels_)
        np.testing.assert_allclose(scaled.cluster_centers_, base.cluster_centers_ * factor,
                                   rtol=1e-12)
        assert scaled.n_iter_ == base.n_iter_
    assert KMeans(4, random_state=0).fit(X * 1e150).inertia_ == pytest.approx(base.inertia_ * 1e300)
    picked = kmeans_plusplus(X * 1e-300, 4, random_state=0)
    np.testing.assert_array_equal(picked, kmeans_plusplus(X, 4, random_state=0) * 1e-300)


def test_init_and_reset_never_write_through_planted_symlinks(tmp_path):
    """Symlinks planted at every name init / reset create lead out of the workspace: nothing
    outside changes, and the workspace holds real files afterwards."""
    from deepclust_lab.workspace import init_notebooks, pristine_notebooks, reset_notebook

    outside, work = tmp_path / "outside", tmp_path / "work"
    outside.mkdir()
    work.mkdir()
    for source in pristine_notebooks():
        victim = outside / source.name
        victim.write_text("precious")
        (work / source.name).symlink_to(victim)
    (work / "dangling.ipynb").symlink_to(outside / "never-created")
    before = {p.name: p.read_bytes() for p in outside.iterdir()}
    copied, skipped = init_notebooks(work)
    assert copied == [] and len(skipped) == len(pristine_notebooks())
    for source in pristine_notebooks():
        dest, backup = reset_notebook(source.name, work)
        assert dest.is_file() and not dest.is_symlink()
        assert dest.read_bytes() == source.read_bytes()
        assert backup is not None and backup.parent == work and backup.read_text() == "precious"
    assert {p.name: p.read_bytes() for p in outside.iterdir()} == before

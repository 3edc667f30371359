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

from deepclust_lab import metrics
from deepclust_lab.data import load_dataset
from deepclust_lab.kmeans import KMeans
from deepclust_lab.pipeline import DeepClusterer

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
    ("deep beyond float32", lambda t: DeepClusterer(3, method="kmeans").fit(GOOD * 1e200), ValueError,
     "beyond float32's range"),
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
    ("deep load foreign json", lambda t: DeepClusterer.load(_write(t, "config.json", '{"a": 1}').parent),
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
    ("reset unknown", ["reset", "77", "--dir", "{tmp}"], 1, "no notebook called"),
]


@pytest.mark.parametrize(("case_id", "args", "code", "pattern"), CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_bad_input(tmp_path, case_id, args, code, pattern):
    (tmp_path / "d.csv").write_text("a,b\n" + "".join(f"{i},{i % 3}\n" for i in range(12)))
    (tmp_path / "text.csv").write_text("a,b\n1,x\n2,y\n")
    argv = [a.format(tmp=tmp_path) for a in args]
    result = subprocess.run([sys.executable, "-m", "deepclust_lab.cli", *argv], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == code, result.stderr
    assert pattern in result.stderr
    assert "Traceback" not in result.stderr


def test_matrix_is_big_enough():
    assert len(CASES) + len(CLI_CASES) >= 40

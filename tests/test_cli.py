"""The deepclust-lab command: init / reset never lose work, safe output, options, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from deepclust_lab import cli, workspace

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deepclust_lab.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


# --------------------------------------------------------------------------- notebooks travel
def test_notebooks_ship_with_the_package():
    shipped = sorted(p.name for p in workspace.notebook_dir().glob("[0-9][0-9]_*.ipynb"))
    in_repo = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert shipped == in_repo
    assert len(shipped) >= 3


def test_init_copies_and_never_overwrites(tmp_path, capsys):
    target = tmp_path / "course"
    assert cli.main(["init", str(target)]) == 0
    names = sorted(p.name for p in target.glob("*.ipynb"))
    assert names == sorted(p.name for p in workspace.notebook_dir().glob("[0-9][0-9]_*.ipynb"))

    mine = target / names[0]
    mine.write_text("my own work")
    (target / names[1]).unlink()
    assert cli.main(["init", str(target)]) == 0
    err = capsys.readouterr().err
    assert mine.read_text() == "my own work"
    assert f"skipped  {mine}" in err
    assert (target / names[1]).exists(), "a missing notebook is copied again"


def test_init_into_a_file_is_a_clear_failure(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert cli.main(["init", str(blocker)]) == 1
    assert "not a folder" in capsys.readouterr().err


def test_reset_restores_pristine_and_keeps_a_backup(tmp_path):
    workspace.init_notebooks(tmp_path)
    first = sorted(tmp_path.glob("*.ipynb"))[0]
    pristine = (workspace.notebook_dir() / first.name).read_bytes()
    first.write_text("broken by a student")

    number = first.name[:2]
    assert cli.main(["reset", number, "--dir", str(tmp_path)]) == 0
    assert first.read_bytes() == pristine
    backups = list(tmp_path.glob(f"{first.stem}.backup-*.ipynb"))
    assert len(backups) == 1 and backups[0].read_text() == "broken by a student"

    # a second reset in the same second must not overwrite the first backup
    first.write_text("broken again")
    workspace.reset_notebook(first.name, tmp_path)
    workspace.reset_notebook(first.stem, tmp_path)
    contents = sorted(p.read_text() for p in tmp_path.glob(f"{first.stem}.backup-*.ipynb"))
    assert "broken by a student" in contents and "broken again" in contents


def test_reset_unknown_notebook_lists_the_real_ones(tmp_path, capsys):
    assert cli.main(["reset", "99_nope", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "no notebook called '99_nope'" in err and ".ipynb" in err


# --------------------------------------------------------------------------- usage & exit codes
def test_usage_errors_exit_2():
    result = run_cli("cluster", "x.csv")  # --n-clusters missing
    assert result.returncode == 2
    assert "--n-clusters" in result.stderr
    result = run_cli("cluster", "x.csv", "--n-clusters", "0")
    assert result.returncode == 2 and "expected a number >= 1" in result.stderr
    result = run_cli("nonsense")
    assert result.returncode == 2


def test_lab_command_keeps_token_auth(monkeypatch, tmp_path):
    seen = {}

    def fake_call(command):
        seen["command"] = command
        return 0

    monkeypatch.setattr(cli.subprocess, "call", fake_call)
    assert cli.main(["lab", str(tmp_path / "nb")]) == 0
    command = seen["command"]
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    options = [part.lower() for part in command if part.startswith("--")]
    assert not any(".token" in part or "password" in part for part in options), "keep the token"
    assert ("--allow-root" in command) == (os.geteuid() == 0)
    assert any((tmp_path / "nb").glob("[0-9][0-9]_*.ipynb")), "lab initialises the folder first"


def test_version_and_python_dash_m_package():
    from deepclust_lab import __version__

    for command in (["-m", "deepclust_lab"], ["-m", "deepclust_lab.cli"]):
        result = subprocess.run([sys.executable, *command, "--version"], capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"deepclust-lab {__version__}"
    result = subprocess.run([sys.executable, "-m", "deepclust_lab", "cluster", "x.csv"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "--n-clusters" in result.stderr


def test_cli_and_demo_do_not_import_each_other():
    code = ("import sys, deepclust_lab.{0}; "
            "print(any(m in sys.modules for m in ('deepclust_lab.{1}',)))")
    for first, other in (("cli", "demo"), ("demo", "cli")):
        result = subprocess.run([sys.executable, "-c", code.format(first, other)],
                                capture_output=True, text=True, timeout=120, check=True)
        assert result.stdout.strip() == "False", f"importing {first} imports {other}"


@pytest.mark.parametrize(("text", "shape"), [("28x28", (28, 28)), ("28X28x1", (28, 28, 1)),
                                             ("8x8", (8, 8))])
def test_image_shape_is_parsed_into_ints(text, shape):
    assert cli._image_shape(text) == shape


@pytest.mark.parametrize("text", ["28", "28x", "x28", "28x28x1x1", "0x28", "28x-1", "axb", "28*28"])
def test_bad_image_shape_is_a_usage_error(text, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["cluster", "d.csv", "-k", "2", "--image-shape", text])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "--image-shape" in err and "HxW" in err and "28x28" in err and repr(text) in err


def test_read_labels_file(tmp_path):
    path = tmp_path / "y.txt"
    path.write_text("a\nb\na\n")
    assert cli._read_labels_file(path, 3).tolist() == ["a", "b", "a"]
    np.save(tmp_path / "y.npy", np.array([0, 1]))
    with pytest.raises(ValueError, match="2 entries but there are 3 samples"):
        cli._read_labels_file(tmp_path / "y.npy", 3)


# --------------------------------------------------------------------------- cluster your own data
@pytest.fixture(scope="module")
def blob_files(tmp_path_factory):
    from sklearn.datasets import make_blobs

    folder = tmp_path_factory.mktemp("data")
    X, y = make_blobs(150, centers=3, n_features=4, cluster_std=0.7, random_state=0)
    rows = "".join(",".join(f"{v:.5f}" for v in row) + f",{label}\n" for row, label in zip(X, y, strict=True))
    (folder / "d.csv").write_text("a,b,c,d,label\n" + rows)
    np.save(folder / "d.npy", X)
    np.savez(folder / "d.npz", X=X, y=y)
    np.savetxt(folder / "y.txt", y, fmt="%d")
    return folder, y


def _labels(path: Path) -> np.ndarray:
    return np.loadtxt(path, dtype=int, ndmin=1)


def test_cluster_csv_with_label_column(blob_files, tmp_path):
    folder, _ = blob_files
    out = tmp_path / "labels.csv"
    result = run_cli("cluster", str(folder / "d.csv"), "--n-clusters", "3", "--method", "kmeans",
                     "--label-column", "label", "--out", str(out))
    assert result.returncode == 0, result.stderr
    labels = _labels(out)
    assert labels.shape == (150,)
    assert "ACC 1.000" in result.stdout and "NMI 1.000" in result.stdout
    assert "150 samples x 4 features" in result.stderr, "the label column is not a feature"


def test_cluster_npz_scores_with_its_own_y_and_labels_to_stdout(blob_files):
    folder, _ = blob_files
    result = run_cli("cluster", str(folder / "d.npz"), "-k", "3", "--method", "kmeans")
    assert result.returncode == 0, result.stderr
    labels = np.array(result.stdout.split(), dtype=int)
    assert labels.shape == (150,)
    assert "ARI 1.000" in result.stderr


def test_cluster_npy_with_labels_file_and_seed_reproducible(blob_files, tmp_path):
    folder, _ = blob_files
    outs = []
    for name in ("a.csv", "b.csv"):
        result = run_cli("cluster", str(folder / "d.npy"), "-k", "3", "--method", "kmeans",
                         "--labels", str(folder / "y.txt"), "--seed", "5", "--out", str(tmp_path / name))
        assert result.returncode == 0, result.stderr
        assert "ACC 1.000" in result.stdout
        outs.append(_labels(tmp_path / name))
    assert np.array_equal(*outs)


def test_cluster_pixels_0_255_need_no_rescaling(tmp_path):
    from sklearn.datasets import load_digits

    digits = load_digits()
    pixels = np.round(digits.data[:400] * 255 / 16).astype(np.uint8)
    np.savez(tmp_path / "px.npz", X=pixels.reshape(-1, 8, 8), y=digits.target[:400])
    np.savez(tmp_path / "unit.npz", X=pixels / 255.0, y=digits.target[:400])
    outs = {}
    for name in ("px", "unit"):
        result = run_cli("cluster", str(tmp_path / f"{name}.npz"), "-k", "10", "--method", "kmeans",
                         "--out", str(tmp_path / f"{name}.txt"))
        assert result.returncode == 0, result.stderr
        outs[name] = _labels(tmp_path / f"{name}.txt")
    assert np.array_equal(outs["px"], outs["unit"])


def test_failed_run_leaves_existing_output_untouched(tmp_path):
    out = tmp_path / "labels.csv"
    out.write_text("precious\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3,oops\n")
    result = run_cli("cluster", str(bad), "-k", "2", "--out", str(out))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert out.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "labels.csv"]


def test_cluster_interrupted_writes_nothing(blob_files, tmp_path, monkeypatch, capsys):
    from deepclust_lab import pipeline

    def interrupted(self, X, y=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline.DeepClusterer, "fit_predict", interrupted)
    out = tmp_path / "labels.csv"
    code = cli.main(["cluster", str(blob_files[0] / "d.csv"), "-k", "3", "--label-column", "label",
                     "--out", str(out)])
    assert code == 130
    assert "interrupted" in capsys.readouterr().err
    assert not out.exists()


def _fake_fit(monkeypatch, seen):
    """Replace the fit by one that records the model and returns labels at once."""
    from deepclust_lab import pipeline

    def fit_predict(self, X, y=None):
        seen["model"] = self
        self.labels_ = np.arange(len(X)) % self.n_clusters
        self.recipe_ = {"summary": "method fake", "image_shape_reason": "not looked at"}
        return self.labels_

    monkeypatch.setattr(pipeline.DeepClusterer, "fit_predict", fit_predict)


def test_image_shape_reaches_the_model(tmp_path, monkeypatch, capsys):
    seen = {}
    _fake_fit(monkeypatch, seen)
    np.save(tmp_path / "img.npy", np.zeros((6, 16)))
    out = tmp_path / "labels.csv"
    assert cli.main(["cluster", str(tmp_path / "img.npy"), "-k", "2", "--image-shape", "4x4",
                     "--out", str(out)]) == 0
    assert seen["model"].image_shape == (4, 4)
    assert cli.main(["cluster", str(tmp_path / "img.npy"), "-k", "2", "--out", str(out)]) == 0
    assert seen["model"].image_shape is None, "without the option the model gets no shape"

    code = cli.main(["cluster", str(tmp_path / "img.npy"), "-k", "2", "--image-shape", "28x28"])
    assert code == 1
    assert "--image-shape 28x28 holds 784 values" in capsys.readouterr().err


def _refused(argv, capsys) -> str:
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    return capsys.readouterr().err


def test_out_may_not_be_the_input_or_the_labels_file(blob_files, tmp_path, monkeypatch, capsys):
    _fake_fit(monkeypatch, {})
    folder, _ = blob_files
    data = tmp_path / "d.csv"
    data.write_bytes((folder / "d.csv").read_bytes())
    labels = tmp_path / "y.txt"
    labels.write_bytes((folder / "y.txt").read_bytes())
    (tmp_path / "sub").mkdir()
    link = tmp_path / "link.csv"
    link.symlink_to(data)
    hard = tmp_path / "hard.csv"
    os.link(data, hard)
    before = data.read_bytes()

    for out in (data, tmp_path / "sub" / ".." / "d.csv", link, hard):
        err = _refused(["cluster", str(data), "-k", "3", "--label-column", "label",
                        "--out", str(out)], capsys)
        assert "--out" in err and "same file as the input data" in err
    err = _refused(["cluster", str(link), "-k", "3", "--label-column", "label",
                    "--out", str(data)], capsys)  # the input given through a symlink
    assert "same file as the input data" in err
    err = _refused(["cluster", str(folder / "d.npy"), "-k", "3", "--labels", str(labels),
                    "--out", str(labels)], capsys)
    assert "same file as the --labels file" in err
    assert data.read_bytes() == before and labels.read_bytes() == (folder / "y.txt").read_bytes()
    assert link.is_symlink()

    out = tmp_path / "labels.csv"  # a different file is fine
    assert cli.main(["cluster", str(data), "-k", "3", "--label-column", "label",
                     "--out", str(out)]) == 0
    assert len(out.read_text().split()) == 150


def test_demo_quick_prints_tables_and_writes_figures(tmp_path):
    result = run_cli("demo", "--quick", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "K-means from scratch vs scikit-learn" in result.stdout
    lines = [line for line in result.stdout.splitlines() if line.startswith("| digits")]
    assert lines and "True" in lines[0], "the kit's K-means matches scikit-learn on digits"
    for method in ("kmeans", "ae-kmeans"):
        assert f"| {method} |" in result.stdout
    for name in ("results.md", "kmeans_steps.png", "embedding.png", "confusion_matrix.png",
                 "reconstructions.png"):
        assert (tmp_path / name).stat().st_size > 500, name


def test_notebook_figures_saves_every_figure_a_notebook_shows(tmp_path, monkeypatch):
    import nbformat

    from deepclust_lab import demo

    shipped = tmp_path / "shipped"
    shipped.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 00 · tiny"),
        nbformat.v4.new_code_cell("%matplotlib inline\nimport matplotlib.pyplot as plt"),
        nbformat.v4.new_code_cell("plt.plot([0, 1], [1, 0])\nplt.title('one')\nplt.show()"),
        nbformat.v4.new_code_cell("print('no figure here')"),
        nbformat.v4.new_code_cell("fig, ax = plt.subplots()\nax.bar([1, 2], [3, 4])\nplt.show()"),
    ]
    nbformat.write(nb, shipped / "00_tiny.ipynb")
    monkeypatch.setattr(workspace, "notebook_dir", lambda: shipped)

    written = demo.notebook_figures(tmp_path / "png")
    assert [p.name for p in written] == ["00_tiny-fig01.png", "00_tiny-fig02.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in written)
    svg = demo.notebook_figures(tmp_path / "svg", fmt="svg")
    assert len(svg) == 2 and "<svg" in svg[0].read_text()
    with pytest.raises(ValueError, match="fmt"):
        demo.notebook_figures(tmp_path / "x", fmt="jpg")


@pytest.mark.slow
def test_cli_default_is_deepclusterer_default_and_says_what_it_chose(tmp_path, digits):
    from deepclust_lab.pipeline import DeepClusterer

    X = digits[0][:400]
    np.save(tmp_path / "d.npy", X)
    result = run_cli("cluster", str(tmp_path / "d.npy"), "-k", "10", "--seed", "0", "--out",
                     str(tmp_path / "labels.txt"))
    assert result.returncode == 0, result.stderr
    assert "chose: method manifold; front-end raw" in result.stderr
    assert "images: 8x8 images (neighbouring pixels correlate" in result.stderr
    labels = np.loadtxt(tmp_path / "labels.txt", dtype=int)
    expected = DeepClusterer(10, random_state=0).fit_predict(X.astype(np.float32))
    np.testing.assert_array_equal(labels, expected)


def test_cli_conv_or_augmentation_on_non_images_names_the_feature_count(tmp_path):
    np.save(tmp_path / "t.npy", np.random.default_rng(0).random((40, 50)))
    for flag in (["--kind", "conv"], ["--augment", "on"]):
        result = run_cli("cluster", str(tmp_path / "t.npy"), "-k", "3", *flag)
        assert result.returncode == 1, result.stderr
        assert "50 features is not a square number of pixels" in result.stderr
        assert "Traceback" not in result.stderr

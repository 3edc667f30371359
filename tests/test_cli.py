"""The deepclust-lab command: init / reset never lose work, atomic output, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from deepclust_lab import cli

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deepclust_lab.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


# --------------------------------------------------------------------------- notebooks travel
def test_notebooks_ship_with_the_package():
    shipped = sorted(p.name for p in cli.notebook_dir().glob("[0-9][0-9]_*.ipynb"))
    in_repo = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert shipped == in_repo
    assert len(shipped) >= 3


def test_init_copies_and_never_overwrites(tmp_path, capsys):
    target = tmp_path / "course"
    assert cli.main(["init", str(target)]) == 0
    names = sorted(p.name for p in target.glob("*.ipynb"))
    assert names == sorted(p.name for p in cli.notebook_dir().glob("[0-9][0-9]_*.ipynb"))

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
    cli.init_notebooks(tmp_path)
    first = sorted(tmp_path.glob("*.ipynb"))[0]
    pristine = (cli.notebook_dir() / first.name).read_bytes()
    first.write_text("broken by a student")

    number = first.name[:2]
    assert cli.main(["reset", number, "--dir", str(tmp_path)]) == 0
    assert first.read_bytes() == pristine
    backups = list(tmp_path.glob(f"{first.stem}.backup-*.ipynb"))
    assert len(backups) == 1 and backups[0].read_text() == "broken by a student"

    # a second reset in the same second must not overwrite the first backup
    first.write_text("broken again")
    cli.reset_notebook(first.name, tmp_path)
    cli.reset_notebook(first.stem, tmp_path)
    contents = sorted(p.read_text() for p in tmp_path.glob(f"{first.stem}.backup-*.ipynb"))
    assert "broken by a student" in contents and "broken again" in contents


def test_reset_unknown_notebook_lists_the_real_ones(tmp_path, capsys):
    assert cli.main(["reset", "99_nope", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "no notebook called '99_nope'" in err and ".ipynb" in err


# --------------------------------------------------------------------------- atomic writes
def test_write_atomic_replaces_whole_file(tmp_path):
    path = tmp_path / "labels.csv"
    cli.write_atomic(path, "1\n2\n")
    assert path.read_text() == "1\n2\n"
    cli.write_atomic(path, b"3\n")
    assert path.read_bytes() == b"3\n"
    assert list(tmp_path.iterdir()) == [path], "no temporary file is left behind"


def test_write_atomic_failure_leaves_existing_file_untouched(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("old\n")

    class Boom:  # not str/bytes: handle.write raises half-way through the protocol
        pass

    with pytest.raises(TypeError):
        cli.write_atomic(path, Boom())  # type: ignore[arg-type]
    assert path.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [path]


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
    assert not any("token" in part.lower() for part in command), "never disable the token"
    assert ("--allow-root" in command) == (os.geteuid() == 0)
    assert any((tmp_path / "nb").glob("[0-9][0-9]_*.ipynb")), "lab initialises the folder first"


def test_read_labels_file(tmp_path):
    path = tmp_path / "y.txt"
    path.write_text("a\nb\na\n")
    assert cli._read_labels_file(path, 3).tolist() == ["a", "b", "a"]
    np.save(tmp_path / "y.npy", np.array([0, 1]))
    with pytest.raises(ValueError, match="2 entries but there are 3 samples"):
        cli._read_labels_file(tmp_path / "y.npy", 3)

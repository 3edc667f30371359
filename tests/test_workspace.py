"""deepclust_lab.workspace: the shipped notebooks, safe writes and backups that lose nothing."""

from __future__ import annotations

import os
import stat

import pytest

from deepclust_lab import workspace


def _mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


# --------------------------------------------------------------------------- write_atomic
def test_write_atomic_replaces_whole_file(tmp_path):
    path = tmp_path / "labels.csv"
    workspace.write_atomic(path, "1\n2\n")
    assert path.read_text() == "1\n2\n"
    workspace.write_atomic(path, b"3\n")
    assert path.read_bytes() == b"3\n"
    assert list(tmp_path.iterdir()) == [path], "no temporary file is left behind"


def test_write_atomic_failure_leaves_existing_file_untouched(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("old\n")

    class Boom:  # not str/bytes: handle.write raises half-way through the protocol
        pass

    with pytest.raises(TypeError):
        workspace.write_atomic(path, Boom())  # type: ignore[arg-type]
    assert path.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [path]


def test_write_atomic_new_file_gets_the_umask_mode(tmp_path):
    old = os.umask(0o027)
    try:
        workspace.write_atomic(tmp_path / "new.csv", "1\n")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "new.csv") == 0o640, "0o666 less the umask, not mkstemp's 0o600"


def test_write_atomic_keeps_the_mode_of_an_existing_file(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("old\n")
    path.chmod(0o664)
    workspace.write_atomic(path, "new\n")
    assert path.read_text() == "new\n" and _mode(path) == 0o664


def test_write_atomic_does_not_follow_a_symlink_out_of_the_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "precious.txt"
    victim.write_text("precious\n")
    victim.chmod(0o600)
    folder = tmp_path / "work"
    folder.mkdir()
    link = folder / "labels.csv"
    link.symlink_to(victim)

    old = os.umask(0o022)
    try:
        workspace.write_atomic(link, "1\n")
    finally:
        os.umask(old)
    assert victim.read_text() == "precious\n"
    assert not link.is_symlink() and link.read_text() == "1\n"
    assert _mode(link) == 0o644, "a new file's mode, not the link target's"
    assert sorted(p.name for p in folder.iterdir()) == ["labels.csv"]


# --------------------------------------------------------------------------- init and reset
def test_pristine_notebooks_are_the_shipped_ones():
    names = [p.name for p in workspace.pristine_notebooks()]
    assert names == sorted(names) and names[0].startswith("00_") and len(names) >= 3


def test_init_refuses_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="not a folder"):
        workspace.init_notebooks(tmp_path / "file")


def test_reset_backup_names_are_not_predictable(tmp_path):
    names = {workspace._backup_path(tmp_path, "02_kmeans").name for _ in range(20)}
    assert len(names) == 20
    assert all(n.startswith("02_kmeans.backup-") and n.endswith(".ipynb") for n in names)


def test_reset_never_writes_through_a_symlink_at_the_backup_name(tmp_path, monkeypatch):
    workspace.init_notebooks(tmp_path)
    first = workspace.pristine_notebooks()[0]
    mine = tmp_path / first.name
    mine.write_text("my work")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    planted = tmp_path / f"{first.stem}.backup-planted.ipynb"
    planted.symlink_to(victim)
    fresh = tmp_path / f"{first.stem}.backup-fresh.ipynb"
    names = iter([planted, fresh])
    monkeypatch.setattr(workspace, "_backup_path", lambda folder, stem: next(names))

    dest, backup = workspace.reset_notebook(first.stem, tmp_path)
    assert backup == fresh and not fresh.is_symlink() and fresh.read_text() == "my work"
    assert victim.read_text() == "precious" and planted.is_symlink()
    assert dest.read_bytes() == first.read_bytes()


def test_reset_without_a_folder_or_with_an_unknown_name(tmp_path):
    with pytest.raises(NotADirectoryError, match="deepclust-lab init"):
        workspace.reset_notebook("00", tmp_path / "missing")
    with pytest.raises(ValueError, match="no notebook called '99'"):
        workspace.reset_notebook("99", tmp_path)

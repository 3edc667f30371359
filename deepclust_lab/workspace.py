"""The student's notebook folder: the pristine copies shipped in the package, and safe writes
(shared by the CLI, the demo and grading, so that none imports another)."""

from __future__ import annotations

import os
import secrets
import stat
from datetime import datetime
from importlib import resources
from pathlib import Path

__all__ = ["find_notebook", "init_notebooks", "notebook_dir", "pristine_notebooks", "reset_notebook",
           "write_atomic"]


def notebook_dir() -> Path:
    return Path(str(resources.files("deepclust_lab") / "notebooks"))


def pristine_notebooks() -> list[Path]:
    """The shipped notebooks (``NN_title.ipynb``), in course order."""
    return sorted(notebook_dir().glob("[0-9][0-9]_*.ipynb"))


def _new_file(path: Path) -> int:
    """Create ``path`` (mode 0o666 less the umask), failing if anything, a symlink too, is there."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)


def write_atomic(path: str | os.PathLike, data: str | bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one.

    The data goes to a fresh file beside ``path``, is flushed to disk, and replaces ``path`` in
    one ``os.replace``: an existing file keeps its permissions, a symlink at ``path`` is replaced,
    never followed, and on a failure ``path`` is left as it was.
    """
    path = Path(path)
    try:
        old = os.lstat(path)
    except FileNotFoundError:
        old = None
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = _new_file(tmp)
    try:
        binary = isinstance(data, bytes)
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as handle:
            if old is not None and stat.S_ISREG(old.st_mode) and hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), stat.S_IMODE(old.st_mode))
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def init_notebooks(directory: str | os.PathLike) -> tuple[list[Path], list[Path]]:
    """Copy the pristine notebooks into ``directory``, never over one already there;
    ``(copied, skipped)``."""
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{target} exists and is not a folder")
    target.mkdir(parents=True, exist_ok=True)
    copied, skipped = [], []
    for source in pristine_notebooks():
        dest = target / source.name
        if dest.exists() or dest.is_symlink():
            skipped.append(dest)
            continue
        write_atomic(dest, source.read_bytes())
        copied.append(dest)
    return copied, skipped


def find_notebook(name: str) -> Path:
    """The shipped notebook called ``name``: its file name, its stem or its number (``"02"``)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str such as '02', got {type(name).__name__}")
    stem = Path(name).name
    candidates = pristine_notebooks()
    for source in candidates:
        if stem in (source.name, source.stem) or source.name.startswith(f"{stem}_"):
            return source
    names = ", ".join(s.name for s in candidates)
    raise ValueError(f"no notebook called {name!r}; the kit's notebooks are: {names}")


def _backup_path(folder: Path, stem: str) -> Path:
    """``<stem>.backup-<time>-<random>.ipynb``: readable, and not guessable in advance."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return folder / f"{stem}.backup-{stamp}-{secrets.token_hex(4)}.ipynb"


def _save_backup(folder: Path, stem: str, data: bytes) -> Path:
    """Write ``data`` to a fresh backup file, never into (or through) something already there."""
    for _ in range(100):
        backup = _backup_path(folder, stem)
        try:
            fd = _new_file(backup)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return backup
    raise FileExistsError(f"could not find a free backup name for {stem} in {folder}")


def reset_notebook(name: str, directory: str | os.PathLike = ".") -> tuple[Path, Path | None]:
    """Restore the pristine notebook ``name`` (as for :func:`find_notebook`) in ``directory``,
    first saving the student's version as ``<stem>.backup-<time>-<random>.ipynb`` beside it;
    ``(restored, backup or None)``."""
    source = find_notebook(name)
    folder = Path(directory)
    if not folder.is_dir():
        raise NotADirectoryError(
            f"{folder} is not a folder; run 'deepclust-lab init {folder}' first")
    dest = folder / source.name
    backup = None
    if dest.is_file():
        backup = _save_backup(folder, source.stem, dest.read_bytes())
    write_atomic(dest, source.read_bytes())
    return dest, backup

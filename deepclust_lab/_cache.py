"""On-disk caches of compiled code, so that a second process starts warm.

Every new process that runs UMAP compiles about a hundred of umap-learn's numba functions,
and every new process that trains a network has JAX compile its steps. Both can keep what
they compiled in a per-user folder, ``$XDG_CACHE_HOME/deepclust-lab`` (``~/.cache/...``), or
``DEEPCLUST_LAB_CACHE=/some/folder``; ``DEEPCLUST_LAB_CACHE=0`` turns the caches off.
A user's own ``NUMBA_CACHE_DIR`` or ``JAX_COMPILATION_CACHE_DIR`` is left alone. A folder
that cannot be written turns the caches off with one warning. ``deepclust-lab cache clear``
(:func:`clear`) deletes what the kit keeps there.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from pathlib import Path

SUBFOLDERS = ("numba", "jax")  # what the kit writes in its cache folder, and all it deletes
_umap_cached = False
_off = False  # set when the folder cannot be written


def cache_folder() -> Path | None:
    """The kit's cache folder (not created here), or None when caching is turned off."""
    given = os.environ.get("DEEPCLUST_LAB_CACHE", "")
    if given.strip().lower() in ("0", "off", "false", "no"):
        return None
    if given:
        return Path(given).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "deepclust-lab"


def cannot_write(folder: Path) -> str | None:
    """Why the kit cannot write in ``folder`` (created if missing), or None when it can."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
    except OSError as err:
        return err.strerror or str(err)
    return None


def configure() -> None:
    """Point numba and JAX at the cache folder; they read these settings on first import."""
    global _off
    folder = cache_folder()
    if folder is None:
        return
    why = cannot_write(folder)
    if why is not None:
        _off = True
        warnings.warn(f"deepclust-lab cannot write its cache folder {folder} ({why}), so "
                      "compiled code is not kept between processes; set DEEPCLUST_LAB_CACHE to "
                      "a writable folder, or to 0 to turn the caches off", RuntimeWarning,
                      stacklevel=2)
        return
    os.environ.setdefault("NUMBA_CACHE_DIR", str(folder / "numba"))
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(folder / "jax"))
    # the default keeps only programs that took over a second to compile; a training
    # step of the kit's small networks takes less, and is worth keeping all the same
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.2")


def cache_umap() -> None:
    """Have numba keep umap-learn's compiled functions on disk (it only does so for those
    declared with ``cache=True``, and umap-learn declares one). Once per process."""
    global _umap_cached
    if _umap_cached or _off or cache_folder() is None:
        return
    _umap_cached = True
    import umap.distances
    import umap.layouts
    import umap.sparse
    import umap.spectral
    import umap.umap_
    import umap.utils
    from numba.core.registry import CPUDispatcher

    for module in (umap.umap_, umap.layouts, umap.distances, umap.utils, umap.spectral,
                   umap.sparse):
        for obj in list(vars(module).values()):
            if isinstance(obj, CPUDispatcher):
                try:
                    obj.enable_caching()
                except Exception:  # a function numba cannot cache just compiles as before
                    pass


def clear() -> list[Path]:
    """Delete the compiled code the kit keeps (the :data:`SUBFOLDERS` of :func:`cache_folder`,
    then the folder itself if nothing else is in it) and return what was deleted. Nothing else
    in the folder is touched, and a link is removed as a link, never followed."""
    folder = cache_folder()
    removed = []
    for path in [folder / name for name in SUBFOLDERS] if folder is not None else []:
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
        else:
            continue
        removed.append(path)
    if folder is not None and folder.is_dir() and not folder.is_symlink() \
            and not any(folder.iterdir()):
        folder.rmdir()
        removed.append(folder)
    return removed

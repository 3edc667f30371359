"""The built wheel alone in a new venv, core dependencies only (no ``[lab]``): a new user's install.

The wheel is built from this checkout, a venv is made with ``python -m venv``, and the wheel is
installed into it with its core dependencies at the versions of requirements.lock
(``pip install -c requirements.lock``: reproducible, and served from pip's cache once ``make``
has built .venv from the same lock). It is built once per test session: ``conftest.py`` starts
the build in the background (:func:`start`) as soon as it knows notebooks will run, and gives
nbval this venv's kernel, so that every notebook runs from the installed wheel with no Jupyter
front-end or server importable; :func:`get` waits for the build (or does it, when nothing
started it). :func:`remove` deletes it at the end of the session (it is about 1 GB).

This is the one place the tests reach the network: pip asks the package index about the pinned
versions (the wheels themselves come from pip's cache when it is warm).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KERNEL_NAME = "deepclust-lab-wheel"
# variables of this test process that must not reach the fresh venv: PYTHONPATH would import
# the kit from this checkout instead of the installed wheel, and PYTHONDONTWRITEBYTECODE would
# have every process compile every module it imports again (pip installs with --no-compile)
SCRUBBED = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "KERAS_BACKEND", "JUPYTER_PATH",
            "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
            "PYTHONDONTWRITEBYTECODE")

_base: Path | None = None  # the session's folder, known before the build ends
_build: Future | None = None  # the build; its result is get()'s venv, or its error
_lock = threading.Lock()


def run(command, env, cwd, timeout=600):
    """Run ``command``; fail with its output when it exits non-zero."""
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, (
        f"{' '.join(map(str, command))} exited {result.returncode}\n"
        f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}")
    return result


def _cache_folder(base: Path) -> Path:
    """Where the venv's programs keep compiled code."""
    return base / "cache"


def _environment(base: Path) -> dict:
    """Where the venv's programs run: none of this process's Python, Jupyter or cache settings,
    and a cache folder of its own for compiled code, empty at first, as for a new user."""
    env = {k: v for k, v in os.environ.items()
           if k not in SCRUBBED and not k.startswith(("NUMBA_CACHE", "JAX_"))}
    env.update({
        "JUPYTER_DATA_DIR": str(base / "jupyter-data"),  # no user kernelspec can shadow the venv's
        "JUPYTER_CONFIG_DIR": str(base / "jupyter-config"),
        "JUPYTER_RUNTIME_DIR": str(base / "jupyter-runtime"),
        "IPYTHONDIR": str(base / "ipython"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "DEEPCLUST_LAB_CACHE": str(_cache_folder(base)),
    })
    return env


def _build_venv(base: Path, env: dict) -> dict:
    dist = base / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist),
         str(ROOT)], env, base)
    (wheel,) = dist.glob("deepclust_lab-*.whl")
    prefix = base / "venv"
    run([sys.executable, "-m", "venv", str(prefix)], env, base)
    env["VIRTUAL_ENV"] = str(prefix)
    env["PATH"] = str(prefix / "bin") + os.pathsep + env.get("PATH", "")
    # --no-compile: bytecode only for what is imported, not for every installed module
    run([prefix / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-compile",
         "-c", str(ROOT / "requirements.lock"), str(wheel)], env, base, timeout=900)
    return {"prefix": prefix, "python": prefix / "bin" / "python", "env": env, "base": base}


def start() -> Path:
    """Start building the venv in a background thread (once); its folder."""
    global _base, _build
    with _lock:
        if _base is None:
            _base = Path(tempfile.mkdtemp(prefix="deepclust-lab-wheel-"))
            pool = ThreadPoolExecutor(max_workers=1)
            # the environment is read here, before tests go on to change os.environ
            _build = pool.submit(_build_venv, _base, _environment(_base))
            pool.shutdown(wait=False)  # the build goes on; this call returns at once
    return _base


def get() -> dict:
    """The session's venv, once built: ``{"prefix", "python", "env", "base"}``, where ``env``
    is the environment to run its programs in (see :func:`_environment`)."""
    start()
    return _build.result()  # raises the build's error, with pip's output


def wait() -> None:
    """Wait for a build :func:`start` began, if any (its outcome is :func:`get`'s business)."""
    if _build is not None:
        futures.wait([_build])


def kernel_path() -> Path:
    """A folder for ``JUPYTER_PATH`` whose one kernelspec, :data:`KERNEL_NAME`, starts the
    venv's python (which exists once :func:`get` returns). The kernel gets no ``PYTHONPATH``,
    so it imports the installed wheel, and the venv's own cache folder for compiled code."""
    base = start()
    cache = _cache_folder(base)
    folder = base / "jupyter-path"
    spec = folder / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(base / "venv" / "bin" / "python"), "-m", "ipykernel_launcher", "-f",
                 "{connection_file}"],
        "display_name": "deepclust-lab from the wheel (core install)",
        "language": "python",
        # a kernel inherits nbval's environment, where the kit's import set where numba and
        # JAX keep compiled code: point them at the venv's folder (the kit's layout in it)
        # (an empty PYTHONPATH or PYTHONDONTWRITEBYTECODE counts as unset)
        "env": {"PYTHONPATH": "", "PYTHONDONTWRITEBYTECODE": "", "DEEPCLUST_LAB_CACHE": str(cache),
                "NUMBA_CACHE_DIR": str(cache / "numba"),
                "JAX_COMPILATION_CACHE_DIR": str(cache / "jax")},
    }))
    return folder


def remove() -> None:
    """Delete the venv, if this session built one (after its build ends)."""
    global _base, _build
    with _lock:
        if _base is not None:
            futures.wait([_build])
            shutil.rmtree(_base, ignore_errors=True)
            _base, _build = None, None

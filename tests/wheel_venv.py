"""The built wheel alone in a new venv, core dependencies only (no ``[lab]``): a new user's install.

The wheel is built from this checkout, a venv is made with ``python -m venv``, and the wheel is
installed into it with its core dependencies at the versions of requirements.lock
(``pip install -c requirements.lock``: reproducible, and served from pip's cache once ``make``
has built .venv from the same lock). It is built once per test session, by whichever needs it
first: ``test_wheel_install.py``, or ``conftest.py``, which gives nbval this venv's kernel so
that every notebook runs from the installed wheel with no Jupyter front-end or server
importable. :func:`remove` deletes it at the end of the session (it is about 1 GB).

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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KERNEL_NAME = "deepclust-lab-wheel"
# variables of this test process that must not reach the fresh venv: PYTHONPATH would import
# the kit from this checkout instead of the installed wheel, and PYTHONDONTWRITEBYTECODE would
# have every process compile every module it imports again (pip installs with --no-compile)
SCRUBBED = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "KERAS_BACKEND", "JUPYTER_PATH",
            "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
            "PYTHONDONTWRITEBYTECODE")

_venv: dict | None = None


def run(command, env, cwd, timeout=600):
    """Run ``command``; fail with its output when it exits non-zero."""
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, (
        f"{' '.join(map(str, command))} exited {result.returncode}\n"
        f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}")
    return result


def get() -> dict:
    """The session's venv, built on the first call: ``{"prefix", "python", "env", "base"}``,
    where ``env`` is the environment to run its programs in. The venv keeps compiled code in
    a cache folder of its own (``DEEPCLUST_LAB_CACHE``), empty at first, as for a new user."""
    global _venv
    if _venv is not None:
        return _venv
    base = Path(tempfile.mkdtemp(prefix="deepclust-lab-wheel-"))
    # and not where this process keeps compiled code (the kit's import here set these)
    env = {k: v for k, v in os.environ.items()
           if k not in SCRUBBED and not k.startswith(("NUMBA_CACHE", "JAX_"))}
    env.update({
        "JUPYTER_DATA_DIR": str(base / "jupyter-data"),  # no user kernelspec can shadow the venv's
        "JUPYTER_CONFIG_DIR": str(base / "jupyter-config"),
        "JUPYTER_RUNTIME_DIR": str(base / "jupyter-runtime"),
        "IPYTHONDIR": str(base / "ipython"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "DEEPCLUST_LAB_CACHE": str(base / "cache"),
    })
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
    _venv = {"prefix": prefix, "python": prefix / "bin" / "python", "env": env, "base": base}
    return _venv


def kernel_path() -> Path:
    """A folder for ``JUPYTER_PATH`` whose one kernelspec, :data:`KERNEL_NAME`, starts the
    venv's python. The kernel gets no ``PYTHONPATH``, so it imports the installed wheel, and
    the venv's own cache folder for compiled code."""
    venv = get()
    cache = Path(venv["env"]["DEEPCLUST_LAB_CACHE"])
    folder = venv["base"] / "jupyter-path"
    spec = folder / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(venv["python"]), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
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
    """Delete the venv, if this session built one."""
    global _venv
    if _venv is not None:
        shutil.rmtree(_venv["base"], ignore_errors=True)
        _venv = None

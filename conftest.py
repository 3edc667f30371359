"""Repository-wide pytest hooks: the notebooks' kernel, and how long each notebook took.

nbval runs every notebook in the kernel of a venv that holds only the built wheel and its core
dependencies (``tests/wheel_venv.py``), as a new user installs the kit: no JupyterLab, Notebook
or Jupyter server is importable there. The per-notebook wall times printed at the end of
`make test` are the run times quoted in the README's notebook table.
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
from nbval.plugin import IPyNbCell

sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))
import wheel_venv  # the same module the tests import, so the venv is built once

_NOTEBOOK_SECONDS: dict[str, float] = defaultdict(float)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    start = time.perf_counter()
    try:
        return (yield)
    finally:
        if item.fspath.ext == ".ipynb":
            _NOTEBOOK_SECONDS[item.fspath.basename] += time.perf_counter() - start


def pytest_terminal_summary(terminalreporter):
    if not _NOTEBOOK_SECONDS:
        return
    terminalreporter.section("notebook run times (nbval, all cells)")
    for name, seconds in sorted(_NOTEBOOK_SECONDS.items()):
        terminalreporter.write_line(f"{name:<40} {seconds:6.1f} s")


def pytest_collection_modifyitems(session, config, items):
    """nbval runs the notebooks in the kernel of the wheel's own venv (``tests/wheel_venv.py``): the
    kit as a new user installs it, core dependencies only, no JupyterLab, Notebook or Jupyter
    server importable. ``DEEPCLUST_LAB_NOTEBOOK_KERNEL=current`` keeps this process's python
    instead (quicker while editing a notebook, and no network)."""
    if not any(isinstance(item, IPyNbCell) for item in items):
        return
    choice = os.environ.get("DEEPCLUST_LAB_NOTEBOOK_KERNEL", "wheel")
    if choice not in ("wheel", "current"):
        raise pytest.UsageError(
            f"DEEPCLUST_LAB_NOTEBOOK_KERNEL must be 'wheel' or 'current', got {choice!r}")
    if choice == "wheel":  # the venv builds in the background while the unit tests run
        folder = str(wheel_venv.kernel_path())
        os.environ["JUPYTER_PATH"] = os.pathsep.join(
            filter(None, [folder, os.environ.get("JUPYTER_PATH")]))
        config.option.nbval_current_env = False
        config.option.nbval_kernel_name = wheel_venv.KERNEL_NAME


def pytest_runtest_setup(item):
    """A notebook's kernel needs the wheel's venv built: wait for it (and fail here, with pip's
    output, if the build failed)."""
    if isinstance(item, IPyNbCell) and item.config.option.nbval_kernel_name == wheel_venv.KERNEL_NAME:
        wheel_venv.get()


def pytest_sessionfinish(session, exitstatus):
    wheel_venv.remove()

"""The notebooks run through plain nbclient, the route of VS Code, Colab and CI scripts, with
no Jupyter server or front-end importable in the kernel.

nbval (the rest of the suite) also executes every notebook, but from a process where
JupyterLab is installed. Here the kernel starts with a ``sitecustomize`` that makes
``jupyterlab``, ``notebook`` and ``jupyter_server`` impossible to import, so a notebook
that leaned on any of them would fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
BLOCKED = ("jupyterlab", "notebook", "jupyter_server")

SITECUSTOMIZE = f'''
import importlib.abc, sys

class _NoFrontEnd(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {BLOCKED!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked by the test)", name=name)
        return None

sys.meta_path.insert(0, _NoFrontEnd())
'''

PROOF = f"""
import importlib
blocked = []
for name in {BLOCKED!r}:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError:
        blocked.append(name)
print("front-ends importable:", sorted(set({BLOCKED!r}) - set(blocked)))
"""


@pytest.fixture
def kernel_without_front_ends(tmp_path, monkeypatch):
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE)
    paths = [str(tmp_path), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
    return tmp_path


@pytest.mark.parametrize("name", ["00_setup_check.ipynb"])  # nbval runs them all; this one
# checks the front-end-free route (imports, display, widgets) at the cost of one short notebook
def test_notebook_runs_under_plain_nbclient(name, kernel_without_front_ends, tmp_path):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROOF))
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    proof = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "front-ends importable: []" in proof, proof

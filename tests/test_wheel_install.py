"""The built wheel in a fresh venv, core dependencies only (no ``[lab]``): a new user's install.

The wheel is built from this checkout, a venv is made with ``python -m venv``, and the wheel is
installed into it with its core dependencies at the versions of requirements.lock
(``pip install -c requirements.lock``: reproducible, and served from pip's cache once ``make``
has built .venv from the same lock). Then, in that venv only:

- no Jupyter front-end or server is importable (the core install stays light), and the kit
  imports from the venv's site-packages, not from this checkout;
- ``deepclust-lab --version`` and ``deepclust-lab cluster`` on a small digits CSV work;
- notebook 00 runs through plain nbclient, with the venv's own ``python3`` kernel.

This is the one test that reaches the network: pip asks the package index about the pinned
versions (the wheels themselves come from pip's cache when it is warm).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "00_setup_check.ipynb"  # the README's plain-nbclient route; nbval runs them all
FRONT_ENDS = ("jupyterlab", "notebook", "jupyter_server")
# variables of this test process that must not reach the fresh venv: PYTHONPATH would import
# the kit from this checkout instead of the installed wheel
SCRUBBED = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "KERAS_BACKEND", "JUPYTER_PATH",
            "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR")

pytestmark = pytest.mark.timeout(900)

# what the venv's python sees: run on its own, and as the last cell of the notebook
PROOF = f"""
import importlib.util, json, sys
import deepclust_lab, ipykernel, nbclient
print(json.dumps({{"prefix": sys.prefix, "kit": deepclust_lab.__file__,
                  "front_ends": [n for n in {FRONT_ENDS!r} if importlib.util.find_spec(n)]}}))
"""
RUN_NOTEBOOK = """
import sys
import nbformat
from nbclient import NotebookClient

source, target, workdir, proof = sys.argv[1:5]
nb = nbformat.read(source, as_version=4)
nb.cells.append(nbformat.v4.new_code_cell(proof))
NotebookClient(nb, timeout=300, kernel_name="python3",
               resources={"metadata": {"path": workdir}}).execute()
nbformat.write(nb, target)
"""


def _check_proof(proof: dict, prefix: Path) -> None:
    """The venv's own python, importing the installed kit, and no front-end importable."""
    assert Path(proof["prefix"]).resolve() == prefix.resolve(), proof
    assert Path(proof["kit"]).resolve().is_relative_to(prefix.resolve()), proof
    assert proof["front_ends"] == [], proof  # [lab] was not asked for


def _run(command, env, cwd, timeout=600):
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, (
        f"{' '.join(map(str, command))} exited {result.returncode}\n"
        f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """The wheel with its core dependencies, alone in a new venv."""
    base = tmp_path_factory.mktemp("wheel-install")
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update({
        "JUPYTER_DATA_DIR": str(base / "jupyter-data"),  # no user kernelspec can shadow the venv's
        "JUPYTER_CONFIG_DIR": str(base / "jupyter-config"),
        "JUPYTER_RUNTIME_DIR": str(base / "jupyter-runtime"),
        "IPYTHONDIR": str(base / "ipython"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    })
    dist = base / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist),
          str(ROOT)], env, base)
    (wheel,) = dist.glob("deepclust_lab-*.whl")
    prefix = base / "venv"
    _run([sys.executable, "-m", "venv", str(prefix)], env, base)
    env["VIRTUAL_ENV"] = str(prefix)
    env["PATH"] = str(prefix / "bin") + os.pathsep + env.get("PATH", "")
    # --no-compile: bytecode only for what the test imports, not for every installed module
    _run([prefix / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-compile",
          "-c", str(ROOT / "requirements.lock"), str(wheel)], env, base, timeout=900)
    yield {"prefix": prefix, "python": prefix / "bin" / "python", "env": env, "base": base}
    shutil.rmtree(prefix, ignore_errors=True)  # 1 GB; pytest keeps the last three temp dirs


def test_core_install_has_no_front_end_and_uses_the_installed_kit(venv):
    out = _run([venv["python"], "-c", PROOF], venv["env"], venv["base"]).stdout
    _check_proof(json.loads(out), venv["prefix"])


def test_cli_reports_its_version_and_clusters_a_csv(venv):
    from sklearn.datasets import load_digits

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    cli = venv["prefix"] / "bin" / "deepclust-lab"
    out = _run([cli, "--version"], venv["env"], venv["base"]).stdout
    assert out.strip() == f"deepclust-lab {version}", out

    digits = load_digits()
    rows = range(0, 1797, 6)  # 300 rows, every class present
    csv = venv["base"] / "digits300.csv"
    header = ",".join([f"p{i}" for i in range(64)] + ["digit"])
    csv.write_text(header + "\n" + "\n".join(
        ",".join(str(int(v)) for v in (*digits.data[i], digits.target[i])) for i in rows) + "\n")
    labels = venv["base"] / "labels.txt"
    result = _run([cli, "cluster", csv, "-k", "10", "--method", "kmeans", "--label-column",
                   "digit", "--labels", "digit", "--seed", "0", "--out", labels],
                  venv["env"], venv["base"])
    predicted = [int(line) for line in labels.read_text().split()]
    assert len(predicted) == len(rows) and set(predicted) == set(range(10)), predicted
    assert "method kmeans: 10 clusters" in result.stdout, result.stdout
    acc = float(result.stdout.split("ACC", 1)[1].split()[0])
    assert acc > 0.6, result.stdout  # raw-pixel K-means on digits is about 0.75-0.8


def test_notebook_00_runs_under_plain_nbclient_in_the_venv(venv):
    executed = venv["base"] / NOTEBOOK
    workdir = venv["base"] / "nb-work"
    workdir.mkdir()
    _run([venv["python"], "-c", RUN_NOTEBOOK, ROOT / "notebooks" / NOTEBOOK, executed, workdir,
          PROOF], venv["env"], venv["base"], timeout=600)
    cells = [c for c in nbformat.read(executed, as_version=4).cells if c.cell_type == "code"]
    outputs = [o for c in cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    text = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    assert "all requirements satisfied" in text, text  # the notebook's own check of the install
    assert "backend: jax" in text, text
    # the kernel nbclient started was the venv's python, with the installed kit
    _check_proof(json.loads("".join(o.get("text", "") for o in cells[-1]["outputs"])),
                 venv["prefix"])

"""pyproject.toml, requirements.lock and environment.yml must name the same packages."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
CONDA_ONLY = {"python", "pip"}  # the interpreter and installer, not packages of the kit
CONDA_SPLITS = {"jaxlib": "jax"}  # conda-forge ships jax[cpu] as jax + jaxlib


def _pyproject_requirements() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        reqs += [Requirement(r) for r in extra]
    return {canonicalize_name(r.name): r for r in reqs}


def _lock() -> dict[str, Version]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        name, _, version = line.partition("==")
        assert version, f"requirements.lock: {line!r} is not pinned with =="
        pins[canonicalize_name(name)] = Version(version)
    return pins


def _environment_names() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names = set()
    for dep in env["dependencies"]:
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for item in items:
            if item.startswith("-e"):
                continue
            name = re.split(r"[<>=!~ \[]", item, maxsplit=1)[0]
            names.add(CONDA_SPLITS.get(name, canonicalize_name(name)))
    return names - CONDA_ONLY


def test_environment_yml_names_the_same_packages_as_pyproject():
    assert _environment_names() == set(_pyproject_requirements())


def test_lock_pins_every_dependency_within_its_bounds():
    pins = _lock()
    for name, req in _pyproject_requirements().items():
        assert name in pins, f"{name} is in pyproject.toml but not pinned in requirements.lock"
        assert req.specifier.contains(pins[name]), f"{name}=={pins[name]} violates {req.specifier}"


def test_lock_has_the_cpu_jax_runtime():
    pins = _lock()
    assert "jaxlib" in pins and pins["jaxlib"] == pins["jax"]
    assert not any(name.startswith(("nvidia-", "jax-cuda")) for name in pins), "lock pulls a GPU build"


@pytest.mark.parametrize("backend", [None, "torch"])
def test_keras_backend_defaults_to_jax_only_when_unset(backend):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    if backend:
        env["KERAS_BACKEND"] = backend
    code = "import os, deepclust_lab; print(os.environ['KERAS_BACKEND'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == (backend or "jax")


def test_import_is_cheap_and_lazy():
    import subprocess
    import sys

    code = "import sys, deepclust_lab; print('keras' in sys.modules, deepclust_lab.__version__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[0] == "False", "importing deepclust_lab must not import Keras"


def test_the_wheel_ships_licence_types_and_front_end(tmp_path):
    import subprocess
    import sys
    import zipfile

    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--disable-pip-version-check", "-w", str(tmp_path), str(root)],
                   check=True, timeout=600, capture_output=True)
    (wheel,) = tmp_path.glob("deepclust_lab-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for wanted in ("deepclust_lab/py.typed", "deepclust_lab/widgets/frontend/explorer.js"):
        assert wanted in names, wanted
    assert any(n.endswith("licenses/LICENSE") for n in names), names
    meta = next(n for n in names if n.endswith("METADATA"))
    text = zipfile.ZipFile(wheel).read(meta).decode()
    assert "License-Expression: MIT" in text and "Classifier: Typing :: Typed" in text

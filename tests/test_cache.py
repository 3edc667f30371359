"""The on-disk caches of compiled code (deepclust_lab._cache)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from deepclust_lab import _cache


def test_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DEEPCLUST_LAB_CACHE", "0")
    assert _cache.cache_folder() is None
    monkeypatch.setenv("DEEPCLUST_LAB_CACHE", str(tmp_path / "c"))
    assert _cache.cache_folder() == tmp_path / "c"
    monkeypatch.delenv("DEEPCLUST_LAB_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _cache.cache_folder() == tmp_path / "deepclust-lab"


def test_configure_keeps_the_users_own_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("DEEPCLUST_LAB_CACHE", str(tmp_path))
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/mine")
    monkeypatch.delenv("JAX_COMPILATION_CACHE_DIR", raising=False)
    _cache.configure()
    assert os.environ["NUMBA_CACHE_DIR"] == "/mine"
    assert os.environ["JAX_COMPILATION_CACHE_DIR"] == str(tmp_path / "jax")


def test_a_umap_run_leaves_its_compiled_functions_on_disk(tmp_path):
    code = ("import numpy as np; from deepclust_lab.manifold import umap_embed; "
            "umap_embed(np.random.default_rng(0).normal(size=(60, 5)), n_neighbors=5)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "JAX_"))}
    env["DEEPCLUST_LAB_CACHE"] = str(tmp_path)
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=300,
                   capture_output=True)
    kept = list(Path(tmp_path, "numba").rglob("*.nbi"))
    assert any("umap" in str(p) for p in kept), kept

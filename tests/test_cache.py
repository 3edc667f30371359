"""The on-disk caches of compiled code (deepclust_lab._cache).

That a real UMAP run in a fresh process leaves umap-learn's compiled functions in the cache
folder is checked in test_wheel_install.py, where the new install's first run does it anyway.
"""

from __future__ import annotations

import os
import subprocess
import sys

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


def test_an_unwritable_cache_folder_turns_the_caches_off_with_one_warning(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code = ("import os, warnings; warnings.simplefilter('always'); import deepclust_lab; "
            "from deepclust_lab import _cache; _cache.configure(); _cache.cache_umap(); "
            "print(os.environ.get('NUMBA_CACHE_DIR'), _cache._umap_cached)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "JAX_"))}
    env["DEEPCLUST_LAB_CACHE"] = str(blocker / "cache")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["None", "False"]  # numba and UMAP left without a cache
    warned = [line for line in done.stderr.splitlines() if "RuntimeWarning" in line]
    assert len(warned) == 2, done.stderr  # once on import, once for the explicit call above
    assert f"cannot write its cache folder {blocker / 'cache'}" in warned[0]
    assert "Traceback" not in done.stderr


def test_clear_deletes_only_what_the_kit_keeps_and_never_follows_a_link(monkeypatch, tmp_path):
    folder, outside = tmp_path / "cache", tmp_path / "outside"
    (folder / "numba" / "umap").mkdir(parents=True)
    (folder / "numba" / "umap" / "f.nbi").write_text("compiled")
    outside.mkdir()
    (outside / "precious.txt").write_text("the user's")
    (folder / "jax").symlink_to(outside, target_is_directory=True)
    (folder / "notes.txt").write_text("the user's too")
    monkeypatch.setenv("DEEPCLUST_LAB_CACHE", str(folder))

    assert _cache.clear() == [folder / "numba", folder / "jax"]
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]  # the folder stays
    assert (outside / "precious.txt").read_text() == "the user's"
    assert _cache.clear() == []

    (folder / "notes.txt").unlink()
    (folder / "jax").mkdir()
    assert _cache.clear() == [folder / "jax", folder]  # empty afterwards: the folder goes too
    assert not folder.exists() and outside.exists()


def test_cli_cache_path_and_clear(monkeypatch, tmp_path, capsys):
    from deepclust_lab.cli import main

    monkeypatch.setenv("DEEPCLUST_LAB_CACHE", str(tmp_path / "c"))
    (tmp_path / "c" / "numba").mkdir(parents=True)
    assert main(["cache", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "c")
    assert main(["cache", "clear"]) == 0
    assert f"cleared the compiled-code cache in {tmp_path / 'c'}" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()
    assert main(["cache", "clear"]) == 0
    assert "nothing to clear" in capsys.readouterr().err
    monkeypatch.setenv("DEEPCLUST_LAB_CACHE", "0")
    assert main(["cache", "clear"]) == 0
    assert "the caches are off" in capsys.readouterr().err

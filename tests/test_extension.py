"""%load_ext deepclust_lab: the environment report and the seeding magic."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from deepclust_lab import extension


@pytest.fixture(scope="module")
def ip():
    from IPython.testing.globalipapp import start_ipython

    shell = start_ipython()
    shell.run_line_magic("load_ext", "deepclust_lab")
    return shell


def test_env_magic_reports_versions_backend_and_devices(ip, capsys):
    ip.run_line_magic("deepclust_env", "")
    out = capsys.readouterr().out
    for key in ("python", "numpy", "keras", "jax", "keras backend", "devices"):
        assert any(line.startswith(key + " ") for line in out.splitlines()), key
    assert "keras backend  jax" in out
    assert "cpu x" in out


def test_seed_magic_makes_numpy_and_keras_repeatable(ip, capsys):
    import keras

    ip.run_line_magic("deepclust_seed", "7")
    a = np.random.rand(3), keras.random.uniform((3,)).tolist()  # noqa: NPY002 - the global state is what the magic seeds
    ip.run_line_magic("deepclust_seed", "7")
    b = np.random.rand(3), keras.random.uniform((3,)).tolist()  # noqa: NPY002
    assert np.array_equal(a[0], b[0]) and a[1] == b[1]
    assert "Seeded Python, NumPy and Keras with 7." in capsys.readouterr().out


@pytest.mark.parametrize("arg", ["", "abc", "-1", "1.5"])
def test_seed_magic_explains_bad_arguments(ip, capsys, arg):
    ip.run_line_magic("deepclust_seed", arg)
    assert "Usage: %deepclust_seed N" in capsys.readouterr().out


def test_seed_everything_rejects_non_integers():
    with pytest.raises(TypeError, match="seed must be an integer"):
        extension.seed_everything("3")
    with pytest.raises(ValueError, match="seed must be >= 0"):
        extension.seed_everything(-2)


def test_docstring_examples():
    result = doctest.testmod(extension)
    assert result.attempted >= 2 and result.failed == 0

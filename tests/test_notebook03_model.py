"""Notebook 03 builds its autoencoders with ``keras.layers``; the kit's ``build_autoencoder``
must build the very same models (issue 10: "the code a student opens is the code that runs").

The test runs the notebook's own cells (found by the model each one names, not by position), so
an edit to either the notebook or :mod:`deepclust_lab.autoencoder` that makes them drift apart
fails here: layer types, names, widths, activations, convolution settings, input and code
shapes, and the starting weights.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import keras
import nbformat
import numpy as np
import pytest

from deepclust_lab.autoencoder import SMALL_SIZES, build_autoencoder

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "03_autoencoder_embeddings.ipynb"
DENSE_MARK = 'keras.Model(inputs, outputs, name="dense_autoencoder")'
CONV_MARK = 'keras.Model(conv_inputs, conv_outputs, name="conv_autoencoder")'
CONV_SIZES_IN_NOTEBOOK = (16, 32, 10)


def _cell(mark: str) -> str:
    cells = [cell.source for cell in nbformat.read(NOTEBOOK, as_version=4).cells
             if cell.cell_type == "code" and mark in cell.source]
    assert len(cells) == 1, f"expected one code cell of notebook 03 containing {mark!r}, got {len(cells)}"
    return cells[0]


@pytest.fixture(scope="module")
def notebook_models() -> dict:
    """Run the notebook's dense cell, then its conv cell, on 64-pixel inputs."""
    namespace = {"keras": keras, "itertools": itertools, "math": math, "np": np,
                 "SMALL_SIZES": SMALL_SIZES, "X": np.zeros((2, 64), dtype="float32")}
    exec(compile(_cell(DENSE_MARK), "notebook03-dense", "exec"), namespace)
    exec(compile(_cell(CONV_MARK), "notebook03-conv", "exec"), namespace)
    return namespace


def _layers(model: keras.Model) -> list[tuple]:
    """What defines each layer: class, name, output shape and its settings (units, filters,
    kernel size, strides, padding, activation, target shape), initialiser seeds included."""
    rows = []
    for layer in model.layers:
        config = layer.get_config()
        settings = {key: config.get(key) for key in (
            "units", "filters", "kernel_size", "strides", "padding", "activation",
            "target_shape", "use_bias", "kernel_initializer", "bias_initializer") if key in config}
        rows.append((type(layer).__name__, layer.name, tuple(layer.output.shape), settings))
    return rows


def _same_weights(a: keras.Model, b: keras.Model) -> bool:
    pairs = list(zip(a.get_weights(), b.get_weights(), strict=True))
    return all(x.shape == y.shape and np.array_equal(x, y) for x, y in pairs)


def test_dense_autoencoder_matches_build_autoencoder(notebook_models):
    ours, ours_encoder = notebook_models["autoencoder"], notebook_models["encoder"]
    kit, kit_encoder = build_autoencoder(64, SMALL_SIZES, seed=0)
    assert _layers(ours) == _layers(kit)
    assert _layers(ours_encoder) == _layers(kit_encoder)
    assert [type(layer).__name__ for layer in ours.layers] == ["InputLayer"] + ["Dense"] * 6
    assert [layer.units for layer in ours.layers[1:]] == [128, 64, 10, 64, 128, 64]
    assert [layer.get_config()["activation"] for layer in ours.layers[1:]] == \
        ["relu", "relu", "linear", "relu", "relu", "linear"]
    assert ours.input_shape == kit.input_shape == (None, 64)
    assert ours.output_shape == kit.output_shape == (None, 64)
    assert ours_encoder.output_shape == kit_encoder.output_shape == (None, 10)
    assert ours.count_params() == kit.count_params() == 34506
    assert _same_weights(ours, kit)


def test_conv_autoencoder_matches_build_autoencoder(notebook_models):
    ours, ours_encoder = notebook_models["conv_autoencoder"], notebook_models["conv_encoder"]
    kit, kit_encoder = build_autoencoder(64, CONV_SIZES_IN_NOTEBOOK, kind="conv",
                                         image_shape=(8, 8), seed=0)
    assert _layers(ours) == _layers(kit)
    assert _layers(ours_encoder) == _layers(kit_encoder)
    assert [type(layer).__name__ for layer in ours.layers] == [
        "InputLayer", "Reshape", "Conv2D", "Conv2D", "Flatten", "Dense", "Dense", "Reshape",
        "Conv2DTranspose", "Conv2DTranspose", "Flatten"]
    convs = [layer for layer in ours.layers if hasattr(layer, "filters")]  # (transposed) convolutions
    assert [(c.filters, c.strides, c.get_config()["activation"]) for c in convs] == [
        (16, (2, 2), "relu"), (32, (2, 2), "relu"), (16, (2, 2), "relu"), (1, (2, 2), "linear")]
    assert ours.input_shape == kit.input_shape == (None, 64)
    assert ours.output_shape == kit.output_shape == (None, 64)
    assert ours_encoder.output_shape == kit_encoder.output_shape == (None, 10)
    assert ours.count_params() == kit.count_params()
    assert _same_weights(ours, kit)


def test_the_two_models_compute_the_same_function(notebook_models):
    x = np.random.default_rng(0).random((5, 64)).astype("float32")
    for name, kit in (("autoencoder", build_autoencoder(64, SMALL_SIZES, seed=0)[0]),
                      ("conv_autoencoder", build_autoencoder(64, CONV_SIZES_IN_NOTEBOOK,
                                                             kind="conv", image_shape=(8, 8),
                                                             seed=0)[0])):
        ours = notebook_models[name]
        assert np.allclose(ours.predict(x, verbose=0), kit.predict(x, verbose=0), atol=1e-6), name

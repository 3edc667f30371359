"""Tests for deepclust_lab.autoencoder: building, seeded training, augmentation, callbacks."""

from __future__ import annotations

import io
import threading

import keras
import numpy as np
import pytest

from deepclust_lab.autoencoder import (
    DEC_SIZES,
    SMALL_SIZES,
    EpochCallback,
    ProgressBar,
    StopTraining,
    augment_images,
    build_autoencoder,
    train_autoencoder,
)


@pytest.fixture(scope="module")
def X(digits):
    return digits[0][:256].astype("float32")


def test_dense_shapes_follow_sizes():
    ae, enc = build_autoencoder(64, DEC_SIZES)
    assert enc.output_shape == (None, 10)
    assert ae.output_shape == (None, 64)
    widths = [layer.units for layer in ae.layers if isinstance(layer, keras.layers.Dense)]
    assert widths == [500, 500, 2000, 10, 2000, 500, 500, 64]


@pytest.mark.parametrize("shape", [(28, 28), (6, 10, 3)])
def test_conv_autoencoder_output_matches_the_input_shape(shape):
    d = int(np.prod(shape))
    ae, enc = build_autoencoder(d, (8, 16, 5), kind="conv", image_shape=shape)
    assert ae.output_shape == (None, d)
    assert enc.output_shape == (None, 5)


def test_conv_autoencoder_reconstructs_flat_images():
    ae, _ = build_autoencoder(64, (4, 3), kind="conv", image_shape=(8, 8))
    assert ae.predict(np.zeros((3, 64), "float32"), verbose=0).shape == (3, 64)


def test_same_seed_same_weights_different_seed_different():
    w0 = build_autoencoder(64, SMALL_SIZES, seed=3)[0].get_weights()[0]
    w1 = build_autoencoder(64, SMALL_SIZES, seed=3)[0].get_weights()[0]
    w2 = build_autoencoder(64, SMALL_SIZES, seed=4)[0].get_weights()[0]
    np.testing.assert_array_equal(w0, w1)
    assert not np.allclose(w0, w2)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"kind": "rnn"}, ValueError, "kind"),
        ({"kind": "conv"}, ValueError, "image_shape"),
        ({"kind": "conv", "image_shape": (5, 5)}, ValueError, "pixels"),
        ({"sizes": "big"}, TypeError, "sizes"),
        ({"sizes": (10, 0)}, ValueError, "sizes"),
    ],
)
def test_build_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        build_autoencoder(64, **kwargs)


def test_training_lowers_the_loss_and_is_reproducible(X):
    runs = []
    for _ in range(2):
        ae, enc = build_autoencoder(64, SMALL_SIZES, seed=0)
        hist = train_autoencoder(ae, X, epochs=5, batch_size=64, seed=0)
        runs.append((hist["loss"], enc.predict(X, verbose=0)))
    assert len(runs[0][0]) == 5
    assert runs[0][0][-1] < runs[0][0][0]
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def test_training_rejects_bad_inputs(X):
    ae, _ = build_autoencoder(64, SMALL_SIZES)
    with pytest.raises(ValueError, match="features"):
        train_autoencoder(ae, X[:, :10], epochs=1)
    with pytest.raises(ValueError, match="NaN"):
        train_autoencoder(ae, np.full((4, 64), np.nan), epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        train_autoencoder(ae, X, epochs=0)
    with pytest.raises(TypeError, match="callbacks"):
        train_autoencoder(ae, X, epochs=1, callbacks=["not a callback"])


def test_augment_images_shifts_without_losing_central_pixels():
    img = np.zeros((200, 5, 5))
    img[:, 2, 2] = 1.0
    out = augment_images(img.reshape(200, 25), (5, 5), max_shift=1, random_state=0)
    out = out.reshape(200, 5, 5)
    np.testing.assert_array_equal(out.sum(axis=(1, 2)), 1.0)
    moved = {tuple(np.argwhere(o)[0]) for o in out}
    assert moved == {(r, c) for r in (1, 2, 3) for c in (1, 2, 3)}  # all 9 shifts occur
    again = augment_images(img.reshape(200, 25), (5, 5), max_shift=1, random_state=0)
    np.testing.assert_array_equal(out.reshape(200, 25), again)
    same = augment_images(img.reshape(200, 25), (5, 5), max_shift=0)
    np.testing.assert_array_equal(same, img.reshape(200, 25))
    rotated = augment_images(img.reshape(200, 25), (5, 5), max_shift=0, max_rotation=30,
                             random_state=0)
    assert rotated.shape == (200, 25)


def test_training_with_augmentation_runs(X):
    ae, _ = build_autoencoder(64, SMALL_SIZES)
    hist = train_autoencoder(
        ae, X, epochs=2, batch_size=64,
        augment=lambda b, rng: augment_images(b, (8, 8), max_shift=1, random_state=rng),
    )
    assert len(hist["loss"]) == 2 and np.isfinite(hist["loss"]).all()


def test_epoch_callback_and_progress_bar(X):
    seen = []
    buffer = io.StringIO()
    ae, _ = build_autoencoder(64, SMALL_SIZES)
    hist = train_autoencoder(
        ae, X, epochs=3, batch_size=128,
        callbacks=[EpochCallback(lambda e, logs: seen.append((e, logs))), ProgressBar(file=buffer)],
    )
    assert [e for e, _ in seen] == [0, 1, 2]
    assert all(isinstance(logs["loss"], float) for _, logs in seen)
    assert [logs["loss"] for _, logs in seen] == pytest.approx(hist["loss"])
    assert "3/3" in buffer.getvalue() and "loss" in buffer.getvalue()


def test_stop_requested_before_training_stops_after_first_batch(X):
    stop = StopTraining()
    stop.request_stop()
    batches = []

    class CountBatches(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            batches.append(batch)

    ae, _ = build_autoencoder(64, SMALL_SIZES)
    hist = train_autoencoder(ae, X, epochs=50, batch_size=32, callbacks=[CountBatches(), stop])
    assert len(batches) == 1 and len(hist["loss"]) == 1
    assert stop.stopped
    stop.reset()
    assert not stop.requested


def test_stop_from_another_thread_ends_training_within_one_epoch(X):
    stop = StopTraining()
    first_epoch = threading.Event()
    result = {}

    def train():
        ae, _ = build_autoencoder(64, SMALL_SIZES)
        result["hist"] = train_autoencoder(
            ae, X, epochs=500, batch_size=32,
            callbacks=[EpochCallback(lambda e, logs: first_epoch.set()), stop],
        )

    worker = threading.Thread(target=train)
    worker.start()
    assert first_epoch.wait(timeout=60)
    stop.request_stop()
    worker.join(timeout=60)
    assert not worker.is_alive()
    assert stop.stopped
    assert len(result["hist"]["loss"]) < 500


def test_early_stopping_on_a_loss_plateau(X):
    ae, _ = build_autoencoder(64, SMALL_SIZES)
    hist = train_autoencoder(
        ae, X, epochs=50, batch_size=128, optimizer=keras.optimizers.SGD(learning_rate=0.0),
        patience=2,
    )
    assert len(hist["loss"]) == 3  # the first epoch sets the best, two more without progress

"""Autoencoders that learn an embedding for clustering (Keras 3, backend-agnostic).

An autoencoder squeezes each sample ``x`` through a narrow *code* ``z = f(x)`` and learns to
rebuild it, ``x_hat = g(z)``, by minimising the mean squared reconstruction error
``mean ||x - g(f(x))||^2``. The encoder ``f`` then gives a low-dimensional embedding in which
clusters may be easier to find than in the raw features.

Two kinds are built here:

* ``kind="dense"``: fully connected layers ``d -> sizes[0] -> ... -> sizes[-1]`` and back,
  ReLU everywhere except the code and the output (linear), as in DEC (Xie, Girshick & Farhadi,
  2016), whose default ``d-500-500-2000-10`` is :data:`DEC_SIZES`; :data:`SMALL_SIZES`
  ``d-128-64-10`` trains in a couple of seconds for live demos.
* ``kind="conv"``: a convolutional autoencoder for images (``image_shape=(8, 8)`` digits,
  ``(28, 28)`` MNIST): stride-2 convolutions with ``sizes[:-1]`` filters, then a dense code of
  ``sizes[-1]`` units, mirrored by transposed convolutions (the CAE of DEC-DA, Guo et al. 2018).

Both models take and return *flat* vectors of length ``d``, so the rest of the kit never
reshapes. Training (:func:`train_autoencoder`) is seeded, optionally augments images with small
random shifts / rotations (:func:`augment_images`, as in DEC-DA), and accepts the kit's callbacks:
:class:`ProgressBar`, :class:`StopTraining` and :class:`EpochCallback`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np

from deepclust_lab._checks import as_float_matrix, check_choice, check_int
from deepclust_lab.images import (
    MIN_AUGMENT_WIDTH,
    augment_images,
    augmentation_for,
    infer_image_shape,
    pixel_correlation,
)
from deepclust_lab.training import (
    EpochCallback,
    ProgressBar,
    StopTraining,
    callback_list,
    data_replicas,
)

__all__ = [
    "CONV_SIZES",
    "DEC_SIZES",
    "MIN_AUGMENT_WIDTH",
    "SMALL_SIZES",
    "EpochCallback",
    "ProgressBar",
    "StopTraining",
    "augment_images",
    "augmentation_for",
    "build_autoencoder",
    "infer_image_shape",
    "pixel_correlation",
    "train_autoencoder",
]

#: DEC's encoder: d-500-500-2000-10 (Xie et al. 2016; also IDEC and N2D).
DEC_SIZES: tuple[int, ...] = (500, 500, 2000, 10)
#: A small encoder for live demos (trains in about 2 s on digits).
SMALL_SIZES: tuple[int, ...] = (128, 64, 10)
#: Convolutional encoder of DEC-DA: 32, 64, 128 filters, then a 10-unit code.
CONV_SIZES: tuple[int, ...] = (32, 64, 128, 10)


# --------------------------------------------------------------------------------------------
# building
# --------------------------------------------------------------------------------------------
def _check_sizes(sizes: Any) -> tuple[int, ...]:
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or len(sizes) == 0:
        raise TypeError(f"sizes must be a non-empty sequence of layer widths, got {sizes!r}")
    return tuple(check_int(s, f"sizes[{i}]", low=1) for i, s in enumerate(sizes))


def _check_image_shape(image_shape: Any, input_dim: int) -> tuple[int, int, int]:
    if image_shape is None:
        raise ValueError("kind='conv' needs image_shape, e.g. image_shape=(28, 28)")
    shape = tuple(int(s) for s in image_shape)
    if len(shape) == 2:
        shape = (*shape, 1)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"image_shape must be (height, width) or (height, width, channels), got {image_shape!r}")
    if math.prod(shape) != input_dim:
        raise ValueError(
            f"image_shape {image_shape!r} has {math.prod(shape)} pixels but input_dim is {input_dim}"
        )
    return shape  # type: ignore[return-value]


def build_autoencoder(
    input_dim: int,
    sizes: Sequence[int] | None = None,
    *,
    kind: str = "dense",
    image_shape: Sequence[int] | None = None,
    activation: str = "relu",
    seed: int = 0,
) -> tuple[keras.Model, keras.Model]:
    """Build an autoencoder and its encoder.

    Parameters
    ----------
    input_dim : int
        Number of features ``d`` of each (flat) sample.
    sizes : sequence of int, optional
        Encoder widths; the last entry is the code (embedding) size. Dense default
        :data:`DEC_SIZES` ``(500, 500, 2000, 10)``; conv default :data:`CONV_SIZES`
        ``(32, 64, 128, 10)``, where all but the last entry are filter counts of stride-2
        3×3 convolutions. The decoder mirrors the encoder.
    kind : {"dense", "conv"}, default "dense"
    image_shape : (height, width) or (height, width, channels), optional
        Required for ``kind="conv"``; the flat input is reshaped to it inside the model.
    activation : str, default "relu"
        Activation of the hidden layers (code and output are linear).
    seed : int, default 0
        Seeds every weight initialiser, so the same seed gives the same starting weights.

    Returns
    -------
    autoencoder : keras.Model
        Maps ``(n, d)`` to ``(n, d)``.
    encoder : keras.Model
        Maps ``(n, d)`` to the codes ``(n, sizes[-1])``; it shares its layers with
        ``autoencoder``, so training one trains the other.

    Examples
    --------
    >>> from deepclust_lab.autoencoder import build_autoencoder, SMALL_SIZES
    >>> ae, enc = build_autoencoder(64, SMALL_SIZES, seed=0)
    >>> enc.output_shape
    (None, 10)
    """
    input_dim = check_int(input_dim, "input_dim", low=1)
    kind = check_choice(kind, "kind", ("dense", "conv"))
    seed = check_int(seed, "seed", low=0)
    if sizes is None:
        sizes = DEC_SIZES if kind == "dense" else CONV_SIZES
    sizes = _check_sizes(sizes)
    counter = iter(range(10_000))

    def init() -> keras.initializers.Initializer:
        return keras.initializers.GlorotUniform(seed=seed * 1000 + next(counter))

    inputs = keras.Input(shape=(input_dim,), name="x")
    if kind == "dense":
        h = inputs
        for i, width in enumerate(sizes[:-1]):
            h = keras.layers.Dense(width, activation, kernel_initializer=init(), name=f"enc_{i}")(h)
        code = keras.layers.Dense(sizes[-1], kernel_initializer=init(), name="code")(h)
        encoder = keras.Model(inputs, code, name="encoder")
        h = code
        for i, width in enumerate(reversed(sizes[:-1])):
            h = keras.layers.Dense(width, activation, kernel_initializer=init(), name=f"dec_{i}")(h)
        outputs = keras.layers.Dense(input_dim, kernel_initializer=init(), name="reconstruction")(h)
    else:
        shape = _check_image_shape(image_shape, input_dim)
        filters = sizes[:-1] or (32,)
        h = keras.layers.Reshape(shape, name="to_image")(inputs)
        for i, f in enumerate(filters):
            h = keras.layers.Conv2D(
                f, 3, strides=2, padding="same", activation=activation,
                kernel_initializer=init(), name=f"conv_{i}",
            )(h)
        small = tuple(int(s) for s in h.shape[1:])
        h = keras.layers.Flatten(name="flatten")(h)
        code = keras.layers.Dense(sizes[-1], kernel_initializer=init(), name="code")(h)
        encoder = keras.Model(inputs, code, name="encoder")
        h = keras.layers.Dense(math.prod(small), activation, kernel_initializer=init(), name="dec_dense")(code)
        h = keras.layers.Reshape(small, name="to_maps")(h)
        for i, f in enumerate(reversed(filters[:-1])):
            h = keras.layers.Conv2DTranspose(
                f, 3, strides=2, padding="same", activation=activation,
                kernel_initializer=init(), name=f"deconv_{i}",
            )(h)
        h = keras.layers.Conv2DTranspose(
            shape[2], 3, strides=2, padding="same", kernel_initializer=init(), name="deconv_out"
        )(h)
        extra_h, extra_w = int(h.shape[1]) - shape[0], int(h.shape[2]) - shape[1]
        if extra_h or extra_w:
            h = keras.layers.Cropping2D(((0, extra_h), (0, extra_w)), name="crop")(h)
        outputs = keras.layers.Flatten(name="reconstruction")(h)
    autoencoder = keras.Model(inputs, outputs, name=f"{kind}_autoencoder")
    return autoencoder, encoder


class _AugmentedImages(keras.utils.PyDataset):
    """Batches of (optionally) freshly augmented images, input = target, reshuffled every epoch.

    With ``multiple > 1`` (data-parallel training over that many devices) every batch is cut
    to a multiple of ``multiple`` rows, so it splits evenly over the devices; the few rows cut
    from the last batch differ from epoch to epoch because the order is reshuffled.
    """

    def __init__(
        self, X: np.ndarray, batch_size: int, augment: Callable | None, seed: int,
        multiple: int = 1,
    ) -> None:
        super().__init__(workers=1, use_multiprocessing=False)
        self.X, self.batch_size, self.augment, self.multiple = X, batch_size, augment, multiple
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(X))

    def __len__(self) -> int:
        if self.multiple > 1:  # a last batch smaller than ``multiple`` is dropped
            full, rest = divmod(len(self.X), self.batch_size)
            return full + (rest >= self.multiple)
        return math.ceil(len(self.X) / self.batch_size)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        idx = self.order[i * self.batch_size : (i + 1) * self.batch_size]
        idx = idx[: len(idx) - len(idx) % self.multiple]
        xb = self.X[idx]
        if self.augment is not None:
            xb = np.asarray(self.augment(xb, self.rng), dtype=self.X.dtype)
        return xb, xb

    def on_epoch_end(self) -> None:
        self.order = self.rng.permutation(len(self.X))


def train_autoencoder(
    autoencoder: keras.Model,
    X: Any,
    *,
    epochs: int = 50,
    batch_size: int = 256,
    optimizer: str | keras.optimizers.Optimizer = "adam",
    seed: int = 0,
    callbacks: Sequence[keras.callbacks.Callback] | None = None,
    progress: bool = False,
    augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
    patience: int | None = None,
) -> dict[str, list[float]]:
    """Train ``autoencoder`` to reconstruct ``X`` (mean squared error).

    Parameters
    ----------
    autoencoder : keras.Model
        From :func:`build_autoencoder`.
    X : array of shape (n_samples, n_features)
    epochs : int, default 50
    batch_size : int, default 256
    optimizer : str or keras optimizer, default "adam"
    seed : int, default 0
        Passed to ``keras.utils.set_random_seed`` (Python, NumPy and Keras): the same seed
        gives the same weights and the same history.
    callbacks : list of keras callbacks, optional
        E.g. :class:`StopTraining`, :class:`EpochCallback`, ``keras.callbacks.EarlyStopping``.
    progress : bool, default False
        Add a :class:`ProgressBar`.
    augment : callable ``(X_batch, rng) -> X_batch``, optional
        Applied afresh to every batch (input and target alike), e.g.
        ``lambda x, rng: augment_images(x, (28, 28), max_shift=2, random_state=rng)``.
    patience : int, optional
        Early stopping: stop when the loss has not improved by 1e-4 for ``patience`` epochs.

    Notes
    -----
    Under a data-parallel ``keras.distribution`` (e.g. inside
    ``keras.distribution.DataParallel().scope()``, built and trained in the scope) each batch
    is split over the ``r`` devices, so it must have a multiple of ``r`` rows: ``batch_size``
    is rounded down to a multiple of ``r``, and when ``n_samples`` leaves a last batch that
    does not split evenly, its extra ``< r`` rows (different ones each epoch, as the order is
    reshuffled) are left out of that epoch. With one device nothing changes.

    Returns
    -------
    dict
        ``{"loss": [one value per epoch run]}``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((64, 8)).astype("float32")
    >>> ae, enc = build_autoencoder(8, (4, 2))
    >>> hist = train_autoencoder(ae, X, epochs=2, batch_size=32)
    >>> len(hist["loss"])
    2
    """
    X = as_float_matrix(X).astype(np.float32, copy=False)
    epochs = check_int(epochs, "epochs", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    seed = check_int(seed, "seed", low=0)
    if X.shape[1] != autoencoder.input_shape[-1]:
        raise ValueError(
            f"X has {X.shape[1]} features but the autoencoder expects {autoencoder.input_shape[-1]}"
        )
    cbs = callback_list(callbacks, progress, "autoencoder")
    if patience is not None:
        patience = check_int(patience, "patience", low=1)
        cbs.append(keras.callbacks.EarlyStopping(monitor="loss", patience=patience, min_delta=1e-4))
    keras.utils.set_random_seed(seed)
    autoencoder.compile(optimizer=optimizer, loss="mse")
    batch_size = min(batch_size, len(X))
    replicas = data_replicas()
    if replicas > 1:  # data parallel: every batch must split evenly over the devices
        if len(X) < replicas:
            raise ValueError(
                f"data-parallel training over {replicas} devices needs at least {replicas} "
                f"samples, got {len(X)}"
            )
        batch_size = max(replicas, batch_size - batch_size % replicas)
    if augment is None and len(X) % batch_size % replicas == 0:
        hist = autoencoder.fit(
            X, X, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0, callbacks=cbs,
        )
    else:
        data = _AugmentedImages(X, batch_size, augment, seed, multiple=replicas)
        hist = autoencoder.fit(data, epochs=epochs, verbose=0, callbacks=cbs)
    return {k: [float(v) for v in vals] for k, vals in hist.history.items()}

"""``DeepClusterer``: embed -> cluster -> (refine), as one scikit-learn estimator.

A thin composition of the kit's modules; ``method`` picks the recipe:

================  ==========================================================================
``"kmeans"``      K-means on the raw features (the baseline; :mod:`deepclust_lab.kmeans`).
``"ae-kmeans"``   Train an autoencoder (:mod:`deepclust_lab.autoencoder`), K-means on its codes.
``"dec"``         AE + K-means, then DEC refinement (:mod:`deepclust_lab.dec`).
``"idec"``        AE + K-means, then IDEC refinement (reconstruction + gamma·KL).
``"n2d"``         AE codes -> UMAP -> Gaussian mixture (:func:`~deepclust_lab.manifold.n2d_cluster`).
``"manifold"``    The default: the kit's recipe of :mod:`deepclust_lab.manifold` — neighbour
                  graphs of the raw features and of the autoencoder codes (for images,
                  neighbours among shifted and rotated copies, and only the links both graphs
                  agree on), UMAP, and an over-segmenting mixture merged by modularity.
================  ==========================================================================

**Images.** When the features are the pixels of square grey images — a square count (64, 256,
784, …) whose neighbouring features correlate
(:func:`~deepclust_lab.autoencoder.pixel_correlation`), or ``image_shape`` given —
``augment="auto"`` trains every autoencoder (and DEC / IDEC, as DEC-DA does) on randomly shifted
and rotated copies. After a fit, ``recipe_`` says what was chosen and why.

**Scale.** Nothing is ``n x n``; training and prediction go in batches. Measurements:
``benchmarks/results/`` and the README.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Iterable, Sequence
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.utils.validation import check_is_fitted

from deepclust_lab._checks import (
    as_float32,
    check_choice,
    check_distinct_rows,
    check_float,
    check_int,
    check_n_clusters,
    check_random_state,
    unit_exponent,
    validate_X,
)
from deepclust_lab.recipes import METHODS

__all__ = ["DEFAULT_METHOD", "METHODS", "PRESETS", "DeepClusterer", "Preset", "Settings"]

DEFAULT_METHOD = "manifold"
EMBEDS: tuple[str, ...] = ("auto", "raw", "autoencoder", "both")
_AE_METHODS = ("ae-kmeans", "dec", "idec", "n2d")
_UMAP_METHODS = ("n2d", "manifold")
#: ``pixel_correlation`` above this: the features are pixels (images 0.4-0.7, tables about 0).
IMAGE_CORRELATION = 0.2


@dataclasses.dataclass(frozen=True)
class Preset:
    """Defaults that ``preset`` fills in for the parameters left at None."""

    hidden: tuple[int, ...]
    epochs: int  # autoencoder epochs of the AE methods
    embed_epochs: int  # autoencoder epochs in front of "manifold"
    max_iter: int  # DEC / IDEC batches


PRESETS: dict[str, Preset] = {
    "fast": Preset(hidden=(128, 64), epochs=30, embed_epochs=10, max_iter=300),
    "full": Preset(hidden=(500, 500, 2000), epochs=100, embed_epochs=80, max_iter=2000),
}


@dataclasses.dataclass(frozen=True)
class Settings:
    """Every parameter of one fit, checked and with the preset filled in."""

    method: str
    n_clusters: int
    embedding_dim: int
    hidden: tuple[int, ...]
    epochs: int
    batch_size: int
    kind: str
    image_shape: tuple[int, int] | None
    augment: bool
    embed: str
    n_neighbors: int
    gamma: float
    update_interval: int
    tol: float
    max_iter: int
    random_state: int
    distribution: str | None

    @property
    def trains_autoencoder(self) -> bool:
        return self.method in _AE_METHODS or self.embed != "raw"


def _resolve_seed(random_state: Any) -> int:
    """An int seed for Keras / UMAP from ``random_state`` (int, Generator, RandomState, None)."""
    if isinstance(random_state, Integral) and not isinstance(random_state, bool):
        check_random_state(random_state)  # the range check
        return int(random_state)
    rng = check_random_state(random_state)
    return int(rng.integers(0, 2**31 - 1) if isinstance(rng, np.random.Generator)
               else rng.randint(0, 2**31 - 1))


def _check_callbacks(callbacks: Any) -> None:
    """None, a Keras callback, or a list of them (checked here, before any training)."""
    if callbacks is None:
        return
    items = [callbacks] if hasattr(callbacks, "on_epoch_end") else callbacks
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable) or not all(
            hasattr(cb, "on_epoch_end") for cb in items):
        raise TypeError("callbacks must be a keras.callbacks.Callback or a list of them, "
                        f"got {callbacks!r}")


def _image_shape(given: Any, X: np.ndarray, needed: bool) -> tuple[tuple[int, int] | None, str]:
    """The images' (height, width), or None for non-image data; and how that was decided."""
    from deepclust_lab.images import infer_image_shape, pixel_correlation

    n_features = X.shape[1]
    if given is not None:
        if isinstance(given, (str, bytes)) or not isinstance(given, Sequence):
            raise TypeError(f"image_shape must be (height, width), such as (28, 28), got {given!r}")
        shape = tuple(check_int(v, "image_shape", low=1) for v in given)
        if len(shape) == 3 and shape[2] == 1:
            shape = shape[:2]
        if len(shape) != 2 or math.prod(shape) != n_features:
            raise ValueError(
                f"image_shape {tuple(given)!r} has {math.prod(shape)} pixels, but X has "
                f"{n_features} features; give (height, width) with height * width = {n_features}"
            )
        return shape, f"image_shape={shape[0]}x{shape[1]} given"
    shape = infer_image_shape(n_features)
    if shape is None:
        if needed:
            raise ValueError(
                f"augmentation and kind='conv' need images: {n_features} features is not a "
                f"square number of pixels, so give image_shape=(height, width)"
            )
        return None, f"{n_features} features are not a square image"
    corr = pixel_correlation(X, shape)
    if corr < IMAGE_CORRELATION and not needed:
        return None, f"{n_features} features but neighbouring ones do not correlate ({corr:.2f})"
    return shape, f"{shape[0]}x{shape[1]} images (neighbouring pixels correlate {corr:.2f})"


class DeepClusterer(ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin,
                    BaseEstimator):
    """Cluster data through a learned embedding: AE + K-means, DEC, IDEC, N2D, or the kit's recipe.

    Every method works on ``X / input_scale_``, where ``input_scale_`` is the power of two that
    brings the largest ``|X|`` into (0.5, 1]. Pixels in [0, 1] are left as they are; features of
    any other scale (1e-6 or 1e6) no longer starve or swamp the networks, so multiplying ``X`` by
    a constant changes no label beyond rounding.

    Parameters
    ----------
    n_clusters : int, default 10
    method : str, default "manifold"
        One of :data:`METHODS` (see the module docstring).
    embedding_dim : int, default 10
        Size of the autoencoder's code.
    hidden : sequence of int, optional
        Hidden widths of the dense encoder (the decoder mirrors it); from ``preset`` when None:
        ``(500, 500, 2000)`` (DEC) for "full", ``(128, 64)`` for "fast".
    epochs : int, optional
        Autoencoder epochs; from ``preset`` when None (AE methods 100 full / 30 fast; in front
        of "manifold" 40 / 10).
    batch_size : int, default 256
    kind : {"dense", "conv"}, default "dense"
        ``"conv"`` needs images (``image_shape`` or a square pixel count).
    image_shape : (height, width), optional
        Inferred for square pixel counts whose neighbouring features correlate.
    augment : {"auto", True, False}, default "auto"
        Train on randomly shifted / rotated images (DEC-DA). "auto": whenever the data are images.
    n_neighbors : int, optional
        UMAP neighbours, and the neighbours that vote in :meth:`predict` for UMAP methods;
        30 for "manifold", 20 for "n2d" when None.
    gamma : float, default 0.1
        IDEC's weight of the clustering loss.
    update_interval : int, default 140
    tol : float, default 0.001
    max_iter : int, optional
        DEC / IDEC batches; from ``preset`` when None (2000 full, 300 fast).
    random_state : int, numpy Generator or RandomState, default 0
        Same value -> same labels.
    preset : {"fast", "full"} or None, default None
        Fills the parameters left at None ("full" when None).
    verbose : bool, default False
        Show progress bars while training.
    callbacks : list of keras callbacks, optional
        Forwarded to every training loop, e.g. ``StopTraining``, ``EpochCallback``.
    embed : {"auto", "raw", "autoencoder", "both"}, default "auto"
        Front-end of "manifold": "both" keeps the neighbour links that the raw features and the
        codes agree on; "auto" does that for images it augments, and otherwise tries "raw" and
        "autoencoder" and keeps the one whose clusters reproduce best.
    distribution : {None, "data_parallel"}, default None
        ``"data_parallel"``: train on all local devices with ``keras.distribution.DataParallel``.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
    embedding_ : ndarray of shape (n_samples, n_dims)
        The space that was clustered (or, for UMAP methods, given to UMAP): autoencoder codes,
        or the features ``X / input_scale_`` ("kmeans", "manifold" with the raw front-end).
    input_scale_ : float
        The power of two ``X`` is divided by before anything else.
    manifold_ : ndarray or None
        UMAP coordinates of the training data (UMAP methods).
    autoencoder_, encoder_ : keras.Model or None
    cluster_centers_ : ndarray or None
        Centres in ``embedding_`` space (centroid methods).
    history_ : dict of lists
        ``"loss"`` per autoencoder epoch; ``"dec_loss"`` / ``"delta_label"`` per DEC update.
    recipe_ : dict
        What the fit chose and why: ``front_end``, ``augment``, ``image_shape``,
        ``stability`` of each front-end ("manifold"), and ``summary``.
    n_iter_ : int
        K-means iterations ("kmeans", "ae-kmeans") or DEC / IDEC batches ("dec", "idec");
        absent for the UMAP methods.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Column names, when ``X`` was a DataFrame with string column names.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X = load_digits().data / 16.0
    >>> model = DeepClusterer(10, method="ae-kmeans", preset="fast", random_state=0)
    >>> labels = model.fit_predict(X[:300])  # doctest: +SKIP
    """

    def __init__(
        self,
        n_clusters: int = 10,
        *,
        method: str = DEFAULT_METHOD,
        embedding_dim: int = 10,
        hidden: Sequence[int] | None = None,
        epochs: int | None = None,
        batch_size: int = 256,
        kind: str = "dense",
        image_shape: tuple[int, ...] | None = None,
        augment: bool | str = "auto",
        n_neighbors: int | None = None,
        gamma: float = 0.1,
        update_interval: int = 140,
        tol: float = 1e-3,
        max_iter: int | None = None,
        random_state: Any = 0,
        preset: str | None = None,
        verbose: bool = False,
        callbacks: Sequence[Any] | None = None,
        embed: str = "auto",
        distribution: str | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.method = method
        self.embedding_dim = embedding_dim
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.kind = kind
        self.image_shape = image_shape
        self.augment = augment
        self.n_neighbors = n_neighbors
        self.gamma = gamma
        self.update_interval = update_interval
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state
        self.preset = preset
        self.verbose = verbose
        self.callbacks = callbacks
        self.embed = embed
        self.distribution = distribution

    # ------------------------------------------------------------------ parameters
    def _settings(self, X: np.ndarray) -> tuple[Settings, str]:
        """Checked parameters with the preset filled in (public attributes stay unchanged),
        and a sentence on how the image shape was decided."""
        from deepclust_lab.images import MIN_AUGMENT_WIDTH

        method = check_choice(self.method, "method", METHODS)
        preset = PRESETS["full" if self.preset is None
                         else check_choice(self.preset, "preset", tuple(PRESETS))]
        hidden = preset.hidden if self.hidden is None else self.hidden
        if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
            raise TypeError(f"hidden must be a sequence of layer widths, got {hidden!r}")
        embed = check_choice(self.embed, "embed", EMBEDS)
        if method != "manifold":
            embed = "autoencoder" if method in _AE_METHODS else "raw"
        if not (self.augment == "auto" or isinstance(self.augment, (bool, np.bool_))):
            raise ValueError(f"augment must be 'auto', True or False, got {self.augment!r}")
        kind = check_choice(self.kind, "kind", ("dense", "conv"))
        needs_images = kind == "conv" or self.augment is True
        shape, why = _image_shape(self.image_shape, X, needs_images)
        epochs = self.epochs
        if epochs is None:
            epochs = preset.embed_epochs if method == "manifold" else preset.epochs
        nn = self.n_neighbors if self.n_neighbors is not None else 20 if method == "n2d" else 30
        if method in _UMAP_METHODS and X.shape[0] < 4:
            raise ValueError(f"method={method!r} needs at least 4 samples, got {X.shape[0]}")
        _check_callbacks(self.callbacks)

        augment = shape is not None and (self.augment is True or (
            self.augment == "auto" and min(shape) >= MIN_AUGMENT_WIDTH))
        if embed == "auto" and augment:  # images: both views, the links they agree on
            embed = "both"
        s = Settings(
            method=method,
            n_clusters=check_n_clusters(self.n_clusters, X.shape[0]),
            embedding_dim=check_int(self.embedding_dim, "embedding_dim", low=1),
            hidden=tuple(check_int(h, "hidden", low=1) for h in hidden),
            epochs=check_int(epochs, "epochs", low=1),
            batch_size=check_int(self.batch_size, "batch_size", low=1),
            kind=kind, image_shape=shape,
            augment=augment, embed=embed, n_neighbors=check_int(nn, "n_neighbors", low=2),
            gamma=check_float(self.gamma, "gamma", low=0.0),
            update_interval=check_int(self.update_interval, "update_interval", low=1),
            tol=check_float(self.tol, "tol", low=0.0, high=1.0),
            max_iter=check_int(preset.max_iter if self.max_iter is None else self.max_iter,
                               "max_iter", low=0),
            random_state=_resolve_seed(self.random_state),
            distribution=None if self.distribution is None
            else check_choice(self.distribution, "distribution", ("data_parallel",)),
        )
        check_distinct_rows(X, s.n_clusters)  # last: a parameter's own error comes first
        return s, why

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any = None) -> DeepClusterer:
        """Learn the embedding and the clusters of ``X`` (``y`` is ignored).

        The fitted attributes are set only once the whole fit has succeeded. If the fit fails
        or is interrupted (Ctrl-C raises ``KeyboardInterrupt`` in the middle of training, UMAP
        or the mixtures), the estimator is left *unfitted* — the attributes of an earlier fit
        are removed too — and the error is raised again.
        """
        X = validate_X(self, X, reset=True)
        exponent = unit_exponent(X)
        X = as_float32(X, exponent)
        s, why = self._settings(X)
        try:
            from deepclust_lab.recipes import fit_recipe

            fitted = fit_recipe(X, s, callbacks=self.callbacks, verbose=bool(self.verbose))
        except KeyboardInterrupt as err:
            self._forget()
            raise KeyboardInterrupt("fit interrupted: the DeepClusterer is left unfitted") from err
        except BaseException:
            self._forget()
            raise
        self._forget()
        fitted["recipe_"]["image_shape_reason"] = why
        for name, value in fitted.items():
            setattr(self, name, value)
        self._method, self._n_neighbors = s.method, s.n_neighbors
        self.input_scale_ = float(np.ldexp(1.0, exponent))
        return self

    def _forget(self) -> None:
        """Remove every fitted attribute."""
        for name in [n for n in vars(self) if n.endswith("_") and not n.startswith("__")]:
            del self.__dict__[name]
        for name in ("_method", "_n_neighbors", "_nn"):
            self.__dict__.pop(name, None)

    # ------------------------------------------------------------------ using the fit
    def _check_X(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "labels_")
        X = validate_X(self, X, reset=False)
        return as_float32(X, int(np.frexp(self.input_scale_)[1]) - 1)

    def _embed(self, X: np.ndarray) -> np.ndarray:
        """``X`` in the space of ``embedding_``: the encoder's codes, or ``X`` itself."""
        if self.encoder_ is None or self.recipe_["front_end"] == "raw":
            return X
        from deepclust_lab.training import predict_batched

        return predict_batched(self.encoder_, X).astype(np.float32, copy=False)

    def _vote(self, V: np.ndarray) -> np.ndarray:
        """Distance-weighted vote of the nearest training samples (exact on training points)."""
        from sklearn.neighbors import NearestNeighbors

        if getattr(self, "_nn", None) is None:
            k = min(self._n_neighbors, len(self.embedding_))
            self._nn = NearestNeighbors(n_neighbors=k).fit(self.embedding_)
        out = np.empty(len(V), dtype=np.int64)
        k = int(self.labels_.max()) + 1
        for start in range(0, len(V), 4096):
            dist, idx = self._nn.kneighbors(V[start : start + 4096])
            weight = 1.0 / np.maximum(dist, 1e-12)
            exact = dist[:, 0] <= 1e-6
            weight[exact] = 0.0
            weight[exact, 0] = 1.0
            votes = np.zeros((len(idx), k))
            rows = np.repeat(np.arange(len(idx)), idx.shape[1])
            np.add.at(votes, (rows, self.labels_[idx].ravel()), weight.ravel())
            out[start : start + 4096] = votes.argmax(axis=1)
        return out

    def predict(self, X: Any) -> np.ndarray:
        """Cluster labels for ``X``: the nearest centre, or for UMAP methods the vote of the
        nearest training samples in ``embedding_`` space."""
        from deepclust_lab.kmeans import assign_labels

        V = self._embed(self._check_X(X))
        if self._method in _UMAP_METHODS:
            return self._vote(V)
        return assign_labels(V, self.cluster_centers_)[0].astype(np.int64)

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """Fit and return ``labels_``."""
        return self.fit(X).labels_

    def __sklearn_tags__(self):  # clusterer, transformer, dense input without NaN: the defaults
        tags = super().__sklearn_tags__()
        # On a CPU the same seed gives the same labels; on a GPU, XLA's parallel sums may
        # round differently from run to run, so a network's result can change slightly.
        if self.method != "kmeans":
            import jax

            tags.non_deterministic = jax.default_backend() != "cpu"
        return tags

    @property
    def _n_features_out(self) -> int:  # transform's columns, for get_feature_names_out
        return self.embedding_.shape[1]

    def transform(self, X: Any) -> np.ndarray:
        """Embed ``X`` in the space of ``embedding_`` (codes, or the features themselves)."""
        return self._embed(self._check_X(X))

    # ------------------------------------------------------------------ save / load
    def save(self, path: str | os.PathLike) -> Path:
        """Save to folder ``path`` without pickle; see :func:`deepclust_lab.saving.save_model`."""
        from deepclust_lab.saving import save_model

        check_is_fitted(self, "labels_")
        return save_model(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> DeepClusterer:
        """Load a model written by :meth:`save` (never unpickles)."""
        from deepclust_lab.saving import load_model

        return load_model(cls, path)

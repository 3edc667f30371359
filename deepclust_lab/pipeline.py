"""``DeepClusterer``: embed -> cluster -> (refine), as one scikit-learn estimator.

``method`` picks the recipe:

================  ==========================================================================
``"kmeans"``      K-means on the raw features (the baseline).
``"ae-kmeans"``   Train an autoencoder, K-means on its codes.
``"dec"``         AE + K-means, then DEC refinement (Xie et al. 2016).
``"idec"``        AE + K-means, then IDEC refinement (reconstruction + gamma·KL; Guo et al. 2017).
``"n2d"``         AE codes -> UMAP -> Gaussian mixture (McConville et al. 2020).
``"manifold"``    The default and the kit's best recipe: UMAP to 10 dimensions
                  (``n_neighbors=30``, ``min_dist=0``) of the features — or of autoencoder
                  codes for high-dimensional data, see ``embed`` below — then a Gaussian
                  mixture with ``2k`` components, merged greedily down to ``k`` clusters by
                  modularity on UMAP's fuzzy k-nearest-neighbour graph (Clauset, Newman &
                  Moore 2004); of ``n_runs`` UMAP seeds x 2 mixture initialisations the
                  candidate with the highest modularity (fewest cut edges) wins.
================  ==========================================================================

**The front-end of "manifold"** (``embed``). ``"raw"``: UMAP on the features. ``"autoencoder"``:
first train a dense autoencoder (DEC's ``d-500-500-2000-10`` in the "full" preset, 40 epochs;
``d-128-64-10``, 10 epochs in "fast"), then UMAP on its codes, as N2D does. ``"auto"`` (the
default) trains the autoencoder when there are at least :data:`AUTO_AUTOENCODER_FEATURES` = 400
features, and uses the raw features below that. Measured here (2 CPU cores, seed 0):

* digits (1797 x 64): UMAP on the raw pixels is best (0.966 ACC, full recipe); an autoencoder
  first lowers UMAP + GMM from 0.95 to about 0.90 — so below 400 features, "raw".
* Fashion-MNIST test (10 000 x 784), one UMAP run: raw pixels 0.574; autoencoder codes after
  15 / 25 / 40 epochs 0.587 / 0.637 / 0.690; 40 epochs on copies shifted by up to ±2 px
  (DEC-DA's augmentation) 0.546 — so the default does not augment (``augment=True`` still
  can). On its first 2 000 images: raw 0.523, autoencoder 0.568. The full recipe (3 UMAP
  runs) gave 0.642: there, the highest-modularity candidate was not the most accurate one.
  That fit took 307 CPU seconds (40 epochs ≈ 120, each UMAP run ≈ 40–45); on an idle 2-core
  machine we estimate 3–4 minutes of wall time (the network uses both cores, UMAP one) — an
  estimate, as the machine was shared when it was measured.

The threshold lies between the measured sizes (64 and 784 features); it was not tuned further.

**Scale.** Nothing is ``n x n``: the autoencoder trains and predicts in batches, UMAP's graph is
sparse (about ``n * n_neighbors`` edges) and the modularity merge works on ``(2k) x (2k)``
cluster sums of it; :meth:`DeepClusterer.predict` and :meth:`DeepClusterer.transform` go
through the data 4096 rows at a time. ``benchmarks/scale.py`` measures time and peak memory
for 10 000 to 70 000 MNIST-sized samples.

**Several devices.** ``distribution="data_parallel"`` builds and trains the autoencoder (and
the DEC / IDEC model) under ``keras.distribution.DataParallel`` over
``keras.distribution.list_devices()`` — all local GPUs, TPUs, or CPU devices — so each batch is
split across the devices and the weights are replicated; batches are made to split evenly (see
:func:`~deepclust_lab.autoencoder.train_autoencoder`). With a single device it does exactly
what ``None`` does. It needs a backend with Keras' distribution API (JAX, the kit's default).

Predicting new data: centroid methods assign the nearest centre in the embedding (for DEC/IDEC
that is ``argmax_j q_ij``). UMAP-based methods (``"n2d"``, ``"manifold"``) predict a new sample by
a distance-weighted vote of its ``n_neighbors`` nearest training samples in the space UMAP was fit
on (codes or features), so a training sample gets its own label back and predictions are the
same before and after :meth:`DeepClusterer.save` / :meth:`DeepClusterer.load` (UMAP itself
cannot be stored without pickle, which the kit never uses).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from deepclust_lab._checks import (
    as_float_matrix,
    check_choice,
    check_float,
    check_int,
    check_n_clusters,
)

__all__ = ["DEFAULT_METHOD", "METHODS", "PRESETS", "DeepClusterer"]

METHODS: tuple[str, ...] = ("kmeans", "ae-kmeans", "dec", "idec", "n2d", "manifold")
#: The kit's best recipe (see benchmarks/results/clustering_quality_digits.md).
DEFAULT_METHOD = "manifold"

#: Values that ``preset`` fills in for parameters left at ``None``.
PRESETS: dict[str, dict[str, Any]] = {
    "fast": {"hidden": (128, 64), "epochs": 30, "embed_epochs": 10, "maxiter": 300, "n_runs": 1},
    "full": {"hidden": (500, 500, 2000), "epochs": 100, "embed_epochs": 40, "maxiter": 2000,
             "n_runs": 3},
}
_DEFAULT_PRESET = "full"
_FORMAT = "deepclust-lab/DeepClusterer"
_FORMAT_VERSION = 1
_AE_METHODS = ("ae-kmeans", "dec", "idec", "n2d")
_OVERCLUSTER = 2  # "manifold": mixture components per cluster before merging
_MIXTURE_INITS = 2  # "manifold": mixture initialisations per UMAP run
_UMAP_METHODS = ("n2d", "manifold")
EMBEDS: tuple[str, ...] = ("auto", "raw", "autoencoder")
DISTRIBUTIONS: tuple[str, ...] = ("data_parallel",)
#: "manifold", ``embed="auto"``: train an autoencoder first from this many features on.
AUTO_AUTOENCODER_FEATURES = 400
#: Fitted attributes (public, then private) that :meth:`DeepClusterer.fit` sets together.
_FITTED = ("n_features_in_", "labels_", "embedding_", "manifold_", "cluster_centers_",
           "history_", "autoencoder_", "encoder_")
_PRIVATE = ("_method", "_embed", "_space", "_nn")


def _resolve_seed(random_state: Any) -> int:
    """An int seed for Keras / UMAP from ``random_state`` (int, Generator, RandomState, None)."""
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    if random_state is None or isinstance(random_state, np.random.RandomState):
        return int(check_random_state(random_state).randint(0, 2**31 - 1))
    return check_int(random_state, "random_state", low=0)


def _kmeans(Z: np.ndarray, k: int, seed: int, n_init: int) -> np.ndarray:
    """K-means centres: the kit's own KMeans when present, else scikit-learn's."""
    try:
        from deepclust_lab.kmeans import KMeans
    except ImportError:
        from sklearn.cluster import KMeans
    return np.asarray(KMeans(k, n_init=n_init, random_state=seed).fit(Z).cluster_centers_)


def _nearest_center(Z: np.ndarray, centers: np.ndarray, batch: int = 8192) -> np.ndarray:
    """Index of the nearest centre for each row, in batches (memory O(batch × k))."""
    c2 = np.sum(centers**2, axis=1)
    out = np.empty(len(Z), dtype=np.int64)
    for s in range(0, len(Z), batch):
        z = Z[s : s + batch]
        out[s : s + batch] = np.argmin(c2[None, :] - 2.0 * z @ centers.T, axis=1)
    return out


def _merge_by_modularity(graph: Any, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """Merge clusters greedily, always the pair whose union raises modularity most, until
    ``n_clusters`` remain (the agglomerative step of Clauset, Newman & Moore 2004, applied to
    the clusters of an over-segmentation). Works on cluster-level sums: O(edges + K^3)."""
    import scipy.sparse as sp

    _, labels = np.unique(labels, return_inverse=True)
    n, kk = len(labels), int(labels.max()) + 1
    member = sp.csr_matrix((np.ones(n), (np.arange(n), labels)), shape=(n, kk))
    total = graph.sum()
    between = np.asarray((member.T @ graph @ member).todense()) / total  # e_ij
    degree = member.T @ np.asarray(graph.sum(axis=1)).ravel() / total  # a_i
    owner = np.arange(kk)  # cluster that each original cluster has been merged into
    alive = list(range(kk))
    while len(alive) > n_clusters:
        sub = np.ix_(alive, alive)
        gain = between[sub] - np.outer(degree[alive], degree[alive])  # dQ / 2 of merging i, j
        np.fill_diagonal(gain, -np.inf)
        a, b = np.unravel_index(np.argmax(gain), gain.shape)
        i, j = alive[a], alive[b]
        between[i, :] += between[j, :]
        between[:, i] += between[:, j]
        degree[i] += degree[j]
        owner[owner == j] = i
        alive.remove(j)
    _, final = np.unique(owner, return_inverse=True)
    return final[labels]


def _modularity(graph: Any, labels: np.ndarray) -> float:
    """Newman's modularity of ``labels`` on a symmetric sparse weighted graph."""
    import scipy.sparse as sp

    n, k = len(labels), int(labels.max()) + 1
    member = sp.csr_matrix((np.ones(n), (np.arange(n), labels)), shape=(n, k))
    total = graph.sum()
    within = (member.T @ graph @ member).diagonal().sum() / total
    degree = member.T @ np.asarray(graph.sum(axis=1)).ravel() / total
    return float(within - np.sum(degree**2))


def _encode(encoder: Any, X: np.ndarray) -> np.ndarray:
    """Autoencoder codes of ``X``, predicted in batches of 1024."""
    from deepclust_lab.autoencoder import _predict

    return _predict(encoder, X).astype(np.float32, copy=False)


@contextlib.contextmanager
def _distribution_scope(distribution: str | None) -> Iterator[None]:
    """Build and train Keras models under ``keras.distribution.DataParallel`` over every local
    device (CPU cores made into devices by XLA, GPUs, TPUs) — or do nothing when
    ``distribution`` is None or there is only one device."""
    if distribution is None:
        yield
        return
    import keras

    devices = keras.distribution.list_devices()
    if len(devices) < 2:
        yield
        return
    with keras.distribution.DataParallel(devices=devices).scope():
        yield


def _manifold_search(
    Z: np.ndarray,
    n_clusters: int,
    *,
    n_neighbors: int = 30,
    n_runs: int = 1,
    seed: int = 0,
    on_run: Callable[[int, float], bool] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """The "manifold" recipe on ``Z`` (features or codes).

    For each of ``n_runs`` UMAP seeds: UMAP to 10 dimensions (``min_dist=0``), then
    :data:`_MIXTURE_INITS` Gaussian mixtures with ``2 * n_clusters`` full-covariance components,
    each over-segmentation merged down to ``n_clusters`` by :func:`_merge_by_modularity` on
    UMAP's fuzzy kNN graph of ``Z``; the candidate with the highest modularity on that graph
    wins. ``on_run(run, best_modularity)`` is called after each UMAP run and may return True
    to stop early. Memory: the graph is sparse (``n * n_neighbors`` edges); nothing is
    ``n x n``. Returns ``(labels, umap_coordinates, modularity of every candidate)``.
    """
    import umap  # lazily: its first use compiles for ~15 s
    from sklearn.mixture import GaussianMixture

    n_components = min(_OVERCLUSTER * n_clusters, Z.shape[0])
    graph, best, scores = None, None, []
    for run in range(n_runs):
        reducer = umap.UMAP(
            n_components=10, n_neighbors=min(n_neighbors, Z.shape[0] - 1),
            min_dist=0.0, random_state=seed + 1000 * run, n_jobs=1,
        )
        E = reducer.fit_transform(Z)
        if graph is None:  # the data's fuzzy kNN graph (symmetric); shared by every run
            graph = reducer.graph_.tocsr()
        for init in range(_MIXTURE_INITS):
            gmm = GaussianMixture(
                n_components, covariance_type="full", random_state=seed + 10 * run + init
            )
            labels = _merge_by_modularity(graph, gmm.fit(E).predict(E), n_clusters)
            score = _modularity(graph, labels)
            scores.append(score)
            if best is None or score > best[0]:
                best = (score, labels, E)
        if on_run is not None and on_run(run, best[0]):
            break
    return best[1].astype(np.int64), np.asarray(best[2], dtype=np.float32), scores


class DeepClusterer(ClusterMixin, BaseEstimator):
    """Cluster data through a learned embedding: AE + K-means, DEC, IDEC, N2D, or UMAP + GMM.

    Parameters
    ----------
    n_clusters : int, default 10
    method : str, default "manifold"
        One of :data:`METHODS` (see the module docstring). ``"manifold"`` is the kit's best
        recipe on the benchmarks and the default.
    embedding_dim : int, default 10
        Size of the autoencoder's code.
    hidden : sequence of int, optional
        Hidden widths of the dense encoder (decoder mirrors it). From ``preset`` when None:
        ``(500, 500, 2000)`` (DEC) for "full", ``(128, 64)`` for "fast".
    epochs : int, optional
        Autoencoder epochs; from ``preset`` when None: 100 full, 30 fast for the AE methods;
        40 full, 10 fast for the autoencoder in front of "manifold".
    batch_size : int, default 256
    kind : {"dense", "conv"}, default "dense"
        ``"conv"`` needs ``image_shape``.
    image_shape : tuple, optional
        E.g. ``(28, 28)``; used by ``kind="conv"`` and by ``augment``.
    augment : bool, default False
        Train the autoencoder on randomly shifted images (±1 px for images up to 16 px wide,
        ±2 px otherwise; DEC-DA). Needs ``image_shape``.
    n_neighbors : int, optional
        UMAP neighbours (and the neighbours that vote in :meth:`predict` for UMAP methods);
        30 for "manifold", 20 for "n2d" when None.
    gamma : float, default 0.1
        IDEC's weight of the clustering loss.
    update_interval : int, default 140
    tol : float, default 0.001
    maxiter : int, optional
        DEC/IDEC batches; from ``preset`` when None (2000 full, 300 fast).
    n_runs : int, optional
        "manifold": number of UMAP embeddings (each with 2 mixture initialisations) to choose
        from; from ``preset`` when None (3 full, 1 fast).
    random_state : int, numpy Generator or RandomState, default 0
        Same value -> same labels.
    preset : {"fast", "full"} or None, default None
        Fills the parameters left at None ("full" when None).
    verbose : bool, default False
        Show progress bars (``tqdm.auto``) while training.
    callbacks : list of keras callbacks, optional
        Forwarded to the autoencoder and DEC/IDEC training, e.g.
        :class:`~deepclust_lab.autoencoder.StopTraining`,
        :class:`~deepclust_lab.autoencoder.EpochCallback`; "manifold" calls
        ``on_epoch_end(run, {"modularity": best})`` after each UMAP run.
    embed : {"auto", "raw", "autoencoder"}, default "auto"
        Front-end of "manifold" (ignored by the other methods): UMAP on the features, on
        autoencoder codes, or — "auto" — codes from :data:`AUTO_AUTOENCODER_FEATURES` = 400
        features on (see the module docstring for the measurements behind it).
    distribution : {None, "data_parallel"}, default None
        ``"data_parallel"``: train on all local devices with
        ``keras.distribution.DataParallel`` (see the module docstring).

    Notes
    -----
    A fit that fails or is interrupted (Ctrl-C) leaves the estimator unfitted: see :meth:`fit`.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
    embedding_ : ndarray of shape (n_samples, n_dims)
        The representation that was clustered: autoencoder codes (AE methods), the UMAP
        coordinates ("manifold"), or the features themselves ("kmeans"). For "n2d" the AE
        codes; its UMAP coordinates are in ``manifold_``.
    manifold_ : ndarray or None
        UMAP coordinates of the training data (UMAP methods).
    autoencoder_, encoder_ : keras.Model or None
        The trained autoencoder (AE methods, and "manifold" with an autoencoder front-end).
    cluster_centers_ : ndarray or None
        Centres in ``embedding_`` space (centroid methods).
    history_ : dict of lists
        ``"loss"`` per autoencoder epoch; ``"dec_loss"`` and ``"delta_label"`` per DEC/IDEC
        target update; ``"modularity"`` of each "manifold" candidate.
    n_features_in_ : int

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
        augment: bool = False,
        n_neighbors: int | None = None,
        gamma: float = 0.1,
        update_interval: int = 140,
        tol: float = 1e-3,
        maxiter: int | None = None,
        n_runs: int | None = None,
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
        self.maxiter = maxiter
        self.n_runs = n_runs
        self.random_state = random_state
        self.preset = preset
        self.verbose = verbose
        self.callbacks = callbacks
        self.embed = embed
        self.distribution = distribution

    # ------------------------------------------------------------------ parameters
    def _settings(self, n_samples: int, n_features: int) -> dict[str, Any]:
        """Validated parameters with the preset filled in (public attributes stay unchanged)."""
        method = check_choice(self.method, "method", METHODS)
        preset = PRESETS[
            _DEFAULT_PRESET if self.preset is None
            else check_choice(self.preset, "preset", tuple(PRESETS))
        ]

        def pick(name: str) -> Any:
            value = getattr(self, name)
            return preset[name] if value is None else value

        hidden = pick("hidden")
        if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
            raise TypeError(f"hidden must be a sequence of layer widths, got {hidden!r}")
        s = {
            "method": method,
            "k": check_n_clusters(self.n_clusters, n_samples),
            "embedding_dim": check_int(self.embedding_dim, "embedding_dim", low=1),
            "hidden": tuple(check_int(h, "hidden", low=1) for h in hidden),
            "epochs": check_int(pick("epochs"), "epochs", low=1),
            "batch_size": check_int(self.batch_size, "batch_size", low=1),
            "kind": check_choice(self.kind, "kind", ("dense", "conv")),
            "gamma": check_float(self.gamma, "gamma", low=0.0),
            "update_interval": check_int(self.update_interval, "update_interval", low=1),
            "tol": check_float(self.tol, "tol", low=0.0, high=1.0),
            "maxiter": check_int(pick("maxiter"), "maxiter", low=0),
            "n_runs": check_int(pick("n_runs"), "n_runs", low=1),
            "seed": _resolve_seed(self.random_state),
        }
        embed = check_choice(self.embed, "embed", EMBEDS)
        if method != "manifold":
            embed = "autoencoder" if method in _AE_METHODS else "raw"
        elif embed == "auto":
            embed = "autoencoder" if n_features >= AUTO_AUTOENCODER_FEATURES else "raw"
        s["embed"] = embed
        if method == "manifold" and embed == "autoencoder" and self.epochs is None:
            s["epochs"] = check_int(preset["embed_epochs"], "epochs", low=1)
        s["augment"] = bool(self.augment)
        s["distribution"] = (
            None if self.distribution is None
            else check_choice(self.distribution, "distribution", DISTRIBUTIONS)
        )
        nn = self.n_neighbors
        if nn is None:
            nn = 20 if method == "n2d" else 30
        s["n_neighbors"] = check_int(nn, "n_neighbors", low=2)
        if (self.kind == "conv" or self.augment) and self.image_shape is None:
            raise ValueError("kind='conv' and augment=True need image_shape, e.g. (28, 28)")
        if method in _UMAP_METHODS and n_samples < 4:
            raise ValueError(f"method={method!r} needs at least 4 samples, got {n_samples}")
        return s

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any = None) -> DeepClusterer:
        """Learn the embedding and the clusters of ``X`` (``y`` is ignored).

        Everything is fitted into a fresh state and the fitted attributes are set only once
        the whole fit has succeeded. If the fit fails or is interrupted (Ctrl-C raises
        ``KeyboardInterrupt`` in the middle of training, UMAP or the mixtures), the estimator
        is left *unfitted* — the attributes of an earlier fit are removed too, so nothing
        half-fitted or stale remains — and the error is raised again.
        """
        X = as_float_matrix(X).astype(np.float32, copy=False)
        s = self._settings(*X.shape)
        try:
            fitted = self._fit(X, s)
        except KeyboardInterrupt as err:
            self._forget()
            raise KeyboardInterrupt(
                "fit interrupted: the DeepClusterer is left unfitted"
            ) from err
        except BaseException:
            self._forget()
            raise
        self._forget()
        for name, value in fitted.items():
            setattr(self, name, value)
        return self

    def _forget(self) -> None:
        """Remove every fitted attribute (public and private)."""
        for name in (*_FITTED, *_PRIVATE):
            self.__dict__.pop(name, None)

    def _fit(self, X: np.ndarray, s: dict) -> dict[str, Any]:
        """The whole fit, into a dict of attribute values (``self`` is not touched)."""
        out: dict[str, Any] = dict.fromkeys((*_FITTED, *_PRIVATE))
        out.update(n_features_in_=X.shape[1], history_={}, _method=s["method"],
                   _embed=s["embed"])
        Z = X
        if s["method"] in _AE_METHODS or s["embed"] == "autoencoder":
            with _distribution_scope(s["distribution"]):
                ae, enc, hist = self._train_autoencoder(X, s)
            out.update(autoencoder_=ae, encoder_=enc)
            out["history_"].update(hist)
            Z = _encode(enc, X)
        method = s["method"]
        if method in ("kmeans", "ae-kmeans"):
            centers = _kmeans(Z, s["k"], s["seed"], n_init=10).astype(np.float32)
            out.update(cluster_centers_=centers, embedding_=Z,
                       labels_=_nearest_center(Z, centers))
        elif method in ("dec", "idec"):
            with _distribution_scope(s["distribution"]):
                centers, hist = self._refine(X, Z, out["autoencoder_"], out["encoder_"], s)
            Z = _encode(out["encoder_"], X)
            out["history_"].update(hist)
            out.update(cluster_centers_=centers, embedding_=Z,
                       labels_=_nearest_center(Z, centers))
        elif method == "n2d":
            from deepclust_lab.deep import n2d_manifold_cluster

            labels, reducer, _ = n2d_manifold_cluster(
                Z, s["k"], n_neighbors=s["n_neighbors"], min_dist=0.0, random_state=s["seed"]
            )
            out.update(embedding_=Z, manifold_=np.asarray(reducer.embedding_, dtype=np.float32),
                       labels_=labels.astype(np.int64), _space=Z)
        else:
            labels, E, scores = self._manifold(Z, s)
            out["history_"]["modularity"] = scores
            out.update(labels_=labels, embedding_=E, manifold_=E, _space=Z)
        return out

    def _train_autoencoder(self, X: np.ndarray, s: dict) -> tuple[Any, Any, dict]:
        from deepclust_lab.autoencoder import augment_images, build_autoencoder, train_autoencoder

        sizes = (*s["hidden"], s["embedding_dim"])
        if s["kind"] == "conv":
            sizes = (32, 64, 128, s["embedding_dim"]) if self.hidden is None else sizes
        ae, enc = build_autoencoder(
            X.shape[1], sizes, kind=s["kind"], image_shape=self.image_shape, seed=s["seed"]
        )
        augment = None
        if s["augment"]:
            shape = tuple(self.image_shape)
            shift = 1 if max(shape[:2]) <= 16 else 2

            def augment(batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
                return augment_images(batch, shape, max_shift=shift, random_state=rng)

        hist = train_autoencoder(
            ae, X, epochs=s["epochs"], batch_size=s["batch_size"], seed=s["seed"],
            callbacks=self.callbacks, progress=bool(self.verbose), augment=augment,
        )
        return ae, enc, hist

    def _refine(
        self, X: np.ndarray, Z: np.ndarray, ae: Any, enc: Any, s: dict
    ) -> tuple[np.ndarray, dict]:
        """DEC / IDEC refinement from K-means on the codes: (centres, history entries)."""
        from deepclust_lab.deep import DEC, IDEC

        centers = _kmeans(Z, s["k"], s["seed"], n_init=20)
        opts = {
            "update_interval": s["update_interval"], "tol": s["tol"], "maxiter": s["maxiter"],
            "batch_size": s["batch_size"], "seed": s["seed"],
        }
        if s["method"] == "dec":
            model = DEC(enc, s["k"], **opts)
        else:
            model = IDEC(ae, enc, s["k"], gamma=s["gamma"], **opts)
        model.fit(X, initial_centers=centers, callbacks=self.callbacks, progress=bool(self.verbose))
        hist = {"dec_loss": model.history_["loss"], "delta_label": model.history_["delta_label"]}
        return model.cluster_centers_.astype(np.float32), hist

    def _manifold(self, Z: np.ndarray, s: dict) -> tuple[np.ndarray, np.ndarray, list[float]]:
        """UMAP -> GaussianMixture(2k) -> modularity merge, best of ``n_runs`` x inits."""
        from deepclust_lab.autoencoder import StopTraining, _callback_list

        # no network is trained here: callbacks see one "epoch" per UMAP run, and a
        # StopTraining request ends the search after the current run (keeping the best so far)
        cbs = _callback_list(self.callbacks, bool(self.verbose), "UMAP runs")
        for cb in cbs:
            cb.set_params({"epochs": s["n_runs"], "steps": 1, "verbose": 0})
            cb.on_train_begin()

        def on_run(run: int, best: float) -> bool:
            for cb in cbs:
                cb.on_epoch_end(run, {"modularity": best})
            return any(isinstance(cb, StopTraining) and cb.requested for cb in cbs)

        labels, E, scores = _manifold_search(
            Z, s["k"], n_neighbors=s["n_neighbors"], n_runs=s["n_runs"], seed=s["seed"],
            on_run=on_run,
        )
        for cb in cbs:
            cb.on_train_end()
        return labels, E, scores

    # ------------------------------------------------------------------ using the fit
    def _check_X(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "labels_")
        X = as_float_matrix(X).astype(np.float32, copy=False)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but this DeepClusterer was fitted on "
                f"{self.n_features_in_}"
            )
        return X

    def _neighbours(self, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from sklearn.neighbors import NearestNeighbors

        if getattr(self, "_nn", None) is None:
            k = min(self._n_neighbors(), len(self._space))
            self._nn = NearestNeighbors(n_neighbors=k).fit(self._space)
        return self._nn.kneighbors(V)

    def _n_neighbors(self) -> int:
        if self.n_neighbors is not None:
            return int(self.n_neighbors)
        return 20 if self._method == "n2d" else 30

    def _space_of(self, X: np.ndarray) -> np.ndarray:
        """``X`` in the space UMAP was fitted on: codes when an autoencoder came first."""
        return _encode(self.encoder_, X) if self._embed == "autoencoder" else X

    def _vote(self, X: np.ndarray) -> np.ndarray:
        """Distance-weighted vote of the nearest training samples (exact on training points)."""
        V = self._space_of(X)
        out = np.empty(len(V), dtype=np.int64)
        k = int(self.labels_.max()) + 1
        for s in range(0, len(V), 4096):
            dist, idx = self._neighbours(V[s : s + 4096])
            weight = 1.0 / np.maximum(dist, 1e-12)
            exact = dist[:, 0] <= 1e-6
            weight[exact] = 0.0
            weight[exact, 0] = 1.0
            votes = np.zeros((len(idx), k))
            np.add.at(votes, (np.repeat(np.arange(len(idx)), idx.shape[1]), self.labels_[idx].ravel()),
                      weight.ravel())
            out[s : s + 4096] = votes.argmax(1)
        return out

    def predict(self, X: Any) -> np.ndarray:
        """Cluster labels for ``X`` (nearest centre, or the neighbours' vote for UMAP methods)."""
        X = self._check_X(X)
        if self._method in _UMAP_METHODS:
            return self._vote(X)
        Z = X if self._method == "kmeans" else _encode(self.encoder_, X)
        return _nearest_center(Z, self.cluster_centers_)

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """Fit and return ``labels_``."""
        return self.fit(X).labels_

    def transform(self, X: Any) -> np.ndarray:
        """Embed ``X`` in the space of ``embedding_``.

        AE methods: the encoder's codes. "kmeans": ``X`` itself. "manifold": the UMAP
        coordinates, for new samples the distance-weighted mean of their nearest training
        samples' coordinates (in the features, or in the codes when an autoencoder came
        first; exact for training samples). Computed in batches of 4096 rows.
        """
        X = self._check_X(X)
        if self._method == "kmeans":
            return X
        if self._method != "manifold":
            return _encode(self.encoder_, X)
        V = self._space_of(X)
        out = np.empty((len(V), self.embedding_.shape[1]), dtype=np.float32)
        for s in range(0, len(V), 4096):
            dist, idx = self._neighbours(V[s : s + 4096])
            weight = 1.0 / np.maximum(dist, 1e-12)
            exact = dist[:, 0] <= 1e-6
            weight[exact] = 0.0
            weight[exact, 0] = 1.0
            weight /= weight.sum(1, keepdims=True)
            out[s : s + 4096] = np.einsum("nk,nkd->nd", weight, self.embedding_[idx])
        return out

    # ------------------------------------------------------------------ save / load
    def save(self, path: str | os.PathLike) -> Path:
        """Save to directory ``path``: ``config.json``, ``arrays.npz`` and ``autoencoder.keras``.

        Nothing is pickled: the Keras model uses Keras' own ``.keras`` format, arrays are
        stored with ``allow_pickle=False``, parameters as JSON (``callbacks`` are not saved).
        """
        check_is_fitted(self, "labels_")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        params = self.get_params()
        params["callbacks"] = None
        rs = params["random_state"]
        if not (rs is None or isinstance(rs, int)):
            params["random_state"] = None
        for key in ("hidden", "image_shape"):
            if params[key] is not None:
                params[key] = [int(v) for v in params[key]]
        config = {
            "format": _FORMAT, "version": _FORMAT_VERSION, "params": params,
            "method": self._method, "embed": self._embed,
            "n_features_in": int(self.n_features_in_),
            "has_autoencoder": self.autoencoder_ is not None,
            "history": self.history_,
        }
        arrays = {"labels": self.labels_, "embedding": self.embedding_}
        for name in ("cluster_centers_", "manifold_", "_space"):
            value = getattr(self, name)
            if value is not None:
                arrays[name.strip("_")] = value
        np.savez(path / "arrays.npz", **arrays)
        if self.autoencoder_ is not None:
            self.autoencoder_.save(path / "autoencoder.keras")
        (path / "config.json").write_text(json.dumps(config, indent=2))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> DeepClusterer:
        """Load a model written by :meth:`save` (never unpickles)."""
        import keras

        import deepclust_lab.deep  # noqa: F401  (registers ClusteringLayer for Keras)

        path = Path(path)
        cfg_file = path / "config.json"
        if not cfg_file.is_file():
            raise FileNotFoundError(f"{path} is not a saved DeepClusterer (no config.json)")
        try:
            config = json.loads(cfg_file.read_text())
        except json.JSONDecodeError as err:
            raise ValueError(f"{cfg_file} is not valid JSON: {err}") from None
        if not isinstance(config, dict) or config.get("format") != _FORMAT:
            raise ValueError(f"{path} was not written by DeepClusterer.save")
        if config.get("version") != _FORMAT_VERSION:
            raise ValueError(f"unsupported DeepClusterer format version {config.get('version')!r}")
        params = config["params"]
        for key in ("hidden", "image_shape"):
            if params.get(key) is not None:
                params[key] = tuple(params[key])
        model = cls(**params)
        for name in (*_FITTED, *_PRIVATE):
            setattr(model, name, None)
        model._method = config["method"]
        model._embed = config.get(
            "embed", "autoencoder" if model._method in _AE_METHODS else "raw"
        )
        model.n_features_in_ = config["n_features_in"]
        model.history_ = config["history"]
        with np.load(path / "arrays.npz", allow_pickle=False) as data:
            model.labels_ = data["labels"]
            model.embedding_ = data["embedding"]
            model.cluster_centers_ = data["cluster_centers"] if "cluster_centers" in data else None
            model.manifold_ = data["manifold"] if "manifold" in data else None
            model._space = data["space"] if "space" in data else None
        if config["has_autoencoder"]:
            ae = keras.saving.load_model(path / "autoencoder.keras", safe_mode=True)
            model.autoencoder_ = ae
            model.encoder_ = keras.Model(ae.input, ae.get_layer("code").output)
        return model

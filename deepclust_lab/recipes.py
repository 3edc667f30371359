"""The steps behind :class:`~deepclust_lab.pipeline.DeepClusterer`, one function per method.

:func:`fit_recipe` takes checked data and :class:`~deepclust_lab.pipeline.Settings` and returns
the fitted attributes; it never touches an estimator, so a failed fit leaves nothing behind.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["METHODS", "MIXTURE_INITS", "RAW_MARGIN", "fit_recipe"]

#: Every method :func:`fit_recipe` knows, the baseline first.
METHODS: tuple[str, ...] = ("kmeans", "ae-kmeans", "dec", "idec", "n2d", "manifold")

#: "manifold": the autoencoder front-end is kept only when its clusters reproduce better than
#: the raw features' by at least this much (mean pairwise ARI): a network must earn its place.
RAW_MARGIN = 0.02
#: "manifold": Gaussian-mixture initialisations per UMAP run (the candidates of a front-end).
MIXTURE_INITS = 3


@contextlib.contextmanager
def _distribution_scope(distribution: str | None) -> Iterator[None]:
    """Build and train under ``keras.distribution.DataParallel`` over every local device, or
    do nothing when ``distribution`` is None or there is only one device."""
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


def _autoencoder(X: np.ndarray, s: Any, callbacks: Any, verbose: bool) -> tuple[Any, Any, dict]:
    """Build and train the autoencoder of settings ``s``: (autoencoder, encoder, history)."""
    from deepclust_lab.autoencoder import CONV_SIZES, build_autoencoder, train_autoencoder
    from deepclust_lab.images import augmentation_for

    sizes = (*s.hidden, s.embedding_dim)
    if s.kind == "conv":
        sizes = (*CONV_SIZES[:-1], s.embedding_dim)
    ae, enc = build_autoencoder(X.shape[1], sizes, kind=s.kind, image_shape=s.image_shape,
                                seed=s.random_state)
    hist = train_autoencoder(
        ae, X, epochs=s.epochs, batch_size=s.batch_size, seed=s.random_state,
        callbacks=callbacks, progress=verbose,
        augment=augmentation_for(s.image_shape) if s.augment else None,
    )
    return ae, enc, hist


def _kmeans(Z: np.ndarray, k: int, seed: int, n_init: int) -> tuple[np.ndarray, int]:
    """K-means on ``Z``: (float32 centres, iterations of the kept run)."""
    from deepclust_lab.kmeans import KMeans

    km = KMeans(k, n_init=n_init, random_state=seed).fit(Z)
    return km.cluster_centers_.astype(np.float32), km.n_iter_


def _refine(X: np.ndarray, Z: np.ndarray, ae: Any, enc: Any, s: Any, callbacks: Any,
            verbose: bool) -> tuple[np.ndarray, int, dict]:
    """DEC / IDEC from K-means on the codes: (centres, batches trained, history entries)."""
    from deepclust_lab.dec import DEC, IDEC
    from deepclust_lab.images import augmentation_for

    opts = {
        "update_interval": s.update_interval, "tol": s.tol, "max_iter": s.max_iter,
        "batch_size": s.batch_size, "random_state": s.random_state,
        "augment": augmentation_for(s.image_shape) if s.augment else None,
    }
    model = DEC(enc, s.n_clusters, **opts) if s.method == "dec" else IDEC(
        ae, enc, s.n_clusters, gamma=s.gamma, **opts)
    centers, _ = _kmeans(Z, s.n_clusters, s.random_state, n_init=20)
    model.fit(X, initial_centers=centers, callbacks=callbacks, progress=verbose)
    hist = {"dec_loss": model.history_["loss"], "delta_label": model.history_["delta_label"]}
    return model.cluster_centers_.astype(np.float32), model.n_iter_, hist


def _front_end_candidates(Z: np.ndarray, s: Any, on_run: Callable[[], bool]) -> tuple[list, list, float]:
    """UMAP runs on ``Z`` with :data:`MIXTURE_INITS` mixtures each: (labelings, UMAP coordinates
    of each labeling, stability). ``on_run()`` after each run returns True to stop."""
    from deepclust_lab.manifold import overcluster_candidates, stability, umap_embed

    labelings, coords = [], []
    for run in range(s.n_runs):
        seed = s.random_state + 1000 * run
        E, graph = umap_embed(Z, n_neighbors=s.n_neighbors, random_state=seed)
        found = overcluster_candidates(E, graph, s.n_clusters, n_inits=MIXTURE_INITS,
                                       random_state=seed)
        labelings += found
        coords += [E] * len(found)
        if on_run():
            break
    return labelings, coords, stability(labelings)


def _manifold(X: np.ndarray, codes: np.ndarray | None, s: Any, cbs: list) -> dict[str, Any]:
    """The kit's recipe (see :mod:`deepclust_lab.manifold`)."""
    from deepclust_lab.manifold import consensus_index, self_train
    from deepclust_lab.training import StopTraining

    spaces = {} if s.embed == "autoencoder" else {"raw": X}
    if codes is not None:
        spaces["autoencoder"] = codes
    runs = [0]

    def stop_requested() -> bool:
        return any(isinstance(cb, StopTraining) and cb.requested for cb in cbs)

    def on_run() -> bool:  # callbacks see one "epoch" per UMAP run; Stop keeps what was found
        for cb in cbs:
            cb.on_epoch_end(runs[0], {"candidates": MIXTURE_INITS})
        runs[0] += 1
        return stop_requested()

    found = {}
    for name, Z in spaces.items():
        found[name] = _front_end_candidates(Z, s, on_run)
        if stop_requested():
            break
    stability = {name: round(f[2], 4) for name, f in found.items()}
    front = max(stability, key=stability.get)
    if "raw" in stability and stability[front] - stability["raw"] < RAW_MARGIN:
        front = "raw"
    labelings, coords, _ = found[front]
    best = consensus_index(labelings)
    labels = labelings[best]
    # the CNN learns from augmented images, so only where they are augmented
    self_trained = s.augment and s.self_train_epochs > 0 and not stop_requested()
    if self_trained:
        labels = self_train(X, labels, s.image_shape, epochs=s.self_train_epochs,
                            random_state=s.random_state)
    return {"labels_": labels, "embedding_": spaces[front], "manifold_": coords[best],
            "recipe_": {"front_end": front, "stability": stability, "self_trained": self_trained}}


def _summary(recipe: dict, s: Any) -> str:
    """One sentence on what the fit chose and why."""
    parts = [f"method {s.method}"]
    if "stability" in recipe:
        scores = ", ".join(f"{k} {v:.3f}" for k, v in recipe["stability"].items())
        parts.append(f"front-end {recipe['front_end']} (stability of its clusters: {scores})")
    else:
        parts.append(f"front-end {recipe['front_end']}")
    if s.trains_autoencoder:
        parts.append("augmentation on (shifts and rotations)" if s.augment
                     else "no augmentation")
    if recipe.get("self_trained"):
        parts.append(f"CNN self-training {s.self_train_epochs} epochs")
    return "; ".join(parts)


def fit_recipe(X: np.ndarray, s: Any, *, callbacks: Sequence[Any] | None = None,
               verbose: bool = False) -> dict[str, Any]:
    """Fit method ``s.method`` on float32 ``X``; the fitted attributes as a dict."""
    from deepclust_lab.kmeans import assign_labels
    from deepclust_lab.manifold import n2d_cluster

    out: dict[str, Any] = {
        "n_features_in_": X.shape[1], "history_": {}, "autoencoder_": None, "encoder_": None,
        "cluster_centers_": None, "manifold_": None,
    }
    codes = None
    if s.trains_autoencoder:  # only then is Keras imported: plain K-means stays light
        from deepclust_lab.training import predict_batched

        with _distribution_scope(s.distribution):
            ae, enc, hist = _autoencoder(X, s, callbacks, verbose)
        out.update(autoencoder_=ae, encoder_=enc, history_=dict(hist))
        codes = predict_batched(enc, X).astype(np.float32)
    recipe: dict[str, Any] = {"front_end": "raw" if codes is None else "autoencoder"}
    if s.method in ("kmeans", "ae-kmeans"):
        Z = X if codes is None else codes
        centers, n_iter = _kmeans(Z, s.n_clusters, s.random_state, n_init=10)
        out.update(cluster_centers_=centers, embedding_=Z, labels_=assign_labels(Z, centers)[0],
                   n_iter_=n_iter)
    elif s.method in ("dec", "idec"):
        with _distribution_scope(s.distribution):
            centers, n_iter, hist = _refine(X, codes, out["autoencoder_"], out["encoder_"], s,
                                            callbacks, verbose)
        Z = predict_batched(out["encoder_"], X).astype(np.float32)
        out["history_"].update(hist)
        out.update(cluster_centers_=centers, embedding_=Z, labels_=assign_labels(Z, centers)[0],
                   n_iter_=n_iter)
    elif s.method == "n2d":
        labels, E = n2d_cluster(codes, s.n_clusters, n_neighbors=s.n_neighbors,
                                random_state=s.random_state)
        out.update(embedding_=codes, manifold_=E, labels_=labels)
    else:
        from deepclust_lab.training import callback_list

        cbs = callback_list(callbacks, verbose, "UMAP runs", unit="run")
        n_spaces = 2 if (s.embed == "auto" and codes is not None) else 1
        for cb in cbs:
            cb.set_params({"epochs": n_spaces * s.n_runs, "steps": 1, "verbose": 0})
            cb.on_train_begin()
        found = _manifold(X, codes, s, cbs)
        for cb in cbs:
            cb.on_train_end()
        recipe = found.pop("recipe_")
        out.update(found)
    out["labels_"] = np.asarray(out["labels_"], dtype=np.int64)
    recipe.update(augment=bool(s.augment),
                  image_shape=None if s.image_shape is None else list(s.image_shape))
    recipe["summary"] = _summary(recipe, s)
    out["recipe_"] = recipe
    return out

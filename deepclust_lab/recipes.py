"""The steps behind :class:`~deepclust_lab.pipeline.DeepClusterer`, one function per method.

:func:`fit_recipe` takes checked data and :class:`~deepclust_lab.pipeline.Settings` and returns
the fitted attributes; it never touches an estimator, so a failed fit leaves nothing behind.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["METHODS", "MIXTURE_INITS", "MOVED_COPIES", "RAW_MARGIN", "fit_recipe"]

#: Every method :func:`fit_recipe` knows, the baseline first.
METHODS: tuple[str, ...] = ("kmeans", "ae-kmeans", "dec", "idec", "n2d", "manifold")

#: "manifold": the autoencoder front-end is kept only when its clusters reproduce better than
#: the raw features' by at least this much (mean pairwise ARI): a network must earn its place.
RAW_MARGIN = 0.02
#: "manifold": Gaussian-mixture initialisations per graph (the candidates of a front-end).
MIXTURE_INITS = 3
#: "manifold" on images: moved copies of every image that the neighbour search looks at.
MOVED_COPIES = 8


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


def _moved_copies(X: np.ndarray, s: Any, encoder: Any = None) -> Iterator[np.ndarray]:
    """:data:`MOVED_COPIES` randomly moved copies of the images ``X``, one at a time (or their
    codes, with ``encoder``); the same copies on every call with the same settings."""
    from deepclust_lab.images import augmentation_for
    from deepclust_lab.training import predict_batched

    augment, rng = augmentation_for(s.image_shape), np.random.default_rng(s.random_state)
    for _ in range(MOVED_COPIES):
        copy = augment(X, rng)
        yield copy if encoder is None else predict_batched(encoder, copy).astype(np.float32)


def _manifold(X: np.ndarray, codes: np.ndarray | None, encoder: Any, s: Any,
              step_done: Callable[[], bool]) -> dict[str, Any]:
    """The kit's recipe (see :mod:`deepclust_lab.manifold`). ``step_done()`` after each graph
    returns True when Stop was pressed: the recipe then clusters what it has."""
    from deepclust_lab.manifold import (
        consensus_index,
        fuse_graphs,
        neighbour_graph,
        overcluster_candidates,
        stability,
        umap_embed,
        umap_layout,
    )

    spaces = {"raw": X, "autoencoder": codes}
    # the kit's own neighbour graphs for images (among moved copies) and for "both"; otherwise
    # UMAP's approximate neighbours, which scale to large tables
    own_graphs = s.augment or s.embed == "both"
    found, graphs = {}, {}

    def keep(name: str, E: np.ndarray, graph: Any) -> None:
        found[name] = E, overcluster_candidates(E, graph, s.n_clusters, n_inits=MIXTURE_INITS,
                                                random_state=s.random_state)

    for name in ["raw", "autoencoder"] if s.embed in ("auto", "both") else [s.embed]:
        if not own_graphs:
            keep(name, *umap_embed(spaces[name], n_neighbors=s.n_neighbors,
                                   random_state=s.random_state))
        else:
            moved = (_moved_copies(X, s, encoder if name == "autoencoder" else None)
                     if s.augment else None)
            graphs[name] = neighbour_graph(spaces[name], s.n_neighbors, random_state=s.random_state,
                                           moved=moved)
            if s.embed != "both":
                keep(name, umap_layout(graphs[name], data=spaces[name],
                                       random_state=s.random_state), graphs[name])
        if step_done():
            break
    if s.embed == "both":  # the links both views agree on (the raw view alone after a Stop)
        graph = fuse_graphs(*graphs.values()) if len(graphs) == 2 else graphs["raw"]
        keep(" ∩ ".join(graphs), umap_layout(graph, data=codes if len(graphs) == 2 else X,
                                             random_state=s.random_state), graph)
    scores = {name: round(stability(f[1]), 4) for name, f in found.items()}
    front = max(scores, key=scores.get)
    if "raw" in scores and scores[front] - scores["raw"] < RAW_MARGIN:
        front = "raw"
    E, labelings = found[front]
    return {"labels_": labelings[consensus_index(labelings)],
            "embedding_": X if front == "raw" else codes, "manifold_": E,
            "recipe_": {"front_end": front, "stability": scores}}


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
    if s.method == "manifold" and s.augment:
        parts.append(f"neighbours among {MOVED_COPIES} moved copies of each image")
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
        from deepclust_lab.training import StopTraining, callback_list

        cbs = callback_list(callbacks, verbose, "neighbour graphs", unit="graph")
        for cb in cbs:
            cb.set_params({"epochs": 2 if s.embed in ("auto", "both") else 1, "steps": 1,
                           "verbose": 0})
            cb.on_train_begin()
        done = [0]

        def step_done() -> bool:  # callbacks see one "epoch" per graph; Stop keeps what was found
            done[0] += 1
            for cb in cbs:
                cb.on_epoch_end(done[0] - 1, {"graphs": done[0]})
            return any(isinstance(cb, StopTraining) and cb.requested for cb in cbs)

        found = _manifold(X, codes, out["encoder_"], s, step_done)
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

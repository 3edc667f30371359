"""DEC and IDEC: refine an autoencoder and cluster centres together.

Both start from an autoencoder's codes ``z_i = f(x_i)`` (see :mod:`deepclust_lab.autoencoder`).

**DEC** — Xie, Girshick & Farhadi (2016), "Unsupervised Deep Embedding for Clustering Analysis".
Cluster centres ``mu_j`` live in the code space. The *soft assignment* of sample ``i`` to cluster
``j`` is a Student-t kernel (eq. 1)::

    q_ij = (1 + ||z_i - mu_j||^2 / alpha)^(-(alpha + 1) / 2)  /  sum_j' (same for j')

The *target distribution* (eq. 3) sharpens ``q`` and divides by the soft cluster frequency
``f_j = sum_i q_ij`` so that large clusters do not swallow small ones::

    p_ij = (q_ij^2 / f_j)  /  sum_j' (q_ij'^2 / f_j')

DEC minimises ``L = KL(P || Q) = sum_i sum_j p_ij log(p_ij / q_ij)`` over the encoder weights and
the centres, holding ``P`` fixed for ``update_interval`` batches, then recomputing it; it stops
when fewer than a fraction ``tol`` of the labels ``argmax_j q_ij`` changed between updates.

**IDEC** — Guo, Gao, Liu & Yin (2017), "Improved Deep Embedded Clustering with Local Structure
Preservation". Keeps the decoder during refinement so the codes cannot drift away from the data:
``L = L_rec + gamma * KL(P || Q)`` with ``L_rec = mean ||x - g(f(x))||^2`` and ``gamma = 0.1``.

**Augmentation (DEC-DA)** — Guo, Zhu, Liu & Yin (2018): pass ``augment`` and every training
batch is a randomly shifted / rotated copy of the images, while the targets ``P`` are computed on
the clean images, so the network must give a moved digit the same cluster.

The fit is three named steps, repeated: :meth:`DEC.target_update` (``Q`` on all data, labels,
sharpened ``P``), :meth:`DEC.train_interval` (``update_interval`` batches towards ``P``) and
:meth:`DEC.converged` (fewer than ``tol`` labels changed).

Everything that touches tensors uses ``keras.ops``, so it runs on any Keras backend and on a GPU.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from deepclust_lab._checks import as_float_matrix, check_float, check_int, check_n_clusters
from deepclust_lab.training import callback_list, data_replicas, predict_batched

__all__ = [
    "DEC",
    "IDEC",
    "ClusteringLayer",
    "kl_divergence",
    "soft_assignment",
    "target_distribution",
]


# --------------------------------------------------------------------------------------------
# the maths
# --------------------------------------------------------------------------------------------
def soft_assignment(z: Any, centers: Any, alpha: float = 1.0) -> Any:
    """Student-t soft assignment of codes to centres (DEC, eq. 1).

    ``q_ij = (1 + ||z_i - mu_j||^2 / alpha)^(-(alpha+1)/2)``, normalised so each row sums to 1.

    Parameters
    ----------
    z : tensor or array of shape (n_samples, d)
    centers : tensor or array of shape (n_clusters, d)
    alpha : float, default 1.0
        Degrees of freedom of the Student-t kernel (DEC uses 1).

    Returns
    -------
    q : tensor of shape (n_samples, n_clusters)
        Convert with ``keras.ops.convert_to_numpy`` if you need NumPy.

    Examples
    --------
    >>> import numpy as np
    >>> from keras import ops
    >>> q = soft_assignment(np.zeros((1, 2)), np.array([[0.0, 0.0], [1.0, 0.0]]))
    >>> np.round(ops.convert_to_numpy(q).astype(float), 3).tolist()
    [[0.667, 0.333]]
    """
    z = ops.convert_to_tensor(z, dtype="float32")
    centers = ops.convert_to_tensor(centers, dtype="float32")
    sq_dist = ops.sum(ops.square(ops.expand_dims(z, 1) - ops.expand_dims(centers, 0)), axis=2)
    q = ops.power(1.0 + sq_dist / alpha, -(alpha + 1.0) / 2.0)
    return q / ops.sum(q, axis=1, keepdims=True)


def target_distribution(q: Any) -> Any:
    """DEC's auxiliary target distribution (eq. 3).

    ``p_ij = (q_ij^2 / f_j) / sum_j' (q_ij'^2 / f_j')`` with ``f_j = sum_i q_ij``.

    Examples
    --------
    >>> import numpy as np
    >>> from keras import ops
    >>> p = target_distribution(np.array([[0.6, 0.4], [0.5, 0.5]]))
    >>> np.round(ops.convert_to_numpy(p).astype(float), 3).tolist()
    [[0.648, 0.352], [0.45, 0.55]]
    """
    q = ops.convert_to_tensor(q, dtype="float32")
    weight = ops.square(q) / ops.sum(q, axis=0, keepdims=True)
    return weight / ops.sum(weight, axis=1, keepdims=True)


def kl_divergence(p: Any, q: Any, eps: float = 1e-7) -> Any:
    """``KL(P || Q)`` averaged over samples: ``mean_i sum_j p_ij log(p_ij / q_ij)``.

    Both arguments are clipped to ``[eps, 1]`` first (as Keras' ``KLDivergence`` loss does,
    which DEC/IDEC training uses), so zeros do not give NaN. DEC's paper sums over ``i``; the
    mean differs by the constant ``n`` and has the same minimiser.

    Examples
    --------
    >>> import numpy as np
    >>> from keras import ops
    >>> float(ops.convert_to_numpy(kl_divergence([[0.5, 0.5]], [[0.5, 0.5]])))
    0.0
    """
    p = ops.clip(ops.convert_to_tensor(p, dtype="float32"), eps, 1.0)
    q = ops.clip(ops.convert_to_tensor(q, dtype="float32"), eps, 1.0)
    return ops.mean(ops.sum(p * ops.log(p / q), axis=-1))


@keras.saving.register_keras_serializable(package="deepclust_lab")
class ClusteringLayer(keras.layers.Layer):
    """Keras layer holding trainable cluster centres; outputs DEC's soft assignment ``q``.

    Parameters
    ----------
    n_clusters : int
    alpha : float, default 1.0
    initial_centers : array of shape (n_clusters, d), optional
        Starting centres (e.g. K-means on the codes); otherwise Glorot-uniform.

    Examples
    --------
    >>> import numpy as np
    >>> layer = ClusteringLayer(3, initial_centers=np.eye(3, 4))
    >>> tuple(layer(np.zeros((5, 4))).shape)
    (5, 3)
    """

    def __init__(
        self, n_clusters: int, alpha: float = 1.0, initial_centers: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.n_clusters = int(n_clusters)
        self.alpha = float(alpha)
        self._initial = None if initial_centers is None else np.asarray(initial_centers, "float32")

    def build(self, input_shape: Sequence[int | None]) -> None:
        init = (
            keras.initializers.Constant(self._initial)
            if self._initial is not None
            else keras.initializers.GlorotUniform(seed=0)
        )
        self.centers = self.add_weight(
            name="centers", shape=(self.n_clusters, int(input_shape[-1])), initializer=init
        )

    def call(self, z: Any) -> Any:
        return soft_assignment(z, self.centers, self.alpha)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        return (input_shape[0], self.n_clusters)

    def get_config(self) -> dict:
        return {**super().get_config(), "n_clusters": self.n_clusters, "alpha": self.alpha}


# --------------------------------------------------------------------------------------------
# DEC and IDEC
# --------------------------------------------------------------------------------------------
class DEC:
    """Deep Embedded Clustering (Xie, Girshick & Farhadi 2016), optionally with augmentation.

    Fine-tunes a (pre-trained) encoder together with cluster centres by minimising
    ``KL(P || Q)`` (see the module docstring). Every ``update_interval`` batches the target ``P``
    is recomputed from the whole data set; training stops when fewer than ``tol`` of the hard
    labels changed since the previous update, or after ``max_iter`` batches.

    Parameters
    ----------
    encoder : keras.Model
        Maps ``(n, d)`` to codes; its weights are updated in place.
    n_clusters : int
    alpha : float, default 1.0
    update_interval : int, default 140
        Batches between target updates (DEC-Keras uses 140 on MNIST).
    tol : float, default 0.001
    max_iter : int, default 2000
    batch_size : int, default 256
    optimizer : str or keras optimizer, optional
        DEC's own: ``SGD(learning_rate=0.01, momentum=0.9)`` (Xie et al. 2016). Adam moves the
        encoder faster and, in the kit's benchmark, ends lower (USPS 0.75 against 0.82).
    augment : callable ``(X_batch, rng) -> X_batch``, optional
        DEC-DA: train on augmented batches, e.g.
        :func:`~deepclust_lab.autoencoder.augmentation_for` ``((28, 28))``.
    random_state : int, default 0

    Attributes
    ----------
    model : keras.Model
        ``x -> q`` (the encoder followed by a :class:`ClusteringLayer`).
    labels_ : ndarray of int
    history_ : dict of lists
        ``"loss"`` (mean KL since the previous update) and ``"delta_label"`` per update.
    n_iter_ : int
        Batches trained.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from deepclust_lab.autoencoder import build_autoencoder
    >>> X, _ = make_blobs(200, n_features=4, centers=3, random_state=0)
    >>> ae, enc = build_autoencoder(4, (8, 2))
    >>> dec = DEC(enc, 3, max_iter=20, update_interval=10).fit(X)
    >>> dec.labels_.shape
    (200,)
    """

    def __init__(
        self,
        encoder: keras.Model,
        n_clusters: int,
        *,
        alpha: float = 1.0,
        update_interval: int = 140,
        tol: float = 1e-3,
        max_iter: int = 2000,
        batch_size: int = 256,
        optimizer: str | keras.optimizers.Optimizer | None = None,
        augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
        random_state: int = 0,
    ) -> None:
        self.encoder = encoder
        self.n_clusters = n_clusters
        self.alpha = alpha
        self.update_interval = update_interval
        self.tol = tol
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.augment = augment
        self.random_state = random_state

    # what is trained, and towards what
    def _clustering_head(self, centers: np.ndarray) -> Any:
        """``q`` of the encoder's codes: a :class:`ClusteringLayer` on the encoder's output."""
        layer = ClusteringLayer(self.n_clusters, self.alpha, centers, name="clustering")
        return layer(self.encoder.output)

    def _optimizer(self) -> str | keras.optimizers.Optimizer:
        """``optimizer``, or the paper's when None."""
        if self.optimizer is not None:
            return self.optimizer
        return keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)

    def _build(self, centers: np.ndarray) -> keras.Model:
        q = self._clustering_head(centers)
        model = keras.Model(self.encoder.input, q, name="dec")
        model.compile(optimizer=self._optimizer(), loss="kld")
        self._q_model = model
        return model

    def _batch_targets(self, xb: np.ndarray, pb: np.ndarray) -> Any:
        return pb

    # the three steps of the fit
    def target_update(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Soft assignments of all of ``X``: ``(labels argmax_j q_ij, target P)``."""
        q = predict_batched(self._q_model, X)
        return q.argmax(axis=1), ops.convert_to_numpy(target_distribution(q))

    def train_interval(self, X: np.ndarray, P: np.ndarray, n_batches: int, callbacks: Any) -> float:
        """Train ``n_batches`` random batches towards ``P``; the mean loss (stops early when a
        callback sets ``model.stop_training``)."""
        losses = []
        for step in range(n_batches):
            if self._pos + self._bs > len(X):  # a new pass over the data in a new order
                self._order, self._pos = self._rng.permutation(len(X)), 0
            idx = self._order[self._pos : self._pos + self._bs]
            self._pos += self._bs
            xb = X[idx] if self.augment is None else self.augment(X[idx], self._rng)
            loss = self.model.train_on_batch(xb, self._batch_targets(xb, P[idx]))
            losses.append(float(np.atleast_1d(loss)[0]))
            self.n_iter_ += 1
            callbacks.on_train_batch_end(step, {"loss": losses[-1]})
            if self.model.stop_training:
                break
        return float(np.mean(losses))

    @staticmethod
    def converged(labels: np.ndarray, previous: np.ndarray, tol: float) -> tuple[bool, float]:
        """``(changed fraction < tol, changed fraction)`` between two label vectors."""
        delta = float(np.mean(labels != previous))
        return delta < tol, delta

    def fit(
        self,
        X: Any,
        *,
        initial_centers: Any = None,
        callbacks: Sequence[keras.callbacks.Callback] | None = None,
        progress: bool = False,
    ) -> DEC:
        """Refine the encoder and centres on ``X``.

        ``initial_centers`` default: K-means (20 restarts) on the encoder's codes.
        ``callbacks`` get ``on_train_batch_end`` after every batch (so
        :class:`~deepclust_lab.autoencoder.StopTraining` works) and
        ``on_epoch_end(update, logs)`` after every target update.
        """
        X = as_float_matrix(X).astype(np.float32, copy=False)
        n = X.shape[0]
        k = check_n_clusters(self.n_clusters, n)
        check_float(self.alpha, "alpha", low=0.0, low_inclusive=False)
        interval = check_int(self.update_interval, "update_interval", low=1)
        tol = check_float(self.tol, "tol", low=0.0)
        max_iter = check_int(self.max_iter, "max_iter", low=0)
        seed = check_int(self.random_state, "random_state", low=0)
        replicas = data_replicas()  # data parallel: batches must split evenly over devices
        if n < replicas:
            raise ValueError(f"{replicas} devices need at least {replicas} samples, got {n}")
        bs = min(check_int(self.batch_size, "batch_size", low=1), n)
        self._bs = max(replicas, bs - bs % replicas)
        keras.utils.set_random_seed(seed)
        self._rng = np.random.default_rng(seed)
        self._order, self._pos = self._rng.permutation(n), 0
        if initial_centers is None:
            from deepclust_lab.kmeans import KMeans

            codes = predict_batched(self.encoder, X)
            initial_centers = KMeans(k, n_init=20, random_state=seed).fit(codes).cluster_centers_
        self.model = self._build(np.asarray(initial_centers, dtype="float32"))
        cbs = keras.callbacks.CallbackList(
            callback_list(callbacks, progress, type(self).__name__),
            model=self.model, add_history=False, add_progbar=False,
        )
        cbs.set_params({"epochs": max(1, -(-max_iter // interval)), "steps": interval, "verbose": 0})
        self.model.stop_training = False
        self.history_: dict[str, list[float]] = {"loss": [], "delta_label": []}
        self.n_iter_ = 0
        cbs.on_train_begin()
        labels, P = self.target_update(X)
        while self.n_iter_ < max_iter and not self.model.stop_training:
            loss = self.train_interval(X, P, min(interval, max_iter - self.n_iter_), cbs)
            previous = labels
            labels, P = self.target_update(X)
            done, delta = self.converged(labels, previous, tol)
            self.history_["loss"].append(loss)
            self.history_["delta_label"].append(delta)
            cbs.on_epoch_end(len(self.history_["loss"]) - 1, {"loss": loss, "delta_label": delta})
            if done:
                break
        cbs.on_train_end()
        self.labels_ = labels
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Hard cluster labels ``argmax_j q_ij`` for float32 ``X``."""
        return predict_batched(self._q_model, X).argmax(axis=1)

    @property
    def cluster_centers_(self) -> np.ndarray:
        """Centres in code space, shape ``(n_clusters, code_dim)``."""
        return ops.convert_to_numpy(self.model.get_layer("clustering").centers)


class IDEC(DEC):
    """Improved DEC (Guo, Gao, Liu & Yin 2017): DEC plus the reconstruction loss.

    Minimises ``L = mean_d (x - g(f(x)))^2 + gamma * KL(P || Q)`` (Keras' ``"mse"`` averages
    over the ``d`` features), keeping the decoder so the embedding preserves the local structure
    of the data. Same schedule as :class:`DEC`; with ``augment`` the reconstruction target is
    the augmented batch itself.

    Parameters
    ----------
    autoencoder : keras.Model
        The full autoencoder whose encoder part is ``encoder`` (shared layers).
    encoder : keras.Model
    n_clusters : int
    gamma : float, default 0.1
        Weight of the clustering loss.
    **kwargs
        As for :class:`DEC`; the default ``optimizer`` is IDEC's own, Adam.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from deepclust_lab.autoencoder import build_autoencoder
    >>> idec = IDEC(*build_autoencoder(4, (8, 2)), 3, max_iter=20, update_interval=10)
    >>> idec.fit(make_blobs(200, n_features=4, random_state=0)[0]).history_["loss"][0] > 0
    True
    """

    def __init__(
        self, autoencoder: keras.Model, encoder: keras.Model, n_clusters: int, *,
        gamma: float = 0.1, **kwargs: Any,
    ) -> None:
        super().__init__(encoder, n_clusters, **kwargs)
        self.autoencoder = autoencoder
        self.gamma = gamma

    def _optimizer(self) -> str | keras.optimizers.Optimizer:
        return "adam" if self.optimizer is None else self.optimizer

    def _build(self, centers: np.ndarray) -> keras.Model:
        gamma = check_float(self.gamma, "gamma", low=0.0)
        q = self._clustering_head(centers)
        model = keras.Model(self.encoder.input, [q, self.autoencoder(self.encoder.input)], name="idec")
        model.compile(optimizer=self._optimizer(), loss=["kld", "mse"], loss_weights=[gamma, 1.0])
        self._q_model = keras.Model(self.encoder.input, q)
        return model

    def _batch_targets(self, xb: np.ndarray, pb: np.ndarray) -> Any:
        return (pb, xb)

"""Tests for deepclust_lab.dec (the DEC maths against NumPy, DEC / IDEC refinement) and N2D."""

from __future__ import annotations

import numpy as np
import pytest
from keras import ops
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs

from deepclust_lab.autoencoder import StopTraining, build_autoencoder, train_autoencoder
from deepclust_lab.dec import (
    DEC,
    IDEC,
    ClusteringLayer,
    kl_divergence,
    soft_assignment,
    target_distribution,
)


def _acc(y, p):
    w = np.zeros((max(y.max(), p.max()) + 1,) * 2)
    np.add.at(w, (p, y), 1)
    r, c = linear_sum_assignment(-w)
    return w[r, c].sum() / len(y)


def _q_reference(z, mu, alpha):
    d2 = ((z[:, None, :] - mu[None, :, :]) ** 2).sum(-1)
    q = (1.0 + d2 / alpha) ** (-(alpha + 1.0) / 2.0)
    return q / q.sum(1, keepdims=True)


@pytest.mark.parametrize("alpha", [1.0, 2.5])
def test_soft_assignment_matches_numpy(alpha):
    rng = np.random.default_rng(0)
    z, mu = rng.normal(size=(50, 4)), rng.normal(size=(6, 4))
    q = ops.convert_to_numpy(soft_assignment(z, mu, alpha))
    np.testing.assert_allclose(q, _q_reference(z, mu, alpha), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(q.sum(1), 1.0, rtol=1e-6)


def test_target_distribution_matches_numpy():
    q = np.random.default_rng(1).dirichlet(np.ones(5), size=40)
    f = q.sum(0)
    ref = q**2 / f
    ref /= ref.sum(1, keepdims=True)
    np.testing.assert_allclose(ops.convert_to_numpy(target_distribution(q)), ref, rtol=1e-5)
    # sharper than q: the largest entry of each row grows
    assert (ops.convert_to_numpy(target_distribution(q)).max(1) >= q.max(1) - 1e-6).mean() > 0.9


def test_kl_divergence_matches_numpy_and_keras_loss():
    rng = np.random.default_rng(2)
    p, q = rng.dirichlet(np.ones(4), size=30), rng.dirichlet(np.ones(4), size=30)
    ref = np.mean(np.sum(p * np.log(p / q), axis=1))
    assert float(ops.convert_to_numpy(kl_divergence(p, q))) == pytest.approx(ref, rel=1e-5)
    import keras

    keras_kld = keras.losses.KLDivergence()(p.astype("float32"), q.astype("float32"))
    assert float(ops.convert_to_numpy(keras_kld)) == pytest.approx(ref, rel=1e-4)
    assert float(ops.convert_to_numpy(kl_divergence(p, p))) == pytest.approx(0.0, abs=1e-6)


def test_clustering_layer_uses_its_centres_and_serialises():
    mu = np.random.default_rng(3).normal(size=(3, 2)).astype("float32")
    layer = ClusteringLayer(3, alpha=1.0, initial_centers=mu)
    z = np.random.default_rng(4).normal(size=(10, 2)).astype("float32")
    np.testing.assert_allclose(ops.convert_to_numpy(layer(z)), _q_reference(z, mu, 1.0), rtol=1e-5)
    np.testing.assert_array_equal(ops.convert_to_numpy(layer.centers), mu)
    clone = ClusteringLayer.from_config(layer.get_config())
    assert clone.n_clusters == 3 and clone.alpha == 1.0


@pytest.fixture(scope="module")
def toy():
    """Four overlapping blobs in 20-D: AE + K-means is good but not perfect here."""
    X, y = make_blobs(n_samples=600, n_features=20, centers=4, cluster_std=4.0, random_state=1)
    X = (X - X.mean(0)) / X.std(0)
    return X.astype("float32"), y


def _pretrained(X, seed=0):
    ae, enc = build_autoencoder(X.shape[1], (32, 4), seed=seed)
    train_autoencoder(ae, X, epochs=15, batch_size=64, seed=seed)
    return ae, enc


def _start_accuracy(enc, X, y):
    Z = enc.predict(X, verbose=0)
    km = KMeans(4, n_init=20, random_state=0).fit(Z)
    return km.cluster_centers_, _acc(y, km.labels_)


@pytest.mark.parametrize("method", ["dec", "idec"])
def test_refinement_keeps_or_improves_accuracy(toy, method):
    X, y = toy
    ae, enc = _pretrained(X)
    centers, start = _start_accuracy(enc, X, y)
    opts = {"update_interval": 10, "max_iter": 200, "batch_size": 64, "tol": 0.001}
    if method == "dec":
        model = DEC(enc, 4, **opts)
    else:
        model = IDEC(ae, enc, 4, gamma=0.1, **opts)
    model.fit(X, initial_centers=centers)
    assert _acc(y, model.labels_) >= start - 0.01
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    assert model.cluster_centers_.shape == (4, 4)
    assert 1 <= len(model.history_["loss"]) == len(model.history_["delta_label"])
    assert model.n_iter_ <= 200


def test_dec_stops_early_when_labels_settle(toy):
    X, _ = toy
    _, enc = _pretrained(X)
    dec = DEC(enc, 4, update_interval=5, max_iter=2000, tol=0.5, batch_size=64).fit(X)
    assert dec.n_iter_ == 5  # the first update already changed < 50 % of the labels


def test_dec_stops_at_max_iter_even_between_target_updates(toy):
    X, _ = toy
    _, enc = _pretrained(X)
    dec = DEC(enc, 4, update_interval=10, max_iter=15, tol=0.0, batch_size=64).fit(X)
    assert dec.n_iter_ == 15  # not 20, the next target update
    assert len(dec.history_["loss"]) == 2


def test_dec_honours_a_stop_request(toy):
    X, _ = toy
    _, enc = _pretrained(X)
    stop = StopTraining()
    stop.request_stop()
    dec = DEC(enc, 4, update_interval=50, max_iter=2000, batch_size=64).fit(X, callbacks=[stop])
    assert dec.n_iter_ == 1 and stop.stopped
    assert dec.labels_.shape == (600,)


def test_dec_rejects_bad_parameters(toy):
    X, _ = toy
    _, enc = build_autoencoder(20, (8, 2))
    with pytest.raises(ValueError, match="n_clusters"):
        DEC(enc, 601).fit(X)
    with pytest.raises(ValueError, match="alpha"):
        DEC(enc, 3, alpha=0.0).fit(X)
    with pytest.raises(ValueError, match="NaN"):
        DEC(enc, 3).fit(np.full((5, 20), np.nan))


@pytest.mark.slow
def test_n2d_cluster_separates_blobs():
    X, y = make_blobs(n_samples=400, n_features=6, centers=4, random_state=0)
    from deepclust_lab.manifold import n2d_cluster

    labels, E = n2d_cluster(X, 4, random_state=0)
    assert _acc(y, labels) > 0.99
    assert E.shape == (400, 4)

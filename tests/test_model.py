"""L-GMVAE: fitting, determinism, decoding, persistence and its errors."""

import numpy as np
import pytest
import torch
from toys import toy

from lapace import LGMVAE, NotFittedError


def _fit(X, y, **kw):
    params = dict(latent_dim=2, hidden_dim=32, clusters_per_class=2, max_epochs=3, verbose=False)
    return LGMVAE(**{**params, **kw}).fit(X, y)


def test_fit_returns_self_and_records_history():
    ds, X, clf, vae = toy()
    assert vae.n_epochs_ == len(vae.history_) >= 1
    assert {"train_kl_z", "train_kl_c", "train_rec", "val_loss"} <= set(vae.history_[0])
    # training reduced the validation loss
    assert vae.history_[vae.best_epoch_ - 1]["val_loss"] < vae.history_[0]["val_loss"]


def test_same_seed_gives_identical_weights_and_other_seed_does_not():
    rng = np.random.default_rng(0)
    X, y = rng.random((200, 4), dtype=np.float32), rng.integers(0, 2, 200)
    a, b, c = _fit(X, y, seed=1), _fit(X, y, seed=1), _fit(X, y, seed=2)
    wa, wb, wc = (list(m.net_.state_dict().values()) for m in (a, b, c))
    assert all(torch.equal(p, q) for p, q in zip(wa, wb, strict=True))
    assert not all(torch.equal(p, q) for p, q in zip(wa, wc, strict=True))
    assert np.array_equal(a.sample(5, 1, random_state=3), b.sample(5, 1, random_state=3))


def test_decoded_points_are_valid_one_hot():
    ds, X, clf, vae = toy()
    rng = np.random.default_rng(0)
    decoded = vae.decode(rng.normal(0, 3, (500, vae.latent_dim)))
    for g in ds.categorical_groups:
        assert np.array_equal(decoded[:, g].sum(1), np.ones(500))
        assert set(np.unique(decoded[:, g])) <= {0.0, 1.0}
    frame = ds.decode(decoded)
    assert set(frame["housing"]) <= {"rent", "own", "free"}
    # continuous columns stay inside the range seen in training (far latent points included)
    assert (decoded >= X.min(0)).all() and (decoded <= X.max(0)).all()
    raw = vae.decode_raw(torch.as_tensor(rng.normal(0, 30, (500, vae.latent_dim)), dtype=torch.float32))
    assert (raw.detach().numpy()[:, 0] > X[:, 0].max()).any()  # so the clipping has work to do


def test_encode_uses_own_clusters_and_centroids_have_right_shape():
    ds, X, clf, vae = toy()
    y = clf.predict(X)
    clusters = vae.predict_cluster(X, y)
    assert np.array_equal(vae.cluster_labels_[clusters], y)
    assert vae.centroids(1).shape == (3, vae.latent_dim)
    assert vae.centroids().shape == (6, vae.latent_dim)
    assert np.array_equal(vae.centroids(1), vae.centroids()[3:])
    assert vae.centroid_labels(clf.predict).shape == (6,)
    assert 0.0 <= vae.centroid_accuracy(clf.predict) <= 1.0


def test_sample_draws_from_the_label_clusters():
    ds, X, clf, vae = toy()
    S = vae.sample(300, label=1, random_state=0)
    assert S.shape == (300, X.shape[1])
    # samples of label 1 look like label-1 data to the classifier far more often than label 0
    assert clf.predict(S).mean() > clf.predict(vae.sample(300, label=0, random_state=0)).mean()


def test_elbo_terms_are_per_sample_and_non_negative():
    ds, X, clf, vae = toy()
    terms = vae.elbo_terms(X[:50], clf.predict(X[:50]))
    for key in ("kl_z", "kl_c", "rec"):
        assert terms[key].shape == (50,)
        assert (terms[key] >= -1e-5).all()


def test_save_and_load_round_trip(tmp_path):
    ds, X, clf, vae = toy()
    path = vae.save(tmp_path / "m" / "vae.pt")
    back = LGMVAE.load(path)
    Z = vae.encode(X[:20], clf.predict(X[:20]))
    assert np.array_equal(Z, back.encode(X[:20], clf.predict(X[:20])))
    assert np.array_equal(vae.decode(Z), back.decode(Z))
    assert back.history_ == vae.history_
    assert np.array_equal(back.train_latent_, vae.train_latent_)
    assert back.categorical_groups == list(ds.categorical_groups)


def test_load_refuses_other_files(tmp_path):
    other = tmp_path / "other.pt"
    torch.save({"format": "something else"}, other)
    with pytest.raises(ValueError, match="not an LGMVAE file"):
        LGMVAE.load(other)
    text = tmp_path / "text.pt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not an LGMVAE file"):
        LGMVAE.load(text)
    ds, X, clf, vae = toy()
    state = torch.load(vae.save(tmp_path / "v.pt"), weights_only=True)
    state["format_version"] = 99
    torch.save(state, tmp_path / "v99.pt")
    with pytest.raises(ValueError, match="format version 99"):
        LGMVAE.load(tmp_path / "v99.pt")


@pytest.mark.parametrize("method, args", [
    ("encode", (np.zeros((1, 3)), [0])), ("decode", (np.zeros((1, 2)),)),
    ("centroids", ()), ("sample", (3, 0)), ("save", ("x.pt",)),
])
def test_use_before_fit_is_a_clear_error(method, args):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(LGMVAE(), method)(*args)


@pytest.mark.parametrize("X, y, kw, match", [
    (np.zeros((5, 3)), [0, 1, 0, 1, 2], {}, "outside 0..1"),
    (np.zeros((5, 3)), [0, 1, 0], {}, "1-D array of 5 labels"),
    (np.full((5, 3), np.nan), [0, 1, 0, 1, 0], {}, "NaN"),
    (np.zeros(5), [0, 1, 0, 1, 0], {}, "2-D array"),
    (np.zeros((5, 3)), [0, 1, 0, 1, 0], {"loss_weights": (1, 1)}, "loss_weights"),
    (np.zeros((5, 3)), [0, 1, 0, 1, 0], {"categorical_groups": [slice(2, 5)]}, "does not fit"),
])
def test_fit_rejects_bad_input(X, y, kw, match):
    with pytest.raises(ValueError, match=match):
        LGMVAE(verbose=False, **kw).fit(X, y)


def test_encode_rejects_wrong_width():
    ds, X, clf, vae = toy()
    with pytest.raises(ValueError, match="columns but the model was fitted on"):
        vae.encode(X[:, :-1], [0] * len(X))


def test_refit_on_a_different_width_is_allowed():
    rng = np.random.default_rng(0)
    model = _fit(rng.random((60, 4), dtype=np.float32), rng.integers(0, 2, 60))
    model.fit(rng.random((60, 3), dtype=np.float32), rng.integers(0, 2, 60))
    assert model.n_features_in_ == 3 and model.decode(np.zeros((1, 2))).shape == (1, 3)

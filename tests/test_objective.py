"""The L-GMVAE's objectives and encoders (issue: collapsed clusters) and the §3.1 diagnostics."""

import math
import re
import warnings

import numpy as np
import pytest
import torch
from toys import toy

from lapace import LGMVAE
from lapace.lgmvae.diagnostics import PROTOTYPE_COLUMNS, cluster_usage, prototype_report, spread_ratio
from lapace.lgmvae.elbo import kl_c, kl_c_marginal
from lapace.lgmvae.model import RECIPES


def _fit(X, y, **kw):
    params = dict(latent_dim=2, hidden_dim=32, clusters_per_class=2, max_epochs=3, verbose=False)
    return LGMVAE(**{**params, **kw}).fit(X, y)


def test_marginal_kl_c_splits_off_the_mutual_information():
    # two confident, opposite assignments of one label: per-sample KL = log 2 each (all of it
    # mutual information), the mean assignment is uniform, so the marginal KL is 0
    q = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    y = torch.tensor([0, 0])
    assert torch.allclose(kl_c(q), torch.full((2,), math.log(2)))
    assert torch.allclose(kl_c_marginal(q, y), torch.zeros(2), atol=1e-6)
    # the identity mean KL = I(x; c | y) + KL(q_bar || U) on random assignments, per label
    g = torch.Generator().manual_seed(0)
    q = torch.softmax(torch.randn(50, 4, generator=g), -1)
    y = torch.randint(0, 2, (50,), generator=g)
    for label in (0, 1):
        qy = q[y == label]
        q_bar = qy.mean(0)
        mi = (qy * (qy.log() - q_bar.log())).sum(1).mean()
        balance = (q_bar * torch.log(q_bar * 4)).sum()
        assert torch.allclose(kl_c(qy).mean(), mi + balance, atol=1e-5)
        assert torch.allclose(kl_c_marginal(q, y)[y == label].mean(), balance, atol=1e-5)


def test_paper_objective_trains_with_the_per_sample_kl_c():
    rng = np.random.default_rng(0)
    X, y = rng.random((200, 4), dtype=np.float32), rng.integers(0, 2, 200)
    w = (0.3, 0.7, 1.0)
    paper = _fit(X, y, objective="paper", loss_weights=w)
    marginal = _fit(X, y, loss_weights=w, **RECIPES["paper"])   # unweighted: the loss is the sum
    for model, key in ((paper, "kl_c"), (marginal, "kl_c_marginal")):
        h = model.history_[0]
        expected = w[0] * h["val_kl_z"] + w[1] * h[f"val_{key}"] + w[2] * h["val_rec"]
        assert h["val_loss"] == pytest.approx(expected, rel=1e-5)
    # the two objectives differ only through KL(c): without it they train identical weights
    a = _fit(X, y, objective="paper", loss_weights=(0.3, 0.0, 1.0))
    b = _fit(X, y, objective="marginal", loss_weights=(0.3, 0.0, 1.0), **RECIPES["paper"])
    def same(m1, m2):
        pairs = zip(m1.net_.state_dict().values(), m2.net_.state_dict().values(), strict=True)
        return all(torch.equal(p, q) for p, q in pairs)

    assert same(a, b)
    assert not same(paper, marginal)


def test_objective_paper_is_the_papers_recipe_one_argument_away(tmp_path):
    """LGMVAE(objective="paper") trains Eq. 3 with Appendix B's encoder, the fixed likelihood
    and the plain average; the default trains ours; explicit options override the recipe; a
    saved model keeps the recipe it trained with."""
    paper, ours = LGMVAE(objective="paper").effective_params(), LGMVAE().effective_params()
    assert {k: paper[k] for k in RECIPES["paper"]} == {
        "encoder": "per_cluster", "likelihood": "fixed", "balance_labels": False}
    assert {k: ours[k] for k in RECIPES["marginal"]} == {
        "encoder": "shared", "likelihood": "calibrated", "balance_labels": True}
    assert LGMVAE(objective="paper", encoder="shared").effective_params()["encoder"] == "shared"
    rng = np.random.default_rng(4)
    X, y = rng.random((120, 4), dtype=np.float32), rng.integers(0, 2, 120)
    for objective, recipe in (("paper", RECIPES["paper"]), ("marginal", RECIPES["marginal"])):
        vae = _fit(X, y, objective=objective, max_epochs=1)
        assert vae.net_.encoder == recipe["encoder"]
        assert vae.net_.likelihood == recipe["likelihood"]
        again = LGMVAE.load(vae.save(tmp_path / f"{objective}.pt"))
        assert {k: again.get_params()[k] for k in recipe} == recipe
        assert np.array_equal(again.encode(X, y), vae.encode(X, y))


def test_shared_encoder_codes_do_not_depend_on_the_cluster(tmp_path):
    rng = np.random.default_rng(1)
    X, y = rng.random((120, 4), dtype=np.float32), rng.integers(0, 2, 120)
    vae = _fit(X, y, encoder="shared")
    x, yy = torch.as_tensor(X[:5]), torch.as_tensor(y[:5])
    a = vae.net_.q_z_params(x, yy, torch.zeros(5, dtype=torch.long))[0]
    b = vae.net_.q_z_params(x, yy, torch.ones(5, dtype=torch.long))[0]
    assert torch.equal(a, b)
    again = LGMVAE.load(vae.save(tmp_path / "m.pt"))
    assert again.encoder == "shared" and np.array_equal(again.encode(X, y), vae.encode(X, y))


def test_unknown_objective_or_encoder_is_an_error():
    X, y = np.zeros((10, 2), np.float32), np.array([0, 1] * 5)
    with pytest.raises(ValueError, match="objective must be one of"):
        _fit(X, y, objective="elbo")
    with pytest.raises(ValueError, match="encoder must be one of"):
        _fit(X, y, encoder="cluster")
    with pytest.raises(ValueError, match=r"likelihood must be one of .* or None"):
        _fit(X, y, likelihood="gaussian")


def test_predict_cluster_proba_is_a_distribution_over_the_labels_clusters():
    ds, X, clf, vae = toy()
    q = vae.predict_cluster_proba(X, clf.predict(X))
    assert q.shape == (len(X), vae.clusters_per_class)
    assert np.allclose(q.sum(1), 1, atol=1e-5)
    own = vae.predict_cluster(X, clf.predict(X)) - clf.predict(X) * vae.clusters_per_class
    assert np.array_equal(own, q.argmax(1))


def test_spread_ratio_and_usage_on_hand_cases():
    records = np.array([[0.0, 0.0], [1.0, 1.0]])          # every random pair is 2 apart in L1
    assert spread_ratio(np.array([[0.5, 0.5]] * 3), records) == 0.0
    protos = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])  # pairwise L1: 1, 2, 1 -> mean 4/3
    assert spread_ratio(protos, records) == pytest.approx((4 / 3) / 2)
    q = np.array([[0.9, 0.1, 0.0], [0.8, 0.2, 0.0], [0.1, 0.6, 0.3]])
    assert np.allclose(cluster_usage(q), [2 / 3, 1 / 3, 0])


def test_prototype_report_has_one_row_per_label():
    ds, X, clf, vae = toy()
    y = clf.predict(X)
    rep = prototype_report(vae, X, y, clf.predict)
    assert list(rep.columns) == PROTOTYPE_COLUMNS and list(rep["label"]) == [0, 1]
    assert ((rep.drop(columns="label") >= 0) & (rep.drop(columns="label") <= 1.5)).all().all()
    assert rep["centroid_accuracy_raw"].iloc[0] == vae.centroid_accuracy(clf.predict)
    kept = (clf.predict(vae.reconstruct(X, y)) == y)
    assert rep["reconstruction_label_kept"].iloc[1] == pytest.approx(kept[y == 1].mean())


def test_marginal_kl_c_against_a_reference_mean():
    # with the batch's own mean as reference the term is the batch-level KL exactly
    g = torch.Generator().manual_seed(1)
    q = torch.softmax(torch.randn(40, 3, generator=g), -1)
    y = torch.randint(0, 2, (40,), generator=g)
    ref = torch.stack([q[y == 0].mean(0), q[y == 1].mean(0)])
    assert torch.allclose(kl_c_marginal(q, y), kl_c_marginal(q, y, ref), atol=1e-6)
    # a uniform reference makes the term a constant 0 whatever the assignment: no gradient
    uniform = torch.full((2, 3), 1 / 3)
    logits = torch.randn(40, 3, generator=g, requires_grad=True)
    kl_c_marginal(torch.softmax(logits, -1), y, uniform).sum().backward()
    assert torch.allclose(logits.grad, torch.zeros_like(logits.grad), atol=1e-6)
    # a skewed reference pushes the assignment away from the over-used cluster
    skewed = torch.tensor([[0.8, 0.1, 0.1], [0.8, 0.1, 0.1]])
    logits.grad = None
    kl_c_marginal(torch.softmax(logits, -1), y, skewed).sum().backward()
    assert (logits.grad[:, 0] > 0).all()          # gradient descent lowers cluster 0's logit


def test_running_assignment_is_a_windowed_mean():
    from lapace.lgmvae.networks import RunningAssignment

    run = RunningAssignment(n_labels=2, k=2, window=4, device="cpu")
    run.update(torch.tensor([[1.0, 0.0], [1.0, 0.0]]), torch.tensor([0, 0]))
    assert torch.allclose(run.mean[0], torch.tensor([1.0, 0.0]))
    assert torch.allclose(run.mean[1], torch.tensor([0.5, 0.5]))        # label 1 unseen: prior
    run.update(torch.tensor([[0.0, 1.0], [0.0, 1.0]]), torch.tensor([0, 0]))
    assert torch.allclose(run.mean[0], torch.tensor([0.5, 0.5]))
    run.update(torch.tensor([[0.0, 1.0], [0.0, 1.0]]), torch.tensor([0, 0]))  # window 4: 2 old + 2 new
    assert torch.allclose(run.mean[0], torch.tensor([0.25, 0.75]))


def test_calibrated_likelihood_uses_the_batch_mse_as_variance():
    from lapace.lgmvae.elbo import reconstruction

    x = torch.zeros(2, 1)
    out = torch.tensor([[1.0], [0.0]])                    # column MSE 1/2: the fixed variance
    assert torch.allclose(reconstruction(x, out, calibrated=True), reconstruction(x, out))
    out = torch.tensor([[0.1], [0.0]])                    # MSE 0.005: a 100x sharper likelihood
    v = 0.005
    expected = torch.tensor([0.5 * 0.01 / v + 0.5 * math.log(2 * v), 0.5 * math.log(2 * v)])
    assert torch.allclose(reconstruction(x, out, calibrated=True), expected, atol=1e-5)


def test_label_weights_give_each_label_the_same_total_weight():
    from lapace.lgmvae.model import label_weights
    y = np.array([0] * 9 + [1] * 1)
    w = label_weights(y, 2, balance=True)
    assert w[y].sum() / 2 == pytest.approx(w[0] * 9) == pytest.approx(w[1] * 1)
    assert w[y].mean() == pytest.approx(1.0)
    assert np.array_equal(label_weights(y, 2, balance=False), [1.0, 1.0])
    assert label_weights(np.array([0, 0, 1]), 3, balance=True)[2] == 1.0  # absent label


def test_balance_labels_changes_training_and_survives_save(tmp_path):
    rng = np.random.default_rng(2)
    X, y = rng.random((150, 4), dtype=np.float32), (rng.random(150) < 0.15).astype(int)
    plain, balanced = _fit(X, y, balance_labels=False), _fit(X, y, balance_labels=True)
    assert plain.history_[0]["train_loss"] != balanced.history_[0]["train_loss"]
    again = LGMVAE.load(balanced.save(tmp_path / "m.pt"))
    assert again.balance_labels is True
    assert np.array_equal(again.encode(X, y), balanced.encode(X, y))
    with pytest.raises(ValueError, match="balance_labels must be True, False or None"):
        _fit(X, y, balance_labels="yes")


def test_noise_report_on_a_constant_and_a_threshold_black_box():
    from lapace.lgmvae.diagnostics import noise_report
    ds, X, clf, vae = toy()
    y = clf.predict(X)
    always_0 = lambda Z: np.zeros(len(Z), dtype=int)  # noqa: E731
    rep = noise_report(vae, X, y, always_0)
    assert list(rep["label"]) == [0, 1]
    assert rep["noise_label_kept"].tolist() == [1.0, 0.0]
    assert rep["reconstruction_label_kept"].tolist() == [1.0, 0.0]
    cont = ~vae.categorical_mask(X.shape[1]).numpy()
    r = (vae.reconstruct(X, y) - X)[y == 1][:, cont]
    assert rep["reconstruction_rmse"].iloc[1] == pytest.approx(np.sqrt((r ** 2).mean()), rel=1e-5)
    # a black box whose label-1 region is 20 isolated points: noise of the decoder's size
    # leaves it every time, and never lands in it from label 0
    S = X[:20]
    isolated = lambda Z: (np.abs(Z[:, None, :] - S[None]).sum(-1).min(1) < 1e-9).astype(int)  # noqa: E731
    rep = noise_report(vae, X, isolated(X), isolated).set_index("label")
    assert rep.loc[1, "reconstruction_rmse"] > 0
    assert rep.loc[1, "noise_label_kept"] == 0.0 and rep.loc[0, "noise_label_kept"] == 1.0


def test_latent_report_baseline_is_the_label_mean_decoder():
    from lapace.lgmvae.diagnostics import latent_report
    ds, X, clf, vae = toy()
    y = clf.predict(X)
    rep = latent_report(vae, X, y).set_index("label")
    cat = vae.categorical_mask(X.shape[1]).numpy()
    for label in (0, 1):
        x = X[y == label].astype(float)
        var = x[:, ~cat].var(0).sum()                      # squared error of the column means
        p = x[:, cat].mean(0).clip(1e-6, 1 - 1e-6)        # cross-entropy of the frequencies
        ent = -(p * np.log(p) + (1 - p) * np.log(1 - p)).sum()
        assert rep.loc[label, "rec_without_z"] == pytest.approx(var + ent, rel=1e-4)
        assert rep.loc[label, "rec_ratio"] == pytest.approx(
            rep.loc[label, "rec"] / rep.loc[label, "rec_without_z"])
        assert rep.loc[label, "kl_z"] >= 0
    # with reference rows the z-free decoder is their label means, scored on the evaluated rows
    ref = latent_report(vae, X[:10], y[:10], reference=(X, y)).set_index("label")
    for label in ref.index:
        x, mean = X[:10][y[:10] == label][:, ~cat], X[y == label][:, ~cat].mean(0)
        x_cat = X[:10][y[:10] == label][:, cat]
        p = X[y == label][:, cat].mean(0).clip(1e-6, 1 - 1e-6)
        ce = -(x_cat * np.log(p) + (1 - x_cat) * np.log(1 - p)).sum(1).mean()
        assert ref.loc[label, "rec_without_z"] == pytest.approx(
            ((x - mean) ** 2).sum(1).mean() + ce, rel=1e-4)


def test_training_warnings_say_when_z_carries_nothing():
    from lapace.lgmvae.diagnostics import COLLAPSE_RATIO, training_warnings
    rng = np.random.default_rng(3)
    X, y = rng.random((200, 4), dtype=np.float32), rng.integers(0, 2, 200)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")                  # trained to the plateau, but a code
        vae = _fit(X, y, loss_weights=(100.0, 1.0, 1.0), max_epochs=80, lr=1e-2)  # costs too much
    assert not caught                                    # fit trains; whoever trains checks
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        returned = training_warnings(vae, X, y)
    messages = [str(w.message) for w in caught]
    assert messages == returned
    assert any(re.search(r"z carries almost nothing for label\(s\) \d .*calibrated", m)
               for m in messages), messages
    assert not any("undertrained" in m for m in messages), messages
    ds, Xt, clf, vae = toy()
    rep = latent_report_of(vae, Xt, clf.predict(Xt))
    assert (rep["rec_ratio"] < COLLAPSE_RATIO).all()          # the toy model uses z


def test_fit_says_undertrained_not_collapsed_when_worse_than_the_mean():
    """A decoder worse than each label's mean has not learnt yet: the warning says to train
    longer, and does not call it posterior collapse."""
    rng = np.random.default_rng(3)
    X, y = rng.random((200, 4), dtype=np.float32), rng.integers(0, 2, 200)
    from lapace.lgmvae.diagnostics import training_warnings
    vae = _fit(X, y, max_epochs=1, lr=1e-7)                         # has not moved from init
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        training_warnings(vae, X, y)
    messages = [str(w.message) for w in caught]
    assert any("worse than decoding every input to its label's mean" in m
               and "undertrained after 1 epoch(s)" in m and "raise max_epochs" in m
               for m in messages), messages
    assert not any("z carries almost nothing" in m for m in messages)


def latent_report_of(vae, X, y):
    from lapace.lgmvae.diagnostics import latent_report
    return latent_report(vae, X, y)


def test_latent_report_in_chunks_matches_one_pass(monkeypatch):
    from lapace.lgmvae.diagnostics import latent_report
    ds, X, clf, vae = toy()
    y = clf.predict(X)
    whole = latent_report(vae, X, y)
    monkeypatch.setattr(vae, "chunk_size", 7)
    chunked = latent_report(vae, X, y)
    # the code, the label-mean baseline and the analytic KL(z) do not depend on the chunks
    assert np.allclose(chunked[["rec", "rec_without_z", "kl_z"]], whole[["rec", "rec_without_z", "kl_z"]],
                       rtol=1e-5)


def test_kmeans_report_on_three_repeated_points():
    from lapace.lgmvae.diagnostics import kmeans_report
    ds, X, clf, vae = toy()                      # K_y = 3; columns income, debt, housing one-hot
    points = np.array([[0.1, 0.2, 1, 0, 0], [0.9, 0.2, 0, 1, 0], [0.5, 0.8, 0, 0, 1]], np.float32)
    Xk = np.repeat(np.concatenate([points, points[::-1]]), 10, axis=0)
    y = np.repeat([0, 1], 30)
    always_0 = lambda Z: np.zeros(len(Z), dtype=int)  # noqa: E731
    rep = kmeans_report(vae, Xk, y, always_0).set_index("label")
    # k-means finds the three points; two random rows of a label are distinct w.p. 20/29,
    # so the records' mean L1 is 20/29 of the points' mean pairwise L1: the ratio is 29/20
    assert rep.loc[0, "kmeans_spread_ratio"] == pytest.approx(29 / 20, rel=0.03)
    assert rep["kmeans_valid"].tolist() == [1.0, 0.0]
    # a label with fewer rows than clusters is left out rather than clustered into copies
    few = kmeans_report(vae, Xk[:32], y[:32], always_0)
    assert few["label"].tolist() == [0]
    # against reference rows that are the three points once each, two random records always
    # differ: the ratio is 1; a label without reference rows is left out
    ref = kmeans_report(vae, Xk, y, always_0, reference=(points, np.zeros(3, dtype=int)))
    assert ref["label"].tolist() == [0]
    assert ref["kmeans_spread_ratio"].iloc[0] == pytest.approx(1.0, rel=0.03)
    with pytest.raises(ValueError, match="reference X"):
        kmeans_report(vae, Xk, y, always_0, reference=(points[:, :2], np.zeros(3, dtype=int)))


def test_category_report_counts_the_modal_category():
    from lapace.lgmvae.diagnostics import category_report
    ds, X, clf, vae = toy()
    rng = np.random.default_rng(0)
    Xc = X[:100].copy()
    g = vae.categorical_groups[0]
    housing = np.array([1] * 70 + [0] * 20 + [2] * 10)          # 70% in category 1
    Xc[:, g] = np.eye(3, dtype=np.float32)[rng.permutation(housing)]
    rep = category_report(vae, Xc, np.zeros(100, dtype=int))
    assert rep["label"].tolist() == [0] and rep["group"].tolist() == [0]
    assert rep["modal_share"].iloc[0] == pytest.approx(0.7)
    assert rep["other_share"].iloc[0] == pytest.approx(0.3)
    decoded = vae.decoded_centroids(0)[:, g].argmax(1)
    assert rep["centroids_modal"].iloc[0] == pytest.approx((decoded == 1).mean())

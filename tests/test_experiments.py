"""lapace_book.experiments.pairs: Table 4 lookup, label-proportional sampling, TSTR, cached pairs."""

import numpy as np
import pytest
import torch
from toys import toy

from lapace_book.experiments import pairs as experiments
from lapace_book.experiments.pairs import lgmvae_settings, train_pair
from lapace_book.experiments.utility import _label_counts, centroid_report, sample_like, tstr, vae_split_truth
from lapace_book.paper import PAPER_TABLE1, PAPER_TABLE4

TINY = {"max_epochs": 2, "patience": 2, "max_rows": 300, "hidden_dim": 16, "clusters_per_class": 2,
        "clf_params": {"n_estimators": 10}}


@pytest.fixture(autouse=True)
def cache_root(tmp_path, monkeypatch):
    monkeypatch.setenv("LAPACE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_tables_cover_the_eight_pairs():
    pairs = {(d, c) for d in ("heloc", "wine", "adult", "compas") for c in ("rf", "nn")}
    assert set(PAPER_TABLE4) == pairs == set(PAPER_TABLE1)
    for row in PAPER_TABLE1.values():
        assert all(0 <= v <= 1 for v in row.values())
    assert lgmvae_settings("wine", "nn") == {"latent_dim": 8, "batch_size": 16, "lr": 3e-4,
                                             "loss_weights": (0.5, 0.3, 1.0)}


@pytest.mark.parametrize("pair", [("mnist", "rf"), ("heloc", "svm"), ("Heloc", "rf")])
def test_unknown_pair_raises(pair):
    with pytest.raises(KeyError, match="known pairs"):
        lgmvae_settings(*pair)
    with pytest.raises(KeyError):
        train_pair(*pair, **TINY)


@pytest.mark.parametrize("n, share", [(10, 0.5), (7, 0.3), (1000, 0.813), (5, 0.0), (3, 1.0)])
def test_label_counts_follow_proportions(n, share):
    y = np.r_[np.zeros(1000 - int(share * 1000)), np.ones(int(share * 1000))].astype(int)
    counts = _label_counts(y, n, 2)
    assert counts.sum() == n
    assert abs(counts[1] - share * n) < 1


def test_sample_like_follows_label_proportions():
    _, X, clf, vae = toy()
    y = np.r_[np.zeros(70), np.ones(30)].astype(int)
    X_syn, y_syn = sample_like(vae, y, random_state=3)
    assert X_syn.shape == (100, X.shape[1])
    assert np.bincount(y_syn).tolist() == [70, 30]
    X_big, y_big = sample_like(vae, y, n=1000, random_state=3)
    assert np.bincount(y_big).tolist() == [700, 300]
    # reproducible, and each label's rows come from that label's clusters
    X_again, y_again = sample_like(vae, y, random_state=3)
    np.testing.assert_array_equal(X_syn, X_again)
    np.testing.assert_array_equal(y_syn, y_again)
    assert not np.array_equal(X_syn, sample_like(vae, y, random_state=4)[0])


def test_tstr_returns_per_seed_accuracies():
    _, X, clf, vae = toy()
    y = clf.predict(X)
    out = tstr(vae, X[:300], y[:300], X[300:], y[300:], seeds=[0, 1, 2],
               rf_params={"n_estimators": 10})
    assert out["seeds"] == [0, 1, 2] and len(out["real"]) == len(out["synth"]) == 3
    assert out["real_mean"] == pytest.approx(np.mean(out["real"]))
    assert out["synth_std"] == pytest.approx(np.std(out["synth"]))
    assert 0.5 < out["real_mean"] <= 1 and 0 <= out["synth_mean"] <= 1
    with pytest.raises(ValueError, match="seed"):
        tstr(vae, X, y, X, y, seeds=[])
    assert "real_truth_mean" not in out
    threaded = tstr(vae, X[:300], y[:300], X[300:], y[300:], seeds=[0, 1, 2],
                    rf_params={"n_estimators": 10}, n_jobs=2)    # the forests' threads only
    assert threaded["real"] == out["real"] and threaded["synth"] == out["synth"]


def test_tstr_scores_against_the_true_labels_too():
    _, X, clf, vae = toy()
    y = clf.predict(X)
    truth = 1 - y                                  # a ground truth the black box always misses
    out = tstr(vae, X[:300], y[:300], X[300:], y[300:], seeds=[0, 1],
               rf_params={"n_estimators": 10}, y_true=(truth[:300], truth[300:]))
    plain = tstr(vae, X[:300], y[:300], X[300:], y[300:], seeds=[0, 1],
                 rf_params={"n_estimators": 10})
    # the black-box scores are unchanged; the same synthetic forest scored on the flipped truth
    assert out["real"] == plain["real"] and out["synth"] == plain["synth"]
    np.testing.assert_allclose(out["synth_truth"], 1 - np.array(out["synth"]))
    # a forest trained on the (flipped) truth learns it as well as one trained on the black box
    assert out["real_truth_mean"] > 0.5 and len(out["real_truth"]) == 2
    with pytest.raises(ValueError, match="y_true"):
        tstr(vae, X[:300], y[:300], X[300:], y[300:], seeds=[0], y_true=(truth, truth))


def test_train_pair_goes_through_the_cache(monkeypatch, cache_root):
    torch.set_num_threads(1)
    fit = experiments.LGMVAE.fit
    pair = train_pair("compas", "rf", **TINY)
    assert {p.name for p in cache_root.iterdir()} == {"classifier", "lgmvae"}
    assert pair.vae.latent_dim == PAPER_TABLE4[("compas", "rf")]["latent_dim"]
    assert pair.vae.batch_size == 512 and pair.vae.max_epochs == 2
    assert len(pair.X_vae_train) + len(pair.X_vae_test) == len(pair.X_train)
    np.testing.assert_array_equal(pair.y_vae_train, pair.predict(pair.X_vae_train))
    assert 0.5 < pair.clf_accuracy <= 1
    # the true labels of the L-GMVAE's rows: those of the same rows of the classifier's split
    y_train, y_test = vae_split_truth(pair)
    assert len(y_train) == len(pair.X_vae_train) and len(y_test) == len(pair.X_vae_test)
    labels = {}                                      # identical rows may carry both labels
    for r, lab in zip(pair.X_train, pair.ds.y_train, strict=True):
        labels.setdefault(r.tobytes(), set()).add(int(lab))
    for X_part, y_part in ((pair.X_vae_train, y_train), (pair.X_vae_test, y_test)):
        assert all(lab in labels[r.tobytes()] for r, lab in zip(X_part, y_part, strict=True))
    assert not np.array_equal(np.r_[y_train, y_test], pair.ds.y_train)   # reordered, not copied
    shuffled = experiments.Pair(**{**vars(pair), "X_vae_test": pair.X_vae_test[::-1]})
    with pytest.raises(ValueError, match="split"):
        vae_split_truth(shuffled)

    # same settings: loaded, nothing is fitted again
    def boom(*args, **kwargs):
        raise AssertionError("trained again instead of loading from the cache")

    monkeypatch.setattr(experiments, "train_classifier", boom)
    monkeypatch.setattr(experiments.LGMVAE, "fit", boom)
    again = train_pair("compas", "rf", **TINY)
    np.testing.assert_array_equal(again.vae.centroids(), pair.vae.centroids())
    np.testing.assert_array_equal(again.predict(again.X_test), pair.predict(pair.X_test))
    # a changed L-GMVAE setting retrains the L-GMVAE only
    monkeypatch.setattr(experiments.LGMVAE, "fit", fit)
    other = train_pair("compas", "rf", vae_params={"batch_size": 64}, **TINY)
    assert other.vae.batch_size == 64
    assert len(list((cache_root / "lgmvae").glob("*.pt"))) == 2


def test_centroid_report_collects_warnings():
    _, X, clf, vae = toy()
    report, messages = centroid_report(vae, clf.predict)
    assert len(report) == 6 and {"valid_raw", "valid", "moved_fraction"} <= set(report.columns)
    assert isinstance(messages, list)
    # a black box that predicts 1 everywhere: label-0 centroids cannot be repaired, and the
    # warnings come back as messages instead of being printed
    report, messages = centroid_report(vae, lambda Z: np.ones(len(Z), dtype=int))
    assert not report.loc[report.label == 0, "valid"].any()
    assert any("stays invalid" in m for m in messages)


def test_select_inputs_draws_label_zero_per_repetition():
    from lapace_book.experiments.pairs import select_inputs

    pair = train_pair("compas", "rf", **TINY)
    a, b = select_inputs(pair, 10, repetition=0), select_inputs(pair, 10, repetition=1)
    assert len(a) == 10 and (pair.predict(pair.X_test[a]) == 0).all()
    assert np.array_equal(a, select_inputs(pair, 10, repetition=0))
    assert not np.array_equal(a, b)


def test_train_pair_uses_the_forests_inferred_for_table1_by_default():
    from lapace_book.experiments.pairs import PAPER_RF

    tiny = {k: v for k, v in TINY.items() if k != "clf_params"}
    pair = train_pair("wine", "rf", **tiny)
    assert pair.clf.max_depth == PAPER_RF["wine"]["max_depth"]
    full = train_pair("wine", "rf", clf_params={}, **tiny)   # train_classifier's defaults
    assert full.clf.max_depth is None

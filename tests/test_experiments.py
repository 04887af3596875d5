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

    pair = train_pair("compas", "rf", **TINY)                # 12 of its 60 test inputs
    a, b = select_inputs(pair, 5, repetition=0), select_inputs(pair, 5, repetition=1)
    assert len(a) == 5 and (pair.predict(pair.X_test[a]) == 0).all()
    assert np.array_equal(a, select_inputs(pair, 5, repetition=0))
    assert not set(a) & set(b)                    # §4.1: "different test sets"


def _pool_pair(pool_size, n_test=40, seed=0):
    """A stand-in pair: ``n_test`` test inputs, ``pool_size`` of them predicted 0."""
    from types import SimpleNamespace

    rng = np.random.default_rng(seed)
    labels = np.ones(n_test, dtype=np.int64)
    labels[rng.choice(n_test, pool_size, replace=False)] = 0
    X_test = np.arange(n_test, dtype=np.float64)[:, None]
    return SimpleNamespace(dataset="toy", classifier="rf", X_test=X_test,
                           predict=lambda X: labels[np.asarray(X[:, 0], dtype=np.int64)])


def test_select_inputs_repetitions_are_disjoint_when_the_pool_allows():
    from lapace_book.experiments.pairs import input_pool, select_inputs

    pair = _pool_pair(300, n_test=400)
    pool = input_pool(pair)
    assert len(pool) == 300 and (pair.predict(pair.X_test[pool]) == 0).all()
    draws = [select_inputs(pair, 50, repetition=r) for r in range(5)]
    for d in draws:
        assert len(d) == 50 and np.array_equal(d, np.sort(d)) and set(d) <= set(pool)
    assert len(set(np.concatenate(draws))) == 5 * 50          # no input in two repetitions
    # deterministic, and the seed is the label's alone: the same calls give the same sets
    again = [select_inputs(pair, 50, repetition=r) for r in range(5)]
    assert all(np.array_equal(x, y) for x, y in zip(draws, again, strict=True))
    ones = select_inputs(pair, 20, repetition=0, label=1)
    assert (pair.predict(pair.X_test[ones]) == 1).all()


def test_select_inputs_cycles_through_a_small_pool():
    from lapace_book.experiments.pairs import input_pool, select_inputs

    pair = _pool_pair(12)
    pool = set(input_pool(pair))
    r0, r1, r2, r3 = (set(select_inputs(pair, 5, repetition=r)) for r in range(4))
    assert len(r0) == len(r1) == len(r2) == len(r3) == 5
    assert not r0 & r1
    rest = pool - r0 - r1                          # the 2 inputs no repetition used yet
    assert len(rest) == 2 and rest <= r2           # rep 2 takes them, then wraps ...
    assert r2 - rest <= r0 and len(r2 - rest) == 3  # ... to the first 3 of the permutation
    assert r0 | r1 | r2 == pool
    # whole pool (and no more) for every repetition when n >= pool
    for n in (12, 13, 100):
        for r in range(3):
            assert set(select_inputs(pair, n, repetition=r)) == pool
    with pytest.raises(ValueError, match="predicted as 0"):
        select_inputs(_pool_pair(0), 5)


def test_train_pair_uses_the_forests_inferred_for_table1_by_default():
    from lapace_book.experiments.pairs import PAPER_RF

    tiny = {k: v for k, v in TINY.items() if k != "clf_params"}
    pair = train_pair("wine", "rf", **tiny)
    assert pair.clf.max_depth == PAPER_RF["wine"]["max_depth"]
    full = train_pair("wine", "rf", clf_params={}, **tiny)   # train_classifier's defaults
    assert full.clf.max_depth is None


def test_max_epochs_by_dataset_overrides_only_that_data_set():
    from lapace_book.experiments.pairs import pair_kwargs

    settings = {"max_epochs": 60, "patience": 10, "max_rows": None, "max_batch_size": None,
                "max_epochs_by_dataset": {"compas": 250}}
    assert pair_kwargs("compas", "nn", settings)["max_epochs"] == 250
    assert pair_kwargs("compas", "rf", settings)["max_epochs"] == 250
    for d in ("heloc", "wine", "adult"):
        kw = pair_kwargs(d, "nn", settings)
        # the other data sets' arguments (their cache keys) as if the key were not there
        assert kw == pair_kwargs(d, "nn", {k: v for k, v in settings.items()
                                           if k != "max_epochs_by_dataset"})
        assert kw["max_epochs"] == 60 and "max_epochs_by_dataset" not in kw


def test_the_paper_profile_gives_compas_its_own_epoch_budget(monkeypatch):
    from lapace_book.experiments import profiles

    paper = profiles.pair_settings("paper")
    assert paper["max_epochs_by_dataset"] == {"compas": 250}
    assert "max_epochs_by_dataset" not in profiles.pair_settings("quick")
    calls = []
    monkeypatch.setattr(profiles, "train_pair", lambda *a, **kw: calls.append(kw) or "pair")
    profiles.load_pair("compas", "nn", "paper")
    profiles.load_pair("adult", "nn", "paper")
    assert [kw["max_epochs"] for kw in calls] == [250, paper["max_epochs"]]
    profiles.load_pair("compas", "nn", "paper", max_epochs=120)    # a budget given wins
    assert calls[-1]["max_epochs"] == 120


@pytest.mark.parametrize("value, match", [
    ({"mnist": 100}, "unknown data set 'mnist'"),
    ({"compas": 0}, "positive integer"),
    ({"compas": -5}, "positive integer"),
    ({"compas": 2.5}, "positive integer"),
    ({"compas": True}, "positive integer"),
    ([250], "must map data set names"),
])
def test_bad_max_epochs_by_dataset_is_a_clear_error(value, match, monkeypatch):
    from lapace_book.experiments import profiles
    from lapace_book.experiments.pairs import pair_kwargs

    settings = {"max_epochs": 60, "patience": 10, "max_rows": None, "max_batch_size": None,
                "max_epochs_by_dataset": value}
    with pytest.raises(ValueError, match=match) as err:
        pair_kwargs("compas", "nn", settings)
    assert "heloc" in str(err.value) and "compas" in str(err.value)   # names the valid ones
    real = profiles.read_profile
    monkeypatch.setattr(profiles, "read_profile",
                        lambda p: {**real(p), "_pairs": {**real(p)["_pairs"],
                                                         "max_epochs_by_dataset": value}})
    with pytest.raises(ValueError, match=r"profiles/quick\.yml, _pairs: .*" + match):
        profiles.pair_settings("quick")

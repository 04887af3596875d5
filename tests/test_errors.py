"""Nothing silent (issue 11): every bad input gets a clear error, warnings point at the user's
line, memory stays bounded by ``batch_size``, results come back as data."""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from toys import toy

from lapace import LGMVAE, Lapace, TabularDataset
from lapace.lgmvae.fileformat import FORMAT_VERSION

TINY = dict(n_labels=2, clusters_per_class=2, latent_dim=2, hidden_dim=8, max_epochs=1,
            verbose=False)


def _quiet_explainer(**kw):
    ds, X, clf, vae = toy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Lapace(vae, **kw).fit(model=clf.predict, dataset=ds)


def _negatives(n=12):
    ds, X, clf, vae = toy()
    return X[clf.predict(X) == 0][:n]


# ------------------------------------------------------------------ silently wrong before
def test_probabilities_are_not_labels():
    ds, X, clf, vae = toy()
    proba = lambda Z: clf.predict_proba(Z)[:, 1]  # noqa: E731
    with pytest.raises(ValueError, match="not probabilities"):
        vae.centroid_accuracy(proba)
    with pytest.raises(ValueError, match="not probabilities"):
        Lapace(vae).fit(model=proba)
    with pytest.raises(ValueError, match="not probabilities"):
        LGMVAE(**TINY).fit(X, proba(X))


def test_string_labels_are_a_clear_error():
    ds, X, clf, vae = toy()
    with pytest.raises(ValueError, match="integer labels.*not probabilities or names"):
        vae.centroid_accuracy(lambda Z: np.where(clf.predict(Z) == 1, "yes", "no"))


def test_unencoded_inputs_are_refused_in_fit_encode_and_explain():
    ds, X, clf, vae = toy()
    raw = ds.X_train.assign(housing=0).to_numpy(dtype=np.float32)[:, [0, 2, 2, 2, 1]]  # width 5
    with pytest.raises(ValueError, match="looks unencoded.*ds.encode"):
        LGMVAE(**TINY).fit(raw, ds.y_train)
    with pytest.raises(ValueError, match="looks unencoded.*ds.encode"):
        vae.encode(raw[:5], np.zeros(5, int))
    with pytest.raises(ValueError, match="looks unencoded.*ds.encode"):
        _quiet_explainer().explain_paths(raw[:5], target=1, y=np.zeros(5, int))


def test_inputs_far_outside_the_fitted_range_warn():
    ds, X, clf, vae = toy()
    far = X[:3].copy()
    far[0, 0] = 3.5                                    # 2.5 ranges above the fitted [0, 1]
    with pytest.warns(UserWarning, match="never trained there.*ds.encode"):
        vae.encode(far, np.zeros(3, int))
    with warnings.catch_warnings():
        warnings.simplefilter("error")                 # the training data itself is fine
        vae.encode(X, clf.predict(X))


def test_encode_warns_about_values_far_outside_the_training_range():
    ds = toy()[0]
    df = ds.X_test.head(3).copy()
    df.loc[df.index[1], "income"] = 500.0             # the data stop at 110
    with pytest.warns(UserWarning, match=r"'income' holds 500 .*far outside its training range"):
        ds.encode(df)


def _flip_weight_bytes(path, tensor: torch.Tensor, n: int = 64):
    data = bytearray(path.read_bytes())
    at = data.find(tensor.numpy().tobytes()[:256])
    assert at > 0
    for i in range(at, at + n):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def test_damaged_weights_fail_the_checksum(tmp_path):
    ds, X, clf, vae = toy()
    path = vae.save(tmp_path / "model.pt")
    LGMVAE.load(path)                                  # intact: loads
    _flip_weight_bytes(path, vae.net_.q_z[2].weight.detach())
    with pytest.raises(ValueError, match="do not match their SHA-256 checksum"):
        LGMVAE.load(path)


def test_file_without_parameters_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.pt"
    torch.save({"format": "lapace.LGMVAE", "format_version": FORMAT_VERSION}, path)
    with pytest.raises(ValueError, match=r"incomplete LGMVAE file: it lacks \['params'"):
        LGMVAE.load(path)


@pytest.mark.parametrize("kw, match", [
    ({"max_epochs": 0}, "max_epochs must be an integer >= 1, got 0"),
    ({"clusters_per_class": 2.5}, "clusters_per_class must be an integer >= 1, got 2.5"),
    ({"batch_size": 0}, "batch_size must be an integer >= 1, got 0"),
    ({"lr": 0.0}, "lr must be a positive number"),
])
def test_bad_hyper_parameters(kw, match):
    ds, X, clf, vae = toy()
    with pytest.raises(ValueError, match=match):
        LGMVAE(**{**TINY, **kw}).fit(X, clf.predict(X))


def test_fit_on_one_row():
    ds, X, clf, vae = toy()
    with pytest.raises(ValueError, match="at least 2 rows"):
        LGMVAE(**TINY).fit(X[:1], np.zeros(1, int))


@pytest.mark.parametrize("kw, match", [
    ({"eta": 0}, "eta must be a positive number, got 0"),
    ({"eta": -1.0}, "eta must be a positive number"),
    ({"repair_steps": 0}, "repair_steps must be an integer >= 1, got 0"),
    ({"batch_size": 0}, "batch_size must be an integer >= 1, got 0"),
    ({"max_corrections": -1}, "max_corrections must be an integer >= 0"),
])
def test_bad_explainer_settings(kw, match):
    ds, X, clf, vae = toy()
    with pytest.raises(ValueError, match=match):
        Lapace(vae, **kw).fit(model=clf.predict)


# ------------------------------------------------------------------ data set mistakes
def _frame(n=40):
    return pd.DataFrame({"a": np.arange(float(n)), "t": [0, 1] * (n // 2)})


def test_category_column_mixing_strings_and_ints():
    df = _frame().assign(c=["x", 1] * 20)
    with pytest.raises(ValueError, match=r"'c' mixes value types \['int', 'str'\].*astype\(str\)"):
        TabularDataset.from_frame(df, target="t", categorical=["c"])


def test_float_target_given_by_mistake():
    df = _frame().assign(t=np.linspace(0, 1, 40))
    with pytest.raises(ValueError, match="non-integer floats.*continuous quantity"):
        TabularDataset.from_frame(df, target="t")


def test_class_with_one_member():
    df = _frame().assign(t=[0] * 20 + [1] * 19 + [2])
    with pytest.raises(ValueError, match=r"class\(es\) \[2\] with a single row"):
        TabularDataset.from_frame(df, target="t")


def test_decoding_a_nan_row_says_no_counterfactual_was_found():
    ds = toy()[0]
    with pytest.raises(ValueError, match="NaN row means that no counterfactual was found"):
        ds.decode(np.full((2, ds.n_features_encoded), np.nan))


# ------------------------------------------------------------------ warnings point at the caller
def _assert_points_here(record):
    assert record, "expected a warning"
    assert {w.filename for w in record} == {__file__}


def test_warnings_point_at_the_users_line():
    ds, X, clf, vae = toy()
    with warnings.catch_warnings(record=True) as w:    # a black box that never says 1:
        warnings.simplefilter("always")                 # label 1's centroids cannot be repaired
        Lapace(vae, repair_steps=5).fit(model=lambda Z: np.zeros(len(Z), dtype=int))
    _assert_points_here(w)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        LGMVAE(**TINY).fit(X, np.zeros(len(X), int))  # label 1 never occurs
    _assert_points_here(w)
    df = ds.X_test.head(2).copy()
    df.loc[df.index[0], "debt"] = -300.0
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ds.encode(df)
    _assert_points_here(w)


# ------------------------------------------------------------------ bounded memory
def test_explain_works_in_chunks_of_batch_size_with_the_same_result():
    ds, X, clf, vae = toy()
    Xn = _negatives(12)
    calls = []

    def spy(Z):
        calls.append(len(Z))
        return clf.predict(Z)

    whole = _quiet_explainer(batch_size=100).explain_paths(Xn, target=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chunked = Lapace(vae, batch_size=5).fit(model=spy, dataset=ds)
    calls.clear()
    res = chunked.explain_paths(Xn, target=1, y=np.zeros(len(Xn), int))
    k, T = len(res.clusters), res.taus.size
    # one call checks the given y against the black box (issue 32), then one call per chunk
    # (issue 23): its paths, the previous chunk's middles and, for a chunk of at most
    # Lapace.speculate_rows points, the middle of every possible First
    assert calls[0] == len(Xn)
    assert max(calls[1:]) <= 2 * 5 * k * T + 5 * k and len(calls) == 4
    np.testing.assert_allclose(res.paths, whole.paths, atol=1e-5)
    np.testing.assert_allclose(res.latents, whole.latents, atol=1e-5)
    assert (res.labels != whole.labels).mean() < 0.01
    assert np.array_equal(res.last().points, whole.last().points)


# ------------------------------------------------------------------ results as data
def test_to_frame_all_steps_in_original_units():
    ds, X, clf, vae = toy()
    Xn = _negatives(4)
    res = _quiet_explainer().explain_paths(Xn, target=1)
    n, k, T, d = res.paths.shape
    df = res.to_frame(ds)
    assert len(df) == n * k * T
    assert list(df.columns[:9]) == ["input", "path", "cluster", "step", "tau", "label", "valid",
                                    "satisfied", "found"]
    assert list(df.columns[9:]) == ds.features
    row = df[(df.input == 2) & (df.path == 1) & (df.step == 7)].iloc[0]
    assert row.tau == pytest.approx(res.taus[7]) and row.label == res.labels[2, 1, 7]
    assert row.income == pytest.approx(ds.decode(res.paths[2, 1, 7])["income"].iloc[0])
    assert df["satisfied"].isna().all()                 # no constraints given


def test_to_frame_first_keeps_paths_without_a_counterfactual():
    ds, X, clf, vae = toy()
    Xn = _negatives(12)
    res = _quiet_explainer(repair_centroids=False).explain_paths(Xn, target=1)
    first = res.first()
    assert (~first.valid).any(), "the toy should have a path without a counterfactual"
    df = res.to_frame(ds, which="first")
    assert len(df) == first.valid.size
    assert np.array_equal(df["found"].to_numpy(), first.found.reshape(-1))
    assert np.array_equal(df["valid"].to_numpy(), first.valid.reshape(-1))
    missing = df[~df.found]
    assert missing["income"].isna().all() and missing["step"].isna().all()
    hit = df[df.found].iloc[0]
    assert hit.tau == pytest.approx(res.taus[res.first_index[hit.input, hit.path]])
    with pytest.raises(ValueError, match='which must be "all", "first"'):
        res.to_frame(ds, which="best")
    assert list(res.to_frame(which="last").columns[9:]) == [f"x{j}" for j in range(X.shape[1])]


def _int_dataset():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"age": rng.integers(18, 90, 60), "score": rng.uniform(0, 1, 60),
                       "job": rng.choice(["a", "b"], 60), "t": [0, 1] * 30})
    return TabularDataset.from_frame(df, target="t", categorical=["job"], seed=0)


def test_integer_features_come_back_as_integers():
    ds = _int_dataset()
    X = ds.encode(ds.X_test)
    X[:, 0] += 0.013                                     # between two ages
    out = ds.decode(X)
    assert out["age"].dtype == ds.X_train["age"].dtype and out["score"].dtype == np.float64
    assert (out["age"] - ds.X_test["age"]).abs().max() <= 1


def test_dataset_encoder_is_saved_with_the_model(tmp_path):
    ds, X, clf, vae = toy()
    path = vae.save(tmp_path / "model.pt", dataset=ds)
    vae2, ds2 = LGMVAE.load_with_dataset(path)
    assert len(ds2.X_train) == 0 and ds2.features == ds.features
    np.testing.assert_array_equal(ds2.encode(ds.X_test), ds.encode(ds.X_test))
    pd.testing.assert_frame_equal(ds2.decode(X[:5]), ds.decode(X[:5]))
    np.testing.assert_array_equal(vae2.encode(X[:5], np.zeros(5, int)), vae.encode(X[:5], np.zeros(5, int)))
    ints = _int_dataset()
    ints2 = TabularDataset.from_encoder_state(ints.encoder_state())
    Xi = ints.encode(ints.X_test)
    pd.testing.assert_frame_equal(ints2.decode(Xi), ints.decode(Xi))
    with pytest.raises(ValueError, match="holds no dataset encoder"):
        LGMVAE.load_with_dataset(vae.save(tmp_path / "plain.pt"))
    with pytest.raises(ValueError, match="dataset must be the TabularDataset"):
        vae.save(tmp_path / "x.pt", dataset=ints)

"""LAPACE paths: the paper's guarantees, centroid repair, constraints and bad input."""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from toys import toy

from lapace import LGMVAE, Counterfactuals, Immutable, Lapace, NotFittedError, Range, Relation


def _negatives(X, clf, n=40):
    return X[clf.predict(X) == 0][:n]


def _small_vae(ds, X, clf):
    """A tiny L-GMVAE of its own (2 epochs), for tests that refit or replace it."""
    return LGMVAE(n_labels=2, clusters_per_class=2, latent_dim=2, hidden_dim=16, max_epochs=2,
                  categorical_groups=ds.categorical_groups, verbose=False).fit(X, clf.predict(X))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    arrays(np.float32, (6, 2), elements=st.floats(0, 1, width=32)),
    st.lists(st.integers(0, 2), min_size=6, max_size=6),
    arrays(np.float32, (6, 2), elements=st.floats(-0.0625, 0.0625, width=32)),
)
def test_paths_start_at_reconstruction_and_end_exactly_at_centroids(cont, cat, noise):
    ds, X, clf, vae = toy()
    explainer = _explainer()
    Xin = np.hstack([cont, np.eye(3, dtype=np.float32)[cat]])   # income, debt, housing=...
    y = np.zeros(6, dtype=int)
    res = explainer.explain_paths(Xin, target=1, y=y)
    n, k, T, d = res.paths.shape
    assert (n, k, T, d) == (6, 3, 21, X.shape[1])
    assert np.allclose(res.paths[:, :, 0], vae.reconstruct(Xin, y)[:, None], atol=1e-5)
    assert np.allclose(res.paths[:, :, -1], vae.decode(explainer.target_latents_[res.clusters])[None],
                       atol=1e-6)
    # robustness to input changes is exact: perturbed inputs get bit-identical last points
    Xp = Xin.copy()
    Xp[:, [0, 1]] = np.clip(Xp[:, [0, 1]] + noise, 0, 1)
    again = explainer.explain_paths(Xp, target=1, y=y)
    assert np.array_equal(res.last().points, again.last().points)
    assert np.array_equal(res.last().points[0], res.last().points[-1])


_EXPLAINERS = {}


def _explainer(**kw):
    key = tuple(sorted(kw.items()))
    if key not in _EXPLAINERS:
        ds, X, clf, vae = toy()
        _EXPLAINERS[key] = Lapace(vae, **kw).fit(model=clf.predict, dataset=ds)
    return _EXPLAINERS[key]


def test_result_shapes_and_first_middle_last():
    ds, X, clf, vae = toy()
    Xn = _negatives(X, clf)
    res = _explainer().explain_paths(Xn, target=1)
    n = len(Xn)
    assert res.labels.shape == (n, 3, 21) and res.taus[0] == 0 and res.taus[-1] == 1
    first, middle, last = res.first(), res.middle(), res.last()
    for pts in (first, middle, last):
        assert pts.points.shape == (n, 3, X.shape[1]) and pts.valid.shape == (n, 3)
    # First is the earliest point predicted as the target; nothing before it is
    for i, j in zip(*np.nonzero(first.valid), strict=True):
        t = res.first_index[i, j]
        assert res.labels[i, j, t] == 1 and not (res.labels[i, j, :t] == 1).any()
        assert np.array_equal(first.points[i, j], res.paths[i, j, t])
    # paths without a valid point are masked (NaN), never dropped
    assert np.isnan(first.points[~first.valid]).all()
    assert np.array_equal(last.valid, res.labels[:, :, -1] == 1)
    assert np.array_equal(middle.valid, (res.first_index >= 0) & (clf.predict(
        np.nan_to_num(middle.points.reshape(-1, X.shape[1]))).reshape(n, 3) == 1))


def test_end_to_end_last_validity_is_one_with_repair():
    ds, X, clf, vae = toy()
    explainer = _explainer()
    assert explainer.centroid_report_["valid"].all()
    res = explainer.explain_paths(ds.encode(ds.X_test)[clf.predict(ds.encode(ds.X_test)) == 0], target=1)
    assert res.last().valid.mean() == 1.0
    frame = ds.decode(res.last().points[0])
    assert list(frame.columns) == ds.features


def test_works_for_more_than_two_labels():
    ds, X, clf, _ = toy()
    y3 = np.digitize(X[:, 0], [0.33, 0.66])
    vae = LGMVAE(n_labels=3, clusters_per_class=2, latent_dim=2, hidden_dim=32, max_epochs=5,
                 categorical_groups=ds.categorical_groups, verbose=False).fit(X, y3)

    def predict(A):
        return np.digitize(A[:, 0], [0.33, 0.66])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = Lapace(vae).fit(model=predict).explain_paths(X[y3 != 2][:10], target=2)
    assert res.paths.shape[:3] == (10, 2, 21)
    assert np.array_equal(res.clusters, [4, 5])


def test_centroid_repair_on_a_case_built_to_need_it():
    ds, X, clf, vae = toy()
    dec = vae.decoded_centroids(1)
    worst = int(np.argmin(dec[:, 0]))                 # the label-1 centroid with least income
    members = vae.reconstruct(X, clf.predict(X))
    threshold = float(dec[worst, 0]) + 1e-4

    def predict(A):                                   # a black box that rejects that centroid
        return (A[:, 0] > threshold).astype(int)

    assert (members[:, 0] > threshold).any()
    raw = Lapace(vae, repair_centroids=False).fit(model=predict)
    row = raw.centroid_report_.loc[3 + worst]
    assert not row["valid_raw"] and not row["valid"] and not row["repaired"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fixed = Lapace(vae).fit(model=predict)
    row = fixed.centroid_report_.loc[3 + worst]
    assert not row["valid_raw"] and row["repaired"] and row["valid"]
    assert 0 < row["moved_fraction"] <= 1 and row["moved_distance"] > 0
    # the repaired target is on the segment towards a member, and only that centroid moved
    others = [c for c in range(6) if c != 3 + worst]
    assert np.array_equal(fixed.target_latents_[others], vae.centroids()[others])
    assert predict(vae.decode(fixed.target_latents_[[3 + worst]]))[0] == 1
    Xn = X[predict(X) == 0][:20]
    assert fixed.explain_paths(Xn, target=1).last().valid[:, worst].all()
    assert not raw.explain_paths(Xn, target=1).last().valid[:, worst].any()


def test_repair_falls_back_to_prior_samples_without_training_latents(tmp_path):
    ds, X, clf, vae = toy()
    bare = LGMVAE.load(vae.save(tmp_path / "vae.pt"))
    del bare.train_latent_, bare.train_clusters_, bare.train_labels_
    threshold = float(bare.decoded_centroids(1)[:, 0].max()) + 1e-4

    def predict(A):                       # rejects every label-1 centroid
        return (A[:, 0] > threshold).astype(int)

    with pytest.warns(UserWarning, match="repaired towards prior samples"):
        fixed = Lapace(bare).fit(model=predict)
    rows = fixed.centroid_report_.query("label == 1")
    assert rows["repaired"].all() and rows["valid"].all()
    assert set(rows["repair_source"]) == {"prior samples"}


def test_constraint_correction_reaches_a_feasible_range():
    ds, X, clf, vae = toy()
    Xn = _negatives(X, clf, 15)
    lo, hi = ds.bounds_["debt"]
    cap = lo + 0.3 * (hi - lo)
    plain = _explainer().explain_paths(Xn, target=1)
    over = ds.decode(plain.paths.reshape(-1, X.shape[1]))["debt"].to_numpy() > cap
    assert over.any()                                 # the constraint has work to do
    explainer = Lapace(vae, eta=2.0, max_corrections=200).fit(model=clf.predict, dataset=ds)
    res = explainer.explain_paths(Xn, target=1, constraints=[Range("debt", high=cap)])
    debt = ds.decode(res.paths.reshape(-1, X.shape[1]))["debt"].to_numpy()
    assert res.satisfied.all()
    assert (debt <= cap + 1e-3).all()


def test_constraint_correction_reduces_an_infeasible_violation():
    ds, X, clf, vae = toy()
    Xn = _negatives(X, clf, 10)
    lo, hi = ds.bounds_["income"]
    impossible = [Range("income", low=hi + 50)]       # beyond anything the decoder makes
    explainer = Lapace(vae, eta=0.2, max_corrections=20).fit(model=clf.predict, dataset=ds)
    res = explainer.explain_paths(Xn, target=1, constraints=impossible)
    before = _explainer().explain_paths(Xn, target=1)
    col = ds.feature_slice("income").start
    assert not res.satisfied.any()
    assert res.paths[..., col].mean() > before.paths[..., col].mean()


def test_relation_immutable_and_callable_constraints():
    ds, X, clf, vae = toy()
    Xn = _negatives(X, clf, 10)
    explainer = Lapace(vae, eta=0.5, max_corrections=100).fit(model=clf.predict, dataset=ds)
    res = explainer.explain_paths(Xn, target=1, constraints=[Immutable("housing")])
    g = ds.feature_slice("housing")
    kept = (res.paths[..., g].argmax(-1) == Xn[:, None, None, g].argmax(-1))
    assert np.array_equal(kept, res.satisfied)
    assert kept.mean() > 0.9
    rel = explainer.explain_paths(Xn, target=1, constraints=[Relation("income", ">=", "debt")])
    frame = ds.decode(rel.paths.reshape(-1, X.shape[1]))
    ok = (frame.income >= frame.debt).to_numpy().reshape(rel.satisfied.shape)
    assert np.array_equal(ok, rel.satisfied)
    col = ds.feature_slice("income").start
    cal = explainer.explain_paths(Xn, target=1, constraints=[lambda x: x[:, col] - 0.5])
    assert np.array_equal(cal.satisfied, cal.paths[..., col] <= 0.5)


@pytest.mark.parametrize("make, match", [
    (lambda X: (X[:, :-1], 1), "columns but the model was fitted"),
    (lambda X: (np.where(np.arange(X.shape[1]) == 0, np.nan, X), 1), "NaN"),
    (lambda X: (X, 2), "target must be a label in 0..1"),
    (lambda X: (X, "1"), "target must be a label"),
])
def test_explain_rejects_bad_input(make, match):
    ds, X, clf, vae = toy()
    Xb, target = make(_negatives(X, clf, 5))
    with pytest.raises(ValueError, match=match):
        _explainer().explain_paths(Xb, target=target)


def test_explain_rejects_inputs_already_predicted_as_target():
    ds, X, clf, vae = toy()
    with pytest.raises(ValueError, match="already predicted as target 1"):
        _explainer().explain_paths(X[clf.predict(X) == 1][:3], target=1)


def test_constraints_naming_unknown_features_or_lacking_dataset():
    ds, X, clf, vae = toy()
    Xn = _negatives(X, clf, 3)
    with pytest.raises(ValueError, match="'salary', which the dataset does not have"):
        _explainer().explain_paths(Xn, target=1, constraints=[Range("salary", low=1)])
    with pytest.raises(ValueError, match="dataset=ds"):
        Lapace(vae).fit(model=clf.predict).explain_paths(Xn, target=1, constraints=[Immutable("debt")])
    with pytest.raises(ValueError, match="categorical"):
        _explainer().explain_paths(Xn, target=1, constraints=[Range("housing", low=1)])
    with pytest.raises(ValueError, match="operator"):
        Relation("income", "=>", "debt")
    with pytest.raises(ValueError, match="low or a high"):
        Range("income")


def test_predict_must_return_one_label_per_row():
    ds, X, clf, vae = toy()
    with pytest.raises(ValueError, match="one integer label per row"):
        Lapace(vae).fit(model=lambda A: clf.predict_proba(A))


def test_correction_gradient_matches_autograd_direction():
    """One correction step lowers the summed violation (the step follows -grad g)."""
    ds, X, clf, vae = toy()
    z = torch.as_tensor(vae.centroids(1)).requires_grad_(True)
    col = ds.feature_slice("debt").start
    g = torch.relu(vae.decode_raw(z)[:, col] - 0.0).sum()
    (grad,) = torch.autograd.grad(g, z)
    z2 = z.detach() - 0.05 * grad
    assert torch.relu(vae.decode_raw(z2)[:, col]).sum() < g


def test_corrections_in_chunks_match_one_pass():
    ds, X, clf, vae = toy()
    explainer = _explainer()
    rng = np.random.default_rng(0)
    Z = rng.normal(0, 1, (50, vae.latent_dim)).astype(np.float32)
    X0 = np.repeat(_negatives(X, clf, 1), 50, axis=0)
    from lapace.explain.constraints import compile_constraints
    g = compile_constraints([Range("debt", high=ds.bounds_["debt"][0] + 5)], ds)
    whole = explainer.engine_.correct(Z, X0, g, None, explainer.eta, explainer.max_corrections)
    parts = explainer.engine_.correct(Z, X0, g, None, explainer.eta, explainer.max_corrections,
                                      chunk=7)
    assert np.allclose(whole[0], parts[0], atol=1e-5) and np.array_equal(whole[1], parts[1])


def test_start_input_anchors_paths_at_the_input_and_keeps_last():
    ds, X, clf, vae = toy()
    X_neg = X[clf.predict(X) == 0][:30]
    paper = Lapace(vae).fit(model=clf.predict).explain_paths(X_neg, target=1)
    anchored = Lapace(vae, start="input").fit(model=clf.predict).explain_paths(X_neg, target=1)
    assert np.array_equal(anchored.paths[:, :, 0], np.repeat(X_neg[:, None], 3, 1))
    assert np.array_equal(anchored.paths[:, :, -1], paper.paths[:, :, -1])
    assert np.array_equal(anchored.last().points, paper.last().points)
    assert not anchored.start_valid.any()          # tau = 0 is the input, labelled 0
    # First moves: it is a point of the anchored path, never the reconstruction
    ok = anchored.first_index >= 0
    assert (anchored.first_index[ok] >= 1).all()


def test_warns_when_most_first_points_are_reconstructions():
    ds, X, clf, vae = toy()
    X_neg = X[clf.predict(X) == 0][:20]
    always_one = lambda Z: np.ones(len(Z), dtype=int)       # noqa: E731 - every decoding is "1"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                     # label 0's centroids cannot be repaired
        explainer = Lapace(vae).fit(model=always_one)
        anchored = Lapace(vae, start="input").fit(model=always_one)
    with pytest.warns(UserWarning, match="at tau = 0, the inputs' reconstructions"):
        res = explainer.explain_paths(X_neg, target=1, y=np.zeros(len(X_neg), dtype=int))
    assert res.start_valid.all() and (res.first_index == 0).all()
    with warnings.catch_warnings():                        # anchored at the input: no such warning
        warnings.filterwarnings("error", message=".*reconstructions")
        warnings.filterwarnings("ignore", message="y differs from the black box")   # y=0 on purpose
        anchored.explain_paths(X_neg, target=1, y=np.zeros(len(X_neg), int))


def test_start_must_be_known():
    ds, X, clf, vae = toy()
    with pytest.raises(ValueError, match=r"start must be one of \['reconstruction', 'input'\]"):
        Lapace(vae, start="x").fit(model=clf.predict)


# --- the fast routes (issue 23): the same points as the full paths, at the cost of fewer steps ---

def _same(a, b):
    """Two Counterfactuals hold the same points and validity: the decoder's float32 rows may
    differ in the last bit with the batch they are decoded in (BLAS kernels), so >= 99.5% of
    the paths agree in validity and every point found by both agrees to 1e-5."""
    assert a.points.shape == b.points.shape and (a.valid == b.valid).mean() >= 0.995
    both = a.found & b.found
    assert (a.found == b.found).mean() >= 0.995
    np.testing.assert_allclose(a.points[both], b.points[both], atol=1e-5)


def _mixed_pair():
    from test_records import mixed  # integer age, 6- and 2-level categories
    ds, X, clf, vae, _ = mixed()
    Xt = ds.encode(ds.X_test)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ds, clf, vae, Xt[clf.predict(Xt) == 0][:60]


@pytest.mark.parametrize("data", ["toy", "mixed"])
@pytest.mark.parametrize("start", ["reconstruction", "input"])
@pytest.mark.parametrize("block", [1, 40, 4096])
def test_fast_routes_equal_the_full_paths(data, start, block):
    if data == "toy":
        ds, X, clf, vae = toy()
        Xn = _negatives(X, clf, 60)
    else:
        ds, clf, vae, Xn = _mixed_pair()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = Lapace(vae, start=start, batch_size=16).fit(model=clf, dataset=ds)
        res = full.explain_paths(Xn, target=1)
        for point in ("first", "middle", "last"):
            fast = Lapace(vae, point=point, start=start, batch_size=16).fit(model=clf, dataset=ds)
            fast.first_block_rows = block
            _same(fast.explain(Xn, target=1), getattr(res, point)())
        _same(full.first(Xn, target=1), res.first())
        # a few inputs: the middle points of every possible First ride in the paths' one call
        few = full.explain_paths(Xn[:2], target=1)
        np.testing.assert_array_equal(few.first_index, res.first_index[:2])
        _same(few.middle(), Counterfactuals(res.middle_points[:2], res.middle().valid[:2]))
    if data == "toy":                                  # the routes have work: hits mid-path
        assert ((res.first_index > 0) & (res.first_index < 20)).any()


def test_paths_call_the_black_box_once_per_chunk_and_check_the_inputs_in_it():
    ds, X, clf, vae = toy()
    Xn = _negatives(X, clf, 30)
    sizes = []

    def predict(A):
        sizes.append(len(A))
        return clf.predict(A)

    explainer = Lapace(vae, batch_size=10).fit(model=predict, dataset=ds)
    sizes.clear()
    res = explainer.explain_paths(Xn, target=1)
    assert len(sizes) == 3 + 1                 # one call per chunk, one for the last middles
    assert np.array_equal(res.input_labels, np.zeros(len(Xn)))
    sizes.clear()
    explainer.explain_paths(Xn[:1], target=1)
    assert len(sizes) == 1                     # one input: one call, middles included
    sizes.clear()
    Lapace(vae, point="last").fit(model=predict, dataset=ds).explain(Xn, target=1)
    sizes.clear()
    with pytest.raises(ValueError, match="already predicted as target 1"):
        explainer.explain(X[clf.predict(X) == 1][:3], target=1)
    with pytest.raises(ValueError, match="already predicted as target 1"):
        explainer.explain_paths(X[clf.predict(X) == 1][:3], target=1)


# --- issue 32: a refitted L-GMVAE, explain before fit, start="input" with two steps, copies ---

def test_a_refitted_vae_is_refused_until_lapace_is_fitted_again():
    ds, X, clf, _ = toy()
    vae = _small_vae(ds, X, clf)
    Xn = _negatives(X, clf, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lap = Lapace(vae, steps=5).fit(model=clf, dataset=ds)
        lap.explain(Xn, target=1)
        vae.fit(X, clf.predict(X))                        # in place: new centroids
        for call in (lap.explain, lap.first, lap.explain_paths):
            with pytest.raises(NotFittedError, match="refitted .* call Lapace.fit"):
                call(Xn, target=1)
        lap.fit(model=clf, dataset=ds)
        assert lap.explain(Xn, target=1).points.shape == (5, 2, X.shape[1])


def test_explain_before_fit_is_not_fitted():
    ds, X, clf, vae = toy()
    Xn = _negatives(X, clf, 2)
    for call in (lambda: Lapace(vae).explain(Xn), lambda: Lapace(vae).first(Xn),
                 lambda: Lapace(vae).explain(Xn, constraints=[Range("debt", high=10)]),
                 lambda: Lapace(vae).explain_paths(Xn)):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            call()


@pytest.mark.parametrize("point", ["first", "middle", "last"])
def test_start_input_with_two_steps_works(point):
    ds, X, clf, vae = toy()
    Xn = _negatives(X, clf, 30)
    lap = Lapace(vae, start="input", steps=2, point=point).fit(model=clf, dataset=ds)
    res = lap.explain_paths(Xn, target=1)
    assert np.array_equal(res.paths[:, :, 0], np.repeat(Xn[:, None], 3, 1))
    for n in (2, 30):                    # the middle of few inputs rides with the paths
        cf, ref = lap.explain(Xn[:n], target=1), getattr(res, point)()
        np.testing.assert_array_equal(cf.points, ref.points[:n])
        np.testing.assert_array_equal(cf.valid, ref.valid[:n])


def test_last_and_middle_points_are_copies_of_the_result():
    ds, X, clf, vae = toy()
    res = _explainer().explain_paths(_negatives(X, clf, 5), target=1)
    before = res.paths.copy(), res.middle_points.copy()
    for cf in (res.last(), res.middle()):
        assert not np.shares_memory(cf.points, res.paths)
        assert not np.shares_memory(cf.points, res.middle_points)
        cf.points[:] = -1
    np.testing.assert_array_equal(res.paths, before[0])
    np.testing.assert_array_equal(res.middle_points, before[1])


# --- issue 35: the decoder in bf16 ---

def _records_judged(cf, ds, clf, target=1):
    """Every point found is a record (``ds.project`` leaves it) and ``valid`` is the black
    box's word on it."""
    pts = cf.points[cf.found]
    np.testing.assert_array_equal(ds.project(pts), pts)
    np.testing.assert_array_equal(clf.predict(pts) == target, cf.valid[cf.found])


def test_bf16_agrees_with_fp32_and_returns_the_records_it_judged():
    from lapace.explain.engine import bf16_units
    ds, X, clf, vae = toy()
    Xn = _negatives(X, clf, 60)
    fp32 = _explainer()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bf16 = Lapace(vae, precision="bf16").fit(model=clf, dataset=ds)
    if bf16_units(vae.device) is None:                    # no bf16 units: fp32, said so
        assert bf16.precision_ == "fp32"
        assert any("no bf16 units" in str(w.message) for w in caught)
    else:
        assert bf16.precision_ == "bf16"
    res, ref = bf16.explain_paths(Xn, target=1), fp32.explain_paths(Xn, target=1)
    a = bf16.first(Xn, target=1)
    for cf in (a, res.first(), res.middle(), res.last(), bf16.explain(Xn, target=1)):
        _records_judged(cf, ds, clf)
    np.testing.assert_array_equal(a.points, res.first().points)   # its routes stay exact
    # the toy's features are floats: bf16 moves them in the third digit, rarely a label
    assert (res.labels == ref.labels).mean() >= 0.98
    same = (res.first_index == ref.first_index) & (res.first_index >= 0)
    assert same.mean() >= 0.8 * (ref.first_index >= 0).mean()
    assert np.median(np.abs(res.first().points[same] - ref.first().points[same])) <= 0.01


def test_bf16_decodes_on_a_copy_and_leaves_the_users_model_in_fp32(monkeypatch):
    """The engine casts a copy of the decoder once; the L-GMVAE the user passed keeps its
    float32 weights and decodings, and the bf16 First route still returns exactly the bf16
    paths' First."""
    from lapace.explain import engine
    ds, X, clf, vae = toy()
    monkeypatch.setattr(engine, "bf16_units", lambda device: "test units")   # any CPU
    Xn = _negatives(X, clf, 40)
    z = torch.as_tensor(vae.encode(Xn, np.zeros(len(Xn), np.int64)))
    before = vae.decode_raw(z).detach().numpy()
    lap = Lapace(vae, precision="bf16").fit(model=clf, dataset=ds)
    assert lap.precision_ == "bf16"
    assert {p.dtype for p in lap.engine_.decoder.parameters()} == {torch.bfloat16}
    assert {p.dtype for p in vae.net_.parameters()} == {torch.float32}
    np.testing.assert_array_equal(vae.decode_raw(z).detach().numpy(), before)
    bf16 = vae.decode_raw(z, lap.engine_.decoder)
    assert bf16.dtype == torch.float32 and 0 < np.abs(bf16.numpy() - before).max() < 0.1
    np.testing.assert_array_equal(lap.first(Xn, target=1).points,
                                  lap.explain_paths(Xn, target=1).first().points)


def test_auto_precision_takes_bf16_only_where_measured_faster(monkeypatch, caplog):
    from lapace.explain import engine
    ds, X, clf, vae = toy()
    monkeypatch.setattr(engine, "bf16_units", lambda device: "test units")
    for slow, chosen in (("bf16", "fp32"), ("fp32", "bf16")):
        monkeypatch.setattr(engine, "AUTO_CHOICES", {})
        monkeypatch.setattr(engine, "measure_decode",
                            lambda vae, dtype, slow=slow: 2.0 if dtype == engine.DTYPES[slow] else 1.0)
        with caplog.at_level("INFO", logger="lapace.explain.engine"):
            lap = Lapace(vae, precision="auto").fit(model=clf, dataset=ds)
        assert lap.precision_ == chosen and lap.engine_.dtype == engine.DTYPES[chosen]
        assert f"decodes in {chosen}" in caplog.text
    measured = []                                    # once per process: the choice is kept
    monkeypatch.setattr(engine, "measure_decode", lambda vae, dtype: measured.append(dtype) or 1.0)
    assert Lapace(vae, precision="auto").fit(model=clf, dataset=ds).precision_ == "bf16"
    assert measured == []
    with pytest.raises(ValueError, match=r"precision must be one of \['fp32', 'bf16', 'auto'\]"):
        Lapace(vae, precision="fp16").fit(model=clf, dataset=ds)


def test_labels_passed_as_y_are_checked_against_the_black_box():
    """explain_paths(X, target, y=...) must not trust labels that contradict the black box."""
    ds, X, clf, _ = toy()
    vae = _small_vae(ds, X, clf)
    Xn = _negatives(X, clf, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lap = Lapace(vae, steps=3).fit(model=clf, dataset=ds)
        a = lap.explain_paths(Xn, target=1, y=clf.predict(Xn))     # consistent: same paths
        assert np.array_equal(a.paths, lap.explain_paths(Xn, target=1).paths)
    X_target = X[clf.predict(X) == 1][:3]
    with pytest.warns(UserWarning, match="already predicts 3 of them as the target 1"):
        lap.explain_paths(X_target, target=1, y=np.zeros(3, dtype=int))


def test_repair_margin_moves_the_target_inside_the_accepted_region():
    """repair_margin=m: from the first accepted point of the centroid-medoid segment, a share m
    of the rest of it further towards the medoid; 0 is the first accepted point, 1 the medoid."""
    ds, X, clf, vae = toy()
    dec = vae.decoded_centroids(1)
    worst = int(np.argmin(dec[:, 0]))
    threshold = float(dec[worst, 0]) + 1e-4

    def predict(A):
        return (A[:, 0] > threshold).astype(int)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits = {m: Lapace(vae, repair_margin=m, repair_steps=50).fit(model=predict)
                for m in (0.0, 0.5, 1.0)}
    moved = {m: f.centroid_report_.loc[3 + worst, "moved_fraction"] for m, f in fits.items()}
    assert all(f.centroid_report_.loc[3 + worst, "valid"] for f in fits.values())
    assert 0 < moved[0.0] < moved[0.5] < moved[1.0] == 1.0
    # half of the rest of the segment, on the grid of 50 steps
    first = round(moved[0.0] * 50) - 1                 # grid index of the first accepted point
    assert np.isclose(moved[0.5], (first + round(0.5 * (49 - first)) + 1) / 50)
    # the first accepted point has a rejected grid point just before it (or is the first step)
    zc, target = vae.centroids()[3 + worst], fits[1.0].target_latents_[3 + worst]
    before = (zc + (moved[0.0] - 0.02) * (target - zc)).astype(np.float32)[None]
    assert moved[0.0] == 0.02 or predict(fits[0.0].engine_.records(before))[0] == 0
    # every grid point between the first accepted point and the margin's target is accepted
    ts = np.arange(moved[0.0], moved[0.5] + 1e-6, 0.02, dtype=np.float32)
    seg = (zc[None] + ts[:, None] * (target - zc)[None]).astype(np.float32)
    assert (predict(fits[0.5].engine_.records(seg)) == 1).all()
    with pytest.raises(ValueError, match="repair_margin"):
        Lapace(vae, repair_margin=1.5).fit(model=predict)

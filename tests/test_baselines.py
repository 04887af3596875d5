"""The five baselines against their definitions, on small data built here."""

from functools import cache

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from lapace import TabularDataset, train_classifier
from lapace.counterfactuals import Counterfactuals as SharedCounterfactuals
from lapace.methods import DRCE, FACE, NNCE, Counterfactuals, DiCE, RobX
from tests.toys import toy_frame

TARGET = 1


@cache
def blobs():
    """Two overlapping Gaussian blobs in 3-D, a logistic regression, inputs predicted 0."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0.35, 0.12, (150, 3)), rng.normal(0.65, 0.12, (150, 3))]).astype(np.float32)
    y = np.repeat([0, 1], 150)
    model = LogisticRegression().fit(X, y)
    X_test = rng.normal(0.35, 0.1, (40, 3)).astype(np.float32)
    X_test = X_test[model.predict(X_test) == 0][:12]
    return X, model, X_test


@cache
def tabular():
    """The toy data set (2 continuous features, 1 categorical) and a small random forest."""
    ds = TabularDataset.from_frame(toy_frame(300), target="approved", categorical=["housing"], seed=0)
    X = ds.encode(ds.X_train)
    clf = train_classifier("rf", X, ds.y_train, seed=0, n_estimators=20)
    X_test = ds.encode(ds.X_test)
    return ds, X, clf, X_test[clf.predict(X_test) == 0]


def test_result_type_is_shared():
    assert Counterfactuals is SharedCounterfactuals


def test_nnce_is_the_brute_force_nearest_training_input_predicted_as_target():
    X, model, X_test = blobs()
    cf = NNCE().fit(X, model).explain(X_test, target=TARGET)
    pool = X[model.predict(X) == TARGET]
    expected = pool[cdist(X_test, pool).argmin(1)]
    assert cf.points.shape == (len(X_test), 1, 3) and cf.points.dtype == np.float32
    np.testing.assert_array_equal(cf.points[:, 0], expected)
    assert cf.valid.all()
    manhattan = NNCE(metric="manhattan").fit(X, model).explain(X_test, TARGET)
    np.testing.assert_array_equal(manhattan.points[:, 0], pool[cdist(X_test, pool, "cityblock").argmin(1)])


@pytest.mark.parametrize("weight", ["density", "hops"])
def test_face_path_runs_along_graph_edges_to_a_valid_endpoint(weight):
    X, model, X_test = blobs()
    eps = 0.25
    face = FACE(mode="epsilon", epsilon=eps, weight=weight).fit(X, model)
    cf = face.explain(X_test, target=TARGET, return_paths=True)
    assert len(cf.paths) == len(X_test)
    assert cf.found.all()
    for i, path in enumerate(cf.paths):
        assert path.dtype == np.float32 and path.ndim == 2
        np.testing.assert_array_equal(path[0], X_test[i])
        np.testing.assert_array_equal(path[-1], cf.points[i, 0])
        assert (np.linalg.norm(np.diff(path, axis=0), axis=1) <= eps + 1e-6).all()
        # every point after the input is a training input, the last predicted as the target
        assert (cdist(path[1:], X).min(1) == 0).all()
    assert cf.valid.all()
    assert (model.predict(cf.points[:, 0]) == TARGET).all()


def test_face_weights_paths_by_density_and_reports_unreachable_inputs():
    X, model, X_test = blobs()
    far = np.full((1, 3), -0.5, dtype=np.float32)         # no edge within epsilon: no path
    cf = FACE(mode="epsilon", epsilon=0.2).fit(X, model).explain(
        np.vstack([X_test[:2], far]), TARGET, return_paths=True)
    assert np.isnan(cf.points[2]).all() and not cf.valid[2, 0] and cf.paths[2] is None
    assert np.isinf(cf.info["cost"][2]) and np.isfinite(cf.info["cost"][:2]).all()
    # the knn graph finds an endpoint too, and a density-weighted path costs at least its length
    knn = FACE(n_neighbors=5).fit(X, model).explain(X_test, TARGET, return_paths=True)
    lengths = np.array([np.linalg.norm(np.diff(p, axis=0), axis=1).sum() for p in knn.paths])
    assert knn.valid.all() and (knn.info["cost"] >= lengths - 1e-6).all()


def test_robx_counterfactuals_are_stable_recomputed_independently():
    X, model, X_test = blobs()
    robx = RobX(n_samples=200, sigma=0.1, tau=0.5, seed=3).fit(X, model)
    cf = robx.explain(X_test, target=TARGET)
    points = cf.points[:, 0].astype(np.float64)
    noisy = points[:, None, :] + robx.noise_[None].astype(np.float64)
    p = model.predict_proba(noisy.reshape(-1, 3))[:, TARGET].reshape(len(points), -1)
    stability = p.mean(1) - p.std(1)
    assert (stability >= 0.5 - 1e-6).all()
    np.testing.assert_allclose(robx.stability(points, TARGET), stability, atol=1e-5)
    assert cf.valid.all()
    # RobX moves away from the NNCE counterfactual only when that one is not stable
    nn = NNCE().fit(X, model).explain(X_test, TARGET).points[:, 0]
    moved = ~np.all(np.isclose(points, nn), axis=1)
    assert (robx.stability(nn[moved], TARGET) <= 0.5).all()


def test_robx_finds_the_nearest_stable_training_input_without_scoring_them_all():
    X, model, X_test = blobs()
    robx = RobX(n_samples=100, sigma=0.1, tau=0.6, seed=0).fit(X, model)
    got, scored = robx._nearest_stable(X_test, TARGET)
    # the definition, eagerly: score every training input predicted TARGET, keep the stable ones
    cand = np.flatnonzero(model.predict(X) == TARGET)
    stable = cand[robx.stability(X[cand], TARGET) >= 0.6]
    assert 0 < len(stable) < len(cand)        # the threshold bites: the search must skip some
    d = np.linalg.norm(X_test[:, None, :] - X[stable][None], axis=2)
    np.testing.assert_array_equal(got, stable[d.argmin(1)])
    assert scored < len(cand)                 # only the candidates near the inputs were scored


def test_robx_needs_predict_proba():
    X, _, _ = blobs()
    svm = LinearSVC().fit(X, np.repeat([0, 1], 150))
    with pytest.raises(ValueError, match="predict_proba"):
        RobX().fit(X, svm)


def test_drce_counterfactuals_are_valid_distinct_and_diverse():
    X, model, X_test = blobs()
    beta = 0.8                                       # in 3-D, 0.5 leaves one direction per input
    cf = DRCE(total_cfs=5, alpha=50, beta=beta, gamma=0.01).fit(X, model).explain(X_test, TARGET)
    assert cf.points.shape == (len(X_test), 5, 3)
    assert cf.found.sum(1).min() >= 2
    for i in range(len(X_test)):
        pts = cf.points[i][cf.found[i]]
        assert cf.valid[i][cf.found[i]].all()
        assert len(np.unique(pts, axis=0)) == len(pts)
        u = pts - X_test[i]
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        cos = np.abs(u @ u.T)[np.triu_indices(len(pts), 1)]
        assert (cos <= beta + 1e-5).all()
    # the line search moves each counterfactual towards the input along its candidate's ray
    raw = DRCE(line_search=False).fit(X, model).explain(X_test, TARGET)
    d_raw = np.linalg.norm(raw.points[:, 0] - X_test, axis=1)
    d_cf = np.linalg.norm(cf.points[:, 0] - X_test, axis=1)
    assert (d_cf <= d_raw + 1e-6).all() and (d_cf < d_raw).any()


def test_dice_results_are_reverified_with_valid_categories_and_immutables_kept():
    ds, X, clf, X_test = tabular()
    dice = DiCE(total_cfs=3, sample_size=200, features_to_vary=["income", "housing"],
                time_limit=30, seed=0).fit(X, clf, dataset=ds)
    cf = dice.explain(X_test[:3], target=TARGET)
    assert cf.points.shape == (3, 3, X.shape[1])
    assert cf.info["timeouts"].shape == (3,) and not cf.info["timeouts"].any()
    found = cf.found
    assert found.any()
    pts = cf.points[found]
    np.testing.assert_array_equal(cf.valid[found], clf.predict(pts) == TARGET)
    group = pts[:, ds.feature_slice("housing")]
    assert set(np.unique(group)) <= {0.0, 1.0} and (group.sum(1) == 1).all()
    debt = ds.feature_slice("debt").start
    inputs = np.repeat(X_test[:3], 3, axis=0).reshape(3, 3, -1)[found]
    np.testing.assert_allclose(pts[:, debt], inputs[:, debt], atol=1e-6)
    again = DiCE(total_cfs=3, sample_size=200, features_to_vary=["income", "housing"],
                 time_limit=30, seed=0).fit(X, clf, dataset=ds).explain(X_test[:3], TARGET)
    np.testing.assert_array_equal(again.points, cf.points)


def test_dice_time_outs_are_failures_and_recorded():
    ds, X, clf, X_test = tabular()
    cf = DiCE(total_cfs=2, sample_size=200, time_limit=1e-4).fit(X, clf, dataset=ds).explain(
        X_test[:2], TARGET)
    assert cf.info["timeouts"].all() and np.isnan(cf.points).all() and not cf.valid.any()


def test_dice_finding_nothing_gives_nan_rows():
    ds, X, _, X_test = tabular()

    class Never:                                      # a black box that never predicts 1
        classes_ = np.array([0, 1])

        def predict(self, X):
            return np.zeros(len(X), dtype=int)

        def predict_proba(self, X):
            return np.tile([1.0, 0.0], (len(X), 1))

    cf = DiCE(total_cfs=2, sample_size=50, time_limit=30).fit(X, Never(), dataset=ds).explain(
        X_test[:1], TARGET)
    assert np.isnan(cf.points).all() and not cf.valid.any() and cf.info["found"][0] == 0
    assert not cf.info["timeouts"].any()


def test_dice_needs_the_dataset():
    ds, X, clf, _ = tabular()
    with pytest.raises(ValueError, match="dataset"):
        DiCE().fit(X, clf)


@pytest.mark.parametrize("make", [
    lambda: NNCE(), lambda: FACE(), lambda: RobX(n_samples=50, seed=1),
    lambda: DRCE(), lambda: FACE(weight="hops", n_neighbors=4)])
def test_same_seed_same_result_any_batch(make):
    X, model, X_test = blobs()
    a = make().fit(X, model).explain(X_test, TARGET)
    b = make().fit(X, model).explain(X_test, TARGET)
    np.testing.assert_array_equal(a.points, b.points)
    small = make()                                   # the same inputs in chunks of two
    if hasattr(small, "max_rows"):
        small.max_rows = 2 * small.n_samples
    small.batch_size = 2
    c = small.fit(X, model).explain(X_test, TARGET)
    np.testing.assert_array_equal(a.points, c.points)


def test_robx_seed_changes_the_noise():
    X, model, _ = blobs()
    a, b = RobX(n_samples=20, seed=0).fit(X, model), RobX(n_samples=20, seed=1).fit(X, model)
    assert not np.array_equal(a.noise_, b.noise_)


@pytest.mark.parametrize("method", [NNCE, FACE, RobX, DRCE])
def test_bad_inputs_get_the_shared_errors(method):
    X, model, X_test = blobs()
    m = method().fit(X, model)
    with pytest.raises(ValueError, match="columns but the model was fitted on 3"):
        m.explain(X_test[:, :2], TARGET)
    with pytest.raises(ValueError, match="NaN"):
        m.explain(np.full((1, 3), np.nan), TARGET)
    with pytest.raises(ValueError, match="target must be a label in 0..1"):
        m.explain(X_test, 2)
    with pytest.raises(ValueError, match="2-D"):
        m.explain(X_test[0], TARGET)
    with pytest.raises(ValueError, match="already predicted as target 1"):
        m.explain(X[model.predict(X) == 1][:3], TARGET)
    with pytest.raises(ValueError, match="looks unencoded"):
        m.explain(X_test * 100, TARGET)
    with pytest.raises(ValueError, match="predict method"):
        method().fit(X, object())


def test_readme_baselines_section_runs_on_the_toy_data(capsys):
    import re
    import warnings
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    code = re.search(r"## Baselines.*?```python\n(.*?)```", text, re.S).group(1)
    code = code.replace("time_limit=10", "time_limit=10, sample_size=200")   # keep the test fast
    code = code.replace("RobX(seed=0)", "RobX(seed=0, n_samples=100)").replace("X_neg[:5]", "X_neg[:2]")
    ds, X, clf, X_neg = tabular()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, "README.md", "exec"), {"ds": ds, "X": X, "clf": clf, "X_neg": X_neg})
    out = capsys.readouterr().out
    for name in ("NNCE", "FACE", "RobX", "DRCE", "DiCE"):
        assert name in out
    assert "(2, 5, 5)" in out                          # DRCE/DiCE: 2 inputs x 5 CEs x 5 columns


def test_face_edge_cost_is_the_density_weighted_length():
    X, model, _ = blobs()
    face = FACE(n_neighbors=4).fit(X, model)
    g = face.graph_.tocoo()
    i, j, w = g.row[:20], g.col[:20], g.data[:20]
    length = np.linalg.norm(X[i].astype(np.float64) - X[j], axis=1)
    log_p = face.kde_.score_samples((X[i] + X[j]) / 2)
    expected = length * (1 + np.maximum(face.log_density_.max() - log_p, 0))
    np.testing.assert_allclose(w, expected, rtol=1e-5)
    hops = FACE(n_neighbors=4, weight="hops").fit(X, model).graph_
    assert set(np.unique(hops.data)) == {1.0}

"""Group recourse (lapace.groups.regions, lapace.groups.baselines, lapace.groups.metrics): the actions
mean what they say, every measure on a case computed by hand, the baselines by their papers'
definitions on hand-made cases."""

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier
from toys import toy

from lapace.explain.constraints import Immutable, Monotone
from lapace.groups.baselines import GlobeCE, TCREx, candidate_rules, move_into
from lapace.groups.metrics import (
    assignment_robustness,
    coverage,
    coverage_at_cost,
    features_changed,
    mean_cost,
    original_changes,
)
from lapace.groups.regions import (
    ClusterRegions,
    best_direction,
    describe_action,
    keep_largest,
    smallest_scale,
)


def threshold(x):                   # a hand-made black box: label 1 iff x0 + x1 > 1
    return (np.asarray(x)[:, 0] + np.asarray(x)[:, 1] > 1.0).astype(int)


# --------------------------------------------------------------- the translation of GLOBE-CE
def test_smallest_scale_is_the_first_scale_that_flips():
    X = np.array([[0.2, 0.3], [0.45, 0.5], [0.0, 0.0]], np.float32)
    scales = np.array([0.25, 0.5, 0.75, 1.0], np.float32)
    scale, points, flipped = smallest_scale(X, [0.5, 0.0], scales, threshold, 1)
    # x0 + x1 + 0.5 k > 1: row 0 needs k > 1 (none of the grid: 1.0 gives exactly 1.0),
    # row 1 k > 0.1 (0.25), row 2 k > 2 (none)
    np.testing.assert_array_equal(flipped, [False, True, False])
    assert scale[1] == 0.25 and np.isnan(scale[[0, 2]]).all()
    np.testing.assert_allclose(points[1], [0.575, 0.5])
    assert np.isnan(points[0]).all()


def test_fixed_columns_are_copied_and_constraints_reject_records():
    X = np.array([[0.6, 0.3]], np.float32)
    scale, points, flipped = smallest_scale(X, [0.5, 0.5], [1.0], threshold, 1, fixed=[1])
    np.testing.assert_allclose(points[0], [1.1, 0.3])            # column 1 never moves
    never = lambda P, P0: np.zeros(len(P), bool)                 # noqa: E731
    assert not smallest_scale(X, [0.5, 0.5], [1.0], threshold, 1, satisfied=never)[2][0]


def test_best_direction_is_the_cheapest_within_the_slack_of_the_best_coverage():
    X = np.array([[0.2, 0.3], [0.45, 0.5]], np.float32)

    def translate(X_, d):
        return smallest_scale(X_, d, [1.0], threshold, 1)
    # [1, 0] flips both (cost 1 each); [0.1, 0] flips row 1 only (cost 0.1)
    assert best_direction(X, [[1.0, 0.0], [0.1, 0.0]], translate, slack=0.0)[0] == 0
    assert best_direction(X, [[1.0, 0.0], [0.1, 0.0]], translate, slack=0.5)[0] == 1


def test_keep_largest_counts_a_one_hot_block_as_one_feature():
    blocks = [slice(0, 1), slice(1, 4), slice(4, 5)]
    delta = np.array([0.3, -1.0, 1.0, 0.0, 0.1], np.float32)     # block change: 2 / 2 = 1
    np.testing.assert_allclose(keep_largest(delta, blocks, 1), [0, -1, 1, 0, 0])
    np.testing.assert_allclose(keep_largest(delta, blocks, None), delta)


# --------------------------------------------------------------- LAPACE's cluster regions
@pytest.fixture(scope="module")
def regions():
    ds, X, clf, vae = toy()
    neg = ds.encode(ds.X_test)[clf.predict(ds.encode(ds.X_test)) == 0]
    cons = [Immutable("housing"), Monotone("income", "increase")]
    g = ClusterRegions(vae, constraints=cons).fit(neg[::2], clf, ds)
    return ds, clf, vae, g, neg[1::2]


def test_an_action_gives_its_group_the_stated_record_and_never_moves_immutables(regions):
    ds, clf, vae, g, X = regions
    rec = g.recourse(X)
    assert 1 <= g.n_actions <= vae.clusters_per_class
    for i in np.flatnonzero(rec.flipped):
        stated = g.apply(int(rec.action[i]), X[i:i + 1], float(rec.scale[i]))[0]
        np.testing.assert_allclose(rec.points[i], stated, atol=1e-6)
        np.testing.assert_allclose(stated, ds.project(
            np.where(np.isin(np.arange(X.shape[1]), g.fixed_), X[i],
                     X[i] + rec.scale[i] * g.actions_[rec.action[i]].delta)), atol=1e-6)
    assert rec.flipped.any()
    assert (clf.predict(rec.points[rec.flipped]) == 1).all()
    block = ds.feature_slice("housing")
    np.testing.assert_array_equal(rec.points[rec.flipped][:, block], X[rec.flipped][:, block])
    income = ds.feature_slice("income").start
    assert (rec.points[rec.flipped][:, income] >= X[rec.flipped][:, income] - 1e-6).all()
    for a in g.actions_:                                          # the deltas already obey them
        assert (a.delta[block] == 0).all() and a.delta[income] >= 0


def test_groups_are_the_most_probable_source_clusters(regions):
    ds, clf, vae, g, X = regions
    cluster = vae.predict_cluster(X, clf.predict(X))
    action = g.assign(X)
    for c, a in zip(cluster, action, strict=True):
        if int(c) in g.cluster_action_:
            assert g.actions_[a].cluster == c


def test_an_action_reads_in_original_units(regions):
    ds, clf, vae, g, X = regions
    table = describe_action(g, 0, ds, scale=1.0)
    assert list(table.columns) == ["feature", "group's value", "after", "change"]
    assert "housing" not in set(table.feature)


def test_fitting_on_inputs_of_the_target_is_refused():
    ds, X, clf, vae = toy()
    with pytest.raises(ValueError, match="already predicted as target 1"):
        ClusterRegions(vae).fit(X[clf.predict(X) == 1][:5], clf, ds)


# --------------------------------------------------------------- the measures, by hand
def test_measures_on_a_hand_computed_case():
    ds, X, clf, vae = toy()
    A = X[:3].copy()
    B = A.copy()
    inc, debt = ds.feature_slice("income").start, ds.feature_slice("debt").start
    B[0, inc] += 0.1                                            # 1 feature, L1 0.1
    B[1, inc] += 0.2
    B[1, debt] -= 0.1                                           # 2 features, L1 0.3
    B[2] = np.nan                                               # not flipped
    flipped = np.array([True, True, False])
    assert coverage(flipped) == pytest.approx(2 / 3)
    assert mean_cost(A, B, flipped) == pytest.approx(0.2)
    assert features_changed(A, B, flipped, ds) == pytest.approx(1.5)
    ch = original_changes(A, B, flipped, ds).set_index("feature")
    lo, hi = ds.bounds_["income"]
    assert ch.loc["income", "mean |change|"] == pytest.approx(0.15 * (hi - lo), rel=1e-4)
    assert ch.loc["debt", "share changed"] == 0.5 and ch.loc["housing", "share changed"] == 0
    assert np.isnan(mean_cost(A, B, np.zeros(3, bool)))
    assert coverage_at_cost(A, B, flipped, 0.1) == pytest.approx(1 / 3)
    assert coverage_at_cost(A, B, flipped, 0.3) == pytest.approx(2 / 3)
    # 2 inputs x 2 perturbations; one perturbed copy changes action, one does not count
    assert assignment_robustness([0, 1], [[0, 0], [1, 2]], [[True, False], [True, True]]) \
        == pytest.approx(2 / 3)


# --------------------------------------------------------------- GLOBE-CE and T-CREx
def test_globe_ce_one_translation_scaled_per_input():
    rng = np.random.default_rng(0)
    X_train = rng.uniform(0, 1, (400, 2)).astype(np.float32)
    X = X_train[threshold(X_train) == 0][:50]
    g = GlobeCE(n_directions=10, max_scale=2.0, n_scales=20).fit(X, threshold, X_train=X_train)
    rec = g.recourse(X)
    assert g.n_actions == 1 and (rec.action == 0).all()
    d = g.actions_[0].delta
    assert d.sum() > 0                                          # towards x0 + x1 > 1
    np.testing.assert_allclose(rec.points[rec.flipped],
                               X[rec.flipped] + rec.scale[rec.flipped, None] * d, atol=1e-6)
    k = rec.scale[rec.flipped]                                  # the smallest grid scale
    assert (threshold(X[rec.flipped] + (k - 0.1)[:, None] * d) == 0).all()
    assert coverage(rec.flipped) >= 0.85             # the cheapest within 0.05 of the best


def test_t_crex_rules_meet_accuracy_and_feasibility():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (500, 2)).astype(np.float32)
    positive = X[:, 0] > 0.7                                    # the target region: a half-plane
    tree = DecisionTreeClassifier(min_samples_leaf=10, random_state=0).fit(X, positive)
    rules = candidate_rules(tree, X, positive, rho=0.05, tau=0.9)
    assert rules
    for lo, hi, acc, feas in rules:
        inside = ((X > lo) & (X <= hi)).all(1)
        assert acc == pytest.approx(positive[inside].mean()) and acc >= 0.9
        assert feas == pytest.approx(inside.mean()) and feas >= 0.05
    moved = move_into(np.array([[0.2, 0.5]], np.float32), np.array([0.7, -np.inf]),
                      np.array([np.inf, 0.4]), margin=0.01)
    np.testing.assert_allclose(moved, [[0.71, 0.4]])            # least L1 move into the box


def test_t_crex_moves_inputs_into_their_metarules_rule():
    rng = np.random.default_rng(1)
    X_train = rng.uniform(0, 1, (600, 2)).astype(np.float32)

    def box(x):                     # a target region a tree can hold exactly: x0 > 0.7
        return (np.asarray(x)[:, 0] > 0.7).astype(int)
    X = X_train[box(X_train) == 0][:80]
    t = TCREx(rho=0.02, tau=0.9).fit(X, box, X_train=X_train)
    rec = t.recourse(X)
    assert coverage(rec.flipped) > 0.9
    np.testing.assert_allclose(rec.points[:, 1], X[:, 1], atol=1e-6)   # only x0 needs to move
    for i in np.flatnonzero(rec.flipped):
        lo, hi = t.actions_[rec.action[i]].bounds
        assert ((rec.points[i] > lo) & (rec.points[i] <= hi)).all()
    assert t.rule_costs(X).shape == (len(X), len(t.rules_))


def test_globe_ce_memory_is_bounded_by_chunks(monkeypatch):
    # issue 32: fit held inputs x training rows x columns at once (a MemoryError at 2,000 x
    # 30,000 under 4 GB); it now holds at most MAX_ELEMENTS per array, same result
    import tracemalloc

    import lapace.groups.baselines as baselines
    import lapace.groups.regions as regions

    monkeypatch.setattr(regions, "MAX_ELEMENTS", 2 ** 16, raising=False)
    monkeypatch.setattr(baselines, "MAX_ELEMENTS", 2 ** 16, raising=False)
    rng = np.random.default_rng(0)
    X_train = rng.uniform(0, 1, (4000, 8)).astype(np.float32)

    def box(x):
        return (np.asarray(x)[:, 0] + np.asarray(x)[:, 1] > 1.0).astype(int)

    X = X_train[box(X_train) == 0][:300]
    pool = X_train[box(X_train) == 1]
    tracemalloc.start()
    g = GlobeCE(n_directions=1, n_scales=2).fit(X, box, X_train=X_train)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    dense = len(X) * len(pool) * X.shape[1] * 4                  # one (n, N, d) float32 array
    assert peak < dense / 4, f"peak {peak / 2**20:.0f} MiB, one dense array {dense / 2**20:.0f} MiB"
    nearest = np.abs(X[:, None, :] - pool[None]).sum(-1).argmin(1)
    np.testing.assert_allclose(g.directions_[0], (pool[nearest] - X).mean(0), atol=1e-6)


def test_a_method_that_finds_no_rule_scores_coverage_zero_instead_of_stopping_the_chapter(monkeypatch):
    """Under compas's careful constraints (only age may move) T-CREx can reach no rule: the
    benchmark records coverage 0 and no model; any other error still stops it."""
    from types import SimpleNamespace

    from lapace_book.experiments import region_benchmark as rb

    X = np.zeros((6, 3), np.float32)
    pair = SimpleNamespace(dataset="compas", classifier="rf", X_test=X, X_train=X, ds=None,
                           clf=None, predict=lambda A: np.zeros(len(A), int))
    monkeypatch.setattr(rb, "split_inputs", lambda *a, **k: (np.arange(3), np.arange(3, 6)))
    monkeypatch.setattr(rb, "perturb", lambda X, *a: np.repeat(X[:, None], 2, axis=1))

    class Unreachable:
        def fit(self, *a, **k):
            raise ValueError(f"TCREx: {rb.NO_RULE} by the inputs under the constraints.")

    monkeypatch.setattr(rb, "build", lambda *a, **k: Unreachable())
    table, fitted, recs = rb.compare_pair(pair, ["T-CREx"], n_fit=3, n_eval=3)
    row = table.iloc[0]
    assert row.coverage == 0.0 and row.n_actions == 0 and np.isnan(row.cost)
    assert "T-CREx" not in fitted and not recs["T-CREx"].flipped.any()
    assert (recs["T-CREx"].action == -1).all() and np.isnan(recs["T-CREx"].points).all()

    class Broken:
        def fit(self, *a, **k):
            raise ValueError("something else")

    monkeypatch.setattr(rb, "build", lambda *a, **k: Broken())
    with pytest.raises(ValueError, match="something else"):
        rb.compare_pair(pair, ["T-CREx"], n_fit=3, n_eval=3)

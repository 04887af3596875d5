"""The §4.1 metrics on tiny hand-computed cases."""

import numpy as np
import pytest

from lapace import metrics

NAN = np.nan
# two inputs in 2-D, two counterfactuals each; input 1's second one was not found (NaN row)
X = np.array([[0.0, 0.0], [1.0, 1.0]])
P = np.array([[[1.0, 0.0], [0.0, 3.0]],
              [[1.0, 2.0], [NAN, NAN]]])
V = np.array([[True, True], [False, False]])


def test_validity_and_valid_share():
    np.testing.assert_array_equal(metrics.validity(V), [1.0, 0.0])
    np.testing.assert_array_equal(metrics.valid_share([[True, False], [False, False]]), [0.5, 0.0])


def test_proximity_counts_valid_counterfactuals_only():
    # input 0: |1|+|0| = 1 and |0|+|3| = 3 -> 2; input 1: none valid -> NaN
    np.testing.assert_allclose(metrics.proximity(X, P, V), [2.0, NAN])
    V2 = np.array([[False, True], [True, False]])
    np.testing.assert_allclose(metrics.proximity(X, P, V2), [3.0, 1.0])


def test_diversity_is_mean_pairwise_l1_and_nan_for_single():
    np.testing.assert_allclose(metrics.diversity(P, V), [4.0, NAN])   # |1-0| + |0-3|
    three = np.array([[[0.0], [1.0], [3.0]]])
    # pairs 1, 3, 2 -> mean 2
    np.testing.assert_allclose(metrics.diversity(three, [[True, True, True]]), [2.0])
    assert np.isnan(metrics.diversity(P[:, :1], V[:, :1])).all()       # one CF per input


def test_plausibility_is_negative_lof_score():
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(200, 2))
    lof = metrics.lof_model(ref, n_neighbors=10)
    pts = np.array([[[0.0, 0.0], [8.0, 8.0]]])
    got = metrics.plausibility(pts, [[True, True]], lof)
    np.testing.assert_allclose(got, -lof.score_samples(pts[0]).mean())
    inlier = metrics.plausibility(pts[:, :1], [[True]], lof)[0]
    outlier = metrics.plausibility(pts[:, 1:], [[True]], lof)[0]
    assert 0.8 < inlier < 1.3 < 3 < outlier
    with pytest.raises(ValueError, match="more than n_neighbors"):
        metrics.lof_model(ref[:5])


def test_model_robustness_averages_over_models():
    def m1(Z):
        return (Z[:, 0] > 0.5).astype(int)    # keeps (1, 0) only

    def m2(Z):
        return np.ones(len(Z), dtype=int)     # keeps both

    # input 0: model 1 keeps 1/2, model 2 keeps 2/2 -> 0.75
    np.testing.assert_allclose(metrics.model_robustness(P, V, [m1, m2], target=1), [0.75, NAN])
    with pytest.raises(ValueError, match="at least one"):
        metrics.model_robustness(P, V, [], target=1)


def test_max_set_distance_hand_computed():
    A = np.array([[0.0, 0.0], [2.0, 0.0]])
    B = np.array([[0.0, 1.0]])
    # A->B: min distances 1 and 3 -> max 3; B->A: min 1 -> 0.5 * (3 + 1) = 2
    assert metrics.max_set_distance(A, B) == 2.0
    assert metrics.max_set_distance(B, A) == 2.0
    assert metrics.max_set_distance(A, A[::-1]) == 0.0
    assert metrics.max_set_distance([1.0, 2.0], [0.0, 0.0]) == 3.0       # single points: L1


def test_input_robustness():
    # one perturbation returns the same set, the other moves one CF by 1 (L1): Hausdorff terms
    # A->B max(0, 1) = 1; B->A max(0, 1) = 1 -> 1; mean over the two perturbations = 0.5
    pp = np.stack([P, P], axis=1).copy()                     # (n, p=2, m, d)
    pp[0, 1, 0] = [2.0, 0.0]
    vp = np.stack([V, V], axis=1)
    np.testing.assert_allclose(metrics.input_robustness(P, V, pp, vp), [0.5, NAN])
    vp_none = vp.copy()
    vp_none[0] = False                                       # nothing valid after perturbing
    assert np.isnan(metrics.input_robustness(P, V, pp, vp_none)[0])
    # single counterfactuals: plain L1
    single = metrics.input_robustness(P[:, :1], V[:, :1], pp[:, :, :1], vp[:, :, :1])
    np.testing.assert_allclose(single, [0.5, NAN])


def test_bad_shapes_and_nan_marked_valid_raise():
    with pytest.raises(ValueError, match=r"\(n, m, d\)"):
        metrics.proximity(X, P[0], V[0])
    with pytest.raises(ValueError, match="holds NaN"):
        metrics.diversity(P, np.ones_like(V))
    with pytest.raises(ValueError, match="points_perturbed"):
        metrics.input_robustness(P, V, P, V)


# --- LOF on duplicated rows (issue 18) ---------------------------------------------------------

def test_plausibility_is_about_one_next_to_duplicated_records():
    rng = np.random.default_rng(0)
    records = rng.random((50, 4))
    repeated = np.tile(records, (20, 1))                     # every record 20 times, like compas
    near = (records[:10] + 0.01)[None]                       # (1, 10, 4): next to a record each
    ok = np.ones((1, 10), dtype=bool)
    on_repeated = metrics.plausibility(near, ok, metrics.lof_model(repeated))[0]
    on_distinct = metrics.plausibility(near, ok, metrics.lof_model(records))[0]
    assert on_repeated == pytest.approx(on_distinct) and 0.8 < on_repeated < 1.3
    # what the LOF of the repeated set itself gives: local density undefined, scores explode
    from sklearn.neighbors import LocalOutlierFactor
    raw = -LocalOutlierFactor(n_neighbors=10, novelty=True).fit(repeated).score_samples(near[0])
    assert raw.mean() > 1e6
    # exact copies of reference records are inliers too
    copies = metrics.plausibility(records[None, :10], ok, metrics.lof_model(repeated))[0]
    assert 0.8 < copies < 1.3


def test_lof_model_needs_more_distinct_rows_than_neighbours():
    records = np.random.default_rng(1).random((8, 3))
    with pytest.raises(ValueError, match=r"X_reference holds 8 distinct rows \(160 with dup"):
        metrics.lof_model(np.tile(records, (20, 1)), n_neighbors=10)
    assert metrics.lof_model(np.tile(records, (20, 1)), n_neighbors=5).n_samples_fit_ == 8
    with pytest.raises(ValueError, match="n_neighbors must be an integer"):
        metrics.lof_model(records, n_neighbors=2.5)


def test_plausibility_checks_lof():
    from sklearn.neighbors import LocalOutlierFactor
    lof = metrics.lof_model(np.random.default_rng(2).random((30, 3)))
    with pytest.raises(ValueError, match="points have 2 columns but lof was fitted on 3"):
        metrics.plausibility(P, V, lof)
    with pytest.raises(ValueError, match="lof must be a fitted LocalOutlierFactor"):
        metrics.plausibility(P, V, LocalOutlierFactor(novelty=True))


# --- arguments are checked, never cast (issue 24) ----------------------------------------------

@pytest.mark.parametrize("bad", [
    [[0.9, 0.2], [0.1, 0.0]],                                # probabilities: once cast to True
    [[1.0, 0.0], [0.0, 0.0]],                                # floats, even 0/1
    [[2, 0], [0, 1]],                                        # labels, not verdicts
    [["yes", "no"], ["no", "no"]],
])
def test_valid_must_be_boolean(bad):
    for call in (lambda: metrics.valid_share(bad), lambda: metrics.validity(bad),
                 lambda: metrics.proximity(X, P, bad), lambda: metrics.diversity(P, bad)):
        with pytest.raises(ValueError, match="valid must be a boolean array"):
            call()


def test_valid_as_0_1_integers_is_accepted():
    np.testing.assert_array_equal(metrics.valid_share([[1, 0], [0, 0]]), [0.5, 0.0])
    np.testing.assert_allclose(metrics.proximity(X, P, V.astype(int)), [2.0, NAN])


def test_valid_must_match_points():
    with pytest.raises(ValueError, match=r"valid must have shape \(2, 2\)"):
        metrics.proximity(X, P, V[:, :1])
    with pytest.raises(ValueError, match="valid must be a 2-D array"):
        metrics.valid_share([True, False])


def test_points_must_be_numeric():
    with pytest.raises(ValueError, match="points must be a numeric array"):
        metrics.diversity(np.full((2, 2, 2), "a"), V)
    with pytest.raises(ValueError, match=r"points holds NaN or infinite .* \[\[0, 1\]\]"):
        metrics.diversity(np.where(np.arange(2)[None, :, None] == 1, np.inf, P), V)


def test_X_must_match_points():
    with pytest.raises(ValueError, match=r"X has shape \(1, 2\)"):
        metrics.proximity(X[:1], P, V)
    with pytest.raises(ValueError, match=r"X has shape \(2, 3\)"):
        metrics.proximity(np.zeros((2, 3)), P, V)
    with pytest.raises(ValueError, match="X must be a numeric array"):
        metrics.proximity([["a", "b"], ["c", "d"]], P, V)


def _ones(Z):
    return np.ones(len(Z), dtype=int)


@pytest.mark.parametrize("predict, what", [
    (lambda Z: np.full(len(Z), 0.9), r"predicts\[1\]'s output must hold integer labels"),
    (lambda Z: np.tile([0.1, 0.9], (len(Z), 1)), r"predicts\[1\] returned shape \(2, 2\)"),
    (lambda Z: np.full(len(Z), "yes"), r"predicts\[1\]'s output must hold integer labels"),
    (lambda Z: np.ones(len(Z) + 1, dtype=int), r"predicts\[1\] returned shape \(3,\)"),
])
def test_model_robustness_checks_each_predict_output(predict, what):
    with pytest.raises(ValueError, match=what):
        metrics.model_robustness(P, V, [_ones, predict], target=1)


def test_model_robustness_accepts_float_and_bool_labels():
    def floats(Z):
        return np.ones(len(Z))

    def bools(Z):
        return np.ones(len(Z), dtype=bool)

    np.testing.assert_allclose(metrics.model_robustness(P, V, [floats, bools], 1), [1.0, NAN])


@pytest.mark.parametrize("target", ["1", 1.0, True, -1, None])
def test_model_robustness_target_must_be_an_integer_label(target):
    with pytest.raises(ValueError, match=f"target must be an integer class label.*{type(target).__name__}"):
        metrics.model_robustness(P, V, [_ones], target=target)


def test_model_robustness_predicts_must_be_a_list_of_callables():
    with pytest.raises(ValueError, match=r"wrap a single one in a list: \[model.predict\]"):
        metrics.model_robustness(P, V, _ones, target=1)
    with pytest.raises(ValueError, match=r"predicts\[0\] is not callable \(got dict\)"):
        metrics.model_robustness(P, V, [{}], target=1)
    np.testing.assert_allclose(metrics.model_robustness(P, V, (f for f in [_ones]), 1), [1.0, NAN])
    np.testing.assert_allclose(metrics.model_robustness(P, V, [_ones], np.int64(1)), [1.0, NAN])


def test_max_set_distance_checks_its_sets():
    with pytest.raises(ValueError, match=r"A and B must hold points of the same width"):
        metrics.max_set_distance(np.zeros((2, 1)), np.zeros((3, 2)))    # would broadcast
    with pytest.raises(ValueError, match=r"B must be a non-empty set"):
        metrics.max_set_distance(np.zeros((2, 2)), np.zeros((0, 2)))
    with pytest.raises(ValueError, match=r"A must be a non-empty set .* without NaN"):
        metrics.max_set_distance([[NAN, 0.0]], [[0.0, 0.0]])
    with pytest.raises(ValueError, match=r"A must be a 2-D array \(k, d\)"):
        metrics.max_set_distance(np.zeros((1, 2, 2)), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="B must be a numeric array"):
        metrics.max_set_distance([[0.0]], [["a"]])


def test_input_robustness_checks_the_perturbed_sets():
    pp = np.stack([P, P], axis=1)
    vp = np.stack([V, V], axis=1)
    with pytest.raises(ValueError, match=r"points_perturbed must be \(2, p, 2, 2\) to match"):
        metrics.input_robustness(P, V, pp[:, :, :1], vp[:, :, :1])
    with pytest.raises(ValueError, match=r"valid_perturbed must have shape \(2, 2, 2\)"):
        metrics.input_robustness(P, V, pp, vp[:, :1])
    with pytest.raises(ValueError, match="valid_perturbed must be a boolean array"):
        metrics.input_robustness(P, V, pp, vp * 0.5)
    with pytest.raises(ValueError, match=r"points_perturbed holds NaN .* \[\[1, 0, 1\], \[1, 1, 1\]\]"):
        metrics.input_robustness(P, V, pp, np.ones_like(vp))

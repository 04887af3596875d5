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

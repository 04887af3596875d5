"""The evaluation metrics of §4.1, as plain functions of arrays.

Every function takes the counterfactuals of ``n`` inputs as ``points`` (n, m, d) in encoded
space (a row of NaN where a method found nothing) and ``valid`` (n, m), the black box's word
on each point (:class:`~lapace.counterfactuals.Counterfactuals` unpacks as ``points, valid``).
Only *valid* counterfactuals count towards proximity, plausibility, diversity and robustness,
and each function returns **one value per input**: NaN where it is undefined (no valid
counterfactual, or fewer than two for diversity).  A cell of the benchmark averages these with
``np.nanmean``.  Distances are L1 in encoded space (continuous features scaled to [0, 1], one
column per category), as in the paper.

=====================  ==========================================================  ========
metric                 per input                                                    better
=====================  ==========================================================  ========
:func:`validity`       1 if at least one counterfactual is valid, else 0            higher
:func:`valid_share`    share of the input's counterfactuals that are valid          higher
:func:`proximity`      mean L1 distance from the input to its valid counterfactuals lower
:func:`plausibility`   mean local outlier factor of its valid counterfactuals       lower
:func:`diversity`      mean pairwise L1 distance among its valid counterfactuals    higher
:func:`model_robustness`  share of its valid counterfactuals still valid, averaged  higher
                       over retrained black boxes
:func:`input_robustness`  mean distance between its counterfactuals and those of    lower
                       perturbed copies (L1, or :func:`max_set_distance` for sets)
runtime                wall seconds of ``explain`` per input (measured by           lower
                       :mod:`lapace.benchmark`)
=====================  ==========================================================  ========
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sklearn.neighbors import LocalOutlierFactor

from .validation import check_X

__all__ = [
    "HIGHER_IS_BETTER",
    "diversity",
    "input_robustness",
    "lof_model",
    "max_set_distance",
    "model_robustness",
    "plausibility",
    "proximity",
    "valid_share",
    "validity",
]

#: which way is better for each metric (True: higher); the benchmark's column names
HIGHER_IS_BETTER = {
    "validity": True, "proximity": False, "plausibility": False, "diversity": True,
    "model_robustness": True, "input_robustness": False, "runtime_s": False,
}


def _check(points, valid) -> tuple[np.ndarray, np.ndarray]:
    """``points`` (n, m, d) float and ``valid`` (n, m) bool; valid points must not be NaN."""
    points = np.asarray(points, dtype=np.float64)
    valid = np.asarray(valid, dtype=bool)
    if points.ndim != 3 or valid.shape != points.shape[:2]:
        raise ValueError(f"points must be (n, m, d) and valid (n, m); got {points.shape} and "
                         f"{valid.shape}.")
    if np.isnan(points[valid]).any():
        raise ValueError("a counterfactual marked valid holds NaN; mark rows where nothing was "
                         "found as invalid.")
    return points, valid


def _per_input_mean(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Mean of ``values`` (n, m) over each input's valid entries; NaN where there are none."""
    counts = valid.sum(1)
    sums = np.where(valid, values, 0.0).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def validity(valid) -> np.ndarray:
    """1.0 for inputs with at least one valid counterfactual, else 0.0 (§4.1: "the portion of
    test points receiving valid CEs" is the mean)."""
    valid = np.asarray(valid, dtype=bool)
    if valid.ndim != 2:
        raise ValueError(f"valid must be (n, m), got shape {valid.shape}.")
    return valid.any(1).astype(np.float64)


def valid_share(valid) -> np.ndarray:
    """Share of each input's ``m`` counterfactuals that are valid (NaN rows count as invalid)."""
    valid = np.asarray(valid, dtype=bool)
    if valid.ndim != 2:
        raise ValueError(f"valid must be (n, m), got shape {valid.shape}.")
    return valid.mean(1).astype(np.float64)


def proximity(X, points, valid) -> np.ndarray:
    """Mean L1 distance between each input ``X`` (n, d) and its valid counterfactuals (§4.1,
    Wachter et al. 2017); lower is better."""
    points, valid = _check(points, valid)
    X = check_X(X, n_features=points.shape[2]).astype(np.float64)
    if X.shape[0] != points.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but points hold {points.shape[0]} inputs.")
    dist = np.abs(points - X[:, None, :]).sum(-1)                       # (n, m)
    return _per_input_mean(np.nan_to_num(dist), valid)


def lof_model(X_reference, n_neighbors: int = 10) -> LocalOutlierFactor:
    """Local outlier factor (Breunig et al. 2000) fitted for novelty detection on
    ``X_reference``: in the benchmark, the training inputs the black box predicts as the
    target."""
    X_reference = check_X(X_reference, name="X_reference")
    if X_reference.shape[0] <= n_neighbors:
        raise ValueError(f"the LOF reference set needs more than n_neighbors={n_neighbors} rows, "
                         f"got {X_reference.shape[0]}.")
    return LocalOutlierFactor(n_neighbors=n_neighbors, novelty=True).fit(X_reference)


def plausibility(points, valid, lof: LocalOutlierFactor) -> np.ndarray:
    """Mean local outlier factor of each input's valid counterfactuals (§4.1), from a fitted
    :func:`lof_model`: ``-lof.score_samples``, about 1 for inliers; lower is better."""
    points, valid = _check(points, valid)
    scores = np.zeros(valid.shape)
    if valid.any():
        scores[valid] = -lof.score_samples(points[valid])
    return _per_input_mean(scores, valid)


def diversity(points, valid) -> np.ndarray:
    """Mean pairwise L1 distance among each input's valid counterfactuals (§4.1); higher is
    better.  NaN where an input has fewer than two (always for single-counterfactual methods:
    the paper plots -1 there, we leave it undefined)."""
    points, valid = _check(points, valid)
    n, m, _ = points.shape
    out = np.full(n, np.nan)
    if m < 2:
        return out
    pair = np.abs(points[:, :, None, :] - points[:, None, :, :]).sum(-1)   # (n, m, m)
    both = valid[:, :, None] & valid[:, None, :] & ~np.eye(m, dtype=bool)[None]
    counts = both.sum((1, 2))
    sums = np.where(both, np.nan_to_num(pair), 0.0).sum((1, 2))
    ok = counts > 0
    out[ok] = sums[ok] / counts[ok]
    return out


def model_robustness(points, valid, predicts: Sequence[Callable[[np.ndarray], np.ndarray]],
                     target: int) -> np.ndarray:
    """Share of each input's valid counterfactuals that retrained black boxes still assign to
    ``target``, averaged over the models in ``predicts`` (§4.1: 20 retrained classifiers);
    higher is better."""
    points, valid = _check(points, valid)
    if len(predicts) == 0:
        raise ValueError("model_robustness needs at least one retrained model.")
    kept = np.zeros(valid.shape)
    if valid.any():
        P = points[valid]
        kept[valid] = np.mean([np.asarray(f(P)) == target for f in predicts], axis=0)
    return _per_input_mean(kept, valid)


def max_set_distance(A, B) -> float:
    """Max-set-distance of Leofante & Potyka (2024) between two sets of points (rows), L1:

    ``0.5 * (max_a min_b |a - b|_1 + max_b min_a |a - b|_1)``, the mean of the two directed
    Hausdorff distances.  For single points it is their L1 distance.
    """
    A, B = np.atleast_2d(np.asarray(A, np.float64)), np.atleast_2d(np.asarray(B, np.float64))
    if len(A) == 0 or len(B) == 0 or np.isnan(A).any() or np.isnan(B).any():
        raise ValueError("max_set_distance needs two non-empty sets of points without NaN.")
    D = np.abs(A[:, None, :] - B[None, :, :]).sum(-1)
    return float(0.5 * (D.min(1).max() + D.min(0).max()))


def input_robustness(points, valid, points_perturbed, valid_perturbed) -> np.ndarray:
    """Mean distance between each input's valid counterfactuals and those of its perturbed
    copies (§4.1); lower is better.

    ``points_perturbed`` (n, p, m, d) and ``valid_perturbed`` (n, p, m) hold the counterfactuals
    of ``p`` perturbations of every input.  The distance is L1 for single-counterfactual methods
    (``m == 1``) and :func:`max_set_distance` between the two sets of valid counterfactuals
    otherwise.  A perturbation where either side has no valid counterfactual is left out; NaN
    where none is left (or ``p == 0``).
    """
    points, valid = _check(points, valid)
    pp = np.asarray(points_perturbed, dtype=np.float64)
    vp = np.asarray(valid_perturbed, dtype=bool)
    n, m, d = points.shape
    if pp.ndim != 4 or pp.shape[0] != n or pp.shape[2:] != (m, d) or vp.shape != pp.shape[:3]:
        raise ValueError(f"points_perturbed must be ({n}, p, {m}, {d}) and valid_perturbed "
                         f"({n}, p, {m}); got {pp.shape} and {vp.shape}.")
    out = np.full(n, np.nan)
    for i in range(n):
        if not valid[i].any():
            continue
        dists = [max_set_distance(points[i][valid[i]], pp[i, j][vp[i, j]])
                 for j in range(pp.shape[1]) if vp[i, j].any()]
        if dists:
            out[i] = float(np.mean(dists))
    return out

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
                       :mod:`lapace_book.benchmark.grid`)
=====================  ==========================================================  ========

**Plausibility uses a de-duplicated reference set (our choice).**  §4.1 says only
"Plausibility: the average local outlier factor (lof) (Breunig et al., 2000) of each CE".  The
local reachability density of a reference row with ``n_neighbors`` copies is infinite (about
1e10 in scikit-learn), a case Breunig et al. rule out by assuming no duplicates.  Tabular data
have many (compas repeats whole records), and the LOF of a point next to a repeated record then
explodes: a reference of 50 records repeated 20 times scores points 0.01 away at about 2e8,
against about 1.0 once de-duplicated; paper-scale compas-RF cells averaged 33,891
(LAPACE-First) and 54,002 (DRCE).  :func:`lof_model`
therefore fits on the distinct rows (``np.unique(X, axis=0)``): a record's density no longer
depends on how often it was recorded, and LOF stays about 1 for inliers.

**Arguments are checked, never cast** (:mod:`lapace.validation`): ``valid`` must be boolean
(or 0/1 integers), not probabilities; ``points`` numeric with ``valid`` of matching shape; ``X``
of matching rows and width; each retrained ``predict`` must return one integer label per row;
``target`` an integer label.  Every mistake raises :class:`ValueError` naming the argument.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sklearn.neighbors import LocalOutlierFactor

from lapace.validation import (
    check_int,
    check_label,
    check_mask,
    check_points,
    check_predicts,
    check_X,
    predict_labels_as,
)

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
    """``points`` (n, m, d) as float64 and ``valid`` (n, m) as bool; valid points must be finite."""
    points = check_points(points, "points", ndim=3, layout="(n, m, d)")
    valid = check_mask(valid, "valid", shape=points.shape[:2])
    _check_valid_finite(points, valid, "points", "valid", "(input, counterfactual)")
    return points, valid


def _check_valid_finite(points, valid, name: str, mask_name: str, index: str) -> None:
    """Counterfactuals marked valid in ``mask_name`` must be finite points."""
    bad = valid & ~np.isfinite(points).all(-1)
    if bad.any():
        raise ValueError(f"{name} holds NaN or infinite values in counterfactuals marked valid "
                         f"{index} {np.argwhere(bad)[:5].tolist()}; mark rows where nothing was "
                         f"found as invalid in {mask_name}.")


def _per_input_mean(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Mean of ``values`` (n, m) over each input's valid entries; NaN where there are none."""
    counts = valid.sum(1)
    sums = np.where(valid, values, 0.0).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def validity(valid) -> np.ndarray:
    """1.0 for inputs with at least one valid counterfactual, else 0.0 (§4.1: "the portion of
    test points receiving valid CEs" is the mean).

    Parameters
    ----------
    valid : array of bool (n, m)
        Booleans or 0/1 integers; probabilities are refused.
    """
    return check_mask(valid, "valid", ndim=2).any(1).astype(np.float64)


def valid_share(valid) -> np.ndarray:
    """Share of each input's ``m`` counterfactuals that are valid (NaN rows count as invalid).

    Parameters
    ----------
    valid : array of bool (n, m)
        Booleans or 0/1 integers; probabilities are refused.
    """
    return check_mask(valid, "valid", ndim=2).mean(1).astype(np.float64)


def proximity(X, points, valid) -> np.ndarray:
    """Mean L1 distance between each input and its valid counterfactuals (§4.1, Wachter et al.
    2017); lower is better.

    Parameters
    ----------
    X : array (n, d)
        The encoded inputs, one per row of ``points``.
    points, valid : arrays (n, m, d) and (n, m)
        Their counterfactuals and the black box's verdicts.
    """
    points, valid = _check(points, valid)
    X = check_X(X, name="X", allow_empty=True).astype(np.float64)
    if X.shape != (points.shape[0], points.shape[2]):
        raise ValueError(f"X has shape {X.shape} but points {points.shape} need "
                         f"({points.shape[0]}, {points.shape[2]}): one encoded input per row of "
                         f"points, with as many columns as each counterfactual.")
    dist = np.abs(points - X[:, None, :]).sum(-1)                       # (n, m)
    return _per_input_mean(np.nan_to_num(dist), valid)


def lof_model(X_reference, n_neighbors: int = 10) -> LocalOutlierFactor:
    """Local outlier factor (Breunig et al. 2000) for novelty detection, fitted on the
    **distinct** rows of ``X_reference`` (see the module docstring).

    Parameters
    ----------
    X_reference : array (N, d)
        In the benchmark, the training inputs the black box predicts as the target.
    n_neighbors : int
        LOF's ``k``; ``X_reference`` needs more than ``k`` distinct rows.

    Raises
    ------
    ValueError
        If fewer than ``n_neighbors + 1`` distinct rows remain (k would be silently reduced
        by scikit-learn otherwise): pass more rows or a smaller ``n_neighbors``.
    """
    n_neighbors = check_int(n_neighbors, "n_neighbors", minimum=1)
    X_reference = check_X(X_reference, name="X_reference")
    distinct = np.unique(X_reference, axis=0)
    if distinct.shape[0] <= n_neighbors:
        raise ValueError(
            f"X_reference holds {distinct.shape[0]} distinct rows ({X_reference.shape[0]} with "
            f"duplicates); LOF with n_neighbors={n_neighbors} needs more than n_neighbors distinct "
            f"rows: pass more reference rows or a smaller n_neighbors."
        )
    return LocalOutlierFactor(n_neighbors=n_neighbors, novelty=True).fit(distinct)


def plausibility(points, valid, lof: LocalOutlierFactor) -> np.ndarray:
    """Mean local outlier factor of each input's valid counterfactuals (§4.1); lower is better.

    Parameters
    ----------
    points, valid : arrays (n, m, d) and (n, m)
    lof : LocalOutlierFactor
        From :func:`lof_model`; the score is ``-lof.score_samples``, about 1 for inliers.
    """
    points, valid = _check(points, valid)
    if not (isinstance(lof, LocalOutlierFactor) and getattr(lof, "novelty", False)
            and hasattr(lof, "n_features_in_")):
        raise ValueError(f"lof must be a fitted LocalOutlierFactor with novelty=True, got "
                         f"{lof!r}; build it with lof_model(X_reference).")
    if lof.n_features_in_ != points.shape[2]:
        raise ValueError(f"points have {points.shape[2]} columns but lof was fitted on "
                         f"{lof.n_features_in_}; fit lof_model on inputs encoded like the points.")
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
    ``target``, averaged over the models (§4.1: 20 retrained classifiers); higher is better.

    Parameters
    ----------
    points, valid : arrays (n, m, d) and (n, m)
    predicts : list of callables
        Each maps encoded points (N, d) to integer labels (N,): ``model.predict``, not
        ``predict_proba``, not class names; each one's output is checked.
    target : int
        The desired label, as an integer (not ``"1"``).
    """
    points, valid = _check(points, valid)
    predicts = check_predicts(predicts, "predicts")
    target = check_label(target, "target")
    kept = np.zeros(valid.shape)
    if valid.any():
        P = points[valid]
        kept[valid] = np.mean([predict_labels_as(f, P, name=f"predicts[{i}]") == target
                               for i, f in enumerate(predicts)], axis=0)
    return _per_input_mean(kept, valid)


def _point_set(A, name: str) -> np.ndarray:
    """A set of points for :func:`max_set_distance`: rows of a 2-D array, or one 1-D point."""
    arr = np.asarray(A)
    arr = check_points(arr[None] if arr.ndim == 1 else arr, name, ndim=2, layout="(k, d)")
    if arr.shape[0] == 0 or not np.isfinite(arr).all():
        raise ValueError(f"{name} must be a non-empty set of points (k, d) without NaN or "
                         f"infinite values, got shape {arr.shape}; pass only valid counterfactuals.")
    return arr


def max_set_distance(A, B) -> float:
    """Max-set-distance of Leofante & Potyka (2024) between two sets of points (rows), L1:

    ``0.5 * (max_a min_b |a - b|_1 + max_b min_a |a - b|_1)``, the mean of the two directed
    Hausdorff distances.  For single points (1-D) it is their L1 distance.  ``A`` (k, d) and
    ``B`` (l, d) must have the same width ``d``.
    """
    A, B = _point_set(A, "A"), _point_set(B, "B")
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"A and B must hold points of the same width, got A {A.shape} and "
                         f"B {B.shape}.")
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
    n, m, d = points.shape
    pp = check_points(points_perturbed, "points_perturbed", ndim=4, layout=f"({n}, p, {m}, {d})")
    if pp.shape[0] != n or pp.shape[2:] != (m, d):
        raise ValueError(f"points_perturbed must be ({n}, p, {m}, {d}) to match points {points.shape}, "
                         f"got {pp.shape}.")
    vp = check_mask(valid_perturbed, "valid_perturbed", shape=pp.shape[:3])
    _check_valid_finite(pp, vp, "points_perturbed", "valid_perturbed",
                        "(input, perturbation, counterfactual)")
    out = np.full(n, np.nan)
    for i in range(n):
        if not valid[i].any():
            continue
        dists = [max_set_distance(points[i][valid[i]], pp[i, j][vp[i, j]])
                 for j in range(pp.shape[1]) if vp[i, j].any()]
        if dists:
            out[i] = float(np.mean(dists))
    return out

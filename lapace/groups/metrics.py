"""Measures of group recourse, as the group-recourse literature reports them (AReS, GLOBE-CE,
T-CREx, GLANCE): plain functions of arrays, each tested on a case computed by hand.

- :func:`coverage`: share of (held-out) affected inputs whose recommended record the black box
  predicts as the target (and that satisfies the constraints);
- :func:`coverage_at_cost`: the coverage counting only records within a cost budget;
- :func:`mean_cost`: mean L1 distance, in the encoded space, from input to record over the
  flipped inputs; :func:`original_changes`: the same changes in original units, per feature;
- :func:`features_changed`: mean number of features (not encoded columns) a flipped input's
  record changes;
- :func:`assignment_robustness`: share of perturbed inputs that get the same action as their
  input (``perturb`` draws the perturbations as the §4.1 input robustness does).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lapace.validation import check_mask, check_X

__all__ = ["assignment_robustness", "coverage", "coverage_at_cost", "features_changed", "mean_cost",
           "original_changes", "perturb"]


def coverage(flipped) -> float:
    """Share of inputs flipped (NaN for none)."""
    flipped = check_mask(flipped, "flipped")
    return float(flipped.mean()) if flipped.size else float("nan")


def _flipped_pairs(X, X_cf, flipped):
    X = check_X(X, name="X")
    flipped = check_mask(flipped, "flipped", shape=(len(X),))
    X_cf = np.asarray(X_cf, dtype=np.float64)
    if X_cf.shape != X.shape:
        raise ValueError(f"X_cf has shape {X_cf.shape} but X {X.shape}: one record per input.")
    return X[flipped].astype(np.float64), X_cf[flipped]


def mean_cost(X, X_cf, flipped) -> float:
    """Mean L1 distance ``|x' - x|_1`` (encoded) over the flipped rows (NaN if none)."""
    A, B = _flipped_pairs(X, X_cf, flipped)
    return float(np.abs(B - A).sum(1).mean()) if len(A) else float("nan")


def coverage_at_cost(X, X_cf, flipped, budget: float) -> float:
    """Share of all inputs flipped at an encoded L1 cost of at most ``budget`` (coverage at a
    given cost: compares methods at equal cost)."""
    X = check_X(X, name="X")
    flipped = check_mask(flipped, "flipped", shape=(len(X),))
    cost = np.where(flipped, np.nansum(np.abs(np.asarray(X_cf, np.float64) - X), 1), np.inf)
    return float((cost <= budget + 1e-6).mean()) if len(X) else float("nan")


def _changed(dataset, A, B, tol):
    return np.stack([np.abs(B[:, dataset.feature_slice(f)] - A[:, dataset.feature_slice(f)])
                     .max(1) > tol for f in dataset.features], axis=1)


def features_changed(X, X_cf, flipped, dataset=None, tol: float = 1e-6) -> float:
    """Mean number of features each flipped input's record changes (a one-hot block counts as
    one feature; without ``dataset`` every column is a feature); NaN if none flipped."""
    A, B = _flipped_pairs(X, X_cf, flipped)
    if not len(A):
        return float("nan")
    changed = np.abs(B - A) > tol if dataset is None else _changed(dataset, A, B, tol)
    return float(changed.sum(1).mean())


def original_changes(X, X_cf, flipped, dataset, tol: float = 1e-6) -> pd.DataFrame:
    """Per feature, over the flipped rows: share of records that change it and the mean
    absolute change in original units (continuous; NaN for a categorical feature)."""
    A, B = _flipped_pairs(X, X_cf, flipped)
    changed = _changed(dataset, A, B, tol) if len(A) else np.zeros((0, len(dataset.features)), bool)
    rows = []
    for j, f in enumerate(dataset.features):
        amount = np.nan
        if f in dataset.continuous and len(A):
            col = dataset.feature_slice(f).start
            amount = float(np.abs(dataset.to_original_units(f, B[:, col])
                                  - dataset.to_original_units(f, A[:, col])).mean())
        rows.append({"feature": f, "share changed": float(changed[:, j].mean()) if len(A)
                     else np.nan, "mean |change|": amount})
    return pd.DataFrame(rows)


def perturb(X, dataset, sigma: float = 0.01, n: int = 2, seed: int = 0) -> np.ndarray:
    """(len(X), n, d) copies of ``X`` with Gaussian noise of std ``sigma`` on the continuous
    columns (encoded, i.e. a share of each training range), projected to records."""
    X = check_X(X)
    rng = np.random.default_rng(seed)
    noise = np.zeros((len(X), int(n), X.shape[1]), dtype=np.float32)
    cols = np.array(dataset.continuous_index, dtype=np.int64)
    noise[..., cols] = rng.normal(0.0, sigma, (len(X), int(n), len(cols)))
    return dataset.project(X[:, None, :] + noise)


def assignment_robustness(actions, actions_perturbed, keep=None) -> float:
    """Share of perturbed inputs assigned the same action as their input.

    ``actions`` (n,) and ``actions_perturbed`` (n, p) action indices; ``keep`` (n, p) bool: the
    perturbed inputs that count (e.g. those the black box still does not give the target).
    """
    a = np.asarray(actions)
    b = np.asarray(actions_perturbed)
    if b.ndim != 2 or b.shape[0] != a.shape[0]:
        raise ValueError(f"actions_perturbed must be (n, p) with n = {a.shape[0]}, got {b.shape}.")
    same = b == a[:, None]
    keep = np.ones_like(same) if keep is None else check_mask(keep, "keep", shape=same.shape)
    return float(same[keep].mean()) if keep.any() else float("nan")

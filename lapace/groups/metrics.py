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

from lapace.validation import (
    check_dataset,
    check_frame,
    check_int,
    check_mask,
    check_one_hot,
    check_real,
    check_X,
)

__all__ = ["assignment_robustness", "coverage", "coverage_at_cost", "features_changed", "mean_cost",
           "original_changes", "perturb"]


def coverage(flipped) -> float:
    """Share of inputs flipped (NaN for none)."""
    flipped = check_mask(flipped, "flipped")
    return float(flipped.mean()) if flipped.size else float("nan")


def _inputs(X, dataset=None, name: str = "X") -> np.ndarray:
    """Encoded inputs, read with ``dataset`` when given: a frame's columns matched by name to its
    ``encoded_columns``, the width and one-hot blocks its encoding has."""
    if dataset is None:
        return check_X(X, name=name)
    dataset = check_dataset(dataset, none=False)
    names = list(dataset.encoded_columns)
    X = check_X(check_frame(X, names, name), name=name)
    if X.shape[1] != dataset.n_features_encoded:
        raise ValueError(f"{name} has {X.shape[1]} columns but dataset encodes "
                         f"{dataset.n_features_encoded}: pass the dataset the inputs were "
                         "encoded with (ds.encode(df)).")
    check_one_hot(X, dataset.categorical_groups, name, names)
    return X


def _flipped_pairs(X, X_cf, flipped, dataset=None):
    X = _inputs(X, dataset)
    flipped = check_mask(flipped, "flipped", shape=(len(X),))
    if dataset is not None and isinstance(X_cf, pd.DataFrame):
        X_cf = check_frame(X_cf, list(dataset.encoded_columns), "X_cf")
    X_cf = np.asarray(X_cf, dtype=np.float64)
    if X_cf.shape != X.shape:
        raise ValueError(f"X_cf has shape {X_cf.shape} but X {X.shape}: one record per input.")
    bad = flipped & ~np.isfinite(X_cf).all(1)
    if bad.any():
        raise ValueError(
            f"X_cf holds NaN or infinite values in records marked flipped (rows "
            f"{np.flatnonzero(bad)[:10].tolist()}): a record that does not exist cannot be "
            "covered; mark those rows flipped=False (GroupRecourse does).")
    if dataset is not None and flipped.any():
        check_one_hot(X_cf[flipped], dataset.categorical_groups, "X_cf",
                      list(dataset.encoded_columns))
    return X[flipped].astype(np.float64), X_cf[flipped]


def mean_cost(X, X_cf, flipped) -> float:
    """Mean L1 distance ``|x' - x|_1`` (encoded) over the flipped rows (NaN if none)."""
    A, B = _flipped_pairs(X, X_cf, flipped)
    return float(np.abs(B - A).sum(1).mean()) if len(A) else float("nan")


def coverage_at_cost(X, X_cf, flipped, budget: float) -> float:
    """Share of all inputs flipped at an encoded L1 cost of at most ``budget`` (coverage at a
    given cost: compares methods at equal cost)."""
    budget = check_real(budget, "budget", low=0.0)
    X = check_X(X, name="X")
    flipped = check_mask(flipped, "flipped", shape=(len(X),))
    A, B = _flipped_pairs(X, X_cf, flipped)         # refuses NaN records marked flipped
    cost = np.full(len(X), np.inf)
    cost[flipped] = np.abs(B - A).sum(1)
    return float((cost <= budget + 1e-6).mean()) if len(X) else float("nan")


def _changed(dataset, A, B, tol):
    return np.stack([np.abs(B[:, dataset.feature_slice(f)] - A[:, dataset.feature_slice(f)])
                     .max(1) > tol for f in dataset.features], axis=1)


def features_changed(X, X_cf, flipped, dataset=None, tol: float = 1e-6) -> float:
    """Mean number of features each flipped input's record changes (a one-hot block counts as
    one feature; without ``dataset`` every column is a feature); NaN if none flipped.

    With ``dataset``, ``X`` must be encoded by it (a frame's columns by name, the width and
    one-hot blocks it encodes); plain arrays of another encoder of the same width and blocks
    cannot be told apart: pass the dataset the method was fitted with."""
    A, B = _flipped_pairs(X, X_cf, flipped, dataset)
    if not len(A):
        return float("nan")
    changed = np.abs(B - A) > tol if dataset is None else _changed(dataset, A, B, tol)
    return float(changed.sum(1).mean())


def original_changes(X, X_cf, flipped, dataset, tol: float = 1e-6) -> pd.DataFrame:
    """Per feature, over the flipped rows: share of records that change it and the mean
    absolute change in original units (continuous; NaN for a categorical feature).

    ``dataset`` (required) must be the one ``X`` was encoded with, as for
    :func:`features_changed`."""
    if dataset is None:
        raise ValueError("original_changes needs the dataset (dataset=None): changes in original "
                         "units are read with the encoder the inputs were encoded with; pass it, "
                         "e.g. original_changes(X, rec.points, rec.flipped, ds).")
    A, B = _flipped_pairs(X, X_cf, flipped, dataset)
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
    columns (encoded, i.e. a share of each training range), projected to records.

    ``n``: a whole number of copies (2.5 is refused, not truncated); ``dataset`` the one ``X``
    was encoded with (required: it says which columns are continuous)."""
    if dataset is None:
        raise ValueError("perturb needs the dataset (dataset=None): it says which encoded columns "
                         "are continuous and projects the copies to records; pass it, e.g. "
                         "perturb(X, ds).")
    n = check_int(n, "n")
    sigma = check_real(sigma, "sigma", low=0.0)
    seed = check_int(seed, "seed", 0)
    X = _inputs(X, dataset)
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

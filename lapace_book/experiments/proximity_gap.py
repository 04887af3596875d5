"""Why LAPACE-Last sits far from the input: the distances behind its proximity (§4.2).

LAPACE-Last returns the decoded centroids of the target label, the same for every input, so its
proximity is the mean L1 distance from the input to those K_y records.  :func:`last_distances`
splits that distance into what the evaluation chapter compares across the two L-GMVAE recipes:

- ``centroids_mean``: the mean L1 from the input to the target's decoded (and, with repair,
  repaired) centroids, over all K_y paths — LAPACE-Last's proximity when every centroid is valid;
- ``centroids_nearest``: the L1 to the nearest of them (the one path a user closest to the input
  would pick);
- ``centroid_spread``: the mean pairwise L1 among the decoded centroids;
- ``reconstruction``: the L1 from the input to its decoding at tau = 0 (mean over the paths),
  the distance LAPACE pays before it moves at all;
- ``categorical_share``: the share of ``centroids_mean`` on one-hot columns;
- ``nearest_target``: the L1 to the nearest training input the black box predicts as the
  target (NNCE's counterfactual), the scale of the best proximity of the grid.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from lapace.explain.explainer import Lapace
from lapace_book.experiments.pairs import Pair

__all__ = ["DISTANCE_COLUMNS", "last_distances"]

#: the columns of :func:`last_distances`, in order
DISTANCE_COLUMNS = ["centroids_mean", "centroids_nearest", "centroid_spread", "reconstruction",
                    "categorical_share", "nearest_target"]


def last_distances(pair: Pair, X: np.ndarray, target: int = 1,
                   repair_centroids: bool = True) -> pd.DataFrame:
    """One row per input of ``X`` (encoded, predicted other than ``target``): the distances of
    the module docstring, L1 in encoded space on the records a user reads."""
    lap = Lapace(pair.vae, point="last", repair_centroids=repair_centroids).fit(
        model=pair.predict, dataset=pair.ds)
    with warnings.catch_warnings():  # about First's start, not the centroids measured here
        warnings.filterwarnings("ignore", message=".*LAPACE-First points are at tau")
        res = lap.explain_paths(X, target)
    ends, starts = res.paths[:, :, -1], res.paths[:, :, 0]            # (n, k, d)
    to_ends = np.abs(ends - X[:, None]).sum(-1)                        # (n, k)
    cat = np.zeros(X.shape[1], dtype=bool)
    for group in pair.ds.categorical_groups:
        cat[group] = True
    cat_part = np.abs(ends - X[:, None])[..., cat].sum(-1).mean(1)
    c = ends[0]
    spread = np.abs(c[:, None] - c[None]).sum(-1)[np.triu_indices(len(c), 1)].mean()
    X_t = pair.X_train[pair.predict(pair.X_train) == target]
    nearest = np.array([np.abs(X_t - x).sum(1).min() for x in X])
    return pd.DataFrame({
        "centroids_mean": to_ends.mean(1), "centroids_nearest": to_ends.min(1),
        "centroid_spread": np.full(len(X), spread),
        "reconstruction": np.abs(starts - X[:, None]).sum(-1).mean(1),
        "categorical_share": cat_part / np.maximum(to_ends.mean(1), 1e-12),
        "nearest_target": nearest}, columns=DISTANCE_COLUMNS)

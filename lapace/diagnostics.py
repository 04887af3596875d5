"""Is the trained L-GMVAE what LAPACE stands on?  The three properties of §3.1, measured.

§3.1 asks a well-optimised L-GMVAE for *meaningful centroids* (each decoded centroid is a valid
instance of its label), *diverse representations* (the label's clusters are all used and their
prototypes differ) and a *smooth latent manifold* (an input's reconstruction stays close to it).
Per label, :func:`prototype_report` measures:

- ``spread_ratio``: mean pairwise L1 distance between the label's decoded centroids divided by
  the mean pairwise L1 distance between two random training records of that label (encoded
  columns).  Near 0: the prototypes are copies of one record (collapsed clusters); near 1: they
  differ as much as real records do.
- ``min_usage``: the smallest share of the label's points whose most likely cluster
  (argmax q(c|x,y)) is a given cluster; 0 means a dead cluster.
- ``mean_max_q``: the mean of max_c q(c|x,y); ``1/K_y`` when the assignment ignores x.
- ``reconstruction_label_kept``: share of inputs whose reconstruction Dec(Enc(x, y)) the black
  box still predicts as y; where it does not, LAPACE-First is the reconstruction at tau = 0.
- ``centroid_accuracy_raw``: the pair's share of decoded centroids predicted as their own label
  before any repair (Table 1's "Centroid Acc.").
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.spatial.distance import pdist

from .model import LGMVAE
from .validation import check_labels, check_X, predict_labels

__all__ = ["PROTOTYPE_COLUMNS", "cluster_usage", "prototype_report", "spread_ratio"]

#: columns of :func:`prototype_report` (and of the book's ``prototypes.csv``)
PROTOTYPE_COLUMNS = ["label", "spread_ratio", "min_usage", "mean_max_q",
                     "reconstruction_label_kept", "centroid_accuracy_raw"]


def _mean_pairwise_l1(X: np.ndarray) -> float:
    return float(pdist(X, metric="cityblock").mean()) if len(X) > 1 else float("nan")


def spread_ratio(prototypes: np.ndarray, records: np.ndarray, n_pairs: int = 20000,
                 seed: int = 0) -> float:
    """Mean pairwise L1 among ``prototypes`` ÷ the mean L1 between two random ``records``.

    The denominator is the expectation of the same statistic for randomly drawn records,
    estimated on ``n_pairs`` random pairs (seeded), so the ratio does not depend on one draw.
    """
    prototypes, records = np.asarray(prototypes, float), np.asarray(records, float)
    if len(records) < 2:
        raise ValueError("spread_ratio needs at least 2 records of the label.")
    rng = np.random.default_rng(seed)
    i = rng.integers(len(records), size=n_pairs)
    j = (i + rng.integers(1, len(records), size=n_pairs)) % len(records)   # never i itself
    baseline = float(np.abs(records[i] - records[j]).sum(1).mean())
    return _mean_pairwise_l1(prototypes) / baseline if baseline > 0 else float("nan")


def cluster_usage(q_c: np.ndarray) -> np.ndarray:
    """Share of points whose most likely cluster is each of the K_y clusters, (K_y,)."""
    q_c = np.asarray(q_c)
    return np.bincount(q_c.argmax(1), minlength=q_c.shape[1]) / len(q_c)


def prototype_report(vae: LGMVAE, X, y, predict: Callable[[np.ndarray], np.ndarray],
                     seed: int = 0) -> pd.DataFrame:
    """The §3.1 diagnostics of a fitted L-GMVAE per label (columns :data:`PROTOTYPE_COLUMNS`).

    Parameters
    ----------
    vae : fitted L-GMVAE.
    X, y : encoded inputs and their black-box labels (held-out data for an honest
        ``reconstruction_label_kept``; training data work for the others).
    predict : the black box, encoded inputs -> labels.
    seed : random state of the random record pairs of :func:`spread_ratio`.
    """
    vae._check_fitted()
    X = check_X(X, vae.n_features_in_)
    y = check_labels(y, len(X), vae.n_labels)
    q = vae.predict_cluster_proba(X, y)
    kept = predict_labels(predict, vae.reconstruct(X, y), vae.n_labels) == y
    centroid_acc = vae.centroid_accuracy(predict)
    rows = []
    for label in range(vae.n_labels):
        m = y == label
        if m.sum() < 2:
            continue
        rows.append({
            "label": label,
            "spread_ratio": spread_ratio(vae.decoded_centroids(label), X[m], seed=seed),
            "min_usage": float(cluster_usage(q[m]).min()),
            "mean_max_q": float(q[m].max(1).mean()),
            "reconstruction_label_kept": float(kept[m].mean()),
            "centroid_accuracy_raw": centroid_acc,
        })
    return pd.DataFrame(rows, columns=PROTOTYPE_COLUMNS)

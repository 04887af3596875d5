"""NNCE: the nearest training input the black box predicts as the target.

Definition (Brughmans et al., "NICE: an algorithm for nearest instance counterfactual
explanations", Data Min. Knowl. Disc. 2023; the paper takes the baseline from RobustX): for an
input x and target y', the counterfactual is

    x' = argmin_{x_i in D_train, f(x_i) = y'} dist(x, x_i),

with the black box's *predicted* labels f, not the ground truth, so x' is valid by construction.

Ours: Euclidean distance on the encoded features by default (``metric=`` takes any
:class:`sklearn.neighbors.NearestNeighbors` metric), one index per label built in ``fit``, all
inputs answered in one ``kneighbors`` query per chunk.  RobustX's ``NNCE`` does the same search
with its own KD-tree over the predicted target class; CARLA has no NNCE.  The search is exact and
deterministic (``seed`` is accepted for the common interface and unused).
"""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import NearestNeighbors

from lapace.methods.base import CounterfactualMethod
from lapace.validation import SEED, check_metric, chunks, integer

__all__ = ["NNCE"]


class NNCE(CounterfactualMethod):
    """Nearest-neighbour counterfactual explanation (one per input).

    Parameters
    ----------
    metric : str, default="euclidean"
        Any metric of :class:`sklearn.neighbors.NearestNeighbors` (e.g. ``"manhattan"``).
    batch_size : int, default=4096
        Inputs per ``kneighbors`` query (bounds memory).
    seed : int, default=0
        Unused (NNCE is deterministic); kept for the common interface.

    Attributes
    ----------
    index_ : dict of int to (NearestNeighbors, ndarray)
        Per label: the fitted index and the training indices it holds.
    """

    params = {"metric": check_metric, "batch_size": integer(), "seed": SEED}

    def __init__(self, metric: str = "euclidean", batch_size: int = 4096, seed: int = 0):
        self.metric = metric
        self.batch_size = batch_size
        self.seed = seed

    def _fit(self) -> None:
        self.index_ = {}
        for label in np.unique(self.labels_):
            idx = np.flatnonzero(self.labels_ == label)
            nn = NearestNeighbors(n_neighbors=1, metric=self.metric).fit(self.X_train_[idx])
            self.index_[int(label)] = (nn, idx)

    def nearest(self, X: np.ndarray, target: int, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Distances and training indices (n, k) of the ``k`` nearest inputs predicted ``target``."""
        self._candidates(target)
        nn, idx = self.index_[target]
        k = min(k, len(idx))
        dist = np.empty((len(X), k))
        ind = np.empty((len(X), k), dtype=np.int64)
        for part in chunks(len(X), self.batch_size):
            dist[part], local = nn.kneighbors(X[part], n_neighbors=k)
            ind[part] = idx[local]
        return dist, ind

    def _explain_chunk(self, X, target, rows):
        """The nearest training input predicted as ``target``, points (n, 1, d)."""
        _, ind = self.nearest(X, target)
        return self._result(self.X_train_[ind[:, 0]][:, None, :], target)

"""RobX: move the nearest-neighbour counterfactual until it is stable under Gaussian noise.

Definition (Dutta et al., "Robust counterfactual explanations for tree-based ensembles", ICML
2022, Def. 2 and Alg. 1): the *counterfactual stability* of a point x for target y' is

    R(x) = mean_k p_{y'}(x_k) - std_k p_{y'}(x_k),    x_k ~ N(x, sigma^2 I), k = 1..N,

with p_{y'} the black box's probability of y'.  RobX starts from a counterfactual x_c (here the
NNCE one: the nearest training input predicted y'), takes the training input x_s predicted y' with
R(x_s) >= tau that is nearest to the input, and walks the line x_c + a (x_s - x_c),
a = 0, 0.05, ..., 1, returning the first point with R > tau (x_s itself if none).  Defaults
N = 1000, sigma = 0.1, tau = 0.5, as in the authors' group's PROPLACE experiments
(``junqi-jiang/proplace``, ``experiments/exputils.py``).

Where we differ: with a dataset, every point of the line is first made a record that can
exist (:meth:`~lapace.TabularDataset.project`: a point between two categories of a one-hot block
is not a record) and must be stable *and* predicted y' as that record; otherwise a mixed data
set's line search could stop at a point whose projected record the black box does not give y'.
The N noise vectors are drawn once in ``fit`` from ``seed`` and shared by every
point (common random numbers), so R is a deterministic function that a test or a reader can
recompute (:meth:`RobX.stability`), results do not depend on the batch, and candidates along the
line are compared on the same noise.  PROPLACE draws fresh noise per evaluation with the global
NumPy state and loops over inputs one at a time; we evaluate all inputs of a chunk and all their
noise samples in one ``predict_proba`` call.  Neither CARLA nor RobustX has RobX.

The nearest stable training input is found lazily (:meth:`RobX._nearest_stable`): the candidates
are visited in order of distance to each input, ``2, 4, 8, ...`` at a time, and R is computed
only for those not yet scored in the same call, so an explanation costs the few training inputs
near its inputs instead of N samples for every training input.  Every call does that work
afresh (nothing is carried from one call to the next, so its runtime is the work one request
needs).  With R a deterministic function of the point, this returns the same x_s as scoring
every candidate first (tested).
"""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import NearestNeighbors

from lapace.methods.base import CounterfactualMethod
from lapace.methods.nnce import NNCE
from lapace.validation import SEED, check_metric, chunks, integer, real, warn

__all__ = ["RobX"]


class RobX(CounterfactualMethod):
    """Counterfactuals robust to model changes by counterfactual stability (one per input).

    Parameters
    ----------
    n_samples : int, default=1000
        Gaussian samples N per stability estimate.
    sigma : float, default=0.1
        Standard deviation of the noise (encoded units).
    tau : float, default=0.5
        Stability threshold.
    step : float, default=0.05
        Step of the line search from the NNCE counterfactual to the stable training input.
    metric : str, default="euclidean"
        Metric of the nearest-neighbour searches.
    max_rows : int, default=200_000
        Noisy rows per ``predict_proba`` call (bounds memory; the chunk holds
        ``max_rows // n_samples`` points).
    seed : int, default=0
        Seed of the shared noise.

    Attributes
    ----------
    noise_ : (N, d) float32, the shared noise.
    candidate_index_ : dict, label -> (nearest-neighbour index, training indices) of the
        training inputs predicted as that label.
    """

    needs_proba = True
    params = {"n_samples": integer(2), "sigma": real(0, low_open=True), "tau": real(0, 1),
              "step": real(0, 1, low_open=True), "metric": check_metric, "max_rows": integer(),
              "seed": SEED}

    def __init__(self, n_samples: int = 1000, sigma: float = 0.1, tau: float = 0.5,
                 step: float = 0.05, metric: str = "euclidean", max_rows: int = 200_000,
                 seed: int = 0):
        self.n_samples = n_samples
        self.sigma = sigma
        self.tau = tau
        self.step = step
        self.metric = metric
        self.max_rows = max_rows
        self.seed = seed

    def _fit(self) -> None:
        rng = np.random.default_rng(self.seed)
        self.noise_ = (self.sigma * rng.standard_normal((int(self.n_samples), self.n_features_in_))
                       ).astype(np.float32)
        self.nnce_ = NNCE(metric=self.metric).fit(self.X_train_, self.model_)
        self.candidate_index_ = {}

    def _stability_all(self, X: np.ndarray) -> np.ndarray:
        """(n, L) stability of each row of ``X`` for every label (chunked)."""
        N = len(self.noise_)
        out = np.empty((len(X), self.n_labels_))
        for part in chunks(len(X), max(1, int(self.max_rows) // N)):
            noisy = (X[part, None, :] + self.noise_[None]).reshape(-1, X.shape[1])
            proba = np.asarray(self.model_.predict_proba(noisy), dtype=np.float64)
            if proba.shape != (len(noisy), self.n_labels_):
                raise ValueError(
                    f"predict_proba returned shape {proba.shape}, expected ({len(noisy)}, {self.n_labels_}).")
            proba = proba.reshape(-1, N, self.n_labels_)
            out[part] = proba.mean(1) - proba.std(1)
        return out

    def stability(self, X, target: int = 1) -> np.ndarray:
        """Counterfactual stability R (n,) of encoded points for ``target`` (Dutta et al. Def. 2)."""
        X, target = self._check_inputs(X, target, labels=False)
        return self._stability_all(X)[:, target]

    def _nearest_stable(self, X: np.ndarray, target: int) -> tuple[np.ndarray | None, int]:
        """Index of the training input predicted ``target`` with R >= tau nearest to each row
        of ``X`` (candidates visited nearest first, 2, 4, 8, ... at a time; None when no
        candidate is stable), and how many training inputs were scored."""
        if target not in self.candidate_index_:
            idx = self._candidates(target)
            self.candidate_index_[target] = (
                NearestNeighbors(metric=self.metric).fit(self.X_train_[idx]), idx)
        nn, idx = self.candidate_index_[target]
        known = np.full(len(self.X_train_), np.nan)               # R of the scored candidates
        found = np.full(len(X), -1, np.int64)
        todo, k = np.arange(len(X)), 2
        while len(todo):
            k = min(k, len(idx))
            near = idx[nn.kneighbors(X[todo], k, return_distance=False)]        # (m, k)
            new = np.unique(near[np.isnan(known[near])])
            if len(new):
                known[new] = self._stability_all(self.X_train_[new])[:, target]
            stable = known[near] >= self.tau
            hit = stable.any(1)
            found[todo[hit]] = near[hit, stable[hit].argmax(1)]
            todo = todo[~hit]
            if k == len(idx):
                break
            k *= 2
        return (None if len(todo) else found), int(np.isfinite(known).sum())

    def _explain_chunk(self, X, target, rows):
        """RobX counterfactuals (Alg. 1 of Dutta et al.), points (n, 1, d)."""
        nearest, _ = self._nearest_stable(X, target)
        if nearest is None:        # e.g. a rare target label: report it, per input, never raise
            reason = (f"no training input predicted as {target} has stability >= tau={self.tau}; "
                      "lower tau or sigma")
            warn(f"RobX found no counterfactual for {len(X)} input(s): {reason}.")
            return self._result(np.full((len(X), 1, X.shape[1]), np.nan, np.float32), target,
                                info={"reached_stable_input": np.zeros(len(X), bool),
                                      "not_found": np.full(len(X), reason, dtype=object)})
        _, start = self.nnce_.nearest(X, target)
        x_c = self.X_train_[start[:, 0]]
        x_s = self.X_train_[nearest]
        out = x_s.copy()                            # the stable training input if no step is stable
        todo = np.ones(len(X), dtype=bool)
        alphas = np.arange(0.0, 1.0 + 1e-9, self.step)
        for a in alphas:
            rows = np.flatnonzero(todo)
            if len(rows) == 0:
                break
            cand = self._record((1 - a) * x_c[rows] + a * x_s[rows])
            ok = self._stability_all(cand)[:, target] > self.tau
            if self.dataset_ is not None and ok.any():     # the record a user reads is judged
                ok[ok] = self.predict(cand[ok]) == target
            out[rows[ok]] = cand[ok]
            todo[rows[ok]] = False
        return self._result(out[:, None, :], target, info={"reached_stable_input": todo})

    def _record(self, X: np.ndarray) -> np.ndarray:
        """Points of the line search as records that can exist (with the dataset: one-hot
        blocks hardened, integers rounded, :meth:`~lapace.TabularDataset.project`), so that the
        stability and the label are those of the record returned, not of a point between
        categories that projection would move across the boundary."""
        X = np.asarray(X, dtype=np.float32)
        return X if self.dataset_ is None else self.dataset_.project(X).astype(np.float32)

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

Where we differ: the N noise vectors are drawn once in ``fit`` from ``seed`` and shared by every
point (common random numbers), so R is a deterministic function that a test or a reader can
recompute (:meth:`RobX.stability`), results do not depend on the batch, and candidates along the
line are compared on the same noise.  PROPLACE draws fresh noise per evaluation with the global
NumPy state and loops over inputs one at a time; we evaluate all inputs of a chunk and all their
noise samples in one ``predict_proba`` call.  Neither CARLA nor RobustX has RobX.
"""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import NearestNeighbors

from ..methods import CounterfactualMethod
from ..validation import SEED, check_metric, chunks, integer, real, warn
from .nnce import NNCE

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
    train_stability_ : (N_train, L) stability of every training input for every label.
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
        self.train_stability_ = self._stability_all(self.X_train_)
        self.stable_index_ = {}

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

    def _stable(self, target: int) -> tuple[NearestNeighbors, np.ndarray] | None:
        """The index of the stable training inputs of ``target``; None when there is none."""
        if target not in self.stable_index_:
            idx = self._candidates(target)
            idx = idx[self.train_stability_[idx, target] >= self.tau]
            self.stable_index_[target] = None if len(idx) == 0 else (
                NearestNeighbors(n_neighbors=1, metric=self.metric).fit(self.X_train_[idx]), idx)
        return self.stable_index_[target]

    def _explain_chunk(self, X, target, rows):
        """RobX counterfactuals (Alg. 1 of Dutta et al.), points (n, 1, d)."""
        stable = self._stable(target)
        if stable is None:        # e.g. a rare target label: report it, per input, never raise
            reason = (f"no training input predicted as {target} has stability >= tau={self.tau}; "
                      "lower tau or sigma")
            warn(f"RobX found no counterfactual for {len(X)} input(s): {reason}.")
            return self._result(np.full((len(X), 1, X.shape[1]), np.nan, np.float32), target,
                                info={"reached_stable_input": np.zeros(len(X), bool),
                                      "not_found": np.full(len(X), reason, dtype=object)})
        _, start = self.nnce_.nearest(X, target)
        x_c = self.X_train_[start[:, 0]]
        nn, idx = stable
        x_s = self.X_train_[idx[nn.kneighbors(X, 1, return_distance=False)[:, 0]]]
        out = x_s.copy()                            # the stable training input if no step is stable
        todo = np.ones(len(X), dtype=bool)
        alphas = np.arange(0.0, 1.0 + 1e-9, self.step)
        for a in alphas:
            rows = np.flatnonzero(todo)
            if len(rows) == 0:
                break
            cand = ((1 - a) * x_c[rows] + a * x_s[rows]).astype(np.float32)
            ok = self._stability_all(cand)[:, target] > self.tau
            out[rows[ok]] = cand[ok]
            todo[rows[ok]] = False
        return self._result(out[:, None, :], target, info={"reached_stable_input": todo})

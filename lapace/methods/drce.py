"""DRCE: diverse robust counterfactuals from the nearest training inputs of the target class.

Definition (Leofante & Potyka, "Promoting counterfactual robustness through diversity", AAAI
2024; the original code ``fraleo/robust_counterfactuals_aaai24``, ``scripts/util.py``): for an input
x and target y',

1. take the alpha training inputs the black box predicts as y' that are nearest to x (a KD-tree
   over each predicted class), in order of distance;
2. diversity filter on directions: walk the candidates in that order and keep z when
   |<u(z), u(z_j)>| <= beta for every kept z_j, with u(z) = (z - x) / ||z - x||, until
   ``total_cfs`` are kept;
3. optionally (``line_search``), move each kept z towards x by bisection on the segment
   x + t (z - x), t in [0, 1], keeping the closest point still predicted y';
   ceil(log2(d_alpha / gamma)) halvings, d_alpha the distance to the alpha-th candidate.

Defaults alpha = 50, beta = 0.5, gamma = 0.1 with the line search on: the original's defaults
(``--alpha 50``) and its reported configuration (``ours_angle_based_min``, beta 0.5, gamma 0.1).

Where we differ: the original queries one input at a time and flips a binary label
(``1 - f(x)``); we take any target, query all inputs of a chunk at once and bisect all
(input, counterfactual) pairs together, one ``predict`` per halving.  Because the bisection keeps
each counterfactual on its candidate's ray from x, the returned points pass the same direction
rule as the candidates.  RobustX's ``DiverseRobustCE`` differs from the original (it filters by
distance ratios, not directions); we follow the original.  Fewer than ``total_cfs`` diverse
candidates leave NaN rows.  Deterministic (``seed`` kept for the common interface).
"""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import KDTree

from lapace.methods.base import CounterfactualMethod
from lapace.validation import SEED, boolean, integer, real

__all__ = ["DRCE", "diverse_directions"]


def diverse_directions(x: np.ndarray, candidates: np.ndarray, beta: float, k: int) -> np.ndarray:
    """Indices of at most ``k`` rows of ``candidates`` (in order) whose directions from ``x`` pass
    the rule |cos| <= beta against every earlier kept one (DRCE step 2)."""
    diff = candidates - x
    norm = np.linalg.norm(diff, axis=1, keepdims=True)
    u = np.divide(diff, norm, out=np.zeros_like(diff), where=norm > 0)
    kept: list[int] = []
    for i in range(len(candidates)):
        if norm[i, 0] == 0:
            continue
        if all(abs(float(u[i] @ u[j])) <= beta for j in kept):
            kept.append(i)
            if len(kept) == k:
                break
    return np.asarray(kept, dtype=np.int64)


class DRCE(CounterfactualMethod):
    """Diverse, robust counterfactuals (``total_cfs`` per input).

    Parameters
    ----------
    total_cfs : int, default=5
    alpha : int, default=50
        Nearest candidates of the target class considered.
    beta : float, default=0.5
        Largest |cosine| between the directions of two counterfactuals.
    gamma : float, default=0.1
        Resolution of the line search towards the input.
    line_search : bool, default=True
    batch_size : int, default=1024
    seed : int, default=0
        Unused (DRCE is deterministic); kept for the common interface.
    """

    params = {"total_cfs": integer(), "alpha": integer(), "beta": real(0, 1),
              "gamma": real(0, low_open=True), "line_search": boolean(), "batch_size": integer(),
              "seed": SEED}

    def __init__(self, total_cfs: int = 5, alpha: int = 50, beta: float = 0.5, gamma: float = 0.1,
                 line_search: bool = True, batch_size: int = 1024, seed: int = 0):
        self.total_cfs = total_cfs
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.line_search = line_search
        self.batch_size = batch_size
        self.seed = seed

    @property
    def n_cfs(self) -> int:
        return int(self.total_cfs)

    def _fit(self) -> None:
        self.trees_ = {}
        for label in np.unique(self.labels_):
            idx = np.flatnonzero(self.labels_ == label)
            self.trees_[int(label)] = (KDTree(self.X_train_[idx]), idx)

    def _explain_chunk(self, X, target, rows):
        """DRCE counterfactuals, points (n, total_cfs, d); NaN rows where fewer were diverse."""
        self._candidates(target)
        tree, idx = self.trees_[target]
        k = min(int(self.alpha), len(idx))
        m = self.n_cfs
        points = np.full((len(X), m, X.shape[1]), np.nan, dtype=np.float32)
        dist, local = tree.query(X, k=k)
        owner, slot, cand = [], [], []                  # (input, slot) pairs and their candidates
        for i in range(len(X)):
            z = self.X_train_[idx[local[i]]]
            keep = diverse_directions(X[i], z, self.beta, m)
            owner += [i] * len(keep)
            slot += list(range(len(keep)))
            cand.append(z[keep])
        if owner:
            owner, slot = np.asarray(owner), np.asarray(slot)
            Z = np.concatenate(cand).astype(np.float32)
            if self.line_search:
                Z = self._bisect(X[owner], Z, dist[owner, -1], target)
            points[owner, slot] = Z
        return self._result(points, target)

    def _bisect(self, x: np.ndarray, z: np.ndarray, d_alpha: np.ndarray, target: int) -> np.ndarray:
        """Closest point to x on each segment [x, z] still predicted ``target`` (DRCE step 3)."""
        with np.errstate(divide="ignore"):
            steps = np.ceil(np.log2(np.maximum(d_alpha, 1e-12) / self.gamma))
        steps = np.clip(np.nan_to_num(steps), 0, 64).astype(int)
        lo, hi = np.zeros(len(x)), np.ones(len(x))       # weight of z: hi valid, lo not tried
        best = z.copy()
        for it in range(int(steps.max(initial=0))):
            rows = np.flatnonzero(steps > it)
            t = 0.5 * (lo[rows] + hi[rows])
            p = (x[rows] + t[:, None] * (z[rows] - x[rows])).astype(np.float32)
            ok = self.predict(p) == target
            hi[rows[ok]] = t[ok]
            best[rows[ok]] = p[ok]
            lo[rows[~ok]] = t[~ok]
        return best

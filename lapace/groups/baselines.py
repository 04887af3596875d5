"""Two group-recourse baselines, written from their papers: GLOBE-CE and T-CREx.

Both follow :class:`lapace.groups.regions.GroupMethod` (``fit(X, model, dataset, X_train)`` on affected
inputs, then ``recourse(X)``), so the regions chapter runs them on the same inputs as
:class:`~lapace.groups.regions.ClusterRegions`.

- :class:`GlobeCE` (Ley, Mishra & Magazzeni, ICML 2023): **one** global translation ``delta``;
  every input gets ``x + k delta`` for the smallest scalar ``k`` of a grid that flips it (the
  paper's Eq. 2 and its per-input scaling); categorical blocks are translated and read by argmax
  (the paper's categorical treatment, here :meth:`~lapace.TabularDataset.project`).
  *Simplified*: the paper samples directions from a learned/heuristic distribution or averages
  DiCE counterfactuals; we average the nearest-neighbour counterfactuals (the nearest training
  input the black box predicts as the target, L1) into ``delta_0`` and sample
  ``n_directions`` variants of it (each feature kept with a random probability and rescaled by a
  random factor in [0, 2]), keeping the cheapest whose coverage of the fitting inputs is within
  ``coverage_slack`` of the best (the same rule as ours); immutable and monotone constraints
  shape the direction as for ours.  The nearest neighbours are found in chunks of inputs, so
  memory stays bounded (:data:`~lapace.groups.regions.MAX_ELEMENTS`) whatever the number of
  inputs and training rows.
- :class:`TCREx` (Bewley et al., ICML 2024): a surrogate tree of the black box's target region
  gives candidate *counterfactual rules* (hyper-rectangles = tree nodes) with accuracy
  (share of the node's training inputs predicted as the target) >= ``tau`` and feasibility
  (share of all training inputs in the node) >= ``rho``; each input's optimal rule
  is the one it reaches at the least L1 cost (its projection onto the rectangle); a second
  *metarule* tree learns the optimal rule from the inputs, and a new input gets its metarule
  leaf's rule: the record is the input moved onto the rule's rectangle.  *Simplified*: one tree
  (no forest), L1 cost, every qualifying node is a candidate (not only the maximal ones: a
  rule that already contains an affected input, such as a root with a base rate above ``tau``,
  offers it nothing and is never its optimal rule), a rule that asks to move an immutable
  feature (or a monotone one the wrong way) is never optimal, and the rectangle's open lower
  bounds are entered by ``margin``.  The record is judged by the black box, not by the rule's
  accuracy: where the target region is not a box, an input moved just inside a rule of
  accuracy 0.9 can still be refused (the low coverage CEL's T-CREx shows on heloc).

In both, as in :class:`~lapace.groups.regions.ClusterRegions`, an input the black box already
predicts as the target gets no action (-1) and is not covered: it is not an affected input, and
counting it as flipped at cost 0 would inflate coverage.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.tree import DecisionTreeClassifier

from lapace.groups.regions import MAX_ELEMENTS, GroupAction, GroupMethod
from lapace.validation import SEED, check_is_fitted, chunks, integer, predict_labels, real, warn

__all__ = ["GlobeCE", "TCREx", "candidate_rules", "move_into"]


class GlobeCE(GroupMethod):
    """GLOBE-CE: one global translation, scaled per input (see the module docstring).

    Inputs the black box already predicts as the target get no action (-1) and are not
    covered, as in :class:`~lapace.groups.regions.ClusterRegions`.

    Parameters
    ----------
    target : the desired label; ``constraints``: as :class:`~lapace.groups.regions.ClusterRegions`.
    n_directions : sampled variants of the mean nearest-neighbour direction.
    max_scale, n_scales : the grid of scalars ``k`` in ``(0, max_scale]``.
    max_features : keep only this many largest changes (None: all).
    coverage_slack : the cheapest direction whose coverage is within this share of the best
        (:func:`lapace.groups.regions.best_direction`; as for :class:`~lapace.groups.regions.ClusterRegions`).
    seed : seed of the sampling.
    """

    params = {**GroupMethod.params, "n_directions": integer(1), "max_features": integer(1, none=True),
              "coverage_slack": real(0.0, 1.0), "seed": SEED}

    def __init__(self, target: int = 1, constraints=None, n_directions: int = 50,
                 max_scale: float = 2.0, n_scales: int = 40, max_features: int | None = None,
                 coverage_slack: float = 0.05, seed: int = 0):
        self.target = target
        self.constraints = constraints
        self.n_directions = n_directions
        self.max_scale = max_scale
        self.n_scales = n_scales
        self.max_features = max_features
        self.coverage_slack = coverage_slack
        self.seed = seed

    def _fit(self, X, labels) -> None:
        if self.X_train_ is None:
            raise ValueError("GlobeCE needs the training inputs: fit(X, model, dataset, X_train=...).")
        pool = self.X_train_[predict_labels(self.predict_, self.X_train_) == self.target]
        if len(pool) == 0:
            raise ValueError(f"the model predicts no training input as {self.target}.")
        nearest = np.empty(len(X), dtype=np.int64)
        for part in chunks(len(X), MAX_ELEMENTS // max(1, pool.size)):   # (rows, N, d) at most
            nearest[part] = np.abs(X[part, None, :] - pool[None]).sum(-1).argmin(1)
        delta0 = (pool[nearest] - X).mean(0)
        rng = np.random.default_rng(self.seed)
        candidates = [delta0]
        for _ in range(int(self.n_directions)):
            keep = rng.random(len(self.blocks_)) < rng.uniform(0.2, 1.0)
            factor = rng.uniform(0.0, 2.0, len(self.blocks_)) * keep
            d = delta0.copy()
            for b, f in zip(self.blocks_, factor, strict=True):
                d[b] *= f
            candidates.append(d)
        self.directions_ = np.stack([self.admissible(d) for d in candidates])
        i, scale, cov = self.choose(X, self.directions_)
        self.actions_ = [GroupAction(0, "everyone", self.directions_[i], len(X), cov,
                                     float(np.nanmedian(scale)) if cov > 0 else float("nan"))]

    def assign(self, X) -> np.ndarray:
        """Every affected input gets the one action (0); an input already predicted as the
        target gets none (-1), as in :class:`~lapace.groups.regions.ClusterRegions`."""
        check_is_fitted(self, "actions_", "call fit(X, model, dataset, X_train) first")
        X = self._check(X)
        return np.where(self._affected(X), 0, -1).astype(np.int64)


def candidate_rules(tree: DecisionTreeClassifier, X: np.ndarray, positive: np.ndarray,
                    rho: float, tau: float) -> list[tuple[np.ndarray, np.ndarray, float, float]]:
    """T-CREx's candidate rules from a fitted tree: the nodes with accuracy >= ``tau`` and
    feasibility >= ``rho`` (nested ones included, root first), each
    ``(low, high, accuracy, feasibility)``: the node holds ``low < x <= high`` (per column,
    -inf/inf where unbounded).

    ``X`` (N, d), ``positive`` (N,) bool: the training inputs and whether the black box predicts
    the target for them (accuracy and feasibility are measured on them).
    """
    t = tree.tree_
    inside = tree.decision_path(X).tocsc()
    count = np.asarray(inside.sum(0)).ravel()
    hits = np.asarray(inside[np.flatnonzero(positive)].sum(0)).ravel()
    d = X.shape[1]
    rules, stack = [], [(0, np.full(d, -np.inf), np.full(d, np.inf))]
    while stack:
        node, lo, hi = stack.pop()
        acc = hits[node] / count[node] if count[node] else 0.0
        feas = count[node] / len(X)
        if acc >= tau and feas >= rho:
            rules.append((lo, hi, float(acc), float(feas)))
        left, right = t.children_left[node], t.children_right[node]
        if left < 0:
            continue
        f, thr = t.feature[node], t.threshold[node]
        hi_l, lo_r = hi.copy(), lo.copy()
        hi_l[f], lo_r[f] = min(hi[f], thr), max(lo[f], thr)
        stack += [(left, lo, hi_l), (right, lo_r, hi)]
    return rules


def move_into(X: np.ndarray, low: np.ndarray, high: np.ndarray, margin: float = 1e-3) -> np.ndarray:
    """Each row moved onto the rectangle ``low < x <= high`` at the least L1 cost (per column:
    clipped, entering an open lower bound by ``margin``)."""
    return np.clip(X, np.where(np.isfinite(low), low + margin, -np.inf), high).astype(np.float32)


class TCREx(GroupMethod):
    """T-CREx: counterfactual rules and metarules from two trees (see the module docstring).

    Inputs the black box already predicts as the target get no action (-1) and are not
    covered, as in :class:`~lapace.groups.regions.ClusterRegions`.

    Parameters
    ----------
    target : the desired label; ``constraints``: as :class:`~lapace.groups.regions.ClusterRegions`.
    rho : least feasibility of a rule (share of training inputs inside; also the surrogate
        tree's and the metarule tree's least leaf share).
    tau : least accuracy of a rule (share of its training inputs predicted as the target).
    margin : how far an open lower bound is entered (encoded units).
    seed : random_state of the trees.
    """

    params = {"target": integer(0), "rho": real(0.0, 1.0), "tau": real(0.0, 1.0),
              "margin": real(0.0), "seed": SEED}

    def __init__(self, target: int = 1, constraints=None, rho: float = 0.02, tau: float = 0.9,
                 margin: float = 1e-3, seed: int = 0):
        self.target = target
        self.constraints = constraints
        self.rho = rho
        self.tau = tau
        self.margin = margin
        self.seed = seed

    def rule_costs(self, X: np.ndarray) -> np.ndarray:
        """(n, R) L1 cost of moving each input into each candidate rule (inf: it would move an
        immutable column, or a monotone one the forbidden way, or the input is already inside)."""
        out = np.empty((len(X), len(self.rules_)), dtype=np.float64)
        for r, (lo, hi, _, _) in enumerate(self.rules_):
            moved = move_into(X, lo, hi, self.margin)
            cost = np.abs(moved - X).sum(1)
            if len(self.fixed_):
                cost[(np.abs(moved[:, self.fixed_] - X[:, self.fixed_]) > 0).any(1)] = np.inf
            for j, sign in self.monotone_.items():
                cost[sign * (moved[:, j] - X[:, j]) < 0] = np.inf
            cost[cost == 0] = np.inf                     # x already inside: the rule offers nothing
            out[:, r] = cost
        return out

    def _fit(self, X, labels) -> None:
        if self.X_train_ is None:
            raise ValueError("TCREx needs the training inputs: fit(X, model, dataset, X_train=...).")
        Xt = self.X_train_
        positive = predict_labels(self.predict_, Xt) == self.target
        leaf = max(1, math.ceil(self.rho * len(Xt)))
        self.surrogate_ = DecisionTreeClassifier(min_samples_leaf=leaf, random_state=self.seed)
        self.surrogate_.fit(Xt, positive)
        self.rules_ = candidate_rules(self.surrogate_, Xt, positive, self.rho, self.tau)
        if not self.rules_:
            warn(f"TCREx: no rule reaches accuracy {self.tau} with feasibility {self.rho}; "
                 "using the nodes where most training inputs are predicted as the target.")
            self.rules_ = candidate_rules(self.surrogate_, Xt, positive, self.rho, 0.5 + 1e-9)
        if not self.rules_:
            raise ValueError("TCREx found no rule: the black box predicts too few training inputs "
                             f"as {self.target}.")
        M = np.concatenate([X, Xt[~positive]])
        costs = self.rule_costs(M)
        M, optimal = M[np.isfinite(costs).any(1)], costs[np.isfinite(costs).any(1)].argmin(1)
        if not len(M):
            raise ValueError("TCREx: no candidate rule can be reached by the inputs under the "
                             "constraints.")
        self.metarules_ = DecisionTreeClassifier(
            min_samples_leaf=max(1, math.ceil(self.rho * len(M))), random_state=self.seed)
        self.metarules_.fit(M, optimal)
        used = np.unique(self.metarules_.predict(M))
        self.rule_action_ = {int(r): i for i, r in enumerate(used)}
        chosen = self.metarules_.predict(X)
        self.actions_ = [GroupAction(i, f"metarule of rule {r}",
                                     np.full(X.shape[1], np.nan, np.float32),
                                     int((chosen == r).sum()), float("nan"),
                                     bounds=self.rules_[r][:2]) for i, r in enumerate(used)]
        for i, r in enumerate(used):
            if (chosen == r).any():
                self.actions_[i].fit_coverage = float(self._apply(i, X[chosen == r])[2].mean())

    def assign(self, X) -> np.ndarray:
        """The action (rule) of each input's metarule leaf; an input already predicted as the
        target gets none (-1), as in :class:`~lapace.groups.regions.ClusterRegions`."""
        check_is_fitted(self, "actions_", "call fit(X, model, dataset, X_train) first")
        X = self._check(X)
        action = np.array([self.rule_action_[int(r)] for r in self.metarules_.predict(X)], np.int64)
        return np.where(self._affected(X), action, -1)

    def apply(self, action: int, X, scale: float = float("nan")) -> np.ndarray:
        """The record rule ``action`` gives each row: moved into its rectangle, projected,
        immutable columns copied (``scale`` is ignored: a rule has none)."""
        check_is_fitted(self, "actions_", "call fit(X, model, dataset, X_train) first")
        X = self._check(X)
        lo, hi = self.actions_[action].bounds
        out = self._project(move_into(X, lo, hi, self.margin))
        out[:, self.fixed_] = X[:, self.fixed_]
        return out

    def _apply(self, action: int, X):
        points = self.apply(action, X)
        ok = predict_labels(self.predict_, points) == self.target
        sat = self._satisfied()
        if sat is not None and ok.any():
            ok[ok] = sat(points[ok], X[ok])
        points[~ok] = np.nan
        return np.full(len(X), np.nan, np.float32), points, ok

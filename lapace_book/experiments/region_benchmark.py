"""Group recourse compared on one pair: LAPACE's cluster regions, GLOBE-CE, T-CREx and per-input
LAPACE-First, fitted on one set of affected test inputs and measured on another.

:func:`compare_pair` returns one row per method with the columns of ``regions.csv``:
``n_actions``, ``coverage`` and ``cost`` (mean encoded L1 over the flipped) and
``features_changed`` on the *held-out* inputs, ``fit_s`` and ``per_input_s`` (seconds per
held-out input to assign and apply the actions), and ``robustness`` (share of perturbed
held-out inputs assigned the same action).  LAPACE-First is the per-input reference: every input
is its own "action" (``n_actions`` = the number of inputs), its coverage is its validity, its cost
the L1 distance of the nearest valid First point; the L-GMVAE's training is not counted in any
``fit_s`` (the pair is cached, and every method uses the same black box).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from lapace.explain.explainer import Lapace
from lapace.groups.baselines import GlobeCE, TCREx
from lapace.groups.metrics import assignment_robustness, coverage, features_changed, mean_cost, perturb
from lapace.groups.regions import ClusterRegions, GroupMethod, GroupRecourse
from lapace_book.experiments.pairs import Pair, select_inputs

__all__ = ["METHODS", "build", "compare_pair", "split_inputs"]

#: the methods of the comparison, in the order of the tables
METHODS = ("LAPACE regions", "GLOBE-CE", "T-CREx", "LAPACE-First")


def split_inputs(pair: Pair, n_fit: int, n_eval: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint indices into ``pair.X_test`` of test inputs predicted 0: ``n_fit`` to fit the
    actions on, ``n_eval`` held out to measure them (fewer of each, half and half, when the test
    set holds fewer such inputs)."""
    idx = select_inputs(pair, n_fit + n_eval, repetition=seed)
    idx = np.random.default_rng(seed).permutation(idx)
    n_fit = min(n_fit, len(idx) // 2) if len(idx) < n_fit + n_eval else n_fit
    return np.sort(idx[:n_fit]), np.sort(idx[n_fit:])


def build(method: str, pair: Pair, constraints=None, target: int = 1, seed: int = 0,
          **params) -> GroupMethod:
    """A group method of :data:`METHODS` (not LAPACE-First) with its ``params``."""
    if method == "LAPACE regions":
        return ClusterRegions(pair.vae, target=target, constraints=constraints, **params)
    if method == "GLOBE-CE":
        return GlobeCE(target=target, constraints=constraints, seed=seed, **params)
    if method == "T-CREx":
        return TCREx(target=target, constraints=constraints, seed=seed, **params)
    raise ValueError(f"Unknown group method {method!r}; known: {list(METHODS[:3])}.")


def _first(pair: Pair, X: np.ndarray, constraints, target: int):
    """LAPACE-First per input: the nearest valid First point of the k paths."""
    start = time.perf_counter()
    lap = Lapace(pair.vae, point="first").fit(model=pair.clf, dataset=pair.ds)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    cf = lap.explain(X, target=target, constraints=constraints)
    per_input = (time.perf_counter() - start) / len(X)
    cost = np.where(cf.valid, np.nansum(np.abs(cf.points - X[:, None]), -1), np.inf)
    best = cost.argmin(1)
    flipped = cf.valid.any(1)
    points = np.where(flipped[:, None], cf.points[np.arange(len(X)), best], np.nan)
    rec = GroupRecourse(points.astype(np.float32), np.arange(len(X)), np.full(len(X), np.nan),
                        flipped)
    return rec, fit_s, per_input


#: what T-CREx says when the constraints leave no rule an input could reach
NO_RULE = "no candidate rule can be reached"


def no_recourse(X: np.ndarray) -> GroupRecourse:
    """Recourse for none of ``X``: no record, no action, nothing flipped."""
    n = len(X)
    return GroupRecourse(np.full(X.shape, np.nan, np.float32), np.full(n, -1), np.full(n, np.nan),
                         np.zeros(n, bool))


def no_action_row(pair: Pair, method: str, fit_s: float, X_fit, X_eval) -> dict:
    """The row of a method that found no action (coverage 0; cost and changes undefined)."""
    return {"dataset": pair.dataset, "classifier": pair.classifier, "method": method,
            "n_actions": 0, "coverage": 0.0, "cost": np.nan, "features_changed": np.nan,
            "fit_s": fit_s, "per_input_s": np.nan, "robustness": np.nan,
            "n_fit": len(X_fit), "n_eval": len(X_eval)}


def compare_pair(pair: Pair, methods=METHODS, constraints=None, n_fit: int = 100,
                 n_eval: int = 100, sigma: float = 0.01, n_perturbations: int = 2,
                 seed: int = 0, target: int = 1, params=None) -> tuple[pd.DataFrame, dict, dict]:
    """Every method of ``methods`` on the same inputs of ``pair``.

    A method that can find no action (T-CREx when the constraints leave no rule reachable)
    gets a row with coverage 0 and no fitted model.  Returns the table (one row per method),
    the fitted group methods by name, and each
    method's :class:`~lapace.groups.regions.GroupRecourse` of the held-out inputs (``"inputs"``: the
    held-out inputs themselves).
    """
    params = dict(params or {})
    fit_idx, eval_idx = split_inputs(pair, n_fit, n_eval, seed)
    X_fit, X_eval = pair.X_test[fit_idx], pair.X_test[eval_idx]
    noisy = perturb(X_eval, pair.ds, sigma, n_perturbations, seed)               # (n, p, d)
    flat = noisy.reshape(-1, noisy.shape[-1])
    keep = (pair.predict(flat) != target).reshape(noisy.shape[:2])
    rows, fitted, recs = [], {}, {"inputs": X_eval}
    for m in methods:
        if m == "LAPACE-First":
            rec, fit_s, per_input = _first(pair, X_eval, constraints, target)
            n_actions, robust = len(X_eval), np.nan
        else:
            start = time.perf_counter()
            try:
                g = build(m, pair, constraints, target, seed, **params.get(m, {})).fit(
                    X_fit, pair.clf, pair.ds, X_train=pair.X_train)
            except ValueError as err:
                if NO_RULE not in str(err):
                    raise
                rows.append(no_action_row(pair, m, time.perf_counter() - start, X_fit, X_eval))
                recs[m] = no_recourse(X_eval)        # no rule reachable: it flips no input
                continue
            fit_s = time.perf_counter() - start
            start = time.perf_counter()
            rec = g.recourse(X_eval)
            per_input = (time.perf_counter() - start) / len(X_eval)
            n_actions, fitted[m] = g.n_actions, g
            robust = assignment_robustness(rec.action, g.assign(flat).reshape(keep.shape), keep)
        recs[m] = rec
        rows.append({"dataset": pair.dataset, "classifier": pair.classifier, "method": m,
                     "n_actions": n_actions, "coverage": coverage(rec.flipped),
                     "cost": mean_cost(X_eval, rec.points, rec.flipped),
                     "features_changed": features_changed(X_eval, rec.points, rec.flipped, pair.ds),
                     "fit_s": fit_s, "per_input_s": per_input, "robustness": robust,
                     "n_fit": len(X_fit), "n_eval": len(X_eval)})
    return pd.DataFrame(rows), fitted, recs

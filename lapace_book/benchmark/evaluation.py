"""One cell of the §4.1 evaluation: a method on one pair's test inputs, scored by
:mod:`lapace.metrics`.

A *cell* is (dataset, classifier, method, repetition).  :func:`compute_cell`

1. loads the pair (:func:`lapace_book.experiments.pairs.train_pair`, cached; its L-GMVAE trained with the
   method's recipe, :attr:`lapace_book.benchmark.registry.MethodSpec.recipe`) and draws the repetition's
   test inputs the black box predicts as 0 (:func:`lapace_book.experiments.pairs.select_inputs`:
   the repetitions take disjoint parts of that pool, whose size is the column ``pool``);
2. builds the method from :data:`lapace_book.benchmark.registry.REGISTRY` (construction and
   ``fit``, timed once: ``fit_s``) and times ``explain(X, target=1)``
   (:func:`timed_explain`: after one untimed call on the first input, the fastest of up to
   ``TIMING_REPEATS`` identical calls, so that a process sharing the cores does not decide
   the ranking);
3. scores the counterfactuals: validity, proximity, plausibility (LOF against the training
   inputs predicted 1), diversity, robustness to model changes (against
   :func:`lapace_book.experiments.retrain.retrained_classifiers`) and robustness to input changes (Gaussian
   noise of standard deviation ``sigma`` on the continuous features, clipped to [0, 1];
   perturbations the black box labels differently are skipped; the counterfactuals of the
   perturbed inputs are compared with the originals).

A cell's result depends on the code of this module (and what it imports: the metrics, the
pair's training, the retrained black boxes) and on its own method's module, never on another
method's (:func:`cell_code`); :mod:`lapace_book.benchmark.grid` caches cells with that key.
"""

from __future__ import annotations

import functools
import importlib
import json
import threading
import time
import zlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from lapace import metrics
from lapace_book.benchmark.registry import LGMVAE_RECIPES, REGISTRY
from lapace_book.experiments.pairs import (
    Pair,
    input_pool,
    pair_kwargs,
    select_inputs,
    train_pair,
)
from lapace_book.experiments.retrain import retrained_classifiers

__all__ = ["COLUMNS", "METRIC_COLUMNS", "PER_INPUT_COLUMNS", "PER_INPUT_METRICS", "Cell",
           "cell_code", "cell_key", "compute_cell", "grid_pair", "timed_explain",
           "grid_pair_kwargs", "perturb", "retrained"]

#: the metric columns of evaluation.csv (means over the cell's inputs): the six scores, the
#: seconds per input of ``explain`` (``runtime_s``) and the wall seconds of the method's
#: construction and ``fit`` (``fit_s``, once per cell)
METRIC_COLUMNS = ["validity", "proximity", "plausibility", "diversity", "model_robustness",
                  "input_robustness", "runtime_s", "fit_s"]
#: columns of evaluation.csv, one row per cell: ``n_inputs`` the inputs explained, ``pool`` the
#: test inputs the black box predicts as 0 (the pool the repetitions' inputs are drawn from,
#: :func:`lapace_book.experiments.pairs.input_pool`), then :data:`METRIC_COLUMNS`
COLUMNS = ["dataset", "classifier", "method", "repetition", "n_inputs", "pool", *METRIC_COLUMNS]
#: columns of evaluation_per_input.csv (long format)
PER_INPUT_COLUMNS = ["dataset", "classifier", "method", "repetition", "input_id", "metric", "value"]
#: per-input metrics written to the long table (``valid_share`` besides the cell columns)
PER_INPUT_METRICS = ["validity", "valid_share", "proximity", "plausibility", "diversity",
                     "model_robustness", "input_robustness", "runtime_s", "fit_s"]

#: at most this many timed calls of ``explain`` per cell (:func:`timed_explain`) ...
TIMING_REPEATS = 3
#: ... and no further call once the timed ones have taken this many seconds
TIMING_BUDGET_S = 1.0

#: held while loading from the artefact cache, and around whole cells run outside a process's
#: main thread (threaded Dask workers): the cache's code fingerprint parses source with `ast`,
#: and imports compile source, neither thread-safe on Python 3.11
CACHE_LOCK = threading.RLock()


@dataclass(frozen=True)
class Cell:
    dataset: str
    classifier: str
    method: str
    repetition: int


def cell_code(method: str) -> tuple[str, ...]:
    """The modules a cell of ``method`` depends on: this module (with the metrics, the pair's
    training and the retrained black boxes it imports) and the method's own module."""
    return ("lapace_book.benchmark.evaluation", REGISTRY[method].module)


def cell_key(cell: Cell, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Everything that decides a cell's result (other methods' parameters do not)."""
    return {**asdict(cell), "n_inputs": settings["n_inputs"], "n_retrained": settings["n_retrained"],
            "n_perturbations": settings["n_perturbations"], "sigma": settings["sigma"],
            "seed": settings["seed"],
            "pair": grid_pair_kwargs(cell.dataset, cell.classifier, settings,
                                     REGISTRY[cell.method].recipe),
            "method_params": settings["method_params"].get(cell.method, {}),
            "robustness_inputs": settings["robustness_inputs"].get(cell.method),
            **({"method_inputs": k} if (k := _method_inputs(settings, cell.method)) else {})}


def _method_inputs(settings: Mapping[str, Any], method: str) -> int | None:
    """The grid's cap on the inputs ``method`` explains per repetition (None: all)."""
    k = (settings.get("method_inputs") or {}).get(method)
    return None if k is None else int(k)


@functools.lru_cache(maxsize=4)
def _load_pair(dataset: str, classifier: str, kwargs_json: str) -> Pair:
    return train_pair(dataset, classifier, **json.loads(kwargs_json))


def grid_pair_kwargs(dataset: str, classifier: str, settings: Mapping[str, Any],
                     recipe: str = "ours") -> dict[str, Any]:
    """:func:`~lapace_book.experiments.pairs.train_pair`'s arguments (but ``seed``) of the grid's pair: its
    ``pair`` settings, with the recipe's ``vae_params``
    (:data:`lapace_book.benchmark.registry.LGMVAE_RECIPES`)
    as :func:`lapace_book.experiments.profiles.load_pair` applies them."""
    pair = dict(settings["pair"])
    if LGMVAE_RECIPES[recipe]:
        pair["vae_params"] = {**pair.get("vae_params", {}), **LGMVAE_RECIPES[recipe]}
    return pair_kwargs(dataset, classifier, pair)


def grid_pair(dataset: str, classifier: str, settings: Mapping[str, Any],
              recipe: str = "ours") -> Pair:
    """The pair as the grid uses it: its ``pair`` settings, ``seed`` and the L-GMVAE
    ``recipe`` (cached on disk, and in memory per worker process)."""
    kw = {"seed": settings["seed"], **grid_pair_kwargs(dataset, classifier, settings, recipe)}
    with CACHE_LOCK:
        return _load_pair(dataset, classifier, json.dumps(kw, sort_keys=True))


def _memo(pair: Pair, key: tuple, compute):
    """``compute()`` once per pair object (kept on the pair: the grid's pairs live in
    :func:`grid_pair`'s memory cache, so a worker process computes it once per pair)."""
    memo = pair.__dict__.setdefault("_evaluation_memo", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def retrained(pair: Pair, n: int, seed: int) -> list:
    """The ``n`` retrained black boxes of robustness to model changes (cached on disk, and in
    memory per pair object)."""
    with CACHE_LOCK:
        return list(_memo(pair, ("retrained", int(n), int(seed)), lambda: retrained_classifiers(
            pair, n_resample=(n + 1) // 2, n_leave_out=n // 2, seed=seed)))


def _target_lof(pair: Pair, target: int):
    """LOF of plausibility fitted on the training inputs the black box labels ``target``: the
    same for every method and repetition of a pair, so fitted once per pair object."""
    def fit():
        X_target = pair.X_train[pair.predict(pair.X_train) == target]
        return metrics.lof_model(X_target, n_neighbors=10)
    return _memo(pair, ("lof", int(target)), fit)


def perturb(pair: Pair, X: np.ndarray, n: int, sigma: float, seed) -> tuple[np.ndarray, np.ndarray]:
    """``n`` perturbed copies of every row of ``X``: Gaussian noise of std ``sigma`` on the
    continuous columns, clipped to [0, 1]; copies the black box labels differently from their
    input are skipped (up to ``20 n`` draws per input).

    Returns ``(Xp, kept)``: ``Xp`` (len(X), n, d) and ``kept`` (len(X), n) bool, False where
    fewer than ``n`` label-preserving copies were found (those rows of ``Xp`` are the input).
    """
    if sigma <= 0:
        raise ValueError(f"sigma must be positive, got {sigma}.")
    rng = np.random.default_rng(seed)
    cont = np.asarray(pair.ds.continuous_index, dtype=np.int64)
    y = pair.predict(X)
    Xp = np.repeat(X[:, None, :], n, axis=1).astype(np.float32)
    kept = np.zeros((len(X), n), dtype=bool)
    if len(cont) == 0 or n == 0:
        return Xp, kept
    draws = 20 * n
    # input i's draws are rows [i * draws, (i + 1) * draws) of one normal sample (the numbers a
    # loop over the inputs would draw, in its order), labelled by one call of the black box
    cand = np.repeat(X.astype(np.float32), draws, axis=0)
    cand[:, cont] = np.clip(cand[:, cont] + rng.normal(0, sigma, (len(X) * draws, len(cont))), 0, 1)
    same_label = (pair.predict(cand) == np.repeat(y, draws)).reshape(len(X), draws)
    cand = cand.reshape(len(X), draws, -1)
    for i in range(len(X)):
        same = cand[i][same_label[i]][:n]
        Xp[i, : len(same)] = same
        kept[i, : len(same)] = True
    return Xp, kept


def timed_explain(method, X: np.ndarray, target: int, repeats: int = TIMING_REPEATS,
                  budget_s: float = TIMING_BUDGET_S):
    """``(method.explain(X, target), seconds per input)``.

    One untimed call on ``X[:1]`` first (lazy imports, first-call allocations, the black box's
    caches), the same for every method; then up to ``repeats`` timed calls of the whole ``X``,
    stopping once they have taken ``budget_s`` seconds, of which the fastest counts (as
    :mod:`timeit` reports: on shared cores the noise only ever adds time).  Every method of the
    registry is deterministic given its seed, so the calls return the same counterfactuals; the
    first timed call's are returned.
    """
    method.explain(X[:1], target=target)
    best, spent, cf = np.inf, 0.0, None
    for _ in range(max(1, int(repeats))):
        start = time.perf_counter()
        out = method.explain(X, target=target)
        took = time.perf_counter() - start
        cf = out if cf is None else cf
        best, spent = min(best, took), spent + took
        if spent >= budget_s:
            break
    return cf, best / len(X)


def _mean(values: np.ndarray) -> float:
    values = np.asarray(values, dtype=np.float64)
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def _perturbation_seed(settings: Mapping[str, Any], cell: Cell) -> list[int]:
    """Same for every method of a pair and repetition: all see the same perturbed inputs."""
    name = f"{cell.dataset}-{cell.classifier}"
    return [int(settings["seed"]), int(cell.repetition), zlib.crc32(name.encode())]


def _input_robustness(pair, method, X, points, valid, settings, cell, target) -> np.ndarray:
    """Robustness to input changes of the first ``k`` inputs (all unless the grid limits it)."""
    out = np.full(len(X), np.nan)
    k = settings["robustness_inputs"].get(cell.method)
    k = len(X) if k is None else min(int(k), len(X))
    n_pert = int(settings["n_perturbations"])
    if k > 0 and n_pert > 0:
        Xp, kept = perturb(pair, X[:k], n_pert, float(settings["sigma"]),
                           _perturbation_seed(settings, cell))
        m, d = points.shape[1:]
        pp = np.full((k, n_pert, m, d), np.nan, dtype=np.float32)
        vp = np.zeros((k, n_pert, m), dtype=bool)
        if kept.any():
            cfp = method.explain(Xp[kept], target=target)
            pp[kept], vp[kept] = cfp.points, cfp.valid
        out[:k] = metrics.input_robustness(points[:k], valid[:k], pp, vp)
    return out


def compute_cell(cell: Cell, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The metrics of one cell: ``{"row": dict of COLUMNS, "per_input": DataFrame, "info"}``."""
    pair = grid_pair(cell.dataset, cell.classifier, settings, REGISTRY[cell.method].recipe)
    pool = len(input_pool(pair, 0))
    idx = select_inputs(pair, settings["n_inputs"], cell.repetition)
    if (k := _method_inputs(settings, cell.method)) is not None:
        idx = idx[:k]    # the first k of the repetition's draw (a slow method's subsample)
    X = pair.X_test[idx]
    target = 1
    params = dict(settings["method_params"].get(cell.method, {}))
    importlib.import_module(REGISTRY[cell.method].module)   # a first import is not fit time
    cell_start = fit_start = time.perf_counter()
    method = REGISTRY[cell.method].build(pair, int(settings["seed"]) + cell.repetition, **params)
    fit_s = time.perf_counter() - fit_start      # build = construct + fit, once per cell

    cf, runtime = timed_explain(method, X, target)
    points, valid = cf

    lof = _target_lof(pair, target)
    models = retrained(pair, settings["n_retrained"], settings["seed"])
    per_input = {
        "validity": metrics.validity(valid),
        "valid_share": metrics.valid_share(valid),
        "proximity": metrics.proximity(X, points, valid),
        "plausibility": metrics.plausibility(points, valid, lof),
        "diversity": metrics.diversity(points, valid),
        "model_robustness": metrics.model_robustness(
            points, valid, [lambda Z, m=m: m.predict(np.asarray(Z, np.float64)) for m in models],
            target),
        "input_robustness": _input_robustness(pair, method, X, points, valid, settings, cell,
                                              target),
        "runtime_s": np.full(len(X), runtime),
        "fit_s": np.full(len(X), fit_s),
    }
    row = {**asdict(cell), "n_inputs": len(X), "pool": pool}
    for name in METRIC_COLUMNS:
        row[name] = _mean(per_input[name])
    long = pd.DataFrame([
        {**asdict(cell), "input_id": int(i), "metric": name, "value": float(v)}
        for name in PER_INPUT_METRICS for i, v in zip(idx, per_input[name], strict=True)
    ], columns=PER_INPUT_COLUMNS)
    info = {k: v for k, v in cf.info.items() if isinstance(v, int | float | str | bool)}
    if "timeouts" in cf.info:
        info["timeouts"] = int(np.sum(cf.info["timeouts"]))
    info["cell_seconds"] = time.perf_counter() - cell_start
    return {"row": row, "per_input": long, "info": info}


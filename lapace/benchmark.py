"""The benchmark grid of §4.1–4.2: every method on every pair, repeated, scored by
:mod:`lapace.metrics`.

A *cell* is (dataset, classifier, method, repetition).  For each cell, :func:`run_cell`

1. loads the pair (:func:`lapace.experiments.train_pair`, cached) and draws the repetition's
   test inputs the black box predicts as 0 (:func:`lapace.experiments.select_inputs`);
2. builds the method from :data:`METHODS` and times ``explain(X, target=1)``;
3. scores the counterfactuals: validity, proximity, plausibility (LOF against the training
   inputs predicted 1), diversity, robustness to model changes (against
   :func:`lapace.retrain.retrained_classifiers`) and robustness to input changes (Gaussian
   noise of standard deviation ``sigma`` on the continuous features, clipped to [0, 1];
   perturbations the black box labels differently are skipped; the counterfactuals of the
   perturbed inputs are compared with the originals).

:func:`run_grid` runs the cells in parallel with joblib (processes, one torch thread each, a
progress bar over cells), each cell's result cached with :func:`lapace.cache.cached`, so the
grid reruns only cells whose settings or code changed.  ``backend="dask"`` sends the same cells
to a Dask cluster through joblib's Dask backend (``pip install -e .[dask]``); the workers need
the data (``LAPACE_DATA_DIR``) and share the artefact cache folder.

Command line (numbers without the book)::

    python -m lapace.benchmark --profile quick --pairs compas-rf,wine-nn \\
        --methods NNCE,LAPACE-Last [--backend dask --scheduler ADDRESS] --out DIR

writes ``DIR/evaluation.csv`` (one row per cell, :data:`COLUMNS`) and
``DIR/evaluation_per_input.csv`` (long format, :data:`PER_INPUT_COLUMNS`).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import threading
import time
import warnings
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from . import metrics
from .baselines import DRCE, FACE, NNCE, DiCE, RobX
from .cache import CACHE_ENV, cached, entry_path
from .counterfactuals import Counterfactuals
from .experiments import TRAINING_CODE, Pair, lgmvae_settings, select_inputs, train_pair
from .explain import Lapace
from .retrain import retrained_classifiers

__all__ = [
    "COLUMNS",
    "DEFAULTS",
    "METHODS",
    "PER_INPUT_COLUMNS",
    "Cell",
    "grid",
    "lgmvae_training_seconds",
    "load_pair",
    "main",
    "perturb",
    "run_cell",
    "run_grid",
]

#: columns of evaluation.csv, one row per cell
COLUMNS = ["dataset", "classifier", "method", "repetition", "n_inputs", "validity", "proximity",
           "plausibility", "diversity", "model_robustness", "input_robustness", "runtime_s"]
#: columns of evaluation_per_input.csv (long format)
PER_INPUT_COLUMNS = ["dataset", "classifier", "method", "repetition", "input_id", "metric", "value"]
#: per-input metrics written to the long table (``valid_share`` besides the cell columns)
PER_INPUT_METRICS = ["validity", "valid_share", "proximity", "plausibility", "diversity",
                     "model_robustness", "input_robustness", "runtime_s"]

#: settings of the grid, the quick profile's values (profiles/*.yml override them)
DEFAULTS: dict[str, Any] = {
    "n_inputs": 5,                # test inputs per repetition (paper: 100)
    "repetitions": 1,             # repetitions, each with its own inputs (paper: 5)
    "n_retrained": 4,             # retrained black boxes, half resampled, half leave-1%-out (20)
    "n_perturbations": 2,         # perturbed copies of each input (paper: 10)
    "sigma": 0.01,                # std of the input noise on continuous features in [0, 1]
    "robustness_inputs": {"DiCE": 2},  # method -> inputs whose perturbations are re-explained
    # (the first k of each repetition; methods not named: all inputs)
    "method_params": {"DiCE": {"time_limit": 2.0}},  # method -> keyword arguments of its constructor
    "seed": 0,                    # seed of the pairs' data splits, classifiers and L-GMVAEs
    "pair": {"max_epochs": 40, "patience": 10, "max_rows": 2500, "max_batch_size": 128},
}


# ---------------------------------------------------------------------------------------------
# methods
# ---------------------------------------------------------------------------------------------
class LapaceMethod:
    """A point of LAPACE's paths (§4.1): ``"first"``, ``"middle"`` or ``"last"``."""

    def __init__(self, pair: Pair, point: str, **params: Any):
        if point not in ("first", "middle", "last"):
            raise ValueError(f"point must be 'first', 'middle' or 'last', got {point!r}.")
        self.point = point
        self.lapace_ = Lapace(pair.vae, pair.predict, dataset=pair.ds, **params)

    def explain(self, X, target: int = 1) -> Counterfactuals:
        return getattr(self.lapace_.explain(X, target=target), self.point)()


def _lapace(point: str) -> Callable[..., LapaceMethod]:
    def make(pair: Pair, seed: int, **params: Any) -> LapaceMethod:
        return LapaceMethod(pair, point, **params)
    return make


def _baseline(cls: type) -> Callable[..., Any]:
    def make(pair: Pair, seed: int, **params: Any):
        return cls(seed=seed, **params).fit(pair.X_train, pair.clf, dataset=pair.ds)
    return make


#: method name -> factory ``make(pair, seed, **params)`` returning an object with
#: ``explain(X, target) -> Counterfactuals`` (fitted: fitting is not counted in the runtime)
METHODS: dict[str, Callable[..., Any]] = {
    "NNCE": _baseline(NNCE),
    "FACE": _baseline(FACE),
    "RobX": _baseline(RobX),
    "DiCE": _baseline(DiCE),
    "DRCE": _baseline(DRCE),
    "LAPACE-First": _lapace("first"),
    "LAPACE-Middle": _lapace("middle"),
    "LAPACE-Last": _lapace("last"),
}
#: every method of the paper's Figure 4, in its order
ALL_METHODS = ["NNCE", "FACE", "RobX", "DiCE", "DRCE", "LAPACE-First", "LAPACE-Middle",
               "LAPACE-Last"]


def check_methods(methods: Iterable[str]) -> list[str]:
    """``methods`` as a list, each a key of :data:`METHODS`."""
    methods = list(methods)
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; known: {list(METHODS)}.")
    return methods


# ---------------------------------------------------------------------------------------------
# pairs
# ---------------------------------------------------------------------------------------------
def pair_kwargs(dataset: str, classifier: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments of :func:`train_pair` from the grid's ``pair`` settings: as the tabular
    chapter does, ``max_batch_size`` caps Table 4's batch size."""
    pair = dict(settings["pair"])
    cap = pair.pop("max_batch_size", None)
    table4 = lgmvae_settings(dataset, classifier)["batch_size"]
    if cap is not None and cap < table4:
        pair["vae_params"] = {**pair.get("vae_params", {}), "batch_size": int(cap)}
    return {"seed": settings["seed"], **pair}


#: held while loading from the artefact cache, and around whole cells run outside a process's
#: main thread (threaded Dask workers): the cache's code fingerprint parses source with `ast`,
#: and imports compile source, neither thread-safe on Python 3.11
_CACHE_LOCK = threading.RLock()


def _thread_guard():
    """The lock for a cell run in a worker thread; nothing in a process's main thread."""
    if threading.current_thread() is threading.main_thread():
        return contextlib.nullcontext()
    return _CACHE_LOCK


@functools.lru_cache(maxsize=4)
def _load_pair(dataset: str, classifier: str, kwargs_json: str) -> Pair:
    return train_pair(dataset, classifier, **json.loads(kwargs_json))


def load_pair(dataset: str, classifier: str, settings: Mapping[str, Any]) -> Pair:
    """The pair as the grid uses it (cached on disk, and in memory per worker process)."""
    kw = pair_kwargs(dataset, classifier, settings)
    with _CACHE_LOCK:
        return _load_pair(dataset, classifier, json.dumps(kw, sort_keys=True))


def _retrained(pair: Pair, n: int, seed: int) -> list:
    with _CACHE_LOCK:
        return retrained_classifiers(pair, n_resample=(n + 1) // 2, n_leave_out=n // 2, seed=seed)


def lgmvae_training_seconds(pair: Pair) -> float:
    """Wall seconds the pair's L-GMVAE took to train (from its cache record); NaN if unknown."""
    path = entry_path("lgmvae", pair.settings, ".pt", code=TRAINING_CODE)
    meta = path.with_name(path.name.removesuffix(".pt") + ".json")
    try:
        return float(json.loads(meta.read_text())["seconds"])
    except (OSError, KeyError, ValueError):
        return float("nan")


# ---------------------------------------------------------------------------------------------
# one cell
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    dataset: str
    classifier: str
    method: str
    repetition: int


def grid(pairs: Iterable[tuple[str, str]], methods: Iterable[str], repetitions: int) -> list[Cell]:
    """Every cell, grouped by pair (a worker then loads each pair once)."""
    methods = check_methods(methods)
    return [Cell(d, c, m, r) for d, c in pairs for r in range(int(repetitions)) for m in methods]


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
    for i in range(len(X)):
        cand = np.repeat(X[i][None], draws, axis=0).astype(np.float32)
        cand[:, cont] = np.clip(cand[:, cont] + rng.normal(0, sigma, (draws, len(cont))), 0, 1)
        same = cand[pair.predict(cand) == y[i]][:n]
        Xp[i, : len(same)] = same
        kept[i, : len(same)] = True
    return Xp, kept


def _mean(values: np.ndarray) -> float:
    values = np.asarray(values, dtype=np.float64)
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def _perturbation_seed(settings: Mapping[str, Any], cell: Cell) -> list[int]:
    """Same for every method of a pair and repetition: all see the same perturbed inputs."""
    name = f"{cell.dataset}-{cell.classifier}"
    return [int(settings["seed"]), int(cell.repetition), zlib.crc32(name.encode())]


def _compute_cell(cell: Cell, settings: Mapping[str, Any]) -> dict[str, Any]:
    pair = load_pair(cell.dataset, cell.classifier, settings)
    idx = select_inputs(pair, settings["n_inputs"], cell.repetition)
    X = pair.X_test[idx]
    target = 1
    params = dict(settings["method_params"].get(cell.method, {}))
    method = METHODS[cell.method](pair, int(settings["seed"]) + cell.repetition, **params)

    cell_start = start = time.perf_counter()
    cf = method.explain(X, target=target)
    runtime = (time.perf_counter() - start) / len(X)
    points, valid = cf

    X_target = pair.X_train[pair.predict(pair.X_train) == target]
    lof = metrics.lof_model(X_target, n_neighbors=10)
    models = _retrained(pair, settings["n_retrained"], settings["seed"])
    per_input = {
        "validity": metrics.validity(valid),
        "valid_share": metrics.valid_share(valid),
        "proximity": metrics.proximity(X, points, valid),
        "plausibility": metrics.plausibility(points, valid, lof),
        "diversity": metrics.diversity(points, valid),
        "model_robustness": metrics.model_robustness(
            points, valid, [lambda Z, m=m: m.predict(np.asarray(Z, np.float64)) for m in models],
            target),
        "input_robustness": np.full(len(X), np.nan),
        "runtime_s": np.full(len(X), runtime),
    }

    # robustness to input changes, on the first `k` inputs (all unless the profile limits it)
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
        per_input["input_robustness"][:k] = metrics.input_robustness(points[:k], valid[:k], pp, vp)

    row = {**asdict(cell), "n_inputs": len(X)}
    for name in COLUMNS[5:]:
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


def _cell_key(cell: Cell, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Everything that decides a cell's result (other methods' parameters do not)."""
    return {**asdict(cell), "n_inputs": settings["n_inputs"], "n_retrained": settings["n_retrained"],
            "n_perturbations": settings["n_perturbations"], "sigma": settings["sigma"],
            "seed": settings["seed"], "pair": pair_kwargs(cell.dataset, cell.classifier, settings),
            "method_params": settings["method_params"].get(cell.method, {}),
            "robustness_inputs": settings["robustness_inputs"].get(cell.method)}


def run_cell(cell: Cell, settings: Mapping[str, Any], cache: bool = True,
             cache_dir: str | None = None) -> dict[str, Any]:
    """The metrics of one cell: ``{"row": dict of COLUMNS, "per_input": DataFrame, "info"}``.

    Runs in a worker: one torch thread; ``cache_dir`` (if given) is the artefact cache folder.
    """
    import torch

    torch.set_num_threads(1)
    if cache_dir:
        os.environ[CACHE_ENV] = str(cache_dir)
    with _thread_guard(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # per-cell library chatter; failures are in the numbers
        if not cache:
            return _compute_cell(cell, settings)
        with _CACHE_LOCK:
            path = entry_path("evaluation_cell", _cell_key(cell, settings), code=CELL_CODE)
        if path.exists():  # load under the lock; compute outside it
            with _CACHE_LOCK:
                return _cached_cell(cell, settings)
        result = _compute_cell(cell, settings)
        with _CACHE_LOCK:
            return _cached_cell(cell, settings, result)


#: the code that decides a cell's numbers (with what it imports): :func:`cached`'s ``code``
CELL_CODE = ("lapace.benchmark",)


def _cached_cell(cell: Cell, settings: Mapping[str, Any], result=None) -> dict[str, Any]:
    def compute():
        return _compute_cell(cell, settings) if result is None else result
    return cached("evaluation_cell", _cell_key(cell, settings), compute=compute, code=CELL_CODE)


def _prepare_pair(dataset: str, classifier: str, settings: Mapping[str, Any],
                  cache_dir: str | None) -> float:
    """Train (or load) a pair and its retrained black boxes; the L-GMVAE's training seconds."""
    import torch

    torch.set_num_threads(1)
    if cache_dir:
        os.environ[CACHE_ENV] = str(cache_dir)
    with _thread_guard(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pair = load_pair(dataset, classifier, settings)
        _retrained(pair, settings["n_retrained"], settings["seed"])
    return lgmvae_training_seconds(pair)


def check_settings(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """:data:`DEFAULTS` updated by ``settings``; an unknown key is an error."""
    settings = dict(settings or {})
    unknown = sorted(set(settings) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown benchmark setting(s) {unknown}; known: {sorted(DEFAULTS)}.")
    out = {**DEFAULTS, **settings}
    for name in ("method_params", "robustness_inputs"):
        check_methods(out[name])
        out[name] = dict(out[name])
    if int(out["n_inputs"]) < 1 or int(out["repetitions"]) < 1 or int(out["n_retrained"]) < 1:
        raise ValueError("n_inputs, repetitions and n_retrained must be at least 1.")
    return out


@contextlib.contextmanager
def _backend(backend: str, scheduler: str | None):
    if backend == "loky":
        yield
        return
    if backend != "dask":
        raise ValueError(f"backend must be 'loky' or 'dask', got {backend!r}.")
    try:
        from distributed import Client, get_client
    except ImportError:
        raise ValueError("backend='dask' needs the optional extra: pip install -e '.[dask]'") from None
    if scheduler:
        with Client(scheduler) as client, joblib.parallel_config(backend="dask"):
            yield client
        return
    try:
        get_client()
    except ValueError:
        raise ValueError("backend='dask' needs a running Dask client or a scheduler address "
                         "(--scheduler tcp://host:8786).") from None
    with joblib.parallel_config(backend="dask"):
        yield


def summarise(evaluation: pd.DataFrame) -> pd.DataFrame:
    """Mean and std (over repetitions, ``ddof=0``) of every metric per (dataset, classifier,
    method): columns ``<metric>_mean`` and ``<metric>_std``, in :data:`ALL_METHODS` order."""
    metric_cols = COLUMNS[5:]
    g = evaluation.groupby(["dataset", "classifier", "method"], sort=False)[metric_cols]
    out = g.mean().add_suffix("_mean").join(g.std(ddof=0).add_suffix("_std")).reset_index()
    rank = {m: i for i, m in enumerate(ALL_METHODS)}
    pair_rank = {p: i for i, p in enumerate(
        dict.fromkeys(zip(out.dataset, out.classifier, strict=True)))}
    keys = [(pair_rank[(d, c)], rank.get(m, len(rank)))
            for d, c, m in zip(out.dataset, out.classifier, out.method, strict=True)]
    return out.iloc[sorted(range(len(out)), key=keys.__getitem__)].reset_index(drop=True)


def run_grid(pairs: Sequence[tuple[str, str]], methods: Sequence[str],
             settings: Mapping[str, Any] | None = None, n_jobs: int = 2, backend: str = "loky",
             scheduler: str | None = None, cache: bool = True,
             progress: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Run every cell of ``pairs`` x ``methods`` x repetitions in parallel.

    Parameters
    ----------
    pairs : (dataset, classifier) pairs.
    methods : names in :data:`METHODS`.
    settings : overrides of :data:`DEFAULTS` (e.g. a profile's ``evaluation`` section).
    n_jobs : worker processes (``backend="loky"``); ignored by Dask, whose cluster decides.
    backend : ``"loky"`` (joblib's processes) or ``"dask"`` (a running ``distributed.Client``,
        or one connected to ``scheduler``).
    cache : reuse and store each cell's result in the artefact cache.
    progress : a tqdm bar over cells.

    Returns
    -------
    (evaluation, per_input, info) : DataFrames with :data:`COLUMNS`, :data:`PER_INPUT_COLUMNS`,
    and one row per pair: the L-GMVAE's training seconds, the seconds spent in its cells and
    the method time-outs (DiCE).
    """
    from tqdm.auto import tqdm

    settings = check_settings(settings)
    pairs = [(str(d), str(c)) for d, c in pairs]
    cells = grid(pairs, methods, settings["repetitions"])
    cache_dir = os.environ.get(CACHE_ENV)
    with _backend(backend, scheduler):
        parallel = joblib.Parallel(n_jobs=n_jobs, return_as="generator")
        seconds = list(parallel(joblib.delayed(_prepare_pair)(d, c, settings, cache_dir)
                                for d, c in pairs))
        results = parallel(joblib.delayed(run_cell)(cell, settings, cache, cache_dir)
                           for cell in cells)
        results = list(tqdm(results, total=len(cells), desc="benchmark cells",
                            disable=not progress))
    evaluation = pd.DataFrame([r["row"] for r in results], columns=COLUMNS)
    per_input = pd.concat([r["per_input"] for r in results], ignore_index=True)
    pairs_info = pd.DataFrame({"dataset": [d for d, _ in pairs],
                               "classifier": [c for _, c in pairs],
                               "lgmvae_training_s": seconds})
    cell_info = pd.DataFrame([{"dataset": c.dataset, "classifier": c.classifier,
                               "cell_s": r["info"].get("cell_seconds", np.nan),
                               "timeouts": r["info"].get("timeouts", 0)}
                              for c, r in zip(cells, results, strict=True)])
    pairs_info = pairs_info.merge(cell_info.groupby(["dataset", "classifier"], sort=False)
                                  .sum().reset_index(), on=["dataset", "classifier"])
    return evaluation, per_input, pairs_info


# ---------------------------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------------------------
#: chapter parameters that set the pairs' training (the ``pair`` setting of the grid)
PAIR_PARAMETERS = ("max_epochs", "patience", "max_rows", "max_batch_size")


def profile_settings(profile: str) -> dict[str, Any]:
    """Grid settings from the ``evaluation`` section of ``profiles/<profile>.yml``: the keys of
    :data:`DEFAULTS`, with the pairs' training parameters (:data:`PAIR_PARAMETERS`, as the
    tabular chapter names them) gathered under ``pair``; chapter-only parameters are left out."""
    import yaml

    from .provenance import repo_root

    path = repo_root() / "profiles" / f"{profile}.yml"
    if not path.is_file():
        raise ValueError(f"no profile {profile!r}: {path.name} is not in profiles/.")
    section = dict((yaml.safe_load(path.read_text()) or {}).get("evaluation") or {})
    out = {k: v for k, v in section.items() if k in DEFAULTS}
    pair = {k: section[k] for k in PAIR_PARAMETERS if k in section}
    if pair:
        out["pair"] = {**DEFAULTS["pair"], **out.get("pair", {}), **pair}
    return out


def parse_pairs(text: str) -> list[tuple[str, str]]:
    """``"compas-rf,wine-nn"`` -> ``[("compas", "rf"), ("wine", "nn")]``."""
    out = []
    for item in filter(None, (t.strip() for t in text.split(","))):
        dataset, sep, classifier = item.rpartition("-")
        if not sep or not dataset:
            raise ValueError(f"a pair is DATASET-CLASSIFIER (e.g. compas-rf), got {item!r}.")
        lgmvae_settings(dataset, classifier)  # KeyError for pairs outside Table 4
        out.append((dataset, classifier))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lapace.benchmark", description=(
        "Run the benchmark grid of §4.1 and write evaluation.csv and evaluation_per_input.csv."))
    parser.add_argument("--profile", default="quick", help="profiles/<name>.yml (default quick)")
    parser.add_argument("--pairs", default="heloc-rf,heloc-nn,wine-rf,wine-nn,adult-rf,adult-nn,"
                        "compas-rf,compas-nn", help="comma-separated DATASET-CLASSIFIER")
    parser.add_argument("--methods", default=",".join(m for m in ALL_METHODS if m in METHODS),
                        help=f"comma-separated, from {', '.join(METHODS)}")
    parser.add_argument("--n-jobs", type=int, default=2, help="worker processes (loky)")
    parser.add_argument("--backend", choices=("loky", "dask"), default="loky")
    parser.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786")
    parser.add_argument("--no-cache", action="store_true", help="recompute every cell")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    args = parser.parse_args(argv)
    try:
        pairs = parse_pairs(args.pairs)
        methods = check_methods(m.strip() for m in args.methods.split(",") if m.strip())
        settings = profile_settings(args.profile)
    except (KeyError, ValueError) as err:
        parser.error(str(err).strip("'\""))
    evaluation, per_input, pairs_info = run_grid(
        pairs, methods, settings, n_jobs=args.n_jobs, backend=args.backend,
        scheduler=args.scheduler, cache=not args.no_cache)
    args.out.mkdir(parents=True, exist_ok=True)
    evaluation.to_csv(args.out / "evaluation.csv", index=False)
    per_input.to_csv(args.out / "evaluation_per_input.csv", index=False)
    pairs_info.to_csv(args.out / "evaluation_lgmvae_training.csv", index=False)
    print(f"{len(evaluation)} cells written to {args.out / 'evaluation.csv'}")
    return 0


if __name__ == "__main__":
    # run the importable module's main, so workers unpickle lapace.benchmark, not __main__
    from lapace.benchmark import main as _main

    raise SystemExit(_main())

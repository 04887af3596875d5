"""The benchmark grid of §4.1–4.2: every method on every pair, repeated, scored by
:mod:`lapace.metrics`.

A *cell* is (dataset, classifier, method, repetition); :func:`lapace_book.benchmark.evaluation.compute_cell`
computes one.  :func:`run_grid` runs the cells in parallel with joblib (processes, one torch
thread each, a progress bar over cells), each cell's result cached with
:func:`lapace_book.cache.cached` under a key of its settings and of the code it runs: the cell's
module and its own method's module (:func:`lapace_book.benchmark.evaluation.cell_code`), so editing one
baseline recomputes only that baseline's cells and the grid reruns only cells whose settings
or code changed.  ``backend="dask"`` sends the same cells to a Dask cluster through joblib's
Dask backend (``pip install -e .[dask]``); the workers need the data (``LAPACE_DATA_DIR``) and
share the artefact cache folder.

The grid's settings are a profile's ``_grid`` block (:func:`lapace_book.experiments.profiles.grid_settings`):

- ``n_inputs``: test inputs predicted 0 per repetition (paper: 100);
- ``repetitions``: repetitions, each with its own inputs (paper: 5);
- ``n_retrained``: retrained black boxes, half resampled, half leave-1%-out (paper: 20);
- ``n_perturbations``: perturbed copies of each input (paper: 10), ``sigma`` their noise;
- ``robustness_inputs``: method -> the first k inputs whose perturbations are re-explained
  (methods not named: all inputs);
- ``method_inputs``: method -> the first k of each repetition's inputs it explains (methods not
  named: all ``n_inputs``; for a method too slow for the whole sample, recorded in ``n_inputs``);
- ``method_params``: method -> keyword arguments of its constructor;
- ``seed``: seed of the pairs and the retrained models; and the profile's ``_pairs``.

Command line (numbers without the book)::

    python -m lapace_book.benchmark.grid --profile quick --pairs compas-rf,wine-nn \\
        --methods NNCE,LAPACE-Last [--backend dask --scheduler ADDRESS] --out DIR

writes ``DIR/evaluation.csv`` (one row per cell, :data:`~lapace_book.benchmark.evaluation.COLUMNS`) and
``DIR/evaluation_per_input.csv`` (long format, :data:`~lapace_book.benchmark.evaluation.PER_INPUT_COLUMNS`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import threading
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from lapace.validation import check_int, check_out_path
from lapace_book.benchmark.evaluation import (
    CACHE_LOCK,
    COLUMNS,
    METRIC_COLUMNS,
    PER_INPUT_COLUMNS,
    Cell,
    cell_code,
    cell_key,
    compute_cell,
    grid_pair,
    retrained,
)
from lapace_book.benchmark.registry import REGISTRY
from lapace_book.cache import CACHE_ENV, cached, entry_path
from lapace_book.experiments import profiles
from lapace_book.experiments.pairs import TRAINING_CODE, Pair, lgmvae_settings
from lapace_book.experiments.profiles import grid_settings

__all__ = [
    "ALL_METHODS",
    "COLUMNS",
    "METRIC_COLUMNS",
    "PER_INPUT_COLUMNS",
    "Cell",
    "cell_path",
    "check_methods",
    "check_settings",
    "defaults",
    "grid",
    "lgmvae_training_seconds",
    "main",
    "run_cell",
    "run_grid",
    "summarise",
]

#: every method of the paper's Figure 4, in its order (the keys of the registry)
ALL_METHODS = list(REGISTRY)


def defaults() -> dict[str, Any]:
    """The grid's default settings: the quick profile's ``_grid`` and ``_pairs``."""
    return profiles.grid_settings("quick")


def check_methods(methods: Iterable[str]) -> list[str]:
    """``methods`` as a list, each a key of :data:`lapace_book.benchmark.registry.REGISTRY`, none twice."""
    methods = list(methods)
    unknown = [m for m in methods if m not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; known: {list(REGISTRY)}.")
    twice = sorted({m for m in methods if methods.count(m) > 1})
    if twice:
        raise ValueError(f"method(s) {twice} named more than once.")
    return methods


def lgmvae_training_seconds(pair: Pair) -> float:
    """Wall seconds the pair's L-GMVAE took to train (from its cache record); NaN if unknown."""
    path = entry_path("lgmvae", pair.settings, ".pt", code=TRAINING_CODE)
    meta = path.with_name(path.name.removesuffix(".pt") + ".json")
    try:
        return float(json.loads(meta.read_text())["seconds"])
    except (OSError, KeyError, ValueError):
        return float("nan")


def grid(pairs: Iterable[tuple[str, str]], methods: Iterable[str], repetitions: int) -> list[Cell]:
    """Every cell, grouped by pair (a worker then loads each pair once)."""
    methods = check_methods(methods)
    return [Cell(d, c, m, r) for d, c in pairs for r in range(int(repetitions)) for m in methods]


def _thread_guard():
    """The lock for a cell run in a worker thread; nothing in a process's main thread."""
    if threading.current_thread() is threading.main_thread():
        return contextlib.nullcontext()
    return CACHE_LOCK


def cell_path(cell: Cell, settings: Mapping[str, Any]) -> Path:
    """Where the cache stores a cell's result: keyed by :func:`~lapace_book.benchmark.evaluation.cell_key`
    and the code of :func:`~lapace_book.benchmark.evaluation.cell_code`."""
    with CACHE_LOCK:
        return entry_path("evaluation_cell", cell_key(cell, settings), code=cell_code(cell.method))


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
            return compute_cell(cell, settings)
        if cell_path(cell, settings).exists():  # load under the lock; compute outside it
            with CACHE_LOCK:
                return _cached_cell(cell, settings)
        result = compute_cell(cell, settings)
        with CACHE_LOCK:
            return _cached_cell(cell, settings, result)


def _cached_cell(cell: Cell, settings: Mapping[str, Any], result=None) -> dict[str, Any]:
    def compute():
        return compute_cell(cell, settings) if result is None else result
    return cached("evaluation_cell", cell_key(cell, settings), compute=compute,
                  code=cell_code(cell.method))


def _prepare_pair(dataset: str, classifier: str, settings: Mapping[str, Any],
                  cache_dir: str | None, recipes: Sequence[str] = ("ours",)) -> dict[str, float]:
    """Train (or load) a pair's L-GMVAE of every recipe and its retrained black boxes; the
    L-GMVAEs' training seconds per recipe."""
    import torch

    torch.set_num_threads(1)
    if cache_dir:
        os.environ[CACHE_ENV] = str(cache_dir)
    seconds = {}
    with _thread_guard(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for recipe in recipes:
            pair = grid_pair(dataset, classifier, settings, recipe)
            seconds[recipe] = lgmvae_training_seconds(pair)
        retrained(pair, settings["n_retrained"], settings["seed"])
    return seconds


def check_settings(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """:func:`defaults` updated by ``settings``; an unknown key is an error."""
    settings = dict(settings or {})
    base = defaults()
    unknown = sorted(set(settings) - set(base))
    if unknown:
        raise ValueError(f"unknown benchmark setting(s) {unknown}; known: {sorted(base)}.")
    out = {**base, **settings}
    for name in ("method_params", "robustness_inputs", "method_inputs"):
        if not isinstance(out[name], Mapping):
            raise ValueError(f"{name} must map method names to values, got {out[name]!r}.")
        check_methods(out[name])
        out[name] = dict(out[name])
    for name in ("robustness_inputs", "method_inputs"):            # method -> first k inputs
        out[name] = {m: check_int(k, f"{name}[{m!r}]") for m, k in out[name].items()}
    for name in ("n_inputs", "repetitions", "n_retrained"):
        value = out[name]
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}.")
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
    method): columns ``<metric>_mean`` and ``<metric>_std`` (``pool``, the same for every cell
    of a pair, and :data:`METRIC_COLUMNS`), in :data:`ALL_METHODS` order.  A column the table
    lacks (an older evaluation.csv) is all NaN."""
    metric_cols = ["pool", *METRIC_COLUMNS]
    numbers = evaluation.reindex(columns=["dataset", "classifier", "method", *metric_cols])
    numbers[metric_cols] = numbers[metric_cols].apply(pd.to_numeric, errors="coerce")
    g = numbers.groupby(["dataset", "classifier", "method"], sort=False)[metric_cols]
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
    methods : names in :data:`lapace_book.benchmark.registry.REGISTRY`.
    settings : overrides of :func:`defaults` (e.g. :func:`lapace_book.experiments.profiles.grid_settings`).
    n_jobs : worker processes (``backend="loky"``); ignored by Dask, whose cluster decides.
    backend : ``"loky"`` (joblib's processes) or ``"dask"`` (a running ``distributed.Client``,
        or one connected to ``scheduler``).
    cache : reuse and store each cell's result in the artefact cache.
    progress : a tqdm bar over cells.

    Returns
    -------
    (evaluation, per_input, info) : DataFrames with :data:`COLUMNS`, :data:`PER_INPUT_COLUMNS`,
    and one row per pair: the L-GMVAE's training seconds (``lgmvae_training_s``, and
    ``lgmvae_training_s_<recipe>`` per other recipe the methods need), the seconds spent in its cells and
    the method time-outs (DiCE).
    """
    from tqdm.auto import tqdm

    settings = check_settings(settings)
    pairs = [(str(d), str(c)) for d, c in pairs]
    cells = grid(pairs, methods, settings["repetitions"])
    recipes = list(dict.fromkeys(REGISTRY[m].recipe for m in methods))
    cache_dir = os.environ.get(CACHE_ENV)
    with _backend(backend, scheduler):
        parallel = joblib.Parallel(n_jobs=n_jobs, return_as="generator")
        seconds = list(parallel(joblib.delayed(_prepare_pair)(d, c, settings, cache_dir, recipes)
                                for d, c in pairs))
        results = parallel(joblib.delayed(run_cell)(cell, settings, cache, cache_dir)
                           for cell in cells)
        results = list(tqdm(results, total=len(cells), desc="benchmark cells",
                            disable=not progress))
    evaluation = pd.DataFrame([r["row"] for r in results], columns=COLUMNS)
    per_input = pd.concat([r["per_input"] for r in results], ignore_index=True)
    pairs_info = pd.DataFrame({"dataset": [d for d, _ in pairs],
                               "classifier": [c for _, c in pairs],
                               **{"lgmvae_training_s" + ("" if r == "ours" else f"_{r}"):
                                  [s[r] for s in seconds] for r in recipes}})
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
def parse_pairs(text: str) -> list[tuple[str, str]]:
    """``"compas-rf,wine-nn"`` -> ``[("compas", "rf"), ("wine", "nn")]``."""
    out = []
    for item in filter(None, (t.strip() for t in text.split(","))):
        dataset, sep, classifier = item.rpartition("-")
        if not sep or not dataset:
            raise ValueError(f"a pair is DATASET-CLASSIFIER (e.g. compas-rf), got {item!r}.")
        lgmvae_settings(dataset, classifier)  # KeyError for pairs outside Table 4
        if (dataset, classifier) in out:
            raise ValueError(f"pair {item!r} named more than once.")
        out.append((dataset, classifier))
    if not out:
        raise ValueError("name at least one pair, e.g. --pairs compas-rf.")
    return out


def check_cli_backend(n_jobs: int, backend: str, scheduler: str | None) -> None:
    """``--n-jobs``, ``--backend`` and ``--scheduler`` checked before any work."""
    cores = os.cpu_count() or 1
    if n_jobs == 0 or n_jobs < -cores:
        raise ValueError(f"--n-jobs must be a number of workers (>= 1), or -1 for all {cores} "
                         f"cores (-2 all but one, down to -{cores}), got {n_jobs}.")
    if backend == "loky" and scheduler:
        raise ValueError("--scheduler is for --backend dask; add --backend dask or drop it.")
    if backend == "dask":
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise ValueError("--backend dask needs the optional extra: pip install -e '.[dask]'"
                             ) from None
        if not scheduler:
            raise ValueError("--backend dask needs --scheduler tcp://host:8786 (a running Dask "
                             "scheduler); the command line starts none.")
        if "://" not in scheduler and ":" not in scheduler:
            raise ValueError(f"--scheduler must be an address such as tcp://host:8786, got "
                             f"{scheduler!r}.")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lapace_book.benchmark.grid", description=(
        "Run the benchmark grid of §4.1 and write evaluation.csv and evaluation_per_input.csv."))
    parser.add_argument("--profile", default="quick", help="profiles/<name>.yml (default quick)")
    parser.add_argument("--pairs", default="heloc-rf,heloc-nn,wine-rf,wine-nn,adult-rf,adult-nn,"
                        "compas-rf,compas-nn", help="comma-separated DATASET-CLASSIFIER")
    parser.add_argument("--methods", default=",".join(ALL_METHODS),
                        help=f"comma-separated, from {', '.join(REGISTRY)}")
    parser.add_argument("--n-jobs", type=int, default=2, help="worker processes (loky)")
    parser.add_argument("--backend", choices=("loky", "dask"), default="loky")
    parser.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786")
    parser.add_argument("--no-cache", action="store_true", help="recompute every cell")
    parser.add_argument("--out", required=True, help="output folder")
    args = parser.parse_args(argv)
    try:
        args.out = check_out_path(args.out)        # "" is refused, not the current directory
        pairs = parse_pairs(args.pairs)
        methods = check_methods(m.strip() for m in args.methods.split(",") if m.strip())
        settings = check_settings(grid_settings(args.profile))
        if args.out.exists() and not args.out.is_dir():
            raise ValueError(f"--out {args.out} is a file; name a folder (it is created).")
        check_cli_backend(args.n_jobs, args.backend, args.scheduler)
        args.out.mkdir(parents=True, exist_ok=True)     # before the grid: a folder we can write
        if not os.access(args.out, os.W_OK):
            raise ValueError(f"--out {args.out} is not writable; name a folder you can write.")
    except OSError as err:
        parser.error(f"--out {args.out} cannot be created: {err.strerror or err}.")
    except (KeyError, ValueError) as err:
        parser.error(str(err).strip("'\""))
    try:
        evaluation, per_input, pairs_info = run_grid(
            pairs, methods, settings, n_jobs=args.n_jobs, backend=args.backend,
            scheduler=args.scheduler, cache=not args.no_cache)
    except OSError as err:              # e.g. a Dask scheduler that cannot be reached
        parser.exit(1, f"{parser.prog}: error: {err}\n")
    args.out.mkdir(parents=True, exist_ok=True)
    evaluation.to_csv(args.out / "evaluation.csv", index=False)
    per_input.to_csv(args.out / "evaluation_per_input.csv", index=False)
    pairs_info.to_csv(args.out / "evaluation_lgmvae_training.csv", index=False)
    print(f"{len(evaluation)} cells written to {args.out / 'evaluation.csv'}")
    return 0


if __name__ == "__main__":
    # run the importable module's main, so workers unpickle lapace_book.benchmark.grid, not __main__
    from lapace_book.benchmark.grid import main as _main

    raise SystemExit(_main())

"""The book's parameter sets, ``profiles/<name>.yml``: one place per profile for the settings
every chapter shares.

Besides each chapter's parameters, a profile holds two blocks of shared settings:

- ``_pairs``: how every data set–classifier pair is trained (:func:`pair_settings`;
  :func:`load_pair` applies them, the batch-size cap included), so the chapters that load a
  pair name only the profile and always load the same cached models;
- ``_grid``: the benchmark grid of §4.1 (:func:`grid_settings`; :mod:`lapace_book.benchmark.grid` and
  the evaluation chapter).

:func:`chapter_parameters` gives a chapter's parameters as a profile runs it, so that a chapter
loading another's cached models (the path explorer: the MNIST chapter's) asks for the same ones.

``quick`` is the default of ``make book``; ``paper`` has the paper's settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lapace_book.experiments.pairs import Pair, check_epochs_by_dataset, pair_kwargs, train_pair
from lapace_book.provenance import repo_root

__all__ = ["GRID_KEYS", "PAIR_KEYS", "PAIR_OPTIONAL_KEYS", "chapter_parameters", "grid_settings",
           "load_pair", "pair_settings", "parameters_cell", "profile_file", "read_profile", "read_yaml",
           "train_pairs"]

#: the settings of ``_pairs``: L-GMVAE epoch budget and patience, the stratified subsample of
#: each data set (``None``: all rows) and the cap on Table 4's batch sizes (``None``: none)
PAIR_KEYS = ("max_epochs", "patience", "max_rows", "max_batch_size")
#: the optional settings of ``_pairs``: ``max_epochs_by_dataset`` maps data sets to their own
#: epoch budget (replacing ``max_epochs`` for them only; :func:`~lapace_book.experiments.pairs.pair_kwargs`)
PAIR_OPTIONAL_KEYS = ("max_epochs_by_dataset",)
#: the settings of ``_grid`` (documented in :mod:`lapace_book.benchmark.grid`)
GRID_KEYS = ("n_inputs", "repetitions", "n_retrained", "n_perturbations", "sigma",
             "robustness_inputs", "method_inputs", "method_params", "seed")


def profile_file(profile: str) -> Path:
    """``profiles/<profile>.yml`` of the compendium; an error naming the known profiles."""
    folder = repo_root() / "profiles"
    path = folder / f"{profile}.yml"
    if not isinstance(profile, str) or not path.is_file():
        known = sorted(p.stem for p in folder.glob("*.yml"))
        raise ValueError(f"no profile {profile!r}: profiles/ holds {known}.")
    return path


def read_yaml(path: str | Path) -> Any:
    """The YAML file ``path`` read; a ``ValueError`` naming the file, the line and the problem
    when it is not valid YAML (not a traceback from inside the parser)."""
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        what = " ".join(str(p) for p in (getattr(err, "context", None),
                                         getattr(err, "problem", None)) if p) or str(err)
        raise ValueError(
            f"{path}{where} is not valid YAML ({what}). Fix the file there: settings are "
            f"'name: value' lines, nested ones indented with spaces (no tabs).") from None


def read_profile(profile: str) -> dict[str, Any]:
    """The whole profile: chapter sections and the ``_``-prefixed settings."""
    data = read_yaml(profile_file(profile)) or {}
    if not isinstance(data, dict):
        raise ValueError(f"profiles/{profile}.yml must map names to settings.")
    return data


def _block(profile: str, name: str, keys: tuple[str, ...],
           optional: tuple[str, ...] = ()) -> dict[str, Any]:
    block = read_profile(profile).get(name)
    if not isinstance(block, dict):
        raise ValueError(f"profiles/{profile}.yml has no {name} block (settings {list(keys)}).")
    missing = sorted(set(keys) - set(block))
    unknown = sorted(set(block) - set(keys) - set(optional))
    if missing or unknown:
        also = f", and optionally {list(optional)}" if optional else ""
        raise ValueError(f"profiles/{profile}.yml, {name}: missing {missing}, unknown {unknown}; "
                         f"the block holds exactly {list(keys)}{also}.")
    return {k: block[k] for k in (*keys, *optional) if k in block}


def pair_settings(profile: str) -> dict[str, Any]:
    """The ``_pairs`` block of a profile: :data:`PAIR_KEYS`, and those of
    :data:`PAIR_OPTIONAL_KEYS` it sets (checked: ``max_epochs_by_dataset`` names known data
    sets and positive budgets)."""
    settings = _block(profile, "_pairs", PAIR_KEYS, PAIR_OPTIONAL_KEYS)
    if "max_epochs_by_dataset" in settings:
        try:
            settings["max_epochs_by_dataset"] = check_epochs_by_dataset(
                settings["max_epochs_by_dataset"])
        except ValueError as err:
            raise ValueError(f"profiles/{profile}.yml, _pairs: {err}") from None
    return settings


def grid_settings(profile: str) -> dict[str, Any]:
    """The ``_grid`` block of a profile (:data:`GRID_KEYS`) with the profile's ``_pairs``
    under ``"pair"``: everything a grid cell's result depends on."""
    return {**_block(profile, "_grid", GRID_KEYS), "pair": pair_settings(profile)}


def load_pair(dataset: str, classifier: str, profile: str = "quick", seed: int = 0,
              **overrides: Any) -> Pair:
    """Train (or load from the cache) a pair with the ``_pairs`` settings of ``profile``.

    ``overrides`` replace settings or pass other :func:`~lapace_book.experiments.pairs.train_pair`
    arguments (e.g. an ablation's ``vae_params`` or a longer ``max_epochs``).  A ``max_epochs``
    given here is the budget, whatever the profile's ``max_epochs_by_dataset`` says.
    """
    settings = {**pair_settings(profile), **overrides}
    if "max_epochs" in overrides and "max_epochs_by_dataset" not in overrides:
        settings.pop("max_epochs_by_dataset", None)
    return train_pair(dataset, classifier, seed=seed, **pair_kwargs(dataset, classifier, settings))


def _train_one(dataset: str, classifier: str, profile: str, seed: int,
               overrides: dict[str, Any]) -> float:
    import time

    import torch

    torch.set_num_threads(1)      # one thread per worker: the workers share the cores
    start = time.perf_counter()
    load_pair(dataset, classifier, profile, seed=seed, **overrides)
    return time.perf_counter() - start


def train_pairs(specs, profile: str = "quick", seed: int = 0, n_jobs: int = 1) -> list[float]:
    """Train (or find in the cache) several pairs side by side, so that a chapter's later
    :func:`load_pair` calls load them: ``specs`` is a list of ``(dataset, classifier,
    overrides)``; ``n_jobs`` worker processes (joblib; -1: one per core), one torch thread
    each, take them in the order given (put the longest first).  Returns each spec's wall
    seconds (training, or loading from the cache).  ``n_jobs=1`` trains in this process."""
    from joblib import Parallel, delayed

    specs = [(d, c, dict(o or {})) for d, c, o in specs]
    if n_jobs == 1:
        return [_train_one(d, c, profile, seed, o) for d, c, o in specs]
    return Parallel(n_jobs=n_jobs, backend="loky")(
        delayed(_train_one)(d, c, profile, seed, o) for d, c, o in specs)


def parameters_cell(source: str | Path) -> dict[str, Any]:
    """Names and default values of the single ``parameters`` cell of a Jupytext chapter
    (:func:`lapace_book.parameters.declared_parameters`: ``ValueError`` when there is not exactly
    one, or a line is not ``name = literal``: papermill can only override literals)."""
    from lapace_book.parameters import declared_parameters

    return {name: d.default for name, d in declared_parameters(source).items()}


def chapter_parameters(chapter: str, profile: str = "quick") -> dict[str, Any]:
    """The parameters of ``notebooks/<chapter>.py`` as ``profile`` runs it: the defaults of its
    ``parameters`` cell (:func:`parameters_cell`), overridden by the profile's section for it."""
    notebooks = repo_root() / "notebooks"
    if not isinstance(chapter, str) or not (notebooks / f"{chapter}.py").is_file():
        known = sorted(p.stem for p in notebooks.glob("*.py"))
        raise ValueError(f"no chapter {chapter!r}: notebooks/ holds {known}.")
    params = parameters_cell(notebooks / f"{chapter}.py")
    overrides = read_profile(profile).get(chapter) or {}
    unknown = sorted(set(overrides) - set(params))
    if unknown:
        raise ValueError(f"profiles/{profile}.yml sets {unknown} for {chapter}, which its "
                         "parameters cell does not define.")
    return {**params, **overrides, "profile": profile}

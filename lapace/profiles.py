"""The book's parameter sets, ``profiles/<name>.yml``: one place per profile for the settings
every chapter shares.

Besides each chapter's parameters, a profile holds two blocks of shared settings:

- ``_pairs``: how every data set–classifier pair is trained (:func:`pair_settings`;
  :func:`load_pair` applies them, the batch-size cap included), so the chapters that load a
  pair name only the profile and always load the same cached models;
- ``_grid``: the benchmark grid of §4.1 (:func:`grid_settings`; :mod:`lapace.benchmark` and
  the evaluation chapter).

:func:`chapter_parameters` gives a chapter's parameters as a profile runs it, so that a chapter
loading another's cached models (the path explorer: the MNIST chapter's) asks for the same ones.

``quick`` is the default of ``make book``; ``paper`` has the paper's settings.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import yaml

from .experiments import Pair, pair_kwargs, train_pair
from .provenance import repo_root

__all__ = ["GRID_KEYS", "PAIR_KEYS", "chapter_parameters", "grid_settings", "load_pair",
           "pair_settings", "profile_file", "read_profile"]

#: the settings of ``_pairs``: L-GMVAE epoch budget and patience, the stratified subsample of
#: each data set (``None``: all rows) and the cap on Table 4's batch sizes (``None``: none)
PAIR_KEYS = ("max_epochs", "patience", "max_rows", "max_batch_size")
#: the settings of ``_grid`` (documented in :mod:`lapace.benchmark`)
GRID_KEYS = ("n_inputs", "repetitions", "n_retrained", "n_perturbations", "sigma",
             "robustness_inputs", "method_params", "seed")


def profile_file(profile: str) -> Path:
    """``profiles/<profile>.yml`` of the compendium; an error naming the known profiles."""
    folder = repo_root() / "profiles"
    path = folder / f"{profile}.yml"
    if not isinstance(profile, str) or not path.is_file():
        known = sorted(p.stem for p in folder.glob("*.yml"))
        raise ValueError(f"no profile {profile!r}: profiles/ holds {known}.")
    return path


def read_profile(profile: str) -> dict[str, Any]:
    """The whole profile: chapter sections and the ``_``-prefixed settings."""
    data = yaml.safe_load(profile_file(profile).read_text()) or {}
    if not isinstance(data, dict):
        raise ValueError(f"profiles/{profile}.yml must map names to settings.")
    return data


def _block(profile: str, name: str, keys: tuple[str, ...]) -> dict[str, Any]:
    block = read_profile(profile).get(name)
    if not isinstance(block, dict):
        raise ValueError(f"profiles/{profile}.yml has no {name} block (settings {list(keys)}).")
    missing, unknown = sorted(set(keys) - set(block)), sorted(set(block) - set(keys))
    if missing or unknown:
        raise ValueError(f"profiles/{profile}.yml, {name}: missing {missing}, unknown {unknown}; "
                         f"the block holds exactly {list(keys)}.")
    return {k: block[k] for k in keys}


def pair_settings(profile: str) -> dict[str, Any]:
    """The ``_pairs`` block of a profile: :data:`PAIR_KEYS`."""
    return _block(profile, "_pairs", PAIR_KEYS)


def grid_settings(profile: str) -> dict[str, Any]:
    """The ``_grid`` block of a profile (:data:`GRID_KEYS`) with the profile's ``_pairs``
    under ``"pair"``: everything a grid cell's result depends on."""
    return {**_block(profile, "_grid", GRID_KEYS), "pair": pair_settings(profile)}


def load_pair(dataset: str, classifier: str, profile: str = "quick", seed: int = 0,
              **overrides: Any) -> Pair:
    """Train (or load from the cache) a pair with the ``_pairs`` settings of ``profile``.

    ``overrides`` replace settings or pass other :func:`~lapace.experiments.train_pair`
    arguments (e.g. an ablation's ``vae_params`` or a longer ``max_epochs``).
    """
    settings = {**pair_settings(profile), **overrides}
    return train_pair(dataset, classifier, seed=seed, **pair_kwargs(dataset, classifier, settings))


def chapter_parameters(chapter: str, profile: str = "quick") -> dict[str, Any]:
    """The parameters of ``notebooks/<chapter>.py`` as ``profile`` runs it: the defaults of its
    ``parameters`` cell (flat literals), overridden by the profile's section for the chapter."""
    path = repo_root() / "notebooks" / f"{chapter}.py"
    if not isinstance(chapter, str) or not path.is_file():
        known = sorted(p.stem for p in (repo_root() / "notebooks").glob("*.py"))
        raise ValueError(f"no chapter {chapter!r}: notebooks/ holds {known}.")
    cells = re.split(r"^# %%", path.read_text(), flags=re.M)
    cell = [c for c in cells if re.match(r"[^\n]*tags=\[[^\]]*\bparameters\b", c)]
    if len(cell) != 1:
        raise ValueError(f"notebooks/{chapter}.py must have one parameters cell, found {len(cell)}.")
    params = {t.id: ast.literal_eval(node.value) for node in ast.parse(cell[0].partition("\n")[2]).body
              if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)}
    overrides = read_profile(profile).get(chapter) or {}
    unknown = sorted(set(overrides) - set(params))
    if unknown:
        raise ValueError(f"profiles/{profile}.yml sets {unknown} for {chapter}, which its "
                         "parameters cell does not define.")
    return {**params, **overrides, "profile": profile}

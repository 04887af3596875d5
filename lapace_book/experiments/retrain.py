"""Retrained black boxes for robustness to model changes (§4.1).

The paper retrains 20 classifiers "using different selections of the dataset as the training
set".  Following the authors' group (``junqi-jiang/proplace``) we make two kinds of selection,
each classifier of the same type and settings as the pair's black box:

- ``n_resample`` bootstrap resamples of the training set (drawn with replacement, as many rows
  as the training set), classifier seed and resample seed ``seed + 1000 + i``;
- ``n_leave_out`` copies trained on the training set with a random ``leave_out`` share (1%)
  of its rows removed, seeds ``seed + 2000 + i``.

:func:`retrained_classifiers` caches them per pair (:func:`lapace_book.cache.cached`), so every
method and repetition of the benchmark is checked against the same models.
"""

from __future__ import annotations

import numpy as np

from lapace.classifiers import train_classifier
from lapace_book.cache import cached
from lapace_book.experiments.pairs import Pair

__all__ = ["retrained_classifiers", "selections"]

#: the settings of a pair that decide its classifier (a subset of ``Pair.settings``)
CLASSIFIER_KEYS = ("dataset", "max_rows", "test_size", "seed", "classifier", "clf_params")


def selections(n_rows: int, n_resample: int, n_leave_out: int, leave_out: float = 0.01,
               seed: int = 0) -> list[tuple[str, int, np.ndarray]]:
    """``(kind, seed, row indices)`` of every retraining set: bootstrap resamples, then
    leave-``leave_out``-out subsets (see the module docstring)."""
    if n_resample < 0 or n_leave_out < 0 or n_resample + n_leave_out == 0:
        raise ValueError(f"need at least one retrained model, got n_resample={n_resample}, "
                         f"n_leave_out={n_leave_out}.")
    if not 0 < leave_out < 1:
        raise ValueError(f"leave_out must be a share in (0, 1), got {leave_out}.")
    out = []
    for i in range(n_resample):
        s = seed + 1000 + i
        out.append(("resample", s, np.random.default_rng(s).integers(0, n_rows, n_rows)))
    n_drop = max(1, int(round(leave_out * n_rows)))
    for i in range(n_leave_out):
        s = seed + 2000 + i
        drop = np.random.default_rng(s).choice(n_rows, n_drop, replace=False)
        out.append(("leave-out", s, np.setdiff1d(np.arange(n_rows), drop)))
    return out


def retrained_classifiers(pair: Pair, n_resample: int = 10, n_leave_out: int = 10,
                          leave_out: float = 0.01, seed: int = 0) -> list:
    """The pair's black box retrained on :func:`selections` of its training set (cached)."""
    missing = [k for k in CLASSIFIER_KEYS if k not in pair.settings]
    if missing:
        raise ValueError(f"pair.settings lacks {missing}: load the pair with train_pair.")
    params = pair.settings["clf_params"]
    y = pair.ds.y_train
    key = {**{k: pair.settings[k] for k in CLASSIFIER_KEYS}, "n_resample": n_resample,
           "n_leave_out": n_leave_out, "leave_out": leave_out, "retrain_seed": seed}

    def train() -> list:
        return [train_classifier(pair.classifier, pair.X_train[rows], y[rows], seed=s, **params)
                for _, s, rows in selections(len(y), n_resample, n_leave_out, leave_out, seed)]

    return cached("retrained_classifiers", key, compute=train, code=("lapace_book.experiments.retrain",))

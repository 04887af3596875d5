"""The L-GMVAE's utility, Table 1: *Train on Synthetic, Test on Real* and centroid validity.

§4.1: "we sample a new synthetic dataset from the L-GMVAE matching the size of the new train
set. Then, we train new random forest classifiers respectively using the new train set and the
new synthetic train set, and evaluate their accuracy on the new test set" (:func:`tstr`, with
:func:`sample_like`); "we evaluate whether the original classifier indeed classifies each
reconstructed cluster centroid as its dedicated class" (:func:`centroid_report`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

from .classifiers import CLASSIFIERS
from .explain import Lapace
from .model import LGMVAE

__all__ = ["centroid_report", "sample_like", "tstr"]


def _label_counts(y: np.ndarray, n: int, n_labels: int) -> np.ndarray:
    """Split ``n`` into per-label counts proportional to the labels in ``y`` (largest remainder)."""
    share = np.bincount(np.asarray(y, dtype=np.int64), minlength=n_labels) / len(y)
    exact = share * n
    counts = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return counts


def sample_like(vae: LGMVAE, y: np.ndarray, n: int | None = None,
                random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic data set of ``n`` rows (default ``len(y)``) with labels in ``y``'s proportions.

    Each label is drawn with its own random state (``random_state * n_labels + label``), so
    the labels' latent noise is independent.  Rows are shuffled.
    """
    y = np.asarray(y, dtype=np.int64)
    n = len(y) if n is None else int(n)
    counts = _label_counts(y, n, vae.n_labels)
    parts_X, parts_y = [], []
    for label, count in enumerate(counts):
        if count:
            parts_X.append(vae.sample(int(count), label,
                                      random_state=random_state * vae.n_labels + label))
            parts_y.append(np.full(count, label, dtype=np.int64))
    X_syn, y_syn = np.concatenate(parts_X), np.concatenate(parts_y)
    order = np.random.default_rng(random_state).permutation(n)
    return X_syn[order], y_syn[order]


def tstr(vae: LGMVAE, X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray,
         y_test: np.ndarray, seeds: Iterable[int] = range(5),
         rf_params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Utility by *Train on Synthetic, Test on Real* (§4.1).

    For every seed, a synthetic set as large as ``X_train`` with labels in ``y_train``'s
    proportions is sampled from ``vae`` (:func:`sample_like`); one random forest is trained on
    the real ``(X_train, y_train)`` and one on the synthetic set, both with
    ``random_state=seed``, and both are scored on ``(X_test, y_test)``.

    Returns
    -------
    dict
        ``real_mean``, ``real_std``, ``synth_mean``, ``synth_std`` (population std over the
        seeds) and the per-seed accuracies ``real``, ``synth`` and ``seeds``.
    """
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("tstr needs at least one seed.")
    settings = {**CLASSIFIERS["rf"], **dict(rf_params or {})}
    real, synth = [], []
    for s in seeds:
        X_syn, y_syn = sample_like(vae, y_train, random_state=s)
        for X, y, out in ((X_train, y_train, real), (X_syn, y_syn, synth)):
            rf = RandomForestClassifier(**settings, random_state=s).fit(X, y)
            out.append(float(np.mean(rf.predict(X_test) == y_test)))
    return {"real_mean": float(np.mean(real)), "real_std": float(np.std(real)),
            "synth_mean": float(np.mean(synth)), "synth_std": float(np.std(synth)),
            "real": real, "synth": synth, "seeds": seeds}


def centroid_report(vae: LGMVAE, predict, **lapace_options: Any) -> tuple[pd.DataFrame, list[str]]:
    """Per-cluster centroid validity before and after repair, and the warnings raised.

    Wraps :class:`lapace.Lapace`'s ``centroid_report_`` (columns ``cluster, label, predicted,
    valid_raw, repaired, moved_fraction, moved_distance, valid``) and returns the messages of any
    warnings (e.g. a cluster without members) instead of printing them.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = Lapace(vae, **lapace_options).fit(model=predict).centroid_report_.copy()
    return report, [str(w.message) for w in caught]

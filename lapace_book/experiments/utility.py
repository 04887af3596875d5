"""The L-GMVAE's utility, Table 1: *Train on Synthetic, Test on Real* and centroid validity.

§4.1: "we sample a new synthetic dataset from the L-GMVAE matching the size of the new train
set. Then, we train new random forest classifiers respectively using the new train set and the
new synthetic train set, and evaluate their accuracy on the new test set" (:func:`tstr`, with
:func:`sample_like`); "we evaluate whether the original classifier indeed classifies each
reconstructed cluster centroid as its dedicated class" (:func:`centroid_report`).

Which labels the "new test set" carries the paper does not say. §4.1 labels the new train set
with the black box ("An L-GMVAE is obtained for each dataset-classifier pair, learning the
classifier's predictions on the new training set"), so :func:`tstr` scores against the labels
it is given (the chapters pass the black box's) and, with ``y_true``, also against the ground
truth of the same rows (:func:`vae_split_truth`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

from lapace.classifiers import CLASSIFIERS
from lapace.explain.explainer import Lapace
from lapace.lgmvae.model import LGMVAE
from lapace_book.experiments.pairs import Pair, vae_split

__all__ = ["centroid_report", "sample_like", "tstr", "vae_split_truth"]


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
         rf_params: Mapping[str, Any] | None = None,
         y_true: tuple[np.ndarray, np.ndarray] | None = None,
         n_jobs: int | None = None) -> dict[str, Any]:
    """Utility by *Train on Synthetic, Test on Real* (§4.1).

    For every seed, a synthetic set as large as ``X_train`` with labels in ``y_train``'s
    proportions is sampled from ``vae`` (:func:`sample_like`); one random forest is trained on
    the real ``(X_train, y_train)`` and one on the synthetic set, both with
    ``random_state=seed``, and both are scored on ``(X_test, y_test)``.

    ``y_true``, optional: the ground-truth labels ``(of X_train, of X_test)`` of the same rows
    (:func:`vae_split_truth`), where ``y_train``/``y_test`` are the black box's. Then the same
    synthetic forest is also scored on ``(X_test, y_true[1])``, and a third forest, trained on
    ``(X_train, y_true[0])``, is scored there too: TSTR with the ground truth as the real
    labels.

    ``n_jobs``: the forests' worker threads (scikit-learn's ``n_jobs``; -1: every core). The
    trees and their scores do not depend on it.

    Returns
    -------
    dict
        ``real_mean``, ``real_std``, ``synth_mean``, ``synth_std`` (population std over the
        seeds) and the per-seed accuracies ``real``, ``synth`` and ``seeds``; with ``y_true``
        also ``real_truth_*`` and ``synth_truth_*`` (``_mean``, ``_std``) and the per-seed
        ``real_truth``, ``synth_truth``.
    """
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("tstr needs at least one seed.")
    if y_true is not None:
        y_true = tuple(np.asarray(y, dtype=np.int64) for y in y_true)
        if len(y_true) != 2 or len(y_true[0]) != len(X_train) or len(y_true[1]) != len(X_test):
            raise ValueError("y_true must be (labels of X_train, labels of X_test), got lengths "
                             f"{[len(y) for y in y_true]} for {len(X_train)} and {len(X_test)} "
                             "rows; see lapace_book.experiments.utility.vae_split_truth.")
    settings = {**CLASSIFIERS["rf"], **dict(rf_params or {})}
    if n_jobs is not None:
        settings["n_jobs"] = n_jobs
    scores: dict[str, list[float]] = {k: [] for k in ("real", "synth", "real_truth", "synth_truth")}

    def forest(X, y, s):
        return RandomForestClassifier(**settings, random_state=s).fit(X, y)

    for s in seeds:
        X_syn, y_syn = sample_like(vae, y_train, random_state=s)
        real, synth = forest(X_train, y_train, s), forest(X_syn, y_syn, s)
        scores["real"].append(float(np.mean(real.predict(X_test) == y_test)))
        scores["synth"].append(float(np.mean(synth.predict(X_test) == y_test)))
        if y_true is not None:
            truth = forest(X_train, y_true[0], s)
            scores["real_truth"].append(float(np.mean(truth.predict(X_test) == y_true[1])))
            scores["synth_truth"].append(float(np.mean(synth.predict(X_test) == y_true[1])))
    out: dict[str, Any] = {}
    for name, values in scores.items():
        if values:
            out.update({f"{name}_mean": float(np.mean(values)), f"{name}_std": float(np.std(values)),
                        name: values})
    return {**out, "seeds": seeds}


def vae_split_truth(pair: Pair) -> tuple[np.ndarray, np.ndarray]:
    """The ground-truth labels of ``pair``'s L-GMVAE train and test rows, in their order.

    :func:`lapace_book.experiments.pairs.train_pair` keeps only the black box's labels of its split
    (:func:`lapace_book.experiments.pairs.vae_split`); the same split finds each row's ``pair.ds.y_train``
    label. The rows are checked to be the pair's own (a ``ValueError`` otherwise).
    """
    rows_train, rows_test = vae_split(pair.predict(pair.X_train), pair.settings["vae_test_size"],
                                      pair.settings["seed"])
    if not (np.array_equal(pair.X_train[rows_train], pair.X_vae_train)
            and np.array_equal(pair.X_train[rows_test], pair.X_vae_test)):
        raise ValueError("the pair's L-GMVAE rows are not the split train_pair makes of its "
                         "X_train: was the pair built another way?")
    y = np.asarray(pair.ds.y_train, dtype=np.int64)
    return y[rows_train], y[rows_test]


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

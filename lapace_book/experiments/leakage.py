"""Label-coded values: imputed feature values that give the label away (the heloc file).

FICO's HELOC data mark missing entries with the special values -7, -8 and -9. The file the book
uses, CARLA's ``cf-data/raw/heloc.csv`` (``lapace/registry.txt``), has no negative values: it
has 9871 of FICO's 10459 rows (the 588 without any bureau record are gone) and every other
special value was replaced by a mean of its column. Every feature of HELOC is a whole number
(months, counts, percentages, delinquency codes), so an entry that is not is such a mean;
where the mean was taken *per label*, each of those values occurs with one label only, and a
classifier that tests for the exact value reads the label off it. :func:`label_coded_values`
finds such values, :func:`label_free` replaces each by one value shared by both labels, and
:func:`leakage_accuracies` shows what a classifier gains from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from lapace.classifiers import train_classifier

__all__ = ["imputed_rows", "label_coded_values", "label_free", "leakage_accuracies"]


def _imputed(column: pd.Series) -> pd.Series:
    """Entries that are not whole numbers (in a column of counts: a mean put in their place)."""
    values = pd.to_numeric(column, errors="coerce")
    return values.notna() & (values % 1 != 0)


def imputed_rows(X: pd.DataFrame) -> np.ndarray:
    """(n,) bool: the rows of ``X`` with at least one entry that is not a whole number."""
    return np.column_stack([_imputed(X[c]).to_numpy() for c in X.columns]).any(axis=1)


def label_coded_values(X: pd.DataFrame, y) -> pd.DataFrame:
    """One row per (feature, value) of the entries of ``X`` that are not whole numbers.

    Columns: ``feature``, ``value``, ``rows`` (how many entries hold it), ``share label 1``
    (of those rows) and ``one label`` (all its rows have the same label: the value codes the
    label). Meant for data whose features are counts, as HELOC's are; an empty frame when every
    entry is a whole number.
    """
    y = np.asarray(y)
    if len(y) != len(X):
        raise ValueError(f"y has {len(y)} labels for {len(X)} rows of X.")
    rows = []
    for feature in X.columns:
        mask = _imputed(X[feature]).to_numpy()
        if not mask.any():
            continue
        groups = pd.Series(y[mask]).groupby(X[feature].to_numpy()[mask])
        for value, labels in groups:
            rows.append({"feature": feature, "value": float(value), "rows": len(labels),
                         "share label 1": float(np.mean(labels == 1)),
                         "one label": labels.nunique() == 1})
    return pd.DataFrame(rows, columns=["feature", "value", "rows", "share label 1", "one label"])


def label_free(X: pd.DataFrame, reference: pd.DataFrame | None = None) -> pd.DataFrame:
    """``X`` with every entry that is not a whole number replaced by its column's mean over the
    whole-number entries of ``reference`` (default ``X``): one value for both labels."""
    reference = X if reference is None else reference
    out = X.copy()
    for feature in X.columns:
        mask = _imputed(X[feature])
        if mask.any():
            kept = reference[feature][~_imputed(reference[feature])]
            out.loc[mask, feature] = float(kept.mean())
    return out


def leakage_accuracies(X_train: pd.DataFrame, y_train, X_test: pd.DataFrame, y_test,
                       forests: Mapping[str, Mapping[str, Any]], seed: int = 0) -> pd.DataFrame:
    """Test accuracy of each classifier on the data as given and made :func:`label_free`.

    ``forests``: name -> settings of a random forest (:func:`lapace.train_classifier`'s
    ``"rf"``; ``{}`` for its fully grown default); a logistic regression on standardised
    features is added as ``"logistic regression"``. Both versions are replaced with the
    training frame's means. Returns one row per classifier, columns ``as given``,
    ``label-free`` and ``difference`` (as given minus label-free).
    """
    versions = {"as given": (X_train, X_test),
                "label-free": (label_free(X_train), label_free(X_test, reference=X_train))}
    rows = []
    models = {name: ("rf", dict(params)) for name, params in forests.items()}
    models["logistic regression"] = ("lr", {})
    for name, (kind, params) in models.items():
        row = {"classifier": name}
        for version, (A, B) in versions.items():
            if kind == "rf":
                model = train_classifier("rf", A.to_numpy(np.float64), y_train, seed=seed, **params)
            else:
                model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
                model.fit(A.to_numpy(np.float64), y_train)
            row[version] = float(np.mean(model.predict(B.to_numpy(np.float64)) == np.asarray(y_test)))
        rows.append(row)
    out = pd.DataFrame(rows).set_index("classifier")
    out["difference"] = out["as given"] - out["label-free"]
    return out

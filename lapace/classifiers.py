"""Black-box classifiers explained in the book (scikit-learn estimators)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.neural_network import MLPClassifier

from lapace.validation import check_int, check_labels

__all__ = ["CLASSIFIERS", "train_classifier"]

_ESTIMATORS: dict[str, type[ClassifierMixin]] = {
    "rf": RandomForestClassifier,
    "nn": MLPClassifier,
}

#: Default hyper-parameters of each classifier kind (``random_state`` comes from ``seed``).
CLASSIFIERS: dict[str, dict[str, Any]] = {
    "rf": {
        "n_estimators": 100,
        "max_depth": None,
        "min_samples_leaf": 1,
        "n_jobs": None,
    },
    "nn": {
        "hidden_layer_sizes": (64, 32),
        "activation": "relu",
        "solver": "adam",
        "alpha": 1e-4,
        "learning_rate_init": 1e-3,
        "max_iter": 500,
        "early_stopping": True,
        "validation_fraction": 0.1,
        "n_iter_no_change": 10,
    },
}


def train_classifier(kind: str, X: Any, y: Any, seed: int = 0, **params: Any) -> ClassifierMixin:
    """Fit a classifier to encoded data.

    Parameters
    ----------
    kind : {"rf", "nn"}
        ``"rf"``: :class:`~sklearn.ensemble.RandomForestClassifier` with 100
        fully grown trees. ``"nn"``: :class:`~sklearn.neural_network.MLPClassifier`,
        a multilayer perceptron with two hidden ReLU layers of 64 and 32 units
        and a softmax (or logistic) output, trained with Adam (learning rate
        1e-3, L2 penalty 1e-4) for at most 500 epochs, stopping early when the
        score on a 10% validation split has not improved for 10 epochs.
        The full defaults are in :data:`CLASSIFIERS`.
    X : array-like of shape (n_samples, n_features)
        Encoded features, no missing values.
    y : array-like of shape (n_samples,)
        Labels.
    seed : int, default=0
        ``random_state`` of the estimator.
    **params
        Hyper-parameters overriding the defaults.

    Returns
    -------
    estimator : sklearn classifier
        The fitted estimator.
    """
    if not isinstance(kind, str) or kind not in _ESTIMATORS:
        raise ValueError(f"Unknown classifier kind {kind!r}; available: {list(_ESTIMATORS)}.")
    check_int(seed, "seed", 0)
    if isinstance(X, pd.DataFrame):
        text = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])
                or pd.api.types.is_bool_dtype(X[c])]
        if text:
            raise ValueError(
                f"X is a raw frame: column(s) {text[:5]} are not numbers. Classifiers are "
                "trained on encoded data: X = ds.encode(df) (ds.encode(ds.X_train) for the "
                "training split).")
    if isinstance(X, str | bytes) or X is None:
        raise ValueError(f"X must be a 2-D numeric array of encoded data, got {type(X).__name__}.")
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("X must be a 2-D numeric array of encoded data: encode records with "
                         "X = ds.encode(df) first.") from None
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}.")
    if isinstance(y, str | bytes) or y is None or np.ndim(y) != 1 or len(y) != len(X):
        raise ValueError(f"y must be 1-D with {len(X)} labels (one per row of X), got shape {np.shape(y)}.")
    if not np.isfinite(X).all():
        raise ValueError(f"X contains {int((~np.isfinite(X)).sum())} NaN or infinite value(s); "
                         "impute them first.")
    if np.asarray(y).dtype.kind == "f" and np.isnan(np.asarray(y)).any():
        raise ValueError("y contains NaN; pass one integer label per row.")
    y = check_labels(y, len(X))
    settings = {**CLASSIFIERS[kind], "random_state": seed, **params}
    return _ESTIMATORS[kind](**settings).fit(X, y)

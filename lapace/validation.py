"""Input checks shared by every estimator and explainer of the package.

One place for what a user can get wrong, so that :class:`~lapace.LGMVAE`, :class:`~lapace.Lapace`,
the baselines of :mod:`lapace.baselines` and the metrics raise the *same* clear error for the
same mistake.  Every check raises :class:`ValueError` saying what is wrong and how to fix it.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = [
    "NotFittedError", "check_X", "check_fitted_X", "check_int", "check_is_fitted", "check_labels",
    "check_not_target", "check_positive", "check_range", "check_target", "chunks", "predict_labels",
    "warn",
]

_PACKAGE_DIR = str(Path(__file__).resolve().parent)


class NotFittedError(RuntimeError):
    """Raised when an estimator or explainer is used before ``fit`` (or ``load``)."""


def check_is_fitted(estimator, attribute: str, how: str = "call fit first") -> None:
    """Raise :class:`NotFittedError` unless ``estimator`` has the fitted ``attribute``."""
    if not hasattr(estimator, attribute):
        raise NotFittedError(f"This {type(estimator).__name__} is not fitted yet: {how}.")


def chunks(n: int, size: int):
    """Slices ``0..n`` in consecutive chunks of at most ``size`` rows (the package's one batching)."""
    size = max(1, int(size))
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` pointing at the user's line: the first caller outside ``lapace``."""
    level, frame = 1, sys._getframe(1)
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level + 1)


def check_int(value, name: str, minimum: int = 1) -> int:
    """``value`` as an int ``>= minimum``; integral floats are accepted, 2.5 or "3" are not."""
    ok = isinstance(value, int | np.integer) or (isinstance(value, float | np.floating)
                                                  and float(value).is_integer())
    if isinstance(value, bool) or not ok or int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def check_positive(value, name: str) -> float:
    """``value`` as a finite float ``> 0``."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating) \
            or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}.")
    return float(value)


#: how many fitted ranges beyond the fitted bounds count as "far outside" (warn) and as
#: certainly unencoded data (error)
FAR, UNENCODED = 1.0, 10.0


def check_range(X: np.ndarray, low, high, name: str = "X", columns=None,
                far: float | None = FAR) -> None:
    """Refuse inputs that look unencoded, warn about inputs far outside the fitted range.

    A value more than ``UNENCODED`` fitted ranges (``high - low``, at least 1) beyond
    ``[low, high]`` raises; more than ``far`` ranges warns (``None``: never warns).  Encoded
    data stay near the range the model was fitted on (continuous features in [0, 1] on the
    training split).
    """
    if X.size == 0:
        return
    low, high = np.broadcast_to(low, X.shape[1:]), np.broadcast_to(high, X.shape[1:])
    span = np.maximum(high - low, 1.0)
    excess = np.maximum(X - high, low - X) / span                  # (n, d), <= 0 inside
    worst = np.unravel_index(np.argmax(excess), excess.shape)
    limit = UNENCODED if far is None else far
    far = float(excess[worst])
    if far <= limit:
        return
    col = worst[1] if columns is None else f"{worst[1]} ({columns[worst[1]]!r})"
    where = (f"{name} holds {X[worst]:.4g} at row {worst[0]}, column {col}, "
             f"{far:.1f} ranges outside the fitted range [{low[worst[1]]:.4g}, {high[worst[1]]:.4g}]")
    if far > UNENCODED:
        raise ValueError(f"{where}: it looks unencoded. Encode records in original units "
                         "with ds.encode(df) first.")
    warn(f"{where}: the model was never trained there, its output is an extrapolation. "
         "Were the inputs encoded with ds.encode(df)?")


def check_X(X, n_features: int | None = None, name: str = "X", allow_empty: bool = False) -> np.ndarray:
    """``X`` as a finite float32 array (n, d); ``d == n_features`` when given."""
    try:
        X = np.asarray(X, dtype=np.float32)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"{name} must be a numeric array of encoded inputs; encode data frames with "
            f"ds.encode(df) first ({err})."
        ) from None
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (n_samples, n_features), got shape {X.shape}.")
    if not allow_empty and X.shape[0] == 0:
        raise ValueError(f"{name} holds no rows.")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"{name} has {X.shape[1]} columns but the model was fitted on {n_features}; "
            "encode inputs with the same dataset encoder."
        )
    if not np.isfinite(X).all():
        rows = np.unique(np.nonzero(~np.isfinite(X))[0])
        raise ValueError(f"{name} contains NaN or infinite values in rows {rows[:10].tolist()}.")
    return X


def check_fitted_X(estimator, X, name: str = "X") -> np.ndarray:
    """``X`` checked against a fitted estimator: its width ``n_features_in_`` and, where the
    estimator knows them, the fitted bounds ``feature_min_``/``feature_max_``
    (:func:`check_range`: unencoded data raise, far extrapolation warns)."""
    X = check_X(X, getattr(estimator, "n_features_in_", None), name)
    if hasattr(estimator, "feature_min_"):
        check_range(X, estimator.feature_min_, estimator.feature_max_, name)
    return X


def check_labels(y, n: int, n_labels: int | None = None, name: str = "y") -> np.ndarray:
    """``y`` as int64 labels (n,) in ``0..n_labels-1``; integral floats are accepted."""
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"{name} must be a 1-D array of {n} labels, got shape {y.shape}.")
    upper = "" if n_labels is None else f" 0..{n_labels - 1}"
    if not np.issubdtype(y.dtype, np.integer):
        if np.issubdtype(y.dtype, np.floating) and np.isfinite(y).all() and np.all(np.mod(y, 1) == 0):
            y = y.astype(np.int64)
        elif np.issubdtype(y.dtype, np.bool_):
            y = y.astype(np.int64)
        else:
            raise ValueError(
                f"{name} must hold integer labels{upper}, got dtype {y.dtype} "
                f"(first values {y[:3].tolist()}); pass class labels, not probabilities or names."
            )
    y = y.astype(np.int64)
    if n_labels is not None:
        bad = (y < 0) | (y >= n_labels)
        if bad.any():
            raise ValueError(f"{name} holds label {y[bad][0]} outside{upper} (n_labels={n_labels}).")
    return y


def check_target(target, n_labels: int) -> int:
    """The desired label y' as an int in ``0..n_labels-1``."""
    if isinstance(target, bool) or not isinstance(target, int | np.integer) or not 0 <= target < n_labels:
        raise ValueError(f"target must be a label in 0..{n_labels - 1}, got {target!r}.")
    return int(target)


def predict_labels(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray,
                   n_labels: int | None = None) -> np.ndarray:
    """Call a black box ``predict`` on encoded inputs and check it returned integer labels."""
    labels = np.asarray(predict(X))
    if labels.shape != (X.shape[0],):
        raise ValueError(
            f"predict returned shape {labels.shape} for {X.shape[0]} inputs; it must return one "
            "integer label per row (pass model.predict, not model.predict_proba)."
        )
    return check_labels(labels, X.shape[0], n_labels, name="predict's output")


def check_not_target(y: np.ndarray, target: int) -> None:
    """Inputs to explain must not already have the desired label (their labels ``y``)."""
    already = np.flatnonzero(np.asarray(y) == target)
    if len(already):
        raise ValueError(
            f"{len(already)} input(s) are already predicted as target {target} (rows "
            f"{already[:10].tolist()}); explain only inputs with another label."
        )

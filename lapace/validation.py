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


# --- checks for the metrics of lapace.metrics (arrays of counterfactuals, retrained models) ---

__all__ += ["check_label", "check_mask", "check_points", "check_predicts", "predict_labels_as"]


def _describe(a: np.ndarray) -> str:
    """``dtype float64, first values [0.9, 0.2]`` for error messages."""
    return f"dtype {a.dtype}, first values {a.ravel()[:3].tolist()}"


def check_mask(valid, name: str = "valid", shape: tuple[int, ...] | None = None,
               ndim: int | None = None) -> np.ndarray:
    """``valid`` as a bool array: booleans, or integers that are all 0 or 1.

    Floats are refused, whatever their values: a probability is not a verdict, and casting
    0.9 and 0.2 to bool would make both True.
    """
    arr = np.asarray(valid)
    if arr.dtype == np.bool_ or arr.size == 0:
        arr = arr.astype(bool)
    elif np.issubdtype(arr.dtype, np.integer) and np.isin(arr, (0, 1)).all():
        arr = arr.astype(bool)
    else:
        raise ValueError(
            f"{name} must be a boolean array (or integers 0/1) saying whether each "
            f"counterfactual is valid, got {_describe(arr)}; pass the black box's verdicts, "
            f"e.g. predict(points) == target, not probabilities or labels."
        )
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {arr.shape}.")
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)} to match the points, got {arr.shape}.")
    return arr


def check_points(points, name: str = "points", ndim: int = 3,
                 layout: str = "(n, m, d)") -> np.ndarray:
    """``points`` as a float64 array of ``ndim`` axes (NaN allowed: rows not found)."""
    arr = np.asarray(points)
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            pass
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(
            f"{name} must be a numeric array {layout} of encoded counterfactuals, got "
            f"{_describe(arr)}; encode records with ds.encode(df) first."
        )
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array {layout}, got shape {arr.shape}.")
    return arr.astype(np.float64)


def check_label(target, name: str = "target") -> int:
    """``target`` as a non-negative int label; strings, bools and floats are refused."""
    if isinstance(target, bool | np.bool_) or not isinstance(target, int | np.integer) or target < 0:
        raise ValueError(
            f"{name} must be an integer class label >= 0 (e.g. 1), got {target!r} "
            f"({type(target).__name__}); pass the label the black box predicts, not a class name."
        )
    return int(target)


def check_predicts(predicts, name: str = "predicts") -> list[Callable]:
    """``predicts`` as a non-empty list of callables (e.g. ``[m.predict for m in models]``)."""
    if callable(predicts) or isinstance(predicts, str | bytes) or not hasattr(predicts, "__iter__"):
        raise ValueError(f"{name} must be a list of predict functions, got {type(predicts).__name__}; "
                         f"wrap a single one in a list: [model.predict].")
    predicts = list(predicts)
    if not predicts:
        raise ValueError(f"{name} is empty: pass at least one retrained model's predict.")
    for i, f in enumerate(predicts):
        if not callable(f):
            raise ValueError(f"{name}[{i}] is not callable (got {type(f).__name__}); pass "
                             f"model.predict, not the model.")
    return predicts


def predict_labels_as(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, name: str,
                      n_labels: int | None = None) -> np.ndarray:
    """:func:`predict_labels` with the error naming the callable as ``name``."""
    labels = np.asarray(predict(X))
    if labels.shape != (X.shape[0],):
        raise ValueError(
            f"{name} returned shape {labels.shape} for {X.shape[0]} inputs; it must return one "
            "integer label per row (pass model.predict, not model.predict_proba)."
        )
    return check_labels(labels, X.shape[0], n_labels, name=f"{name}'s output")

"""Input checks shared by every estimator and explainer of the package.

One place for what a user can get wrong, so that :class:`~lapace.LGMVAE`, :class:`~lapace.Lapace`,
the baselines of :mod:`lapace.methods` and the metrics raise the *same* clear error for the
same mistake.  Every check raises :class:`ValueError` saying what is wrong and how to fix it.
"""

from __future__ import annotations

import hashlib
import json
import sys
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "SEED", "NotFittedError", "boolean", "check_X", "check_bool", "check_choice", "check_dataset",
    "check_device", "check_groups", "check_weights",
    "check_fitted_X", "check_frame", "check_int", "check_is_fitted", "check_labels", "check_metric",
    "check_not_target", "check_one_hot", "check_params", "check_positive", "check_range",
    "check_real", "check_same_encoder", "check_target", "choice", "chunks", "encoder_fingerprint",
    "feature_names", "integer", "predict_labels", "real", "warn",
]

_PACKAGE_DIR = str(Path(__file__).resolve().parent)


class NotFittedError(RuntimeError, ValueError):
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


def _kind(value) -> str:
    """``'0.1' (str)`` for error messages."""
    text = repr(value)
    return f"{text[:60]}{'...' if len(text) > 60 else ''} ({type(value).__name__})"


def check_int(value, name: str, minimum: int = 1, maximum: int | None = None) -> int:
    """``value`` as an int in ``minimum..maximum``; integral floats are accepted, 2.5 or "3" not."""
    ok = isinstance(value, int | np.integer) or (isinstance(value, float | np.floating)
                                                  and float(value).is_integer())
    if isinstance(value, bool | np.bool_) or not ok or int(value) < minimum or (
            maximum is not None and int(value) > maximum):
        upper = "" if maximum is None else f" and <= {maximum}"
        raise ValueError(f"{name} must be an integer >= {minimum}{upper}, got {_kind(value)}; "
                         f"pass a whole number, e.g. {name.split()[0]}={max(minimum, 1)}.")
    return int(value)


def check_positive(value, name: str) -> float:
    """``value`` as a finite float ``> 0``."""
    return check_real(value, name, low=0.0, low_open=True, what="a positive number")


def check_real(value, name: str, low: float | None = None, high: float | None = None,
               low_open: bool = False, high_open: bool = False, what: str | None = None) -> float:
    """``value`` as a finite float in the range ``low``..``high`` (bounds open where said)."""
    ok = not isinstance(value, bool | np.bool_) and isinstance(
        value, int | float | np.integer | np.floating) and bool(np.isfinite(value))
    if ok:
        ok = (low is None or (value > low if low_open else value >= low)) and (
            high is None or (value < high if high_open else value <= high))
    if not ok:
        if what is None and low == 0 and low_open and high is None:
            what = "a positive number"
        elif what is None:
            lo = "" if low is None else f"{'(' if low_open else '['}{low:g}, "
            hi = "" if high is None else f"{high:g}{')' if high_open else ']'}"
            what = "a finite number" + (f" in {lo or '(-inf, '}{hi or 'inf)'}"
                                        if lo or hi else "")
        number = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
            value, bool | np.bool_)
        raise ValueError(f"{name} must be {what}, got {_kind(value)}" + (
            "." if number else "; pass a number, not a string, a bool or an array."))
    return float(value)


def check_choice(value, name: str, choices, none: bool = False) -> str | None:
    """``value`` as one of ``choices`` (``none``: or None)."""
    if none and value is None:
        return None
    if not isinstance(value, str) or value not in choices:
        also = " or None (the objective's recipe)" if none else ""
        raise ValueError(f"{name} must be one of {list(choices)}{also}, got {_kind(value)}.")
    return value


def check_bool(value, name: str, none: bool = False) -> bool | None:
    """``value`` as a bool (True or False; not 1, "yes"; None only where ``none``)."""
    if none and value is None:
        return None
    if not isinstance(value, bool | np.bool_):
        also = ", False or None (the objective's recipe)" if none else " or False"
        raise ValueError(f"{name} must be True{also}, got {_kind(value)}.")
    return bool(value)


def check_weights(value, name: str, n: int = 3) -> tuple[float, ...]:
    """``value`` as ``n`` finite non-negative numbers (e.g. loss weights)."""
    ok = isinstance(value, list | tuple | np.ndarray) and len(value) == n
    if ok:
        try:
            return tuple(check_real(w, f"{name}[{i}]", 0.0) for i, w in enumerate(value))
        except ValueError:
            pass
    raise ValueError(f"{name} must be {n} finite non-negative numbers, e.g. (1.0, 1.0, 1.0), "
                     f"got {_kind(value)}.")


def check_groups(groups, n_features: int, name: str = "categorical_groups") -> list[slice]:
    """One-hot column groups: slices with start < stop inside ``n_features``, disjoint."""
    if isinstance(groups, str | bytes) or not isinstance(groups, list | tuple):
        raise ValueError(f"{name} must be a list of slices of the one-hot columns, e.g. "
                         f"ds.categorical_groups, got {_kind(groups)}.")
    taken = np.zeros(n_features, dtype=bool)
    for g in groups:
        if not isinstance(g, slice) or not isinstance(g.start, int | np.integer) or not \
                isinstance(g.stop, int | np.integer) or g.step not in (None, 1):
            raise ValueError(f"{name} must hold slices with start and stop, got {g!r}.")
        if not 0 <= g.start < g.stop <= n_features:
            raise ValueError(f"{name}: categorical group {g} does not fit inside the "
                             f"{n_features} input columns.")
        if taken[g].any():
            raise ValueError(f"{name}: categorical group {g} overlaps another group; each "
                             "one-hot column belongs to one feature.")
        taken[g] = True
    return list(groups)


def check_device(value, name: str = "device") -> None:
    """A torch device: ``"cpu"``, ``"cuda"``, ``"cuda:0"`` or a ``torch.device``."""
    import torch

    try:
        torch.device(value)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(f"{name} must be a torch device such as 'cpu' or 'cuda:0', got "
                         f"{_kind(value)}.") from None


# --- hyper-parameter specifications: ``{name: check}`` applied by :func:`check_params` ---

def integer(minimum: int = 1, none: bool = False, maximum: int | None = None):
    """Spec: an integer ``>= minimum`` (``none``: or None)."""
    return lambda v, name: None if none and v is None else check_int(v, name, minimum, maximum)


def real(low: float | None = None, high: float | None = None, low_open: bool = False,
         high_open: bool = False, none: bool = False):
    """Spec: a finite number in ``low``..``high`` (``none``: or None)."""
    return lambda v, name: None if none and v is None else check_real(
        v, name, low, high, low_open, high_open)


def choice(*choices, none: bool = False):
    """Spec: one of ``choices`` (``none``: or None)."""
    return lambda v, name: check_choice(v, name, choices, none)


def boolean(none: bool = False):
    """Spec: True or False (``none``: or None)."""
    return lambda v, name: check_bool(v, name, none)


SEED = integer(0)


def check_params(estimator, specs: Mapping[str, Callable]) -> None:
    """Check every hyper-parameter ``name`` of ``estimator`` with its spec; the error names the
    estimator and the parameter (scikit-learn's convention: called at the start of ``fit``)."""
    for name, spec in specs.items():
        try:
            spec(getattr(estimator, name), name)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{type(estimator).__name__}: {err}") from None


def check_metric(value, name: str = "metric") -> None:
    """A metric :class:`sklearn.neighbors.NearestNeighbors` knows (or a callable)."""
    from sklearn.neighbors import VALID_METRICS

    known = sorted({m for ms in VALID_METRICS.values() for m in ms if isinstance(m, str)})
    if not callable(value) and (not isinstance(value, str) or value not in known):
        raise ValueError(f"{name} must be a metric of sklearn's NearestNeighbors, e.g. "
                         f"'euclidean' or 'manhattan', got {_kind(value)}.")


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


def feature_names(X) -> list[str] | None:
    """The column names of a DataFrame ``X`` (as str), else None."""
    return [str(c) for c in X.columns] if isinstance(X, pd.DataFrame) else None


def check_frame(X, columns, name: str = "X"):
    """A DataFrame ``X`` with its columns matched to ``columns`` by name (reordered), never
    by position; a frame naming other columns is refused.  Arrays pass unchanged."""
    if columns is None or not isinstance(X, pd.DataFrame):
        return X
    given, columns = feature_names(X), list(columns)
    if given == columns:
        return X
    missing = [c for c in columns if c not in given]
    extra = [c for c in given if c not in columns]
    if not missing and not extra and len(set(given)) == len(given):
        return X.set_axis(given, axis=1)[columns]
    raise ValueError(
        f"{name} is a DataFrame whose columns do not match the encoded columns it was fitted "
        f"on: missing {missing[:5]}, unexpected {extra[:5]}. Pass ds.encode(df) (records in "
        f"original units), or a frame with the columns ds.encoded_columns, e.g. {columns[:3]}.")


def check_one_hot(X: np.ndarray, groups, name: str = "X", columns=None) -> None:
    """Every categorical block of the encoded ``X`` is one-hot: 0/1 values, exactly one 1."""
    for g in groups:
        block = X[:, g]                 # np.isclose's tolerances (atol + rtol * |1|), written out
        bad = (~((np.abs(block) <= 1e-6) | (np.abs(block - 1) <= 1.1e-5))).any(1) | \
            ~(np.abs(block.sum(1) - 1) <= 2e-5)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            what = f"columns {g.start}..{g.stop - 1}" + (
                "" if columns is None else f" ({columns[g.start]!r}...)")
            raise ValueError(
                f"{name} is not valid encoded data: the one-hot block {what} of row {row} holds "
                f"{_exact(block[row])} (a category is exactly one 1, the rest 0, within 1e-5). "
                "Encode records with ds.encode(df), or make rows records with ds.project(X).")


def _exact(values) -> list[float]:
    """Values as written in an error message: as many digits as tell them apart from 0 and 1
    (0.9999 stays 0.9999, never rounded to 1.0)."""
    return [float(f"{float(v):.7g}") for v in np.asarray(values).ravel()]


def check_X(X, n_features: int | None = None, name: str = "X", allow_empty: bool = False) -> np.ndarray:
    """``X`` as a finite float32 array (n, d); ``d == n_features`` when given."""
    if isinstance(X, str | bytes) or X is None or callable(X):
        raise ValueError(f"{name} must be a 2-D numeric array (n_samples, n_features) of encoded "
                         f"inputs, got {_kind(X)}.")
    try:
        X = np.asarray(X, dtype=np.float32)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"{name} must be a numeric array of encoded inputs; encode data frames with "
            f"ds.encode(df) first ({err})."
        ) from None
    if not X.flags.writeable:          # a view of a frame: torch needs writable memory
        X = X.copy()
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


def check_fitted_X(estimator, X, name: str = "X", groups=()) -> np.ndarray:
    """``X`` checked against a fitted estimator: a DataFrame's columns matched by name to
    ``feature_names_in_`` (:func:`check_frame`), its width ``n_features_in_``, the fitted
    bounds ``feature_min_``/``feature_max_`` where known (:func:`check_range`: unencoded data
    raise, far extrapolation warns) and the one-hot ``groups`` (:func:`check_one_hot`)."""
    columns = getattr(estimator, "feature_names_in_", None)
    X = check_X(check_frame(X, columns, name), getattr(estimator, "n_features_in_", None), name)
    if hasattr(estimator, "feature_min_"):
        check_range(X, estimator.feature_min_, estimator.feature_max_, name, columns)
    check_one_hot(X, groups, name, columns)
    return X


def check_labels(y, n: int, n_labels: int | None = None, name: str = "y") -> np.ndarray:
    """``y`` as int64 labels (n,) in ``0..n_labels-1``; integral floats are accepted."""
    if isinstance(y, str | bytes) or y is None or callable(y):
        raise ValueError(f"{name} must be a 1-D array of {n} integer labels, got {_kind(y)}.")
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


def check_target(target, n_labels: int, name: str = "target") -> int:
    """The desired label y' as an int in ``0..n_labels-1``."""
    if isinstance(target, bool | np.bool_) or not isinstance(target, int | np.integer) \
            or not 0 <= target < n_labels:
        raise ValueError(f"{name} must be a label in 0..{n_labels - 1}, got {_kind(target)}; "
                         "pass the integer label the black box predicts, not a class name.")
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
    """:func:`predict_labels` with the error naming the callable as ``name``; a callable that
    fails on ``X`` (e.g. points of another width) is reported as such."""
    try:
        labels = np.asarray(predict(X))
    except Exception as err:
        raise ValueError(f"{name} failed on the points (shape {X.shape}): {err}. Are the points "
                         "encoded like the inputs the model was trained on?") from err
    if labels.shape != (X.shape[0],):
        raise ValueError(
            f"{name} returned shape {labels.shape} for {X.shape[0]} inputs; it must return one "
            "integer label per row (pass model.predict, not model.predict_proba)."
        )
    return check_labels(labels, X.shape[0], n_labels, name=f"{name}'s output")


# --- datasets: the encoder's fingerprint, compared on every use instead of the width ---

#: what a fingerprint covers: the encoder's columns, categories, bounds, dtypes and classes
ENCODER_KEYS = ("features", "categorical", "continuous", "categories", "bounds", "dtypes", "classes")


def encoder_fingerprint(state: Mapping) -> str:
    """SHA-256 (16 hex digits) of an encoder state (:meth:`TabularDataset.encoder_state`)."""
    text = json.dumps({k: state[k] for k in ENCODER_KEYS}, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_dataset(dataset, name: str = "dataset", none: bool = True):
    """``dataset`` as a :class:`~lapace.TabularDataset` (duck-typed: an encoder state)."""
    if dataset is None and none:
        return None
    if not callable(getattr(dataset, "encoder_state", None)) or not hasattr(dataset, "encoded_columns"):
        raise TypeError(f"{name} must be a lapace.TabularDataset (e.g. load_dataset('compas')), "
                        f"got {_kind(dataset)}.")
    return dataset


def check_same_encoder(dataset, fingerprint: str | None, name: str, other: str,
                       state: Mapping | None = None) -> None:
    """Refuse ``dataset`` unless its encoder's fingerprint is ``fingerprint`` (``None``:
    unknown, accepted).  ``state``: the other encoder, to say which part differs."""
    if fingerprint is None:
        return
    mine = dataset.encoder_state()
    if encoder_fingerprint(mine) == fingerprint:
        return
    differs = [k for k in ENCODER_KEYS if state is not None and mine[k] != state.get(k)]
    detail = f" (they differ in {differs})" if differs else ""
    raise ValueError(
        f"{name} is not the dataset {other}: its encoder (columns, categories, bounds, dtypes) "
        f"has fingerprint {encoder_fingerprint(mine)}, not {fingerprint}{detail}. The same width "
        "is not the same encoding: pass the dataset it was made with (LGMVAE.load_with_dataset "
        "returns the saved one).")


__all__ += ["optional_import"]


def optional_import(module: str, extra: str, feature: str):
    """``importlib.import_module(module)``, or an ImportError naming the extra that installs it.

    >>> optional_import("plotly.graph_objects", "explorer", "the path explorer")  # doctest: +SKIP
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(
            f"{feature} needs {module.split('.')[0]}, which is not installed: "
            f'pip install "lapace[{extra}]"') from err


# --- issue 32: result tables and command lines ---

__all__ += ["check_out_path", "unclash"]


def unclash(names, reserved, suffix: str = " (feature)") -> list[str]:
    """``names`` (features) with ``suffix`` added to each that is one of ``reserved`` (a result
    table's own columns, e.g. ``label``, ``valid``, ``step``) or already taken, so that a table
    holding both has no duplicate column.  Other names are unchanged."""
    taken = {str(r) for r in reserved}
    out = []
    for name in names:
        new = name
        while str(new) in taken:
            new = f"{new}{suffix}"
        taken.add(str(new))
        out.append(new)
    return out


def check_out_path(value, name: str = "--out") -> Path:
    """A folder argument (a command line's ``--out``) as a ``Path``; an empty or blank value is
    refused rather than read as the current directory."""
    text = str(value) if isinstance(value, str | Path) else None
    if text is None or not text.strip():
        raise ValueError(f"{name} is empty ({value!r}): name the folder to write into, e.g. "
                         f"{name} results/grid (or {name} . for the current directory).")
    return Path(text)

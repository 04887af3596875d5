"""The encoder of a tabular data set: :class:`TabularDataset` (a train/test split, continuous
features scaled to [0, 1] on the training split, categorical features one-hot encoded).

Built from a frame with :meth:`TabularDataset.from_frame` (or by :func:`lapace.load_dataset`
for the paper's four data sets); ``encode`` and ``decode`` map records in original units to
the encoded arrays every model of the package works on, and back.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from lapace.validation import FAR, check_int, check_real, encoder_fingerprint, warn

__all__ = ["TabularDataset"]


def _is_real_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _sorted_categories(values, column: str) -> list:
    """Sorted distinct values; a clear error when a column mixes types (e.g. "3" and 3)."""
    present = pd.unique(pd.Series(values)).tolist()
    try:
        return sorted(present)
    except TypeError:
        kinds = sorted({type(v).__name__ for v in present})
        raise ValueError(
            f"Column {column!r} mixes value types {kinds} (e.g. '3' and 3), so its categories "
            f"cannot be ordered; convert it to one type first, e.g. df[{column!r}].astype(str)."
        ) from None


def _numeric(X, dtype) -> np.ndarray:
    """``X`` as a numeric array (a copy), or an error naming ``X``."""
    try:
        if isinstance(X, str | bytes) or X is None:
            raise TypeError
        return np.array(X, dtype=dtype)
    except (TypeError, ValueError):
        raise ValueError(f"X must be an array of encoded rows (numbers), got "
                         f"{type(X).__name__}; encode records with ds.encode(df).") from None


def _integers(values: np.ndarray, dtype) -> pd.Series:
    """``values`` rounded to integers of ``dtype`` (pandas' ``Int64`` too), clipped to its range
    first: a uint8 column decoded at -3 gives 0, not 253."""
    kind = np.dtype(getattr(dtype, "numpy_dtype", dtype))
    info = np.iinfo(kind)                     # 64-bit maxima round up as floats: step below
    high = np.nextafter(float(info.max), 0) if kind.itemsize == 8 else info.max
    return pd.Series(np.clip(np.rint(values), info.min, high).astype(kind), dtype=dtype)


def _usable_columns(df: pd.DataFrame, columns: list, named: set) -> list:
    """``columns`` that can be features: dates and identifiers are refused, constant columns
    not ``named`` as features dropped with a warning, each naming the column."""
    constant = [c for c in columns if c not in named and df[c].nunique(dropna=False) <= 1]
    for c in columns:
        col = df[c]
        if pd.api.types.is_datetime64_any_dtype(col) or pd.api.types.is_timedelta64_dtype(col) \
                or isinstance(col.dtype, pd.PeriodDtype) or (col.dtype == object and len(col) and
                                                             isinstance(col.iloc[0], pd.Timestamp)):
            raise ValueError(
                f"Column {c!r} holds dates or times (dtype {col.dtype}): as a feature it would "
                f"become one category per date. Derive numbers from it first, e.g. "
                f"df[{c!r}].dt.year, or drop it: df.drop(columns={c!r}).")
        if not pd.api.types.is_numeric_dtype(col) and len(col) >= 10 and col.nunique() == len(col):
            if pd.to_numeric(col, errors="coerce").notna().all():      # numbers as objects or text
                raise ValueError(
                    f"Column {c!r} holds numbers stored as dtype {col.dtype} (e.g. "
                    f"{col.iloc[0]!r}), which would make one category per value. Convert it to a "
                    f"number: df[{c!r}] = pd.to_numeric(df[{c!r}]).")
            raise ValueError(
                f"Column {c!r} holds a different value in every row ({len(col)} distinct): it "
                f"looks like an identifier, not a feature (one category per row, and the test "
                f"split would lose its rows). Drop it: df.drop(columns={c!r}).")
    if constant:
        warn(f"Dropped constant column(s) {constant}: a feature with one value cannot explain "
             "anything.")
    return [c for c in columns if c not in constant]


class TabularDataset:
    """A train/test split of a tabular classification data set, with its encoding.

    Continuous features are min-max scaled to ``[0, 1]`` with the bounds of the
    training split (a constant column uses scale 1); categorical features are
    one-hot encoded with the categories seen in the training split (sorted).
    Encoded columns follow the original feature order, each categorical feature
    expanded in place.

    Usually built with :meth:`from_frame` or :func:`load_dataset`.

    Parameters
    ----------
    X_train, X_test : pandas.DataFrame
        Features in original units, same columns in the same order.
    y_train, y_test : array-like of int
        Labels ``0..L-1``.
    categorical, continuous : sequence of str
        Names of categorical and continuous features (together: all columns).
    classes : sequence
        Original target values in label order.
    target : str, default="target"
        Name of the target column.
    name : str, optional
        Name of the data set.

    Attributes
    ----------
    features, categorical, continuous : list of str
        Feature names in original column order.
    classes_ : numpy.ndarray
        Original target values, as scikit-learn's ``classes_``: label ``i`` means
        ``classes_[i]``, so ``ds.classes_[ds.y_train]`` gives the original values.
    categories_ : dict of str to list
        Sorted categories of each categorical feature (training split).
    bounds_ : dict of str to (float, float)
        ``(min, max)`` of each continuous feature (training split).
    encoded_columns : list of str
        Names of the encoded columns, e.g. ``"age"`` or ``"sex=Male"``.
    categorical_groups : list of slice
        Encoded column block of each categorical feature.
    continuous_index : list of int
        Encoded column of each continuous feature.
    n_features_encoded : int
        Number of encoded columns.
    """

    def __init__(
        self,
        X_train: pd.DataFrame,
        X_test: pd.DataFrame,
        y_train: Sequence[int] | np.ndarray,
        y_test: Sequence[int] | np.ndarray,
        *,
        categorical: Sequence[str],
        continuous: Sequence[str],
        classes: Sequence[Any],
        target: str = "target",
        name: str | None = None,
    ) -> None:
        self.X_train = X_train.reset_index(drop=True)
        self.X_test = X_test.reset_index(drop=True)
        self.y_train = np.asarray(y_train, dtype=np.int64)
        self.y_test = np.asarray(y_test, dtype=np.int64)
        self.classes_ = np.asarray(list(classes))
        self.target = target
        self.name = name
        self.features = list(self.X_train.columns)
        if set(categorical) | set(continuous) != set(self.features):
            raise ValueError("categorical + continuous must name exactly the feature columns.")
        self.categorical = [c for c in self.features if c in set(categorical)]
        self.continuous = [c for c in self.features if c in set(continuous)]
        self._fit()

    def _fit(self) -> None:
        X = self.X_train
        self.categories_ = {c: _sorted_categories(X[c], c) for c in self.categorical}
        for c in self.continuous:                 # float64 holds every integer only to 2**53
            big = max((int(X[c].min()), int(X[c].max())), key=abs) \
                if pd.api.types.is_integer_dtype(X[c]) and len(X[c]) else 0
            if abs(big) > 2**53:
                raise ValueError(
                    f"Continuous column {c!r} holds the integer {big}, beyond 2**53: floats "
                    f"cannot hold such integers exactly, so its bounds and decoded values would "
                    f"be off. Rescale it (e.g. df[{c!r}] // 1000) or drop it.")
        self.bounds_ = {c: (float(X[c].min()), float(X[c].max())) for c in self.continuous}
        self._dtypes = X.dtypes.to_dict()
        self._layout()

    def _layout(self) -> None:
        """Encoded column layout from ``features``, ``categories_`` and ``bounds_``."""
        self._scale = {c: (hi - lo if hi > lo else 1.0) for c, (lo, hi) in self.bounds_.items()}
        self._slices: dict[str, slice] = {}
        self.encoded_columns: list[str] = []
        for col in self.features:
            start = len(self.encoded_columns)
            if col in self.categories_:
                self.encoded_columns += [f"{col}={v}" for v in self.categories_[col]]
            else:
                self.encoded_columns.append(col)
            self._slices[col] = slice(start, len(self.encoded_columns))
        names = [str(n) for n in self.encoded_columns]
        if len(set(names)) < len(names):        # 'a' with category 'b=c', 'a=b' with 'c'
            twice = next(n for n in names if names.count(n) > 1)
            owners = [f for f in self.features if twice in names[self._slices[f]]]
            raise ValueError(
                f"Encoded column name {twice!r} would stand for a column of each of the features "
                f"{owners} ('feature=category'), so they could not be told apart. Rename a column "
                f"or a category, e.g. df = df.rename(columns={{{owners[-1]!r}: "
                f"{str(owners[-1]).replace('=', '_')!r}}}).")
        self.categorical_groups = [self._slices[c] for c in self.categorical]
        self.continuous_index = [self._slices[c].start for c in self.continuous]
        self.n_features_encoded = len(self.encoded_columns)

    # ------------------------------------------------------------------ the encoder alone
    def encoder_state(self) -> dict[str, Any]:
        """The encoding as plain Python values (no data rows), for :meth:`LGMVAE.save`."""
        dtypes = {}
        for c in self.features:
            dt = self._dtypes[c]
            dtypes[c] = (["category", list(dt.categories), bool(dt.ordered)]
                         if isinstance(dt, pd.CategoricalDtype) else [str(dt)])
        return {
            "features": list(self.features), "categorical": list(self.categorical),
            "continuous": list(self.continuous),
            "categories": {c: list(v) for c, v in self.categories_.items()},
            "bounds": {c: [lo, hi] for c, (lo, hi) in self.bounds_.items()},
            "dtypes": dtypes, "classes": self.classes_.tolist(), "target": self.target,
            "name": self.name,
        }

    def fingerprint(self) -> str:
        """The encoder's fingerprint (columns, categories, bounds, dtypes, classes): what a saved
        model and a result compare instead of the width."""
        return encoder_fingerprint(self.encoder_state())

    @classmethod
    def from_encoder_state(cls, state: dict[str, Any]) -> TabularDataset:
        """A dataset that encodes and decodes like the one :meth:`encoder_state` came from.

        It holds no rows: ``X_train`` and ``X_test`` are empty frames with the right columns.
        """
        ds = cls.__new__(cls)
        ds.features, ds.categorical = list(state["features"]), list(state["categorical"])
        ds.continuous = list(state["continuous"])
        ds.categories_ = {c: list(v) for c, v in state["categories"].items()}
        ds.bounds_ = {c: (float(lo), float(hi)) for c, (lo, hi) in state["bounds"].items()}
        ds._dtypes = {}
        for c, spec in state["dtypes"].items():
            ds._dtypes[c] = (pd.CategoricalDtype(spec[1], ordered=spec[2]) if spec[0] == "category"
                             else pd.api.types.pandas_dtype(spec[0]))
        ds.classes_, ds.target, ds.name = (np.asarray(state["classes"]), state["target"],
                                           state["name"])
        empty = pd.DataFrame({c: pd.Series([], dtype=ds._dtypes[c]) for c in ds.features})
        ds.X_train, ds.X_test = empty, empty.copy()
        ds.y_train = ds.y_test = np.empty(0, dtype=np.int64)
        ds._layout()
        return ds

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        target: str,
        categorical: Sequence[str] | None = None,
        continuous: Sequence[str] | None = None,
        test_size: float = 0.2,
        seed: int = 0,
        name: str | None = None,
        classes: Sequence[Any] | None = None,
    ) -> TabularDataset:
        """Split a data frame (stratified) and fit the encoding on the training part.

        Parameters
        ----------
        df : pandas.DataFrame
            Features and target, no missing values.
        target : str
            Target column.
        categorical : sequence of str, optional
            Categorical features. ``None``: every non-numeric feature column.
            Numeric columns listed here (e.g. 0/1 flags) stay categorical.
        continuous : sequence of str, optional
            Continuous features. ``None``: every other feature column.
        test_size : float, default=0.2
            Fraction of rows in the test split.
        seed : int, default=0
            Random state of the split.
        name : str, optional
            Name of the data set.
        classes : sequence, optional
            Target values in label order (default: sorted unique values).

        Returns
        -------
        TabularDataset

        Notes
        -----
        Test rows holding a category absent from the training split are dropped
        with a warning, so that the encoding only knows training categories.
        """
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"df must be a pandas DataFrame, got {type(df).__name__}.")
        check_real(test_size, "test_size", 0, 1, low_open=True, high_open=True)
        check_int(seed, "seed", 0)
        if name is not None and not isinstance(name, str):
            raise ValueError(f"name must be a string or None, got {type(name).__name__}.")
        for arg, value in (("categorical", categorical), ("continuous", continuous),
                           ("classes", classes)):
            if value is not None and (isinstance(value, str | bytes) or not isinstance(
                    value, list | tuple | np.ndarray | pd.Index) or np.ndim(value) != 1):
                raise ValueError(f"{arg} must be a list (of column names, or target values for "
                                 f"classes) or None, got {type(value).__name__}.")
        available = list(df.columns)
        if isinstance(df.columns, pd.MultiIndex):
            raise ValueError(
                f"df has MultiIndex (hierarchical) columns, e.g. {available[:2]}; a feature or "
                "target is one flat column name. Flatten them first, e.g. df.columns = "
                "['_'.join(map(str, c)) for c in df.columns].")
        if not isinstance(target, str | int) or target not in available:
            raise ValueError(f"Target column {target!r} not found; available: {available}.")
        for arg, cols in (("categorical", categorical), ("continuous", continuous)):
            missing = [c for c in cols or [] if c not in available]
            if missing:
                raise ValueError(f"{arg} column(s) {missing} not found; available: {available}.")
            if target in (cols or []):
                raise ValueError(f"Target column {target!r} cannot also be {arg}.")
        if categorical is not None and continuous is not None:
            both = sorted(set(categorical) & set(continuous))
            if both:
                raise ValueError(f"Column(s) {both} are both categorical and continuous.")

        named = set(categorical or []) | set(continuous or [])    # kept even when constant
        others = _usable_columns(df, [c for c in available if c != target], named)
        if categorical is None:
            excluded = set(continuous or [])
            categorical = [
                c
                for c in others
                if c not in excluded
                and (not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]))
            ]
        if continuous is None:
            continuous = [c for c in others if c not in set(categorical)]
        features = [c for c in others if c in set(categorical) | set(continuous)]
        if not features:
            raise ValueError("No feature columns selected.")
        for col in continuous:
            if not pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_bool_dtype(df[col]):
                raise ValueError(
                    f"Continuous column {col!r} is not numeric (dtype {df[col].dtype}); "
                    "list it as categorical or convert it."
                )

        nan_counts = df[[*features, target]].isna().sum()
        nan_counts = nan_counts[nan_counts > 0]
        if len(nan_counts):
            detail = ", ".join(f"{c!r}: {n}" for c, n in nan_counts.items())
            raise ValueError(f"Missing values (NaN) in {detail}; drop or impute them first.")

        values = df[target].to_numpy()
        present = pd.unique(df[target]).tolist()
        if len(present) < 2:
            raise ValueError(f"Target {target!r} has fewer than 2 classes: {present}.")
        if pd.api.types.is_float_dtype(df[target]) and (df[target] % 1 != 0).any():
            example = float(df[target][df[target] % 1 != 0].iloc[0])
            raise ValueError(
                f"Target {target!r} holds non-integer floats (e.g. {example!r}): it looks like a "
                "continuous quantity, but LAPACE explains classifiers. Turn it into classes "
                f"first, e.g. df[{target!r}] = (df[{target!r}] > threshold).astype(int)."
            )
        counts = df[target].value_counts()
        unused = counts[counts == 0].index.tolist()      # a Categorical's categories with no row
        if unused:
            raise ValueError(
                f"Target {target!r} is categorical and lists class(es) {unused[:10]} that no row "
                "has; drop the unused categories first: "
                f"df[{target!r}] = df[{target!r}].cat.remove_unused_categories().")
        if (counts < 2).any():
            rare = counts[counts < 2].index.tolist()
            raise ValueError(
                f"Target {target!r} has class(es) {rare[:10]} with a single row; the stratified "
                "train/test split needs at least 2 rows per class: drop or merge rare classes."
            )
        if classes is None:
            classes = _sorted_categories(present, target)
        else:
            classes = list(classes)
            if len(set(classes)) != len(classes) or set(classes) != set(present):
                raise ValueError(
                    f"classes {classes} must list each target value once; target has {present}."
                )
        y = pd.Categorical(values, categories=classes).codes.astype(np.int64)

        rows = np.arange(len(df))
        train_rows, test_rows = train_test_split(
            rows, test_size=test_size, random_state=seed, stratify=y
        )
        X_train = df.iloc[train_rows][features]
        X_test = df.iloc[test_rows][features]
        keep, unseen = np.ones(len(test_rows), dtype=bool), {}
        for col in categorical:
            ok = X_test[col].isin(pd.unique(X_train[col])).to_numpy()
            keep &= ok
            if not ok.all():
                unseen[col] = int((~ok).sum())
        if not keep.all():
            warn(
                f"Dropped {int((~keep).sum())} test row(s) whose categories do not occur "
                f"in the training split (rows per column: {unseen})."
            )
        return cls(
            X_train,
            X_test[keep],
            y[train_rows],
            y[test_rows][keep],
            categorical=categorical,
            continuous=continuous,
            classes=classes,
            target=target,
            name=name,
        )

    # ------------------------------------------------------------------ encoding
    def feature_slice(self, name: str) -> slice:
        """Encoded columns of feature ``name``."""
        if name not in self._slices:
            raise ValueError(f"Unknown feature {name!r}; features: {self.features}.")
        return self._slices[name]

    def _check_continuous(self, name: str) -> None:
        if name not in self.bounds_:
            raise ValueError(
                f"{name!r} is not a continuous feature; continuous: {self.continuous}."
            )

    def to_scaled(self, name: str, value: Any) -> Any:
        """Convert a value of continuous feature ``name`` from original to encoded units."""
        self._check_continuous(name)
        return (value - self.bounds_[name][0]) / self._scale[name]

    def to_original_units(self, name: str, value_scaled: Any) -> Any:
        """Convert a value of continuous feature ``name`` from encoded to original units."""
        self._check_continuous(name)
        return value_scaled * self._scale[name] + self.bounds_[name][0]

    def encode(self, df: pd.DataFrame) -> np.ndarray:
        """Encode records given in original units.

        Parameters
        ----------
        df : pandas.DataFrame
            Exactly the feature columns (any order), no missing values.

        Returns
        -------
        numpy.ndarray of float32, shape (n_rows, n_features_encoded)
        """
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"encode expects df, a pandas DataFrame of records in original units, "
                            f"got {type(df).__name__}.")
        missing = [c for c in self.features if c not in df.columns]
        if missing:
            raise ValueError(f"Missing column(s) {missing}; expected {self.features}.")
        extra = [c for c in df.columns if c not in self._slices]
        if extra:
            raise ValueError(f"Unexpected column(s) {extra}; expected {self.features}.")

        out = np.zeros((len(df), self.n_features_encoded), dtype=np.float32)
        for name in self.features:
            col = df[name]
            isna = col.isna().to_numpy()
            if isna.any():
                raise ValueError(
                    f"Column {name!r} has {int(isna.sum())} missing value(s) (NaN), "
                    f"first at row index {df.index[isna][0]!r}."
                )
            start = self._slices[name].start
            if name in self.categories_:
                known = self.categories_[name]
                codes = pd.Index(known).get_indexer(col)
                bad = codes < 0
                if bad.any():
                    raise ValueError(
                        f"Column {name!r} has unseen category {col[bad].iloc[0]!r} at row index "
                        f"{df.index[bad][0]!r}; known categories: {known}."
                    )
                out[np.arange(len(df)), start + codes] = 1.0
            else:
                if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
                    for idx, value in col.items():
                        if not _is_real_number(value):
                            raise ValueError(
                                f"Continuous column {name!r} has non-numeric value {value!r} "
                                f"at row index {idx!r}."
                            )
                values = col.to_numpy(dtype=np.float64)
                if not np.isfinite(values).all():
                    raise ValueError(f"Continuous column {name!r} has non-finite values.")
                out[:, start] = self.to_scaled(name, values)
                self._warn_far(name, values, out[:, start], df.index)
        return out

    def _warn_far(self, name: str, values: np.ndarray, scaled: np.ndarray, index) -> None:
        """Warn when a value lies more than one training range outside the training bounds."""
        excess = np.maximum(scaled - 1.0, -scaled)  # in training ranges (scale 1 if constant)
        if len(excess) and excess.max() > FAR:
            i = int(excess.argmax())
            lo, hi = self.bounds_[name]
            warn(
                f"Column {name!r} holds {values[i]:.6g} at row index {index[i]!r}, far outside "
                f"its training range [{lo:.6g}, {hi:.6g}]: a model trained on this data was "
                "never trained there; check the value and its units."
            )

    def project(self, X) -> np.ndarray:
        """Encoded rows made records that can exist, as :meth:`decode` reads them: every
        categorical block one-hot (argmax), every continuous value clipped to its training range
        and, where the training column was integer, rounded in original units.

        ``project(X)`` equals ``encode(decode(X))`` (without pandas) for values inside the
        training range; rows of NaN (nothing found) stay NaN.  Any leading shape ``(..., d)``.
        """
        X = _numeric(X, np.float32)
        if X.shape[-1:] != (self.n_features_encoded,):
            raise ValueError(f"Expected encoded data with {self.n_features_encoded} columns, "
                             f"got shape {X.shape}.")
        flat = X.reshape(-1, self.n_features_encoded)
        rows = ~np.isnan(flat).any(1)
        for name in self.features:
            block = self._slices[name]
            part = flat[rows, block]
            if name in self.categories_:
                part = np.eye(part.shape[1], dtype=np.float32)[part.argmax(1)]
            else:
                part = np.clip(part, 0.0, 1.0)
                if pd.api.types.is_integer_dtype(self._dtypes[name]):
                    whole = np.rint(self.to_original_units(name, part.astype(np.float64)))
                    part = self.to_scaled(name, whole).astype(np.float32)
            flat[rows, block] = part
        return flat.reshape(X.shape)

    def integer_features(self) -> list[str]:
        """Continuous features whose training column was integer (decoded as integers)."""
        return [c for c in self.continuous if pd.api.types.is_integer_dtype(self._dtypes[c])]

    def decode(self, X: np.ndarray) -> pd.DataFrame:
        """Turn encoded rows back into records in original units.

        Each categorical block is decoded by argmax, so probabilities or other
        non-one-hot blocks give valid categories. Continuous values are mapped
        back to original units (not clipped); a feature whose training column was
        integer (e.g. age, counts) is rounded to the nearest integer and keeps its dtype
        (clipped to the dtype's range: a ``uint8`` never wraps round to 255).

        Parameters
        ----------
        X : array-like, shape (n_rows, n_features_encoded) or (n_features_encoded,)

        Returns
        -------
        pandas.DataFrame
            Columns as in ``X_train``; categories and integer features keep their
            training dtype, other continuous columns are float64.
        """
        X = _numeric(X, np.float64)
        if X.ndim == 1:
            X = X[None, :]
        if X.ndim != 2 or X.shape[1] != self.n_features_encoded:
            raise ValueError(
                f"Expected encoded data with {self.n_features_encoded} columns, "
                f"got shape {X.shape}."
            )
        nan = np.isnan(X)
        if nan.all(1).any():
            rows = np.flatnonzero(nan.all(1))
            raise ValueError(
                f"Encoded rows {rows[:10].tolist()} are all NaN: a NaN row means that no "
                "counterfactual was found there (e.g. a path with no valid point). Decode only "
                "the rows found, e.g. ds.decode(cf.points[i][cf.found[i]]), or use "
                "res.to_frame(ds), which keeps them as rows marked found=False."
            )
        if nan.any():
            row, col = np.argwhere(nan)[0]
            raise ValueError(
                f"Encoded data contains NaN, first at row {row}, column {col} "
                f"({self.encoded_columns[col]!r})."
            )
        columns = {}
        for name in self.features:
            block = self._slices[name]
            if name in self.categories_:
                known = np.asarray(self.categories_[name], dtype=object)
                chosen = known[X[:, block].argmax(axis=1)]
                columns[name] = pd.Series(chosen, dtype=self._dtypes[name])
            else:
                values = self.to_original_units(name, X[:, block.start])
                columns[name] = (_integers(values, self._dtypes[name])
                                 if pd.api.types.is_integer_dtype(self._dtypes[name])
                                 else pd.Series(values))
        return pd.DataFrame(columns, columns=self.features)

    def __repr__(self) -> str:
        return (
            f"TabularDataset(name={self.name!r}, n_train={len(self.X_train)}, "
            f"n_test={len(self.X_test)}, continuous={len(self.continuous)}, "
            f"categorical={len(self.categorical)}, n_features_encoded={self.n_features_encoded})"
        )

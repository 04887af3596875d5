"""One protocol for every counterfactual method: ``fit``, then ``explain`` -> ``Counterfactuals``.

Every method of the package (the five baselines of :mod:`lapace.methods` and LAPACE's
First, Middle and Last, :class:`lapace.Lapace`) subclasses :class:`CounterfactualMethod`, after
the abstract base of CARLA's ``RecourseMethod``: one public method, the algorithm behind it.

- ``fit(X_train, model, dataset=None)`` checks the training inputs and the black box (an
  estimator with ``predict``, or any callable mapping encoded inputs to labels), records the
  labels the black box predicts for the training inputs and calls the method's ``_fit``;
- ``explain(X, target)`` checks the inputs once (width, fitted range, target, not already the
  target), runs the method's ``_explain_chunk`` on chunks of at most ``batch_size`` rows and
  returns one :class:`~lapace.counterfactuals.Counterfactuals` whose ``valid`` is the black
  box's own prediction of every returned point, never the method's word.

Adding a method is one module with a subclass (``_fit``, ``_explain_chunk``) and one line in
:data:`REGISTRY`; :mod:`lapace_book.benchmark.grid` and the chapters then treat it like every other.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lapace.counterfactuals import Counterfactuals
from lapace.validation import (
    check_dataset,
    check_fitted_X,
    check_frame,
    check_is_fitted,
    check_not_target,
    check_one_hot,
    check_params,
    check_target,
    check_X,
    chunks,
    feature_names,
    predict_labels,
)

__all__ = ["CounterfactualMethod", "black_box"]

def black_box(model, needs_proba: bool = False, who: str = "this method"):
    """The ``predict`` callable of ``model``: an estimator's ``predict`` or ``model`` itself.

    ``needs_proba``: the method also calls ``model.predict_proba``, which must exist.
    """
    predict = getattr(model, "predict", None)
    if not callable(predict):
        if not callable(model) or needs_proba:
            raise ValueError(
                f"model must be a fitted estimator with a predict method"
                f"{' and predict_proba' if needs_proba else ' (or a predict callable)'}, got "
                f"{type(model).__name__}.")
        predict = model
    if needs_proba and not callable(getattr(model, "predict_proba", None)):
        raise ValueError(
            f"{who} needs the model's predict_proba (class probabilities); "
            f"{type(model).__name__} has none. Wrap the model or calibrate it "
            "(sklearn.calibration.CalibratedClassifierCV) to provide one.")
    return predict


class CounterfactualMethod:
    """Base class: subclasses implement ``_fit`` and ``_explain_chunk``.

    Class attributes describe the method: ``needs_proba`` (it calls ``predict_proba``),
    ``needs_X_train`` (it searches or learns from the training inputs), ``batch_size``
    (inputs per ``_explain_chunk`` call, unless the instance sets its own) and ``params``
    (every hyper-parameter's check, :func:`lapace.validation.check_params`, run first in
    ``fit``); the property ``n_cfs`` is the number ``m`` of counterfactuals per input.
    """

    needs_proba = False
    needs_X_train = True
    batch_size = 4096
    params: dict = {}

    @property
    def n_cfs(self) -> int:
        return 1

    # ------------------------------------------------------------------ fit
    def fit(self, X_train=None, model=None, dataset=None):
        """Learn what the method needs from the training inputs and the black box.

        Parameters
        ----------
        X_train : array-like (N, d)
            Encoded training inputs (``dataset.encode(df)``); optional for methods that do
            not use them (LAPACE reads its L-GMVAE).
        model : fitted estimator or callable
            The black box: ``predict`` on encoded inputs returns integer labels; methods that
            need probabilities (RobX) also call ``predict_proba``.
        dataset : lapace.TabularDataset, optional
            The encoder of ``X_train``; required where a method needs feature types (DiCE) or
            constraints name features (LAPACE).

        Returns
        -------
        self
        """
        check_params(self, self.params)
        for name in ("X_train_", "labels_", "n_features_in_", "feature_names_in_",
                     "feature_min_", "feature_max_"):              # a refit may change them
            self.__dict__.pop(name, None)
        self.predict_ = black_box(model, self.needs_proba, type(self).__name__)
        self.model_, self.dataset_ = model, check_dataset(dataset)
        classes = getattr(model, "classes_", None)
        n_labels = len(classes) if classes is not None else None
        self.groups_ = [] if dataset is None else list(dataset.categorical_groups)
        names = feature_names(X_train) if dataset is None else list(dataset.encoded_columns)
        if X_train is None:
            if self.needs_X_train:
                raise ValueError(f"{type(self).__name__} needs the encoded training inputs: "
                                 "fit(X_train, model).")
        else:
            X_train = check_X(check_frame(X_train, names, "X_train"), name="X_train")
            check_one_hot(X_train, self.groups_, "X_train", names)
            if dataset is not None and X_train.shape[1] != dataset.n_features_encoded:
                raise ValueError(
                    f"X_train has {X_train.shape[1]} columns but dataset encodes "
                    f"{dataset.n_features_encoded}; pass dataset.encode(df).")
            labels = predict_labels(self.predict_, X_train, n_labels)
            self.X_train_, self.labels_ = X_train, labels
            self.n_features_in_ = X_train.shape[1]
            self.feature_min_, self.feature_max_ = X_train.min(0), X_train.max(0)
            if n_labels is None:
                n_labels = max(2, int(labels.max()) + 1)
        if names is not None:
            self.feature_names_in_ = names
        self.n_labels_ = n_labels
        self._fit()
        return self

    def _fit(self) -> None:
        """Method-specific learned state (indices, graphs); ``fit`` has checked everything."""

    # ------------------------------------------------------------------ explain
    def explain(self, X, target: int = 1, **options: Any) -> Counterfactuals:
        """Counterfactuals of every row of ``X`` for the label ``target``.

        ``options`` are the method's own (e.g. FACE's ``return_paths``, LAPACE's
        ``constraints``).  Inputs the black box already predicts as ``target`` are refused.
        """
        X, target = self._check_inputs(X, target)
        parts = [self._explain_chunk(X[s], target, s, **options)
                 for s in chunks(len(X), self.batch_size)]
        return Counterfactuals.concatenate(parts)

    def _explain_chunk(self, X: np.ndarray, target: int, rows: slice, **options: Any
                       ) -> Counterfactuals:
        """The counterfactuals of the checked inputs ``X`` (rows ``rows`` of the batch)."""
        raise NotImplementedError

    def _check_inputs(self, X, target, labels: bool = True) -> tuple[np.ndarray, int]:
        """Checked inputs and target; inputs already predicted as the target are refused
        (``labels=False`` skips that check)."""
        check_is_fitted(self, "predict_", "call fit(X_train, model) first")
        X = check_fitted_X(self, X, groups=self.groups_)
        target = check_target(target, self.n_labels_)
        if labels:
            check_not_target(self.predict(X), target)
        return X, target

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The black box's labels of encoded points (checked)."""
        return predict_labels(self.predict_, X, self.n_labels_)

    def _candidates(self, target: int) -> np.ndarray:
        """Indices of the training inputs the black box predicts as ``target``."""
        idx = np.flatnonzero(self.labels_ == target)
        if len(idx) == 0:
            raise ValueError(
                f"the model predicts no training input as {target}; {type(self).__name__} "
                "searches the training inputs, so it cannot find counterfactuals for that target.")
        return idx

    def _result(self, points: np.ndarray, target: int, paths=None, info=None) -> Counterfactuals:
        """Counterfactuals with ``valid`` re-predicted by the black box (NaN rows: not valid).

        With the dataset, every point is first made a record that can exist
        (:meth:`~lapace.TabularDataset.project`: one-hot groups hardened, integers rounded,
        bounds clipped) and the black box is asked about that record, the one a user reads;
        ``info["projected"]`` (n,) counts the points of each input the projection moved.
        """
        points = np.array(points, dtype=np.float32)
        n, m, d = points.shape
        info = dict(info or {})
        if self.dataset_ is not None:
            before = points.copy()
            points = self.dataset_.project(points)
            moved = ~np.isclose(points, before, atol=1e-6).all(-1) & ~np.isnan(before).any(-1)
            info["projected"] = moved.sum(1)
        flat = points.reshape(n * m, d)
        found = ~np.isnan(flat).any(1)
        valid = np.zeros(n * m, dtype=bool)
        if found.any():
            valid[found] = self.predict(flat[found]) == target
        return Counterfactuals(points, valid.reshape(n, m), paths=paths, info=info)

"""The shared skeleton of the baselines: one ``fit``/``explain`` interface, one result type.

Every method of :mod:`lapace.baselines` subclasses :class:`BaseCounterfactualMethod` (after the
abstract base of CARLA's ``RecourseMethod``: one public method, the algorithm behind it).  ``fit``
checks the training inputs and the black box and records the labels the black box predicts for the
training inputs; ``explain`` checks the inputs, runs the method on bounded chunks of them and
returns :class:`~lapace.counterfactuals.Counterfactuals` whose ``valid`` is the black box's own
prediction of every returned point, never the method's word.
"""

from __future__ import annotations

import numpy as np

from ..counterfactuals import Counterfactuals
from ..model import NotFittedError
from ..validation import check_not_target, check_range, check_target, check_X, predict_labels

__all__ = ["BaseCounterfactualMethod", "chunks"]


def chunks(n: int, size: int):
    """Slices ``0..n`` in consecutive chunks of at most ``size`` rows."""
    size = max(1, int(size))
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


class BaseCounterfactualMethod:
    """Base class: subclasses implement ``_fit`` and ``_explain_chunk``.

    Subclass attributes ``n_cfs`` (counterfactuals per input, the ``m`` of the result) and
    ``needs_proba`` (the method calls ``predict_proba``) describe the method.
    """

    needs_proba = False

    #: counterfactuals per input (``m``); DiCE and DRCE override with ``total_cfs``
    @property
    def n_cfs(self) -> int:
        return 1

    # ------------------------------------------------------------------ fit
    def fit(self, X_train, model, dataset=None):
        """Learn what the method needs from the training inputs and the black box.

        Parameters
        ----------
        X_train : array-like (N, d)
            Encoded training inputs (``dataset.encode(df)``).
        model : fitted estimator
            The black box: ``predict`` on encoded inputs returns integer labels; methods that
            need probabilities (RobX) also call ``predict_proba``.
        dataset : lapace.TabularDataset, optional
            The encoder of ``X_train``; required where a method needs feature types (DiCE).

        Returns
        -------
        self
        """
        if not callable(getattr(model, "predict", None)):
            raise ValueError(
                f"model must be a fitted estimator with a predict method, got {type(model).__name__}.")
        if self.needs_proba and not callable(getattr(model, "predict_proba", None)):
            raise ValueError(
                f"{type(self).__name__} needs the model's predict_proba (class probabilities); "
                f"{type(model).__name__} has none. Wrap the model or calibrate it "
                "(sklearn.calibration.CalibratedClassifierCV) to provide one.")
        X_train = check_X(X_train, name="X_train")
        if dataset is not None and X_train.shape[1] != dataset.n_features_encoded:
            raise ValueError(
                f"X_train has {X_train.shape[1]} columns but dataset encodes "
                f"{dataset.n_features_encoded}; pass dataset.encode(df).")
        classes = getattr(model, "classes_", None)
        n_labels = len(classes) if classes is not None else None
        labels = predict_labels(model.predict, X_train, n_labels)
        self.model_ = model
        self.dataset_ = dataset
        self.X_train_ = X_train
        self.labels_ = labels
        self.n_features_in_ = X_train.shape[1]
        self.feature_min_, self.feature_max_ = X_train.min(0), X_train.max(0)
        self.n_labels_ = n_labels if n_labels is not None else max(2, int(labels.max()) + 1)
        self._fit()
        return self

    def _fit(self) -> None:
        """Method-specific learned state (indices, graphs); ``fit`` has checked everything."""

    # ------------------------------------------------------------------ explain
    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted; call fit(X_train, model) first.")

    def _check_inputs(self, X, target, labels: bool = True) -> tuple[np.ndarray, int]:
        """Checked inputs and target; as :meth:`lapace.Lapace.explain`, inputs the black box
        already predicts as the target are refused (``labels=False`` skips that check)."""
        self._check_fitted()
        X = check_X(X, self.n_features_in_)
        check_range(X, self.feature_min_, self.feature_max_)
        target = check_target(target, self.n_labels_)
        if labels:
            check_not_target(self.predict(X), target)
        return X, target

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The black box's labels of encoded points (checked)."""
        return predict_labels(self.model_.predict, X, self.n_labels_)

    def _candidates(self, target: int) -> np.ndarray:
        """Indices of the training inputs the black box predicts as ``target``."""
        idx = np.flatnonzero(self.labels_ == target)
        if len(idx) == 0:
            raise ValueError(
                f"the model predicts no training input as {target}; {type(self).__name__} "
                "searches the training inputs, so it cannot find counterfactuals for that target.")
        return idx

    def _result(self, points: np.ndarray, target: int, paths=None, info=None) -> Counterfactuals:
        """Counterfactuals with ``valid`` re-predicted by the black box (NaN rows: not valid)."""
        points = np.asarray(points, dtype=np.float32)
        n, m, d = points.shape
        flat = points.reshape(n * m, d)
        found = ~np.isnan(flat).any(1)
        valid = np.zeros(n * m, dtype=bool)
        if found.any():
            valid[found] = self.predict(flat[found]) == target
        return Counterfactuals(points, valid.reshape(n, m), paths=paths, info=dict(info or {}))

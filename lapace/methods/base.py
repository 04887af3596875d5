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

import copy
import inspect
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

__all__ = ["CounterfactualMethod", "Estimator", "black_box", "commit_fit"]


class Estimator:
    """scikit-learn's parameter protocol for the package's estimators: ``get_params``,
    ``set_params`` and ``sklearn.base.clone``, read from ``__init__``'s signature (each
    hyper-parameter is stored under its own name).

    ``clone`` builds a new unfitted estimator with the same hyper-parameters; a hyper-parameter
    that is itself a *fitted* model the estimator explains with (``vae``, the L-GMVAE of
    :class:`~lapace.Lapace` and :class:`~lapace.groups.regions.ClusterRegions`) is shared, not
    cloned: it is data the estimator reads, as the black box is, and an unfitted copy could
    not be used.
    """

    @classmethod
    def _param_names(cls) -> list[str]:
        params = inspect.signature(cls.__init__).parameters.values()
        return [p.name for p in params if p.name != "self"
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    def get_params(self, deep: bool = True) -> dict:
        """The hyper-parameters as given to ``__init__`` (``deep``: with ``name__param`` of
        every hyper-parameter that has ``get_params`` itself)."""
        out = {}
        for name in self._param_names():
            value = getattr(self, name)
            if deep and not isinstance(value, type) and callable(getattr(value, "get_params", None)):
                out.update((f"{name}__{k}", v) for k, v in value.get_params().items())
            out[name] = value
        return out

    def set_params(self, **params):
        """Set hyper-parameters by name (checked by the next ``fit``); returns ``self``."""
        names = self._param_names()
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in names:
                raise ValueError(f"{type(self).__name__} has no parameter {name!r}; its parameters "
                                 f"are {names}.")
            if sub:
                getattr(self, name).set_params(**{sub: value})
            else:
                setattr(self, name, value)
        return self

    def __sklearn_clone__(self):
        from sklearn.base import clone

        params = {name: value if _is_fitted_model(value) else clone(value, safe=False)
                  for name, value in self.get_params(deep=False).items()}
        return type(self)(**params)


def _is_fitted_model(value) -> bool:
    """A fitted estimator (scikit-learn's convention: it holds attributes ending in ``_``)."""
    if isinstance(value, type) or not callable(getattr(value, "get_params", None)):
        return False
    return any(k.endswith("_") and not k.startswith("__") for k in vars(value))


def commit_fit(estimator, staged) -> None:
    """Make ``staged`` (a copy of ``estimator`` fitted with every check passed) the estimator's
    fitted state: what an earlier fit learned is replaced at once, so a refused refit leaves
    the estimator as it was, and a thread using it sees the old state or the new one."""
    estimator.__dict__.update(staged.__dict__)
    for name in [k for k in vars(estimator) if k not in vars(staged)]:
        delattr(estimator, name)


def unfitted_copy(estimator):
    """A shallow copy of ``estimator`` without its fitted attributes (names ending in ``_``,
    and private caches), on which ``fit`` builds the new state (:func:`commit_fit`)."""
    staged = copy.copy(estimator)
    params = set(type(estimator)._param_names()) if isinstance(estimator, Estimator) else set()
    for name in list(vars(staged)):
        if name not in params and (name.endswith("_") or name.startswith("_")):
            delattr(staged, name)
    return staged


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


class CounterfactualMethod(Estimator):
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

        A refit that is refused (a bad argument, a black box returning probabilities) leaves
        the estimator as it was: the new state is built on a copy and replaces the old one only
        once everything passed (:func:`commit_fit`).
        """
        check_params(self, self.params)
        staged = unfitted_copy(self)
        staged._fit_checked(X_train, model, dataset)
        commit_fit(self, staged)
        return self

    def _fit_checked(self, X_train, model, dataset) -> None:
        """``fit``'s work on an unfitted copy (:func:`unfitted_copy`)."""
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

        ``info["not_found"]`` (n,) says per input why it has no valid counterfactual ("" where
        it has one): the method's own reason where it gave one (``info["not_found"]`` passed
        in, e.g. a time-out), else that nothing was returned, or what the black box predicts
        for the (projected) records returned instead of the target.
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
        labels = np.full(n * m, -1, dtype=np.int64)
        if found.any():
            labels[found] = self.predict(flat[found])
            valid[found] = labels[found] == target
        valid = valid.reshape(n, m)
        info["not_found"] = self._reasons(valid, found.reshape(n, m), labels.reshape(n, m),
                                          target, info)
        return Counterfactuals(points, valid, paths=paths, info=info)

    def _reasons(self, valid, found, labels, target: int, info: dict) -> np.ndarray:
        """Per input, why it has no valid counterfactual ("" where it has one)."""
        given = info.get("not_found")
        projected = info.get("projected")
        out = np.full(len(valid), "", dtype=object)
        for i in np.flatnonzero(~valid.any(1)):
            if given is not None and given[i]:
                out[i] = str(given[i])
            elif not found[i].any():
                out[i] = f"{type(self).__name__} returned no counterfactual for this input"
            else:
                seen = sorted({int(v) for v in labels[i][found[i]]})
                record = ("the records returned, once projected onto records that can exist "
                          "(ds.project)," if projected is not None and projected[i] else
                          "the points returned")
                out[i] = (f"{record} are predicted as {seen[0] if len(seen) == 1 else seen}, "
                          f"not the target {target}")
        return out

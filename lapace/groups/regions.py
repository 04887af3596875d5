"""Recourse for groups: one action per region of the L-GMVAE's clusters (the paper's future work).

The paper's conclusion proposes region-based explanations from the structured latent space
(Rawal & Lakkaraju, 2020; Bewley et al., 2024).  :class:`ClusterRegions` derives them from a
fitted :class:`~lapace.LGMVAE` and the black box, for the inputs the black box gives the
undesired label:

1. **Groups** are the L-GMVAE's source clusters: an input belongs to the cluster ``c`` that
   maximises ``q(c|x,y)`` (Eq. 2) among the clusters that have an action, ``y`` being its
   predicted label.  The group's *prototype* is the decoded centroid ``Dec(z_c)``, the record
   the description shows as "who is in the group".
2. **One action per group** is a translation ``delta`` in the encoded space, as in GLOBE-CE
   (Ley et al., 2023): for each target cluster ``t``, ``delta_t = Dec(z_t) - mean(X_c)``, from
   the mean of the group's fitting inputs to the target prototype (the centroid *repaired* by
   :class:`~lapace.Lapace` when the black box misclassifies it).  The chosen ``t`` has the
   lowest mean cost among those within ``coverage_slack`` of the best coverage.  Columns of
   immutable features are zero, a monotone feature never moves the forbidden way.
3. **Per-input magnitude**: as GLOBE-CE's scalars, input ``x`` of the group gets the record
   ``project(x + k delta)`` for the smallest ``k`` of the grid ``scales`` whose record the black
   box predicts as the target and that satisfies the constraints; immutable columns are copied
   from ``x``.  ``k = 1`` takes the group's mean exactly to the target prototype.  An input no
   ``k`` flips is not covered.

Ours, not the papers': the groups from ``q(c|x,y)`` (AReS and GLANCE build groups from feature
subgroups or clustering of the inputs, T-CREx from a tree of optimal rules); the candidate
directions from the L-GMVAE's target prototypes (GLOBE-CE samples random directions or averages
local counterfactuals); choosing among them by coverage on the group; ``max_features``, which
keeps only the largest changes of an action so that it reads as a short list (AReS' two-level
rules are sparse by construction); the projection onto real records and the constraint check
at every scale.

Every group method here (this one, :class:`~lapace.groups.baselines.GlobeCE`,
:class:`~lapace.groups.baselines.TCREx`) follows :class:`GroupMethod`: ``fit(X, model, dataset)``
on affected inputs, then ``recourse(X)`` -> :class:`GroupRecourse` for any affected inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lapace.explain.constraints import Immutable, Monotone, as_list, compile_constraints
from lapace.explain.explainer import Lapace
from lapace.methods.base import Estimator, black_box, commit_fit, unfitted_copy
from lapace.validation import (
    boolean,
    check_dataset,
    check_fitted_X,
    check_frame,
    check_int,
    check_is_fitted,
    check_one_hot,
    check_params,
    check_real,
    check_same_encoder,
    check_X,
    chunks,
    encoder_fingerprint,
    feature_names,
    integer,
    predict_labels,
    real,
)

__all__ = ["ClusterRegions", "GroupAction", "GroupMethod", "GroupRecourse", "best_direction",
           "check_group_dataset", "describe_action", "keep_largest", "scale_grid", "smallest_scale"]


@dataclass
class GroupRecourse:
    """What a group method recommends to each input.

    ``points`` (n, d): the record each input is advised to become (encoded, projected; NaN where
    no action flips it); ``action`` (n,): index of the input's action (-1: none); ``scale`` (n,):
    the scalar ``k`` used (NaN where none, or where the method has no scale); ``flipped`` (n,):
    the black box predicts the target for the record and it satisfies the constraints.

    An input the black box already predicts as the target is not an affected input: every group
    method gives it no action (-1), no record and ``flipped`` False, so it never counts as
    covered (at cost 0).
    """

    points: np.ndarray
    action: np.ndarray
    scale: np.ndarray
    flipped: np.ndarray


@dataclass
class GroupAction:
    """One action: ``delta`` (d,) encoded translation (or a rule's bounds for T-CREx, then
    ``delta`` is NaN), the group it serves and how it did on the fitting inputs."""

    index: int
    group: str
    delta: np.ndarray
    members: int
    fit_coverage: float
    median_scale: float = float("nan")
    cluster: int = -1
    target_cluster: int = -1
    bounds: tuple | None = None


#: the most array elements a group method holds at once in its batched steps (candidates of
#: every scale, input-to-training-input distances): 2**24 float32, 64 MiB per array
MAX_ELEMENTS = 2 ** 24


def scale_grid(max_scale: float, n_scales: int) -> np.ndarray:
    """``n_scales`` evenly spaced scalars in ``(0, max_scale]``."""
    return np.linspace(0.0, float(max_scale), int(n_scales) + 1, dtype=np.float32)[1:]


def smallest_scale(X, deltas, scales, predict, target: int, project=None, fixed=(),
                   satisfied=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GLOBE-CE's per-input scaling: for each row, the smallest ``k`` in ``scales`` that flips it.

    Parameters
    ----------
    X : (n, d) inputs; ``deltas`` : (n, d) each row's translation (or (d,) for all).
    scales : increasing (S,) scalars.
    predict : black box on encoded records; ``target``: the desired label.
    project : records that can exist (``TabularDataset.project``), or None.
    fixed : encoded columns copied from the input (immutable features).
    satisfied : ``satisfied(X_cf, X0) -> (n,) bool``, the constraints, or None.

    Returns
    -------
    scale (n,) (NaN: none flips), points (n, d) (NaN rows: none), flipped (n,) bool.
    """
    X = np.asarray(X, dtype=np.float32)
    n, d = X.shape
    deltas = np.broadcast_to(np.asarray(deltas, dtype=np.float32), (n, d))
    scales = np.asarray(scales, dtype=np.float32)
    size = max(1, MAX_ELEMENTS // max(1, len(scales) * d))
    if n > size:                        # bounded memory: (rows, S, d) candidates per chunk
        parts = [smallest_scale(X[s], deltas[s], scales, predict, target, project, fixed,
                                satisfied) for s in chunks(n, size)]
        return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))
    cand = X[:, None, :] + scales[None, :, None] * deltas[:, None, :]       # (n, S, d)
    cand = cand.reshape(n * len(scales), d)
    if project is not None:
        cand = project(cand)
    fixed = np.asarray(fixed, dtype=np.int64)
    X0 = np.repeat(X, len(scales), axis=0)
    if len(fixed):
        cand[:, fixed] = X0[:, fixed]
    ok = np.asarray(predict(cand)) == target
    if satisfied is not None and ok.any():
        ok[ok] = satisfied(cand[ok], X0[ok])
    ok = ok.reshape(n, len(scales))
    flipped = ok.any(1)
    first = ok.argmax(1)
    scale = np.where(flipped, scales[first], np.nan).astype(np.float32)
    points = np.full((n, d), np.nan, dtype=np.float32)
    rows = np.flatnonzero(flipped)
    points[rows] = cand.reshape(n, len(scales), d)[rows, first[rows]]
    return scale, points, flipped


def _feature_blocks(dataset, d: int) -> list[slice]:
    if dataset is None:
        return [slice(j, j + 1) for j in range(d)]
    return [dataset.feature_slice(f) for f in dataset.features]


def keep_largest(delta: np.ndarray, blocks: list[slice], max_features: int | None) -> np.ndarray:
    """``delta`` with all but its ``max_features`` largest feature changes set to 0 (a one-hot
    block's change is half its L1 norm, 1 for a full switch)."""
    if max_features is None or max_features >= len(blocks):
        return delta
    size = np.array([np.abs(delta[b]).sum() / (2.0 if b.stop - b.start > 1 else 1.0)
                     for b in blocks])
    out = np.zeros_like(delta)
    for j in np.argsort(-size)[:int(max_features)]:
        out[blocks[j]] = delta[blocks[j]]
    return out


def best_direction(X, deltas, translate, slack: float = 0.0) -> tuple[int, np.ndarray, float]:
    """The direction of ``deltas`` to recommend to the inputs ``X``: the cheapest (mean L1 over
    the inputs it flips) among those whose coverage is within ``slack`` of the best coverage.

    ``translate(X, delta) -> (scale, points, flipped)`` (:func:`smallest_scale`).  Returns the
    index, the per-input scales of the chosen direction and its coverage.
    """
    deltas = np.asarray(deltas, dtype=np.float32)
    n, m = len(X), len(deltas)
    scale, points, flipped = translate(np.tile(X, (m, 1)), np.repeat(deltas, n, axis=0))
    runs = [(scale[i * n:(i + 1) * n], points[i * n:(i + 1) * n], flipped[i * n:(i + 1) * n])
            for i in range(m)]                          # one call of the black box for all
    cover = np.array([r[2].mean() for r in runs])
    cost = np.array([np.abs(p[f] - X[f]).sum(1).mean() if f.any() else np.inf
                     for _, p, f in runs])
    ok = cover >= cover.max() - slack - 1e-12
    i = int(np.flatnonzero(ok)[np.argmin(cost[ok])])
    return i, runs[i][0], float(cover[i])


class GroupMethod(Estimator):
    """Base of group recourse: ``fit(X, model, dataset, X_train=None)`` on inputs the black box
    does not give ``target``, then ``assign``/``recourse`` for any such inputs.

    Inputs (``X``, ``X_train``, and every later call) are checked as :class:`~lapace.Lapace`
    checks them (:func:`~lapace.validation.check_fitted_X`): an encoded DataFrame's columns are
    matched by name (the dataset's ``encoded_columns``, else the fitted frame's), never by
    position.  Inputs already predicted as the target get no action (:class:`GroupRecourse`).
    A refused refit leaves the method as it was.

    Subclasses set ``actions_`` in ``_fit`` and implement ``assign`` (and ``_apply`` if an
    action is not a scaled translation).
    """

    target = 1
    constraints = None
    max_scale = 2.0
    n_scales = 40
    #: hyper-parameter checks applied at the start of ``fit`` (lapace.validation.check_params)
    params: dict = {"target": integer(0), "max_scale": real(0.0, low_open=True),
                    "n_scales": integer(1)}

    def fit(self, X, model, dataset=None, X_train=None):
        """Learn the actions from affected inputs ``X`` (encoded, none predicted ``target``).

        ``X_train``: the black box's training inputs, for methods that search them.
        """
        check_params(self, self.params)
        staged = unfitted_copy(self)
        staged._fit_checked(X, model, dataset, X_train)
        commit_fit(self, staged)
        return self

    def _fit_checked(self, X, model, dataset, X_train) -> None:
        """``fit``'s work on an unfitted copy (:func:`~lapace.methods.base.unfitted_copy`)."""
        self.predict_ = black_box(model, who=type(self).__name__)
        self.dataset_ = check_dataset(dataset)
        names = feature_names(X) if dataset is None else list(dataset.encoded_columns)
        self.groups_ = [] if dataset is None else list(dataset.categorical_groups)
        X = check_X(check_frame(X, names, "X"),
                    None if dataset is None else dataset.n_features_encoded)
        check_one_hot(X, self.groups_, "X", names)
        self.n_features_in_ = X.shape[1]
        if names is not None:
            self.feature_names_in_ = names
        labels = predict_labels(self.predict_, X)
        if (labels == self.target).any():
            raise ValueError(f"{int((labels == self.target).sum())} of the {len(X)} inputs are "
                             f"already predicted as target {self.target}; fit on affected inputs.")
        self.X_train_ = None if X_train is None else self._check(X_train, "X_train")
        cons = as_list(self.constraints)
        self.compiled_ = compile_constraints(cons, dataset) if cons else None
        fixed = [range(dataset.feature_slice(c.feature).start, dataset.feature_slice(c.feature).stop)
                 for c in cons if isinstance(c, Immutable)] if dataset is not None else []
        self.fixed_ = np.array(sorted({j for r in fixed for j in r}), dtype=np.int64)
        self.monotone_ = {dataset.feature_slice(c.feature).start: 1.0 if c.direction == "increase"
                          else -1.0 for c in cons if isinstance(c, Monotone)} if dataset else {}
        self.blocks_ = _feature_blocks(dataset, X.shape[1])
        self.scales_ = scale_grid(self.max_scale, self.n_scales)
        self._fit(X, labels)
        action = self.assign(X)
        self.group_means_ = np.stack([X[action == a].mean(0) if (action == a).any()
                                      else np.full(X.shape[1], np.nan, np.float32)
                                      for a in range(len(self.actions_))]) if self.actions_ \
            else np.empty((0, X.shape[1]), np.float32)

    def _check(self, X, name: str = "X") -> np.ndarray:
        """Inputs checked as the fitted method reads them (columns of a frame by name, width,
        one-hot blocks: :func:`~lapace.validation.check_fitted_X`)."""
        return check_fitted_X(self, X, name, getattr(self, "groups_", ()))

    def _affected(self, X: np.ndarray) -> np.ndarray:
        """(n,) whether the black box does *not* already predict the target for each input."""
        return predict_labels(self.predict_, X) != self.target

    def _fit(self, X: np.ndarray, labels: np.ndarray) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def assign(self, X) -> np.ndarray:  # pragma: no cover - interface
        """Index of each input's action (-1: none)."""
        raise NotImplementedError

    @property
    def n_actions(self) -> int:
        check_is_fitted(self, "actions_", "call fit(X, model, dataset) first")
        return len(self.actions_)

    def prototype(self, action: int) -> np.ndarray:
        """A record representing the group of ``action``: its fitting inputs' mean, projected."""
        return self._project(self.group_means_[[action]])[0]

    def _project(self, X):
        return X if self.dataset_ is None else self.dataset_.project(X)

    def _satisfied(self):
        return None if self.compiled_ is None else self.compiled_.satisfied

    def admissible(self, delta: np.ndarray) -> np.ndarray:
        """``delta`` with immutable columns 0, monotone ones 0 where they point the wrong way,
        and only its ``max_features`` largest feature changes (:func:`keep_largest`)."""
        delta = np.array(delta, dtype=np.float32, copy=True)
        delta[self.fixed_] = 0.0
        for j, sign in self.monotone_.items():
            if sign * delta[j] < 0:
                delta[j] = 0.0
        return keep_largest(delta, self.blocks_, getattr(self, "max_features", None))

    def choose(self, X, deltas) -> tuple[int, np.ndarray, float]:
        """:func:`best_direction` with this method's grid, black box and constraints."""
        return best_direction(X, deltas, self.translate, getattr(self, "coverage_slack", 0.0))

    def translate(self, X, delta) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:func:`smallest_scale` with this method's black box, projection and constraints."""
        return smallest_scale(X, delta, self.scales_, self.predict_, self.target, self._project,
                              self.fixed_, self._satisfied())

    def apply(self, action: int, X, scale: float) -> np.ndarray:
        """The record action ``action`` gives each row of ``X`` at scale ``scale`` (no check
        of the black box): ``project(x + scale * delta)``, immutable columns copied from ``x``."""
        check_is_fitted(self, "actions_", "call fit(X, model, dataset) first")
        X = self._check(X)
        out = self._project(X + np.float32(scale) * self.actions_[action].delta[None])
        out[:, self.fixed_] = X[:, self.fixed_]
        return out

    def recourse(self, X) -> GroupRecourse:
        """Each input's action and record (the smallest flipping scale of its action); an
        input already predicted as the target gets none (-1, not flipped)."""
        check_is_fitted(self, "actions_", "call fit(X, model, dataset) first")
        X = self._check(X)
        action = self.assign(X)
        n, d = X.shape
        out = GroupRecourse(np.full((n, d), np.nan, np.float32), action,
                            np.full(n, np.nan, np.float32), np.zeros(n, bool))
        for a in np.unique(action[action >= 0]):
            rows = np.flatnonzero(action == a)
            scale, points, flipped = self._apply(int(a), X[rows])
            out.scale[rows], out.points[rows], out.flipped[rows] = scale, points, flipped
        return out

    def _apply(self, action: int, X: np.ndarray):
        return self.translate(X, self.actions_[action].delta)


class ClusterRegions(GroupMethod):
    """Group recourse from the L-GMVAE's clusters (see the module docstring for the algorithm
    and which choices are ours).

    Parameters
    ----------
    vae : a fitted :class:`~lapace.LGMVAE` (trained on the black box's predictions).
    target : the desired label.
    constraints : list of :mod:`lapace.explain.constraints` (``Immutable`` columns are never moved;
        every constraint must hold on the record for it to count).
    max_scale, n_scales : the grid of scalars ``k`` in ``(0, max_scale]``.
    max_features : keep only this many largest feature changes per action (None: all).
    coverage_slack : among the target prototypes, the cheapest direction whose coverage of the
        group is within this share of the best (:func:`best_direction`).
    repair_centroids : use :class:`~lapace.Lapace`'s repaired target centroids.

    Attributes
    ----------
    actions_ : list of :class:`GroupAction`, one per source cluster with fitting inputs.
    prototypes_ : (K, d) decoded (repaired) centroids, projected to records.
    """

    params = {**GroupMethod.params, "max_features": integer(1, none=True),
              "coverage_slack": real(0.0, 1.0), "repair_centroids": boolean()}

    def __init__(self, vae, target: int = 1, constraints=None, max_scale: float = 2.0,
                 n_scales: int = 40, max_features: int | None = None,
                 coverage_slack: float = 0.05, repair_centroids: bool = True):
        self.vae = vae
        self.target = target
        self.constraints = constraints
        self.max_scale = max_scale
        self.n_scales = n_scales
        self.max_features = max_features
        self.coverage_slack = coverage_slack
        self.repair_centroids = repair_centroids

    def _fit(self, X, labels) -> None:
        lap = Lapace(self.vae, repair_centroids=self.repair_centroids).fit(
            model=self.predict_, dataset=self.dataset_)
        self.prototypes_ = self._project(self.vae.decode(lap.targets_))
        targets = self.vae.clusters(self.target)
        cluster = self._cluster(X, labels, None)
        self.actions_ = []
        for c in np.unique(cluster):
            members = X[cluster == c]
            deltas = [self.admissible(self.prototypes_[t] - members.mean(0)) for t in targets]
            i, scale, cov = self.choose(members, deltas)
            self.actions_.append(GroupAction(
                index=len(self.actions_), group=f"cluster {c}", delta=deltas[i],
                members=len(members), fit_coverage=cov,
                median_scale=float(np.nanmedian(scale)) if cov > 0 else float("nan"),
                cluster=int(c), target_cluster=int(targets[i])))
        self.cluster_action_ = {a.cluster: a.index for a in self.actions_}

    def _cluster(self, X, labels, allowed) -> np.ndarray:
        """Most probable cluster ``argmax q(c|x,y)`` (index into all K), among ``allowed``."""
        proba = self.vae.predict_cluster_proba(X, labels)                    # (n, K_y)
        k = self.vae.clusters_per_class
        index = labels[:, None] * k + np.arange(k)[None]                      # (n, K_y)
        if allowed is not None:
            proba = np.where(np.isin(index, list(allowed)), proba, -1.0)
        best = proba.argmax(1)
        out = index[np.arange(len(X)), best]
        return np.where(proba[np.arange(len(X)), best] < 0, -1, out)

    def assign(self, X) -> np.ndarray:
        """The action of each input's most probable source cluster that has one (-1: none)."""
        check_is_fitted(self, "actions_", "call fit(X, model, dataset) first")
        X = self._check(X)
        labels = predict_labels(self.predict_, X)
        cluster = self._cluster(X, labels, self.cluster_action_)
        return np.array([self.cluster_action_.get(int(c), -1) for c in cluster], dtype=np.int64)

    def prototype(self, action: int) -> np.ndarray:
        """The group's prototype: decoded centroid of its source cluster (encoded record)."""
        return self._project(self.vae.decode(self.vae.centroids()[[self.actions_[action].cluster]]))[0]


def describe_action(method: GroupMethod, action: int, dataset, who=None, tol: float = 1e-3,
                    scale: float | None = None) -> pd.DataFrame:
    """What action ``action`` changes, in original units: one row per changed feature.

    ``who`` (d,): the group's representative record (encoded; default: the method's
    ``prototype(action)``).  Columns: ``feature``, ``group's value`` (``who`` decoded), ``after``
    (the record the action gives ``who`` at ``scale``, default the action's median scale on the
    fitting inputs), ``change`` (after minus before, or "A → B" for a category).

    ``dataset`` must be the dataset the method was fitted with (the same encoder, not only the
    same width); ``action`` an index ``0..n_actions-1`` (-1, "no action", has nothing to
    describe); ``scale`` a positive number or None.
    """
    if not isinstance(method, GroupMethod):
        raise TypeError(f"method must be a fitted group method (ClusterRegions, GlobeCE, TCREx), "
                        f"got {type(method).__name__}.")
    check_is_fitted(method, "actions_", "call fit(X, model, dataset) first")
    if isinstance(action, int | np.integer) and not isinstance(action, bool) and action == -1:
        raise ValueError("action -1 means 'no action' (an input no action serves, "
                         "GroupRecourse.action == -1): there is nothing to describe. Pass an "
                         f"action index 0..{method.n_actions - 1}.")
    action = check_int(action, "action", 0, method.n_actions - 1)
    dataset = check_group_dataset(method, dataset)
    a = method.actions_[action]
    if who is None:
        who = method.prototype(action)
    elif isinstance(who, pd.Series):
        who = who.to_frame().T
    who = method._check(np.atleast_2d(who) if not isinstance(who, pd.DataFrame) else who, "who")
    if len(who) != 1:
        raise ValueError(f"who must be one encoded record (d,), got {len(who)} rows.")
    if scale is not None:
        scale = check_real(scale, "scale", low=0.0, low_open=True, what="a positive number or None")
    tol = check_real(tol, "tol", low=0.0)
    scale = a.median_scale if scale is None else scale
    scale = 1.0 if not np.isfinite(scale) else scale
    before = dataset.decode(who).iloc[0]
    after = dataset.decode(method.apply(action, who, scale)).iloc[0]
    rows = []
    for f in dataset.features:
        if f in dataset.categorical:
            if before[f] != after[f]:
                rows.append({"feature": f, "group's value": before[f], "after": after[f],
                             "change": f"{before[f]} → {after[f]}"})
        else:
            lo, hi = dataset.bounds_[f]
            diff = float(after[f]) - float(before[f])
            if abs(diff) > tol * max(hi - lo, 1e-12):
                rows.append({"feature": f, "group's value": before[f], "after": after[f],
                             "change": f"{diff:+.3g}"})
    return pd.DataFrame(rows, columns=["feature", "group's value", "after", "change"])


def check_group_dataset(method: GroupMethod, dataset):
    """``dataset`` as the dataset ``method`` was fitted with: the same encoder (fingerprint) when
    the method knows its dataset, else at least the same encoded columns and width; ``None``
    is refused (reading an action in original units needs the dataset)."""
    if dataset is None:
        raise ValueError("dataset is None: reading an action in original units needs the dataset "
                         "the group method was fitted with; pass it, e.g. "
                         "describe_action(method, 0, ds).")
    dataset = check_dataset(dataset, none=False)
    own = getattr(method, "dataset_", None)
    if own is not None:
        check_same_encoder(dataset, encoder_fingerprint(own.encoder_state()), "dataset",
                           f"the {type(method).__name__} was fitted with", own.encoder_state())
        return dataset
    names = getattr(method, "feature_names_in_", None)
    if dataset.n_features_encoded != method.n_features_in_ or (
            names is not None and list(names) != list(dataset.encoded_columns)):
        raise ValueError(f"dataset encodes {dataset.n_features_encoded} columns "
                         f"{list(dataset.encoded_columns)[:3]}... but the "
                         f"{type(method).__name__} was fitted on {method.n_features_in_} columns"
                         f"{'' if names is None else ' ' + str(list(names)[:3]) + '...'}: pass "
                         "the dataset whose encoding its inputs have (and fit it with dataset=ds).")
    return dataset

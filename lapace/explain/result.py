"""The result of LAPACE: every input's decoded paths to the target's centroids (§3.2, §4.1).

:class:`LapaceResult` holds the paths of :meth:`lapace.Lapace.explain_paths` with the black
box's label and, with constraints, their satisfaction at every point, and picks the three
points of §4.1 from them: ``first()`` (the first point predicted as the target), ``middle()``
(the decoded latent midpoint between First and the centroid) and ``last()`` (the decoded
centroid), each a :class:`~lapace.counterfactuals.Counterfactuals`.  ``to_frame`` gives the
result as a long table in original units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lapace.counterfactuals import Counterfactuals
from lapace.validation import check_dataset, check_same_encoder, warn

__all__ = ["LapaceResult", "counted"]


@dataclass
class LapaceResult:
    """The paths of one :meth:`Lapace.explain` call.

    Attributes
    ----------
    paths : (n, k, T, d) decoded points in encoded space; ``paths[:, j, 0]`` is the
        reconstruction of each input, ``paths[:, j, -1]`` the (repaired) decoded centroid.
    labels : (n, k, T) black-box predictions of every path point.
    taus : (T,) interpolation grid from 0 to 1.
    latents : (n, k, T, h) latent points (after any constraint correction).
    target : the target label y'.
    clusters : (k,) the target label's cluster indices, one per path.
    input_labels : (n,) black-box labels of the inputs.
    satisfied : (n, k, T) whether every constraint holds at each point, or ``None``.
    first_index : (n, k) index into ``taus`` of the first *counted* point (predicted as the
        target and, with constraints, satisfying them all), -1 where the path has none.
    middle_satisfied : (n, k) whether the constraints hold at the middle points, or ``None``.
    dataset_fingerprint : the fingerprint of the explainer's dataset encoder
        (:func:`lapace.validation.encoder_fingerprint`), or ``None``; ``to_frame`` refuses
        another encoder, even one of the same width.

    With constraints, a counterfactual counts only if it is valid **and** satisfies them:
    ``valid``, ``first()``, ``middle()`` and ``last()`` include satisfaction;
    ``predicted`` is the black box's word alone.
    """

    paths: np.ndarray
    labels: np.ndarray
    taus: np.ndarray
    latents: np.ndarray
    target: int
    clusters: np.ndarray
    input_labels: np.ndarray
    satisfied: np.ndarray | None
    first_index: np.ndarray
    middle_points: np.ndarray
    middle_labels: np.ndarray
    middle_satisfied: np.ndarray | None = None
    dataset_fingerprint: str | None = None

    def first(self) -> Counterfactuals:
        """LAPACE-First: the first point on each path predicted as the target (NaN if none)."""
        valid = self.first_index >= 0
        idx = np.where(valid, self.first_index, 0)
        pts = np.take_along_axis(self.paths, idx[:, :, None, None], axis=2)[:, :, 0]
        pts = np.where(valid[..., None], pts, np.nan).astype(np.float32)
        return Counterfactuals(pts, valid)

    def middle(self) -> Counterfactuals:
        """LAPACE-Middle: decoding of the latent midpoint between First and the centroid (a
        copy: changing its points leaves the result as it is)."""
        valid = counted(self.middle_labels, self.target, self.middle_satisfied)
        return Counterfactuals(self.middle_points.copy(), valid & (self.first_index >= 0))

    def last(self) -> Counterfactuals:
        """LAPACE-Last: the decoded (repaired) centroids, tau = 1 (a copy of the paths' ends).

        With constraints, a centroid that breaks them (after the §3.3 corrections) is not
        valid for that input: a warning says how often, and ``info["satisfied"]`` tells where.
        """
        valid = self.valid[:, :, -1]
        cf = Counterfactuals(self.paths[:, :, -1].copy(), valid)
        if self.satisfied is not None:
            sat = self.satisfied[:, :, -1]
            cf.info.update(satisfied=sat.copy(), predicted=self.predicted[:, :, -1].copy())
            broken = self.predicted[:, :, -1] & ~sat
            if broken.any():
                warn(
                    f"LAPACE-Last: the (corrected) decoded centroid breaks the constraints on "
                    f"{int(broken.sum())} of {broken.size} paths although the black box predicts "
                    "the target; these are marked invalid (see info['satisfied']).")
        return cf

    @property
    def start_valid(self) -> np.ndarray:
        """(n, k) whether the path's first point (tau = 0) already counts.  With
        ``start="reconstruction"`` that point is the input's reconstruction, not the input:
        where it counts, LAPACE-First is the reconstruction itself."""
        return self.valid[:, :, 0]

    @property
    def predicted(self) -> np.ndarray:
        """(n, k, T) whether each path point is predicted as the target (constraints aside)."""
        return self.labels == self.target

    @property
    def valid(self) -> np.ndarray:
        """(n, k, T) whether each path point counts: predicted as the target and, with
        constraints, satisfying them."""
        return counted(self.labels, self.target, self.satisfied)

    def to_frame(self, dataset=None, which: str = "all") -> pd.DataFrame:
        """The result as a long table, one row per input × path × step (``which="all"``) or
        per chosen counterfactual (``which="first" | "middle" | "last"``).

        Columns: ``input`` (row of ``X``), ``path`` (0..k-1), ``cluster``, ``step`` and
        ``tau`` (for ``middle``: the tau of the latent midpoint before any correction),
        ``label`` (the black box's), ``valid``, ``satisfied`` (NA without constraints or
        where not computed; ``valid`` includes it), ``found``, then the features: in original
        units when the
        :class:`~lapace.TabularDataset` is given (integer features as integers), else the
        encoded columns ``x0, x1, ...``.  A path with no counterfactual stays in the table
        as a row with ``found=False`` and missing features.  A feature named like one of the
        table's own columns (``label``, ``valid``, ``step``, ...) is shown as
        ``"label (feature)"`` (:func:`lapace.validation.unclash`): no column is duplicated.
        """
        from lapace.validation import unclash

        if not isinstance(which, str) or which not in ("all", "first", "middle", "last"):
            raise ValueError(f'which must be "all", "first", "middle" or "last", got {which!r}.')
        if check_dataset(dataset) is not None:
            check_same_encoder(dataset, self.dataset_fingerprint, "dataset",
                               "the paths were explained with (Lapace(...).fit(dataset=...))")
        n, k, T, d = self.paths.shape
        grid = np.indices((n, k)).reshape(2, -1)
        if which == "all":
            grid = np.indices((n, k, T)).reshape(3, -1)
            points, labels = self.paths.reshape(-1, d), self.labels.reshape(-1)
            step = grid[2]
            satisfied = None if self.satisfied is None else self.satisfied.reshape(-1)
        elif which in ("first", "middle", "last"):
            cf = getattr(self, which)()
            points = cf.points.reshape(-1, d)
            first = self.first_index.reshape(-1)
            if which == "last":
                step = np.full(n * k, T - 1)
                labels = self.labels[:, :, -1].reshape(-1)
            elif which == "first":
                step, labels = first, np.take_along_axis(
                    self.labels, np.maximum(self.first_index, 0)[..., None], 2).reshape(-1)
            else:
                step, labels = np.full(n * k, -1), self.middle_labels.reshape(-1)
            satisfied = None
            if self.satisfied is not None and which != "middle":
                satisfied = np.take_along_axis(
                    self.satisfied, np.maximum(step, 0).reshape(n, k, 1), 2).reshape(-1)
            elif which == "middle" and self.middle_satisfied is not None:
                satisfied = self.middle_satisfied.reshape(-1)
        else:
            raise ValueError(f'which must be "all", "first", "middle" or "last", got {which!r}.')
        found = ~np.isnan(points).any(1)
        tau = np.where(step >= 0, self.taus[np.maximum(step, 0)].astype(np.float64), np.nan)
        if which == "middle":
            tau = np.where(found, 0.5 * (self.taus[np.maximum(first, 0)] + 1.0), np.nan)
        valid = (labels == self.target) & found
        if satisfied is not None:                       # counted only where the constraints hold
            valid &= satisfied
        if which in ("first", "middle", "last"):
            valid = getattr(self, which)().valid.reshape(-1)
        frame = pd.DataFrame({
            "input": grid[0], "path": grid[1], "cluster": self.clusters[grid[1]],
            "step": pd.array(np.where(step >= 0, step, None), dtype="Int64"), "tau": tau,
            "label": pd.array(np.where(found, labels, None), dtype="Int64"),
            "valid": valid,
            "satisfied": pd.array([None] * len(found) if satisfied is None
                                  else np.where(found, satisfied, None), dtype="boolean"),
            "found": found,
        })
        features = _features(points, found, dataset)
        features.columns = unclash(list(features.columns), frame.columns)
        return pd.concat([frame, features], axis=1)


def counted(labels: np.ndarray, target: int, satisfied: np.ndarray | None) -> np.ndarray:
    """Counterfactuals count only if valid *and* (with constraints) satisfying them all."""
    hit = labels == target
    return hit if satisfied is None else hit & satisfied


def _features(points: np.ndarray, found: np.ndarray, dataset) -> pd.DataFrame:
    """Rows of ``points`` as features (original units with a dataset); missing where not found."""
    if dataset is None:
        return pd.DataFrame(points, columns=[f"x{j}" for j in range(points.shape[1])])
    decoded = dataset.decode(points[found])
    decoded.index = np.flatnonzero(found)
    full = decoded.reindex(range(len(points)))
    for col in decoded.columns:
        if pd.api.types.is_integer_dtype(decoded[col]) and not found.all():
            full[col] = full[col].astype("Int64")  # integers stay integers beside missing rows
    return full.reset_index(drop=True)

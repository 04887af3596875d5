"""LAPACE: latent-path counterfactual explanations (paper Algorithm 1, §3.2–3.3, §4.1).

For every input x (label y = M(x)) and a target label y', LAPACE interpolates in the
L-GMVAE's latent space from z_x = Enc(x, y) to every centroid z_c of y',
``z_tau = (1 - tau) z_x + tau z_c``, decodes every point and asks the black box M
for its label.  Inputs are handled ``batch_size`` at a time (all their paths and steps in
one batched pass), so memory beyond the result itself stays bounded whatever n is.

Centroid repair (``repair_centroids=True``) is this project's extension, not the
paper's: a target centroid whose decoding the black box does not assign to its own
label is replaced, once and for all inputs, by the first point on the latent segment
from the centroid towards the medoid of its cluster's correctly predicted members
whose decoding is predicted correctly (when no member is, the medoid is taken among
samples of p(z|c), then among all of the label's members, with a warning).  The
target stays fixed for every input, so robustness to input changes stays exact.

:class:`Lapace` is a method of the package's one protocol (:mod:`lapace.methods.base`):
``Lapace(vae, point="first").fit(model=clf, dataset=ds)`` checks the centroids against the
black box once; ``explain(X, target)`` returns the ``point`` of every path (First, Middle or
Last, §4.1) as :class:`~lapace.counterfactuals.Counterfactuals`, and ``explain_paths`` the
whole paths as a :class:`~lapace.explain.result.LapaceResult`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import torch
from scipy.spatial.distance import cdist

from lapace.counterfactuals import Counterfactuals
from lapace.explain.constraints import Constraint, compile_constraints, fixed_columns
from lapace.explain.engine import FastRoutes
from lapace.explain.result import LapaceResult, counted
from lapace.lgmvae.elbo import reparameterize
from lapace.lgmvae.model import LGMVAE
from lapace.methods.base import CounterfactualMethod
from lapace.validation import (
    SEED,
    boolean,
    check_is_fitted,
    check_labels,
    check_not_target,
    check_same_encoder,
    choice,
    encoder_fingerprint,
    integer,
    real,
    warn,
)

__all__ = ["POINTS", "Lapace", "LapaceResult"]

#: the points of a path that §4.1 compares (``Lapace(point=...)``)
POINTS = ("first", "middle", "last")


def _fitted_vae(vae, name: str) -> None:
    """A fitted :class:`~lapace.LGMVAE`."""
    if not isinstance(vae, LGMVAE):
        raise TypeError(f"{name} must be a fitted lapace.LGMVAE, got {type(vae).__name__}.")
    check_is_fitted(vae, "net_", f"{name}: call vae.fit(X, y) or LGMVAE.load(path) first")


def _warn_unsatisfied(violation, held: np.ndarray, shape: tuple[int, int, int]) -> None:
    """Warn, naming it, for every constraint that no point of any path satisfies."""
    n, k, T = shape
    for name, ok in zip(violation.names, held, strict=True):
        if not ok:
            warn(
                f"Constraint {name} holds at no point of any path ({n} input(s) x {k} paths x "
                f"{T} steps, after the corrections): no counterfactual satisfies it. Check its "
                "bounds against the data, or raise max_corrections / eta.")


class Lapace(FastRoutes, CounterfactualMethod):
    """LAPACE counterfactual paths with a fitted :class:`~lapace.LGMVAE` (Algorithm 1).

    ``Lapace(vae).fit(model=clf, dataset=ds)``, then ``explain(X, target)`` for one point per
    path, or ``explain_paths(X, target)`` for the paths.  The black box is any estimator with
    ``predict`` or any callable mapping encoded inputs (n, d) to integer labels (n,).

    Parameters
    ----------
    vae : a fitted L-GMVAE (trained on the black box's predictions).
    point : which point of every path :meth:`explain` returns (§4.1): ``"first"`` (the first
        point predicted as the target), ``"middle"`` (the decoded latent midpoint between First
        and the centroid) or ``"last"`` (the decoded centroid).
    steps : number T of evenly spaced tau values in [0, 1] (paper: 21).
    repair_centroids : replace target centroids the black box misclassifies (our
        extension, see the module docstring); ``False`` is the paper's method exactly.
    repair_steps : resolution of the search along the centroid–medoid segment.
    eta, max_corrections : step size and budget of the gradient corrections of §3.3.
    max_medoid_points : members used to find a cluster's medoid (a subsample seeded by the
        cluster's index).
    start : where each path starts.  ``"reconstruction"`` (the paper's Algorithm 1): at
        Dec(Enc(x, y)), so tau = 0 is the input's reconstruction, which may already cross the
        black box's boundary (``LapaceResult.start_valid``; a warning when it does for most
        paths).  ``"input"`` (ours): the decoded path plus the fading residual
        (1 - tau)(x - Dec(z_x)), added before one-hot hardening, so tau = 0 is exactly x and
        tau = 1 exactly the decoded centroid (LAPACE-Last, and its robustness, unchanged).
    batch_size : inputs explained at a time; memory beyond the result grows with
        ``batch_size * k * steps``, not with the number of inputs.  Results do not depend on it
        up to float rounding of the networks' batched matrix products.
    seed : unused (given the L-GMVAE, LAPACE is deterministic); kept for the common interface.

    Attributes (after ``fit``)
    --------------------------
    centroid_report_ : DataFrame, one row per cluster: its label, what the black box
        predicts for the decoded centroid, whether it was repaired, how far it moved
        (``moved_fraction`` of the segment to the medoid, ``moved_distance`` in latent
        space), where the medoid came from (``repair_source``: the cluster's members, or,
        when none is predicted correctly, samples of p(z|c), then the label's members)
        and whether the final target is valid.
    targets_ : (K, h) latent targets actually used (repaired centroids).
    taus_ : (T,) the interpolation grid.
    """

    needs_X_train = False
    params = {"vae": _fitted_vae, "point": choice(*POINTS), "steps": integer(2),
              "repair_centroids": boolean(), "repair_steps": integer(), "eta": real(0, low_open=True),
              "max_corrections": integer(0), "max_medoid_points": integer(), "batch_size": integer(),
              "start": choice("reconstruction", "input"), "seed": SEED}

    def __init__(
        self,
        vae: LGMVAE,
        point: str = "first",
        steps: int = 21,
        repair_centroids: bool = True,
        repair_steps: int = 50,
        eta: float = 1.0,
        max_corrections: int = 100,
        max_medoid_points: int = 2000,
        batch_size: int = 256,
        start: str = "reconstruction",
        seed: int = 0,
    ):
        self.vae = vae
        self.point = point
        self.steps = steps
        self.repair_centroids = repair_centroids
        self.repair_steps = repair_steps
        self.eta = eta
        self.max_corrections = max_corrections
        self.max_medoid_points = max_medoid_points
        self.batch_size = batch_size
        self.start = start
        self.seed = seed

    # ------------------------------------------------------------------ fit: the centroids
    def _fit(self) -> None:
        vae = self.vae                  # every parameter is checked by fit (Lapace.params)
        ds = self.dataset_
        if ds is not None:
            check_same_encoder(ds, getattr(vae, "dataset_fingerprint_", None), "dataset",
                               "the L-GMVAE was saved with", getattr(vae, "dataset_state_", None))
            names = getattr(vae, "feature_names_in_", None)
            if names is not None and list(names) != list(ds.encoded_columns):
                raise ValueError(
                    f"dataset encodes the columns {ds.encoded_columns[:4]}... but the L-GMVAE was "
                    f"fitted on {list(names)[:4]}...: pass the dataset it was trained on.")
            if ds.n_features_encoded != vae.n_features_in_:
                raise ValueError(
                    f"dataset encodes {ds.n_features_encoded} columns but the L-GMVAE was fitted "
                    f"on {vae.n_features_in_}: pass the dataset whose encoding it was trained on.")
            groups = [(g.start, g.stop) for g in ds.categorical_groups]
            if groups != [(g.start, g.stop) for g in vae.categorical_groups]:
                raise ValueError(
                    "the L-GMVAE was trained without the dataset's categorical groups (or with "
                    "others), so its paths would hold fractional one-hot values: train it with "
                    "LGMVAE(..., categorical_groups=ds.categorical_groups).")
        if hasattr(self, "X_train_") and self.X_train_.shape[1] != vae.n_features_in_:
            raise ValueError(f"X_train has {self.X_train_.shape[1]} columns but the L-GMVAE was "
                             f"fitted on {vae.n_features_in_}.")
        self.n_labels_ = int(vae.n_labels)
        self.n_features_in_ = vae.n_features_in_
        self.groups_ = list(vae.categorical_groups)
        self.fingerprint_ = None if ds is None else encoder_fingerprint(ds.encoder_state())
        if ds is None and hasattr(vae, "feature_names_in_"):
            self.feature_names_in_ = list(vae.feature_names_in_)
        self.feature_min_, self.feature_max_ = vae.feature_min_, vae.feature_max_
        self.taus_ = np.linspace(0.0, 1.0, int(self.steps), dtype=np.float32)
        self._build_targets()

    def _labels(self, X: np.ndarray) -> np.ndarray:
        return self.predict(X)

    def _build_targets(self) -> None:
        vae = self.vae
        Zc = vae.centroids()                                    # (K, h)
        raw = self._labels(self._records(Zc))
        own = vae.cluster_labels_
        targets = Zc.copy()
        rows = []
        for c in range(len(Zc)):
            row = {"cluster": c, "label": int(own[c]), "predicted": int(raw[c]),
                   "valid_raw": bool(raw[c] == own[c]), "repaired": False,
                   "moved_fraction": 0.0, "moved_distance": 0.0, "repair_source": ""}
            if self.repair_centroids and not row["valid_raw"]:
                found = self._repair(c, int(own[c]), Zc[c])
                if found is not None:
                    targets[c], row["moved_fraction"], row["repair_source"] = found
                    row["repaired"] = True
                    row["moved_distance"] = float(np.linalg.norm(targets[c] - Zc[c]))
            rows.append(row)
        self.targets_ = targets
        self._decoded_targets = self._records(targets)
        final = self._labels(self._decoded_targets)
        self._target_labels = final                     # the labels of every path's tau = 1
        report = pd.DataFrame(rows)
        report["valid"] = final == own
        self.centroid_report_ = report

    def _candidates(self, c: int, label: int):
        """Latent points whose decoding the black box predicts as ``label``, by source:
        the cluster's training members, then draws from p(z|c), then all training points
        of the label."""
        vae = self.vae
        sources = []
        if hasattr(vae, "train_latent_"):
            sources.append(("cluster members", lambda: vae.train_latent_[vae.train_clusters_ == c]))
        sources.append(("prior samples", lambda: self._prior_samples(c)))
        if hasattr(vae, "train_latent_"):
            sources.append(("label members", lambda: vae.train_latent_[vae.train_labels_ == label]))
        for name, draw in sources:
            Z = draw()
            if len(Z):
                Z = Z[self._labels(self._records(Z)) == label]
            if len(Z):
                return name, Z
        return None, np.empty((0, vae.latent_dim), dtype=np.float32)

    @torch.no_grad()
    def _prior_samples(self, c: int) -> np.ndarray:
        gen = torch.Generator().manual_seed(c)
        mu, logvar = (t.cpu() for t in self.vae.net_.prior(torch.tensor([c], device=self.vae.device)))
        return reparameterize(mu[0], logvar[0], gen, n_samples=self.max_medoid_points).numpy()

    def _repair(self, c: int, label: int, zc: np.ndarray) -> tuple[np.ndarray, float, str] | None:
        source, ok = self._candidates(c, label)
        if source is None:
            warn(
                f"Cluster {c} (label {label}): no training point and no sample of p(z|c) decodes "
                f"to an input the black box predicts as {label}; its centroid stays invalid."
            )
            return None
        if source != "cluster members":
            warn(
                f"Cluster {c} (label {label}) has no member whose reconstruction the black box "
                f"predicts as {label}; repaired towards {source} instead."
            )
        if len(ok) > self.max_medoid_points:
            pick = np.random.default_rng(c).choice(len(ok), self.max_medoid_points, replace=False)
            ok = ok[pick]
        medoid = ok[cdist(ok, ok).sum(1).argmin()]
        ts = np.linspace(0.0, 1.0, self.repair_steps + 1, dtype=np.float32)[1:]
        seg = (1 - ts)[:, None] * zc[None] + ts[:, None] * medoid[None]
        hit = np.flatnonzero(self._labels(self._records(seg)) == label)
        # ts[-1] == 1 reproduces the medoid exactly, whose decoding is predicted correctly
        i = hit[0] if len(hit) else len(ts) - 1
        return seg[i], float(ts[i]), source

    # ------------------------------------------------------------------ explain
    def explain(self, X, target: int = 1, constraints=None) -> Counterfactuals:
        """The ``point`` (First, Middle or Last, §4.1) of every path from every row of ``X``:
        points (n, K_y, d), one per centroid of ``target``.  ``constraints`` as in
        :meth:`explain_paths`; a point counts (``valid``) only where they hold.

        Without constraints, the cheapest exact route (:mod:`lapace.explain.engine`): First evaluates
        the steps in order and stops each path at its first hit, Middle adds one decode, Last
        needs no path; the same points as ``explain_paths(X, target)``'s ``first()``,
        ``middle()``, ``last()``.  With constraints, the full paths."""
        if compile_constraints(constraints, self.dataset_) is not None:
            return super().explain(X, target, constraints=constraints)
        X, target = self._check_inputs(X, target, labels=False)
        return self._route(X, target, self.point)

    def first(self, X, target: int = 1) -> Counterfactuals:
        """LAPACE-First without constraints, whatever ``point`` is: the points of
        ``explain_paths(X, target).first()`` at the cost of the steps up to each path's first
        hit (Algorithm 1 lines 4-8, in order, in blocks across inputs)."""
        X, target = self._check_inputs(X, target, labels=False)
        return self._route(X, target, "first")

    def _explain_chunk(self, X, target, rows, constraints=None) -> Counterfactuals:
        return getattr(self.explain_paths(X, target, constraints), self.point)()

    def explain_paths(
        self,
        X,
        target: int = 1,
        constraints: Sequence[Constraint | Callable[[torch.Tensor], torch.Tensor]] | None = None,
        y=None,
    ) -> LapaceResult:
        """Counterfactual paths from every row of ``X`` to every centroid of ``target``.

        Parameters
        ----------
        X : (n, d) encoded inputs.
        target : the desired label y'.
        constraints : actionability constraints (§3.3), one or a list:
            :class:`~lapace.Range`, :class:`~lapace.Relation`, :class:`~lapace.Immutable`,
            :class:`~lapace.Monotone` or callables g(x) / g(x, x0). A point counts as a
            counterfactual only where they all hold (``LapaceResult.satisfied``).
        y : the inputs' labels if already known; by default ``predict(X)``.

        Raises
        ------
        ValueError : wrong width, NaNs, a target outside the labels, or inputs already
            predicted as the target.
        """
        X, target = self._check_inputs(X, target, labels=False)
        violation = compile_constraints(constraints, self.dataset_)
        fixed = fixed_columns(constraints, self.dataset_)
        deferred = False
        if y is not None:
            y = check_labels(y, X.shape[0], self.n_labels_)
            check_not_target(y, target)
        elif violation is None:                 # binary: checked in the paths' black-box call
            y, deferred = self._input_labels(X, target, None)
        else:
            y = self._labels(X)
            check_not_target(y, target)
        clusters = self.vae.clusters(target)
        n, k, T, h, d = X.shape[0], len(clusters), self.steps, self.vae.latent_dim, X.shape[1]
        res = LapaceResult(                                              # filled chunk by chunk
            paths=np.empty((n, k, T, d), np.float32), labels=np.empty((n, k, T), np.int64),
            taus=self.taus_.copy(), latents=np.empty((n, k, T, h), np.float32), target=target,
            clusters=clusters, input_labels=y,
            satisfied=None if violation is None else np.empty((n, k, T), bool),
            first_index=np.empty((n, k), np.int64), middle_points=np.empty((n, k, d), np.float32),
            middle_labels=np.empty((n, k), np.int64),
            middle_satisfied=None if violation is None else np.empty((n, k), bool),
        )
        if violation is None:
            x_labels = self._free_paths(res, X, deferred)
            if deferred:
                check_not_target(x_labels, target)
        else:
            held = None
            for start in range(0, n, self.batch_size):
                part = self._fill_paths(res, slice(start, min(start + self.batch_size, n)), X,
                                        violation, fixed)
                held = part if held is None else held | part
            _warn_unsatisfied(violation, held, (n, k, T))
        res.dataset_fingerprint = self.fingerprint_
        self._warn_at_start(res.first_index)
        return res

    def _warn_at_start(self, first_index: np.ndarray) -> None:
        """Warn when most First points are at tau = 0 (the reconstructions)."""
        found = first_index >= 0
        at_start = int((first_index == 0).sum())
        if self.start == "reconstruction" and found.any() and at_start > 0.5 * found.sum():
            warn(
                f"{at_start} of {int(found.sum())} LAPACE-First points are at tau = 0, the inputs' "
                "reconstructions: the L-GMVAE reconstructs these inputs across the black box's "
                "boundary, so First is a reconstruction, not a change to the input "
                "(res.start_valid). Lapace(..., start='input') anchors every path at the input.")

    @staticmethod
    def _first_index(labels: np.ndarray, satisfied: np.ndarray | None, target: int) -> np.ndarray:
        """(m, k) index of the first point of each path that counts as a counterfactual
        (predicted as the target and satisfying the constraints), -1 where none does.  The one
        place that decides it."""
        hit = counted(labels, target, satisfied)
        return np.where(hit.any(-1), hit.argmax(-1), -1)

    def _record(self, P: np.ndarray, X: np.ndarray, fixed: np.ndarray) -> np.ndarray:
        """Decoded points ``P`` (n, ..., d) of inputs ``X`` (n, d) as the records a user reads:
        projected onto the data's domain (integers rounded, :meth:`~lapace.TabularDataset.project`)
        and, on the ``fixed`` columns (exact immutables), the input's values.  Without the
        dataset, ``P`` as decoded."""
        if self.dataset_ is None:
            return P
        P = self._project(P)
        if len(fixed):
            shape = (len(X),) + (1,) * (P.ndim - 2) + (len(fixed),)
            P[..., fixed] = X[:, fixed].reshape(shape)
        return P

    def _fill_paths(self, res: LapaceResult, s: slice, X: np.ndarray, violation,
                    fixed: np.ndarray) -> np.ndarray | None:
        """Algorithm 1 with constraints (§3.3) for the inputs ``X[s]``, written into ``res[s]`` in
        place; returns whether each constraint held at some point of the chunk's paths.

        Labels and constraints are judged on the decoded record (:meth:`_record`), the one the
        user reads, never on the raw decoding."""
        vae, target, clusters = self.vae, res.target, res.clusters
        X, y = X[s], res.input_labels[s]
        n, k, T, h, d = X.shape[0], len(clusters), self.steps, vae.latent_dim, X.shape[1]
        z_x = vae.encode(X, y)                                      # (n, h)
        z_c = self.targets_[clusters]                                   # (k, h)
        tau = self.taus_[None, None, :, None]
        Z = (1 - tau) * z_x[:, None, None, :] + tau * z_c[None, :, None, :]   # (n, k, T, h)
        Z = Z.reshape(-1, h)
        residual = self._residual(X, z_x)                               # (n, d) or None
        offset = None if residual is None else (
            (1 - tau) * residual[:, None, None, :]).repeat(k, 1).reshape(-1, d)
        paths = res.paths[s]                                            # a view: filled in place
        X0 = np.repeat(X, k * T, axis=0)                                # input of each point
        Z, satisfied = self._correct(Z, X0, violation, offset)
        del X0
        paths[...] = self._record(vae.decode(Z, offset).reshape(n, k, T, d), X, fixed)
        if self.dataset_ is not None:                                   # judged on the record
            satisfied = violation.satisfied(paths.reshape(-1, d), np.repeat(X, k * T, axis=0))
        res.satisfied[s] = satisfied.reshape(n, k, T)
        del offset
        labels = self._labels(paths.reshape(-1, d)).reshape(n, k, T)
        res.labels[s] = labels
        Z = Z.reshape(n, k, T, h)
        res.latents[s] = Z
        satisfied = None if res.satisfied is None else res.satisfied[s]
        first_index = self._first_index(labels, satisfied, target)
        res.first_index[s] = first_index

        z_first = np.take_along_axis(Z, np.maximum(first_index, 0)[..., None, None], 2)[:, :, 0]
        z_mid = (0.5 * (z_first + Z[:, :, -1])).reshape(-1, h)
        mid_offset = None
        if residual is not None:                        # tau of the midpoint: (tau_first + 1) / 2
            tau_mid = 0.5 * (self.taus_[np.maximum(first_index, 0)] + 1.0)          # (n, k)
            mid_offset = ((1 - tau_mid)[..., None] * residual[:, None, :]).reshape(-1, d)
        if violation is not None:
            z_mid, mid_sat = self._correct(z_mid, np.repeat(X, k, axis=0), violation, mid_offset)
            res.middle_satisfied[s] = mid_sat.reshape(n, k)
        mid = self._record(vae.decode(z_mid, mid_offset).reshape(n, k, d), X, fixed).reshape(-1, d)
        if violation is not None and self.dataset_ is not None:
            res.middle_satisfied[s] = violation.satisfied(mid, np.repeat(X, k, axis=0)).reshape(n, k)
        res.middle_labels[s] = self._labels(mid).reshape(n, k)
        mid = mid.reshape(n, k, d)
        mid[first_index < 0] = np.nan
        res.middle_points[s] = mid
        if violation is not None:                       # which constraints held anywhere
            return violation.each(paths.reshape(-1, d), np.repeat(X, k * T, axis=0)).any(0)
        return None

    @torch.no_grad()
    def _residual(self, X: np.ndarray, z_x: np.ndarray) -> np.ndarray | None:
        """``x - Dec_raw(z_x)`` for ``start="input"`` (None for the paper's start)."""
        if self.start != "input":
            return None
        raw = self.vae.decode_raw(torch.as_tensor(z_x, device=self.vae.device)).cpu().numpy()
        return (X - raw).astype(np.float32)

    def _correct(self, Z: np.ndarray, X0: np.ndarray, violation, offset: np.ndarray | None = None,
                 chunk: int = 16384) -> tuple[np.ndarray, np.ndarray]:
        """§3.3: while g(Dec(z)) > 0, z <- z - eta * grad_z g(Dec(z)), at most max_corrections.

        Points are corrected independently, ``chunk`` at a time to bound memory; ``offset``
        is added to every raw decoding (``start="input"``).
        """
        out, satisfied = np.empty_like(Z), np.empty(len(Z), dtype=bool)
        for start in range(0, len(Z), chunk):
            s = slice(start, start + chunk)
            out[s], satisfied[s] = self._correct_chunk(
                Z[s], X0[s], violation, None if offset is None else offset[s])
        return out, satisfied

    def _correct_chunk(self, Z: np.ndarray, X0: np.ndarray, violation,
                       offset: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        vae = self.vae
        dev = torch.device(vae.device)
        z = torch.as_tensor(Z, device=dev).clone()
        x0 = torch.as_tensor(X0, device=dev)
        off = None if offset is None else torch.as_tensor(offset, device=dev)

        def decode_raw(zz: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
            out = vae.decode_raw(zz)
            return out if off is None else out + off[rows]

        def hard_violation(zz: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
            with torch.no_grad():
                hard = torch.as_tensor(vae.harden(decode_raw(zz, rows).cpu().numpy()), device=dev)
                return violation(hard, x0[rows])

        rows = torch.arange(len(z), device=dev)
        active = rows[hard_violation(z, rows) > 0]
        for _ in range(self.max_corrections):
            if len(active) == 0:
                break
            za = z[active].requires_grad_(True)
            g = violation(decode_raw(za, active), x0[active]).sum()
            (grad,) = torch.autograd.grad(g, za)
            z[active] = (za - self.eta * grad).detach()
            active = active[hard_violation(z[active], active) > 0]
        satisfied = (hard_violation(z, rows) <= 0).cpu().numpy()
        return z.cpu().numpy(), satisfied

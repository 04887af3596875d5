"""LAPACE: latent-path counterfactual explanations (paper Algorithm 1, §3.2–3.3, §4.1).

For every input x (label y = M(x)) and a target label y', LAPACE interpolates in the
L-GMVAE's latent space from z_x = Enc(x, y) to every centroid z_c of y',
``z_tau = (1 - tau) z_x + tau z_c``, decodes every point and asks the black box M
for its label.  All inputs, paths and steps are handled in one batched pass.

Centroid repair (``repair_centroids=True``) is this project's extension, not the
paper's: a target centroid whose decoding the black box does not assign to its own
label is replaced, once and for all inputs, by the first point on the latent segment
from the centroid towards the medoid of its cluster's correctly predicted members
whose decoding is predicted correctly (when no member is, the medoid is taken among
samples of p(z|c), then among all of the label's members, with a warning).  The
target stays fixed for every input, so robustness to input changes stays exact.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from scipy.spatial.distance import cdist

from .constraints import Constraint, compile_constraints
from .counterfactuals import Counterfactuals
from .elbo import reparameterize
from .model import LGMVAE
from .validation import check_target, predict_labels

__all__ = ["Counterfactuals", "Lapace", "LapaceResult", "Points"]

Predict = Callable[[np.ndarray], np.ndarray]


#: former name of :class:`~lapace.counterfactuals.Counterfactuals`, kept for existing code
Points = Counterfactuals


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

    def first(self) -> Counterfactuals:
        """LAPACE-First: the first point on each path predicted as the target (NaN if none)."""
        valid = self.first_index >= 0
        idx = np.where(valid, self.first_index, 0)
        pts = np.take_along_axis(self.paths, idx[:, :, None, None], axis=2)[:, :, 0]
        pts = np.where(valid[..., None], pts, np.nan).astype(np.float32)
        return Counterfactuals(pts, valid)

    def middle(self) -> Counterfactuals:
        """LAPACE-Middle: decoding of the latent midpoint between First and the centroid."""
        valid = _counted(self.middle_labels, self.target, self.middle_satisfied)
        return Counterfactuals(self.middle_points, valid & (self.first_index >= 0))

    def last(self) -> Counterfactuals:
        """LAPACE-Last: the decoded (repaired) centroids, tau = 1.

        With constraints, a centroid that breaks them (after the §3.3 corrections) is not
        valid for that input: a warning says how often, and ``info["satisfied"]`` tells where.
        """
        valid = self.valid[:, :, -1]
        cf = Counterfactuals(self.paths[:, :, -1], valid)
        if self.satisfied is not None:
            sat = self.satisfied[:, :, -1]
            cf.info.update(satisfied=sat.copy(), predicted=self.predicted[:, :, -1].copy())
            broken = self.predicted[:, :, -1] & ~sat
            if broken.any():
                warnings.warn(
                    f"LAPACE-Last: the (corrected) decoded centroid breaks the constraints on "
                    f"{int(broken.sum())} of {broken.size} paths although the black box predicts "
                    "the target; these are marked invalid (see info['satisfied']).", stacklevel=2)
        return cf

    @property
    def predicted(self) -> np.ndarray:
        """(n, k, T) whether each path point is predicted as the target (constraints aside)."""
        return self.labels == self.target

    @property
    def valid(self) -> np.ndarray:
        """(n, k, T) whether each path point counts: predicted as the target and, with
        constraints, satisfying them."""
        return _counted(self.labels, self.target, self.satisfied)


def _counted(labels: np.ndarray, target: int, satisfied: np.ndarray | None) -> np.ndarray:
    """Counterfactuals count only if valid *and* (with constraints) satisfying them all."""
    hit = labels == target
    return hit if satisfied is None else hit & satisfied


def _warn_unsatisfied(violation, paths: np.ndarray, X: np.ndarray) -> None:
    """Warn, naming it, for every constraint that no point of any path satisfies."""
    n, k, T, d = paths.shape
    each = violation.each(paths.reshape(-1, d), np.repeat(X, k * T, axis=0))
    for name, ok in zip(violation.names, each.any(0), strict=True):
        if not ok:
            warnings.warn(
                f"Constraint {name} holds at no point of any path ({n} input(s) x {k} paths x "
                f"{T} steps, after the corrections): no counterfactual satisfies it. Check its "
                "bounds against the data, or raise max_corrections / eta.", stacklevel=3)


class Lapace:
    """Generate LAPACE counterfactual paths with a fitted :class:`~lapace.LGMVAE`.

    Parameters
    ----------
    vae : a fitted L-GMVAE (trained on the black box's predictions).
    predict : any callable mapping encoded inputs (n, d) to integer labels (n,).
    steps : number T of evenly spaced tau values in [0, 1] (paper: 21).
    repair_centroids : replace target centroids the black box misclassifies (our
        extension, see the module docstring); ``False`` is the paper's method exactly.
    repair_steps : resolution of the search along the centroid–medoid segment.
    dataset : the :class:`~lapace.TabularDataset` encoder; needed only for constraints
        written with feature names.
    eta, max_corrections : step size and budget of the gradient corrections of §3.3.
    max_medoid_points : members used to find a cluster's medoid (a seeded subsample).

    Attributes
    ----------
    centroid_report_ : DataFrame, one row per cluster: its label, what the black box
        predicts for the decoded centroid, whether it was repaired, how far it moved
        (``moved_fraction`` of the segment to the medoid, ``moved_distance`` in latent
        space), where the medoid came from (``repair_source``: the cluster's members, or,
        when none is predicted correctly, samples of p(z|c), then the label's members)
        and whether the final target is valid.
    targets_ : (K, h) latent targets actually used (repaired centroids).
    """

    def __init__(
        self,
        vae: LGMVAE,
        predict: Predict,
        steps: int = 21,
        repair_centroids: bool = True,
        repair_steps: int = 50,
        dataset=None,
        eta: float = 1.0,
        max_corrections: int = 100,
        max_medoid_points: int = 2000,
    ):
        vae._check_fitted()
        if not callable(predict):
            raise ValueError("predict must be a callable mapping encoded inputs to labels.")
        if int(steps) < 2:
            raise ValueError(f"steps must be at least 2 (tau = 0 and 1), got {steps}.")
        self.vae, self.predict, self.steps = vae, predict, int(steps)
        self.repair_centroids, self.repair_steps = repair_centroids, int(repair_steps)
        self.dataset, self.eta, self.max_corrections = dataset, float(eta), int(max_corrections)
        self.max_medoid_points = int(max_medoid_points)
        self.taus = np.linspace(0.0, 1.0, self.steps, dtype=np.float32)
        self._build_targets()

    # ------------------------------------------------------------------ centroids
    def _labels(self, X: np.ndarray) -> np.ndarray:
        return predict_labels(self.predict, X, self.vae.n_labels)

    def _build_targets(self) -> None:
        vae = self.vae
        Zc = vae.centroids()                                    # (K, h)
        raw = self._labels(vae.decode(Zc))
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
        self._decoded_targets = vae.decode(targets)
        final = self._labels(self._decoded_targets)
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
                Z = Z[self._labels(vae.decode(Z)) == label]
            if len(Z):
                return name, Z
        return None, np.empty((0, vae.latent_dim), dtype=np.float32)

    @torch.no_grad()
    def _prior_samples(self, c: int) -> np.ndarray:
        gen = torch.Generator().manual_seed(c)
        mu, logvar = (t.cpu() for t in self.vae.net_.prior(torch.tensor([c], device=self.vae.device)))
        return reparameterize(mu[0], logvar[0], gen, n_samples=self.max_medoid_points).numpy()

    def _repair(self, c: int, label: int, zc: np.ndarray) -> tuple[np.ndarray, float, str] | None:
        vae = self.vae
        source, ok = self._candidates(c, label)
        if source is None:
            warnings.warn(
                f"Cluster {c} (label {label}): no training point and no sample of p(z|c) decodes "
                f"to an input the black box predicts as {label}; its centroid stays invalid.",
                stacklevel=3,
            )
            return None
        if source != "cluster members":
            warnings.warn(
                f"Cluster {c} (label {label}) has no member whose reconstruction the black box "
                f"predicts as {label}; repaired towards {source} instead.", stacklevel=3,
            )
        if len(ok) > self.max_medoid_points:
            pick = np.random.default_rng(c).choice(len(ok), self.max_medoid_points, replace=False)
            ok = ok[pick]
        medoid = ok[cdist(ok, ok).sum(1).argmin()]
        ts = np.linspace(0.0, 1.0, self.repair_steps + 1, dtype=np.float32)[1:]
        seg = (1 - ts)[:, None] * zc[None] + ts[:, None] * medoid[None]
        hit = np.flatnonzero(self._labels(vae.decode(seg)) == label)
        # ts[-1] == 1 reproduces the medoid exactly, whose decoding is predicted correctly
        i = hit[0] if len(hit) else len(ts) - 1
        return seg[i], float(ts[i]), source

    # ------------------------------------------------------------------ explain
    def _check_inputs(self, X, target) -> tuple[np.ndarray, int]:
        X = self.vae._check_X(X)
        return X, check_target(target, self.vae.n_labels)

    def explain(
        self,
        X,
        target: int,
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
        X, target = self._check_inputs(X, target)
        y = self._labels(X) if y is None else self.vae._check_y(y, X.shape[0])
        already = np.flatnonzero(y == target)
        if len(already):
            raise ValueError(
                f"{len(already)} input(s) are already predicted as target {target} (rows "
                f"{already[:10].tolist()}); explain only inputs with another label."
            )
        violation = compile_constraints(constraints, self.dataset)
        vae = self.vae
        clusters = vae.clusters(target)
        n, k, T, h, d = X.shape[0], len(clusters), self.steps, vae.latent_dim, X.shape[1]

        z_x = vae.encode(X, y)                                          # (n, h)
        z_c = self.targets_[clusters]                                   # (k, h)
        tau = self.taus[None, None, :, None]
        Z = (1 - tau) * z_x[:, None, None, :] + tau * z_c[None, :, None, :]   # (n, k, T, h)
        Z = Z.reshape(-1, h)
        X0 = np.repeat(X, k * T, axis=0)                                # input of each point
        if violation is not None:
            Z, satisfied = self._correct(Z, X0, violation)
            paths = vae.decode(Z)
        else:
            satisfied = None
            paths = vae.decode(Z).reshape(n, k, T, d)
            paths[:, :, -1] = self._decoded_targets[clusters][None]     # exactly Dec(z_c)
            paths = paths.reshape(-1, d)
        labels = self._labels(paths).reshape(n, k, T)
        paths, Z = paths.reshape(n, k, T, d), Z.reshape(n, k, T, h)
        if satisfied is not None:
            satisfied = satisfied.reshape(n, k, T)

        hit = _counted(labels, target, satisfied)
        first_index = np.where(hit.any(-1), hit.argmax(-1), -1)
        z_first = np.take_along_axis(Z, np.maximum(first_index, 0)[..., None, None], 2)[:, :, 0]
        z_mid = (0.5 * (z_first + Z[:, :, -1])).reshape(-1, h)
        if violation is not None:
            z_mid, mid_sat = self._correct(z_mid, np.repeat(X, k, axis=0), violation)
            _warn_unsatisfied(violation, paths, X)
        mid = vae.decode(z_mid)
        mid_labels = self._labels(mid).reshape(n, k)
        mid = mid.reshape(n, k, d)
        mid[first_index < 0] = np.nan
        return LapaceResult(
            paths=paths, labels=labels, taus=self.taus.copy(), latents=Z, target=target,
            clusters=clusters, input_labels=y, satisfied=satisfied, first_index=first_index,
            middle_points=mid, middle_labels=mid_labels,
            middle_satisfied=None if violation is None else mid_sat.reshape(n, k),
        )

    def _correct(self, Z: np.ndarray, X0: np.ndarray, violation,
                 chunk: int = 16384) -> tuple[np.ndarray, np.ndarray]:
        """§3.3: while g(Dec(z)) > 0, z <- z - eta * grad_z g(Dec(z)), at most max_corrections.

        Points are corrected independently, ``chunk`` at a time to bound memory.
        """
        out, satisfied = np.empty_like(Z), np.empty(len(Z), dtype=bool)
        for start in range(0, len(Z), chunk):
            s = slice(start, start + chunk)
            out[s], satisfied[s] = self._correct_chunk(Z[s], X0[s], violation)
        return out, satisfied

    def _correct_chunk(self, Z: np.ndarray, X0: np.ndarray, violation) -> tuple[np.ndarray, np.ndarray]:
        vae = self.vae
        dev = torch.device(vae.device)
        z = torch.as_tensor(Z, device=dev).clone()
        x0 = torch.as_tensor(X0, device=dev)

        def hard_violation(zz: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
            with torch.no_grad():
                hard = torch.as_tensor(vae.harden(vae.decode_raw(zz).cpu().numpy()), device=dev)
                return violation(hard, x0[rows])

        rows = torch.arange(len(z), device=dev)
        active = rows[hard_violation(z, rows) > 0]
        for _ in range(self.max_corrections):
            if len(active) == 0:
                break
            za = z[active].requires_grad_(True)
            g = violation(vae.decode_raw(za), x0[active]).sum()
            (grad,) = torch.autograd.grad(g, za)
            z[active] = (za - self.eta * grad).detach()
            active = active[hard_violation(z[active], active) > 0]
        satisfied = (hard_violation(z, rows) <= 0).cpu().numpy()
        return z.cpu().numpy(), satisfied

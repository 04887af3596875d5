"""LAPACE without constraints at the cost of what it returns (Algorithm 1, §4.1; issue 23).

:class:`FastRoutes` is mixed into :class:`lapace.Lapace`.  Without constraints, every point is
a pure function of its latent point, so a route may decode and ask the black box about any
subset of the steps and still return exactly what the full paths give:

- **full paths** (:meth:`FastRoutes._free_paths`): step 0 (the reconstruction, or the input) is
  decoded once per input, not once per path; step T-1 is the decoded (repaired) centroid, whose
  label the centroid check of ``fit`` already knows; all remaining points of a chunk, the
  inputs themselves (binary labels: their label is the one that is not the target) and the
  previous chunk's middle points go to the black box in **one** ``predict`` call.  For a few
  inputs (``speculate_rows``) the middle point of every possible First is decoded too, so the
  whole explanation costs one call;
- **First** (:meth:`FastRoutes._first_route`, Algorithm 1 lines 4-8): the steps are evaluated in
  order, a block at a time across all inputs, and each path stops at its first point predicted
  as the target.  The label along a path need not be monotone in tau, so a bisection would not
  be exact; the in-order blocks are.  A block holds about ``first_block_rows`` points, so the
  black box's per-call overhead is paid once per block, not once per step and input; the
  route takes ``batch_size * steps`` inputs at a time (at most as many points per block as a
  chunk of the full paths holds);
- **Middle**: First, then one decode and one call for the midpoints;
- **Last**: the decoded centroids themselves, valid as the centroid check of ``fit`` found.

Every latent point is computed with the same float32 operations as the full paths, and the
decoder's rows do not depend on their batch, so the routes return the same points.
"""

from __future__ import annotations

import numpy as np

from lapace.counterfactuals import Counterfactuals
from lapace.explain.result import LapaceResult
from lapace.validation import check_not_target, chunks

__all__ = ["FastRoutes"]


def _split(labels: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    return np.split(labels, np.cumsum(sizes)[:-1])


class FastRoutes:
    """The unconstrained routes of :class:`~lapace.Lapace` (see the module docstring)."""

    #: points per block of the First route (about one black-box call's fixed cost in rows)
    first_block_rows = 4096
    #: up to this many path points per chunk, the middle points of every possible First are
    #: decoded with the paths, so paths and middles cost one black-box call
    speculate_rows = 512

    # ------------------------------------------------------------------ shared pieces
    def _predict_blocks(self, blocks: list[np.ndarray]) -> list[np.ndarray]:
        """One black-box call on all ``blocks`` (rows of records); their labels, block by block."""
        sizes = [len(b) for b in blocks]
        if not sum(sizes):
            return [np.empty(0, np.int64) for _ in blocks]
        return _split(self._labels(np.concatenate(blocks)), sizes)

    def _project(self, P: np.ndarray) -> np.ndarray:
        """Decoded points as records (:meth:`~lapace.TabularDataset.project`; as they are
        without the dataset)."""
        return P if self.dataset_ is None else self.dataset_.project(P)

    def _records(self, Z: np.ndarray, offset: np.ndarray | None = None) -> np.ndarray:
        """Latent points decoded (``offset`` added to the raw decoding) as records."""
        return self._project(self.vae.decode(Z, offset))

    def _start_records(self, X: np.ndarray, z_x: np.ndarray) -> np.ndarray:
        """(n, d) the record at tau = 0 of every input's paths (shared by its k paths)."""
        if self.start == "input":
            return self._project(self.vae.harden(X))
        return self._records(z_x)

    def _input_labels(self, X: np.ndarray, target: int, y) -> tuple[np.ndarray, bool]:
        """The labels the encoder is conditioned on, and whether they are still to be checked:
        with two labels, an input to explain can only have the one that is not ``target``, so
        its check rides along in the chunk's one black-box call."""
        if y is not None:
            return y, False
        if self.n_labels_ == 2:
            return np.full(len(X), 1 - target, dtype=np.int64), True
        y = self._labels(X)
        check_not_target(y, target)
        return y, False

    def _offsets(self, residual: np.ndarray | None, tau: np.ndarray) -> np.ndarray | None:
        """``(1 - tau) * residual`` (``start="input"``) for rows of ``residual`` and ``tau``."""
        return None if residual is None else (1 - tau)[:, None] * residual

    def _midpoints(self, Zf: np.ndarray, Zl: np.ndarray, tau_first: np.ndarray,
                   residual: np.ndarray | None) -> np.ndarray:
        """Records of the latent midpoints between First ``Zf`` and the centroid ``Zl`` (rows)."""
        off = None
        if residual is not None:                    # tau of the midpoint: (tau_first + 1) / 2
            off = self._offsets(residual, 0.5 * (tau_first + 1.0))
        return self._records(0.5 * (Zf + Zl), off)

    # ------------------------------------------------------------------ full paths
    def _free_paths(self, res: LapaceResult, X: np.ndarray, deferred: bool) -> np.ndarray | None:
        """Algorithm 1 without constraints for all of ``X``, ``batch_size`` inputs at a time,
        written into ``res`` in place; one black-box call per chunk (plus one for the last
        chunk's middle points).  Returns the inputs' labels when ``deferred``."""
        pending: tuple[list, callable] = ([], lambda labels: None)
        x_labels = np.empty(len(X), np.int64) if deferred else None
        for s in chunks(len(X), self.batch_size):
            blocks, finish = self._free_chunk(res, s, X[s])
            if deferred:
                blocks = [X[s]] + blocks
            labels = self._predict_blocks(pending[0] + blocks)
            pending[1](labels[:len(pending[0])])
            labels = labels[len(pending[0]):]
            if deferred:
                x_labels[s] = labels.pop(0)
            pending = finish(labels)
        if pending[0]:
            pending[1](self._predict_blocks(pending[0]))
        return x_labels

    def _free_chunk(self, res: LapaceResult, s: slice, X: np.ndarray):
        """Decode the chunk ``s``: the rows its black-box call needs, and what to do with
        their labels (which returns the middle points' rows and their own finish)."""
        vae, clusters, target, taus = self.vae, res.clusters, res.target, self.taus_
        n, k, T, h, d = X.shape[0], len(clusters), self.steps, vae.latent_dim, X.shape[1]
        z_x = vae.encode(X, res.input_labels[s])                            # line 1
        lat = res.latents[s]                                                # a view, in place
        tau = taus[None, None, :, None]
        np.multiply(1 - tau, z_x[:, None, None, :], out=lat)                # line 4
        lat += tau * self.targets_[clusters][None, :, None, :]
        residual = self._residual(X, z_x)
        paths, labels = res.paths[s], res.labels[s]
        inner = lat[:, :, 1:-1].reshape(-1, h)
        off = None
        if residual is not None:
            off = np.broadcast_to((1 - tau[:, :, 1:-1]) * residual[:, None, None, :],
                                  (n, k, T - 2, d)).reshape(-1, d)
        rec0, rec = self._start_records(X, z_x), self._records(inner, off)   # line 5
        paths[:, :, 0] = rec0[:, None]
        paths[:, :, 1:-1] = rec.reshape(n, k, T - 2, d)
        paths[:, :, -1] = self._decoded_targets[clusters][None]            # exactly Dec(z_c)
        blocks = [rec0, rec]
        speculate = n * k * T <= self.speculate_rows
        if speculate:                                   # the middle of every possible First
            tau_all = np.broadcast_to(taus, (n, k, T)).reshape(-1)
            spec = self._midpoints(lat.reshape(-1, h), np.repeat(lat[:, :, -1], T, 1).reshape(-1, h),
                                   tau_all, None if residual is None
                                   else np.repeat(residual, k * T, axis=0))
            blocks.append(spec)

        def finish(parts):
            labels[:, :, 0] = parts[0][:, None]                             # line 6
            labels[:, :, 1:-1] = parts[1].reshape(n, k, T - 2)
            labels[:, :, -1] = self._target_labels[clusters][None]
            first = self._first_index(labels, None, target)                 # lines 7-8
            res.first_index[s] = first
            at = np.maximum(first, 0)
            if speculate:
                pick = (np.arange(n * k) * T + at.reshape(-1))
                self._set_middle(res, s, spec[pick].reshape(n, k, d),
                                 parts[2][pick].reshape(n, k), first)
                return [], lambda _: None
            zf = np.take_along_axis(lat, at[..., None, None], 2)[:, :, 0].reshape(-1, h)
            mid = self._midpoints(zf, lat[:, :, -1].reshape(-1, h), taus[at].reshape(-1),
                                  None if residual is None else np.repeat(residual, k, axis=0))

            def finish_middle(parts):
                self._set_middle(res, s, mid.reshape(n, k, d), parts[0].reshape(n, k), first)

            return [mid], finish_middle

        return blocks, finish

    @staticmethod
    def _set_middle(res: LapaceResult, s: slice, mid: np.ndarray, labels: np.ndarray,
                    first: np.ndarray) -> None:
        res.middle_labels[s] = labels
        mid[first < 0] = np.nan
        res.middle_points[s] = mid

    # ------------------------------------------------------------------ First, Middle, Last
    def _first_chunk(self, X: np.ndarray, y: np.ndarray, target: int, deferred: bool):
        """LAPACE-First of the inputs ``X`` by in-order blocks of steps (Algorithm 1 lines 4-8):
        ``(first_index (n, k), points (n, k, d), latents of First (n, k, h), input labels)``."""
        vae, taus = self.vae, self.taus_
        clusters = vae.clusters(target)
        n, k, T, h, d = X.shape[0], len(clusters), self.steps, vae.latent_dim, X.shape[1]
        z_x = vae.encode(X, y)
        z_c = self.targets_[clusters]
        residual = self._residual(X, z_x)
        first = np.full((n, k), -1, np.int64)
        points = np.full((n, k, d), np.nan, np.float32)
        ii, jj = (a.reshape(-1) for a in np.indices((n, k)))              # the active paths
        blocks = [X] if deferred else []
        blocks.append(self._start_records(X, z_x))
        x_labels, t0 = None, 1
        head = True                                     # the first block also holds tau = 0
        while len(ii) and t0 < T - 1:
            B = min(T - 1 - t0, max(1, -(-self.first_block_rows // len(ii))))
            tb = taus[t0:t0 + B]
            Z = ((1 - tb)[None, :, None] * z_x[ii][:, None, :]
                 + tb[None, :, None] * z_c[jj][:, None, :]).reshape(-1, h)
            off = None if residual is None else (
                (1 - tb)[None, :, None] * residual[ii][:, None, :]).reshape(-1, d)
            rec = self._records(Z, off)
            parts = self._predict_blocks(blocks + [rec])
            lab = parts[-1].reshape(len(ii), B)
            recs = rec.reshape(len(ii), B, d)
            if head:
                if deferred:
                    x_labels = parts[0]
                lab0, rec0 = parts[-2][ii], blocks[-1][ii]
                lab = np.concatenate([lab0[:, None], lab], 1)
                recs = np.concatenate([rec0[:, None], recs], 1)
                t_at = 0
            else:
                t_at = t0
            hit = lab == target
            done = hit.any(1)
            at = hit.argmax(1)[done]
            first[ii[done], jj[done]] = t_at + at
            points[ii[done], jj[done]] = recs[done, at]
            ii, jj = ii[~done], jj[~done]
            blocks, head, t0 = [], False, t0 + B
        if head:                                       # T == 2: no inner step at all
            parts = self._predict_blocks(blocks)
            if deferred:
                x_labels = parts[0]
            hit = parts[-1][ii] == target
            first[ii[hit], jj[hit]] = 0
            points[ii[hit], jj[hit]] = blocks[-1][ii[hit]]
            ii, jj = ii[~hit], jj[~hit]
        last = self._target_labels[clusters][jj] == target                  # tau = 1
        first[ii[last], jj[last]] = T - 1
        points[ii[last], jj[last]] = self._decoded_targets[clusters][jj[last]]
        return first, points, z_x, residual, x_labels

    def _route(self, X: np.ndarray, target: int, point: str) -> Counterfactuals:
        """``point`` of every path by its cheapest exact route (checked ``X``, no constraints)."""
        n = len(X)
        if point == "last":                                                # no path at all
            check_not_target(self._labels(X), target)
            clusters = self.vae.clusters(target)
            pts = np.broadcast_to(self._decoded_targets[clusters], (n, len(clusters), X.shape[1]))
            valid = np.broadcast_to(self._target_labels[clusters] == target, (n, len(clusters)))
            return Counterfactuals(pts.copy(), valid.copy())
        y, deferred = self._input_labels(X, target, None)
        k = len(self.vae.clusters(target))
        if point == "middle" and n * k * self.steps <= self.speculate_rows:
            return self.explain_paths(X, target, y=None if deferred else y).middle()
        parts, firsts, x_labels = [], [], []
        for s in chunks(n, self.batch_size * self.steps):   # a block's rows <= a chunk's paths
            first, points, z_x, residual, xl = self._first_chunk(X[s], y[s], target, deferred)
            firsts.append(first)
            x_labels.append(xl)
            if point == "first":
                parts.append(Counterfactuals(points, first >= 0))
                continue
            parts.append(self._middle_of(first, z_x, residual, target))
        if deferred:
            check_not_target(np.concatenate(x_labels), target)
        self._warn_at_start(np.concatenate(firsts))
        return Counterfactuals.concatenate(parts)

    def _middle_of(self, first: np.ndarray, z_x: np.ndarray, residual, target: int
                   ) -> Counterfactuals:
        """LAPACE-Middle from First: one decode, one black-box call."""
        taus, clusters = self.taus_, self.vae.clusters(target)
        n, k, h = first.shape[0], first.shape[1], z_x.shape[1]
        at = np.maximum(first, 0)
        tf = taus[at][..., None]                                           # (n, k, 1)
        z_c = self.targets_[clusters][None]
        zf = (1 - tf) * z_x[:, None, :] + tf * z_c
        zl = (1 - taus[-1]) * z_x[:, None, :] + taus[-1] * z_c
        mid = self._midpoints(zf.reshape(-1, h), zl.reshape(-1, h), taus[at].reshape(-1),
                              None if residual is None else np.repeat(residual, k, axis=0))
        labels = self._labels(mid).reshape(n, k)
        mid = mid.reshape(n, k, -1)
        mid[first < 0] = np.nan
        return Counterfactuals(mid, (labels == target) & (first >= 0))

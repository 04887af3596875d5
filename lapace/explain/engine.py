"""Algorithm 1 written once (§3.2-3.3, §4.1; issues 23, 31, 35).

:class:`Engine` is built by :meth:`lapace.Lapace.fit` from explicit arguments (the L-GMVAE, the
checked black box, the dataset, the tau grid, where paths start, the decoder's precision) and
holds the fitted targets.  Each step of Algorithm 1 is written once:

- :meth:`~Engine.interpolate` (line 4): ``z_tau = (1 - tau) z_x + tau z_c``;
- :meth:`~Engine.records` (line 5): the raw decoding, plus the fading residual
  ``(1 - tau)(x - Dec(z_x))`` of ``start="input"``, made a record once: clipped to the L-GMVAE's
  range, then :meth:`~lapace.TabularDataset.project` (:meth:`~lapace.LGMVAE.harden` without a
  dataset).  The point the black box judges is the point returned;
- :meth:`~Engine.labels` (line 6): one black-box call for any number of blocks of records;
- :func:`first_index` (lines 7-8), :meth:`~Engine.middle_latents` (§4.1 Middle) and the decoded
  targets (§4.1 Last, :meth:`~Engine.set_targets`).

The routes only choose which steps to evaluate.  Without constraints every point is a pure
function of its latent point, so each route returns exactly what the full paths give:

- **full paths** (:meth:`~Engine.paths`): step 0 (the reconstruction, or the input) is decoded
  once per input, not once per path; step T-1 is the decoded target, whose label ``fit`` knows;
  all other points of a chunk, the inputs themselves (binary labels: their label is the one
  that is not the target) and the previous chunk's middle points go to the black box in **one**
  call.  For a few inputs (``speculate_rows``) the middle of every possible First is decoded
  too, so the whole explanation costs one call;
- **First** (:meth:`~Engine.first`): the steps in order, a block of about ``block_rows`` points
  at a time across all inputs, each path stopping at its first hit.  The label along a path
  need not be monotone in tau, so a bisection would not be exact; the in-order blocks are;
- **Middle** (:meth:`~Engine.middle`): First, then one decode and one call for the midpoints;
- **Last** (:meth:`~Engine.last`): the decoded targets, as ``fit`` judged them;
- **with constraints** (:meth:`~Engine.constrained_paths`, §3.3): every step, corrected by
  gradient steps (:meth:`~Engine.correct`), then judged on its record.

Every latent point is computed with the same float32 operations whatever the route, and the
decoder's rows do not depend on their batch, so the routes return the same points.

Precision (issue 35): with ``dtype=torch.bfloat16`` the decoder runs on a copy of its weights
in bf16 (:func:`bf16_decoder`: bf16 matrix products, AMX or AVX512-BF16 on a CPU, a GPU); the
latent arithmetic, the residual's addition, the projection and the gradient corrections stay
float32.  :func:`choose_precision`
resolves ``Lapace(precision=...)``.
"""

from __future__ import annotations

import copy
import logging
import time
from pathlib import Path

import numpy as np
import torch

from lapace.counterfactuals import Counterfactuals
from lapace.explain.result import LapaceResult, counted
from lapace.validation import chunks, warn

__all__ = ["AUTO_CHOICES", "DTYPES", "PRECISIONS", "Engine", "bf16_decoder", "bf16_units",
           "choose_precision", "first_index", "measure_decode"]

#: the decoder precisions of ``Lapace(precision=...)``
PRECISIONS = ("fp32", "bf16", "auto")
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}
#: ``precision="auto"``'s choices in this process, by (device, decoder shape): measured once
AUTO_CHOICES: dict[tuple, tuple[str, str]] = {}
logger = logging.getLogger(__name__)


def first_index(labels: np.ndarray, satisfied: np.ndarray | None, target: int) -> np.ndarray:
    """Algorithm 1 lines 7-8: index (last axis) of the first point of each path that counts
    (predicted as the target and satisfying the constraints), -1 where none does."""
    hit = counted(labels, target, satisfied)
    return np.where(hit.any(-1), hit.argmax(-1), -1)


# ------------------------------------------------------------------ precision
def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:                                     # not Linux: no flags to read
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def bf16_units(device) -> str | None:
    """The bf16 matrix units of ``device``, named, or None: on a CPU the AMX / AVX512-BF16
    flags of /proc/cpuinfo beside torch's capability string, on a GPU its bf16 support."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device) if torch.cuda.is_bf16_supported() else None
    found = [f for f in ("amx_bf16", "avx512_bf16") if f in _cpu_flags()]
    if device.type != "cpu" or not found:
        return None
    return f"{torch.backends.cpu.get_cpu_capability()} ({', '.join(found)})"


def bf16_decoder(vae, dtype: torch.dtype) -> torch.nn.Module | None:
    """The decoder p(x|z) to run in ``dtype``: None for float32 (the L-GMVAE's own), else a
    copy with its weights cast once (bf16 matrix products: AMX or AVX512-BF16 on a CPU, a GPU),
    which autocast would cast again at every call."""
    if dtype == torch.float32:
        return None
    return copy.deepcopy(vae.net_.p_x).to(dtype).eval().requires_grad_(False)


@torch.no_grad()
def measure_decode(vae, dtype: torch.dtype, rows: int = 1024, repeats: int = 3) -> float:
    """Seconds of the fastest of ``repeats`` decodings of ``rows`` latent points in ``dtype``
    (after a warm-up): ``precision="auto"``'s micro-benchmark, a few milliseconds."""
    device = torch.device(vae.device)
    z = torch.randn(rows, vae.latent_dim, generator=torch.Generator().manual_seed(0)).to(device)
    decoder, best = bf16_decoder(vae, dtype), np.inf
    for i in range(repeats + 1):
        start = time.perf_counter()
        vae.decode_raw(z, decoder).cpu()
        if i:
            best = min(best, time.perf_counter() - start)
    return best


def choose_precision(vae, precision: str) -> str:
    """The decoder precision ``"fp32"`` or ``"bf16"`` for ``Lapace(precision=...)``: ``"bf16"``
    where the device has bf16 units (else fp32, with a warning); ``"auto"`` bf16 only where
    :func:`measure_decode` finds it faster, measured once per process and decoder shape
    (:data:`AUTO_CHOICES`) and logged."""
    if precision == "fp32":
        return "fp32"
    units = bf16_units(vae.device)
    if units is None:
        if precision == "bf16":
            warn(f"precision='bf16': the device {vae.device!r} has no bf16 units (AMX, "
                 "AVX512-BF16 or a bf16 GPU), where bf16 runs slower than fp32; decoding in fp32.")
        return "fp32"
    if precision == "bf16":
        return "bf16"
    key = (str(vae.device), vae.latent_dim, vae.hidden_dim, vae.n_features_in_)
    if key not in AUTO_CHOICES:
        fp32, bf16 = measure_decode(vae, torch.float32), measure_decode(vae, torch.bfloat16)
        AUTO_CHOICES[key] = ("bf16" if bf16 < fp32 else "fp32",
                             f"{units}: 1024 decodes in {bf16 * 1e3:.2f} ms in bf16, "
                             f"{fp32 * 1e3:.2f} ms in fp32")
    chosen, why = AUTO_CHOICES[key]
    logger.info("Lapace(precision='auto') decodes in %s (%s)", chosen, why)
    return chosen


def _set_middle(res: LapaceResult, s: slice, mid: np.ndarray, labels: np.ndarray,
                first: np.ndarray) -> None:
    """Middle points (NaN where the path has no First) and their labels into ``res[s]``."""
    res.middle_labels[s] = labels
    mid[first < 0] = np.nan
    res.middle_points[s] = mid


def _fix(P: np.ndarray, X: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """Records ``P`` (n, ..., d) of inputs ``X`` (n, d) with the input's values on the
    ``fixed`` columns (exact immutables, :func:`~lapace.explain.constraints.fixed_columns`)."""
    if len(fixed):
        P[..., fixed] = X[:, fixed].reshape((len(X),) + (1,) * (P.ndim - 2) + (len(fixed),))
    return P


class Engine:
    """Algorithm 1 on one fitted L-GMVAE, black box and dataset (see the module docstring).

    Parameters
    ----------
    vae : the fitted L-GMVAE.
    predict : the black box's checked labels of records, (m, d) -> (m,).
    dataset : the :class:`~lapace.TabularDataset` records are projected onto, or None.
    taus : (T,) the tau grid.
    start : ``"reconstruction"`` or ``"input"`` (as :class:`~lapace.Lapace`'s).
    dtype : the decoder's precision, ``torch.float32`` or ``torch.bfloat16``.

    Attributes (after :meth:`set_targets`): ``target_latents`` (K, h), ``target_records``
    (K, d) and ``target_labels`` (K,), the path ends of every cluster.
    """

    def __init__(self, vae, predict, dataset, taus: np.ndarray, start: str,
                 dtype: torch.dtype = torch.float32):
        self.vae, self.predict, self.dataset = vae, predict, dataset
        self.taus, self.start, self.dtype = taus, start, dtype
        self.device = torch.device(vae.device)
        self.decoder = bf16_decoder(vae, dtype)

    def set_targets(self, target_latents: np.ndarray) -> None:
        """The latent targets of every cluster, their records and labels (§4.1 Last)."""
        self.target_latents = target_latents
        self.target_records = self.records(target_latents)
        self.target_labels = self.labels([self.target_records])[0]

    # ------------------------------------------------------------------ the pieces
    @staticmethod
    def interpolate(z_x, z_c, tau, out: np.ndarray | None = None) -> np.ndarray:
        """Line 4: ``(1 - tau) z_x + tau z_c``, broadcast (into ``out`` when given)."""
        if out is None:
            return (1 - tau) * z_x + tau * z_c
        np.multiply(1 - tau, z_x, out=out)
        out += tau * z_c
        return out

    @staticmethod
    def offsets(residual: np.ndarray | None, tau) -> np.ndarray | None:
        """``(1 - tau) (x - Dec(z_x))``, broadcast: what ``start="input"`` adds to the raw
        decoding (None for the paper's start)."""
        return None if residual is None else (1 - tau) * residual

    def middle_latents(self, z_first, z_last, tau_first, residual):
        """§4.1 Middle: the latent midpoint between First and the path's end, and its offset
        (the midpoint's tau is (tau_first + 1) / 2)."""
        return 0.5 * (z_first + z_last), self.offsets(residual, 0.5 * (tau_first + 1.0))

    @torch.no_grad()
    def decode_raw(self, Z: np.ndarray) -> np.ndarray:
        """Raw decodings (m, d) of latent rows, the decoder run in ``dtype``."""
        out = np.empty((len(Z), self.vae.n_features_in_), dtype=np.float32)
        for s in chunks(len(Z), self.vae.chunk_size):
            raw = self.vae.decode_raw(torch.as_tensor(Z[s], device=self.device), self.decoder)
            out[s] = raw.cpu().numpy()
        return out

    def project(self, raw: np.ndarray) -> np.ndarray:
        """Raw decodings made records (in place where it can): clipped to the L-GMVAE's range,
        then :meth:`~lapace.TabularDataset.project` (one-hot blocks by argmax, integers
        rounded); without a dataset :meth:`~lapace.LGMVAE.harden`."""
        if self.dataset is None:
            return self.vae.harden(raw)
        np.clip(raw, self.vae.feature_min_, self.vae.feature_max_, out=raw)
        return self.dataset.project(raw)

    def records(self, Z: np.ndarray, offset: np.ndarray | None = None) -> np.ndarray:
        """Line 5: latent rows ``Z`` decoded (``offset`` added to the raw decoding) as records."""
        raw = self.decode_raw(Z)
        if offset is not None:
            raw += offset
        return self.project(raw)

    def start_records(self, X: np.ndarray, z_x: np.ndarray) -> np.ndarray:
        """(n, d) the record at tau = 0, shared by an input's paths: the input itself
        (``start="input"``) or its reconstruction."""
        return self.project(X.copy()) if self.start == "input" else self.records(z_x)

    def residual(self, X: np.ndarray, z_x: np.ndarray) -> np.ndarray | None:
        """``x - Dec_raw(z_x)`` (n, d) for ``start="input"``; None for the paper's start."""
        if self.start != "input":
            return None
        return (X - self.decode_raw(z_x)).astype(np.float32)

    def labels(self, blocks: list[np.ndarray]) -> list[np.ndarray]:
        """Line 6: the black box's labels of every block of records, in one call."""
        sizes = [len(b) for b in blocks]
        if not sum(sizes):
            return [np.empty(0, np.int64) for _ in blocks]
        return np.split(self.predict(np.concatenate(blocks)), np.cumsum(sizes)[:-1])

    # ------------------------------------------------------------------ full paths
    def paths(self, res: LapaceResult, X: np.ndarray, deferred: bool, batch_size: int,
              speculate_rows: int) -> np.ndarray | None:
        """Algorithm 1 without constraints for all of ``X``, ``batch_size`` inputs at a time,
        into ``res`` in place; one black-box call per chunk (plus one for the last chunk's
        middle points).  Returns the inputs' labels when ``deferred``."""
        pending: tuple[list, callable] = ([], lambda labels: None)
        x_labels = np.empty(len(X), np.int64) if deferred else None
        for s in chunks(len(X), batch_size):
            blocks, finish = self._chunk(res, s, X[s], speculate_rows)
            if deferred:
                blocks = [X[s]] + blocks
            labels = self.labels(pending[0] + blocks)
            pending[1](labels[:len(pending[0])])
            labels = labels[len(pending[0]):]
            if deferred:
                x_labels[s] = labels.pop(0)
            pending = finish(labels)
        if pending[0]:
            pending[1](self.labels(pending[0]))
        return x_labels

    def _chunk(self, res: LapaceResult, s: slice, X: np.ndarray, speculate_rows: int):
        """Decode the chunk ``s``: the blocks of records its black-box call needs, and what to
        do with their labels (which returns the middle points' blocks and their own finish)."""
        clusters, target, taus = res.clusters, res.target, self.taus
        n, k, T, h, d = X.shape[0], len(clusters), len(taus), self.vae.latent_dim, X.shape[1]
        z_x = self.vae.encode(X, res.input_labels[s])                        # line 1
        lat, tau = res.latents[s], taus[None, None, :, None]                 # a view, in place
        self.interpolate(z_x[:, None, None, :], self.target_latents[clusters][None, :, None, :],
                         tau, out=lat)                                       # line 4
        residual = self.residual(X, z_x)
        off = None if residual is None else np.broadcast_to(
            self.offsets(residual[:, None, None, :], tau[:, :, 1:-1]), (n, k, T - 2, d)
        ).reshape(-1, d)
        rec0 = self.start_records(X, z_x)                                    # line 5
        rec = self.records(lat[:, :, 1:-1].reshape(-1, h), off)
        paths, labels = res.paths[s], res.labels[s]
        paths[:, :, 0] = rec0[:, None]
        paths[:, :, 1:-1] = rec.reshape(n, k, T - 2, d)
        paths[:, :, -1] = self.target_records[clusters][None]               # exactly Dec(z_c)
        blocks = [rec0, rec]
        speculate = n * k * T <= speculate_rows
        if speculate:                                   # the middle of every possible First
            spec = self.records(*self.middle_latents(
                lat.reshape(-1, h), np.repeat(lat[:, :, -1], T, 1).reshape(-1, h),
                np.broadcast_to(taus, (n, k, T)).reshape(-1, 1),
                None if residual is None else np.repeat(residual, k * T, axis=0)))
            blocks.append(spec)

        def finish(parts):
            labels[:, :, 0] = parts[0][:, None]                             # line 6
            labels[:, :, 1:-1] = parts[1].reshape(n, k, T - 2)
            labels[:, :, -1] = self.target_labels[clusters][None]
            first = first_index(labels, None, target)                       # lines 7-8
            res.first_index[s] = first
            at = np.maximum(first, 0)
            if speculate:
                pick = np.arange(n * k) * T + at.reshape(-1)
                _set_middle(res, s, spec[pick].reshape(n, k, d), parts[2][pick].reshape(n, k),
                            first)
                return [], lambda _: None
            zf = np.take_along_axis(lat, at[..., None, None], 2)[:, :, 0].reshape(-1, h)
            mid = self.records(*self.middle_latents(
                zf, lat[:, :, -1].reshape(-1, h), taus[at].reshape(-1, 1),
                None if residual is None else np.repeat(residual, k, axis=0)))
            return [mid], lambda parts: _set_middle(res, s, mid.reshape(n, k, d),
                                                    parts[0].reshape(n, k), first)

        return blocks, finish

    # ------------------------------------------------------------------ with constraints
    def constrained_paths(self, res: LapaceResult, s: slice, X: np.ndarray, violation,
                          fixed: np.ndarray, eta: float, max_corrections: int) -> np.ndarray:
        """Algorithm 1 with constraints (§3.3) for the inputs ``X[s]``, into ``res[s]`` in place:
        every point corrected (:meth:`correct`), decoded, and judged (labels, constraints) on
        its record.  Returns whether each constraint held at some point of the chunk's paths."""
        clusters, target, taus = res.clusters, res.target, self.taus
        X = X[s]
        n, k, T, h, d = X.shape[0], len(clusters), len(taus), self.vae.latent_dim, X.shape[1]
        z_x = self.vae.encode(X, res.input_labels[s])                        # line 1
        tau = taus[None, None, :, None]
        Z = self.interpolate(z_x[:, None, None, :], self.target_latents[clusters][None, :, None, :],
                             tau).reshape(-1, h)                             # line 4
        residual = self.residual(X, z_x)
        offset = None if residual is None else self.offsets(
            residual[:, None, None, :], tau).repeat(k, 1).reshape(-1, d)
        X0 = np.repeat(X, k * T, axis=0)                                     # input of each point
        Z, _ = self.correct(Z, X0, violation, offset, eta, max_corrections)
        paths = _fix(self.records(Z, offset).reshape(n, k, T, d), X, fixed)  # line 5
        res.paths[s] = paths
        each = violation.each(paths.reshape(-1, d), X0)                      # judged on the record
        del X0, offset
        res.satisfied[s] = satisfied = each.all(1).reshape(n, k, T)
        labels = self.labels([paths.reshape(-1, d)])[0].reshape(n, k, T)     # line 6
        res.labels[s] = labels
        Z = Z.reshape(n, k, T, h)
        res.latents[s] = Z
        first = first_index(labels, satisfied, target)                       # lines 7-8
        res.first_index[s] = first
        at = np.maximum(first, 0)
        z_first = np.take_along_axis(Z, at[..., None, None], 2)[:, :, 0]
        z_mid, mid_offset = self.middle_latents(z_first, Z[:, :, -1], taus[at][..., None],
                                                None if residual is None else residual[:, None, :])
        Xk = np.repeat(X, k, axis=0)
        z_mid, _ = self.correct(z_mid.reshape(-1, h), Xk, violation,
                                None if mid_offset is None else mid_offset.reshape(-1, d),
                                eta, max_corrections)
        mid = _fix(self.records(z_mid, None if mid_offset is None else mid_offset.reshape(-1, d)
                                ).reshape(n, k, d), X, fixed).reshape(-1, d)
        res.middle_satisfied[s] = violation.satisfied(mid, Xk).reshape(n, k)
        _set_middle(res, s, mid.reshape(n, k, d), self.labels([mid])[0].reshape(n, k), first)
        return each.any(0)

    def correct(self, Z: np.ndarray, X0: np.ndarray, violation, offset: np.ndarray | None,
                eta: float, max_corrections: int, chunk: int = 16384
                ) -> tuple[np.ndarray, np.ndarray]:
        """§3.3: while g(Dec(z)) > 0, z <- z - eta * grad_z g(Dec(z)), at most
        ``max_corrections`` times, on the float32 decoder whatever ``dtype``.

        Points are corrected independently, ``chunk`` at a time to bound memory; ``offset`` is
        added to every raw decoding (``start="input"``).  Returns the corrected points and
        whether g holds on their hardened decoding (the stopping test; a path point is judged
        again on its record)."""
        out, satisfied = np.empty_like(Z), np.empty(len(Z), dtype=bool)
        for s in chunks(len(Z), chunk):
            out[s], satisfied[s] = self._correct_chunk(
                Z[s], X0[s], violation, None if offset is None else offset[s], eta, max_corrections)
        return out, satisfied

    def _correct_chunk(self, Z, X0, violation, offset, eta, max_corrections):
        vae, dev = self.vae, self.device
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
        for _ in range(max_corrections):
            if len(active) == 0:
                break
            za = z[active].requires_grad_(True)
            g = violation(decode_raw(za, active), x0[active]).sum()
            (grad,) = torch.autograd.grad(g, za)
            z[active] = (za - eta * grad).detach()
            active = active[hard_violation(z[active], active) > 0]
        satisfied = np.ones(len(z), dtype=bool)
        satisfied[active.cpu().numpy()] = False           # still violating after the budget
        return z.cpu().numpy(), satisfied

    # ------------------------------------------------------------------ First, Middle, Last
    def first(self, X: np.ndarray, y: np.ndarray, target: int, deferred: bool, block_rows: int):
        """LAPACE-First of the inputs ``X`` by in-order blocks of steps (lines 4-8), about
        ``block_rows`` points a block, one black-box call each: ``(first index (n, k), points
        (n, k, d), z_x, residual, the inputs' labels when deferred)``."""
        taus, clusters = self.taus, self.vae.clusters(target)
        n, k, T, h, d = X.shape[0], len(clusters), len(taus), self.vae.latent_dim, X.shape[1]
        z_x = self.vae.encode(X, y)                                          # line 1
        z_c = self.target_latents[clusters]
        residual = self.residual(X, z_x)
        first = np.full((n, k), -1, np.int64)
        points = np.full((n, k, d), np.nan, np.float32)
        ii, jj = (a.reshape(-1) for a in np.indices((n, k)))                 # the active paths
        blocks = ([X] if deferred else []) + [self.start_records(X, z_x)]
        x_labels, t0, head = None, 1, True              # the first block also holds tau = 0
        while head or (len(ii) and t0 < T - 1):
            B = min(T - 1 - t0, max(1, -(-block_rows // len(ii))))           # 0 when T == 2
            tb = taus[t0:t0 + B][None, :, None]
            Z = self.interpolate(z_x[ii][:, None, :], z_c[jj][:, None, :], tb)   # line 4
            off = self.offsets(None if residual is None else residual[ii][:, None, :], tb)
            rec = self.records(Z.reshape(-1, h), None if off is None else off.reshape(-1, d))
            parts = self.labels(blocks + [rec])                              # line 6
            lab, recs = parts[-1].reshape(len(ii), B), rec.reshape(len(ii), B, d)
            if head:
                if deferred:
                    x_labels = parts[0]
                lab = np.concatenate([parts[-2][ii][:, None], lab], 1)
                recs = np.concatenate([blocks[-1][ii][:, None], recs], 1)
            at = first_index(lab, None, target)                              # lines 7-8
            done = at >= 0
            first[ii[done], jj[done]] = (0 if head else t0) + at[done]
            points[ii[done], jj[done]] = recs[done, at[done]]
            ii, jj = ii[~done], jj[~done]
            blocks, head, t0 = [], False, t0 + B
        last = self.target_labels[clusters][jj] == target                   # tau = 1
        first[ii[last], jj[last]] = T - 1
        points[ii[last], jj[last]] = self.target_records[clusters][jj[last]]
        return first, points, z_x, residual, x_labels

    def middle(self, first: np.ndarray, z_x: np.ndarray, residual: np.ndarray | None,
               target: int) -> Counterfactuals:
        """LAPACE-Middle from First (:meth:`first`): one decode, one black-box call."""
        taus, clusters = self.taus, self.vae.clusters(target)
        n, k, h = first.shape[0], first.shape[1], z_x.shape[1]
        at = np.maximum(first, 0)
        z_c = self.target_latents[clusters][None]
        zf = self.interpolate(z_x[:, None, :], z_c, taus[at][..., None])
        zl = self.interpolate(z_x[:, None, :], z_c, taus[-1])
        mid = self.records(*self.middle_latents(
            zf.reshape(-1, h), zl.reshape(-1, h), taus[at].reshape(-1, 1),
            None if residual is None else np.repeat(residual, k, axis=0)))
        labels = self.labels([mid])[0].reshape(n, k)
        mid = mid.reshape(n, k, -1)
        mid[first < 0] = np.nan
        return Counterfactuals(mid, (labels == target) & (first >= 0))

    def last(self, n: int, target: int) -> Counterfactuals:
        """LAPACE-Last of ``n`` inputs: the decoded targets (no path at all)."""
        clusters = self.vae.clusters(target)
        shape = (n, len(clusters))
        return Counterfactuals(
            np.broadcast_to(self.target_records[clusters], shape + (self.target_records.shape[1],)
                            ).copy(),
            np.broadcast_to(self.target_labels[clusters] == target, shape).copy())

"""Pixel-region constraints for image inputs (the MNIST "no dash" example, §3.3, Figure 3)."""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["ink_kept", "region_ink", "region_mask", "region_penalty"]


def region_mask(rows: slice, cols: slice, shape: tuple[int, int] = (28, 28)) -> np.ndarray:
    """Boolean mask (h*w,) of the pixels ``[rows, cols]`` of a flattened (h, w) image."""
    mask = np.zeros(shape, dtype=bool)
    mask[rows, cols] = True
    if not mask.any():
        raise ValueError(f"rows {rows} and cols {cols} select no pixel of a {shape} image.")
    return mask.reshape(-1)


def region_ink(X, mask: np.ndarray, threshold: float = 0.01) -> np.ndarray:
    """Ink above ``threshold`` in the region: ``sum relu(x - threshold)`` over it, (..., )."""
    X = np.asarray(X, dtype=np.float32)
    return np.clip(X[..., mask] - threshold, 0.0, None).sum(-1)


def region_penalty(mask: np.ndarray, threshold: float = 0.01, tolerance: float = 0.0):
    """Constraint ``g(x) = sum_region relu(x - threshold) - tolerance`` on (N, h*w) tensors.

    Satisfied (``g <= 0``) when the ink above ``threshold`` in the region is at most
    ``tolerance``; differentiable, so LAPACE can correct latent points through the decoder.
    """
    idx = torch.as_tensor(np.flatnonzero(mask))

    def g(x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x[:, idx.to(x.device)] - threshold).sum(-1) - tolerance

    return g


def ink_kept(images, reference, mask: np.ndarray | None = None) -> np.ndarray:
    """Share of ``reference``'s ink that ``images`` keep, outside the region ``mask``.

    ``sum min(x, ref) / sum ref`` over the pixels outside ``mask`` (every pixel when ``None``),
    for images and references of the same shape (..., h*w); 1 where an image holds at least the
    reference's ink everywhere, 0 where it is blank wherever the reference has ink. Figure 3's
    check: how much of the unconstrained path's image (the input's strokes near τ = 0) a
    constrained path point keeps once the region is emptied. NaN for a blank reference.
    """
    X = np.asarray(images, dtype=np.float32)
    R = np.asarray(reference, dtype=np.float32)
    if X.shape != R.shape:
        raise ValueError(f"images {X.shape} and reference {R.shape} must have the same shape.")
    outside = np.ones(X.shape[-1], dtype=bool) if mask is None else ~np.asarray(mask, dtype=bool)
    R = np.clip(R, 0.0, None)
    kept = np.minimum(np.clip(X, 0.0, None), R)[..., outside].sum(-1)
    total = R[..., outside].sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, kept / np.where(total > 0, total, 1.0), np.nan)

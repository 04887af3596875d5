"""Pixel-region constraints for image inputs (the MNIST "no dash" example, §3.3, Figure 3)."""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["region_mask", "region_ink", "region_penalty"]


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

"""Plotting helpers of the book's image chapters (MNIST Figures 2, 3 and 5)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["image_grid", "training_dynamics"]


def image_grid(
    images,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    titles=None,
    title_colors=None,
    shape: tuple[int, int] = (28, 28),
    cell_size: float = 0.9,
    cmap: str = "gray",
    suptitle: str | None = None,
):
    """Show flattened images as a grid of ``imshow`` panels; return the figure.

    Parameters
    ----------
    images : (rows, cols, h*w) or (rows, cols, h, w) pixel intensities in [0, 1].
    row_labels, col_labels : text left of each row / above each column.
    titles : (rows, cols) text over each panel (e.g. the classifier's label), or None.
    title_colors : (rows, cols) colour of each title, or None (black).
    shape : (h, w) of one image when ``images`` is flattened.
    cell_size : inches per panel.
    suptitle : title of the whole figure.
    """
    images = np.asarray(images, dtype=float)
    if images.ndim == 3:
        images = images.reshape(*images.shape[:2], *shape)
    if images.ndim != 4:
        raise ValueError(f"images must be (rows, cols, h*w) or (rows, cols, h, w), got {images.shape}.")
    rows, cols = images.shape[:2]
    for name, labels, n in (("row_labels", row_labels, rows), ("col_labels", col_labels, cols)):
        if labels is not None and len(labels) != n:
            raise ValueError(f"{name} has {len(labels)} entries for {n} {name.split('_')[0]}s.")
    for name, grid in (("titles", titles), ("title_colors", title_colors)):
        if grid is not None and np.shape(grid)[:2] != (rows, cols):
            raise ValueError(f"{name} must have shape ({rows}, {cols}), got {np.shape(grid)}.")
    extra = 0.35 if titles is not None else 0.0
    fig, axes = plt.subplots(rows, cols, squeeze=False,
                             figsize=(cols * cell_size + 0.6, rows * (cell_size + extra) + 0.6))
    for i in range(rows):
        for j in range(cols):
            ax = axes[i, j]
            ax.imshow(images[i, j], cmap=cmap, vmin=0.0, vmax=1.0)
            ax.set_xticks([])
            ax.set_yticks([])
            if titles is not None:
                color = "black" if title_colors is None else title_colors[i][j]
                ax.set_title(str(titles[i][j]), fontsize=9, color=color, pad=2)
            if col_labels is not None and i == 0:
                ax.text(0.5, 1.0 + (0.45 if titles is not None else 0.08), col_labels[j],
                        transform=ax.transAxes, ha="center", va="bottom", fontsize=7)
            if row_labels is not None and j == 0:
                ax.set_ylabel(row_labels[i], fontsize=8, rotation=0, ha="right", va="center")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def training_dynamics(histories: dict, title: str | None = None):
    """How the cluster assignment evolves during L-GMVAE training, one line per model.

    ``histories`` maps a model's name to its ``history_`` (list of per-epoch dicts).  Three
    panels: the per-sample KL(c) of Eq. 3 on the validation split, the part of it that is
    mutual information between x and its cluster (per-sample minus batch-mean KL(c)), and the
    mean distance between two latent centroids of one label.
    """
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    panels = [
        ("per-sample KL(c) (nats)", lambda h: h["val_kl_c"]),
        ("I(x; c | y) ≈ KL(c) − KL(q̄(c|y)) (nats)", lambda h: h["val_kl_c"] - h["val_kl_c_marginal"]),
        ("latent centroid distance", lambda h: h["centroid_distance"]),
    ]
    for ax, (label, value) in zip(axes, panels, strict=True):
        for i, (name, history) in enumerate(histories.items()):
            epochs = [h["epoch"] for h in history]
            ax.plot(epochs, [value(h) for h in history], color=f"C{i}", label=name)
        ax.set_xlabel("epoch")
        ax.set_title(label, fontsize=10)
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig

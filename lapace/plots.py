"""Plotting helpers of the book: image grids (MNIST Figures 2, 3 and 5), the benchmark bars
(Figure 4) and one input's paths with and without constraints (actionability chapter)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["METRIC_LABELS", "benchmark_bars", "constraint_paths", "image_grid", "training_dynamics"]


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


def constraint_paths(
    dataset,
    x0: np.ndarray,
    free: np.ndarray,
    constrained: np.ndarray,
    taus: np.ndarray,
    features: Sequence[str],
    free_counted: np.ndarray | None = None,
    constrained_counted: np.ndarray | None = None,
    constraints: Sequence = (),
    ncols: int = 4,
    suptitle: str | None = None,
):
    """One input's LAPACE paths without and with constraints, feature by feature.

    Shaded: the allowed range of a feature (Range constraints).

    Parameters
    ----------
    dataset : the :class:`~lapace.TabularDataset` encoder (values are shown in original units).
    x0 : (d,) the encoded input (dotted horizontal line).
    free, constrained : (k, T, d) encoded paths without / with constraints.
    taus : (T,) interpolation grid (the x axis).
    features : continuous features to show, one panel each.
    free_counted, constrained_counted : (k, T) bool, points that count as counterfactuals
        (predicted as the target and, with constraints, satisfying them): drawn as dots.
    constraints : :class:`~lapace.Range` bounds on a shown feature are shaded; others named in
        the panel title.
    """
    from .constraints import Range

    k, T, d = free.shape
    dec_free = dataset.decode(free.reshape(-1, d))
    dec_con = dataset.decode(constrained.reshape(-1, d))
    dec_x0 = dataset.decode(x0[None])
    nrows = int(np.ceil(len(features) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 2.5 * nrows), squeeze=False)
    colours = plt.cm.tab10(np.arange(k) % 10)
    for ax, f in zip(axes.ravel(), features, strict=False):
        vf = dec_free[f].to_numpy().reshape(k, T)
        vc = dec_con[f].to_numpy().reshape(k, T)
        for j in range(k):
            ax.plot(taus, vf[j], color=colours[j], ls="--", lw=1, alpha=0.55)
            ax.plot(taus, vc[j], color=colours[j], lw=1.6)
            if free_counted is not None:
                ax.scatter(taus[free_counted[j]], vf[j][free_counted[j]], s=14, marker="o",
                           facecolors="none", edgecolors=[colours[j]], alpha=0.7, zorder=3)
            if constrained_counted is not None:
                ax.scatter(taus[constrained_counted[j]], vc[j][constrained_counted[j]], s=12,
                           color=colours[j], zorder=4)
        ax.axhline(float(dec_x0[f].iloc[0]), color="black", ls=":", lw=1)
        named = []
        for c in constraints:
            if isinstance(c, Range) and c.feature == f:
                lo = c.low if c.low is not None else -np.inf
                hi = c.high if c.high is not None else np.inf
                ylo, yhi = ax.get_ylim()
                ax.axhspan(max(lo, ylo), min(hi, yhi), color="green", alpha=0.1, zorder=0)
                ax.set_ylim(ylo, yhi)
                named.append("range")
            elif f in (getattr(c, "a", None), getattr(c, "b", None), getattr(c, "feature", None)):
                named.append(repr(c).split("(")[0].lower())
        ax.set_title(f + (f" [{', '.join(named)}]" if named else ""), fontsize=9)
        ax.set_xlabel("τ", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(features):]:
        ax.set_visible(False)
    handles = [plt.Line2D([], [], color="grey", ls="--", label="without constraints"),
               plt.Line2D([], [], color="grey", lw=1.6, label="with constraints (§3.3)"),
               plt.Line2D([], [], color="black", ls=":", label="input"),
               plt.Line2D([], [], color="grey", marker="o", ls="", label="counted, with constraints"),
               plt.Line2D([], [], color="grey", marker="o", ls="", markerfacecolor="none",
                          label="counted, without constraints")]
    fig.legend(handles=handles, loc="lower center", ncol=5, fontsize=8, frameon=False)
    if suptitle:
        fig.suptitle(suptitle, fontsize=11)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


#: how Figure 4 labels each metric of :mod:`lapace.benchmark`
METRIC_LABELS = {
    "validity": "validity", "proximity": "proximity (L1)", "plausibility": "plausibility (LOF)",
    "diversity": "diversity (L1)", "model_robustness": "robustness to model changes",
    "input_robustness": "robustness to input changes", "runtime_s": "runtime (s per input)",
}


def benchmark_bars(summary, metrics: Sequence[str], higher_is_better: dict, title: str | None = None,
                   log_metrics: Sequence[str] = ("runtime_s",), panel_size=(2.05, 2.3)):
    """Figure 4: one row per metric, one panel per pair, one horizontal bar per method.

    ``summary`` is :func:`lapace.benchmark.summarise`'s table (``<metric>_mean``/``_std``); bars
    show the mean over repetitions with the std as error bars; NaN (e.g. diversity of
    single-counterfactual methods) is written as "n/a", an exact 0 as "0".  Each row's label
    carries an arrow for which way is better.  Returns the figure.
    """
    pairs = list(dict.fromkeys(zip(summary["dataset"], summary["classifier"], strict=True)))
    methods = list(dict.fromkeys(summary["method"]))
    colors = dict(zip(methods, plt.cm.tab10(np.arange(len(methods)) % 10), strict=True))
    fig, axes = plt.subplots(len(metrics), len(pairs), squeeze=False, sharey=True,
                             figsize=(panel_size[0] * len(pairs) + 1.2,
                                      panel_size[1] * len(metrics) + 0.6))
    y = np.arange(len(methods))
    for r, metric in enumerate(metrics):
        arrow = "↑ higher is better" if higher_is_better[metric] else "↓ lower is better"
        for c, (d, k) in enumerate(pairs):
            ax = axes[r, c]
            rows = summary[(summary.dataset == d) & (summary.classifier == k)].set_index("method")
            mean = rows[f"{metric}_mean"].reindex(methods).to_numpy(float)
            std = rows[f"{metric}_std"].reindex(methods).to_numpy(float)
            ax.barh(y, np.nan_to_num(mean), xerr=np.nan_to_num(std), color=[colors[m] for m in methods],
                    error_kw={"lw": 0.8, "capsize": 1.5})
            for yi in y[np.isnan(mean) | (mean == 0)]:
                ax.text(0.02, yi, "n/a" if np.isnan(mean[yi]) else "0", va="center", fontsize=7,
                        color="grey", transform=ax.get_yaxis_transform())
            if metric in log_metrics and np.nanmin(mean, initial=np.inf) > 0:
                ax.set_xscale("log")
            ax.tick_params(labelsize=7)
            ax.grid(axis="x", lw=0.4, alpha=0.5)
            ax.set_title(f"{d}-{k.upper()}", fontsize=8)
            if c == 0:
                ax.set_yticks(y, methods, fontsize=8)
                ax.set_ylabel(f"{METRIC_LABELS.get(metric, metric)}\n{arrow}", fontsize=8)
    axes[0, 0].invert_yaxis()  # first method on top (the axes share y)
    if title:
        fig.suptitle(title, fontsize=11)
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

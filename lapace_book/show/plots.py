"""Every figure of the book: each function takes the results (arrays, DataFrames) and returns
the matplotlib figure, which the chapter saves with :func:`lapace_book.provenance.save_figure`.

- ELBO chapter (Eq. 3): :func:`kl_convergence`, :func:`elbo_bound`, :func:`loss_weight_bars`;
- MNIST chapter: :func:`image_grid` (Figures 2, 3), :func:`centroid_grid` (Figure 5),
  :func:`target_share` (Figure 2b), :func:`region_ink_along_path` (Figure 3b);
- tabular chapter: :func:`latent_space`, :func:`training_curves`;
- the cluster-collapse chapter: :func:`training_dynamics`;
- evaluation chapter: :func:`benchmark_bars` (Figure 4);
- actionability chapter: :func:`constraint_paths`;
- regions chapter: :func:`coverage_cost`.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lapace_book.show.benchmark_plots import (
    COLUMN_IN,
    METRIC_LABELS,
    SMALL_PT,
    benchmark_bars,
    benchmark_metric,
    wrap,
)

__all__ = ["METRIC_LABELS", "benchmark_bars", "benchmark_metric", "centroid_grid",
           "constraint_paths", "coverage_cost", "elbo_bound", "features_to_show", "figure1",
           "image_grid", "kl_convergence", "latent_space", "loss_weight_bars",
           "region_ink_along_path", "target_share", "training_curves", "training_dynamics"]


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
    box: tuple[Sequence[int], Sequence[int]] | None = None,
):
    """Show flattened images as a grid of ``imshow`` panels; return the figure.

    Parameters
    ----------
    images : (rows, cols, h*w) or (rows, cols, h, w) pixel intensities in [0, 1].
    row_labels, col_labels : text left of each row / above each column.
    titles : (rows, cols) text over each panel (e.g. the classifier's label), or None.
    title_colors : (rows, cols) colour of each title, or None (black).
    shape : (h, w) of one image when ``images`` is flattened.
    cell_size : inches per panel, at most: a grid wider than the text column gets smaller
        panels (its text keeps its size), so that the page does not scale it down.
    suptitle : title of the whole figure.
    box : ``((row_start, row_stop), (col_start, col_stop))``, 0-based and half-open: a pixel
        region outlined in orange on every panel (Figure 3's dash region), or None.
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
    extra = 0.3 if titles is not None else 0.0
    margin = 1.3 if row_labels is not None else 0.3      # the row labels, left of the grid
    cell_size = min(cell_size, (COLUMN_IN - margin) / cols)
    suptitle = wrap(suptitle, COLUMN_IN, 10)
    head = 0.2 * (1 + suptitle.count("\n")) if suptitle else 0.0
    fig, axes = plt.subplots(rows, cols, squeeze=False,
                             figsize=(cols * cell_size + margin,
                                      rows * (cell_size + extra) + 0.45 + head))
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
                ax.text(0.5, 1.0 + (0.55 if titles is not None else 0.08), col_labels[j],
                        transform=ax.transAxes, ha="center", va="bottom", fontsize=SMALL_PT)
            if row_labels is not None and j == 0:
                ax.set_ylabel(row_labels[i], fontsize=9, rotation=0, ha="right", va="center")
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    if box is not None:
        (r0, r1), (c0, c1) = box
        for ax in fig.axes:
            ax.add_patch(plt.Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0, r1 - r0,
                                       fill=False, ec="orange", lw=0.6))
    return fig


def centroid_grid(centroids, predicted, suptitle: str | None = None, cell_size: float = 1.0):
    """Figure 5: the decoded centroids, one column per label, one row per cluster of it.

    Parameters
    ----------
    centroids : (n_labels, K_y, h*w) decoded centroids (``LGMVAE.decoded_centroids()``
        reshaped), label by label.
    predicted : (n_labels, K_y) the classifier's label of each; written over the image as
        ``"M: <label>"``, red where it is not the column's label.
    """
    centroids, predicted = np.asarray(centroids), np.asarray(predicted)
    n, k = predicted.shape
    return image_grid(
        centroids.transpose(1, 0, 2), col_labels=[f"digit {d}" for d in range(n)],
        row_labels=[f"cluster {j + 1}" for j in range(k)],
        titles=[[f"M: {p}" for p in row] for row in predicted.T],
        title_colors=[["black" if p == d else "red" for d, p in enumerate(row)]
                      for row in predicted.T],
        cell_size=cell_size, suptitle=suptitle)


def target_share(taus, share, per_path, clusters, n_inputs: int, source, target, paper_tau=0.7):
    """Figure 2b: the share of path points the classifier labels ``target`` at every τ.

    ``share`` (T,) over all paths (black), ``per_path`` (k, T) per target cluster (dashed; the
    clusters' ids in ``clusters``), for ``n_inputs`` inputs of class ``source``; a dotted line
    at the paper's "roughly τ ≥ 0.7" (§3.2).
    """
    per_path = np.asarray(per_path)
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 3.4))
    ax.plot(taus, share, "ko-", label=f"all paths ({n_inputs} inputs × {len(per_path)})")
    for j, c in enumerate(clusters):
        ax.plot(taus, per_path[j], "--", alpha=0.7, label=f"to {target} #{j + 1} (cluster {c})")
    ax.axvline(paper_tau, color="grey", ls=":", label=f"paper: 'roughly τ ≥ {paper_tau:g}'")
    ax.set(xlabel="τ", ylabel=f"share predicted {target}", ylim=(-0.02, 1.02),
           title=f"Where LAPACE paths from {source} become {target}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def region_ink_along_path(taus, ink, tolerance: float, threshold: float = 0.01,
                          labels: Sequence[str] = ("no constraint", "no-dash constraint")):
    """Figure 3b: the ink above ``threshold`` in a pixel region at every τ, one line per path.

    ``ink`` is (2, T) (:func:`lapace.images.region_ink`) for the paths named by ``labels``; the
    dotted line is the constraint's ``tolerance`` (§3.3: satisfied below it).
    """
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 3.2))
    for values, marker, label in zip(ink, ("o-", "s-"), labels, strict=True):
        ax.plot(taus, values, marker, label=label)
    ax.axhline(tolerance, color="grey", ls=":", label="tolerance")
    ax.set(xlabel="τ", ylabel=f"ink above {threshold:g} in the region",
           title="Ink left in the dash region along the path")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def kl_convergence(mc, kl_z: float, kl_c: float):
    """ELBO chapter, Figure 1: Monte Carlo estimates of KL(z) and KL(c) against the closed
    forms of :func:`lapace.lgmvae.elbo.kl_z` / :func:`~lapace.lgmvae.elbo.kl_c` (Eq. 3), and their error.

    ``mc`` is indexed by the sample count S with columns ``"kl_z (MC)"``, ``"kl_c (MC)"``,
    ``"kl_z abs. error per input"`` and ``"kl_c abs. error per input"``; ``kl_z``, ``kl_c`` are
    the analytic means (dashed).  The third panel adds a ``1/sqrt(S)`` guide.
    """
    fig = plt.figure(figsize=(COLUMN_IN, 6.2))        # KL(z), KL(c) above, the error below
    axes = [fig.add_subplot(2, 2, 1), fig.add_subplot(2, 2, 2), fig.add_subplot(2, 1, 2)]
    for ax, col, exact, name in ((axes[0], "kl_z (MC)", kl_z, "KL(z)"),
                                 (axes[1], "kl_c (MC)", kl_c, "KL(c)")):
        ax.plot(mc.index, mc[col], "o-", label="Monte Carlo (torch.distributions)")
        ax.axhline(exact, color="k", ls="--", label="analytic (lapace.lgmvae.elbo)")
        ax.set(xscale="log", xlabel="samples S", ylabel=f"mean {name} over inputs", title=name)
        ax.legend(fontsize=SMALL_PT)
    S = np.asarray(mc.index, dtype=float)
    for col, name in (("kl_z abs. error per input", "KL(z)"), ("kl_c abs. error per input", "KL(c)")):
        axes[2].loglog(S, mc[col], "o-", label=name)
    axes[2].loglog(S, mc["kl_z abs. error per input"].iloc[0] / np.sqrt(S), "k:",
                   label=r"$\propto 1/\sqrt{S}$")
    axes[2].set(xlabel="samples S", ylabel="mean |MC − analytic|", title="error per input")
    axes[2].legend(fontsize=SMALL_PT)
    fig.suptitle("Monte Carlo estimates of the KL terms converge to the analytic values", fontsize=11)
    fig.tight_layout()
    return fig


def elbo_bound(bound, gaps):
    """ELBO chapter, Figure 2: the ELBO against importance-sampled ``log p(x|y)`` (Eq. 3's
    Jensen inequality).

    ``bound`` is indexed by the importance sample count S with columns ``"mean IS estimate"``
    and ``"mean ELBO"``; ``gaps`` (n_inputs, len(S)) the IS estimate minus the ELBO per input
    (right: median and 10–90 % band).
    """
    samples = list(bound.index)
    fig, axes = plt.subplots(1, 2, figsize=(COLUMN_IN + 0.2, 3.4))
    axes[0].plot(bound.index, bound["mean IS estimate"], "o-",
                 label=r"importance sampled $\log p(x|y)$")
    axes[0].axhline(bound["mean ELBO"].iloc[0], color="k", ls="--", label="ELBO (Eq. 3)")
    axes[0].set(xscale="log", xlabel="importance samples S", ylabel="mean over inputs (nats)",
                title="The bound holds")
    axes[0].legend(fontsize=SMALL_PT)
    axes[1].plot(samples, np.median(gaps, 0), "o-", label="median over inputs")
    axes[1].fill_between(samples, np.quantile(gaps, 0.1, 0), np.quantile(gaps, 0.9, 0),
                         alpha=0.3, label="10–90 % of inputs")
    axes[1].axhline(0, color="k", lw=0.8)
    axes[1].set(xscale="log", xlabel="importance samples S", ylabel="IS estimate − ELBO (nats)",
                title="Jensen's gap opens up with S")
    axes[1].legend(fontsize=SMALL_PT)
    for ax in axes:
        ax.title.set_fontsize(10)
        ax.yaxis.label.set_fontsize(9)
        ax.tick_params(labelsize=9)
    fig.suptitle("ELBO against an importance-sampled log-likelihood", fontsize=11)
    fig.tight_layout()
    return fig


def loss_weight_bars(table, columns: Sequence[str], zoom: Sequence[str] = ("ELBO",)):
    """ELBO chapter, Figure 3: one panel per column of ``table``, one bar per row (a setting
    of Table 4's loss weights ``(w_z, w_c, w_x)``, the index).

    Panels of ``zoom`` (negative values such as the ELBO) have their y axis cut to the range
    of the bars plus 10 %.  Three panels a row.
    """
    names = table.index.tolist()
    colors = plt.cm.viridis(np.linspace(0.1, 0.8, len(names)))
    ncols = min(3, len(columns))
    nrows = -(-len(columns) // ncols)
    fig, grid = plt.subplots(nrows, ncols, figsize=(COLUMN_IN + 0.3, 3.0 * nrows + 0.4),
                             squeeze=False)
    for ax in grid.flat[len(columns):]:
        fig.delaxes(ax)
    axes = grid.flat[:len(columns)]
    for ax, col in zip(axes, columns, strict=True):
        values = table[col]
        ax.bar(range(len(names)), values, color=colors)
        if col in zoom:
            ax.set_ylim(values.min() - 0.1 * np.ptp(values), values.max() + 0.1 * np.ptp(values))
        ax.set_xticks(range(len(names)), names, rotation=35, ha="right", fontsize=SMALL_PT)
        ax.tick_params(axis="y", labelsize=SMALL_PT)
        ax.set_title(col, fontsize=10)
    for ax in grid[:, 0]:
        ax.set_ylabel("mean over evaluation inputs", fontsize=9)
    fig.suptitle("Loss weights (w_z, w_c, w_x) against the unweighted terms of Eq. 3", fontsize=11)
    fig.tight_layout()
    return fig


def latent_space(panels: dict, clusters_per_class: int, title: str | None = None,
                 shape: tuple[int, int] = (4, 2)):
    """The latent means of each model's training points by cluster, with its centroids.

    ``panels`` maps a panel title (a pair's name) to ``(Z, clusters, centroids, valid)``: the
    (n, h) latent means (``LGMVAE.train_latent_``), their (n,) most likely clusters, the
    (2 K_y, h) centroids of p(z|c) and whether the classifier accepts each decoded centroid.
    Blues: label 0's clusters, reds: label 1's; a black edge on a centroid the classifier
    accepts, "✗" by one it rejects.  For h > 2 the view is the first two principal components
    of the latent means (share of variance in the title).
    """
    from sklearn.decomposition import PCA

    k = clusters_per_class
    fig, axes = plt.subplots(*shape, squeeze=False,
                             figsize=(COLUMN_IN / 2 * shape[1] + 0.2, 3.0 * shape[0] + 0.6))
    colours = [plt.cm.Blues(0.45 + 0.5 * i / max(k - 1, 1)) for i in range(k)] + \
              [plt.cm.Reds(0.45 + 0.5 * i / max(k - 1, 1)) for i in range(k)]
    for ax, (name, (Z, C, Zc, valid)) in zip(axes.ravel(), panels.items(), strict=False):
        if Z.shape[1] > 2:
            pca = PCA(2, random_state=0).fit(Z)
            Z2, Zc2 = pca.transform(Z), pca.transform(Zc)
            view = f"PCA of h={Z.shape[1]}, {100 * pca.explained_variance_ratio_.sum():.0f}% var."
        else:
            Z2, Zc2, view = Z, Zc, "h=2"
        for cl in range(len(Zc)):
            m = C == cl
            ax.scatter(Z2[m, 0], Z2[m, 1], s=4, alpha=0.35, color=colours[cl], rasterized=True)
        for cl, (x, y) in enumerate(Zc2):
            ok = bool(valid[cl])
            ax.scatter(x, y, s=160, marker="X", color=colours[cl],
                       edgecolor="black" if ok else "none", linewidth=1.2, zorder=3)
            ax.annotate(f"{cl}" + ("" if ok else "✗"), (x, y), textcoords="offset points",
                        xytext=(6, 6), fontsize=9, fontweight="bold")
        ax.set_title(f"{name} ({view})", fontsize=9)
        ax.set_xlabel("PC 1" if Z.shape[1] > 2 else "z1", fontsize=9)
        ax.set_ylabel("PC 2" if Z.shape[1] > 2 else "z2", fontsize=9)
        ax.tick_params(labelsize=SMALL_PT)
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(wrap(title, fig.get_figwidth(), 11), fontsize=11)
    fig.tight_layout()
    return fig


#: the loss terms of Eq. 3 in a model's ``history_`` and how :func:`training_curves` names them
LOSS_TERMS = (("kl_z", "KL(z)"), ("kl_c", "KL(c)"), ("rec", "reconstruction"))


def training_curves(histories: dict, best_epochs: dict, per_row: int, title: str | None = None):
    """The three loss terms of Eq. 3 per epoch, training (solid) and validation (dashed).

    ``histories`` maps a model's name to its ``history_`` (per-epoch dicts with ``epoch``,
    ``train_<term>``, ``val_<term>``), ``best_epochs`` a name to the epoch whose weights were
    kept (dotted line).  Models are laid out ``per_row`` to a row, three panels each, at most
    two models (six panels) a row: the figure keeps to the text column's width.
    """
    names = list(histories)
    per_row = max(1, min(per_row, 2))
    nrows = int(np.ceil(len(names) / per_row))
    fig, axes = plt.subplots(nrows, per_row * 3, squeeze=False,
                             figsize=(COLUMN_IN + 0.5 if per_row > 1 else COLUMN_IN, 1.55 * nrows + 0.6))
    for n, name in enumerate(names):
        i, j = divmod(n, per_row)
        hist = pd.DataFrame(histories[name])
        for t, (key, label) in enumerate(LOSS_TERMS):
            ax = axes[i, 3 * j + t]
            ax.plot(hist["epoch"], hist[f"train_{key}"], color="C0", label="train")
            ax.plot(hist["epoch"], hist[f"val_{key}"], color="C1", ls="--", label="validation")
            ax.axvline(best_epochs[name], color="grey", ls=":", lw=1)
            ax.set_title(f"{name}:\n{label}" if per_row > 1 else f"{name}: {label}",
                         fontsize=SMALL_PT)
            ax.tick_params(labelsize=SMALL_PT)
            ax.xaxis.set_major_locator(plt.MaxNLocator(3, integer=True))
            ax.yaxis.set_major_locator(plt.MaxNLocator(3))
            ax.yaxis.get_offset_text().set_fontsize(SMALL_PT)
            if i == nrows - 1:
                ax.set_xlabel("epoch", fontsize=SMALL_PT)
    axes[0, 0].legend(fontsize=SMALL_PT)
    if title:
        fig.suptitle(wrap(title, fig.get_figwidth(), 11), fontsize=11)
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
    ncols : panels a row, at most three (the figure keeps to the text column's width).
    """
    from lapace.explain.constraints import Range

    k, T, d = free.shape
    dec_free = dataset.decode(free.reshape(-1, d))
    dec_con = dataset.decode(constrained.reshape(-1, d))
    dec_x0 = dataset.decode(x0[None])
    ncols = max(1, min(ncols, 3))
    nrows = int(np.ceil(len(features) / ncols))
    suptitle = wrap(suptitle, COLUMN_IN, 10)
    head = 0.25 * (1 + suptitle.count("\n")) if suptitle else 0.0
    fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                             figsize=(COLUMN_IN / 3 * ncols + 0.2, 2.1 * nrows + 0.7 + head))
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
        ax.set_xlabel("τ", fontsize=9)
        ax.tick_params(labelsize=SMALL_PT)
    for ax in axes.ravel()[len(features):]:
        ax.set_visible(False)
    handles = [plt.Line2D([], [], color="grey", ls="--", label="without constraints"),
               plt.Line2D([], [], color="grey", lw=1.6, label="with constraints (§3.3)"),
               plt.Line2D([], [], color="black", ls=":", label="input"),
               plt.Line2D([], [], color="grey", marker="o", ls="", label="counted, with constraints"),
               plt.Line2D([], [], color="grey", marker="o", ls="", markerfacecolor="none",
                          label="counted, without constraints")]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=SMALL_PT, frameon=False)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout(rect=(0, 0.5 / fig.get_figheight(), 1, 1))
    return fig


def features_to_show(constraints: Sequence, features: Sequence[str], moved, n: int = 12) -> list[str]:
    """The panels of :func:`constraint_paths`: the features ``constraints`` name (in their
    order), then the other ``features`` by decreasing ``moved`` (how far each moves along the
    paths, in the order of ``features``), ``n`` at most."""
    named = []
    for c in constraints:
        for f in (getattr(c, "feature", None), getattr(c, "a", None), getattr(c, "b", None)):
            if f and f not in named:
                named.append(f)
    order = [features[j] for j in np.argsort(-np.asarray(moved)) if features[j] not in named]
    return (named + order)[:n]


#: how Figure 4 labels each metric of :mod:`lapace_book.benchmark.grid`
def training_dynamics(histories: dict, title: str | None = None):
    """How the cluster assignment evolves during L-GMVAE training, one line per model.

    ``histories`` maps a model's name to its ``history_`` (list of per-epoch dicts).  Three
    panels: the per-sample KL(c) of Eq. 3 on the validation split, the part of it that is
    mutual information between x and its cluster (per-sample minus batch-mean KL(c)), and the
    mean distance between two latent centroids of one label.
    """
    fig = plt.figure(figsize=(COLUMN_IN, 6.0))       # two panels above, the third below
    axes = [fig.add_subplot(2, 2, 1), fig.add_subplot(2, 2, 2), fig.add_subplot(2, 1, 2)]
    panels = [
        ("per-sample KL(c) (nats)", lambda h: h["val_kl_c"]),
        ("I(x; c | y) ≈ KL(c) − KL(q̄(c|y)) (nats)", lambda h: h["val_kl_c"] - h["val_kl_c_marginal"]),
        ("latent centroid distance", lambda h: h["centroid_distance"]),
    ]
    for ax, (label, value) in zip(axes, panels, strict=True):
        for i, (name, history) in enumerate(histories.items()):
            epochs = [h["epoch"] for h in history]
            ax.plot(epochs, [value(h) for h in history], color=f"C{i}", label=name)
        ax.set_xlabel("epoch", fontsize=9)
        ax.set_title(label, fontsize=9)
        ax.tick_params(labelsize=9)
    axes[0].legend(fontsize=SMALL_PT)
    if title:
        fig.suptitle(wrap(title, COLUMN_IN, 11), fontsize=11)
    fig.tight_layout()
    return fig


def figure1(X, labels, grid, Z, clusters, centroids, x0, paths, path_labels, target: int = 1):
    """The paper's Figure 1 on a 2-D toy: the classifier's predictions (left), the L-GMVAE's
    latent means by cluster with the centroids of p(z|c) (middle, h = 2) and LAPACE's decoded
    paths from ``x0`` to every centroid of ``target`` in the input plane (right).

    ``grid`` is ``(xx, yy, predicted)`` for the decision regions; ``paths`` (k, T, 2) and
    ``path_labels`` (k, T) are one input's :class:`~lapace.LapaceResult` rows; a path point is
    filled where the classifier gives it the target.
    """
    fig, axes = plt.subplots(1, 3, figsize=(COLUMN_IN + 0.5, 3.1))
    xx, yy, zz = grid
    colours = np.array(["tab:blue", "tab:red"])
    ax = axes[0]
    ax.contourf(xx, yy, zz, levels=[-0.5, 0.5, 1.5], colors=["#dbe8f6", "#f8dcdc"])
    ax.scatter(X[:, 0], X[:, 1], s=6, c=colours[labels], alpha=0.6)
    ax.set_title("Classifier's predictions\n(blue 0, red 1)")
    k = len(centroids) // 2
    cmap = [plt.cm.Blues(0.5 + 0.4 * i / max(k - 1, 1)) for i in range(k)] + \
           [plt.cm.Reds(0.5 + 0.4 * i / max(k - 1, 1)) for i in range(k)]
    ax = axes[1]
    for cl in range(len(centroids)):
        m = clusters == cl
        ax.scatter(Z[m, 0], Z[m, 1], s=6, color=cmap[cl], alpha=0.5)
        ax.scatter(*centroids[cl], s=220, marker="X", color=cmap[cl], edgecolor="black", zorder=3)
    ax.set_title("L-GMVAE latent space:\nclusters and centroids")
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    ax = axes[2]
    ax.contourf(xx, yy, zz, levels=[-0.5, 0.5, 1.5], colors=["#dbe8f6", "#f8dcdc"])
    ax.scatter(X[:, 0], X[:, 1], s=4, color="0.75")
    for j in range(len(paths)):
        ax.plot(paths[j, :, 0], paths[j, :, 1], color="black", linewidth=1)
        hit = path_labels[j] == target
        ax.scatter(paths[j, hit, 0], paths[j, hit, 1], s=22, color="tab:red", zorder=3)
        ax.scatter(paths[j, ~hit, 0], paths[j, ~hit, 1], s=22, facecolor="white",
                   edgecolor="tab:blue", zorder=3)
    ax.scatter(*x0, s=160, marker="*", color="gold", edgecolor="black", zorder=4)
    ax.set_title("LAPACE paths from x (star)\nto the red centroids")
    for ax in (axes[0], axes[2]):
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
    for ax in axes:
        ax.title.set_fontsize(9)
        ax.xaxis.label.set_fontsize(9)
        ax.yaxis.label.set_fontsize(9)
        ax.tick_params(labelsize=SMALL_PT)
    fig.tight_layout()
    return fig


def coverage_cost(table, title: str | None = None, ncols: int = 3, panel_size=(2.25, 2.0)):
    """Recourse for groups: one panel per pair, coverage (share of held-out affected inputs
    flipped) against mean cost (encoded L1 over the flipped), one marker per method, labelled
    with its number of actions.  ``table``: the rows of
    :func:`lapace_book.experiments.region_benchmark.compare_pair`."""
    pairs = list(dict.fromkeys(zip(table["dataset"], table["classifier"], strict=True)))
    methods = list(dict.fromkeys(table["method"]))
    colors = dict(zip(methods, plt.cm.tab10(np.arange(len(methods)) % 10), strict=True))
    markers = dict(zip(methods, "osD^vP*X"[:len(methods)], strict=True))
    nrows = -(-len(pairs) // ncols)
    leg_cols = min(len(methods), 4)
    foot = 0.5 + 0.2 * (-(-len(methods) // leg_cols))     # the x label and the legend
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, sharey=True,
                             figsize=(panel_size[0] * ncols + 0.4, panel_size[1] * nrows + foot + 0.5))
    for ax, (d, k) in zip(axes.flat, pairs, strict=False):
        rows = table[(table.dataset == d) & (table.classifier == k)]
        for r in rows.itertuples():
            cost = r.cost if np.isfinite(r.cost) else 0.0
            ax.scatter(cost, r.coverage, color=colors[r.method], marker=markers[r.method], s=36,
                       label=r.method, edgecolor="black" if np.isfinite(r.cost) else "none", lw=0.4)
            ax.annotate(str(int(r.n_actions)), (cost, r.coverage), fontsize=SMALL_PT,
                        xytext=(3, 3), textcoords="offset points")
        ax.set_title(f"{d}-{k.upper()}", fontsize=9)
        ax.set_ylim(-0.05, 1.05)
        ax.set_xlim(left=0)
        ax.tick_params(labelsize=SMALL_PT)
        ax.grid(lw=0.4, alpha=0.5)
    for ax in axes.flat[len(pairs):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("coverage ↑", fontsize=9)
    panels = list(axes.flat)
    for i, ax in enumerate(panels):           # the lowest visible panel of each column
        if ax.get_visible() and not any(b.get_visible() for b in panels[i + ncols::ncols]):
            ax.set_xlabel("mean cost (L1, encoded) ↓", fontsize=9)
    handles = [plt.Line2D([], [], ls="", marker=markers[m], color=colors[m], label=m) for m in methods]
    fig.legend(handles=handles, loc="lower center", ncol=leg_cols, fontsize=SMALL_PT, frameon=False)
    if title:
        fig.suptitle(wrap(title, fig.get_figwidth(), 10), fontsize=10)
    fig.tight_layout(rect=(0, (foot - 0.35) / fig.get_figheight(), 1, 1))
    return fig

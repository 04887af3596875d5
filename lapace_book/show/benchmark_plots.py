"""Figure 4 of the paper: the benchmark's metrics per pair and method (:mod:`lapace_book.benchmark.grid`).

:func:`benchmark_metric` draws one readable figure per metric (the book's Figure 4, split);
:func:`benchmark_bars` the paper's layout, every metric and pair in one grid.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["METRIC_LABELS", "benchmark_bars", "benchmark_metric"]

#: the book's text column, in inches at 96 CSS px per inch (676 px): a figure this wide is shown
#: at its natural size, and its smallest font (8 pt) is about 10 px on screen
#: (``tests/test_plots.py`` checks every figure's smallest text at 676 px, as scripts/check_site.py)
COLUMN_IN = 7.0
#: the smallest font of every figure, in points
SMALL_PT = 8


def wrap(text: str | None, width_in: float, fontsize: float) -> str | None:
    """``text`` broken into lines that fit ``width_in`` inches at ``fontsize`` points, so that a
    long title does not widen the figure (and shrink it on the page)."""
    if not text:
        return text
    chars = max(20, int(width_in * 72 / (0.55 * fontsize)))
    return "\n".join(textwrap.wrap(text, chars))


#: how a metric is named on the book's axes
METRIC_LABELS = {
    "validity": "validity", "proximity": "proximity (L1)", "plausibility": "plausibility (LOF)",
    "diversity": "diversity (L1)", "model_robustness": "robustness to model changes",
    "input_robustness": "robustness to input changes", "runtime_s": "runtime (s per input)",
    "fit_s": "fit time (s, once)",
}


def benchmark_bars(summary, metrics: Sequence[str], higher_is_better: dict, title: str | None = None,
                   log_metrics: Sequence[str] = ("runtime_s",), panel_size=(2.05, 2.3)):
    """Figure 4: one row per metric, one panel per pair, one horizontal bar per method.

    ``summary`` is :func:`lapace_book.benchmark.grid.summarise`'s table (``<metric>_mean``/``_std``); bars
    show the mean over repetitions with the std as error bars; NaN (e.g. diversity of
    single-counterfactual methods) is written as "n/a", an exact 0 as "0".  Each row's label
    carries an arrow for which way is better.  Returns the figure.
    """
    pairs = list(dict.fromkeys(zip(summary["dataset"], summary["classifier"], strict=True)))
    methods = list(dict.fromkeys(summary["method"]))
    cmap = plt.cm.tab10 if len(methods) <= 10 else plt.cm.tab20
    colors = dict(zip(methods, cmap(np.arange(len(methods)) % cmap.N), strict=True))
    width = panel_size[0] * len(pairs) + 1.2
    # the paper's layout is wider than the text column: its type grows with it (about 10 px on
    # screen when the page scales it down to the column)
    small = max(SMALL_PT, round(1.05 * width))
    fig, axes = plt.subplots(len(metrics), len(pairs), squeeze=False, sharey=True,
                             figsize=(width, (panel_size[1] + small / 40) * len(metrics) + 0.6))
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
                ax.text(0.02, yi, "n/a" if np.isnan(mean[yi]) else "0", va="center", fontsize=small,
                        color="grey", transform=ax.get_yaxis_transform())
            if metric in log_metrics and np.nanmin(mean, initial=np.inf) > 0:
                ax.set_xscale("log")
            ax.tick_params(labelsize=small)
            if ax.get_xscale() == "linear":
                ax.xaxis.set_major_locator(plt.MaxNLocator(2))
            else:
                ax.xaxis.set_minor_formatter(plt.NullFormatter())
            ax.grid(axis="x", lw=0.4, alpha=0.5)
            ax.set_title(f"{d}-{k.upper()}", fontsize=small)
            if c == 0:
                ax.set_yticks(y, methods, fontsize=small)
                ax.set_ylabel(f"{wrap(METRIC_LABELS.get(metric, metric), 1.2, small)}\n{arrow}",
                              fontsize=small)
    axes[0, 0].invert_yaxis()  # first method on top (the axes share y)
    if title:
        fig.suptitle(wrap(title, width, small + 2), fontsize=small + 2)
    fig.tight_layout(h_pad=1.5)
    return fig


def benchmark_metric(summary, metric: str, higher_is_better: dict, title: str | None = None,
                     log: bool | None = None, clip: float = 3.0, ncols: int = 3,
                     panel_size=(1.85, 1.9)):
    """One metric of Figure 4, readable at page width: one panel per pair (``ncols`` a row),
    one horizontal bar per method.

    ``log`` (default: for runtime) puts every panel on one shared log axis.  On a linear axis
    each panel has its own, and a bar more than ``clip`` times the panel's next largest is cut
    at the axis' end and labelled with its value, so that one outlier (DiCE's input
    robustness) does not squash the other bars.  Error bars (std over repetitions) are drawn
    only where the std is positive; NaN is written "n/a".
    """
    pairs = list(dict.fromkeys(zip(summary["dataset"], summary["classifier"], strict=True)))
    methods = list(dict.fromkeys(summary["method"]))
    cmap = plt.cm.tab10 if len(methods) <= 10 else plt.cm.tab20
    colors = [cmap(i % cmap.N) for i in range(len(methods))]
    log = metric == "runtime_s" if log is None else log
    nrows = -(-len(pairs) // ncols)
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, sharey=True, sharex=bool(log),
                             figsize=(panel_size[0] * ncols + 1.6, panel_size[1] * nrows + 0.9))
    y = np.arange(len(methods))
    for ax, (d, k) in zip(axes.flat, pairs, strict=False):
        rows = summary[(summary.dataset == d) & (summary.classifier == k)].set_index("method")
        mean = rows[f"{metric}_mean"].reindex(methods).to_numpy(float)
        std = rows[f"{metric}_std"].reindex(methods).to_numpy(float)
        values = np.sort(mean[np.isfinite(mean)])
        high = np.inf
        if not log and len(values) > 1 and values[-2] > 0 and values[-1] > clip * values[-2]:
            high = 1.15 * values[-2]
        shown = np.minimum(np.nan_to_num(mean), high)
        err = np.where(np.nan_to_num(std) > 0, np.nan_to_num(std), np.nan)
        ax.barh(y, shown, color=colors, xerr=None if np.isnan(err).all() else err,
                error_kw={"lw": 0.8, "capsize": 1.5})
        for yi in y:
            if np.isnan(mean[yi]):
                ax.text(0.02, yi, "n/a", va="center", fontsize=SMALL_PT, color="grey",
                        transform=ax.get_yaxis_transform())
            elif mean[yi] > high:
                ax.text(0.97, yi, f"{mean[yi]:.3g} (cut)", va="center", ha="right", fontsize=SMALL_PT,
                        color="white", transform=ax.get_yaxis_transform())
        if np.isfinite(high):
            ax.set_xlim(0, high)
        ax.set_title(f"{d}-{k.upper()}", fontsize=9)
        ax.tick_params(labelsize=SMALL_PT)
        ax.grid(axis="x", lw=0.4, alpha=0.5)
    if log:
        axes[0, 0].set_xscale("log")
    for ax in axes.flat[len(pairs):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_yticks(y, methods, fontsize=8)
    axes[0, 0].invert_yaxis()
    arrow = "↑ higher is better" if higher_is_better[metric] else "↓ lower is better"
    fig.supxlabel(f"{METRIC_LABELS.get(metric, metric)}, {arrow}", fontsize=9)
    if title:
        fig.suptitle(wrap(title, fig.get_figwidth(), 10), fontsize=10)
    fig.tight_layout()
    return fig

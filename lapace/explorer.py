"""The path explorer: a few inputs' LAPACE paths, step by step, as a table and as one
interactive Plotly figure (Algorithm 1, §3.2; the measures of §4.1 at every path point).

:func:`explore` explains a handful of inputs with a fitted :class:`~lapace.Lapace` and returns a
:class:`PathExplorer`.  Its ``table`` has one row per (input, path, step): ``tau``, the black
box's ``label`` of the decoded record and whether it is the target (``valid``), the record's
local outlier factor (``lof``, :func:`lapace.metrics.plausibility` of that point alone: about
1 for an inlier), the share of retrained black boxes that predict the target (``agreement``,
:func:`lapace.metrics.model_robustness` of that point alone) and the record itself: in
original units with the explainer's dataset (:meth:`~lapace.TabularDataset.decode`, the
projected record the black box judged), else the encoded columns ``x0, x1, ...`` (an image's
pixels).

:meth:`PathExplorer.figure` draws it with Plotly: a dropdown picks an input and one of its
paths, a slider walks tau.  It shows a status line (tau, label, LOF, agreement), the record
(input beside the decoded record, changed values marked; or the input and decoded images) and
the whole path's LOF and agreement (or label) against tau.  Every tau is one animation frame
holding that step of every path, so the figure works in static HTML without a kernel;
:func:`figure_html` writes it for a page that loads plotly.js itself (the book ships it from
its own ``_static`` folder, ``book/_ext``).  Plotly is imported only to draw.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lapace.metrics import model_robustness, plausibility
from lapace.validation import (
    check_fitted_X,
    check_int,
    check_is_fitted,
    optional_import,
    unclash,
)

__all__ = ["PATH_COLUMNS", "PathExplorer", "explore", "figure_html"]

#: the columns of :attr:`PathExplorer.table` before the record's features
PATH_COLUMNS = ["input", "path", "cluster", "step", "tau", "label", "valid", "lof", "agreement"]

TARGET_COLOUR, OTHER_COLOUR, CHANGED_FILL = "#2e7d32", "#9e9e9e", "#fde68a"
HEADER = {"fill": {"color": "#e8eef7"}, "align": "left", "font": {"size": 12}}
#: where the panels sit (paper fractions): the status line over the whole width; below it the
#: record (a table, or the input's and the decoded image) at the left, the curves at the right
STATUS = {"x": [0, 1], "y": [0.86, 1]}
RECORD = {"x": [0, 0.54], "y": [0, 0.78]}
IMAGES = ([0, 0.28], [0.31, 0.59])
UPPER, LOWER = [0.46, 0.78], [0, 0.34]
FRAME_ARGS = {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
              "transition": {"duration": 0}}


@dataclass
class PathExplorer:
    """What :func:`explore` returns: the paths' table and what the figure needs to label it.

    Attributes
    ----------
    table : one row per (input, path, step): :data:`PATH_COLUMNS`, then the record's features.
    inputs : one row per input: ``input``, its black-box ``label``, then its record.
    target : the target label y'.
    features : the record's columns in ``table`` and ``inputs``.
    class_names : the name of every label (``class_names[label]``).
    n_retrained : how many retrained black boxes ``agreement`` counts (0: not computed).
    image_shape : (height, width) when the records are images, else ``None``.
    """

    table: pd.DataFrame
    inputs: pd.DataFrame
    target: int
    features: list[str]
    class_names: list[str]
    n_retrained: int = 0
    image_shape: tuple[int, int] | None = None

    @property
    def groups(self) -> list[tuple[int, int, int]]:
        """``(input, path, cluster)`` of every path, in the table's order."""
        keys = self.table[["input", "path", "cluster"]].drop_duplicates()
        return [tuple(int(v) for v in row) for row in keys.itertuples(index=False)]

    @property
    def taus(self) -> np.ndarray:
        """The tau grid every path is explained at."""
        return np.sort(self.table["tau"].unique())

    def figure(self, title: str = "Path explorer", height: int | None = None):
        """The interactive Plotly figure: a dropdown over the paths, a slider over tau (one
        animation frame per tau, holding that step of every path) and a play button.
        ``height`` in pixels; by default enough for every feature's row."""
        go = optional_import("plotly.graph_objects", "explorer", "The path explorer's figure")

        if height is None:
            height = 640 if self.image_shape else max(560, int((52 + 24 * len(self.features))
                                                               / RECORD["y"][1]) + 220)
        height = check_int(height, "height", minimum=300)
        groups, taus = self.groups, self.taus
        draw = _image_traces if self.image_shape else _record_traces
        traces, steppers = [], []
        for g, (i, j, _) in enumerate(groups):
            rows = self.table[(self.table["input"] == i) & (self.table["path"] == j)]
            made, stepper = draw(self, rows, self.inputs[self.inputs["input"] == i].iloc[0])
            for trace in made:
                trace["visible"] = g == 0
            steppers.append((len(traces), stepper))
            traces += made
        frames = []
        for t, tau in enumerate(taus):
            updates = [(start + k, u) for start, stepper in steppers for k, u in stepper(t)]
            frames.append(go.Frame(name=f"t{t}", data=[u for _, u in updates],
                                   traces=[k for k, _ in updates],
                                   layout={"shapes": _tau_lines(float(tau))}))
        n = len(traces) // len(groups)
        buttons = [{"label": f"input {i + 1}, path {j + 1} (to cluster {c})", "method": "update",
                    "args": [{"visible": [k // n == g for k in range(len(traces))]}]}
                   for g, (i, j, c) in enumerate(groups)]
        steps = [{"label": f"{tau:.2f}", "method": "animate", "args": [[f"t{t}"], FRAME_ARGS]}
                 for t, tau in enumerate(taus)]
        play = {"label": "▶ play", "method": "animate", "args": [None, {
            **FRAME_ARGS, "frame": {"duration": 350, "redraw": True}, "fromcurrent": True}]}
        key = (f"<span style='color:{TARGET_COLOUR}'>●</span> black box: the target "
               f"({self.class_names[self.target]})<br><span style='color:{OTHER_COLOUR}'>●"
               "</span> another label")
        fig = go.Figure(data=traces, frames=frames)
        fig.update_layout(
            title={"text": title, "x": 0.01, "y": 1 - 12 / height, "yanchor": "top",
                   "font": {"size": 15}},
            height=height, margin={"l": 10, "r": 10, "t": 100, "b": 100}, showlegend=False,
            plot_bgcolor="white", shapes=_tau_lines(float(taus[0])),
            updatemenus=[
                {"buttons": buttons, "active": 0, "x": 0.0, "y": 1.0 + 60 / (height - 180),
                 "xanchor": "left", "yanchor": "top", "direction": "down", "showactive": True},
                {"type": "buttons", "buttons": [play], "x": 0.0, "y": -0.1, "xanchor": "left",
                 "yanchor": "top", "showactive": False}],
            sliders=[{"steps": steps, "active": 0, "x": 0.1, "len": 0.9, "y": -0.07,
                      "yanchor": "top", "pad": {"t": 0},
                      "currentvalue": {"prefix": "τ = ", "font": {"size": 14}}}],
            annotations=[{"text": key, "xref": "paper", "yref": "paper", "x": 1.0,
                          "y": 1.0 + 60 / (height - 180), "xanchor": "right", "yanchor": "top",
                          "align": "left", "showarrow": False, "font": {"size": 12}},
                         *_panel_titles(self)],
            **_axes(self))
        return fig


def _status(ex: PathExplorer, rows: pd.DataFrame):
    """The status line (a one-row table) and its cells at every step."""
    def cells(t: int) -> dict:
        r = rows.iloc[t]
        label = ex.class_names[int(r["label"])]
        said = f"{label} (the target)" if r["valid"] else label
        agree = (f"{round(r['agreement'] * ex.n_retrained)} of {ex.n_retrained} predict the target"
                 if ex.n_retrained else "none here")
        lof = "not computed" if np.isnan(r["lof"]) else f"{r['lof']:.2f}"
        colour = TARGET_COLOUR if r["valid"] else "black"
        return {"type": "table", "cells": {
            "values": [[f"{r['tau']:.2f}"], [said], [lof], [agree]], "align": "left",
            "height": 26, "font": {"color": [["black"], [colour], ["black"], ["black"]]}}}

    header = ["τ", "black box says", "LOF (about 1: an inlier)", "retrained black boxes"]
    return {"type": "table", "domain": STATUS, "columnwidth": [1, 3, 2.4, 3],
            "header": {**HEADER, "values": header}, **cells(0)}, cells


def _curves(ex: PathExplorer, rows: pd.DataFrame) -> list[dict]:
    """The whole path: LOF (above) and agreement or label (below) against tau."""
    colours = [TARGET_COLOUR if v else OTHER_COLOUR for v in rows["valid"]]
    tau = rows["tau"].to_numpy()
    below = rows["agreement" if ex.n_retrained else "label"].to_numpy()
    line = {"type": "scatter", "x": tau, "mode": "lines+markers", "line": {"color": "#607d8b"},
            "marker": {"color": colours, "size": 7}}
    return [{**line, "y": rows["lof"].to_numpy(), "xaxis": "x2", "yaxis": "y2",
             "hovertemplate": "τ %{x:.2f}: LOF %{y:.2f}<extra></extra>"},
            {**line, "y": below, "xaxis": "x3", "yaxis": "y3",
             "hovertemplate": "τ %{x:.2f}: %{y}<extra></extra>"}]


def _record_traces(ex: PathExplorer, rows: pd.DataFrame, x0: pd.Series):
    """Status, the record beside the input (changed values marked), the curves."""
    status, status_cells = _status(ex, rows)
    given = [_fmt(x0[f]) for f in ex.features]

    def cells(t: int) -> dict:
        now = [_fmt(rows.iloc[t][f]) for f in ex.features]
        fill = [CHANGED_FILL if a != b else "white" for a, b in zip(given, now, strict=True)]
        return {"type": "table", "cells": {
            "values": [ex.features, given, now], "align": "left", "height": 24,
            "fill": {"color": [["white"] * len(now), ["white"] * len(now), fill]}}}

    table = {"type": "table", "domain": RECORD, "columnwidth": [2.3, 2.5, 2.5],
             "header": {**HEADER, "values": ["feature", "input", "decoded record at τ"]},
             **cells(0)}
    return ([status, table, *_curves(ex, rows)],
            lambda t: [(0, status_cells(t)), (1, cells(t))])


def _image_traces(ex: PathExplorer, rows: pd.DataFrame, x0: pd.Series):
    """Status, the input and the decoded image (0..255 grey), the curves."""
    status, status_cells = _status(ex, rows)
    pixels = rows[ex.features].to_numpy(np.float64)

    def z(values) -> np.ndarray:
        values = np.clip(np.asarray(values, np.float64), 0, 1)
        return np.rint(values * 255).astype(np.uint8).reshape(ex.image_shape)

    grey = {"type": "heatmap", "colorscale": [[0, "white"], [1, "black"]], "zmin": 0, "zmax": 255,
            "showscale": False, "hovertemplate": "row %{y}, column %{x}: %{z}<extra></extra>"}
    return ([status, {**grey, "z": z(x0[ex.features]), "xaxis": "x4", "yaxis": "y4"},
             {**grey, "z": z(pixels[0]), "xaxis": "x5", "yaxis": "y5"},
             *_curves(ex, rows)],
            lambda t: [(0, status_cells(t)), (2, {"type": "heatmap", "z": z(pixels[t])})])


def _axes(ex: PathExplorer) -> dict:
    """The layout's axes: LOF and agreement (or label) against tau; the images' panels."""
    left = (RECORD["x"][1] if ex.image_shape is None else IMAGES[1][1]) + 0.13
    tau = {"range": [-0.03, 1.03], "domain": [left, 1], "gridcolor": "#eeeeee", "zeroline": False}
    below = ({"title": {"text": "retrained black boxes<br>predicting the target"},
              "range": [-0.05, 1.05], "tickformat": ".0%"} if ex.n_retrained else
             {"title": {"text": "black box's label"}, "tickmode": "array",
              "tickvals": list(range(len(ex.class_names))), "ticktext": ex.class_names})
    axes = {
        "xaxis2": {**tau, "anchor": "y2", "showticklabels": False},
        "yaxis2": {"domain": UPPER, "anchor": "x2", "title": {"text": "LOF"},
                   "gridcolor": "#eeeeee"},
        "xaxis3": {**tau, "anchor": "y3", "title": {"text": "τ"}},
        "yaxis3": {**below, "domain": LOWER, "anchor": "x3", "gridcolor": "#eeeeee"},
    }
    if ex.image_shape is not None:
        h, w = ex.image_shape
        for k, x in enumerate(IMAGES, 4):
            axes[f"xaxis{k}"] = {"domain": x, "anchor": f"y{k}", "visible": False,
                                 "range": [-0.5, w - 0.5], "constrain": "domain"}
            axes[f"yaxis{k}"] = {"domain": [0.0, RECORD["y"][1] - 0.04], "anchor": f"x{k}",
                                 "visible": False, "range": [h - 0.5, -0.5],
                                 "scaleanchor": f"x{k}", "constrain": "domain"}
    return axes


def _panel_titles(ex: PathExplorer) -> list[dict]:
    """Titles over the images' panels (the tables and the curves carry their own)."""
    if ex.image_shape is None:
        return []
    return [{"text": f"<b>{name}</b>", "xref": "paper", "yref": "paper", "x": sum(x) / 2,
             "y": RECORD["y"][1] - 0.03, "yanchor": "bottom", "showarrow": False,
             "font": {"size": 13}} for x, name in zip(IMAGES, ["input", "decoded at τ"], strict=True)]


def _tau_lines(tau: float) -> list[dict]:
    """A vertical line at ``tau`` in both curves' panels."""
    return [{"type": "line", "x0": tau, "x1": tau, "xref": x, "y0": 0, "y1": 1, "yref": f"{y} domain",
             "line": {"color": "#d32f2f", "width": 2, "dash": "dot"}}
            for x, y in (("x2", "y2"), ("x3", "y3"))]


def _fmt(value) -> str:
    """A record's value as the table shows it (numbers to 4 significant digits)."""
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return "–"
        if float(value).is_integer() and abs(value) < 1e15:
            return f"{int(value):d}"
        return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.4g}"
    return str(value)


def explore(explainer, X, target: int = 1, *, lof=None, retrained: Sequence | None = None,
            class_names: Sequence[str] | None = None, image_shape: tuple[int, int] | None = None,
            max_inputs: int = 8) -> PathExplorer:
    """Explain a few inputs with ``explainer`` and tabulate every step of every path.

    Parameters
    ----------
    explainer : a fitted :class:`~lapace.Lapace` (``Lapace(vae).fit(model=..., dataset=...)``).
    X : (n, d) encoded inputs, 1 <= n <= ``max_inputs``, none predicted as ``target``.
    target : the target label y'.
    lof : a :func:`lapace.metrics.lof_model` (e.g. fitted on the training inputs predicted
        ``target``), or ``None``: no ``lof``.
    retrained : retrained black boxes (models with ``predict``, or callables mapping encoded
        points to labels, e.g. :func:`lapace_book.benchmark.evaluation.retrained`), or ``None``.
    class_names : a name per label; default ``"<target> = <class>"`` from the dataset, else
        ``"0", "1", ...``.
    image_shape : (height, width) of image records (pixels in [0, 1]); the figure then draws
        images.  Needs an explainer without a dataset and ``height * width == d``.
    max_inputs : the most inputs accepted: the figure holds every step of every path.
    """
    if not callable(getattr(explainer, "explain_paths", None)):
        raise ValueError(f"explainer must be a fitted lapace.Lapace (the explorer draws LAPACE's "
                         f"paths), got {type(explainer).__name__}, which has none; explain with "
                         "Lapace(vae).fit(model=..., dataset=...).")
    check_is_fitted(explainer, "targets_", "call Lapace(vae).fit(model=..., dataset=...) first")
    # as Lapace.explain reads it: a frame's columns by name, the width, the fitted range
    X = check_fitted_X(explainer, X, "X", getattr(explainer, "groups_", ()))
    max_inputs = check_int(max_inputs, "max_inputs")
    if not 1 <= len(X) <= max_inputs:
        raise ValueError(f"X holds {len(X)} inputs; the explorer shows a handful (1 to "
                         f"max_inputs={max_inputs}): pass X[:{max_inputs}], or raise max_inputs.")
    ds = explainer.dataset_
    d = X.shape[1]
    if image_shape is not None:
        ok = (isinstance(image_shape, tuple | list) and len(image_shape) == 2
              and all(isinstance(s, int | np.integer) and not isinstance(s, bool) and s > 0
                      for s in image_shape))
        if not ok or int(np.prod(image_shape)) != d:
            raise ValueError(f"image_shape must be (height, width) with height * width = {d} "
                             f"columns, got {image_shape!r}.")
        if ds is not None:
            raise ValueError("image_shape is for image records: the explainer was fitted with a "
                             "tabular dataset, whose records the figure shows as a table.")
        image_shape = (int(image_shape[0]), int(image_shape[1]))
    n_labels = int(explainer.n_labels_)
    if class_names is None:
        class_names = ([f"{ds.target} = {c}" for c in ds.classes_] if ds is not None
                       else [str(c) for c in range(n_labels)])
    class_names = [str(c) for c in class_names]
    if len(class_names) != n_labels:
        raise ValueError(f"class_names must name all {n_labels} labels, got {len(class_names)}.")

    if retrained is not None and (callable(retrained) or hasattr(retrained, "predict")
                                  or isinstance(retrained, str | bytes)):
        raise ValueError(f"retrained must be a list of retrained black boxes, got "
                         f"{type(retrained).__name__}; wrap a single one in a list: [model].")
    res = explainer.explain_paths(X, target)
    n = len(X)
    points = res.paths.reshape(-1, 1, d)
    every = np.ones((len(points), 1), bool)
    records = ds.decode(X) if ds is not None else pd.DataFrame(
        X, columns=[f"x{j}" for j in range(d)])
    # a feature named like a column of the table ("label", "lof") gets " (feature)" added
    names = unclash(list(records.columns), PATH_COLUMNS + ["satisfied", "found"])
    records.columns = names
    paths = res.to_frame(ds)
    values = paths.iloc[:, -len(names):].set_axis(names, axis=1)     # the features come last
    frame = pd.concat([paths.iloc[:, :-len(names)].drop(columns=["satisfied", "found"]), values],
                      axis=1)
    frame["lof"] = np.nan if lof is None else plausibility(points, every, lof)
    frame["agreement"] = np.nan
    n_retrained = 0
    if retrained is not None:
        predicts = [m if callable(m) else _as_predict(m, i) for i, m in enumerate(retrained)]
        frame["agreement"] = model_robustness(points, every, predicts, target)
        n_retrained = len(predicts)
    features = names
    frame["label"] = frame["label"].astype(np.int64)
    frame["step"] = frame["step"].astype(np.int64)
    inputs = pd.concat([pd.DataFrame({"input": np.arange(n), "label": res.input_labels}),
                        records.reset_index(drop=True)], axis=1)
    return PathExplorer(frame[PATH_COLUMNS + features], inputs, int(res.target), features,
                        class_names, n_retrained, image_shape)


def _as_predict(model, i: int):
    if not callable(getattr(model, "predict", None)):
        raise ValueError(f"retrained[{i}] is neither a model with predict nor a callable "
                         f"(got {type(model).__name__}).")
    return lambda Z: model.predict(np.asarray(Z, np.float64))


def figure_html(fig, div_id: str = "path-explorer") -> str:
    """The figure as an HTML fragment for a page that loads plotly.js itself (no CDN, no
    kernel): ``IPython.display.HTML(figure_html(fig))``; frames stay still until asked."""
    if not callable(getattr(fig, "to_html", None)) or not hasattr(fig, "frames"):
        raise ValueError(f"fig must be a plotly Figure (PathExplorer.figure()), got "
                         f"{type(fig).__name__}.")
    if not isinstance(div_id, str) or not re.fullmatch(r"[A-Za-z][\w-]*", div_id):
        raise ValueError(f"div_id must be an HTML id (a letter, then letters, digits, - or _), "
                         f"got {div_id!r}.")
    return fig.to_html(include_plotlyjs=False, full_html=False, auto_play=False, div_id=div_id,
                       default_width="100%",
                       config={"displaylogo": False, "responsive": True,
                               "modeBarButtonsToRemove": ["lasso2d", "select2d"]})

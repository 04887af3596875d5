"""What every chapter opens with: the paper-scale numbers of the committed reference run.

:func:`show` is a chapter's first cell after its title.  It displays where the chapter's
paper-scale numbers stand (:func:`lapace_book.show.status.status_markdown`) and, when a reference run
is committed and this build is not itself the paper profile, the chapter's paper-scale tables
(:data:`SECTIONS`) read from ``reference/paper/`` and formatted for reading: Table 1 beside the
paper's, Tables 2-4, Figure 4 redrawn from the reference's ``figure4.csv``, the claims, the
prototype diagnostics and Figure 5's check.  Every table is captioned with the reference's
label (date, commit, minutes and cores).  The rest of the page is the build's own profile, a
live check of the same code.

This module only shows results that exist, so it is not part of a chapter's fingerprint
(:data:`lapace_book.reference.NOT_RESULTS`): changing how a table reads does not make the reference
stale.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from lapace_book.provenance import current_profile
from lapace_book.reference import PROFILE, check_reference, reference_label, reference_table
from lapace_book.show.status import status_markdown
from lapace_book.show.text import in_microseconds

__all__ = ["SECTIONS", "show", "tables"]

PAIR = {"rf": "RF", "nn": "NN"}
#: tables longer than this many rows are shown in a collapsed box
LONG = 20


def _pair(df: pd.DataFrame) -> pd.Series:
    return df["dataset"] + "-" + df["classifier"].map(PAIR).fillna(df["classifier"])


def _pct(x) -> str:
    return "–" if pd.isna(x) else f"{100 * float(x):.1f}"


def _table1(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({
        "pair": _pair(df), "recipe": df["recipe"],
        "classifier acc. (ours / paper)": [f"{_pct(a)} / {_pct(b)}" for a, b in
                                           zip(df.clf_accuracy, df.clf_accuracy_paper, strict=False)],
        "TSTR real (ours / paper)": [f"{_pct(a)} / {_pct(b)}" for a, b in
                                     zip(df.tstr_real_mean, df.tstr_real_mean_paper, strict=False)],
        "TSTR synthetic (ours / paper)": [f"{_pct(a)} / {_pct(b)}" for a, b in
                                          zip(df.tstr_synth_mean, df.tstr_synth_mean_paper, strict=False)],
        "centroid acc. raw / repaired (paper)": [
            f"{_pct(a)} / {_pct(b)} ({_pct(c)})" for a, b, c in
            zip(df.centroid_accuracy, df.centroid_accuracy_repaired, df.centroid_accuracy_paper,
                strict=False)],
    })
    return out


def _prototypes(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"pair": _pair(df), "label": df["label"]})
    names = {"spread_ratio": "spread ratio", "min_usage": "least-used cluster's share",
             "mean_max_q": "mean max q(c|x,y)", "reconstruction_label_kept":
             "reconstructions keep the label", "centroid_accuracy_raw": "centroid acc. (raw)"}
    for col, name in names.items():
        if col in df:
            out[name] = df[col].round(2)
    return out


def _figure4(df: pd.DataFrame) -> pd.DataFrame:
    metrics = ["validity", "proximity", "plausibility", "diversity", "model_robustness",
               "input_robustness", "runtime_s"]
    names = {"validity": "validity", "proximity": "proximity", "plausibility": "plausibility",
             "diversity": "diversity", "model_robustness": "model rob.",
             "input_robustness": "input rob.", "runtime_s": "ms / input"}
    out = pd.DataFrame({"pair": _pair(df), "method": df["method"]})
    for m in metrics:
        mean, std = df[f"{m}_mean"], df[f"{m}_std"]
        scale = 1000.0 if m == "runtime_s" else 1.0
        out[names[m]] = [("–" if pd.isna(a) else
                          f"{scale * a:.2f}" + ("" if pd.isna(s) or s == 0 else f" ± {scale * s:.2f}"))
                         for a, s in zip(mean, std, strict=False)]
    return out


def _verdicts(df: pd.DataFrame) -> pd.DataFrame:
    """One row per claim: what the paper says, and whether it holds for each recipe."""
    said = df.drop_duplicates("key").set_index("key")["paper_says"]
    holds = df.pivot_table(index="key", columns="recipe", values="holds", aggfunc="first",
                           sort=False)
    out = pd.DataFrame({"the paper says": said})
    names = {"ours": "holds? (ours)", "paper": "holds? (paper's recipe)", "-": "holds?"}
    for recipe in holds.columns:
        out[names.get(recipe, f"holds? ({recipe})")] = holds[recipe].reindex(out.index)
    out.index.name = "claim"
    return out.fillna("–")


def _claims(df: pd.DataFrame) -> pd.DataFrame:
    df = df.assign(key=df.key.str.replace("_", " "), ours=df.ours.map(in_microseconds))
    return df.rename(columns={"key": "claim", "paper_says": "the paper says", "claim":
                              "what we test", "ours": "our numbers", "holds": "holds?"})[
        ["claim", "recipe", "the paper says", "what we test", "our numbers", "holds?"]]


def _table3(df: pd.DataFrame) -> pd.DataFrame:
    from lapace_book.paper import PAPER_TABLE3

    df = df.copy()
    df["pair"] = _pair(df)
    recipe = df["recipe"] if "recipe" in df else pd.Series("ours", index=df.index)
    df["row"] = [m if r in ("-", "ours") or pd.isna(r) else f"{m} (paper's recipe)"
                 for m, r in zip(df.method, recipe, strict=True)]
    paper = {(f"{d}-{PAIR[c]}", m): v for (d, c), row in PAPER_TABLE3.items()
             for m, v in row.items()}
    df["shown"] = [f"{v:.2f}" + (f" ({paper[(p, m)]:.2f})" if (p, m) in paper else "")
                   for v, p, m in zip(df.share, df.pair, df.method, strict=True)]
    wide = df.pivot_table(index="row", columns="pair", values="shown", aggfunc="first",
                          sort=False)
    wide.index.name = "method: ours (paper's Table 3)"
    wide.columns.name = None
    return wide.fillna("–")


def _regions(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "pair": _pair(df), "method": df["method"], "actions": df["n_actions"],
        "coverage": df["coverage"].round(2), "cost (L1)": df["cost"].round(2),
        "robustness": df["robustness"].round(2) if "robustness" in df else None,
        "ms / input": (1000 * df["per_input_s"]).round(2)}).apply(
            lambda col: col.astype(object).fillna("–") if col.isna().any() else col)


def _round(v, digits: str = "decimals"):
    """A float to 3 decimals (``digits="decimals"``) or 3 significant digits; a missing value as
    a dash, -0.0 as 0.0; anything else as it is."""
    if not isinstance(v, float):
        return v
    if v != v:
        return "–"
    return (float(f"{v:.3g}") if digits == "significant" else round(v, 3)) + 0.0


def _rounded(df: pd.DataFrame) -> pd.DataFrame:
    """Every float to 3 decimals, except in a column whose non-zero values are all below 0.01
    (learning rates: 3e-4 is not 0.000), which keeps 3 significant digits."""
    out = df.copy()
    for c in out.columns:
        col = out[c]
        digits = "decimals"
        if pd.api.types.is_float_dtype(col):
            nonzero = col[col.notna() & (col != 0)].abs()
            if len(nonzero) and (nonzero < 0.01).all():
                digits = "significant"
        if pd.api.types.is_float_dtype(col) or col.dtype == object:
            out[c] = col.map(lambda v, d=digits: _round(v, d))
    return out


def _explorer(df: pd.DataFrame) -> pd.DataFrame:
    """The explorer's paths step by step: how many, the share predicted as the target, the
    median LOF and the mean share of retrained models that agree (a dash without them)."""
    g = df.groupby("tau")
    out = pd.DataFrame({"paths": g.size(), "share predicted as the target": g["valid"].mean(),
                        "median LOF": g["lof"].median(),
                        "retrained models agreeing (mean)": g["agreement"].mean()})
    out.index = [f"τ = {t:.2f}" for t in out.index]
    return _rounded(out)


def _as_is(index: bool = True) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The table as the chapter wrote it, rounded; its unnamed first column (the index the
    chapter showed) back as the index, unless it only numbers the rows."""
    def f(df: pd.DataFrame) -> pd.DataFrame:
        df = _rounded(df)
        if index and str(df.columns[0]).startswith("Unnamed"):
            first = df.columns[0]
            if pd.api.types.is_integer_dtype(df[first]):
                return df.drop(columns=first)
            df = df.set_index(first)
            df.index.name = None
        return df
    return f


#: per chapter: (table of the reference, caption, formatter)
SECTIONS: dict[str, list[tuple[str, str, Callable[[pd.DataFrame], pd.DataFrame]]]] = {
    "elbo": [("eq3_kl_check", "Eq. 3's KL terms, analytic against Monte Carlo", _as_is()),
             ("eq3_bound_check", "Eq. 3's bound against importance sampling", _as_is())],
    "mnist": [("mnist_setup", "the MNIST L-GMVAE", _as_is()),
              ("figure5_objectives", "Figure 5's check: prototypes of both objectives", _as_is()),
              ("figure2_check", "Figure 2's check against the paper's path", _as_is()),
              ("figure3_check", "Figure 3's check: the no-dash constraint", _as_is())],
    "tabular": [("table1_vs_paper", "Table 1, both recipes, beside the paper's (%)", _table1),
                ("table4", "Table 4, the L-GMVAE settings used", _as_is()),
                ("prototypes", "prototype diagnostics per pair and label", _prototypes)],
    "collapse": [("prototypes_ablation_summary",
                  "share of (pair, seed) models passing each prototype test, per variant",
                  _as_is())],
    "evaluation": [("figure4", "Figure 4 as numbers: mean ± std over the repetitions",
                    _figure4),
                   ("table2", "Table 2: the paper's marks and our mean ranks", _as_is()),
                   ("claims", "the paper's claims: does each hold, for each recipe?",
                    _verdicts),
                   ("claims", "the paper's claims in full: what we test and our numbers",
                    _claims)],
    "actionability": [("table3", "Table 3: share of inputs with a valid CE meeting every "
                       "constraint, ours (the paper's)", _table3)],
    "regions": [("regions", "group recourse: coverage, cost and robustness", _regions)],
    "explorer": [("explorer_adult_rf", "the adult-RF paths, step by step", _explorer),
                 ("explorer_mnist", "the MNIST paths, step by step", _explorer)],
}


def tables(chapter: str, root: str | Path | None = None) -> list[tuple[str, pd.DataFrame]]:
    """The chapter's paper-scale tables from the reference, ``(caption, formatted frame)``;
    a table the reference lacks is skipped (the status box names what is missing)."""
    out = []
    for name, caption, fmt in SECTIONS.get(chapter, []):
        try:
            raw = reference_table(name, root)
        except FileNotFoundError:
            continue
        out.append((caption, fmt(raw)))
    return out


def show(chapter: str, root: str | Path | None = None, profile: str | None = None) -> None:
    """Display the chapter's status box and, from a committed reference, its paper-scale
    tables (and Figure 4 redrawn, in the evaluation chapter)."""
    from IPython.display import HTML, Markdown, display

    if current_profile(profile) == PROFILE:
        display(Markdown(status_markdown(chapter, root, profile)))
        return
    report = check_reference(root, [chapter])          # the fingerprints, taken once
    display(Markdown(status_markdown(chapter, root, profile, report)))
    if report.missing:
        return
    shown = tables(chapter, root)
    if not shown and chapter != "evaluation":
        return
    label = reference_label(root)
    display(Markdown("**At the paper's scale**, from the reference run named above; the numbers "
                     "further down the page are this build's quick live check."))
    for caption, frame in shown:
        if isinstance(frame.index, pd.RangeIndex):   # the first column names the rows
            frame = frame.set_index(frame.columns[0])
            frame.index.name = None                   # its name would take a header row
        if len(frame) > LONG:
            display(HTML(f"<details><summary><b>Paper scale: {caption}</b> ({len(frame)} rows; "
                         f"click to open)</summary>"
                         f"{frame.to_html(classes='dataframe', max_cols=None)}"
                         "</details>"))
        else:
            display(Markdown(f"**Paper scale: {caption}**"))
            with pd.option_context("display.max_colwidth", None):   # the paper's words, whole
                display(frame)
    if chapter == "evaluation":
        _figure4_plots(root, label)


def _figure4_plots(root, label: str) -> None:
    import matplotlib.pyplot as plt
    from IPython.display import Markdown, display

    from lapace.metrics import HIGHER_IS_BETTER
    from lapace_book.show.benchmark_plots import benchmark_metric
    from lapace_book.show.plots import METRIC_LABELS

    try:
        summary = reference_table("figure4", root)
    except FileNotFoundError:
        return
    metrics = ["validity", "proximity", "plausibility", "diversity", "model_robustness",
               "input_robustness", "runtime_s"]
    for letter, metric in zip("abcdefg", metrics, strict=True):
        benchmark_metric(summary, metric, HIGHER_IS_BETTER,
                         title=f"Figure 4{letter} at paper scale: {METRIC_LABELS[metric]}")
        plt.show()
        display(Markdown(f"*Figure 4{letter} at paper scale ({label}): "
                         f"{METRIC_LABELS[metric].lower()} per method and pair, the mean over "
                         "the repetitions with the standard deviation as whiskers; redrawn from "
                         "the reference's `figure4.csv`.*"))

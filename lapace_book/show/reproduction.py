"""The introduction's reproduction-status table: each result of the paper, at both scales.

One row per result the paper reports, Tables 1-3 and Figure 4, then one per claim of §4.2
(the keys of ``claims.csv``, :mod:`lapace_book.benchmark.claims`): the paper's value, ours at the
paper's scale (the committed reference run, :mod:`lapace_book.reference`; *not yet run*
without one), ours in this build (the quick profile's live check), the verdict of the claims,
the sample sizes and the section that shows it.  ``scripts/build_book.py`` writes it into
``book/intro.md`` where the line :data:`PLACEHOLDER` stands.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lapace_book.paper import PAPER_TABLE1, PAPER_TABLE3
from lapace_book.reference import check_reference, reference_label, reference_table

__all__ = ["PLACEHOLDER", "status_table"]

#: the line of the root page the build replaces with the table
PLACEHOLDER = "<!-- reproduction-status -->"
#: a cell without numbers yet
NOT_RUN = "not yet run"
#: claims of a table: the chapter that shows them and the table that gives their sample size
_TABLE_OF_CLAIM = {"table1": ("tabular", "table1"), "table3": ("actionability", "table3"),
                   "figure2": ("mnist", "figure2_per_input"), "figure3": ("mnist", "figure3_check"),
                   "figure5": ("mnist", "figure5_styles")}
_GRID_CLAIM = ("evaluation", "evaluation")
#: the chapter that writes a table
_CHAPTER_OF_TABLE = {"table1": "tabular", "table2": "evaluation", "table3": "actionability",
                     "figure4": "evaluation", "claims": "evaluation", "figure2_check": "mnist",
                     "figure3_check": "mnist", "figure5_styles": "mnist"}
#: the MNIST figures: the paper's words, the table that reproduces it, and how it reads it
_FIGURES = {
    "figure2": ("Figure 2: paths from a 5 to the 7s",
                "later points (roughly τ ≥ 0.7) more likely the target", "figure2_check"),
    "figure3": ("Figure 3: a no-dash constraint",
                "the second cluster learns a dash; the constraint removes it along the path",
                "figure3_check"),
    "figure5": ("Figure 5: prototypes of every digit", "diverse writing styles",
                "figure5_styles"),
}
_CONTINUOUS = ("heloc", "wine")  # Table 1's claim reads the continuous-only pairs
_LONGEST = 100  # characters of a quote or of a claim's numbers shown in a cell


def _cell(text) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= _LONGEST else text[: _LONGEST - 1].rstrip() + "…"


def _read(folder: Path | None, name: str, root: str | Path | None) -> pd.DataFrame | None:
    """``name`` from a results folder (``folder``) or, with ``folder=None``, the reference."""
    try:
        if folder is None:
            return reference_table(name, root)
        path = folder / f"{name}.csv"
        return pd.read_csv(path) if path.is_file() else None
    except (FileNotFoundError, pd.errors.EmptyDataError):
        return None


#: the paper's own words for the TSTR gap (§4.2), beside what its Table 1 gives
_PAPER_GAP_TEXT = "2.8%"


def _table1(t: pd.DataFrame, said: str | None = None) -> str:
    """Our recipe's TSTR gap and centroid accuracy; ``said``: the paper's text for the gap."""
    if "recipe" in t:
        t = t[t.recipe == "ours"]
    gap = (t.tstr_real_mean - t.tstr_synth_mean)[t.dataset.isin(_CONTINUOUS)]
    perfect = int((t.centroid_accuracy >= 1).sum())
    text = "" if said is None else f" (its text: {said})"
    return (f"TSTR gap on heloc/wine at most {100 * gap.max():+.1f} pp{text}; centroid accuracy "
            f"100% on {perfect} of {len(t)} pairs")


def _table3(t: pd.DataFrame) -> str:
    """Our recipe's LAPACE-Constrained against the best FACE row (and the paper recipe's
    LAPACE-Constrained where ``table3.csv`` has a ``recipe`` column)."""
    t = t.assign(pair=t.dataset + "-" + t.classifier)
    recipe = t["recipe"] if "recipe" in t else pd.Series("ours", t.index)

    def span(x: pd.Series) -> str:
        return f"{x.min():.0%}" if x.min() == x.max() else f"{x.min():.0%}–{x.max():.0%}"

    def shares(rows: pd.DataFrame) -> pd.DataFrame:
        return rows.pivot(index="pair", columns="method", values="share")

    ours = shares(t[recipe.isin(["ours", "-"])])
    face = ours[[m for m in ours if m.startswith("FACE")]].max(axis=1)
    lap = ours.get("LAPACE-Constrained", pd.Series(dtype=float))
    text = f"LAPACE-Constrained {span(lap)}"
    paper = t[(recipe == "paper") & (t.method == "LAPACE-Constrained")]
    if len(paper):
        text += f" (paper's recipe {span(paper.share)})"
    return text + f", best FACE {span(face)} ({len(ours)} pairs)"


def _paper_table1() -> pd.DataFrame:
    return pd.DataFrame([{"dataset": d, "classifier": c, **v} for (d, c), v in PAPER_TABLE1.items()])


def _paper_table3() -> pd.DataFrame:
    return pd.DataFrame([{"dataset": d, "classifier": c, "method": m, "share": s}
                         for (d, c), row in PAPER_TABLE3.items() for m, s in row.items()])


def _table2(t: pd.DataFrame) -> str:
    t = t.set_index(t.columns[0])
    if "LAPACE-Last" not in t.index:
        return NOT_RUN
    ranks = [str(t.loc["LAPACE-Last", col]).rpartition("(")[2].rstrip(") ") for col in t.columns]
    return "LAPACE-Last's mean ranks: " + ", ".join(
        f"{col} {rank}" for col, rank in zip(t.columns, ranks, strict=True))


def _sample(folder: Path | None, source: str, root: str | Path | None) -> str | None:
    """The sample behind a result: pairs×inputs×repetitions of the grid, or the pairs."""
    t = _read(folder, source, root)
    if t is None:
        return None
    if source == "figure2_per_input":
        return f"{len(t)} inputs, 1 model"
    if source.startswith("figure"):
        return "1 model"
    if "recipe" in t:
        t = t[t.recipe == "ours"]
    pairs = len(t[["dataset", "classifier"]].drop_duplicates())
    if source != "evaluation":
        return f"{pairs} pairs"
    # the smallest sample of any cell, not the median: a pair with a small pool says so
    text = f"{pairs}×{int(t.n_inputs.min())}×{t.repetition.nunique()}"
    if "pool" in t and (t.pool < t.n_inputs.max() * t.repetition.nunique()).any():
        text += "*"   # some pairs' repetitions reuse inputs: named once, under the table
    return text


def _reused(t: pd.DataFrame | None) -> list[str]:
    """The pairs of an evaluation table whose repetitions reuse inputs (pool too small)."""
    if t is None or "pool" not in t:
        return []
    small = t[t.pool < t.n_inputs.max() * t.repetition.nunique()]
    return sorted(set(small.dataset + "-" + small.classifier.str.upper()))


def _figure(fig: str, t: pd.DataFrame) -> str:
    """Our numbers for an MNIST figure, from the table the MNIST chapter writes."""
    if fig == "figure2":
        t = t.set_index(t.columns[0])
        return "; ".join(f"{i}: {t.iloc[j, -1]}" for j, i in enumerate(t.index[:2]))
    if fig == "figure3":
        t = t.set_index(t.columns[0])
        col = next((c for c in t.columns if c.startswith("points satisfying")), t.columns[-1])
        return "; ".join(f"{i}: {t.loc[i, col]} satisfy g ≤ 0" for i in t.index)
    return (f"spread ratio {float(t.spread_ratio.iloc[0]):.2f}, centroids labelled as their "
            f"digit {float(t.centroids_correct.iloc[0]):.0%}")


def _figure3_verdict(claims: pd.DataFrame | None, tally: str) -> str:
    """Figure 3's verdict: not reproduced when no prototype of ours carries a dash."""
    if claims is None or (claims.key == "figure3_dash_prototype").sum() == 0:
        return tally
    if claims[claims.key == "figure3_dash_prototype"].holds.iloc[0] == "yes":
        return tally
    return f"not reproduced: no prototype with a dash ({tally})"


def _claims(folder: Path | None, root: str | Path | None) -> pd.DataFrame | None:
    c = _read(folder, "claims", root)
    return None if c is None or not {"key", "recipe", "holds"} <= set(c) else c


def _holds(claims: pd.DataFrame | None, key: str) -> str | None:
    if claims is None:
        return None
    rows = claims[claims.key == key].set_index("recipe").holds
    if rows.empty:
        return None
    main = rows.get("ours", rows.get("-", rows.iloc[0]))
    other = rows.get("paper")
    return main if other is None or other == main else f"{main}; paper's recipe: {other}"


def _tally(claims: pd.DataFrame | None, keys: list[str]) -> str | None:
    if claims is None or not keys:
        return None
    c = claims[claims.key.isin(keys) & claims.recipe.isin(["ours", "-"])]
    counts = c.holds.value_counts()
    return ", ".join(f"{counts[v]} {v}" for v in ("yes", "partly", "tie", "no", "untested")
                     if v in counts) or None


def status_table(live_dir: str | Path, live_profile: str = "quick",
                 root: str | Path | None = None) -> str:
    """The reproduction-status section's body (MyST Markdown): a sentence on the reference run,
    then the table.  ``live_dir``: this build's results (``results/<live_profile>/``)."""
    live = Path(live_dir)
    report = check_reference(root)
    ref_claims = None if report.missing else _claims(None, root)
    live_claims = _claims(live, root)
    claims = ref_claims if ref_claims is not None else live_claims
    keys = list(dict.fromkeys(claims.key)) if claims is not None else []
    grid_keys = [k for k in keys if k.split("_")[0] not in _TABLE_OF_CLAIM]

    def verdict(fn, *args) -> str:
        if ref_claims is not None and (v := fn(ref_claims, *args)):
            return f"{v} (paper scale)"
        v = fn(live_claims, *args) if live_claims is not None else None
        return f"{v} ({live_profile})" if v else "–"

    def stale(text: str, chapter: str) -> str:
        return f"{text} (stale)" if chapter in report.stale and text != NOT_RUN else text

    def values(summary, source: str) -> tuple[str, str]:
        out = []
        for folder, empty in ((None, NOT_RUN), (live, "not built")):
            t = None if folder is None and report.missing else _read(folder, source, root)
            out.append(summary(t) if t is not None else empty)
        return stale(out[0], _CHAPTER_OF_TABLE[source]), out[1]

    def sample(source: str) -> str:
        ref = None if report.missing else _sample(None, source, root)
        return f"{ref or NOT_RUN} / {_sample(live, source, root) or 'not built'}"

    def link(chapter: str, text: str) -> str:
        return f"{{doc}}`{text} <../notebooks/{chapter}>`"

    rows = []
    t1 = values(_table1, "table1")
    rows.append([link("tabular", "Table 1") + ": TSTR, centroid accuracy",
                 _table1(_paper_table1(), _PAPER_GAP_TEXT), *t1,
                 verdict(_tally, [k for k in keys if k.startswith("table1")]), sample("table1")])
    rows.append([link("evaluation", "Table 2") + ": what each method addresses",
                 "✓ / ✓* marks (design, not measured)", *values(_table2, "table2"),
                 "– (no claim)", sample("evaluation")])
    rows.append([link("actionability", "Table 3") + ": actionability", _table3(_paper_table3()),
                 *values(_table3, "table3"),
                 verdict(_tally, [k for k in keys if k.startswith("table3")]), sample("table3")])
    n_methods = values(lambda t: f"{t.method.nunique()} methods × "
                       f"{len(t[['dataset', 'classifier']].drop_duplicates())} pairs", "figure4")
    rows.append([link("evaluation", "Figure 4") + ": seven metrics",
                 "bar charts, read by the claims below", *n_methods, verdict(_tally, grid_keys),
                 sample("evaluation")])
    for fig, (title, said, source) in _FIGURES.items():
        fig_keys = [k for k in keys if k.startswith(fig)]
        ours = values(lambda t, fig=fig: _figure(fig, t), source)
        v = verdict(_tally, fig_keys) if fig_keys else "–"
        if fig == "figure3":
            v = _figure3_verdict(ref_claims if ref_claims is not None else live_claims, v)
        rows.append([link("mnist", title), said, *ours, v, sample(source)])
    for key in keys:
        chapter, source = _TABLE_OF_CLAIM.get(key.split("_")[0], _GRID_CLAIM)
        said = claims[claims.key == key].paper_says.iloc[0]

        def ours(c: pd.DataFrame | None, empty: str, key=key) -> str:
            if c is None or (c.key == key).sum() == 0:
                return empty
            r = c[c.key == key]
            r = r[r.recipe.isin(["ours", "-"])] if r.recipe.isin(["ours", "-"]).any() else r
            return r.ours.iloc[0]

        anchor = f"../notebooks/{_GRID_CLAIM[0]}.html#claim-{key}"
        rows.append([f'claim <a href="{anchor}">{key.replace("_", " ")}</a>', f"“{said}”",
                     stale(ours(ref_claims, NOT_RUN), _CHAPTER_OF_TABLE["claims"]),
                     ours(live_claims, "not built"), verdict(_holds, key), sample(source)])

    reused = _reused(None if report.missing else _read(None, "evaluation", root))
    head = ["result", "the paper", "ours, paper scale", f"ours, {live_profile} (this build)",
            "verdict", "sample"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join([r[0]] + [_cell(v) for v in r[1:]]) + " |" for r in rows]
    if report.missing:
        intro = ("No paper-scale reference run is committed yet, so the paper-scale column reads "
                 f"*{NOT_RUN}* and every verdict is the {live_profile} profile's, a smoke test "
                 "on a few inputs. `make reference` runs the paper profile (hours) and commits "
                 "its tables to `reference/paper/`.")
    else:
        intro = f"The paper-scale column is the committed *{reference_label(root)}*. "
        flaws = ([f"**incomplete** ({report.problems[0]}"
                  + (f", and {len(report.problems) - 1} more" if len(report.problems) > 1 else "")
                  + ")"] if report.problems else []) + (
            ["**stale** for " + ", ".join(report.stale)] if report.stale else [])
        if flaws:
            intro += ("It is " + " and ".join(flaws) + ": the current code may give other "
                      "numbers (`make check-reference` says what changed; `make reference` "
                      "remakes it).")
        else:
            intro += "Every chapter's code is the one that made it."
    note = ("" if claims is not None else
            " The claims of §4.2 are listed once the evaluation chapter has run (`claims.csv`).")
    return (intro + note + " A verdict is that of the paper's claims, one claim each (*yes*: "
            "every case the claim names is a win, *partly*: at least half are; *tie*: fewer are "
            "but none is a loss, the data cannot tell; *untested*: nothing could be tested). A "
            "case is a pair, or a method on a pair; a comparison is a win only where its paired "
            "bootstrap 95% interval excludes no difference. Verdicts are for our L-GMVAE recipe, "
            "with the paper's recipe where it differs, and name their run (*paper scale*: the "
            "reference; otherwise this build). A sample is the reference's / this build's: "
            "pairs×test inputs per pair (the smallest cell)×repetitions, or the pairs"
            + (f"; * marks a grid whose repetitions reuse inputs on {', '.join(reused)}, whose "
               "pool of test inputs predicted 0 is smaller than repetitions × inputs"
               if reused else "") + ". Figure 3 is not reproduced where none of our prototypes "
            "of the digit carries a dash: the figure's premise is missing (the MNIST chapter "
            "says how many images the constraint holds on).\n\n"
            + "````{container} reproduction-status\n" + "\n".join(lines) + "\n````\n")

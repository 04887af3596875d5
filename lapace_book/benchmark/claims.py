"""The paper's claims of §3–4 checked against our numbers: one claim, one verdict, each with
its uncertainty.

:func:`check_claims` takes :func:`lapace_book.benchmark.grid.summarise`'s table (means and stds
over repetitions per pair and method) with the per-input table of the grid
(``evaluation_per_input.csv``), and optionally Table 1 (:mod:`lapace_book.experiments.utility`, a
``recipe`` column), Table 3 (:mod:`lapace_book.experiments.actionability`; a ``recipe`` column,
``-`` for the FACE rows) and the MNIST chapter's tables behind Figures 2, 3 and 5.  Every claim
about LAPACE is checked once per recipe (:data:`lapace_book.benchmark.registry.LGMVAE_RECIPES`)
in the world of the paper's Figure 4: the five baselines and that recipe's First, Middle and
Last, so "best" means best among eight methods.  Claims that do not depend on the recipe
(Figures 2, 3, 5) have recipe ``-``.

One row per key and recipe (:data:`CLAIM_COLUMNS`): ``claim`` (the test, with the operational
reading of a vague word), ``paper_says`` (quoted), ``ours`` (our numbers per case), ``holds``,
``wins``/``ties``/``losses`` (the cases: a pair, or a method on a pair) and ``intervals`` (each
case's estimate and 95% interval).  A pooled sentence of the paper is split into its parts, each
its own key (``last_vs_robx_proximity``, ``last_vs_robx_plausibility``, ...).

**Uncertainty** (:mod:`lapace_book.benchmark.uncertainty`): every comparison ("better", "best",
"matches", "within 25%") is a paired bootstrap 95% interval over the test inputs both methods
found a valid CE for (an input drawn in several repetitions counts once, its values averaged),
over the repetitions for runtime (one value per cell); a case is a *win* only where the interval
excludes the boundary (no difference, or the 25% margin), a *loss* where it excludes the claim,
a *tie* otherwise.  Exact claims ("perfect", "every input", "100%") are counts and have no
interval.

**Verdict** (``holds``): *yes* when every tested case is a win, *partly* when at least half
are, *tie* when fewer are but no case is a loss (the data cannot tell), *no* otherwise, and
*untested* when no case could be tested (one repetition for a claim about repetitions; fewer
than two common inputs for a comparison).

The vague words, the same for both recipes:

- "comparable" / "matches" (proximity): the ratio of mean proximities at most 1.25
  (:data:`WITHIN`);
- "very low standard deviation": std over repetitions ≤ 10% of the mean (:data:`LOW_STD`),
  judged only on pairs whose repetitions explain disjoint inputs;
- "best-balanced": the lowest mean rank over Figure 4's seven metrics (:data:`BALANCE_METRICS`),
  its interval from resampled inputs;
- "perfect" robustness: exactly 100% (model) and exactly 0 (input distance);
- "diverse writing styles" (Figure 5): the prototypes' spread ratio at least
  :data:`DIVERSE_SPREAD` (the book's threshold below which prototypes have collapsed).

A key whose table is not given yields no row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from lapace_book.benchmark.grid_claims import (
    BALANCE_METRICS,
    CONTINUOUS_DATASETS,
    LOW_STD,
    WITHIN,
    Units,
    benchmark_claims,
    lapace_methods,
    pair_table,
    tally,
    world,
)
from lapace_book.benchmark.registry import REGISTRY
from lapace_book.benchmark.uncertainty import LEVEL, N_RESAMPLES, compare, outcome_of

__all__ = ["BALANCE_METRICS", "CLAIM_COLUMNS", "CONTINUOUS_DATASETS", "DIVERSE_SPREAD",
           "LOW_STD", "PAPER_TABLE2", "WITHIN", "check_claims", "lapace_methods", "mean_ranks",
           "verdict"]

#: columns of claims.csv
CLAIM_COLUMNS = ["key", "recipe", "claim", "paper_says", "ours", "holds", "wins", "ties",
                 "losses", "intervals"]
#: "diverse" prototypes: a spread ratio at least this (below it the book calls them collapsed)
DIVERSE_SPREAD = 0.3


def verdict(outcomes) -> str:
    """The verdict of a claim from its cases' outcomes (see the module docstring)."""
    tested = [o for o in outcomes if o != "untested"]
    if not tested:
        return "untested"
    wins, losses = tested.count("win"), tested.count("loss")
    if wins == len(tested):
        return "yes"
    if wins >= len(tested) / 2:
        return "partly"
    return "tie" if losses == 0 else "no"


def _table1_claims(t1: pd.DataFrame, add) -> None:
    """Table 1's claims for one recipe's rows."""
    pair = (t1.dataset + "-" + t1.classifier.str.upper()).to_numpy()
    cont = t1.dataset.isin(CONTINUOUS_DATASETS).to_numpy()
    gap = (t1.tstr_real_mean - t1.tstr_synth_mean).to_numpy()
    k = t1["tstr_n_seeds"].to_numpy(dtype=float) if "tstr_n_seeds" in t1 else \
        np.full(len(t1), np.nan)
    # the seeds' population stds -> the standard error of each mean, both forests independent
    se = np.sqrt((t1.tstr_real_std ** 2 + t1.tstr_synth_std ** 2).to_numpy() / np.maximum(k - 1, 1))
    z = stats.norm.ppf(0.5 + LEVEL / 2)
    outs, ints = [], []
    for i in np.flatnonzero(cont):
        if not np.isfinite(k[i]) or k[i] < 2:
            outs.append("untested")
            ints.append(f"{pair[i]} untested (fewer than 2 TSTR seeds)")
            continue
        lo, hi = gap[i] - z * se[i], gap[i] + z * se[i]
        outs.append(outcome_of(lo, hi, 0.028, "below"))
        ints.append(f"{pair[i]} {100 * gap[i]:+.1f} pp [{100 * lo:+.1f}, {100 * hi:+.1f}] "
                    f"over {int(k[i])} seeds")
    ours = ", ".join(f"{p} {g * 100:+.1f} pp" for p, g in zip(pair[cont], gap[cont], strict=True))
    if {"tstr_real_truth_mean", "tstr_synth_truth_mean"} <= set(t1.columns):
        truth = (t1.tstr_real_truth_mean - t1.tstr_synth_truth_mean).to_numpy()[cont]
        ours += "; against the true labels (not tested): " + ", ".join(
            f"{p} {g * 100:+.1f} pp" for p, g in zip(pair[cont], truth, strict=True))
    add("table1_tstr_gap", "The TSTR gap (real minus synthetic) is at most 2.8 pp on every "
        "continuous-only pair, both forests scored against the black box's labels of the "
        "L-GMVAE test set (the reading closest to the paper: its L-GMVAE learns 'the "
        "classifier's predictions', and its TSTR real is above what a forest reaches on the "
        "true labels).",
        "L-GMVAE shows promising utility (up to 2.8% accuracy gap) on continuous-only datasets.",
        ours, outs, "; ".join(ints))

    if cont.any() and (~cont).any():
        mixed_gap, cont_gap = gap[~cont], gap[cont]
        est = float(mixed_gap.mean() - cont_gap.mean())
        if len(mixed_gap) >= 2 and len(cont_gap) >= 2:
            res = stats.bootstrap((mixed_gap, cont_gap),
                                  lambda a, b, axis=-1: a.mean(axis) - b.mean(axis),
                                  vectorized=True, n_resamples=N_RESAMPLES, method="percentile",
                                  confidence_level=LEVEL, rng=np.random.default_rng(0))
            lo, hi = res.confidence_interval.low, res.confidence_interval.high
            out = outcome_of(lo, hi, 0.0, "above")
            interval = (f"mixed minus continuous-only: {100 * est:+.1f} pp [{100 * lo:+.1f}, "
                        f"{100 * hi:+.1f}] (pairs resampled within each type)")
        else:
            out, interval = "untested", "untested (fewer than 2 pairs of a type)"
        add("table1_categorical_gap", "The mean TSTR gap of the mixed-type pairs (adult, compas: "
            "categorical features) is larger than that of the continuous-only pairs.",
            "When more categorical features are involved, larger gaps become apparent.",
            "mixed " + ", ".join(f"{p} {g * 100:+.1f} pp" for p, g in
                                 zip(pair[~cont], mixed_gap, strict=True))
            + "; continuous-only " + ", ".join(f"{p} {g * 100:+.1f} pp" for p, g in
                                               zip(pair[cont], cont_gap, strict=True)),
            [out], interval)

    acc = t1.centroid_accuracy.to_numpy()
    add("table1_centroid_accuracy", "The black box labels every decoded centroid (as trained, "
        "before any repair) as its own label, on every pair.",
        "Nonetheless, the centroid accuracies are consistently 100%.",
        ", ".join(f"{p} {a:.0%}" for p, a in zip(pair, acc, strict=True)),
        ["win" if a >= 1 else "loss" for a in acc], "exact (counts)")


def _table3_claim(t3: pd.DataFrame, add) -> None:
    """Table 3's claim: both LAPACE variants 100% and above both FACE variants, per pair."""
    t = t3.assign(pair=t3.dataset + "-" + t3.classifier.str.upper()).pivot(
        index="pair", columns="method", values="share")
    lap = [m for m in t if m.startswith("LAPACE")]
    face = t[[m for m in t if m.startswith("FACE")]].max(axis=1)
    outs = []
    for p in t.index:
        for m in lap:
            # 100% and above FACE: a loss below 100%; where FACE also reaches 100%, the two
            # cannot be told apart (a tie)
            outs.append("loss" if t.loc[p, m] < 1 else "win" if t.loc[p, m] > face[p] else "tie")
    add("table3_actionability", "Each LAPACE variant finds a valid, constraint-satisfying CE for "
        "100% of inputs and beats both FACE variants, on every pair (where FACE also reaches "
        "100%, a tie).", "Both LAPACE variants "
        "consistently found valid counterfactuals that satisfied all constraints, outperforming "
        "the baseline methods.", "; ".join(
            f"{p}: " + ", ".join(f"{m} {t.loc[p, m]:.0%}" for m in lap)
            + f", best FACE {face[p]:.0%}" for p in t.index), outs, "exact (counts)")


def _figure_claims(figures: dict, add) -> None:
    """The MNIST claims of §3.2 and Appendix B (Figures 2, 3 and 5)."""
    f2 = figures.get("figure2_per_input")
    if f2 is not None and len(f2):
        c = compare(f2["late"].to_numpy(), f2["early"].to_numpy(), "above")
        add("figure2_late_target", "Path points from τ = 0.7 on are predicted as the target "
            "digit more often than points before τ = 0.7 (per held-out input, over its paths).",
            "Later points in the path (e.g., roughly when τ ≥ 0.7) are more likely to be "
            "classified as the target class by a classifier.",
            f"share predicted as the target: τ ≥ 0.7 {f2['late'].mean():.2f}, τ < 0.7 "
            f"{f2['early'].mean():.2f} over {len(f2)} inputs", [c.outcome],
            f"{c.text()} (n={c.n} inputs)")
    ink = figures.get("figure3_prototype_ink")
    if ink is not None and len(ink):
        ink = ink.set_index(ink.columns[0])
        protos = ink[ink.index.str.contains("prototype")]
        p90 = ink[ink.index.str.contains("90th")].iloc[:, 0]
        if len(protos) and len(p90):
            top = float(protos.iloc[:, 0].max())
            add("figure3_dash_prototype", "One of the target digit's prototypes carries a dash: "
                "its ink in the paper's dash region exceeds that of 90% of held-out images of "
                "the digit.", "In our MNIST example (Figure 2), the second cluster learns a dash "
                "for digit 7.", f"most dash-region ink of a prototype {top:.2f}; held-out 90th "
                f"percentile {float(p90.iloc[0]):.2f}",
                ["win" if top > float(p90.iloc[0]) else "loss"], "exact (one model)")
    f3 = figures.get("figure3_check")
    if f3 is not None and len(f3):
        f3 = f3.set_index(f3.columns[0])
        col = next((c for c in f3.columns if c.startswith("points satisfying")), None)
        if col is not None and len(f3) >= 2:
            ok = str(f3[col].iloc[-1]).split("/")
            plain = str(f3[col].iloc[0]).split("/")
            all_ok = len(ok) == 2 and int(ok[0]) == int(ok[1])
            add("figure3_dash_removed", "With the no-dash constraint every image along the path "
                "satisfies it (g ≤ 0), the intermediate ones included.", "In the new paths, high "
                "pixel values at the dash positions are mitigated, including for the "
                "intermediate images.", f"images satisfying g ≤ 0: {plain[0].strip()} of "
                f"{plain[-1].strip()} without the constraint, {ok[0].strip()} of "
                f"{ok[-1].strip()} with it", ["win" if all_ok else "loss"], "exact (counts)")
    f5 = figures.get("figure5_styles")
    if f5 is not None and len(f5):
        spread = float(f5.spread_ratio.iloc[0])
        add("figure5_styles", f"'Diverse writing styles': the digit prototypes' spread ratio is "
            f"at least {DIVERSE_SPREAD} (below it, the book calls prototypes collapsed).",
            "We observe that this L-GMVAE model recognises different prototypical writing styles "
            "of each digit.", f"spread ratio {spread:.2f}; centroids the digit classifier labels "
            f"as their digit {float(f5.centroids_correct.iloc[0]):.0%}",
            ["win" if spread >= DIVERSE_SPREAD else "loss"], "exact (one model)")


def check_claims(summary: pd.DataFrame | None = None, per_input: pd.DataFrame | None = None,
                 table1: pd.DataFrame | None = None, table3: pd.DataFrame | None = None,
                 figures: dict | None = None) -> pd.DataFrame:
    """One row per claim and recipe (:data:`CLAIM_COLUMNS`; see the module docstring).

    ``summary`` and ``per_input`` (the grid's per-input table) go together: the benchmark's
    claims need both.  ``figures``: the MNIST chapter's tables by name
    (``figure2_per_input``, ``figure3_check``, ``figure3_prototype_ink``, ``figure5_styles``).
    """
    if (summary is None) != (per_input is None):
        raise ValueError("the benchmark's claims need both summary and per_input (the grid's "
                         "evaluation_per_input table); pass both, or neither.")
    rows = []

    def adder(recipe):
        def add(key, claim, paper, ours, outcomes, intervals):
            rows.append({"key": key, "recipe": recipe, "claim": claim, "paper_says": paper,
                         "ours": ours, "holds": verdict(list(outcomes)),
                         **tally(list(outcomes)), "intervals": intervals})
        return add

    baselines = [m for m, s in REGISTRY.items() if not s.lgmvae]
    for recipe in ("ours", "paper"):
        add = adder(recipe)
        if summary is not None and set(lapace_methods(recipe)) <= set(summary.method) \
                and set(baselines) <= set(summary.method):
            benchmark_claims(world(summary, recipe), Units(world(per_input, recipe)), add)
        if table1 is not None:
            t1 = table1[table1.get("recipe", pd.Series("ours", table1.index)) == recipe]
            if len(t1):
                _table1_claims(t1, add)
        if table3 is not None:
            of = table3.get("recipe", pd.Series("ours", table3.index))
            if ((of == recipe) & table3.method.str.startswith("LAPACE")).any():
                _table3_claim(table3[of.isin([recipe, "-"])], add)
    if figures:
        _figure_claims({k: v for k, v in figures.items() if v is not None}, adder("-"))
    out = pd.DataFrame(rows, columns=CLAIM_COLUMNS)
    order = {k: i for i, k in enumerate(dict.fromkeys(out.key))}
    return out.sort_values("key", key=lambda k: k.map(order), kind="stable").reset_index(drop=True)


#: Table 2 of the paper: the properties each method addresses ("✓" explicitly, "✓*" implicitly
#: encouraged, "–" not); LAPACE's row holds for all three variants
PAPER_TABLE2 = pd.DataFrame(
    [["✓", "✓", "✓", "–", "–", "✓*"],
     ["✓", "✓*", "✓", "–", "–", "–"],
     ["✓", "✓*", "✓", "–", "✓", "✓*"],
     ["✓", "✓", "–", "✓", "–", "–"],
     ["✓", "✓", "✓", "✓", "–", "✓"],
     ["✓", "✓", "✓", "✓", "✓*", "✓"]],
    index=["NNCE", "FACE", "RobX", "DiCE", "DRCE", "LAPACE"],
    columns=["validity", "proximity", "plausibility", "diversity", "model_robustness",
             "input_robustness"])


def mean_ranks(summary: pd.DataFrame, metrics, higher_is_better: dict, methods=None) -> pd.DataFrame:
    """methods x metrics: each method's rank among ``methods`` (default: all in ``summary``;
    1 = best, ties share the best rank), averaged over the pairs where the metric is defined
    for it.  Every LAPACE variant is ranked on its own."""
    out = {}
    for metric in metrics:
        t = pair_table(summary, metric)
        if methods is not None:
            t = t[[m for m in methods if m in t]]
        out[metric] = t.rank(axis=1, ascending=not higher_is_better[metric], method="min").mean()
    return pd.DataFrame(out)

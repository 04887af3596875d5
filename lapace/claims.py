"""The paper's claims of §4.2 checked against a benchmark summary.

:func:`check_claims` takes :func:`lapace.benchmark.summarise`'s table (means over repetitions
per pair and method) and returns one row per claim: ``claim``, ``paper_says`` (quoted from
§4.2), ``ours`` (what our numbers show, per pair where it varies) and ``holds`` in
``{"yes", "no", "partly"}``.  A claim about every pair *holds* when it is true for all pairs,
*partly* when for at least half of them, and not otherwise.

Ties count in a method's favour: "best" means no other method is strictly better.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["CONTINUOUS_DATASETS", "PAPER_TABLE2", "check_claims", "mean_ranks"]

#: the two continuous-only data sets of the paper (the others mix types)
CONTINUOUS_DATASETS = ("heloc", "wine")
LAPACE = ("LAPACE-First", "LAPACE-Middle", "LAPACE-Last")


def _verdict(hits: int, total: int) -> str:
    if total and hits == total:
        return "yes"
    return "partly" if total and hits >= total / 2 else "no"


def _table(summary: pd.DataFrame, metric: str) -> pd.DataFrame:
    """pairs x methods of ``<metric>_mean``, pairs named ``dataset-CLF``."""
    s = summary.assign(pair=summary.dataset + "-" + summary.classifier.str.upper())
    t = s.pivot(index="pair", columns="method", values=f"{metric}_mean")
    return t.loc[list(dict.fromkeys(s.pair))]


def _best(t: pd.DataFrame, higher: bool, among=None) -> pd.Series:
    """Per pair, the methods (joined by '/') with the best value."""
    t = t if among is None else t[[m for m in among if m in t]]
    best = t.max(axis=1) if higher else t.min(axis=1)
    return pd.Series({p: "/".join(m for m in t.columns if np.isclose(t.loc[p, m], best[p]))
                      for p in t.index})


def _list(flags: pd.Series) -> str:
    return ", ".join(flags.index[flags]) or "none"


def check_claims(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per claim of §4.2 (see the module docstring)."""
    rows = []

    def add(claim, paper, ours, holds):
        rows.append({"claim": claim, "paper_says": paper, "ours": ours, "holds": holds})

    val = _table(summary, "validity")
    others = val.drop(columns=["DiCE"], errors="ignore")
    short = [f"{m} on {p} ({v:.2f})" for p in others.index for m, v in others.loc[p].items() if v < 1]
    total = others.size
    add("validity", "All included methods, apart from DiCE, always find valid CEs.",
        "every method other than DiCE found a valid CE for every input" if not short else
        f"below 1: {'; '.join(short)}" + (f"; DiCE {val['DiCE'].min():.2f} to "
                                           f"{val['DiCE'].max():.2f}" if "DiCE" in val else ""),
        _verdict(total - len(short), total) if short else "yes")

    prox = _table(summary, "proximity")
    best = _best(prox, higher=False)
    hit = best.map(lambda b: bool({"NNCE", "DRCE"} & set(b.split("/"))))
    add("proximity", "NNCE and DRCE consistently perform the best on proximity.",
        "best per pair: " + ", ".join(f"{p} {b}" for p, b in best.items()),
        _verdict(int(hit.sum()), len(hit)))

    plaus = _table(summary, "plausibility")
    best = _best(plaus, higher=False)
    hit = best.map(lambda b: any(m in LAPACE for m in b.split("/")))
    add("plausibility", "LAPACE achieves the best plausibility results across all datasets and "
        "models.", "best per pair: " + ", ".join(f"{p} {b}" for p, b in best.items()),
        _verdict(int(hit.sum()), len(hit)))

    div = _table(summary, "diversity")
    lap = div[[m for m in LAPACE if m in div]].mean(axis=1)
    rival = div[[m for m in ("DiCE", "DRCE") if m in div]].max(axis=1)
    mixed = pd.Series([p.split("-")[0] not in CONTINUOUS_DATASETS for p in div.index], div.index)
    agrees = (lap > rival) == mixed
    add("diversity", "Our methods outperform DiCE and DRCE on datasets with mixed data types but "
        "perform worse on the two continuous-only datasets.",
        "mean LAPACE diversity vs the better of DiCE/DRCE: " + ", ".join(
            f"{p} {lap[p]:.2f} vs {rival[p]:.2f}" for p in div.index)
        + f"; as the paper says on {int(agrees.sum())} of {len(agrees)} pairs",
        _verdict(int(agrees.sum()), len(agrees)))

    rob = _table(summary, "model_robustness")
    if "LAPACE-Last" in rob:
        last = rob["LAPACE-Last"]
        add("model robustness of LAPACE-Last", "LAPACE-Last achieves perfect (100%) robustness to "
            "model changes.", f"{last.min():.1%} to {last.max():.1%} over the pairs; below 100% on "
            f"{_list(last < 1)}", _verdict(int((last >= 1).sum()), len(last)))
        inp = _table(summary, "input_robustness")["LAPACE-Last"]
        add("input robustness of LAPACE-Last", "LAPACE-Last is guaranteed to be perfectly robust to "
            "input changes.", f"largest distance over the pairs: {inp.max():.3g}",
            _verdict(int((inp == 0).sum()), len(inp)))
    if all(m in rob for m in LAPACE):
        inc = (rob["LAPACE-First"] <= rob["LAPACE-Middle"]) & (rob["LAPACE-Middle"] <= rob["LAPACE-Last"])
        add("model robustness First to Last", "Among our method's variants, robustness to model "
            "changes steadily increases from First to Last.", "First / Middle / Last: " + ", ".join(
                f"{p} {rob.loc[p, 'LAPACE-First']:.2f}/{rob.loc[p, 'LAPACE-Middle']:.2f}/"
                f"{rob.loc[p, 'LAPACE-Last']:.2f}" for p in rob.index)
            + f"; increasing on {int(inc.sum())} of {len(inc)} pairs",
            _verdict(int(inc.sum()), len(inc)))

    run = _table(summary, "runtime_s")
    if any(m in run for m in LAPACE):
        fastest_lapace = run[[m for m in LAPACE if m in run]].min(axis=1)
        base = run.drop(columns=[m for m in LAPACE if m in run])
        rank = 1 + (base.lt(fastest_lapace, axis=0)).sum(axis=1)
        second = rank <= 2
        ahead = base.apply(lambda r: r.idxmin() if r.notna().any() else "–", axis=1)
        add("runtime", "LAPACE is one of the fastest methods (second only to NNCE).",
            "rank of the fastest LAPACE variant among the methods: " + ", ".join(
                f"{p} {r}" + (f" (behind {ahead[p]})" if r > 1 else "") for p, r in rank.items()),
            _verdict(int(second.sum()), len(second)))

    if {"LAPACE-Last", "DRCE"} <= set(plaus.columns):
        inp = _table(summary, "input_robustness")
        better = (plaus["LAPACE-Last"] < plaus["DRCE"]) & (inp["LAPACE-Last"] < inp["DRCE"])
        add("LAPACE-Last vs DRCE", "Compared to DRCE, LAPACE-Last has notably better robustness "
            "[to input changes] and plausibility.", f"better on both on {int(better.sum())} of "
            f"{len(better)} pairs; not on {_list(~better)}", _verdict(int(better.sum()), len(better)))
    return pd.DataFrame(rows, columns=["claim", "paper_says", "ours", "holds"])


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


def mean_ranks(summary: pd.DataFrame, metrics, higher_is_better: dict) -> pd.DataFrame:
    """methods x metrics: each method's rank among the methods (1 = best, ties share the best
    rank), averaged over the pairs where the metric is defined for it."""
    out = {}
    for metric in metrics:
        t = _table(summary, metric)
        out[metric] = t.rank(axis=1, ascending=not higher_is_better[metric], method="min").mean()
    return pd.DataFrame(out)

"""The §4.2 claims checked on a hand-made summary, and Figure 4's plot routine."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd

from lapace.metrics import HIGHER_IS_BETTER
from lapace_book.benchmark.claims import CLAIM_COLUMNS, PAPER_TABLE2, check_claims, mean_ranks
from lapace_book.benchmark.grid import ALL_METHODS, COLUMNS, summarise
from lapace_book.show.plots import benchmark_bars

# one value per method: NNCE FACE RobX DiCE DRCE First Middle Last; the LAPACE-paper-* methods
# get the same values as LAPACE-* unless a test says otherwise
AS_THE_PAPER_SAYS = {
    "validity": [1, 1, 1, 0.9, 1, 1, 1, 1],
    "proximity": [0.1, 0.3, 0.8, 0.5, 0.1, 0.12, 0.6, 0.9],
    "plausibility": [1.3, 1.2, 1.2, 1.8, 1.4, 1.1, 1.0, 1.05],
    "diversity": [np.nan, np.nan, np.nan, 0.5, 0.4, 0.6, 0.7, 0.8],   # mixed data: LAPACE wins
    "model_robustness": [0.8, 0.8, 0.95, 0.7, 0.8, 0.6, 0.9, 1.0],
    "input_robustness": [0.1, 0.2, 0.1, 0.9, 0.3, 0.05, 0.02, 0.0],
    "runtime_s": [0.001, 0.05, 0.1, 2.0, 0.01, 0.002, 0.002, 0.002],
}


KEYS = ["validity", "proximity", "first_proximity", "plausibility", "diversity",
        "last_model_robustness", "last_input_robustness", "robustness_first_to_last", "runtime",
        "last_vs_robx", "last_vs_drce", "balanced", "stability"]


def evaluation(dataset="compas", values=AS_THE_PAPER_SAYS, repetitions=2, paper=None):
    """Cells of every method; ``paper``: the LAPACE-paper-* values (default: LAPACE-*'s)."""
    names = ["NNCE", "FACE", "RobX", "DiCE", "DRCE", "LAPACE-First", "LAPACE-Middle",
             "LAPACE-Last"]
    rows = []
    for r in range(repetitions):
        for m in ALL_METHODS:
            if m.startswith("LAPACE-paper-") and paper is not None:
                src, j = paper, ["First", "Middle", "Last"].index(m.rsplit("-", 1)[1])
            else:
                src, j = values, names.index(m.replace("paper-", ""))
            rows.append({"dataset": dataset, "classifier": "rf", "method": m, "repetition": r,
                         "n_inputs": 5, **{k: v[j] for k, v in src.items()}})
    return pd.DataFrame(rows, columns=COLUMNS)


def test_summarise_means_and_stds_over_repetitions():
    ev = evaluation()
    ev.loc[(ev.method == "NNCE") & (ev.repetition == 1), "proximity"] = 0.3
    s = summarise(ev)
    assert list(s.method) == ALL_METHODS
    nnce = s[s.method == "NNCE"].iloc[0]
    assert np.isclose(nnce.proximity_mean, 0.2) and np.isclose(nnce.proximity_std, 0.1)


def test_claims_hold_on_a_summary_built_to_agree():
    claims = check_claims(summarise(evaluation()))
    assert list(claims.columns) == CLAIM_COLUMNS
    for recipe in ("ours", "paper"):
        assert list(claims[claims.recipe == recipe].key) == KEYS
    assert set(claims.holds) == {"yes"}, claims[claims.holds != "yes"]
    assert "untested" in claims.set_index(["key", "recipe"]).loc[("stability", "ours"), "ours"]


def test_claims_fail_where_the_numbers_disagree():
    values = {k: list(v) for k, v in AS_THE_PAPER_SAYS.items()}
    values["validity"][0] = 0.8                       # NNCE misses inputs
    values["model_robustness"][7] = 0.9               # Last no more robust than Middle
    ev = pd.concat([evaluation("compas"), evaluation("heloc", values)])   # heloc: continuous
    claims = check_claims(summarise(ev)).set_index(["key", "recipe"]).holds
    assert claims["validity", "ours"] == "partly"      # 1 of 14 non-DiCE cells below 1
    assert claims["last_model_robustness", "ours"] == "partly"
    # on continuous heloc the paper expects LAPACE to lose on diversity; here it wins
    assert claims["diversity", "ours"] == "partly"
    assert claims["last_input_robustness", "ours"] == "yes"


def test_the_paper_recipe_is_checked_on_its_own_methods():
    # the paper's recipe: LAPACE-paper-Last far from the input, First not comparable
    paper = {k: list(v[5:]) for k, v in AS_THE_PAPER_SAYS.items()}
    paper["proximity"] = [0.5, 1.0, 3.8]
    ev = evaluation(paper=paper)
    ev.loc[(ev.method == "LAPACE-paper-Last") & (ev.repetition == 1), "plausibility"] = 2.0
    claims = check_claims(summarise(ev)).set_index(["key", "recipe"])
    assert claims.holds["first_proximity", "ours"] == "yes"
    assert claims.holds["first_proximity", "paper"] == "no"
    assert claims.holds["last_vs_robx", "ours"] == "yes"
    assert claims.holds["last_vs_robx", "paper"] == "partly"   # 2 of 4 parts: proximity and plausibility fail
    assert claims.holds["stability", "paper"] == "partly"     # one std of 18 too large
    assert "0.90 vs 0.80" in claims.ours["last_vs_robx", "ours"]


def test_table1_and_table3_claims():
    t1 = pd.DataFrame({"dataset": ["heloc", "wine", "adult"] * 2, "classifier": ["rf"] * 6,
                       "recipe": ["ours"] * 3 + ["paper"] * 3,
                       "tstr_real_mean": [0.74, 0.90, 0.94, 0.74, 0.90, 0.94],
                       "tstr_synth_mean": [0.72, 0.85, 0.80, 0.72, 0.89, 0.80],
                       "tstr_real_truth_mean": [0.70] * 6, "tstr_synth_truth_mean": [0.60] * 6,
                       "centroid_accuracy": [1, 1, 1, 1, 0.8, 0.6]})
    # Table 3: FACE once (recipe "-"), then each recipe's two LAPACE methods
    t3 = pd.DataFrame({"dataset": ["heloc"] * 6, "classifier": ["rf"] * 6,
                       "recipe": ["-", "-", "ours", "ours", "paper", "paper"],
                       "method": ["FACE-Interpolate", "FACE-Greedy", "LAPACE-Naive",
                                  "LAPACE-Constrained", "LAPACE-Naive", "LAPACE-Constrained"],
                       "share": [0.5, 0.7, 1.0, 0.9, 1.0, 1.0]})
    claims = check_claims(summarise(evaluation()), table1=t1, table3=t3)
    holds = claims.set_index(["key", "recipe"]).holds
    ours = claims.set_index(["key", "recipe"]).ours
    assert holds["table1_tstr_gap", "ours"] == "partly"        # wine: 5 pp
    assert holds["table1_tstr_gap", "paper"] == "yes"          # adult is not continuous
    # the gap tested is the black box's labels'; the true labels' (10 pp) is only reported
    assert "black box's labels" in claims.set_index(["key", "recipe"]).claim["table1_tstr_gap", "ours"]
    assert "true labels (not tested): heloc-RF +10.0 pp" in ours["table1_tstr_gap", "paper"]
    assert holds["table1_centroid_accuracy", "ours"] == "yes"
    assert holds["table1_centroid_accuracy", "paper"] == "no"  # 1 of 3 pairs
    assert holds["table3_actionability", "ours"] == "partly"   # Constrained 90%
    assert holds["table3_actionability", "paper"] == "yes"     # both 100%, above FACE's 70%
    assert "best FACE 70%" in ours["table3_actionability", "paper"]
    assert "LAPACE-Constrained 100%" in ours["table3_actionability", "paper"]
    # a paper LAPACE row that does not beat FACE fails the paper's claim only
    t3.loc[5, "share"] = 0.7
    again = check_claims(summarise(evaluation()), table3=t3).set_index(["key", "recipe"]).holds
    assert again["table3_actionability", "paper"] == "partly"   # Naive yes, Constrained ties FACE
    assert again["table3_actionability", "ours"] == "partly"
    # a Table 3 without recipes (an older build) is ours only, FACE included
    old = t3[t3.recipe != "paper"].drop(columns="recipe")
    older = check_claims(summarise(evaluation()), table3=old).set_index(["key", "recipe"]).holds
    assert older["table3_actionability", "ours"] == "partly"
    assert ("table3_actionability", "paper") not in older.index


def test_mean_ranks_and_table2():
    ranks = mean_ranks(summarise(evaluation()), ["proximity", "diversity"], HIGHER_IS_BETTER)
    assert ranks.loc["NNCE", "proximity"] == 1 and ranks.loc["DRCE", "proximity"] == 1  # tie
    assert ranks.loc["LAPACE-Last", "diversity"] == 1 and np.isnan(ranks.loc["NNCE", "diversity"])
    assert list(PAPER_TABLE2.index) == ["NNCE", "FACE", "RobX", "DiCE", "DRCE", "LAPACE"]


def test_benchmark_bars_draws_a_panel_per_metric_and_pair():
    s = summarise(pd.concat([evaluation("compas"), evaluation("wine")]))
    fig = benchmark_bars(s, ["proximity", "diversity"], HIGHER_IS_BETTER, title="t")
    assert np.array(fig.axes).size == 4
    assert "lower is better" in fig.axes[0].get_ylabel()
    assert "higher is better" in fig.axes[2].get_ylabel()
    assert any(t.get_text() == "n/a" for t in fig.axes[2].texts)


def test_values_below_one_never_print_as_one():
    """A claim that lists what falls short of 1 (or 100%) shows enough digits to tell."""
    from lapace_book.benchmark.claims import _below_one

    assert [_below_one(v) for v in (0.97, 0.998, 0.99996)] == ["0.97", "0.998", "0.99996"]
    assert _below_one(1.0) == "1.00" and _below_one(0.9996, percent=True) == "99.96%"
    assert _below_one(0.83, percent=True) == "83.0%"

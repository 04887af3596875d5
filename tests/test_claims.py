"""The §4.2 claims checked on a hand-made summary, and Figure 4's plot routine."""

import matplotlib

matplotlib.use("Agg")

import zlib

import numpy as np
import pandas as pd
import pytest

from lapace.metrics import HIGHER_IS_BETTER
from lapace_book.benchmark.claims import CLAIM_COLUMNS, PAPER_TABLE2, check_claims, mean_ranks
from lapace_book.benchmark.grid import ALL_METHODS, COLUMNS, summarise
from lapace_book.benchmark.uncertainty import best_of, compare, outcome_of
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


KEYS = ["validity", "proximity", "first_proximity", "plausibility", "diversity_mixed",
        "diversity_continuous", "last_model_robustness", "last_input_robustness",
        "robustness_first_to_middle", "robustness_middle_to_last", "runtime_first",
        "runtime_middle", "runtime_last", "last_vs_robx_proximity", "last_vs_robx_plausibility",
        "last_vs_robx_diversity", "last_vs_robx_runtime", "last_vs_drce_plausibility",
        "last_vs_drce_input_robustness", "balanced", "stability"]
NAMES = ["NNCE", "FACE", "RobX", "DiCE", "DRCE", "LAPACE-First", "LAPACE-Middle", "LAPACE-Last"]


def evaluation(dataset="compas", values=AS_THE_PAPER_SAYS, repetitions=2, paper=None, n=30,
               noise=0.002, shared_inputs=False):
    """``(evaluation, per_input)`` of every method: each input's value is the method's value
    plus a little seeded noise (runtime: one value per cell, 1% slower each repetition);
    repetitions explain disjoint inputs unless ``shared_inputs``; ``paper``: the
    LAPACE-paper-* values (default: LAPACE-*'s)."""
    rng = np.random.default_rng(zlib.crc32(dataset.encode()))
    rows, long = [], []
    for r in range(repetitions):
        ids = np.arange(n) + (0 if shared_inputs else r * n)
        for m in ALL_METHODS:
            if m.startswith("LAPACE-paper-") and paper is not None:
                src, j = paper, ["First", "Middle", "Last"].index(m.rsplit("-", 1)[1])
            else:
                src, j = values, NAMES.index(m.replace("paper-", ""))
            cell = {"dataset": dataset, "classifier": "rf", "method": m, "repetition": r}
            row = {**cell, "n_inputs": n, "pool": n * (1 if shared_inputs else repetitions)}
            for k, v in src.items():
                if k == "runtime_s":
                    x = np.full(n, v[j] * (1 + 0.01 * r))
                elif np.isnan(v[j]) or k == "validity" or v[j] in (0.0, 1.0):
                    x = np.full(n, v[j], dtype=float)
                else:
                    x = v[j] + noise * rng.standard_normal(n)
                row[k] = float(np.mean(x))
                long += [{**cell, "input_id": int(i), "metric": k, "value": float(xi)}
                         for i, xi in zip(ids, x, strict=True)]
            rows.append(row)
    ev = pd.DataFrame(rows).reindex(columns=COLUMNS)
    return ev, pd.DataFrame(long)


def claims_of(*frames, **tables):
    ev = pd.concat([f[0] for f in frames], ignore_index=True)
    pi = pd.concat([f[1] for f in frames], ignore_index=True)
    return check_claims(summarise(ev), pi, **tables)


def test_summarise_means_and_stds_over_repetitions():
    ev, _ = evaluation()
    ev.loc[(ev.method == "NNCE") & (ev.repetition == 1), "proximity"] = 0.3
    s = summarise(ev)
    assert list(s.method) == ALL_METHODS
    nnce = s[s.method == "NNCE"].iloc[0]
    assert np.isclose(nnce.proximity_mean, 0.2, atol=2e-3)
    assert np.isclose(nnce.proximity_std, 0.1, atol=2e-3)


def test_claims_hold_on_data_built_to_agree():
    # compas (mixed data: LAPACE's diversity wins) and wine (continuous: it loses)
    wine = {k: list(v) for k, v in AS_THE_PAPER_SAYS.items()}
    wine["diversity"] = [np.nan, np.nan, np.nan, 0.9, 0.9, 0.6, 0.7, 0.8]
    claims = claims_of(evaluation("compas"), evaluation("wine", wine))
    assert list(claims.columns) == CLAIM_COLUMNS
    for recipe in ("ours", "paper"):
        assert list(claims[claims.recipe == recipe].key) == KEYS
    assert set(claims.holds) == {"yes"}, claims[claims.holds != "yes"][["key", "ours", "intervals"]]
    one = claims.set_index(["key", "recipe"]).loc[("last_vs_robx_proximity", "ours")]
    assert (one.wins, one.ties, one.losses) == (2, 0, 0)
    assert "ratio" in one.intervals and "[" in one.intervals


def test_a_difference_inside_the_noise_is_a_tie_not_a_win():
    # the audit's case: FACE's proximity 0.0003 below NNCE's with a std of 0.006 counted as a win
    values = {k: list(v) for k, v in AS_THE_PAPER_SAYS.items()}
    values["plausibility"][4] = 1.0503          # DRCE: Last (1.05) "better" by 0.0003
    claims = claims_of(evaluation(values=values, noise=0.006)).set_index(["key", "recipe"])
    assert claims.holds["last_vs_drce_plausibility", "ours"] == "tie"
    assert claims.ties["last_vs_drce_plausibility", "ours"] == 1
    assert claims.wins["last_vs_drce_plausibility", "ours"] == 0
    # a clear difference is a win again
    values["plausibility"][4] = 1.4
    claims = claims_of(evaluation(values=values, noise=0.006)).set_index(["key", "recipe"])
    assert claims.holds["last_vs_drce_plausibility", "ours"] == "yes"


def test_paired_bootstrap_interval_on_a_hand_made_case():
    # a = (0, 0, 0, 1), b = 0: resampled means are k/4 with P(0) = (3/4)^4 = 0.32 and
    # P(>= 3/4) = 4 (1/4)^3 (3/4) + (1/4)^4 = 0.051: the 95% interval is [0, 0.75]
    c = compare([0, 0, 0, 1], [0, 0, 0, 0], "above")
    assert np.isclose(c.estimate, 0.25) and (c.low, c.high) == (0.0, 0.75)
    assert c.outcome == "tie" and c.n == 4
    # constant differences: the interval is the point, a win; NaN units are left out
    c = compare([2, 3, 4, np.nan], [1, 2, 3, 3], "above")
    assert np.allclose((c.low, c.high), 1.0) and (c.n, c.coverage_a, c.outcome) == (3, 0.75, "win")
    # a ratio against a margin: 2x is a loss of "within 25%"
    c = compare([2.0, 4.0, 6.0], [1.0, 2.0, 3.0], "below", kind="ratio", margin=1.25)
    assert np.isclose(c.estimate, 2.0) and c.outcome == "loss"
    assert compare([1.0], [0.0], "above").outcome == "untested"
    assert outcome_of(-0.1, 0.2, 0.0, "above") == "tie"
    assert best_of([compare([1, 1], [2, 2], "below"), compare([1, 1], [1, 1], "below")]) == "tie"


def test_comparisons_use_the_inputs_both_methods_found_a_valid_ce_for():
    ev, pi = evaluation()
    # DiCE finds a CE for half the inputs only, each very close: its proximity mean (0.05)
    # would beat NNCE's (0.1) if averaged over its own valid inputs only...
    dice = (pi.method == "DiCE") & (pi.metric == "proximity")
    pi.loc[dice, "value"] = np.where(pi.loc[dice, "input_id"] % 2 == 0, 0.05, np.nan)
    # ... and on those same inputs NNCE is closer still
    nnce = (pi.method == "NNCE") & (pi.metric == "proximity") & (pi.input_id % 2 == 0)
    pi.loc[nnce, "value"] = 0.01
    ev.loc[ev.method == "DiCE", "proximity"] = 0.05
    claims = check_claims(summarise(ev), pi).set_index(["key", "recipe"])
    assert claims.holds["proximity", "ours"] == "yes"
    assert "NNCE minus its closest rival" in claims.intervals["proximity", "ours"]


def test_runtime_is_judged_for_each_variant():
    values = {k: list(v) for k, v in AS_THE_PAPER_SAYS.items()}
    values["runtime_s"][5] = 0.02          # First slower than DRCE (0.01): a loss
    values["runtime_s"][6] = 0.01          # Middle exactly DRCE's: no difference, a tie
    claims = claims_of(evaluation(values=values, repetitions=3)).set_index(["key", "recipe"])
    assert claims.holds["runtime_first", "ours"] == "no"
    assert "slower than DRCE" in claims.ours["runtime_first", "ours"]
    assert claims.holds["runtime_middle", "ours"] == "tie"
    assert claims.holds["runtime_last", "ours"] == "yes"


def test_one_repetition_leaves_repetition_claims_untested():
    claims = claims_of(evaluation(repetitions=1)).set_index(["key", "recipe"])
    assert claims.holds["stability", "ours"] == "untested"
    assert "one repetition" in claims.ours["stability", "ours"]
    for variant in ("first", "middle", "last"):
        assert claims.holds[f"runtime_{variant}", "ours"] == "untested"
    # inputs are still units: a comparison over inputs is tested
    assert claims.holds["last_vs_drce_plausibility", "ours"] == "yes"


def test_repetitions_over_the_same_inputs_are_not_read_as_stability():
    claims = claims_of(evaluation(shared_inputs=True)).set_index(["key", "recipe"])
    assert claims.holds["stability", "ours"] == "untested"
    assert "repetitions share inputs" in claims.ours["stability", "ours"]
    # disjoint repetitions with a large std fail it
    ev, pi = evaluation()
    ev.loc[(ev.method == "LAPACE-Last") & (ev.repetition == 1), "plausibility"] = 2.0
    claims = check_claims(summarise(ev), pi).set_index(["key", "recipe"])
    assert claims.holds["stability", "ours"] == "partly"      # one std of 18 too large
    assert claims.losses["stability", "ours"] == 1


def test_a_pair_without_a_valid_last_is_untested_not_a_miss():
    values = {k: list(v) for k, v in AS_THE_PAPER_SAYS.items()}
    values["input_robustness"][7] = np.nan            # no valid LAPACE-Last on heloc
    claims = claims_of(evaluation("compas"), evaluation("heloc", values)).set_index(
        ["key", "recipe"])
    assert claims.holds["last_input_robustness", "ours"] == "yes"
    assert (claims.wins["last_input_robustness", "ours"],
            claims.losses["last_input_robustness", "ours"]) == (1, 0)
    assert "no input with a valid LAPACE-Last" in claims.ours["last_input_robustness", "ours"]


def test_the_paper_recipe_is_checked_on_its_own_methods():
    # the paper's recipe: LAPACE-paper-Last far from the input, First not comparable
    paper = {k: list(v[5:]) for k, v in AS_THE_PAPER_SAYS.items()}
    paper["proximity"] = [0.5, 1.0, 3.8]
    claims = claims_of(evaluation(paper=paper)).set_index(["key", "recipe"])
    assert claims.holds["first_proximity", "ours"] == "yes"
    assert claims.holds["first_proximity", "paper"] == "no"
    assert claims.holds["last_vs_robx_proximity", "ours"] == "yes"
    assert claims.holds["last_vs_robx_proximity", "paper"] == "no"
    assert "Last 0.90 vs RobX 0.80" in claims.ours["last_vs_robx_proximity", "ours"]


def test_summary_without_per_input_is_refused():
    ev, _ = evaluation()
    with pytest.raises(ValueError, match="need both summary and per_input"):
        check_claims(summarise(ev))


def test_table1_and_table3_claims():
    t1 = pd.DataFrame({"dataset": ["heloc", "wine", "adult", "compas"] * 2,
                       "classifier": ["rf"] * 8, "recipe": ["ours"] * 4 + ["paper"] * 4,
                       "tstr_real_mean": [0.74, 0.90, 0.94, 0.90] * 2,
                       "tstr_synth_mean": [0.72, 0.85, 0.80, 0.70, 0.72, 0.89, 0.80, 0.70],
                       "tstr_real_std": [0.002] * 8, "tstr_synth_std": [0.002] * 8,
                       "tstr_n_seeds": [5] * 8,
                       "tstr_real_truth_mean": [0.70] * 8, "tstr_synth_truth_mean": [0.60] * 8,
                       "centroid_accuracy": [1, 1, 1, 1, 1, 0.8, 0.6, 1]})
    # Table 3: FACE once (recipe "-"), then each recipe's two LAPACE methods
    t3 = pd.DataFrame({"dataset": ["heloc"] * 6, "classifier": ["rf"] * 6,
                       "recipe": ["-", "-", "ours", "ours", "paper", "paper"],
                       "method": ["FACE-Interpolate", "FACE-Greedy", "LAPACE-Naive",
                                  "LAPACE-Constrained", "LAPACE-Naive", "LAPACE-Constrained"],
                       "share": [0.5, 0.7, 1.0, 0.9, 1.0, 1.0]})
    claims = claims_of(evaluation(), table1=t1, table3=t3)
    c = claims.set_index(["key", "recipe"])
    holds, ours = c.holds, c.ours
    assert holds["table1_tstr_gap", "ours"] == "partly"        # wine: 5 pp
    assert holds["table1_tstr_gap", "paper"] == "yes"          # adult is not continuous
    assert "over 5 seeds" in c.intervals["table1_tstr_gap", "ours"]
    # the gap tested is the black box's labels'; the true labels' (10 pp) is only reported
    assert "black box's labels" in c.claim["table1_tstr_gap", "ours"]
    assert "true labels (not tested): heloc-RF +10.0 pp" in ours["table1_tstr_gap", "paper"]
    # categorical gap: mixed (14, 20 pp) above continuous (2, 5 pp)
    assert c.wins["table1_categorical_gap", "ours"] + c.ties["table1_categorical_gap", "ours"] == 1
    assert "mixed minus continuous-only: +13.5 pp" in c.intervals["table1_categorical_gap", "ours"]
    assert holds["table1_centroid_accuracy", "ours"] == "yes"
    assert holds["table1_centroid_accuracy", "paper"] == "partly"  # 2 of 4 pairs
    assert holds["table3_actionability", "ours"] == "partly"   # Constrained 90%
    assert holds["table3_actionability", "paper"] == "yes"     # both 100%, above FACE's 70%
    assert "best FACE 70%" in ours["table3_actionability", "paper"]
    # a paper LAPACE row that does not beat FACE: 100% beside FACE's 100% is a tie
    t3.loc[[0, 5], "share"] = 1.0
    again = claims_of(evaluation(), table3=t3).set_index(["key", "recipe"])
    assert again.ties["table3_actionability", "paper"] == 2
    assert again.holds["table3_actionability", "paper"] == "tie"
    # a Table 3 without recipes (an older build) is ours only, FACE included
    old = t3[t3.recipe != "paper"].drop(columns="recipe")
    older = claims_of(evaluation(), table3=old).set_index(["key", "recipe"]).holds
    assert ("table3_actionability", "paper") not in older.index


def test_figure_claims():
    figures = {
        "figure2_per_input": pd.DataFrame({"late": [0.6, 0.7, 0.5, 0.8], "early": [0.0] * 4}),
        "figure3_check": pd.DataFrame({"": ["no constraint", "no-dash constraint"],
                                       "points satisfying g ≤ 0": ["0 / 21", "21 / 21"]}),
        "figure3_prototype_ink": pd.DataFrame({
            "": ["7-prototype #1", "7-prototype #2", "held-out 7s, median",
                 "held-out 7s, 90th percentile"], "ink in the dash region": [2.0, 4.0, 1.9, 10.9]}),
        "figure5_styles": pd.DataFrame({"spread_ratio": [0.45], "centroids_correct": [0.97]}),
    }
    c = check_claims(figures=figures).set_index("key")
    assert set(c.recipe) == {"-"}
    assert c.holds["figure2_late_target"] == "yes"
    assert c.holds["figure3_dash_prototype"] == "no"      # no prototype above the 90th pct
    assert c.holds["figure3_dash_removed"] == "yes"
    assert c.holds["figure5_styles"] == "yes"
    figures["figure5_styles"].loc[0, "spread_ratio"] = 0.1
    assert check_claims(figures=figures).set_index("key").holds["figure5_styles"] == "no"


def test_mean_ranks_and_table2():
    ranks = mean_ranks(summarise(evaluation(noise=0)[0]), ["proximity", "diversity"], HIGHER_IS_BETTER)
    assert ranks.loc["NNCE", "proximity"] == 1 and ranks.loc["DRCE", "proximity"] == 1  # tie
    assert ranks.loc["LAPACE-Last", "diversity"] == 1 and np.isnan(ranks.loc["NNCE", "diversity"])
    assert list(PAPER_TABLE2.index) == ["NNCE", "FACE", "RobX", "DiCE", "DRCE", "LAPACE"]


def test_benchmark_bars_draws_a_panel_per_metric_and_pair():
    s = summarise(pd.concat([evaluation("compas")[0], evaluation("wine")[0]]))
    fig = benchmark_bars(s, ["proximity", "diversity"], HIGHER_IS_BETTER, title="t")
    assert np.array(fig.axes).size == 4
    assert "lower is better" in fig.axes[0].get_ylabel()
    assert "higher is better" in fig.axes[2].get_ylabel()
    assert any(t.get_text() == "n/a" for t in fig.axes[2].texts)


def test_values_below_one_never_print_as_one():
    """A claim that lists what falls short of 1 (or 100%) shows enough digits to tell."""
    from lapace_book.benchmark.grid_claims import below_one as _below_one

    assert [_below_one(v) for v in (0.97, 0.998, 0.99996)] == ["0.97", "0.998", "0.99996"]
    assert _below_one(1.0) == "1.00" and _below_one(0.9996, percent=True) == "99.96%"
    assert _below_one(0.83, percent=True) == "83.0%"

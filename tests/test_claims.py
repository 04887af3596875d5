"""The §4.2 claims checked on a hand-made summary, and Figure 4's plot routine."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd

from lapace.benchmark import ALL_METHODS, COLUMNS, summarise
from lapace.claims import PAPER_TABLE2, check_claims, mean_ranks
from lapace.metrics import HIGHER_IS_BETTER
from lapace.plots import benchmark_bars

# one value per method, in ALL_METHODS order: NNCE FACE RobX DiCE DRCE First Middle Last
AS_THE_PAPER_SAYS = {
    "validity": [1, 1, 1, 0.9, 1, 1, 1, 1],
    "proximity": [0.1, 0.3, 0.4, 0.5, 0.1, 0.2, 0.6, 0.9],
    "plausibility": [1.3, 1.2, 1.2, 1.8, 1.4, 1.1, 1.0, 1.05],
    "diversity": [np.nan, np.nan, np.nan, 0.5, 0.4, 0.6, 0.7, 0.8],   # mixed data: LAPACE wins
    "model_robustness": [0.8, 0.8, 0.95, 0.7, 0.8, 0.6, 0.9, 1.0],
    "input_robustness": [0.1, 0.2, 0.1, 0.9, 0.3, 0.05, 0.02, 0.0],
    "runtime_s": [0.001, 0.05, 0.1, 2.0, 0.01, 0.002, 0.002, 0.002],
}


def evaluation(dataset="compas", values=AS_THE_PAPER_SAYS, repetitions=2):
    rows = []
    for r in range(repetitions):
        for i, m in enumerate(ALL_METHODS):
            rows.append({"dataset": dataset, "classifier": "rf", "method": m, "repetition": r,
                         "n_inputs": 5, **{k: v[i] for k, v in values.items()}})
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
    assert list(claims.columns) == ["claim", "paper_says", "ours", "holds"]
    assert len(claims) >= 7
    assert set(claims.holds) == {"yes"}, claims[claims.holds != "yes"]


def test_claims_fail_where_the_numbers_disagree():
    values = {k: list(v) for k, v in AS_THE_PAPER_SAYS.items()}
    values["validity"][0] = 0.8                       # NNCE misses inputs
    values["model_robustness"][7] = 0.9               # Last no more robust than Middle
    ev = pd.concat([evaluation("compas"), evaluation("heloc", values)])   # heloc: continuous
    claims = check_claims(summarise(ev)).set_index("claim").holds
    assert claims["validity"] == "partly"             # 15 of 16 non-DiCE cells valid
    assert claims["model robustness of LAPACE-Last"] == "partly"
    # on continuous heloc the paper expects LAPACE to lose on diversity; here it wins
    assert claims["diversity"] == "partly"
    assert claims["input robustness of LAPACE-Last"] == "yes"


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

"""The sentences a chapter computes from its numbers (lapace_book.show.readings, .text) say what
the numbers say, whatever the parameters: paths that turn back or not, collapsed loss weights or
not, another pair of digits, the words that flag careful recourse."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lapace_book.show.readings import (
    counted_changes,
    elbo_bound_reading,
    figure1_reading,
    loss_weight_reading,
    paper_setting,
)
from lapace_book.show.text import a_, class_names, contradictions, flag_change, held_fixed, pair_name


def test_figure1_reading_follows_the_paths():
    labels = np.array([[0] * 5 + [1] * 3 + [0] + [1] * 2, [0] * 4 + [1] * 7, [0] * 11])
    paths = np.zeros((3, 11, 2))
    paths[:, -1] = [[0.9, 0.1], [0.8, 0.2], [0.1, 0.9]]
    close = np.array([[0.0, 0.0], [0.05, 0.0], [2.0, 2.0]])
    text = figure1_reading(labels, close, np.r_[close, -close - 1], paths)
    assert text.startswith("2 of the 3 paths reach label 1")
    assert "the path ending near (0.10, 0.90) never does" in text
    assert "The path ending near (0.90, 0.10) turns back" in text and "for 1 point" in text
    assert "lie close together" in text
    far = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])
    text = figure1_reading(labels[1:2].repeat(3, 0), far, np.r_[far, -far], paths)
    assert text.startswith("All 3 paths reach label 1")
    assert "No path turns back" in text and "lie apart" in text
    assert figure1_reading(labels[1:2], far[:1], far, paths[:1]).startswith("The single path")


def _weights(kl_z, kl_c):
    index = ["(1.0, 1.0, 1.0)", "(0.5, 0.3, 1.0)", "(0.1, 0.05, 1.0)"]
    return pd.DataFrame({"KL(z)": kl_z, "KL(c)": kl_c, "rec (sum of squares)": [0.2, 0.2, 0.1],
                         "ELBO": [-6.5, -6.6, -7.4], "centroid distinctness": [0.01, 0.02, 0.2]},
                        index=index)


def test_loss_weight_reading_tells_collapse_from_use():
    collapsed = loss_weight_reading(_weights([0.0, 0.001, 0.1], [0.0, 0.0, 0.8]), [0.1, 0.05, 1.0],
                                    "wine", 5)
    assert "With (1.0, 1.0, 1.0) and (0.5, 0.3, 1.0), KL(z) is practically zero" in collapsed
    assert "a collapsed model" in collapsed and "Table 4's weights for wine-RF" in collapsed
    assert not contradictions(collapsed)
    # compas-like: the codes are used by every setting, KL(c) near its maximum
    used = loss_weight_reading(_weights([0.016, 0.46, 1.4], [1.56, 1.58, 1.61]), [0.1, 0.05, 1.0],
                               "compas", 5)
    assert "No setting collapses" in used and "practically zero" not in used
    assert "ln 5 = 1.61" in used and "Table 4's weights" not in used


def test_elbo_bound_reading_says_whether_the_gap_still_rises():
    bound = pd.DataFrame({"mean gap (IS − ELBO)": [0.0, 0.4, 0.6],
                          "share of inputs with ELBO ≤ IS": [0.35, 0.9, 1.0]}, index=[1, 10, 100])
    assert "still rises" in elbo_bound_reading(bound, np.zeros((5, 3)))
    bound.iloc[-1, 0] = 0.401
    assert "levelled off" in elbo_bound_reading(bound, np.zeros((5, 3)))


def test_words_for_other_parameters():
    assert paper_setting(5, 7) == "" and "3 to 8" in paper_setting(3, 8)
    assert a_(8) == "an 8" and a_(3) == "a 3" and a_(11) == "an 11"
    assert pair_name("wine-nn") == "wine-NN" and pair_name("compas-rf") == "compas-RF"
    assert class_names("compas") == ["high-risk score", "low- or medium-risk score"]
    assert flag_change("compas", "length_of_stay", 9, -1) == "impossible (negative); a record of the past"
    assert flag_change("compas", "two_year_recid", 0, 1) == "the outcome record itself"
    assert flag_change("adult", "age", 30, 29) == "impossible (age goes down)"
    assert flag_change("adult", "hours-per-week", 40, 45) == ""


def test_flag_change_reads_the_default_constraint_sets():
    # what the yml holds fixed is flagged with the first clause of its reason, nothing else
    assert flag_change("compas", "c_charge_degree", "F", "M") == "a record of the past"
    assert flag_change("compas", "priors_count", 3, 2) == "a record of the past"
    assert flag_change("compas", "age", 27, 28) == "" and flag_change("compas", "age", 27, 26) \
        == "impossible (age goes down)"
    assert flag_change("adult", "marital-status", "Married", "Non-Married") == "ethically loaded"
    assert flag_change("adult", "native-country", "US", "Non-US") == "a protected attribute"
    assert flag_change("adult", "hours-per-week", 40, 70) == "outside 1 ≤ hours-per-week ≤ 60"
    assert flag_change("adult", "capital-loss", 0, -5) == "impossible (negative)"
    assert flag_change("adult", "education-num", 9, 13) == ""
    # heloc's set is a pool drawn from, not a default: only impossible values would be flagged
    assert flag_change("heloc", "ExternalRiskEstimate", 60, 95) == ""
    assert held_fixed("heloc") == {} and held_fixed("mnist") == {}
    assert held_fixed("compas") == {
        "sex": "a protected attribute", "race": "a protected attribute",
        "two_year_recid": "the outcome record itself", "priors_count": "a record of the past",
        "length_of_stay": "a record of the past", "c_charge_degree": "a record of the past"}
    assert set(held_fixed("adult")) == {"sex", "race", "native-country", "marital-status",
                                        "relationship", "fnlwgt"}
    assert flag_change("adult", "education-num", 13, 9) == "impossible (education-num goes down)"


def test_counted_changes_are_shares_of_each_methods_counted_points():
    from lapace import load_dataset

    ds = load_dataset("compas", seed=0)
    X = ds.encode(ds.X_train.iloc[:4])
    older = ds.X_train.iloc[:4].assign(age=ds.X_train.age.iloc[:4] + 10)
    older.iloc[0, older.columns.get_loc("sex")] = "Female" if older.sex.iloc[0] == "Male" else "Male"
    counted = {"A": (ds.encode(older), np.arange(4)), "B": (np.zeros((0, X.shape[1])), np.zeros(0))}
    shares = counted_changes(counted, X, ds, ["age", "sex", "priors_count", "not a feature"])
    assert list(shares.columns) == ["age", "sex", "priors_count"]
    assert shares.loc["A"].tolist() == [1.0, 0.25, 0.0] and shares.loc["B"].isna().all()

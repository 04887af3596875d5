"""lapace_book.experiments.leakage: imputed values that give the label away (CARLA's heloc file)."""

import numpy as np
import pandas as pd
import pytest

from lapace_book.experiments.leakage import imputed_rows, label_coded_values, label_free, leakage_accuracies


def coded_frame(n=400, seed=0):
    """Whole-number features; in ``b`` a third of the entries are a per-label mean."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = pd.DataFrame({"a": rng.integers(0, 50, n).astype(float),
                      "b": rng.integers(0, 20, n).astype(float)})
    missing = rng.random(n) < 1 / 3
    X.loc[missing & (y == 0), "b"] = 7.25
    X.loc[missing & (y == 1), "b"] = 11.5
    X.loc[0, "a"] = 3.5                                 # one non-whole value, label of row 0
    return X, y, missing


def test_label_coded_values_finds_the_per_label_means():
    X, y, missing = coded_frame()
    coded = label_coded_values(X, y).set_index(["feature", "value"])
    assert set(coded.index) == {("b", 7.25), ("b", 11.5), ("a", 3.5)}
    assert coded["one label"].all()
    assert coded.loc[("b", 11.5), "share label 1"] == 1 and coded.loc[("b", 7.25), "share label 1"] == 0
    assert coded.loc[("b", 7.25), "rows"] == int((missing & (y == 0)).sum())
    assert imputed_rows(X).sum() == int((missing | (np.arange(len(y)) == 0)).sum())
    with pytest.raises(ValueError, match="labels"):
        label_coded_values(X, y[:-1])


def test_label_free_shares_one_value_and_the_forest_loses_its_shortcut():
    X, y, _ = coded_frame(n=1200)
    free = label_free(X)
    assert label_coded_values(free, y).empty or not label_coded_values(free, y)["one label"].all()
    assert free["b"][X["b"] % 1 != 0].nunique() == 1    # both labels' means replaced by one
    assert np.isclose(free["b"][X["b"] % 1 != 0].iloc[0], X["b"][X["b"] % 1 == 0].mean())
    half = len(y) // 2
    acc = leakage_accuracies(X[:half], y[:half], X[half:], y[half:], {"forest": {}})
    assert list(acc.index) == ["forest", "logistic regression"]
    # the labels are noise but for the coded values: the forest reads a third of them off
    assert acc.loc["forest", "as given"] > 0.6 and acc.loc["forest", "label-free"] < 0.58
    assert np.isclose(acc.loc["forest", "difference"],
                      acc.loc["forest", "as given"] - acc.loc["forest", "label-free"])

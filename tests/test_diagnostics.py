"""lapace.lgmvae.diagnostics: the §3.1 targets, their verdicts and the sentences built on reports."""

import numpy as np
import pandas as pd
import pytest
from toys import toy

from lapace.lgmvae.diagnostics import (
    PROTOTYPE_COLUMNS,
    PROTOTYPE_TARGETS,
    decoded_centroid_table,
    digit_styles,
    meets_all_targets,
    noise_reading,
    shared_categories_text,
    spread_ratio,
    target_verdicts,
)


def _report():
    """Row 0 meets all five targets (row 1 exactly on each); row 2 misses only min_usage."""
    return pd.DataFrame({
        "label": [0, 1, 0],
        "spread_ratio": [0.5, 0.3, 0.6],
        "min_usage": [0.1, 0.05, 0.01],
        "mean_max_q": [0.9, 0.7, 0.95],
        "reconstruction_label_kept": [0.95, 0.8, 0.99],
        "centroid_accuracy_raw": [1.0, 0.9, 1.0],
    }, index=[10, 11, 12])


def test_targets_cover_the_prototype_report():
    assert set(PROTOTYPE_TARGETS) == set(PROTOTYPE_COLUMNS) - {"label"}


def test_target_verdicts_and_all_five():
    verdicts = target_verdicts(_report())
    assert list(verdicts.columns) == list(PROTOTYPE_TARGETS)
    assert list(verdicts.index) == [10, 11, 12]
    assert verdicts.loc[10].all() and verdicts.loc[11].all()      # a target is met at equality
    assert list(verdicts.loc[12]) == [True, False, True, True, True]
    assert list(meets_all_targets(_report())) == [True, True, False]


def test_nan_misses_its_target_and_custom_targets():
    rep = _report()
    rep.loc[10, "spread_ratio"] = np.nan
    assert list(meets_all_targets(rep)) == [False, True, False]
    assert list(meets_all_targets(rep, {"mean_max_q": 0.92})) == [False, False, True]


def test_target_verdicts_names_a_missing_column():
    with pytest.raises(ValueError, match="spread_ratio"):
        target_verdicts(_report().drop(columns="spread_ratio"))


def test_noise_reading_names_each_cause():
    assert noise_reading(0.5, 0.9, goal=0.8).startswith("the decoder's error is not random")
    assert noise_reading(0.6, 0.7, goal=0.8) == "the region is thinner than the decoder's resolution"
    assert " and " in noise_reading(0.3, 0.7, goal=0.8)
    assert noise_reading(0.75, 0.85, goal=0.8) == "both causes are weak"


def test_shared_categories_text():
    rep = pd.DataFrame({"label": [0, 0, 0, 1], "group": [0, 1, 2, 0],
                        "modal_share": [0.9, 0.6, 0.7, 0.5], "other_share": [0.1, 0.4, 0.3, 0.5],
                        "centroids_modal": [1.0, 1.0, 0.6, 1.0]})
    text = shared_categories_text(rep, ["sex", "race", "work"], label=0)
    assert "of race, sex," in text and "although 40%, 10% of its training rows" in text
    assert shared_categories_text(rep.assign(centroids_modal=0.5), ["sex", "race", "work"], 0) == ""


def test_decoded_centroid_table_marks_rejected_centroids():
    ds, X, clf, vae = toy()
    n = vae.n_labels * vae.clusters_per_class
    predicted = np.asarray(clf.predict(vae.decoded_centroids()))
    owner = np.repeat(np.arange(vae.n_labels), vae.clusters_per_class)
    rep = pd.DataFrame({"cluster": np.arange(n), "label": owner, "predicted": predicted,
                        "valid_raw": predicted == owner})
    rep.loc[0, "valid_raw"] = False                                  # force one rejection
    table = decoded_centroid_table(ds, vae, rep)
    assert table.shape == (len(ds.features) + 1, n)
    assert table.columns[0] == "c0 (y=0)" and table.index.name == "feature"
    assert table.loc["classifier predicts"].iloc[0] == f"{predicted[0]} ✗"
    assert table.loc["housing"].isin(["rent", "own", "free"]).all()
    income = ds.decode(vae.decoded_centroids())["income"].iloc[1]
    assert table.loc["income"].iloc[1] == f"{income:.3g}"


def test_digit_styles_against_spread_ratio():
    ds, X, clf, vae = toy()
    y = np.asarray(clf.predict(X))
    spread, correct = digit_styles(vae, clf.predict, X, y, seed=0)
    cs = vae.decoded_centroids()
    k = vae.clusters_per_class
    expected = np.mean([spread_ratio(cs[d * k:(d + 1) * k], X[y == d], seed=0) for d in (0, 1)])
    assert spread == pytest.approx(expected)
    assert correct == pytest.approx(vae.centroid_accuracy(clf.predict))

"""lapace_book.experiments.ablation: the recipes of the cluster-collapse chapter and how
a variant is trained."""

import pytest

from lapace import LGMVAE
from lapace_book.experiments import ablation


def test_every_variant_is_a_valid_set_of_lgmvae_options():
    params = LGMVAE().get_params()
    for name, options in ablation.VARIANTS.items():
        assert set(options) <= set(params), name
        LGMVAE(**options)                            # accepted by the estimator
    assert ablation.VARIANTS["paper"]["objective"] == "paper"


def test_default_variant_is_lgmvaes_default_recipe():
    assert ablation.default_variant() == "shared-calibrated-balanced"


def _captured(monkeypatch):
    from lapace_book.experiments import profiles
    calls = []
    monkeypatch.setattr(profiles, "train_pair", lambda *a, **kw: calls.append((a, kw)) or "pair")
    return calls


def test_train_variant_trains_with_the_profiles_pair_settings(monkeypatch):
    from lapace_book.experiments.profiles import pair_settings

    calls = _captured(monkeypatch)
    assert ablation.train_variant("wine-rf", "marginal", "quick", seed=0, vae_seed=3) == "pair"
    args, kw = calls[-1]
    quick = pair_settings("quick")
    assert args == ("wine", "rf")
    assert kw == {"seed": 0, "vae_seed": 3, "max_epochs": quick["max_epochs"],
                  "patience": quick["patience"], "max_rows": quick["max_rows"],
                  "vae_params": ablation.VARIANTS["marginal"]}   # wine-RF's 64 is under the cap
    assert kw["vae_params"] is not ablation.VARIANTS["marginal"]      # a copy: VARIANTS stay
    ablation.train_variant("wine-rf", "marginal", "quick", max_epochs=150)
    assert calls[-1][1]["max_epochs"] == 150                          # a longer budget


def test_train_variant_default_has_no_overrides_and_the_cap_applies(monkeypatch):
    calls = _captured(monkeypatch)
    ablation.train_variant("wine-rf", ablation.default_variant(), "quick")
    assert "vae_params" not in calls[-1][1]                  # the tabular chapter's very model
    ablation.train_variant("heloc-rf", "paper", "quick")     # Table 4: 1024, quick caps at 128
    assert calls[-1][1]["vae_params"] == {**ablation.VARIANTS["paper"], "batch_size": 128}
    ablation.train_variant("heloc-rf", "paper", "paper")     # the paper profile: no cap
    assert "batch_size" not in calls[-1][1]["vae_params"]


def test_unknown_variant_is_an_error():
    with pytest.raises(ValueError, match="unknown variant"):
        ablation.train_variant("wine-rf", "nope")


def test_pair_of():
    assert ablation.pair_of("compas-nn") == ("compas", "nn")

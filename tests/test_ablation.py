"""lapace.ablation: the recipes of the cluster-collapse chapter and how a variant is trained."""

import pytest

from lapace import LGMVAE, ablation


def test_every_variant_is_a_valid_set_of_lgmvae_options():
    params = LGMVAE().get_params()
    for name, options in ablation.VARIANTS.items():
        assert set(options) <= set(params), name
        LGMVAE(**options)                            # accepted by the estimator
    assert ablation.VARIANTS["paper"]["objective"] == "paper"


def test_default_variant_is_lgmvaes_default_recipe():
    assert ablation.default_variant() == "shared-calibrated-balanced"


def _captured(monkeypatch):
    calls = []
    monkeypatch.setattr(ablation, "train_pair", lambda *a, **kw: calls.append((a, kw)) or "pair")
    return calls


def test_train_variant_passes_the_chapters_arguments(monkeypatch):
    calls = _captured(monkeypatch)
    common = dict(seed=0, vae_seed=3, max_epochs=40, patience=10, max_rows=2500)
    assert ablation.train_variant("wine-rf", "marginal", max_batch_size=None, **common) == "pair"
    args, kw = calls[-1]
    assert args == ("wine", "rf")
    assert kw == {**common, "vae_params": ablation.VARIANTS["marginal"]}
    assert kw["vae_params"] is not ablation.VARIANTS["marginal"]      # a copy: VARIANTS stay


def test_train_variant_default_has_no_overrides_and_caps_the_batch(monkeypatch):
    from lapace.paper import lgmvae_settings

    calls = _captured(monkeypatch)
    common = dict(seed=0, vae_seed=0, max_epochs=40, patience=10, max_rows=None)
    batch = lgmvae_settings("wine", "rf")["batch_size"]
    ablation.train_variant("wine-rf", ablation.default_variant(), max_batch_size=None, **common)
    assert calls[-1][1]["vae_params"] == {}
    ablation.train_variant("wine-rf", "paper", max_batch_size=batch - 1, **common)
    assert calls[-1][1]["vae_params"] == {**ablation.VARIANTS["paper"], "batch_size": batch - 1}
    ablation.train_variant("wine-rf", "paper", max_batch_size=batch, **common)
    assert "batch_size" not in calls[-1][1]["vae_params"]


def test_unknown_variant_is_an_error():
    with pytest.raises(ValueError, match="unknown variant"):
        ablation.train_variant("wine-rf", "nope", seed=0, vae_seed=0, max_epochs=1, patience=1,
                               max_rows=None, max_batch_size=None)


def test_pair_of():
    assert ablation.pair_of("compas-nn") == ("compas", "nn")

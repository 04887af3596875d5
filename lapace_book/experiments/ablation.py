"""The L-GMVAE recipes compared in the chapter *Why the clusters collapse*.

Each variant is a set of keyword arguments of :class:`lapace.LGMVAE` beyond Table 4's
settings.  ``"paper"`` is Eq. 3 as written with Appendix B's networks; the ``marginal-…``
variants change one part each from ``"marginal"`` (KL(c) of the batch's mean assignment,
:func:`lapace.lgmvae.elbo.kl_c_marginal`); ``"shared-calibrated-balanced"`` combines three of them.
:func:`default_variant` names the one :class:`~lapace.LGMVAE` trains by default, and
:func:`train_variant` trains (or loads) a pair's L-GMVAE with a variant.
"""

from __future__ import annotations

from lapace.lgmvae.model import LGMVAE
from lapace.lgmvae.recipe import OUR_RECIPE, PAPER_RECIPE
from lapace_book.experiments.pairs import Pair
from lapace_book.experiments.profiles import load_pair

__all__ = ["VARIANTS", "default_variant", "pair_of", "train_variant"]

_BASE = {k: v for k, v in PAPER_RECIPE.items() if k != "objective"}

#: variant name -> keyword arguments of lapace.LGMVAE beyond Table 4's settings
VARIANTS = {
    "paper": dict(PAPER_RECIPE),
    "marginal": {**_BASE, "objective": "marginal"},
    "marginal-balanced": {**_BASE, "objective": "marginal", "balance_labels": True},
    "marginal-calibrated": {**_BASE, "objective": "marginal", "likelihood": "calibrated"},
    "marginal-shared": {**_BASE, "objective": "marginal", "encoder": "shared"},
    "shared-calibrated-balanced": dict(OUR_RECIPE),
}


def default_variant() -> str:
    """The name of the variant whose options :class:`~lapace.LGMVAE`'s defaults train."""
    defaults = LGMVAE().effective_params()
    for name, options in VARIANTS.items():
        if all(defaults[k] == v for k, v in options.items()):
            return name
    raise ValueError("lapace.LGMVAE's default recipe is none of lapace_book.experiments.ablation.VARIANTS; "
                     "add it there.")


def pair_of(name: str) -> tuple[str, str]:
    """``"wine-rf"`` -> ``("wine", "rf")``."""
    dataset, classifier = name.split("-")
    return dataset, classifier


def train_variant(name: str, variant: str, profile: str = "quick", *, seed: int = 0,
                  vae_seed: int | None = None, max_epochs: int | None = None) -> Pair:
    """The pair ``name`` ("dataset-classifier") with its L-GMVAE trained as ``variant``.

    Through :func:`lapace_book.experiments.profiles.load_pair` (the profile's ``_pairs`` settings, cached).
    The default variant passes no overrides, so its models are the tabular chapter's;
    ``max_epochs`` (``None``: the profile's) gives a longer or shorter budget.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {list(VARIANTS)}.")
    d, c = pair_of(name)
    over = {} if variant == default_variant() else {"vae_params": {**VARIANTS[variant]}}
    if max_epochs is not None:
        over["max_epochs"] = max_epochs
    return load_pair(d, c, profile, seed=seed, vae_seed=vae_seed, **over)

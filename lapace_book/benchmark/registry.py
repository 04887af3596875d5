"""The benchmark's methods: name -> how to build it on a pair (:class:`MethodSpec`), and the
L-GMVAE recipes a LAPACE method can be explained with (:data:`LGMVAE_RECIPES`).

Adding a method is one module with a :class:`lapace.methods.CounterfactualMethod` subclass and
one line in :data:`REGISTRY`; the grid (:mod:`lapace_book.benchmark.grid`) and the chapters then
treat it like every other.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from lapace.lgmvae.recipe import PAPER_RECIPE
from lapace.methods.base import CounterfactualMethod

__all__ = ["LGMVAE_RECIPES", "REGISTRY", "MethodSpec"]

#: the L-GMVAE recipes a method can be explained with: ``vae_params`` of
#: :func:`lapace_book.experiments.pairs.train_pair` on top of the profile's settings.  ``"ours"`` is
#: :class:`~lapace.LGMVAE`'s default; ``"paper"`` is :data:`lapace.lgmvae.recipe.PAPER_RECIPE`.
LGMVAE_RECIPES: dict[str, dict[str, Any]] = {"ours": {}, "paper": dict(PAPER_RECIPE)}


@dataclass(frozen=True)
class MethodSpec:
    """How the benchmark builds a method: ``path`` ``"module:Class"``, the constructor
    ``params`` that define it (LAPACE's ``point``), whether its constructor takes the pair's
    L-GMVAE first (``lgmvae``) and which L-GMVAE recipe that is (``recipe``, a key of
    :data:`LGMVAE_RECIPES`).  ``module`` is what the method's cached results depend on."""

    path: str
    params: dict = field(default_factory=dict)
    lgmvae: bool = False
    recipe: str = "ours"

    def __post_init__(self):
        if self.recipe not in LGMVAE_RECIPES:
            raise ValueError(f"recipe must be one of {list(LGMVAE_RECIPES)}, got {self.recipe!r}.")

    @property
    def module(self) -> str:
        return self.path.partition(":")[0]

    def build(self, pair, seed: int, **params: Any) -> CounterfactualMethod:
        """The method fitted on ``pair`` (its training inputs, black box and encoder)."""
        module, _, name = self.path.partition(":")
        cls = getattr(importlib.import_module(module), name)
        args = (pair.vae,) if self.lgmvae else ()
        method = cls(*args, **{**self.params, **params, "seed": seed})
        return method.fit(pair.X_train, pair.clf, dataset=pair.ds)


#: every method of the paper's Figure 4, in its order, then the paper's method as we read it
#: (``LAPACE-paper-*``: the paper's L-GMVAE recipe, no centroid repair): name -> how to build it
REGISTRY: dict[str, MethodSpec] = {
    "NNCE": MethodSpec("lapace.methods.nnce:NNCE"),
    "FACE": MethodSpec("lapace.methods.face:FACE"),
    "RobX": MethodSpec("lapace.methods.robx:RobX"),
    "DiCE": MethodSpec("lapace.methods.dice:DiCE"),
    "DRCE": MethodSpec("lapace.methods.drce:DRCE"),
    "LAPACE-First": MethodSpec("lapace.explain.explainer:Lapace", {"point": "first"}, lgmvae=True),
    "LAPACE-Middle": MethodSpec("lapace.explain.explainer:Lapace", {"point": "middle"}, lgmvae=True),
    "LAPACE-Last": MethodSpec("lapace.explain.explainer:Lapace", {"point": "last"}, lgmvae=True),
    **{f"LAPACE-paper-{point.title()}": MethodSpec(
        "lapace.explain.explainer:Lapace", {"point": point, "repair_centroids": False}, lgmvae=True,
        recipe="paper") for point in ("first", "middle", "last")},
}

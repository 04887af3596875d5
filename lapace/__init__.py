"""lapace: L-GMVAE and LAPACE counterfactual paths (Jiang, Leofante, Rago & Toni).

The layers, bottom up: :mod:`lapace.validation` (every shared input check) and
:mod:`lapace.counterfactuals` (the one result type); :mod:`lapace.data` (verified downloads, the
tabular dataset); :mod:`lapace.lgmvae` (the model, §3.1); :mod:`lapace.methods` (the protocol
and the five baselines); :mod:`lapace.explain` (LAPACE, §3.2-3.3); :mod:`lapace.groups` (group
recourse); :mod:`lapace.metrics`, :mod:`lapace.classifiers`, :mod:`lapace.images` and
:mod:`lapace.explorer` beside them.

Quick start::

    from lapace import load_dataset, train_classifier, LGMVAE, Lapace
    ds = load_dataset("heloc", seed=0)
    X = ds.encode(ds.X_train)
    clf = train_classifier("rf", X, ds.y_train, seed=0)
    vae = LGMVAE(n_labels=2, latent_dim=18, loss_weights=(0.1, 0.1, 1.0),
                 categorical_groups=ds.categorical_groups, seed=0).fit(X, clf.predict(X))
    explainer = Lapace(vae).fit(model=clf, dataset=ds)
    res = explainer.explain_paths(X_neg, target=1)       # every path: LapaceResult
    first = explainer.explain(X_neg, target=1)           # LAPACE-First: Counterfactuals
"""

from lapace.classifiers import train_classifier
from lapace.counterfactuals import Counterfactuals
from lapace.data import TabularDataset, load_dataset, load_mnist
from lapace.explain import Lapace, LapaceResult
from lapace.explain.constraints import Constraint, Immutable, Monotone, Range, Relation
from lapace.lgmvae import LGMVAE
from lapace.methods.base import CounterfactualMethod
from lapace.validation import NotFittedError

__version__ = "0.1.0"

__all__ = [
    "Constraint",
    "CounterfactualMethod",
    "Counterfactuals",
    "Immutable",
    "LGMVAE",
    "Lapace",
    "LapaceResult",
    "Monotone",
    "NotFittedError",
    "Range",
    "Relation",
    "TabularDataset",
    "load_dataset",
    "load_mnist",
    "train_classifier",
    "__version__",
]

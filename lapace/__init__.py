"""lapace: L-GMVAE and LAPACE counterfactual paths (Jiang, Leofante, Rago & Toni).

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

from .classifiers import train_classifier
from .constraints import Constraint, Immutable, Monotone, Range, Relation
from .counterfactuals import Counterfactuals
from .data import TabularDataset, load_dataset, load_mnist
from .explain import Lapace
from .methods import CounterfactualMethod
from .model import LGMVAE
from .paths import LapaceResult
from .validation import NotFittedError

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

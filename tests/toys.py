"""Small, fast fixtures shared by the model tests (a toy data set with a categorical column)."""

from functools import cache

import numpy as np
import pandas as pd

from lapace import LGMVAE, TabularDataset, train_classifier
from lapace.lgmvae.model import RECIPES


def toy_frame(n: int = 800, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "income": rng.uniform(10, 110, n),
        "debt": rng.uniform(0, 50, n),
        "housing": rng.choice(["rent", "own", "free"], n),
    })
    score = (df.income - 10) / 100 - (df.debt / 50) * 0.6 + 0.25 * (df.housing == "own")
    df["approved"] = (score > 0.3).astype(int)
    return df


@cache
def toy(seed: int = 0):
    """(dataset, encoded train X, classifier, fitted L-GMVAE), trained once per session."""
    ds = TabularDataset.from_frame(toy_frame(), target="approved", categorical=["housing"], seed=0)
    X = ds.encode(ds.X_train)
    clf = train_classifier("rf", X, ds.y_train, seed=0, n_estimators=30)
    vae = LGMVAE(n_labels=2, clusters_per_class=3, latent_dim=3, hidden_dim=64,
                 loss_weights=(0.05, 0.05, 1),
                 categorical_groups=ds.categorical_groups, batch_size=128, max_epochs=40,
                 patience=10, seed=seed, verbose=False,
                 # the tests below rely on this toy's paths (some invalid, some starting
                 # valid): its recipe is fixed here, not lapace's default recipe
                 objective="marginal", **RECIPES["paper"]).fit(X, clf.predict(X))
    return ds, X, clf, vae

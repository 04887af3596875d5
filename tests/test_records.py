"""The decoded record is the truth (issue 18): every method returns records that can exist,
exact immutables on integer and categorical features, judged on the record the user reads."""

from functools import cache

import numpy as np
import pandas as pd
import pytest

from lapace import LGMVAE, Immutable, Lapace, Range, TabularDataset, train_classifier
from lapace.methods import DRCE, FACE, NNCE, DiCE, RobX


@cache
def mixed():
    """Integer age, a float, a 6-level and a 2-level category; an RF and a small L-GMVAE."""
    rng = np.random.default_rng(1)
    n = 700
    df = pd.DataFrame({
        "age": rng.integers(18, 80, n),
        "income": rng.uniform(0, 100, n),
        "race": rng.choice(["a", "b", "c", "d", "e", "f"], n),
        "sex": rng.choice(["F", "M"], n),
    })
    df["y"] = ((df.income / 100 + (df.age - 18) / 62 + 0.3 * df.race.isin(["a", "b"])) > 1.0
               ).astype(int)
    ds = TabularDataset.from_frame(df, target="y", categorical=["race", "sex"], seed=0)
    X = ds.encode(ds.X_train)
    clf = train_classifier("rf", X, ds.y_train, seed=0, n_estimators=30)
    vae = LGMVAE(n_labels=2, clusters_per_class=3, latent_dim=3, hidden_dim=32,
                 loss_weights=(0.1, 0.1, 1.0), categorical_groups=ds.categorical_groups,
                 max_epochs=15, seed=0, verbose=False).fit(X, clf.predict(X))
    Xt = ds.encode(ds.X_test)
    return ds, X, clf, vae, Xt[clf.predict(Xt) == 0][:8]


def test_project_is_encode_of_decode():
    ds, X, clf, vae, Xn = mixed()
    noisy = np.clip(X[:50] + np.random.default_rng(0).normal(0, 0.05, X[:50].shape), 0, 1)
    np.testing.assert_allclose(ds.project(noisy), ds.encode(ds.decode(noisy)), atol=1e-6)
    with_nan = np.vstack([noisy[:2], np.full((1, X.shape[1]), np.nan)])
    assert np.isnan(ds.project(with_nan)[2]).all()            # nothing found stays nothing
    assert ds.integer_features() == ["age"]


METHODS = {
    "NNCE": lambda vae: NNCE(), "FACE": lambda vae: FACE(), "RobX": lambda vae: RobX(seed=0),
    "DRCE": lambda vae: DRCE(total_cfs=3),
    "DiCE": lambda vae: DiCE(total_cfs=2, sample_size=200, time_limit=10, seed=0),
    "LAPACE-First": lambda vae: Lapace(vae, point="first"),
    "LAPACE-Middle": lambda vae: Lapace(vae, point="middle"),
    "LAPACE-Last": lambda vae: Lapace(vae, point="last"),
}


@pytest.mark.parametrize("name", list(METHODS))
def test_every_method_returns_records_that_exist(name):
    ds, X, clf, vae, Xn = mixed()
    cf = METHODS[name](vae).fit(X, clf, dataset=ds).explain(Xn, target=1)
    found = cf.points[cf.found]
    assert len(found)
    np.testing.assert_allclose(ds.encode(ds.decode(found)), found, atol=1e-6)
    # valid is the black box's word on exactly that record
    np.testing.assert_array_equal(cf.valid[cf.found], clf.predict(found) == 1)


def test_immutable_integer_and_category_are_exact_on_the_record():
    ds, X, clf, vae, Xn = mixed()
    explainer = Lapace(vae).fit(model=clf, dataset=ds)
    res = explainer.explain_paths(Xn, target=1, constraints=[Immutable("age"), Immutable("race"),
                                                              Range("income", high=95)])
    inputs = ds.decode(Xn)
    for which in ("first", "middle", "last"):
        frame = res.to_frame(ds, which=which)
        valid = frame[frame["valid"]]
        assert (valid["age"].to_numpy() == inputs["age"].to_numpy()[valid["input"]]).all()
        assert (valid["race"].astype(str).to_numpy()
                == inputs["race"].astype(str).to_numpy()[valid["input"]]).all()
        assert (valid["income"] <= 95 + 1e-6).all()
    # every path point is a record, and the black box was asked about it
    pts = res.paths.reshape(-1, X.shape[1])
    np.testing.assert_allclose(ds.project(pts), pts, atol=1e-6)
    np.testing.assert_array_equal(res.labels.reshape(-1), clf.predict(pts))


def test_robx_reports_a_missing_stable_input_per_input_instead_of_failing_the_batch():
    ds, X, clf, vae, Xn = mixed()
    with pytest.warns(UserWarning, match="RobX found no counterfactual for 8 input"):
        cf = RobX(tau=0.999, sigma=0.5, n_samples=50, seed=0).fit(X, clf, dataset=ds).explain(
            Xn, target=1)
    assert not cf.found.any() and not cf.valid.any()
    assert "stability >= tau=0.999" in cf.info["not_found"][0]

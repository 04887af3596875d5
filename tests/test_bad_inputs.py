"""Every argument checked at the door (issue 24).

A property test over the public signatures: for every callable of :data:`TABLE` (a builder of a
valid call on tiny data) and every argument ``inspect.signature`` lists, a value of the wrong
type, shape, range or kind drawn by Hypothesis must raise ``ValueError``/``TypeError`` from
inside ``lapace`` (the raising frame is in the package, not numpy/torch/pandas/sklearn) whose
message names the argument.  A new argument is covered without a new test.  Then the issue's
examples, one test each.
"""

from __future__ import annotations

import inspect
import math
import traceback
import warnings
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from toys import toy_frame

import lapace
from lapace import LGMVAE, Lapace, LapaceResult, TabularDataset, train_classifier
from lapace.methods import DRCE, FACE, NNCE, DiCE, RobX

PACKAGE = str(Path(lapace.__file__).resolve().parent)

#: values of the wrong type, shape, range or kind, by kind
BAD = {
    "object": st.builds(object),
    "string": st.text("abcxyz", min_size=1, max_size=4).map(lambda s: f"bad-{s}"),
    "nan": st.sampled_from([math.nan, math.inf, -math.inf]),
    "negative": st.integers(-10**6, -1) | st.floats(-1e6, -1e-3),
    "array3d": arrays(np.float64, array_shapes(min_dims=3, max_dims=3, min_side=2, max_side=3)),
    "strings": st.lists(st.text("abc", min_size=1, max_size=3).map(lambda s: f"bad-{s}"),
                        min_size=1, max_size=3),
}


@cache
def tiny():
    """(ds, X, clf, vae, lapace result) on 80 rows: every call below takes milliseconds."""
    ds = TabularDataset.from_frame(toy_frame(80), target="approved", categorical=["housing"])
    X = ds.encode(ds.X_train)
    clf = train_classifier("rf", X, ds.y_train, n_estimators=5)
    vae = LGMVAE(clusters_per_class=2, latent_dim=2, hidden_dim=8, max_epochs=2, verbose=False,
                 categorical_groups=ds.categorical_groups).fit(X, clf.predict(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lap = Lapace(vae, steps=3, repair_centroids=False).fit(model=clf, dataset=ds)
        res = lap.explain_paths(negatives()[:2], target=1)
    return ds, X, clf, vae, lap, res


def negatives():
    ds, X, clf = tiny_data()
    return X[clf.predict(X) == 0][:3]


@cache
def tiny_data():
    ds = TabularDataset.from_frame(toy_frame(80), target="approved", categorical=["housing"])
    X = ds.encode(ds.X_train)
    return ds, X, train_classifier("rf", X, ds.y_train, n_estimators=5)


@cache
def fitted(cls, **kw):
    ds, X, clf = tiny_data()
    return cls(**kw).fit(X, clf, dataset=ds)


@dataclass
class Entry:
    """One public callable: ``signature`` lists its arguments, ``call(**kw)`` runs it with
    the ``valid`` arguments updated by ``kw``; ``accepts`` (argument -> kinds) lists kinds
    of :data:`BAD` an argument takes as valid."""

    name: str
    signature: object
    call: object
    valid: dict = field(default_factory=dict)
    accepts: dict = field(default_factory=dict)

    def arguments(self) -> list[str]:
        params = inspect.signature(self.signature).parameters.values()
        return [p.name for p in params if p.name not in ("self", "cls")
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    def run(self, **kw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self.call(**{**self.valid, **kw})


def _method(cls, **valid):
    ds, X, clf = tiny_data()
    return Entry(cls.__name__, cls, lambda **kw: cls(**kw).fit(X, clf, dataset=ds), valid)


def _table() -> list[Entry]:
    ds, X, clf = tiny_data()
    _, _, _, vae, lap, res = tiny()
    Xn, y = negatives(), clf.predict(X)
    return [
        _method(NNCE), _method(FACE), _method(RobX, n_samples=10), _method(DRCE),
        _method(DiCE, sample_size=20, time_limit=5.0),
        Entry("Lapace", Lapace, lambda **kw: Lapace(**kw).fit(model=clf, dataset=ds),
              {"vae": vae, "steps": 3}),
        Entry("LGMVAE", LGMVAE, lambda **kw: LGMVAE(**kw).fit(X, y),
              {"hidden_dim": 8, "max_epochs": 1, "verbose": False,
               "categorical_groups": ds.categorical_groups}),
        Entry("NNCE.fit", NNCE.fit, lambda **kw: NNCE().fit(**kw),
              {"X_train": X, "model": clf, "dataset": ds}),
        Entry("Lapace.fit", Lapace.fit, lambda **kw: Lapace(vae, steps=3).fit(**kw),
              {"model": clf, "dataset": ds}),
        Entry("NNCE.explain", NNCE.explain, lambda **kw: fitted(NNCE).explain(**kw), {"X": Xn}),
        Entry("FACE.explain", FACE.explain, lambda **kw: fitted(FACE).explain(**kw), {"X": Xn}),
        Entry("DRCE.explain", DRCE.explain, lambda **kw: fitted(DRCE).explain(**kw), {"X": Xn}),
        Entry("RobX.stability", RobX.stability,
              lambda **kw: fitted(RobX, n_samples=10).stability(**kw), {"X": Xn}),
        Entry("Lapace.explain", Lapace.explain, lambda **kw: lap.explain(**kw), {"X": Xn}),
        Entry("Lapace.explain_paths", Lapace.explain_paths, lambda **kw: lap.explain_paths(**kw),
              {"X": Xn}),
        Entry("LGMVAE.fit", LGMVAE.fit, lambda **kw: LGMVAE(
            hidden_dim=8, max_epochs=1, verbose=False).fit(**kw), {"X": X, "y": y}),
        Entry("LGMVAE.encode", LGMVAE.encode, lambda **kw: vae.encode(**kw), {"X": X, "y": y}),
        Entry("LGMVAE.predict_cluster_proba", LGMVAE.predict_cluster_proba,
              lambda **kw: vae.predict_cluster_proba(**kw), {"X": X, "y": y}),
        Entry("LGMVAE.decode", LGMVAE.decode, lambda **kw: vae.decode(**kw),
              {"Z": np.zeros((2, 2), np.float32)}),
        Entry("LGMVAE.sample", LGMVAE.sample, lambda **kw: vae.sample(**kw), {"n": 2, "label": 1}),
        Entry("TabularDataset.from_frame", TabularDataset.from_frame,
              lambda **kw: TabularDataset.from_frame(**kw),
              {"df": toy_frame(40), "target": "approved"}, {"name": {"string"}}),
        Entry("TabularDataset.encode", TabularDataset.encode, lambda **kw: ds.encode(**kw),
              {"df": ds.X_train}),
        Entry("TabularDataset.decode", TabularDataset.decode, lambda **kw: ds.decode(**kw),
              {"X": X}),
        Entry("TabularDataset.project", TabularDataset.project, lambda **kw: ds.project(**kw),
              {"X": X}),
        Entry("train_classifier", train_classifier, lambda **kw: train_classifier(
            n_estimators=3, **kw), {"kind": "rf", "X": X, "y": ds.y_train}),
        Entry("LapaceResult.to_frame", LapaceResult.to_frame, lambda **kw: res.to_frame(**kw),
              {"dataset": ds}),
        *_metric_entries(X, Xn, clf),
        *_group_entries(vae, X, clf, ds),
        *_constraint_entries(),
        Entry("load_dataset", lapace.load_dataset, lambda **kw: lapace.load_dataset(**kw),
              {"name": "wine", "max_rows": 60}),
    ]


def _metric_entries(X, Xn, clf) -> list[Entry]:
    """The §4.1 metrics (lapace.metrics) on two inputs with two counterfactuals each."""
    from lapace import metrics as M
    pts = np.stack([X[:2], X[2:4]]).astype(np.float64)               # (2 inputs, 2, d)
    ok = np.array([[True, False], [True, True]])
    lof = M.lof_model(X[20:], n_neighbors=5)
    return [
        Entry("validity", M.validity, lambda **kw: M.validity(**kw), {"valid": ok}),
        Entry("valid_share", M.valid_share, lambda **kw: M.valid_share(**kw), {"valid": ok}),
        Entry("proximity", M.proximity, lambda **kw: M.proximity(**kw),
              {"X": X[:2], "points": pts, "valid": ok}),
        Entry("diversity", M.diversity, lambda **kw: M.diversity(**kw),
              {"points": pts, "valid": ok}, {"points": {"array3d"}}),  # any (n, m, d) is points
        Entry("plausibility", M.plausibility, lambda **kw: M.plausibility(**kw),
              {"points": pts, "valid": ok, "lof": lof}),
        Entry("lof_model", M.lof_model, lambda **kw: M.lof_model(**kw),
              {"X_reference": X[20:], "n_neighbors": 5}),
        Entry("model_robustness", M.model_robustness, lambda **kw: M.model_robustness(**kw),
              {"points": pts, "valid": ok, "predicts": [clf.predict], "target": 1}),
        Entry("max_set_distance", M.max_set_distance, lambda **kw: M.max_set_distance(**kw),
              {"A": X[:2], "B": X[2:4]}),
        Entry("input_robustness", M.input_robustness, lambda **kw: M.input_robustness(**kw),
              {"points": pts, "valid": ok, "points_perturbed": pts[:, None],
               "valid_perturbed": ok[:, None]}),
    ]


def _group_entries(vae, X, clf, ds) -> list[Entry]:
    """Recourse for groups (lapace.groups.regions): the hyper-parameters, checked at fit."""
    from lapace.groups.baselines import GlobeCE, TCREx
    from lapace.groups.regions import ClusterRegions

    Xa = X[clf.predict(X) == 0]

    def fit(cls):
        return lambda **kw: cls(**kw).fit(Xa, clf, dataset=ds, X_train=X)

    return [Entry("ClusterRegions", ClusterRegions, fit(ClusterRegions), {"vae": vae, "n_scales": 4},
                  {"constraints": {"strings"}}),
            Entry("GlobeCE", GlobeCE, fit(GlobeCE), {"n_directions": 3, "n_scales": 4}),
            Entry("TCREx", TCREx, fit(TCREx), {})]


def _constraint_entries() -> list[Entry]:
    """The constraints of §3.3, checked against the data when compiled for a dataset."""
    from lapace import Immutable, Monotone, Range, Relation
    from lapace.explain.constraints import compile_constraints

    ds = tiny_data()[0]

    def compiled(cls):
        return lambda **kw: compile_constraints([cls(**kw)], ds)

    return [
        Entry("Range", Range, compiled(Range), {"feature": "income", "low": 20.0},
              {"low": {"negative"}}),        # a bound below the data holds everywhere: valid
        Entry("Relation", Relation, compiled(Relation),
              {"a": "income", "op": ">=", "b": "debt"}),
        Entry("Immutable", Immutable, compiled(Immutable), {"feature": "housing"}),
        Entry("Monotone", Monotone, compiled(Monotone),
              {"feature": "income", "direction": "increase"}),
    ]


TABLE = _table()
CASES = [(e, arg) for e in TABLE for arg in e.arguments()]


def test_every_valid_call_runs():
    for entry in TABLE:
        entry.run()


def _raised_in_lapace(err: BaseException) -> bool:
    frames = traceback.extract_tb(err.__traceback__)
    return bool(frames) and str(Path(frames[-1].filename).resolve()).startswith(PACKAGE)


@pytest.mark.parametrize("kind", list(BAD))
@pytest.mark.parametrize("entry, arg", CASES, ids=[f"{e.name}-{a}" for e, a in CASES])
def test_a_wrong_argument_is_refused_by_name(entry, arg, kind):
    if kind in entry.accepts.get(arg, ()):
        pytest.skip(f"{arg} takes a {kind}")

    @settings(max_examples=2, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(value=BAD[kind])
    def check(value):
        with pytest.raises((ValueError, TypeError)) as info:
            entry.run(**{arg: value})
        err = info.value
        assert _raised_in_lapace(err), (
            f"{entry.name}({arg}={value!r}) raised from outside lapace: "
            f"{traceback.format_exception(err)[-2:]}")
        assert arg.lower() in str(err).lower(), f"{entry.name}({arg}={value!r}): {err}"

    check()


def test_the_property_test_covers_every_public_argument():
    # the table's size, so that a callable dropped from it shows here
    assert len(TABLE) >= 25 and len(CASES) >= 110


# ------------------------------------------------------------------ the examples
def test_a_string_sigma_names_sigma():
    ds, X, clf = tiny_data()
    with pytest.raises(ValueError, match=r"RobX: sigma must be a positive number, got '0.1' \(str\)"):
        RobX(sigma="0.1").fit(X, clf, dataset=ds)


def test_frame_columns_are_matched_by_name_not_position():
    ds, X, clf, vae, lap, _ = tiny()
    Xn = negatives()
    frame = pd.DataFrame(Xn, columns=ds.encoded_columns)
    shuffled = frame[frame.columns[::-1]]
    expected = lap.explain(Xn, target=1).points
    np.testing.assert_array_equal(lap.explain(shuffled, target=1).points, expected)
    nnce = fitted(NNCE)
    np.testing.assert_array_equal(nnce.explain(shuffled).points, nnce.explain(Xn).points)
    with pytest.raises(ValueError, match="columns do not match.*missing"):
        nnce.explain(shuffled.rename(columns={"income": "revenue"}))
    model = LGMVAE(hidden_dim=8, max_epochs=1, verbose=False).fit(frame, clf.predict(Xn))
    assert model.feature_names_in_ == ds.encoded_columns
    np.testing.assert_array_equal(model.encode(shuffled, clf.predict(Xn)),
                                  model.encode(Xn, clf.predict(Xn)))


def test_one_hot_groups_of_inputs_are_checked():
    ds, X, clf = tiny_data()
    bad = negatives().copy()
    bad[0, ds.categorical_groups[0]] = 0.5
    with pytest.raises(ValueError, match="not valid encoded data: the one-hot block"):
        fitted(NNCE).explain(bad)


def test_to_frame_refuses_another_encoder_of_the_same_width():
    ds, X, clf, vae, lap, res = tiny()
    other = ds.X_train.assign(income=ds.X_train.income * 2, approved=ds.y_train)
    ds2 = TabularDataset.from_frame(other, target="approved", categorical=["housing"])
    assert ds2.n_features_encoded == ds.n_features_encoded
    assert res.dataset_fingerprint == ds.fingerprint() != ds2.fingerprint()
    with pytest.raises(ValueError, match="not the dataset the paths were explained with"):
        res.to_frame(ds2)
    res.to_frame(ds)


def test_a_saved_model_knows_its_encoder(tmp_path):
    ds, X, clf, vae, lap, res = tiny()
    vae.save(tmp_path / "m.pt", dataset=ds)
    loaded, ds_loaded = LGMVAE.load_with_dataset(tmp_path / "m.pt")
    assert ds_loaded.fingerprint() == ds.fingerprint() == loaded.dataset_fingerprint_
    other = ds.X_train.assign(income=ds.X_train.income + 5, approved=ds.y_train)
    ds2 = TabularDataset.from_frame(other, target="approved", categorical=["housing"])
    with pytest.raises(ValueError, match="not the dataset the L-GMVAE was saved with.*bounds"):
        Lapace(loaded).fit(model=clf, dataset=ds2)
    wide = pd.DataFrame({f"x{j}": np.linspace(0, 1, 40) * (j + 1) for j in range(5)})
    flat = TabularDataset.from_frame(wide.assign(t=[0, 1] * 20), target="t")   # same width
    with pytest.raises(ValueError, match="columns or one-hot groups differ"):
        vae.save(tmp_path / "n.pt", dataset=flat)


def test_columns_that_cannot_be_features():
    df = toy_frame(40)
    with pytest.raises(ValueError, match="Column 'when' holds dates"):
        TabularDataset.from_frame(df.assign(when=pd.date_range("2020", periods=40)), "approved")
    with pytest.raises(ValueError, match="Column 'id' holds a different value in every row"):
        TabularDataset.from_frame(df.assign(id=[f"p{i}" for i in range(40)]), "approved")
    with pytest.warns(UserWarning, match=r"Dropped constant column\(s\) \['one'\]"):
        ds = TabularDataset.from_frame(df.assign(one=1.0), "approved")
    assert "one" not in ds.features
    kept = TabularDataset.from_frame(df.assign(one=1.0), "approved", categorical=["housing"],
                                     continuous=["income", "debt", "one"])   # named: kept
    assert "one" in kept.features


def test_train_classifier_on_a_raw_frame_says_encode():
    ds, X, clf = tiny_data()
    with pytest.raises(ValueError, match=r"raw frame.*\['housing'\].*ds.encode"):
        train_classifier("rf", ds.X_train, ds.y_train)


def test_a_numpy_constraint_says_torch():
    ds, X, clf, vae, lap, res = tiny()

    def numpy_g(x):
        return torch.as_tensor(np.maximum(x.detach().numpy()[:, 0] + 1.0, 0.0))

    def numpy_h(x):
        return np.asarray(x)[:, 0] + 1.0

    for g in (numpy_g, numpy_h):
        with pytest.raises(ValueError, match="must be written with torch operations"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                lap.explain_paths(negatives()[:1], target=1, constraints=[g])


# ------------------------------------------------------------------------------------ issue 32
def _edit_file(path, edit):
    state = torch.load(path, weights_only=True)
    edit(state)
    torch.save(state, path)


@pytest.mark.parametrize("part, edit", [
    ("categories", lambda s: s["dataset"]["categories"]["housing"].reverse()),
    ("a bound", lambda s: s["dataset"]["bounds"]["income"].__setitem__(1, 1000.0)),
    ("a dtype", lambda s: s["dataset"]["dtypes"]["income"].__setitem__(0, "int8")),
    ("the parameters", lambda s: s["params"].__setitem__("seed", 7)),
    ("the history", lambda s: s["history"][0].__setitem__("loss", 0.0)),
    ("the fingerprint", lambda s: s.__setitem__("dataset_fingerprint", "0" * 16)),
])
def test_a_model_file_edited_anywhere_is_refused(tmp_path, part, edit):
    ds, X, clf, vae, lap, res = tiny()
    path = vae.save(tmp_path / "m.pt", dataset=ds)
    _edit_file(path, edit)
    with pytest.raises(ValueError, match="do not match their SHA-256 checksum"):
        LGMVAE.load_with_dataset(path)
    with pytest.raises(ValueError, match="do not match their SHA-256 checksum"):
        LGMVAE.load(path)


def test_a_model_file_without_a_checksum_is_refused_until_re_saved(tmp_path):
    ds, X, clf, vae, lap, res = tiny()
    path = vae.save(tmp_path / "m.pt", dataset=ds)
    _edit_file(path, lambda s: s.pop("sha256"))
    for load in (LGMVAE.load, LGMVAE.load_with_dataset):
        with pytest.raises(ValueError, match=r"no SHA-256 checksum.*If you trust this file.*"
                                             r"verify=False.*save"):
            load(path)
    old, old_ds = LGMVAE.load_with_dataset(path, verify=False)       # a file you trust
    old.save(path, dataset=old_ds)
    again, ds_again = LGMVAE.load_with_dataset(path)
    assert ds_again.fingerprint() == ds.fingerprint()
    # a file of the previous format (checksum of the tensors only) says the same
    _edit_file(path, lambda s: s.update(format_version=2))
    with pytest.raises(ValueError, match=r"format version 2, whose checksum covers the weights "
                                         r"but not.*verify=False"):
        LGMVAE.load(path)
    assert LGMVAE.load(path, verify=False).n_features_in_ == vae.n_features_in_


def test_a_refused_refit_leaves_the_model_as_it_was(tmp_path):
    ds, X, clf = tiny_data()
    vae = LGMVAE(hidden_dim=8, max_epochs=1, verbose=False,
                 categorical_groups=ds.categorical_groups).fit(X, clf.predict(X))
    before = {k: v for k, v in vars(vae).items() if k.endswith("_")}
    bad_y = np.full(len(X), 5)
    with pytest.raises(ValueError, match="y holds label 5"):
        vae.fit(X, bad_y)
    with pytest.raises(ValueError, match="columns"):
        vae.fit(X[:, :3], clf.predict(X))
    assert set(before) == {k for k in vars(vae) if k.endswith("_")}
    assert vae.n_features_in_ == X.shape[1]
    vae.save(tmp_path / "m.pt")                                      # still a working model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Lapace(vae, steps=3, repair_centroids=False).fit(model=clf, dataset=ds)


def test_the_lgmvae_clones_as_scikit_learn_does():
    from sklearn.base import clone

    vae = LGMVAE(categorical_groups=[slice(2, 5)], loss_weights=(1.0, 0.5, 2.0), hidden_dim=8)
    copy = clone(vae)                        # needs get_params(deep=...) returning what __init__ got
    assert type(copy) is LGMVAE and copy is not vae and vae.get_params(deep=True).keys() == \
        copy.get_params(deep=False).keys()
    assert copy.categorical_groups == [slice(2, 5)] and copy.loss_weights == (1.0, 0.5, 2.0)
    assert vae.effective_params()["categorical_groups"] == [[2, 5]]      # what a file stores
    assert LGMVAE().set_params(latent_dim=3).latent_dim == 3
    with pytest.raises(ValueError, match="no parameter"):
        LGMVAE().set_params(latent=3)


def _nullable_frame(n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return toy_frame(n).assign(
        age=pd.array(rng.integers(18, 70, n), dtype="Int64"),
        member=pd.array(rng.integers(0, 2, n).astype(bool), dtype="boolean"),
        housing=lambda d: d["housing"].astype("string"))


def test_pandas_nullable_dtypes_work_from_encode_to_the_explorer(tmp_path):
    from lapace.explorer import explore
    from lapace.groups.regions import ClusterRegions, describe_action

    ds = TabularDataset.from_frame(_nullable_frame(), target="approved")
    assert ds.categorical == ["housing", "member"] and "age" in ds.continuous
    X = ds.encode(ds.X_train)
    back = ds.decode(X)
    assert str(back["age"].dtype) == "Int64" and str(back["member"].dtype) == "boolean"
    pd.testing.assert_frame_equal(back, ds.X_train.reset_index(drop=True), check_exact=False,
                                  atol=1e-4)
    clf = train_classifier("rf", X, ds.y_train, n_estimators=5)
    vae = LGMVAE(clusters_per_class=2, latent_dim=2, hidden_dim=8, max_epochs=2, verbose=False,
                 categorical_groups=ds.categorical_groups).fit(X, clf.predict(X))
    X0 = X[clf.predict(X) == 0][:2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lap = Lapace(vae, steps=3, repair_centroids=False).fit(model=clf, dataset=ds)
        table = lap.explain_paths(X0, target=1).to_frame(ds, which="first")
        assert str(table["age"].dtype) == "Int64"
        explore(lap, X0, target=1)
        groups = ClusterRegions(vae, n_scales=4).fit(X[clf.predict(X) == 0], clf, ds)
        describe_action(groups, 0, ds, scale=1.0)
    _, ds_loaded = LGMVAE.load_with_dataset(vae.save(tmp_path / "m.pt", dataset=ds))
    pd.testing.assert_frame_equal(ds_loaded.decode(X[:5]), back[:5])


def test_encoded_column_names_that_clash_are_refused():
    n = 40
    df = pd.DataFrame({"a": ["b=c", "x"] * (n // 2), "a=b": ["c", "y", "y", "c"] * (n // 4),
                       "t": [0, 1, 1, 0] * (n // 4)})
    with pytest.raises(ValueError, match=r"Encoded column name 'a=b=c' would stand for a column "
                                         r"of each of the features \['a', 'a=b'\].*Rename a "
                                         r"column.*df.rename\(columns=\{'a=b': 'a_b'\}\)"):
        TabularDataset.from_frame(df, "t")


@pytest.mark.parametrize("dtype, encoded, expected", [
    (np.uint8, -0.15, 0), (np.uint8, 50.0, 255), (np.int8, 2.0, 127), (np.int8, -40.0, -128),
    (np.int64, 1e30, np.nextafter(2.0**63, 0)), (np.int16, 0.5, None)])
def test_small_integer_dtypes_never_wrap_when_decoded(dtype, encoded, expected):
    df = pd.DataFrame({"v": np.linspace(0, 100, 40).astype(dtype), "t": [0, 1] * 20})
    ds = TabularDataset.from_frame(df, "t")
    value = ds.decode(np.array([[encoded]]))["v"]
    assert value.dtype == dtype
    if expected is None:                                  # inside the range: just rounded
        expected = round(ds.to_original_units("v", encoded))
    assert value.iloc[0] == expected


def test_integers_beyond_2_to_the_53_are_refused():
    df = pd.DataFrame({"big": 2**53 + np.arange(40, dtype=np.int64) * 3, "t": [0, 1] * 20})
    with pytest.raises(ValueError, match=r"Continuous column 'big' holds the integer "
                                         r"9007199254741109, beyond 2\*\*53.*Rescale it"):
        TabularDataset.from_frame(df, "t")
    two = df.assign(big=(2**53 + 1) * (np.arange(40) % 2))
    ds = TabularDataset.from_frame(two, "t", categorical=["big"])   # as categories: exact
    assert ds.categories_["big"] == [0, 2**53 + 1]


# ------------------------------------------------------------------ issue 32 (user trial)
def _affected():
    ds, X, clf = tiny_data()
    return X[clf.predict(X) == 0]


def _reversed(X):
    ds = tiny_data()[0]
    frame = pd.DataFrame(X, columns=ds.encoded_columns)
    return frame[frame.columns[::-1]]


def test_group_recourse_reads_frames_by_column_name():
    from lapace.groups.baselines import GlobeCE, TCREx
    from lapace.groups.regions import ClusterRegions

    ds, X, clf, vae, lap, _ = tiny()
    Xa = _affected()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for make in (lambda: ClusterRegions(vae, n_scales=4),
                     lambda: GlobeCE(n_directions=3, n_scales=4), lambda: TCREx()):
            by_array = make().fit(Xa, clf, ds, X_train=X)
            by_name = make().fit(_reversed(Xa), clf, ds, X_train=_reversed(X))
            for a, b in zip(by_array.actions_, by_name.actions_, strict=True):
                np.testing.assert_array_equal(a.delta, b.delta)
            expected = by_array.recourse(Xa)
            got = by_array.recourse(_reversed(Xa))
            np.testing.assert_array_equal(got.points, expected.points)
            np.testing.assert_array_equal(got.flipped, expected.flipped)
            with pytest.raises(ValueError, match="columns do not match.*missing"):
                by_array.recourse(_reversed(Xa).rename(columns={"income": "revenue"}))


def test_the_explorer_reads_frames_by_column_name():
    from lapace.explorer import explore

    ds, X, clf, vae, lap, _ = tiny()
    Xn = negatives()[:2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = explore(lap, Xn).table
        pd.testing.assert_frame_equal(explore(lap, _reversed(Xn)).table, expected)


def test_inputs_already_of_the_target_are_not_covered_by_the_baselines():
    from lapace.groups.baselines import GlobeCE, TCREx
    from lapace.groups.metrics import coverage

    ds, X, clf = tiny_data()
    done = X[clf.predict(X) == 1]
    for method in (GlobeCE(n_directions=3, n_scales=4), TCREx()):
        rec = method.fit(_affected(), clf, ds, X_train=X).recourse(done)
        assert (rec.action == -1).all() and not rec.flipped.any(), type(method).__name__
        assert np.isnan(rec.points).all() and coverage(rec.flipped) == 0.0


def test_dice_from_two_threads_gives_the_serial_results_and_restores_the_process():
    import sys
    import threading

    ds, X, clf = tiny_data()
    dice = fitted(DiCE, total_cfs=2, sample_size=30, time_limit=30.0)
    Xn = negatives()[:3]
    serial = dice.explain(Xn).points
    stdout, stderr, filters = sys.stdout, sys.stderr, list(warnings.filters)
    np.random.seed(7)
    state = np.random.get_state()[1].copy()
    got = {}

    def work(k):
        got[k] = dice.explain(Xn).points

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "DiCE from two threads did not finish"
    for k in range(2):
        np.testing.assert_array_equal(got[k], serial)
    assert sys.stdout is stdout and sys.stderr is stderr
    assert warnings.filters == filters
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_dice_silences_only_its_own_thread():
    import io
    import sys
    import threading
    from contextlib import redirect_stdout

    from lapace.methods import dice as dice_module

    out = io.StringIO()
    ready, done = threading.Event(), threading.Event()

    def other():
        ready.wait(10)
        print("from another thread")
        done.set()

    with redirect_stdout(out):
        t = threading.Thread(target=other)
        t.start()
        with dice_module._quiet():
            print("dice's chatter")
            ready.set()
            done.wait(10)
        t.join()
        assert sys.stdout is out
    assert out.getvalue() == "from another thread\n"


def _clashing_dataset():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"label": rng.uniform(0, 1, 80), "valid": rng.uniform(0, 1, 80),
                       "lof": rng.uniform(0, 1, 80), "step": rng.choice(["a", "b"], 80)})
    df["y"] = (df.label + df.valid > 1).astype(int)
    ds = TabularDataset.from_frame(df, target="y")
    X = ds.encode(ds.X_train)
    clf = train_classifier("rf", X, ds.y_train, n_estimators=5)
    return ds, X, clf


def test_features_named_like_result_columns_are_not_duplicated():
    from lapace.explorer import PATH_COLUMNS, explore

    ds, X, clf = _clashing_dataset()
    vae = LGMVAE(clusters_per_class=2, latent_dim=2, hidden_dim=8, max_epochs=2, verbose=False,
                 categorical_groups=ds.categorical_groups).fit(X, clf.predict(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lap = Lapace(vae, steps=3, repair_centroids=False).fit(model=clf, dataset=ds)
        Xn = X[clf.predict(X) == 0][:2]
        frame = lap.explain_paths(Xn, target=1).to_frame(ds)
        assert frame.columns.is_unique
        assert {"label (feature)", "valid (feature)", "step (feature)"} <= set(frame.columns)
        assert frame["label"].dropna().isin([0, 1]).all()             # the black box's label
        ex = explore(lap, Xn)
    assert ex.table.columns.is_unique and ex.inputs.columns.is_unique
    assert "lof (feature)" in ex.features and list(ex.table.columns[:len(PATH_COLUMNS)]) == \
        PATH_COLUMNS
    np.testing.assert_allclose(ex.inputs["lof (feature)"], ds.decode(Xn)["lof"])


def _groups_fitted():
    from lapace.groups.baselines import GlobeCE

    ds, X, clf = tiny_data()
    return GlobeCE(n_directions=3, n_scales=4).fit(_affected(), clf, ds, X_train=X)


def test_describe_action_checks_its_dataset_action_and_scale():
    from lapace.groups.regions import describe_action

    ds, X, clf = tiny_data()
    g = _groups_fitted()
    describe_action(g, 0, ds)
    other = ds.X_train.assign(income=ds.X_train.income * 2, approved=ds.y_train)
    ds2 = TabularDataset.from_frame(other, target="approved", categorical=["housing"])
    assert ds2.n_features_encoded == ds.n_features_encoded
    with pytest.raises(ValueError, match="not the dataset the GlobeCE was fitted with"):
        describe_action(g, 0, ds2)
    with pytest.raises(ValueError, match="action -1 means 'no action'"):
        describe_action(g, -1, ds)
    with pytest.raises(ValueError, match=r"action must be an integer >= 0 and <= 0, got 1"):
        describe_action(g, 1, ds)
    with pytest.raises(ValueError, match="dataset is None: reading an action in original units"):
        describe_action(g, 0, None)
    with pytest.raises(ValueError, match=r"scale must be a positive number or None, got 'x'"):
        describe_action(g, 0, ds, scale="x")


def test_group_measures_check_their_dataset_and_records():
    from lapace.groups.metrics import (
        coverage_at_cost,
        features_changed,
        original_changes,
        perturb,
    )

    ds, X, clf = tiny_data()
    A = X[:3]
    B = A.copy()
    B[0, 0] += 0.1
    B[2] = np.nan
    flipped = np.array([True, True, True])
    with pytest.raises(ValueError, match=r"X_cf holds NaN .* records marked flipped \(rows \[2\]\)"):
        coverage_at_cost(A, B, flipped, 1.0)
    assert coverage_at_cost(A, B, np.array([True, True, False]), 1.0) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="original_changes needs the dataset"):
        original_changes(A, B, flipped, None)
    wide = pd.DataFrame({f"x{j}": np.linspace(0, 1, 40) * (j + 1) for j in range(5)})
    flat = TabularDataset.from_frame(wide.assign(t=[0, 1] * 20), target="t")   # the same width
    Xf = flat.encode(flat.X_train)[:3]
    assert Xf.shape[1] == X.shape[1]
    with pytest.raises(ValueError, match="not valid encoded data: the one-hot block"):
        features_changed(Xf, Xf, np.ones(3, bool), ds)
    with pytest.raises(ValueError, match="columns do not match"):
        original_changes(pd.DataFrame(A, columns=ds.encoded_columns), A, np.ones(3, bool), flat)
    with pytest.raises(ValueError, match=r"n must be an integer >= 1, got 2.5"):
        perturb(A, ds, n=2.5)
    with pytest.raises(ValueError, match="perturb needs the dataset"):
        perturb(A, None)


def test_counterfactuals_refuse_a_probability_as_valid():
    from lapace.counterfactuals import Counterfactuals

    points = np.zeros((2, 1, 3))
    for bad in (0.2, np.array([[0.9], [0.2]]), "yes"):
        with pytest.raises(ValueError, match="valid must be a boolean array"):
            Counterfactuals(points, bad)
    assert Counterfactuals(points, np.array([[1], [0]])).valid.tolist() == [[True], [False]]


def test_an_empty_out_folder_is_refused(capsys):
    from lapace_book.benchmark import grid

    with pytest.raises(SystemExit):
        grid.main(["--out", ""])
    assert "--out is empty" in capsys.readouterr().err


def _mixed():
    """A continuous x and a category c: the black box says the target for c=b, and (barely,
    unstably) for the one record x=0.2, c=a; every other record is not the target."""
    df = pd.DataFrame({"x": np.linspace(0, 1, 40), "c": ["a", "b"] * 20, "y": [0, 1] * 20})
    ds = TabularDataset.from_frame(df, target="y", categorical=["c"], test_size=0.25)

    class Box:
        classes_ = np.array([0, 1])

        def predict_proba(self, X):
            X = np.asarray(X, np.float64)
            x, b = X[:, 0], X[:, 2]                 # encoded: x scaled to [0, 1], c=b
            p = np.where(b > 0.01, 1.0, np.where(np.abs(x - 0.2) < 1e-3, 0.55, 0.3))
            return np.stack([1 - p, p], 1)

        def predict(self, X):
            return self.predict_proba(X).argmax(1)

    lo, hi = ds.bounds_["x"]
    train = pd.DataFrame({"x": lo + (hi - lo) * np.array([0.2, 0.3, 0.5, 0.8, 1.0, 0.6]),
                          "c": ["a", "b", "a", "a", "a", "b"]})
    inputs = pd.DataFrame({"x": [lo + (hi - lo) * 0.25], "c": ["a"]})
    return ds, ds.encode(train), Box(), ds.encode(inputs)


def test_robx_judges_the_projected_record_of_its_line_search():
    ds, X_train, box, X = _mixed()
    robx = RobX(n_samples=20, sigma=1e-4, tau=0.6, step=0.05).fit(X_train, box, dataset=ds)
    cf = robx.explain(X, target=1)
    assert cf.valid.all(), cf.info.get("not_found")
    assert box.predict(cf.points[:, 0]).tolist() == [1]
    np.testing.assert_array_equal(cf.points[:, 0], ds.project(cf.points[:, 0]))


def test_every_method_says_per_input_why_it_has_no_counterfactual():
    ds, X, clf = tiny_data()
    Xn = negatives()

    class Never:                                     # never the target: nothing can be valid
        classes_ = np.array([0, 1])

        def __init__(self, inner):
            self.inner = inner

        def predict(self, X):
            return np.where(np.arange(len(X)) < 0, 1, self.inner.predict(X))

        def predict_proba(self, X):
            return self.inner.predict_proba(X)

    for method in (NNCE(), FACE(), RobX(n_samples=10), DRCE(), DiCE(sample_size=20,
                                                                      time_limit=5.0)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cf = method.fit(X, clf, dataset=ds).explain(Xn)
        reasons = cf.info["not_found"]
        assert reasons.shape == (len(Xn),), type(method).__name__
        assert [bool(r) for r in reasons] == (~cf.valid.any(1)).tolist(), type(method).__name__
    # FACE with a graph that reaches no target input says so
    face = FACE(mode="epsilon", epsilon=1e-6, weight="hops").fit(X, clf, dataset=ds)
    cf = face.explain(Xn)
    assert not cf.valid.any() and all("no path in FACE's graph" in r for r in cf.info["not_found"])


def test_cryptic_messages_are_clear():
    from lapace.explorer import explore

    ds, X, clf = tiny_data()
    with pytest.raises(ValueError, match="must be a fitted lapace.Lapace .* got NNCE"):
        explore(fitted(NNCE), negatives())
    bad = negatives().copy()
    block = ds.categorical_groups[0]
    bad[0, block] = 0.0
    bad[0, block.start] = 0.9999
    with pytest.raises(ValueError, match=r"holds \[0\.9999, 0\.0, 0\.0\]"):
        fitted(NNCE).explain(bad)
    df = toy_frame(40)
    with pytest.raises(ValueError, match=r"lists class\(es\) \[2\] that no row has"):
        TabularDataset.from_frame(df.assign(approved=pd.Categorical(df.approved, [0, 1, 2])),
                                  "approved")
    with pytest.raises(ValueError, match="holds numbers stored as dtype object.*pd.to_numeric"):
        TabularDataset.from_frame(df.assign(income=df.income.astype(object)), "approved")
    multi = df.copy()
    multi.columns = pd.MultiIndex.from_tuples([("f", c) for c in df.columns])
    with pytest.raises(ValueError, match="MultiIndex .* Flatten them first"):
        TabularDataset.from_frame(multi, ("f", "approved"))

"""Constraints never fail silently: counted counterfactuals satisfy them, bad ones are reported."""

import warnings

import numpy as np
import pytest
import torch
from toys import toy

from lapace import Immutable, Lapace, Monotone, Range, Relation
from lapace.explain.constraints import compile_constraints, enforce, records_satisfy


def _negatives(n):
    ds, X, clf, vae = toy()
    return X[clf.predict(X) == 0][:n]


def _explain(constraints, n=12, **kw):
    ds, X, clf, vae = toy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # centroid repair and constraint warnings
        explainer = Lapace(vae, **kw).fit(model=clf.predict, dataset=ds)
        return explainer.explain_paths(_negatives(n), target=1, constraints=constraints)


def _first_counted(ok):
    return np.where(ok.any(-1), ok.argmax(-1), -1)


def test_first_is_the_first_point_both_valid_and_satisfied():
    ds, X, clf, vae = toy()
    cap = ds.bounds_["debt"][0] + 0.3 * np.ptp(ds.bounds_["debt"])
    res = _explain([Range("debt", high=cap)], max_corrections=0)      # no correction: raw paths
    debt = ds.decode(res.paths.reshape(-1, X.shape[1]))["debt"].to_numpy().reshape(res.labels.shape)
    ok = (res.labels == 1) & (debt <= cap + 1e-6 * np.ptp(ds.bounds_["debt"]))
    assert np.array_equal(res.satisfied, debt <= cap + 1e-6 * np.ptp(ds.bounds_["debt"]))
    assert ((res.labels == 1) & ~res.satisfied).any()     # some predicted points break it
    assert np.array_equal(res.first_index, _first_counted(ok))
    assert np.array_equal(res.valid, ok) and np.array_equal(res.predicted, res.labels == 1)
    first, middle, last = res.first(), res.middle(), res.last()
    assert np.array_equal(first.valid, ok.any(-1))
    assert np.array_equal(last.valid, ok[:, :, -1])
    assert not (middle.valid & ~res.middle_satisfied).any()


def test_last_says_when_the_centroid_breaks_a_constraint():
    ds, X, clf, vae = toy()
    lo, hi = ds.bounds_["income"]          # (an Immutable category can no longer break: exact)
    res = _explain([Range("income", high=lo + 0.3 * (hi - lo))], max_corrections=0)
    broken = res.predicted[:, :, -1] & ~res.satisfied[:, :, -1]
    assert broken.any()
    with pytest.warns(UserWarning, match=rf"LAPACE-Last: .* on {int(broken.sum())} of"):
        last = res.last()
    assert not last.valid[broken].any()
    assert np.array_equal(last.info["satisfied"], res.satisfied[:, :, -1])


def test_counted_counterfactuals_hold_on_decoded_records_in_original_units():
    ds, X, clf, vae = toy()
    inc = ds.bounds_["income"]
    cons = [Range("income", low=inc[0] + 0.4 * np.ptp(inc)), Relation("income", ">=", "debt"),
            Monotone("debt", "decrease"), Immutable("housing")]
    res = _explain(cons, eta=1.0, max_corrections=50)
    n, k, T, d = res.paths.shape
    Xn = _negatives(n)
    inputs = ds.decode(np.repeat(Xn, k * T, axis=0))
    held = records_satisfy(cons, ds.decode(res.paths.reshape(-1, d)), inputs, ds)
    # the encoded check and the check on records in original units agree point by point
    assert np.array_equal(held.all(1), res.satisfied.ravel())
    assert res.first().valid.any()
    for cf in (res.first(), res.middle()):
        pts = cf.points[cf.valid]
        rows = np.repeat(np.arange(n), k).reshape(n, k)[cf.valid]
        assert records_satisfy(cons, ds.decode(pts), ds.decode(Xn[rows]), ds).all()
        assert (clf.predict(pts) == 1).all()


def test_monotone_and_callables_relative_to_the_input():
    ds, X, clf, vae = toy()
    col = ds.feature_slice("income").start
    up = _explain([Monotone("income", "increase")], max_corrections=0)
    mine = _explain([lambda x, x0: x0[:, col] - x[:, col]], max_corrections=0)
    n, k, T, d = up.paths.shape
    x0 = np.repeat(_negatives(n), k * T, axis=0)[:, col].reshape(n, k, T)
    tol = 1e-6
    assert np.array_equal(up.satisfied, up.paths[..., col] >= x0 - tol)
    assert np.array_equal(mine.satisfied, mine.paths[..., col] >= x0)
    down = _explain([Monotone("income", "decrease")], max_corrections=0)
    assert np.array_equal(down.satisfied, down.paths[..., col] <= x0 + tol)
    with pytest.raises(ValueError, match="direction must be one of"):
        Monotone("income", "up")
    with pytest.raises(ValueError, match="continuous features only"):
        compile_constraints([Monotone("housing")], ds)


def test_unsatisfiable_and_infeasible_constraints_warn_naming_them():
    ds, X, clf, vae = toy()
    explainer = Lapace(vae, max_corrections=3).fit(model=clf.predict, dataset=ds)
    Xn = _negatives(5)
    hi = ds.bounds_["income"][1]
    with pytest.warns(UserWarning) as caught:
        res = explainer.explain_paths(Xn, target=1, constraints=[Range("income", low=hi + 100)])
    messages = [str(w.message) for w in caught]
    assert any("cannot hold on the training data's range" in m and "'income'" in m for m in messages)
    assert any("holds at no point of any path" in m and "'income'" in m for m in messages)
    assert not res.first().valid.any() and not res.valid.any()

    def never(x):
        return torch.ones(x.shape[0])

    with pytest.warns(UserWarning, match=r"callable constraint #1 \(never\) holds at no point"):
        explainer.explain_paths(Xn, target=1, constraints=[Immutable("housing"), never])
    with pytest.warns(UserWarning, match="cannot hold on the training data's range"):
        compile_constraints(Relation("debt", ">", "income"), _shifted_ds(ds))


def _shifted_ds(ds):
    """A copy of ``ds`` whose debt never reaches income (for an infeasible relation)."""
    import copy
    fake = copy.copy(ds)
    fake.bounds_ = {**ds.bounds_, "debt": (0.0, 5.0), "income": (10.0, 110.0)}
    return fake


@pytest.mark.parametrize("make, match", [
    (lambda: Range("income", low=50, high=30), "low=50 is above high=30"),
    (lambda: Relation("income", ">", "income"), "relates a feature to itself"),
    (lambda: Range("income", low="30"), r"low must be a finite number .* got '30' \(str\)"),
    (lambda: Range("income", high=float("nan")), "high must be a finite number"),
    (lambda: Range(3, low=1), "feature must be a feature name"),
    (lambda: Immutable("income", tol=-1), "tol must be >= 0"),
    (lambda: compile_constraints([Range("income", low=50), Range("income", high=30)], toy()[0]),
     "Contradictory constraints on 'income'"),
    (lambda: compile_constraints("income", toy()[0]), "a list of them"),
    (lambda: compile_constraints([3], toy()[0]), "got 3"),
    (lambda: compile_constraints([lambda a, b, c: a], toy()[0]), "g\\(x\\) or g\\(x, x0\\)"),
])
def test_contradictory_or_malformed_constraints_are_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_a_single_constraint_need_not_be_in_a_list():
    ds, X, clf, vae = toy()
    cap = ds.bounds_["debt"][0] + 0.3 * np.ptp(ds.bounds_["debt"])
    one = _explain(Range("debt", high=cap), n=4)
    listed = _explain([Range("debt", high=cap)], n=4)
    assert np.array_equal(one.satisfied, listed.satisfied)


@pytest.mark.parametrize("g, match", [
    (lambda x: x[:, :2], r"one value per point, shape \(252,\).* got shape \(252, 2\)"),
    (lambda x: x.sum(), r"got shape \(\)"),
    (lambda x: x[:, 0].detach().numpy(), "must return a torch tensor"),
])
def test_a_callable_returning_the_wrong_shape_is_a_clear_error(g, match):
    ds, X, clf, vae = toy()
    explainer = Lapace(vae, max_corrections=2).fit(model=clf.predict, dataset=ds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=match):
            explainer.explain_paths(_negatives(4), target=1, constraints=g)


def test_enforce_sets_values_so_that_constraints_hold():
    ds, X, clf, vae = toy()
    rng = np.random.default_rng(0)
    P = rng.uniform(-0.2, 1.2, (200, X.shape[1])).astype(np.float32)
    X0 = X[rng.integers(0, len(X), 200)]
    inc = ds.bounds_["income"]
    cons = [Range("income", low=inc[0] + 0.2 * np.ptp(inc), high=inc[0] + 0.7 * np.ptp(inc)),
            Relation("income", ">", "debt"), Monotone("debt", "decrease"), Immutable("housing")]
    fixed = enforce(cons, P, X0, ds)
    g = compile_constraints(cons, ds)
    assert not g.satisfied(P, X0).all()
    assert g.satisfied(fixed, X0).all()
    assert records_satisfy(cons, ds.decode(fixed), ds.decode(X0), ds).all()

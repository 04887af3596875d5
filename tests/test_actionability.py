"""Table 3's constraint sets and methods (lapace_book.experiments.actionability)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from toys import toy

from lapace import Counterfactuals, Immutable, Lapace, Range, Relation, load_dataset
from lapace.explain.constraints import records_satisfy
from lapace_book.experiments.actionability import (
    METHODS,
    check_counted,
    constraint_set,
    draw_constraints,
    evaluate,
    greedy_paths,
    interpolate_paths,
    read_constraint_set,
)
from lapace_book.show.plots import constraint_paths


@pytest.mark.parametrize("name, size, kinds", [
    ("heloc", 18, {"Range", "Relation"}), ("wine", 10, {"Range", "Relation"}),
    ("adult", 10, {"Immutable", "Monotone", "Range"}), ("compas", 7, {"Immutable", "Monotone"}),
])
def test_constraint_sets_load_with_a_reason_each(name, size, kinds):
    cs = constraint_set(name)
    assert len(cs) == size and set(cs["kind"]) == kinds
    assert cs["reason"].str.len().min() > 5


@pytest.mark.parametrize("name", ["heloc", "wine", "adult", "compas"])
def test_each_constraint_holds_for_most_real_records(name):
    ds = load_dataset(name, seed=0)
    cs = constraint_set(name)
    held = records_satisfy(list(cs["constraint"]), ds.X_train, ds.X_train, ds)
    share = held.mean(0)
    assert share.min() >= 0.85, dict(zip(map(repr, cs["constraint"]), share.round(3), strict=True))


# the default recourse sets are the constraints a careful user would set (issue 34): protected
# attributes, the outcome record, records of the past and ethically loaded features held fixed
CAREFUL_SETS = {
    "compas": ({"sex", "race", "two_year_recid", "priors_count", "length_of_stay",
                "c_charge_degree"}, ["age"]),
    "adult": ({"sex", "race", "native-country", "marital-status", "relationship", "fnlwgt"},
              ["age", "education-num"]),
}


@pytest.mark.parametrize("name", sorted(CAREFUL_SETS))
def test_the_default_recourse_sets_hold_what_a_careful_user_would(name):
    ds = load_dataset(name, seed=0)
    cs = constraint_set(name)
    fixed, grows = CAREFUL_SETS[name]
    cons = list(cs["constraint"])
    named = [getattr(c, "feature", None) for c in cons]
    assert {c.feature for c in cons if isinstance(c, Immutable)} == fixed
    assert [(c.feature, c.direction) for c in cons if type(c).__name__ == "Monotone"] == [
        (f, "increase") for f in grows]
    assert set(named) <= set(ds.features) and len(named) == len(set(named))   # spelled right, once
    assert not any(isinstance(c, Range) and c.feature in fixed for c in cons)  # no clash
    free = [f for f in ds.features if f not in fixed]
    if name == "compas":                                    # the only action left is time
        assert free == ["age"]
    # a real record left as it is keeps every held feature and age (ranges: the test above);
    # changing a held feature (to another record's value) or lowering age breaks the set
    X = ds.X_train.iloc[:200]
    assert records_satisfy([c for c in cons if not isinstance(c, Range)], X, X, ds).all()
    for f in sorted(fixed):
        other = X[f].to_numpy()[::-1]
        moved = X.assign(**{f: other})
        changed = (moved[f].to_numpy() != X[f].to_numpy())
        assert changed.any()
        assert not records_satisfy(cons, moved, X, ds)[changed].all(1).any(), f
    for f in grows:                                         # and lowering what only grows
        lower = X.assign(**{f: X[f] - 1})
        assert not records_satisfy(cons, lower, X, ds).all(1).any(), f


def test_a_malformed_constraint_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("constraints:\n  - range: [age, 1, 2]\n")
    with pytest.raises(ValueError, match="and a reason"):
        read_constraint_set(bad)
    with pytest.raises(ValueError, match="No constraint set for 'mnist'"):
        constraint_set("mnist")


def test_draws_are_seeded_and_distinct():
    a, b = draw_constraints(30, 18, 5, seed=3), draw_constraints(30, 18, 5, seed=3)
    assert np.array_equal(a, b) and a.shape == (30, 5)
    assert all(len(set(r)) == 5 for r in a) and a.max() < 18
    assert not np.array_equal(a, draw_constraints(30, 18, 5, seed=4))
    with pytest.raises(ValueError, match="cannot draw 6"):
        draw_constraints(3, 5, 6)


def test_interpolated_and_greedy_paths_run_from_input_to_end():
    rng = np.random.default_rng(0)
    X, E, T = rng.random((4, 3), dtype=np.float32), rng.random((4, 3), dtype=np.float32), \
        rng.random((50, 3), dtype=np.float32)
    lin = interpolate_paths(X, E, 20)
    assert lin.shape == (4, 20, 3) and np.allclose(lin[:, 0], X) and np.allclose(lin[:, -1], E)
    assert np.allclose(np.diff(lin, axis=1), (E - X)[:, None] / 19, atol=1e-6)
    greedy = greedy_paths(X, E, T, 20)
    assert greedy.shape == (4, 20, 3) and np.allclose(greedy[:, 0], X) and np.allclose(greedy[:, -1], E)
    inner = greedy[:, 1:-1].reshape(-1, 3)
    assert (np.abs(inner[:, None] - T[None]).sum(-1).min(1) == 0).all()   # all training points


def test_evaluate_counts_only_valid_points_that_satisfy_every_constraint():
    ds, X, clf, vae = toy()
    Xn = X[clf.predict(X) == 0][:6]
    pos = X[clf.predict(X) == 1]
    # a stand-in for FACE's paths: the input, then the nearest training input predicted 1
    near = pos[np.abs(Xn[:, None] - pos[None]).sum(-1).argmin(1)]
    face = [np.stack([x, e]) for x, e in zip(Xn, near, strict=True)]
    face[0] = None                                    # FACE found nothing for input 0
    lo, hi = ds.bounds_["income"]
    pool = [Range("income", high=lo + 0.7 * (hi - lo)), Range("debt", low=2),
            Relation("income", ">=", "debt"), Immutable("housing")]
    cons = [pool] * len(Xn)
    explainer = Lapace(vae, max_corrections=30).fit(model=clf.predict, dataset=ds)

    class StubFACE:                                   # FACE's side of the protocol
        X_train_ = X

        def explain(self, Xq, target, return_paths):
            return Counterfactuals(np.full((len(Xq), 1, Xq.shape[1]), np.nan),
                                   np.zeros((len(Xq), 1), bool), paths=face)

    res = evaluate(Xn, cons, lapace=explainer, face=StubFACE(), harden=vae.harden, steps=8,
                   immutable=["housing"])
    per = res.per_input
    assert len(per) == len(METHODS) * len(Xn) and list(res.shares().index) == list(METHODS)
    assert (per["success"] == (per["n_counted"] > 0)).all()
    assert not per.query("input == 0 and method.str.startswith('FACE')")["success"].any()
    check = check_counted(res, Xn, clf.predict, ds)
    assert (check["not predicted as target"] == 0).all() and (check["breaking a constraint"] == 0).all()
    assert check.loc["LAPACE-Constrained", "counted points"] > 0
    # the constrained paths keep the immutable feature where the black box says target
    con = per[per.method == "LAPACE-Constrained"]
    assert con["n_immutable_broken"].sum() < per[per.method == "LAPACE-Naive"]["n_immutable_broken"].sum()

    # without FACE (a second recipe on the same inputs): the two LAPACE rows, the same as above
    alone = evaluate(Xn, cons, lapace=explainer, harden=vae.harden, steps=8, immutable=["housing"])
    assert list(alone.shares().index) == ["LAPACE-Naive", "LAPACE-Constrained"]
    assert set(alone.counted) == {"LAPACE-Naive", "LAPACE-Constrained"}
    lap = per[per.method.str.startswith("LAPACE")].reset_index(drop=True)
    assert alone.per_input.equals(lap)


def test_constraint_paths_figure_has_one_panel_per_feature():
    ds, X, clf, vae = toy()
    Xn = X[clf.predict(X) == 0][:1]
    explainer = Lapace(vae, max_corrections=10).fit(model=clf.predict, dataset=ds)
    cons = [Range("debt", high=20.0)]
    free = explainer.explain_paths(Xn, target=1)
    con = explainer.explain_paths(Xn, target=1, constraints=cons)
    fig = constraint_paths(ds, Xn[0], free.paths[0], con.paths[0], free.taus, ["income", "debt"],
                           free.valid[0], con.valid[0], cons, ncols=2, suptitle="t")
    visible = [a for a in fig.axes if a.get_visible()]
    assert [a.get_title() for a in visible] == ["income", "debt [range]"]
    assert len(visible[1].lines) == 2 * free.paths.shape[1] + 1

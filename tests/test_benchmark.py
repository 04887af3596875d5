"""The benchmark grid on a tiny compas pair: LAPACE-Last's guarantees, the Dask backend, the CLI,
a new method in one module and one registry line, and cache keys per unit of work."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lapace_book.benchmark import evaluation
from lapace_book.benchmark import grid as benchmark
from lapace_book.benchmark.registry import REGISTRY, MethodSpec
from lapace_book.experiments.retrain import selections

# a tiny pair (300 rows, a small L-GMVAE trained for a few epochs): fast, not faithful
TINY = {
    "n_inputs": 3, "repetitions": 1, "n_retrained": 2, "n_perturbations": 2, "sigma": 0.02,
    "pair": {"max_epochs": 3, "patience": 3, "max_rows": 300, "hidden_dim": 32,
             "max_batch_size": 64, "clf_params": {"n_estimators": 20}},
}
PAIRS = [("compas", "rf")]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    path = tmp_path_factory.mktemp("artefacts")
    mp.setenv("LAPACE_CACHE_DIR", str(path))
    yield path
    mp.undo()


def test_lapace_last_is_valid_and_exactly_input_robust(cache):
    settings = benchmark.check_settings(TINY)
    out = benchmark.run_cell(benchmark.Cell("compas", "rf", "LAPACE-Last", 0), settings,
                             cache=False)
    row = out["row"]
    assert list(row) == benchmark.COLUMNS
    assert row["n_inputs"] == 3
    assert row["validity"] == 1.0
    assert row["input_robustness"] == 0.0          # the same centroids for every input
    assert 0 <= row["model_robustness"] <= 1 and row["proximity"] > 0
    long = out["per_input"]
    assert list(long.columns) == benchmark.PER_INPUT_COLUMNS
    assert set(long["metric"]) == set(evaluation.PER_INPUT_METRICS)
    assert long["input_id"].nunique() == 3


def test_a_cell_records_its_pool_and_fit_time(cache):
    from lapace_book.experiments.pairs import input_pool

    settings = benchmark.check_settings(TINY)
    out = benchmark.run_cell(benchmark.Cell("compas", "rf", "NNCE", 0), settings, cache=False)
    row = out["row"]
    pair = evaluation.grid_pair("compas", "rf", settings)
    predicted_0 = int(np.sum(pair.predict(pair.X_test) == 0))
    assert row["pool"] == predicted_0 == len(input_pool(pair)) > row["n_inputs"]
    assert row["fit_s"] > 0 and np.isfinite(row["fit_s"])
    assert benchmark.METRIC_COLUMNS == benchmark.COLUMNS[6:]
    assert benchmark.COLUMNS.index("pool") == benchmark.COLUMNS.index("n_inputs") + 1
    fit = out["per_input"].query("metric == 'fit_s'")["value"]
    assert len(fit) == row["n_inputs"] and (fit == row["fit_s"]).all()   # one value per cell
    summary = benchmark.summarise(pd.DataFrame([row], columns=benchmark.COLUMNS))
    assert summary.loc[0, "pool_mean"] == predicted_0 and summary.loc[0, "fit_s_mean"] > 0


def test_perturb_touches_continuous_features_only_and_keeps_the_label(cache):
    settings = benchmark.check_settings(TINY)
    pair = evaluation.grid_pair("compas", "rf", settings)
    X = pair.X_test[:4]
    Xp, kept = evaluation.perturb(pair, X, 3, 0.05, seed=0)
    assert Xp.shape == (4, 3, X.shape[1]) and kept.any()
    cont = pair.ds.continuous_index
    other = np.setdiff1d(np.arange(X.shape[1]), cont)
    np.testing.assert_array_equal(Xp[..., other], np.repeat(X[:, None], 3, 1)[..., other])
    assert not np.allclose(Xp[kept][:, cont], np.repeat(X[:, None], 3, 1)[kept][:, cont])
    labels = pair.predict(Xp[kept])
    np.testing.assert_array_equal(labels, np.repeat(pair.predict(X)[:, None], 3, 1)[kept])
    with pytest.raises(ValueError, match="sigma"):
        evaluation.perturb(pair, X, 3, 0.0, seed=0)
    assert benchmark.lgmvae_training_seconds(pair) > 0       # read from the cache record


def test_dask_backend_gives_the_same_numbers(cache):
    distributed = pytest.importorskip("distributed")
    methods = ["LAPACE-First", "LAPACE-Last"]
    ev, per_input, _ = benchmark.run_grid(PAIRS, methods, TINY, n_jobs=1, cache=False,
                                          progress=False)
    # in-process workers (threads): fast to start, and they share the test's cache folder
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        ev_dask, per_input_dask, _ = benchmark.run_grid(PAIRS, methods, TINY, backend="dask",
                                                        cache=False, progress=False)
    timing = ["runtime_s", "fit_s"]
    pd.testing.assert_frame_equal(ev.drop(columns=timing), ev_dask.drop(columns=timing))
    keep = ~per_input["metric"].isin(timing)
    pd.testing.assert_frame_equal(per_input[keep].reset_index(drop=True),
                                  per_input_dask[keep.values].reset_index(drop=True))
    assert list(ev["method"]) == methods


def test_cli_writes_both_tables(cache, tmp_path, monkeypatch):
    monkeypatch.setattr(benchmark, "grid_settings", lambda profile: dict(TINY))
    assert benchmark.main(["--pairs", "compas-rf", "--methods", "LAPACE-Middle", "--n-jobs", "1",
                           "--out", str(tmp_path)]) == 0
    ev = pd.read_csv(tmp_path / "evaluation.csv")
    assert list(ev.columns) == benchmark.COLUMNS and len(ev) == 1
    long = pd.read_csv(tmp_path / "evaluation_per_input.csv")
    assert list(long.columns) == benchmark.PER_INPUT_COLUMNS


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="unknown method"):
        benchmark.grid(PAIRS, ["LAPACE-Best"], 1)
    with pytest.raises(ValueError, match="unknown benchmark setting"):
        benchmark.check_settings({"n_input": 3})
    with pytest.raises(ValueError, match="DATASET-CLASSIFIER"):
        benchmark.parse_pairs("compas")
    with pytest.raises(KeyError):
        benchmark.parse_pairs("compas-svm")
    with pytest.raises(ValueError, match="backend"):
        benchmark.run_grid(PAIRS, ["LAPACE-Last"], TINY, backend="spark")
    with pytest.raises(ValueError, match="more than once"):
        benchmark.grid(PAIRS, ["NNCE", "NNCE"], 1)
    with pytest.raises(ValueError, match="more than once"):
        benchmark.parse_pairs("compas-rf,compas-rf")


def test_cli_checks_its_arguments_before_any_work(tmp_path, capsys):
    (tmp_path / "taken").write_text("")
    with pytest.raises(SystemExit):
        benchmark.main(["--pairs", "compas-rf", "--out", str(tmp_path / "taken")])
    assert "is a file" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        benchmark.main(["--methods", "NNCE,NNCE", "--out", str(tmp_path / "out")])
    assert "more than once" in capsys.readouterr().err


def test_a_sixth_method_is_one_module_and_one_registry_line(cache, monkeypatch):
    monkeypatch.setitem(REGISTRY, "Farthest", MethodSpec("toy_method:FarthestTarget"))
    ev, per_input, _ = benchmark.run_grid(PAIRS, ["NNCE", "Farthest"], TINY, n_jobs=1,
                                          progress=False)
    assert list(ev["method"]) == ["NNCE", "Farthest"]
    nnce, far = ev.set_index("method").loc[["NNCE", "Farthest"], "proximity"]
    assert ev["validity"].eq(1.0).all() and far > nnce      # nearest vs farthest, both valid
    assert benchmark.cell_path(benchmark.Cell("compas", "rf", "Farthest", 0),
                               benchmark.check_settings(TINY)).exists()   # cached like the others


_KEYS = """
import json
from lapace_book.benchmark import grid as benchmark
from lapace_book.cache import code_fingerprint
from lapace_book.experiments.pairs import TRAINING_CODE
settings = benchmark.check_settings({})
cells = {m: benchmark.cell_path(benchmark.Cell("compas", "rf", m, 0), settings).name
         for m in benchmark.ALL_METHODS}
print(json.dumps({"model": code_fingerprint(TRAINING_CODE), **cells}))
"""


def _keys(root: Path) -> dict:
    repo = Path(benchmark.__file__).parents[2]              # its profiles/
    env = {**os.environ, "PYTHONPATH": str(root), "LAPACE_REPO_ROOT": str(repo),
           "LAPACE_CACHE_DIR": str(root / "cache")}
    out = subprocess.run([sys.executable, "-c", _KEYS], env=env, capture_output=True, text=True,
                         check=True, cwd=root)               # so the copy is the one imported
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_cache_keys_follow_the_unit_of_work(tmp_path):
    """Editing one baseline recomputes only its cells; editing a metric retrains no model;
    docstrings and comments recompute nothing."""
    repo = Path(benchmark.__file__).parents[2]
    for package in ("lapace", "lapace_book"):
        shutil.copytree(repo / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    before = _keys(tmp_path)

    def edit(module, old=None, new="\n_AN_EDIT = 1\n"):
        path = tmp_path / "lapace" / module
        text = path.read_text()
        path.write_text(text.replace(old, new, 1) if old else text + new)
        return _keys(tmp_path)

    prose = edit("methods/dice.py", '"""', '"""Two more words. ')
    prose = edit("methods/dice.py", new="\n# a comment\n")
    assert prose == before                                              # prose recomputes nothing
    after_dice = edit("methods/dice.py")
    assert [m for m in before if before[m] != after_dice[m]] == ["DiCE"]
    after_metrics = edit("metrics.py")
    assert after_metrics["model"] == before["model"]                    # no model retrains
    assert all(after_metrics[m] != after_dice[m] for m in benchmark.ALL_METHODS)
    after_lapace = edit("explain/explainer.py")
    assert [m for m in before if after_lapace[m] != after_metrics[m]] == [
        "LAPACE-First", "LAPACE-Middle", "LAPACE-Last", "LAPACE-paper-First",
        "LAPACE-paper-Middle", "LAPACE-paper-Last"]
    after_model = edit("lgmvae/model.py")
    assert after_model["model"] != before["model"]
    assert all(after_model[m] != after_lapace[m] for m in benchmark.ALL_METHODS)


def test_the_paper_recipe_cells_load_the_collapse_chapters_paper_models():
    from lapace_book.benchmark.evaluation import Cell, cell_key, grid_pair_kwargs
    from lapace_book.experiments.ablation import VARIANTS

    settings = benchmark.defaults()
    ours = cell_key(Cell("wine", "nn", "LAPACE-Last", 0), settings)["pair"]
    paper = cell_key(Cell("wine", "nn", "LAPACE-paper-Last", 0), settings)["pair"]
    assert ours == grid_pair_kwargs("wine", "nn", settings) and "objective" not in str(ours)
    assert paper["vae_params"] == {**VARIANTS["paper"], **ours.get("vae_params", {})}
    assert REGISTRY["LAPACE-paper-Last"].params == {"point": "last", "repair_centroids": False}


def test_retraining_selections():
    sel = selections(200, n_resample=2, n_leave_out=2, leave_out=0.01, seed=0)
    assert [k for k, _, _ in sel] == ["resample", "resample", "leave-out", "leave-out"]
    assert all(len(rows) == 200 for k, _, rows in sel if k == "resample")
    assert all(len(rows) == 198 and len(np.unique(rows)) == 198 for k, _, rows in sel
               if k == "leave-out")
    assert len({s for _, s, _ in sel}) == 4
    with pytest.raises(ValueError, match="at least one"):
        selections(200, 0, 0)


def test_paper_recipe_cell_and_last_distances(cache):
    """A LAPACE-paper cell runs on the paper-recipe pair; LAPACE-Last's proximity is the mean
    distance to the decoded centroids (lapace_book.experiments.proximity_gap)."""
    from lapace_book.benchmark.evaluation import grid_pair
    from lapace_book.experiments.pairs import select_inputs
    from lapace_book.experiments.proximity_gap import DISTANCE_COLUMNS, last_distances

    settings = benchmark.check_settings(TINY)
    row = benchmark.run_cell(benchmark.Cell("compas", "rf", "LAPACE-paper-Last", 0), settings,
                             cache=False)["row"]
    pair = grid_pair("compas", "rf", settings, "paper")
    assert pair.vae.objective == "paper"
    X = pair.X_test[select_inputs(pair, 3, 0)]
    dist = last_distances(pair, X, repair_centroids=False)
    assert list(dist.columns) == DISTANCE_COLUMNS and len(dist) == 3
    assert (dist.centroids_nearest <= dist.centroids_mean + 1e-6).all()
    assert ((0 <= dist.categorical_share) & (dist.categorical_share <= 1)).all()
    assert row["input_robustness"] == 0.0 or np.isnan(row["input_robustness"])  # no valid CE


class _Clock:
    """A method whose calls take 0.3, 0.1, 0.2 ... seconds of a fake clock."""

    def __init__(self, durations):
        self.durations, self.calls, self.now = list(durations), [], 0.0

    def explain(self, X, target):
        self.calls.append(len(X))
        self.now += self.durations.pop(0)
        return ("result", len(self.calls))


def test_timed_explain_warms_up_then_keeps_the_fastest_call(monkeypatch):
    m = _Clock([5.0, 0.3, 0.1, 0.2])          # the warm-up's 5 s never counts
    monkeypatch.setattr(evaluation.time, "perf_counter", lambda: m.now)
    cf, per_input = evaluation.timed_explain(m, np.zeros((4, 2)), 1, repeats=3, budget_s=10)
    assert m.calls == [1, 4, 4, 4]            # one input first, then the whole batch 3 times
    assert cf == ("result", 2)                # the first timed call's counterfactuals
    assert per_input == pytest.approx(0.1 / 4)


def test_timed_explain_stops_repeating_once_the_budget_is_spent(monkeypatch):
    m = _Clock([0.0, 2.0, 0.1])
    monkeypatch.setattr(evaluation.time, "perf_counter", lambda: m.now)
    _, per_input = evaluation.timed_explain(m, np.zeros((2, 2)), 1, repeats=3, budget_s=1.0)
    assert m.calls == [1, 2] and per_input == pytest.approx(1.0)


def test_method_inputs_caps_only_the_named_method_and_keys_its_cells():
    """``method_inputs: {DiCE: 10}`` (the paper profile's) changes DiCE's cells and no other's:
    its key records the cap, so a cached full-sample DiCE cell is never taken for a capped one."""
    from lapace_book.benchmark.evaluation import Cell, _method_inputs, cell_key

    settings = {**benchmark.defaults(), "method_inputs": {"DiCE": 10}}
    assert _method_inputs(settings, "DiCE") == 10 and _method_inputs(settings, "NNCE") is None
    capped = cell_key(Cell("wine", "rf", "DiCE", 0), settings)
    plain = cell_key(Cell("wine", "rf", "DiCE", 0), benchmark.defaults())
    assert capped["method_inputs"] == 10 and "method_inputs" not in plain
    assert cell_key(Cell("wine", "rf", "NNCE", 0), settings) == cell_key(
        Cell("wine", "rf", "NNCE", 0), benchmark.defaults())
    with pytest.raises(ValueError, match="unknown method"):
        benchmark.check_settings({"method_inputs": {"DiCEE": 10}})


@pytest.mark.parametrize("name", ["method_inputs", "robustness_inputs"])
@pytest.mark.parametrize("value", [0, -3, 2.5, "10", True, None])
def test_per_method_input_caps_must_be_whole_numbers_of_at_least_one(name, value):
    """A cap of 0 would explain no input (and, being falsy, vanish from the cell key)."""
    with pytest.raises(ValueError, match=rf"{name}\['DiCE'\] must be an integer >= 1"):
        benchmark.check_settings({name: {"DiCE": value}})
    assert benchmark.check_settings({name: {"DiCE": 3.0}})[name] == {"DiCE": 3}

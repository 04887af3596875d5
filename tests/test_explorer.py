"""lapace.explorer: the path explorer's table (one row per input, path and step, the records the
black box judged) and its Plotly figure (a slider over tau, a dropdown over the paths), on a
tiny model trained here in a second."""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np
import pytest
from toys import toy_frame

from lapace import LGMVAE, Lapace, NotFittedError, TabularDataset, train_classifier
from lapace.explorer import PATH_COLUMNS, explore, figure_html
from lapace.metrics import lof_model
from lapace_book.experiments.profiles import chapter_parameters

pytest.importorskip("plotly")

STEPS = 6


@cache
def tiny():
    """(ds, X, clf, explainer with the dataset, explainer without it, inputs predicted 0)."""
    ds = TabularDataset.from_frame(toy_frame(300), target="approved", categorical=["housing"])
    X = ds.encode(ds.X_train)
    clf = train_classifier("rf", X, ds.y_train, seed=0, n_estimators=10)
    vae = LGMVAE(clusters_per_class=2, latent_dim=2, hidden_dim=16, max_epochs=5, seed=0,
                 verbose=False, categorical_groups=ds.categorical_groups).fit(X, clf.predict(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        records = Lapace(vae, steps=STEPS).fit(model=clf, dataset=ds)
        pixels = Lapace(vae, steps=STEPS).fit(model=clf)
    return ds, X, clf, records, pixels, X[clf.predict(X) == 0][:3]


@cache
def explored():
    ds, X, clf, records, _, X0 = tiny()
    models = [train_classifier("rf", X, ds.y_train, seed=s, n_estimators=5) for s in (1, 2)]
    lof = lof_model(X[clf.predict(X) == 1], n_neighbors=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return explore(records, X0, target=1, lof=lof, retrained=models), lof, models


def test_one_row_per_input_path_and_step_with_tau_from_0_to_1():
    ex, _, _ = explored()
    t = ex.table
    assert list(t.columns[:len(PATH_COLUMNS)]) == PATH_COLUMNS
    assert len(t) == 3 * 2 * STEPS                       # inputs x paths (2 clusters) x steps
    assert not t.duplicated(["input", "path", "step"]).any()
    for _, path in t.groupby(["input", "path"]):
        np.testing.assert_allclose(path["tau"], np.linspace(0, 1, STEPS), atol=1e-6)
        assert path["step"].tolist() == list(range(STEPS))
    assert [g[:2] for g in ex.groups] == [(i, j) for i in range(3) for j in range(2)]
    assert len({(j, c) for _, j, c in ex.groups}) == 2    # a path leads to the same cluster
    assert len(ex.inputs) == 3 and (ex.inputs["label"] == 0).all()


def test_label_is_the_black_box_on_the_decoded_records_which_are_valid_records():
    ex, _, _ = explored()
    ds, _, clf, _, _, X0 = tiny()
    encoded = ds.encode(ex.table[ex.features])
    np.testing.assert_array_equal(ex.table["label"], clf.predict(encoded))
    np.testing.assert_array_equal(ex.table["valid"], ex.table["label"] == 1)
    np.testing.assert_allclose(ds.project(encoded), encoded, atol=1e-6)    # re-encode = project
    np.testing.assert_allclose(ds.encode(ex.inputs[ex.features]), X0, atol=1e-5)


def test_lof_and_agreement_are_the_metrics_of_each_point():
    ex, lof, models = explored()
    ds = tiny()[0]
    points = ds.encode(ex.table[ex.features])
    np.testing.assert_allclose(ex.table["lof"], -lof.score_samples(points), rtol=1e-4)
    share = np.mean([m.predict(points) == 1 for m in models], axis=0)
    np.testing.assert_allclose(ex.table["agreement"], share)
    assert ex.n_retrained == 2


def test_figure_has_a_step_per_tau_an_entry_per_path_and_frames_that_update_every_path():
    ex, _, _ = explored()
    fig = ex.figure("toy")
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == [f"{t:.2f}" for t in np.linspace(0, 1, STEPS)]
    assert [list(s.args[0]) for s in steps] == [[f"t{t}"] for t in range(STEPS)]
    assert [f.name for f in fig.frames] == [f"t{t}" for t in range(STEPS)]
    buttons = fig.layout.updatemenus[0].buttons
    assert len(buttons) == len(ex.groups) == 6
    per_path = len(fig.data) // len(ex.groups)
    for g, button in enumerate(buttons):                 # each entry shows its own path only
        visible = np.asarray(button.args[0]["visible"])
        assert visible.sum() == per_path and visible[g * per_path:(g + 1) * per_path].all()
    # the last frame's record table of path (1, 0) shows that path's decoded record at tau = 1
    last = fig.frames[-1]
    g = ex.groups.index(next(k for k in ex.groups if k[:2] == (1, 0)))
    table = last.data[list(last.traces).index(g * per_path + 1)]
    row = ex.table[(ex.table["input"] == 1) & (ex.table["path"] == 0)].iloc[-1]
    assert list(table.cells.values[0]) == ex.features
    for shown, f in zip(table.cells.values[2], ex.features, strict=True):
        if f == "housing":
            assert shown == row[f]
        else:
            assert float(shown.replace(",", "")) == pytest.approx(row[f], rel=1e-3)
    html = figure_html(fig, div_id="toy")
    assert 'id="toy"' in html and "Plotly.newPlot" in html and "<script src" not in html


def test_images_are_drawn_as_heatmaps_updated_by_the_frames():
    _, _, _, _, pixels, X0 = tiny()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ex = explore(pixels, X0[:1], target=1, image_shape=(1, X0.shape[1]))
    assert ex.features == [f"x{j}" for j in range(X0.shape[1])] and ex.class_names == ["0", "1"]
    fig = ex.figure()
    heatmaps = [d for d in fig.data if d.type == "heatmap"]
    assert len(heatmaps) == 2 * len(ex.groups)           # the input and the decoded image
    z = np.asarray(fig.frames[-1].data[1].z)
    expected = np.rint(np.clip(ex.table[ex.features].to_numpy()[STEPS - 1], 0, 1) * 255)
    np.testing.assert_array_equal(z.ravel(), expected)


def test_bad_arguments_say_what_is_wrong():
    ds, X, clf, records, pixels, X0 = tiny()
    vae = records.vae
    with pytest.raises(NotFittedError, match="not fitted"):
        explore(Lapace(vae), X0)
    with pytest.raises(ValueError, match="max_inputs=2"):
        explore(records, X0, max_inputs=2)
    with pytest.raises(ValueError, match="columns"):
        explore(records, X0[:, :2])
    with pytest.raises(ValueError, match=r"image_shape must be \(height, width\)"):
        explore(pixels, X0, image_shape=(2, 2))
    with pytest.raises(ValueError, match="tabular dataset"):
        explore(records, X0, image_shape=(1, X0.shape[1]))
    with pytest.raises(ValueError, match="class_names must name all 2 labels"):
        explore(records, X0, class_names=["no"])
    with pytest.raises(ValueError, match=r"retrained\[0\] is neither"):
        explore(records, X0, retrained=["model"])
    with pytest.raises(ValueError, match=r"wrap a single one in a list"):
        explore(records, X0, retrained=clf)              # a forest iterates over its trees
    with pytest.raises(ValueError, match="height"):
        explored()[0].figure(height=10)
    with pytest.raises(ValueError, match="plotly Figure"):
        figure_html("<div>")
    with pytest.raises(ValueError, match="div_id must be an HTML id"):
        figure_html(explored()[0].figure(), div_id='x"><script>')


def test_chapter_parameters_are_the_chapters_defaults_overridden_by_the_profile():
    quick, paper = chapter_parameters("mnist", "quick"), chapter_parameters("mnist", "paper")
    assert quick["batch_size"] == 128 and paper["batch_size"] == 1024    # profiles/paper.yml
    assert quick["latent_dim"] == paper["latent_dim"] and paper["profile"] == "paper"
    with pytest.raises(ValueError, match="no chapter 'nope'"):
        chapter_parameters("nope")


def test_save_figure_writes_a_page_that_opens_offline(tmp_path, monkeypatch):
    from lapace_book.provenance import save_figure

    monkeypatch.setenv("LAPACE_RESULTS_DIR", str(tmp_path))
    path = save_figure(explored()[0].figure(), "explorer_toy", profile="quick")
    assert path == tmp_path / "quick" / "explorer_toy.html"
    assert 'src="plotly.min.js"' in path.read_text()
    assert (path.parent / "plotly.min.js").stat().st_size > 1_000_000

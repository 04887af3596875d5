"""lapace_book.show.plots and lapace.images: every figure of the book, and the pixel-region constraint."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
import torch

from lapace import Range, Relation
from lapace.images import ink_kept, region_ink, region_mask, region_penalty
from lapace_book.show.plots import (
    centroid_grid,
    elbo_bound,
    features_to_show,
    image_grid,
    kl_convergence,
    latent_space,
    loss_weight_bars,
    region_ink_along_path,
    target_share,
    training_curves,
)


def test_image_grid_layout_and_titles():
    imgs = np.random.default_rng(0).random((2, 3, 784))
    fig = image_grid(imgs, row_labels=["a", "b"], col_labels=["x", "y", "z"],
                     titles=[["1", "2", "3"], ["4", "5", "6"]],
                     title_colors=[["red"] * 3, ["green"] * 3], suptitle="t")
    axes = np.array(fig.axes).reshape(2, 3)
    assert axes[1, 2].get_title() == "6"
    assert axes[1, 0].get_ylabel() == "b"
    assert np.allclose(axes[0, 1].images[0].get_array(), imgs[0, 1].reshape(28, 28))
    matplotlib.pyplot.close(fig)


def test_image_grid_rejects_bad_shapes():
    with pytest.raises(ValueError, match="row_labels"):
        image_grid(np.zeros((2, 2, 784)), row_labels=["a"])
    with pytest.raises(ValueError, match="images must"):
        image_grid(np.zeros((2, 784)))


def test_region_penalty_and_ink():
    mask = region_mask(slice(12, 18), slice(7, 14))
    assert mask.sum() == 6 * 7 and mask.reshape(28, 28)[12, 7] and not mask.reshape(28, 28)[18, 7]
    x = np.zeros((2, 784), dtype=np.float32)
    x[1, mask] = 0.51
    np.testing.assert_allclose(region_ink(x, mask), [0.0, 42 * 0.5], rtol=1e-5)
    g = region_penalty(mask, tolerance=1.0)
    xt = torch.tensor(x, requires_grad=True)
    out = g(xt)
    np.testing.assert_allclose(out.detach().numpy(), [-1.0, 20.0], rtol=1e-5)
    out.sum().backward()
    assert xt.grad[1, mask].eq(1).all() and xt.grad[:, ~mask].eq(0).all()


def test_ink_kept_counts_the_reference_strokes_outside_the_region():
    mask = region_mask(slice(12, 18), slice(7, 14))
    ref = np.zeros(784, dtype=np.float32)
    ref[:100] = 1.0                                     # strokes outside the region
    ref[mask] = 1.0                                     # and ink in it
    emptied = ref.copy()
    emptied[mask] = 0.0                                 # the region emptied, the rest kept
    half = emptied * 0.5
    moved = np.roll(emptied, 300)                       # other strokes in other places
    kept = ink_kept(np.stack([emptied, half, moved]), np.stack([ref] * 3), mask)
    np.testing.assert_allclose(kept[:2], [1.0, 0.5])
    assert kept[2] < 0.05
    assert ink_kept(emptied, ref) < 1 and np.isnan(ink_kept(ref, np.zeros(784)))  # no mask: all
    with pytest.raises(ValueError, match="same shape"):
        ink_kept(ref[None], ref)


# --- the figures the chapters used to build themselves ---------------------------------------


def _close(fig):
    matplotlib.pyplot.close(fig)


def test_image_grid_outlines_a_region_on_every_panel():
    fig = image_grid(np.zeros((2, 3, 784)), box=([12, 18], [7, 14]))
    for ax in fig.axes:
        (patch,) = ax.patches
        assert (patch.get_x(), patch.get_y(), patch.get_width(), patch.get_height()) == \
            (6.5, 11.5, 7, 6)
    assert not image_grid(np.zeros((1, 1, 784))).axes[0].patches
    _close(fig)


def test_centroid_grid_marks_misread_centroids_red():
    centroids = np.random.default_rng(0).random((10, 3, 784))
    predicted = np.tile(np.arange(10)[:, None], (1, 3))
    predicted[4, 1] = 9                                             # cluster 2 of digit 4
    fig = centroid_grid(centroids, predicted, suptitle="Figure 5")
    axes = np.array(fig.axes).reshape(3, 10)                        # rows: clusters
    assert fig._suptitle.get_text() == "Figure 5"
    assert axes[1, 4].get_title() == "M: 9" and axes[1, 4].title.get_color() == "red"
    assert axes[0, 4].get_title() == "M: 4" and axes[0, 4].title.get_color() == "black"
    assert axes[2, 0].get_ylabel() == "cluster 3"
    assert np.allclose(axes[1, 4].images[0].get_array(), centroids[4, 1].reshape(28, 28))
    _close(fig)


def test_target_share_and_region_ink():
    taus = np.linspace(0, 1, 5)
    fig = target_share(taus, taus, np.stack([taus, taus ** 2]), [21, 22], 7, source=5, target=7)
    (ax,) = fig.axes
    assert ax.get_title() == "Where LAPACE paths from 5 become 7"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["all paths (7 inputs × 2)", "to 7 #1 (cluster 21)", "to 7 #2 (cluster 22)",
                      "paper: 'roughly τ ≥ 0.7'"]
    _close(fig)
    fig = region_ink_along_path(taus, np.stack([taus, 1 - taus]), tolerance=0.5)
    (ax,) = fig.axes
    assert ax.get_ylabel() == "ink above 0.01 in the region"
    assert np.allclose(ax.lines[1].get_ydata(), 1 - taus)
    _close(fig)


def test_elbo_chapter_figures():
    S = [1, 10, 100]
    mc = pd.DataFrame({"kl_z (MC)": [1.0, 1.1, 1.05], "kl_c (MC)": [0.2, 0.1, 0.12],
                       "kl_z abs. error per input": [1.0, 0.3, 0.1],
                       "kl_c abs. error per input": [0.5, 0.2, 0.05]}, index=pd.Index(S, name="S"))
    fig = kl_convergence(mc, kl_z=1.05, kl_c=0.12)
    assert [ax.get_title() for ax in fig.axes] == ["KL(z)", "KL(c)", "error per input"]
    guide = fig.axes[2].lines[-1].get_ydata()
    assert np.allclose(guide, 1.0 / np.sqrt(S))                     # 1/sqrt(S) from S = 1
    _close(fig)
    bound = pd.DataFrame({"mean IS estimate": [-5.0, -4.5, -4.4], "mean ELBO": -5.0},
                         index=pd.Index(S, name="S"))
    gaps = np.array([[0.0, 0.5, 0.6], [0.1, 0.4, 0.7]])
    fig = elbo_bound(bound, gaps)
    assert [ax.get_title() for ax in fig.axes] == ["The bound holds", "Jensen's gap opens up with S"]
    assert np.allclose(fig.axes[1].lines[0].get_ydata(), np.median(gaps, 0))
    _close(fig)
    table = pd.DataFrame({"KL(z)": [0.0, 2.0], "ELBO": [-10.0, -12.0]},
                         index=["(1.0, 1.0, 1.0)", "(0.1, 0.05, 1.0)"])
    fig = loss_weight_bars(table, ["KL(z)", "ELBO"])
    assert [ax.get_title() for ax in fig.axes] == ["KL(z)", "ELBO"]
    assert fig.axes[1].get_ylim() == pytest.approx((-12.2, -9.8))  # zoomed on the ELBO
    assert fig.axes[0].get_ylim()[0] <= 0
    _close(fig)


def test_latent_space_one_panel_per_model():
    rng = np.random.default_rng(0)
    panels = {"a-RF": (rng.normal(size=(40, 3)), rng.integers(0, 4, 40), rng.normal(size=(4, 3)),
                       np.array([True, False, True, True])),
              "b-NN": (rng.normal(size=(40, 2)), rng.integers(0, 4, 40), rng.normal(size=(4, 2)),
                       np.ones(4, bool))}
    fig = latent_space(panels, clusters_per_class=2, title="t")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(fig.axes) == 8 and len(visible) == 2
    assert visible[0].get_title().startswith("a-RF (PCA of h=3, ")
    assert visible[1].get_title() == "b-NN (h=2)" and visible[1].get_xlabel() == "z1"
    assert [t.get_text() for t in visible[0].texts] == ["0", "1✗", "2", "3"]
    _close(fig)


def test_training_curves_three_panels_per_model():
    hist = [{"epoch": e, **{f"{s}_{t}": float(e) for s in ("train", "val")
                            for t in ("kl_z", "kl_c", "rec")}} for e in (1, 2, 3)]
    fig = training_curves({"a-RF": hist, "a-NN": hist, "b-RF": hist}, {"a-RF": 2, "a-NN": 3, "b-RF": 1},
                          per_row=2, title="curves")
    axes = np.array(fig.axes).reshape(2, 6)
    assert axes[0, 3].get_title() == "a-NN:\nKL(z)" and axes[1, 2].get_title() == "b-RF:\nreconstruction"
    assert axes[0, 3].lines[2].get_xdata()[0] == 3                  # the kept epoch
    assert axes[1, 0].get_xlabel() == "epoch" and axes[0, 0].get_xlabel() == ""
    _close(fig)


def test_features_to_show_named_first_then_by_movement():
    cons = [Range("c", 0, 1), Relation("a", ">=", "c")]
    assert features_to_show(cons, ["a", "b", "c", "d"], [0.0, 0.1, 0.0, 0.5]) == ["c", "a", "d", "b"]
    assert features_to_show(cons, ["a", "b", "c", "d"], [0.0, 0.1, 0.0, 0.5], n=3) == ["c", "a", "d"]


def test_benchmark_metric_cuts_an_outlier_and_labels_it():
    import pandas as pd

    from lapace.metrics import HIGHER_IS_BETTER
    from lapace_book.show.plots import benchmark_metric

    rows = [{"dataset": "wine", "classifier": c, "method": m, "input_robustness_mean": v,
             "input_robustness_std": 0.0} for c in ("rf", "nn")
            for m, v in (("NNCE", 0.1), ("DiCE", 2.0), ("LAPACE-Last", 0.0))]
    fig = benchmark_metric(pd.DataFrame(rows), "input_robustness", HIGHER_IS_BETTER, title="t")
    ax = fig.axes[0]
    assert ax.get_xlim()[1] < 2.0                                   # DiCE's 2.0 is cut ...
    assert any("2 (cut)" in t.get_text() for t in ax.texts)         # ... and labelled
    assert "lower is better" in fig._supxlabel.get_text()
    assert ax.containers[0].errorbar is None                      # std 0: no error bars
    runtime = [{**r, "runtime_s_mean": 0.01 if r["method"] != "DiCE" else 1.0,
                "runtime_s_std": 0.0} for r in rows]
    assert benchmark_metric(pd.DataFrame(runtime), "runtime_s", HIGHER_IS_BETTER).axes[0] \
        .get_xscale() == "log"


# --- every figure readable in the book's text column ------------------------------------------

#: the book's text column at the 1280 px window of scripts/check_site.py, and its least text
COLUMN_PX, MIN_TEXT_PX = 676, 9.0


def on_screen_px(fig, column: int = COLUMN_PX) -> float:
    """The smallest text of ``fig`` on screen, as scripts/check_site.py measures it: the smallest
    font (points) × dpi / 72 × shown width / natural width, the image shown at its natural
    width or scaled down to the column; at the saved (150) and the inline (100) dpi."""
    import io

    from PIL import Image

    from lapace_book.provenance import smallest_font_pt

    pt, sizes = smallest_font_pt(fig), []
    for dpi in (100, 150):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
        natural = Image.open(buf).size[0]
        sizes.append(pt * dpi / 72 * min(column, natural) / natural)
    return min(sizes)


def _figure_cases():
    from lapace.metrics import HIGHER_IS_BETTER
    from lapace_book.show import plots as P

    rng = np.random.default_rng(0)
    taus = np.linspace(0, 1, 11)
    lab = np.full((4, 12), 7)
    S = [1, 10, 100]
    mc = pd.DataFrame({"kl_z (MC)": [1.0, 1.1, 1.05], "kl_c (MC)": [0.2, 0.1, 0.12],
                       "kl_z abs. error per input": [1.0, 0.3, 0.1],
                       "kl_c abs. error per input": [0.5, 0.2, 0.05]}, index=pd.Index(S, name="S"))
    bound = pd.DataFrame({"mean IS estimate": [-5.0, -4.5, -4.4], "mean ELBO": -5.0},
                         index=pd.Index(S, name="S"))
    cols = ["KL(z)", "KL(c)", "rec (sum of squares)", "ELBO", "centroid distinctness"]
    weights = pd.DataFrame(rng.random((4, 5)) * [1, 1, 10, -100, 1], columns=cols,
                           index=["(1.0, 1.0, 1.0)", "(0.1, 0.05, 1.0)", "(1.0, 0.1, 1.0)",
                                  "(0.01, 0.01, 1.0)"])
    names = [f"{d}-{c}" for d in ("adult", "compas", "german", "heloc") for c in ("RF", "NN")]
    latents = {n: (rng.normal(size=(30, 8)), rng.integers(0, 6, 30), rng.normal(size=(6, 8)),
                   np.array([True, False] * 3)) for n in names}
    hist = [{"epoch": e, **{f"{s}_{t}": 1000.0 * e for s in ("train", "val")
                            for t in ("kl_z", "kl_c", "rec")}} for e in range(1, 30)]
    dyn = [{"epoch": e, "val_kl_c": 1 / e, "val_kl_c_marginal": 0.5 / e, "centroid_distance": e}
           for e in range(1, 20)]
    X = rng.normal(size=(60, 2))
    xx, yy = np.meshgrid(np.linspace(-3, 3, 10), np.linspace(-3, 3, 10))
    feats = ["age", "hours-per-week", "capital-gain", "capital-loss", "education-num", "fnlwgt",
             "x1", "x2", "x3", "x4", "x5", "x6"]

    class Decoder:
        def decode(self, a):
            return pd.DataFrame(np.asarray(a) * 1000, columns=feats)

    methods = ["LAPACE-Last", "LAPACE-First", "NNCE", "DiCE", "Wachter", "GS", "FACE"]
    pairs = [(d, c) for d in ("adult", "compas", "german", "heloc") for c in ("rf", "nn")][:7]
    summary = pd.DataFrame([{"dataset": d, "classifier": c, "method": m,
                             **{f"{k}_{s}": rng.random() if s == "mean" else 0.01
                                for k in HIGHER_IS_BETTER for s in ("mean", "std")}}
                            for d, c in pairs for m in methods])
    summary.loc[summary.method == "DiCE", "input_robustness_mean"] = 50.0
    regions = pd.DataFrame([{"dataset": d, "classifier": c, "method": m, "cost": rng.random(),
                             "coverage": rng.random(), "n_actions": 3}
                            for d, c in pairs + [("heloc", "nn")]
                            for m in ("LAPACE regions", "AReS", "GLOBE-CE", "CET")])
    long = "a title as long as the chapters' ones, which runs on for well over one line " * 2
    return {
        "image_grid": lambda: P.image_grid(
            rng.random((4, 12, 784)), row_labels=[f"to 7 #{j + 1}" for j in range(4)],
            col_labels=["original"] + [f"τ={t:.1f}" for t in taus], titles=lab,
            title_colors=np.where(lab == 7, "green", "black"), cell_size=0.85, suptitle=long),
        "centroid_grid": lambda: P.centroid_grid(rng.random((10, 3, 784)),
                                                 np.tile(np.arange(10)[:, None], (1, 3)),
                                                 suptitle=long),
        "target_share": lambda: P.target_share(taus, taus, np.stack([taus] * 3), [1, 2, 3], 50,
                                               source=5, target=7),
        "region_ink_along_path": lambda: P.region_ink_along_path(taus, np.stack([taus, 1 - taus]),
                                                                 tolerance=0.5),
        "kl_convergence": lambda: P.kl_convergence(mc, 1.05, 0.12),
        "elbo_bound": lambda: P.elbo_bound(bound, rng.random((5, 3))),
        "loss_weight_bars": lambda: P.loss_weight_bars(weights, cols),
        "latent_space": lambda: P.latent_space(latents, 3, title=long),
        "training_curves": lambda: P.training_curves({n: hist for n in names}, dict.fromkeys(names, 3),
                                                     per_row=2, title=long),
        "training_dynamics": lambda: P.training_dynamics({"a": dyn, "b": dyn}, title=long),
        "figure1": lambda: P.figure1(X, (X[:, 0] > 0).astype(int), (xx, yy, (xx > 0).astype(int)),
                                     X, rng.integers(0, 4, 60), rng.normal(size=(4, 2)), X[0],
                                     rng.normal(size=(2, 6, 2)), rng.integers(0, 2, (2, 6))),
        "constraint_paths": lambda: P.constraint_paths(
            Decoder(), rng.random(12), rng.random((3, 11, 12)), rng.random((3, 11, 12)), taus,
            feats, free_counted=rng.random((3, 11)) > 0.5,
            constrained_counted=rng.random((3, 11)) > 0.5,
            constraints=[Range("age", 200, 600), Relation("age", ">=", "education-num")],
            ncols=4, suptitle=long),
        "coverage_cost": lambda: P.coverage_cost(regions, title=long),
        "benchmark_metric": lambda: P.benchmark_metric(summary, "input_robustness",
                                                       HIGHER_IS_BETTER, title=long),
        "benchmark_metric (log)": lambda: P.benchmark_metric(summary, "runtime_s",
                                                             HIGHER_IS_BETTER, title=long),
        "benchmark_bars": lambda: P.benchmark_bars(summary, list(HIGHER_IS_BETTER),
                                                   HIGHER_IS_BETTER, title=long),
    }


@pytest.mark.parametrize("name", list(_figure_cases()))
def test_every_figure_is_readable_in_the_text_column(name):
    fig = _figure_cases()[name]()
    px = on_screen_px(fig)
    _close(fig)
    assert px >= MIN_TEXT_PX, f"{name}: smallest text {px:.1f} px at a {COLUMN_PX} px column"

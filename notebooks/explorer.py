# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# (explorer)=
# # The path explorer: one path, one step at a time
#
# LAPACE explains an input by a whole *path*: from the input's latent code straight to each
# centroid of the target label, decoded at 21 values of τ from 0 (the input's reconstruction)
# to 1 (the decoded centroid, LAPACE-Last) (§3.2, Algorithm 1). The other chapters summarise
# thousands of such paths in a few numbers; here you walk a few of them yourself.
#
# **What you can do.** In each figure below, pick an input and one of its paths in the menu at
# the top left, then drag the slider under the figure (or press *play*) to move along the path.
# For a tabular input you see the decoded record beside the input, the values that differ from
# the input marked in yellow; for a digit, the input beside the decoded image. Above them a
# status line gives, at that τ, what the black box says, the record's local outlier factor
# {cite:p}`breunig2000lof` (LOF, about 1 for a record like the training data, larger for an
# outlier) and how many retrained black boxes also predict the target. On the right the whole
# path: LOF and the retrained models' agreement (or the digit classifier's label) against τ,
# green where the black box predicts the target, with the current τ as a dotted red line.
#
# **What to look at.**
#
# - *Where the label flips.* The first green point is LAPACE-First, the counterfactual closest
#   to the input along the path. For its MNIST example (Figure 2) the paper sees the target
#   label late on the path, "roughly when τ ≥ 0.7" (§3.2).
# - *How LOF changes as τ grows.* Early points are close to the input; late points are close
#   to a prototype of the target label, which the L-GMVAE learned from many records, and the
#   paper expects them to be more plausible (lower LOF): the trade between proximity and
#   plausibility of §4.2. The curve need not fall steadily: look for bumps, and for paths
#   whose LAPACE-First or decoded centroid is itself an outlier (LOF far above 1).
# - *Where the path starts.* At τ = 0 the decoded record is the L-GMVAE's reconstruction of
#   the input (Algorithm 1), not the input itself: the cells marked at τ = 0 are what the
#   reconstruction changes. With `start = "input"` (our extension, a parameter of this
#   chapter) every path starts at the input exactly.
# - *Whether retrained models agree.* A point that every retrained black box also calls the
#   target is robust to model changes. Compare where the agreement curve rises with where the
#   label flips: where it is already at 1 at LAPACE-First, the closest counterfactual on the
#   path already passes every retrained model.
#
# The figures are plain HTML and JavaScript (Plotly, shipped with this site): they work
# offline, without a running Python kernel.

# %% tags=["remove-input", "reference-status"]
from lapace_book.show.paper_scale import show

show("explorer")  # this chapter's paper-scale numbers (reference run) and where they stand

# %% tags=["parameters"]
profile = "quick"          # name of the parameter set (profiles/<profile>.yml)
dataset = "adult"          # tabular data set of the first explorer (its pair is the tabular chapter's)
classifier = "rf"          # its black box: "rf" or "nn"
n_inputs = 3               # test inputs predicted 0 (the evaluation chapter's first draw)
n_mnist_inputs = 2         # held-out 5s of the MNIST chapter (the first is its Figure 2's input)
start = "reconstruction"   # where paths start: the paper's "reconstruction", or "input" (ours)
lof_neighbors = 10         # LOF's k, as in the evaluation chapter
seed = 0                   # seed of the pair and of the retrained black boxes
torch_threads = 1          # CPU threads of torch

# %% tags=["remove-cell"]
from lapace_book.parameters import check_parameters; check_parameters(globals(), "explorer")

# %% tags=["remove-cell"]
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm without ipywidgets

import numpy as np
import pandas as pd
import torch
from IPython.display import HTML, Markdown, display
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from lapace import LGMVAE, Lapace, load_mnist
from lapace_book.cache import cached
from lapace_book.benchmark.evaluation import retrained
from lapace_book.experiments.pairs import select_inputs
from lapace.explorer import PATH_COLUMNS, explore, figure_html
from lapace.metrics import lof_model
from lapace_book.experiments.profiles import chapter_parameters, grid_settings, load_pair
from lapace_book.provenance import save_figure, save_table
from lapace_book.show.evidence import evidence
from lapace_book.show.text import a_, class_names

torch.set_num_threads(torch_threads)
NAMES = {"rf": "RF", "nn": "NN"}


# %% tags=["remove-cell"]
def mnist_first():
    """The MNIST chapter's L-GMVAE is loaded, never trained here."""
    raise RuntimeError(f"the MNIST chapter's L-GMVAE for profile {profile!r} is not in the "
                       "artefact cache: build that chapter first (make book CHAPTERS=mnist,explorer).")


def mnist_classifier():
    """The MNIST chapter's digit classifier, trained as it trains it (its cache key names the
    whole package, so a change anywhere in lapace asks for it again: 20 s)."""
    warnings.filterwarnings("ignore", category=ConvergenceWarning)   # stopped by max_iter
    return MLPClassifier(hidden_layer_sizes=(mn["classifier_hidden"],),
                         max_iter=mn["classifier_epochs"], random_state=mn["seed"]).fit(X_fit, y_fit)


def path_summary(ex, what):
    """One paragraph on the explorer's paths: where the label flips, LOF at both ends."""
    t = ex.table
    first = t[t["valid"]].groupby(["input", "path"])["tau"].min()
    ends = t.groupby("tau")["lof"].median()
    n_paths = t.groupby(["input", "path"]).ngroups
    flips = (f"the black box first predicts the target at τ = {first.median():.2f} (median; "
             f"between {first.min():.2f} and {first.max():.2f})" if len(first) else
             "the black box never predicts the target")
    return Markdown(
        f"On these {n_paths} paths {what}, {flips}, and {len(first)} of {n_paths} paths reach "
        f"it. The median LOF is {ends.iloc[0]:.2f} at τ = 0 and {ends.iloc[-1]:.2f} at τ = 1.")


# %% [markdown]
# ## A tabular input: the records along its paths
#
# The pair is one of the {doc}`tabular chapter's <tabular>` (same settings, loaded from the
# artefact cache), explained with `lapace.Lapace` as in the
# {doc}`evaluation chapter <evaluation>`: the inputs are its first test inputs predicted 0,
# LOF is fitted on the training inputs predicted 1 (`lapace.metrics.lof_model`), and the
# retrained black boxes are its own (`lapace_book.benchmark.evaluation.retrained`: half bootstrap resamples,
# half leave-1%-out, as many as the profile's `_grid` names). Every decoded record is projected
# onto the data's domain (categories one-hot, integers rounded) before the black box judges
# it, so the table shows the record it judged, in original units.

# %% tags=["hide-input"]
pair = load_pair(dataset, classifier, profile=profile, seed=seed)
explainer = Lapace(pair.vae, start=start).fit(model=pair.predict, dataset=pair.ds)
X = pair.X_test[select_inputs(pair, n_inputs)]
grid = grid_settings(profile)
models = retrained(pair, grid["n_retrained"], grid["seed"])
lof = lof_model(pair.X_train[pair.predict(pair.X_train) == 1], n_neighbors=lof_neighbors)
tabular = explore(explainer, X, target=1, lof=lof, retrained=models,
                  class_names=class_names(dataset, pair.ds))
name = f"{dataset}-{NAMES[classifier]}"
fig = tabular.figure(f"{name}: paths from {tabular.class_names[0]} to {tabular.class_names[1]}")
_ = save_figure(fig, f"explorer_{dataset}_{classifier}", profile=profile)
_ = save_table(tabular.table, f"explorer_{dataset}_{classifier}", profile=profile, index=False)

# %% tags=["remove-input", "full-width"]
display(HTML(figure_html(fig, div_id=f"explorer-{dataset}-{classifier}")))

# %% [markdown]
# **Figure 6.1.** Path explorer for the tabular pair named in the title. Menu: the input and
# its path (one per centroid of the target label); slider: τ. Top: at this τ, the black
# box's label, the record's LOF and how many retrained black boxes predict the target. Left:
# the input and the decoded record, changed values in yellow. Right: LOF and the share of
# retrained black boxes predicting the target along the whole path, green where the black box
# predicts the target; the dotted line is the slider's τ. The table behind it, one row per
# input, path and step, is saved as `explorer_<dataset>_<classifier>.csv`.

# %% tags=["remove-input"]
display(path_summary(tabular, f"of {name}"))

# %% [markdown]
# ## A digit: the images along its paths
#
# The digits are the {doc}`MNIST chapter's <mnist>`: its L-GMVAE and digit classifier, loaded
# from the artefact cache with the settings the MNIST chapter runs with in this profile
# (`lapace_book.experiments.profiles.chapter_parameters`), its held-out images of the source
# digit that the classifier also calls so, and its target digit (the paper's 5 and 7 unless
# the profile sets others). The first input is the one of that chapter's Figure 2. LOF is
# fitted on the L-GMVAE's training images the classifier calls the target digit; there are no
# retrained classifiers here, so the lower panel shows the classifier's label along the path:
# watch for the digits it passes through on the way.

# %% tags=["hide-input"]
mn = chapter_parameters("mnist", profile)          # the MNIST chapter's own settings
X_all, y_all = load_mnist(mn["split"])
idx_fit, idx_test = train_test_split(np.arange(len(y_all)), test_size=mn["n_classifier_test"],
                                     stratify=y_all, random_state=mn["seed"])
data_params = {k: mn[k] for k in ("split", "n_classifier_test", "seed")}
recipe = {} if mn["objective"] == "paper" else {"likelihood": mn["likelihood"]}
vae_params = {**data_params, "labels": "true", **{k: mn[k] for k in (
    "latent_dim", "hidden_dim", "clusters_per_class", "loss_weights", "objective", "lr")},
    **recipe, **{k: mn[k] for k in ("batch_size", "max_epochs", "patience", "validation_fraction")}}
vae = cached("lgmvae_mnist", vae_params, compute=mnist_first, save=lambda m, p: m.save(p),
             load=LGMVAE.load, suffix=".pt", code=("lapace.lgmvae.model",))
X_fit, y_fit = X_all[idx_fit], y_all[idx_fit]
clf = cached("mnist_classifier", {**data_params, "model": "MLPClassifier",
                                  "hidden": mn["classifier_hidden"],
                                  "max_iter": mn["classifier_epochs"]}, compute=mnist_classifier)

# %% tags=["hide-input"]
X_test, y_test = X_all[idx_test], y_all[idx_test]
source, target = mn["source_digit"], mn["target_digit"]
is_source = np.flatnonzero((y_test == source) & (clf.predict(X_test) == source))
digits = Lapace(vae, steps=mn["steps"], repair_centroids=mn["repair_centroids"], eta=mn["eta"],
                max_corrections=mn["max_corrections"]).fit(model=clf.predict)
lof_digits = lof_model(X_fit[clf.predict(X_fit) == target], n_neighbors=lof_neighbors)
images = explore(digits, X_test[is_source[:n_mnist_inputs]], target=target, lof=lof_digits,
                 image_shape=(28, 28))
fig_digits = images.figure(f"MNIST: paths from {a_(source)} to the centroids of {target}")
_ = save_figure(fig_digits, "explorer_mnist", profile=profile)
_ = save_table(images.table[PATH_COLUMNS], "explorer_mnist", profile=profile, index=False)

# %% tags=["remove-input", "full-width"]
display(HTML(figure_html(fig_digits, div_id="explorer-mnist")))

# %% tags=["remove-input", "reading"]
display(Markdown(
    f"**Figure 6.2.** Path explorer for held-out MNIST {source}s and the centroids of {target} "
    "(the MNIST chapter's Figure 2 paths, every τ). Menu: the input and its path; slider: τ. "
    "Left: the input and the decoded image at this τ; top: the digit classifier's label and the "
    "image's LOF; right: LOF and the classifier's label along the whole path, green where it "
    f"reads {a_(target)}. The table (without the pixels) is saved as `explorer_mnist.csv`."))

# %% tags=["remove-input"]
display(path_summary(images, f"from {a_(source)} to {a_(target)}"))

# %% [markdown]
# ## How the explorer is built
#
# `lapace.explorer.explore` explains the inputs (`Lapace.explain_paths`) and tabulates every
# point of every path: τ, the black box's label, LOF, the retrained models' agreement and the
# decoded record. `PathExplorer.figure` turns the table into one Plotly figure in which every τ
# is an animation frame holding that step of every path: the menu shows one path's traces, the
# slider moves all of them to its τ. The page loads plotly.js from the site itself
# (`book/_ext/lapace_sphinx.py` adds it to the pages that hold a Plotly figure), and the site
# check (`scripts/check_site.py`) clicks the slider and the menu in a headless browser, offline,
# to make sure both change what the figure shows.

# %% [markdown]
# ## Exercises
#
# Each exercise says what kind it is, how long it runs and how to check your answer; the
# solutions are folded away until you open them. Commands run from the repository's root.
#
# **Exercise 1 (parameters, about a minute with the tabular and MNIST chapters cached).**
# Anchor the paths at the input:
#
# ```bash
# make chapter CHAPTER=explorer SET="start=input"
# # or: jupytext --sync notebooks/explorer.py
# #     papermill notebooks/explorer.ipynb explorer-input.ipynb --cwd notebooks -p start input
# ```
#
# Slide to τ = 0 on a few paths: which cells are marked yellow now, and where does the label
# flip compared with this page? Then try another pair, `SET="dataset=compas classifier=nn"`.
#
# ````{admonition} Solution
# :class: dropdown
#
# With `start="input"` every path starts at the input itself, so no cell is yellow at τ = 0 and
# the τ = 1 record (the decoded centroid) is unchanged. Where the reconstruction already lay
# on the target's side, this page's LAPACE-First was at τ = 0, a "counterfactual" that only
# differs from the input by the reconstruction error; anchored at the input, the first green
# point moves to a τ where the path itself has changed the record.
# ````
#
# **Exercise 2 (coding, a second).** From the explorer's table (`tabular.table`: one row per
# input, path and step), find for every path the τ of LAPACE-First (the first valid step) and
# the τ with the lowest LOF. On how many paths does the most plausible point come after
# LAPACE-First? Check: the number of rows is inputs × paths × steps.
#
# ````{admonition} Solution
# :class: dropdown
#
# Group the table by input and path; `valid` marks the points the black box predicts as the
# target, `lof` their plausibility. The cell below counts the paths. Where the lowest LOF lies
# after LAPACE-First, the user trades proximity for plausibility by walking further (§4.2).
# ````

# %% tags=["hide-cell"]
t = tabular.table
n_paths = t.groupby(["input", "path"]).ngroups
assert len(t) == n_paths * t["step"].nunique()
first_valid = t[t["valid"]].groupby(["input", "path"])["tau"].min()
most_plausible = t.loc[t.groupby(["input", "path"])["lof"].idxmin()].set_index(["input", "path"])["tau"]
later = (most_plausible.reindex(first_valid.index) > first_valid).sum()
print(f"{n_paths} paths, {len(first_valid)} with a LAPACE-First; on {later} of them the lowest "
      "LOF comes after LAPACE-First")

# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # LAPACE in one picture (Figure 1)
#
# The paper opens with a picture of its method (Figure 1): a classifier splits the input space
# (left); an L-GMVAE, trained on the classifier's predictions, gives every label its own
# clusters in a latent space, each with a centroid (middle); and LAPACE explains an input by
# walking in the latent space from the input's code to every centroid of the desired label,
# decoding each step into a counterfactual, so that one input gets several paths that end in
# prototypes of the other label (right). This page redraws it with the package's own code on a
# 2-D toy data set, two moons, so that the latent space and the input space can both be drawn
# as they are. The {doc}`next chapter <elbo>` derives the L-GMVAE's objective; the
# {doc}`MNIST chapter <mnist>` does the same on images.

# %% tags=["remove-input", "reference-status"]
from lapace_book.show.paper_scale import show

show("figure1")  # this chapter's paper-scale numbers (reference run) and where they stand

# %% tags=["parameters"]
profile = "quick"        # name of the parameter set (profiles/<profile>.yml)
n_samples = 600          # points of the two moons
noise = 0.15             # noise of make_moons
clusters_per_class = 3   # K_y: clusters per label
latent_dim = 2           # h: two dimensions, so that the latent space is drawn as it is
max_epochs = 100         # L-GMVAE epoch budget
steps = 11               # tau values from 0 to 1 along each path
seed = 0                 # seed of the data, the classifier and the L-GMVAE

# %% tags=["remove-cell"]
from lapace_book.parameters import check_parameters; check_parameters(globals(), "figure1")

# %% tags=["remove-cell"]
import numpy as np
import torch
from sklearn.datasets import make_moons
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import MinMaxScaler

from lapace import LGMVAE, Lapace
from lapace_book.show.plots import figure1
from lapace_book.provenance import save_figure

torch.set_num_threads(1)

# %%
X, y_true = make_moons(n_samples, noise=noise, random_state=seed)
X = MinMaxScaler().fit_transform(X).astype(np.float32)
clf = MLPClassifier((32, 32), max_iter=2000, random_state=seed).fit(X, y_true)
labels = clf.predict(X)

# %% [markdown]
# The classifier is a small MLP; the L-GMVAE is trained on its predictions, as §3.1 asks, with
# `clusters_per_class` clusters per label and a two-dimensional latent space. LAPACE then
# explains the left tip of the blue moon (label 0) towards label 1. Its paths start at the
# input itself (`start="input"`, this project's extension); the paper's Algorithm 1 starts at
# the input's reconstruction, which a model this small draws away from the input.

# %%
vae = LGMVAE(n_labels=2, clusters_per_class=clusters_per_class, latent_dim=latent_dim,
             hidden_dim=32, max_epochs=max_epochs, batch_size=64, seed=seed,
             verbose=False).fit(X, labels)
explainer = Lapace(vae, steps=steps, start="input").fit(model=clf.predict)
x0 = X[labels == 0][np.argmin(X[labels == 0, 0])][None]
res = explainer.explain_paths(x0, target=1)
xx, yy = np.meshgrid(np.linspace(-0.05, 1.05, 200), np.linspace(-0.05, 1.05, 200))
zz = clf.predict(np.c_[xx.ravel(), yy.ravel()]).reshape(xx.shape)
fig = figure1(X, labels, (xx, yy, zz), vae.encode(X, labels), vae.predict_cluster(X, labels),
              vae.centroids(), x0[0], res.paths[0], res.labels[0])
_ = save_figure(fig, "figure1_toy", profile=profile)

# %% [markdown]
# **Figure 1 (paper), redrawn.** Left: two moons coloured by the classifier's prediction, on its
# decision regions. Middle: the latent means $z$ of the points, coloured by their most likely
# cluster (blues: label 0's clusters, reds: label 1's), with the centroids of $p(z\mid c)$
# (crosses). Right: LAPACE's paths from the input (star) to the decoded centroids of label 1;
# each path point is filled red where the classifier gives it label 1 and open where it gives
# label 0, so the first red point of each path is its closest counterfactual and the last point
# the prototype it leads to. A path need not stay red once it turns red, and its ends need
# not be far apart: what this build's picture shows is computed below it.

# %% tags=["remove-input", "reading"]
from IPython.display import Markdown

from lapace_book.show.readings import figure1_reading

Markdown(figure1_reading(res.labels[0], vae.centroids(1), vae.centroids(), res.paths[0], res.taus))

# %% [markdown]
# ## Exercises
#
# Each exercise says what kind it is, how long it runs on a laptop and how to check your
# answer; the solutions are folded away until you open them. The commands run from the
# repository's root (`make chapter` executes one chapter with the parameters you set; the
# course guide, {doc}`/book/course`, shows the notebook way too).
#
# **Exercise 1 (parameters, about 1 minute).** Redraw the figure with another seed,
#
# ```bash
# make chapter CHAPTER=figure1 SET="seed=1"
# # or: jupytext --sync notebooks/figure1.py
# #     papermill notebooks/figure1.ipynb figure1-seed1.ipynb --cwd notebooks -p seed 1
# ```
#
# and compare the two pictures: how many paths reach label 1, where each first turns red,
# whether one turns back, whether two centroids of label 1 nearly coincide. Check your reading
# against the sentence under the figure, which is computed from the picture it describes.
#
# ````{admonition} Solution
# :class: dropdown
#
# The seed changes the data (the noise of `make_moons`), the classifier's initial weights and
# the L-GMVAE's, so the learned centroids move: where they lie is one outcome of training, not
# a property of the method. What cannot change: every input gets `clusters_per_class` paths,
# each starts at the input (`start="input"`) and ends at a decoded centroid of label 1, and the
# classifier judges every point. A path that turns back or two paths that share an end are
# both possible under any seed, which is why the sentence under the figure is computed rather
# than written.
# ````
#
# **Exercise 2 (parameters, about 1 minute).** Set `clusters_per_class=1` (then 5):
# `make chapter CHAPTER=figure1 SET="clusters_per_class=1"`. With one cluster, where does label
# 1's only prototype lie relative to the red moon, and does the classifier give it label 1?
#
# ````{admonition} Solution
# :class: dropdown
#
# One Gaussian per label is fitted to a crescent, so its mean tends to fall inside the
# crescent's hollow, off the data and possibly on the other label's side of the boundary: look
# whether the single path's last point is red. Several clusters per label let each prototype
# sit on the data, which is what §3.1 calls *meaningful centroids*; five clusters give five
# paths and more choice, at the price of prototypes learned from fewer points each.
# ````
#
# **Exercise 3 (coding, under a second).** Explain the other way: take the right tip of the
# red moon (the label-1 point with the largest $x_1$) and ask the chapter's `explainer` for
# its paths to label 0. Check: the result holds `clusters_per_class` paths of `steps` points in
# two dimensions, and you can say for each path at which τ it first reaches label 0 and
# whether its last point (a decoded centroid of label 0) is predicted 0.
#
# ````{admonition} Solution
# :class: dropdown
#
# `explain_paths(x1, target=0)` on the same fitted explainer: LAPACE needs no retraining to
# explain towards another label, only the centroids of that label. The cell below (open it)
# computes the table.
# ````

# %% tags=["hide-cell"]
import pandas as pd

x1 = X[labels == 1][np.argmax(X[labels == 1, 0])][None]       # the right tip of the red moon
back = explainer.explain_paths(x1, target=0)
assert back.paths.shape == (1, clusters_per_class, steps, 2)
pd.DataFrame({"first τ predicted 0": [f"{back.taus[i]:.2f}" if i >= 0 else "never"
                                      for i in back.first_index[0]],
              "last point predicted 0": back.labels[0, :, -1] == 0},
             index=pd.Index(range(1, clusters_per_class + 1), name="path"))

# %% [markdown]
# **Exercise 4 (coding, under a second).** This page's paths start at the input
# (`start="input"`). Build the paper's version, `Lapace(vae, steps=steps)` (its default start
# is the reconstruction), and measure how far its τ = 0 points lie from the input. Check: with
# `start="input"` that distance is zero up to floating-point error.
#
# ````{admonition} Solution
# :class: dropdown
#
# Algorithm 1 decodes $z_x$ at τ = 0, so its paths start at the reconstruction
# $\mathrm{Dec}(z_x)$, one reconstruction error away from $x$; `start="input"` adds the fading
# residual $(1-\tau)(x - \mathrm{Dec}(z_x))$ to every point, so τ = 0 is $x$ itself and τ = 1
# is the decoded centroid in both versions. The cell below computes both distances.
# ````

# %% tags=["hide-cell"]
paper_start = Lapace(vae, steps=steps).fit(model=clf.predict).explain_paths(x0, target=1)
gap_paper = np.abs(paper_start.paths[0, :, 0] - x0).sum(-1)      # L1, one value per path
gap_input = np.abs(res.paths[0, :, 0] - x0).sum(-1)
assert gap_input.max() < 1e-5 and np.allclose(paper_start.paths[0, :, -1], res.paths[0, :, -1])
print(f"L1 distance from x to the τ = 0 point: {gap_paper.mean():.3f} (start='reconstruction'), "
      f"{gap_input.max():.1e} (start='input')")

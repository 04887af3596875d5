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

# %%
import numpy as np
import torch
from sklearn.datasets import make_moons
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import MinMaxScaler

from lapace import LGMVAE, Lapace
from lapace_book.show.plots import figure1
from lapace_book.provenance import save_figure

torch.set_num_threads(1)
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
# not be far apart: in this build's picture the upper path crosses back into label 0's region
# for one point before its end, and two of label 1's three centroids lie close together in the
# latent space, so two of the three paths nearly coincide and end close together.

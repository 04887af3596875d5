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
# # The ELBO of the L-GMVAE
#
# The L-GMVAE of {cite:t}`jiang2025lapace` is trained by maximising an evidence lower bound
# (ELBO, the paper's Eq. 3). This chapter derives that bound step by step, first for the
# Gaussian mixture VAE of {cite:t}`shu2016gmvae` (the paper's Appendix A), then with the label
# conditioning that makes it an L-GMVAE, and names for every term the `lapace` function that
# computes it. Then it checks the mathematics numerically on a small model trained on one of
# the paper's tabular data sets (red *wine* by default; the parameter `dataset`): the analytic
# KL terms against Monte Carlo estimates, the ELBO against an
# importance-sampled estimate of $\log p(x\mid y)$, and how the loss weights of the paper's
# Table 4 move the balance between the three terms.

# %% tags=["remove-input", "reference-status"]
from lapace_book.show.paper_scale import show

show("elbo")  # this chapter's paper-scale numbers (reference run) and where they stand

# %% tags=["parameters"]
profile = "quick"           # name of the parameter set (profiles/<profile>.yml)
dataset = "wine"            # tabular data set of the numerical checks
max_rows = None             # optional stratified subsample of the data set (None: all rows)
clusters_per_class = 5      # K_y, as in the paper's tabular models (Appendix C)
latent_dim = 8              # h, Table 4 for wine
hidden_dim = 64             # MLP width (the paper: 512; the paper profile uses it)
loss_weights = [0.1, 0.05, 1.0]  # (w_klz, w_klc, w_rec) of the checked model: Table 4, wine-RF
batch_size = 128            # mini-batch size (Table 4, wine-RF: 64; the paper profile uses it)
lr = 0.001                  # Adam learning rate
max_epochs = 60             # epoch budget (early stopping below)
patience = 10               # epochs without a better validation loss before stopping
n_eval = 200                # test inputs on which the checks are made
mc_samples = [1, 3, 10, 30, 100, 300, 1000, 3000, 10000]   # Monte Carlo sample counts (KL)
is_samples = [1, 3, 10, 30, 100, 300, 1000]                # importance sample counts
elbo_samples = 100          # z draws averaged for the ELBO's expectation over z
weight_settings = [[1.0, 1.0, 1.0], [0.5, 0.3, 1.0], [0.1, 0.1, 1.0], [0.1, 0.05, 1.0]]
seed = 0                    # seed of the split, the training and the sampling
torch_threads = 1           # CPU threads of torch: 1 is fastest on a busy 2-core machine

# %% tags=["remove-cell"]
from lapace_book.parameters import check_parameters; check_parameters(globals(), "elbo")

# %% tags=["remove-cell"]
import warnings

import numpy as np
import pandas as pd
import torch
from scipy.spatial.distance import pdist

warnings.filterwarnings("ignore", message="IProgress not found")   # tqdm without ipywidgets
from lapace import LGMVAE, load_dataset
from lapace.lgmvae import elbo as E
from lapace.lgmvae import likelihood as L
from lapace_book.cache import cached
from lapace.lgmvae.model import RECIPES
from lapace_book.show.plots import elbo_bound, kl_convergence, loss_weight_bars
from lapace_book.show.evidence import evidence
from lapace_book.show.readings import describe_data, elbo_bound_reading, loss_weight_reading
from IPython.display import Markdown, display
from lapace_book.provenance import save_figure, save_table

torch.set_num_threads(torch_threads)
_ = torch.manual_seed(seed)

# %% [markdown]
# ## From the GMVAE to Eq. 3
#
# ### The GMVAE (Appendix A)
#
# An input $x$ is generated from a latent $z\in\mathbb{R}^h$ whose prior is a mixture of $K$
# Gaussians, the component chosen by a discrete $c\in\{1,\dots,K\}$:
#
# $$
# \begin{aligned}
# p(x, c, z) &= p(c)\,p(z\mid c)\,p(x\mid z),\qquad p(c) = \tfrac1K,\\
# p(z\mid c) &= \mathcal N\big(z\mid \mu_z(c), \sigma_z^2(c)\big),\qquad
# p(x\mid z) = \mathcal N\big(x\mid \mu_x(z), \sigma_x^2(z)\big).
# \end{aligned}
# $$ (eq-gmvae-joint)
#
# The approximate posterior is factorised like the generative model,
#
# $$
# q(z, c\mid x) = q(c\mid x)\,q(z\mid x, c),
# $$ (eq-gmvae-q)
#
# with $q(c\mid x)$ categorical and $q(z\mid x,c)$ a diagonal Gaussian. For any such $q$,
# multiplying and dividing by $q$ inside the marginal and applying Jensen's inequality to the
# concave logarithm gives the bound
#
# $$
# \begin{aligned}
# \log p(x) &= \log \mathbb E_{q(z,c\mid x)}\!\left[\frac{p(x,c,z)}{q(z,c\mid x)}\right]\\
# &\ge \mathbb E_{q(z,c\mid x)}\big[\log p(x,c,z) - \log q(z,c\mid x)\big],
# \end{aligned}
# $$ (eq-gmvae-jensen)
#
# and substituting the factorisations {eq}`eq-gmvae-joint` and {eq}`eq-gmvae-q` splits the
# log-ratio into three terms (the paper's Eq. 6):
#
# $$
# \mathcal L_\text{ELBO} = \mathbb E_{q(z,c\mid x)}\left[\log\frac{p(c)}{q(c\mid x)}
# + \log\frac{p(z\mid c)}{q(z\mid x,c)} + \log p(x\mid z)\right].
# $$ (eq-gmvae-elbo)
#
# ### Conditioning on the label (Eq. 1–3)
#
# The L-GMVAE partitions the $K$ clusters among the $L$ labels, $\mathcal C = \mathcal C_1\cup
# \dots\cup\mathcal C_L$, and conditions the generative and inference models on the label $y$.
# Only the cluster prior changes: it is uniform over the label's own clusters,
#
# $$
# \begin{aligned}
# p(x, c, z\mid y) &= p(c\mid y)\,p(z\mid c)\,p(x\mid z),\\
# p(c\mid y) &= \frac{1}{|\mathcal C_y|}\ \text{ if } c\in\mathcal C_y \text{ (else 0)},
# \end{aligned}
# $$ (eq-lgmvae-joint)
#
# $$
# q(z, c\mid x, y) = q(c\mid x, y)\,q(z\mid x, c, y).
# $$ (eq-lgmvae-q)
#
# Because $p(c\mid y)=0$ outside $\mathcal C_y$, the marginal sums over $c\in\mathcal C_y$ only,
# and $q(c\mid x,y)$ must put all its mass there too (otherwise the KL below is infinite).
# Repeating the argument of {eq}`eq-gmvae-jensen` for $p(x\mid y)$:
#
# $$
# \begin{aligned}
# \log p(x\mid y) &= \log\int_z\sum_{c\in\mathcal C_y} q(z,c\mid x,y)\,
# \frac{p(x,z,c\mid y)}{q(z,c\mid x,y)}\,dz\\
# &\ge \mathbb E_{q(z,c\mid x,y)}\left[\log\frac{p(x,z,c\mid y)}{q(z,c\mid x,y)}\right].
# \end{aligned}
# $$ (eq-lgmvae-jensen)
#
# Substituting {eq}`eq-lgmvae-joint` and {eq}`eq-lgmvae-q` and writing the expectation over
# $c$ as the finite sum it is, $\mathbb E_{q(z,c\mid x,y)}[f] = \sum_{c\in\mathcal C_y}
# q(c\mid x,y)\,\mathbb E_{q(z\mid x,c,y)}[f]$, gives Eq. 3 term by term:
#
# $$
# \begin{aligned}
# \mathcal L_\text{ELBO, LGMVAE}
# = {}& \underbrace{-\operatorname{KL}\big(q(c\mid x,y)\,\|\,p(c\mid y)\big)}_{-\mathrm{KL}(c)}\\
# & \underbrace{-\sum_{c\in\mathcal C_y} q(c\mid x,y)\,
#   \operatorname{KL}\big(q(z\mid x,c,y)\,\|\,p(z\mid c)\big)}_{-\mathrm{KL}(z)}\\
# & +\underbrace{\sum_{c\in\mathcal C_y} q(c\mid x,y)\,
#   \mathbb E_{q(z\mid x,c,y)}\big[\log p(x\mid z)\big]}_{\text{Reconstruction}}.
# \end{aligned}
# $$ (eq-lgmvae-elbo)
#
# The first term does not depend on $z$, so its expectation over $z$ is itself; the second and
# third are the $q(c\mid x,y)$-weighted averages of one KL and one expectation per cluster.
# In `lapace`:
#
# | term of {eq}`eq-lgmvae-elbo` | computed by | how |
# |---|---|---|
# | $\mathrm{KL}(c)$ | `lapace.lgmvae.elbo.kl_c(q_c)` | $\sum_c q(c)[\log q(c) + \log\lvert\mathcal C_y\rvert]$, exact |
# | $\mathrm{KL}(z)$ per cluster | `lapace.lgmvae.elbo.kl_z(mu_q, logvar_q, mu_p, logvar_p)` | closed form for diagonal Gaussians |
# | $-\log p(x\mid z)$ up to a constant | `lapace.lgmvae.elbo.reconstruction(x, x_out, mask)` | squared error summed over continuous columns + BCE on one-hot columns |
# | the sum over $c\in\mathcal C_y$ | `LGMVAENet.forward` | visits every cluster of $\mathcal C_y$, weights by $q(c\mid x,y)$ (`q_c_probs`), one reparameterised $z$ per $(x,c)$ |
#
# `q_c_probs` takes the softmax over the logits of $\mathcal C_y$ only, which is how $q$ is
# kept on the label's clusters. Training minimises the *weighted* negative,
# $w_z\,\mathrm{KL}(z) + w_c\,\mathrm{KL}(c) + w_x\,\mathrm{rec}$ (`LGMVAE(loss_weights=...)`),
# which is the negative ELBO only when all weights are 1.
#
# **Which likelihood?** The paper calls the reconstruction term an MSE loss. In `lapace` it is
# the squared error *summed* over the columns, not halved, so it equals $-\log p(x\mid z)$ up to
# a constant for a Gaussian with variance $\tfrac12$ on every continuous column:
# $-\log\mathcal N(x\mid m,\tfrac12) = (x-m)^2 + \tfrac12\log\pi$. (A unit-variance Gaussian
# would give $\tfrac12(x-m)^2$, half the trained term, and a different bound.) One-hot columns
# get a Bernoulli, whose negative log-probability is the binary cross-entropy. With this
# likelihood (`lapace.lgmvae.elbo.log_px_given_z`) the ELBO is exactly
# $-(\mathrm{KL}(c)+\mathrm{KL}(z)+\mathrm{rec}) - \tfrac{d_\text{cont}}{2}\log\pi$.

# %% [markdown]
# ## A small model to check the mathematics on
#
# We train an L-GMVAE on the data set named by `dataset` (described under the table below)
# with the parameters above, Appendix B's networks ($q(z\mid x,c,y)$) and
# the fixed-variance likelihood just described: the bound is checked for Eq. 3's likelihood,
# which `lapace.LGMVAE`'s default recipe replaces by a calibrated one ({doc}`Why the clusters collapse
# <collapse>`). For a check of the mathematics the labels
# are the ground truth; the {doc}`tabular chapter <tabular>` trains on a classifier's predictions as §3.1 asks.

# %%
ds = load_dataset(dataset, seed=seed, max_rows=max_rows)
X_train, y_train = ds.encode(ds.X_train), np.asarray(ds.y_train)
X_test, y_test = ds.encode(ds.X_test), np.asarray(ds.y_test)
rng = np.random.default_rng(seed)
pick = rng.choice(len(X_test), min(n_eval, len(X_test)), replace=False)
X_eval, y_eval = X_test[pick], y_test[pick]


#: Appendix B's encoder and Eq. 3's likelihood, with lapace's marginal KL(c)
RECIPE = {"objective": "marginal", **RECIPES["paper"]}


def train(weights):
    """The L-GMVAE of this chapter with ``weights``, trained once and cached."""
    params = dict(dataset=dataset, max_rows=max_rows, seed=seed, n_labels=2,
                  clusters_per_class=clusters_per_class, latent_dim=latent_dim,
                  hidden_dim=hidden_dim, loss_weights=list(weights), batch_size=batch_size,
                  lr=lr, max_epochs=max_epochs, patience=patience, labels="true", **RECIPE)
    model = LGMVAE(n_labels=2, clusters_per_class=clusters_per_class, latent_dim=latent_dim,
                   hidden_dim=hidden_dim, loss_weights=tuple(weights), batch_size=batch_size,
                   lr=lr, max_epochs=max_epochs, patience=patience, seed=seed, verbose=False,
                   **RECIPE)
    return cached("lgmvae_elbo", params, compute=lambda: model.fit(X_train, y_train),
                  save=lambda m, p: m.save(p), load=LGMVAE.load, suffix=".pt")


vae = train(loss_weights)
model_summary = pd.DataFrame({"rows (train / test)": [f"{len(X_train)} / {len(X_test)}"],
                              "features": [X_train.shape[1]], "epochs run": [vae.n_epochs_],
                              "best epoch": [vae.best_epoch_]}, index=[dataset])
_ = save_table(model_summary, "eq3_model", profile=profile)
model_summary

# %% tags=["remove-input", "reading"]
display(Markdown(describe_data(ds, dataset) + " The labels are the data's own, as said above."))

# %% [markdown]
# ## Check 1: the analytic KL terms against Monte Carlo
#
# For every evaluation input and every cluster $c$ of its label we take the encoder's
# $q(z\mid x,c,y)$ and the prior $p(z\mid c)$, and compare `kl_z` with the Monte Carlo estimate
# $\frac1S\sum_s[\log q(z_s) - \log p(z_s)]$, $z_s\sim q$, computed with `torch.distributions`
# (`lapace.lgmvae.likelihood.mc_kl_z`); likewise `kl_c` against `mc_kl_c`, with $c_s\sim q(c\mid x,y)$.
# The KL(z) of this check is therefore an unweighted mean over (input, cluster) pairs, whereas
# Eq. 3's KL(z) (the one in Check 3's table) weights each cluster's term by $q(c\mid x,y)$: the
# two differ for the same model. KL(c) is the same per-input term in both.

# %%
with torch.no_grad():
    net = vae.net_
    x_t, y_t = torch.as_tensor(X_eval), torch.as_tensor(y_eval)
    q_c = net.q_c_probs(x_t, y_t)                                   # (n, K_y)
    c_all = net.clusters_of(y_t).reshape(-1)                        # (n*K_y,)
    mu_q, lv_q = net.q_z_params(x_t.repeat_interleave(clusters_per_class, 0),
                                y_t.repeat_interleave(clusters_per_class, 0), c_all)
    mu_p, lv_p = net.prior(c_all)
    kl_z_exact = float(E.kl_z(mu_q, lv_q, mu_p, lv_p).mean())
    kl_c_exact = float(E.kl_c(q_c).mean())

rows = []
for S in mc_samples:
    per_z = L.mc_kl_z(mu_q, lv_q, mu_p, lv_p, n_samples=S, seed=seed)
    per_c = L.mc_kl_c(q_c, n_samples=S, seed=seed)
    rows.append({"S": S, "kl_z (MC)": float(per_z.mean()), "kl_c (MC)": float(per_c.mean()),
                 "kl_z abs. error per input": float((per_z - E.kl_z(mu_q, lv_q, mu_p, lv_p)).abs().mean()),
                 "kl_c abs. error per input": float((per_c - E.kl_c(q_c)).abs().mean())})
mc = pd.DataFrame(rows).set_index("S")
_ = save_table(mc.assign(kl_z_analytic=kl_z_exact, kl_c_analytic=kl_c_exact),
               "eq3_kl_monte_carlo", profile=profile)

# %% tags=["hide-input"]
fig = kl_convergence(mc, kl_z_exact, kl_c_exact)
_ = save_figure(fig, "eq3_kl_monte_carlo", profile=profile)

# %% [markdown]
# **Figure 1.1.** Top: the mean over all (input, cluster) pairs of the Monte Carlo
# estimate of KL(z), and over inputs of KL(c), against the number of samples $S$; the dashed
# line is the closed form computed by `lapace.lgmvae.elbo.kl_z` / `kl_c`. Bottom: the mean absolute
# error per input falls like $1/\sqrt S$, as a Monte Carlo error must; the closed forms have no
# such error, which is why the paper uses them ("The KL terms are expressed analytically").

# %%
kl_check = pd.DataFrame({
    "analytic": [kl_z_exact, kl_c_exact],
    f"MC, S={mc.index[-1]}": [mc["kl_z (MC)"].iloc[-1], mc["kl_c (MC)"].iloc[-1]],
    "difference": [mc["kl_z (MC)"].iloc[-1] - kl_z_exact, mc["kl_c (MC)"].iloc[-1] - kl_c_exact],
}, index=["KL(z)", "KL(c)"]).round(4)
_ = save_table(kl_check, "eq3_kl_check", profile=profile)
kl_check

# %% [markdown]
# ## Check 2: the ELBO is a lower bound on $\log p(x\mid y)$
#
# The inequality in {eq}`eq-lgmvae-jensen` is Jensen's. Its left side can be estimated by
# importance sampling with $q$ as the proposal,
#
# $$
# \widehat{\log p}_S(x\mid y) = \log\frac1S\sum_{s=1}^S
# \frac{p(x, z_s, c_s\mid y)}{q(z_s, c_s\mid x, y)},\qquad (z_s, c_s)\sim q(z,c\mid x,y),
# $$ (eq-is)
#
# (`lapace.lgmvae.likelihood.importance_log_likelihood`). For $S=1$ its expectation *is* the ELBO;
# its expectation increases with $S$ and tends to $\log p(x\mid y)$ {cite:p}`burda2016importance`.
# The gap between them is $\operatorname{KL}(q(z,c\mid x,y)\,\|\,p(z,c\mid x,y))$ at $S=1$.
# The ELBO itself is computed from the three terms of `LGMVAENet.forward`, averaged over
# `elbo_samples` draws of $z$ (`lapace.lgmvae.likelihood.elbo`).

# %%
elbo_eval = L.elbo(vae, X_eval, y_eval, n_samples=elbo_samples, seed=seed)
is_est = {S: L.importance_log_likelihood(vae, X_eval, y_eval, n_samples=S, seed=seed)
          for S in is_samples}
bound = pd.DataFrame({
    "S": is_samples,
    "mean IS estimate": [is_est[S].mean() for S in is_samples],
    "mean ELBO": elbo_eval.mean(),
    "mean gap (IS − ELBO)": [(is_est[S] - elbo_eval).mean() for S in is_samples],
    "share of inputs with ELBO ≤ IS": [(elbo_eval <= is_est[S]).mean() for S in is_samples],
}).set_index("S")
_ = save_table(bound, "eq3_elbo_bound", profile=profile)
bound.round(3)

# %% tags=["hide-input"]
gaps = np.stack([is_est[S] - elbo_eval for S in is_samples], 1)   # (n, S)
fig = elbo_bound(bound, gaps)
_ = save_figure(fig, "eq3_elbo_bound", profile=profile)

# %% [markdown]
# **Figure 1.2.** Left: the mean ELBO (dashed) and the mean importance-sampled estimate of
# $\log p(x\mid y)$ against the number of samples $S$. Right: the difference per input (median
# and 10–90% band). At $S=1$ the estimate is a noisy, unbiased sample of the ELBO, so the mean
# difference can only be Monte Carlo noise; as $S$ grows the estimate's expectation rises
# towards $\log p(x\mid y)$, so the ELBO's gap to the ever-better estimates *grows* with $S$
# towards the true gap $\operatorname{KL}(q\,\|\,p(z,c\mid x,y))$. What this build's numbers
# show:

# %% tags=["remove-input", "reading"]
Markdown(elbo_bound_reading(bound, gaps))

# %%
s_max = is_samples[-1]
bound_check = pd.DataFrame({
    "claim (Eq. 3)": ["ELBO ≤ log p(x|y)"],
    f"ours: mean gap at S={s_max} (nats)": [round(float(bound['mean gap (IS − ELBO)'].iloc[-1]), 3)],
    f"ours: share of inputs with ELBO ≤ IS estimate at S={s_max}": [float(bound.iloc[-1, -1])],
})
_ = save_table(bound_check, "eq3_bound_check", profile=profile)
bound_check

# %% [markdown]
# ## Check 3: how Table 4's loss weights move the balance
#
# Table 4 trains the tabular L-GMVAEs with loss weights $(w_z, w_c, w_x)$ such as
# $(0.1, 0.1, 1)$ or $(0.5, 0.3, 1)$ rather than the unweighted ELBO $(1,1,1)$ of the MNIST
# model. Down-weighting the two KL terms lets the encoder spend more information on each
# input (better reconstructions) at the price of a less regular latent space. We train one
# model per setting of `weight_settings` (same data, seed and budget) and compare, on the
# evaluation inputs: the three *unweighted* terms, the unweighted ELBO, and how distinct the
# decoded centroids are (mean pairwise Euclidean distance between the $2K_y$ decoded centroids
# in the scaled feature space).

# %%
rows = []
for w in weight_settings:
    model = train(w)
    t = model.elbo_terms(X_eval, y_eval, seed=seed)
    rows.append({"weights (w_z, w_c, w_x)": str(tuple(w)), "KL(z)": t["kl_z"].mean(),
                 "KL(c)": t["kl_c"].mean(), "rec (sum of squares)": t["rec"].mean(),
                 "ELBO": L.elbo(model, X_eval, y_eval, n_samples=elbo_samples, seed=seed).mean(),
                 "centroid distinctness": pdist(model.decoded_centroids()).mean(),
                 "epochs": model.n_epochs_})
weights_table = pd.DataFrame(rows).set_index("weights (w_z, w_c, w_x)")
_ = save_table(weights_table, "table4_loss_weights", profile=profile)
weights_table.round(3)

# %% tags=["hide-input"]
fig = loss_weight_bars(weights_table, ["KL(z)", "KL(c)", "rec (sum of squares)", "ELBO",
                                       "centroid distinctness"])
_ = save_figure(fig, "table4_loss_weights", profile=profile)

# %% [markdown]
# **Figure 1.3.** The unweighted terms of Eq. 3, the ELBO and the distinctness of the decoded
# centroids on the evaluation inputs, for models trained with different loss weights
# $(w_z, w_c, w_x)$ (x axis), all else equal.
#
# What the weights do on this build's data (computed from the table above; "practically zero"
# means below 0.01 nats per input):

# %% tags=["remove-input", "reading"]
Markdown(loss_weight_reading(weights_table, loss_weights, dataset, clusters_per_class))

# %% [markdown]
# A model whose KL(z) is practically zero shows the *posterior collapse* of VAEs
# ({ref}`Does z carry anything? <collapse-z>`) under a weak decoder likelihood: features in
# $[0,1]$ under a variance-½ Gaussian cost so little to model by their mean that encoding
# anything in $z$ does not pay, and the highest ELBO can then belong to a model that is useless
# for LAPACE. Smaller KL weights are how Table 4 buys codes that are used, so that inputs get
# distinct latent codes and the centroids become distinct prototypes (the "meaningful
# centroids" and "diverse representations" of §3.1); whether they do on this build's data is
# read off the table above. Table 4 sets the weights per pair, every one below 1 on the KL
# terms, without saying how they were chosen.

# %% [markdown]
# ## Exercises
#
# Each exercise says what kind it is, how long it runs and how to check your answer; the
# solutions are folded away until you open them. Commands run from the repository's root.
#
# **Exercise 1 (derivation).** Derive the closed form of
# $\operatorname{KL}\big(\mathcal N(\mu_q, \operatorname{diag}\sigma_q^2)\,\|\,
# \mathcal N(\mu_p, \operatorname{diag}\sigma_p^2)\big)$ in $h$ dimensions, the formula
# `lapace.lgmvae.elbo.kl_z` computes. Check it numerically against `torch.distributions` on
# random means and log-variances (a second).
#
# ````{admonition} Solution
# :class: dropdown
#
# A diagonal Gaussian factorises over dimensions, so the KL is a sum of $h$ one-dimensional
# KLs. In one dimension, with $\log\mathcal N(z\mid\mu,\sigma^2) = -\tfrac12\log 2\pi\sigma^2
# - (z-\mu)^2/2\sigma^2$ and $\mathbb E_q[(z-\mu_p)^2] = \sigma_q^2 + (\mu_q-\mu_p)^2$,
#
# $$
# \operatorname{KL}(q\,\|\,p) = \mathbb E_q[\log q - \log p]
# = \tfrac12\Big[\log\frac{\sigma_p^2}{\sigma_q^2}
# + \frac{\sigma_q^2 + (\mu_q-\mu_p)^2}{\sigma_p^2} - 1\Big],
# $$
#
# summed over the $h$ dimensions: `0.5 * (logvar_p - logvar_q + exp(logvar_q - logvar_p) +
# (mu_q - mu_p)**2 * exp(-logvar_p) - 1).sum(-1)`. It is zero exactly when the two Gaussians
# are equal. The cell below checks it against `torch.distributions.kl_divergence`.
# ````

# %% tags=["hide-cell"]
g = torch.Generator().manual_seed(seed)
mq, lq, mp, lp = (torch.randn(1000, latent_dim, generator=g) for _ in range(4))
def normal(mean, logvar):
    return torch.distributions.Independent(torch.distributions.Normal(mean, (0.5 * logvar).exp()), 1)


reference = torch.distributions.kl_divergence(normal(mq, lq), normal(mp, lp))
assert torch.allclose(E.kl_z(mq, lq, mp, lp), reference, rtol=1e-4, atol=1e-4)
print(f"kl_z agrees with torch.distributions on 1000 random pairs in {latent_dim} dimensions "
      f"(largest difference {float((E.kl_z(mq, lq, mp, lp) - reference).abs().max()):.1e} nats)")

# %% [markdown]
# **Exercise 2 (derivation).** Averaged over the inputs of one label, Eq. 3's KL(c) splits into
# two parts: with $\bar q(c\mid y) = \mathbb E_x\,q(c\mid x,y)$ and $U$ uniform over the
# label's $K_y$ clusters, show that
# $\mathbb E_x\operatorname{KL}(q(c\mid x,y)\,\|\,U) = I(x; c\mid y) +
# \operatorname{KL}(\bar q\,\|\,U)$, where $I(x;c\mid y) = \mathbb E_x\operatorname{KL}(q(c\mid
# x,y)\,\|\,\bar q)$. Check it on the chapter's model and evaluation inputs (`q_c` of Check 1):
# both sides must agree to rounding error.
#
# ````{admonition} Solution
# :class: dropdown
#
# Add and subtract $\log\bar q(c)$ inside the expectation:
#
# $$
# \begin{aligned}
# &\mathbb E_x\sum_c q(c\mid x)\log\frac{q(c\mid x)}{U(c)} \\
# &= \mathbb E_x\sum_c q(c\mid x)\log\frac{q(c\mid x)}{\bar q(c)} \\
# &\quad + \sum_c \underbrace{\mathbb E_x\,q(c\mid x)}_{\bar q(c)}\log\frac{\bar q(c)}{U(c)} .
# \end{aligned}
# $$
#
# The first term is the mutual information between the input and its cluster (given the
# label), the second the KL of the mean assignment from uniform: the *balance*. Only the
# second is what §3.1 describes ("promoting the use of all available clusters"); the first
# taxes any dependence of the cluster on the input, which is why the per-sample form collapses
# the clusters ({doc}`collapse`). The cell below computes both sides per label.
# ````

# %% tags=["hide-cell"]
q = q_c.double()
rows = []
for label in np.unique(y_eval):
    ql = q[torch.as_tensor(y_eval == label)]
    q_bar = ql.mean(0)
    mutual = float((ql * (ql.clamp_min(1e-12) / q_bar).log()).sum(1).mean())
    balance = float((q_bar * (q_bar * len(q_bar)).log()).sum())
    rows.append({"label": label, "mean KL(c)": float(E.kl_c(ql).mean()), "I(x; c | y)": mutual,
                 "KL(q̄ ‖ U)": balance})
split = pd.DataFrame(rows).set_index("label")
assert np.allclose(split["mean KL(c)"], split["I(x; c | y)"] + split["KL(q̄ ‖ U)"], atol=1e-6)
split.round(4)

# %% [markdown]
# **Exercise 3 (parameters, about 3 minutes).** Run the chapter on *compas*, whose seven
# features include four categorical ones:
#
# ```bash
# make chapter CHAPTER=elbo SET="dataset=compas"
# # or: jupytext --sync notebooks/elbo.py
# #     papermill notebooks/elbo.ipynb elbo-compas.ipynb --cwd notebooks -p dataset compas
# ```
#
# Which weight settings collapse now, and does KL(c) collapse with KL(z)? Check: the sentences
# under Figure 1.3 are computed from the table, so they should say what you read in it.
#
# ````{admonition} Solution
# :class: dropdown
#
# Look at the KL(z) and KL(c) columns separately. A setting can lose its codes (KL(z) near 0)
# while KL(c) stays high, near $\ln K_y$: the one-hot columns are worth encoding in the choice
# of cluster (a cluster per category combination costs at most $\ln K_y$ nats), while the
# continuous columns are still cheaper to model by their mean. The clusters then differ by the
# inputs they hold, but within a cluster every input decodes alike, and the distinctness of
# the decoded centroids says how far apart the clusters' prototypes lie. The bound of Check 2
# holds whatever the data, because it is Jensen's inequality.
# ````
#
# **Exercise 4 (coding, a few seconds).** The text says the importance-sampled estimate with
# $S = 1$ is an *unbiased* sample of the ELBO. Test it: average the $S = 1$ estimate over 20
# seeds and compare it with the ELBO of Check 2 (`elbo_eval`). Check: the mean difference lies
# within three standard errors of zero.
#
# ````{admonition} Solution
# :class: dropdown
#
# With $S=1$, $\widehat{\log p}_1 = \log p(x,z_1,c_1\mid y) - \log q(z_1,c_1\mid x,y)$, whose
# expectation under $q$ is the ELBO by definition. Each seed gives one draw per input; the
# differences from `elbo_eval` (itself an average of `elbo_samples` draws) average to zero up
# to Monte Carlo noise. The cell below computes the mean difference and its standard error.
# ````

# %% tags=["hide-cell"]
draws = np.stack([L.importance_log_likelihood(vae, X_eval, y_eval, n_samples=1, seed=s)
                  for s in range(seed, seed + 20)])                       # (20, n)
diff = draws.mean(0) - elbo_eval
se = diff.std(ddof=1) / np.sqrt(len(diff))
print(f"mean (S = 1 estimate − ELBO) over {len(diff)} inputs and 20 seeds: {diff.mean():+.4f} "
      f"nats, standard error {se:.4f}: {abs(diff.mean()) / se:.1f} standard errors from zero")

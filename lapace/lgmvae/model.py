"""The Label-conditional Gaussian Mixture VAE (L-GMVAE) estimator, paper §3.1 and Appendix B.

Generative model (Eq. 1):  p(x, c, z | y) = p(c|y) p(z|c) p(x|z), with ``p(c|y)`` uniform
over the clusters ``C_y`` reserved for label ``y``.  Inference model (Eq. 2):
q(z, c | x, y) = q(c|x,y) q(z|x,c,y).  The K = L * K_y clusters are split evenly among
the L labels: label ``y`` owns clusters ``y*K_y, ..., (y+1)*K_y - 1``.

The estimator: its settings, training loop and inference.  Networks: :mod:`lapace.lgmvae.networks`;
file format: :mod:`lapace.lgmvae.fileformat`; checks of a trained model (posterior collapse,
undertraining), called after ``fit``: :func:`lapace.lgmvae.diagnostics.training_warnings`.

References: Jiang et al., *Synthesising Counterfactual Explanations via Label-Conditional
Gaussian Mixture VAEs*; Shu (2016), *Gaussian mixture VAE*; Kingma & Welling (2014).
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from lapace.data.dataset import TabularDataset
from lapace.lgmvae import elbo
from lapace.lgmvae.fileformat import read_state, write_state
from lapace.lgmvae.networks import LGMVAENet, RunningAssignment, centroid_distance, label_weights
from lapace.lgmvae.recipe import OUR_RECIPE, PAPER_RECIPE
from lapace.validation import (
    SEED,
    boolean,
    check_dataset,
    check_device,
    check_fitted_X,
    check_groups,
    check_int,
    check_is_fitted,
    check_labels,
    check_one_hot,
    check_params,
    check_range,
    check_same_encoder,
    check_target,
    check_weights,
    check_X,
    choice,
    chunks,
    encoder_fingerprint,
    feature_names,
    integer,
    predict_labels,
    real,
    warn,
)

__all__ = ["ENCODERS", "LGMVAE", "LIKELIHOODS", "OBJECTIVES", "RECIPES"]

#: the KL(c) term each objective trains with (key of :meth:`LGMVAENet.forward`'s terms)
OBJECTIVES = {"paper": "kl_c", "marginal": "kl_c_marginal"}
#: q(z|x,c,y) of Appendix B, or one q(z|x,y) shared by the label's clusters
ENCODERS = ("per_cluster", "shared")
#: p(x|z) on continuous columns: the fixed variance 1/2 of the squared error, or calibrated per column
LIKELIHOODS = ("fixed", "calibrated")
#: what ``None`` means for ``encoder``, ``likelihood`` and ``balance_labels`` under each
#: objective (:mod:`lapace.lgmvae.recipe`)
RECIPES = {"paper": {k: v for k, v in PAPER_RECIPE.items() if k != "objective"},
           "marginal": {k: v for k, v in OUR_RECIPE.items() if k != "objective"}}

#: every hyper-parameter's check (:func:`~lapace.validation.check_params`), run first in ``fit``;
#: ``categorical_groups`` is checked against the data's width
PARAMS = {
    "n_labels": integer(2), "clusters_per_class": integer(), "latent_dim": integer(),
    "hidden_dim": integer(), "loss_weights": check_weights, "lr": real(0, low_open=True),
    "batch_size": integer(), "max_epochs": integer(), "patience": integer(),
    "validation_fraction": real(0, 1, low_open=True, high_open=True), "seed": SEED,
    "device": check_device, "verbose": boolean(), "objective": choice(*OBJECTIVES),
    "encoder": choice(*ENCODERS, none=True), "kl_c_window": integer(none=True),
    "likelihood": choice(*LIKELIHOODS, none=True), "balance_labels": boolean(none=True)}


class LGMVAE:
    """Label-conditional Gaussian Mixture VAE with a scikit-learn style interface.

    Parameters
    ----------
    n_labels : number of labels L of the classifier.
    clusters_per_class : K_y, Gaussian components per label (paper: 5 tabular, 3 MNIST).
    latent_dim : h, size of z (Table 4).
    hidden_dim : width of every MLP (Appendix B: 512).
    loss_weights : ``(w_klz, w_klc, w_rec)``; the loss is
        ``w_klz * kl_z + w_klc * kl_c + w_rec * rec`` averaged over a batch (Table 4).
    categorical_groups : slices of the one-hot columns; decoded through a sigmoid, trained
        with binary cross-entropy, decoded to valid one-hot by argmax.
    lr, batch_size, max_epochs : Adam learning rate, mini-batch size, epoch budget.
    patience : early stopping: stop after this many epochs without a better validation
        loss and restore the best weights.
    validation_fraction : share of the data held out for early stopping.
    seed : makes initialisation, splits, shuffling and sampling reproducible: the same
        seed on the same CPU gives identical weights.
    device : torch device, ``"cpu"`` by default.
    verbose : show a tqdm progress bar during ``fit``.
    objective : ``"marginal"`` (default, ours) or ``"paper"``: the KL(c) term trained, and
        the recipe (:data:`RECIPES`) that ``encoder``, ``likelihood`` and ``balance_labels``
        follow when left at ``None``.  ``LGMVAE(objective="paper")`` is the paper's model as
        we read it: Eq. 3 as written with Appendix B's networks.
        ``"paper"`` trains the per-sample KL(q(c|x,y) || p(c|y)).  Averaged over
        a label it equals I(x; c | y) + KL(q̄(c|y) || U) (:func:`lapace.lgmvae.elbo.kl_c_marginal`):
        besides balancing the clusters it taxes *any* dependence of the assignment on x, and
        in training that tax wins: q(c|x,y) stays uniform, every p(z|c) sees the same data and
        the label's centroids merge into copies of one prototype.  ``"marginal"`` keeps only
        the balance part, KL of the batch's mean assignment, which is how §3.1 reads the term:
        "The KL of c penalises deviation from the uniform prior over a class's assigned
        clusters, promoting the use of all available clusters."  We depart from Eq. 3 here
        because with it the centroids are not "distinctly different from each other" (§3.1);
        the evidence is in the book's chapter *Why the clusters collapse*.
    kl_c_window : with ``objective="marginal"``: ``None`` (default) takes the mean assignment
        q̄(c|y) of a label over the mini-batch's inputs of that label; an integer takes a running
        mean over about that many recent inputs of the label instead.  A batch holding a few
        inputs of a label cannot spread them over all its clusters, so the batch-level KL still
        taxes confident assignments a little; the running mean removes that tax, but it also
        weakens the early push to use every cluster, so clusters can die before they are used.
    likelihood : ``"fixed"``: the continuous columns' reconstruction term is the summed
        squared error, a Gaussian p(x|z) of variance 1/2 ("the reconstruction term is the MSE
        loss", §3.1; the paper's recipe); ``"calibrated"`` (our recipe): the variance of each
        column is the batch's mean squared error of that column, the optimal variance of a
        calibrated decoder (Rybkin et al., 2021), which sharpens the likelihood as the
        reconstructions improve.  With variance 1/2 on columns scaled to [0, 1], whose own
        variances are a few hundredths, a code costs more than it saves under Table 4's
        KL(z) weights: z carries almost nothing (wine-NN) and minority labels' reconstructions
        drift across the boundary.  ``None``: the objective's recipe.
    balance_labels : ``False`` (Eq. 3, the paper's recipe: the loss is averaged over the
        inputs) or ``True`` (our recipe): each input's loss is weighted by the inverse frequency
        of its label (:func:`label_weights`), so a minority label's inputs weigh as much in
        total as the majority's.  The model is label-conditional, so with unlimited capacity
        the optimum of each p(x|y) is unchanged; what changes is how a finite network shares
        its capacity.  With Eq. 3's plain average a 10% label gets a tenth of the decoder's
        attention and its reconstructions and centroids drift to the majority's side of the
        boundary.  ``None``: the objective's recipe.
    encoder : ``"per_cluster"`` (Appendix B, the paper's recipe: q(z|x,c,y), one code per
        cluster) or ``"shared"`` (our recipe: q(z|x,y), one code per input whose KL is taken
        against each p(z|c) weighted by q(c|x,y); about twice as fast).  Appendix B: "Another
        component, q(z | x, c, y) [...] takes in the input images, label, and cluster
        information"; with one code per cluster the encoder can move each code to its
        cluster's prior, so the assignment q(c|x,y) costs nothing to leave vague and clusters
        die or merge; with one code the clusters compete for it, as in a Gaussian mixture.
        ``None``: the objective's recipe.

        Our recipe (``"marginal"`` with the three ``None``) met all five of §3.1's targets of
        the book's ablation on 73% of (pair, seed, label) rows, the paper's on 0%; the
        marginal KL(c) alone on 21% (quick settings, 8 pairs x 3 seeds).

    Attributes (after ``fit``)
    --------------------------
    net_ : the trained :class:`LGMVAENet`.
    history_ : list of per-epoch dicts with mean train/validation ``kl_z``, ``kl_c``,
        ``kl_c_marginal``, ``rec`` and ``loss``, and ``centroid_distance`` (mean distance
        between two latent centroids of one label after the epoch).
    best_epoch_, n_epochs_ : epoch of the restored weights, epochs run.
    validation_index_ : sorted rows of the fitted ``X`` held out for early stopping.
    train_latent_, train_clusters_, train_labels_ : latent means, argmax cluster and
        label of the fitted points; kept so that :class:`~lapace.Lapace` can repair
        centroids without the data.  They are latent codes of the training data: drop
        them (``del vae.train_latent_``) before sharing a model if that matters.
    """

    def __init__(
        self,
        n_labels: int = 2,
        clusters_per_class: int = 5,
        latent_dim: int = 8,
        hidden_dim: int = 512,
        loss_weights: Sequence[float] = (1.0, 1.0, 1.0),
        categorical_groups: Sequence[slice] = (),
        lr: float = 1e-3,
        batch_size: int = 256,
        max_epochs: int = 200,
        patience: int = 20,
        validation_fraction: float = 0.1,
        seed: int = 0,
        device: str = "cpu",
        verbose: bool = True,
        objective: str = "marginal",
        encoder: str | None = None,
        kl_c_window: int | None = None,
        likelihood: str | None = None,
        balance_labels: bool | None = None,
    ):
        self.n_labels = n_labels
        self.clusters_per_class = clusters_per_class
        self.latent_dim = latent_dim
        self.hidden_dim = hidden_dim
        self.loss_weights = loss_weights
        self.categorical_groups = categorical_groups
        self.lr = lr
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.seed = seed
        self.device = device
        self.verbose = verbose
        self.objective = objective
        self.encoder = encoder
        self.kl_c_window = kl_c_window
        self.likelihood = likelihood
        self.balance_labels = balance_labels

    # ------------------------------------------------------------------ set-up
    def get_params(self, deep: bool = True) -> dict:
        """Hyper-parameters as given to ``__init__`` (scikit-learn's; ``deep`` changes nothing)."""
        return {name: getattr(self, name) for name in inspect.signature(LGMVAE).parameters}

    def set_params(self, **params) -> LGMVAE:
        """Set hyper-parameters by name (checked by the next ``fit``); returns ``self``."""
        if unknown := sorted(set(params) - set(self.get_params())):
            raise ValueError(f"LGMVAE has no parameter(s) {unknown}; see LGMVAE.get_params().")
        self.__dict__.update(params)
        return self

    def effective_params(self) -> dict:
        """:meth:`get_params` as plain values (slices as ``[start, stop]``), ``None`` for ``encoder``,
        ``likelihood``, ``balance_labels`` replaced by what the objective's :data:`RECIPES` trains."""
        params = self.get_params()
        params["loss_weights"] = [float(w) for w in self.loss_weights]
        params["categorical_groups"] = [[g.start, g.stop] for g in self.categorical_groups]
        recipe = RECIPES.get(self.objective, {})
        return {k: (recipe.get(k) if v is None and k in recipe else v) for k, v in params.items()}

    def __repr__(self) -> str:
        p = self.get_params()
        keys = ("n_labels", "clusters_per_class", "latent_dim", "loss_weights", "objective",
                "encoder", "seed")
        return "LGMVAE(" + ", ".join(f"{k}={p[k]!r}" for k in keys) + ")"

    def _check_params(self, n_features: int) -> None:
        check_params(self, PARAMS)
        try:
            check_groups(self.categorical_groups, n_features)
        except ValueError as err:
            raise ValueError(f"LGMVAE: {err}") from None

    def categorical_mask(self, n_features: int | None = None) -> torch.Tensor:
        """(d,) bool tensor: True on the one-hot columns of ``categorical_groups``."""
        n = self.n_features_in_ if n_features is None else n_features
        mask = torch.zeros(n, dtype=torch.bool)
        for g in self.categorical_groups:
            mask[g] = True
        return mask

    def check_inputs(self, X, y=None, name: str = "X"):
        """The one check of data given to a fitted model: ``X`` (n, d) against its width and
        fitted range (:func:`~lapace.validation.check_fitted_X`) and, when given, ``y`` as n
        labels ``0..L-1``.  Returns ``X`` or ``(X, y)``."""
        check_is_fitted(self, "net_", "call fit(X, y) or LGMVAE.load(path) first")
        X = check_fitted_X(self, X, name, groups=self.categorical_groups)
        return X if y is None else (X, check_labels(y, X.shape[0], int(self.n_labels)))

    # ------------------------------------------------------------------ training
    def fit(self, X, y) -> LGMVAE:
        """Train on encoded inputs ``X`` (n, d) and the classifier's predictions ``y`` (§3.1).

        A share ``validation_fraction`` of the rows (``validation_index_``) is held out for early
        stopping.  Check the result with :func:`lapace.lgmvae.diagnostics.training_warnings` (posterior
        collapse, undertraining) and :func:`lapace.lgmvae.diagnostics.prototype_report` (§3.1).
        """
        check_params(self, PARAMS)
        names = feature_names(X)
        X = check_fitted_X(None, X)  # not self: a refit may change the width and names
        y = check_labels(y, X.shape[0], int(self.n_labels))
        self._check_params(X.shape[1])
        check_one_hot(X, self.categorical_groups, "X", names)
        if X.shape[0] < 2:
            raise ValueError(f"fit needs at least 2 rows (one is held out for early stopping), "
                             f"got {X.shape[0]}.")
        check_range(X, 0.0, 1.0, far=None)  # encoded data lie near [0, 1]
        for name in ("n_features_in_", "feature_names_in_", "feature_min_", "feature_max_",
                     "dataset_fingerprint_", "dataset_state_"):  # all checked: forget the old fit
            self.__dict__.pop(name, None)
        missing = sorted(set(range(self.n_labels)) - set(np.unique(y).tolist()))
        if missing:
            warn(
                f"labels {missing} never occur in y: their clusters are not trained and their "
                "centroids will not be meaningful."
            )
        device = torch.device(self.device)
        self.n_features_in_ = X.shape[1]
        if names is not None:
            self.feature_names_in_ = names
        self.feature_min_, self.feature_max_ = X.min(0), X.max(0)
        mask = self.categorical_mask(X.shape[1]).to(device)
        w_klz, w_klc, w_rec = (float(w) for w in self.loss_weights)

        rng = np.random.default_rng(self.seed)
        idx = rng.permutation(X.shape[0])
        n_val = max(1, int(round(self.validation_fraction * X.shape[0])))
        val_idx, tr_idx = idx[:n_val], idx[n_val:]
        X_t = torch.as_tensor(X, device=device)
        y_t = torch.as_tensor(y, device=device)
        options = self.effective_params()
        label_w_t = torch.as_tensor(
            label_weights(y[tr_idx], self.n_labels, bool(options["balance_labels"])), device=device)

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            net = LGMVAENet(
                X.shape[1], self.n_labels, self.clusters_per_class, self.latent_dim, self.hidden_dim,
                options["encoder"], options["likelihood"],
            ).to(device)
        kl_c_term = OBJECTIVES[self.objective]
        q_bar = None if self.kl_c_window is None else RunningAssignment(  # None: the batch's mean
            self.n_labels, self.clusters_per_class, self.kl_c_window, device)
        gen = torch.Generator(device=device).manual_seed(self.seed)
        opt = torch.optim.Adam(net.parameters(), lr=self.lr)

        def run_epoch(rows: np.ndarray, train: bool) -> dict[str, float]:
            totals = dict.fromkeys(("kl_z", "kl_c", "kl_c_marginal", "rec", "loss"), 0.0)
            net.train(train)
            order = rows[torch.randperm(len(rows), generator=gen).numpy()] if train else rows
            for start in range(0, len(order), self.batch_size):
                b = torch.as_tensor(order[start:start + self.batch_size], device=device)
                with torch.set_grad_enabled(train):
                    if train and q_bar is not None:        # the running mean includes this batch
                        with torch.no_grad():
                            q_bar.update(net.q_c_probs(X_t[b], y_t[b]), y_t[b])
                    terms = net(X_t[b], y_t[b], mask, gen, None if q_bar is None else q_bar.mean)
                    loss = (label_w_t[y_t[b]] * (w_klz * terms["kl_z"] + w_klc * terms[kl_c_term]
                                                 + w_rec * terms["rec"])).mean()
                if train:
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                for key, value in terms.items():
                    totals[key] += float(value.detach().sum())
                totals["loss"] += float(loss.detach()) * len(b)
            return {k: v / len(rows) for k, v in totals.items()}

        self.history_: list[dict[str, float]] = []
        best, best_state, wait = np.inf, copy.deepcopy(net.state_dict()), 0
        self.best_epoch_ = 0
        bar = tqdm(range(self.max_epochs), desc="L-GMVAE", disable=not self.verbose, leave=False)
        for epoch in bar:
            tr = run_epoch(tr_idx, train=True)
            va = run_epoch(val_idx, train=False)
            self.history_.append(
                {"epoch": epoch + 1, **{f"train_{k}": v for k, v in tr.items()},
                 **{f"val_{k}": v for k, v in va.items()},
                 "centroid_distance": centroid_distance(net)}
            )
            bar.set_postfix(train=f"{tr['loss']:.3f}", val=f"{va['loss']:.3f}")
            if va["loss"] < best - 1e-6:
                best, wait, self.best_epoch_ = va["loss"], 0, epoch + 1
                best_state = copy.deepcopy(net.state_dict())
            else:
                wait += 1
                if wait >= self.patience:
                    break
        bar.close()
        net.load_state_dict(best_state)
        net.eval()
        self.net_ = net
        self.n_epochs_ = len(self.history_)
        self.train_latent_, self.train_clusters_ = self.encode_with_clusters(X, y)
        self.train_labels_ = y
        self.validation_index_ = np.sort(val_idx)
        return self

    # ------------------------------------------------------------------ inference
    #: rows per forward pass at inference (bounds memory whatever n is)
    chunk_size = 65536

    @torch.no_grad()
    def encode_with_clusters(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        """``(encode(X, y), predict_cluster(X, y))`` in one pass."""
        X, y = self.check_inputs(X, y)
        dev = torch.device(self.device)
        Z = np.empty((X.shape[0], self.latent_dim), dtype=np.float32)
        C = np.empty(X.shape[0], dtype=np.int64)
        for s in chunks(X.shape[0], self.chunk_size):
            x = torch.as_tensor(X[s], device=dev)
            yy = torch.as_tensor(y[s], device=dev)
            q_c = self.net_.q_c_probs(x, yy)
            c = self.net_.clusters_of(yy).gather(1, q_c.argmax(1, keepdim=True)).squeeze(1)
            mu, _ = self.net_.q_z_params(x, yy, c)
            Z[s], C[s] = mu.cpu().numpy(), c.cpu().numpy()
        return Z, C

    def encode(self, X, y) -> np.ndarray:
        """Latent code of each input: mean of q(z|x,c*,y), c* = argmax q(c|x,y) (Alg. 1 line 1)."""
        return self.encode_with_clusters(X, y)[0]

    def predict_cluster(self, X, y) -> np.ndarray:
        """Most likely cluster ``argmax_c q(c|x,y)`` of each input (an index into all K)."""
        return self.encode_with_clusters(X, y)[1]

    @torch.no_grad()
    def predict_cluster_proba(self, X, y) -> np.ndarray:
        """q(c|x,y) over the clusters ``C_y`` of each input's label, (n, K_y) (Eq. 2)."""
        X, y = self.check_inputs(X, y)
        out = np.empty((X.shape[0], self.clusters_per_class), dtype=np.float32)
        for s in chunks(X.shape[0], self.chunk_size):
            q = self.net_.q_c_probs(torch.as_tensor(X[s], device=self.device),
                                    torch.as_tensor(y[s], device=self.device))
            out[s] = q.cpu().numpy()
        return out

    def decode_raw(self, Z: torch.Tensor, decoder: torch.nn.Module | None = None) -> torch.Tensor:
        """Differentiable decoding, one-hot columns as sigmoid probabilities (§3.3's corrections);
        ``decoder``: a copy of p(x|z) to run instead (bf16, ``lapace.explain.engine``)."""
        check_is_fitted(self, "net_", "call fit(X, y) or LGMVAE.load(path) first")
        out = self.net_.p_x(Z) if decoder is None else \
            decoder(Z.to(next(decoder.parameters()).dtype)).float()
        if self.categorical_groups:
            mask = self.categorical_mask(out.shape[-1]).to(out.device)
            out = torch.where(mask, torch.sigmoid(out), out)
        return out

    def harden(self, X: np.ndarray) -> np.ndarray:
        """Turn raw decodings into valid records (two choices of ours, not the paper's).

        Each categorical group becomes a valid one-hot vector by argmax: the paper rounds
        every sigmoid output, which can switch on zero or two categories of one feature;
        the argmax always gives exactly one.  Every column is clipped to the range seen in
        ``fit``, so a decoded record never holds, e.g., a negative length of stay.
        """
        X = np.clip(np.asarray(X, dtype=np.float32), self.feature_min_, self.feature_max_)
        for g in self.categorical_groups:
            block = X[:, g]
            X[:, g] = np.eye(block.shape[1], dtype=np.float32)[block.argmax(1)]
        return X

    @torch.no_grad()
    def decode(self, Z, offset: np.ndarray | None = None) -> np.ndarray:
        """Decode latent points ``Z`` (n, h) to encoded inputs (n, d), one-hot made valid.

        ``offset`` (n, d), if given, is added to the raw decoding before it is made a valid
        record (used by :class:`~lapace.Lapace`'s ``start="input"``)."""
        check_is_fitted(self, "net_", "call fit(X, y) or LGMVAE.load(path) first")
        Z = check_X(Z, self.latent_dim, "Z", allow_empty=True)
        offset = None if offset is None else check_X(offset, self.n_features_in_, "offset")
        out = np.empty((Z.shape[0], self.n_features_in_), dtype=np.float32)
        for s in chunks(Z.shape[0], self.chunk_size):
            out[s] = self.decode_raw(torch.as_tensor(Z[s], device=self.device)).cpu().numpy()
        if offset is not None:
            out += offset
        return self.harden(out)

    def reconstruct(self, X, y) -> np.ndarray:
        """``decode(encode(X, y))``: where every LAPACE path starts (tau = 0)."""
        return self.decode(self.encode(X, y))

    @property
    def cluster_labels_(self) -> np.ndarray:
        """Label owning each of the K clusters, (K,)."""
        return np.repeat(np.arange(self.n_labels), self.clusters_per_class)

    @torch.no_grad()
    def centroids(self, label: int | None = None) -> np.ndarray:
        """Latent centroids: means of p(z|c) for the clusters of ``label`` (K_y, h), or all (K, h)."""
        check_is_fitted(self, "net_", "call fit(X, y) or LGMVAE.load(path) first")
        clusters = self.clusters(label)
        c = torch.as_tensor(clusters, device=self.device)
        return self.net_.prior(c)[0].cpu().numpy()

    def clusters(self, label: int | None = None) -> np.ndarray:
        """Indices of the clusters of ``label`` (``C_label``), or of all clusters."""
        if label is None:
            return np.arange(self.n_labels * self.clusters_per_class)
        if not 0 <= int(label) < self.n_labels:
            raise ValueError(f"label must be in 0..{self.n_labels - 1}, got {label}.")
        k = self.clusters_per_class
        return np.arange(int(label) * k, (int(label) + 1) * k)

    def decoded_centroids(self, label: int | None = None) -> np.ndarray:
        """``Dec(z_c)`` for the clusters of ``label`` (or all): the prototypes of §3.2."""
        return self.decode(self.centroids(label))

    def centroid_labels(self, predict: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """What the black box ``predict`` says of each decoded centroid, (K,)."""
        return predict_labels(predict, self.decoded_centroids(), self.n_labels)

    def centroid_accuracy(self, predict: Callable[[np.ndarray], np.ndarray]) -> float:
        """Share of decoded centroids predicted as their own label (Table 1, "Centroid Acc.")."""
        return float(np.mean(self.centroid_labels(predict) == self.cluster_labels_))

    @torch.no_grad()
    def sample(self, n: int, label: int, random_state: int | None = None) -> np.ndarray:
        """Draw ``n`` synthetic inputs of ``label``: c uniform in C_label, z ~ p(z|c), decode."""
        check_is_fitted(self, "net_", "call fit(X, y) or LGMVAE.load(path) first")
        n, label = check_int(n, "n", 0), check_target(label, int(self.n_labels), "label")
        clusters = self.clusters(label)
        random_state = integer(0, none=True)(random_state, "random_state")
        gen = torch.Generator().manual_seed(self.seed if random_state is None else random_state)
        c = torch.as_tensor(clusters)[torch.randint(len(clusters), (int(n),), generator=gen)]
        mu, logvar = self.net_.prior(c.to(self.device))
        return self.decode(elbo.reparameterize(mu, logvar, gen).cpu().numpy())

    @torch.no_grad()
    def elbo_terms(self, X, y, seed: int = 0) -> dict[str, np.ndarray]:
        """Per-sample ``kl_z``, ``kl_c``, ``rec`` of Eq. 3 on data (one z sample each)."""
        X, y = self.check_inputs(X, y)
        gen = torch.Generator(device=self.device).manual_seed(seed)
        mask = self.categorical_mask(X.shape[1]).to(self.device)
        terms = self.net_(torch.as_tensor(X, device=self.device),
                          torch.as_tensor(y, device=self.device), mask, gen)
        return {k: v.cpu().numpy() for k, v in terms.items()}

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path, dataset=None) -> Path:
        """Store configuration, weights and fitted state in one file (:mod:`lapace.lgmvae.fileformat`).

        A SHA-256 checksum of all it holds (weights, parameters, dataset encoder...) is verified
        by :meth:`load`.  Pass the :class:`~lapace.TabularDataset` as ``dataset`` to ship its
        encoder (categories, bounds, dtypes; no data rows) in the same file; read both back
        with :meth:`load_with_dataset`.
        """
        check_is_fitted(self, "net_", "call fit(X, y) or LGMVAE.load(path) first")
        fitted = {
            k: torch.as_tensor(getattr(self, k))
            for k in ("train_latent_", "train_clusters_", "train_labels_",
                      "feature_min_", "feature_max_", "validation_index_") if hasattr(self, k)
        }
        state = {
            "params": self.effective_params(),  # a later recipe must not change a saved model
            "n_features_in": self.n_features_in_,
            "weights": {k: v.cpu() for k, v in self.net_.state_dict().items()},
            "history": self.history_,
            "best_epoch": self.best_epoch_,
            "fitted": fitted,
        }
        if check_dataset(dataset) is not None:
            groups = [(g.start, g.stop) for g in dataset.categorical_groups]
            if dataset.n_features_encoded != self.n_features_in_ or groups != [
                    (g.start, g.stop) for g in self.categorical_groups] or list(getattr(
                    self, "feature_names_in_", dataset.encoded_columns)) != dataset.encoded_columns:
                raise ValueError(
                    f"dataset must be the TabularDataset whose encoding the model was fitted on "
                    f"({self.n_features_in_} encoded columns, one-hot groups {groups}), got "
                    f"{dataset!r}: its columns or one-hot groups differ.")
            check_same_encoder(dataset, getattr(self, "dataset_fingerprint_", None), "dataset",
                               "the model was loaded with", getattr(self, "dataset_state_", None))
            state["dataset"] = dataset.encoder_state()
            state["dataset_fingerprint"] = encoder_fingerprint(state["dataset"])
        if hasattr(self, "feature_names_in_"):
            state["feature_names_in"] = list(self.feature_names_in_)
        return write_state(path, state)

    @classmethod
    def load(cls, path: str | Path, device: str | None = None, *, verify: bool = True) -> LGMVAE:
        """Load a model written by :meth:`save`, verifying its checksum (``verify=False``: not,
        for a file you trust without one, to save it again: ``load(path, verify=False).save(path)``)."""
        return cls.from_state(read_state(path, verify), device, source=path)

    @classmethod
    def load_with_dataset(cls, path: str | Path, device: str | None = None, *, verify: bool = True):
        """``(model, dataset)`` from a file written by ``save(path, dataset=ds)``.

        The dataset is the encoder alone (:meth:`~lapace.TabularDataset.from_encoder_state`):
        it encodes, decodes and compiles constraints exactly like the original, holding no rows.
        ``verify`` as in :meth:`load`."""
        state = read_state(path, verify)
        if "dataset" not in state:
            raise ValueError(f"{path} holds no dataset encoder: save it with vae.save(path, dataset=ds).")
        return (cls.from_state(state, device, source=path),
                TabularDataset.from_encoder_state(state["dataset"]))

    @classmethod
    def from_state(cls, state: dict, device: str | None = None, source="the state") -> LGMVAE:
        """The fitted model a state read by :func:`lapace.lgmvae.fileformat.read_state` describes."""
        params = dict(state["params"])
        params["categorical_groups"] = [slice(a, b) for a, b in params["categorical_groups"]]
        params["loss_weights"] = tuple(params["loss_weights"])
        params.setdefault("objective", "paper")        # files written before the option existed
        params.setdefault("encoder", "per_cluster")
        params.setdefault("likelihood", "fixed")
        params.setdefault("balance_labels", False)
        if device is not None:
            params["device"] = device
        model = cls(**params)
        model.n_features_in_ = int(state["n_features_in"])
        net = LGMVAENet(model.n_features_in_, model.n_labels, model.clusters_per_class,
                        model.latent_dim, model.hidden_dim, model.encoder, model.likelihood)
        try:
            net.load_state_dict(state["weights"])
        except RuntimeError as err:
            raise ValueError(f"{source}: the weights do not fit the stored parameters ({err}).") from None
        model.net_ = net.to(model.device).eval()
        model.history_ = list(state["history"])
        model.best_epoch_ = int(state["best_epoch"])
        model.n_epochs_ = len(model.history_)
        for k, v in state["fitted"].items():
            setattr(model, k, v.numpy())
        if "feature_names_in" in state:
            model.feature_names_in_ = list(state["feature_names_in"])
        if "dataset" in state:         # compared with the dataset of every later use
            model.dataset_state_ = state["dataset"]
            model.dataset_fingerprint_ = encoder_fingerprint(state["dataset"])
        return model

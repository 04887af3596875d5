"""The four networks of the L-GMVAE (paper Appendix B) and the pieces of its training loop.

:class:`LGMVAENet` holds q(c|x,y), q(z|x,c,y) (or one q(z|x,y) shared by a label's clusters),
the mixture prior p(z|c) and the decoder p(x|z), and returns the per-sample terms of Eq. 3;
:class:`lapace.LGMVAE` is the estimator that trains it.  The K = L * K_y clusters are split
evenly among the L labels: label ``y`` owns clusters ``y*K_y, ..., (y+1)*K_y - 1``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from lapace.lgmvae import elbo

__all__ = ["LGMVAENet", "RunningAssignment", "centroid_distance", "label_weights"]


def _mlp(n_in: int, hidden: int, n_out: int) -> nn.Sequential:
    """3-layer MLP with ReLU, as every network of Appendix B."""
    return nn.Sequential(
        nn.Linear(n_in, hidden), nn.ReLU(),
        nn.Linear(hidden, hidden), nn.ReLU(),
        nn.Linear(hidden, n_out),
    )


class LGMVAENet(nn.Module):
    """The four networks of Appendix B; names mirror the factorisation of Eq. 1–2."""

    def __init__(
        self, n_features: int, n_labels: int, clusters_per_class: int, latent_dim: int,
        hidden_dim: int = 512, encoder: str = "per_cluster", likelihood: str = "fixed",
    ):
        super().__init__()
        self.encoder, self.likelihood = encoder, likelihood
        self.n_features, self.n_labels = n_features, n_labels
        self.clusters_per_class, self.latent_dim = clusters_per_class, latent_dim
        self.n_clusters = n_labels * clusters_per_class
        d, L, K, h = n_features, n_labels, self.n_clusters, latent_dim
        self.q_c = _mlp(d + L, hidden_dim, K)                # q(c|x,y): logits over all K
        n_c = K if encoder == "per_cluster" else 0           # q(z|x,c,y) or q(z|x,y)
        self.q_z = nn.Sequential(                            # q(z|x,c,y): two layers ...
            nn.Linear(d + L + n_c, hidden_dim), nn.ReLU(),
            nn.Linear(hidden_dim, hidden_dim), nn.ReLU(),
        )
        self.q_z_mu = nn.Linear(hidden_dim, h)               # ... and two output heads
        self.q_z_logvar = nn.Linear(hidden_dim, h)
        self.p_z = nn.Linear(K, 2 * h)                       # p(z|c): mean and log-variance
        self.p_x = _mlp(h, hidden_dim, d)                    # p(x|z): raw outputs / logits


    def clusters_of(self, y: torch.Tensor) -> torch.Tensor:
        """Cluster indices ``C_y`` of every label: (B,) -> (B, K_y)."""
        k = self.clusters_per_class
        return y[:, None] * k + torch.arange(k, device=y.device)

    def q_c_probs(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """q(c|x,y) as probabilities over the label's own clusters: (B, K_y)."""
        y1 = nn.functional.one_hot(y, self.n_labels).float()
        logits = self.q_c(torch.cat([x, y1], -1))                # (B, K)
        own = torch.gather(logits, 1, self.clusters_of(y))       # (B, K_y)
        return torch.softmax(own, -1)

    def q_z_params(self, x: torch.Tensor, y: torch.Tensor, c: torch.Tensor | None):
        """Mean and log-variance of q(z|x,c,y) for cluster indices ``c``: (B, h) each.

        With ``encoder="shared"`` the code does not depend on ``c`` (q(z|x,y)); ``c`` is ignored.
        """
        y1 = nn.functional.one_hot(y, self.n_labels).float()
        parts = [x, y1]
        if self.encoder == "per_cluster":
            parts.append(nn.functional.one_hot(c, self.n_clusters).float())
        hidden = self.q_z(torch.cat(parts, -1))
        return self.q_z_mu(hidden), self.q_z_logvar(hidden)

    def prior(self, c: torch.Tensor):
        """Mean and log-variance of p(z|c): (B, h) each (Eq. 1c)."""
        out = self.p_z(nn.functional.one_hot(c, self.n_clusters).float())
        return out.chunk(2, -1)

    def forward(
        self, x: torch.Tensor, y: torch.Tensor, categorical_mask: torch.Tensor | None,
        generator: torch.Generator | None = None, q_bar: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        """Per-sample ELBO terms of Eq. 3, each (B,): ``kl_c``, ``kl_z``, ``rec``, and
        ``kl_c_marginal``, the KL of the label's mean assignment (:func:`elbo.kl_c_marginal`,
        with the reference ``q_bar`` or, when ``None``, this batch's mean).

        The expectation over c is exact: every cluster of ``C_y`` is visited and its terms
        weighted by q(c|x,y).  With ``encoder="per_cluster"`` (Appendix B) z is one
        reparameterised sample per (x, c) from q(z|x,c,y); with ``encoder="shared"`` one sample
        per x from q(z|x,y), whose KL is taken against every p(z|c) of the label.
        """
        B, k = x.shape[0], self.clusters_per_class
        q_c = self.q_c_probs(x, y)                               # (B, K_y)
        c = self.clusters_of(y).reshape(-1)                      # (B*K_y,)
        mu_p, logvar_p = self.prior(c)                           # (B*K_y, h)
        if self.encoder == "per_cluster":
            x_rep = x.repeat_interleave(k, 0)                    # (B*K_y, d)
            mu, logvar = self.q_z_params(x_rep, y.repeat_interleave(k, 0), c)
            z = elbo.reparameterize(mu, logvar, generator)
            kl_z = elbo.kl_z(mu, logvar, mu_p, logvar_p).view(B, k)
            rec = elbo.reconstruction(x_rep, self.p_x(z), categorical_mask,
                                      self.likelihood == "calibrated").view(B, k)
            rec = (q_c * rec).sum(-1)
        else:
            mu, logvar = self.q_z_params(x, y, None)             # (B, h)
            z = elbo.reparameterize(mu, logvar, generator)
            kl_z = elbo.kl_z(mu.repeat_interleave(k, 0), logvar.repeat_interleave(k, 0),
                             mu_p, logvar_p).view(B, k)
            rec = elbo.reconstruction(x, self.p_x(z), categorical_mask,
                                      self.likelihood == "calibrated")
        return {
            "kl_z": (q_c * kl_z).sum(-1),
            "kl_c": elbo.kl_c(q_c),
            "kl_c_marginal": elbo.kl_c_marginal(q_c, y, q_bar),
            "rec": rec,
        }


def label_weights(y: np.ndarray, n_labels: int, balance: bool) -> np.ndarray:
    """Weight of an input's loss per label, (L,) float32: all 1, or with ``balance`` the
    inverse label frequency ``n / (L * n_y)`` (each label's inputs weigh as much in total, and
    the mean weight of an input stays 1; a label without inputs gets weight 1)."""
    if not balance:
        return np.ones(n_labels, dtype=np.float32)
    counts = np.bincount(y, minlength=n_labels).astype(np.float64)
    w = np.where(counts > 0, len(y) / (n_labels * np.maximum(counts, 1.0)), 1.0)
    return w.astype(np.float32)


class RunningAssignment:
    """Running mean of q(c|x,y) per label over the last ``window`` training inputs (roughly):
    the reference ``q̄(c|y)`` of ``objective="marginal"`` (see :func:`elbo.kl_c_marginal`)."""

    def __init__(self, n_labels: int, k: int, window: int, device):
        self.mean = torch.full((n_labels, k), 1.0 / k, device=device)
        self.count = torch.zeros(n_labels, device=device)
        self.window = float(window)

    def update(self, q_c: torch.Tensor, y: torch.Tensor) -> None:
        sums = torch.zeros_like(self.mean).index_add_(0, y, q_c)
        n = torch.bincount(y, minlength=self.mean.shape[0]).to(self.mean.dtype)
        seen = n > 0
        kept = torch.minimum(self.count, torch.clamp(self.window - n, min=0.0))  # oldest drop out
        total = kept + n
        self.mean[seen] = (kept[seen, None] * self.mean[seen] + sums[seen]) / total[seen, None]
        self.count = torch.where(seen, total, self.count)


@torch.no_grad()
def centroid_distance(net: LGMVAENet) -> float:
    """Mean Euclidean distance between two latent centroids of the same label (all labels)."""
    mu = net.prior(torch.arange(net.n_clusters, device=net.p_z.weight.device))[0]
    mu = mu.view(net.n_labels, net.clusters_per_class, -1)
    if net.clusters_per_class < 2:
        return 0.0
    d = torch.cdist(mu, mu)                                   # (L, K_y, K_y)
    k = net.clusters_per_class
    return float(d.sum() / (net.n_labels * k * (k - 1)))

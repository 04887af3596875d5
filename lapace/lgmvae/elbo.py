"""The three terms of the L-GMVAE evidence lower bound (paper Eq. 3).

For an input ``x`` with label ``y`` and the clusters ``C_y`` of that label,

    ELBO = E_q(z,c|x,y)[ log p(c|y)/q(c|x,y) + log p(z|c)/q(z|x,c,y) + log p(x|z) ]
         = -kl_c - kl_z - rec

where the expectation over ``c`` is taken exactly (a sum over ``C_y`` weighted by
``q(c|x,y)``) and the one over ``z`` by a single reparameterised sample.
Every function returns one value per sample, so the caller decides how to weight
(Table 4's ``loss_weights``) and average them.  :func:`log_px_given_z` is ``log p(x|z)`` itself,
with its constants: ``-reconstruction`` minus ``0.5 log(pi)`` per continuous column for the
variance-1/2 Gaussian (:data:`MSE_VARIANCE`) that the summed squared error is.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["MSE_VARIANCE", "kl_c", "kl_c_marginal", "kl_z", "reconstruction", "log_px_given_z",
           "gaussian_log_prob", "reparameterize"]

_EPS = 1e-10


def kl_c(q_c: torch.Tensor) -> torch.Tensor:
    """KL(q(c|x,y) || p(c|y)) against the uniform prior of Eq. 1b.

    Parameters
    ----------
    q_c : (B, K_y) probabilities of the clusters of each sample's own label.

    Returns
    -------
    (B,) ``sum_c q(c) [log q(c) + log |C_y|]``, zero when ``q`` is uniform.
    """
    k = q_c.shape[-1]
    return (q_c * (torch.log(q_c.clamp_min(_EPS)) + math.log(k))).sum(-1)


def kl_c_marginal(q_c: torch.Tensor, y: torch.Tensor, q_bar: torch.Tensor | None = None) -> torch.Tensor:
    """KL(q̄(c|y) || p(c|y)) of the mean assignment of each label, shared out over its samples.

    ``q̄(c|y)`` is the mean of ``q(c|x,y)`` over the label's inputs.  Averaged over a label, the
    per-sample :func:`kl_c` splits exactly as

        mean_x KL(q(c|x,y) || U) = I(x; c | y) + KL(q̄(c|y) || U),

    so this term keeps the second part — §3.1's reading of KL(c), "promoting the use of all
    available clusters" — and drops the tax on the mutual information between x and its
    cluster, which is what makes the per-sample form collapse the clusters (see the chapter
    *Why the clusters collapse*).

    Each sample gets ``sum_c q(c|x,y) [log q̄(c|y) + log K_y]`` with ``q̄`` held fixed: the mean
    of this over a label's samples is ``KL(q̄ || U)`` when ``q̄`` is their mean, and its gradient
    is that of ``KL(q̄ || U)`` at ``q̄``.  ``q_bar=None`` takes ``q̄`` from this batch (the exact
    batch-level KL); a (n_labels, K_y) ``q_bar`` — a running estimate over recent batches, as
    :class:`~lapace.LGMVAE` keeps — avoids the small-batch bias: a batch holding a few inputs of
    a label cannot spread them over all its clusters, so its own mean is never uniform.

    Parameters
    ----------
    q_c : (B, K_y) probabilities over each sample's own clusters.
    y : (B,) labels.
    q_bar : (n_labels, K_y) reference mean assignment per label, or ``None``.
    """
    k = q_c.shape[-1]
    if q_bar is None:
        labels, inverse, counts = torch.unique(y, return_inverse=True, return_counts=True)
        sums = torch.zeros(len(labels), k, dtype=q_c.dtype, device=q_c.device)
        sums.index_add_(0, inverse, q_c.detach())
        ref = (sums / counts[:, None].to(q_c.dtype))[inverse]          # (B, K_y)
    else:
        ref = q_bar.detach().to(q_c.dtype)[y]
    return (q_c * (torch.log(ref.clamp_min(_EPS)) + math.log(k))).sum(-1)


def kl_z(
    mu_q: torch.Tensor,
    logvar_q: torch.Tensor,
    mu_p: torch.Tensor,
    logvar_p: torch.Tensor,
) -> torch.Tensor:
    """Analytic KL(q(z|x,c,y) || p(z|c)) between diagonal Gaussians (Eq. 1c, 2).

    ``0.5 * sum_j [log s_p^2 - log s_q^2 + (s_q^2 + (m_q - m_p)^2) / s_p^2 - 1]``;
    all arguments are ``(..., h)``, the result is ``(...)``.
    """
    var_ratio = torch.exp(logvar_q - logvar_p)
    mahalanobis = (mu_q - mu_p).pow(2) * torch.exp(-logvar_p)
    return 0.5 * (logvar_p - logvar_q + var_ratio + mahalanobis - 1.0).sum(-1)


def reconstruction(
    x: torch.Tensor,
    x_out: torch.Tensor,
    categorical_mask: torch.Tensor | None = None,
    calibrated: bool = False,
) -> torch.Tensor:
    """Per-sample reconstruction loss, the negated ``log p(x|z)`` term of Eq. 3.

    Squared error summed over continuous columns (a unit-variance Gaussian
    ``p(x|z)`` up to a constant, §3.1) plus binary cross-entropy through a sigmoid
    summed over one-hot columns ("Handling categorical data", §3.1).

    Parameters
    ----------
    x : (B, d) targets in encoded space.
    x_out : (B, d) raw decoder outputs (logits on the one-hot columns).
    categorical_mask : (d,) bool, True on one-hot columns; ``None`` means none.
    calibrated : ``False``: the fixed variance 1/2 of the summed squared error.  ``True``: a
        Gaussian whose variance ``v_j`` per continuous column is the batch's mean squared error
        of that column (held fixed in the gradient; at least 1e-3), the optimal variance of a
        calibrated decoder (Rybkin et al., 2021): the continuous part is
        ``sum_j (x_j - m_j)^2 / (2 v_j) + log(2 v_j) / 2``, the squared error when every
        ``v_j = 1/2``.
    """
    if categorical_mask is None:
        categorical_mask = torch.zeros(x.shape[-1], dtype=torch.bool, device=x.device)
    cont = ~categorical_mask
    sq = (x_out[:, cont] - x[:, cont]).pow(2)
    if not calibrated:
        mse = sq.sum(-1)
    else:
        v = sq.detach().mean(0).clamp_min(1e-3)
        mse = (0.5 * sq / v + 0.5 * torch.log(2.0 * v)).sum(-1)
    if not bool(categorical_mask.any()):
        return mse
    bce = F.binary_cross_entropy_with_logits(
        x_out[:, categorical_mask], x[:, categorical_mask], reduction="none"
    ).sum(-1)
    return mse + bce


#: variance of the Gaussian p(x|z) whose negative log density is the summed squared error
MSE_VARIANCE = 0.5


def log_px_given_z(
    x: torch.Tensor,
    x_out: torch.Tensor,
    categorical_mask: torch.Tensor | None = None,
    variance: float = MSE_VARIANCE,
) -> torch.Tensor:
    """``log p(x|z)`` of Eq. 3 per sample, (B,), with its constants.

    Gaussian(``x_out``, ``variance``) on continuous columns, Bernoulli(sigmoid(``x_out``)) on
    the one-hot columns of ``categorical_mask`` (``None``: none).  With the default variance
    1/2 it is ``-reconstruction(x, x_out, mask) - 0.5 * n_continuous * log(pi)``.
    """
    if categorical_mask is None:
        categorical_mask = torch.zeros(x.shape[-1], dtype=torch.bool, device=x.device)
    cont = ~categorical_mask
    sq = (x_out[..., cont] - x[..., cont]).pow(2)
    log_gauss = (-0.5 * sq / variance - 0.5 * math.log(2 * math.pi * variance)).sum(-1)
    if not bool(categorical_mask.any()):
        return log_gauss
    log_bern = -F.binary_cross_entropy_with_logits(
        x_out[..., categorical_mask], x[..., categorical_mask], reduction="none"
    ).sum(-1)
    return log_gauss + log_bern


def gaussian_log_prob(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``log N(z | mu, diag(exp(logvar)))`` summed over the last axis."""
    return -0.5 * (
        math.log(2 * math.pi) + logvar + (z - mu).pow(2) * torch.exp(-logvar)
    ).sum(-1)


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None,
                   n_samples: int | None = None) -> torch.Tensor:
    """``z = mu + eps * exp(logvar / 2)``, ``eps ~ N(0, I)`` (Kingma & Welling, 2014).

    ``n_samples`` draws a leading axis of that many samples; ``generator`` makes it repeatable.
    """
    shape = mu.shape if n_samples is None else (int(n_samples), *mu.shape)
    eps = torch.randn(shape, generator=generator, dtype=mu.dtype,
                      device=generator.device if generator is not None else mu.device).to(mu.device)
    return mu + eps * torch.exp(0.5 * logvar)

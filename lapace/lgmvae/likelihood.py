"""A proper likelihood for the L-GMVAE, its ELBO, and an importance-sampled log p(x|y).

The training loss of :mod:`lapace.lgmvae.elbo` drops constants: ``reconstruction`` is the squared
error *summed* over continuous columns (not halved) plus binary cross-entropy on one-hot
columns.  It is exactly ``-log p(x|z)`` up to a constant for

* a Gaussian with variance ``1/2`` on every continuous column,
  ``-log N(x | m, 1/2) = (x - m)^2 + 0.5 log(pi)``, and
* a Bernoulli on every one-hot column (``-log Bern = BCE``),

so with that likelihood (:func:`lapace.lgmvae.elbo.log_px_given_z`)
``ELBO = -(kl_c + kl_z + rec) - 0.5 * n_continuous * log(pi)``.
(A unit-variance Gaussian would give ``0.5 * (x - m)^2``: half the trained term.)

:func:`importance_log_likelihood` estimates

    log p(x|y) = log E_{q(z,c|x,y)}[ p(x, z, c | y) / q(z, c | x, y) ]

by drawing ``S`` pairs ``c ~ q(c|x,y)``, ``z ~ q(z|x,c,y)`` and averaging the weights inside
the log (Burda et al., 2016).  Its expectation never falls below the ELBO and rises to
``log p(x|y)`` as ``S`` grows (Jensen's inequality, Eq. 3).

:func:`mc_kl_z` and :func:`mc_kl_c` are Monte Carlo estimates of the two KL terms with
:mod:`torch.distributions`, to check the analytic :func:`lapace.lgmvae.elbo.kl_z` and
:func:`lapace.lgmvae.elbo.kl_c` against.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import distributions as D

from lapace.lgmvae import elbo as _elbo
from lapace.lgmvae.elbo import MSE_VARIANCE, log_px_given_z

__all__ = [
    "likelihood_constant",
    "elbo",
    "importance_log_likelihood",
    "mc_kl_z",
    "mc_kl_c",
]

def likelihood_constant(n_continuous: int) -> float:
    """``-log p(x|z) - rec`` for the variance-1/2 Gaussian: ``0.5 * n_continuous * log(pi)``."""
    return 0.5 * n_continuous * math.log(math.pi)


def _tensors(vae, X, y):
    X, y = vae.check_inputs(X, y)
    trained = vae.effective_params()["likelihood"]
    if trained != "fixed":
        raise ValueError(
            f"lapace.lgmvae.likelihood assumes the fixed-variance likelihood the model trained with "
            f"likelihood='fixed'; this model trained with likelihood={trained!r}, whose variance "
            "depends on the batch, so its ELBO and log p(x|y) are not defined per input here. "
            "Train with likelihood='fixed' (or objective='paper') to use these estimates."
        )
    dev = torch.device(vae.device)
    mask = vae.categorical_mask(X.shape[1]).to(dev)
    return torch.as_tensor(X, device=dev), torch.as_tensor(y, device=dev), mask


@torch.no_grad()
def elbo(vae, X, y, n_samples: int = 1, seed: int = 0) -> np.ndarray:
    """ELBO of Eq. 3 per input, (n,), under the likelihood of :func:`log_px_given_z`.

    ``-(kl_c + kl_z + rec) - likelihood_constant``, with the expectation over ``c`` exact
    (``LGMVAENet.forward``) and the one over ``z`` averaged over ``n_samples`` draws.
    """
    x, yy, mask = _tensors(vae, X, y)
    gen = torch.Generator(device=x.device).manual_seed(seed)
    total = torch.zeros(x.shape[0], dtype=torch.float64, device=x.device)
    for _ in range(int(n_samples)):
        t = vae.net_(x, yy, mask, gen)
        total += (t["kl_c"] + t["kl_z"] + t["rec"]).double()
    const = likelihood_constant(int((~mask).sum()))
    return (-(total / int(n_samples)) - const).cpu().numpy()


@torch.no_grad()
def importance_log_likelihood(
    vae, X, y, n_samples: int = 100, seed: int = 0, chunk: int = 256,
    variance: float = MSE_VARIANCE,
) -> np.ndarray:
    """Importance-sampled estimate of ``log p(x|y)`` per input, (n,), with proposal
    ``q(z,c|x,y)`` and ``n_samples`` draws (``n_samples=1``: an unbiased ELBO sample)."""
    x, y_t, mask = _tensors(vae, X, y)
    net = vae.net_
    gen = torch.Generator(device=x.device).manual_seed(seed)
    B, k = x.shape[0], net.clusters_per_class
    q_c = net.q_c_probs(x, y_t)                                   # (B, K_y)
    own = net.clusters_of(y_t)                                    # (B, K_y)
    log_w = []
    for start in range(0, int(n_samples), chunk):
        s = min(chunk, int(n_samples) - start)
        j = torch.multinomial(q_c, s, replacement=True, generator=gen)   # (B, s)
        c = own.gather(1, j).reshape(-1)                          # (B*s,)
        xr, yr = x.repeat_interleave(s, 0), y_t.repeat_interleave(s, 0)
        mu, logvar = net.q_z_params(xr, yr, c)
        z = _elbo.reparameterize(mu, logvar, gen)
        mu_p, logvar_p = net.prior(c)
        log_q = (torch.log(q_c.gather(1, j).clamp_min(1e-30)).reshape(-1)
                 + _elbo.gaussian_log_prob(z, mu, logvar))
        log_p = (-math.log(k) + _elbo.gaussian_log_prob(z, mu_p, logvar_p)
                 + log_px_given_z(xr, net.p_x(z), mask, variance))
        log_w.append((log_p - log_q).double().view(B, s))
    log_w = torch.cat(log_w, 1)
    return (torch.logsumexp(log_w, 1) - math.log(log_w.shape[1])).cpu().numpy()


@torch.no_grad()
def mc_kl_z(mu_q, logvar_q, mu_p, logvar_p, n_samples: int, seed: int = 0) -> torch.Tensor:
    """Monte Carlo ``KL(q||p)`` of diagonal Gaussians with ``n_samples`` draws from q, (...)."""
    gen = torch.Generator().manual_seed(seed)
    q = D.Independent(D.Normal(mu_q, torch.exp(0.5 * logvar_q)), 1)
    p = D.Independent(D.Normal(mu_p, torch.exp(0.5 * logvar_p)), 1)
    z = _elbo.reparameterize(mu_q, logvar_q, gen, n_samples=n_samples)
    return (q.log_prob(z) - p.log_prob(z)).mean(0)


@torch.no_grad()
def mc_kl_c(q_c: torch.Tensor, n_samples: int, seed: int = 0) -> torch.Tensor:
    """Monte Carlo ``KL(q(c)||uniform)`` with ``n_samples`` draws from q, (B,)."""
    gen = torch.Generator().manual_seed(seed)
    q = D.Categorical(probs=q_c)
    p = D.Categorical(probs=torch.full_like(q_c, 1.0 / q_c.shape[-1]))
    c = torch.multinomial(q_c, int(n_samples), replacement=True, generator=gen).T   # (S, B)
    return (q.log_prob(c) - p.log_prob(c)).mean(0)

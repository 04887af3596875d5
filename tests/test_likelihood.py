"""lapace.lgmvae.likelihood: the proper likelihood behind the ELBO and the importance-sampled log p(x|y)."""

import math

import numpy as np
import pytest
import torch

from lapace import LGMVAE
from lapace.lgmvae import elbo as E
from lapace.lgmvae import likelihood as L


@pytest.fixture(scope="module")
def tiny():
    """A 1-D latent L-GMVAE on 2 continuous + 2 one-hot columns (trained a few epochs)."""
    rng = np.random.default_rng(0)
    n = 300
    y = rng.integers(0, 2, n)
    cont = rng.normal(y[:, None] * 0.5, 0.2, (n, 2)).astype(np.float32)
    onehot = np.eye(2, dtype=np.float32)[rng.integers(0, 2, n)]
    X = np.hstack([cont, onehot])
    vae = LGMVAE(n_labels=2, clusters_per_class=2, latent_dim=1, hidden_dim=16,
                 categorical_groups=[slice(2, 4)], batch_size=64, max_epochs=5, patience=5,
                 seed=0, verbose=False, likelihood="fixed").fit(X, y)  # the module's likelihood
    return vae, X[:6], y[:6]


def test_log_px_matches_reconstruction_up_to_constant():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(5, 6, generator=g)
    x[:, 3:] = (x[:, 3:] > 0.5).float()
    out = torch.randn(5, 6, generator=g)
    mask = torch.tensor([False, False, False, True, True, True])
    diff = -E.log_px_given_z(x, out, mask) - E.reconstruction(x, out, mask)
    assert torch.allclose(diff, torch.full((5,), L.likelihood_constant(3)), atol=1e-5)
    # without one-hot columns: a plain Gaussian log density
    ref = torch.distributions.Normal(out, math.sqrt(0.5)).log_prob(x).sum(-1)
    assert torch.allclose(E.log_px_given_z(x, out, None), ref, atol=1e-5)


def test_importance_estimate_matches_numerical_integral(tiny):
    vae, X, y = tiny
    net = vae.net_
    grid = torch.linspace(-12, 12, 4001)[:, None]                 # 1-D latent
    dz = float(grid[1, 0] - grid[0, 0])
    mask = vae.categorical_mask(X.shape[1])
    exact = []
    with torch.no_grad():
        for xi, yi in zip(X, y, strict=True):
            x = torch.as_tensor(xi)[None].expand(len(grid), -1)
            terms = []
            for c in net.clusters_of(torch.tensor([int(yi)]))[0]:
                mu, lv = net.prior(c.repeat(len(grid)))
                log_joint = E.gaussian_log_prob(grid, mu, lv) + E.log_px_given_z(x, net.p_x(grid), mask)
                terms.append(torch.logsumexp(log_joint, 0) + math.log(dz) - math.log(2))
            exact.append(float(torch.logsumexp(torch.stack(terms), 0)))
    est = L.importance_log_likelihood(vae, X, y, n_samples=4000, seed=1)
    np.testing.assert_allclose(est, exact, atol=0.05)


def test_bound_holds_and_tightens(tiny):
    vae, X, y = tiny
    elbo = L.elbo(vae, X, y, n_samples=200).mean()
    is1 = np.mean([L.importance_log_likelihood(vae, X, y, n_samples=1, seed=s).mean()
                   for s in range(200)])
    is100 = L.importance_log_likelihood(vae, X, y, n_samples=500, seed=0).mean()
    assert abs(is1 - elbo) < 0.1          # one sample: an unbiased ELBO estimate
    assert elbo < is100                    # Jensen: the bound holds


def test_mc_kl_converges_to_analytic():
    g = torch.Generator().manual_seed(0)
    mu_q, lv_q, mu_p, lv_p = (torch.randn(4, 3, generator=g) * 0.5 for _ in range(4))
    mc = L.mc_kl_z(mu_q, lv_q, mu_p, lv_p, n_samples=200_000)
    assert torch.allclose(mc, E.kl_z(mu_q, lv_q, mu_p, lv_p), atol=0.02)
    q_c = torch.softmax(torch.randn(4, 3, generator=g), -1)
    assert torch.allclose(L.mc_kl_c(q_c, n_samples=200_000), E.kl_c(q_c), atol=0.02)


def test_calibrated_models_are_refused():
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 3), dtype=np.float32), np.array([0, 1] * 20)
    vae = LGMVAE(latent_dim=2, hidden_dim=8, clusters_per_class=2, max_epochs=1, verbose=False,
                 likelihood="calibrated").fit(X, y)
    with pytest.raises(ValueError, match="likelihood='calibrated'"):
        L.elbo(vae, X, y)

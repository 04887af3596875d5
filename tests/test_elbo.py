"""The analytic ELBO terms against Monte Carlo estimates from torch.distributions."""

import math

import torch
from torch.distributions import Categorical, Independent, Normal

from lapace.lgmvae.elbo import gaussian_log_prob, kl_c, kl_z, reconstruction


def test_kl_z_matches_monte_carlo():
    g = torch.Generator().manual_seed(0)
    mu_q, mu_p = torch.randn(4, 3, generator=g), torch.randn(4, 3, generator=g)
    lv_q, lv_p = torch.randn(4, 3, generator=g) * 0.5, torch.randn(4, 3, generator=g) * 0.5
    q = Independent(Normal(mu_q, torch.exp(0.5 * lv_q)), 1)
    p = Independent(Normal(mu_p, torch.exp(0.5 * lv_p)), 1)
    torch.manual_seed(0)
    z = q.sample((200_000,))
    mc = (q.log_prob(z) - p.log_prob(z)).mean(0)
    analytic = kl_z(mu_q, lv_q, mu_p, lv_p)
    assert torch.allclose(analytic, mc, atol=0.03, rtol=0.02), (analytic, mc)
    assert torch.allclose(analytic, torch.distributions.kl_divergence(q, p), atol=1e-5)


def test_kl_z_is_zero_only_for_equal_gaussians():
    mu, lv = torch.randn(5, 2), torch.randn(5, 2)
    assert torch.allclose(kl_z(mu, lv, mu, lv), torch.zeros(5), atol=1e-6)
    assert (kl_z(mu, lv, mu + 0.1, lv) > 0).all()


def test_kl_c_matches_monte_carlo_against_uniform_prior():
    probs = torch.softmax(torch.randn(6, 5, generator=torch.Generator().manual_seed(1)), -1)
    q, p = Categorical(probs=probs), Categorical(probs=torch.full((6, 5), 0.2))
    torch.manual_seed(0)
    c = q.sample((200_000,))
    mc = (q.log_prob(c) - p.log_prob(c)).mean(0)
    assert torch.allclose(kl_c(probs), mc, atol=0.02)
    assert torch.allclose(kl_c(torch.full((2, 5), 0.2)), torch.zeros(2), atol=1e-6)
    assert torch.allclose(kl_c(torch.tensor([[1.0, 0, 0, 0, 0]])), torch.tensor([math.log(5)]))


def test_reconstruction_mse_and_bce_columns():
    x = torch.tensor([[0.5, 1.0, 0.0]])
    out = torch.tensor([[0.0, 2.0, -1.0]])
    mask = torch.tensor([False, True, True])
    bce = torch.nn.functional.binary_cross_entropy_with_logits(out[:, 1:], x[:, 1:], reduction="sum")
    assert torch.allclose(reconstruction(x, out, mask), 0.25 + bce)
    assert torch.allclose(reconstruction(x, out), ((out - x) ** 2).sum(-1))


def test_gaussian_log_prob_matches_torch():
    z, mu, lv = torch.randn(3, 4), torch.randn(3, 4), torch.randn(3, 4)
    ref = Independent(Normal(mu, torch.exp(0.5 * lv)), 1).log_prob(z)
    assert torch.allclose(gaussian_log_prob(z, mu, lv), ref, atol=1e-5)

"""The L-GMVAE (§3.1): the estimator (:mod:`~lapace.lgmvae.model`), its networks (Appendix B,
:mod:`~lapace.lgmvae.networks`), the ELBO terms (Eq. 3, :mod:`~lapace.lgmvae.elbo`) and
likelihood (:mod:`~lapace.lgmvae.likelihood`), the file format (:mod:`~lapace.lgmvae.fileformat`),
the training diagnostics of §3.1 (:mod:`~lapace.lgmvae.diagnostics`) and the paper's recipe
written once (:mod:`~lapace.lgmvae.recipe`)."""

from lapace.lgmvae.model import LGMVAE

__all__ = ["LGMVAE"]

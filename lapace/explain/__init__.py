"""LAPACE (§3.2-3.3): the explainer (:mod:`~lapace.explain.explainer`: centroids and their
repair), the one engine of Algorithm 1 (:mod:`~lapace.explain.engine`), the result
(:mod:`~lapace.explain.result`) and actionability constraints (:mod:`~lapace.explain.constraints`)."""

from lapace.explain.explainer import Lapace
from lapace.explain.result import LapaceResult

__all__ = ["Lapace", "LapaceResult"]

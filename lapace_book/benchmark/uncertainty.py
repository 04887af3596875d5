"""Paired comparisons with their uncertainty: the evidence behind every "better", "best",
"matches" and "within 25%" of the claims (:mod:`lapace_book.benchmark.claims`).

Two methods are compared on the same units (test inputs, or repetitions for runtime) where
both have a value: a proximity, plausibility or diversity exists only where the method found a
valid CE, so a comparison of two methods uses the inputs where both did, and each method's
*coverage* (the share of units where it has a value) is reported beside it.  The interval is a
paired percentile bootstrap (:func:`scipy.stats.bootstrap`, ``paired=True``) over those units.

A comparison's *outcome* is

- ``"win"`` when the 95% interval lies wholly on the claimed side (the claim holds beyond the
  sampling noise),
- ``"loss"`` when it lies wholly on the other side,
- ``"tie"`` when it contains the boundary (no difference, or the 25% margin): the data cannot
  tell, and the claims say so instead of counting it as a win,
- ``"untested"`` with fewer than :data:`MIN_UNITS` common units (no interval can be formed).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["LEVEL", "MIN_UNITS", "N_RESAMPLES", "Comparison", "best_of", "compare", "outcome_of"]

#: the intervals' confidence level
LEVEL = 0.95
#: bootstrap resamples per interval
N_RESAMPLES = 2000
#: fewest common units for an interval
MIN_UNITS = 2


@dataclass(frozen=True)
class Comparison:
    """``a`` against ``b``: the statistic (``mean(a) - mean(b)``, or ``mean(a) / mean(b)`` for a
    ratio), its 95% interval, the common units ``n``, each side's coverage and the outcome."""

    estimate: float
    low: float
    high: float
    n: int
    coverage_a: float
    coverage_b: float
    outcome: str
    kind: str = "difference"

    def text(self, digits: int = 2) -> str:
        """``-0.12 [-0.15, -0.09]`` (``ratio 1.7 [1.5, 1.9]``), or why there is no interval."""
        if self.outcome == "untested":
            return f"untested ({self.n} common unit{'s' if self.n != 1 else ''})"
        name = "ratio " if self.kind == "ratio" else "Δ "
        return f"{name}{self.estimate:+.{digits}f} [{self.low:+.{digits}f}, {self.high:+.{digits}f}]" \
            if self.kind != "ratio" else \
            f"{name}{self.estimate:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


def outcome_of(low: float, high: float, boundary: float, claimed: str) -> str:
    """``"win"`` if ``[low, high]`` lies wholly on the ``claimed`` side (``"below"`` or
    ``"above"``) of ``boundary``, ``"loss"`` if wholly on the other, ``"tie"`` otherwise."""
    if claimed not in ("below", "above"):
        raise ValueError(f"claimed must be 'below' or 'above', got {claimed!r}.")
    below, above = high < boundary, low > boundary
    if claimed == "below":
        return "win" if below else "loss" if above else "tie"
    return "win" if above else "loss" if below else "tie"


def _mean_diff(x, y, axis=-1):
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def _mean_ratio(x, y, axis=-1):
    den = np.mean(y, axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.mean(x, axis=axis) / den


def compare(a, b, claimed: str, kind: str = "difference", margin: float | None = None,
            seed: int = 0) -> Comparison:
    """``a`` against ``b`` on their common units (both finite), paired.

    Parameters
    ----------
    a, b : values per unit (NaN: the method has none there), aligned.
    claimed : ``"below"`` (the claim is that ``a`` is lower: a lower-is-better metric) or
        ``"above"``.
    kind : ``"difference"`` (``mean(a) - mean(b)`` against 0) or ``"ratio"``
        (``mean(a) / mean(b)`` against ``margin``, e.g. 1.25 for "within 25%").
    seed : seed of the bootstrap resamples.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"a and b must be 1-D and aligned, got shapes {a.shape} and {b.shape}.")
    if kind not in ("difference", "ratio"):
        raise ValueError(f"kind must be 'difference' or 'ratio', got {kind!r}.")
    if kind == "ratio" and margin is None:
        raise ValueError("a ratio is compared with a margin (e.g. margin=1.25).")
    fa, fb = np.isfinite(a), np.isfinite(b)
    both = fa & fb
    n = int(both.sum())
    cov_a, cov_b = (float(f.mean()) if len(f) else float("nan") for f in (fa, fb))
    x, y = a[both], b[both]
    stat = _mean_diff if kind == "difference" else _mean_ratio
    boundary = 0.0 if kind == "difference" else float(margin)
    estimate = float(stat(x, y)) if n else float("nan")
    if n < MIN_UNITS:
        return Comparison(estimate, float("nan"), float("nan"), n, cov_a, cov_b, "untested", kind)
    if np.all(x == x[0]) and np.all(y == y[0]):        # no variation: the interval is the point
        low = high = estimate
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # degenerate resamples of a ratio (0 / 0)
            res = stats.bootstrap((x, y), stat, paired=True, vectorized=True,
                                  n_resamples=N_RESAMPLES, confidence_level=LEVEL,
                                  method="percentile", rng=np.random.default_rng(seed))
        low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if not (np.isfinite(low) and np.isfinite(high)):
        return Comparison(estimate, low, high, n, cov_a, cov_b, "untested", kind)
    return Comparison(estimate, low, high, n, cov_a, cov_b,
                      outcome_of(low, high, boundary, claimed), kind)


def best_of(comparisons: list[Comparison]) -> str:
    """The outcome of "X is the best": the comparisons of X against every other method
    (each claiming X better).  ``"win"`` if X beats every one, ``"loss"`` if any beats X,
    ``"untested"`` if none could be tested, ``"tie"`` otherwise."""
    outcomes = [c.outcome for c in comparisons if c.outcome != "untested"]
    if not outcomes:
        return "untested"
    if "loss" in outcomes:
        return "loss"
    return "win" if all(o == "win" for o in outcomes) else "tie"

"""The result type every counterfactual method of the package returns.

:class:`Counterfactuals` holds ``m`` candidate counterfactuals per input in encoded space.
LAPACE's ``first()``, ``middle()`` and ``last()`` (``m`` = clusters of the target) and every
baseline of :mod:`lapace.baselines` return it, so metrics and tables treat all methods alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Counterfactuals"]


@dataclass
class Counterfactuals:
    """Counterfactual points of ``n`` inputs, ``m`` per input.

    Attributes
    ----------
    points : (n, m, d) float32 in encoded space; a row of NaN where nothing was found.
    valid : (n, m) bool: the black box's own prediction of each point equals the target (and,
        where constraints were given, they hold); never the method's word.
    paths : optional list (one entry per input) of (length, d) arrays: the path a method
        walked from the input to its counterfactual (FACE), ``None`` where not kept.
    info : optional per-method extras (e.g. time-outs), a plain dict.

    Unpacks as ``points, valid = cf`` (the README's idiom).
    """

    points: np.ndarray
    valid: np.ndarray
    paths: list | None = None
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        self.points = np.asarray(self.points, dtype=np.float32)
        self.valid = np.asarray(self.valid, dtype=bool)
        if self.points.ndim != 3 or self.valid.shape != self.points.shape[:2]:
            raise ValueError(
                f"points must be (n, m, d) and valid (n, m); got {self.points.shape} and "
                f"{self.valid.shape}."
            )

    def __iter__(self):
        return iter((self.points, self.valid))

    def __len__(self) -> int:
        return self.points.shape[0]

    @property
    def found(self) -> np.ndarray:
        """(n, m) whether a point was returned at all (not a NaN row)."""
        return ~np.isnan(self.points).any(-1)

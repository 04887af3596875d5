"""The result type every counterfactual method of the package returns.

:class:`Counterfactuals` holds ``m`` candidate counterfactuals per input in encoded space.
LAPACE's ``first()``, ``middle()`` and ``last()`` (``m`` = clusters of the target) and every
baseline of :mod:`lapace.methods` return it, so metrics and tables treat all methods alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lapace.validation import check_mask, check_points

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
        # checked, never cast: valid=0.2 (a probability) or "yes" is refused, not made True
        self.points = check_points(self.points, "points").astype(np.float32)
        self.valid = check_mask(self.valid, "valid")
        if self.points.ndim != 3 or self.valid.shape != self.points.shape[:2]:
            raise ValueError(
                f"points must be (n, m, d) and valid (n, m); got {self.points.shape} and "
                f"{self.valid.shape}."
            )

    def __iter__(self):
        return iter((self.points, self.valid))

    def __len__(self) -> int:
        return self.points.shape[0]

    @classmethod
    def concatenate(cls, parts: list[Counterfactuals]) -> Counterfactuals:
        """One result from the results of consecutive chunks of inputs: points, valid, paths
        and every per-input array of ``info`` joined along the inputs; other ``info`` values
        are kept when all chunks agree, else listed per chunk."""
        if len(parts) == 1:
            return parts[0]
        if not parts:
            raise ValueError("nothing to concatenate: no chunk of inputs was explained.")
        paths = None
        if any(p.paths is not None for p in parts):
            paths = [q for p in parts for q in (p.paths if p.paths is not None else [None] * len(p))]
        info = {}
        for key in dict.fromkeys(k for p in parts for k in p.info):
            values = [p.info.get(key) for p in parts]
            if all(isinstance(v, np.ndarray) and v.ndim and len(v) == len(p)
                   for v, p in zip(values, parts, strict=True)):
                info[key] = np.concatenate(values)
            elif all(_same(v, values[0]) for v in values):
                info[key] = values[0]
            else:
                info[key] = values
        return cls(np.concatenate([p.points for p in parts]),
                   np.concatenate([p.valid for p in parts]), paths=paths, info=info)

    @property
    def found(self) -> np.ndarray:
        """(n, m) whether a point was returned at all (not a NaN row)."""
        return ~np.isnan(self.points).any(-1)


def _same(a, b) -> bool:
    try:
        return bool(np.all(a == b))
    except (TypeError, ValueError):
        return a is b

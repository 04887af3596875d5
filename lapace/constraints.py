"""Actionability constraints g(x) <= 0 (paper §3.3).

Constraints are written in original feature units and compiled against a dataset
encoder (:class:`~lapace.TabularDataset`) into a function of the *encoded* tensor.
Each compiled constraint returns its violation ``max(g(x), 0)`` per point; the
violations of all constraints are summed, and LAPACE corrects a latent point by
gradient descent on that sum through the decoder.

Any differentiable callable ``g(x) -> (N,)`` on the encoded tensor is a constraint
too (satisfied where ``g(x) <= 0``); it needs no dataset.  The MNIST chapter's
"no dash" pixel penalty is one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

__all__ = ["Constraint", "Range", "Relation", "Immutable", "compile_constraints"]

# (x (N, d) encoded points, x0 (N, d) the inputs they were generated for) -> (N,) violation
Violation = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _check_feature(dataset, name: str, continuous: bool = False) -> None:
    if dataset is None:
        raise ValueError(
            f"The constraint on feature {name!r} is written in original units and needs the "
            "dataset encoder: create the explainer with Lapace(vae, predict, dataset=ds)."
        )
    if name not in dataset.features:
        raise ValueError(
            f"Constraint names feature {name!r}, which the dataset does not have; "
            f"features are: {', '.join(dataset.features)}."
        )
    if continuous and name not in dataset.continuous:
        raise ValueError(
            f"Feature {name!r} is categorical; Range and Relation apply to continuous features "
            "only (use Immutable to keep a category)."
        )


def _affine(dataset, name: str) -> tuple[int, float, float]:
    """Encoded column, minimum and scale of a continuous feature (x_enc = (v - lo) / scale)."""
    lo, hi = dataset.bounds_[name]
    scale = float(hi - lo) if hi > lo else 1.0
    return dataset.feature_slice(name).start, float(lo), scale


class Constraint:
    """Base class: a requirement on a counterfactual, compiled to a violation function."""

    def compile(self, dataset) -> Violation:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class Range(Constraint):
    """``low <= feature <= high`` in original units (either bound may be ``None``)."""

    feature: str
    low: float | None = None
    high: float | None = None

    def __post_init__(self):
        if self.low is None and self.high is None:
            raise ValueError(f"Range({self.feature!r}) needs a low or a high bound.")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"Range({self.feature!r}): low={self.low} is above high={self.high}.")

    def compile(self, dataset) -> Violation:
        _check_feature(dataset, self.feature, continuous=True)
        j, lo, scale = _affine(dataset, self.feature)
        low = None if self.low is None else (self.low - lo) / scale
        high = None if self.high is None else (self.high - lo) / scale

        def violation(x: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
            v = torch.zeros_like(x[:, j])
            if low is not None:
                v = v + torch.relu(low - x[:, j])
            if high is not None:
                v = v + torch.relu(x[:, j] - high)
            return v

        return violation


_OPS = (">=", ">", "<=", "<")


@dataclass(frozen=True)
class Relation(Constraint):
    """``a OP b`` between two continuous features in original units, OP in >=, >, <=, <.

    The violation is measured in units of the larger of the two features' ranges.
    """

    a: str
    op: str
    b: str

    def __post_init__(self):
        if self.op not in _OPS:
            raise ValueError(f"Relation operator must be one of {_OPS}, got {self.op!r}.")

    def compile(self, dataset) -> Violation:
        _check_feature(dataset, self.a, continuous=True)
        _check_feature(dataset, self.b, continuous=True)
        ja, lo_a, sa = _affine(dataset, self.a)
        jb, lo_b, sb = _affine(dataset, self.b)
        unit = max(sa, sb)
        strict = 1e-6 if self.op in (">", "<") else 0.0
        sign = 1.0 if self.op.startswith(">") else -1.0

        def violation(x: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
            va = lo_a + x[:, ja] * sa
            vb = lo_b + x[:, jb] * sb
            return torch.relu(sign * (vb - va) / unit + strict)

        return violation


@dataclass(frozen=True)
class Immutable(Constraint):
    """Keep ``feature`` at the input's value.

    Continuous: ``|x - x_input| <= tol`` (original units; default 1% of the training
    range).  Categorical: the decoded category (argmax of its group) stays the input's.
    """

    feature: str
    tol: float | None = None

    def compile(self, dataset) -> Violation:
        _check_feature(dataset, self.feature)
        cols = dataset.feature_slice(self.feature)
        if self.feature in dataset.continuous:
            j, _, scale = _affine(dataset, self.feature)
            tol = 0.01 if self.tol is None else self.tol / scale

            def violation(x: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
                return torch.relu((x[:, j] - x0[:, j]).abs() - tol)

            return violation

        def violation_cat(x: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
            block, keep = x[:, cols], x0[:, cols].argmax(1, keepdim=True)
            own = block.gather(1, keep).squeeze(1)
            others = block.scatter(1, keep, float("-inf")).max(1).values
            return torch.relu(others - own)

        return violation_cat


def compile_constraints(
    constraints: Sequence[Constraint | Callable[[torch.Tensor], torch.Tensor]] | None,
    dataset=None,
) -> Violation | None:
    """Compile constraints into one function returning the summed violation per point."""
    if not constraints:
        return None
    parts: list[Violation] = []
    for con in constraints:
        if isinstance(con, Constraint):
            parts.append(con.compile(dataset))
        elif callable(con):
            parts.append(lambda x, x0, g=con: torch.relu(g(x)).reshape(x.shape[0]))
        else:
            raise ValueError(
                f"Constraints must be Range, Relation, Immutable or callables g(x), got {con!r}."
            )

    def total(x: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
        return sum(p(x, x0) for p in parts)

    return total

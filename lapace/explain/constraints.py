"""Actionability constraints g(x) <= 0 (paper §3.3).

Constraints are written in original feature units and compiled against a dataset
encoder (:class:`~lapace.TabularDataset`) into a function of the *encoded* tensor.
Each compiled constraint returns its violation ``max(g(x), 0)`` per point; the
violations of all constraints are summed, and LAPACE corrects a latent point by
gradient descent on that sum through the decoder.

* :class:`Range` — ``low <= feature <= high``;
* :class:`Relation` — ``a >= b`` (or ``>``, ``<=``, ``<``) between two features;
* :class:`Immutable` — the feature keeps the input's value (recourse cannot change it);
* :class:`Monotone` — the feature may only increase (or only decrease) from the input's value;
* any differentiable callable ``g(x)`` or ``g(x, x0)`` on encoded (N, d) tensors returning
  (N,): satisfied where ``g <= 0``; ``x0`` holds the input each point was generated for. It
  needs no dataset; the MNIST chapter's "no dash" pixel penalty is one.

Comparisons are made in original units in float64 (the same arithmetic as
``TabularDataset.decode``), allowing :data:`TOL` times the feature's training range for the
float32 resolution of encoded points; strict relations (``>``, ``<``) require a margin of
that size instead. :meth:`Constraint.holds` checks decoded records (data frames in original
units) with the same rule, independently of the encoded path, and :meth:`Constraint.enforce`
sets feature values directly so that a constraint holds (clip a range, repair a relation),
the "naive" treatment of the paper's Table 3 baselines.

Errors and warnings: a constraint that contradicts itself (``low > high``, a feature related
to itself, two ranges on one feature that do not overlap) raises ``ValueError``; one that
cannot hold anywhere in the training data's range (``Range("age", low=200)`` when ages stop
at 80) warns when compiled, naming it.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from lapace.validation import warn

__all__ = [
    "TOL",
    "as_list",
    "fixed_columns",
    "CompiledConstraints",
    "Constraint",
    "Immutable",
    "Monotone",
    "Range",
    "Relation",
    "compile_constraints",
    "enforce",
    "records_satisfy",
]

#: tolerance of every comparison, as a fraction of the feature's training range (float32 resolution)
TOL = 1e-6

# (x (N, d) encoded points, x0 (N, d) the inputs they were generated for) -> (N,) violation
Violation = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _check_name(kind: str, name, argument: str = "feature") -> None:
    if not isinstance(name, str) or not name:
        raise ValueError(f"{kind}: {argument} must be a feature name (a string), got {name!r}.")


def _check_choice(kind: str, argument: str, value, choices) -> None:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{kind}: {argument} must be one of {choices}, got {value!r}.")


def _check_bound(kind: str, feature: str, which: str, value) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(
            f"{kind}({feature!r}): {which} must be a finite number in the feature's original "
            f"units or None, got {value!r} ({type(value).__name__})."
        )


def _check_feature(dataset, name: str, continuous: bool = False, kind: str = "Range and Relation") -> None:
    if dataset is None:
        raise ValueError(
            f"The constraint on feature {name!r} is written in original units and needs the "
            "dataset encoder: fit the explainer with Lapace(vae).fit(model=clf, dataset=ds)."
        )
    if name not in dataset.features:
        raise ValueError(
            f"Constraint names feature {name!r}, which the dataset does not have; "
            f"features are: {', '.join(dataset.features)}."
        )
    if continuous and name not in dataset.continuous:
        raise ValueError(
            f"Feature {name!r} is categorical; {kind} apply to continuous features "
            "only (use Immutable to keep a category)."
        )


def _affine(dataset, name: str) -> tuple[int, float, float]:
    """Encoded column, minimum and scale of a continuous feature (x_enc = (v - lo) / scale)."""
    lo, hi = dataset.bounds_[name]
    scale = float(hi - lo) if hi > lo else 1.0
    return dataset.feature_slice(name).start, float(lo), scale


def _original(x: torch.Tensor, j: int, lo: float, scale: float) -> torch.Tensor:
    """Column ``j`` of encoded points in original units, in float64 as ``decode`` computes it."""
    return x[:, j].double() * scale + lo


class Constraint:
    """Base class: a requirement on a counterfactual.

    ``compile(dataset)`` gives the violation function on encoded tensors used by the §3.3
    corrections, ``holds(records, inputs)`` checks decoded records in original units, and
    ``enforce(X, X0, dataset)`` sets encoded feature values so that the constraint holds.
    """

    def compile(self, dataset) -> Violation:  # pragma: no cover - interface
        raise NotImplementedError

    def holds(self, records: pd.DataFrame, inputs: pd.DataFrame, dataset) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def enforce(self, X: np.ndarray, X0: np.ndarray, dataset) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def infeasible(self, dataset) -> str | None:
        """Why the constraint cannot hold anywhere in the training range, or ``None``."""
        return None


@dataclass(frozen=True)
class Range(Constraint):
    """``low <= feature <= high`` in original units (either bound may be ``None``)."""

    feature: str
    low: float | None = None
    high: float | None = None

    def __post_init__(self):
        _check_name("Range", self.feature)
        _check_bound("Range", self.feature, "low", self.low)
        _check_bound("Range", self.feature, "high", self.high)
        if self.low is None and self.high is None:
            raise ValueError(f"Range({self.feature!r}) needs a low or a high bound.")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"Range({self.feature!r}): low={self.low} is above high={self.high}.")

    def compile(self, dataset) -> Violation:
        _check_feature(dataset, self.feature, continuous=True)
        j, lo, scale = _affine(dataset, self.feature)
        low, high, tol = self.low, self.high, TOL * scale

        def violation(x: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
            v = _original(x, j, lo, scale)
            out = torch.zeros_like(v)
            if low is not None:
                out = out + torch.relu(low - tol - v)
            if high is not None:
                out = out + torch.relu(v - high - tol)
            return out / scale

        return violation

    def holds(self, records, inputs, dataset) -> np.ndarray:
        v = records[self.feature].to_numpy(np.float64)
        tol = TOL * _affine(dataset, self.feature)[2]
        ok = np.ones(len(v), dtype=bool)
        if self.low is not None:
            ok &= v >= self.low - tol
        if self.high is not None:
            ok &= v <= self.high + tol
        return ok

    def enforce(self, X, X0, dataset) -> np.ndarray:
        j, lo, scale = _affine(dataset, self.feature)
        X = X.copy()
        low = -np.inf if self.low is None else (self.low - lo) / scale
        high = np.inf if self.high is None else (self.high - lo) / scale
        X[:, j] = np.clip(X[:, j], low, high)
        return X

    def infeasible(self, dataset) -> str | None:
        lo, hi = dataset.bounds_[self.feature]
        if self.low is not None and self.low > hi:
            return f"low={self.low} is above the largest training value {hi:g}"
        if self.high is not None and self.high < lo:
            return f"high={self.high} is below the smallest training value {lo:g}"
        return None


_OPS = (">=", ">", "<=", "<")


@dataclass(frozen=True)
class Relation(Constraint):
    """``a OP b`` between two continuous features in original units, OP in >=, >, <=, <.

    The violation is measured in units of the larger of the two features' ranges; ``>`` and
    ``<`` require a margin of :data:`TOL` of that unit.
    """

    a: str
    op: str
    b: str

    def __post_init__(self):
        _check_name("Relation", self.a, "a")
        _check_name("Relation", self.b, "b")
        _check_choice("Relation", "op (the operator)", self.op, _OPS)
        if self.a == self.b:
            raise ValueError(
                f"Relation({self.a!r}, {self.op!r}, {self.b!r}) relates a feature to itself: it "
                "is always or never true; use Range, Immutable or Monotone instead."
            )

    def _parts(self, dataset):
        ja, lo_a, sa = _affine(dataset, self.a)
        jb, lo_b, sb = _affine(dataset, self.b)
        unit = max(sa, sb)
        sign = 1.0 if self.op.startswith(">") else -1.0
        # strict: a - b >= TOL * unit; non-strict: a - b >= -TOL * unit (for sign = +1)
        margin = TOL * unit if self.op in (">", "<") else -TOL * unit
        return (ja, lo_a, sa), (jb, lo_b, sb), unit, sign, margin

    def compile(self, dataset) -> Violation:
        _check_feature(dataset, self.a, continuous=True)
        _check_feature(dataset, self.b, continuous=True)
        (ja, lo_a, sa), (jb, lo_b, sb), unit, sign, margin = self._parts(dataset)

        def violation(x: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
            va, vb = _original(x, ja, lo_a, sa), _original(x, jb, lo_b, sb)
            return torch.relu(margin - sign * (va - vb)) / unit

        return violation

    def holds(self, records, inputs, dataset) -> np.ndarray:
        _, _, unit, sign, margin = self._parts(dataset)
        va, vb = records[self.a].to_numpy(np.float64), records[self.b].to_numpy(np.float64)
        return sign * (va - vb) >= margin

    def enforce(self, X, X0, dataset) -> np.ndarray:
        """Where broken, set ``a`` to ``b`` (plus the strict margin): the first feature moves."""
        (ja, lo_a, sa), (jb, lo_b, sb), unit, sign, margin = self._parts(dataset)
        X = X.copy()
        va, vb = X[:, ja].astype(np.float64) * sa + lo_a, X[:, jb].astype(np.float64) * sb + lo_b
        broken = sign * (va - vb) < max(margin, 0.0)
        target = vb + sign * 2 * max(margin, 0.0)
        X[broken, ja] = (target[broken] - lo_a) / sa
        return X

    def infeasible(self, dataset) -> str | None:
        (lo_a, hi_a), (lo_b, hi_b) = dataset.bounds_[self.a], dataset.bounds_[self.b]
        if self.op.startswith(">") and hi_a < lo_b:
            return f"{self.a} never exceeds {hi_a:g} and {self.b} is never below {lo_b:g}"
        if self.op.startswith("<") and lo_a > hi_b:
            return f"{self.a} is never below {lo_a:g} and {self.b} never exceeds {hi_b:g}"
        return None


@dataclass(frozen=True)
class Immutable(Constraint):
    """Keep ``feature`` at the input's value.

    Continuous: ``|x - x_input| <= tol`` (original units; default 1% of the training
    range).  Categorical: the decoded category (argmax of its group) stays the input's.
    """

    feature: str
    tol: float | None = None

    def __post_init__(self):
        _check_name("Immutable", self.feature)
        _check_bound("Immutable", self.feature, "tol", self.tol)
        if self.tol is not None and self.tol < 0:
            raise ValueError(f"Immutable({self.feature!r}): tol must be >= 0, got {self.tol}.")

    def _tol(self, dataset) -> float:
        scale = _affine(dataset, self.feature)[2]
        return 0.01 * scale if self.tol is None else float(self.tol) + TOL * scale

    def compile(self, dataset) -> Violation:
        _check_feature(dataset, self.feature)
        cols = dataset.feature_slice(self.feature)
        if self.feature in dataset.continuous:
            j, lo, scale = _affine(dataset, self.feature)
            tol = self._tol(dataset)

            def violation(x: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
                v, v0 = _original(x, j, lo, scale), _original(x0, j, lo, scale)
                return torch.relu((v - v0).abs() - tol) / scale

            return violation

        def violation_cat(x: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
            block, keep = x[:, cols], x0[:, cols].argmax(1, keepdim=True)
            own = block.gather(1, keep).squeeze(1)
            others = block.scatter(1, keep, float("-inf")).max(1).values
            return torch.relu(others - own).double()

        return violation_cat

    def holds(self, records, inputs, dataset) -> np.ndarray:
        if self.feature in dataset.continuous:
            v = records[self.feature].to_numpy(np.float64)
            v0 = inputs[self.feature].to_numpy(np.float64)
            return np.abs(v - v0) <= self._tol(dataset)
        return (records[self.feature].to_numpy() == inputs[self.feature].to_numpy())

    def enforce(self, X, X0, dataset) -> np.ndarray:
        cols = dataset.feature_slice(self.feature)
        X = X.copy()
        X[:, cols] = X0[:, cols]
        return X


_DIRECTIONS = ("increase", "decrease")


@dataclass(frozen=True)
class Monotone(Constraint):
    """``feature`` may only ``"increase"`` (``x >= x_input``) or only ``"decrease"`` from the input."""

    feature: str
    direction: str = "increase"

    def __post_init__(self):
        _check_name("Monotone", self.feature)
        _check_choice(f"Monotone({self.feature!r})", "direction", self.direction, _DIRECTIONS)

    def compile(self, dataset) -> Violation:
        _check_feature(dataset, self.feature, continuous=True, kind="Monotone constraints")
        j, lo, scale = _affine(dataset, self.feature)
        sign, tol = (1.0 if self.direction == "increase" else -1.0), TOL * scale

        def violation(x: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
            v, v0 = _original(x, j, lo, scale), _original(x0, j, lo, scale)
            return torch.relu(-tol - sign * (v - v0)) / scale

        return violation

    def holds(self, records, inputs, dataset) -> np.ndarray:
        sign = 1.0 if self.direction == "increase" else -1.0
        v = records[self.feature].to_numpy(np.float64)
        v0 = inputs[self.feature].to_numpy(np.float64)
        return sign * (v - v0) >= -TOL * _affine(dataset, self.feature)[2]

    def enforce(self, X, X0, dataset) -> np.ndarray:
        j = dataset.feature_slice(self.feature).start
        X = X.copy()
        X[:, j] = np.maximum(X[:, j], X0[:, j]) if self.direction == "increase" else \
            np.minimum(X[:, j], X0[:, j])
        return X


def _describe(con, i: int) -> str:
    if isinstance(con, Constraint):
        return repr(con)
    return f"callable constraint #{i} ({getattr(con, '__name__', type(con).__name__)})"


def _takes_input(g) -> bool:
    """Whether callable ``g`` takes ``(x, x0)`` rather than ``(x)``."""
    try:
        params = list(inspect.signature(g).parameters.values())
    except (TypeError, ValueError):  # builtins without a signature: g(x)
        return False
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    if len(required) > 2 or not positional:
        raise ValueError(
            f"A callable constraint takes g(x) or g(x, x0) (encoded points and their inputs), "
            f"but {getattr(g, '__name__', g)!r} has the signature {inspect.signature(g)}."
        )
    return len(required) == 2


def _wrap_callable(g, name: str) -> Violation:
    two = _takes_input(g)

    torch_only = (f"The {name} must be written with torch operations (torch.relu, x[:, j], "
                  "tensor arithmetic), not NumPy: LAPACE differentiates it through the decoder "
                  "(§3.3)")

    def violation(x: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
        try:
            out = g(x, x0) if two else g(x)
        except RuntimeError as err:                 # NumPy on a tensor that requires grad
            if "numpy" not in str(err).lower():
                raise
            raise ValueError(f"{torch_only} ({err}).") from None
        if isinstance(out, np.ndarray):
            raise ValueError(f"{torch_only}; it must return a torch tensor of shape (N,), not "
                             "a NumPy array.")
        if not isinstance(out, torch.Tensor):
            raise ValueError(
                f"The {name} must return a torch tensor of shape (N,) (it is differentiated "
                f"through the decoder), got {type(out).__name__}."
            )
        if out.shape not in ((x.shape[0],), (x.shape[0], 1)):
            raise ValueError(
                f"The {name} must return one value per point, shape ({x.shape[0]},), for "
                f"x of shape {tuple(x.shape)}; got shape {tuple(out.shape)}. Reduce over "
                "features, e.g. (x[:, cols] - 0.5).sum(1)."
            )
        return torch.relu(out.reshape(x.shape[0])).double()

    return violation


class CompiledConstraints:
    """Compiled constraints: called on encoded tensors ``(x, x0)``, the summed violation (N,).

    Attributes
    ----------
    constraints : the constraints as given.
    names : one description per constraint (its ``repr``), used in warnings.
    """

    def __init__(self, constraints: list, parts: list[Violation]):
        self.constraints, self.parts = constraints, parts
        self.names = [_describe(c, i) for i, c in enumerate(constraints)]

    def __call__(self, x: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
        total = sum(p(x, x0) for p in self.parts)
        if x.requires_grad and torch.is_grad_enabled() and not total.requires_grad:
            raise ValueError(
                f"The constraints {self.names} give no gradient with respect to x: a callable "
                "constraint must be written with torch operations (torch.relu, x[:, j], tensor "
                "arithmetic), not NumPy (e.g. torch.tensor(np.maximum(...)) cuts the gradient); "
                "LAPACE differentiates it through the decoder (§3.3).")
        return total

    def each(self, X: np.ndarray, X0: np.ndarray) -> np.ndarray:
        """(N, p) bool: whether each constraint holds at each encoded point."""
        with torch.no_grad():
            x, x0 = torch.as_tensor(X), torch.as_tensor(X0)
            return np.stack([(p(x, x0) <= 0).numpy() for p in self.parts], axis=1)

    def satisfied(self, X: np.ndarray, X0: np.ndarray) -> np.ndarray:
        """(N,) bool: whether all constraints hold at each encoded point."""
        return self.each(X, X0).all(1)


def as_list(constraints) -> list:
    """``constraints`` (one, a list, or None) as a checked list of constraints."""
    return [] if constraints is None else _as_list(constraints)


def _as_list(constraints) -> list:
    if isinstance(constraints, Constraint) or callable(constraints):
        return [constraints]
    if isinstance(constraints, (str, bytes)) or not isinstance(constraints, Iterable):
        raise ValueError(
            "constraints must be a constraint (Range, Relation, Immutable, Monotone, a callable "
            f"g(x) or g(x, x0)) or a list of them, got {constraints!r}."
        )
    return list(constraints)


def fixed_columns(constraints, dataset) -> np.ndarray:
    """Encoded columns that :class:`Immutable` constraints fix *exactly*: a categorical
    feature's one-hot block and an integer feature's column.  Their decoded value is discrete,
    so a tolerance cannot keep it (a 0.72-year tolerance still lets age 45 round to 46); LAPACE
    copies these columns from the input before the black box is asked, as recourse libraries
    do for fixed features.  Continuous floats keep Immutable's tolerance."""
    if constraints is None or dataset is None:
        return np.empty(0, dtype=np.int64)
    integer = set(dataset.integer_features())
    cols = []
    for c in _as_list(constraints):
        if isinstance(c, Immutable) and (c.feature in dataset.categorical or c.feature in integer):
            block = dataset.feature_slice(c.feature)
            cols.extend(range(block.start, block.stop))
    return np.unique(np.asarray(cols, dtype=np.int64))


def _check_ranges_overlap(constraints: list) -> None:
    lows, highs = {}, {}
    for c in constraints:
        if isinstance(c, Range):
            if c.low is not None and c.low > lows.get(c.feature, (-np.inf,))[0]:
                lows[c.feature] = (c.low, c)
            if c.high is not None and c.high < highs.get(c.feature, (np.inf,))[0]:
                highs[c.feature] = (c.high, c)
    for f in lows.keys() & highs.keys():
        if lows[f][0] > highs[f][0]:
            raise ValueError(
                f"Contradictory constraints on {f!r}: {lows[f][1]!r} and {highs[f][1]!r} "
                "cannot both hold."
            )


def compile_constraints(constraints, dataset=None) -> CompiledConstraints | None:
    """Compile constraints (one or a list) into :class:`CompiledConstraints`, ``None`` if none.

    Raises ``ValueError`` for anything that is not a constraint and for contradictory ranges;
    warns (``UserWarning``) for a constraint that cannot hold on the training data's range.
    """
    if constraints is None:
        return None
    constraints = _as_list(constraints)
    if not constraints:
        return None
    _check_ranges_overlap(constraints)
    parts: list[Violation] = []
    for i, con in enumerate(constraints):
        if isinstance(con, Constraint):
            parts.append(con.compile(dataset))
            why = con.infeasible(dataset)
            if why:
                warn(f"Constraint {con!r} cannot hold on the training data's range ({why}); "
                      "no counterfactual is likely to satisfy it.")
        elif callable(con):
            parts.append(_wrap_callable(con, _describe(con, i)))
        else:
            raise ValueError(
                "Constraints must be Range, Relation, Immutable, Monotone or callables g(x) / "
                f"g(x, x0), got {con!r} ({type(con).__name__})."
            )
    return CompiledConstraints(constraints, parts)


def records_satisfy(constraints, records: pd.DataFrame, inputs: pd.DataFrame, dataset) -> np.ndarray:
    """(N, p) bool: each built-in constraint checked on decoded records in original units.

    ``records`` and ``inputs`` are aligned frames (``dataset.decode`` of the points and of the
    inputs they were generated for). Independent of the encoded check: tables use it to assert
    that no counted counterfactual breaks a constraint.
    """
    constraints = _as_list(constraints)
    if len(records) != len(inputs):
        raise ValueError(f"records ({len(records)} rows) and inputs ({len(inputs)}) must align.")
    out = np.ones((len(records), len(constraints)), dtype=bool)
    for i, con in enumerate(constraints):
        if not isinstance(con, Constraint):
            raise ValueError(f"{_describe(con, i)} cannot be checked on records in original units.")
        out[:, i] = con.holds(records.reset_index(drop=True), inputs.reset_index(drop=True), dataset)
    return out


def enforce(constraints, X: np.ndarray, X0: np.ndarray, dataset, rounds: int = 3) -> np.ndarray:
    """Set encoded feature values directly so that the constraints hold (Table 3's naive repair).

    Ranges are clipped, relations repaired by moving their first feature, immutable features
    copied from the input, monotone ones held at the input's value where they moved the wrong
    way; repeated ``rounds`` times, since one repair may break another. Points that still
    break a constraint stay as they are (check with :class:`CompiledConstraints`).
    """
    constraints = _as_list(constraints)
    X = np.array(X, dtype=np.float32, copy=True)
    X0 = np.asarray(X0, dtype=np.float32)
    for _ in range(int(rounds)):
        for con in constraints:
            X = con.enforce(X, X0, dataset).astype(np.float32)
    return X

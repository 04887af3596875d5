"""Actionability evaluation (paper §4.1, last paragraph; Table 3).

For every test input, a few constraints are drawn at random (seeded) from a data set's
constraint set (``lapace_book/experiments/constraint_sets/<dataset>.yml``: ranges and relations with a reason
each), and four methods produce paths of candidate counterfactuals:

* **FACE-Interpolate**: ``steps`` evenly spaced points from the input to FACE's counterfactual;
* **FACE-Greedy**: ``steps`` points from the input to FACE's counterfactual, the intermediate
  ones the training points nearest to evenly spaced waypoints on the segment between them;
* **LAPACE-Naive**: LAPACE's unconstrained paths;
* **LAPACE-Constrained**: LAPACE's paths with the §3.3 gradient corrections through the decoder.

For the first three, as in the paper, the feature values are set directly so that the
constraints hold (:func:`lapace.explain.constraints.enforce`: clip ranges, repair relations, copy
immutable features) and the black box is asked again. An input *succeeds* when at least one
point of its paths is predicted as the target and satisfies all its constraints; the score of
Table 3 is the share of inputs that succeed.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import pandas as pd
import yaml
from sklearn.neighbors import NearestNeighbors

from lapace.explain.constraints import (
    Constraint,
    Immutable,
    Monotone,
    Range,
    Relation,
    compile_constraints,
    enforce,
    records_satisfy,
)

__all__ = [
    "METHODS",
    "ActionabilityResult",
    "check_counted",
    "constraint_set",
    "draw_constraints",
    "evaluate",
    "greedy_paths",
    "interpolate_paths",
    "read_constraint_set",
]

METHODS = ("FACE-Interpolate", "FACE-Greedy", "LAPACE-Naive", "LAPACE-Constrained")


def _entry(e: dict, where: str) -> Constraint:
    kinds = [k for k in ("range", "relation", "immutable", "monotone") if k in e]
    if len(kinds) != 1 or "reason" not in e:
        raise ValueError(f"{where}: each entry needs one of range/relation/immutable/monotone "
                         f"and a reason, got {e!r}.")
    kind, v = kinds[0], e[kinds[0]]
    if kind == "range":
        return Range(v[0], low=v[1], high=v[2])
    if kind == "relation":
        return Relation(*v)
    if kind == "immutable":        # an optional tol: how far it may move (default 1% of its range)
        return Immutable(v, tol=e.get("tol"))
    return Monotone(*v)


def read_constraint_set(path) -> pd.DataFrame:
    """Constraints of a YAML file: one row per constraint (``constraint``, ``kind``, ``reason``).

    Each entry is one of ``range: [feature, low, high]``, ``relation: [a, op, b]``,
    ``immutable: feature`` (with an optional ``tol:``, in original units) or
    ``monotone: [feature, direction]``, and a ``reason``."""
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    entries = data.get("constraints") if isinstance(data, dict) else None
    if not entries:
        raise ValueError(f"{path}: expected a mapping with a non-empty 'constraints' list.")
    rows = [{"constraint": _entry(e, str(path)), "reason": e["reason"]} for e in entries]
    frame = pd.DataFrame(rows)
    frame.insert(1, "kind", [type(c).__name__ for c in frame["constraint"]])
    return frame


def constraint_set(dataset: str) -> pd.DataFrame:
    """The package's constraint set of ``dataset`` (heloc, wine: Table 3; adult, compas: ours)."""
    files = resources.files("lapace_book.experiments") / "constraint_sets"
    name = f"{dataset}.yml"
    if not (files / name).is_file():
        known = sorted(p.name.removesuffix(".yml") for p in files.iterdir() if p.name.endswith(".yml"))
        raise ValueError(f"No constraint set for {dataset!r}; known: {known}.")
    with resources.as_file(files / name) as path:
        return read_constraint_set(path)


def draw_constraints(n_inputs: int, n_available: int, k: int = 5, seed: int = 0) -> np.ndarray:
    """(n_inputs, k) indices of ``k`` distinct constraints per input, drawn with ``seed``."""
    if not 0 < k <= n_available:
        raise ValueError(f"cannot draw {k} distinct constraints from {n_available}.")
    rng = np.random.default_rng(seed)
    return np.stack([np.sort(rng.choice(n_available, k, replace=False)) for _ in range(n_inputs)])


def interpolate_paths(X: np.ndarray, ends: np.ndarray, steps: int = 20) -> np.ndarray:
    """(n, steps, d): evenly spaced points from each input to its end point (both included)."""
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[None, :, None]
    return ((1 - t) * X[:, None] + t * ends[:, None]).astype(np.float32)


def greedy_paths(X: np.ndarray, ends: np.ndarray, X_train: np.ndarray, steps: int = 20) -> np.ndarray:
    """(n, steps, d): input, the training points nearest to ``steps - 2`` evenly spaced
    waypoints between input and end, and the end."""
    way = interpolate_paths(X, ends, steps)[:, 1:-1]                       # (n, steps-2, d)
    nn = NearestNeighbors(n_neighbors=1).fit(X_train)
    idx = nn.kneighbors(way.reshape(-1, X.shape[1]), return_distance=False)[:, 0]
    inner = X_train[idx].reshape(way.shape)
    return np.concatenate([X[:, None], inner, ends[:, None]], axis=1).astype(np.float32)


@dataclass
class ActionabilityResult:
    """Per-input outcome of :func:`evaluate`.

    Attributes
    ----------
    per_input : one row per input and method: ``input`` (row of ``X``), ``method``,
        ``success`` (some point valid and satisfying all constraints), ``n_points``,
        ``n_counted``, ``unmet`` (LAPACE-Constrained failures: the constraints that no point
        predicted as the target meets), and, before any repair, ``n_predicted`` (points
        predicted as the target) and ``n_immutable_broken`` (of those, points that change an
        immutable feature).
    counted : method -> (points (m, d), input rows (m,)): every counted point, for checks.
    constraints : per input, the list of its constraints.
    warnings : messages of the warnings raised while explaining (e.g. unsatisfiable sets).
    """

    per_input: pd.DataFrame
    counted: dict
    constraints: list
    warnings: list = field(default_factory=list)

    def shares(self) -> pd.Series:
        """Share of inputs that succeed, per method (Table 3)."""
        return self.per_input.groupby("method", sort=False)["success"].mean()


def _immutable_broken(points, x0, immutable, dataset) -> np.ndarray:
    if not immutable or not len(points):
        return np.zeros(len(points), dtype=bool)
    held = records_satisfy([Immutable(f) for f in immutable], dataset.decode(points),
                           dataset.decode(np.repeat(x0[None], len(points), 0)), dataset)
    return ~held.all(1)


def evaluate(
    X: np.ndarray,
    constraints: Sequence[Sequence[Constraint]],
    *,
    lapace,
    face=None,
    harden: Callable[[np.ndarray], np.ndarray] | None = None,
    target: int = 1,
    steps: int = 20,
    immutable: Sequence[str] = (),
) -> ActionabilityResult:
    """Run the four methods of Table 3 on encoded inputs ``X`` (predicted other than ``target``).

    Parameters
    ----------
    constraints : per input, its constraints (e.g. drawn with :func:`draw_constraints`).
    lapace : a fitted :class:`~lapace.Lapace` (fitted with the ``dataset``, whose black box
        and encoder every method uses).
    face : a fitted :class:`~lapace.methods.FACE` on the same black box: its paths (the input,
        the training inputs on the shortest path, the counterfactual) and training inputs
        (FACE-Greedy's points); where it finds none, both FACE methods fail for that input.
        ``None``: only the two LAPACE methods run (e.g. a second L-GMVAE on the same inputs and
        constraints, whose FACE rows would be the first run's).
    harden : maps interpolated points to records (one-hot categorical blocks), e.g.
        ``vae.harden``; ``None`` for continuous data.
    immutable : features whose change is counted in ``n_immutable_broken``.
    """
    X = np.asarray(X, dtype=np.float32)
    if len(constraints) != len(X):
        raise ValueError(f"need one constraint list per input ({len(X)}), got {len(constraints)}.")
    if getattr(lapace, "dataset_", None) is None:
        raise ValueError("lapace must be fitted with the dataset: Lapace(vae).fit(model=clf, "
                         "dataset=ds).")
    predict, dataset = lapace.predict, lapace.dataset_
    methods = METHODS if face is not None else METHODS[2:]
    harden = harden or (lambda A: A)
    rows, counted, caught_all = [], {m: ([], []) for m in methods}, []
    candidates, has_face = {}, np.zeros(len(X), dtype=bool)
    if face is not None:
        face_paths = face.explain(X, target=target, return_paths=True).paths
        face_end = np.array([p[-1] if p is not None else x
                             for p, x in zip(face_paths, X, strict=True)], dtype=np.float32)
        has_face = np.array([p is not None for p in face_paths])
        candidates["FACE-Interpolate"] = harden(
            interpolate_paths(X, face_end, steps).reshape(-1, X.shape[1])).reshape(len(X), steps, -1)
        candidates["FACE-Greedy"] = greedy_paths(X, face_end, face.X_train_, steps)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        free = lapace.explain_paths(X, target=target)
    caught_all += [str(w.message) for w in caught]
    candidates["LAPACE-Naive"] = free.paths.reshape(len(X), -1, X.shape[1])

    def record(method, i, pts, pred_raw, ok):
        x0 = X[i]
        raw_hits = pts[pred_raw] if pred_raw is not None else np.empty((0, X.shape[1]))
        rows.append({
            "input": i, "method": method, "success": bool(ok.any()), "n_points": len(ok),
            "n_counted": int(ok.sum()), "n_predicted": len(raw_hits),
            "n_immutable_broken": int(_immutable_broken(raw_hits, x0, immutable, dataset).sum()),
        })

    for method in [m for m in METHODS[:3] if m in methods]:
        paths = candidates[method]                                        # (n, L, d)
        L = paths.shape[1]
        flat = paths.reshape(-1, X.shape[1])
        x0 = np.repeat(X, L, axis=0)
        fixed = np.concatenate([enforce(list(constraints[i]), paths[i], x0[i * L:(i + 1) * L],
                                        dataset) for i in range(len(X))])
        pred_raw = (predict(flat) == target).reshape(len(X), L)           # one call per method
        pred_fixed = (predict(fixed) == target).reshape(len(X), L)
        fixed = fixed.reshape(paths.shape)
        for i in range(len(X)):
            if method.startswith("FACE") and not has_face[i]:
                rows.append({"input": i, "method": method, "success": False, "n_points": 0,
                             "n_counted": 0, "n_predicted": 0, "n_immutable_broken": 0})
                continue
            g = compile_constraints(list(constraints[i]), dataset)
            sat = g.satisfied(fixed[i], x0[i * L:(i + 1) * L])
            ok = pred_fixed[i] & sat
            counted[method][0].append(fixed[i][ok])
            counted[method][1].append(np.full(int(ok.sum()), i))
            record(method, i, paths[i], pred_raw[i], ok)

    for i in range(len(X)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = lapace.explain_paths(X[i:i + 1], target=target, constraints=list(constraints[i]))
        caught_all += [str(w.message) for w in caught]
        pts = res.paths.reshape(-1, X.shape[1])
        ok = res.valid.reshape(-1)
        counted["LAPACE-Constrained"][0].append(pts[ok])
        counted["LAPACE-Constrained"][1].append(np.full(int(ok.sum()), i))
        record("LAPACE-Constrained", i, pts, res.predicted.reshape(-1), ok)
        if not ok.any():                    # which constraints no target-predicted point meets
            g = compile_constraints(list(constraints[i]), dataset)
            hits = res.predicted.reshape(-1)
            met = g.each(pts[hits], np.repeat(X[i][None], int(hits.sum()), 0)).any(0) if hits.any() \
                else np.zeros(len(g.names), bool)
            rows[-1]["unmet"] = "; ".join(n for n, m in zip(g.names, met, strict=True) if not m)

    counted = {m: (np.concatenate(p) if p else np.empty((0, X.shape[1]), np.float32),
                   np.concatenate(r).astype(int) if r else np.empty(0, int))
               for m, (p, r) in counted.items()}
    per_input = pd.DataFrame(rows)
    per_input["unmet"] = per_input.get("unmet", pd.Series(dtype=object)).fillna("")
    return ActionabilityResult(per_input, counted, [list(c) for c in constraints],
                               sorted(set(caught_all)))


def check_counted(result: ActionabilityResult, X: np.ndarray, predict, dataset,
                  target: int = 1) -> pd.DataFrame:
    """Re-check every counted point on decoded records in original units.

    Returns one row per method: counted points, how many the black box does not predict as
    the target, and how many break one of their input's constraints (both should be 0).
    """
    out = []
    for method, (pts, inputs) in result.counted.items():
        broken = 0
        for i in np.unique(inputs):
            mine = pts[inputs == i]
            held = records_satisfy(result.constraints[i], dataset.decode(mine),
                                   dataset.decode(np.repeat(X[i][None], len(mine), 0)), dataset)
            broken += int((~held.all(1)).sum())
        invalid = int((predict(pts) != target).sum()) if len(pts) else 0
        out.append({"method": method, "counted points": len(pts), "not predicted as target": invalid,
                    "breaking a constraint": broken})
    return pd.DataFrame(out).set_index("method")

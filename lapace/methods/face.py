"""FACE: feasible counterfactuals at the end of high-density shortest paths through the data.

Definition (Poyiadzi et al., "FACE: feasible and actionable counterfactual explanations", AIES
2020, §3 and Alg. 1): build a graph over the training inputs, with an edge between x_i and x_j
when they are close (the k-nearest-neighbour graph, or the epsilon graph: ||x_i - x_j|| <= eps)
and the density-weighted cost

    w_ij = f(p((x_i + x_j) / 2)) * ||x_i - x_j||,    f decreasing (the paper: f(p) = -log p),

so a path is cheap when it is short and runs through dense regions.  The input is joined to the
graph in the same way; the counterfactual is the end of the cheapest path from the input to a
*candidate*: a training input the black box predicts as the target with probability >= t_p and
density >= t_d.  The path itself is the "feasible" sequence of changes.

Ours: p is a Gaussian kernel density estimate of the training inputs
(:class:`sklearn.neighbors.KernelDensity`, Scott's bandwidth by default; on a seeded subsample
of at most ``max_density_points`` training inputs, so ``fit`` stays affordable on large data) at
each edge's midpoint,
and f(p) = 1 + log(p_max / p), i.e. the paper's -log applied to the density relative to the
densest training input, plus one, so that every edge costs at least its length and Dijkstra's
non-negative weights hold (the raw -log p of a density is negative where p > 1).
``weight="distance"`` drops the density term; ``weight="hops"`` counts edges, as CARLA does.
Shortest paths: :func:`scipy.sparse.csgraph.dijkstra` from a chunk of inputs at once; inputs only
have edges *into* the graph, so no path runs through another input.

Where we differ from CARLA (``carla/recourse_methods/catalog/face``): CARLA weights every edge 1
(hop count, no density), rebuilds the graph for every input on a random fraction of the data and
masks immutable features with a known bug; we build the graph once in ``fit`` on all training
inputs, follow the paper's density weighting by default and leave actionability to the
constrained methods (the book's actionability chapter).  ``explain(..., return_paths=True)``
returns the whole path (input first, counterfactual last, training inputs in between).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from sklearn.neighbors import KernelDensity, NearestNeighbors

from lapace.methods.base import CounterfactualMethod
from lapace.validation import SEED, check_bool, check_choice, check_real, choice, integer, real

__all__ = ["FACE"]

_MODES = ("knn", "epsilon")
_WEIGHTS = ("density", "distance", "hops")


def _bandwidth(value, name: str) -> None:
    """A positive number or one of sklearn's rules ("scott", "silverman")."""
    if isinstance(value, str):
        check_choice(value, name, ("scott", "silverman"))
    else:
        check_real(value, name, 0, low_open=True, what='a positive number, "scott" or "silverman"')


class FACE(CounterfactualMethod):
    """FACE counterfactuals and their paths (one per input).

    Parameters
    ----------
    mode : {"knn", "epsilon"}, default="knn"
        Graph: k nearest neighbours (symmetrised) or all pairs within ``epsilon``.
    n_neighbors : int, default=10
        k of the k-NN graph (and of the input's edges into it).
    epsilon : float, optional
        Edge length limit.  Required for ``mode="epsilon"``; with ``mode="knn"`` it also caps
        the k-NN edges when given.
    weight : {"density", "distance", "hops"}, default="density"
        Edge cost: the paper's density weighting, plain length, or 1 per edge (CARLA).
    bandwidth : float or {"scott", "silverman"}, default="scott"
        Kernel density bandwidth (``weight="density"``).
    prediction_threshold : float, optional
        t_p: candidates need ``predict_proba`` of the target >= t_p (needs ``predict_proba``).
        ``None``: the predicted label suffices.
    density_quantile : float, default=0.0
        t_d as a quantile of the training densities (0: no density threshold).
    max_density_points : int or None, default=2000
        The kernel density estimate uses at most this many training inputs (a seeded
        subsample; ``None``: all).  Its cost grows with (edges x points), so this bounds ``fit``
        on large data.
    batch_size : int, default=64
        Inputs per Dijkstra call (bounds memory: batch_size x N distances).
    seed : int, default=0
        Seed of the density subsample (FACE is otherwise deterministic).
    """

    params = {"mode": choice(*_MODES), "n_neighbors": integer(),
              "epsilon": real(0, low_open=True, none=True), "weight": choice(*_WEIGHTS),
              "bandwidth": _bandwidth, "prediction_threshold": real(0, 1, none=True),
              "density_quantile": real(0, 1, high_open=True),
              "max_density_points": integer(2, none=True), "batch_size": integer(), "seed": SEED}

    def __init__(self, mode: str = "knn", n_neighbors: int = 10, epsilon: float | None = None,
                 weight: str = "density", bandwidth="scott", prediction_threshold: float | None = None,
                 density_quantile: float = 0.0, max_density_points: int | None = 2000,
                 batch_size: int = 64, seed: int = 0):
        self.mode = mode
        self.n_neighbors = n_neighbors
        self.epsilon = epsilon
        self.weight = weight
        self.bandwidth = bandwidth
        self.prediction_threshold = prediction_threshold
        self.density_quantile = density_quantile
        self.max_density_points = max_density_points
        self.batch_size = batch_size
        self.seed = seed

    # ------------------------------------------------------------------ fit
    def _fit(self) -> None:
        if self.mode == "epsilon" and self.epsilon is None:
            raise ValueError("mode='epsilon' needs epsilon > 0 (the longest edge, encoded units).")
        has_proba = callable(getattr(self.model_, "predict_proba", None))
        if self.prediction_threshold is not None and not has_proba:
            raise ValueError("prediction_threshold needs the model's predict_proba; pass None.")
        X = self.X_train_
        self.nn_ = NearestNeighbors().fit(X)
        if self.weight == "density" or self.density_quantile > 0:
            ref = X
            if self.max_density_points is not None and len(X) > int(self.max_density_points):
                rng = np.random.default_rng(self.seed)
                ref = X[np.sort(rng.choice(len(X), int(self.max_density_points), replace=False))]
            self.kde_ = KernelDensity(bandwidth=self.bandwidth).fit(ref)
            self.log_density_ = self.kde_.score_samples(X)
            self.log_density_max_ = float(self.log_density_.max())
        rows, cols, length = self._edges(X, exclude_self=True)
        keep = rows != cols
        rows, cols, length = rows[keep], cols[keep], length[keep]
        cost = self._cost(X[rows], X[cols], length)
        n = len(X)
        g = sp.coo_matrix((cost, (rows, cols)), shape=(n, n)).tocsr()
        self.graph_ = g.maximum(g.T).tocsr()            # undirected: an edge either way
        self.graph_.eliminate_zeros()

    def _edges(self, X: np.ndarray, exclude_self: bool):
        """(row, training column, length) of the edges from each row of ``X`` into the graph."""
        if self.mode == "knn":
            k = min(int(self.n_neighbors) + int(exclude_self), len(self.X_train_))
            dist, ind = self.nn_.kneighbors(X, n_neighbors=k)
            rows = np.repeat(np.arange(len(X)), k)
            dist, ind = dist.ravel(), ind.ravel()
            if self.epsilon is not None:
                ok = dist <= self.epsilon
                rows, dist, ind = rows[ok], dist[ok], ind[ok]
            return rows, ind, dist
        dist, ind = self.nn_.radius_neighbors(X, radius=self.epsilon)
        rows = np.repeat(np.arange(len(X)), [len(i) for i in ind])
        ind = np.concatenate(ind).astype(np.int64) if len(ind) else np.zeros(0, np.int64)
        dist = np.concatenate(dist).astype(np.float64) if len(dist) else np.zeros(0)
        return rows, ind, dist

    def _cost(self, A: np.ndarray, B: np.ndarray, length: np.ndarray) -> np.ndarray:
        """Edge costs w_ij; a tiny positive floor keeps zero-length edges in the sparse graph."""
        if self.weight == "hops":
            return np.ones(len(length))
        cost = length.astype(np.float64)
        if self.weight == "density" and len(cost):
            log_p = self.kde_.score_samples((A + B) / 2)
            cost = cost * (1.0 + np.maximum(self.log_density_max_ - log_p, 0.0))
        return np.maximum(cost, 1e-12)

    def _targets(self, target: int) -> np.ndarray:
        """Candidate counterfactuals: predicted ``target``, above t_p and t_d."""
        idx = self._candidates(target)
        if self.prediction_threshold is not None:
            proba = np.asarray(self.model_.predict_proba(self.X_train_[idx]))
            classes = list(getattr(self.model_, "classes_", range(proba.shape[1])))
            idx = idx[proba[:, classes.index(target)] >= self.prediction_threshold]
        if self.density_quantile > 0 and len(idx):
            t_d = np.quantile(self.log_density_, self.density_quantile)
            idx = idx[self.log_density_[idx] >= t_d]
        if len(idx) == 0:
            raise ValueError(f"no training input predicted as {target} passes the thresholds "
                             f"(prediction_threshold={self.prediction_threshold}, "
                             f"density_quantile={self.density_quantile}); lower them.")
        return idx

    # ------------------------------------------------------------------ explain
    def explain(self, X, target: int = 1, return_paths: bool = False):
        """FACE counterfactuals, points (n, 1, d); NaN where no candidate is reachable.

        With ``return_paths=True``, ``cf.paths[i]`` is the (L, d) float32 path of input i
        (the input, the training inputs along the shortest path, the counterfactual), or ``None``.
        ``cf.info["cost"]`` holds each path's cost (inf where none).
        """
        return super().explain(X, target, return_paths=check_bool(return_paths, "return_paths"))

    def _explain_chunk(self, X, target, rows, return_paths: bool = False):
        """Shortest paths from the ``batch_size`` inputs of a chunk, in one Dijkstra call."""
        goals = self._targets(target)
        n_train, b = len(self.X_train_), len(X)
        points = np.full((b, 1, X.shape[1]), np.nan, dtype=np.float32)
        cost = np.full(b, np.inf)
        paths: list = [None] * b
        edges, cols, length = self._edges(X, exclude_self=False)
        w = self._cost(X[edges], self.X_train_[cols], length)
        # inputs are nodes n_train.. with edges only into the training graph
        out = sp.coo_matrix((w, (edges, cols)), shape=(b, n_train)).tocsr()
        graph = sp.bmat([[self.graph_, None], [out, sp.csr_matrix((b, b))]], format="csr")
        sources = n_train + np.arange(b)
        dist, pred = dijkstra(graph, directed=True, indices=sources, return_predecessors=True)
        best = np.argmin(dist[:, goals], axis=1)
        for i in range(b):
            end = goals[best[i]]
            if not np.isfinite(dist[i, end]):
                continue
            points[i, 0] = self.X_train_[end]
            cost[i] = dist[i, end]
            if return_paths:
                nodes = [end]
                while pred[i, nodes[-1]] >= 0 and pred[i, nodes[-1]] != sources[i]:
                    nodes.append(pred[i, nodes[-1]])
                steps = self.X_train_[nodes[::-1]]
                paths[i] = np.vstack([X[i][None], steps]).astype(np.float32)
        unreachable = np.where(np.isfinite(cost), "", (
            f"no path in FACE's graph leads from the input to a training input predicted as "
            f"{target} (the input or its component is cut off); raise n_neighbors, or epsilon "
            f"with mode='epsilon'")).astype(object)
        return self._result(points, target, paths=paths if return_paths else None,
                            info={"cost": cost, "not_found": unreachable})

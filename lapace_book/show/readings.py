"""Sentences that read a chapter's own numbers: each takes the results it interprets and
returns Markdown that stays true under any parameters a reader passes (what holds only in the
paper's setting says so). Presentation only: nothing here decides a result."""

from __future__ import annotations

import ast
import math

import numpy as np
import pandas as pd

from lapace_book.show.text import compare_word, join_and, plural

__all__ = ["describe_data", "elbo_bound_reading", "figure1_reading", "loss_weight_reading",
           "counted_changes", "counted_moves", "changed_share", "paper_setting"]


def _near(point) -> str:
    return "(" + ", ".join(f"{v:.2f}" for v in point) + ")"


def figure1_reading(path_labels, target_centroids, all_centroids, paths, taus=None,
                    target: int = 1, close: float = 0.25) -> str:
    """What the redrawn Figure 1 shows, in words computed from it: how many of the input's
    paths reach ``target`` and where, which turn back after reaching it, and whether two of
    the target's latent centroids lie close together (closest pair below ``close`` times the
    median distance between all centroids), so that their paths end close together.

    ``path_labels`` (k, T) and ``paths`` (k, T, 2) are one input's rows of a
    :class:`~lapace.LapaceResult`; ``target_centroids`` (k, h) and ``all_centroids`` (K, h)
    the latent centroids; ``taus`` (T,) the path positions (default: evenly from 0 to 1)."""
    labels = np.asarray(path_labels)
    paths = np.asarray(paths)
    k, T = labels.shape
    taus = np.linspace(0, 1, T) if taus is None else np.asarray(taus)
    hit = labels == target
    reach = hit.any(1)
    first = np.where(reach, hit.argmax(1), -1)
    ends = [_near(paths[j, -1]) for j in range(k)]
    out = []
    if k == 1:
        out.append(f"The single path (one cluster per label) {'reaches' if reach[0] else 'never reaches'} "
                   f"label {target}" + (f", first at τ = {taus[first[0]]:.2f}. " if reach[0] else ". "))
    else:
        out.append((("Both paths reach " if k == 2 else f"All {k} paths reach ") if reach.all() else
                    f"{int(reach.sum())} of the {k} paths reach ")
                   + f"label {target}" + (" (first at τ = " + join_and(
                       [f"{taus[f]:.2f}" for f in first[reach]]) + ")" if reach.any() else "")
                   + ("" if reach.all() else "; " + join_and(
                       [f"the path ending near {ends[j]}" for j in np.flatnonzero(~reach)])
                      + (" never does" if (~reach).sum() == 1 else " never do")) + ". ")
    back = [(j, int((~hit[j, first[j]:]).sum())) for j in range(k) if reach[j]
            and (~hit[j, first[j]:]).any()]
    turned = join_and([f"the path ending near {ends[j]} turns back into the other label's region "
                       f"for {plural(n, 'point')} after first reaching label {target}"
                       for j, n in back])
    out.append("No path turns back into label "
               f"{1 - target if target in (0, 1) else 'another'}'s region once it has reached label "
               f"{target}. " if not back else turned[:1].upper() + turned[1:] + ". ")
    if k > 1:
        tc, ac = np.asarray(target_centroids), np.asarray(all_centroids)
        d = np.linalg.norm(tc[:, None] - tc[None], axis=-1)
        i, j = np.unravel_index(np.argmin(d + np.diag(np.full(k, np.inf))), d.shape)
        everything = np.linalg.norm(ac[:, None] - ac[None], axis=-1)[np.triu_indices(len(ac), 1)]
        median = float(np.median(everything))
        gap = float(np.linalg.norm(paths[i, -1] - paths[j, -1]))
        if d[i, j] < close * median:
            out.append((f"Label {target}'s two centroids" if k == 2 else
                        f"Two of label {target}'s {k} centroids") + " lie close together in the latent "
                       f"space ({d[i, j]:.2f} apart, against a median distance of {median:.2f} "
                       f"between all {len(ac)} centroids), so the paths to them nearly coincide "
                       f"and end {gap:.2f} apart in the input plane.")
        else:
            out.append(f"Label {target}'s {k} centroids lie apart in the latent space (the "
                       f"closest two {d[i, j]:.2f} apart, against a median distance of "
                       f"{median:.2f} between all {len(ac)} centroids); the paths to those two end "
                       f"{gap:.2f} apart in the input plane.")
    return "".join(out)


def describe_data(ds, name: str) -> str:
    """``"The wine data: 11 continuous features scaled to [0, 1], binary label `quality>=6`
    (1599 rows)."``"""
    parts = []
    if ds.continuous:
        parts.append(f"{plural(len(ds.continuous), 'continuous feature')} scaled to $[0, 1]$")
    if ds.categorical:
        parts.append(f"{plural(len(ds.categorical), 'categorical feature')} one-hot encoded")
    rows = len(ds.X_train) + len(ds.X_test)
    return (f"The {name} data: {join_and(parts)}, binary label `{ds.target}` "
            f"({rows} rows in this run).")


def elbo_bound_reading(bound: pd.DataFrame, gaps: np.ndarray, level: float = 0.02) -> str:
    """The ELBO chapter's Check 2 in words: the S = 1 difference (mean, median, share of inputs
    above the ELBO), how the share and the mean gap move with S, and whether the gap still
    rises between the two largest S (by more than ``level`` of its value)."""
    S = list(bound.index)
    gap = bound["mean gap (IS − ELBO)"]
    share = bound["share of inputs with ELBO ≤ IS"]
    med1 = float(np.median(gaps[:, 0]))
    out = [f"At $S={S[0]}$ the mean difference is {gap.iloc[0]:.3f} nats and the median "
           f"{med1:.3f}; the estimate is at or above the ELBO for {share.iloc[0]:.0%} of the "
           "inputs. "]
    if len(S) > 1:
        out.append(f"At $S={S[-1]}$ it is for {share.iloc[-1]:.0%} of them, with a mean gap of "
                   f"{gap.iloc[-1]:.3f} nats. ")
        rise = gap.iloc[-1] - gap.iloc[-2]
        still = rise > level * abs(gap.iloc[-1])
        out.append(f"Between $S={S[-2]}$ and $S={S[-1]}$ the mean gap "
                   + (f"still rises, by {rise:.3f} nats: it has not levelled off, so the true "
                      "gap is larger still. " if still else
                      f"changes by {rise:+.3f} nats only: it has about levelled off. "))
    holds = bool(share.iloc[-1] >= 0.95)
    out.append("The bound holds, and is not tight, for this model." if holds and gap.iloc[-1] > 0
               else "At this $S$ the estimates are too noisy to show the bound on most inputs.")
    return "".join(out)


def _weights(label) -> tuple[float, ...]:
    return tuple(float(w) for w in ast.literal_eval(str(label)))


def loss_weight_reading(table: pd.DataFrame, loss_weights, dataset: str, clusters_per_class: int,
                        zero: float = 0.01) -> str:
    """The ELBO chapter's Check 3 in words, from its table (one row per weight setting, index
    ``"(w_z, w_c, w_x)"``): which settings collapse (KL(z) below ``zero`` nats), what KL(c)
    does there, which has the highest ELBO, what the settings that use their codes gain and
    pay, and which pairs of the paper's Table 4 use each setting."""
    from lapace_book.paper import PAPER_TABLE4

    kz, kc, dist = table["KL(z)"], table["KL(c)"], table["centroid distinctness"]
    rec, elbo = table["rec (sum of squares)"], table["ELBO"]
    collapsed = [w for w in table.index if kz[w] < zero]
    used = [w for w in table.index if kz[w] >= zero]
    out = []
    if collapsed:
        out.append(f"With {join_and(collapsed)}, KL(z) is practically zero: $q(z\\mid x,c,y)$ "
                   "equals the prior and a code says nothing about its input. ")
        both = [w for w in collapsed if kc[w] < zero]
        only_z = [w for w in collapsed if kc[w] >= zero]
        if both:
            out.append(f"KL(c) is practically zero too for {join_and(both)}: every input spreads "
                       "over its label's clusters alike, so the decoder outputs one mean record "
                       "per label (centroid distinctness " + join_and(
                           [f"{dist[w]:.3f}" for w in both]) + f", against {dist.max():.3f} for "
                       "the most distinct setting). ")
        if only_z:
            out.append(f"For {join_and(only_z)} KL(c) is " + join_and(
                [f"{kc[w]:.2f}" for w in only_z]) + f" nats (at most ln {clusters_per_class} = "
                f"{math.log(clusters_per_class):.2f}, when every assignment is certain): the input "
                "still picks its cluster, so clusters differ by the inputs they hold, but within "
                "a cluster every input decodes alike. ")
    else:
        out.append(f"No setting collapses: KL(z) is at least {kz.min():.3f} nats for each. ")
    if len(table) > 1:
        out.append(f"Across the settings KL(z) ranges from {kz.min():.3f} nats at {kz.idxmin()} to "
                   f"{kz.max():.3f} at {kz.idxmax()}, the reconstruction error from "
                   f"{rec.min():.3f} at {rec.idxmin()} to {rec.max():.3f} at {rec.idxmax()}, and "
                   f"KL(c) from {kc.min():.2f} to {kc.max():.2f} nats, whose largest possible value, "
                   f"every assignment certain, is ln {clusters_per_class} = "
                   f"{math.log(clusters_per_class):.2f}. ")
    best = elbo.idxmax()
    out.append(f"The highest ELBO belongs to {best}" + (
        ", a collapsed model: the bound rewards it, yet its codes carry nothing about the input, "
        "which LAPACE's paths need. " if best in collapsed else ". "))
    if collapsed and used:
        out.append(f"The settings whose codes are used, {join_and(used)}, have a reconstruction "
                   f"error {compare_word(rec[used].mean(), rec[collapsed].mean())} the collapsed "
                   f"ones' ({rec[used].mean():.3f} against {rec[collapsed].mean():.3f}) and an "
                   f"ELBO {compare_word(elbo[used].mean(), elbo[collapsed].mean())} theirs "
                   f"({elbo[used].mean():.3f} against {elbo[collapsed].mean():.3f}; means over "
                   "the settings). ")
    named = []
    for w in table.index:
        pairs = [f"{d}-{c.upper()}" for (d, c), v in PAPER_TABLE4.items()
                 if tuple(v["loss_weights"]) == _weights(w)]
        if pairs:
            named.append(f"{w} for {join_and(pairs)} ({'collapses' if w in collapsed else 'uses its codes'} "
                         "here)")
    if named:
        out.append("Table 4 uses " + join_and(named) + ". ")
    mine = [f"{d}-{c.upper()}" for (d, c), v in PAPER_TABLE4.items()
            if d == dataset and tuple(v["loss_weights"]) == tuple(float(x) for x in loss_weights)]
    out.append(f"The chapter's main model (Checks 1–2) uses {tuple(float(x) for x in loss_weights)}"
               + (f", Table 4's weights for {join_and(mine)}." if mine else "."))
    return "".join(out)


def paper_setting(source_digit: int, target_digit: int) -> str:
    """A note for the MNIST chapter when its digits are not the paper's (5 to 7), else ``""``."""
    if (source_digit, target_digit) == (5, 7):
        return ""
    return (f" (The paper's figure goes from a 5 to the 7s; this run's digits, {source_digit} to "
            f"{target_digit}, are set by `source_digit` and `target_digit`.)")


def counted_changes(counted: dict, X: np.ndarray, ds, features) -> pd.DataFrame:
    """Per method, the share of its counted counterfactuals that change each of ``features``
    (e.g. those the default recourse set leaves free, or those it holds fixed:
    :func:`lapace_book.show.text.held_fixed`). ``counted``: method -> (points (m, d), input rows
    (m,)), as :class:`lapace_book.experiments.actionability.ActionabilityResult` keeps them; a
    continuous feature counts as changed when it moves by more than 1% of its range
    (:func:`changed_share`); NaN where a method counted nothing."""
    features = [f for f in features if f in ds.features]
    out = {}
    for method, (points, rows) in counted.items():
        points, rows = np.asarray(points), np.asarray(rows, dtype=int)
        if not len(points) or not features:
            out[method] = {f: np.nan for f in features}
            continue
        out[method] = changed_share(ds.decode(points), ds.decode(np.asarray(X)[rows]), ds,
                                    features)
    return pd.DataFrame(out, index=features).T


def counted_moves(counted: dict, X: np.ndarray, ds, feature: str) -> np.ndarray:
    """How far ``feature`` (continuous) moves, after minus before in original units, over the
    counted counterfactuals of every method in ``counted`` (as for :func:`counted_changes`)."""
    moves = [ds.decode(np.asarray(points))[feature].to_numpy(float)
             - ds.decode(np.asarray(X)[np.asarray(rows, dtype=int)])[feature].to_numpy(float)
             for points, rows in counted.values() if len(points)]
    return np.concatenate(moves) if moves else np.empty(0)


def changed_share(after: pd.DataFrame, before: pd.DataFrame, ds, features=None) -> dict:
    """Per feature (default: all of ``ds``), the share of the decoded records ``after`` that
    differ from ``before``: a category that is not the same, a continuous value that moved by
    more than 1% of the feature's training range (what ``Immutable`` tolerates)."""
    share = {}
    for f in features if features is not None else ds.features:
        a, b = after[f].to_numpy(), before[f].to_numpy()
        if f in ds.continuous:
            span = float(np.ptp(ds.bounds_[f])) or 1.0
            moved = np.abs(a.astype(float) - b.astype(float)) > 0.01 * span
        else:
            moved = a != b
        share[f] = float(np.mean(moved))
    return share


__all__ += ["figure2_turn", "figure2_turn_text"]


def figure2_turn(check: pd.DataFrame) -> tuple[float, float]:
    """(median first τ predicted as the target, share predicted as the target from τ = 0.7)
    of the MNIST chapter's ``figure2_check`` table (its last column is ours)."""
    ours = check.set_index(check.columns[0]).iloc[:, -1]
    return float(ours.iloc[2]), float(ours.iloc[0])


def figure2_turn_text(check: pd.DataFrame, paper_first: float, paper_late: float) -> str:
    """Where our paths turn to the target, against the paper's Figure 2 example."""
    first, late = figure2_turn(check)
    when = compare_word(first, paper_first, "later than", "earlier than", "at the same τ as")
    return (f"the paths turn {when} the paper's example (median first τ predicted as the "
            f"target: {first:.2f} against {paper_first:.2f}), and the share predicted as the "
            f"target from τ = 0.7 on is "
            f"{compare_word(late, paper_late)} the paper's ({late:.2f} against {paper_late:.2f})")

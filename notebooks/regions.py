# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Recourse for groups
#
# The paper ends by proposing to use the L-GMVAE's structured latent space for *region-based*
# explanations: instead of one counterfactual per input, one action for a whole sub-group
# {cite:p}`rawal2020beyond,bewley2024counterfactual`. This chapter builds them
# (`lapace.groups.regions.ClusterRegions`) and sets them beside two group-recourse methods written from
# their papers, on the same inputs.
#
# **The method.** The L-GMVAE already splits the inputs of each label into K prototypes.
#
# 1. *Groups*: an input the black box gives the undesired label 0 belongs to its most probable
#    source cluster, $\arg\max_c q(c \mid x, y)$ (Eq. 2). *Who is in the group* is shown by the
#    cluster's prototype, the decoded centroid.
# 2. *One action per group*: a translation $\delta$ in the encoded space from the group's mean
#    to a target prototype (the decoded, repaired centroid of a label-1 cluster). Of the K target
#    prototypes, the group gets the cheapest whose coverage of the group is within 5 points of the
#    best. Immutable features get no change, a monotone feature never moves the forbidden way.
# 3. *Per input*, as in GLOBE-CE {cite:p}`ley2023globe`: the record $\mathrm{project}(x + k\delta)$
#    for the smallest $k$ of a grid that the black box predicts as 1 and that satisfies the
#    constraints ($k = 1$ takes the group's mean to the prototype).
#
# **The baselines** (`lapace.groups.baselines`): *GLOBE-CE*, one global translation for everyone,
# scaled per input (its direction from the mean nearest-neighbour counterfactual and sampled
# variants of it, a simplification of the paper's sampling); *T-CREx*, counterfactual rules
# (hyper-rectangles of a surrogate tree with accuracy and feasibility at least two thresholds, the
# parameters `tau` and `rho`; this `tau` is not the path position τ of the other chapters) and a
# metarule tree that assigns each input the rule it reaches most cheaply, the input being moved
# onto the rule's box. *LAPACE-First* is the per-input reference: one counterfactual per input.
#
# **Measures** (`lapace.groups.metrics`): each method is fitted on one set of test inputs the black
# box predicts as 0 and measured on *another* (held out): *coverage*, the share of held-out inputs
# whose recommended record the black box predicts as 1 (and that satisfies the constraints);
# *cost*, the mean L1 distance in the encoded space over the flipped; the number of actions; the
# features a flipped input's record changes; fit time and time per input; and *robustness*, the
# share of slightly perturbed held-out inputs that get the same action.

# %% tags=["remove-input", "reference-status"]
from lapace_book.show.paper_scale import show

show("regions")  # this chapter's paper-scale numbers (reference run) and where they stand

# %% tags=["parameters"]
profile = "quick"  # "quick" or "paper": results are written to results/<profile>/
datasets = ["heloc", "wine", "adult", "compas"]  # the tabular chapter's data sets
classifiers = ["rf", "nn"]  # black boxes
seed = 0  # seed of the pairs (as in the tabular chapter) and of the input split
n_fit = 100  # affected test inputs the actions are fitted on
n_eval = 100  # further affected test inputs the actions are measured on (held out)
max_scale = 2.0  # largest scalar k of the translations (ours and GLOBE-CE's)
n_scales = 40  # scalars in the grid (0, max_scale]
max_features = None  # keep only this many largest changes per action (None: all)
n_directions = 50  # GLOBE-CE's sampled directions
rho = 0.02  # T-CREx's least rule feasibility
tau = 0.9  # T-CREx's least rule accuracy
sigma = 0.01  # std of the input noise for the robustness of the assignment
n_perturbations = 2  # perturbed copies of each held-out input
torch_threads = 1  # PyTorch CPU threads, 0 for default

# %% tags=["remove-cell"]
from lapace_book.parameters import check_parameters; check_parameters(globals(), "regions")

# %% tags=["remove-cell"]
import time
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import Markdown, display

from lapace_book.experiments.actionability import constraint_set
from lapace.groups.metrics import coverage_at_cost, original_changes
from lapace_book.show.plots import coverage_cost
from lapace_book.experiments.profiles import load_pair
from lapace_book.provenance import save_figure, save_table
from lapace_book.experiments.region_benchmark import METHODS, compare_pair
from lapace.groups.regions import describe_action
from lapace_book.show.evidence import evidence
from lapace_book.show.text import class_names, compare_word, describe_constraint, flag_change, join_and

if torch_threads:
    torch.set_num_threads(torch_threads)
chapter_start = time.perf_counter()
NAMES = {"rf": "RF", "nn": "NN"}
PARAMS = {"LAPACE regions": {"max_scale": max_scale, "n_scales": n_scales, "max_features": max_features},
          "GLOBE-CE": {"max_scale": max_scale, "n_scales": n_scales, "max_features": max_features,
                       "n_directions": n_directions},
          "T-CREx": {"rho": rho, "tau": tau}}

# %% [markdown]
# ## Constraints
#
# On *adult* and *compas* the actions obey the actionability chapter's default recourse
# constraints, those a careful user would set (`lapace_book/experiments/constraint_sets/`, each
# with its reason): protected attributes, the outcome record, records of the past and ethically
# loaded features (and, on adult, the census's sampling weight) stay as they are, age (and
# on adult education) only grows, and on adult two ranges keep the advice realistic. On *heloc* and *wine*, whose constraint sets are pools for random draws, only the
# data's domain (`TabularDataset.project`) holds.

# %% tags=["hide-input"]
CONSTRAINED = [d for d in datasets if d in ("adult", "compas")]
constraints = {d: list(constraint_set(d)["constraint"]) if d in CONSTRAINED else None
               for d in datasets}
display(Markdown("\n".join(f"- **{d}**: " + "; ".join(describe_constraint(c) for c in constraints[d])
                           for d in CONSTRAINED)))
display(Markdown("Label 0 → label 1, the recourse asked for, means " + "; ".join(
    f"*{d}*: {' → '.join(class_names(d))}" for d in datasets) + "."))

# %% tags=["remove-input", "reading"]
from lapace import load_dataset


def left_free(d):
    """The features the constraints of ``d`` leave free to move, and how."""
    cons = constraints[d] or []
    held = {c.feature for c in cons if type(c).__name__ == "Immutable"}
    way = {c.feature: f" ({'up' if c.direction == 'increase' else 'down'}wards only)"
           for c in cons if type(c).__name__ == "Monotone"}
    return [f + way.get(f, "") for f in load_dataset(d, seed=seed).features if f not in held]


free_words = []
for d in CONSTRAINED:
    free = left_free(d)
    free_words.append(f"on *{d}* {'only ' if len(free) == 1 else ''}{join_and(free)}"
                      + (": the only action left to recommend is time" if free == ["age (upwards only)"]
                         else ""))
if free_words:
    display(Markdown("What the constraints leave free to move: " + "; ".join(free_words) + "."))

# %% tags=["hide-input"]
rows, fitted, recs, pairs, seconds = [], {}, {}, {}, {}
for d in datasets:
    for c in classifiers:
        start = time.perf_counter()
        pairs[(d, c)] = p = load_pair(d, c, profile, seed=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table, fitted[(d, c)], recs[(d, c)] = compare_pair(
                p, METHODS, constraints[d], n_fit=n_fit, n_eval=n_eval, sigma=sigma,
                n_perturbations=n_perturbations, seed=seed, params=PARAMS)
        rows.append(table)
        seconds[(d, c)] = time.perf_counter() - start
results = pd.concat(rows, ignore_index=True)
COLUMNS = ["dataset", "classifier", "method", "n_actions", "coverage", "cost", "features_changed",
           "fit_s", "per_input_s"]
_ = save_table(results[COLUMNS + ["robustness", "n_fit", "n_eval"]], "regions", profile=profile,
               index=False)

# %% [markdown]
# ## Coverage and cost on held-out inputs
#
# One row per pair and method: the number of actions (LAPACE-First: one per input), the share of
# held-out inputs flipped, the mean cost over them, how many features a flipped record changes,
# and the robustness of the assignment (a dash for the per-input reference).

# %% tags=["hide-input"]
shown = results.assign(pair=results.dataset + "-" + results.classifier.map(NAMES)).set_index(
    ["pair", "method"])
shown = pd.DataFrame({
    "actions": shown.n_actions.astype(int),
    "coverage": shown.coverage.map("{:.2f}".format),
    "mean cost (L1)": shown.cost.map(lambda v: "–" if np.isnan(v) else f"{v:.2g}"),
    "features changed": shown.features_changed.map(lambda v: "–" if np.isnan(v) else f"{v:.2g}"),
    "robustness": shown.robustness.map(lambda v: "–" if np.isnan(v) else f"{v:.2f}"),
    "fit (s)": shown.fit_s.map("{:.2g}".format),
    "per input (ms)": (1000 * shown.per_input_s).map(lambda v: "–" if np.isnan(v) else f"{v:.2g}")})
shown

# %% tags=["hide-input"]
fig = coverage_cost(results, title="Recourse for groups: coverage against cost on held-out "
                                   "inputs, 8 pairs")
save_figure(fig, "regions_coverage_cost", profile=profile)
plt.show()
display(Markdown(
    "*Figure: each marker is one method on one pair, at its coverage of the held-out affected "
    "inputs (up: more flipped) and its mean encoded L1 cost over them (left: cheaper); the "
    "number beside it is its number of actions. A method with no flipped input sits at cost 0.*"))

# %% [markdown]
# ## Where cluster regions beat or lose to the baselines
#
# Comparing coverages alone favours expensive actions, so each baseline is also compared *at its
# own cost*: the share of held-out inputs the cluster regions flip with a record no more costly
# than the baseline's mean cost (`lapace.groups.metrics.coverage_at_cost`), against the share the
# baseline flips within the same budget.

# %% tags=["hide-input"]
def at_cost(key, method, budget):
    r, X = recs[key][method], recs[key]["inputs"]
    return coverage_at_cost(X, r.points, r.flipped, budget)


duel = []
for key in pairs:
    res = results[(results.dataset == key[0]) & (results.classifier == key[1])].set_index("method")
    for b in ("GLOBE-CE", "T-CREx"):
        budget = res.loc[b, "cost"] if np.isfinite(res.loc[b, "cost"]) else 0.0
        duel.append({"pair": f"{key[0]}-{NAMES[key[1]]}", "baseline": b,
                     "coverage: regions − baseline": res.loc["LAPACE regions", "coverage"]
                     - res.loc[b, "coverage"],
                     "cost: regions ÷ baseline": res.loc["LAPACE regions", "cost"] / budget
                     if budget else np.nan,
                     "at the baseline's cost: regions": at_cost(key, "LAPACE regions", budget),
                     "at the baseline's cost: baseline": at_cost(key, b, budget)})
duel = pd.DataFrame(duel)
save_table(duel, "regions_at_equal_cost", profile=profile, index=False)
duel.set_index(["pair", "baseline"]).round(2)

# %% tags=["remove-input", "reading"]
from lapace_book.show.evidence import evidence
from lapace_book.show.text import plural


def duel_text(duel):
    lines = []
    for b in ("GLOBE-CE", "T-CREx"):
        t = duel[duel.baseline == b]
        more = t[t["coverage: regions − baseline"] > 0.005]
        win = t[t["at the baseline's cost: regions"] > t["at the baseline's cost: baseline"] + 0.005]
        lose = t[t["at the baseline's cost: regions"] < t["at the baseline's cost: baseline"] - 0.005]
        lines.append(
            f"against **{b}** the cluster regions cover more held-out inputs on {len(more)} of "
            f"{len(t)} pairs (median difference {t['coverage: regions − baseline'].median():+.2f}),"
            f" at a median {t['cost: regions ÷ baseline'].median():.2g} times its cost; *at its "
            f"cost* they flip more inputs on {plural(len(win), 'pair')} "
            f"({join_and(list(win.pair)) or 'none'}) and fewer on {len(lose)} "
            f"({join_and(list(lose.pair)) or 'none'})")
    return "; ".join(lines)


def duel_side(duel):
    return tuple((duel["coverage: regions − baseline"] > 0.005).groupby(duel.baseline).sum())


lines = ["- " + evidence("regions_at_equal_cost", "regions", profile).sentence(duel_text,
                                                                             duel_side)]
first = results[results.method == "LAPACE-First"]
reg = results[results.method == "LAPACE regions"]
lines.append(
    f"- The per-input reference LAPACE-First flips {first.coverage.min():.2f}–"
    f"{first.coverage.max():.2f} of the held-out inputs at mean cost {first.cost.min():.2g}–"
    f"{first.cost.max():.2g}; the cluster regions, with {int(reg.n_actions.max())} actions or "
    f"fewer, flip {reg.coverage.min():.2f}–{reg.coverage.max():.2f} at {reg.cost.min():.2g}–"
    f"{reg.cost.max():.2g}.")
display(Markdown("\n".join(lines)))

# %% [markdown]
# Why, on heloc, wine and adult: a cluster action points at a *typical* target record, the
# prototype, not at the nearest point across the black box's boundary, and it moves every feature
# in which the two prototypes differ. It therefore flips most of its group (the inputs sit on the
# far side of the boundary from the prototype, and a large enough $k$ crosses it) but pays for
# the dense move. GLOBE-CE's direction is built from the *nearest* counterfactuals, so where one
# direction serves everyone it is cheaper; where the affected inputs need different moves
# (several groups, constraints that block the common direction), one direction can lose coverage
# that one action per cluster keeps.
# T-CREx moves an input only just inside a rule's box: cheap and sparse, but the black box's
# target region is rarely a box, so many such records are still refused. Whether this build
# bears the reading out pair by pair is in the tables above; for *compas* the numbers are:

# %% tags=["remove-input", "reading"]
def compas_reading(results):
    def word(a, b):   # a method that flips no input has no cost
        return (compare_word(a, b, "more than", "less than", "as much as")
                if np.isfinite(a) and np.isfinite(b) else "not comparable with")

    out = []
    for c in classifiers:
        r = results[(results.dataset == "compas") & (results.classifier == c)].set_index("method")
        if r.empty:
            continue
        reg, tc, gl = (r.loc[m] for m in ("LAPACE regions", "T-CREx", "GLOBE-CE"))
        versus_rules = (
            " (T-CREx finds no rule the inputs can reach under these constraints: coverage 0)"
            if tc.n_actions == 0 else
            f" (T-CREx {tc.features_changed:.2g}), cost {word(reg.cost, tc.cost)} T-CREx's "
            f"rules ({reg.cost:.2g} against {tc.cost:.2g})")
        out.append(f"compas-{NAMES[c]}: the cluster regions change {reg.features_changed:.2g} "
                   f"feature{'' if reg.features_changed == 1 else 's'} per flipped record"
                   f"{versus_rules}, and cover "
                   f"{word(reg.coverage, gl.coverage)}"
                   f" GLOBE-CE ({reg.coverage:.2f} against {gl.coverage:.2f})")
    if not out:
        return "compas is not among the run's data sets"
    free = left_free("compas")
    return (f"the constraints leave compas {'only ' if len(free) == 1 else ''}{join_and(free)} "
            "to move; " + "; ".join(out))


display(Markdown(evidence("regions", "regions", profile,
                          same_setting="compas" in datasets).sentence(compas_reading)))

# %% [markdown]
# ## The actions in plain words (heloc and compas)
#
# For the first black box of `classifiers` (the random forest by default) on *heloc* and
# *compas*: each action's group (its source cluster, how many
# fitting inputs it holds, the share of its held-out members flipped) and what it asks of the
# group's prototype at the action's median scale, in original units: the four largest changes
# relative to each feature's range (all changes are in `results/<profile>/regions_actions.csv`).

# %% tags=["hide-input"]
def careful(table, dataset):
    """The changes of an action a careful user would not recommend, with the reason."""
    flags = [f"{r.feature}: {why}" for _, r in table.iterrows()
             if (why := flag_change(dataset, r.feature, r["group's value"], r.after))]
    return "; ".join(flags) or "–"


def plain(table, ds, n=4):
    """The n largest changes, in words."""
    if table.empty:
        return "nothing"
    size = [abs(float(r.after) - float(r["group's value"])) / max(np.ptp(ds.bounds_[r.feature]), 1e-12)
            if r.feature in ds.bounds_ else 1.0 for _, r in table.iterrows()]
    before = table["group's value"]
    words = [f"{r.feature} {r.change} ({before[i]:.3g} → {r.after:.3g})"
             if r.feature in ds.bounds_ else f"{r.feature} {r.change}"
             for i, r in table.iloc[np.argsort(size)[::-1][:n]].iterrows()]
    return "; ".join(words) + (f"; and {len(table) - n} more" if len(table) > n else "")


# %% tags=["hide-input"]
action_rows, all_changes = [], []
for key in [(d, classifiers[0]) for d in ("heloc", "compas") if d in datasets]:
    g, ds, rec = fitted[key]["LAPACE regions"], pairs[key].ds, recs[key]["LAPACE regions"]
    for a in g.actions_:
        table = describe_action(g, a.index, ds)
        held = rec.action == a.index
        all_changes.append(table.assign(pair=f"{key[0]}-{NAMES[key[1]]}", action=a.index))
        action_rows.append({
            "pair": f"{key[0]}-{NAMES[key[1]]}", "group": f"cluster {a.cluster} → prototype "
            f"{a.target_cluster}", "fitting inputs": a.members,
            "held-out flipped": f"{rec.flipped[held].sum()} of {held.sum()}",
            "median k": "–" if np.isnan(a.median_scale) else f"{a.median_scale:.2g}", "what changes": plain(table, ds),
            "needs care": careful(table, key[0])})
save_table(pd.concat(all_changes, ignore_index=True), "regions_actions", profile=profile, index=False)
pd.DataFrame(action_rows).set_index(["pair", "group"]).style.set_properties(
    subset=["what changes", "needs care"], **{"text-align": "left", "white-space": "normal"})

# %% [markdown]
# The column *needs care* (shown, not saved; `lapace_book.show.text.flag_change`) flags what a
# careful user would not recommend: an impossible value (a negative count or length, an age that
# goes down) or a change the default constraint set would forbid (a feature it holds fixed, with
# the reason written beside it in the set's file, or a value outside one of its ranges). On
# compas the actions are fitted under that set, so a flag there would be a bug; on heloc, which
# has no default set, only an impossible value could be flagged. Exercise 2 relaxes the set and
# measures what it costs.

# %% tags=["remove-input", "reading"]
from lapace_book.show.text import plural

flagged = [r for r in action_rows if r["needs care"] != "–"]
display(Markdown(
    f"Of the {plural(len(action_rows), 'action')} above, "
    + ("none needs care: every *needs care* cell is a dash." if not flagged else
       f"{len(flagged)} need{'s' if len(flagged) == 1 else ''} care: " + "; ".join(
           f"{r['pair']} {r['group']} ({r['needs care']})" for r in flagged) + ".")))

# %% [markdown]
# ## What the regions say about each black box
#
# For each pair: how many groups the affected inputs fall into, whether their actions head for the
# same target prototype (one target region) or for several, the three continuous features the
# flipped held-out records change most (mean absolute change, as a share of the feature's range)
# and, where there is one, the categorical feature they change most often.

# %% tags=["remove-input", "reading"]
lines = []
for key, p in pairs.items():
    g, rec, X = fitted[key]["LAPACE regions"], recs[key]["LAPACE regions"], recs[key]["inputs"]
    ch = original_changes(X, rec.points, rec.flipped, p.ds).set_index("feature")
    span = pd.Series({f: np.ptp(p.ds.bounds_[f]) or 1.0 for f in p.ds.continuous})
    moved = (ch["mean |change|"].dropna() / span).sort_values(ascending=False)
    cat = ch.loc[p.ds.categorical, "share changed"].sort_values(ascending=False)
    targets = sorted({a.target_cluster for a in g.actions_})
    words = [f"{f} ({v:.0%} of its range)" for f, v in moved.head(3).items()]
    words += [f"{f} (changed in {v:.0%} of the records)" for f, v in cat.head(1).items() if v > 0]
    lines.append(
        f"- **{key[0]}-{NAMES[key[1]]}**: {g.n_actions} groups, sent towards "
        f"{len(targets)} target prototype{'s' if len(targets) > 1 else ''} "
        f"({join_and([str(t) for t in targets])}); {rec.flipped.mean():.0%} of the held-out "
        f"inputs flipped; the largest moves: {join_and(words) or 'none'}.")
display(Markdown("\n".join(lines)))

# %% [markdown]
# ## Run notes

# %% tags=["remove-input", "reading"]
elapsed = time.perf_counter() - chapter_start
sizes = results.drop_duplicates(["dataset", "classifier"])
display(Markdown(
    "Inputs per pair (fitted / held out): " + ", ".join(
        f"{r.dataset}-{NAMES[r.classifier]} {r.n_fit}/{r.n_eval}" for r in sizes.itertuples())
    + f" (fewer where the test set holds fewer inputs predicted 0). Grid of k: {n_scales} values "
    f"in (0, {max_scale}]; GLOBE-CE: {n_directions} sampled directions; T-CREx: ρ = {rho}, "
    f"τ = {tau}. This chapter took {elapsed:.0f} s: " + ", ".join(
        f"{d}-{NAMES[c]} {s:.0f} s" for (d, c), s in seconds.items()) + "."))

# %% [markdown]
# ## Exercises
#
# Each exercise says what kind it is, how long it runs and how to check your answer; the
# solutions are folded away until you open them. Commands run from the repository's root.
#
# **Exercise 1 (parameters, about this chapter's quick run time).** Ask for sparse actions:
#
# ```bash
# make chapter CHAPTER=regions SET="max_features=2"
# # or: jupytext --sync notebooks/regions.py
# #     papermill notebooks/regions.ipynb regions-sparse.ipynb --cwd notebooks -p max_features 2
# ```
#
# What happens to coverage, cost and the features changed of the cluster regions and of
# GLOBE-CE? Check: *features changed* is at most 2 for both wherever they flip an input.
#
# ````{admonition} Solution
# :class: dropdown
#
# Keeping only the two largest changes of each translation makes the actions sparse and
# cheaper per input, but a prototype's other differences no longer move with it, so fewer
# inputs cross the boundary at a given scale $k$: expect lower coverage, or larger $k$ (and
# cost) to keep it. T-CREx and LAPACE-First do not take `max_features`.
# ````
#
# **Exercise 2 (coding, a few seconds).** This chapter's constraints on compas hold every
# feature but age fixed. Relax them to the minimal set many recourse papers use, sex and race
# immutable (`lapace.Immutable`) and nothing else, and fit the cluster regions of compas-RF
# again: `compare_pair(pair, ["LAPACE regions"], constraints, ...)` with this chapter's
# settings. What does the careful set cost in coverage and cost, and what would the relaxed
# actions recommend instead? Check: no relaxed action changes sex or race (`describe_action`
# lists an action's changes; assert it), and count the relaxed actions that `flag_change`
# flags.
#
# ````{admonition} Solution
# :class: dropdown
#
# Under the minimal set an action may move every feature in which the group's prototype differs
# from its target prototype, the records of the past and the outcome record included, so it
# reaches the black box's boundary along more directions than age alone: compare the two rows
# for coverage and cost. What those extra directions buy is advice no one can follow (fewer
# prior offences, a shorter past stay, another charge degree, no recidivism record): the count
# of flagged actions below says how much of it the relaxed fit gives. The cell fits it, checks
# sex and race and sets the two rows side by side.
# ````

# %% tags=["hide-cell"]
from lapace import Immutable

if ("compas", classifiers[0]) in pairs:
    key = ("compas", classifiers[0])
    minimal = [Immutable("sex"), Immutable("race")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        relaxed, relaxed_fit, _ = compare_pair(pairs[key], ["LAPACE regions"], minimal,
                                               n_fit=n_fit, n_eval=n_eval, sigma=sigma, seed=seed,
                                               n_perturbations=n_perturbations, params=PARAMS)
    g = relaxed_fit["LAPACE regions"]
    changes = [describe_action(g, a.index, pairs[key].ds) for a in g.actions_]
    moved = set().union(*(set(t.feature) for t in changes))
    assert not moved & {"sex", "race"}, moved
    flags = [careful(t, "compas") for t in changes]
    before = results[(results.dataset == "compas") & (results.classifier == key[1])
                     & (results.method == "LAPACE regions")]
    display(pd.concat({"this chapter's constraints (careful)": before,
                       "sex and race only": relaxed})[
        ["n_actions", "coverage", "cost", "features_changed"]].droplevel(1).round(3)
        .rename(columns={"n_actions": "actions", "features_changed": "features changed"}))
    print(f"{sum(f != '–' for f in flags)} of {len(flags)} relaxed actions need care; "
          f"features they change: {', '.join(sorted(moved)) or 'none'}")
    for a, f in zip(g.actions_, flags, strict=True):
        if f != "–":
            print(f"  cluster {a.cluster} → prototype {a.target_cluster}: {f}")

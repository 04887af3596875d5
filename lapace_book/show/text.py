"""How the book writes numbers, lists and constraints in its tables and sentences.

Every chapter formats results the same way: a fraction as a percentage (:func:`percent`), a
difference of fractions in signed percentage points (:func:`signed_points`), a mean with its
standard deviation (:func:`mean_std`), our number beside the paper's (:func:`beside_paper`),
a list in prose (:func:`join_and`), a constraint of §3.3 in words
(:func:`describe_constraint`) and the word that compares two numbers (:func:`compare_word`), so
that a sentence beside a table says what the table's numbers say; :func:`contradictions` reads
a rendered page back and finds the sentences whose word disagrees with the numbers they quote
(``make check-site`` runs it on every page). A missing value (``None`` or NaN) is written as an
en dash.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import pandas as pd

__all__ = ["CLASS_NAMES", "MISSING", "beside_paper", "class_names", "compare_word", "contradictions",
           "a_", "describe_constraint", "flag_change", "held_fixed", "outcome_legend",
           "pair_name", "recourse_set",
           "join_and", "mean_std", "percent", "plural", "signed_points"]

#: how a missing value is written
MISSING = "–"


def _missing(x) -> bool:
    return x is None or bool(pd.isna(x))


def percent(x, digits: int = 2) -> str:
    """A fraction as a percentage: ``percent(0.8123) == "81.23%"``, ``percent(0.5, 0) == "50%"``."""
    return MISSING if _missing(x) else f"{100 * x:.{digits}f}%"


def signed_points(x, digits: int = 2) -> str:
    """A difference of fractions in signed percentage points: ``signed_points(-0.012) == "-1.20 pp"``."""
    return MISSING if _missing(x) else f"{100 * x:+.{digits}f} pp"


def mean_std(mean, std, digits: int = 2) -> str:
    """A mean and standard deviation of fractions as percentages: ``"81.00% ± 1.50%"``."""
    return f"{percent(mean, digits)} ± {percent(std, digits)}"


def beside_paper(ours: float, paper: float | None, digits: int = 2) -> str:
    """Our number, then the paper's and the difference: ``"0.90 / 1.00 (-0.10)"``;
    only ours where the paper has no number (``paper=None``)."""
    if paper is None:
        return f"{ours:.{digits}f}"
    return f"{ours:.{digits}f} / {paper:.{digits}f} ({ours - paper:+.{digits}f})"


def compare_word(a, b, higher: str = "higher than", lower: str = "lower than",
                 same: str = "the same as", tol: float = 0.0) -> str:
    """The words comparing ``a`` with ``b``: ``higher`` if ``a > b + tol``, ``lower`` if
    ``a < b - tol``, else ``same``; ``compare_word(0.65, 0.80, "later than", "earlier than")
    == "earlier than"``. A missing value raises ``ValueError`` (no sentence can be true)."""
    if _missing(a) or _missing(b):
        raise ValueError(f"compare_word needs two numbers, got {a!r} and {b!r}")
    if tol < 0:
        raise ValueError(f"tol must be at least 0, got {tol}")
    if a > b + tol:
        return higher
    if a < b - tol:
        return lower
    return same


#: comparing words and the direction they claim for ``a`` against ``b`` (+1: a > b, -1: a < b,
#: 0: equal); "better"/"worse" are left out: their direction depends on the metric
_DIRECTION = {**dict.fromkeys(("higher", "later", "more", "larger", "greater", "slower",
                               "further", "rises", "above"), 1),
              **dict.fromkeys(("lower", "earlier", "fewer", "smaller", "less", "faster", "closer",
                               "falls", "below"), -1),
              **dict.fromkeys(("the same", "stays level"), 0)}
_WORD = re.compile(r"\b(" + "|".join(sorted(_DIRECTION, key=len, reverse=True)) + r")\b")
_NUMBER = r"[-+−]?\d+(?:\.\d+)?"
_AGAINST = re.compile(rf"({_NUMBER})\s*(?:%|pp|s|ms)?\s+against\s+({_NUMBER})")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z*])")


def _sign(a: str, b: str) -> int:
    x, y = (float(v.replace("\u2212", "-")) for v in (a, b))
    return (x > y) - (x < y)


def contradictions(text: str) -> list[str]:
    """The sentences of ``text`` whose comparing word disagrees with the numbers they quote.

    A comparing word (higher, earlier, more, fewer, the same, ...; see ``_DIRECTION``) is
    checked against the first parenthesis after it in its sentence (before the next such
    word) that quotes numbers as ``a against b``:

    - one pair: ``"... turn earlier than the paper's (median τ: 0.65 against 0.80)"`` needs
      0.65 < 0.80;
    - a count: ``"... is higher for RF than for NN on 3 of 4 data sets (adult: 99% against
      97%, ...)"`` needs exactly 3 of the 4 quoted pairs to agree with the word.

    Sentences without such a parenthesis are not judged.  Returns the offending sentences.
    """
    found = []
    for sentence in _SENTENCE.split(" ".join(str(text).split())):
        words = list(_WORD.finditer(sentence))
        groups = list(re.finditer(r"\(([^()]*)\)", sentence))
        for i, w in enumerate(words):
            end = words[i + 1].start() if i + 1 < len(words) else len(sentence)
            group = next((g for g in groups if w.end() <= g.start() < end
                          and _AGAINST.search(g.group(1))), None)
            if group is None:
                continue
            pairs = _AGAINST.findall(group.group(1))
            want = _DIRECTION[w.group(1)]
            count = re.search(r"\bon (\d+) of (\d+)\b", sentence[w.end():group.start()])
            if count and int(count.group(2)) == len(pairs):
                agree = sum(_sign(a, b) == want for a, b in pairs)
                wrong = agree != int(count.group(1))
            elif len(pairs) == 1:
                wrong = _sign(*pairs[0]) != want
            else:
                continue
            if wrong:
                found.append(sentence)
                break
    return found


def join_and(items: Sequence[str]) -> str:
    """Items as a list in prose: ``"a"``, ``"a and b"``, ``"a, b and c"``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def describe_constraint(c) -> str:
    """A constraint of §3.3 (:mod:`lapace.explain.constraints`) in words, e.g. ``"0 ≤ age ≤ 90"``,
    ``"a ≥ b"``, ``"sex stays the input's"``, ``"age may only increase"``."""
    kind = type(c).__name__
    if kind == "Range":
        lo = "" if c.low is None else f"{c.low:g} ≤ "
        hi = "" if c.high is None else f" ≤ {c.high:g}"
        return f"{lo}{c.feature}{hi}"
    if kind == "Relation":
        return f"{c.a} {c.op.replace('>=', '≥').replace('<=', '≤')} {c.b}"
    if kind == "Immutable":
        return f"{c.feature} stays the input's"
    return f"{c.feature} may only {c.direction}"


def plural(n: int, word: str, words: str | None = None) -> str:
    """``"1 path"``, ``"3 paths"`` (``words`` for an irregular plural)."""
    return f"{n} {word if n == 1 else (words or word + 's')}"



#: what each label of the book's tabular data sets means, in label order (0, 1): heloc's
#: ``RiskPerformance`` 1 is FICO's "Good" (the label with the higher ExternalRiskEstimate),
#: compas's ``score`` 0 is COMPAS's "High" risk score (1144 of the 6172 rows, as in ProPublica's
#: two-year file), adult's ``income`` 1 is "> 50K", wine's label 1 is "quality ≥ 6"
CLASS_NAMES = {
    "heloc": ("bad risk", "good risk"),
    "wine": ("quality below 6", "quality 6 or above"),
    "adult": ("income ≤ 50K", "income > 50K"),
    "compas": ("high-risk score", "low- or medium-risk score"),
}


def class_names(dataset: str, ds=None) -> list[str]:
    """The name of each label of ``dataset``: :data:`CLASS_NAMES`, else ``"<target> = <class>"``
    from the :class:`~lapace.TabularDataset` ``ds`` (or ``"label <i>"``)."""
    if dataset in CLASS_NAMES:
        return list(CLASS_NAMES[dataset])
    if ds is not None:
        return [f"{ds.target} = {c}" for c in ds.classes_]
    return ["label 0", "label 1"]


def outcome_legend(dataset: str, ds=None) -> str:
    """``"label 0: bad risk, label 1: good risk"`` for a table's caption."""
    return ", ".join(f"label {i}: {n}" for i, n in enumerate(class_names(dataset, ds)))


def pair_name(pair: str) -> str:
    """A data set-classifier pair as the book writes it: ``"wine-nn"`` -> ``"wine-NN"``."""
    data, _, clf = str(pair).rpartition("-")
    return f"{data}-{clf.upper()}" if data else str(pair)


#: features whose values cannot be negative (counts, lengths, amounts), per data set: a value
#: below 0 is impossible whatever a constraint set says (compas records some stays as -1 days)
NON_NEGATIVE = {"compas": {"length_of_stay", "priors_count"}, "adult": {"capital-gain", "capital-loss"}}


@functools.cache
def recourse_set(dataset: str) -> tuple:
    """The book's default recourse constraints of ``dataset``, as (constraint, reason) pairs: the
    constraints a careful user would set, from ``lapace_book/experiments/constraint_sets/
    <dataset>.yml`` (the one place they are written) where that set holds a feature fixed or
    monotone (adult, compas: every entry applies to every input); ``()`` for any other data
    set (heloc's and wine's sets are pools Table 3 draws from, not a default)."""
    from lapace_book.experiments.actionability import constraint_set

    try:
        cs = constraint_set(dataset)
    except ValueError:
        return ()
    if not cs["kind"].isin(["Immutable", "Monotone"]).any():
        return ()
    return tuple(zip(cs["constraint"], cs["reason"], strict=True))


def held_fixed(dataset: str) -> dict[str, str]:
    """The features the default recourse set of ``dataset`` (:func:`recourse_set`) holds fixed,
    each with the first clause of its reason: ``held_fixed("compas")["two_year_recid"] ==
    "the outcome record itself"``; ``{}`` for a data set without a default set."""
    return {c.feature: str(why).split(";")[0].strip()
            for c, why in recourse_set(dataset) if type(c).__name__ == "Immutable"}


def flag_change(dataset: str, feature: str, before=None, after=None) -> str:
    """Why a recommended change of ``feature`` (from ``before`` to ``after``) needs care, or
    ``""``: an impossible value (a negative count or length, :data:`NON_NEGATIVE`; a monotone
    feature of the default set moving the forbidden way, e.g. age going down), a feature the
    default set holds fixed (:func:`held_fixed`: the outcome record itself, a record of the past,
    a protected or ethically loaded attribute) or a value outside one of its ranges.
    ``flag_change("compas", "length_of_stay", 9, -1)`` ==
    ``"impossible (negative); a record of the past"``."""
    reasons = []
    try:
        b, a = float(before), float(after)
    except (TypeError, ValueError):
        b = a = None
    if a is not None and feature in NON_NEGATIVE.get(dataset, ()) and a < 0:
        reasons.append("impossible (negative)")
    for c, _ in recourse_set(dataset):
        kind = type(c).__name__
        if a is None or getattr(c, "feature", None) != feature:
            continue
        if kind == "Monotone" and (a < b if c.direction == "increase" else a > b):
            reasons.append(f"impossible ({feature} goes {'down' if c.direction == 'increase' else 'up'})")
        if kind == "Range" and ((c.low is not None and a < c.low) or (c.high is not None and a > c.high)):
            reasons.append(f"outside {describe_constraint(c)}")
    if feature in (fixed := held_fixed(dataset)):
        reasons.append(fixed[feature])
    return "; ".join(reasons)


def a_(word) -> str:
    """``word`` with its indefinite article as it is read aloud: ``a_(3) == "a 3"``,
    ``a_(8) == "an 8"``, ``a_("input") == "an input"``."""
    text = str(word)
    spoken_vowel = text[:1].lower() in "aeio" or text.startswith(("8", "11", "18"))
    return f"{'an' if spoken_vowel else 'a'} {text}"


__all__ += ["hardware_sentence"]


def hardware_sentence() -> str:
    """Which precision and hardware the runtimes of this build come from (issue 35): LAPACE's
    decoder runs in fp32 (``Lapace(precision="fp32")``, the default every number in the book
    uses), on this CPU, with its capability string and whether it has bf16 units."""
    import os
    import platform

    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
        cpu = next((ln.split(":", 1)[1].strip() for ln in info.splitlines()
                    if ln.startswith("model name")), cpu)
        bf16 = any(flag in info for flag in ("amx_bf16", "avx512_bf16"))
    except OSError:
        bf16 = False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"The runtimes on this page were measured with LAPACE's decoder in **fp32** (the "
            f"default, `Lapace(precision=\"fp32\")`) on {cpu} ({cores} cores, PyTorch capability "
            f"{torch.backends.cpu.get_cpu_capability()}, bf16 units: {'yes' if bf16 else 'no'}), "
            f"one PyTorch thread per worker. `Lapace(precision=\"bf16\")` decodes in bf16 where "
            f"the CPU has bf16 units; `make benchmark` compares the two.")


__all__ += ["VERDICTS", "verdict_counts"]

#: the claims' verdicts (lapace_book.benchmark.claims.verdict), in the order a sentence lists them
VERDICTS = {"yes": "hold", "partly": "partly", "tie": "tie (the data cannot tell)",
            "no": "not", "untested": "untested"}


def verdict_counts(counts, subject: str) -> str:
    """``"recipe *ours*: of 21 claims, 5 hold, 7 partly, 2 tie (the data cannot tell), 6 not and
    1 untested"`` from a ``value_counts()`` of verdicts (verdicts with no claim left out)."""
    total = int(sum(counts.get(v, 0) for v in VERDICTS))
    parts = [f"{int(counts[v])} {word}" for v, word in VERDICTS.items() if counts.get(v, 0)]
    return f"{subject}: of {plural(total, 'claim')}, " + join_and(parts)


__all__ += ["in_microseconds"]


def in_microseconds(text) -> str:
    """``"0.00334 ms"`` -> ``"3.34 µs"``: times below a hundredth of a millisecond in a text
    (a claim's numbers) are written in µs, so no number needs more than four decimals."""
    return re.sub(r"\b0\.00(\d+) ms", lambda m: f"{float('0.00' + m.group(1)) * 1000:.3g} µs",
                  str(text))

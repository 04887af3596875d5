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

import re
from collections.abc import Sequence

import pandas as pd

__all__ = ["MISSING", "beside_paper", "compare_word", "contradictions", "describe_constraint",
           "join_and",
           "mean_std", "percent", "signed_points"]

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

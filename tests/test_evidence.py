"""Conclusions drawn from the paper-scale reference when it is fresh, this build's beside it."""

import pandas as pd

from lapace_book.show.evidence import Evidence


def later(t):
    return "the paths turn " + ("later" if t.first_tau.iloc[0] > 0.8 else "earlier")


def test_a_fresh_reference_is_the_evidence_and_this_build_the_check():
    ref = pd.DataFrame({"first_tau": [0.85]})
    live = pd.DataFrame({"first_tau": [0.75]})
    text = Evidence("figure2_check", ref, live, "quick").sentence(
        later, lambda t: t.first_tau.iloc[0] > 0.8)
    assert text.startswith("In the paper-scale reference run, the paths turn later.")
    assert "This build (quick profile) as a check: the paths turn earlier." in text
    assert "The two runs disagree here" in text
    agree = Evidence("x", ref, ref, "quick").sentence(later, lambda t: t.first_tau.iloc[0] > 0.8)
    assert "disagree" not in agree


def test_without_a_fresh_reference_this_build_speaks_and_says_why():
    live = pd.DataFrame({"first_tau": [0.75]})
    text = Evidence("x", None, live, "quick", stale=True).sentence(later)
    assert text.startswith("In this build (quick profile), the paths turn earlier.")
    assert "reference is stale for this chapter" in text
    assert Evidence("x", None, None, "quick").sentence(later) == ""
    # the paper profile's own build concludes from itself
    assert Evidence("x", None, live, "paper").sentence(later).startswith(
        "In this build (paper profile)")

"""lapace_book.show.text: how the book writes numbers, lists and constraints (hand-computed cases)."""

import math

import pytest

from lapace import Immutable, Monotone, Range, Relation
from lapace_book.show.text import (
    MISSING,
    beside_paper,
    compare_word,
    contradictions,
    describe_constraint,
    join_and,
    mean_std,
    percent,
    signed_points,
)


def test_percent_and_signed_points():
    assert percent(0.8123) == "81.23%"
    assert percent(0.5, 0) == "50%"
    assert percent(1) == "100.00%"
    assert signed_points(-0.012) == "-1.20 pp"
    assert signed_points(0.0345) == "+3.45 pp"
    assert signed_points(0.0) == "+0.00 pp"


@pytest.mark.parametrize("missing", [None, float("nan"), math.nan])
def test_missing_values_are_a_dash(missing):
    assert percent(missing) == MISSING == "–"
    assert signed_points(missing) == MISSING
    assert mean_std(0.81, missing) == "81.00% ± –"


def test_mean_std():
    assert mean_std(0.81, 0.015) == "81.00% ± 1.50%"


def test_beside_paper():
    assert beside_paper(0.9, 1.0) == "0.90 / 1.00 (-0.10)"
    assert beside_paper(0.95, 0.9) == "0.95 / 0.90 (+0.05)"
    assert beside_paper(0.9, None) == "0.90"


def test_join_and():
    assert join_and([]) == ""
    assert join_and(["a"]) == "a"
    assert join_and(["a", "b"]) == "a and b"
    assert join_and(iter(["a", "b", "c"])) == "a, b and c"


def test_describe_constraint():
    assert describe_constraint(Range("age", 18, 90)) == "18 ≤ age ≤ 90"
    assert describe_constraint(Range("age", low=18)) == "18 ≤ age"
    assert describe_constraint(Range("age", high=90.5)) == "age ≤ 90.5"
    assert describe_constraint(Relation("a", ">=", "b")) == "a ≥ b"
    assert describe_constraint(Relation("a", "<=", "b")) == "a ≤ b"
    assert describe_constraint(Relation("a", ">", "b")) == "a > b"
    assert describe_constraint(Immutable("sex")) == "sex stays the input's"
    assert describe_constraint(Monotone("age")) == "age may only increase"
    assert describe_constraint(Monotone("debt", "decrease")) == "debt may only decrease"


def test_compare_word_follows_the_numbers():
    assert compare_word(0.65, 0.80, "later than", "earlier than") == "earlier than"
    assert compare_word(0.90, 0.80, "later than", "earlier than") == "later than"
    assert compare_word(0.80, 0.80) == "the same as"
    assert compare_word(0.81, 0.80, tol=0.02) == "the same as"
    assert compare_word(0.83, 0.80, tol=0.02) == "higher than"
    with pytest.raises(ValueError, match="two numbers"):
        compare_word(float("nan"), 1.0)
    with pytest.raises(ValueError, match="tol"):
        compare_word(1.0, 1.0, tol=-1)


def test_contradictions_finds_a_word_that_disagrees_with_its_numbers():
    true = ("Our paths turn earlier than the paper's example (median first τ predicted 7: 0.65 "
            "against 0.80), and the share from τ = 0.7 on is higher than the paper's (0.97 "
            "against 0.67). Next sentence.")
    assert contradictions(true) == []
    false = true.replace("earlier than", "later than")
    assert contradictions(false) == [false.split(" Next")[0]]
    assert contradictions("It stays level (0.50 against 0.50).") == []
    assert contradictions("It is the same (0.50 against 0.51).") != []
    assert contradictions("A drop (−1.2 pp against 0.3 pp) is lower than zero.") == []
    assert contradictions("It is lower (−1.2 pp against 0.3 pp).") == []
    assert contradictions("It is higher (−1.2 pp against 0.3 pp).") != []


def test_contradictions_counts_the_pairs_a_sentence_summarises():
    s = ("TSTR real is higher for the RF black box than for the NN on {} of 4 data sets "
         "(adult: 99.17% against 97.58%, compas: 82.08% against 97.33%, heloc: 98.17% "
         "against 92.00%, wine: 97.40% against 95.57%): a forest imitates a forest.")
    assert contradictions(s.format(3)) == []
    assert contradictions(s.format(4)) == [s.format(4)]


def test_contradictions_leaves_unquoted_comparisons_alone():
    assert contradictions("More than 42 trades takes decades. Fewer than 80% (of inputs) "
                          "keep it. Better (0.2 against 0.3) depends on the metric.") == []


def test_the_runtime_panel_names_precision_and_hardware():
    from lapace_book.show.text import hardware_sentence

    text = hardware_sentence()
    assert "**fp32**" in text and "PyTorch capability" in text and "bf16 units:" in text

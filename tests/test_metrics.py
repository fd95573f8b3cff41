"""Hand-computed checks for eval.metrics."""

from __future__ import annotations

import pytest

from eval.metrics import (
    fact_recall,
    hit_at_k,
    mean,
    ndcg_at_k,
    normalise_text,
    percentile,
    ratio,
    recall_at_k,
    reciprocal_rank,
)

# log2(3) = 1.584962500721156, so 1/log2(3) = 0.6309297535714575; log2(4) = 2.
INV_LOG2_3 = 0.6309297535714575

RANK_FUNCS = [hit_at_k, reciprocal_rank, recall_at_k, ndcg_at_k]


# --- hit@k -------------------------------------------------------------------

def test_hit_at_k_basic():
    ranked = ["x", "y", "a", "z"]
    assert hit_at_k(ranked, {"a"}, 3) == 1.0
    assert hit_at_k(ranked, {"a"}, 2) == 0.0
    assert hit_at_k(ranked, {"a"}, 1) == 0.0
    assert hit_at_k(["a"], {"a"}, 1) == 1.0


def test_hit_at_k_k_larger_than_list_and_empty():
    assert hit_at_k(["x", "a"], {"a"}, 10) == 1.0
    assert hit_at_k([], {"a"}, 5) == 0.0
    assert hit_at_k(["a", "b"], set(), 5) == 0.0


def test_hit_at_k_duplicates_occupy_rank():
    # the duplicate "x" still pushes "a" to rank 3
    assert hit_at_k(["x", "x", "a"], {"a"}, 2) == 0.0
    assert hit_at_k(["x", "x", "a"], {"a"}, 3) == 1.0


# --- reciprocal rank -------------------------------------------------------------

def test_reciprocal_rank_basic():
    assert reciprocal_rank(["a", "b"], {"a"}, 10) == 1.0
    assert reciprocal_rank(["x", "a", "b"], {"a", "b"}, 10) == 0.5
    assert reciprocal_rank(["x", "y", "z", "a"], {"a"}, 10) == 0.25
    assert reciprocal_rank(["x", "y", "z", "a"], {"a"}, 3) == 0.0


def test_reciprocal_rank_duplicates_and_empty():
    assert reciprocal_rank(["x", "x", "a"], {"a"}, 10) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x", "x", "a"], {"a"}, 10) == pytest.approx(0.3333333333)
    assert reciprocal_rank([], {"a"}, 10) == 0.0
    assert reciprocal_rank(["a"], [], 10) == 0.0


# --- recall@k ---------------------------------------------------------------------

def test_recall_at_k_basic():
    assert recall_at_k(["a", "x", "b"], {"a", "b", "c", "d"}, 3) == 0.5
    assert recall_at_k(["a", "x", "b"], {"a", "b", "c", "d"}, 1) == 0.25
    assert recall_at_k(["a", "x", "b"], {"a", "b"}, 100) == 1.0


def test_recall_at_k_counts_distinct_ids():
    # three copies of "a" must not count as three relevant hits
    assert recall_at_k(["a", "a", "a"], {"a", "b"}, 3) == 0.5
    # duplicate list for the relevant set itself is de-duplicated
    assert recall_at_k(["a", "b"], ["a", "a", "b"], 3) == 1.0


def test_recall_at_k_empty_cases():
    assert recall_at_k([], {"a"}, 5) == 0.0
    assert recall_at_k(["a"], set(), 5) == 0.0  # documented choice


# --- nDCG@k ------------------------------------------------------------------------

def test_ndcg_binary_hand_computed():
    # DCG = 1/log2(2) + 0 + 1/log2(4) = 1.5 ; IDCG = 1 + 1/log2(3)
    expected = (1 + 1 / 2) / (1 + INV_LOG2_3)
    assert expected == pytest.approx(0.9197207891481876)
    assert ndcg_at_k(["a", "x", "b"], {"a", "b"}, 10) == pytest.approx(0.9197207891481876)


def test_ndcg_perfect_and_zero():
    assert ndcg_at_k(["a", "b", "x"], {"a", "b"}, 10) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y"], {"a"}, 10) == 0.0


def test_ndcg_single_relevant_at_rank_two():
    # DCG = 1/log2(3), IDCG = 1
    assert ndcg_at_k(["x", "a"], {"a"}, 5) == pytest.approx(0.6309297535714575)


def test_ndcg_graded_hand_computed():
    rel = {"a": 3, "b": 2, "c": 1}
    # DCG@3 over [c, a, x] = 1/1 + 3/log2(3) + 0 = 1 + 1.8927892607143724
    # IDCG@3 over [3, 2, 1] = 3 + 2/log2(3) + 1/2 = 3 + 1.261859507142915 + 0.5
    expected = (1 + 1.8927892607143724) / (3 + 1.261859507142915 + 0.5)
    assert expected == pytest.approx(0.6074915180456525)
    assert ndcg_at_k(["c", "a", "x", "b"], rel, 3) == pytest.approx(0.6074915180456525)


def test_ndcg_graded_gain_is_linear_not_exponential():
    # with exponential gains (2^rel - 1) this would be (1 + 7/log2(3)) / (7 + 1/log2(3))
    rel = {"a": 3.0, "b": 1.0}
    expected = (1 + 3 * INV_LOG2_3) / (3 + INV_LOG2_3)
    assert ndcg_at_k(["b", "a"], rel, 2) == pytest.approx(expected)
    assert ndcg_at_k(["b", "a"], rel, 2) == pytest.approx(0.7967075809905066)


def test_ndcg_zero_grades_are_not_relevant():
    assert ndcg_at_k(["a"], {"a": 0.0, "b": 1.0}, 5) == 0.0
    assert ndcg_at_k(["a"], {"a": 0.0}, 5) == 0.0


def test_ndcg_idcg_truncated_at_k():
    # three relevant docs, k=1: IDCG@1 = 1, so a hit at rank 1 is perfect
    assert ndcg_at_k(["a", "x"], {"a", "b", "c"}, 1) == pytest.approx(1.0)
    # k=2: DCG = 1, IDCG = 1 + 1/log2(3)
    assert ndcg_at_k(["a", "x"], {"a", "b", "c"}, 2) == pytest.approx(1 / 1.6309297535714575)


def test_ndcg_duplicates_give_no_gain_but_occupy_rank():
    # [a, a, b]: the second "a" gives 0 but pushes b to rank 3 -> same as [a, x, b]
    assert ndcg_at_k(["a", "a", "b"], {"a", "b"}, 10) == pytest.approx(0.9197207891481876)
    # without the duplicate rule this would be > 1
    assert ndcg_at_k(["a", "a", "a"], {"a": 2.0}, 3) == pytest.approx(1.0)
    assert ndcg_at_k(["a", "a"], {"a", "b"}, 2) == pytest.approx(1 / (1 + INV_LOG2_3))


def test_ndcg_empty_inputs_and_k_beyond_list():
    assert ndcg_at_k([], {"a"}, 10) == 0.0
    assert ndcg_at_k(["a"], set(), 10) == 0.0
    assert ndcg_at_k(["a"], {}, 10) == 0.0
    assert ndcg_at_k(["a"], {"a"}, 1000) == pytest.approx(1.0)


# --- k validation --------------------------------------------------------------------

@pytest.mark.parametrize("func", RANK_FUNCS)
@pytest.mark.parametrize("k", [0, -1])
def test_k_must_be_positive(func, k):
    with pytest.raises(ValueError, match="k"):
        func(["a"], {"a"}, k)


# --- percentile / mean / ratio ----------------------------------------------------

def test_percentile_hand_computed():
    values = [1.0, 2.0, 3.0, 4.0]
    assert percentile(values, 50) == pytest.approx(2.5)
    assert percentile(values, 95) == pytest.approx(3.85)  # pos 2.85 -> 3 + 0.85
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    # p90 of [15, 20, 35, 40, 50]: pos 3.6 -> 40 + 0.6 * 10
    assert percentile([15, 20, 35, 40, 50], 90) == pytest.approx(46.0)


def test_percentile_unsorted_and_single():
    # sorted [1, 7, 10], p25 -> pos 0.5 -> 1 + 0.5 * 6
    assert percentile([10, 1, 7], 25) == pytest.approx(4.0)
    assert percentile([42.0], 95) == 42.0


def test_percentile_errors():
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_percentile_matches_numpy_default():
    np = pytest.importorskip("numpy")
    values = [3.1, 9.0, 0.5, 7.25, 7.25, 12.0, 4.4]
    for p in (0, 10, 33.3, 50, 90, 95, 99, 100):
        assert percentile(values, p) == pytest.approx(float(np.percentile(values, p)))


def test_mean():
    assert mean([]) == 0.0
    assert mean([1.0, 2.0, 4.0]) == pytest.approx(7 / 3)
    assert mean([0.5]) == 0.5


def test_ratio():
    assert ratio(1, 4) == 0.25
    assert ratio(0, 0) == 0.0
    assert ratio(0, 0, empty=1.0) == 1.0
    assert ratio(3, 0, empty=float("nan")) != ratio(3, 0, empty=float("nan"))


# --- fact_recall ----------------------------------------------------------------------

def test_fact_recall_fraction_and_case():
    answer = "The royalty rate is 5 percent, payable QUARTERLY to the Ministry."
    facts = ["royalty rate is 5 percent", "payable quarterly", "annual audit"]
    assert fact_recall(answer, facts) == pytest.approx(2 / 3)


def test_fact_recall_empty_facts_is_one():
    assert fact_recall("anything", []) == 1.0
    assert fact_recall("", []) == 1.0


def test_fact_recall_empty_answer():
    assert fact_recall("", ["a fact"]) == 0.0


def test_fact_recall_whitespace_normalised():
    answer = "The  licence\nmust be\trenewed   every five years."
    assert fact_recall(answer, ["licence must be renewed every five years"]) == 1.0
    assert fact_recall("licence must be renewed", ["  licence   must\nbe renewed "]) == 1.0


def test_fact_recall_quotes_and_dashes_normalised():
    answer = "The holder\u2019s \u201cmining right\u201d lasts 10\u201330 years \u2014 renewable."
    facts = ["holder's", '"mining right"', "10-30 years - renewable"]
    assert fact_recall(answer, facts) == 1.0
    # normalisation applies to the facts side too
    assert fact_recall("the holder's right - 10-30", ["HOLDER\u2019S right \u2013 10\u201430"]) == 1.0


def test_fact_recall_not_fooled_by_partial_match():
    assert fact_recall("rate is 5 percent", ["rate is 50 percent"]) == 0.0


def test_normalise_text():
    assert normalise_text("  A\u2018b\u2019  C\u201cd\u201d\u2013e\u2014F ") == "a'b' c\"d\"-e-f"

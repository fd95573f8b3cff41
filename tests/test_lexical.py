"""BM25 tokens: British spellings fold into American ones, so either finds the other."""

from __future__ import annotations

import numpy as np
import pytest

from index.lexical import american, best_rows, tokenize


@pytest.mark.parametrize(
    "british, us",
    [
        ("labour", "labor"), ("labourers", "laborers"), ("organisation", "organization"), ("organised", "organized"),
        ("prioritising", "prioritizing"), ("analysed", "analyzed"), ("centre", "center"), ("centred", "centered"),
        ("panellists", "panelists"), ("travelled", "traveled"), ("programme", "program"), ("defence", "defense"),
        ("tumour", "tumor"), ("haemoglobin", "hemoglobin"), ("paediatric", "pediatric"), ("favourite", "favorite"),
    ],
)
def test_british_and_american_spellings_make_the_same_token(british, us):
    assert american(british) == us
    assert tokenize([british]) == tokenize([us])


@pytest.mark.parametrize("word", ["advise", "promise", "exercise", "enterprise", "otherwise", "hour", "four", "tour", "your", "pour"])
def test_words_that_only_look_british_are_left_alone(word):
    assert american(word) == word


def _best_by_sorting(scores: np.ndarray, k: int) -> np.ndarray:
    """The rows of the k highest positive scores, ties to the lower row, by sorting every row."""
    order = np.lexsort((np.arange(len(scores)), -scores))
    return np.sort(order[scores[order] > 0][:k])


@pytest.mark.parametrize("seed", range(6))
def test_best_rows_are_the_k_best_scores_with_ties_to_the_lower_row(seed):
    rng = np.random.default_rng(seed)
    size = int(rng.integers(1, 50_000))
    # BM25-like: most rows score nothing, the rest take few distinct values, so ties are many
    scores = np.where(rng.random(size) < 0.4, rng.integers(1, 30, size) / 7, 0).astype(np.float32)
    for k in (1, 10, 100, size + 5):
        assert best_rows(scores, k).tolist() == _best_by_sorting(scores, k).tolist()


def test_best_rows_of_few_matches_are_every_match():
    scores = np.zeros(100_000, np.float32)
    scores[[5, 77, 99_999]] = [0.5, 2.0, 0.5]
    assert best_rows(scores, 100).tolist() == [5, 77, 99_999]
    assert best_rows(scores, 2).tolist() == [5, 77]
    assert best_rows(np.zeros(10, np.float32), 3).tolist() == []
    assert best_rows(scores, 0).tolist() == []

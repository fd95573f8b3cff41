"""BM25 tokens: British spellings fold into American ones, so either finds the other."""

from __future__ import annotations

import pytest

from index.lexical import american, tokenize


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

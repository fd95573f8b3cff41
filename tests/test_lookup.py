"""Lookups in lists and tables: which rows a "which ... in/from X?" question asks for."""

from __future__ import annotations

import pytest

from corpus.sentences import split_sentences
from index.lexical import tokenize
from qa.lookup import MAX_ROWS, matching_rows, on_row, row_values

LETTER = (
    "We write to express our support.\n\n"
    "Signatory organisations\n\n"
    "African Coalition on Green Growth Botswana\n"
    "Accountability Accelerator United Kingdom\n"
    "Centre for Climatology and Applied Research Botswana\n"
    "ALAMIN Philippines\n\n"
    "Panelists from the region\n\n"
    "Dr. Ligia Noronha, Director of the Economy Division, Botswana\n"
    "Ms. Elisa Tonda, Head of Unit, Kenya"
)


def _terms(question: str) -> tuple[str, ...]:
    return tuple(tokenize([question])[0])


def _rows(question: str, text: str = LETTER) -> list[str]:
    spans = matching_rows(text, split_sentences(text), row_values(question), _terms(question))
    return [text[s:e] for s, e in spans]


@pytest.mark.parametrize(
    "question, values",
    [
        ("Which signatories are based in Botswana?", ["Botswana"]),
        ("Which organisations from the United Kingdom signed the letter?", ["United Kingdom"]),
        ("Who in the Democratic Republic of Congo signed?", ["Democratic Republic of Congo"]),
        ("What does the letter say about Botswana?", []),  # no "in/from X"
        ("How many signatories are based in Botswana?", []),  # a count, not a list of rows
    ],
)
def test_row_values_are_the_names_after_in_or_from(question, values):
    assert row_values(question) == values


def test_rows_ending_with_the_value_under_a_header_naming_the_thing_asked_for():
    assert _rows("Which signatory organisations are based in Botswana?") == [
        "African Coalition on Green Growth Botswana",
        "Centre for Climatology and Applied Research Botswana",
    ]
    assert _rows("Which panelists were from Botswana?") == ["Dr. Ligia Noronha, Director of the Economy Division, Botswana"]


def test_no_rows_when_the_list_is_of_something_else_or_nothing_matches():
    assert _rows("Which minerals are mined in Botswana?") == []  # the lists are of organisations and panelists
    assert _rows("Which signatory organisations are based in Peru?") == []


def test_a_name_inside_a_row_is_not_its_last_cell():
    text = "Signatory organisations\n\nBotswana Climate Network Kenya\nALAMIN Philippines"
    assert _rows("Which signatory organisations are based in Botswana?", text) == []


def test_at_most_max_rows():
    rows = "\n".join(f"Organisation number {i} Botswana" for i in range(MAX_ROWS + 5))
    assert len(_rows("Which organisations are based in Botswana?", "Signatory organisations\n\n" + rows)) == MAX_ROWS


def test_a_row_is_a_line_with_another_line_of_its_block_next_to_it():
    text = "A heading\n\nFirst row Ghana\nSecond row Kenya\n\nA paragraph on its own."
    spans = {text[s:e]: (s, e) for s, e in split_sentences(text)}
    assert on_row(text, *spans["First row Ghana"]) and on_row(text, *spans["Second row Kenya"])
    assert not on_row(text, *spans["A heading"]) and not on_row(text, *spans["A paragraph on its own."])

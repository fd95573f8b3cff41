"""Acronyms the documents spell out, and questions that ask for them."""

from __future__ import annotations

import pytest

from corpus.document import Document
from qa.acronyms import Definition, Glossary, asked_acronym, definitions


@pytest.mark.parametrize(
    "text, acronym, long_form",
    [
        ("It launched the Responsible Cobalt Initiative (RCI) in 2016.", "RCI", "Responsible Cobalt Initiative"),
        # a linking word does not start a long form, even when its letter fits
        ("Actions for Democracy and Local Governance (ADLG) Tanzania", "ADLG", "Actions for Democracy and Local Governance"),
        ("with the Federal Office for the Environment (“FOEN”) from", "FOEN", "Federal Office for the Environment"),
        # the reading whose word initials match most letters, not the shortest
        ("the China Chamber of Commerce of Metals, Minerals & Chemicals Importers & Exporters (CCCMC).",
         "CCCMC", "China Chamber of Commerce of Metals, Minerals & Chemicals Importers & Exporters"),
        ("a multi-stakeholder High-Level Expert Advisory Group (HLEAG) under", "HLEAG", "High-Level Expert Advisory Group"),
        ("the Sustainable Development Goals (SDGs) and", "SDGs", "Sustainable Development Goals"),
        ("managing artisanal and small-scale mining (ASM), legal", "ASM", "artisanal and small-scale mining"),
        ("The **International Council on Mining and Metals (ICMM)** said", "ICMM", "International Council on Mining and Metals"),
    ],
)
def test_long_forms_are_found_before_the_parenthesis(text, acronym, long_form):
    found = definitions(text)
    assert [(d.acronym, d.long_form) for d in found] == [(acronym, long_form)]
    span = text[found[0].start:found[0].end]
    assert span.startswith(long_form) and span.endswith(")") and acronym in span


@pytest.mark.parametrize(
    "text",
    [
        "Nickel (Indonesia) Deforestation",  # a country, not an acronym
        "the results (Various) vary",
        "as reported by the agency (OECD) in 2019",  # the words before do not spell it
        "see the table (A)",
    ],
)
def test_parentheses_that_define_nothing_are_skipped(text):
    assert definitions(text) == []


@pytest.mark.parametrize(
    "question, asked",
    [
        ("What does CCCMC stand for?", ("CCCMC", True)),
        ("What is the full name of the IGF?", ("IGF", True)),
        ("What is ASM short for?", ("ASM", True)),
        ("What is the HLEAG?", ("HLEAG", False)),
        ("Who is the UNSG?", ("UNSG", False)),
        ("What is the purpose of the HLEAG?", None),
        ("What is green mining?", None),
        ("what does cccmc stand for", ("cccmc", True)),  # any case: the glossary tells acronyms
        ("whats the IGF", ("IGF", False)),
        ("What's ESG?", ("ESG", False)),
    ],
)
def test_questions_asking_for_an_acronym(question, asked):
    assert asked_acronym(question) == asked


def test_glossary_lists_every_place_an_acronym_is_defined_whatever_its_case():
    docs = [
        Document("a", "A", "The Issue Management Group (IMG) meets. Later the Issue Management Group (IMG) met.", "a.txt"),
        Document("b", "B", "No definitions here (none).", "b.txt"),
    ]
    glossary = Glossary({d.doc_id: d for d in docs}, lambda word: [d.doc_id for d in docs if word in d.text.lower()])
    places = glossary.lookup("img")
    assert [doc_id for doc_id, _ in places] == ["a", "a"]
    assert places[0][1].start < places[1][1].start
    assert glossary.lookup("XYZ") == []


def test_a_definition_checks_its_offsets():
    with pytest.raises(ValueError, match="start must be at least 0 and less than end"):
        Definition("IMG", "Issue Management Group", 10, 10)

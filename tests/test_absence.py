"""Checked statements: that a document does not use the question's words is said only when none
of its passages holds any of them; answers naming documents give each one a quote or such a
statement; a list asked for is quoted whole, with its count."""

from __future__ import annotations

import pytest

from types import SimpleNamespace

from corpus.document import Document
from index.lexical import tokenize
from qa.absence import Absence, Statement

DOCS = {
    "code": Document("code", "CRAFT code", "Artisanal miners must not use mercury.", "code.txt"),
    "standard": Document("standard", "IRMA Standard", "Industrial mines report water use.", "standard.txt"),
    "letter": Document("letter", "Civil society letter", "Labour unions and the groups for the rights of every child signed.", "letter.txt"),
}
TERMS = {doc_id: frozenset(tokenize([doc.text])[0]) for doc_id, doc in DOCS.items()}
LIBRARY = frozenset().union(*TERMS.values())
IDF = {"mercuri": 3.0, "water": 2.0, "china": 4.0}


def holding(doc_id: str, terms: tuple[str, ...]) -> list:
    """The document's one passage, when it holds every term (as `qa.lexicon.passages_holding` reads them)."""
    return [SimpleNamespace(text=DOCS[doc_id].text)] if set(terms) <= TERMS[doc_id] else []


def make_absence() -> Absence:
    return Absence(DOCS, TERMS, LIBRARY, holding)


def test_the_point_leaves_out_the_phrases_naming_documents():
    absence = make_absence()
    assert absence.point("What do the CRAFT code and the IRMA standard say about mercury?") == [("mercury", "mercuri")]


def test_a_document_holding_no_word_of_the_point_gets_a_statement():
    absence = make_absence()
    point = absence.point("What do the CRAFT code and the IRMA standard say about mercury?")
    assert absence.statement("code", point, IDF) is None
    statement = absence.statement("standard", point, IDF)
    assert statement == Statement("No passage of “IRMA Standard” uses the word “mercury”.", "standard")


def test_the_statement_lists_the_rarest_words_in_the_question_order():
    absence = make_absence()
    point = [("China", "china"), ("cobalt", "cobalt"), ("tariffs", "tariff"), ("mercury", "mercuri")]
    statement = absence.statement("standard", point, {"china": 4.0, "cobalt": 3.0, "tariff": 1.0, "mercuri": 2.0})
    assert statement.text == "No passage of “IRMA Standard” uses the words “China”, “cobalt” or “mercury”."


def test_the_library_statement_needs_every_document_to_lack_the_words():
    absence = make_absence()
    assert absence.nowhere([("water", "water")], IDF) is None
    assert absence.nowhere([("uranium", "uranium")], IDF).text == "No passage of any indexed document uses the word “uranium”."


def test_the_phrases_are_the_points_words_standing_together():
    absence = make_absence()
    question = "Compare the CRAFT code and the IRMA standard on child labour and water use."
    assert absence.phrases(question, absence.point(question)) == ["child labour", "water use"]
    # words asking for a comparison and the terms that named a document are no part of the point
    question = "How do the letter and the trade initiative differ on child labour?"
    assert absence.phrases(question, absence.point(question, naming=("trade", "initi"))) == ["child labour"]


def test_a_phrase_statement_needs_every_passage_to_lack_the_words_in_order():
    absence = make_absence()
    # the letter holds "labour" and "child", far apart: it does not use the phrase
    statement = absence.phrase_statement("letter", ["child labour"], IDF)
    assert statement == Statement("No passage of “Civil society letter” uses the words “child labour”.", "letter")
    assert absence.phrase_statement("code", ["artisanal miners", "child labour"], IDF) is None
    assert absence.naming("code", "artisanal miners") and not absence.naming("letter", "child labour")
    assert absence.phrase_statement("code", [], IDF) is None


def test_a_word_no_passage_holds_is_listed_as_the_rarest():
    absence = make_absence()
    weights = {"compani": 1.0, "mercuri": 3.0, "cobalt": 2.0}  # "penalti": in no passage of the library
    statement = absence.phrase_statement("standard", ["penalties", "companies", "mercury", "cobalt"], weights)
    assert statement.text == "No passage of “IRMA Standard” uses the words “penalties”, “mercury” or “cobalt”."
    assert absence.phrase_statement("standard", ["penalties", "water"], weights) is None  # it uses "water"


def test_an_empty_point_makes_no_statement():
    absence = make_absence()
    assert absence.statement("standard", [], IDF) is None and absence.nowhere([], IDF) is None


def test_a_statement_needs_text():
    with pytest.raises(ValueError, match="a statement must have text"):
        Statement(" ", "code")


@pytest.mark.model
@pytest.mark.parametrize(
    "question, statement",
    [
        ("Does the Wilson report mention uranium?", "uses the word “uranium”"),
        ("Is zirconium mentioned anywhere?", "No passage of any indexed document uses the word “zirconium”"),
    ],
)
def test_a_topic_no_passage_holds_is_said_not_to_be_used(assistant, question, statement):
    from tests.statements import without_statements

    answer = assistant.ask(question)
    assert answer.abstained and statement in answer.text and not answer.citations, answer.text
    assert without_statements(answer, assistant.index) == ""


@pytest.mark.model
def test_each_named_document_gives_a_quote_or_a_checked_statement(assistant):
    from tests.statements import without_statements

    question = "What do the trade initiative and the HRC statement say about mercury?"
    named = assistant.retriever.named_documents(question)
    answer = assistant.ask(question)
    rest = without_statements(answer, assistant.index)  # checks every statement against the index
    quoted = {c.chunk.doc_id for c in answer.citations}
    stated = [d for d in named if f"“{assistant.documents[d].title}”" in answer.text]
    assert len(named) == 2 and set(named) == quoted | set(stated), answer.text
    assert answer.abstained == (rest == "")


@pytest.mark.model
def test_a_list_asked_for_is_quoted_whole_with_its_checked_count(assistant):
    from tests.statements import without_statements

    answer = assistant.ask("What principles does the letter say the HLEAG process must be based on?")
    assert answer.text.endswith("That is the whole list: 5 items."), answer.text
    rest = without_statements(answer, assistant.index)  # checks the five quotes are the list's five items
    assert "Public Engagement and Accountability" in rest


@pytest.mark.model
def test_a_comparison_gives_each_named_document_a_quote_naming_its_point_or_a_checked_statement(assistant):
    from qa.mentions import names_topic
    from tests.statements import without_statements

    question = "Compare the trade initiative and the HRC statement on human rights"
    named = assistant.retriever.named_documents(question)
    answer = assistant.ask(question)
    without_statements(answer, assistant.index)  # the initiative's statement holds for every passage of it
    initiative, statement = (assistant.documents[d] for d in ("green-mining-trade-initiative", "hrc-green-mining-statement-2026"))
    assert set(named) == {initiative.doc_id, statement.doc_id}
    assert f"No passage of “{initiative.title}” uses the words “human rights”." in answer.text, answer.text
    assert {c.chunk.doc_id for c in answer.citations} == {statement.doc_id}
    assert all(names_topic("human rights", q.text) for c in answer.citations for q in c.quotes), answer.text


@pytest.mark.model
def test_a_named_document_none_of_whose_retrieved_passages_names_the_point_is_quoted_from_its_own(assistant):
    from qa.mentions import names_topic

    question = "What do the letter and the HRC statement say about transparency?"
    statement = "hrc-green-mining-statement-2026"
    retrieved = assistant.retrieve(question)
    assert statement in retrieved.named and not any(
        names_topic("transparency", h.chunk.text) for h in retrieved.hits if h.chunk.doc_id == statement)
    answer = assistant.ask(question)
    quotes = [q.text for c in answer.citations if c.chunk.doc_id == statement for q in c.quotes]
    assert quotes and any(names_topic("transparency", q) for q in quotes), answer.text  # "transparent benefit-sharing"


@pytest.mark.model
def test_a_comparison_the_evidence_does_not_answer_still_speaks_for_each_document(assistant):
    from tests.statements import without_statements

    answer = assistant.ask("Compare the HRC statement and the outcome document on deep-sea mining.")
    assert answer.abstained and not answer.citations, answer.text
    for doc_id in ("hrc-green-mining-statement-2026", "un-emg-mineral-governance-2020"):
        assert f"No passage of “{assistant.documents[doc_id].title}” uses the words “deep-sea mining”." in answer.text
    assert without_statements(answer, assistant.index) == ""

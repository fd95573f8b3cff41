"""Checked statements: that a document does not use the question's words is said only when none
of its passages holds any of them; answers naming documents give each one a quote or such a
statement; a list asked for is quoted whole, with its count."""

from __future__ import annotations

import pytest

from corpus.document import Document
from qa.absence import Absence, Statement

DOCS = {
    "code": Document("code", "CRAFT code", "Artisanal miners must not use mercury.", "code.txt"),
    "standard": Document("standard", "IRMA Standard", "Industrial mines report water use.", "standard.txt"),
}
TERMS = {"code": frozenset({"artisan", "miner", "mercuri"}), "standard": frozenset({"industri", "mine", "report", "water"})}
LIBRARY = frozenset().union(*TERMS.values())
IDF = {"mercuri": 3.0, "water": 2.0, "china": 4.0}


def test_the_point_leaves_out_the_phrases_naming_documents():
    absence = Absence(DOCS, TERMS, LIBRARY)
    assert absence.point("What do the CRAFT code and the IRMA standard say about mercury?") == [("mercury", "mercuri")]


def test_a_document_holding_no_word_of_the_point_gets_a_statement():
    absence = Absence(DOCS, TERMS, LIBRARY)
    point = absence.point("What do the CRAFT code and the IRMA standard say about mercury?")
    assert absence.statement("code", point, IDF) is None
    statement = absence.statement("standard", point, IDF)
    assert statement == Statement("No passage of “IRMA Standard” uses the word “mercury”.", "standard")


def test_the_statement_lists_the_rarest_words_in_the_question_order():
    absence = Absence(DOCS, TERMS, LIBRARY)
    point = [("China", "china"), ("cobalt", "cobalt"), ("tariffs", "tariff"), ("mercury", "mercuri")]
    statement = absence.statement("standard", point, {"china": 4.0, "cobalt": 3.0, "tariff": 1.0, "mercuri": 2.0})
    assert statement.text == "No passage of “IRMA Standard” uses the words “China”, “cobalt” or “mercury”."


def test_the_library_statement_needs_every_document_to_lack_the_words():
    absence = Absence(DOCS, TERMS, LIBRARY)
    assert absence.nowhere([("water", "water")], IDF) is None
    assert absence.nowhere([("uranium", "uranium")], IDF).text == "No passage of any indexed document uses the word “uranium”."


def test_an_empty_point_makes_no_statement():
    absence = Absence(DOCS, TERMS, LIBRARY)
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

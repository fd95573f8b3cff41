"""What a named document concludes or recommends: the opening of its own section saying so."""

from __future__ import annotations

import pytest

from corpus.document import Document, Section
from index.digests import digest_of
from qa.question import CONCLUSIONS, RECOMMENDATIONS, Question, gist_of


@pytest.mark.parametrize(
    "question, gist",
    [
        ("What does the Wilson report conclude?", CONCLUSIONS),
        ("What are the main conclusions of the report?", CONCLUSIONS),
        ("What does the NRRD executive summary find?", CONCLUSIONS),
        ("What does the civil society letter recommend?", RECOMMENDATIONS),
        ("What are the recommendations of the letter?", RECOMMENDATIONS),
        ("What does the initiative call for?", RECOMMENDATIONS),
        ("What does the letter recommend about China?", ""),  # asks about China
        ("Summarize the letter", ""),
    ],
)
def test_a_question_about_a_documents_conclusions_or_recommendations_is_recognised(question, gist):
    assert gist_of(question) == gist
    assert Question.parse(question).gist == gist


def test_a_gist_question_is_no_summary_question():
    parsed = Question.parse("What are the main conclusions of the report?")
    assert parsed.gist == CONCLUSIONS and not parsed.summary


TEXT = (
    "Introduction\n\nMining grows. It grows fast.\n\n"
    "Conclusions and next steps\n\nCooperation is possible. Standards converge. Gaps remain. More work is needed.\n\n"
    "Annex\n\nA table follows."
)


def _document() -> tuple[Document, list[tuple[int, int]]]:
    sections = tuple(Section(TEXT.index(t), 1, t) for t in ("Introduction", "Conclusions and next steps", "Annex"))
    doc = Document("r", "Report", TEXT, "r.txt", sections=sections)
    sentences = []
    for piece in ("Introduction", "Mining grows.", "It grows fast.", "Conclusions and next steps", "Cooperation is possible.",
                  "Standards converge.", "Gaps remain.", "More work is needed.", "Annex", "A table follows."):
        start = TEXT.index(piece)
        sentences.append((start, start + len(piece)))
    return doc, sentences


def test_the_conclusions_are_the_opening_sentences_of_the_section_whose_heading_says_so():
    doc, sentences = _document()
    spans = digest_of(doc, sentences, None).conclusions
    assert [doc.text[s:e] for s, e in spans] == ["Cooperation is possible.", "Standards converge.", "Gaps remain."]


def test_next_steps_are_recommendations_too_and_a_document_without_such_a_heading_has_none():
    doc, sentences = _document()
    assert digest_of(doc, sentences, None).recommendations[0] == sentences[4]
    plain = Document("p", "Plain", "Mining grows. It grows fast.", "p.txt")
    assert digest_of(plain, [(0, 13), (14, 28)], None).conclusions == ()


@pytest.mark.model
def test_what_the_wilson_report_concludes_is_quoted_from_its_conclusion(assistant):
    answer = assistant.ask("What does the Wilson report conclude?")
    assert not answer.abstained and answer.citations
    doc = assistant.documents["wilson-dicarlo-critical-minerals-2024"]
    conclusion = next(s for s in doc.sections if s.title == "Conclusion")
    starts = [q.start for c in answer.citations for q in c.quotes]
    assert all(c.chunk.doc_id == doc.doc_id for c in answer.citations)
    assert min(starts) > conclusion.start and starts == sorted(starts)


@pytest.mark.model
def test_what_a_letter_without_a_recommendations_section_recommends_is_its_advice(assistant):
    answer = assistant.ask("What does the civil society letter recommend?")
    assert not answer.abstained
    assert all(c.chunk.doc_id == "civil-society-letter-hleag-2025" for c in answer.citations)
    assert "call for the HLEAG to be established rapidly" in answer.text

"""A document's digest (summary, conclusions, recommendations), chosen at build time and stored
with its records; "Summarize the X" quotes it whatever was retrieved."""

from __future__ import annotations

import numpy as np
import pytest

from corpus.document import Document, Section
from corpus.sentences import split_sentences
from index.digests import DIGEST_SENTENCES, Digest, digest_of
from index.store import load_index
from tests.fakes import FakeEncoder
from tests.test_build import CONFIG, TOPICS, build, make_corpus

REPORT = (
    "Tailings Report\n\n"
    "Background\n\n"
    "Tailings dams hold the waste of mines across the world today. However, many of them are old and poorly mapped. "
    "Third, their owners change often and records are lost.\n\n"
    "Findings\n\n"
    "Independent engineers found cracks in nine of the twenty dams inspected. Monitoring budgets fell by half in five years.\n\n"
    "Conclusions\n\n"
    "Dam safety depends on independent review. Public registers would help communities downstream.\n\n"
    "References\n\n"
    "Smith and Jones wrote the first tailings dam safety survey in 2019.\n"
)


def _document(text: str = REPORT) -> tuple[Document, list[tuple[int, int]]]:
    titles = [line for line in text.split("\n\n") if line and not line.rstrip().endswith(".")]
    sections = tuple(Section(text.index(t), 1, t) for t in titles)
    return Document("review", "Tailings Report", text, "tailings-report.txt", sections=sections), split_sentences(text)


def _vectors(doc: Document, sentences) -> np.ndarray:
    return FakeEncoder().encode([doc.text[s:e] for s, e in sentences])


def test_a_summary_is_central_prose_one_per_section_in_document_order_never_dangling():
    doc, sentences = _document()
    digest = digest_of(doc, sentences, _vectors(doc, sentences))
    quoted = [doc.text[s:e] for s, e in digest.summary]
    assert len(quoted) == DIGEST_SENTENCES and not digest.authored
    assert list(digest.summary) == sorted(digest.summary)
    assert not any(q.startswith(("However", "Third")) for q in quoted)  # they need the sentence before them
    assert not any("Smith and Jones" in q for q in quoted)  # back matter
    sections = [max(i for i, sec in enumerate(doc.sections) if sec.start < s) for s, _ in digest.summary]
    assert len(set(sections)) == len(sections)  # three sections, one sentence each
    assert [doc.text[s:e] for s, e in digest.conclusions] == [
        "Dam safety depends on independent review.", "Public registers would help communities downstream."]
    assert digest.recommendations == ()


def test_a_documents_own_summary_is_its_summary():
    text = "Report\n\nExecutive summary\n\nThe fund grew by a third in 2023 and paid out more.\n\nBody\n\nDetails follow here at length now.\n"
    doc, sentences = _document(text)
    digest = digest_of(doc, sentences, _vectors(doc, sentences))
    assert digest.authored and [doc.text[s:e] for s, e in digest.summary] == ["The fund grew by a third in 2023 and paid out more."]


def test_without_sentence_vectors_there_is_no_extractive_summary():
    doc, sentences = _document()
    assert digest_of(doc, sentences, None).summary == ()


def test_a_broken_digest_is_refused_with_the_rule_it_breaks():
    with pytest.raises(ValueError, match="at most 3 sentences"):
        Digest(summary=((0, 1), (2, 3), (4, 5), (6, 7)))
    with pytest.raises(ValueError, match="in document order"):
        Digest(conclusions=((10, 20), (0, 5)))
    with pytest.raises(ValueError, match="a digest kind is one of"):
        Digest().spans("abstract")


def test_digests_are_stored_kept_across_builds_and_go_with_their_document(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "tailings-report.txt").write_text(REPORT, encoding="utf-8")
    (corpus / "other.md").write_text("# Other\n\n" + "Cobalt is mined by artisanal miners in the south. " * 3, encoding="utf-8")
    build(corpus, index)
    data = load_index(index, CONFIG)
    first = data.digests["tailings-report"]
    assert first.conclusions and first.summary
    doc = data.documents["tailings-report"]
    assert doc.text[first.conclusions[0][0]:first.conclusions[0][1]] == "Dam safety depends on independent review."
    data.close()
    (corpus / "other.md").write_text("# Other\n\nLithium brine uses scarce water in the Andes today.\n", encoding="utf-8")
    build(corpus, index)  # tailings-report.txt is kept: its rows are carried over, digest with them
    data = load_index(index, CONFIG)
    assert data.digests["tailings-report"] == first
    data.close()
    (corpus / "tailings-report.txt").unlink()
    build(corpus, index)
    data = load_index(index, CONFIG)
    assert "tailings-report" not in data.digests and data.digests["other"].summary
    rows = data.records._rows("SELECT count(*) FROM digests WHERE doc_key NOT IN (SELECT key FROM documents)")
    assert rows == [(0,)]
    data.close()


def test_summarize_quotes_the_stored_summary(tmp_path):
    from qa.assistant import Assistant

    corpus, index = make_corpus(tmp_path / "corpus", {k: v for k, v in TOPICS.items() if k != "tailings"}), tmp_path / "index"
    (corpus / "tailings-report.txt").write_text(REPORT, encoding="utf-8")
    build(corpus, index)
    assistant = Assistant(load_index(index, CONFIG), FakeEncoder())
    digest = assistant.index.digests["tailings-report"]
    answer = assistant.ask("Summarize the tailings report")
    starts = [q.start for c in answer.citations for q in c.quotes]
    assert not answer.abstained and sorted(starts) == [s for s, _ in digest.summary]
    answer = assistant.ask("What does the tailings report conclude?")
    assert [q.start for c in answer.citations for q in c.quotes] == [s for s, _ in digest.conclusions]

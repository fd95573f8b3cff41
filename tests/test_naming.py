"""Documents named by title and file name words, without metadata; an inverted index per question."""

from __future__ import annotations

import numpy as np
import pytest

from corpus.document import Document
from index.names import NameTable
from qa.naming import DocumentNames, naming_phrases
from qa.retrieval import _COLLECTIVE, Retriever

FILES = {
    "useiti-payments-factsheet-2017.md": "# Tracking company payments in the extractive industries\n\n"
    "The USEITI factsheet explains how revenue payments are verified. The Dodd-Frank Act requires "
    "companies to disclose payments to governments. Mining companies pay royalties and rents.\n",
    "craft-code-2018.md": "# CRAFT code for artisanal mining\n\n"
    "The code addresses artisanal and small-scale mining. Producers follow a mining code of conduct "
    "with progressive improvement. Mining cooperatives formalise step by step.\n",
    "irma-standard.md": "# IRMA Standard for Responsible Mining\n\n"
    "The standard covers industrial-scale mine sites. Mining companies are audited by third parties. "
    "Mining affects communities and water.\n",
    "mining-water-note.md": "# Water use in mining regions\n\n"
    "Mining regions face water stress. Mining permits require water plans. Rivers near mining towns "
    "carry sediment.\n",
    "mining-labour-note.md": "# Labour in mining towns\n\n"
    "Mining towns attract migrant workers. Wages in mining vary by mineral. Unions organise miners.\n",
}


@pytest.fixture(scope="module")
def retriever(tmp_path_factory):
    from index.build import build_index
    from index.manifest import IndexConfig
    from index.store import load_index
    from tests.fakes import FakeEncoder

    root = tmp_path_factory.mktemp("naming")
    corpus = root / "docs"
    corpus.mkdir()
    for name, text in FILES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    encoder = FakeEncoder()
    config = IndexConfig(model=encoder.info)
    build_index(corpus, root / "index", encoder, config)
    index = load_index(root / "index", config)
    assert not any(d.author or d.doc_type for d in index.documents.values())  # no metadata.json
    return Retriever(index), encoder


def _doc(retriever: Retriever, stem: str) -> str:
    return next(d for d in retriever.index.documents if d.startswith(stem))


def test_the_factsheet_and_the_code_are_named_by_title_and_id_words(retriever):
    r, _ = retriever
    named = r.named_documents("What do the USEITI factsheet and the CRAFT code say about payments?")
    assert set(named) == {_doc(r, "useiti"), _doc(r, "craft")}
    assert set(r.named_documents("What scale of mining do the CRAFT code and the IRMA standard each address?")) == {
        _doc(r, "craft"), _doc(r, "irma")}


def test_both_named_documents_get_a_place_in_the_results(retriever):
    r, encoder = retriever
    question = "What do the USEITI factsheet and the CRAFT code say about mining?"
    hits = r.search(question, encoder.encode([question])[0], k=3)
    assert {_doc(r, "useiti"), _doc(r, "craft")} <= {h.chunk.doc_id for h in hits}


def test_a_word_in_most_titles_names_nothing(retriever):
    r, _ = retriever
    assert r.named_documents("What does the mining report say about water?") == ()
    assert not r._document_match("What does the mining note say?")


def test_title_words_outside_a_naming_phrase_name_nothing(retriever):
    r, _ = retriever
    # "IRMA" and "CRAFT" are distinctive title words, but no "the X code/standard/report" names them
    assert r.named_documents("Is CRAFT better than IRMA at auditing mine sites?") == ()
    assert not r._document_match("Is CRAFT better than IRMA at auditing mine sites?")


def test_a_question_naming_nothing_ranks_as_without_names(retriever):
    r, encoder = retriever
    question = "Which permits require water plans?"
    ranked = r.rank(question, encoder.encode([question])[0])
    assert ranked.named == ()
    # the same fusion without any document prior, over the same candidates
    from qa.retrieval import CANDIDATES, DENSE_WEIGHT, _lift_densest, _minmax

    query = encoder.encode([question])[0]
    all_lexical = r.index.lexical.term_scores(r._lexical_terms(question, {}))
    rows = r.candidate_rows(query, all_lexical, (), CANDIDATES, "hybrid")
    dense, lexical = r.dense_scores(query, rows), all_lexical[rows]
    plain = _lift_densest(DENSE_WEIGHT * _minmax(dense) + (1 - DENSE_WEIGHT) * _minmax(lexical), dense)
    order = np.lexsort((-dense, -plain))
    assert ranked.rows.tolist() == rows[order].tolist()
    assert np.allclose(ranked.scores, plain[order])


def test_naming_phrases_stop_at_the_first_kind_noun_and_at_verbs():
    assert naming_phrases("What do the NRRD executive summary and the USEITI factsheet say?") == [
        ("NRRD executive summary", "summary"), ("USEITI factsheet", "factsheet")]
    assert naming_phrases("How many soldiers rebelled against the Congolese government to form M23?") == []
    assert naming_phrases("Did the DESMOND program work?") == []  # a program is no kind of document


def test_initials_of_a_capitalised_run_name_a_document_by_its_id():
    docs = [Document("aml-reclamation-program", "Reclamation Program", "x", "a.md"),
            Document("nrrd-executive-summary-2017", "2017 Executive Summary", "x", "b.md"),
            Document("other-note", "Another note", "x", "c.md")]
    names = DocumentNames(NameTable.of(docs), [d.doc_id for d in docs], lambda term: False)
    assert list(names.named("What does the Abandoned Mine Land document say?", _COLLECTIVE)) == ["aml-reclamation-program"]
    # a year is no name: "the 2017 NRRD summary" is the NRRD summary, not every 2017 document
    assert list(names.named("What did the 2017 NRRD summary report?", _COLLECTIVE)) == ["nrrd-executive-summary-2017"]


def test_the_lookup_is_a_lookup_of_the_question_terms_not_a_loop_over_documents():
    docs = [Document(f"paper-{i}", f"Paper {i} on topic{i % 97} and subject{i}", "x", f"{i}.md") for i in range(5000)]
    docs.append(Document("usei-factsheet", "USEITI factsheet", "x", "f.md"))
    names, queries = _names_counting_queries(docs)
    assert list(names.named("What does the USEITI factsheet say?", _COLLECTIVE)) == ["usei-factsheet"]
    assert 0 < len(queries) < 20  # a few lookups per question term, whatever the number of documents
    # "paper" is in every title: it names none of them
    assert names.named("What does the paper say about subject7?", _COLLECTIVE) == {}


def test_a_title_word_of_more_than_title_most_documents_names_none_and_is_not_read():
    from index.names import TITLE_WORD
    from qa.naming import TITLE_MOST, TITLE_SHARE

    count = 6000  # "kind3" is in a fifth of the titles: under TITLE_SHARE, over TITLE_MOST
    assert count / 5 < TITLE_SHARE * count
    docs = [Document(f"paper-{i}", f"Paper {i} on kind{i % 5} and subject{i}", "x", f"{i}.md") for i in range(count)]
    names, queries = _names_counting_queries(docs)
    named = names.named("What does the kind3 report say?", _COLLECTIVE)
    assert len(named) == 0, f"kind3 names {len(named)} documents (TITLE_MOST {TITLE_MOST})"
    assert ("kind3", TITLE_WORD) not in queries  # its 1,200 postings were never read
    assert list(names.named("What does the subject17 report say?", _COLLECTIVE)) == ["paper-17"]


def _names_counting_queries(docs: list[Document]) -> tuple[DocumentNames, list[tuple]]:
    """The names of `docs`, and the list into which every lookup's SQL arguments are recorded."""
    table = NameTable.of(docs)
    queries: list[tuple] = []
    read = table._rows
    table._rows = lambda sql, args: queries.append(args) or read(sql, args)
    return DocumentNames(table, [d.doc_id for d in docs], lambda term: False), queries

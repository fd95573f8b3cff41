"""The store: lazily read records that round-trip what was built, damage and old formats refused,
incremental builds that carry unchanged records over without touching the previous generation."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import pytest

from corpus.chunking import chunk_document
from corpus.loader import load_corpus
from corpus.sentences import split_sentences
from index.build import build_index
from index.errors import IndexCorrupt, IndexMismatch
from index.manifest import MANIFEST_FILE
from index.records import RECORDS_FILE
from index.store import current_generation, load_index
from tests.fakes import FakeEncoder
from tests.test_build import CONFIG, build, doc_text, make_corpus


@pytest.fixture
def corpus(tmp_path):
    return make_corpus(tmp_path / "corpus")


@pytest.fixture
def index(tmp_path, corpus):
    build(corpus, tmp_path / "index")
    return tmp_path / "index"


def expected(corpus):
    """The documents and chunks a build of `corpus` holds, in order."""
    fake = FakeEncoder()
    docs = list(load_corpus(corpus).documents)
    chunks = [c for d in docs for c in chunk_document(d, CONFIG.chunker, window=lambda t, d=d: fake.fits(d.title + "\n" + t))]
    return docs, chunks


def test_documents_and_chunks_round_trip_in_order(index, corpus):
    data = load_index(index, CONFIG)
    docs, chunks = expected(corpus)
    assert list(data.documents) == [d.doc_id for d in docs] and len(data.documents) == len(docs)
    assert [data.documents[d.doc_id] for d in docs] == docs
    assert list(data.documents.values()) == docs
    assert list(data.documents.items()) == [(d.doc_id, d) for d in docs]
    assert "cobalt" in data.documents and "nickel" not in data.documents and 3 not in data.documents
    assert data.documents.get("nickel") is None
    with pytest.raises(KeyError):
        data.documents["nickel"]
    assert len(data.chunks) == len(chunks) and list(data.chunks) == chunks
    assert [data.chunks[i] for i in range(len(chunks))] == chunks
    assert data.chunks[-1] == chunks[-1] and data.chunks[np.int64(2)] == chunks[2] and data.chunks[1:4] == chunks[1:4]
    with pytest.raises(IndexError):
        data.chunks[len(chunks)]
    for d in docs:
        mine = [c for c in chunks if c.doc_id == d.doc_id]
        assert data.document_chunks(d.doc_id) == mine
        assert [chunks[r] for r in data.rows_by_document[d.doc_id]] == mine
        assert data.sentences[d.doc_id] == split_sentences(d.text)
    assert data.document_chunks("nickel") == [] and "nickel" not in data.rows_by_document
    positions = {d.doc_id: i for i, d in enumerate(docs)}
    assert data.chunk_documents().tolist() == [positions[c.doc_id] for c in chunks]
    assert [data.document_position(d.doc_id) for d in docs] == list(range(len(docs))) and data.document_position("nickel") is None
    rows = [data.sentence_rows[d.doc_id] for d in docs]
    assert rows == list(np.cumsum([0] + [len(split_sentences(d.text)) for d in docs])[:-1])


def test_vectors_are_mapped_read_only_and_searchable(index):
    data = load_index(index, CONFIG)
    vectors = data.chunk_vectors()
    assert vectors.dtype == np.float32 and not vectors.flags.writeable and type(vectors) is np.ndarray
    assert data.sentence_vectors is not None and not data.sentence_vectors.stored.flags.writeable
    assert data.dense.ntotal == len(vectors) == len(data.chunks)
    _, found = data.dense.search(np.ascontiguousarray(vectors[5:6]), 1)
    assert found[0][0] == 5
    assert data.lexical.size == len(data.chunks) and data.lexical.scores("cobalt mining").argmax() < len(data.chunks)


def test_opening_reads_no_record(index, monkeypatch):
    import index.records as records

    def refuse(*args):
        raise AssertionError("a record was read")

    monkeypatch.setattr(records, "_document", refuse)
    monkeypatch.setattr(records, "_chunk", refuse)
    data = load_index(index, CONFIG)
    assert len(data.documents) == 4 and len(data.chunks) > 8 and list(data.documents)[0] == "cobalt"


def test_records_are_read_from_several_threads(index, corpus):
    data = load_index(index, CONFIG)
    _, chunks = expected(corpus)
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda i: data.chunks[i], [i % len(chunks) for i in range(400)]))
    assert got == [chunks[i % len(chunks)] for i in range(400)]


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_incremental_build_keeps_unchanged_records_and_leaves_the_old_generation_alone(index, corpus, monkeypatch):
    monkeypatch.setattr("index.store.remove_stale_generations", lambda index_dir: None)  # keep the old one to look at
    old_folder = current_generation(index)
    old_records = _digest(old_folder / RECORDS_FILE)
    before = load_index(index, CONFIG)
    old_keys = dict(zip(before.layout.doc_ids, before.layout.keys.tolist()))
    (corpus / "closure.txt").write_text(doc_text("closure", "Mine closure plans need funding set aside early"))
    (corpus / "tailings.txt").unlink()
    report = build(corpus, index)
    assert report.written and report.removed > 0
    assert _digest(old_folder / RECORDS_FILE) == old_records  # copied, never written in place
    after = load_index(index, CONFIG)
    keys = dict(zip(after.layout.doc_ids, after.layout.keys.tolist()))
    assert {d: keys[d] for d in ("cobalt", "lithium", "royalties")} == {d: old_keys[d] for d in ("cobalt", "lithium", "royalties")}
    assert keys["closure"] not in [keys[d] for d in ("cobalt", "lithium", "royalties")]
    docs, chunks = expected(corpus)
    assert list(after.documents.values()) == docs and list(after.chunks) == chunks
    with sqlite3.connect(current_generation(index) / RECORDS_FILE) as db:
        assert db.execute("SELECT count(*) FROM documents").fetchone()[0] == 4
        assert db.execute("SELECT count(*) FROM chunks").fetchone()[0] == len(chunks)


def test_an_edited_document_gets_new_records(index, corpus):
    path = corpus / "lithium.txt"
    path.write_text(path.read_text() + "\nA new closing paragraph about brine. It adds two sentences.\n")
    build(corpus, index)
    data = load_index(index, CONFIG)
    docs, chunks = expected(corpus)
    assert list(data.documents.values()) == docs and list(data.chunks) == chunks
    assert data.sentences["lithium"] == split_sentences(data.documents["lithium"].text)


def test_turning_sentences_off_keeps_the_chunks(index, corpus):
    no_sentences = replace(CONFIG, sentences=False)
    (corpus / "closure.txt").write_text(doc_text("closure", "Mine closure plans need funding set aside early"))
    report = build(corpus, index, config=no_sentences)
    assert report.written and report.embedded == len(expected(corpus)[1]) - report.reused
    data = load_index(index, no_sentences)
    assert data.sentence_vectors is None and all(spans == [] for spans in data.sentences.values())
    assert list(data.chunks) == expected(corpus)[1] and data.manifest.counts["sentences"] == 0


# --- damage ---------------------------------------------------------------------


def test_a_garbled_records_file_of_the_same_size_is_corrupt(index):
    path = current_generation(index) / RECORDS_FILE
    data = bytearray(path.read_bytes())
    data[:100] = b"\xff" * 100  # the SQLite header
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt, match=r"damaged.*qa index build --force"):
        load_index(index, CONFIG)


def test_records_damaged_past_the_header_are_corrupt_when_read(index):
    path = current_generation(index) / RECORDS_FILE
    data = bytearray(path.read_bytes())
    data[4096:] = b"\xa5" * (len(data) - 4096)  # every page but the first
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt, match="qa index build --force"):
        opened = load_index(index, CONFIG)
        list(opened.chunks)
        list(opened.documents.values())


def test_records_missing_rows_are_corrupt_when_read(index):
    path = current_generation(index) / RECORDS_FILE
    size = path.stat().st_size
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM chunks WHERE key = (SELECT max(key) FROM chunks)")
    assert path.stat().st_size == size
    data = load_index(index, CONFIG)
    assert data.chunks[0].chunk_id
    with pytest.raises(IndexCorrupt, match="no chunks row"):
        data.chunks[-1]


def test_a_file_of_another_size_than_the_manifest_says_is_corrupt(index):
    path = current_generation(index) / "lexical" / "params.index.json"
    path.write_text(path.read_text() + " ")
    with pytest.raises(IndexCorrupt, match=r"params.index.json is \d+ bytes, not \d+"):
        load_index(index, CONFIG)


# --- an index in the format before SQLite records --------------------------------


def _make_old_format(index):
    """Turn the live generation into what format version 2 wrote: JSON Lines records."""
    folder = current_generation(index)
    for name in (RECORDS_FILE, "layout.npy", "chunks.npy", "spans.npy"):
        (folder / name).unlink()
    (folder / "documents.jsonl").write_text('{"doc_id": "cobalt"}\n')
    (folder / "chunks.jsonl").write_text('{"chunk_id": "cobalt#0000"}\n')
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    manifest["format_version"] = 2
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest))


def test_an_old_format_index_is_refused_with_the_rebuild_command(index):
    _make_old_format(index)
    with pytest.raises(IndexMismatch, match=r"format version 2 \(records in JSON Lines.*rebuild it with `qa index build --index"):
        load_index(index, CONFIG)


def test_a_plain_build_replaces_an_old_format_index(index, corpus):
    _make_old_format(index)
    encoder = FakeEncoder()
    report = build_index(corpus, index, encoder, CONFIG)
    assert report.written and report.embedded == report.chunks
    assert any(n.startswith("re-embedding every document") and "format version 2" in n for n in report.notes)
    docs, chunks = expected(corpus)
    data = load_index(index, CONFIG)
    assert list(data.documents.values()) == docs and list(data.chunks) == chunks


def test_the_seed_corpus_round_trips(tmp_path):
    from tests.conftest import SEED_CORPUS

    corpus = tmp_path / "seed"
    shutil.copytree(SEED_CORPUS, corpus)
    build(corpus, tmp_path / "index")
    data = load_index(tmp_path / "index", CONFIG)
    docs = list(load_corpus(corpus).documents)
    assert list(data.documents.values()) == docs  # pages, sections and blocks of real files
    assert all(data.documents[c.doc_id].text[c.start:c.end] == c.text for c in data.chunks)


def _names(folder):
    with sqlite3.connect(folder / RECORDS_FILE) as db:
        keys = dict(db.execute("SELECT key, doc_id FROM documents"))
        names = sorted((t, f, keys[k]) for t, f, k in db.execute("SELECT term, field, doc_key FROM names"))
        counts = sorted(db.execute("SELECT term, field, documents FROM name_counts"))
    return names, counts


def test_an_incremental_build_changes_only_the_changed_documents_names(tmp_path, index, corpus):
    (corpus / "closure.txt").write_text(doc_text("closure", "Mine closure plans need funding set aside early"))
    (corpus / "tailings.txt").unlink()
    build(corpus, index)
    build(corpus, tmp_path / "fresh")  # the same corpus, built from nothing
    names, counts = _names(current_generation(index))
    assert (names, counts) == _names(current_generation(tmp_path / "fresh"))
    assert any(doc == "closure" for _, _, doc in names) and not any(doc == "tailings" for _, _, doc in names)
    data = load_index(index, CONFIG)
    assert data.names.holds("closur") and not data.names.holds("tail")  # the id's words, stemmed
    assert data.names.postings("closur", 8).tolist() == [data.document_position("closure")]


def test_each_chunks_sentence_rows_come_from_arrays_and_match_its_spans(index, corpus):
    (corpus / "closure.txt").write_text(doc_text("closure", "Mine closure plans need funding set aside early"))
    build(corpus, index)  # kept documents' ranges are carried over, the new one's made
    data = load_index(index, CONFIG)
    rows = np.arange(len(data.chunks))[::-1]
    sentence_rows, owner = data.context_sentence_rows(rows)
    expected_rows = []  # every sentence wholly inside the chunk with its context, by brute force
    for i, r in enumerate(rows):
        chunk = data.chunks[int(r)]
        first = data.sentence_rows[chunk.doc_id]
        expected_rows += [(first + k, i) for k, (s, e) in enumerate(data.sentences[chunk.doc_id])
                          if s >= chunk.context_start and e <= chunk.end]
    assert expected_rows and list(zip(sentence_rows.tolist(), owner.tolist())) == expected_rows


def test_each_sentence_row_belongs_to_its_document(index, corpus):
    from qa.lexicon import SentenceTerms

    (corpus / "aaa-closure.txt").write_text(doc_text("aaa-closure", "Mine closure plans need funding. They are set aside early."))
    build(corpus, index)  # an added document's rows come after all the others, whatever its place
    data = load_index(index, CONFIG)
    try:
        terms = SentenceTerms(data)
        owners = {row: doc_id for doc_id in data.layout.doc_ids for row in terms.rows(doc_id)}
        assert owners and len(owners) == data.layout.sentences
        assert all(terms.document(row) == doc_id for row, doc_id in owners.items())
        assert data.layout.doc_ids[0] == "aaa-closure" and owners[max(owners)] == "aaa-closure"
    finally:
        data.close()

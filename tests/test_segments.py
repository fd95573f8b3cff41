"""Builds that only add documents append their rows as one more segment and link the rest."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

from index.digests import Digest
from index.manifest import MANIFEST_FILE, Manifest
from index.records import RECORDS_FILE
from index.segments import MAX_SEGMENTS, is_segment, segment_file
from index.store import SEGMENTED, current_generation, load_index
from index.views import JoinedRows, Layout
from index.errors import IndexCorrupt, IndexMismatch
from qa.assistant import Assistant
from tests.fakes import FakeEncoder
from tests.test_build import CONFIG, assert_consistent, build, doc_text, make_corpus

QUESTIONS = (
    "What do artisanal miners do in the Congo?", "How much water does lithium brine extraction use?",
    "Who must monitor tailings dams?", "What does the antimony study say about smelters?", "Where is nickel laterite mined?",
)
ADDED = {
    "aaa-antimony.txt": ("antimony", "Antimony smelters in the Hunan province report their emissions to regulators"),
    "nickel.txt": ("nickel", "Nickel laterite deposits in Sulawesi are mined in open pits near the coast"),
}


def _answers(index):
    assistant = Assistant(load_index(index, CONFIG), FakeEncoder(), None)
    try:
        return [(a.text, [(c.n, c.chunk.chunk_id, c.quotes, round(c.score, 5)) for c in a.citations], [(h.chunk.chunk_id, round(h.score, 5)) for h in a.retrieved], a.abstained)
                for a in map(assistant.ask, QUESTIONS)]
    finally:
        assistant.index.close()


def _add(corpus, *names):
    for name in names:
        topic, lead = ADDED[name]
        (corpus / name).write_text(doc_text(topic, lead), encoding="utf-8")


def test_adding_documents_links_the_previous_vectors_and_appends_theirs(tmp_path):
    corpus, index = make_corpus(tmp_path / "corpus"), tmp_path / "index"
    build(corpus, index)
    before = current_generation(index)
    inodes = {name: (before / name).stat().st_ino for name in SEGMENTED}
    chunks_before = load_index(index, CONFIG).layout.chunks
    _add(corpus, "aaa-antimony.txt")  # first in document order, its rows last
    report = build(corpus, index)
    after = current_generation(index)
    assert report.written and report.embedded and Manifest.read(after).segments == 2
    assert {name: (after / name).stat().st_ino for name in SEGMENTED} == inodes  # linked, not copied
    assert all((after / segment_file(name, 1)).is_file() for name in SEGMENTED)
    data = assert_consistent(index, corpus)  # vectors row-aligned with the chunks, sentences with the spans
    assert list(data.documents)[0] == "aaa-antimony" and data.layout.first_chunk[0] == chunks_before
    assert isinstance(data.chunk_vectors(), JoinedRows)

    whole = tmp_path / "whole"
    build(corpus, whole)
    assert Manifest.read(current_generation(whole)).segments == 1
    answers = _answers(index)
    assert answers == _answers(whole) and sum(not abstained for *_, abstained in answers) >= 3


def test_removing_or_changing_a_document_writes_every_array_whole_in_document_order(tmp_path):
    corpus, index = make_corpus(tmp_path / "corpus"), tmp_path / "index"
    build(corpus, index)
    _add(corpus, "aaa-antimony.txt")
    build(corpus, index)
    (corpus / "lithium.txt").unlink()
    assert build(corpus, index).removed
    folder = current_generation(index)
    assert Manifest.read(folder).segments == 1 and not any(folder.glob("*-1.npy"))
    data = assert_consistent(index, corpus)
    assert data.layout.first_chunk.tolist() == np.concatenate([[0], np.cumsum(data.layout.chunk_counts)[:-1]]).tolist()
    _add(corpus, "nickel.txt")
    build(corpus, index)
    (corpus / "cobalt.txt").write_text(doc_text("cobalt", "Cobalt refiners in Finland buy ore from the Congo"), encoding="utf-8")
    build(corpus, index)
    assert Manifest.read(current_generation(index)).segments == 1
    assert_consistent(index, corpus)


def test_a_build_that_would_make_too_many_segments_writes_one(tmp_path, monkeypatch):
    import index.segments as segments

    monkeypatch.setattr(segments, "MAX_SEGMENTS", 3)
    corpus, index = make_corpus(tmp_path / "corpus"), tmp_path / "index"
    build(corpus, index)
    seen = []
    for n in range(4):
        (corpus / f"extra-{n}.txt").write_text(doc_text(f"extra{n}", f"Extra study {n} of copper smelting in Zambia"), encoding="utf-8")
        build(corpus, index)
        seen.append(Manifest.read(current_generation(index)).segments)
        assert_consistent(index, corpus)
    assert seen == [2, 3, 1, 2] and MAX_SEGMENTS > 3


def _as_format(index, version: int, undigested: bool) -> None:
    """Make the live generation look as an older build wrote it (its checksums not recorded)."""
    folder = current_generation(index)
    if undigested:  # records schema 2: no digests
        db = sqlite3.connect(folder / RECORDS_FILE)
        db.executescript("DROP TABLE digests; DROP TABLE authored; UPDATE store SET value = '2' WHERE name = 'schema';")
        db.close()
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    manifest["format_version"] = version
    manifest["artifacts"][RECORDS_FILE] = (folder / RECORDS_FILE).stat().st_size
    manifest["checksums"] = {}
    manifest.pop("manifest_sha256")
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest))


def test_an_index_of_format_7_opens_and_a_build_adds_digests_without_embedding_again(tmp_path):
    corpus, index = make_corpus(tmp_path / "corpus"), tmp_path / "index"
    build(corpus, index)
    digests = {d: g for d, g in load_index(index, CONFIG).digests.items()}
    assert all(g.summary for g in digests.values())
    _as_format(index, 7, undigested=True)
    old = load_index(index, CONFIG)
    assert all(g == Digest() for g in old.digests.values())  # it answers, without digests
    old.close()
    report = build(corpus, index)  # nothing changed: the generation is rewritten, nothing embedded
    assert report.written and report.embedded == 0
    data = load_index(index, CONFIG)
    assert data.manifest.config.format_version == 8 and data.records.digested
    assert dict(data.digests.items()) == digests
    data.close()
    _as_format(index, 7, undigested=True)
    _add(corpus, "nickel.txt")
    report = build(corpus, index)
    assert report.embedded == report.chunks - report.reused and report.reused > 0  # only the new document embedded
    data = load_index(index, CONFIG)
    assert {d: data.digests[d] for d in digests} == digests and data.digests["nickel"].summary
    assert_consistent(index, corpus)


def test_an_index_of_format_6_is_rebuilt_saying_why(tmp_path):
    corpus, index = make_corpus(tmp_path / "corpus"), tmp_path / "index"
    build(corpus, index)
    _as_format(index, 6, undigested=True)
    with pytest.raises(IndexMismatch, match="has format version 6, this program reads 8"):
        load_index(index, CONFIG)
    report = build(corpus, index)
    assert report.embedded == report.chunks and any("re-embedding every document" in n for n in report.notes)
    assert Manifest.read(current_generation(index)).config.format_version == 8
    assert_consistent(index, corpus)


def test_documents_sharing_rows_are_refused_as_inconsistent(tmp_path):
    corpus, index = make_corpus(tmp_path / "corpus"), tmp_path / "index"
    build(corpus, index)
    folder = current_generation(index)
    layout = np.load(folder / "layout.npy")
    layout[1, 4] = layout[0, 4]  # two documents on the same chunk rows
    np.save(folder / "layout.npy", layout)
    with pytest.raises(IndexCorrupt, match="inconsistent"):
        load_index(index, CONFIG)


def test_joined_rows_read_as_one_array():
    parts = [np.arange(12).reshape(4, 3), np.arange(12, 15).reshape(1, 3), np.arange(15, 24).reshape(3, 3)]
    whole, joined = np.concatenate(parts), JoinedRows(parts)
    assert joined.shape == (8, 3) and len(joined) == 8 and joined.dtype == whole.dtype
    for rows in (0, 4, 7, -1, slice(3, 6), slice(0, 8), slice(5, 5), slice(None, None, 2), np.array([7, 0, 4, 4, 3]), [5], np.array([], int)):
        np.testing.assert_array_equal(joined[rows], whole[rows])
    np.testing.assert_array_equal(joined[:, 1], whole[:, 1])
    np.testing.assert_array_equal(joined[np.array([[1, 6], [4, 2]])], whole[np.array([[1, 6], [4, 2]])])
    np.testing.assert_array_equal(np.asarray(joined), whole)
    np.testing.assert_array_equal(np.stack(list(joined)), whole)
    for bad in (8, -9, np.array([0, 8])):
        with pytest.raises(IndexError):
            joined[bad]


def test_a_layout_places_each_documents_rows_where_its_table_says():
    table = np.array([[1, 10, 2, 3, 4, 0], [2, 20, 3, 1, 1, 3], [3, 30, 1, 2, 0, 4]])  # rows: doc 2, doc 1, then doc 0
    layout = Layout(["a", "b", "c"], table)
    assert layout.chunk_documents.tolist() == [2, 1, 1, 1, 0, 0] and layout.rows_cover()
    assert layout.chunk_keys.tolist() == [30, 20, 21, 22, 10, 11]
    assert layout.chunk_rows(1).tolist() == [1, 2, 3] and layout.sentence_range(0) == (0, 3)
    assert not Layout(["a", "b", "c"], np.array([[1, 10, 2, 3, 0, 0], [2, 20, 3, 1, 1, 3], [3, 30, 1, 2, 5, 4]])).rows_cover()


def test_segment_names():
    assert [segment_file("chunks.npy", k) for k in range(3)] == ["chunks.npy", "chunks-1.npy", "chunks-2.npy"]
    assert is_segment("chunks-12.npy", "chunks.npy") and is_segment("chunks.npy", "chunks.npy")
    assert not is_segment("chunk_sentences.npy", "chunks.npy") and not is_segment("chunks-x.npy", "chunks.npy")

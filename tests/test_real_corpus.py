"""The fourteen real public files of ../shared/corpora/mining-policy are read as a person sees them."""

from __future__ import annotations

import re
import shutil

import pytest

from eval.artifacts import REAL_CORPUS, count_artifacts

pytestmark = pytest.mark.skipif(
    not REAL_CORPUS.is_dir(), reason=f"the real corpus is not at {REAL_CORPUS} (it comes with ../shared beside the repo)"
)

ZERO = ("html tag", "markdown link", "template tag", "heading mark", "dot leader", "page number line", "running header line")
MAX_GLUED_MARKERS = 5


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    from corpus.loader import load_corpus

    folder = tmp_path_factory.mktemp("mining-policy")
    for path in REAL_CORPUS.iterdir():
        if path.is_file() and path.name != "SOURCES.md":  # as a user drops the files, without the list of sources
            shutil.copyfile(path, folder / path.name)
    return load_corpus(folder)


def test_every_file_is_read(loaded):
    assert loaded.skipped == ()
    assert len(loaded.documents) == 14


@pytest.mark.parametrize("artifact", ZERO)
def test_no_reading_debris_is_left(loaded, artifact):
    found = {d.source: count_artifacts(d)[artifact] for d in loaded.documents}
    assert {k: v for k, v in found.items() if v} == {}


def test_footnote_markers_are_apart_from_their_words(loaded):
    glued = sum(count_artifacts(d)["glued footnote marker"] for d in loaded.documents)
    assert glued <= MAX_GLUED_MARKERS


def test_the_factsheet_is_titled_by_its_first_page_not_its_producer_metadata(loaded):
    doc = next(d for d in loaded.documents if d.source.startswith("USEITI"))
    assert "Contextual Narrative" not in doc.title
    assert "company payments" in doc.title.lower()


def test_web_pages_are_titled_by_their_own_title_not_the_site_name(loaded):
    titles = {d.source: d.title for d in loaded.documents}
    assert titles["federal-laws.md"] == "Federal Laws"
    assert titles["drc-mineral-wealth-sidebar.html"] == "DRC's Mineral Wealth"


def test_every_document_has_a_title_blocks_and_the_sections_its_file_marks(loaded):
    for doc in loaded.documents:
        assert doc.title.strip() and doc.blocks, doc.source
        raw = (REAL_CORPUS / doc.source).read_bytes().decode("utf-8", "replace")
        marked = doc.source.endswith(".pdf") or re.search(r"(?m)^#{1,6} |<h[1-6]\b", raw)
        assert bool(doc.sections) == bool(marked), f"{doc.source}: {len(doc.sections)} sections"


def test_stacked_headings_stay_apart(loaded):
    doc = next(d for d in loaded.documents if d.source.startswith("usc-title30"))
    assert [s.title for s in doc.sections[:4]] == [
        "Title 30— MINERAL LANDS AND MINING",
        "CHAPTER 28— MATERIALS AND MINERALS POLICY, RESEARCH, AND DEVELOPMENT",
        "§ 1606. Mineral security",
        "(c) Critical mineral designations",
    ]
    assert [s.level for s in doc.sections[:4]] == [1, 3, 4, 5]


def test_front_matter_gives_metadata_and_leaves_the_text(loaded):
    doc = next(d for d in loaded.documents if d.source.startswith("oo-eiti"))
    assert doc.title.startswith("Easing the collection of high quality beneficial ownership information")
    assert doc.author == "Kadie Armstong and Christina Berger" and doc.date == "2021-01-26"
    assert "is_featured" not in doc.text and "categories:" not in doc.text


def test_a_sentence_split_by_links_is_whole(loaded):
    doc = next(d for d in loaded.documents if d.source.startswith("nonenergy"))
    assert "Managed and regulated by the Bureau of Land Management (BLM)." in doc.text


def test_table_rows_keep_their_cells_on_one_line(loaded):
    doc = next(d for d in loaded.documents if d.source.startswith("federal-laws"))
    rows = [doc.text[b.start:b.end] for b in doc.blocks if b.kind == "table_row"]
    assert any(r.startswith("Mineral Leasing Act of 1920 as Amended") and "Federal onshore (public domain)" in r for r in rows)
    assert any(b.kind == "table_header" for b in doc.blocks)


def test_block_offsets_round_trip_and_chunks_cover_the_text(loaded):
    from corpus.chunking import chunk_document

    for doc in loaded.documents:
        for block in doc.blocks:
            piece = doc.text[block.start:block.end]
            assert piece == piece.strip() and "\n" not in piece, (doc.source, piece[:60])
        chunks = chunk_document(doc)
        assert chunks[0].start == 0 and chunks[-1].end == len(doc.text)
        assert all(a.end == b.start for a, b in zip(chunks, chunks[1:])), doc.source

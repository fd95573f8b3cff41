"""The PDF reader (corpus.pdf): one test per layout rule, over reportlab fixtures and the real PDFs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from corpus.errors import UnreadableDocument
from corpus.pdf import read_pdf
from corpus.raw import HEADING, LIST_ITEM, NOTE, PARAGRAPH, TABLE_HEADER, TABLE_ROW
from tests import pdf_fixtures
from tests.pdf_helper import make_pdf

REAL = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "mining-policy"
NRRD = REAL / "NRRD_executive-summary_2017.pdf"
FACTSHEET = REAL / "USEITI_budget-audit-factsheet_2017-08-09.pdf"


def read(path: Path):
    docs = list(read_pdf(path))
    assert len(docs) == 1
    return docs[0]


@pytest.fixture
def report(tmp_path):
    return read(pdf_fixtures.report_pdf(tmp_path / "report.pdf"))


def texts(doc, *kinds):
    return [b.text for b in doc.blocks if not kinds or b.kind in kinds]


def prose(doc) -> str:
    return "\n".join(texts(doc, HEADING, PARAGRAPH, LIST_ITEM, TABLE_ROW, TABLE_HEADER))


def test_running_headers_varying_by_section_and_page_numbers_removed(report):
    body = prose(report)
    assert "Mining Review 2024" not in body
    assert not any(re.fullmatch(r"\d+", t) for t in texts(report))
    assert report.removed["running header"] == 5
    assert report.removed["page number"] == 5


def test_superscript_footnote_marker_dropped_and_footnote_kept_as_note(report):
    body = prose(report)
    assert "Surface Mining Act of 1947 and later rules." in body
    assert "194716" not in body
    notes = [b for b in report.blocks if b.kind == NOTE]
    assert [n.text for n in notes] == ["16 Surface Mining Act of 1947, as amended in 1977 by the reclamation statute."]
    assert notes[0].page == 1
    assert "reclamation statute" not in body
    assert report.removed["footnote marker"] >= 1


def test_raised_roman_end_note_markers_dropped(report):
    assert "Companies follow the laws and regulations of each state." in texts(report, PARAGRAPH)


def test_contents_page_left_out_without_dot_leaders(report):
    assert report.removed["table of contents line"] == 5
    assert "Contents" not in texts(report)
    assert not any(re.search(r"\.{4,}|(\. ){4,}", t) for t in texts(report))
    assert not any(b.page == 0 for b in report.blocks)


def test_two_columns_read_column_by_column(report):
    blocks = [b for b in report.blocks if b.page == 2 and b.kind == PARAGRAPH]
    assert len(blocks) == 2
    assert blocks[0].text.startswith("Left column sentence number 1") and "Right" not in blocks[0].text
    assert blocks[0].text.endswith("number 8 on water.")
    assert blocks[1].text.startswith("Right column sentence 1") and "Left" not in blocks[1].text


def test_lines_joined_and_hyphens_decided_by_evidence(report):
    body = prose(report)
    assert "covers the development of each facility" in body  # line-break artefact joined
    assert "independent third-party auditors" in body  # a real hyphen kept


def test_headings_by_size_and_weight(report):
    headings = [(b.text, b.level, b.page) for b in report.blocks if b.kind == HEADING]
    assert ("Introduction to Mine Permits", 1, 1) in headings
    assert ("Water Stewardship Duties", 1, 2) in headings
    assert not any("Left column" in h for h, _, _ in headings)


def test_bullets_become_list_items(report):
    items = [(b.text, b.level) for b in report.blocks if b.kind == LIST_ITEM]
    assert items == [("- Operators file an annual water balance", 1), ("- Regulators publish inspection results", 1)]


def test_block_text_is_one_clean_line(report):
    for b in report.blocks:
        assert "\n" not in b.text and b.text == " ".join(b.text.split())
        assert not re.search(r"[\x00-\x1f\ufb00-\ufb06]", b.text)


def test_metadata_title_author_and_date(report):
    assert report.title == "Mining Governance Review"
    assert report.meta["author"] == "Test Author"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", report.meta["date"])
    assert report.paged and report.page_count == 5


@pytest.mark.parametrize(
    "meta_title,expected",
    [
        ("Microsoft Word - draft.docx", "Tailings Dam Safety"),  # generic
        ("PowerPoint Presentation", "Tailings Dam Safety"),
        (None, "Tailings Dam Safety"),  # missing
        ("Quarterly Budget Memo", "Tailings Dam Safety"),  # contradicts the first page
        ("Tailings Dam Safety Guidelines 2024", "Tailings Dam Safety Guidelines 2024"),  # agrees: kept
    ],
)
def test_title_from_first_page_when_metadata_is_generic_or_contradicts(tmp_path, meta_title, expected):
    assert read(pdf_fixtures.titled_pdf(tmp_path / "t.pdf", meta_title)).title == expected


def test_empty_password_encrypted_pdf_is_read(tmp_path):
    doc = read(pdf_fixtures.encrypted_pdf(tmp_path / "e.pdf"))
    assert texts(doc) == ["Encrypted text about cobalt supply chains."]


def test_password_protected_pdf_refused(tmp_path):
    with pytest.raises(UnreadableDocument, match=r"encrypted PDF; save an unencrypted copy"):
        read(pdf_fixtures.encrypted_pdf(tmp_path / "e.pdf", user_password="secret"))


def test_textless_pdf_refused(tmp_path):
    with pytest.raises(UnreadableDocument, match=re.escape("PDF has no text layer (scanned?); run OCR first")):
        read(pdf_fixtures.textless_pdf(tmp_path / "scan.pdf"))


def test_textless_pages_warned(tmp_path):
    doc = read(pdf_fixtures.textless_pdf(tmp_path / "scan.pdf", pages=3, text_on_last=True))
    assert "pages 1, 2 have no text layer; run OCR to read them" in doc.warnings
    assert [b.page for b in doc.blocks] == [2]


def test_corrupt_pdf_refused(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"this is not a PDF, just garbage bytes\x01\x02" * 20)
    with pytest.raises(UnreadableDocument, match=r"^.*corrupt PDF \(.+\)$"):
        read(path)


def test_hand_written_helper_pdfs_still_read(tmp_path):
    path = tmp_path / "review.pdf"
    bodies = ["Tailings dams need continuous monitoring.", "Cobalt supply chains are concentrated.", "Water use is high."]
    path.write_bytes(make_pdf([["Mining Review 2024", body, f"Page {n} of 3"] for n, body in enumerate(bodies, 1)], title="Pdf Title"))
    doc = read(path)
    assert doc.title == "Pdf Title"
    assert [(b.page, b.text) for b in doc.blocks] == [(i, body) for i, body in enumerate(bodies)]


@pytest.mark.slow
@pytest.mark.skipif(not (NRRD.exists() and FACTSHEET.exists()), reason=f"real mining-policy PDFs not found under {REAL}")
def test_real_pdfs_acceptance():
    from eval.bench_pdf import artifact_counts

    nrrd, factsheet = read(NRRD), read(FACTSHEET)
    for doc in (nrrd, factsheet):
        counts = artifact_counts(doc)
        assert counts["dot leaders"] == 0
        assert counts["glued footnote markers"] <= 3
        assert sum(1 for b in doc.blocks if b.kind == HEADING) >= 10
    body = prose(nrrd)
    assert not re.search(r"DOI Executive Summary —", body)  # the running footer of every page
    assert not any(re.fullmatch(r"\d{1,2} .*Executive Summary.*|.*Executive Summary — .* \d{1,2}", t) for t in texts(nrrd))
    assert "Act of 1947 (30 USC" in body and "194716" not in body
    assert nrrd.removed["running footer"] >= 20 and nrrd.removed["table of contents line"] >= 15
    assert any(b.kind == NOTE and b.text.startswith("16 ") for b in nrrd.blocks)
    assert factsheet.title.startswith("Tracking and verifying company payments to Government agencies")
    assert "laws and regulations" in prose(factsheet)

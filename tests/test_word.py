"""The .docx reader at the level of blocks; fixtures are built with python-docx under tmp_path."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest

from corpus.errors import UnreadableDocument
from corpus.raw import HEADING, LIST_ITEM, PARAGRAPH, TABLE_HEADER, TABLE_ROW
from corpus.word import read_docx

docx = pytest.importorskip("docx")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read(document, tmp_path: Path, name: str = "doc.docx"):
    path = tmp_path / name
    document.save(path)
    return next(read_docx(path))


def rows(doc):
    return [(b.kind, b.text, b.level) for b in doc.blocks]


def numbered(paragraph, level: int, num_id: str = "1") -> None:
    """Give a paragraph list numbering (`w:numPr`) at `level` (0-based ilvl)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    num_pr = OxmlElement("w:numPr")
    ilvl = OxmlElement("w:ilvl")
    ilvl.set(qn("w:val"), str(level))
    num = OxmlElement("w:numId")
    num.set(qn("w:val"), num_id)
    num_pr.append(ilvl)
    num_pr.append(num)
    paragraph._p.get_or_add_pPr().append(num_pr)


def test_headings_paragraphs_and_a_bulleted_list(tmp_path):
    d = docx.Document()
    d.add_heading("Water Stewardship", level=0)  # the "Title" style
    d.add_heading("Reporting", level=1)
    d.add_paragraph("Mines must report   water withdrawals\tevery year.")
    d.add_paragraph("")
    d.add_paragraph("Tailings dams", style="List Bullet")
    d.add_paragraph("Closure bonds", style="List Bullet 2")
    numbered(d.add_paragraph("Monitored by engineers"), level=1)
    d.add_heading("Closure", level=3)
    assert rows(read(d, tmp_path)) == [
        (HEADING, "Water Stewardship", 1),
        (HEADING, "Reporting", 1),
        (PARAGRAPH, "Mines must report water withdrawals every year.", 0),
        (LIST_ITEM, "- Tailings dams", 1),
        (LIST_ITEM, "- Closure bonds", 2),
        (LIST_ITEM, "- Monitored by engineers", 2),
        (HEADING, "Closure", 3),
    ]


def test_a_table_between_two_paragraphs_keeps_document_order(tmp_path):
    d = docx.Document()
    d.add_paragraph("Before the table.")
    table = d.add_table(rows=3, cols=3)
    for r, cells in enumerate([("Mineral", "Royalty", "Note"), ("Copper", "", "3.5%"), ("Cobalt", "", "")]):
        for c, text in enumerate(cells):
            table.cell(r, c).text = text
    for run in (p.runs[0] for cell in table.rows[0].cells for p in cell.paragraphs):
        run.bold = True
    d.add_paragraph("After the table.")
    assert rows(read(d, tmp_path)) == [
        (PARAGRAPH, "Before the table.", 0),
        (TABLE_HEADER, "Mineral | Royalty | Note", 0),
        (TABLE_ROW, "Copper | | 3.5%", 0),
        (TABLE_ROW, "Cobalt", 0),
        (PARAGRAPH, "After the table.", 0),
    ]


def test_header_row_marked_as_repeating_and_a_plain_first_row(tmp_path):
    from docx.oxml import OxmlElement

    d = docx.Document()
    marked = d.add_table(rows=2, cols=1)
    marked.cell(0, 0).text = "Law"
    marked.cell(1, 0).text = "Mining Act"
    marked.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    plain = d.add_table(rows=2, cols=1)
    plain.cell(0, 0).text = "Copper"
    plain.cell(1, 0).text = "Zinc"
    assert [b.kind for b in read(d, tmp_path).blocks] == [TABLE_HEADER, TABLE_ROW, TABLE_ROW, TABLE_ROW]


def test_core_properties_give_title_author_and_date(tmp_path):
    d = docx.Document()
    d.add_paragraph("Body text.")
    d.core_properties.title = "Mine Closure Guide"
    d.core_properties.author = "Ministry of Mines"
    d.core_properties.created = dt.datetime(2019, 5, 4, 10, 0)
    doc = read(d, tmp_path)
    assert doc.title == "Mine Closure Guide"
    assert doc.meta == {"title": "Mine Closure Guide", "author": "Ministry of Mines", "date": "2019-05-04"}


def test_python_docx_template_defaults_are_not_metadata_and_title_falls_back_to_a_heading(tmp_path):
    d = docx.Document()
    d.add_heading("Closure Plans", level=1)
    doc = read(d, tmp_path)
    assert doc.meta == {}
    assert doc.title == "Closure Plans"


def test_table_of_contents_paragraphs_are_left_out(tmp_path):
    d = docx.Document()
    styles = d.styles
    from docx.enum.style import WD_STYLE_TYPE

    styles.add_style("TOC 1", WD_STYLE_TYPE.PARAGRAPH)
    d.add_paragraph("Closure ........ 4", style="TOC 1")
    d.add_paragraph("Closure plans are funded.")
    doc = read(d, tmp_path)
    assert [b.text for b in doc.blocks] == ["Closure plans are funded."]
    assert doc.removed == {"table of contents": 1}


def test_damaged_and_empty_files_are_unreadable(tmp_path):
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    with pytest.raises(UnreadableDocument, match=r"not a valid \.docx \("):
        next(read_docx(bad))
    d = docx.Document()
    d.add_paragraph("   ")
    with pytest.raises(UnreadableDocument, match="the .docx holds no text"):
        read(d, tmp_path, "empty.docx")


def test_twenty_thousand_paragraphs_are_all_read(tmp_path):
    d = docx.Document()
    template = d.add_paragraph("Paragraph about tailings.")._p
    body = d.element.body
    for _ in range(19_999):
        body.insert(len(body) - 1, copy.deepcopy(template))  # before the section properties
    doc = read(d, tmp_path, "long.docx")
    assert len(doc.blocks) == 20_000
    assert {b.text for b in doc.blocks} == {"Paragraph about tailings."}

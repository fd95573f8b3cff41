"""Readers and the loader: every format, metadata, and bad inputs that are skipped, never fatal."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from corpus.chunking import ChunkerSettings, chunk_document
from corpus.errors import CorpusNotFound
from corpus.loader import load_corpus
from tests.pdf_helper import make_pdf

GOOD_TEXT = "Mining companies must publish the payments they make to governments.\n"


def write(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def only_doc(folder: Path):
    loaded = load_corpus(folder)
    assert loaded.skipped == ()
    assert len(loaded.documents) == 1
    return loaded.documents[0]


def assert_one_line(skipped) -> None:
    for s in skipped:
        assert s.reason.strip() and "\n" not in s.reason and "Traceback" not in s.reason, s
        assert "\n" not in s.path


# --- formats -----------------------------------------------------------------


def test_txt(tmp_path):
    doc = only_doc(write(tmp_path / "c", {"Payments Report.txt": "Payments to governments\n\n" + GOOD_TEXT}))
    assert doc.doc_id == "payments-report"
    assert doc.source == "Payments Report.txt"
    assert doc.title == "Payments to governments"
    assert doc.text == "Payments to governments\n\n" + GOOD_TEXT.strip()
    assert doc.pages == ()


def test_txt_in_subfolder_gets_path_based_id(tmp_path):
    doc = only_doc(write(tmp_path / "c", {"sub/Deep File.txt": GOOD_TEXT}))
    assert doc.doc_id == "sub-deep-file"
    assert doc.source == "sub/Deep File.txt"


def test_markdown_front_matter_title(tmp_path):
    md = '---\ntitle: "Front Matter Title"\ndate: 2020\n---\n# Body Heading\n\nSome text about cobalt.\n\n## Second\n\nMore text.\n'
    doc = only_doc(write(tmp_path / "c", {"notes.md": md}))
    assert doc.title == "Front Matter Title"
    assert "title:" not in doc.text and "---" not in doc.text
    assert doc.text.startswith("Body Heading")
    assert [(s.level, s.title) for s in doc.sections] == [(1, "Body Heading"), (2, "Second")]


def test_markdown_front_matter_with_windows_line_endings(tmp_path):
    md = '---\r\ntitle: "Windows Title"\r\n---\r\n# Heading One\r\n\r\nBody text here.\r\n'
    doc = only_doc(write(tmp_path / "c", {"win.md": md.encode("utf-8")}))
    assert doc.title == "Windows Title"
    assert doc.text == "Heading One\n\nBody text here."


def test_markdown_title_from_first_heading_without_front_matter(tmp_path):
    doc = only_doc(write(tmp_path / "c", {"notes.md": "# **The Heading**\n\nBody text.\n"}))
    assert doc.title == "The Heading"


def test_html_scripts_styles_removed_and_headings_kept(tmp_path):
    html = """<html><head><title>Html Title</title><style>.x { color: red }</style>
    <script>var secretToken = 1;</script></head><body>
    <nav>Home | About</nav>
    <h1>Main Head</h1><p>Paragraph one about <b>cobalt</b> supply.</p>
    <h2>Sub Head</h2><ul><li>item alpha</li><li>item beta</li></ul>
    <footer>Copyright footer</footer></body></html>"""
    doc = only_doc(write(tmp_path / "c", {"page.html": html}))
    assert doc.title == "Html Title"
    for gone in ("secretToken", "color", "Home | About", "Copyright footer", "<"):
        assert gone not in doc.text
    assert "Paragraph one about cobalt supply." in doc.text
    assert "- item alpha\n- item beta" in doc.text  # list items: one block each, one line apart
    assert [(s.level, s.title) for s in doc.sections] == [(1, "Main Head"), (2, "Sub Head")]


def test_pdf_two_pages_keep_page_numbers(tmp_path):
    pdf = make_pdf(
        [
            ["Tailings dams need continuous monitoring by independent engineers.", "A second sentence on page one."],
            ["Cobalt supply chains are concentrated in a few countries."],
        ],
        title="Pdf Title",
    )
    doc = only_doc(write(tmp_path / "c", {"report.pdf": pdf}))
    assert doc.title == "Pdf Title"
    assert len(doc.pages) == 2 and doc.pages[0] == 0
    assert doc.text[:doc.pages[1]].startswith("Tailings dams need continuous monitoring")
    assert "Cobalt" not in doc.text[:doc.pages[1]]
    assert doc.text[doc.pages[1]:].startswith("Cobalt supply chains")
    assert doc.page_at(doc.text.index("second sentence")) == 1
    assert doc.page_at(doc.text.index("Cobalt")) == 2
    chunks = chunk_document(doc, ChunkerSettings(chunk_tokens=16, overlap_tokens=0))
    assert len(chunks) >= 2
    for chunk in chunks:
        expected = 2 if "Cobalt" in chunk.text else 1
        assert chunk.page == expected, chunk
    assert {c.page for c in chunks} == {1, 2}


def test_pdf_running_header_and_page_footer_removed(tmp_path):
    bodies = [
        "Tailings dams need continuous monitoring.",
        "Cobalt supply chains are concentrated.",
        "Water use in lithium brine extraction is high.",
    ]
    pdf = make_pdf([["Mining Review 2024", body, f"Page {n} of 3"] for n, body in enumerate(bodies, start=1)])
    doc = only_doc(write(tmp_path / "c", {"review.pdf": pdf}))
    assert "Mining Review 2024" not in doc.text
    assert "Page 2 of 3" not in doc.text
    assert len(doc.pages) == 3
    for start, body in zip(doc.pages, bodies):
        assert doc.text[start:].startswith(body)


def test_docx_heading_and_paragraphs(tmp_path):
    import docx

    d = docx.Document()
    d.add_heading("Water Stewardship", level=1)
    d.add_paragraph("Mines must report water withdrawals every year.")
    d.add_paragraph("Second paragraph about tailings.")
    d.add_heading("Closure", level=2)
    d.add_paragraph("Closure plans are funded in advance.")
    folder = tmp_path / "c"
    folder.mkdir()
    d.save(folder / "water.docx")
    doc = only_doc(folder)
    assert doc.doc_id == "water"
    assert doc.text == (
        "Water Stewardship\n\nMines must report water withdrawals every year.\n\n"
        "Second paragraph about tailings.\n\nClosure\n\nClosure plans are funded in advance."
    )
    assert [(s.level, s.title) for s in doc.sections] == [(1, "Water Stewardship"), (2, "Closure")]
    assert doc.section_path(doc.text.index("funded")) == ("Water Stewardship", "Closure")


def test_beir_jsonl_good_lines_and_bad_line_skipped(tmp_path):
    lines = [
        json.dumps({"_id": "d1", "title": "First", "text": "First document text about copper."}),
        "{not json at all",
        json.dumps({"title": "no id", "text": "missing the _id field"}),
        json.dumps({"_id": "d 2", "title": "Second", "text": "Second document text about zinc."}),
        "",
        json.dumps({"_id": "d3", "title": "Only A Title", "text": ""}),
    ]
    loaded = load_corpus(write(tmp_path / "c", {"corpus.jsonl": "\n".join(lines) + "\n"}))
    docs = {d.doc_id: d for d in loaded.documents}
    assert set(docs) == {"d1", "d-2", "d3"}
    assert docs["d1"].title == "First" and docs["d1"].text == "First document text about copper."
    assert docs["d1"].source == "corpus.jsonl#d1"
    assert docs["d3"].text == "Only A Title"
    assert [s.path for s in loaded.skipped] == ["corpus.jsonl:2", "corpus.jsonl:3"]
    assert_one_line(loaded.skipped)


# --- bad inputs never abort --------------------------------------------------

_RNG = random.Random(1234)
BINARY = _RNG.randbytes(300) + b"\x00\x00\x00" + _RNG.randbytes(300)

BAD_INPUTS = [
    ("empty.txt", b"", "empty file"),
    ("blank.md", b"   \n\n  \n", "empty file"),
    ("binary.txt", BINARY, "binary data"),
    ("broken.pdf", b"this is not a PDF, just garbage bytes\x01\x02" * 20, "corrupt PDF"),
    ("textless.pdf", make_pdf([[]]), "no text layer"),
    ("broken.docx", b"PK\x03\x04 garbage that is not a zip archive" * 10, "not a valid .docx"),
    ("empty.html", b"<html><body><script>var x = 1;</script></body></html>", "no text"),
    ("notes.xyz", b"some text in an unknown format", "unsupported file type '.xyz'"),
]


@pytest.mark.parametrize("name,content,reason", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_skipped_with_one_line_reason(tmp_path, name, content, reason):
    folder = write(tmp_path / "c", {"good.txt": GOOD_TEXT, name: content})
    loaded = load_corpus(folder)
    assert [d.doc_id for d in loaded.documents] == ["good"]
    assert len(loaded.skipped) == 1
    skipped = loaded.skipped[0]
    assert skipped.path == name
    assert reason in skipped.reason
    assert_one_line(loaded.skipped)


def test_cp1252_file_is_decoded(tmp_path):
    text = "café – naïve “quotes” and € signs"
    raw = text.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    doc = only_doc(write(tmp_path / "c", {"legacy.txt": raw}))
    assert doc.text == text


def test_utf8_with_bom_is_decoded(tmp_path):
    doc = only_doc(write(tmp_path / "c", {"bom.txt": "\ufeffDéjà vu text.".encode("utf-8")}))
    assert doc.text == "Déjà vu text."


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read a chmod 000 file")
def test_unreadable_file_is_skipped(tmp_path):
    folder = write(tmp_path / "c", {"good.txt": GOOD_TEXT, "secret.txt": "hidden text"})
    (folder / "secret.txt").chmod(0)
    try:
        loaded = load_corpus(folder)
    finally:
        (folder / "secret.txt").chmod(0o644)
    assert [d.doc_id for d in loaded.documents] == ["good"]
    assert [s.path for s in loaded.skipped] == ["secret.txt"]
    assert "cannot read" in loaded.skipped[0].reason
    assert_one_line(loaded.skipped)


def test_duplicate_doc_ids_second_is_skipped(tmp_path):
    folder = write(tmp_path / "c", {"report.md": "# Report\n\nMarkdown version.\n", "report.txt": "Text version.\n"})
    loaded = load_corpus(folder)
    assert [(d.doc_id, d.source) for d in loaded.documents] == [("report", "report.md")]
    assert len(loaded.skipped) == 1
    assert loaded.skipped[0].path == "report.txt"
    assert "duplicate document id 'report'" in loaded.skipped[0].reason
    assert "report.md" in loaded.skipped[0].reason
    assert_one_line(loaded.skipped)


def test_duplicate_ids_inside_jsonl_are_skipped(tmp_path):
    lines = [json.dumps({"_id": "same", "text": "first"}), json.dumps({"_id": "same", "text": "second"})]
    loaded = load_corpus(write(tmp_path / "c", {"c.jsonl": "\n".join(lines)}))
    assert [d.text for d in loaded.documents] == ["first"]
    assert "duplicate document id 'same'" in loaded.skipped[0].reason


def test_hidden_files_are_not_read(tmp_path):
    folder = write(tmp_path / "c", {"good.txt": GOOD_TEXT, ".hidden.txt": "hidden", ".git/objects.txt": "git"})
    loaded = load_corpus(folder)
    assert [d.doc_id for d in loaded.documents] == ["good"]
    assert loaded.skipped == ()


# --- metadata.json -----------------------------------------------------------


def test_metadata_sidecar_applied(tmp_path):
    meta = {
        "a.txt": {"id": "custom-id", "title": "Custom Title", "author": "Jane Doe", "date": "2020-01-02",
                  "type": "memo", "url": "https://example.org/a", "ignored": "x"},
    }
    folder = write(tmp_path / "c", {"a.txt": GOOD_TEXT, "b.txt": "Other text.\n", "metadata.json": json.dumps(meta)})
    loaded = load_corpus(folder)
    assert loaded.skipped == ()
    docs = {d.doc_id: d for d in loaded.documents}
    assert set(docs) == {"custom-id", "b"}
    a = docs["custom-id"]
    assert (a.title, a.author, a.date, a.doc_type, a.url, a.source) == (
        "Custom Title", "Jane Doe", "2020-01-02", "memo", "https://example.org/a", "a.txt",
    )
    assert docs["b"].title == "Other text." and docs["b"].author == ""


def test_metadata_changes_the_content_hash(tmp_path):
    folder = write(tmp_path / "c", {"a.txt": GOOD_TEXT})
    before = only_doc(folder).content_hash
    write(folder, {"metadata.json": json.dumps({"a.txt": {"author": "Someone"}})})
    assert only_doc(folder).content_hash != before


@pytest.mark.parametrize("bad", ["{not json", "[1, 2]", '{"a.txt": "not an object"}'])
def test_malformed_metadata_is_reported_not_fatal(tmp_path, bad):
    folder = write(tmp_path / "c", {"a.txt": GOOD_TEXT, "metadata.json": bad})
    loaded = load_corpus(folder)
    assert [d.doc_id for d in loaded.documents] == ["a"]
    assert len(loaded.skipped) == 1
    assert loaded.skipped[0].path.endswith("metadata.json")
    assert "ignored" in loaded.skipped[0].reason
    assert_one_line(loaded.skipped)


def test_metadata_with_invalid_id_skips_that_file_only(tmp_path):
    meta = {"a.txt": {"id": "not a slug!"}}
    folder = write(tmp_path / "c", {"a.txt": GOOD_TEXT, "b.txt": "Other text.\n", "metadata.json": json.dumps(meta)})
    loaded = load_corpus(folder)
    assert [d.doc_id for d in loaded.documents] == ["b"]
    assert [s.path for s in loaded.skipped] == ["a.txt"]
    assert "not a slug!" in loaded.skipped[0].reason and "metadata.json" in loaded.skipped[0].reason
    assert_one_line(loaded.skipped)


# --- missing or empty corpus -------------------------------------------------


def test_missing_corpus_folder_raises(tmp_path):
    with pytest.raises(CorpusNotFound, match="does not exist"):
        load_corpus(tmp_path / "nope")


def test_corpus_path_that_is_a_file_raises(tmp_path):
    (tmp_path / "file.txt").write_text(GOOD_TEXT)
    with pytest.raises(CorpusNotFound):
        load_corpus(tmp_path / "file.txt")


@pytest.mark.parametrize("files", [{}, {"metadata.json": "{}"}, {".hidden.txt": "x"}], ids=["empty", "metadata-only", "hidden-only"])
def test_empty_corpus_folder_raises(tmp_path, files):
    folder = write(tmp_path / "c", files)
    with pytest.raises(CorpusNotFound, match="holds no files"):
        load_corpus(folder)

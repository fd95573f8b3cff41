"""Reading faults (issue 16): bad bytes, UTF-16, encrypted PDFs, a 2 MB line, long .docx files,
a broken metadata.json, and folders the loader cannot or must not read. Files under tmp_path only."""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from corpus.chunking import ChunkerSettings, chunk_document, encoding
from corpus.check import check_corpus
from corpus.loader import load_corpus
from corpus.sentences import split_sentences
from index.build import build_index
from index.errors import BuildFailed
from index.manifest import IndexConfig
from tests.fakes import FAKE_INFO, FakeEncoder

ROOT = Path(__file__).resolve().parent.parent
PLACE = "São Tomé and Príncipe publishes its oil contracts.\n"


def write(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return folder


def report_of(loaded, path: str):
    return next(r for r in loaded.reports if r.path == path)


# --- 1, 2: decoding ------------------------------------------------------------------------------


def test_a_stray_byte_in_a_utf8_file_is_replaced_and_counted_not_read_as_cp1252(tmp_path):
    folder = write(tmp_path / "c", {"stp.txt": PLACE.encode() * 40 + b"A stray \xff byte and \xfe another.\n"})
    loaded = load_corpus(folder)
    [doc] = loaded.documents
    assert "São Tomé and Príncipe" in doc.text and "SÃ" not in doc.text
    assert doc.text.count("\ufffd") == 2
    assert report_of(loaded, "stp.txt").warnings == ("2 bytes not valid UTF-8 replaced by U+FFFD",)
    [check] = [c for c in check_corpus(folder) if c.path == "stp.txt"]
    assert "2 bytes not valid UTF-8 replaced by U+FFFD" in check.warnings


def test_a_file_mostly_not_utf8_is_still_read_as_cp1252(tmp_path):
    text = "Café, naïve “quotes” and € signs in São Tomé.\n" * 20
    data = text.encode("cp1252") + "ok é".encode("utf-8")  # one valid UTF-8 sequence among 120 bad bytes
    loaded = load_corpus(write(tmp_path / "c", {"legacy.txt": data}))
    assert loaded.documents[0].text.startswith("Café, naïve “quotes” and € signs in São Tomé.")
    assert report_of(loaded, "legacy.txt").warnings == ()


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "utf-32"])
def test_text_with_a_byte_order_mark_is_read(tmp_path, codec):
    boms = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}
    data = boms.get(codec, b"") + ("Title\n\n" + PLACE).encode(codec)
    loaded = load_corpus(write(tmp_path / "c", {"notes.txt": data, "guide.md": data, "page.html": data}))
    assert loaded.skipped == ()
    assert all("São Tomé and Príncipe" in d.text and "\ufeff" not in d.text for d in loaded.documents)
    assert len(loaded.documents) == 3


# --- 3: PDF encrypted with an empty user password --------------------------------------------------


def test_a_pdf_encrypted_with_an_empty_user_password_is_read(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    from tests.pdf_fixtures import report_pdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(str(report_pdf(tmp_path / "plain.pdf"))))
    writer.encrypt(user_password="", owner_password="owner-secret", algorithm="RC4-128")
    folder = tmp_path / "c"
    folder.mkdir()
    writer.write(str(folder / "locked.pdf"))
    assert pypdf.PdfReader(str(folder / "locked.pdf")).is_encrypted
    loaded = load_corpus(folder)
    assert loaded.skipped == ()
    assert "Tailings" in loaded.documents[0].text or len(loaded.documents[0].text) > 500


# --- 4: a 2 MB line without spaces -----------------------------------------------------------------


@pytest.mark.slow
def test_a_2mb_line_without_spaces_is_cut_into_chunks_inside_the_token_window(tmp_path):
    from index.embedder import WordPieces

    blob = random.Random(16).randbytes(1_000_000).hex()  # 2,000,000 characters: a hash or key dump
    folder = write(tmp_path / "c", {"blob.txt": f"Attachment\n\nThe annex follows.\n\n{blob}\n\nEnd of the annex."})
    started = time.perf_counter()
    [doc] = load_corpus(folder).documents
    settings = ChunkerSettings()
    prefix = doc.title + "\n"
    window = WordPieces()
    chunks = chunk_document(doc, settings, window=lambda text: window.fits(prefix + text))
    sentences = split_sentences(doc.text)
    elapsed = time.perf_counter() - started
    enc = encoding()
    assert max(len(enc.encode_ordinary(c.text)) for c in chunks) <= settings.chunk_tokens
    assert all(window.fits(prefix + c.context + c.text) or window.fits(prefix + c.text) for c in chunks)
    assert all(c.text == doc.text[c.start:c.end] for c in chunks)
    assert all(a.end <= b.start for a, b in zip(chunks, chunks[1:]))  # in order, apart
    assert "".join(doc.text[a.end:b.start] for a, b in zip(chunks, chunks[1:])).strip() == ""  # nothing lost
    assert chunks[0].start <= doc.text.index("Attachment") and chunks[-1].end == len(doc.text)
    assert all(0 <= s < e <= len(doc.text) for s, e in sentences)
    assert elapsed < 60, f"reading and chunking a 2 MB line took {elapsed:.1f} s"


def test_sentence_splitting_is_linear_on_one_long_line_of_short_sentences():
    words = ["Mining.", "Cobalt", "law", "St.", "e.g.", "Tax", "No.", "5."]
    rng = random.Random(1)
    line = " ".join(rng.choice(words) for _ in range(40_000))  # ~200,000 characters, one line
    started = time.perf_counter()
    spans = split_sentences(line)
    elapsed = time.perf_counter() - started
    assert len(spans) > 1000 and all(line[s:e].strip() == line[s:e] for s, e in spans)
    assert elapsed < 5, f"{elapsed:.1f} s to split 200,000 characters"  # quadratic before: about 80 s


# --- 5: a .docx with very many paragraphs -------------------------------------------------------------

READ_DOCX = """
import resource, sys, time
from pathlib import Path
from corpus.word import read_docx
started = time.perf_counter()
doc = next(read_docx(Path(sys.argv[1])))
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(doc.blocks))
"""


def docx_with_paragraphs(path: Path, paragraph: str, count: int) -> Path:
    """A .docx of `count` copies of one paragraph's XML, written directly: python-docx's
    add_paragraph is itself quadratic (20,000 paragraphs take it about 30 s)."""
    docx = pytest.importorskip("docx")
    template = io.BytesIO()
    docx.Document().save(template)
    source = zipfile.ZipFile(template)
    head, _, rest = source.read("word/document.xml").decode().partition("<w:body>")
    tail = rest[rest.index("<w:sectPr"):]
    body = "<w:p><w:r><w:t>Royalties are due monthly.</w:t></w:r></w:p>" + paragraph * count
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for item in source.infolist():
            xml = head + "<w:body>" + body + tail if item.filename == "word/document.xml" else source.read(item.filename)
            package.writestr(item, xml)
    return path


def read_in_child(path: Path) -> tuple[float, int, int]:
    """Seconds, peak resident kilobytes and blocks of reading `path` in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", READ_DOCX, str(path)], capture_output=True, text=True, cwd=ROOT, check=True)
    seconds, peak_kb, blocks = out.stdout.split()
    return float(seconds), int(peak_kb), int(blocks)


def test_a_docx_of_many_empty_paragraphs_is_read_in_linear_time_and_flat_memory(tmp_path):
    empty = '<w:p w:rsidR="00A12B34" w:rsidRDefault="00A12B34"/>'  # what Word writes for an empty line
    small = read_in_child(docx_with_paragraphs(tmp_path / "small.docx", empty, 50_000))
    large = read_in_child(docx_with_paragraphs(tmp_path / "large.docx", empty, 400_000))
    assert small[2] == large[2] == 1
    assert large[0] < 10 * max(small[0], 0.05) + 2, f"8x the paragraphs: {small[0]:.2f} s -> {large[0]:.2f} s"
    growth_mb = (large[1] - small[1]) / 1024
    assert growth_mb < 40, f"reading 350,000 more empty paragraphs took {growth_mb:.0f} MB more"  # the whole body held before: ~230 MB


def test_a_docx_of_twenty_thousand_paragraphs_is_read_in_order_in_a_second_or_two(tmp_path):
    text = "<w:p><w:r><w:t>Tailings dams need closure bonds.</w:t></w:r><w:r><w:tab/><w:t>Really.</w:t></w:r></w:p>"
    seconds, _, blocks = read_in_child(docx_with_paragraphs(tmp_path / "long.docx", text, 20_000))
    assert blocks == 20_001
    assert seconds < 10


# --- 6: metadata.json ----------------------------------------------------------------------------


def metadata_corpus(tmp_path: Path, sidecar: str) -> Path:
    return write(tmp_path / "c", {"a.txt": "Alpha text.\n", "b.txt": "Beta text.\n", "c.txt": "Gamma text.\n", "metadata.json": sidecar})


def test_a_field_of_the_wrong_type_is_named_and_the_rest_applies(tmp_path):
    sidecar = json.dumps({"a.txt": {"title": 5, "author": "Ministry"}, "b.txt": ["not", "fields"], "c.txt": {"title": "Gamma"}})
    loaded = load_corpus(metadata_corpus(tmp_path, sidecar))
    docs = {d.source: d for d in loaded.documents}
    assert docs["a.txt"].title == "Alpha text." and docs["a.txt"].author == "Ministry"
    assert docs["c.txt"].title == "Gamma"
    reasons = [s.reason for s in loaded.skipped if s.path == "metadata.json"]
    assert reasons == [
        "entry 'a.txt': field 'title' ignored: expected a string, not a number",
        "entry 'b.txt' ignored: expected an object of fields, not a list",
    ]


def test_a_syntax_error_costs_only_its_entry(tmp_path):
    sidecar = '{\n  "a.txt": {"title": "Alpha"},\n  "b.txt": {"title": "Beta" "author": "x"},\n  "c.txt": {"title": "Gamma"}\n}\n'
    loaded = load_corpus(metadata_corpus(tmp_path, sidecar))
    titles = {d.source: d.title for d in loaded.documents}
    assert titles == {"a.txt": "Alpha", "b.txt": "Beta text.", "c.txt": "Gamma"}
    [problem] = [s.reason for s in loaded.skipped if s.path == "metadata.json"]
    assert problem.startswith("entry at line 3 column 3 ignored: not valid JSON (") and "line 3" in problem


def test_a_sidecar_that_cannot_be_followed_is_reported_whole(tmp_path):
    loaded = load_corpus(metadata_corpus(tmp_path, '{"a.txt": {"title": "Alpha"'))
    assert len(loaded.documents) == 3
    [problem] = [s.reason for s in loaded.skipped if s.path == "metadata.json"]
    assert problem.startswith("metadata ignored: not valid JSON (") and "line 1 column" in problem


# --- 7: nothing readable, unreadable folders, symlinks out of the corpus ---------------------------


CONFIG = IndexConfig(model=FAKE_INFO, chunker=ChunkerSettings(48, 8))


def test_when_nothing_is_readable_the_error_names_each_file_and_why(tmp_path):
    folder = write(tmp_path / "c", {"empty.txt": b"", "data.txt": b"\x00\x01\x02" * 50, "notes.xyz": "text"})
    with pytest.raises(BuildFailed) as failed:
        build_index(folder, tmp_path / "index", FakeEncoder(), CONFIG)
    message = str(failed.value)
    assert "no readable documents" in message and "\n" not in message
    for reason in ("empty.txt: empty file", "data.txt: binary data", "notes.xyz: unsupported file type"):
        assert reason in message


def test_a_folder_that_cannot_be_listed_is_reported(tmp_path, monkeypatch):
    folder = write(tmp_path / "c", {"good.txt": "Readable text.\n", "locked/hidden.txt": "Text nobody sees.\n"})
    locked = folder / "locked"
    if os.geteuid() == 0:  # root lists any folder: refuse this one as chmod 000 would
        real = os.scandir

        def scandir(path="."):
            if Path(path) == locked:
                raise PermissionError(13, "Permission denied", str(path))
            return real(path)

        monkeypatch.setattr(os, "scandir", scandir)
    else:
        locked.chmod(0)
    try:
        loaded = load_corpus(folder)
    finally:
        locked.chmod(0o755)
    assert [d.source for d in loaded.documents] == ["good.txt"]
    assert [(s.path, s.reason) for s in loaded.skipped] == [
        ("locked/", "cannot read folder (Permission denied); its files are not indexed")
    ]


def test_a_symlink_to_a_file_outside_the_corpus_is_refused_and_one_inside_kept(tmp_path):
    outside = write(tmp_path / "outside", {"secret.txt": "The private key is hunter2.\n"})
    folder = write(tmp_path / "c", {"real.txt": "Royalties are due monthly.\n"})
    (folder / "leak.txt").symlink_to(outside / "secret.txt")
    (folder / "alias.txt").symlink_to(folder / "real.txt")
    first = build_index(folder, tmp_path / "index", FakeEncoder(), CONFIG)
    loaded = load_corpus(folder)
    assert sorted(d.source for d in loaded.documents) == ["alias.txt", "real.txt"]
    assert not any("hunter2" in d.text for d in loaded.documents)
    expected = [("leak.txt", f"symlink to a file outside the corpus folder ({outside / 'secret.txt'}); not read")]
    assert [(s.path, s.reason) for s in loaded.skipped] == expected
    assert [(s.path, s.reason) for s in first.skipped] == expected
    again = build_index(folder, tmp_path / "index", FakeEncoder(), CONFIG)
    assert not again.written and [(s.path, s.reason) for s in again.skipped] == expected

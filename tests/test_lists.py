"""A list the document's blocks mark is taken whole after its lead-in, at its top level."""

from __future__ import annotations

from corpus.document import Block, Document
from qa.lists import LIST_ITEMS, LONGEST_LIST, block_list, list_items


def _document(items: int, nested: bool = False) -> Document:
    parts, blocks, at = [], [], 0

    def add(kind: str, text: str, level: int = 0) -> None:
        nonlocal at
        blocks.append(Block(kind, at, at + len(text), level))
        parts.append(text)
        at += len(text) + 1

    add("paragraph", "The process has these phases:")
    for i in range(items):
        add("list_item", f"Phase {i + 1} happens.", 1)
        if nested and i == 0:
            add("list_item", "A detail of phase one.", 2)
    add("paragraph", "After the list.")
    return Document("d", "D", "\n".join(parts), "d.md", blocks=tuple(blocks))


def test_the_whole_list_is_its_top_level_items_after_the_lead_in():
    doc = _document(8, nested=True)
    lead_end = doc.blocks[0].end
    items = block_list(doc, lead_end)
    assert [doc.text[s:e] for s, e in items] == [f"Phase {i + 1} happens." for i in range(8)]


def test_a_list_asked_for_is_taken_whole_and_otherwise_cut():
    doc = _document(LIST_ITEMS + 3)
    lead = doc.blocks[0]
    sentences = [(b.start, b.end) for b in doc.blocks]
    assert len(list_items(doc, sentences, doc.text[lead.start:lead.end], lead.end, whole=True)) == LIST_ITEMS + 3
    assert len(list_items(doc, sentences, doc.text[lead.start:lead.end], lead.end)) == LIST_ITEMS


def test_no_list_follows_a_paragraph_or_runs_over_the_limit():
    doc = _document(3)
    assert block_list(doc, doc.blocks[-2].end) == []  # "After the list." is no list item
    assert block_list(_document(LONGEST_LIST + 1), _document(LONGEST_LIST + 1).blocks[0].end) == []

"""Assembling a structured reader's blocks into the cleaned text, and the blocks' records."""

from __future__ import annotations

import pytest

from corpus.assembler import assemble
from corpus.document import Block, Document
from corpus.raw import HEADING, LIST_ITEM, NOTE, PARAGRAPH, TABLE_HEADER, TABLE_ROW, RawBlock, RawDocument


def text_of(cleaned, block):
    return cleaned.text[block.start:block.end]


def test_blocks_become_lines_lists_and_tables_one_line_apart_others_a_blank_line():
    cleaned = assemble([
        RawBlock(HEADING, "Water", level=1),
        RawBlock(PARAGRAPH, "Mines   report\twithdrawals."),
        RawBlock(LIST_ITEM, "- wells", level=1),
        RawBlock(LIST_ITEM, "- rivers", level=2),
        RawBlock(TABLE_HEADER, "Law | Year"),
        RawBlock(TABLE_ROW, "Mining Act | 1872"),
        RawBlock(PARAGRAPH, "The end ."),
    ])
    assert cleaned.text == "Water\n\nMines report withdrawals.\n\n- wells\n- rivers\n\nLaw | Year\nMining Act | 1872\n\nThe end."
    assert [(b.kind, text_of(cleaned, b), b.level) for b in cleaned.blocks] == [
        ("heading", "Water", 1), ("paragraph", "Mines report withdrawals.", 0), ("list_item", "- wells", 1),
        ("list_item", "- rivers", 2), ("table_header", "Law | Year", 0), ("table_row", "Mining Act | 1872", 0),
        ("paragraph", "The end.", 0),
    ]
    assert [(s.start, s.level, s.title) for s in cleaned.headings] == [(0, 1, "Water")]
    assert cleaned.pages == ()


def test_a_sentence_split_by_a_page_break_is_one_paragraph_and_the_pages_start_where_they_do():
    cleaned = assemble([
        RawBlock(PARAGRAPH, "The fund pays states that", page=0),
        RawBlock(PARAGRAPH, "reclaim abandoned mines.", page=1),
        RawBlock(PARAGRAPH, "Next paragraph.", page=1),
    ], paged=True, page_count=3)
    assert cleaned.text == "The fund pays states that reclaim abandoned mines.\n\nNext paragraph."
    assert len(cleaned.blocks) == 2 and text_of(cleaned, cleaned.blocks[0]).endswith("mines.")
    assert cleaned.pages == (0, cleaned.text.index("reclaim"), len(cleaned.text))


def test_a_sentence_split_by_a_letterhead_is_one_paragraph_again():
    cleaned = assemble([
        RawBlock(PARAGRAPH, "Mining Review"), RawBlock(PARAGRAPH, "Intro text here."),
        RawBlock(PARAGRAPH, "The fund pays states that"), RawBlock(PARAGRAPH, "Mining Review"),
        RawBlock(PARAGRAPH, "reclaim mines."), RawBlock(PARAGRAPH, "Mining Review"),
    ])
    assert cleaned.text == "Intro text here.\n\nThe fund pays states that reclaim mines."
    assert cleaned.removed == {"repeated furniture": 3}


def test_a_finished_sentence_or_a_capital_does_not_join_across_pages():
    cleaned = assemble([
        RawBlock(PARAGRAPH, "The fund pays states.", page=0),
        RawBlock(PARAGRAPH, "reclaim is a verb.", page=1),
        RawBlock(PARAGRAPH, "An open sentence", page=1),
        RawBlock(PARAGRAPH, "Capital start.", page=2),
    ], paged=True, page_count=3)
    assert len(cleaned.blocks) == 4


def test_notes_follow_their_page_not_the_running_text():
    cleaned = assemble([
        RawBlock(PARAGRAPH, "Body of page one.", page=0),
        RawBlock(NOTE, "1 A footnote of page one.", page=0),
        RawBlock(PARAGRAPH, "Body of page one again.", page=0),
        RawBlock(PARAGRAPH, "Body of page two.", page=1),
    ], paged=True, page_count=2)
    assert cleaned.text.split("\n\n") == ["Body of page one.", "Body of page one again.", "1 A footnote of page one.", "Body of page two."]
    assert cleaned.blocks[2].kind == "note"


def test_notes_wait_for_the_paragraph_a_page_break_split():
    cleaned = assemble([
        RawBlock(PARAGRAPH, "States that", page=0),
        RawBlock(NOTE, "2 The note.", page=0),
        RawBlock(PARAGRAPH, "reclaim mines get grants.", page=1),
        RawBlock(PARAGRAPH, "More text.", page=1),
    ], paged=True, page_count=2)
    assert cleaned.text.split("\n\n") == ["States that reclaim mines get grants.", "2 The note.", "More text."]


def test_notes_of_an_unpaged_document_come_last():
    cleaned = assemble([RawBlock(NOTE, "1 Note."), RawBlock(PARAGRAPH, "Body.")])
    assert cleaned.text == "Body.\n\n1 Note."


@pytest.mark.parametrize("kwargs, rule", [
    (dict(kind="caption", text="x"), "block kind"),
    (dict(kind=PARAGRAPH, text="two\nlines"), "one non-blank line"),
    (dict(kind=PARAGRAPH, text="  "), "one non-blank line"),
    (dict(kind=HEADING, text="x", level=0), "heading level"),
    (dict(kind=LIST_ITEM, text="x", level=0), "list item level"),
    (dict(kind=PARAGRAPH, text="x", level=2), "level 0"),
    (dict(kind=PARAGRAPH, text="x", page=-1), "page index"),
])
def test_raw_blocks_are_checked(kwargs, rule):
    with pytest.raises(ValueError, match=rule):
        RawBlock(**kwargs)


def test_a_raw_document_has_pages_or_blocks():
    with pytest.raises(ValueError, match="either pages of text or blocks"):
        RawDocument()
    with pytest.raises(ValueError, match="page_count"):
        RawDocument(blocks=(RawBlock(PARAGRAPH, "x", page=2),), paged=True, page_count=2)


def test_document_blocks_must_be_in_order_and_inside_the_text():
    with pytest.raises(ValueError, match="blocks must be in order"):
        Document("d", "T", "abc def", "d.txt", blocks=(Block("paragraph", 4, 7), Block("paragraph", 0, 3)))
    with pytest.raises(ValueError, match="blocks must be in order"):
        Document("d", "T", "abc", "d.txt", blocks=(Block("paragraph", 0, 9),))
    with pytest.raises(ValueError, match="block kind"):
        Block("figure", 0, 1)


def test_block_at_finds_the_block_holding_an_offset():
    doc = Document("d", "T", "Head\n\nBody text.", "d.txt", blocks=(Block("heading", 0, 4, 1), Block("paragraph", 6, 16)))
    assert doc.block_at(0).kind == "heading" and doc.block_at(7).kind == "paragraph"
    assert doc.block_at(5) is None and doc.block_at(16) is None

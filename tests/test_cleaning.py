"""Cleaning: page furniture, unwrapping, hyphenation, page-break joins, headings and page offsets."""

from __future__ import annotations

import re

import pytest

from corpus.cleaning import clean_pages, clean_text, normalise_inline
from corpus.loader import load_corpus
from tests.conftest import SEED_CORPUS

UN_EMG = "un-emg-mineral-governance-2020"
TRADE = "green-mining-trade-initiative"


@pytest.fixture(scope="module")
def seed_docs():
    loaded = load_corpus(SEED_CORPUS)
    assert loaded.skipped == ()
    return {doc.doc_id: doc for doc in loaded.documents}


# --- the seed corpus ---------------------------------------------------------


@pytest.mark.parametrize(
    "furniture",
    ["UNITED NATIONS", "ENVIRONMENT MANAGEMENT GROUP", "Confederaziun svizra", "Schweizerische Eidgenossenschaft", "**"],
)
def test_un_emg_letterhead_and_emphasis_removed(seed_docs, furniture):
    raw = (SEED_CORPUS / f"{UN_EMG}.md").read_text(encoding="utf-8")
    assert furniture in raw  # the source really has it
    assert furniture not in seed_docs[UN_EMG].text


def test_un_emg_sentence_split_by_page_header_is_rejoined(seed_docs):
    text = seed_docs[UN_EMG].text
    assert "there may be an appetite to bring regions together" in text
    # and the sentence is one paragraph: no break anywhere inside it
    start = text.index("Following their conclusion")
    end = text.index("opportunities for collaboration.", start)
    assert "\n" not in text[start:end]


def test_un_emg_body_and_headings_survive(seed_docs):
    doc = seed_docs[UN_EMG]
    assert "The fourth session of the United Nations Environment Assembly" in doc.text
    titles = [(s.level, s.title) for s in doc.sections]
    assert (1, "UN Environment Management Group") in titles
    assert (2, "Nexus Dialogue") in titles
    assert (3, "Outcome Document") in titles  # `### **Outcome Document**`: emphasis dropped
    for section in doc.sections:
        assert doc.text[section.start:section.start + len(section.title)] == section.title


def test_trade_initiative_hard_wrapped_lines_are_unwrapped(seed_docs):
    raw = (SEED_CORPUS / f"{TRADE}.txt").read_text(encoding="utf-8")
    assert "sustainable\ndevelopment in the field" in raw
    text = seed_docs[TRADE].text
    assert "sustainable development in the field of mineral resources will help promote economic development" in text
    first_paragraph = text[text.index("It is recognized"):text.index("green mining and minerals.") ]
    assert "\n" not in first_paragraph
    # paragraphs stay apart
    assert "\n\nNoting that United Nations Agencies" in text


def test_seed_documents_have_no_stray_markup(seed_docs):
    for doc in seed_docs.values():
        assert "**" not in doc.text, doc.doc_id
        assert not re.search(r"</?(u|b|i|em|strong)>", doc.text), doc.doc_id
        assert "\r" not in doc.text and "\t" not in doc.text, doc.doc_id


# --- synthetic texts ---------------------------------------------------------


def test_hyphenation_across_line_break_is_joined():
    cleaned = clean_text("Sustainable develop-\nment of the mining sector is\nneeded now.")
    assert cleaned.text == "Sustainable development of the mining sector is needed now."


def test_hyphen_before_capital_or_inside_line_is_kept():
    cleaned = clean_text("The low-carbon economy and the UNEA-\n5 session.\n\nSouth-\nSouth cooperation.")
    assert "low-carbon" in cleaned.text
    assert "UNEA- 5" in cleaned.text  # a digit is not a word continuation: not glued
    assert "South- South" in cleaned.text


def test_list_items_keep_their_own_lines():
    cleaned = clean_text("Principles:\n- open markets\nfor all\n- fair rules\n1. first item\n2. second item")
    assert cleaned.text.split("\n") == ["Principles:", "- open markets for all", "- fair rules", "1. first item", "2. second item"]


def _pages(header_block: bool) -> list[str]:
    sep = "\n\n" if header_block else "\n"
    pages = []
    for n in range(1, 5):
        body = f"Body text of page {n} discusses tailings dams and their monitoring in detail."
        if n == 2:
            body = "Water Stewardship Obligations\n\n" + body
        pages.append(f"ACME MINING REPORT 2021{sep}{body}{sep}Confidential draft{sep}{n}")
    return pages


@pytest.mark.parametrize("header_block", [True, False], ids=["header-as-block", "header-as-line"])
def test_repeated_furniture_removed_single_heading_kept(header_block):
    cleaned = clean_pages(_pages(header_block), paged=True)
    assert "ACME MINING REPORT" not in cleaned.text
    assert "Confidential draft" not in cleaned.text
    assert not re.search(r"^\d+$", cleaned.text, re.MULTILINE)  # page numbers gone
    for n in range(1, 5):
        assert f"Body text of page {n} discusses" in cleaned.text
    assert "Water Stewardship Obligations" in cleaned.text
    assert [(h.level, h.title) for h in cleaned.headings] == [(2, "Water Stewardship Obligations")]
    heading = cleaned.headings[0]
    assert cleaned.text[heading.start:].startswith("Water Stewardship Obligations")


def test_furniture_repeated_fewer_than_three_times_is_kept():
    pages = ["Short Note\n\nFirst page body about cobalt.", "Short Note\n\nSecond page body about lithium."]
    cleaned = clean_pages(pages, paged=True)
    assert cleaned.text.count("Short Note") == 2


def test_page_offsets_for_paged_input():
    pages = [
        "Page one talks about copper mining in the Andes.",
        "Page two talks about nickel processing.",
        "",  # an empty page starts where the next one does
        "Page four talks about rare earths.",
    ]
    cleaned = clean_pages(pages, paged=True)
    assert len(cleaned.pages) == 4
    assert list(cleaned.pages) == sorted(cleaned.pages)
    assert cleaned.pages[0] == 0
    assert cleaned.text[cleaned.pages[1]:].startswith("Page two")
    assert cleaned.pages[2] == cleaned.pages[3]
    assert cleaned.text[cleaned.pages[3]:].startswith("Page four")


def test_sentence_split_by_page_break_is_joined_and_page_offset_points_inside_it():
    pages = ["The committee noted that there may be an appetite to", "bring regions together. A new paragraph."]
    cleaned = clean_pages(pages, paged=True)
    assert cleaned.text == "The committee noted that there may be an appetite to bring regions together. A new paragraph."
    assert cleaned.text[cleaned.pages[1]:].startswith("bring regions")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a paragraph break inside a sentence, even after a closing quote, is a break in the source
        (
            'CCCMC stated that cobalt should not be labeled as a "conflict mineral"\n\nand that it would be a wrong move.',
            'CCCMC stated that cobalt should not be labeled as a "conflict mineral" and that it would be a wrong move.',
        ),
        ("The guidelines were revised in 2017 to align with the\n\nUN agenda and more.", None),  # capital: kept apart
        ('The Panel said "human rights come first."\n\nand then a fragment follows here.', None),  # ended: kept apart
        ("Three ways, namely\n\na) the supply chain as a whole;", None),  # a list item keeps its line
    ],
)
def test_sentence_broken_across_blocks_is_joined(text, expected):
    assert clean_text(text).text == (expected or text)


def test_block_after_a_heading_is_not_joined_to_it():
    cleaned = clean_text("# Scope\n\nmining and processing are covered by this report.")
    assert cleaned.text == "Scope\n\nmining and processing are covered by this report."


def test_unpaged_input_has_no_page_offsets():
    assert clean_text("Just one page of text.").pages == ()


def test_markdown_headings_become_sections_with_levels():
    text = "# Title Of Report\n\nIntro text here.\n\n## Part **One**\n\nPart one text.\n\n### Detail\n\nDetail text.\n\n## Part Two ##\n\nMore."
    cleaned = clean_text(text)
    assert [(h.level, h.title) for h in cleaned.headings] == [
        (1, "Title Of Report"), (2, "Part One"), (3, "Detail"), (2, "Part Two"),
    ]
    for h in cleaned.headings:
        assert cleaned.text[h.start:h.start + len(h.title)] == h.title
    assert "#" not in cleaned.text


def test_markdown_headings_make_guessing_off():
    # with Markdown headings present, a short title-like line is not promoted to a heading
    cleaned = clean_text("# Real Heading\n\nLooks Like A Heading\n\nA long paragraph follows here, longer than the line above.")
    assert [h.title for h in cleaned.headings] == ["Real Heading"]


def test_heading_guessed_in_plain_text():
    cleaned = clean_text("Create an open policy environment\n\nWe should strengthen the coordination of trade policies.")
    assert [(h.level, h.title) for h in cleaned.headings] == [(2, "Create an open policy environment")]


def test_normalise_inline_drops_markup_and_invisible_characters():
    raw = "A <u>bold</u> **claim**\u00ad with\u00a0space and <https://example.org/x>\r\nnext"
    assert normalise_inline(raw) == "A bold claim with space and https://example.org/x\nnext"


def test_rules_and_single_emphasis_removed():
    cleaned = clean_text("Intro paragraph *with emphasis* here.\n\n---\n\nAfter the rule.")
    assert cleaned.text == "Intro paragraph with emphasis here.\n\nAfter the rule."


# --- rows of lists and tables --------------------------------------------------


def test_rows_of_a_list_without_markers_stay_on_their_lines():
    text = (
        "Signatory organisations\n\n"
        "AbibiNsroma Foundation Ghana\n"
        "Accountability Accelerator\u00a0 United Kingdom\n"
        "African Coalition on Green Growth\u00a0 Botswana\u00a0\n"
        "ALAMIN Philippines\n"
    )
    lines = clean_text(text).text.split("\n\n")[1].split("\n")
    assert lines == [
        "AbibiNsroma Foundation Ghana",
        "Accountability Accelerator United Kingdom",
        "African Coalition on Green Growth Botswana",
        "ALAMIN Philippines",
    ]


def test_rows_of_a_tab_separated_table_stay_on_their_lines():
    text = "Mineral\tUpstream Challenges\tDownstream Challenges\nCobalt (DRC)\tChild labor, Corruption\tReputational risks\n"
    assert clean_text(text).text == "Mineral Upstream Challenges Downstream Challenges\nCobalt (DRC) Child labor, Corruption Reputational risks"


@pytest.mark.parametrize(
    "paragraph",
    [
        "The Panel recommended the establishment of a multi-stakeholder\nHigh-Level Expert Advisory Group under UN auspices to implement\nkey components of the proposed actionable recommendations.",
        "Short lines.  Two spaces after\neach full stop.  Still one\nparagraph of prose.",
        "Green mining\nRequires consent\nAnd benefit-sharing.",  # too few open-ended rows
    ],
)
def test_wrapped_prose_is_still_one_paragraph(paragraph):
    assert "\n" not in clean_text(paragraph).text


def test_the_seed_signatory_list_keeps_one_organisation_a_line(seed_docs):
    text = seed_docs["civil-society-letter-hleag-2025"].text
    assert "\nAfrican Coalition on Green Growth Botswana\n" in text
    assert "\nSouthern Africa Climate Change Network Botswana\n" in text


def test_justified_prose_with_runs_of_spaces_is_still_one_paragraph():
    text = "The  Panel  recommended  the  establishment  of  a\nmulti-stakeholder  group  under  UN  auspices  to\nimplement  key  components  of  the  recommendations."
    assert clean_text(text).text == "The Panel recommended the establishment of a multi-stakeholder group under UN auspices to implement key components of the recommendations."

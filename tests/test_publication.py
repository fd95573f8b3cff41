"""The date line of a document, for "When was the statement issued?"."""

from __future__ import annotations

import pytest

from corpus.document import Document
from qa.publication import date_span, dated_subject


@pytest.mark.parametrize(
    "question, subject",
    [
        ("When was the HRC statement issued?", "the HRC statement"),
        ("What is the date of the Nexus Dialogue outcome document?", "the Nexus Dialogue outcome document"),
        ("In what year was the letter written?", "the letter"),
        ("When was the Responsible Cobalt Initiative launched?", ""),  # an event, not a document's date
        ("When did UNEA-4 take place?", ""),
    ],
)
def test_dated_subject(question, subject):
    assert dated_subject(question) == subject


@pytest.mark.parametrize(
    "text, written",
    [
        ("General Assembly\n\nDistr.: General\n11 June 2026\n\nBody.", "11 June 2026"),
        ("Outcome\n\n**November 17, 2020**\n\nBody.", "November 17, 2020"),
        ("Dated 2020-11-17. In 2019 ...", "2020-11-17"),
    ],
)
def test_date_span_finds_the_metadata_date_as_written(text, written):
    iso = "2026-06-11" if "2026" in written else "2020-11-17"
    doc = Document("d", "D", text, "d.txt", date=iso)
    start, end = date_span(doc)
    assert text[start:end] == written


@pytest.mark.parametrize("iso", ["", "2024", "not a date"])
def test_no_full_date_no_span(iso):
    assert date_span(Document("d", "D", "Copyright 2024. Written in 2024.", "d.txt", date=iso)) is None

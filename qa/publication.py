"""When a document is dated ("When was the HRC statement issued?"): the line of its text that gives
the date its metadata records ("11 June 2026", "**November 17, 2020**")."""

from __future__ import annotations

import re
from datetime import date

from corpus.document import Document

# "When was the HRC statement issued?", "What is the date of the outcome document?": the subject
_ASKS = re.compile(
    r"^\s*(?:when|on\s+what\s+date|(?:in\s+)?what\s+(?:day|date|month|year))\s+(?:was|were|is|did)\s+(.+?)\s+"
    r"(?:issued|published|released|written|dated|submitted|circulated|put\s+out|(?:come|came)\s+out)\b"
    r"|^\s*what\s+is\s+the\s+date\s+(?:of|on)\s+(.+?)\s*[?.!]*$",
    re.I,
)


def dated_subject(question: str) -> str:
    """What a question asks the date of, when it asks when something was issued or published ("the
    HRC statement"); empty otherwise."""
    match = _ASKS.search(question)
    return (match.group(1) or match.group(2)) if match else ""


def date_span(document: Document) -> tuple[int, int] | None:
    """Where the document's text first gives the full date of its metadata, in any common writing."""
    try:
        day = date.fromisoformat(document.date.strip())
    except ValueError:
        return None  # no date, or a year alone ("2024"): too common in a text to point at
    month = day.strftime("%B")
    writings = (
        rf"\b{day.day}\s+{month}\s+{day.year}\b",
        rf"\b{month}\s+{day.day},?\s+{day.year}\b",
        rf"\b{day.isoformat()}\b",
    )
    found = [m for m in (re.search(w, document.text) for w in writings) if m]
    if not found:
        return None
    first = min(found, key=lambda m: m.start())
    return first.start(), first.end()

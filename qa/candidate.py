"""A sentence of a retrieved passage as a candidate for an answer, and what makes one a poor answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.records import Hit

_CITATION_LIKE = re.compile(r"Available from|https?://|www\.|\bet al\.|\bpp?\. \d|\(\d{4}\)[,.:]|\d{4}\): \d", re.I)
_BACK_MATTER = re.compile(r"^(?:notes|endnotes|references|bibliography|sources|acknowledg)", re.I)
_TERMINAL = re.compile(r"[.!?:;\"”’)\]]\s*$")
_SENTENCE_END = re.compile(r"[.!?][\"”’)\]]*\s*$")


@dataclass(frozen=True)
class Candidate:
    hit: Hit
    row: int  # row of the sentence vector
    start: int  # offsets in the document
    end: int
    text: str
    score: float
    cosine: float
    coverage: float


def is_full_sentence(text: str) -> bool:
    """Whether `text` ends like a sentence ("." "?" "!"), not like a title, a row or a label."""
    return bool(_SENTENCE_END.search(text))


def penalty(text: str, hit: Hit, row: bool) -> float:
    """Sentences that rarely answer anything: titles, fragments, references, back matter.

    A `row` of a list or table ("Nickel (Indonesia) Deforestation, Pollution") is no title when a
    list or a name is asked for.
    """
    out = 0.0
    words = len(text.split())
    if words < 6:
        out += 0.05
    if not _TERMINAL.search(text) and words < 16 and not row:
        out += 0.12  # a title or a label, not a statement
    if _CITATION_LIKE.search(text) or any(_BACK_MATTER.match(s) for s in hit.chunk.section):
        out += 0.2
    return out

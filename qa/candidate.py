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
    features: tuple[float, ...] = ()  # what `score` was made from, as qa.scorer.FEATURES names them


def is_full_sentence(text: str) -> bool:
    """Whether `text` ends like a sentence ("." "?" "!"), not like a title, a row or a label."""
    return bool(_SENTENCE_END.search(text))


POOR_MARKS = ("short", "label", "reference")
PENALTIES = (0.05, 0.12, 0.2)  # what `penalty` takes off for each of POOR_MARKS (the summary's ranking)


def poor_marks(text: str, hit: Hit, row: bool) -> tuple[float, float, float]:
    """Marks (1.0 or 0.0) of sentences that rarely answer anything, as POOR_MARKS names them: under
    six words; a title or a label, not a statement; a reference or back matter.

    A `row` of a list or table ("Nickel (Indonesia) Deforestation, Pollution") is no title when a
    list or a name is asked for.
    """
    words = len(text.split())
    short = words < 6
    label = not _TERMINAL.search(text) and words < 16 and not row
    reference = bool(_CITATION_LIKE.search(text)) or any(_BACK_MATTER.match(s) for s in hit.chunk.section)
    return float(short), float(label), float(reference)


def penalty(text: str, hit: Hit, row: bool) -> float:
    """What `poor_marks` takes off a sentence's score where no fitted weights are used (summaries)."""
    return sum(p * m for p, m in zip(PENALTIES, poor_marks(text, hit, row)))

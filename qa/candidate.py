"""A sentence of a retrieved passage as a candidate for an answer, and what makes one a poor answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.digests import BACK_MATTER, CITATION_LIKE, MIN_WORDS
from qa.records import Hit

_TERMINAL = re.compile(r"[.!?:;\"”’)\]]\s*$")


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


POOR_MARKS = ("short", "label", "reference")


def poor_marks(text: str, hit: Hit, row: bool) -> tuple[float, float, float]:
    """Marks (1.0 or 0.0) of sentences that rarely answer anything, as POOR_MARKS names them: under
    six words; a title or a label, not a statement; a reference or back matter.

    A `row` of a list or table ("Nickel (Indonesia) Deforestation, Pollution") is no title when a
    list or a name is asked for.
    """
    words = len(text.split())
    short = words < MIN_WORDS
    label = not _TERMINAL.search(text) and words < 16 and not row
    reference = bool(CITATION_LIKE.search(text)) or any(BACK_MATTER.match(s) for s in hit.chunk.section)
    return float(short), float(label), float(reference)

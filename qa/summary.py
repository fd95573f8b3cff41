"""Summaries of one document ("Summarize the letter", "What is the Wilson report about?") and
what it concludes or recommends ("What does the Wilson report conclude?").

A document that has a section for its conclusions or recommendations says them there: the answer
quotes the opening sentences of that section, found by its heading ("Conclusion", "Conclusions
and next steps", "Recommendations", "The way forward"). A document without one says them where
it recommends: its retrieved sentences in the words of advice ("recommends", "should", "calls
on"), best first. Other documents are summarised.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import numpy as np

from corpus.document import Document
from index.store import Span
from qa.candidate import Candidate, is_full_sentence, penalty
from qa.question import CONCLUSIONS, RECOMMENDATIONS, is_summary_section

SUMMARY_SENTENCES = 3
CENTRES = 256  # documents whose centre is kept
# Headings of the sections where a document states its conclusions or its recommendations, the
# more telling first.
GIST_HEADINGS = {
    CONCLUSIONS: (r"conclu", r"final\s+(?:remarks|thoughts|observations)|concluding|way\s+forward", r"key\s+(?:findings|messages)|takeaways"),
    RECOMMENDATIONS: (r"recommend", r"way\s+forward|next\s+steps|call\s+(?:to|for)\s+action|proposals"),
}
_ADVICE = re.compile(r"\b(?:recommend\w*|urges?|urged|calls?\s+(?:on|for|upon)|called\s+(?:on|for|upon)|should|must|propos\w+)\b", re.I)


class Summarizer:
    """Picks a document's summary sentences among the candidates retrieved for it."""

    def __init__(self, vectors: np.ndarray, sentences: Callable[[str], list[tuple[int, str]]], redundant: float):
        """`sentences(doc_id)`: the vector row and text of each sentence of a document."""
        self.vectors = vectors
        self.redundant = redundant
        self._sentences = sentences
        self._centre = lru_cache(maxsize=CENTRES)(self._read_centre)

    def _read_centre(self, doc_id: str) -> np.ndarray | None:
        """The mean of the document's prose sentences (of all of them, when it has none), normalised."""
        rows = self._sentences(doc_id)
        if not rows:
            return None
        full = [row for row, text in rows if is_full_sentence(text)]
        centre = self.vectors[full or [row for row, _ in rows]].mean(axis=0)
        return centre / (np.linalg.norm(centre) or 1.0)

    def summary(self, doc_id: str, ranked: list[Candidate]) -> list[Candidate]:
        """The first `SUMMARY_SENTENCES` sentences of the document's own summary ("Abstract") when it
        was retrieved; otherwise as many of its retrieved sentences closest to the mean of its prose
        sentences, less the usual penalties, none repeating another; in document order."""
        centre = self._centre(doc_id)
        own = [c for c in ranked if c.hit.chunk.doc_id == doc_id and is_full_sentence(c.text)]
        if centre is None or not own:
            return []
        authored = sorted((c for c in own if is_summary_section(c.hit.chunk.section)), key=lambda c: c.start)
        if authored:
            return authored[:SUMMARY_SENTENCES]
        own.sort(key=lambda c: -(float(self.vectors[c.row] @ centre) - penalty(c.text, c.hit, False)))
        chosen: list[Candidate] = []
        for cand in own:
            if len(chosen) == SUMMARY_SENTENCES:
                break
            if all(float(self.vectors[cand.row] @ self.vectors[c.row]) <= self.redundant for c in chosen):
                chosen.append(cand)
        return sorted(chosen, key=lambda c: c.start)

    def gist_spans(self, doc: Document, sentences: list[Span], gist: str) -> list[Span]:
        """The first `SUMMARY_SENTENCES` full sentences of the document's section for its `gist`
        (CONCLUSIONS or RECOMMENDATIONS), found by heading; none when it has no such section."""
        for pattern in GIST_HEADINGS[gist]:
            for i, section in enumerate(doc.sections):
                if not re.search(pattern, section.title, re.I):
                    continue
                end = next((s.start for s in doc.sections[i + 1:] if s.level <= section.level), len(doc.text))
                spans = [(s, e) for s, e in sentences
                         if section.start < s < end and is_full_sentence(doc.text[s:e])]
                if spans:
                    return spans[:SUMMARY_SENTENCES]
        return []

    def advice(self, doc_id: str, ranked: list[Candidate]) -> list[Candidate]:
        """The document's best retrieved sentences in the words of advice, in document order."""
        own = [c for c in ranked if c.hit.chunk.doc_id == doc_id and is_full_sentence(c.text) and _ADVICE.search(c.text)]
        return sorted(own[:SUMMARY_SENTENCES], key=lambda c: c.start)

"""Summaries of one document ("Summarize the letter", "What is the Wilson report about?")."""

from __future__ import annotations

import numpy as np

from qa.candidate import Candidate, is_full_sentence, penalty
from qa.question import is_summary_section

SUMMARY_SENTENCES = 3


class Summarizer:
    """Picks a document's summary sentences among the candidates retrieved for it."""

    def __init__(self, vectors: np.ndarray, documents: list[str], texts: list[str], redundant: float):
        """`documents` and `texts`: the document and text of each sentence vector row."""
        self.vectors = vectors
        self.redundant = redundant
        rows: dict[str, tuple[list[int], list[int]]] = {}
        for row, (doc_id, text) in enumerate(zip(documents, texts)):
            rows.setdefault(doc_id, ([], []))[0 if is_full_sentence(text) else 1].append(row)
        self._centres = {}
        for doc_id, (full, other) in rows.items():  # the mean of its prose (of all, when it has none)
            centre = vectors[full or other].mean(axis=0)
            self._centres[doc_id] = centre / (np.linalg.norm(centre) or 1.0)

    def summary(self, doc_id: str, ranked: list[Candidate]) -> list[Candidate]:
        """The first `SUMMARY_SENTENCES` sentences of the document's own summary ("Abstract") when it
        was retrieved; otherwise as many of its retrieved sentences closest to the mean of its prose
        sentences, less the usual penalties, none repeating another; in document order."""
        centre = self._centres.get(doc_id)
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

"""What each document a question names says about its point: a quote from it, or a statement the
index checks.

"What do the letter and the initiative say about human rights?" gets lines from each document it
names. A document none of whose passages holds any word of the point gets the statement that it
uses none of them ("No passage of “…” uses the word “mercury”.", `qa.absence`), and no quote. Any
other document keeps the quotes the answer chose from it; when there are none, the point is read
as its phrases (its words as they stand together in the question: "human rights") and it gets:

1. its best retrieved sentence that names one (its words in order, a few others among them at
   most, as a topic is matched, `qa.mentions`), not a title, label or reference if another does;
2. else, when none of its passages names any, the statement that it never uses them ("No passage
   of “…” uses the words “human rights”.");
3. else the best sentence naming one of its passages that do, scored as retrieved sentences are:
   the retrieved passages are the question's best across the library, not each document's, so a
   document that speaks of the point can have none among them.

A named document thus always contributes a quote or a checked statement when the question has a
point; the work beyond the retrieved passages reads only the named documents' passages that hold
a phrase's words, found by their posting lists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from qa.absence import Absence, Statement
from qa.candidate import POOR_MARKS, Candidate
from qa.mentions import names_topic
from qa.question import Question
from qa.records import Hit
from qa.scorer import FEATURES

MAX_SEARCHED = 8  # passages of one document naming the phrase whose sentences are scored (the first ones)

Scoring = Callable[[Question, np.ndarray, list[Hit]], list[Candidate]]


class Sides:
    def __init__(self, absence: Absence, idf: Mapping[str, float], candidates: Scoring):
        """`candidates(question, query, hits)`: the sentences of `hits` scored, best first."""
        self.absence, self.idf, self.candidates = absence, idf, candidates

    def lines(self, question: Question, query: np.ndarray, named: tuple[str, ...], ranked: list[Candidate],
              quoted: list[Candidate], retrieved: int) -> list[Candidate | Statement]:
        """The answer's lines for a question naming the documents `named`: `quoted` (the sentences
        chosen, from `ranked`, the retrieved sentences best first) less those of documents that use
        no word of the point, then for each named document without a quote its statement or its
        side (`retrieved`: how many passages were retrieved, so that a searched one ranks after them)."""
        point = self.absence.point(question.text, question.naming)
        unused = {d: s for d in named if (s := self.absence.statement(d, point, self.idf)) is not None}
        lines: list[Candidate | Statement] = [c for c in quoted if c.hit.chunk.doc_id not in unused]
        said = {c.hit.chunk.doc_id for c in lines}
        phrases = self.absence.phrases(question.text, point)
        for doc_id in named:
            if doc_id in unused:
                lines.append(unused[doc_id])
            elif doc_id not in said and phrases:
                line = self._side(doc_id, phrases, question, query, ranked, retrieved)
                lines += [line] if line is not None else []
        return lines

    def _side(self, doc_id: str, phrases: list[str], question: Question, query: np.ndarray, ranked: list[Candidate],
              retrieved: int) -> Candidate | Statement | None:
        """What `doc_id` says of the point's `phrases`: its best retrieved sentence naming one, else
        the statement that none of its passages names any, else its best sentence naming one in the
        passages that do. A statement is preferred to a title, a label or a reference (`POOR_MARKS`:
        "Women and Modern World Social Charitable Center Azerbaijan", a signatory, says nothing)."""
        own = [c for c in ranked if c.hit.chunk.doc_id == doc_id and _names_any(phrases, c.text)]
        best = next((c for c in own if not _poor(c)), None)
        if best is not None:
            return best
        naming = list({c.chunk_id: c for phrase in phrases for c in self.absence.naming(doc_id, phrase)}.values())
        if not naming:
            return self.absence.phrase_statement(doc_id, phrases, self.idf)
        hits = [Hit(chunk, 0.0, retrieved + i + 1) for i, chunk in enumerate(naming[:MAX_SEARCHED])]
        searched = [c for c in self.candidates(question, query, hits) if _names_any(phrases, c.text)]
        return next((c for c in searched if not _poor(c)), None) or next(iter(own + searched), None)


def _poor(cand: Candidate) -> bool:
    """Whether `cand` bears a mark of sentences that rarely answer (`qa.candidate.POOR_MARKS`)."""
    return any(cand.features[FEATURES.index(mark)] for mark in POOR_MARKS)


def _names_any(phrases: list[str], text: str) -> bool:
    return any(names_topic(phrase, text) for phrase in phrases)

"""What a named document does not say, as a statement the index verifies.

"What do the letter and the initiative say about China?" when the initiative never uses the word:
instead of silence (or an unrelated quote) the answer says "No passage of “The initiative” uses
the word “China”." The statement is made from `NOT_MENTIONED` only after checking every passage
of that document, not only the retrieved ones: none of its passages holds any of the words
listed. That is a claim about words, which the index can check, not about meaning, which it
cannot; the words are the question's own, less those that name the documents. A document that
holds the words but never together gets the same statement about the phrase ("No passage of
“The initiative” uses the words “human rights”.", `phrase_statement`), checked in its passages
that hold all of them (`qa.sides` makes both for comparisons).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from corpus.chunking import Chunk
from corpus.document import Document
from index.lexical import tokenize
from qa.mentions import names_topic
from qa.naming import naming_phrases
from qa.question import key_terms

NOT_MENTIONED = "No passage of “{title}” uses {words}."
NOT_IN_LIBRARY = "No passage of any indexed document uses {words}."
MOST_WORDS = 3  # the rarest words of the point a statement lists
# Words that ask for a comparison ("Compare X and Y on Z", "How do X and Y differ on Z?"): no part of the point Z
COMPARING = frozenset(tokenize(["compare comparison contrast differ difference similar similarity alike each both"])[0])
_WORD = re.compile(r"[\w'’-]+")


@dataclass(frozen=True)
class Statement:
    """A line of an answer that is no quote: made from a template, its claim checked against the index."""

    text: str
    doc_id: str  # the document it is about; "" for the whole library

    def __post_init__(self):
        if not self.text.strip():
            raise ValueError("a statement must have text")


class Absence:
    """Which of a question's words each document holds nowhere, from the terms of every passage."""

    def __init__(self, documents: Mapping[str, Document], terms: Mapping[str, frozenset[str]], library: Collection[str],
                 holding: Callable[[str, tuple[str, ...]], list[Chunk]]):
        """`terms`: per document, every term any of its passages holds; `library`: every term any
        passage of any document holds; `holding(doc_id, terms)`: the passages of a document that
        hold all of `terms` (`qa.lexicon.passages_holding`)."""
        self.documents = documents
        self.terms = terms
        self.library = library
        self.holding = holding

    def point(self, question: str, naming: Collection[str] = ()) -> list[tuple[str, str]]:
        """The question's words for its point, as (word, term): its key terms less the words of the
        phrases naming documents ("the CRAFT code", "the HRC statement") and the terms `naming`
        (those that named a document: "trade", "initi" of "the trade initiative"), in the
        question's order."""
        text = _unnamed(question)
        wanted = set(key_terms(text)) - COMPARING - set(naming)
        out: dict[str, str] = {}
        for word in _WORD.findall(text):
            for term in key_terms(word):
                if term in wanted and term not in out:
                    out[term] = word
        return [(word, term) for term, word in out.items()]

    def phrases(self, question: str, point: list[tuple[str, str]]) -> list[str]:
        """The words of the question's `point` (as `point` reads it) as they stand together in the
        question, no other word among them, in its order: "human rights" in "Compare the letter and
        the initiative on human rights", "penalties", "companies" and "abuse rights" in "What
        penalties do X and Y propose for companies that abuse rights?"."""
        wanted = {term for _, term in point}
        runs: list[list[str]] = [[]]
        for word in _WORD.findall(_unnamed(question)):
            terms = key_terms(word)
            if terms and all(t in wanted for t in terms):
                runs[-1].append(word)
            elif runs[-1]:
                runs.append([])
        return list(dict.fromkeys(" ".join(run) for run in runs if run))

    def naming(self, doc_id: str, phrase: str) -> list[Chunk]:
        """The passages of `doc_id` that name `phrase`: its words in order, a few others among them
        at most, as `qa.mentions` matches a topic ("artisanal and small-scale mining" names
        "artisanal mining"), read only in the passages holding all of its words."""
        terms = tuple(dict.fromkeys(tokenize([phrase])[0]))
        if not terms or not set(terms) <= self.terms.get(doc_id, frozenset()):
            return []
        return [c for c in self.holding(doc_id, terms) if names_topic(phrase, c.text)]

    def phrase_statement(self, doc_id: str, phrases: list[str], idf: Mapping[str, float]) -> Statement | None:
        """`NOT_MENTIONED` for `doc_id` when none of its passages names any of `phrases` (each
        read as `naming` reads it), listing the rarest; None when one does (or there are none)."""
        if not phrases or any(self.naming(doc_id, phrase) for phrase in phrases):
            return None
        weighed = [(phrase, _mean([_weight(idf, t) for t in tokenize([phrase])[0]])) for phrase in phrases]
        return Statement(NOT_MENTIONED.format(title=self.documents[doc_id].title, words=_listed(weighed)), doc_id)

    def statement(self, doc_id: str, point: list[tuple[str, str]], idf: Mapping[str, float]) -> Statement | None:
        """`NOT_MENTIONED` for `doc_id` when none of its passages holds any word of `point`, listing
        the rarest; None when it holds one (or the point is empty)."""
        held = self.terms.get(doc_id, frozenset())
        if not point or any(term in held for _, term in point):
            return None
        return Statement(NOT_MENTIONED.format(title=self.documents[doc_id].title, words=_listed(_weighed(point, idf))), doc_id)

    def nowhere(self, point: list[tuple[str, str]], idf: Mapping[str, float]) -> Statement | None:
        """`NOT_IN_LIBRARY` when no passage of any document holds a word of `point`, else None."""
        if not point or any(term in self.library for _, term in point):
            return None
        return Statement(NOT_IN_LIBRARY.format(words=_listed(_weighed(point, idf))), "")


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _unnamed(question: str) -> str:
    """The question without its phrases naming documents ("the CRAFT code", "the HRC statement")."""
    for phrase, _ in naming_phrases(question):
        question = question.replace(phrase, " ")
    return question


def _weighed(point: list[tuple[str, str]], idf: Mapping[str, float]) -> list[tuple[str, float]]:
    """Each word of `point` with its term's weight."""
    return [(word, _weight(idf, term)) for word, term in point]


def _weight(idf: Mapping[str, float], term: str) -> float:
    """The term's weight; a term no passage holds is the rarest."""
    return idf.get(term, math.inf)


def _listed(weighed: list[tuple[str, float]]) -> str:
    """"the word “China”", "the words “human rights”" or "the words “penalty”, “fine” or
    “sentence”": the rarest (at most `MOST_WORDS`) of the words or phrases `weighed`, in their order."""
    rarest = sorted(sorted(range(len(weighed)), key=lambda i: -weighed[i][1])[:MOST_WORDS])
    words = [f"“{weighed[i][0]}”" for i in rarest]
    if len(words) == 1:
        return f"the word {words[0]}" if " " not in weighed[rarest[0]][0] else f"the words {words[0]}"
    return "the words " + ", ".join(words[:-1]) + f" or {words[-1]}"

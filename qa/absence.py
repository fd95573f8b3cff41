"""What a named document does not say, as a statement the index verifies.

"What do the letter and the initiative say about China?" when the initiative never uses the word:
instead of silence (or an unrelated quote) the answer says "No passage of “The initiative” uses
the word “China”." The statement is made from `NOT_MENTIONED` only after checking every passage
of that document, not only the retrieved ones: none of its passages holds any of the words
listed. That is a claim about words, which the index can check, not about meaning, which it
cannot; the words are the question's own, less those that name the documents.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from corpus.document import Document
from qa.naming import naming_phrases
from qa.question import key_terms

NOT_MENTIONED = "No passage of “{title}” uses {words}."
NOT_IN_LIBRARY = "No passage of any indexed document uses {words}."
MOST_WORDS = 3  # the rarest words of the point a statement lists
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

    def __init__(self, documents: Mapping[str, Document], terms: Mapping[str, frozenset[str]], library: Collection[str]):
        """`terms`: per document, every term any of its passages holds; `library`: every term any
        passage of any document holds."""
        self.documents = documents
        self.terms = terms
        self.library = library

    def point(self, question: str) -> list[tuple[str, str]]:
        """The question's words for its point, as (word, term): its key terms less the words of the
        phrases naming documents ("the CRAFT code", "the HRC statement"), in the question's order."""
        text = question
        for phrase, _ in naming_phrases(question):
            text = text.replace(phrase, " ")
        wanted = set(key_terms(text))
        out: dict[str, str] = {}
        for word in _WORD.findall(text):
            for term in key_terms(word):
                if term in wanted and term not in out:
                    out[term] = word
        return [(word, term) for term, word in out.items()]

    def statement(self, doc_id: str, point: list[tuple[str, str]], idf: Mapping[str, float]) -> Statement | None:
        """`NOT_MENTIONED` for `doc_id` when none of its passages holds any word of `point`, listing
        the rarest; None when it holds one (or the point is empty)."""
        held = self.terms.get(doc_id, frozenset())
        if not point or any(term in held for _, term in point):
            return None
        return Statement(NOT_MENTIONED.format(title=self.documents[doc_id].title, words=_listed(point, idf)), doc_id)

    def nowhere(self, point: list[tuple[str, str]], idf: Mapping[str, float]) -> Statement | None:
        """`NOT_IN_LIBRARY` when no passage of any document holds a word of `point`, else None."""
        if not point or any(term in self.library for _, term in point):
            return None
        return Statement(NOT_IN_LIBRARY.format(words=_listed(point, idf)), "")


def _listed(point: list[tuple[str, str]], idf: Mapping[str, float]) -> str:
    """"the word “China”" or "the words “penalty”, “fine” or “sentence”": the rarest of `point`
    (at most `MOST_WORDS`), in the question's order."""
    rarest = sorted(point, key=lambda wt: -idf.get(wt[1], 0.0))[:MOST_WORDS]
    words = [f"“{w}”" for w, _ in sorted(rarest, key=point.index)]
    return f"the word {words[0]}" if len(words) == 1 else "the words " + ", ".join(words[:-1]) + f" or {words[-1]}"

"""Names the documents never mention: "What did the Zorblax Mining Accord cap?" has no answer here.

A question's *names* are its runs of two or more capitalised words after the first word ("the
Mbeya Copper Transparency Act", "Octavia Rennard", joined by "of", "for", "and", "the":
"Bureau of Land Management"). A name is unknown when one of its words is in no document: not in
its text, title, author, type or id, compared without case and accents ("Frederic" finds
"Frédéric"), a title before it ("Mr", "Dr") not counted, and allowing a derived form of a
held word ("Leonean" of "Leone"). A single capitalised word is not enough to tell: "Brussels" may
stand for the European Commission, which the documents name instead.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from index.lexical import tokenize
from index.names import NameTable, fold, held_terms

MIN_STEM = 4  # a derived form must keep at least this many letters of the held word ...
MAX_SUFFIX = 3  # ... and add at most this many ("Leone" -> "Leonean")
_NAME = re.compile(
    r"\b[A-Z][\w’'&.-]*(?:\s+(?:(?:of|for|and|the|on|de|du|la|&)\s+)*[A-Z][\w’'&.-]*)+"
)
# Titles before a name, as tokenised: "Mr Gertler" is Gertler, whether or not a document writes "Mr"
HONORIFICS = frozenset("mr mrs ms miss dr prof sir dame madam mme mlle herr lord ladi".split())
_SENTENCE_START = re.compile(r"(?:^|[.?!:;]\s+|[\"“(]\s*)$")


class NameVocabulary:
    """The words the documents hold, to tell a name none of them mentions."""

    def __init__(self, vocabulary: Collection[str], names: NameTable):
        """`vocabulary`: the lexical terms of every passage (the index's vocabulary); `names`: the
        documents' names (title, author, type, id)."""
        self._vocabulary, self._names = vocabulary, names
        self._accented = held_terms(t for t in vocabulary if not t.isascii())  # "frédéric" held as "frederic" too

    def unknown(self, question: str) -> tuple[str, ...]:
        """The names of `question` that hold a word no document has."""
        found = []
        for match in _NAME.finditer(question):
            name = match.group()
            if _SENTENCE_START.search(question[:match.start()]):
                name = name.split(maxsplit=1)[1]  # a sentence's first word is capitalised anyway ("Did Octavia Rennard ...")
                if not _NAME.fullmatch(name):
                    continue
            if any(not self._holds(term) for term in tokenize([fold(name)])[0] if term not in HONORIFICS):
                found.append(name)
        return tuple(found)

    def _holds(self, term: str) -> bool:
        term = fold(term)
        return any(self._held(term[:k]) for k in [len(term), *range(max(MIN_STEM, len(term) - MAX_SUFFIX), len(term))])

    def _held(self, term: str) -> bool:
        return term in self._vocabulary or term in self._accented or self._names.holds(term)

"""Names the documents never mention: "What did the Zorblax Mining Accord cap?" has no answer here.

A question's *names* are its runs of two or more capitalised words after the first word ("the
Mbeya Copper Transparency Act", "Octavia Rennard", joined by "of", "for", "and", "the":
"Bureau of Land Management"). A name is unknown when one of its words is in no document: not in
its text, title, author, type or id, compared without case and accents ("Frederic" finds
"Frédéric") and allowing a derived form of a held word ("Leonean" of "Leone"). A single
capitalised word is not enough to tell: "Brussels" may stand for the European Commission, which
the documents name instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from corpus.document import Document
from index.lexical import tokenize

MIN_STEM = 4  # a derived form must keep at least this many letters of the held word ...
MAX_SUFFIX = 3  # ... and add at most this many ("Leone" -> "Leonean")
_NAME = re.compile(
    r"\b[A-Z][\w’'&.-]*(?:\s+(?:(?:of|for|and|the|on|de|du|la|&)\s+)*[A-Z][\w’'&.-]*)+"
)
_SENTENCE_START = re.compile(r"(?:^|[.?!:;]\s+|[\"“(]\s*)$")


def fold(term: str) -> str:
    """A term without case and accents."""
    return "".join(c for c in unicodedata.normalize("NFKD", term) if not unicodedata.combining(c)).casefold()


class NameVocabulary:
    """The words the documents hold, to tell a name none of them mentions."""

    def __init__(self, documents: Iterable[Document], terms: Iterable[str]):
        """`terms`: the lexical terms of every passage (the index's vocabulary)."""
        held = set(terms)
        for doc in documents:
            held |= set(tokenize([f"{doc.title} {doc.author} {doc.doc_type} {doc.doc_id.replace('-', ' ')}"])[0])
        accented = [t for t in held if not t.isascii()]  # "frédéric" is not stemmed, "frederic" is: both forms
        held |= set(tokenize([fold(" ".join(accented))])[0]) if accented else set()
        self._held = frozenset(fold(t) for t in held)

    def unknown(self, question: str) -> tuple[str, ...]:
        """The names of `question` that hold a word no document has."""
        found = []
        for match in _NAME.finditer(question):
            name = match.group()
            if _SENTENCE_START.search(question[:match.start()]):
                name = name.split(maxsplit=1)[1]  # a sentence's first word is capitalised anyway ("Did Octavia Rennard ...")
                if not _NAME.fullmatch(name):
                    continue
            if any(not self._holds(term) for term in tokenize([fold(name)])[0]):
                found.append(name)
        return tuple(found)

    def _holds(self, term: str) -> bool:
        term = fold(term)
        if term in self._held:
            return True
        return any(term[:k] in self._held for k in range(max(MIN_STEM, len(term) - MAX_SUFFIX), len(term)))

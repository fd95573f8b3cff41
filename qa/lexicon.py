"""The library's terms, looked up when a question needs them rather than gathered at start-up.

Term statistics come from the lexical index (its posting lists: which chunks hold a term), the
terms of a sentence or a document from tokenising that sentence or document when first asked for,
then cached. Opening the assistant therefore does not read every passage, and a question's work
grows with the sentences and documents it touches, not with the library.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from functools import lru_cache

import numpy as np

from corpus.chunking import Chunk
from index.lexical import tokenize
from index.store import IndexData

SENTENCE_CACHE = 65536  # sentences whose terms are kept
DOCUMENT_CACHE = 256  # documents whose terms are kept


class Idf(Mapping[str, float]):
    """The inverse document frequency over the chunks of each indexed term: log(1 + n / df)."""

    def __init__(self, index: IndexData):
        self._lexical = index.lexical
        self._n = max(1, len(index.chunks))

    def __getitem__(self, term: str) -> float:
        df = self._lexical.document_frequency(term)
        if not df:
            raise KeyError(term)
        return math.log(1 + self._n / df)

    def __iter__(self) -> Iterator[str]:
        return (t for t in self._lexical.vocabulary if self._lexical.document_frequency(t))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    @property
    def unseen(self) -> float:
        """The weight of a term no passage holds (as if half a chunk held it)."""
        return math.log(1 + self._n / 0.5)

    def weight(self, term: str) -> float:
        """The IDF of `term`, or `unseen` when no passage holds it (such a term weighs most)."""
        return self.get(term, self.unseen)


class DocumentTerms(Mapping[str, frozenset[str]]):
    """Per document, every term any of its passages holds (tokenised when first asked for)."""

    def __init__(self, index: IndexData):
        self._index = index
        self._terms = lru_cache(maxsize=DOCUMENT_CACHE)(self._read)

    def _read(self, doc_id: str) -> frozenset[str]:
        chunks = self._index.document_chunks(doc_id)
        return frozenset(t for terms in tokenize([c.text for c in chunks]) for t in terms)

    def __getitem__(self, doc_id: str) -> frozenset[str]:
        if doc_id not in self._index.documents:
            raise KeyError(doc_id)
        return self._terms(doc_id)

    def __iter__(self) -> Iterator[str]:
        return iter(self._index.documents)

    def __len__(self) -> int:
        return len(self._index.documents)


class SentenceTerms:
    """The terms of each sentence, by sentence vector row, and the document each row belongs to."""

    def __init__(self, index: IndexData):
        self._index = index
        layout = index.layout  # from its arrays: no Python object per document
        order = np.argsort(layout.first_sentence, kind="stable")
        self._firsts = np.asarray(layout.first_sentence[order], dtype=np.int64)
        self._order, self._ids = order, layout.doc_ids
        self._terms = lru_cache(maxsize=SENTENCE_CACHE)(self._read)

    def document(self, row: int) -> str:
        """The document of sentence vector `row`."""
        return self._ids[int(self._order[np.searchsorted(self._firsts, row, side="right") - 1])]

    def text(self, row: int) -> str:
        doc_id = self.document(row)
        start, end = self._index.sentences[doc_id][row - self._index.sentence_rows[doc_id]]
        return self._index.documents[doc_id].text[start:end]

    def _read(self, row: int) -> frozenset[str]:
        return frozenset(tokenize([self.text(row)])[0])

    def __getitem__(self, row: int) -> frozenset[str]:
        return self._terms(row)

    def rows(self, doc_id: str) -> range:
        """The sentence vector rows of document `doc_id`."""
        first = self._index.sentence_rows[doc_id]
        return range(first, first + len(self._index.sentences[doc_id]))


def documents_holding(index: IndexData, word: str) -> list[str]:
    """The ids of the documents some passage of which holds `word` (as the lexical index reads
    it), in document order: from the word's posting list, not a scan of the library."""
    rows = _rows_holding(index, tuple(tokenize([word])[0]))
    return list(dict.fromkeys(index.chunks[int(r)].doc_id for r in rows))


def passages_holding(index: IndexData, doc_id: str, terms: tuple[str, ...]) -> list[Chunk]:
    """The chunks of document `doc_id` whose passages hold every one of `terms` (as the lexical
    index writes them), in order: from the terms' posting lists within the document's rows (a
    document's chunk rows are contiguous), not a scan of its text."""
    position = index.layout.position.get(doc_id)
    if position is None:
        return []
    first = int(index.layout.first_chunk[position])
    return index.chunks.take(_rows_holding(index, terms, (first, first + int(index.layout.chunk_counts[position]))))


def _rows_holding(index: IndexData, terms: tuple[str, ...], within: tuple[int, int] | None = None) -> np.ndarray:
    """The chunk rows whose passages hold every one of `terms`, in row order (none for no terms),
    only those in `within` (first, last + 1) when given: the terms' posting lists intersected."""
    rows = np.zeros(0, dtype=np.int64)
    for i, term in enumerate(terms):
        postings = index.lexical.rows_with(term)  # in row order
        if within is not None:
            postings = postings[np.searchsorted(postings, within[0]):np.searchsorted(postings, within[1])]
        rows = postings if i == 0 else np.intersect1d(rows, postings)
        if not len(rows):
            break
    return rows

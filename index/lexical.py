"""The lexical index: BM25 (bm25s) over the same chunks, with English stemming and stop words."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np

LEXICAL_SETTINGS = {"library": "bm25s", "stemmer": "english", "stopwords": "en", "method": "lucene"}


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased words of two or more characters, English stop words removed, stemmed.

    The same rule as `bm25s.tokenize(..., stopwords="en", stemmer=...)`, without its
    per-call overhead, so that indexing and querying always agree.
    """
    stop, stem = _stopwords(), _stemmer().stemWord
    return [[stem(w) for w in _TOKEN.findall(text.lower()) if w not in stop] for text in texts]


class LexicalIndex:
    """BM25 scores for every chunk, saved as bm25s's own numpy/JSON files (no pickle)."""

    def __init__(self, retriever, size: int):
        self._retriever = retriever
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> "LexicalIndex":
        import bm25s

        retriever = bm25s.BM25(method=LEXICAL_SETTINGS["method"])
        retriever.index(tokenize(texts), show_progress=False)
        return cls(retriever, len(texts))

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> "LexicalIndex":
        import bm25s

        return cls(bm25s.BM25.load(str(folder), show_progress=False, verbosity=0), size)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for `query` (zeros when no query term is indexed)."""
        return self.term_scores(tokenize([query])[0])

    def term_scores(self, terms: list[str] | tuple[str, ...]) -> np.ndarray:
        """BM25 score of every chunk for already tokenized (stemmed) query terms."""
        vocab = self._retriever.vocab_dict
        tokens = [t for t in terms if t in vocab]
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)

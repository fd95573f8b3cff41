"""The lexical index built from each chunk's terms, kept in the generation so that a build
tokenises only new chunks.

`tokens.npy` holds every chunk's terms (as `index.lexical.tokenize` writes them) as ids into
the BM25 index's vocabulary, chunk after chunk in row order, and `token_counts.npy` how many
each chunk row has. `build_bm25` makes from them the scores bm25s's own `BM25.index` makes
from the token lists (the same arrays, bit for bit, in the same numpy/JSON files), with numpy
over all chunks at once instead of Python loops per chunk: at 100,000 chunks a few seconds
instead of about half a minute, on top of the minute that tokenising them all again took.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.lexical import LEXICAL_SETTINGS, LexicalIndex, tokenize

TOKENS_FILE = "tokens.npy"
TOKEN_COUNTS_FILE = "token_counts.npy"


@dataclass
class ChunkTerms:
    """Every chunk's terms as ids into `terms`, chunk after chunk (`counts` per chunk row)."""

    ids: np.ndarray  # uint32
    counts: np.ndarray  # int32, one per chunk row
    terms: list[str]

    def save(self, folder: Path) -> None:
        np.save(folder / TOKENS_FILE, self.ids, allow_pickle=False)
        np.save(folder / TOKEN_COUNTS_FILE, self.counts, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, lexical: LexicalIndex) -> "ChunkTerms | None":
        """The terms saved in a generation (memory-mapped), their names from its BM25
        vocabulary; None when missing or not of that vocabulary."""
        try:
            ids = np.load(folder / TOKENS_FILE, mmap_mode="r", allow_pickle=False)
            counts = np.load(folder / TOKEN_COUNTS_FILE, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError):
            return None
        vocabulary = {i: t for t, i in lexical._retriever.vocab_dict.items() if t != ""}
        terms = [vocabulary.get(i) for i in range(len(vocabulary))]
        if None in terms or len(counts) != lexical.size or int(counts.sum()) != len(ids) or (len(ids) and int(ids.max()) >= len(terms)):
            return None
        return cls(ids, counts, terms)


class TermsBuilder:
    """Collects chunks' terms in row order: runs of another `ChunkTerms` (whose vocabulary it
    starts from) and newly tokenised passages."""

    def __init__(self, base: ChunkTerms | None = None):
        self.base = base
        self.terms = list(base.terms) if base else []
        self._ids = {t: i for i, t in enumerate(self.terms)}
        self._offsets = np.concatenate([[0], np.cumsum(base.counts, dtype=np.int64)]) if base else None
        self.id_parts: list[np.ndarray] = []
        self.count_parts: list[np.ndarray] = []

    def add_rows(self, start: int, stop: int) -> None:
        """The base's chunk rows start..stop-1."""
        self.id_parts.append(self.base.ids[self._offsets[start]:self._offsets[stop]])
        self.count_parts.append(self.base.counts[start:stop])

    def add_passages(self, texts: Iterable[str]) -> None:
        tokens = tokenize(list(texts))
        ids = self._ids
        for terms in tokens:
            for term in terms:
                if term not in ids:
                    ids[term] = len(self.terms)
                    self.terms.append(term)
        self.id_parts.append(np.fromiter((ids[t] for terms in tokens for t in terms), np.uint32))
        self.count_parts.append(np.fromiter(map(len, tokens), np.int32, len(tokens)))

    def result(self) -> ChunkTerms:
        """The terms collected, the vocabulary cut to the terms still used (in their order)."""
        ids = np.concatenate(self.id_parts or [np.zeros(0, np.uint32)]).astype(np.uint32, copy=False)
        counts = np.concatenate(self.count_parts or [np.zeros(0, np.int32)]).astype(np.int32, copy=False)
        used = np.bincount(ids, minlength=len(self.terms)) > 0
        terms = self.terms
        if not used.all():
            ids = (np.cumsum(used) - 1).astype(np.uint32)[ids]
            terms = [t for t, u in zip(terms, used.tolist()) if u]
        return ChunkTerms(ids, counts, terms)


def build_bm25(chunk_terms: ChunkTerms) -> LexicalIndex:
    """The BM25 index of the chunks, as bm25s's `BM25(method=...).index(token lists)` makes it.

    Columns are terms in `chunk_terms.terms` order (bm25s orders them as its set of tokens
    iterates, which only the vocabulary's ids reflect); each column holds its chunks' scores
    in row order, idf * tf / (tf + k1 * (1 - b + b * length / mean length)) computed in the
    same types and order of operations as bm25s, so the scores are the same floats."""
    import bm25s

    retriever = bm25s.BM25(method=LEXICAL_SETTINGS["method"])
    if retriever.method != "lucene" or retriever.idf_method != "lucene" or retriever.dtype != "float32":
        raise ValueError(f"build_bm25 makes lucene float32 scores, not {retriever.method}/{retriever.idf_method}/{retriever.dtype}")
    counts = np.asarray(chunk_terms.counts, dtype=np.int64)
    rows, n_terms = len(counts), len(chunk_terms.terms)
    chunk = np.repeat(np.arange(rows, dtype=np.int64), counts)
    width = max(rows, 1)
    pairs, tf = np.unique(np.asarray(chunk_terms.ids, dtype=np.int64) * width + chunk, return_counts=True)
    term, row = np.divmod(pairs, width)
    del pairs, chunk
    df = np.bincount(term, minlength=n_terms)
    idf = np.array([math.log(1 + (rows - d + 0.5) / (d + 0.5)) for d in df.tolist()], dtype=np.float32)
    mean_length = counts.mean() if rows else 1.0
    k1, b = retriever.k1, retriever.b
    # bm25s adds a float64 scalar to a float32 array: float64 under NEP 50 (numpy 2), float32 before
    work = (np.float64(1.0) + np.zeros(1, np.float32)).dtype
    length_norm = (k1 * ((1 - b) + b * counts.astype(np.float64) / mean_length)).astype(work)
    tf = tf.astype(np.float32).astype(work)
    scores = (idf[term].astype(work) * (tf / (length_norm[row] + tf))).astype(np.float32)
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    retriever.scores = {"data": scores, "indices": row.astype(np.int32), "indptr": indptr, "num_docs": rows}
    retriever.vocab_dict = {t: i for i, t in enumerate(chunk_terms.terms)}
    retriever.vocab_dict.setdefault("", n_terms)  # bm25s's empty token, with no column
    retriever.unique_token_ids_set = set(retriever.vocab_dict.values())
    retriever.nonoccurrence_array = None
    return LexicalIndex(retriever, rows)

"""The lexical index: BM25 (bm25s) over the same chunks, with English stemming and stop words."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np

LEXICAL_SETTINGS = {"library": "bm25s", "stemmer": "english", "stopwords": "en", "method": "lucene", "spelling": "american"}


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


_TOKEN = re.compile(r"(?u)\b\w\w+\b")

# British spellings are folded into American ones before stemming, so that "labour" finds
# "labor", "organisation" "organization" and "tumour" "tumor": UN documents and US reports mix them.
_ISE = re.compile(r"^(\w{3,}?)(is|ys)(e|es|ed|ing|ation|ations|er|ers)$")  # organise, analysed
_ISE_KEPT = frozenset(  # words whose -ise is English on both sides of the Atlantic
    "advis revis devis supervis televis compris compromis enterpris exercis expertis franchis merchandis "
    "premis promis surpris precis concis paradis treatis chemis demis despis disguis improvis incis excis "
    "appris repris prais cruis bruis advertis chastis circumcis otherwis likewis clockwis anticlockwis "
    "noncompris".split()
)
_OUR = re.compile(
    r"^(lab|col|fav|hon|behavi|neighb|harb|vap|rum|hum|endeav|vig|sav|od|arm|tum|parl|val|flav|clam|cand|rig|splend|savi)"
    r"our(\w*)$"
)
_RE = re.compile(r"^(cent|met|lit|fib|theat|calib|somb|spect|sab|meag|lust)re(s|d)?$")  # centre, metres
_DOUBLE_L = re.compile(
    r"^(panel|travel|model|label|cancel|fuel|counsel|signal|channel|level|tunnel|funnel|marshal|total|equal|jewel"
    r"|dial|duel|rival|shovel|spiral|quarrel)l(ed|ing|er|ers|or|ors|ist|ists)$"
)
_BRITISH_PARTS = (  # inside a word: haemoglobin, paediatric, oesophageal, anaemia, foetal
    ("haem", "hem"), ("aemi", "emi"), ("paed", "ped"), ("oesoph", "esoph"), ("oestr", "estr"), ("foet", "fet"),
    ("aetiol", "etiol"), ("anaesth", "anesth"), ("oedem", "edem"), ("diarrhoe", "diarrhe"), ("coeliac", "celiac"),
    ("gynaec", "gynec"), ("ischaem", "ischem"), ("programme", "program"),
)
_BRITISH_WORDS = {"defence": "defense", "offence": "offense", "licence": "license", "pretence": "pretense",
                  "catalogue": "catalog", "catalogues": "catalogs", "grey": "gray", "ageing": "aging"}


@lru_cache(maxsize=65536)
def american(word: str) -> str:
    """The American spelling of a lower-cased British word ("organisation" -> "organization")."""
    if word in _BRITISH_WORDS:
        return _BRITISH_WORDS[word]
    ise = _ISE.match(word)
    if ise and ise.group(1) + ise.group(2) not in _ISE_KEPT:
        return ise.group(1) + ("iz" if ise.group(2) == "is" else "yz") + ise.group(3)
    word = _OUR.sub(r"\1or\2", word)
    word = _RE.sub(lambda m: m.group(1) + "er" + {"": "", "s": "s", "d": "ed"}[m.group(2) or ""], word)
    word = _DOUBLE_L.sub(r"\1\2", word)
    for british, us in _BRITISH_PARTS:
        if british in word:
            word = word.replace(british, us)
    return word


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased words of two or more characters, English stop words removed, in American spelling, stemmed.

    The same rule as `bm25s.tokenize(..., stopwords="en", stemmer=...)`, without its
    per-call overhead, so that indexing and querying always agree.
    """
    stop, stem = _stopwords(), _stemmer().stemWord
    return [[stem(american(w)) for w in _TOKEN.findall(text.lower()) if w not in stop] for text in texts]


def words(text: str) -> list[str]:
    """Every word of `text` as `tokenize` writes it, stop words kept: for matching a phrase."""
    stem = _stemmer().stemWord
    return [stem(american(w)) for w in _TOKEN.findall(text.lower())]


def best_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """The rows of the `k` highest positive scores (ties go to the lower row), in row order.

    Exact, but without ordering every matching row: the `k`-th best score of every `step`-th
    row is a real score, so no more than `k` rows beat it unless they are among the best, and
    only the rows scoring at least that are ranked. At 1M chunks with 350,000 matching, this
    reads the array twice instead of partitioning the 350,000 (whose many tied scores make
    numpy's introselect slow).
    """
    if k <= 0:
        return np.zeros(0, np.int64)
    step = max(1, int(np.sqrt(len(scores) / k)))
    sample = scores[::step]
    sample = sample[sample > 0]
    floor = np.partition(sample, len(sample) - k)[len(sample) - k] if len(sample) >= k else 0.0
    rows = np.flatnonzero(scores >= floor) if floor > 0 else np.flatnonzero(scores > 0)
    if len(rows) <= k:
        return rows
    values = scores[rows]
    kth = np.partition(values, len(values) - k)[len(values) - k]
    above = values > kth
    tied = np.flatnonzero(values == kth)[: k - int(above.sum())]
    return np.sort(np.concatenate([rows[above], rows[tied]]))


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
    def load(cls, folder: Path, size: int, mmap: bool = False) -> "LexicalIndex":
        """The index saved in `folder`; with `mmap`, its score arrays are mapped from disk, not read."""
        import bm25s

        return cls(bm25s.BM25.load(str(folder), show_progress=False, verbosity=0, mmap=mmap), size)

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

    @property
    def vocabulary(self) -> Mapping[str, int]:
        """Every indexed term (as `tokenize` writes it), to its column."""
        return self._retriever.vocab_dict

    def rows_with(self, term: str) -> np.ndarray:
        """The chunk rows whose passage holds `term`, in row order (its posting list)."""
        start, end = self._postings(term)
        return np.asarray(self._retriever.scores["indices"][start:end], dtype=np.int64)

    def document_frequency(self, term: str) -> int:
        """How many chunks' passages hold `term`."""
        start, end = self._postings(term)
        return end - start

    def _postings(self, term: str) -> tuple[int, int]:
        """Where `term`'s chunk rows lie in bm25s's column-compressed scores (empty when none)."""
        column = self._retriever.vocab_dict.get(term)
        indptr = self._retriever.scores["indptr"]
        if column is None or column + 1 >= len(indptr):  # bm25s keeps "" in its vocabulary, with no column
            return 0, 0
        return int(indptr[column]), int(indptr[column + 1])

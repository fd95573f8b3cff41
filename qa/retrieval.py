"""Retrieval: dense (FAISS), lexical (BM25) and hybrid over chunks.

Only candidates are scored: the chunks nearest the question by FAISS search, the best by BM25
and those of the documents the question names (`CANDIDATES` from each search), so a question's
work does not grow with the library beyond those searches. Dense similarity of a candidate
blends the question's cosine with the whole chunk and with its best-matching sentence (sentence
embeddings stored at build time), so one precise sentence can lift its passage.
Hybrid fuses the two rankings by a convex combination of scores min-max normalised over the candidates,
plus a small prior for the documents the question names by author, type, title or file name ("the
letter", "the Alliance", "the USEITI factsheet"; `qa/naming.py`): a question that names none, as
no SciFact claim does, gets no prior. The fusion and its weights were chosen by measurement
on the gold questions and on SciFact train queries (README, "Retrieval tuning").
Results never hold two chunks that overlap in one document or are near-duplicates. A question
that names several documents ("the HRC statement and the letter") gets each one's best passage;
"who wrote the ... report?" adds the named document's author to the BM25 query; other questions
leave the words naming an author out of it. "What does CCCMC stand for?" gets a passage that spells
the acronym out; "Summarize the letter" gets the letter's passages most like the whole.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial

import numpy as np

from corpus.chunking import Chunk
from corpus.sentences import is_full_sentence
from index.lexical import best_rows, tokenize
from index.store import IndexData
from qa.acronyms import Glossary, asked_acronym
from qa.lexicon import documents_holding
from qa.naming import DocumentNames
from qa.publication import date_span, dated_subject
from qa.question import asks_documents, asks_summary, is_summary_section, key_terms
from qa.records import MODES, Hit

SENTENCE_BLEND = 0.5  # share of the best sentence's cosine in a chunk's dense score
DENSE_WEIGHT = 0.55  # share of the dense score in the hybrid fusion (the rest is BM25)
DOC_PRIOR = 0.3  # weight of the author/type match in the hybrid fusion
TOPIC_SHARE = 0.2  # a word in more of the passages than this is a topic word and names no document
DENSE_SLOT = 4  # in hybrid mode the passage closest in meaning ranks no lower than this place (0-based: fifth)
PROSE_SHARE = 0.6  # a passage a summary may draw on has at least this share of its text in full sentences
NEAR_DUPLICATE = 0.97  # cosine above which two chunks count as the same passage
CANDIDATES = 100  # chunks each search (dense, BM25) puts forward for scoring
KNOWN_LISTED = 10  # document ids an unknown-document error lists
NAMING_CACHE = 64  # questions whose naming words are kept (concurrent clients each ask one at a time)


class UnknownDocument(ValueError):
    """A document filter names a document the index does not hold."""


@dataclass(frozen=True)
class Ranked:
    rows: np.ndarray  # candidate chunk rows, best first
    scores: np.ndarray  # fused score of each ranked row
    dense: np.ndarray  # dense similarity of each ranked row
    lexical: np.ndarray  # BM25 score of each ranked row
    named: tuple[str, ...] = ()  # documents the question names (`Retriever.named_documents`)

    def position(self) -> dict[int, int]:
        """The place of each ranked chunk row."""
        return {int(r): i for i, r in enumerate(self.rows)}


class Retriever:
    def __init__(self, index: IndexData):
        self.index = index
        self.vectors = index.chunk_vectors()  # memory-mapped: rows are read as candidates need them
        self._rows_of = index.rows_by_document
        self._doc_of_row = index.chunk_documents()  # the position of each chunk row's document
        # Names of documents (author, type, title, id): an inverted index, looked up per question.
        self.names = DocumentNames(index.names, index.layout.doc_ids, self._is_topic)
        # One question asks for them up to three times (its terms, its search, the documents it names)
        self._named = lru_cache(maxsize=NAMING_CACHE)(partial(self.names.named, collective=_COLLECTIVE))
        self.glossary = Glossary(index.documents, partial(documents_holding, index))

    def _is_topic(self, term: str) -> bool:
        """Whether `term` is in more than `TOPIC_SHARE` of the passages ("green", "mining"): it names no document."""
        return self.index.lexical.document_frequency(term) > TOPIC_SHARE * max(1, len(self.index.chunks))

    def allowed_rows(self, doc_ids: tuple[str, ...]) -> np.ndarray | None:
        if not doc_ids:
            return None
        unknown = [d for d in doc_ids if d not in self._rows_of]
        if unknown:
            known = sorted(self._rows_of)
            listed = ", ".join(known[:KNOWN_LISTED]) + (f" … ({len(known)} in all)" if len(known) > KNOWN_LISTED else "")
            raise UnknownDocument(f"unknown document id {unknown[0]!r}; known ids: {listed}")
        return np.concatenate([self._rows_of[d] for d in doc_ids])

    def dense_scores(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Cosine of each chunk of `rows`, blended with its best sentence's (sentences of those chunks only)."""
        scores = self.vectors[rows] @ query if len(rows) else np.zeros(0, np.float32)
        if self.index.sentence_vectors is None or not len(rows):
            return scores.astype(np.float32)
        sentence_rows, owner = self.index.context_sentence_rows(rows)
        if len(sentence_rows):
            best = np.full(len(rows), -1.0, dtype=np.float32)
            np.maximum.at(best, owner, self.index.sentence_vectors[sentence_rows] @ query)
            has = best > -1.0
            scores[has] = (1 - SENTENCE_BLEND) * scores[has] + SENTENCE_BLEND * best[has]
        return scores.astype(np.float32)

    def candidate_rows(self, query: np.ndarray, lexical: np.ndarray, named: tuple[str, ...], depth: int, mode: str) -> np.ndarray:
        """The chunks worth scoring: the `depth` nearest by chunk vector (FAISS), the `depth` best by
        BM25 and the chunks of the documents the question names, in row order. Only these are
        scored further, so a question's work does not grow with the library beyond the searches."""
        parts = []
        if mode != "lexical" and self.index.dense.ntotal:
            _, nearest = self.index.dense.search(query.reshape(1, -1).astype(np.float32), min(depth, self.index.dense.ntotal))
            parts.append(nearest[0][nearest[0] >= 0])
        if mode != "dense":
            parts.append(best_rows(lexical, depth))
        if mode != "lexical":
            parts += [self._rows_of[d] for d in named if d in self._rows_of]
        return np.unique(np.concatenate(parts)).astype(np.int64) if parts else np.zeros(0, np.int64)

    def _document_match(self, question: str) -> dict[int, float]:
        """Per document (by position) the question names by author, type or title, how well, in (0, 1]."""
        return self.names.match(question, _COLLECTIVE)

    def named_documents(self, question: str) -> tuple[str, ...]:
        """Documents the question names clearly (e.g. "the HRC statement and the civil society letter")."""
        return tuple(self._naming_words(question))

    def _naming_words(self, question: str) -> dict[str, tuple[set[str], set[str]]]:
        """For each document the question names, the question's terms that name it: (author words,
        type and title words); shared between the calls for one question: read only."""
        return self._named(question)

    def naming_terms(self, question: str) -> tuple[str, ...]:
        """The question's terms that name a document by its type or title ("letter"; "trade",
        "initi" of "the trade initiative"), not those naming its author (a topic word may name one)."""
        return tuple(sorted(set().union(*(titles for _, titles in self._naming_words(question).values()))))

    def searched_terms(self, question: str) -> tuple[str, ...]:
        """The question's key terms as BM25 searches them (`_lexical_terms`)."""
        return self._lexical_terms(question, self._naming_words(question))

    def _lexical_terms(self, question: str, naming: dict[str, tuple[set[str], set[str]]]) -> tuple[str, ...]:
        """The question's key terms for BM25.

        "Who wrote the Wilson report?" adds the named document's author. Otherwise the words that
        name a document's author ("according to DiCarlo", "the Wilson report") are left out, unless
        the question asks what or who that is ("What is the Zhongguancun Green Mine Industry
        Alliance?"): the document prior already favours that document, and within it those words
        match the front matter and the author's biography rather than what is asked.
        """
        terms = key_terms(question)
        if _ASKS_AUTHOR.search(question):
            for doc_id in naming:
                terms += tuple(t for t in tokenize([self.index.documents[doc_id].author])[0] if t not in terms)
            return terms
        if _ASKS_IDENTITY.match(question):
            return terms
        authors = set().union(*(author for author, _ in naming.values()))
        return tuple(t for t in terms if t not in authors) or terms

    def rank(
        self, question: str, query: np.ndarray, mode: str = "hybrid", doc_ids: tuple[str, ...] = (), depth: int = CANDIDATES
    ) -> Ranked:
        """Rank the candidate chunks (every chunk of `doc_ids`, when given) for a question whose
        embedding is `query`; `depth`: how many each search contributes (`candidate_rows`)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        allowed = self.allowed_rows(doc_ids)
        naming = self._naming_words(question)
        named = tuple(naming)
        lexical_all = self.index.lexical.term_scores(self._lexical_terms(question, naming)) if mode != "dense" else None
        if allowed is not None:
            rows = np.unique(allowed)
        else:
            rows = self.candidate_rows(query, lexical_all, named, depth, mode)
        dense = self.dense_scores(query, rows) if mode != "lexical" else np.zeros(len(rows), np.float32)
        lexical = lexical_all[rows] if lexical_all is not None else np.zeros(len(rows), np.float32)
        if mode == "dense":
            scores = dense
        elif mode == "lexical":
            keep = lexical > 0
            rows, dense, lexical = rows[keep], dense[keep], lexical[keep]
            scores = lexical
        else:
            match = self._document_match(question)
            prior = np.array([match.get(int(d), 0.0) for d in self._doc_of_row[rows]], dtype=np.float32)
            scores = DENSE_WEIGHT * _minmax(dense) + (1 - DENSE_WEIGHT) * _minmax(lexical, 0.0) + DOC_PRIOR * prior
            scores = _lift_densest(scores, dense)
        order = np.lexsort((-dense, -scores))
        return Ranked(rows[order], scores[order], dense[order], lexical[order], named)

    def search(self, question: str, query: np.ndarray, k: int = 5, mode: str = "hybrid", doc_ids: tuple[str, ...] = ()) -> list[Hit]:
        """The top `k` chunks, without overlapping or near-duplicate passages."""
        if k < 1:
            raise ValueError(f"k must be at least 1, not {k}")
        ranked = self.rank(question, query, mode, doc_ids)
        named = () if doc_ids else ranked.named
        if not doc_ids and asks_documents(question):  # "Which documents ...?": the best passage of each
            named = self.leading_documents(ranked, k)
        listed = set(map(int, ranked.rows))
        if not doc_ids and len(named) == 1 and asks_summary(question):  # "Summarize the letter"
            candidates = [r for r in self._central(named[0]) if r in listed]
        else:
            candidates = list(map(int, ranked.rows))
        rows: list[int] = []
        for row in candidates:
            if len(rows) == k:
                break
            if not any(self._same_passage(row, r) for r in rows):
                rows.append(row)
        if len(named) >= 2:
            rows = self._with_each_named(ranked, rows, named)
        asked = asked_acronym(question)
        if asked:  # "What does CCCMC stand for?": a passage that spells it out
            rows = self._with_passage(ranked, rows, k, lambda c: self.glossary.defines(asked[0], c.doc_id, c.start, c.end))
        dated = self._dated_at(question) if not doc_ids else None
        if dated:  # "When was the HRC statement issued?": the passage with its date line
            rows = self._with_passage(ranked, rows, k, lambda c: c.doc_id == dated[0] and c.start <= dated[1] < c.end)
        position = ranked.position()
        rows.sort(key=position.__getitem__)
        return [
            Hit(self.index.chunks[r], float(ranked.scores[position[r]]), rank, float(ranked.dense[position[r]]),
                float(ranked.lexical[position[r]]))
            for rank, r in enumerate(rows, start=1)
        ]

    def _central(self, doc_id: str) -> list[int]:
        """The prose chunks of a document, closest first to the mean of their embeddings: the passages
        most like the whole, which a summary draws on, after the first passage of the document's own
        summary ("Abstract", "Takeaways") when it has one. Lists (a letter's signatories, a title
        page) are left out when the document has prose."""
        rows = self._rows_of[doc_id]
        if not len(rows):
            return []
        prose = np.array([self._prose_share(int(r)) >= PROSE_SHARE for r in rows])
        rows = rows[prose] if prose.any() else rows
        vectors = self.vectors[rows]
        centre = vectors.mean(axis=0)
        centre /= np.linalg.norm(centre) or 1.0
        central = [int(rows[i]) for i in np.argsort(-(vectors @ centre), kind="stable")]
        authored = sorted((r for r in central if is_summary_section(self.index.chunks[r].section)),
                          key=lambda r: self.index.chunks[r].start)[:1]
        return authored + [r for r in central if r not in authored]

    def _prose_share(self, row: int) -> float:
        """The share of a chunk's characters in sentences that end like sentences ("." "?" ...)."""
        chunk = self.index.chunks[row]
        text = self.index.documents[chunk.doc_id].text
        spans = [(s, e) for _, (s, e) in self.index.chunk_sentences(chunk)]
        total = sum(e - s for s, e in spans)
        ended = sum(e - s for s, e in spans if is_full_sentence(text[s:e]))
        return ended / total if total else 0.0

    def leading_documents(self, ranked: Ranked, k: int) -> tuple[str, ...]:
        """The first `k` documents to appear in the ranking: documents ranked by their best chunk."""
        found: dict[str, None] = {}
        for row in ranked.rows:
            found.setdefault(self.index.chunks[int(row)].doc_id)
            if len(found) == k:
                break
        return tuple(found)

    def _with_each_named(self, ranked: Ranked, rows: list[int], named: tuple[str, ...]) -> list[int]:
        """When a question names several documents, each one's best passage takes a place in the results.

        It replaces the lowest-ranked passage of a document that holds more than one place.
        """
        rows = list(rows)
        for doc_id in named:
            held = Counter(self.index.chunks[r].doc_id for r in rows)
            if held[doc_id]:
                continue
            best = next(
                (int(r) for r in ranked.rows
                 if self.index.chunks[int(r)].doc_id == doc_id and not any(self._same_passage(int(r), o) for o in rows)),
                None,
            )
            spare = [r for r in rows if held[self.index.chunks[r].doc_id] > 1]
            if best is not None and spare:
                rows[rows.index(spare[-1])] = best
        return rows

    def _with_passage(self, ranked: Ranked, rows: list[int], k: int, wanted: Callable[[Chunk], bool]) -> list[int]:
        """`rows` with the best-ranked `wanted` passage in the last place, unless one holds a place already."""
        if any(wanted(self.index.chunks[r]) for r in rows):
            return rows
        kept = rows if len(rows) < k else rows[:-1]
        best = next((int(r) for r in ranked.rows
                     if wanted(self.index.chunks[int(r)]) and not any(self._same_passage(int(r), o) for o in kept)), None)
        return rows if best is None else kept + [best]

    def _dated_at(self, question: str) -> tuple[str, int] | None:
        """For "When was the HRC statement issued?": the one document its subject names and where its
        text gives its date; None when the question asks no such thing or the text has no date."""
        subject = dated_subject(question)
        named = self.named_documents(subject) if subject else ()
        span = date_span(self.index.documents[named[0]]) if len(named) == 1 else None
        return (named[0], span[0]) if span else None

    def _same_passage(self, row: int, other: int) -> bool:
        a, b = self.index.chunks[row], self.index.chunks[other]
        if a.doc_id == b.doc_id and a.start < b.end and b.start < a.end:
            return True
        return float(self.vectors[row] @ self.vectors[other]) >= NEAR_DUPLICATE


# "any document", "the documents", "which reports": the collection, not one document of that type
_COLLECTIVE = re.compile(
    r"\b(?:(?:any|all|each|every|which|what|a|another|other|some)\s+(?:of\s+the\s+)?(?:[\w-]+\s+)?"
    r"(?:document|report|text|source|paper|statement|letter)s?|(?:document|report|text|source|paper|statement|letter)s)\b",
    re.I,
)
_ASKS_AUTHOR = re.compile(r"\b(?:author(?:s|ed)?|wrote|written by|writer)\b", re.I)
# "Who is Jessica DiCarlo?", "What is the Zhongguancun Green Mine Industry Alliance?": a name and nothing
# else ("What is the Wilson report about?" asks about the report's content)
_NAME_WORD = r"(?-i:[A-Z][\w'’.&-]*)"
_ASKS_IDENTITY = re.compile(
    rf"\s*(?:(?:what|who)\s+(?:is|are|was|were)|tell\s+me\s+about)\s+(?:the\s+)?{_NAME_WORD}"
    rf"(?:\s+(?:(?:of|for|and|on|the|de|&)\s+)*{_NAME_WORD})*\s*[?.!]*\s*$",
    re.I,
)
def _lift_densest(scores: np.ndarray, dense: np.ndarray) -> np.ndarray:
    """`scores` with the densest row's raised to the score of place `DENSE_SLOT` when lower, so that
    it ranks there (ties go to the denser row): a paraphrased question shares few words with its
    answer, and BM25 can outvote the best meaning match."""
    if len(scores) <= DENSE_SLOT:
        return scores
    floor = float(np.partition(scores, -(DENSE_SLOT + 1))[-(DENSE_SLOT + 1)])
    densest = int(np.argmax(dense))
    if scores[densest] >= floor:
        return scores
    lifted = scores.copy()
    lifted[densest] = floor
    return lifted


def _minmax(scores: np.ndarray, low: float | None = None) -> np.ndarray:
    """Scores scaled to [0, 1] from `low` (default: their least) to their greatest (all zeros when
    they are all equal)."""
    if len(scores) == 0:
        return np.zeros(0, np.float32)
    low, high = float(scores.min()) if low is None else low, float(scores.max())
    return ((scores - low) / (high - low)).astype(np.float32) if high > low else np.zeros(len(scores), np.float32)

"""Records of the answering side: `Hit`, `Citation`, `Answer`, and their JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field

from corpus.chunking import Chunk

NO_ANSWER = "I can't find this in the indexed documents."  # the whole answer when evidence is too weak
MODES = ("dense", "lexical", "hybrid")
ANSWER_MODES = ("extractive", "llm")


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score (higher is better) and its 1-based rank."""

    chunk: Chunk
    score: float
    rank: int
    dense: float = 0.0  # cosine similarity of the question and the chunk
    lexical: float = 0.0  # BM25 score

    def __post_init__(self) -> None:
        if self.rank < 1:
            raise ValueError("rank must be at least 1")

    def to_json(self) -> dict:
        c = self.chunk
        return {
            "rank": self.rank, "doc_id": c.doc_id, "title": c.title, "chunk_id": c.chunk_id,
            "section": " › ".join(c.section), "page": c.page, "text": c.text, "score": round(self.score, 6),
            "start": c.start, "end": c.end,
        }


@dataclass(frozen=True)
class Quote:
    """A supporting sentence: `text` is the document's text at offsets start..end."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Citation:
    """A passage an answer uses, with the sentences of it that the answer quotes (first one first)."""

    n: int
    chunk: Chunk
    quotes: tuple[Quote, ...]
    score: float

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError("citation number n must be at least 1")
        if not self.quotes:
            raise ValueError(f"citation [{self.n}] must quote at least one sentence")
        c = self.chunk
        for q in self.quotes:
            if not c.start <= q.start < q.end <= c.end:
                raise ValueError(f"citation [{self.n}]: quote offsets must lie inside chunk {c.chunk_id}")
            if c.text[q.start - c.start:q.end - c.start] != q.text:
                raise ValueError(f"citation [{self.n}]: quote must equal the passage text at its offsets")

    @property
    def quote(self) -> Quote:
        return self.quotes[0]

    def to_json(self) -> dict:
        c = self.chunk
        return {
            "n": self.n, "doc_id": c.doc_id, "title": c.title, "chunk_id": c.chunk_id,
            "section": " › ".join(c.section), "page": c.page, "text": c.text, "quote": self.quote.text,
            "start": self.quote.start, "end": self.quote.end, "passage_start": c.start, "passage_end": c.end,
            "quotes": [{"quote": q.text, "start": q.start, "end": q.end} for q in self.quotes],
            "score": round(self.score, 6),
        }


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...]
    retrieved: tuple[Hit, ...]
    timings_ms: dict[str, float] = field(default_factory=dict)
    mode: str = "hybrid"
    answer_mode: str = "extractive"
    confidence: float = 0.0
    notice: str = ""  # e.g. why an LLM answer fell back to the extractive one
    unsupported: int = 0  # LLM sentences dropped because no passage supports them

    def __post_init__(self) -> None:
        if self.abstained and self.citations:
            raise ValueError("an abstained answer must not carry citations")
        if not self.abstained and not self.citations:
            raise ValueError("an answer that does not abstain must cite at least one passage")
        if [c.n for c in self.citations] != list(range(1, len(self.citations) + 1)):
            raise ValueError("citations must be numbered 1..n in order of first use")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        if self.answer_mode not in ANSWER_MODES:
            raise ValueError(f"answer_mode must be one of {', '.join(ANSWER_MODES)}")

    def to_json(self) -> dict:
        return {
            "question": self.question, "answer": self.text, "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "retrieved": [h.to_json() for h in self.retrieved],
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
            "mode": self.mode, "answer_mode": self.answer_mode, "confidence": round(self.confidence, 4),
            "notice": self.notice, "unsupported": self.unsupported,
        }

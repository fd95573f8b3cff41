"""An answer's text and citations from its quoted sentences and checked statements."""

from __future__ import annotations

from dataclasses import dataclass

from qa.absence import Statement
from qa.candidate import Candidate
from qa.records import Citation, Hit, Quote


@dataclass(frozen=True)
class Extract:
    text: str
    citations: tuple[Citation, ...]
    confidence: float
    abstained: bool


def compose(chosen: list[Candidate | Statement], confidence: float, hits: list[Hit], abstained: bool = False) -> Extract:
    """Answer text with a marker after every quoted sentence; citations numbered by first use.
    A `Statement` (checked when made) stands as it is, without a marker.

    A cited passage that was retrieved carries its own hit (and score), even when it was reached
    as the neighbour of another passage's quote.
    """
    retrieved = {h.chunk.chunk_id: h for h in hits}
    used: dict[str, tuple[Hit, list[Quote]]] = {}
    parts: list[str] = []
    quoted: set[str] = set()
    for cand in chosen:
        if isinstance(cand, Statement):
            parts.append(cand.text)
            continue
        said = " ".join(cand.text.split())
        if said in quoted:
            continue  # the document says it twice (a summary box and its body): quoted once
        quoted.add(said)
        chunk_id = cand.hit.chunk.chunk_id
        used.setdefault(chunk_id, (retrieved.get(chunk_id, cand.hit), []))[1].append(Quote(cand.text, cand.start, cand.end))
        parts.append(f"{cand.text} [{list(used).index(chunk_id) + 1}]")
    citations = tuple(
        Citation(n, hit.chunk, tuple(quotes), hit.score) for n, (hit, quotes) in enumerate(used.values(), start=1)
    )
    return Extract(" ".join(parts), citations, confidence, abstained)

"""An answer's text and citations from its quoted sentences and checked statements."""

from __future__ import annotations

import re
from collections.abc import Callable
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


@dataclass(frozen=True)
class Item:
    """Where a quoted sentence sits in a list or table: the start of its item or row, and the
    item's bullet or number when the sentence opens it ("" inside an item or for a table row)."""

    block: int
    marker: str = ""


Placement = Callable[[Candidate], Item | None]
# How a line of an answer that opens a list item starts: the item's number or bullet, then a space
ITEM_LEAD = re.compile(r"^(?:\(?\d{1,3}[.)]|\(?[a-z][.)]|[-•*▪‣◦]) ")


def compose(chosen: list[Candidate | Statement], confidence: float, hits: list[Hit], abstained: bool = False,
            place: Placement = lambda cand: None) -> Extract:
    """Answer text with a marker after every quoted sentence; citations numbered by first use.
    A `Statement` (checked when made) stands as it is, without a marker. When the answer quotes
    two or more list items or table rows (as `place` finds them), each starts a line of its own,
    with its number or bullet, and the text after them starts a new line; other sentences run on.

    A cited passage that was retrieved carries its own hit (and score), even when it was reached
    as the neighbour of another passage's quote.
    """
    retrieved = {h.chunk.chunk_id: h for h in hits}
    used: dict[str, tuple[Hit, list[Quote]]] = {}
    parts: list[str] = []
    quoted: set[str] = set()
    previous: Item | None = None
    places = {id(c): place(c) for c in chosen if isinstance(c, Candidate)}
    if len({item.block for item in places.values() if item is not None}) < 2:
        places = {}  # one item quoted alone is a sentence like any other
    for cand in chosen:
        if isinstance(cand, Statement):
            parts.append(("\n" if previous is not None and parts else "") + cand.text)
            previous = None
            continue
        said = " ".join(cand.text.split())
        if said in quoted:
            continue  # the document says it twice (a summary box and its body): quoted once
        quoted.add(said)
        chunk_id = cand.hit.chunk.chunk_id
        used.setdefault(chunk_id, (retrieved.get(chunk_id, cand.hit), []))[1].append(Quote(cand.text, cand.start, cand.end))
        item = places.get(id(cand))
        opens = item is not None and (previous is None or item.block != previous.block)  # a new item or row
        line = bool(parts) and (opens or (item is None and previous is not None))  # ... or the text after a list
        lead = f"{item.marker} " if opens and item.marker else ""
        parts.append(("\n" if line else "") + f"{lead}{cand.text} [{list(used).index(chunk_id) + 1}]")
        previous = item
    citations = tuple(
        Citation(n, hit.chunk, tuple(quotes), hit.score) for n, (hit, quotes) in enumerate(used.values(), start=1)
    )
    return Extract(_joined(parts), citations, confidence, abstained)


def _joined(parts: list[str]) -> str:
    """The parts run on with a space, or on a new line where a part starts with one."""
    return "".join(p if i == 0 or p.startswith("\n") else f" {p}" for i, p in enumerate(parts))

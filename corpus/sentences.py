"""Sentence splitting with character offsets, shared by the chunker and the answerer."""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset(
    "e.g i.e etc vs cf al no nos fig figs res art arts para paras mr mrs ms dr prof st inc co corp ltd "
    "jr sr u.s u.k u.n dept govt approx est vol pp p ed eds jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9•\-–—])")
_LINE = re.compile(r"\n+")
_LAST_WORD = re.compile(r"(\S+)$")
WORD_SCAN_CHARS = 64  # the word before a full stop is looked for this far back: abbreviations are short
_SENTENCE_END = re.compile(r"[.!?][\"”’)\]]*\s*$")


def is_full_sentence(text: str) -> bool:
    """Whether `text` ends like a sentence ("." "?" "!"), not like a title, a row or a label."""
    return bool(_SENTENCE_END.search(text))


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Spans (start, end) of the sentences of `text`, shifted by `offset`.

    Line breaks always end a sentence (list items, headings); the spans exclude the
    white space between sentences.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    for line_match in list(_LINE.finditer(text)) + [None]:
        line_end = line_match.start() if line_match else len(text)
        _split_line(text, pos, line_end, spans)
        pos = line_match.end() if line_match else len(text)
    return [(s + offset, e + offset) for s, e in spans]


def _split_line(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    line = text[start:end]
    cursor = 0
    for match in _BOUNDARY.finditer(line):
        cut = match.end()
        word = _LAST_WORD.search(line, max(cursor, match.start() + 1 - WORD_SCAN_CHARS), match.start() + 1)
        token = word.group(1).lower().rstrip(".!?…") if word else ""
        token = token.lstrip("(\"'“‘[").split("/")[-1]
        if re.fullmatch(r"\s*[(\[]?(?:\d{1,3}|[a-zA-Z]|[ivxIVX]{1,4})[.)\]]+", line[cursor:cut]):
            continue  # a list enumerator such as "1." or "(a)" starts its item, it is no sentence
        if token in ABBREVIATIONS or re.fullmatch(r"[a-z]", token) or re.fullmatch(r"(?:[a-z]\.)+[a-z]", token):
            continue
        _add(line, cursor, cut, start, spans)
        cursor = cut
    _add(line, cursor, len(line), start, spans)


def _add(line: str, a: int, b: int, base: int, spans: list[tuple[int, int]]) -> None:
    piece = line[a:b]
    stripped = piece.strip()
    if stripped:
        lead = len(piece) - len(piece.lstrip())
        spans.append((base + a + lead, base + a + lead + len(stripped)))

"""Readers: one per file format, each turning a file into a `RawDocument`.

Plain text and JSON Lines are read here, as page texts the cleaner structures; PDF
(`corpus.pdf`), Markdown (`corpus.markdown`), HTML (`corpus.html`) and DOCX (`corpus.word`)
have readers of their own that return blocks. A reader raises `UnreadableDocument` with a
short reason; it never returns empty text.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from corpus.errors import UnreadableDocument
from corpus.raw import RawDocument

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ESCAPED = re.compile(r"[\udc80-\udcff]")  # bytes that failed UTF-8, as surrogateescape keeps them
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
REPLACEMENT = "\ufffd"
# longest first: the UTF-32 little-endian mark starts with the UTF-16 one
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)


def read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(str(path), f"cannot read file ({exc.strerror or exc})") from exc
    if not data.strip():
        raise UnreadableDocument(str(path), "empty file")
    return data


@dataclass(frozen=True)
class DecodedText:
    """A text file's characters, the encoding they were read in, and what a user should know."""

    text: str
    encoding: str
    warnings: tuple[str, ...] = ()


def decode_text(path: Path, data: bytes) -> str:
    return decode(path, data).text


def decode(path: Path, data: bytes) -> DecodedText:
    """Bytes to text: by byte-order mark (UTF-8, UTF-16, UTF-32), else UTF-8 unless most of
    the non-ASCII bytes are not UTF-8 (then cp1252, else Latin-1); binary data is refused.

    A UTF-8 file with a few bad bytes (a stray byte pasted in) is read as UTF-8 with each bad
    byte replaced by U+FFFD and a warning that counts them: read as cp1252 instead, every
    accented letter of the file would come out garbled ("São" as "SÃ£o")."""
    bom = next((codec for mark, codec in BYTE_ORDER_MARKS if data.startswith(mark)), None)
    if bom is not None:
        decoded = _decode_marked(data, bom)
    elif b"\x00" in data[:8192]:
        raise UnreadableDocument(str(path), "binary data, not text")
    else:
        decoded = _decode_unmarked(data)
    text = decoded.text
    if len(_CONTROL.findall(text)) > max(3, len(text) // 100):
        raise UnreadableDocument(str(path), "binary data, not text (neither UTF-8 nor Latin-1/cp1252)")
    if not text.strip():
        raise UnreadableDocument(str(path), "no text")
    return decoded


def _decode_marked(data: bytes, codec: str) -> DecodedText:
    try:
        return DecodedText(data.decode(codec), codec)
    except UnicodeDecodeError:
        text = data.decode(codec, "replace")
        return DecodedText(text, codec, (replaced_note(text.count(REPLACEMENT), codec),))


def replaced_note(count: int, encoding: str) -> str:
    return f"{count} {'byte' if count == 1 else 'bytes'} not valid {encoding} replaced by U+FFFD"


def _decode_unmarked(data: bytes) -> DecodedText:
    """UTF-8 when its valid multi-byte sequences outnumber the bytes that are not UTF-8."""
    escaped = data.decode("utf-8", "surrogateescape")  # a bad byte becomes one lone surrogate
    bad = len(_ESCAPED.findall(escaped))
    if not bad:
        return DecodedText(escaped, "utf-8")
    valid = len(_NON_ASCII.findall(escaped)) - bad
    if valid > bad:
        return DecodedText(_ESCAPED.sub(REPLACEMENT, escaped), "utf-8", (replaced_note(bad, "UTF-8"),))
    try:
        return DecodedText(data.decode("cp1252"), "cp1252")
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return DecodedText(data.decode("latin-1"), "latin-1")


def read_plain(path: Path) -> Iterator[RawDocument]:
    decoded = decode(path, read_bytes(path))
    yield RawDocument(pages=(decoded.text,), warnings=decoded.warnings)


def read_jsonl(path: Path) -> Iterator[RawDocument | UnreadableDocument]:
    """BEIR-style JSON Lines: one document per line with `_id`, `title`, `text`.

    A bad line is yielded as an `UnreadableDocument` so the rest of the file is still read.
    """
    decoded = decode(path, read_bytes(path))
    warnings = decoded.warnings  # said once, with the file's first document
    for number, line in enumerate(decoded.text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            key, body = str(record["_id"]), str(record.get("text") or "")
        except (ValueError, KeyError, TypeError):
            yield UnreadableDocument(f"{path}:{number}", "not a JSON object with `_id` and `text`")
            continue
        title = str(record.get("title") or "")
        if body.strip() or title.strip():
            yield RawDocument(pages=(body if body.strip() else title,), title=title, key=key, warnings=warnings)
            warnings = ()


def _lazy(module: str, name: str) -> Callable[[Path], Iterator[RawDocument | UnreadableDocument]]:
    """A reader imported on first use: the structured readers bring heavy parsers."""

    def read(path: Path) -> Iterator[RawDocument | UnreadableDocument]:
        import importlib

        return getattr(importlib.import_module(module), name)(path)

    read.__name__ = name
    return read


READERS: dict[str, Callable[[Path], Iterator[RawDocument | UnreadableDocument]]] = {
    ".txt": read_plain,
    ".text": read_plain,
    ".md": _lazy("corpus.markdown", "read_markdown"),
    ".markdown": _lazy("corpus.markdown", "read_markdown"),
    ".html": _lazy("corpus.html", "read_html"),
    ".htm": _lazy("corpus.html", "read_html"),
    ".pdf": _lazy("corpus.pdf", "read_pdf"),
    ".docx": _lazy("corpus.word", "read_docx"),
    ".jsonl": read_jsonl,
}

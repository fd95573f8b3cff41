"""Readers: one per file format, each turning a file into a `RawDocument`.

Plain text and JSON Lines are read here, as page texts the cleaner structures; PDF
(`corpus.pdf`), Markdown (`corpus.markdown`), HTML (`corpus.html`) and DOCX (`corpus.word`)
have readers of their own that return blocks. A reader raises `UnreadableDocument` with a
short reason; it never returns empty text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from corpus.errors import UnreadableDocument
from corpus.raw import RawDocument

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(str(path), f"cannot read file ({exc.strerror or exc})") from exc
    if not data.strip():
        raise UnreadableDocument(str(path), "empty file")
    return data


def decode_text(path: Path, data: bytes) -> str:
    """UTF-8, else cp1252/Latin-1 where the bytes look like text; binary data is refused."""
    if b"\x00" in data[:8192]:
        raise UnreadableDocument(str(path), "binary data, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    if len(_CONTROL.findall(text)) > max(3, len(text) // 100):
        raise UnreadableDocument(str(path), "binary data, not text (neither UTF-8 nor Latin-1/cp1252)")
    if not text.strip():
        raise UnreadableDocument(str(path), "no text")
    return text


def read_plain(path: Path) -> Iterator[RawDocument]:
    yield RawDocument(pages=(decode_text(path, read_bytes(path)),))


def read_jsonl(path: Path) -> Iterator[RawDocument | UnreadableDocument]:
    """BEIR-style JSON Lines: one document per line with `_id`, `title`, `text`.

    A bad line is yielded as an `UnreadableDocument` so the rest of the file is still read.
    """
    text = decode_text(path, read_bytes(path))
    for number, line in enumerate(text.splitlines(), start=1):
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
            yield RawDocument(pages=(body if body.strip() else title,), title=title, key=key)


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

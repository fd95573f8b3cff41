"""Readers: one function per file format, each turning a file into raw page texts.

A reader raises `UnreadableDocument` with a short reason; it never returns empty text.
Headings found in structured formats are written as Markdown `#` lines so that the
cleaner sees one heading syntax for every format.
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


def read_markdown(path: Path) -> Iterator[RawDocument]:
    text = decode_text(path, read_bytes(path)).replace("\r\n", "\n")  # front matter in Windows files too
    title = ""
    front = re.match(r"^---\n(.*?)\n---\n", text, re.DOTALL)
    if front:
        text = text[front.end():]
        found = re.search(r"^title:\s*[\"']?(.*?)[\"']?\s*$", front.group(1), re.MULTILINE)
        title = found.group(1) if found else ""
    heading = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
    yield RawDocument(pages=(text,), title=title or (heading.group(1).strip("#* ") if heading else ""))


def read_html(path: Path) -> Iterator[RawDocument]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_text(path, read_bytes(path)), "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "nav", "header", "footer", "aside"]):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    blocks: list[str] = []
    for el in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "blockquote", "td"]):
        if el.find_parent(["p", "li", "pre", "blockquote", "td"]) is not None:
            continue
        text = el.get_text(" ", strip=True)
        if not text:
            continue
        if el.name[0] == "h":
            blocks.append("#" * int(el.name[1]) + " " + text)
        elif el.name == "li":
            blocks.append("- " + text)
        else:
            blocks.append(text)
    if not blocks:
        body = (soup.body or soup).get_text("\n", strip=True)
        blocks = [body] if body else []
    if not blocks:
        raise UnreadableDocument(str(path), "no text in the HTML")
    yield RawDocument(pages=("\n\n".join(blocks),), title=title)


def read_docx(path: Path) -> Iterator[RawDocument]:
    import docx

    read_bytes(path)
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises zip and XML errors for damaged files
        raise UnreadableDocument(str(path), f"not a valid .docx ({type(exc).__name__})") from exc
    blocks: list[str] = []
    for para in document.paragraphs:
        text = para.text.strip()
        if not text:
            continue
        style = (para.style.name if para.style is not None else "") or ""
        level = re.match(r"Heading (\d)", style)
        if level:
            blocks.append("#" * int(level.group(1)) + " " + text)
        elif style == "Title":
            blocks.append("# " + text)
        elif "List" in style:
            blocks.append("- " + text)
        else:
            blocks.append(text)
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                blocks.append(" | ".join(cells))
    if not blocks:
        raise UnreadableDocument(str(path), "the .docx holds no text")
    title = document.core_properties.title or ""
    yield RawDocument(pages=("\n\n".join(blocks),), title=title)


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


def _read_pdf(path: Path) -> Iterator[RawDocument]:
    from corpus.pdf import read_pdf

    return read_pdf(path)


READERS: dict[str, Callable[[Path], Iterator[RawDocument | UnreadableDocument]]] = {
    ".txt": read_plain,
    ".text": read_plain,
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": _read_pdf,
    ".docx": read_docx,
    ".jsonl": read_jsonl,
}

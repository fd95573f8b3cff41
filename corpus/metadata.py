"""The sidecar `metadata.json`: per-file metadata keyed by file name relative to the corpus folder.

Whatever is wrong with it is reported, and never costs the good entries: an entry that is not an
object, or a field whose value is not a string, is named and left out while the others apply; a
file that is not valid JSON is read entry by entry, each broken entry named with its line and
column, and only when even its outline cannot be followed is the whole file ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

METADATA_FILE = "metadata.json"
METADATA_FIELDS = ("id", "title", "author", "date", "type", "url")
NOT_AN_OBJECT = "expected an object of fields"
NOT_A_STRING = "expected a string"

_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"


@dataclass(frozen=True)
class MetadataProblem:
    """One thing wrong with the sidecar, said in a line."""

    reason: str


class _Outline(ValueError):
    """The file's top-level object cannot be followed any further."""


def read_metadata_file(corpus_dir: Path) -> tuple[dict[str, dict[str, str]], list[MetadataProblem]]:
    """The sidecar's entries by file name (none without a sidecar) and what is wrong with it."""
    path = corpus_dir / METADATA_FILE
    if not path.exists():
        return {}, []
    try:
        source = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [MetadataProblem(f"metadata ignored: cannot read it ({getattr(exc, 'strerror', None) or exc})")]
    try:
        data = json.loads(source)
    except ValueError as exc:
        raw, problems = _recover(source, exc)
    else:
        if not isinstance(data, dict):
            return {}, [MetadataProblem("metadata ignored: expected an object keyed by file name")]
        raw, problems = list(data.items()), []
    entries: dict[str, dict[str, str]] = {}
    for name, entry in raw:
        fields, entry_problems = _entry(name, entry)
        problems += entry_problems
        if fields is not None:
            entries[name] = fields
    return entries, problems


def _entry(name: str, entry: object) -> tuple[dict[str, str] | None, list[MetadataProblem]]:
    """An entry's fields; a field of the wrong type is named and left out, the others kept."""
    if not isinstance(entry, dict):
        return None, [MetadataProblem(f"entry {name!r} ignored: {NOT_AN_OBJECT}, not {_kind(entry)}")]
    fields, problems = {}, []
    for key, value in entry.items():
        if key not in METADATA_FIELDS or value is None:
            continue
        if isinstance(value, str):
            fields[key] = value
        else:
            problems.append(MetadataProblem(f"entry {name!r}: field {key!r} ignored: {NOT_A_STRING}, not {_kind(value)}"))
    return fields, problems


def _kind(value: object) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", list: "a list", dict: "an object", str: "a string"}
    return names.get(type(value), "null" if value is None else type(value).__name__)


def _recover(source: str, error: ValueError) -> tuple[list[tuple[str, object]], list[MetadataProblem]]:
    """The entries of a file that is not valid JSON, read one by one; each broken one is named."""
    entries: list[tuple[str, object]] = []
    problems: list[MetadataProblem] = []
    try:
        pos = _expect(source, _skip(source, 0), "{")
        while (pos := _skip(source, pos)) < len(source) and source[pos] != "}":
            start = pos
            end = _entry_end(source, start)
            try:
                name, value = _decode_entry(source, start, end)
                entries.append((name, value))
            except ValueError as exc:
                problems.append(MetadataProblem(f"entry at {_where(source, start)} ignored: {_reason(exc)}"))
            pos = end + 1 if end < len(source) and source[end] == "," else end
    except _Outline:
        return [], [MetadataProblem(f"metadata ignored: not valid JSON ({error})")]
    return entries, problems


def _decode_entry(source: str, start: int, end: int) -> tuple[str, object]:
    """One `"name": value` pair spanning source[start:end]."""
    name, pos = _DECODER.raw_decode(source, start)
    if not isinstance(name, str):
        raise ValueError("the file name must be a string in double quotes")
    pos = _expect(source, _skip(source, pos), ":", ValueError)
    value, pos = _DECODER.raw_decode(source, _skip(source, pos))
    if _skip(source, pos) != end:
        raise ValueError(f"unexpected text at {_where(source, _skip(source, pos))}")
    return name, value


def _entry_end(source: str, start: int) -> int:
    """Where the entry starting at `start` ends: the next comma or closing brace outside strings,
    objects and lists. Raises _Outline when the file ends first."""
    depth, pos, length = 0, start, len(source)
    while pos < length:
        char = source[pos]
        if char == '"':
            pos = _string_end(source, pos)
            continue
        if char in "{[":
            depth += 1
        elif char in "]}" and depth:
            depth -= 1
        elif (char == "," and not depth) or char == "}":
            return pos
        pos += 1
    raise _Outline("the file ends inside an entry")


def _string_end(source: str, pos: int) -> int:
    """The position after the string literal starting at `pos` (or the end of its line)."""
    pos += 1
    while pos < len(source) and source[pos] not in '"\n':
        pos += 2 if source[pos] == "\\" else 1
    return pos + 1


def _skip(source: str, pos: int) -> int:
    while pos < len(source) and source[pos] in _WHITESPACE:
        pos += 1
    return pos


def _expect(source: str, pos: int, char: str, error: type[ValueError] = _Outline) -> int:
    if pos >= len(source) or source[pos] != char:
        raise error(f"expected {char!r} at {_where(source, pos)}")
    return pos + 1


def _where(source: str, pos: int) -> str:
    line_start = source.rfind("\n", 0, pos) + 1
    line = source.count("\n", 0, pos) + 1
    return f"line {line} column {pos - line_start + 1}"


def _reason(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    return f"not valid JSON ({exc})"

"""The records of a generation: documents and chunks in one SQLite file, `records.sqlite`.

Every document and chunk has an integer key that stays with it from one generation to the
next: an incremental build copies the previous file and, in one transaction, deletes the rows
of removed and changed documents and inserts those of new and changed ones, so the rows of
unchanged documents are never rewritten. A document's chunks have consecutive keys; its names
(`index/names.py`) are rows keyed by its key. Where a
document and its chunks sit in the index (its position, chunk rows and sentence rows) is not
stored here but in the generation's layout (`index/views.py`), which every build writes anew.

A build writes the file with neither journal nor sync (a generation is made live only once it is
complete and flushed, by the swap of `CURRENT`); readers open it read-only and immutable.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from corpus.chunking import Chunk
from corpus.document import Block, Document, Section
from index.digests import DIGEST_KINDS, Digest
from index.errors import IndexCorrupt
from index.names import NameTable, create_tables, delete_names, insert_names, recount

RECORDS_FILE = "records.sqlite"
SCHEMA_VERSION = "3"  # 2: the documents' names (`index/names.py`); 3: their digests (`index/digests.py`)
BATCH = 500  # keys per SELECT ... IN (...)

_SCHEMA = """
CREATE TABLE store (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (
    key INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, title TEXT NOT NULL, source TEXT NOT NULL,
    author TEXT NOT NULL, date TEXT NOT NULL, doc_type TEXT NOT NULL, url TEXT NOT NULL, hash TEXT NOT NULL,
    pages TEXT NOT NULL, sections TEXT NOT NULL, blocks TEXT NOT NULL, text TEXT NOT NULL
);
CREATE TABLE chunks (
    key INTEGER PRIMARY KEY, doc_key INTEGER NOT NULL, chunk_id TEXT NOT NULL, doc_id TEXT NOT NULL,
    title TEXT NOT NULL, start_offset INTEGER NOT NULL, end_offset INTEGER NOT NULL, section TEXT NOT NULL,
    page INTEGER, context TEXT NOT NULL, text TEXT NOT NULL
);
"""
_DIGESTS = """
CREATE TABLE IF NOT EXISTS digests (
    doc_key INTEGER NOT NULL, kind TEXT NOT NULL, rank INTEGER NOT NULL, start_offset INTEGER NOT NULL,
    end_offset INTEGER NOT NULL, PRIMARY KEY (doc_key, kind, rank)
);
CREATE TABLE IF NOT EXISTS authored (doc_key INTEGER PRIMARY KEY);
"""
UNDIGESTED = "2"  # a schema whose documents have no digests yet: a build from it adds them (`carried`)
_DOCUMENT = "key, doc_id, title, source, author, date, doc_type, url, pages, sections, blocks, text"
_CHUNK = "key, chunk_id, doc_id, title, start_offset, end_offset, section, page, context, text"


@dataclass(frozen=True)
class Placed:
    """Where a document's records are: its key and the key of its first chunk."""

    key: int
    first_chunk: int


def write_records(
    path: Path, previous: Path | None, dropped: Iterable[tuple[int, int, int]],
    fresh: Sequence[tuple[Document, list[Chunk], Digest]], carried: Sequence[tuple[int, Digest]] = (),
) -> list[Placed]:
    """Write `path` as a copy of `previous` (or empty) less the `dropped` documents (key, first
    chunk key, chunk count) plus the `fresh` ones with their digests, in one transaction; returns
    the keys given to each fresh document, in order. `carried`: digests (by document key) for
    kept documents of a `previous` written before documents had them (schema UNDIGESTED)."""
    if previous is not None:
        shutil.copyfile(previous, path)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("BEGIN")
        if previous is None:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                db.execute(statement)
            create_tables(db)
            db.execute("INSERT INTO store VALUES ('schema', ?)", (SCHEMA_VERSION,))
        for statement in filter(str.strip, _DIGESTS.split(";")):
            db.execute(statement)
        db.execute("UPDATE store SET value = ? WHERE name = 'schema'", (SCHEMA_VERSION,))
        for key, digest in carried:
            _insert_digest(db, key, digest)
        dropped = list(dropped)
        touched = delete_names(db, [key for key, _, _ in dropped])
        for key, first_chunk, count in dropped:
            db.execute("DELETE FROM chunks WHERE key >= ? AND key < ?", (first_chunk, first_chunk + count))
            db.execute("DELETE FROM documents WHERE key = ?", (key,))
            db.execute("DELETE FROM digests WHERE doc_key = ?", (key,))
            db.execute("DELETE FROM authored WHERE doc_key = ?", (key,))
        next_doc, next_chunk = (v + 1 for v in db.execute(
            "SELECT (SELECT coalesce(max(key), -1) FROM documents), (SELECT coalesce(max(key), -1) FROM chunks)"
        ).fetchone())
        placed = []
        for doc, chunks, digest in fresh:
            placed.append(Placed(next_doc, next_chunk))
            _insert_digest(db, next_doc, digest)
            db.execute(f"INSERT INTO documents ({_DOCUMENT}, hash) VALUES ({', '.join('?' * 13)})", (next_doc, *_document_row(doc), doc.content_hash))
            db.executemany(
                f"INSERT INTO chunks ({_CHUNK}, doc_key) VALUES ({', '.join('?' * 11)})",
                [(next_chunk + i, *_chunk_row(c), next_doc) for i, c in enumerate(chunks)],
            )
            next_doc, next_chunk = next_doc + 1, next_chunk + len(chunks)
        touched |= insert_names(db, ((p.key, doc) for p, (doc, _, _) in zip(placed, fresh)))
        recount(db, None if previous is None else touched)
        db.execute("COMMIT")
    finally:
        db.close()
    return placed


def _insert_digest(db: sqlite3.Connection, key: int, digest: Digest) -> None:
    db.executemany("INSERT INTO digests VALUES (?, ?, ?, ?, ?)", [
        (key, kind, rank, s, e) for kind in DIGEST_KINDS for rank, (s, e) in enumerate(digest.spans(kind))
    ])
    if digest.authored:
        db.execute("INSERT INTO authored VALUES (?)", (key,))


def _document_row(doc: Document) -> tuple:
    return (
        doc.doc_id, doc.title, doc.source, doc.author, doc.date, doc.doc_type, doc.url, json.dumps(list(doc.pages)),
        json.dumps([[s.start, s.level, s.title] for s in doc.sections], ensure_ascii=False),
        json.dumps([[b.kind, b.start, b.end, b.level] for b in doc.blocks]), doc.text,
    )


def _chunk_row(chunk: Chunk) -> tuple:
    return (
        chunk.chunk_id, chunk.doc_id, chunk.title, chunk.start, chunk.end,
        json.dumps(list(chunk.section), ensure_ascii=False), chunk.page, chunk.context, chunk.text,
    )


def _document(row: tuple) -> Document:
    _, doc_id, title, source, author, date, doc_type, url, pages, sections, blocks, text = row
    return Document(
        doc_id=doc_id, title=title, text=text, source=source, author=author, date=date, doc_type=doc_type, url=url,
        pages=tuple(json.loads(pages)), sections=tuple(Section(*s) for s in json.loads(sections)),
        blocks=tuple(Block(*b) for b in json.loads(blocks)),
    )


def _chunk(row: tuple) -> Chunk:
    _, chunk_id, doc_id, title, start, end, section, page, context, text = row
    return Chunk(
        chunk_id=chunk_id, doc_id=doc_id, title=title, text=text, start=start, end=end,
        section=tuple(json.loads(section)), page=page, context=context,
    )


class Records:
    """A generation's records opened read-only; one connection shared by threads under a lock.

    Any failure to read (a damaged or truncated file) is an `IndexCorrupt` naming `hint`."""

    def __init__(self, path: Path, hint: str):
        self.path, self.hint = path, hint
        self._lock = threading.Lock()
        try:
            if not path.is_file():
                raise FileNotFoundError(f"{path.name} is missing")
            self._db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)
            schema = self._db.execute("SELECT value FROM store WHERE name = 'schema'").fetchone()
        except (OSError, sqlite3.Error) as exc:
            raise self._corrupt(exc) from exc
        if schema not in ((SCHEMA_VERSION,), (UNDIGESTED,)):
            raise IndexCorrupt(f"{path} has records schema {schema}, expected {SCHEMA_VERSION}; {hint}")
        self.digested = schema == (SCHEMA_VERSION,)  # else no document has its digest yet: each reads as empty

    def _corrupt(self, exc: Exception) -> IndexCorrupt:
        return IndexCorrupt(f"index records at {self.path} are damaged ({type(exc).__name__}: {exc}); {self.hint}")

    def _rows(self, sql: str, args: Sequence = ()) -> list[tuple]:
        try:
            with self._lock:
                return self._db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise self._corrupt(exc) from exc

    def names(self, keys) -> NameTable:
        """The documents' names, by term; `keys`: every document's key, in document order."""
        return NameTable(self._rows, keys)

    def document_keys(self) -> dict[str, int]:
        """Every document's key by its id (read from the id index alone)."""
        return {doc_id: key for key, doc_id in self._rows("SELECT key, doc_id FROM documents")}

    def documents(self, keys: Sequence[int]) -> list[Document]:
        """The documents of `keys`, in that order."""
        return self._fetch("documents", _DOCUMENT, keys, _document)

    def chunks(self, keys: Sequence[int]) -> list[Chunk]:
        """The chunks of `keys`, in that order."""
        return self._fetch("chunks", _CHUNK, keys, _chunk)

    def digests(self, keys: Sequence[int]) -> list[Digest]:
        """The digests of the documents of `keys`, in that order."""
        if not self.digested:
            return [Digest() for _ in keys]
        out = []
        for key in keys:
            spans: dict[str, list[tuple[int, int]]] = {kind: [] for kind in DIGEST_KINDS}
            rows = self._rows("SELECT kind, start_offset, end_offset FROM digests WHERE doc_key = ? ORDER BY kind, rank", (int(key),))
            authored = bool(self._rows("SELECT 1 FROM authored WHERE doc_key = ?", (int(key),)))
            try:
                for kind, s, e in rows:
                    spans[kind].append((s, e))
                out.append(Digest(*(tuple(spans[kind]) for kind in DIGEST_KINDS), authored=authored))
            except (ValueError, KeyError) as exc:
                raise self._corrupt(exc) from exc
        return out

    def passages(self, first: int, stop: int) -> list[tuple[str, str, str]]:
        """(title, context, text) of the chunks with keys first..stop-1, in key order."""
        rows = self._rows("SELECT title, context, text FROM chunks WHERE key >= ? AND key < ? ORDER BY key", (first, stop))
        if len(rows) != stop - first:
            raise self._corrupt(LookupError(f"{stop - first - len(rows)} of the chunks with keys {first}..{stop - 1} are missing"))
        return rows

    def _fetch(self, table: str, columns: str, keys: Sequence[int], make) -> list:
        found: dict[int, object] = {}
        for i in range(0, len(keys), BATCH):
            part = [int(k) for k in keys[i:i + BATCH]]
            for row in self._rows(f"SELECT {columns} FROM {table} WHERE key IN ({', '.join('?' * len(part))})", part):
                try:
                    found[row[0]] = make(row)
                except (ValueError, TypeError) as exc:
                    raise self._corrupt(exc) from exc
        missing = [k for k in keys if int(k) not in found]
        if missing:
            raise self._corrupt(LookupError(f"no {table} row with key {missing[0]}"))
        return [found[int(k)] for k in keys]

    def close(self) -> None:
        with self._lock:
            self._db.close()

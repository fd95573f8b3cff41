"""The index folder: generations written beside each other, the live one named by `CURRENT`.

A build writes a complete new generation folder (a build that only adds documents links the
previous generation's vector files into it and appends one segment), flushes it to disk, then swaps the
one-line `CURRENT` file with an atomic rename. A build killed at any moment leaves
`CURRENT` naming the last good generation. A generation holds:

    manifest.json    what it was built from and with, every other file's size and checksum
                     (checked in full by `qa index status`, `index/verify.py`)
    records.sqlite   documents, chunks and the documents' names (`index/records.py`,
                     `index/names.py`), read one row or one term at a time
    layout.npy       per document: record key, first chunk key, chunk and sentence counts, first
                     chunk and sentence rows
    chunks.npy       chunk vectors, row-aligned with the chunks (float32); this and the next three
                     arrays may go on in segments, chunks-1.npy ... (`index/segments.py`)
    sentences.npy    sentence vectors, documents' sentences in order (float16, read as float32)
    spans.npy        each sentence's (start, end) in its document's cleaned text
    chunk_sentences.npy  per chunk, the [first, stop) of its document's sentences lying wholly
                     inside it with its context (numbered from the document's first sentence)
    dense.faiss      FAISS index over the chunk vectors: exact, exhaustive over float16 copies
                     from 50,000 chunks, an inverted file over them from 200,000
                     (`index/dense.py`; with centroids.npy and lists.npy), memory-mapped
    tokens.npy       every chunk's BM25 terms, and token_counts.npy how many (`index/bm25.py`)
    lexical/         BM25 index (bm25s's numpy and JSON files)

Opening reads the manifest, the layout and the document keys, and maps everything else
(vectors, FAISS and BM25 arrays) from disk; documents, chunks and sentence spans are read
when first used. Nothing is pickled.
"""

from __future__ import annotations

import os  # noqa: F401 (tests reach `os.replace` through it)
import shutil
import sqlite3
import uuid
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from corpus.chunking import Chunk
from corpus.document import Document
from index.bm25 import ChunkTerms
from index.digests import Digest, digest_of
from index.dense import DENSE_FILE, Clusters, prepare_search, write_dense
from index.errors import NONE_LIVE, PREVIOUS_LIVE, UNFLUSHED, IndexCorrupt, IndexError_, IndexMismatch, IndexWriteFailed
from index.generations import CURRENT, current_generation, failed_file, fsync_tree, is_live, remove_stale_generations, swap_current
from index.lexical import LexicalIndex
from index.manifest import MANIFEST_FILE, Checksum, IndexConfig, Manifest, check_compatible, file_checksum
from index.records import RECORDS_FILE, Records, write_records
from index.segments import appends, link_segments, read_segments, segment_file
from index.views import LAYOUT_COLUMNS, LAYOUT_FILE, Float32Rows, Layout, LazyMapping, LazySequence

CHUNK_VECTORS_FILE = "chunks.npy"
SENTENCES_FILE = "sentences.npy"
SENTENCE_DTYPE = np.float16  # measured: gold and SciFact figures unchanged, half the bytes of float32
SPANS_FILE = "spans.npy"
CHUNK_SENTENCES_FILE = "chunk_sentences.npy"
LEXICAL_DIR = "lexical"
RECORDS_SINCE = 3  # the format version whose records moved from JSON Lines to SQLite
SEGMENTED = (CHUNK_VECTORS_FILE, SENTENCES_FILE, SPANS_FILE, CHUNK_SENTENCES_FILE)  # the arrays kept in segments

Span = tuple[int, int]


class IndexData:
    """An opened index: documents, chunks, vectors and the lexical index, row-aligned.

    `documents` (by id, in document order), `sentences` (each document's sentence spans),
    `sentence_rows` (each document's first sentence vector row), `digests` (each document's
    summary, conclusions and recommendations) and `rows_by_document` (each document's chunk rows)
    are read-only mappings, and `chunks` a read-only sequence by row,
    whose values are read when first used; the vectors are memory-mapped."""

    def __init__(self, folder: Path, manifest: Manifest, layout: Layout, records: Records, arrays: dict, dense, lexical: LexicalIndex):
        self.folder, self.manifest, self.layout, self.records = folder, manifest, layout, records
        self.dense, self.lexical = dense, lexical
        stored = arrays.get(SENTENCES_FILE)
        self.sentence_vectors: Float32Rows | None = Float32Rows(stored) if stored is not None else None
        self._chunk_vectors: np.ndarray = arrays[CHUNK_VECTORS_FILE]
        self._spans: np.ndarray = arrays[SPANS_FILE]
        self._chunk_sentences: np.ndarray = arrays[CHUNK_SENTENCES_FILE]
        self.names = records.names(layout.keys)
        ids, position = layout.doc_ids, layout.position
        self.documents: Mapping[str, Document] = LazyMapping(ids, position, lambda ps: records.documents(layout.keys[list(ps)]))
        self.chunks: Sequence[Chunk] = LazySequence(layout.chunks, lambda rows: records.chunks(layout.chunk_keys[list(rows)]))
        self.sentences: Mapping[str, list[Span]] = LazyMapping(ids, position, lambda ps: [self._document_spans(p) for p in ps], 1024)
        self.sentence_rows: Mapping[str, int] = LazyMapping(ids, position, lambda ps: [int(layout.first_sentence[p]) for p in ps], 0)
        self.digests: Mapping[str, Digest] = LazyMapping(ids, position, lambda ps: records.digests(layout.keys[list(ps)]))
        self.rows_by_document: Mapping[str, np.ndarray] = LazyMapping(ids, position, lambda ps: [layout.chunk_rows(p) for p in ps], 1024)

    def _document_spans(self, position: int) -> list[Span]:
        start, stop = self.layout.sentence_range(position)
        return [(s, e) for s, e in self._spans[start:stop].tolist()]

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        """The chunks of one document, in order (none for an unknown id)."""
        position = self.layout.position.get(doc_id)
        return [] if position is None else self.chunks.take(self.layout.chunk_rows(position))

    def chunk_vectors(self) -> np.ndarray:
        """Every chunk's vector by row, memory-mapped and read-only."""
        return self._chunk_vectors

    def chunk_documents(self) -> np.ndarray:
        """The position (in `documents`' order) of every chunk row's document, read-only int32."""
        return self.layout.chunk_documents

    def document_position(self, doc_id: str) -> int | None:
        """A document's place in `documents`' order (None for an unknown id)."""
        return self.layout.position.get(doc_id)

    def chunk_sentences(self, chunk: Chunk) -> list[tuple[int, Span]]:
        """(vector row, span) of the sentences lying wholly inside `chunk`."""
        spans = self.sentences.get(chunk.doc_id, [])
        first = self.sentence_rows[chunk.doc_id] if spans else 0
        return [(first + k, spans[k]) for k in sentences_inside(spans, chunk.start, chunk.end)]

    def context_sentence_rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For chunk `rows`, the vector rows of the sentences lying wholly inside each with its
        context (`sentence_ranges`), and the index into `rows` of each one's chunk: read from
        arrays, no record loaded."""
        rows = np.asarray(rows, dtype=np.int64)
        ranges = np.asarray(self._chunk_sentences[rows]) + self.layout.first_sentence[self.layout.chunk_documents[rows]][:, None]
        counts = ranges[:, 1] - ranges[:, 0]
        owner = np.repeat(np.arange(len(rows)), counts)
        starts = np.repeat(ranges[:, 0] - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
        return starts + np.arange(int(counts.sum())), owner

    def close(self) -> None:
        self.records.close()


def sentences_inside(spans: Sequence[Span], start: int, end: int) -> range:
    """Which of `spans` (a document's sentences, in order) lie wholly inside [start, end)."""
    first = bisect_left(spans, (start, -1))
    stop = first
    while stop < len(spans) and spans[stop][0] < end and spans[stop][1] <= end:
        stop += 1
    return range(first, stop)


def sentence_ranges(chunks: Sequence[Chunk], spans: Sequence[Span]) -> np.ndarray:
    """Per chunk, the [first, stop) of the `spans` lying wholly inside it with its context."""
    inside = [sentences_inside(spans, c.context_start, c.end) for c in chunks]
    return np.array([(r.start, r.stop) for r in inside], dtype=np.int64).reshape(-1, 2)


def read_manifest(index_dir: Path) -> Manifest:
    return Manifest.read(current_generation(index_dir))


def load_index(index_dir: Path, expected: IndexConfig, manifest: Manifest | None = None) -> IndexData:
    """Open the live generation, refusing one built with other settings or in an older format
    (`manifest`: the live generation's, when the caller has read it already)."""
    folder = current_generation(index_dir)
    manifest = manifest or Manifest.read(folder)
    got = manifest.config.format_version
    if got < RECORDS_SINCE <= expected.format_version:
        raise IndexMismatch(
            f"index at {index_dir} is in format version {got} (records in JSON Lines, read whole when opened), "
            f"this program reads version {expected.format_version} (records in SQLite, read when used)", index_dir
        )
    check_compatible(manifest, expected, index_dir)
    return open_generation(folder, manifest, f"rebuild with `qa index build --force --index {index_dir}`")


def open_generation(folder: Path, manifest: Manifest, hint: str) -> IndexData:
    """Open one generation whose manifest has been checked; `hint` ends every damage message."""
    import faiss

    sizes = _sizes(folder)
    changed = sorted(set(sizes) ^ set(manifest.artifacts)) or [k for k, v in sizes.items() if manifest.artifacts[k] != v]
    if changed:
        name = changed[0]
        what = f"{name} is missing" if name not in sizes else (
            f"{name} should not be there" if name not in manifest.artifacts else f"{name} is {sizes[name]} bytes, not {manifest.artifacts[name]}"
        )
        raise IndexCorrupt(f"index at {folder} is damaged ({what}); {hint}")
    records = Records(folder / RECORDS_FILE, hint)
    try:
        layout = Layout(list(manifest.documents), np.load(folder / LAYOUT_FILE, allow_pickle=False))
        names = [CHUNK_VECTORS_FILE, SPANS_FILE, CHUNK_SENTENCES_FILE] + ([SENTENCES_FILE] if manifest.config.sentences else [])
        arrays = {name: read_segments(folder, name, manifest.segments) for name in names}
        dense = faiss.read_index(str(folder / DENSE_FILE), getattr(faiss, "IO_FLAG_MMAP_IFC", 0) | faiss.IO_FLAG_READ_ONLY)
        prepare_search(dense, manifest.dense)
        lexical = LexicalIndex.load(folder / LEXICAL_DIR, layout.chunks, mmap=True)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        records.close()
        raise IndexCorrupt(f"index at {folder} is damaged ({type(exc).__name__}: {exc}); {hint}") from exc
    keys = records.document_keys()
    dim = manifest.config.model.dim
    types = {CHUNK_VECTORS_FILE: np.float32, SENTENCES_FILE: SENTENCE_DTYPE, SPANS_FILE: np.int64, CHUNK_SENTENCES_FILE: np.int64}
    expected_counts = manifest.chunk_counts()
    consistent = (
        np.array_equal(layout.chunk_counts, expected_counts) and layout.rows_cover()
        and layout.chunks == manifest.counts.get("chunks") == dense.ntotal and arrays[CHUNK_VECTORS_FILE].shape == (layout.chunks, dim)
        and layout.sentences == manifest.counts.get("sentences") and arrays[SPANS_FILE].shape == (layout.sentences, 2)
        and arrays[CHUNK_SENTENCES_FILE].shape == (layout.chunks, 2)
        and (SENTENCES_FILE not in arrays or arrays[SENTENCES_FILE].shape == (layout.sentences, dim))
        and len(keys) == len(layout.doc_ids) and [keys.get(d) for d in layout.doc_ids] == layout.keys.tolist()
        and all(array.dtype == types[name] for name, array in arrays.items())
        and (not manifest.config.sentences or _ranges_inside(arrays[CHUNK_SENTENCES_FILE], layout))
    )
    if not consistent:
        records.close()
        raise IndexCorrupt(f"index at {folder} is inconsistent (vector, record and manifest counts differ); {hint}")
    return IndexData(folder, manifest, layout, records, arrays, dense, lexical)


def _ranges_inside(ranges: np.ndarray, layout: Layout) -> bool:
    """Whether every chunk's sentence range lies inside its document's sentences (a damaged
    `chunk_sentences.npy` of the right size would otherwise fail on the first question)."""
    if not len(ranges):
        return True
    counts = layout.sentence_counts[layout.chunk_documents]
    start, stop = ranges[:, 0], ranges[:, 1]
    return bool(np.all((0 <= start) & (start <= stop) & (stop <= counts)))


@dataclass(frozen=True)
class Kept:
    """A document carried over unchanged from the previous generation: its position there."""

    position: int


@dataclass(frozen=True)
class Fresh:
    """A new or changed document with its chunks, sentence spans and their vectors."""

    doc: Document
    chunks: list[Chunk]
    sentences: list[Span]
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray | None
    digest: Digest


def write_generation(
    index_dir: Path, manifest: Manifest, entries: Sequence[Kept | Fresh], previous: IndexData | None,
    lexical: LexicalIndex, chunk_terms: ChunkTerms,
) -> Path:
    """Write a complete generation beside the live one, its documents `entries` in order, and make
    it live atomically. The records of kept documents are copied from `previous` with its file,
    so only fresh documents' rows are written; `lexical` is the BM25 index of `chunk_terms`.

    A failed write (a full disk, an I/O error) removes the half-written folder and raises
    IndexWriteFailed naming the file, the previous generation left live."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    folder = index_dir / f"gen-{stamp}-{uuid.uuid4().hex[:8]}"
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        folder.mkdir()
        _write_files(folder, manifest, entries, previous, lexical, chunk_terms)
        fsync_tree(folder)
    except BaseException as exc:  # a bug or Ctrl-C leaves no half-written folder either
        failed = failed_file(folder, exc)
        shutil.rmtree(folder, ignore_errors=True)
        state = PREVIOUS_LIVE if is_live(index_dir) else NONE_LIVE
        error = IndexWriteFailed.during(exc, failed, index_dir, state) if isinstance(exc, WRITE_ERRORS) else None
        if error is None:
            raise
        raise error from exc
    try:
        swap_current(index_dir, folder.name)
    except OSError as exc:  # the folder stays (live after the rename, unflushed): the next build removes it if not live
        swapped = is_live(index_dir) and current_generation(index_dir) == folder
        raise IndexWriteFailed.during(exc, CURRENT, index_dir, UNFLUSHED if swapped else PREVIOUS_LIVE) from exc
    remove_stale_generations(index_dir)
    return folder


WRITE_ERRORS = (OSError, sqlite3.Error, RuntimeError)  # what numpy and the files, SQLite and FAISS raise on a failed write


def _write_files(
    folder: Path, manifest: Manifest, entries: Sequence[Kept | Fresh], previous: IndexData | None,
    lexical: LexicalIndex, chunk_terms: ChunkTerms,
) -> None:
    config = manifest.config
    kept = {e.position for e in entries if isinstance(e, Kept)}
    old = previous.layout if previous is not None else None
    dropped = [(int(old.keys[p]), int(old.first_key[p]), int(old.chunk_counts[p])) for p in range(len(old.doc_ids)) if p not in kept] if old else []
    fresh = [e for e in entries if isinstance(e, Fresh)]
    carried = _digests_of_kept(previous, [e.position for e in entries if isinstance(e, Kept)], config.sentences)
    placed = iter(write_records(folder / RECORDS_FILE, previous.folder / RECORDS_FILE if previous else None, dropped,
                                [(e.doc, e.chunks, e.digest) for e in fresh], carried))
    append = appending(entries, previous, config)
    segments = previous.manifest.segments + 1 if append else 1
    names = [n for n in SEGMENTED if n != SENTENCES_FILE or config.sentences]
    linked = link_segments(previous.folder, folder, names, previous.manifest.segments) if append else []

    table, chunk_parts, sentence_parts, span_parts, range_parts = [], _Parts(), _Parts(), _Parts(), _Parts()
    rows = [old.chunks, old.sentences] if append else [0, 0]  # where the next written chunk and sentence rows go
    carried: list[np.ndarray] = [np.arange(old.chunks, dtype=np.int64)] if append else []  # per chunk row, its previous row (-1: new)
    for e in entries:
        if isinstance(e, Kept):
            p = e.position
            first, count = int(old.first_chunk[p]), int(old.chunk_counts[p])
            sentences = old.sentence_range(p) if config.sentences else (0, 0)
            if append:  # its rows stay where they are, in the linked segments
                table.append((old.keys[p], old.first_key[p], count, sentences[1] - sentences[0], first, sentences[0]))
                continue
            table.append((old.keys[p], old.first_key[p], count, sentences[1] - sentences[0], rows[0], rows[1]))
            chunk_parts.add_rows(previous.chunk_vectors(), first, first + count)
            range_parts.add_rows(previous._chunk_sentences, first, first + count)
            carried.append(np.arange(first, first + count, dtype=np.int64))
            span_parts.add_rows(previous._spans, *sentences)
            if config.sentences:
                sentence_parts.add_rows(previous.sentence_vectors.stored, *sentences)
            rows = [rows[0] + count, rows[1] + sentences[1] - sentences[0]]
        else:
            where = next(placed)
            table.append((where.key, where.first_chunk, len(e.chunks), len(e.sentences), rows[0], rows[1]))
            chunk_parts.add(e.chunk_vectors)
            range_parts.add(sentence_ranges(e.chunks, e.sentences))
            carried.append(np.full(len(e.chunks), -1, dtype=np.int64))
            span_parts.add(np.asarray(e.sentences, dtype=np.int64).reshape(-1, 2))
            if config.sentences:
                sentence_parts.add(e.sentence_vectors)
            rows = [rows[0] + len(e.chunks), rows[1] + len(e.sentences)]
    np.save(folder / LAYOUT_FILE, np.asarray(table, dtype=np.int64).reshape(-1, LAYOUT_COLUMNS), allow_pickle=False)
    dim, last = config.model.dim, segments - 1
    chunk_parts.save(folder / segment_file(CHUNK_VECTORS_FILE, last), np.float32, dim)
    span_parts.save(folder / segment_file(SPANS_FILE, last), np.int64, 2)
    range_parts.save(folder / segment_file(CHUNK_SENTENCES_FILE, last), np.int64, 2)
    if config.sentences:
        sentence_parts.save(folder / segment_file(SENTENCES_FILE, last), SENTENCE_DTYPE, dim)
    sentence_vectors = read_segments(folder, SENTENCES_FILE, segments) if config.sentences else None
    vectors = read_segments(folder, CHUNK_VECTORS_FILE, segments)
    clusters = Clusters.read(previous.folder, previous.manifest.dense) if previous is not None else None
    last_dense = previous.manifest.dense if previous is not None else None
    dense = write_dense(folder, vectors, sentence_vectors, clusters, np.concatenate(carried or [np.zeros(0, np.int64)]), last_dense)
    del vectors, sentence_vectors
    chunk_terms.save(folder)
    lexical.save(folder / LEXICAL_DIR)
    sizes = _sizes(folder)
    checksums = {name: _carried_checksum(folder / name, previous.manifest) if name in linked else file_checksum(folder / name) for name in sizes}
    replace(manifest, artifacts=sizes, checksums=checksums, dense=dense, segments=segments).write(folder)


def _digests_of_kept(previous: IndexData | None, positions: list[int], sentences: bool) -> list[tuple[int, Digest]]:
    """For a `previous` index written before documents had digests (format 7), the digest of each
    kept document (by key), made from its stored text, sentence spans and vectors: no document is
    embedded again for them. none otherwise (its documents have theirs)."""
    if previous is None or previous.records.digested:
        return []
    out = []
    for p in positions:
        doc_id = previous.layout.doc_ids[p]
        start, stop = previous.layout.sentence_range(p)
        vectors = np.asarray(previous.sentence_vectors.stored[start:stop], dtype=np.float32) if sentences else None
        out.append((int(previous.layout.keys[p]), digest_of(previous.documents[doc_id], previous.sentences[doc_id], vectors)))
    return out


def appending(entries: Sequence[Kept | Fresh], previous: IndexData | None, config: IndexConfig) -> bool:
    """Whether the build only adds documents to `previous`, so that their rows are appended as
    one more segment (`index.segments`)."""
    if previous is None or previous.manifest.config.sentences != config.sentences:
        return False
    return appends([e.position if isinstance(e, Kept) else None for e in entries], len(previous.layout.doc_ids), previous.manifest.segments)


def _carried_checksum(path: Path, previous: Manifest) -> Checksum:
    """A linked file's checksum: the previous generation's, while the file is the one it summed."""
    old = previous.checksums.get(path.name)
    return old if old is not None and old.mtime_ns == path.stat().st_mtime_ns else file_checksum(path)


class _Parts:
    """The rows of a new array as a list of pieces, neighbouring rows of one source joined."""

    def __init__(self):
        self.pieces: list[np.ndarray | list] = []

    def add(self, array: np.ndarray) -> None:
        self.pieces.append(array)

    def add_rows(self, source: np.ndarray, start: int, stop: int) -> None:
        last = self.pieces[-1] if self.pieces else None
        if isinstance(last, list) and last[0] is source and last[2] == start:
            last[2] = stop
        elif stop > start:
            self.pieces.append([source, start, stop])

    def save(self, path: Path, dtype, width: int) -> None:
        """Write the rows as one .npy file, piece after piece (none held in memory whole)."""
        arrays = [p[0][p[1]:p[2]] if isinstance(p, list) else p for p in self.pieces]
        arrays = [np.ascontiguousarray(a, dtype=dtype).reshape(-1, width) for a in arrays]
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": (sum(len(a) for a in arrays), width)}
        with open(path, "wb") as out:
            np.lib.format.write_array_header_1_0(out, header)
            for a in arrays:
                if a.size:
                    out.write(memoryview(a).cast("B"))


def artifacts_intact(index_dir: Path, manifest: Manifest) -> bool:
    """Whether the live generation still holds every file its manifest lists, at its size."""
    try:
        return bool(manifest.artifacts) and _sizes(current_generation(index_dir)) == manifest.artifacts
    except (OSError, IndexError_):
        return False


def _sizes(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): p.stat().st_size
        for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST_FILE
    }

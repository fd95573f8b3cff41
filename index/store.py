"""The index folder: generations written beside each other, the live one named by `CURRENT`.

A build writes a complete new generation folder, flushes it to disk, then swaps the
one-line `CURRENT` file with an atomic rename. A build killed at any moment leaves
`CURRENT` naming the last good generation. Files are JSON Lines, JSON, FAISS and .npy
(loaded with allow_pickle=False); nothing is pickled.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from bisect import bisect_left
from dataclasses import dataclass, replace
from functools import cached_property
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from corpus.chunking import Chunk
from corpus.document import Block, Document, Section
from index.errors import IndexCorrupt, IndexError_, IndexNotFound
from index.lexical import LexicalIndex
from index.manifest import MANIFEST_FILE, IndexConfig, Manifest, check_compatible

CURRENT = "CURRENT"
DOCUMENTS_FILE = "documents.jsonl"
CHUNKS_FILE = "chunks.jsonl"
DENSE_FILE = "dense.faiss"
SENTENCES_FILE = "sentences.npy"
LEXICAL_DIR = "lexical"

Span = tuple[int, int]


@dataclass
class IndexData:
    """A loaded index: documents, chunks, vectors and the lexical index, row-aligned."""

    folder: Path
    manifest: Manifest
    documents: dict[str, Document]
    chunks: list[Chunk]
    dense: object  # faiss.Index
    lexical: LexicalIndex
    sentences: dict[str, list[Span]]  # per document, sentence spans in its cleaned text
    sentence_rows: dict[str, int]  # per document, the row of its first sentence vector
    sentence_vectors: np.ndarray | None

    @cached_property
    def rows_by_document(self) -> dict[str, np.ndarray]:
        """Per document, the rows of its chunks (documents' chunks are contiguous, in order)."""
        rows: dict[str, list[int]] = {doc_id: [] for doc_id in self.documents}
        for i, chunk in enumerate(self.chunks):
            rows[chunk.doc_id].append(i)
        return {doc_id: np.array(r, dtype=np.int64) for doc_id, r in rows.items()}

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        return [self.chunks[i] for i in self.rows_by_document.get(doc_id, ())]

    def chunk_vectors(self) -> np.ndarray:
        return self.dense.reconstruct_n(0, self.dense.ntotal) if self.dense.ntotal else np.zeros((0, self.manifest.config.model.dim), np.float32)

    def chunk_sentences(self, chunk: Chunk, context: bool = False) -> list[tuple[int, Span]]:
        """(vector row, span) of the sentences lying wholly inside `chunk` (with its context, when asked)."""
        spans = self.sentences.get(chunk.doc_id, [])
        first = bisect_left(spans, (chunk.context_start if context else chunk.start, -1))
        rows = []
        for k in range(first, len(spans)):
            s, e = spans[k]
            if s >= chunk.end:
                break
            if e <= chunk.end:
                rows.append((self.sentence_rows[chunk.doc_id] + k, (s, e)))
        return rows


def current_generation(index_dir: Path) -> Path:
    pointer = index_dir / CURRENT
    if not pointer.exists():
        raise IndexNotFound(f"no index in {index_dir}; build one with `qa index build --index {index_dir}`")
    name = pointer.read_text().strip()
    folder = index_dir / name
    if not name or "/" in name or not folder.is_dir():
        raise IndexCorrupt(f"{pointer} names a missing generation {name!r}; rebuild with `qa index build --force --index {index_dir}`")
    return folder


def read_manifest(index_dir: Path) -> Manifest:
    return Manifest.read(current_generation(index_dir))


def load_index(index_dir: Path, expected: IndexConfig) -> IndexData:
    """Load the live generation, refusing one built with other settings."""
    folder = current_generation(index_dir)
    manifest = Manifest.read(folder)
    check_compatible(manifest, expected, index_dir)
    import faiss

    try:
        documents, sentences = _read_documents(folder / DOCUMENTS_FILE)
        chunks = [_chunk_from_json(json.loads(line)) for line in _lines(folder / CHUNKS_FILE)]
        dense = faiss.read_index(str(folder / DENSE_FILE))
        lexical = LexicalIndex.load(folder / LEXICAL_DIR, len(chunks))
        vectors = np.load(folder / SENTENCES_FILE, allow_pickle=False) if manifest.config.sentences else None
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexCorrupt(f"index at {folder} is damaged ({type(exc).__name__}: {exc}); rebuild with `qa index build --force --index {index_dir}`") from exc
    rows, total = {}, 0
    for doc_id in documents:
        rows[doc_id] = total
        total += len(sentences[doc_id])
    if dense.ntotal != len(chunks) or (vectors is not None and len(vectors) != total):
        raise IndexCorrupt(f"index at {folder} is inconsistent (vector and record counts differ); rebuild with `qa index build --force --index {index_dir}`")
    return IndexData(folder, manifest, documents, chunks, dense, lexical, sentences, rows, vectors)


def write_generation(
    index_dir: Path,
    manifest: Manifest,
    documents: list[Document],
    sentences: dict[str, list[Span]],
    chunks: list[Chunk],
    chunk_vectors: np.ndarray,
    sentence_vectors: np.ndarray | None,
    lexical: LexicalIndex,
) -> Path:
    """Write a complete generation beside the live one and make it live atomically."""
    import faiss

    index_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    folder = index_dir / f"gen-{stamp}-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    with open(folder / DOCUMENTS_FILE, "w", encoding="utf-8") as out:
        for doc in documents:
            out.write(json.dumps(_document_to_json(doc, sentences[doc.doc_id]), ensure_ascii=False) + "\n")
    with open(folder / CHUNKS_FILE, "w", encoding="utf-8") as out:
        for chunk in chunks:
            out.write(json.dumps(_chunk_to_json(chunk), ensure_ascii=False) + "\n")
    dense = faiss.IndexFlatIP(manifest.config.model.dim)
    if len(chunk_vectors):
        dense.add(np.ascontiguousarray(chunk_vectors, dtype=np.float32))
    faiss.write_index(dense, str(folder / DENSE_FILE))
    if sentence_vectors is not None:
        np.save(folder / SENTENCES_FILE, np.ascontiguousarray(sentence_vectors, dtype=np.float32), allow_pickle=False)
    lexical.save(folder / LEXICAL_DIR)
    replace(manifest, artifacts=_sizes(folder)).write(folder)
    _fsync_tree(folder)
    _swap_current(index_dir, folder.name)
    remove_stale_generations(index_dir)
    return folder


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


def remove_stale_generations(index_dir: Path) -> None:
    """Delete generations other than the live one, and unswapped `CURRENT` files (left by finished or killed builds)."""
    live = (index_dir / CURRENT).read_text().strip() if (index_dir / CURRENT).exists() else None
    for child in index_dir.glob("gen-*"):
        if child.is_dir() and child.name != live:
            shutil.rmtree(child, ignore_errors=True)
    for tmp in index_dir.glob(f"{CURRENT}.*.tmp"):
        tmp.unlink(missing_ok=True)


def _swap_current(index_dir: Path, name: str) -> None:
    tmp = index_dir / f"{CURRENT}.{uuid.uuid4().hex[:8]}.tmp"
    with open(tmp, "w") as out:
        out.write(name + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, index_dir / CURRENT)
    _fsync_dir(index_dir)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    for path in [folder, *[p for p in folder.rglob("*") if p.is_dir()]]:
        _fsync_dir(path)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _document_to_json(doc: Document, sentences: list[Span]) -> dict:
    return {
        "doc_id": doc.doc_id, "title": doc.title, "source": doc.source, "author": doc.author,
        "date": doc.date, "doc_type": doc.doc_type, "url": doc.url, "pages": list(doc.pages),
        "sections": [[s.start, s.level, s.title] for s in doc.sections],
        "blocks": [[b.kind, b.start, b.end, b.level] for b in doc.blocks],
        "hash": doc.content_hash, "sentences": [list(s) for s in sentences], "text": doc.text,
    }


def _read_documents(path: Path) -> tuple[dict[str, Document], dict[str, list[Span]]]:
    documents, sentences = {}, {}
    for line in _lines(path):
        data = json.loads(line)
        doc = Document(
            doc_id=data["doc_id"], title=data["title"], text=data["text"], source=data["source"],
            author=data["author"], date=data["date"], doc_type=data["doc_type"], url=data["url"],
            pages=tuple(data["pages"]), sections=tuple(Section(*s) for s in data["sections"]),
            blocks=tuple(Block(*b) for b in data["blocks"]),
        )
        documents[doc.doc_id] = doc
        sentences[doc.doc_id] = [tuple(s) for s in data["sentences"]]
    return documents, sentences


def _chunk_to_json(chunk: Chunk) -> dict:
    return {
        "chunk_id": chunk.chunk_id, "doc_id": chunk.doc_id, "title": chunk.title, "start": chunk.start,
        "end": chunk.end, "section": list(chunk.section), "page": chunk.page, "text": chunk.text,
        "context": chunk.context,
    }


def _chunk_from_json(data: dict) -> Chunk:
    return Chunk(
        chunk_id=data["chunk_id"], doc_id=data["doc_id"], title=data["title"], text=data["text"],
        start=data["start"], end=data["end"], section=tuple(data["section"]), page=data["page"],
        context=data.get("context", ""),
    )

"""Building the index: load → clean → chunk → embed → write, re-embedding only what changed."""

from __future__ import annotations

import fcntl
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np

from corpus.chunking import Chunk, chunk_document
from corpus.document import Document
from corpus.errors import CorpusNotFound
from corpus.loader import CLEANER_VERSION, FileEntry, FileStamp, Reuse, Skipped, corpus_files, load_corpus, read_metadata, stamp_file
from corpus.sentences import split_sentences
from index.embedder import TextEncoder
from index.errors import BuildFailed, BuildLocked, IndexError_, IndexMismatch
from index.lexical import LexicalIndex
from index.manifest import DocumentEntry, IndexConfig, Manifest, check_compatible
from index.store import IndexData, Span, artifacts_intact, load_index, read_manifest, remove_stale_generations, write_generation

LOCK_FILE = ".build.lock"
VERSIONED = ("sentence-transformers", "torch", "faiss-cpu", "bm25s", "tiktoken", "numpy")


@dataclass(frozen=True)
class BuildReport:
    documents: int
    chunks: int
    embedded: int
    reused: int
    removed: int
    skipped: tuple[Skipped, ...]
    seconds: float
    notes: tuple[str, ...] = field(default=())
    written: bool = True

    def to_json(self) -> dict:
        return {
            "documents": self.documents, "chunks": self.chunks, "embedded": self.embedded,
            "reused": self.reused, "removed": self.removed,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "seconds": round(self.seconds, 3),
        }


@dataclass
class _Part:
    """One document's share of the index: chunks, sentence spans and (maybe reused) vectors."""

    doc: Document
    chunks: list[Chunk]
    sentences: list[Span]
    chunk_vectors: np.ndarray | None = None
    sentence_vectors: np.ndarray | None = None


def passage_text(chunk: Chunk) -> str:
    """What is embedded and indexed for a chunk: its document title, its context, then its text."""
    return f"{chunk.title}\n{chunk.context}{chunk.text}"


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    encoder: TextEncoder,
    config: IndexConfig,
    force: bool = False,
    progress: bool = False,
) -> BuildReport:
    started = time.perf_counter()
    with _locked(index_dir):
        unchanged = None if force else _unchanged_build(corpus_dir, index_dir, config)
        if unchanged is not None:  # nothing to read, embed or write: the index is left as it is
            remove_stale_generations(index_dir)
            return replace(unchanged, seconds=time.perf_counter() - started)
        previous, notes = _previous(index_dir, config, force)
        stamps = {k: v.stamp for k, v in previous.manifest.files.items()} if previous else {}
        loaded = load_corpus(corpus_dir, reuse=_reuse(previous), previous=stamps)
        if not loaded.documents:
            raise BuildFailed(f"no readable documents in {corpus_dir}; the previous index (if any) is kept")
        parts = [_part(doc, previous, encoder, config) for doc in loaded.documents]
        embedded = _embed_missing(parts, encoder, config, progress)
        old_docs = set(previous.documents) if previous else set()
        removed_docs = old_docs - {doc.doc_id for doc in loaded.documents}
        removed = sum(previous.manifest.documents[d].chunks for d in removed_docs) if previous else 0
        chunks = [c for p in parts for c in p.chunks]
        written = (
            embedded > 0 or bool(removed_docs) or previous is None or _metadata_changed(parts, previous)
            or previous.manifest.config.lexical != config.lexical or _files_changed(loaded.files, previous)
        )
        if written:
            _write(index_dir, corpus_dir, parts, loaded.files, config, time.perf_counter() - started)
        else:  # nothing to write, but still clear what a killed build left behind
            remove_stale_generations(index_dir)
    return BuildReport(
        documents=len(parts), chunks=len(chunks), embedded=embedded, reused=len(chunks) - embedded,
        removed=removed, skipped=loaded.skipped, seconds=time.perf_counter() - started,
        notes=tuple(notes), written=written,
    )


@contextmanager
def _locked(index_dir: Path):
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK_FILE, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BuildLocked(f"another build is writing {index_dir}; wait for it to finish") from exc
        yield


def _unchanged_build(corpus_dir: Path, index_dir: Path, config: IndexConfig) -> BuildReport | None:
    """The report of a build with nothing to do, found from the manifest and the files' stamps
    alone (no file parsed, no index loaded), or None when something must be read."""
    try:
        manifest = read_manifest(index_dir)
        check_compatible(manifest, config, index_dir)
    except IndexError_:
        return None
    if manifest.cleaner_version != CLEANER_VERSION or not manifest.files or not artifacts_intact(index_dir, manifest):
        return None
    try:
        metadata, problems = read_metadata(corpus_dir)
        if _changed_files(corpus_dir, manifest, metadata):
            return None
    except CorpusNotFound:
        return None
    skipped = problems + [Skipped(k, reason) for k, e in manifest.files.items() for reason in e.skipped]
    chunks = manifest.counts["chunks"]
    return BuildReport(
        documents=manifest.counts["documents"], chunks=chunks, embedded=0, reused=chunks, removed=0,
        skipped=tuple(skipped), seconds=0.0, written=False,
    )


def _reuse(previous: IndexData | None) -> Reuse | None:
    """What an unchanged file gave the previous build, read with the same cleaner."""
    if previous is None or previous.manifest.cleaner_version != CLEANER_VERSION:
        return None
    entries = previous.manifest.files

    def reuse(relative: str, stamp: FileStamp) -> tuple[list[Document], list[str]] | None:
        entry = entries.get(relative)
        if entry is None or not stamp.same_content(entry.stamp):
            return None
        docs = [previous.documents.get(doc_id) for doc_id in entry.documents]
        if any(doc is None or doc.source.split("#")[0] != relative for doc in docs):
            return None  # a document it gave was left out (a duplicate id): read the file again
        return docs, list(entry.skipped)

    return reuse


def _files_changed(files: dict[str, FileEntry], previous: IndexData) -> bool:
    """Whether the corpus files' contents or skip reasons differ from the previous build's."""
    old = previous.manifest.files
    return sorted(files) != sorted(old) or any(
        not entry.stamp.same_content(old[k].stamp) or entry.skipped != old[k].skipped for k, entry in files.items()
    )


def _previous(index_dir: Path, config: IndexConfig, force: bool) -> tuple[IndexData | None, list[str]]:
    if force:
        return None, ["--force: re-embedding every document"]
    try:
        return load_index(index_dir, config), []
    except IndexMismatch as exc:
        lexical_only = _lexical_changed(index_dir, config)
        if lexical_only is not None:  # vectors stay good; the BM25 index is rebuilt from the chunks anyway
            return lexical_only, [f"rebuilding the lexical index: {exc.reason}"]
        return None, [f"re-embedding every document: {exc.reason}"]
    except IndexError_ as exc:
        if (index_dir / "CURRENT").exists():
            return None, [f"previous index not reused: {exc}"]
        return None, []


def _part(doc: Document, previous: IndexData | None, encoder: TextEncoder, config: IndexConfig) -> _Part:
    sentences = split_sentences(doc.text) if config.sentences else []
    old = previous.manifest.documents.get(doc.doc_id) if previous else None
    if previous is not None and old is not None and old.hash == doc.content_hash:
        rows = previous.rows_by_document[doc.doc_id]
        vectors = previous.dense.reconstruct_n(int(rows[0]), len(rows)) if len(rows) else None
        sentence_vectors = None
        if config.sentences and previous.sentence_vectors is not None:
            first = previous.sentence_rows[doc.doc_id]
            sentence_vectors = previous.sentence_vectors[first:first + len(previous.sentences[doc.doc_id])]
            sentences = previous.sentences[doc.doc_id]
        return _Part(doc, previous.document_chunks(doc.doc_id), sentences, vectors, sentence_vectors)
    prefix = doc.title + "\n"
    chunks = chunk_document(doc, config.chunker, window=lambda text: encoder.fits(prefix + text))
    return _Part(doc, chunks, sentences)


def _embed_missing(parts: list[_Part], encoder: TextEncoder, config: IndexConfig, progress: bool) -> int:
    """Embed chunks (and sentences) of new or changed documents in one batch each."""
    todo = [p for p in parts if p.chunk_vectors is None]
    if not todo:
        return 0
    texts = [passage_text(c) for p in todo for c in p.chunks]
    vectors = encoder.encode(texts, progress=progress)
    row = 0
    for p in todo:
        p.chunk_vectors = vectors[row:row + len(p.chunks)]
        row += len(p.chunks)
    if config.sentences:
        todo_sentences = [p for p in parts if p.sentence_vectors is None]
        sentence_texts = [p.doc.text[s:e] for p in todo_sentences for s, e in p.sentences]
        sentence_vectors = encoder.encode(sentence_texts, progress=progress)
        row = 0
        for p in todo_sentences:
            p.sentence_vectors = sentence_vectors[row:row + len(p.sentences)]
            row += len(p.sentences)
    return len(texts)


def _lexical_changed(index_dir: Path, config: IndexConfig) -> IndexData | None:
    """The previous index when only its lexical settings differ from `config`, else None."""
    try:
        return load_index(index_dir, replace(config, lexical=read_manifest(index_dir).config.lexical))
    except IndexError_:
        return None


def _metadata_changed(parts: list[_Part], previous: IndexData) -> bool:
    return [p.doc.doc_id for p in parts] != list(previous.documents)


def _write(
    index_dir: Path, corpus_dir: Path, parts: list[_Part], files: dict[str, FileEntry], config: IndexConfig, seconds: float
) -> None:
    chunks = [c for p in parts for c in p.chunks]
    dim = config.model.dim
    chunk_vectors = np.concatenate([p.chunk_vectors for p in parts if len(p.chunks)] or [np.zeros((0, dim), np.float32)])
    sentence_vectors = None
    if config.sentences:
        sentence_vectors = np.concatenate([p.sentence_vectors for p in parts] or [np.zeros((0, dim), np.float32)])
    manifest = Manifest(
        config=config,
        documents={p.doc.doc_id: DocumentEntry(p.doc.content_hash, p.doc.source, p.doc.title, len(p.chunks)) for p in parts},
        counts={"documents": len(parts), "chunks": len(chunks), "sentences": sum(len(p.sentences) for p in parts)},
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        build_seconds=seconds,
        corpus=str(corpus_dir.resolve()),
        versions=_versions(),
        cleaner_version=CLEANER_VERSION,
        files=files,
    )
    lexical = LexicalIndex.build([passage_text(c) for c in chunks])
    write_generation(
        index_dir, manifest, [p.doc for p in parts], {p.doc.doc_id: p.sentences for p in parts},
        chunks, chunk_vectors, sentence_vectors, lexical,
    )


def _versions() -> dict[str, str]:
    found = {}
    for name in VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


@dataclass(frozen=True)
class Status:
    manifest: Manifest
    stale: tuple[str, ...]

    def to_json(self) -> dict:
        m = self.manifest
        return {
            "documents": m.counts["documents"], "chunks": m.counts["chunks"], "model": m.config.model.name,
            "dim": m.config.model.dim, "built_at": m.built_at, "format_version": m.config.format_version,
            "stale": list(self.stale),
        }


def index_status(index_dir: Path, corpus_dir: Path | None = None) -> Status:
    """The live index's manifest and the corpus files changed, added or removed since it was
    built, found from the files' stamps (a file is hashed only when its size or time changed)."""
    manifest = read_manifest(index_dir)
    folder = corpus_dir or Path(manifest.corpus)
    try:
        metadata, _ = read_metadata(folder)
        if manifest.cleaner_version != CLEANER_VERSION:  # every file is read again by the next build
            return Status(manifest, tuple(sorted({p.relative_to(folder).as_posix() for p in corpus_files(folder)} | set(manifest.files))))
        return Status(manifest, tuple(_changed_files(folder, manifest, metadata)))
    except CorpusNotFound:  # the corpus vanished: every indexed file is stale
        return Status(manifest, tuple(sorted(manifest.files or {e.source for e in manifest.documents.values()})))


def _changed_files(folder: Path, manifest: Manifest, metadata: dict[str, dict[str, str]]) -> list[str]:
    """The corpus files whose content or metadata entry differs from the manifest's stamps, and
    those added or removed since; raises CorpusNotFound when the folder is gone or empty."""
    changed, seen = [], set()
    for path in corpus_files(folder):
        relative = path.relative_to(folder).as_posix()
        seen.add(relative)
        entry = manifest.files.get(relative)
        try:
            same = entry is not None and stamp_file(path, metadata.get(relative, {}), entry.stamp).same_content(entry.stamp)
        except OSError:
            same = False
        if not same:
            changed.append(relative)
    return sorted(changed + [relative for relative in manifest.files if relative not in seen])

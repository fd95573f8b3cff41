"""Building the index: load → clean → chunk → embed → write, re-embedding only what changed."""

from __future__ import annotations

import fcntl
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from importlib import metadata
from itertools import islice
from pathlib import Path

import numpy as np

from corpus.chunking import Chunk, chunk_document
from corpus.document import Document
from corpus.errors import CorpusNotFound
from corpus.loader import CLEANER_VERSION, FileEntry, FileStamp, Reuse, Skipped, corpus_files, describe_skipped, load_corpus, read_metadata
from corpus.sentences import split_sentences
from index.digests import digest_of
from index.embedder import TextEncoder
from index.errors import NONE_LIVE, PREVIOUS_LIVE, BuildFailed, BuildLocked, IndexCorrupt, IndexError_, IndexMismatch, IndexWriteFailed
from index.bm25 import ChunkTerms, TermsBuilder, build_bm25
from index.changes import changed_files
from index.manifest import FORMAT_VERSION, DocumentEntry, IndexConfig, Manifest, check_compatible
from index.generations import current_generation, is_live
from index.segments import row_order
from index.store import SENTENCE_DTYPE, Fresh, IndexData, Kept, Span, appending, artifacts_intact, load_index, read_manifest, remove_stale_generations, write_generation
from index.verify import Verification, check_checksums, damage_hint, verify_generation

LOCK_FILE = ".build.lock"
DAMAGE_NOTE = "previous index not reused"  # the live index is damaged: a fresh one is built (the CLI warns)
VERSIONED = ("sentence-transformers", "torch", "onnxruntime", "onnx", "tokenizers", "faiss-cpu", "bm25s", "tiktoken", "numpy")


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


@dataclass(frozen=True)
class _Indexed:
    """A document an unchanged file gave the previous build, standing in for it by its manifest
    entry: its records and vectors are carried over, so it is neither parsed nor read back."""

    doc_id: str
    source: str
    title: str
    content_hash: str


@dataclass
class _Part:
    """One document's share of the index: carried over from the previous index (`kept`, its
    position there), or new chunks, sentence spans and their vectors."""

    doc: Document | _Indexed
    chunk_count: int
    sentence_count: int
    kept: int | None = None
    chunks: list[Chunk] = field(default_factory=list)
    sentences: list[Span] = field(default_factory=list)
    chunk_vectors: np.ndarray | None = None
    sentence_vectors: np.ndarray | None = None


def passage_text(chunk: Chunk) -> str:
    """What is embedded and indexed for a chunk: its document title, its context, then its text."""
    return passage(chunk.title, chunk.context, chunk.text)


def passage(title: str, context: str, text: str) -> str:
    return f"{title}\n{context}{text}"


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
        remove_stale_generations(index_dir)  # what killed or failed builds left, before writing more
        unchanged, manifest = (None, None) if force else _unchanged_build(corpus_dir, index_dir, config)
        if unchanged is not None:  # nothing to read, embed or write: the index is left as it is
            remove_stale_generations(index_dir)
            return replace(unchanged, seconds=time.perf_counter() - started)
        previous, notes = _previous(index_dir, config, force, manifest)
        stamps = {k: v.stamp for k, v in previous.manifest.files.items()} if previous else {}
        loaded = load_corpus(corpus_dir, reuse=_reuse(previous), previous=stamps)
        if not loaded.documents:
            raise BuildFailed(f"no readable documents in {corpus_dir} ({describe_skipped(loaded.skipped)}); the previous index (if any) is kept")
        parts = [_part(doc, previous, encoder, config) for doc in loaded.documents]
        embedded = _embed_missing(parts, encoder, config, progress)
        old_docs = set(previous.documents) if previous else set()
        removed_docs = old_docs - {doc.doc_id for doc in loaded.documents}
        removed = sum(previous.manifest.documents[d].chunks for d in removed_docs) if previous else 0
        chunks = sum(p.chunk_count for p in parts)
        written = (
            embedded > 0 or bool(removed_docs) or previous is None or _metadata_changed(parts, previous)
            or previous.manifest.config.lexical != config.lexical or _files_changed(loaded.files, previous)
            or previous.manifest.config.format_version != FORMAT_VERSION  # format 7: its documents' digests are added
        )
        if written:
            _write(index_dir, corpus_dir, parts, loaded.files, config, time.perf_counter() - started, previous)
        else:  # nothing to write, but still clear what a killed build left behind
            remove_stale_generations(index_dir)
    return BuildReport(
        documents=len(parts), chunks=chunks, embedded=embedded, reused=chunks - embedded,
        removed=removed, skipped=loaded.skipped, seconds=time.perf_counter() - started,
        notes=tuple(notes), written=written,
    )


@contextmanager
def _locked(index_dir: Path):
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        handle = open(index_dir / LOCK_FILE, "w")
    except OSError as exc:  # a full disk, a read-only or unwritable folder
        raise IndexWriteFailed.during(exc, LOCK_FILE, index_dir, PREVIOUS_LIVE if is_live(index_dir) else NONE_LIVE) from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BuildLocked(f"another build is writing {index_dir}; wait for it to finish") from exc
        yield


def _unchanged_build(corpus_dir: Path, index_dir: Path, config: IndexConfig) -> tuple[BuildReport | None, Manifest | None]:
    """The report of a build with nothing to do, found from the manifest and the files' stamps
    alone (no file parsed, no index loaded), or None when something must be read; and the live
    manifest when it was read and matches `config`."""
    try:
        manifest = read_manifest(index_dir)
        check_compatible(manifest, config, index_dir)
    except IndexError_:
        return None, None
    if (manifest.cleaner_version != CLEANER_VERSION or manifest.config.format_version != FORMAT_VERSION  # an older one is rewritten
            or not manifest.files or not artifacts_intact(index_dir, manifest)):
        return None, manifest
    try:  # files changed since the build are hashed; a damaged index is replaced (`_previous` says why)
        check_checksums(current_generation(index_dir), manifest, damage_hint(index_dir), quick=True)
    except IndexError_:
        return None, manifest
    try:
        metadata, problems = read_metadata(corpus_dir)
        if changed_files(corpus_dir, manifest, metadata):
            return None, manifest
    except CorpusNotFound:
        return None, manifest
    skipped = problems + [Skipped(k, reason) for k, e in manifest.files.items() for reason in e.skipped]
    chunks = manifest.counts["chunks"]
    report = BuildReport(
        documents=manifest.counts["documents"], chunks=chunks, embedded=0, reused=chunks, removed=0,
        skipped=tuple(skipped), seconds=0.0, written=False,
    )
    return report, manifest


def _reuse(previous: IndexData | None) -> Reuse | None:
    """What an unchanged file gave the previous build, read with the same cleaner."""
    if previous is None or previous.manifest.cleaner_version != CLEANER_VERSION:
        return None
    entries, indexed = previous.manifest.files, previous.manifest.documents

    def reuse(relative: str, stamp: FileStamp) -> tuple[list[Document], list[str]] | None:
        entry = entries.get(relative)
        if entry is None or not stamp.same_content(entry.stamp):
            return None
        docs = [indexed.get(doc_id) for doc_id in entry.documents]
        if any(doc is None or doc.source.split("#")[0] != relative for doc in docs):
            return None  # a document it gave was left out (a duplicate id): read the file again
        return [_Indexed(i, d.source, d.title, d.hash) for i, d in zip(entry.documents, docs)], list(entry.skipped)

    return reuse


def _files_changed(files: dict[str, FileEntry], previous: IndexData) -> bool:
    """Whether the corpus files' contents or skip reasons differ from the previous build's."""
    old = previous.manifest.files
    return sorted(files) != sorted(old) or any(
        not entry.stamp.same_content(old[k].stamp) or entry.skipped != old[k].skipped for k, entry in files.items()
    )


def _previous(index_dir: Path, config: IndexConfig, force: bool, manifest: Manifest | None) -> tuple[IndexData | None, list[str]]:
    """The live index to reuse (opened with its `manifest` when already read), with notes on why not."""
    if force:
        return None, ["--force: re-embedding every document"]
    try:
        return _undamaged(index_dir, load_index(index_dir, config, manifest), [])
    except IndexMismatch as exc:
        lexical_only = _lexical_changed(index_dir, config)
        if lexical_only is not None:  # vectors stay good; the BM25 index is rebuilt from the chunks anyway
            return _undamaged(index_dir, lexical_only, [f"rebuilding the lexical index: {exc.reason}"])
        return None, [f"re-embedding every document: {exc.reason}"]
    except IndexError_ as exc:
        if (index_dir / "CURRENT").exists():
            return None, [_damage_note(exc)]
        return None, []


def _undamaged(index_dir: Path, previous: IndexData, notes: list[str]) -> tuple[IndexData | None, list[str]]:
    """`previous`, unless a file changed since its build differs from its checksum (a damaged
    index is not reused: every document is embedded again)."""
    try:
        check_checksums(previous.folder, previous.manifest, damage_hint(index_dir), quick=True)
    except IndexCorrupt as exc:
        previous.close()
        return None, [_damage_note(exc)]
    return previous, notes


def _damage_note(exc: Exception) -> str:
    """The warning of a build replacing a damaged index: the damage, without its advice to rebuild."""
    reason, _, advice = str(exc).rpartition("; ")
    return f"{DAMAGE_NOTE}, building a fresh one: {reason if reason and 'qa index build' in advice else exc}"


def _part(doc: Document | _Indexed, previous: IndexData | None, encoder: TextEncoder, config: IndexConfig) -> _Part:
    old = previous.manifest.documents.get(doc.doc_id) if previous else None
    if previous is not None and old is not None and old.hash == doc.content_hash:  # always so for an _Indexed
        position = previous.layout.position[doc.doc_id]
        sentences = int(previous.layout.sentence_counts[position]) if config.sentences else 0
        return _Part(doc, old.chunks, sentences, kept=position)
    sentences = split_sentences(doc.text) if config.sentences else []
    prefix = doc.title + "\n"
    chunks = chunk_document(doc, config.chunker, window=lambda text: encoder.fits(prefix + text))
    return _Part(doc, len(chunks), len(sentences), chunks=chunks, sentences=sentences)


SENTENCE_SLICE = 65_536  # sentences embedded per call (25 MB of float16 vectors at 384 dimensions)


def _embed_missing(parts: list[_Part], encoder: TextEncoder, config: IndexConfig, progress: bool) -> int:
    """Embed the chunks of new or changed documents in one batch, their sentences in slices."""
    todo = [p for p in parts if p.kept is None]
    if not todo:
        return 0
    texts = [passage_text(c) for p in todo for c in p.chunks]
    vectors = encoder.encode(texts, progress=progress)
    row = 0
    for p in todo:
        p.chunk_vectors = vectors[row:row + len(p.chunks)]
        row += len(p.chunks)
    if config.sentences:
        sentence_vectors = _embed_sentences(todo, encoder, config.model.dim, progress)
        row = 0
        for p in todo:
            p.sentence_vectors = sentence_vectors[row:row + len(p.sentences)]
            row += len(p.sentences)
    return len(texts)


def _embed_sentences(todo: list[_Part], encoder: TextEncoder, dim: int, progress: bool) -> np.ndarray:
    """The sentence vectors of `todo`'s documents, as stored (SENTENCE_DTYPE), embedded
    SENTENCE_SLICE at a time: a build never holds all of them, nor all their texts, in float32."""
    total = sum(len(p.sentences) for p in todo)
    out = np.empty((total, dim), dtype=SENTENCE_DTYPE)
    texts = (p.doc.text[s:e] for p in todo for s, e in p.sentences)
    starts = range(0, total, SENTENCE_SLICE)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc="Sentences", unit="slice")
    for start in starts:
        batch = list(islice(texts, SENTENCE_SLICE))
        out[start:start + len(batch)] = encoder.encode(batch)
    return out


def _lexical_changed(index_dir: Path, config: IndexConfig) -> IndexData | None:
    """The previous index when only its lexical settings differ from `config`, else None."""
    try:
        return load_index(index_dir, replace(config, lexical=read_manifest(index_dir).config.lexical))
    except IndexError_:
        return None


def _metadata_changed(parts: list[_Part], previous: IndexData) -> bool:
    return [p.doc.doc_id for p in parts] != list(previous.documents)


def _write(
    index_dir: Path, corpus_dir: Path, parts: list[_Part], files: dict[str, FileEntry], config: IndexConfig, seconds: float,
    previous: IndexData | None,
) -> None:
    manifest = Manifest(
        config=config,
        documents={p.doc.doc_id: DocumentEntry(p.doc.content_hash, p.doc.source, p.doc.title, p.chunk_count) for p in parts},
        counts={"documents": len(parts), "chunks": sum(p.chunk_count for p in parts), "sentences": sum(p.sentence_count for p in parts)},
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        build_seconds=seconds,
        corpus=str(corpus_dir.resolve()),
        versions=_versions(),
        cleaner_version=CLEANER_VERSION,
        files=files,
    )
    entries = [
        Kept(p.kept) if p.kept is not None
        else Fresh(p.doc, p.chunks, p.sentences, p.chunk_vectors, p.sentence_vectors, digest_of(p.doc, p.sentences, p.sentence_vectors))
        for p in parts
    ]
    kept = any(p.kept is not None for p in parts)
    first_chunk = previous.layout.first_chunk if previous is not None else None
    order = row_order([p.kept for p in parts], first_chunk, appending(entries, previous, config))
    chunk_terms = _chunk_terms([parts[i] for i in order], previous, config)
    write_generation(index_dir, manifest, entries, previous if kept else None, build_bm25(chunk_terms), chunk_terms)


def _chunk_terms(parts: list[_Part], previous: IndexData | None, config: IndexConfig) -> ChunkTerms:
    """Every chunk's lexical terms in row order (`parts` in the order their rows are written):
    kept chunks' from the previous generation, new ones tokenised (kept ones too when the
    lexical settings changed, read back from the records)."""
    same = previous is not None and previous.manifest.config.lexical == config.lexical
    base = ChunkTerms.load(previous.folder, previous.lexical) if same else None
    builder = TermsBuilder(base)
    run: list[int] = []  # pending [first row, stop row) of the base

    for p in parts:
        if p.kept is not None and base is not None:
            first = int(previous.layout.first_chunk[p.kept])
            if run and run[1] == first:
                run[1] = first + p.chunk_count
            else:
                if run:
                    builder.add_rows(*run)
                run = [first, first + p.chunk_count]
            continue
        if run:
            builder.add_rows(*run)
            run = []
        if p.kept is None:
            builder.add_passages(passage_text(c) for c in p.chunks)
        else:
            first = int(previous.layout.first_key[p.kept])
            builder.add_passages(passage(*fields) for fields in previous.records.passages(first, first + p.chunk_count))
    if run:
        builder.add_rows(*run)
    return builder.result()


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
    verification: Verification | None = None  # what `verify` checked of the files

    def to_json(self) -> dict:
        m = self.manifest
        return {
            "documents": m.counts["documents"], "chunks": m.counts["chunks"], "model": m.config.model.name,
            "dim": m.config.model.dim, "encoder": m.config.model.encoder, "precision": m.config.model.precision,
            "built_at": m.built_at, "format_version": m.config.format_version, "stale": list(self.stale),
        }


def index_status(index_dir: Path, corpus_dir: Path | None = None, verify: bool = False) -> Status:
    """The live index's manifest and the corpus files changed, added or removed since it was
    built, found from the files' stamps (a file is hashed only when its size or time changed).
    `verify`: check the index's files first as opening does and against their checksums
    (`index.verify`: reads the whole index), raising IndexCorrupt on damage."""
    folder = current_generation(index_dir)
    manifest = Manifest.read(folder)
    verification = verify_generation(folder, manifest, damage_hint(index_dir)) if verify else None
    corpus = corpus_dir or Path(manifest.corpus)
    try:
        metadata, _ = read_metadata(corpus)
        if manifest.cleaner_version != CLEANER_VERSION:  # every file is read again by the next build
            stale = tuple(sorted({p.relative_to(corpus).as_posix() for p in corpus_files(corpus)} | set(manifest.files)))
        else:
            stale = tuple(changed_files(corpus, manifest, metadata))
    except CorpusNotFound:  # the corpus vanished: every indexed file is stale
        stale = tuple(sorted(manifest.files or {e.source for e in manifest.documents.values()}))
    return Status(manifest, stale, verification)

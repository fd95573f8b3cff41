"""Loading: every supported file under a corpus folder becomes a cleaned `Document`.

Per-document metadata (title, author, date, type, url, id) comes from the sidecar
`metadata.json` in the corpus folder, keyed by file name relative to the folder; what a file
states itself (front matter, PDF info) fills what the sidecar leaves out. Files that cannot be
read are skipped and reported, never fatal. Each file is stamped (size, modification time, a
hash of its bytes and of its metadata entry) so that a build can reuse what it read before
without parsing the file again.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from corpus.assembler import CleanText, assemble
from corpus.cleaning import clean_pages
from corpus.document import DOC_ID_PATTERN, Document, slugify
from corpus.errors import CorpusNotFound, UnreadableDocument
from corpus.raw import RawDocument
from corpus.readers import READERS

METADATA_FILE = "metadata.json"
METADATA_FIELDS = ("id", "title", "author", "date", "type", "url")
CLEANER_VERSION = 4  # bump when reading or cleaning rules change: a build then reads every file again
HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True)
class FileStamp:
    """What a file was when it was read: a build reads it again only when this changes."""

    size: int
    mtime_ns: int
    sha256: str
    meta: str  # hash of its metadata.json entry

    def same_content(self, other: "FileStamp | None") -> bool:
        return other is not None and (self.sha256, self.meta) == (other.sha256, other.meta)


@dataclass(frozen=True)
class FileReport:
    """How one file was read, for `qa corpus check`."""

    path: str
    documents: tuple[Document, ...] = ()
    page_count: int = 0
    removed: dict[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileEntry:
    """A file's stamp and what it gave: the ids of its documents and the reasons it was skipped."""

    stamp: FileStamp
    documents: tuple[str, ...]
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadedCorpus:
    documents: tuple[Document, ...]
    skipped: tuple[Skipped, ...]
    files: dict[str, FileEntry] = field(default_factory=dict)
    reports: tuple[FileReport, ...] = ()


# Given a file's relative path and its stamp now, the documents and skip reasons read from it
# before when it has not changed since, else None.
Reuse = Callable[[str, FileStamp], "tuple[list[Document], list[str]] | None"]


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Candidate files, sorted; hidden files and the metadata sidecar are not candidates."""
    if not corpus_dir.is_dir():
        raise CorpusNotFound(f"corpus folder {corpus_dir} does not exist; pass --corpus DIR")
    files = [
        p
        for p in sorted(corpus_dir.rglob("*"))
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(corpus_dir).parts)
        and p.name != METADATA_FILE
    ]
    if not files:
        raise CorpusNotFound(f"corpus folder {corpus_dir} holds no files; add .txt, .md, .html, .pdf, .docx or .jsonl documents")
    return files


def read_metadata(corpus_dir: Path) -> tuple[dict[str, dict[str, str]], list[Skipped]]:
    """The sidecar's entries by file name; a broken entry is reported and the others kept."""
    path = corpus_dir / METADATA_FILE
    if not path.exists():
        return {}, []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {}, [Skipped(METADATA_FILE, f"metadata ignored: not valid JSON ({exc})")]
    if not isinstance(data, dict):
        return {}, [Skipped(METADATA_FILE, "metadata ignored: expected an object keyed by file name")]
    entries, problems = {}, []
    for name, entry in data.items():
        if not isinstance(entry, dict):
            problems.append(Skipped(METADATA_FILE, f"entry {name!r} ignored: expected an object of fields"))
            continue
        entries[name] = {k: str(v) for k, v in entry.items() if k in METADATA_FIELDS and v is not None}
    return entries, problems


def stamp_file(path: Path, meta: dict[str, str], previous: FileStamp | None = None) -> FileStamp:
    """The file's stamp; its bytes are hashed only when size or modification time changed."""
    st = path.stat()
    meta_hash = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()[:16]
    if previous is not None and (previous.size, previous.mtime_ns) == (st.st_size, st.st_mtime_ns):
        return FileStamp(st.st_size, st.st_mtime_ns, previous.sha256, meta_hash)
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(HASH_CHUNK):
            digest.update(block)
    return FileStamp(st.st_size, st.st_mtime_ns, digest.hexdigest(), meta_hash)


def load_corpus(corpus_dir: Path, reuse: Reuse | None = None, previous: dict[str, FileStamp] | None = None) -> LoadedCorpus:
    """Read, clean and describe every document of the corpus folder.

    `previous` holds the stamps of an earlier read, so unchanged files are not hashed again;
    `reuse` gives back what an unchanged file held, so it is not parsed again.
    """
    files = corpus_files(corpus_dir)
    metadata, skipped = read_metadata(corpus_dir)
    documents: dict[str, Document] = {}
    entries: dict[str, FileEntry] = {}
    reports: list[FileReport] = []
    for path in files:
        relative = path.relative_to(corpus_dir).as_posix()
        meta = metadata.get(relative, {})
        try:
            stamp = stamp_file(path, meta, (previous or {}).get(relative))
        except OSError as exc:
            skipped.append(Skipped(relative, f"cannot read file ({exc.strerror or exc})"))
            continue
        kept = reuse(relative, stamp) if reuse is not None else None
        if kept is not None:
            docs, reasons = kept
            report = FileReport(relative, tuple(docs), skipped=tuple(reasons))
        else:
            report = read_file(path, relative, meta)
        reasons = list(report.skipped)
        for doc in report.documents:
            if doc.doc_id in documents:
                reasons.append(f"duplicate document id '{doc.doc_id}' (also in {documents[doc.doc_id].source}); set another id in {METADATA_FILE}")
            else:
                documents[doc.doc_id] = doc
        skipped += [_skip(relative, reason) for reason in reasons]
        # every id the file gave, duplicates too: reusing it then needs them all, so a file whose
        # duplicate has become the only one (the other file was removed) is read again
        entries[relative] = FileEntry(stamp, tuple(d.doc_id for d in report.documents), tuple(report.skipped))
        reports.append(report)
    return LoadedCorpus(tuple(documents.values()), tuple(skipped), entries, tuple(reports))


def _skip(relative: str, reason: str) -> Skipped:
    """A skip reason may name a line of the file ('corpus.jsonl:3: not a JSON object')."""
    path, sep, rest = reason.partition(": ")
    if sep and path.startswith(relative + ":"):
        return Skipped(path, rest)
    return Skipped(relative, reason)


def read_file(path: Path, relative: str, meta: dict[str, str]) -> FileReport:
    """Read one file into its documents, with what was removed and what the user should know."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        return FileReport(relative, skipped=(f"unsupported file type '{path.suffix or path.name}'; supported: {', '.join(sorted(READERS))}",))
    documents: list[Document] = []
    reasons: list[str] = []
    removed: Counter[str] = Counter()
    warnings: list[str] = []
    page_count = 0
    try:
        for raw in reader(path):
            if isinstance(raw, UnreadableDocument):
                reasons.append(f"{relative}{raw.path[len(str(path)):]}: {raw.reason}")
                continue
            cleaned = _clean(raw)
            removed.update(raw.removed)
            removed.update(cleaned.removed)
            warnings += raw.warnings
            page_count = max(page_count, raw.page_count or len(cleaned.pages))
            try:
                doc = _to_document(raw, cleaned, relative, meta)
            except ValueError as exc:  # e.g. an id or title from metadata.json that is not valid
                reasons.append(f"{exc}; check {METADATA_FILE}" if meta else str(exc))
                continue
            if doc is None:
                reasons.append("no text left after cleaning")
            else:
                documents.append(doc)
    except UnreadableDocument as exc:
        reasons.append(exc.reason)
    return FileReport(relative, tuple(documents), page_count, dict(removed), tuple(warnings), tuple(reasons))


def _clean(raw: RawDocument) -> CleanText:
    if raw.blocks:
        return assemble(raw.blocks, paged=raw.paged, page_count=raw.page_count)
    return clean_pages(list(raw.pages), paged=raw.paged)


def _to_document(raw: RawDocument, cleaned: CleanText, relative: str, meta: dict[str, str]) -> Document | None:
    if not cleaned.text.strip():
        return None
    if raw.key:
        doc_id = raw.key if DOC_ID_PATTERN.match(raw.key) else slugify(raw.key)
    else:
        doc_id = meta.get("id") or slugify(Path(relative).with_suffix("").as_posix())
    first_heading = cleaned.headings[0].title if cleaned.headings else ""
    from_text = _shorten(first_heading or _first_line(cleaned.text))
    title = meta.get("title") or " ".join(raw.title.split()) or from_text or Path(relative).stem
    return Document(
        doc_id=doc_id,
        title=title,
        text=cleaned.text,
        source=relative if not raw.key else f"{relative}#{raw.key}",
        author=meta.get("author") or raw.meta.get("author", ""),
        date=meta.get("date") or raw.meta.get("date", ""),
        doc_type=meta.get("type", ""),
        url=meta.get("url", ""),
        pages=cleaned.pages,
        sections=cleaned.headings,
        blocks=cleaned.blocks,
    )


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0].strip()


def _shorten(title: str) -> str:
    """A title taken from the text: its first heading or line, cut to a title's length."""
    title = " ".join(title.split())
    return title if len(title) <= 120 else title[:117] + "..."

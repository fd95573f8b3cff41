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
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from corpus.assembler import CleanText, assemble
from corpus.cleaning import clean_pages
from corpus.document import DOC_ID_PATTERN, Document, slugify
from corpus.errors import CorpusNotFound, UnreadableDocument
from corpus.metadata import METADATA_FILE, read_metadata_file
from corpus.raw import RawDocument
from corpus.readers import READERS

CLEANER_VERSION = 5  # bump when reading or cleaning rules change: a build then reads every file again
HASH_CHUNK = 1 << 20
UNREADABLE_FOLDER = "cannot read folder"
OUTSIDE_LINK = "symlink to a file outside the corpus folder"
NOTHING_SKIPPED = "no file held a document"
SHOWN_REASONS = 10  # skip reasons named in a one-line message; the rest are counted


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True)
class CorpusScan:
    """The candidate files by relative path ('sub/report.pdf'), in the order of their `Path`s,
    with their directory entries (whose stat is read once), and the folders that could not be listed."""

    entries: tuple[tuple[str, os.DirEntry], ...]
    unreadable: tuple[Skipped, ...] = ()

    @property
    def files(self) -> tuple[Path, ...]:
        return tuple(Path(entry.path) for _, entry in self.entries)


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
    return list(scan_corpus(corpus_dir).files)


def scan_corpus(corpus_dir: Path) -> CorpusScan:
    """The candidate files of the folder (hidden entries and the sidecar left out, symlinked
    folders not entered), and the folders that could not be listed. Walked with `os.scandir` and
    strings, no `pathlib` object per file: a build and a no-op rebuild walk every file. Raises
    CorpusNotFound when the folder is missing or holds no files."""
    if not corpus_dir.is_dir():
        raise CorpusNotFound(f"corpus folder {corpus_dir} does not exist; pass --corpus DIR")
    found: list[tuple[str, os.DirEntry]] = []
    unreadable: list[Skipped] = []
    pending = [(str(corpus_dir), "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError as exc:
            unreadable.append(Skipped(prefix or "./", f"{UNREADABLE_FOLDER} ({exc.strerror or exc}); its files are not indexed"))
            continue
        for entry in listed:
            if entry.name.startswith("."):
                continue
            if entry.is_dir() and not entry.is_symlink():
                pending.append((entry.path, f"{prefix}{entry.name}/"))
            elif entry.is_file() and entry.name != METADATA_FILE:
                found.append((prefix + entry.name, entry))
    if not found:
        found_note = f" it can read ({describe_skipped(unreadable)})" if unreadable else ""
        raise CorpusNotFound(f"corpus folder {corpus_dir} holds no files{found_note}; add .txt, .md, .html, .pdf, .docx or .jsonl documents")
    found.sort(key=lambda item: item[0].split("/"))  # as the files' `Path`s sort
    return CorpusScan(tuple(found), tuple(sorted(unreadable, key=lambda s: s.path)))


def read_metadata(corpus_dir: Path) -> tuple[dict[str, dict[str, str]], list[Skipped]]:
    """The sidecar's entries by file name; a broken entry is reported and the others kept."""
    entries, problems = read_metadata_file(corpus_dir)
    return entries, [Skipped(METADATA_FILE, p.reason) for p in problems]


def outside_link(path: Path, corpus_dir: Path) -> str | None:
    """Where a symlinked file points when that is outside the corpus folder (it is not read)."""
    if not path.is_symlink():
        return None
    target = Path(os.path.realpath(path))
    return None if target.is_relative_to(Path(os.path.realpath(corpus_dir))) else str(target)


def stamp_file(path: Path | str, meta: dict[str, str], previous: FileStamp | None = None, st: os.stat_result | None = None) -> FileStamp:
    """The file's stamp; its bytes are hashed only when size or modification time changed
    (`st`: its stat, when already read)."""
    st = st or os.stat(path)
    meta_hash = _meta_hash(meta)
    if previous is not None and (previous.size, previous.mtime_ns) == (st.st_size, st.st_mtime_ns):
        return FileStamp(st.st_size, st.st_mtime_ns, previous.sha256, meta_hash)
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(HASH_CHUNK):
            digest.update(block)
    return FileStamp(st.st_size, st.st_mtime_ns, digest.hexdigest(), meta_hash)


def _meta_hash(meta: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()[:16]


def _link_stamp(path: Path, target: str, meta: dict[str, str]) -> FileStamp:
    """A refused symlink's stamp: its target's size and time and a hash of where it points, so a
    rebuild sees it unchanged without reading the file it points to."""
    st = path.stat()
    return FileStamp(st.st_size, st.st_mtime_ns, hashlib.sha256(f"symlink:{target}".encode()).hexdigest(), _meta_hash(meta))


def describe_skipped(skipped: tuple[Skipped, ...] | list[Skipped], shown: int = SHOWN_REASONS) -> str:
    """The skip reasons in one line: the first `shown` named, the others counted."""
    if not skipped:
        return NOTHING_SKIPPED
    named = "; ".join(f"{s.path}: {s.reason}" for s in skipped[:shown])
    more = len(skipped) - shown
    return named + (f"; and {more} more" if more > 0 else "")


def load_corpus(corpus_dir: Path, reuse: Reuse | None = None, previous: dict[str, FileStamp] | None = None) -> LoadedCorpus:
    """Read, clean and describe every document of the corpus folder.

    `previous` holds the stamps of an earlier read, so unchanged files are not hashed again;
    `reuse` gives back what an unchanged file held, so it is not parsed again.
    """
    scan = scan_corpus(corpus_dir)
    metadata, skipped = read_metadata(corpus_dir)
    skipped += scan.unreadable
    documents: dict[str, Document] = {}
    entries: dict[str, FileEntry] = {}
    reports: list[FileReport] = []
    for relative, entry in scan.entries:
        meta = metadata.get(relative, {})
        link = Path(entry.path) if entry.is_symlink() else None  # d_type: no stat
        target = outside_link(link, corpus_dir) if link else None
        try:
            stamp = _link_stamp(link, target, meta) if target else stamp_file(entry.path, meta, (previous or {}).get(relative), entry.stat())
        except OSError as exc:
            skipped.append(Skipped(relative, f"cannot read file ({exc.strerror or exc})"))
            continue
        kept = reuse(relative, stamp) if reuse is not None and not target else None
        if target:
            report = FileReport(relative, skipped=(f"{OUTSIDE_LINK} ({target}); not read",))
        elif kept is not None:
            docs, reasons = kept
            report = FileReport(relative, tuple(docs), skipped=tuple(reasons))
        else:
            report = read_file(Path(entry.path), relative, meta)
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

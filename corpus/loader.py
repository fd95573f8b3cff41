"""Loading: every supported file under a corpus folder becomes a cleaned `Document`.

Per-document metadata (title, author, date, type, url, id) comes from the sidecar
`metadata.json` in the corpus folder, keyed by file name relative to the folder.
Files that cannot be read are skipped and reported, never fatal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from corpus.cleaning import clean_pages
from corpus.document import DOC_ID_PATTERN, Document, slugify
from corpus.errors import CorpusNotFound, UnreadableDocument
from corpus.readers import READERS, RawDocument

METADATA_FILE = "metadata.json"
METADATA_FIELDS = ("id", "title", "author", "date", "type", "url")


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True)
class LoadedCorpus:
    documents: tuple[Document, ...]
    skipped: tuple[Skipped, ...]


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
    path = corpus_dir / METADATA_FILE
    if not path.exists():
        return {}, []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise ValueError("expected an object of objects")
    except (OSError, ValueError) as exc:
        return {}, [Skipped(str(path), f"metadata ignored: not valid JSON ({exc})")]
    return {name: {k: str(v) for k, v in entry.items() if k in METADATA_FIELDS} for name, entry in data.items()}, []


def load_corpus(corpus_dir: Path) -> LoadedCorpus:
    """Read, clean and describe every document of the corpus folder."""
    files = corpus_files(corpus_dir)
    metadata, skipped = read_metadata(corpus_dir)
    documents: dict[str, Document] = {}
    for path in files:
        relative = path.relative_to(corpus_dir).as_posix()
        reader = READERS.get(path.suffix.lower())
        if reader is None:
            skipped.append(Skipped(relative, f"unsupported file type '{path.suffix or path.name}'; supported: {', '.join(sorted(READERS))}"))
            continue
        try:
            for raw in reader(path):
                if isinstance(raw, UnreadableDocument):
                    skipped.append(Skipped(_relative(raw.path, corpus_dir), raw.reason))
                    continue
                try:
                    doc = _to_document(raw, relative, metadata.get(relative, {}))
                except ValueError as exc:  # e.g. an id or title from metadata.json that is not valid
                    skipped.append(Skipped(relative, f"{exc}; check {METADATA_FILE}" if relative in metadata else str(exc)))
                    continue
                if doc is None:
                    skipped.append(Skipped(relative, "no text left after cleaning"))
                elif doc.doc_id in documents:
                    skipped.append(Skipped(relative, f"duplicate document id '{doc.doc_id}' (also in {documents[doc.doc_id].source}); set another id in {METADATA_FILE}"))
                else:
                    documents[doc.doc_id] = doc
        except UnreadableDocument as exc:
            skipped.append(Skipped(relative, exc.reason))
    return LoadedCorpus(tuple(documents.values()), tuple(skipped))


def _relative(path: str, corpus_dir: Path) -> str:
    try:
        return Path(path).relative_to(corpus_dir).as_posix()
    except ValueError:
        return path


def _to_document(raw: RawDocument, relative: str, meta: dict[str, str]) -> Document | None:
    cleaned = clean_pages(raw.pages, paged=raw.paged)
    if not cleaned.text.strip():
        return None
    if raw.key:
        doc_id = raw.key if DOC_ID_PATTERN.match(raw.key) else slugify(raw.key)
    else:
        doc_id = meta.get("id") or slugify(Path(relative).with_suffix("").as_posix())
    title = meta.get("title") or raw.title.strip() or _first_line(cleaned.text) or Path(relative).stem
    return Document(
        doc_id=doc_id,
        title=title,
        text=cleaned.text,
        source=relative if not raw.key else f"{relative}#{raw.key}",
        author=meta.get("author", ""),
        date=meta.get("date", ""),
        doc_type=meta.get("type", ""),
        url=meta.get("url", ""),
        pages=cleaned.pages,
        sections=cleaned.headings,
    )


def _first_line(text: str) -> str:
    line = text.strip().split("\n", 1)[0].strip()
    return line if len(line) <= 120 else line[:117] + "..."

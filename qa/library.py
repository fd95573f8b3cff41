"""The library a server manages: its corpus folder, its index, and the assistant answering from it.

Files added from the browser are checked (type, size, a safe name, readable by the same readers
as `qa index build`), written into the corpus folder, then an incremental build runs and the
assistant over the new generation replaces the old one in a single assignment: a question asked
during the build is answered from the old generation, one asked after from the new. A removed
document's file is moved out of the corpus folder into `<index>/removed/`, not deleted.
"""

from __future__ import annotations

import shutil
import threading
import time
import unicodedata
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from corpus.loader import METADATA_FILE, read_file

ALLOWED_SUFFIXES = (".pdf", ".docx", ".html", ".htm", ".md", ".markdown", ".txt")
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
MAX_NAME_CHARS = 120
REMOVED_DIR = "removed"

Progress = Callable[[float, str], None]


class LibraryError(ValueError):
    """A change to the library that cannot be made; the message is one line for the user."""


class RejectedUpload(LibraryError):
    """An uploaded file refused before it reached the corpus folder."""


@dataclass(frozen=True)
class Upload:
    """One file as the browser sent it: the name the user gave it and where the server holds it."""

    name: str
    path: Path

    def __post_init__(self):
        if not isinstance(self.name, str) or not isinstance(self.path, Path):
            raise TypeError("Upload needs a str name and a Path")


@dataclass(frozen=True)
class Change:
    """What one change to the library did: files added or removed, the build's figures, and
    one line per file that was refused or skipped."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()
    documents: int = 0
    embedded: int = 0
    seconds: float = 0.0


def safe_name(name: str) -> str:
    """The file name an upload is stored under, or RejectedUpload saying why it is refused."""
    if not isinstance(name, str) or not name.strip():
        raise RejectedUpload("a file has no name; rename it and upload it again")
    shown = name.encode("unicode_escape").decode("ascii")[:MAX_NAME_CHARS]
    normal = unicodedata.normalize("NFC", name.strip())
    if "/" in normal or "\\" in normal or normal in (".", "..") or normal.startswith("."):
        raise RejectedUpload(f"{shown}: file names may not contain a folder, '..' or start with '.'; rename the file")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in normal):
        raise RejectedUpload(f"{shown}: the file name holds control characters; rename the file")
    if len(normal) > MAX_NAME_CHARS:
        raise RejectedUpload(f"{shown}…: the file name is longer than {MAX_NAME_CHARS} characters; shorten it")
    if normal == METADATA_FILE:
        raise RejectedUpload(f"{normal}: the metadata sidecar cannot be uploaded; edit it in the corpus folder")
    suffix = Path(normal).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise RejectedUpload(f"{normal}: '{suffix or 'no extension'}' files are not accepted; upload {', '.join(ALLOWED_SUFFIXES)}")
    return normal


def file_size(size: int) -> str:
    """A size in bytes as a person reads it: "180 bytes", "4.1 KB", "0.3 MB", "26.2 MB"."""
    if size < 1000:
        return f"{size} bytes"
    return f"{size / 1e3:.1f} KB" if size < 100_000 else f"{size / 1e6:.1f} MB"


class Library:
    """A corpus folder and its index, with the assistant answering from the live generation.

    `open_assistant(index_dir)` loads an assistant (used after each build); `build(corpus, index)`
    runs an incremental build and returns its `index.build.BuildReport`."""

    def __init__(self, corpus_dir: Path, index_dir: Path, assistant, open_assistant: Callable, build: Callable,
                 read_only: bool = False, max_bytes: int = MAX_UPLOAD_BYTES):
        self.corpus_dir, self.index_dir = Path(corpus_dir), Path(index_dir)
        self.assistant = assistant  # replaced whole after a build; readers take it once per question
        self.read_only, self.max_bytes = read_only, max_bytes
        self._open, self._build = open_assistant, build
        self._lock = threading.Lock()

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def add(self, uploads: list[Upload], progress: Progress = lambda f, s: None) -> Change:
        """Check every upload, copy the good ones into the corpus folder and rebuild."""
        self._writable()
        if not uploads:
            raise RejectedUpload("no file was chosen; pick one or more files first")
        with self._exclusive():
            progress(0.05, "checking the files")
            accepted, refused = [], []
            for upload in uploads:
                try:
                    accepted.append(self._accept(upload))
                except RejectedUpload as exc:
                    refused.append(str(exc))
            if not accepted:
                return Change(refused=tuple(refused))
            self.corpus_dir.mkdir(parents=True, exist_ok=True)
            for name, source in accepted:
                shutil.copyfile(source, self.corpus_dir / name)
            change = self._rebuild(progress)
            return Change(added=tuple(n for n, _ in accepted), refused=tuple(refused) + change.refused,
                          documents=change.documents, embedded=change.embedded, seconds=change.seconds)

    def remove(self, doc_id: str, progress: Progress = lambda f, s: None) -> Change:
        """Move the file holding document `doc_id` out of the corpus folder and rebuild."""
        self._writable()
        with self._exclusive():
            doc = self.assistant.documents.get(doc_id)
            if doc is None:
                raise LibraryError(f"no document {doc_id!r} in the library; it may have been removed already")
            relative = doc.source.split("#", 1)[0]
            path = (self.corpus_dir / relative).resolve()
            if not path.is_relative_to(self.corpus_dir.resolve()) or not path.is_file():
                raise LibraryError(f"the file of {doc.title!r} ({relative}) is not in {self.corpus_dir}; remove it there")
            trash = self.index_dir / REMOVED_DIR / time.strftime("%Y%m%dT%H%M%S")
            trash.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), trash / path.name)
            change = self._rebuild(progress)
            return Change(removed=(relative,), refused=change.refused, documents=change.documents, seconds=change.seconds)

    def _accept(self, upload: Upload) -> tuple[str, Path]:
        name = safe_name(upload.name)
        size = upload.path.stat().st_size
        if size > self.max_bytes:
            raise RejectedUpload(f"{name}: {file_size(size)} is over the {file_size(self.max_bytes)} limit for uploads")
        if (self.corpus_dir / name).exists():
            raise RejectedUpload(f"{name}: a file of that name is already in the library; rename it or remove the old one first")
        staged = upload.path.with_name(name) if upload.path.name != name else upload.path
        if staged != upload.path:
            shutil.copyfile(upload.path, staged)
        report = read_file(staged, name, {})
        if not report.documents:
            raise RejectedUpload(f"{name}: {'; '.join(report.skipped) or 'no text could be read'}")
        return name, staged

    def _rebuild(self, progress: Progress) -> Change:
        from corpus.errors import CorpusError
        from index.errors import IndexError_

        progress(0.2, "reading and embedding the changed documents")
        try:
            report = self._build(self.corpus_dir, self.index_dir)
        except (IndexError_, CorpusError) as exc:  # the previous generation stays live
            raise LibraryError(f"the index could not be updated ({exc}); the library is unchanged for questions") from None
        progress(0.9, "opening the new index")
        self.assistant = self._open(self.index_dir)
        progress(1.0, "done")
        refused = tuple(f"{s.path}: {s.reason}" for s in report.skipped)
        return Change(refused=refused, documents=report.documents, embedded=report.embedded, seconds=report.seconds)

    def _writable(self) -> None:
        if self.read_only:
            raise LibraryError("this server is read-only (--read-only); documents cannot be added or removed")

    @contextmanager
    def _exclusive(self):
        if not self._lock.acquire(blocking=False):
            raise LibraryError("the library is being updated; try again when the current build has finished")
        try:
            yield
        finally:
            self._lock.release()


def serving_library(assistant, corpus_dir: Path, index_dir: Path, read_only: bool = False,
                    max_bytes: int = MAX_UPLOAD_BYTES) -> Library:
    """The library a server manages: builds and reopens with the live assistant's own encoder."""
    from index.build import build_index
    from index.manifest import IndexConfig
    from qa.assistant import Assistant

    def build(corpus: Path, index: Path):
        encoder = library.assistant.encoder
        return build_index(corpus, index, encoder, IndexConfig(model=encoder.info))

    def open_assistant(index: Path):
        return Assistant.open(index, encoder=library.assistant.encoder)

    library = Library(corpus_dir, index_dir, assistant, open_assistant, build, read_only=read_only, max_bytes=max_bytes)
    return library

"""The manifest: what an index was built from and with, checked on every load."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np

from corpus.chunking import ChunkerSettings
from corpus.loader import FileEntry, FileStamp
from index.dense import DenseParams
from index.embedder import ENCODER_ENV, ModelInfo
from index.errors import IndexCorrupt, IndexMismatch
from index.lexical import LEXICAL_SETTINGS

# 2: documents carry their blocks; the manifest stamps each corpus file; 3: records in SQLite, read
# lazily; 4: the documents' names indexed in the records, each chunk's sentence range in an array;
# 5: sentence vectors stored as float16
# 7: vectors in segments, new documents' rows appended (layout with first rows); 8: each document's
# digest in the records (`index/digests.py`)
FORMAT_VERSION = 8
READABLE_FORMATS = (7, 8)  # what this program opens (format 7: no digests yet; a build adds them)
MANIFEST_FILE = "manifest.json"
DIGEST = "xxh3_128"  # each artifact's checksum (corruption, not tampering): 7.4 GB/s here, sha256 1.0, blake2b 0.4
CHECKSUM_BLOCK = 1 << 20
SEAL = "manifest_sha256"  # the manifest's own checksum, over its bytes with this value zeroed; its last field
_UNSEALED = b"0" * 64
SHOWN_CHARS = 40  # of a wrong manifest value, in the error naming it
V = TypeVar("V")


@dataclass(frozen=True)
class IndexConfig:
    """Everything that must match between an index and the code that reads it."""

    model: ModelInfo
    chunker: ChunkerSettings = ChunkerSettings()
    sentences: bool = True  # sentence embeddings for extractive answers
    format_version: int = FORMAT_VERSION
    lexical: dict = field(default_factory=lambda: dict(LEXICAL_SETTINGS))  # how BM25 tokens are made

    def as_dict(self) -> dict:
        return {
            "format_version": self.format_version,
            "model": asdict(self.model),
            "chunker": self.chunker.as_dict(),
            "tokenizer": self.chunker.tokenizer,
            "lexical": self.lexical,
            "sentences": self.sentences,
        }


@dataclass(frozen=True)
class DocumentEntry:
    hash: str
    source: str
    title: str
    chunks: int


@dataclass(frozen=True)
class Checksum:
    """One artifact as the build left it: its digest, and its modification time then (a file
    whose time and size are unchanged is taken as unchanged by a build's quick check)."""

    digest: str  # DIGEST of its bytes
    mtime_ns: int


def file_checksum(path: Path) -> Checksum:
    import xxhash

    digest = xxhash.xxh3_128()
    with open(path, "rb") as handle:
        while block := handle.read(CHECKSUM_BLOCK):
            digest.update(block)
        return Checksum(digest.hexdigest(), os.fstat(handle.fileno()).st_mtime_ns)


@dataclass(frozen=True)
class Manifest:
    config: IndexConfig
    documents: Mapping[str, DocumentEntry]
    counts: dict[str, int]
    built_at: str
    build_seconds: float
    corpus: str
    versions: dict[str, str] = field(default_factory=dict)
    cleaner_version: int = 0  # corpus.loader.CLEANER_VERSION of the build
    files: Mapping[str, FileEntry] = field(default_factory=dict)  # per corpus file, what it was and gave
    artifacts: dict[str, int] = field(default_factory=dict)  # byte size of each file of the generation
    dense: DenseParams = DenseParams("flat")  # the kind of dense index, its parameters and measured recall
    checksums: dict[str, Checksum] = field(default_factory=dict)  # per artifact; none in manifests from before them
    segments: int = 1  # how many files each vector array is in (`index.store`)

    def __post_init__(self):
        if type(self.segments) is not int or self.segments < 1:
            raise ValueError(f"segments must be a whole number of at least 1, not {self.segments!r}")

    def chunk_counts(self) -> np.ndarray:
        """Each document's chunk count, in index order."""
        if isinstance(self.documents, Entries):
            return self.documents.numbers("chunks")  # without making 100,000 entries
        return np.fromiter((e.chunks for e in self.documents.values()), np.int64, len(self.documents))

    def to_json(self) -> dict:
        return {
            **self.config.as_dict(),
            "documents": {k: dict(vars(v)) for k, v in self.documents.items()},  # vars: asdict is slow at 100,000
            "counts": self.counts,
            "built_at": self.built_at,
            "build_seconds": round(self.build_seconds, 3),
            "corpus": self.corpus,
            "versions": self.versions,
            "cleaner_version": self.cleaner_version,
            "files": {k: _file_to_json(v) for k, v in self.files.items()},
            "artifacts": self.artifacts,
            "dense": self.dense.to_json(),
            "checksums": {k: dict(vars(v)) for k, v in self.checksums.items()},
            "segments": self.segments,
        }

    def write(self, folder: Path) -> None:
        indent = 2 if len(self.documents) <= 1000 else None  # an indent makes json use its slow pure-Python encoder
        data = {**self.to_json(), SEAL: _UNSEALED.decode()}
        raw = (json.dumps(data, indent=indent, ensure_ascii=False) + "\n").encode("utf-8")
        at = raw.rindex(_UNSEALED)
        (folder / MANIFEST_FILE).write_bytes(raw[:at] + hashlib.sha256(raw).hexdigest().encode() + raw[at + len(_UNSEALED):])

    @classmethod
    def read(cls, folder: Path) -> "Manifest":
        """The manifest of the generation `folder`; IndexCorrupt naming the file, and the first
        missing or wrong-typed field, when it cannot be read."""
        path = folder / MANIFEST_FILE
        hint = f"run `qa index build --index {folder.parent}` to replace the damaged index"
        try:
            raw = path.read_bytes()
            data = json.loads(raw.decode("utf-8"))
            if type(data) is not dict:
                raise _Bad(f"the top level should be an object, not {_shown(data)}")
            return _manifest(cls, data, trusted=_sealed(raw) is True)
        except FileNotFoundError as exc:
            raise IndexCorrupt(f"{path} is missing; {hint}") from exc
        except _Bad as exc:
            raise IndexCorrupt(f"{path} is damaged (field {exc}); {hint}") from exc
        except (OSError, ValueError, TypeError, KeyError, RecursionError) as exc:  # not JSON or UTF-8, a folder, a bad setting
            raise IndexCorrupt(f"{path} is unreadable ({type(exc).__name__}: {str(exc)[:80]}); {hint}") from exc


def manifest_unchanged(folder: Path) -> bool | None:
    """Whether the generation's manifest is byte for byte what its build wrote (None: it carries no
    checksum of its own, being from before them); an unreadable one is changed."""
    try:
        raw = (folder / MANIFEST_FILE).read_bytes()
    except OSError:
        return False
    return _sealed(raw)


def _sealed(raw: bytes) -> bool | None:
    """Whether manifest bytes are what their build wrote, by the checksum they carry (None: none)."""
    key = f'"{SEAL}": "'.encode()
    at = raw.rfind(key)
    if at < 0:
        return None
    start = at + len(key)
    sealed, view = raw[start:start + len(_UNSEALED)], memoryview(raw)
    digest = hashlib.sha256(view[:start])  # in place: no copy of a 75 MB manifest
    digest.update(_UNSEALED)
    digest.update(view[start + len(_UNSEALED):])
    return digest.hexdigest().encode() == sealed


class _Bad(Exception):
    """A manifest field missing or of the wrong type: its dotted name and what is wrong."""


_REQUIRED = object()
_KINDS = {int: "a whole number", float: "a number", str: "a string", bool: "true or false", dict: "an object", list: "a list"}
COUNTS = ("documents", "chunks", "sentences")


def _manifest(cls, data: dict, trusted: bool = False) -> Manifest:
    """The manifest of JSON `data`, every field checked; with `trusted` (its bytes are what a build
    wrote: `_sealed`), the documents' and corpus files' entries are made (and a file's checked)
    only when asked for (`Entries`): at 146,520 files that was most of the time taken to open an index."""
    model = _get(data, "model", dict)
    chunker = _get(data, "chunker", dict)
    config = IndexConfig(
        model=ModelInfo(**_fields(model, "model.", True, name=str, dim=int, max_seq_length=int), **_fields(model, "model.", encoder=str, precision=str)),
        chunker=ChunkerSettings(**{"version": 1, **_fields(  # v1 manifests lack the version
            chunker, "chunker.", chunk_tokens=int, overlap_tokens=int, tokenizer=str, version=int)}),
        sentences=_get(data, "sentences", bool),
        format_version=_get(data, "format_version", int),
        lexical=_get(data, "lexical", dict, default={}),
    )
    counts = _map(data, "counts", int)
    missing = [k for k in COUNTS if k not in counts]
    if missing:
        raise _Bad(f"counts.{missing[0]} is missing")
    dense = _get(data, "dense", dict, default={})
    return cls(
        config=config,
        documents=_documents(_get(data, "documents", dict), trusted),
        counts=counts,
        built_at=_get(data, "built_at", str),
        build_seconds=float(_get(data, "build_seconds", float)),
        corpus=_get(data, "corpus", str),
        versions=_map(data, "versions", str, default={}),
        cleaner_version=_get(data, "cleaner_version", int, default=0),
        files=_files(_get(data, "files", dict, default={}), trusted),
        artifacts=_map(data, "artifacts", int, default={}),
        dense=DenseParams.from_json(_fields(dense, "dense.", kind=str, nlist=int, nprobe=int, trained_on=int, recall_at_10=float)),
        checksums={
            k: Checksum(**_fields(_object(v, f"checksums.{k}"), f"checksums.{k}.", required=True, digest=str, mtime_ns=int))
            for k, v in _get(data, "checksums", dict, default={}).items()
        },
        segments=_get(data, "segments", int, default=1),
    )


def _documents(entries: dict, trusted: bool) -> Entries[DocumentEntry]:
    """The documents' entries, checked with one test per field unless `trusted` (100,000 of them
    open an index)."""
    if not trusted:
        for doc_id, v in entries.items():
            if type(v) is not dict or not (
                type(v.get("hash")) is str and type(v.get("source")) is str and type(v.get("title")) is str and type(v.get("chunks")) is int
            ):
                _fields(_object(v, f"documents.{doc_id}"), f"documents.{doc_id}.", required=True, hash=str, source=str, title=str, chunks=int)
    return Entries(entries, _document_entry)


def _document_entry(data: dict, key: str) -> DocumentEntry:
    return DocumentEntry(data["hash"], data["source"], data["title"], data["chunks"])


def _files(entries: dict, trusted: bool) -> Mapping[str, FileEntry]:
    """The corpus files' entries: made when asked for when `trusted`, else each checked now."""
    if trusted:
        return Entries(entries, lambda data, key: _file_from_json(data, f"files.{key}."))
    return {k: _file_from_json(v, f"files.{k}.") for k, v in entries.items()}


class Entries(Mapping[str, V]):
    """Entries of a read manifest (documents in index order, corpus files), each made from its
    JSON by `make` when asked for: opening an index needs only the documents' ids and chunk
    counts, a build every entry."""

    def __init__(self, entries: dict, make: Callable[[dict, str], V]):
        self._entries, self._make = entries, make

    def __getitem__(self, key: str) -> V:
        return self._make(self._entries[key], key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def numbers(self, name: str) -> np.ndarray:
        """Field `name` (a whole number) of every entry, in order, without making the entries."""
        return np.fromiter((v[name] for v in self._entries.values()), np.int64, len(self._entries))


def _get(data: dict, key: str, kind: type, where: str = "", default=_REQUIRED):
    """`data[key]`, of `kind` (JSON's own types: an int is a number, a bool is not), or `default` when absent."""
    if key not in data:
        if default is _REQUIRED:
            raise _Bad(f"{where}{key} is missing")
        return default
    value = data[key]
    if not (type(value) is kind or (kind is float and type(value) is int)):
        raise _Bad(f"{where}{key} should be {_KINDS[kind]}, not {_shown(value)}")
    return value


def _map(data: dict, key: str, kind: type, where: str = "", default=_REQUIRED) -> dict:
    """`data[key]`: an object whose every value is of `kind`."""
    value = _get(data, key, dict, where, default)
    for k in value:
        _get(value, k, kind, f"{where}{key}.")
    return value


def _object(value, where: str) -> dict:
    if type(value) is not dict:
        raise _Bad(f"{where} should be an object, not {_shown(value)}")
    return value


def _fields(data: dict, where: str, required: bool = False, **kinds: type) -> dict:
    """The fields of `kinds` present in `data` (all of them when `required`), each checked."""
    return {k: _get(data, k, kind, where) for k, kind in kinds.items() if required or k in data}


def _shown(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 3] + "..."


def _file_to_json(entry: FileEntry) -> dict:
    return {**vars(entry.stamp), "documents": list(entry.documents), "skipped": list(entry.skipped)}


def _file_from_json(data, where: str) -> FileEntry:
    """A corpus file's entry (`skipped` came later, so may be absent), checked like `_documents`."""
    if not (
        type(data) is dict and type(data.get("size")) is int and type(data.get("mtime_ns")) is int
        and type(data.get("sha256")) is str and type(data.get("meta")) is str
        and type(data.get("documents")) is list and all(type(d) is str for d in data["documents"])
        and type(data.get("skipped", [])) is list and all(type(d) is str for d in data.get("skipped", []))
    ):
        _fields(_object(data, where.rstrip(".")), where, required=True, size=int, mtime_ns=int, sha256=str, meta=str, documents=list)
        for k in ("documents", "skipped"):
            for i, item in enumerate(_get(data, k, list, where, default=[])):
                if type(item) is not str:
                    raise _Bad(f"{where}{k}[{i}] should be a string, not {_shown(item)}")
    stamp = FileStamp(data["size"], data["mtime_ns"], data["sha256"], data["meta"])
    return FileEntry(stamp, tuple(data["documents"]), tuple(data.get("skipped", ())))


def check_compatible(manifest: Manifest, expected: IndexConfig, where: Path) -> None:
    """Refuse an index built with another format, model, encoder or chunker, saying how to rebuild."""
    got = manifest.config
    readable = READABLE_FORMATS if expected.format_version == FORMAT_VERSION else (expected.format_version,)
    if got.format_version not in readable:
        raise IndexMismatch(
            f"index at {where} has format version {got.format_version}, this program reads {expected.format_version}", where
        )
    if (got.model.name, got.model.dim) != (expected.model.name, expected.model.dim):
        raise IndexMismatch(
            f"index at {where} was built with model {got.model.name} ({got.model.dim}d), this program uses {expected.model.name} ({expected.model.dim}d)",
            where,
        )
    if got.model.encoder != expected.model.encoder:  # int8 vectors are close to torch's, not the same
        raise IndexMismatch(
            f"index at {where} was built with the {got.model.encoder} encoder, this program uses {expected.model.encoder} "
            f"(set {ENCODER_ENV}={got.model.encoder} to read it as it is)",
            where,
        )
    if got.chunker != expected.chunker:
        raise IndexMismatch(
            f"index at {where} was built with chunker settings {got.chunker.as_dict()}, this program uses {expected.chunker.as_dict()}",
            where,
        )
    if got.lexical != expected.lexical:
        raise IndexMismatch(
            f"index at {where} was built with lexical settings {got.lexical}, this program uses {expected.lexical}", where
        )
    if expected.sentences and not got.sentences:
        raise IndexMismatch(f"index at {where} has no sentence embeddings, which answers need", where)

"""The manifest: what an index was built from and with, checked on every load."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from corpus.chunking import ChunkerSettings
from corpus.loader import FileEntry, FileStamp
from index.dense import DenseParams
from index.embedder import ENCODER_ENV, ModelInfo
from index.errors import IndexCorrupt, IndexMismatch
from index.lexical import LEXICAL_SETTINGS

# 2: documents carry their blocks; the manifest stamps each corpus file; 3: records in SQLite, read
# lazily; 4: the documents' names indexed in the records, each chunk's sentence range in an array
FORMAT_VERSION = 4
MANIFEST_FILE = "manifest.json"


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
class Manifest:
    config: IndexConfig
    documents: dict[str, DocumentEntry]
    counts: dict[str, int]
    built_at: str
    build_seconds: float
    corpus: str
    versions: dict[str, str] = field(default_factory=dict)
    cleaner_version: int = 0  # corpus.loader.CLEANER_VERSION of the build
    files: dict[str, FileEntry] = field(default_factory=dict)  # per corpus file, what it was and gave
    artifacts: dict[str, int] = field(default_factory=dict)  # byte size of each file of the generation
    dense: DenseParams = DenseParams("flat")  # the kind of dense index, its parameters and measured recall

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
        }

    def write(self, folder: Path) -> None:
        indent = 2 if len(self.documents) <= 1000 else None  # an indent makes json use its slow pure-Python encoder
        (folder / MANIFEST_FILE).write_text(json.dumps(self.to_json(), indent=indent, ensure_ascii=False) + "\n")

    @classmethod
    def read(cls, folder: Path) -> "Manifest":
        path = folder / MANIFEST_FILE
        try:
            data = json.loads(path.read_text())
            config = IndexConfig(
                model=ModelInfo(**data["model"]),
                chunker=ChunkerSettings(**{"version": 1, **data["chunker"]}),  # v1 manifests lack it
                sentences=bool(data["sentences"]),
                format_version=int(data["format_version"]),
                lexical=dict(data.get("lexical", {})),
            )
            return cls(
                config=config,
                documents={k: DocumentEntry(**v) for k, v in data["documents"].items()},
                counts={k: int(v) for k, v in data["counts"].items()},
                built_at=str(data["built_at"]),
                build_seconds=float(data["build_seconds"]),
                corpus=str(data["corpus"]),
                versions=dict(data.get("versions", {})),
                cleaner_version=int(data.get("cleaner_version", 0)),
                files={str(k): _file_from_json(v) for k, v in data.get("files", {}).items()},
                artifacts={str(k): int(v) for k, v in data.get("artifacts", {}).items()},
                dense=DenseParams.from_json(data.get("dense", {})),
            )
        except FileNotFoundError as exc:
            raise IndexCorrupt(f"{path} is missing; rebuild with `qa index build --force`") from exc
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexCorrupt(f"{path} is unreadable ({type(exc).__name__}); rebuild with `qa index build --force`") from exc


def _file_to_json(entry: FileEntry) -> dict:
    return {**vars(entry.stamp), "documents": list(entry.documents), "skipped": list(entry.skipped)}


def _file_from_json(data: dict) -> FileEntry:
    stamp = FileStamp(int(data["size"]), int(data["mtime_ns"]), str(data["sha256"]), str(data["meta"]))
    return FileEntry(stamp, tuple(map(str, data["documents"])), tuple(map(str, data.get("skipped", []))))


def check_compatible(manifest: Manifest, expected: IndexConfig, where: Path) -> None:
    """Refuse an index built with another format, model, encoder or chunker, saying how to rebuild."""
    got = manifest.config
    if got.format_version != expected.format_version:
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

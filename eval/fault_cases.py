"""The faults of `eval.faults`: corruptions of a built index, where a build stalls to be
killed, and write steps made to fail as on a full disk."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sqlite3
import time
from pathlib import Path

from index.segments import is_segment

STALL_SECONDS = 120  # a stalled build waits this long for its SIGKILL
STALLS = ("load", "embed-chunks", "embed-sentences", "records", "chunk-vectors", "dense", "lexical", "manifest", "swap", "cleanup")
WRITE_STEPS = ("records", "chunk-vectors", "dense", "tokens", "lexical", "manifest", "fsync", "swap")
SQLITE_FULL = 13


def _flip(path: Path, at: int | None = None, count: int = 16) -> None:
    data = bytearray(path.read_bytes())
    start = len(data) // 2 if at is None else at
    for i in range(start, min(start + count, len(data))):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _append(path: Path) -> None:
    with open(path, "ab") as out:
        out.write(b"junk" * 8)


def _junk_same_size(path: Path) -> None:
    path.write_bytes(b"{" + b"\xa5" * (path.stat().st_size - 1))


def _header(path: Path, old: bytes, new: bytes) -> None:
    path.write_bytes(path.read_bytes().replace(old, new, 1))


def _manifest(change):
    def corrupt(gen: Path, index: Path) -> None:
        data = json.loads((gen / "manifest.json").read_text())
        change(data)
        (gen / "manifest.json").write_text(json.dumps(data, indent=2))
    return corrupt


def _first_document(data: dict) -> dict:
    return next(iter(data["documents"].values()))


def _file(name: str, damage, *args):
    return lambda gen, index: damage(gen / name, *args)


CORRUPTIONS = {
    "current-junk-bytes": lambda gen, index: (index / "CURRENT").write_bytes(b"\x00\xff\xfe\x80junk\n"),
    "current-empty": lambda gen, index: (index / "CURRENT").write_bytes(b""),
    "current-missing-generation": lambda gen, index: (index / "CURRENT").write_text("gen-20000101T000000-deadbeef\n"),
    "current-deleted": lambda gen, index: (index / "CURRENT").unlink(),
    "manifest-not-json": lambda gen, index: (gen / "manifest.json").write_text("{not json"),
    "manifest-deleted": lambda gen, index: (gen / "manifest.json").unlink(),
    "manifest-chunks-a-string": _manifest(lambda d: _first_document(d).update(chunks="abc")),
    "manifest-documents-a-list": _manifest(lambda d: d.update(documents=list(d["documents"].values()))),
    "manifest-counts-missing": _manifest(lambda d: d.pop("counts")),
    "manifest-model-a-string": _manifest(lambda d: d.update(model="fake")),
    "manifest-size-wrong": _manifest(lambda d: d["artifacts"].update({"chunks.npy": d["artifacts"]["chunks.npy"] + 8})),
    "manifest-checksum-wrong": _manifest(lambda d: d["checksums"]["layout.npy"].update(digest="0" * 32)),
    "chunks-truncated": _file("chunks.npy", _truncate),
    "chunks-bytes-flipped": _file("chunks.npy", _flip),
    "chunks-deleted": lambda gen, index: (gen / "chunks.npy").unlink(),
    "chunks-dtype-changed": _file("chunks.npy", _header, b"'descr': '<f4'", b"'descr': '<i4'"),
    "sentences-bytes-flipped": _file("sentences.npy", _flip),
    "spans-junk-appended": _file("spans.npy", _append),
    "chunk-sentences-bytes-flipped": _file("chunk_sentences.npy", _flip),
    "layout-bytes-flipped": _file("layout.npy", _flip),
    "dense-truncated": _file("dense.faiss", _truncate),
    "dense-bytes-flipped": _file("dense.faiss", _flip),
    "records-header-garbled": _file("records.sqlite", _flip, 0, 100),
    "records-pages-flipped": _file("records.sqlite", _flip, None, 64),
    "records-truncated": _file("records.sqlite", _truncate),
    "tokens-bytes-flipped": _file("tokens.npy", _flip),
    "lexical-vocabulary-junk": _file("lexical/vocab.index.json", _junk_same_size),
    "lexical-postings-flipped": _file("lexical/data.csc.index.npy", _flip),
}


# --- a full disk -------------------------------------------------------------------------------


@contextlib.contextmanager
def failing_writes(step: str):
    """Make the write step `step` of a build fail as a full disk (fsync: as an I/O error)."""
    import index.bm25 as bm25
    import index.records as records
    import index.store as store
    from index.lexical import LexicalIndex
    from index.manifest import Manifest

    def full(path: Path | None = None):
        """A write that fills the disk: part of `path` written (as a real write() leaves it), then ENOSPC."""
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"\x93half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def sqlite_full(*args, **kwargs):
        exc = sqlite3.OperationalError("database or disk is full")
        exc.sqlite_errorcode = SQLITE_FULL
        raise exc

    def faiss_full(folder, *args, **kwargs):
        (folder / "dense.faiss").write_bytes(b"IxF2half")
        raise RuntimeError(f"Error in faiss::write_index: write error in {folder / 'dense.faiss'}: 8 != 35373 (No space left on device)")

    def half_then_full(original):
        def save(self, path, *args, **kwargs):
            if is_segment(Path(path).name, "chunks.npy"):
                full(Path(path))
            return original(self, path, *args, **kwargs)
        return save

    def eio(fd):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    real_replace = os.replace

    def swap(src, dst, *args, **kwargs):
        if Path(dst).name == "CURRENT":
            full()
        return real_replace(src, dst, *args, **kwargs)

    patches = {
        "records": (records, "_chunk_row", sqlite_full), "chunk-vectors": (store._Parts, "save", half_then_full(store._Parts.save)),
        "dense": (store, "write_dense", faiss_full), "tokens": (bm25.ChunkTerms, "save", lambda self, folder: full(folder / "tokens.npy")),
        "lexical": (LexicalIndex, "save", lambda self, folder: full(folder / "data.csc.index.npy")),
        "manifest": (Manifest, "write", lambda self, folder: full(folder / "manifest.json")), "fsync": (os, "fsync", eio),
        "swap": (os, "replace", swap),
    }
    owner, attribute, replacement = patches[step]
    original = getattr(owner, attribute)
    setattr(owner, attribute, replacement)
    try:
        yield
    finally:
        setattr(owner, attribute, original)


# --- killed builds -----------------------------------------------------------------------------


def stall_at(phase: str, started: Path):
    """Make a build stop for good at `phase` of `STALLS` (touching `started`), to be killed there;
    returns the encoder it must use (None: any)."""
    import index.build as build
    import index.records as records
    import index.store as store
    from index.lexical import LexicalIndex
    from index.manifest import Manifest
    from tests.fakes import FakeEncoder

    def stall():
        started.write_text("started\n")
        time.sleep(STALL_SECONDS)

    def before(original):
        def wrapped(*a, **k):
            stall()
            return original(*a, **k)
        return wrapped

    def after(original, when=lambda *a, **k: True):
        def wrapped(*a, **k):
            result = original(*a, **k)
            if when(*a, **k):
                stall()
            return result
        return wrapped

    class Stalling(FakeEncoder):
        def encode(self, texts, progress=False):
            if self.calls == (1 if phase == "embed-sentences" else 0):  # a build embeds chunks first, then sentences
                stall()
            return super().encode(texts, progress)

    def partial_lexical(self, folder):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "partial").write_text("half")
        stall()

    def swap(src, dst, *a, **k):
        if Path(dst).name == "CURRENT":
            stall()
        return real_replace(src, dst, *a, **k)

    real_replace = os.replace
    hooks = {
        "load": lambda: setattr(build, "load_corpus", before(build.load_corpus)),
        "records": lambda: setattr(records, "_chunk_row", before(records._chunk_row)),
        "chunk-vectors": lambda: setattr(store._Parts, "save", after(store._Parts.save, lambda s, p, *a: is_segment(Path(p).name, "chunks.npy"))),
        "dense": lambda: setattr(store, "write_dense", after(store.write_dense)),
        "lexical": lambda: setattr(LexicalIndex, "save", partial_lexical),
        "manifest": lambda: setattr(Manifest, "write", after(Manifest.write)),
        "swap": lambda: setattr(os, "replace", swap),
        "cleanup": lambda: setattr(store, "remove_stale_generations", before(store.remove_stale_generations)),
    }
    hooks.get(phase, lambda: None)()
    return Stalling() if phase.startswith("embed") else None

"""Read-only views of an opened index: where each document sits, and lazily loaded records.

The layout (`layout.npy`, one row per document in document order: record key, first chunk
key, chunk count, sentence count, first chunk row, first sentence row) says where each
document's chunks and sentences are: a document's chunk rows (and its sentence rows) are
contiguous, but documents added since the last full write have their rows at the end, after
the rows of the documents that were there before (`index.store`: they are appended).
`JoinedRows` reads the segments of an array as one; `LazyMapping` and `LazySequence` load a
value on first use and keep the last few hundred.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence, ValuesView, ItemsView
from functools import cached_property, lru_cache
from typing import TypeVar

import numpy as np

LAYOUT_FILE = "layout.npy"
LAYOUT_COLUMNS = 6  # record key, first chunk key, chunks, sentences, first chunk row, first sentence row
BATCH = 256  # values loaded at once when a view is iterated whole

V = TypeVar("V")


class Layout:
    """Per document, in order: its record key, its chunk keys and rows, and its sentence rows."""

    def __init__(self, doc_ids: list[str], table: np.ndarray):
        if table.ndim != 2 or table.shape != (len(doc_ids), LAYOUT_COLUMNS):
            raise ValueError(f"layout has shape {table.shape}, expected ({len(doc_ids)}, {LAYOUT_COLUMNS})")
        self.doc_ids = doc_ids
        self.table = np.asarray(table, dtype=np.int64)
        self.position = {doc_id: i for i, doc_id in enumerate(doc_ids)}
        (self.keys, self.first_key, self.chunk_counts, self.sentence_counts,
         self.first_chunk, self.first_sentence) = (self.table[:, i] for i in range(LAYOUT_COLUMNS))
        self.chunks = int(self.chunk_counts.sum())
        self.sentences = int(self.sentence_counts.sum())

    def rows_cover(self) -> bool:
        """Whether the documents' chunk rows and sentence rows each cover 0..n-1 once (a damaged
        layout could have two documents share rows)."""
        return _covers(self.first_chunk, self.chunk_counts) and _covers(self.first_sentence, self.sentence_counts)

    @cached_property
    def _chunk_order(self) -> np.ndarray:
        """The row of each chunk taken in document order."""
        within = np.arange(self.chunks, dtype=np.int64) - np.repeat(_starts(self.chunk_counts), self.chunk_counts)
        return np.repeat(self.first_chunk, self.chunk_counts) + within

    @cached_property
    def chunk_documents(self) -> np.ndarray:
        """The document position of every chunk row."""
        out = np.empty(self.chunks, dtype=np.int32)
        out[self._chunk_order] = np.repeat(np.arange(len(self.doc_ids), dtype=np.int32), self.chunk_counts)
        out.flags.writeable = False
        return out

    @cached_property
    def chunk_keys(self) -> np.ndarray:
        """The record key of every chunk row."""
        out = np.empty(self.chunks, dtype=np.int64)
        out[self._chunk_order] = self._chunk_order + np.repeat(self.first_key - self.first_chunk, self.chunk_counts)
        return out

    def chunk_rows(self, position: int) -> np.ndarray:
        start = int(self.first_chunk[position])
        return np.arange(start, start + int(self.chunk_counts[position]), dtype=np.int64)

    def sentence_range(self, position: int) -> tuple[int, int]:
        start = int(self.first_sentence[position])
        return start, start + int(self.sentence_counts[position])


def _starts(counts: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if len(counts) else np.zeros(0, np.int64)


def _covers(first: np.ndarray, counts: np.ndarray) -> bool:
    order = np.argsort(first, kind="stable")
    return bool(np.all(counts >= 0) and np.array_equal(first[order], _starts(counts[order])))


class JoinedRows:
    """The rows of several arrays of one width and type (a generation's segments), read as one
    read-only array by row, slice or array of rows; `parts` are kept as they are (memory maps)."""

    def __init__(self, parts: Sequence[np.ndarray]):
        if len({(p.shape[1:], p.dtype) for p in parts}) != 1:
            raise ValueError("segments differ in width or type")
        self.parts = list(parts)
        self.bounds = np.cumsum([0] + [len(p) for p in self.parts]).astype(np.int64)
        self.shape = (int(self.bounds[-1]),) + self.parts[0].shape[1:]
        self.dtype, self.ndim = self.parts[0].dtype, len(self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows) -> np.ndarray:
        if isinstance(rows, tuple):  # rows, then columns: `ranges[:, 0]`
            picked = self[rows[0]]
            return picked[rows[1:]] if isinstance(rows[0], (int, np.integer)) else picked[(slice(None),) + rows[1:]]
        if isinstance(rows, slice):
            start, stop, step = rows.indices(len(self))
            if step == 1:
                return self._range(start, max(start, stop))
            rows = np.arange(start, stop, step)
        if isinstance(rows, (int, np.integer)):
            row = int(rows) + (len(self) if rows < 0 else 0)
            if not 0 <= row < len(self):
                raise IndexError(f"row {rows} out of range for {len(self)} rows")
            part = int(np.searchsorted(self.bounds, row, side="right")) - 1
            return self.parts[part][row - self.bounds[part]]
        rows = np.asarray(rows, dtype=np.int64)
        flat = np.where(rows.ravel() < 0, rows.ravel() + len(self), rows.ravel())
        if len(flat) and (flat.min() < 0 or flat.max() >= len(self)):
            raise IndexError(f"rows out of range for {len(self)} rows")
        part = np.searchsorted(self.bounds, flat, side="right") - 1
        out = np.empty((len(flat),) + self.shape[1:], dtype=self.dtype)
        for k in np.unique(part).tolist():
            chosen = part == k
            out[chosen] = self.parts[k][flat[chosen] - self.bounds[k]]
        return out.reshape(rows.shape + self.shape[1:])

    def _range(self, start: int, stop: int) -> np.ndarray:
        pieces = [
            p[max(start, lo) - lo:min(stop, hi) - lo]
            for p, lo, hi in zip(self.parts, self.bounds[:-1].tolist(), self.bounds[1:].tolist()) if lo < stop and start < hi
        ]
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces) if pieces else np.zeros((0,) + self.shape[1:], self.dtype)

    def __iter__(self) -> Iterator[np.ndarray]:
        for part in self.parts:
            yield from part

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        whole = np.concatenate(self.parts)
        return whole if dtype is None else whole.astype(dtype)


def joined(parts: Sequence[np.ndarray]) -> np.ndarray | JoinedRows:
    """One array of the segments' rows: the array itself when there is one segment."""
    return parts[0] if len(parts) == 1 else JoinedRows(parts)


class LazyMapping(Mapping[str, V]):
    """A read-only mapping over fixed keys in order whose values are loaded on first use
    (`load_many` loads a batch of positions, in order) and the last `cache` of them kept."""

    def __init__(self, keys: list[str], position: dict[str, int], load_many: Callable[[Sequence[int]], list[V]], cache: int = 256):
        self._keys, self._position, self._load_many = keys, position, load_many
        self._one = lru_cache(maxsize=cache)(lambda i: load_many([i])[0])

    def __getitem__(self, key: str) -> V:
        i = self._position.get(key) if isinstance(key, str) else None
        if i is None:
            raise KeyError(key)
        return self._one(i)

    def __contains__(self, key: object) -> bool:
        return key in self._position

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def values(self) -> ValuesView[V]:
        return _Values(self)

    def items(self) -> ItemsView[str, V]:
        return _Items(self)

    def _batches(self) -> Iterator[tuple[str, V]]:
        for start in range(0, len(self._keys), BATCH):
            keys = self._keys[start:start + BATCH]
            yield from zip(keys, self._load_many(range(start, start + len(keys))))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {len(self)}>"


class _Values(ValuesView):
    def __iter__(self):
        return (value for _, value in self._mapping._batches())


class _Items(ItemsView):
    def __iter__(self):
        return self._mapping._batches()


class LazySequence(Sequence[V]):
    """A read-only sequence of `length` values loaded by row on first use (`load_many` loads a
    batch of rows, in order), the last `cache` of them kept."""

    def __init__(self, length: int, load_many: Callable[[Sequence[int]], list[V]], cache: int = 4096):
        self._length, self._load_many = length, load_many
        self._one = lru_cache(maxsize=cache)(lambda i: load_many([i])[0])

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.take(range(*index.indices(self._length)))
        i = int(index)  # numpy integers too
        if i < 0:
            i += self._length
        if not 0 <= i < self._length:
            raise IndexError(f"row {index} out of range for {self._length} rows")
        return self._one(i)

    def take(self, rows: Sequence[int]) -> list[V]:
        """The values of `rows`, in order, loaded in batches."""
        return [v for start in range(0, len(rows), BATCH) for v in self._load_many([int(r) for r in rows[start:start + BATCH]])]

    def __iter__(self) -> Iterator[V]:
        for start in range(0, self._length, BATCH):
            yield from self._load_many(range(start, min(start + BATCH, self._length)))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {len(self)}>"


class Float32Rows:
    """Read-only rows of a stored array (float16 on disk), read back as float32 so that
    products and means are computed at full precision; `stored` is the array as kept."""

    def __init__(self, stored: np.ndarray):
        self.stored = stored
        self.shape, self.dtype = stored.shape, np.dtype(np.float32)

    def __len__(self) -> int:
        return len(self.stored)

    def __getitem__(self, rows) -> np.ndarray:
        return np.asarray(self.stored[rows], dtype=np.float32)

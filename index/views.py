"""Read-only views of an opened index: where each document sits, and lazily loaded records.

The layout (`layout.npy`, one row per document in document order: record key, first chunk
key, chunk count, sentence count) says where each document's chunks and sentences are; chunk
and sentence rows follow from the counts, documents' chunks being contiguous and in order.
`LazyMapping` and `LazySequence` load a value on first use and keep the last few hundred.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence, ValuesView, ItemsView
from functools import cached_property, lru_cache
from typing import TypeVar

import numpy as np

LAYOUT_FILE = "layout.npy"
LAYOUT_COLUMNS = 4  # record key, first chunk key, chunks, sentences
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
        self.keys, self.first_key, self.chunk_counts, self.sentence_counts = (self.table[:, i] for i in range(LAYOUT_COLUMNS))
        self.first_chunk = np.concatenate([[0], np.cumsum(self.chunk_counts)]).astype(np.int64)
        self.first_sentence = np.concatenate([[0], np.cumsum(self.sentence_counts)]).astype(np.int64)
        self.chunks = int(self.first_chunk[-1])
        self.sentences = int(self.first_sentence[-1])

    @cached_property
    def chunk_documents(self) -> np.ndarray:
        """The document position of every chunk row."""
        out = np.repeat(np.arange(len(self.doc_ids), dtype=np.int32), self.chunk_counts)
        out.flags.writeable = False
        return out

    @cached_property
    def chunk_keys(self) -> np.ndarray:
        """The record key of every chunk row."""
        offset = np.repeat(self.first_key - self.first_chunk[:-1], self.chunk_counts)
        return offset + np.arange(self.chunks, dtype=np.int64)

    def chunk_rows(self, position: int) -> np.ndarray:
        return np.arange(self.first_chunk[position], self.first_chunk[position + 1], dtype=np.int64)

    def sentence_range(self, position: int) -> tuple[int, int]:
        return int(self.first_sentence[position]), int(self.first_sentence[position + 1])


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

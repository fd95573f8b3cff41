"""Segments: a generation's row arrays kept in several files, shared with the generation before.

Each array of `index.store.SEGMENTED` (chunk and sentence vectors, sentence spans, chunk
sentence ranges) is one `.npy` file per segment: `chunks.npy`, then `chunks-1.npy`, ... read
as one array (`index.views.JoinedRows`). A build that only adds documents links the previous
generation's segment files into the new one (hard links: no byte is copied, and since no file
of a generation is written again once it is live, the previous generation stays as it was)
and writes the new documents' rows as one more segment, after all the previous rows. A build
that removes or changes a document, or would make more than `MAX_SEGMENTS` segments, writes
every array whole, in document order, as one segment.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from index.views import JoinedRows, joined

MAX_SEGMENTS = 8  # then a build writes every array whole again (about as long as a full write)
UNLINKABLE = (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EOPNOTSUPP)  # a file system without hard links: copy


def segment_file(name: str, segment: int) -> str:
    """The file of an array's `segment`: 'chunks.npy', 'chunks-1.npy', ..."""
    if segment == 0:
        return name
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}-{segment}{dot}{suffix}"


def is_segment(file: str, name: str) -> bool:
    """Whether `file` is one of the segments of the array `name` ('chunks-2.npy' of 'chunks.npy')."""
    stem, dot, suffix = name.rpartition(".")
    return file == name or (file.startswith(stem + "-") and file.endswith(dot + suffix) and file[len(stem) + 1:-len(dot + suffix)].isdigit())


def appends(kept: Sequence[int | None], previous_documents: int, previous_segments: int) -> bool:
    """Whether a build whose documents are `kept` (each one's position in the previous
    generation, None for a new or changed one) adds documents and nothing else, so that it can
    append their rows as one more segment."""
    carried = sum(k is not None for k in kept)
    return previous_segments < MAX_SEGMENTS and carried == previous_documents and carried < len(kept)


def row_order(kept: Sequence[int | None], first_chunk: np.ndarray | None, append: bool) -> list[int]:
    """The documents (by their index in `kept`) in the order their rows are written: document
    order, or when appending the previous documents in the order of their rows (`first_chunk`,
    by previous position) and then the new ones."""
    if not append:
        return list(range(len(kept)))
    old = sorted((i for i, k in enumerate(kept) if k is not None), key=lambda i: int(first_chunk[kept[i]]))
    return old + [i for i, k in enumerate(kept) if k is None]


def link_segments(source: Path, target: Path, names: Iterable[str], segments: int) -> list[str]:
    """Hard-link the `segments` files of each array of `names` from the generation `source`
    into `target` (copied where the file system cannot link); the files' names."""
    linked = []
    for name in names:
        for k in range(segments):
            file = segment_file(name, k)
            try:
                os.link(source / file, target / file)
            except OSError as exc:
                if exc.errno not in UNLINKABLE:
                    raise
                shutil.copyfile(source / file, target / file)
            linked.append(file)
    return linked


def read_segments(folder: Path, name: str, segments: int) -> np.ndarray | JoinedRows:
    """The array `name` of the generation `folder`, its segments memory-mapped and read as one."""
    return joined([np.asarray(np.load(folder / segment_file(name, k), mmap_mode="r", allow_pickle=False)) for k in range(segments)])

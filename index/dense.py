"""The dense index over chunk vectors: exact search for a small library, approximate for a large one.

Below `HALF_FROM` chunks the index is FAISS's exact inner-product search (`IndexFlatIP`). From
there to `ANN_FROM` it is the same search over the vectors rounded to float16 (`IndexScalarQuantizer`,
kind "flat16"): searching reads every vector for every question, so at that size memory bandwidth
decides its cost, and half the bytes cost half (measured at 98,075 chunks, one question's top 100:
20 ms in float32, 12 ms in float16, recall@10 0.9993 against float32). Only which chunks become
candidates comes from this search; their scores are computed from the float32 vectors. From
there on, searching every vector costs more per question than the rest of answering it, and
the index is an inverted file over the same float16 codes (`IndexIVFScalarQuantizer`): the
vectors are split among `nlist` lists by their nearest centroid, and a question searches the
`nprobe` lists nearest to it (measured at 98,075 chunks, 626 lists, nprobe 256: 11.3 ms a
question with float32 lists, 7.0 ms with float16, the same recall@10 0.962).

`nprobe` is measured, not set: at build time, sentences of the library stand in for questions
(`CALIBRATION_QUERIES` of them, chosen with a fixed seed), their exact ten nearest chunks are
found by brute force, and `nprobe` is the least of `PROBES` whose search finds at least
`RECALL_TARGET` of them. The parameters and the recall measured are the generation's `dense`
entry in the manifest. `PROBES` steps by about 1.5 up to 4,096 lists, so the search reads every
list only when no lesser step reaches the target (at 975,980 chunks of the scale bench, 1,976
lists, the target takes 768; before 768 was a step it took all 1,976: 118 ms a question).

A question is one query, and FAISS by default gives each query one thread; searching a question's
lists on every thread (`LIST_PARALLEL`) measured at 975,980 chunks, 2 cores: nprobe 512 31 → 21
ms, 768 44 → 30 ms.

An incremental build keeps the centroids and every kept chunk's list (`lists.npy`, row-aligned
with the chunks): only new chunks are assigned, so adding a document does not re-cluster the
library. The centroids are trained anew when the library has grown or shrunk by more than
`RETRAIN_GROWTH` times since they were.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DENSE_FILE = "dense.faiss"
CENTROIDS_FILE = "centroids.npy"
LISTS_FILE = "lists.npy"
HALF_FROM = 50_000  # chunks from which exact search reads float16 vectors (a float32 search costs ~10 ms there)
ANN_FROM = 200_000  # chunks from which the index is approximate (README, "Scale")
# lists per square root of the chunk count. At 975,980 chunks (scale bench, 2 cores, a question's
# lists on both threads), for the calibration's 0.97: 2 (1,976 lists) needs 768 probes, 30 ms a
# question; 4 (3,952 lists) needs 768, 24 ms, and trains in 64 s
NLIST_FACTOR = 4
TRAIN_PER_LIST = 40  # training vectors per list (FAISS asks for at least 39)
KMEANS_ITERATIONS = 10
RETRAIN_GROWTH = 2.0
PROBES = (4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096)
LIST_PARALLEL = 1  # FAISS parallel_mode: one question's lists are split among the threads
CALIBRATION_QUERIES = 300
HALF_CHECK_QUERIES = 30  # of them, to measure a float16 index's recall (0.25 s at 100,000 chunks; 100 took 0.8 s)
KEEP_RECALL_FROM = 0.9  # share of carried rows from which a float16 index's measured recall is kept
RECALL_TARGET = 0.97  # the acceptance's 0.95, with a margin for questions unlike the library's sentences
RECALL_K = 10
SEED = 20261202
TIE = 1e-5  # inner products this close count as equal
BATCH = 65536  # vectors handled at a time


KINDS = ("flat", "flat16", "ivf")


@dataclass(frozen=True)
class DenseParams:
    """What kind of dense index a generation holds, and how it was tuned."""

    kind: str  # "flat" (exact), "flat16" (exhaustive over float16 vectors) or "ivf"
    nlist: int = 0
    nprobe: int = 0
    trained_on: int = 0  # chunks when the centroids were trained
    recall_at_10: float = 1.0  # measured against exact search at build time

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"dense index kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if self.kind == "ivf" and not 0 < self.nprobe <= self.nlist:
            raise ValueError(f"nprobe must be in 1..nlist ({self.nlist}), not {self.nprobe}")

    def to_json(self) -> dict:
        return dict(vars(self))

    @classmethod
    def from_json(cls, data: dict) -> "DenseParams":
        return cls(**data) if data else cls("flat")


@dataclass(frozen=True)
class Clusters:
    """A previous generation's centroids and the list of each of its chunk rows."""

    centroids: np.ndarray
    lists: np.ndarray
    params: DenseParams

    @classmethod
    def read(cls, folder: Path, params: DenseParams) -> "Clusters | None":
        if params.kind != "ivf":
            return None
        return cls(np.load(folder / CENTROIDS_FILE, mmap_mode="r"), np.load(folder / LISTS_FILE, mmap_mode="r"), params)


def write_dense(
    folder: Path, vectors: np.ndarray, sentences: np.ndarray | None, previous: Clusters | None, carried: np.ndarray,
    last: DenseParams | None = None,
) -> DenseParams:
    """Write the dense index of `vectors` (row-aligned with the chunks) into `folder`.

    `sentences`: the sentence vectors, some of which stand in for questions to measure recall
    (`calibration_queries`); `previous`: the last generation's clusters, if it had them;
    `carried[i]`: the previous row of new row i, or -1 for a new chunk; `last`: the last
    generation's parameters, whose float16 recall is kept while `KEEP_RECALL_FROM` of the rows
    are carried (rounding to float16 loses the same with a few rows more or less)."""
    import faiss

    n, dim = vectors.shape
    if n < ANN_FROM:
        half = n >= HALF_FROM
        index = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT) if half else faiss.IndexFlatIP(dim)
        for start in range(0, n, BATCH):
            index.add(np.ascontiguousarray(vectors[start:start + BATCH], dtype=np.float32))
        faiss.write_index(index, str(folder / DENSE_FILE))
        if not half:
            return DenseParams("flat")
        if last is not None and last.kind == "flat16" and np.count_nonzero(carried >= 0) >= KEEP_RECALL_FROM * n:
            return DenseParams("flat16", recall_at_10=last.recall_at_10)
        queries = calibration_queries(sentences, vectors)[::CALIBRATION_QUERIES // HALF_CHECK_QUERIES]
        recall = recall_at(index.search(queries, RECALL_K)[1], exact_nearest(vectors, queries, RECALL_K), vectors, queries)
        return DenseParams("flat16", recall_at_10=round(recall, 4))
    reuse = previous is not None and previous.centroids.shape == (list_count(previous.params.trained_on), dim) and (
        previous.params.trained_on / RETRAIN_GROWTH <= n <= previous.params.trained_on * RETRAIN_GROWTH
    )  # centroids trained for another number of lists (an older NLIST_FACTOR) are trained anew
    centroids = np.asarray(previous.centroids, dtype=np.float32) if reuse else _train(vectors)
    quantizer = faiss.IndexFlatIP(dim)
    quantizer.add(centroids)
    lists = np.full(n, -1, dtype=np.int64)
    if reuse:
        kept = carried >= 0
        lists[kept] = previous.lists[carried[kept]]
    for start in range(0, n, BATCH):
        todo = np.flatnonzero(lists[start:start + BATCH] < 0) + start
        if len(todo):
            lists[todo] = quantizer.search(np.ascontiguousarray(vectors[todo], dtype=np.float32), 1)[1][:, 0]
    index = faiss.IndexIVFScalarQuantizer(quantizer, dim, len(centroids), faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
    index.is_trained = True  # float16 codes need no training; the centroids are the quantizer's
    for start in range(0, n, BATCH):
        block = np.ascontiguousarray(vectors[start:start + BATCH], dtype=np.float32)
        ids = np.arange(start, start + len(block), dtype=np.int64)
        assigned = np.ascontiguousarray(lists[start:start + BATCH])
        index.add_core(len(block), faiss.swig_ptr(block), faiss.swig_ptr(ids), faiss.swig_ptr(assigned))
    nprobe, recall = _calibrate(index, vectors, calibration_queries(sentences, vectors))
    index.nprobe = nprobe
    faiss.write_index(index, str(folder / DENSE_FILE))
    np.save(folder / CENTROIDS_FILE, centroids, allow_pickle=False)
    np.save(folder / LISTS_FILE, lists, allow_pickle=False)
    trained_on = previous.params.trained_on if reuse else n
    return DenseParams("ivf", len(centroids), nprobe, trained_on, round(recall, 4))


def prepare_search(index, params: DenseParams) -> None:
    """Set a loaded index's search parameters from its generation's `params`."""
    import faiss

    if params.kind == "ivf":
        ivf = faiss.extract_index_ivf(index)
        ivf.nprobe = params.nprobe
        ivf.parallel_mode = LIST_PARALLEL


def list_count(chunks: int) -> int:
    """The inverted file's number of lists for a library of `chunks`."""
    return max(1, int(round(NLIST_FACTOR * math.sqrt(chunks))))


def _train(vectors: np.ndarray) -> np.ndarray:
    import faiss

    n, dim = vectors.shape
    nlist = list_count(n)
    rng = np.random.default_rng(SEED)
    sample = np.sort(rng.choice(n, size=min(n, nlist * TRAIN_PER_LIST), replace=False))
    kmeans = faiss.Kmeans(dim, nlist, niter=KMEANS_ITERATIONS, spherical=True, seed=SEED % 2**31, verbose=False)
    kmeans.train(np.ascontiguousarray(vectors[sample], dtype=np.float32))
    return np.asarray(kmeans.centroids, dtype=np.float32)


def exact_nearest(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """The rows of the `k` vectors nearest each query by inner product, by brute force in blocks."""
    best = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    rows = np.zeros((len(queries), 0), dtype=np.int64)
    for start in range(0, len(vectors), BATCH):
        scores = queries @ np.asarray(vectors[start:start + BATCH], dtype=np.float32).T
        best = np.concatenate([best, scores], axis=1)
        rows = np.concatenate([rows, np.broadcast_to(np.arange(start, start + scores.shape[1]), scores.shape)], axis=1)
        if best.shape[1] > k:
            keep = np.argpartition(-best, k - 1, axis=1)[:, :k]
            best, rows = np.take_along_axis(best, keep, 1), np.take_along_axis(rows, keep, 1)
    return rows


def recall_at(found: np.ndarray, exact: np.ndarray, vectors: np.ndarray, queries: np.ndarray) -> float:
    """The share of the exact nearest rows that a search found, per query, averaged; a found row
    as near as the exact k-th counts (equal vectors tie)."""
    if not len(exact):
        return 1.0
    shares = []
    for f, e, q in zip(found, exact, queries):
        kth = float((np.asarray(vectors[np.sort(e)], dtype=np.float32) @ q).min())
        f = np.sort(f[f >= 0])
        near = np.asarray(vectors[f], dtype=np.float32) @ q >= kth - TIE if len(f) else np.zeros(0, bool)
        shares.append(min(1.0, float(near.sum()) / len(e)))
    return float(np.mean(shares))


def _calibrate(index, vectors: np.ndarray, queries: np.ndarray) -> tuple[int, float]:
    """The least nprobe of `PROBES` (up to nlist) reaching `RECALL_TARGET` on `queries`, and its recall."""
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    exact = exact_nearest(vectors, queries, RECALL_K)
    probes = [p for p in PROBES if p < index.nlist] + [index.nlist]
    for nprobe in probes:
        index.nprobe = nprobe
        recall = recall_at(index.search(queries, RECALL_K)[1], exact, vectors, queries)
        if recall >= RECALL_TARGET:
            return nprobe, recall
    return index.nlist, recall


def calibration_queries(sentences: np.ndarray | None, chunks: np.ndarray) -> np.ndarray:
    """Vectors standing in for questions: `CALIBRATION_QUERIES` sentence vectors (chunk vectors
    when there are no sentences), drawn with a fixed seed."""
    source = sentences if sentences is not None and len(sentences) else chunks
    rng = np.random.default_rng(SEED)
    rows = np.sort(rng.choice(len(source), size=min(len(source), CALIBRATION_QUERIES), replace=False))
    return np.asarray(source[rows], dtype=np.float32)

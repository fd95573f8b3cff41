"""The dense index: exact below a size, an inverted file above it whose nprobe is measured to
reach the recall target, and whose clusters an incremental build keeps."""

from __future__ import annotations

import numpy as np
import pytest

import index.dense as dense
from index.dense import CENTROIDS_FILE, DENSE_FILE, LISTS_FILE, Clusters, DenseParams, exact_nearest, recall_at, write_dense
from index.manifest import Manifest
from index.store import current_generation, load_index
from tests.test_build import CONFIG, build, doc_text, make_corpus


def _vectors(n, dim=32, seed=0):
    """Unit vectors around 40 centres, like topics."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, dim))
    x = centres[rng.integers(0, 40, n)] + 0.6 * rng.standard_normal((n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _read(folder):
    import faiss

    return faiss.read_index(str(folder / DENSE_FILE), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)


def test_a_small_library_is_searched_exactly(tmp_path):
    vectors = _vectors(500)
    params = write_dense(tmp_path, vectors, vectors[:20], None, np.full(500, -1))
    assert params == DenseParams("flat") and not (tmp_path / CENTROIDS_FILE).exists()
    assert _read(tmp_path).search(vectors[7:8], 1)[1][0, 0] == 7


def test_a_mid_sized_library_is_searched_over_float16_vectors_with_its_measured_recall(tmp_path, monkeypatch):
    monkeypatch.setattr(dense, "HALF_FROM", 1000)
    vectors, queries = _vectors(3000), _vectors(300, seed=1)
    params = write_dense(tmp_path, vectors, queries, None, np.full(3000, -1))
    assert params.kind == "flat16" and params.recall_at_10 >= 0.99 and not (tmp_path / CENTROIDS_FILE).exists()
    index = _read(tmp_path)
    assert index.ntotal == 3000 and index.sa_code_size() == 2 * vectors.shape[1]  # two bytes a dimension
    fresh = _vectors(100, seed=2)
    assert recall_at(index.search(fresh, 10)[1], exact_nearest(vectors, fresh, 10), vectors, fresh) >= 0.99


def test_a_float16_index_keeps_its_measured_recall_while_most_rows_are_carried(tmp_path, monkeypatch):
    monkeypatch.setattr(dense, "HALF_FROM", 1000)
    vectors, queries = _vectors(3000), _vectors(300, seed=1)
    last = DenseParams("flat16", recall_at_10=0.5)  # not what a measure would give: shows it is kept
    carried = np.arange(3000)
    carried[2900:] = -1  # 100 new rows: the recall is kept
    assert write_dense(tmp_path, vectors, queries, None, carried, last) == last
    carried[2600:] = -1  # 400 new rows: measured again
    assert write_dense(tmp_path, vectors, queries, None, carried, last).recall_at_10 >= 0.99
    assert write_dense(tmp_path, vectors, queries, None, np.arange(3000), DenseParams("flat")).recall_at_10 >= 0.99


def test_a_large_library_gets_an_inverted_file_with_the_recall_it_measured(tmp_path, monkeypatch):
    monkeypatch.setattr(dense, "ANN_FROM", 1000)
    vectors, queries = _vectors(6000), _vectors(200, seed=1)
    params = write_dense(tmp_path, vectors, queries, None, np.full(6000, -1))
    assert params.kind == "ivf" and params.nlist == round(dense.NLIST_FACTOR * 6000 ** 0.5) and params.trained_on == 6000
    assert 0 < params.nprobe < params.nlist and params.recall_at_10 >= dense.RECALL_TARGET
    index = _read(tmp_path)
    assert index.ntotal == 6000 and index.nprobe == params.nprobe
    assert index.code_size == 2 * vectors.shape[1]  # its lists hold float16 codes, as the exact search does
    fresh = _vectors(100, seed=2)  # questions the calibration never saw
    assert recall_at(index.search(fresh, 10)[1], exact_nearest(vectors, fresh, 10), vectors, fresh) >= 0.9
    lists = np.load(tmp_path / LISTS_FILE)
    assert lists.shape == (6000,) and lists.min() >= 0 and lists.max() < params.nlist
    index.nprobe, index.parallel_mode = 1, 0
    dense.prepare_search(index, params)  # as a loaded generation is searched: its nprobe, lists on every thread
    assert index.nprobe == params.nprobe and index.parallel_mode == dense.LIST_PARALLEL


def test_the_calibration_stops_at_the_first_probe_count_reaching_the_target(monkeypatch):
    class Index:  # its recall grows with nprobe and reaches the target at 768 of 2,000 lists
        nlist, nprobe = 2000, 0

        def search(self, queries, k):
            return None, np.zeros((len(queries), k), np.int64)

    index, seen = Index(), []

    def recall(found, exact, vectors, queries):
        seen.append(index.nprobe)
        return min(1.0, index.nprobe / 768 * dense.RECALL_TARGET)

    monkeypatch.setattr(dense, "recall_at", recall)
    monkeypatch.setattr(dense, "exact_nearest", lambda vectors, queries, k: np.zeros((len(queries), k), np.int64))
    vectors = _vectors(50)
    assert dense._calibrate(index, vectors, vectors[:5])[0] == 768
    assert seen[-2:] == [512, 768] and 2000 not in seen  # not every list


def test_an_incremental_build_keeps_the_centroids_and_the_kept_rows_lists(tmp_path, monkeypatch):
    monkeypatch.setattr(dense, "ANN_FROM", 1000)
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir(), new.mkdir()
    vectors = _vectors(4000)
    first = write_dense(old, vectors, vectors[:100], None, np.full(4000, -1))
    previous = Clusters.read(old, first)
    # drop the first 500 rows, add 300 new ones at the end
    carried = np.concatenate([np.arange(500, 4000), np.full(300, -1)])
    now = np.concatenate([vectors[500:], _vectors(300, seed=3)])
    second = write_dense(new, now, now[:100], previous, carried)
    assert np.array_equal(np.load(new / CENTROIDS_FILE), np.load(old / CENTROIDS_FILE))
    assert np.array_equal(np.load(new / LISTS_FILE)[:3500], np.load(old / LISTS_FILE)[500:])
    assert second.trained_on == 4000 and _read(new).search(now[3600:3601], 1)[1][0, 0] == 3600
    # grown more than RETRAIN_GROWTH times: trained anew
    big = _vectors(9000, seed=4)
    third = write_dense(tmp_path, big, big[:100], previous, np.full(9000, -1))
    assert third.trained_on == 9000 and third.nlist != first.nlist
    # centroids trained for another number of lists (an older NLIST_FACTOR): trained anew
    monkeypatch.setattr(dense, "NLIST_FACTOR", dense.NLIST_FACTOR / 2)
    fourth = write_dense(new, now, now[:100], previous, carried)
    assert fourth.trained_on == len(now) and fourth.nlist == dense.list_count(len(now)) != first.nlist


def test_a_build_past_the_float16_size_serves_the_same_answers(tmp_path, monkeypatch):
    corpus = make_corpus(tmp_path / "corpus")
    build(corpus, tmp_path / "exact")
    monkeypatch.setattr(dense, "HALF_FROM", 1)
    build(corpus, tmp_path / "half")
    exact, half = load_index(tmp_path / "exact", CONFIG), load_index(tmp_path / "half", CONFIG)
    assert exact.manifest.dense.kind == "flat" and half.manifest.dense == DenseParams("flat16", recall_at_10=1.0)
    queries = np.ascontiguousarray(exact.chunk_vectors()[:5])
    assert np.array_equal(exact.dense.search(queries, 3)[1], half.dense.search(queries, 3)[1])
    exact.close(), half.close()


def test_the_build_records_the_dense_index_in_the_manifest_and_serves_it(tmp_path, monkeypatch):
    monkeypatch.setattr(dense, "ANN_FROM", 1)
    corpus = make_corpus(tmp_path / "corpus")
    build(corpus, tmp_path / "index")
    manifest = Manifest.read(current_generation(tmp_path / "index"))
    assert manifest.dense.kind == "ivf" and manifest.dense.recall_at_10 >= dense.RECALL_TARGET
    (corpus / "closure.txt").write_text(doc_text("closure", "Mine closure plans need funding set aside early"))
    build(corpus, tmp_path / "index")
    data = load_index(tmp_path / "index", CONFIG)
    assert data.manifest.dense.trained_on == manifest.dense.trained_on  # kept, not re-clustered
    vectors = data.chunk_vectors()
    assert data.dense.search(np.ascontiguousarray(vectors[-1:]), 1)[1][0, 0] == len(vectors) - 1


def test_dense_params_are_checked():
    with pytest.raises(ValueError, match="kind must be one of flat, flat16, ivf"):
        DenseParams("hnsw")
    with pytest.raises(ValueError, match="nprobe must be in 1..nlist"):
        DenseParams("ivf", nlist=4, nprobe=9)

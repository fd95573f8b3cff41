"""Crash safety: a build killed with SIGKILL leaves the previous index live; the swap is the last step."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.build import LOCK_FILE, build_index
from index.records import RECORDS_FILE
from index.store import CURRENT, current_generation, load_index
from tests.crash_build import CONFIG
from tests.fakes import FakeEncoder
from tests.test_build import assert_consistent, doc_text, make_corpus, manifest_json

HELPER = Path(__file__).resolve().parent / "crash_build.py"
START_TIMEOUT = 60


def change_corpus(corpus: Path) -> None:
    (corpus / "lithium.txt").write_text(doc_text("lithium", "Lithium clay deposits are a new source being studied"))
    (corpus / "closure.txt").write_text(doc_text("closure", "Mine closure plans need funding set aside early"))


def snapshot(index: Path) -> tuple[str, int, str]:
    data = load_index(index, CONFIG)
    return current_generation(index).name, len(data.chunks), data.manifest.built_at


def run_until_started(tmp_path: Path, corpus: Path, index: Path, mode: str) -> subprocess.Popen:
    started = tmp_path / f"started-{mode}"
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.Popen(
        [sys.executable, str(HELPER), str(corpus), str(index), str(started), mode],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + START_TIMEOUT
    while not started.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"helper exited with {proc.returncode} before stalling:\n{err.decode()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            pytest.fail("helper did not reach the stall point in time")
        time.sleep(0.05)
    return proc


def kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("mode", ["encode", "records", "write"])
def test_killed_build_leaves_previous_index_live(tmp_path, mode):
    corpus = make_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    first = build_index(corpus, index, FakeEncoder(), CONFIG)
    before = snapshot(index)
    assert before[1] == first.chunks
    records = (current_generation(index) / RECORDS_FILE).read_bytes()
    data = load_index(index, CONFIG)
    contents = [(d, c) for d in data.documents.values() for c in data.document_chunks(d.doc_id)]

    change_corpus(corpus)
    proc = run_until_started(tmp_path, corpus, index, mode)
    try:
        if mode != "encode":  # the new generation is on disk, half-written, while the build stalls
            generations = {p.name for p in index.glob("gen-*")}
            assert len(generations) == 2
    finally:
        kill(proc)

    assert snapshot(index) == before  # same generation, chunk count and built_at
    assert (current_generation(index) / RECORDS_FILE).read_bytes() == records  # the copy was written, not the live file
    data = load_index(index, CONFIG)
    assert [(d, c) for d in data.documents.values() for c in data.document_chunks(d.doc_id)] == contents
    leftovers = [p for p in index.glob("gen-*") if p.name != before[0]]
    if mode != "encode":
        assert len(leftovers) == 1 and not (leftovers[0] / "manifest.json").exists()
    else:
        assert leftovers == []

    # the next normal build succeeds (the lock died with the process) and cleans up
    encoder = FakeEncoder()
    report = build_index(corpus, index, encoder, CONFIG)
    data = assert_consistent(index, corpus, CONFIG)
    changed = len([c for c in data.chunks if c.doc_id in ("lithium", "closure")])
    assert report.embedded == changed and report.reused == report.chunks - changed
    live = current_generation(index).name
    assert live != before[0]
    assert sorted(p.name for p in index.iterdir()) == sorted([CURRENT, LOCK_FILE, live])


def test_failed_swap_keeps_the_old_index(tmp_path, monkeypatch):
    import index.store as store

    corpus = make_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    build_index(corpus, index, FakeEncoder(), CONFIG)
    before = snapshot(index)
    old_manifest = manifest_json(index)
    change_corpus(corpus)

    real_replace = os.replace
    seen: list[Path] = []

    def replace(src, dst, *args, **kwargs):
        if Path(dst).name == CURRENT:
            # the swap comes last: the generation it names is already complete and loadable
            name = Path(src).read_text().strip()
            seen.append(index / name)
            for required in (
                "manifest.json", "records.sqlite", "layout.npy", "chunks.npy", "spans.npy", "dense.faiss", "sentences.npy", "lexical",
            ):
                assert (index / name / required).exists(), required
            raise OSError(28, "No space left on device")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(store.os, "replace", replace)
    with pytest.raises(OSError, match="No space left"):
        build_index(corpus, index, FakeEncoder(), CONFIG)
    monkeypatch.undo()

    assert len(seen) == 1 and seen[0].is_dir()
    assert snapshot(index) == before
    assert manifest_json(index) == old_manifest
    # the complete but never-live generation is not what loads, and the next build cleans it
    report = build_index(corpus, index, FakeEncoder(), CONFIG)
    assert report.written
    assert not seen[0].exists()
    live = current_generation(index).name
    assert sorted(p.name for p in index.iterdir()) == sorted([CURRENT, LOCK_FILE, live])
    assert_consistent(index, corpus, CONFIG)

"""The scale benchmark (`python -m eval.bench_scale`): a small run, its cache, its errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from eval import bench_scale
from eval.bench_scale import KEYS, BenchEncoder, main

SCIFACT = bench_scale.SCIFACT
needs_scifact = pytest.mark.skipif(not (SCIFACT / "corpus.jsonl").is_file(), reason=f"SciFact is not at {SCIFACT}")


def _run(capsys, *args: str) -> dict:
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@needs_scifact
@pytest.mark.slow
def test_small_run_reports_every_figure_and_reuses_its_cache(tmp_path, capsys):
    folder = tmp_path / "bench"
    first = _run(capsys, "--chunks", "300", "--folder", str(folder), "--questions", "10")
    assert set(KEYS) <= set(first)
    assert 210 <= first["chunks"] <= 390
    assert 0 < first["documents"] < first["chunks"]
    for key in ("build_s", "build_rss_mb", "noop_rebuild_s", "add_one_document_s", "remove_one_document_s", "open_s", "rss_mb", "ask_p50_ms", "ask_p95_ms", "index_mb"):
        assert first[key] > 0, key
    assert first["ask_p50_ms"] <= first["ask_p95_ms"]
    assert first["noop_rebuild_s"] < first["build_s"]
    assert 0.0 <= first["ann_recall_at_10"] <= 1.0
    assert first["cached_build_s"] == first["build_s"]
    record = json.loads((folder / "bench.json").read_text())
    assert record["chunks"] == first["chunks"] and record["build_s"] == first["build_s"]
    files = sorted(p.relative_to(folder / "corpus") for p in (folder / "corpus").rglob("*.md"))

    second = _run(capsys, "--chunks", "300", "--folder", str(folder), "--questions", "10")
    assert second["build_s"] is None and second["build_rss_mb"] is None  # the cached index was reused, not rebuilt
    assert second["cached_build_s"] == first["build_s"]
    assert (second["chunks"], second["documents"]) == (first["chunks"], first["documents"])
    # the added document was taken away again: the cache still holds the same files
    assert sorted(p.relative_to(folder / "corpus") for p in (folder / "corpus").rglob("*.md")) == files


def test_bench_encoder_is_deterministic_normalised_and_not_the_real_model():
    a, b = BenchEncoder(), BenchEncoder()
    texts = ["Lithium mining in Chile", "lithium MINING in chile", "Cobalt refining", ""]
    va, vb = a.encode(texts), b.encode(texts[::-1])[::-1]
    assert va.dtype == np.float32 and va.shape == (4, 384)
    np.testing.assert_array_equal(va, vb)  # the same text gives the same vector, whatever came before
    np.testing.assert_allclose(np.linalg.norm(va, axis=1), 1.0, rtol=1e-5)
    assert va[0] @ va[1] == pytest.approx(1.0) and va[0] @ va[2] < 0.9
    assert a.info.dim == 384 and a.info.name == "bench-fake-384"
    from index.embedder import MODEL_NAME

    assert a.info.name != MODEL_NAME


@pytest.mark.parametrize(
    "args, message",
    [
        (["--chunks", "0"], "--chunks must be at least 1"),
        (["--chunks", "10", "--scifact", "{tmp}/missing"], "does not exist"),
        (["--encoder", "no-such-encoder"], "unknown encoder"),
    ],
)
def test_bad_input_is_one_line_on_stderr_with_exit_code_2(tmp_path, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    done = subprocess.run(
        [sys.executable, "-m", "eval.bench_scale", *args, "--folder", str(tmp_path / "bench")],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in done.stderr
    assert not (tmp_path / "bench").exists()


def test_a_folder_holding_other_files_is_refused(tmp_path, capsys):
    if not (SCIFACT / "corpus.jsonl").is_file():
        pytest.skip(f"SciFact is not at {SCIFACT}")
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["--chunks", "10", "--folder", str(tmp_path)]) == 2
    assert "did not write" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_probe_reports_its_own_peak_memory_not_its_parents():
    ballast = np.ones(400 * 2**20 // 8)  # 400 MB resident in this (the parent) process
    code = "from eval.bench_scale import peak_rss_mb; print(peak_rss_mb())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=bench_scale.ROOT)
    assert float(done.stdout) < 200, f"the child reported {done.stdout.strip()} MB, the parent's peak"
    del ballast

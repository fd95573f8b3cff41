"""The `qa index build|status` commands in-process (fake encoder), and `qa --help` as a real process."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.manifest import FORMAT_VERSION
from qa.cli import main
from tests.conftest import ROOT
from tests.fakes import FakeEncoder

BUILD_KEYS = {"documents", "chunks", "embedded", "reused", "removed", "skipped", "seconds"}
STATUS_KEYS = {"documents", "chunks", "model", "dim", "encoder", "precision", "built_at", "format_version", "stale"}


@pytest.fixture(autouse=True)
def fake_embedder(monkeypatch):
    """`cmd_build` imports `Embedder` from index.embedder when it runs: hand it the fake."""
    import index.embedder

    monkeypatch.setattr(index.embedder, "Embedder", lambda *a, **k: FakeEncoder())


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "cobalt.txt").write_text("Cobalt Supply\n\n" + "Cobalt is mined by artisanal miners in the Congo. " * 30)
    (folder / "water.md").write_text("# Water Use\n\n" + "Lithium brine extraction uses scarce water. " * 30)
    return folder


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def build(capsys, corpus: Path, index: Path, *extra: str) -> tuple[int, str, str]:
    return run(capsys, "index", "build", "--corpus", str(corpus), "--index", str(index), *extra)


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


# --- index build ------------------------------------------------------------------


def test_build_json_prints_one_object_with_the_documented_keys(capsys, corpus, tmp_path):
    code, out, err = build(capsys, corpus, tmp_path / "index", "--json")
    assert code == 0
    assert len(out.strip().splitlines()) == 1
    report = json.loads(out)
    assert set(report) == BUILD_KEYS
    assert report["documents"] == 2
    assert report["chunks"] == report["embedded"] > 2
    assert (report["reused"], report["removed"], report["skipped"]) == (0, 0, [])
    assert isinstance(report["seconds"], (int, float)) and report["seconds"] >= 0
    assert err == ""


def test_rebuild_json_reuses_everything(capsys, corpus, tmp_path):
    index = tmp_path / "index"
    first = json.loads(build(capsys, corpus, index, "--json")[1])
    code, out, _ = build(capsys, corpus, index, "--json")
    second = json.loads(out)
    assert code == 0
    assert (second["embedded"], second["reused"], second["chunks"]) == (0, first["chunks"], first["chunks"])


def test_build_lists_skipped_files_with_reasons_and_warns_on_stderr(capsys, corpus, tmp_path):
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02\x03" * 64)
    (corpus / "notes.xyz").write_text("unsupported")
    code, out, err = build(capsys, corpus, tmp_path / "index", "--json")
    assert code == 0
    report = json.loads(out)
    skipped = {s["path"]: s["reason"] for s in report["skipped"]}
    assert set(skipped) == {"empty.txt", "binary.txt", "notes.xyz"}
    assert all(set(s) == {"path", "reason"} for s in report["skipped"])
    assert skipped["empty.txt"] == "empty file"
    assert "binary" in skipped["binary.txt"] and "unsupported file type" in skipped["notes.xyz"]
    lines = err.splitlines()
    assert len(lines) == 3 and "Traceback" not in err
    for path, reason in skipped.items():
        assert f"warning: skipped {path}: {reason}" in lines
    assert report["documents"] == 2


def test_build_human_output(capsys, corpus, tmp_path):
    index = tmp_path / "index"
    code, out, _ = build(capsys, corpus, index)
    assert code == 0 and out.startswith(f"index written at {index}: 2 documents")
    code, out, _ = build(capsys, corpus, index)
    assert code == 0 and out.startswith(f"index unchanged at {index}: 2 documents") and "0 embedded" in out
    code, out, err = build(capsys, corpus, index, "--force")
    assert code == 0 and out.startswith("index written") and "0 reused" in out
    assert err.splitlines() == ["note: --force: re-embedding every document"]


def test_build_of_missing_corpus_is_a_one_line_error(capsys, tmp_path):
    code, out, err = build(capsys, tmp_path / "no-such-corpus", tmp_path / "index", "--json")
    assert code == 2 and out == ""
    assert "no-such-corpus" in one_error_line(err) and "does not exist" in err


def test_build_of_empty_corpus_is_a_one_line_error(capsys, tmp_path):
    (tmp_path / "empty").mkdir()
    code, out, err = build(capsys, tmp_path / "empty", tmp_path / "index")
    assert code == 2 and out == ""
    assert "holds no files" in one_error_line(err)


def test_build_without_readable_documents_is_an_error_and_keeps_the_index(capsys, corpus, tmp_path):
    index = tmp_path / "index"
    build(capsys, corpus, index)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    code, out, err = build(capsys, bad, index)
    assert code == 2 and out == ""
    error = [line for line in err.splitlines() if not line.startswith("warning: ")]
    assert len(error) == 1 and "no readable documents" in one_error_line(error[0])
    assert json.loads(run(capsys, "index", "status", "--index", str(index), "--corpus", str(corpus), "--json")[1])["stale"] == []


def test_build_while_another_build_runs_is_an_error(capsys, corpus, tmp_path):
    from index.build import LOCK_FILE

    index = tmp_path / "index"
    index.mkdir()
    with open(index / LOCK_FILE, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, out, err = build(capsys, corpus, index)
    assert code == 2 and out == ""
    assert "another build" in one_error_line(err)


# --- index status -----------------------------------------------------------------


def test_status_json_keys_and_stale_files(capsys, corpus, tmp_path):
    index = tmp_path / "index"
    build(capsys, corpus, index)
    code, out, err = run(capsys, "index", "status", "--index", str(index), "--json")
    assert code == 0 and err == ""
    status = json.loads(out)
    assert set(status) == STATUS_KEYS
    assert (status["documents"], status["stale"]) == (2, [])
    assert (status["model"], status["dim"]) == (FakeEncoder.info.name, FakeEncoder.info.dim)
    assert (status["encoder"], status["precision"]) == ("torch", "fp32")
    assert status["format_version"] == FORMAT_VERSION and status["built_at"]
    (corpus / "water.md").write_text("# Water Use\n\nEdited text about water.\n")
    status = json.loads(run(capsys, "index", "status", "--index", str(index), "--json")[1])
    assert status["stale"] == ["water.md"]


def test_status_human_output(capsys, corpus, tmp_path):
    index = tmp_path / "index"
    build(capsys, corpus, index)
    code, out, _ = run(capsys, "index", "status", "--index", str(index), "--corpus", str(corpus))
    assert code == 0 and "documents: 2" in out and "up to date" in out and "(64d, torch fp32)" in out
    (corpus / "new.txt").write_text("A new document.\n")
    code, out, _ = run(capsys, "index", "status", "--index", str(index), "--corpus", str(corpus))
    assert "changed since the build" in out and "  new.txt" in out


def test_status_of_missing_index_is_a_one_line_error(capsys, tmp_path):
    code, out, err = run(capsys, "index", "status", "--index", str(tmp_path / "none"), "--json")
    assert code == 2 and out == ""
    assert "qa index build" in one_error_line(err)


def test_status_of_corrupt_index_is_a_one_line_error(capsys, corpus, tmp_path):
    index = tmp_path / "index"
    build(capsys, corpus, index)
    (index / "CURRENT").write_text("gen-missing\n")
    code, out, err = run(capsys, "index", "status", "--index", str(index))
    assert code == 2 and out == ""
    assert "missing generation" in one_error_line(err)


# --- help ---------------------------------------------------------------------------


def test_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: qa") and "index" in out and "ask" in out


def test_index_build_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["index", "build", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--corpus" in out and "--force" in out and "--json" in out


def test_no_command_prints_help_and_fails(capsys):
    code, out, _ = run(capsys, )
    assert code == 2 and "usage: qa" in out


def _subprocess_env(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, PYTHONDONTWRITEBYTECODE="1", HOME=str(tmp_path))


def test_help_process_is_fast_and_does_not_import_torch(tmp_path):
    script = ROOT / ".venv" / "bin" / "qa"
    command = [str(script), "--help"] if script.exists() else [sys.executable, "-m", "qa.cli", "--help"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=tmp_path, env=_subprocess_env(tmp_path), capture_output=True, text=True, timeout=30)
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: qa")
    assert elapsed < 2.0, f"qa --help took {elapsed:.2f} s"

    probe = "import sys, qa.cli; print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=_subprocess_env(tmp_path),
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]

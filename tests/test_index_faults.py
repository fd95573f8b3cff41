"""Index faults: a damaged CURRENT or manifest, damage only checksums find, a full disk, and a
quick run of `python -m eval.faults` (issue 16, "Reliability and security")."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from index.build import DAMAGE_NOTE, LOCK_FILE, build_index
from index.errors import BuildFailed, IndexCorrupt, IndexWriteFailed
from index.manifest import MANIFEST_FILE, Manifest
from index.segments import is_segment
from index.store import CURRENT, current_generation, load_index
from qa.cli import main
from tests.crash_build import CONFIG
from tests.fakes import FakeEncoder
from tests.test_build import assert_consistent, make_corpus

QUESTION = "Who mines cobalt?"


@pytest.fixture(autouse=True)
def fake_embedder(monkeypatch):
    """`qa` builds and asks with the fake encoder (as tests/test_cli_index.py hands it)."""
    import index.embedder

    monkeypatch.setattr(index.embedder, "Embedder", lambda *a, **k: FakeEncoder())
    for name in ("QA_ENCODER", "QA_LLM_BASE_URL", "QA_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def corpus(tmp_path) -> Path:
    return make_corpus(tmp_path / "corpus")


@pytest.fixture
def index(tmp_path, corpus, capsys) -> Path:
    folder = tmp_path / "index"
    assert qa(capsys, "index", "build", "--corpus", str(corpus), "--index", str(folder))[0] == 0
    return folder


def qa(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    return lines[0]


def every_command(capsys, index: Path, corpus: Path) -> tuple[str, str, tuple[int, str, str]]:
    """`qa index status` and `qa ask` (each one error line), then a plain `qa index build`."""
    status = qa(capsys, "index", "status", "--index", str(index))
    ask = qa(capsys, "ask", QUESTION, "--index", str(index))
    assert status[0] == ask[0] == 2 and status[1] == ask[1] == ""
    build = qa(capsys, "index", "build", "--corpus", str(corpus), "--index", str(index))
    return one_error_line(status[2]), one_error_line(ask[2]), build


def repaired(capsys, index: Path, build: tuple[int, str, str]) -> None:
    """The plain build wrote a fresh index, saying why, and left no other generation."""
    code, out, err = build
    assert code == 0 and "index written" in out and "Traceback" not in err
    assert f"warning: {DAMAGE_NOTE}" in err
    assert len(list(index.glob("gen-*"))) == 1
    assert qa(capsys, "index", "status", "--index", str(index))[0] == 0
    assert qa(capsys, "ask", QUESTION, "--index", str(index))[0] == 0


def edit_manifest(index: Path, change) -> None:
    path = current_generation(index) / MANIFEST_FILE
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


# --- 1. a damaged CURRENT or manifest: one line from every command, a plain build repairs it -------


@pytest.mark.parametrize("junk", [b"\x00\xff\xfe\x80junk\n", b"\xff" * 300, b"gen-\xc3\x28\n"], ids=["binary", "long", "bad-utf8"])
def test_junk_in_current_is_one_line_for_every_command_and_a_plain_build_repairs_it(capsys, index, corpus, junk):
    (index / CURRENT).write_bytes(junk)
    status, ask, build = every_command(capsys, index, corpus)
    assert f"{index / CURRENT} is damaged" in status and f"qa index build --index {index}" in status
    assert f"{index / CURRENT} is damaged" in ask
    repaired(capsys, index, build)


WRONG_TYPES = {
    "chunks-a-string": (lambda d: next(iter(d["documents"].values())).update(chunks="abc"), "documents.cobalt.chunks should be a whole number"),
    "documents-a-list": (lambda d: d.update(documents=list(d["documents"].values())), "documents should be an object"),
    "counts-missing": (lambda d: d.pop("counts"), "counts is missing"),
    "a-count-missing": (lambda d: d["counts"].pop("chunks"), "counts.chunks is missing"),
    "model-a-string": (lambda d: d.update(model="fake"), "model should be an object"),
    "dim-a-float": (lambda d: d["model"].update(dim=64.0), "model.dim should be a whole number"),
    "sentences-a-string": (lambda d: d.update(sentences="yes"), "sentences should be true or false"),
    "a-file-a-list": (lambda d: d["files"].update({"cobalt.txt": []}), "files.cobalt.txt should be an object"),
    "a-file-document-a-number": (lambda d: d["files"]["cobalt.txt"].update(documents=[3]), "files.cobalt.txt.documents[0] should be a string"),
    "an-artifact-size-a-string": (lambda d: d["artifacts"].update({"chunks.npy": "12"}), "artifacts.chunks.npy should be a whole number"),
    "a-checksum-a-number": (lambda d: d["checksums"]["chunks.npy"].update(digest=7), "checksums.chunks.npy.digest should be a string"),
}


@pytest.mark.parametrize("case", list(WRONG_TYPES), ids=list(WRONG_TYPES))
def test_manifest_read_names_a_missing_or_wrong_typed_field(index, case):
    change, message = WRONG_TYPES[case]
    edit_manifest(index, change)
    with pytest.raises(IndexCorrupt, match="manifest.json is damaged") as caught:
        Manifest.read(current_generation(index))
    assert f"(field {message}" in str(caught.value) and f"qa index build --index {index}" in str(caught.value)


@pytest.mark.parametrize("text", ["[1, 2]", '{"model": ', "\udcff", "[" * 100000], ids=["a-list", "cut", "not-utf8", "deep"])
def test_a_manifest_that_is_no_json_object_is_corrupt(index, text):
    (current_generation(index) / MANIFEST_FILE).write_text(text, errors="surrogateescape")
    with pytest.raises(IndexCorrupt, match=r"manifest\.json is (damaged|unreadable)"):
        Manifest.read(current_generation(index))


def test_a_wrong_typed_manifest_is_one_line_for_every_command_and_a_plain_build_repairs_it(capsys, index, corpus):
    edit_manifest(index, lambda d: next(iter(d["documents"].values())).update(chunks="abc"))
    status, ask, build = every_command(capsys, index, corpus)
    assert "manifest.json is damaged (field documents.cobalt.chunks" in status
    repaired(capsys, index, build)


# --- 2. status verifies what loading verifies, and every file against its checksum ------------------


def flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2:len(data) // 2 + 16] = bytes(b ^ 0xFF for b in data[len(data) // 2:len(data) // 2 + 16])
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("name", ["chunks.npy", "sentences.npy", "spans.npy", "chunk_sentences.npy", "layout.npy",
                                  "dense.faiss", "records.sqlite", "tokens.npy", "lexical/data.csc.index.npy"])
def test_status_finds_same_size_damage_and_a_plain_build_repairs_it(capsys, index, corpus, name):
    flip(current_generation(index) / name)
    code, _, err = qa(capsys, "index", "status", "--index", str(index))
    assert code == 2 and name in one_error_line(err) and "checksum" in err
    code, out, err = qa(capsys, "index", "build", "--corpus", str(corpus), "--index", str(index))
    assert code == 0 and "index written" in out and f"warning: {DAMAGE_NOTE}" in err
    assert qa(capsys, "index", "status", "--index", str(index))[0] == 0


def test_status_checks_dtypes_and_shapes_as_loading_does(capsys, index):
    path = current_generation(index) / "chunks.npy"
    path.write_bytes(path.read_bytes().replace(b"'descr': '<f4'", b"'descr': '<i4'", 1))  # same size, other dtype
    edit_manifest(index, lambda d: d.update(checksums={}))  # as an index from before checksums
    code, _, err = qa(capsys, "index", "status", "--index", str(index))
    assert code == 2 and "inconsistent" in one_error_line(err)


def test_status_says_what_it_verified(capsys, index):
    code, out, _ = qa(capsys, "index", "status", "--index", str(index))
    assert code == 0 and "verified:" in out and "every byte against its xxh3_128" in out and "status reads the whole index" in out
    edit_manifest(index, lambda d: d.update(checksums={}))
    code, out, _ = qa(capsys, "index", "status", "--index", str(index))
    assert code == 0 and "no checksums recorded" in out


def test_the_manifest_records_every_file_s_checksum_and_opening_hashes_none(index, monkeypatch):
    import hashlib

    manifest = Manifest.read(current_generation(index))
    assert set(manifest.checksums) == set(manifest.artifacts) and all(len(c.digest) == 32 for c in manifest.checksums.values())
    monkeypatch.setattr(hashlib, "file_digest", lambda *a: pytest.fail("opening hashed a file"))
    load_index(index, manifest.config).close()


def test_a_sealed_manifest_makes_its_entries_only_when_asked_and_an_edited_one_checks_them_all(index, monkeypatch):
    import index.manifest as manifest_module

    folder = current_generation(index)
    built = json.loads((folder / MANIFEST_FILE).read_text())
    made: list[str] = []
    real = manifest_module._file_from_json
    monkeypatch.setattr(manifest_module, "_file_from_json", lambda data, where: made.append(where) or real(data, where))
    sealed = Manifest.read(folder)
    load_index(index, sealed.config).close()
    assert made == []  # opening to answer questions reads no corpus file's entry
    assert {k: e.stamp.sha256 for k, e in sealed.files.items()} == {k: v["sha256"] for k, v in built["files"].items()}
    assert {k: e.chunks for k, e in sealed.documents.items()} == {k: v["chunks"] for k, v in built["documents"].items()}
    assert sealed.chunk_counts().tolist() == [v["chunks"] for v in built["documents"].values()]
    made.clear()
    edit_manifest(index, lambda d: d.update(built_at="edited"))  # the same types, but not what the build wrote
    Manifest.read(folder)
    assert len(made) == len(built["files"])


def test_an_edited_manifest_is_checked_in_full_by_the_next_build(capsys, index, corpus):
    edit_manifest(index, lambda d: d["checksums"]["layout.npy"].update(digest="0" * 32))  # the files' times are unchanged
    code, _, err = qa(capsys, "index", "build", "--corpus", str(corpus), "--index", str(index))
    assert code == 0 and "layout.npy does not match" in err
    assert qa(capsys, "index", "status", "--index", str(index))[0] == 0


# --- 3. a full disk: a one-line error, the half-written generation removed, the previous one live ----


def _full_on_chunks(monkeypatch):
    import index.store as store

    real = store._Parts.save

    def save(self, path, *args):
        if is_segment(Path(path).name, "chunks.npy"):  # chunks-1.npy when a build appends
            Path(path).write_bytes(b"\x93NUMPY half")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, path, *args)

    monkeypatch.setattr(store._Parts, "save", save)


def test_a_full_disk_removes_the_half_written_generation_and_keeps_the_previous_one(tmp_path, monkeypatch):
    corpus, index = make_corpus(tmp_path / "corpus"), tmp_path / "index"
    build_index(corpus, index, FakeEncoder(), CONFIG)
    live = current_generation(index).name
    (corpus / "nickel.txt").write_text("Nickel Laterites\n\nNickel laterite mining feeds battery supply chains.\n")
    _full_on_chunks(monkeypatch)
    for _ in range(2):  # a retry adds no folder either
        with pytest.raises(IndexWriteFailed, match=r"No space left on device while writing chunks(-1)?\.npy in .*the previous index is still live; "
                                                   r"free space and run `qa index build --index") as caught:
            build_index(corpus, index, FakeEncoder(), CONFIG)
        assert caught.value.errno == errno.ENOSPC and isinstance(caught.value, OSError)
        assert sorted(p.name for p in index.iterdir()) == sorted([CURRENT, LOCK_FILE, live])
        assert current_generation(index).name == live
    monkeypatch.undo()
    assert build_index(corpus, index, FakeEncoder(), CONFIG).written
    assert_consistent(index, corpus)


def test_a_full_disk_is_one_line_from_the_cli(capsys, index, corpus, monkeypatch):
    (corpus / "nickel.txt").write_text("Nickel Laterites\n\nNickel laterite mining feeds battery supply chains.\n")
    _full_on_chunks(monkeypatch)
    code, out, err = qa(capsys, "index", "build", "--corpus", str(corpus), "--index", str(index))
    assert code == 2 and out == "" and re.search(r"No space left on device while writing chunks(-1)?\.npy", one_error_line(err))
    assert len(list(index.glob("gen-*"))) == 1


def test_a_build_first_removes_what_killed_builds_left(tmp_path, monkeypatch):
    corpus, index = make_corpus(tmp_path / "corpus"), tmp_path / "index"
    build_index(corpus, index, FakeEncoder(), CONFIG)
    live = current_generation(index).name
    stale = index / "gen-20000101T000000-0badc0de"
    shutil.copytree(index / live, stale)  # as big as a generation: on a full disk it must go first
    (index / f"{CURRENT}.0badc0de.tmp").write_text(stale.name + "\n")
    (corpus / "nickel.txt").write_text("Nickel Laterites\n\nNickel laterite mining feeds battery supply chains.\n")
    _full_on_chunks(monkeypatch)
    with pytest.raises(IndexWriteFailed):
        build_index(corpus, index, FakeEncoder(), CONFIG)
    assert sorted(p.name for p in index.iterdir()) == sorted([CURRENT, LOCK_FILE, live])


def test_a_damaged_current_deletes_no_generation(tmp_path):
    corpus, index = make_corpus(tmp_path / "corpus"), tmp_path / "index"
    build_index(corpus, index, FakeEncoder(), CONFIG)
    live = current_generation(index).name
    (index / CURRENT).write_bytes(b"\xff\xfe")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "empty.txt").write_bytes(b"")
    with pytest.raises(BuildFailed):
        build_index(tmp_path / "bad", index, FakeEncoder(), CONFIG)  # no readable documents: nothing written
    assert (index / live).is_dir()  # which generation was live is unknown until a build swaps CURRENT: none is deleted


# --- 4. the fault-injection script ------------------------------------------------------------------


def test_eval_faults_survives_a_sample_of_each_group(tmp_path):
    from eval import faults

    faults.prepare(tmp_path)
    for group, name in [("corrupt", "current-junk-bytes"), ("corrupt", "manifest-chunks-a-string"),
                        ("corrupt", "records-pages-flipped"), ("disk", "dense")]:
        result = faults.child(group, name, tmp_path)  # in-process: the fixture's fake encoder is restored after
        assert result["survived"], (name, result)
        assert result.get("detected", True), name
    result = faults.run_scenario("kill", "records", tmp_path)  # a build killed inside its records transaction
    assert result["survived"], result

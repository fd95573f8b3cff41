"""`qa` at a terminal and in pipes: control characters from documents and file names are shown
escaped, a closed pipe ends quietly, an unusable --index or a bad QA_LLM_* setting is one line.

The index is built with the fake encoder (tests.fakes); the pipe test runs `qa` as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa import cli
from tests.conftest import ROOT
from tests.fakes import FakeEncoder

ESC, CSI, RLO, BEL = "\x1b", "\x9b", "\u202e", "\x07"
COBALT = (
    "Cobalt Supply\n\n"
    f"Cobalt is mined by {ESC}[31martisanal{ESC}[0m miners in the Congo{BEL} and {CSI}2J{RLO}sold abroad. "
    "Cobalt prices rose in 2023 because demand for batteries grew.\n"
)
RAW = (ESC, CSI, RLO, BEL)
LLM_ENV = ("QA_LLM_BASE_URL", "QA_LLM_MODEL", "QA_LLM_API_KEY", "QA_LLM_TIMEOUT")
# `qa` as a process with the fake encoder
DRIVER = (
    "import sys, index.embedder, tests.fakes\n"
    "index.embedder.Embedder = lambda *a, **k: tests.fakes.FakeEncoder()\n"
    "from qa.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


@pytest.fixture(autouse=True)
def fake_embedder(monkeypatch):
    import index.embedder

    monkeypatch.setattr(index.embedder, "Embedder", lambda *a, **k: FakeEncoder())
    for name in LLM_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "cobalt.txt").write_text(COBALT, encoding="utf-8")
    (folder / "water.md").write_text("# Water Use\n\n" + "Lithium brine extraction uses scarce water. " * 5)
    (folder / f"notes\n{ESC}[2Jevil.xyz").write_text("not a document")  # skipped: an unsupported type
    return folder


@pytest.fixture
def index(corpus, tmp_path, capsys) -> Path:
    folder = tmp_path / "index"
    assert cli.main(["index", "build", "--corpus", str(corpus), "--index", str(folder)]) == 0
    capsys.readouterr()
    return folder


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str, prefix: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(prefix) and "Traceback" not in err, err
    return lines[0]


# ----------------------------------------------------------------------------- control characters


def test_answer_text_from_documents_shows_control_characters_escaped(capsys, index):
    code, out, _ = run(capsys, "ask", "--index", str(index), "Who mines cobalt?")

    assert code == 0 and "Sources:" in out and "\n" in out
    assert not any(c in out for c in RAW), repr(out)
    assert "\\x1b[31martisanal\\x1b[0m" in out and "\\x9b2J\\u202esold abroad" in out and "Congo\\x07" in out


def test_json_answer_escapes_controls_and_keeps_the_text(capsys, index):
    code, out, _ = run(capsys, "ask", "--json", "--index", str(index), "Who mines cobalt?")

    assert code == 0 and out.count("\n") == 1
    assert not any(c in out for c in RAW), repr(out)
    answer = json.loads(out)["answer"]
    assert f"{ESC}[31martisanal" in answer and f"{CSI}2J{RLO}sold" in answer  # JSON escapes decode to the text


def test_file_name_with_a_newline_is_one_line_in_warnings(corpus, tmp_path, capsys):
    code, _, err = run(capsys, "index", "build", "--corpus", str(corpus), "--index", str(tmp_path / "index"))

    assert code == 0
    line = one_line(err, "warning: skipped ")
    assert "notes\\n\\x1b[2Jevil.xyz" in line and ESC not in err


def test_error_message_naming_a_path_with_controls_is_one_line(capsys, tmp_path):
    folder = tmp_path / f"no{ESC}]0;owned{BEL}\nindex"
    code, out, err = run(capsys, "ask", "--index", str(folder), "Who mines cobalt?")

    assert code == 2 and out == ""
    line = one_line(err, "error: ")
    assert "no\\x1b]0;owned\\x07\\nindex" in line and ESC not in err


# ----------------------------------------------------------------------------- pipes


def test_closed_pipe_ends_quietly_in_process(capsys, index, monkeypatch):
    class ClosedPipe:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert cli.main(["ask", "--index", str(index), "Who mines cobalt?"]) == cli.EXIT_BROKEN_PIPE


@pytest.mark.parametrize("batch", [False, True])
def test_ask_into_a_closed_pipe_exits_quietly(index, tmp_path, batch):
    """`qa ask ... | head -0`: the reader is gone before the answer is written."""
    argv = ["ask", "--index", str(index)] + ([] if batch else ["Who mines cobalt?"])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1", "HOME": str(tmp_path)}
    read, write = os.pipe()
    os.close(read)  # nobody will read the answer
    try:
        done = subprocess.run([sys.executable, "-c", DRIVER, *argv], cwd=ROOT, env=env, stdout=write,
                              stderr=subprocess.PIPE, input="Who mines cobalt?\nWhat is brine?\n".encode() if batch else b"",
                              timeout=120)
    finally:
        os.close(write)
    stderr = done.stderr.decode()
    assert done.returncode == cli.EXIT_BROKEN_PIPE, stderr
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr and "Exception ignored" not in stderr


# ----------------------------------------------------------------------------- --index


def test_index_that_is_a_file_is_a_one_line_error(capsys, tmp_path):
    path = tmp_path / "index.txt"
    path.write_text("not an index")
    code, _, err = run(capsys, "ask", "--index", str(path), "Who mines cobalt?")

    assert code == 2
    assert "is a file, not a folder" in one_line(err, "error: --index ")


def test_unreadable_index_folder_is_a_one_line_error(capsys, index, monkeypatch):
    if os.geteuid() == 0:  # root reads everything: make the folder unreadable as the OS would for a user
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **k: False if Path(p) == index else real_access(p, mode, **k))
        real_open = Path.read_bytes
        monkeypatch.setattr(Path, "read_bytes", lambda self: _denied(self) if index in self.parents else real_open(self))
    else:
        index.chmod(0)
    try:
        code, _, err = run(capsys, "ask", "--index", str(index), "Who mines cobalt?")
    finally:
        index.chmod(0o755)
    assert code == 2
    assert "cannot be read (permission denied)" in one_line(err, "error: --index ")


def test_permission_error_while_opening_the_index_is_a_one_line_error(capsys, index, monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(index / "CURRENT"))

    monkeypatch.setattr("qa.assistant.load_index", denied)
    code, _, err = run(capsys, "ask", "--index", str(index), "Who mines cobalt?")

    assert code == 2
    assert one_line(err, "error: ") == f"error: cannot open {index / 'CURRENT'}: Permission denied"


def _denied(path: Path):
    raise PermissionError(13, "Permission denied", str(path))


# ----------------------------------------------------------------------------- QA_LLM_* settings


BAD_SETTINGS = [
    ({"QA_LLM_TIMEOUT": "abc"}, "QA_LLM_TIMEOUT: timeout must be a number of seconds, got 'abc'"),
    ({"QA_LLM_BASE_URL": "ftp://llm.example.com/v1"}, "QA_LLM_BASE_URL: base_url must start with http:// or https://"),
    ({"QA_LLM_BASE_URL": "http://"}, "QA_LLM_BASE_URL: base_url must name a host"),
]


def _llm_env(monkeypatch, extra: dict[str, str]) -> None:
    monkeypatch.setenv("QA_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("QA_LLM_MODEL", "test-model")
    for name, value in extra.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize(("extra", "problem"), BAD_SETTINGS)
def test_bad_llm_setting_is_a_warning_without_llm(capsys, index, monkeypatch, extra, problem):
    _llm_env(monkeypatch, extra)
    code, out, err = run(capsys, "ask", "--index", str(index), "Who mines cobalt?")

    assert code == 0 and "Sources:" in out
    line = one_line(err, "warning: ")
    assert problem in line and line.endswith("LLM answers are off (fix or unset the setting)")
    assert {k: os.environ.get(k) for k in extra} == extra  # the settings are back once the index is open


@pytest.mark.parametrize(("extra", "problem"), BAD_SETTINGS)
def test_bad_llm_setting_is_an_error_with_llm(capsys, index, monkeypatch, extra, problem):
    _llm_env(monkeypatch, extra)
    code, out, err = run(capsys, "ask", "--llm", "--index", str(index), "Who mines cobalt?")

    assert code == 2 and out == ""
    line = one_line(err, "error: ")
    assert problem in line and line.endswith("fix or unset the setting to use --llm")


def test_good_llm_setting_is_used_without_warning(capsys, index, monkeypatch):
    _llm_env(monkeypatch, {"QA_LLM_TIMEOUT": "0.5"})
    code, out, err = run(capsys, "ask", "--llm", "--json", "--index", str(index), "Who mines cobalt?")

    assert code == 0 and err == ""
    assert "LLM request failed (connection failed" in json.loads(out)["notice"]  # nothing listens on port 9


def test_an_llm_answer_streams_to_the_terminal_then_its_sources(capsys, index, monkeypatch):
    """Each verified sentence is printed (and flushed) as it arrives, once; the sources follow
    after a blank line, as in the answer printed whole. A sentence no passage supports is not shown."""
    from tests.chat_server import ChatServer, Stream

    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    said = "Cobalt prices rose in 2023 because demand for batteries grew [1]."
    invented = "Cobalt is mined on the moon by robots [1]."
    printed: list[str] = []
    real_print = print

    def spy(*args, **kwargs):  # what each print call wrote, in order
        printed.append(kwargs.get("sep", " ").join(map(str, args)) + kwargs.get("end", "\n"))
        real_print(*args, **kwargs)

    monkeypatch.setattr("builtins.print", spy)
    reply = said + " " + invented
    with ChatServer(Stream([reply[i:i + 7] for i in range(0, len(reply), 7)])) as server:
        _llm_env(monkeypatch, {"QA_LLM_BASE_URL": server.base_url, "QA_LLM_TIMEOUT": "5"})
        code, out, err = run(capsys, "ask", "--llm", "--index", str(index), "Who mines cobalt?")

    assert code == 0 and err == ""
    shown = "Cobalt prices rose in 2023 because demand for batteries grew. [1]"  # as the answer composes it
    assert printed[0] == shown and out.count("Cobalt prices rose in 2023 because") >= 2  # the answer, then its quote
    assert out.startswith(shown + "\n\n") and "moon" not in out
    text, _, rest = out.partition("\n\n")
    assert text == shown and "Sources:\n[1] Cobalt Supply" in rest and "1 sentence" in rest  # the note on the dropped one

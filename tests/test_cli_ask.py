"""`qa ask` from the command line: person-readable output, JSON, batch mode from stdin, errors."""

from __future__ import annotations

import io
import json

import pytest

from qa import cli

pytestmark = pytest.mark.model


@pytest.fixture
def run(seed_index, real_encoder, monkeypatch, capsys):
    monkeypatch.setattr("index.embedder.Embedder", lambda *a, **k: real_encoder)

    def invoke(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = cli.main(argv + ["--index", str(seed_index)])
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def test_ask_prints_answer_and_sources(run):
    code, out, _ = run(["ask", "Which principles must the HLEAG process be based on?"])
    assert code == 0
    assert "[1]" in out and "Sources:" in out and "Civil Society Letter" in out


def test_ask_json_one_object(run):
    code, out, _ = run(["ask", "--json", "--k", "3", "--mode", "lexical", "What is CCCMC?"])
    data = json.loads(out)
    assert code == 0 and len(data["retrieved"]) == 3 and data["question"] == "What is CCCMC?"


def test_batch_mode_reads_stdin_and_reports_bad_lines(run):
    stdin = "What is CCCMC?\n" + "x" * 5000 + "\nWho won the 2022 FIFA World Cup final?\n"
    code, out, err = run(["ask", "--json"], stdin)
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 3
    assert "answer" in lines[0] and "error" in lines[1] and "limit" in lines[1]["error"]
    assert lines[2]["abstained"] is True
    assert code == 2 and "Traceback" not in err


def test_unknown_document_is_one_line_error(run):
    code, out, err = run(["ask", "--doc", "no-such-doc", "What is CCCMC?"])
    assert code == 2 and out == ""
    assert err.strip().startswith("error: unknown document id 'no-such-doc'") and len(err.strip().splitlines()) == 1


def test_empty_question_is_one_line_error(run):
    code, _, err = run(["ask", "   "])
    assert code == 2 and "empty" in err and "Traceback" not in err

"""`qa corpus check`: how each file is read, before anything is indexed."""

from __future__ import annotations

import json

from qa.cli import main
from tests.pdf_helper import make_pdf

LETTER = "Water Stewardship\n\nMines must report their water withdrawals every year to the regulator.\n\n- Monitor wells\n- Publish data\n"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_each_file_is_described_and_bad_files_are_named_with_their_reason(tmp_path, capsys):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "water.txt").write_text(LETTER)
    (folder / "scan.pdf").write_bytes(make_pdf([[]]))
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n")
    (folder / "metadata.json").write_text(json.dumps({"water.txt": {"title": "Water Guide"}, "x.txt": 3}))
    code, out, err = run(capsys, "corpus", "check", str(folder))
    assert code == 0 and err == ""
    assert "water.txt: 'Water Guide'" in out
    assert "1 heading, 1 paragraph, 2 list items" in out
    assert "scan.pdf: SKIPPED:" in out and "OCR" in out
    assert "photo.png: SKIPPED: unsupported file type '.png'" in out
    assert "metadata.json: SKIPPED: entry 'x.txt' ignored" in out
    assert "warning: nearly empty" in out
    assert out.strip().endswith("1 of 3 files read, 2 skipped, 1 with warnings")


def test_json_gives_one_object_per_file_with_blocks_and_removed_counts(tmp_path, capsys):
    folder = tmp_path / "c"
    folder.mkdir()
    pages = [["Mining Review 2024", f"Body text of page {n} about cobalt and tailings.", f"Page {n} of 3"] for n in (1, 2, 3)]
    (folder / "review.pdf").write_bytes(make_pdf(pages))
    code, out, _ = run(capsys, "corpus", "check", str(folder), "--json")
    assert code == 0
    [record] = [json.loads(line) for line in out.splitlines()]
    assert record["path"] == "review.pdf" and record["pages"] == 3
    assert record["blocks"] and sum(record["blocks"].values()) >= 3
    assert sum(record["removed"].values()) >= 3  # the running header and the page numbers
    assert record["skipped"] == [] and record["titles"]


def test_a_missing_folder_is_one_line_error(tmp_path, capsys):
    code, out, err = run(capsys, "corpus", "check", str(tmp_path / "nope"))
    assert code == 2 and out == ""
    assert err.startswith("error: corpus folder") and err.count("\n") == 1


def test_control_characters_from_a_file_are_shown_escaped(tmp_path, capsys):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "evil.txt").write_text("Title \x1b[31mred\n\nA paragraph long enough to be a paragraph of the document.\n")
    code, out, _ = run(capsys, "corpus", "check", str(folder))
    assert code == 0 and "\x1b" not in out

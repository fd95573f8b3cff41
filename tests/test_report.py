"""Tests for eval.report rendering and file output (writes only under tmp_path)."""

from __future__ import annotations

import copy
import json

import pytest

from eval.report import format_table, plot_hit_at_k, to_markdown, write_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _mode(h1: float, h3: float, h5: float, h10: float, mrr: float, ndcg: float, ev: float) -> dict:
    return {"hit@1": h1, "hit@3": h3, "hit@5": h5, "hit@10": h10,
            "mrr@10": mrr, "ndcg@10": ndcg, "evidence_recall@k": ev}


RESULT = {
    "n": 12,
    "k": 5,
    "gold": "eval/gold.jsonl",
    "index": "index/store",
    "created": "2024-05-01T12:30:45+00:00",
    "by_kind": {
        "factoid": {"n": 8, "hit@5": 0.875, "fact_recall": 0.8125, "abstained": 0.0},
        "unanswerable": {"n": 4, "hit@5": 0.0, "fact_recall": 1.0, "abstained": 0.75},
    },
    "modes": {
        "dense": _mode(0.5, 0.75, 0.8333, 0.9167, 0.6412, 0.6789, 0.7),
        "lexical": _mode(0.4167, 0.5833, 0.6667, 0.75, 0.5234, 0.5512, 0.6),
        "hybrid": _mode(0.5833, 0.8333, 0.9167, 1.0, 0.7123, 0.7456, 0.8),
    },
    "answers": {"fact_recall": 0.8542, "citation_precision": 0.9, "citation_recall": 0.8,
                "abstention_precision": 0.75, "abstention_recall": 1.0,
                "false_abstention": 0.125},
    "latency_ms": {"p50": 123.456, "p95": 987.6543},
    "failures": [
        {"id": "q007", "kind": "factoid", "question": "What is the royalty rate?",
         "reason": "missing_fact", "answer": "I could not find it.",
         "retrieved": [
             {"rank": 1, "doc_id": "act-2019", "chunk_id": "act-2019#3", "score": 0.8123,
              "text": "Royalty | rate table\nline two of the chunk"},
             {"rank": 2, "doc_id": "regs-2020", "chunk_id": "regs-2020#1", "score": 0.7,
              "text": "Second chunk " + "x" * 300},
             {"rank": 3, "doc_id": "guide", "chunk_id": "guide#9", "score": 0.6,
              "text": "third"},
             {"rank": 4, "doc_id": "FOURTH-DOC", "chunk_id": "fourth#1", "score": 0.5,
              "text": "fourth should not be shown"},
         ]},
    ],
}


# --- format_table ---------------------------------------------------------------------

def test_format_table_contains_modes_and_numbers():
    table = format_table(RESULT)
    for mode in ("dense", "lexical", "hybrid"):
        assert mode in table
    for number in ("0.833", "0.917", "1.000", "0.641", "0.746", "0.854", "0.125",
                   "123.456", "987.654", "0.875", "0.812"):
        assert number in table, number
    assert "q007" in table and "missing_fact" in table
    assert "What is the royalty rate?" in table
    assert "factoid" in table and "unanswerable" in table


def test_format_table_modes_are_columns_in_order():
    table = format_table(RESULT)
    header = next(line for line in table.splitlines() if line.startswith("metric"))
    assert header.index("dense") < header.index("lexical") < header.index("hybrid")
    row = next(line for line in table.splitlines() if line.startswith("hit@10"))
    assert row.split()[1:] == ["0.917", "0.750", "1.000"]
    mrr = next(line for line in table.splitlines() if line.startswith("mrr@10"))
    assert mrr.split()[1:] == ["0.641", "0.523", "0.712"]


def test_format_table_numbers_right_aligned():
    lines = format_table(RESULT).splitlines()
    header = next(line for line in lines if line.startswith("metric"))
    rows = [line for line in lines if line.startswith(("hit@1 ", "ndcg@10"))]
    assert len(rows) == 2
    for row in rows:
        assert len(row) == len(header)  # right-aligned columns end at the same offset
        assert row.endswith(row.split()[-1])


# --- to_markdown --------------------------------------------------------------------------

def test_markdown_tables_and_failures():
    md = to_markdown(RESULT)
    assert "| metric | dense | lexical | hybrid |" in md
    assert "| hit@5 | 0.833 | 0.667 | 0.917 |" in md
    assert "## Failures (1)" in md
    assert "act-2019" in md and "regs-2020" in md and "guide" in md
    assert "FOURTH-DOC" not in md  # only the top 3 retrieved
    assert "0.812" in md


def test_markdown_escapes_pipe_and_newline_in_failure_text():
    md = to_markdown(RESULT)
    assert "Royalty \\| rate table line two of the chunk" in md
    row = next(line for line in md.splitlines() if "act-2019" in line)
    # unescaped pipes = cell borders: rank, doc_id, score, text -> 5 borders
    assert row.replace("\\|", "").count("|") == 5


def test_markdown_truncates_text_to_160_chars():
    md = to_markdown(RESULT)
    row = next(line for line in md.splitlines() if "regs-2020" in line)
    assert "x" * 140 in row
    assert "x" * 147 in row  # "Second chunk " (13 chars) + 147 x's = 160 chars
    assert "x" * 148 not in row


# --- plot / write_report ----------------------------------------------------------------

def test_plot_hit_at_k_writes_png(tmp_path):
    path = tmp_path / "plot.png"
    plot_hit_at_k(RESULT, path)
    assert path.exists()
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_write_report_files(tmp_path):
    reports = tmp_path / "reports" / "nested"
    paths = write_report(RESULT, reports)
    assert set(paths) == {"json", "markdown", "plot"}
    assert paths["json"].name == "eval-2024-05-01T12-30-45Z.json"
    assert paths["markdown"].name == "eval-2024-05-01T12-30-45Z.md"
    assert paths["plot"].name == "eval-2024-05-01T12-30-45Z.png"
    for path in paths.values():
        assert path.parent == reports and path.exists()
        assert ":" not in path.name
    assert json.loads(paths["json"].read_text(encoding="utf-8")) == RESULT
    assert paths["json"].read_text(encoding="utf-8").startswith('{\n  "n": 12')
    assert paths["plot"].read_bytes()[:8] == PNG_MAGIC
    for name, kind in (("latest.json", "json"), ("latest.md", "markdown"),
                       ("latest.png", "plot")):
        assert (reports / name).read_bytes() == paths[kind].read_bytes()
    assert "Royalty \\| rate" in (reports / "latest.md").read_text(encoding="utf-8")


# --- robustness -----------------------------------------------------------------------------

def _without(*keys: str) -> dict:
    result = copy.deepcopy(RESULT)
    for key in keys:
        result.pop(key, None)
    return result


@pytest.mark.parametrize("missing", [
    ("modes",), ("answers",), ("latency_ms",), ("by_kind",), ("failures",),
    ("modes", "answers", "latency_ms", "by_kind", "failures", "created"),
])
def test_missing_sections_do_not_crash(tmp_path, missing):
    result = _without(*missing)
    assert isinstance(format_table(result), str)
    assert isinstance(to_markdown(result), str)
    paths = write_report(result, tmp_path)
    assert paths["plot"].read_bytes()[:8] == PNG_MAGIC


def test_missing_mode_and_metrics_do_not_crash(tmp_path):
    result = copy.deepcopy(RESULT)
    del result["modes"]["lexical"]
    del result["modes"]["hybrid"]["hit@3"]
    result["modes"]["dense"] = {}
    result["failures"] = [{"id": "q1"}, {"id": "q2", "retrieved": []}]
    table = format_table(result)
    header = next(line for line in table.splitlines() if line.startswith("metric"))
    assert header.split() == ["metric", "dense", "hybrid"]
    row = next(line for line in table.splitlines() if line.startswith("hit@3"))
    assert row.split()[1:] == ["-", "-"]
    md = to_markdown(result)
    assert "q1" in md and "q2" in md
    plot_hit_at_k(result, tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes()[:8] == PNG_MAGIC


def test_empty_result(tmp_path):
    assert "Retrieval" in format_table({})
    assert "# Evaluation report" in to_markdown({})
    paths = write_report({}, tmp_path)
    assert paths["json"].name == "eval-unknown.json"
    assert all(p.exists() for p in paths.values())


# --- results with dev and test splits ---------------------------------------------------------

def _with_splits() -> dict:
    result = copy.deepcopy(RESULT)
    dev, test = copy.deepcopy(RESULT), copy.deepcopy(RESULT)
    for part, hit5, fact in ((dev, 0.95, 0.9), (test, 0.85, 0.7)):
        for key in ("gold", "index", "created", "failures"):
            part.pop(key)
        part["n"] = 6
        part["modes"]["hybrid"]["hit@5"] = hit5
        part["answers"]["fact_recall"] = fact
        part["by_kind"]["factoid"]["fact_recall"] = fact
    result["split"] = "all"
    result["splits"] = {"dev": dev, "test": test}
    result["failures"][0]["split"] = "test"
    return result


def test_format_table_shows_every_figure_per_split_side_by_side():
    table = format_table(_with_splits())
    lines = table.splitlines()
    assert "(dev=6 test=6)" in lines[1] and "split=all" in lines[1]
    header = next(line for line in lines if line.startswith("metric") and "dense" in line)
    assert header.split() == ["metric", "all", "dense", "all", "lexical", "all", "hybrid", "dev", "dense", "dev", "lexical",
                              "dev", "hybrid", "test", "dense", "test", "lexical", "test", "hybrid"]
    hit5 = next(line for line in lines if line.startswith("hit@5 "))
    assert hit5.split()[1:] == ["0.833", "0.667", "0.917", "0.833", "0.667", "0.950", "0.833", "0.667", "0.850"]
    answers = next(line for line in lines if line.startswith("metric") and "dense" not in line)
    assert answers.split() == ["metric", "all", "dev", "test"]
    fact = next(line for line in lines if line.startswith("fact_recall"))
    assert fact.split()[1:] == ["0.854", "0.900", "0.700"]
    assert any(line.split()[:2] == ["percentile", "all"] for line in lines)
    kinds = [line.split()[:2] for line in lines if line.startswith(("factoid", "unanswerable"))]
    assert kinds == [["factoid", "all"], ["factoid", "dev"], ["factoid", "test"],
                     ["unanswerable", "all"], ["unanswerable", "dev"], ["unanswerable", "test"]]
    assert "- [q007] (factoid, test) missing_fact" in table


def test_markdown_shows_both_splits():
    md = to_markdown(_with_splits())
    assert "- **questions per split:** dev 6, test 6" in md
    assert "| metric | all dense | all lexical | all hybrid | dev dense | dev lexical | dev hybrid | test dense | test lexical | test hybrid |" in md
    assert "| hit@5 | 0.833 | 0.667 | 0.917 | 0.833 | 0.667 | 0.950 | 0.833 | 0.667 | 0.850 |" in md
    assert "| metric | all | dev | test |" in md and "| fact_recall | 0.854 | 0.900 | 0.700 |" in md
    assert "| kind | split | n | hit@1 | hit@5 |" in md
    assert "| factoid | test | 8 | - | 0.875 |" in md
    assert "### q007 (factoid, test)" in md


def test_plot_with_splits(tmp_path):
    plot_hit_at_k(_with_splits(), tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes()[:8] == PNG_MAGIC

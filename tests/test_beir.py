"""`qa eval beir DIR` on the ten-document fixture tests/fixtures/beir_tiny."""

from __future__ import annotations

import json
import shutil
from argparse import Namespace
from pathlib import Path

import pytest

from eval import beir
from eval.gold import EvalError
from eval.runner import EXIT_GATE_FAILED, EXIT_OK, run_cli

TINY = Path(__file__).resolve().parent / "fixtures" / "beir_tiny"


def _args(cache: Path, folder: Path = TINY, **over) -> Namespace:
    data = dict(target=["beir", str(folder)], index=Path("unused"), gold=None, k=5, json=True, min=[],
                reports=cache / "reports", cache=cache)
    data.update(over)
    return Namespace(**data)


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("beir-cache")


@pytest.fixture(scope="module")
def first_run(cache, real_encoder):
    """The JSON of the first (index-building) run with the real model."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = run_cli(_args(cache), encoder=real_encoder)
    assert code == EXIT_OK
    return json.loads(out.getvalue())


@pytest.mark.model
def test_json_shape(first_run):
    assert set(first_run) == {"modes", "queries", "documents", "build_seconds", "split"}
    assert first_run["queries"] == 5  # q9 has no judgement and is not evaluated
    assert first_run["documents"] == 10
    assert first_run["split"] == "test" and first_run["build_seconds"] > 0
    assert list(first_run["modes"]) == ["dense", "lexical", "hybrid"]
    for metrics in first_run["modes"].values():
        assert list(metrics) == ["ndcg@10", "recall@100", "mrr@10"]
        assert all(0.0 <= v <= 1.0 for v in metrics.values())


@pytest.mark.model
def test_rare_words_rank_their_document_first_lexically(first_run, cache, real_encoder):
    from index.manifest import IndexConfig
    from index.store import load_index
    from qa.retrieval import Retriever

    config = IndexConfig(model=real_encoder.info, sentences=False)
    retriever = Retriever(load_index(cache / "beir_tiny" / "index", config))
    queries = {"q1": ("Which pioneer lichen species colonised the Surtsey basalt lava?", "d01"),
               "q3": ("What causes scurvy and how did sailors prevent it?", "med-07")}  # MED/07 is slugified
    for text, expected in queries.values():
        vector = real_encoder.encode([text])[0]
        ranked = beir.rank_documents(retriever, text, vector, "lexical")
        assert ranked[0] == expected
        assert len(ranked) == len(set(ranked))  # documents, not chunks
        assert beir.rank_documents(retriever, text, vector, "hybrid")[0] == expected


@pytest.mark.model
def test_second_run_reuses_the_index_and_applies_gates(first_run, cache, real_encoder, capsys):
    current = (cache / "beir_tiny" / "index" / "CURRENT").read_text()
    args = _args(cache, json=False, min=["ndcg@10=0.01", "lexical.recall@100=1.0"])
    assert run_cli(args, encoder=real_encoder) == EXIT_GATE_FAILED
    out, err = capsys.readouterr()
    assert (cache / "beir_tiny" / "index" / "CURRENT").read_text() == current
    assert "BEIR beir_tiny (test split): 5 queries, 10 documents" in out
    assert "ndcg@10" in out and "hybrid" in out
    lexical = next(line for line in out.splitlines() if line.startswith("recall@100")).split()[2]
    assert float(lexical) < 1.0  # q4 names no word of its third relevant document
    assert err.strip().splitlines() == [line for line in err.strip().splitlines() if "lexical.recall@100" in line]


def test_fake_encoder_benchmark(tmp_path, fake_encoder):
    result = beir.benchmark(TINY, tmp_path, encoder=fake_encoder)
    assert result["queries"] == 5 and result["documents"] == 10
    assert result["modes"]["lexical"]["mrr@10"] > 0.5
    calls = fake_encoder.calls
    beir.benchmark(TINY, tmp_path, encoder=fake_encoder)
    assert fake_encoder.calls == calls + 1  # nothing re-embedded: only the queries, in one batch


def test_missing_files_are_named(tmp_path, monkeypatch):
    folder = tmp_path / "broken"
    shutil.copytree(TINY, folder)
    (folder / "queries.jsonl").unlink()
    with pytest.raises(EvalError, match=f"{folder / 'queries.jsonl'} is missing"):
        run_cli(_args(tmp_path, folder))
    monkeypatch.setenv("QA_BEIR_SPLIT", "train")
    with pytest.raises(EvalError, match=r"qrels/train\.tsv is missing"):
        run_cli(_args(tmp_path))
    monkeypatch.setenv("QA_BEIR_SPLIT", "../x")
    with pytest.raises(EvalError, match="not a split name"):
        run_cli(_args(tmp_path))
    monkeypatch.delenv("QA_BEIR_SPLIT")
    with pytest.raises(EvalError, match="does not exist"):
        run_cli(_args(tmp_path, tmp_path / "nowhere"))


def test_beir_gates_are_checked_first(tmp_path):
    with pytest.raises(EvalError, match="unknown metric 'hit@5'"):
        run_cli(_args(tmp_path, tmp_path / "nowhere", min=["hit@5=0.5"]))


def test_read_qrels_and_queries(tmp_path):
    qrels = tmp_path / "q.tsv"
    qrels.write_text("query-id\tcorpus-id\tscore\n1\tA/B\t2\n1\tc\t0\n2\td\t1\n")
    assert beir.read_qrels(qrels) == {"1": {"a-b": 2, "c": 0}, "2": {"d": 1}}
    qrels.write_text("query-id\tcorpus-id\tscore\n1\tA\n")
    with pytest.raises(EvalError, match=r"q\.tsv:2: expected"):
        beir.read_qrels(qrels)
    queries = tmp_path / "queries.jsonl"
    queries.write_text('{"_id": "1", "text": "one  query"}\n{"_id": "3", "text": "other"}\n')
    assert beir.read_queries(queries, {"1"}) == {"1": "one query"}
    with pytest.raises(EvalError, match="lacks 1 judged query"):
        beir.read_queries(queries, {"1", "2"})

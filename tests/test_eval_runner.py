"""eval.runner: evaluate() on a tiny gold file with the real model, --min gates and exit codes."""

from __future__ import annotations

import json
from argparse import Namespace
from pathlib import Path

import pytest

from corpus.chunking import Chunk
from eval.gold import EvalError, GoldError
from eval.report import ANSWER_METRICS, KIND_METRICS, MODES, RETRIEVAL_METRICS
from eval.runner import (
    EXIT_GATE_FAILED, EXIT_OK, _ideal_relevant, _retrieval_scores, check_gates, evaluate, gold_gate_metrics,
    parse_gates, run_cli,
)
from qa.records import Hit

WILSON = "wilson-dicarlo-critical-minerals-2024"
TINY_GOLD = [
    {"id": "t1", "question": "Established in 1988, CCCMC has grown to represent over 6,000 Chinese companies by 2021: when was it established?",
     "kind": "factoid", "answer": "1988", "facts": ["1988"],
     "evidence": [{"doc_id": WILSON, "quote": "Established in 1988, CCCMC has grown to represent over 6,000 Chinese companies by 2021, playing a crucial role in an industry that constitutes a substantial portion of China's foreign trade."}],
     "split": "dev"},
    {"id": "t2", "question": "Which principles does the letter say the HLEAG process must be based on?", "kind": "list",
     "answer": "Inclusive participation, geographical representation.", "facts": ["Inclusive Participation", "Geographical Representation"],
     "evidence": [{"doc_id": "civil-society-letter-hleag-2025", "quote": "Inclusive Participation: Civil society organizations, Indigenous Peoples, labor unions, local communities, youth, and women must be included at all levels"},
                  {"doc_id": "civil-society-letter-hleag-2025", "quote": "Geographical Representation: Voices from all regions, particularly low- and middle-income mineral-producing countries, must be meaningfully included alongside organizations with global reach."}],
     "split": "test"},
    {"id": "t3", "question": "Which multilateral venues do the trade cooperation initiative and the Wilson Center report recommend for dialogue on minerals?",
     "kind": "multi-doc", "answer": "G20", "facts": ["G20"],
     "evidence": [{"doc_id": "green-mining-trade-initiative", "quote": "We will encourage extensive dialogue on international economic and trade cooperation on green mining and minerals on multilateral occasions such as the United Nations, WTO, and G20"},
                  {"doc_id": WILSON, "quote": "Engagement with non-state actors through multilateral forums such as the United Nations Framework Convention on Climate Change, the OECD Mineral Supply Chain Forum, and the G20 can provide platforms for dialogue and cooperation."}],
     "split": "dev"},
    {"id": "t4", "question": "What was the CCCMC's total revenue in 2025?", "kind": "unanswerable",
     "answer": "The documents do not contain this information.", "facts": [], "evidence": [], "split": "test"},
]


@pytest.fixture
def tiny_gold(tmp_path) -> Path:
    path = tmp_path / "tiny.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in TINY_GOLD), encoding="utf-8")
    return path


def _args(tmp_path, **over) -> Namespace:
    data = dict(target=[], index=tmp_path / "no-index", gold=None, k=5, json=False, min=[],
                reports=tmp_path / "reports", cache=tmp_path / "cache", corpus=None, split="all")
    data.update(over)
    return Namespace(**data)


# --- evaluate() with the real model -----------------------------------------------------

@pytest.fixture(scope="module")
def result(assistant, tmp_path_factory):
    path = tmp_path_factory.mktemp("gold") / "tiny.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in TINY_GOLD), encoding="utf-8")
    return evaluate(assistant, path, k=5)


@pytest.mark.model
def test_result_shape(result, seed_index):
    assert result["n"] == 4 and result["k"] == 5 and result["answerable"] == 3
    assert result["gold"].endswith("tiny.jsonl") and Path(result["index"]) == seed_index
    assert "T" in result["created"]
    assert list(result["modes"]) == list(MODES)
    for mode, metrics in result["modes"].items():
        assert list(metrics) == list(RETRIEVAL_METRICS)
        assert all(0.0 <= v <= 1.0 for v in metrics.values()), mode
        assert metrics["hit@1"] <= metrics["hit@3"] <= metrics["hit@5"] <= metrics["hit@10"]
        assert metrics["mrr@10"] <= metrics["hit@10"]
    assert set(ANSWER_METRICS) | {"fact_hit"} == set(result["answers"])
    for name, value in result["answers"].items():
        assert value is None or 0.0 <= value <= 1.0, name
    assert 0 < result["latency_ms"]["p50"] <= result["latency_ms"]["p95"]
    assert set(result["by_kind"]) == {"factoid", "list", "multi-doc", "unanswerable"}
    assert result["by_kind"]["unanswerable"]["hit@5"] is None
    assert result["by_kind"]["unanswerable"]["fact_recall"] is None
    assert all(stats["n"] == 1 for stats in result["by_kind"].values())
    assert set(KIND_METRICS) == set(result["by_kind"]["factoid"])
    assert result["split"] == "all" and list(result["splits"]) == ["dev", "test"]
    dev, test = result["splits"]["dev"], result["splits"]["test"]
    assert (dev["n"], dev["answerable"], test["n"], test["answerable"]) == (2, 2, 2, 1)
    assert set(dev["by_kind"]) == {"factoid", "multi-doc"} and set(test["by_kind"]) == {"list", "unanswerable"}
    assert dev["answers"]["abstention_recall"] is None  # no unanswerable question in dev
    for part in (dev, test):
        assert set(part) == {"n", "answerable", "modes", "answers", "latency_ms", "by_kind"}
        assert list(part["modes"]) == list(MODES) and set(part["answers"]) == set(result["answers"])
    for metric in RETRIEVAL_METRICS:  # the overall figure is the mean over the answerable questions of both
        overall = result["modes"]["hybrid"][metric]
        assert overall == pytest.approx((2 * dev["modes"]["hybrid"][metric] + test["modes"]["hybrid"][metric]) / 3, abs=1e-3)
    assert {q["id"]: q["split"] for q in result["questions"]} == {"t1": "dev", "t2": "test", "t3": "dev", "t4": "test"}
    for failure in result["failures"]:
        assert {"id", "kind", "split", "question", "reason", "answer", "retrieved"} <= set(failure)
        assert failure["reason"] and len(failure["retrieved"]) <= 3
    json.dumps(result)  # serialisable as is


@pytest.mark.model
def test_values_that_must_hold(result):
    questions = {q["id"]: q for q in result["questions"]}
    # t1 repeats its evidence sentence word for word: BM25 must put that passage first.
    assert questions["t1"]["first_relevant"]["lexical"] == 1
    assert questions["t4"]["first_relevant"] is None  # no retrieval scoring for unanswerable
    answers = result["answers"]
    assert answers["fact_hit"] <= answers["fact_recall"]
    t4 = questions["t4"]
    assert answers["abstention_recall"] == float(t4["abstained"])
    failed = {f["id"]: f for f in result["failures"]}
    assert ("t4" in failed) == (not t4["abstained"])
    for qid in ("t1", "t2", "t3"):
        q = questions[qid]
        if q["abstained"]:
            assert "false_abstention" in failed[qid]["reason"]
        elif q["fact_recall"] < 1:
            assert "missing_facts" in failed[qid]["reason"]


@pytest.mark.model
def test_one_split_only(assistant, tiny_gold, result):
    dev = evaluate(assistant, tiny_gold, k=5, split="dev")
    assert dev["split"] == "dev" and dev["n"] == 2 and list(dev["splits"]) == ["dev"]
    assert [q["id"] for q in dev["questions"]] == ["t1", "t3"]
    assert dev["modes"] == dev["splits"]["dev"]["modes"]
    assert dev["modes"]["lexical"] == result["splits"]["dev"]["modes"]["lexical"]  # the same questions score the same
    with pytest.raises(EvalError, match="split must be one of all, dev, test"):
        evaluate(assistant, tiny_gold, split="train")


@pytest.mark.model
def test_unknown_document_or_quote_is_a_user_error(assistant, tmp_path):
    bad = dict(TINY_GOLD[0], evidence=[{"doc_id": "no-such-doc", "quote": "x"}])
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(bad) + "\n")
    with pytest.raises(EvalError, match="'t1'.*'no-such-doc'"):
        evaluate(assistant, path)
    bad = dict(TINY_GOLD[0], evidence=[{"doc_id": WILSON, "quote": "words that are nowhere in it"}])
    path.write_text(json.dumps(bad) + "\n")
    with pytest.raises(EvalError, match="'t1'.*not in document"):
        evaluate(assistant, path)


@pytest.mark.model
def test_run_cli_end_to_end(seed_index, real_encoder, tiny_gold, tmp_path, capsys):
    args = _args(tmp_path, index=seed_index, gold=tiny_gold, json=True, min=["latency_ms.p95=0.001", "hit@10=0"])
    assert run_cli(args, encoder=real_encoder) == EXIT_GATE_FAILED
    out, err = capsys.readouterr()
    assert json.loads(out)["n"] == 4
    assert "report written to" in err
    assert [line for line in err.splitlines() if line.startswith("gate failed")] == [
        line for line in err.splitlines() if "latency_ms.p95" in line]
    assert (tmp_path / "reports" / "latest.md").exists() and (tmp_path / "reports" / "latest.png").exists()


# --- ndcg ideal with overlapping chunks (no model) --------------------------------------

def _chunk(cid, start, end, doc="d"):
    return Chunk(cid, doc, "T", "x" * (end - start), start, end)


def test_ideal_counts_non_overlapping_relevant_chunks():
    chunks = [_chunk("a", 0, 100), _chunk("b", 80, 180), _chunk("c", 180, 260), _chunk("z", 0, 50, doc="e")]
    index = Namespace(chunks=chunks, document_chunks=lambda d: [c for c in chunks if c.doc_id == d])
    assert _ideal_relevant(index, [("d", 90, 95)]) == 1  # a and b overlap each other
    assert _ideal_relevant(index, [("d", 90, 95), ("d", 200, 210)]) == 2
    scores = _retrieval_scores([Hit(chunks[1], 1.0, 1), Hit(chunks[3], 0.5, 2)], [("d", 90, 95)], 1, k=5)
    assert scores["ndcg@10"] == 1.0 and scores["hit@1"] == 1.0 and scores["evidence_recall@k"] == 1.0
    scores = _retrieval_scores([Hit(chunks[3], 1.0, 1), Hit(chunks[2], 0.5, 2)], [("d", 90, 95), ("d", 200, 210)], 2, k=1)
    assert scores["hit@1"] == 0.0 and scores["mrr@10"] == 0.5 and scores["evidence_recall@k"] == 0.0
    assert 0 < scores["ndcg@10"] < 1 and scores["first_relevant"] == 2


# --- gates (no model) -------------------------------------------------------------------

FAKE = {
    "n": 2, "k": 5, "gold": "g.jsonl", "index": "idx", "created": "2026-01-01T00:00:00+00:00",
    "modes": {m: {metric: 0.5 for metric in RETRIEVAL_METRICS} for m in MODES},
    "answers": {"fact_recall": 0.7, "citation_precision": None, "citation_recall": 0.6, "abstention_precision": 1.0,
                "abstention_recall": 1.0, "false_abstention": 0.2, "fact_hit": 0.5},
    "latency_ms": {"p50": 100.0, "p95": 200.0}, "by_kind": {}, "failures": [],
}


def test_parse_gates_names():
    known = gold_gate_metrics()
    hit, dense, fa, lat = parse_gates(["hit@5=0.8", "dense.ndcg@10=0.5", "false_abstention=0.1", "latency_ms.p95=500"], known)
    assert hit.path == ("modes", "hybrid", "hit@5") and hit.value == 0.8 and not hit.maximum
    assert dense.path == ("modes", "dense", "ndcg@10")
    assert fa.path == ("answers", "false_abstention") and fa.maximum
    assert lat.maximum and lat.value == 500


@pytest.mark.parametrize("spec, message", [
    ("hit@5", "expected METRIC=VALUE"),
    ("=0.5", "expected METRIC=VALUE"),
    ("hit@5=", "expected METRIC=VALUE"),
    ("foo=0.5", "unknown metric 'foo'"),
    ("sparse.hit@5=0.5", "unknown metric"),
    ("hit@5=abc", "not a number"),
    ("hit@5=80", "between 0 and 1"),
    ("hit@5=-1", ">= 0"),
    ("hit@5=nan", ">= 0"),
])
def test_malformed_gates(spec, message):
    with pytest.raises(EvalError, match=message):
        parse_gates([spec], gold_gate_metrics())


def _split(hit5: float, false_abstention: float) -> dict:
    modes = {m: {metric: 0.5 for metric in RETRIEVAL_METRICS} for m in MODES}
    modes["hybrid"] = dict(modes["hybrid"], **{"hit@5": hit5})
    return {"n": 1, "answerable": 1, "modes": modes, "answers": dict(FAKE["answers"], false_abstention=false_abstention),
            "latency_ms": FAKE["latency_ms"], "by_kind": {}}


SPLIT_FAKE = dict(FAKE, splits={"dev": _split(0.9, 0.0), "test": _split(0.7, 0.3)})


def test_split_gates_are_parsed():
    known = gold_gate_metrics()
    bare, dev, test_dense = parse_gates(["hit@5=0.8", "dev.hit@5=0.85", "test.dense.ndcg@10=0.5"], known, splits=True)
    assert bare.split is None and dev.split == "dev" and dev.path == ("modes", "hybrid", "hit@5")
    assert test_dense.split == "test" and test_dense.path == ("modes", "dense", "ndcg@10")
    with pytest.raises(EvalError, match="unknown metric 'dev.hit@5'"):
        parse_gates(["dev.hit@5=0.8"], known)  # BEIR has no splits
    with pytest.raises(EvalError, match="unknown metric 'train.hit@5'.*SPLIT.METRIC"):
        parse_gates(["train.hit@5=0.8"], known, splits=True)


def test_a_gate_holds_for_every_split():
    gates = parse_gates(["hit@5=0.8", "false_abstention=0.1"], gold_gate_metrics(), splits=True)
    assert check_gates(SPLIT_FAKE, gates) == [
        "gate failed: test.hit@5 = 0.700 is below the minimum 0.8",
        "gate failed: test.false_abstention = 0.300 is above the maximum 0.1",
    ]
    gates = parse_gates(["dev.hit@5=0.85", "test.hit@5=0.65", "dev.false_abstention=0"], gold_gate_metrics(), splits=True)
    assert check_gates(SPLIT_FAKE, gates) == []
    gates = parse_gates(["test.hit@5=0.75", "hit@5=0.95"], gold_gate_metrics(), splits=True)
    assert check_gates(SPLIT_FAKE, gates) == [
        "gate failed: test.hit@5 = 0.700 is below the minimum 0.75",
        "gate failed: dev.hit@5 = 0.900 is below the minimum 0.95",
        "gate failed: test.hit@5 = 0.700 is below the minimum 0.95",
    ]
    only_dev = dict(FAKE, splits={"dev": _split(0.9, 0.0)})  # `--split dev`
    gates = parse_gates(["hit@5=0.8", "test.hit@5=0.5"], gold_gate_metrics(), splits=True)
    assert check_gates(only_dev, gates) == ["gate failed: test.hit@5 is undefined for this run (minimum 0.5)"]


def test_check_gates():
    gates = parse_gates(["hit@5=0.5", "fact_recall=0.8", "false_abstention=0.1", "citation_precision=0.5",
                         "false_abstention=0.3", "latency_ms.p95=300"], gold_gate_metrics())
    failed = check_gates(FAKE, gates)
    assert failed == [
        "gate failed: fact_recall = 0.700 is below the minimum 0.8",
        "gate failed: false_abstention = 0.200 is above the maximum 0.1",
        "gate failed: citation_precision is undefined for this run (minimum 0.5)",
    ]


@pytest.fixture
def fake_run(monkeypatch):
    import eval.runner
    import qa.assistant

    monkeypatch.setattr(qa.assistant.Assistant, "open", classmethod(lambda cls, index_dir, **kw: object()))
    monkeypatch.setattr(eval.runner, "evaluate",
                        lambda assistant, gold, k, gold_path=None, split="all": dict(FAKE, k=k, n=len(gold), split=split))


@pytest.mark.parametrize("gates, code", [([], EXIT_OK), (["hit@5=0.5", "false_abstention=0.2"], EXIT_OK),
                                         (["hit@10=0.6"], EXIT_GATE_FAILED), (["false_abstention=0.19"], EXIT_GATE_FAILED)])
def test_exit_codes(fake_run, tmp_path, capsys, gates, code):
    assert run_cli(_args(tmp_path, min=gates)) == code
    out, err = capsys.readouterr()
    assert "Evaluation report" in out and "report written to" in out
    assert len([line for line in err.splitlines() if line.startswith("gate failed")]) == (code == EXIT_GATE_FAILED)
    assert (tmp_path / "reports" / "latest.json").exists()


def test_json_output_goes_to_stdout_alone(fake_run, tmp_path, capsys):
    assert run_cli(_args(tmp_path, json=True, k=3)) == EXIT_OK
    out, err = capsys.readouterr()
    assert json.loads(out)["k"] == 3
    assert "report written to" in err


def test_split_option_runs_one_split(fake_run, tmp_path, capsys, monkeypatch):
    import eval.runner

    gold = tmp_path / "g.jsonl"
    gold.write_text("".join(json.dumps(q) + "\n" for q in TINY_GOLD), encoding="utf-8")
    seen = {}
    monkeypatch.setattr(eval.runner, "evaluate", lambda assistant, questions, k, gold_path=None, split="all":
                        seen.update(ids=[q.id for q in questions], split=split) or dict(FAKE, k=k))
    assert run_cli(_args(tmp_path, gold=gold, split="test")) == EXIT_OK
    assert seen == {"ids": ["t2", "t4"], "split": "test"}
    capsys.readouterr()
    only_dev = tmp_path / "dev.jsonl"
    only_dev.write_text(json.dumps(TINY_GOLD[0]) + "\n", encoding="utf-8")
    with pytest.raises(GoldError, match="holds no test questions"):
        run_cli(_args(tmp_path, gold=only_dev, split="test"))
    with pytest.raises(EvalError, match="--split 'train'"):
        run_cli(_args(tmp_path, gold=gold, split="train"))


def test_corpus_option_evaluates_on_a_cached_index_of_the_folder(tmp_path, capsys):
    from tests.conftest import SEED_CORPUS
    from tests.fakes import FakeEncoder

    folder = tmp_path / "My Corpus"
    folder.mkdir()
    source = next(p for p in SEED_CORPUS.iterdir() if p.name.startswith("wilson"))
    (folder / source.name).write_bytes(source.read_bytes())
    (folder / "metadata.json").write_text(json.dumps({source.name: {"id": WILSON}}), encoding="utf-8")
    gold = tmp_path / "g.jsonl"
    gold.write_text(json.dumps(TINY_GOLD[0]) + "\n" + json.dumps(TINY_GOLD[3]) + "\n", encoding="utf-8")
    encoder = FakeEncoder()
    args = _args(tmp_path, gold=gold, corpus=folder, cache=tmp_path / "cache", json=True)
    assert run_cli(args, encoder=encoder) == EXIT_OK
    first = json.loads(capsys.readouterr().out)
    assert first["n"] == 2 and first["index"] == str(tmp_path / "cache" / "my-corpus")
    assert (tmp_path / "cache" / "my-corpus" / "CURRENT").exists()
    encoded = encoder.encoded
    assert run_cli(args, encoder=encoder) == EXIT_OK  # the second run reuses the index: only questions are encoded
    second = json.loads(capsys.readouterr().out)
    assert second["modes"] == first["modes"] and encoder.encoded - encoded < encoded / 2
    with pytest.raises(EvalError, match="corpus folder .* does not exist"):
        run_cli(_args(tmp_path, gold=gold, corpus=tmp_path / "nowhere", cache=tmp_path / "cache"), encoder=encoder)


def test_user_errors_before_any_work(tmp_path):
    with pytest.raises(EvalError, match="expected METRIC=VALUE"):
        run_cli(_args(tmp_path, min=["hit@5"]))
    with pytest.raises(GoldError, match="does not exist"):
        run_cli(_args(tmp_path, gold=tmp_path / "missing.jsonl"))
    with pytest.raises(EvalError, match="unknown eval target"):
        run_cli(_args(tmp_path, target=["trec", "x"]))
    with pytest.raises(EvalError, match="--corpus is for the gold questions"):
        run_cli(_args(tmp_path, target=["beir", "x"], corpus=tmp_path))
    with pytest.raises(EvalError, match="--split is for the gold questions"):
        run_cli(_args(tmp_path, target=["beir", "x"], split="dev"))
    assert not (tmp_path / "reports").exists()


def test_corpus_and_beir_indexes_are_built_with_the_encoder_qa_encoder_names(tmp_path, monkeypatch):
    """As for `qa index build`: QA_ENCODER is read (an unknown one is refused before any work)."""
    from index.errors import UnknownEncoder

    gold = tmp_path / "g.jsonl"
    gold.write_text(json.dumps(TINY_GOLD[0]) + "\n", encoding="utf-8")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A\n\nMining.\n", encoding="utf-8")
    monkeypatch.setenv("QA_ENCODER", "no-such-encoder")
    with pytest.raises(UnknownEncoder, match="QA_ENCODER='no-such-encoder' is not an encoder"):
        run_cli(_args(tmp_path, gold=gold, corpus=tmp_path / "docs", cache=tmp_path / "cache"))
    beir = tmp_path / "beir"
    beir.mkdir()
    (beir / "corpus.jsonl").write_text(json.dumps({"_id": "d1", "title": "", "text": "Mining."}) + "\n", encoding="utf-8")
    (beir / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "mining"}) + "\n", encoding="utf-8")
    (beir / "qrels").mkdir()
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n", encoding="utf-8")
    with pytest.raises(UnknownEncoder, match="QA_ENCODER='no-such-encoder' is not an encoder"):
        run_cli(_args(tmp_path, target=["beir", str(beir)], cache=tmp_path / "cache"))
    assert not (tmp_path / "cache").exists()

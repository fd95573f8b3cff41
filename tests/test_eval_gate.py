"""The regression gate `make test` runs: the gold eval on the seed corpus and on the real corpus
(../shared/corpora/mining-policy), each split (dev, test) with thresholds just under the figures
measured for it when they were set (README, "Evaluation"). A change that makes retrieval,
answers or abstention worse on either split fails here. Tune on dev; test is the figure to report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa import cli
from tests.test_gold_mining_policy import GOLD as MINING_POLICY_GOLD

pytestmark = pytest.mark.model

# Seed corpus, eval/gold.jsonl: 50 dev questions (43 answerable), 48 test (41 answerable).
SEED_GATES = [
    "dev.hit@5=0.92", "test.hit@5=0.97",  # hybrid; measured dev 0.930, test 1.000 (all 0.964)
    "dev.hit@1=0.64", "test.hit@1=0.74",  # measured 0.651, 0.756 (0.674 on dev before only candidates were
    # scored and normalised: g018's passage fell from first to second, g006 and g043 rose on test)
    "dev.ndcg@10=0.78", "test.ndcg@10=0.86",  # measured 0.798, 0.879 (0.808, 0.875 before candidates only)
    "dev.lexical.hit@5=0.82", "test.lexical.hit@5=0.91",  # measured 0.837, 0.927 (all 0.881)
    "dev.dense.hit@5=0.71", "test.dense.hit@5=0.84",  # measured 0.721, 0.854 (all 0.786)
    "dev.dense.ndcg@10=0.59", "test.dense.ndcg@10=0.73",  # measured 0.608, 0.744 (all 0.674)
    # Answers with the fitted sentence scorer, a plural or counted "which/what" noun read as a list
    # question, and min_gain refitted to 0.1 (before that reading, with min_gain 0.125, in brackets)
    "dev.fact_recall=0.75", "test.fact_recall=0.84",  # measured 0.771, 0.866 (0.771, 0.842)
    "dev.fact_hit=0.72", "test.fact_hit=0.82",  # measured 0.744, 0.854 (0.744, 0.829): every fact in the answer
    "dev.citation_precision=0.65", "test.citation_precision=0.62",  # measured 0.677, 0.644 (0.697, 0.649)
    "abstention_recall=1.0",  # both splits; measured 1.000: 7 of 7 unanswerable in each
    "abstention_precision=1.0",
    "false_abstention=0.02",  # a maximum, in both splits; measured 0.000
]

# Real corpus, eval/gold_mining_policy.jsonl: 42 dev questions (32 answerable), 40 test (30 answerable),
# measured on a fresh index with the layout-aware PDF and the markdown-it/HTML readers; each gate
# leaves about one question's worth of room, as the readers were still changing when it was set.
MINING_POLICY_GATES = [
    "dev.hit@5=0.875", "test.hit@5=0.96",  # hybrid; measured dev 0.906, test 1.000 (dev 0.938 before only
    # candidates were scored: m048's passage fell from fourth to sixth)
    "dev.hit@1=0.68", "test.hit@1=0.79",  # measured 0.719, 0.833
    "dev.ndcg@10=0.83", "test.ndcg@10=0.90",  # measured 0.851, 0.915
    # Answers with the fitted scorer, the list reading and min_gain 0.1 (see above; in brackets before)
    "dev.fact_recall=0.78", "test.fact_recall=0.83",  # measured 0.818, 0.867 (0.766, 0.833)
    "dev.fact_hit=0.71", "test.fact_hit=0.83",  # measured 0.750, 0.867 (0.719, 0.833)
    "dev.citation_precision=0.74", "test.citation_precision=0.80",  # measured 0.769, 0.829 (0.806, 0.829)
    "dev.citation_recall=0.80", "test.citation_recall=0.85",  # measured 0.833, 0.879 (0.806, 0.879)
    "dev.abstention_recall=0.55", "test.abstention_recall=0.65",  # measured 0.600 (6 of 10), 0.800 (8 of 10; 0.700 before)
    "abstention_precision=1.0",  # both splits; measured 1.000
    "false_abstention=0.02",  # a maximum, in both splits; measured 0.000
]


def _run(args: list[str], gates: list[str], capsys) -> tuple[int, dict, str]:
    for gate in gates:
        args += ["--min", gate]
    code = cli.main(args)
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_gold_eval_passes_the_regression_gate(seed_index, real_encoder, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("index.embedder.Embedder", lambda *a, **k: real_encoder)
    args = ["eval", "--index", str(seed_index), "--json", "--reports", str(tmp_path / "reports")]
    code, result, err = _run(args, SEED_GATES, capsys)
    assert code == 0, err
    assert result["n"] >= 80 and set(result["modes"]) == {"dense", "lexical", "hybrid"}
    assert set(result["splits"]) == {"dev", "test"}
    assert result["splits"]["dev"]["n"] + result["splits"]["test"]["n"] == result["n"]
    assert (tmp_path / "reports" / "latest.png").exists()


def test_gate_fails_when_a_threshold_is_not_met(seed_index, real_encoder, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("index.embedder.Embedder", lambda *a, **k: real_encoder)
    code = cli.main(["eval", "--index", str(seed_index), "--reports", str(tmp_path), "--split", "test",
                     "--min", "hit@1=1.0"])
    _, err = capsys.readouterr()
    assert code == 3 and "gate failed: test.hit@1" in err and "dev.hit@1" not in err


def test_real_corpus_gold_eval_passes_its_gate(real_corpus_cache, real_encoder, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("index.embedder.Embedder", lambda *a, **k: real_encoder)
    folder, cache = real_corpus_cache
    args = ["eval", "--corpus", str(folder), "--gold", str(MINING_POLICY_GOLD), "--cache", str(cache),
            "--json", "--reports", str(tmp_path / "reports")]
    code, result, err = _run(args, MINING_POLICY_GATES, capsys)
    assert code == 0, err
    assert Path(result["index"]) == cache / "mining-policy"
    assert result["n"] >= 64 and set(result["splits"]) == {"dev", "test"}

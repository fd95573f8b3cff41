"""The second gold set, eval/gold_mining_policy.jsonl, against the fourteen real files of
../shared/corpora/mining-policy, read as the product reads a copy of that folder without its
SOURCES.md (as in tests/test_gold.py for the seed set: quotes verbatim in the cleaned text, facts
in their quotes, ids unique, both splits of every kind non-empty)."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from eval.gold import KINDS, SPLITS, load_gold, locate, unlocated_quotes
from eval.metrics import normalise_text

REAL_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "mining-policy"
GOLD = Path(__file__).resolve().parents[1] / "eval" / "gold_mining_policy.jsonl"
DOCUMENTS = 14
NOT_PROSE = frozenset({"table_row", "table_header", "heading"})  # quotes come from running prose

needs_corpus = pytest.mark.skipif(
    not REAL_CORPUS.is_dir(), reason=f"the real corpus is not at {REAL_CORPUS} (it comes with ../shared beside the repo)")


def copy_without_sources(folder: Path) -> Path:
    """The real corpus as a user drops it into a folder: every file but SOURCES.md."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in REAL_CORPUS.iterdir():
        if path.is_file() and path.name != "SOURCES.md":
            shutil.copyfile(path, folder / path.name)
    return folder


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    from corpus.loader import load_corpus

    if not REAL_CORPUS.is_dir():
        pytest.skip(f"the real corpus is not at {REAL_CORPUS}")
    loaded = load_corpus(copy_without_sources(tmp_path_factory.mktemp("mining-policy") / "docs"))
    return {d.doc_id: d for d in loaded.documents}


@pytest.fixture(scope="module")
def gold():
    return load_gold(GOLD)


# --- quotes against the cleaned documents --------------------------------------------------

@needs_corpus
def test_every_quote_is_found_in_its_cleaned_document(gold, documents):
    missing = unlocated_quotes(gold, documents)
    assert not missing, "quotes not found:\n" + "\n".join(missing)


@needs_corpus
def test_located_quotes_match_the_text(gold, documents):
    for q in gold:
        for e in q.evidence:
            start, end = locate(e.quote, documents[e.doc_id].text)
            assert normalise_text(documents[e.doc_id].text[start:end]) == normalise_text(e.quote), q.id


@needs_corpus
def test_quotes_are_running_prose_not_tables_or_headings(gold, documents):
    bad = []
    for q in gold:
        for e in q.evidence:
            doc = documents[e.doc_id]
            start, end = locate(e.quote, doc.text)
            kinds = {b.kind for b in doc.blocks if b.start < end and start < b.end}
            if kinds & NOT_PROSE:
                bad.append(f"{q.id}: {e.doc_id}: {sorted(kinds & NOT_PROSE)}")
    assert not bad


@needs_corpus
def test_every_document_has_questions(gold, documents):
    assert len(documents) == DOCUMENTS
    covered = {e.doc_id for q in gold for e in q.evidence}
    assert covered == set(documents), f"documents without gold questions: {sorted(set(documents) - covered)}"


@needs_corpus
def test_unanswerable_questions_name_what_the_documents_never_state(gold, documents):
    """A spot check of how they were written: the invented names are in no document."""
    text = " ".join(d.text for d in documents.values()).lower()
    for name in ("mbeya", "octavia rennard", "zambezi minerals", "mona lisa", "hectare"):
        assert name not in text, name


# --- the gold file itself ------------------------------------------------------------------

def test_ids_are_unique_and_numbered():
    ids = [json.loads(line)["id"] for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"m\d{3}", i) for i in ids)


def test_counts_and_kinds(gold):
    kinds = Counter(q.kind for q in gold)
    assert len(gold) >= 64
    assert set(kinds) == set(KINDS), set(KINDS) - set(kinds)
    assert kinds["unanswerable"] >= 18  # at least 14 in-domain and about 4 off-topic
    assert all(n >= 5 for n in kinds.values()), kinds


def test_every_fact_occurs_in_one_of_its_quotes(gold):
    bad = [(q.id, fact) for q in gold for fact in q.facts
           if not any(normalise_text(fact) in normalise_text(e.quote) for e in q.evidence)]
    assert not bad


def test_both_splits_hold_every_kind_about_evenly(gold):
    counts = Counter((q.kind, q.split) for q in gold)
    for kind in KINDS:
        dev, test = counts[(kind, "dev")], counts[(kind, "test")]
        assert dev and test and abs(dev - test) <= 1, (kind, dev, test)
    assert {q.split for q in gold} == set(SPLITS)


def test_the_split_script_leaves_the_file_unchanged(tmp_path):
    from eval.split_gold import split_file

    copy = tmp_path / GOLD.name
    copy.write_bytes(GOLD.read_bytes())
    split_file(copy)
    assert copy.read_bytes() == GOLD.read_bytes()

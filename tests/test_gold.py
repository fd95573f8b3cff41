"""The gold questions (eval/gold.jsonl) against the seed corpus, and eval.gold's loading and locate()."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from eval.gold import KINDS, Evidence, GoldError, GoldQuestion, load_gold, locate
from eval.metrics import normalise_text
from tests.conftest import GOLD, SEED_CORPUS


@pytest.fixture(scope="module")
def documents():
    from corpus.loader import load_corpus

    return {d.doc_id: d for d in load_corpus(SEED_CORPUS).documents}


@pytest.fixture(scope="module")
def gold():
    return load_gold(GOLD)


# --- the gold file ----------------------------------------------------------------------

def test_every_quote_is_found_in_its_document(gold, documents):
    missing = []
    for q in gold:
        for e in q.evidence:
            doc = documents.get(e.doc_id)
            if doc is None or locate(e.quote, doc.text) is None:
                missing.append(f"{q.id}: {e.doc_id}: {e.quote[:60]!r}")
    assert not missing, "quotes not found:\n" + "\n".join(missing)


def test_located_quotes_match_the_text(gold, documents):
    for q in gold:
        for e in q.evidence:
            start, end = locate(e.quote, documents[e.doc_id].text)
            assert " ".join(documents[e.doc_id].text[start:end].split()) == " ".join(e.quote.split()) or \
                normalise_text(documents[e.doc_id].text[start:end]) == normalise_text(e.quote), q.id


def test_ids_are_unique():
    ids = [json.loads(line)["id"] for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates


def test_counts_kinds_and_coverage(gold, documents):
    assert len(gold) >= 80
    kinds = Counter(q.kind for q in gold)
    assert set(kinds) == set(KINDS)
    assert kinds["unanswerable"] >= 12
    covered = {e.doc_id for q in gold for e in q.evidence}
    assert covered == set(documents), f"documents without gold questions: {set(documents) - covered}"
    assert len(documents) == 5


def test_every_fact_occurs_in_one_of_its_quotes(gold):
    bad = [(q.id, fact) for q in gold for fact in q.facts
           if not any(normalise_text(fact) in normalise_text(e.quote) for e in q.evidence)]
    assert not bad


# --- locate -----------------------------------------------------------------------------

def test_locate_exact():
    text = "Alpha beta. Gamma delta epsilon."
    assert locate("Gamma delta", text) == (12, 23)


def test_locate_normalises_white_space_and_maps_offsets_back():
    text = "Intro.\n\nThe  quick\n  brown\tfox jumps."
    start, end = locate("quick brown fox", text)
    assert text[start:end] == "quick\n  brown\tfox"
    start, end = locate("  The quick\nbrown  fox jumps. ", text)
    assert text[start:end] == "The  quick\n  brown\tfox jumps."


def test_locate_whole_text_and_edges():
    text = "word"
    assert locate("word", text) == (0, 4)
    assert locate("word", "  word  ") == (2, 6)


def test_locate_first_occurrence():
    assert locate("ab", "xx ab ab") == (3, 5)


def test_locate_unifies_curly_quotes_and_dashes():
    text = "members’ ability — to consult"
    start, end = locate("members' ability - to", text)
    assert text[start:end] == "members’ ability — to"


def test_locate_missing_or_empty():
    assert locate("absent", "some text") is None
    assert locate("   ", "some text") is None
    assert locate("Some", "some text") is None  # case matters


# --- GoldQuestion and load_gold ---------------------------------------------------------

def _q(**over):
    data = dict(id="x1", question="Q?", kind="factoid", answer="A", facts=("A",), evidence=(Evidence("doc", "A"),))
    data.update(over)
    return GoldQuestion(**data)


def test_valid_questions():
    assert _q().answerable
    assert not _q(kind="unanswerable", facts=(), evidence=()).answerable
    _q(kind="multi-doc", evidence=(Evidence("a", "x"), Evidence("b", "y")))


@pytest.mark.parametrize("over, rule", [
    (dict(kind="riddle"), "kind must be one of"),
    (dict(kind="unanswerable", facts=()), "unanswerable question must have no evidence"),
    (dict(kind="unanswerable", evidence=()), "unanswerable question must have no facts"),
    (dict(evidence=()), "must have at least one evidence"),
    (dict(facts=()), "must have at least one fact"),
    (dict(kind="multi-doc"), "multi-doc question must quote at least two documents"),
    (dict(question="  "), "question must be a non-empty string"),
    (dict(evidence=(Evidence("doc", ""),)), "non-empty doc_id and quote"),
])
def test_invalid_questions_name_rule_and_id(over, rule):
    with pytest.raises(GoldError, match=rule) as info:
        _q(**over)
    assert "'x1'" in str(info.value)


def _write(tmp_path, lines):
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _line(qid, **over):
    data = {"id": qid, "question": "Q?", "kind": "factoid", "answer": "A", "facts": ["A"],
            "evidence": [{"doc_id": "d", "quote": "A"}]}
    data.update(over)
    return json.dumps(data)


def test_load_gold_reads_questions_in_order(tmp_path):
    path = _write(tmp_path, [_line("a"), "", _line("b", kind="unanswerable", facts=[], evidence=[])])
    questions = load_gold(path)
    assert [q.id for q in questions] == ["a", "b"]
    assert questions[0].evidence == (Evidence("d", "A"),) and questions[0].facts == ("A",)


def test_load_gold_bad_json_names_file_and_line(tmp_path):
    path = _write(tmp_path, [_line("a"), "{not json"])
    with pytest.raises(GoldError, match=rf"{path}:2: not valid JSON"):
        load_gold(path)


def test_load_gold_duplicate_id_names_lines(tmp_path):
    path = _write(tmp_path, [_line("a"), _line("b"), _line("a")])
    with pytest.raises(GoldError, match=rf"{path}:3: duplicate id 'a' \(first used on line 1\)"):
        load_gold(path)


def test_load_gold_invalid_question_names_line(tmp_path):
    path = _write(tmp_path, [_line("a", kind="unanswerable", facts=[])])
    with pytest.raises(GoldError, match=rf"{path}:1: .*'a'.*no evidence"):
        load_gold(path)


def test_load_gold_missing_field_and_not_object(tmp_path):
    with pytest.raises(GoldError, match="missing field"):
        load_gold(_write(tmp_path, ['{"id": "a"}']))
    with pytest.raises(GoldError, match="expected a JSON object"):
        load_gold(_write(tmp_path, ["[1, 2]"]))


def test_load_gold_missing_or_empty_file(tmp_path):
    with pytest.raises(GoldError, match="does not exist"):
        load_gold(tmp_path / "nope.jsonl")
    with pytest.raises(GoldError, match="holds no questions"):
        load_gold(_write(tmp_path, [""]))

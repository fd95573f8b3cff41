"""The gold questions (eval/gold.jsonl) against the seed corpus, and eval.gold's loading and locate()."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from eval.gold import KINDS, SPLITS, Evidence, GoldError, GoldQuestion, load_gold, locate, unlocated_quotes
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
    missing = unlocated_quotes(gold, documents)
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
    assert set(kinds) == {"factoid", "list", "multi-doc", "paraphrase", "unanswerable"} and set(kinds) <= set(KINDS)
    assert kinds["unanswerable"] >= 12
    covered = {e.doc_id for q in gold for e in q.evidence}
    assert covered == set(documents), f"documents without gold questions: {set(documents) - covered}"
    assert len(documents) == 5


def test_every_question_has_a_split_and_each_kind_is_split_about_evenly(gold):
    by_kind = Counter((q.kind, q.split) for q in gold)
    for kind in KINDS:
        dev, test = by_kind[(kind, "dev")], by_kind[(kind, "test")]
        if dev + test:
            assert dev and test and abs(dev - test) <= 1, (kind, dev, test)


def test_the_split_script_leaves_the_seed_gold_file_unchanged(tmp_path):
    from eval.split_gold import split_file

    copy = tmp_path / "gold.jsonl"
    copy.write_bytes(GOLD.read_bytes())
    split_file(copy)
    assert copy.read_bytes() == GOLD.read_bytes()


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
    data = dict(id="x1", question="Q?", kind="factoid", answer="A", facts=("A",), evidence=(Evidence("doc", "A"),),
                split="dev")
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
    (dict(split="train"), "split must be one of dev, test, not 'train'"),
    (dict(split=None), "split must be one of dev, test"),
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
            "evidence": [{"doc_id": "d", "quote": "A"}], "split": "dev"}
    data.update(over)
    return json.dumps({k: v for k, v in data.items() if v is not ...})


def test_load_gold_reads_questions_in_order(tmp_path):
    path = _write(tmp_path, [_line("a"), "", _line("b", kind="unanswerable", facts=[], evidence=[])])
    questions = load_gold(path)
    assert [q.id for q in questions] == ["a", "b"] and [q.split for q in questions] == ["dev", "dev"]
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


def test_load_gold_missing_or_wrong_split_names_the_question(tmp_path):
    path = _write(tmp_path, [_line("a"), _line("b", split=...)])
    with pytest.raises(GoldError, match=rf"{path}:2: gold question 'b': missing field\(s\) split \(assign splits with") as info:
        load_gold(path)
    assert "\n" not in str(info.value)
    path = _write(tmp_path, [_line("a", split="Test")])
    with pytest.raises(GoldError, match=rf"{path}:1: gold question 'a': split must be one of dev, test, not 'Test'"):
        load_gold(path)


def test_load_gold_missing_or_empty_file(tmp_path):
    with pytest.raises(GoldError, match="does not exist"):
        load_gold(tmp_path / "nope.jsonl")
    with pytest.raises(GoldError, match="holds no questions"):
        load_gold(_write(tmp_path, [""]))


# --- eval.split_gold ---------------------------------------------------------------------

def _records(kinds: dict[str, int]) -> list[dict]:
    out = []
    for kind, n in kinds.items():
        for i in range(n):
            unanswerable = kind == "unanswerable"
            out.append({"id": f"{kind[:3]}{i:02}", "question": "Q?", "kind": kind, "answer": "A",
                        "facts": [] if unanswerable else ["A"],
                        "evidence": [] if unanswerable else [{"doc_id": "d", "quote": "A"}]})
    return out


def test_assign_splits_is_stratified_seeded_and_reproducible():
    from eval.split_gold import assign_splits

    records = _records({"factoid": 9, "list": 4, "unanswerable": 5, "yes-no": 1})
    first = assign_splits(records, seed=1)
    assert first == assign_splits(list(reversed(records)), seed=1)[::-1]  # file order does not matter
    counts = Counter((r["kind"], r["split"]) for r in first)
    for kind, n in (("factoid", 9), ("list", 4), ("unanswerable", 5)):
        assert abs(counts[(kind, "dev")] - counts[(kind, "test")]) <= 1 and counts[(kind, "dev")] + counts[(kind, "test")] == n
    assert all("split" not in r for r in records)  # the input is left alone
    seeds = {tuple(r["split"] for r in assign_splits(records, seed=s)) for s in range(6)}
    assert len(seeds) > 1  # the seed matters


def test_assign_splits_never_moves_an_assignment_and_balances_new_records():
    from eval.split_gold import assign_splits

    records = _records({"factoid": 6})
    for r in records[:3]:
        r["split"] = "test"
    out = assign_splits(records, seed=7)
    assert [r["split"] for r in out[:3]] == ["test"] * 3
    assert [r["split"] for r in out[3:]] == ["dev"] * 3
    with pytest.raises(GoldError, match="'fac00'.*split must be one of dev, test"):
        assign_splits([dict(records[0], split="train")])


def test_split_file_rewrites_only_lines_without_a_split(tmp_path, capsys):
    from eval.split_gold import main

    records = _records({"factoid": 4, "unanswerable": 2})
    records[0]["split"] = "dev"
    kept = json.dumps(records[0], indent=None, separators=(",", ":"))  # a line written another way stays as it is
    path = tmp_path / "g.jsonl"
    path.write_text("\n".join([kept, *(json.dumps(r) for r in records[1:])]) + "\n", encoding="utf-8")
    assert main([str(path), "--seed", "3"]) == 0
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == kept
    assert all(json.loads(line)["split"] in SPLITS for line in lines)
    assert [json.loads(line)["id"] for line in lines] == [r["id"] for r in records]
    before = path.read_bytes()
    assert main([str(path), "--seed", "99"]) == 0  # nothing left to assign: the file stays byte for byte
    assert path.read_bytes() == before
    out = capsys.readouterr().out
    assert "factoid" in out and "dev" in out and "test" in out


def test_split_file_refuses_an_invalid_file_and_leaves_it(tmp_path, capsys):
    from eval.split_gold import main

    path = tmp_path / "g.jsonl"
    bad = json.dumps({"id": "a", "question": "Q?", "kind": "riddle", "answer": "", "facts": [], "evidence": []})
    path.write_text(bad + "\n", encoding="utf-8")
    assert main([str(path)]) == 2
    assert "kind must be one of" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == bad + "\n"
    assert not list(tmp_path.glob("*.tmp"))

"""The BM25 index built from stored terms is the one bm25s builds from token lists, score for score."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.bm25 import ChunkTerms, TermsBuilder, build_bm25
from index.lexical import LexicalIndex, tokenize

SCIFACT = Path(__file__).resolve().parent.parent.parent / "shared" / "beir" / "scifact" / "corpus.jsonl"
QUERIES = ["cobalt mining in the Congo", "tailings dam safety", "royalties transparency rules", "labour organisation", "water"]


def _passages() -> list[str]:
    texts = [f"Doc {i}\n" + " ".join(f"{w} case {i % 7} of the study" for w in words) for i, words in enumerate([
        ["cobalt", "mining", "Congo"], ["tailings", "dams", "safety", "engineers"], ["royalties", "taxes", "transparency"],
        ["labour", "organisation", "organization", "labor"], ["water", "brine", "lithium", "Andes", "water"],
        ["the", "of", "and"], ["mining", "mining", "mining", "cobalt"],
    ] * 5)]
    if SCIFACT.exists():
        with open(SCIFACT, encoding="utf-8") as lines:
            texts += [f"{r['title']}\n{r['text']}" for r in map(json.loads, list(lines)[:600])]
    return texts


def _columns(lexical: LexicalIndex) -> dict[str, tuple[list[int], list[float]]]:
    retriever = lexical._retriever
    data, indices, indptr = (np.asarray(retriever.scores[k]) for k in ("data", "indices", "indptr"))
    out = {}
    for term, column in retriever.vocab_dict.items():
        if term:
            out[term] = (indices[indptr[column]:indptr[column + 1]].tolist(), data[indptr[column]:indptr[column + 1]].tolist())
    return out


def test_the_same_scores_as_bm25s(tmp_path):
    texts = _passages()
    ours_terms = TermsBuilder()
    ours_terms.add_passages(texts)
    ours = build_bm25(ours_terms.result())
    theirs = LexicalIndex.build(texts)
    assert _columns(ours) == _columns(theirs)  # every term's chunks and their scores, exactly
    assert set(ours._retriever.vocab_dict) == set(theirs._retriever.vocab_dict)
    queries = QUERIES + [" ".join(t for t in tokenize([text])[0][:6]) for text in texts[::50]]
    for query in queries:
        assert np.array_equal(ours.scores(query), theirs.scores(query)), query
    ours.save(tmp_path / "lexical")
    loaded = LexicalIndex.load(tmp_path / "lexical", len(texts), mmap=True)
    for query in queries:
        assert np.array_equal(loaded.scores(query), theirs.scores(query)), query


def test_terms_carried_over_build_the_same_index_as_terms_read_afresh(tmp_path):
    texts = _passages()
    first = TermsBuilder()
    first.add_passages(texts)
    saved = first.result()
    previous = build_bm25(saved)
    saved.save(tmp_path)
    base = ChunkTerms.load(tmp_path, previous)
    assert base is not None and base.terms == saved.terms
    # drop the first ten chunks, keep the rest, add two new ones at the start
    again = TermsBuilder(base)
    again.add_passages(["Nickel laterite mining in Indonesia", "A passage about cobalt and nickel"])
    again.add_rows(10, len(texts))
    carried = again.result()
    fresh = TermsBuilder()
    fresh.add_passages(["Nickel laterite mining in Indonesia", "A passage about cobalt and nickel"] + texts[10:])
    afresh = fresh.result()
    assert [[carried.terms[i] for i in carried.ids]] == [[afresh.terms[i] for i in afresh.ids]]
    assert carried.counts.tolist() == afresh.counts.tolist() and len(carried.terms) == len(set(carried.ids.tolist()))
    ours, theirs = build_bm25(carried), LexicalIndex.build(["Nickel laterite mining in Indonesia", "A passage about cobalt and nickel"] + texts[10:])
    assert _columns(ours) == _columns(theirs)


def test_terms_of_another_vocabulary_are_not_reused(tmp_path):
    builder = TermsBuilder()
    builder.add_passages(["cobalt mining", "lithium brine"])
    terms = builder.result()
    terms.save(tmp_path)
    other = TermsBuilder()
    other.add_passages(["cobalt"])
    assert ChunkTerms.load(tmp_path, build_bm25(other.result())) is None
    assert ChunkTerms.load(tmp_path / "missing", build_bm25(terms)) is None


@pytest.mark.parametrize("texts", [["the of and", "cobalt"], ["cobalt"]])
def test_chunks_without_terms(texts):
    builder = TermsBuilder()
    builder.add_passages(texts)
    ours, theirs = build_bm25(builder.result()), LexicalIndex.build(texts)
    assert np.array_equal(ours.scores("cobalt"), theirs.scores("cobalt"))

"""The sentence check of LLM answers: each reply sentence against the passage sentence (or two
adjacent ones) that supports it best. Passages are sentences of the seed documents; no LLM is
called (replies come from tests.chat_server.ChatServer) and no model is loaded."""

from __future__ import annotations

import json

import pytest

from corpus.chunking import Chunk
from qa.llm import LLMAnswerer, LLMConfig
from qa.records import Hit
from tests.chat_server import ChatServer, Reply
from tests.conftest import ROOT

# wilson-dicarlo-critical-minerals-2024.txt, "CCCMC's Evolution and Expanding Role"
PIVOTAL = (
    "CCCMC has been pivotal in shaping China's engagement with metal and mineral resource investment and "
    "development. However, with the turn toward increased environmental standards and critical mineral "
    "securitization over the past decade, their engagement and leadership have evolved."
)
# the same report, "CCCMC and the Role of Shanghui in ESG Safeguards"
ASSOCIATION = (
    "CCCMC acts as the primary business association for metals and mining in China and has led the development "
    "of ESG guidance for mining. Established in 1988, CCCMC has grown to represent over 6,000 Chinese companies "
    "by 2021, playing a crucial role in an industry that constitutes a substantial portion of China's foreign trade."
)
# hrc-green-mining-statement-2026.txt
CONCESSIONS = (
    "In many resource-rich developing countries, mining concessions have historically been granted without "
    "meaningful consultation with affected communities, leading to conflicts that persist for generations. "
    "Green mining, properly conceived, requires free, prior and informed consent processes, transparent "
    "benefit-sharing arrangements, and accessible grievance mechanisms."
)
TEXTS = {"pivotal": PIVOTAL, "association": ASSOCIATION, "concessions": CONCESSIONS}


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def hits(*names: str) -> list[Hit]:
    return [
        Hit(Chunk(f"{name}#0000", name, name.title(), TEXTS[name], 0, len(TEXTS[name])), 1.0 / rank, rank)
        for rank, name in enumerate(names, start=1)
    ]


def verify(fake_encoder, reply: str, *names: str):
    with ChatServer(Reply(reply)) as server:
        llm = LLMAnswerer(LLMConfig(server.base_url, "test-model", timeout=2.0), fake_encoder)
        return llm.answer("What role does CCCMC play?", hits(*names))


TRUE = "CCCMC has been pivotal in shaping China's engagement with metal and mineral resource investment [1]."


@pytest.mark.parametrize(
    "false",
    [
        "CCCMC has not been pivotal in shaping China's engagement with mineral resource investment [1].",  # negation
        "CCCMC has never shaped China's engagement with metal and mineral resource investment [1].",  # negation
        "CCCMC has been pivotal in shaping Chile's engagement with metal and mineral resource investment [1].",  # entity
        "CCCMC has been pivotal in shaping China's engagement with mineral investment, and it was founded by "
        "Elon Musk [1].",  # an invented clause with names
        "CCCMC has been pivotal in shaping China's engagement with mineral investment, and its members are "
        "forbidden to trade gold [1].",  # an invented clause without a name or number
        "CCCMC was established in 1999 [2].",  # a wrong figure
    ],
)
def test_false_sentence_is_dropped_and_counted(fake_encoder, false):
    result = verify(fake_encoder, f"{TRUE} {false}", "pivotal", "association")

    assert result.ok and result.unsupported == 1, result.extract.text
    assert result.extract.text == (
        "CCCMC has been pivotal in shaping China's engagement with metal and mineral resource investment. [1]"
    )
    assert [q.text for c in result.extract.citations for q in c.quotes] == [PIVOTAL.split(". ")[0] + "."]


def test_negation_in_the_passage_rejects_the_positive_claim(fake_encoder):
    reply = "Mining concessions have historically been granted with meaningful consultation with affected communities [1]."
    result = verify(fake_encoder, reply, "concessions")

    assert not result.ok and result.unsupported == 1


def test_agreeing_negation_is_kept(fake_encoder):
    reply = "Mining concessions were historically granted without meaningful consultation with affected communities [1]."
    result = verify(fake_encoder, reply, "concessions")

    assert result.ok and result.unsupported == 0
    assert result.extract.citations[0].quotes[0].text.startswith("In many resource-rich developing countries")


def test_sentence_cited_to_the_wrong_passage_is_re_cited(fake_encoder):
    reply = f"{TRUE} CCCMC was established in 1988 and represents over 6,000 Chinese companies [1]."
    result = verify(fake_encoder, reply, "pivotal", "association")

    assert result.ok and result.unsupported == 0
    assert result.extract.text == (
        "CCCMC has been pivotal in shaping China's engagement with metal and mineral resource investment. [1] "
        "CCCMC was established in 1988 and represents over 6,000 Chinese companies. [2]"
    )
    pivotal, association = result.extract.citations
    assert pivotal.chunk.doc_id == "pivotal" and association.chunk.doc_id == "association"
    assert [q.text for q in association.quotes] == [
        "Established in 1988, CCCMC has grown to represent over 6,000 Chinese companies by 2021, playing a crucial "
        "role in an industry that constitutes a substantial portion of China's foreign trade."
    ]


def test_quote_is_the_supporting_sentence_not_another_one(fake_encoder):
    reply = "Their engagement and leadership have evolved with the turn toward increased environmental standards [1]."
    result = verify(fake_encoder, reply, "pivotal")

    assert result.ok and result.unsupported == 0
    assert [q.text for q in result.extract.citations[0].quotes] == [PIVOTAL[PIVOTAL.index("However"):]]


def test_claim_spanning_two_adjacent_sentences_quotes_both(fake_encoder):
    reply = "CCCMC has led the development of ESG guidance for mining and was established in 1988 [1]."
    result = verify(fake_encoder, reply, "association")

    assert result.ok and result.unsupported == 0
    quote = result.extract.citations[0].quotes[0]
    assert quote.text == ASSOCIATION
    assert (quote.start, quote.end) == (0, len(ASSOCIATION))


@pytest.mark.parametrize(
    "paraphrase",
    [
        "CCCMC has been pivotal in shaping China's engagement with mineral resource investment and development [1].",
        "CCCMC has played a pivotal role in shaping how China engages with metal and mineral resource investment [1].",
        "Their engagement and leadership have evolved with the turn toward environmental standards and critical "
        "mineral securitization [1].",
        "CCCMC is the primary business association for metals and mining in China [2].",
        "Established in 1988, CCCMC represented over 6,000 Chinese companies by 2021 [2].",
        "CCCMC, established in 1988, has led the development of ESG guidance for mining [2].",
    ],
)
def test_paraphrases_of_the_passages_are_kept(fake_encoder, paraphrase):
    result = verify(fake_encoder, paraphrase, "pivotal", "association")

    assert result.ok and result.unsupported == 0, result.notice


# ----------------------------------------------------------------------------- the labelled set


def test_labelled_claims_are_built_from_the_seed_documents():
    from eval.support_claims import KINDS, load_claims

    claims = load_claims()
    assert {c.kind for c in claims} == set(KINDS)
    for split in ("dev", "test"):
        counts = {kind: sum(1 for c in claims if c.split == split and c.kind == kind) for kind in KINDS}
        assert min(counts.values()) >= 8, (split, counts)
    assert len({c.id for c in claims}) == len(claims)


def test_fitted_settings_reproduce_and_meet_the_figures():
    """qa/support.json is what eval.fit_support fits on the dev split; the test split is reported."""
    from eval.fit_support import fit
    from eval.support_claims import load_claims
    from qa.support import SETTINGS_FILE

    saved = json.loads(SETTINGS_FILE.read_text(encoding="utf-8"))
    fitted = fit(load_claims())
    assert fitted == saved, "qa/support.json is not what the fit gives; run python -m eval.fit_support"
    for split in ("dev", "test"):
        figures = saved["figures"][split]
        assert figures["paraphrase"]["rate"] >= 0.85, (split, figures)
        assert figures["false"]["rate"] >= 0.9, (split, figures)
    assert SETTINGS_FILE.parent == ROOT / "qa"

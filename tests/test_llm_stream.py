"""Tests for streamed LLM answers: qa.chat_stream reads server-sent events, and qa.llm checks the
reply sentence by sentence as it arrives, telling each kept sentence at once.

Every request goes to tests.chat_server.ChatServer on 127.0.0.1; no real LLM is called.
"""

from __future__ import annotations

import time

import pytest

from qa.chat_client import ChatClient, LLMConfig, LLMError
from qa.llm import LLMAnswerer, _Sentences
from tests.chat_server import ChatServer, Raw, Reply, Stream, event
from tests.test_llm import hits

RATE = "The royalty rate is 5 percent of gross revenue [1]. "
TREASURY = "Royalties are paid to the national treasury every quarter [1]. "
CONSULT = "Community consultation is required before a mining licence is granted [2]."
MOON = "Mining companies must plant trees on the moon [1]. "
REPLY = RATE + MOON + TREASURY + CONSULT


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def pieces(text: str, size: int) -> list[str]:
    """`text` cut every `size` characters, through words and markers alike."""
    return [text[i:i + size] for i in range(0, len(text), size)]


def stream_answer(fake_encoder, behaviour, hit_list, timeout=2.0):
    told: list[tuple[float, str]] = []
    with ChatServer(behaviour) as server:
        llm = LLMAnswerer(LLMConfig(server.base_url, "test-model", timeout=timeout), fake_encoder)
        started = time.perf_counter()
        result = llm.answer("What is the royalty rate?", hit_list,
                            on_sentence=lambda s: told.append((time.perf_counter() - started, s)))
        return result, told, time.perf_counter() - started, server.requests


@pytest.mark.parametrize("size", [1, 3, 7, 40, len(REPLY)])
def test_streamed_reply_gives_the_same_answer_as_the_whole_reply(fake_encoder, size):
    whole_llm = LLMAnswerer(LLMConfig("http://127.0.0.1:9/v1", "test-model"), fake_encoder)
    from qa.llm import fit_passages

    whole = whole_llm.verify(REPLY, fit_passages(hits("d1", "d2"), whole_llm.budget))
    result, told, _, requests = stream_answer(fake_encoder, Stream(pieces(REPLY, size)), hits("d1", "d2"))

    assert requests[0].json["stream"] is True
    assert result.ok and result.unsupported == whole.unsupported == 1
    assert result.extract == whole.extract
    assert result.reply == REPLY
    # each kept sentence is told once, in order, as it stands in the answer; the dropped one never
    assert " ".join(s for _, s in told) == result.extract.text
    assert [s for _, s in told] == [
        "The royalty rate is 5 percent of gross revenue. [1]",
        "Royalties are paid to the national treasury every quarter. [1]",
        "Community consultation is required before a mining licence is granted. [2]",
    ]


def test_a_sentence_is_told_as_soon_as_the_next_one_begins(fake_encoder):
    behaviour = Stream([RATE, TREASURY, CONSULT], gap=0.4)
    result, told, took, _ = stream_answer(fake_encoder, behaviour, hits("d1", "d2"))

    assert result.ok and len(told) == 3
    # pieces at 0.4, 0.8 and 1.2 s: the first sentence is whole when the second begins (0.8 s)
    first, last = told[0][0], told[-1][0]
    assert first < took - 0.3, f"the first sentence came at {first:.2f} s of {took:.2f} s"
    assert last >= took - 0.1  # the last sentence is whole only when the reply ends


def test_markers_after_the_full_stop_stay_with_their_sentence_across_pieces(fake_encoder):
    reply = "The royalty rate is 5 percent of gross revenue. [1] Royalties are paid to the national treasury every quarter. [1]"
    result, told, _, _ = stream_answer(fake_encoder, Stream(pieces(reply, 2)), hits("d1"))

    assert result.ok and result.unsupported == 0
    assert [s for _, s in told] == [
        "The royalty rate is 5 percent of gross revenue. [1]",
        "Royalties are paid to the national treasury every quarter. [1]",
    ]


def test_reasoning_block_split_across_pieces_is_ignored(fake_encoder):
    reply = "<think>Maybe 7 percent [1]. Or 9 percent [1].</think>" + RATE
    result, told, _, _ = stream_answer(fake_encoder, Stream(pieces(reply, 5)), hits("d1"))

    assert result.ok and result.unsupported == 0
    assert [s for _, s in told] == ["The royalty rate is 5 percent of gross revenue. [1]"]


def test_stream_cut_off_after_verified_sentences_keeps_them_and_says_so(fake_encoder):
    behaviour = Stream([RATE, TREASURY, "Companies must publish their pay"], done=False)
    result, told, _, _ = stream_answer(fake_encoder, behaviour, hits("d1"))

    assert result.ok and len(told) == 2
    assert result.extract.text == " ".join(s for _, s in told)  # the unfinished sentence is not used
    assert result.notice == (
        "The LLM answer is incomplete (the server closed the stream early); showing the 2 verified sentences received."
    )


def test_stream_cut_off_before_any_sentence_falls_back_to_the_extractive_answer(fake_encoder):
    result, told, _, _ = stream_answer(fake_encoder, Stream(["The royalty rate is"], done=False), hits("d1"))

    assert not result.ok and told == []
    assert result.notice == "LLM request failed (the server closed the stream early); showing the extractive answer."


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (b"data: {not json\n\n", "a stream event was not valid JSON"),
        (b'data: {"error": {"message": "rate limited"}}\n\n', "the server reported an error: rate limited"),
        (b'data: {"object": "chat.completion.chunk"}\n\n', "a stream event had no choices"),
        (b"data: \xff\xfe\n\n", "a stream event was not valid UTF-8"),
    ],
)
def test_bad_events_end_the_answer_with_a_one_line_reason(fake_encoder, extra, reason):
    result, _, _, _ = stream_answer(fake_encoder, Stream(["The royalty rate"], extra=extra), hits("d1"))
    assert not result.ok and result.notice == f"LLM request failed ({reason}); showing the extractive answer."

    result, told, _, _ = stream_answer(fake_encoder, Stream([RATE, TREASURY], extra=extra), hits("d1"))
    assert result.ok and len(told) == 2 and result.notice.startswith(f"The LLM answer is incomplete ({reason})")


def test_a_stalled_stream_times_out(fake_encoder):
    behaviour = Stream([RATE, TREASURY, CONSULT], gap=3.0)
    result, _, took, _ = stream_answer(fake_encoder, behaviour, hits("d1", "d2"), timeout=0.5)

    assert took < 2.0
    assert not result.ok and result.notice == "LLM request failed (timeout after 0.5 s); showing the extractive answer."


def test_a_server_that_ignores_stream_answers_in_one_body(fake_encoder):
    result, told, _, _ = stream_answer(fake_encoder, Reply(RATE + TREASURY), hits("d1"))

    assert result.ok and [s for _, s in told] == [
        "The royalty rate is 5 percent of gross revenue. [1]",
        "Royalties are paid to the national treasury every quarter. [1]",
    ]


def test_client_yields_pieces_and_skips_comments_and_empty_deltas():
    body = Stream(["Hello", " world"], extra=b": keep-alive\n\n" + event() + b"event: ping\nid: 3\n\n")
    with ChatServer(body) as server:
        client = ChatClient(LLMConfig(server.base_url, "test-model", timeout=2.0))
        assert list(client.stream([{"role": "user", "content": "hi"}])) == ["Hello", " world"]


def test_client_stream_of_only_whitespace_is_an_empty_reply():
    with ChatServer(Stream(["  ", "\n"])) as server:
        client = ChatClient(LLMConfig(server.base_url, "test-model", timeout=2.0))
        with pytest.raises(LLMError, match="reply was empty"):
            list(client.stream([{"role": "user", "content": "hi"}]))


def test_client_reads_an_event_stream_with_a_json_body_server_too():
    with ChatServer(Raw({"choices": [{"message": {"content": "Whole reply."}}]})) as server:
        client = ChatClient(LLMConfig(server.base_url, "test-model", timeout=2.0))
        assert list(client.stream([{"role": "user", "content": "hi"}])) == ["Whole reply."]


def test_sentence_splitting_is_linear_in_a_long_unbroken_sentence():
    sentences = _Sentences()
    started = time.perf_counter()
    for _ in range(20_000):
        assert sentences.feed("word ") == []
    assert time.perf_counter() - started < 5.0
    assert len(sentences.close()) == 1


def test_ask_live_streams_the_assistants_llm_answer(assistant):
    """Integration (the real model and seed index): sentences of the top passage, streamed, come
    out of `ask_live` one by one before the Answer, which is in LLM mode and cites them."""
    from corpus.sentences import split_sentences
    from qa.assistant import Assistant, ask_live
    from qa.records import Answer

    question = "Who is the author of the Wilson Center report on China's responsible mining initiatives?"
    top = assistant.retriever.search(question, assistant.encoder.encode([question])[0], k=5)[0].chunk
    said = [top.text[s:e].strip() for s, e in split_sentences(top.text)][:2]
    reply = " ".join(s.rstrip(".") + " [1]." for s in said)
    with ChatServer(Stream(pieces(reply, 9))) as server:
        llm = LLMAnswerer(LLMConfig(server.base_url, "test-model", timeout=5.0), assistant.encoder)
        live = Assistant(assistant.index, assistant.encoder, llm)
        items = list(ask_live(live, question, answer_mode="llm"))

    *told, answer = items
    assert isinstance(answer, Answer) and answer.answer_mode == "llm" and answer.unsupported == 0
    assert len(told) == 2 and all(isinstance(s, str) for s in told)
    assert answer.text == " ".join(told)
    assert {c.chunk.chunk_id for c in answer.citations} == {top.chunk_id}
    assert list(ask_live(live, question))[-1].answer_mode == "extractive"

"""The assistant: one loaded index and model answering questions, as `qa ask` and the UI use it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from index.embedder import TextEncoder, default_encoder
from index.manifest import IndexConfig
from index.store import IndexData, load_index
from qa.answer import ExtractiveAnswerer
from qa.question import Question, check_question
from qa.records import ANSWER_MODES, Answer, Hit
from qa.retrieval import Retriever

DEFAULT_K = 5
SERVING_THREADS = 1  # one torch thread keeps a query encode at ~10 ms under concurrent load


@dataclass(frozen=True)
class Retrieved:
    """What answering a question starts from."""

    question: Question
    query: np.ndarray
    hits: list[Hit]
    named: tuple[str, ...]  # the documents the question names


class Assistant:
    def __init__(self, index: IndexData, encoder: TextEncoder, llm=None):
        self.index = index
        self.encoder = encoder
        self.retriever = Retriever(index)
        self.extractive = ExtractiveAnswerer(index, self.retriever.glossary)
        self.llm = llm

    @classmethod
    def open(cls, index_dir: Path, threads: int = SERVING_THREADS, encoder: TextEncoder | None = None) -> "Assistant":
        """Load the index (checking its manifest) and the model, warmed up for the first question."""
        from qa.llm import LLMConfig, LLMAnswerer

        encoder = encoder or default_encoder()  # QA_ENCODER picks torch or onnx-int8
        index = load_index(index_dir, IndexConfig(model=encoder.info))
        warm_up = getattr(encoder, "warm_up", None)  # the real model; test fakes need none
        if warm_up is not None:
            warm_up(threads)
        config = LLMConfig.from_env()
        return cls(index, encoder, LLMAnswerer(config, encoder) if config else None)

    @property
    def documents(self):
        return self.index.documents

    def question(self, text: str) -> Question:
        """The question read, its sentences to be scored by the terms retrieval searches (without
        the words that name a document's author, unless the author is asked for), with the terms
        that name documents by their type or title."""
        return replace(Question.parse(text), scored=self.retriever.searched_terms(text), naming=self.retriever.naming_terms(text))

    def retrieve(self, text: str, k: int = DEFAULT_K, mode: str = "hybrid", doc_ids: tuple[str, ...] = ()) -> Retrieved:
        """A checked question's reading, its vector, its passages and the documents it names."""
        parsed = self.question(text)
        query = self.encoder.encode([text])[0]
        hits = self.retriever.search(text, query, k=k, mode=mode, doc_ids=doc_ids)
        # "Is the Belt and Road Initiative mentioned?" names no document: its topic is left out
        named = self.retriever.named_documents(text.replace(parsed.topic, " ") if parsed.topic else text)
        return Retrieved(parsed, query, hits, named)

    def ask(
        self,
        question: str,
        k: int = DEFAULT_K,
        mode: str = "hybrid",
        doc_ids: tuple[str, ...] = (),
        answer_mode: str = "extractive",
        on_sentence: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer one question; raises InvalidQuestion, UnknownDocument or ValueError for bad input.
        In LLM mode `on_sentence` is told each verified sentence of the answer as it arrives."""
        started = time.perf_counter()
        text = check_question(question)
        if answer_mode not in ANSWER_MODES:
            raise ValueError(f"answer mode must be one of {', '.join(ANSWER_MODES)}, not {answer_mode!r}")
        found = self.retrieve(text, k=k, mode=mode, doc_ids=tuple(doc_ids))
        retrieved_at = time.perf_counter()
        hits = found.hits
        extract = self.extractive.answer(found.question, found.query, hits, found.named)
        notice, unsupported, used_mode = "", 0, "extractive"
        if answer_mode == "llm":
            if self.llm is None:
                notice = "LLM answers are not configured (set QA_LLM_BASE_URL and QA_LLM_MODEL); showing the extractive answer."
            elif not extract.abstained:
                result = self.llm.answer(text, hits, on_sentence=on_sentence)
                if result.ok:
                    extract, unsupported, used_mode = result.extract, result.unsupported, "llm"
                notice = result.notice
        done = time.perf_counter()
        return Answer(
            question=text,
            text=extract.text,
            abstained=extract.abstained,
            citations=extract.citations,
            retrieved=tuple(hits),
            timings_ms={
                "retrieve": (retrieved_at - started) * 1000,
                "answer": (done - retrieved_at) * 1000,
                "total": (done - started) * 1000,
            },
            mode=mode,
            answer_mode=used_mode,
            confidence=extract.confidence,
            notice=notice,
            unsupported=unsupported,
        )


def ask_live(assistant: Assistant, question: str, **options) -> Iterator[str | Answer]:
    """`assistant.ask` as it happens: each verified sentence of an LLM answer (a str) as soon as
    it is checked, then the Answer; an extractive answer gives the Answer alone. Raises as `ask`
    does. (The LLM reply is read in a worker thread; its sentences reach the caller by a queue.)"""
    import queue
    import threading

    if options.get("answer_mode") != "llm" or assistant.llm is None:
        yield assistant.ask(question, **options)
        return
    told: queue.Queue = queue.Queue()
    outcome: list = []

    def work() -> None:
        try:
            outcome.append(assistant.ask(question, on_sentence=told.put, **options))
        except BaseException as exc:  # re-raised in the caller's thread
            outcome.append(exc)
        told.put(None)

    threading.Thread(target=work, name="ask-live", daemon=True).start()
    while (sentence := told.get()) is not None:
        yield sentence
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    yield outcome[0]

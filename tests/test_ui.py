"""Tests for the web UI without a browser: HTML escaping and highlighting, feedback, serve options."""

from __future__ import annotations

import html
import json
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest

from corpus.chunking import Chunk
from corpus.document import Document
from qa.feedback import FEEDBACK_FILE, append_feedback, feedback_record, read_feedback
from qa.question import check_question
from qa.records import Answer, Citation, Hit, Quote

SCRIPT = "<script>window.__pwned=2</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
HOSTILE_TEXT = (
    "Preface about mining royalties.\n\n"
    f"The council met in 2021. {SCRIPT} It agreed that royalties must be published {IMG} every year. "
    "Members & observers signed.\n\n"
    "Closing words about ${value} and {{value}} templates."
)
ALLOWED_TAGS = {"div", "span", "a", "mark", "ol", "li", "blockquote", "h3", "p", "code", "h1", "h2", "dialog", "button",
                "figure", "img", "figcaption", "table", "caption", "thead", "tbody", "tr", "th", "td", "ul"}
ALLOWED_ATTRS = {"class", "id", "href", "title", "data-doc", "data-opened", "aria-modal", "aria-labelledby", "aria-label",
                 "aria-live", "role", "type", "tabindex", "scope", "src", "alt", "target", "rel"}


def hostile_document() -> Document:
    return Document(doc_id="hostile-doc", title=f"Hostile {IMG} title", text=HOSTILE_TEXT, source="hostile.txt",
                    author=f"An author {SCRIPT}", date="2024", doc_type="test document")


def hostile_chunk(doc: Document) -> Chunk:
    start = doc.text.index("The council")
    end = doc.text.index("signed.") + len("signed.")
    return Chunk(chunk_id="hostile-doc#1", doc_id=doc.doc_id, title=doc.title, text=doc.text[start:end],
                 start=start, end=end, section=(f"Part {SCRIPT}",), page=3)


def hostile_answer(question: str = "What did the council agree?", abstained: bool = False) -> Answer:
    """An answer citing a document full of markup, as the assistant would return it."""
    doc = hostile_document()
    chunk = hostile_chunk(doc)
    quoted = f"It agreed that royalties must be published {IMG} every year."
    q_start = doc.text.index(quoted)
    quote = Quote(quoted, q_start, q_start + len(quoted))
    hits = (Hit(chunk, 0.91, 1), Hit(chunk, 0.5, 2), Hit(chunk, 0.4, 3), Hit(chunk, 0.3, 4))
    if abstained:
        return Answer(question=question, text="I can't find this in the indexed documents.", abstained=True,
                      citations=(), retrieved=hits, timings_ms={"total": 1.0})
    return Answer(question=question, text=f"It agreed {SCRIPT} that royalties must be published [1]. See [7].",
                  abstained=False, citations=(Citation(1, chunk, (quote,), 0.91),), retrieved=hits,
                  timings_ms={"total": 1.0})


class FakeAssistant:
    """Stands in for `Assistant`: one hostile document, answers citing it (or abstaining)."""

    llm = None

    def __init__(self):
        doc = hostile_document()
        self.documents = {doc.doc_id: doc}
        self.index = SimpleNamespace(rows_by_document={doc.doc_id: [0]}, layout=SimpleNamespace(doc_ids=[doc.doc_id]),
                                     document_position=lambda doc_id: 0 if doc_id == doc.doc_id else None)

    def ask(self, question, k=5, mode="hybrid", doc_ids=(), answer_mode="extractive"):
        text = check_question(question)
        return hostile_answer(text, abstained="lasagna" in text.lower())


class _Markup(HTMLParser):
    """Collects the tags and attributes of rendered HTML and the text inside a given class."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def parse(markup: str) -> _Markup:
    parser = _Markup()
    parser.feed(markup)
    parser.close()
    return parser


def assert_only_our_markup(markup: str) -> None:
    for tag, attrs in parse(markup).tags:
        assert tag in ALLOWED_TAGS, f"unexpected <{tag}> in {markup[:200]}"
        for name, value in attrs:
            assert name in ALLOWED_ATTRS, f"unexpected attribute {name}={value!r} on <{tag}>"
            if name == "href":
                assert value.startswith("#") or value.startswith("https://") and ("class", "v-url") in attrs, value
            if name == "src":
                assert value.startswith("data:image/png;base64,"), value


def test_question_is_escaped():
    from qa.ui_html import question_html

    out = question_html(f"Tell me {SCRIPT} and {IMG}")
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;" in out and "onerror=&quot;" in out
    assert_only_our_markup(out)
    assert "".join(parse(out).text) == f"Tell me {SCRIPT} and {IMG}"


def test_answer_markers_become_links_and_text_is_escaped():
    from qa.ui_html import answer_html

    data = hostile_answer().to_json()
    out = answer_html(data, turn=2)
    assert '<a class="cite" href="#cite-2-1"' in out and ">[1]</a>" in out
    assert "[7]" in out and "#cite-2-7" not in out  # a marker without a citation stays text
    assert "<script" not in out and "<img" not in out
    assert_only_our_markup(out)
    assert SCRIPT in "".join(parse(out).text)


def test_abstained_answer_points_to_related_passages():
    from qa.ui_html import answer_html, sources_html

    data = hostile_answer(abstained=True).to_json()
    assert "#cite-" not in answer_html(data, 0)
    panel = sources_html(data, 0)
    assert "Possibly related passages" in panel and "not evidence" in panel
    assert panel.count('class="card hit"') == 3  # top 3 of 4 retrieved
    assert "#hit-0-1" in panel and "<mark>" not in panel
    assert_only_our_markup(panel)


def test_sources_panel_escapes_and_highlights_the_quote():
    from qa.ui_html import esc, sources_html

    answer = hostile_answer(question=f"Why {IMG}?")
    data = answer.to_json()
    panel = sources_html(data, 4)
    assert_only_our_markup(panel)
    assert "<script" not in panel and "<img" not in panel
    quote = answer.citations[0].quote
    assert f"<mark>{esc(quote.text)}</mark>" in panel
    assert 'id="cite-4-1"' in panel and "#cite-4-1" in panel
    assert "p. 3" in panel and "score" not in panel and "search" in panel  # a plain-language relevance label
    text = "".join(parse(panel).text)
    assert f"Why {IMG}?" in text and answer.citations[0].chunk.text in text


def test_highlight_uses_document_offsets():
    from qa.ui_html import highlight

    text = "Alpha beta. Gamma <delta>. Epsilon."
    base = 100
    start = base + text.index("Gamma")
    end = base + text.index(" Epsilon")
    out = highlight(text, base, [(start, end)])
    assert out == "Alpha beta. <mark>Gamma &lt;delta&gt;.</mark> Epsilon."
    # overlapping spans merge; spans reaching outside the passage are clipped to it
    out = highlight(text, base, [(start, start + 5), (start + 3, end), (50, base + 5), (base + 30, 500)])
    assert out == "<mark>Alpha</mark> beta. <mark>Gamma &lt;delta&gt;.</mark> Eps<mark>ilon.</mark>"
    assert highlight(text, base, []) == html.escape(text)


def test_every_quote_of_a_citation_is_marked():
    from qa.ui_html import sources_html

    doc = hostile_document()
    chunk = hostile_chunk(doc)
    first, second = "The council met in 2021.", "Members & observers signed."
    quotes = tuple(Quote(s, doc.text.index(s), doc.text.index(s) + len(s)) for s in (first, second))
    answer = Answer(question="q", text="It met [1].", abstained=False,
                    citations=(Citation(1, chunk, quotes, 0.8),), retrieved=(Hit(chunk, 0.8, 1),))
    panel = sources_html(answer.to_json(), 0)
    assert "<mark>The council met in 2021.</mark>" in panel
    assert "<mark>Members &amp; observers signed.</mark>" in panel


def test_viewer_shows_whole_document_escaped_with_passage_marked():
    from qa.ui_html import esc
    from qa.viewer import viewer_html

    doc = hostile_document()
    chunk = hostile_chunk(doc)
    answer = hostile_answer()
    q = answer.citations[0].quote
    out = viewer_html(doc, 0, chunk.start, chunk.end, [(q.start, q.end)], label="[1]")
    assert_only_our_markup(out)
    assert "<script" not in out and "<img" not in out
    assert 'role="dialog"' in out or "<dialog" in out and 'aria-modal="true"' in out
    body = out[out.index('<div class="viewer-text" tabindex="0">'):]
    assert "".join(parse(body).text) == doc.text  # the whole document, nothing lost or added
    passage = body[body.index('id="viewer-passage">') + len('id="viewer-passage">'):]
    assert passage.startswith(esc(doc.text[chunk.start:q.start]) + f"<mark>{esc(q.text)}</mark>")
    assert "${value}" in out  # template-like text stays text


def test_status_line_warns_when_the_corpus_changed():
    from qa.ui_html import status_html

    status = {"documents": 5, "chunks": 141, "model": "m<x>", "built_at": "2026-01-01T00:00:00+00:00"}
    fresh = status_html(status, ())
    assert "5 documents" in fresh and "141 chunks" in fresh and "m&lt;x&gt;" in fresh and "changed" not in fresh
    stale = status_html(status, ("a.txt", "<b>.txt"))
    assert "changed since the index was built (2 files" in stale and "&lt;b&gt;.txt" in stale
    assert "unavailable" in status_html(None, (), "IndexNotFound: gone")


def test_feedback_append_writes_json_lines(tmp_path):
    folder = tmp_path / "nested" / "data"
    answer = hostile_answer().to_json()
    record = feedback_record(answer["question"], answer["answer"], answer["citations"], "up", "  useful  ")
    path = append_feedback(folder, record)
    assert path == folder / FEEDBACK_FILE
    append_feedback(folder, feedback_record("q2", "a2", [], "down"))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert set(first) == {"time", "question", "answer", "citations", "vote", "comment"}
    assert first["vote"] == "up" and first["comment"] == "useful"
    assert first["citations"] == [{"n": 1, "doc_id": "hostile-doc", "chunk_id": "hostile-doc#1",
                                   "quote": answer["citations"][0]["quote"]}]
    assert first["time"].endswith("+00:00")
    assert read_feedback(folder)[1]["vote"] == "down"
    with pytest.raises(ValueError):
        feedback_record("q", "a", [], "sideways")


def test_parse_auth():
    from qa.cli import UserError
    from qa.server import parse_auth

    assert parse_auth(None) is None
    assert parse_auth("ana:s3cret") == [("ana", "s3cret")]
    assert parse_auth("ana:with:colons") == [("ana", "with:colons")]
    for bad in ("", "nocolon", ":pw", "user:", " :pw"):
        with pytest.raises(UserError, match="user:password"):
            parse_auth(bad)


def test_bad_auth_is_a_one_line_error(tmp_path, capsys):
    from qa.cli import main

    code = main(["serve", "--index", str(tmp_path / "idx"), "--auth", "just-a-password-hunter2"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1 and "user:password" in err
    assert "hunter2" not in err  # the secret is not echoed


def test_missing_index_is_a_one_line_error(tmp_path, capsys):
    from qa.cli import main

    code = main(["serve", "--index", str(tmp_path / "none"), "--auth", "u:p"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: no index in ") and err.count("\n") == 1


def test_non_loopback_host_without_auth_warns(tmp_path, capsys):
    from index.errors import IndexNotFound
    from qa.server import exposure_warning, is_loopback, serve

    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and is_loopback("127.0.1.1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.org")
    assert exposure_warning("127.0.0.1", None) is None
    assert exposure_warning("0.0.0.0", [("u", "p")]) is None
    assert "without --auth" in exposure_warning("0.0.0.0", None)
    with pytest.raises(IndexNotFound):
        serve(tmp_path / "none", host="0.0.0.0", port=7860, auth=None, data_dir=tmp_path)
    assert "warning: serving on 0.0.0.0 without --auth" in capsys.readouterr().err
    with pytest.raises(IndexNotFound):
        serve(tmp_path / "none", host="127.0.0.1", port=7860, auth=None, data_dir=tmp_path)
    assert "warning" not in capsys.readouterr().err


def test_build_app_exposes_the_ask_endpoint(tmp_path):
    import gradio as gr

    from qa.ui import build_app

    from qa.library import Library

    library = Library(tmp_path / "corpus", tmp_path / "no-index", FakeAssistant(), open_assistant=None, build=None)
    demo = build_app(library, tmp_path / "data")
    assert isinstance(demo, gr.Blocks)
    public = {fn.api_name for fn in demo.fns.values() if fn.api_visibility != "private"}
    assert public == {"ask"}
    assert not (Path(tmp_path) / "data").exists()  # nothing written until someone votes


class StreamingAssistant(FakeAssistant):
    """A fake assistant in LLM mode: it tells two verified sentences before its answer."""

    llm = object()
    SENTENCES = (f"It agreed {SCRIPT} [1]", "Royalties must be published [1]")

    def ask(self, question, k=5, mode="hybrid", doc_ids=(), answer_mode="extractive", on_sentence=None):
        if answer_mode == "llm":
            for sentence in self.SENTENCES:
                on_sentence(sentence)
        return super().ask(question, k, mode, doc_ids, answer_mode)


def _answer_handler(tmp_path, assistant):
    from qa.library import Library
    from qa.ui import build_app

    library = Library(tmp_path / "corpus", tmp_path / "no-index", assistant, open_assistant=None, build=None)
    demo = build_app(library, tmp_path / "data")
    return next(fn.fn for fn in demo.fns.values() if fn.fn is not None and fn.fn.__name__ == "answer")


def test_llm_answer_streams_into_the_chat_sentence_by_sentence(tmp_path):
    from qa.ui_html import CHECKING

    answer = _answer_handler(tmp_path, StreamingAssistant())
    history = [{"role": "user", "content": "What did the council agree?"}]
    updates = list(answer("What did the council agree?", history, [], "hybrid", 5, [], "llm"))

    assert len(updates) == 3  # one sentence, two sentences, the answer
    for n, update in enumerate(updates[:2], start=1):
        chat = update[0]
        assert len(chat) == 2 and chat[0] == history[0]
        shown = chat[1]["content"]
        assert_only_our_markup(shown)
        assert "<script" not in shown and CHECKING in shown
        assert parse(shown).tags.count(("a", [])) == 0 and "href" not in shown  # markers are links only at the end
        assert " ".join(StreamingAssistant.SENTENCES[:n]) in html.unescape(shown)
    chat, turns = updates[-1][0], updates[-1][1]
    assert len(chat) == 2 and len(turns) == 1 and CHECKING not in chat[1]["content"]
    assert 'href="#cite-0-1"' in chat[1]["content"]


def test_extractive_answer_arrives_in_one_update(tmp_path):
    answer = _answer_handler(tmp_path, StreamingAssistant())
    updates = list(answer("What did the council agree?", [], [], "hybrid", 5, [], "extractive"))
    assert len(updates) == 1 and len(updates[0][1]) == 1

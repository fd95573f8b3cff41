"""The web UI (`qa serve`): a chat with cited answers, a sources panel, a document viewer, feedback.

`build_app` makes the gr.Blocks app around one loaded `Assistant` (`qa.server` serves it). Per-user data (the chat and the
answers behind it) lives in session state; the assistant is only read. The same answers
are available to programs as the "/ask" API endpoint, returning `Answer.to_json()`.
"""

import json
import logging
import os
from pathlib import Path

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no calls home
# Gradio's queue summarises up to 10,000 past events with pandas after every event; nobody reads
# that summary here, so recompute it rarely instead of paying a cost that grows with uptime.
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")

import gradio as gr  # noqa: E402

from qa.assistant import ask_live  # noqa: E402
from qa.feedback import append_feedback, feedback_record  # noqa: E402
from qa.followup import read_as_follow_up  # noqa: E402
from qa.library import ALLOWED_SUFFIXES, REMOVED_DIR, Library, LibraryError, Upload  # noqa: E402
from qa.question import InvalidQuestion  # noqa: E402
from qa.ui_assets import LOAD_JS, PAGE_JS, THEME_JS, VIEWER_JS  # noqa: E402
from qa.ui_html import (  # noqa: E402
    answer_html, change_html, documents_html, error_html, header_html, partial_html, question_html, quote_spans, sources_html,
    status_html,
)
from qa.viewer import viewer_html  # noqa: E402

log = logging.getLogger(__name__)

TITLE = "Mining Governance Q&A"
CONCURRENCY = 4
QUEUE_MAX = 256
MAX_K = 20  # most passages one question may ask for, in the UI and the API
EXAMPLES = (
    "Which principles must the HLEAG process be based on?",
    "What is CCCMC?",
    "Summarize the civil society letter.",
    "When did UNEA-4 adopt the resolution on mineral resource governance?",
    "Who won the 2022 World Cup?",
)
HISTORY_KEY = "qa-conversation"
READ_ONLY_NOTE = "This server is read-only: documents cannot be added or removed here."


def build_app(library: Library, data_dir: Path, secret: str | None = None) -> gr.Blocks:
    """The UI around a library (its live assistant, corpus and index); feedback goes to
    `<data_dir>/feedback.jsonl`; `secret` encrypts the conversation kept in the browser."""
    from qa.retrieval import UnknownDocument

    data_dir = Path(data_dir)

    def documents():
        return library.assistant.documents

    generation: dict = {}  # what is read from the whole library, once per live assistant

    def once(name: str, make):
        assistant = library.assistant
        if generation.get("assistant") is not assistant:
            generation.clear()
            generation["assistant"] = assistant
        if name not in generation:
            generation[name] = make()
        return generation[name]

    def kinds() -> tuple[str, ...]:  # per question: read once per generation, not per question
        return once("kinds", lambda: tuple(sorted(
            {d.doc_type.split()[-1].lower() for d in documents().values() if d.doc_type.strip()})))

    def answer_modes() -> list[str]:
        return ["extractive"] + (["llm"] if library.assistant.llm is not None else [])

    def take(question, history):
        """First step of asking, at once: the question into the chat, the box emptied, Ask off."""
        asked = " ".join((question if isinstance(question, str) else "").split())
        if not asked:
            return gr.skip(), "", gr.skip(), gr.skip()
        shown = (asked[:300] + " …") if len(asked) > 300 else asked
        history = list(history or []) + [_msg("user", question_html(shown))]
        return history, "", asked, gr.Button(interactive=False)

    def answer(pending, history, turns, mode, k, doc_ids, answer_mode):
        """Second step: answer the question `take` put in the chat (an LLM answer sentence by
        sentence as each is verified), and keep the conversation."""
        if not pending:
            yield gr.skip(), gr.skip(), gr.skip(), "", gr.skip(), gr.Button(interactive=True)
            return
        history, turns = list(history or []), list(turns or [])
        assistant = library.assistant  # one generation for the whole answer, even if a build swaps it
        last = turns[-1] if turns else {}
        said = "" if last.get("abstained", True) else last.get("answer", "")
        read = read_as_follow_up(pending, last.get("question", ""), kinds(), said)  # "When was it launched?", "Why?"
        told: list[str] = []
        try:
            for reply in ask_live(assistant, read, k=min(int(k), MAX_K), mode=mode, doc_ids=tuple(doc_ids or ()),
                                  answer_mode=answer_mode):
                if isinstance(reply, str):
                    told.append(reply)
                    yield [*history, _msg("assistant", partial_html(told))], *[gr.skip()] * 5
        except (InvalidQuestion, UnknownDocument, ValueError) as exc:
            history.append(_msg("assistant", error_html(str(exc))))
            yield history, turns, gr.skip(), "", _saved(history, turns), gr.Button(interactive=True)
            return
        except Exception:  # a bug: keep the traceback in the log, show a message
            log.exception("answering %r failed", pending)
            history.append(_msg("assistant", error_html("Something went wrong while answering; please try again.")))
            yield history, turns, gr.skip(), "", _saved(history, turns), gr.Button(interactive=True)
            return
        data = reply.to_json()
        if read != pending:  # a follow-up: say how it was read
            data["notice"] = " ".join(filter(None, [f"Read as a follow-up: “{read}”", data.get("notice")]))
        data["message_index"] = len(history)
        turn = len(turns)
        turns.append(data)
        history.append(_msg("assistant", answer_html(data, turn)))
        yield history, turns, sources_html(data, turn), "", _saved(history, turns), gr.Button(interactive=True)

    def retry(request, history, turns):
        """Ask a past question again (after a change to the library, say)."""
        try:
            question = (turns or [])[int(json.loads(request)["turn"])]["question"]
        except (TypeError, ValueError, KeyError, IndexError):
            return gr.skip(), gr.skip(), gr.skip()
        return take(question, history)[0], question, gr.Button(interactive=False)

    def on_view(request, turns):
        """The viewer for a citation, a retrieved passage, or a place in a document."""
        try:
            info = json.loads(request)
            kind, first, second = info["kind"], int(info["turn"]), int(info["n"])
        except (TypeError, ValueError, KeyError):
            return gr.skip()
        docs, index = documents(), library.assistant.index
        if kind == "doc":
            ids = index.layout.doc_ids
            if not 0 <= first < len(ids) or ids[first] not in docs:
                return gr.skip()
            doc = docs[ids[first]]
            return viewer_html(doc, first, second, second, [], corpus_dir=library.corpus_dir)
        try:
            data = (turns or [])[first]
        except IndexError:
            return gr.skip()
        if kind == "hit":
            found = next((h for h in data["retrieved"] if h["rank"] == second), None)
            spans, label = [], "Related passage"
        else:
            found = next((c for c in data["citations"] if c["n"] == second), None)
            spans, label = (quote_spans(found) if found else []), f"[{second}]"
        if found is None or found["doc_id"] not in docs:
            return gr.skip()
        start, end = (found["passage_start"], found["passage_end"]) if kind == "cite" else (found["start"], found["end"])
        position = index.document_position(found["doc_id"])
        return viewer_html(docs[found["doc_id"]], position, start, end, spans, label=label, corpus_dir=library.corpus_dir)

    def on_like(turns, comment, evt: gr.LikeData):
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        vote = {True: "up", False: "down"}.get(evt.liked) if isinstance(evt.liked, bool) else None
        data = next((t for t in reversed(turns or []) if t["message_index"] == index), None)
        if vote is None or data is None:
            return gr.skip(), gr.skip()
        record = feedback_record(data["question"], data["answer"], data["citations"], vote, comment or "")
        append_feedback(data_dir, record)
        what = "thumbs up" if vote == "up" else "thumbs down"
        return f'<div class="muted" id="feedback-note">Thanks, your {what} was recorded.</div>', ""

    def library_markup():
        docs, index = documents(), library.assistant.index
        passages = {d: len(index.rows_by_document[d]) for d in docs}
        choices = [(d.title, d.doc_id) for d in docs.values()]
        return header_html(docs), documents_html(docs, passages), choices

    def library_view():
        """Everything that shows the library: header, status, table, filter and removal choices
        (read once per generation, not on every page load)."""
        header, table, choices = once("library", library_markup)
        return (header, _status(library.index_dir), table, gr.Dropdown(choices=choices), gr.Dropdown(choices=choices, value=None))

    def on_add(files, progress=gr.Progress()):
        uploads = [Upload(_upload_name(f), Path(str(f))) for f in (files or [])]
        try:
            change = library.add(uploads, progress=lambda f, what: progress(f, desc=what))
        except LibraryError as exc:
            return (change_html([str(exc)], False), gr.skip(), *library_view())
        lines = [f"Added {name}" for name in change.added] + list(change.refused)
        if change.added:
            lines.append(f"The library now holds {change.documents} documents ({change.embedded} passages embedded in {change.seconds:.1f} s).")
        return (change_html(lines, bool(change.added) and not change.refused), None, *library_view())

    def on_remove(doc_id, progress=gr.Progress()):
        try:
            title = documents()[doc_id].title if doc_id in documents() else doc_id
            change = library.remove(doc_id, progress=lambda f, what: progress(f, desc=what))
        except LibraryError as exc:
            return (change_html([str(exc)], False), gr.Row(visible=False), *library_view())
        lines = [f"Removed “{title}” ({', '.join(change.removed)}; kept in {library.index_dir / REMOVED_DIR})"] + list(change.refused)
        return (change_html(lines, True), gr.Row(visible=False), *library_view())

    def ask_api(question: str, k: int = 5, mode: str = "hybrid") -> dict:
        """Answer a question with cited passages; returns the same JSON object as `qa ask --json`."""
        try:
            return library.assistant.ask(question, k=min(max(int(k), 1), MAX_K), mode=mode).to_json()
        except (InvalidQuestion, UnknownDocument, ValueError) as exc:
            raise gr.Error(str(exc), print_exception=False) from None

    def restore(saved):
        history, turns = (saved or {}).get("history") or [], (saved or {}).get("turns") or []
        latest = sources_html(turns[-1], len(turns) - 1) if turns else sources_html(None)
        return history, turns, latest

    def clear():
        return [], [], sources_html(None), "", {"history": [], "turns": []}

    with gr.Blocks(title=TITLE, fill_width=True) as demo:
        turns = gr.State([])
        pending = gr.State("")
        saved = gr.BrowserState({"history": [], "turns": []}, storage_key=HISTORY_KEY, secret=secret)
        with gr.Row(elem_id="top-row"):
            header = gr.HTML(header_html(documents()), elem_id="app-header")
            theme_btn = gr.Button("Light / dark", size="sm", scale=0, min_width=110, elem_id="theme-toggle")
        status = gr.HTML(_status(library.index_dir), elem_id="status-line")
        with gr.Tabs():
            with gr.Tab("Ask", id="ask-tab"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=380):
                        chat = gr.Chatbot(
                            label="Conversation", show_label=False, elem_id="chat", height="58vh", layout="bubble",
                            sanitize_html=True, render_markdown=False, latex_delimiters=[], buttons=[],
                            allow_tags=False, feedback_options=("Like", "Dislike"),
                            placeholder="Ask a question about the documents, or pick an example below.",
                        )
                        with gr.Row():
                            question = gr.Textbox(label="Your question", show_label=False, lines=1, max_lines=6, scale=6,
                                                  placeholder="Ask a question about the documents…", elem_id="question",
                                                  autofocus=True)
                            ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask",
                                                interactive=False)  # on once the box holds a question
                            clear_btn = gr.Button("New chat", scale=1, min_width=90, elem_id="clear")
                        with gr.Row(elem_id="example-row"):
                            example_btns = [gr.Button(q, size="sm", variant="secondary") for q in EXAMPLES]
                        with gr.Row():
                            comment = gr.Textbox(label="Comment on an answer", show_label=False, scale=4, elem_id="feedback-comment",
                                                 placeholder="Optional comment, then rate an answer with the thumbs under it")
                            note = gr.HTML("", elem_id="feedback-status")
                        with gr.Accordion("Search settings", open=False, elem_id="settings"):
                            mode = gr.Radio(["hybrid", "dense", "lexical"], value="hybrid", label="Retrieval mode", elem_id="mode")
                            k = gr.Slider(1, 10, value=5, step=1, label="Passages to retrieve (top-k)", elem_id="top-k")
                            doc_ids = gr.Dropdown(choices=[(d.title, d.doc_id) for d in documents().values()], value=[],
                                                  multiselect=True, label="Restrict to documents (none selected: all)",
                                                  elem_id="doc-filter")
                            answer_mode = gr.Radio(answer_modes(), value="extractive", label="Answer mode", elem_id="answer-mode",
                                                   visible=len(answer_modes()) > 1)
                    with gr.Column(scale=2, min_width=320):
                        sources = gr.HTML(sources_html(None), elem_id="sources-panel", js_on_load=PAGE_JS,
                                          label="Sources", show_label=False)
            with gr.Tab("Library", id="library-tab"):
                table = gr.HTML(elem_id="doc-table")
                change = gr.HTML("", elem_id="library-change")
                with gr.Group(visible=not library.read_only):
                    uploads = gr.File(label="Add documents (PDF, DOCX, HTML, Markdown, text)", file_count="multiple",
                                      file_types=list(ALLOWED_SUFFIXES), elem_id="upload")
                    add_btn = gr.Button("Add to the library", variant="primary", elem_id="add-documents")
                    with gr.Row():
                        to_remove = gr.Dropdown(label="Remove a document", choices=[], value=None, elem_id="remove-choice", scale=4)
                        remove_btn = gr.Button("Remove…", elem_id="remove", scale=1)
                    with gr.Row(visible=False, elem_id="confirm-row") as confirm_row:
                        gr.HTML('<p class="change-bad">Remove this document from the library? Its file is moved '
                                "out of the corpus folder and its passages leave the index.</p>")
                        confirm_btn = gr.Button("Yes, remove it", variant="stop", elem_id="confirm-remove")
                        cancel_btn = gr.Button("Cancel", elem_id="cancel-remove")
                if library.read_only:
                    gr.HTML(f'<p class="muted">{READ_ONLY_NOTE}</p>')
        viewer = gr.HTML("", elem_id="viewer-body", js_on_load=VIEWER_JS, padding=False)
        view_request = gr.Textbox(visible="hidden", elem_id="view-request", label="viewer request")
        retry_request = gr.Textbox(visible="hidden", elem_id="retry-request", label="retry request")

        private = {"api_visibility": "private"}
        instant = {"queue": False, "show_progress": "hidden", **private}
        ask_inputs = [pending, chat, turns, mode, k, doc_ids, answer_mode]
        ask_outputs = [chat, turns, sources, pending, saved, ask_btn]
        for trigger in (question.submit, ask_btn.click):
            trigger(take, [question, chat], [chat, question, pending, ask_btn], trigger_mode="once", **instant).then(
                answer, ask_inputs, ask_outputs, **private)
        for btn, text in zip(example_btns, EXAMPLES):
            btn.click(take, [gr.State(text), chat], [chat, question, pending, ask_btn], **instant).then(
                answer, ask_inputs, ask_outputs, **private)
        retry_request.change(retry, [retry_request, chat, turns], [chat, pending, ask_btn], **instant).then(
            answer, ask_inputs, ask_outputs, **private)
        question.change(lambda q: gr.Button(interactive=bool((q or "").strip())), question, ask_btn,
                        trigger_mode="always_last", **instant)
        clear_btn.click(clear, None, [chat, turns, sources, note, saved], **instant)
        chat.clear(clear, None, [chat, turns, sources, note, saved], **instant)
        view_request.change(on_view, [view_request, turns], viewer, **private)
        chat.like(on_like, [turns, comment], [note, comment], **private)
        theme_btn.click(None, None, None, js=THEME_JS, **private)
        library_outputs = [header, status, table, doc_ids, to_remove]
        add_btn.click(on_add, uploads, [change, uploads, *library_outputs], concurrency_limit=1, **private)
        remove_btn.click(lambda d: gr.Row(visible=bool(d)), to_remove, confirm_row, **instant)
        cancel_btn.click(lambda: gr.Row(visible=False), None, confirm_row, **instant)
        confirm_btn.click(on_remove, to_remove, [change, confirm_row, *library_outputs], concurrency_limit=1, **private)
        demo.load(None, None, None, js=LOAD_JS, **private)  # the theme the user chose last
        demo.load(restore, saved, [chat, turns, sources], **private).then(library_view, None, library_outputs, **private)
        gr.api(ask_api, api_name="ask")
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_MAX)
    return demo


def _upload_name(file) -> str:
    """The name the user gave an uploaded file (Gradio keeps it as the last part of its path)."""
    return Path(str(file)).name


def _saved(history: list, turns: list) -> dict:
    return {"history": history, "turns": turns}


def _msg(role: str, content: str) -> dict:
    return {"role": role, "content": content}


def _status(index_dir: Path) -> str:
    from index.build import index_status

    try:
        status = index_status(Path(index_dir))
    except Exception as exc:  # the status line must not stop the UI
        return status_html(None, (), f"{type(exc).__name__}: {exc}")
    return status_html(status.to_json(), status.stale)

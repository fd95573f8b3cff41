"""The web UI (`qa serve`): a chat with cited answers, a sources panel, a document viewer, feedback.

`build_app` makes the gr.Blocks app around one loaded `Assistant`; `serve` checks the
options, loads the assistant once and serves the app. Per-user data (the chat and the
answers behind it) lives in session state; the assistant is only read. The same answers
are available to programs as the "/ask" API endpoint, returning `Answer.to_json()`.
"""

import ipaddress
import logging
import os
import sys
from pathlib import Path

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no calls home
# Gradio's queue summarises up to 10,000 past events with pandas after every event; nobody reads
# that summary here, so recompute it rarely instead of paying a cost that grows with uptime.
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")

import gradio as gr  # noqa: E402

from qa.feedback import append_feedback, feedback_record  # noqa: E402
from qa.followup import read_as_follow_up  # noqa: E402
from qa.question import InvalidQuestion  # noqa: E402
from qa.ui_html import (  # noqa: E402
    answer_html, error_html, header_html, question_html, quote_spans, sources_html, status_html, viewer_html,
)

log = logging.getLogger(__name__)

TITLE = "Mining Governance Q&A"
CONCURRENCY = 4
QUEUE_MAX = 256
EXAMPLES = (
    "Which principles must the HLEAG process be based on?",
    "What is CCCMC?",
    "Summarize the civil society letter.",
    "When did UNEA-4 adopt the resolution on mineral resource governance?",
    "Who won the 2022 World Cup?",
)
LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")

# The sources panel installs one document-level listener: a click on any citation link (in the
# chat or in the panel) becomes the panel's "cite" event, answered with the document viewer.
CITE_JS = r"""
window.__qaTrigger = trigger;
if (!window.__qaCiteInstalled) {
  window.__qaCiteInstalled = true;
  document.addEventListener('click', (e) => {
    const a = e.target && e.target.closest ? e.target.closest('a.cite') : null;
    if (!a) return;
    // The chat's sanitizer drops data-* attributes, so the link's target names it: #cite-<turn>-<n>.
    const m = /^#(cite|hit)-(\d+)-(\d+)$/.exec(a.getAttribute('href') || '');
    if (!m) return;
    e.preventDefault();
    e.stopPropagation();
    window.__qaTrigger('cite', {kind: m[1], turn: Number(m[2]), n: Number(m[3])});
  }, true);
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    const close = document.querySelector('#viewer-close');
    if (close && close.offsetParent !== null) close.click();
  });
}
"""

# The viewer scrolls its text so that the cited passage sits a third of the way down.
VIEWER_JS = """
const go = () => {
  const box = element.querySelector('.viewer-text');
  const passage = element.querySelector('#viewer-passage');
  if (!box || !passage) return;
  const target = passage.querySelector('mark') || passage;
  box.scrollTop += target.getBoundingClientRect().top - box.getBoundingClientRect().top - box.clientHeight / 3;
};
const later = () => { requestAnimationFrame(go); setTimeout(go, 120); };
later();
watch('value', later);
"""

CSS = """
.gradio-container { max-width: 1500px !important; margin: 0 auto !important; }
.app-header h1 { font-size: 1.6rem; margin: 0.2rem 0 0.1rem; }
.app-header .tagline { margin: 0; color: var(--body-text-color-subdued); }
.status { font-size: 0.85rem; color: var(--body-text-color-subdued); }
.status .stale { color: #b45309; margin-top: 0.2rem; font-weight: 600; }
a.cite { color: var(--color-accent); font-weight: 600; text-decoration: none; cursor: pointer; white-space: nowrap; }
a.cite:hover { text-decoration: underline; }
.answer .a-sources { margin-top: 0.45rem; font-size: 0.85rem; color: var(--body-text-color-subdued); }
.answer .a-notice { margin-top: 0.4rem; font-size: 0.85rem; font-style: italic; }
.answer.a-error { color: #b91c1c; }
.q-text, .a-text { white-space: pre-wrap; overflow-wrap: anywhere; }
mark { background: #fde68a; color: #111827; padding: 0 1px; border-radius: 2px; }
#sources-panel .sources { max-height: 68vh; overflow-y: auto; padding-right: 4px; }
.sources .src-question { font-weight: 600; margin-bottom: 0.4rem; overflow-wrap: anywhere; }
.sources ol.cards { list-style: none; padding: 0; margin: 0; }
.sources .card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.6rem 0.75rem;
  margin-bottom: 0.6rem; background: var(--background-fill-secondary); }
.sources .card-head { font-weight: 600; }
.card-meta { font-size: 0.8rem; color: var(--body-text-color-subdued); margin: 0.15rem 0 0.35rem; }
.sources blockquote.passage { margin: 0 0 0.35rem; padding-left: 0.6rem; border-left: 3px solid var(--border-color-accent);
  font-size: 0.9rem; line-height: 1.45; white-space: pre-wrap; overflow-wrap: anywhere; }
.sources .related-title { margin: 0.3rem 0 0.1rem; font-size: 1rem; }
.sources .not-support { font-size: 0.85rem; color: #b45309; margin: 0 0 0.5rem; }
.muted { color: var(--body-text-color-subdued); }
#doc-viewer { position: fixed; top: 4vh; left: 50%; transform: translateX(-50%); width: min(960px, 94vw);
  max-height: 92vh; z-index: 1000; background: var(--background-fill-primary); border-radius: 12px; padding: 14px;
  box-shadow: 0 0 0 100vmax rgba(15, 23, 42, 0.45), 0 20px 50px rgba(0, 0, 0, 0.35); }
#doc-viewer .viewer-head { margin-bottom: 0.4rem; font-size: 1.05rem; font-weight: 600; }
#doc-viewer .badge { color: var(--color-accent); }
#doc-viewer .viewer-text { white-space: pre-wrap; overflow-y: auto; max-height: calc(92vh - 150px); line-height: 1.6;
  font-family: Georgia, 'Times New Roman', serif; padding-right: 8px; overflow-wrap: anywhere; }
#doc-viewer .passage { background: #e0f2fe; color: #111827; border-radius: 3px; box-shadow: 0 0 0 2px #bae6fd; }
#example-row button { font-size: 0.85rem; }
@media (max-width: 760px) {
  .app-header h1 { font-size: 1.25rem; }
  #doc-viewer { top: 0; width: 100vw; max-height: 100vh; border-radius: 0; }
  #doc-viewer .viewer-text { max-height: calc(100vh - 140px); }
  #sources-panel .sources { max-height: none; }
}
"""


def theme() -> gr.themes.Base:
    # System fonts only: the default theme would fetch web fonts, and the app runs offline.
    return gr.themes.Soft(primary_hue="teal", neutral_hue="slate",
                          font=["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "sans-serif"],
                          font_mono=["ui-monospace", "Consolas", "monospace"])


def build_app(assistant, index_dir: Path, data_dir: Path) -> gr.Blocks:
    """The UI around a loaded assistant; feedback goes to `<data_dir>/feedback.jsonl`."""
    from qa.retrieval import UnknownDocument

    data_dir = Path(data_dir)
    documents = assistant.documents
    answer_modes = ["extractive"] + (["llm"] if assistant.llm is not None else [])
    kinds = tuple(sorted({d.doc_type.split()[-1].lower() for d in documents.values() if d.doc_type.strip()}))

    def on_ask(question, history, turns, mode, k, doc_ids, answer_mode):
        history, turns = list(history or []), list(turns or [])
        text = question if isinstance(question, str) else ""
        asked = " ".join(text.split())
        shown = (asked[:300] + " …") if len(asked) > 300 else (asked or "(empty question)")
        last = turns[-1] if turns else {}
        said = "" if last.get("abstained", True) else last.get("answer", "")
        read = read_as_follow_up(asked, last.get("question", ""), kinds, said)  # "When was it launched?", "Why?"
        try:
            answer = assistant.ask(read, k=int(k), mode=mode, doc_ids=tuple(doc_ids or ()), answer_mode=answer_mode)
        except (InvalidQuestion, UnknownDocument, ValueError) as exc:
            history += [_msg("user", question_html(shown)), _msg("assistant", error_html(str(exc)))]
            return history, turns, gr.skip(), text
        except Exception:  # a bug: keep the traceback in the log, show a message
            log.exception("answering %r failed", shown)
            history += [_msg("user", question_html(shown)),
                        _msg("assistant", error_html("Something went wrong while answering; please try again."))]
            return history, turns, gr.skip(), text
        data = answer.to_json()
        if read != asked:  # a follow-up: say how it was read
            data["notice"] = " ".join(filter(None, [f"Read as a follow-up: “{read}”", data.get("notice")]))
        data["message_index"] = len(history) + 1
        turn = len(turns)
        turns.append(data)
        history += [_msg("user", question_html(asked)), _msg("assistant", answer_html(data, turn))]
        return history, turns, sources_html(data, turn), ""

    def on_cite(turns, evt: gr.EventData):
        info = getattr(evt, "_data", None) or {}
        try:
            data = (turns or [])[int(info.get("turn"))]
            n = int(info.get("n"))
        except (TypeError, ValueError, IndexError):
            return gr.skip(), gr.skip()
        if info.get("kind") == "hit":
            hit = next((h for h in data["retrieved"] if h["rank"] == n), None)
            if hit is None or hit["doc_id"] not in documents:
                return gr.skip(), gr.skip()
            body = viewer_html(documents[hit["doc_id"]], hit["start"], hit["end"], [], label="Related passage")
        else:
            c = next((c for c in data["citations"] if c["n"] == n), None)
            if c is None or c["doc_id"] not in documents:
                return gr.skip(), gr.skip()
            body = viewer_html(documents[c["doc_id"]], c["passage_start"], c["passage_end"], quote_spans(c),
                               label=f"[{n}]")
        return body, gr.Column(visible=True)

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

    def ask_api(question: str, k: int = 5, mode: str = "hybrid") -> dict:
        """Answer a question with cited passages; returns the same JSON object as `qa ask --json`."""
        try:
            return assistant.ask(question, k=int(k), mode=mode).to_json()
        except (InvalidQuestion, UnknownDocument, ValueError) as exc:
            raise gr.Error(str(exc), print_exception=False) from None

    with gr.Blocks(title=TITLE, fill_width=True) as demo:
        turns = gr.State([])
        gr.HTML(header_html(documents))
        gr.HTML(_status(index_dir), elem_id="status-line")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=380):
                chat = gr.Chatbot(
                    label="Conversation", elem_id="chat", height="58vh", layout="bubble",
                    sanitize_html=True, render_markdown=False, latex_delimiters=[], buttons=[],
                    allow_tags=False, feedback_options=("Like", "Dislike"),
                    placeholder="Ask a question about the documents, or pick an example below.",
                )
                with gr.Row():
                    question = gr.Textbox(show_label=False, placeholder="Ask a question about the documents…",
                                          lines=1, max_lines=6, scale=6, elem_id="question", autofocus=True)
                    ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask")
                    clear_btn = gr.Button("Clear", scale=1, min_width=80, elem_id="clear")
                with gr.Row(elem_id="example-row"):
                    example_btns = [gr.Button(q, size="sm", variant="secondary") for q in EXAMPLES]
                with gr.Row():
                    comment = gr.Textbox(show_label=False, scale=4, elem_id="feedback-comment",
                                         placeholder="Optional comment, then rate an answer with the thumbs under it")
                    note = gr.HTML("", elem_id="feedback-status")
                with gr.Accordion("Search settings", open=False, elem_id="settings"):
                    mode = gr.Radio(["hybrid", "dense", "lexical"], value="hybrid", label="Retrieval mode", elem_id="mode")
                    k = gr.Slider(1, 10, value=5, step=1, label="Passages to retrieve (top-k)", elem_id="top-k")
                    doc_ids = gr.Dropdown(choices=[(d.title, d.doc_id) for d in documents.values()], value=[],
                                          multiselect=True, label="Restrict to documents (none selected: all)",
                                          elem_id="doc-filter")
                    answer_mode = gr.Radio(answer_modes, value="extractive", label="Answer mode", elem_id="answer-mode",
                                           visible=len(answer_modes) > 1)
            with gr.Column(scale=2, min_width=320):
                sources = gr.HTML(sources_html(None), elem_id="sources-panel", js_on_load=CITE_JS,
                                  label="Sources", show_label=False)
        with gr.Column(visible=False, elem_id="doc-viewer") as viewer_box:
            with gr.Row():
                gr.HTML('<div class="muted">Document viewer: the cited passage is highlighted; '
                        "the quoted sentences are marked.</div>")
                close_btn = gr.Button("Close", size="sm", scale=0, min_width=80, elem_id="viewer-close")
            viewer = gr.HTML("", elem_id="viewer-body", js_on_load=VIEWER_JS)

        ask_inputs = [question, chat, turns, mode, k, doc_ids, answer_mode]
        ask_outputs = [chat, turns, sources, question]
        private = {"api_visibility": "private"}
        question.submit(on_ask, ask_inputs, ask_outputs, **private)
        ask_btn.click(on_ask, ask_inputs, ask_outputs, **private)
        for btn, text in zip(example_btns, EXAMPLES):
            btn.click(lambda t=text: t, None, question, queue=False, **private).then(
                on_ask, ask_inputs, ask_outputs, **private)
        def clear():
            return [], [], sources_html(None), ""

        clear_btn.click(clear, None, [chat, turns, sources, note], queue=False, **private)
        chat.clear(clear, None, [chat, turns, sources, note], queue=False, **private)
        sources.cite(on_cite, [turns], [viewer, viewer_box], **private)
        close_btn.click(lambda: gr.Column(visible=False), None, viewer_box, queue=False, **private)
        chat.like(on_like, [turns, comment], [note, comment], **private)
        gr.api(ask_api, api_name="ask")
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_MAX)
    return demo


def _msg(role: str, content: str) -> dict:
    return {"role": role, "content": content}


def _status(index_dir: Path) -> str:
    from index.build import index_status

    try:
        status = index_status(Path(index_dir))
    except Exception as exc:  # the status line must not stop the UI
        return status_html(None, (), f"{type(exc).__name__}: {exc}")
    return status_html(status.to_json(), status.stale)


def parse_auth(value: str | None) -> list[tuple[str, str]] | None:
    """`user:password` as gradio's auth list; None when no auth is asked for."""
    from qa.cli import UserError

    if value is None:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user.strip() or not password:
        raise UserError("--auth / QA_AUTH must look like user:password (both parts non-empty)")
    return [(user.strip(), password)]


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, auth) -> str | None:
    if auth or is_loopback(host):
        return None
    return (f"warning: serving on {host} without --auth; anyone who can reach this machine can use the UI "
            "and API (set QA_AUTH=user:password or pass --auth)")


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, auth=None, **kwargs):
    """Start `demo` with the app's look; kwargs go to `Blocks.launch` (e.g. prevent_thread_lock)."""
    options = dict(server_name=host, server_port=port, auth=auth, share=False, inbrowser=False, quiet=True,
                   show_error=True, ssr_mode=False, theme=theme(), css=CSS, footer_links=["api", "settings"],
                   run_history=False, auth_message=f"Sign in to {TITLE}" if auth else None)
    options.update(kwargs)
    return demo.launch(**options)


def serve(index_dir: Path, host: str = "127.0.0.1", port: int = 7860, auth: str | None = None,
          data_dir: Path = Path("data")) -> None:
    """`qa serve`: check the options, load the assistant once, serve until interrupted."""
    from index.store import read_manifest
    from qa.assistant import Assistant
    from qa.cli import UserError

    credentials = parse_auth(auth)
    warning = exposure_warning(host, credentials)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    read_manifest(Path(index_dir))  # a missing index fails here, before the model loads
    assistant = Assistant.open(Path(index_dir))  # domain errors reach the CLI as one line
    demo = build_app(assistant, Path(index_dir), Path(data_dir))
    try:
        launch(demo, host, port, auth=credentials, prevent_thread_lock=True)
    except OSError as exc:
        raise UserError(f"cannot serve on {host}:{port} ({exc}); choose another --port or --host") from None
    url = f"http://{'[' + host + ']' if ':' in host else host}:{demo.server_port}/"
    print(f"Serving {TITLE} at {url} (Ctrl+C to stop)", flush=True)
    demo.block_thread()

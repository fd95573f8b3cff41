"""The web UI in a real browser (Chromium through Playwright) and through gradio_client.

The app is served on 127.0.0.1 at a free port, with the session's real assistant over the
seed index; feedback goes to a folder under the test's temporary directory.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
GOLD_QUESTION = "Which principles must the HLEAG process be based on?"
OFF_TOPIC = "What is the best recipe for lasagna?"
XSS_QUESTION = 'Is <img src=x onerror="window.__pwned=1"> safe? <script>window.__pwned=2</script>'
TIMEOUT_MS = 60_000

pytestmark = [
    pytest.mark.browser, pytest.mark.model, pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(assistant, index_dir: Path, data_dir: Path, auth=None, corpus_dir: Path | None = None, **options) -> SimpleNamespace:
    from qa.library import serving_library
    from qa.server import launch
    from qa.ui import build_app

    library = serving_library(assistant, corpus_dir or data_dir / "corpus", index_dir, **options)
    demo = build_app(library, data_dir, secret="test-secret")
    port = free_port()
    launch(demo, "127.0.0.1", port, auth=auth, prevent_thread_lock=True)
    return SimpleNamespace(demo=demo, url=f"http://127.0.0.1:{port}/", data_dir=data_dir, library=library)


@pytest.fixture(scope="module")
def served(assistant, seed_index, tmp_path_factory):
    app = start(assistant, seed_index, tmp_path_factory.mktemp("ui") / "data")
    yield app
    app.demo.close()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, url: str, width: int = 1400, height: int = 900):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    page.wait_for_selector("#question textarea")
    return context, page


@pytest.fixture
def page(browser, served):
    context, page = open_page(browser, served.url)
    yield page
    context.close()


def ask(page, question: str):
    """Type a question, send it, and return the locator of the new assistant message."""
    answers = page.locator("#chat .answer")
    before = answers.count()
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(f"document.querySelectorAll('#chat .answer').length > {before}")
    return answers.nth(before)


def _scrolled_into_view(page, viewer, seconds: float = 10.0) -> bool:
    """Whether the viewer's first mark comes to lie inside its text pane within `seconds` (a
    loaded machine renders and scrolls later than a quiet one)."""
    for _ in range(int(seconds / 0.1)):
        box = viewer.locator(".viewer-text").bounding_box()
        mark = viewer.locator("#viewer-passage mark").first.bounding_box()
        if box and mark and box["y"] <= mark["y"] and mark["y"] + mark["height"] <= box["y"] + box["height"] + 1:
            return True
        page.wait_for_timeout(100)
    return False


def test_cited_answer_opens_the_document_viewer(page, tmp_path):
    answer = ask(page, GOLD_QUESTION)
    assert "[1]" in answer.inner_text()
    assert answer.locator("a.cite").count() >= 1
    panel = page.locator("#sources-panel")
    assert panel.locator("mark").first.is_visible()
    assert "Possibly related" not in panel.inner_text()
    page.screenshot(path=str(tmp_path / "answer.png"))

    answer.locator("a.cite").first.click()
    viewer = page.locator("dialog.viewer[open]")
    viewer.locator("#viewer-passage mark").first.wait_for(state="visible")
    assert _scrolled_into_view(page, viewer)  # the viewer scrolls the passage into view after rendering
    assert "Civil Society Letter" in viewer.locator(".viewer-head").inner_text()
    page.screenshot(path=str(tmp_path / "viewer.png"))
    page.click("#viewer-close")
    viewer.wait_for(state="detached")

    # the citation cards in the sources panel open the viewer too
    panel.locator("a.cite").first.click()
    viewer.locator("#viewer-passage mark").first.wait_for(state="visible")
    page.keyboard.press("Escape")
    viewer.wait_for(state="detached")


def test_off_topic_question_abstains_with_related_passages(page, tmp_path):
    from qa.answer import NO_ANSWER

    answer = ask(page, OFF_TOPIC)
    assert NO_ANSWER in answer.inner_text()
    panel = page.locator("#sources-panel")
    text = panel.inner_text()
    assert "Possibly related" in text and "not evidence" in text
    assert panel.locator("li.card").count() <= 3
    page.screenshot(path=str(tmp_path / "abstained.png"))
    panel.locator("a.cite").first.click()  # a related passage opens in the viewer, without marks
    page.locator("dialog.viewer[open] #viewer-passage").wait_for(state="visible")
    assert page.locator("dialog.viewer[open] mark").count() == 0


def test_a_follow_up_question_is_read_with_the_previous_subject(page, tmp_path):
    ask(page, "What is the HLEAG?")
    answer = ask(page, "When was it supposed to be launched?")
    text = answer.inner_text()
    assert "Read as a follow-up: “When was the HLEAG supposed to be launched?”" in text
    assert "COP29" in text or "2024" in text, text
    # the user's own words stay in the conversation
    assert page.locator("#chat").get_by_text("When was it supposed to be launched?", exact=True).count() == 1
    page.screenshot(path=str(tmp_path / "follow-up.png"))

    ask(page, "What does the letter say about women?")
    answer = ask(page, "And the trade initiative?")  # the same question of another document
    text = answer.inner_text()
    assert "Read as a follow-up: “What does the trade initiative say about women?”" in text
    assert "women" in text.split("Note:")[0], text

    ask(page, "What principles does the trade initiative put forward?")
    answer = ask(page, "Tell me more about the second one")  # an item of the previous answer
    text = answer.inner_text()
    assert "Read as a follow-up: “Tell me more about Promote green trade liberalization and facilitation”" in text


def test_markup_in_a_question_is_shown_as_text(page, tmp_path):
    answer = ask(page, XSS_QUESTION)
    page.wait_for_timeout(500)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("#chat img[src='x']").count() == 0
    assert page.locator("#sources-panel img").count() == 0
    chat = page.locator("#chat").inner_text()
    assert '<img src=x onerror="window.__pwned=1">' in chat
    assert "<script>window.__pwned=2</script>" in chat
    assert answer.is_visible()
    page.screenshot(path=str(tmp_path / "xss.png"))


def test_invalid_questions_get_a_message(page):
    from qa.question import MAX_QUESTION_CHARS

    long = ask(page, "mining " * (MAX_QUESTION_CHARS // 7 + 10))
    assert f"the limit is {MAX_QUESTION_CHARS}" in long.inner_text()
    messages = page.locator("#chat .message").count()
    page.fill("#question textarea", "   ")  # blank input sends nothing: Ask is off, Enter does nothing
    page.wait_for_function("document.querySelector('#ask').disabled", timeout=10_000)
    page.press("#question textarea", "Enter")
    page.wait_for_timeout(700)
    assert page.locator("#chat .message").count() == messages
    assert "Traceback" not in page.locator("#chat").inner_text()


def test_examples_and_settings(page):
    from qa.ui import EXAMPLES

    answers = page.locator("#chat .answer")
    page.get_by_role("button", name=EXAMPLES[1]).click()  # an example asks its question at once
    page.wait_for_function("document.querySelectorAll('#chat .answer').length === 1")
    assert EXAMPLES[1] in page.locator("#chat").inner_text()
    assert answers.count() == 1

    page.get_by_text("Search settings").click()
    page.click("#doc-filter input")
    page.keyboard.type("UN EMG")
    page.locator("li[data-testid='dropdown-option']").first.click()
    page.locator("#mode").get_by_label("lexical").check()
    ask(page, "When did UNEA-4 adopt the resolution on mineral resource governance?")
    titles = page.locator("#sources-panel .doc-title").all_inner_texts()
    assert titles and all(t.startswith("UN EMG Nexus Dialogue") for t in titles)

def test_votes_are_recorded(page, served, tmp_path):
    feedback = served.data_dir / "feedback.jsonl"
    before = len(feedback.read_text().splitlines()) if feedback.exists() else 0
    ask(page, GOLD_QUESTION)
    page.fill("#feedback-comment textarea", "clear and well cited")
    page.locator("#chat button[aria-label='Like']").last.click()
    page.locator("#feedback-note").wait_for()
    page.locator("#chat button[aria-label='Dislike']").last.click()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        lines = feedback.read_text().splitlines() if feedback.exists() else []
        if len(lines) >= before + 2:
            break
        time.sleep(0.2)
    records = [json.loads(line) for line in lines[before:]]
    assert [r["vote"] for r in records] == ["up", "down"]
    up = records[0]
    assert up["question"] == GOLD_QUESTION and up["comment"] == "clear and well cited"
    assert up["citations"] and {"n", "doc_id", "chunk_id", "quote"} == set(up["citations"][0])
    assert records[1]["comment"] == ""  # the comment box is cleared once it is used
    page.screenshot(path=str(tmp_path / "feedback.png"))


def test_narrow_window_stacks_the_panels(browser, served, tmp_path):
    context, page = open_page(browser, served.url, width=420, height=860)
    try:
        ask(page, GOLD_QUESTION)
        chat = page.locator("#chat").bounding_box()
        panel = page.locator("#sources-panel").bounding_box()
        assert panel["y"] >= chat["y"] + chat["height"] - 1  # sources below the chat, not squeezed beside it
        assert page.evaluate("document.documentElement.scrollWidth") <= 421
        page.screenshot(path=str(tmp_path / "narrow.png"), full_page=True)
    finally:
        context.close()


def test_api_ask_returns_the_cli_json(served):
    from gradio_client import Client

    client = Client(served.url, verbose=False)
    result = client.predict(GOLD_QUESTION, api_name="/ask")
    data = json.loads(result) if isinstance(result, str) else result
    assert {"question", "answer", "abstained", "citations", "retrieved", "timings_ms"} <= set(data)
    assert data["question"] == GOLD_QUESTION and not data["abstained"] and "[1]" in data["answer"]
    assert data["citations"][0]["n"] == 1
    off = client.predict(OFF_TOPIC, 3, "lexical", api_name="/ask")
    assert off["abstained"] and off["citations"] == [] and len(off["retrieved"]) <= 3
    with pytest.raises(Exception, match="empty"):
        client.predict("  ", api_name="/ask")


def test_concurrent_clients_get_their_own_answers(served, gold_questions):
    from gradio_client import Client

    questions = gold_questions[:8]
    results: dict[int, dict] = {}
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            results[i] = Client(served.url, verbose=False).predict(questions[i], api_name="/ask")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(questions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert {i: r["question"] for i, r in results.items()} == {i: " ".join(q.split()) for i, q in enumerate(questions)}


def test_auth_guards_ui_and_api(assistant, seed_index, browser, tmp_path):
    from gradio_client import Client

    app = start(assistant, seed_index, tmp_path / "data", auth=[("reader", "s3cret")])
    try:
        with pytest.raises(Exception):
            Client(app.url, verbose=False).predict(GOLD_QUESTION, api_name="/ask")
        answer = Client(app.url, auth=("reader", "s3cret"), verbose=False).predict(GOLD_QUESTION, api_name="/ask")
        assert answer["question"] == GOLD_QUESTION
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.goto(app.url)
        page.wait_for_selector("input[type='password']", timeout=TIMEOUT_MS)
        assert page.locator("#question").count() == 0
        page.fill("input[type='password']", "s3cret")  # signing in through the page loads the app (qa.guard lets it)
        page.locator("input:not([type='password'])").first.fill("reader")
        page.locator("button[type='submit'], button:has-text('Login')").first.click()
        page.wait_for_selector("#question textarea", timeout=TIMEOUT_MS)
        assert "[1]" in ask(page, GOLD_QUESTION).inner_text()
        context.close()
    finally:
        app.demo.close()


def test_hostile_document_is_shown_as_text(browser, tmp_path):
    """A document whose text and title hold markup: panel and viewer show it, nothing runs."""
    from tests.test_ui import FakeAssistant

    app = start(FakeAssistant(), tmp_path / "no-index", tmp_path / "data")
    context, page = open_page(browser, app.url)
    try:
        ask(page, "What did the council agree?")
        page.locator("#sources-panel a.cite").first.click()
        page.locator("dialog.viewer[open] #viewer-passage mark").first.wait_for(state="visible")
        page.wait_for_timeout(500)
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.locator("img[src='x']").count() == 0
        assert "<script>window.__pwned=2</script>" in page.locator("dialog.viewer[open] .viewer-text").inner_text()
        assert '<img src=x onerror="window.__pwned=1">' in page.locator("#sources-panel").inner_text()
        assert "${value} and {{value}}" in page.locator("dialog.viewer[open]").inner_text()
        assert "Index status unavailable" in page.locator("#status-line").inner_text()
        page.screenshot(path=str(tmp_path / "hostile.png"))
    finally:
        context.close()
        app.demo.close()


@pytest.fixture(scope="module")
def gold_questions() -> list[str]:
    from tests.conftest import GOLD

    return [json.loads(line)["question"] for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


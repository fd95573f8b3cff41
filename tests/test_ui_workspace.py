"""The UI as a workspace, in a real browser: the library tab (upload, progress, remove), the
viewer as a modal dialog, contrast, history across a reload, input that sends once, and API
clients answered while a build runs.

Each test that changes the library serves its own copy of the seed corpus and index.
"""

from __future__ import annotations

import json
import shutil
import threading
import time

import pytest

from tests.conftest import SEED_CORPUS
from tests.pdf_helper import make_pdf
from tests.test_ui_browser import CHROMIUM, GOLD_QUESTION, ask, open_page, start

pytestmark = [
    pytest.mark.browser, pytest.mark.model, pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"),
]

PDF_FACT = "The Kivu Cobalt Ledger requires every smelter to publish its ore sources each quarter."
MD_FACT = "The Zambezi Lithium Compact caps export royalties at seven percent of mine-gate value."
MAX_TEST_UPLOAD = 200_000


@pytest.fixture
def workspace(assistant, seed_index, tmp_path, real_encoder):
    """A served copy of the seed library that tests may change."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(SEED_CORPUS, corpus)
    shutil.copytree(seed_index, index)
    from qa.assistant import Assistant

    app = start(Assistant.open(index, encoder=real_encoder), index, tmp_path / "data", corpus_dir=corpus,
                max_bytes=MAX_TEST_UPLOAD)
    yield app
    app.demo.close()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.test_ui_browser import CHROMIUM_ARGS

    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def upload(page, files: list[dict]) -> str:
    page.get_by_role("tab", name="Library").click()
    page.set_input_files("#upload input[type='file']", files=files)
    page.wait_for_timeout(500)
    page.click("#add-documents")
    page.locator("#library-change li").first.wait_for(timeout=240_000)
    return page.locator("#library-change").inner_text()


def boxed_pixels(image) -> int:
    """Pixels of the quote box's red (qa.pages.BOX_COLOUR, within 24 per channel) in the image as
    the browser decoded it, read back through a canvas."""
    from qa.pages import BOX_COLOUR

    return image.evaluate("""async (img, [r, g, b]) => {
        await img.decode();  // visible is not yet decoded
        const canvas = document.createElement('canvas');
        canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
        const context = canvas.getContext('2d');
        context.drawImage(img, 0, 0);
        const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
        let count = 0;
        for (let i = 0; i < data.length; i += 4) {
            if (Math.abs(data[i] - r) <= 24 && Math.abs(data[i + 1] - g) <= 24 && Math.abs(data[i + 2] - b) <= 24) count++;
        }
        return count;
    }""", list(BOX_COLOUR))


def test_upload_ask_view_the_original_page_and_remove(browser, workspace, tmp_path):
    context, page = open_page(browser, workspace.url)
    try:
        pdf = make_pdf([["Minerals oversight annex", "Section 2. Reporting duties", PDF_FACT]], title="Kivu annex")
        text = upload(page, [{"name": "kivu-annex.pdf", "mimeType": "application/pdf", "buffer": pdf},
                             {"name": "zambezi.md", "mimeType": "text/markdown",
                              "buffer": f"# Zambezi Lithium Compact\n\n{MD_FACT}\n".encode()}])
        assert "Added kivu-annex.pdf" in text and "Added zambezi.md" in text, text
        assert "Zambezi Lithium Compact" in page.locator("#doc-table").inner_text()
        page.screenshot(path=str(tmp_path / "uploaded.png"))

        page.get_by_role("tab", name="Ask").click()
        answer = ask(page, "What does the Kivu Cobalt Ledger require smelters to publish?")
        assert "ore sources" in answer.inner_text(), answer.inner_text()
        answer.locator("a.cite").first.click()
        dialog = page.locator("dialog.viewer[open]")
        dialog.locator(".viewer-page img").wait_for(state="visible")
        caption = dialog.locator(".viewer-page figcaption").inner_text()
        assert "Page 1 of the original PDF" in caption and "(0 of" not in caption, caption
        assert boxed_pixels(dialog.locator(".viewer-page img").first) > 200  # the box is drawn in the image shown
        page.screenshot(path=str(tmp_path / "pdf-page.png"))
        page.keyboard.press("Escape")

        answer = ask(page, "What does the Zambezi Lithium Compact cap export royalties at?")
        assert "seven percent" in answer.inner_text()

        page.get_by_role("tab", name="Library").click()
        page.click("#remove-choice input")
        page.locator("li[data-testid='dropdown-option']", has_text="Zambezi").first.click()
        page.click("#remove")
        page.click("#confirm-remove")
        page.wait_for_function("document.querySelector('#library-change').innerText.includes('Removed')", timeout=240_000)
        assert "Zambezi" not in page.locator("#doc-table").inner_text()
        assert not (workspace.library.corpus_dir / "zambezi.md").exists()
    finally:
        context.close()


def test_rejected_uploads_say_why_in_one_line(browser, workspace):
    context, page = open_page(browser, workspace.url)
    try:
        # a type the library does not read is refused by the upload route itself (qa.guard)
        page.get_by_role("tab", name="Library").click()
        page.set_input_files("#upload input[type='file']", files=[
            {"name": "tool.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90\x00"},
            {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"mining"}])
        error = page.locator(".toast-body, [data-testid='toast-body']").filter(has_text="tool.exe").first
        error.wait_for(timeout=30_000)
        assert "allowed" in error.inner_text()  # Gradio's page checks the types it was given (file_types)
        assert page.locator("#upload").get_attribute("class") is not None
        # a file above the size limit is named in the library's list of changes
        text = upload(page, [{"name": "big.txt", "mimeType": "text/plain", "buffer": b"mining " * 40_000}])
        lines = page.locator("#library-change li").all_inner_texts()
        assert "big.txt: 0.3 MB is over the 0.2 MB limit for uploads" in lines, text
        assert all("\n" not in line for line in lines)
        assert not (workspace.library.corpus_dir / "tool.exe").exists()
        # a name with a folder in it is refused by the upload route; the page shows its one-line reason
        page.set_input_files("#upload input[type='file']", files=[
            {"name": "../evil.md", "mimeType": "text/markdown", "buffer": b"# Evil\n\nmining\n"}])
        error = page.locator(".toast-body, [data-testid='toast-body']").filter(has_text="evil.md").first
        error.wait_for(timeout=30_000)
        reason = [line for line in error.inner_text().splitlines() if "evil.md" in line]
        assert reason == ["HTTP 415: '../evil.md': file names may not contain a folder or '..'; rename the file"], reason
        assert not (workspace.library.corpus_dir / "evil.md").exists()
        assert not (workspace.library.corpus_dir.parent / "evil.md").exists()
        assert (workspace.library.corpus_dir / "notes.txt").exists()  # the accepted file stayed chosen
    finally:
        context.close()


def test_the_viewer_is_a_modal_dialog(browser, workspace):
    feedback = workspace.data_dir / "feedback.jsonl"
    context, page = open_page(browser, workspace.url)
    try:
        answer = ask(page, GOLD_QUESTION)
        link = answer.locator("a.cite[href^='#cite-']").first
        link.click()
        dialog = page.locator("dialog.viewer[open]")
        dialog.wait_for()
        assert dialog.get_attribute("aria-modal") == "true"
        assert page.evaluate("document.activeElement.closest('dialog.viewer') !== null")  # focus moved in
        box = dialog.bounding_box()
        page.mouse.click(box["x"] + box["width"] + 20 if box["x"] > 40 else 5, 5)  # the dimmed backdrop
        dialog.wait_for(state="detached")
        assert not feedback.exists()  # the click reached no control behind the backdrop

        link.click()
        dialog.wait_for()
        page.keyboard.press("Escape")
        dialog.wait_for(state="detached")
        assert page.evaluate("document.activeElement.getAttribute('href')") == link.get_attribute("href")
    finally:
        context.close()


def contrast(page, selector: str) -> float:
    """WCAG contrast of an element's text against the first opaque background behind it."""
    return page.evaluate("""(selector) => {
      const el = document.querySelector(selector);
      const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
      const lum = ([r, g, b]) => { const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
                                   return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
      let bg = null;
      for (let n = el; n && !bg; n = n.parentElement) {
        const c = rgb(getComputedStyle(n).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] === 1)) bg = c.slice(0, 3);
      }
      bg = bg || [255, 255, 255];
      const fg = rgb(getComputedStyle(el).color).slice(0, 3);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      return (a + 0.05) / (b + 0.05);
    }""", selector)


def toggle_theme(page) -> None:
    """Switch light and dark, then wait for the colours' transitions to end (a fixed pause measured
    them half-way on a loaded machine: 3.00 for the toggle)."""
    page.click("#theme-toggle")
    page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running')")
    page.wait_for_timeout(50)


def test_text_and_controls_meet_aa_contrast_in_both_themes(browser, workspace):
    context, page = open_page(browser, workspace.url)
    try:
        ask(page, GOLD_QUESTION)
        for theme in ("light", "dark"):
            ratios = {s: contrast(page, s) for s in ("#chat a.cite", "#ask", ".status", ".card-meta", ".app-header .tagline")}
            assert all(r >= 4.5 for r in ratios.values()), (theme, ratios)
            toggle_theme(page)
        assert page.get_by_role("textbox", name="Your question").count() == 1  # announced by its label
    finally:
        context.close()


LOW_CONTRAST = """() => {
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => { const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
                               return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const low = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent.trim()).join(' ').trim();
    const box = el.getBoundingClientRect(), style = getComputedStyle(el);
    if (!own || box.width <= 1 || box.height <= 1 || style.visibility === 'hidden' || style.opacity === '0') continue;
    let bg = null;
    for (let n = el; n && !bg; n = n.parentElement) {
      const c = rgb(getComputedStyle(n).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) bg = c.slice(0, 3);
    }
    bg = bg || [255, 255, 255];
    const c = rgb(style.color), alpha = c.length === 4 ? c[3] : 1;
    const fg = c.slice(0, 3).map((v, i) => v * alpha + bg[i] * (1 - alpha));
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < 4.5) low.push(`${ratio.toFixed(2)}: ${el.tagName.toLowerCase()} "${own.slice(0, 40)}"`);
  }
  return low;
}"""


def test_every_visible_text_meets_aa_contrast_on_both_tabs_and_themes(browser, workspace):
    """A sweep of every element with text of its own, not a chosen few: the chat with an answer,
    the search settings open, the library tab with its upload zone, in light and dark (hovered
    toggle included)."""
    context, page = open_page(browser, workspace.url)
    try:
        ask(page, GOLD_QUESTION)
        page.locator("#settings button").first.click()
        for theme in ("light", "dark"):
            assert page.evaluate(LOW_CONTRAST) == [], (theme, "ask")
            page.get_by_role("tab", name="Library").click()
            page.locator("#upload").wait_for()
            assert page.evaluate(LOW_CONTRAST) == [], (theme, "library")
            page.get_by_role("tab", name="Ask").click()
            toggle_theme(page)  # the pointer stays on the toggle: its hover colours are measured too
    finally:
        context.close()


def test_history_survives_a_reload_and_a_double_submit_sends_once(browser, workspace):
    context, page = open_page(browser, workspace.url)
    try:
        page.fill("#question textarea", GOLD_QUESTION)
        page.press("#question textarea", "Enter")
        page.click("#ask", force=True)  # right after Enter: must not send again, nor an empty question
        page.wait_for_function("document.querySelectorAll('#chat .answer').length >= 1")
        page.wait_for_timeout(1500)
        assert page.locator("#chat .answer").count() == 1
        assert page.locator("#chat .a-error").count() == 0
        page.reload()
        page.wait_for_selector("#question textarea")
        page.wait_for_function("document.querySelectorAll('#chat .answer').length === 1")
        assert GOLD_QUESTION in page.locator("#chat").inner_text()
        page.locator("#chat a.cite[href^='#cite-']").first.click()  # the restored citations still open
        page.locator("dialog.viewer[open]").wait_for()
        page.keyboard.press("Escape")
        page.locator("dialog.viewer[open]").wait_for(state="detached")
        page.click("#clear")
        page.wait_for_function("document.querySelectorAll('#chat .answer').length === 0")
        page.wait_for_timeout(1500)  # the browser store is written after the event
        page.reload()
        page.wait_for_selector("#question textarea")
        page.wait_for_timeout(1000)
        assert page.locator("#chat .answer").count() == 0
    finally:
        context.close()


def test_api_clients_are_answered_while_a_build_runs(workspace, gold_questions):
    from gradio_client import Client

    from qa.library import Upload

    extra = workspace.data_dir / "incoming" / "extra.md"
    extra.parent.mkdir(parents=True)
    extra.write_text("# Extra\n\n" + " ".join(f"Clause {i} sets a duty on tailings storage number {i}." for i in range(200)))
    errors, answered = [], []
    build = threading.Thread(target=lambda: workspace.library.add([Upload("extra.md", extra)]))

    def client(offset: int) -> None:
        api = Client(workspace.url, verbose=False)
        for i in range(25):
            try:
                data = api.predict(gold_questions[(offset + i) % len(gold_questions)], 5, "hybrid", api_name="/ask")
                answered.append(bool(data["answer"]))
            except Exception as exc:  # counted, not raised: every client runs to the end
                errors.append(repr(exc))

    threads = [threading.Thread(target=client, args=(n * 25,)) for n in range(8)]
    build.start()
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    build.join()
    assert errors == [] and len(answered) == 200 and all(answered)
    assert "extra" in workspace.library.assistant.documents, time.monotonic() - started


@pytest.fixture(scope="module")
def gold_questions() -> list[str]:
    from tests.conftest import GOLD

    return [json.loads(line)["question"] for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]

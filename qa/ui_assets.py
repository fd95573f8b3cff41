"""The web UI's page script and style sheet (`qa/ui.py` wires them in).

The page script installs one document-level click listener: a click on a product link
(`a.cite`, whose target names what it opens: `#cite-<turn>-<n>`, `#hit-<turn>-<rank>`,
`#doc-<position>-<offset>`, `#copy-<turn>-0`, `#retry-<turn>-0`) is sent to the server through a
visually hidden textbox's public `input` event, or handled in the page (copy). The viewer script
opens the dialog the server sends with `showModal()` (focus moves in, the page behind is inert,
Escape closes it), closes it on a click on the backdrop, and gives focus back to the link that
opened it.
"""

PAGE_JS = r"""
if (!window.__qaInstalled) {
  window.__qaInstalled = true;
  const send = (id, value) => {
    const box = document.querySelector(`#${id} textarea, #${id} input`);
    if (!box) return;
    box.value = JSON.stringify({...value, at: Date.now()});
    box.dispatchEvent(new Event('input', {bubbles: true}));
  };
  document.addEventListener('click', (e) => {
    const a = e.target && e.target.closest ? e.target.closest('a.cite') : null;
    if (!a) return;
    const m = /^#(cite|hit|doc|copy|retry)-(\d+)-(\d+)$/.exec(a.getAttribute('href') || '');
    if (!m) return;
    e.preventDefault();
    e.stopPropagation();
    const [kind, a1, a2] = [m[1], Number(m[2]), Number(m[3])];
    if (kind === 'copy') {
      const answer = a.closest('.answer');
      const text = answer ? answer.querySelector('.a-text').innerText + '\n\n' + (answer.querySelector('.a-sources') || {innerText: ''}).innerText : '';
      (navigator.clipboard ? navigator.clipboard.writeText(text) : Promise.reject()).then(
        () => { a.textContent = 'Copied'; setTimeout(() => { a.textContent = 'Copy answer'; }, 1500); },
        () => { a.textContent = 'Copy failed: select the text instead'; });
      return;
    }
    if (kind === 'retry') { send('retry-request', {turn: a1}); return; }
    if (!a.closest('dialog')) window.__qaOpener = a;
    send('view-request', {kind: kind, turn: a1, n: a2});
  }, true);
  const question = () => document.querySelector('#question textarea');
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && e.target === question() && !e.target.value.trim()) e.preventDefault();
  }, true);
}
"""

VIEWER_JS = r"""
const open = () => {
  const dialog = element.querySelector('dialog.viewer');
  if (!dialog || dialog.open || dialog.dataset.shown) return;
  dialog.dataset.shown = '1';
  const marks = [...dialog.querySelectorAll('.viewer-text mark')];
  const count = dialog.querySelector('.v-count');
  let at = 0;
  const show = (k) => {
    const target = marks.length ? marks[(k + marks.length) % marks.length] : dialog.querySelector('#viewer-passage');
    if (!target) return;
    if (marks.length) {
      at = (k + marks.length) % marks.length;
      marks.forEach((m) => m.classList.remove('current'));
      target.classList.add('current');
      if (count && marks.length > 1) count.textContent = `Quote ${at + 1} of ${marks.length}`;
    }
    const box = dialog.querySelector('.viewer-text');
    box.scrollTop += target.getBoundingClientRect().top - box.getBoundingClientRect().top - box.clientHeight / 3;
  };
  dialog.addEventListener('click', (e) => { if (e.target === dialog) dialog.close(); });
  dialog.addEventListener('close', () => {
    document.documentElement.classList.remove('viewer-open');
    const opener = window.__qaOpener;
    if (opener && opener.isConnected) opener.focus();
  });
  dialog.querySelector('.v-close').addEventListener('click', () => dialog.close());
  const prev = dialog.querySelector('.v-prev'), next = dialog.querySelector('.v-next');
  if (prev) prev.addEventListener('click', () => show(at - 1));
  if (next) next.addEventListener('click', () => show(at + 1));
  document.documentElement.classList.add('viewer-open');
  dialog.showModal();
  dialog.querySelector('.v-close').focus();
  requestAnimationFrame(() => show(0));
};
open();
watch('value', () => requestAnimationFrame(open));
"""

THEME_JS = """
() => {
  document.body.classList.toggle('dark');
  try { localStorage.setItem('qa-theme', document.body.classList.contains('dark') ? 'dark' : 'light'); } catch (e) {}
}
"""

LOAD_JS = """
() => {
  try { if (localStorage.getItem('qa-theme') === 'dark') document.body.classList.add('dark'); } catch (e) {}
}
"""

# Colours are chosen for WCAG AA (4.5:1) on the theme's backgrounds, light and dark.
CSS = """
:root { --qa-link: #0f766e; --qa-subdued: #475569; --qa-warn: #92400e; --qa-error: #b91c1c; }
.dark { --qa-link: #5eead4; --qa-subdued: #cbd5e1; --qa-warn: #fcd34d; --qa-error: #fca5a5; }
.gradio-container { max-width: 1500px !important; margin: 0 auto !important; }
.gradio-container { --body-text-color-subdued: var(--qa-subdued); --button-primary-background-fill: #0f766e;
  --button-primary-background-fill-hover: #115e59; --button-primary-text-color: #ffffff; --color-accent: var(--qa-link); }
.dark .gradio-container { --button-primary-background-fill: #115e59; --button-primary-background-fill-hover: #134e4a; }
.app-header h1 { font-size: 1.6rem; margin: 0.2rem 0 0.1rem; }
.app-header .tagline { margin: 0; color: var(--qa-subdued); }
.status { font-size: 0.85rem; color: var(--qa-subdued); }
.status .stale { color: var(--qa-warn); margin-top: 0.2rem; font-weight: 600; }
a.cite { color: var(--qa-link); font-weight: 600; text-decoration: none; cursor: pointer; white-space: nowrap; }
a.cite:hover { text-decoration: underline; }
:is(a, button, textarea, input, select, [tabindex]):focus-visible { outline: 3px solid var(--qa-link) !important; outline-offset: 2px; }
#question textarea:focus { outline: 3px solid var(--qa-link) !important; outline-offset: 1px; }
.answer .a-sources { margin-top: 0.45rem; font-size: 0.85rem; color: var(--qa-subdued); }
.answer .a-notice { margin-top: 0.4rem; font-size: 0.85rem; font-style: italic; }
.answer .a-tools { margin-top: 0.35rem; font-size: 0.8rem; display: flex; gap: 0.9rem; }
.answer .a-to-sources { display: none; color: var(--qa-link); }
.answer.a-error { color: var(--qa-error); }
.q-text, .a-line { white-space: pre-wrap; overflow-wrap: anywhere; }
.a-line + .a-line { margin-top: 0.25rem; }
mark { background: #fde68a; color: #111827; padding: 0 1px; border-radius: 2px; }
mark.current { outline: 2px solid #b45309; }
#sources-panel .sources { max-height: 68vh; overflow-y: auto; padding-right: 4px; }
.sources .src-question { font-weight: 600; margin-bottom: 0.4rem; overflow-wrap: anywhere; }
.sources ol.cards { list-style: none; padding: 0; margin: 0; }
.sources .card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.6rem 0.75rem;
  margin-bottom: 0.6rem; background: var(--background-fill-secondary); }
.sources .card-head { font-weight: 600; }
.card-meta { font-size: 0.8rem; color: var(--qa-subdued); margin: 0.15rem 0 0.35rem; }
.sources blockquote.passage { margin: 0 0 0.35rem; padding-left: 0.6rem; border-left: 3px solid var(--border-color-accent);
  font-size: 0.9rem; line-height: 1.45; white-space: pre-wrap; overflow-wrap: anywhere; }
.sources .related-title { margin: 0.3rem 0 0.1rem; font-size: 1rem; }
.sources .not-support { font-size: 0.85rem; color: var(--qa-warn); margin: 0 0 0.5rem; }
.muted { color: var(--qa-subdued); }
html.viewer-open, html.viewer-open body { overflow: hidden !important; }
dialog.viewer { width: min(1200px, 96vw); max-height: 94vh; padding: 0; border: none; border-radius: 12px;
  background: var(--background-fill-primary); color: var(--body-text-color); box-shadow: 0 20px 50px rgba(0, 0, 0, 0.35); }
dialog.viewer::backdrop { background: rgba(15, 23, 42, 0.55); }
.viewer-frame { padding: 14px; display: flex; flex-direction: column; max-height: 94vh; box-sizing: border-box; }
.viewer-head { display: flex; justify-content: space-between; gap: 1rem; flex-wrap: wrap; margin-bottom: 0.4rem; }
.viewer-head h2 { font-size: 1.1rem; margin: 0; }
.viewer-head .badge { color: var(--qa-link); }
.viewer-tools { display: flex; gap: 0.6rem; align-items: center; flex-wrap: wrap; }
.viewer-tools button { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 0.25rem 0.7rem;
  background: var(--background-fill-secondary); color: var(--body-text-color); cursor: pointer; }
.viewer-tools .v-url { color: var(--qa-link); }
.viewer-body { display: grid; grid-template-columns: 1fr; gap: 12px; min-height: 0; overflow: hidden; }
.viewer-body.with-page { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
.viewer-page { margin: 0; overflow: auto; max-height: calc(94vh - 120px); }
.viewer-page img { width: 100%; height: auto; border: 1px solid var(--border-color-primary); }
.viewer-page figcaption { font-size: 0.8rem; color: var(--qa-subdued); }
.viewer-pages { overflow: auto; max-height: calc(94vh - 120px); display: grid; gap: 0.75rem; align-content: start; }
.viewer-pages .viewer-page { max-height: none; overflow: visible; }
.viewer-text { white-space: pre-wrap; overflow-y: auto; max-height: calc(94vh - 120px); line-height: 1.6;
  font-family: Georgia, 'Times New Roman', serif; padding-right: 8px; overflow-wrap: anywhere; }
.viewer-text .v-more { display: block; margin: 0.4rem 0; font-family: var(--font); }
.viewer-text .passage { background: #e0f2fe; color: #111827; border-radius: 3px; box-shadow: 0 0 0 2px #bae6fd; }
.doc-table { width: 100%; border-collapse: collapse; font-size: 0.9rem; }
.doc-table caption { text-align: left; color: var(--qa-subdued); margin-bottom: 0.3rem; }
.doc-table th, .doc-table td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid var(--border-color-primary); }
.doc-table td.num { text-align: right; }
ul.change { margin: 0.3rem 0; padding-left: 1.1rem; }
ul.change-bad li { color: var(--qa-error); }
#example-row button { font-size: 0.85rem; }
@media (max-width: 760px) {
  .app-header { position: sticky; top: 0; z-index: 50; background: var(--background-fill-primary); padding: 4px 0; }
  .app-header h1 { font-size: 1.2rem; }
  .app-header .tagline { display: none; }
  .answer .a-to-sources { display: inline; }
  dialog.viewer { width: 100vw; max-width: 100vw; max-height: 100vh; border-radius: 0; }
  .viewer-body.with-page { grid-template-columns: 1fr; overflow-y: auto; }
  #sources-panel .sources { max-height: none; }
}
"""

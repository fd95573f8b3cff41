"""HTML for the web UI: answers with clickable citations, the sources panel, the document viewer.

Everything here works on the JSON form of an answer (`Answer.to_json()`), so what the UI
shows is what the API returns. Every piece of text that comes from a question or a
document goes through `esc` before it is put into markup; the only tags in the output are
the ones written in this module.
"""

from __future__ import annotations

import html
import re

MARKER = re.compile(r"\[(\d+)\]")
RELATED_SHOWN = 3


def esc(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def where(section: str, page) -> str:
    parts = [section] if section else []
    if page is not None:
        parts.append(f"p. {page}")
    return " · ".join(parts)


def cite_link(turn: int, n: int, kind: str = "cite", label: str | None = None, title: str = "") -> str:
    """A link the page script turns into "open the document viewer at this passage".

    Its target says what it opens: `#cite-<turn>-<n>` (citation n of answer `turn`) or
    `#hit-<turn>-<rank>` (a passage retrieved for an answer that abstained).
    """
    text = esc(label if label is not None else f"[{n}]")
    tip = f' title="{esc(title)}"' if title else ""
    return f'<a class="cite" href="#{kind}-{int(turn)}-{int(n)}"{tip}>{text}</a>'


def question_html(question: str) -> str:
    return f'<div class="q-text">{esc(question)}</div>'


def answer_html(answer: dict, turn: int) -> str:
    """The assistant's chat message: the answer with its [n] markers as links, then its sources."""
    cited = {c["n"]: c for c in answer["citations"]}

    def link(match: re.Match) -> str:
        n = int(match.group(1))
        return cite_link(turn, n, title=cited[n]["title"]) if n in cited else match.group(0)

    body = MARKER.sub(link, esc(answer["answer"]))
    parts = [f'<div class="a-text">{body}</div>']
    if answer.get("notice"):
        parts.append(f'<div class="a-notice">Note: {esc(answer["notice"])}</div>')
    if answer["abstained"]:
        if answer["retrieved"]:
            parts.append('<div class="a-sources a-related">No passage supports an answer. '
                         'Possibly related passages are listed beside the chat (not evidence).</div>')
    else:
        items = "; ".join(f'{cite_link(turn, c["n"])} {esc(c["title"])}' for c in answer["citations"])
        parts.append(f'<div class="a-sources">Sources: {items}</div>')
    return f'<div class="answer">{"".join(parts)}</div>'


def error_html(message: str) -> str:
    return f'<div class="answer a-error">⚠ {esc(message)}</div>'


def highlight(text: str, base: int, spans) -> str:
    """`text` (which starts at document offset `base`) escaped, with the document spans marked."""
    end = base + len(text)
    clipped = sorted((max(s, base), min(e, end)) for s, e in spans if s < end and e > base)
    merged: list[list[int]] = []
    for s, e in clipped:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out, at = [], base
    for s, e in merged:
        out.append(esc(text[at - base:s - base]))
        out.append(f"<mark>{esc(text[s - base:e - base])}</mark>")
        at = e
    out.append(esc(text[at - base:]))
    return "".join(out)


def quote_spans(citation: dict) -> list[tuple[int, int]]:
    quotes = citation.get("quotes") or [{"start": citation["start"], "end": citation["end"]}]
    return [(q["start"], q["end"]) for q in quotes]


def sources_html(answer: dict | None, turn: int = 0) -> str:
    """The panel beside the chat: the latest answer's citations, or what was retrieved when it abstained."""
    if answer is None:
        return ('<div class="sources empty"><p class="muted">Sources of the latest answer appear here, '
                "with the quoted sentences highlighted. Click a citation to read it in its document.</p></div>")
    head = f'<div class="src-question">Sources for “{esc(answer["question"])}”</div>'
    if answer["abstained"]:
        hits = answer["retrieved"][:RELATED_SHOWN]
        if not hits:
            return f'<div class="sources">{head}<p class="muted">Nothing related was found.</p></div>'
        cards = "".join(_hit_card(h, turn) for h in hits)
        return (f'<div class="sources related">{head}<h3 class="related-title">Possibly related passages</h3>'
                '<p class="not-support">No answer was given: these passages came up in the search but do not '
                f'support an answer. They are not evidence.</p><ol class="cards">{cards}</ol></div>')
    cards = "".join(_citation_card(c, turn) for c in answer["citations"])
    return f'<div class="sources">{head}<ol class="cards">{cards}</ol></div>'


def _citation_card(c: dict, turn: int) -> str:
    meta = " · ".join(x for x in (where(c["section"], c["page"]), f'score {c["score"]:.3f}') if x)
    passage = highlight(c["text"], c["passage_start"], quote_spans(c))
    return (f'<li class="card" id="cite-{int(turn)}-{int(c["n"])}">'
            f'<div class="card-head">{cite_link(turn, c["n"], title="Open in the document")} '
            f'<span class="doc-title">{esc(c["title"])}</span></div>'
            f'<div class="card-meta">{esc(meta)}</div>'
            f'<blockquote class="passage">{passage}</blockquote>'
            f'{cite_link(turn, c["n"], label="Show in document →")}</li>')


def _hit_card(h: dict, turn: int) -> str:
    meta = " · ".join(x for x in (where(h["section"], h["page"]), f'score {h["score"]:.3f}') if x)
    return (f'<li class="card hit" id="hit-{int(turn)}-{int(h["rank"])}">'
            f'<div class="card-head"><span class="doc-title">{esc(h["title"])}</span></div>'
            f'<div class="card-meta">{esc(meta)}</div>'
            f'<blockquote class="passage">{esc(h["text"])}</blockquote>'
            f'{cite_link(turn, h["rank"], kind="hit", label="Show in document →")}</li>')


def viewer_html(doc, start: int, end: int, spans, label: str = "") -> str:
    """The whole cleaned document with the passage start..end set apart and the spans marked."""
    text = doc.text
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    byline = " · ".join(esc(x) for x in (doc.author, doc.date, doc.doc_type) if x)
    badge = f'<span class="badge">{esc(label)}</span> ' if label else ""
    return (f'<div class="viewer" data-doc="{esc(doc.doc_id)}">'
            f'<div class="viewer-head">{badge}<span class="doc-title">{esc(doc.title)}</span>'
            f'<div class="card-meta">{byline}</div></div>'
            f'<div class="viewer-text">{esc(text[:start])}'
            f'<span class="passage" id="viewer-passage">{highlight(text[start:end], start, spans)}</span>'
            f"{esc(text[end:])}</div></div>")


def status_html(status: dict | None, stale: list[str] | tuple[str, ...], error: str = "") -> str:
    if status is None:
        return f'<div class="status">Index status unavailable: {esc(error)}</div>'
    line = (f'{status["documents"]} documents · {status["chunks"]} chunks · model {esc(status["model"])} · '
            f'index built {esc(status["built_at"])}')
    warn = ""
    if stale:
        shown = ", ".join(esc(s) for s in list(stale)[:5]) + (" …" if len(stale) > 5 else "")
        warn = (f'<div class="stale">⚠ The corpus changed since the index was built ({len(stale)} '
                f'file{"s" if len(stale) != 1 else ""}: {shown}); answers use the old index until '
                "<code>qa index build</code> runs.</div>")
    return f'<div class="status">{line}{warn}</div>'


def header_html(documents: dict) -> str:
    kinds = sorted({d.doc_type for d in documents.values() if d.doc_type})
    what = f" ({esc(', '.join(kinds))})" if kinds else ""
    return ('<div class="app-header"><h1>Mining Governance Q&amp;A</h1>'
            f'<p class="tagline">Ask about {len(documents)} document{"" if len(documents) == 1 else "s"} on mining and mineral-resource governance'
            f"{what}. Every answer quotes its sources; click a [n] to read the passage in its document.</p></div>")

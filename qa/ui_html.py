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
    """The assistant's chat message: the answer with its [n] markers as links, then its sources
    (each document named once), then copy and retry."""
    cited = {c["n"]: c for c in answer["citations"]}
    lines = [f'<div class="a-line">{line}</div>' for line in marked(answer["answer"], cited, turn).split("\n")]
    parts = [f'<div class="a-text">{"".join(lines)}</div>']
    if answer.get("notice"):
        parts.append(f'<div class="a-notice">Note: {esc(answer["notice"])}</div>')
    if answer["abstained"]:
        if answer["retrieved"]:
            parts.append('<div class="a-sources a-related">No passage supports an answer. '
                         'Possibly related passages are listed with the sources (not evidence).</div>')
    else:
        by_title: dict[str, list[int]] = {}
        for c in answer["citations"]:
            by_title.setdefault(c["title"], []).append(c["n"])
        items = "; ".join(" ".join(cite_link(turn, n) for n in ns) + f" {esc(title)}" for title, ns in by_title.items())
        parts.append(f'<div class="a-sources">Sources: {items}</div>')
    parts.append(f'<div class="a-tools"><a class="cite a-copy" href="#copy-{int(turn)}-0">Copy answer</a> '
                 f'<a class="cite a-retry" href="#retry-{int(turn)}-0">Retry</a> '
                 '<a class="a-to-sources" href="#sources-panel">Sources ↓</a></div>')
    return f'<div class="answer">{"".join(parts)}</div>'


CHECKING = "Checking each sentence against the passages…"


def partial_html(sentences: list[str]) -> str:
    """An LLM answer while it arrives: the sentences verified so far (their markers plain text;
    they become links, with the sources, when the answer is whole) and a note that it goes on."""
    lines = f'<div class="a-line">{esc(" ".join(sentences))}</div>'
    return (f'<div class="answer a-partial"><div class="a-text">{lines}</div>'
            f'<div class="a-notice" role="status">{esc(CHECKING)}</div></div>')


def marked(text: str, cited: dict, turn: int) -> str:
    """`text` escaped, with each of the product's citation markers as a link: a marker is a `[n]`
    right after a quote of citation n, so a bracketed number inside a quote stays text."""
    out, at = [], 0
    for match in MARKER.finditer(text):
        n = int(match.group(1))
        before = text[:match.start()].rstrip()
        ours = n in cited and any(before.endswith(q) for q in _quotes(cited[n]))
        if ours:
            out.append(esc(text[at:match.start()]))
            out.append(cite_link(turn, n, title=cited[n]["title"]))
            at = match.end()
    out.append(esc(text[at:]))
    return "".join(out)


def _quotes(citation: dict) -> list[str]:
    return [q["quote"] for q in citation.get("quotes") or []] or [citation.get("quote", "")]


def relevance(citation_or_hit: dict, retrieved: list[dict]) -> str:
    """A plain-language label for how a passage came up in the search."""
    rank = next((h["rank"] for h in retrieved if h["chunk_id"] == citation_or_hit["chunk_id"]), None)
    if rank == 1:
        return "best match of the search"
    if rank is not None:
        return f"match {rank} of {len(retrieved)} in the search"
    return "next to a passage the search found"


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
        cards = "".join(_hit_card(h, turn, answer["retrieved"]) for h in hits)
        return (f'<div class="sources related">{head}<h3 class="related-title">Possibly related passages</h3>'
                '<p class="not-support">No answer was given: these passages came up in the search but do not '
                f'support an answer. They are not evidence.</p><ol class="cards">{cards}</ol></div>')
    cards = "".join(_citation_card(c, turn, answer["retrieved"]) for c in answer["citations"])
    return f'<div class="sources">{head}<ol class="cards">{cards}</ol></div>'


def _citation_card(c: dict, turn: int, retrieved: list[dict]) -> str:
    meta = " · ".join(x for x in (where(c["section"], c["page"]), relevance(c, retrieved)) if x)
    passage = highlight(c["text"], c["passage_start"], quote_spans(c))
    return (f'<li class="card" id="cite-{int(turn)}-{int(c["n"])}">'
            f'<div class="card-head">{cite_link(turn, c["n"], title="Open in the document")} '
            f'<span class="doc-title">{esc(c["title"])}</span></div>'
            f'<div class="card-meta">{esc(meta)}</div>'
            f'<blockquote class="passage">{passage}</blockquote>'
            f'{cite_link(turn, c["n"], label="Show in document →")}</li>')


def _hit_card(h: dict, turn: int, retrieved: list[dict]) -> str:
    meta = " · ".join(x for x in (where(h["section"], h["page"]), relevance(h, retrieved)) if x)
    return (f'<li class="card hit" id="hit-{int(turn)}-{int(h["rank"])}">'
            f'<div class="card-head"><span class="doc-title">{esc(h["title"])}</span></div>'
            f'<div class="card-meta">{esc(meta)}</div>'
            f'<blockquote class="passage">{esc(h["text"])}</blockquote>'
            f'{cite_link(turn, h["rank"], kind="hit", label="Show in document →")}</li>')


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


def documents_html(documents: dict, passages: dict[str, int]) -> str:
    """The library as a table: title (opening the document), author, date, type, passages."""
    if not documents:
        return '<p class="muted">The library is empty: add documents below.</p>'
    rows = "".join(
        f'<tr><td><a class="cite" href="#doc-{position}-0">{esc(d.title)}</a></td><td>{esc(d.author)}</td>'
        f'<td>{esc(d.date)}</td><td>{esc(d.doc_type)}</td><td class="num">{passages.get(d.doc_id, 0)}</td></tr>'
        for position, d in enumerate(documents.values())
    )
    return (f'<table class="doc-table"><caption>{len(documents)} document{"" if len(documents) == 1 else "s"}; '
            'click a title to read it</caption><thead><tr><th scope="col">Title</th><th scope="col">Author</th>'
            '<th scope="col">Date</th><th scope="col">Type</th><th scope="col">Passages</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def change_html(lines: list[str], ok: bool) -> str:
    """The outcome of adding or removing documents: one line each."""
    kind = "change-ok" if ok else "change-bad"
    return f'<ul class="change {kind}">' + "".join(f"<li>{esc(line)}</li>" for line in lines) + "</ul>"

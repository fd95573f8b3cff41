"""Plain-text rendering of an answer for a person at a terminal."""

from __future__ import annotations

import textwrap

from qa.composer import ITEM_LEAD
from qa.records import Answer


def _where(section: tuple[str, ...], page: int | None) -> str:
    parts = []
    if section:
        parts.append(" › ".join(section))
    if page is not None:
        parts.append(f"p. {page}")
    return ", ".join(parts)


def render_answer(answer: Answer, width: int = 100, text: bool = True) -> str:
    """The answer, its note and its sources; `text=False`: all but the answer's text (shown
    already, as it streamed)."""
    lines = [textwrap.fill(line, width, subsequent_indent="   " if ITEM_LEAD.match(line) else "") for line in answer.text.split("\n")] if text else []
    if answer.notice:
        lines += ["", f"note: {answer.notice}"]
    if answer.abstained:
        if answer.retrieved:
            lines += ["", "Possibly related passages (not evidence for an answer):"]
            for hit in answer.retrieved[:3]:
                where = _where(hit.chunk.section, hit.chunk.page)
                lines.append(f"  - {hit.chunk.title}{' — ' + where if where else ''}")
        return "\n".join(lines)
    lines += ["", "Sources:"]
    for c in answer.citations:
        where = _where(c.chunk.section, c.chunk.page)
        lines.append(f"[{c.n}] {c.chunk.title}{' — ' + where if where else ''}  (score {c.score:.3f})")
        for q in c.quotes:
            lines.append(textwrap.fill(f"“{q.text}”", width, initial_indent="    ", subsequent_indent="    "))
    return "\n".join(lines)

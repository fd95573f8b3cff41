"""Markdown to blocks: front matter to metadata, template tags out, then one HTML parser.

Markdown exported from static sites (Jekyll, Hugo) is mostly HTML with some Markdown in
between, so the reader renders it to HTML with markdown-it-py and hands that to
`corpus.html.html_blocks`, the reader of .html pages: one parser for both formats, and raw
HTML blocks inside Markdown (custom elements, tables, panels) are read like any page.

Steps, in `read_markdown`:

1. decode (`corpus.readers.decode`: byte-order mark, UTF-8, cp1252/Latin-1) and normalise
   line endings;
2. front matter (YAML between `---` lines, or TOML between `+++` lines) becomes `meta`
   (title, author, date) and leaves the text; YAML that does not parse is read as simple
   `key: value` lines;
3. template tags (`{% ... %}`, `{{ ... }}`, `{# ... #}`, and Liquid `{% comment %}` blocks)
   and `<!-- comments -->` are removed: they are instructions to the site generator, not
   text, and `{{ page.title }}` would otherwise show as words;
4. markdown-it-py, "commonmark" preset with raw HTML allowed, GFM tables and strikethrough
   on, and the indented-code rule OFF: static-site HTML is indented with tabs and spaces,
   and CommonMark reads any line indented by four columns after a blank line as a code
   block, so a `\t\t<div>` line would become literal text with its tags showing. Nobody
   writes indented code in these documents (fenced code still works);
5. `html_blocks` turns the HTML into headings, paragraphs, list items (one per item; an
   item's continuation paragraphs are PARAGRAPH blocks right after it) and table rows.
   Links keep their anchor text, images are dropped (alt text is not prose), emphasis
   markers go with the `<em>`/`<strong>` tags; footnotes (`[^1]`, mdit-py-plugins) become
   NOTE blocks and their reference marks are dropped.

Title: the front matter's title, else the first level-1 heading, else none.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from corpus.errors import UnreadableDocument
from corpus.html import TAG_REMOVED, clean_text, html_blocks, page_title
from corpus.raw import HEADING, RawDocument
from corpus.readers import decode, read_bytes

FRONT_MATTER = "front matter"
TEMPLATE_TAG = "template tag"
COMMENT = "HTML comment"
AUTHOR_KEYS = ("author", "authors", "publisher", "organisation", "organization")
DATE_KEYS = ("date", "year")
MARKDOWN_PRESET = "commonmark"
MARKDOWN_RULES_ON = ("table", "strikethrough")
MARKDOWN_RULES_OFF = ("code",)  # indented code: see the module docstring

_FRONT = re.compile(r"\A(?:---[ \t]*\n(?P<yaml>.*?)\n(?:---|\.\.\.)|\+\+\+[ \t]*\n(?P<toml>.*?)\n\+\+\+)[ \t]*(?:\n|\Z)", re.DOTALL)
_TEMPLATE = re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}|\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_SOURCE_TAG = re.compile(r"<[a-zA-Z][^>]*>")  # start tags: one per element
_SIMPLE_PAIR = re.compile(r"^([A-Za-z_][\w-]*)\s*[:=]\s*(.*)$")
_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


@dataclass(frozen=True)
class FrontMatter:
    fields: dict[str, object]
    body: str  # the text after the front matter


def read_markdown(path: Path) -> Iterator[RawDocument]:
    """One document from a Markdown file, read step by step (see the module docstring)."""
    decoded = decode(path, read_bytes(path))
    text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
    removed: Counter[str] = Counter()
    front = split_front_matter(text)
    if front.fields or front.body != text:
        removed[FRONT_MATTER] += 1
    meta = front_matter_meta(front.fields)
    body, removed[TEMPLATE_TAG] = _TEMPLATE.subn("", front.body)
    body, removed[COMMENT] = _COMMENT.subn("", body)
    html, source_tags = render_markdown(body)
    blocks, found = html_blocks(html)
    removed.update({k: n for k, n in found.items() if k != TAG_REMOVED})
    removed[TAG_REMOVED] = source_tags  # the tags the file holds, not those markdown-it wrote
    if not blocks:
        raise UnreadableDocument(str(path), "no text in the Markdown")
    title = page_title(meta.get("title", "")) or next((b.text for b in blocks if b.kind == HEADING and b.level == 1), "")
    yield RawDocument(
        blocks=tuple(blocks), title=title, meta=meta, removed={k: n for k, n in removed.items() if n}, warnings=decoded.warnings
    )


def split_front_matter(text: str) -> FrontMatter:
    """The front matter's fields and the text after it; no front matter: no fields, all text."""
    found = _FRONT.match(text)
    if not found:
        return FrontMatter({}, text)
    if found.group("toml") is not None:
        fields = _toml_fields(found.group("toml"))
    else:
        fields = _yaml_fields(found.group("yaml"))
    return FrontMatter(fields, text[found.end():])


def _yaml_fields(source: str) -> dict[str, object]:
    import yaml

    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError:
        data = None
    return data if isinstance(data, dict) else _simple_fields(source)


def _toml_fields(source: str) -> dict[str, object]:
    import tomllib

    try:
        return tomllib.loads(source)
    except tomllib.TOMLDecodeError:
        return _simple_fields(source)


def _simple_fields(source: str) -> dict[str, object]:
    """`key: value` lines; an indented line continues the value above it (a folded title)."""
    fields: dict[str, object] = {}
    key = ""
    for line in source.split("\n"):
        pair = _SIMPLE_PAIR.match(line)
        if pair:
            key = pair.group(1)
            fields[key] = pair.group(2).strip()
        elif key and line[:1].isspace() and line.strip():
            fields[key] = f"{fields[key]} {line.strip()}".strip()
    return {k: str(v).strip().strip("\"'") for k, v in fields.items()}


def front_matter_meta(fields: dict[str, object]) -> dict[str, str]:
    """title, author and date, each as one clean line, from the front matter's fields."""
    lowered = {str(k).lower(): v for k, v in fields.items()}
    meta = {
        "title": _one_line(lowered.get("title")),
        "author": next((a for a in (_one_line(lowered.get(k)) for k in AUTHOR_KEYS) if a), ""),
        "date": next((d for d in (_date(lowered.get(k)) for k in DATE_KEYS) if d), ""),
    }
    return {k: v for k, v in meta.items() if v}


def _one_line(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(t for t in (_one_line(v) for v in value) if t)
    if isinstance(value, dict):
        return _one_line(value.get("name") or "")
    return clean_text(str(value)) if value is not None else ""


def _date(value: object) -> str:
    """YYYY-MM-DD; as much of it as the value holds (a bare year stays "2003")."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    found = _ISO_DATE.match(str(value or "").strip())
    if not found:
        return ""
    year, month, day = found.groups()
    return "-".join([year, *(f"{int(part):02d}" for part in (month, day) if part)])


def render_markdown(text: str) -> tuple[str, int]:
    """HTML from Markdown, and the number of tags written in the Markdown's own raw HTML."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin

    md = MarkdownIt(MARKDOWN_PRESET, {"html": True}).enable(list(MARKDOWN_RULES_ON)).disable(list(MARKDOWN_RULES_OFF))
    md.use(footnote_plugin)  # `[^1]` references and `[^1]: ...` notes: a footnotes section, read as notes
    tokens = md.parse(text)
    raw = [t.content for t in tokens if t.type == "html_block"]
    raw += [c.content for t in tokens if t.type == "inline" for c in t.children or () if c.type == "html_inline"]
    return md.renderer.render(tokens, md.options, {}), sum(len(_SOURCE_TAG.findall(r)) for r in raw)

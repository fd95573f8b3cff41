"""HTML to blocks: the one markup reader, for .html pages and for rendered Markdown.

`html_blocks` parses with BeautifulSoup (lxml), keeps the main content (the first `<main>`,
else `role="main"`, else every `<article>`, else the body) and walks it in document order.

Dropped, and counted in `removed`: scripts and styles; embedded and interactive elements
(img, svg, iframe, form ...); "navigation": nav, header, footer, aside, roles
navigation/banner/contentinfo/search, an id or class that is exactly "header", "nav",
"menu", "breadcrumb" ..., a menu row (nothing but two or more short link labels: a row of
`<a href="#">` tabs; a list of document titles is content), a breadcrumb (links whose only
other text is separators: "How it works /"); hidden elements (`hidden`,
`aria-hidden="true"`, inline `display:none`); footnote markers (a `<sup>` holding only a
fragment link, a footnote class or id, or a mark such as "*"; a bare digit is an
exponent: km²); blocks without a letter or digit. "HTML tag" counts every
tag, since each is either dropped or unwrapped to its text.

Structure: h1-h6 are headings; p, pre, blockquote, dt, dd, figcaption, caption and any
element with text of its own are paragraphs; each `li` is a list item starting "- " (`ul`)
or "N. " (`ol`, from `start`), level = nesting depth, and further paragraphs of an item
(a loose list's continuation paragraphs) are PARAGRAPH blocks right after it, so an item
stays one short line; each `tr` is a table row, cells joined by " | " (all `th`, or in
`thead`: a header). An element is a block container when it holds block-level descendants
and inline otherwise, so unknown and custom elements need no list: `<process-step>`
holding `<p>`s is a container, `<glossary-term>` inside a sentence is inline text.

Custom elements (a hyphen in the name) often show attributes as text, rendered by their
script: one whose name ends in "name", "title", "heading" or "label" (`stepName="Plan"`)
becomes a heading one level below the heading the element sits under (nested ones one
further down); one ending in "intro", "summary" or "description" a paragraph. Class names
(`className`) are not text; an element left with no text gives no heading.

Footnote sections (`class="footnotes"`, `role="doc-endnotes"`) give NOTE blocks. Inline:
links keep their anchor text, `<br>` ends a paragraph, whitespace collapsed, entities
decoded, NFC; Markdown link syntax left literal in raw HTML (`[anchor](http...)`) is
reduced to its anchor text, image syntax dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from corpus.errors import UnreadableDocument
from corpus.raw import HEADING, LIST_ITEM, NOTE, PARAGRAPH, TABLE_HEADER, TABLE_ROW, RawBlock, RawDocument
from corpus.readers import decode, read_bytes

TAG_REMOVED = "HTML tag"
NAVIGATION = "navigation"
HIDDEN = "hidden element"
SCRIPT = "script/style"
EMBEDDED = "embedded element"
FOOTNOTE_MARKER = "footnote marker"
PUNCTUATION = "separator text"  # a block with no letter or digit: "/", "* * *"

SCRIPT_TAGS = ("script", "style", "noscript", "template")
DROPPED_TAGS = {
    **dict.fromkeys((*SCRIPT_TAGS, "head"), SCRIPT),
    **dict.fromkeys(("nav", "header", "footer", "aside"), NAVIGATION),
    **dict.fromkeys(("form", "button", "select", "input", "textarea", "iframe", "svg", "canvas", "img", "picture",
                     "video", "audio", "object", "embed", "map"), EMBEDDED),
}
CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "search"})
CHROME_NAMES = frozenset({"header", "footer", "nav", "navbar", "navigation", "menu", "breadcrumb", "breadcrumbs", "masthead", "skip-link"})
HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
PARAGRAPH_TAGS = frozenset({"p", "pre", "blockquote", "dt", "dd", "figcaption", "caption", "address", "summary"})
TABLE_PARTS = frozenset({"table", "thead", "tbody", "tfoot", "tr", "td", "th", "colgroup", "col"})
BLOCK_TAGS = frozenset(
    {*HEADING_TAGS, *PARAGRAPH_TAGS, *TABLE_PARTS, "div", "section", "article", "main", "body", "html", "ul", "ol",
     "li", "dl", "figure", "hr", "details", "fieldset", "center", "hgroup"}
)
SKELETON_TAGS = frozenset({"html", "body"})  # added by the parser around a fragment; not counted
HEADING_ATTRIBUTES = ("name", "title", "heading", "label")
PARAGRAPH_ATTRIBUTES = ("intro", "summary", "description")
MENU_MIN_LINKS = 2
MENU_LINK_MAX_WORDS = 4  # menu labels are short; a list of document titles is content
BREADCRUMB_SEPARATORS = frozenset("/>»›|\\→·•:")
FOOTNOTE_CLASSES = frozenset({"footnotes", "footnote-list", "endnotes"})
NOTE_ROLES = frozenset({"doc-endnotes", "doc-footnotes"})

_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_TITLE_SEPARATOR = re.compile(r"\s+[|•·»]\s+")  # "Page | Section | Site"
_FOOTNOTE_NAME = re.compile(r"fn|foot|note|ref", re.IGNORECASE)
_FOOTNOTE_SYMBOL = re.compile(r"^\s*[*†‡§]\s*$")
_FOOTNOTE_NUMBER = re.compile(r"^\s*[\[(]?(?:\d{1,3}|[ivxlc]{1,5}|[*†‡§])[\])]?\s*$", re.IGNORECASE)
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\((?:[a-z][a-z0-9+.-]*:|/|#|\.)[^)]*\)", re.IGNORECASE)
_MD_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")  # not "__": identifiers such as __init__
_SPACE = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_LETTER = re.compile(r"[^\W\d_]")
_ALNUM = re.compile(r"[^\W_]")
LINE_BREAK = "\n"  # marks a <br> inside collected inline text; source whitespace never survives as "\n"


@dataclass
class _Item:
    """A list item being read: its first text becomes the item, later text plain paragraphs."""

    marker: str
    depth: int
    used: bool = False


@dataclass(frozen=True)
class _Context:
    item: _Item | None = None
    list_depth: int = 0
    custom_level: int = 0  # heading level for a custom element's title; 0: below the last heading
    note: bool = False


@dataclass
class _Walk:
    """What a walk has produced so far."""

    block_ids: set[int]  # ids of the block-level elements and of those holding one
    blocks: list[RawBlock] = field(default_factory=list)
    section_level: int = 0  # level of the last real heading
    removed: Counter = field(default_factory=Counter)

    def emit(self, kind: str, text: str, level: int = 0) -> None:
        text = clean_text(text)
        if _ALNUM.search(text):
            self.blocks.append(RawBlock(kind, text, level))
        elif text:
            self.removed[PUNCTUATION] += 1


def clean_text(text: str) -> str:
    """One line of reading text: Markdown link syntax reduced, whitespace collapsed, NFC."""
    text = _MD_IMAGE.sub(" ", text.translate(_INVISIBLE))
    text = _MD_STRONG.sub(r"\1", _MD_LINK.sub(r"\1", text))
    return unicodedata.normalize("NFC", _SPACE.sub(" ", text).strip())


def html_blocks(html: str) -> tuple[list[RawBlock], dict[str, int]]:
    """The blocks of an HTML page or fragment and the counts of what was removed."""
    return _soup_blocks(parse_html(html))


def read_html(path: Path) -> Iterator[RawDocument]:
    """One document from an HTML file; title from `<title>`, else the first h1."""
    decoded = decode(path, read_bytes(path))
    soup = parse_html(decoded.text)
    title_tag = soup.find("title")
    title = page_title(clean_text(title_tag.get_text(" "))) if title_tag else ""
    blocks, removed = _soup_blocks(soup)
    if not blocks:
        raise UnreadableDocument(str(path), "no text in the HTML")
    if not title:
        title = next((b.text for b in blocks if b.kind == HEADING and b.level == 1), "")
    yield RawDocument(blocks=tuple(blocks), title=title, removed=removed, warnings=decoded.warnings)


def page_title(title: str) -> str:
    """A page's own title without the site's name a web page appends to it
    ("Federal Laws | How It Works | Natural Resources Revenue Data" is "Federal Laws")."""
    parts = [p.strip() for p in _TITLE_SEPARATOR.split(title)]
    return parts[0] if len(parts) > 1 and _ALNUM.search(parts[0]) else title


def parse_html(html: str):
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "lxml", multi_valued_attributes=None)  # "class" stays one string


def _soup_blocks(soup) -> tuple[list[RawBlock], dict[str, int]]:
    from bs4 import Comment

    removed: Counter[str] = Counter()
    removed[TAG_REMOVED] = sum(1 for el in soup.find_all(True) if el.name not in SKELETON_TAGS)
    comments = soup.find_all(string=lambda s: isinstance(s, Comment))
    removed["HTML comment"] = len(comments)
    for comment in comments:
        comment.extract()
    _prune(soup, lambda el: SCRIPT if el.name in SCRIPT_TAGS else None, removed)
    roots = _main_content(soup)
    for root in roots:
        _prune(root, _structural_reason, removed)
        _prune(root, _textual_reason, removed)
    walk = _Walk(block_ids=_block_ids(soup), removed=removed)
    for root in roots:
        _block(root, walk, _Context())
    return walk.blocks, {k: n for k, n in removed.items() if n}


def _main_content(soup) -> list:
    for found in (soup.find("main"), soup.find(attrs={"role": "main"})):
        if found is not None:
            return [found]
    articles = [a for a in soup.find_all("article") if a.find_parent("article") is None]
    return articles or [soup.body or soup]


def _prune(root, reason_of, removed: Counter) -> None:
    """Remove, top down, every element `reason_of` gives a reason for; a removed one is not entered."""
    stack = [iter(list(root.children))]
    while stack:
        el = next(stack[-1], None)
        if el is None:
            stack.pop()
        elif getattr(el, "name", None) is not None:
            reason = reason_of(el)
            if reason:
                removed[reason] += 1
                el.decompose()
            else:
                stack.append(iter(list(el.children)))


def _structural_reason(el) -> str | None:
    """Why an element is dropped for what it is: its tag, role, visibility or chrome name."""
    reason = DROPPED_TAGS.get(el.name)
    if el.name == "header" and el.find_parent(("article", "main")) is not None:
        reason = None  # an article's own header holds its title
    if reason:
        return reason
    attrs = el.attrs
    if "hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true" or _HIDDEN_STYLE.search(str(attrs.get("style", ""))):
        return HIDDEN
    chrome = str(attrs.get("role", "")).lower() in CHROME_ROLES or _names(el) & CHROME_NAMES
    return NAVIGATION if chrome else None


def _textual_reason(el) -> str | None:
    """Why an element is dropped for its text: a menu row, a breadcrumb, a footnote marker."""
    if el.name == "a" and str(el.get("href", "")).startswith("#") and not _ALNUM.search(el.get_text()):
        return FOOTNOTE_MARKER  # a back link from a footnote: "↩"
    if el.name == "sup":
        links = el.find_all("a")
        fragments = links and all(str(a.get("href", "")).startswith("#") for a in links)
        named = _FOOTNOTE_NAME.search(f"{el.get('class', '')} {el.get('id', '')}")  # class is one string here
        marker = _FOOTNOTE_NUMBER.match(el.get_text()) and (named or _FOOTNOTE_SYMBOL.match(el.get_text()))
        return FOOTNOTE_MARKER if fragments or marker else None  # a bare digit is an exponent: km²
    if el.name in TABLE_PARTS or el.name in HEADING_TAGS or _is_link(el) or not (el.name in BLOCK_TAGS or _is_custom(el)):
        return None
    rest = _text_outside_links(el)
    links = el.find_all(_is_link) if rest is not None else ()  # None: prose of its own
    if links and rest:
        return NAVIGATION  # links and separators: a breadcrumb
    short = all(0 < len(a.get_text().split()) <= MENU_LINK_MAX_WORDS for a in links)
    return NAVIGATION if len(links) >= MENU_MIN_LINKS and short else None


def _text_outside_links(el) -> str | None:
    """The separators outside the element's links, or None once it has other text there.

    One pass that skips link subtrees and stops at the first character of prose, so a large
    container costs no more than its first sentence.
    """
    found: list[str] = []
    stack = [iter(el.children)]
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
        elif getattr(node, "name", None) is None:
            text = str(node).strip()
            if any(not ch.isspace() and ch not in BREADCRUMB_SEPARATORS for ch in text):
                return None
            found.append(text)
        elif not _is_link(node):
            stack.append(iter(node.children))
    return "".join(found)


def _names(el) -> set[str]:
    """The id and class names of an element (`className` too, as JSX-style custom elements write it)."""
    classes = " ".join(str(v) for k, v in el.attrs.items() if k in ("class", "classname"))
    return {str(el.attrs.get("id", "")).lower(), *classes.lower().split()}


def _is_link(el) -> bool:
    """An `<a>`, or any element with an `href`, or a custom element with `to` (a router link)."""
    return el.name == "a" or "href" in el.attrs or (_is_custom(el) and "to" in el.attrs)


def _is_custom(el) -> bool:
    return "-" in el.name


def _block_ids(soup) -> set[int]:
    """Ids of the block-level elements and of every element holding one, in one pass."""
    found: set[int] = set()
    for el in soup.find_all(True):
        if el.name not in BLOCK_TAGS and not any(_shown_attributes(el)):
            continue
        found.add(id(el))
        parent = el.parent
        while parent is not None and id(parent) not in found:
            found.add(id(parent))
            parent = parent.parent
    return found


def _shown_attributes(el) -> tuple[list[str], list[str]]:
    """A custom element's attributes that its page shows as a heading and as a paragraph."""
    headings: list[str] = []
    paragraphs: list[str] = []
    for name, value in el.attrs.items() if _is_custom(el) else ():
        name = name.lower()
        if "class" in name or not isinstance(value, str) or not _LETTER.search(value):
            continue
        if name.endswith(HEADING_ATTRIBUTES):
            headings.append(value)
        elif name.endswith(PARAGRAPH_ATTRIBUTES):
            paragraphs.append(value)
    return headings, paragraphs


def _block(el, walk: _Walk, ctx: _Context) -> None:
    """Emit one block-level element."""
    name = el.name
    if name in HEADING_TAGS:
        level = int(name[1])
        before = len(walk.blocks)
        walk.emit(HEADING, _text(el, line_break=" "), level)
        if len(walk.blocks) > before:
            walk.section_level = level
    elif name in ("ul", "ol"):
        _list(el, walk, ctx)
    elif name == "table":
        _table(el, walk, ctx)
    elif _is_note_section(el):
        _container(el, walk, replace(ctx, note=True))
    elif _is_custom(el) and any(_shown_attributes(el)):
        _custom(el, walk, ctx)
    else:
        _container(el, walk, ctx)


def _is_note_section(el) -> bool:
    return bool(_names(el) & FOOTNOTE_CLASSES) or str(el.attrs.get("role", "")).lower() in NOTE_ROLES


def _custom(el, walk: _Walk, ctx: _Context) -> None:
    headings, paragraphs = _shown_attributes(el)
    if not el.get_text().strip() and not paragraphs:
        return
    level = min(ctx.custom_level or walk.section_level + 1, 6)
    for text in headings:
        walk.emit(HEADING, text, level)
    for text in paragraphs:
        walk.emit(PARAGRAPH, text)
    _container(el, walk, replace(ctx, custom_level=min(level + 1, 6) if headings else ctx.custom_level))


def _list(el, walk: _Walk, ctx: _Context) -> None:
    ordered = el.name == "ol"
    number = _int(el.get("start"), 1)
    depth = ctx.list_depth + 1
    for child in el.children:
        if getattr(child, "name", None) is None:
            if str(child).strip():
                walk.emit(PARAGRAPH, str(child))
            continue
        if child.name != "li":
            _block(child, walk, ctx)
            continue
        number = _int(child.get("value"), number)
        item = _Item(f"{number}. " if ordered else "- ", depth)
        _container(child, walk, replace(ctx, item=item, list_depth=depth))
        number += 1


def _int(value, default: int) -> int:
    return int(value) if str(value).strip().isdigit() else default


def _table(el, walk: _Walk, ctx: _Context) -> None:
    for part in el.find_all(("caption", "tr")):
        if part.find_parent("table") is not el:
            continue  # a nested table is read as the text of its cell
        if part.name == "caption":
            walk.emit(PARAGRAPH, _text(part, line_break=" ", block_gap=" "))
            continue
        cells = part.find_all(("td", "th"), recursive=False)
        texts = [clean_text(_text(c, line_break=" ", block_gap=" ")) for c in cells]
        while texts and not texts[-1]:
            texts.pop()  # empty trailing cells; inner ones stay, keeping the columns
        if not texts:
            continue
        header = all(c.name == "th" for c in cells) or part.find_parent("thead") is not None
        walk.emit(NOTE if ctx.note else TABLE_HEADER if header else TABLE_ROW, " | ".join(texts))


def _container(el, walk: _Walk, ctx: _Context) -> None:
    """Children in order: each run of inline content is one paragraph, block children recurse."""
    run: list[str] = []
    for child in el.children:
        name = getattr(child, "name", None)
        if name is None:
            run.append(_string(child))
        elif name == "br":
            run.append(LINE_BREAK)
        elif id(child) in walk.block_ids:
            _flush(run, walk, ctx)
            _block(child, walk, ctx)
        else:
            run.append(_text(child))
    _flush(run, walk, ctx)


def _flush(run: list[str], walk: _Walk, ctx: _Context) -> None:
    for part in "".join(run).split(LINE_BREAK):
        text = clean_text(part)
        if not text:
            continue
        item = ctx.item
        if item is not None and not item.used:
            item.used = True
            walk.emit(NOTE if ctx.note else LIST_ITEM, item.marker + text, 0 if ctx.note else item.depth)
        else:
            walk.emit(NOTE if ctx.note else PARAGRAPH, text)
    run.clear()


def _string(node) -> str:
    from bs4.element import PreformattedString

    if isinstance(node, PreformattedString):
        return ""  # a comment, doctype, CDATA section or processing instruction
    return _SPACE.sub(" ", str(node))


def _text(el, line_break: str = LINE_BREAK, block_gap: str = "") -> str:
    """An element's text, every source whitespace one space; `<br>` gives `line_break`.

    Inline content keeps `<br>` as LINE_BREAK for `_flush` to split on; a table cell or a
    caption is one line, so its `<br>`s and block-level children give a space.
    """
    parts: list[str] = []
    for node in el.descendants:
        name = getattr(node, "name", None)
        if name is None:
            parts.append(_string(node))
        elif name == "br":
            parts.append(line_break)
        elif block_gap and name in BLOCK_TAGS:
            parts.append(block_gap)
    return "".join(parts)

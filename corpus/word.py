"""Word (.docx) to blocks: body paragraphs and tables in document order.

python-docx opens the package, but the body is read from its XML directly
(`document.element.body`): `document.paragraphs` and `document.tables` come as two separate
lists, losing the order of a table between two paragraphs, and `paragraph.style` looks the
style up afresh for every paragraph, which is slow on long files. Here style ids are mapped
to style names once, and each body element is visited once, so the work is linear in the
size of the XML; an empty `<w:p/>` costs one length check.

- Headings: styles "Heading N" (level N) and "Title" (level 1).
- List items: a paragraph with numbering (`w:numPr`, level = `w:ilvl` + 1) or a "List ..."
  style ("List Bullet 2": level 2); text starts with "- ".
- Table rows: cells joined by " | "; the first row is a TABLE_HEADER when it is marked as a
  repeating header row (`w:tblHeader`) or when all its text is bold.
- Content controls (`w:sdt`) are read through; table-of-contents paragraphs (styles "TOC N",
  "TOC Heading") are left out and counted; deleted text, field codes and the fallback copy
  of alternate content are not text.
- Core properties give the title, author and created date (YYYY-MM-DD); python-docx's own
  template values (author "python-docx", created 2013-12-23) are not the document's.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from corpus.errors import UnreadableDocument
from corpus.raw import HEADING, LIST_ITEM, PARAGRAPH, TABLE_HEADER, TABLE_ROW, RawBlock, RawDocument
from corpus.readers import read_bytes

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
W_P, W_TBL, W_TR, W_TC, W_SDT, W_SDT_CONTENT = (f"{W}{n}" for n in ("p", "tbl", "tr", "tc", "sdt", "sdtContent"))
W_PPR, W_PSTYLE, W_NUMPR, W_ILVL, W_NUMID, W_VAL = (f"{W}{n}" for n in ("pPr", "pStyle", "numPr", "ilvl", "numId", "val"))
W_R, W_T, W_TAB, W_BR, W_CR, W_NBHYPHEN = (f"{W}{n}" for n in ("r", "t", "tab", "br", "cr", "noBreakHyphen"))
W_RPR, W_B, W_TRPR, W_TBLHEADER = (f"{W}{n}" for n in ("rPr", "b", "trPr", "tblHeader"))
W_STYLE, W_STYLEID, W_NAME, W_CUSTOMXML = (f"{W}{n}" for n in ("style", "styleId", "name", "customXml"))
MC_FALLBACK = f"{MC}Fallback"  # the copy of alternate content for old readers
SKIPPED_SUBTREES = frozenset({MC_FALLBACK, f"{W}del", f"{W}instrText", f"{W}delText", f"{W}pPr", f"{W}rPr"})
RUN_TEXT = {W_TAB: " ", W_BR: " ", W_CR: " ", W_NBHYPHEN: "-"}
FALSE_VALUES = frozenset({"0", "false", "off", "none"})
TEMPLATE_AUTHOR = "python-docx"
TEMPLATE_CREATED = "2013-12-23"
TABLE_OF_CONTENTS = "table of contents"
LIST_BULLET = "- "

_HEADING_STYLE = re.compile(r"^heading\s*([1-6])$", re.IGNORECASE)
_LIST_STYLE = re.compile(r"^list\b.*?(\d)?$", re.IGNORECASE)
_TOC_STYLE = re.compile(r"^toc\b", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Properties:
    title: str
    meta: dict[str, str]


def read_docx(path: Path) -> Iterator[RawDocument]:
    """One document from a .docx file, its body read in order."""
    read_bytes(path)
    document = _open(path)
    styles = style_names(document)
    removed: Counter[str] = Counter()
    blocks = list(body_blocks(document.element.body, styles, removed))
    if not blocks:
        raise UnreadableDocument(str(path), "the .docx holds no text")
    props = core_properties(document)
    title = props.title or next((b.text for b in blocks if b.kind == HEADING and b.level == 1), "")
    yield RawDocument(blocks=tuple(blocks), title=title, meta=props.meta, removed={k: n for k, n in removed.items() if n})


def _open(path: Path):
    import docx

    try:
        return docx.Document(str(path))
    except Exception as exc:  # python-docx raises zip, XML and key errors for damaged files
        raise UnreadableDocument(str(path), f"not a valid .docx ({type(exc).__name__})") from exc


def style_names(document) -> dict[str, str]:
    """Paragraph style id -> style name ("Heading1" -> "heading 1"), read once from styles.xml."""
    try:
        root = document.styles.element
    except Exception:  # a package without styles
        return {}
    names: dict[str, str] = {}
    for style in root.iterchildren(W_STYLE):
        name = style.find(W_NAME)
        names[style.get(W_STYLEID, "")] = name.get(W_VAL, "") if name is not None else ""
    return names


def body_blocks(body, styles: dict[str, str], removed: Counter) -> Iterator[RawBlock]:
    """Paragraphs and tables of the body in document order; content controls read through."""
    for el in body.iterchildren():
        tag = el.tag
        if tag == W_P:
            block = _paragraph_block(el, styles, removed)
            if block is not None:
                yield block
        elif tag == W_TBL:
            yield from _table_blocks(el)
        elif tag in (W_SDT, W_CUSTOMXML):
            content = el.find(W_SDT_CONTENT) if tag == W_SDT else el
            if content is not None:
                yield from body_blocks(content, styles, removed)


def _paragraph_block(p, styles: dict[str, str], removed: Counter) -> RawBlock | None:
    if len(p) == 0 or (len(p) == 1 and p[0].tag == W_PPR):
        return None  # an empty paragraph: the common case in a long file, decided at once
    text = paragraph_text(p)
    if not text:
        return None
    ppr = p.find(W_PPR)
    style_id = ppr.find(W_PSTYLE) if ppr is not None else None
    style = styles.get(style_id.get(W_VAL, ""), "") if style_id is not None else ""
    if _TOC_STYLE.match(style):
        removed[TABLE_OF_CONTENTS] += 1
        return None
    heading = _HEADING_STYLE.match(style)
    if heading:
        return RawBlock(HEADING, text, int(heading.group(1)))
    if style.lower() == "title":
        return RawBlock(HEADING, text, 1)
    numbering = ppr.find(W_NUMPR) if ppr is not None else None
    if numbering is not None and _val(numbering.find(W_NUMID)) not in ("", "0"):
        return RawBlock(LIST_ITEM, LIST_BULLET + text, _int(_val(numbering.find(W_ILVL))) + 1)
    listed = _LIST_STYLE.match(style)
    if listed:
        return RawBlock(LIST_ITEM, LIST_BULLET + text, int(listed.group(1) or 1))
    return RawBlock(PARAGRAPH, text)


def paragraph_text(p) -> str:
    """A paragraph's text on one line: `w:t` of its runs, tabs and breaks as spaces."""
    parts: list[str] = []
    stack = [iter(p)]
    while stack:  # depth first, skipping subtrees that are not text (deleted, fallback copies)
        el = next(stack[-1], None)
        if el is None:
            stack.pop()
            continue
        tag = el.tag
        if tag == W_T:
            parts.append(el.text or "")
        elif tag in RUN_TEXT:
            parts.append(RUN_TEXT[tag])
        elif tag not in SKIPPED_SUBTREES and len(el):
            stack.append(iter(el))
    return unicodedata.normalize("NFC", _SPACE.sub(" ", "".join(parts)).strip())


def _table_blocks(tbl) -> Iterator[RawBlock]:
    rows = [r for r in tbl.iterchildren(W_TR)]
    for index, row in enumerate(rows):
        cells = [" ".join(t for t in (paragraph_text(p) for p in tc.iter(W_P)) if t) for tc in row.iterchildren(W_TC)]
        while cells and not cells[-1]:
            cells.pop()  # empty trailing cells; inner ones stay, keeping the columns
        if not cells:
            continue
        kind = TABLE_HEADER if index == 0 and _is_header_row(row) else TABLE_ROW
        yield RawBlock(kind, _SPACE.sub(" ", " | ".join(cells)))  # an inner empty cell: "a | | c"


def _is_header_row(row) -> bool:
    props = row.find(W_TRPR)
    if props is not None and props.find(W_TBLHEADER) is not None and _val(props.find(W_TBLHEADER)).lower() not in FALSE_VALUES:
        return True
    runs = [r for r in row.iter(W_R) if any((t.text or "").strip() for t in r.iterchildren(W_T))]
    return bool(runs) and all(_is_bold(r) for r in runs)


def _is_bold(run) -> bool:
    props = run.find(W_RPR)
    bold = props.find(W_B) if props is not None else None
    return bold is not None and _val(bold).lower() not in FALSE_VALUES


def _val(el) -> str:
    return el.get(W_VAL, "") if el is not None else ""


def _int(value: str) -> int:
    return int(value) if value.isdigit() else 0


def core_properties(document) -> Properties:
    """Title, author and created date; python-docx's template defaults are left out."""
    try:
        props = document.core_properties
        title, author, created = props.title or "", props.author or "", props.created
    except Exception:  # a damaged core.xml loses the metadata, not the document
        return Properties("", {})
    date = created.date().isoformat() if created is not None else ""
    meta = {
        "title": _SPACE.sub(" ", title).strip(),
        "author": "" if author == TEMPLATE_AUTHOR else _SPACE.sub(" ", author).strip(),
        "date": "" if date == TEMPLATE_CREATED else date,
    }
    meta = {k: v for k, v in meta.items() if v}
    return Properties(meta.get("title", ""), meta)

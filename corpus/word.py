"""Word (.docx) to blocks: body paragraphs and tables in document order.

The package is read with `zipfile` and lxml, not python-docx: its object model parses the
whole body into Python-backed elements before anything is read (2 million empty paragraphs:
10-30 s and 1.3-1.6 GB), and gives paragraphs and tables as two separate lists, losing the
order of a table between two paragraphs. Here the body is streamed (`iterparse`): each of its
paragraphs, tables and content controls is read once, in order, and dropped, so time is
linear in the size of the XML and memory stays flat; an empty `<w:p/>` costs one length check.
Style ids are mapped to style names once, from the styles part.

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

import io
import posixpath
import re
import unicodedata
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

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
W_DOCUMENT, W_BODY, W_DEL = (f"{W}{n}" for n in ("document", "body", "del"))
MC_FALLBACK = f"{MC}Fallback"  # the copy of alternate content for old readers
SKIPPED_SUBTREES = frozenset({MC_FALLBACK, W_DEL, f"{W}instrText", f"{W}delText", W_PPR, W_RPR})
RUN_TEXT = {W_TAB: " ", W_BR: " ", W_CR: " ", W_NBHYPHEN: "-"}
FEED_BYTES = 1 << 20  # XML fed to the parser at a time; what it parsed is read and dropped after each feed
RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
DOCUMENT_REL, STYLES_REL, CORE_REL = "/officeDocument", "/styles", "/core-properties"  # relationship types end so
DEFAULT_MAIN_PART = "word/document.xml"
DC_TITLE, DC_CREATOR = "{http://purl.org/dc/elements/1.1/}title", "{http://purl.org/dc/elements/1.1/}creator"
DCTERMS_CREATED = "{http://purl.org/dc/terms/}created"


class NotAWordDocument(ValueError):
    """The package's main part is not a WordprocessingML document (a renamed .xlsx ...)."""


UNREADABLE_PACKAGE = (NotAWordDocument, zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, etree.XMLSyntaxError, OSError, EOFError,
                      zlib.error, NotImplementedError, RuntimeError)  # RuntimeError: an encrypted zip entry
FALSE_VALUES = frozenset({"0", "false", "off", "none"})
TEMPLATE_AUTHOR = "python-docx"
TEMPLATE_CREATED = "2013-12-23"
TABLE_OF_CONTENTS = "table of contents"
LIST_BULLET = "- "

_HEADING_STYLE = re.compile(r"^heading\s*([1-6])$", re.IGNORECASE)
_LIST_STYLE = re.compile(r"^list\b.*?(\d)?$", re.IGNORECASE)
_TOC_STYLE = re.compile(r"^toc\b", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_CREATED = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


@dataclass(frozen=True)
class Properties:
    title: str
    meta: dict[str, str]


def read_docx(path: Path) -> Iterator[RawDocument]:
    """One document from a .docx file, its body read in order."""
    data = read_bytes(path)
    removed: Counter[str] = Counter()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            main = _main_part(package)
            styles = style_names(_parse(package, _related(package, main, STYLES_REL)))
            blocks = list(_stream_body(package, main, styles, removed))
            props = core_properties(_parse(package, _related(package, "", CORE_REL)))
    except UNREADABLE_PACKAGE as exc:  # a damaged zip, a missing part, broken XML
        raise UnreadableDocument(str(path), f"not a valid .docx ({type(exc).__name__})") from exc
    if not blocks:
        raise UnreadableDocument(str(path), "the .docx holds no text")
    title = props.title or next((b.text for b in blocks if b.kind == HEADING and b.level == 1), "")
    yield RawDocument(blocks=tuple(blocks), title=title, meta=props.meta, removed={k: n for k, n in removed.items() if n})


def _main_part(package: zipfile.ZipFile) -> str:
    return _related(package, "", DOCUMENT_REL) or DEFAULT_MAIN_PART


def _related(package: zipfile.ZipFile, source: str, kind: str) -> str:
    """The part that `source` ("" for the package) links to with a relationship of `kind`."""
    folder, name = posixpath.split(source)
    rels = _parse(package, posixpath.join(folder, "_rels", f"{name}.rels"))
    for rel in rels.iter(RELATIONSHIP) if rels is not None else ():
        if rel.get("Type", "").endswith(kind) and rel.get("TargetMode") != "External":
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
    return ""


def _parse(package: zipfile.ZipFile, part: str):
    """A small part's XML root (relationships, styles, properties); None when it is absent."""
    try:
        data = package.read(part) if part else None
    except KeyError:
        return None
    return etree.fromstring(data, _PARSER) if data is not None else None


def _stream_body(package: zipfile.ZipFile, part: str, styles: dict[str, str], removed: Counter) -> Iterator[RawBlock]:
    """The body's paragraphs, tables and content controls in order, streamed: the XML is fed to
    the parser `FEED_BYTES` at a time, and after each feed the body's complete elements are
    read and dropped, so the tree never holds more than one feed's worth and lxml, not Python,
    does the per-element parsing work."""
    parser = etree.XMLPullParser(events=("start",), tag=W_BODY, resolve_entities=False)
    body = None
    with package.open(part) as handle:
        while chunk := handle.read(FEED_BYTES):
            parser.feed(chunk)
            body = next((el for _, el in parser.read_events()), body)
            if body is not None:
                yield from _read_complete(body, styles, removed, parsing=True)
    root = parser.close()
    if root.tag != W_DOCUMENT:
        raise NotAWordDocument(f"the main part is not a Word document: {part}")
    if body is not None:
        yield from _read_complete(body, styles, removed, parsing=False)


def _read_complete(body, styles: dict[str, str], removed: Counter, parsing: bool) -> Iterator[RawBlock]:
    """Blocks of the body's elements, which are then dropped; while the parser goes on, the
    last one may still be open, and waits for the next feed."""
    done = list(body)[:-1] if parsing else list(body)
    for el in done:
        if len(el):  # an empty `<w:p/>` holds nothing
            yield from element_blocks(el, styles, removed)
    if parsing and done:
        del body[:len(done)]


def style_names(root) -> dict[str, str]:
    """Paragraph style id -> style name ("Heading1" -> "heading 1"), read once from styles.xml."""
    names: dict[str, str] = {}
    for style in root.iterchildren(W_STYLE) if root is not None else ():
        name = style.find(W_NAME)
        names[style.get(W_STYLEID, "")] = name.get(W_VAL, "") if name is not None else ""
    return names


def body_blocks(body, styles: dict[str, str], removed: Counter) -> Iterator[RawBlock]:
    """Paragraphs and tables of a body (or a content control's content) in document order."""
    for el in body.iterchildren():
        yield from element_blocks(el, styles, removed)


def element_blocks(el, styles: dict[str, str], removed: Counter) -> Iterator[RawBlock]:
    """The blocks of one body element: a paragraph, a table, or a content control read through."""
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
        return None  # an empty paragraph (in a table or content control): decided at once
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
    for child in p.iterchildren():
        if child.tag in SKIPPED_SUBTREES:
            continue
        if child.tag != W_R or not _plain_run_text(child, parts):
            _walk_text(child, parts)
    return unicodedata.normalize("NFC", _SPACE.sub(" ", "".join(parts)).strip())


def _plain_run_text(run, parts: list[str]) -> bool:
    """Add a plain run's text (text, tabs and breaks beside its properties) and say True; a run
    holding anything else with children (a drawing, alternate content) adds nothing: False."""
    texts = []
    for el in run:
        tag = el.tag
        if tag == W_T:
            texts.append(el.text or "")
        elif tag in RUN_TEXT:
            texts.append(RUN_TEXT[tag])
        elif tag != W_RPR and len(el):
            return False
    parts.extend(texts)
    return True


def _walk_text(root, parts: list[str]) -> None:
    """Text of `root`'s subtree, depth first, skipping subtrees that are not text (deleted,
    fallback copies, properties)."""
    stack = [iter([root])]
    while stack:
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


def core_properties(root) -> Properties:
    """Title, author and created date from the core properties part; python-docx's template
    defaults are left out."""
    if root is None:
        return Properties("", {})
    title, author = root.findtext(DC_TITLE) or "", root.findtext(DC_CREATOR) or ""
    created = _CREATED.match((root.findtext(DCTERMS_CREATED) or "").strip())
    date = "-".join(p or "01" for p in created.groups()) if created else ""
    meta = {
        "title": _SPACE.sub(" ", title).strip(),
        "author": "" if author == TEMPLATE_AUTHOR else _SPACE.sub(" ", author).strip(),
        "date": "" if date == TEMPLATE_CREATED else date,
    }
    meta = {k: v for k, v in meta.items() if v}
    return Properties(meta.get("title", ""), meta)

"""Page layout for the PDF reader: characters → lines → furniture, contents, notes, reading order.

Everything here works on geometry and shape (position, size, weight, repetition), never on the
words of a particular document. Coordinates are top-down (0 = top of the page), in points.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from statistics import median

# -- line extraction -----------------------------------------------------------------------
ASCENT = 0.8  # a line's top is its baseline minus this fraction of the font size
DESCENT = 0.2  # ... and its bottom the baseline plus this fraction
SEGMENT_GAP_RATIO = 1.5  # a horizontal gap wider than this × font size splits a line (columns, cells)
SPACE_GAP_RATIO = 0.2  # a gap wider than this × font size between glyphs is a word space
MARKER_SIZE_RATIO = 0.8  # a glyph at most this × the line's size is small (superscript candidate)
MARKER_RISE_RATIO = 0.2  # a glyph raised this × the line's size above its baseline is superscript
BOLD_WEIGHT = 600  # font weight from which a glyph is bold
BOLD_LINE_SHARE = 0.6  # a line is bold when this share of its glyphs is
ROTATION_TOLERANCE = 0.1  # |b| / |a| above this: rotated text, left out of the flow
# -- furniture -------------------------------------------------------------------------------
BAND_RATIO = 0.09  # the top and bottom this fraction of the page height hold headers/footers
FURNITURE_MAX_CHARS = 150  # a longer line is never a header or footer
REPEAT_MIN_PAGES = 2  # a header shape must recur on at least this many pages
PREFIX_WORDS = 3  # headers that vary by section share their first this many words (in the band)
PREFIX_MIN_PAGES = 3  # ... on at least this many pages
# -- table of contents ---------------------------------------------------------------------
TOC_MIN_ENTRIES = 3  # lines ending in leader + page number that make a contents page
TOC_HEADED_MIN_ENTRIES = 2  # ... when the page also has a "Contents" heading
# -- notes ---------------------------------------------------------------------------------
NOTE_SIZE_RATIO = 0.85  # footnote text is at most this × the body size
NOTE_ZONE = 0.5  # footnotes start in the lower this fraction of the page
NOTE_GAP_RATIO = 0.8  # a note continues over a vertical gap of at most this × its size
# -- reading order -------------------------------------------------------------------------
COLUMN_GAP_RATIO = 0.6  # a vertical gutter at least this × body size separates columns
ROW_GAP_RATIO = 0.6  # a horizontal gap at least this × body size separates rows of a page
MERGE_GAP_RATIO = 1.0  # text regions this × size apart, one above the other, are read together
TABLE_MIN_ROWS = 3  # rows sharing the same gutters needed to read them as a table
TABLE_MIN_COLUMNS = 3  # ... and columns
TABLE_CELL_MAX_LINES = 25  # a table cell holds at most this many lines

MARKER_CHARS = set("0123456789ivx*†‡,")
LEADER = re.compile(r"(?:\.\s?){4,}|…{2,}|(?:·\s?){4,}|_{4,}")
TOC_ENTRY = re.compile(r"(?:(?:\.\s?){3,}|…+|(?:·\s?){3,}|\s{2,})\s*(?:\d{1,4}|[ivxlc]{1,6})\s*$", re.IGNORECASE)
CONTENTS_HEADING = re.compile(r"^\s*(table of\s+)?contents\s*$", re.IGNORECASE)
PAGE_NUMBER = re.compile(r"^(page\s*)?(#|[ivxlc]{1,6})(\s*(of|/)\s*#)?$|^[-–—]\s*#\s*[-–—]$", re.IGNORECASE)


@dataclass(frozen=True)
class Glyph:
    ch: str  # " " for a word space
    x0: float
    x1: float
    base: float  # baseline, top-down
    size: float
    bold: bool


@dataclass(frozen=True)
class Line:
    """One run of text on one baseline, split at wide gaps; superscript markers already removed."""

    page: int
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    text: str
    lead: str = ""  # a superscript marker at the line start (a footnote's label)
    markers: int = 0  # superscript markers dropped from inside the line
    hyphen: bool = False  # the line ended in a hyphen the PDF flags as a line-end hyphen


@dataclass(frozen=True)
class Region:
    """A stretch of the page read as a unit: a column's lines, or a table's rows of cells."""

    lines: tuple[Line, ...] = ()
    rows: tuple[tuple[tuple[Line, ...], ...], ...] = ()  # a table's rows of cells of lines
    header: bool = False  # the table's first row is a header row


# -- characters → lines ------------------------------------------------------------------
def page_glyph_runs(textpage, height: float) -> list[tuple[list[Glyph], bool]]:
    """The page's glyphs in content order, cut into runs at line breaks; (glyphs, ends in hyphen)."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    raw = textpage.raw
    x, y = ctypes.c_double(), ctypes.c_double()
    box = pdfium_c.FS_RECTF()
    matrix = pdfium_c.FS_MATRIX()
    name = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    bold_by_object: dict[int, bool] = {}
    runs: list[tuple[list[Glyph], bool]] = []
    current: list[Glyph] = []
    pending_break = False  # PDFium ended a line; kept open if the text goes on along the baseline

    def flush(hyphen: bool = False) -> None:
        if any(g.ch != " " for g in current):
            runs.append((list(current), hyphen))
        current.clear()

    for k in range(pdfium_c.FPDFText_CountChars(raw)):
        code = pdfium_c.FPDFText_GetUnicode(raw, k)
        if code in (10, 13):
            pending_break = True
            continue
        if code in (2, 0xFFFE) or (code in (0x2D, 0xAD) and pdfium_c.FPDFText_IsHyphen(raw, k)):
            flush(hyphen=True)
            continue
        ch = chr(code)
        if ch.isspace() or code < 32:
            if current and current[-1].ch != " ":
                current.append(Glyph(" ", 0, 0, 0, 0, False))
            continue
        pdfium_c.FPDFText_GetMatrix(raw, k, matrix)
        if abs(matrix.b) > ROTATION_TOLERANCE * abs(matrix.a) or matrix.a <= 0:
            continue
        size = pdfium_c.FPDFText_GetFontSize(raw, k) * (math.hypot(matrix.c, matrix.d) or 1.0)
        if size <= 0.5:
            continue
        pdfium_c.FPDFText_GetCharOrigin(raw, k, ctypes.byref(x), ctypes.byref(y))
        pdfium_c.FPDFText_GetLooseCharBox(raw, k, box)  # advance-width box: glyph gaps are real spaces
        weight = pdfium_c.FPDFText_GetFontWeight(raw, k)
        if weight > 0:
            bold = weight >= BOLD_WEIGHT
        else:  # no weight in the font: its name or flags say
            obj = ctypes.cast(pdfium_c.FPDFText_GetTextObject(raw, k), ctypes.c_void_p).value or 0
            if obj not in bold_by_object:
                pdfium_c.FPDFText_GetFontInfo(raw, k, name, len(name), ctypes.byref(flags))
                font = name.value.decode("latin-1", "replace").lower()
                bold_by_object[obj] = bool(flags.value & 0x40000) or any(w in font for w in ("bold", "black", "heavy", "semibold"))
            bold = bold_by_object[obj]
        glyph = Glyph(ch, box.left, max(box.right, box.left), height - y.value, size, bold)
        last = next((g for g in reversed(current) if g.ch != " "), None)
        if last and pending_break:
            onward = last.x1 - 0.5 <= glyph.x0 <= last.x1 + SEGMENT_GAP_RATIO * size
            if not (onward and abs(glyph.base - last.base) < 0.5 * max(size, last.size)):
                flush()
            elif current[-1].ch != " ":
                current.append(Glyph(" ", 0, 0, 0, 0, False))
        elif last and glyph.x0 < last.x0 - size and abs(glyph.base - last.base) > 0.5 * size:
            flush()  # a new line the PDF did not mark
        pending_break = False
        current.append(glyph)
    flush()
    return runs


def split_segments(glyphs: list[Glyph]) -> list[list[Glyph]]:
    """Cut a line at horizontal gaps wide enough to be a gutter or a table's cell boundary."""
    segments: list[list[Glyph]] = [[]]
    last: Glyph | None = None
    for g in glyphs:
        if g.ch != " ":
            if last is not None and g.x0 - last.x1 > SEGMENT_GAP_RATIO * max(g.size, last.size):
                segments.append([])
            last = g
        segments[-1].append(g)
    return [s for s in segments if any(g.ch != " " for g in s)]


def make_line(page: int, glyphs: list[Glyph], hyphen: bool) -> Line:
    """A line's text, size and weight; superscript markers after a word are dropped, counted."""
    solid = [g for g in glyphs if g.ch != " "]
    counts = Counter(round(g.size, 1) for g in solid)
    size = max(counts, key=lambda s: (counts[s], s))
    base = median(g.base for g in solid if abs(g.size - size) <= 0.05 * size)

    def superscript(g: Glyph) -> bool:
        rise = base - g.base
        raised = rise >= MARKER_RISE_RATIO * size
        small = g.size <= MARKER_SIZE_RATIO * size
        if g.ch not in MARKER_CHARS or rise < -0.1 * size:
            return False
        return raised if g.ch in "ivx" else raised or small  # roman letters: raised, not just small

    marks = [superscript(g) if g.ch != " " else False for g in glyphs]
    first = next(i for i, g in enumerate(glyphs) if g.ch != " ")
    lead_end = first
    while lead_end < len(glyphs) and marks[lead_end]:
        lead_end += 1
    lead = "".join(g.ch for g in glyphs[first:lead_end]).strip(",")
    if lead_end == len(glyphs) or not any(g.ch != " " for g in glyphs[lead_end:]):
        lead, lead_end = "", first  # a line of markers only is kept as text for the caller
    parts: list[str] = []
    dropped = 0
    prev: Glyph | None = None
    in_marker = False
    for i in range(lead_end, len(glyphs)):
        g = glyphs[i]
        if marks[i]:
            dropped += not in_marker
            in_marker = True
            continue
        in_marker = False
        if g.ch == " ":
            parts.append(" ")
            continue
        if prev is not None and g.x0 - prev.x1 > SPACE_GAP_RATIO * g.size and parts and parts[-1] != " ":
            parts.append(" ")
        parts.append(g.ch)
        prev = g
    text = " ".join("".join(parts).split())
    bold = sum(g.bold for g in solid) >= BOLD_LINE_SHARE * len(solid)
    x0 = min(g.x0 for g in solid)
    x1 = max(g.x1 for g in solid)
    return Line(page, x0, x1, base - ASCENT * size, base + DESCENT * size, size, bold, text, lead, dropped, hyphen)


def page_lines(page_index: int, runs: list[tuple[list[Glyph], bool]]) -> list[Line]:
    lines: list[Line] = []
    for glyphs, hyphen in runs:
        segments = split_segments(glyphs)
        for n, segment in enumerate(segments):
            line = make_line(page_index, segment, hyphen and n == len(segments) - 1)
            if line.text or line.lead:
                lines.append(line)
    return lines


# -- running headers, footers, page numbers --------------------------------------------------
def shape(text: str) -> str:
    """A line's shape: lower case, digits as one symbol, whitespace collapsed."""
    return " ".join(re.sub(r"\d+", "#", text.lower()).split())


def _core(text_shape: str) -> str:
    return re.sub(r"^[#\W_]+|[#\W_]+$", "", text_shape)


def drop_furniture(pages: list[list[Line]], heights: list[float], removed: Counter) -> list[list[Line]]:
    """Remove headers, footers and page numbers: lines in the page's top/bottom band whose shape
    recurs on other pages, and bare page numbers in the band or at the page's top/bottom edge."""
    candidates: list[list[tuple[Line, bool]]] = []
    for lines, height in zip(pages, heights):
        edge = set()
        if lines:
            top = min(ln.top for ln in lines)
            bottom = max(ln.bottom for ln in lines)
            edge = {id(ln) for ln in lines if ln.top <= top + 1 or ln.bottom >= bottom - 1}
        found = []
        for ln in lines:
            middle = (ln.top + ln.bottom) / 2
            in_band = middle <= height * BAND_RATIO or middle >= height * (1 - BAND_RATIO)
            if (in_band or id(ln) in edge and PAGE_NUMBER.match(shape(ln.text))) and len(ln.text) <= FURNITURE_MAX_CHARS:
                found.append((ln, in_band))
        candidates.append(found)
    core_pages: dict[str, set[int]] = defaultdict(set)
    prefix_pages: dict[str, set[int]] = defaultdict(set)
    for page, found in enumerate(candidates):
        for ln, in_band in found:
            core = _core(shape(ln.text))
            if core:
                core_pages[core].add(page)
                if in_band:
                    prefix_pages[" ".join(core.split()[:PREFIX_WORDS])].add(page)
    kept: list[list[Line]] = []
    for page, (lines, height, found) in enumerate(zip(pages, heights, candidates)):
        drop: dict[int, str] = {}
        for ln, in_band in found:
            line_shape = shape(ln.text)
            core = _core(line_shape)
            prefix = " ".join(core.split()[:PREFIX_WORDS])
            header = "running header" if (ln.top + ln.bottom) / 2 < height / 2 else "running footer"
            if PAGE_NUMBER.match(line_shape):
                drop[id(ln)] = "page number"
            elif core and len(core_pages[core]) >= REPEAT_MIN_PAGES and len(core) >= 3:
                drop[id(ln)] = header
            elif in_band and len(core.split()) >= PREFIX_WORDS and len(prefix_pages[prefix]) >= PREFIX_MIN_PAGES:
                drop[id(ln)] = header
        for what in drop.values():
            removed[what] += 1
        kept.append([ln for ln in lines if id(ln) not in drop])
    return kept


# -- table of contents -----------------------------------------------------------------------
def drop_contents(lines: list[Line], removed: Counter) -> list[Line]:
    """On a contents page drop its heading and every line from the first entry to the last."""
    entries = [ln for ln in lines if TOC_ENTRY.search(ln.text) and re.search(r"[A-Za-z]", ln.text)]
    leaders = [ln for ln in entries if LEADER.search(ln.text)]
    heading = [ln for ln in lines if CONTENTS_HEADING.match(ln.text)]
    if len(leaders) < TOC_MIN_ENTRIES and not (heading and len(entries) >= TOC_HEADED_MIN_ENTRIES):
        return lines
    first = min(ln.top for ln in entries)
    last = max(ln.bottom for ln in entries)
    drop = {id(ln) for ln in heading} | {id(ln) for ln in lines if ln.top >= first - 1 and ln.bottom <= last + 1}
    removed["table of contents line"] += len(drop)
    return [ln for ln in lines if id(ln) not in drop]


# -- footnotes -------------------------------------------------------------------------------
NOTE_START = re.compile(r"^(\d{1,3}|[ivx]{1,5}|[*†‡])(?:[.)]\s*|\s+)\S")


def split_notes(lines: list[Line], height: float, body: float) -> tuple[list[Line], list[str]]:
    """Footnotes (small text in the lower page starting with a marker) and the lines left."""
    ordered = sorted(lines, key=lambda ln: (ln.top, ln.x0))
    notes: list[list[Line]] = []
    taken: set[int] = set()
    for ln in ordered:
        small = ln.size <= body * NOTE_SIZE_RATIO
        if not small or ln.top < height * (1 - NOTE_ZONE):
            continue
        if ln.lead or NOTE_START.match(ln.text):
            notes.append([ln])
            taken.add(id(ln))
        elif notes:
            prev = notes[-1][-1]
            close = 0 <= ln.top - prev.bottom <= NOTE_GAP_RATIO * prev.size
            if close and abs(ln.size - prev.size) <= 0.1 * prev.size and ln.x0 >= notes[-1][0].x0 - 2:
                notes[-1].append(ln)
                taken.add(id(ln))
    texts = []
    for note in notes:
        label = note[0].lead
        texts.append(" ".join(([label] if label else []) + [ln.text for ln in note]).strip())
    return [ln for ln in lines if id(ln) not in taken], [t for t in texts if t]


# -- reading order ---------------------------------------------------------------------------
def _gaps(intervals: list[tuple[float, float]], min_gap: float) -> list[tuple[float, float]]:
    """Empty stretches at least `min_gap` wide between the union of the intervals."""
    gaps = []
    intervals = sorted(intervals)
    end = intervals[0][1]
    for start, stop in intervals[1:]:
        if start - end >= min_gap:
            gaps.append((end, start))
        end = max(end, stop)
    return gaps


def _cut(lines: list[Line], gaps: list[tuple[float, float]], key) -> list[list[Line]]:
    parts: list[list[Line]] = [[] for _ in range(len(gaps) + 1)]
    for ln in lines:
        parts[sum(1 for g in gaps if key(ln) >= g[1])].append(ln)
    return [p for p in parts if p]


def reading_order(lines: list[Line], body: float, depth: int = 0) -> list[Region]:
    """Recursive XY-cut: columns (vertical gutters) first, then rows; rows whose gutters line up
    are read as one multi-column stretch, or as a table when they have many cells."""
    if not lines:
        return []
    col_gap, row_gap = COLUMN_GAP_RATIO * body, ROW_GAP_RATIO * body
    gutters = _gaps([(ln.x0, ln.x1) for ln in lines], col_gap)
    if len(gutters) + 1 >= TABLE_MIN_COLUMNS:
        rows = _cut(lines, _gaps([(ln.top, ln.bottom) for ln in lines], row_gap), lambda ln: ln.top)
        table = _table(rows, col_gap) if len(rows) >= TABLE_MIN_ROWS else None
        if table is not None:
            return [table]
    if gutters and depth < 40:
        return [r for part in _cut(lines, gutters, lambda ln: ln.x0) for r in reading_order(part, body, depth + 1)]
    row_gaps = _gaps([(ln.top, ln.bottom) for ln in lines], row_gap)
    if not row_gaps or depth >= 40:
        return [Region(lines=tuple(column)) for column in _side_by_side(lines)]
    rows = _cut(lines, row_gaps, lambda ln: ln.top)
    groups: list[list[list[Line]]] = []
    row_gutters = [_gaps([(ln.x0, ln.x1) for ln in row], col_gap) for row in rows]
    shared: list[tuple[float, float]] = []
    for row, gaps in zip(rows, row_gutters):
        common = [(max(a, c), min(b, d)) for a, b in shared for c, d in gaps if min(b, d) - max(a, c) > 0]
        if groups and common and shared:
            groups[-1].append(row)
            shared = common
        else:
            groups.append([row])
            shared = gaps
    regions: list[Region] = []
    for group in groups:
        flat = [ln for row in group for ln in row]
        table = _table(group, col_gap) if len(group) >= TABLE_MIN_ROWS else None
        if table is not None:
            regions.append(table)
        elif len(group) == 1 and len(groups) == 1:
            regions.append(Region(lines=tuple(sorted(flat, key=lambda ln: (round(ln.top), ln.x0)))))
        else:
            regions.extend(reading_order(flat, body, depth + 1))
    return regions


def _side_by_side(lines: list[Line]) -> list[list[Line]]:
    """Columns whose gutter is bridged by a long line: where lines stand side by side on one
    row, lines starting right of the split are read after those on the left, top to bottom."""
    ordered = sorted(lines, key=lambda ln: (round(ln.top), ln.x0))
    rights = [b.x0 for a in ordered for b in ordered
              if a is not b and abs(a.top - b.top) < 0.5 * a.size and b.x0 >= a.x1]
    if not rights:
        return [ordered]
    split = min(rights)
    left = [ln for ln in ordered if ln.x0 < split]
    right = [ln for ln in ordered if ln.x0 >= split]
    if not left or not right:
        return [ordered]
    return _side_by_side(left) + _side_by_side(right)


def merge_regions(regions: list[Region]) -> list[Region]:
    """Join consecutive text regions where the second starts right below the first (rows cut
    apart by a wide line spacing, e.g. a two-line heading); paragraphs are split again later."""
    out: list[Region] = []
    for region in regions:
        prev = out[-1] if out else None
        if prev is not None and prev.lines and region.lines:
            last, first = prev.lines[-1], region.lines[0]
            below = 0 <= first.top - last.bottom <= MERGE_GAP_RATIO * max(first.size, last.size)
            overlap = min(last.x1, first.x1) - max(last.x0, first.x0) > 0
            if below and overlap:
                out[-1] = Region(lines=prev.lines + region.lines)
                continue
        out.append(region)
    return out


def _table(rows: list[list[Line]], col_gap: float) -> Region | None:
    """Rows sharing at least two gutters, every cell short: a table, one row of cells each."""
    flat = [ln for row in rows for ln in row]
    gutters = _gaps([(ln.x0, ln.x1) for ln in flat], col_gap)
    if len(gutters) + 1 < TABLE_MIN_COLUMNS:
        return None
    cells_by_row = []
    for row in rows:
        cells = [[] for _ in range(len(gutters) + 1)]
        for ln in sorted(row, key=lambda ln: (ln.top, ln.x0)):
            cells[sum(1 for g in gutters if ln.x0 >= g[1])].append(ln)
        if max(len(c) for c in cells) > TABLE_CELL_MAX_LINES:
            return None
        cells_by_row.append(cells)
    filled = sum(1 for cells in cells_by_row if sum(1 for c in cells if c) >= 2)
    if filled * 3 < len(cells_by_row) * 2:  # most rows of a table fill at least two cells
        return None
    out = tuple(tuple(tuple(c) for c in cells) for cells in cells_by_row)
    header = all(ln.bold for ln in rows[0]) and not all(ln.bold for ln in rows[1])
    return Region(rows=out, header=header)


def join_cell(lines: list[Line]) -> str:
    """Lines joined with spaces (a line-end hyphen kept, attached to the next word)."""
    text = ""
    for ln in lines:
        text = text + ln.text if text.endswith("-") else (text + " " + ln.text).strip()
        text += "-" if ln.hyphen else ""
    return text


def strip_leaders(line: Line) -> Line:
    text = " ".join(LEADER.sub(" ", line.text).split())
    return line if text == line.text else replace(line, text=text)

"""Reading debris left in the cleaned text of a corpus: markup, template tags, dot leaders,
footnote markers glued to words, running headers and page numbers.

    python -m eval.artifacts [DIR] [--json] [--show N]

prints the counts per file and in total (DIR defaults to ../shared/corpora/mining-policy). The
test over the real corpus asserts these counts; the patterns find debris, they do not define
what the readers remove.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

from corpus.document import Document

REAL_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "mining-policy"
REPEATED_LINE_MIN = 3  # a line start seen this often in one document is a running header or footer
LINE_START_WORDS = 5  # how much of a line's start is compared
_URL = re.compile(r"(?:https?://|www\.)\S+")

PATTERNS = {
    "html tag": re.compile(r"<[a-zA-Z/!][^<>\n]{0,300}>"),
    "markdown link": re.compile(r"\]\((?:https?://|/|#|mailto:)"),
    "template tag": re.compile(r"\{%|%\}|\{\{|\}\}|\{#|#\}"),
    "heading mark": re.compile(r"(?m)^#{1,6}\s|\s#{2,6}\s"),
    "dot leader": re.compile(r"\.{4,}|(?:\.\s){3,}\.|(?:…\s*){2,}"),
    # a year with a marker glued on ("Act of 194716"), a word with one ("Amended11"), or a roman
    # numeral end-note marker standing after a word ("laws i and regulations ii"); not inside a
    # path or an identifier ("class2/", "part2_ussgl"), not "i.e."
    "glued footnote marker": re.compile(
        r"(?<![/\w.-])(?:1[6-9]|20)\d{2}\d{1,2}(?![/\w]|[,.]\d)"
        r"|(?<![/\w.-])[A-Za-z]*[a-z]{2}\d{1,2}(?![/\w-])"
        r"|(?<=[a-z,;]) (?:i|ii|iii|iv|vi|vii|viii|ix|xi|xii)(?=[ ,;:)]|\.(?!\w))"
    ),
}
PAGE_NUMBER = re.compile(r"(?i)(?:page\s+)?\d{1,3}(?:\s*(?:of|/)\s*\d{1,3})?")
RUNNING_HEADER_MIN_WORDS = 3  # "Company 1" or an axis label "2016" recurring in a chart is no running header


def count_artifacts(doc: Document) -> Counter[str]:
    """How many of each kind of debris the document's cleaned text holds."""
    counts: Counter[str] = Counter({name: len(pattern.findall(_searched(doc, name))) for name, pattern in PATTERNS.items()})
    counts["page number line"] = len(page_number_lines(doc))
    counts["running header line"] = len(repeated_lines(doc))
    return counts


def page_number_lines(doc: Document) -> list[str]:
    """Lines that are a page number alone and open or close a page (anywhere, unpaged)."""
    edges = set()
    for first, last in zip(doc.pages, [*doc.pages[1:], len(doc.text)]):
        inside = [b for b in doc.blocks if first <= b.start < last]
        edges |= {id(inside[0]), id(inside[-1])} if inside else set()
    return [
        doc.text[b.start:b.end] for b in doc.blocks
        if PAGE_NUMBER.fullmatch(doc.text[b.start:b.end]) and (not doc.pages or id(b) in edges)
    ]


def repeated_lines(doc: Document) -> list[str]:
    """Paragraph or heading lines whose start (digits as #) recurs: running headers left in, alone
    or glued to the paragraph that follows them ("26 2017 DOI Executive Summary — Appendix …"); a
    running header holds a number (its page), which tells it from a recurring phrase."""
    lines = [doc.text[b.start:b.end] for b in doc.blocks if b.kind in ("paragraph", "heading")]
    shapes = Counter(_shape(line) for line in lines)
    return [
        line for line in lines
        if "#" in _shape(line) and len(line.split()) >= RUNNING_HEADER_MIN_WORDS and shapes[_shape(line)] >= REPEATED_LINE_MIN
    ]


def examples(doc: Document, name: str, limit: int = 5) -> list[str]:
    if name == "running header line":
        return repeated_lines(doc)[:limit]
    if name == "page number line":
        return page_number_lines(doc)[:limit]
    out = []
    text = _searched(doc, name)
    for match in PATTERNS[name].finditer(text):
        out.append(text[max(0, match.start() - 30):match.end() + 30].replace("\n", "⏎"))
        if len(out) == limit:
            break
    return out


def _searched(doc: Document, name: str) -> str:
    """The text a pattern looks at: digits in web addresses are no footnote markers."""
    return _URL.sub(" ", doc.text) if name == "glued footnote marker" else doc.text


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.lower().split()[:LINE_START_WORDS]))


def main(argv: list[str] | None = None) -> int:
    from corpus.loader import load_corpus

    parser = argparse.ArgumentParser(prog="python -m eval.artifacts", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=REAL_CORPUS)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--show", type=int, default=0, help="print up to N examples of each artifact found")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"error: {args.folder} is not a folder", file=sys.stderr)
        return 2
    loaded = load_corpus(args.folder)
    total: Counter[str] = Counter()
    per_file = {}
    for doc in loaded.documents:
        counts = count_artifacts(doc)
        total.update(counts)
        per_file[doc.source] = {k: v for k, v in counts.items() if v}
    result = {"files": per_file, "total": {name: total[name] for name in [*PATTERNS, "page number line", "running header line"]},
              "documents": len(loaded.documents), "skipped": [[s.path, s.reason] for s in loaded.skipped]}
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    for source, counts in per_file.items():
        print(f"{source}: {counts or 'clean'}")
        doc = next(d for d in loaded.documents if d.source == source)
        for name in counts if args.show else ():
            for example in examples(doc, name, args.show):
                print(f"    {name}: …{example}…")
    print(f"total over {len(loaded.documents)} documents ({len(loaded.skipped)} skipped): {result['total']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

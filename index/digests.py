"""A document's digest, chosen when it is indexed: what it says overall, what it concludes and
what it recommends, as spans of its sentences, in document order.

- **summary**: the opening sentences of the document's own summary, the section headed
  "Abstract", "Summary", "Executive summary", "Synopsis" or "Key takeaways", when it has one;
  otherwise an extractive summary: of its prose sentences (full sentences of at least
  `MIN_WORDS` words in its paragraphs, not its lists or tables unless it has nothing else,
  outside headings, references and back matter, not opening on a word that needs the sentence
  before it, "Third, …", "However, …", "This …"), those closest to the mean of their
  embeddings (centrality), one per section in the order of each section's best until every
  section has given one (coverage), none repeating a chosen one (cosine above `REDUNDANT`).
- **conclusions**, **recommendations**: the opening sentences of the section the document states
  them in, found by its heading ("Conclusions", "The way forward"; "Recommendations", "Next
  steps"); none when it has no such section.

At most `DIGEST_SENTENCES` each. The build computes a document's digest from its text, sentence
spans and sentence vectors, once, and stores it with its records; a question that asks what a
named document says, concludes or recommends is answered from it, whatever was retrieved.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from corpus.document import Document
from corpus.sentences import is_full_sentence

Span = tuple[int, int]
SUMMARY, CONCLUSIONS, RECOMMENDATIONS = "summary", "conclusions", "recommendations"
DIGEST_KINDS = (SUMMARY, CONCLUSIONS, RECOMMENDATIONS)
DIGEST_SENTENCES = 3
MIN_WORDS = 6  # a shorter sentence is a fragment, a caption or a label, not a summary's
REDUNDANT = 0.88  # cosine above which a sentence repeats a chosen one

# A document's own summary, by the heading of its section
SUMMARY_HEADING = re.compile(r"^\W*(?:abstract|summary|executive\s+summary|synopsis|(?:key\s+)?takeaways)\W*$", re.I)
# Headings of the sections where a document states its conclusions or its recommendations, the
# more telling first.
GIST_HEADINGS = {
    CONCLUSIONS: (r"conclu", r"final\s+(?:remarks|thoughts|observations)|concluding|way\s+forward", r"key\s+(?:findings|messages)|takeaways"),
    RECOMMENDATIONS: (r"recommend", r"way\s+forward|next\s+steps|call\s+(?:to|for)\s+action|proposals"),
}
CITATION_LIKE = re.compile(r"Available from|https?://|www\.|\bet al\.|\bpp?\. \d|\(\d{4}\)[,.:]|\d{4}\): \d", re.I)
BACK_MATTER = re.compile(r"^(?:notes|endnotes|references|bibliography|sources|acknowledg)", re.I)
# A sentence opening like this goes on from the one before it: out of its place it dangles.
DANGLING = re.compile(
    r"^(?:First(?:ly)?|Second(?:ly)?|Third(?:ly)?|Fourth(?:ly)?|Fifth(?:ly)?|Finally|Lastly|Next|Then|Also|"
    r"However|Moreover|Furthermore|Additionally|In addition|Nevertheless|Nonetheless|Instead|Meanwhile|Similarly|"
    r"Likewise|Therefore|Thus|Hence|Consequently|As a result|Otherwise|Still|Yet|But|And|Or|So|"
    r"This|These|That|Those|It|Its|They|Their|Them|He|His|She|Her|Such|Here|There)\b(?!-)"
)


@dataclass(frozen=True)
class Digest:
    summary: tuple[Span, ...] = ()
    conclusions: tuple[Span, ...] = ()
    recommendations: tuple[Span, ...] = ()
    authored: bool = False  # the summary is the document's own ("Executive summary")

    def __post_init__(self):
        for kind in DIGEST_KINDS:
            spans = getattr(self, kind)
            if len(spans) > DIGEST_SENTENCES:
                raise ValueError(f"a digest's {kind} holds at most {DIGEST_SENTENCES} sentences, not {len(spans)}")
            if any(not 0 <= s < e for s, e in spans) or any(a[1] > b[0] for a, b in zip(spans, spans[1:])):
                raise ValueError(f"a digest's {kind} must be sentence spans in document order, not {spans}")

    def spans(self, kind: str) -> tuple[Span, ...]:
        if kind not in DIGEST_KINDS:
            raise ValueError(f"a digest kind is one of {', '.join(DIGEST_KINDS)}, not {kind!r}")
        return getattr(self, kind)


def digest_of(doc: Document, sentences: list[Span], vectors: np.ndarray | None) -> Digest:
    """The digest of `doc`, whose sentence `sentences` have the embeddings `vectors` (one row each;
    None: no sentence vectors, and no extractive summary)."""
    own = _opening(doc, sentences, (SUMMARY_HEADING.pattern,))
    summary = own or (_central(doc, sentences, vectors) if vectors is not None else ())
    return Digest(summary, _opening(doc, sentences, GIST_HEADINGS[CONCLUSIONS]),
                  _opening(doc, sentences, GIST_HEADINGS[RECOMMENDATIONS]), authored=bool(own))


def _opening(doc: Document, sentences: list[Span], patterns: tuple[str, ...]) -> tuple[Span, ...]:
    """The first full sentences of the first section whose heading matches one of `patterns`
    (tried in order), down to its next heading of the same level or higher."""
    for pattern in patterns:
        for i, section in enumerate(doc.sections):
            if not re.search(pattern, section.title, re.I):
                continue
            end = next((s.start for s in doc.sections[i + 1:] if s.level <= section.level), len(doc.text))
            spans = [(s, e) for s, e in sentences if section.start < s < end and is_full_sentence(doc.text[s:e])]
            if spans:
                return tuple(spans[:DIGEST_SENTENCES])
    return ()


def _central(doc: Document, sentences: list[Span], vectors: np.ndarray) -> tuple[Span, ...]:
    """The extractive summary the module describes."""
    starts = [s.start for s in doc.sections]
    prose = [k for k, (s, e) in enumerate(sentences) if _prose(doc, s, e, starts)]
    paragraphs = sorted((b.start, b.end) for b in doc.blocks if b.kind == "paragraph")
    at = [bisect_right(paragraphs, (sentences[k][0], float("inf"))) - 1 for k in prose]
    in_paragraphs = [k for k, i in zip(prose, at) if i >= 0 and sentences[k][0] < paragraphs[i][1]]
    prose = in_paragraphs or prose  # a list's items and a table's rows only when it has nothing else
    if not prose:
        return ()
    rows = np.asarray(vectors[prose], dtype=np.float32)
    centre = rows.mean(axis=0)
    centre /= np.linalg.norm(centre) or 1.0
    order = np.argsort(-(rows @ centre), kind="stable")
    section = [bisect_right(starts, sentences[prose[i]][0]) for i in range(len(prose))]  # 0: before any heading
    chosen: list[int] = []
    for rule in ("one per section", "any"):
        for i in order:
            if len(chosen) == DIGEST_SENTENCES:
                break
            if i in chosen or any(float(rows[i] @ rows[j]) > REDUNDANT for j in chosen):
                continue
            if rule == "one per section" and any(section[j] == section[i] for j in chosen):
                continue
            chosen.append(int(i))
    return tuple(sorted(sentences[prose[i]] for i in chosen))


def _prose(doc: Document, start: int, end: int, heading_starts: list[int]) -> bool:
    """Whether the sentence at `start`..`end` can stand in a summary on its own."""
    text = doc.text[start:end]
    if (start in heading_starts or len(text.split()) < MIN_WORDS or not is_full_sentence(text) or DANGLING.match(text)
            or CITATION_LIKE.search(text)):
        return False
    at = bisect_right(heading_starts, start) - 1
    return at < 0 or not any(BACK_MATTER.match(title) for title in _path(doc, at))


def _path(doc: Document, at: int) -> list[str]:
    """The titles of section `at` and of the sections it lies in."""
    inner = doc.sections[at]
    titles = [inner.title]
    for section in reversed(doc.sections[:at]):
        if section.level < inner.level:
            inner = section
            titles.append(section.title)
    return titles

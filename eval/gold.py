"""Gold questions: the records of eval/gold.jsonl, their loading, and locating quotes in documents.

A gold line is a JSON object with `id`, `question`, `kind`, `answer`, `facts` (short strings the
answer must contain), `evidence` (a list of `{doc_id, quote}`; each quote is verbatim text of
the document's cleaned text, up to white space) and `split` ("dev" or "test": a fixed split,
stratified by kind, written by `python -m eval.split_gold FILE`; tune on dev, report test).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

KINDS = ("factoid", "list", "multi-doc", "paraphrase", "how-why", "yes-no", "unanswerable")
UNANSWERABLE = "unanswerable"
SPLITS = ("dev", "test")
FIELDS = ("id", "question", "kind", "answer", "facts", "evidence", "split")
DEFAULT_GOLD = Path(__file__).resolve().parent / "gold.jsonl"

# Typographic characters a quote may spell differently from the document; each maps to one
# character, so offsets in the mapped text are offsets in the original.
_TYPOGRAPHY = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u00a0": " ",
})
_SPACE_RUN = re.compile(r"\s+")


class EvalError(ValueError):
    """A problem with the evaluation's input the user can fix (gold file, --min gate, BEIR folder)."""


class GoldError(EvalError):
    """The gold file is missing or holds an invalid question."""


@dataclass(frozen=True)
class Evidence:
    doc_id: str
    quote: str


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    question: str
    kind: str
    answer: str
    facts: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    split: str

    def __post_init__(self) -> None:
        who = f"gold question {self.id!r}"
        if not isinstance(self.id, str) or not self.id.strip():
            raise GoldError(f"gold question {self.id!r}: id must be a non-empty string")
        if not isinstance(self.question, str) or not self.question.strip():
            raise GoldError(f"{who}: question must be a non-empty string")
        if self.kind not in KINDS:
            raise GoldError(f"{who}: kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if self.split not in SPLITS:
            raise GoldError(f"{who}: split must be one of {', '.join(SPLITS)}, not {self.split!r} "
                            f"(assign splits with `python -m eval.split_gold FILE`)")
        if not isinstance(self.answer, str):
            raise GoldError(f"{who}: answer must be a string")
        if not isinstance(self.facts, tuple) or not all(isinstance(f, str) and f.strip() for f in self.facts):
            raise GoldError(f"{who}: facts must be a tuple of non-empty strings")
        if not isinstance(self.evidence, tuple) or not all(isinstance(e, Evidence) for e in self.evidence):
            raise GoldError(f"{who}: evidence must be a tuple of Evidence")
        for e in self.evidence:
            if not isinstance(e.doc_id, str) or not e.doc_id.strip() or not isinstance(e.quote, str) or not e.quote.strip():
                raise GoldError(f"{who}: every evidence item needs a non-empty doc_id and quote")
        if self.kind == UNANSWERABLE:
            if self.evidence:
                raise GoldError(f"{who}: an unanswerable question must have no evidence")
            if self.facts:
                raise GoldError(f"{who}: an unanswerable question must have no facts")
        else:
            if not self.evidence:
                raise GoldError(f"{who}: a {self.kind} question must have at least one evidence quote")
            if not self.facts:
                raise GoldError(f"{who}: a {self.kind} question must have at least one fact")
            if self.kind == "multi-doc" and len({e.doc_id for e in self.evidence}) < 2:
                raise GoldError(f"{who}: a multi-doc question must quote at least two documents")

    @property
    def answerable(self) -> bool:
        return self.kind != UNANSWERABLE

    @classmethod
    def from_json(cls, data: object) -> "GoldQuestion":
        if not isinstance(data, dict):
            raise GoldError("expected a JSON object")
        missing = [f for f in FIELDS if f not in data]
        if missing:
            hint = " (assign splits with `python -m eval.split_gold FILE`)" if "split" in missing else ""
            raise GoldError(f"gold question {data.get('id')!r}: missing field(s) {', '.join(missing)}{hint}")
        facts, evidence = data["facts"], data["evidence"]
        if not isinstance(facts, list):
            raise GoldError(f"gold question {data['id']!r}: facts must be a list")
        if not isinstance(evidence, list) or not all(isinstance(e, dict) and {"doc_id", "quote"} <= set(e) for e in evidence):
            raise GoldError(f"gold question {data['id']!r}: evidence must be a list of {{doc_id, quote}} objects")
        return cls(
            id=data["id"], question=data["question"], kind=data["kind"], answer=data["answer"],
            facts=tuple(facts), evidence=tuple(Evidence(e["doc_id"], e["quote"]) for e in evidence),
            split=data["split"],
        )


def read_records(path: Path) -> tuple[list[str], list[tuple[int, dict]]]:
    """A JSON Lines gold file's lines and its (line number, object) records; `GoldError` names
    the file and the line of what is wrong."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise GoldError(f"gold file {path} does not exist; pass --gold FILE") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldError(f"gold file {path} is unreadable ({exc})") from exc
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise GoldError(f"{path}:{number}: not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise GoldError(f"{path}:{number}: expected a JSON object")
        records.append((number, data))
    return lines, records


def load_gold(path: Path) -> list[GoldQuestion]:
    """The questions of a gold JSON Lines file, in file order; `GoldError` names file and line."""
    questions: list[GoldQuestion] = []
    first_line: dict[str, int] = {}
    for number, data in read_records(path)[1]:
        try:
            question = GoldQuestion.from_json(data)
        except GoldError as exc:
            raise GoldError(f"{path}:{number}: {exc}") from None
        if question.id in first_line:
            raise GoldError(f"{path}:{number}: duplicate id {question.id!r} (first used on line {first_line[question.id]})")
        first_line[question.id] = number
        questions.append(question)
    if not questions:
        raise GoldError(f"gold file {path} holds no questions")
    return questions


def unlocated_quotes(questions: list[GoldQuestion], documents: dict) -> list[str]:
    """One line per evidence quote not found in its document's cleaned text (`documents` by id)."""
    missing = []
    for q in questions:
        for e in q.evidence:
            doc = documents.get(e.doc_id)
            if doc is None or locate(e.quote, doc.text) is None:
                missing.append(f"{q.id}: {e.doc_id}: {e.quote[:70]!r}")
    return missing


def _squeeze(text: str) -> tuple[str, list[int]]:
    """`text` with typography unified and white-space runs as one space, and each char's original offset."""
    mapped = text.translate(_TYPOGRAPHY)
    out: list[str] = []
    offsets: list[int] = []
    position = 0
    for match in _SPACE_RUN.finditer(mapped):
        out.append(mapped[position:match.start()])
        offsets.extend(range(position, match.start()))
        out.append(" ")
        offsets.append(match.start())
        position = match.end()
    out.append(mapped[position:])
    offsets.extend(range(position, len(mapped)))
    return "".join(out), offsets


def locate(quote: str, document_text: str) -> tuple[int, int] | None:
    """(start, end) of the first occurrence of `quote` in `document_text`, or None.

    White space is normalised on both sides (any run matches any run) and curly quotes and
    dashes match their ASCII forms; the offsets are those of the original text, so
    `document_text[start:end]` is the matched passage (it starts and ends with non-space).
    """
    needle = _SPACE_RUN.sub(" ", quote.translate(_TYPOGRAPHY)).strip()
    if not needle:
        return None
    haystack, offsets = _squeeze(document_text)
    found = haystack.find(needle)
    if found < 0:
        return None
    return offsets[found], offsets[found + len(needle) - 1] + 1

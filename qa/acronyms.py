"""Acronyms the documents define ("the Intergovernmental Forum on Mining, Minerals, Metals and
Sustainable Development (IGF)") and questions that ask what one stands for.

The long form is found much as in Schwartz and Hearst (2003): a run of words before the
parenthesis whose letters hold the acronym's letters in order, the first at the start of a word;
of those, the one whose word initials match the most letters, then the shortest. A long form
broken across lines is not found.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from corpus.document import Document

_PARENTHESIS = re.compile(r"\(\s*[“\"']?([A-Z][A-Za-z&-]{1,11})[”\"']?\s*\)")
_ACRONYM = r"[A-Za-z][A-Za-z&-]*"  # one word, in any case ("cccmc"): the glossary tells whether it is one
_WHAT_IS = r"(?:what|who)(?:\s+(?:is|are|was|were)|['’]s|s)"  # "what is", "what's", "whats"
# "What does CCCMC stand for?", "What is the full name of the IGF?", "What is the HLEAG?"
_ASKS = [
    re.compile(rf"^\s*what\s+(?:does|do|did)\s+(?:the\s+)?({_ACRONYM})\s+(?:stand|stands)\s+for\b", re.I),
    re.compile(rf"^\s*{_WHAT_IS}\s+(?:the\s+)?(?:full\s+(?:name|form)|long\s+form|expansion)\s+of\s+(?:the\s+)?({_ACRONYM})\b", re.I),
    re.compile(rf"^\s*{_WHAT_IS}\s+(?:the\s+)?({_ACRONYM})\s+short\s+for\b", re.I),
    re.compile(rf"^\s*{_WHAT_IS}\s+(?:the\s+)?({_ACRONYM})\s*[?.!]*\s*$", re.I),
]
_TOKEN = re.compile(r"[^\W_]+")  # words, hyphenated ones as their parts ("High-Level": High, Level)
# Words a long form does not start with ("Actions for Democracy *and* Local Governance (ADLG)").
ACRONYMS = 1024  # acronyms whose definitions are kept
_LINKING = frozenset("a an and as at de del des du et for in la le of on the to &".split())


@dataclass(frozen=True)
class Definition:
    acronym: str
    long_form: str
    start: int  # offsets in the document of the long form through the closing parenthesis
    end: int

    def __post_init__(self) -> None:
        if not self.acronym or not self.long_form:
            raise ValueError("a definition needs an acronym and a long form")
        if not 0 <= self.start < self.end:
            raise ValueError("start must be at least 0 and less than end")


def definitions(text: str) -> list[Definition]:
    """Every "Long Form (ACRONYM)" in `text`, in document order."""
    out = []
    for match in _PARENTHESIS.finditer(text):
        acronym = match.group(1)
        letters = [c for c in acronym if c.isalnum()]
        if sum(c.isupper() for c in letters) < 2:
            continue  # "(Various)", "(Indonesia)"
        base = max(0, match.start() - 300)
        before = text[base:match.start()].rstrip()
        words = before.split()[-(2 * len(letters) + 4):]  # "China Chamber of Commerce ... (CCCMC)": 12 words
        long_form = _long_form(letters, " ".join(words))
        if long_form and len(long_form.split()) > 1 and before.endswith(long_form):
            out.append(Definition(acronym, long_form, base + len(before) - len(long_form), match.end()))
    return out


def _long_form(letters: list[str], candidate: str) -> str | None:
    """The end of `candidate` that spells out `letters`: it starts with a word (no linking word)
    whose initial is the first letter and holds all the letters in order; of those, the one whose
    word initials match the most letters ("China Chamber of Commerce of Metals, Minerals &
    Chemicals ... (CCCMC)", not "Commerce of ..."), then the shortest."""
    tokens = list(_TOKEN.finditer(candidate))
    best, best_key = None, None
    for k, token in enumerate(tokens):
        word = token.group(0)
        if word[0].lower() != letters[0].lower() or word.lower() in _LINKING:
            continue
        span = candidate[token.start():]
        if not _in_order(letters, span.lower()):
            continue
        key = (_initials_matched(letters, [t.group(0) for t in tokens[k:]]), -len(span))
        if best_key is None or key > best_key:
            best, best_key = span, key
    return best


def _in_order(letters: list[str], text: str) -> bool:
    at = 0
    for c in letters:
        at = text.find(c.lower(), at)
        if at < 0:
            return False
        at += 1
    return True


def _initials_matched(letters: list[str], words: list[str]) -> int:
    """How many of `letters`, in order, are the initials of `words`, in order."""
    matched = 0
    for word in words:
        if matched < len(letters) and word[0].lower() == letters[matched].lower():
            matched += 1
    return matched


def asked_acronym(question: str) -> tuple[str, bool] | None:
    """The word a question asks to spell out, and whether it asks only that ("what does X stand
    for?") rather than what the thing is ("what is the IGF?"); None for other questions. Whether the
    word is an acronym the documents define is the glossary's to say."""
    for i, pattern in enumerate(_ASKS):
        match = pattern.search(question)
        if match:
            return match.group(1), i < len(_ASKS) - 1
    return None


class Glossary:
    """The acronyms some documents define, each with the documents and places that define it.

    An acronym's definitions are looked for, when first asked for, in the documents whose passages
    hold it (`holding`), not in every document at start-up.
    """

    def __init__(self, documents: Mapping[str, Document], holding: Callable[[str], Iterable[str]]):
        """`holding(word)`: the ids of the documents whose passages hold `word`, in document order."""
        self._documents = documents
        self._holding = holding
        self._defined = lru_cache(maxsize=ACRONYMS)(self._read)

    def _read(self, acronym: str) -> tuple[tuple[str, Definition], ...]:
        return tuple(
            (doc_id, definition)
            for doc_id in self._holding(acronym)
            for definition in definitions(self._documents[doc_id].text)
            if definition.acronym.lower() == acronym
        )

    def lookup(self, acronym: str) -> list[tuple[str, Definition]]:
        """Where `acronym` is defined, as (document id, definition), in document order."""
        return list(self._defined(acronym.lower()))

    def defines(self, acronym: str, doc_id: str, start: int, end: int) -> bool:
        """Whether the span `start:end` of document `doc_id` holds the start of a definition of `acronym`."""
        return any(d == doc_id and start <= definition.start < end for d, definition in self.lookup(acronym))

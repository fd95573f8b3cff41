"""Which documents a question names: by author, type, title or file name.

A document is named by the words of its author ("the Alliance", "according to DiCarlo"), of its
type ("the letter", "the HRC statement"), and of its title and id ("the NRRD executive summary"
names `nrrd-executive-summary-2017`, "the CRAFT code" the document titled "CRAFT code", "the
Abandoned Mine Land program" the one whose id holds "aml"), with the initials of titles and
authors ("IRMA", "UNEMG") and of the question's capitalised names. Each word weighs its inverse
document frequency over these names, so that a word many documents share names none of them.

Author and type words work as they always have: any of the question's words finds a type, a
capitalised one an author (and, for the small ranking prior, any word either). Title and id words
are the documents' own distinctive words, but so are many words of any question (a SciFact claim
shares words with the titles of the papers it is about), so they name a document only inside a
*naming phrase*: a determiner, at most `PHRASE_WORDS` words and a noun for a kind of document ("the
DRC Panama Papers article", "the Open Ownership post", "the IRMA standard"). A question without one
names documents exactly as it did before titles counted.

Everything is looked up in the index's table of names (`index/names.py`), one question term at
a time: the work per question grows with its words and the documents those words name, not with
the collection.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import lru_cache

from index.lexical import tokenize
from index.names import AUTHOR_WORD, POSTINGS_CACHE, TITLE_WORD, TYPE_HEAD, TYPE_WORD, NAME_RUN, NameTable, initials, word_set
from qa.question import capitalised_terms

NAMED_SHARE = 0.5  # a document counts as named when its match is at least this share of the best
# A title or id word of more than this share of the documents (and of more than one) names none of
# them ("mining" in a mining corpus), like TOPIC_SHARE for passages. Set by hand, not swept: at 0.25
# the dev questions of both gold sets name what they should, and "mine"/"mineral" (5 and 4 of the
# 14 real titles and ids) name nothing.
TITLE_SHARE = 0.25
# Nor does a title or id word of more than this many documents, whatever the library's size: its
# postings are not read, so naming costs a question the same in a library of a million passages
# (975,980 chunks, 146,520 titles: 16.5 -> 3.3 ms a question). No gold document set comes near it.
TITLE_MOST = 1000
PHRASE_COVER = 0.5  # a phrase names a document whose names hold more than this share of its words
# ("the Open Ownership post" is not the title "... prised open"); chosen on the real dev questions
PHRASE_WORDS = 5  # words a naming phrase may hold between its determiner and its kind noun

# Fields of a document's names, as bits of a posting.
PRIOR = 1  # author or type word: any question word matching it raises the document's prior
AUTHOR = 2  # author word: names the document written with a capital ("the Alliance")
KIND = 4  # type word or type head noun: names it in any case ("the letter")
TITLE = 8  # title, id or initials word: names (and raises) it inside a naming phrase only

# Nouns for a kind of document: "the X report", "the X factsheet", "the X code" ... Not nouns for
# what a document may be about ("the DESMOND program", "the Responsible Cobalt Initiative", "the
# X study"): with "program" six SciFact claims named papers, with this list none does.
_KIND_NOUN = (
    r"(?:reports?|summar(?:y|ies)|fact\s?sheets?|briefs?|briefings?|codes?|standards?|posts?|blogs?|"
    r"articles?|sidebars?|statements?|letters?|documents?|papers?|pages?|forms?|guides?|guidance|"
    r"notes?|outcomes?|declarations?)"
)
# Words that end a naming phrase before its noun: "the Congolese government to form" is no form.
_BREAK = (r"(?:to|in|at|by|with|from|into|about|than|as|is|are|was|were|be|been|being|do|does|did|has|have|had|"
          r"say|says|said|that|which|who|whom|what|when|where|how|why|not|or)")
_PHRASE = re.compile(
    rf"\b(?:the|this|that|these|those|its)\s+((?:(?!{_BREAK}\b)[\w'’.&-]+\s+){{0,{PHRASE_WORDS}}}?({_KIND_NOUN}))\b", re.I
)


def naming_phrases(question: str) -> list[tuple[str, str]]:
    """The question's naming phrases, without the determiner, and their kind nouns: ("NRRD executive
    summary", "summary"), ("CRAFT code", "code")."""
    return [(m.group(1), m.group(2)) for m in _PHRASE.finditer(question)]


class DocumentNames:
    """The inverted index of the documents' names, and which of them a question names."""

    def __init__(self, table: NameTable, ids: Sequence[str], is_topic: Callable[[str], bool]):
        """`table`: the documents' names; `ids`: the documents' ids in the table's order;
        `is_topic(term)`: whether a term is a topic word of the passages (it names no document by
        author or type)."""
        self.table, self.ids, self._is_topic = table, ids, is_topic
        self._postings = lru_cache(maxsize=POSTINGS_CACHE)(self._read)

    def _read(self, term: str) -> tuple[tuple[tuple[int, int], ...], float]:
        """The documents whose names hold `term`, with the fields (bits) it names them by, and its
        inverse document frequency over those documents."""
        table, n = self.table, self.table.documents
        bits: dict[int, int] = defaultdict(int)

        def mark(field: int, value: int) -> None:
            if value and table.count(term, field):
                for doc in table.postings(term, field).tolist():
                    bits[doc] |= value

        topic = (table.count(term, AUTHOR_WORD) or table.count(term, TYPE_WORD)) and self._is_topic(term)
        mark(AUTHOR_WORD, 0 if topic else PRIOR | AUTHOR)
        mark(TYPE_WORD, PRIOR if topic else PRIOR | KIND)
        mark(TYPE_HEAD, KIND)
        common = table.count(term, TITLE_WORD) > max(1.0, min(TITLE_SHARE * n, TITLE_MOST))  # one document's own word names it
        mark(TITLE_WORD, 0 if common else TITLE)
        postings = tuple(sorted(bits.items()))
        return postings, (math.log(1 + n / len(postings)) if postings else 0.0)

    def _weights(self, question: str, collective: re.Pattern, naming: bool) -> dict[int, dict[str, int]]:
        """Per document matched, the question's terms that match it and the fields they match."""
        text = collective.sub(" ", question)
        terms = set(tokenize([text])[0])
        capitalised = capitalised_terms(question) if naming else set()
        found: dict[int, dict[str, int]] = defaultdict(dict)
        for t in terms | capitalised:
            for doc, bits in self._postings(t)[0]:
                if naming:
                    hit = (bits & AUTHOR if t in capitalised else 0) | (bits & KIND if t in terms else 0)
                else:
                    hit = bits & PRIOR
                if hit:
                    found[doc][t] = hit
        for phrase, noun in naming_phrases(text):
            for doc, words in self._phrase_names(phrase, noun).items():
                for t in words:
                    found[doc][t] = found[doc].get(t, 0) | TITLE
        return found

    def _title_docs(self, term: str) -> set[int]:
        return {doc for doc, bits in self._postings(term)[0] if bits & TITLE}

    def _phrase_names(self, phrase: str, noun: str) -> dict[int, set[str]]:
        """The documents a naming phrase names by title or id words, with the words that name each.

        A document is named when its title and id hold more than `PHRASE_COVER` of the phrase's
        words before the noun, the initials of a capitalised run ("Abandoned Mine Land": AML)
        standing for the run's words; a phrase of the noun alone ("the code") names a document
        whose title holds it."""
        noun_terms = word_set(noun)
        content = {t for t in word_set(phrase[: len(phrase) - len(noun)]) if not t.isdigit()}  # "the 2017 NRRD summary"
        units: list[tuple[set[str], set[str]]] = [({t}, {t}) for t in content]  # (words covered, terms naming)
        for run in NAME_RUN.findall(phrase[: len(phrase) - len(noun)]):
            letters = word_set(" ".join(initials(run, least=2)))
            if letters:
                units.append((word_set(run) & content, letters))
        held: dict[int, set[str]] = defaultdict(set)  # document -> the phrase's terms in its names
        for t in set().union(*(names for _, names in units), noun_terms):
            for doc in self._title_docs(t):
                held[doc].add(t)
        out = {}
        for doc, words in held.items():
            covered = set().union(*(cover for cover, names in units if names & words))
            if (covered and len(covered) > PHRASE_COVER * len(content)) or (not content and words & noun_terms):
                out[doc] = words
        return out

    def _shares(self, found: dict[int, dict[str, int]]) -> dict[int, float]:
        weights = {doc: sum(self._postings(t)[1] for t in words) for doc, words in found.items()}
        top = max(weights.values(), default=0.0)
        return {doc: w / top for doc, w in weights.items()} if top > 0 else {}

    def match(self, question: str, collective: re.Pattern) -> dict[int, float]:
        """Per document (by position) that the question's words match, the IDF weight of those
        words as a share of the best match, in (0, 1]: the ranking prior."""
        return self._shares(self._weights(question, collective, naming=False))

    def named(self, question: str, collective: re.Pattern) -> dict[str, tuple[set[str], set[str]]]:
        """For each document the question names, the question's terms naming it: (author words,
        type and title words)."""
        found = self._weights(question, collective, naming=True)
        shares = self._shares(found)
        out = {}
        for doc in sorted(d for d, s in shares.items() if s >= NAMED_SHARE):
            words = found[doc]
            out[self.ids[doc]] = ({t for t, b in words.items() if b & AUTHOR}, {t for t, b in words.items() if b & (KIND | TITLE)})
        return out

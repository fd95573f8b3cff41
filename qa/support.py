"""Whether a passage sentence (or two adjacent ones) supports a sentence of an LLM answer.

A claim is checked against one *window* at a time: a sentence of a passage, or two adjacent
sentences. Claim and window are cut into clauses (at commas, semicolons, dashes and linking
words such as "and", "which", "while"; a clause with fewer than `clause_min_terms` content
terms goes with its neighbour). A window supports the claim when

- every clause of the claim has at least `clause_coverage` of its content terms in one sentence
  of the window: an invented clause appended to a true sentence fails on its own, and two
  adjacent sentences support a claim only clause by clause, not by mixing their words;
- every number of the claim is in the window, and every name (a run of capitalised words; the
  first word too unless the passages write it in lower case) is in the window beside another
  content term of its clause: in one clause of the window, or within `name_reach` content
  terms of it. "Processing is concentrated in Indonesia" is not supported by "extraction occurs
  in Indonesia, Chile, Peru, China, and the DRC, processing is concentrated in China";
- its negations agree: what the claim negates ("not", "never", "without", "lack", "n't",
  "rather than", ...) the window negates, and nothing the window negates is asserted.

Content terms are the index's terms (`index.lexical.tokenize`: stop words removed, British
spellings folded, Snowball-stemmed, so "established" meets "establishment") less FUNCTION_WORDS.
`clause_coverage`, `clause_min_terms` and `name_reach` are fitted on the dev split of
eval/support_claims.jsonl by `python -m eval.fit_support`, which writes SETTINGS_FILE. The check
is lexical: it needs no model and decides the same for any encoder.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from index.lexical import tokenize

SETTINGS_FILE = Path(__file__).resolve().parent / "support.json"

# Words the index's stop list keeps that carry no content of a claim.
FUNCTION_WORDS = frozenset(tokenize([
    "has have had having been being were we our us you your he she his her him they them its itself "
    "what when where which who whom whose why how about many much there their those one ones "
    "than then so very more most any each every both either other others such same own just yet still "
    "from upon onto within across among amongst between over under after before during since until via per "
    "through toward towards would could should shall may might must can will do does did done "
    "however thus therefore moreover furthermore also already even rather instead"
])[0])
NEGATION_SCOPE_WORDS = 4  # a negation covers at most the next 4 words, up to the end of its clause
NEGATION_SCOPE_TERMS = 2  # ... and at most the first 2 content terms among them
_NEGATION = re.compile(
    r"^(?:not|no|never|none|nor|neither|nobody|nothing|nowhere|without|cannot|lacks?|lacked|lacking|"
    r"absent|absence|fails?|failed|failing|rarely|seldom|hardly|barely|scarcely|\w+n['’]t)$",
    re.I,
)
_NEGATION_PAIRS = {("rather", "than"), ("instead", "of")}  # "fragmentation rather than control"
_NOT_A_NEGATION = re.compile(r"^(?:only|merely|just|least|longer)$", re.I)  # "not only ... but also"
_NUMBER_SIGN = re.compile(r"\b[Nn]o\.(?=\s*[A-Z0-9])")  # "Resolution No. 19" is no negation
_TOKEN = re.compile(r"[\w'’.-]*\w|[,;:()\[\]—–]")
_PUNCTUATION_BREAK = r"\s*(?:[,;:](?=\s|$)|[()\[\]—]|\s[-–]\s)\s*"
_LINKS = r"but|while|whereas|which|who|whom|whose|although|though|because|leading|resulting|thereby"
# A claim's clauses also break before "and"; a passage's do not, so that "A and B are ..." stays whole.
_CLAUSE_BREAK = re.compile(rf"{_PUNCTUATION_BREAK}|\s+(?=(?:and|{_LINKS})\b)", re.I)
_WINDOW_CLAUSE_BREAK = re.compile(rf"{_PUNCTUATION_BREAK}|\s+(?=(?:{_LINKS})\b)", re.I)
_CAPITALISED = re.compile(r"^[A-Z][\w'’.-]*$")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
NUMBER_WORDS = {
    w: str(i) for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": "30", "forty": "40", "fifty": "50", "hundred": "100", "thousand": "1000"}


@dataclass(frozen=True)
class Settings:
    clause_coverage: float  # least share of a clause's content terms found in one sentence of the window
    clause_min_terms: int  # a clause with fewer content terms is checked with its neighbour
    name_reach: int  # a name stands within this many content terms of another term of its clause


@lru_cache(maxsize=1)
def settings() -> Settings:
    data = json.loads(SETTINGS_FILE.read_text(encoding="utf-8"))
    return Settings(float(data["clause_coverage"]), int(data["clause_min_terms"]), int(data["name_reach"]))


@dataclass(frozen=True)
class Window:
    """A sentence of a passage or two adjacent ones, at document offsets start..end."""

    passage: int
    start: int
    end: int
    terms: frozenset[str]
    sentences: tuple[tuple[str, ...], ...]  # the content terms of each of its sentences, in order
    clauses: tuple[frozenset[str], ...]  # the content terms of each of its clauses
    numbers: frozenset[str]
    negated: tuple[frozenset[str], ...]  # what each negation of the window covers


@dataclass(frozen=True)
class Claim:
    text: str
    clauses: tuple[tuple[str, ...], ...]  # the content terms of each clause
    names: tuple[tuple[frozenset[str], ...], ...]  # each clause's names (runs of capitalised words) as terms
    numbers: frozenset[str]
    negated: tuple[frozenset[str], ...]

    @property
    def terms(self) -> frozenset[str]:
        return frozenset(t for clause in self.clauses for t in clause)


@dataclass(frozen=True)
class Support:
    passage: int
    start: int
    end: int
    coverage: float  # share of the claim's content terms in the window


# --------------------------------------------------------------------------- features


def term_sequence(text: str) -> list[str]:
    """The content terms of `text` in order, repeats kept."""
    return [t for t in tokenize([_NUMBER_SIGN.sub(" ", text)])[0] if t not in FUNCTION_WORDS]


def content_terms(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(term_sequence(text)))


def numbers(text: str) -> frozenset[str]:
    found = {m.replace(",", "") for m in _NUMBER.findall(text)}
    found |= {NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", text.lower()) if w in NUMBER_WORDS}
    return frozenset(found)


def negations(text: str) -> tuple[frozenset[str], ...]:
    """For each negation in `text`, the content terms of the words it covers (maybe none)."""
    tokens = _TOKEN.findall(_NUMBER_SIGN.sub(" ", text))
    out = []
    for i, token in enumerate(tokens):
        pair = (tokens[i - 1].lower(), token.lower()) if i else ("", "")
        if not _NEGATION.match(token) and pair not in _NEGATION_PAIRS:
            continue
        following = tokens[i + 1:i + 1 + NEGATION_SCOPE_WORDS]
        if following and _NOT_A_NEGATION.match(following[0]):
            continue
        scope: list[str] = []
        for word in following:
            if not re.match(r"\w", word):
                break  # a clause boundary ends the scope
            scope.extend(t for t in content_terms(word) if t not in scope)
        out.append(frozenset(scope[:NEGATION_SCOPE_TERMS]))
    return tuple(out)


def _clauses(text: str, min_terms: int, breaks: re.Pattern = _CLAUSE_BREAK) -> list[tuple[str, tuple[str, ...]]]:
    """(text, content terms) of each clause; a short clause is joined to the one before it (or,
    first, to the one after)."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for piece in breaks.split(text):
        terms = content_terms(piece) if piece else ()
        if not terms:
            continue
        if out and (len(terms) < min_terms or len(out[-1][1]) < min_terms):
            out[-1] = (f"{out[-1][0]}, {piece}", tuple(dict.fromkeys(out[-1][1] + terms)))
        else:
            out.append((piece, terms))
    return out


def windows(passage: int, text: str, spans: list[tuple[int, int]], offset: int, config: Settings | None = None) -> list[Window]:
    """Every sentence of a passage and every pair of adjacent ones; `spans` are the sentences'
    document offsets and `text` the passage's text, which starts at document offset `offset`."""
    config = config or settings()
    sentences = [text[s - offset:e - offset] for s, e in spans]
    terms = [frozenset(tokenize([t])[0]) for t in sentences]
    sequences = [tuple(term_sequence(t)) for t in sentences]
    clauses = [tuple(frozenset(c) for _, c in _clauses(t, config.clause_min_terms, _WINDOW_CLAUSE_BREAK)) for t in sentences]
    out = [Window(passage, s, e, terms[i], (sequences[i],), clauses[i], numbers(sentences[i]), negations(sentences[i]))
           for i, (s, e) in enumerate(spans)]
    for i in range(len(spans) - 1):
        pair = text[spans[i][0] - offset:spans[i + 1][1] - offset]
        out.append(Window(passage, spans[i][0], spans[i + 1][1], terms[i] | terms[i + 1],
                          (sequences[i], sequences[i + 1]), clauses[i] + clauses[i + 1], numbers(pair), negations(pair)))
    return out


def claim(text: str, lowercase: frozenset[str] = frozenset(), config: Settings | None = None) -> Claim:
    """The features of a claim; `lowercase`: the words the passages write in lower case (see
    `lowercase_words`), so that a capitalised first word among them ("Mining ...") is no name."""
    config = config or settings()
    clauses = _clauses(text, config.clause_min_terms)
    first = True
    names = []
    for piece, _ in clauses:
        groups: list[frozenset[str]] = []
        run: list[str] = []
        for word in _TOKEN.findall(piece) + [","]:
            bare = re.sub(r"['’]s$", "", word).lower()
            if _CAPITALISED.match(word) and not (first and (bare in lowercase or not content_terms(bare))):
                run.extend(content_terms(word))
            elif content_terms(word) or not re.match(r"\w", word):
                if run:  # a content word or a stop ends a run of capitalised words ("of" does not)
                    groups.append(frozenset(run))
                run = []
            first = first and not re.match(r"\w", word)
        names.append(tuple(groups))
    return Claim(text, tuple(c for _, c in clauses), tuple(names), numbers(text), negations(text))


def lowercase_words(texts: list[str]) -> frozenset[str]:
    return frozenset(w for text in texts for w in re.findall(r"\b[a-z][\w-]*", text))


# --------------------------------------------------------------------------- the check


@dataclass(frozen=True)
class Match:
    """How well a window holds a claim whose numbers, names and negations it has: the least
    share of a clause's terms in one sentence, the farthest a name stands from its clause's other
    words (in content terms; 0 when a clause of the window holds them together), and the share of
    all the claim's terms in the window."""

    clause_coverage: float
    name_reach: int
    coverage: float

    def supports(self, config: Settings) -> bool:
        return self.clause_coverage >= config.clause_coverage and self.name_reach <= config.name_reach


def match(c: Claim, w: Window) -> Match | None:
    """How the window holds the claim; None when a number or name is missing or a negation disagrees."""
    if not c.clauses or not c.numbers <= w.numbers:
        return None
    least, reach = 1.0, 0
    sentences = [set(sequence) for sequence in w.sentences]
    for clause, groups in zip(c.clauses, c.names):
        # each clause is found in one sentence; a pair joins two clauses' sentences
        least = min(least, max(sum(t in terms for t in clause) for terms in sentences) / len(clause))
        for group in groups:
            if not group <= w.terms:
                return None
            others = set(clause) - group
            if others and any(group & wc and others & wc for wc in w.clauses):
                continue  # a clause of the window holds the name and another word of its clause
            distance = _distance(group, others, w.sentences)
            if distance is None:
                return None
            reach = max(reach, distance)
    window_negated = frozenset().union(*w.negated)
    for scope in c.negated:  # what the claim denies, the window denies too
        if not (scope & window_negated if scope else w.negated):
            return None
    claim_negated = frozenset().union(*c.negated)
    terms = c.terms
    if any(t in terms and t not in claim_negated for scope in w.negated for t in scope):
        return None  # the claim asserts what the window denies
    return Match(least, reach, sum(t in w.terms for t in terms) / len(terms))


def _distance(name: frozenset[str], others: set[str], sentences: tuple[tuple[str, ...], ...]) -> int | None:
    """The fewest content terms between a term of `name` and one of `others` in a sentence (0
    when the clause has no other terms; None when no sentence holds both)."""
    if not others:
        return 0
    distances = [
        abs(i - j)
        for sequence in sentences
        for i, t in enumerate(sequence) if t in name
        for j, u in enumerate(sequence) if u in others
    ]
    return min(distances) if distances else None


def best_support(c: Claim, candidates: list[Window], cited: tuple[int, ...], config: Settings | None = None) -> list[Support]:
    """The supports of a claim: in each cited passage that supports it, its best window; when
    none does, the best window of any other passage (the claim is re-cited there); [] when no
    window supports it. Best: the highest coverage, then the shorter window."""
    return choose([(w, match(c, w)) for w in candidates], cited, config)


def choose(matches: list[tuple[Window, Match | None]], cited: tuple[int, ...], config: Settings | None = None) -> list[Support]:
    """`best_support` from the windows' matches."""
    config = config or settings()
    best: dict[int, tuple[tuple[float, int], Support]] = {}
    for w, m in matches:
        if m is None or not m.supports(config):
            continue
        key = (m.coverage, -(w.end - w.start))
        if w.passage not in best or key > best[w.passage][0]:
            best[w.passage] = (key, Support(w.passage, w.start, w.end, m.coverage))
    in_cited = [best[n][1] for n in cited if n in best]
    if in_cited:
        return in_cited
    if not best:
        return []
    return [max(best.values(), key=lambda item: item[0])[1]]

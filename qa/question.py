"""What a question asks: its key terms and the kind of answer it expects."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.digests import CONCLUSIONS, RECOMMENDATIONS, SUMMARY_HEADING
from index.lexical import tokenize
from qa.publication import dated_subject

MAX_QUESTION_CHARS = 1000

# Words that point at the documents themselves rather than at their content.
META_WORDS = (
    "document documents report reports letter letters statement statements text texts paper "
    "say says said mention mentions mentioned according describe describes described "
    "discuss discusses discussed state states stated note notes noted explain explains "
    "author authors give gives tell tells please "
    "what when where which who whom whose why how does do did about many much must should "
    "could would can may might also there their its main kind kinds type types way ways"
)
_META = frozenset(tokenize([META_WORDS])[0])

DATE, NUMBER, COUNTRY, WHO, LIST, OTHER = "date", "number", "country", "who", "list", "other"
_PATTERNS = (
    (DATE, re.compile(r"(?:^\s*|[,;]\s*|\b(?:and|or|since|by|until)\s+)when\b|\bwhat (?:years?|dates?|months?|days?)\b|\bwhich (?:years?|dates?|months?)\b|\bhow long ago\b", re.I)),
    (NUMBER, re.compile(r"\bhow (?:many|much)\b|\bwhat (?:percentage|percent|share|proportion|number|amount)\b|\bhow large\b", re.I)),
    (COUNTRY, re.compile(r"\b(?:which|what) (?:\w+ )?(?:countr(?:y|ies)|nations?|governments|member states)\b", re.I)),
    (WHO, re.compile(r"^\s*who\b|\bwhich (?:organi[sz]ation|body|agency|institution|person|company|group|ngo|university)\b|\bwhat (?:organi[sz]ation|body|agency|institution)\b|\bwho (?:is|was|are|were)\b", re.I)),
    (LIST, re.compile(r"\blist\b|\bname (?:the|all|some)\b|\bwhat (?:are|were) (?:the|some|its|their)\b|\bwhat (?:\w+ ){0,3}(?:does|do|did) .*\b(?:include|includes|identify|list|propose|recommend|call for|urge)\b", re.I)),
)

# The noun phrase after "which"/"what" ends at the first word that cannot be part of it.
_PHRASE_END = frozenset(
    "is are was were be been being do does did has have had can could will would shall should may might must "  # auxiliaries
    "of in on for to from by with at under between among about into across against over through within without "
    "inside outside behind during since after before per "  # prepositions
    "the a an this that these those its their his her our your my any some each every all no "  # determiners
    "and or but nor who whom whose which when where why how".split()
)
_SEVERAL = frozenset("two three four five six seven eight nine ten eleven twelve twenty several multiple various both".split())
_IRREGULAR_PLURALS = frozenset("people children women men criteria phenomena media data".split())
# Verbs that follow "what" directly ("What happens inside ...", "What makes X ..."): no plural noun
_WHAT_VERBS = frozenset("happens remains matters counts means stands lies comes goes depends applies exists makes causes".split())
_WH = re.compile(r"\b(which|what)\s+", re.I)
_PHRASE_WORD = re.compile(r"[A-Za-z][\w'’-]*|\d[\d,.]*|[,;:?!]")
MAX_PHRASE = 4  # words of the asked-for noun phrase: "which (stakeholder groups)", "what (two categories)"


class InvalidQuestion(ValueError):
    """The question is empty or too long."""


# "What was the total revenue of X?" / "How many members did X have?": the thing asked for.
_QUALIFIERS = r"(?:(?:current|total|annual|exact|latest)\s+)*"
_OWNED = r"(?:(?:(?-i:[A-Z])[\w-]*\s+)*[\w'’-]+['’]s\s+)?"  # "Jessica DiCarlo's", "BLM's"
_IS_THE = rf"(?:is|was|are|were)\s+(?:the\s+)?{_QUALIFIERS}{_OWNED}{_QUALIFIERS}"
_FOCUS = re.compile(
    rf"^\s*(?:what\s+{_IS_THE}|how\s+(?:many|much)\s+(?:{_IS_THE})?"
    r"|who\s+(?:is|was)\s+the\s+(?:(?:current|first|new)\s+)?)"
    r"([a-z][a-z-]*(?:\s+[a-z][a-z-]*)?)",
    re.I,
)
# "What fee does a member pay?", "What sentence did X receive?": one thing asked for by its kind.
# (Not a list, "what tasks does it give", whose items need not repeat the noun, nor a date, a count or a
# country, which `Answerer._holds_kind` checks by their form: "what year did ..." is answered by "in 2003".)
_ASKED_THING = re.compile(
    r"^\s*what\s+((?:[a-z][a-z-]*\s+){0,1}[a-z][a-z-]*)\s+(?:does|do|did|must|should|can|could|will|would|has|have|had)\b", re.I
)
# "Did UNEA-5 vote to ...?", "When did the EU ban ...?": a question about a formal act.
# An answer must name the act; documents that never do cannot say whether or when it happened.
_FORMAL_ACT = re.compile(
    r"^\s*(?:(?:when|where|why|how)\s+)?(?:did|has|have|had|was|were)\s+(?:[\w'’.-]+\s+){1,8}?"
    r"(vot(?:e|ed|ing)|ratif(?:y|ied)|veto(?:ed)?|adopt(?:ed)?|ban(?:ned)?"
    r"|sanction(?:ed)?|elect(?:ed)?|appoint(?:ed)?|sued?)\b",
    re.I,
)
# Asked-for things that a passage answers without naming them ("the purpose of X is ...").
ABSTRACT_FOCUS = frozenset(
    tokenize([
        "purpose role aim aims goal goals main significance point idea reason reasons meaning difference "
        "relationship impact effect effects view position stance argument approach focus name definition "
        "status nature scope content context background history key core central first second third"
    ])[0]
)
_AUXILIARIES = frozenset("has have had is are was were do does did will would can could shall should may might must".split())
_PRONOUN = re.compile(r"\b(?:it|its|they|their|them|he|she|his|her)\b", re.I)
_CAPITALISED = re.compile(r"\b[A-Z][\w-]*")
_ASKS_DOCUMENTS = re.compile(  # "Which documents identify ...?": the answer names documents
    r"\b(?:which|what) (?:of the )?(?:documents|reports|texts|sources|papers|publications)\b"
    r"|\bin which (?:documents|reports|texts|sources)\b",
    re.I,
)
# "Is deep-sea mining discussed?", "Does the letter mention child labour?": whether a topic is named.
_MENTIONS = (
    re.compile(r"^\s*(?:is|are|was|were)\s+(.+?)\s+(?:discussed|mentioned|covered|addressed|referred\s+to|talked\s+about|cited)\b", re.I),
    re.compile(
        r"^\s*(?:does|do|did)\s+(?:any\s+of\s+)?(?:the\s+)?(?:[\w'’-]+\s+){0,5}?(?:mention|discuss|cover|address|refer\s+to|"
        r"talk\s+about|say\s+anything\s+about)\s+(.+?)\s*[?.!]*$",
        re.I,
    ),
)
# "Summarize the letter", "What is the Wilson report about?", "What are the key takeaways of ...?"
_SUMMARY = re.compile(
    r"^\s*(?:please\s+)?(?:summari[sz]e|sum\s+up|give\s+(?:me\s+)?(?:an?\s+)?(?:short\s+|brief\s+)?(?:overview|summary|gist))\b"
    r"|^\s*(?:what\s+is|what['’]?s)\s+(?:the\s+|this\s+)?[\w\s'’-]+?\s+about\s*[?.!]*\s*$"
    r"|^\s*what\s+(?:is|are)\s+(?:the\s+)?(?:main|key|central|core)\s+(?:points?|arguments?|messages?|takeaways?|"
    r"findings?|ideas?|themes?|conclusions?)\s+(?:of|in|from)\b"
    r"|^\s*(?:an?\s+)?(?:overview|summary)\s+of\b",
    re.I,
)
# "What does the Wilson report conclude?", "What are the recommendations of the letter?": what a
# named document as a whole concludes or recommends (the verb ends the question: "What does the
# letter recommend about X?" asks about X).
_GIST = re.compile(
    r"^\s*what\s+(?:does|do|did)\s+(?:the|this|that)\s+[\w\s'’.-]+?\s+(?P<verb>conclude|recommend|propose|find|argue|call\s+for)\s*[?.!]*\s*$"
    r"|^\s*what\s+(?:are|were|is)\s+(?:the\s+)?(?:main\s+|key\s+)?(?P<noun>conclusions?|recommendations?|findings?|proposals?)"
    r"\s+(?:of|in|from)\s+(?:the|this|that)\s+[\w\s'’.-]+?\s*[?.!]*\s*$",
    re.I,
)
_TOPIC_HEAD = re.compile(r"^\s*(?:the|a|an|any|some)\s+", re.I)
_TOPIC_TAIL = re.compile(r"\s+(?:(?:in|by)\s+(?:the|any|these|those|all)\s+(?:\w+\s+)?(?:documents?|reports?|texts?|sources?)|anywhere)\b.*$", re.I)
# A name with a number: "UNEA-6", "COP 29", "G20", "SDG8", "3TG".
_IDENTIFIER = re.compile(r"\b(?:[A-Z]{2,8}[- ]?\d{1,3}|[A-Z]\d{1,3}|\d{1,2}[A-Z]{2,5})\b")
_PART_SPLIT = re.compile(r",?\s+and\s+(?=(?:what|who|when|which|how|where|why|whose)\b)", re.I)


@dataclass(frozen=True)
class Question:
    text: str
    terms: tuple[str, ...]  # stemmed content terms, without stop words and meta words
    expects: str
    parts: tuple["Question", ...] = ()  # "When was X launched, and when revised?" -> its two questions
    focus: tuple[str, ...] = ()  # terms of the thing asked for, which an answer must mention
    context: tuple[str, ...] = ()  # a later part's terms for what its pronoun points at ("it" -> the IGF)
    focus_of: tuple[str, ...] = ()  # terms of what the focus belongs to ("the capital *of France*")
    across_documents: bool = False  # "Which documents ...?": each document that answers gets a sentence
    identifiers: tuple[str, ...] = ()  # names with a number ("UNEA-6"), as `identifiers` writes them
    names: tuple[str, ...] = ()  # terms of its capitalised words after the first ("When did *UNEA-4* meet?")
    topic: str = ""  # "Is *deep-sea mining* discussed?": the phrase an answer must name
    summary: bool = False  # "Summarize the letter": what a named document says overall
    gist: str = ""  # "What does the report conclude?": CONCLUSIONS or RECOMMENDATIONS of a named document
    dated: str = ""  # "When was *the HRC statement* issued?": what the question asks the date of
    scored: tuple[str, ...] = ()  # the terms its sentences are scored by, when not `terms`: those retrieval searched
    naming: tuple[str, ...] = ()  # terms that name the documents it names ("trade", "initiative"): no part of its point

    @classmethod
    def parse(cls, text: str) -> "Question":
        pieces = [p for p in _PART_SPLIT.split(text) if p.strip()]
        parts = ()
        if len(pieces) > 1:
            named = _names(pieces[0])  # "... does the IGF have, and what tool did it develop?": "it" is the IGF
            parts = tuple(
                cls(p, key_terms(p), expected_kind(p), context=named if i and _PRONOUN.search(p) else ())
                for i, p in enumerate(pieces)
            )
        gist = gist_of(text)
        return cls(
            text, key_terms(text), expected_kind(text), parts, focus_terms(text),
            across_documents=asks_documents(text), focus_of=focus_owner(text), identifiers=identifiers(text),
            names=_names(text), topic=topic_of(text), summary=asks_summary(text) and not gist, dated=dated_subject(text),
            gist=gist,
        )


def capitalised_terms(text: str) -> set[str]:
    """Terms of the words of `text` written with a capital ("the Alliance", "HRC")."""
    return set(tokenize([" ".join(_CAPITALISED.findall(text))])[0])


def _names(text: str) -> tuple[str, ...]:
    """Terms of the capitalised names in `text` after its first word ("How many ... the IGF" -> igf)."""
    return key_terms(" ".join(_CAPITALISED.findall(text.split(maxsplit=1)[1] if " " in text.strip() else "")))


def identifiers(text: str) -> tuple[str, ...]:
    """The names with a number in `text` ("UNEA-6", "COP 29"), lowercase without hyphen or space."""
    return tuple(dict.fromkeys(re.sub(r"[- ]", "", m).lower() for m in _IDENTIFIER.findall(text)))


def topic_of(text: str) -> str:
    """The topic a "Does the letter mention X?" / "Is X discussed?" question asks about ("X")."""
    for pattern in _MENTIONS:
        match = pattern.search(text)
        if match:
            topic = _TOPIC_TAIL.sub("", match.group(1))
            return _TOPIC_HEAD.sub("", topic).strip() if key_terms(topic) else ""
    return ""


def asks_summary(text: str) -> bool:
    """Whether the question asks what something says overall ("Summarize the letter")."""
    return bool(_SUMMARY.search(text))


def gist_of(text: str) -> str:
    """CONCLUSIONS for "What does the report conclude / find / argue?" (or "What are the conclusions
    of …?"), RECOMMENDATIONS for "… recommend / propose / call for?"; "" for other questions."""
    match = _GIST.search(text)
    if not match:
        return ""
    word = (match.group("verb") or match.group("noun")).lower()
    return RECOMMENDATIONS if word.startswith(("recommend", "propos", "call")) else CONCLUSIONS


def is_summary_section(section: tuple[str, ...]) -> bool:
    """Whether a section path lies in a document's own summary ("Abstract", "Executive summary")."""
    return any(SUMMARY_HEADING.match(heading) for heading in section)


def asks_documents(text: str) -> bool:
    """Whether the question asks which documents say something ("Which reports mention ...?")."""
    return bool(_ASKS_DOCUMENTS.search(text))


def check_question(text: str) -> str:
    """The question, stripped; raises `InvalidQuestion` for empty or over-long questions."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidQuestion("the question is empty; type a question about the documents")
    text = " ".join(text.split())
    if len(text) > MAX_QUESTION_CHARS:
        raise InvalidQuestion(f"the question is {len(text)} characters long; the limit is {MAX_QUESTION_CHARS}, shorten it")
    return text


def key_terms(text: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for term in tokenize([text])[0]:
        if term not in _META:
            seen.setdefault(term)
    return tuple(seen)


def focus_terms(text: str) -> tuple[str, ...]:
    """Terms of the asked-for noun in "what is the X ..." / "how many X ...", when it is concrete,
    or of the formal act a yes/no question asks about ("did X *vote* to ...")."""
    match = _FOCUS.search(text)
    thing = _ASKED_THING.search(text)
    if not match and thing and expected_kind(text) == OTHER:  # a date, count, country or list has its own check
        terms = key_terms(" ".join(w for w in thing.group(1).split() if not _is_adverb(w)))
        return () if not terms or any(t in ABSTRACT_FOCUS for t in terms) else terms
    if not match:
        act = _FORMAL_ACT.search(text)
        return key_terms(act.group(1)) if act else ()
    if match.group(0).lower().lstrip().startswith("what") and match.group(1).split()[0].lower().endswith("ing"):
        return ()  # "what is holding up ...": a verb, not a thing ("how much funding" is one)
    words = match.group(1).split()
    if words[0].lower() in _AUXILIARIES:
        return ()  # "how much did X pay": an amount asked, its subject no thing asked for
    if len(words) == 2 and words[1].lower() in ("by", "as"):
        return ()  # "what is meant by X", "what is known as X": a passive verb, not a thing
    terms = key_terms(" ".join(w for w in words if w.lower() not in _AUXILIARIES))
    return () if not terms or any(t in ABSTRACT_FOCUS for t in terms) else terms


# Words between "what" and its verb that are no thing asked for: "what *else* did ...", "what *more* does ..."
_ADVERBS = frozenset(
    "else more less then now ever just also still further again instead exactly precisely specifically actually "
    "really currently usually typically generally particularly especially mainly mostly primarily finally".split()
)


def _is_adverb(word: str) -> bool:
    return word.lower() in _ADVERBS


_OWNER = re.compile(r"\s*(.+?)(?=\s+(?:in|for|per|during|since|as|at|on|by|and|or)\b|\s*[?,;.!]|\s*$)", re.I)


def focus_owner(text: str) -> tuple[str, ...]:
    """Terms of what the asked-for thing belongs to: "France" in "what is the capital of France?",
    when the focus is concrete; an answer must name both in one sentence."""
    match = _FOCUS.search(text)
    if not match or not focus_terms(text):
        return ()
    rest = text[match.end():]
    if not re.match(r"\s+of\b", rest) and match.group(1).split()[-1].lower() != "of":
        return ()
    owner = _OWNER.match(re.sub(r"^\s+of\b", "", rest))
    return key_terms(owner.group(1)) if owner else ()



def expected_kind(text: str) -> str:
    for kind, pattern in _PATTERNS:
        if pattern.search(text):
            return kind
    return LIST if asks_several(text) else OTHER


def asks_several(text: str) -> bool:
    """Whether the noun phrase after the question's "which"/"what" is plural or counted: "Which
    stakeholder groups did ...", "Which orebodies make up ...", "What kinds of payments ...",
    "What two categories ...", but not "At which event did ...", "What legal standing must ...",
    "Which Human Rights Council session ..." nor "What happens inside ..."."""
    match = _WH.search(text)
    if not match:
        return False
    phrase: list[str] = []
    for i, word in enumerate(_PHRASE_WORD.findall(text[match.end():])[:MAX_PHRASE + 1]):
        lower = word.lower()
        if not word[0].isalnum() or lower in _PHRASE_END or (i and lower.endswith("ed")):
            break
        phrase.append(word)
    else:  # no end within MAX_PHRASE words: only a count tells
        return any(w.lower() in _SEVERAL for w in phrase)
    if not phrase:
        return False
    if any(w.lower() in _SEVERAL for w in phrase):
        return True
    head = phrase[-1]
    if match.group(1).lower() == "what":  # "what" may be followed by a verb: "What happens ..."
        return _plural(head) and not (len(phrase) == 1 and head.lower() in _WHAT_VERBS)
    # "which" is followed by a noun; a lowercase plural before the head's verb counts ("Which orebodies make up")
    return _plural(head) or any(_plural(w) and w.islower() for w in phrase[:-1])


def _plural(word: str) -> bool:
    """Whether `word` looks like a plural noun ("groups", "authorities", "people"; not "process", "status")."""
    w = word.lower().rstrip("'’")
    if w in _IRREGULAR_PLURALS:
        return True
    return len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is", "'s", "’s"))

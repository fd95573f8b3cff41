"""Follow-up questions in a conversation, read against the previous turn.

- A pronoun ("When was it launched?" after "What is the HLEAG?") stands for the one name the
  previous question asked about, when the question names nothing of its own.
- "And X?" / "What about X?" is the previous question with X in place of what plays X's part
  there: the document it names ("And the trade initiative?"), the name it asked about ("And the
  IGF?"), or its topic, the words after its last preposition or its last word ("What about
  lithium?" after "Which countries produce cobalt?").
- "Why?" asks the reason of the previous question ("Why was the HLEAG delayed?").
- "The second one", "the last point", "number 3" stand for that item of the previous answer: its
  quoted sentences in order, a list's lead-in ("… the following principles:") not counted.

The reading is shown to the user, who can always ask the full question instead.
"""

from __future__ import annotations

import re

from qa.lists import is_lead_in

_POINTER = re.compile(r"\b(?:it|they|them|he|she|him|its|their|his)\b", re.I)
_POSSESSIVE = frozenset({"its", "their", "his"})
# "Is it true that ...", "it is important to ...": an "it" that points at nothing.
_EXPLETIVE = re.compile(
    r"\b(?:(?:is|was|isn't|wasn't)\s+it|it\s+(?:is|was))\s+(?:not\s+)?(?:true|possible|likely|necessary|important|"
    r"clear|known|right|fair|wrong|worth|easy|hard|difficult|enough)\b",
    re.I,
)
_CAPITALISED = re.compile(r"\b[A-Z]")
MAX_TOPIC_WORDS = 6  # "What about X?" with a longer X is a question of its own
_WHY = re.compile(r"^\s*(?:and\s+)?(?:why|why\s+(?:is|was)\s+(?:that|this|it)|why\s+so|how\s+come)\s*[?.!]*\s*$", re.I)
_AUXILIARY = r"(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|must|may|might)"
_AUXILIARY_START = re.compile(rf"^{_AUXILIARY}\b", re.I)
_WH_AUXILIARY = re.compile(rf"^(?:what|which)\s+(?:\w+\s+)?({_AUXILIARY})\s+(.+)$", re.I)
# The previous question's topic: what follows its last preposition ("say about *children*"), else its last word.
_PREPOSITION = r"\b(?:about|on|regarding|concerning|for|of|over|into|with|in|to|from|by)\b"
_TRAILING_OBJECT = re.compile(
    rf"{_PREPOSITION}\s+(?:(?:the|a|an)\s+)?(?P<topic>(?:(?!{_PREPOSITION})[^?.!])+?)\s*[?.!]*\s*$", re.I
)
_OWN_QUESTION = re.compile(rf"^(?:who|whom|what|when|where|why|how|which|whose|{_AUXILIARY})\b", re.I)
_LAST_WORD = re.compile(r"(?P<topic>[\w’'-]+)\s*[?.!]*\s*$")
_FUNCTION_WORDS = frozenset("it them this that these those one ones do does did is are was were be been for to of on in about".split())
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
_ORDINAL = re.compile(
    r"\bthe\s+(?P<ordinal>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|\d{1,2}(?:st|nd|rd|th))"
    r"(?:\s+(?:one|item|point|entry|principle|step|option|measure|recommendation|area)\b|(?=\s*(?:[?.!,]|$)))"
    r"|\bnumber\s+(?P<number>\d{1,2})\b",
    re.I,
)
_MARKER = re.compile(r"\s*\[\d+\]\s*")
_LIST_MARK = re.compile(
    r"^(?:[-•*]\s+|\(?\d{1,2}[.)]\s+|\(?[a-z][.)]\s+|(?:First|Second|Third|Fourth|Fifth|Sixth|Finally|Lastly),\s+)"
)
_LEADING_PREPOSITION = re.compile(rf"^\s*{_PREPOSITION}\s+", re.I)
# "And the trade initiative?", "What about the IGF?": the previous question, about something else
_ELLIPSIS = re.compile(r"^\s*(?:and|what\s+about|how\s+about)\s+((?:\S+\s+){0,7}?\S+?)\s*[?.!]*\s*$", re.I)
# A name: capitalised words, with the small words inside names ("Ministry of Commerce"), and "the" before it.
_NAME = re.compile(
    r"(?:\b[Tt]he\s+)?[A-Z][\w’'.&-]*(?:\s+(?:(?:of|for|and|on|the|de|&)\s+)*[A-Z][\w’'.&-]*)*"
)


def subject(question: str) -> str | None:
    """The one name `question` asks about, after its first word ("What is the HLEAG?" -> "the HLEAG");
    None when it names none or several."""
    words = question.split(maxsplit=1)
    if len(words) < 2:
        return None
    names = {re.sub(r"(?:['’]s)?[?.!,;:]*$", "", m.group(0)) for m in _NAME.finditer(words[1])}
    names.discard("")
    return names.pop() if len(names) == 1 else None


def read_as_follow_up(question: str, previous: str, kinds: tuple[str, ...] = (), previous_answer: str = "") -> str:
    """`question`, or its reading as a follow-up to `previous` (whose answer was `previous_answer`):
    see the module docstring. `kinds`: the nouns that name a kind of document here ("letter")."""
    question = _with_item(question, previous_answer)
    ellipsis = _ELLIPSIS.match(question)
    read = _in_place_of(previous, ellipsis.group(1), kinds) if ellipsis and previous else None
    if read:
        return read
    if previous and _WHY.match(question):
        return _why(previous) or question
    words = question.split(maxsplit=1)
    if not previous or len(words) < 2 or _CAPITALISED.search(words[1]) or _EXPLETIVE.search(question):
        return question
    pointer = _POINTER.search(question)
    name = subject(previous) if pointer else None
    if pointer is None or name is None:
        return question
    replacement = f"{name}’s" if pointer.group(0).lower() in _POSSESSIVE else name
    if pointer.start() == 0:
        replacement = replacement[0].upper() + replacement[1:]
    return question[:pointer.start()] + replacement + question[pointer.end():]


def _in_place_of(previous: str, other: str, kinds: tuple[str, ...]) -> str | None:
    """`previous` with `other` in place of the document it names, when `other` names a document too
    ("the trade initiative"), or else of the one name it asked about, when `other` is a name."""
    if kinds:  # "And the letter?", "What about in the letter?"
        document = re.compile(rf"\bthe\s+(?:[\w'’-]+\s+){{0,3}}?(?:{'|'.join(map(re.escape, kinds))})s?\b", re.I)
        named = document.search(previous)
        bare = _LEADING_PREPOSITION.sub("", other).strip()
        if named and document.fullmatch(bare):
            return previous[:named.start()] + bare + previous[named.end():]
    preposition = _LEADING_PREPOSITION.match(other)
    if preposition:  # "And in Zambia?" after "... in the DRC?", "And for nickel?" after "... for cobalt?"
        last = _TRAILING_OBJECT.search(previous)
        said = previous[last.start():last.start("topic")].split()[0].lower() if last else ""
        if not last or said != preposition.group(0).strip().lower():
            return None
        return previous[:last.start()] + other.strip() + previous[last.end("topic"):]
    name = subject(previous)
    if name and _CAPITALISED.search(other) and name in previous:
        at = previous.index(name)
        return previous[:at] + other.strip() + previous[at + len(name):]
    if _CAPITALISED.match(other) or len(other.split()) > MAX_TOPIC_WORDS or _OWN_QUESTION.match(other) or _POINTER.search(other):
        return None  # "And when was it launched?" is a question of its own
    topic = _TRAILING_OBJECT.search(previous) or _LAST_WORD.search(previous)
    if topic is None or topic.group("topic").lower() in _FUNCTION_WORDS:
        return None
    return previous[:topic.start("topic")] + other.strip() + previous[topic.end("topic"):]


def _why(previous: str) -> str | None:
    """"Why?" after a yes/no or a what-did question: the reason of what it asked."""
    stripped = previous.strip().rstrip("?.! ")
    if _AUXILIARY_START.match(stripped):
        return f"Why {stripped[0].lower()}{stripped[1:]}?"
    wh = _WH_AUXILIARY.match(stripped)
    return f"Why {wh.group(1).lower()} {wh.group(2)}?" if wh else None


def _with_item(question: str, previous_answer: str) -> str:
    """`question` with "the second one" replaced by that item of the previous answer."""
    found = _ORDINAL.search(question)
    items = _items(previous_answer) if found and previous_answer else []
    if not items:
        return question
    word = (found.group("ordinal") or found.group("number")).lower()
    index = -1 if word == "last" else (_ORDINALS.index(word) if word in _ORDINALS else int(re.sub(r"\D", "", word)) - 1)
    if not -len(items) <= index < len(items):
        return question
    return question[:found.start()] + items[index] + question[found.end():]


def _items(answer: str) -> list[str]:
    """The quoted sentences of an answer, in order, without markers; a list's lead-in left out."""
    parts = [p.strip() for p in _MARKER.split(answer)]
    items = [_LIST_MARK.sub("", p).rstrip(" .;") for p in parts if p]
    if len(items) > 1 and is_lead_in(parts[0]):
        items = items[1:]
    return [i for i in items if i]


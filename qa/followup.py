"""Follow-up questions in a conversation: "When was it launched?" after "What is the HLEAG?",
"And the trade initiative?" after "What does the letter say about women?".

A question that names nothing of its own but points back with a pronoun is read with the name the
previous question asked about in the pronoun's place; "And X?" / "What about X?" is read as the
previous question with X in place of the document or the name it asked about. The reading is shown
to the user, who can always ask the full question instead.
"""

from __future__ import annotations

import re

_POINTER = re.compile(r"\b(?:it|they|them|he|she|him|its|their|his)\b", re.I)
_POSSESSIVE = frozenset({"its", "their", "his"})
# "Is it true that ...", "it is important to ...": an "it" that points at nothing.
_EXPLETIVE = re.compile(
    r"\b(?:(?:is|was|isn't|wasn't)\s+it|it\s+(?:is|was))\s+(?:not\s+)?(?:true|possible|likely|necessary|important|"
    r"clear|known|right|fair|wrong|worth|easy|hard|difficult|enough)\b",
    re.I,
)
_CAPITALISED = re.compile(r"\b[A-Z]")
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


def read_as_follow_up(question: str, previous: str, kinds: tuple[str, ...] = ()) -> str:
    """`question`, or its reading as a follow-up to `previous`: when it names nothing of its own and
    points back with a pronoun ("When was it launched?" -> "When was the HLEAG launched?"), or when
    it is "And X?" ("And the trade initiative?" -> "What does the trade initiative say about
    women?"). `kinds`: the nouns that name a kind of document here ("letter", "report")."""
    ellipsis = _ELLIPSIS.match(question)
    read = _in_place_of(previous, ellipsis.group(1), kinds) if ellipsis and previous else None
    if read:
        return read
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
    if kinds:
        document = re.compile(rf"\bthe\s+(?:[\w'’-]+\s+){{0,3}}?(?:{'|'.join(map(re.escape, kinds))})s?\b", re.I)
        named = document.search(previous)
        if named and document.fullmatch(other.strip()):
            return previous[:named.start()] + other.strip() + previous[named.end():]
    name = subject(previous)
    if name and _CAPITALISED.search(other) and name in previous:
        at = previous.index(name)
        return previous[:at] + other.strip() + previous[at + len(name):]
    return None


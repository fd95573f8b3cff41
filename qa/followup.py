"""Follow-up questions in a conversation: "When was it launched?" after "What is the HLEAG?".

A question that names nothing of its own but points back with a pronoun is read with the name the
previous question asked about in the pronoun's place. The reading is shown to the user, who can
always ask the full question instead.
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


def read_as_follow_up(question: str, previous: str) -> str:
    """`question`, or its reading as a follow-up to `previous` when it names nothing of its own and
    points back with a pronoun ("When was it launched?" -> "When was the HLEAG launched?")."""
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

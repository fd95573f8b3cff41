"""Whether the documents mention a topic ("Is deep-sea mining discussed?", "Does the letter mention
child labour?"): a sentence must name it, its words in order and close together."""

from __future__ import annotations

from index.lexical import words
from qa.candidate import Candidate

TOPIC_GAP = 3  # other words that may stand among a topic's ("artisanal *and small-scale* mining")


def names_topic(topic: str, text: str) -> bool:
    """Whether `text` names `topic`: "child labor" for "child labour", "artisanal and small-scale
    mining" for "artisanal mining"; not "labour unions ... child rights", nor "Rights and
    Development" for "right to development"."""
    return _holds(words(topic), words(text))


def _holds(wanted: list[str], said: list[str]) -> bool:
    """Whether `said` holds the words `wanted` in order, at most `TOPIC_GAP` others among them."""
    if not wanted:
        return False
    reach = len(wanted) + TOPIC_GAP
    for i, word in enumerate(said):
        if word == wanted[0]:
            at = 1
            for w in said[i + 1:i + reach]:
                at += at < len(wanted) and w == wanted[at]
            if at == len(wanted):
                return True
    return False


def mentioning(topic: str, ranked: list[Candidate], named_docs: tuple[str, ...], limit: int) -> list[Candidate]:
    """The best sentence naming `topic` from each document the question names (from any, when it
    names none), at most `limit` or one per named document."""
    wanted = words(topic)
    best: dict[str, Candidate] = {}
    for cand in ranked:
        doc_id = cand.hit.chunk.doc_id
        if doc_id not in best and (not named_docs or doc_id in named_docs) and _holds(wanted, words(cand.text)):
            best[doc_id] = cand
    return list(best.values())[:max(limit, len(named_docs))]

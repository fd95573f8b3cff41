"""Check an answer's template statements against the index, independently of the modules that
make them: a statement that a document (or the library) uses none of some words or phrases must
hold for every passage; "That is the whole list: N items." must follow the N quotes of every top-level
item of one list, as the document's blocks mark it."""

from __future__ import annotations

import re

from index.lexical import tokenize, words
from qa.composer import ITEM_LEAD

_STATEMENT = re.compile(r"No passage of (?:“(?P<title>[^”]+)”|any indexed document) uses the words? (?P<words>.+?)\.(?=\s|$)")
_WORD = re.compile(r"“([^”]+)”")
_WHOLE_LIST = re.compile(r"That is the whole list: (\d+) items\.(?=\s|$)")
_MARKED = re.compile(r"(.+?) \[(\d+)\](?:\s+|$)")


def without_statements(answer, index) -> str:
    """The answer's text without its statements, each checked against `index`. Fails the test
    when one does not hold. A line's list-item number or bullet (not quoted: `qa.composer.ITEM_LEAD`)
    is left out."""
    text = "\n".join(ITEM_LEAD.sub("", line, count=1) for line in answer.text.split("\n"))
    for match in _STATEMENT.finditer(text):
        listed = _WORD.findall(match.group("words"))
        assert listed, match.group(0)
        title = match.group("title")
        chunks = [c for c in index.chunks if title is None or index.documents[c.doc_id].title == title]
        assert chunks, f"no document is titled {title!r}"
        for chunk in chunks:
            for phrase in listed:  # "China", or "human rights": its words in order, a few others among them
                assert not _names(phrase, chunk.text), f"{match.group(0)!r} is false: {chunk.chunk_id} uses {phrase!r}"
    text = _STATEMENT.sub("", text).strip()
    for match in _WHOLE_LIST.finditer(text):
        _check_whole_list(text[:match.start()], int(match.group(1)), answer, index)
    return re.sub(r"\s+", " ", _WHOLE_LIST.sub("", text)).strip()


GAP = 3  # other words that may stand among a phrase's ("human *and labour* rights" uses "human rights")


def _names(phrase: str, text: str) -> bool:
    """Whether `text` holds the stemmed words of `phrase` in order, at most GAP others among them
    (one word: whether it holds it at all)."""
    wanted, said = words(phrase), words(text)
    if len(tokenize([phrase])[0]) <= 1:
        return bool(set(tokenize([phrase])[0]) & set(tokenize([text])[0]))
    for start in (i for i, w in enumerate(said) if w == wanted[0]):
        window, found = said[start + 1:start + len(wanted) + GAP], 1
        for w in window:
            if found < len(wanted) and w == wanted[found]:
                found += 1
        if found == len(wanted):
            return True
    return False


def _check_whole_list(before: str, count: int, answer, index) -> None:
    """The last `count` quotes of `before` are the top-level items of one list, all of them."""
    by_n = {c.n: c for c in answer.citations}
    quotes = [(sentence.strip(), by_n[int(n)]) for sentence, n in _MARKED.findall(before)][-count:]
    assert len(quotes) == count, (before, count)
    doc = index.documents[quotes[0][1].chunk.doc_id]
    blocks = []
    for sentence, citation in quotes:
        quote = next(q for q in citation.quotes if q.text == sentence)
        block = doc.block_at(quote.start)
        assert block is not None and block.kind == "list_item", f"{sentence!r} is no list item"
        blocks.append(block)
    position = [doc.blocks.index(b) for b in blocks]
    level = blocks[0].level
    between = doc.blocks[position[0]:position[-1] + 1]
    assert [b for b in between if b.level == level and b.kind == "list_item"] == blocks, "the items are not one list"
    for neighbour in (position[0] - 1, position[-1] + 1):
        if 0 <= neighbour < len(doc.blocks):
            other = doc.blocks[neighbour]
            assert not (other.kind == "list_item" and other.level == level), "the list has more items"

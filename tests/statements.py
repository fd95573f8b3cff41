"""Check an answer's template statements against the index, independently of qa.absence: a
statement that a document (or the library) uses none of some words must hold for every passage."""

from __future__ import annotations

import re

from index.lexical import tokenize

_STATEMENT = re.compile(r"No passage of (?:“(?P<title>[^”]+)”|any indexed document) uses the words? (?P<words>.+?)\.(?=\s|$)")
_WORD = re.compile(r"“([^”]+)”")


def without_statements(text: str, index) -> str:
    """`text` without its statements, each checked: no passage of the document titled so (of any
    document, for the library) holds a term of the words listed. Fails the test when one does."""
    for match in _STATEMENT.finditer(text):
        words = _WORD.findall(match.group("words"))
        assert words, match.group(0)
        wanted = set(tokenize([" ".join(words)])[0])
        title = match.group("title")
        chunks = [c for c in index.chunks if title is None or index.documents[c.doc_id].title == title]
        assert chunks, f"no document is titled {title!r}"
        for chunk in chunks:
            held = wanted & set(tokenize([chunk.text])[0])
            assert not held, f"{match.group(0)!r} is false: {chunk.chunk_id} holds {held}"
    return _STATEMENT.sub("", text).strip()

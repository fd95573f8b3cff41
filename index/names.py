"""The names of the documents, as an inverted index kept beside the records: term -> documents.

A document's *names* are the words of its author, its type, its title and its id, and the
initials of its title's and author's capitalised runs ("UN Human Rights Council": "UNHRC").
They are what tells which documents a question names ("the HRC statement", "the Alliance"; see
`qa/naming.py`) and whether a name in a question is one the documents hold (`qa/names.py`).

Each word is stored with the field it comes from, in `records.sqlite` (table `names`, with each
(term, field)'s document count in `name_counts`), written with the document's records and
removed with them, so an incremental build touches only the changed documents' names. A
question looks up its own words: the work grows with its words and the documents they name,
not with the collection, and opening an index reads none of it.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

import numpy as np

from corpus.document import Document
from index.lexical import tokenize

# Fields of a document's names, as stored.
AUTHOR_WORD = 1  # a word (or initials) of its author
TYPE_WORD = 2  # a word of its type ("HRC statement": hrc, statement)
TYPE_HEAD = 4  # the type's last word ("statement")
TITLE_WORD = 8  # a word (or initials) of its title or id, numbers left out
HELD = 16  # any word of its title, author, type or id, without case and accents (`fold`)
FIELDS = (AUTHOR_WORD, TYPE_WORD, TYPE_HEAD, TITLE_WORD, HELD)
POSTINGS_CACHE = 4096  # terms whose postings an open table keeps

SCHEMA = """
CREATE TABLE names (term TEXT NOT NULL, field INTEGER NOT NULL, doc_key INTEGER NOT NULL,
                    PRIMARY KEY (term, field, doc_key)) WITHOUT ROWID;
CREATE INDEX names_by_document ON names (doc_key);
CREATE TABLE name_counts (term TEXT NOT NULL, field INTEGER NOT NULL, documents INTEGER NOT NULL,
                          PRIMARY KEY (term, field)) WITHOUT ROWID
"""

NAME_RUN = re.compile(r"[A-Z][\w-]*(?:\s+(?:of|for|and|the|on)?\s*[A-Z][\w-]*)+")


def fold(term: str) -> str:
    """A term without case and accents."""
    return "".join(c for c in unicodedata.normalize("NFKD", term) if not unicodedata.combining(c)).casefold()


def initials(text: str, least: int = 3) -> list[str]:
    """Initials of the capitalised names in `text`: "UN Human Rights Council" -> "UNHRC", "HRC" (at
    least `least` letters)."""
    out = []
    for run in NAME_RUN.findall(text):
        words = [w for w in run.split() if w[0].isupper()]
        letters = [w if w.isupper() else w[0] for w in words]
        out += ["".join(letters[i:]) for i in range(len(letters) - least + 1)]
    return out


def word_set(text: str) -> set[str]:
    """The lexical terms of `text`, as a set."""
    return set(tokenize([text])[0])


def held_terms(words: Iterable[str]) -> set[str]:
    """`words` without case and accents, with the stemmed forms of the accented ones folded
    ("frédéric" is not stemmed, "frederic" is: both forms)."""
    words = set(words)
    accented = [t for t in words if not t.isascii()]
    folded = set(tokenize([fold(" ".join(accented))])[0]) if accented else set()
    return {fold(t) for t in words | folded}


def name_fields(doc: Document) -> dict[int, set[str]]:
    """The terms of a document's names, by field."""
    heads = word_set(doc.doc_type.split()[-1]) if doc.doc_type.strip() else set()
    title = f"{doc.title} {' '.join(initials(doc.title))} {doc.doc_id.replace('-', ' ')}"
    every = f"{doc.title} {doc.author} {doc.doc_type} {doc.doc_id.replace('-', ' ')}"
    return {
        AUTHOR_WORD: word_set(f"{doc.author} {' '.join(initials(doc.author))}"),
        TYPE_WORD: word_set(doc.doc_type),
        TYPE_HEAD: heads,
        TITLE_WORD: {t for t in word_set(title) if not t.isdigit()},  # years, versions: the date names those
        HELD: held_terms(tokenize([every])[0]),
    }


def create_tables(db: sqlite3.Connection) -> None:
    for statement in filter(str.strip, SCHEMA.split(";")):
        db.execute(statement)


def insert_names(db: sqlite3.Connection, keyed: Iterable[tuple[int, Document]]) -> set[str]:
    """Add the names of each (key, document); the terms added (counts are updated by `recount`)."""
    touched: set[str] = set()
    for key, doc in keyed:
        rows = [(t, field, key) for field, words in name_fields(doc).items() for t in words]
        db.executemany("INSERT INTO names VALUES (?, ?, ?)", rows)
        touched.update(t for t, _, _ in rows)
    return touched


def delete_names(db: sqlite3.Connection, keys: Sequence[int]) -> set[str]:
    """Remove the names of the documents of `keys`; the terms they held."""
    touched: set[str] = set()
    for key in keys:
        touched.update(t for (t,) in db.execute("SELECT term FROM names WHERE doc_key = ?", (key,)))
        db.execute("DELETE FROM names WHERE doc_key = ?", (key,))
    return touched


def recount(db: sqlite3.Connection, touched: set[str] | None) -> None:
    """Bring `name_counts` up to date for the `touched` terms (None: every term)."""
    if touched is None:
        db.execute("DELETE FROM name_counts")
        db.execute("INSERT INTO name_counts SELECT term, field, count(*) FROM names GROUP BY term, field")
        return
    db.execute("CREATE TEMP TABLE IF NOT EXISTS touched (term TEXT PRIMARY KEY) WITHOUT ROWID")
    db.execute("DELETE FROM touched")
    db.executemany("INSERT OR IGNORE INTO touched VALUES (?)", ((t,) for t in touched))
    db.execute("DELETE FROM name_counts WHERE term IN (SELECT term FROM touched)")
    db.execute(
        "INSERT INTO name_counts SELECT term, field, count(*) FROM names WHERE term IN (SELECT term FROM touched) GROUP BY term, field"
    )
    db.execute("DROP TABLE touched")


Rows = Callable[[str, Sequence], list[tuple]]


class NameTable:
    """The documents' names of an opened index, looked up by term.

    `rows(sql, args)` runs a query on the records; `keys` is every document's record key, in
    document order (a posting's document is given by its position in that order)."""

    def __init__(self, rows: Rows, keys: np.ndarray):
        self._rows = rows
        self.documents = len(keys)
        self._order = np.argsort(keys, kind="stable")
        self._sorted = np.asarray(keys)[self._order]
        self._postings = lru_cache(maxsize=POSTINGS_CACHE)(self._read_postings)
        self._counts = lru_cache(maxsize=POSTINGS_CACHE)(self._read_counts)

    @classmethod
    def of(cls, documents: Iterable[Document]) -> "NameTable":
        """A table of `documents` held in memory (keys are their positions)."""
        db = sqlite3.connect(":memory:", check_same_thread=False)
        create_tables(db)
        docs = list(documents)
        insert_names(db, enumerate(docs))
        recount(db, None)
        return cls(lambda sql, args: db.execute(sql, args).fetchall(), np.arange(len(docs), dtype=np.int64))

    def count(self, term: str, field: int) -> int:
        """How many documents hold `term` in `field`."""
        return self._counts(term).get(field, 0)

    def postings(self, term: str, field: int) -> np.ndarray:
        """The positions of the documents holding `term` in `field`, ascending."""
        return self._postings(term, field)

    def holds(self, term: str) -> bool:
        """Whether a document's names hold `term` (folded: without case and accents)."""
        return self.count(term, HELD) > 0

    def _read_counts(self, term: str) -> dict[int, int]:
        return dict(self._rows("SELECT field, documents FROM name_counts WHERE term = ?", (term,)))

    def _read_postings(self, term: str, field: int) -> np.ndarray:
        keys = np.fromiter((k for (k,) in self._rows("SELECT doc_key FROM names WHERE term = ? AND field = ?", (term, field))), np.int64)
        at = np.searchsorted(self._sorted, keys)
        found = (at < len(self._sorted)) & (self._sorted[np.minimum(at, len(self._sorted) - 1)] == keys) if len(keys) else np.zeros(0, bool)
        out = np.sort(self._order[at[found]])
        out.flags.writeable = False
        return out

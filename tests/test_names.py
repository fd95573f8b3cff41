"""Names no document mentions make a question unanswerable; names the documents hold do not."""

from __future__ import annotations

import pytest

from corpus.document import Document
from index.lexical import tokenize
from index.names import NameTable
from qa.names import NameVocabulary

TEXT = (
    "An FBI sting resulted in Frédéric Cilins, a BSGR representative, being charged. "
    "Pentler Holdings held a share of BSGR Guinea. The Bureau of Land Management manages claims. "
    "People in Sierra Leone flee uphill before blasts at the Koidu mine, owned by Octea."
)


@pytest.fixture(scope="module")
def vocabulary():
    doc = Document("ancir-guinea", "Steinmetz's Guinea deal", TEXT, "ancir-guinea.md", author="Khadija Sharife")
    return NameVocabulary(set(tokenize([TEXT])[0]), NameTable.of([doc]))


@pytest.mark.parametrize("question, unknown", [
    ("What did the Zorblax Mining Accord cap?", ("Zorblax Mining Accord",)),
    ("What role did Octavia Rennard play in setting up Pentler Holdings?", ("Octavia Rennard",)),
    ("Did Octavia Rennard set up Pentler Holdings?", ("Octavia Rennard",)),
    ("What did the Zambezi Minerals Accountability Forum recommend?", ("Zambezi Minerals Accountability Forum",)),
])
def test_a_name_with_a_word_no_document_holds_is_unknown(vocabulary, question, unknown):
    assert vocabulary.unknown(question) == unknown


@pytest.mark.parametrize("question", [
    "Who is Frederic Cilins?",  # accents aside
    "What share did Pentler Holdings hold?",
    "What does the Bureau of Land Management manage?",
    "How often do people in the Sierra Leonean town flee uphill?",  # a derived form of a held word
    "What did the head of Brussels' executive discuss?",  # one capitalised word tells nothing
    "Who wrote the Steinmetz's Guinea deal article, Khadija Sharife?",  # title and author count
    "Is the Koidu mine run by Octea?",
    "What was Mr Cilins charged with?",  # a title before a held name
    "Did Dr Frederic Cilins represent BSGR?",
])
def test_names_the_documents_hold_are_known(vocabulary, question):
    assert vocabulary.unknown(question) == ()

"""A named document's recommendations when it has no section for them: where it recommends.

What a document says overall, concludes and recommends in a section of its own is chosen when it
is indexed (`index.digests`). A document without a section for its recommendations says them
where it advises: its retrieved sentences in the words of advice ("recommends", "should",
"calls on"), best first.
"""

from __future__ import annotations

import re

from corpus.sentences import is_full_sentence
from index.digests import DIGEST_SENTENCES
from qa.candidate import Candidate

_ADVICE = re.compile(r"\b(?:recommend\w*|urges?|urged|calls?\s+(?:on|for|upon)|called\s+(?:on|for|upon)|should|must|propos\w+)\b", re.I)


def advice_of(doc_id: str, ranked: list[Candidate]) -> list[Candidate]:
    """The document's best retrieved sentences in the words of advice, in document order."""
    own = [c for c in ranked if c.hit.chunk.doc_id == doc_id and is_full_sentence(c.text) and _ADVICE.search(c.text)]
    return sorted(own[:DIGEST_SENTENCES], key=lambda c: c.start)

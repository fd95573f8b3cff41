"""Quotes grown into the units of text they belong to.

A chosen sentence brings the sentences of its paragraph that go on from it ("It was revised in
2017."), and a sentence introducing a list brings the list's items; each added sentence is cited
to the passage that holds it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable

from index.store import IndexData, Span
from qa.candidate import Candidate
from qa.absence import Statement
from qa.composer import Item
from qa.lists import LONGEST_LIST, block_list, is_lead_in, list_items, strip_marker
from qa.records import Hit

WHOLE_LIST = "That is the whole list: {count} items."  # after the last item of a list quoted whole
# A sentence that opens like this goes on with the one before it ("It was revised in 2017",
# "This could be attributed to ...", "Instead, ..."): an answer that quotes one quotes both.
RUN_LIMIT = 4  # most sentences of one such run an answer quotes whole
_FOLLOW_UP = re.compile(
    r"^(?:This|These|Such|It|They|Instead|However|Consequently|As a result|Therefore|Thus|Hence)\b(?!-)"
)


ITEM_KINDS = ("list_item", "table_row")  # blocks an answer sets on lines of their own
BULLET = "•"  # an item's marker when the document's item has none


class Units:
    def __init__(self, index: IndexData):
        self.index = index

    def place(self, cand: Candidate) -> Item | None:
        """The list item or table row `cand` lies in, with its marker when `cand` opens it."""
        doc = self.index.documents[cand.hit.chunk.doc_id]
        blocks = doc.blocks
        at = bisect_right([b.start for b in blocks], cand.start) - 1
        if at < 0 or blocks[at].kind not in ITEM_KINDS or cand.start >= blocks[at].end:
            return None
        block = blocks[at]
        head = doc.text[block.start:cand.start]
        if block.kind != "list_item" or head.strip() and strip_marker(0, head + "x")[0] != len(head):
            return Item(block.start)  # a row, or a later sentence of the item
        return Item(block.start, head.strip() or BULLET)

    def with_follow_ups(self, chosen: list[Candidate]) -> list[Candidate]:
        """Each chosen sentence with its run: the sentences of its paragraph that go on from one another.

        A run starts with any sentence and goes on while the next one opens like `_FOLLOW_UP`
        ("It was revised in 2017.", "This could be attributed to ..."); a run longer than
        `RUN_LIMIT` brings only the sentence before and the one after.
        """

        def run(cand: Candidate) -> tuple[list[Span], list[Span]]:
            before, after = self._run(cand)
            if len(before) + 1 + len(after) > RUN_LIMIT:
                before, after = before[-1:], after[:1]
            return before, ([] if is_lead_in(cand.text) else after)  # a lead-in's list follows instead

        return self._expand(chosen, run)

    def _expand(self, chosen: list[Candidate], around: Callable[[Candidate], tuple[list[Span], list[Span]]]) -> list[Candidate]:
        """`chosen` with the sentences `around(cand)` gives before and after each one, in that order.

        A sentence chosen on its own that turns up around another moves to its place there.
        """
        out: list[Candidate] = []
        chosen_at = {(c.hit.chunk.doc_id, c.start): c for c in chosen}
        placed: set[tuple[str, int]] = set()

        def place(cand: Candidate) -> None:
            if (cand.hit.chunk.doc_id, cand.start) not in placed:
                placed.add((cand.hit.chunk.doc_id, cand.start))
                out.append(cand)

        def place_spans(cand: Candidate, spans: list[Span]) -> None:
            for span in spans:
                item = self.item(cand, *span)
                if item is None:
                    return  # beyond the passages of its document
                place(chosen_at.get((cand.hit.chunk.doc_id, item.start), item))

        for cand in chosen:
            if (cand.hit.chunk.doc_id, cand.start) not in placed:
                before, after = around(cand)
                place_spans(cand, before)
                place(cand)
                place_spans(cand, after)
        return out

    def _run(self, cand: Candidate) -> tuple[list[Span], list[Span]]:
        """The spans of the sentences before and after `cand` in its run, in document order."""
        doc = self.index.documents[cand.hit.chunk.doc_id]
        spans = self.index.sentences[doc.doc_id]
        i = next((i for i, (s, e) in enumerate(spans) if s <= cand.start < e), None)
        if i is None:
            return [], []

        def goes_on(j: int) -> bool:  # sentence j goes on from sentence j - 1
            return 0 < j < len(spans) and "\n" not in doc.text[spans[j - 1][1]:spans[j][0]] and bool(
                _FOLLOW_UP.match(doc.text[spans[j][0]:spans[j][1]])
            )

        first = i
        while goes_on(first):
            first -= 1
        last = i
        while goes_on(last + 1):
            last += 1
        return spans[first:i], spans[i + 1:last + 1]

    def with_list_items(self, chosen: list[Candidate], whole: bool = False) -> list[Candidate]:
        """After a sentence that introduces a list ("... the following principles:"), add its items:
        all of them when `whole` (a list was asked for) and the document's structure marks them."""
        def items(cand: Candidate) -> tuple[list[Span], list[Span]]:
            if not is_lead_in(cand.text):
                return [], []
            doc = self.index.documents[cand.hit.chunk.doc_id]
            return [], list_items(doc, self.index.sentences[doc.doc_id], cand.text, cand.end, whole)

        return self._expand(chosen, items)

    def under_lead_ins(self, chosen: list[Candidate], whole: bool = False) -> list[Candidate]:
        """For a list question: each chosen item of a list ("First, encourage States ...") after the
        sentence that introduces its list ("... take the following actions:"), so that
        `with_list_items` quotes the list from its lead-in, in order. The lead-in is the nearest one
        before the item in its passage, at most `LONGEST_LIST` sentences back, whose items
        (`list_items`) hold it."""
        def lead_in(cand: Candidate) -> tuple[list[Span], list[Span]]:
            if is_lead_in(cand.text):
                return [], []
            doc = self.index.documents[cand.hit.chunk.doc_id]
            sentences = self.index.sentences[doc.doc_id]
            at = bisect_right(sentences, cand.start, key=lambda span: span[0]) - 1
            for s, e in reversed(sentences[max(0, at - LONGEST_LIST):max(0, at)]):
                if s < cand.hit.chunk.start:
                    break  # in another passage: quoting it would cite one that does not hold the item
                text = doc.text[s:e]
                if is_lead_in(text):
                    held = any(i <= cand.start < j for i, j in list_items(doc, sentences, text, e, whole))
                    return ([(s, e)] if held else []), []
            return [], []

        return self._expand(chosen, lead_in)

    def with_counts(self, lines: list[Candidate | Statement]) -> list[Candidate | Statement]:
        """`lines` with `WHOLE_LIST` after the last item of each list of three or more items that the
        document's structure marks and that `lines` quotes whole, checked item by item."""
        out: list[Candidate | Statement] = []
        quoted = [line for line in lines if isinstance(line, Candidate)]
        after: dict[tuple[str, int], Statement] = {}
        for lead in quoted:
            if not is_lead_in(lead.text):
                continue
            doc_id = lead.hit.chunk.doc_id
            items = block_list(self.index.documents[doc_id], lead.end)
            held = [next((c for c in quoted if c.hit.chunk.doc_id == doc_id and s <= c.start < e), None) for s, e in items]
            if len(items) >= 3 and all(held):
                after[(doc_id, held[-1].start)] = Statement(WHOLE_LIST.format(count=len(items)), doc_id)
        for line in lines:
            out.append(line)
            if isinstance(line, Candidate) and (line.hit.chunk.doc_id, line.start) in after:
                out.append(after.pop((line.hit.chunk.doc_id, line.start)))
        return out

    def item(self, lead: Candidate, s: int, e: int) -> Candidate | None:
        """A sentence near `lead` as a candidate cited to the passage holding it (the lead's, or a neighbour)."""
        doc_id = lead.hit.chunk.doc_id
        chunk = lead.hit.chunk
        if s < chunk.start or e > chunk.end:
            holding = [c for c in self.index.document_chunks(doc_id) if c.start <= s and e <= c.end]
            if not holding:
                return None
            chunk = holding[0]
        hit = lead.hit if chunk is lead.hit.chunk else Hit(chunk, lead.hit.score, lead.hit.rank, lead.hit.dense, lead.hit.lexical)
        start, text = strip_marker(s, self.index.documents[doc_id].text[s:e])
        return Candidate(hit, lead.row, start, start + len(text), text, lead.score, lead.cosine, lead.coverage, lead.features)

"""Extractive answering: pick the retrieved sentences that best answer the question.

Every sentence of an answer is quoted verbatim from a retrieved passage and ends with the
marker of that passage. When the best evidence is too weak the answer is `NO_ANSWER`
and nothing is cited.
"""

from __future__ import annotations

import re
from functools import lru_cache, partial

import numpy as np

from index.digests import SUMMARY
from index.lexical import tokenize
from index.store import IndexData
from qa.absence import Absence, Statement
from qa.acronyms import Glossary, asked_acronym
from qa.answerability import Answerability, shipped_answerability
from qa.candidate import Candidate, poor_marks
from qa.composer import Extract, compose
from qa.kinds import has_count, kind_match
from qa.lexicon import DOCUMENT_CACHE, DocumentTerms, Idf, SentenceTerms, documents_holding, passages_holding
from qa.lists import introduces, strip_marker
from qa.lookup import matching_rows, on_row, row_values
from qa.mentions import mentioning
from qa.names import NameVocabulary
from qa.publication import date_span
from qa.question import COUNTRY, DATE, LIST, NUMBER, RECOMMENDATIONS, WHO, Question, identifiers
from qa.records import NO_ANSWER, Hit
from qa.scorer import Scorer, shipped_scorer
from qa.sides import Sides
from qa.sufficiency import Sufficiency, shipped
from qa.advice import advice_of
from qa.units import Units

FOCUS_DEPTH = 3  # the best sentences answerability weighs (`evidence`) and a "when" answer's date is taken from
FAMILY_STEM = 5  # a stem this long or longer names the words it begins ("citizen": "citizenship")
MIN_SENTENCE_SCORE = 0.2  # a sentence added for a named document must score at least this
ACROSS_KEEP = 0.6  # for "which documents ...?", another document's best sentence must score this share of the best
MAX_SENTENCES = {LIST: 4}
DEFAULT_SENTENCES = 2
CONTEXT_WEIGHT = 0.5  # weight of a later part's pronoun terms ("what tool did *it* develop") against its own
KEEP_RATIO = 0.75  # a further sentence must score at least this share of the best one
REDUNDANT = 0.88  # cosine above which a further sentence repeats one already chosen

PER_DOCUMENT = 2  # sentences each document named in a "what do X and Y each say" question may give


class ExtractiveAnswerer:
    def __init__(self, index: IndexData, glossary: Glossary | None = None, sufficiency: Sufficiency | None = None,
                 scorer: Scorer | None = None, answerability: Answerability | None = None):
        """`glossary`: the acronyms the documents define, when the caller has read them already;
        `sufficiency`: when a further sentence adds enough; `scorer`: how a sentence is scored;
        `answerability`: whether the evidence answers (defaults: the fitted ones shipped)."""
        self.sufficiency = sufficiency or shipped()
        self.scorer = scorer or shipped_scorer()
        self.answerability = answerability or shipped_answerability()
        if index.sentence_vectors is None:
            raise ValueError("the index has no sentence embeddings; rebuild it with sentences")
        self.index = index
        self.units = Units(index)
        self.idf = Idf(index)
        self._terms = SentenceTerms(index)  # by sentence vector row
        self.absence = Absence(index.documents, DocumentTerms(index), index.lexical.vocabulary, partial(passages_holding, index))
        self.sides = Sides(self.absence, self.idf, self.candidates)
        self.glossary = glossary or Glossary(index.documents, partial(documents_holding, index))
        self.vocabulary = NameVocabulary(index.lexical.vocabulary, index.names)
        self._headings = lru_cache(maxsize=DOCUMENT_CACHE)(self._read_headings)
        self._holds_identifier = lru_cache(maxsize=DOCUMENT_CACHE)(self._known_identifier)

    def _read_headings(self, doc_id: str) -> frozenset[int]:
        """Where the document's headings start (a heading is no answer)."""
        return frozenset(sec.start for sec in self.index.documents[doc_id].sections)

    def _known_identifier(self, identifier: str) -> bool:
        """Whether a passage holds the numbered name `identifier` ("unea6", as `identifiers` writes
        it), looked for in the passages holding it as one word ("G20") or its letters ("UNEA-6")."""
        whole, letters = tokenize([identifier, re.sub(r"\d+", " ", identifier)])
        rows = sorted(set().union(*(map(int, self.index.lexical.rows_with(t)) for t in dict.fromkeys(whole + letters))))
        return any(identifier in identifiers(f"{c.title}\n{c.text}") for c in map(self.index.chunks.__getitem__, rows))

    def candidates(self, question: Question, query: np.ndarray, hits: list[Hit]) -> list[Candidate]:
        """Score every sentence of the retrieved passages, best first."""
        weights = self._term_weights(question)
        total = sum(weights.values()) or 1.0
        seen: set[tuple[str, int]] = set()
        out: list[Candidate] = []
        top, low = max((h.score for h in hits), default=0.0), min((h.score for h in hits), default=0.0)
        for hit in hits:
            passage = (hit.score - low) / (top - low) if top > low else 1.0  # min-max over the retrieved
            doc_text = self.index.documents[hit.chunk.doc_id].text
            for row, (s, e) in self.index.chunk_sentences(hit.chunk):
                start, text = strip_marker(s, doc_text[s:e])
                if (hit.chunk.doc_id, start) in seen or len(text.split()) < 3:
                    continue
                seen.add((hit.chunk.doc_id, start))
                if start in self._headings(hit.chunk.doc_id):
                    continue
                cosine = float(self.index.sentence_vectors[row] @ query)
                terms = self._terms[row]
                coverage = sum(w for t, w in weights.items() if t in terms) / total
                features = (
                    cosine,
                    coverage,
                    self._kind_weight(question, row) * kind_match(question.expects, text),
                    float(question.expects == LIST and introduces(text, question.terms)),
                    passage,
                    *poor_marks(text, hit, question.expects in (LIST, WHO) and on_row(doc_text, s, e)),
                )  # as qa.scorer.FEATURES names them
                out.append(Candidate(hit, row, start, start + len(text), text, self.scorer.score(features), cosine, coverage, features))
        out.sort(key=lambda c: -c.score)
        return out

    def _term_weights(self, question: Question) -> dict[str, float]:
        """The IDF of each of the question's terms (a term no passage holds weighs most)."""
        return {t: self.idf.weight(t) for t in question.scored or question.terms}

    def answer(
        self, question: Question, query: np.ndarray, hits: list[Hit], named_docs: tuple[str, ...] = ()
    ) -> Extract:
        """The answer; `named_docs` are documents the question names (each gets a sentence when two or more)."""
        ranked = self.candidates(question, query, hits)
        confidence = max((c.cosine for c in ranked), default=0.0)
        by_form = self._by_form(question, ranked, named_docs)
        if by_form is not None:
            return compose(by_form, confidence, hits, place=self.units.place) if by_form else self._not_found(question, named_docs, confidence)
        if not ranked or not self.answerability.answers(self.evidence(question, ranked, hits)):
            if self._compares(question, named_docs):  # "Compare the letter and the report on women": each one's side
                return self._each_side(question, query, named_docs, ranked, [], hits, confidence)
            return Extract(NO_ANSWER, (), confidence, True)
        rows = self._rows(question, ranked)
        if rows:
            return compose(rows, confidence, hits, place=self.units.place)  # "Which signatories are based in Botswana?": the rows that say so
        # "What do the initiative and the statement say about ...?": from those two, when they say anything
        named_only = [c for c in ranked if c.hit.chunk.doc_id in named_docs] if len(named_docs) >= 2 else []
        chosen = self._choose(question, named_only or ranked)
        if question.expects == LIST:  # a list asked for is quoted from its lead-in, whichever item scored best
            chosen = self.units.under_lead_ins(chosen, whole=True)
        lead = next((c for c in chosen if question.expects == LIST and introduces(c.text, question.terms)), None)
        if lead is not None:
            chosen = [lead]  # "... put forward the following principles:" and its items are the answer
        chosen += self._one_per_part(question, ranked, chosen)
        chosen += self._dated(question, ranked[:FOCUS_DEPTH], chosen)
        if question.across_documents:  # "Which documents ...?": each retrieved one that answers well enough
            documents = tuple(dict.fromkeys(h.chunk.doc_id for h in hits))
            chosen += self._from_each_document(documents, ranked, chosen, ACROSS_KEEP * ranked[0].score)
        else:
            chosen += self._from_each_document(named_docs, ranked, chosen)
        quoted = self.units.with_follow_ups(self.units.with_list_items(chosen, whole=question.expects == LIST))
        if not self._compares(question, named_docs):
            return compose(self.units.with_counts(quoted), confidence, hits, place=self.units.place)
        return self._each_side(question, query, named_docs, ranked, quoted, hits, confidence)

    def _each_side(self, question: Question, query: np.ndarray, named_docs: tuple[str, ...], ranked: list[Candidate],
                   quoted: list[Candidate], hits: list[Hit], confidence: float) -> Extract:
        """A comparison's answer: each named document's lines (`qa.sides`), from `quoted` when it
        has any; the fixed phrase when there are none, an abstention when every line is a statement."""
        lines = self.sides.lines(question, query, named_docs, ranked, quoted, len(hits))
        if not lines:
            return Extract(NO_ANSWER, (), confidence, True)
        abstained = all(isinstance(line, Statement) for line in lines)
        return compose(self.units.with_counts(lines), confidence, hits, abstained=abstained, place=self.units.place)

    def gated(self, question: Question, query: np.ndarray, hits: list[Hit], named_docs: tuple[str, ...] = ()
              ) -> tuple[float, ...] | None:
        """The evidence features `answer` weighs for answerability, None for a question it answers by
        its form (an acronym, a named document's summary or date, a topic's mentions) or without
        any sentence retrieved."""
        ranked = self.candidates(question, query, hits)
        if not ranked or self._by_form(question, ranked, named_docs) is not None:
            return None
        return self.evidence(question, ranked, hits)

    def evidence(self, question: Question, ranked: list[Candidate], hits: list[Hit]) -> tuple[float, ...]:
        """The features of the evidence `ranked` holds for `question`, as `qa.answerability.FEATURES`
        names them (`ranked`: the candidates, best first; not empty)."""
        best = ranked[:FOCUS_DEPTH]
        weights = self._term_weights(question)
        total = sum(weights.values()) or 1.0
        held = frozenset().union(*(self._terms[c.row] for c in ranked))
        coverage = max(c.coverage for c in best)
        typed = coverage
        if question.expects in (DATE, NUMBER, COUNTRY):  # not WHO: "artisanal miners" answers "who mines cobalt?"
            typed = max((c.coverage for c in best if self._typed(question, c)), default=0.0)
        lead = max(hits, key=lambda h: h.dense).chunk.chunk_id == max(hits, key=lambda h: h.lexical).chunk.chunk_id
        known = all(map(self._holds_identifier, question.identifiers)) and not self.vocabulary.unknown(question.text)
        return (
            max(c.cosine for c in ranked),
            ranked[0].score,
            coverage,
            sum(w for t, w in weights.items() if t not in held) / total,
            coverage - typed,
            float(self._mentions_focus(question, best)),
            float(self._holds_kind(question, best)),
            float(known),  # "What did UNEA-6 decide?", "What did the Zorblax Mining Accord cap?": no document names them
            float(lead),
        )

    def _typed(self, question: Question, cand: Candidate) -> bool:
        """Whether `cand` holds an answer of the kind asked: a date by the question's names, a count,
        share or amount (not a year) for a number, a country."""
        if question.expects == DATE:
            return self._dates_it(question, cand)
        if question.expects == NUMBER:
            return has_count(cand.text) or "%" in cand.text or "$" in cand.text
        return bool(kind_match(question.expects, cand.text))

    @staticmethod
    def _compares(question: Question, named_docs: tuple[str, ...]) -> bool:
        """Whether the question asks what each of two or more documents it names says."""
        return len(named_docs) >= 2 and not question.across_documents

    def _not_found(self, question: Question, named: tuple[str, ...], confidence: float) -> Extract:
        """The abstention for a topic no retrieved sentence names ("Does the letter mention China?"):
        a statement for each named document (or the library) none of whose passages uses its words,
        `NO_ANSWER` when one does (its words are there, but not as the topic)."""
        point = self.absence.point(question.topic) if question.topic else []
        if not point:
            return Extract(NO_ANSWER, (), confidence, True)
        if named:
            statements = [self.absence.statement(d, point, self.idf) for d in named]
        else:
            statements = [self.absence.nowhere(point, self.idf)]
        if any(s is None for s in statements):
            return Extract(NO_ANSWER, (), confidence, True)
        return Extract(" ".join(s.text for s in statements), (), confidence, True)

    def _rows(self, question: Question, ranked: list[Candidate]) -> list[Candidate]:
        """The rows of a list or table that end with a name the question asks about, from the first
        retrieved document that has any."""
        values = row_values(question.text)
        for doc_id in dict.fromkeys(c.hit.chunk.doc_id for c in ranked) if values else ():
            spans = matching_rows(self.index.documents[doc_id].text, self.index.sentences[doc_id], values, question.terms)
            lead = next(c for c in ranked if c.hit.chunk.doc_id == doc_id)
            items = [item for item in (self.units.item(lead, s, e) for s, e in spans) if item is not None]
            if items:
                return items
        return []

    def _by_form(self, question: Question, ranked: list[Candidate], named_docs: tuple[str, ...]) -> list[Candidate] | None:
        """The answer to a question of a form with its own rule: an acronym's spelling out, a named
        document's summary or date, a topic's mentions (none: abstain). None for other questions."""
        asked = asked_acronym(question.text)
        spelled = self._spelling_out(asked[0], ranked) if asked else None
        if spelled is not None:  # "What does CCCMC stand for?": the sentence that spells it out
            if asked[1]:
                return [spelled]
            return self.units.with_follow_ups([spelled] + [c for c in self._choose(question, ranked) if c is not spelled][:1])
        if question.gist and len(named_docs) == 1:  # "What does the report conclude?": its section saying so
            gist = self._gist(question.gist, named_docs[0], ranked)
            if gist:
                return gist
        if question.summary and len(named_docs) == 1:  # "Summarize the letter": its digest's summary
            return self._digested(named_docs[0], SUMMARY, ranked) or None
        if question.dated and len(named_docs) == 1:  # "When was the HRC statement issued?": its date line
            span = date_span(self.index.documents[named_docs[0]])
            line = next((c for c in ranked if span and c.hit.chunk.doc_id == named_docs[0] and c.start <= span[0] < c.end), None)
            if line is not None:
                return [line]
        if question.topic:  # "Does the letter mention child labour?": the sentences that name it, or none
            return self.units.with_follow_ups(mentioning(question.topic, ranked, named_docs, DEFAULT_SENTENCES))
        return None

    def _gist(self, gist: str, doc_id: str, ranked: list[Candidate]) -> list[Candidate]:
        """What a named document concludes or recommends: the opening of its section saying so
        (its digest's), with a list it introduces; else, for recommendations, its retrieved
        sentences of advice; else its summary."""
        opening = self._digested(doc_id, gist, ranked)
        if opening:
            return self.units.with_list_items(opening)
        advice = advice_of(doc_id, ranked) if gist == RECOMMENDATIONS else []
        return advice or self._digested(doc_id, SUMMARY, ranked)

    def _digested(self, doc_id: str, kind: str, ranked: list[Candidate]) -> list[Candidate]:
        """The sentences of a document's digest of `kind` (`index.digests`), chosen when it was
        indexed, each cited to the passage holding it; none when it has none or nothing of it
        was retrieved."""
        lead = next((c for c in ranked if c.hit.chunk.doc_id == doc_id), None)
        if lead is None:
            return []
        spans = self.index.digests[doc_id].spans(kind)
        return [item for item in (self.units.item(lead, s, e) for s, e in spans) if item is not None]

    def _spelling_out(self, acronym: str, ranked: list[Candidate]) -> Candidate | None:
        """The best of the sentences that define `acronym` ("... Importers & Exporters (CCCMC)")."""
        return next((c for c in ranked if self.glossary.defines(acronym, c.hit.chunk.doc_id, c.start, c.end)), None)

    def _mentions_focus(self, question: Question, best: list[Candidate]) -> bool:
        """Whether the best sentences name what the question asks for (its budget, its members...)."""
        return not question.focus or any(
            names_any(question.focus, self._terms[c.row]) and (not question.focus_of or set(question.focus_of) & self._terms[c.row])
            for c in best
        )

    def _holds_kind(self, question: Question, best: list[Candidate]) -> bool:
        """Whether the best sentences hold the kind of thing asked for.

        "Which countries ...?" needs a country named; "When ...?" a date; "How many complaints ...?"
        a count in a sentence that names complaints.
        """
        if question.expects == DATE:  # "When will the HLEAG meet?": a date by the HLEAG's name, not any meeting's
            return any(self._dates_it(question, c) for c in best)
        if question.expects == COUNTRY:
            return any(kind_match(COUNTRY, c.text) for c in best)
        if question.expects == NUMBER and question.focus:
            return any(set(question.focus) & self._terms[c.row] and has_count(c.text) for c in best)
        return True

    def _kind_weight(self, question: Question, row: int) -> float:
        """How much holding the asked-for kind counts in sentence `row`: double for a date or a number,
        and a date only by the question's names ("When will the HLEAG meet?" is not answered by
        CCCMC's meeting)."""
        if question.expects == DATE:
            return 2.0 if self._near_names(question, row) else 0.0
        return 2.0 if question.expects == NUMBER else 1.0

    def _dates_it(self, question: Question, cand: Candidate) -> bool:
        """Whether `cand` holds a date by the question's names."""
        return bool(kind_match(DATE, cand.text)) and self._near_names(question, cand.row)

    def _near_names(self, question: Question, row: int) -> bool:
        """Whether sentence `row` or the one before it names one of the question's names (true when it
        has none): "... Advisory Group (HLEAG). This Group was to be launched by March 2025."."""
        names = set(question.names)
        if not names or names & self._terms[row]:
            return True
        return row > 0 and self._terms.document(row - 1) == self._terms.document(row) and bool(names & self._terms[row - 1])

    def _dated(self, question: Question, best: list[Candidate], chosen: list[Candidate]) -> list[Candidate]:
        """For a "when" question whose chosen sentences hold no date: the best sentence that holds one
        where the question's names are (`_holds_kind` found one among `best`)."""
        if question.expects != DATE or question.parts or any(kind_match(DATE, c.text) for c in chosen):
            return []
        return [c for c in best if self._dates_it(question, c)][:1]

    def _one_per_part(self, question: Question, ranked: list[Candidate], chosen: list[Candidate]) -> list[Candidate]:
        """For "When was X launched, and when was it revised?": the best sentence for each later part."""
        added: list[Candidate] = []
        for part in question.parts[1:]:
            terms = {t: CONTEXT_WEIGHT * self.idf.weight(t) for t in part.context}
            terms.update({t: self.idf.weight(t) for t in part.terms})
            total = sum(terms.values())
            if not total:
                continue

            def fit(c: Candidate) -> float:
                covered = sum(w for t, w in terms.items() if t in self._terms[c.row]) / total
                return covered + 0.5 * kind_match(part.expects, c.text) + 0.3 * c.score

            taken = {(c.hit.chunk.doc_id, c.start) for c in chosen + added}
            best = max((c for c in ranked if (c.hit.chunk.doc_id, c.start) not in taken), key=fit, default=None)
            if best is not None and fit(best) > 0.5:
                added.append(best)
        return added

    def _from_each_document(
        self, named: tuple[str, ...], ranked: list[Candidate], chosen: list[Candidate], floor: float = MIN_SENTENCE_SCORE
    ) -> list[Candidate]:
        """When the question names two or more documents, each named one contributes its best
        sentence if it scores at least `floor`, and its next best (up to `PER_DOCUMENT`) when that
        scores `KEEP_RATIO` of its best."""
        if len(named) < 2:
            return []
        taken = {(c.hit.chunk.doc_id, c.start) for c in chosen}
        added = []
        for doc_id in named:
            own = [c for c in ranked if c.hit.chunk.doc_id == doc_id and c.score >= floor]
            if not own:
                continue
            best = [own[0]] + [c for c in own[1:PER_DOCUMENT] if c.score >= KEEP_RATIO * own[0].score]
            added += [c for c in best if (doc_id, c.start) not in taken]
        return added

    def _choose(self, question: Question, ranked: list[Candidate]) -> list[Candidate]:
        best = ranked[0]
        limit = MAX_SENTENCES.get(question.expects, DEFAULT_SENTENCES)
        chosen = [best]
        vectors = self.index.sentence_vectors
        weights = self._term_weights(question)
        for cand in ranked[1:]:
            if len(chosen) >= limit:
                break
            follows_list = question.expects == LIST and any(
                c.hit.chunk.doc_id == cand.hit.chunk.doc_id and 0 < cand.start - c.end < 6 for c in chosen
            )
            if cand.score < KEEP_RATIO * best.score and not (follows_list and cand.score >= 0.6 * best.score):
                continue
            if any(float(vectors[cand.row] @ vectors[c.row]) > REDUNDANT for c in chosen):
                continue
            quoted = (self._terms[c.row] for c in chosen)
            if not follows_list and not self.sufficiency.adds_enough(weights, quoted, self._terms[cand.row]):
                continue  # it adds nothing the question asked about that the answer does not hold
            chosen.append(cand)
        return chosen


def names_any(focus: tuple[str, ...], terms: frozenset[str]) -> bool:
    """Whether `terms` hold one of the `focus` terms or a word of its family ("citizenship" asked,
    "an Israeli citizen" said)."""
    return any(f in terms or any(_same_family(f, t) for t in terms) for f in focus)


def _same_family(a: str, b: str) -> bool:
    """Whether one stem begins the other and is FAMILY_STEM characters or more."""
    short, long = sorted((a, b), key=len)
    return len(short) >= FAMILY_STEM and long.startswith(short)

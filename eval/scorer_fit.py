"""Fit the sentence scorer's weights (`qa.scorer`) on the dev splits of the gold sets.

For every answerable dev question the retrieved sentences are scored as the answerer scores
them (`ExtractiveAnswerer.candidates`, same retrieval as `Assistant.ask`), and each is labelled
by the gold: it holds the evidence when what quoting it brings (the sentence, the run of
sentences that go on from it, the list it introduces or, for a list question, is an item of:
`qa.units`) overlaps one of the question's evidence quotes in its document, or holds one of its
facts. Every (holds, does not hold) pair of one question is a training example of the
difference of their features, both ways round, each question weighing the same; a logistic
regression without intercept (scikit-learn, L2, C=`C`) fits the weights, which are then scaled
so that those of `qa.scorer.SCALED` sum to 1. The same pairs of the test split are counted, not
fitted: how often the scorer orders them right.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.scorer import FEATURES, SCALED, Scorer

C = 1.0
DECIMALS = 4  # of the weights written: the fit is reproducible to far more than this


@dataclass(frozen=True)
class Pairs:
    """Feature differences (holds minus does not hold) of one split, and each one's question."""

    differences: np.ndarray  # (pairs, len(FEATURES))
    questions: np.ndarray  # (pairs,) the question each pair belongs to

    @property
    def weights(self) -> np.ndarray:
        """1 / pairs of its question, so that every question weighs the same."""
        _, inverse, counts = np.unique(self.questions, return_inverse=True, return_counts=True)
        return 1.0 / counts[inverse]


def labelled_pairs(sets: list[tuple[object, Path]], split: str) -> Pairs:
    """The pairs of the answerable `split` questions of each (assistant, gold path) set."""
    from eval.metrics import normalise_text
    from eval.runner import evidence_spans, retrieved_questions
    from qa.question import LIST

    rows, owners = [], []
    for number, assistant, q, found in retrieved_questions(sets, split):
        if not q.answerable:
            continue
        spans = evidence_spans(q, assistant.index, Path(assistant.index.folder).parent)
        facts = [normalise_text(f) for f in q.facts]
        question = found.question
        ranked = assistant.extractive.candidates(question, found.query, found.hits)
        holds = [any(_holds(u, spans, facts) for u in _brought(assistant.extractive.units, c, question.expects == LIST))
                 for c in ranked]
        good = [np.asarray(c.features) for c, h in zip(ranked, holds) if h]
        bad = [np.asarray(c.features) for c, h in zip(ranked, holds) if not h]
        for g in good:
            for b in bad:
                rows.append(g - b)
                owners.append(f"{number}:{q.id}")
    if not rows:
        return Pairs(np.zeros((0, len(FEATURES))), np.zeros(0, dtype=str))
    return Pairs(np.vstack(rows), np.asarray(owners))


def _brought(units, cand, whole: bool) -> list:
    """What quoting `cand` brings, as the answerer grows a quote (`qa.units`): for a list question
    the list from its lead-in, the items of a list it introduces, and its run."""
    chosen = units.under_lead_ins([cand], whole=True) if whole else [cand]
    return units.with_follow_ups(units.with_list_items(chosen, whole=whole))


def _holds(cand, spans: list[tuple[str, int, int]], facts: list[str]) -> bool:
    """Whether `cand` overlaps an evidence span (doc_id, start, end) or holds a (normalised) fact."""
    from eval.metrics import normalise_text

    return (any(cand.hit.chunk.doc_id == d and cand.start < e and s < cand.end for d, s, e in spans)
            or any(f in normalise_text(cand.text) for f in facts))


def fit_scorer(pairs: Pairs) -> Scorer:
    """The pairwise logistic regression's weights, scaled so that SCALED's sum to 1."""
    from sklearn.linear_model import LogisticRegression

    if len(pairs.differences) == 0:
        raise ValueError("no dev question has both a sentence that holds its evidence and one that does not")
    x = np.vstack([pairs.differences, -pairs.differences])
    y = np.concatenate([np.ones(len(pairs.differences)), np.zeros(len(pairs.differences))])
    w = np.concatenate([pairs.weights, pairs.weights])
    model = LogisticRegression(C=C, fit_intercept=False, max_iter=1000).fit(x, y, sample_weight=w)
    coefficients = model.coef_[0]
    scale = sum(coefficients[FEATURES.index(name)] for name in SCALED)
    if scale <= 0:
        raise ValueError(f"the fitted weights of {', '.join(SCALED)} do not sum to a positive number ({scale:.4f})")
    return Scorer(tuple(round(float(c / scale), DECIMALS) for c in coefficients))


def pair_accuracy(scorer: Scorer, pairs: Pairs) -> float:
    """The question-weighted share of pairs the scorer orders right (ties count half)."""
    if len(pairs.differences) == 0:
        return 0.0
    margin = pairs.differences @ np.asarray(scorer.weights)
    right = (margin > 0) + 0.5 * (margin == 0)
    weights = pairs.weights
    return round(float((right * weights).sum() / weights.sum()), 4)

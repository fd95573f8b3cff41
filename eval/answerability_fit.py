"""Fit answerability (`qa.answerability`) on the dev splits of the gold sets.

Every dev question that the answerer weighs for answerability (not one answered by its form, such
as an acronym's spelling out) gives its evidence features (`ExtractiveAnswerer.gated`, after the
same retrieval as `Assistant.ask`), labelled by the gold: answerable or not. A logistic regression
(scikit-learn, L2, classes weighing the same) fits the weights and bias; its C is the one of `CS`
with the lowest leave-one-out log loss on dev (ties: the smallest). The threshold is chosen on
the fitted probabilities of dev: of the thresholds abstaining on at most `MAX_FALSE_ABSTENTION`
of the answerable questions, the one abstaining on the most unanswerable ones, then on the
fewest answerable ones, placed midway between the probabilities on either side of it. The test
split's questions are counted, not fitted: how often it abstains on each class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.answerability import FEATURES, MAX_FALSE_ABSTENTION, Answerability

CS = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
DECIMALS = 4


@dataclass(frozen=True)
class Labelled:
    """The evidence features of one split's questions and whether each is answerable."""

    features: np.ndarray  # (questions, len(FEATURES))
    answerable: np.ndarray  # (questions,) bool
    questions: tuple[str, ...]  # "set:id" of each


def labelled_evidence(sets: list[tuple[object, Path]], split: str) -> Labelled:
    """The weighed `split` questions of each (assistant, gold path) set."""
    from eval.runner import retrieved_questions

    rows, labels, names = [], [], []
    for number, assistant, q, found in retrieved_questions(sets, split):
        features = assistant.extractive.gated(found.question, found.query, found.hits, found.named)
        if features is not None:
            rows.append(features)
            labels.append(q.answerable)
            names.append(f"{number}:{q.id}")
    return Labelled(np.asarray(rows, dtype=float).reshape(-1, len(FEATURES)), np.asarray(labels, dtype=bool), tuple(names))


def fit_answerability(dev: Labelled) -> tuple[Answerability, float]:
    """The fitted answerability and the C chosen."""
    from sklearn.linear_model import LogisticRegression

    x, y = dev.features, dev.answerable
    if y.all() or not y.any():
        raise ValueError("the dev questions must include answerable and unanswerable ones to fit answerability")
    c = min(CS, key=lambda value: (round(_loo_log_loss(x, y, value), 6), value))
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(x, y)
    weights = tuple(round(float(w), DECIMALS) for w in model.coef_[0])
    bias = round(float(model.intercept_[0]), DECIMALS)
    fitted = Answerability(weights, bias, 0.5)
    probabilities = np.asarray([fitted.probability(f) for f in x])
    return Answerability(weights, bias, threshold(probabilities, y)), c


def _loo_log_loss(x: np.ndarray, y: np.ndarray, c: float) -> float:
    """Leave-one-out log loss of the classes-balanced regression, each class weighing the same."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import LeaveOneOut, cross_val_predict

    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
    p = cross_val_predict(model, x, y, cv=LeaveOneOut(), method="predict_proba")[:, 1]
    p = np.clip(p, 1e-12, 1 - 1e-12)
    weight = np.where(y, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    return float(-(weight * np.log(np.where(y, p, 1 - p))).sum() / weight.sum())


def threshold(probabilities: np.ndarray, answerable: np.ndarray) -> float:
    """The threshold `fit_answerability` describes, over the probabilities of dev questions."""
    allowed = math.floor(MAX_FALSE_ABSTENTION * answerable.sum() + 1e-9)
    cuts = sorted(set(probabilities.tolist()) | {1.0 + 1e-9})  # abstain below a cut: each distinct value, or all
    best = None
    for cut in cuts:
        false = int((probabilities[answerable] < cut).sum())
        if false > allowed:
            break
        key = (int((probabilities[~answerable] < cut).sum()), -false)
        if best is None or key > best[0]:
            best = (key, cut)
    cut = best[1]
    below = probabilities[probabilities < cut]
    low = float(below.max()) if below.size else 0.0
    return round(min((low + cut) / 2, 1.0), DECIMALS)


def rates(answerability: Answerability, split: Labelled) -> dict:
    """How often `answerability` abstains on the answerable and the unanswerable questions of `split`."""
    abstains = np.asarray([not answerability.answers(f) for f in split.features], dtype=bool)
    answerable = split.answerable
    return {
        "answerable": int(answerable.sum()),
        "false_abstentions": int((abstains & answerable).sum()),
        "unanswerable": int((~answerable).sum()),
        "abstentions": int((abstains & ~answerable).sum()),
    }

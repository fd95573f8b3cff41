"""The sentence scorer: named features, weights fitted by eval.scorer_fit and shipped in qa/answerer.json."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eval.scorer_fit import Pairs, fit_scorer, pair_accuracy
from qa.scorer import FEATURES, SCALED, Scorer, shipped_scorer
from qa.sufficiency import PARAMETERS


def test_the_score_is_the_weighted_sum_of_the_features():
    scorer = Scorer.from_mapping({name: float(i) for i, name in enumerate(FEATURES)})
    features = [1.0] * len(FEATURES)
    assert scorer.score(features) == sum(range(len(FEATURES)))
    assert list(scorer.as_mapping()) == list(FEATURES)


def test_weights_that_do_not_name_every_feature_are_refused():
    with pytest.raises(ValueError, match="scorer weights must name exactly"):
        Scorer.from_mapping({"cosine": 1.0})
    with pytest.raises(ValueError, match=f"a scorer needs {len(FEATURES)} weights"):
        Scorer((1.0, 2.0))
    with pytest.raises(ValueError, match="finite numbers"):
        Scorer(tuple([float("nan")] * len(FEATURES)))


def test_the_shipped_weights_load_and_are_scaled():
    data = json.loads(PARAMETERS.read_text(encoding="utf-8"))
    scorer = shipped_scorer()
    assert scorer.as_mapping() == data["scorer"]["weights"]
    assert sum(scorer.as_mapping()[name] for name in SCALED) == pytest.approx(1.0, abs=1e-3)


def _pairs(rng, n: int, true: np.ndarray) -> Pairs:
    """Pairs whose better side is the one `true` scores higher (a few questions)."""
    a, b = rng.random((n, len(FEATURES))), rng.random((n, len(FEATURES)))
    better = np.where(((a - b) @ true > 0)[:, None], a, b)
    worse = np.where(((a - b) @ true > 0)[:, None], b, a)
    return Pairs(better - worse, np.asarray([f"q{i % 7}" for i in range(n)]))


def test_the_fit_recovers_which_features_matter_and_orders_unseen_pairs():
    rng = np.random.default_rng(0)
    true = np.array([2.0, 1.0, 0.5, 0.0, 0.5, -0.3, -0.5, -1.0])
    scorer = fit_scorer(_pairs(rng, 2000, true))
    fitted = np.asarray(scorer.weights)
    assert fitted[0] > fitted[1] > 0 and fitted[-1] < 0  # the order of the true weights' signs and sizes
    assert sum(scorer.as_mapping()[name] for name in SCALED) == pytest.approx(1.0, abs=1e-3)
    assert pair_accuracy(scorer, _pairs(rng, 500, true)) > 0.9


def test_a_fit_without_pairs_says_why():
    with pytest.raises(ValueError, match="no dev question has both"):
        fit_scorer(Pairs(np.zeros((0, len(FEATURES))), np.zeros(0, dtype=str)))

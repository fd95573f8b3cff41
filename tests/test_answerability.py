"""Answerability: one probability that the retrieved evidence answers a question, its weights and
threshold fitted by eval.answerability_fit and shipped in qa/answerer.json."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eval.answerability_fit import Labelled, fit_answerability, rates, threshold
from qa.answerability import FEATURES, MAX_FALSE_ABSTENTION, Answerability, shipped_answerability
from qa.sufficiency import PARAMETERS


def test_the_probability_is_a_logistic_function_of_the_weighted_features():
    able = Answerability(tuple(float(i) for i in range(len(FEATURES))), -1.0, 0.5)
    assert able.probability([0.0] * len(FEATURES)) == pytest.approx(1 / (1 + np.e))
    features = [1.0] + [0.0] * (len(FEATURES) - 1)  # weight 0 for the first: still the bias alone
    assert able.probability(features) == pytest.approx(1 / (1 + np.e))
    assert able.answers([1.0] * len(FEATURES)) and not able.answers([0.0] * len(FEATURES))
    assert able.probability([-1e6] + [0.0] * (len(FEATURES) - 1)) == pytest.approx(able.probability([0.0] * len(FEATURES)))


def test_broken_parameters_are_refused_with_the_rule_they_break():
    with pytest.raises(ValueError, match=f"answerability needs {len(FEATURES)} weights"):
        Answerability((1.0,), 0.0, 0.5)
    with pytest.raises(ValueError, match="finite numbers"):
        Answerability(tuple([float("inf")] * len(FEATURES)), 0.0, 0.5)
    with pytest.raises(ValueError, match="threshold must be between 0 and 1"):
        Answerability(tuple([0.0] * len(FEATURES)), 0.0, 1.5)
    with pytest.raises(ValueError, match="must name exactly"):
        Answerability.from_mapping({"weights": {"cosine": 1.0}, "bias": 0.0, "threshold": 0.5})


def test_the_shipped_parameters_load():
    data = json.loads(PARAMETERS.read_text(encoding="utf-8"))["answerability"]
    able = shipped_answerability()
    assert able.as_mapping() == {key: data[key] for key in ("weights", "bias", "threshold")}
    assert data["abstained"]["dev"]["false_abstentions"] <= MAX_FALSE_ABSTENTION * data["abstained"]["dev"]["answerable"]


def test_the_threshold_abstains_on_most_unanswerable_within_the_false_abstention_allowed():
    answerable = np.array([True] * 40 + [False] * 4)
    p = np.concatenate([np.linspace(0.5, 0.9, 40), [0.1, 0.2, 0.45, 0.7]])
    cut = threshold(p, answerable)
    assert 0.45 < cut < 0.5  # abstains on three of four, on no answerable one (one would be allowed: 3%)
    answerable = np.array([True] * 100 + [False] * 2)
    p = np.concatenate([np.linspace(0.3, 0.9, 100), [0.1, 0.303]])  # 0.303 is above one answerable only
    cut = threshold(p, answerable)
    assert (p[answerable] < cut).sum() == 1 and (p[~answerable] < cut).sum() == 2
    assert 0.303 < cut < 0.306


def _labelled(rng, n: int) -> Labelled:
    """Questions whose answerability depends on the first two features and the bias."""
    x = rng.random((n, len(FEATURES)))
    y = 3 * x[:, 0] + 2 * x[:, 1] - 0.5 * x[:, 2] > 2.2
    return Labelled(x, y, tuple(f"q{i}" for i in range(n)))


def test_the_fit_finds_the_features_that_matter_and_keeps_to_the_false_abstention_allowed():
    rng = np.random.default_rng(1)
    able, c = fit_answerability(_labelled(rng, 160))
    assert able.weights[0] > able.weights[1] > 0 and able.weights[0] > 3 * abs(able.weights[3])
    train = rates(able, _labelled(np.random.default_rng(1), 160))
    assert train["false_abstentions"] <= MAX_FALSE_ABSTENTION * train["answerable"]
    unseen = rates(able, _labelled(rng, 400))
    assert unseen["abstentions"] > 0.7 * unseen["unanswerable"]
    assert unseen["false_abstentions"] < 0.1 * unseen["answerable"]


def test_a_fit_on_one_class_says_why():
    x = np.zeros((5, len(FEATURES)))
    with pytest.raises(ValueError, match="answerable and unanswerable"):
        fit_answerability(Labelled(x, np.ones(5, dtype=bool), tuple("abcde")))

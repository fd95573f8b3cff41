"""A further sentence is quoted only for the question terms it adds; the share it must add (and
the sentence scorer's weights) are fitted on the dev splits by eval.train_answerer, and the
shipped file is what training writes."""

from __future__ import annotations

import json

import pytest

from qa.sufficiency import PARAMETERS, Sufficiency, gain, shipped

WEIGHTS = {"fund": 1.0, "balanc": 2.0, "2017": 1.0}


def test_gain_counts_only_terms_no_quoted_sentence_holds():
    quoted = [frozenset({"fund", "balanc"})]
    assert gain(WEIGHTS, quoted, frozenset({"fund", "balanc"})) == 0.0
    assert gain(WEIGHTS, quoted, frozenset({"fund", "2017", "other"})) == pytest.approx(0.25)
    assert gain(WEIGHTS, [], frozenset({"balanc"})) == pytest.approx(0.5)


def test_a_question_without_terms_gains_nothing():
    assert gain({}, [], frozenset({"fund"})) == 0.0


def test_adds_enough_compares_with_the_fitted_share():
    rule = Sufficiency(0.25)
    assert rule.adds_enough(WEIGHTS, [frozenset({"fund", "balanc"})], frozenset({"2017"}))
    assert not rule.adds_enough(WEIGHTS, [frozenset({"balanc", "2017"})], frozenset({"balanc"}))


@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_a_share_outside_zero_to_one_is_refused(value):
    with pytest.raises(ValueError, match="min_gain must be between 0 and 1"):
        Sufficiency(value)


def test_the_shipped_parameters_load():
    data = json.loads(PARAMETERS.read_text(encoding="utf-8"))
    assert shipped().min_gain == data["min_gain"]
    assert any(row["min_gain"] == data["min_gain"] for row in data["grid"])


@pytest.mark.model
def test_training_reproduces_the_shipped_file(seed_index, real_corpus_cache, real_encoder):
    """The sentence scorer's weights and min_gain, fitted on the dev splits, are what is shipped."""
    from eval.train_answerer import train
    from qa.assistant import Assistant
    from tests.conftest import GOLD, MINING_POLICY_GOLD

    _, cache = real_corpus_cache
    sets = [(Assistant.open(seed_index, encoder=real_encoder), GOLD),
            (Assistant.open(cache / "mining-policy", encoder=real_encoder), MINING_POLICY_GOLD)]
    assert train(sets) == json.loads(PARAMETERS.read_text(encoding="utf-8")), "run python -m eval.train_answerer"

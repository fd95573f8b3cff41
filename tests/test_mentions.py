"""A topic is mentioned when a sentence names it: its words in order, close together."""

from __future__ import annotations

import pytest

from qa.mentions import names_topic


@pytest.mark.parametrize(
    "topic, text, named",
    [
        ("child labour", "Firms face risks related to child labor, health and safety.", True),  # spelling folded
        ("artisanal mining", "including on managing artisanal and small-scale mining (ASM)", True),
        ("Belt and Road Initiative", "particularly in relation to the Belt and Road Initiative (BRI).", True),
        ("child labour", "labour unions, and civil society organisations advocating for child rights", False),
        ("right to development", "Centre for Human Rights and Development Mongolia", False),
        ("deep-sea mining", "this necessitates deep-dive conversations on mining", False),
        ("", "anything", False),
    ],
)
def test_names_topic(topic, text, named):
    assert names_topic(topic, text) is named

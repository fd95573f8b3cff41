"""Hybrid ranking keeps the passage closest in meaning within the top five."""

from __future__ import annotations

import numpy as np

from qa.retrieval import DENSE_SLOT, _lift_densest


def _order(scores: np.ndarray, dense: np.ndarray) -> list[int]:
    return np.lexsort((-dense, -scores)).tolist()  # as Retriever.rank orders its candidates


def test_a_buried_densest_row_is_lifted_to_the_dense_slot():
    scores = np.linspace(1.0, 0.1, 10).astype(np.float32)  # row 0 fuses best, row 9 worst
    dense = np.zeros(10, dtype=np.float32)
    dense[8] = 0.9  # fused ninth, but the best meaning match
    lifted = _lift_densest(scores, dense)
    order = _order(lifted, dense)
    assert order[DENSE_SLOT] == 8
    assert order[:DENSE_SLOT] == list(range(DENSE_SLOT))  # the fused leaders keep their places
    assert order[DENSE_SLOT + 1:] == [r for r in range(DENSE_SLOT, 10) if r != 8]
    assert list(lifted[order]) == sorted(lifted, reverse=True)  # scores still fall with rank
    assert scores[8] == np.float32(0.2)  # the caller's scores are not changed


def test_a_densest_row_already_high_or_a_short_list_is_left_alone():
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4], dtype=np.float32)
    dense = np.array([0.1, 0.9, 0.2, 0.3, 0.0, 0.0], dtype=np.float32)
    assert _lift_densest(scores, dense) is scores
    short = scores[:3]
    assert _lift_densest(short, dense[:3]) is short

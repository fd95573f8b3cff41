"""The real model: the frozen single-question graph gives the eager model's vectors."""

import numpy as np


def test_frozen_query_graph_matches_the_eager_model(real_encoder):
    real_encoder.warm_up(1)
    assert real_encoder._query_graph is not None
    texts = [
        "Who founded CCCMC?",
        "What safeguards for affected communities does the Alliance say green mining must build in, and why?",
        "cobalt " * 300,  # over the window: falls back to the eager, truncating path
    ]
    together = real_encoder.encode(texts)  # a batch always takes the eager path
    for text, expected in zip(texts, together):
        single = real_encoder.encode([text])
        assert single.shape == (1, real_encoder.info.dim) and single.dtype == np.float32
        assert float(single[0] @ expected) > 0.9999
        assert abs(float(np.linalg.norm(single[0])) - 1.0) < 1e-5

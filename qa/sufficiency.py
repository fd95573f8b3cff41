"""When an answer has said enough: a further sentence is quoted only for what it adds.

The best sentence of an answer is quoted whatever it holds. Each further sentence (not one
that goes on from a quoted one, nor a list's items, which are quoted for their structure)
must hold question terms that no sentence quoted before it holds, weighted by their IDF, as
a share of the question's weight: `gain`. A further sentence from another passage that adds
nothing the question asked about costs the reader attention and the citation its precision,
so the share it must add, `min_gain`, is fitted on the dev splits of both gold sets by
`python -m eval.train_answerer` and read from `answerer.json` beside this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PARAMETERS = Path(__file__).with_name("answerer.json")


@dataclass(frozen=True)
class Sufficiency:
    min_gain: float  # share of the question's term weight a further sentence must add

    def __post_init__(self):
        if not 0.0 <= self.min_gain <= 1.0:
            raise ValueError(f"min_gain must be between 0 and 1, not {self.min_gain}")

    def adds_enough(self, weights: Mapping[str, float], quoted: Iterable[frozenset[str]], terms: frozenset[str]) -> bool:
        """Whether a sentence with `terms` adds at least `min_gain` to sentences with `quoted` terms."""
        return gain(weights, quoted, terms) >= self.min_gain


def gain(weights: Mapping[str, float], quoted: Iterable[frozenset[str]], terms: frozenset[str]) -> float:
    """The share of the question's term `weights` held by `terms` and by none of `quoted`."""
    total = sum(weights.values())
    if not total:
        return 0.0
    held = frozenset().union(*quoted)
    return sum(w for t, w in weights.items() if t in terms and t not in held) / total


@cache
def shipped() -> Sufficiency:
    """The fitted parameters shipped with the package."""
    try:
        data = json.loads(PARAMETERS.read_text(encoding="utf-8"))
        return Sufficiency(float(data["min_gain"]))
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise RuntimeError(f"{PARAMETERS} is missing or broken ({err}); run python -m eval.train_answerer") from err

"""How well one sentence of a retrieved passage answers a question: a weighted sum of named
features, the weights fitted on the dev splits of both gold sets.

The features of a candidate sentence (`FEATURES`, each computed in `qa.answer`):

- `cosine`: its embedding's cosine to the question's;
- `coverage`: the share of the question's IDF-weighted terms it holds;
- `kind`: whether it holds the kind of answer the question expects (a date, a number, a country,
  a name, a list), 2 for a date by the question's names or a number, 0 for a date elsewhere;
- `lead`: for a list question, whether it introduces a list of what is asked ("... the following
  principles:");
- `passage`: its passage's retrieval score, min-max normalised over the retrieved passages;
- `short`, `label`, `reference`: marks of sentences that rarely answer (under six words; a title
  or label; a reference or back matter), see `qa.candidate.poor_marks`.

`python -m eval.train_answerer` fits the weights by a pairwise logistic regression (a sentence
that holds the gold evidence against one that does not, of the same question) and writes them to
`answerer.json`, scaled so that the weights of cosine, coverage, kind and passage sum to 1 (the
scale the answer layer's score thresholds are written for).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from qa.sufficiency import PARAMETERS

FEATURES = ("cosine", "coverage", "kind", "lead", "passage", "short", "label", "reference")
SCALED = ("cosine", "coverage", "kind", "passage")  # their weights sum to 1


@dataclass(frozen=True)
class Scorer:
    weights: tuple[float, ...]  # one per FEATURES, in that order

    def __post_init__(self):
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"a scorer needs {len(FEATURES)} weights ({', '.join(FEATURES)}), not {len(self.weights)}")
        if not all(isinstance(w, float) and math.isfinite(w) for w in self.weights):
            raise ValueError(f"scorer weights must be finite numbers, not {self.weights}")

    @classmethod
    def from_mapping(cls, weights: Mapping[str, float]) -> "Scorer":
        missing = [name for name in FEATURES if name not in weights]
        if missing or len(weights) != len(FEATURES):
            raise ValueError(f"scorer weights must name exactly {', '.join(FEATURES)}; got {', '.join(weights)}")
        return cls(tuple(float(weights[name]) for name in FEATURES))

    def as_mapping(self) -> dict[str, float]:
        return dict(zip(FEATURES, self.weights))

    def score(self, features: Sequence[float]) -> float:
        return sum(w * f for w, f in zip(self.weights, features))


@cache
def shipped_scorer() -> Scorer:
    """The fitted weights shipped with the package (`answerer.json`, key "scorer")."""
    try:
        data = json.loads(PARAMETERS.read_text(encoding="utf-8"))
        return Scorer.from_mapping(data["scorer"]["weights"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise RuntimeError(f"{PARAMETERS} is missing or broken ({err}); run python -m eval.train_answerer") from err

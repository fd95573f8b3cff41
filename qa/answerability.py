"""Whether the retrieved evidence answers a question: one calibrated probability.

The features of a question's evidence (`FEATURES`, computed by `ExtractiveAnswerer.evidence` from the scored
sentences of its retrieved passages):

- `cosine`: the best sentence's embedding cosine to the question;
- `score`: the best sentence's score (`qa.scorer`);
- `coverage`: the largest share of the question's IDF-weighted terms one of the best sentences holds;
- `unheld`: the share of that weight that no sentence of the retrieved passages holds at all
  ("the *penalties*", "an export *ban*" a statement never writes);
- `untyped`: for a question expecting a date, a number or a country, how much less of the
  question the best sentences that hold one cover than the best sentences do (a "when" question
  whose best sentences hold no date of the named event: the answer's type is not by its terms);
- `focus`: whether one of the best sentences names the thing asked for (its budget, its members);
- `kind`: whether one of the best sentences holds the asked-for kind where the question's names are
  (a date by the HLEAG's name, a count by the complaints');
- `known`: whether every proper name and numbered name of the question is in some document
  ("Zorblax", "UNEA-6": no);
- `agreement`: whether dense and lexical retrieval put the same passage first among those retrieved.

`probability` is a logistic function of their weighted sum. `python -m eval.train_answerer` fits
the weights and bias by a logistic regression on the dev questions of both gold sets (answerable
or not) and chooses the threshold on dev: of those abstaining on at most `MAX_FALSE_ABSTENTION`
of the answerable dev questions, the one abstaining on the most unanswerable ones and the fewest
answerable ones, midway in its gap. All three are read from `answerer.json`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from qa.sufficiency import PARAMETERS

FEATURES = ("cosine", "score", "coverage", "unheld", "untyped", "focus", "kind", "known", "agreement")
MAX_FALSE_ABSTENTION = 0.03  # share of answerable dev questions the threshold may abstain on


@dataclass(frozen=True)
class Answerability:
    weights: tuple[float, ...]  # one per FEATURES, in that order
    bias: float
    threshold: float  # the answer abstains when the probability is below it

    def __post_init__(self):
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"answerability needs {len(FEATURES)} weights ({', '.join(FEATURES)}), not {len(self.weights)}")
        if not all(isinstance(w, float) and math.isfinite(w) for w in (*self.weights, self.bias)):
            raise ValueError(f"answerability weights and bias must be finite numbers, not {self.weights}, {self.bias}")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"the answerability threshold must be between 0 and 1, not {self.threshold}")

    @classmethod
    def from_mapping(cls, data: Mapping) -> "Answerability":
        weights = data["weights"]
        missing = [name for name in FEATURES if name not in weights]
        if missing or len(weights) != len(FEATURES):
            raise ValueError(f"answerability weights must name exactly {', '.join(FEATURES)}; got {', '.join(weights)}")
        return cls(tuple(float(weights[name]) for name in FEATURES), float(data["bias"]), float(data["threshold"]))

    def as_mapping(self) -> dict:
        return {"weights": dict(zip(FEATURES, self.weights)), "bias": self.bias, "threshold": self.threshold}

    def probability(self, features: Sequence[float]) -> float:
        """The probability that evidence with `features` answers its question."""
        z = self.bias + sum(w * f for w, f in zip(self.weights, features))
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    def answers(self, features: Sequence[float]) -> bool:
        return self.probability(features) >= self.threshold


@cache
def shipped_answerability() -> Answerability:
    """The fitted weights, bias and threshold shipped with the package (`answerer.json`, key "answerability")."""
    try:
        data = json.loads(PARAMETERS.read_text(encoding="utf-8"))
        return Answerability.from_mapping(data["answerability"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise RuntimeError(f"{PARAMETERS} is missing or broken ({err}); run python -m eval.train_answerer") from err

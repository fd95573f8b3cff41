"""Pure retrieval (IR) and answer metrics.

Conventions shared by the ranking metrics:

* ``ranked`` is a sequence of ids, best first.
* ``k`` must be >= 1, otherwise ``ValueError`` is raised.
* Duplicate ids in ``ranked``: only the first occurrence counts; later
  duplicates give no gain but still occupy their rank.
* An empty ``ranked`` or an empty relevant set scores 0.0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator, Mapping, Sequence

__all__ = [
    "hit_at_k",
    "reciprocal_rank",
    "recall_at_k",
    "ndcg_at_k",
    "percentile",
    "mean",
    "ratio",
    "normalise_text",
    "fact_recall",
]


def _check_k(k: int) -> None:
    """Raise ValueError unless k is an int >= 1."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got k={k!r}")


def _first_occurrences(ranked: Sequence[str], k: int) -> Iterator[tuple[int, str]]:
    """Yield (1-based rank, id) for the top k, skipping repeated ids."""
    seen: set[str] = set()
    for rank, doc_id in enumerate(ranked[:k], start=1):
        if doc_id in seen:
            continue
        seen.add(doc_id)
        yield rank, doc_id


def hit_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """1.0 if any of the top k ids is relevant, else 0.0."""
    _check_k(k)
    return 1.0 if any(d in relevant for _, d in _first_occurrences(ranked, k)) else 0.0


def reciprocal_rank(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """1/rank of the first relevant id within the top k, else 0.0."""
    _check_k(k)
    for rank, doc_id in _first_occurrences(ranked, k):
        if doc_id in relevant:
            return 1.0 / rank
    return 0.0


def recall_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Distinct relevant ids in the top k / number of relevant ids.

    Returns 0.0 when ``relevant`` is empty: there is nothing to recall, and
    scoring 0 (not 1) keeps questions without gold evidence from inflating
    the average; callers should normally filter such questions out.
    """
    _check_k(k)
    wanted = set(relevant)
    if not wanted:
        return 0.0
    found = {d for _, d in _first_occurrences(ranked, k) if d in wanted}
    return len(found) / len(wanted)


def _gains(relevance: Mapping[str, float] | Collection[str]) -> dict[str, float]:
    """Map id -> gain; a plain collection means binary gain 1.0."""
    if isinstance(relevance, Mapping):
        return {str(d): float(g) for d, g in relevance.items()}
    return {d: 1.0 for d in relevance}


def ndcg_at_k(
    ranked: Sequence[str], relevance: Mapping[str, float] | Collection[str], k: int
) -> float:
    """nDCG@k with linear gains: DCG = sum rel_i / log2(i + 1), i from 1.

    ``relevance`` is either a mapping id -> graded gain or a collection of
    relevant ids (binary gain 1). IDCG uses the ideal ordering of the
    positive gains truncated at k (as in BEIR / pytrec_eval).
    """
    _check_k(k)
    gains = _gains(relevance)
    ideal = sorted((g for g in gains.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 1) for i, g in enumerate(ideal, start=1))
    if idcg <= 0:
        return 0.0
    dcg = sum(
        gains.get(d, 0.0) / math.log2(rank + 1)
        for rank, d in _first_occurrences(ranked, k)
    )
    return dcg / idcg


def percentile(values: Sequence[float], p: float) -> float:
    """p-th percentile (0..100) with linear interpolation, like numpy's default."""
    if len(values) == 0:
        raise ValueError("percentile of an empty sequence")
    if not 0 <= p <= 100:
        raise ValueError(f"p must be within [0, 100], got p={p!r}")
    data = sorted(float(v) for v in values)
    pos = (len(data) - 1) * p / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(data) - 1)
    frac = pos - lo
    return data[lo] + (data[hi] - data[lo]) * frac


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean; 0.0 for an empty sequence."""
    return sum(values) / len(values) if len(values) else 0.0


def ratio(num: float, den: float, empty: float = 0.0) -> float:
    """num / den, or ``empty`` when den is 0."""
    return num / den if den else empty


_CHAR_MAP = str.maketrans(
    {
        "\u2018": "'",  # left single quote
        "\u2019": "'",  # right single quote / apostrophe
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",  # prime
        "\u201c": '"',  # left double quote
        "\u201d": '"',  # right double quote
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',  # double prime
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2015": "-",  # horizontal bar
        "\u2212": "-",  # minus sign
    }
)
_WS = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """Casefold, unify quotes/dashes and collapse whitespace."""
    return _WS.sub(" ", text.translate(_CHAR_MAP).casefold()).strip()


def fact_recall(answer_text: str, facts: Sequence[str]) -> float:
    """Fraction of facts contained (normalised substring) in the answer; 1.0 if none."""
    if not facts:
        return 1.0
    answer = normalise_text(answer_text)
    found = sum(1 for fact in facts if normalise_text(fact) in answer)
    return found / len(facts)

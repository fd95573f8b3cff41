"""Page furniture found by repetition: short blocks that recur through a document (letterheads,
logos' captions, running headers a converter left as paragraphs of their own)."""

from __future__ import annotations

import re
from collections import Counter

FURNITURE_MIN_REPEATS = 3  # a short block seen this often is furniture
FURNITURE_MAX_CHARS = 120  # furniture is short

_EMPHASIS = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")


def furniture_key(text: str) -> str:
    """What two copies of a piece of furniture share: case, spacing, emphasis and '#' aside."""
    return re.sub(r"\s+", " ", _EMPHASIS.sub(r"\1", text).replace("#", "")).strip().lower()


def furniture_mask(texts: list[str]) -> list[bool]:
    """Which of a document's blocks are furniture: short ones that repeat, and repeated ones
    standing next to furniture (a letterhead's lines)."""
    keys = [furniture_key(t) for t in texts]
    counts = Counter(keys)
    short = [len(k) <= FURNITURE_MAX_CHARS for k in keys]
    furniture = [counts[k] >= FURNITURE_MIN_REPEATS and s for k, s in zip(keys, short)]
    changed = True
    while changed:  # grow runs: a repeated block beside furniture is furniture too
        changed = False
        for i, key in enumerate(keys):
            if furniture[i] or counts[key] < 2 or not short[i]:
                continue
            if (i > 0 and furniture[i - 1]) or (i + 1 < len(keys) and furniture[i + 1]):
                furniture[i] = changed = True
    return furniture

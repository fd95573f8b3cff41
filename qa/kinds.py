"""Whether a sentence holds the kind of answer a question expects: a date, a number, a count,
a country, a name or a list."""

from __future__ import annotations

import functools
import re

from qa.question import COUNTRY, DATE, LIST, NUMBER, WHO

_YEAR = re.compile(r"\b(?:1[89]\d\d|20\d\d)s?\b")  # 2014, the 1990s
_MONTH = re.compile(r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December)\b")
_NUMBER_WORDS = "two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion"
_NUMBER = re.compile(rf"\d|\b(?:one|{_NUMBER_WORDS}|percent|dozen)\b", re.I)
_COUNT = re.compile(  # a count, not a year: "76 countries", "over 6,000", "twelve"
    rf"(?<![\d.,])(?!(?:1[89]|20)\d\d\b)\d[\d,.]*|\b(?:{_NUMBER_WORDS}|dozens?)\b", re.I
)
_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:of|for|and|the|on)?\s*[A-Z][\w&-]+)+|\b[A-Z]{2,}\b")


def kind_match(expects: str, text: str) -> float:
    """1.0 when `text` holds the kind of thing `expects` names, else 0.0."""
    if expects == COUNTRY:
        return 1.0 if _country_names().search(text) else 0.0
    if expects == DATE:
        return 1.0 if _YEAR.search(text) or _MONTH.search(text) else 0.0
    if expects == NUMBER:
        return 1.0 if _NUMBER.search(text) else 0.0
    if expects == WHO:
        return 1.0 if _NAME.search(text) else 0.0
    if expects == LIST:
        return 1.0 if text.count(",") + text.count(";") >= 2 else 0.0
    return 0.0


def has_count(text: str) -> bool:
    """Whether `text` holds a count rather than a year ("76 countries", "twelve", not "2014")."""
    return bool(_COUNT.search(text))


@functools.cache
def _country_names() -> re.Pattern[str]:
    """Any country's name ("Kenya", "Viet Nam", "Congo"), from the ISO 3166 list."""
    import pycountry

    names = {"Russia", "DRC"}
    for country in pycountry.countries:
        for field in ("name", "common_name", "official_name"):
            value = getattr(country, field, None)
            if value:
                names.add(value.split(",")[0])
    return re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + r")\b")

"""Human impact read from the sources' fields and words, each figure kept apart.

GDACS writes one `population` value whose meaning depends on the hazard: people within
reach of the shaking (`in MMI>=VII`), of the wind (`in Category 1`), in a burnt area, or,
for floods, the *death toll* ("121 killed and 2400 displaced", value 121). Reading that
value as "people exposed" turns a deadly flood into a small one, so the value is only
`exposed` when its words say so; deaths, displaced and affected come from the words and,
for the GDACS API, from its Sendai-framework impact records.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from schemas.hazards import Impact

_NUMBER = r"(?P<n>\d[\d,.]*)\s*(?P<scale>thousand|million|k\b|m\b)?"
_ABOUT = r"(?:(?:at least|more than|over|some|about|around|nearly|almost)\s+)?"
_SCALES = {"thousand": 1_000, "k": 1_000, "million": 1_000_000, "m": 1_000_000}
_KINDS: dict[str, re.Pattern[str]] = {
    "deaths": re.compile(
        _NUMBER + r"\s*(?:people\s+|persons\s+)?(?:deaths?|dead|killed|fatalities|casualties)\b"
        r"|(?:killed|death toll(?: of| rose to)?)\s+" + _ABOUT + _NUMBER.replace("?P<", "?P<x"),
        re.IGNORECASE,
    ),
    "displaced": re.compile(
        _NUMBER + r"\s*(?:people\s+|persons\s+)?(?:displaced|evacuated|homeless)\b"
        r"|(?:displaced|evacuated)\s+" + _ABOUT + _NUMBER.replace("?P<", "?P<x"),
        re.IGNORECASE,
    ),
    "affected": re.compile(
        _NUMBER + r"\s*(?:people\s+|persons\s+)?affected\b(?!\s+in\s+(?:the\s+area|MMI))",
        re.IGNORECASE,
    ),
}
# GDACS's `population` words that mean "people within reach of the hazard".
_EXPOSURE_WORDS = re.compile(
    r"\bMMI\b|\bwithin\b|\bin\s+the\s+area\b|\bcategory\b|\bkm/h\b|\bkm\b|\bexposed\b|\bwind",
    re.IGNORECASE,
)
_IMPACT_WORDS = re.compile(
    r"\b(?:deaths?|dead|killed|fatalities|displaced|evacuated|homeless)\b", re.IGNORECASE
)
_SENDAI = {
    "death": "deaths",
    "deaths": "deaths",
    "dead": "deaths",
    "missing": None,
    "displaced": "displaced",
    "evacuated": "displaced",
    "affected": "affected",
}


def _count(match: re.Match[str]) -> int | None:
    groups = match.groupdict()
    number = groups.get("n") or groups.get("xn") or ""
    scale = (groups.get("scale") or groups.get("xscale") or "").lower()
    digits = number.replace(",", "")
    try:
        value = float(digits) if scale else float(digits.replace(".", ""))
    except ValueError:
        return None
    return round(value * _SCALES.get(scale, 1))


def read_text(text: str | None) -> dict[str, int]:
    """Find deaths, displaced and affected counts stated in words; the largest of each."""
    if not text:
        return {}
    found: dict[str, int] = {}
    for kind, pattern in _KINDS.items():
        for match in pattern.finditer(text):
            value = _count(match)
            if value is not None:
                found[kind] = max(found.get(kind, 0), value)
    return found


def from_gdacs_population(
    value: int | None, unit: str | None, text: str | None, *, extra_text: Iterable[str] = ()
) -> Impact | None:
    """Read GDACS's `population` (value, unit, words) and any other text of the item."""
    words = " ".join(w for w in (unit, text) if w)
    counts = read_text(text) if text else {}
    for more in extra_text:
        for kind, count in read_text(more).items():
            counts[kind] = max(counts.get(kind, 0), count)
    exposed: int | None = None
    if value is not None and not _IMPACT_WORDS.search(words):
        # Without impact words the number is GDACS's exposure model (MMI, wind, 100 km, area).
        exposed = value
    elif value is not None and _EXPOSURE_WORDS.search(words) and not counts:
        exposed = value
    if exposed is None and not counts:
        return None
    return Impact(
        deaths=counts.get("deaths"),
        displaced=counts.get("displaced"),
        affected=counts.get("affected"),
        exposed=exposed,
        exposed_text=(text or unit) if exposed is not None else None,
    )


def from_sendai(records: Any, base: Impact | None) -> Impact | None:
    """Add the GDACS API's Sendai impact records (latest per place, summed per kind)."""
    if not isinstance(records, list):
        return base
    sums: dict[str, int] = {}
    for record in records:
        if not isinstance(record, dict) or record.get("latest") is False:
            continue
        kind = _SENDAI.get(str(record.get("sendainame", "")).strip().lower())
        try:
            count = int(float(str(record.get("sendaivalue", "")).replace(",", "")))
        except ValueError:
            continue
        if kind is not None and count >= 0:
            sums[kind] = sums.get(kind, 0) + count
    if not sums:
        return base
    current = base or Impact()
    return current.model_copy(
        update={kind: max(count, getattr(current, kind) or 0) for kind, count in sums.items()}
    )


def from_description(text: str | None) -> Impact | None:
    """Read the counts a free-text description states (ReliefWeb's disaster descriptions)."""
    counts = read_text(text)
    if not counts:
        return None
    return Impact(
        deaths=counts.get("deaths"),
        displaced=counts.get("displaced"),
        affected=counts.get("affected"),
    )

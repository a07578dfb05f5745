"""Country names in the reader's language (ISO 3166 names and their Japanese translation).

Also the other way round: a member names countries on their preference page, in Japanese or
English or as codes, and a name or code that is no country is refused with the country it
most likely meant (`PHI`, the Olympic code, is the Philippines: PHL).
"""

from __future__ import annotations

import csv
import difflib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import pycountry

from schemas.members import Language

# Names are shared with the incident maps (services/common): one translation for both.
from services.common.country_names import country_name as country_name


@lru_cache(maxsize=2)
def country_choices(language: Language) -> tuple[tuple[str, str], ...]:
    """Every country as (ISO3, name in the reader's language), sorted by name."""
    pairs = [(c.alpha_3, country_name(c.alpha_3, language)) for c in pycountry.countries]
    return tuple(sorted(pairs, key=lambda pair: pair[1]))


class UnknownCountryError(ValueError):
    """A name or code that is no country; `suggestion` is the ISO3 it most likely meant."""

    def __init__(self, given: str, suggestion: str | None) -> None:
        hint = f" (did you mean {suggestion}?)" if suggestion else ""
        super().__init__(f"countries: {given} is not a country{hint}")
        self.given = given
        self.suggestion = suggestion


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@dataclass(frozen=True)
class _Index:
    exact: dict[str, str]  # folded code or name -> ISO3
    other_codes: dict[str, str]  # IOC and FIFA codes -> ISO3: suggested, never taken silently


@lru_cache(maxsize=1)
def _index() -> _Index:
    exact: dict[str, str] = {}
    for c in pycountry.countries:
        names = [c.alpha_3, c.alpha_2, c.name, country_name(c.alpha_3, Language.JA)]
        names += [getattr(c, a, None) or "" for a in ("common_name", "official_name")]
        for name in names:
            if name:
                exact.setdefault(_fold(name), c.alpha_3)
    other: dict[str, str] = {}
    # country_converter's table (read directly, without its pandas API) knows the codes
    # people type by mistake: the Olympic and FIFA ones.
    with files("country_converter").joinpath("country_data.tsv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            iso3 = row.get("ISO3") or ""
            if iso3 not in exact.values():
                continue
            for column in ("IOC", "FIFA"):
                code = (row.get(column) or "").strip().upper()
                if len(code) == 3 and code.isalpha():
                    other.setdefault(code, iso3)
            exact.setdefault(_fold(row.get("name_short") or ""), iso3)
    exact.pop("", None)
    return _Index(exact, other)


def resolve_country(given: str) -> str:
    """Return the ISO3 code a name (Japanese or English) or code means; else raise."""
    index = _index()
    folded = _fold(given)
    found = index.exact.get(folded)
    if found is not None:
        return found
    raise UnknownCountryError(given, suggest_country(given))


def suggest_country(given: str) -> str | None:
    """The ISO3 code someone most likely meant by a name or code that is no country."""
    index = _index()
    code = given.strip().upper()
    if code in index.other_codes:
        return index.other_codes[code]
    close = difflib.get_close_matches(_fold(given), list(index.exact), n=1, cutoff=0.75)
    return index.exact[close[0]] if close else None

"""Country names in the reader's language (ISO 3166 names and their Japanese translation)."""

from __future__ import annotations

import gettext
from functools import lru_cache

import pycountry

from schemas.members import Language


@lru_cache(maxsize=1)
def _japanese() -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ja"], fallback=True)


@lru_cache(maxsize=1024)
def country_name(iso3: str, language: Language, source_name: str | None = None) -> str:
    """Name a country for a reader: Japanese from ISO 3166, English as the feed spelled it."""
    country = pycountry.countries.get(alpha_3=iso3)
    if country is None:
        return source_name or iso3
    if language is Language.JA:
        return _japanese().gettext(country.name)
    return source_name or getattr(country, "common_name", None) or country.name

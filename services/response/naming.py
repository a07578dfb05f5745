"""Programme names in the platform's convention, drafted from the incident (the officer edits them).

ja 「{場所}{災害}被災者支援{年}」, e.g. 「ネパール地震被災者支援2015」;
en "Emergency Response to the {year} {place} {hazard}", e.g. "Emergency Response to the 2015
Nepal Earthquake".
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from zoneinfo import ZoneInfo

import pycountry

from schemas.activations import IncidentSummary
from schemas.hazards import HazardType

_EAST_ASIA_TYPHOONS = {"JPN", "PHL", "CHN", "TWN", "KOR", "PRK", "VNM", "HKG", "MAC", "GUM"}

_HAZARD_JA = {
    HazardType.EARTHQUAKE: "地震",
    HazardType.TROPICAL_CYCLONE: "サイクロン",
    HazardType.FLOOD: "洪水",
    HazardType.VOLCANO: "火山噴火",
    HazardType.DROUGHT: "干ばつ",
    HazardType.WILDFIRE: "森林火災",
    HazardType.TSUNAMI: "津波",
    HazardType.FLASH_FLOOD: "洪水",
    HazardType.LANDSLIDE: "地すべり",
    HazardType.STORM: "暴風",
    HazardType.EPIDEMIC: "感染症",
    HazardType.COLD_WAVE: "寒波",
    HazardType.HEAT_WAVE: "熱波",
    HazardType.OTHER: "災害",
}
_HAZARD_EN = {
    HazardType.EARTHQUAKE: "Earthquake",
    HazardType.TROPICAL_CYCLONE: "Cyclone",
    HazardType.FLOOD: "Floods",
    HazardType.VOLCANO: "Volcanic Eruption",
    HazardType.DROUGHT: "Drought",
    HazardType.WILDFIRE: "Wildfires",
    HazardType.TSUNAMI: "Tsunami",
    HazardType.FLASH_FLOOD: "Floods",
    HazardType.LANDSLIDE: "Landslide",
    HazardType.STORM: "Storm",
    HazardType.EPIDEMIC: "Epidemic",
    HazardType.COLD_WAVE: "Cold Wave",
    HazardType.HEAT_WAVE: "Heat Wave",
    HazardType.OTHER: "Disaster",
}


@lru_cache(maxsize=1)
def _japanese() -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ja"], fallback=True)


def place_names(summary: IncidentSummary) -> tuple[str, str]:
    """Name the affected place in Japanese and English (the first country, as members know it)."""
    if not summary.countries:
        fallback = summary.country_names[0] if summary.country_names else summary.title
        return fallback, fallback
    country = pycountry.countries.get(alpha_3=summary.countries[0])
    if country is None:
        code = summary.countries[0]
        return code, code
    english = getattr(country, "common_name", None) or country.name
    return _japanese().gettext(country.name), english


def hazard_names(summary: IncidentSummary) -> tuple[str, str]:
    if summary.hazard_type is HazardType.TROPICAL_CYCLONE and (
        set(summary.countries) & _EAST_ASIA_TYPHOONS
    ):
        return "台風", "Typhoon"
    return _HAZARD_JA[summary.hazard_type], _HAZARD_EN[summary.hazard_type]


def draft_names(summary: IncidentSummary, zone: ZoneInfo) -> tuple[str, str]:
    """Draft the programme's Japanese and English names; the year is the one the platform's
    zone (settings.duty.timezone) saw the event in."""
    year = summary.event_time.astimezone(zone).year
    place_ja, place_en = place_names(summary)
    hazard_ja, hazard_en = hazard_names(summary)
    return (
        f"{place_ja}{hazard_ja}被災者支援{year}",
        f"Emergency Response to the {year} {place_en} {hazard_en}",
    )

"""Country facts triage reasons with: UN M49 region and sub-region, World Bank income level.

The table is derived once from OCHA's hdx-python-country offline data (see
`data/derive_countries.py` and docs/decisions/0300-country-facts-from-a-derived-table.md), so the service carries
no dependency for it and decides the same way offline.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

_TABLE = Path(__file__).parent / "data" / "countries.csv"


class Income(StrEnum):
    """World Bank income groups, the platform's proxy for a state's coping capacity."""

    LOW = "low"
    LOWER_MIDDLE = "lower-middle"
    UPPER_MIDDLE = "upper-middle"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class Country:
    iso3: str
    name: str
    region: str
    sub_region: str
    intermediate_region: str
    income: Income | None
    reliefweb_id: int | None
    #: Every M49 grouping the country belongs to, widest first.
    region_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class CountryTable:
    """Look countries up by ISO3; unknown codes simply have no facts."""

    countries: dict[str, Country]

    def get(self, iso3: str) -> Country | None:
        return self.countries.get(iso3)

    def __contains__(self, iso3: object) -> bool:
        return iso3 in self.countries

    @property
    def region_names(self) -> frozenset[str]:
        """Every M49 region, sub-region and intermediate region name in the table."""
        return frozenset(name for c in self.countries.values() for name in c.region_names)


@lru_cache(maxsize=1)
def country_table() -> CountryTable:
    """Return the bundled country table, read once."""
    with _TABLE.open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        countries = {
            row["iso3"]: Country(
                iso3=row["iso3"],
                name=row["name"],
                region=row["region"],
                sub_region=row["sub_region"],
                intermediate_region=row["intermediate_region"],
                income=Income(row["income"]) if row["income"] else None,
                reliefweb_id=int(row["reliefweb_id"]) if row["reliefweb_id"] else None,
                region_names=tuple(
                    row[k] for k in ("region", "sub_region", "intermediate_region") if row[k]
                ),
            )
            for row in rows
        }
    return CountryTable(countries)


def regions_of(iso3: str) -> tuple[str, ...]:
    """Name the UN M49 groupings of a country, widest first (region, sub-region, intermediate)."""
    country = country_table().get(iso3)
    return country.region_names if country else ()

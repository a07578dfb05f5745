"""Derive `countries.csv` from OCHA's hdx-python-country offline taxonomy (run by hand, rarely).

The service reads only the CSV: hdx-python-country pulls in ~57 packages (frictionless,
openpyxl, loguru, …) that a running triage does not need. Re-run after a World Bank income
reclassification (each July) in a throwaway environment:

    python -m venv /tmp/hdx && /tmp/hdx/bin/pip install hdx-python-country
    /tmp/hdx/bin/python services/common/data/derive_countries.py > services/common/data/countries.csv
"""

from __future__ import annotations

import csv
import sys
from importlib.metadata import version

from hdx.location.country import Country

COLUMNS = (
    "iso3",
    "name",
    "m49",
    "region",
    "sub_region",
    "intermediate_region",
    "income",
    "reliefweb_id",
)
_INCOME = {
    "Low": "low",
    "Lower middle": "lower-middle",
    "Upper middle": "upper-middle",
    "High": "high",
}


def main() -> None:
    """Write one row per country or territory, sorted by ISO3, to stdout."""
    data = Country.countriesdata(use_live=False)
    out = csv.writer(sys.stdout, lineterminator="\n")
    sys.stdout.write(
        f"# Derived from hdx-python-country {version('hdx-python-country')} offline data "
        "(OCHA Countries & Territories Taxonomy) by derive_countries.py; do not edit by hand.\n"
    )
    out.writerow(COLUMNS)
    for iso3 in sorted(data["countries"]):
        info = Country.get_country_info_from_iso3(iso3, use_live=False)
        if not info:
            continue
        out.writerow(
            (
                iso3,
                info.get("Preferred Term") or "",
                info.get("m49 numerical code") or "",
                info.get("Region Name") or "",
                info.get("Sub-region Name") or "",
                info.get("Intermediate Region Name") or "",
                _INCOME.get(info.get("World Bank Income Level") or "", ""),
                info.get("RW ID") or "",
            )
        )


if __name__ == "__main__":
    main()

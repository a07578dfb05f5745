"""A names-only GDACS history of 2013–2016, written from the patterns of the archive of that time.

Each record is one orange or red GDACS alert as an archive keeps it: its *last* episode
(published when the event was over, for cyclones and floods days after it began), country
*names* only (`gdacs:iso3` empty), some of them regions ("Hindu Kush Region",
"Myanmar-India Border Region"), lists or old spellings ("Burma", "Swaziland"); flood
population fields that state the dead ("121 killed and 2400 displaced"); a duplicate GDACS
record of one quake; a variant hazard code (`EQx`); aftershocks; and cyclones with the
floods GDACS filed for them. Places, dates, magnitudes and winds follow the public record
of each disaster; event ids, exact figures and exposure numbers are ours.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Record:
    kind: str  # GDACS event type as written (EQ, EQx, TC, FL, VO, DR)
    start: str  # "YYYY-MM-DD HH:MM"
    alert: str
    country: str
    lat: float
    lon: float
    severity: float = 0.0
    population: int = 0
    impact: str = ""  # flood population words: "121 killed and 2400 displaced"
    days: float = 0.0  # how long the event lasted (cyclones, floods)
    published_after_h: float = 0.5  # when the saved (last) episode was published
    name: str = ""


NUMBERS = {"lat", "lon", "severity", "population", "days", "published_after_h"}


def _number(cell: str) -> float:
    # A whole number stays an int: a wind written `110` is rendered `110`, not `110.0`.
    return float(cell) if "." in cell else int(cell)


def _read(table: Path) -> tuple[Record, ...]:
    """The records of `table`, one a row, in the order the archive lists them."""
    with table.open(encoding="utf-8", newline="") as rows:
        return tuple(
            Record(**{k: _number(v) if k in NUMBERS else v for k, v in row.items()})  # type: ignore[arg-type]
            for row in csv.DictReader(rows)
        )


# One row a record (history_2013_2016.csv); the 2015 Gorkha quake is filed twice, seconds and
# kilometres apart, as GDACS filed it.
HISTORY: tuple[Record, ...] = _read(Path(__file__).with_suffix(".csv"))

_HAZARD = {"EQ": "earthquake", "EQx": "earthquake", "TC": "tropical cyclone", "FL": "flood",
           "VO": "volcano", "DR": "drought"}  # fmt: skip


def _rfc(when: datetime) -> str:
    return when.strftime("%a, %d %b %Y %H:%M:%S GMT")


def _item(index: int, record: Record) -> str:
    start = datetime.strptime(record.start, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    published = start + timedelta(hours=record.published_after_h)
    end = start + timedelta(days=record.days)
    event_id = 1_000_000 + index
    if record.kind.startswith("EQ"):
        severity = (
            f'unit="M" value="{record.severity}"',
            f"Magnitude {record.severity}M, Depth:10km",
        )
        population = (f'unit="in MMI&gt;=VII" value="{record.population}"',
                      f"{record.population / 1e6:.1f} million in MMI&gt;=VII")  # fmt: skip
    elif record.kind == "TC":
        severity = (f'unit="km/h" value="{record.severity}"',
                    f"Maximum wind speed of {record.severity:.0f} km/h")  # fmt: skip
        population = (
            'unit="Population affected by Category 1 (120 km/h) wind speeds or higher" '
            f'value="{record.population}"',
            f"{record.population / 1e6:.1f} million in Category 1 or higher",
        )
    elif record.kind == "FL":
        deaths = record.impact.split()[0] if record.impact else "0"
        severity = ('unit="" value="0"', "Magnitude 0")
        population = (f'unit="Population Affected" value="{deaths}"', escape(record.impact))
    else:
        severity = ('unit="" value="0"', "")
        population = ('unit="" value="0"', "")
    words = _HAZARD[record.kind]
    title = f"{record.alert} {words} alert in {record.country}"
    if record.name:
        title = f"{record.alert} alert for {words} {record.name} in {record.country}"
    return f"""
    <item>
      <title>{escape(title)}</title>
      <description>{escape(title)}.</description>
      <link>http://www.gdacs.org/report.aspx?eventtype={record.kind[:2]}&amp;eventid={event_id}</link>
      <pubDate>{_rfc(published)}</pubDate>
      <guid isPermaLink="false">{record.kind[:2]}{event_id}</guid>
      <gdacs:fromdate>{_rfc(start)}</gdacs:fromdate>
      <gdacs:todate>{_rfc(end)}</gdacs:todate>
      <gdacs:eventtype>{record.kind}</gdacs:eventtype>
      <gdacs:eventid>{event_id}</gdacs:eventid>
      <gdacs:episodeid>{event_id + 500_000}</gdacs:episodeid>
      <gdacs:alertlevel>{record.alert}</gdacs:alertlevel>
      <gdacs:severity {severity[0]}>{severity[1]}</gdacs:severity>
      <gdacs:population {population[0]}>{population[1]}</gdacs:population>
      <gdacs:country>{escape(record.country)}</gdacs:country>
      <gdacs:iso3></gdacs:iso3>
      <gdacs:glide></gdacs:glide>
      <georss:point>{record.lat} {record.lon}</georss:point>
    </item>"""


def gdacs_archive(records: tuple[Record, ...] = HISTORY) -> bytes:
    """Render the records as one GDACS RSS document of the older element set."""
    items = "".join(_item(i, r) for i, r in enumerate(records))
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:gdacs="http://www.gdacs.org" xmlns:georss="http://www.georss.org/georss">
  <channel>
    <title>GDACS orange and red alerts 2013-2016 (names only)</title>{items}
  </channel>
</rss>""".encode()

"""Generated GDACS RSS documents for the demo, the end-to-end tests and the benchmarks.

The documents follow the element set of GDACS's live `rss.xml` (namespaces, gdacs:* elements,
attribute-carrying severity and population), so they travel the same parsing path as the real feed.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from schemas.hazards import AlertLevel

_TEMPLATES = Path(__file__).parent / "templates"


@dataclasses.dataclass(frozen=True)
class ScenarioEvent:
    """One GDACS item: an event at one episode."""

    event_type: str
    event_id: int
    episode_id: int
    alert_level: str
    alert_score: float
    title: str
    description: str
    iso3: str
    country: str
    lat: float
    lon: float
    from_date: datetime
    severity_value: float
    severity_unit: str
    severity_text: str
    population: int
    population_unit: str
    population_text: str
    glide: str = ""
    event_name: str = ""
    vulnerability: float = 1.0

    @property
    def alert_rank(self) -> int:
        return AlertLevel(self.alert_level.lower()).rank

    @property
    def to_date(self) -> datetime:
        return self.from_date

    @property
    def published(self) -> datetime:
        return self.from_date + timedelta(minutes=20)


def _rfc822(value: datetime) -> str:
    return format_datetime(value.astimezone(UTC), usegmt=True)


_env = Environment(
    loader=FileSystemLoader(_TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    keep_trailing_newline=True,
)
_env.filters["rfc822"] = _rfc822


def gdacs_rss(events: list[ScenarioEvent], *, self_url: str = "http://127.0.0.1/rss.xml") -> bytes:
    """Render events as a GDACS RSS document."""
    published = max((e.published for e in events), default=datetime.now(UTC))
    text = _env.get_template("gdacs_rss.xml.j2").render(
        events=events, published=published, self_url=self_url
    )
    return text.encode("utf-8")


def red_earthquake(
    event_id: int, when: datetime, *, episode_id: int | None = None
) -> ScenarioEvent:
    """A red earthquake in the Philippines, millions exposed."""
    return ScenarioEvent(
        event_type="EQ",
        event_id=event_id,
        episode_id=episode_id or event_id + 100_000,
        alert_level="Red",
        alert_score=2.6,
        title=f"Red earthquake alert (Magnitude 7.4M, Depth:10km) in Philippines {when:%d/%m/%Y %H:%M} UTC, 2.1 million (in MMI>=VII).",
        description=f"On {when:%m/%d/%Y %H:%M:%S}, an earthquake occurred in Philippines potentially affecting 2.1 million (in MMI>=VII). The earthquake had Magnitude 7.4M, Depth:10km.",
        iso3="PHL",
        country="Philippines",
        lat=9.7452,
        lon=126.1581,
        from_date=when,
        severity_value=7.4,
        severity_unit="M",
        severity_text="Magnitude 7.4M, Depth:10km",
        population=2_114_000,
        population_unit="(in MMI>=VII)",
        population_text="2.1 million (in MMI>=VII)",
        glide=f"EQ-{when.year}-{event_id % 1_000_000:06d}-PHL",
        vulnerability=1.7,
    )


def separate_red_earthquakes(first_id: int, count: int, last: datetime) -> list[ScenarioEvent]:
    """`count` red M7.4 earthquakes in time order, the last at `last`, each a disaster of its own.

    Triage files a quake within a larger one's aftershock window (M7.4: ~140 km and, capped,
    30 days; decision 0303) under that one's incident. These are two days apart on a 5 × 4
    grid of points in and around the Philippines at least ~210 km apart, so a point comes back
    only after 40 days: every one is a new incident and a new activation.
    """
    quakes = []
    for i in range(count):
        quake = red_earthquake(first_id + i, last - timedelta(days=2 * (count - 1 - i)))
        quakes.append(
            dataclasses.replace(quake, lat=5.5 + (i % 5) * 3.0, lon=120.0 + (i % 4) * 2.0)
        )
    return quakes


def orange_cyclone(event_id: int, when: datetime) -> ScenarioEvent:
    """An orange tropical cyclone approaching the Philippines."""
    return ScenarioEvent(
        event_type="TC",
        event_id=event_id,
        episode_id=12,
        alert_level="Orange",
        alert_score=1.5,
        title="Orange alert for tropical cyclone KAJIKI-26. Population affected by Category 1 (120 km/h) wind speeds or higher is 0.45 million.",
        description="From 21/11/2026 to 23/11/2026, a Tropical Storm (maximum wind speed of 148 km/h) KAJIKI-26 was active in NWPacific. The cyclone affects these countries: Philippines (vulnerability Medium).",
        iso3="PHL",
        country="Philippines",
        lat=13.1,
        lon=124.6,
        from_date=when,
        severity_value=148,
        severity_unit="km/h",
        severity_text="Tropical Storm (maximum wind speed of 148 km/h)",
        population=450_000,
        population_unit="Population affected by Category 1 (120 km/h) wind speeds or higher",
        population_text="0.45 million in Category 1 or higher",
        event_name="KAJIKI-26",
        vulnerability=1.2,
    )


def green_flood(event_id: int, when: datetime) -> ScenarioEvent:
    """A green flood in Bangladesh: recorded, nobody alerted."""
    return ScenarioEvent(
        event_type="FL",
        event_id=event_id,
        episode_id=1,
        alert_level="Green",
        alert_score=0.5,
        title=f"Green flood alert in Bangladesh {when:%d/%m/%Y}",
        description="On 23/11/2026, a flood started in Bangladesh, until 23/11/2026. The flood caused 0 deaths and 120 displaced .",
        iso3="BGD",
        country="Bangladesh",
        lat=23.7,
        lon=90.4,
        from_date=when,
        severity_value=0,
        severity_unit="",
        severity_text="Magnitude 0",
        population=0,
        population_unit="killed",
        population_text="0 killed and 120 displaced",
    )


def demo_events(now: datetime) -> list[ScenarioEvent]:
    """The demo scenario: a red earthquake, an orange cyclone and a green flood."""
    base = int(now.timestamp()) % 900_000 + 9_000_000
    return [
        red_earthquake(base + 1, now - timedelta(minutes=25)),
        orange_cyclone(base + 2, now - timedelta(hours=3)),
        green_flood(base + 3, now - timedelta(hours=6)),
    ]


def usgs_summary(
    quakes: list[ScenarioEvent],
    *,
    pager: str | None = "orange",
    after: timedelta = timedelta(minutes=12),
    url: str = "https://earthquake.usgs.gov/earthquakes/feed/v1.0/summary/4.5_hour.geojson",
) -> bytes:
    """Render earthquakes as a USGS summary GeoJSON feed: each posted `after` its origin,
    with an automatic PAGER level (the shape of the real `4.5_hour.geojson`)."""
    features = []
    for quake in quakes:
        code = f"{quake.event_id:08d}"
        origin = int(quake.from_date.timestamp() * 1000)
        features.append(
            {
                "type": "Feature",
                "id": f"us7{code}",
                "geometry": {"type": "Point", "coordinates": [quake.lon, quake.lat, 10.0]},
                "properties": {
                    "mag": quake.severity_value,
                    "place": f"near {quake.country}",
                    "time": origin,
                    "updated": origin + int(after.total_seconds() * 1000),
                    "url": f"https://earthquake.usgs.gov/earthquakes/eventpage/us7{code}",
                    "detail": f"https://earthquake.usgs.gov/earthquakes/feed/v1.0/detail/us7{code}.geojson",
                    "alert": pager,
                    "status": "automatic",
                    "tsunami": 0,
                    "sig": 900,
                    "mmi": 8.1,
                    "net": "us",
                    "code": f"7{code}",
                    "ids": f",us7{code},",
                    "sources": ",us,",
                    "types": ",losspager,origin,shakemap," if pager else ",origin,",
                    "magType": "mww",
                    "type": "earthquake",
                    "title": f"M {quake.severity_value:g} - near {quake.country}",
                },
            }
        )
    document = {
        "type": "FeatureCollection",
        "metadata": {"url": url, "title": "USGS Magnitude 4.5+ Earthquakes, Past Hour"},
        "features": features,
    }
    return json.dumps(document).encode("utf-8")

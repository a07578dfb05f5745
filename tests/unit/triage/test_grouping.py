"""One incident per disaster: aftershocks, duplicate records and a cyclone's floods join it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas.activations import Level
from schemas.hazards import AlertLevel, HazardType
from services.triage.engine import Triage
from services.triage.grouping import aftershock_window
from services.triage.incidents import IncidentBook
from tests.unit.triage.builders import GORKHA, T0, context, gdacs_quake, report, shipped


def nepal_2015() -> list:
    """The main shock, two large aftershocks the same day and the M7.3 of 12 May."""
    red, orange = AlertLevel.RED, AlertLevel.ORANGE
    return [
        gdacs_quake("EQ:1", GORKHA, 28.23, 84.73, 7.8, red, people=5_000_000),
        gdacs_quake("EQ:2", GORKHA + timedelta(minutes=34), 28.19, 84.86, 6.6, orange),
        gdacs_quake("EQ:3", GORKHA + timedelta(days=1, hours=1), 27.79, 85.91, 6.7, orange),
        gdacs_quake(
            "EQ:4",
            GORKHA + timedelta(days=17),
            27.84,
            86.08,
            7.3,
            red,
            countries=("NPL", "CHN"),
            people=2_000_000,
        ),
    ]


def test_uhrhammer_windows_grow_with_magnitude() -> None:
    assert [round(aftershock_window(m)[0]) for m in (6.0, 7.0, 7.8)] == [45, 100, 190]


def test_the_nepal_2015_sequence_is_one_incident_alerted_once() -> None:
    criteria = shipped()
    triage = Triage(criteria, context(criteria))
    outcomes = [triage.process(e) for e in nepal_2015()]
    assert len({o.incident.id for o in outcomes}) == 1
    assert [o.activation is not None for o in outcomes] == [True, False, False, False]
    incident = outcomes[-1].incident
    assert incident.joined["gdacs:EQ:4"] == (
        "aftershock M7.3 17 days after and 18 km from gdacs:EQ:3, in the zone of gdacs:EQ:1 "
        "(M7.8; window 30 days, 190 km)"
    )


def test_a_quake_beyond_the_window_is_a_new_incident() -> None:
    book = IncidentBook()
    main, *_ = nepal_2015()
    book.file(main)
    later = gdacs_quake("EQ:9", GORKHA + timedelta(days=40), 28.0, 84.9, 6.9)
    far = gdacs_quake("EQ:10", GORKHA + timedelta(days=3), 29.9, 81.0, 6.1)
    assert book.file(later)[1] and book.file(far)[1]


def test_a_duplicate_record_of_one_quake_joins_quietly() -> None:
    criteria = shipped()
    triage = Triage(criteria, context(criteria))
    red, idn = AlertLevel.RED, ("IDN",)
    first = gdacs_quake("EQ:20", T0, -0.2, 119.8, 5.9, red, countries=idn, people=1_500_000)
    copy = gdacs_quake("EQ:21", T0 + timedelta(seconds=40), -0.4, 119.9, 5.8, red, countries=idn)
    a, b = triage.process(first), triage.process(copy)
    assert a.incident is b.incident and b.activation is None
    assert b.incident.joined["gdacs:EQ:21"].startswith("duplicate record of gdacs:EQ:20: ")


def test_a_haiyan_like_cyclone_and_its_flood_are_one_incident() -> None:
    landfall = datetime(2013, 11, 7, 21, tzinfo=UTC)
    track = [(10.2, 129.1), (11.0, 125.0), (11.4, 122.0), (11.8, 118.5)]
    criteria = shipped()
    triage = Triage(criteria, context(criteria))
    storm = [
        triage.process(
            report(
                "TC:1000",
                version=str(i + 1),
                alert=AlertLevel.RED,
                countries=("PHL",),
                at=landfall - timedelta(days=3),
                lat=lat,
                lon=lon,
                severity=(314, "km/h"),
                people=16_000_000,
            ).model_copy(update={"end_time": landfall + timedelta(days=i / 2)})
        )
        for i, (lat, lon) in enumerate(track)
    ]
    flood = triage.process(
        report(
            "FL:2000",
            alert=AlertLevel.ORANGE,
            countries=("PHL",),
            at=landfall + timedelta(days=1),
            lat=11.2,
            lon=124.9,
        )
    )
    assert flood.incident is storm[0].incident and flood.activation is None
    assert flood.incident.joined["gdacs:FL:2000"].startswith(
        "flood caused by cyclone gdacs:TC:1000"
    )
    assert flood.decision.level is Level.ACTIVATE


def test_a_flood_after_a_green_storm_stands_alone() -> None:
    book = IncidentBook()
    book.file(
        report(
            "TC:3000",
            alert=AlertLevel.GREEN,
            countries=("PHL",),
            lat=11.0,
            lon=125.0,
            hazard=HazardType.TROPICAL_CYCLONE,
        )
    )
    _, created, _ = book.file(
        report(
            "FL:3001",
            countries=("PHL",),
            lat=11.1,
            lon=125.1,
            at=book.incidents[next(iter(book.incidents))].first_seen + timedelta(days=1),
        )
    )
    assert created

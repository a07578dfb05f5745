"""Which CAP messages duty's records make, and how they refer to each other."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from schemas.activations import IncidentSummary, Level, Reason
from schemas.hazards import AlertLevel, HazardType
from services.duty.cap.mapping import Kind, classify
from services.duty.cap.view import (
    ActivationRecord,
    Closing,
    derive,
    identifier,
    parse_identifier,
)

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def record(level: Level, incident: UUID, minute: int) -> ActivationRecord:
    return ActivationRecord(
        activation_id=uuid4(),
        incident_id=incident,
        level=level,
        previous_level=Level.NONE,
        score=50,
        reasons=[Reason(rule="r", sentence="GDACS alert level Red")],
        summary=IncidentSummary(title="Quake", hazard_type=HazardType.EARTHQUAKE, event_time=T0),
        received_at=T0 + timedelta(minutes=minute),
    )


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def shape(messages: list) -> list[tuple[str, str, list[str]]]:  # type: ignore[type-arg]
    return [(m.identifier, m.msg_type, [r.identifier for r in m.references]) for m in messages]


def test_an_incident_stood_down_and_raised_again_starts_a_new_alert() -> None:
    incident = uuid4()
    first, again = record(Level.STANDBY, incident, 0), record(Level.ACTIVATE, incident, 30)
    a, b = str(first.activation_id), str(again.activation_id)
    messages = derive([again, first], [Closing(first.activation_id, Kind.STAND_DOWN, at(10))])
    assert shape(messages) == [
        (a, "Alert", []),
        (f"{a}-stand-down", "Cancel", [a]),
        (b, "Alert", []),
    ]


def test_acting_on_an_activation_an_upgrade_replaced_says_nothing() -> None:
    incident = uuid4()
    old, new = record(Level.STANDBY, incident, 0), record(Level.ACTIVATE, incident, 5)
    a, b = str(old.activation_id), str(new.activation_id)
    closings = [
        Closing(old.activation_id, Kind.LAUNCH, at(6)),
        Closing(new.activation_id, Kind.LAUNCH, at(7)),
        Closing(old.activation_id, Kind.STAND_DOWN, at(8)),
    ]
    assert shape(derive([old, new], closings)) == [
        (a, "Alert", []),
        (b, "Update", [a]),
        (f"{b}-launch", "Update", [a, b]),
    ]


def test_incidents_do_not_refer_to_each_other_and_watch_counts_but_none_does_not() -> None:
    one, two = record(Level.WATCH, uuid4(), 0), record(Level.ACTIVATE, uuid4(), 1)
    ignored = record(Level.NONE, uuid4(), 2)
    assert [m.msg_type for m in derive([one, two, ignored], [])] == ["Alert", "Alert"]


def test_a_launch_at_the_same_instant_follows_its_activation() -> None:
    only = record(Level.ACTIVATE, uuid4(), 0)
    messages = derive([only], [Closing(only.activation_id, Kind.LAUNCH, only.received_at)])
    assert [m.msg_type for m in messages] == ["Alert", "Update"]


def test_a_programme_close_is_an_update_and_the_next_episode_a_new_alert() -> None:
    incident = uuid4()
    first, later = record(Level.ACTIVATE, incident, 0), record(Level.ACTIVATE, incident, 90)
    a, b = str(first.activation_id), str(later.activation_id)
    programme = {"en-US": "Emergency Response", "ja-JP": "被災者支援"}
    closings = [
        Closing(first.activation_id, Kind.LAUNCH, at(10), programme),
        Closing(first.activation_id, Kind.CLOSE, at(60), programme),
    ]
    messages = derive([later, first], closings)
    assert shape(messages) == [
        (a, "Alert", []),
        (f"{a}-launch", "Update", [a]),
        (f"{a}-close", "Update", [a, f"{a}-launch"]),
        (b, "Alert", []),
    ]
    assert messages[2].programme == programme


@pytest.mark.parametrize("kind", list(Kind))
def test_identifiers_read_back(kind: Kind) -> None:
    activation_id = uuid4()
    assert parse_identifier(identifier(activation_id, kind)) == (activation_id, kind)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "feed",
        "../x",
        "0bd1c3c2-5b2f-45dc-949d-c2883a7d237c-launched",
        "0bd1c3c2-5b2f-45dc-949d-c2883a7d237cx",
    ],
)
def test_other_identifiers_are_refused(text: str) -> None:
    assert parse_identifier(text) is None


@pytest.mark.parametrize(
    ("kind", "level", "hazard", "alert", "expected"),
    [
        (
            Kind.ACTIVATION,
            Level.ACTIVATE,
            HazardType.EARTHQUAKE,
            AlertLevel.RED,
            {
                "category": "Geo",
                "urgency": "Immediate",
                "severity": "Extreme",
                "certainty": "Observed",
            },
        ),
        (
            Kind.ACTIVATION,
            Level.STANDBY,
            HazardType.TROPICAL_CYCLONE,
            None,
            {
                "category": "Met",
                "urgency": "Expected",
                "severity": "Moderate",
                "certainty": "Likely",
            },
        ),
        (
            Kind.LAUNCH,
            Level.ACTIVATE,
            HazardType.DROUGHT,
            AlertLevel.ORANGE,
            {"urgency": "Expected", "response_type": "Execute"},
        ),
        (
            Kind.CLOSE,
            Level.ACTIVATE,
            HazardType.EARTHQUAKE,
            AlertLevel.RED,
            {"urgency": "Past", "response_type": "AllClear"},
        ),
        (
            Kind.STAND_DOWN,
            Level.WATCH,
            HazardType.WILDFIRE,
            AlertLevel.GREEN,
            {
                "category": "Fire",
                "urgency": "Past",
                "severity": "Minor",
                "response_type": "AllClear",
            },
        ),
    ],
)
def test_the_mapping_of_decision_0700(
    kind: Kind,
    level: Level,
    hazard: HazardType,
    alert: AlertLevel | None,
    expected: dict[str, str],
) -> None:
    mapped = classify(kind, level, hazard, alert)
    assert {name: getattr(mapped, name) for name in expected} == expected


def test_a_hazard_type_without_a_cap_category_maps_to_other() -> None:
    every = {classify(Kind.ACTIVATION, Level.WATCH, h, None).category for h in HazardType}
    assert "Other" in every


def test_feed_text_that_xml_cannot_carry_is_left_out_and_the_alert_stays_valid() -> None:
    import capvalidator
    import feedparser

    from services.duty.cap.render import Publisher, alert_xml, atom_xml

    hostile = record(Level.ACTIVATE, uuid4(), 0)
    summary = hostile.summary.model_copy(
        update={"title": "Quake\x0b in <Philippines> & \x00sea\ufffe", "countries": ["PHL"]}
    )
    (message,) = derive([dataclasses.replace(hostile, summary=summary)], [])
    publisher = Publisher(sender="console.example.org", name="standby", base_url="https://c")
    body = alert_xml(message, publisher)
    assert capvalidator.check_schema(body).passed, body.decode()
    assert "ACTIVATE: Quake in &lt;Philippines&gt; &amp; sea</headline>" in body.decode()
    feed = feedparser.parse(atom_xml([message], publisher, T0))
    assert not feed.bozo and feed.entries[0].title == "ACTIVATE: Quake in <Philippines> & sea"

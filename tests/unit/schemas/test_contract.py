from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from pydantic import ValidationError

from schemas import (
    AckEvent,
    AckState,
    AckVia,
    Activation,
    Channel,
    DeadLetter,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    HazardEvent,
    Level,
    Page,
    Reason,
)
from schemas.activations import IncidentSummary
from schemas.export import json_schemas
from schemas.pages import PageTarget

JSONSCHEMA_DIR = Path(__file__).resolve().parents[3] / "schemas" / "jsonschema"
WHEN = datetime(2024, 1, 1, 7, 10, tzinfo=UTC)


def hazard() -> HazardEvent:
    return HazardEvent(
        source="gdacs",
        source_id="EQ:1412345",
        version="1519870",
        hazard_type="EQ",
        title="Red earthquake alert in Japan",
        countries=["JPN"],
        lat=37.5,
        lon=137.2,
        alert_level="red",
        severity={"value": 7.5, "unit": "M", "text": "Magnitude 7.5M, Depth:10km"},
        population_exposed=2_100_000,
        glide="EQ-2024-000001-JPN",
        event_time=WHEN,
        links=[{"rel": "report", "url": "https://www.gdacs.org/report.aspx?eventid=1412345"}],
        extras={"gdacs:iscurrent": "true"},
    )


def summary() -> IncidentSummary:
    return IncidentSummary(title="Red earthquake alert in Japan", hazard_type="EQ", event_time=WHEN)


def every_message() -> list[object]:
    activation_id, incident_id = uuid4(), uuid4()
    reason = Reason(rule="gdacs-red", sentence="GDACS alert level Red", level=Level.ACTIVATE)
    return [
        hazard(),
        Activation(
            activation_id=activation_id,
            incident_id=incident_id,
            level=Level.ACTIVATE,
            score=90,
            reasons=[reason],
            summary=summary(),
        ),
        Page(
            page_id=uuid4(),
            activation_id=activation_id,
            incident_id=incident_id,
            level=Level.ACTIVATE,
            step=0,
            target=PageTarget(officer_id="sato", name="佐藤 花子", language="ja", email="s@x.org"),
            summary=summary(),
        ),
        Delivery(
            delivery_key="k",
            kind=DeliveryKind.MEMBER_ALERT,
            activation_id=activation_id,
            contact_id="c",
            channel=Channel.EMAIL,
            status=DeliveryStatus.SENT,
            attempts=1,
        ),
        AckEvent(
            activation_id=activation_id,
            incident_id=incident_id,
            level=Level.ACTIVATE,
            state=AckState.ACKNOWLEDGED,
            via=AckVia.LINK,
            officer_id="sato",
        ),
        DeadLetter(
            original_topic="hazards.v1", consumer="g", payload="{}", error_type="E", error="e"
        ),
    ]


@pytest.mark.parametrize("message", every_message(), ids=lambda m: type(m).__name__)
def test_every_message_round_trips_through_json(message: HazardEvent) -> None:
    restored = type(message).model_validate_json(message.model_dump_json())
    assert restored == message


def test_hazard_event_key_names_source_and_event() -> None:
    assert hazard().key == "gdacs:EQ:1412345"


def test_activation_without_reasons_is_refused() -> None:
    with pytest.raises(ValidationError, match="reasons"):
        Activation(
            activation_id=uuid4(),
            incident_id=uuid4(),
            level=Level.STANDBY,
            score=50,
            reasons=[],
            summary=summary(),
        )


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        hazard().model_copy(update={}).model_validate(
            {**hazard().model_dump(), "event_time": "2024-01-01T00:00:00"}
        )


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        HazardEvent.model_validate({**hazard().model_dump(), "surprise": 1})


def test_levels_are_ordered() -> None:
    assert Level.NONE < Level.WATCH < Level.STANDBY < Level.ACTIVATE
    assert (
        max([Level.STANDBY, Level.ACTIVATE, Level.WATCH], key=lambda lv: lv.rank) is Level.ACTIVATE
    )


def test_checked_in_json_schema_matches_the_models() -> None:
    expected = json_schemas()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in JSONSCHEMA_DIR.glob("*.json")}
    assert on_disk == expected, "run `make schemas` and commit schemas/jsonschema/"

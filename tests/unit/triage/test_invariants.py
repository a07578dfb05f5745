"""Properties that hold for any stream of reports, checked on generated streams (hypothesis)."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.activations import Level
from schemas.hazards import AlertLevel, HazardEvent, HazardType, Source
from services.common.countries import Income, country_table
from services.triage.engine import Triage
from tests.unit.triage.builders import T0, context, hours, report, shipped

CRITERIA = shipped()


@st.composite
def reports(draw: st.DrawFn) -> HazardEvent:
    source = draw(st.sampled_from(list(Source)))
    number = draw(st.integers(1, 6))
    hazard = draw(
        st.sampled_from([HazardType.EARTHQUAKE, HazardType.TROPICAL_CYCLONE, HazardType.FLOOD])
    )
    placed = source is Source.GDACS or draw(st.booleans())
    return report(
        f"{hazard.value}:{number}" if source is Source.GDACS else str(number),
        source=source,
        hazard=hazard,
        version=str(draw(st.integers(1, 4))),
        alert=draw(st.sampled_from([None, *AlertLevel])),
        countries=tuple(
            draw(
                st.lists(
                    st.sampled_from(["PHL", "JPN", "USA", "BGD"]),
                    min_size=1,
                    max_size=2,
                    unique=True,
                )
            )
        ),
        at=T0 + hours(draw(st.integers(0, 200))),
        lat=draw(st.floats(5, 20)) if placed else None,
        lon=draw(st.floats(115, 130)) if placed else None,
        people=draw(st.one_of(st.none(), st.integers(0, 5_000_000))),
        glide=draw(st.sampled_from([None, None, "EQ-2026-000001-PHL", "TC-2026-000002-PHL"])),
        status=draw(st.sampled_from([None, "alert", "current"]))
        if source is Source.RELIEFWEB
        else None,
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(reports(), min_size=1, max_size=30))
def test_any_stream_tells_each_incident_each_level_at_most_once_and_only_upward(
    stream: list[HazardEvent],
) -> None:
    engine = Triage(CRITERIA, context(CRITERIA))
    told: dict[object, list[Level]] = defaultdict(list)
    home: dict[str, object] = {}
    for event in stream:
        outcome = engine.process(event)
        assert outcome.decision.reasons, "every decision says why"
        assert 0 <= outcome.decision.score <= 100
        # A source's event stays in the incident it first joined.
        assert home.setdefault(event.key, outcome.incident.id) == outcome.incident.id
        if outcome.activation is not None:
            levels = told[outcome.incident.id]
            assert outcome.activation.level > Level.NONE
            assert all(outcome.activation.level > before for before in levels)
            assert outcome.activation.previous_level == (levels[-1] if levels else Level.NONE)
            levels.append(outcome.activation.level)


def test_the_country_table_knows_regions_and_income_groups() -> None:
    table = country_table()
    philippines, japan = table.get("PHL"), table.get("JPN")
    assert philippines is not None and japan is not None
    assert (philippines.sub_region, philippines.income) == (
        "South-eastern Asia",
        Income.LOWER_MIDDLE,
    )
    assert (japan.region, japan.income) == ("Asia", Income.HIGH)
    assert table.get("XXX") is None
    assert len(table.countries) > 240

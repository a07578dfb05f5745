"""One incident per quake across USGS and GDACS: measured on generated pairs, checked on the
real captures, and told once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from schemas.hazards import AlertLevel, HazardEvent, Link, Pager, PagerLevel, Source
from services.tools.documents import read_events
from services.triage.backtest import find_documents, replay
from services.triage.quakes import QuakePolicy, same_quake
from tests.unit.triage.builders import T0, merge_score, report, shipped
from tests.unit.triage.quake_pairs import quake_pairs


def test_generated_usgs_and_gdacs_pairs_merge_with_precision_and_recall_over_95_percent(
    capsys: pytest.CaptureFixture[str],
) -> None:
    generated = quake_pairs(2_000, seed=23)
    score = merge_score(generated.events, generated.truth)
    with capsys.disabled():
        print(f"\n  quake merge, 2,000 generated USGS/GDACS pairs: {score}")
    assert score.true_pairs == 2_000
    assert score.precision >= 0.95
    assert score.recall >= 0.95


def usgs(
    at_s: float = 0, lat: float = 34.5, lon: float = 62.0, mag: float = 6.3, **kw: object
) -> HazardEvent:
    return report(
        "us6000len8", source=Source.USGS, alert=None, countries=("AFG",), lat=lat, lon=lon,
        at=T0 + timedelta(seconds=at_s), severity=(mag, "M"), extras={"ids": ["us6000len8"]},
    )  # fmt: skip


def gdacs(at_s: float = 4, lat: float = 34.6, lon: float = 62.1, mag: float = 6.3) -> HazardEvent:
    return report(
        "EQ:1400001", alert=AlertLevel.ORANGE, countries=("AFG",), lat=lat, lon=lon,
        at=T0 + timedelta(seconds=at_s), severity=(mag, "M"),
    )  # fmt: skip


def test_the_tolerances_say_why_and_refuse_a_sequence_quake() -> None:
    policy = QuakePolicy()
    found = same_quake(gdacs(), [usgs()], policy)
    assert found is not None and "4 s and 14 km apart, M6.3 and M6.3" in found[1]
    assert same_quake(gdacs(at_s=30 * 60), [usgs()], policy) is None  # Herat: 30 min later
    assert same_quake(gdacs(lat=35.5), [usgs()], policy) is None  # 110 km away
    assert same_quake(gdacs(mag=5.5), [usgs()], policy) is None
    linked = gdacs(at_s=3600).model_copy(
        update={
            "links": [
                Link(
                    rel="neic_report",
                    url="http://earthquake.usgs.gov/earthquakes/eventpage/us6000len8#summary",
                )
            ]
        }
    )
    found = same_quake(linked, [usgs()], policy)
    assert found is not None and found[1].startswith("the same USGS event us6000len8")


def test_usgs_first_then_gdacs_is_one_incident_told_once_with_both_sources() -> None:
    pager = usgs().model_copy(update={"pager": Pager(alert=PagerLevel.ORANGE)})
    outcomes = list(replay([pager, gdacs()], shipped()))
    assert outcomes[0].incident is outcomes[1].incident
    assert (
        outcomes[1].incident.joined["gdacs:EQ:1400001"].startswith("the same earthquake as usgs:")
    )
    told = [o.activation for o in outcomes if o.activation is not None]
    assert len({a.level for a in told}) == len(told)  # never the same level twice


def test_no_wrong_merge_among_the_real_captures(real_captures: Path) -> None:
    documents = find_documents([real_captures / "gdacs", real_captures / "usgs"])
    events = read_events(documents, on_error=lambda _: None)
    assert sum(1 for e in events if e.source is Source.USGS) > 900
    incidents = {}
    for outcome in replay(events, shipped()):
        incidents[outcome.incident.id] = outcome.incident
    policy = QuakePolicy()
    crossed = 0
    for incident in incidents.values():
        quakes = [r for r in incident.reports.values() if r.source in (Source.USGS, Source.GDACS)]
        by_source = {r.source for r in quakes}
        if len(by_source) < 2:
            continue
        crossed += 1
        # Every cross-source member is the same quake by the tolerances or a shared USGS id.
        for r in quakes:
            others = [o for o in quakes if o.source is not r.source]
            assert same_quake(r, others, policy) is not None, (r.key, [o.key for o in others])
    # No quake of the GDACS captures is in the USGS captures (none within three days and
    # 300 km of another): an incident holding both sources would be a wrong merge.
    assert crossed == 0


def test_the_second_source_joins_silently_at_the_same_level_and_as_one_upgrade_above_it() -> None:
    from schemas.activations import Level
    from schemas.members import Language
    from services.notifier.rendering import Renderer

    red = usgs().model_copy(update={"pager": Pager(alert=PagerLevel.RED)})
    gdacs_red = gdacs().model_copy(update={"alert_level": AlertLevel.RED})
    same = list(replay([red, gdacs_red], shipped()))
    assert same[0].activation is not None and same[0].activation.level is Level.ACTIVATE
    # A silent merge: nothing to broadcast, and the incident's reasons now name both sources.
    assert same[1].activation is None and same[1].incident is same[0].incident
    assert "Reported by 2 independent sources (gdacs, usgs)" in [
        r.sentence for r in same[1].decision.reasons
    ]

    orange = usgs().model_copy(update={"pager": Pager(alert=PagerLevel.ORANGE)})
    rising = list(replay([orange, gdacs_red], shipped()))
    first, upgrade = (o.activation for o in rising)
    assert first is not None and first.level is Level.STANDBY
    assert upgrade is not None and (upgrade.level, upgrade.previous_level) == (
        Level.ACTIVATE,
        Level.STANDBY,
    )
    assert upgrade.summary.sources == ["gdacs:EQ:1400001", "usgs:us6000len8"]
    # The one further message says it is an upgrade, and why: both sources.
    text = Renderer().member_alert(Language.EN, upgrade, None).text
    assert "(upgraded from STANDBY)" in text
    assert "Reported by 2 independent sources (gdacs, usgs)" in text

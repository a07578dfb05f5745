"""Every feature of every real USGS capture normalises; updates, aliases and PAGER versions
behave as the field says they do (captures and their provenance: tests/fixtures/usgs/)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from schemas.hazards import HazardEvent, HazardType, PagerLevel, Source
from services.common.errors import SourceError
from services.ingester.aliases import AliasBook
from services.ingester.changes import Seen, judge
from services.ingester.sources import pager as pager_files
from services.ingester.sources import read_document
from services.ingester.sources.usgs import losspager_versions

USGS = "usgs"
SIGNIFICANT = (
    f"{USGS}/usgs_summary_significant-month_2023-10-11_NaseemaO-Leaflet-Earthquakes-dashboard.json"
)
DAY_1352 = f"{USGS}/usgs_summary_all-day_2025-05-04T1352Z_Sudo-Ivan-usgs-data.json"
DAY_1423 = f"{USGS}/usgs_summary_all-day_2025-05-04T1423Z_Sudo-Ivan-usgs-data.json"
WESTERN_US = (
    f"{USGS}/usgs_fdsn_westernUS-M4.5-2010-2020_2020-08-24_mjdanielson-graduated-points-data.json"
)
NEGATIVE = f"{USGS}/usgs_fdsn_maxmag0.1-negative-mags_2017-01-01to11_usgs-libcomcat.json"
TIBET = f"{USGS}/usgs_detail_us6000pi9w-Tibet-M7.1-red_2025-01-07_IFRCGo-pystac-monty.json"
KAIKOURA = f"{USGS}/usgs_detail_us1000778i-Kaikoura-M7.8-orange_2016-11-13_usgs-libcomcat.json"
HOKKAIDO = (
    f"{USGS}/usgs_detail_us2000h8ty-Hokkaido-M6.6-orange-superseded_2018-09-05_usgs-libcomcat.json"
)
TOHOKU = f"{USGS}/usgs_detail_official20110311-Tohoku-M9.1-superseded-DELETE-products_2011-03-11_usgs-libcomcat.json"
ALERTS = f"{USGS}/usgs_pager-alerts_us2000h8ty-v1541539345392_2018-11-06_usgs-libcomcat.json"
PAGER_XML = f"{USGS}/usgs_pager-xml_us1000778i-v1486445176414_2017-02-07_usgs-libcomcat.xml"
PRODUCT_FILES = [
    ALERTS,
    PAGER_XML,
    f"{USGS}/usgs_pager-exposures_us2000h8ty-v1541539345392_2018-11-06_usgs-libcomcat.json",
    f"{USGS}/usgs_pager-losses_us2000h8ty-v1541539345392_2018-11-06_usgs-libcomcat.json",
    f"{USGS}/usgs_pager-losses_us6000pi9w-listwrapped_2025-01-08_IFRCGo-pystac-monty.json",
]
COUNTS = {
    SIGNIFICANT: ("usgs-summary", 18),
    DAY_1352: ("usgs-summary", 196),
    DAY_1423: ("usgs-summary", 194),
    WESTERN_US: ("usgs-fdsn", 456),
    NEGATIVE: ("usgs-fdsn", 109),
    TIBET: ("usgs-detail", 1),
    KAIKOURA: ("usgs-detail", 1),
    HOKKAIDO: ("usgs-detail", 1),
    TOHOKU: ("usgs-detail", 1),
}


def read(fixtures: Path, name: str) -> list[HazardEvent]:
    result = read_document((fixtures / name).read_bytes(), name=name)
    assert result.rejections == []
    return result.events


@pytest.mark.parametrize("name", list(COUNTS))
def test_every_feature_of_every_usgs_capture_normalises(real_captures: Path, name: str) -> None:
    result = read_document((real_captures / name).read_bytes(), name=name)
    kind, count = COUNTS[name]
    assert (result.kind, len(result.events), result.rejections) == (kind, count, [])
    raw = json.loads((real_captures / name).read_bytes())
    features = raw["features"] if raw["type"] == "FeatureCollection" else [raw]
    for event, feature in zip(result.events, features, strict=True):
        props = feature["properties"]
        assert event.source is Source.USGS and event.source_id == feature["id"]
        assert event.version == str(props["updated"])
        assert event.event_time.timestamp() * 1000 == pytest.approx(props["time"], abs=1)
        assert event.status == props["status"]
        assert event.severity is not None and event.severity.value == props["mag"]
        assert (event.lon, event.lat) == tuple(feature["geometry"]["coordinates"][:2])
        assert feature["id"] in event.extras["ids"]
        assert all(i and i in props["ids"] for i in event.extras["ids"])
        alert = event.pager.alert.value if event.pager and event.pager.alert else None
        assert alert == props["alert"]
    assert len({e.key for e in result.events}) == count
    for event in result.events:  # built without re-validation: each validates as the wire does
        assert HazardEvent.model_validate_json(event.model_dump_json()) == event


def test_the_significant_month_keeps_its_pager_levels_and_places(real_captures: Path) -> None:
    events = read(real_captures, SIGNIFICANT)
    alerts = Counter(e.pager.alert.value if e.pager and e.pager.alert else None for e in events)
    assert alerts == {"red": 1, "orange": 2, "yellow": 4, "green": 10, None: 1}
    red = next(e for e in events if e.pager and e.pager.alert is PagerLevel.RED)
    assert red.source_id == "us6000len8" and red.countries == ["AFG"]
    assert red.pager is not None and red.pager.max_mmi == 7.857 and red.pager.significance == 2029
    assert sum(1 for e in events if e.pager and e.pager.tsunami) == 4
    assert all(e.hazard_type is HazardType.EARTHQUAKE and e.status == "reviewed" for e in events)
    assert any("Herāt" in (e.description or "") for e in events)


def test_an_empty_alias_is_repaired_and_named(real_captures: Path) -> None:
    result = read_document((real_captures / WESTERN_US).read_bytes())
    ridgecrest = next(e for e in result.events if e.source_id == "ci38457511")
    assert ridgecrest.extras["ids"] == ["ci38457511", "us70004bn0", "at00pu7alg", "pt19187000"]
    assert (
        ridgecrest.extras["dropped_fields"]["ids"]
        == ",ci38457511,us70004bn0,at00pu7alg,pt19187000,,"
    )
    assert "ids" in result.dropped_fields


def test_negative_magnitudes_are_kept(real_captures: Path) -> None:
    events = read(real_captures, NEGATIVE)
    magnitudes = [e.severity.value for e in events if e.severity and e.severity.value is not None]
    assert sum(1 for m in magnitudes if m < 0) == 66 and min(magnitudes) == -0.59


def publish_all(events: list[HazardEvent], seen: dict[str, Seen], book: AliasBook) -> Counter[str]:
    """What the ingester's publisher decides for each event, by decision."""
    why: Counter[str] = Counter()
    for raw in events:
        event, _ = book.key(raw)
        decision = judge(event, seen.get(event.key))
        why[decision.why.split(":")[0]] += 1
        if decision.publish and decision.seen is not None:
            seen[event.key] = decision.seen
    return why


def test_the_scrape_pair_yields_updates_not_new_events(real_captures: Path) -> None:
    first, second = read(real_captures, DAY_1352), read(real_captures, DAY_1423)
    seen: dict[str, Seen] = {}
    book = AliasBook()
    assert publish_all(first, seen, book) == {"new": 196}
    again = publish_all(second, seen, book)
    # 4 new events; the 6 reviewed ones are updates; other felt-report moves of `updated`
    # are not news; the 6 that aged out of the window are not retracted (nothing is sent).
    assert again == {"new": 4, "new_version": 6, "unchanged": 184}
    before = {e.source_id: e for e in first}
    reviewed = {
        e.source_id
        for e in second
        if e.source_id in before and e.status != before[e.source_id].status
    }
    assert reviewed == {
        "ci41144664", "ci41144656", "ci41144648", "ci41144608", "ci41144600", "ci41144568",
    }  # fmt: skip


def test_a_changed_preferred_id_re_keys_the_event(real_captures: Path) -> None:
    hokkaido = read(real_captures, HOKKAIDO)[0]
    assert hokkaido.extras["ids"] == ["us2000h8ty", "pt18248000", "at00pelgzo"]
    book, seen = AliasBook(), {}
    first, _ = book.key(hokkaido.model_copy(update={"source_id": "pt18248000"}))
    seen[first.key] = judge(first, None).seen
    later = hokkaido.model_copy(update={"version": str(int(hokkaido.version) + 1)})
    rekeyed, new = book.key(later)
    assert rekeyed.key == "usgs:pt18248000" and rekeyed.extras["preferred_id"] == "us2000h8ty"
    assert new == {}
    assert judge(rekeyed, seen[rekeyed.key]).why != "new"


def test_the_eleven_pager_versions_climb_green_yellow_pending_orange(real_captures: Path) -> None:
    detail = json.loads((real_captures / HOKKAIDO).read_bytes())
    versions = losspager_versions(detail)
    assert len(versions) == 11
    levels = [p.alert.value if p.alert else "pending" for _, p in versions]
    assert levels == ["green"] * 2 + ["yellow"] * 2 + ["pending"] + ["orange"] * 6
    assert [p.pending for _, p in versions].count(True) == 1
    event = read(real_captures, HOKKAIDO)[0]
    seen: dict[str, Seen] = {}
    published = []
    for updated, pager in versions:
        version = event.model_copy(update={"version": str(updated), "pager": pager})
        decision = judge(version, seen.get(version.key))
        if decision.publish and decision.seen is not None:
            seen[version.key] = decision.seen
            published.append(pager.alert.value if pager.alert else "pending")
    assert published[:4] == ["green", "yellow", "pending", "orange"]


def test_the_detail_documents_carry_losspager_facts(real_captures: Path) -> None:
    tibet = read(real_captures, TIBET)[0]
    assert tibet.pager is not None
    assert (tibet.pager.alert, tibet.pager.reviewed, tibet.pager.max_mmi) == (
        PagerLevel.RED,
        False,
        9.0,
    )
    assert tibet.countries == ["CHN"]
    kaikoura = read(real_captures, KAIKOURA)[0]
    assert kaikoura.pager is not None and kaikoura.pager.alert is PagerLevel.ORANGE
    assert kaikoura.pager.tsunami is True and kaikoura.countries == ["NZL"]
    tohoku = read(real_captures, TOHOKU)[0]
    assert (
        tohoku.pager is not None and tohoku.pager.alert is None and len(tohoku.extras["ids"]) == 7
    )


def test_pager_levels_are_read_from_alerts_json_and_pager_xml(real_captures: Path) -> None:
    fatality, economic = pager_files.levels_from_alerts_json((real_captures / ALERTS).read_bytes())
    assert (fatality, economic) == (PagerLevel.YELLOW, PagerLevel.ORANGE)
    fatality, economic = pager_files.levels_from_xml((real_captures / PAGER_XML).read_bytes())
    assert (fatality, economic) == (PagerLevel.GREEN, PagerLevel.ORANGE)
    tibet = read(real_captures, TIBET)[0]
    assert tibet.pager is not None
    both = pager_files.with_levels(tibet.pager, PagerLevel.RED, PagerLevel.ORANGE)
    assert both.alert is PagerLevel.RED and both.economic_alert is PagerLevel.ORANGE


@pytest.mark.parametrize("name", PRODUCT_FILES)
def test_a_pager_product_file_is_refused_by_name(real_captures: Path, name: str) -> None:
    with pytest.raises(SourceError) as caught:
        read_document((real_captures / name).read_bytes(), name=name)
    assert caught.value.reason == "not_a_feed"
    assert "PAGER" in caught.value.detail and name in caught.value.detail


def test_a_poller_reads_only_the_features_whose_updated_moved(real_captures: Path) -> None:
    from services.ingester.sources import ItemMemo

    memo = ItemMemo()
    first = read_document((real_captures / DAY_1352).read_bytes(), memo=memo).events
    second = read_document((real_captures / DAY_1423).read_bytes(), memo=memo).events
    before = {(e.source_id, e.version): e for e in first}
    reused = [e for e in second if before.get((e.source_id, e.version)) is e]
    # 194 features: 4 new, 10 with a new `updated`; the other 180 are the events read before.
    assert len(reused) == 180
    assert all(e.places or not e.countries for e in second)

"""Hostile USGS GeoJSON: each document is refused, or each feature read or refused, with its reason."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.hazards import HazardEvent
from services.common.errors import SourceError
from services.ingester.sources import read_document
from services.ingester.sources.base import DocumentReason

CAP = 20 * 1024 * 1024


def feature(**props: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "mag": 6.1, "place": "10 km N of Somewhere, Japan", "time": 1_700_000_000_000,
        "updated": 1_700_000_100_000, "url": "https://earthquake.usgs.gov/earthquakes/eventpage/us7000abcd",
        "detail": "https://earthquake.usgs.gov/earthquakes/feed/v1.0/detail/us7000abcd.geojson",
        "alert": "yellow", "status": "automatic", "tsunami": 0, "sig": 572, "mmi": 6.2,
        "ids": ",us7000abcd,", "sources": ",us,", "types": ",losspager,origin,shakemap,",
        "magType": "mww", "type": "earthquake", "title": "M 6.1 - 10 km N of Somewhere, Japan",
    }  # fmt: skip
    base.update(props)
    return {
        "type": "Feature",
        "properties": base,
        "geometry": {"type": "Point", "coordinates": [141.0, 38.0, 10.0]},
        "id": "us7000abcd",
    }


def summary(*features: Any) -> bytes:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "metadata": {
                "url": "https://earthquake.usgs.gov/earthquakes/feed/v1.0/summary/4.5_hour.geojson"
            },
            "features": list(features),
        }
    ).encode()


# (name, document, what happens: ("refused", reason) | ("item", reason) | ("dropped", field))
CASES: list[tuple[str, bytes, tuple[str, str]]] = [
    ("nan-magnitude", summary(feature(mag=float("nan"))), ("dropped", "mag")),
    ("infinite-mmi", summary(feature(mmi=float("inf"))), ("dropped", "mmi")),
    ("huge-magnitude", summary(feature(mag=1e300)), ("dropped", "mag")),
    ("huge-integer-sig", summary(feature(sig=10**300)), ("dropped", "sig")),
    ("magnitude-as-text", summary(feature(mag="strong")), ("dropped", "mag")),
    ("magnitude-as-object", summary(feature(mag={"value": 7})), ("dropped", "mag")),
    ("alert-unknown", summary(feature(alert="purple")), ("dropped", "alert")),
    ("status-unknown", summary(feature(status=["reviewed"])), ("dropped", "status")),
    ("ids-not-text", summary(feature(ids=5)), ("dropped", "ids")),
    ("empty-aliases", summary(feature(ids=",,us7000abcd,,,")), ("dropped", "ids")),
    ("alias-with-markup", summary(feature(ids=",us7000abcd,<script>,")), ("dropped", "ids")),
    ("latitude-out-of-range", summary({**feature(), "geometry": {"coordinates": [10, 95, 1]}}), ("dropped", "lat")),
    ("coordinates-not-a-list", summary({**feature(), "geometry": {"coordinates": "here"}}), ("dropped", "coordinates")),
    ("depth-absurd", summary({**feature(), "geometry": {"coordinates": [10, 10, 1e9]}}), ("dropped", "depth")),
    ("nested-deep-in-a-property", summary(feature(place=[[[[[[["x"]]]]]]])), ("dropped", "none")),
    ("time-as-text", summary(feature(time="yesterday")), ("item", "bad_date")),
    ("time-absurd", summary(feature(time=10**20)), ("item", "bad_date")),
    ("time-missing", summary(feature(time=None)), ("item", "missing_field")),
    ("id-missing", summary({**feature(), "id": None}), ("item", "missing_field")),
    ("id-not-an-id", summary({**feature(), "id": "../../etc/passwd"}), ("item", "bad_value")),
    ("id-not-text", summary({**feature(), "id": {"a": 1}}), ("item", "bad_value")),
    ("feature-not-an-object", summary(feature(), "feature"), ("item", "bad_value")),
    ("properties-not-an-object", summary({**feature(), "properties": [1]}), ("item", "bad_value")),
    ("features-not-a-list", b'{"type":"FeatureCollection","metadata":{"url":"https://earthquake.usgs.gov/x"},"features":{}}', ("refused", "bad_shape")),
    ("integer-of-5000-digits", b'{"type":"FeatureCollection","features":[{"properties":{"ids":",a1,","mag":' + b"9" * 5000 + b"}}]}", ("refused", "malformed")),
    ("nested-100000-deep", b"[" * 100_000 + b"]" * 100_000, ("refused", "malformed")),
    ("fifty-megabytes", summary(feature(place="x" * (50 * 1024 * 1024))), ("refused", "too_large")),
    ("truncated", summary(feature())[:-20], ("refused", "malformed")),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_hostile_usgs_geojson_is_refused_or_repaired_with_its_reason(
    case: tuple[str, bytes, tuple[str, str]],
) -> None:
    _, body, (outcome, reason) = case
    if outcome == "refused":
        with pytest.raises(SourceError) as caught:
            read_document(body, max_bytes=CAP)
        assert caught.value.reason == reason, caught.value.detail
        return
    result = read_document(body, max_bytes=CAP)
    if outcome == "item":
        assert [r.reason.value for r in result.rejections] == [reason] * len(result.rejections)
        assert result.rejections and all(r.detail for r in result.rejections)
        return
    (event,) = result.events
    # Events are built without re-validation: what they hold must validate as the wire does.
    assert HazardEvent.model_validate_json(event.model_dump_json()) == event
    if reason != "none":
        assert reason in result.dropped_fields
        assert reason in event.extras["dropped_fields"]


def test_a_good_feature_beside_a_bad_one_is_still_read() -> None:
    result = read_document(summary(feature(time="never"), feature()), max_bytes=CAP)
    assert len(result.events) == 1 and len(result.rejections) == 1
    assert result.rejections[0].item.startswith("feature 0 (us7000abcd)")


_VALUES = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["mag", "time", "updated", "alert", "status", "ids", "types", "mmi", "sig",
                         "tsunami", "place", "title", "url", "detail", "magType"]),
        _VALUES | st.lists(_VALUES, max_size=3),
        max_size=8,
    ),
    st.one_of(_VALUES, st.lists(_VALUES, max_size=4)),
)  # fmt: skip
def test_any_property_values_are_read_or_refused_for_a_known_reason(
    props: dict[str, Any], coordinates: Any
) -> None:
    doc = feature(**props)
    doc["geometry"] = {"type": "Point", "coordinates": coordinates}
    try:
        result = read_document(summary(doc), max_bytes=CAP)
    except SourceError as err:
        assert err.reason in {r.value for r in DocumentReason}
        return
    for event in result.events:
        assert HazardEvent.model_validate_json(event.model_dump_json()) == event

"""A USGS document decoded typed (usgs_shapes, usgs_typed) reads exactly as the untyped path
reads it: the same events field for field (their message ids and clock apart), the same
drops, rejections and kind; and a document the untyped path refuses is never read typed."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.hazards import HazardEvent
from services.common.errors import SourceError
from services.ingester.sources import ItemMemo, read_document, usgs, usgs_shapes, usgs_typed
from services.ingester.sources.base import ParseResult
from services.ingester.sources.safety import parse_json
from tests.unit.ingester.test_usgs_hostile import CASES

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "usgs"
COLLECTIONS = sorted(p.name for p in FIXTURES.glob("usgs_[sf]*.json"))
URL = "https://earthquake.usgs.gov/earthquakes/feed/v1.0/summary/4.5_hour.geojson"
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
# The hostile documents of the reader's own tests, but the 50 MB one.
HOSTILE = [case for case in CASES if len(case[1]) < 1_000_000]


def shape(value: Any) -> Any:
    """A value with every type spelled out, models by their state and fields set (`==` takes
    1 for 1.0 and ignores a dict's order)."""
    if hasattr(value, "__pydantic_fields_set__"):
        state = [(k, shape(v)) for k, v in value.__dict__.items()]
        return (type(value).__name__, sorted(value.__pydantic_fields_set__), state)
    if isinstance(value, list | tuple):
        return (type(value).__name__, [shape(v) for v in value])
    if isinstance(value, dict):
        return ("dict", [(k, shape(v)) for k, v in value.items()])
    return (type(value).__name__, repr(value))


def outcome(result: ParseResult) -> Any:
    # Each read draws its own message ids and reads the clock once.
    unstamped = {"id": UUID(int=0), "occurred_at": _EPOCH, "produced_at": _EPOCH}
    events = [e.model_copy(update=unstamped) for e in result.events]
    return (
        result.kind,
        [shape(e) for e in events],
        [e.model_dump_json() for e in events],
        result.dropped_fields,
        [(r.reason, r.detail, r.item) for r in result.rejections],
    )


def untyped(body: bytes) -> ParseResult:
    document = parse_json(body)
    assert usgs.looks_like(document)
    return usgs.parse(document)


def assert_read_alike(body: bytes) -> bool:
    """Whether the typed path took the document; when it did, it read it as the other."""
    collection = usgs_shapes.decode(body)
    if collection is None:
        return False
    typed = usgs_typed.parse(collection)
    plain = untyped(body)
    assert outcome(typed) == outcome(plain)
    return True


@pytest.mark.parametrize("name", COLLECTIONS)
def test_every_real_collection_reads_typed_as_untyped(name: str) -> None:
    assert assert_read_alike((FIXTURES / name).read_bytes())


def test_the_real_collections_are_read_typed_and_their_events_validate() -> None:
    for name in COLLECTIONS:
        body = (FIXTURES / name).read_bytes()
        assert usgs_shapes.decode(body) is not None, name
        for event in read_document(body).events:
            assert HazardEvent.model_validate_json(event.model_dump_json()) == event


def test_a_detail_document_or_another_source_is_not_read_typed() -> None:
    for path in [*FIXTURES.glob("usgs_detail_*.json"), *FIXTURES.parent.glob("gdacs/*.json")]:
        assert usgs_shapes.decode(path.read_bytes()) is None, path.name


def collection(*features: Any, **extra: Any) -> bytes:
    document = {"type": "FeatureCollection", "metadata": {"url": URL}, "features": list(features)}
    return json.dumps({**document, **extra}).encode()


def real_features() -> list[dict[str, Any]]:
    features: list[dict[str, Any]] = []
    for name in COLLECTIONS:
        features += json.loads((FIXTURES / name).read_bytes())["features"][:40]
    return features


_REAL = real_features()


def _body_of(feature: dict[str, Any], replace: str) -> bytes:
    return collection(feature).replace(b'"@@"', replace.encode())


# Documents the untyped decoding refuses or reads otherwise than msgspec would: a typed
# decoding that skipped what it did not know would read some of them.
DECLINED = {
    "integer-of-5000-digits-in-an-unknown-field": _body_of({**_REAL[0], "x": "@@"}, "9" * 5000),
    "integer-of-5000-digits-in-an-unused-field": _body_of({**_REAL[0], "properties": {**_REAL[0]["properties"], "nst": "@@"}}, "9" * 5000),
    "nan-in-an-unused-field": _body_of({**_REAL[0], "properties": {**_REAL[0]["properties"], "rms": "@@"}}, "NaN"),
    "number-past-a-float-in-an-unused-field": _body_of({**_REAL[0], "properties": {**_REAL[0]["properties"], "gap": "@@"}}, "1e400"),
    "not-utf8-in-an-unknown-field": collection({**_REAL[0], "x": "@@"}).replace(b'"@@"', b'"\xff"'),
    "not-utf8-in-a-place": collection({**_REAL[0], "properties": {**_REAL[0]["properties"], "place": "@@"}}).replace(b"@@", b"\xed\xa0\x80"),
    "lone-surrogate": _body_of({**_REAL[0], "properties": {**_REAL[0]["properties"], "title": "@@"}}, '"\\ud800"'),
    "nested-deep-in-an-unused-field": _body_of({**_REAL[0], "properties": {**_REAL[0]["properties"], "tz": "@@"}}, "[" * 5000 + "]" * 5000),
    "an-unknown-property": collection({**_REAL[0], "properties": {**_REAL[0]["properties"], "products": {}}}),
    "a-boolean-magnitude": collection({**_REAL[0], "properties": {**_REAL[0]["properties"], "mag": True}}),
    "properties-null": collection({**_REAL[0], "properties": None}),
    "a-feature-that-is-text": collection("feature"),
    "no-metadata": json.dumps({"type": "FeatureCollection", "features": [_REAL[0]]}).encode(),
    "metadata-of-another-site": collection(_REAL[0]).replace(b"earthquake.usgs.gov/earthquakes/feed", b"example.org/earthquakes/feed"),
}  # fmt: skip


@pytest.mark.parametrize("name", DECLINED)
def test_a_document_out_of_the_usual_is_read_untyped(name: str) -> None:
    body = DECLINED[name]
    assert usgs_shapes.decode(body) is None
    with contextlib.suppress(SourceError):  # refused, as before
        read_document(body)


# Values like USGS's, and the ones it should not send: each property of a real feature may be
# replaced by one, or left out.
_NUMBERS = (
    st.integers(min_value=-20, max_value=20_000)
    | st.floats(min_value=-20, max_value=20_000)
    | st.sampled_from([0, 1, 0.0, 1.0, -0.0, 2**53 + 1, 10**20, 10**400, -(10**400), 1e300, 1_700_000_000_000, 1e12])
)  # fmt: skip
_TEXTS = st.sampled_from(
    [
        "", " ", "reviewed", "Reviewed ", " automatic", "deleted", "RED", " orange", "pending",
        "earthquake", "quarry blast", ",us7000abcd,", ",us7000abcd,us7000abcd,", ",,us7000abcd,",
        ",us,us,", ",a,", "us7000abcd", ",us7000abcd,<b>,", "x" * 400,
        "https://earthquake.usgs.gov/earthquakes/eventpage/us7000abcd",
        " https://earthquake.usgs.gov/earthquakes/eventpage/us7000abcd ",
        "https://example.org/x", "https://earthquake.usgs.gov/" + "x" * 600,
    ]
) | st.text(max_size=8)  # fmt: skip
_VALUES = st.none() | _NUMBERS | _TEXTS | st.booleans() | st.lists(_NUMBERS, max_size=2)
_LEAVE_OUT = object()


@st.composite
def perturbed(draw: st.DrawFn) -> dict[str, Any]:
    feature = json.loads(json.dumps(draw(st.sampled_from(_REAL))))
    props = feature["properties"]
    for name in draw(st.lists(st.sampled_from(sorted(props)), max_size=6, unique=True)):
        # Mostly a value of the kind USGS sends there (the typed path then reads it, or hands
        # the feature on); else any value (the document is then mostly read untyped).
        kind = _NUMBERS if isinstance(props[name], int | float) else _TEXTS
        value = draw(st.one_of(kind, kind, kind, st.none(), _VALUES, st.just(_LEAVE_OUT)))
        if value is _LEAVE_OUT:
            del props[name]
        else:
            props[name] = value
    if draw(st.booleans()):
        feature["id"] = draw(st.none() | _TEXTS | _NUMBERS)
    if draw(st.booleans()):
        feature["geometry"] = draw(
            st.none()
            | st.fixed_dictionaries({"type": st.just("Point"), "coordinates": st.none() | st.lists(_NUMBERS, max_size=4)})
        )  # fmt: skip
    return feature


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(perturbed(), min_size=1, max_size=4))
def test_perturbed_features_read_typed_as_untyped(features: list[dict[str, Any]]) -> None:
    assert_read_alike(collection(*features))


@settings(max_examples=200, deadline=None)
@given(perturbed())
def test_a_document_read_typed_is_one_the_untyped_path_reads(feature: dict[str, Any]) -> None:
    body = collection(feature)
    if usgs_shapes.decode(body) is not None:
        untyped(body)  # no SourceError: the typed path never reads what the other refuses


def test_a_poller_memo_recalls_features_read_typed() -> None:
    body = (FIXTURES / COLLECTIONS[0]).read_bytes()
    memo = ItemMemo()
    first = read_document(body, memo=memo)
    again = read_document(body, memo=memo)
    assert [e.id for e in again.events] == [e.id for e in first.events]


def test_message_ids_are_random_version_4_uuids(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = bytes(range(256))[:48]
    monkeypatch.setattr(usgs.os, "urandom", lambda n: pool[:n])
    ids = usgs._message_ids(3)
    assert ids == [UUID(bytes=pool[i : i + 16], version=4) for i in (0, 16, 32)]
    assert all(u.version == 4 and u.is_safe == UUID(int=0).is_safe for u in ids)


@pytest.mark.parametrize("case", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_each_hostile_document_reads_typed_as_untyped_or_untyped_only(
    case: tuple[str, bytes, tuple[str, str]],
) -> None:
    _, body, (outcome_kind, _reason) = case
    if usgs_shapes.decode(body) is None:
        return
    assert outcome_kind != "refused"
    assert_read_alike(body)


def test_an_event_laid_out_sets_the_fields_a_call_would_set() -> None:
    # Every field the event was not given holds its default.
    for event in read_document((FIXTURES / COLLECTIONS[0]).read_bytes()).events[:20]:
        for name, info in HazardEvent.model_fields.items():
            if name not in event.model_fields_set:
                assert getattr(event, name) == info.get_default(call_default_factory=True), name
        assert HazardEvent.model_validate(event.model_dump()) == event

"""Whatever bytes arrive, the parsers answer with events or a SourceError, nothing else."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.common.errors import SourceError
from services.ingester.sources import read_document
from services.ingester.sources.base import DocumentReason
from tests.unit.ingester.corpus import (
    CAP,
    gdacs_collection,
    gdacs_feature,
    reliefweb,
    reliefweb_item,
    rss,
    rss_item,
)

SEEDS = [
    rss(rss_item(1), rss_item(2, alert="Orange")),
    gdacs_collection(gdacs_feature(3), gdacs_feature(4)),
    reliefweb(reliefweb_item(5), reliefweb_item(6)),
]
REASONS = {reason.value for reason in DocumentReason}


def read_or_refuse(data: bytes) -> None:
    try:
        result = read_document(data, max_bytes=CAP)
    except SourceError as err:
        assert err.reason in REASONS
        return
    for event in result.events:
        json.loads(event.model_dump_json())  # every event is a valid wire message


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        position = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "delete", "insert", "cut"]))
        if action == "flip":
            data[position] = draw(st.integers(0, 255))
        elif action == "delete":
            del data[position : position + draw(st.integers(1, 40))]
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=20))
        else:
            del data[position:]
        if not data:
            break
    return bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_a_mutated_feed_document_is_read_or_refused_for_a_known_reason(data: bytes) -> None:
    read_or_refuse(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_are_read_or_refused_for_a_known_reason(data: bytes) -> None:
    read_or_refuse(data)


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "type",
                        "features",
                        "properties",
                        "data",
                        "fields",
                        "id",
                        "eventid",
                        "eventtype",
                        "totalCount",
                        "name",
                    ]
                ),
                children,
                max_size=5,
            )
        ),
        max_leaves=30,
    )
)
def test_arbitrary_json_shapes_are_read_or_refused_for_a_known_reason(value: object) -> None:
    read_or_refuse(json.dumps(value).encode())

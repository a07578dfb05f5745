"""Models laid out from checked values (services/ingester/trusted.py) behave as validated ones,
though every model laid out alike shares one fields set."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path
from typing import Any

import pytest

from schemas.hazards import HazardEvent, Link
from services.ingester.sources import read_document
from services.ingester.trusted import FieldsSet, laid

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "usgs"
SUMMARY = "usgs_summary_all-day_2025-05-04T1352Z_Sudo-Ivan-usgs-data.json"


def events() -> list[HazardEvent]:
    return read_document((FIXTURES / SUMMARY).read_bytes()).events


def test_a_usgs_read_shares_one_fields_set_per_kind_of_model() -> None:
    first, second = events()[:2]
    assert first.model_fields_set is second.model_fields_set
    assert first.links[0].model_fields_set is second.links[1].model_fields_set
    assert first.places[0].model_fields_set is second.places[0].model_fields_set


def test_a_link_laid_out_is_the_one_validation_would_build() -> None:
    for event in events():
        for link in event.links:
            again = Link(rel=link.rel, url=link.url)
            assert link == again and link.model_fields_set == again.model_fields_set


@pytest.mark.parametrize(
    "change",
    [
        lambda fields: fields.add("title"),
        lambda fields: fields.discard("id"),
        lambda fields: fields.remove("id"),
        lambda fields: fields.pop(),
        lambda fields: fields.clear(),
        lambda fields: fields.update({"title"}),
        lambda fields: fields.difference_update({"id"}),
        lambda fields: fields.intersection_update({"id"}),
        lambda fields: fields.symmetric_difference_update({"id"}),
        lambda fields: fields.__ior__({"title"}),
        lambda fields: fields.__iand__({"id"}),
        lambda fields: fields.__isub__({"id"}),
        lambda fields: fields.__ixor__({"id"}),
    ],
)
def test_a_shared_fields_set_cannot_be_changed_in_place(change: Any) -> None:
    first, second = events()[:2]
    before = set(second.model_fields_set)
    with pytest.raises(TypeError):
        change(first.model_fields_set)
    assert second.model_fields_set == before


@pytest.mark.parametrize(
    "copied",
    [
        lambda event: event.model_copy(),
        lambda event: event.model_copy(deep=True),
        lambda event: event.model_copy(update={"glide": "EQ-2025-000001-MEX"}),
        copy.copy,
        copy.deepcopy,
        lambda event: pickle.loads(pickle.dumps(event)),
    ],
)
def test_a_copy_gets_a_fields_set_of_its_own(copied: Any) -> None:
    event, other = events()[:2]
    twin = copied(event)
    assert type(twin.model_fields_set) is set
    assert twin.model_fields_set >= event.model_fields_set
    twin.model_fields_set.add("bbox")
    assert "bbox" not in event.model_fields_set and "bbox" not in other.model_fields_set


def test_a_laid_out_model_dumps_as_a_validated_one() -> None:
    for event in events()[:20]:
        again = HazardEvent.model_validate_json(event.model_dump_json(exclude_unset=True))
        assert again == event
        assert event.model_dump_json(exclude_unset=True) == again.model_dump_json(
            exclude_unset=True
        )


def test_laid_sets_the_given_fields_set() -> None:
    fields = FieldsSet({"rel", "url"})
    link = laid(Link, {"rel": "details", "url": "https://earthquake.usgs.gov/"}, fields)
    assert link.model_fields_set is fields and link == Link(rel="details", url=link.url)

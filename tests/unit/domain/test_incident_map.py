"""Incident maps: outlines, projection, the scene gathered from the directory, the drawing."""

from __future__ import annotations

import re
import struct
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

import pytest

from schemas.activations import IncidentSummary
from schemas.hazards import AlertLevel, HazardType
from schemas.members import Contact, Language, MemberDirectory, Organisation, StandbyPlan, Supply
from schemas.responses import AnswerKind
from services.domain.maps.png import MapRenderError, to_png
from services.domain.maps.projection import fit, wrap
from services.domain.maps.scene import incident_scene
from services.domain.maps.svg import draw
from services.domain.maps.world import country_at, world

SVG = "{http://www.w3.org/2000/svg}"


def _summary(**changes: object) -> IncidentSummary:
    values: dict[str, object] = {
        "title": "M 7.8 Kahramanmaras, Turkey",
        "hazard_type": HazardType.EARTHQUAKE,
        "countries": ["TUR", "SYR"],
        "country_names": ["Turkey", "Syria"],
        "event_time": datetime(2023, 2, 6, 1, 17, tzinfo=UTC),
        "lat": 37.2,
        "lon": 37.0,
        "alert_level": AlertLevel.RED,
    }
    return IncidentSummary.model_validate(values | changes)


def _stored(item: str, quantity: int, country: str, place: str, lat: float, lon: float) -> Supply:
    """`quantity` of `item` (counted in items) kept at `place`."""
    return Supply(
        item=item, quantity=quantity, unit=item, country=country, place=place, lat=lat, lon=lon
    )


def _ngo(id_: str, name_ja: str, name_en: str, country: str, **more: Any) -> Organisation:
    """An NGO present in one country, reached at its desk."""
    desk = Contact(id="desk", name="Desk", email="desk@example.org")
    return Organisation(
        id=id_,
        name_ja=name_ja,
        name_en=name_en,
        kind="ngo",
        countries=[country],
        contacts=[desk],
        **more,
    )


def _directory() -> MemberDirectory:
    plan = StandbyPlan(
        id="mena",
        title_ja="中東 初動",
        title_en="Middle East first response",
        regions=["Western Asia"],
        sectors=["shelter"],
        staff_deployable=4,
        hours_to_deploy=48,
    )
    stock = [
        _stored("tents", 300, "TUR", "Adana depot", 37.0, 35.3),
        _stored("blankets", 900, "JOR", "Amman store", 31.95, 35.93),
        _stored("kits", 50, "JPN", "Narita centre", 35.77, 140.39),
    ]
    return MemberDirectory(
        organisations=[
            _ngo(
                "crescent-aid",
                "クレセント支援",
                "Crescent Aid",
                "TUR",
                plans=[plan],
                supplies=stock,
            ),
            _ngo("far-away", "遠方会", "Far Away", "PER"),
        ]
    )


def test_a_point_is_found_in_the_country_whose_outline_holds_it() -> None:
    assert country_at(37.0, 37.2) == "TUR"
    assert country_at(85.3, 27.7) == "NPL"
    assert country_at(121.0, 14.6) == "PHL"
    assert country_at(-160.0, 0.0) is None  # the Pacific


def test_a_country_across_the_antimeridian_is_one_piece_on_either_side() -> None:
    fiji = world()["FJI"]
    assert fiji.contains(178.4, -17.8)
    assert country_at(-179.9, -16.1) == "FJI" or country_at(178.4, -17.8) == "FJI"
    assert wrap(-179.0, 179.0) == pytest.approx(181.0)
    view = fit([(179.5, -17.5), (-178.0, -15.0)], 640, 360)
    left, _ = view.xy(179.5, -17.5)
    right, _ = view.xy(-178.0, -15.0)
    assert 0 < left < right < 640  # east of the line stays east on the picture


def test_every_label_point_lies_inside_its_country() -> None:
    outside = [iso3 for iso3, shape in world().items() if not shape.contains(*shape.label)]
    assert outside == []


def test_the_scene_names_members_present_and_ranks_the_nearest_stock() -> None:
    scene = incident_scene(_summary(), _directory(), Language.EN)
    assert scene.affected == {"TUR": "Turkey", "SYR": "Syria"}
    assert [(p.iso3, p.organisations) for p in scene.presences] == [("TUR", ("Crescent Aid",))]
    assert [w.place for w in scene.warehouses] == ["Adana depot", "Amman store", "Narita centre"]
    assert scene.nearest is not None and scene.nearest.place == "Adana depot"


def test_a_members_own_map_leaves_the_other_organisations_out() -> None:
    scene = incident_scene(_summary(), _directory(), Language.EN, organisations=["far-away"])
    assert scene.presences == () and scene.warehouses == ()


def test_the_drawing_puts_the_epicentre_inside_the_affected_countrys_shape() -> None:
    drawn = draw(incident_scene(_summary(), _directory(), Language.EN))
    root = ElementTree.fromstring(drawn.svg)
    epicentre = root.find(f".//{SVG}circle[@data-testid='epicentre']")
    assert epicentre is not None
    x, y = float(epicentre.get("cx", "")), float(epicentre.get("cy", ""))
    turkey = root.find(f".//{SVG}path[@data-iso3='TUR']")
    assert turkey is not None and turkey.get("class") == "affected"
    # The drawn point maps back to a place inside Turkey's outline.
    lon = drawn.view.lon0 + (x - drawn.view.width / 2) / (drawn.view.kx * drawn.view.scale)
    lat = drawn.view.lat0 - (y - drawn.view.height / 2) / drawn.view.scale
    assert country_at(lon, lat) == "TUR"
    places = [r.get("data-place") for r in root.iter(f"{SVG}rect") if r.get("data-place")]
    assert "Adana depot" in places and "Narita centre" not in places
    assert "Narita centre" in drawn.off_map


def test_the_map_speaks_the_readers_language_in_labels_and_text_alternative() -> None:
    ja = draw(incident_scene(_summary(), _directory(), Language.JA))
    en = draw(incident_scene(_summary(), _directory(), Language.EN))
    assert "震源" in ja.svg and "トルコ" in ja.svg and "最寄りの備蓄" in ja.svg
    assert "Epicentre" in en.svg and "Nearest stock" in en.svg
    assert ja.lines[0] == "震源：北緯37.2度、東経37.0度（トルコ）。"
    assert en.lines[0] == "Epicentre at 37.2°N, 37.0°E, in Turkey."
    assert "Narita centre" in " ".join(en.lines) and "beyond the map's edge" in " ".join(en.lines)
    root = ElementTree.fromstring(en.svg)
    assert root.get("role") == "img" and root.get("lang") == "en"
    desc = root.find(f"{SVG}desc")
    assert desc is not None and "Crescent Aid" in str(desc.text)


def test_answers_are_drawn_with_their_kind_and_listed_in_words() -> None:
    answers = {"crescent-aid": AnswerKind.CAN_DEPLOY, "far-away": AnswerKind.NOT_THIS_TIME}
    drawn = draw(incident_scene(_summary(), _directory(), Language.EN, answers=answers))
    assert re.findall(r'data-answer="(\w+)"', drawn.svg) == ["can_deploy"]  # Peru is off the map
    assert "Crescent Aid: can deploy." in drawn.lines and "Far Away: not this time." in drawn.lines


def test_a_cyclone_shows_its_reported_area_and_an_offshore_centre() -> None:
    summary = _summary(
        hazard_type=HazardType.TROPICAL_CYCLONE,
        countries=["FJI"],
        country_names=["Fiji"],
        lat=-17.5,
        lon=179.5,
        bbox=(175.0, -22.0, -175.0, -12.0),
        alert_level=AlertLevel.ORANGE,
    )
    path = [(174.0, -15.0), (177.0, -16.5), (179.5, -17.5)]
    drawn = draw(incident_scene(summary, _directory(), Language.EN, track=path))
    assert 'data-testid="reported-area"' in drawn.svg
    # The track crosses no edge of the picture: drawn as one line ending at the centre.
    track = ElementTree.fromstring(drawn.svg).find(f".//{SVG}polyline[@data-testid='track']")
    assert track is not None
    *_, last = track.get("points", "").split()
    epicentre = ElementTree.fromstring(drawn.svg).find(f".//{SVG}circle[@data-testid='epicentre']")
    assert epicentre is not None and last == f"{epicentre.get('cx')},{epicentre.get('cy')}"
    assert "Track: 3 reported positions, the latest at the centre." in drawn.lines
    assert (
        drawn.lines[0]
        == "Centre at 17.5°S, 179.5°E, off the coast (outside every country's outline)."
    )


def test_no_style_attribute_or_script_reaches_the_page_and_titles_are_escaped() -> None:
    drawn = draw(
        incident_scene(_summary(title='<script>x</script> "M 7"'), _directory(), Language.EN)
    )
    assert "style=" not in drawn.svg and "<script" not in drawn.svg
    ElementTree.fromstring(drawn.svg)  # still well-formed


def test_the_png_is_a_small_image_of_the_asked_width() -> None:
    png = to_png(draw(incident_scene(_summary(), _directory(), Language.JA)).svg, 480)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width == 480 and 250 < height < 400
    assert len(png) < 60_000


def test_a_drawing_the_rasteriser_cannot_read_is_a_clear_error() -> None:
    with pytest.raises(MapRenderError, match="cannot rasterise the map"):
        to_png("<svg", 480)


def test_members_present_are_drawn_beside_the_hazard_when_their_countrys_label_is_off_view() -> (
    None
):
    contact = Contact(id="desk", name="Desk", email="desk@example.org")
    directory = MemberDirectory(
        organisations=[
            Organisation(
                id=org,
                name_ja=org,
                name_en=org,
                kind="ngo",
                countries=["PHL"],
                contacts=[contact],
            )
            for org in ("alpha", "beta")
        ]
    )
    # Mindanao: the view holds the quake, not the Philippines' label point on Luzon.
    summary = _summary(countries=["PHL"], country_names=["Philippines"], lat=8.5, lon=125.9)
    answers = {"alpha": AnswerKind.CAN_DEPLOY, "beta": AnswerKind.NOT_THIS_TIME}
    drawn = draw(incident_scene(summary, directory, Language.EN, answers=answers))
    assert not drawn.view.inside(*world()["PHL"].label)
    assert 'data-testid="presence" data-iso3="PHL"' in drawn.svg
    assert re.findall(r'data-answer="(\w+)"', drawn.svg) == ["can_deploy", "not_this_time"]

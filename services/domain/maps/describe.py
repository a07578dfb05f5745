"""The map in words: the text alternative read out in place of the picture."""

from __future__ import annotations

from services.domain.maps.scene import Scene, Warehouse
from services.domain.maps.words import ANSWERS, alert_name, degrees, point_name, word
from services.domain.maps.world import world


def where_it_is(scene: Scene) -> str:
    """Say where the incident is: its point and the country whose outline holds it."""
    language = scene.language
    if scene.point is None:
        return word(language, "no_point")
    what = point_name(language, scene.hazard)
    lat, lon = degrees(language, *scene.point)
    at = word(language, "at", what=what, lat=lat, lon=lon)
    inside = [
        name
        for iso3, name in scene.affected.items()
        if _holds(iso3, scene.point[0], scene.point[1])
    ]
    if inside:
        return word(language, "in_country", at=at, country=inside[0])
    return word(language, "offshore", at=at)


def _holds(iso3: str, lon: float, lat: float) -> bool:
    shape = world().get(iso3)
    return shape is not None and shape.contains(lon, lat)


def _warehouse_line(scene: Scene, warehouse: Warehouse, off_map: bool) -> str:
    language = scene.language
    distance = (
        word(language, "distance", km=warehouse.distance_km)
        if warehouse.distance_km is not None
        else ""
    )
    if off_map:
        distance += word(language, "off_map")
    return word(
        language,
        "nearest_line" if warehouse.nearest else "warehouse_line",
        organisation=warehouse.organisation,
        place=warehouse.place,
        country=warehouse.country,
        stock=warehouse.stock,
        distance=distance,
    )


def describe(scene: Scene, off_map: frozenset[str] = frozenset()) -> list[str]:
    """Every fact the map shows, one sentence each, in the scene's language.

    `off_map` names the warehouses (by place) the picture could not show.
    """
    language = scene.language
    sep = "、" if language.value == "ja" else ", "
    lines = [where_it_is(scene)]
    if len(scene.track) > 1:
        lines.append(word(language, "track_line", count=len(scene.track)))
    if scene.affected:
        names = sep.join(scene.affected.values())
        if scene.alert is not None:
            names += f" ({alert_name(language, scene.alert)})"
        lines.append(word(language, "affected_list", names=names))
    for presence in scene.presences:
        lines.append(
            word(
                language,
                "present_in",
                country=presence.country,
                names=sep.join(presence.organisations),
            )
        )
    for warehouse in scene.warehouses:
        lines.append(_warehouse_line(scene, warehouse, warehouse.place in off_map))
    for mark in scene.answers:
        lines.append(
            word(
                language,
                "answer_line",
                organisation=mark.organisation,
                answer=ANSWERS[language][mark.answer],
            )
        )
    return lines

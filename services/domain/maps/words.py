"""The words of an incident map and its text alternative, in Japanese and English."""

from __future__ import annotations

from schemas.hazards import AlertLevel, HazardType
from schemas.members import Language
from schemas.responses import AnswerKind

WORDS: dict[Language, dict[str, str]] = {
    Language.EN: {
        "heading": "Map",
        "in_words": "The map in words",
        "map_of": "Map of {title}",
        "epicentre": "Epicentre",
        "centre": "Centre",
        "area": "Reported area",
        "track": "Track",
        "track_line": "Track: {count} reported positions, the latest at the centre.",
        "affected": "Affected country ({alert} alert)",
        "affected_plain": "Affected country",
        "members": "Members present",
        "warehouse": "Warehouse",
        "nearest": "Nearest stock",
        "source": "Natural Earth",
        "at": "{what} at {lat}, {lon}",
        "in_country": "{at}, in {country}.",
        "offshore": "{at}, off the coast (outside every country's outline).",
        "affected_list": "Affected countries: {names}.",
        "present_in": "Members present in {country}: {names}.",
        "warehouse_line": "{organisation}'s warehouse at {place} ({country}): {stock}{distance}.",
        "nearest_line": "Nearest stock: {organisation}, {place} ({country}): {stock}{distance}.",
        "distance": ", {km:,.0f} km away",
        "off_map": " (beyond the map's edge)",
        "answer_line": "{organisation}: {answer}.",
        "no_point": "The feed gave no position; the affected countries are shaded.",
        "north": "N",
        "south": "S",
        "east": "E",
        "west": "W",
    },
    Language.JA: {
        "heading": "地図",
        "in_words": "地図の内容（文章）",
        "map_of": "{title}の地図",
        "epicentre": "震源",
        "centre": "中心",
        "area": "報告された範囲",
        "track": "進路",
        "track_line": "進路：報告された位置{count}点（最新が中心）。",
        "affected": "被災国（{alert}）",
        "affected_plain": "被災国",
        "members": "現地にいる会員",
        "warehouse": "倉庫",
        "nearest": "最寄りの備蓄",
        "source": "Natural Earth",
        "at": "{what}：{lat}、{lon}",
        "in_country": "{at}（{country}）。",
        "offshore": "{at}（沖合、どの国の輪郭の外）。",
        "affected_list": "被災国：{names}。",
        "present_in": "{country}にいる会員：{names}。",
        "warehouse_line": "{organisation}の倉庫（{place}、{country}）：{stock}{distance}。",
        "nearest_line": "最寄りの備蓄：{organisation}（{place}、{country}）：{stock}{distance}。",
        "distance": "、{km:,.0f} km",
        "off_map": "（地図の外）",
        "answer_line": "{organisation}：{answer}。",
        "no_point": "位置の情報がないため、被災国を色分けしています。",
        "north": "北緯",
        "south": "南緯",
        "east": "東経",
        "west": "西経",
    },
}

_ALERT = {
    Language.EN: {AlertLevel.RED: "red", AlertLevel.ORANGE: "orange", AlertLevel.GREEN: "green"},
    Language.JA: {AlertLevel.RED: "赤", AlertLevel.ORANGE: "オレンジ", AlertLevel.GREEN: "緑"},
}

ANSWERS = {
    Language.EN: {
        AnswerKind.CAN_DEPLOY: "can deploy",
        AnswerKind.ON_SITE: "on site",
        AnswerKind.NOT_THIS_TIME: "not this time",
        AnswerKind.OFFER_SUPPORT: "offers support",
    },
    Language.JA: {
        AnswerKind.CAN_DEPLOY: "出動可能",
        AnswerKind.ON_SITE: "現地で対応中",
        AnswerKind.NOT_THIS_TIME: "今回は見送り",
        AnswerKind.OFFER_SUPPORT: "支援の申し出",
    },
}


def word(language: Language, key: str, **values: object) -> str:
    return WORDS[language][key].format(**values)


def alert_name(language: Language, alert: AlertLevel) -> str:
    return _ALERT[language][alert]


def point_name(language: Language, hazard: HazardType) -> str:
    """What the marked point is: a quake's epicentre, any other hazard's centre."""
    return word(language, "epicentre" if hazard is HazardType.EARTHQUAKE else "centre")


def degrees(language: Language, lon: float, lat: float) -> tuple[str, str]:
    """Latitude and longitude as a reader writes them: 37.2°N / 北緯37.2度."""
    ns = word(language, "north" if lat >= 0 else "south")
    ew = word(language, "east" if lon >= 0 else "west")
    if language is Language.JA:
        return f"{ns}{abs(lat):.1f}度", f"{ew}{abs(lon):.1f}度"
    return f"{abs(lat):.1f}°{ns}", f"{abs(lon):.1f}°{ew}"

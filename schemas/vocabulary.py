"""The domain's words in each language: levels, hazards and answers (docs/vocabulary.md).

One table for the member mail, the page mail, chat and the CAP feed, so a translator reviews
it once; the console's catalogue is checked against it (tests/unit/test_vocabulary.py).
"""

from __future__ import annotations

from schemas.activations import Level
from schemas.hazards import HazardType
from schemas.members import Language
from schemas.responses import AnswerKind

LEVEL_WORDS: dict[Language, dict[Level, str]] = {
    Language.EN: {
        Level.NONE: "NONE",
        Level.WATCH: "WATCH",
        Level.STANDBY: "STANDBY",
        Level.ACTIVATE: "ACTIVATE",
    },
    Language.JA: {
        Level.NONE: "対象外",
        Level.WATCH: "注視",
        Level.STANDBY: "待機",
        Level.ACTIVATE: "発動",
    },
}

HAZARD_WORDS: dict[Language, dict[HazardType, str]] = {
    Language.EN: {
        HazardType.EARTHQUAKE: "Earthquake",
        HazardType.TROPICAL_CYCLONE: "Tropical cyclone",
        HazardType.FLOOD: "Flood",
        HazardType.VOLCANO: "Volcano",
        HazardType.DROUGHT: "Drought",
        HazardType.WILDFIRE: "Wildfire",
        HazardType.TSUNAMI: "Tsunami",
        HazardType.FLASH_FLOOD: "Flash flood",
        HazardType.LANDSLIDE: "Landslide",
        HazardType.STORM: "Storm",
        HazardType.EPIDEMIC: "Epidemic",
        HazardType.COLD_WAVE: "Cold wave",
        HazardType.HEAT_WAVE: "Heat wave",
        HazardType.OTHER: "Other hazard",
    },
    Language.JA: {
        HazardType.EARTHQUAKE: "地震",
        HazardType.TROPICAL_CYCLONE: "熱帯低気圧",
        HazardType.FLOOD: "洪水",
        HazardType.VOLCANO: "火山噴火",
        HazardType.DROUGHT: "干ばつ",
        HazardType.WILDFIRE: "林野火災",
        HazardType.TSUNAMI: "津波",
        HazardType.FLASH_FLOOD: "鉄砲水",
        HazardType.LANDSLIDE: "地すべり",
        HazardType.STORM: "暴風",
        HazardType.EPIDEMIC: "感染症",
        HazardType.COLD_WAVE: "寒波",
        HazardType.HEAT_WAVE: "熱波",
        HazardType.OTHER: "その他の災害",
    },
}

# The answers a member gives to the roll-call: the mail's buttons, the answer form, the board,
# the exports and the console read these words.
ANSWER_WORDS: dict[Language, dict[AnswerKind, str]] = {
    Language.EN: {
        AnswerKind.CAN_DEPLOY: "Can deploy",
        AnswerKind.ON_SITE: "Already responding on site",
        AnswerKind.NOT_THIS_TIME: "Not this time",
        AnswerKind.OFFER_SUPPORT: "Offer support",
    },
    Language.JA: {
        AnswerKind.CAN_DEPLOY: "派遣可能",
        AnswerKind.ON_SITE: "現地で対応中",
        AnswerKind.NOT_THIS_TIME: "今回は対応不可",
        AnswerKind.OFFER_SUPPORT: "支援を申し出る",
    },
}

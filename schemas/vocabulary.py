"""The domain's words in each language: levels, hazards, answers, states and notices
(docs/vocabulary.md).

One table for the member mail, the page mail, chat and the CAP feed, so a translator reviews
it once; the console's catalogue is checked against it (tests/unit/test_vocabulary.py).
"""

from __future__ import annotations

from enum import StrEnum

from schemas.acks import AckState
from schemas.activations import Level
from schemas.hazards import HazardType
from schemas.members import Language, OfferKind, Sector
from schemas.responses import AnswerKind, StepAction

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


class Notice(StrEnum):
    """What a message after the alert announces about an incident."""

    LAUNCHED = "launched"
    STOOD_DOWN = "stood_down"
    WITHDRAWN = "withdrawn"  # the source withdrew its report: the alert no longer stands


# The word a notice leads with: the member mail's subject and chat line, the participants'
# launch mail and the CAP feed's headline.
NOTICE_WORDS: dict[Language, dict[Notice, str]] = {
    Language.EN: {
        Notice.LAUNCHED: "DEPLOY",
        Notice.STOOD_DOWN: "STAND DOWN",
        Notice.WITHDRAWN: "WITHDRAWN",
    },
    Language.JA: {
        Notice.LAUNCHED: "派遣開始",
        Notice.STOOD_DOWN: "待機解除",
        Notice.WITHDRAWN: "取り消し",
    },
}

# The word the close of a programme leads with: its mail to members and the CAP feed's headline.
PROGRAMME_CLOSED_WORDS: dict[Language, str] = {
    Language.EN: "Programme closed",
    Language.JA: "支援プログラム終了",
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

SECTOR_WORDS: dict[Language, dict[Sector, str]] = {
    Language.EN: {
        Sector.SHELTER: "Shelter",
        Sector.WASH: "Water, sanitation and hygiene",
        Sector.HEALTH: "Health",
        Sector.FOOD: "Food",
        Sector.PROTECTION: "Protection",
        Sector.NFI: "Relief items",
        Sector.EDUCATION: "Education",
        Sector.LOGISTICS: "Logistics",
        Sector.EARLY_RECOVERY: "Early recovery",
        Sector.NUTRITION: "Nutrition",
    },
    Language.JA: {
        Sector.SHELTER: "シェルター",
        Sector.WASH: "水・衛生",
        Sector.HEALTH: "保健医療",
        Sector.FOOD: "食料",
        Sector.PROTECTION: "保護",
        Sector.NFI: "生活必需品",
        Sector.EDUCATION: "教育",
        Sector.LOGISTICS: "物流",
        Sector.EARLY_RECOVERY: "早期復興",
        Sector.NUTRITION: "栄養",
    },
}

OFFER_WORDS: dict[Language, dict[OfferKind, str]] = {
    Language.EN: {
        OfferKind.GOODS: "Goods",
        OfferKind.AIRLIFT: "Airlift",
        OfferKind.SHIPPING: "Shipping",
        OfferKind.STAFF: "Staff",
        OfferKind.FUNDS: "Funds",
    },
    Language.JA: {
        OfferKind.GOODS: "物資",
        OfferKind.AIRLIFT: "空輸",
        OfferKind.SHIPPING: "海上輸送",
        OfferKind.STAFF: "人員",
        OfferKind.FUNDS: "資金",
    },
}

# The steps of a roll-call, on the board's timeline and the duty console's.
STEP_WORDS: dict[Language, dict[StepAction, str]] = {
    Language.EN: {
        StepAction.OPENED: "opened: members are asked whether they can respond",
        StepAction.UPGRADED: "level raised, the roll-call goes on",
        StepAction.ANSWER_RECORDED: "answer through the member's link",
        StepAction.PHONE_ANSWER_RECORDED: "answer taken by phone",
        StepAction.REMINDER_SENT: "reminder sent",
        StepAction.SURVEY_DECIDED: "initial survey decided",
        StepAction.PROGRAMME_LAUNCHED: "programme launched",
        StepAction.PROGRAMME_CLOSED: "programme closed",
        StepAction.CLOSED_STOOD_DOWN: "closed by the stand-down",
    },
    Language.JA: {
        StepAction.OPENED: "確認開始：会員に対応の可否を照会",
        StepAction.UPGRADED: "レベル引き上げ、確認を継続",
        StepAction.ANSWER_RECORDED: "会員がリンクから回答",
        StepAction.PHONE_ANSWER_RECORDED: "電話での回答を記録",
        StepAction.REMINDER_SENT: "リマインダー送信",
        StepAction.SURVEY_DECIDED: "初動調査を決定",
        StepAction.PROGRAMME_LAUNCHED: "支援プログラム立ち上げ",
        StepAction.PROGRAMME_CLOSED: "支援プログラム終了",
        StepAction.CLOSED_STOOD_DOWN: "待機解除により締め切り",
    },
}

# The states an incident's response ends in, one word each for the console's badge and the
# board's status (the response's lifecycle and the duty state share these codes).
STATE_WORDS: dict[Language, dict[AckState, str]] = {
    Language.EN: {
        AckState.LAUNCHED: "Programme launched",
        AckState.CLOSED: "Programme closed",
        AckState.STOOD_DOWN: "Stood down",
    },
    Language.JA: {
        AckState.LAUNCHED: "プログラム立ち上げ済み",
        AckState.CLOSED: "プログラム終了",
        AckState.STOOD_DOWN: "待機解除",
    },
}

"""The fixed words of CAP messages in Japanese and English (docs/vocabulary.md's terms).

Levels and hazards read as in the member mail (`schemas/vocabulary.py`); the asks are CAP's own.
"""

from __future__ import annotations

from schemas import vocabulary
from schemas.activations import Level
from schemas.hazards import HazardType
from schemas.members import Language
from services.duty.cap.mapping import Kind

# CAP names a language by its RFC 3066 tag.
_LANGUAGES = {"ja-JP": Language.JA, "en-US": Language.EN}
LANGUAGES = tuple(_LANGUAGES)

LEVEL_WORDS: dict[str, dict[Level, str]] = {
    code: vocabulary.LEVEL_WORDS[language] for code, language in _LANGUAGES.items()
}
HAZARD_WORDS: dict[str, dict[HazardType, str]] = {
    code: vocabulary.HAZARD_WORDS[language] for code, language in _LANGUAGES.items()
}

# The notices' words, as members read them in their mail.
_NOTICE_OF_KIND = {
    Kind.LAUNCH: vocabulary.Notice.LAUNCHED,
    Kind.STAND_DOWN: vocabulary.Notice.STOOD_DOWN,
    Kind.WITHDRAWN: vocabulary.Notice.WITHDRAWN,
}
NOTICE_WORDS: dict[str, dict[Kind, str]] = {
    code: {
        **{kind: vocabulary.NOTICE_WORDS[language][n] for kind, n in _NOTICE_OF_KIND.items()},
        Kind.CLOSE: vocabulary.PROGRAMME_CLOSED_WORDS[language],
    }
    for code, language in _LANGUAGES.items()
}

# What member organisations are asked to do: the same asks as the member mail.
LEVEL_ASKS: dict[str, dict[Level, str]] = {
    "en-US": {
        Level.NONE: "No action needed.",
        Level.WATCH: "No action needed yet. The secretariat is watching this event.",
        Level.STANDBY: (
            "Member organisations: check your country team and partners, review your standby "
            "plan, and tell the secretariat within 24 hours whether you could respond."
        ),
        Level.ACTIVATE: (
            "Member organisations: activate your initial response now: confirm staff safety, "
            "start needs assessment with your partners, and send the secretariat your response "
            "intention as soon as possible."
        ),
    },
    "ja-JP": {
        Level.NONE: "対応は不要です。",
        Level.WATCH: "現時点で対応は不要です。事務局が状況を注視しています。",
        Level.STANDBY: (
            "会員団体は待機してください。現地事務所・パートナーの状況と待機計画をご確認のうえ、"
            "24時間以内に対応可否を事務局へお知らせください。"
        ),
        Level.ACTIVATE: (
            "会員団体は初動対応を開始してください。職員の安全確認、パートナーとのニーズ調査を進め、"
            "対応意向をできるだけ早く事務局へお知らせください。"
        ),
    },
}

NOTICE_ASKS: dict[str, dict[Kind, str]] = {
    "en-US": {
        Kind.LAUNCH: (
            "The duty officer has launched the response. Member organisations deploy according "
            "to their plans and report their deployment to the secretariat."
        ),
        Kind.STAND_DOWN: (
            "The duty officer has stood down this activation. No further action is needed."
        ),
        Kind.CLOSE: (
            "The secretariat has closed the programme. Participating member organisations "
            "send their final reports to the secretariat."
        ),
        Kind.WITHDRAWN: (
            "The source that reported this event has withdrawn its report: this alert no "
            "longer stands. No action is needed."
        ),
    },
    "ja-JP": {
        Kind.LAUNCH: (
            "当番責任者が対応の開始を決定しました。会員団体は計画に沿って派遣を開始し、"
            "事務局へ派遣状況をご報告ください。"
        ),
        Kind.STAND_DOWN: "当番責任者がこの発動を解除しました。これ以上の対応は不要です。",
        Kind.CLOSE: "事務局は支援プログラムを終了しました。参加団体は最終報告を事務局へお送りください。",
        Kind.WITHDRAWN: (
            "この災害を発表した情報源が発表を取り消しました。この警報は無効です。対応は不要です。"
        ),
    },
}

# A launch names its programme: only its participants deploy (the roll-call tells them).
PROGRAMME_ASKS: dict[str, str] = {
    "en-US": (
        "The secretariat has launched the programme {programme}. Its participating member "
        "organisations deploy according to their plans and report to the secretariat."
    ),
    "ja-JP": (
        "事務局は支援プログラム「{programme}」を立ち上げました。参加団体は計画に沿って派遣を開始し、"
        "事務局へご報告ください。"
    ),
}

# A close names the programme it ends.
PROGRAMME_CLOSE_ASKS: dict[str, str] = {
    "en-US": (
        "The secretariat has closed the programme {programme}. Its participating member "
        "organisations send their final reports to the secretariat."
    ),
    "ja-JP": (
        "事務局は支援プログラム「{programme}」を終了しました。参加団体は最終報告を事務局へお送りください。"
    ),
}

SCORE_WORDS = {"en-US": "Score", "ja-JP": "スコア"}

"""The fixed words of member messages in each language: asks (levels, hazards and the notices'
words are the domain's, in `schemas/vocabulary.py`).

Kept apart from the templates so subjects, chat lines and bodies use the same words, and a
translator reviews one table instead of hunting through markup.
"""

from __future__ import annotations

from schemas.activations import Level
from schemas.members import Language
from schemas.vocabulary import Notice

PAGE_WORD: dict[Language, str] = {Language.EN: "PAGE", Language.JA: "呼び出し"}

# What a member is asked to do at each level: the heart of the message.
ASKS: dict[Language, dict[Level, str]] = {
    Language.EN: {
        Level.WATCH: "No action needed yet. The secretariat is watching this event.",
        Level.STANDBY: (
            "Please stand by: check your country team and partners, review your standby plan, "
            "and tell the secretariat within 24 hours whether you could respond."
        ),
        Level.ACTIVATE: (
            "Please activate your initial response now: confirm staff safety, start needs "
            "assessment with your partners, and send the secretariat your response intention "
            "(ready / on the ground / not available) as soon as possible."
        ),
        Level.NONE: "No action needed.",
    },
    Language.JA: {
        Level.WATCH: "現時点で対応は不要です。事務局が状況を注視しています。",
        Level.STANDBY: (
            "待機をお願いします。現地事務所・パートナーの状況と待機計画をご確認のうえ、"
            "24時間以内に対応可否を事務局へお知らせください。"
        ),
        Level.ACTIVATE: (
            "初動対応を開始してください。職員の安全確認、パートナーとのニーズ調査を進め、"
            "対応意向（派遣可能／現地で対応中／対応不可）をできるだけ早く事務局へお知らせください。"
        ),
        Level.NONE: "対応は不要です。",
    },
}

NOTICE_ASKS: dict[Language, dict[Notice, str]] = {
    Language.EN: {
        Notice.LAUNCHED: (
            "The duty officer has launched the response. Deploy according to your plan and "
            "report your deployment to the secretariat."
        ),
        Notice.STOOD_DOWN: (
            "The duty officer has stood down this activation. No further action is needed; "
            "thank you for standing by."
        ),
        Notice.WITHDRAWN: (
            "The source that reported this event has withdrawn its report: the alert you "
            "received no longer stands. No action is needed."
        ),
    },
    Language.JA: {
        Notice.LAUNCHED: (
            "当番責任者が対応の開始を決定しました。計画に沿って派遣を開始し、事務局へ派遣状況を"
            "ご報告ください。"
        ),
        Notice.STOOD_DOWN: (
            "当番責任者がこの発動を解除しました。これ以上の対応は不要です。ご待機ありがとうございました。"
        ),
        Notice.WITHDRAWN: (
            "この災害を発表した情報源が発表を取り消しました。先にお送りした通知は無効です。"
            "対応は不要です。"
        ),
    },
}

# The mail that sends a member the link to their own preference page, asked for on the page.
LINK_MAIL_WORDS: dict[Language, dict[str, str]] = {
    Language.EN: {
        "subject": "[standby] Your preferences page",
        "body": "Open this link to choose what standby sends you, or to stop it:",
        "ignore": "If you did not ask for this, you can ignore this mail.",
    },
    Language.JA: {
        "subject": "[standby] メール設定ページのご案内",
        "body": "次のリンクから、standby から受け取る内容の変更・停止ができます：",
        "ignore": "お心当たりのない場合は、このメールを破棄してください。",
    },
}


def language_of(code: str | None) -> Language:
    """Read a language code, falling back to English for anything unknown."""
    try:
        return Language((code or "").lower()[:2])
    except ValueError:
        return Language.EN

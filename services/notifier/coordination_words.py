"""The words of the response-coordination messages: reminder, survey decision, launch."""

from __future__ import annotations

from schemas.members import Language
from schemas.responses import NoticeKind

COORDINATION_WORDS: dict[Language, dict[NoticeKind, str]] = {
    Language.EN: {
        NoticeKind.REMINDER: "Reminder: your response",
        NoticeKind.SURVEY_DECISION: "Initial survey: your organisation",
        NoticeKind.SURVEY_NOTICE: "Initial survey decided",
        NoticeKind.PROGRAMME_LAUNCH: "Programme launched",
    },
    Language.JA: {
        NoticeKind.REMINDER: "対応意向のお願い（再送）",
        NoticeKind.SURVEY_DECISION: "緊急初動調査の決定（貴団体）",
        NoticeKind.SURVEY_NOTICE: "緊急初動調査の決定",
        NoticeKind.PROGRAMME_LAUNCH: "支援プログラム立ち上げ",
    },
}

COORDINATION_ASKS: dict[Language, dict[NoticeKind, str]] = {
    Language.EN: {
        NoticeKind.REMINDER: (
            "The secretariat has not yet received your organisation's response intention. "
            "Please answer with one of the links below as soon as possible."
        ),
        NoticeKind.SURVEY_DECISION: (
            "The secretariat has decided to send your organisation on the initial survey. "
            "Please deploy within the budget cap below and report by the deadline."
        ),
        NoticeKind.SURVEY_NOTICE: (
            "The secretariat has decided the initial survey. The organisations below will "
            "survey the situation; the programme decision follows their report."
        ),
        NoticeKind.PROGRAMME_LAUNCH: (
            "The secretariat has launched a response programme with the participating "
            "organisations below."
        ),
    },
    Language.JA: {
        NoticeKind.REMINDER: (
            "貴団体の対応意向をまだ事務局で受け付けていません。下のリンクからできるだけ早くご回答ください。"
        ),
        NoticeKind.SURVEY_DECISION: (
            "事務局は貴団体に緊急初動調査をお願いすることを決定しました。下記の予算上限の範囲で"
            "調査を行い、報告期限までにご報告ください。"
        ),
        NoticeKind.SURVEY_NOTICE: (
            "事務局は緊急初動調査を決定しました。下記の団体が現地の状況を調査し、その報告を受けて"
            "支援プログラムの立ち上げを判断します。"
        ),
        NoticeKind.PROGRAMME_LAUNCH: ("事務局は下記の参加団体で支援プログラムを立ち上げました。"),
    },
}

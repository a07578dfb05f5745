"""The words of the response-coordination messages: reminder, survey decision, launch, close.

The launch's deploy word is the notice word members already know, and the close's word the
CAP feed's too (`schemas/vocabulary.py`).
"""

from __future__ import annotations

from schemas.members import Language
from schemas.responses import NoticeKind
from schemas.vocabulary import NOTICE_WORDS, PROGRAMME_CLOSED_WORDS, Notice

COORDINATION_WORDS: dict[Language, dict[NoticeKind, str]] = {
    Language.EN: {
        NoticeKind.REMINDER: "Reminder: your response",
        NoticeKind.SURVEY_DECISION: "Initial survey: your organisation",
        NoticeKind.SURVEY_NOTICE: "Initial survey decided",
        NoticeKind.PROGRAMME_LAUNCH: NOTICE_WORDS[Language.EN][Notice.LAUNCHED],
        NoticeKind.PROGRAMME_NOT_LISTED: "Programme launched",
        NoticeKind.PROGRAMME_NOTICE: "Programme launched",
        NoticeKind.PROGRAMME_CLOSED: PROGRAMME_CLOSED_WORDS[Language.EN],
    },
    Language.JA: {
        NoticeKind.REMINDER: "対応意向のお願い（再送）",
        NoticeKind.SURVEY_DECISION: "緊急初動調査の決定（貴団体）",
        NoticeKind.SURVEY_NOTICE: "緊急初動調査の決定",
        NoticeKind.PROGRAMME_LAUNCH: NOTICE_WORDS[Language.JA][Notice.LAUNCHED],
        NoticeKind.PROGRAMME_NOT_LISTED: "支援プログラム立ち上げ",
        NoticeKind.PROGRAMME_NOTICE: "支援プログラム立ち上げ",
        NoticeKind.PROGRAMME_CLOSED: PROGRAMME_CLOSED_WORDS[Language.JA],
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
            "The secretariat has launched the programme below and your organisation takes part: "
            "deploy according to your plan, within your budget, and report your deployment to "
            "the secretariat."
        ),
        NoticeKind.PROGRAMME_NOT_LISTED: (
            "The secretariat has launched the programme below; your organisation is not listed "
            "among its participants. If you can join, answer the secretariat."
        ),
        NoticeKind.PROGRAMME_NOTICE: (
            "For your information: the secretariat has launched the programme below with the "
            "participating organisations listed."
        ),
        NoticeKind.PROGRAMME_CLOSED: (
            "The secretariat has closed the programme below. Thank you for your response; "
            "please send your final report to the secretariat."
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
        NoticeKind.PROGRAMME_LAUNCH: (
            "事務局は下記の支援プログラムを立ち上げました。貴団体は参加団体です。計画に沿って予算の範囲で"
            "派遣を開始し、事務局へ派遣状況をご報告ください。"
        ),
        NoticeKind.PROGRAMME_NOT_LISTED: (
            "事務局は下記の支援プログラムを立ち上げました。貴団体は参加団体に含まれていません。"
            "参加できる場合は事務局へご回答ください。"
        ),
        NoticeKind.PROGRAMME_NOTICE: (
            "ご参考：事務局は下記の参加団体で支援プログラムを立ち上げました。"
        ),
        NoticeKind.PROGRAMME_CLOSED: (
            "事務局は下記の支援プログラムを終了しました。ご対応ありがとうございました。"
            "最終報告を事務局へお送りください。"
        ),
    },
}

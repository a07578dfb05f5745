"""The words of the roll-call pages, in Japanese and English.

Answers, sectors, offers, the steps of the timeline and the launched / closed / stood-down
states are the domain's words (`schemas/vocabulary.py`), shared with the mail and the console:
`words()` adds them.
"""

from __future__ import annotations

from schemas.members import Language
from schemas.vocabulary import ANSWER_WORDS, OFFER_WORDS, SECTOR_WORDS, STATE_WORDS, STEP_WORDS

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "app": "standby",
        "rollcall": "Roll-call",
        "rollcalls": "Roll-calls",
        "answer_title": "Your response to",
        "answer_intro": "Tell the secretariat what your organisation will do. You can change "
        "your answer until the programme launches; the latest answer counts.",
        "earliest_arrival_hours": "Earliest arrival (hours from now)",
        "staff": "Staff",
        "sectors": "Sectors",
        "survey_budget_jpy": "Initial survey budget request (yen)",
        "note": "Note",
        "send": "Send answer",
        "thanks": "Thank you: the secretariat has your answer.",
        "your_answer": "Your answer",
        "current": "Your organisation's current answer",
        "refused": "This answer link cannot be used",
        "refused_forged": "The link is not valid (it was altered or not issued by standby).",
        "refused_expired": "The link has expired. Please answer the secretariat by email or phone.",
        "refused_wrong_incident": "The link is for another incident.",
        "refused_wrong_organisation": "The link is for another organisation.",
        "refused_contact_removed": "This link's contact is no longer in the member directory."
        " Please answer the secretariat by email or phone.",
        "closed": "The roll-call for this incident is closed; answers are no longer taken.",
        "not_open_yet": "The roll-call for this incident is being opened. Reload this page in a "
        "minute; your link stays valid.",
        "board": "Roll-call board",
        "organisation": "Organisation",
        "answer": "Answer",
        "answered_at": "Time",
        "matches": "Plan matches",
        "stock": "Nearest stock",
        "offers": "Offers",
        "history": "Answers",
        "no_answer": "No answer",
        "totals": "Totals",
        "addressed": "Addressed",
        "answered": "Answered",
        "budget_requested": "Survey budget requested",
        "supplies": "Supplies ready",
        "not_answered": "Not answered",
        "everyone_answered": "Every addressed organisation answered.",
        "status": "Status",
        "status_open": "Open",
        "reminder": "Reminder",
        "reminder_due": "due",
        "reminder_sent": "sent",
        "export_csv": "Export CSV",
        "export_json": "Export JSON",
        "phone_answer": "Record an answer taken by phone",
        "record": "Record",
        "survey": "Initial survey",
        "survey_intro": "Choose one to three organisations that can deploy, with a budget cap each.",
        "budget_cap": "Budget cap (yen)",
        "review": "Review",
        "confirm": "Confirm",
        "consequence_survey": "The chosen organisations will be sent on the initial survey with "
        "these budget caps and a reporting deadline, and every addressed member will be told. "
        "This cannot be undone.",
        "survey_decided": "Initial survey decided",
        "report_by": "Report by",
        "launch": "Launch the programme",
        "programme_name_ja": "Programme name (Japanese)",
        "programme_name_en": "Programme name (English)",
        "duration_months": "Duration (months)",
        "participants": "Participating organisations",
        "government_budget_jpy": "Government funds (yen)",
        "private_budget_jpy": "Private funds (yen)",
        "consequence_launch": "The programme will be launched with these participants: they are "
        "told to deploy; the others who can still join are told they are not listed; observers "
        "are informed; organisations that answered not this time are not told to deploy. "
        "This cannot be undone.",
        "programme": "Programme",
        "timeline": "Timeline",
        "back": "Back",
        "error": "Cannot do that",
        "csrf_failed": "The form expired; reload the page and try again.",
        "login_required": "Log in to the console first.",
        "incident": "Incident",
        "opened": "Opened",
        "months": "months",
        "the_alert": "the alert you received",
        "activation": "Activation",
        "refused_move": "This cannot be done now: the response is at “{state}”.",
        "logout": "Log out",
        "answers_given": "%d answers, the latest shown",
        "budget_of": "Budget (yen) for",
        "missing_organisations": "Choose one to three organisations that can deploy.",
        "refused_not_willing": "{names} has not answered that it can deploy.",
        "refused_budget": "The budget for {names} must be between ¥1 and ¥{cap}.",
        "refused_unknown": "Not in the member directory: {names}.",
        "refused_observer": "An observer cannot take part: {names}.",
        "refused_declined": "Answered “not this time”: {names}.",
        "refused_stray_budget": "A budget was given for an organisation not taking part: {names}.",
        "missing_participants": "Choose at least one participating organisation.",
        "missing_names": "Give the programme a name in Japanese and in English.",
        "observer": "Observer: told, not asked",
        "bad_number": "{field}: give a whole number from {low} to {high}.",
        "bad_answer": "Choose one of the answers offered.",
        "bad_sector": "Choose sectors from the list.",
        "observer_asked_nothing": "Your organisation observes this response: no answer is "
        "asked of it.",
        "refused_observer_answer": "{names} observes this response: no answer is recorded for it.",
        "budget_jpy": "Budget (yen)",
        "observer_nothing": "Your organisation observes this response: the secretariat keeps you "
        "informed and asks nothing of you.",
        "status_survey_decided": "Initial survey decided",
        "close_programme": "Close the programme",
        "close_intro": "Close the running programme when its work is done: participants and "
        "observers are told it closed.",
        "consequence_close": "The programme will be closed and its participants and the observers "
        "told. This cannot be undone.",
    },
    "ja": {
        "app": "standby",
        "rollcall": "対応意向",
        "rollcalls": "対応意向の確認",
        "answer_title": "対応意向の回答：",
        "answer_intro": "貴団体の対応意向を事務局へお知らせください。プログラム立ち上げまでは回答を変更"
        "できます（最新の回答が有効です）。",
        "earliest_arrival_hours": "最短到着（今から何時間後）",
        "staff": "派遣人数",
        "sectors": "分野",
        "survey_budget_jpy": "初動調査の予算申請額（円）",
        "note": "備考",
        "send": "回答を送る",
        "thanks": "ありがとうございました。事務局が回答を受け付けました。",
        "your_answer": "回答",
        "current": "貴団体の現在の回答",
        "refused": "この回答リンクは使えません",
        "refused_forged": "リンクが正しくありません（改変されたか、standby が発行したものではありません）。",
        "refused_expired": "リンクの有効期限が切れています。メールまたは電話で事務局へご回答ください。",
        "refused_wrong_incident": "このリンクは別の災害のものです。",
        "refused_wrong_organisation": "このリンクは別の団体のものです。",
        "refused_contact_removed": "このリンクの連絡先は会員名簿から削除されています。"
        "メールまたは電話で事務局へご回答ください。",
        "closed": "この災害の対応意向の確認は締め切られました。",
        "not_open_yet": "この災害の対応意向の確認を準備しています。1分ほどしてからこのページを再読み込みしてください"
        "（リンクはそのまま有効です）。",
        "board": "対応意向ボード",
        "organisation": "団体",
        "answer": "回答",
        "answered_at": "時刻",
        "matches": "該当する待機計画",
        "stock": "最寄りの備蓄",
        "offers": "申し出",
        "history": "回答数",
        "no_answer": "未回答",
        "totals": "合計",
        "addressed": "通知先",
        "answered": "回答済み",
        "budget_requested": "初動調査の予算申請額",
        "supplies": "用意できる物資",
        "not_answered": "未回答の団体",
        "everyone_answered": "すべての通知先が回答しました。",
        "status": "状態",
        "status_open": "受付中",
        "reminder": "リマインダー",
        "reminder_due": "予定",
        "reminder_sent": "送信済み",
        "export_csv": "CSV 出力",
        "export_json": "JSON 出力",
        "phone_answer": "電話で受けた回答を記録",
        "record": "記録する",
        "survey": "緊急初動調査",
        "survey_intro": "派遣可能な団体を1〜3団体選び、それぞれ予算上限を決めてください。",
        "budget_cap": "予算上限（円）",
        "review": "確認へ",
        "confirm": "決定する",
        "consequence_survey": "選んだ団体に、予算上限と報告期限を付けて初動調査の決定を送り、通知先のすべての"
        "会員にお知らせします。取り消せません。",
        "survey_decided": "初動調査を決定しました",
        "report_by": "報告期限",
        "launch": "プログラムを立ち上げる",
        "programme_name_ja": "プログラム名（日本語）",
        "programme_name_en": "プログラム名（英語）",
        "duration_months": "期間（か月）",
        "participants": "参加団体",
        "government_budget_jpy": "政府資金（円）",
        "private_budget_jpy": "民間資金（円）",
        "consequence_launch": "この参加団体でプログラムを立ち上げます。参加団体には派遣開始を、"
        "参加できるその他の団体には参加団体に含まれていないことを、オブザーバーには経過をお知らせします。"
        "今回は対応不可と回答した団体に派遣の指示は送りません。取り消せません。",
        "programme": "プログラム",
        "timeline": "経過",
        "back": "戻る",
        "error": "実行できません",
        "csrf_failed": "フォームの有効期限が切れました。ページを再読み込みしてください。",
        "login_required": "先にコンソールへログインしてください。",
        "incident": "災害",
        "opened": "開始",
        "months": "か月",
        "the_alert": "お送りした通知",
        "activation": "発動の詳細",
        "refused_move": "現在の状態（{state}）では実行できません。",
        "logout": "ログアウト",
        "answers_given": "回答%d回（最新を表示）",
        "budget_of": "予算（円）：",
        "missing_organisations": "派遣可能な団体を1〜3団体選んでください。",
        "refused_not_willing": "{names}は派遣可能と回答していません。",
        "refused_budget": "{names}の予算は1円以上{cap}円以下にしてください。",
        "refused_unknown": "会員名簿にない団体です：{names}",
        "refused_observer": "オブザーバーは参加団体になれません：{names}",
        "refused_declined": "「今回は対応不可」と回答した団体です：{names}",
        "refused_stray_budget": "参加しない団体に予算が入力されています：{names}",
        "missing_participants": "参加団体を1団体以上選んでください。",
        "missing_names": "プログラム名を日本語と英語で入力してください。",
        "observer": "オブザーバー（通知のみ）",
        "bad_number": "「{field}」には{low}から{high}までの整数を入力してください。",
        "bad_answer": "示された回答から一つ選んでください。",
        "bad_sector": "分野は一覧から選んでください。",
        "observer_asked_nothing": "貴団体はこの対応のオブザーバーです。回答は求められていません。",
        "refused_observer_answer": "{names}はこの対応のオブザーバーです。回答は記録しません。",
        "budget_jpy": "予算（円）",
        "observer_nothing": "貴団体はこの対応のオブザーバーです。事務局から経過をお知らせします。"
        "ご回答は不要です。",
        "status_survey_decided": "初動調査決定済み",
        "close_programme": "プログラムを終了する",
        "close_intro": "活動が終わったら実施中のプログラムを終了します。参加団体とオブザーバーに"
        "終了をお知らせします。",
        "consequence_close": "プログラムを終了し、参加団体とオブザーバーにお知らせします。取り消せません。",
    },
}


def _catalogue(language: Language) -> dict[str, str]:
    shared = {k.value: w for k, w in ANSWER_WORDS[language].items()}
    shared |= {f"sector_{k.value}": w for k, w in SECTOR_WORDS[language].items()}
    shared |= {f"offer_{k.value}": w for k, w in OFFER_WORDS[language].items()}
    shared |= {f"step_{k.value}": w for k, w in STEP_WORDS[language].items()}
    shared |= {f"status_{k.value}": w for k, w in STATE_WORDS[language].items()}
    return WORDS[language.value] | shared


_CATALOGUES = {language.value: _catalogue(language) for language in Language}


def words(language: str) -> dict[str, str]:
    return _CATALOGUES.get(language, _CATALOGUES["en"])

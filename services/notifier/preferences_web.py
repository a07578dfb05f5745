"""The page where a member manages the mail they get, served by the notifier (decision 0401).

A signed link names one contact; GET shows the form and changes nothing (mail scanners fetch
links), POST saves it, and the RFC 8058 one-click POST to `/unsubscribe` stops all mail.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData

from schemas.activations import Level
from schemas.base import utcnow
from schemas.hazards import HazardType
from schemas.members import Contact, Language, Organisation
from schemas.vocabulary import HAZARD_WORDS, LEVEL_WORDS
from services.common.db import Database
from services.common.errors import StandbyError
from services.common.logs import get_logger
from services.common.members_file import MemberDirectoryFile
from services.common.web_server import serve_app
from services.notifier.countries import country_choices, country_name
from services.notifier.local_time import DEFAULT_DIGEST_AT, DEFAULT_ZONE, clock_text
from services.notifier.preference_store import preference_of, save_preference
from services.notifier.preferences import (
    NO_PREFERENCE,
    PAUSE_DAYS,
    ChoiceError,
    LinkRefusedError,
    Preference,
    PreferenceLinks,
    Timing,
    parse_choices,
)
from services.notifier.wording import language_of

log = get_logger(__name__)

_TEMPLATES = Path(__file__).parent / "templates"
_LEVELS = (Level.WATCH, Level.STANDBY, Level.ACTIVATE)
# The levels a member may take in the daily digest: activate always goes at once.
_DIGESTIBLE = (Level.WATCH, Level.STANDBY)
# Offered in the time zone field; any IANA zone may be typed.
_ZONES = (
    "Asia/Tokyo",
    "Asia/Manila",
    "Asia/Jakarta",
    "Asia/Bangkok",
    "Asia/Ho_Chi_Minh",
    "Asia/Yangon",
    "Asia/Dhaka",
    "Asia/Kathmandu",
    "Asia/Kolkata",
    "Asia/Karachi",
    "Asia/Kabul",
    "Asia/Dubai",
    "Asia/Amman",
    "Europe/Istanbul",
    "Africa/Nairobi",
    "Africa/Addis_Ababa",
    "Europe/London",
    "Europe/Paris",
    "Europe/Geneva",
    "America/New_York",
    "America/Port-au-Prince",
    "Pacific/Fiji",
    "Pacific/Port_Moresby",
    "UTC",
)
_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
}

WORDS: dict[Language, dict[str, str]] = {
    Language.EN: {
        "title": "Your standby mail",
        "intro": "Choose what standby sends to %s (%s). Your organisation's subscription sets the limits; here you can only narrow it.",
        "levels": "Levels",
        "hazards": "Hazards",
        "countries": "Only these countries (none ticked: every country)",
        "add_countries": "Add countries: type a name, several separated by commas",
        "no_levels": "You ticked no level: saved like that, standby would send you no alert at all. Tick the levels you want; or choose a pause below to stop mail for a while; or, if you really want no alerts, tick “Yes, send me no alerts” and save again.",
        "confirm_no_levels": "Yes, send me no alerts at all",
        "no_alerts": "You chose no level: standby sends you no alerts.",
        "unknown_country": "“%s” is not a country standby knows. Type its name, e.g. Philippines.",
        "unknown_country_hint": "“%s” is not a country standby knows. Did you mean %s?",
        "when": "When each level comes",
        "at_once": "at once",
        "in_digest": "in the daily digest",
        "activate_at_once": "ACTIVATE always comes at once.",
        "digest_at": "Daily digest at (your time)",
        "quiet": "Quiet hours: WATCH and STANDBY mail waits until they end; ACTIVATE never waits",
        "quiet_start": "Quiet from",
        "quiet_end": "Quiet until",
        "time_zone": "Your time zone (e.g. Asia/Tokyo)",
        "unknown_zone": "“%s” is not a time zone standby knows. Choose one from the list, e.g. Asia/Manila.",
        "bad_time": "“%s” is not a time of day (HH:MM).",
        "quiet_both": "Quiet hours need both a start and an end.",
        "language": "Language",
        "pause": "Pause",
        "no_pause": "No pause",
        "keep_pause": "Keep the pause until %s",
        "days": "for %d days",
        "stop_all": "Stop all standby mail to this address",
        "save": "Save",
        "saved": "Saved.",
        "stopped": "You will get no more standby mail. You can change this below at any time.",
        "paused_until": "Paused until %s.",
        "unsubscribe": "Stop all standby mail",
        "unsubscribe_ask": "Press the button to stop all standby mail to this address.",
        "refused": "This link is not valid.",
        "gone": "This contact is no longer in the member directory. Ask the secretariat.",
        "bad_input": "Not saved: %s",
        "request_intro": "Enter the address standby mails. If it is on the member list, we send it a link to its own preferences page.",
        "email": "Email address",
        "send_link": "Send me my link",
        "link_sent": "If this address is on the member list, a link to its preferences page is on its way.",
        "link_subject": "[standby] Your preferences page",
        "link_body": "Open this link to choose what standby sends you, or to stop it:",
        "link_ignore": "If you did not ask for this, you can ignore this mail.",
    },
    Language.JA: {
        "title": "standby からのメール設定",
        "intro": "%s（%s）宛てに standby が送る内容を選べます。所属団体の購読設定の範囲内で、絞り込むことだけができます。",
        "levels": "レベル",
        "hazards": "災害種別",
        "countries": "この国だけ（どれも選ばなければ、すべての国）",
        "add_countries": "国を追加：国名を入力（複数はカンマ区切り）",
        "no_levels": "レベルが一つも選ばれていません。このまま保存すると、standby からの通知は一切届かなくなります。受け取るレベルを選ぶか、しばらく止めたいときは下の「一時停止」を選んでください。本当に通知が不要な場合は「はい、通知を一切受け取らない」にチェックを入れて、もう一度保存してください。",
        "confirm_no_levels": "はい、通知を一切受け取らない",
        "no_alerts": "レベルが選ばれていないため、standby からの通知は届きません。",
        "unknown_country": "「%s」という国は見つかりません。国名で入力してください（例：フィリピン）。",
        "unknown_country_hint": "「%s」という国は見つかりません。%s のことですか？",
        "when": "レベルごとの受け取り方",
        "at_once": "すぐに",
        "in_digest": "日次まとめで",
        "activate_at_once": "「発動」は常にすぐにお送りします。",
        "digest_at": "日次まとめの送信時刻（現地時刻）",
        "quiet": "お休み時間：この間の「注視」「待機」のメールは終了時刻までお待ちします（「発動」は待ちません）",
        "quiet_start": "開始",
        "quiet_end": "終了",
        "time_zone": "タイムゾーン（例：Asia/Tokyo）",
        "unknown_zone": "「%s」というタイムゾーンは見つかりません。一覧から選んでください（例：Asia/Manila）。",
        "bad_time": "「%s」は時刻（HH:MM）として読めません。",
        "quiet_both": "お休み時間には開始と終了の両方を入れてください。",
        "language": "言語",
        "pause": "一時停止",
        "no_pause": "停止しない",
        "keep_pause": "%s までの一時停止を続ける",
        "days": "%d日間",
        "stop_all": "このアドレスへの standby メールをすべて停止する",
        "save": "保存",
        "saved": "保存しました。",
        "stopped": "standby からのメールは今後届きません。下の設定でいつでも再開できます。",
        "paused_until": "%s まで一時停止中です。",
        "unsubscribe": "すべてのメールを停止",
        "unsubscribe_ask": "ボタンを押すと、このアドレスへの standby メールをすべて停止します。",
        "refused": "このリンクは無効です。",
        "gone": "この連絡先は会員名簿にありません。事務局にお問い合わせください。",
        "bad_input": "保存できませんでした：%s",
        "request_intro": "standby からメールを受け取っているアドレスを入力してください。会員名簿にあれば、そのアドレス専用の設定ページへのリンクをお送りします。",
        "email": "メールアドレス",
        "send_link": "リンクを送る",
        "link_sent": "会員名簿にあるアドレスであれば、設定ページへのリンクをお送りしました。",
        "link_subject": "[standby] メール設定ページのご案内",
        "link_body": "次のリンクから、standby から受け取る内容の変更・停止ができます：",
        "link_ignore": "お心当たりのない場合は、このメールを破棄してください。",
    },
}


Mailer = Callable[[str, bytes], Awaitable[None]]

# One link mail per address per this many seconds: the form must not become a mail cannon.
LINK_INTERVAL_S = 600.0


@dataclass
class PreferenceDeps:
    """What the preference page needs from the notifier's composition root."""

    db: Database
    links: PreferenceLinks
    directory: MemberDirectoryFile
    clock: Callable[[], datetime] = utcnow
    mailer: Mailer | None = None
    sender: Address = field(default_factory=lambda: Address(addr_spec="standby@localhost"))
    sent_at: dict[str, float] = field(default_factory=dict)


def _linked_contact(deps: PreferenceDeps, token: str) -> tuple[Organisation, Contact] | str:
    """The contact a link opens, or why its page is refused: forged or expired, gone from the
    directory, or mailed to an address the contact no longer has (not theirs to open now)."""
    try:
        ref = deps.links.read(token)
    except LinkRefusedError:
        return "refused"
    found = deps.directory.current().contact(ref.organisation_id, ref.contact_id)
    if found is None:
        return "gone"
    return found if ref.bound_to(found[1].email) else "refused"


def create_app(deps: PreferenceDeps) -> FastAPI:
    """Assemble the members' preference pages."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["j2", "html"])
    )
    page = env.get_template("preferences.html.j2")

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for name, value in _HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    def show(request: Request, token: str, status: int = 200, **context: Any) -> HTMLResponse:
        # A contact's page speaks the contact's language; the pages without one (the way in
        # from a mail's footer) the language the link asks for.
        language = language_of(context.pop("lang", None) or request.query_params.get("lang"))
        words = WORDS[language]
        body = page.render(
            lang=language.value,
            w=words,
            token=token,
            levels=[(lv.value, LEVEL_WORDS[language][lv]) for lv in _LEVELS],
            hazards=[(h.value, HAZARD_WORDS[language][h]) for h in HazardType],
            pause_days=PAUSE_DAYS,
            digestible=[(lv.value, LEVEL_WORDS[language][lv]) for lv in _DIGESTIBLE],
            zones=_ZONES,
            languages=[("ja", "日本語"), ("en", "English")],
            **context,
        )
        return HTMLResponse(body, status_code=status)

    def member_of(request: Request, token: str) -> tuple[Organisation, Contact] | Response:
        """The contact a link opens, or the page saying it is refused or its contact gone."""
        found = _linked_contact(deps, token)
        if isinstance(found, str):
            return show(request, token, 404, message=found, form=False)
        return found

    async def form(
        request: Request,
        token: str,
        *,
        status: int = 200,
        submitted: FormData | None = None,
        **extra: Any,
    ) -> Response:
        found = member_of(request, token)
        if isinstance(found, Response):
            return found
        org, contact = found
        async with deps.db.sessions() as session:
            pref = await preference_of(session, org.id, contact.id) or NO_PREFERENCE
        language = pref.language or contact.language
        return show(
            request,
            token,
            status,
            lang=language.value,
            form=True,
            contact=contact.name,
            organisation=org.name_ja if language is Language.JA else org.name_en,
            pref=pref,
            now=deps.clock(),
            choice=_shown_choice(pref, submitted, language),
            refusal=_refusal(extra.pop("refusal", None), language),
            **extra,
        )

    _link_routes(app, deps, show)
    _preference_routes(app, deps, form, member_of)
    return app


def _link_routes(app: FastAPI, deps: PreferenceDeps, show: Callable[..., HTMLResponse]) -> None:
    """The way in without a link: ask for one's own by mail."""

    @app.get("/m")
    async def request_link(request: Request) -> Response:
        """Ask for one's own link: the way in from any member mail's footer."""
        return show(request, "", ask_link=True, form=False)

    @app.post("/m")
    async def send_link(request: Request) -> Response:
        data = await request.form()
        address = str(data.get("email", "")).strip().lower()[:320]
        language = language_of(request.query_params.get("lang"))
        now = time.monotonic()
        last = deps.sent_at.get(address)
        found = [
            (org, contact)
            for org in deps.directory.current().organisations
            for contact in org.contacts
            if contact.email and contact.email.lower() == address
        ]
        if found and deps.mailer is not None and (last is None or now - last > LINK_INTERVAL_S):
            deps.sent_at[address] = now
            mail = _link_mail(deps, address, found, found[0][1].language or language)
            try:
                await deps.mailer(address, mail)
            except StandbyError as err:
                log.warning("preference_link_not_sent", error=str(err))
        # The same answer whether or not the address is known: the list is not to be probed.
        return show(request, "", message="link_sent", ask_link=True, form=False)


def _preference_routes(
    app: FastAPI,
    deps: PreferenceDeps,
    form: Callable[..., Awaitable[Response]],
    member_of: Callable[[Request, str], tuple[Organisation, Contact] | Response],
) -> None:
    """One member's page: see, change and stop what they are sent."""

    @app.get("/m/{token}")
    async def preferences(request: Request, token: str) -> Response:
        return await form(request, token)

    @app.get("/m/{token}/unsubscribe")
    async def unsubscribe_page(request: Request, token: str) -> Response:
        # A GET never unsubscribes: link checkers and scanners fetch every URL in a mail.
        return await form(request, token, ask_unsubscribe=True)

    async def change(
        request: Request,
        token: str,
        choose: Callable[[Preference, datetime], Preference],
        *,
        event: str,
        message: str,
        submitted: FormData | None = None,
    ) -> Response:
        """Store what `choose` makes of the contact's preference; a ValueError is a 400."""
        found = member_of(request, token)
        if isinstance(found, Response):
            return found
        org, contact = found
        now = deps.clock()
        async with deps.db.transaction() as session:
            before = await preference_of(session, org.id, contact.id) or NO_PREFERENCE
            try:
                choice = choose(before, now)
            except ChoiceError as err:
                return await form(
                    request, token, status=400, refusal=(err.key, err.values), submitted=submitted
                )
            except ValueError as err:
                return await form(request, token, status=400, error=str(err), submitted=submitted)
            await save_preference(session, org.id, contact.id, choice, now)
        log.info(event, organisation=org.id, contact=contact.id)
        return await form(request, token, message=message)

    @app.post("/m/{token}")
    async def save(request: Request, token: str) -> Response:
        data = await request.form()
        return await change(
            request,
            token,
            lambda before, now: _choices(data, now, before),
            event="member_preferences_saved",
            message="saved",
            submitted=data,
        )

    @app.post("/m/{token}/unsubscribe")
    async def unsubscribe(request: Request, token: str) -> Response:
        """RFC 8058 one-click: the mail provider POSTs `List-Unsubscribe=One-Click`."""
        return await change(
            request,
            token,
            lambda before, _: replace(before, unsubscribed=True),
            event="member_unsubscribed",
            message="stopped",
        )


def _link_mail(
    deps: PreferenceDeps,
    address: str,
    found: list[tuple[Organisation, Contact]],
    language: Language,
) -> bytes:
    words = WORDS[language]
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = deps.sender
    message["To"] = address
    message["Subject"] = words["link_subject"]
    message["Date"] = format_datetime(utcnow())
    message["Auto-Submitted"] = "auto-replied"
    lines = [words["link_body"], ""]
    for org, contact in found:
        org_name = org.name_ja if language is Language.JA else org.name_en
        lines += [
            f"{contact.name} ({org_name}):",
            deps.links.page_url(org.id, contact.id, contact.email),
            "",
        ]
    lines.append(words["link_ignore"])
    message.set_content("\n".join(lines), charset="utf-8")
    return message.as_bytes(policy=policy.SMTP)


def _choices(data: FormData, now: datetime, before: Preference) -> Preference:
    return parse_choices(
        levels=[str(v) for v in data.getlist("levels")],
        hazards=[str(v) for v in data.getlist("hazards")],
        countries=_countries_text(data),
        language=str(data.get("language", "")),
        pause_days=str(data.get("pause", "keep")),
        stop_all=data.get("stop_all") == "1",
        now=now,
        keep_pause=before.paused_until,
        no_levels_confirmed=data.get("no_levels") == "1",
        keep_levels=before.levels,
        timing=Timing(
            time_zone=str(data.get("time_zone", ""))[:64],
            quiet_start=str(data.get("quiet_start", ""))[:8],
            quiet_end=str(data.get("quiet_end", ""))[:8],
            digest_levels=[lv.value for lv in _DIGESTIBLE if data.get(f"mode_{lv}") == "digest"],
            digest_at=str(data.get("digest_at", ""))[:8],
        ),
    )


def _countries_text(data: FormData) -> str:
    """The countries ticked (codes) and those typed (names or codes), as one list."""
    ticked = [str(v) for v in data.getlist("country")][:300]
    return ", ".join([*ticked, str(data.get("countries", ""))[:500]])


def _timing_shown(pref: Preference, submitted: FormData | None) -> dict[str, Any]:
    """The time fields as stored, or as sent with a refused form."""
    if submitted is not None:
        return {
            "digest": {lv.value for lv in _DIGESTIBLE if submitted.get(f"mode_{lv}") == "digest"},
            **{
                name: str(submitted.get(name, ""))[:64]
                for name in ("digest_at", "quiet_start", "quiet_end", "time_zone")
            },
        }

    return {
        "digest": {lv.value for lv in pref.digest_levels},
        "digest_at": clock_text(pref.digest_at or DEFAULT_DIGEST_AT),
        "quiet_start": clock_text(pref.quiet_start) or "",
        "quiet_end": clock_text(pref.quiet_end) or "",
        "time_zone": pref.time_zone or DEFAULT_ZONE,
    }


def _refusal(
    refusal: tuple[str, tuple[str, ...]] | None, language: Language
) -> tuple[str, tuple[str, ...]] | None:
    """A refusal's message key and values; the country meant named as the reader names it."""
    if refusal and refusal[0] == "unknown_country_hint":
        given, code = refusal[1]
        return refusal[0], (given, f"{country_name(code, language)} ({code})")
    return refusal


def _shown_choice(
    pref: Preference, submitted: FormData | None, language: Language
) -> dict[str, Any]:
    """What the form shows ticked: the stored choice, or a refused one as it was sent.

    A refused form comes back as the member left it, so a typo loses nothing.
    """
    if submitted is None:
        levels = {lv.value for lv in (pref.levels if pref.levels is not None else _LEVELS)}
        hazards = {h.value for h in (pref.hazards if pref.hazards is not None else HazardType)}
        codes = sorted(pref.countries or ())
        typed = ""
        no_levels = pref.levels is not None and not pref.levels
    else:
        levels = {str(v) for v in submitted.getlist("levels")}
        hazards = {str(v) for v in submitted.getlist("hazards")}
        codes = [str(v) for v in submitted.getlist("country") if len(str(v)) == 3][:300]
        typed = str(submitted.get("countries", ""))[:500]
        no_levels = submitted.get("no_levels") == "1"
    return _timing_shown(pref, submitted) | {
        "levels": levels,
        "hazards": hazards,
        "countries": [(code, country_name(code, language)) for code in codes],
        "typed": typed,
        "no_levels": no_levels,
        "all_countries": country_choices(language),
    }


async def serve_preferences(app: FastAPI, host: str, port: int) -> None:
    """Serve the preference pages until cancelled.

    A port that cannot be bound is logged and the pages stay off: alerts matter more.
    """
    # Bound here, not by uvicorn: uvicorn answers a taken port with sys.exit, which would
    # end the whole notifier.
    try:
        sock = socket.create_server((host, port), reuse_port=False)
    except OSError as err:
        log.error("preferences_unavailable", host=host, port=port, error=str(err))
        return
    await serve_app(app, host, port, name="preferences", sock=sock)

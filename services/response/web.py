"""The response service's pages: members answer the roll-call, officers see the board and decide.

Served by the service's own app and reached through the console's origin (decision 0703):
`/respond/...` is public and guarded by the signed answer link; `/rollcall/...` needs the
officer identity the console forwards in a signed header.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from schemas.members import MemberDirectory, Sector
from schemas.responses import AnswerKind, AnswerVia, Programme
from services.common.console_identity import LAYOUTS, OFFICER_HEADER, OfficerIdentity, read_identity
from services.common.db import Transaction
from services.common.errors import StandbyError
from services.common.logs import get_logger
from services.common.members_file import MemberDirectoryFile
from services.common.reader_language import reader_language
from services.common.web_server import serve_app
from services.domain.answer_links import AnswerLinkRefusedError, AnswerLinkSigner, AnswerRefusal
from services.response import store
from services.response.export import board_csv, board_document
from services.response.handlers import AnswerForm, ResponseHandlers
from services.response.lifecycle import DecisionError, LifecycleError, ResponseState, allowed_moves
from services.response.maps import board_map
from services.response.models import RollCallRow
from services.response.naming import draft_names
from services.response.rollcall import (
    Board,
    answer_kinds_for,
    build_board,
    preselected_participants,
    timeline,
)
from services.response.words import words

log = get_logger(__name__)

_HERE = Path(__file__).resolve().parent


class OfficerRequiredError(StandbyError):
    """The page is for officers and the request did not come from a console session."""


class PageInsteadError(StandbyError):
    """A route's dependency found the request ends in this page (a refused link, a closed
    roll-call) instead of the route's own."""

    def __init__(self, page: Response) -> None:
        super().__init__(f"shown instead: {page.status_code}")
        self.page = page


class CsrfRefusedError(StandbyError):
    """A state-changing form came without the session's CSRF token."""


@dataclass
class WebDeps:
    handlers: ResponseHandlers
    signer: AnswerLinkSigner
    directory: MemberDirectoryFile
    transaction: Transaction
    identity_key: bytes | list[bytes]
    clock: Callable[[], datetime]
    timezone: str = "Asia/Tokyo"


def create_app(deps: WebDeps) -> FastAPI:
    """Assemble the roll-call pages."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.deps = deps
    templates = Jinja2Templates(directory=[_HERE / "templates", LAYOUTS])
    templates.env.autoescape = True
    app.state.templates = templates

    @app.exception_handler(OfficerRequiredError)
    async def to_login(request: Request, _: OfficerRequiredError) -> Response:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(PageInsteadError)
    async def page_instead(request: Request, err: PageInsteadError) -> Response:
        return err.page

    @app.exception_handler(CsrfRefusedError)
    async def csrf_refused(request: Request, _: CsrfRefusedError) -> Response:
        return _message(request, "csrf_failed", officer_language(request), status_code=403)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    _member_routes(app)
    _officer_routes(app)
    _decision_routes(app)
    _launch_route(app)
    _close_route(app)
    return app


# --- shared -----------------------------------------------------------------------------
def _deps(request: Request) -> WebDeps:
    deps: WebDeps = request.app.state.deps
    return deps


def _local_time(zone: str) -> Callable[[datetime | None], str]:
    """Show a moment in the configured time zone, named by its abbreviation (JST)."""
    tz = ZoneInfo(zone)

    def local(value: datetime | None) -> str:
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") if value else "—"

    return local


def _render(
    request: Request, name: str, language: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    deps = _deps(request)
    names = _names(deps.directory.current(), language)
    full = {
        "t": words(language),
        "lang": language,
        "local": _local_time(deps.timezone),
        # An organisation by its name in the reader's language, never its id (one that left
        # the directory keeps its id).
        "name": lambda org_id: names.get(org_id, org_id),
        "here": request.url.path,
        **context,
    }
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, name, full, status_code=status_code
    )
    response.headers["cache-control"] = "no-store"
    response.headers["referrer-policy"] = "no-referrer"
    response.headers["content-language"] = language
    return response


def _names(directory: MemberDirectory, language: str) -> dict[str, str]:
    """Each organisation's name in the reader's language, by id."""
    return {o.id: o.name_ja if language == "ja" else o.name_en for o in directory.organisations}


def _message(request: Request, key: str, language: str, *, status_code: int) -> HTMLResponse:
    return _render(request, "message.html", language, {"message_key": key}, status_code)


def officer_language(request: Request) -> str:
    identity = read_identity(_deps(request).identity_key, request.headers.get(OFFICER_HEADER))
    return identity.language if identity else "en"


def _int(value: Any, *, low: int = 0, high: int = 10**10) -> int | None:
    if value in (None, ""):
        return None
    number = int(str(value).replace(",", "").strip())
    if not low <= number <= high:
        raise ValueError(f"{number} is out of range")
    return number


def parse_answer(form: Any, allowed: list[AnswerKind]) -> AnswerForm:
    """Read an answer form; raise ValueError with what is wrong."""
    answer = AnswerKind(str(form.get("answer", "")))
    if answer not in allowed:
        raise ValueError(f"{answer.value} is not an answer for this organisation")
    note = str(form.get("note") or "").strip()[:2000] or None
    return AnswerForm(
        answer=answer,
        earliest_arrival_hours=_int(form.get("earliest_arrival_hours"), high=24 * 60),
        staff=_int(form.get("staff"), high=10_000),
        sectors=tuple(Sector(s) for s in form.getlist("sectors")),
        survey_budget_jpy=_int(form.get("survey_budget_jpy"), high=10_000_000_000),
        note=note,
    )


# --- members ------------------------------------------------------------------------------
def _not_answerable(
    request: Request, held: RollCallRow | None, language: str
) -> HTMLResponse | None:
    """The page for a response that takes no answer any more, or None when it does.

    A roll-call not opened yet takes answers: the member alert can arrive before this
    service has read the activation (two consumers of one topic), and a valid link's answer
    is held and attached when the roll-call opens.
    """
    if held is not None and not ResponseState(held.status).takes_answers:
        return _message(request, "closed", language, status_code=409)
    return None


async def _answer_context(
    request: Request, incident_id: str, organisation_id: str, token: str
) -> tuple[dict[str, Any], str]:
    """What the answer form shows, and in which language; a refused link or a roll-call that
    takes no answer now is its page instead (PageInsteadError)."""
    deps = _deps(request)
    org = next((o for o in deps.directory.current().organisations if o.id == organisation_id), None)
    try:
        grant = deps.signer.check(
            token,
            now=deps.clock(),
            incident_id=UUID(incident_id),
            organisation_id=organisation_id,
        )
        contacts = org.contacts if org is not None else []
        contact = next((c for c in contacts if c.id == grant.contact_id), None)
        if contact is None:
            # A link is not a credential of its own: whoever left the directory lost it.
            raise AnswerLinkRefusedError(AnswerRefusal.CONTACT_REMOVED)
    except (AnswerLinkRefusedError, ValueError) as err:
        reason = err.reason.value if isinstance(err, AnswerLinkRefusedError) else "forged"
        log.info("answer_link_refused", reason=reason, organisation=organisation_id)
        # Nobody is known yet: the link's own language, else the browser's.
        language = reader_language(
            request.query_params.get("lang"), request.headers.get("accept-language")
        )
        page = _message(request, f"refused_{reason}", language, status_code=403)
        raise PageInsteadError(page) from err
    # The link in a mail says the mail's language (a contact may read in another than the
    # directory's); without it, the directory's.
    asked = request.query_params.get("lang")
    language = asked if asked in ("ja", "en") else contact.language.value
    async with deps.transaction() as session:
        held = await store.rollcall(session, incident_id)
        latest = await store.latest_answer(session, incident_id, organisation_id)
    refused = _not_answerable(request, held, language)
    if refused is not None:
        raise PageInsteadError(refused)
    return {
        "org": org,
        "organisation_id": organisation_id,
        "contact": contact,
        "grant": grant,
        "summary": store.summary_of(held) if held is not None else None,
        "kinds": answer_kinds_for(org),
        "sectors": list(Sector),
        "latest": latest,
        "chosen": request.query_params.get("answer"),
    }, language


AnswerContext = Annotated[tuple[dict[str, Any], str], Depends(_answer_context)]


def _member_routes(app: FastAPI) -> None:
    path = "/respond/{incident_id}/{organisation_id}/{token}"

    @app.get(path, response_class=HTMLResponse)
    async def answer_form(request: Request, found: AnswerContext) -> Response:
        ctx, language = found
        return _render(request, "answer.html", language, ctx)

    @app.post(path, response_class=HTMLResponse)
    async def answer_post(
        request: Request, incident_id: str, organisation_id: str, found: AnswerContext
    ) -> Response:
        ctx, language = found
        form = await request.form()
        try:
            parsed = parse_answer(form, ctx["kinds"])
        except ValueError as err:
            return _render(
                request, "answer.html", language, ctx | {"error": str(err)}, status_code=422
            )
        try:
            await _deps(request).handlers.answer(
                incident_id,
                organisation_id,
                parsed,
                contact_id=ctx["grant"].contact_id,
                via=AnswerVia.LINK,
            )
        except DecisionError:
            return _message(request, "closed", language, status_code=409)
        return _render(request, "thanks.html", language, ctx | {"given": parsed})


# --- officers -----------------------------------------------------------------------------
def require_officer(request: Request) -> OfficerIdentity:
    identity = read_identity(_deps(request).identity_key, request.headers.get(OFFICER_HEADER))
    if identity is None:
        raise OfficerRequiredError("officer identity missing or invalid")
    return identity


OfficerDep = Annotated[OfficerIdentity, Depends(require_officer)]


def _check_csrf(identity: OfficerIdentity, form: Any) -> None:
    presented = str(form.get("csrf") or "")
    if not presented or not hmac.compare_digest(presented.encode(), identity.csrf.encode()):
        raise CsrfRefusedError("wrong CSRF token")


async def _officer_form(request: Request, officer: OfficerDep) -> FormData:
    """The posted form of a logged-in officer, once its CSRF token is checked."""
    form = await request.form()
    _check_csrf(officer, form)
    return form


OfficerForm = Annotated[FormData, Depends(_officer_form)]


async def load_board(deps: WebDeps, incident_id: str) -> tuple[Any, Board, list[Any]] | None:
    async with deps.transaction() as session:
        held = await store.rollcall(session, incident_id)
        if held is None:
            return None
        addressed = await store.addressed(session, incident_id)
        answers = await store.answers(session, incident_id)
        trail = list(await store.audit_trail(session, incident_id))
    board = build_board(store.summary_of(held), addressed, answers, deps.directory.current())
    return held, board, trail


def _officer_routes(app: FastAPI) -> None:
    @app.get("/rollcall", response_class=HTMLResponse)
    async def index(request: Request, officer: OfficerDep) -> Response:
        async with _deps(request).transaction() as session:
            rows = await store.rollcalls(session)
        calls = [(row, store.summary_of(row)) for row in rows]
        return _render(request, "index.html", officer.language, {"calls": calls, "me": officer})

    @app.get("/rollcall/{incident_id}", response_class=HTMLResponse)
    async def board_page(request: Request, incident_id: str, officer: OfficerDep) -> Response:
        deps = _deps(request)
        found = await load_board(deps, incident_id)
        if found is None:
            return _message(request, "closed", officer.language, status_code=404)
        held, board, trail = found
        latest = {r.organisation_id: r.latest for r in board.rows if r.latest}
        name_ja, name_en = draft_names(store.summary_of(held), ZoneInfo(deps.timezone))
        survey_orgs = [s["organisation_id"] for s in held.survey or []]
        return _render(
            request,
            "board.html",
            officer.language,
            {
                "held": held,
                "moves": [m.value for m in allowed_moves(ResponseState(held.status))],
                "timeline": timeline(trail),
                "summary": store.summary_of(held),
                "board": board,
                "drawn": board_map(
                    store.summary_of(held), board, deps.directory.current(), officer.language
                ),
                "trail": trail,
                "me": officer,
                "csrf": officer.csrf,
                "kinds": list(AnswerKind),
                "sectors": list(Sector),
                "willing": [r for r in board.rows if r.latest and r.latest.answer in _WILLING],
                "survey_cap": deps.handlers.settings.survey_budget_jpy,
                "name_ja": name_ja,
                "name_en": name_en,
                "months": deps.handlers.settings.programme_months,
                "preselected": preselected_participants(latest, survey_orgs),
            },
        )

    @app.get("/rollcall/{incident_id}/export.json")
    async def export_json(request: Request, incident_id: str, officer: OfficerDep) -> Response:
        found = await load_board(_deps(request), incident_id)
        if found is None:
            return JSONResponse({"detail": "no roll-call"}, status_code=404)
        held, board, trail = found
        return JSONResponse(
            board_document(held, board, trail),
            headers={"content-disposition": f'attachment; filename="rollcall-{incident_id}.json"'},
        )

    @app.get("/rollcall/{incident_id}/export.csv")
    async def export_csv(request: Request, incident_id: str, officer: OfficerDep) -> Response:
        found = await load_board(_deps(request), incident_id)
        if found is None:
            return Response("no roll-call\n", status_code=404, media_type="text/plain")
        held, board, _ = found
        return Response(
            board_csv(held, board),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="rollcall-{incident_id}.csv"'},
        )


def _decision_routes(app: FastAPI) -> None:
    @app.post("/rollcall/{incident_id}/phone", response_class=HTMLResponse)
    async def phone(
        request: Request, incident_id: str, officer: OfficerDep, form: OfficerForm
    ) -> Response:
        deps = _deps(request)
        organisation_id = str(form.get("organisation_id") or "")
        org = next(
            (o for o in deps.directory.current().organisations if o.id == organisation_id), None
        )
        if org is None:
            return _error(
                request, officer, incident_id, f"unknown organisation {organisation_id!r}"
            )
        try:
            parsed = parse_answer(form, list(AnswerKind))
            await deps.handlers.answer(
                incident_id,
                organisation_id,
                parsed,
                contact_id=None,
                via=AnswerVia.PHONE,
                officer_id=officer.officer_id,
            )
        except (ValueError, DecisionError) as err:
            return _error(request, officer, incident_id, str(err))
        return RedirectResponse(f"/rollcall/{incident_id}", status_code=303)

    @app.post("/rollcall/{incident_id}/survey", response_class=HTMLResponse)
    async def survey(
        request: Request, incident_id: str, officer: OfficerDep, form: OfficerForm
    ) -> Response:
        deps = _deps(request)
        if not form.getlist("organisations"):
            # Said at the review, before any confirm page, in the officer's language.
            return _error(request, officer, incident_id, _said(officer, "missing_organisations"))
        try:
            choices = {
                str(org): _int(form.get(f"budget_{org}"), low=1)
                or deps.handlers.settings.survey_budget_jpy
                for org in form.getlist("organisations")
            }
        except ValueError as err:
            return _error(request, officer, incident_id, str(err))
        return await _once_confirmed(
            request,
            officer,
            incident_id,
            form,
            ("confirm_survey.html", {"choices": choices}),
            lambda: deps.handlers.decide_survey(incident_id, choices, officer.officer_id),
        )


def _launch_route(app: FastAPI) -> None:
    @app.post("/rollcall/{incident_id}/launch", response_class=HTMLResponse)
    async def launch(
        request: Request, incident_id: str, officer: OfficerDep, form: OfficerForm
    ) -> Response:
        deps = _deps(request)
        if not form.getlist("participants"):
            return _error(request, officer, incident_id, _said(officer, "missing_participants"))
        if not (str(form.get("name_ja") or "").strip() and str(form.get("name_en") or "").strip()):
            return _error(request, officer, incident_id, _said(officer, "missing_names"))
        try:
            participants = [str(p) for p in form.getlist("participants")]
            budgets = {p: _int(form.get(f"budget_{p}"), low=1) for p in participants}
            programme = Programme(
                name_ja=str(form.get("name_ja") or ""),
                name_en=str(form.get("name_en") or ""),
                duration_months=_int(form.get("duration_months"), low=1, high=60)
                or deps.handlers.settings.programme_months,
                participants=participants,
                government_budget_jpy=_int(form.get("government_budget_jpy")) or 0,
                private_budget_jpy=_int(form.get("private_budget_jpy")) or 0,
                budgets_jpy={p: b for p, b in budgets.items() if b is not None},
            )
        except ValueError as err:
            return _error(request, officer, incident_id, str(err).splitlines()[0])
        return await _once_confirmed(
            request,
            officer,
            incident_id,
            form,
            ("confirm_launch.html", {"programme": programme}),
            lambda: deps.handlers.launch(incident_id, programme, officer.officer_id),
        )


def _close_route(app: FastAPI) -> None:
    @app.post("/rollcall/{incident_id}/close", response_class=HTMLResponse)
    async def close(
        request: Request, incident_id: str, officer: OfficerDep, form: OfficerForm
    ) -> Response:
        deps = _deps(request)
        return await _once_confirmed(
            request,
            officer,
            incident_id,
            form,
            ("confirm_close.html", {}),
            lambda: deps.handlers.close(incident_id, officer.officer_id),
        )


async def _once_confirmed(
    request: Request,
    officer: OfficerIdentity,
    incident_id: str,
    form: FormData,
    confirm: tuple[str, dict[str, Any]],
    decide: Callable[[], Awaitable[object]],
) -> Response:
    """Show the confirm page (template, what it shows) until the officer confirms; then take
    the decision and go back to the board, or say why it was refused."""
    if form.get("confirm") != "yes":
        template, shown = confirm
        context = {"incident_id": incident_id, **shown, "csrf": officer.csrf}
        return _render(request, template, officer.language, context)
    try:
        await decide()
    except DecisionError as err:
        return _error(request, officer, incident_id, _refusal(request, officer, err))
    return RedirectResponse(f"/rollcall/{incident_id}", status_code=303)


_WILLING = (AnswerKind.CAN_DEPLOY, AnswerKind.ON_SITE)


def _said(officer: OfficerIdentity, key: str) -> str:
    return words(officer.language)[key]


def _refusal(request: Request, officer: OfficerIdentity, err: DecisionError) -> str:
    """Why a decision was refused, in the officer's language, organisations by their names."""
    t = words(officer.language)
    if isinstance(err, LifecycleError):
        return t["refused_move"].format(state=t[f"status_{err.state.value}"])
    if err.word is None:
        return str(err)
    names = _names(_deps(request).directory.current(), officer.language)
    return t[err.word].format(
        names=("、" if officer.language == "ja" else ", ").join(
            names.get(o, o) for o in err.organisations
        ),
        cap=f"{err.cap_jpy:,}" if err.cap_jpy is not None else "",
    )


def _error(request: Request, officer: OfficerIdentity, incident_id: str, text: str) -> HTMLResponse:
    return _render(
        request,
        "message.html",
        officer.language,
        {"message_key": "error", "detail": text, "back": f"/rollcall/{incident_id}"},
        status_code=422,
    )


async def serve_web(app: FastAPI, host: str, port: int) -> None:
    """Serve the pages until cancelled, then shut uvicorn down gracefully."""
    await serve_app(app, host, port, name="response_web")

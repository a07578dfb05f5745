"""The officers' pages that only read: the roll-calls, one board, its exports."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from schemas.members import Sector
from schemas.responses import AnswerKind
from services.common.console_identity import OfficerIdentity
from services.response import store
from services.response.export import board_csv, board_document
from services.response.lifecycle import ResponseState, allowed_moves
from services.response.maps import board_map
from services.response.naming import draft_names
from services.response.rollcall import Board, build_board, preselected_participants, timeline
from services.response.web.auth import OfficerDep
from services.response.web.deps import WebDeps, deps_of, message, render

router = APIRouter(include_in_schema=False)

# The answers that offer people: those the survey and the launch choose from.
_WILLING = (AnswerKind.CAN_DEPLOY, AnswerKind.ON_SITE)


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


@router.get("/rollcall", response_class=HTMLResponse)
async def index(request: Request, officer: OfficerDep) -> Response:
    async with deps_of(request).transaction() as session:
        rows = await store.rollcalls(session)
    calls = [(row, store.summary_of(row)) for row in rows]
    return render(request, "index.html", officer.language, {"calls": calls, "me": officer})


@router.get("/rollcall/{incident_id}", response_class=HTMLResponse)
async def board_page(request: Request, incident_id: str, officer: OfficerDep) -> Response:
    deps = deps_of(request)
    found = await load_board(deps, incident_id)
    if found is None:
        return message(request, "closed", officer.language, status_code=404)
    context = _board_context(deps, officer, *found)
    return render(request, "board.html", officer.language, context)


def _board_context(
    deps: WebDeps, officer: OfficerIdentity, held: Any, board: Board, trail: list[Any]
) -> dict[str, Any]:
    """What the board shows: answers, timeline, map, and the decisions still open."""
    summary = store.summary_of(held)
    latest = {r.organisation_id: r.latest for r in board.rows if r.latest}
    name_ja, name_en = draft_names(summary, ZoneInfo(deps.timezone))
    survey_orgs = [s["organisation_id"] for s in held.survey or []]
    return {
        "held": held,
        "moves": [m.value for m in allowed_moves(ResponseState(held.status))],
        "timeline": timeline(trail),
        "summary": summary,
        "board": board,
        "drawn": board_map(summary, board, deps.directory.current(), officer.language),
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
    }


@router.get("/rollcall/{incident_id}/export.json")
async def export_json(request: Request, incident_id: str, officer: OfficerDep) -> Response:
    found = await load_board(deps_of(request), incident_id)
    if found is None:
        return JSONResponse({"detail": "no roll-call"}, status_code=404)
    held, board, trail = found
    return JSONResponse(
        board_document(held, board, trail),
        headers={"content-disposition": f'attachment; filename="rollcall-{incident_id}.json"'},
    )


@router.get("/rollcall/{incident_id}/export.csv")
async def export_csv(request: Request, incident_id: str, officer: OfficerDep) -> Response:
    found = await load_board(deps_of(request), incident_id)
    if found is None:
        return Response("no roll-call\n", status_code=404, media_type="text/plain")
    held, board, _ = found
    return Response(
        board_csv(held, board),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="rollcall-{incident_id}.csv"'},
    )

"""The officers' pages that only read: the roll-calls, one board, its exports."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from schemas.members import Sector
from schemas.responses import AnswerKind
from services.common.console_identity import OfficerIdentity
from services.response import store
from services.response.board_reads import BoardRead
from services.response.export import board_csv, board_document
from services.response.lifecycle import ResponseState, allowed_moves
from services.response.maps import board_map
from services.response.naming import draft_names
from services.response.rollcall import preselected_participants, timeline
from services.response.web.auth import OfficerDep
from services.response.web.deps import WebDeps, deps_of, message, render

router = APIRouter(include_in_schema=False)

_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d{1,4})\b", re.IGNORECASE)
# Below the console proxy's 30 s timeout, so a long poll through it ends as a 304, not a 503.
MAX_WAIT_S = 20.0

# The answers that offer people: those the survey and the launch choose from.
_WILLING = (AnswerKind.CAN_DEPLOY, AnswerKind.ON_SITE)


@router.get("/rollcall", response_class=HTMLResponse)
async def index(request: Request, officer: OfficerDep) -> Response:
    async with deps_of(request).reads() as session:
        rows = await store.rollcalls(session)
    calls = [(row, store.summary_of(row)) for row in rows]
    return render(request, "index.html", officer.language, {"calls": calls, "me": officer})


@router.get("/rollcall/{incident_id}", response_class=HTMLResponse)
async def board_page(request: Request, incident_id: str, officer: OfficerDep) -> Response:
    deps = deps_of(request)
    read = await deps.boards.read(incident_id, deps.directory.current())
    if read is None:
        return message(request, "closed", officer.language, status_code=404)
    context = _board_context(deps, officer, read)
    return render(request, "board.html", officer.language, context)


def _board_context(deps: WebDeps, officer: OfficerIdentity, read: BoardRead) -> dict[str, Any]:
    """What the board shows: answers, timeline, map, and the decisions still open."""
    held, board, trail = read.held, read.board, read.trail
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


def unchanged(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names `etag` (or any: `*`), weak or strong."""
    if not if_none_match:
        return False
    named = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in named or etag in named


def preferred_wait(prefer: str | None) -> float:
    """The seconds a `Prefer: wait=N` header asks to wait, at most MAX_WAIT_S; 0 without."""
    found = _WAIT.search(prefer or "")
    return min(float(found.group(1)), MAX_WAIT_S) if found else 0.0


@router.get("/rollcall/{incident_id}/export.json")
async def export_json(request: Request, incident_id: str, officer: OfficerDep) -> Response:
    deps = deps_of(request)
    tags = request.headers.get("if-none-match")
    # A reader holding a copy may ask to be answered when the board changes (RFC 7240,
    # `Prefer: wait=N`): unchanged since its copy, the answer is a 304 with no body.
    wait_s = preferred_wait(request.headers.get("prefer")) if tags else 0.0
    read = await deps.boards.changed(
        incident_id,
        deps.directory.current(),
        lambda etag: unchanged(tags, etag),
        wait_s,
        request.is_disconnected,
    )
    if read is None:
        return JSONResponse({"detail": "no roll-call"}, status_code=404)
    headers = {"etag": read.etag}
    if wait_s:
        headers["preference-applied"] = f"wait={wait_s:g}"
    if unchanged(tags, read.etag):
        return Response(status_code=304, headers=headers)
    headers["content-disposition"] = f'attachment; filename="rollcall-{incident_id}.json"'
    return JSONResponse(board_document(read.held, read.board, read.trail), headers=headers)


@router.get("/rollcall/{incident_id}/export.csv")
async def export_csv(request: Request, incident_id: str, officer: OfficerDep) -> Response:
    deps = deps_of(request)
    read = await deps.boards.read(incident_id, deps.directory.current())
    if read is None:
        return Response("no roll-call\n", status_code=404, media_type="text/plain")
    return Response(
        board_csv(read.held, read.board),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="rollcall-{incident_id}.csv"'},
    )

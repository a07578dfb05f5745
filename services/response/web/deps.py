"""What every response route depends on: the service's parts, and rendering in the reader's
language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from schemas.members import MemberDirectory
from services.common.console_identity import LAYOUTS
from services.common.db import Transaction
from services.common.members_file import MemberDirectoryFile
from services.common.settings import DEFAULT_TIMEZONE
from services.common.web_pages import page
from services.common.web_pages import templates as surface_templates
from services.domain.answer_links import AnswerLinkSigner
from services.response.board_reads import BoardReads
from services.response.handlers import ResponseHandlers
from services.response.words import words

_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@dataclass
class WebDeps:
    """What the pages need from the response service (built in its composition root)."""

    handlers: ResponseHandlers
    signer: AnswerLinkSigner
    directory: MemberDirectoryFile
    # Reads of one snapshot (`Database.snapshot`): every page and board only reads.
    reads: Transaction
    identity_key: bytes | list[bytes]
    clock: Callable[[], datetime]
    timezone: str = DEFAULT_TIMEZONE
    boards: BoardReads = field(init=False)

    def __post_init__(self) -> None:
        self.boards = BoardReads(self.reads)


def deps_of(request: Request) -> WebDeps:
    """Return the pages' dependencies (set on the app by `create_app`)."""
    deps: WebDeps = request.app.state.deps
    return deps


def templates() -> Jinja2Templates:
    """The response pages' templates, on the console's layout."""
    return surface_templates(_TEMPLATES, LAYOUTS)


def local_time(zone: str) -> Callable[[datetime | None], str]:
    """Show a moment in the configured time zone, named by its abbreviation (JST)."""
    tz = ZoneInfo(zone)

    def local(value: datetime | None) -> str:
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") if value else "—"

    return local


def names_of(directory: MemberDirectory, language: str) -> dict[str, str]:
    """Each organisation's name in the reader's language, by id."""
    return {o.id: o.name_ja if language == "ja" else o.name_en for o in directory.organisations}


def render(
    request: Request, name: str, language: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """Render a page in the reader's language, times in the configured zone."""
    deps = deps_of(request)
    names = names_of(deps.directory.current(), language)
    full = {
        "t": words(language),
        "lang": language,
        "local": local_time(deps.timezone),
        # An organisation by its name in the reader's language, never its id (one that left
        # the directory keeps its id).
        "name": lambda org_id: names.get(org_id, org_id),
        "here": request.url.path,
        **context,
    }
    response = page(request, name, full, status_code=status_code)
    response.headers["content-language"] = language
    return response


def message(request: Request, key: str, language: str, *, status_code: int) -> HTMLResponse:
    """A page that only says something (a closed roll-call, a refused link, an error)."""
    return render(request, "message.html", language, {"message_key": key}, status_code)

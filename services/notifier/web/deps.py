"""What every preference route depends on: the notifier's parts, and the page in the member's
language."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from schemas.base import utcnow
from schemas.hazards import HazardType
from schemas.members import Contact, Language, Organisation
from schemas.vocabulary import HAZARD_WORDS, LEVEL_WORDS
from services.common.db import Database
from services.common.members_file import MemberDirectoryFile
from services.common.settings import DEFAULT_TIMEZONE
from services.common.web_pages import page
from services.common.web_pages import templates as surface_templates
from services.notifier.preferences import PAUSE_DAYS, PreferenceLinks
from services.notifier.web.forms import DIGESTIBLE, LEVELS, ZONES
from services.notifier.web.words import WORDS
from services.notifier.wording import language_of

_TEMPLATES = Path(__file__).resolve().parent / "templates"


class LinkMailPort(Protocol):
    """Mail an address the links to its contacts' preference pages (`notifier/link_mail.py`)."""

    async def __call__(
        self, to: str, found: Sequence[tuple[Organisation, Contact]], language: Language
    ) -> None: ...


@dataclass
class PreferenceDeps:
    """What the preference page needs from the notifier's composition root."""

    db: Database
    links: PreferenceLinks
    directory: MemberDirectoryFile
    clock: Callable[[], datetime] = utcnow
    # None: the page still answers a request for a link, and nothing is mailed.
    link_mail: LinkMailPort | None = None
    # When each address was last mailed its link (monotonic seconds): see guard.may_mail.
    sent_at: dict[str, float] = field(default_factory=dict)
    # The platform's zone (settings.duty.timezone): what a contact who set none reads.
    timezone: str = DEFAULT_TIMEZONE


def deps_of(request: Request) -> PreferenceDeps:
    """Return the pages' dependencies (set on the app by `create_app`)."""
    deps: PreferenceDeps = request.app.state.deps
    return deps


def templates() -> Jinja2Templates:
    return surface_templates(_TEMPLATES)


def render(request: Request, token: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The preference page, with what it offers, in the reader's language."""
    # A contact's page speaks the contact's language; the pages without one (the way in
    # from a mail's footer) the language the link asks for.
    language = language_of(context.pop("lang", None) or request.query_params.get("lang"))
    full = {
        "lang": language.value,
        "w": WORDS[language],
        "token": token,
        "levels": [(lv.value, LEVEL_WORDS[language][lv]) for lv in LEVELS],
        "hazards": [(h.value, HAZARD_WORDS[language][h]) for h in HazardType],
        "pause_days": PAUSE_DAYS,
        "digestible": [(lv.value, LEVEL_WORDS[language][lv]) for lv in DIGESTIBLE],
        "zones": ZONES,
        "languages": [("ja", "日本語"), ("en", "English")],
        **context,
    }
    return page(request, "preferences.html.j2", full, status_code=status)

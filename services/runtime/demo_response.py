"""The demo's roll-call part: the plans matched to its activations, and one member answering."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import httpx
from sqlalchemy.exc import SQLAlchemyError

from schemas.activations import Activation, Level
from services.common.members_file import load_member_directory
from services.common.settings import Settings
from services.domain.plans import match_incident
from services.runtime.supervisor import mail_files

_LINK = re.compile(r"(https?://\S+/respond/\S+)\?answer=can_deploy")


def plan_lines(activations: list[Activation], members_file: Path) -> list[str]:
    """Name each organisation's standby plans and nearest stock that match each activation."""
    directory = load_member_directory(members_file)
    lines = []
    for a in activations:
        if a.level < Level.STANDBY:
            continue
        s = a.summary
        matches = match_incident(directory, s.hazard_type, s.countries, s.lat, s.lon)
        for org_id, match in matches.items():
            for plan in match.plans:
                stock = match.stock[0].supply if match.stock else None
                nearest = (
                    f"; nearest stock {stock.item} ×{stock.quantity:,} at {stock.place}"
                    if stock
                    else ""
                )
                lines.append(
                    f"  - plan match [{s.hazard_type.value} {','.join(s.countries)}] {org_id}: {plan.title_en}{nearest}"
                )
    return lines


def _answer_link(mail_dir: Path) -> str | None:
    for path in mail_files(mail_dir):
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        if not isinstance(mail, EmailMessage):
            continue
        body = mail.get_body(preferencelist=("plain",))
        found = _LINK.search(str(body.get_content())) if body is not None else None
        if found:
            return found.group(1)
    return None


async def answers_kept(settings: Settings) -> int:
    """Count the answers the response service keeps, in its database (SQLite or PostgreSQL)."""
    from sqlalchemy import text

    from services.common.db import Database

    db = Database(
        settings.database_url_for("response"),
        "response",
        schema=settings.database_schema_for("response"),
    )
    try:
        async with db.sessions() as session:
            return int(
                (await session.execute(text("SELECT count(*) FROM rc_answers"))).scalar_one()
            )
    finally:
        await db.dispose()


async def simulate_answer(mail_dir: Path, settings: Settings) -> str:
    """Open a member's answer link from its mail, as the member would, and answer 'can deploy'."""
    link = _answer_link(mail_dir)
    if link is None:
        return "  - no member mail with an answer link"
    organisation = link.split("/respond/", 1)[1].split("/")[1]
    try:
        async with httpx.AsyncClient(timeout=10) as member:
            form = await member.get(link + "?answer=can_deploy")
            posted = await member.post(
                link, data={"answer": "can_deploy", "staff": "6", "earliest_arrival_hours": "48"}
            )
        kept = await answers_kept(settings)
    except (httpx.HTTPError, SQLAlchemyError) as err:
        return f"  - the simulated answer failed: {err}"
    return (
        f"  - {organisation} opened its link (GET {form.status_code}: the form, nothing recorded)"
        f" and answered 'can deploy' (POST {posted.status_code}); answers kept: {kept}"
    )

"""The demo's programme: members answer, the officer decides the survey and launches the
programme from the console (the board's one launch), and the demo prints who was told what,
read back from the mails the members received and the public CAP feed."""

from __future__ import annotations

import asyncio
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import feedparser
import httpx
import yaml

from schemas.members import Language, MemberDirectory, OrganisationKind
from schemas.responses import AnswerKind
from schemas.vocabulary import ANSWER_WORDS, NOTICE_WORDS, Notice
from services.common.members_file import load_member_directory
from services.common.production import DEMO_PASSWORDS, known_password
from services.common.settings import Settings
from services.runtime.supervisor import mail_files

_LINK = re.compile(r"(https?://\S+/respond/(\S+?)/(\S+?)/\S+?)\?answer=")
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_DRAFT = re.compile(r'name="name_(ja|en)" value="([^"]*)"')
# What a launch tells: the words of the notices' subjects (docs/vocabulary.md).
# The subject word of the mail that tells a participant to deploy, in either language.
_DEPLOY = frozenset(words[Notice.LAUNCHED] for words in NOTICE_WORDS.values())


def _mails(mail_dir: Path) -> list[tuple[Path, EmailMessage]]:
    found = []
    for path in mail_files(mail_dir):
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        if isinstance(mail, EmailMessage):
            found.append((path, mail))
    return found


def _links(mail_dir: Path) -> list[tuple[str, str, str]]:
    """Every answer link of the mails, in mail order: (url, incident, organisation)."""
    found = []
    for _, mail in _mails(mail_dir):
        body = mail.get_body(preferencelist=("plain",))
        found += _LINK.findall(str(body.get_content()) if body else "")
    return found


def _answers(directory: MemberDirectory, orgs: list[str], first: str) -> dict[str, str]:
    """Who says what: the first NGO can deploy (the demo's answer), the next NGO not this
    time, a company offers support; the observer is asked nothing."""
    kinds = {o.id: o.kind for o in directory.organisations}
    said = {first: "can_deploy"}
    for org in orgs:
        if org in said:
            continue
        if kinds.get(org) is OrganisationKind.BUSINESS and "offer_support" not in said.values():
            said[org] = "offer_support"
        elif kinds.get(org) is OrganisationKind.NGO and "not_this_time" not in said.values():
            said[org] = "not_this_time"
    return said


async def run_programme(
    mail_dir: Path, settings: Settings, console: str, members_file: Path
) -> list[str]:
    """Acknowledge, answer, decide, launch once; return the lines that say what really
    happened, read back from the board's export (the response database), duty's API, the CAP
    feed and the mails in the sink."""
    directory = load_member_directory(members_file)
    kinds = {o.id: o.kind for o in directory.organisations}
    by_incident: dict[str, dict[str, str]] = {}
    for url, linked, org in _links(mail_dir):
        by_incident.setdefault(linked, {}).setdefault(org, url)
    if not by_incident:
        return ["  - no answer link for the programme"]
    # The incident that asked the most organisations; its first NGO can deploy.
    incident, links = max(by_incident.items(), key=lambda item: len(item[1]))
    first = next((o for o in links if kinds.get(o) is OrganisationKind.NGO), None)
    if first is None:
        return ["  - no NGO was asked about the programme's incident"]
    officer = demo_officer(settings)
    if officer is None:
        # A rota of one's own: the demo cannot act as its officers, and must not guess at
        # their passwords (each failure is a security event on the console).
        return ["  - no officer of the rota logs in with the demo password: the response is theirs"]
    try:
        return await _respond(mail_dir, directory, console, officer, incident, links, first)
    except httpx.HTTPError as err:
        # The system runs on: a console too slow to answer ends the demo's story, not the demo.
        return [f"  - the response stopped: the console did not answer ({err!r})"]


async def _respond(
    mail_dir: Path,
    directory: MemberDirectory,
    console: str,
    officer: str,
    incident: str,
    links: dict[str, str],
    first: str,
) -> list[str]:
    """Act on the incident as its officer and members would, then read back what happened."""
    board_url = f"/rollcall/{incident}"
    async with httpx.AsyncClient(base_url=console, timeout=15) as browser:
        await _log_in(browser, officer)
        listed = await browser.get("/api/v1/activations")
        if listed.status_code != 200:
            return [f"  - {officer} could not use the console (GET {listed.status_code})"]
        shown = next((a for a in listed.json() if a["incident_id"] == incident), None)
        if shown is None:
            return ["  - the console lists no activation of the incident"]
        lines = [await _acknowledge(browser, officer, shown["activation_id"])]
        lines.append(await _answer(links, _answers(directory, sorted(links), first)))
        board = await _board(browser, board_url)
        csrf = _CSRF.search(board.text).group(1)  # type: ignore[union-attr]
        survey = await browser.post(
            f"{board_url}/survey", data={"csrf": csrf, "organisations": [first], "confirm": "yes"}
        )
        lines.append(f"  - {officer} decided the initial survey (POST {survey.status_code})")
        lines.append(
            await _launch(browser, officer, shown["activation_id"], board_url, board.text, first)
        )
        await _mailed(mail_dir)
        export = (await browser.get(f"{board_url}/export.json")).json()
        detail = (await browser.get(f"/api/v1/activations/{shown['activation_id']}")).json()
        feed = feedparser.parse((await browser.get("/cap/feed.atom")).content)
    lines += board_lines(export)
    lines.append(f"  - duty (its API) shows the activation as '{detail['state']}'")
    if feed.entries:
        lines.append(
            f"  - CAP feed, newest: {feed.entries[0].get('category')}: {feed.entries[0].title}"
        )
    return lines + told(mail_dir, directory, incident, export)


async def _acknowledge(browser: httpx.AsyncClient, officer: str, activation_id: str) -> str:
    """Acknowledge the page on the console, as the officer paged for it would first."""
    csrf = (await browser.get("/api/v1/me")).json()["csrf_token"]
    done = await browser.post(f"/activations/{activation_id}/acknowledge", data={"csrf": csrf})
    return f"  - {officer} acknowledged the page on the console (POST {done.status_code})"


async def _answer(links: dict[str, str], said: dict[str, str]) -> str:
    """Each member answers through its mail's link; the first opens the form first (a GET,
    as a mail scanner or the member would: nothing is recorded)."""
    codes: list[str] = []
    async with httpx.AsyncClient(timeout=15) as member:
        for org, answer in said.items():
            if not codes:
                opened = await member.get(f"{links[org]}?answer={answer}")
                codes.append(f"{org} GET {opened.status_code}")
            posted = await member.post(links[org], data={"answer": answer, "staff": "6"})
            codes.append(f"{org} POST {posted.status_code}")
    return f"  - members answered through their mail links: {', '.join(codes)}"


async def _launch(
    browser: httpx.AsyncClient,
    officer: str,
    activation_id: str,
    board_url: str,
    board: str,
    first: str,
) -> str:
    """Press the console's Launch, launch the drafted programme once; say what happened."""
    csrf = _CSRF.search(board).group(1)  # type: ignore[union-attr]
    to_board = await browser.get(f"/activations/{activation_id}/launch/confirm")
    names = dict(_DRAFT.findall(board))
    launch = await browser.post(
        f"{board_url}/launch",
        data={
            "csrf": csrf,
            "name_ja": names.get("ja", ""),
            "name_en": names.get("en", ""),
            "duration_months": "6",
            "participants": [first],
            f"budget_{first}": "50000000",
            "government_budget_jpy": "300000000",
            "private_budget_jpy": "0",
            "confirm": "yes",
        },
    )
    return (
        f"  - {officer} pressed the console's Launch ({to_board.status_code} → "
        f"{to_board.headers.get('location', '?')}) and launched the programme once "
        f"(POST {launch.status_code})"
    )


def board_lines(export: dict[str, Any]) -> list[str]:
    """What the roll-call board holds (its export, read from the response database): each
    organisation's latest answer, the survey and the programme."""
    lines = ["  on the board (its export, from the response database):"]
    for row in export["organisations"]:
        name = f"{row['organisation_id']} ({row['kind'] or '?'})"
        if row["answer"]:
            said = ANSWER_WORDS[Language.EN][AnswerKind(row["answer"])]
            lines.append(f"    {name}: {said}, by {row['via']}")
        elif row["kind"] == OrganisationKind.GOVERNMENT.value:
            lines.append(f"    {name}: observer, told and not asked")
        else:
            lines.append(f"    {name}: no answer")
    for chosen in export["survey"] or []:
        lines.append(
            f"    initial survey: {chosen['organisation_id']}, cap ¥{chosen['budget_jpy']:,}"
        )
    programme = export["programme"]
    if programme:
        lines.append(
            f"    programme '{programme['name_en']}' ({export['status']}), participants: "
            + ", ".join(programme["participants"])
        )
    return lines


async def _log_in(browser: httpx.AsyncClient, officer: str) -> None:
    login = await browser.get("/login")
    await browser.post(
        "/login",
        data={
            "officer_id": officer,
            "password": DEMO_PASSWORDS[0],
            "csrf": _CSRF.search(login.text).group(1),  # type: ignore[union-attr]
        },
    )


def demo_officer(settings: Settings) -> str | None:
    """The rota's first officer who logs in with the demo password (every one of the example
    rota does), if any."""
    rota = yaml.safe_load(settings.duty.rota_file.read_text(encoding="utf-8"))
    return next(
        (
            str(officer["id"])
            for officer in rota["officers"]
            if known_password(str(officer.get("password_hash") or ""))
        ),
        None,
    )


async def _mailed(mail_dir: Path) -> None:
    """Wait for the participant's deploy mail (duty follows the launch meanwhile)."""
    for _ in range(40):
        await asyncio.sleep(0.5)
        if any(w in str(m["Subject"]) for _, m in _mails(mail_dir) for w in _DEPLOY):
            break
    await asyncio.sleep(2)  # the others' notices go out beside the participant's


async def _board(browser: httpx.AsyncClient, url: str) -> httpx.Response:
    for _ in range(40):
        page = await browser.get(url)
        if page.status_code == 200:
            return page
        await asyncio.sleep(0.5)
    return page


def _about(mail: EmailMessage, incident: str, title: str) -> bool:
    """Whether a mail is about the incident: an alert with its answer links, or a notice
    under the roll-call's title."""
    if title in str(mail["Subject"]):
        return True
    body = mail.get_body(preferencelist=("plain",))
    return body is not None and f"/respond/{incident}/" in str(body.get_content())


def told(
    mail_dir: Path, directory: MemberDirectory, incident: str, export: dict[str, Any]
) -> list[str]:
    """Who was told what about the incident, contact by contact, from the mails in the sink
    (the word of each subject: alert level, survey, deploy, programme)."""
    by_address = {
        c.email: f"{o.id}/{c.id}" for o in directory.organisations for c in o.contacts if c.email
    }
    title = str(export["summary"]["title"])
    said: dict[str, list[str]] = {}
    for _, mail in _mails(mail_dir):
        contact = by_address.get(str(mail["To"].addresses[0].addr_spec)) if mail["To"] else None
        if contact is not None and _about(mail, incident, title):
            word = str(mail["Subject"]).split(" | ")[0].removeprefix("[standby] ")
            said.setdefault(contact, []).append(word)
    deploy = sorted({c.split("/")[0] for c, words in said.items() if set(words) & _DEPLOY})
    lines = ["  who was told what about it (the mails in the sink, contact by contact):"]
    lines += [f"    {contact}: {', '.join(words)}" for contact, words in sorted(said.items())]
    lines.append(f"  told to deploy: {', '.join(deploy) or 'nobody'}")
    return lines

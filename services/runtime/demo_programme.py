"""The demo's programme: members answer, the officer decides the survey and launches the
programme from the console (the board's one launch), and the demo prints who was told what,
read back from the mails the members received and the public CAP feed."""

from __future__ import annotations

import asyncio
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import feedparser
import httpx
import yaml

from schemas.members import MemberDirectory, OrganisationKind
from services.common.config_files import load_yaml_model
from services.common.production import DEMO_PASSWORDS
from services.common.settings import Settings
from services.runtime.supervisor import mail_files

_LINK = re.compile(r"(https?://\S+/respond/(\S+?)/(\S+?)/\S+?)\?answer=")
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_DRAFT = re.compile(r'name="name_(ja|en)" value="([^"]*)"')
# What a launch tells: the words of the notices' subjects (docs/vocabulary.md).
_TOLD = ("DEPLOY", "派遣開始", "Programme launched", "支援プログラム立ち上げ")


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
    """Answer, decide, launch once; return the lines that say what really happened."""
    directory = load_yaml_model(members_file, MemberDirectory)
    kinds = {o.id: o.kind for o in directory.organisations}
    found = _links(mail_dir)
    by_incident: dict[str, dict[str, str]] = {}
    for url, linked, org in found:
        by_incident.setdefault(linked, {}).setdefault(org, url)
    if not by_incident:
        return ["  - no answer link for the programme"]
    # The incident that asked the most organisations; its first NGO can deploy.
    incident, links = max(by_incident.items(), key=lambda item: len(item[1]))
    first = next((o for o in links if kinds.get(o) is OrganisationKind.NGO), None)
    if first is None:
        return ["  - no NGO was asked about the programme's incident"]
    lines = []
    async with httpx.AsyncClient(timeout=15) as member:
        for org, answer in _answers(directory, sorted(links), first).items():
            posted = await member.post(links[org], data={"answer": answer, "staff": "6"})
            lines.append(f"  - {org} answered '{answer}' (POST {posted.status_code})")
    officer = directory_officer(settings)
    async with httpx.AsyncClient(base_url=console, timeout=15) as browser:
        await _log_in(browser, officer)
        board_url = f"/rollcall/{incident}"
        board = await _board(browser, board_url)
        csrf = _CSRF.search(board.text).group(1)  # type: ignore[union-attr]
        survey = await browser.post(
            f"{board_url}/survey",
            data={"csrf": csrf, "organisations": [first], "confirm": "yes"},
        )
        lines.append(
            f"  - {officer} decided the initial survey: {first} (POST {survey.status_code})"
        )
        activations = (await browser.get("/api/v1/activations")).json()
        shown = next(a for a in activations if a["incident_id"] == incident)
        acknowledged = await browser.post(
            f"/activations/{shown['activation_id']}/acknowledge", data={"csrf": csrf}
        )
        lines.append(f"  - {officer} acknowledged the page (POST {acknowledged.status_code})")
        lines.append(
            await _launch(browser, officer, shown["activation_id"], board_url, board.text, first)
        )
        await _mailed(mail_dir)
        detail = (await browser.get(f"/api/v1/activations/{shown['activation_id']}")).json()
        feed = feedparser.parse((await browser.get("/cap/feed.atom")).content)
    lines.append(f"  - duty shows the activation as '{detail['state']}'")
    if feed.entries:
        lines.append(
            f"  - CAP feed, newest: {feed.entries[0].get('category')}: {feed.entries[0].title}"
        )
    lines += told(mail_dir, directory)
    return lines


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
        f"{to_board.headers.get('location', '?')}) and launched '{names.get('en')}' once "
        f"(POST {launch.status_code})"
    )


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


def directory_officer(settings: Settings) -> str:
    """The example rota's first officer (every one logs in with the demo password)."""
    rota = yaml.safe_load(settings.duty.rota_file.read_text(encoding="utf-8"))
    return str(rota["officers"][0]["id"])


async def _mailed(mail_dir: Path) -> None:
    """Wait for the participant's deploy mail (duty follows the launch meanwhile)."""
    for _ in range(40):
        await asyncio.sleep(0.5)
        if any(w in str(m["Subject"]) for _, m in _mails(mail_dir) for w in _TOLD[:2]):
            break
    await asyncio.sleep(2)  # the others' notices go out beside the participant's


async def _board(browser: httpx.AsyncClient, url: str) -> httpx.Response:
    for _ in range(40):
        page = await browser.get(url)
        if page.status_code == 200:
            return page
        await asyncio.sleep(0.5)
    return page


def told(mail_dir: Path, directory: MemberDirectory) -> list[str]:
    """Who was told what at the launch, by organisation, from the mails they received."""
    by_address = {c.email: o.id for o in directory.organisations for c in o.contacts if c.email}
    said: dict[str, set[str]] = {}
    for _, mail in _mails(mail_dir):
        subject = str(mail["Subject"])
        word = next((w for w in _TOLD if w in subject), None)
        org = by_address.get(str(mail["To"].addresses[0].addr_spec)) if mail["To"] else None
        if word and org:
            said.setdefault(org, set()).add(word)
    lines = ["  told at the launch:"]
    for org in sorted(o.id for o in directory.organisations):
        words = ", ".join(sorted(said.get(org, ()))) or "nothing (not this time, or not alerted)"
        lines.append(f"    {org}: {words}")
    return lines

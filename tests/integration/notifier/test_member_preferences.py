"""Mail a member can manage: List-Unsubscribe (one click), a signed preference page, Reply-To."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from datetime import time
from pathlib import Path

import httpx
from fastapi import FastAPI

from schemas.activations import Level
from services.common.db import Database
from services.common.members_file import MemberDirectoryFile
from services.notifier.main import Notifier
from services.notifier.preference_store import preference_of
from services.notifier.preferences import PreferenceLinks
from services.notifier.web.app import PreferenceDeps, create_app
from tests.integration.notifier.harness import (
    activation,
    all_sent,
    contact,
    directory_yaml,
    mailing_notifier,
    until,
)
from tests.integration.notifier.smtp_servers import Behaviours

SERVICE = "notifier"
PUBLIC = "http://prefs.test"
CONTACTS = [
    contact("ken", "ja"),
    contact("amy", "en"),
]


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC)


def _unsubscribe_url(header: str) -> str:
    found = re.fullmatch(r"<(http://prefs\.test/m/[^>]+/unsubscribe)>", header)
    assert found, header
    return found.group(1).removeprefix(PUBLIC)


@contextlib.asynccontextmanager
async def _both_contacts_alerted(
    tmp_path: Path, database: Database
) -> AsyncIterator[tuple[Notifier, Behaviours]]:
    """Run the notifier for both contacts and wait until the first alert has reached them."""
    async with mailing_notifier(
        tmp_path, database, directory_yaml(CONTACTS), public_url=PUBLIC
    ) as (notifier, server):
        await notifier.handlers.on_activation(activation())
        await until(lambda: all_sent(database, 2), what="the first alerts")
        yield notifier, server


async def test_one_click_unsubscribe_stops_the_next_alert_for_that_contact_only(
    tmp_path: Path, database: Database
) -> None:
    async with _both_contacts_alerted(tmp_path, database) as (notifier, server):
        (ken,) = server.messages_to("ken@members.example.jp")
        (amy,) = server.messages_to("amy@members.example.org")
        assert ken["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert str(ken["Reply-To"]) == "desk@example.jp"  # the directory's secretariat
        ken_url = _unsubscribe_url(str(ken["List-Unsubscribe"]))
        assert ken_url != _unsubscribe_url(str(amy["List-Unsubscribe"]))

        async with _client(notifier.preferences) as web:
            # A scanner's GET changes nothing; the RFC 8058 POST does.
            shown = await web.get(ken_url)
            assert shown.status_code == 200 and 'data-testid="unsubscribe"' in shown.text
            assert "Person ken" in shown.text and "standby からのメール設定" in shown.text
            done = await web.post(ken_url, data={"List-Unsubscribe": "One-Click"})
            assert done.status_code == 200 and 'data-key="stopped"' in done.text
            forged = await web.post(ken_url.replace("/m/", "/m/x"), data={})
            assert forged.status_code == 404

        await notifier.handlers.on_activation(activation())
        await until(lambda: all_sent(database, 3), what="the second alert")
    assert server.accepted["ken@members.example.jp"] == 1
    assert server.accepted["amy@members.example.org"] == 2


async def test_the_preference_page_narrows_levels_and_switches_the_language(
    tmp_path: Path, database: Database
) -> None:
    async with mailing_notifier(
        tmp_path,
        database,
        directory_yaml(CONTACTS[:1]),
        public_url=PUBLIC,
        reply_to="secretariat@platform.example.jp",
    ) as (notifier, server):
        await notifier.handlers.on_activation(activation(Level.STANDBY))
        await until(lambda: all_sent(database, 1), what="the standby alert")
        (first,) = server.messages_to("ken@members.example.jp")
        assert str(first["Reply-To"]) == "secretariat@platform.example.jp"
        page = _unsubscribe_url(str(first["List-Unsubscribe"])).removesuffix("/unsubscribe")
        async with _client(notifier.preferences) as web:
            bad = await web.post(page, data={"levels": "activate", "countries": "PHI"})
            assert bad.status_code == 400 and 'data-key="unknown_country_hint"' in bad.text
            assert "「PHI」という国は見つかりません。フィリピン (PHL) のことですか？" in bad.text
            # The refused form comes back as sent: the typo is there to be corrected.
            assert 'value="PHI"' in bad.text
            silent = await web.post(page, data={"hazards": "EQ"})
            assert silent.status_code == 400 and 'data-key="no_levels"' in silent.text
            assert 'data-testid="confirm-no-levels"' in silent.text
            saved = await web.post(
                page,
                data={
                    "levels": "activate",
                    "hazards": ["EQ", "TC"],
                    "language": "en",
                    "pause": "0",
                },
            )
            assert saved.status_code == 200 and 'data-key="saved"' in saved.text
            assert "Your standby mail" in saved.text  # the page now speaks English too

        await notifier.handlers.on_activation(activation(Level.STANDBY))
        await notifier.handlers.on_activation(activation(Level.ACTIVATE))
        await until(lambda: all_sent(database, 2), what="only the activate alert")
    first_again, second = server.messages_to("ken@members.example.jp")
    assert first_again["Message-ID"] == first["Message-ID"]
    assert str(second["Subject"]).startswith("[standby] ACTIVATE | EQ | PHL")


async def test_any_member_mail_leads_to_a_form_that_mails_the_member_their_own_link(
    tmp_path: Path, database: Database
) -> None:
    async with _both_contacts_alerted(tmp_path, database) as (notifier, server):
        (alert,) = server.messages_to("amy@members.example.org")
        body = alert.get_body(("plain",))
        assert body is not None
        assert f"Choose what you receive, or stop it: {PUBLIC}/m" in body.get_content()

        async with _client(notifier.preferences) as web:
            form = await web.get("/m?lang=ja")
            assert form.status_code == 200 and 'data-testid="request-link"' in form.text
            answers = [
                await web.post("/m", data={"email": email})
                for email in (
                    "Amy@Members.Example.org",
                    "nobody@example.org",
                    "amy@members.example.org",
                )
            ]
            # The same answer for a known and an unknown address; one mail, not two.
            assert {a.status_code for a in answers} == {200}
            assert len({a.text for a in answers}) == 1
            await until(
                lambda: len(server.messages_to("amy@members.example.org")) == 2,
                what="the link mail",
            )
            link_mail = server.messages_to("amy@members.example.org")[1]
            assert str(link_mail["Subject"]) == "[standby] Your preferences page"
            text = link_mail.get_body(("plain",))
            assert text is not None
            (link,) = re.findall(r"http://prefs\.test/m/\S+", text.get_content())
            page = await web.get(link.removeprefix(PUBLIC))
            assert page.status_code == 200 and "Person amy" in page.text
    assert server.accepted["nobody@example.org"] == 0
    assert server.accepted["amy@members.example.org"] == 2


def _one_contact(tmp_path: Path, database: Database) -> tuple[FastAPI, PreferenceLinks]:
    """The preference pages of a directory with one contact (ken), and their links."""
    members = tmp_path / "members.yaml"
    members.write_text(directory_yaml(CONTACTS[:1]), encoding="utf-8")
    links = PreferenceLinks("q" * 40, PUBLIC)
    app = create_app(
        PreferenceDeps(db=database, links=links, directory=MemberDirectoryFile(members))
    )
    return app, links


async def test_the_page_saves_quiet_hours_and_a_digest_and_refuses_an_unknown_zone(
    tmp_path: Path, database: Database
) -> None:
    app, links = _one_contact(tmp_path, database)
    page = links.page_url("org-ken", "ken", CONTACTS[0][2]).removeprefix(PUBLIC)
    form = {
        "levels": ["standby", "activate"],
        "mode_watch": "now",
        "mode_standby": "digest",
        "digest_at": "07:30",
        "quiet_start": "22:00",
        "quiet_end": "06:00",
    }
    async with _client(app) as web:
        shown = await web.get(page)
        assert 'data-testid="digest-standby"' in shown.text and 'value="Asia/Tokyo"' in shown.text
        refused = await web.post(page, data=form | {"time_zone": "Asia/Manilla"})
        assert refused.status_code == 400 and 'data-key="unknown_zone"' in refused.text
        assert 'value="07:30"' in refused.text  # what was typed comes back
        saved = await web.post(page, data=form | {"time_zone": "Asia/Manila"})
        assert saved.status_code == 200 and 'data-key="saved"' in saved.text
    async with database.sessions() as session:
        stored = await preference_of(session, "org-ken", "ken")
    assert stored is not None
    assert stored.digest_levels == {Level.STANDBY} and stored.digest_at == time(7, 30)
    assert (stored.quiet_start, stored.quiet_end) == (time(22), time(6))
    assert stored.time_zone == "Asia/Manila"


async def test_a_link_mailed_to_an_address_the_contact_no_longer_has_is_refused(
    tmp_path: Path, database: Database
) -> None:
    app, links = _one_contact(tmp_path, database)
    current = links.page_url("org-ken", "ken", CONTACTS[0][2]).removeprefix(PUBLIC)
    old = links.page_url("org-ken", "ken", "ken@old-provider.example.jp").removeprefix(PUBLIC)
    async with _client(app) as web:
        opened = await web.get(current)
        refused = await web.get(old)
        unsubscribe = await web.post(old + "/unsubscribe")
    assert opened.status_code == 200
    assert refused.status_code == 404 and 'data-key="refused"' in refused.text
    assert unsubscribe.status_code == 404
    async with database.sessions() as session:
        assert await preference_of(session, "org-ken", "ken") is None

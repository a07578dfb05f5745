"""The whole system as processes: a red quake pages the on-duty officer, the page mail's link
acknowledges (only after its confirm page), and a launch from the console tells members to deploy.

It runs with the retention schedule at seconds: every table that traffic fills is pruned while
the page, the acknowledgement and the launch go through, and nothing in flight is lost.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import capvalidator
import feedparser
import httpx
import pytest

from services.runtime.scenario import red_earthquake
from tests.e2e.system import (
    LEE,
    YAMADA,
    System,
    fed_system,
    gdacs_feed,
    members,
    recipient,
    text_of,
    watched,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.broker

DEMO_PASSWORD = "standby-demo"  # the example rota's console password
MEMBERS = members(YAMADA, LEE)
INTERNAL_NOTE = "internal: observer not told yet"
MEMBER_ADDRESSES = {"yamada@everything.example.jp", "lee@everything.example.org"}
# Threads keep their default: the deploy notice must still reply to the alert.
SHORT_RETENTION = {
    "STANDBY_RETENTION__INTERVAL_S": "1",
    "STANDBY_KAFKA__REPLAY_WINDOW_S": "2",
    **{
        f"STANDBY_RETENTION__{name}": "PT2S"
        for name in (
            "DELIVERIES",
            "SECURITY_EVENTS",
            "ROLLCALL_AUDIT",
            "INBOX",
            "OUTBOX_PUBLISHED",
            "SEEN_EVENTS",
        )
    },
}
PRUNED = {
    "ingester": {"ingester_seen_events", "outbox"},
    "triage": {"inbox", "outbox"},
    "notifier": {"deliveries", "inbox", "outbox"},
    "duty": {"duty_deliveries", "duty_security_events", "duty_rollcall_steps", "inbox", "outbox"},
    "response": {"rc_audit", "inbox", "outbox"},
}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def pruned(system: System) -> dict[str, set[str]]:
    """The tables each service has pruned rows of, from its `/metrics`."""
    found: dict[str, set[str]] = {}
    for service, port in system.metrics_ports.items():
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        found[service] = {
            m.group(1)
            for m in re.finditer(
                r'^standby_retention_pruned_total\{table="([^"]+)"\} (\S+)', text, re.M
            )
            if float(m.group(2)) > 0
        }
    return found


def duty_state(system: System) -> list[tuple[str, str | None]]:
    with sqlite3.connect(system.var_dir / "duty.db") as db:
        return db.execute("SELECT state, acknowledged_by FROM duty_activations").fetchall()


def test_a_page_is_acknowledged_from_its_mail_and_a_launch_tells_members_to_deploy(
    tmp_path: Path,
) -> None:
    quake = red_earthquake(9_500_001, datetime.now(UTC) - timedelta(minutes=10))
    with (
        gdacs_feed([quake]) as gdacs,
        watched(fed_system(tmp_path, MEMBERS, gdacs.url, SHORT_RETENTION)) as system,
    ):
        console = f"http://127.0.0.1:{system.console_port}"
        page_mail = wait_for(
            lambda: next(
                (m for m in system.mails() if recipient(m).endswith("@duty.example.org")), None
            ),
            timeout=90,
            what="the duty page mail",
        )
        gdacs.publish([])  # the quake leaves the feed: its seen-event row may go
        officer = recipient(page_mail).split("@")[0]
        link = re.search(r"(http://\S+/a/\S+)", text_of(page_mail))
        assert link, text_of(page_mail)

        with httpx.Client(timeout=10) as phone:
            for _ in range(2):  # a mail scanner, then the officer, open the link
                confirm = phone.get(link.group(1))
                assert confirm.status_code == 200
            assert duty_state(system) == [("paged", None)]
            done = phone.post(link.group(1), data={"csrf": csrf_of(confirm.text)})
            assert 'data-key="acknowledged_by_you"' in done.text
        assert duty_state(system) == [("acknowledged", officer)]

        with httpx.Client(base_url=console, timeout=10) as browser:
            login = browser.get("/login")
            browser.post(
                "/login",
                data={
                    "officer_id": officer,
                    "password": DEMO_PASSWORD,
                    "csrf": csrf_of(login.text),
                },
            )
            activations = browser.get("/api/v1/activations").json()
            assert [a["state"] for a in activations] == ["acknowledged"]
            base = f"/activations/{activations[0]['activation_id']}"
            confirm = browser.get(f"{base}/launch/confirm")
            launched = browser.post(
                f"{base}/launch",
                data={
                    "csrf": csrf_of(confirm.text),
                    "note": INTERNAL_NOTE,
                    "member_message": "Field teams to Miyagi",
                },
            )
            assert launched.status_code == 303
        assert duty_state(system) == [("launched", officer)]

        with httpx.Client(base_url=console, timeout=10) as outsider:  # no login
            feed = feedparser.parse(outsider.get("/cap/feed.atom").content)
            alerts = [outsider.get(urlsplit(e.link).path).content for e in feed.entries]
        assert [e.category for e in feed.entries] == ["Update", "Alert"]  # launch, activation
        assert all(capvalidator.check_schema(alert).passed for alert in alerts)
        for public in alerts:
            for private in (officer, INTERNAL_NOTE, "Field teams to Miyagi"):
                assert private.encode() not in public

        def told_to_deploy() -> list[EmailMessage]:
            notices = [
                m
                for m in system.mails()
                if recipient(m) in MEMBER_ADDRESSES
                and ("Deploy" in text_of(m) or "派遣を開始" in text_of(m))
            ]
            return notices if {recipient(m) for m in notices} == MEMBER_ADDRESSES else []

        notices = wait_for(told_to_deploy, timeout=30, what="the members' deploy notices")
        assert all("Field teams to Miyagi" in text_of(m) for m in notices)
        member_mails = [m for m in system.mails() if recipient(m) in MEMBER_ADDRESSES]
        decoded = [
            str(part.get_content())
            for m in member_mails
            for part in m.walk()
            if part.get_content_maintype() == "text"
        ]
        assert decoded and not [text for text in decoded if INTERNAL_NOTE in text]
        # Every member mail offers the member's own preference page, served for real.
        unsubscribe = str(notices[0]["List-Unsubscribe"]).strip("<>")
        assert unsubscribe.startswith(f"http://127.0.0.1:{system.preferences_port}/m/")
        assert httpx.get(unsubscribe, timeout=10).status_code == 200

        # Pruned under way, nothing in flight lost or repeated: each member's notice replies
        # to their alert (the thread's root outlived the deliveries), no mail went twice.
        for notice in notices:
            first = next(m for m in member_mails if recipient(m) == recipient(notice))
            assert str(first["Message-ID"]) in str(notice["References"])
        ids = [str(m["Message-ID"]) for m in system.mails()]
        assert len(ids) == len(set(ids))
        wait_for(
            lambda: all(PRUNED[s] <= tables for s, tables in pruned(system).items()),
            timeout=30,
            what=f"every table pruned: {PRUNED}",
        )

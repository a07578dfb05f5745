"""The walking skeleton end to end: a red earthquake in a feed becomes member mail and a duty page."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.runtime.scenario import red_earthquake
from tests.e2e.system import LEE, YAMADA, fed_system, gdacs_feed, members
from tests.waiting import wait_for

pytestmark = pytest.mark.broker

MEMBERS = (
    members(YAMADA, LEE)
    + """\
  - id: asia-logistics
    name_ja: アジア物流株式会社
    name_en: Asia Logistics Co.
    kind: business
    countries: [PHL]
    contacts:
      - {id: suzuki, name: 鈴木 一郎, language: ja, email: suzuki@asialog.example.jp}
    subscription: {min_level: activate, hazard_types: [EQ, TC], countries: [PHL, IDN]}
  - id: cyclone-only
    name_ja: 台風だけの会
    name_en: Cyclone Only
    kind: ngo
    contacts:
      - {id: tc, name: Tropical Person, language: en, email: tc@cyclone.example.org}
    subscription: {min_level: standby, hazard_types: [TC]}
  - id: europe-only
    name_ja: 欧州の会
    name_en: Europe Only
    kind: other
    contacts:
      - {id: eu, name: Euro Person, language: en, email: eu@europe.example.org}
    subscription: {min_level: standby, countries: [ITA, GRC]}
"""
)
SUBSCRIBED = {
    "yamada@everything.example.jp": "ja",
    "lee@everything.example.org": "en",
    "suzuki@asialog.example.jp": "ja",
}
LEVEL_WORDS = {"en": "ACTIVATE", "ja": "発動"}


def test_a_red_earthquake_reaches_every_subscribed_member_and_the_duty_officer(
    tmp_path: Path,
) -> None:
    quake = red_earthquake(9_100_001, datetime.now(UTC) - timedelta(minutes=20))
    with gdacs_feed([quake]) as feed:
        system = fed_system(tmp_path, MEMBERS, feed.url).start()
        try:

            def all_mail() -> list:
                mails = system.mails()
                to = {str(m["To"].addresses[0].addr_spec) for m in mails}
                members_done = set(SUBSCRIBED) <= to
                paged = any(a.endswith("@duty.example.org") for a in to)
                return mails if members_done and paged else []

            try:
                mails = wait_for(all_mail, timeout=90, what="member mail and a duty page")
            except AssertionError:
                print(system.logs())
                raise
            # Let any duplicate that would arrive, arrive.
            wait_for(lambda: len(system.mails()) >= len(mails), timeout=3, what="settle")
            mails = system.mails()
        finally:
            code = system.stop()

    by_recipient: dict[str, list] = {}
    for mail in mails:
        by_recipient.setdefault(mail["To"].addresses[0].addr_spec, []).append(mail)
    for address, language in SUBSCRIBED.items():
        assert len(by_recipient[address]) == 1, f"{address} got {len(by_recipient[address])} mails"
        subject = str(by_recipient[address][0]["Subject"])
        assert LEVEL_WORDS[language] in subject, subject
        assert "PHL" in subject or "フィリピン" in subject, subject
    for address in ("tc@cyclone.example.org", "eu@europe.example.org"):
        assert address not in by_recipient
    pages = [a for a in by_recipient if a.endswith("@duty.example.org")]
    assert len(pages) == 1

    with sqlite3.connect(system.var_dir / "triage.db") as db:
        (activations,) = db.execute("SELECT count(*) FROM activations").fetchone()
    assert activations == 1
    assert code == 0
    assert system.processes() == []

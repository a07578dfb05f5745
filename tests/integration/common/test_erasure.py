"""An organisation removed from the member directory is forgotten by every service in time.

The notifier mails a real activation through a real SMTP server, its delivery reports reach
the duty and the response service the way `deliveries.v1` carries them, and a contact answers
the roll-call with a note holding a phone number. The organisation then leaves the directory;
each service's retention job, run as the clock passes, notes it gone, keeps its data until the
configured time, then erases it: no database holds any of its contacts' addresses, names or the
note's phone number afterwards, while another organisation's deliveries stay.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import MetaData, select, text, update

from schemas.base import utcnow
from schemas.deliveries import Delivery
from schemas.members import MemberDirectory
from services.common.config_files import load_yaml_model
from services.common.db import Database
from services.common.erasure import Eraser, PersonalData, erasures
from services.common.outbox import outbox
from services.common.retention import Pruner, Rule, common_rules
from services.common.settings import Settings
from services.common.unit_of_work import units_of_work
from services.duty import retention as duty_retention
from services.duty.timeline import record_delivery
from services.notifier import retention as notifier_retention
from services.response import retention as response_retention
from tests.integration.notifier.harness import activation, mailing_notifier, published, rows, until
from tests.integration.response.rig import EXAMPLE, Rig

LEAVER = "hope-bridge"
PHONE = "+81-90-1234-5678"
ERASE_AFTER = timedelta(days=30)


def without(organisation: str, to: Path) -> Path:
    """The example directory without one organisation, written to `to`."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["organisations"] = [o for o in data["organisations"] if o["id"] != organisation]
    to.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return to


def personal_data_of(organisation: str) -> set[str]:
    """What the directory says about an organisation's people: addresses and names."""
    directory = load_yaml_model(EXAMPLE, MemberDirectory)
    [org] = [o for o in directory.organisations if o.id == organisation]
    found = {PHONE}
    for contact in org.contacts:
        found |= {contact.name, f"{org.id}/{contact.id}"}
        found |= {str(contact.email)} if contact.email else set()
        found |= {u.get_secret_value() for u in contact.apprise_urls}
    return found


def readable(value: Any) -> str:
    """A column's value as a person would read it: mail headers and parts decoded too."""
    if isinstance(value, memoryview):
        value = bytes(value)
    if not isinstance(value, bytes):
        return str(value)
    parts = [value.decode("utf-8", "replace")]
    mail = message_from_bytes(value, policy=policy.default)
    parts += [str(v) for v in mail.values()]
    for part in mail.walk():
        if part.get_content_maintype() == "text":
            try:
                parts.append(str(part.get_content()))
            except (LookupError, ValueError):
                continue
    return "\n".join(parts)


async def found_in(db: Database, needles: set[str]) -> set[str]:
    """Which of `needles` any row of any table of `db` holds, as `table: needle`."""
    hits: set[str] = set()
    async with db.engine.connect() as conn:
        meta = MetaData()
        await conn.run_sync(lambda c: meta.reflect(c))
        for table in meta.sorted_tables:
            for row in await conn.execute(select(table)):
                blob = "\n".join(readable(v) for v in row if v is not None)
                hits |= {f"{table.name}: {n}" for n in needles if n in blob}
    return hits


def retention_job(
    db: Database,
    rules: list[Rule],
    places: tuple[PersonalData, ...],
    directory: Path,
    clock: Callable[[], datetime],
) -> Pruner:
    """A service's retention job as `running()` builds it, on a clock the test moves."""
    settings = Settings(_env_file=None)
    eraser = Eraser(
        db,
        places,
        lambda: load_yaml_model(directory, MemberDirectory),
        erase_after=ERASE_AFTER,
        key=b"erasure-test-key",
        clock=clock,
    )
    return Pruner(
        db,
        [*common_rules(settings), *rules],
        batch_size=50,
        interval_s=1,
        clock=clock,
        eraser=eraser,
    )


async def test_a_removed_organisation_has_no_personal_data_left_after_the_configured_time(
    databases: dict[str, Database], tmp_path: Path
) -> None:
    notifier_db, duty_db, response_db = (databases[n] for n in ("notifier", "duty", "response"))
    act = activation()
    members = EXAMPLE.read_text(encoding="utf-8")
    async with mailing_notifier(tmp_path, notifier_db, members) as (notifier, _server):
        await notifier.handlers.on_activation(act)

        async def settled() -> bool:
            found = await rows(notifier_db)
            return bool(found) and all(r.status in ("sent", "failed") for r in found.values())

        await until(settled, timeout=20, what="every member alert sent")
    mailed = {r.organisation_id for r in (await rows(notifier_db)).values()}
    assert LEAVER in mailed and len(mailed) > 1
    reports = [Delivery.model_validate(d) for d in await published(notifier_db, "deliveries.v1")]

    for report in reports:  # what `deliveries.v1` carries to the duty and the response service
        async with units_of_work(duty_db)() as work:
            if await work.claim(report):
                await record_delivery(work.session, report)
    rig = Rig(response_db)
    await rig.handlers.on_activation(act)
    for report in reports:
        await rig.handlers.on_delivery(report)
    async with rig.client() as client:
        answered = await client.post(
            rig.link(act, LEAVER, "tanaka"),
            data={"answer": "can_deploy", "note": f"田中 美咲 reachable on {PHONE}"},
        )
    assert answered.status_code == 200, answered.text
    for db in databases.values():  # the relay handed every message to the broker
        async with db.transaction() as session:
            await session.execute(update(outbox).values(published_at=utcnow()))

    needles = personal_data_of(LEAVER)
    before: set[str] = set()
    for db in databases.values():
        before |= await found_in(db, needles)
    # The scan reads what is there: addresses and names in the notifier, refs in the duty, the
    # note with the phone number in the response service.
    assert {h.split(": ", 1)[1] for h in before} >= {
        "tanaka@hopebridge.example.jp",
        "田中 美咲",
        "Maria Reyes",
        PHONE,
    }, before

    gone = without(LEAVER, tmp_path / "members-after.yaml")
    start = utcnow()
    now = start
    jobs = [
        retention_job(
            notifier_db,
            notifier_retention.rules(Settings(_env_file=None).retention),
            notifier_retention.PERSONAL_DATA,
            gone,
            lambda: now,
        ),
        retention_job(
            duty_db,
            duty_retention.rules(Settings(_env_file=None).retention),
            duty_retention.PERSONAL_DATA,
            gone,
            lambda: now,
        ),
        retention_job(
            response_db,
            response_retention.rules(Settings(_env_file=None).retention),
            response_retention.PERSONAL_DATA,
            gone,
            lambda: now,
        ),
    ]

    async def rounds() -> int:
        erased = 0
        for job in jobs:
            await job.prune_once()
            assert job.eraser is not None
            erased += await job.eraser.erase_once()
        return erased

    assert await rounds() == 0  # noted as gone, nothing erased yet
    now = start + ERASE_AFTER - timedelta(hours=1)
    assert await rounds() == 0
    still: set[str] = set()
    for db in databases.values():
        still |= await found_in(db, needles)
    # Kept until the configured time (relayed outbox rows went after the replay window, 6 h).
    assert still == {h for h in before if not h.startswith("outbox: ")}

    now = start + ERASE_AFTER + timedelta(minutes=1)
    assert await rounds() == 3  # one organisation, erased by each of the three services
    after: set[str] = set()
    for db in databases.values():
        after |= await found_in(db, needles)
    assert after == set()

    for db in (notifier_db, duty_db, response_db):
        async with db.sessions() as session:
            [record] = (await session.execute(select(erasures))).all()
        assert record.kind == "organisation" and record.rows > 0
        # The record proves whom it concerned to whoever knows the id, and names nobody.
        assert LEAVER not in record.digest and len(record.digest) == 64
    # Members who stay keep their delivery log; the leaver's answer stays without its person.
    assert {r.organisation_id for r in (await rows(notifier_db)).values()} == mailed - {LEAVER}
    async with response_db.sessions() as session:
        kept = (
            await session.execute(text("SELECT organisation_id, contact_id, note FROM rc_answers"))
        ).all()
    assert [tuple(r) for r in kept] == [(LEAVER, None, None)]
    assert await rounds() == 0  # nothing left to erase: no second record

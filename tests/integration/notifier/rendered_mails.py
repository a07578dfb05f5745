"""Every kind of mail the notifier sends, rendered for fixed inputs with the clock stopped.

`python -m tests.integration.notifier.rendered_mails OUTDIR` writes one file per delivery
(headers and body as stored in the delivery log) and their SHA-256s in `SHA256SUMS`. Run in a
process of its own: the clock (`schemas.base.utcnow`, `time.time`) is stopped before the
services are imported, so links, dates and Message-IDs come out the same every time. What
the standard library or zlib draw for themselves is left out: MIME boundaries are renamed
in order of appearance and an inline picture's bytes are replaced by its name.

Covered, in Japanese and English: member alerts at standby (with each member's own links
and matches, one held by quiet hours) and at activate (a reply in the incident's thread),
duty pages, the stand-down notice, the coordination notices, the daily digest, and the chat
posts of each.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path
from uuid import UUID

import schemas.base

STOPPED = {"at": datetime(2026, 12, 1, 14, 30, tzinfo=UTC)}  # 23:30 in Tokyo


def _stop_the_clock() -> None:
    schemas.base.utcnow = lambda: STOPPED["at"]
    time.time = lambda: STOPPED["at"].timestamp()


MEMBERS = """\
secretariat:
  name_ja: standby 事務局
  name_en: standby Secretariat
  email: desk@secretariat.example.jp
  phone: "+81-3-0000-0000"
  url: https://secretariat.example.jp/emergency
organisations:
  - id: hope-bridge
    name_ja: ホープブリッジ
    name_en: Hope Bridge Japan
    kind: ngo
    countries: [PHL]
    subscription: {min_level: standby}
    contacts:
      - {id: tanaka, name: 田中 美咲, language: ja, email: tanaka@hopebridge.example.jp,
         apprise_urls: ["json://chat.example.org/tanaka"]}
      - {id: reyes, name: Maria Reyes, language: en, email: m.reyes@hopebridge.example.org,
         apprise_urls: ["json://chat.example.org/reyes"]}
    plans:
      - id: sea-shelter-wash
        title_ja: 東南アジア 避難所・水衛生 初動対応計画
        title_en: South-east Asia shelter and WASH first response
        hazard_types: [EQ, TC]
        countries: [PHL]
        sectors: [shelter, wash]
        staff_deployable: 6
        hours_to_deploy: 48
        partner: Philippine Relief Partners (Manila)
    supplies:
      - {item: family tents, quantity: 400, unit: tents, country: PHL, place: Manila warehouse,
         lat: 14.6, lon: 121.0}
  - id: asia-medical
    name_ja: アジア医療支援ネットワーク
    name_en: Asia Medical Relief Network
    kind: ngo
    subscription: {min_level: standby}
    contacts:
      - {id: sato, name: 佐藤 健一, language: ja, email: sato@amrn.example.jp}
      - {id: lee, name: Daniel Lee, language: en, email: d.lee@amrn.example.org}
  - id: kizuna-water
    name_ja: キズナ水道工業
    name_en: Kizuna Water Works
    kind: business
    subscription: {min_level: standby}
    contacts:
      - {id: suzuki, name: 鈴木 大輔, language: ja, email: d.suzuki@kizuna-water.example.jp}
      - {id: ops, name: Operations desk, language: en, email: ops@kizuna-water.example.org}
    offers:
      - kind: goods
        description: Mobile water purification units (2 t/h each)
        capacity: 10 units, shipped within 5 days
        hazard_types: [EQ]
"""

ROTA = """\
officers:
  - {id: aoki, name: 青木 葵, language: ja, email: aoki@duty.example.org,
     apprise_urls: ["json://chat.example.org/aoki"]}
  - {id: morgan, name: Alex Morgan, language: en, email: morgan@duty.example.org}
"""


def _uuid(n: int) -> UUID:
    return UUID(int=n)


_BOUNDARY = re.compile(rb"={15}\d+==(?::\d+)?")
_PICTURE = re.compile(rb"(Content-Type: image/png\r\n.*?\r\n\r\n)(.*?)(\r\n--)", re.DOTALL)
# A picture's Content-ID is named by its bytes' digest.
_PICTURE_ID = re.compile(rb"map-[0-9a-f]{20}@")


def normalised(mail: bytes) -> bytes:
    """The mail with its MIME boundaries renamed and its pictures' bytes left out."""
    names: dict[bytes, bytes] = {}
    mail = _BOUNDARY.sub(lambda m: names.setdefault(m.group(0), b"BOUNDARY-%d" % len(names)), mail)
    mail = _PICTURE_ID.sub(b"map-(picture)@", mail)
    return _PICTURE.sub(lambda m: m.group(1) + b"(picture)" + m.group(3), mail)


async def render_all(out: Path) -> dict[str, str]:
    """Render every kind into `out`; return each delivery key's SHA-256."""
    from schemas.acks import AckEvent, AckState, AckVia
    from schemas.activations import Activation, Level
    from schemas.pages import Page, PageTarget
    from schemas.responses import CoordinationNotice, NoticeKind, Programme, SurveyAssignment
    from services.common.db import Database
    from services.common.service import build_context
    from services.common.settings import Settings
    from services.notifier.main import build
    from services.notifier.preference_store import save_preference
    from services.notifier.preferences import Preference
    from tests.integration.notifier import harness
    from tests.messages import activation_of

    summary = harness.summary(event_time=datetime(2026, 12, 1, 3, 14, tzinfo=UTC))

    def activation(n: int, level: Level, previous: Level = Level.NONE) -> Activation:
        return activation_of(
            summary,
            level,
            incident_id=_uuid(1),
            previous_level=previous,
            id=_uuid(1000 + n),
            activation_id=_uuid(n),
            score=87.5,
            reasons=harness.REASONS,
        )

    def notice(n: int, kind: NoticeKind, orgs: list[str], **more: object) -> CoordinationNotice:
        return CoordinationNotice(
            id=_uuid(3000 + n),
            notice_id=_uuid(300 + n),
            kind=kind,
            incident_id=_uuid(1),
            activation_id=_uuid(11),
            summary=summary,
            organisations=orgs,
            **more,
        )

    work = Path(tempfile.mkdtemp())
    (work / "members.yaml").write_text(MEMBERS, encoding="utf-8")
    (work / "rota.yaml").write_text(ROTA, encoding="utf-8")
    settings = Settings(
        _env_file=None,
        members_file=work / "members.yaml",
        var_dir=work,
        duty={"rota_file": work / "rota.yaml"},
        notifier={"preferences_port": 0, "smtp": {"host": "127.0.0.1", "port": 9}},
    )
    database = Database(f"sqlite+aiosqlite:///{work}/notifier.db", "notifier")
    await database.migrate()
    notifier = build(build_context("notifier", settings, db=database), lambda: STOPPED["at"])
    # Recorded, never sent: what is compared is what the delivery log holds.
    notifier.dispatcher.submit = lambda jobs: None  # type: ignore[method-assign]
    await notifier.presence.start()
    quiet = Preference(time_zone="Asia/Tokyo", quiet_start=clock_time(22), quiet_end=clock_time(9))
    digest = Preference(
        time_zone="Asia/Tokyo", digest_levels=frozenset({Level.STANDBY}), digest_at=clock_time(8)
    )
    async with database.transaction() as session:
        await save_preference(session, "asia-medical", "sato", quiet, STOPPED["at"])
        await save_preference(session, "kizuna-water", "suzuki", digest, STOPPED["at"])
        await save_preference(session, "kizuna-water", "ops", digest, STOPPED["at"])
    handlers = notifier.handlers
    await handlers.on_activation(activation(10, Level.STANDBY))
    await handlers.on_activation(activation(11, Level.ACTIVATE, previous=Level.STANDBY))
    for i, (officer, name, language) in enumerate(
        [("aoki", "青木 葵", "ja"), ("morgan", "Alex Morgan", "en")]
    ):
        await handlers.on_page(
            Page(
                id=_uuid(2000 + i),
                page_id=_uuid(200 + i),
                activation_id=_uuid(11),
                incident_id=_uuid(1),
                level=Level.ACTIVATE,
                step=i,
                target=PageTarget(officer_id=officer, name=name, language=language),
                summary=summary,
            )
        )
    everyone = ["hope-bridge", "asia-medical", "kizuna-water"]
    for coordination in [
        notice(0, NoticeKind.REMINDER, everyone),
        notice(
            1,
            NoticeKind.SURVEY_DECISION,
            everyone[:2],
            survey=[SurveyAssignment(organisation_id="hope-bridge", budget_jpy=3_000_000)],
            report_by=datetime(2026, 12, 3, 9, tzinfo=UTC),
        ),
        notice(
            2,
            NoticeKind.PROGRAMME_LAUNCH,
            everyone[:2],
            programme=Programme(
                name_ja="フィリピン地震被災者支援",
                name_en="Philippines earthquake response",
                duration_months=3,
                participants=everyone[:2],
                government_budget_jpy=300_000_000,
                private_budget_jpy=50_000_000,
                budgets_jpy={"hope-bridge": 100_000_000},
            ),
        ),
        notice(3, NoticeKind.PROGRAMME_NOTICE, everyone[2:]),
        notice(4, NoticeKind.PROGRAMME_CLOSED, everyone[:2]),
    ]:
        await handlers.on_coordination(coordination)
    await handlers.on_ack(
        AckEvent(
            id=_uuid(4000),
            activation_id=_uuid(11),
            incident_id=_uuid(1),
            level=Level.ACTIVATE,
            state=AckState.STOOD_DOWN,
            via=AckVia.CONSOLE,
            summary=summary,
            member_message="Stand down: the government has not requested assistance.",
        )
    )
    # 08:05 the next morning in Tokyo: the standby alert's digests are due.
    STOPPED["at"] = datetime(2026, 12, 1, 23, 5, tzinfo=UTC)
    await notifier.digests.run_once()
    try:
        return await _written(database, out)
    finally:
        await notifier.presence.stop()
        await database.dispose()


async def _written(database: object, out: Path) -> dict[str, str]:
    from sqlalchemy import select

    from services.common.db import Database
    from services.notifier.models import BodyRow, DeliveryRow

    assert isinstance(database, Database)
    async with database.sessions() as session:
        rows = (
            await session.execute(
                select(DeliveryRow, BodyRow.content).join(
                    BodyRow, BodyRow.id == DeliveryRow.body_id
                )
            )
        ).all()
    out.mkdir(parents=True, exist_ok=True)
    digests: dict[str, str] = {}
    for row, content in sorted(rows, key=lambda r: r[0].key):
        mail = normalised(
            f"X-Recipient: {row.recipient}\r\nX-Held-Until: {row.held_until}\r\n".encode()
            + row.headers
            + content
        )
        (out / (re.sub(r"[^A-Za-z0-9_.@-]", "_", row.key) + ".eml")).write_bytes(mail)
        digests[row.key] = hashlib.sha256(mail).hexdigest()
    return digests


if __name__ == "__main__":
    _stop_the_clock()
    out = Path(sys.argv[1])
    sums = asyncio.run(render_all(out))
    (out / "SHA256SUMS").write_text("".join(f"{d} {k}\n" for k, d in sums.items()))

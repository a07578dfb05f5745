"""Members who leave are forgotten: their personal data erased once they have been gone long enough.

Each service names where it keeps members' personal data (`PersonalData`: the rows of a table
that belong to an organisation and contact, and whether erasing deletes them or blanks some of
their columns). Every pruning round, the organisations and contacts found in those rows are
compared with the member directory: one that is absent is noted (`erasure_pending`, with the
time it was first missed); one that comes back is struck off; one absent for
`retention.erase_after` has its rows erased, and the erasure is recorded in `erasures` with a
keyed digest of whom it concerned (it proves an erasure of a given subject was done without
saying whose it was) and how many rows it touched. A directory that cannot be read erases
nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.base import utcnow
from schemas.members import MemberDirectory
from services.common import metrics
from services.common.db import Database
from services.common.logs import get_logger

log = get_logger(__name__)

metadata = MetaData()

erasure_pending = Table(
    "erasure_pending",
    metadata,
    # An organisation id, or `organisation/contact` for a contact.
    Column("subject", String(300), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("absent_since", DateTime(timezone=True), nullable=False),
)
erasures = Table(
    "erasures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("absent_since", DateTime(timezone=True), nullable=False),
    Column("erased_at", DateTime(timezone=True), nullable=False),
    Column("rows", Integer, nullable=False),
)

Subject = tuple[str, str | None]  # (organisation, contact or None)


@dataclass(frozen=True)
class PersonalData:
    """Rows of a table that hold an organisation's or a contact's personal data.

    The rows are found by `organisation` and `contact` columns, or by one `ref` column holding
    `organisation/contact`. `erase` names the columns to blank (the rest of the row is kept,
    e.g. an organisation's answer without who gave it); empty, the rows are deleted.
    """

    table: Table
    organisation: Any = None
    contact: Any = None
    ref: Any = None
    erase: Mapping[str, Any] = field(default_factory=dict)
    # Statements run after this table's rows of a subject are erased (orphaned bodies).
    then: Sequence[Callable[[datetime], Any]] = ()

    @classmethod
    def by_contact(
        cls,
        table: Table,
        *,
        erase: Mapping[str, Any] | None = None,
        then: Sequence[Callable[[datetime], Any]] = (),
    ) -> PersonalData:
        """Rows that name their contact as the services' tables do: `organisation_id` and
        `contact_id`."""
        return cls(
            table,
            organisation=table.c.organisation_id,
            contact=table.c.contact_id,
            erase=erase or {},
            then=then,
        )

    def _holding(self) -> ColumnElement[bool] | None:
        if not self.erase:
            return None
        return or_(*(self.table.c[name].is_not(None) for name in self.erase))

    async def subjects(self, session: AsyncSession) -> set[Subject]:
        """The organisations and contacts whose personal data these rows hold."""
        if self.ref is not None:
            refs = (await session.execute(select(self.ref).distinct())).scalars()
            found: set[Subject] = set()
            for ref in refs:
                org, _, contact = str(ref).partition("/")
                found.add((org, contact or None))
            return found
        columns = [self.organisation] + ([self.contact] if self.contact is not None else [])
        query = select(*columns).distinct().where(self.organisation.is_not(None))
        holding = self._holding()
        if holding is not None:
            query = query.where(holding)
        rows = await session.execute(query)
        return {(row[0], row[1] if len(row) > 1 else None) for row in rows}

    def of(self, organisation: str, contact: str | None) -> ColumnElement[bool]:
        """The rows of one organisation (contact None) or one of its contacts."""
        if self.ref is not None:
            if contact is None:
                return self.ref.startswith(f"{organisation}/", autoescape=True)
            return self.ref == f"{organisation}/{contact}"
        condition = self.organisation == organisation
        if contact is not None:
            condition = condition & (self.contact == contact)
        return condition


def absent(found: set[Subject], directory: MemberDirectory) -> dict[str, tuple[str, Subject]]:
    """The subjects of `found` that the directory no longer lists: subject -> (kind, who)."""
    organisations = {org.id: {c.id for c in org.contacts} for org in directory.organisations}
    gone: dict[str, tuple[str, Subject]] = {}
    for org, contact in found:
        if org not in organisations:
            gone[org] = ("organisation", (org, None))
        elif contact is not None and contact not in organisations[org]:
            gone[f"{org}/{contact}"] = ("contact", (org, contact))
    return gone


def _who(subject: str) -> Subject:
    org, sep, contact = subject.partition("/")
    return (org, contact if sep else None)


@dataclass(eq=False)
class Eraser:
    """Note who left the directory; erase their personal data once `erase_after` has passed."""

    db: Database
    places: Sequence[PersonalData]
    directory: Callable[[], MemberDirectory]
    _: KW_ONLY
    erase_after: timedelta
    key: bytes
    clock: Callable[[], datetime] = utcnow

    def digest(self, subject: str) -> str:
        """A keyed digest of a subject: whoever knows the id can check it; the row never says."""
        return hmac.new(self.key, subject.encode(), hashlib.sha256).hexdigest()

    async def erase_once(self) -> int:
        """Note who is absent, erase who has been absent long enough; return erasures done."""
        try:
            directory = self.directory()
        except Exception as err:  # an unreadable directory must never read as "everyone left"
            log.warning("erasure_skipped_directory_unreadable", error=str(err))
            return 0
        now = self.clock()
        async with self.db.transaction() as session:
            found: set[Subject] = set()
            for place in self.places:
                found |= await place.subjects(session)
            gone = absent(found, directory)
            pending = {
                row.subject: row for row in (await session.execute(select(erasure_pending))).all()
            }
            back = [s for s in pending if s not in gone]
            if back:
                await session.execute(
                    delete(erasure_pending).where(erasure_pending.c.subject.in_(back))
                )
            new = [
                {"subject": s, "kind": kind, "absent_since": now}
                for s, (kind, _) in gone.items()
                if s not in pending
            ]
            if new:
                await session.execute(erasure_pending.insert(), new)
        due = [
            row
            for s, row in pending.items()
            if s in gone and row.absent_since.replace(tzinfo=now.tzinfo) <= now - self.erase_after
        ]
        for row in due:
            await self._erase(row.subject, row.kind, row.absent_since, now)
        return len(due)

    async def _erase(self, subject: str, kind: str, since: datetime, now: datetime) -> None:
        organisation, contact = _who(subject)
        rows = 0
        async with self.db.transaction() as session:
            for place in self.places:
                which = place.of(organisation, contact)
                if place.erase:
                    stmt: Any = update(place.table).where(which).values(**place.erase)
                else:
                    stmt = delete(place.table).where(which)
                rows += int((await session.execute(stmt)).rowcount)  # type: ignore[attr-defined]
                for then in place.then:
                    await session.execute(then(now))
            await session.execute(
                erasures.insert().values(
                    kind=kind,
                    digest=self.digest(subject),
                    absent_since=since,
                    erased_at=now,
                    rows=rows,
                )
            )
            await session.execute(
                delete(erasure_pending).where(erasure_pending.c.subject == subject)
            )
        metrics.ERASURES.labels(kind).inc()
        log.info("personal_data_erased", kind=kind, digest=self.digest(subject), rows=rows)

"""The board read between answers: unchanged is a 304, each change shows at once (decision 0732)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from schemas.members import MemberDirectory
from schemas.responses import AnswerKind, AnswerVia
from services.common.db import Database
from services.response import store
from services.response.board_reads import BoardReads
from services.response.handlers import AnswerForm
from services.response.models import AnswerRow
from tests.integration.response.rig import Rig, directory, survey_form

SERVICE = "response"
ORGS = ["hope-bridge", "asia-medical", "tohoku-relief", "nihon-logistics"]


async def test_an_unchanged_board_is_a_304_and_every_change_a_new_etag(database: Database) -> None:
    rig = Rig(database)
    act = await rig.open(ORGS)
    officer = rig.officer_headers()
    url = f"/rollcall/{act.incident_id}/export.json"
    async with rig.client() as client:
        first = await client.get(url, headers=officer)
        etag = first.headers["etag"]
        again = await client.get(url, headers={**officer, "if-none-match": etag})
        assert (first.status_code, again.status_code, again.content) == (200, 304, b"")
        assert again.headers["etag"] == etag
        weak = await client.get(url, headers={**officer, "if-none-match": f'"x", W/{etag}'})
        assert weak.status_code == 304

        await client.post(rig.link(act, "hope-bridge", "tanaka"), data={"answer": "can_deploy"})
        answered = await client.get(url, headers={**officer, "if-none-match": etag})
        assert answered.status_code == 200 and answered.headers["etag"] != etag
        rows = {r["organisation_id"]: r["answer"] for r in answered.json()["organisations"]}
        assert rows["hope-bridge"] == "can_deploy"
        assert answered.json()["timeline"][-1]["action"] == "answer_recorded"

        # A decision changes the roll-call's row, not its answers: a new board too.
        etag = answered.headers["etag"]
        rig.now += timedelta(minutes=1)
        await client.post(
            f"/rollcall/{act.incident_id}/survey",
            data=survey_form("hope-bridge"),
            headers=officer,
        )
        decided = await client.get(url, headers={**officer, "if-none-match": etag})
        assert decided.status_code == 200 and decided.json()["status"] == "survey_decided"


async def test_an_answer_numbered_below_the_newest_read_still_reaches_the_board(
    database: Database,
) -> None:
    """On PostgreSQL a transaction that took a lower number can commit after a higher one was
    read; the board must not skip it for having a number below the newest it holds."""
    rig = Rig(database)
    act = await rig.open(ORGS)
    incident = str(act.incident_id)
    reads = BoardReads(database.snapshot)
    names = directory()

    async def answer(seq: int, organisation_id: str) -> None:
        async with database.transaction() as session:
            session.add(
                AnswerRow(
                    seq=seq,
                    answer_id=str(uuid.uuid4()),
                    incident_id=incident,
                    organisation_id=organisation_id,
                    answer="can_deploy",
                    sectors=[],
                    via="link",
                    answered_at=rig.now,
                )
            )

    def answered(read: object) -> set[str]:
        board = getattr(read, "board", None)
        assert board is not None
        return {r.organisation_id for r in board.rows if r.latest is not None}

    await answer(10, "hope-bridge")
    await answer(30, "asia-medical")
    assert answered(await reads.read(incident, names)) == {"hope-bridge", "asia-medical"}
    await answer(20, "tohoku-relief")  # committed late, numbered below the newest read
    assert answered(await reads.read(incident, names)) == {
        "hope-bridge",
        "asia-medical",
        "tohoku-relief",
    }
    await answer(5, "tohoku-relief")  # late again, and with one numbered above
    await answer(40, "nihon-logistics")
    read = await reads.read(incident, names)
    assert read is not None and len(answered(read)) == 4
    assert next(r for r in read.board.rows if r.organisation_id == "tohoku-relief").answers == 2

    # Retention deleting answers: the board reads them all again, and shows what is left.
    async with database.transaction() as session:
        await session.execute(delete(AnswerRow).where(AnswerRow.seq.in_([5, 10, 20, 40])))
    assert answered(await reads.read(incident, names)) == {"asia-medical"}


async def test_a_directory_edited_on_disk_is_a_new_board(database: Database) -> None:
    rig = Rig(database)
    act = await rig.open(ORGS)
    incident = str(act.incident_id)
    reads = BoardReads(database.snapshot)
    names = directory()
    before = await reads.read(incident, names)
    again = await reads.read(incident, names)
    edited = names.model_dump()
    [hope] = [o for o in edited["organisations"] if o["id"] == "hope-bridge"]
    hope["name_en"] = "Hope Bridge (renamed)"
    renamed = await reads.read(incident, MemberDirectory.model_validate(edited))
    assert before is not None and again is not None and renamed is not None
    assert before.etag == again.etag != renamed.etag
    shown = {r.organisation.name_en for r in renamed.board.rows if r.organisation}
    assert "Hope Bridge (renamed)" in shown
    assert await reads.read(str(uuid.uuid4()), names) is None


async def test_a_board_asked_to_wait_answers_when_an_answer_lands(database: Database) -> None:
    """`Prefer: wait=N` with the reader's copy: held until the board changes, then the new
    board; a 304 once the wait is over with nothing new."""
    rig = Rig(database)
    act = await rig.open(ORGS)
    officer = rig.officer_headers()
    url = f"/rollcall/{act.incident_id}/export.json"
    async with rig.client() as client:
        etag = (await client.get(url, headers=officer)).headers["etag"]
        waiting = {**officer, "if-none-match": etag, "prefer": "wait=10"}

        async def answer_later() -> None:
            await asyncio.sleep(0.5)
            await client.post(rig.link(act, "hope-bridge", "tanaka"), data={"answer": "on_site"})

        started = time.perf_counter()
        changed, _ = await asyncio.gather(client.get(url, headers=waiting), answer_later())
        waited = time.perf_counter() - started
        assert changed.status_code == 200 and changed.headers["preference-applied"] == "wait=10"
        rows = {r["organisation_id"]: r["answer"] for r in changed.json()["organisations"]}
        assert rows["hope-bridge"] == "on_site"
        assert 0.5 <= waited < 10

        quiet = {**officer, "if-none-match": changed.headers["etag"], "prefer": "wait=1"}
        started = time.perf_counter()
        unchanged = await client.get(url, headers=quiet)
        assert unchanged.status_code == 304 and time.perf_counter() - started >= 1


async def test_a_board_read_across_an_answers_commit_shows_one_state(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first answer changes the roll-call's row and adds an answer in one commit; a board
    read whose statements straddle that commit shows the state before it or after it, never
    the new answer beside the old row (whose ETag a later read would not match: on
    PostgreSQL's default isolation a waiting reader was answered twice for one change)."""
    rig = Rig(database)
    act = await rig.open(ORGS)
    incident = str(act.incident_id)
    reads = BoardReads(database.snapshot)
    names = directory()
    real_marks = store.board_marks
    answered_between = False

    async def marks_after_an_answer(session: AsyncSession, incident_id: str) -> store.BoardMarks:
        nonlocal answered_between
        if not answered_between:
            answered_between = True
            await rig.handlers.answer(
                incident_id,
                "hope-bridge",
                AnswerForm(answer=AnswerKind.CAN_DEPLOY),
                contact_id="tanaka",
                via=AnswerVia.LINK,
            )
        return await real_marks(session, incident_id)

    monkeypatch.setattr(store, "board_marks", marks_after_an_answer)
    straddling = await reads.read(incident, names)
    after = await reads.read(incident, names)
    again = await reads.read(incident, names)
    assert answered_between and straddling is not None and after is not None and again is not None
    assert straddling.held.first_answer_at is None
    assert [r.latest for r in straddling.board.rows if r.latest] == []
    assert after.held.first_answer_at is not None
    assert {r.organisation_id for r in after.board.rows if r.latest} == {"hope-bridge"}
    assert straddling.etag != after.etag == again.etag

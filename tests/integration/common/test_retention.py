"""The retention schedule on real databases: what may go goes, in batches; what is in flight stays."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from prometheus_client import REGISTRY
from sqlalchemy import ColumnElement, Table, func, select

from schemas.base import utcnow
from services.common.db import Database
from services.common.outbox import inbox, outbox
from services.common.retention import Pruner, Rule, common_rules
from services.common.settings import Settings
from services.duty import retention as duty_retention
from services.ingester import retention as ingester_retention
from services.notifier import retention as notifier_retention
from services.response import retention as response_retention
from services.triage import retention as triage_retention

NOW = utcnow()
DAY = timedelta(days=1)


def settings() -> Settings:
    return Settings(_env_file=None)


async def insert(db: Database, table: Table, *rows: dict[str, Any]) -> None:
    async with db.transaction() as session:
        await session.execute(table.insert(), list(rows))


async def values(db: Database, column: ColumnElement[Any]) -> set[Any]:
    """The values left in `column`, each once."""
    async with db.sessions() as session:
        return set((await session.execute(select(column))).scalars())


async def keys(db: Database, table: Table) -> set[Any]:
    return await values(db, next(iter(table.primary_key.columns)))


def pruner(db: Database, rules: list[Rule], batch_size: int = 500) -> Pruner:
    return Pruner(db, rules, batch_size=batch_size, interval_s=1, pause_s=0, clock=lambda: NOW)


def delivery(key: str, incident: str, status: str, age: timedelta, body: str) -> dict[str, Any]:
    return {
        "key": key,
        "kind": "member_alert",
        "channel": "email",
        "activation_id": str(uuid4()),
        "incident_id": incident,
        "organisation_id": "org",
        "contact_id": "c",
        "recipient": "c@example.org",
        "headers": b"To: c@example.org\r\n",
        "body_id": body,
        "status": status,
        "attempts": 1,
        "created_at": NOW - age,
        "updated_at": NOW - age,
    }


def body(key: str, age: timedelta) -> dict[str, Any]:
    return {"id": key, "subject": "s", "content": b"x", "created_at": NOW - age}


async def test_the_notifier_keeps_open_work_open_incidents_and_open_threads_and_lets_the_rest_go(
    databases: dict[str, Database],
) -> None:
    db = databases["notifier"]
    quiet, open_, retrying = "inc-quiet", "inc-open", "inc-retrying"
    closed, closing = "inc-closed", "inc-closing"
    await insert(
        db,
        notifier_retention.bodies,
        body("old-unused", timedelta(hours=2)),
        body("young-unused", timedelta(minutes=10)),  # a fan-out may be about to use it
        body("used-by-old", 200 * DAY),
        body("used-by-new", 200 * DAY),
    )
    await insert(
        db,
        notifier_retention.deliveries,
        delivery("old-sent", quiet, "sent", 200 * DAY, "used-by-old"),
        delivery("old-retrying", retrying, "retrying", 200 * DAY, "used-by-old"),
        delivery("new-sent", open_, "sent", DAY, "used-by-new"),
        # Its incident was mailed yesterday: the launch notice will be sent to whoever this
        # told, so the old alert stays.
        delivery("open-old-sent", open_, "sent", 200 * DAY, "used-by-new"),
        delivery("closed-old-sent", closed, "sent", 200 * DAY, "used-by-new"),
        delivery("closed-recently-sent", closing, "sent", 20 * DAY, "used-by-new"),
    )
    await insert(
        db,
        notifier_retention.closed_incidents,
        {"incident_id": closed, "closed_at": NOW - 190 * DAY},
        {"incident_id": closing, "closed_at": NOW - 10 * DAY},
    )
    await insert(
        db,
        notifier_retention.threads,
        *(
            {"incident_id": i, "contact_ref": "org/c", "root_message_id": f"<{i}>"}
            | {"created_at": NOW - 200 * DAY}
            for i in (quiet, open_)
        ),
    )
    retention = settings().retention.model_copy(update={"deliveries": 15 * DAY})
    await pruner(db, notifier_retention.rules(retention)).prune_once()
    assert await keys(db, notifier_retention.deliveries) == {
        "old-retrying",
        "new-sent",
        "open-old-sent",
        "closed-recently-sent",  # closed 10 days ago, the schedule says 15
    }
    assert await keys(db, notifier_retention.bodies) == {
        "young-unused",
        "used-by-old",  # the retrying delivery still needs it
        "used-by-new",
    }
    # The open incident was mailed yesterday: its thread's root keeps the next mail threaded.
    assert await keys(db, notifier_retention.threads) == {open_}


def counted(name: str, table: str) -> float:
    return REGISTRY.get_sample_value(name, {"table": table}) or 0.0


async def test_relayed_rows_go_in_batches_and_unrelayed_ones_stay(
    databases: dict[str, Database],
) -> None:
    db = databases["duty"]
    window = timedelta(seconds=settings().kafka.replay_window_s)
    await insert(
        db,
        outbox,
        *(
            {
                "message_id": str(uuid4()),
                "topic": "acks.v1",
                "payload": b"{}",
                "created_at": NOW - 2 * window,
                "published_at": None if i < 5 else NOW - window - timedelta(minutes=1),
            }
            for i in range(1205)
        ),
    )
    await insert(
        db,
        inbox,
        {"message_id": "old", "topic": "acks.v1", "processed_at": NOW - 31 * DAY},
        {"message_id": "new", "topic": "acks.v1", "processed_at": NOW - 29 * DAY},
    )
    before = counted("standby_retention_pruned_total", "outbox")
    pruned = await pruner(db, common_rules(settings()), batch_size=500).prune_once()
    assert pruned == {"outbox": 1200, "inbox": 1}
    async with db.sessions() as session:
        left = (
            await session.execute(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            )
        ).scalar_one()
    assert left == 5 and await keys(db, inbox) == {"new"}
    assert counted("standby_retention_pruned_total", "outbox") - before == 1200
    assert counted("standby_retention_rows", "outbox") == 5


async def rollcalls(db: Database, *rows: tuple[str, datetime | None, datetime | None]) -> None:
    """Insert a response roll-call for each (incident, closed at, launched at)."""
    await insert(db, response_retention.rollcalls, *(rollcall(*row) for row in rows))


def rollcall(incident: str, closed: datetime | None, launched: datetime | None) -> dict[str, Any]:
    return {
        "incident_id": incident,
        "activation_id": str(uuid4()),
        "level": "activate",
        "summary": {},
        "status": "closed" if closed else "open",
        "activated_at": NOW - 900 * DAY,
        "opened_at": NOW - 900 * DAY,
        "reminder_due_at": NOW - 900 * DAY,
        "closed_at": closed,
        "launched_at": launched,
        "programme": {"duration_months": 6} if launched else None,
    }


def answer(incident: str) -> dict[str, Any]:
    return {
        "answer_id": str(uuid4()),
        "incident_id": incident,
        "organisation_id": "org",
        "answer": "can_deploy",
        "sectors": [],
        "via": "link",
        "answered_at": NOW - 800 * DAY,
    }


async def test_answers_go_a_year_after_their_programme_ends_and_old_trails_go(
    databases: dict[str, Database],
) -> None:
    db = databases["response"]
    stood_down, running, open_ = "inc-stood-down", "inc-programme", "inc-open"
    await rollcalls(
        db,
        (stood_down, NOW - 400 * DAY, None),
        # Launched 400 days ago for 6 months: it ended ~214 days ago, less than a year.
        (running, NOW - 400 * DAY, NOW - 400 * DAY),
        (open_, None, None),
    )
    await insert(db, response_retention.answers, *(answer(i) for i in (stood_down, running, open_)))
    await insert(
        db,
        response_retention.audit,
        *(
            {"incident_id": open_, "action": "opened", "via": "system", "detail": {}, "at": at}
            for at in (NOW - 4 * 365 * DAY, NOW - DAY)
        ),
    )
    await pruner(db, response_retention.rules(settings().retention)).prune_once()
    assert await values(db, response_retention.answers.c.incident_id) == {running, open_}
    assert len(await keys(db, response_retention.audit)) == 1


async def test_duty_and_ingester_tables_go_by_age(databases: dict[str, Database]) -> None:
    duty, ingester = databases["duty"], databases["ingester"]
    await insert(
        duty,
        duty_retention.spent_tokens,
        {"nonce": "expired-2-days", "expires_at": NOW - 2 * DAY, "spent_at": NOW - 3 * DAY},
        # Still refused for its nonce, not its age: it must stay.
        {"nonce": "expired-1-hour", "expires_at": NOW - timedelta(hours=1), "spent_at": NOW},
    )
    await insert(
        duty,
        duty_retention.security_events,
        {"at": NOW - 400 * DAY, "kind": "login_failed"},
        {"at": NOW - DAY, "kind": "login_failed"},
    )
    await insert(
        ingester,
        ingester_retention.seen_events,
        *(
            {"key": k, "version": "1", "fingerprint": "f"}
            | {"first_seen_at": NOW - age, "published_at": NOW - age, "publish_count": 1}
            for k, age in (("old", 400 * DAY), ("new", 30 * DAY))
        ),
    )
    await pruner(duty, duty_retention.rules(settings().retention)).prune_once()
    await pruner(ingester, ingester_retention.rules(settings().retention)).prune_once()
    assert await keys(duty, duty_retention.spent_tokens) == {"expired-1-hour"}
    assert len(await keys(duty, duty_retention.security_events)) == 1
    assert await keys(ingester, ingester_retention.seen_events) == {"new"}


async def test_a_programmes_launch_and_close_outlive_the_roll_call_audit_while_kept(
    databases: dict[str, Database],
) -> None:
    duty = databases["duty"]
    activation = str(uuid4())

    def step(action: str) -> dict[str, Any]:
        return {
            "step_id": str(uuid4()),
            "incident_id": str(uuid4()),
            "activation_id": activation,
            "action": action,
            "via": "console",
            "organisations": [],
            "programme_en": "Response" if action.startswith("programme_") else None,
            # Past the roll-call audit's three years.
            "occurred_at": NOW - 4 * 365 * DAY,
        }

    await insert(
        duty,
        duty_retention.rollcall_steps,
        *(step(a) for a in ("answer_recorded", "programme_launched", "programme_closed")),
    )
    await pruner(duty, duty_retention.rules(settings().retention)).prune_once()
    # The answer goes by age; the programme's steps name it in the CAP feed while the
    # activation is kept, and go with the disaster's record.
    assert await values(duty, duty_retention.rollcall_steps.c.action) == {
        "programme_launched",
        "programme_closed",
    }


async def test_usgs_aliases_go_with_their_event_and_details_by_age(
    databases: dict[str, Database],
) -> None:
    ingester = databases["ingester"]
    await insert(
        ingester,
        ingester_retention.seen_events,
        {"key": "usgs:us7000kept", "version": "1", "fingerprint": "f"}
        | {"first_seen_at": NOW - 400 * DAY, "published_at": NOW - 30 * DAY, "publish_count": 2},
    )
    await insert(
        ingester,
        ingester_retention.event_aliases,
        # An old alias of an event still recorded stays: it keys the event's next report.
        {"alias": "ci40000kept", "event_id": "us7000kept", "seen_at": NOW - 400 * DAY},
        # An old alias of an event whose record went, and one from before `seen_at` was kept.
        {"alias": "us7000gone", "event_id": "us7000gone", "seen_at": NOW - 400 * DAY},
        {"alias": "us6000gone", "event_id": "us6000gone", "seen_at": None},
        # A young alias stays whatever its event.
        {"alias": "us7000young", "event_id": "us7000young", "seen_at": NOW - DAY},
    )
    await insert(
        ingester,
        ingester_retention.usgs_details,
        *(
            {"event_id": k, "trigger": "[[], null]", "pager": "{}", "fetched_at": NOW - age}
            for k, age in (("us7000old", 400 * DAY), ("us7000new", DAY))
        ),
    )
    await pruner(ingester, ingester_retention.rules(settings().retention)).prune_once()
    assert await keys(ingester, ingester_retention.event_aliases) == {"ci40000kept", "us7000young"}
    assert await keys(ingester, ingester_retention.usgs_details) == {"us7000new"}


def incident(key: str, reported: timedelta) -> dict[str, Any]:
    return {
        "id": key,
        "family": "EQ",
        "title": key,
        "countries": ["PH"],
        "level": "activate",
        "level_rank": 3,
        "score": 80.0,
        "alerted_level": "activate",
        "acked_level": "activate",
        "ack_state": "stood_down",
        "first_seen": NOW - reported,
        "last_seen": NOW - reported,
        "precise": True,
        "created_at": NOW - reported,
        "updated_at": NOW - reported,
    }


async def test_a_disaster_no_source_reported_for_years_leaves_triage_with_its_whole_record(
    databases: dict[str, Database],
) -> None:
    db = databases["triage"]
    old, recent = "inc-reported-4-years-ago", "inc-reported-last-month"
    await insert(
        db, triage_retention.incidents, incident(old, 4 * 365 * DAY), incident(recent, 30 * DAY)
    )
    for key in (old, recent):
        activation = str(uuid4())
        await insert(
            db,
            triage_retention.reports,
            *(
                {
                    "source_key": f"{key}/{source}",
                    "incident_id": key,
                    "source": source,
                    "version": "1",
                    "event_time": NOW - 30 * DAY,
                    "event": "{}",
                    "updated_at": NOW - 30 * DAY,
                }
                for source in ("gdacs", "usgs")
            ),
        )
        await insert(
            db,
            triage_retention.activations,
            {
                "activation_id": activation,
                "incident_id": key,
                "level": "activate",
                "previous_level": "none",
                "score": 80.0,
                "message_id": str(uuid4()),
                "payload": "{}",
                "created_at": NOW - 30 * DAY,
            },
        )
        await insert(
            db,
            triage_retention.decisions,
            *(
                {
                    "incident_id": key,
                    "message_id": str(uuid4()),
                    "source_key": f"{key}/gdacs",
                    "version": "1",
                    "level": "activate",
                    "previous_level": "none",
                    "score": 80.0,
                    "reasons": [],
                    "outcome": outcome,
                    "activation_id": activation if outcome == "published" else None,
                    "decided_at": NOW - 30 * DAY,
                }
                for outcome in ("published", "unchanged")
            ),
        )
    await pruner(db, triage_retention.rules(settings().retention), batch_size=1).prune_once()
    assert await keys(db, triage_retention.incidents) == {recent}
    for table in (
        triage_retention.reports,
        triage_retention.activations,
        triage_retention.decisions,
    ):
        assert await values(db, table.c.incident_id) == {recent}, table.name


def duty_activation(
    incident_id: str, state: str, touched: timedelta, *, closed: bool
) -> dict[str, Any]:
    return {
        "activation_id": str(uuid4()),
        "incident_id": incident_id,
        "level": "activate",
        "previous_level": "none",
        "score": 80.0,
        "title": incident_id,
        "summary": {},
        "reasons": [],
        "state": state,
        "step": 0,
        "chain": [],
        "occurred_at": NOW - touched,
        "received_at": NOW - touched,
        "closed_at": NOW - touched if closed else None,
        "updated_at": NOW - touched,
    }


async def test_duty_lets_an_incident_go_with_its_trail_once_every_activation_of_it_closed_long_ago(
    databases: dict[str, Database],
) -> None:
    db = databases["duty"]
    years = 4 * 365 * DAY
    activations = {
        "stood-down": [duty_activation("inc-stood-down", "stood_down", years, closed=True)],
        "watch": [duty_activation("inc-watch", "recorded", years, closed=False)],
        # Launched four years ago and never closed: the programme runs on.
        "launched": [duty_activation("inc-launched", "launched", years, closed=False)],
        "closed-lately": [duty_activation("inc-closed-lately", "closed", 30 * DAY, closed=True)],
        # Its first activation closed long ago, its upgrade is still acknowledged only.
        "upgraded": [
            duty_activation("inc-upgraded", "stood_down", years, closed=True),
            duty_activation("inc-upgraded", "acknowledged", years, closed=False),
        ],
        # Closed long ago, yet a timer of it is still pending: it stays until the timer settles.
        "pending": [duty_activation("inc-pending", "stood_down", years, closed=True)],
    }
    rows = [a for group in activations.values() for a in group]
    await insert(db, duty_retention.activations, *rows)
    for row in rows:
        at = row["occurred_at"]
        await insert(
            db,
            duty_retention.transitions,
            {"activation_id": row["activation_id"], "state": "paged", "via": "timer", "at": at},
            {"activation_id": row["activation_id"], "state": row["state"], "via": "link", "at": at},
        )
        await insert(
            db,
            duty_retention.pages,
            {"page_id": str(uuid4()), "activation_id": row["activation_id"]}
            | {"step": 0, "officer_id": "o1", "at": at},
        )
        pending = row["incident_id"] == "inc-pending"
        await insert(
            db,
            duty_retention.timers,
            {"id": str(uuid4()), "activation_id": row["activation_id"], "step": 1, "due_at": at}
            | {
                "status": "pending" if pending else "cancelled",
                "settled_at": None if pending else at,
            },
        )
    await pruner(db, duty_retention.rules(settings().retention), batch_size=1).prune_once()
    kept = {"launched", "closed-lately", "upgraded", "pending"}
    expected = {a["activation_id"] for name in kept for a in activations[name]}
    assert await keys(db, duty_retention.activations) == expected
    for table in (duty_retention.transitions, duty_retention.pages, duty_retention.timers):
        assert await values(db, table.c.activation_id) == expected, table.name


async def test_a_roll_call_goes_with_the_organisations_it_addressed_once_its_answers_are_gone(
    databases: dict[str, Database],
) -> None:
    db = databases["response"]
    # Stood down 4 years ago; the second still has an answer (answers are kept longer here).
    gone, answered, lately = "inc-stood-down", "inc-answered", "inc-closed-lately"
    await rollcalls(
        db,
        (gone, NOW - 4 * 365 * DAY, None),
        (answered, NOW - 4 * 365 * DAY, None),
        (lately, NOW - 30 * DAY, None),
    )
    await insert(
        db,
        response_retention.addressed,
        *(
            {"incident_id": i, "organisation_id": org, "first_at": NOW - 900 * DAY}
            for i in (gone, answered, lately)
            for org in ("org-a", "org-b")
        ),
    )
    await insert(db, response_retention.answers, answer(answered))
    retention = settings().retention.model_copy(update={"answers_after_close": 5 * 365 * DAY})
    await pruner(db, response_retention.rules(retention), batch_size=1).prune_once()
    assert await keys(db, response_retention.rollcalls) == {answered, lately}
    assert await values(db, response_retention.addressed.c.incident_id) == {answered, lately}

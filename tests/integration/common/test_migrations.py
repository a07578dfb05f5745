"""A service's tables are made by a child process, so the service itself never loads Alembic."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from services.common.db import Database, MigrationError
from tests.conftest import PG_URL, postgres_available

SERVICES = ("ingester", "triage", "notifier", "duty", "response")


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_module_does_not_load_alembic(service: str) -> None:
    probe = (
        f"import services.{service}.main, sys;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'alembic', 'mako'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


async def test_the_child_migrates_a_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "duty.db"
    db = Database(f"sqlite+aiosqlite:///{path}", "duty")
    try:
        await db.migrate_in_child()
        assert db.migrated
        await db.migrate_in_child()  # once is enough: no second child
    finally:
        await db.dispose()
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"alembic_version", "outbox", "inbox", "duty_timers"} <= tables


@pytest.mark.postgres
async def test_the_child_migrates_a_postgresql_schema() -> None:
    if not postgres_available():
        pytest.skip("PostgreSQL at 127.0.0.1:5432 does not answer")
    db = Database(PG_URL, "notifier", schema=f"t_migrate_{uuid.uuid4().hex[:10]}")
    try:
        await db.migrate_in_child()
        async with db.transaction() as session:
            count = await session.scalar(text("SELECT count(*) FROM deliveries"))
        assert count == 0
    finally:
        await db.drop_schema()
        await db.dispose()


async def test_a_failed_migration_stops_the_start(tmp_path: Path) -> None:
    path = tmp_path / "duty.db"
    path.write_bytes(b"this is not a database file" * 200)
    db = Database(f"sqlite+aiosqlite:///{path}", "duty")
    try:
        with pytest.raises(MigrationError, match="migrating duty failed"):
            await db.migrate_in_child()
        assert not db.migrated
    finally:
        await db.dispose()


def test_a_dropped_table_comes_back_on_downgrade_as_it_was(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from services.common.migrate import alembic_config

    engine = create_engine(f"sqlite:///{tmp_path / 'notifier.db'}")

    def columns() -> list[tuple[str, str, int]]:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("PRAGMA table_info(incidents)").all()
        return [(r[1], r[2], r[3]) for r in rows]

    def run(step: str, revision: str) -> None:
        with engine.begin() as conn:
            cfg = alembic_config("notifier")
            cfg.attributes["connection"] = conn
            getattr(command, step)(cfg, revision)

    run("upgrade", "notifier_0003")
    made = columns()
    assert [name for name, _, _ in made] == [
        "incident_id", "activation_id", "level", "summary", "updated_at"
    ]  # fmt: skip
    run("upgrade", "heads")
    assert columns() == []
    run("downgrade", "notifier_0003")
    assert columns() == made


@pytest.mark.parametrize("service", SERVICES)
async def test_the_heads_read_from_the_files_are_what_a_migration_leaves(
    service: str, tmp_path: Path
) -> None:
    from services.common.migration_heads import script_heads

    path = tmp_path / f"{service}.db"
    db = Database(f"sqlite+aiosqlite:///{path}", service)
    try:
        await db.migrate()  # in this process: the test may load Alembic
    finally:
        await db.dispose()
    with sqlite3.connect(path) as conn:
        stored = {r[0] for r in conn.execute("SELECT version_num FROM alembic_version")}
    assert script_heads(service) == stored


async def test_a_restart_at_the_newest_revision_starts_no_migrating_child(tmp_path: Path) -> None:
    path = tmp_path / "notifier.db"
    url = f"sqlite+aiosqlite:///{path}"
    first = Database(url, "notifier")
    try:
        assert not await first.at_head()  # no file yet
        await first.migrate_in_child()
    finally:
        await first.dispose()
    again = Database(url, "notifier")
    try:
        assert await again.at_head()
        await again.migrate_in_child()
        assert again.migrated
    finally:
        await again.dispose()
    # A version table that does not hold the newest revisions: the child must run.
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM alembic_version")
    behind = Database(url, "notifier")
    try:
        assert not await behind.at_head()
    finally:
        await behind.dispose()

"""`standby triage-incidents` and `triage-explain`: what triage decided, and why, from its database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from schemas.activations import Level
from schemas.hazards import AlertLevel
from services.cli import app
from services.common.db import Database
from services.common.service import build_context
from services.common.settings import Settings, TriageSettings
from services.triage.backtest import fact_context
from services.triage.handlers import TriageHandlers, merge_policy
from services.triage.report import explain_lines, incident_lines
from tests.unit.triage.builders import SHIPPED_CRITERIA, gdacs_quake, report, shipped

SERVICE = "triage"
NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def triage_handlers(db: Database, tmp_path: Path) -> TriageHandlers:
    """The service's handlers on `db`, with the shipped criteria."""
    settings = Settings(var_dir=tmp_path, triage=TriageSettings(criteria_file=SHIPPED_CRITERIA))
    criteria = shipped()
    return TriageHandlers(
        build_context("triage", settings, db=db),
        criteria,
        fact_context(criteria),
        merge_policy(72, 500),
    )


async def fill(db: Database, tmp_path: Path) -> None:
    handlers = triage_handlers(db, tmp_path)
    for version, alert in (("1", AlertLevel.ORANGE), ("2", AlertLevel.RED)):
        await handlers.on_hazard(
            report(
                "TC:5500001",
                version=version,
                alert=alert,
                people=450_000,
                at=NOW,
                title="Typhoon KAJIKI-26",
            )
        )
    await handlers.on_hazard(
        report("FL:5500002", alert=AlertLevel.GREEN, countries=("BGD",), at=NOW)
    )


async def test_incidents_are_listed_by_level_and_explained_decision_by_decision(
    database: Database, tmp_path: Path
) -> None:
    await fill(database, tmp_path)
    header, *rows = await incident_lines(database)
    assert header.split()[:2] == ["incident", "last"]
    assert len(rows) == 1 and "activate" in rows[0] and "Typhoon KAJIKI-26" in rows[0]
    assert (
        len(
            await incident_lines(
                database, at_least=__import__("schemas.activations").activations.Level.NONE
            )
        )
        == 3
    )
    incident = rows[0].split()[0]
    text = "\n".join(await explain_lines(database, incident[:8]))
    assert "gdacs:TC:5500001 version 2" in text
    assert "none → standby (score 35), broadcast" in text
    assert "standby → activate (score 55), broadcast" in text
    assert "- GDACS alert level Red  [gdacs-red]" in text
    assert "activate (after standby)" in text
    assert (await explain_lines(database, "ffffffff")) == ["no incident matches 'ffffffff'"]


def test_the_commands_read_the_service_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'triage.db'}"

    async def prepare() -> None:
        db = Database(url, "triage")
        await db.migrate()
        await fill(db, tmp_path)
        await db.dispose()

    asyncio.run(prepare())
    runner = CliRunner()
    env = {"STANDBY_DATABASE_URL": url}
    listed = runner.invoke(app, ["triage-incidents", "--level", "standby"], env=env)
    assert listed.exit_code == 0, listed.output
    incident = listed.stdout.splitlines()[1].split()[0]
    explained = runner.invoke(app, ["triage-explain", incident], env=env)
    assert explained.exit_code == 0, explained.output
    assert explained.stdout.startswith(f"incident {incident}: Typhoon KAJIKI-26")


async def test_explain_shows_why_an_aftershock_joined_the_main_shock(
    database: Database, tmp_path: Path
) -> None:
    handlers = triage_handlers(database, tmp_path)
    main = NOW - timedelta(days=17)
    red = AlertLevel.RED
    await handlers.on_hazard(
        gdacs_quake("EQ:5600001", main, 28.23, 84.73, 7.8, red, people=5_000_000)
    )
    await handlers.on_hazard(gdacs_quake("EQ:5600002", NOW, 27.84, 86.08, 7.3, red))
    _, *rows = await incident_lines(database)
    assert len(rows) == 1
    text = "\n".join(await explain_lines(database, rows[0].split()[0]))
    assert "gdacs:EQ:5600002 version 1" in text
    assert "grouped: aftershock M7.3 17 days after and 139 km from gdacs:EQ:5600001" in text


async def test_the_service_files_a_cyclones_flood_under_the_cyclone(
    database: Database, tmp_path: Path
) -> None:
    handlers = triage_handlers(database, tmp_path)
    storm = report(
        "TC:5700001",
        alert=AlertLevel.RED,
        at=NOW - timedelta(days=5),
        lat=11.0,
        lon=125.0,
        people=16_000_000,
    ).model_copy(update={"end_time": NOW - timedelta(days=1)})
    await handlers.on_hazard(storm)
    await handlers.on_hazard(
        report("FL:5700002", alert=AlertLevel.ORANGE, at=NOW, lat=11.2, lon=124.9)
    )
    _, *rows = await incident_lines(database, at_least=Level.NONE)
    assert len(rows) == 1
    text = "\n".join(await explain_lines(database, rows[0].split()[0]))
    assert "grouped: flood caused by cyclone gdacs:TC:5700001: in its days and in PHL" in text

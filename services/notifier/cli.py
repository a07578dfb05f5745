"""Operator commands of the notifier service: who would be told, and what they would read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from uuid import uuid4

import typer

from services.common.commands import MembersFile
from services.common.errors import StandbyError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from schemas.activations import Activation, IncidentSummary
    from schemas.hazards import HazardType


def register(app: typer.Typer) -> None:
    """Add the notifier's commands to the `standby` command."""
    app.command("notifier-recipients")(recipients_command)
    app.command("notifier-deliveries")(deliveries_command)
    app.command("notifier-preview")(preview_command)


def recipients_command(
    level: Annotated[str, typer.Option(help="watch, standby or activate.")] = "activate",
    hazard: Annotated[str, typer.Option(help="GDACS hazard code, e.g. EQ, TC, FL.")] = "EQ",
    country: Annotated[
        list[str], typer.Option(help="ISO3 code of an affected country (repeatable).")
    ] = ["PHL"],  # noqa: B006
    members: MembersFile = None,
) -> None:
    """Check the member directory and list who an incident at a level would reach."""
    from schemas.activations import Level
    from schemas.hazards import HazardType
    from services.common.commands import load_settings
    from services.common.countries import regions_of
    from services.common.members_file import load_member_directory
    from services.notifier.recipients import select_recipients

    path = members or load_settings().members_file
    try:
        directory = load_member_directory(path)
        chosen = select_recipients(
            directory,
            level=Level(level),
            hazard=HazardType(hazard.upper()),
            countries=[c.upper() for c in country],
            regions_of=regions_of,
        )
    except (StandbyError, ValueError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err
    for r in chosen:
        channels = ["email"] if r.contact.email else []
        channels += ["chat"] * len(r.contact.apprise_urls)
        typer.echo(
            f"{r.ref:40} {r.contact.language.value}  {','.join(channels):12} "
            f"{r.organisation.name_en}"
        )
    typer.echo(
        f"{len(chosen)} contact(s) in {len({r.organisation.id for r in chosen})} "
        f"organisation(s) of {len(directory.organisations)}"
    )


def deliveries_command(
    activation: Annotated[
        str | None, typer.Argument(help="Activation id (or its first characters).")
    ] = None,
    status: Annotated[
        str | None, typer.Option(help="Only pending, retrying, sent or failed.")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows, newest first.")] = 50,
) -> None:
    """Show what happened to the notifier's deliveries, newest first."""
    from services.common.commands import print_lines
    from services.notifier.report import delivery_lines

    print_lines(
        "notifier",
        lambda db: delivery_lines(db, activation=activation, status=status, limit=limit),
    )


def preview_command(
    language: Annotated[str, typer.Option(help="ja or en.")] = "ja",
    level: Annotated[str, typer.Option(help="watch, standby or activate.")] = "activate",
    out: Annotated[
        Path | None, typer.Option(help="Write an .eml file instead of printing the text.")
    ] = None,
) -> None:
    """Render a sample member alert, to review the templates."""
    from email.headerregistry import Address

    from schemas.members import Language
    from services.common.commands import load_settings
    from services.common.members_file import load_member_directory
    from services.notifier.mime import address, build_body, headers
    from services.notifier.rendering import Renderer

    settings = load_settings()
    try:
        secretariat = load_member_directory(settings.members_file).secretariat
    except StandbyError:
        secretariat = None
    activation = _sample_activation(level)
    rendered = Renderer(timezone=settings.duty.timezone).member_alert(
        Language(language), activation, secretariat
    )
    if out is None:
        typer.echo(f"Subject: {rendered.subject}\n\n{rendered.text}\n--- chat ---\n{rendered.chat}")
        return
    smtp = settings.notifier.smtp
    body = build_body(rendered, Address(smtp.from_name, addr_spec=smtp.from_address))
    head = headers(
        recipient=address("山田 太郎" if language == "ja" else "Alex Morgan", "member@example.jp"),
        message_id=f"<preview-{uuid4().hex}@{settings.notifier.message_id_domain}>",
        thread_root=None,
        kind="member_alert",
    )
    out.write_bytes(head + body.content)
    typer.echo(f"wrote {out}")


def _sample_activation(level: str) -> Activation:
    """A made-up red earthquake in the Philippines, the preview's alert."""
    from schemas.activations import Activation, Level, Reason

    return Activation(
        activation_id=uuid4(),
        incident_id=uuid4(),
        level=Level(level),
        score=88,
        reasons=[
            Reason(rule="gdacs_alert", sentence="GDACS alert level Red"),
            Reason(rule="population", sentence="2.1 M people within 100 km"),
            Reason(rule="presence", sentence="3 member organisations present in country"),
        ],
        summary=sample_summary(datetime.now(UTC)),
    )


def sample_summary(
    event_time: datetime,
    *,
    hazard: HazardType | None = None,
    country: str = "PHL",
    report: str = "https://www.gdacs.org/report.aspx?eventtype=EQ",
    sources: Sequence[str] = (),
) -> IncidentSummary:
    """The made-up red earthquake in the Philippines that the preview shows (and the notifier's
    tests mail), placed in another country or made another hazard where a test needs it."""
    from schemas.activations import IncidentSummary
    from schemas.hazards import AlertLevel, HazardType, Link, Measure

    return IncidentSummary(
        title="Red earthquake alert (Magnitude 7.4M, Depth:10km) in Philippines",
        hazard_type=hazard or HazardType.EARTHQUAKE,
        countries=[country],
        country_names=["Philippines"],
        event_time=event_time,
        lat=9.8,
        lon=126.4,
        alert_level=AlertLevel.RED,
        severity=Measure(value=7.4, unit="M", text="Magnitude 7.4M, Depth:10km"),
        population_exposed=2_100_000,
        links=[Link(rel="report", url=report)],
        sources=list(sources),
    )

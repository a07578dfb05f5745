"""Operator commands of the ingester service: `standby fetch`."""

from __future__ import annotations

import asyncio
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from schemas.hazards import HazardEvent
from services.common.errors import StandbyError
from services.common.settings import IngesterSettings
from services.ingester.sources import ParseResult, read_document


class SourceName(StrEnum):
    GDACS = "gdacs"
    GDACS_API = "gdacs-api"
    RELIEFWEB = "reliefweb"
    USGS = "usgs"


class OutputFormat(StrEnum):
    TABLE = "table"
    JSONL = "jsonl"


def default_url(source: SourceName, settings: IngesterSettings) -> str | None:
    """Name the URL the service itself polls for a source."""
    from services.ingester.main import reliefweb_url

    if source is SourceName.GDACS:
        return settings.gdacs_rss_url or None
    if source is SourceName.GDACS_API:
        return settings.gdacs_api_url
    if source is SourceName.USGS:
        return settings.usgs_url or None
    return reliefweb_url(settings)


async def download(url: str, settings: IngesterSettings) -> bytes:
    """Fetch one document the way the poller does (timeout, size cap), without conditions."""
    from services.ingester.main import make_fetcher

    fetcher = make_fetcher(settings)
    try:
        fetched = await fetcher.fetch(url, conditional=False)
    finally:
        await fetcher.aclose()
    return fetched.body or b""


def read_file(path: Path, max_bytes: int) -> bytes:
    """Read a saved document, refusing to load more than the cap."""
    try:
        with path.open("rb") as handle:
            # One byte over the cap is enough for the parser to say "too large".
            return handle.read(max_bytes + 1)
    except OSError as err:
        raise StandbyError(f"cannot read {path}: {err.strerror}") from err


def render_table(events: list[HazardEvent]) -> str:
    """Lay out events one per line for a human reading a feed by hand."""
    header = (
        "SOURCE ID",
        "VERSION",
        "TYPE",
        "ALERT",
        "COUNTRIES",
        "EVENT TIME",
        "EXPOSED",
        "TITLE",
    )
    rows = [header] + [
        (
            e.source_id,
            e.version,
            e.hazard_type.value,
            _alert(e),
            ",".join(e.countries) or "-",
            e.event_time.strftime("%Y-%m-%d %H:%M"),
            f"{e.population_exposed:,}" if e.population_exposed is not None else "-",
            e.title[:70],
        )
        for e in events
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True))
        + "  "
        + row[-1]
        for row in rows
    )


def _alert(event: HazardEvent) -> str:
    """GDACS's level, else PAGER's with USGS's status (`orange/automatic`), else the status."""
    if event.alert_level:
        return event.alert_level.value
    if event.pager is not None and event.pager.alert is not None:
        return f"{event.pager.alert.value}/{event.status or '?'}"
    return event.status or "-"


def register(app: typer.Typer) -> None:
    """Add the ingester's commands to the `standby` command."""

    @app.command()
    def fetch(
        source: Annotated[SourceName, typer.Argument(help="Which feed the document is from.")],
        url: Annotated[str | None, typer.Option(help="Fetch this URL instead.")] = None,
        file: Annotated[
            Path | None, typer.Option(help="Read a saved document instead of fetching.")
        ] = None,
        format: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.TABLE,
    ) -> None:
        """Print the normalised events of one feed document (the live feed, a URL or a file)."""
        from services.common.commands import load_settings

        settings = load_settings().ingester
        try:
            if file is not None:
                name = str(file)
                data = read_file(file, settings.max_document_bytes)
            else:
                target = url or default_url(source, settings)
                if not target:
                    typer.echo(f"error: no URL configured for {source.value}; pass --url", err=True)
                    raise typer.Exit(2)
                name = target
                data = asyncio.run(download(target, settings))
            result = read_document(data, name=name, max_bytes=settings.max_document_bytes)
        except StandbyError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(1) from err
        _print(result, format)


def _print(result: ParseResult, format: OutputFormat) -> None:
    if format is OutputFormat.JSONL:
        for event in result.events:
            typer.echo(event.model_dump_json())
    else:
        typer.echo(render_table(result.events))
    if result.rejections:
        reasons = Counter(r.reason.value for r in result.rejections)
        first = result.rejections[0]
        typer.echo(
            f"{len(result.rejections)} item(s) refused ({dict(reasons)}); first: "
            f"{first.item}: {first.detail}",
            err=True,
        )
    if result.dropped_fields:
        typer.echo(f"implausible values blanked: {dict(Counter(result.dropped_fields))}", err=True)
    if result.repairs:
        removed = ", ".join(r.value for r in result.repairs)
        typer.echo(f"removed before the first markup: {removed}", err=True)

"""Composition root of the ingester service: one poller per configured source."""

from __future__ import annotations

import httpx

from services.common.errors import ConfigError
from services.common.logs import get_logger
from services.common.service import ServiceContext
from services.common.settings import IngesterSettings
from services.ingester.fetch import Fetcher
from services.ingester.poller import Backoff, Poller, SourceSpec
from services.ingester.publisher import EventPublisher
from services.ingester.situation_reports import SituationReports, reports_url

log = get_logger(__name__)

# What the normaliser reads of a ReliefWeb disaster; asking for no more keeps pages small.
RELIEFWEB_FIELDS = (
    "id", "name", "status", "glide", "date.changed", "date.created", "date.event",
    "primary_type.code", "primary_type.name", "type.code", "type.name", "type.primary",
    "primary_country.iso3", "primary_country.shortname", "primary_country.location",
    "country.iso3", "country.shortname", "url_alias",
)  # fmt: skip


def reliefweb_url(settings: IngesterSettings) -> str | None:
    """Build the ReliefWeb disasters query: newest changes first, only the fields used."""
    if not settings.reliefweb_url:
        return None
    if not settings.reliefweb_appname:
        raise ConfigError(
            "STANDBY_INGESTER__RELIEFWEB_APPNAME is required when reliefweb_url is set "
            "(ReliefWeb refuses requests without a registered appname)"
        )
    url = httpx.URL(settings.reliefweb_url)
    params: list[tuple[str, str | int | float | bool | None]] = [
        ("appname", settings.reliefweb_appname),
        ("limit", str(settings.reliefweb_page_size)),
        ("sort[]", "date.changed:desc"),
        *(("fields[include][]", name) for name in RELIEFWEB_FIELDS),
    ]
    return str(url.copy_merge_params(params))


def source_specs(settings: IngesterSettings) -> list[SourceSpec]:
    """List the sources this deployment polls (a source without a URL is off)."""
    specs: list[SourceSpec] = []
    if settings.gdacs_rss_url:
        specs.append(SourceSpec("gdacs", settings.gdacs_rss_url, settings.gdacs_rss_interval_s))
    if settings.gdacs_api_url:
        specs.append(SourceSpec("gdacs-api", settings.gdacs_api_url, settings.gdacs_api_interval_s))
    relief = reliefweb_url(settings)
    if relief:
        specs.append(
            SourceSpec(
                "reliefweb",
                relief,
                settings.reliefweb_interval_s,
                max_pages=settings.reliefweb_max_pages,
            )
        )
    return specs


def situation_reports(
    settings: IngesterSettings, fetcher: Fetcher, publisher: EventPublisher
) -> SituationReports | None:
    """Look up the reports of newly alerted ReliefWeb disasters, unless switched off."""
    if not (settings.reliefweb_url and settings.reliefweb_appname):
        return None
    if settings.reliefweb_reports_per_alert <= 0:
        return None
    return SituationReports(
        fetcher=fetcher,
        sink=publisher,
        url=reports_url(settings.reliefweb_url),
        appname=settings.reliefweb_appname,
        per_disaster=settings.reliefweb_reports_per_alert,
    )


def make_fetcher(settings: IngesterSettings) -> Fetcher:
    return Fetcher(
        timeout_s=settings.timeout_s,
        max_bytes=settings.max_document_bytes,
        user_agent=settings.user_agent,
    )


async def setup(ctx: ServiceContext) -> None:
    """Register the ingester's handlers and background tasks."""
    settings = ctx.settings.ingester
    publisher = EventPublisher(ctx)
    specs = source_specs(settings)
    if not specs:
        log.warning("no_sources_configured")
    for spec in specs:
        fetcher = make_fetcher(settings)
        reports = situation_reports(settings, fetcher, publisher)
        poller = Poller(
            spec,
            fetcher,
            publisher,
            max_bytes=settings.max_document_bytes,
            backoff=Backoff(settings.backoff_initial_s, settings.backoff_max_s),
            enrich=reports if spec.name == "reliefweb" else None,
        )
        ctx.background.append(poller.run)
        log.info("source_configured", source=spec.name, url=spec.url, interval_s=spec.interval_s)

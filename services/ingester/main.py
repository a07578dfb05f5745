"""Composition root of the ingester service: one poller per configured source."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx

from services.common.errors import ConfigError
from services.common.logs import get_logger
from services.common.service import ServiceContext
from services.common.settings import IngesterSettings
from services.ingester import retention
from services.ingester.fetch import Fetcher
from services.ingester.poller import Backoff, Enricher, Poller, SourceSpec
from services.ingester.publisher import EventPublisher
from services.ingester.situation_reports import SituationReports, reports_url
from services.ingester.usgs_detail import DetailReader

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
    if settings.usgs_url:
        specs.append(
            SourceSpec(
                "usgs",
                settings.usgs_url,
                settings.usgs_interval_s,
                catch_up=fdsn_catch_up(settings),
            )
        )
    if settings.usgs_safety_net_url:
        specs.append(
            SourceSpec(
                "usgs-safety-net", settings.usgs_safety_net_url, settings.usgs_safety_net_interval_s
            )
        )
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


def fdsn_catch_up(settings: IngesterSettings) -> Callable[[datetime], str] | None:
    """Build the FDSN query for events updated since a time, at the configured magnitude."""
    if not settings.usgs_fdsn_url:
        return None
    base = httpx.URL(settings.usgs_fdsn_url)
    floor = settings.usgs_min_magnitude

    def since(when: datetime) -> str:
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S")
        params: list[tuple[str, str | int | float | bool | None]] = [
            ("format", "geojson"),
            ("updatedafter", stamp),
            ("minmagnitude", str(floor)),
            ("orderby", "time"),
            ("limit", "2000"),
        ]
        return str(base.copy_merge_params(params))

    return since


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


def enricher(
    spec: SourceSpec,
    settings: IngesterSettings,
    fetcher: Fetcher,
    publisher: EventPublisher,
    details: DetailReader | None,
) -> Enricher | None:
    """What a source's events gain before publication: reports, or PAGER's detail."""
    if spec.name == "reliefweb":
        return situation_reports(settings, fetcher, publisher)
    if spec.name.startswith("usgs"):
        return details
    return None


def make_fetcher(settings: IngesterSettings) -> Fetcher:
    return Fetcher(
        timeout_s=settings.timeout_s,
        max_bytes=settings.max_document_bytes,
        user_agent=settings.user_agent,
        redirect_hosts=frozenset(
            h.strip() for h in settings.redirect_private_hosts.split(",") if h.strip()
        ),
    )


async def setup(ctx: ServiceContext) -> None:
    """Register the ingester's handlers and background tasks."""
    settings = ctx.settings.ingester
    publisher = EventPublisher(ctx)
    ctx.retention.extend(retention.rules(ctx.settings.retention))
    specs = source_specs(settings)
    if not specs:
        log.warning("no_sources_configured")
    # One reader for both USGS feeds: an event's detail is fetched once, whichever saw it.
    details = (
        DetailReader(
            make_fetcher(settings), per_poll=settings.usgs_detail_fetches_per_poll, db=ctx.db
        )
        if settings.usgs_detail_fetches_per_poll > 0
        else None
    )
    for spec in specs:
        fetcher = make_fetcher(settings)
        poller = Poller(
            spec,
            fetcher,
            publisher,
            max_bytes=settings.max_document_bytes,
            backoff=Backoff(settings.backoff_initial_s, settings.backoff_max_s),
            enrich=enricher(spec, settings, fetcher, publisher, details),
        )
        ctx.background.append(poller.run)
        log.info("source_configured", source=spec.name, url=spec.url, interval_s=spec.interval_s)

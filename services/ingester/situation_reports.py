"""ReliefWeb situation reports for alerted disasters, attached to the event before it is published.

`status=alert` is ReliefWeb's earliest signal; the reports filed under such a disaster are
what a duty officer reads next. Only disasters about to be published are looked up (one
request each), and a report lookup that fails never holds the event back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from schemas.hazards import HazardEvent, Link
from services.common.errors import SourceError
from services.common.logs import get_logger
from services.ingester import metrics
from services.ingester.fetch import Fetcher
from services.ingester.publisher import Sink
from services.ingester.sources.base import DocumentReason, parse_datetime, text_or_none
from services.ingester.sources.safety import parse_json

log = get_logger(__name__)

REPORT_FIELDS = ("title", "url_alias", "date.created", "source.shortname")
REL = "situation_report"


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Source(_Loose):
    shortname: str | None = None


class _Dates(_Loose):
    created: str | None = None


class _ReportFields(_Loose):
    title: str
    url_alias: str | None = None
    url: str | None = None
    date: _Dates | None = None
    source: list[_Source] = []


def reports_url(disasters_url: str) -> str:
    """Derive the reports endpoint from the disasters endpoint (same API version and host)."""
    url = httpx.URL(disasters_url)
    path = url.path.rstrip("/")
    base = path[: -len("/disasters")] if path.endswith("/disasters") else path.rsplit("/", 1)[0]
    return str(url.copy_with(path=f"{base}/reports", query=None))


def parse_reports(document: Any) -> list[dict[str, Any]]:
    """Read a ReliefWeb reports response into small dicts; unreadable reports are skipped."""
    items = document.get("data") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise SourceError(DocumentReason.BAD_SHAPE.value, "reports: `data` is not a list")
    reports: list[dict[str, Any]] = []
    for item in items:
        try:
            fields = _ReportFields.model_validate(
                item.get("fields") if isinstance(item, dict) else None
            )
        except ValidationError:
            continue
        url = text_or_none(fields.url_alias) or text_or_none(fields.url)
        if not url or not url.startswith(("http://", "https://")):
            continue
        created = parse_datetime(fields.date.created if fields.date else None)
        reports.append(
            {
                "title": fields.title,
                "url": url,
                "created": created.isoformat() if created else None,
                "sources": [s.shortname for s in fields.source if s.shortname],
            }
        )
    return reports


@dataclass(kw_only=True, eq=False)
class SituationReports:
    """Attach the latest reports of each newly alerted disaster to its event."""

    fetcher: Fetcher
    sink: Sink
    url: str
    appname: str
    per_disaster: int
    source: str = "reliefweb"

    async def __call__(self, events: Sequence[HazardEvent]) -> list[HazardEvent]:
        """Return the events, alerted news among them carrying their situation reports."""
        alerted = [e for e in events if e.status == "alert"]
        if not alerted or self.per_disaster <= 0:
            return list(events)
        enriched: dict[str, HazardEvent] = {}
        for event in await self.sink.news(alerted):
            enriched[event.key] = await self._attach(event)
        return [enriched.get(e.key, e) for e in events]

    def query(self, disaster_id: str) -> str:
        params: list[tuple[str, str | int | float | bool | None]] = [
            ("appname", self.appname),
            ("filter[field]", "disaster.id"),
            ("filter[value]", disaster_id),
            ("sort[]", "date.created:desc"),
            ("limit", str(self.per_disaster)),
            *(("fields[include][]", name) for name in REPORT_FIELDS),
        ]
        return str(httpx.URL(self.url).copy_merge_params(params))

    async def _attach(self, event: HazardEvent) -> HazardEvent:
        try:
            fetched = await self.fetcher.fetch(self.query(event.source_id), conditional=False)
            reports = parse_reports(parse_json(fetched.body or b""))
        except SourceError as err:
            metrics.SOURCE_FAILURES.labels(self.source, err.reason).inc()
            log.warning(
                "situation_reports_unavailable",
                source=self.source,
                disaster=event.source_id,
                reason=err.reason,
                detail=err.detail,
            )
            return event
        if not reports:
            return event
        links = [*event.links, *(Link(rel=REL, url=r["url"]) for r in reports)]
        extras = {**event.extras, "situation_reports": reports}
        return event.model_copy(update={"links": links, "extras": extras})
